//! Workflows started by other systems: `POST /api/v1/workflows/{name}/runs` starts a run of a
//! workflow with a `webhook` trigger, authenticated by that workflow's bearer token, once per
//! `Idempotency-Key`; `GET /api/v1/runs/{id}` says how it is going, without its inputs.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rpa::journal::{Keyed, RunRecord, RunStatus};
use rpa::runner::{Runner, RunnerError};
use rpa::workflow::WorkflowFile;
use serde_json::{Map, Value, json};

use super::ApiState;
use super::error::ApiError;
use crate::client::ClientAddress;
use crate::console::auth::{bearer, constant_time_eq};
use crate::councils::ApiReachedAt;

/// The header that makes a retried call start nothing new.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The longest idempotency key accepted.
const LONGEST_KEY: usize = 255;

/// Whether the request carries the workflow's webhook token.
fn carries_token(runner: &Runner, file: &WorkflowFile, headers: &HeaderMap) -> bool {
    match (bearer(headers), runner.webhook_token(file)) {
        (Some(given), Some(expected)) => constant_time_eq(given.as_bytes(), expected.as_bytes()),
        _ => false,
    }
}

/// The runner, or 404 where workflows are not run.
fn runner(state: &ApiState) -> Result<&std::sync::Arc<Runner>, ApiError> {
    state.engine.runner().ok_or_else(|| ApiError::NotFound("workflows are not run here".into()))
}

/// The idempotency key of a request, checked.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key = value.to_str().unwrap_or_default().trim();
    if key.is_empty() || key.len() > LONGEST_KEY || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(format!(
            "the `Idempotency-Key` header must be 1 to {LONGEST_KEY} visible ASCII characters, such as a UUID"
        )));
    }
    Ok(Some(key.to_string()))
}

/// A JSON body's inputs as name and text: strings as they are, numbers and booleans written
/// out; anything else is named as a problem.
fn inputs_of(body: &Map<String, Value>) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in body {
        match value {
            Value::String(text) => inputs.push((name.clone(), text.clone())),
            Value::Number(number) => inputs.push((name.clone(), number.to_string())),
            Value::Bool(flag) => inputs.push((name.clone(), flag.to_string())),
            Value::Null => {}
            _ => problems.push(format!("`{name}` must be a string, a number or true or false")),
        }
    }
    if problems.is_empty() { Ok(inputs) } else { Err(problems) }
}

/// What a call naming no workflow that a webhook can start is told: a plain name is named back.
fn no_such_workflow(name: &str) -> String {
    let plain =
        name.len() <= 64 && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if plain {
        format!("no workflow named `{name}` can be started by a webhook")
    } else {
        "no workflow with that name can be started by a webhook".into()
    }
}

/// A time in milliseconds as an RFC 3339 time in UTC.
fn rfc3339(millis: i64) -> Value {
    jiff::Timestamp::from_millisecond(millis).map_or(Value::Null, |time| Value::String(time.to_string()))
}

/// Where a run's status is read, by a caller who reached the API as this one did.
fn status_url(run: &RunRecord, reached: Option<&ApiReachedAt>) -> String {
    ApiReachedAt::path(reached, &format!("/api/v1/runs/{}", run.id))
}

/// A run as the API shows it: its state and, once it succeeded, its outputs; never its inputs.
fn run_view(run: &RunRecord, reached: Option<&ApiReachedAt>) -> Value {
    let done = run.status == RunStatus::Succeeded;
    json!({
        "id": run.id,
        "reference": run.reference,
        "workflow": run.workflow,
        "status": run.status,
        "started_by": run.started_by.channel,
        "created_at": rfc3339(run.created_at),
        "updated_at": rfc3339(run.updated_at),
        "finished_at": run.finished_at.map_or(Value::Null, rfc3339),
        "outputs": if done { Value::Object(run.outputs.clone()) } else { Value::Null },
        "status_url": status_url(run, reached),
    })
}

/// The answer to a call that started a run, or found the one its key started before.
fn accepted(run: &RunRecord, reached: Option<&ApiReachedAt>) -> Response {
    let mut response = (StatusCode::ACCEPTED, Json(run_view(run, reached))).into_response();
    if let Ok(location) = HeaderValue::from_str(&status_url(run, reached)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `POST /api/v1/workflows/{name}/runs`: starts a run with the body's inputs.
pub async fn start(
    State(state): State<ApiState>,
    client: ClientAddress,
    Path(name): Path<String>,
    reached: Option<Extension<ApiReachedAt>>,
    headers: HeaderMap,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    state.workflow_calls.check(&client.to_string()).map_err(ApiError::TooManyRequests)?;
    let runner = runner(&state)?;
    let catalogue = runner.catalogue();
    let file = catalogue
        .get(&name)
        .filter(|file| file.workflow.trigger.as_ref().is_some_and(|trigger| trigger.webhook.is_some()))
        .ok_or_else(|| ApiError::NotFound(no_such_workflow(&name)))?;
    if !carries_token(runner, file, &headers) {
        return Err(ApiError::Unauthorized(format!("send the `{name}` workflow's token as `Authorization: Bearer …`")));
    }
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let Value::Object(body) = body else {
        return Err(ApiError::BadRequest("the body must be a JSON object of the workflow's inputs".into()));
    };
    let inputs = inputs_of(&body).map_err(ApiError::InvalidInputs)?;
    let reached = reached.as_ref().map(|Extension(reached)| reached);
    match runner.start_from_webhook(file, &inputs, key.as_deref()).await {
        Ok(Keyed::Started(run)) => {
            state.engine.work_ready().notify_one();
            tracing::info!(workflow = %name, run = %run.id, "a webhook started a run");
            Ok(accepted(&run, reached))
        }
        Ok(Keyed::Again(run)) => Ok(accepted(&run, reached)),
        Ok(Keyed::OtherInputs) => Err(ApiError::Unprocessable(
            "this `Idempotency-Key` was used before with other inputs; use a new key for a new request".into(),
        )),
        Err(RunnerError::Inputs(problems)) => Err(ApiError::InvalidInputs(problems)),
        Err(RunnerError::Storage(error)) => {
            tracing::error!(error = %error, "the database failed");
            Err(ApiError::Unavailable(5))
        }
        Err(other) => {
            tracing::error!(workflow = %name, error = %other, "a webhook run could not start");
            Err(ApiError::Internal)
        }
    }
}

/// `GET /api/v1/runs/{id}`: a run's state, for a caller holding its workflow's token.
pub async fn show(
    State(state): State<ApiState>,
    client: ClientAddress,
    Path(id): Path<String>,
    reached: Option<Extension<ApiReachedAt>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.workflow_calls.check(&client.to_string()).map_err(ApiError::TooManyRequests)?;
    let runner = runner(&state)?;
    if bearer(&headers).is_none() {
        return Err(ApiError::Unauthorized("send the workflow's token as `Authorization: Bearer …`".into()));
    }
    let not_found = || ApiError::NotFound("no run you can see has that id".into());
    let run = runner.journal().run(&id).await.map_err(|error| {
        tracing::error!(error = %error, "the database failed");
        ApiError::Unavailable(5)
    })?;
    let run = run.filter(|run| run.id == id).ok_or_else(not_found)?;
    let catalogue = runner.catalogue();
    match catalogue.get(&run.workflow) {
        Some(file) if carries_token(runner, file, &headers) => {
            Ok(Json(run_view(&run, reached.as_ref().map(|Extension(reached)| reached))).into_response())
        }
        _ => Err(not_found()),
    }
}
