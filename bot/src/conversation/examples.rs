//! Recognising requests with the examples the council added to its services: the services are
//! built again with them whenever any changed (here or on another instance), before the next
//! message is read.

use std::sync::Arc;

use super::engine::{Engine, EngineError};

impl Engine {
    /// Brings the services up to date with the examples the council added, when they changed.
    pub(crate) async fn refresh_services(&self) -> Result<(), EngineError> {
        let revision = self.examples.revision().await?;
        if self.services().examples_revision() == Some(revision) {
            return Ok(());
        }
        // One rebuild at a time; those who waited find it done.
        let _refreshing = self.refreshing.lock().await;
        let current = self.services();
        if current.examples_revision() == Some(revision) {
            return Ok(());
        }
        let added = self.examples.current().await?;
        let updated = Arc::new(current.with_added_examples(&added, revision));
        let mut slot = self.services.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Workflows reloaded meanwhile are kept; their examples are applied at the next message.
        if Arc::ptr_eq(&slot, &current) {
            *slot = updated;
        }
        Ok(())
    }
}
