//! The durable runner: starts runs, works them step by step with every outcome journaled, resumes
//! them after a crash without repeating what took effect, and carries out what people decide.

mod alerts;
mod browser_steps;
mod context;
mod execution;
mod http_step;
mod triggers;
mod worker;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{Semaphore, broadcast};
use uk::language::Language;

use crate::allowed_hosts::AllowedHosts;
use crate::browser::{BrowserConfig, Browsers};
use crate::events::RunEvent;
use crate::inputs::check_inputs;
use crate::journal::{Decision, Journal, NewRun, RunRecord, RunStatus, StartedBy, WaitingFor};
use crate::secrets::Secrets;
use crate::workflow::{Catalogue, WorkflowFile, called_workflows, parse_workflow};
pub use alerts::{AlertChange, AlertRules};
use execution::Execution;
pub use triggers::{MissedSchedules, ScheduleStatus, local_time, time_zone};

/// What the person who started a run is told when it stops for a problem only a person can fix.
pub const STUCK_MESSAGE: &str = "We could not finish your request automatically. A member of staff has been told and will \
                                 complete it or contact you.";
/// What a resident is told when a run fails a check it makes of a system's answer.
pub const FAILED_MESSAGE: &str = "We could not finish your request automatically. A member of staff has been told and \
                                  will look at it.";
/// What they are told when a run succeeds without a message of its own.
pub const DONE_MESSAGE: &str = "Your request is complete.";
/// What they are told when a person cancels their run.
pub const CANCELLED_MESSAGE: &str =
    "Your request has been cancelled by the council. Please contact us if you still need help.";

/// What a resident is told of their run when its workflow gives no words of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunNews {
    /// It stopped for a problem only a person can fix.
    Stuck,
    /// It failed a check it makes of a system's answer.
    Failed,
    /// It succeeded.
    Done,
    /// A person cancelled it.
    Cancelled,
}

impl RunNews {
    /// The words in `language`.
    pub fn words(self, language: Language) -> &'static str {
        match (self, language) {
            (RunNews::Stuck, Language::English) => STUCK_MESSAGE,
            (RunNews::Failed, Language::English) => FAILED_MESSAGE,
            (RunNews::Done, Language::English) => DONE_MESSAGE,
            (RunNews::Cancelled, Language::English) => CANCELLED_MESSAGE,
            (RunNews::Stuck, Language::Welsh) => {
                "Doedd dim modd cwblhau eich cais yn awtomatig. Mae aelod o staff wedi cael gwybod a bydd yn ei \
                 gwblhau neu'n cysylltu â chi."
            }
            (RunNews::Failed, Language::Welsh) => {
                "Doedd dim modd cwblhau eich cais yn awtomatig. Mae aelod o staff wedi cael gwybod a bydd yn edrych \
                 arno."
            }
            (RunNews::Done, Language::Welsh) => "Mae eich cais wedi'i gwblhau.",
            (RunNews::Cancelled, Language::Welsh) => {
                "Mae'r cyngor wedi canslo eich cais. Cysylltwch â ni os oes angen help arnoch o hyd."
            }
        }
    }
}

/// What can go wrong starting or acting on a run.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    /// The inputs given do not fit the workflow.
    #[error("the inputs do not fit the workflow:\n  {}", .0.join("\n  "))]
    Inputs(Vec<String>),
    /// Secrets the workflow needs are not set.
    #[error("the workflow needs secrets that are not set:\n  {}", .0.join("\n  "))]
    Secrets(Vec<String>),
    /// No run has that id or reference.
    #[error("no run has the id or reference `{0}`")]
    NoSuchRun(String),
    /// The run is not in a state where that can be done.
    #[error("run {reference} is {status}: {why}")]
    WrongState {
        /// The run's reference.
        reference: String,
        /// Its status.
        status: &'static str,
        /// What cannot be done.
        why: String,
    },
    /// The run's workflow cannot be read.
    #[error("the run's workflow cannot be read: {0}")]
    Workflow(String),
}

/// How the runner works.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// This instance's name, recorded on the runs it holds.
    pub instance: String,
    /// How long a run stays held by an instance that stops renewing it (because it died).
    pub lease: Duration,
    /// The time limit of a step that sets none (and whose system sets none).
    pub step_timeout: Duration,
    /// Where browsers come from.
    pub browsers: BrowserConfig,
    /// Base URLs of systems that replace the ones their workflows give, by system name.
    pub system_urls: std::collections::BTreeMap<String, String>,
    /// The hosts `open` and `http` steps may reach (`[automation] allowed_hosts`); empty for any.
    pub allowed_hosts: AllowedHosts,
    /// The time zone schedules are due in.
    pub time_zone: jiff::tz::TimeZone,
    /// What happens to due times missed while no instance was running.
    pub missed_schedules: MissedSchedules,
    /// When a workflow in trouble is alerted about.
    pub alert_rules: AlertRules,
    /// The council the runs are for, as templates read it at `run.council`: its name and the
    /// settings its workflows take, so that one workflow serves several councils.
    pub council: Map<String, Value>,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            instance: format!("{}-{}", hostname(), std::process::id()),
            lease: Duration::from_secs(60),
            step_timeout: Duration::from_secs(30),
            browsers: BrowserConfig::default(),
            system_urls: std::collections::BTreeMap::new(),
            allowed_hosts: AllowedHosts::default(),
            time_zone: uk::calendar::london().clone(),
            missed_schedules: MissedSchedules::default(),
            alert_rules: AlertRules::default(),
            council: Map::new(),
        }
    }
}

impl RunnerConfig {
    /// The base URL a deployment gives a system, if it gives one.
    pub fn system_url(&self, system: Option<&crate::workflow::TargetSystem>) -> Option<String> {
        system.and_then(|system| self.system_urls.get(&system.name.to_ascii_lowercase())).cloned()
    }
}

/// A new run of a workflow file (`source_path` is where it was read from, as text).
fn new_run<'a>(
    file: &'a WorkflowFile,
    source_path: &'a str,
    inputs: &'a Map<String, Value>,
    started_by: &'a StartedBy,
) -> NewRun<'a> {
    NewRun {
        workflow: &file.workflow.name.value,
        version: i64::from(file.workflow.version),
        definition: &file.source,
        source_path,
        inputs,
        started_by,
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "councilbot".to_string())
}

/// Starts, works and resumes workflow runs.
#[derive(Debug)]
pub struct Runner {
    journal: Journal,
    catalogue: RwLock<Arc<Catalogue>>,
    secrets: Secrets,
    browsers: Browsers,
    events: broadcast::Sender<RunEvent>,
    systems: std::sync::Mutex<HashMap<String, Arc<Semaphore>>>,
    config: RunnerConfig,
}

impl Runner {
    /// A runner over a journal, with the council's workflows (for `call` steps) and its secrets.
    pub fn new(journal: Journal, catalogue: Catalogue, secrets: Secrets, config: RunnerConfig) -> Runner {
        let (events, _) = broadcast::channel(1024);
        Runner {
            journal,
            catalogue: RwLock::new(Arc::new(catalogue)),
            secrets,
            browsers: Browsers::new(config.browsers.clone()),
            events,
            systems: std::sync::Mutex::new(HashMap::new()),
            config,
        }
    }

    /// How the runner works.
    pub fn config(&self) -> &RunnerConfig {
        &self.config
    }

    /// The journal runs are kept in.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The workflows runs can call.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue
            .read()
            .map(|catalogue| catalogue.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Replaces the workflows runs can call; runs already working keep their own steps.
    pub fn set_catalogue(&self, catalogue: Catalogue) {
        let mut slot = self.catalogue.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Arc::new(catalogue);
    }

    /// Events of every run from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RunEvent> {
        self.events.subscribe()
    }

    fn emit(&self, event: RunEvent) {
        let _ = self.events.send(event);
    }

    /// Checks inputs and secrets, and records a new queued run of a workflow.
    pub async fn start(
        &self,
        file: &WorkflowFile,
        inputs: &[(String, String)],
        started_by: &StartedBy,
    ) -> Result<RunRecord, RunnerError> {
        let checked = check_inputs(&file.workflow, inputs).map_err(RunnerError::Inputs)?;
        self.start_checked(file, &checked, started_by).await
    }

    /// Records a new queued run with inputs already checked (as the conversation engine does).
    pub async fn start_checked(
        &self,
        file: &WorkflowFile,
        inputs: &Map<String, Value>,
        started_by: &StartedBy,
    ) -> Result<RunRecord, RunnerError> {
        self.ready_to_start(file)?;
        let source_path = file.path.display().to_string();
        let run = self.journal.create_run(new_run(file, &source_path, inputs, started_by)).await?;
        self.emit(RunEvent::RunQueued { run_id: run.id.clone() });
        Ok(run)
    }

    /// The bearer token a workflow's webhook accepts, when it has a webhook and its secret is
    /// set.
    pub fn webhook_token(&self, file: &WorkflowFile) -> Option<String> {
        let webhook = file.workflow.trigger.as_ref()?.webhook.as_ref()?;
        self.secrets.get(&webhook.token_secret.value).map(str::to_string)
    }

    /// Whether a workflow can start: its steps are whole and its secrets are set.
    fn ready_to_start(&self, file: &WorkflowFile) -> Result<(), RunnerError> {
        if !file.well_formed {
            return Err(RunnerError::Workflow(format!("{} has a step without a single kind", file.path.display())));
        }
        self.secrets_for(file).map_err(RunnerError::Secrets)?;
        Ok(())
    }

    /// The secrets a workflow and the workflows it calls use, or what is missing.
    fn secrets_for(&self, file: &WorkflowFile) -> Result<std::collections::BTreeMap<String, String>, Vec<String>> {
        let catalogue = self.catalogue();
        let mut names: Vec<String> = Vec::new();
        let mut pending = vec![file.clone()];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(next) = pending.pop() {
            if !seen.insert(next.workflow.name.value.clone()) {
                continue;
            }
            names.extend(next.workflow.secrets.iter().map(|secret| secret.value.clone()));
            for callee in called_workflows(&next.steps) {
                if let Some(file) = catalogue.get(&callee) {
                    pending.push(file.clone());
                }
            }
        }
        self.secrets.select(names.iter().map(String::as_str))
    }

    /// Stops the browsers this runner started, and their ChromeDriver.
    pub async fn stop_browsers(&self) {
        self.browsers.stop().await;
    }

    /// Works a run until it ends or waits for a person, if this instance can take it (it is
    /// queued, or held by an instance whose lease lapsed). Returns the run as it then is, or
    /// `None` when it could not be taken.
    pub async fn work(&self, run_id: &str) -> Result<Option<RunRecord>, RunnerError> {
        match self.journal.claim(run_id, &self.config.instance, self.lease_millis()).await? {
            Some(run) => self.work_claimed(run).await.map(Some),
            None => Ok(None),
        }
    }

    /// Takes the oldest run ready to work, if any, and works it until it ends or waits for a
    /// person. Returns the run as it then is.
    pub async fn work_next(&self) -> Result<Option<RunRecord>, RunnerError> {
        match self.claim_next().await? {
            Some(run) => self.work_claimed(run).await.map(Some),
            None => Ok(None),
        }
    }

    /// Works every run that is ready, one after another, until none is left: queued runs, runs
    /// left by an instance that died, and runs whose human task ran out of time. Other
    /// instances doing the same take different runs. Returns the runs worked here.
    pub async fn work_ready(&self) -> Result<Vec<RunRecord>, RunnerError> {
        self.journal.requeue_overdue_tasks().await?;
        let mut worked = Vec::new();
        while let Some(run) = self.work_next().await? {
            worked.push(run);
        }
        Ok(worked)
    }

    /// Takes the oldest run ready to work for this instance; no other instance can take it
    /// while this one holds it.
    pub(crate) async fn claim_next(&self) -> Result<Option<RunRecord>, RunnerError> {
        Ok(self.journal.claim_next(&self.config.instance, self.lease_millis()).await?)
    }

    /// The workflow as it was recorded with a run: the catalogue's copy when the run's text is
    /// the same (read once, when the catalogue was), else the recorded text read again.
    fn recorded_workflow(&self, run: &RunRecord) -> Result<WorkflowFile, crate::workflow::Diagnostic> {
        let catalogue = self.catalogue();
        match catalogue.get(&run.workflow) {
            Some(file) if file.source == run.definition && file.path == std::path::Path::new(&run.source_path) => {
                Ok(file.clone())
            }
            _ => parse_workflow(std::path::Path::new(&run.source_path), run.definition.clone()),
        }
    }

    /// Works a run this instance holds.
    pub(crate) async fn work_claimed(&self, run: RunRecord) -> Result<RunRecord, RunnerError> {
        let run_id = run.id.clone();
        let run_id = run_id.as_str();
        let file = match self.recorded_workflow(&run) {
            Ok(file) if file.well_formed => file,
            Ok(_) => {
                let reason = "the workflow recorded with the run has a step without a single kind".to_string();
                self.journal.wait(&run.id, WaitingFor::Error, None, Some(&reason)).await?;
                return Err(RunnerError::Workflow(reason));
            }
            Err(diagnostic) => {
                let reason = format!("the workflow recorded with the run no longer parses: {diagnostic}");
                self.journal.wait(&run.id, WaitingFor::Error, None, Some(&reason)).await?;
                return Err(RunnerError::Workflow(reason));
            }
        };
        let (_heartbeat, lost) = self.heartbeat(&run.id);
        match Execution::new(self, run, file, lost).await?.run().await? {
            Some(stopped) => Ok(stopped),
            None => self.journal.run(run_id).await?.ok_or_else(|| RunnerError::NoSuchRun(run_id.to_string())),
        }
    }

    /// This instance and the lease it takes runs for, to renew its hold on a run.
    pub(crate) fn holder(&self) -> (&str, i64) {
        (&self.config.instance, self.lease_millis())
    }

    fn lease_millis(&self) -> i64 {
        self.config.lease.as_millis() as i64
    }

    /// Keeps this instance's hold on a run while it works it (until the value is dropped); the
    /// flag is raised when the hold is lost, and the run then stops before its next step.
    fn heartbeat(&self, run_id: &str) -> (Heartbeat, Arc<AtomicBool>) {
        let journal = self.journal.clone();
        let (run_id, instance, lease) = (run_id.to_string(), self.config.instance.clone(), self.config.lease);
        let lost = Arc::new(AtomicBool::new(false));
        let raised = lost.clone();
        let beating = tokio::spawn(async move {
            let every = (lease / 3).max(Duration::from_millis(100));
            loop {
                tokio::time::sleep(every).await;
                if let Ok(false) = journal.renew(&run_id, &instance, lease.as_millis() as i64).await {
                    tracing::warn!(run = %run_id, "this instance no longer holds the run; it stops before its next step");
                    raised.store(true, Ordering::SeqCst);
                    return;
                }
            }
        });
        (Heartbeat(beating), lost)
    }

    /// The run with this id or reference.
    pub async fn find(&self, id_or_reference: &str) -> Result<RunRecord, RunnerError> {
        self.journal.run(id_or_reference).await?.ok_or_else(|| RunnerError::NoSuchRun(id_or_reference.to_string()))
    }

    /// Puts a run that waits after an error (or failed) back in the queue to be tried again:
    /// completed steps are not repeated. Returns the run, ready for [`Runner::work`].
    pub async fn retry(&self, id_or_reference: &str, actor: &str) -> Result<RunRecord, RunnerError> {
        let run = self.find(id_or_reference).await?;
        if !(run.status == RunStatus::Failed
            || (run.status == RunStatus::Waiting && run.waiting_for == Some(WaitingFor::Error)))
        {
            return Err(wrong_state(&run, "only a run that failed or waits after an error can be retried"));
        }
        if !self.journal.requeue(&run.id).await? {
            return Err(wrong_state(&run, "it changed while being retried"));
        }
        self.journal.record_action(&run.id, actor, "retry", "").await?;
        self.emit(RunEvent::RunQueued { run_id: run.id.clone() });
        self.find(&run.id).await
    }

    /// Ends a waiting run as done by hand, with the outputs a person entered; every declared
    /// output is needed.
    pub async fn complete(
        &self,
        id_or_reference: &str,
        outputs: &[(String, String)],
        actor: &str,
    ) -> Result<RunRecord, RunnerError> {
        let run = self.find(id_or_reference).await?;
        if run.status != RunStatus::Waiting && run.status != RunStatus::Failed {
            return Err(wrong_state(&run, "only a waiting or failed run can be completed by hand"));
        }
        let file = self.recorded_workflow(&run).map_err(|diagnostic| RunnerError::Workflow(diagnostic.to_string()))?;
        let declared = &file.workflow.outputs;
        let mut problems = Vec::new();
        for (name, _) in outputs {
            if !declared.contains_key(name) {
                problems.push(format!("`{name}` is not an output of `{}`", run.workflow));
            }
        }
        let mut values = Map::new();
        for (name, meaning) in declared {
            match outputs.iter().rev().find(|(given, _)| given == name) {
                Some((_, value)) => {
                    values.insert(name.clone(), Value::String(value.clone()));
                }
                None => problems.push(format!("output `{name}` is needed ({meaning})")),
            }
        }
        if !problems.is_empty() {
            return Err(RunnerError::Inputs(problems));
        }
        let message = completion_message(&values, run.started_by.language.unwrap_or_default());
        self.journal.finish(&run.id, RunStatus::Succeeded, &values, Some(&message), Some("completed by hand")).await?;
        self.journal
            .record_action(&run.id, actor, "complete", &serde_json::to_string(&values).unwrap_or_default())
            .await?;
        self.journal.notify(&run.id, "resident", &run.started_by, &message).await?;
        let run = self.find(&run.id).await?;
        self.emit_stopped(&run);
        Ok(run)
    }

    /// Records a decision on the human task a run waits on, and puts it back in the queue.
    pub async fn decide(
        &self,
        id_or_reference: &str,
        decision: Decision,
        actor: &str,
    ) -> Result<RunRecord, RunnerError> {
        let run = self.find(id_or_reference).await?;
        check_decision(&run, &decision)?;
        let action = if decision.approved { "approve" } else { "reject" };
        let detail = decision.comment.clone();
        if !self.journal.decide(&run.id, decision).await? {
            return Err(wrong_state(&run, "it changed while the decision was recorded"));
        }
        self.journal.record_action(&run.id, actor, action, &detail).await?;
        self.emit(RunEvent::RunQueued { run_id: run.id.clone() });
        self.find(&run.id).await
    }

    /// Cancels a run that has not ended; a run being worked stops before its next step.
    pub async fn cancel(&self, id_or_reference: &str, actor: &str, reason: &str) -> Result<RunRecord, RunnerError> {
        let run = self.find(id_or_reference).await?;
        if !self.journal.cancel(&run.id).await? {
            return Err(wrong_state(&run, "it has already ended"));
        }
        self.journal.record_action(&run.id, actor, "cancel", reason).await?;
        let cancelled = RunNews::Cancelled.words(run.started_by.language.unwrap_or_default());
        self.journal.notify(&run.id, "resident", &run.started_by, cancelled).await?;
        let run = self.find(&run.id).await?;
        self.emit_stopped(&run);
        Ok(run)
    }

    fn emit_stopped(&self, run: &RunRecord) {
        self.emit(RunEvent::RunStopped {
            run_id: run.id.clone(),
            reference: run.reference.clone(),
            status: run.status,
            waiting_for: run.waiting_for,
            message: run.message.clone(),
        });
    }

    /// The permit to use a system, waiting while as many runs as it allows are using it.
    async fn system_permit(&self, name: &str, concurrency: u32) -> tokio::sync::OwnedSemaphorePermit {
        let semaphore = {
            let mut systems = self.systems.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            systems
                .entry(name.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(concurrency.max(1) as usize)))
                .clone()
        };
        // The semaphore is never closed, so acquiring cannot fail.
        semaphore.acquire_owned().await.expect("system semaphores are never closed")
    }
}

/// The task renewing a run's lease; it stops when dropped, as when the work on the run ends or
/// is abandoned.
struct Heartbeat(tokio::task::JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn wrong_state(run: &RunRecord, why: &str) -> RunnerError {
    RunnerError::WrongState { reference: run.reference.clone(), status: run.status.as_str(), why: why.to_string() }
}

/// What the resident is told of a run done, naming its outputs.
pub fn completion_message(outputs: &Map<String, Value>, language: Language) -> String {
    let details: Vec<String> = outputs
        .iter()
        .filter_map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Null => return None,
                other => other.to_string(),
            };
            let mut label = name.replace('_', " ");
            if let Some(first) = label.get(..1) {
                label = format!("{}{}", first.to_uppercase(), &label[1..]);
            }
            Some(format!("{label}: {text}"))
        })
        .collect();
    let done = RunNews::Done.words(language);
    if details.is_empty() { done.to_string() } else { format!("{done} {}.", details.join(", ")) }
}

/// Whether `decision` can be recorded on `run`: the run waits on a human task and an approval
/// fills every field the task asks for.
pub fn check_decision(run: &RunRecord, decision: &Decision) -> Result<(), RunnerError> {
    let Some(task) = run.task.as_ref().filter(|_| run.waiting_for == Some(WaitingFor::Task)) else {
        return Err(wrong_state(run, "it is not waiting on a human task"));
    };
    let filled = |name: &str| {
        decision.values.get(name).is_some_and(|value| value.as_str().is_none_or(|text| !text.trim().is_empty()))
    };
    let missing: Vec<String> = task
        .fields
        .iter()
        .filter(|(name, _)| decision.approved && !filled(name))
        .map(|(name, prompt)| format!("field `{name}` is needed ({prompt})"))
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(RunnerError::Inputs(missing)) }
}
