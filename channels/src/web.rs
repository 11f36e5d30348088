//! The resident's chat in a browser: the demo page with the widget, the widget's frame, and the
//! chat page at `/chat` that works by ordinary form posts without JavaScript (the conversation
//! kept in a cookie), enhanced by `chat.js` when JavaScript runs.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use bot::conversation::{Audience, Inbound, InboundContent, Role, StoredMessage};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::api::conversations::{CHANNEL, ReplyView, web_conversation};
use crate::client::ClientAddress;
use crate::console::accounts::random_token;
use crate::console::auth::constant_time_eq;

/// The cookie holding the no-JavaScript chat's conversation.
pub const CHAT_COOKIE: &str = "councilbot_chat";
/// The cookie holding the chat page's CSRF token, which its forms carry back.
pub const CHAT_CSRF_COOKIE: &str = "councilbot_chat_csrf";

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|value| value.to_str().ok()).find_map(|line| {
        line.split(';').find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name && !value.is_empty()).then(|| value.to_string())
        })
    })
}

/// The address people reach this server at, for links shown to them.
fn base(headers: &HeaderMap, secure: bool) -> String {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("127.0.0.1:8080");
    format!("{}://{host}", if secure { "https" } else { "http" })
}

/// `GET /`: a page of the sample council with the widget on it.
pub async fn demo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let council = &state.engine.settings().council;
    state.templates.page(
        StatusCode::OK,
        "demo.html",
        json!({"council": council, "base": base(&headers, state.settings.secure_cookies)}),
    )
}

/// `GET /chat/embed`: the chat inside the widget's frame.
pub async fn embed(State(state): State<AppState>, Query(query): Query<EmbedQuery>) -> Response {
    let language = query.language.filter(|language| language.chars().all(|c| c.is_ascii_alphabetic() || c == '-'));
    let council = &state.engine.settings().council;
    state.templates.page(
        StatusCode::OK,
        "embed.html",
        json!({"council": council, "language": language.unwrap_or_else(|| "en".into())}),
    )
}

/// The widget frame's options.
#[derive(Debug, Deserialize)]
pub struct EmbedQuery {
    language: Option<String>,
}

/// What `/chat` was asked to show.
#[derive(Debug, Deserialize)]
pub struct ChatQuery {
    ended: Option<String>,
}

/// The chat page's conversation in this browser, when it is a web chat conversation.
async fn chat_conversation(state: &AppState, headers: &HeaderMap) -> Option<bot::conversation::Conversation> {
    let id = cookie(headers, CHAT_COOKIE)?;
    web_conversation(&state.engine, &id).await.ok()
}

/// `GET /chat`.
pub async fn chat_page(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<ChatQuery>) -> Response {
    let conversation = chat_conversation(&state, &headers).await.map(|conversation| conversation.id);
    let transcript = match &conversation {
        Some(id) => state.engine.transcript(id, 0).await.unwrap_or_default(),
        None => Vec::new(),
    };
    let live = conversation.filter(|_| !transcript.is_empty() || query.ended.is_none());
    render_chat(&state, &headers, StatusCode::OK, live.as_deref(), transcript, None, query.ended.is_some())
}

fn render_chat(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    conversation: Option<&str>,
    transcript: Vec<StoredMessage>,
    error: Option<String>,
    ended: bool,
) -> Response {
    let council = &state.engine.settings().council;
    let messages: Vec<ReplyView> = transcript.into_iter().map(ReplyView::from).collect();
    let (csrf, fresh) = match cookie(headers, CHAT_CSRF_COOKIE).filter(|token| token.len() == 64) {
        Some(token) => (token, false),
        None => (random_token(), true),
    };
    let mut response = state.templates.page(
        status,
        "chat.html",
        json!({"council": council, "conversation": conversation, "transcript": messages, "error": error,
               "ended": ended, "csrf": csrf}),
    );
    if fresh {
        let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
        let cookie = format!("{CHAT_CSRF_COOKIE}={csrf}; Path=/chat; HttpOnly; SameSite=Lax{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Whether a chat page form carries the CSRF token this browser was given.
fn csrf_matches(headers: &HeaderMap, sent: Option<&str>) -> bool {
    matches!((cookie(headers, CHAT_CSRF_COOKIE), sent),
        (Some(expected), Some(sent)) if constant_time_eq(expected.as_bytes(), sent.as_bytes()))
}

/// The answer to a chat page form without the right CSRF token: the page again, to try again from.
fn forged(state: &AppState, headers: &HeaderMap) -> Response {
    render_chat(
        state,
        headers,
        StatusCode::FORBIDDEN,
        None,
        Vec::new(),
        Some("The page had expired. Please type your message again.".into()),
        false,
    )
}

/// A message sent from the chat page's form.
#[derive(Debug, Deserialize)]
pub struct ChatForm {
    text: Option<String>,
    choice: Option<String>,
    csrf: Option<String>,
}

/// The form that ends the chat page's conversation.
#[derive(Debug, Deserialize)]
pub struct EndForm {
    csrf: Option<String>,
}

/// `POST /chat`: takes the message, then shows the page again (post, redirect, get).
pub async fn chat_post(
    State(state): State<AppState>,
    client: ClientAddress,
    headers: HeaderMap,
    Form(form): Form<ChatForm>,
) -> Response {
    if !csrf_matches(&headers, form.csrf.as_deref()) {
        return forged(&state, &headers);
    }
    let content = match (form.choice.filter(|choice| !choice.trim().is_empty()), form.text) {
        (Some(choice), _) => InboundContent::Choice(choice),
        (None, Some(text)) => InboundContent::Text(text),
        (None, None) => InboundContent::Text(String::new()),
    };
    let existing = chat_conversation(&state, &headers).await;
    let problem = if content.text().trim().is_empty() {
        Some("Type your message".to_string())
    } else if content.text().chars().count() > state.api.limits.max_message_chars {
        Some(format!("Your message must be {} characters or fewer", state.api.limits.max_message_chars))
    } else {
        None
    };
    if let Some(problem) = problem {
        let existing = existing.map(|conversation| conversation.id);
        let transcript = match &existing {
            Some(id) => state.engine.transcript(id, 0).await.unwrap_or_default(),
            None => Vec::new(),
        };
        return render_chat(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            existing.as_deref(),
            transcript,
            Some(problem),
            false,
        );
    }
    let conversation = match existing {
        Some(conversation) if conversation.status != bot::conversation::ConversationStatus::Ended => conversation.id,
        _ => {
            if let Err(wait) = state.api.new_conversations.check(&client.to_string()) {
                return too_many(wait);
            }
            match state.engine.start_conversation(CHANNEL, "", Audience::Resident).await {
                Ok(conversation) => conversation.id,
                Err(error) => {
                    tracing::error!(error = %error, "a conversation could not be started");
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Sorry, the chat is unavailable. Please try again shortly.",
                    )
                        .into_response();
                }
            }
        }
    };
    if let Err(wait) = state.api.messages.check(&conversation) {
        return too_many(wait);
    }
    if let Err(error) = state.engine.handle(Inbound { conversation: conversation.clone(), content }).await {
        tracing::warn!(error = %error, "a message from the chat page could not be handled");
    }
    let mut response = Redirect::to("/chat#cb-form").into_response();
    set_chat_cookie(&mut response, &conversation, state.settings.secure_cookies);
    response
}

fn too_many(wait: u64) -> Response {
    let mut response =
        (StatusCode::TOO_MANY_REQUESTS, format!("Too many messages. Please wait {wait} seconds and try again."))
            .into_response();
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn set_chat_cookie(response: &mut Response, conversation: &str, secure: bool) {
    let cookie = format!(
        "{CHAT_COOKIE}={conversation}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// `POST /chat/end`: ends the conversation and clears it from the browser.
pub async fn chat_end(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<EndForm>) -> Response {
    if !csrf_matches(&headers, form.csrf.as_deref()) {
        return forged(&state, &headers);
    }
    if let Some(conversation) = chat_conversation(&state, &headers).await {
        let _ = state.engine.end(&conversation.id).await;
    }
    let mut response = Redirect::to("/chat?ended=1").into_response();
    let cleared = format!("{CHAT_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&cleared) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response.headers_mut().insert("clear-site-data", HeaderValue::from_static("\"storage\""));
    response
}

/// `GET /chat/transcript.txt`: the chat page's conversation as a text file.
pub async fn chat_transcript(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(id) = cookie(&headers, CHAT_COOKIE) else {
        return (StatusCode::NOT_FOUND, "There is no conversation to download.").into_response();
    };
    transcript_file(&state.engine, &id).await
}

/// A web chat conversation as a text file to download.
pub async fn transcript_file(engine: &bot::conversation::Engine, id: &str) -> Response {
    if web_conversation(engine, id).await.is_err() {
        return (StatusCode::NOT_FOUND, "There is no conversation with that id.").into_response();
    }
    let messages = match engine.transcript(id, 0).await {
        Ok(messages) => messages,
        Err(_) => return (StatusCode::NOT_FOUND, "There is no conversation with that id.").into_response(),
    };
    let council = &engine.settings().council.name;
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"conversation.txt\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        transcript_text(council, &messages),
    )
        .into_response()
}

/// A conversation as plain text: who said what and when, with sources and choices.
pub fn transcript_text(council: &str, messages: &[StoredMessage]) -> String {
    let mut out = format!("Conversation with {council}\n\n");
    for message in messages {
        let time = rpa::calendar::uk_local_millis(message.at).rem_euclid(86_400_000) / 60_000;
        let date = rpa::calendar::date_of_millis(rpa::calendar::uk_local_millis(message.at));
        let who = match (&message.role, &message.reply) {
            (Role::User, _) => "You".to_string(),
            (_, bot::conversation::Reply::Agent { name, .. }) => format!("{name} ({council})"),
            _ => format!("{council} online assistant"),
        };
        out.push_str(&format!("[{date} {:02}:{:02}] {who}: {}\n", time / 60, time % 60, message.reply.words()));
        match &message.reply {
            bot::conversation::Reply::Text { citations, .. } => {
                for (number, citation) in citations.iter().enumerate() {
                    out.push_str(&format!("    [{}] {} {}\n", number + 1, citation.title, citation.url));
                }
            }
            bot::conversation::Reply::Emergency { contacts, .. } => {
                for contact in contacts {
                    out.push_str(&format!("    {}: {} ({})\n", contact.name, contact.phone, contact.when));
                }
            }
            bot::conversation::Reply::Confirm { summary, .. } => {
                for line in summary {
                    out.push_str(&format!("    {}: {}\n", line.label, line.value));
                }
            }
            _ => {}
        }
    }
    out
}
