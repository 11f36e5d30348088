//! What a message is taken for without a language model: a request whose form starts, a likely
//! request to ask about first, an emergency described rather than asked for, or something to
//! answer. The engine and `councilbot eval-intents` decide alike, from one reading of the message.

use serde::{Deserialize, Serialize};

use super::message::Audience;
use super::services::Services;
use crate::language::intents::IntentScore;
use crate::language::signals;
use crate::language::values::{self, ReadingContext};

/// The scores at which a message is taken for a request for a service.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RequestThresholds {
    /// At or above it, a message that is not a question is taken for a request for its best
    /// service; below `start`, the person is asked whether they want it.
    pub recognise: f32,
    /// At or above it, the service's form starts without asking first.
    pub start: f32,
}

/// What a message is taken for.
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    /// A request for a service: its form starts.
    Request {
        /// The workflow.
        workflow: String,
    },
    /// Perhaps a request for a service: the person is asked whether they want it, and their
    /// message is answered as a question if not.
    Perhaps {
        /// The workflow.
        workflow: String,
    },
    /// A request that may be an emergency, asked for or only described ("water is pouring
    /// through the ceiling"): the person is told whom to phone, and asked whether to report it
    /// here as well or talk to a person.
    Emergency {
        /// The workflow.
        workflow: String,
    },
    /// Not a request: a question or a request for something no service does, which is answered,
    /// or a message a turn deals with first (a safeguarding concern, a command, small talk).
    Other,
}

impl Heard {
    /// The workflow whose form starts without asking, if any.
    pub fn started(&self) -> Option<&str> {
        match self {
            Heard::Request { workflow } => Some(workflow),
            _ => None,
        }
    }

    /// The workflow the person is asked whether they want, if any.
    pub fn asked(&self) -> Option<&str> {
        match self {
            Heard::Perhaps { workflow } | Heard::Emergency { workflow } => Some(workflow),
            _ => None,
        }
    }
}

/// The service a message is most like that the person may use, and whether it is clearly more
/// like a request made elsewhere: enough to tell whether it is a request at a threshold.
#[derive(Debug, Clone)]
pub struct Likeliest {
    /// The service the message is most like, among all of them, when the person may use it: a
    /// resident's message most like a staff-only service is nobody's request.
    best: Option<IntentScore>,
    /// The request made elsewhere (a pothole, paying council tax) it is clearly more like.
    elsewhere: Option<String>,
}

impl Likeliest {
    /// Reads a message from someone in `audience`.
    pub fn of(services: &Services, text: &str, audience: Audience) -> Likeliest {
        let (best, elsewhere) = services.classifier().likeliest(text, true);
        let best = best.filter(|best| services.service(&best.workflow, audience).is_some());
        Likeliest { best, elsewhere: elsewhere.map(str::to_string) }
    }

    /// The service the message is a request for at `threshold`, question or not: its best
    /// service, when it scores at least that and is not more like a request made elsewhere.
    pub fn recognised(&self, threshold: f32) -> Option<&IntentScore> {
        self.best.as_ref().filter(|best| best.score >= threshold && self.elsewhere.is_none())
    }
}

/// What the classifier makes of a message, worked out once and enough to decide at any
/// thresholds.
#[derive(Debug, Clone)]
pub struct Hearing {
    likeliest: Likeliest,
    /// Whether it asks a question.
    question: bool,
    /// Whether it asks whether the council will do something ("can you collect a piano"):
    /// perhaps a request, perhaps a question, so never started without asking.
    asks_whether_done: bool,
    /// Whether it names the case its best service works on ("is HR-104230 done?").
    names_a_case: bool,
    /// How urgent it is for each service the person may use that declares urgent signs; only
    /// worked out when it can decide anything (not for a question about a service).
    urgencies: Vec<(String, f32)>,
    /// Whether a turn deals with it before any request: a safeguarding concern, a command (a
    /// person, cancel) or small talk.
    handled_first: bool,
}

impl Hearing {
    /// Reads a message from someone in `audience`.
    pub fn of(services: &Services, text: &str, audience: Audience) -> Hearing {
        let likeliest = Likeliest::of(services, text, audience);
        let handled_first =
            signals::concern(text).is_some() || signals::command(text).is_some() || signals::small_talk(text).is_some();
        let signals::Phrasing { question, asks_whether_done } = signals::phrasing(text);
        let names_a_case =
            likeliest.best.as_ref().is_some_and(|best| names_a_case(services, &best.workflow, text, audience));
        let urgencies = if handled_first || (question && !names_a_case && !asks_whether_done) {
            Vec::new()
        } else {
            services
                .urgencies(text)
                .into_iter()
                .filter(|(workflow, _)| services.service(workflow, audience).is_some())
                .map(|(workflow, score)| (workflow.to_string(), score))
                .collect()
        };
        Hearing { likeliest, question, asks_whether_done, names_a_case, urgencies, handled_first }
    }

    /// A message that is most like `best` and asks a question or not, with nothing else to note.
    #[cfg(test)]
    pub(crate) fn scored(best: IntentScore, question: bool) -> Hearing {
        Hearing {
            likeliest: Likeliest { best: Some(best), elsewhere: None },
            question,
            asks_whether_done: false,
            names_a_case: false,
            urgencies: Vec::new(),
            handled_first: false,
        }
    }

    /// The service the message is most like and its score, whatever the threshold.
    pub fn best(&self) -> Option<&IntentScore> {
        self.likeliest.best.as_ref()
    }

    /// The request made elsewhere it was taken for, if any.
    pub fn elsewhere(&self) -> Option<&str> {
        self.likeliest.elsewhere.as_deref()
    }

    /// What the message is taken for at `thresholds`. A question about a service is answered,
    /// unless it names the case the service works on ("what is the status of repair HR-104230?")
    /// or asks whether the council will do something ("can you collect a piano?"), which may be
    /// either and is asked about first. A request that may be an emergency is told whom to phone
    /// before anything else. A score from the words of the service's page alone asks first,
    /// whatever it is.
    pub fn decide(&self, thresholds: RequestThresholds) -> Heard {
        if self.handled_first {
            return Heard::Other;
        }
        let urgent = |workflow: &str| {
            self.urgencies.iter().any(|(urgent, score)| urgent == workflow && *score >= thresholds.recognise)
        };
        match self.likeliest.recognised(thresholds.recognise) {
            Some(_) if self.question && !self.names_a_case && !self.asks_whether_done => Heard::Other,
            Some(best) if urgent(&best.workflow) => Heard::Emergency { workflow: best.workflow.clone() },
            Some(best)
                if self.names_a_case
                    || (best.score >= thresholds.start && !best.page_only && !self.asks_whether_done) =>
            {
                Heard::Request { workflow: best.workflow.clone() }
            }
            Some(best) => Heard::Perhaps { workflow: best.workflow.clone() },
            None if self.question => Heard::Other,
            None => self
                .urgencies
                .iter()
                .find(|(_, score)| *score >= thresholds.recognise)
                .map_or(Heard::Other, |(workflow, _)| Heard::Emergency { workflow: workflow.clone() }),
        }
    }
}

/// Whether a message names the case a service works on: a reference or account number one of
/// its text inputs takes.
fn names_a_case(services: &Services, workflow: &str, text: &str, audience: Audience) -> bool {
    let Some(file) = services.service(workflow, audience) else { return false };
    // Only patterned text inputs are read here, and they do not depend on the date or language.
    let context = ReadingContext { today: 0, language: knowledge_base::Language::English };
    file.workflow.inputs.iter().any(|input| {
        input.kind == rpa::workflow::InputType::Text && values::find_unprompted(input, text, context).is_some()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hearing(score: f32, question: bool, names_a_case: bool) -> Hearing {
        let best = IntentScore {
            intent: "report_repair".into(),
            workflow: "report_housing_repair".into(),
            score,
            page_only: false,
        };
        Hearing { names_a_case, ..Hearing::scored(best, question) }
    }

    const THRESHOLDS: RequestThresholds = RequestThresholds { recognise: 0.1, start: 0.3 };

    #[test]
    fn a_likely_request_below_the_start_threshold_is_asked_about_first() {
        let repair = || "report_housing_repair".to_string();
        assert_eq!(hearing(0.35, false, false).decide(THRESHOLDS), Heard::Request { workflow: repair() });
        assert_eq!(hearing(0.2, false, false).decide(THRESHOLDS), Heard::Perhaps { workflow: repair() });
        assert_eq!(hearing(0.05, false, false).decide(THRESHOLDS), Heard::Other);
    }

    #[test]
    fn a_request_that_may_be_an_emergency_is_told_whom_to_phone_however_it_scores() {
        let flooding = |score: f32| Hearing {
            urgencies: vec![("report_housing_repair".to_string(), 0.4)],
            ..hearing(score, false, false)
        };
        let emergency = Heard::Emergency { workflow: "report_housing_repair".to_string() };
        assert_eq!(flooding(0.9).decide(THRESHOLDS), emergency);
        assert_eq!(flooding(0.2).decide(THRESHOLDS), emergency);
        assert_eq!(flooding(0.0).decide(THRESHOLDS), emergency, "described rather than asked for");
        assert_eq!(emergency.started(), None);
    }

    #[test]
    fn a_request_recognised_only_from_the_services_page_is_asked_about_however_it_scores() {
        let mut from_page = hearing(0.6, false, false);
        from_page.likeliest.best.as_mut().expect("best").page_only = true;
        assert_eq!(from_page.decide(THRESHOLDS), Heard::Perhaps { workflow: "report_housing_repair".to_string() });
    }

    #[test]
    fn a_question_about_a_service_is_answered_unless_it_names_a_case() {
        assert_eq!(hearing(0.9, true, false).decide(THRESHOLDS), Heard::Other);
        let named = hearing(0.2, true, true).decide(THRESHOLDS);
        assert_eq!(named.started(), Some("report_housing_repair"), "a case named is a request, however asked");
    }

    #[test]
    fn asking_whether_the_council_will_do_something_is_asked_about_first_however_it_scores() {
        let asking = |question: bool| Hearing { asks_whether_done: true, ..hearing(0.9, question, false) };
        let perhaps = Heard::Perhaps { workflow: "report_housing_repair".to_string() };
        assert_eq!(asking(false).decide(THRESHOLDS), perhaps, "can you fix my boiler");
        assert_eq!(asking(true).decide(THRESHOLDS), perhaps, "will someone fix my boiler?");
        assert_eq!(
            Hearing { names_a_case: true, ..asking(false) }.decide(THRESHOLDS).started(),
            Some("report_housing_repair"),
            "can you check HR-300123"
        );
    }
}
