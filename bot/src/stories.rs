//! Conversation tests written as stories in YAML: what the person says, turn by turn, and what
//! the bot should do (answer citing a page, ask for an input, confirm, start a workflow,
//! escalate for a reason, show emergency contacts).
//!
//! ```yaml
//! stories:
//!   - name: A missed bin with the details given up front
//!     turns:
//!       - user: my recycling wasn't collected yesterday, postcode EB4 2QX
//!         expect:
//!           - asks: house
//!       - user: "12"
//!         expect:
//!           - confirms: { bin: Recycling (blue bin), postcode: EB4 2QX }
//!       - user: yes
//!         expect:
//!           - starts: report_missed_bin
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

use knowledge_base::Language;

use crate::conversation::form::{display, label, starting_words, what_it_does};
use crate::conversation::{Audience, Engine, Inbound, InboundContent, Reply, Role, StoredMessage};

/// A file of stories.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryFile {
    /// The stories, each in a conversation of its own.
    pub stories: Vec<Story>,
}

/// One conversation and what should happen in it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Story {
    /// What the story shows.
    pub name: String,
    /// Who is talking: `resident` (the default) or `staff`.
    #[serde(default)]
    pub audience: Audience,
    /// The time the story happens at, as `2026-12-01T10:00:00Z` (UTC) [default: the runner's].
    pub now: Option<String>,
    /// The turns, in order.
    pub turns: Vec<StoryTurn>,
}

/// What the person says, and what the bot should do in reply.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryTurn {
    /// The person's message.
    pub user: String,
    /// What should happen; every expectation must hold.
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// Something the bot should do in a turn.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    /// Answer citing a page whose address contains this text.
    Answers(String),
    /// Not cite any page whose address contains this text.
    NotAnswers(String),
    /// Say this somewhere (case is ignored).
    Says(String),
    /// Never say this (case is ignored).
    NotSays(String),
    /// Ask for this input of the form in progress (its question is the last thing said).
    Asks(String),
    /// Show the summary to confirm, holding these values (by input name, as shown).
    Confirms(std::collections::BTreeMap<String, String>),
    /// Start this workflow.
    Starts(String),
    /// Hand over to a person for this reason (`requested`, `unanswered`, `frustration`,
    /// `safeguarding`, `not_understood`, `workflow_failed`).
    Escalates(String),
    /// Show the emergency contacts for this danger first (`self_harm`, `violence`, `abuse`,
    /// `homeless`, `gas`).
    Emergency(String),
    /// Say it does not know (with no citations) and offer a person.
    DontKnow(bool),
    /// Offer to carry out this workflow.
    Offers(String),
    /// Not start gathering or carrying out any service request (offering one is fine).
    NoRequest(bool),
}

/// How a story went.
#[derive(Debug, Clone, Serialize)]
pub struct StoryResult {
    /// The file it is in.
    pub file: PathBuf,
    /// Its name.
    pub name: String,
    /// What did not happen as expected; empty when the story passed.
    pub failures: Vec<String>,
}

impl StoryResult {
    /// Whether everything happened as expected.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// What can go wrong reading stories.
#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a valid story file.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

/// Reads every `.yaml` story file in a directory (or the one file named), in name order.
pub fn load_stories(path: &Path) -> Result<Vec<(PathBuf, StoryFile)>, StoryError> {
    let mut files: Vec<PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .map_err(|source| StoryError::Io { path: path.to_path_buf(), source })?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|file| file.extension().is_some_and(|extension| extension == "yaml" || extension == "yml"))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text =
                std::fs::read_to_string(&file).map_err(|source| StoryError::Io { path: file.clone(), source })?;
            let parsed: StoryFile = serde_saphyr::from_str(&text)
                .map_err(|error| StoryError::Invalid { path: file.clone(), message: error.to_string() })?;
            Ok((file, parsed))
        })
        .collect()
}

/// The clock of an engine that plays stories: each story sets the time it happens at.
#[derive(Debug, Clone)]
pub struct StoryClock {
    now: Arc<AtomicI64>,
    default: i64,
}

impl StoryClock {
    /// A clock showing `default` (milliseconds since 1970) unless a story says otherwise.
    pub fn new(default: i64) -> StoryClock {
        StoryClock { now: Arc::new(AtomicI64::new(default)), default }
    }

    /// The clock to give the engine.
    pub fn clock(&self) -> crate::conversation::Clock {
        let now = self.now.clone();
        Arc::new(move || now.load(Ordering::Relaxed))
    }

    fn set(&self, millis: i64) {
        self.now.store(millis, Ordering::Relaxed);
    }
}

/// A UTC time written as `2026-12-01T10:00:00Z` (seconds optional), in milliseconds since 1970.
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('Z');
    let (date, time) = text.split_once('T')?;
    let day = crate::language::dates::day_of_iso(date)?;
    let mut parts = time.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute) = (parts.next()??, parts.next()??);
    let second = parts.next().flatten().unwrap_or(0);
    ((0..24).contains(&hour) && (0..60).contains(&minute) && (0..60).contains(&second))
        .then(|| day * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000)
}

/// Plays a story in a new conversation on `channel` and checks every expectation.
pub async fn run_story(engine: &Engine, clock: &StoryClock, file: &Path, story: &Story, channel: &str) -> StoryResult {
    let mut failures = Vec::new();
    match story.now.as_deref().map(|now| (now, parse_utc(now))) {
        Some((_, Some(millis))) => clock.set(millis),
        Some((text, None)) => {
            let problem = format!("`now: {text}` is not a time such as 2026-12-01T10:00:00Z");
            return StoryResult { file: file.to_path_buf(), name: story.name.clone(), failures: vec![problem] };
        }
        None => clock.set(clock.default),
    }
    let conversation = match engine.start_conversation(channel, "", story.audience).await {
        Ok(conversation) => conversation,
        Err(error) => {
            return StoryResult {
                file: file.to_path_buf(),
                name: story.name.clone(),
                failures: vec![error.to_string()],
            };
        }
    };
    let mut form_workflow: Option<String> = None;
    let council_language = engine.settings().council.language;
    for (index, turn) in story.turns.iter().enumerate() {
        let inbound =
            Inbound { conversation: conversation.id.clone(), content: InboundContent::Text(turn.user.clone()) };
        let replies: Vec<Reply> = match engine.handle(inbound).await {
            Ok(messages) => messages
                .into_iter()
                .filter(|message: &StoredMessage| message.role != Role::User)
                .map(|message| message.reply)
                .collect(),
            Err(error) => {
                failures.push(format!("turn {} ({:?}): the engine failed: {error}", index + 1, turn.user));
                break;
            }
        };
        let mut language = council_language;
        if let Ok(current) = engine.conversation(&conversation.id).await {
            language = current.state.speaking(council_language);
            form_workflow = current.state.form.map(|form| form.workflow).or(form_workflow);
        }
        for expectation in &turn.expect {
            if let Err(problem) = check(engine, expectation, &replies, form_workflow.as_deref(), language) {
                failures.push(format!(
                    "turn {} ({:?}): {problem}\n      the bot said: {}",
                    index + 1,
                    turn.user,
                    describe(&replies)
                ));
            }
        }
    }
    StoryResult { file: file.to_path_buf(), name: story.name.clone(), failures }
}

/// Whether an expectation holds of a turn's replies, said in `language`.
fn check(
    engine: &Engine,
    expectation: &Expectation,
    replies: &[Reply],
    workflow: Option<&str>,
    language: Language,
) -> Result<(), String> {
    let all_words: String = replies.iter().map(said).collect::<Vec<_>>().join("\n").to_lowercase();
    let cites = |page: &str| {
        replies.iter().any(|reply| match reply {
            Reply::Text { citations, .. } => citations.iter().any(|citation| citation.url.contains(page)),
            _ => false,
        })
    };
    match expectation {
        Expectation::Answers(page) => {
            if cites(page) {
                Ok(())
            } else {
                Err(format!("expected an answer citing a page at `{page}`"))
            }
        }
        Expectation::NotAnswers(page) => {
            if cites(page) {
                Err(format!("expected no answer citing a page at `{page}`"))
            } else {
                Ok(())
            }
        }
        Expectation::Says(words) => {
            if all_words.contains(&words.to_lowercase()) {
                Ok(())
            } else {
                Err(format!("expected it to say {words:?}"))
            }
        }
        Expectation::NotSays(words) => {
            if all_words.contains(&words.to_lowercase()) {
                Err(format!("expected it not to say {words:?}"))
            } else {
                Ok(())
            }
        }
        Expectation::Asks(input) => {
            let services = engine.services();
            let prompt = workflow
                .and_then(|workflow| services.catalogue().get(workflow))
                .and_then(|file| file.workflow.inputs.iter().find(|candidate| candidate.name.value == *input))
                .map(|input| input.prompt.in_language(language).to_string())
                .ok_or_else(|| format!("expected a question for `{input}`, but no form in progress has that input"))?;
            let last = replies.last().map(Reply::words).unwrap_or_default();
            if last.ends_with(&prompt) {
                Ok(())
            } else {
                Err(format!("expected the question for `{input}` ({prompt:?}) to be the last thing said"))
            }
        }
        Expectation::Confirms(values) => {
            let services = engine.services();
            let summary = replies.iter().find_map(|reply| match reply {
                Reply::Confirm { summary, .. } => Some(summary),
                _ => None,
            });
            let Some(summary) = summary else { return Err("expected a summary to confirm".into()) };
            let inputs = workflow
                .and_then(|workflow| services.catalogue().get(workflow))
                .map(|file| file.workflow.inputs.clone())
                .unwrap_or_default();
            for (name, value) in values {
                let Some(input) = inputs.iter().find(|input| input.name.value == *name) else {
                    return Err(format!("the form has no input `{name}`"));
                };
                let wanted = display(input, value, language);
                let label = label(input, language);
                let shown = summary.iter().find(|line| line.label == label).map(|line| line.value.as_str());
                if shown != Some(wanted.as_str()) && shown != Some(value.as_str()) {
                    return Err(format!("expected `{name}` to be {value:?} in the summary, not {shown:?}"));
                }
            }
            Ok(())
        }
        Expectation::Starts(workflow) => {
            let started = replies.iter().any(|reply| {
                matches!(reply, Reply::WorkflowStatus { workflow: started, status, .. } if started == workflow && *status == rpa::journal::RunStatus::Queued)
            });
            if started { Ok(()) } else { Err(format!("expected `{workflow}` to start")) }
        }
        Expectation::Escalates(reason) => {
            let escalated = replies
                .iter()
                .any(|reply| matches!(reply, Reply::Handoff { reason: given, .. } if given.as_str() == reason));
            if escalated { Ok(()) } else { Err(format!("expected a handover to a person for `{reason}`")) }
        }
        Expectation::Emergency(concern) => match replies.first() {
            Some(Reply::Emergency { concern: shown, contacts, .. })
                if shown.as_str() == concern && !contacts.is_empty() =>
            {
                Ok(())
            }
            _ => Err(format!("expected the emergency contacts for `{concern}` first")),
        },
        Expectation::DontKnow(expected) => {
            let cited =
                replies.iter().any(|reply| matches!(reply, Reply::Text { citations, .. } if !citations.is_empty()));
            let unsure =
                ["couldn't find", "could not find", "ddim dod o hyd"].iter().any(|words| all_words.contains(words));
            let said = unsure && !cited;
            if said == *expected {
                Ok(())
            } else if *expected {
                Err("expected it to say it does not know, without citations".into())
            } else {
                Err("expected an answer, not \"I don't know\"".into())
            }
        }
        Expectation::Offers(workflow) => {
            let services = engine.services();
            let description = services
                .catalogue()
                .get(workflow)
                .map(|file| what_it_does(&file.workflow, language).to_lowercase())
                .unwrap_or_else(|| workflow.clone());
            let offered = replies.iter().any(
                |reply| matches!(reply, Reply::Choices { text, .. } if text.to_lowercase().contains(&description)),
            );
            if offered { Ok(()) } else { Err(format!("expected an offer to {description}")) }
        }
        Expectation::NoRequest(expected) => {
            let services = engine.services();
            let requested = replies.iter().any(|reply| {
                matches!(reply, Reply::WorkflowStatus { .. } | Reply::Confirm { .. })
                    || services
                        .catalogue()
                        .iter()
                        .any(|file| reply.words().starts_with(&starting_words(&file.workflow, language)))
            });
            if requested != *expected { Ok(()) } else { Err("expected no service request to be started".into()) }
        }
    }
}

/// Everything a reply says: its words, and the emergency contacts it lists.
fn said(reply: &Reply) -> String {
    match reply {
        Reply::Emergency { text, contacts, .. } => {
            let listed: Vec<String> = contacts
                .iter()
                .map(|contact| format!("{} {} ({})", contact.name, contact.phone, contact.when))
                .collect();
            format!("{text}\n{}", listed.join("\n"))
        }
        other => other.words().to_string(),
    }
}

/// The replies in short, for failure messages.
fn describe(replies: &[Reply]) -> String {
    if replies.is_empty() {
        return "(nothing)".into();
    }
    replies
        .iter()
        .map(|reply| {
            let mut line = format!("[{}] {}", reply.kind(), reply.words());
            match reply {
                Reply::Text { citations, .. } if !citations.is_empty() => {
                    let urls: Vec<&str> = citations.iter().map(|citation| citation.url.as_str()).collect();
                    line.push_str(&format!(" (cites {})", urls.join(", ")));
                }
                Reply::Handoff { reason, .. } => line.push_str(&format!(" (reason {})", reason.as_str())),
                Reply::Confirm { summary, .. } => {
                    let values: Vec<String> =
                        summary.iter().map(|line| format!("{}={}", line.label, line.value)).collect();
                    line.push_str(&format!(" ({})", values.join("; ")));
                }
                _ => {}
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n      ")
}
