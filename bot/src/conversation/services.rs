//! The services people can ask for in conversation: the council's workflows that declare an
//! intent, with the classifier that recognises requests for them.

use rpa::workflow::{Catalogue, WorkflowAudience, WorkflowFile};

use super::message::Audience;
use crate::language::intents::{IntentClassifier, IntentDeclaration};
use crate::llm::ServiceTool;

/// The workflows that can be started by conversation.
pub struct Services {
    catalogue: Catalogue,
    classifier: IntentClassifier,
}

impl Services {
    /// The services among a catalogue of workflows.
    pub fn new(catalogue: Catalogue) -> Services {
        let declarations = catalogue
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
            .collect();
        Services { classifier: IntentClassifier::new(declarations), catalogue }
    }

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
