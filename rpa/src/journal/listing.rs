//! Runs as staff look for them: filtered by workflow, status, trigger, reference and date,
//! newest first a page at a time, and each workflow's record over a period.

use storage::{StorageError, sqlx};

use super::records::{RUN_COLUMNS, RunRow, runs_from_rows};
use super::{Journal, RunRecord, RunStatus};

/// Which runs to list; every part left empty matches all.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// The workflow's name.
    pub workflow: Option<String>,
    /// The status.
    pub status: Option<RunStatus>,
    /// What started it: `web`, `teams`, `sms`, `cli`, `schedule` or `webhook`.
    pub trigger: Option<String>,
    /// Its reference, such as `CB-1A2B3C4D` (the start of one is enough).
    pub reference: Option<String>,
    /// Started at or after this time, in milliseconds since 1970.
    pub from: Option<i64>,
    /// Started before this time.
    pub to: Option<i64>,
    /// Started before this run (the last of the page before), for the next page.
    pub before: Option<(i64, String)>,
}

/// A value bound to a query.
enum Bound {
    Text(String),
    Number(i64),
}

/// A workflow's runs over a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkflowRecord {
    /// Runs started.
    pub runs: usize,
    /// Runs that succeeded.
    pub succeeded: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Runs waiting for a person now.
    pub waiting: usize,
    /// The middle time from start to success, in milliseconds.
    pub median_millis: Option<i64>,
    /// The time from start to success that 95 runs in 100 beat, in milliseconds.
    pub p95_millis: Option<i64>,
}

impl WorkflowRecord {
    /// The share of finished runs that succeeded, if any finished.
    pub fn success_rate(&self) -> Option<f64> {
        let finished = self.succeeded + self.failed;
        (finished > 0).then(|| self.succeeded as f64 / finished as f64)
    }
}

/// A run's workflow, status and times, for a workflow's record.
#[derive(Debug, sqlx::FromRow)]
struct RunTimes {
    status: String,
    created_at: i64,
    finished_at: Option<i64>,
}

/// The value at a share of the way through sorted values.
fn share_of_the_way(sorted: &[i64], share: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let index = ((sorted.len() - 1) as f64 * share).round() as usize;
    sorted.get(index).copied()
}

impl Journal {
    /// The runs that match, newest first, at most `limit`.
    pub async fn list_runs(&self, filter: &RunFilter, limit: i64) -> Result<Vec<RunRecord>, StorageError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut bound: Vec<Bound> = Vec::new();
        let mut condition = |text: &str, value: Bound| {
            bound.push(value);
            conditions.push(text.replace('?', &format!("${}", bound.len())));
        };
        if let Some(workflow) = &filter.workflow {
            condition("workflow = ?", Bound::Text(workflow.clone()));
        }
        if let Some(status) = filter.status {
            condition("status = ?", Bound::Text(status.as_str().to_string()));
        }
        if let Some(trigger) = &filter.trigger {
            // `started_by` is stored as JSON whose first member is the channel.
            condition(
                "started_by LIKE ?",
                Bound::Text(format!("{{\"channel\":\"{}\"%", trigger.replace(['%', '_', '"', '\\'], ""))),
            );
        }
        if let Some(reference) = &filter.reference {
            let reference = reference.trim().to_uppercase().replace(['%', '_'], "");
            condition("reference LIKE ?", Bound::Text(format!("{reference}%")));
        }
        if let Some(from) = filter.from {
            condition("created_at >= ?", Bound::Number(from));
        }
        if let Some(to) = filter.to {
            condition("created_at < ?", Bound::Number(to));
        }
        if let Some((created_at, id)) = &filter.before {
            bound.push(Bound::Number(*created_at));
            bound.push(Bound::Number(*created_at));
            bound.push(Bound::Text(id.clone()));
            let count = bound.len();
            conditions.push(format!(
                "(created_at < ${} OR (created_at = ${} AND id < ${}))",
                count - 2,
                count - 1,
                count
            ));
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM workflow_runs {filter} ORDER BY created_at DESC, id DESC LIMIT ${}",
            bound.len() + 1
        );
        let mut query = sqlx::query_as::<_, RunRow>(&sql);
        for value in bound {
            query = match value {
                Bound::Text(text) => query.bind(text),
                Bound::Number(number) => query.bind(number),
            };
        }
        let rows = query.bind(limit).fetch_all(self.database.pool()).await?;
        Ok(runs_from_rows(rows)?)
    }

    /// A workflow's record over the runs started since `since` (milliseconds since 1970).
    pub async fn workflow_record(&self, workflow: &str, since: i64) -> Result<WorkflowRecord, StorageError> {
        let runs = sqlx::query_as::<_, RunTimes>(
            "SELECT status, created_at, finished_at FROM workflow_runs WHERE workflow = $1 AND created_at >= $2",
        )
        .bind(workflow)
        .bind(since)
        .fetch_all(self.database.pool())
        .await?;
        let is = |status: RunStatus, run: &RunTimes| run.status == status.as_str();
        let mut durations: Vec<i64> = runs
            .iter()
            .filter(|run| is(RunStatus::Succeeded, run))
            .filter_map(|run| Some(run.finished_at? - run.created_at))
            .collect();
        durations.sort_unstable();
        Ok(WorkflowRecord {
            runs: runs.len(),
            succeeded: runs.iter().filter(|run| is(RunStatus::Succeeded, run)).count(),
            failed: runs.iter().filter(|run| is(RunStatus::Failed, run)).count(),
            waiting: runs.iter().filter(|run| is(RunStatus::Waiting, run)).count(),
            median_millis: share_of_the_way(&durations, 0.5),
            p95_millis: share_of_the_way(&durations, 0.95),
        })
    }
}
