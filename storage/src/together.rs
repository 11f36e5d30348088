//! Statements written together: all of them or none, in one round trip to SQLite's connection
//! thread (one transaction sent as one piece of SQL), or in one transaction on PostgreSQL.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Arguments, Executor};

use crate::{Backend, Database, StorageError};

/// A value bound to a statement's placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// Text, or NULL.
    Text(Option<String>),
    /// A whole number, or NULL.
    Integer(Option<i64>),
}

impl From<&str> for Param {
    fn from(value: &str) -> Param {
        Param::Text(Some(value.to_string()))
    }
}

impl From<String> for Param {
    fn from(value: String) -> Param {
        Param::Text(Some(value))
    }
}

impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Param {
        Param::Text(value.map(str::to_string))
    }
}

impl From<i64> for Param {
    fn from(value: i64) -> Param {
        Param::Integer(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Param {
        Param::Integer(value)
    }
}

/// One statement written with `$1`, `$2`… placeholders, and the values bound to them in order.
#[derive(Debug, Clone)]
pub struct Statement {
    sql: String,
    params: Vec<Param>,
}

impl Statement {
    /// A statement with nothing bound yet.
    pub fn new(sql: impl Into<String>) -> Statement {
        Statement { sql: sql.into(), params: Vec::new() }
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, value: impl Into<Param>) -> Statement {
        self.params.push(value.into());
        self
    }

    fn add_to(&self, arguments: &mut AnyArguments<'_>) -> Result<(), StorageError> {
        for param in &self.params {
            let added = match param {
                Param::Text(text) => arguments.add(text.clone()),
                Param::Integer(number) => arguments.add(*number),
            };
            added.map_err(|error| StorageError::Query(sqlx::Error::Encode(error)))?;
        }
        Ok(())
    }
}

/// `sql` with each `$n` placeholder moved on by `offset`, so that it can follow statements
/// whose values come first.
fn renumbered(sql: &str, offset: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, character)) = chars.next() {
        out.push(character);
        if character != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some((_, digit)) = chars.peek().filter(|(_, next)| next.is_ascii_digit()) {
            digits.push(*digit);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(number) => out.push_str(&(number + offset).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

impl Database {
    /// Runs statements in order as one transaction: either every one takes effect or none does.
    /// Returns the rows they give back (from `RETURNING`), in order.
    pub async fn write_together(&self, statements: &[Statement]) -> Result<Vec<AnyRow>, StorageError> {
        match statements {
            [] => Ok(Vec::new()),
            [only] => {
                let mut arguments = AnyArguments::default();
                only.add_to(&mut arguments)?;
                Ok(sqlx::query_with(&only.sql, arguments).fetch_all(self.writer()).await?)
            }
            _ if self.backend == Backend::Sqlite => self.write_together_in_one_piece(statements).await,
            _ => {
                let mut transaction = self.begin_write().await?;
                let mut rows = Vec::new();
                for statement in statements {
                    let mut arguments = AnyArguments::default();
                    statement.add_to(&mut arguments)?;
                    rows.extend(sqlx::query_with(&statement.sql, arguments).fetch_all(&mut *transaction).await?);
                }
                transaction.commit().await?;
                Ok(rows)
            }
        }
    }

    /// SQLite runs every statement of one piece of SQL, binding `$n` to the n-th value, so the
    /// whole transaction is sent to the connection's thread at once.
    async fn write_together_in_one_piece(&self, statements: &[Statement]) -> Result<Vec<AnyRow>, StorageError> {
        let mut sql = String::from("BEGIN IMMEDIATE;\n");
        let mut arguments = AnyArguments::default();
        let mut offset = 0;
        for statement in statements {
            sql.push_str(&renumbered(&statement.sql, offset));
            sql.push_str(";\n");
            statement.add_to(&mut arguments)?;
            offset += statement.params.len();
        }
        sql.push_str("COMMIT");
        let mut connection = self.writer().acquire().await?;
        match sqlx::query_with(&sql, arguments).fetch_all(&mut *connection).await {
            Ok(rows) => Ok(rows),
            Err(error) => {
                // A statement that failed leaves the transaction open on this connection.
                let _ = connection.execute("ROLLBACK").await;
                Err(error.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_move_on_past_the_values_before_them() {
        assert_eq!(
            renumbered("UPDATE t SET a = $1 WHERE b = $2 AND c = $10", 3),
            "UPDATE t SET a = $4 WHERE b = $5 AND c = $13"
        );
        assert_eq!(renumbered("SELECT '$' || $1", 1), "SELECT '$' || $2");
    }
}
