//! One deployment serving several councils: each request goes to the council its host name or
//! its API path names, and each council's whole service (chat, console, API, data) stays its own.

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_service::Service;

use crate::api::error::ApiError;
use crate::shared_service::SHARED_PREFIX;
use crate::sms::{TWILIO_PATH, TWILIO_STATUS_PATH};
use crate::teams::MESSAGES_PATH;

/// The most of a text webhook's body read to find the number it was sent to.
const MAX_TEXT_WEBHOOK_BYTES: usize = 64 * 1024;

/// The path under which the chat API of a council is reached by its id.
const COUNCIL_API_PREFIX: &str = "/api/v1/councils/";

/// The path under which the rest of a council's service (the widget's chat frame above all) is
/// reached by its id.
const COUNCIL_PREFIX: &str = "/councils/";

/// The path a council's API was reached under when a request named the council by its id
/// (`/api/v1/councils/{id}`), for the addresses the API gives back; absent for `/api/v1`.
#[derive(Debug, Clone)]
pub struct ApiReachedAt(pub String);

impl ApiReachedAt {
    /// An API path (`/api/v1/…`) as a caller who reached the council this way uses it.
    pub fn path(reached: Option<&ApiReachedAt>, path: &str) -> String {
        match (reached, path.strip_prefix("/api/v1")) {
            (Some(ApiReachedAt(base)), Some(rest)) => format!("{base}{rest}"),
            _ => path.to_string(),
        }
    }
}

/// One council's service, as the deployment serves it.
#[derive(Clone)]
pub struct ServedCouncil {
    /// Its id, as in `/api/v1/councils/{id}/…`.
    pub id: String,
    /// The host names it is reached at.
    pub hosts: Vec<String>,
    /// The phone numbers residents text it at, as Twilio gives them (`+447700900000`).
    pub numbers: Vec<String>,
    /// The Microsoft app id of its Teams app, when it has one.
    pub teams_app: Option<String>,
    /// Its whole service.
    pub app: Router,
}

/// Another council served by the same deployment, as a council's home page links to it.
#[derive(Debug, Clone)]
pub struct Neighbour {
    /// Its name.
    pub name: String,
    /// The host name it is reached at.
    pub host: String,
}

/// Links to the other councils of the deployment, each at its host name on the port and with
/// the scheme the request came in on.
pub fn links(neighbours: &[Neighbour], headers: &HeaderMap, secure: bool) -> Vec<serde_json::Value> {
    neighbours
        .iter()
        .map(|neighbour| {
            serde_json::json!({ "name": neighbour.name, "url": format!("{}/", address_of(&neighbour.host, headers, secure)) })
        })
        .collect()
}

/// The address of a host name on the port and with the scheme a request came in on, such as
/// `http://westbrook.localhost:8080`.
pub fn address_of(host: &str, headers: &HeaderMap, secure: bool) -> String {
    let scheme = if secure { "https" } else { "http" };
    match host_and_port(headers).and_then(|(_, port)| port) {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// The councils of a deployment in one service: a request goes to the council whose id its
/// path names under `/api/v1/councils/{id}/` or `/councils/{id}/`, else the council whose host
/// name it was sent to, else (for a text from Twilio, or a report of one delivered) the council
/// whose number it was sent to (or from),
/// else (for an activity from Teams) the council whose app the Bot Framework addressed, else
/// the first council; everything under `/shared/` goes to the shared service's console,
/// when there is one. With one council and no shared service, that council's service as it is.
pub fn dispatch(councils: Vec<ServedCouncil>, shared: Option<Router>) -> Router {
    if councils.len() == 1 && shared.is_none() {
        return councils.into_iter().next().map(|council| council.app).unwrap_or_default();
    }
    Router::new().fallback(move |request: Request| {
        let councils = councils.clone();
        let shared = shared.clone();
        async move {
            match shared {
                Some(shared) if request.uri().path().starts_with(SHARED_PREFIX) => call(shared, request).await,
                _ => forward(&councils, request).await,
            }
        }
    })
}

async fn forward(councils: &[ServedCouncil], mut request: Request) -> Response {
    let path = request.uri().path().to_string();
    let named = path
        .strip_prefix(COUNCIL_API_PREFIX)
        .map(|rest| ("/api/v1", rest))
        .or_else(|| path.strip_prefix(COUNCIL_PREFIX).map(|rest| ("", rest)));
    let council = match named {
        Some((kept, rest)) => {
            let (id, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let Some(council) = councils.iter().find(|council| council.id == id) else {
                return no_such_council(id);
            };
            let query = request.uri().query().map(|query| format!("?{query}")).unwrap_or_default();
            let tail = if tail.is_empty() && kept.is_empty() { "/" } else { tail };
            match format!("{kept}{tail}{query}").parse::<Uri>() {
                Ok(uri) => *request.uri_mut() = uri,
                Err(_) => return StatusCode::BAD_REQUEST.into_response(),
            }
            if !kept.is_empty() {
                request.extensions_mut().insert(ApiReachedAt(format!("{COUNCIL_API_PREFIX}{id}")));
            }
            council
        }
        None => {
            let host = host_of(&request);
            let by_host = councils
                .iter()
                .find(|council| host.as_deref().is_some_and(|host| council.hosts.iter().any(|known| known == host)));
            match by_host {
                Some(council) => council,
                None if request.method() == Method::POST && (path == TWILIO_PATH || path == TWILIO_STATUS_PATH) => {
                    let (parts, body) = request.into_parts();
                    let Ok(bytes) = axum::body::to_bytes(body, MAX_TEXT_WEBHOOK_BYTES).await else {
                        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
                    };
                    // A text came in to the council's number; a delivery report is of a text
                    // the council sent from it.
                    let field = if path == TWILIO_PATH { "To" } else { "From" };
                    let number = council_number(&bytes, field);
                    request = Request::from_parts(parts, Body::from(bytes));
                    let texted = |council: &&ServedCouncil| {
                        number.as_deref().is_some_and(|number| council.numbers.iter().any(|known| known == number))
                    };
                    councils.iter().find(texted).unwrap_or(&councils[0])
                }
                None if request.method() == Method::POST && path == MESSAGES_PATH => {
                    let app = bearer_audience(request.headers());
                    let addressed = |council: &&ServedCouncil| app.is_some() && council.teams_app == app;
                    councils.iter().find(addressed).unwrap_or(&councils[0])
                }
                None => &councils[0],
            }
        }
    };
    call(council.app.clone(), request).await
}

/// A request answered by one service.
async fn call(mut app: Router, request: Request) -> Response {
    let ready: Result<(), Infallible> =
        std::future::poll_fn(|context| <Router as Service<Request>>::poll_ready(&mut app, context)).await;
    if ready.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match app.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The audience (`aud`) a bearer token names, read without checking it: which council's Teams
/// app the Bot Framework addressed, for routing only; that council then verifies the token.
fn bearer_audience(headers: &HeaderMap) -> Option<String> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("aud")?.as_str().map(str::to_string)
}

/// The council's number in a form from Twilio (`To` of a text that came in, `From` of a
/// delivery report), without spaces.
fn council_number(form: &[u8], field: &str) -> Option<String> {
    form_urlencoded::parse(form)
        .find(|(name, _)| name == field)
        .map(|(_, number)| number.chars().filter(|character| !character.is_whitespace()).collect())
}

/// The host name a request was sent to, in lower case and without its port.
fn host_of(request: &Request) -> Option<String> {
    let (name, _) = host_and_port(request.headers())?;
    Some(name.trim_end_matches('.').to_ascii_lowercase())
}

/// The `Host` header split into its name and its port, when it gives one.
fn host_and_port(headers: &HeaderMap) -> Option<(&str, Option<&str>)> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    Some(match host.rsplit_once(':') {
        Some((name, port))
            if !name.is_empty() && !port.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit()) =>
        {
            (name, Some(port))
        }
        _ => (host, None),
    })
}

/// The answer for an API path naming a council this deployment does not serve.
fn no_such_council(id: &str) -> Response {
    let id: String = id.chars().take(64).collect();
    ApiError::NotFound(format!("no council with the id `{id}` is served here")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_to(host: &str) -> Request {
        Request::builder().uri("/").header(header::HOST, host).body(Body::empty()).unwrap()
    }

    #[test]
    fn a_text_is_known_by_the_number_it_was_sent_to_and_a_report_by_the_number_it_was_sent_from() {
        let form = b"From=%2B447700900123&To=%2B44+7700+900001&Body=hi";
        assert_eq!(council_number(form, "To").as_deref(), Some("+447700900001"));
        assert_eq!(council_number(form, "From").as_deref(), Some("+447700900123"));
        assert_eq!(council_number(b"Body=hi", "To"), None);
    }

    #[test]
    fn the_host_is_read_without_its_port_or_case() {
        assert_eq!(host_of(&request_to("Westbrook.Localhost:8080")).as_deref(), Some("westbrook.localhost"));
        assert_eq!(host_of(&request_to("chat.eastbrook.gov.uk.")).as_deref(), Some("chat.eastbrook.gov.uk"));
        assert_eq!(host_of(&request_to("[::1]:8080")).as_deref(), Some("[::1]"));
    }
}
