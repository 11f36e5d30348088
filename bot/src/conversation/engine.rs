//! The engine every channel shares: it starts conversations, takes each message through a turn,
//! writes the turn in one transaction, tells live listeners, and starts service requests the
//! person confirmed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;
use storage::clock::Clock;

use knowledge_base::KnowledgeBase;
use rpa::journal::StartedBy;
use rpa::runner::{Runner, RunnerError};
use serde_json::Map;
use tokio::sync::{Notify, broadcast};

use super::curated::CuratedAnswers;
use super::form::{Form, what_it_does};
use super::hub::Hub;
use super::hub::Shared;
use super::lifecycle::{EscalationReason, Priority};
use super::message::{Audience, Inbound, InboundContent, LiveEvent, QueueEvent, Reply, StoredMessage};
use super::records::{Conversation, ConversationStatus, NewEscalation, NewMessage};
use super::services::Services;
use super::settings::EngineSettings;
use super::store::{ConversationStore, StoreError};
use super::turn::{RunRequest, Turn};
use crate::curated::{CuratedError, CuratedStore};
use crate::language::values::ReadingContext;
use crate::llm::LanguageModel;
use crate::metrics::EngineMetrics;
use crate::service_examples::{ExampleError, ServiceExampleStore};
use crate::translations::speak;

/// What can go wrong handling a message.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No conversation has that id.
    #[error("no conversation has the id `{0}`")]
    NoSuchConversation(String),
    /// The conversation has ended.
    #[error("conversation `{0}` has ended")]
    Ended(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Searching the knowledge base failed.
    #[error(transparent)]
    Answering(#[from] crate::Error),
    /// The curated answers could not be read (a database failure is a `Store` error, like any
    /// other).
    #[error(transparent)]
    Curated(CuratedError),
    /// Answering failed for a reason of councilbot's own.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CuratedError> for EngineError {
    fn from(error: CuratedError) -> EngineError {
        match error {
            CuratedError::Storage(error) => EngineError::from(error),
            other => EngineError::Curated(other),
        }
    }
}

impl From<ExampleError> for EngineError {
    fn from(error: ExampleError) -> EngineError {
        match error {
            ExampleError::Storage(error) => EngineError::from(error),
            other => EngineError::Internal(other.to_string()),
        }
    }
}

impl From<storage::StorageError> for EngineError {
    fn from(error: storage::StorageError) -> EngineError {
        EngineError::Store(StoreError::Storage(error))
    }
}

/// What the engine is made of.
pub struct EngineParts {
    /// The council's content.
    pub knowledge: Arc<KnowledgeBase>,
    /// Where conversations are kept.
    pub store: ConversationStore,
    /// The workflow runner, when service requests can be carried out.
    pub runner: Option<Arc<Runner>>,
    /// The services people can ask for.
    pub services: Services,
    /// The answers the council curates, given before its pages are searched.
    pub curated: CuratedStore,
    /// The examples the council added to its services, recognised with the workflows' own.
    pub examples: ServiceExampleStore,
    /// The language model, when one is configured.
    pub model: Option<LanguageModel>,
    /// How the engine behaves.
    pub settings: EngineSettings,
    /// The clock.
    pub clock: Clock,
}

/// The conversation engine.
pub struct Engine {
    knowledge: Arc<KnowledgeBase>,
    store: ConversationStore,
    hub: Hub,
    runner: Option<Arc<Runner>>,
    services: RwLock<Arc<Services>>,
    curated: CuratedAnswers,
    examples: ServiceExampleStore,
    refreshing: tokio::sync::Mutex<()>,
    model: Option<LanguageModel>,
    settings: EngineSettings,
    clock: Clock,
    metrics: EngineMetrics,
    queue: broadcast::Sender<QueueEvent>,
    runs: broadcast::Sender<()>,
    posts: broadcast::Sender<(String, StoredMessage)>,
    work_ready: Arc<Notify>,
    locks: TurnLocks,
}

impl Engine {
    /// An engine from its parts.
    pub fn new(parts: EngineParts) -> Engine {
        Engine {
            knowledge: parts.knowledge,
            store: parts.store,
            hub: Hub::new(),
            runner: parts.runner,
            services: RwLock::new(Arc::new(parts.services)),
            curated: CuratedAnswers::new(parts.curated),
            examples: parts.examples,
            refreshing: tokio::sync::Mutex::new(()),
            model: parts.model,
            settings: parts.settings,
            clock: parts.clock,
            metrics: EngineMetrics::default(),
            queue: broadcast::channel(256).0,
            runs: broadcast::channel(16).0,
            posts: broadcast::channel(1024).0,
            work_ready: Arc::new(Notify::new()),
            locks: TurnLocks::default(),
        }
    }

    /// Listens to every message added to any conversation outside a turn (run updates, replies
    /// from staff, handovers), for channels that deliver them to people: `(conversation, message)`.
    pub fn subscribe_posts(&self) -> broadcast::Receiver<(String, StoredMessage)> {
        self.posts.subscribe()
    }

    /// Listens to changes of the queue of escalations.
    pub fn subscribe_queue(&self) -> broadcast::Receiver<QueueEvent> {
        self.queue.subscribe()
    }

    /// Listens for changes to the workflow runs (one started, moved on or stopped), here or on
    /// another instance, a few times a second at most.
    pub fn subscribe_runs(&self) -> broadcast::Receiver<()> {
        self.runs.subscribe()
    }

    /// The conversations' store.
    pub fn store(&self) -> &ConversationStore {
        &self.store
    }

    /// The answers the council curates.
    pub fn curated(&self) -> &CuratedStore {
        self.curated.store()
    }

    /// The examples the council added to its services.
    pub fn service_examples(&self) -> &ServiceExampleStore {
        &self.examples
    }

    /// The live events hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The engine's counters.
    pub fn metrics(&self) -> &EngineMetrics {
        &self.metrics
    }

    /// The settings in use.
    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// The workflow runner, when there is one.
    pub fn runner(&self) -> Option<&Arc<Runner>> {
        self.runner.as_ref()
    }

    /// Wakes the workers when a run is queued.
    pub fn work_ready(&self) -> Arc<Notify> {
        self.work_ready.clone()
    }

    /// Whether answers are written by a language model.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// The language model, when one is configured.
    pub(crate) fn model(&self) -> Option<&LanguageModel> {
        self.model.as_ref()
    }

    /// The time now, by the engine's clock, in milliseconds since 1970.
    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The council's curated answers, with the matcher over those switched on.
    pub(crate) fn curated_answers(&self) -> &CuratedAnswers {
        &self.curated
    }

    /// Tells live views of the queue, here and on the other instances, that an escalation changed.
    pub(crate) fn queue_changed(&self, escalation: &str, change: &str) {
        let event = QueueEvent { escalation: escalation.to_string(), change: change.to_string() };
        self.hub.share(|| Shared::Queue { event: event.clone() });
        self.queue_changed_here(event);
    }

    /// Tells live views of the queue on this instance only (of a change another instance shared).
    pub(crate) fn queue_changed_here(&self, event: QueueEvent) {
        let _ = self.queue.send(event);
    }

    /// Tells live views of the runs, here and on the other instances, that runs changed.
    pub(crate) fn runs_changed(&self) {
        self.hub.share(|| Shared::Runs);
        self.runs_changed_here();
    }

    /// Tells live views of the runs on this instance only (of a change another instance shared).
    pub(crate) fn runs_changed_here(&self) {
        let _ = self.runs.send(());
    }

    /// The council's content the engine answers from.
    pub fn knowledge(&self) -> &Arc<KnowledgeBase> {
        &self.knowledge
    }

    /// The services people can ask for now.
    pub fn services(&self) -> Arc<Services> {
        self.services.read().map(|services| services.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Replaces the services with `updated` (built from `current` with the examples the council
    /// added) unless they were replaced meanwhile: workflows reloaded meanwhile are kept, and
    /// their examples are applied at the next message.
    pub(crate) fn replace_services_built_from(&self, current: &Arc<Services>, updated: Services) {
        let mut slot = self.services.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if Arc::ptr_eq(&slot, current) {
            *slot = Arc::new(updated);
        }
    }

    /// Waits for any other rebuild of the services to finish; the rebuild is this caller's while
    /// the guard is held.
    pub(crate) async fn rebuilding_services(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.refreshing.lock().await
    }

    /// Replaces the services (after workflows are reloaded); forms in progress carry on with
    /// the workflow of the same name, and the examples the council added are applied again at
    /// the next message.
    pub fn set_services(&self, services: Services) {
        if let Some(runner) = &self.runner {
            runner.set_catalogue(services.catalogue().clone());
        }
        let mut slot = self.services.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Arc::new(services);
    }

    /// Today in the UK, as days since 1970.
    pub(crate) fn today(&self) -> i64 {
        uk::calendar::uk_local_millis((self.clock)()).div_euclid(86_400_000)
    }

    /// The UK clock time now, in milliseconds since 1970.
    pub(crate) fn local_now(&self) -> i64 {
        uk::calendar::uk_local_millis((self.clock)())
    }

    /// How to read values this turn, with what is wrong with them said in `language`.
    pub(crate) fn reading_in(&self, language: knowledge_base::Language) -> ReadingContext {
        ReadingContext { today: self.today(), language }
    }

    /// Starts a conversation with someone on a channel, in the council's language.
    pub async fn start_conversation(
        &self,
        channel: &str,
        address: &str,
        audience: Audience,
    ) -> Result<Conversation, EngineError> {
        self.start_in(channel, address, audience, self.settings.council.language, false).await
    }

    /// Starts a conversation with someone on a channel, in the language they chose.
    pub async fn start_conversation_in(
        &self,
        channel: &str,
        address: &str,
        audience: Audience,
        language: knowledge_base::Language,
    ) -> Result<Conversation, EngineError> {
        self.start_in(channel, address, audience, language, true).await
    }

    /// Starts a conversation in `language`, which the person `chosen` or is the council's.
    async fn start_in(
        &self,
        channel: &str,
        address: &str,
        audience: Audience,
        language: knowledge_base::Language,
        chosen: bool,
    ) -> Result<Conversation, EngineError> {
        let conversation = self.store.create_in(channel, address, audience, language, chosen).await?;
        self.metrics.conversation_started();
        Ok(conversation)
    }

    /// The conversation with this id.
    pub async fn conversation(&self, id: &str) -> Result<Conversation, EngineError> {
        self.store.get(id).await?.ok_or_else(|| EngineError::NoSuchConversation(id.to_string()))
    }

    /// The language to speak to the person in a conversation in, outside a turn; the council's
    /// own when the conversation cannot be read.
    pub async fn speaking_in(&self, id: &str) -> knowledge_base::Language {
        match self.store.get(id).await {
            Ok(Some(conversation)) => conversation.state.speaking(self.settings.council.language),
            _ => self.settings.council.language,
        }
    }

    /// The messages of a conversation after `after_seq`, oldest first.
    pub async fn transcript(&self, id: &str, after_seq: i64) -> Result<Vec<StoredMessage>, EngineError> {
        Ok(self.store.messages_after(id, after_seq, 10_000).await?)
    }

    /// Listens to a conversation's live events.
    pub fn subscribe(&self, id: &str) -> broadcast::Receiver<LiveEvent> {
        self.hub.subscribe(id)
    }

    /// Takes a message through a turn and returns the messages it added to the transcript:
    /// the person's message first, then the replies.
    pub async fn handle(&self, inbound: Inbound) -> Result<Vec<StoredMessage>, EngineError> {
        let started = Instant::now();
        self.refresh_services().await?;
        let _turn = self.locks.lock(&inbound.conversation).await;
        self.hub.publish(&inbound.conversation, LiveEvent::Typing);
        // Card numbers are taken out before anything reads the message, so none is ever stored,
        // logged or sent to a language model.
        let text: String = super::turn::without_card_numbers(inbound.content.text())
            .chars()
            .take(self.settings.max_message_chars)
            .collect();
        let mut attempts = 0;
        let (messages, start, outcome) = loop {
            attempts += 1;
            let conversation = if attempts == 1 {
                self.conversation(&inbound.conversation).await?
            } else {
                self.store
                    .get_fresh(&inbound.conversation)
                    .await?
                    .ok_or_else(|| EngineError::NoSuchConversation(inbound.conversation.clone()))?
            };
            if conversation.status == ConversationStatus::Ended {
                return Err(EngineError::Ended(conversation.id));
            }
            let picked = matches!(inbound.content, InboundContent::Choice(_));
            let mut turn = Turn::new(self, &conversation, &text, picked);
            turn.run().await?;
            let (mut record, start, outcome) = turn.finish();
            if let Some(here) = &self.settings.pages_served_here {
                record.messages.iter_mut().for_each(|message| here.relink(&mut message.reply));
            }
            match self.store.commit_turn(&conversation, record).await {
                Ok((messages, escalation)) => {
                    if let Some(escalation) = &escalation {
                        self.metrics.escalated(escalation.reason.as_str());
                        self.queue_changed(&escalation.id, "raised");
                        // The conversation's id reads and writes the chat: it stays out of logs.
                        tracing::info!(
                            escalation = %escalation.id,
                            reason = escalation.reason.as_str(),
                            priority = escalation.priority.as_str(),
                            "handed to a person"
                        );
                    }
                    break (messages, start, outcome);
                }
                // Another instance wrote a turn of this conversation first: read it again.
                Err(StoreError::Conflict(_)) if attempts < 3 => continue,
                Err(error) => return Err(error.into()),
            }
        };
        for message in &messages {
            self.hub.publish(&inbound.conversation, LiveEvent::Message(Box::new(message.clone())));
        }
        let mut messages = messages;
        if let Some(start) = start {
            messages.extend(self.start_run(&inbound.conversation, start).await?);
        }
        self.metrics.turn(outcome, started.elapsed());
        Ok(messages)
    }

    /// Ends a conversation at the person's wish; nothing more is said in it, and staff see that
    /// they left.
    pub async fn end(&self, id: &str) -> Result<(), EngineError> {
        let Some(left) = self.store.end(id).await? else {
            return Err(EngineError::NoSuchConversation(id.to_string()));
        };
        for escalation in left {
            self.queue_changed(&escalation, "left");
        }
        Ok(())
    }

    /// Adds messages to a conversation outside a turn and tells its listeners, and the channels
    /// that deliver messages to people.
    pub async fn post(&self, conversation: &str, messages: Vec<NewMessage>) -> Result<Vec<StoredMessage>, EngineError> {
        let stored = self.append_and_publish(conversation, messages).await?;
        for message in &stored {
            let _ = self.posts.send((conversation.to_string(), message.clone()));
        }
        Ok(stored)
    }

    /// Tells a conversation's listeners, and the channels that deliver messages to people, of
    /// messages added outside a turn and already written (as a member of staff's reply is).
    pub(crate) fn announce(&self, conversation: &str, messages: &[StoredMessage]) {
        for message in messages {
            self.hub.publish(conversation, LiveEvent::Message(Box::new(message.clone())));
            let _ = self.posts.send((conversation.to_string(), message.clone()));
        }
    }

    /// Adds messages that a turn returns to its caller (who delivers them), telling live listeners.
    async fn append_and_publish(
        &self,
        conversation: &str,
        messages: Vec<NewMessage>,
    ) -> Result<Vec<StoredMessage>, EngineError> {
        let stored = self.store.append(conversation, messages).await?;
        for message in &stored {
            self.hub.publish(conversation, LiveEvent::Message(Box::new(message.clone())));
        }
        Ok(stored)
    }

    /// Starts the run a person confirmed, after the turn is written (so a turn written again
    /// never starts a second run), and says so in the conversation.
    async fn start_run(&self, conversation_id: &str, start: RunRequest) -> Result<Vec<StoredMessage>, EngineError> {
        let services = self.services();
        let conversation = self.conversation(conversation_id).await?;
        let language = conversation.state.speaking(self.settings.council.language);
        let started_by = StartedBy {
            channel: conversation.channel.clone(),
            address: conversation.id.clone(),
            language: Some(language),
        };
        let file = services.service(&start.workflow, conversation.audience);
        let result = match (&self.runner, file) {
            (Some(runner), Some(file)) => {
                let form =
                    Form { workflow: &file.workflow, reading: self.reading_in(language), failed_answers_limit: 3 };
                let inputs = form.inputs(&start.form);
                let description = what_it_does(&file.workflow, language);
                runner.start(file, &inputs, &started_by).await.map(|run| (run, description))
            }
            _ => Err(RunnerError::Workflow(format!("`{}` cannot be carried out here", start.workflow))),
        };
        match result {
            Ok((run, description)) => {
                self.metrics.workflow_started();
                self.work_ready.notify_one();
                let text = speak(language, "request.sending", &[("what", &description), ("reference", &run.reference)]);
                let reply = Reply::WorkflowStatus {
                    text,
                    workflow: run.workflow.clone(),
                    reference: run.reference.clone(),
                    status: rpa::journal::RunStatus::Queued,
                    outputs: Map::new(),
                };
                self.append_and_publish(conversation_id, vec![NewMessage::bot(reply)]).await
            }
            Err(error) => {
                tracing::warn!(conversation = conversation_id, workflow = %start.workflow, error = %redacted(&error),
                    "a confirmed request could not be started");
                let council = &self.settings.council;
                let reply = Reply::Handoff {
                    text: speak(
                        language,
                        "handoff.not_started",
                        &[
                            ("wait", &self.settings.hours.wait_message(self.local_now(), language)),
                            ("phone", &council.phone),
                        ],
                    ),
                    reason: EscalationReason::WorkflowFailed,
                    priority: Priority::Normal,
                };
                let escalation = NewEscalation {
                    reason: EscalationReason::WorkflowFailed,
                    detail: format!("the request could not be started: {}", redacted(&error)),
                    priority: Priority::Normal,
                    run_id: None,
                    inputs: Form::values_json(&start.form),
                };
                let raised = self.store.raise_escalation(conversation_id, &escalation).await?;
                self.metrics.escalated(raised.reason.as_str());
                self.queue_changed(&raised.id, "raised");
                self.append_and_publish(conversation_id, vec![NewMessage::bot(reply)]).await
            }
        }
    }
}

/// An error with personal data masked, for logs.
fn redacted(error: &impl std::fmt::Display) -> String {
    uk::redact::Redactor::default().redact(&error.to_string())
}

/// One turn at a time in each conversation (within this process; the store's version check
/// covers other instances).
#[derive(Default)]
struct TurnLocks {
    locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// The right to take a conversation's turn, released when dropped.
struct TurnGuard<'a> {
    locks: &'a TurnLocks,
    key: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl TurnLocks {
    async fn lock(&self, key: &str) -> TurnGuard<'_> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            locks.entry(key.to_string()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        TurnGuard { locks: self, key: key.to_string(), guard: Some(guard) }
    }
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut locks = self.locks.locks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if locks.get(&self.key).is_some_and(|lock| Arc::strong_count(lock) == 1) {
            locks.remove(&self.key);
        }
    }
}
