//! The resident's chat in a browser: the demo page with the widget, the widget's frame, and the
//! chat page at `/chat` that works by ordinary form posts without JavaScript (the conversation
//! kept in a cookie, the page refreshing itself while a request is being carried out), enhanced
//! by `chat.js` when JavaScript runs.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use bot::conversation::feedback::Vote;
use bot::conversation::{Audience, EngineError, Inbound, InboundContent, Reply, Role, StoredMessage};
use rpa::journal::RunStatus;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::api::conversations::{CHANNEL, ReplyView, web_conversation};
use crate::api::error::ApiError;
use crate::client::ClientAddress;
use crate::console::accounts::random_token;
use crate::console::auth::constant_time_eq;
use crate::words::{interface_words, script_words};
use bot::conversation::{IN_ENGLISH, IN_WELSH};
use knowledge_base::Language;

/// The cookie holding the no-JavaScript chat's conversation.
pub const CHAT_COOKIE: &str = "councilbot_chat";
/// The cookie holding the chat page's CSRF token, which its forms carry back.
pub const CHAT_CSRF_COOKIE: &str = "councilbot_chat_csrf";
/// The cookie holding the language chosen for the chat in this browser.
pub const LANGUAGE_COOKIE: &str = "councilbot_language";

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
        json!({"council": council, "base": base(&headers, state.settings.secure_cookies),
               "neighbours": crate::councils::links(&state.neighbours, &headers, state.settings.secure_cookies)}),
    )
}

/// `GET /chat/embed`: the chat inside the widget's frame, in the language the page it is on is
/// written in (or the one chosen with its language switch), else the council's.
pub async fn embed(State(state): State<AppState>, Query(query): Query<EmbedQuery>) -> Response {
    let council = &state.engine.settings().council;
    let language = query.language.as_deref().and_then(Language::parse).unwrap_or(council.language);
    state.templates.page(
        StatusCode::OK,
        "embed.html",
        json!({"council": council, "language": language.code(), "languages": language_options(&state, language),
               "script_words": script_words(language)}),
    )
}

/// The language chosen in this browser with the chat's language switch, if any.
fn chosen_in_browser(headers: &HeaderMap) -> Option<Language> {
    cookie(headers, LANGUAGE_COOKIE).and_then(|code| Language::parse(&code))
}

/// The language to show the chat page in: the one its conversation is in by the person's
/// choice, else the one chosen in this browser, else the council's.
fn page_language(
    state: &AppState,
    headers: &HeaderMap,
    conversation: Option<&bot::conversation::Conversation>,
) -> Language {
    conversation
        .and_then(|conversation| conversation.state.language)
        .or_else(|| chosen_in_browser(headers))
        .unwrap_or(state.engine.settings().council.language)
}

/// The chat's language switch: each language with the address that shows the chat in it, in
/// the council's order (Welsh first where it says so).
fn language_options(state: &AppState, current: Language) -> serde_json::Value {
    let mut order = Language::ALL;
    if state.engine.settings().council.welsh_first {
        order.reverse();
    }
    order
        .iter()
        .map(|language| {
            json!({"code": language.code(), "name": language.own_name(), "href": format!("?language={}", language.code()),
                   "current": *language == current})
        })
        .collect()
}

/// The words of `key` in `language`, with values filled in.
fn words(language: Language, key: &str, values: &[(&str, &str)]) -> String {
    interface_words().fill(language, key, values)
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
    /// The language chosen with the language switch (`en` or `cy`).
    language: Option<String>,
    /// `off` when the person has stopped the page refreshing itself.
    refresh: Option<String>,
}

/// How often, in seconds, the chat page without JavaScript reloads itself while a request is
/// being carried out, so its outcome appears without the person having to reload.
const REFRESH_SECONDS: u64 = 10;

/// How long after a request's last news the page stops reloading itself for it (a request that
/// never reports back is not waited for forever).
const REFRESH_FOR_MILLIS: i64 = 30 * 60 * 1000;

/// What the chat page shows besides the conversation.
#[derive(Debug, Default)]
struct PageState {
    /// A problem with what was sent, shown beside the message box.
    error: Option<String>,
    /// The conversation was just ended.
    ended: bool,
    /// The person stopped the page refreshing itself.
    refresh_off: bool,
    /// The person's votes on the conversation's answers, by message number.
    votes: BTreeMap<i64, Vote>,
    /// What the person typed, kept in the message box when it could not be sent.
    text: Option<String>,
    /// The language the page is shown in.
    language: Language,
}

/// A read or write the chat page needed failed; the cause is logged where it happened.
#[derive(Debug)]
struct Unavailable;

impl Unavailable {
    /// Logs `error` as `what` failed.
    fn logged(what: &str, error: &dyn std::fmt::Debug) -> Unavailable {
        tracing::error!(error = ?error, "{what}");
        Unavailable
    }
}

/// What the chat page says when it cannot be shown (a key of the interface's words).
const CHAT_UNAVAILABLE: &str = "chat.unavailable";
/// What the chat page says when a message could not be taken in.
const NOT_SENT: &str = "chat.not_sent";

/// Whether a request started in this conversation is still being carried out, going by the
/// newest status of each, as of `now` (milliseconds since 1970).
fn request_running(transcript: &[StoredMessage], now: i64) -> bool {
    let mut latest: Vec<(&str, RunStatus, i64)> = Vec::new();
    for message in transcript {
        if let Reply::WorkflowStatus { reference, status, .. } = &message.reply {
            latest.retain(|(seen, _, _)| *seen != reference.as_str());
            latest.push((reference, *status, message.at));
        }
    }
    latest.iter().any(|(_, status, at)| {
        matches!(status, RunStatus::Queued | RunStatus::Running) && now - at < REFRESH_FOR_MILLIS
    })
}

/// The message whose choices still apply: the last one offering choices, when the person has not
/// written or picked anything since.
fn open_choices(transcript: &[StoredMessage]) -> Option<i64> {
    let asked = transcript
        .iter()
        .rposition(|message| matches!(message.reply, Reply::Choices { .. } | Reply::Confirm { .. }))?;
    let answered = transcript[asked..].iter().any(|message| message.role == Role::User);
    (!answered).then(|| transcript[asked].seq)
}

/// The chat page's conversation in this browser, when it has one and it is a web chat
/// conversation.
async fn chat_conversation(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<bot::conversation::Conversation>, Unavailable> {
    let Some(id) = cookie(headers, CHAT_COOKIE) else { return Ok(None) };
    match web_conversation(&state.engine, &id).await {
        Ok(conversation) => Ok(Some(conversation)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(error) => Err(Unavailable::logged("the chat page's conversation could not be read", &error)),
    }
}

/// A conversation's transcript, with the person's votes on its answers (nothing without one).
async fn transcript_and_votes(
    state: &AppState,
    conversation: Option<&str>,
) -> Result<(Vec<StoredMessage>, BTreeMap<i64, Vote>), Unavailable> {
    let Some(id) = conversation else { return Ok((Vec::new(), BTreeMap::new())) };
    let transcript = state
        .engine
        .transcript(id, 0)
        .await
        .map_err(|error| Unavailable::logged("the chat page's transcript could not be read", &error))?;
    let votes = state
        .engine
        .store()
        .votes(id)
        .await
        .map_err(|error| Unavailable::logged("the votes on a chat page's answers could not be read", &error))?;
    Ok((transcript, votes))
}

/// `GET /chat`.
pub async fn chat_page(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<ChatQuery>) -> Response {
    let switched = query.language.as_deref().and_then(Language::parse);
    let conversation = match chat_conversation(&state, &headers).await {
        Ok(conversation) => conversation,
        Err(Unavailable) => return unavailable(&state, &headers, CHAT_UNAVAILABLE, None),
    };
    // A language chosen with the switch is said in the conversation, so that it is recorded
    // with it and the assistant carries on in it.
    if let (Some(chosen), Some(current)) = (switched, conversation.as_ref())
        && current.state.language != Some(chosen)
        && current.status != bot::conversation::ConversationStatus::Ended
    {
        let choice = if chosen == Language::Welsh { IN_WELSH } else { IN_ENGLISH };
        let inbound = Inbound { conversation: current.id.clone(), content: InboundContent::Choice(choice.into()) };
        if let Err(error) = state.engine.handle(inbound).await {
            tracing::warn!(error = %error, "a language chosen on the chat page could not be said in its conversation");
        }
    }
    let language = switched.unwrap_or_else(|| page_language(&state, &headers, conversation.as_ref()));
    let conversation = conversation.map(|conversation| conversation.id);
    let (transcript, votes) = match transcript_and_votes(&state, conversation.as_deref()).await {
        Ok(read) => read,
        Err(Unavailable) => return unavailable(&state, &headers, CHAT_UNAVAILABLE, None),
    };
    // A conversation just ended with nothing in it is not shown as still going.
    let live = conversation.filter(|_| !transcript.is_empty() || query.ended.is_none());
    let votes = if live.is_some() { votes } else { BTreeMap::new() };
    let page = PageState {
        ended: query.ended.is_some(),
        refresh_off: query.refresh.as_deref() == Some("off"),
        votes,
        language,
        ..PageState::default()
    };
    let mut response = render_chat(&state, &headers, StatusCode::OK, live.as_deref(), transcript, page);
    if let Some(chosen) = switched {
        let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
        let remembered = format!("{LANGUAGE_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000{secure}", chosen.code());
        if let Ok(value) = HeaderValue::from_str(&remembered) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The chat page saying, with status 503, what failed (`problem`, a key of the interface's
/// words), with what the person typed (`text`) still in the message box.
fn unavailable(state: &AppState, headers: &HeaderMap, problem: &str, text: Option<String>) -> Response {
    let language = page_language(state, headers, None);
    let page = PageState { error: Some(words(language, problem, &[])), text, language, ..PageState::default() };
    render_chat(state, headers, StatusCode::SERVICE_UNAVAILABLE, None, Vec::new(), page)
}

fn render_chat(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    conversation: Option<&str>,
    transcript: Vec<StoredMessage>,
    page: PageState,
) -> Response {
    let council = &state.engine.settings().council;
    let running = request_running(&transcript, storage::now_millis());
    let refresh = (running && !page.refresh_off).then_some(REFRESH_SECONDS);
    let open = open_choices(&transcript);
    let messages: Vec<ReplyView> = transcript
        .into_iter()
        .map(|message| {
            let helpful = page.votes.get(&message.seq).map(|vote| vote.helpful());
            ReplyView { helpful, ..ReplyView::from(message) }
        })
        .collect();
    let (csrf, fresh) = match cookie(headers, CHAT_CSRF_COOKIE).filter(|token| token.len() == 64) {
        Some(token) => (token, false),
        None => (random_token(), true),
    };
    let mut response = state.templates.page(
        status,
        "chat.html",
        json!({"council": council, "conversation": conversation, "transcript": messages, "error": page.error,
               "text": page.text,
               "ended": page.ended, "csrf": csrf, "open_choices": open, "running": running, "refresh": refresh,
               "refresh_off": page.refresh_off, "language": page.language.code(),
               "languages": language_options(state, page.language), "script_words": script_words(page.language)}),
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
    let language = page_language(state, headers, None);
    let page = PageState { error: Some(words(language, "chat.page_expired", &[])), language, ..PageState::default() };
    render_chat(state, headers, StatusCode::FORBIDDEN, None, Vec::new(), page)
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

/// `POST /chat`: takes the message, then shows the page again (post, redirect, get). When the
/// message cannot be taken in, the page says so (503) with the message still in the box.
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
    let typed = match &content {
        InboundContent::Text(text) => Some(text.clone()),
        _ => None,
    };
    let not_sent = |state: &AppState| unavailable(state, &headers, NOT_SENT, typed.clone());
    let Ok(existing) = chat_conversation(&state, &headers).await else { return not_sent(&state) };
    let language = page_language(&state, &headers, existing.as_ref());
    let max = state.api.limits.max_message_chars;
    let problem = if content.text().trim().is_empty() {
        Some(words(language, "chat.type_first", &[]))
    } else if content.text().chars().count() > max {
        Some(words(language, "chat.too_long", &[("max", &max.to_string())]))
    } else {
        None
    };
    if let Some(problem) = problem {
        let existing = existing.map(|conversation| conversation.id);
        let Ok((transcript, votes)) = transcript_and_votes(&state, existing.as_deref()).await else {
            return not_sent(&state);
        };
        return render_chat(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            existing.as_deref(),
            transcript,
            PageState { error: Some(problem), votes, language, ..PageState::default() },
        );
    }
    let conversation = match existing {
        Some(conversation) if conversation.status != bot::conversation::ConversationStatus::Ended => conversation.id,
        _ => {
            if let Err(wait) = state.api.new_conversations.check(&client.to_string()) {
                return too_many(wait);
            }
            let started = match chosen_in_browser(&headers) {
                Some(chosen) => state.engine.start_conversation_in(CHANNEL, "", Audience::Resident, chosen).await,
                None => state.engine.start_conversation(CHANNEL, "", Audience::Resident).await,
            };
            match started {
                Ok(conversation) => conversation.id,
                Err(error) => {
                    tracing::error!(error = %error, "a conversation could not be started");
                    return not_sent(&state);
                }
            }
        }
    };
    if let Err(wait) = state.api.messages.check(&conversation) {
        return too_many(wait);
    }
    let mut response = match state.engine.handle(Inbound { conversation: conversation.clone(), content }).await {
        Ok(_) => Redirect::to("/chat#cb-latest").into_response(),
        Err(error) => {
            tracing::error!(error = %error, "a message from the chat page could not be handled");
            not_sent(&state)
        }
    };
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

/// A vote on an answer, from the chat page's form.
#[derive(Debug, Deserialize)]
pub struct FeedbackForm {
    /// The answer's number in the conversation.
    message: Option<String>,
    /// `yes` when it answered the question, `no` when it did not.
    helpful: Option<String>,
    csrf: Option<String>,
}

/// `POST /chat/feedback`: records whether an answer helped (the last vote counts), then shows
/// the page again at that answer.
pub async fn chat_feedback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<FeedbackForm>,
) -> Response {
    if !csrf_matches(&headers, form.csrf.as_deref()) {
        return forged(&state, &headers);
    }
    let vote = match form.helpful.as_deref() {
        Some("yes") => Vote::Helpful,
        Some("no") => Vote::Unhelpful,
        _ => return (StatusCode::UNPROCESSABLE_ENTITY, "Choose whether the answer helped.").into_response(),
    };
    let seq = form.message.as_deref().and_then(|message| message.parse::<i64>().ok());
    let Ok(conversation) = chat_conversation(&state, &headers).await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Sorry, your feedback could not be recorded. Please try again shortly.",
        )
            .into_response();
    };
    let (Some(conversation), Some(seq)) = (conversation, seq) else {
        return (StatusCode::NOT_FOUND, "There is no such answer in your conversation.").into_response();
    };
    match state.engine.store().vote(&conversation.id, seq, vote).await {
        Ok(true) => Redirect::to(&format!("/chat#cb-feedback-{seq}")).into_response(),
        Ok(false) => (StatusCode::NOT_FOUND, "There is no such answer in your conversation.").into_response(),
        Err(error) => {
            tracing::warn!(error = %error, "a vote from the chat page could not be recorded");
            (StatusCode::SERVICE_UNAVAILABLE, "Sorry, your feedback could not be recorded. Please try again shortly.")
                .into_response()
        }
    }
}

/// `POST /chat/end`: ends the conversation and clears it from the browser.
pub async fn chat_end(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<EndForm>) -> Response {
    if !csrf_matches(&headers, form.csrf.as_deref()) {
        return forged(&state, &headers);
    }
    let ended = match chat_conversation(&state, &headers).await {
        Ok(Some(conversation)) => match state.engine.end(&conversation.id).await {
            Ok(()) | Err(EngineError::NoSuchConversation(_)) => Ok(()),
            Err(error) => Err(Unavailable::logged("a conversation could not be ended from the chat page", &error)),
        },
        Ok(None) => Ok(()),
        Err(unavailable) => Err(unavailable),
    };
    if ended.is_err() {
        return unavailable(&state, &headers, "chat.not_ended", None);
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
    let unavailable = || {
        (StatusCode::SERVICE_UNAVAILABLE, "Sorry, the conversation cannot be downloaded now. Please try again shortly.")
    };
    match web_conversation(engine, id).await {
        Ok(_) => {}
        Err(ApiError::NotFound(_)) => {
            return (StatusCode::NOT_FOUND, "There is no conversation with that id.").into_response();
        }
        Err(error) => {
            tracing::error!(error = ?error, "a conversation to download could not be read");
            return unavailable().into_response();
        }
    }
    let messages = match engine.transcript(id, 0).await {
        Ok(messages) => messages,
        Err(error) => {
            tracing::error!(error = %error, "a transcript to download could not be read");
            return unavailable().into_response();
        }
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
        let time = uk::calendar::uk_local_millis(message.at).rem_euclid(86_400_000) / 60_000;
        let date = uk::calendar::date_of_millis(uk::calendar::uk_local_millis(message.at));
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

#[cfg(test)]
mod tests {
    use bot::conversation::ChoiceOption;

    use super::*;

    fn message(seq: i64, role: Role, at: i64, reply: Reply) -> StoredMessage {
        StoredMessage { seq, role, at, reply }
    }

    fn status(seq: i64, at: i64, reference: &str, status: &str) -> StoredMessage {
        let reply = Reply::WorkflowStatus {
            text: String::new(),
            workflow: "report_housing_repair".into(),
            reference: reference.into(),
            status: storage::names::from_name(status).expect("a run status"),
            outputs: Default::default(),
        };
        message(seq, Role::Bot, at, reply)
    }

    fn said(seq: i64, text: &str) -> StoredMessage {
        message(seq, Role::User, 0, Reply::User { text: text.into() })
    }

    fn asked(seq: i64, question: &str) -> StoredMessage {
        let choices = vec![ChoiceOption::plain("Plumbing"), ChoiceOption::plain("Electrics")];
        message(seq, Role::Bot, 0, Reply::Choices { text: question.into(), choices })
    }

    #[test]
    fn a_request_is_running_until_its_newest_status_is_an_outcome() {
        let queued = vec![said(1, "yes"), status(2, 1_000, "CB-1", "queued")];
        assert!(request_running(&queued, 2_000));
        let done = [queued.clone(), vec![status(3, 3_000, "CB-1", "succeeded")]].concat();
        assert!(!request_running(&done, 4_000));
        let another = [done.clone(), vec![status(4, 5_000, "CB-2", "running")]].concat();
        assert!(request_running(&another, 6_000));
        assert!(!request_running(&[said(1, "hello")], 1_000));
    }

    #[test]
    fn a_request_that_never_reports_back_is_not_waited_for_forever() {
        let queued = vec![status(1, 0, "CB-1", "queued")];
        assert!(request_running(&queued, REFRESH_FOR_MILLIS - 1));
        assert!(!request_running(&queued, REFRESH_FOR_MILLIS));
    }

    #[test]
    fn only_the_latest_unanswered_question_keeps_its_choices() {
        let first = vec![said(1, "report a repair"), asked(2, "What kind of repair is it?")];
        assert_eq!(open_choices(&first), Some(2));
        let answered = [first.clone(), vec![said(3, "Plumbing")]].concat();
        assert_eq!(open_choices(&answered), None);
        let again = [answered.clone(), vec![asked(4, "Which room?"), status(5, 0, "CB-1", "queued")]].concat();
        assert_eq!(open_choices(&again), Some(4));
    }
}
