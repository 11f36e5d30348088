//! Watching for workflows in trouble: one whose latest runs fail at or above a share set by the
//! council, or whose system stops answering, raises an alert; it clears when that is over. Each
//! change is reported once, by the instance that made it.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Runner, RunnerError};

/// How long a system has to answer a check before it counts as not answering.
const SYSTEM_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// When a workflow is alerted about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRules {
    /// How many of a workflow's latest finished runs its failure rate is measured over; fewer
    /// finished runs raise nothing.
    pub runs: usize,
    /// The share of those runs failing at which the alert is raised (it clears below it).
    pub failure_rate: f64,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules { runs: 10, failure_rate: 0.5 }
    }
}

/// An alert raised or cleared.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChange {
    /// The workflow.
    pub workflow: String,
    /// What is wrong: `failing` or `unreachable`.
    pub kind: &'static str,
    /// Whether it was raised (or cleared).
    pub raised: bool,
    /// What is wrong, or was, in words.
    pub detail: String,
}

impl Runner {
    /// Looks at every workflow's latest runs and system, raises the alerts now due and clears
    /// those that are over; returns what this instance changed.
    pub async fn check_alerts(&self) -> Result<Vec<AlertChange>, RunnerError> {
        let rules = self.config.alert_rules;
        let catalogue = self.catalogue();
        let mut changes = Vec::new();
        // Each system is checked once, however many workflows use it.
        let mut answering: BTreeMap<String, Option<String>> = BTreeMap::new();
        let client = http_client::client_builder()
            .timeout(SYSTEM_CHECK_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| RunnerError::Workflow(format!("no HTTP client for checking systems: {error}")))?;
        for file in catalogue.iter() {
            let workflow = &file.workflow.name.value;
            let outcomes = self.journal.latest_outcomes(workflow, rules.runs as i64).await?;
            let failed = outcomes.iter().filter(|failed| **failed).count();
            let failing =
                outcomes.len() >= rules.runs.max(1) && failed as f64 / outcomes.len() as f64 >= rules.failure_rate;
            let detail = format!("{failed} of its last {} finished runs failed", outcomes.len());
            changes.extend(self.set_alert(workflow, "failing", failing, &detail).await?);

            let Some(url) = self.system_to_check(file) else { continue };
            if !answering.contains_key(&url) {
                let problem = system_answers(&client, &url).await.err();
                answering.insert(url.clone(), problem);
            }
            let problem = answering.get(&url).cloned().flatten();
            let system = file.workflow.system.as_ref().map_or("its system", |system| system.name.as_str());
            let detail = match &problem {
                Some(problem) => format!("{system} at {url} is not answering: {problem}"),
                None => format!("{system} at {url} is answering again"),
            };
            changes.extend(self.set_alert(workflow, "unreachable", problem.is_some(), &detail).await?);
        }
        Ok(changes)
    }

    /// Raises or clears one alert; the change, when this instance made one.
    async fn set_alert(
        &self,
        workflow: &str,
        kind: &'static str,
        up: bool,
        detail: &str,
    ) -> Result<Option<AlertChange>, RunnerError> {
        let changed = if up {
            self.journal.raise_alert(workflow, kind, detail).await?
        } else {
            self.journal.clear_alert(workflow, kind).await?
        };
        Ok(changed.then(|| AlertChange {
            workflow: workflow.to_string(),
            kind,
            raised: up,
            detail: detail.to_string(),
        }))
    }

    /// The address of the system a workflow works on, when it has one to check.
    fn system_to_check(&self, file: &crate::workflow::WorkflowFile) -> Option<String> {
        let system = file.workflow.system.as_ref()?;
        let url = self.config.system_url(Some(system)).unwrap_or_else(|| system.base_url.value.clone());
        let checkable = (url.starts_with("http://") || url.starts_with("https://")) && !url.contains("{{");
        checkable.then_some(url)
    }
}

/// Whether a system answers at all: any HTTP answer will do; no answer in time is a problem.
async fn system_answers(client: &reqwest::Client, url: &str) -> Result<(), String> {
    match client.get(url).send().await {
        Ok(_) => Ok(()),
        Err(error) if error.is_timeout() => Err(format!("no answer within {} seconds", SYSTEM_CHECK_TIMEOUT.as_secs())),
        Err(error) if error.is_connect() => Err("the connection was refused or could not be made".to_string()),
        Err(_) => Err("the request failed".to_string()),
    }
}
