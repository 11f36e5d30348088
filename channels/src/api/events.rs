//! `GET /api/v1/conversations/{id}/events`: the conversation as Server-Sent Events: every
//! message (with its number as the event id, so a reconnecting client sends `Last-Event-ID` and
//! gets only what it missed), words of replies as they are written, and progress.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use bot::conversation::{Engine, LiveEvent, StoredMessage};
use futures::Stream;
use serde::Deserialize;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::ApiState;
use super::conversations::ReplyView;
use super::error::ApiError;

/// Where to resume from, for clients that cannot send `Last-Event-ID`.
#[derive(Debug, Deserialize)]
pub struct Resume {
    /// The id of the last event received.
    after: Option<i64>,
}

/// `GET /api/v1/conversations/{id}/events`.
pub async fn stream(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(resume): Query<Resume>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    super::conversations::web_conversation(&state.engine, &id).await?;
    let header = headers.get("last-event-id").and_then(|value| value.to_str().ok());
    let after = match header {
        Some(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::BadRequest(format!("`Last-Event-ID` must be a message number, not `{text}`")))?,
        None => resume.after.unwrap_or(0),
    };
    // Listen before reading the transcript, so nothing written in between is missed.
    let live = state.engine.subscribe(&id);
    let backlog = state.engine.transcript(&id, after).await?;
    let until = tokio::time::Instant::now() + Duration::from_secs(state.limits.event_stream_seconds.max(1));
    let feed = Feed { engine: state.engine.clone(), conversation: id, live, pending: backlog.into(), last: after };
    let stream = futures::stream::unfold(feed, move |mut feed| async move {
        // The stream ends after a while; the browser reconnects and resumes from its last event.
        let event = tokio::time::timeout_at(until, feed.next()).await.ok()??;
        Some((Ok(event), feed))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One client's view of a conversation's events.
struct Feed {
    engine: std::sync::Arc<Engine>,
    conversation: String,
    live: Receiver<LiveEvent>,
    pending: std::collections::VecDeque<StoredMessage>,
    last: i64,
}

impl Feed {
    /// The next event to send, or `None` when the stream should end.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(message) = self.pending.pop_front() {
                if message.seq <= self.last {
                    continue;
                }
                self.last = message.seq;
                return Some(message_event(message));
            }
            match self.live.recv().await {
                Ok(LiveEvent::Message(message)) => self.pending.push_back(*message),
                Ok(LiveEvent::Delta { text }) => {
                    return Some(Event::default().event("delta").data(serde_json::json!({"text": text}).to_string()));
                }
                Ok(LiveEvent::Typing) => return Some(Event::default().event("typing").data("{}")),
                Ok(progress @ LiveEvent::Progress { .. }) => {
                    let data = serde_json::to_string(&progress).unwrap_or_default();
                    return Some(Event::default().event("progress").data(data));
                }
                Err(RecvError::Lagged(_)) => {
                    // Fell behind: catch up from the transcript.
                    let missed = self.engine.transcript(&self.conversation, self.last).await.ok()?;
                    self.pending.extend(missed);
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

fn message_event(message: StoredMessage) -> Event {
    let id = message.seq.to_string();
    let data = serde_json::to_string(&ReplyView::from(message)).unwrap_or_default();
    Event::default().event("message").id(id).data(data)
}
