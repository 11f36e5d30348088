//! The figures for a period (the last 30 days unless asked otherwise): conversations and
//! escalations by day, escalations by reason, containment, response and resolution times, the
//! questions it could not answer and the answers residents doubted; and the same as CSV.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::Principal;
use super::auth::Supervisor;
use super::charts;
use super::error::PageError;
use super::views::{duration_text, reason_text};
use crate::AppState;

/// The figures' routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/figures", get(figures)).route("/console/figures.csv", get(figures_csv))
}

/// What a stored reason reads as in the figures; one no longer known reads as needing a person.
fn reason_name(reason: &str) -> String {
    storage::names::from_name(reason).map_or_else(|| "Needs a person".to_string(), reason_text)
}

/// The period of the figures.
#[derive(Debug, Deserialize)]
pub(crate) struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The period asked for (default: the last 30 days), or what is wrong with it.
pub(crate) fn period(query: &PeriodQuery) -> Result<bot::figures::Period, String> {
    let today = uk::calendar::uk_local_millis(storage::now_millis()).div_euclid(86_400_000);
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

async fn figures_for(
    state: &AppState,
    who: &Principal,
    period: bot::figures::Period,
) -> Result<bot::figures::Figures, PageError> {
    let services = state.engine.services();
    let journal = state.engine.runner().map(|runner| runner.journal());
    bot::figures::figures(state.engine.store(), journal, &services, period)
        .await
        .map_err(|error| PageError::unavailable(state, who, "the figures could not be worked out", &error))
}

fn minutes_text(minutes: Option<f64>) -> String {
    match minutes {
        Some(minutes) => duration_text((minutes * 60_000.0) as i64),
        None => super::views::console_words("console.figures.no_cases", &[]),
    }
}

/// `GET /console/figures`.
async fn figures(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (period, problem) = match period(&query) {
        Ok(period) => (period, None),
        Err(problem) => (
            period(&PeriodQuery { from: None, to: None }).unwrap_or(bot::figures::Period { from: 0, to: 1 }),
            Some(problem),
        ),
    };
    let figures = figures_for(&state, &who, period).await?;
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
    // Each message confirmed as a request after asking, with its service, to add as an example.
    let services = super::examples::service_choices(&state);
    let confirmed: Vec<Value> = figures
        .confirmed_requests
        .iter()
        .map(|request| {
            let label = services
                .iter()
                .find(|choice| choice.name == request.service)
                .map_or(request.service.as_str(), |choice| choice.label.as_str());
            json!({"message": request.message, "service": request.service, "label": label, "times": request.times})
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
    // Welsh and English side by side: the same service in both is part of the Welsh Language Standards.
    let languages: Vec<Value> = figures
        .by_language
        .iter()
        .map(|language| {
            let share = |count: u64| match language.conversations {
                0 => "–".to_string(),
                total => format!("{:.0}%", count as f64 * 100.0 / total as f64),
            };
            json!({"name": language.language.own_name(), "code": language.language.code(),
                   "conversations": language.conversations,
                   "contained": language.contained, "contained_share": share(language.contained),
                   "handed_over": language.handed_over, "handed_over_share": share(language.handed_over),
                   "first_response": minutes_text(language.median_minutes_to_first_response)})
        })
        .collect();
    let council = &state.engine.settings().council;
    let status = if problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(state.templates.page(
        status,
        "figures.html",
        json!({"council": council, "title": "Figures", "who": who, "csrf": who.csrf, "page": "figures",
               "f": figures, "problem": problem, "gaps": gaps, "doubted": doubted, "languages": languages,
               "confirmed": confirmed,
               "can_edit": super::answers::can_edit(&who),
               "services": services,
               "containment": format!("{:.0}%", figures.containment * 100.0),
               "first_response": minutes_text(figures.median_minutes_to_first_response),
               "resolution": minutes_text(figures.median_minutes_to_resolution),
               "day_chart": charts::days(&days), "reason_chart": charts::bars("Escalations by reason", &reasons)}),
    ))
}

/// What residents did about a doubted answer, worst first: "Thumbs-down: 2; Asked again: 1".
fn doubted_text(answer: &bot::figures::DoubtedAnswer) -> String {
    [
        ("thumbs_down", answer.thumbs_down),
        ("said_wrong", answer.said_wrong),
        ("asked_person", answer.asked_person),
        ("asked_again", answer.asked_again),
    ]
    .iter()
    .filter(|(_, times)| *times > 0)
    .map(|(what, times)| {
        super::views::console_words(&format!("console.doubted.{what}"), &[("times", &times.to_string())])
    })
    .collect::<Vec<_>>()
    .join("; ")
}

/// `GET /console/figures.csv`.
async fn figures_csv(
    State(state): State<AppState>,
    Supervisor(who): Supervisor,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let period = match period(&query) {
        Ok(period) => period,
        Err(problem) => return Ok((StatusCode::UNPROCESSABLE_ENTITY, problem).into_response()),
    };
    let figures = figures_for(&state, &who, period).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"councilbot-{}-to-{}.csv\"", figures.from, figures.to),
            ),
        ],
        bot::figures::to_csv(&figures),
    )
        .into_response())
}
