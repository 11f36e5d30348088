//! Live events of each conversation for whoever is listening (a widget's event stream, a
//! channel delivering messages), one channel per conversation that has listeners, and what is
//! shared with the other instances on the same database.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::message::{LiveEvent, QueueEvent};

/// How many events a slow listener may fall behind before it misses some (it then catches up
/// from the transcript).
const BACKLOG: usize = 64;

/// How many conversations with channels there are between clear-outs of those nobody hears.
const PRUNE_EVERY: usize = 1024;

/// What one instance tells the others.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "shared", rename_all = "snake_case")]
pub(crate) enum Shared {
    /// A live event of a conversation.
    Live { conversation: String, event: LiveEvent },
    /// A message too long to send, to be read from the database.
    MessageAt { conversation: String, seq: i64 },
    /// A change to the queue of escalations.
    Queue { event: QueueEvent },
    /// A change to the workflow runs.
    Runs,
}

/// Fans out live events by conversation.
#[derive(Debug, Default)]
pub struct Hub {
    channels: Mutex<HashMap<String, broadcast::Sender<LiveEvent>>>,
    peers: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Shared>>,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Hub {
        Hub::default()
    }

    /// Listens to a conversation's events from now on.
    pub fn subscribe(&self, conversation: &str) -> broadcast::Receiver<LiveEvent> {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Now and then, forget conversations whose listeners have all gone.
        if channels.len() >= PRUNE_EVERY && channels.len().is_multiple_of(PRUNE_EVERY) {
            channels.retain(|_, sender| sender.receiver_count() > 0);
        }
        channels.entry(conversation.to_string()).or_insert_with(|| broadcast::channel(BACKLOG).0).subscribe()
    }

    /// Tells a conversation's listeners, on this instance and any other sharing its database.
    pub fn publish(&self, conversation: &str, event: LiveEvent) {
        self.share(|| Shared::Live { conversation: conversation.to_string(), event: event.clone() });
        self.publish_here(conversation, event);
    }

    /// Sends what happened to the other instances, when they are listening (made only then).
    pub(crate) fn share(&self, shared: impl FnOnce() -> Shared) {
        if let Some(peers) = self.peers.get() {
            let _ = peers.send(shared());
        }
    }

    /// Hands what happens from now on to the other instances through `peers`.
    pub(crate) fn share_with(&self, peers: tokio::sync::mpsc::UnboundedSender<Shared>) {
        let _ = self.peers.set(peers);
    }

    /// Tells the listeners on this instance only, if a conversation has any.
    pub fn publish_here(&self, conversation: &str, event: LiveEvent) {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = channels.get(conversation) {
            if sender.receiver_count() == 0 {
                channels.remove(conversation);
            } else {
                let _ = sender.send(event);
            }
        }
    }

    /// Whether a conversation has listeners.
    pub fn is_listened_to(&self, conversation: &str) -> bool {
        let channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        channels.get(conversation).is_some_and(|sender| sender.receiver_count() > 0)
    }

    /// Forgets conversations nobody listens to any more.
    pub fn prune(&self) {
        let mut channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        channels.retain(|_, sender| sender.receiver_count() > 0);
    }

    /// How many conversations have listeners.
    pub fn listened_conversations(&self) -> usize {
        let channels = self.channels.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        channels.values().filter(|sender| sender.receiver_count() > 0).count()
    }
}
