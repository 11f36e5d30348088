//! The console's page of examples added to services: for each service, the examples its
//! workflow declares and those staff added (a message the assistant did not recognise, added
//! from the figures, or typed here), with the latest additions and removals. Supervisors read
//! it; editors and admins add and remove examples.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bot::service_examples::{AddedExample, ExampleError, ExampleEvent, tidy_example};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::accounts::Principal;
use super::answers::{FieldError, can_edit, sentence};
use super::auth::{Editor, Supervisor, check_csrf};
use super::error::PageError;
use super::views::clock;
use crate::AppState;

/// The routes of the examples of services.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/examples", get(list).post(add)).route("/console/examples/remove", post(remove))
}

/// How many of the latest additions and removals the page lists.
const CHANGES_LISTED: i64 = 30;

/// A service people can ask for, as the lists of services show it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ServiceChoice {
    /// The workflow's name.
    pub name: String,
    /// What it does, from the workflow.
    pub label: String,
}

/// The services people can ask for in conversation, for choosing one.
pub(super) fn service_choices(state: &AppState) -> Vec<ServiceChoice> {
    state
        .engine
        .services()
        .offered()
        .map(|file| ServiceChoice {
            name: file.workflow.name.value.clone(),
            label: file.workflow.description.english.trim_end_matches('.').to_string(),
        })
        .collect()
}

/// An example to add, or one to remove.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ExampleForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    service: String,
    #[serde(default)]
    example: String,
}

/// What was just done, for the notice on the page.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
    service: Option<String>,
}

/// `GET /console/examples`.
async fn list(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let label = done.service.as_deref().map(|service| label_of(&state, service)).unwrap_or_default();
    let notice = match done.done.as_deref() {
        Some("added") => {
            Some(format!("The example is added. The assistant now recognises it as a request to {label}."))
        }
        Some("present") => Some(format!("The service already had that example: a request to {label}.")),
        Some("removed") => Some("The example is removed.".to_string()),
        Some("absent") => Some("That example had already been removed.".to_string()),
        _ => None,
    };
    page(&state, &who, StatusCode::OK, &ExampleForm::default(), &[], notice.as_deref()).await
}

/// `POST /console/examples`: adds an example to a service.
async fn add(
    State(state): State<AppState>,
    Editor(who): Editor,
    Form(form): Form<ExampleForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &who, form.csrf.as_deref())?;
    let mut errors = Vec::new();
    if !service_choices(&state).iter().any(|choice| choice.name == form.service) {
        errors.push(FieldError::new("service", "Choose the service the example asks for"));
    }
    let example =
        tidy_example(&form.example).map_err(|message| errors.push(FieldError::new("example", &sentence(&message))));
    let (Ok(example), true) = (example, errors.is_empty()) else {
        return page(&state, &who, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors, None).await;
    };
    match state.engine.service_examples().add(&form.service, &example, &who.username).await {
        Ok(added) => {
            let done = if added { "added" } else { "present" };
            Ok(Redirect::to(&format!("/console/examples?done={done}&service={}", form.service)).into_response())
        }
        Err(error) => Err(unavailable(&state, &who, &error)),
    }
}

/// `POST /console/examples/remove`: removes an example from a service.
async fn remove(
    State(state): State<AppState>,
    Editor(who): Editor,
    Form(form): Form<ExampleForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &who, form.csrf.as_deref())?;
    match state.engine.service_examples().remove(&form.service, &form.example, &who.username).await {
        Ok(removed) => {
            let done = if removed { "removed" } else { "absent" };
            Ok(Redirect::to(&format!("/console/examples?done={done}")).into_response())
        }
        Err(error) => Err(unavailable(&state, &who, &error)),
    }
}

/// What a service does, in lowercase, for sentences ("report a missed bin collection").
fn label_of(state: &AppState, service: &str) -> String {
    let choices = service_choices(state);
    let label = choices.iter().find(|choice| choice.name == service).map_or(service, |choice| choice.label.as_str());
    let mut chars = label.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// The answer to a failure to read or write the examples.
fn unavailable(state: &AppState, who: &Principal, error: &ExampleError) -> PageError {
    PageError::unavailable(state, who, "the examples of services could not be read or saved", error)
}

/// The page: every service with its examples, the latest changes, and the form to add one.
async fn page(
    state: &AppState,
    who: &Principal,
    status: StatusCode,
    form: &ExampleForm,
    errors: &[FieldError],
    notice: Option<&str>,
) -> Result<Response, PageError> {
    let store = state.engine.service_examples();
    let (added, changes) = match (store.current().await, store.history(None, CHANGES_LISTED).await) {
        (Ok(added), Ok(changes)) => (added, changes),
        (Err(error), _) | (_, Err(error)) => return Err(unavailable(state, who, &error)),
    };
    let services = state.engine.services();
    // The examples staff added to a service, as rows.
    let added_to = |service: &str| -> Vec<Value> {
        added
            .iter()
            .filter(|example| example.service == service)
            .map(|example: &AddedExample| {
                json!({"example": example.example, "added_by": example.added_by,
                       "added_at": clock(example.added_at)})
            })
            .collect()
    };
    let mut rows: Vec<Value> = services
        .offered()
        .map(|file| {
            let name = &file.workflow.name.value;
            let own = file.workflow.trigger.as_ref().and_then(|trigger| trigger.intent.as_ref());
            json!({"name": name, "label": file.workflow.description.english, "offered": true,
                   "own": own.map(|intent| intent.examples.clone()).unwrap_or_default(), "added": added_to(name)})
        })
        .collect();
    // Examples kept for a service no workflow offers now are shown, so they can be removed.
    let mut others: Vec<&str> = added
        .iter()
        .map(|example| example.service.as_str())
        .filter(|service| services.offered().all(|file| file.workflow.name.value != *service))
        .collect();
    others.dedup();
    for service in others {
        rows.push(json!({"name": service, "label": service, "offered": false, "own": [], "added": added_to(service)}));
    }
    let change_row = |event: &ExampleEvent| {
        json!({"service": event.service, "example": event.example, "change": event.change.as_str(),
               "changed_by": event.changed_by, "changed_at": clock(event.changed_at)})
    };
    let council = &state.engine.settings().council;
    Ok(state.templates.page(
        status,
        "examples.html",
        json!({"council": council, "title": "Examples of services", "who": who, "csrf": who.csrf, "page": "examples",
               "can_edit": can_edit(who), "services": rows, "choices": service_choices(state),
               "changes": changes.iter().map(change_row).collect::<Vec<_>>(), "form": form, "errors": errors,
               "error": FieldError::by_field(errors), "notice": notice}),
    ))
}
