//! Bringing messages added to a conversation outside a turn (run updates, replies from staff,
//! hand-overs) to the people on channels that send rather than hold a page open.

use std::future::Future;
use std::sync::Arc;

use bot::conversation::{Conversation, Engine, Role, StoredMessage};
use tokio::sync::broadcast::error::RecvError;

/// A channel that delivers messages to people itself.
pub trait Delivers: Send + Sync + 'static {
    /// The channel name its conversations carry.
    const CHANNEL: &'static str;

    /// The engine whose conversations it delivers.
    fn engine(&self) -> &Arc<Engine>;

    /// Sends one message to the person in the conversation, logging when it cannot.
    fn deliver(&self, conversation: Conversation, message: StoredMessage) -> impl Future<Output = ()> + Send + '_;
}

/// Delivers every message added outside a turn to conversations on the channel, until the
/// channel is dropped.
pub fn spawn_delivery<T: Delivers>(channel: &Arc<T>) -> tokio::task::JoinHandle<()> {
    let mut posts = channel.engine().subscribe_posts();
    let channel = Arc::downgrade(channel);
    tokio::spawn(async move {
        loop {
            let (conversation_id, message) = match posts.recv().await {
                Ok(post) => post,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, channel = T::CHANNEL, "deliveries fell behind: some messages were not sent");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            let Some(channel) = channel.upgrade() else { return };
            if message.role == Role::User {
                continue;
            }
            match channel.engine().conversation(&conversation_id).await {
                Ok(conversation) if conversation.channel == T::CHANNEL => channel.deliver(conversation, message).await,
                Ok(_) => {}
                Err(error) => tracing::warn!(error = %error, channel = T::CHANNEL, "a message could not be delivered"),
            }
        }
    })
}
