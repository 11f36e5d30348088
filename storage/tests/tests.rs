//! Tests of the storage layer against SQLite and the PostgreSQL server.

use sqlx::Row;
use storage::{Backend, Database, Migration, Statement, StorageError, TestPostgres, redact_url};

const NOTES: &[Migration] = &[
    Migration {
        version: 1,
        description: "notes",
        sqlite: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
        postgres: "CREATE TABLE notes (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)",
    },
    Migration {
        version: 2,
        description: "note authors",
        sqlite: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'bot'",
        postgres: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'bot'",
    },
];

async fn exercise(database: &Database) {
    database.migrate("notes", NOTES).await.unwrap();
    // A second start applies nothing again.
    database.migrate("notes", NOTES).await.unwrap();
    sqlx::query("INSERT INTO notes (body) VALUES ($1)").bind("Bins on Tuesday").execute(database.pool()).await.unwrap();
    let row = sqlx::query("SELECT body, author FROM notes").fetch_one(database.pool()).await.unwrap();
    assert_eq!(row.get::<String, _>("body"), "Bins on Tuesday");
    assert_eq!(row.get::<String, _>("author"), "bot");
    let applied = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations WHERE owner = 'notes'")
        .fetch_one(database.pool())
        .await
        .unwrap()
        .get::<i64, _>("n");
    assert_eq!(applied, 2);
}

#[tokio::test]
async fn sqlite_file_is_created_on_first_use_and_migrated_once() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("data").join("councilbot.db");
    let database = Database::open_file(&path).await.unwrap();
    assert_eq!(database.backend(), Backend::Sqlite);
    exercise(&database).await;
    database.close().await;
    assert!(path.exists());
    let reopened = Database::open_file(&path).await.unwrap();
    let count =
        sqlx::query("SELECT COUNT(*) AS n FROM notes").fetch_one(reopened.pool()).await.unwrap().get::<i64, _>("n");
    assert_eq!(count, 1, "the data outlives the process that wrote it");
}

#[tokio::test]
async fn postgres_runs_the_same_code_path() {
    let server = TestPostgres::create().await.unwrap();
    let database = Database::connect(&server.url).await.unwrap();
    assert_eq!(database.backend(), Backend::Postgres);
    exercise(&database).await;
    database.close().await;
}

#[tokio::test]
async fn a_failed_migration_applies_nothing() {
    let database = Database::connect("sqlite::memory:").await.unwrap();
    let broken = [Migration {
        version: 1,
        description: "half broken",
        sqlite: "CREATE TABLE first (id INTEGER); CREATE TABLE (",
        postgres: "",
    }];
    let error = database.migrate("broken", &broken).await.unwrap_err();
    assert!(matches!(error, StorageError::Migration { version: 1, .. }), "{error}");
    let tables = sqlx::query("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'first'")
        .fetch_one(database.pool())
        .await
        .unwrap()
        .get::<i64, _>("n");
    assert_eq!(tables, 0);
}

#[tokio::test]
async fn unsupported_urls_are_refused_without_showing_passwords() {
    let error = Database::connect("mysql://admin:hunter2@db/council").await.unwrap_err();
    let shown = error.to_string();
    assert!(shown.contains("unsupported database URL") && !shown.contains("hunter2"), "{shown}");
    assert_eq!(redact_url("postgres://bot:s3cret@db:5432/cb"), "postgres://bot:***@db:5432/cb");
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_and_its_journal_files_are_readable_only_by_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let directory = tempfile::tempdir().unwrap();
    let data = directory.path().join("data");
    let path = data.join("councilbot.db");
    let database = Database::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    exercise(&database).await;
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in [path.clone(), data.join("councilbot.db-wal"), data.join("councilbot.db-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    database.close().await;
}

/// Writes two rows together, then a pair whose second row breaks a rule, then another pair.
async fn written_together_all_or_nothing(database: &Database) {
    sqlx::query("CREATE TABLE together_test (id BIGINT PRIMARY KEY, name TEXT NOT NULL)")
        .execute(database.pool())
        .await
        .unwrap();
    let insert = |id: i64, name: Option<&str>| {
        Statement::new("INSERT INTO together_test (id, name) VALUES ($1, $2) RETURNING id").bind(id).bind(name)
    };
    let count = || async {
        sqlx::query("SELECT COUNT(*) AS n FROM together_test")
            .fetch_one(database.pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    let rows = database.write_together(&[insert(1, Some("a")), insert(2, Some("b"))]).await.unwrap();
    let ids: Vec<i64> = rows.iter().map(|row| row.get::<i64, _>(0)).collect();
    assert_eq!(ids, [1, 2], "the rows each statement gave back, in order");
    let refused = database.write_together(&[insert(3, Some("c")), insert(4, None)]).await;
    assert!(refused.is_err(), "a row without a name is refused");
    assert_eq!(count().await, 2, "the row written before the refused one is undone with it");
    // No transaction is left open on the connection the refused pair used.
    database.write_together(&[insert(5, Some("e")), insert(6, Some("f"))]).await.unwrap();
    assert_eq!(count().await, 4);
}

#[tokio::test]
async fn statements_written_together_on_sqlite_take_effect_all_or_not_at_all() {
    let directory = tempfile::tempdir().unwrap();
    let database = Database::open_file(&directory.path().join("together.db")).await.unwrap();
    written_together_all_or_nothing(&database).await;
}

#[tokio::test]
async fn statements_written_together_on_postgres_take_effect_all_or_not_at_all() {
    let server = TestPostgres::create().await.unwrap();
    let database = Database::connect(&server.url).await.unwrap();
    written_together_all_or_nothing(&database).await;
    database.close().await;
}

/// Two processes on one SQLite file (the server, and a command run beside it such as an import):
/// one reads and then writes in a transaction while the other writes in between.
#[tokio::test]
async fn a_transaction_that_reads_before_it_writes_is_not_refused_when_another_process_writes_meanwhile() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("shared.db");
    let server = Database::open_file(&path).await.unwrap();
    server.migrate("notes", NOTES).await.unwrap();
    let command = Database::open_file(&path).await.unwrap();
    let count = |database: &Database| {
        let pool = database.pool().clone();
        async move { sqlx::query("SELECT COUNT(*) AS n FROM notes").fetch_one(&pool).await.unwrap().get::<i64, _>("n") }
    };

    let mut import = command.begin_write().await.unwrap();
    let before =
        sqlx::query("SELECT COUNT(*) AS n FROM notes").fetch_one(&mut *import).await.unwrap().get::<i64, _>("n");
    let pool = server.pool().clone();
    let mut chat = tokio::spawn(async move {
        sqlx::query("INSERT INTO notes (body) VALUES ('from the chat')").execute(&pool).await.map(|_| ())
    });
    // The server's write goes ahead now if nothing holds it back, or waits for the import.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(500), &mut chat).await;
    sqlx::query("INSERT INTO notes (body) VALUES ($1)")
        .bind(format!("imported after {before}"))
        .execute(&mut *import)
        .await
        .expect("the import's write is not refused");
    import.commit().await.expect("the import commits");
    chat.await.unwrap().expect("the server's write is not refused either");
    assert_eq!(count(&server).await, 2, "both writes are kept");
    command.close().await;
    server.close().await;
}

#[tokio::test]
async fn a_writer_that_has_waited_longest_is_not_passed_over_by_writers_that_came_later() {
    // SQLite's lock is not a queue: a writer that has waited long asks for it only every tenth of
    // a second, so while others keep writing it can be passed over until its busy timeout ends
    // and its request fails with "database is locked".
    let directory = tempfile::tempdir().unwrap();
    let database = Database::open_file(&directory.path().join("queue.db")).await.unwrap();
    database.migrate("notes", NOTES).await.unwrap();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let write = |name: &'static str| {
        let (database, order) = (database.clone(), order.clone());
        tokio::spawn(async move {
            let mut transaction = database.begin_write().await.unwrap();
            order.lock().unwrap().push(name);
            sqlx::query("INSERT INTO notes (body) VALUES ($1)").bind(name).execute(&mut *transaction).await.unwrap();
            // A busy writer holds the lock a little while.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            transaction.commit().await.unwrap();
        })
    };

    let holding = database.begin_write().await.unwrap();
    let first = write("first");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let later: Vec<_> = (0..3).map(|_| write("later")).collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    holding.commit().await.unwrap();
    first.await.unwrap();
    for writer in later {
        writer.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    assert_eq!(order, ["first", "later", "later", "later"], "writers are served in the order they came");
    database.close().await;
}
