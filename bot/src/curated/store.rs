//! Curated answers in the database: each answer's latest version, every version before it, and
//! an audit record for every change, written together in one transaction.

use serde::Serialize;
use storage::sqlx::any::{AnyArguments, AnyRow};
use storage::sqlx::query::Query;
use storage::sqlx::{self, Row};
use storage::{Database, Migration, now_millis};

use super::{AnswerSource, CuratedAnswer, CuratedError, StoredAnswer};
use crate::audited;
use crate::conversation::store::record_audit;
use crate::conversation::{Audience, ConversationStore};

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "curated answers and their versions",
    sqlite: include_str!("../../migrations/sqlite/curated_answers/0001_curated_answers.sql"),
    postgres: include_str!("../../migrations/postgres/curated_answers/0001_curated_answers.sql"),
}];

const COLUMNS: &str = "version, answer, source_url, source_title, examples, audience, enabled, changed_by, changed_at";
/// The columns a change writes, besides the id and the version.
const CHANGED: &str = "answer, source_url, source_title, examples, audience, enabled, changed_by, changed_at";

/// How a saved answer changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// It is new.
    Added,
    /// What it says changed.
    Changed,
    /// It was switched off (and may have changed too).
    SwitchedOff,
    /// It was switched on again (and may have changed too).
    SwitchedOn,
    /// It was the same as before, and was left alone.
    Unchanged,
}

impl Change {
    /// The action recorded in the audit log, if the change is one.
    fn audit_action(self) -> Option<&'static str> {
        match self {
            Change::Added => Some("add_curated_answer"),
            Change::Changed => Some("change_curated_answer"),
            Change::SwitchedOff => Some("switch_off_curated_answer"),
            Change::SwitchedOn => Some("switch_on_curated_answer"),
            Change::Unchanged => None,
        }
    }
}

/// What saving one answer did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Saved {
    /// The answer.
    pub id: String,
    /// How it changed.
    pub change: Change,
    /// Its version now.
    pub version: i64,
}

/// The curated answers in the database.
#[derive(Debug, Clone)]
pub struct CuratedStore {
    database: Database,
}

impl CuratedStore {
    /// Opens the curated answers in the conversations' database (whose audit log records every
    /// change), creating their tables on first use.
    pub async fn open(conversations: &ConversationStore) -> Result<CuratedStore, CuratedError> {
        let database = audited::open(conversations, "curated_answers", MIGRATIONS).await?;
        Ok(CuratedStore { database })
    }

    /// Saves answers as `actor`, all or none: each that differs from its latest version becomes a
    /// new version, kept in the history and recorded in the audit log; the same ones are left alone.
    pub async fn save_all(&self, answers: &[CuratedAnswer], actor: &str) -> Result<Vec<Saved>, CuratedError> {
        let mut transaction = self.database.begin_write().await?;
        let mut saved = Vec::with_capacity(answers.len());
        let now = now_millis();
        for answer in answers {
            saved.push(save_one(&mut transaction, answer, Expected::Any, actor, now).await?);
        }
        transaction.commit().await?;
        Ok(saved)
    }

    /// Saves one answer as `actor`, made from its version `based_on`, or as a new answer when
    /// that is `None`. When another version was saved meanwhile, or a new answer's id is taken,
    /// nothing is saved: the error says which.
    pub async fn save(
        &self,
        answer: &CuratedAnswer,
        based_on: Option<i64>,
        actor: &str,
    ) -> Result<Saved, CuratedError> {
        let expected = based_on.map_or(Expected::New, Expected::Version);
        let mut transaction = self.database.begin_write().await?;
        let saved = save_one(&mut transaction, answer, expected, actor, now_millis()).await?;
        transaction.commit().await?;
        Ok(saved)
    }

    /// An answer as it stands now, if there is one with this id.
    pub async fn get(&self, id: &str) -> Result<Option<StoredAnswer>, CuratedError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM curated_answers WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.database.pool())
            .await?;
        row.as_ref().map(|row| stored_from_row(id, row)).transpose()
    }

    /// Every curated answer as it stands now, by id.
    pub async fn current(&self) -> Result<Vec<StoredAnswer>, CuratedError> {
        let rows = sqlx::query(&format!("SELECT id, {COLUMNS} FROM curated_answers ORDER BY id"))
            .fetch_all(self.database.pool())
            .await?;
        rows.iter().map(|row| stored_from_row(&row.try_get::<String, _>("id")?, row)).collect()
    }

    /// Every version of an answer, oldest first.
    pub async fn history(&self, id: &str) -> Result<Vec<StoredAnswer>, CuratedError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM curated_answer_versions WHERE answer_id = $1 ORDER BY version"
        ))
        .bind(id)
        .fetch_all(self.database.pool())
        .await?;
        rows.iter().map(|row| stored_from_row(id, row)).collect()
    }

    /// Whether an answer is the same as one of its versions before the latest, and not the
    /// latest: an old copy of it.
    pub async fn is_older_version(&self, answer: &CuratedAnswer) -> Result<bool, CuratedError> {
        let history = self.history(&answer.id).await?;
        let Some((latest, before)) = history.split_last() else { return Ok(false) };
        Ok(latest.answer != *answer && before.iter().any(|version| version.answer == *answer))
    }

    /// A number that grows with every change to any curated answer, to notice changes cheaply.
    pub async fn revision(&self) -> Result<i64, CuratedError> {
        Ok(audited::revision(&self.database, "curated_answer_versions").await?)
    }
}

/// Which version a change must be made to.
#[derive(Debug, Clone, Copy)]
enum Expected {
    /// Whichever is latest (imports).
    Any,
    /// None: the answer is new.
    New,
    /// This one.
    Version(i64),
}

/// Saves one answer in a transaction: a new version when it differs from the latest.
async fn save_one(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    answer: &CuratedAnswer,
    expected: Expected,
    actor: &str,
    now: i64,
) -> Result<Saved, CuratedError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM curated_answers WHERE id = $1"))
        .bind(&answer.id)
        .fetch_optional(&mut **transaction)
        .await?;
    let current = row.as_ref().map(|row| stored_from_row(&answer.id, row)).transpose()?;
    match (expected, &current) {
        (Expected::New, Some(_)) => return Err(CuratedError::Exists(answer.id.clone())),
        (Expected::Version(_), None) => return Err(CuratedError::Conflict(answer.id.clone())),
        (Expected::Version(version), Some(current)) if current.version != version => {
            return Err(CuratedError::Conflict(answer.id.clone()));
        }
        _ => {}
    }
    let change = match &current {
        None => Change::Added,
        Some(current) if current.answer == *answer => Change::Unchanged,
        Some(current) if current.answer.enabled && !answer.enabled => Change::SwitchedOff,
        Some(current) if !current.answer.enabled && answer.enabled => Change::SwitchedOn,
        Some(_) => Change::Changed,
    };
    let Some(action) = change.audit_action() else {
        let version = current.map_or(0, |current| current.version);
        return Ok(Saved { id: answer.id.clone(), change, version });
    };
    let examples = serde_json::to_string(&answer.examples)
        .map_err(|error| CuratedError::Unreadable { id: answer.id.clone(), detail: error.to_string() })?;
    let version = match &current {
        None => {
            let insert = format!(
                "INSERT INTO curated_answers ({CHANGED}, id, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)"
            );
            bind_changed(sqlx::query(&insert), answer, &examples, actor, now)
                .bind(&answer.id)
                .execute(&mut **transaction)
                .await
                .map_err(|error| match error {
                    // Added by someone else since it was read.
                    sqlx::Error::Database(database) if database.is_unique_violation() => match expected {
                        Expected::New => CuratedError::Exists(answer.id.clone()),
                        _ => CuratedError::Conflict(answer.id.clone()),
                    },
                    other => other.into(),
                })?;
            1
        }
        Some(current) => {
            let version = current.version + 1;
            let update = sqlx::query(
                "UPDATE curated_answers SET answer = $1, source_url = $2, source_title = $3, examples = $4, \
                 audience = $5, enabled = $6, changed_by = $7, changed_at = $8, version = $9 \
                 WHERE id = $10 AND version = $11",
            );
            let updated = bind_changed(update, answer, &examples, actor, now)
                .bind(version)
                .bind(&answer.id)
                .bind(current.version)
                .execute(&mut **transaction)
                .await?
                .rows_affected();
            if updated == 0 {
                return Err(CuratedError::Conflict(answer.id.clone()));
            }
            version
        }
    };
    sqlx::query(&format!(
        "INSERT INTO curated_answer_versions (answer_id, {COLUMNS}) \
         SELECT id, {COLUMNS} FROM curated_answers WHERE id = $1"
    ))
    .bind(&answer.id)
    .execute(&mut **transaction)
    .await?;
    record_audit(transaction, actor, action, &answer.id, &format!("version {version}")).await?;
    Ok(Saved { id: answer.id.clone(), change, version })
}

/// Binds the columns a change writes ([`CHANGED`]) as `$1` to `$8`.
fn bind_changed<'q>(
    query: Query<'q, sqlx::Any, AnyArguments<'q>>,
    answer: &'q CuratedAnswer,
    examples: &'q str,
    actor: &'q str,
    now: i64,
) -> Query<'q, sqlx::Any, AnyArguments<'q>> {
    query
        .bind(&answer.answer)
        .bind(&answer.source.url)
        .bind(&answer.source.title)
        .bind(examples)
        .bind(answer.audience.as_str())
        .bind(i64::from(answer.enabled))
        .bind(actor)
        .bind(now)
}

/// A stored answer from its row; values councilbot does not know are errors, not defaults.
fn stored_from_row(id: &str, row: &AnyRow) -> Result<StoredAnswer, CuratedError> {
    let unreadable = |detail: String| CuratedError::Unreadable { id: id.to_string(), detail };
    let audience = match row.try_get::<String, _>("audience")?.as_str() {
        "resident" => Audience::Resident,
        "staff" => Audience::Staff,
        other => return Err(unreadable(format!("unknown audience `{other}`"))),
    };
    let enabled = match row.try_get::<i64, _>("enabled")? {
        0 => false,
        1 => true,
        other => return Err(unreadable(format!("enabled is {other}, not 0 or 1"))),
    };
    let examples: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("examples")?)
        .map_err(|error| unreadable(format!("its examples are not a list of text: {error}")))?;
    Ok(StoredAnswer {
        answer: CuratedAnswer {
            id: id.to_string(),
            answer: row.try_get("answer")?,
            source: AnswerSource { url: row.try_get("source_url")?, title: row.try_get("source_title")? },
            examples,
            enabled,
            audience,
        },
        version: row.try_get("version")?,
        changed_by: row.try_get("changed_by")?,
        changed_at: row.try_get("changed_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str, enabled: bool) -> CuratedAnswer {
        CuratedAnswer {
            id: "council-tax-payment-dates".into(),
            answer: text.into(),
            source: AnswerSource {
                url: "https://www.eastbrook.gov.uk/council-tax/how-to-pay".into(),
                title: "Ways to pay your council tax".into(),
            },
            examples: vec!["when do I pay my council tax".into()],
            enabled,
            audience: Audience::Resident,
        }
    }

    async fn every_change_is_a_version_with_an_audit_record(url: &str) {
        let conversations = ConversationStore::open(Database::connect(url).await.unwrap()).await.unwrap();
        let store = CuratedStore::open(&conversations).await.unwrap();
        let first = answer("Ten instalments, April to January.", true);
        let saved = store.save_all(std::slice::from_ref(&first), "cli").await.unwrap();
        assert_eq!(saved[0].change, Change::Added);
        let revision = store.revision().await.unwrap();

        // The same answer again is left alone: no version, no audit record.
        let again = store.save_all(std::slice::from_ref(&first), "cli").await.unwrap();
        assert_eq!((again[0].change, again[0].version), (Change::Unchanged, 1));
        assert_eq!(store.revision().await.unwrap(), revision);

        let reworded = answer("Ten monthly instalments, from April to January.", true);
        assert_eq!(store.save_all(&[reworded], "editor").await.unwrap()[0].change, Change::Changed);
        // Switching off is a change like any other.
        let off = answer("Ten monthly instalments, from April to January.", false);
        let saved = store.save_all(&[off], "cli").await.unwrap();
        assert_eq!((saved[0].change, saved[0].version), (Change::SwitchedOff, 3));
        assert!(store.revision().await.unwrap() > revision);

        let current = store.current().await.unwrap();
        assert_eq!(current.len(), 1);
        assert!(!current[0].answer.enabled);
        assert_eq!((current[0].version, current[0].changed_by.as_str()), (3, "cli"));
        let history = store.history("council-tax-payment-dates").await.unwrap();
        let versions: Vec<(i64, &str, bool)> =
            history.iter().map(|stored| (stored.version, stored.changed_by.as_str(), stored.answer.enabled)).collect();
        assert_eq!(versions, vec![(1, "cli", true), (2, "editor", true), (3, "cli", false)]);
        assert_eq!(history[0].answer.answer, "Ten instalments, April to January.");

        let audit = conversations.audit_log(10, None).await.unwrap();
        let actions: Vec<(&str, &str, &str, &str)> = audit
            .iter()
            .map(|entry| (entry.actor.as_str(), entry.action.as_str(), entry.target.as_str(), entry.detail.as_str()))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("cli", "switch_off_curated_answer", "council-tax-payment-dates", "version 3"),
                ("editor", "change_curated_answer", "council-tax-payment-dates", "version 2"),
                ("cli", "add_curated_answer", "council-tax-payment-dates", "version 1"),
            ]
        );

        // A change made from an older version is refused, and so is a new answer with a taken id.
        let stale = answer("Eleven instalments.", false);
        assert!(matches!(store.save(&stale, Some(2), "editor").await, Err(CuratedError::Conflict(_))));
        assert!(matches!(store.save(&stale, None, "editor").await, Err(CuratedError::Exists(_))));
        let saved = store.save(&stale, Some(3), "editor").await.unwrap();
        assert_eq!((saved.change, saved.version), (Change::Changed, 4));
        assert_eq!(store.get("council-tax-payment-dates").await.unwrap().unwrap().answer.answer, "Eleven instalments.");
        // A file holding the first version is an old copy; one holding the latest, or new words, is not.
        assert!(store.is_older_version(&first).await.unwrap());
        assert!(!store.is_older_version(&stale).await.unwrap());
        assert!(!store.is_older_version(&answer("Twelve instalments.", true)).await.unwrap());

        // A value the code does not know is an error, not a default.
        sqlx::query("UPDATE curated_answers SET audience = 'everyone'")
            .execute(conversations.database().pool())
            .await
            .unwrap();
        let error = store.current().await.unwrap_err().to_string();
        assert!(error.contains("unknown audience `everyone`"), "{error}");
    }

    #[tokio::test]
    async fn every_change_is_a_version_with_an_audit_record_on_sqlite() {
        let directory = tempfile::tempdir().unwrap();
        every_change_is_a_version_with_an_audit_record(&format!(
            "sqlite://{}",
            directory.path().join("councilbot.db").display()
        ))
        .await;
    }

    #[tokio::test]
    async fn every_change_is_a_version_with_an_audit_record_on_postgres() {
        let postgres = storage::TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
        every_change_is_a_version_with_an_audit_record(&postgres.url).await;
    }

    #[tokio::test]
    async fn a_failed_import_writes_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", directory.path().join("councilbot.db").display());
        let conversations = ConversationStore::open(Database::connect(&url).await.unwrap()).await.unwrap();
        let store = CuratedStore::open(&conversations).await.unwrap();
        let mut other = answer("Pay online.", true);
        other.id = "pay-online".into();
        // A stored answer that cannot be read stops the import part-way: what came before it is undone.
        store.save_all(&[other.clone()], "cli").await.unwrap();
        sqlx::query("UPDATE curated_answers SET enabled = 7").execute(conversations.database().pool()).await.unwrap();
        let first = answer("Ten instalments.", true);
        other.answer = "Pay online or by phone.".into();
        assert!(store.save_all(&[first, other], "cli").await.is_err());
        assert_eq!(
            sqlx::query("SELECT COUNT(*) AS n FROM curated_answers WHERE id = 'council-tax-payment-dates'")
                .fetch_one(conversations.database().pool())
                .await
                .unwrap()
                .try_get::<i64, _>("n")
                .unwrap(),
            0,
            "the answer saved before the failure is rolled back"
        );
    }
}
