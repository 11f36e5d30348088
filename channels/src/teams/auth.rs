//! Checks that a request to the messaging endpoint comes from the Bot Framework (or, for a
//! single-tenant bot, from the council's Entra ID tenant): the bearer token's signature against
//! the published keys, the key's endorsement of the channel, issuer, audience, validity with
//! five minutes of clock skew, and the service URL it was issued for.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::signing_keys::SigningKeyCache;

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

/// Where tokens are checked against.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The bot's app id: the audience of its tokens.
    pub app_id: String,
    /// The bot's Entra ID tenant, for a single-tenant bot.
    pub tenant_id: Option<String>,
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

#[derive(Deserialize)]
struct Metadata {
    jwks_uri: String,
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

/// Checks the tokens on requests to the messaging endpoint.
pub struct TokenValidator {
    settings: AuthSettings,
    http: reqwest::Client,
    keys: SigningKeyCache,
    /// Where the Bot Framework's keys are, once its metadata has been read.
    bot_framework_keys_url: OnceCell<String>,
    /// Where the tenant's keys are, for a single-tenant bot.
    entra_keys_url: Option<String>,
}

impl TokenValidator {
    /// A validator for the bot's app id (and tenant, when single-tenant), checking signatures
    /// against the server's signing keys.
    pub fn new(settings: AuthSettings, http: reqwest::Client, keys: SigningKeyCache) -> TokenValidator {
        let entra_keys_url = settings
            .tenant_id
            .as_ref()
            .map(|tenant| format!("{}/{tenant}/discovery/v2.0/keys", settings.login_url.trim_end_matches('/')));
        TokenValidator { settings, http, keys, bot_framework_keys_url: OnceCell::new(), entra_keys_url }
    }

    /// Where the Bot Framework publishes its keys, read from its OpenID metadata.
    async fn bot_framework_keys_url(&self) -> Result<&str, AuthError> {
        let url = &self.settings.openid_metadata_url;
        let read = self
            .bot_framework_keys_url
            .get_or_try_init(|| async {
                let response = self.http.get(url).send().await.map_err(|error| format!("{url}: {error}"))?;
                if !response.status().is_success() {
                    return Err(format!("{url} answered {}", response.status()));
                }
                let body = response.bytes().await.map_err(|error| format!("{url}: {error}"))?;
                let metadata: Metadata =
                    serde_json::from_slice(&body).map_err(|error| format!("{url}: not OpenID metadata: {error}"))?;
                Ok(metadata.jwks_uri)
            })
            .await;
        read.map(String::as_str).map_err(AuthError::KeysUnavailable)
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
        let tenant_issuers =
            self.settings.tenant_id.as_ref().map(|tenant| {
                [format!("https://sts.windows.net/{tenant}/"), format!("{ENTRA_LOGIN_URL}/{tenant}/v2.0")]
            });
        let (keys_url, entra) = if issuer == BOT_FRAMEWORK_ISSUER {
            (self.bot_framework_keys_url().await?, false)
        } else if let (Some(url), Some(issuers)) = (&self.entra_keys_url, &tenant_issuers)
            && issuers.contains(&issuer)
        {
            (url.as_str(), true)
        } else {
            return Err(AuthError::Refused(format!("issuer `{}` is not trusted", crate::log_text::escaped(&issuer))));
        };

        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![Algorithm::RS256, Algorithm::RS384, Algorithm::RS512];
        validation.leeway = SKEW_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.settings.app_id]);
        validation.set_issuer(&[&issuer]);
        let keys = self
            .keys
            .keys(keys_url, Some(&kid), KEYS_FRESH_FOR)
            .await
            .map_err(|error| AuthError::KeysUnavailable(error.to_string()))?;
        let key = keys.key(&kid).ok_or_else(|| {
            AuthError::Refused(format!("no published key has the id `{}`", crate::log_text::escaped(&kid)))
        })?;
        let text = |name: &str| key.get(name).and_then(Value::as_str);
        let decoding = match (text("n"), text("e")) {
            (Some(n), Some(e)) => DecodingKey::from_rsa_components(n, e).ok(),
            _ => None,
        }
        .ok_or_else(|| {
            AuthError::Refused(format!("the published key `{}` is not an RSA key", crate::log_text::escaped(&kid)))
        })?;
        let endorsements = key
            .get("endorsements")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>());
        let claims = jsonwebtoken::decode::<Claims>(token, &decoding, &validation)
            .map_err(|error| AuthError::Refused(error.to_string()))?
            .claims;
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
        let Some(tenant) = claims.tid.as_ref().filter(|tid| Some(*tid) == self.settings.tenant_id.as_ref()) else {
            return Err(AuthError::Refused("the token's tenant is not the issuer's".into()));
        };
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
