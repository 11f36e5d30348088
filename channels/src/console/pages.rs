//! The console's pages: signing in and out, the live queue, an escalation with everything
//! about it and what can be done, the audit log and the figures.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use bot::conversation::store::StoreError;
use bot::conversation::{ConversationStatus, Escalation, EscalationReason, StaffActionError, StaffMember};
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::{AccountError, Principal, Role, SESSION_MILLIS, is_username, printable_username, random_token};
use super::auth::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, Signed, check_csrf, require, require_form, session_cookie};
use super::charts;
use super::error::PageError;
use super::refusals::Refusal;
use crate::AppState;
use crate::api::conversations::transcript_views;
use crate::client::ClientAddress;
use crate::web::cookie;

/// The outcomes staff choose from when resolving.
pub const OUTCOMES: &[(&str, &str)] = &[
    ("answered", "Answered the resident's question"),
    ("request completed", "Completed their request"),
    ("referred", "Referred to another team"),
    ("no action needed", "No action needed"),
];

/// What a stored reason reads as in the figures; one no longer known reads as needing a person.
fn reason_name(reason: &str) -> &'static str {
    rpa::names::from_name(reason).map_or("Needs a person", reason_text)
}

/// What a reason is called on screen.
pub fn reason_text(reason: EscalationReason) -> &'static str {
    match reason {
        EscalationReason::Requested => "Asked for a person",
        EscalationReason::Unanswered => "Questions the assistant could not answer",
        EscalationReason::Frustration => "Frustrated resident",
        EscalationReason::Safeguarding => "Safeguarding concern",
        EscalationReason::WorkflowFailed => "A request could not be completed",
        EscalationReason::WorkflowWaiting => "A request waits for staff",
        EscalationReason::NotUnderstood => "The assistant could not understand",
    }
}

/// "4 minutes", "2 hours 5 minutes", "3 days".
pub fn duration_text(millis: i64) -> String {
    let minutes = (millis / 60_000).max(0);
    let plural = |count: i64, unit: &str| format!("{count} {unit}{}", if count == 1 { "" } else { "s" });
    match minutes {
        0 => "under a minute".into(),
        1..=59 => plural(minutes, "minute"),
        60..=1439 if minutes % 60 == 0 => plural(minutes / 60, "hour"),
        60..=1439 => format!("{} {}", plural(minutes / 60, "hour"), plural(minutes % 60, "minute")),
        _ => plural(minutes / 1440, "day"),
    }
}

/// A time as UK clock time, `YYYY-MM-DD HH:MM`.
pub(super) fn clock(millis: i64) -> String {
    let local = rpa::calendar::uk_local_millis(millis);
    let minute = local.rem_euclid(86_400_000) / 60_000;
    format!("{} {:02}:{:02}", rpa::calendar::date_of_millis(local), minute / 60, minute % 60)
}

fn staff(who: &Principal) -> StaffMember {
    StaffMember { username: who.username.clone(), name: who.display_name.clone() }
}

/// The sign-in page, with a fresh CSRF token in its cookie.
pub fn login_page(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    username: Option<String>,
    notice: Option<&str>,
) -> Response {
    let token = random_token();
    let council = &state.engine.settings().council;
    let mut response = state.templates.page(
        status,
        "login.html",
        json!({"council": council, "title": "Sign in", "error": error, "username": username, "notice": notice,
               "login_csrf": token, "oidc": state.oidc.is_some()}),
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(LOGIN_CSRF_COOKIE, &token, 3600, state.settings.secure_cookies));
    response
}

/// A page that says what is wrong.
pub fn problem_page(
    state: &AppState,
    status: StatusCode,
    who: Option<&Principal>,
    heading: &str,
    message: &str,
) -> Response {
    let council = &state.engine.settings().council;
    state.templates.page(
        status,
        "problem.html",
        json!({"council": council, "title": heading, "heading": heading, "message": message, "who": who,
               "csrf": who.and_then(|who| who.csrf.clone()), "back": "/console"}),
    )
}

/// The 404 page: `message` says what there is no such of ("There is no such answer.").
pub(super) fn not_found(state: &AppState, who: &Principal, message: &str) -> Response {
    problem_page(state, StatusCode::NOT_FOUND, Some(who), "Not found", message)
}

/// The 503 page for a failure to read or save what a page needs: logged as `failed`, with the
/// error, which is not shown.
pub(super) fn unavailable(state: &AppState, who: &Principal, failed: &str, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %error, "{failed}");
    problem_page(state, StatusCode::SERVICE_UNAVAILABLE, Some(who), "Unavailable", "Please try again shortly.")
}

/// `GET /console/login`.
pub async fn login_form(State(state): State<AppState>) -> Response {
    login_page(&state, StatusCode::OK, None, None, None)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
}

/// `POST /console/login`. Every refusal but a wait gives the same answer, whether the username
/// is unknown, unusable (control characters, too long) or has another password, and each is
/// audited under the name as typed (made printable).
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    let csrf_ok = matches!((expected.as_deref(), form.csrf.as_deref()),
        (Some(expected), Some(sent)) if super::auth::constant_time_eq(expected.as_bytes(), sent.as_bytes()));
    if !csrf_ok {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            Some("The form expired. Please sign in again.".into()),
            None,
            None,
        );
    }
    let username = form.username.trim();
    let shown = is_username(username).then(|| username.to_string());
    let actor = printable_username(username);
    if let Err(wait) = state.logins.check(&client.to_string()) {
        return too_many(&state, wait, "Too many attempts from here.", shown);
    }
    match state.accounts.sign_in(username, &form.password, client).await {
        Ok(principal) => {
            record(&state, &principal.username, "sign_in", "password").await;
            start_session(&state, &principal).await
        }
        Err(AccountError::WrongCredentials) => {
            let detail = if shown.is_some() { "" } else { "a username no account could have" };
            record(&state, &actor, "sign_in_failed", detail).await;
            login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("The username or password is not right.".to_string()),
                shown,
                None,
            )
        }
        Err(AccountError::Throttled(seconds)) => {
            record(&state, &actor, "sign_in_waiting", "").await;
            too_many(&state, u64::try_from(seconds).unwrap_or(1), "Too many failed sign-ins.", shown)
        }
        Err(error) => {
            tracing::error!(error = %error, "signing in failed");
            login_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Signing in is unavailable. Try again shortly.".into()),
                None,
                None,
            )
        }
    }
}

/// The answer to an attempt that must wait: 429 with `Retry-After`.
fn too_many(state: &AppState, seconds: u64, why: &str, username: Option<String>) -> Response {
    let seconds = seconds.max(1);
    let unit = if seconds == 1 { "second" } else { "seconds" };
    let message = format!("{why} Wait {seconds} {unit}, then try again.");
    let mut response = login_page(state, StatusCode::TOO_MANY_REQUESTS, Some(message), username, None);
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Writes to the audit log; a failure is logged, not shown.
async fn record(state: &AppState, actor: &str, action: &str, detail: &str) {
    if let Err(error) = state.engine.store().audit(actor, action, "console", detail).await {
        tracing::error!(error = %error, action, "the audit log could not be written");
    }
}

/// Starts a session and sends the person to the queue.
pub async fn start_session(state: &AppState, principal: &Principal) -> Response {
    match state.accounts.start_session(principal).await {
        Ok((token, _)) => {
            // A page rather than a redirect, so the first request of the session is same-site
            // and carries its SameSite=Strict cookie even after a sign-in through another site.
            let mut response = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::REFRESH, "0;url=/console")],
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed in</title></head><body>\
                 <p><a href=\"/console\">Continue to the console</a></p></body></html>",
            )
                .into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                session_cookie(SESSION_COOKIE, &token, SESSION_MILLIS / 1000, state.settings.secure_cookies),
            );
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie(LOGIN_CSRF_COOKIE, "", 0, state.settings.secure_cookies));
            response
        }
        Err(error) => {
            tracing::error!(error = %error, "a session could not be started");
            login_page(
                state,
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Signing in is unavailable. Try again shortly.".into()),
                None,
                None,
            )
        }
    }
}

/// A form that only carries the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /console/logout`: ends this session.
pub async fn logout(
    State(state): State<AppState>,
    Signed(who): Signed,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &who, form.csrf.as_deref()) {
        return refused.into();
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let _ = state.accounts.end_session(&token).await;
    }
    record(&state, &who.username, "sign_out", "").await;
    signed_out(&state, "You have signed out.")
}

/// `POST /console/logout/everywhere`: ends every session of the account, in every browser.
pub async fn logout_everywhere(
    State(state): State<AppState>,
    Signed(who): Signed,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(refused) = check_csrf(&state, &who, form.csrf.as_deref()) {
        return refused.into();
    }
    if who.csrf.is_none() {
        return problem_page(
            &state,
            StatusCode::BAD_REQUEST,
            Some(&who),
            "Not for tokens",
            "Signing out is for people signed in; an API token is withdrawn by making a new one.",
        );
    }
    match state.accounts.end_sessions(&who.username).await {
        Ok(ended) => {
            record(&state, &who.username, "sign_out_everywhere", &format!("{ended} sessions ended")).await;
            signed_out(&state, "You have signed out everywhere: every session of your account has ended.")
        }
        Err(error) => {
            tracing::error!(error = %error, "sessions could not be ended");
            problem_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&who),
                "Unavailable",
                "Your sessions could not be ended. Please try again shortly.",
            )
        }
    }
}

/// The sign-in page with a notice, and the session cookie cleared.
fn signed_out(state: &AppState, notice: &str) -> Response {
    let mut response = login_page(state, StatusCode::OK, None, None, Some(notice));
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(SESSION_COOKIE, "", 0, state.settings.secure_cookies));
    response
}

/// An open escalation as a row of the queue; a failure to read any of it fails the page.
async fn queue_rows(state: &AppState, who: &Principal) -> Result<Vec<Value>, PageError> {
    let failed = |error: StoreError| PageError::unavailable(state, who, "the queue could not be read", &error);
    let now = storage::now_millis();
    let store = state.engine.store();
    let escalations = store.open_escalations(500).await.map_err(failed)?;
    let mut rows = Vec::with_capacity(escalations.len());
    for escalation in escalations {
        let conversation = store.get(&escalation.conversation_id).await.map_err(failed)?;
        let preview = store
            .last_user_message(&escalation.conversation_id)
            .await
            .map_err(failed)?
            .map(|text| shorten(&text, 90))
            .unwrap_or_default();
        let left = match &conversation {
            Some(conversation) if conversation.status == ConversationStatus::Ended => {
                Some(left_view(state, who, &escalation, now).await?)
            }
            _ => None,
        };
        rows.push(json!({
            "id": escalation.id,
            "priority": escalation.priority,
            "reason_text": reason_text(escalation.reason),
            "waiting": duration_text(now - escalation.created_at),
            "left": left,
            "channel": conversation.map(|conversation| conversation.channel).unwrap_or_default(),
            "preview": preview,
            "status": escalation.status,
            "assignee": escalation.assignee,
        }));
    }
    Ok(rows)
}

/// When the person left the chat, as the console shows it (when it was noted).
async fn left_view(state: &AppState, who: &Principal, escalation: &Escalation, now: i64) -> Result<Value, PageError> {
    let left =
        state.engine.store().left_at(&escalation.id).await.map_err(|error| {
            PageError::unavailable(state, who, "when a person left the chat could not be read", &error)
        })?;
    Ok(match left {
        Some(at) => json!({"at": clock(at), "ago": duration_text(now - at)}),
        None => json!({"at": null, "ago": null}),
    })
}

/// A text cut to at most `most` characters, with an ellipsis when cut.
pub(super) fn shorten(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_string();
    }
    let cut: String = text.chars().take(most).collect();
    format!("{}…", cut.trim_end())
}

/// `GET /console`: the queue.
pub async fn queue(State(state): State<AppState>, Signed(who): Signed) -> Result<Response, PageError> {
    require(&state, false, &who, Role::Supervisor).map_err(Response::from)?;
    let council = &state.engine.settings().council;
    let rows = queue_rows(&state, &who).await?;
    Ok(state.templates.page(
        StatusCode::OK,
        "queue.html",
        json!({"council": council, "title": "Queue", "who": who, "csrf": who.csrf, "page": "queue", "rows": rows}),
    ))
}

/// `GET /console/queue`: the queue's table alone, for live updates.
pub async fn queue_table(State(state): State<AppState>, Signed(who): Signed) -> Result<Response, PageError> {
    require(&state, false, &who, Role::Supervisor).map_err(Response::from)?;
    let rows = queue_rows(&state, &who).await?;
    Ok(state.templates.page(StatusCode::OK, "queue_table.html", json!({"rows": rows})))
}

/// Everything shown about an escalation.
pub(super) async fn escalation_context(
    state: &AppState,
    who: &Principal,
    escalation: &Escalation,
) -> Result<Value, PageError> {
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
    let transcript = transcript_views(engine, &escalation.conversation_id).await;
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
        },
    });
    if let (Some(run_id), Some(runner)) = (&escalation.run_id, engine.runner())
        && let Ok(Some(run)) = runner.journal().run(run_id).await
    {
        let steps: Vec<Value> = runner
            .journal()
            .steps(&run.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|step| json!({"name": step.name, "status": format!("{:?}", step.status).to_lowercase(), "error": step.error}))
            .collect();
        let evidence: Vec<Value> = runner
            .journal()
            .evidence(&run.id)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|item| json!({"name": item.name, "is_image": item.media_type.starts_with("image/")}))
            .collect();
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
    Ok(context)
}

/// How an action on an escalation went, shown on its page.
#[derive(Debug, Deserialize)]
pub struct Outcome {
    done: Option<String>,
}

/// `GET /console/escalations/{id}`.
pub async fn escalation(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(id): Path<String>,
    Query(outcome): Query<Outcome>,
) -> Response {
    if let Err(refused) = require(&state, false, &who, Role::Supervisor) {
        return refused.into();
    }
    match state.engine.store().escalation(&id).await {
        Ok(Some(escalation)) => {
            let mut context = match escalation_context(&state, &who, &escalation).await {
                Ok(context) => context,
                Err(error) => return error.into_response(),
            };
            let left = !context["left"].is_null();
            context["notice"] = json!(outcome.done.as_deref().map(|done| done_text(done, left)));
            state.templates.page(StatusCode::OK, "escalation.html", context)
        }
        Ok(None) => not_found(&state, &who, "There is no such escalation."),
        Err(error) => unavailable(&state, &who, "an escalation could not be read", &error),
    }
}

fn done_text(done: &str, left: bool) -> &'static str {
    match done {
        "claimed" if left => "You have taken this case. The resident has left the chat, so they were not told.",
        "claimed" => "You have taken this conversation. The assistant will stay quiet.",
        "replied" => "Your reply was sent.",
        "texted" => "Your text message was sent.",
        "returned" => "The conversation is back with the assistant.",
        "resolved" if left => "The case is resolved.",
        "resolved" => "The conversation is resolved.",
        "retried" => "The run will be tried again.",
        "completed" => "The run was completed by hand.",
        "cancelled" => "The run was cancelled.",
        "decided" => "Your decision was recorded; the run goes on.",
        _ => "Done.",
    }
}

/// `GET /console/escalations/{id}/transcript`: the transcript alone, for live updates.
pub async fn escalation_transcript(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = require(&state, false, &who, Role::Supervisor) {
        return refused.into();
    }
    let Ok(Some(escalation)) = state.engine.store().escalation(&id).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let transcript = transcript_views(&state.engine, &escalation.conversation_id).await;
    state.templates.page(StatusCode::OK, "transcript.html", json!({"transcript": transcript}))
}

/// `GET /console/escalations/{id}/status`: where the escalation stands, and whether the
/// resident is still in the chat, alone, for live updates.
pub async fn escalation_status(State(state): State<AppState>, Signed(who): Signed, Path(id): Path<String>) -> Response {
    if let Err(refused) = require(&state, false, &who, Role::Supervisor) {
        return refused.into();
    }
    match state.engine.store().escalation(&id).await {
        Ok(Some(escalation)) => {
            let context = match escalation_context(&state, &who, &escalation).await {
                Ok(context) => context,
                Err(error) => return error.into_response(),
            };
            state.templates.page(StatusCode::OK, "escalation_status.html", context)
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => unavailable(&state, &who, "an escalation could not be read", &error),
    }
}

/// `GET /console/escalations/{id}/evidence/{n}`: a screenshot, or a page saved as text (never
/// served as HTML, so nothing in it runs).
pub async fn evidence(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((id, index)): Path<(String, usize)>,
) -> Response {
    if let Err(refused) = require(&state, false, &who, Role::Supervisor) {
        return refused.into();
    }
    let Ok(Some(escalation)) = state.engine.store().escalation(&id).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (Some(run_id), Some(runner)) = (escalation.run_id, state.engine.runner()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let items = runner.journal().evidence(&run_id).await.unwrap_or_default();
    let Some(item) = items.into_iter().nth(index) else { return StatusCode::NOT_FOUND.into_response() };
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
pub async fn act(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    act_on(state, who, id, action, fields).await
}

/// `POST /console/escalations/{id}/run/{action}`.
pub async fn act_on_run(
    State(state): State<AppState>,
    Signed(who): Signed,
    Path((id, action)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    act_on(state, who, id, format!("run/{action}"), fields).await
}

async fn act_on(
    state: AppState,
    who: Principal,
    id: String,
    action: String,
    fields: Vec<(String, String)>,
) -> Response {
    let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
    if let Err(refused) = require_form(&state, &who, Role::Supervisor, field("csrf").as_deref()) {
        return refused.into();
    }
    if action == "text" {
        let (to, text) = (field("to").unwrap_or_default(), field("text").unwrap_or_default());
        return super::reach::text(&state, &who, &id, &to, &text).await;
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
        "task" => {
            let approved = field("decision").as_deref() == Some("approve");
            let values: serde_json::Map<String, Value> = fields
                .iter()
                .filter_map(|(key, value)| {
                    Some((key.strip_prefix("value.")?.to_string(), Value::String(value.clone())))
                })
                .collect();
            engine
                .decide_task(&id, &member, approved, values, &field("comment").unwrap_or_default())
                .await
                .map(|_| "decided")
        }
        _ => return not_found(&state, &who, "There is no such action."),
    };
    match done {
        Ok(done) => Redirect::to(&format!("/console/escalations/{id}?done={done}")).into_response(),
        Err(StaffActionError::NoSuchEscalation(_)) => not_found(&state, &who, "There is no such escalation."),
        Err(error) => {
            let refusal = Refusal::from(&error);
            let Ok(Some(escalation)) = engine.store().escalation(&id).await else {
                return problem_page(&state, refusal.status, Some(&who), "That could not be done", &refusal.message);
            };
            let mut context = match escalation_context(&state, &who, &escalation).await {
                Ok(context) => context,
                Err(error) => return error.into_response(),
            };
            context["problem"] = json!(refusal.message);
            state.templates.page(refusal.status, "escalation.html", context)
        }
    }
}

/// Which entries of the audit log to show.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

/// `GET /console/audit`: admins only.
pub async fn audit(
    State(state): State<AppState>,
    Signed(who): Signed,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    require(&state, false, &who, Role::Admin).map_err(Response::from)?;
    let entries = state
        .engine
        .store()
        .audit_log(200, query.before)
        .await
        .map_err(|error| PageError::unavailable(&state, &who, "the audit log could not be read", &error))?;
    let older = (entries.len() == 200).then(|| entries.last().map(|entry| entry.id)).flatten();
    let rows: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({"when": clock(entry.at), "actor": entry.actor, "action": entry.action.replace('_', " "),
                             "target": entry.target, "detail": entry.detail})
        })
        .collect();
    let council = &state.engine.settings().council;
    Ok(state.templates.page(
        StatusCode::OK,
        "audit.html",
        json!({"council": council, "title": "Audit log", "who": who, "csrf": who.csrf, "page": "audit",
               "entries": rows, "older": older}),
    ))
}

/// The period of the figures.
#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The period asked for (default: the last 30 days), or what is wrong with it.
fn period(query: &PeriodQuery) -> Result<bot::figures::Period, String> {
    let today = rpa::calendar::uk_local_millis(storage::now_millis()).div_euclid(86_400_000);
    let day = |text: &Option<String>, default: i64| -> Result<i64, String> {
        match text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => Ok(default),
            Some(text) => bot::language::dates::day_of_iso(text)
                .ok_or_else(|| format!("`{text}` is not a date such as 2026-11-01")),
        }
    };
    let from = day(&query.from, today - 29)?;
    let to = day(&query.to, today)?;
    if to < from {
        return Err("the period ends before it starts".into());
    }
    if to - from > 366 {
        return Err("a period can be at most a year".into());
    }
    Ok(bot::figures::Period { from, to: to + 1 })
}

async fn figures_for(state: &AppState, period: bot::figures::Period) -> Result<bot::figures::Figures, Response> {
    let services = state.engine.services();
    let journal = state.engine.runner().map(|runner| runner.journal());
    bot::figures::figures(state.engine.store(), journal, &services, period).await.map_err(|error| {
        tracing::error!(error = %error, "the figures could not be worked out");
        (StatusCode::SERVICE_UNAVAILABLE, "The figures are unavailable. Please try again shortly.").into_response()
    })
}

fn minutes_text(minutes: Option<f64>) -> String {
    match minutes {
        Some(minutes) => duration_text((minutes * 60_000.0) as i64),
        None => "no cases in this period".into(),
    }
}

/// `GET /console/figures`.
pub async fn figures(State(state): State<AppState>, Signed(who): Signed, Query(query): Query<PeriodQuery>) -> Response {
    if let Err(refused) = require(&state, false, &who, Role::Supervisor) {
        return refused.into();
    }
    let (period, problem) = match period(&query) {
        Ok(period) => (period, None),
        Err(problem) => (
            period(&PeriodQuery { from: None, to: None }).unwrap_or(bot::figures::Period { from: 0, to: 1 }),
            Some(problem),
        ),
    };
    let figures = match figures_for(&state, period).await {
        Ok(figures) => figures,
        Err(response) => return response,
    };
    let days: Vec<(String, u64, u64)> =
        figures.days.iter().map(|day| (day.date[5..].to_string(), day.conversations, day.escalations)).collect();
    let reasons: Vec<(String, u64)> =
        figures.escalations_by_reason.iter().map(|(reason, count)| (reason_name(reason).to_string(), *count)).collect();
    // Each question it could not answer can become a curated answer, or an example of a service.
    let gaps: Vec<Value> = figures
        .content_gaps
        .iter()
        .map(|gap| {
            let question: String = form_urlencoded::byte_serialize(gap.question.as_bytes()).collect();
            let write = format!("/console/answers/new?question={question}");
            json!({"question": gap.question, "times": gap.times, "write": write})
        })
        .collect();
    // Each doubted answer, with what residents did, the page to check and a curated answer to write.
    let doubted: Vec<Value> = figures
        .doubted_answers
        .iter()
        .map(|answer| {
            let question: String = form_urlencoded::byte_serialize(answer.question.as_bytes()).collect();
            json!({"question": answer.question, "answer": answer.answer, "page": answer.page,
                   "did": doubted_text(answer), "write": format!("/console/answers/new?question={question}")})
        })
        .collect();
    let council = &state.engine.settings().council;
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    state.templates.page(
        status,
        "figures.html",
        json!({"council": council, "title": "Figures", "who": who, "csrf": who.csrf, "page": "figures",
               "f": figures, "problem": problem, "gaps": gaps, "doubted": doubted,
               "can_edit": super::answers::can_edit(&who),
               "services": super::examples::service_choices(&state),
               "containment": format!("{:.0}%", figures.containment * 100.0),
               "first_response": minutes_text(figures.median_minutes_to_first_response),
               "resolution": minutes_text(figures.median_minutes_to_resolution),
               "day_chart": charts::days(&days), "reason_chart": charts::bars("Escalations by reason", &reasons)}),
    )
}

/// What residents did about a doubted answer, worst first: "Thumbs-down: 2; Asked again: 1".
fn doubted_text(answer: &bot::figures::DoubtedAnswer) -> String {
    [
        ("Thumbs-down", answer.thumbs_down),
        ("Said it was wrong", answer.said_wrong),
        ("Asked for a person", answer.asked_person),
        ("Asked again", answer.asked_again),
    ]
    .iter()
    .filter(|(_, times)| *times > 0)
    .map(|(what, times)| format!("{what}: {times}"))
    .collect::<Vec<_>>()
    .join("; ")
}

/// `GET /console/figures.csv`.
pub async fn figures_csv(
    State(state): State<AppState>,
    Signed(who): Signed,
    Query(query): Query<PeriodQuery>,
) -> Response {
    if let Err(refused) = require(&state, false, &who, Role::Supervisor) {
        return refused.into();
    }
    let period = match period(&query) {
        Ok(period) => period,
        Err(problem) => return (StatusCode::UNPROCESSABLE_ENTITY, problem).into_response(),
    };
    match figures_for(&state, period).await {
        Ok(figures) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"councilbot-{}-to-{}.csv\"", figures.from, figures.to),
                ),
            ],
            bot::figures::to_csv(&figures),
        )
            .into_response(),
        Err(response) => response,
    }
}
