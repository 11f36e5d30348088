//! Live events shared between the instances on one PostgreSQL database (LISTEN/NOTIFY), so a
//! widget or console connected to one instance hears what happens on another.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::engine::{Engine, EngineError};
use super::hub::Shared;
use super::message::LiveEvent;

/// The PostgreSQL channel the instances share.
const CHANNEL: &str = "councilbot_live";

/// The largest notification PostgreSQL carries is 8,000 bytes; a message longer than this goes
/// by its position, to be read from the database.
const LARGEST_PAYLOAD: usize = 7_500;

/// A notification, with the instance it came from.
#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    origin: String,
    #[serde(flatten)]
    shared: Shared,
}

impl Engine {
    /// Shares live events with the other instances on the same PostgreSQL database and hears
    /// theirs; does nothing on SQLite. Returns the tasks doing it.
    pub async fn share_live_events(self: &Arc<Self>) -> Result<Vec<JoinHandle<()>>, EngineError> {
        let database = self.store().database().clone();
        let Some(mut listener) =
            database.listen(CHANNEL).await.map_err(|error| EngineError::Internal(error.to_string()))?
        else {
            return Ok(Vec::new());
        };
        let origin = uuid::Uuid::new_v4().simple().to_string();
        let (sender, mut outbox) = mpsc::unbounded_channel::<Shared>();
        self.hub().share_with(sender);

        let sending_origin = origin.clone();
        let sending = tokio::spawn(async move {
            while let Some(shared) = outbox.recv().await {
                let Some(payload) = payload_of(&sending_origin, shared) else { continue };
                if let Err(error) = database.notify(CHANNEL, &payload).await {
                    // Listeners on other instances catch up from the transcript when they reconnect.
                    tracing::warn!(error = %error, "a live event could not be shared with the other instances");
                }
            }
        });

        let engine = Arc::downgrade(self);
        let hearing = tokio::spawn(async move {
            loop {
                let notification = match listener.recv().await {
                    Ok(notification) => notification,
                    Err(error) => {
                        tracing::warn!(error = %error, "lost the other instances' live events; listening again");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let Some(engine) = engine.upgrade() else { return };
                match serde_json::from_str::<Notice>(notification.payload()) {
                    Ok(notice) if notice.origin != origin => engine.hear(notice.shared).await,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(error = %error, "a live event from another instance was not understood")
                    }
                }
            }
        });
        Ok(vec![sending, hearing])
    }

    /// Passes on what another instance shared to the listeners here.
    async fn hear(&self, shared: Shared) {
        match shared {
            Shared::Live { conversation, event } => self.hub().publish_here(&conversation, event),
            Shared::MessageAt { conversation, seq } => {
                if !self.hub().is_listened_to(&conversation) {
                    return;
                }
                match self.store().messages_after(&conversation, seq - 1, 1).await {
                    Ok(messages) => {
                        for message in messages.into_iter().filter(|message| message.seq == seq) {
                            self.hub().publish_here(&conversation, LiveEvent::Message(Box::new(message)));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "a message shared by another instance could not be read")
                    }
                }
            }
            Shared::Queue { event } => self.queue_changed_here(event),
            Shared::Runs => self.runs_changed_here(),
        }
    }
}

/// The notification for what is shared, small enough for PostgreSQL; `None` when even that
/// cannot be made small enough.
fn payload_of(origin: &str, shared: Shared) -> Option<String> {
    let notice = Notice { origin: origin.to_string(), shared };
    let payload = serde_json::to_string(&notice).ok()?;
    if payload.len() <= LARGEST_PAYLOAD {
        return Some(payload);
    }
    let Shared::Live { conversation, event: LiveEvent::Message(message) } = notice.shared else {
        tracing::warn!(
            bytes = payload.len(),
            "a live event too large to share with the other instances was not shared"
        );
        return None;
    };
    serde_json::to_string(&Notice {
        origin: origin.to_string(),
        shared: Shared::MessageAt { conversation, seq: message.seq },
    })
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_go_by_their_position_and_short_events_whole() {
        let long = serde_json::json!({"seq": 7, "role": "bot", "at": 0, "kind": "text", "text": "word ".repeat(3_000)});
        let message: super::super::message::StoredMessage = serde_json::from_value(long).unwrap();
        let payload =
            payload_of("a", Shared::Live { conversation: "c1".into(), event: LiveEvent::Message(Box::new(message)) });
        let notice: Notice = serde_json::from_str(&payload.unwrap()).unwrap();
        assert!(matches!(notice.shared, Shared::MessageAt { ref conversation, seq: 7 } if conversation == "c1"));

        let typing = payload_of("a", Shared::Live { conversation: "c1".into(), event: LiveEvent::Typing }).unwrap();
        let notice: Notice = serde_json::from_str(&typing).unwrap();
        assert_eq!(notice.origin, "a");
        assert!(matches!(notice.shared, Shared::Live { event: LiveEvent::Typing, .. }));
    }
}
