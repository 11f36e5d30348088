//! Checks that a request to the messaging endpoint comes from the Bot Framework (or, for a
//! single-tenant bot, from the council's Entra ID tenant): the bearer token's signature against
//! the published keys, the key's endorsement of the channel, issuer, audience, validity with
//! five minutes of clock skew, and the service URL it was issued for.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

/// The issuer of the Bot Framework's tokens.
pub const BOT_FRAMEWORK_ISSUER: &str = "https://api.botframework.com";
/// Where the Bot Framework publishes its OpenID metadata.
pub const BOT_FRAMEWORK_METADATA_URL: &str = "https://login.botframework.com/v1/.well-known/openidconfiguration";
/// Microsoft Entra ID's sign-in address.
pub const ENTRA_LOGIN_URL: &str = "https://login.microsoftonline.com";

/// Clock skew allowed either side of a token's validity.
const SKEW_SECONDS: u64 = 300;
/// How long keys are used before they are fetched again.
const KEYS_FRESH_FOR: Duration = Duration::from_secs(24 * 3600);
/// Fetches allowed for unknown key ids at once, and how often one more is allowed.
const UNKNOWN_KEY_REFRESHES: u32 = 3;
const UNKNOWN_KEY_REFRESH_EVERY: Duration = Duration::from_secs(60);

/// Where tokens are checked against.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The bot's app id: the audience of its tokens.
    pub app_id: String,
    /// The bot's Entra ID tenant, for a single-tenant bot; empty otherwise.
    pub tenant_id: String,
    /// The Bot Framework's OpenID metadata.
    pub openid_metadata_url: String,
    /// Entra ID's sign-in address (its keys are under `{login_url}/{tenant}/discovery/v2.0/keys`).
    pub login_url: String,
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No bearer token.
    #[error("the Authorization header with a bearer token is missing")]
    Missing,
    /// The token is not acceptable.
    #[error("the token is not acceptable: {0}")]
    Refused(String),
    /// The keys could not be fetched, so nothing can be checked.
    #[error("the signing keys cannot be fetched: {0}")]
    KeysUnavailable(String),
}

/// Who a validated token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The Bot Framework itself, for a channel whose key it endorsed: it vouches for the whole
    /// activity, sender included.
    Channel,
    /// An Entra ID token of the council's tenant, issued to the bot's own app.
    Tenant {
        /// The tenant (`tid`).
        tenant: String,
        /// The signed-in user the token was issued for (`oid`), when it names one rather than an
        /// app.
        user: Option<String>,
    },
}

impl Identity {
    /// Whether the token proves that the activity comes from the user with this Entra ID object id.
    pub fn vouches_for(&self, aad_object_id: &str) -> bool {
        match self {
            Identity::Channel => !aad_object_id.is_empty(),
            Identity::Tenant { user, .. } => {
                user.as_deref().is_some_and(|user| !user.is_empty() && user == aad_object_id)
            }
        }
    }

    /// Whether the activity's tenant is the one the token proves, when it proves one.
    pub fn admits_tenant(&self, activity_tenant: &str) -> bool {
        match self {
            Identity::Channel => true,
            Identity::Tenant { tenant, .. } => tenant == activity_tenant,
        }
    }
}

struct SigningKey {
    key: DecodingKey,
    endorsements: Option<Vec<String>>,
}

#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, SigningKey>,
    fetched: Option<Instant>,
    unknown_refreshes: u32,
    unknown_refreshes_counted_from: Option<Instant>,
}

/// One published set of keys.
struct KeySource {
    /// The OpenID metadata naming the keys, or the keys' own address.
    url: String,
    via_metadata: bool,
    cache: Mutex<KeyCache>,
}

#[derive(Deserialize)]
struct Metadata {
    jwks_uri: String,
}

#[derive(Deserialize)]
struct KeySet {
    keys: Vec<Value>,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    serviceurl: Option<String>,
    #[serde(default)]
    tid: Option<String>,
    /// The app the token was issued to (v2 tokens).
    #[serde(default)]
    azp: Option<String>,
    /// The app the token was issued to (v1 tokens).
    #[serde(default)]
    appid: Option<String>,
    /// The object the token was issued for: a user, or an app's service principal.
    #[serde(default)]
    oid: Option<String>,
    /// `app` for a token an app obtained for itself, `user` for a signed-in user.
    #[serde(default)]
    idtyp: Option<String>,
    /// Delegated scopes: present only on tokens issued for a signed-in user.
    #[serde(default)]
    scp: Option<String>,
}

impl KeySource {
    fn new(url: String, via_metadata: bool) -> KeySource {
        KeySource { url, via_metadata, cache: Mutex::new(KeyCache::default()) }
    }

    /// The key with this id, fetching the keys when they are old or the id is new to them.
    async fn find<T>(
        &self,
        http: &reqwest::Client,
        kid: &str,
        use_key: impl FnOnce(&SigningKey) -> T,
    ) -> Result<T, AuthError> {
        let mut cache = self.cache.lock().await;
        let stale = cache.fetched.is_none_or(|fetched| fetched.elapsed() > KEYS_FRESH_FOR);
        let unknown = !cache.keys.contains_key(kid);
        if stale || (unknown && cache.may_refresh_for_unknown_key()) {
            match self.fetch(http).await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched = Some(Instant::now());
                }
                Err(error) if cache.keys.is_empty() => return Err(AuthError::KeysUnavailable(error)),
                Err(error) => {
                    tracing::warn!(error = %error, "could not refresh the Bot Framework's keys; using those held")
                }
            }
        }
        cache.keys.get(kid).map(use_key).ok_or_else(|| {
            AuthError::Refused(format!("no published key has the id `{}`", crate::log_text::escaped(kid)))
        })
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<HashMap<String, SigningKey>, String> {
        let get = |url: String| async move {
            let response = http.get(&url).send().await.map_err(|error| format!("{url}: {error}"))?;
            if !response.status().is_success() {
                return Err(format!("{url} answered {}", response.status()));
            }
            response.bytes().await.map_err(|error| format!("{url}: {error}"))
        };
        let keys_url = if self.via_metadata {
            let metadata: Metadata = serde_json::from_slice(&get(self.url.clone()).await?)
                .map_err(|error| format!("{}: not OpenID metadata: {error}", self.url))?;
            metadata.jwks_uri
        } else {
            self.url.clone()
        };
        let set: KeySet = serde_json::from_slice(&get(keys_url.clone()).await?)
            .map_err(|error| format!("{keys_url}: not a key set: {error}"))?;
        let mut keys = HashMap::new();
        for key in set.keys {
            let text = |name: &str| key.get(name).and_then(Value::as_str);
            let (Some(kid), Some(n), Some(e)) = (text("kid"), text("n"), text("e")) else { continue };
            let Ok(decoding) = DecodingKey::from_rsa_components(n, e) else { continue };
            let endorsements = key
                .get("endorsements")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
            keys.insert(kid.to_string(), SigningKey { key: decoding, endorsements });
        }
        Ok(keys)
    }
}

impl KeyCache {
    /// Whether an unknown key id may fetch the keys again: a few at once, then one a minute,
    /// so made-up key ids cannot make the server fetch without end.
    fn may_refresh_for_unknown_key(&mut self) -> bool {
        let now = Instant::now();
        let from = *self.unknown_refreshes_counted_from.get_or_insert(now);
        let regained = (now.duration_since(from).as_secs() / UNKNOWN_KEY_REFRESH_EVERY.as_secs()) as u32;
        if regained > 0 {
            self.unknown_refreshes = self.unknown_refreshes.saturating_sub(regained);
            self.unknown_refreshes_counted_from = Some(now);
        }
        if self.unknown_refreshes >= UNKNOWN_KEY_REFRESHES {
            return false;
        }
        self.unknown_refreshes += 1;
        true
    }
}

/// Checks the tokens on requests to the messaging endpoint.
pub struct TokenValidator {
    settings: AuthSettings,
    http: reqwest::Client,
    bot_framework: KeySource,
    entra: Option<KeySource>,
}

impl TokenValidator {
    /// A validator for the bot's app id (and tenant, when single-tenant).
    pub fn new(settings: AuthSettings, http: reqwest::Client) -> TokenValidator {
        let bot_framework = KeySource::new(settings.openid_metadata_url.clone(), true);
        let entra = (!settings.tenant_id.is_empty()).then(|| {
            let url =
                format!("{}/{}/discovery/v2.0/keys", settings.login_url.trim_end_matches('/'), settings.tenant_id);
            KeySource::new(url, false)
        });
        TokenValidator { settings, http, bot_framework, entra }
    }

    /// Checks the `Authorization` header of a request carrying an activity from `channel_id`
    /// with `service_url`.
    pub async fn validate(
        &self,
        authorization: Option<&str>,
        channel_id: &str,
        service_url: &str,
    ) -> Result<Identity, AuthError> {
        let token = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or(AuthError::Missing)?;
        let header =
            jsonwebtoken::decode_header(token).map_err(|error| AuthError::Refused(format!("not a JWT: {error}")))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512) {
            return Err(AuthError::Refused(format!("signing algorithm {:?} is not accepted", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| AuthError::Refused("the token names no key".into()))?;
        let issuer = unverified_issuer(token)?;
        let tenant_issuers = self.entra.as_ref().map(|_| {
            let tenant = &self.settings.tenant_id;
            [format!("https://sts.windows.net/{tenant}/"), format!("{ENTRA_LOGIN_URL}/{tenant}/v2.0")]
        });
        let (source, entra) = if issuer == BOT_FRAMEWORK_ISSUER {
            (&self.bot_framework, false)
        } else if let (Some(source), Some(issuers)) = (&self.entra, &tenant_issuers)
            && issuers.contains(&issuer)
        {
            (source, true)
        } else {
            return Err(AuthError::Refused(format!("issuer `{}` is not trusted", crate::log_text::escaped(&issuer))));
        };

        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];
        validation.leeway = SKEW_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.settings.app_id]);
        validation.set_issuer(&[&issuer]);
        let decoded = source
            .find(&self.http, &kid, |key| {
                let decoded = jsonwebtoken::decode::<Claims>(token, &key.key, &validation);
                (decoded, key.endorsements.clone())
            })
            .await?;
        let (decoded, endorsements) = decoded;
        let claims = decoded.map_err(|error| AuthError::Refused(error.to_string()))?.claims;
        if !entra && !endorsements.is_some_and(|list| list.iter().any(|endorsement| endorsement == channel_id)) {
            return Err(AuthError::Refused(format!(
                "key `{}` is not endorsed for channel `{}`",
                crate::log_text::escaped(&kid),
                crate::log_text::escaped(channel_id)
            )));
        }
        // Every kind of token must name the service URL it was issued for: the bot's own token
        // is only ever sent there.
        match claims.serviceurl.as_deref() {
            Some(claimed) if claimed == service_url => {}
            Some(_) => return Err(AuthError::Refused("the token was issued for another service URL".into())),
            None => return Err(AuthError::Refused("the token names no service URL".into())),
        }
        if !entra {
            return Ok(Identity::Channel);
        }
        let tenant = &self.settings.tenant_id;
        if claims.tid.as_deref() != Some(tenant.as_str()) {
            return Err(AuthError::Refused("the token's tenant is not the issuer's".into()));
        }
        // A token of the tenant issued to another app proves nothing about this bot's traffic.
        let issued_to = claims.azp.as_deref().or(claims.appid.as_deref()).unwrap_or_default();
        if issued_to != self.settings.app_id {
            return Err(AuthError::Refused("the token was issued to another app".into()));
        }
        let for_user = claims.scp.is_some() && claims.idtyp.as_deref() != Some("app");
        Ok(Identity::Tenant { tenant: tenant.clone(), user: claims.oid.filter(|_| for_user) })
    }
}

/// The issuer a token claims, read before its signature is checked, to know whose keys check it.
fn unverified_issuer(token: &str) -> Result<String, AuthError> {
    let payload = token.split('.').nth(1).ok_or_else(|| AuthError::Refused("not a JWT".into()))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| AuthError::Refused("the token's claims are not base64url".into()))?;
    let claims: Value =
        serde_json::from_slice(&bytes).map_err(|_| AuthError::Refused("the token's claims are not JSON".into()))?;
    claims
        .get("iss")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AuthError::Refused("the token names no issuer".into()))
}
