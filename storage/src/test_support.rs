//! What tests of every crate share: a fresh PostgreSQL database of their own. Built only with
//! the `test-support` feature, which the crates enable for their tests alone.

use sqlx::Executor;

use crate::{Database, StorageError, now_millis};

/// A fresh, empty PostgreSQL database for a test, dropped when the value is dropped.
pub struct TestPostgres {
    admin_url: String,
    name: String,
    /// The URL of the fresh database.
    pub url: String,
}

impl TestPostgres {
    /// Creates a database on the server named by `TEST_POSTGRES_URL`
    /// (default `postgres://postgres@127.0.0.1:5432/postgres`).
    pub async fn create() -> Result<TestPostgres, StorageError> {
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let name = format!(
            "councilbot_test_{}_{}",
            std::process::id(),
            now_millis() % 1_000_000_000 + i64::from(rand_suffix())
        );
        let admin = Database::connect(&admin_url).await?;
        admin.pool.execute(format!("CREATE DATABASE {name}").as_str()).await?;
        admin.close().await;
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Ok(TestPostgres { admin_url, name, url })
    }
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(now_millis() as u64);
    (hasher.finish() % 100_000) as u32
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Dropping needs a runtime of its own: the test's may be shutting down.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin.pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}
