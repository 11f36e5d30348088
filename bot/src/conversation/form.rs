//! Gathering a service request's inputs turn by turn: taking values given up front, asking
//! for each missing one, re-asking with the reason when an answer does not fit, letting the
//! person correct any value, and confirming a summary before anything is started.

use std::collections::BTreeMap;

use rpa::workflow::{Input, InputType, Workflow};
use serde_json::{Map, Value};

use super::message::{ChoiceOption, Reply, SummaryLine};
use super::state::{FormStage, FormState};
use crate::language::dates;
use crate::language::signals::is_question;
use crate::language::values::{
    ChoiceMatch, Reading, ReadingContext, find_unprompted, match_choice, read_answer, yes_or_no,
};
use crate::language::{normalise, words};
use crate::translations::speak;
use knowledge_base::Language;

/// The value of the "confirm" button.
pub const CONFIRM: &str = "yes";
/// The value of the "change something" button.
pub const CHANGE: &str = "change";
/// The value of the "cancel" button.
pub const CANCEL: &str = "cancel";
/// The value of the "skip" button of an optional question.
pub const SKIP: &str = "skip";

/// Replies that leave out an optional input.
const SKIP_WORDS: &[&str] = &[
    "skip",
    "no",
    "none",
    "nothing",
    "n/a",
    "na",
    "no thanks",
    "nope",
    "not really",
    "no notes",
    "nothing else",
    "-",
    "hepgor",
    "dim",
    "dim byd",
    "dim diolch",
    "na dim",
];

/// What a message did to a form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    /// The form goes on; say these replies.
    Continue(Vec<Reply>),
    /// The person confirmed the summary: start the request.
    Confirmed,
    /// The message is not an answer but a question: answer it, then ask again.
    Question,
    /// The person chose to cancel.
    Cancelled,
    /// Answers to the same question could not be used too many times.
    NotUnderstood,
}

/// A form and the workflow it is for, with how to read values this turn.
pub struct Form<'a> {
    /// The workflow.
    pub workflow: &'a Workflow,
    /// Today, for dates.
    pub reading: ReadingContext,
    /// How many unusable answers in a row before giving up.
    pub failed_answers_limit: u32,
}

impl Form<'_> {
    /// Starts a form with the values a message gives up front (and any carried over), and
    /// says what comes next.
    pub fn begin(&self, text: &str, carried: BTreeMap<String, String>) -> (FormState, Vec<Reply>) {
        let mut form = FormState {
            workflow: self.workflow.name.value.clone(),
            values: carried.into_iter().filter(|(name, _)| self.input(name).is_some()).collect(),
            skipped: Vec::new(),
            stage: FormStage::Confirming,
            failed_answers: 0,
            urgent_told: false,
        };
        for input in &self.workflow.inputs {
            if form.values.contains_key(&input.name.value) {
                continue;
            }
            if let Some(value) = find_unprompted(input, text, self.reading) {
                form.values.insert(input.name.value.clone(), value);
            }
        }
        let noted = self.noted(&form);
        let mut replies = Vec::new();
        let starting = starting_words(self.workflow, self.language());
        if !noted.is_empty() {
            replies.push(Reply::text(
                self.words("form.start_noted", &[("starting", &starting), ("noted", &noted.join(", "))]),
            ));
        } else {
            replies.push(Reply::text(self.words("form.start", &[("starting", &starting)])));
        }
        replies.extend(self.next(&mut form));
        (form, replies)
    }

    /// Takes the next message of a form in progress.
    pub fn advance(&self, form: &mut FormState, text: &str) -> FormOutcome {
        match form.stage.clone() {
            FormStage::Asking { input, then_confirm } => self.answer(form, &input, then_confirm, text),
            FormStage::Confirming => self.confirming(form, text),
            FormStage::ChoosingChange => self.choosing_change(form, text),
        }
    }

    /// Whether a message fits the form where it stands: an answer to its question, a choice at
    /// its summary, or a change to a value (without changing the form).
    pub fn would_accept(&self, form: &FormState, text: &str) -> bool {
        let mut trial = form.clone();
        let failed_before = trial.failed_answers;
        match self.advance(&mut trial, text) {
            FormOutcome::Continue(_) => trial.failed_answers <= failed_before,
            FormOutcome::Confirmed | FormOutcome::Cancelled => true,
            FormOutcome::Question | FormOutcome::NotUnderstood => false,
        }
    }

    /// The question in progress, asked again (after an interruption).
    pub fn ask_again(&self, form: &FormState) -> Vec<Reply> {
        match &form.stage {
            FormStage::Asking { input, .. } => {
                self.input(input).map(|input| vec![self.question(input, "")]).unwrap_or_default()
            }
            FormStage::Confirming => vec![self.confirmation(form)],
            FormStage::ChoosingChange => vec![self.change_menu()],
        }
    }

    /// The values gathered, as the workflow takes them.
    pub fn inputs(&self, form: &FormState) -> Vec<(String, String)> {
        form.values.iter().map(|(name, value)| (name.clone(), value.clone())).collect()
    }

    /// The values gathered, as JSON (for an escalation).
    pub fn values_json(form: &FormState) -> Map<String, Value> {
        form.values.iter().map(|(name, value)| (name.clone(), Value::String(value.clone()))).collect()
    }

    fn input(&self, name: &str) -> Option<&Input> {
        self.workflow.inputs.iter().find(|input| input.name.value == name)
    }

    /// The language the form is asked in.
    fn language(&self) -> Language {
        self.reading.language
    }

    /// What the bot says for `key` in the form's language.
    fn words(&self, key: &str, values: &[(&str, &str)]) -> String {
        speak(self.language(), key, values)
    }

    /// A button labelled in the form's language.
    fn button(&self, key: &str, value: &str) -> ChoiceOption {
        ChoiceOption { label: self.words(key, &[]), value: value.to_string() }
    }

    /// An input's label in the form's language, lowercased in English to sit inside a sentence.
    fn label_in_sentence(&self, input: &Input) -> String {
        let label = label(input, self.language());
        if self.language() == Language::English { label.to_lowercase() } else { label }
    }

    /// The values just taken, in words: "the postcode EB4 2QX".
    fn noted(&self, form: &FormState) -> Vec<String> {
        self.workflow
            .inputs
            .iter()
            .filter_map(|input| {
                let value = form.values.get(&input.name.value)?;
                let value = display(input, value, self.language());
                Some(self.words("form.noted_value", &[("label", &self.label_in_sentence(input)), ("value", &value)]))
            })
            .collect()
    }

    /// Asks for the first missing input, or shows the summary when none is missing.
    fn next(&self, form: &mut FormState) -> Vec<Reply> {
        form.failed_answers = 0;
        let missing =
            self.workflow.inputs.iter().find(|input| {
                !form.values.contains_key(&input.name.value) && !form.skipped.contains(&input.name.value)
            });
        match missing {
            Some(input) => {
                form.stage = FormStage::Asking { input: input.name.value.clone(), then_confirm: false };
                vec![self.question(input, "")]
            }
            None => {
                form.stage = FormStage::Confirming;
                vec![self.confirmation(form)]
            }
        }
    }

    /// The question for an input, after a reason when re-asking.
    fn question(&self, input: &Input, reason: &str) -> Reply {
        let prompt = input.prompt.in_language(self.language());
        let text = if reason.is_empty() { prompt.to_string() } else { format!("{reason} {prompt}") };
        let mut choices: Vec<ChoiceOption> = match input.kind {
            InputType::Choice => input
                .choices
                .iter()
                .map(|choice| ChoiceOption {
                    label: choice.in_language(self.language()).to_string(),
                    value: choice.english.clone(),
                })
                .collect(),
            InputType::YesNo => vec![self.button("form.yes", "Yes"), self.button("form.no", "No")],
            _ => Vec::new(),
        };
        if !input.required {
            choices.push(self.button("form.skip", SKIP));
        }
        if choices.is_empty() { Reply::text(text) } else { Reply::Choices { text, choices } }
    }

    fn answer(&self, form: &mut FormState, name: &str, then_confirm: bool, text: &str) -> FormOutcome {
        let Some(input) = self.input(name) else {
            return FormOutcome::Continue(self.next(form));
        };
        if let Some(corrected) = self.correction(form, Some(name), text) {
            let mut replies = vec![Reply::text(corrected)];
            replies.extend(self.ask_again(form));
            return FormOutcome::Continue(replies);
        }
        let skip = {
            let normalised = normalise(text);
            let said = words(&normalised).join(" ");
            SKIP_WORDS.contains(&said.as_str()) || text.trim() == SKIP
        };
        if !input.required && skip {
            form.values.remove(name);
            if !form.skipped.contains(&name.to_string()) {
                form.skipped.push(name.to_string());
            }
            return FormOutcome::Continue(self.after_answer(form, then_confirm));
        }
        if input.kind == InputType::Text && text.trim_end().ends_with('?') {
            return FormOutcome::Question;
        }
        match read_answer(input, text, self.reading) {
            Reading::Value(value) => {
                form.values.insert(name.to_string(), value);
                form.skipped.retain(|skipped| skipped != name);
                self.take_unprompted(form, text);
                FormOutcome::Continue(self.after_answer(form, then_confirm))
            }
            Reading::Invalid(reason) => {
                if is_question(text) && input.kind != InputType::Text {
                    return FormOutcome::Question;
                }
                form.failed_answers += 1;
                if form.failed_answers >= self.failed_answers_limit {
                    return FormOutcome::NotUnderstood;
                }
                FormOutcome::Continue(vec![self.question(input, &reason)])
            }
        }
    }

    fn after_answer(&self, form: &mut FormState, then_confirm: bool) -> Vec<Reply> {
        if then_confirm {
            form.failed_answers = 0;
            form.stage = FormStage::Confirming;
            return vec![self.confirmation(form)];
        }
        self.next(form)
    }

    /// Values for other inputs that an answer also states, taken where they cannot be mistaken.
    fn take_unprompted(&self, form: &mut FormState, text: &str) {
        for input in &self.workflow.inputs {
            if form.values.contains_key(&input.name.value) {
                continue;
            }
            if let Some(value) = find_unprompted(input, text, self.reading) {
                form.values.insert(input.name.value.clone(), value);
            }
        }
    }

    /// A change to a value already given, when the message names the input and holds a valid
    /// value for it ("sorry, the postcode is EB4 2QY"). Returns what was changed, in words.
    fn correction(&self, form: &mut FormState, asking: Option<&str>, text: &str) -> Option<String> {
        let normalised = normalise(text);
        let message_words = words(&normalised);
        for input in &self.workflow.inputs {
            let name = &input.name.value;
            if Some(name.as_str()) == asking || !form.values.contains_key(name) || !self.mentions(input, &message_words)
            {
                continue;
            }
            let value = match input.kind {
                InputType::Text | InputType::Number | InputType::YesNo => continue,
                _ => find_unprompted(input, text, self.reading).or_else(|| {
                    match read_answer(input, text, self.reading) {
                        Reading::Value(value) if input.kind == InputType::Date => Some(value),
                        _ => None,
                    }
                }),
            };
            if let Some(value) = value
                && form.values.get(name) != Some(&value)
            {
                let shown = display(input, &value, self.language());
                let said = self.words("form.changed", &[("label", &self.label_in_sentence(input)), ("value", &shown)]);
                form.values.insert(name.clone(), value);
                return Some(said);
            }
        }
        None
    }

    /// Whether a message names an input: its name's words ("postcode", "collection date").
    fn mentions(&self, input: &Input, message_words: &[&str]) -> bool {
        let stems: Vec<String> = message_words.iter().flat_map(|word| knowledge_base::text::word_stems(word)).collect();
        let name_stems = knowledge_base::text::word_stems(&input.name.value.replace('_', " "));
        name_stems.iter().filter(|stem| stem.len() > 2).any(|stem| stems.contains(stem))
    }

    fn confirmation(&self, form: &FormState) -> Reply {
        let summary = self
            .workflow
            .inputs
            .iter()
            .filter_map(|input| {
                let value = form.values.get(&input.name.value)?;
                Some(SummaryLine {
                    label: label(input, self.language()),
                    value: display(input, value, self.language()),
                })
            })
            .collect();
        Reply::Confirm {
            text: self.words("form.check", &[("what", &what_it_does(self.workflow, self.language()))]),
            summary,
            choices: vec![
                self.button("form.send", CONFIRM),
                self.button("form.change", CHANGE),
                self.button("form.cancel", CANCEL),
            ],
        }
    }

    fn confirming(&self, form: &mut FormState, text: &str) -> FormOutcome {
        if let Some(corrected) = self.correction(form, None, text) {
            return FormOutcome::Continue(vec![Reply::text(corrected), self.confirmation(form)]);
        }
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case(CHANGE) {
            form.stage = FormStage::ChoosingChange;
            return FormOutcome::Continue(vec![self.change_menu()]);
        }
        if trimmed.eq_ignore_ascii_case(CANCEL) {
            return FormOutcome::Cancelled;
        }
        let normalised = normalise(text);
        let message_words = words(&normalised);
        if let Some(input) = self.workflow.inputs.iter().find(|input| self.mentions(input, &message_words))
            && message_words.iter().any(|word| {
                matches!(*word, "change" | "wrong" | "edit" | "correct" | "update" | "fix" | "newid" | "anghywir")
            })
        {
            form.stage = FormStage::Asking { input: input.name.value.clone(), then_confirm: true };
            return FormOutcome::Continue(vec![self.question(input, "")]);
        }
        match yes_or_no(text) {
            Some(true) => FormOutcome::Confirmed,
            Some(false) => {
                form.stage = FormStage::ChoosingChange;
                FormOutcome::Continue(vec![self.change_menu()])
            }
            None if is_question(text) => FormOutcome::Question,
            None => {
                form.failed_answers += 1;
                if form.failed_answers >= self.failed_answers_limit {
                    return FormOutcome::NotUnderstood;
                }
                let mut reply = self.confirmation(form);
                if let Reply::Confirm { text, .. } = &mut reply {
                    *text = self.words("form.choose_an_answer", &[("question", text.as_str())]);
                }
                FormOutcome::Continue(vec![reply])
            }
        }
    }

    fn change_menu(&self) -> Reply {
        let mut choices: Vec<ChoiceOption> = self
            .workflow
            .inputs
            .iter()
            .map(|input| ChoiceOption { label: label(input, self.language()), value: input.name.value.clone() })
            .collect();
        choices.push(self.button("form.all_correct", CONFIRM));
        choices.push(self.button("form.cancel_request", CANCEL));
        Reply::Choices { text: self.words("form.what_to_change", &[]), choices }
    }

    fn choosing_change(&self, form: &mut FormState, text: &str) -> FormOutcome {
        let trimmed = text.trim();
        if trimmed.eq_ignore_ascii_case(CANCEL) {
            return FormOutcome::Cancelled;
        }
        if let Some(corrected) = self.correction(form, None, text) {
            form.stage = FormStage::Confirming;
            return FormOutcome::Continue(vec![Reply::text(corrected), self.confirmation(form)]);
        }
        if let Some(input) = self.input(trimmed) {
            form.stage = FormStage::Asking { input: input.name.value.clone(), then_confirm: true };
            return FormOutcome::Continue(vec![self.question(input, "")]);
        }
        let labels: Vec<String> = self.workflow.inputs.iter().map(|input| label(input, self.language())).collect();
        if let ChoiceMatch::One(chosen) = match_choice(&labels, text)
            && let Some(input) = self.workflow.inputs.iter().find(|input| label(input, self.language()) == chosen)
        {
            form.stage = FormStage::Asking { input: input.name.value.clone(), then_confirm: true };
            return FormOutcome::Continue(vec![self.question(input, "")]);
        }
        if trimmed.eq_ignore_ascii_case(CONFIRM)
            || yes_or_no(text) == Some(false)
            || text.contains("correct")
            || text.to_lowercase().contains("gywir")
        {
            form.stage = FormStage::Confirming;
            return FormOutcome::Continue(vec![self.confirmation(form)]);
        }
        if is_question(text) {
            return FormOutcome::Question;
        }
        FormOutcome::Continue(vec![self.change_menu()])
    }
}

/// An input's label in `language`, else its name as people read it: `collection_date` as
/// "Collection date".
pub fn label(input: &Input, language: Language) -> String {
    if let Some(label) = &input.label {
        return label.in_language(language).to_string();
    }
    let words = input.name.value.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// A value as people read it in `language`: dates in words, phone numbers spaced, yes and no,
/// choices in the language's words.
pub fn display(input: &Input, value: &str, language: Language) -> String {
    match input.kind {
        InputType::Date => {
            dates::day_of_iso(value).map(|day| dates::spoken_in(day, language)).unwrap_or_else(|| value.to_string())
        }
        InputType::Phone if value.len() == 11 => format!("{} {}", &value[..5], &value[5..]),
        InputType::YesNo => {
            speak(language, if value == "yes" || value == "true" { "form.yes" } else { "form.no" }, &[])
        }
        InputType::Choice => input
            .choices
            .iter()
            .find(|choice| choice.english == value)
            .map_or_else(|| value.to_string(), |choice| choice.in_language(language).to_string()),
        _ => value.to_string(),
    }
}

/// The words a request starts with, naming the service: "I can report a missed bin collection for you".
pub fn starting_words(workflow: &Workflow, language: Language) -> String {
    speak(language, "form.starting", &[("what", &what_it_does(workflow, language))])
}

/// What a workflow does, to go after "I can": "report a missed bin collection".
pub fn what_it_does(workflow: &Workflow, language: Language) -> String {
    let description = workflow.description.in_language(language).trim().trim_end_matches('.');
    let mut chars = description.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
