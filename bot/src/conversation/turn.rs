//! One turn of a conversation: what the bot makes of a message and what it says back, decided
//! in order of importance: danger first, then commands that work anywhere, saying the answer
//! just given did not help, frustration, a pending offer, a question asked back, a form in
//! progress, small talk, and finally a request or a question (answered with the council's
//! curated answer when one matches, else from its pages, or asked back when it could be about
//! more than one service).

use std::collections::BTreeMap;

use serde_json::Value;

use super::answering::Scope;
use super::clarifying::{self, Pick, SOMETHING_ELSE};
use super::engine::{Engine, EngineError};
use super::feedback::{self, FollowUp, LastAnswer};
use super::form::{Form, FormOutcome, what_it_does};
use super::hearing::{Heard, Hearing, Likeliest, RequestThresholds};
use super::lifecycle::{EscalationReason, Priority};
use super::message::{Audience, ChoiceOption, EmergencyContact, Reply};
use super::records::{Conversation, ConversationStatus, NewEscalation, NewMessage, TurnRecord};
use super::state::{Clarification, DialogueState, FormState, Offer, PageChoice};
use crate::language::intents::IntentScore;
use crate::language::signals::{self, Command, Concern, SmallTalk};
use crate::language::values::{self, Reading, yes_or_no};
use crate::llm::Route;
use crate::metrics::TurnOutcome;
use crate::translations::speak;
use knowledge_base::Language;

/// The value of the button that accepts an offer.
pub const OFFER_YES: &str = "yes";
/// The value of the button that declines an offer.
pub const OFFER_NO: &str = "no";
/// The value of the button that goes on with a request that may be an emergency, once told
/// whom to phone.
const REPORT_IT_HERE: &str = "report it here";
/// The value of the button that carries the conversation on in Welsh.
pub const IN_WELSH: &str = "cymraeg";
/// The value of the button that keeps the conversation in English.
pub const IN_ENGLISH: &str = "english";

/// A confirmed request to start once the turn is written.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The workflow.
    pub workflow: String,
    /// The form with the confirmed values.
    pub form: FormState,
}

/// A turn being worked out.
pub(crate) struct Turn<'e> {
    engine: &'e Engine,
    conversation_id: String,
    audience: Audience,
    state: DialogueState,
    status: ConversationStatus,
    text: String,
    replies: Vec<Reply>,
    escalation: Option<NewEscalation>,
    start: Option<RunRequest>,
    outcome: TurnOutcome,
    /// The question asked back last turn and not answered by a choice: it is not asked back twice.
    asked_back: Option<String>,
    /// The answer given last turn, if the last turn gave one.
    previous_answer: Option<LastAnswer>,
    /// Whether this message was taken as a question to answer.
    asked_question: bool,
    /// What this message says of the answer given last turn, when it says it did not help.
    follow_up: Option<FollowUp>,
    /// The language the bot speaks this turn: the message's own, else the conversation's.
    language: Language,
    /// The language the message's words are in, when they tell.
    written_in: Option<Language>,
    /// The service the person confirmed their message before this one asked for.
    confirmed_service: Option<String>,
}

impl<'e> Turn<'e> {
    /// A turn of `conversation` for a message; `picked` when the message is a choice picked
    /// (whose words, such as "yes", say nothing of the person's language).
    pub(crate) fn new(engine: &'e Engine, conversation: &Conversation, text: &str, picked: bool) -> Turn<'e> {
        let mut state = conversation.state.clone();
        let previous_answer = state.last_answer.take();
        let written_in = if picked { None } else { Language::detect(text) };
        let language = written_in.unwrap_or_else(|| state.speaking(engine.settings().council.language));
        Turn {
            engine,
            conversation_id: conversation.id.clone(),
            audience: conversation.audience,
            state,
            status: conversation.status,
            text: text.trim().to_string(),
            replies: Vec::new(),
            escalation: None,
            start: None,
            outcome: TurnOutcome::Answered,
            asked_back: None,
            previous_answer,
            asked_question: false,
            follow_up: None,
            language,
            written_in,
            confirmed_service: None,
        }
    }

    /// What the turn writes, the run to start after, and how it went.
    pub(crate) fn finish(mut self) -> (TurnRecord, Option<RunRequest>, TurnOutcome) {
        if self.follow_up.is_none() && self.asks_again() {
            self.follow_up = Some(FollowUp::AskedAgain);
        }
        let mut contacts: Vec<String> = values::find_emails(&self.text);
        contacts.extend(values::find_phones(&self.text));
        contacts.sort();
        contacts.dedup();
        let said = NewMessage::user(&self.text, self.outcome.as_str());
        let mut messages = vec![NewMessage { confirmed_service: self.confirmed_service, ..said }];
        messages.extend(self.replies.into_iter().map(NewMessage::bot));
        (
            TurnRecord {
                state: self.state,
                status: self.status,
                messages,
                contacts,
                escalation: self.escalation,
                follow_up: self.follow_up,
                language: self.language,
            },
            self.start,
            self.outcome,
        )
    }

    pub(crate) async fn run(&mut self) -> Result<(), EngineError> {
        let text = self.text.clone();
        if self.status == ConversationStatus::Human {
            // A person has taken over: the message is for them, and the bot stays quiet.
            self.outcome = TurnOutcome::ForStaff;
            return Ok(());
        }
        if let Some(concern) = signals::concern(&text) {
            self.emergency(concern);
            return Ok(());
        }
        self.note_repeats(&text);
        self.note_language();
        match signals::command(&text) {
            Some(Command::Person) => {
                self.note_follow_up(FollowUp::AskedPerson);
                // After being told a request may be an emergency, a person is needed soon.
                let (priority, detail) = match &self.state.offer {
                    Some(Offer::Urgent { workflow, .. }) => (Priority::High, format!("urgent: {workflow}")),
                    _ => (Priority::Normal, String::new()),
                };
                self.escalate(EscalationReason::Requested, priority, &detail);
                return Ok(());
            }
            Some(Command::Cancel) => {
                self.cancel();
                return Ok(());
            }
            Some(Command::StartAgain) => {
                self.start_again();
                return Ok(());
            }
            Some(Command::Language(language)) => {
                self.choose_language(language);
                return Ok(());
            }
            None => {}
        }
        if self.previous_answer.is_some() && signals::says_wrong(&text) {
            self.answer_was_wrong();
            return Ok(());
        }
        if self.frustrated(&text) {
            self.note_follow_up(FollowUp::SaidWrong);
            return Ok(());
        }
        if let Some(offer) = self.state.offer.take()
            && self.answer_offer(offer, &text).await?
        {
            return Ok(());
        }
        if let Some(asked) = self.state.clarification.take() {
            if self.answer_choice(&asked, &text).await? {
                return Ok(());
            }
            // Anything else is a new message.
            self.asked_back = Some(crate::language::normalise(&asked.question));
        }
        if let Some(form) = self.state.form.take() {
            return self.continue_form(form, &text).await;
        }
        if let Some(talk) = signals::small_talk(&text) {
            self.small_talk(talk);
            self.offer_welsh();
            return Ok(());
        }
        self.request_or_question(&text).await?;
        if self.state.offer.is_none() && self.state.clarification.is_none() && self.state.form.is_none() {
            self.offer_welsh();
        }
        Ok(())
    }

    fn say(&mut self, reply: Reply) {
        self.replies.push(reply);
    }

    fn council_phone(&self) -> String {
        self.engine.settings().council.phone.clone()
    }

    /// Counts the same message sent again and again (a sign of frustration).
    fn note_repeats(&mut self, text: &str) {
        let normalised = crate::language::normalise(text);
        if self.state.last_message.as_deref() == Some(normalised.as_str()) {
            self.state.repeats += 1;
        } else {
            self.state.repeats = 0;
        }
        self.state.last_message = Some(normalised);
    }

    /// Notes the language the message was written in, for the messages after it that do not tell.
    fn note_language(&mut self) {
        if let Some(language) = self.written_in {
            self.state.wrote_in = Some(language);
        }
    }

    /// What the bot says for `key` in this turn's language.
    fn words(&self, key: &str, values: &[(&str, &str)]) -> String {
        speak(self.language, key, values)
    }

    /// A button labelled in this turn's language.
    fn button(&self, key: &str, value: &str) -> ChoiceOption {
        ChoiceOption { label: self.words(key, &[]), value: value.to_string() }
    }

    /// When the wait for a person is and what to do meanwhile, in this turn's language.
    fn wait_message(&self) -> String {
        self.engine.settings().hours.wait_message(self.engine.local_now(), self.language)
    }

    /// Carries the conversation on in the language the person chose.
    fn choose_language(&mut self, language: Language) {
        self.outcome = TurnOutcome::SmallTalk;
        self.state.language = Some(language);
        self.state.wrote_in = Some(language);
        self.state.offered_welsh = true;
        self.language = language;
        let key = match language {
            Language::Welsh => "language.now_welsh",
            Language::English => "language.now_english",
        };
        let words = self.words(key, &[]);
        self.say(Reply::text(words));
        self.ask_again();
    }

    /// Offers to carry on in Welsh, once, to someone who writes Welsh in a conversation that is
    /// in English.
    fn offer_welsh(&mut self) {
        let in_english = self.state.chosen_language(self.engine.settings().council.language) == Language::English;
        if self.written_in != Some(Language::Welsh) || !in_english || self.state.offered_welsh {
            return;
        }
        self.state.offered_welsh = true;
        let text = speak(Language::Welsh, "language.offer_welsh", &[]);
        let choices = vec![
            ChoiceOption { label: speak(Language::Welsh, "language.carry_on_in_welsh", &[]), value: IN_WELSH.into() },
            ChoiceOption { label: speak(Language::English, "language.stay_in_english", &[]), value: IN_ENGLISH.into() },
        ];
        self.say(Reply::Choices { text, choices });
    }

    /// Notes what the message says of the answer given last turn, if there was one.
    fn note_follow_up(&mut self, follow_up: FollowUp) {
        if self.previous_answer.is_some() {
            self.follow_up = Some(follow_up);
        }
    }

    /// Whether this message asked again, in other words, the question answered last turn.
    fn asks_again(&self) -> bool {
        let Some(before) = self.previous_answer.as_ref().filter(|_| self.asked_question) else { return false };
        let same_answer = self.state.last_answer.as_ref().is_some_and(|now| now.answer == before.answer);
        let knowledge = self.engine.knowledge();
        feedback::asked_again(&knowledge.analyze(&before.question), &knowledge.analyze(&self.text), same_answer)
    }

    /// The person said the answer just given was wrong or did not help: says sorry and offers a
    /// person (or says one is on the way) rather than taking it as a new question.
    fn answer_was_wrong(&mut self) {
        self.follow_up = Some(FollowUp::SaidWrong);
        self.outcome = TurnOutcome::SaidWrong;
        self.state.offer = None;
        self.state.clarification = None;
        if self.status == ConversationStatus::Escalated {
            let text = self.words("wrong_answer.person_coming", &[("wait", &self.wait_message())]);
            self.say(Reply::text(text));
            return;
        }
        self.state.offer = Some(Offer::Person);
        self.say(Reply::Choices {
            text: self.words("wrong_answer.offer_person", &[]),
            choices: vec![self.button("choice.yes_person", OFFER_YES), self.button("choice.no_thanks", OFFER_NO)],
        });
    }

    /// Says an answer to a question, and keeps it to see what the person makes of it next.
    fn say_answer(&mut self, question: &str, reply: Reply) {
        if reply.is_answer() {
            self.state.last_answer =
                Some(LastAnswer { question: question.to_string(), answer: reply.words().to_string() });
        }
        self.say(reply);
    }

    /// Brings in a person when the last messages sound clearly frustrated.
    fn frustrated(&mut self, text: &str) -> bool {
        let level = signals::frustration(text) + u32::from(self.state.repeats >= 2);
        if level == 0 {
            self.state.frustration = self.state.frustration.saturating_sub(1);
            return false;
        }
        self.state.frustration += level;
        if self.state.frustration < 2 || self.status == ConversationStatus::Escalated {
            return false;
        }
        self.state.frustration = 0;
        self.outcome = TurnOutcome::Escalated;
        self.say(Reply::text(self.words("wrong_answer.frustrated", &[])));
        self.escalate(EscalationReason::Frustration, Priority::Normal, "");
        true
    }

    /// Shows the emergency contacts first, then brings in a person at once.
    fn emergency(&mut self, concern: Concern) {
        let settings = self.engine.settings();
        let text = settings.safeguarding.text(concern, &settings.council, self.language);
        let contacts = self.engine.settings().emergency.for_concern(concern).to_vec();
        self.say(Reply::Emergency { text, concern, contacts });
        self.escalate(EscalationReason::Safeguarding, Priority::High, concern.as_str());
    }

    /// Hands the conversation to a person and says what happens next.
    fn escalate(&mut self, reason: EscalationReason, priority: Priority, detail: &str) {
        self.outcome = TurnOutcome::Escalated;
        let wait = self.wait_message();
        let already = matches!(self.status, ConversationStatus::Escalated | ConversationStatus::Human);
        let text = if already && priority == Priority::Normal {
            self.words("handoff.already_queued", &[("wait", &wait)])
        } else {
            let then = if priority == Priority::High {
                self.words("handoff.call_urgently", &[("phone", &self.engine.settings().council.out_of_hours_phone)])
            } else {
                self.words("handoff.call_us", &[("phone", &self.council_phone())])
            };
            self.words("handoff.asked", &[("wait", &wait), ("then", &then)])
        };
        self.say(Reply::Handoff { text, reason, priority });
        let inputs = self.state.form.as_ref().map(Form::values_json).unwrap_or_default();
        self.escalation = Some(NewEscalation { reason, detail: detail.to_string(), priority, run_id: None, inputs });
        if self.status != ConversationStatus::Human {
            self.status = ConversationStatus::Escalated;
        }
        self.state.offer = None;
        self.state.clarification = None;
        self.state.unanswered = 0;
    }

    fn cancel(&mut self) {
        self.outcome = TurnOutcome::Form;
        self.state.offer = None;
        self.state.clarification = None;
        let key = if self.state.form.take().is_some() { "cancel.cancelled" } else { "cancel.nothing" };
        self.say(Reply::text(self.words(key, &[])));
    }

    fn start_again(&mut self) {
        self.outcome = TurnOutcome::Form;
        self.state.offer = None;
        self.state.clarification = None;
        self.state.unanswered = 0;
        match self.state.form.take() {
            Some(form) => {
                let services = self.engine.services();
                match services.service(&form.workflow, self.audience) {
                    Some(file) => {
                        let builder = self.form(&file.workflow);
                        let (fresh, mut replies) = builder.begin("", BTreeMap::new());
                        self.say(Reply::text(self.words("cancel.start_again", &[])));
                        // The introduction was given the first time.
                        replies.remove(0);
                        self.replies.extend(replies);
                        self.state.form = Some(fresh);
                    }
                    None => self.say(Reply::text(self.words("cancel.start_again_nothing", &[]))),
                }
            }
            None => self.say(Reply::text(self.words("cancel.start_again_nothing", &[]))),
        }
    }

    fn small_talk(&mut self, talk: SmallTalk) {
        self.outcome = TurnOutcome::SmallTalk;
        let council = self.engine.settings().council.name.clone();
        let key = match talk {
            SmallTalk::Greeting => "small_talk.greeting",
            SmallTalk::Thanks => "small_talk.thanks",
            SmallTalk::Goodbye => "small_talk.goodbye",
        };
        self.say(Reply::text(self.words(key, &[("council", &council)])));
    }

    /// Acts on the answer to an offer; returns whether the message was such an answer.
    async fn answer_offer(&mut self, offer: Offer, text: &str) -> Result<bool, EngineError> {
        let said = if text.eq_ignore_ascii_case(OFFER_YES)
            || (matches!(offer, Offer::Urgent { .. }) && text.eq_ignore_ascii_case(REPORT_IT_HERE))
        {
            Some(true)
        } else if text.eq_ignore_ascii_case(OFFER_NO) {
            Some(false)
        } else {
            yes_or_no(text)
        };
        match (said, offer) {
            (Some(true), Offer::Person) => {
                self.escalate(EscalationReason::Requested, Priority::Normal, "accepted the offer of a person");
            }
            (Some(true), Offer::Workflow { workflow }) => self.begin_form(&workflow, "", BTreeMap::new()),
            (Some(true), Offer::Perhaps { workflow, text: asked }) => {
                // "yes, it's EB4 2QX" gives details as well as the answer.
                let told = if text.eq_ignore_ascii_case(OFFER_YES) { asked } else { format!("{asked}\n{text}") };
                self.begin_form(&workflow, &told, BTreeMap::new());
                self.confirmed_service = Some(workflow);
            }
            (Some(false), Offer::Perhaps { text, .. }) => {
                self.answer(&text, Scope::Anywhere { may_ask_back: true }).await?;
            }
            (Some(true), Offer::Urgent { workflow, text, carried }) => {
                self.begin_form_told(&workflow, &text, carried, true);
            }
            (Some(false), Offer::Urgent { .. }) => {
                self.outcome = TurnOutcome::SmallTalk;
                self.say(Reply::text(self.words("offer.urgent_declined", &[])));
            }
            (Some(true), Offer::Switch { workflow }) => {
                let carried = self.state.form.take().map(|form| form.values).unwrap_or_default();
                self.begin_form(&workflow, "", carried);
            }
            (Some(false), Offer::Switch { .. }) => {
                self.outcome = TurnOutcome::Form;
                self.say(Reply::text(self.words("offer.carry_on", &[])));
                self.ask_again();
            }
            (Some(false), _) => {
                self.outcome = TurnOutcome::SmallTalk;
                self.say(Reply::text(self.words("offer.declined", &[])));
            }
            (None, Offer::Switch { .. }) => return Ok(false),
            (None, _) => return Ok(false),
        }
        Ok(true)
    }

    fn form<'w>(&self, workflow: &'w rpa::workflow::Workflow) -> Form<'w> {
        Form {
            workflow,
            reading: self.engine.reading_in(self.language),
            failed_answers_limit: self.engine.settings().failed_answers_before_person,
        }
    }

    /// Starts gathering a service request; one that may be an emergency is told whom to phone
    /// first, and asked whether to go on.
    fn begin_form(&mut self, workflow: &str, text: &str, carried: BTreeMap<String, String>) {
        self.begin_form_told(workflow, text, carried, false);
    }

    /// Starts gathering a service request, once told whom to phone if it may be an emergency.
    fn begin_form_told(&mut self, workflow: &str, text: &str, carried: BTreeMap<String, String>, urgent_told: bool) {
        self.outcome = TurnOutcome::Form;
        let services = self.engine.services();
        let Some(file) = services.service(workflow, self.audience) else {
            self.say(Reply::text(self.words("request.cannot", &[("phone", &self.council_phone())])));
            return;
        };
        let urgent = !urgent_told
            && !text.is_empty()
            && services.is_urgent(workflow, text, self.engine.settings().intent_threshold);
        if urgent {
            self.tell_urgent(&file.workflow);
            let what = what_it_does(&file.workflow, self.language);
            let mut choices = vec![self.button("choice.talk_to_person", "talk to a person")];
            let text_of_choice = if self.engine.runner().is_some() {
                choices.insert(0, self.button("choice.report_here", OFFER_YES));
                self.words("request.urgent_or_person", &[("what", &what)])
            } else {
                self.words("request.urgent_person_only", &[])
            };
            self.state.offer = Some(Offer::Urgent { workflow: workflow.to_string(), text: text.to_string(), carried });
            self.say(Reply::Choices { text: text_of_choice, choices });
            return;
        }
        if self.engine.runner().is_none() {
            self.say(Reply::text(self.words("request.offline", &[("phone", &self.council_phone())])));
            return;
        }
        let (mut form, replies) = self.form(&file.workflow).begin(text, carried);
        form.urgent_told = urgent_told;
        self.replies.extend(replies);
        self.state.form = Some(form);
    }

    /// Says what a workflow tells people whose request may be an emergency, with its contacts.
    fn tell_urgent(&mut self, workflow: &rpa::workflow::Workflow) {
        let Some(urgent) = &workflow.urgent else { return };
        let contacts = urgent
            .contacts
            .iter()
            .map(|contact| EmergencyContact {
                name: contact.name.in_language(self.language).to_string(),
                phone: contact.phone.clone(),
                when: contact.when.in_language(self.language).to_string(),
            })
            .collect();
        let text = urgent.message.value.in_language(self.language).to_string();
        self.say(Reply::Emergency { text, concern: Concern::UrgentRequest, contacts });
    }

    /// Asks the question of the form in progress again.
    fn ask_again(&mut self) {
        let services = self.engine.services();
        let Some(form) = self.state.form.clone() else { return };
        if let Some(file) = services.service(&form.workflow, self.audience) {
            let replies = self.form(&file.workflow).ask_again(&form);
            self.replies.extend(replies);
        }
    }

    async fn continue_form(&mut self, mut form: FormState, text: &str) -> Result<(), EngineError> {
        self.outcome = TurnOutcome::Form;
        let services = self.engine.services();
        let Some(file) = services.service(&form.workflow, self.audience) else {
            self.say(Reply::text(self.words("request.gone", &[("phone", &self.council_phone())])));
            return Ok(());
        };
        let builder = self.form(&file.workflow);
        // A request for another service part-way through: offer to switch rather than guess.
        if let Some(other) = self.other_request(text, &form, &services, &builder)
            && let Some(other_file) = services.service(&other, self.audience)
        {
            self.state.form = Some(form);
            self.state.offer = Some(Offer::Switch { workflow: other.clone() });
            self.say(Reply::Choices {
                text: self.words("request.switch", &[("what", &what_it_does(&other_file.workflow, self.language))]),
                choices: vec![self.button("choice.yes_switch", OFFER_YES), self.button("choice.no_carry_on", OFFER_NO)],
            });
            return Ok(());
        }
        // Something said part-way through that makes it an emergency is told about at once; the
        // answer still counts.
        if !form.urgent_told && services.is_urgent(&form.workflow, text, self.engine.settings().intent_threshold) {
            form.urgent_told = true;
            self.tell_urgent(&file.workflow);
            self.say(Reply::text(self.words("request.urgent_carry_on", &[])));
        }
        match builder.advance(&mut form, text) {
            FormOutcome::Continue(replies) => {
                self.replies.extend(replies);
                self.state.form = Some(form);
            }
            FormOutcome::Confirmed => {
                self.start = Some(RunRequest { workflow: form.workflow.clone(), form });
            }
            FormOutcome::Question => {
                self.answer(text, Scope::Anywhere { may_ask_back: false }).await?;
                let again = builder.ask_again(&form);
                self.state.form = Some(form);
                if let Some(first) = again.into_iter().next() {
                    self.say(prefixed(&self.words("request.carry_on", &[]), first));
                }
            }
            FormOutcome::Cancelled => {
                self.say(Reply::text(self.words("cancel.cancelled", &[])));
            }
            FormOutcome::NotUnderstood => {
                form.failed_answers = 0;
                self.state.form = Some(form);
                self.say(Reply::text(self.words("request.not_understood", &[])));
                self.escalate(EscalationReason::NotUnderstood, Priority::Normal, "");
            }
        }
        Ok(())
    }

    /// The service a message asks for, if one is recognised that this person may use. A message
    /// most like a staff-only service is not taken for a resident's request.
    fn recognise(&self, text: &str, services: &super::services::Services) -> Option<IntentScore> {
        let threshold = self.engine.settings().intent_threshold;
        Likeliest::of(services, text, self.audience).recognised(threshold).cloned()
    }

    /// Another service the message clearly asks for, while a form for `current` is in
    /// progress: named with a word of change ("instead", "actually"), or asked for in a
    /// message that does not answer the question.
    fn other_request(
        &self,
        text: &str,
        current: &FormState,
        services: &super::services::Services,
        builder: &Form<'_>,
    ) -> Option<String> {
        if signals::is_question(text) {
            return None;
        }
        let best = self.recognise(text, services)?;
        if best.workflow == current.workflow {
            return None;
        }
        let lowered = crate::language::normalise(text);
        let switching = ["instead", "actually", "rather", "different", "something else", "also need", "as well"]
            .iter()
            .any(|cue| lowered.contains(cue));
        (switching || !builder.would_accept(current, text)).then_some(best.workflow)
    }

    /// A request for a service, or a question to answer.
    async fn request_or_question(&mut self, text: &str) -> Result<(), EngineError> {
        let services = self.engine.services();
        if let Some(model) = self.engine.model() {
            // The council's own answer comes before anything the model decides or writes.
            if signals::is_question(text) && self.curated_answer(text).await? {
                self.offer_service_of_answer(text);
                return Ok(());
            }
            let tools = services.tools(self.audience);
            let today = crate::language::dates::spoken(self.engine.today());
            match model.route(text, &tools, &today).await {
                Ok(Route::Service { workflow, arguments }) => {
                    let carried = self.model_arguments(&workflow, &arguments);
                    self.begin_form(&workflow, text, carried);
                    return Ok(());
                }
                Ok(Route::Answer) => return self.answer_and_offer(text).await,
                Err(failure) => {
                    self.engine.metrics().model_fell_back();
                    tracing::warn!(error = %failure, "the language model could not sort the message; using the classifier");
                }
            }
        }
        let settings = self.engine.settings();
        let thresholds =
            RequestThresholds { recognise: settings.intent_threshold, start: settings.intent_start_threshold };
        match Hearing::of(&services, text, self.audience).decide(thresholds) {
            Heard::Request { workflow } | Heard::Emergency { workflow } => {
                self.begin_form(&workflow, text, BTreeMap::new());
            }
            Heard::Perhaps { workflow } => self.ask_if_wanted(&workflow, text),
            Heard::Other => self.answer_and_offer(text).await?,
        }
        Ok(())
    }

    /// Answers a question and then offers the service it is about, if any. A question asked
    /// back is offered nothing until it is answered.
    async fn answer_and_offer(&mut self, text: &str) -> Result<(), EngineError> {
        let scope = Scope::Anywhere { may_ask_back: true };
        if !self.answer(text, scope).await? || self.state.clarification.is_some() {
            return Ok(());
        }
        self.offer_service_of_answer(text);
        Ok(())
    }

    /// Asks which service a question is about, with the pages to choose from and "something
    /// else", and keeps the question to answer once one is chosen.
    fn ask_back(&mut self, question: &str, pages: Vec<PageChoice>) {
        self.outcome = TurnOutcome::Clarified;
        self.state.offer = None;
        let mut choices: Vec<ChoiceOption> = pages.iter().map(|page| ChoiceOption::plain(&page.title)).collect();
        choices.push(self.button("choice.something_else", SOMETHING_ELSE));
        self.say(Reply::Choices { text: clarifying::question(&pages, self.language), choices });
        self.state.clarification = Some(Clarification { question: question.to_string(), pages });
    }

    /// Acts on the reply to a question asked back; returns whether the message was a choice.
    async fn answer_choice(&mut self, asked: &Clarification, text: &str) -> Result<bool, EngineError> {
        let knowledge = self.engine.knowledge().clone();
        match asked.pick(text, |words| knowledge.analyze(words)) {
            None => Ok(false),
            Some(Pick::SomethingElse) => {
                self.outcome = TurnOutcome::SmallTalk;
                self.say(Reply::text(self.words("ask_back.something_else", &[])));
                Ok(true)
            }
            Some(Pick::Page(page)) => {
                if self.answer(&asked.question, Scope::Chosen(page)).await? {
                    self.offer_service_of_answer(&asked.question);
                }
                Ok(true)
            }
        }
    }

    /// After an answer, offers the service it is about: only when the answer came from that
    /// service's own page and the question itself is recognised as about that service, so that
    /// "how do I register a death" is never followed by an offer to change an address.
    fn offer_service_of_answer(&mut self, question: &str) {
        let services = self.engine.services();
        let cited = match self.replies.last() {
            Some(Reply::Text { citations, .. }) => {
                citations.iter().find_map(|citation| services.service_of_page(&citation.url)).map(str::to_string)
            }
            _ => None,
        };
        let Some(cited) = cited else { return };
        // The question need not be most like the cited service of all: that it is like it at all
        // is enough, as the answer already came from the service's own page.
        let threshold = self.engine.settings().intent_threshold;
        let asked_about = services
            .classifier()
            .rank(question, self.audience == Audience::Staff)
            .iter()
            .any(|scored| scored.workflow == cited && scored.score >= threshold)
            && self.recognise(question, &services).is_some();
        if asked_about {
            self.offer_service(&cited);
        }
    }

    /// The values a model read from a message, kept only where they are valid.
    fn model_arguments(&self, workflow: &str, arguments: &serde_json::Map<String, Value>) -> BTreeMap<String, String> {
        let services = self.engine.services();
        let Some(file) = services.service(workflow, self.audience) else { return BTreeMap::new() };
        let reading = self.engine.reading_in(self.language);
        file.workflow
            .inputs
            .iter()
            .filter_map(|input| {
                let given = match arguments.get(&input.name.value)? {
                    Value::String(text) => text.clone(),
                    Value::Bool(true) => "yes".into(),
                    Value::Bool(false) => "no".into(),
                    Value::Number(number) => number.to_string(),
                    _ => return None,
                };
                match values::read_answer(input, &given, reading) {
                    Reading::Value(value) => Some((input.name.value.clone(), value)),
                    Reading::Invalid(_) => None,
                }
            })
            .collect()
    }

    /// Asks whether a message that is perhaps a request for a service wants it; if not, the
    /// message is answered as a question.
    fn ask_if_wanted(&mut self, workflow: &str, text: &str) {
        let services = self.engine.services();
        let Some(file) = services.service(workflow, self.audience) else { return };
        let what = what_it_does(&file.workflow, self.language);
        self.outcome = TurnOutcome::Clarified;
        self.state.offer = Some(Offer::Perhaps { workflow: workflow.to_string(), text: text.to_string() });
        self.say(Reply::Choices {
            text: self.words("offer.perhaps", &[("what", &what)]),
            choices: vec![self.button("choice.yes_please", OFFER_YES), self.button("choice.no_thanks", OFFER_NO)],
        });
    }

    /// After answering a question about a service, offers to do it.
    fn offer_service(&mut self, workflow: &str) {
        let services = self.engine.services();
        let Some(file) = services.service(workflow, self.audience) else { return };
        if self.engine.runner().is_none() {
            return;
        }
        let what = what_it_does(&file.workflow, self.language);
        self.state.offer = Some(Offer::Workflow { workflow: workflow.to_string() });
        self.say(Reply::Choices {
            text: self.words("offer.service", &[("what", &what)]),
            choices: vec![self.button("choice.yes_please", OFFER_YES), self.button("choice.no_thanks", OFFER_NO)],
        });
    }

    /// Gives the council's curated answer to a question, when it has one; returns whether it did.
    async fn curated_answer(&mut self, question: &str) -> Result<bool, EngineError> {
        self.asked_question = true;
        let Some(reply) = self.engine.curated_answer(question, self.audience).await? else { return Ok(false) };
        self.state.unanswered = 0;
        if self.outcome != TurnOutcome::Form {
            self.outcome = TurnOutcome::Answered;
        }
        self.say_answer(question, reply);
        Ok(true)
    }

    /// Answers a question, with the council's curated answer when it has one, else from the
    /// pages `scope` allows, or asks it back; returns whether it could.
    async fn answer(&mut self, question: &str, scope: Scope<'_>) -> Result<bool, EngineError> {
        let scope = match scope {
            Scope::Anywhere { may_ask_back } => {
                if self.curated_answer(question).await? {
                    return Ok(true);
                }
                let again = self.asked_back.as_deref() == Some(crate::language::normalise(question).as_str());
                Scope::Anywhere { may_ask_back: may_ask_back && !again }
            }
            chosen @ Scope::Chosen(_) => chosen,
        };
        let language = Language::detect(question).unwrap_or(self.language);
        let answered =
            self.engine.answer_question(&self.conversation_id, question, self.audience, scope, language).await?;
        if !answered.ask_back.is_empty() {
            self.ask_back(question, answered.ask_back);
            return Ok(true);
        }
        if answered.answered {
            self.state.unanswered = 0;
            if self.outcome != TurnOutcome::Form {
                self.outcome = TurnOutcome::Answered;
            }
            self.say_answer(question, answered.reply);
            return Ok(true);
        }
        if answered.withheld {
            self.say(answered.reply);
            return Ok(true);
        }
        self.state.unanswered += 1;
        self.outcome = TurnOutcome::Unanswered;
        if self.status == ConversationStatus::Escalated {
            let text = self.words("unanswered.person_coming", &[("wait", &self.wait_message())]);
            self.say(Reply::text(text));
            return Ok(false);
        }
        if self.state.unanswered >= self.engine.settings().unanswered_before_person {
            self.say(Reply::text(self.words("unanswered.again", &[])));
            self.escalate(EscalationReason::Unanswered, Priority::Normal, "");
            self.outcome = TurnOutcome::Unanswered;
            return Ok(false);
        }
        self.state.offer = Some(Offer::Person);
        self.say(Reply::Choices {
            text: answered.reply.words().to_string(),
            choices: vec![self.button("choice.yes_person", OFFER_YES), self.button("choice.no_thanks", OFFER_NO)],
        });
        Ok(false)
    }
}

/// A reply with words put in front.
fn prefixed(prefix: &str, reply: Reply) -> Reply {
    match reply {
        Reply::Text { text, citations } => Reply::Text { text: format!("{prefix} {text}"), citations },
        Reply::Choices { text, choices } => Reply::Choices { text: format!("{prefix} {text}"), choices },
        Reply::Confirm { text, summary, choices } => {
            Reply::Confirm { text: format!("{prefix} {text}"), summary, choices }
        }
        other => other,
    }
}

/// A message with payment card numbers taken out, however they are spaced or hidden (see
/// [`uk::card_numbers`]): they are never stored.
pub fn without_card_numbers(text: &str) -> String {
    uk::card_numbers::mask_card_numbers(text, "[card number removed]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_taken_out_but_phone_numbers_stay() {
        assert_eq!(without_card_numbers("my card is 4111 1111 1111 1111 ok"), "my card is [card number removed] ok");
        assert_eq!(without_card_numbers("call 01632 960123"), "call 01632 960123");
    }
}
