//! Personal data held about someone: everything found by their phone number or email address
//! (a subject access request), erasing it, and deleting conversations and runs whose retention
//! period has run out.

use std::time::Duration;

use rpa::journal::{Journal, RunRecord};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::conversation::StoredMessage;
use crate::conversation::store::{Conversation, ConversationStore, Escalation, EscalationEvent, StoreError};
use crate::language::values;

/// What can go wrong with personal data requests.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The contact is neither an email address nor a UK phone number.
    #[error("`{0}` is neither an email address nor a UK phone number")]
    NotAContact(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<storage::StorageError> for PrivacyError {
    fn from(error: storage::StorageError) -> PrivacyError {
        PrivacyError::Store(StoreError::Storage(error))
    }
}

/// A phone number or email address in the form councilbot keeps it: email addresses in lower
/// case, phone numbers as national digits (`01632960123`).
pub fn normalise_contact(contact: &str) -> Result<String, PrivacyError> {
    let trimmed = contact.trim();
    if let Some(email) = values::find_emails(trimmed).into_iter().next().filter(|email| email.len() == trimmed.len()) {
        return Ok(email);
    }
    values::find_phone(trimmed).ok_or_else(|| PrivacyError::NotAContact(contact.to_string()))
}

/// One conversation as exported.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationExport {
    /// The conversation.
    #[serde(flatten)]
    pub conversation: Conversation,
    /// Its transcript.
    pub messages: Vec<StoredMessage>,
    /// What it gathered for a service request still in progress.
    pub form_values: Map<String, Value>,
    /// Its escalations, with what happened to each.
    pub escalations: Vec<EscalationExport>,
}

/// One escalation as exported.
#[derive(Debug, Clone, Serialize)]
pub struct EscalationExport {
    /// The escalation.
    #[serde(flatten)]
    pub escalation: Escalation,
    /// What happened to it.
    pub events: Vec<EscalationEvent>,
}

/// One workflow run as exported.
#[derive(Debug, Clone, Serialize)]
pub struct RunExport {
    /// The run.
    #[serde(flatten)]
    pub run: RunRecord,
    /// The messages it wrote to people.
    pub messages: Vec<String>,
}

/// Everything held about a contact.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectAccessReport {
    /// The contact searched for, as kept.
    pub contact: String,
    /// When the report was made, in milliseconds since 1970.
    pub generated_at: i64,
    /// Conversations from that contact or mentioning it.
    pub conversations: Vec<ConversationExport>,
    /// Workflow runs started from those conversations, by that contact, or with it as an input.
    pub workflow_runs: Vec<RunExport>,
}

/// What was erased.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureReport {
    /// The contact.
    pub contact: String,
    /// Conversations deleted.
    pub conversations: u64,
    /// Workflow runs deleted.
    pub workflow_runs: u64,
}

/// What a retention purge deleted.
#[derive(Debug, Clone, Serialize)]
pub struct PurgeReport {
    /// Conversations deleted.
    pub conversations: u64,
    /// Workflow runs deleted.
    pub workflow_runs: u64,
}

/// Finds the conversations and runs concerning a contact.
async fn concerning(
    store: &ConversationStore,
    journal: &Journal,
    contact: &str,
) -> Result<(Vec<Conversation>, Vec<RunRecord>), PrivacyError> {
    let conversations = store.conversations_with_contact(contact).await?;
    let mut runs: Vec<RunRecord> = journal.runs_with_input(contact).await?;
    runs.extend(journal.runs_started_at(contact).await?);
    for conversation in &conversations {
        runs.extend(journal.runs_started_at(&conversation.id).await?);
    }
    runs.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
    runs.dedup_by(|a, b| a.id == b.id);
    Ok((conversations, runs))
}

/// Everything held about a phone number or email address.
pub async fn export(
    store: &ConversationStore,
    journal: &Journal,
    contact: &str,
) -> Result<SubjectAccessReport, PrivacyError> {
    let contact = normalise_contact(contact)?;
    let (conversations, runs) = concerning(store, journal, &contact).await?;
    let mut exported = Vec::with_capacity(conversations.len());
    for conversation in conversations {
        let messages = store.messages_after(&conversation.id, 0, i64::MAX).await?;
        let mut escalations = Vec::new();
        for escalation in store.escalations_of(&conversation.id).await? {
            let events = store.escalation_events(&escalation.id).await?;
            escalations.push(EscalationExport { escalation, events });
        }
        let form_values = conversation
            .state
            .form
            .as_ref()
            .map(|form| form.values.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect())
            .unwrap_or_default();
        exported.push(ConversationExport { conversation, messages, form_values, escalations });
    }
    let mut workflow_runs = Vec::with_capacity(runs.len());
    for run in runs {
        let messages = journal.notifications(&run.id).await?.into_iter().map(|note| note.message).collect();
        workflow_runs.push(RunExport { run, messages });
    }
    Ok(SubjectAccessReport { contact, generated_at: storage::now_millis(), conversations: exported, workflow_runs })
}

/// Erases everything held about a phone number or email address: the conversations and the
/// workflow runs concerning it (a run still being worked is cancelled first).
pub async fn erase(store: &ConversationStore, journal: &Journal, contact: &str) -> Result<ErasureReport, PrivacyError> {
    let contact = normalise_contact(contact)?;
    let (conversations, runs) = concerning(store, journal, &contact).await?;
    for run in runs.iter().filter(|run| !run.status.is_final()) {
        journal.cancel(&run.id).await?;
    }
    let run_ids: Vec<String> = runs.iter().map(|run| run.id.clone()).collect();
    let workflow_runs = journal.delete_runs(&run_ids).await?;
    let ids: Vec<String> = conversations.into_iter().map(|conversation| conversation.id).collect();
    let deleted = store.delete(&ids).await?;
    Ok(ErasureReport { contact, conversations: deleted, workflow_runs })
}

/// Deletes conversations untouched for longer than `retention` (unless a person still has to
/// act on them) and workflow runs that ended longer ago than that.
pub async fn purge_expired(
    store: &ConversationStore,
    journal: &Journal,
    retention: Duration,
    now: i64,
) -> Result<PurgeReport, PrivacyError> {
    let cutoff = now - retention.as_millis() as i64;
    let expired = store.expired(cutoff).await?;
    let conversations = store.delete(&expired).await?;
    let runs = journal.finished_before(cutoff).await?;
    let workflow_runs = journal.delete_runs(&runs).await?;
    Ok(PurgeReport { conversations, workflow_runs })
}
