//! Whether a request may be an emergency, by its workflow's `urgent` signs: a message with one of
//! its urgent phrases in it, or more like its urgent examples than like its ordinary ones.

use std::collections::BTreeMap;

use rpa::workflow::Catalogue;

use crate::language::intents::{IntentClassifier, IntentDeclaration, Rarity};
use crate::language::normalise;

/// The name under which a workflow's urgent examples are scored.
const URGENT: &str = "urgent";

/// The urgent signs of every workflow that declares them.
#[derive(Default)]
pub struct Urgency {
    by_workflow: BTreeMap<String, UrgentSigns>,
}

struct UrgentSigns {
    /// The urgent examples against the intent's own, ordinary ones.
    examples: IntentClassifier,
    /// The urgent phrases, as words.
    phrases: Vec<String>,
}

impl Urgency {
    /// The urgent signs of a catalogue's workflows, with words weighed by `rarity` when known.
    pub fn new(catalogue: &Catalogue, rarity: Option<Rarity>) -> Urgency {
        let mut by_workflow = BTreeMap::new();
        for file in catalogue.iter() {
            let workflow = &file.workflow;
            let Some(urgent) = &workflow.urgent else { continue };
            let ordinary = workflow.trigger.as_ref().and_then(|trigger| trigger.intent.as_ref());
            let declare = |name: &str, examples: Vec<String>| IntentDeclaration {
                name: name.to_string(),
                workflow: workflow.name.value.clone(),
                staff_only: false,
                description: String::new(),
                examples,
            };
            let declarations = vec![
                declare(URGENT, urgent.examples.clone()),
                declare("ordinary", ordinary.map(|intent| intent.examples.clone()).unwrap_or_default()),
            ];
            let signs = UrgentSigns {
                examples: IntentClassifier::with_rarity(declarations, rarity.clone()),
                phrases: urgent.phrases.iter().map(|phrase| words(phrase)).filter(|words| !words.is_empty()).collect(),
            };
            by_workflow.insert(workflow.name.value.clone(), signs);
        }
        Urgency { by_workflow }
    }

    /// Whether a message about `workflow` is urgent: it holds an urgent phrase, or it is more like
    /// an urgent example than like any ordinary one, by at least `threshold`.
    pub fn is_urgent(&self, workflow: &str, text: &str, threshold: f32) -> bool {
        self.urgency(workflow, text).is_some_and(|score| score >= threshold)
    }

    /// How urgent a message is for each workflow that declares urgent signs, by name: 1 with an
    /// urgent phrase, else its score against the urgent examples when it is more like them than
    /// like the ordinary ones, else 0.
    pub fn urgencies(&self, text: &str) -> Vec<(&str, f32)> {
        self.by_workflow
            .keys()
            .map(|workflow| (workflow.as_str(), self.urgency(workflow, text).unwrap_or(0.0)))
            .collect()
    }

    /// How urgent a message is for `workflow`, if it declares urgent signs.
    fn urgency(&self, workflow: &str, text: &str) -> Option<f32> {
        let signs = self.by_workflow.get(workflow)?;
        let said = format!(" {} ", words(text));
        if signs.phrases.iter().any(|phrase| said.contains(&format!(" {phrase} "))) {
            return Some(1.0);
        }
        let ranked = signs.examples.rank(text, true);
        Some(ranked.first().filter(|best| best.intent == URGENT).map_or(0.0, |best| best.score))
    }
}

/// A text's words, lower-cased with contractions spelled out, one space between them.
fn words(text: &str) -> String {
    normalise(text)
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("repair.yaml");
        std::fs::write(
            &path,
            "name: report_repair\nversion: 1\ndescription: Report a repair.\ntrigger:\n  intent:\n    name: report_repair\n    \
             description: A tenant reports a repair.\n    examples:\n      - my boiler is broken\n      - the kitchen tap is leaking\n      \
             - my front door won't lock properly\nurgent:\n  examples:\n    - my boiler has stopped and I have no heating\n    \
             - water is pouring through the ceiling\n  phrases: [sewage, exposed wires]\n  message: Please phone us now.\n\
             steps:\n  - succeed: {}\n",
        )
        .unwrap();
        let (catalogue, problems) = Catalogue::load(&[path]);
        assert!(problems.is_empty(), "{problems:?}");
        catalogue
    }

    #[test]
    fn an_urgent_phrase_or_a_message_most_like_an_urgent_example_is_urgent() {
        let urgency = Urgency::new(&catalogue(), None);
        let urgent = |text: &str| urgency.is_urgent("report_repair", text, 0.17);
        assert!(urgent("My boiler has stopped working and there's no heating"));
        assert!(urgent("there is water pouring through my kitchen ceiling"));
        assert!(urgent("Sewage is coming up in the bath!"));
        assert!(urgent("there are exposed wires in the hall"));
        assert!(!urgent("my boiler is broken"), "an ordinary example is not urgent");
        assert!(!urgent("the kitchen tap is leaking a bit"));
        assert!(!urgency.is_urgent("report_missed_bin", "sewage", 0.17), "only the workflow that declares it");
        let urgent_for = |text: &str| {
            urgency.urgencies(text).into_iter().find(|(_, score)| *score >= 0.17).map(|(workflow, _)| workflow)
        };
        assert_eq!(urgent_for("water is pouring through my ceiling"), Some("report_repair"));
        assert_eq!(urgent_for("when is my bin collected"), None);
    }
}
