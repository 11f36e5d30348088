//! `/api/v1/conversations`: start a conversation, send it messages, read its transcript, say
//! whether an answer helped, end it.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use bot::conversation::feedback::Vote;
use bot::conversation::{Audience, Conversation, Engine, EngineError, Inbound, InboundContent, Role, StoredMessage};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ApiState;
use super::error::ApiError;
use crate::client::ClientAddress;

/// The channel the API's conversations are on.
pub const CHANNEL: &str = "web";

/// Whether `id` has the shape of a conversation id: `c_` and 32 hexadecimal digits.
pub fn is_conversation_id(id: &str) -> bool {
    id.strip_prefix("c_").is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

/// The web chat's conversation with this id. Anything else, including a conversation held on
/// another channel (a text or a Teams chat), is not found: each conversation is reached only
/// through the channel it began on.
pub async fn web_conversation(engine: &Engine, id: &str) -> Result<Conversation, ApiError> {
    let not_found = || {
        // A short, plain id is named back; anything else is not repeated.
        let plain =
            id.len() <= 64 && id.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
        ApiError::NotFound(if plain {
            format!("no conversation has the id `{id}`")
        } else {
            "no conversation has that id".into()
        })
    };
    if !is_conversation_id(id) {
        return Err(not_found());
    }
    let conversation = engine.conversation(id).await.map_err(|error| match ApiError::from(error) {
        ApiError::NotFound(_) => not_found(),
        other => other,
    })?;
    if conversation.channel != CHANNEL {
        return Err(not_found());
    }
    Ok(conversation)
}

/// A message sent to a conversation: typed text, or the value of a choice picked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    /// Typed text.
    pub text: Option<String>,
    /// The value of a choice picked from those offered.
    pub choice: Option<String>,
}

/// The replies to a message.
#[derive(Debug, Serialize)]
pub struct MessageResponse {
    /// Everything the bot said, in order.
    pub replies: Vec<ReplyView>,
}

/// A message as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyView {
    /// Its number in the conversation, also its event id.
    pub id: i64,
    /// Who wrote it: `user`, `bot` or `agent`.
    pub role: Role,
    /// When, in milliseconds since 1970.
    pub at: i64,
    /// The reply.
    #[serde(flatten)]
    pub reply: bot::conversation::Reply,
    /// On an answer the person voted on: whether they said it answered their question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub helpful: Option<bool>,
}

impl From<StoredMessage> for ReplyView {
    fn from(message: StoredMessage) -> ReplyView {
        ReplyView { id: message.seq, role: message.role, at: message.at, reply: message.reply, helpful: None }
    }
}

/// A conversation's messages as the API shows them, with the person's votes on its answers.
pub async fn views_with_votes(
    engine: &Engine,
    conversation: &str,
    messages: Vec<StoredMessage>,
) -> Result<Vec<ReplyView>, EngineError> {
    let votes = engine.store().votes(conversation).await?;
    Ok(messages
        .into_iter()
        .map(|message| {
            let helpful = votes.get(&message.seq).map(|vote| vote.helpful());
            ReplyView { helpful, ..ReplyView::from(message) }
        })
        .collect())
}

/// Whether an answer helped, sent by the person it was given to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// `true` when it answered their question, `false` when it did not.
    pub helpful: bool,
}

/// What a new conversation may be started with.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewConversationRequest {
    /// The language the person chose for it: `en` or `cy` (the council's when left out).
    pub language: Option<String>,
}

/// `POST /api/v1/conversations`, with no body or `{"language": "cy"}`.
pub async fn create(
    State(state): State<ApiState>,
    client: ClientAddress,
    body: axum::body::Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let request: NewConversationRequest = if body.iter().all(u8::is_ascii_whitespace) {
        NewConversationRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|error| ApiError::BadRequest(format!("the body is not valid: {error}")))?
    };
    let language = match request.language.as_deref() {
        None => None,
        Some(code) => Some(knowledge_base::Language::parse(code).ok_or_else(|| {
            ApiError::Unprocessable(format!("`language` is `{code}`; it can be `en` (English) or `cy` (Welsh)"))
        })?),
    };
    state.new_conversations.check(&client.to_string()).map_err(ApiError::TooManyRequests)?;
    let conversation = match language {
        Some(language) => state.engine.start_conversation_in(CHANNEL, "", Audience::Resident, language).await?,
        None => state.engine.start_conversation(CHANNEL, "", Audience::Resident).await?,
    };
    Ok((StatusCode::CREATED, Json(json!({"id": conversation.id, "language": conversation.language}))))
}

/// `GET /api/v1/conversations/{id}`: where it stands and its whole transcript.
pub async fn show(State(state): State<ApiState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let conversation = web_conversation(&state.engine, &id).await?;
    let messages = views_with_votes(&state.engine, &id, state.engine.transcript(&id, 0).await?).await?;
    Ok(Json(json!({
        "id": conversation.id,
        "status": conversation.status,
        "language": conversation.language,
        "created_at": conversation.created_at,
        "messages": messages,
    })))
}

/// `POST /api/v1/conversations/{id}/messages`: the bot's complete replies.
pub async fn send(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    body: Result<Json<MessageRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    // The conversation is found before anything is counted against it, so made-up ids cost
    // nothing to keep.
    let conversation = web_conversation(&state.engine, &id).await?;
    let Json(request) = body?;
    let content = match (request.text, request.choice) {
        (Some(text), None) => InboundContent::Text(text),
        (None, Some(choice)) => InboundContent::Choice(choice),
        (Some(_), Some(_)) => return Err(ApiError::BadRequest("send either `text` or `choice`, not both".into())),
        (None, None) => return Err(ApiError::BadRequest("the body needs `text` (or `choice`)".into())),
    };
    let words = content.text();
    if words.trim().is_empty() {
        return Err(ApiError::Unprocessable("`text` is empty".into()));
    }
    let length = words.chars().count();
    if length > state.limits.max_message_chars {
        return Err(ApiError::Unprocessable(format!(
            "`text` has {length} characters; the most is {}",
            state.limits.max_message_chars
        )));
    }
    state.messages.check(&conversation.id).map_err(ApiError::TooManyRequests)?;
    let messages = state.engine.handle(Inbound { conversation: conversation.id, content }).await?;
    let replies = messages.into_iter().filter(|message| message.role != Role::User).map(ReplyView::from).collect();
    Ok(Json(MessageResponse { replies }))
}

/// `POST /api/v1/conversations/{id}/messages/{message_id}/feedback`: whether an answer in the
/// conversation helped; the last vote counts. Anything but one of the conversation's answers is
/// not found.
pub async fn feedback(
    State(state): State<ApiState>,
    Path((id, message_id)): Path<(String, String)>,
    body: Result<Json<FeedbackRequest>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let conversation = web_conversation(&state.engine, &id).await?;
    let not_found = || ApiError::NotFound("the conversation has no answer with that id".into());
    let seq: i64 = message_id.parse().map_err(|_| not_found())?;
    let Json(request) = body?;
    state.messages.check(&conversation.id).map_err(ApiError::TooManyRequests)?;
    let vote = Vote::from_helpful(request.helpful);
    if !state.engine.store().vote(&conversation.id, seq, vote).await.map_err(EngineError::from)? {
        return Err(not_found());
    }
    Ok(Json(json!({"id": seq, "helpful": vote.helpful()})))
}

/// `DELETE /api/v1/conversations/{id}`: the person ends the conversation.
pub async fn end(State(state): State<ApiState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    web_conversation(&state.engine, &id).await?;
    state.engine.end(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
