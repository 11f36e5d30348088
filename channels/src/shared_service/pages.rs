//! The shared service console's pages: the open escalations, the workflow runs and the figures
//! of every council the signed-in member of staff works for, each row naming its council and
//! linking to it in that council's own console; and the figures per council and combined as CSV.

use std::cmp::Reverse;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rpa::journal::{RunFilter, RunStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{SharedCouncil, SharedService, SharedStaff, problem_page};
use crate::console::error::PageError;
use crate::console::figures::{PeriodQuery, period};
use crate::console::queue::open_escalation_rows;
use crate::console::runs::run_row;
use crate::councils::address_of;

/// The most runs shown of each council.
const RUNS_PER_COUNCIL: i64 = 50;

/// The pages' routes.
pub fn router() -> Router<SharedService> {
    Router::new()
        .route("/shared/console", get(queue))
        .route("/shared/console/runs", get(runs))
        .route("/shared/console/figures", get(figures))
        .route("/shared/console/figures.csv", get(figures_csv))
}

/// The council a page is filtered to.
#[derive(Debug, Default, Deserialize)]
struct CouncilQuery {
    council: Option<String>,
    status: Option<String>,
}

/// The councils a page shows: those the person supervises, or the one the filter names when it
/// is one of theirs (else 404).
fn shown<'a>(
    service: &'a SharedService,
    staff: &SharedStaff,
    filter: Option<&str>,
) -> Result<Vec<&'a SharedCouncil>, PageError> {
    let theirs: Vec<&SharedCouncil> =
        service.councils().iter().filter(|council| staff.supervises(&council.id)).collect();
    match filter.map(str::trim).filter(|filter| !filter.is_empty()) {
        None => Ok(theirs),
        Some(id) => match theirs.into_iter().find(|council| council.id == id) {
            Some(council) => Ok(vec![council]),
            None => Err(PageError::from(problem_page(
                service,
                StatusCode::NOT_FOUND,
                Some(staff),
                "No such council",
                "None of the councils you work for has that id.",
            ))),
        },
    }
}

/// The choices of the council filter: every council the person supervises.
fn council_choices(service: &SharedService, staff: &SharedStaff, chosen: Option<&str>) -> Vec<Value> {
    service
        .councils()
        .iter()
        .filter(|council| staff.supervises(&council.id))
        .map(|council| json!({"id": council.id, "name": council.name, "chosen": chosen == Some(council.id.as_str())}))
        .collect()
}

/// A row of a council's own console page, named with its council and linked to `path` there.
fn of_council(mut row: Value, council: &SharedCouncil, headers: &HeaderMap, path: &str) -> Value {
    row["council"] = json!(council.name);
    row["open"] = json!(in_council(council, headers, path));
    row
}

/// Where a path of a council's own console is: at its host name, on the port and with the
/// scheme this request came in on; a council with no host name of its own is the one that
/// answers at any host.
fn in_council(council: &SharedCouncil, headers: &HeaderMap, path: &str) -> String {
    match &council.host {
        Some(host) => format!("{}{path}", address_of(host, headers, council.state.settings.secure_cookies)),
        None => path.to_string(),
    }
}

/// The answer when a council's records cannot be read.
fn unavailable(
    service: &SharedService,
    staff: &SharedStaff,
    council: &SharedCouncil,
    error: &dyn std::fmt::Display,
) -> PageError {
    tracing::error!(error = %error, council = council.id, "the shared service could not read a council's records");
    let message = format!("{}'s records could not be read just now. Try again in a moment.", council.name);
    PageError::from(problem_page(
        service,
        StatusCode::SERVICE_UNAVAILABLE,
        Some(staff),
        "Something went wrong",
        &message,
    ))
}

/// `GET /shared/console`: the open escalations of the person's councils, most urgent first.
async fn queue(
    State(service): State<SharedService>,
    staff: SharedStaff,
    headers: HeaderMap,
    Query(query): Query<CouncilQuery>,
) -> Result<Response, PageError> {
    let councils = shown(&service, &staff, query.council.as_deref())?;
    let mut rows = Vec::new();
    for council in councils {
        let open = open_escalation_rows(council.state.engine.store())
            .await
            .map_err(|error| unavailable(&service, &staff, council, &error))?;
        for row in open {
            let path = format!("/console/escalations/{}", row["id"].as_str().unwrap_or(""));
            rows.push(of_council(row, council, &headers, &path));
        }
    }
    rows.sort_by_key(|row| (row["priority"] != "high", row["since"].as_i64().unwrap_or(i64::MAX)));
    Ok(service.page(
        StatusCode::OK,
        "shared_queue.html",
        json!({"title": "Queue", "who": staff.who, "csrf": staff.who.csrf, "page": "queue", "rows": rows,
               "councils": council_choices(&service, &staff, query.council.as_deref())}),
    ))
}

/// `GET /shared/console/runs`: the latest runs of the person's councils, newest first.
async fn runs(
    State(service): State<SharedService>,
    staff: SharedStaff,
    headers: HeaderMap,
    Query(query): Query<CouncilQuery>,
) -> Result<Response, PageError> {
    let councils = shown(&service, &staff, query.council.as_deref())?;
    let status = match query.status.as_deref().map(str::trim).filter(|status| !status.is_empty()) {
        None => None,
        Some(name) => match storage::names::from_name::<RunStatus>(name) {
            Some(status) => Some(status),
            None => {
                let message = format!("`{name}` is not a run status.");
                let refused = problem_page(
                    &service,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&staff),
                    "Check the filter",
                    &message,
                );
                return Err(PageError::from(refused));
            }
        },
    };
    let filter = RunFilter { status, ..RunFilter::default() };
    let mut found = Vec::new();
    for council in councils {
        let Some(runner) = council.state.engine.runner() else { continue };
        match runner.journal().list_runs(&filter, RUNS_PER_COUNCIL).await {
            Ok(runs) => found.extend(runs.into_iter().map(|run| (council, run))),
            Err(error) => return Err(unavailable(&service, &staff, council, &error)),
        }
    }
    found.sort_by_key(|(_, run)| Reverse(run.created_at));
    let rows: Vec<Value> = found
        .iter()
        .map(|(council, run)| of_council(run_row(run), council, &headers, &format!("/console/runs/{}", run.id)))
        .collect();
    Ok(service.page(
        StatusCode::OK,
        "shared_runs.html",
        json!({"title": "Runs", "who": staff.who, "csrf": staff.who.csrf, "page": "runs", "rows": rows,
               "status": query.status, "councils": council_choices(&service, &staff, query.council.as_deref())}),
    ))
}

/// One council's figures for a period, as a row of the shared figures.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct FiguresRow {
    council: String,
    conversations: u64,
    contained: u64,
    containment: String,
    escalations: u64,
    runs_succeeded: u64,
    runs_failed: u64,
    staff_minutes_saved: u64,
    first_response: Option<f64>,
    resolution: Option<f64>,
}

impl FiguresRow {
    fn of(council: &str, figures: &bot::figures::Figures) -> FiguresRow {
        FiguresRow {
            council: council.to_string(),
            conversations: figures.conversations,
            contained: figures.contained,
            containment: format!("{:.0}%", figures.containment * 100.0),
            escalations: figures.escalations_by_reason.iter().map(|(_, count)| count).sum(),
            runs_succeeded: figures.runs_succeeded,
            runs_failed: figures.runs_failed,
            staff_minutes_saved: figures.staff_minutes_saved,
            first_response: figures.median_minutes_to_first_response,
            resolution: figures.median_minutes_to_resolution,
        }
    }

    /// The rows added together; medians cannot be, so the combined row has none.
    fn combined(rows: &[FiguresRow]) -> FiguresRow {
        let sum = |field: fn(&FiguresRow) -> u64| rows.iter().map(field).sum::<u64>();
        let conversations = sum(|row| row.conversations);
        let contained = sum(|row| row.contained);
        let containment = if conversations == 0 { 0.0 } else { contained as f64 / conversations as f64 };
        FiguresRow {
            council: "All councils".into(),
            conversations,
            contained,
            containment: format!("{:.0}%", containment * 100.0),
            escalations: sum(|row| row.escalations),
            runs_succeeded: sum(|row| row.runs_succeeded),
            runs_failed: sum(|row| row.runs_failed),
            staff_minutes_saved: sum(|row| row.staff_minutes_saved),
            first_response: None,
            resolution: None,
        }
    }
}

/// The figures of the person's councils (or the one the filter names) for the period asked
/// for, one row each, with the period's first and last days.
async fn figures_rows(
    service: &SharedService,
    staff: &SharedStaff,
    filter: &CouncilQuery,
    query: &PeriodQuery,
) -> Result<(Vec<FiguresRow>, String, String), PageError> {
    let councils = shown(service, staff, filter.council.as_deref())?;
    let period = period(query).map_err(|problem| {
        PageError::from(problem_page(
            service,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(staff),
            "Check the dates",
            &problem,
        ))
    })?;
    let mut rows = Vec::new();
    let mut dates = (String::new(), String::new());
    for council in councils {
        let engine = &council.state.engine;
        let journal = engine.runner().map(|runner| runner.journal());
        let figures = bot::figures::figures(engine.store(), journal, &engine.services(), period)
            .await
            .map_err(|error| unavailable(service, staff, council, &error))?;
        dates = (figures.from.clone(), figures.to.clone());
        rows.push(FiguresRow::of(&council.name, &figures));
    }
    Ok((rows, dates.0, dates.1))
}

/// `GET /shared/console/figures`: each council's figures for the period, and all of them together.
async fn figures(
    State(service): State<SharedService>,
    staff: SharedStaff,
    Query(council): Query<CouncilQuery>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (rows, from, to) = figures_rows(&service, &staff, &council, &query).await?;
    let combined = (rows.len() > 1).then(|| FiguresRow::combined(&rows));
    Ok(service.page(
        StatusCode::OK,
        "shared_figures.html",
        json!({"title": "Figures", "who": staff.who, "csrf": staff.who.csrf, "page": "figures", "rows": rows,
               "combined": combined, "from": from, "to": to,
               "councils": council_choices(&service, &staff, council.council.as_deref())}),
    ))
}

/// `GET /shared/console/figures.csv`: the same as CSV, one line per council and one combined.
async fn figures_csv(
    State(service): State<SharedService>,
    staff: SharedStaff,
    Query(council): Query<CouncilQuery>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let (rows, from, to) = figures_rows(&service, &staff, &council, &query).await?;
    let minutes = |value: Option<f64>| value.map(|minutes| format!("{minutes:.1}")).unwrap_or_default();
    let mut csv = String::from(
        "council,from,to,conversations,answered without a person,escalations,workflow runs succeeded,\
         workflow runs failed,staff minutes saved,median minutes to first response,median minutes to resolution\n",
    );
    let combined = (rows.len() > 1).then(|| FiguresRow::combined(&rows));
    for row in rows.iter().chain(combined.iter()) {
        csv.push_str(&format!(
            "{},{from},{to},{},{},{},{},{},{},{},{}\n",
            bot::figures::csv_text(&row.council),
            row.conversations,
            row.contained,
            row.escalations,
            row.runs_succeeded,
            row.runs_failed,
            row.staff_minutes_saved,
            minutes(row.first_response),
            minutes(row.resolution),
        ));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"councilbot-shared-{from}-to-{to}.csv\"")),
        ],
        csv,
    )
        .into_response())
}
