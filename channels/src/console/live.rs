//! The console's live stream, `GET /console/events`: one `change` event, naming the escalation
//! and what happened, whenever the queue changes (`raised`, `claimed`, `replied`, `texted`,
//! `returned`, `resolved`, `run`, `left`) or a conversation with an open escalation has a new
//! message (`message`); and `{"runs": true}` when workflow runs were started, moved on or
//! stopped, here or on another instance. A browser keeps one such stream for all its console pages
//! (`assets/console-worker.js`), so however many pages are open it holds one connection.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bot::conversation::{Engine, LiveEvent, QueueEvent};
use futures::stream::{AbortHandle, Abortable, SelectAll, Stream, StreamExt};
use serde_json::json;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use super::auth::Supervisor;
use super::error::PageError;
use crate::AppState;

/// The live stream's routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/console/events", get(events)).route("/console/queue/events", get(events))
}

/// How many open escalations a stream follows the conversations of.
const FOLLOWED: i64 = 500;

/// How often a quiet stream sends a comment, so proxies and browsers keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How soon a browser reconnects when the stream ends or drops.
const RECONNECT: Duration = Duration::from_secs(2);

/// `GET /console/events` (and `/console/queue/events`).
async fn events(State(state): State<AppState>, Supervisor(who): Supervisor) -> Result<Response, PageError> {
    // Listen before reading what is open, so nothing raised in between is missed.
    let queue = state.engine.subscribe_queue();
    let runs = state.engine.subscribe_runs();
    let open = state.engine.store().open_escalations(FOLLOWED).await.map_err(|error| {
        PageError::unavailable(&state, &who, "the queue could not be read for its live stream", &error)
    })?;
    let mut feed =
        Feed { engine: state.engine.clone(), queue, runs, conversations: SelectAll::new(), followed: HashMap::new() };
    for escalation in open {
        feed.follow(escalation.id, &escalation.conversation_id);
    }
    // The stream is renewed now and then (the browser reconnects within seconds and its pages
    // catch up), so a session that ended stops being told anything.
    let until = tokio::time::Instant::now() + Duration::from_secs(state.api.limits.event_stream_seconds.max(1));
    let first = Event::default().retry(RECONNECT).comment("connected");
    let stream = futures::stream::once(async move { Ok::<Event, Infallible>(first) }).chain(futures::stream::unfold(
        feed,
        move |mut feed| async move {
            let event = tokio::time::timeout_at(until, feed.next()).await.ok()??;
            Some((Ok(event), feed))
        },
    ));
    Ok(streaming(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))))
}

/// An event stream with the headers that keep every proxy on the way from holding events back.
pub(super) fn streaming(sse: impl IntoResponse) -> Response {
    (
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-store")),
            (HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no")),
        ],
        sse,
    )
        .into_response()
}

/// The new messages of one conversation, as the escalation they belong to.
type Messages = Abortable<Pin<Box<dyn Stream<Item = String> + Send>>>;

/// One stream's view of the queue and of the conversations it follows.
struct Feed {
    engine: Arc<Engine>,
    queue: Receiver<QueueEvent>,
    runs: Receiver<()>,
    conversations: SelectAll<Messages>,
    /// The escalations followed, with how to stop following each.
    followed: HashMap<String, AbortHandle>,
}

/// What woke the stream.
enum Woken {
    Queue(Result<QueueEvent, RecvError>),
    Runs(Result<(), RecvError>),
    Message(String),
}

impl Feed {
    /// The next event to send, or `None` when the stream should end.
    async fn next(&mut self) -> Option<Event> {
        let woken = tokio::select! {
            received = self.queue.recv() => Woken::Queue(received),
            received = self.runs.recv() => Woken::Runs(received),
            Some(escalation) = self.conversations.next(), if !self.conversations.is_empty() => Woken::Message(escalation),
        };
        match woken {
            Woken::Queue(Ok(event)) => {
                if event.change == "resolved" {
                    if let Some(handle) = self.followed.remove(&event.escalation) {
                        handle.abort();
                    }
                } else if !self.followed.contains_key(&event.escalation)
                    && let Ok(Some(escalation)) = self.engine.store().escalation(&event.escalation).await
                {
                    self.follow(escalation.id, &escalation.conversation_id);
                }
                Some(change(&event.escalation, &event.change))
            }
            // Fell behind: every page refreshes, and the conversations followed are read again.
            Woken::Queue(Err(RecvError::Lagged(_))) => {
                if let Ok(open) = self.engine.store().open_escalations(FOLLOWED).await {
                    for escalation in open {
                        if !self.followed.contains_key(&escalation.id) {
                            self.follow(escalation.id, &escalation.conversation_id);
                        }
                    }
                }
                Some(Event::default().event("change").data("{}"))
            }
            Woken::Queue(Err(RecvError::Closed)) | Woken::Runs(Err(RecvError::Closed)) => None,
            Woken::Runs(Ok(()) | Err(RecvError::Lagged(_))) => {
                Some(Event::default().event("change").data(json!({"runs": true}).to_string()))
            }
            Woken::Message(escalation) => Some(change(&escalation, "message")),
        }
    }

    /// Follows the messages of an escalation's conversation.
    fn follow(&mut self, escalation: String, conversation: &str) {
        let receiver = self.engine.subscribe(conversation);
        let messages =
            futures::stream::unfold((escalation.clone(), receiver), |(escalation, mut receiver)| async move {
                loop {
                    match receiver.recv().await {
                        Ok(LiveEvent::Message(_)) | Err(RecvError::Lagged(_)) => {
                            return Some((escalation.clone(), (escalation, receiver)));
                        }
                        Ok(_) => continue,
                        Err(RecvError::Closed) => return None,
                    }
                }
            });
        let (handle, registration) = AbortHandle::new_pair();
        let boxed: Pin<Box<dyn Stream<Item = String> + Send>> = Box::pin(messages);
        self.conversations.push(Abortable::new(boxed, registration));
        self.followed.insert(escalation, handle);
    }
}

fn change(escalation: &str, change: &str) -> Event {
    Event::default().event("change").data(json!({"escalation": escalation, "change": change}).to_string())
}
