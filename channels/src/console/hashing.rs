//! Password hashing with argon2, kept off the async threads: each hash or check runs on the
//! blocking pool, and only a few at once (a semaphore), so a burst of sign-ins slows only
//! sign-ins and never the chat, the queue or the health check.

use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What can go wrong hashing.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// The password could not be hashed.
    #[error("the password cannot be hashed: {0}")]
    Hash(String),
    /// The work on the blocking pool did not finish.
    #[error("the password could not be checked")]
    Interrupted,
}

/// Hashes and checks passwords, at most a few at once.
#[derive(Debug, Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
}

/// The most hashes worked on at once by default: the machine's cores, between two and four.
pub fn default_in_flight() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(2).clamp(2, 4)
}

/// The right to hash or check one password now; while it is held, one of the few places is
/// taken.
pub struct HashPermit {
    _permit: OwnedSemaphorePermit,
}

impl Hasher {
    /// A hasher that works on at most `in_flight` passwords at once.
    pub fn new(in_flight: usize) -> Hasher {
        Hasher { permits: Arc::new(Semaphore::new(in_flight.max(1))) }
    }

    /// Waits for a place to hash or check a password.
    pub async fn permit(&self) -> Result<HashPermit, HashingError> {
        let permit = self.permits.clone().acquire_owned().await.map_err(|_| HashingError::Interrupted)?;
        Ok(HashPermit { _permit: permit })
    }

    /// Hashes a new password (waiting for a place first).
    pub async fn hash(&self, password: &str) -> Result<String, HashingError> {
        self.permit().await?.hash(password).await
    }
}

impl HashPermit {
    /// Hashes a new password with a fresh salt.
    pub async fn hash(&self, password: &str) -> Result<String, HashingError> {
        let password = password.to_owned();
        off_the_async_threads(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|error| HashingError::Hash(error.to_string()))
        })
        .await?
    }

    /// Whether a password matches a stored hash. Without one (no such account) the password is
    /// checked against a hash of a random password instead, which takes the same time and
    /// never matches, so the answer's timing does not tell whether the account exists.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, HashingError> {
        let password = password.to_owned();
        off_the_async_threads(move || {
            let (stored, real) = match stored {
                Some(stored) => (stored, true),
                None => (dummy_hash().to_string(), false),
            };
            let matches = PasswordHash::new(&stored)
                .is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok());
            matches && real
        })
        .await
    }
}

/// Runs blocking work on the runtime's blocking pool.
async fn off_the_async_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashingError> {
    tokio::task::spawn_blocking(work).await.map_err(|_| HashingError::Interrupted)
}

/// A hash, made once, of a random password nobody knows, with the same parameters as real ones.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = super::accounts::random_token();
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn hashing_runs_off_the_async_threads_a_few_at_a_time() {
        // On a runtime with one thread, work that waits for this task to signal it can only
        // finish when it runs elsewhere.
        let hasher = Hasher::new(2);
        let (signal, wait) = std::sync::mpsc::channel::<()>();
        let permit = hasher.permit().await.unwrap();
        let job = tokio::spawn(async move {
            off_the_async_threads(move || wait.recv_timeout(Duration::from_secs(10)).is_ok()).await
        });
        tokio::task::yield_now().await;
        signal.send(()).unwrap();
        assert!(job.await.unwrap().unwrap(), "the blocking work ran while this thread went on");

        // With both places taken, a third hash waits until one is given back.
        let second = hasher.permit().await.unwrap();
        let started = Arc::new(AtomicUsize::new(0));
        let counted = started.clone();
        let waiting = hasher.clone();
        let third = tokio::spawn(async move {
            let permit = waiting.permit().await.unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
            permit.hash("a password for the test").await
        });
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        assert_eq!(started.load(Ordering::SeqCst), 0, "no third place while two are taken");
        drop((permit, second));
        let hash = third.await.unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        let checker = hasher.permit().await.unwrap();
        assert!(checker.verify("a password for the test", Some(hash.clone())).await.unwrap());
        assert!(!checker.verify("another password", Some(hash)).await.unwrap());
        assert!(!checker.verify("a password for the test", None).await.unwrap(), "no account, no match");
    }
}
