//! The addresses the text providers call: messages received and delivery reports, from Twilio
//! (signed) and from GOV.UK Notify (with the agreed bearer token).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{Provider, ReceiveError, Received, SmsChannel, twilio};

/// The path Twilio posts texts to.
pub const TWILIO_PATH: &str = "/channels/sms/twilio";
/// The path Twilio posts delivery reports to.
pub const TWILIO_STATUS_PATH: &str = "/channels/sms/twilio/status";
/// The path Notify posts texts to.
pub const NOTIFY_PATH: &str = "/channels/sms/notify";
/// The path Notify posts delivery receipts to.
pub const NOTIFY_STATUS_PATH: &str = "/channels/sms/notify/status";

type Channel = Option<Arc<SmsChannel>>;

/// The providers' webhooks; each says so when its provider is not set up.
pub fn router(channel: Channel) -> Router {
    Router::new()
        .route(TWILIO_PATH, post(twilio_message))
        .route(TWILIO_STATUS_PATH, post(twilio_status))
        .route(NOTIFY_PATH, post(notify_message))
        .route(NOTIFY_STATUS_PATH, post(notify_status))
        .with_state(channel)
}

/// A request refused, with what was wrong.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{}\n", self.1)).into_response()
    }
}

/// The parameters of a form Twilio posts, in order.
type Params = Vec<(String, String)>;

/// The refusal of a webhook for a channel that is not set up.
fn not_set_up() -> Refusal {
    Refusal(StatusCode::NOT_FOUND, "texts are not set up on this server".to_string())
}

fn refused(status: StatusCode, message: &str) -> Response {
    Refusal(status, message.to_string()).into_response()
}

fn twiml(text: &str) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twilio::twiml(text)).into_response()
}

fn receive_failed(error: ReceiveError) -> Response {
    match error {
        ReceiveError::NotANumber(_) => refused(StatusCode::BAD_REQUEST, &error.to_string()),
        other => {
            tracing::error!(error = %other, "a text could not be taken in");
            refused(StatusCode::SERVICE_UNAVAILABLE, "the text could not be taken in; try again")
        }
    }
}

/// The parameters Twilio posted, once its signature over them and the public URL is checked.
fn signed_params(
    channel: &SmsChannel,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, Refusal> {
    let Some(settings) = &channel.settings().twilio else {
        return Err(Refusal(StatusCode::NOT_FOUND, "texts through Twilio are not set up on this server".to_string()));
    };
    let Some(signature) = headers.get("x-twilio-signature").and_then(|value| value.to_str().ok()) else {
        return Err(Refusal(StatusCode::FORBIDDEN, "the X-Twilio-Signature header is missing".to_string()));
    };
    let params: Vec<(String, String)> =
        form_urlencoded::parse(body).map(|(name, value)| (name.into_owned(), value.into_owned())).collect();
    let mut url = format!("{}{path}", channel.settings().public_url.trim_end_matches('/'));
    if let Some(query) = uri.query() {
        url.push('?');
        url.push_str(query);
    }
    if !twilio::signature_matches(settings.auth_token.expose_secret(), &url, &params, signature) {
        tracing::warn!(path, "a request to the Twilio webhook was not signed by Twilio for this address");
        return Err(Refusal(
            StatusCode::FORBIDDEN,
            "X-Twilio-Signature does not match this request and address".to_string(),
        ));
    }
    let account = params.iter().find(|(name, _)| name == "AccountSid").map(|(_, value)| value.as_str());
    if account.is_some_and(|account| account != settings.account_sid) {
        return Err(Refusal(StatusCode::FORBIDDEN, "AccountSid is not this server's Twilio account".to_string()));
    }
    Ok(params)
}

/// The channel and the parameters of a request to a Twilio webhook, once it is signed.
fn twilio_request(
    channel: Channel,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Arc<SmsChannel>, Params), Refusal> {
    let channel = channel.ok_or_else(not_set_up)?;
    let params = signed_params(&channel, path, uri, headers, body)?;
    Ok((channel, params))
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
}

async fn twilio_message(State(channel): State<Channel>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let (channel, params) = match twilio_request(channel, TWILIO_PATH, &uri, &headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(message_id) = param(&params, "MessageSid").or_else(|| param(&params, "SmsSid")) else {
        return refused(StatusCode::BAD_REQUEST, "MessageSid is missing");
    };
    let Some(from) = param(&params, "From") else {
        return refused(StatusCode::BAD_REQUEST, "From is missing");
    };
    let received = Received {
        provider: Provider::Twilio,
        message_id: message_id.to_string(),
        from: from.to_string(),
        body: param(&params, "Body").unwrap_or_default().to_string(),
    };
    match channel.receive(received, true).await {
        Ok(reply) => twiml(reply.as_deref().unwrap_or_default()),
        Err(error) => receive_failed(error),
    }
}

async fn twilio_status(State(channel): State<Channel>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let (channel, params) = match twilio_request(channel, TWILIO_STATUS_PATH, &uri, &headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let (Some(message_id), Some(status)) =
        (param(&params, "MessageSid").or_else(|| param(&params, "SmsSid")), param(&params, "MessageStatus"))
    else {
        return refused(StatusCode::BAD_REQUEST, "MessageSid and MessageStatus are needed");
    };
    let error_code = param(&params, "ErrorCode").filter(|code| !code.is_empty());
    record_status(&channel, Provider::Twilio, message_id, status, error_code).await
}

async fn record_status(
    channel: &SmsChannel,
    provider: Provider,
    message_id: &str,
    status: &str,
    error_code: Option<&str>,
) -> Response {
    match channel.store().delivery_status(provider, message_id, status, error_code).await {
        Ok(known) => {
            if !known {
                tracing::info!(provider = provider.as_str(), "a delivery report for a text not sent from here");
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => {
            tracing::error!(error = %error, "a delivery report could not be recorded");
            refused(StatusCode::SERVICE_UNAVAILABLE, "the report could not be recorded; try again")
        }
    }
}

/// Whether the request carries Notify's agreed bearer token (compared in constant time).
fn notify_authorised(channel: &SmsChannel, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(settings) = &channel.settings().notify else {
        return Err(Refusal(
            StatusCode::NOT_FOUND,
            "texts through GOV.UK Notify are not set up on this server".to_string(),
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let expected = settings.callback_token.expose_secret().as_bytes();
    let matches = given.is_some_and(|given| {
        !expected.is_empty() && crate::console::auth::constant_time_eq(given.as_bytes(), expected)
    });
    if matches {
        Ok(())
    } else {
        tracing::warn!("a request to the Notify callback did not carry the agreed bearer token");
        Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "the bearer token is missing or not the one agreed with Notify".to_string(),
        ))
    }
}

/// The channel and the body of a request to a Notify callback, once it carries the agreed token.
fn notify_request<T: serde::de::DeserializeOwned>(
    channel: Channel,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Arc<SmsChannel>, T), Refusal> {
    let channel = channel.ok_or_else(not_set_up)?;
    notify_authorised(&channel, headers)?;
    let parsed = serde_json::from_slice(body)
        .map_err(|error| Refusal(StatusCode::BAD_REQUEST, format!("the body is not what Notify sends: {error}")))?;
    Ok((channel, parsed))
}

#[derive(Deserialize)]
struct NotifyMessage {
    id: String,
    source_number: String,
    #[serde(default)]
    message: String,
}

async fn notify_message(State(channel): State<Channel>, headers: HeaderMap, body: Bytes) -> Response {
    let (channel, message): (_, NotifyMessage) = match notify_request(channel, &headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let received = Received {
        provider: Provider::Notify,
        message_id: message.id,
        from: message.source_number,
        body: message.message,
    };
    match channel.receive(received, false).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => receive_failed(error),
    }
}

#[derive(Deserialize)]
struct NotifyReceipt {
    id: String,
    status: String,
}

async fn notify_status(State(channel): State<Channel>, headers: HeaderMap, body: Bytes) -> Response {
    let (channel, receipt): (_, NotifyReceipt) = match notify_request(channel, &headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let error_code = (receipt.status.ends_with("failure")).then_some(receipt.status.as_str());
    record_status(&channel, Provider::Notify, &receipt.id, &receipt.status, error_code).await
}
