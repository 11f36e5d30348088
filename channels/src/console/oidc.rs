//! Signing in to the console through OpenID Connect (Microsoft Entra ID, or any provider): the
//! authorization code flow with PKCE, the sign-in bound to the browser that started it (a
//! secret in its cookie, so nobody can finish their sign-in in someone else's browser), the ID
//! token checked against the provider's published keys (issuer, audience, expiry, nonce), the
//! person known by issuer and subject (never merged with a local account), and the role taken
//! from the token's `roles` claim.

use std::time::{Duration, Instant};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::accounts::{Accounts, ExternalPerson, Principal, Role, random_token};

/// How long the provider's keys are kept before they are fetched again.
const KEYS_KEPT: Duration = Duration::from_secs(3600);

/// How to reach the provider. The client secret comes only from the environment.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer, such as `https://login.microsoftonline.com/{tenant}/v2.0`.
    pub issuer: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// Where the provider sends people back: this server's `/console/oidc/callback`.
    pub redirect_url: String,
    /// The claim listing the person's roles.
    pub roles_claim: String,
    /// The role value that makes someone a supervisor.
    pub supervisor_role: String,
    /// The role value that makes someone an editor.
    pub editor_role: String,
    /// The role value that makes someone an admin.
    pub admin_role: String,
}

/// What can go wrong signing in.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The provider could not be reached or answered badly.
    #[error("the sign-in service could not be reached: {0}")]
    Provider(String),
    /// The sign-in was not one this server started in this browser, or took too long.
    #[error("this sign-in has expired or was not started in this browser; please sign in again")]
    UnknownState,
    /// The ID token is not valid.
    #[error("the sign-in could not be verified: {0}")]
    Token(String),
    /// The accounts could not be updated.
    #[error("the sign-in could not be recorded")]
    Accounts,
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Debug, Clone, Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    id_token: String,
}

/// A provider for signing in.
pub struct OidcProvider {
    settings: OidcSettings,
    http: reqwest::Client,
    discovery: RwLock<Option<Discovery>>,
    keys: RwLock<Option<(Jwks, Instant)>>,
}

fn base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl OidcProvider {
    /// A provider from settings; nothing is fetched until someone signs in.
    pub fn new(settings: OidcSettings) -> OidcProvider {
        let http = rpa::http::client_builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("an HTTP client with TLS in place");
        OidcProvider { settings, http, discovery: RwLock::new(None), keys: RwLock::new(None) }
    }

    /// A JSON document the provider publishes.
    async fn fetch<T: serde::de::DeserializeOwned>(&self, url: &str, what: &str) -> Result<T, SignInError> {
        self.http
            .get(url)
            .send()
            .await
            .and_then(|response| response.error_for_status())
            .map_err(|error| SignInError::Provider(error.to_string()))?
            .json()
            .await
            .map_err(|error| SignInError::Provider(format!("its {what} are not readable: {error}")))
    }

    async fn discovery(&self) -> Result<Discovery, SignInError> {
        if let Some(discovery) = self.discovery.read().await.clone() {
            return Ok(discovery);
        }
        let url = format!("{}/.well-known/openid-configuration", self.settings.issuer.trim_end_matches('/'));
        let discovery: Discovery = self.fetch(&url, "metadata").await?;
        *self.discovery.write().await = Some(discovery.clone());
        Ok(discovery)
    }

    async fn keys(&self, refresh: bool) -> Result<Jwks, SignInError> {
        if !refresh
            && let Some((keys, fetched)) = self.keys.read().await.clone()
            && fetched.elapsed() < KEYS_KEPT
        {
            return Ok(keys);
        }
        let discovery = self.discovery().await?;
        let keys: Jwks = self.fetch(&discovery.jwks_uri, "keys").await?;
        *self.keys.write().await = Some((keys.clone(), Instant::now()));
        Ok(keys)
    }

    /// Where to send someone to sign in; the sign-in is remembered until they come back, for
    /// the browser holding `binding` in its cookie.
    pub async fn authorization_url(&self, accounts: &Accounts, binding: &str) -> Result<String, SignInError> {
        let discovery = self.discovery().await?;
        let (state, nonce, verifier) = (random_token(), random_token(), random_token());
        accounts.begin_sign_in(&state, &nonce, &verifier, binding).await.map_err(|_| SignInError::Accounts)?;
        let challenge = base64url(&Sha256::digest(verifier.as_bytes()));
        let mut url = reqwest::Url::parse(&discovery.authorization_endpoint)
            .map_err(|error| SignInError::Provider(format!("its authorization address is not a URL: {error}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.settings.redirect_url)
            .append_pair("scope", "openid profile email")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.to_string())
    }

    /// Completes a sign-in started in the browser holding `binding`: exchanges the code, checks
    /// the ID token, and records the account with the role its token gives.
    pub async fn complete(
        &self,
        accounts: &Accounts,
        code: &str,
        state: &str,
        binding: &str,
    ) -> Result<Principal, SignInError> {
        let (nonce, verifier) = accounts
            .finish_sign_in(state, binding)
            .await
            .map_err(|_| SignInError::Accounts)?
            .ok_or(SignInError::UnknownState)?;
        let discovery = self.discovery().await?;
        let response: TokenResponse = self
            .http
            .post(&discovery.token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.settings.redirect_url.as_str()),
                ("client_id", self.settings.client_id.as_str()),
                ("client_secret", self.settings.client_secret.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .and_then(|response| response.error_for_status())
            .map_err(|error| SignInError::Provider(error.to_string()))?
            .json()
            .await
            .map_err(|error| SignInError::Provider(format!("its token answer is not readable: {error}")))?;
        let claims = self.verify(&response.id_token, &discovery.issuer, &nonce).await?;
        let text = |name: &str| claims.get(name).and_then(|value| value.as_str()).map(str::to_string);
        let subject =
            text("sub").filter(|sub| !sub.is_empty()).ok_or_else(|| SignInError::Token("it has no subject".into()))?;
        let username = text("preferred_username")
            .or_else(|| text("email"))
            .or_else(|| text("upn"))
            .unwrap_or_else(|| subject.clone());
        let display_name = text("name").unwrap_or_else(|| username.clone());
        let roles: Vec<String> = claims
            .get(&self.settings.roles_claim)
            .and_then(|roles| roles.as_array())
            .map(|roles| roles.iter().filter_map(|role| role.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let role = if roles.contains(&self.settings.admin_role) {
            Role::Admin
        } else if roles.contains(&self.settings.editor_role) {
            Role::Editor
        } else if roles.contains(&self.settings.supervisor_role) {
            Role::Supervisor
        } else {
            Role::None
        };
        let person = ExternalPerson {
            issuer: &discovery.issuer,
            subject: &subject,
            preferred_username: &username,
            display_name: &display_name,
            role,
        };
        accounts.set_external(&person).await.map_err(|_| SignInError::Accounts)
    }

    async fn verify(
        &self,
        token: &str,
        issuer: &str,
        nonce: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, SignInError> {
        let header = decode_header(token).map_err(|error| SignInError::Token(error.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(SignInError::Token(format!("it is signed with {:?}, not RS256", header.alg)));
        }
        let kid = header.kid.unwrap_or_default();
        let mut keys = self.keys(false).await?;
        if !keys.keys.iter().any(|key| key.kid.as_deref() == Some(kid.as_str())) {
            keys = self.keys(true).await?;
        }
        let key = keys
            .keys
            .iter()
            .find(|key| key.kty == "RSA" && key.kid.as_deref() == Some(kid.as_str()))
            .ok_or_else(|| SignInError::Token("it is signed with a key the provider does not publish".into()))?;
        let decoding = DecodingKey::from_rsa_components(
            key.n.as_deref().unwrap_or_default(),
            key.e.as_deref().unwrap_or_default(),
        )
        .map_err(|error| SignInError::Token(error.to_string()))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[self.settings.client_id.as_str()]);
        validation.leeway = 300;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data = decode::<serde_json::Map<String, serde_json::Value>>(token, &decoding, &validation)
            .map_err(|error| SignInError::Token(error.to_string()))?;
        if data.claims.get("nonce").and_then(|value| value.as_str()) != Some(nonce) {
            return Err(SignInError::Token("its nonce is not this sign-in's".into()));
        }
        Ok(data.claims)
    }
}
