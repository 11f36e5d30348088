//! Which councils each member of a shared service's staff works for, with their role in each.

use storage::sqlx::{self, Row};
use storage::{Database, Migration, StorageError};

use crate::console::accounts::Role;

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "the councils of each member of the shared service's staff, with a role in each",
    sqlite: include_str!("../../migrations/any/0001_shared_staff.sql"),
    postgres: include_str!("../../migrations/any/0001_shared_staff.sql"),
}];

/// A council someone works for, and their role in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    /// The council's id.
    pub council: String,
    /// Their role in it.
    pub role: Role,
}

/// The shared service staff's councils, in the shared service's database.
#[derive(Debug, Clone)]
pub struct Memberships {
    database: Database,
}

impl Memberships {
    /// Opens the memberships in a database, creating their table on first use.
    pub async fn open(database: Database) -> Result<Memberships, StorageError> {
        database.migrate("shared_service", MIGRATIONS).await?;
        Ok(Memberships { database })
    }

    /// Sets the councils someone works for, replacing the ones they had, in one transaction.
    pub async fn set(&self, username: &str, councils: &[Membership]) -> Result<(), StorageError> {
        let mut transaction = self.database.begin_write().await?;
        sqlx::query("DELETE FROM shared_staff_councils WHERE username = $1")
            .bind(username)
            .execute(&mut *transaction)
            .await?;
        for membership in councils {
            sqlx::query("INSERT INTO shared_staff_councils (username, council, role) VALUES ($1, $2, $3)")
                .bind(username)
                .bind(&membership.council)
                .bind(membership.role.as_str())
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// The councils someone works for, by id; roles no longer known are left out.
    pub async fn of(&self, username: &str) -> Result<Vec<Membership>, StorageError> {
        let rows = sqlx::query("SELECT council, role FROM shared_staff_councils WHERE username = $1 ORDER BY council")
            .bind(username)
            .fetch_all(self.database.pool())
            .await?;
        let mut councils = Vec::with_capacity(rows.len());
        for row in rows {
            let role: String = row.try_get("role")?;
            if let Some(role) = Role::parse(&role) {
                councils.push(Membership { council: row.try_get("council")?, role });
            }
        }
        Ok(councils)
    }
}
