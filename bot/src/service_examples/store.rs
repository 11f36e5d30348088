//! The examples of services in the database: those added now, and every addition and removal
//! with who made it and when, each written with its audit record in one transaction.

use std::collections::BTreeSet;

use storage::sqlx::{self, Row};
use storage::{Database, Migration, now_millis};

use super::{AddedExample, ExampleChange, ExampleError, ExampleEvent, Imported, ServiceExamples};
use crate::audited;
use crate::conversation::ConversationStore;
use crate::conversation::store::record_audit;

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "examples added to services and their history",
    sqlite: include_str!("../../migrations/sqlite/service_examples/0001_service_examples.sql"),
    postgres: include_str!("../../migrations/postgres/service_examples/0001_service_examples.sql"),
}];

/// The examples added to services, in the database.
#[derive(Debug, Clone)]
pub struct ServiceExampleStore {
    database: Database,
}

type Transaction<'a> = sqlx::Transaction<'a, sqlx::Any>;

impl ServiceExampleStore {
    /// Opens the examples in the conversations' database (whose audit log records every
    /// change), creating their tables on first use.
    pub async fn open(conversations: &ConversationStore) -> Result<ServiceExampleStore, ExampleError> {
        let database = audited::open(conversations, "service_examples", MIGRATIONS).await?;
        Ok(ServiceExampleStore { database })
    }

    /// Adds an example to a service as `actor`; returns whether it was new (an example the
    /// service already has is left as it is).
    pub async fn add(&self, service: &str, example: &str, actor: &str) -> Result<bool, ExampleError> {
        self.change(ExampleChange::Added, service, example, actor).await
    }

    /// Removes an example from a service as `actor`; returns whether it was there.
    pub async fn remove(&self, service: &str, example: &str, actor: &str) -> Result<bool, ExampleError> {
        self.change(ExampleChange::Removed, service, example, actor).await
    }

    /// Adds or removes an example as `actor` in a transaction of its own; returns whether that
    /// changed anything.
    async fn change(
        &self,
        change: ExampleChange,
        service: &str,
        example: &str,
        actor: &str,
    ) -> Result<bool, ExampleError> {
        let mut transaction = self.database.begin_write().await?;
        let changed = change_in(&mut transaction, change, service, example, actor, now_millis()).await?;
        transaction.commit().await?;
        Ok(changed)
    }

    /// Gives each service listed exactly the examples listed for it, as `actor`, all or none;
    /// services not listed keep theirs.
    pub async fn replace(&self, sets: &[ServiceExamples], actor: &str) -> Result<Vec<Imported>, ExampleError> {
        let now = now_millis();
        let mut transaction = self.database.begin_write().await?;
        let mut imported = Vec::with_capacity(sets.len());
        for set in sets {
            let rows = sqlx::query("SELECT example FROM service_examples WHERE service = $1")
                .bind(&set.service)
                .fetch_all(&mut *transaction)
                .await?;
            let before: BTreeSet<String> =
                rows.iter().map(|row| row.try_get("example")).collect::<Result<_, sqlx::Error>>()?;
            let wanted: BTreeSet<&String> = set.examples.iter().collect();
            let mut change = Imported { service: set.service.clone(), added: Vec::new(), removed: Vec::new() };
            for example in before.iter().filter(|example| !wanted.contains(example)) {
                change_in(&mut transaction, ExampleChange::Removed, &set.service, example, actor, now).await?;
                change.removed.push(example.clone());
            }
            for example in &set.examples {
                if change_in(&mut transaction, ExampleChange::Added, &set.service, example, actor, now).await? {
                    change.added.push(example.clone());
                }
            }
            imported.push(change);
        }
        transaction.commit().await?;
        Ok(imported)
    }

    /// Every example added now, by service and then example.
    pub async fn current(&self) -> Result<Vec<AddedExample>, ExampleError> {
        let rows =
            sqlx::query("SELECT service, example, added_by, added_at FROM service_examples ORDER BY service, example")
                .fetch_all(self.database.pool())
                .await?;
        let mut examples = Vec::with_capacity(rows.len());
        for row in &rows {
            examples.push(AddedExample {
                service: row.try_get("service")?,
                example: row.try_get("example")?,
                added_by: row.try_get("added_by")?,
                added_at: row.try_get("added_at")?,
            });
        }
        Ok(examples)
    }

    /// Every addition and removal, newest first, at most `limit`; of one service if named.
    pub async fn history(&self, service: Option<&str>, limit: i64) -> Result<Vec<ExampleEvent>, ExampleError> {
        let columns = "service, example, change, changed_by, changed_at";
        let rows = match service {
            Some(service) => {
                sqlx::query(&format!(
                    "SELECT {columns} FROM service_example_changes WHERE service = $1 ORDER BY seq DESC LIMIT $2"
                ))
                .bind(service)
                .bind(limit)
                .fetch_all(self.database.pool())
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {columns} FROM service_example_changes ORDER BY seq DESC LIMIT $1"))
                    .bind(limit)
                    .fetch_all(self.database.pool())
                    .await?
            }
        };
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let service: String = row.try_get("service")?;
            let change: ExampleChange = storage::names::column(row, "change")?;
            events.push(ExampleEvent {
                service,
                example: row.try_get("example")?,
                change,
                changed_by: row.try_get("changed_by")?,
                changed_at: row.try_get("changed_at")?,
            });
        }
        Ok(events)
    }

    /// Every service that has, or has had, examples added, with those it has now: what an
    /// export writes, so a service whose examples were all removed gets an empty file.
    pub async fn by_service(&self) -> Result<Vec<ServiceExamples>, ExampleError> {
        let rows = sqlx::query("SELECT DISTINCT service FROM service_example_changes ORDER BY service")
            .fetch_all(self.database.pool())
            .await?;
        let mut sets: Vec<ServiceExamples> = Vec::with_capacity(rows.len());
        for row in &rows {
            sets.push(ServiceExamples { service: row.try_get("service")?, examples: Vec::new() });
        }
        for added in self.current().await? {
            match sets.iter_mut().find(|set| set.service == added.service) {
                Some(set) => set.examples.push(added.example),
                None => sets.push(ServiceExamples { service: added.service, examples: vec![added.example] }),
            }
        }
        sets.sort_by(|a, b| a.service.cmp(&b.service));
        Ok(sets)
    }

    /// Whether a service's examples are those it had at some point before its latest change, and
    /// not those it has now: an old copy of them.
    pub async fn is_older_set(&self, set: &ServiceExamples) -> Result<bool, ExampleError> {
        let wanted: BTreeSet<&str> = set.examples.iter().map(String::as_str).collect();
        let mut history = self.history(Some(&set.service), i64::MAX).await?;
        history.reverse();
        let mut state: BTreeSet<&str> = BTreeSet::new();
        let mut earlier = vec![state.clone()];
        for event in &history {
            match event.change {
                ExampleChange::Added => state.insert(&event.example),
                ExampleChange::Removed => state.remove(event.example.as_str()),
            };
            earlier.push(state.clone());
        }
        earlier.pop();
        Ok(state != wanted && earlier.contains(&wanted))
    }

    /// A number that grows with every change to any service's examples, to notice changes
    /// cheaply.
    pub async fn revision(&self) -> Result<i64, ExampleError> {
        Ok(audited::revision(&self.database, "service_example_changes").await?)
    }
}

/// Adds or removes an example within a transaction; returns whether that changed anything (an
/// example added that was there, or removed that was not, is left as it is and not recorded).
async fn change_in(
    transaction: &mut Transaction<'_>,
    change: ExampleChange,
    service: &str,
    example: &str,
    actor: &str,
    now: i64,
) -> Result<bool, ExampleError> {
    let statement = match change {
        ExampleChange::Added => sqlx::query(
            "INSERT INTO service_examples (service, example, added_by, added_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (service, example) DO NOTHING",
        )
        .bind(service)
        .bind(example)
        .bind(actor)
        .bind(now),
        ExampleChange::Removed => {
            sqlx::query("DELETE FROM service_examples WHERE service = $1 AND example = $2").bind(service).bind(example)
        }
    };
    if statement.execute(&mut **transaction).await?.rows_affected() == 0 {
        return Ok(false);
    }
    record_change(transaction, service, example, change, actor, now).await?;
    Ok(true)
}

/// Writes a change into the history and the audit log, which names the history entry rather
/// than the example (what residents wrote stays out of the audit log).
async fn record_change(
    transaction: &mut Transaction<'_>,
    service: &str,
    example: &str,
    change: ExampleChange,
    actor: &str,
    now: i64,
) -> Result<(), ExampleError> {
    let row = sqlx::query(
        "INSERT INTO service_example_changes (service, example, change, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING seq",
    )
    .bind(service)
    .bind(example)
    .bind(change.as_str())
    .bind(actor)
    .bind(now)
    .fetch_one(&mut **transaction)
    .await?;
    let seq: i64 = row.try_get("seq")?;
    record_audit(transaction, actor, change.audit_action(), service, &format!("history entry {seq}")).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn additions_and_removals_are_kept_and_audited(url: &str) {
        let conversations = ConversationStore::open(Database::connect(url).await.unwrap()).await.unwrap();
        let store = ServiceExampleStore::open(&conversations).await.unwrap();
        assert_eq!(store.revision().await.unwrap(), 0);
        assert!(store.add("report_missed_bin", "the lorry never came down our road", "sam").await.unwrap());
        assert!(!store.add("report_missed_bin", "the lorry never came down our road", "jo").await.unwrap());
        let revision = store.revision().await.unwrap();
        assert!(revision > 0);
        assert!(store.add("report_missed_bin", "our wheelie bins are still full", "jo").await.unwrap());
        assert!(store.remove("report_missed_bin", "the lorry never came down our road", "sam").await.unwrap());
        assert!(!store.remove("report_missed_bin", "the lorry never came down our road", "sam").await.unwrap());
        assert!(store.revision().await.unwrap() > revision);

        let current = store.current().await.unwrap();
        let listed: Vec<(&str, &str)> =
            current.iter().map(|added| (added.example.as_str(), added.added_by.as_str())).collect();
        assert_eq!(listed, vec![("our wheelie bins are still full", "jo")]);
        let history = store.history(Some("report_missed_bin"), 10).await.unwrap();
        let changes: Vec<(ExampleChange, &str)> =
            history.iter().map(|event| (event.change, event.changed_by.as_str())).collect();
        assert_eq!(
            changes,
            vec![(ExampleChange::Removed, "sam"), (ExampleChange::Added, "jo"), (ExampleChange::Added, "sam")]
        );
        let audit = conversations.audit_log(10, None).await.unwrap();
        let actions: Vec<(&str, &str)> =
            audit.iter().map(|entry| (entry.actor.as_str(), entry.action.as_str())).collect();
        assert_eq!(
            actions,
            vec![("sam", "remove_service_example"), ("jo", "add_service_example"), ("sam", "add_service_example")]
        );
        assert!(audit.iter().all(|entry| !entry.detail.contains("wheelie")), "what residents wrote stays out");

        // Replacing gives a service exactly the examples listed, and leaves the others alone.
        store.add("book_bulky_waste", "take away my old sofa", "sam").await.unwrap();
        let imported = store
            .replace(
                &[ServiceExamples {
                    service: "report_missed_bin".into(),
                    examples: vec!["nobody emptied the bins on our street".into()],
                }],
                "cli",
            )
            .await
            .unwrap();
        assert_eq!(imported[0].added, vec!["nobody emptied the bins on our street".to_string()]);
        assert_eq!(imported[0].removed, vec!["our wheelie bins are still full".to_string()]);
        // A file listing what the service had before is an old copy; the latest or a new list is not.
        let listing = |examples: &[&str]| ServiceExamples {
            service: "report_missed_bin".into(),
            examples: examples.iter().map(|example| example.to_string()).collect(),
        };
        assert!(store.is_older_set(&listing(&["our wheelie bins are still full"])).await.unwrap());
        assert!(!store.is_older_set(&listing(&["nobody emptied the bins on our street"])).await.unwrap());
        assert!(!store.is_older_set(&listing(&["the crew walked past our bins"])).await.unwrap());
        let sets = store.by_service().await.unwrap();
        assert_eq!(
            sets,
            vec![
                ServiceExamples { service: "book_bulky_waste".into(), examples: vec!["take away my old sofa".into()] },
                ServiceExamples {
                    service: "report_missed_bin".into(),
                    examples: vec!["nobody emptied the bins on our street".into()]
                },
            ]
        );
    }

    #[tokio::test]
    async fn additions_and_removals_are_kept_and_audited_on_sqlite() {
        let directory = tempfile::tempdir().unwrap();
        additions_and_removals_are_kept_and_audited(&format!(
            "sqlite://{}",
            directory.path().join("councilbot.db").display()
        ))
        .await;
    }

    #[tokio::test]
    async fn additions_and_removals_are_kept_and_audited_on_postgres() {
        let postgres = storage::TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
        additions_and_removals_are_kept_and_audited(&postgres.url).await;
    }
}
