//! Runs that start themselves: a workflow's schedule, due in the council's time zone and started
//! once per due time across every instance, and a webhook call, started once per idempotency
//! key.

use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::{Runner, RunnerError, new_run};
use crate::inputs::check_inputs;
use crate::journal::{DueTime, Keyed, ScheduleClaim, StartedBy};
use crate::workflow::{Catalogue, Schedule, WorkflowFile};

/// How long after its due time a schedule's run still counts as on time: later than this, it was
/// missed while nothing was running.
const ON_TIME: i64 = 5 * 60 * 1000;

/// How far back missed due times are counted.
const MISSED_LOOKED_BACK: i64 = 31 * 24 * 60 * 60 * 1000;

/// The longest the scheduler sleeps, so that a reloaded schedule is picked up.
const LONGEST_SLEEP: Duration = Duration::from_secs(30);

/// What happens to due times missed while no instance was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedSchedules {
    /// Run once, late, for the latest time missed, saying it is late and how many were missed.
    #[default]
    Once,
    /// Run nothing for them: record them as missed and wait for the next due time.
    Skip,
}

/// The time zone with this name, such as `Europe/London`, or what is wrong with it.
pub fn time_zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| format!("`{name}` is not a time zone; give one such as `Europe/London`"))
}

/// A scheduled workflow: when it last started and when it is next due.
#[derive(Debug, Clone)]
pub struct ScheduleStatus {
    /// The workflow.
    pub workflow: String,
    /// Its schedule, as written.
    pub schedule: String,
    /// When it is next due, in milliseconds since 1970.
    pub next_due: Option<i64>,
    /// Its latest due time claimed, with its run.
    pub last: Option<ScheduleClaim>,
}

/// A time in milliseconds as a time in `zone`.
fn zoned(millis: i64, zone: &TimeZone) -> Option<ZonedDateTime> {
    Timestamp::from_millisecond(millis).ok().map(|timestamp| timestamp.to_zoned_datetime(zone.clone()))
}

/// A time as staff read it, such as `2026-12-04 07:00 GMT`.
pub fn local_time(millis: i64, zone: &TimeZone) -> String {
    zoned(millis, zone).map(|time| time.strftime("%Y-%m-%d %H:%M %Z").to_string()).unwrap_or_default()
}

/// Who started a run for a due time, as the run records it.
fn started_for(due_at: i64, missed: i64, late: bool, now: i64, zone: &TimeZone) -> StartedBy {
    let mut address = format!("due {}", local_time(due_at, zone));
    if late {
        address.push_str(&format!(", started late at {}", local_time(now, zone)));
    }
    if missed > 0 {
        address.push_str(&format!(", {missed} earlier due time{} missed", if missed == 1 { "" } else { "s" }));
    }
    StartedBy { channel: "schedule".to_string(), address, language: None }
}

/// A digest of a webhook call's inputs, to tell a retry from another call with the same key.
fn fingerprint(inputs: &Map<String, Value>) -> String {
    let digest = Sha256::digest(serde_json::to_vec(inputs).unwrap_or_default());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Runner {
    /// Starts a run of every scheduled workflow due by now that no instance has claimed: at
    /// most one per workflow, for its latest due time. Due times missed while nothing was
    /// running are handled as `missed` says. Returns the due times this instance claimed.
    pub async fn start_due_schedules(&self) -> Result<Vec<ScheduleClaim>, RunnerError> {
        let (zone, missed) = (&self.config.time_zone, self.config.missed_schedules);
        let catalogue = self.catalogue();
        let mut claimed = Vec::new();
        for (file, _, schedule) in scheduled(&catalogue) {
            let now = self.journal.now();
            let name = &file.workflow.name.value;
            // A schedule never claimed before starts from now: only a time due in the last few
            // minutes is run, not its whole past.
            let last = self.journal.last_schedule_claim(name).await?;
            let from = last.map_or(now - ON_TIME, |claim| claim.due_at).max(now - MISSED_LOOKED_BACK);
            let Some((due_at, earlier)) = latest_due(&schedule, from, now, zone) else { continue };
            let late = now - due_at > ON_TIME;
            let inputs = Map::new();
            let started_by = started_for(due_at, earlier, late, now, zone);
            let source_path = file.path.display().to_string();
            let run =
                (!late || missed == MissedSchedules::Once).then(|| new_run(file, &source_path, &inputs, &started_by));
            if run.is_some()
                && let Err(problem) = self.ready_to_start(file)
            {
                tracing::error!(workflow = %name, error = %problem, "a scheduled workflow cannot start");
                continue;
            }
            let due = DueTime { workflow: name, due_at, missed: earlier, late, instance: &self.config.instance };
            let Some(claim) = self.journal.claim_due_time(due, run).await? else { continue };
            match (&claim.run_id, late || earlier > 0) {
                (Some(run), false) => tracing::info!(workflow = %name, run = %run, "a scheduled run started"),
                (Some(run), true) => tracing::warn!(
                    workflow = %name, run = %run, missed = earlier, late,
                    "a scheduled run started late: due times were missed while nothing was running"
                ),
                (None, _) => tracing::warn!(
                    workflow = %name, missed = earlier + 1,
                    "due times were missed while nothing was running and are skipped"
                ),
            }
            claimed.push(claim);
        }
        Ok(claimed)
    }

    /// When each scheduled workflow last started and is next due, by name.
    pub async fn schedules(&self) -> Result<Vec<ScheduleStatus>, RunnerError> {
        let zone = &self.config.time_zone;
        let catalogue = self.catalogue();
        let now = self.journal.now();
        let mut statuses = Vec::new();
        for (file, written, schedule) in scheduled(&catalogue) {
            statuses.push(ScheduleStatus {
                workflow: file.workflow.name.value.clone(),
                schedule: written.to_string(),
                next_due: next_due(&schedule, now, zone),
                last: self.journal.last_schedule_claim(&file.workflow.name.value).await?,
            });
        }
        Ok(statuses)
    }

    /// Starts scheduled runs as they fall due, until the task is dropped; `wake` is notified
    /// when one starts so a worker takes it at once.
    pub async fn run_schedules(self: Arc<Runner>, wake: Arc<Notify>) {
        let zone = self.config.time_zone.clone();
        loop {
            match self.start_due_schedules().await {
                Ok(claimed) if claimed.iter().any(|claim| claim.run_id.is_some()) => wake.notify_one(),
                Ok(_) => {}
                Err(error) => tracing::warn!(error = %error, "could not start the scheduled runs due"),
            }
            let now = self.journal.now();
            let soonest =
                scheduled(&self.catalogue()).iter().filter_map(|(_, _, schedule)| next_due(schedule, now, &zone)).min();
            let sleep = soonest.map_or(LONGEST_SLEEP, |due| {
                Duration::from_millis(u64::try_from(due - now).unwrap_or(0)).min(LONGEST_SLEEP)
            });
            tokio::time::sleep(sleep.max(Duration::from_millis(200))).await;
        }
    }

    /// Checks a webhook call's inputs and starts its run, once for an idempotency key: a retry
    /// with the same key and inputs gives the run the first call started, on any instance.
    pub async fn start_from_webhook(
        &self,
        file: &WorkflowFile,
        inputs: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Keyed, RunnerError> {
        let checked = check_inputs(&file.workflow, inputs).map_err(RunnerError::Inputs)?;
        let started_by = StartedBy { channel: "webhook".to_string(), address: String::new(), language: None };
        let Some(key) = idempotency_key else {
            return Ok(Keyed::Started(self.start_checked(file, &checked, &started_by).await?));
        };
        self.ready_to_start(file)?;
        let source_path = file.path.display().to_string();
        let run = new_run(file, &source_path, &checked, &started_by);
        Ok(self.journal.create_run_once(key, &fingerprint(&checked), run).await?)
    }
}

/// The workflows with a schedule, with the schedule as written and as read (a file whose
/// schedule does not read is not in a catalogue: it fails its check).
fn scheduled(catalogue: &Catalogue) -> Vec<(&WorkflowFile, &str, Schedule)> {
    catalogue
        .iter()
        .filter_map(|file| {
            let written = file.workflow.trigger.as_ref()?.schedule.as_ref()?;
            Some((file, written.value.as_str(), Schedule::parse(&written.value).ok()?))
        })
        .collect()
}

/// The first due time after `now`, in milliseconds.
fn next_due(schedule: &Schedule, now: i64, zone: &TimeZone) -> Option<i64> {
    schedule.next_after(&zoned(now, zone)?, zone).map(|due| due.timestamp().as_millisecond())
}

/// The latest due time after `from` and no later than `now`, and how many came before it in
/// that span; `None` when none is due.
fn latest_due(schedule: &Schedule, from: i64, now: i64, zone: &TimeZone) -> Option<(i64, i64)> {
    let mut latest = None;
    let mut earlier = -1;
    let mut cursor = from;
    while let Some(due) = next_due(schedule, cursor, zone).filter(|due| *due <= now) {
        latest = Some(due);
        earlier += 1;
        cursor = due;
    }
    latest.map(|due| (due, earlier))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(text: &str) -> i64 {
        let zone = uk::calendar::london();
        text.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned_datetime(zone.clone())
            .unwrap()
            .timestamp()
            .as_millisecond()
    }

    #[test]
    fn the_latest_due_time_is_found_with_how_many_were_missed_before_it() {
        let zone = uk::calendar::london();
        let daily = Schedule::parse("0 7 * * *").unwrap();
        let found = latest_due(&daily, millis("2026-12-01T07:00"), millis("2026-12-04T09:30"), zone);
        assert_eq!(found, Some((millis("2026-12-04T07:00"), 2)));
        assert_eq!(latest_due(&daily, millis("2026-12-04T07:00"), millis("2026-12-04T09:30"), zone), None);
        assert_eq!(local_time(millis("2026-07-01T07:00"), zone), "2026-07-01 07:00 BST");
    }

    #[test]
    fn a_late_run_says_when_it_was_due_and_what_was_missed() {
        let zone = uk::calendar::london();
        let said = started_for(millis("2026-12-04T07:00"), 2, true, millis("2026-12-04T09:30"), zone);
        assert_eq!(said.channel, "schedule");
        assert_eq!(
            said.address,
            "due 2026-12-04 07:00 GMT, started late at 2026-12-04 09:30 GMT, 2 earlier due times missed"
        );
        assert_eq!(started_for(millis("2026-12-04T07:00"), 0, false, 0, zone).address, "due 2026-12-04 07:00 GMT");
    }
}
