//! Working one run: its steps in order, each attempt journaled; on resume, steps with a lasting
//! effect that completed are replayed from the journal instead of being done again.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use storage::StorageError;
use tokio::sync::OwnedSemaphorePermit;

use super::context::{Frame, changes};
use super::{RunNews, Runner, RunnerError, browser_steps, completion_message, http_step};
use crate::browser::{BrowserError, Page};
use crate::events::RunEvent;
use crate::journal::{
    EndedStep, Ending, HumanTask, NewStep, Notice, RunRecord, RunStatus, StartedBy, StepStatus, WaitingFor,
};
use crate::workflow::{Located, Recipient, Step, StepKind, WorkflowFile};
use uk::language::Language;
use uk::redact::Redactor;

/// How much longer than its own time limit a step may take before it is cut off: browser waits
/// end by themselves at the limit, and a command in flight gets this long to return.
const GRACE: Duration = Duration::from_secs(5);
/// How often a working run asks the journal whether it was cancelled.
const CANCEL_CHECK_INTERVAL: Duration = Duration::from_millis(250);
/// The deepest chain of `call`s followed.
const MAX_CALL_DEPTH: usize = 8;

/// What happens after a step.
#[derive(Debug)]
pub(super) enum Flow {
    /// Go on to the next step.
    Next,
    /// The workflow succeeded with these outputs.
    Succeed { outputs: Map<String, Value>, message: Option<String> },
    /// The workflow failed on purpose.
    Fail { message: String, reason: Option<String> },
    /// The workflow stopped for a person to deal with.
    Escalate { reason: String },
    /// The run waits for a person to act on a human task.
    Wait,
    /// A person cancelled the run.
    Cancelled,
}

/// An attempt of a step under way: its number, its row in the journal if it has one yet, and
/// when it began.
struct Attempt {
    number: i64,
    seq: Option<i64>,
    started_at: i64,
}

/// What the journal records of a step attempt as it begins.
fn new_step<'a>(step: &'a Step, key: &'a str, name: &'a str, attempt: i64) -> NewStep<'a> {
    NewStep { key, id: step.common.id.as_deref().map(String::as_str), kind: step.kind.name(), name, attempt }
}

/// A step that failed: where, what it was, and why (masked).
#[derive(Debug, Clone)]
pub(super) struct Failure {
    key: String,
    name: String,
    message: String,
    lost: bool,
    /// A check (`assert`) that did not hold, which fails the run rather than waiting for a person.
    check: bool,
}

/// Why a run stopped before its steps were done.
#[derive(Debug)]
pub(super) enum Interrupt {
    /// A step failed.
    Step(Failure),
    /// The journal could not be written: stop at once, and let the run be resumed.
    Storage(StorageError),
    /// This instance no longer holds the run (another took it over after the hold lapsed, or it
    /// was cancelled): stop at once, record nothing more.
    TakenOver,
}

impl From<StorageError> for Interrupt {
    fn from(error: StorageError) -> Interrupt {
        Interrupt::Storage(error)
    }
}

type StepResult = Result<Flow, Interrupt>;
type BoxedStep<'a> = Pin<Box<dyn Future<Output = StepResult> + Send + 'a>>;

/// What the journal says of one step of the run so far.
#[derive(Debug, Default)]
struct KeyHistory {
    attempts: i64,
    completed: Option<Map<String, Value>>,
}

/// One run being worked by this instance.
pub(super) struct Execution<'r> {
    runner: &'r Runner,
    run: RunRecord,
    file: WorkflowFile,
    history: HashMap<String, KeyHistory>,
    page: Option<Page>,
    permit: Option<OwnedSemaphorePermit>,
    redactor: Redactor,
    secrets: BTreeMap<String, String>,
    missing_secrets: Vec<String>,
    last_cancel_check: Option<Instant>,
    http: Option<reqwest::Client>,
    hold_lost: Arc<AtomicBool>,
    /// The `progress` text of the nearest step, block or workflow enclosing the current step.
    progress: Option<String>,
    /// The run as it stood when it stopped here.
    stopped_as: Option<RunRecord>,
    /// Step attempts that ended and are not yet written: they go with the run's next write.
    ended_steps: Vec<EndedStep>,
}

impl<'r> Execution<'r> {
    /// Prepares to work a run this instance has claimed.
    pub(super) async fn new(
        runner: &'r Runner,
        run: RunRecord,
        file: WorkflowFile,
        hold_lost: Arc<AtomicBool>,
    ) -> Result<Execution<'r>, RunnerError> {
        let mut history: HashMap<String, KeyHistory> = HashMap::new();
        // A run taken for the first time has no steps yet.
        let recorded = if run.claims == 1 { Vec::new() } else { runner.journal.steps(&run.id).await? };
        for step in recorded {
            let entry = history.entry(step.step_key.clone()).or_default();
            entry.attempts = entry.attempts.max(step.attempt);
            if matches!(step.status, StepStatus::Completed | StepStatus::Skipped) {
                entry.completed = Some(step.effects.clone());
            }
        }
        let (secrets, missing_secrets) = match runner.secrets_for(&file) {
            Ok(secrets) => (secrets, Vec::new()),
            Err(missing) => (BTreeMap::new(), missing),
        };
        let personal: Vec<String> = file
            .workflow
            .inputs
            .iter()
            .filter(|input| input.personal)
            .filter_map(|input| run.inputs.get(&input.name.value))
            .map(|value| match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            })
            .collect();
        let secret_values: Vec<&String> = secrets.values().collect();
        let redactor = Redactor::new(&secret_values, &personal);
        Ok(Execution {
            runner,
            run,
            file,
            history,
            page: None,
            permit: None,
            redactor,
            secrets,
            missing_secrets,
            // The run was claimed a moment ago, which a cancelled run cannot be.
            last_cancel_check: Some(Instant::now()),
            http: None,
            hold_lost,
            progress: None,
            stopped_as: None,
            ended_steps: Vec::new(),
        })
    }

    /// This run's HTTP client, made at its first `http` step: cookies a system sets go with the
    /// run's later requests to it, as a browser's would, while this instance works the run.
    fn http_client(&mut self) -> Result<reqwest::Client, String> {
        if let Some(client) = &self.http {
            return Ok(client.clone());
        }
        let client = http_client::client_builder()
            .cookie_store(true)
            .redirect(self.runner.config.allowed_hosts.redirect_policy())
            .build()
            .map_err(|error| format!("no HTTP client could be made: {error}"))?;
        self.http = Some(client.clone());
        Ok(client)
    }

    /// Works the run until it ends or waits, and records how it stopped.
    /// Works the run until it ends, waits or is stopped; the run as it then stands, when this
    /// instance still held it.
    pub(super) async fn run(mut self) -> Result<Option<RunRecord>, RunnerError> {
        self.work().await?;
        self.write_ended_steps().await?;
        Ok(self.stopped_as)
    }

    /// Writes the step attempts that ended since the run last wrote.
    async fn write_ended_steps(&mut self) -> Result<(), StorageError> {
        if !self.ended_steps.is_empty() {
            self.runner.journal.steps_ended(&self.run.id, &self.ended_steps).await?;
            self.ended_steps.clear();
        }
        Ok(())
    }

    async fn work(&mut self) -> Result<(), RunnerError> {
        if !self.missing_secrets.is_empty() {
            let reason = self.missing_secrets.join("; ");
            return self.stuck(&reason).await;
        }
        let workflow = Arc::new(self.file.workflow.clone());
        self.progress = workflow.progress.as_ref().map(|text| text.value.in_language(self.language()).to_string());
        let mut frame = Frame::new(
            workflow.clone(),
            self.run.inputs.clone(),
            self.secrets.clone(),
            self.run_value(),
            self.runner.config.system_url(workflow.system.as_ref()),
        );
        let steps = self.file.steps.clone();
        let outcome = self.run_steps(&mut frame, &steps, "".to_string(), 0).await;
        if let Some(page) = self.page.take() {
            page.close().await;
        }
        self.permit = None;
        match outcome {
            Ok(Flow::Next) if workflow.outputs.is_empty() => self.succeed(Map::new(), None).await,
            Ok(Flow::Next) => self.stuck("the workflow ended without a `succeed` step giving its outputs").await,
            Ok(Flow::Succeed { outputs, message }) => self.succeed(outputs, message).await,
            Ok(Flow::Fail { message, reason }) => self.fail(&message, reason.as_deref()).await,
            Ok(Flow::Wait) => {
                let title = self.run.task.as_ref().map(|task| task.title.clone()).unwrap_or_default();
                let staff = StartedBy { channel: "staff".to_string(), address: String::new(), language: None };
                let note = format!("Run {} of {} needs a decision: {title}", self.run.reference, self.run.workflow);
                self.runner.journal.notify(&self.run.id, "staff", &staff, &note).await?;
                self.stopped().await
            }
            Ok(Flow::Cancelled) => self.stopped().await,
            Ok(Flow::Escalate { reason }) => self.stuck(&reason).await,
            Err(Interrupt::Step(failure)) => {
                let reason = if failure.name.is_empty() {
                    format!("step {} failed: {}", failure.key, failure.message)
                } else {
                    format!("step {} ({}) failed: {}", failure.key, failure.name, failure.message)
                };
                if failure.check {
                    self.fail(RunNews::Failed.words(self.language()), Some(&reason)).await
                } else {
                    self.stuck(&reason).await
                }
            }
            Err(Interrupt::Storage(error)) => Err(error.into()),
            Err(Interrupt::TakenOver) => {
                // The hold also ends when a person cancels the run: that is a stop like any other.
                if self.runner.journal.status(&self.run.id).await? == Some(RunStatus::Cancelled) {
                    return self.stopped().await;
                }
                tracing::warn!(run = %self.run.reference, "another instance took the run over; this one stopped");
                Ok(())
            }
        }
    }

    /// The language of the person who started the run.
    fn language(&self) -> Language {
        self.run.started_by.language.unwrap_or_default()
    }

    fn run_value(&self) -> Value {
        json!({
            "id": self.run.id,
            "reference": self.run.reference,
            "workflow": self.run.workflow,
            "channel": self.run.started_by.channel,
            "language": self.language().code(),
            "today": uk::calendar::today(),
            "council": self.runner.config.council,
        })
    }

    async fn succeed(&mut self, outputs: Map<String, Value>, message: Option<String>) -> Result<(), RunnerError> {
        let outputs = self.mask(&outputs, true);
        let message =
            self.redactor.redact_secrets(&message.unwrap_or_else(|| completion_message(&outputs, self.language())));
        let ending = Ending { status: RunStatus::Succeeded, outputs: &outputs, message: Some(&message), reason: None };
        let told = Notice { audience: "resident", recipient: &self.run.started_by, message: &message };
        let ended = self.runner.journal.finish_after(&self.run.id, &self.ended_steps, ending, &[told]).await?;
        self.ended_steps.clear();
        self.stopped_with(ended).await
    }

    async fn fail(&mut self, message: &str, reason: Option<&str>) -> Result<(), RunnerError> {
        let message = &self.redactor.redact_secrets(message);
        let reason = reason.map(|reason| self.redactor.redact(reason));
        let staff = StartedBy { channel: "staff".to_string(), address: String::new(), language: None };
        let note = format!(
            "Run {} of {} ended as failed: {}",
            self.run.reference,
            self.run.workflow,
            reason.as_deref().unwrap_or(message)
        );
        let outputs = Map::new();
        let ending =
            Ending { status: RunStatus::Failed, outputs: &outputs, message: Some(message), reason: reason.as_deref() };
        let notices = [
            Notice { audience: "resident", recipient: &self.run.started_by, message },
            Notice { audience: "staff", recipient: &staff, message: &note },
        ];
        let ended = self.runner.journal.finish_after(&self.run.id, &self.ended_steps, ending, &notices).await?;
        self.ended_steps.clear();
        self.stopped_with(ended).await
    }

    /// The run waits for a person after a problem it cannot get past.
    async fn stuck(&mut self, reason: &str) -> Result<(), RunnerError> {
        self.write_ended_steps().await?;
        let reason = self.redactor.redact(reason);
        self.runner.journal.wait(&self.run.id, WaitingFor::Error, None, Some(&reason)).await?;
        let stuck = RunNews::Stuck.words(self.language());
        self.runner.journal.notify(&self.run.id, "resident", &self.run.started_by, stuck).await?;
        let staff = StartedBy { channel: "staff".to_string(), address: String::new(), language: None };
        let note = format!("Run {} of {} needs a person: {reason}", self.run.reference, self.run.workflow);
        self.runner.journal.notify(&self.run.id, "staff", &staff, &note).await?;
        self.stopped().await
    }

    async fn stopped(&mut self) -> Result<(), RunnerError> {
        self.stopped_with(None).await
    }

    /// Records how the run stopped: `ended` is the run as its last write left it, when that
    /// write gave it back; otherwise it is read.
    async fn stopped_with(&mut self, ended: Option<RunRecord>) -> Result<(), RunnerError> {
        self.write_ended_steps().await?;
        let run = match ended {
            Some(run) => Some(run),
            None => self.runner.journal.run(&self.run.id).await?,
        };
        if let Some(run) = run {
            self.runner.emit_stopped(&run);
            self.stopped_as = Some(run);
        }
        Ok(())
    }

    /// Runs steps in order; each gets the key `prefix` + its position from 1.
    fn run_steps<'a>(
        &'a mut self,
        frame: &'a mut Frame,
        steps: &'a [Located<Step>],
        prefix: String,
        depth: usize,
    ) -> BoxedStep<'a> {
        Box::pin(async move {
            for (position, step) in steps.iter().enumerate() {
                let key = format!("{prefix}{}", position + 1);
                match self.run_step(frame, &step.value, &key, depth).await? {
                    Flow::Next => {}
                    other => return Ok(other),
                }
            }
            Ok(Flow::Next)
        })
    }

    /// Runs one step, under its own `progress` text when it has one.
    async fn run_step(&mut self, frame: &mut Frame, step: &Step, key: &str, depth: usize) -> StepResult {
        let enclosing = self.progress.clone();
        if let Some(own) = &step.common.progress {
            self.progress = Some(own.value.in_language(self.language()).to_string());
        }
        let outcome = self.work_step(frame, step, key, depth).await;
        self.progress = enclosing;
        outcome
    }

    /// Works one step: its condition, replay, idempotency check, attempts and error branch.
    async fn work_step(&mut self, frame: &mut Frame, step: &Step, key: &str, depth: usize) -> StepResult {
        if self.hold_lost.load(Ordering::SeqCst) {
            return Err(Interrupt::TakenOver);
        }
        if self.cancelled().await? {
            return Ok(Flow::Cancelled);
        }
        let lasting = self.is_lasting(step, depth);
        // A step that holds others or has a lasting effect is journaled as it begins, with the
        // attempts that ended before it; before any other step that may take time they are
        // written at once, so that the run's page is never far behind.
        let kept_from_the_start = step.kind.holds_steps() || lasting;
        if !kept_from_the_start && !step.kind.is_instant() {
            self.write_ended_steps().await?;
        }
        if let Some(condition) = &step.common.when {
            match frame.truth(condition) {
                Ok(true) => {}
                Ok(false) => {
                    self.record_outside_attempts(step, key, StepStatus::Skipped, &Map::new(), "its `when` is false")
                        .await?;
                    return Ok(Flow::Next);
                }
                Err(error) => return Err(self.failure(key, step, &format!("`when`: {error}"), false)),
            }
        }
        if self.is_lasting(step, 0)
            && let Some(effects) = self.history.get(key).and_then(|history| history.completed.clone())
        {
            frame.vars.extend(effects);
            self.emit_finished(
                step,
                key,
                0,
                StepStatus::Completed,
                0,
                Some("done before the run was resumed".to_string()),
            );
            return Ok(Flow::Next);
        }
        if step.common.submits && self.attempts_of(key) > 0 && self.already_done(frame, step, key, depth).await? {
            return Ok(Flow::Next);
        }
        let attempts = step.common.retry.as_ref().map_or(1, |retry| retry.attempts.max(1));
        let mut last_failure = None;
        for round in 1..=attempts {
            if round > 1 {
                tokio::time::sleep(backoff(step, round - 1)).await;
                if self.cancelled().await? {
                    return Ok(Flow::Cancelled);
                }
                if step.common.submits && self.already_done(frame, step, key, depth).await? {
                    return Ok(Flow::Next);
                }
            }
            let name = step.describe();
            let begun = self.begin_attempt(step, key, kept_from_the_start, lasting).await?;
            let attempt = begun.number;
            self.runner.emit(RunEvent::StepStarted {
                run_id: self.run.id.clone(),
                step_key: key.to_string(),
                kind: step.kind.name().to_string(),
                name: name.clone(),
                progress: self.resident_progress(key),
                attempt,
            });
            let before = frame.vars.clone();
            let clock = Instant::now();
            match self.attempt(frame, step, key, depth).await {
                Ok(flow) => {
                    let effects = changes(&before, &frame.vars);
                    let (status, note) = match &flow {
                        Flow::Wait => (StepStatus::Waiting, None),
                        Flow::Escalate { reason } if matches!(step.kind, StepKind::Escalate(_)) => {
                            (StepStatus::Waiting, Some(reason.clone()))
                        }
                        Flow::Cancelled => (StepStatus::Skipped, None),
                        _ => (StepStatus::Completed, None),
                    };
                    let recorded =
                        // A replayed step needs its personal values back; the others keep none.
                        self.mask(&effects, self.is_lasting(step, 0));
                    self.end_attempt(step, key, &begun, status, &recorded, note.as_deref());
                    if status == StepStatus::Completed {
                        self.history.entry(key.to_string()).or_default().completed = Some(effects);
                    }
                    self.emit_finished(step, key, attempt, status, clock.elapsed().as_millis() as u64, note);
                    return Ok(flow);
                }
                Err(Interrupt::Step(failure)) => {
                    frame.vars = before;
                    let note = failure.describe_from(key);
                    self.end_attempt(step, key, &begun, StepStatus::Failed, &Map::new(), Some(&note));
                    self.emit_finished(
                        step,
                        key,
                        attempt,
                        StepStatus::Failed,
                        clock.elapsed().as_millis() as u64,
                        Some(note),
                    );
                    if failure.lost {
                        self.drop_page().await;
                    }
                    last_failure = Some(failure);
                }
                Err(storage) => return Err(storage),
            }
        }
        let failure = last_failure.unwrap_or_else(|| Failure {
            key: key.to_string(),
            name: step.describe(),
            message: "the step did not run".to_string(),
            lost: false,
            check: false,
        });
        if !step.kind.holds_steps() && !failure.lost {
            self.capture_evidence(key).await?;
        }
        if let Some(on_error) = &step.common.on_error {
            frame.vars.insert("error".to_string(), json!({ "message": failure.message, "step": failure.key }));
            let outcome = self.run_steps(frame, on_error, format!("{key}.on_error."), depth).await;
            frame.vars.remove("error");
            return outcome;
        }
        Err(Interrupt::Step(failure))
    }

    /// One attempt of a step, within its time limit.
    async fn attempt(&mut self, frame: &mut Frame, step: &Step, key: &str, depth: usize) -> StepResult {
        let limit = self.time_limit(frame, step);
        let deadline = Instant::now() + limit.unwrap_or(self.runner.config.step_timeout);
        match limit {
            Some(limit) => {
                match tokio::time::timeout(limit + GRACE, self.dispatch(frame, step, key, deadline, depth)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Err(self.failure(
                        key,
                        step,
                        &format!("took longer than its time limit of {}", show_duration(limit)),
                        false,
                    )),
                }
            }
            None => self.dispatch(frame, step, key, deadline, depth).await,
        }
    }

    /// The time limit of a step: its own, else (for a step that acts on a system) its system's or
    /// the default; steps that hold others, wait or ask a person have none unless given one.
    fn time_limit(&self, frame: &Frame, step: &Step) -> Option<Duration> {
        if let Some(timeout) = &step.common.timeout {
            return Some(timeout.0);
        }
        if step.kind.is_unlimited() {
            return None;
        }
        let system =
            frame.workflow.system.as_ref().and_then(|system| system.step_timeout.as_ref()).map(|limit| limit.0);
        Some(system.unwrap_or(self.runner.config.step_timeout))
    }

    /// Does what the step's kind says.
    async fn dispatch(
        &mut self,
        frame: &mut Frame,
        step: &Step,
        key: &str,
        deadline: Instant,
        depth: usize,
    ) -> StepResult {
        if step.kind.uses_browser() {
            let runner = self.runner;
            let masked: Vec<String> = self.redactor.values().map(str::to_string).collect();
            let page = match self.page(frame).await {
                Ok(page) => page,
                Err(error) => return Err(self.failure(key, step, &error.to_string(), error.is_lost())),
            };
            let masked: Vec<&str> = masked.iter().map(String::as_str).collect();
            let allowed = &runner.config.allowed_hosts;
            // A browser step's future is large (one state for every kind of step): it is kept on
            // the heap rather than in the frame of every step that holds it.
            return match Box::pin(browser_steps::run(page, frame, step, deadline, &masked, allowed)).await {
                Ok(browser_steps::Done::Nothing) => Ok(Flow::Next),
                Ok(browser_steps::Done::Set(name, value)) => {
                    frame.vars.insert(name, value);
                    Ok(Flow::Next)
                }
                Ok(browser_steps::Done::Picture(name, png)) => {
                    self.runner.journal.add_evidence(&self.run.id, key, &name, "image/png", &png).await?;
                    Ok(Flow::Next)
                }
                Err(error) if error.is_check() => Err(self.check_failed(key, step, &error.to_string())),
                Err(error) => Err(self.failure(key, step, &error.to_string(), error.is_lost())),
            };
        }
        match &step.kind {
            StepKind::Http(http) => {
                self.take_permit(frame).await;
                let limit = deadline.saturating_duration_since(Instant::now());
                let client = match self.http_client() {
                    Ok(client) => client,
                    Err(error) => return Err(self.failure(key, step, &error, false)),
                };
                match http_step::run(&client, frame, http, limit, &self.runner.config.allowed_hosts).await {
                    Ok(values) => {
                        frame.vars.extend(values);
                        Ok(Flow::Next)
                    }
                    Err(error) => Err(self.failure(key, step, &error, false)),
                }
            }
            StepKind::Set(assignments) => {
                let mut values = Vec::new();
                for (name, template) in assignments {
                    let value = frame
                        .value(template)
                        .map_err(|error| self.failure(key, step, &format!("`{name}`: {error}"), false))?;
                    values.push((name.clone(), value));
                }
                frame.vars.extend(values);
                Ok(Flow::Next)
            }
            StepKind::Assert(assertion) => {
                // A data assertion (`that`); the others act on the page and went to the browser.
                let that = assertion.that.as_ref().map(|that| that.value.as_str()).unwrap_or("true");
                match frame.truth(that) {
                    Ok(true) => Ok(Flow::Next),
                    Ok(false) => {
                        let message = match &assertion.message {
                            Some(message) => frame.text(message).unwrap_or_else(|_| message.value.clone()),
                            None => format!("expected `{that}` to be true, found it false"),
                        };
                        Err(self.check_failed(key, step, &message))
                    }
                    Err(error) => Err(self.failure(key, step, &error, false)),
                }
            }
            StepKind::If(branch) => {
                let holds = frame.truth(&branch.condition).map_err(|error| self.failure(key, step, &error, false))?;
                if holds {
                    self.run_steps(frame, &branch.then, format!("{key}.then."), depth).await
                } else {
                    self.run_steps(frame, &branch.otherwise, format!("{key}.else."), depth).await
                }
            }
            StepKind::ForEach(each) => self.for_each(frame, step, each, key, depth).await,
            StepKind::Block(block) => self.run_steps(frame, block, format!("{key}."), depth).await,
            StepKind::Call(call) => self.call(frame, step, call, key, depth).await,
            StepKind::Wait(pause) => {
                tokio::time::sleep(pause.0).await;
                Ok(Flow::Next)
            }
            StepKind::HumanTask(task) => self.human_task(frame, step, task, key).await,
            StepKind::Notify(notify) => {
                let message = frame
                    .text(&notify.message.template_in(self.language()))
                    .map_err(|error| self.failure(key, step, &error, false))?;
                let (audience, recipient) = match notify.to {
                    Recipient::Resident => ("resident", self.run.started_by.clone()),
                    Recipient::Staff => {
                        ("staff", StartedBy { channel: "staff".to_string(), address: String::new(), language: None })
                    }
                };
                self.runner
                    .journal
                    .notify(&self.run.id, audience, &recipient, &self.redactor.redact_secrets(&message))
                    .await?;
                Ok(Flow::Next)
            }
            StepKind::Succeed(succeed) => {
                let mut outputs = Map::new();
                for (name, template) in &succeed.outputs {
                    let value = frame
                        .value(template)
                        .map_err(|error| self.failure(key, step, &format!("output `{name}`: {error}"), false))?;
                    outputs.insert(name.clone(), value);
                }
                let message = match &succeed.message {
                    Some(message) => Some(
                        frame
                            .text(&message.template_in(self.language()))
                            .map_err(|error| self.failure(key, step, &error, false))?,
                    ),
                    None => None,
                };
                Ok(Flow::Succeed { outputs, message })
            }
            StepKind::Fail(fail) => {
                let message = frame
                    .text(&fail.message.template_in(self.language()))
                    .map_err(|error| self.failure(key, step, &error, false))?;
                let reason = match &fail.reason {
                    Some(reason) => Some(frame.text(reason).map_err(|error| self.failure(key, step, &error, false))?),
                    None => None,
                };
                Ok(Flow::Fail { message, reason })
            }
            StepKind::Escalate(escalate) => {
                let reason = frame.text(&escalate.reason).map_err(|error| self.failure(key, step, &error, false))?;
                // Kept with the step and the run, so masked like any other reason.
                let reason = self.redactor.redact(&reason);
                // The person who picks the run up sees the page as the run left it.
                self.capture_evidence(key).await?;
                Ok(Flow::Escalate { reason })
            }
            StepKind::Open(_)
            | StepKind::Click(_)
            | StepKind::Hover(_)
            | StepKind::Scroll(_)
            | StepKind::Drag(_)
            | StepKind::Fill(_)
            | StepKind::Select(_)
            | StepKind::Check(_)
            | StepKind::Upload(_)
            | StepKind::Press(_)
            | StepKind::WaitFor(_)
            | StepKind::Extract(_)
            | StepKind::Frame(_)
            | StepKind::Dialog(_)
            | StepKind::Screenshot(_)
            | StepKind::Script(_) => Err(self.failure(key, step, "a browser step ran without the browser", false)),
        }
    }

    async fn for_each(
        &mut self,
        frame: &mut Frame,
        step: &Step,
        each: &crate::workflow::EachItem,
        key: &str,
        depth: usize,
    ) -> StepResult {
        let items = frame.evaluate(&each.items).map_err(|error| self.failure(key, step, &error, false))?;
        let items = match items {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => {
                return Err(self.failure(
                    key,
                    step,
                    &format!("`{}` is not a list but {other}", each.items.value),
                    false,
                ));
            }
        };
        let name = each.item.as_ref().map_or("item", |item| item.value.as_str()).to_string();
        let length = items.len();
        for (index, item) in items.into_iter().enumerate() {
            frame.vars.insert(name.clone(), item);
            frame.vars.insert(
                "loop".to_string(),
                json!({ "index": index + 1, "index0": index, "first": index == 0, "last": index + 1 == length, "length": length }),
            );
            let outcome = self.run_steps(frame, &each.steps, format!("{key}[{}].", index + 1), depth).await;
            frame.vars.remove(&name);
            frame.vars.remove("loop");
            match outcome? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    async fn call(
        &mut self,
        frame: &mut Frame,
        step: &Step,
        call: &crate::workflow::CallStep,
        key: &str,
        depth: usize,
    ) -> StepResult {
        if depth >= MAX_CALL_DEPTH {
            return Err(self.failure(key, step, &format!("calls are nested more than {MAX_CALL_DEPTH} deep"), false));
        }
        let catalogue = self.runner.catalogue();
        let Some(callee) = catalogue.get(&call.workflow) else {
            return Err(self.failure(
                key,
                step,
                &format!("no workflow named `{}` is loaded", call.workflow.value),
                false,
            ));
        };
        if !callee.well_formed {
            let message = format!("workflow `{}` has a step without a single kind", call.workflow.value);
            return Err(self.failure(key, step, &message, false));
        }
        let mut raw = Vec::new();
        for (name, template) in &call.inputs {
            let value = frame
                .text(template)
                .map_err(|error| self.failure(key, step, &format!("input `{name}`: {error}"), false))?;
            raw.push((name.clone(), value));
        }
        let inputs = crate::inputs::check_inputs(&callee.workflow, &raw)
            .map_err(|problems| self.failure(key, step, &problems.join("; "), false))?;
        let workflow = Arc::new(callee.workflow.clone());
        let secrets = self
            .runner
            .secrets
            .select(workflow.secrets.iter().map(|secret| secret.value.as_str()))
            .map_err(|missing| self.failure(key, step, &missing.join("; "), false))?;
        let system_url = self.runner.config.system_url(workflow.system.as_ref());
        let mut inner = Frame::new(workflow.clone(), inputs, secrets, frame.run.clone(), system_url);
        let enclosing = self.progress.clone();
        if let Some(own) = &workflow.progress {
            self.progress = Some(own.value.in_language(self.language()).to_string());
        }
        let steps = callee.steps.clone();
        let outcome = self.run_steps(&mut inner, &steps, format!("{key}."), depth + 1).await;
        self.progress = enclosing;
        match outcome? {
            Flow::Next => {
                if let Some(into) = &call.into {
                    frame.vars.insert(into.value.clone(), json!({}));
                }
                Ok(Flow::Next)
            }
            Flow::Succeed { outputs, .. } => {
                if let Some(into) = &call.into {
                    frame.vars.insert(into.value.clone(), Value::Object(outputs));
                }
                Ok(Flow::Next)
            }
            other => Ok(other),
        }
    }

    async fn human_task(
        &mut self,
        frame: &mut Frame,
        step: &Step,
        task: &crate::workflow::HumanTaskStep,
        key: &str,
    ) -> StepResult {
        if let Some(existing) = self.run.task.clone().filter(|existing| existing.step_key == key) {
            if let Some(decision) = existing.decision {
                if let Some(into) = &task.into {
                    let mut value = decision.values.clone();
                    value.insert("approved".to_string(), Value::Bool(decision.approved));
                    value.insert("comment".to_string(), Value::String(decision.comment.clone()));
                    frame.vars.insert(into.value.clone(), Value::Object(value));
                }
                return Ok(Flow::Next);
            }
            if self.runner.journal.now() > existing.deadline {
                let message = format!(
                    "nobody acted on the task \"{}\" within {}",
                    existing.title,
                    show_duration(task.time_limit.0)
                );
                return Err(self.failure(key, step, &message, false));
            }
            self.runner.journal.wait(&self.run.id, WaitingFor::Task, Some(&existing), None).await?;
            return Ok(Flow::Wait);
        }
        let title = frame.text(&task.title).map_err(|error| self.failure(key, step, &error, false))?;
        let details = match &task.details {
            Some(details) => frame.text(details).map_err(|error| self.failure(key, step, &error, false))?,
            None => String::new(),
        };
        let created = HumanTask {
            step_key: key.to_string(),
            title,
            details,
            fields: task.fields.iter().map(|field| (field.name.clone(), field.prompt.clone())).collect(),
            deadline: self.runner.journal.now() + task.time_limit.0.as_millis() as i64,
            decision: None,
        };
        self.runner.journal.wait(&self.run.id, WaitingFor::Task, Some(&created), None).await?;
        self.run.task = Some(created);
        Ok(Flow::Wait)
    }

    /// Runs a submitting step's idempotency check; when it finds the earlier submission, the
    /// step is recorded as skipped with what the check found, and true is returned.
    async fn already_done(
        &mut self,
        frame: &mut Frame,
        step: &Step,
        key: &str,
        depth: usize,
    ) -> Result<bool, Interrupt> {
        let Some(idempotency) = &step.common.idempotency else { return Ok(false) };
        let before = frame.vars.clone();
        match self.run_steps(frame, &idempotency.check, format!("{key}.check."), depth).await? {
            Flow::Next => {}
            _ => return Err(self.failure(key, step, "an idempotency check may not end the run or wait", false)),
        }
        let done = frame
            .truth(&idempotency.done_when)
            .map_err(|error| self.failure(key, step, &format!("`done_when`: {error}"), false))?;
        if !done {
            frame.vars = before;
            return Ok(false);
        }
        let effects = changes(&before, &frame.vars);
        self.record_outside_attempts(
            step,
            key,
            StepStatus::Skipped,
            &effects,
            "an earlier attempt had already taken effect",
        )
        .await?;
        self.history.entry(key.to_string()).or_default().completed = Some(effects);
        Ok(true)
    }

    /// Begins the next attempt of a step: its number, and its row in the journal when the step
    /// is `kept_from_the_start` (it holds others or has a lasting effect, so an attempt cut off
    /// must be known), written with the attempts that ended before it; other steps are recorded
    /// whole once they end. A step with a lasting effect first renews this instance's hold on
    /// the run (`holding`), and is not begun when another instance has taken the run over.
    async fn begin_attempt(
        &mut self,
        step: &Step,
        key: &str,
        kept_from_the_start: bool,
        holding: bool,
    ) -> Result<Attempt, Interrupt> {
        let number = self.attempts_of(key) + 1;
        self.history.entry(key.to_string()).or_default().attempts = number;
        let started_at = self.runner.journal.now();
        let seq = if kept_from_the_start {
            let name = step.describe();
            let holder = holding.then(|| self.runner.holder());
            let begun = new_step(step, key, &name, number);
            let seq = self.runner.journal.step_started(&self.run.id, &self.ended_steps, begun, holder).await?;
            let Some(seq) = seq else { return Err(Interrupt::TakenOver) };
            self.ended_steps.clear();
            Some(seq)
        } else {
            None
        };
        Ok(Attempt { number, seq, started_at })
    }

    /// Records how an attempt ended, to be written with the run's next write.
    fn end_attempt(
        &mut self,
        step: &Step,
        key: &str,
        attempt: &Attempt,
        status: StepStatus,
        effects: &Map<String, Value>,
        note: Option<&str>,
    ) {
        let name = step.describe();
        let begun = new_step(step, key, &name, attempt.number);
        let now = self.runner.journal.now();
        self.ended_steps.push(EndedStep::new(attempt.seq, begun, attempt.started_at, now, status, effects, note));
    }

    /// Journals a step that was decided without an attempt: skipped, or found already done.
    async fn record_outside_attempts(
        &mut self,
        step: &Step,
        key: &str,
        status: StepStatus,
        effects: &Map<String, Value>,
        note: &str,
    ) -> Result<(), Interrupt> {
        let attempt = self.begin_attempt(step, key, false, false).await?;
        self.end_attempt(step, key, &attempt, status, &self.mask(effects, true), Some(note));
        self.emit_finished(step, key, attempt.number, status, 0, Some(note.to_string()));
        Ok(())
    }

    fn emit_finished(
        &self,
        step: &Step,
        key: &str,
        attempt: i64,
        status: StepStatus,
        millis: u64,
        note: Option<String>,
    ) {
        self.runner.emit(RunEvent::StepFinished {
            run_id: self.run.id.clone(),
            step_key: key.to_string(),
            kind: step.kind.name().to_string(),
            name: step.describe(),
            attempt,
            status,
            millis,
            note,
        });
    }

    /// What the resident is shown while the step at `key` runs: the nearest `progress` text, or
    /// else which of the workflow's own steps the run is at (a step inside a block, a branch, a
    /// loop or a called workflow counts as the workflow step that holds it).
    fn resident_progress(&self, key: &str) -> String {
        if let Some(text) = &self.progress {
            return text.clone();
        }
        let position: String = key.chars().take_while(char::is_ascii_digit).collect();
        match self.language() {
            Language::English => format!("Step {position} of {}", self.file.steps.len()),
            Language::Welsh => format!("Cam {position} o {}", self.file.steps.len()),
        }
    }

    fn attempts_of(&self, key: &str) -> i64 {
        self.history.get(key).map_or(0, |history| history.attempts)
    }

    /// Whether a step's effect outlasts it (so a completed one is replayed, not repeated).
    fn is_lasting(&self, step: &Step, depth: usize) -> bool {
        if step.has_lasting_effect() {
            return true;
        }
        let StepKind::Call(call) = &step.kind else { return false };
        if depth >= MAX_CALL_DEPTH {
            return true;
        }
        let catalogue = self.runner.catalogue();
        catalogue.get(&call.workflow).is_some_and(|callee| self.any_lasting(&callee.steps, depth + 1))
    }

    fn any_lasting(&self, steps: &[Located<Step>], depth: usize) -> bool {
        fn walk(execution: &Execution<'_>, steps: &[Located<Step>], depth: usize) -> bool {
            steps.iter().any(|step| {
                execution.is_lasting(step, depth)
                    || step.children().iter().any(|(_, children)| walk(execution, children, depth))
            })
        }
        walk(self, steps, depth)
    }

    /// Whether a person cancelled the run; the journal is asked at most every
    /// [`CANCEL_CHECK_INTERVAL`], so a cancel takes effect before the next step after that.
    async fn cancelled(&mut self) -> Result<bool, Interrupt> {
        if self.last_cancel_check.is_some_and(|checked| checked.elapsed() < CANCEL_CHECK_INTERVAL) {
            return Ok(false);
        }
        self.last_cancel_check = Some(Instant::now());
        Ok(self.runner.journal.status(&self.run.id).await? == Some(RunStatus::Cancelled))
    }

    /// Takes the permit to use the run's system, once, waiting while others use it to its limit.
    async fn take_permit(&mut self, frame: &Frame) {
        if self.permit.is_none() {
            let system = self.file.workflow.system.as_ref().or(frame.workflow.system.as_ref());
            if let Some(system) = system {
                self.permit = Some(self.runner.system_permit(&system.name, system.concurrency).await);
            }
        }
    }

    /// The run's browser page, opening a session (and taking the system's permit) on first use.
    async fn page(&mut self, frame: &Frame) -> Result<&mut Page, BrowserError> {
        self.take_permit(frame).await;
        if self.page.is_none() {
            let page = self.runner.browsers.open_page().await?;
            if let Some(settings) = &self.file.workflow.browser
                && let Err(error) = page.apply(settings).await
            {
                page.close().await;
                return Err(error);
            }
            self.page = Some(page);
        }
        self.page.as_mut().ok_or_else(|| BrowserError::Unavailable("no page".to_string()))
    }

    async fn drop_page(&mut self) {
        if let Some(page) = self.page.take() {
            page.close().await;
        }
    }

    /// Keeps a screenshot and the page's HTML, masked, with the run.
    async fn capture_evidence(&mut self, key: &str) -> Result<(), Interrupt> {
        let Some(page) = self.page.as_ref() else { return Ok(()) };
        let masked: Vec<&str> = self.redactor.values().collect();
        let picture = page.screenshot(&masked).await;
        let html = page.html().await;
        let address = page.url().await.unwrap_or_default();
        if let Ok(png) = picture {
            self.runner.journal.add_evidence(&self.run.id, key, "failure.png", "image/png", &png).await?;
        }
        if let Ok(html) = html {
            let html = format!("<!-- {} -->\n{}", self.redactor.redact(&address), self.redactor.redact(&html));
            self.runner.journal.add_evidence(&self.run.id, key, "failure.html", "text/html", html.as_bytes()).await?;
        }
        Ok(())
    }

    /// Variables as the journal keeps them: secrets masked, and personal data too unless
    /// `secrets_only`.
    fn mask(&self, variables: &Map<String, Value>, secrets_only: bool) -> Map<String, Value> {
        variables.iter().map(|(name, value)| (name.clone(), self.redactor.redact_value(value, secrets_only))).collect()
    }

    fn failure(&self, key: &str, step: &Step, message: &str, lost: bool) -> Interrupt {
        Interrupt::Step(Failure {
            key: key.to_string(),
            name: step.describe(),
            message: self.redactor.redact(message),
            lost,
            check: false,
        })
    }

    /// A check that did not hold: the run fails unless `on_error` deals with it.
    fn check_failed(&self, key: &str, step: &Step, message: &str) -> Interrupt {
        Interrupt::Step(Failure {
            key: key.to_string(),
            name: step.describe(),
            message: self.redactor.redact(message),
            lost: false,
            check: true,
        })
    }
}

impl Failure {
    /// The failure as seen from a step at `key`: a failure of a step inside it names that step.
    fn describe_from(&self, key: &str) -> String {
        if self.key == key {
            self.message.clone()
        } else {
            format!("step {} ({}): {}", self.key, self.name, self.message)
        }
    }
}

/// The pause before a retry: the step's backoff doubled for each retry before, within its cap.
fn backoff(step: &Step, retries_before: u32) -> Duration {
    let Some(retry) = &step.common.retry else { return Duration::ZERO };
    let doubled = retry.backoff.0.saturating_mul(2u32.saturating_pow(retries_before.saturating_sub(1)));
    match &retry.max_backoff {
        Some(cap) => doubled.min(cap.0),
        None => doubled,
    }
}

/// A duration as people write it: `30s`, `2m`, `1h30m`.
pub fn show_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds == 0 {
        return format!("{}ms", duration.as_millis());
    }
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 {
        text.push_str(&format!("{seconds}s"));
    }
    text
}
