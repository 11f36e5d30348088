//! The services people can ask for in conversation: the council's workflows that declare an
//! intent, with the classifier that recognises requests for them from their workflows' examples
//! and those the council added.

use std::sync::Arc;

use knowledge_base::{KnowledgeBase, SearchRequest};
use rpa::workflow::{Catalogue, WorkflowAudience, WorkflowFile};

use super::message::Audience;
use super::urgency::Urgency;
use crate::language::intents::{IntentClassifier, IntentDeclaration, PageWords, Rarity};
use crate::llm::ServiceTool;
use crate::service_examples::AddedExample;

/// The workflows that can be started by conversation.
pub struct Services {
    catalogue: Catalogue,
    classifier: IntentClassifier,
    urgency: Urgency,
    pages: Vec<(String, String)>,
    page_words: PageWords,
    rarity: Option<Rarity>,
    examples_revision: Option<i64>,
}

impl Services {
    /// The services among a catalogue of workflows, recognised from their examples alone.
    pub fn new(catalogue: Catalogue) -> Services {
        Services {
            classifier: IntentClassifier::new(declarations(&catalogue)).with_requests_elsewhere(),
            urgency: Urgency::new(&catalogue, None),
            catalogue,
            pages: Vec::new(),
            page_words: PageWords::new(),
            rarity: None,
            examples_revision: None,
        }
    }

    /// The services among a catalogue of workflows, recognised with the help of the council's
    /// content: words are weighed by how rare they are in it, and each service is linked to
    /// the page that best describes it, so an answer from that page can offer the service.
    pub fn with_knowledge(catalogue: Catalogue, knowledge: Arc<KnowledgeBase>) -> Services {
        let mut pages = Vec::new();
        let mut page_words = PageWords::new();
        for file in catalogue.iter() {
            let Some(intent) = file.workflow.trigger.as_ref().and_then(|trigger| trigger.intent.as_ref()) else {
                continue;
            };
            let query = format!("{} {}", file.workflow.description, intent.description);
            let viewer = match file.workflow.audience {
                WorkflowAudience::Staff => knowledge_base::Audience::Staff,
                WorkflowAudience::Resident => knowledge_base::Audience::Public,
            };
            let request = SearchRequest { viewer, limit: 5, summaries: false, ..SearchRequest::new(&query) };
            let Ok(found) = knowledge.search(&request) else { continue };
            // Only a page whose title names the service, such as "Missed bin collections" for
            // "Report a missed bin collection": a page that merely mentions it is not its page.
            let described = knowledge_base::text::word_stems(&file.workflow.description.english);
            if let Some(page) = found.hits.into_iter().find(|hit| title_names(&hit.title, &described)) {
                let passages = knowledge.document_passages(&page.document, viewer).unwrap_or_default();
                let text =
                    passages.iter().map(|passage| format!("{} {}", passage.heading_path.join(" "), passage.text));
                let words = text.flat_map(|text| knowledge_base::text::word_stems(&text)).collect();
                page_words.insert(file.workflow.name.value.clone(), words);
                pages.push((page.url, file.workflow.name.value.clone()));
            }
        }
        let rarity: Rarity = Arc::new(move |stem: &str| knowledge.term_rarity(stem));
        Services {
            classifier: IntentClassifier::with_rarity(declarations(&catalogue), Some(rarity.clone()))
                .with_page_words(&page_words)
                .with_requests_elsewhere(),
            urgency: Urgency::new(&catalogue, Some(rarity.clone())),
            catalogue,
            pages,
            page_words,
            rarity: Some(rarity),
            examples_revision: None,
        }
    }

    /// These services, recognised also from the examples the council added to them as of
    /// `revision`; examples of a service that is not here are left out.
    pub fn with_added_examples(&self, added: &[AddedExample], revision: i64) -> Services {
        let mut declarations = declarations(&self.catalogue);
        for declaration in &mut declarations {
            let own = added.iter().filter(|example| example.service == declaration.workflow);
            declaration.examples.extend(own.map(|example| example.example.clone()));
        }
        Services {
            classifier: IntentClassifier::with_rarity(declarations, self.rarity.clone())
                .with_page_words(&self.page_words)
                .with_requests_elsewhere(),
            urgency: Urgency::new(&self.catalogue, self.rarity.clone()),
            catalogue: self.catalogue.clone(),
            pages: self.pages.clone(),
            page_words: self.page_words.clone(),
            rarity: self.rarity.clone(),
            examples_revision: Some(revision),
        }
    }

    /// The revision of the added examples these services recognise, if any were applied.
    pub fn examples_revision(&self) -> Option<i64> {
        self.examples_revision
    }

    /// Whether a message about a service says its request may be an emergency.
    pub fn is_urgent(&self, workflow: &str, text: &str, threshold: f32) -> bool {
        self.urgency.is_urgent(workflow, text, threshold)
    }

    /// How urgent a message is for each service that declares urgent signs, by name.
    pub fn urgencies(&self, text: &str) -> Vec<(&str, f32)> {
        self.urgency.urgencies(text)
    }

    /// The service a page of the council's content describes, if any.
    pub fn service_of_page(&self, url: &str) -> Option<&str> {
        self.pages.iter().find(|(page, _)| page == url).map(|(_, workflow)| workflow.as_str())
    }
}

/// Whether every telling word of a page title is in a service's description.
fn title_names(title: &str, description: &[String]) -> bool {
    const FILLER: &[&str] = &["a", "an", "the", "of", "to", "and", "or", "for", "in", "on", "your", "my", "how"];
    let words: Vec<String> =
        knowledge_base::text::word_stems(title).into_iter().filter(|word| !FILLER.contains(&word.as_str())).collect();
    !words.is_empty() && words.iter().all(|word| description.contains(word))
}

/// The intents the workflows of a catalogue declare.
fn declarations(catalogue: &Catalogue) -> Vec<IntentDeclaration> {
    catalogue
        .iter()
        .filter_map(|file| {
            let intent = file.workflow.trigger.as_ref()?.intent.as_ref()?;
            Some(IntentDeclaration {
                name: intent.name.clone(),
                workflow: file.workflow.name.value.clone(),
                staff_only: file.workflow.audience == WorkflowAudience::Staff,
                description: intent.description.clone(),
                examples: intent.examples.clone(),
            })
        })
        .collect()
}

impl Services {
    /// No services at all.
    pub fn none() -> Services {
        Services::new(Catalogue::default())
    }

    /// The workflows, for the runner.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The classifier of requests.
    pub fn classifier(&self) -> &IntentClassifier {
        &self.classifier
    }

    /// The workflows that can be started by conversation, for anyone or for staff only.
    pub fn offered(&self) -> impl Iterator<Item = &WorkflowFile> {
        self.catalogue.iter().filter(|file| self.service(&file.workflow.name.value, Audience::Staff).is_some())
    }

    /// A workflow that someone in `audience` may start by conversation.
    pub fn service(&self, workflow: &str, audience: Audience) -> Option<&WorkflowFile> {
        let file = self.catalogue.get(workflow)?;
        let offered = file.workflow.trigger.as_ref().is_some_and(|trigger| trigger.intent.is_some());
        let allowed = audience == Audience::Staff || file.workflow.audience == WorkflowAudience::Resident;
        (offered && allowed).then_some(file)
    }

    /// The functions a language model may call for `audience`.
    pub fn tools(&self, audience: Audience) -> Vec<ServiceTool> {
        self.catalogue
            .iter()
            .filter(|file| self.service(&file.workflow.name.value, audience).is_some())
            .filter_map(|file| ServiceTool::for_workflow(&file.workflow))
            .collect()
    }
}
