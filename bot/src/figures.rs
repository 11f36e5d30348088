//! The service's figures over a period: conversations and how many were answered without a
//! person, escalations by reason, how quickly people responded and resolved them, service
//! requests carried out, staff time saved, the questions the bot could not answer, and the
//! answers residents said were wrong or did not help.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use rpa::journal::{Journal, RunStatus};
use serde::Serialize;
use storage::names::optional_column;
use storage::sqlx::{self, Row};

use crate::conversation::feedback::{ANSWER, FollowUp, Vote};
use crate::conversation::message::CitationLink;
use crate::conversation::store::{ConversationStore, StoreError};
use crate::conversation::{Reply, Services};
use crate::language::dates::iso;

/// The most questions listed as content gaps.
const GAPS_LISTED: usize = 25;

/// The most recent confirmations of a period read for the requests confirmed after asking.
const CONFIRMATIONS_READ: i64 = 500;

/// The score at which a message is taken as one of a service's examples already.
const SAME_AS_AN_EXAMPLE: f32 = 0.99;

/// The most answers listed as doubted by residents.
const DOUBTED_LISTED: usize = 25;

/// The most words of an answer shown in the list of doubted answers.
const ANSWER_WORDS_SHOWN: usize = 16;

/// A period of whole days, from `from` up to but not including `to` (days since 1970).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Period {
    /// The first day.
    pub from: i64,
    /// The day after the last.
    pub to: i64,
}

impl Period {
    fn millis(self) -> (i64, i64) {
        (self.from * 86_400_000, self.to * 86_400_000)
    }
}

/// One day's counts.
#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// Conversations started.
    pub conversations: u64,
    /// Escalations raised.
    pub escalations: u64,
}

/// A question the bot could not answer, and how often it was asked.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// The question, as first asked (personal data masked).
    pub question: String,
    /// How many times it was asked.
    pub times: u64,
}

/// A message a person confirmed asked for a service when the bot asked "Do you want to …?":
/// an example of the service in residents' own words, once staff add it.
#[derive(Debug, Clone, Serialize)]
pub struct ConfirmedRequest {
    /// The message, as first written (personal data masked).
    pub message: String,
    /// The workflow it was confirmed for.
    pub service: String,
    /// How many times it was confirmed.
    pub times: u64,
}

/// What residents made of the answers given in a period: how many were given, and how many of
/// them were followed by each sign of whether they helped (an answer can have a vote and a
/// follow-up).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AnswerSignals {
    /// Answers given.
    pub answers: u64,
    /// Answers with no sign that they did not help.
    pub not_doubted: u64,
    /// Answers residents said answered their question (a thumbs-up, or "1" by text).
    pub thumbs_up: u64,
    /// Answers residents said did not answer their question (a thumbs-down, or "2" by text).
    pub thumbs_down: u64,
    /// Answers residents then said were wrong or did not help, in words.
    pub said_wrong: u64,
    /// Answers after which residents asked for a person.
    pub asked_person: u64,
    /// Answers after which residents asked the same question again in other words.
    pub asked_again: u64,
}

/// An answer residents said was wrong or did not help: the question, how the answer began and
/// the page it came from, with what residents did, for content owners to put right.
#[derive(Debug, Clone, Serialize)]
pub struct DoubtedAnswer {
    /// The question, as asked (personal data masked).
    pub question: String,
    /// The first words of the answer (personal data masked).
    pub answer: String,
    /// The page the answer came from.
    pub page: Option<CitationLink>,
    /// Times it got a thumbs-down.
    pub thumbs_down: u64,
    /// Times residents then said it was wrong.
    pub said_wrong: u64,
    /// Times residents then asked for a person.
    pub asked_person: u64,
    /// Times residents then asked again in other words.
    pub asked_again: u64,
}

impl DoubtedAnswer {
    /// How bad the worst sign is, from 0 (a thumbs-down) to 3 (asked again).
    fn worst(&self) -> usize {
        [self.thumbs_down, self.said_wrong, self.asked_person, self.asked_again]
            .iter()
            .position(|count| *count > 0)
            .unwrap_or(4)
    }

    fn total(&self) -> u64 {
        self.thumbs_down + self.said_wrong + self.asked_person + self.asked_again
    }
}

/// The figures of the conversations held in one language, to compare the service in Welsh with
/// the service in English.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageFigures {
    /// The language.
    pub language: knowledge_base::Language,
    /// Conversations started.
    pub conversations: u64,
    /// Of those, how many never needed a person and had no answer residents doubted.
    pub contained: u64,
    /// Of those, how many were handed to a person.
    pub handed_over: u64,
    /// The median minutes from an escalation to the first reply from a person.
    pub median_minutes_to_first_response: Option<f64>,
}

/// The figures for a period.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// The first day, `YYYY-MM-DD`.
    pub from: String,
    /// The last day, `YYYY-MM-DD`.
    pub to: String,
    /// Conversations started.
    pub conversations: u64,
    /// Of those, how many never needed a person and had no answer residents doubted.
    pub contained: u64,
    /// `contained` as a share of `conversations`, from 0 to 1.
    pub containment: f64,
    /// Escalations raised, by reason, most first.
    pub escalations_by_reason: Vec<(String, u64)>,
    /// The median minutes from an escalation to the first reply from a person.
    pub median_minutes_to_first_response: Option<f64>,
    /// The median minutes from an escalation to its resolution.
    pub median_minutes_to_resolution: Option<f64>,
    /// Service requests carried out.
    pub runs_succeeded: u64,
    /// Service requests that failed.
    pub runs_failed: u64,
    /// Minutes of staff time the requests carried out would have taken by hand.
    pub staff_minutes_saved: u64,
    /// Questions asked back: which service a question is about, or whether a message asks for one.
    pub clarified: u64,
    /// The same figures for the conversations in each language, English first.
    pub by_language: Vec<LanguageFigures>,
    /// Each day's counts.
    pub days: Vec<Day>,
    /// The questions the bot could not answer, most asked first.
    pub content_gaps: Vec<Gap>,
    /// Messages confirmed as requests after the bot asked, that are not yet examples of their
    /// service, most confirmed first.
    pub confirmed_requests: Vec<ConfirmedRequest>,
    /// What residents made of the answers.
    pub answer_signals: AnswerSignals,
    /// The answers residents said were wrong or did not help, worst first: thumbs-down, said
    /// wrong, asked for a person, asked again.
    pub doubted_answers: Vec<DoubtedAnswer>,
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[middle - 1] + values[middle]) / 2.0 } else { values[middle] })
}

/// Works out the figures for a period.
pub async fn figures(
    store: &ConversationStore,
    journal: Option<&Journal>,
    services: &Services,
    period: Period,
) -> Result<Figures, StoreError> {
    let (start, end) = period.millis();
    let pool = store.database().pool();
    let day_of = |millis: i64| millis.div_euclid(86_400_000);
    let mut days: BTreeMap<i64, (u64, u64)> = (period.from..period.to).map(|day| (day, (0, 0))).collect();

    // A conversation counts as answered without a person only when no answer in it was doubted:
    // a confident wrong answer is not a success.
    let conversations = sqlx::query(
        "SELECT c.created_at, c.language, \
         (SELECT COUNT(*) FROM escalations e WHERE e.conversation_id = c.id) AS escalated, \
         (SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = c.id AND m.outcome = $3 \
          AND (m.vote = $4 OR m.followed_by IS NOT NULL)) AS doubted \
         FROM conversations c WHERE c.created_at >= $1 AND c.created_at < $2",
    )
    .bind(start)
    .bind(end)
    .bind(ANSWER)
    .bind(Vote::Unhelpful.as_str())
    .fetch_all(pool)
    .await?;
    let mut contained = 0;
    let mut by_language: Vec<(LanguageFigures, Vec<f64>)> = knowledge_base::Language::ALL
        .iter()
        .map(|language| {
            let figures = LanguageFigures {
                language: *language,
                conversations: 0,
                contained: 0,
                handed_over: 0,
                median_minutes_to_first_response: None,
            };
            (figures, Vec::new())
        })
        .collect();
    let language_of = |row: &storage::sqlx::any::AnyRow| -> usize {
        let code: Option<String> = row.try_get("language").ok().flatten();
        let language = code.as_deref().and_then(knowledge_base::Language::parse).unwrap_or_default();
        knowledge_base::Language::ALL.iter().position(|each| *each == language).unwrap_or(0)
    };
    for row in &conversations {
        let created: i64 = row.try_get("created_at")?;
        let escalated: i64 = row.try_get("escalated")?;
        let doubted: i64 = row.try_get("doubted")?;
        let (in_language, _) = &mut by_language[language_of(row)];
        in_language.conversations += 1;
        if escalated > 0 {
            in_language.handed_over += 1;
        }
        if escalated == 0 && doubted == 0 {
            contained += 1;
            in_language.contained += 1;
        }
        if let Some(day) = days.get_mut(&day_of(created)) {
            day.0 += 1;
        }
    }

    let escalations = sqlx::query(
        "SELECT e.reason, e.created_at, e.resolved_at, \
         (SELECT c.language FROM conversations c WHERE c.id = e.conversation_id) AS language, \
         (SELECT MIN(m.created_at) FROM conversation_messages m WHERE m.conversation_id = e.conversation_id \
          AND m.role = 'agent' AND m.created_at >= e.created_at) AS first_response \
         FROM escalations e WHERE e.created_at >= $1 AND e.created_at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    let mut by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let (mut responses, mut resolutions) = (Vec::new(), Vec::new());
    for row in &escalations {
        let reason: String = row.try_get("reason")?;
        let created: i64 = row.try_get("created_at")?;
        *by_reason.entry(reason).or_default() += 1;
        if let Some(day) = days.get_mut(&day_of(created)) {
            day.1 += 1;
        }
        if let Some(first) = row.try_get::<Option<i64>, _>("first_response")? {
            responses.push((first - created) as f64 / 60_000.0);
            by_language[language_of(row)].1.push((first - created) as f64 / 60_000.0);
        }
        if let Some(resolved) = row.try_get::<Option<i64>, _>("resolved_at")? {
            resolutions.push((resolved - created) as f64 / 60_000.0);
        }
    }
    let mut escalations_by_reason: Vec<(String, u64)> = by_reason.into_iter().collect();
    escalations_by_reason.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    let (mut runs_succeeded, mut runs_failed, mut staff_minutes_saved) = (0, 0, 0);
    if let Some(journal) = journal {
        for run in journal.runs_created_between(start, end).await? {
            match run.status {
                RunStatus::Succeeded => {
                    runs_succeeded += 1;
                    let minutes = services.catalogue().get(&run.workflow).and_then(|file| file.workflow.manual_minutes);
                    staff_minutes_saved += u64::from(minutes.unwrap_or(0));
                }
                RunStatus::Failed => runs_failed += 1,
                _ => {}
            }
        }
    }

    let clarified: i64 = sqlx::query(
        "SELECT COUNT(*) FROM conversation_messages WHERE outcome = 'clarified' AND created_at >= $1 \
         AND created_at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_one(pool)
    .await?
    .try_get(0)?;

    let unanswered = sqlx::query(
        "SELECT body FROM conversation_messages WHERE outcome = 'unanswered' AND created_at >= $1 AND created_at < $2",
    )
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    let mut gaps: BTreeMap<String, Gap> = BTreeMap::new();
    for row in &unanswered {
        let body: String = row.try_get("body")?;
        let Ok(crate::conversation::Reply::User { text }) = serde_json::from_str(&body) else { continue };
        let key = crate::language::normalise(&text).trim_end_matches(['?', '.', '!']).trim().to_string();
        let gap =
            gaps.entry(key).or_insert_with(|| Gap { question: uk::redact::mask_free_text(text.trim()), times: 0 });
        gap.times += 1;
    }
    let mut content_gaps: Vec<Gap> = gaps.into_values().collect();
    content_gaps.sort_by(|a, b| b.times.cmp(&a.times).then_with(|| a.question.cmp(&b.question)));
    content_gaps.truncate(GAPS_LISTED);

    let confirmed_requests = confirmed_requests(store, services, period).await?;
    let (answer_signals, doubted_answers) = answers_doubted(store, period).await?;

    let total = conversations.len() as u64;
    Ok(Figures {
        from: iso(period.from),
        to: iso(period.to - 1),
        conversations: total,
        contained,
        containment: if total == 0 { 0.0 } else { contained as f64 / total as f64 },
        escalations_by_reason,
        median_minutes_to_first_response: median(responses),
        median_minutes_to_resolution: median(resolutions),
        runs_succeeded,
        runs_failed,
        staff_minutes_saved,
        clarified: clarified.max(0) as u64,
        by_language: by_language
            .into_iter()
            .map(|(figures, responses)| LanguageFigures {
                median_minutes_to_first_response: median(responses),
                ..figures
            })
            .collect(),
        days: days
            .into_iter()
            .map(|(day, (conversations, escalations))| Day { date: iso(day), conversations, escalations })
            .collect(),
        content_gaps,
        confirmed_requests,
        answer_signals,
        doubted_answers,
    })
}

/// The messages confirmed as requests for a service in a period, with the service, leaving out
/// those already an example of it.
async fn confirmed_requests(
    store: &ConversationStore,
    services: &Services,
    period: Period,
) -> Result<Vec<ConfirmedRequest>, StoreError> {
    let (start, end) = period.millis();
    let pool = store.database().pool();
    // The message confirmed is the person's message before their yes.
    let rows = sqlx::query(
        "SELECT y.confirmed_service, \
         (SELECT m.body FROM conversation_messages m WHERE m.conversation_id = y.conversation_id \
          AND m.seq < y.seq AND m.role = 'user' ORDER BY m.seq DESC LIMIT 1) AS asked \
         FROM conversation_messages y WHERE y.confirmed_service IS NOT NULL \
         AND y.created_at >= $1 AND y.created_at < $2 ORDER BY y.created_at DESC LIMIT $3",
    )
    .bind(start)
    .bind(end)
    .bind(CONFIRMATIONS_READ)
    .fetch_all(pool)
    .await?;
    let mut confirmed: BTreeMap<(String, String), ConfirmedRequest> = BTreeMap::new();
    for row in &rows {
        let service: String = row.try_get("confirmed_service")?;
        let asked: Option<String> = row.try_get("asked")?;
        let Some(Ok(Reply::User { text })) = asked.map(|body| serde_json::from_str(&body)) else { continue };
        let already_an_example = services
            .classifier()
            .rank(&text, true)
            .iter()
            .any(|scored| scored.workflow == service && scored.score >= SAME_AS_AN_EXAMPLE && !scored.page_only);
        if already_an_example {
            continue;
        }
        let key = (crate::language::normalise(&text).trim_end_matches(['?', '.', '!']).trim().to_string(), service);
        let entry = confirmed.entry(key).or_insert_with_key(|(_, service)| ConfirmedRequest {
            message: uk::redact::mask_free_text(text.trim()),
            service: service.clone(),
            times: 0,
        });
        entry.times += 1;
    }
    let mut confirmed: Vec<ConfirmedRequest> = confirmed.into_values().collect();
    confirmed.sort_by(|a, b| b.times.cmp(&a.times).then_with(|| a.message.cmp(&b.message)));
    confirmed.truncate(GAPS_LISTED);
    Ok(confirmed)
}

/// What residents made of the answers given in a period, and the answers they doubted, grouped
/// by question and page.
async fn answers_doubted(
    store: &ConversationStore,
    period: Period,
) -> Result<(AnswerSignals, Vec<DoubtedAnswer>), StoreError> {
    let (start, end) = period.millis();
    let pool = store.database().pool();
    let counts = sqlx::query(
        "SELECT vote, followed_by, COUNT(*) AS n FROM conversation_messages WHERE outcome = $1 AND created_at >= $2 \
         AND created_at < $3 GROUP BY vote, followed_by",
    )
    .bind(ANSWER)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    let mut signals = AnswerSignals::default();
    for row in &counts {
        let vote: Option<Vote> = optional_column(row, "vote")?;
        let follow_up: Option<FollowUp> = optional_column(row, "followed_by")?;
        let n = row.try_get::<i64, _>("n")?.max(0) as u64;
        signals.answers += n;
        match vote {
            Some(Vote::Helpful) => signals.thumbs_up += n,
            Some(Vote::Unhelpful) => signals.thumbs_down += n,
            None => {}
        }
        match follow_up {
            Some(FollowUp::SaidWrong) => signals.said_wrong += n,
            Some(FollowUp::AskedPerson) => signals.asked_person += n,
            Some(FollowUp::AskedAgain) => signals.asked_again += n,
            None => {}
        }
        if vote != Some(Vote::Unhelpful) && follow_up.is_none() {
            signals.not_doubted += n;
        }
    }

    // Each doubted answer with the person's message just before it: the question it answered.
    let doubted = sqlx::query(
        "SELECT m.body, m.vote, m.followed_by, (SELECT q.body FROM conversation_messages q \
          WHERE q.conversation_id = m.conversation_id AND q.role = 'user' AND q.seq < m.seq \
          ORDER BY q.seq DESC LIMIT 1) AS question \
         FROM conversation_messages m WHERE m.outcome = $1 AND m.created_at >= $2 AND m.created_at < $3 \
         AND (m.vote = $4 OR m.followed_by IS NOT NULL)",
    )
    .bind(ANSWER)
    .bind(start)
    .bind(end)
    .bind(Vote::Unhelpful.as_str())
    .fetch_all(pool)
    .await?;
    let mut grouped: BTreeMap<(String, String), DoubtedAnswer> = BTreeMap::new();
    for row in &doubted {
        let body: String = row.try_get("body")?;
        let Ok(Reply::Text { text, citations }) = serde_json::from_str::<Reply>(&body) else { continue };
        let question = row
            .try_get::<Option<String>, _>("question")?
            .and_then(|question| serde_json::from_str::<Reply>(&question).ok())
            .map(|question| question.words().trim().to_string())
            .unwrap_or_default();
        let page = citations.into_iter().next();
        let key = (
            crate::language::normalise(&question).trim_end_matches(['?', '.', '!']).trim().to_string(),
            page.as_ref().map(|page| page.url.clone()).unwrap_or_default(),
        );
        let entry = grouped.entry(key).or_insert_with(|| DoubtedAnswer {
            question: uk::redact::mask_free_text(&question),
            answer: uk::redact::mask_free_text(&first_words(&text)),
            page,
            thumbs_down: 0,
            said_wrong: 0,
            asked_person: 0,
            asked_again: 0,
        });
        if optional_column::<Vote>(row, "vote")? == Some(Vote::Unhelpful) {
            entry.thumbs_down += 1;
        }
        match optional_column::<FollowUp>(row, "followed_by")? {
            Some(FollowUp::SaidWrong) => entry.said_wrong += 1,
            Some(FollowUp::AskedPerson) => entry.asked_person += 1,
            Some(FollowUp::AskedAgain) => entry.asked_again += 1,
            None => {}
        }
    }
    let mut doubted_answers: Vec<DoubtedAnswer> = grouped.into_values().collect();
    doubted_answers.sort_by(|a, b| {
        a.worst().cmp(&b.worst()).then_with(|| b.total().cmp(&a.total())).then_with(|| a.question.cmp(&b.question))
    });
    doubted_answers.truncate(DOUBTED_LISTED);
    Ok((signals, doubted_answers))
}

/// A citation number in an answer, as `[1]`.
static CITATION_MARK: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\s?\[\d{1,3}\]").expect("valid regex"));

/// The first words of an answer, without its citation numbers, marked with "…" when cut short.
fn first_words(answer: &str) -> String {
    let plain = CITATION_MARK.replace_all(answer, "");
    let words: Vec<&str> = plain.split_whitespace().collect();
    let shown = words.iter().take(ANSWER_WORDS_SHOWN).copied().collect::<Vec<_>>().join(" ");
    if words.len() > ANSWER_WORDS_SHOWN { format!("{shown}…") } else { shown }
}

/// A CSV field of text that came from outside (what residents asked), quoted, and made inert
/// for spreadsheets: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return would
/// be run as a formula when the file is opened, so it gets a leading `'`.
pub fn csv_text(text: &str) -> String {
    let inert = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    format!("\"{}\"", inert.replace('"', "\"\""))
}

/// The figures as CSV: one `measure,value` line each, then the days, then the content gaps.
pub fn to_csv(figures: &Figures) -> String {
    let minutes = |value: Option<f64>| value.map(|minutes| format!("{minutes:.1}")).unwrap_or_default();
    let mut out = String::from("measure,value\n");
    out.push_str(&format!("from,{}\nto,{}\n", figures.from, figures.to));
    out.push_str(&format!("conversations,{}\n", figures.conversations));
    out.push_str(&format!("answered without a person,{}\n", figures.contained));
    out.push_str(&format!("containment,{:.3}\n", figures.containment));
    for (reason, count) in &figures.escalations_by_reason {
        out.push_str(&format!("escalations: {reason},{count}\n"));
    }
    out.push_str(&format!("median minutes to first response,{}\n", minutes(figures.median_minutes_to_first_response)));
    out.push_str(&format!("median minutes to resolution,{}\n", minutes(figures.median_minutes_to_resolution)));
    out.push_str(&format!("workflow runs succeeded,{}\n", figures.runs_succeeded));
    out.push_str(&format!("workflow runs failed,{}\n", figures.runs_failed));
    out.push_str(&format!("staff minutes saved,{}\n", figures.staff_minutes_saved));
    out.push_str(&format!("questions asked back,{}\n", figures.clarified));
    for language in &figures.by_language {
        let code = language.language.code();
        out.push_str(&format!("conversations in {code},{}\n", language.conversations));
        out.push_str(&format!("answered without a person in {code},{}\n", language.contained));
        out.push_str(&format!("handed to a person in {code},{}\n", language.handed_over));
        let waited = minutes(language.median_minutes_to_first_response);
        out.push_str(&format!("median minutes to first response in {code},{waited}\n"));
    }
    let signals = &figures.answer_signals;
    out.push_str(&format!("answers given,{}\n", signals.answers));
    out.push_str(&format!("answers with no sign they did not help,{}\n", signals.not_doubted));
    out.push_str(&format!("answers with a thumbs-up,{}\n", signals.thumbs_up));
    out.push_str(&format!("answers with a thumbs-down,{}\n", signals.thumbs_down));
    out.push_str(&format!("answers then said to be wrong,{}\n", signals.said_wrong));
    out.push_str(&format!("answers followed by asking for a person,{}\n", signals.asked_person));
    out.push_str(&format!("answers followed by the question asked again,{}\n", signals.asked_again));
    out.push_str("\ndate,conversations,escalations\n");
    for day in &figures.days {
        out.push_str(&format!("{},{},{}\n", day.date, day.conversations, day.escalations));
    }
    out.push_str("\nunanswered question,times asked\n");
    for gap in &figures.content_gaps {
        out.push_str(&format!("{},{}\n", csv_text(&gap.question), gap.times));
    }
    out.push_str(
        "\ndoubted answer: question,answer began,page,thumbs-down,said wrong,asked for a person,asked again\n",
    );
    for doubted in &figures.doubted_answers {
        let page = doubted.page.as_ref().map(|page| page.url.as_str()).unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            csv_text(&doubted.question),
            csv_text(&doubted.answer),
            csv_text(page),
            doubted.thumbs_down,
            doubted.said_wrong,
            doubted.asked_person,
            doubted.asked_again
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_export_neutralises_cells_a_spreadsheet_would_run() {
        for (asked, written) in [
            (
                "=HYPERLINK(\"http://evil.example\",\"click\")",
                "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"",
            ),
            ("+44 7700 900000", "\"'+44 7700 900000\""),
            ("-1+1", "\"'-1+1\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1", "\"'\t=1\""),
            ("\r=1", "\"'\r=1\""),
            ("when are bins collected?", "\"when are bins collected?\""),
        ] {
            assert_eq!(csv_text(asked), written, "{asked:?}");
        }
        let figures = Figures {
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            conversations: 1,
            contained: 0,
            containment: 0.0,
            escalations_by_reason: Vec::new(),
            median_minutes_to_first_response: None,
            median_minutes_to_resolution: None,
            runs_succeeded: 0,
            runs_failed: 0,
            staff_minutes_saved: 0,
            clarified: 0,
            by_language: Vec::new(),
            days: Vec::new(),
            content_gaps: vec![Gap { question: "=1+2".into(), times: 3 }],
            confirmed_requests: Vec::new(),
            answer_signals: AnswerSignals::default(),
            doubted_answers: vec![DoubtedAnswer {
                question: "@bins".into(),
                answer: "+1 Bins are emptied".into(),
                page: None,
                thumbs_down: 1,
                said_wrong: 0,
                asked_person: 0,
                asked_again: 0,
            }],
        };
        let csv = to_csv(&figures);
        assert!(csv.contains("\"'=1+2\",3\n"), "{csv}");
        assert_eq!(first_words("Bins are emptied on Thursday [1]."), "Bins are emptied on Thursday.");
        assert!(first_words(&"word ".repeat(40)).ends_with("word…"));
        assert!(csv.ends_with("\"'@bins\",\"'+1 Bins are emptied\",\"\",1,0,0,0\n"), "{csv}");
    }
}
