//! The runs pages: every workflow run, filtered and paged, newest first and kept up to date; one
//! run's timeline, inputs (personal ones masked unless an admin reveals them, which is audited),
//! outputs and evidence; and what staff can do to it (retry, resume with a decision on the human
//! task it waits on, cancel, complete by hand).

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bot::conversation::StaffActionError;
use bot::conversation::run_actions::RunAction;
use rpa::journal::{RunFilter, RunRecord, RunStatus, WaitingFor};
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::{Principal, Role};
use super::auth::{Supervisor, check_csrf};
use super::error::PageError;
use super::escalation::{Outcome, evidence_file, staff};
use super::refusals::Refusal;
use super::views::{clock, duration_text, problem_page};
use crate::AppState;

/// Runs on a page.
const PAGE: i64 = 50;

/// What a personal value is shown as until an admin reveals it.
const MASK: &str = "•••••• (personal)";

/// The triggers a run can have been started by, as recorded.
const TRIGGERS: [&str; 6] = ["web", "teams", "sms", "cli", "schedule", "webhook"];

/// The runs pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/runs", get(runs))
        .route("/console/runs/table", get(runs_table))
        .route("/console/runs/{id}", get(run))
        .route("/console/runs/{id}/reveal", post(reveal))
        .route("/console/runs/{id}/evidence/{index}", get(evidence))
        .route("/console/runs/{id}/act/{action}", post(act))
}

/// The filters of the runs list, as the form sends them.
#[derive(Debug, Default, Deserialize)]
struct RunsQuery {
    workflow: Option<String>,
    status: Option<String>,
    trigger: Option<String>,
    reference: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

impl RunsQuery {
    /// The filter, or what is wrong with the form.
    fn filter(&self) -> Result<RunFilter, String> {
        fn given(value: &Option<String>) -> Option<&str> {
            value.as_deref().map(str::trim).filter(|value| !value.is_empty())
        }
        let status = match given(&self.status) {
            Some(name) => Some(
                storage::names::from_name::<RunStatus>(name).ok_or_else(|| format!("`{name}` is not a run status"))?,
            ),
            None => None,
        };
        let trigger = match given(&self.trigger) {
            Some(name) if TRIGGERS.contains(&name) => Some(name.to_string()),
            Some(name) => return Err(format!("`{name}` is not something that starts runs")),
            None => None,
        };
        let day = |value: &str, what: &str| -> Result<i64, String> {
            let date: jiff::civil::Date =
                value.parse().map_err(|_| format!("the {what} date `{value}` is not a date such as 2026-12-04"))?;
            date.to_zoned_datetime(uk::calendar::london().clone())
                .map(|midnight| midnight.timestamp().as_millisecond())
                .map_err(|_| format!("the {what} date `{value}` is out of range"))
        };
        let from = given(&self.from).map(|value| day(value, "from")).transpose()?;
        let to = given(&self.to).map(|value| day(value, "to").map(|start| start + 86_400_000)).transpose()?;
        let before = given(&self.before).and_then(|value| {
            let (at, id) = value.split_once(':')?;
            Some((at.parse().ok()?, id.to_string()))
        });
        Ok(RunFilter {
            workflow: given(&self.workflow).map(str::to_string),
            status,
            trigger,
            reference: given(&self.reference).map(str::to_string),
            from,
            to,
            before,
        })
    }

    /// The filters as a query string, without the page.
    fn query_string(&self) -> String {
        let pairs = [
            ("workflow", &self.workflow),
            ("status", &self.status),
            ("trigger", &self.trigger),
            ("reference", &self.reference),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            if let Some(value) = value.as_deref().filter(|value| !value.trim().is_empty()) {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }
}

/// A run as a row of the list.
pub(crate) fn run_row(run: &RunRecord) -> Value {
    json!({
        "id": run.id,
        "reference": run.reference,
        "workflow": run.workflow,
        "status": status_text(run.status),
        "status_name": run.status.as_str(),
        "trigger": run.started_by.channel,
        "trigger_text": channel_text(&run.started_by.channel),
        "started": clock(run.created_at),
        "took": run.finished_at.map(|finished| duration_text(finished - run.created_at)),
        "reason": run.reason,
    })
}

/// What started a run (a channel, a schedule, a webhook) as staff read it, in the console's
/// language; one without words of its own as it is stored.
pub(super) fn channel_text(channel: &str) -> String {
    let key = format!("console.channel.{channel}");
    if crate::words::interface_words().has(&key) { super::views::console_words(&key, &[]) } else { channel.to_string() }
}

/// A status as staff read it, in the console's language.
pub(super) fn status_text(status: RunStatus) -> String {
    super::views::console_words(&format!("console.run_status.{}", status.as_str()), &[])
}

/// The list's context: the filters, the runs, and the link to the next page.
async fn list_context(state: &AppState, who: &Principal, query: &RunsQuery) -> Result<Value, PageError> {
    let mut context = json!({
        "council": state.engine.settings().council, "title": "Runs", "who": who, "csrf": who.csrf, "page": "runs",
        "statuses": ["queued", "running", "waiting", "succeeded", "failed", "cancelled"],
        "triggers": TRIGGERS,
        "chosen": {"workflow": query.workflow, "status": query.status, "trigger": query.trigger,
                   "reference": query.reference, "from": query.from, "to": query.to},
        "filters": query.query_string(),
    });
    let Some(runner) = state.engine.runner() else {
        context["runs_here"] = json!(false);
        return Ok(context);
    };
    context["runs_here"] = json!(true);
    let workflows: BTreeSet<String> = runner.catalogue().iter().map(|file| file.workflow.name.value.clone()).collect();
    context["workflows"] = json!(workflows);
    let filter = match query.filter() {
        Ok(filter) => filter,
        Err(problem) => {
            context["problem"] = json!(problem);
            context["runs"] = json!([]);
            return Ok(context);
        }
    };
    let runs = runner
        .journal()
        .list_runs(&filter, PAGE)
        .await
        .map_err(|error| PageError::unavailable(state, who, "the workflow runs could not be read", &error))?;
    let older = runs.last().filter(|_| runs.len() as i64 == PAGE).map(|run| {
        let mut query = form_urlencoded::Serializer::new(query.query_string());
        query.append_pair("before", &format!("{}:{}", run.created_at, run.id));
        format!("/console/runs?{}", query.finish())
    });
    context["older"] = json!(older);
    context["runs"] = json!(runs.iter().map(run_row).collect::<Vec<_>>());
    Ok(context)
}

/// `GET /console/runs`.
async fn runs(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Query(query): Query<RunsQuery>,
) -> Result<Response, PageError> {
    let context = list_context(&state, &who, &query).await?;
    let status = if context["problem"].is_null() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(state.templates.page(status, "runs.html", context))
}

/// `GET /console/runs/table`: the list alone, for the page to refresh itself.
async fn runs_table(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Query(query): Query<RunsQuery>,
) -> Result<Response, PageError> {
    let context = list_context(&state, &who, &query).await?;
    Ok(state.templates.page(StatusCode::OK, "runs_table.html", context))
}

/// A run's page: `revealed` shows its personal inputs (for an admin who asked).
async fn run_page(
    state: &AppState,
    who: &Principal,
    id: &str,
    revealed: bool,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let failed =
        |error: &dyn std::fmt::Display| PageError::unavailable(state, who, "the workflow run could not be read", error);
    let Some(runner) = state.engine.runner() else {
        return Err(PageError::not_found(state, who, "Workflows are not run by this service."));
    };
    let journal = runner.journal();
    let Some(run) = journal.run(id).await.map_err(|error| failed(&error))?.filter(|run| run.id == id) else {
        return Err(PageError::not_found(state, who, "There is no such run."));
    };
    let steps: Vec<Value> = journal
        .steps(&run.id)
        .await
        .map_err(|error| failed(&error))?
        .into_iter()
        .map(|step| {
            json!({"key": step.step_key, "name": step.name, "kind": step.kind, "attempt": step.attempt,
                   "status": super::views::console_words(&format!("console.step_status.{}", storage::names::name_of(&step.status)), &[]), "error": step.error,
                   "started": clock(step.started_at),
                   "took": step.finished_at.map(|finished| duration_text(finished - step.started_at))})
        })
        .collect();
    let evidence: Vec<Value> = journal
        .evidence(&run.id)
        .await
        .map_err(|error| failed(&error))?
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            json!({"index": index, "name": item.name, "step": item.step_key,
                   "is_image": item.media_type.starts_with("image/")})
        })
        .collect();
    // A workflow that no longer parses still shows its run: then every input counts as personal.
    let parsed = rpa::workflow::parse_workflow(std::path::Path::new(&run.source_path), run.definition.clone()).ok();
    let personal = |name: &str| {
        parsed
            .as_ref()
            .is_none_or(|file| file.workflow.inputs.iter().any(|input| input.name.value == name && input.personal))
    };
    let inputs: Vec<Value> = run
        .inputs
        .iter()
        .map(|(name, value)| {
            let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            let masked = personal(name) && !revealed;
            json!({"name": name, "value": if masked { MASK.to_string() } else { text }, "personal": personal(name)})
        })
        .collect();
    // An output that repeats something personal the resident gave is masked like the input.
    let personal_values: Vec<String> = run
        .inputs
        .iter()
        .filter(|(name, _)| personal(name))
        .filter_map(|(_, value)| value.as_str().map(str::trim).filter(|text| text.chars().count() >= 3))
        .map(str::to_lowercase)
        .collect();
    let outputs: Vec<Value> = run
        .outputs
        .iter()
        .map(|(name, value)| {
            let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
            let lower = text.to_lowercase();
            let is_personal = personal_values.iter().any(|personal| lower.contains(personal.as_str()));
            let shown = if is_personal && !revealed { MASK.to_string() } else { text };
            json!({"name": name, "value": shown, "personal": is_personal})
        })
        .collect();
    let to_fill: Vec<(String, String)> =
        parsed.map(|file| file.workflow.outputs.into_iter().collect()).unwrap_or_default();
    let escalation = state
        .engine
        .store()
        .escalations_for_run(&run.id)
        .await
        .map_err(|error| failed(&error))?
        .pop()
        .map(|escalation| escalation.id);
    let stuck = matches!(run.status, RunStatus::Failed | RunStatus::Waiting);
    let waiting_on_task = run.status == RunStatus::Waiting && run.waiting_for == Some(WaitingFor::Task);
    let task = run
        .task
        .as_ref()
        .filter(|_| waiting_on_task)
        .map(|task| json!({"title": task.title, "details": task.details, "fields": task.fields}));
    let context = json!({
        "council": state.engine.settings().council, "title": format!("Run {}", run.reference), "who": who,
        "csrf": who.csrf, "page": "runs",
        "run": run_row(&run),
        "version": run.version,
        "message": run.message,
        "started_by": {"channel": run.started_by.channel, "address": if run.started_by.channel == "schedule" { run.started_by.address.clone() } else { String::new() }},
        "finished": run.finished_at.map(clock),
        "steps": steps,
        "evidence": evidence,
        "inputs": inputs,
        "any_personal": inputs.iter().chain(&outputs).any(|item| item["personal"] == true),
        "revealed": revealed,
        "outputs": outputs,
        "to_fill": to_fill,
        "escalation": escalation,
        "can_retry": stuck && !waiting_on_task,
        "task": task,
        "can_cancel": !run.status.is_final(),
        "can_complete": stuck,
        "is_admin": who.role == Role::Admin,
        "notice": notice,
    });
    Ok(state.templates.page(StatusCode::OK, "run.html", context))
}

/// `GET /console/runs/{id}`.
async fn run(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path(id): Path<String>,
    Query(done): Query<Outcome>,
) -> Result<Response, PageError> {
    let notice = match done.done.as_deref() {
        Some(done @ ("retried" | "cancelled" | "completed" | "decided")) => {
            Some(super::views::console_words(&format!("console.done.{done}"), &[]))
        }
        _ => None,
    };
    run_page(&state, &who, &id, false, notice).await
}

/// `POST /console/runs/{id}/reveal`: the run's page with its personal inputs shown, for an
/// admin; recorded in the audit log first.
async fn reveal(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = fields.iter().find(|(name, _)| name == "csrf").map(|(_, value)| value.as_str());
    check_csrf(&state, &who, csrf)?;
    if who.role != Role::Admin {
        let message = "Only an admin can see a run's personal details.";
        return Ok(problem_page(&state, StatusCode::FORBIDDEN, Some(&who), "Not allowed", message));
    }
    let reference = match state.engine.runner() {
        Some(runner) => runner.journal().run(&id).await.ok().flatten().map(|run| run.reference),
        None => None,
    };
    let Some(reference) = reference else { return Err(PageError::not_found(&state, &who, "There is no such run.")) };
    state.engine.store().audit(&who.username, "reveal_run_inputs", &reference, "").await.map_err(|error| {
        PageError::unavailable(&state, &who, "the audit log could not be written, so nothing is shown", &error)
    })?;
    let mut response = run_page(&state, &who, &id, true, None).await?;
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /console/runs/{id}/evidence/{index}`.
async fn evidence(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path((id, index)): Path<(String, usize)>,
) -> Result<Response, PageError> {
    let Some(runner) = state.engine.runner() else { return Ok(StatusCode::NOT_FOUND.into_response()) };
    let items = runner.journal().evidence(&id).await.map_err(|error| {
        PageError::unavailable(&state, &who, "the evidence of a workflow run could not be read", &error)
    })?;
    match items.into_iter().nth(index) {
        Some(item) => Ok(evidence_file(item)),
        None => Ok(StatusCode::NOT_FOUND.into_response()),
    }
}

/// `POST /console/runs/{id}/act/{action}`: retry, resume, cancel or complete.
async fn act(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = fields.iter().find(|(name, _)| name == "csrf").map(|(_, value)| value.as_str());
    check_csrf(&state, &who, csrf)?;
    let (action, done) = match action.as_str() {
        "retry" => (RunAction::Retry, "retried"),
        "resume" => (RunAction::Resume(super::task_form::decision(&fields)), "decided"),
        "cancel" => (RunAction::Cancel, "cancelled"),
        "complete" => {
            let outputs: Vec<(String, String)> = fields
                .iter()
                .filter_map(|(key, value)| Some((key.strip_prefix("output.")?.to_string(), value.trim().to_string())))
                .filter(|(_, value)| !value.is_empty())
                .collect();
            (RunAction::Complete(outputs), "completed")
        }
        _ => return Err(PageError::not_found(&state, &who, "There is no such action.")),
    };
    match state.engine.act_on_run(&id, &staff(&who), action).await {
        Ok(run) => Ok(Redirect::to(&format!("/console/runs/{}?done={done}", run.id)).into_response()),
        Err(StaffActionError::Run(rpa::runner::RunnerError::NoSuchRun(_))) => {
            Err(PageError::not_found(&state, &who, "There is no such run."))
        }
        Err(error) => {
            let refusal = Refusal::from(&error);
            Ok(problem_page(&state, refusal.status, Some(&who), "That could not be done", &refusal.message))
        }
    }
}
