//! Slowing down password guessing, in place of locking accounts. Failed sign-ins are counted
//! for the username typed (whether or not such an account exists, so nothing tells which do)
//! and for the client's address, in the database so every instance sees the same counts. After
//! a few failures each further attempt on that username, or from that address, must wait, and
//! every failure doubles the wait up to a cap. An attempt made during a wait is refused without
//! being checked or counted. A successful sign-in clears its username's count; counts are
//! forgotten an hour after their last failure.
//!
//! Why an outsider cannot keep the owner of an account out: an account's wait never exceeds
//! [`ACCOUNT`]'s longest (five minutes), and once it has passed the right password works from
//! any address whose own wait has passed, such as the owner's. An outsider can only start a new
//! account wait by failing again, and the address of the attempt that started an account's wait
//! must itself wait at least twice as long: so when the account's wait ends, the owner has the
//! account to themselves for at least as long again, and an outsider at one address holds the
//! account for at most five minutes at a time, never longer than the owner who tries again when
//! the page says. An outsider with many addresses can keep an account slowed, never locked.

use std::net::IpAddr;

use sha2::{Digest, Sha256};
use storage::sqlx::{self, Row};
use storage::{Database, StorageError};

/// How long a count is kept after its last failure, in milliseconds.
pub const FORGET_AFTER_MILLIS: i64 = 60 * 60 * 1000;

/// When attempts must wait, and how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Failures in a row allowed before attempts must wait.
    pub free_failures: i64,
    /// The wait after the first failure beyond those, in milliseconds; each further failure
    /// doubles it.
    pub first_wait_millis: i64,
    /// The longest wait, in milliseconds.
    pub longest_wait_millis: i64,
}

impl Rule {
    /// How long attempts wait after the `failures`-th failure in a row.
    pub fn wait_after(&self, failures: i64) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = (failures - self.free_failures).clamp(0, 40) as u32;
        self.first_wait_millis.saturating_mul(1_i64 << doublings).min(self.longest_wait_millis)
    }
}

/// The rule for a username: three failures free, then one second, doubling to five minutes.
pub const ACCOUNT: Rule = Rule { free_failures: 3, first_wait_millis: 1000, longest_wait_millis: 5 * 60 * 1000 };

/// The rule for a client address: ten failures free (colleagues share an office's address),
/// then one second, doubling to fifteen minutes.
pub const ADDRESS: Rule = Rule { free_failures: 10, first_wait_millis: 1000, longest_wait_millis: 15 * 60 * 1000 };

/// Whose failures are counted.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A username as typed.
    Account(&'a str),
    /// A client address (IPv6 by its /64 network, which one client usually holds whole).
    Address(IpAddr),
}

impl Subject<'_> {
    /// The row's key: a hash, so neither what was typed nor the address is kept.
    fn key(&self) -> String {
        let text = match self {
            Subject::Account(username) => format!("account:{username}"),
            Subject::Address(IpAddr::V4(address)) => format!("address:{address}"),
            Subject::Address(IpAddr::V6(address)) => match address.to_ipv4_mapped() {
                Some(v4) => format!("address:{v4}"),
                None => {
                    let segments = address.segments();
                    format!("address:{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
                }
            },
        };
        Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The rule that applies.
    fn rule(&self) -> Rule {
        match self {
            Subject::Account(_) => ACCOUNT,
            Subject::Address(_) => ADDRESS,
        }
    }
}

/// The failure counts in the database.
#[derive(Debug, Clone)]
pub struct Throttle {
    database: Database,
}

impl Throttle {
    /// The counts in a database whose console tables exist.
    pub fn new(database: Database) -> Throttle {
        Throttle { database }
    }

    /// Until when (milliseconds since 1970) attempts of a subject must wait, if they must now.
    pub async fn waiting_until(&self, subject: Subject<'_>, now: i64) -> Result<Option<i64>, StorageError> {
        let row = sqlx::query("SELECT wait_until FROM console_sign_in_failures WHERE subject = $1")
            .bind(subject.key())
            .fetch_optional(self.database.pool())
            .await?;
        let until: Option<i64> = row.map(|row| row.try_get("wait_until")).transpose()?;
        Ok(until.filter(|until| *until > now))
    }

    /// Counts a failure, in one statement so that failures at the same moment are each
    /// counted; returns the count, and starts the wait it calls for.
    pub async fn failed(&self, subject: Subject<'_>, now: i64) -> Result<i64, StorageError> {
        let key = subject.key();
        let pool = self.database.writer();
        sqlx::query("DELETE FROM console_sign_in_failures WHERE last_failed_at < $1")
            .bind(now - FORGET_AFTER_MILLIS)
            .execute(pool)
            .await?;
        let row = sqlx::query(
            "INSERT INTO console_sign_in_failures (subject, failures, last_failed_at, wait_until) \
             VALUES ($1, 1, $2, 0) ON CONFLICT (subject) DO UPDATE SET \
             failures = console_sign_in_failures.failures + 1, last_failed_at = $2 RETURNING failures",
        )
        .bind(&key)
        .bind(now)
        .fetch_one(pool)
        .await?;
        let failures: i64 = row.try_get("failures")?;
        let wait = subject.rule().wait_after(failures);
        if wait > 0 {
            // Only ever lengthened: a failure counted earlier but recorded later cannot
            // shorten a longer wait.
            self.wait_at_least(subject, now + wait).await?;
        }
        Ok(failures)
    }

    /// Makes a subject wait at least until `until` (milliseconds since 1970).
    pub async fn wait_at_least(&self, subject: Subject<'_>, until: i64) -> Result<(), StorageError> {
        sqlx::query("UPDATE console_sign_in_failures SET wait_until = $2 WHERE subject = $1 AND wait_until < $2")
            .bind(subject.key())
            .bind(until)
            .execute(self.database.writer())
            .await?;
        Ok(())
    }

    /// Forgets a subject's failures.
    pub async fn forget(&self, subject: Subject<'_>) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM console_sign_in_failures WHERE subject = $1")
            .bind(subject.key())
            .execute(self.database.writer())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_the_free_failures_and_double_to_a_cap() {
        let waits: Vec<i64> = (1..=6).map(|failures| ACCOUNT.wait_after(failures)).collect();
        assert_eq!(waits, [0, 0, 1000, 2000, 4000, 8000]);
        assert_eq!(ACCOUNT.wait_after(1_000_000), ACCOUNT.longest_wait_millis);
        assert_eq!(ADDRESS.wait_after(9), 0);
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_network() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Subject::Address(one).key(), Subject::Address(other).key());
        assert_ne!(Subject::Address(one).key(), Subject::Address(elsewhere).key());
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(Subject::Address(mapped).key(), Subject::Address("192.0.2.1".parse().unwrap()).key());
        assert_ne!(Subject::Account("192.0.2.1").key(), Subject::Address("192.0.2.1".parse().unwrap()).key());
    }
}
