//! The console's pages for curated answers: the list, each answer with every version before
//! it, and the form that writes a new answer or a new version of one. Supervisors read them;
//! editors and admins write them and switch them on and off.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bot::conversation::Audience;
use bot::curated::{AnswerSource, Change, CuratedAnswer, CuratedError, Field, StoredAnswer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::accounts::{Principal, Role};
use super::auth::{Editor, Supervisor, check_csrf};
use super::error::PageError;
use super::views::{clock, problem_page, shorten};
use crate::AppState;

/// The curated answers' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/answers", get(list))
        .route("/console/answers/new", get(new_form).post(create))
        .route("/console/answers/{id}", get(show).post(update))
        .route("/console/answers/{id}/switch", post(switch))
}

/// The id kept for the page that writes a new answer.
const NEW: &str = "new";

/// An answer as its form shows it, and as it comes back.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    id: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    examples: String,
    #[serde(default)]
    source_url: String,
    #[serde(default)]
    source_title: String,
    #[serde(default)]
    enabled: Option<String>,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    version: Option<i64>,
}

impl AnswerForm {
    /// The form filled in with an answer as stored.
    fn of(stored: &StoredAnswer) -> AnswerForm {
        let answer = &stored.answer;
        AnswerForm {
            csrf: None,
            id: answer.id.clone(),
            answer: answer.answer.clone(),
            examples: answer.examples.join("\n"),
            source_url: answer.source.url.clone(),
            source_title: answer.source.title.clone(),
            enabled: answer.enabled.then(|| "on".into()),
            audience: answer.audience.as_str().into(),
            version: Some(stored.version),
        }
    }

    /// The answer the form describes, or what is wrong with it, each by the field it is in.
    fn answer(&self, id: &str) -> Result<CuratedAnswer, Vec<FieldError>> {
        let mut errors = Vec::new();
        let audience = match self.audience.as_str() {
            "resident" => Audience::Resident,
            "staff" => Audience::Staff,
            _ => {
                errors.push(FieldError::new("audience-resident", "Choose who the answer is for"));
                Audience::Resident
            }
        };
        let answer = CuratedAnswer {
            id: id.trim().to_string(),
            answer: self.answer.trim().to_string(),
            source: AnswerSource {
                url: self.source_url.trim().to_string(),
                title: self.source_title.trim().to_string(),
            },
            examples: self.examples.lines().map(str::trim).filter(|line| !line.is_empty()).map(String::from).collect(),
            enabled: self.enabled.is_some(),
            audience,
        };
        let mut problems: Vec<FieldError> = answer
            .problems()
            .into_iter()
            .map(|problem| {
                let field = match problem.field {
                    Field::Id => "id",
                    Field::Answer => "answer",
                    Field::SourceUrl => "source-url",
                    Field::SourceTitle => "source-title",
                    Field::Examples | Field::Example(_) => "examples",
                };
                FieldError::new(field, &sentence(&problem.message))
            })
            .collect();
        if answer.id == NEW {
            problems.insert(0, FieldError::new("id", "Choose another id: `new` is kept for writing new answers"));
        }
        problems.append(&mut errors);
        if problems.is_empty() { Ok(answer) } else { Err(problems) }
    }
}

/// What is wrong with one field of a form.
#[derive(Debug, Clone, Serialize)]
pub(super) struct FieldError {
    /// The id of the field's input.
    pub field: String,
    /// What is wrong, as a sentence.
    pub message: String,
}

impl FieldError {
    /// A mistake in the field whose input has the id `field`.
    pub(super) fn new(field: &str, message: &str) -> FieldError {
        FieldError { field: field.into(), message: message.into() }
    }

    /// The first mistake in each field, by the id of the field's input, for showing beside it.
    pub(super) fn by_field(errors: &[FieldError]) -> serde_json::Map<String, Value> {
        errors.iter().rev().map(|error| (error.field.clone(), Value::String(error.message.clone()))).collect()
    }
}

/// A lowercase message as a sentence: its first letter a capital.
pub(super) fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Who may change curated answers and examples.
pub(super) fn can_edit(who: &Principal) -> bool {
    who.role >= Role::Editor
}

/// The answer to a failure to read or write the answers.
fn unavailable(state: &AppState, who: &Principal, error: &CuratedError) -> PageError {
    PageError::unavailable(state, who, "the curated answers could not be read or saved", error)
}

/// An answer as it stands now, or the page saying there is none or it cannot be read.
async fn find(state: &AppState, who: &Principal, id: &str) -> Result<StoredAnswer, PageError> {
    match state.engine.curated().get(id).await {
        Ok(Some(stored)) => Ok(stored),
        Ok(None) => Err(PageError::not_found(state, who, "There is no such answer.")),
        Err(error) => Err(unavailable(state, who, &error)),
    }
}

/// A version as a row of a table.
fn version_row(stored: &StoredAnswer) -> Value {
    json!({"version": stored.version, "changed_by": stored.changed_by, "changed_at": clock(stored.changed_at),
           "enabled": stored.answer.enabled, "audience": stored.answer.audience.as_str(),
           "answer": stored.answer.answer, "examples": stored.answer.examples,
           "source_url": stored.answer.source.url, "source_title": stored.answer.source.title})
}

/// `GET /console/answers`: every curated answer.
async fn list(State(state): State<AppState>, Supervisor(who): Supervisor) -> Result<Response, PageError> {
    let answers = state.engine.curated().current().await.map_err(|error| unavailable(&state, &who, &error))?;
    let rows: Vec<Value> = answers
        .iter()
        .map(|stored| {
            let mut row = version_row(stored);
            row["id"] = json!(stored.answer.id);
            row["first_example"] = json!(stored.answer.examples.first().map(|example| shorten(example, 80)));
            row
        })
        .collect();
    let council = &state.engine.settings().council;
    Ok(state.templates.page(
        StatusCode::OK,
        "answers.html",
        json!({"council": council, "title": "Curated answers", "who": who, "csrf": who.csrf, "page": "answers",
               "can_edit": can_edit(&who), "answers": rows}),
    ))
}

/// What the new-answer form starts with.
#[derive(Debug, Deserialize)]
pub struct NewQuery {
    question: Option<String>,
}

/// `GET /console/answers/new`: the form for a new answer, with a question residents asked as its
/// first example when one is given.
async fn new_form(
    State(state): State<AppState>,
    Editor(who): Editor,
    Query(query): Query<NewQuery>,
) -> Result<Response, PageError> {
    let question = query.question.as_deref().map(str::trim).unwrap_or_default();
    let form = AnswerForm {
        id: slug_of(question),
        examples: question.to_string(),
        enabled: Some("on".into()),
        audience: "resident".into(),
        ..AnswerForm::default()
    };
    form_page(&state, &who, StatusCode::OK, &form, None, &[], None).await
}

/// `POST /console/answers/new`: adds an answer.
async fn create(
    State(state): State<AppState>,
    Editor(who): Editor,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &who, form.csrf.as_deref())?;
    let answer = match form.answer(&form.id) {
        Ok(answer) => answer,
        Err(errors) => {
            return form_page(&state, &who, StatusCode::UNPROCESSABLE_ENTITY, &form, None, &errors, None).await;
        }
    };
    match state.engine.curated().save(&answer, None, &who.username).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/answers/{}?done=added", answer.id)).into_response()),
        Err(CuratedError::Exists(id)) => {
            let errors = [FieldError::new(
                "id",
                &format!("There is already an answer `{id}`: choose another id, or change that answer"),
            )];
            form_page(&state, &who, StatusCode::CONFLICT, &form, None, &errors, None).await
        }
        Err(error) => Err(unavailable(&state, &who, &error)),
    }
}

/// What was just done to an answer, for the notice on its page.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn done_text(done: &str) -> String {
    let key = match done {
        "added" | "changed" | "switched_on" | "switched_off" | "unchanged" => done,
        _ => "other",
    };
    super::views::console_words(&format!("console.answer_done.{key}"), &[])
}

/// `GET /console/answers/{id}`: an answer, with its history; a form to change it for editors.
async fn show(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let stored = find(&state, &who, &id).await?;
    let notice = done.done.as_deref().map(done_text);
    form_page(&state, &who, StatusCode::OK, &AnswerForm::of(&stored), Some(&stored), &[], notice.as_deref()).await
}

/// `POST /console/answers/{id}`: saves a new version of an answer, made from the version the
/// form was filled with; when someone else saved another meanwhile, nothing is saved and the
/// form comes back as it was sent, saying so.
async fn update(
    State(state): State<AppState>,
    Editor(who): Editor,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &who, form.csrf.as_deref())?;
    let stored = find(&state, &who, &id).await?;
    let answer = match form.answer(&id) {
        Ok(answer) => answer,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form_page(&state, &who, status, &form, Some(&stored), &errors, None).await;
        }
    };
    save_version(&state, &who, &answer, form.version, &form).await
}

/// Saves a version made from `based_on`, then shows the answer; or shows the conflict.
async fn save_version(
    state: &AppState,
    who: &Principal,
    answer: &CuratedAnswer,
    based_on: Option<i64>,
    form: &AnswerForm,
) -> Result<Response, PageError> {
    let Some(based_on) = based_on else {
        return Err(PageError::from(problem_page(
            state,
            StatusCode::BAD_REQUEST,
            Some(who),
            "The form is incomplete",
            "Go back, reload the page and try again.",
        )));
    };
    match state.engine.curated().save(answer, Some(based_on), &who.username).await {
        Ok(saved) => {
            let done = match saved.change {
                Change::Added => "added",
                Change::Changed => "changed",
                Change::SwitchedOn => "switched_on",
                Change::SwitchedOff => "switched_off",
                Change::Unchanged => "unchanged",
            };
            Ok(Redirect::to(&format!("/console/answers/{}?done={done}", answer.id)).into_response())
        }
        Err(CuratedError::Conflict(_)) => {
            let latest = find(state, who, &answer.id).await?;
            let message = format!(
                "{} saved version {} of this answer at {} while you were working on it. Your changes are below \
                 and have not been saved. Compare them with version {} in the history; saving again replaces it.",
                latest.changed_by,
                latest.version,
                clock(latest.changed_at),
                latest.version
            );
            let errors = [FieldError::new("answer", &message)];
            // Saving again is a choice made knowing the newer version, so it is made from that one.
            let again = AnswerForm { version: Some(latest.version), ..form.clone() };
            form_page(state, who, StatusCode::CONFLICT, &again, Some(&latest), &errors, None).await
        }
        Err(error) => Err(unavailable(state, who, &error)),
    }
}

/// The switch of an answer.
#[derive(Debug, Deserialize)]
pub struct SwitchForm {
    csrf: Option<String>,
    version: Option<i64>,
    enabled: String,
}

/// `POST /console/answers/{id}/switch`: switches an answer on or off, as a new version.
async fn switch(
    State(state): State<AppState>,
    Editor(who): Editor,
    Path(id): Path<String>,
    Form(switch): Form<SwitchForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &who, switch.csrf.as_deref())?;
    let stored = find(&state, &who, &id).await?;
    let enabled = match switch.enabled.as_str() {
        "on" => true,
        "off" => false,
        _ => {
            return Err(PageError::from(problem_page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&who),
                "Not a switch",
                "An answer is switched on or off.",
            )));
        }
    };
    let answer = CuratedAnswer { enabled, ..stored.answer.clone() };
    let form =
        AnswerForm { version: switch.version, ..AnswerForm::of(&StoredAnswer { answer: answer.clone(), ..stored }) };
    save_version(&state, &who, &answer, switch.version, &form).await
}

/// The page of an answer: the form (for editors) or what it says (for others), its history,
/// and any errors with the fields they are in.
async fn form_page(
    state: &AppState,
    who: &Principal,
    status: StatusCode,
    form: &AnswerForm,
    stored: Option<&StoredAnswer>,
    errors: &[FieldError],
    notice: Option<&str>,
) -> Result<Response, PageError> {
    let history = match stored {
        Some(stored) => {
            let history = state
                .engine
                .curated()
                .history(&stored.answer.id)
                .await
                .map_err(|error| unavailable(state, who, &error))?;
            history.iter().rev().map(version_row).collect()
        }
        None => Vec::new(),
    };
    let council = &state.engine.settings().council;
    let title = match stored {
        Some(stored) => format!("Curated answer {}", stored.answer.id),
        None => "Write a curated answer".into(),
    };
    Ok(state.templates.page(
        status,
        "answer.html",
        json!({"council": council, "title": title, "who": who, "csrf": who.csrf, "page": "answers",
               "can_edit": can_edit(who), "form": form, "stored": stored.map(version_row),
               "id": stored.map(|stored| stored.answer.id.clone()), "history": history, "errors": errors,
               "error": FieldError::by_field(errors), "notice": notice}),
    ))
}

/// A suggested id for an answer to a question: its first words, lowercase, joined by hyphens.
fn slug_of(question: &str) -> String {
    let words: Vec<String> = question
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(8)
        .map(str::to_ascii_lowercase)
        .collect();
    let mut slug = words.join("-");
    slug.truncate(bot::curated::LONGEST_ID);
    slug.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_suggests_an_id() {
        assert_eq!(slug_of("When is the tip open on Sundays?"), "when-is-the-tip-open-on-sundays");
        assert_eq!(slug_of("  "), "");
        assert!(bot::curated::is_id(&slug_of("Où est la déchetterie, s'il vous plaît ?")));
    }
}
