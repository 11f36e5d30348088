//! Recognising requests with the examples the council added to its services: the services are
//! built again with them whenever any changed (here or on another instance), before the next
//! message is read.

use super::engine::{Engine, EngineError};

impl Engine {
    /// Brings the services up to date with the examples the council added, when they changed.
    pub(crate) async fn refresh_services(&self) -> Result<(), EngineError> {
        let revision = self.service_examples().revision().await?;
        if self.services().examples_revision() == Some(revision) {
            return Ok(());
        }
        // One rebuild at a time; those who waited find it done.
        let _rebuilding = self.rebuilding_services().await;
        let current = self.services();
        if current.examples_revision() == Some(revision) {
            return Ok(());
        }
        let added = self.service_examples().current().await?;
        let updated = current.with_added_examples(&added, revision);
        // Workflows reloaded meanwhile are kept; their examples are applied at the next message.
        self.replace_services_built_from(&current, updated);
        Ok(())
    }
}
