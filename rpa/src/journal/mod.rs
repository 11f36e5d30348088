//! The journal: every run and every step's outcome, kept in the database so runs survive a crash.
//! Each resource has its own module: the run records, runs and their leases, steps and
//! evidence, the notification outbox, what staff did, and what privacy requests need.

mod actions;
mod alerts;
mod listing;
mod outbox;
mod privacy;
mod records;
mod runs;
mod steps;
mod triggers;

use serde::Serialize;
use serde_json::{Map, Value};
use storage::{Database, Migration, StorageError};

use storage::clock::{Clock, system_clock};

pub use actions::Action;
pub use alerts::WorkflowAlert;
pub use listing::{RunFilter, WorkflowRecord};
pub use outbox::{Notice, Notification};
pub use records::{Decision, HumanTask, NewRun, RunRecord, RunStatus, StartedBy, WaitingFor};
pub use runs::Ending;
pub use steps::{EndedStep, Evidence, NewStep, StepRecord, StepStatus};
pub use triggers::{DueTime, Keyed, ScheduleClaim};

/// The journal's tables, for SQLite and PostgreSQL.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "workflow runs, steps, evidence and notifications",
        sqlite: include_str!("../../migrations/sqlite/0001_runs.sql"),
        postgres: include_str!("../../migrations/postgres/0001_runs.sql"),
    },
    Migration {
        version: 2,
        description: "schedule due times and webhook idempotency keys",
        sqlite: include_str!("../../migrations/sqlite/0002_triggers.sql"),
        postgres: include_str!("../../migrations/postgres/0002_triggers.sql"),
    },
    Migration {
        version: 3,
        description: "alerts about workflows in trouble",
        sqlite: include_str!("../../migrations/sqlite/0003_alerts.sql"),
        postgres: include_str!("../../migrations/postgres/0003_alerts.sql"),
    },
    Migration {
        version: 4,
        description: "how many times each run was taken",
        sqlite: include_str!("../../migrations/sqlite/0004_claims.sql"),
        postgres: include_str!("../../migrations/postgres/0004_claims.sql"),
    },
];

/// The journal of workflow runs.
#[derive(Clone)]
pub struct Journal {
    database: Database,
    clock: Clock,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Journal").field("database", &self.database).finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens the journal in a database, creating its tables on first use; it keeps time by the
    /// system clock.
    pub async fn open(database: Database) -> Result<Journal, StorageError> {
        database.migrate("rpa", MIGRATIONS).await?;
        Ok(Journal { database, clock: system_clock() })
    }

    /// The same journal keeping time by another clock: leases, deadlines and every time it
    /// records.
    pub fn with_clock(self, clock: Clock) -> Journal {
        Journal { clock, ..self }
    }

    /// The database behind the journal.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// The time now by the journal's clock, in milliseconds since 1970.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}

/// A JSON object stored as text; empty when there is none or it does not parse.
fn json_map(text: Option<String>) -> Map<String, Value> {
    text.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

/// A value as JSON text to store.
fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}
