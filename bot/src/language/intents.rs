//! Recognising requests for a service from the example phrasings each workflow declares,
//! without a language model: messages are compared with every example by weighted words, word
//! pairs and letter triples (so misspellings still match), and scored from 0 to 1.

use std::collections::{HashMap, HashSet};

use super::{normalise, values};

/// The score at or above which a message is taken as a request for a service.
///
/// Calibrated with `councilbot eval-intents bot/intents.yaml` on the development half of the
/// sample council's labelled messages: the threshold with the best accuracy when leaving other
/// messages (questions, small talk) alone counts double recognising requests, since an unwanted
/// form costs a resident more than an answer followed by an offer of the service.
pub const DEFAULT_INTENT_THRESHOLD: f32 = 0.10;

/// The score at or above which a request's form starts without asking first whether it is
/// wanted ("Do you want to report a repair to a council home?").
///
/// Calibrated with `councilbot eval-intents bot/intents.yaml` on the development half: the
/// lowest threshold at which at most 2% of other messages start a form.
pub const DEFAULT_INTENT_START_THRESHOLD: f32 = 0.25;

/// Words that carry no sign of what is wanted.
const LIGHT_STOP_WORDS: &[&str] = &[
    "a", "an", "the", "my", "i", "me", "is", "am", "are", "was", "were", "be", "to", "of", "in", "on", "at", "for",
    "it", "this", "that", "and", "or", "you", "your", "pleas", "please", "so", "just", "some", "there", "we", "our",
    "with", "from", "have", "has", "had", "been", "hi", "hello", "thank", "thanks", "hey", "would", "like", "want",
    "need", "could", "can", "someon", "someone", "help", "us", "got", "get",
];

/// Words of time: when something happened is a value, not a sign of what is wanted.
const TIME_WORDS: &[&str] = &[
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "morn",
    "morning",
    "afternoon",
    "even",
    "evening",
    "night",
    "week",
    "weekend",
    "month",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "januari",
    "februari",
    "march",
    "april",
    "may",
    "june",
    "juli",
    "august",
    "septemb",
    "octob",
    "novemb",
    "decemb",
    "last",
    "next",
    "ago",
    "sinc",
    "sometim",
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
    /// Whether the score comes from the words of the service's page rather than an example:
    /// such a message is asked about before its form starts, whatever it scores.
    pub page_only: bool,
}

type Features = HashMap<String, f32>;

struct Example {
    features: Features,
    norm: f32,
}

struct CompiledIntent {
    declaration: IntentDeclaration,
    examples: Vec<Example>,
    /// The words of the page that describes the service, if it has one.
    page_words: HashSet<String>,
}

/// The words of the pages that describe services, by workflow.
pub type PageWords = HashMap<String, HashSet<String>>;

/// How much a message whose telling words are all on a service's own page scores for it, when
/// no example is more like it, so that a request in words no example uses ("the radiator in the
/// lounge is cold") is asked about; such a score never starts a form by itself. Chosen on the
/// development half of the labelled messages, with the thresholds.
pub const PAGE_WEIGHT: f32 = 0.3;

/// How rare a word (stem) is in the council's content, when known.
pub type Rarity = std::sync::Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;

/// Scores messages against the declared intents.
pub struct IntentClassifier {
    intents: Vec<CompiledIntent>,
    /// Requests for what none of the intents does: a message most like one of these is not
    /// recognised as any intent.
    elsewhere: Vec<(String, Example)>,
    weights: WordWeights,
}

/// Requests a council is commonly asked that are not for its workflows, one to a line.
const REQUESTS_ELSEWHERE: &str = include_str!("requests_elsewhere.txt");

/// How alike a request made elsewhere may be to one of the intents' own examples before it is
/// taken as a request for that intent and left out.
const SAME_REQUEST: f32 = 0.8;

/// How much more like a request made elsewhere than like its best intent a message must be to
/// be declined: a message that shares a word or two with one ("the bin lorry") is still taken.
/// Chosen on the development half of the labelled messages, as the threshold is.
const ELSEWHERE_MARGIN: f32 = 0.1;

/// How much each word counts: its rarity in the council's content where it has it, else among
/// the examples, else as much as the rarest word.
struct WordWeights {
    among_examples: HashMap<String, f32>,
    unseen: f32,
    in_content: Option<Rarity>,
}

impl WordWeights {
    fn of(&self, stem: &str) -> f32 {
        self.in_content
            .as_ref()
            .and_then(|rarity| rarity(stem))
            .or_else(|| self.among_examples.get(stem).copied())
            .unwrap_or(self.unseen)
    }
}

impl IntentClassifier {
    /// A classifier over the declared intents and their examples, weighing words by how rare
    /// they are among the examples.
    pub fn new(declarations: Vec<IntentDeclaration>) -> IntentClassifier {
        IntentClassifier::with_rarity(declarations, None)
    }

    /// A classifier that weighs words by how rare they are in the council's content where it
    /// has them, so everyday council words ("house", "bin", "council") count for less than
    /// telling ones ("missed", "leaking", "moving").
    pub fn with_rarity(declarations: Vec<IntentDeclaration>, in_content: Option<Rarity>) -> IntentClassifier {
        let stemmed: Vec<(IntentDeclaration, Vec<Vec<String>>)> = declarations
            .into_iter()
            .map(|declaration| {
                let mut texts = declaration.examples.clone();
                texts.push(declaration.description.clone());
                let examples = texts.iter().map(|text| stems_of(text)).filter(|stems| !stems.is_empty()).collect();
                (declaration, examples)
            })
            .collect();
        let documents: usize = stemmed.iter().map(|(_, examples)| examples.len()).sum();
        let mut frequency: HashMap<String, usize> = HashMap::new();
        for (_, examples) in &stemmed {
            for example in examples {
                let mut seen: Vec<&String> = example.iter().collect();
                seen.sort();
                seen.dedup();
                for stem in seen {
                    *frequency.entry(stem.clone()).or_default() += 1;
                }
            }
        }
        let idf_of = |count: usize| ((documents as f32 + 1.0) / (count as f32 + 1.0)).ln() + 1.0;
        let weights = WordWeights {
            among_examples: frequency.into_iter().map(|(stem, count)| (stem, idf_of(count))).collect(),
            unseen: idf_of(0),
            in_content,
        };
        let intents = stemmed
            .into_iter()
            .map(|(declaration, examples)| {
                let examples = examples
                    .iter()
                    .map(|stems| {
                        let features = features_of(stems, &weights);
                        Example { norm: norm(&features), features }
                    })
                    .collect();
                CompiledIntent { declaration, examples, page_words: HashSet::new() }
            })
            .collect();
        IntentClassifier { intents, elsewhere: Vec::new(), weights }
    }

    /// This classifier, declining messages more like a common request for something the
    /// intents do not do (a pothole, paying council tax) than like any of its intents. Such a
    /// request much like an example of one of the intents is left out.
    pub fn with_requests_elsewhere(mut self) -> IntentClassifier {
        let requests =
            REQUESTS_ELSEWHERE.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#'));
        self.elsewhere = requests
            .map(|request| {
                let features = features_of(&stems_of(request), &self.weights);
                (request.to_string(), Example { norm: norm(&features), features })
            })
            .filter(|(_, request)| {
                let own = self.intents.iter().flat_map(|intent| &intent.examples);
                own.map(|example| similarity(&request.features, request.norm, example))
                    .all(|alike| alike < SAME_REQUEST)
            })
            .collect();
        self
    }

    /// This classifier, scoring a message also by how much of it is on the page that describes
    /// each service: the share of its telling words' weight found there, times `PAGE_WEIGHT`.
    pub fn with_page_words(mut self, pages: &PageWords) -> IntentClassifier {
        for intent in &mut self.intents {
            if let Some(words) = pages.get(&intent.declaration.workflow) {
                intent.page_words = words.clone();
            }
        }
        self
    }

    /// The declared intents.
    pub fn declarations(&self) -> impl Iterator<Item = &IntentDeclaration> {
        self.intents.iter().map(|intent| &intent.declaration)
    }

    /// Every intent the asker may use, scored against the message, best first.
    pub fn rank(&self, text: &str, staff: bool) -> Vec<IntentScore> {
        self.rank_read(&self.read(text).1, staff)
    }

    /// The best intent for a message, if any scores at least `threshold` and it is more like
    /// that intent than like a request made elsewhere.
    pub fn recognise(&self, text: &str, staff: bool, threshold: f32) -> Option<IntentScore> {
        let (words, message) = self.read(text);
        let best = self.best_of_read(words, &message, staff).filter(|best| best.score >= threshold)?;
        self.elsewhere_of_read(&message, best.score).is_none().then_some(best)
    }

    /// The intent a message is most like, whatever its score, and the request made elsewhere
    /// (reporting a pothole, paying council tax) it is clearly more like, if any. A message of
    /// fewer than two telling words ("house", "my bins") is too short to be taken as a request:
    /// it has no intent.
    pub fn likeliest(&self, text: &str, staff: bool) -> (Option<IntentScore>, Option<&str>) {
        let (words, message) = self.read(text);
        let best = self.best_of_read(words, &message, staff);
        let elsewhere = best.as_ref().and_then(|best| self.elsewhere_of_read(&message, best.score));
        (best, elsewhere)
    }

    /// How many telling words a message has, and its weighed features.
    fn read(&self, text: &str) -> (usize, Example) {
        let stems = stems_of(text);
        let features = features_of(&stems, &self.weights);
        (stems.len(), Example { norm: norm(&features), features })
    }

    fn rank_read(&self, message: &Example, staff: bool) -> Vec<IntentScore> {
        let mut scores: Vec<IntentScore> = self
            .intents
            .iter()
            .filter(|intent| staff || !intent.declaration.staff_only)
            .map(|intent| {
                let by_examples = intent
                    .examples
                    .iter()
                    .map(|example| similarity(&message.features, message.norm, example))
                    .fold(0.0_f32, f32::max);
                let by_page = PAGE_WEIGHT * on_page(message, &intent.page_words);
                IntentScore {
                    intent: intent.declaration.name.clone(),
                    workflow: intent.declaration.workflow.clone(),
                    score: by_examples.max(by_page),
                    page_only: by_page > by_examples,
                }
            })
            .collect();
        scores.sort_by(|a, b| b.score.total_cmp(&a.score));
        scores
    }

    fn best_of_read(&self, words: usize, message: &Example, staff: bool) -> Option<IntentScore> {
        if words < 2 {
            return None;
        }
        self.rank_read(message, staff).into_iter().next()
    }

    fn elsewhere_of_read(&self, message: &Example, best: f32) -> Option<&str> {
        self.elsewhere
            .iter()
            .map(|(request, example)| (request, similarity(&message.features, message.norm, example)))
            .filter(|(_, alike)| *alike >= best + ELSEWHERE_MARGIN)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(request, _)| request.as_str())
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
    (cosine * coverage).max(0.0).sqrt().min(1.0)
}

/// The share of a message's telling words, by weight, that are on a page.
fn on_page(message: &Example, page_words: &HashSet<String>) -> f32 {
    if page_words.is_empty() {
        return 0.0;
    }
    let (mut found, mut all) = (0.0, 0.0);
    for (feature, weight) in &message.features {
        let Some(stem) = feature.strip_prefix("w:") else { continue };
        all += weight;
        if page_words.contains(stem) {
            found += weight;
        }
    }
    if all == 0.0 { 0.0 } else { found / all }
}

fn norm(features: &Features) -> f32 {
    features.values().map(|weight| weight * weight).sum::<f32>().sqrt()
}

/// The telling words of a message, stemmed, with postcodes, email addresses and numbers taken
/// out (they are values, not what is asked for) and negations as one word.
fn stems_of(text: &str) -> Vec<String> {
    let mut cleaned = text.to_lowercase();
    for value in values::find_postcode(text).into_iter().chain(values::find_emails(text)) {
        cleaned = cleaned.replace(&value.to_lowercase(), " ");
    }
    let normalised = normalise(&cleaned);
    knowledge_base::text::word_stems(&normalised)
        .into_iter()
        .filter(|stem| !stem.chars().all(|c| c.is_ascii_digit()))
        .map(|stem| if NEGATIONS.contains(&stem.as_str()) { "not".to_string() } else { stem })
        .filter(|stem| !LIGHT_STOP_WORDS.contains(&stem.as_str()) && !TIME_WORDS.contains(&stem.as_str()))
        .collect()
}

/// The words, word pairs and letter triples (for misspellings) of stemmed words, each weighed
/// by how telling its words are.
fn features_of(stems: &[String], weights: &WordWeights) -> Features {
    let mut features = Features::new();
    let word_weights: Vec<f32> = stems.iter().map(|stem| weights.of(stem)).collect();
    for (stem, weight) in stems.iter().zip(&word_weights) {
        *features.entry(format!("w:{stem}")).or_default() += weight;
        let padded: Vec<char> = format!("^{stem}$").chars().collect();
        let triples = padded.len().saturating_sub(2).max(1);
        for window in padded.windows(3) {
            let triple: String = window.iter().collect();
            *features.entry(format!("c:{triple}")).or_default() += TRIPLE_WEIGHT * weight / triples as f32;
        }
    }
    for (index, pair) in stems.windows(2).enumerate() {
        let weight = (word_weights[index] + word_weights[index + 1]) / 2.0;
        *features.entry(format!("p:{}_{}", pair[0], pair[1])).or_default() += PAIR_WEIGHT * weight;
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
    fn a_request_in_words_only_the_services_page_uses_is_recognised_from_the_page() {
        let message = "the radiator in the lounge is cold";
        let plain = classifier();
        assert!(plain.rank(message, false)[0].score < 0.1, "no example shares its words");
        let page: HashSet<String> = knowledge_base::text::word_stems(
            "Repairs we are responsible for: heating systems and boilers, radiators and hot water cylinders. \
             Cold rooms and draughty windows.",
        )
        .into_iter()
        .collect();
        let pages = PageWords::from([("report_housing_repair".to_string(), page)]);
        let with_page = classifier().with_page_words(&pages);
        let best = &with_page.rank(message, false)[0];
        assert_eq!(best.workflow, "report_housing_repair");
        assert!(best.page_only && best.score > 0.2, "{best:?}");
        let bin = &with_page.rank("my bin wasnt emptied", false)[0];
        assert!(!bin.page_only && bin.workflow == "report_missed_bin", "an example still wins: {bin:?}");
        let unrelated = with_page.rank("my neighbour's dog keeps barking", false);
        let repair = unrelated.iter().find(|score| score.workflow == "report_housing_repair").expect("scored");
        assert_eq!((repair.score, repair.page_only), (0.0, false), "words the page does not have");
    }

    #[test]
    fn staff_intents_are_hidden_from_residents() {
        let classifier = classifier();
        assert!(
            classifier.rank("status of repair HR-104230", false).iter().all(|score| score.intent != "repair_status")
        );
        assert_eq!(classifier.rank("status of repair HR-104230", true)[0].intent, "repair_status");
    }

    #[test]
    fn a_request_for_what_no_intent_does_is_not_taken_for_the_nearest_intent() {
        let message = "please report a pothole in the road outside";
        let plain = classifier();
        assert_eq!(
            plain.recognise(message, false, 0.05).map(|best| best.intent),
            Some("report_missed_bin".to_string()),
            "without the requests made elsewhere it shares enough words to start one"
        );
        let minded = classifier().with_requests_elsewhere();
        assert_eq!(minded.recognise(message, false, 0.05), None);
        assert_eq!(minded.likeliest(message, false).1, Some("report a pothole in the road"));
        assert_eq!(
            minded.recognise("my bin wasnt emptied this week", false, 0.1).map(|best| best.intent),
            Some("report_missed_bin".to_string())
        );
    }

    #[test]
    fn a_council_that_offers_a_service_by_a_workflow_still_has_it_recognised() {
        let mut declarations = vec![IntentDeclaration {
            name: "report_pothole".into(),
            workflow: "report_pothole".into(),
            staff_only: false,
            description: "Someone wants to report a hole in a road.".into(),
            examples: vec!["report a pothole in the road".into(), "there is a big hole in the road".into()],
        }];
        declarations.extend(classifier().intents.into_iter().map(|intent| intent.declaration));
        let council = IntentClassifier::new(declarations).with_requests_elsewhere();
        let best = council.recognise("i want to report a pothole on my road", false, 0.1);
        assert_eq!(best.map(|best| best.intent), Some("report_pothole".to_string()));
    }
}
