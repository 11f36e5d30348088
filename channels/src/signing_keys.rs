//! The signing keys identity providers publish (JSON Web Key Sets), fetched by address and kept:
//! fetched again when they grow old, or when a token names a key they lack, but for that at most
//! once per address in [`UNKNOWN_KEY_REFRESH_INTERVAL`], so tokens naming made-up keys cannot make
//! the server fetch without end. Used by the Teams bearer-token check and the console's OpenID
//! Connect sign-in.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

/// The shortest time between two fetches of one key set for a key it lacked.
pub const UNKNOWN_KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// The keys could not be fetched and none are held.
#[derive(Debug, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct KeysUnavailable {
    /// Where the keys are published.
    pub url: String,
    /// What went wrong.
    pub reason: String,
}

/// One published key set, as fetched.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<Value>,
}

impl KeySet {
    /// The key with this id.
    pub fn key(&self, kid: &str) -> Option<&Value> {
        self.keys.iter().find(|key| key.get("kid").and_then(Value::as_str) == Some(kid))
    }

    /// Every key, each a JSON Web Key as published.
    pub fn keys(&self) -> &[Value] {
        &self.keys
    }
}

#[derive(Deserialize)]
struct Published {
    keys: Vec<Value>,
}

/// What is held of one address's keys.
#[derive(Default)]
struct Held {
    keys: Option<Arc<KeySet>>,
    fetched: Option<Instant>,
    refreshed_for_unknown_key: Option<Instant>,
}

/// How long fetching a key set may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// The key sets of any number of addresses, each fetched when needed and kept: one for the
/// whole server, shared by everything that checks tokens (a clone shares what is held).
#[derive(Clone)]
pub struct SigningKeyCache {
    http: reqwest::Client,
    held: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<Held>>>>>,
}

impl Default for SigningKeyCache {
    fn default() -> SigningKeyCache {
        let http =
            http_client::client_builder().timeout(FETCH_TIMEOUT).build().expect("an HTTP client with TLS in place");
        SigningKeyCache::new(http)
    }
}

impl SigningKeyCache {
    /// A cache fetching with `http`.
    pub fn new(http: reqwest::Client) -> SigningKeyCache {
        SigningKeyCache { http, held: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// The keys published at `url`, fetched when none are held or they are older than
    /// `keep_for`, or when they lack `kid` and no fetch for a missing key happened in the last
    /// [`UNKNOWN_KEY_REFRESH_INTERVAL`]. When a fetch fails the keys held are used.
    pub async fn keys(&self, url: &str, kid: Option<&str>, keep_for: Duration) -> Result<Arc<KeySet>, KeysUnavailable> {
        let entry = {
            let mut held = self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            held.entry(url.to_string()).or_default().clone()
        };
        // One fetch per address at a time: those waiting find the keys it brought.
        let mut held = entry.lock().await;
        let stale = held.fetched.is_none_or(|fetched| fetched.elapsed() > keep_for);
        let lacks_key = held.keys.as_ref().is_some_and(|keys| kid.is_some_and(|kid| keys.key(kid).is_none()));
        let may_refresh =
            held.refreshed_for_unknown_key.is_none_or(|refreshed| refreshed.elapsed() >= UNKNOWN_KEY_REFRESH_INTERVAL);
        if !stale && lacks_key && may_refresh {
            held.refreshed_for_unknown_key = Some(Instant::now());
        }
        if stale || (lacks_key && may_refresh) {
            match self.fetch(url).await {
                Ok(keys) => {
                    held.keys = Some(Arc::new(keys));
                    held.fetched = Some(Instant::now());
                }
                Err(reason) if held.keys.is_none() => return Err(KeysUnavailable { url: url.to_string(), reason }),
                Err(reason) => tracing::warn!(url, error = %reason, "could not refresh signing keys; using those held"),
            }
        }
        held.keys.clone().ok_or_else(|| KeysUnavailable { url: url.to_string(), reason: "no keys are held".into() })
    }

    async fn fetch(&self, url: &str) -> Result<KeySet, String> {
        let response = self.http.get(url).send().await.map_err(|error| error.to_string())?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        let body = response.bytes().await.map_err(|error| error.to_string())?;
        let published: Published = serde_json::from_slice(&body).map_err(|error| format!("not a key set: {error}"))?;
        Ok(KeySet { keys: published.keys.into_iter().filter(Value::is_object).collect() })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn http() -> reqwest::Client {
        http_client::client_builder().build().expect("an HTTP client with TLS in place")
    }

    /// A local key set address that counts its fetches.
    async fn publish(keys: Value) -> (String, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let counted = fetches.clone();
        let router = axum::Router::new().route(
            "/keys",
            axum::routing::get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                let keys = keys.clone();
                async move { axum::Json(serde_json::json!({ "keys": keys })) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a local port");
        let url = format!("http://{}/keys", listener.local_addr().expect("its address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        (url, fetches)
    }

    #[tokio::test]
    async fn keys_are_fetched_once_and_again_at_most_once_for_keys_they_lack() {
        let (url, fetches) = publish(serde_json::json!([{"kid": "known", "kty": "RSA"}])).await;
        let cache = SigningKeyCache::new(http());
        let hour = Duration::from_secs(3600);
        for _ in 0..3 {
            let keys = cache.keys(&url, Some("known"), hour).await.expect("the keys");
            assert!(keys.key("known").is_some());
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        for attempt in 0..10 {
            let keys = cache.keys(&url, Some(&format!("made-up-{attempt}")), hour).await.expect("the keys held");
            assert!(keys.key("known").is_some());
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn without_keys_held_a_failed_fetch_is_an_error() {
        let cache = SigningKeyCache::new(http());
        let error = cache
            .keys("http://127.0.0.1:9/keys", Some("any"), Duration::from_secs(3600))
            .await
            .expect_err("nothing to fetch from");
        assert_eq!(error.url, "http://127.0.0.1:9/keys");
    }
}
