//! Recognising requests for a service from the example phrasings each workflow declares,
//! without a language model: messages are compared with every example by weighted words, word
//! pairs and letter triples (so misspellings still match), and scored from 0 to 1.

use std::collections::HashMap;

use super::{normalise, values};

/// The score at or above which a message is taken as a request for a service.
///
/// Calibrated with `councilbot eval-intents bot/intents.yaml` on the sample council: the middle
/// of the range of thresholds with the best balance of requests recognised and other messages
/// (questions, small talk) left alone.
pub const DEFAULT_INTENT_THRESHOLD: f32 = 0.42;

/// Words that carry no sign of what is wanted.
const LIGHT_STOP_WORDS: &[&str] = &[
    "a", "an", "the", "my", "i", "me", "is", "am", "are", "was", "were", "be", "to", "of", "in", "on", "at", "for",
    "it", "this", "that", "and", "or", "you", "your", "pleas", "please", "so", "just", "some", "there", "we", "our",
    "with", "from", "have", "has", "had", "been", "hi", "hello", "thank", "thanks", "hey", "would", "like", "want",
    "need", "could", "can", "someon", "someone", "help", "us", "got", "get",
];

/// Words that turn a statement around, read as one sign.
const NEGATIONS: &[&str] = &["not", "no", "never", "nobodi", "nobody", "noth", "nothing", "none", "didnt"];

/// How much a pair of neighbouring words counts against a single word.
const PAIR_WEIGHT: f32 = 0.5;
/// How much the letter triples of a word count, all together, against the word itself.
const TRIPLE_WEIGHT: f32 = 0.35;

/// A service people can ask for in conversation.
#[derive(Debug, Clone)]
pub struct IntentDeclaration {
    /// The intent's name.
    pub name: String,
    /// The workflow it starts.
    pub workflow: String,
    /// Whether only staff may ask for it.
    pub staff_only: bool,
    /// What people want when they ask for it.
    pub description: String,
    /// Ways people ask for it.
    pub examples: Vec<String>,
}

/// How well a message matches an intent.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentScore {
    /// The intent's name.
    pub intent: String,
    /// The workflow it starts.
    pub workflow: String,
    /// From 0 (nothing in common) to 1 (the same as an example).
    pub score: f32,
}

type Features = HashMap<String, f32>;

struct Example {
    features: Features,
    norm: f32,
}

struct CompiledIntent {
    declaration: IntentDeclaration,
    examples: Vec<Example>,
}

/// Scores messages against the declared intents.
pub struct IntentClassifier {
    intents: Vec<CompiledIntent>,
    idf: HashMap<String, f32>,
    unseen_idf: f32,
}

impl IntentClassifier {
    /// A classifier over the declared intents and their examples.
    pub fn new(declarations: Vec<IntentDeclaration>) -> IntentClassifier {
        let raw: Vec<(IntentDeclaration, Vec<Features>)> = declarations
            .into_iter()
            .map(|declaration| {
                let mut texts = declaration.examples.clone();
                texts.push(declaration.description.clone());
                let features = texts.iter().map(|text| features_of(text)).filter(|f| !f.is_empty()).collect();
                (declaration, features)
            })
            .collect();
        let documents: usize = raw.iter().map(|(_, examples)| examples.len()).sum();
        let mut frequency: HashMap<String, usize> = HashMap::new();
        for (_, examples) in &raw {
            for example in examples {
                for feature in example.keys() {
                    *frequency.entry(feature.clone()).or_default() += 1;
                }
            }
        }
        let idf_of = |count: usize| ((documents as f32 + 1.0) / (count as f32 + 1.0)).ln() + 1.0;
        let idf: HashMap<String, f32> =
            frequency.into_iter().map(|(feature, count)| (feature, idf_of(count))).collect();
        let unseen_idf = idf_of(0);
        let intents = raw
            .into_iter()
            .map(|(declaration, examples)| {
                let examples = examples
                    .into_iter()
                    .map(|features| {
                        let weighted = weigh(features, &idf, unseen_idf);
                        let norm = norm(&weighted);
                        Example { features: weighted, norm }
                    })
                    .collect();
                CompiledIntent { declaration, examples }
            })
            .collect();
        IntentClassifier { intents, idf, unseen_idf }
    }

    /// The declared intents.
    pub fn declarations(&self) -> impl Iterator<Item = &IntentDeclaration> {
        self.intents.iter().map(|intent| &intent.declaration)
    }

    /// Every intent the asker may use, scored against the message, best first.
    pub fn rank(&self, text: &str, staff: bool) -> Vec<IntentScore> {
        let message = weigh(features_of(text), &self.idf, self.unseen_idf);
        let message_norm = norm(&message);
        let mut scores: Vec<IntentScore> = self
            .intents
            .iter()
            .filter(|intent| staff || !intent.declaration.staff_only)
            .map(|intent| {
                let score = intent
                    .examples
                    .iter()
                    .map(|example| similarity(&message, message_norm, example))
                    .fold(0.0_f32, f32::max);
                IntentScore {
                    intent: intent.declaration.name.clone(),
                    workflow: intent.declaration.workflow.clone(),
                    score,
                }
            })
            .collect();
        scores.sort_by(|a, b| b.score.total_cmp(&a.score));
        scores
    }

    /// The best intent for a message, if any scores at least `threshold`.
    pub fn recognise(&self, text: &str, staff: bool, threshold: f32) -> Option<IntentScore> {
        self.rank(text, staff).into_iter().next().filter(|best| best.score >= threshold)
    }
}

/// Half how much of the example the message covers, half how alike the two are overall: a long
/// message that contains a request still matches, while one mostly about something else does not.
fn similarity(message: &Features, message_norm: f32, example: &Example) -> f32 {
    if message_norm == 0.0 || example.norm == 0.0 {
        return 0.0;
    }
    let mut dot = 0.0;
    let mut covered = 0.0;
    for (feature, weight) in &example.features {
        if let Some(found) = message.get(feature) {
            dot += weight * found;
            covered += weight * weight;
        }
    }
    let cosine = dot / (message_norm * example.norm);
    let coverage = covered / (example.norm * example.norm);
    (0.5 * cosine + 0.5 * coverage).clamp(0.0, 1.0)
}

fn weigh(features: Features, idf: &HashMap<String, f32>, unseen: f32) -> Features {
    features
        .into_iter()
        .map(|(feature, weight)| {
            let rarity = idf.get(&feature).copied().unwrap_or(unseen);
            (feature, weight * rarity)
        })
        .collect()
}

fn norm(features: &Features) -> f32 {
    features.values().map(|weight| weight * weight).sum::<f32>().sqrt()
}

/// The words, word pairs and letter triples of a message, with postcodes, phone numbers and
/// email addresses taken out (they are values, not what is asked for).
fn features_of(text: &str) -> Features {
    let mut cleaned = text.to_string();
    for value in values::find_postcode(text).into_iter().chain(values::find_emails(text)) {
        cleaned = cleaned.to_lowercase().replace(&value.to_lowercase(), " ");
    }
    let normalised = normalise(&cleaned);
    let stems: Vec<String> = knowledge_base::text::word_stems(&normalised)
        .into_iter()
        .filter(|stem| !stem.chars().all(|c| c.is_ascii_digit()))
        .map(|stem| if NEGATIONS.contains(&stem.as_str()) { "not".to_string() } else { stem })
        .filter(|stem| !LIGHT_STOP_WORDS.contains(&stem.as_str()))
        .collect();
    let mut features = Features::new();
    for stem in &stems {
        *features.entry(format!("w:{stem}")).or_default() += 1.0;
        let padded: Vec<char> = format!("^{stem}$").chars().collect();
        let triples = padded.len().saturating_sub(2).max(1);
        for window in padded.windows(3) {
            let triple: String = window.iter().collect();
            *features.entry(format!("c:{triple}")).or_default() += TRIPLE_WEIGHT / triples as f32;
        }
    }
    for pair in stems.windows(2) {
        *features.entry(format!("p:{}_{}", pair[0], pair[1])).or_default() += PAIR_WEIGHT;
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classifier() -> IntentClassifier {
        IntentClassifier::new(vec![
            IntentDeclaration {
                name: "report_missed_bin".into(),
                workflow: "report_missed_bin".into(),
                staff_only: false,
                description: "A resident's bin was not emptied on their collection day.".into(),
                examples: vec!["my bin wasn't emptied".into(), "report a missed collection".into()],
            },
            IntentDeclaration {
                name: "report_repair".into(),
                workflow: "report_housing_repair".into(),
                staff_only: false,
                description: "A council tenant wants to report something broken in their home.".into(),
                examples: vec!["my boiler is broken".into(), "the kitchen tap is leaking".into()],
            },
            IntentDeclaration {
                name: "repair_status".into(),
                workflow: "repair_status".into(),
                staff_only: true,
                description: "Staff want to know where a repair has got to.".into(),
                examples: vec!["status of repair HR-100103".into()],
            },
        ])
    }

    #[test]
    fn requests_match_their_intent_even_misspelt() {
        let classifier = classifier();
        let best = &classifier.rank("my bin wasnt emtied this week", false)[0];
        assert_eq!(best.intent, "report_missed_bin");
        let best = &classifier.rank("the tap in my kitchen is leaking everywhere", false)[0];
        assert_eq!(best.intent, "report_repair");
        assert!(best.score > classifier.rank("what time does the library open", false)[0].score);
    }

    #[test]
    fn staff_intents_are_hidden_from_residents() {
        let classifier = classifier();
        assert!(
            classifier.rank("status of repair HR-104230", false).iter().all(|score| score.intent != "repair_status")
        );
        assert_eq!(classifier.rank("status of repair HR-104230", true)[0].intent, "repair_status");
    }
}
