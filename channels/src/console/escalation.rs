//! One escalation: its page with the transcript, details and run (and, when the resident has
//! left the chat, other ways to reach them), the transcript and status alone for live updates,
//! the run's evidence, and what staff can do about it.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bot::conversation::{ConversationStatus, Escalation, StaffActionError, StaffMember};
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::Principal;
use super::auth::{Supervisor, check_csrf};
use super::error::PageError;
use super::queue::left_view;
use super::refusals::Refusal;
use super::views::{clock, duration_text, problem_page, reason_text};
use crate::AppState;
use crate::api::conversations::ReplyView;

/// The outcomes staff choose from when resolving.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("answered", "Answered the resident's question"),
    ("request completed", "Completed their request"),
    ("referred", "Referred to another team"),
    ("no action needed", "No action needed"),
];

/// An escalation's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/escalations/{id}", get(escalation))
        .route("/console/escalations/{id}/transcript", get(escalation_transcript))
        .route("/console/escalations/{id}/status", get(escalation_status))
        .route("/console/escalations/{id}/evidence/{index}", get(evidence))
        .route("/console/escalations/{id}/run/{action}", post(act_on_run))
        .route("/console/escalations/{id}/{action}", post(act))
}

pub(super) fn staff(who: &Principal) -> StaffMember {
    StaffMember { username: who.username.clone(), name: who.display_name.clone() }
}

/// The escalation with this id, if there is one.
async fn read(state: &AppState, who: &Principal, id: &str) -> Result<Option<Escalation>, PageError> {
    state
        .engine
        .store()
        .escalation(id)
        .await
        .map_err(|error| PageError::unavailable(state, who, "an escalation could not be read", &error))
}

/// The escalation with this id, or the page saying there is none.
async fn find(state: &AppState, who: &Principal, id: &str) -> Result<Escalation, PageError> {
    read(state, who, id).await?.ok_or_else(|| PageError::not_found(state, who, "There is no such escalation."))
}

/// Everything shown about an escalation.
async fn escalation_context(state: &AppState, who: &Principal, escalation: &Escalation) -> Result<Value, PageError> {
    let now = storage::now_millis();
    let engine = &state.engine;
    let conversation = engine.store().get_fresh(&escalation.conversation_id).await.map_err(|error| {
        PageError::unavailable(state, who, "the conversation of an escalation could not be read", &error)
    })?;
    let left = match &conversation {
        Some(conversation) if conversation.status == ConversationStatus::Ended => {
            Some(left_view(state, who, escalation, now).await?)
        }
        _ => None,
    };
    // Only a person who left the chat needs reaching another way: then, and only on this page,
    // staff see the contact details they gave.
    let reach = match (&conversation, &left) {
        (Some(conversation), Some(_)) => match super::reach::contacts(state, conversation).await {
            Ok(contacts) => Some(super::reach::context(state, &contacts)),
            Err(error) => {
                tracing::error!(error = %error, "the contact details of a conversation could not be read");
                Some(json!({"unavailable": true}))
            }
        },
        _ => None,
    };
    let transcript = transcript(state, who, &escalation.conversation_id).await?;
    let inputs: Vec<(String, String)> = escalation
        .inputs
        .iter()
        .map(|(name, value)| {
            (name.replace('_', " "), value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string()))
        })
        .collect();
    let mut context = json!({
        "council": engine.settings().council,
        "title": reason_text(escalation.reason),
        "who": who,
        "csrf": who.csrf,
        "page": "escalation",
        "outcomes": OUTCOMES,
        "transcript": transcript,
        "inputs": inputs,
        "left": left,
        "reach": reach,
        "e": {
            "id": escalation.id,
            "reason_text": reason_text(escalation.reason),
            "priority": escalation.priority,
            "status": escalation.status,
            "assignee": escalation.assignee,
            "detail": escalation.detail,
            "outcome": escalation.outcome,
            "raised": clock(escalation.created_at),
            "waiting": duration_text(now - escalation.created_at),
            "channel": conversation.map(|conversation| conversation.channel).unwrap_or_default(),
            "language": escalation.language.code(),
            "language_name": escalation.language.own_name(),
        },
    });
    if let (Some(run_id), Some(runner)) = (&escalation.run_id, engine.runner()) {
        let journal = runner.journal();
        let failed = |error: storage::StorageError| {
            PageError::unavailable(state, who, "the workflow run of an escalation could not be read", &error)
        };
        if let Some(run) = journal.run(run_id).await.map_err(failed)? {
            let steps: Vec<Value> = journal
                .steps(&run.id)
                .await
                .map_err(failed)?
                .into_iter()
                .map(|step| json!({"name": step.name, "status": format!("{:?}", step.status).to_lowercase(), "error": step.error}))
                .collect();
            let evidence: Vec<Value> = journal
                .evidence(&run.id)
                .await
                .map_err(failed)?
                .into_iter()
                .map(|item| json!({"name": item.name, "is_image": item.media_type.starts_with("image/")}))
                .collect();
            // A workflow that no longer parses still shows its run, without the outputs to fill in.
            let outputs: Vec<(String, String)> =
                rpa::workflow::parse_workflow(std::path::Path::new(&run.source_path), run.definition.clone())
                    .map(|file| file.workflow.outputs.into_iter().collect())
                    .unwrap_or_default();
            let waiting_on_task = run.waiting_for == Some(rpa::journal::WaitingFor::Task);
            let stuck = run.status == rpa::journal::RunStatus::Failed
                || (run.status == rpa::journal::RunStatus::Waiting && !waiting_on_task);
            context["run"] = json!({"reference": run.reference, "workflow": run.workflow, "status": run.status.as_str(), "reason": run.reason});
            context["steps"] = json!(steps);
            context["evidence"] = json!(evidence);
            context["run_actions"] = json!(stuck);
            context["outputs"] = json!(outputs);
            if waiting_on_task && let Some(task) = &run.task {
                context["task"] = json!({"title": task.title, "details": task.details, "fields": task.fields});
            }
        }
    }
    Ok(context)
}

/// The escalation's page again with what could not be done (`status`, `message`), or the
/// problem page when the escalation is gone.
async fn refused(
    state: &AppState,
    who: &Principal,
    id: &str,
    status: StatusCode,
    message: &str,
) -> Result<Response, PageError> {
    let Some(escalation) = read(state, who, id).await? else {
        return Ok(problem_page(state, status, Some(who), "That could not be done", message));
    };
    let mut context = escalation_context(state, who, &escalation).await?;
    context["problem"] = json!(message);
    Ok(state.templates.page(status, "escalation.html", context))
}

/// A conversation's whole transcript as the console shows it.
async fn transcript(state: &AppState, who: &Principal, conversation: &str) -> Result<Vec<ReplyView>, PageError> {
    let messages = state.engine.transcript(conversation, 0).await.map_err(|error| {
        PageError::unavailable(state, who, "the transcript of a conversation could not be read", &error)
    })?;
    Ok(messages.into_iter().map(ReplyView::from).collect())
}

/// How an action went, shown on the page acted from (`?done=…`).
#[derive(Debug, Deserialize)]
pub(super) struct Outcome {
    /// What was done.
    pub done: Option<String>,
}

/// `GET /console/escalations/{id}`.
async fn escalation(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path(id): Path<String>,
    Query(outcome): Query<Outcome>,
) -> Result<Response, PageError> {
    let escalation = find(&state, &who, &id).await?;
    let mut context = escalation_context(&state, &who, &escalation).await?;
    let left = !context["left"].is_null();
    context["notice"] = json!(outcome.done.as_deref().map(|done| done_text(done, left)));
    Ok(state.templates.page(StatusCode::OK, "escalation.html", context))
}

fn done_text(done: &str, left: bool) -> String {
    let key = match done {
        "claimed" if left => "claimed_left",
        "claimed" => "claimed",
        "replied" => "replied",
        "texted" => "texted",
        "returned" => "returned",
        "resolved" if left => "resolved_left",
        "resolved" => "resolved",
        "retried" => "retried",
        "completed" => "completed",
        "cancelled" => "cancelled",
        "decided" => "decided",
        _ => "other",
    };
    super::views::console_words(&format!("console.done.{key}"), &[])
}

/// `GET /console/escalations/{id}/transcript`: the transcript alone, for live updates.
async fn escalation_transcript(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(escalation) = read(&state, &who, &id).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let transcript = transcript(&state, &who, &escalation.conversation_id).await?;
    Ok(state.templates.page(StatusCode::OK, "transcript.html", json!({"transcript": transcript})))
}

/// `GET /console/escalations/{id}/status`: where the escalation stands, and whether the
/// resident is still in the chat, alone, for live updates.
async fn escalation_status(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(escalation) = read(&state, &who, &id).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let context = escalation_context(&state, &who, &escalation).await?;
    Ok(state.templates.page(StatusCode::OK, "escalation_status.html", context))
}

/// `GET /console/escalations/{id}/evidence/{n}`: a screenshot, or a page saved as text (never
/// served as HTML, so nothing in it runs).
async fn evidence(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path((id, index)): Path<(String, usize)>,
) -> Result<Response, PageError> {
    let Some(escalation) = read(&state, &who, &id).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let (Some(run_id), Some(runner)) = (escalation.run_id, state.engine.runner()) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let items = runner.journal().evidence(&run_id).await.map_err(|error| {
        PageError::unavailable(&state, &who, "the evidence of a workflow run could not be read", &error)
    })?;
    let Some(item) = items.into_iter().nth(index) else { return Ok(StatusCode::NOT_FOUND.into_response()) };
    Ok(evidence_file(item))
}

/// A run's piece of evidence as a file: a screenshot, or a page saved as text (never served as
/// HTML, so nothing in it runs), kept out of every cache.
pub(super) fn evidence_file(item: rpa::journal::Evidence) -> Response {
    if item.media_type.starts_with("image/png") {
        return ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, no-store")], item.content)
            .into_response();
    }
    let disposition = format!("attachment; filename=\"{}.txt\"", item.name.replace(['"', '/', '\\'], "_"));
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        item.content,
    )
        .into_response()
}

/// `POST /console/escalations/{id}/{action}`: claim, reply, hand back, resolve, and the run's
/// actions; the fields depend on the action.
async fn act(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    act_on(state, who, id, action, fields).await
}

/// `POST /console/escalations/{id}/run/{action}`.
async fn act_on_run(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    act_on(state, who, id, format!("run/{action}"), fields).await
}

async fn act_on(
    state: AppState,
    who: Principal,
    id: String,
    action: String,
    fields: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    check_csrf(&state, &who, field("csrf").as_deref())?;
    if action == "text" {
        let (to, text) = (field("to").unwrap_or_default(), field("text").unwrap_or_default());
        return match super::reach::text(&state, &who, &id, &to, &text).await? {
            Ok(()) => Ok(Redirect::to(&format!("/console/escalations/{id}?done=texted")).into_response()),
            Err((status, message)) => refused(&state, &who, &id, status, &message).await,
        };
    }
    let member = staff(&who);
    let engine = &state.engine;
    let done = match action.as_str() {
        "claim" => engine.claim(&id, &member).await.map(|_| "claimed"),
        "reply" => engine.reply_as_staff(&id, &member, &field("text").unwrap_or_default()).await.map(|_| "replied"),
        "hand-back" => engine.hand_back(&id, &member).await.map(|_| "returned"),
        "resolve" => engine.resolve(&id, &member, &field("outcome").unwrap_or_default()).await.map(|_| "resolved"),
        "run/retry" => engine.retry_run(&id, &member).await.map(|_| "retried"),
        "run/complete" => {
            let outputs: Vec<(String, String)> = fields
                .iter()
                .filter_map(|(key, value)| Some((key.strip_prefix("output.")?.to_string(), value.trim().to_string())))
                .filter(|(_, value)| !value.is_empty())
                .collect();
            engine.complete_run(&id, &member, &outputs).await.map(|_| "completed")
        }
        "run/cancel" => engine.cancel_run(&id, &member, "cancelled by staff").await.map(|_| "cancelled"),
        "task" => engine.decide_task(&id, &member, super::task_form::decision(&fields)).await.map(|_| "decided"),
        _ => return Err(PageError::not_found(&state, &who, "There is no such action.")),
    };
    match done {
        Ok(done) => Ok(Redirect::to(&format!("/console/escalations/{id}?done={done}")).into_response()),
        Err(StaffActionError::NoSuchEscalation(_)) => {
            Err(PageError::not_found(&state, &who, "There is no such escalation."))
        }
        Err(error) => {
            let refusal = Refusal::from(&error);
            refused(&state, &who, &id, refusal.status, &refusal.message).await
        }
    }
}
