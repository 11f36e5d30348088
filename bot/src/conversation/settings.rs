//! How the conversation engine behaves: who the council is, when people answer, who to call in
//! an emergency, and the limits of a conversation. The defaults describe the sample council.

use serde::{Deserialize, Serialize};

use super::hours::ServiceHours;
use super::message::{EmergencyContact, Reply};
use crate::answer::{AnswerSettings, DEFAULT_MIN_CONFIDENCE};
use crate::curated::DEFAULT_CURATED_ANSWER_THRESHOLD;
use crate::language::intents::{DEFAULT_INTENT_START_THRESHOLD, DEFAULT_INTENT_THRESHOLD};
use crate::language::signals::Concern;

/// The council the bot speaks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Council {
    /// Its name, as residents know it.
    pub name: String,
    /// The main phone number.
    pub phone: String,
    /// The number for emergencies out of hours.
    pub out_of_hours_phone: String,
    /// Its website.
    pub website: String,
    /// The privacy notice that covers the chat.
    pub privacy_url: String,
    /// Its colour, as `#rrggbb`, on the chat button and the pages served here.
    pub colour: String,
    /// The file of its logo (SVG, PNG or JPEG), shown beside its name; none when empty.
    pub logo: String,
    /// The language its chat starts in: `en` or `cy`.
    pub language: knowledge_base::Language,
    /// Whether Welsh comes first where both languages are shown (councils in Wales).
    pub welsh_first: bool,
}

impl Default for Council {
    fn default() -> Self {
        Council {
            name: "Eastbrook District Council".into(),
            phone: "01632 960000".into(),
            out_of_hours_phone: "01632 960999".into(),
            website: "https://www.eastbrook.gov.uk".into(),
            privacy_url: "https://www.eastbrook.gov.uk/privacy/chat".into(),
            colour: "#1d70b8".into(),
            logo: String::new(),
            language: knowledge_base::Language::English,
            welsh_first: false,
        }
    }
}

/// Who to contact for each kind of danger; the first contacts shown are the most urgent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmergencyContacts {
    /// Someone may harm themselves.
    pub self_harm: Vec<EmergencyContact>,
    /// Someone is in danger from another person.
    pub violence: Vec<EmergencyContact>,
    /// Abuse, including domestic abuse and the abuse or neglect of a child or adult.
    pub abuse: Vec<EmergencyContact>,
    /// No safe place to sleep tonight.
    pub homeless: Vec<EmergencyContact>,
    /// A smell of gas or carbon monoxide.
    pub gas: Vec<EmergencyContact>,
}

fn contact(name: &str, phone: &str, when: &str) -> EmergencyContact {
    EmergencyContact { name: name.into(), phone: phone.into(), when: when.into() }
}

impl Default for EmergencyContacts {
    fn default() -> Self {
        let danger = contact("Emergency services", "999", "if anyone is in immediate danger");
        EmergencyContacts {
            self_harm: vec![
                danger.clone(),
                contact("Samaritans", "116 123", "free, any time, day or night, to talk to someone"),
                contact("NHS 111", "111", "for urgent mental health help (choose the mental health option)"),
            ],
            violence: vec![
                danger.clone(),
                contact("Police (non-emergency)", "101", "to report a crime that is not happening now"),
            ],
            abuse: vec![
                danger.clone(),
                contact("National Domestic Abuse Helpline", "0808 2000 247", "free, 24 hours a day"),
                contact("NSPCC helpline", "0808 800 5000", "if you are worried about a child"),
            ],
            homeless: vec![
                contact("Eastbrook Housing Options", "01632 960310", "Monday to Friday, 9am to 5pm"),
                contact(
                    "Eastbrook out-of-hours service",
                    "01632 960999",
                    "evenings, weekends and bank holidays, if you are homeless tonight",
                ),
                danger.clone(),
            ],
            gas: vec![
                contact(
                    "National Gas Emergency Service",
                    "0800 111 999",
                    "now, free, 24 hours: leave the building, do not use switches or flames, open doors and windows",
                ),
                danger,
            ],
        }
    }
}

impl EmergencyContacts {
    /// The contacts for a danger.
    pub fn for_concern(&self, concern: Concern) -> &[EmergencyContact] {
        match concern {
            Concern::SelfHarm => &self.self_harm,
            Concern::Violence => &self.violence,
            Concern::Abuse => &self.abuse,
            Concern::Homeless => &self.homeless,
            Concern::Gas => &self.gas,
            // The workflow gives its own contacts.
            Concern::UrgentRequest => &[],
        }
    }
}

/// What the bot says first when a message shows a danger, before the contacts, in the council's
/// own words (in English); an empty wording is the built-in one, which Welsh conversations are
/// always given, in Welsh. `{phone}` and `{out_of_hours_phone}` stand for the council's numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SafeguardingWording {
    /// Someone may harm themselves.
    pub self_harm: String,
    /// Someone is in danger from another person.
    pub violence: String,
    /// Abuse, including domestic abuse and the abuse or neglect of a child or adult.
    pub abuse: String,
    /// No safe place to sleep tonight.
    pub homeless: String,
    /// A smell of gas or carbon monoxide.
    pub gas: String,
    /// A request the workflow marks as urgent, such as a dangerous repair.
    pub urgent_request: String,
}

/// The placeholders a safeguarding wording may hold.
pub const WORDING_PLACEHOLDERS: [&str; 2] = ["{phone}", "{out_of_hours_phone}"];

impl SafeguardingWording {
    /// What to say first about a danger in `language`, with the council's numbers in it.
    pub fn text(&self, concern: Concern, council: &Council, language: knowledge_base::Language) -> String {
        let own = self.own(concern);
        let built_in;
        let wording = if own.trim().is_empty() || language != knowledge_base::Language::English {
            built_in = crate::translations::speak(language, &format!("safeguarding.{}", concern.as_str()), &[]);
            &built_in
        } else {
            own
        };
        wording.replace("{out_of_hours_phone}", &council.out_of_hours_phone).replace("{phone}", &council.phone)
    }

    /// The council's own wording for a danger, empty when it keeps the built-in one.
    pub fn own(&self, concern: Concern) -> &str {
        match concern {
            Concern::SelfHarm => &self.self_harm,
            Concern::Violence => &self.violence,
            Concern::Abuse => &self.abuse,
            Concern::Homeless => &self.homeless,
            Concern::Gas => &self.gas,
            Concern::UrgentRequest => &self.urgent_request,
        }
    }

    /// Each wording given that names a placeholder there is not, as `(danger, placeholder)`.
    pub fn unknown_placeholders(&self) -> Vec<(&'static str, String)> {
        let mut unknown = Vec::new();
        for concern in Concern::ALL {
            let mut rest = self.own(concern);
            while let Some(start) = rest.find('{') {
                let end = rest[start..].find('}').map_or(rest.len(), |end| start + end + 1);
                let placeholder = &rest[start..end];
                if !WORDING_PLACEHOLDERS.contains(&placeholder) {
                    unknown.push((concern.as_str(), placeholder.to_string()));
                }
                rest = &rest[end..];
            }
        }
        unknown
    }
}

/// Everything the engine's behaviour depends on.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// The council.
    pub council: Council,
    /// When people answer escalations.
    pub hours: ServiceHours,
    /// Who to call in an emergency.
    pub emergency: EmergencyContacts,
    /// What to say first in an emergency.
    pub safeguarding: SafeguardingWording,
    /// How extractive answers are chosen.
    pub answers: AnswerSettings,
    /// The score at which a message is taken as a request for a service.
    pub intent_threshold: f32,
    /// The score at which a request's form starts without asking whether it is wanted first.
    pub intent_start_threshold: f32,
    /// The score at which a question is taken to ask for one of the council's curated answers.
    pub curated_answer_threshold: f32,
    /// How many questions in a row may go unanswered before a person is brought in.
    pub unanswered_before_person: u32,
    /// How many unusable answers to the same question before a person is offered.
    pub failed_answers_before_person: u32,
    /// The longest message read, in characters; the rest is cut off.
    pub max_message_chars: usize,
    /// Where the council's pages are opened when councilbot serves them itself, if it does.
    pub pages_served_here: Option<PagesServedHere>,
}

/// The council's pages served by councilbot itself (the sample council, whose website does
/// not exist): citations of pages under `website` link to the same path here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesServedHere {
    /// The address the content gives its pages, such as `https://www.eastbrook.gov.uk`.
    pub website: String,
    /// The address people reach this server at, such as `https://chat.example.gov.uk`; empty
    /// for links by path alone (`/waste/bin-collection-days`).
    pub served_at: String,
}

impl PagesServedHere {
    /// The address to open for a page at `url`: its path here when it is under the website,
    /// else `url` itself.
    pub fn link(&self, url: &str) -> String {
        let website = self.website.trim_end_matches('/');
        let path = match url.strip_prefix(website) {
            Some("") => "/",
            Some(path) if path.starts_with(['/', '?', '#']) => path,
            _ => return url.to_string(),
        };
        format!("{}{path}", self.served_at.trim_end_matches('/'))
    }

    /// Points the citations of a reply at the pages served here.
    pub fn relink(&self, reply: &mut Reply) {
        if let Reply::Text { citations, .. } = reply {
            for citation in citations {
                citation.url = self.link(&citation.url);
            }
        }
    }
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            council: Council::default(),
            hours: ServiceHours::default(),
            emergency: EmergencyContacts::default(),
            safeguarding: SafeguardingWording::default(),
            answers: AnswerSettings { min_confidence: DEFAULT_MIN_CONFIDENCE, ..AnswerSettings::default() },
            intent_threshold: DEFAULT_INTENT_THRESHOLD,
            intent_start_threshold: DEFAULT_INTENT_START_THRESHOLD,
            curated_answer_threshold: DEFAULT_CURATED_ANSWER_THRESHOLD,
            unanswered_before_person: 2,
            failed_answers_before_person: 3,
            max_message_chars: 2000,
            pages_served_here: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::message::CitationLink;

    #[test]
    fn pages_under_the_website_are_linked_here_and_others_are_left_alone() {
        let here = PagesServedHere { website: "https://www.eastbrook.gov.uk/".into(), served_at: String::new() };
        assert_eq!(here.link("https://www.eastbrook.gov.uk/waste/bin-collection-days"), "/waste/bin-collection-days");
        assert_eq!(here.link("https://www.eastbrook.gov.uk"), "/");
        assert_eq!(
            here.link("https://www.eastbrook.gov.uk.example/waste"),
            "https://www.eastbrook.gov.uk.example/waste"
        );
        assert_eq!(here.link("https://intranet.eastbrook.gov.uk/housing"), "https://intranet.eastbrook.gov.uk/housing");
        let public = PagesServedHere { served_at: "https://chat.example.gov.uk/".into(), ..here };
        let mut reply = Reply::Text {
            text: "Thursday [1]".into(),
            citations: vec![CitationLink {
                title: "Bin collection days".into(),
                url: "https://www.eastbrook.gov.uk/waste/bin-collection-days".into(),
            }],
        };
        public.relink(&mut reply);
        let Reply::Text { citations, .. } = reply else { unreachable!() };
        assert_eq!(citations[0].url, "https://chat.example.gov.uk/waste/bin-collection-days");
    }
}
