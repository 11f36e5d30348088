//! Signing in to the console through OpenID Connect (Microsoft Entra ID, or any provider): the
//! authorization code flow with PKCE, the sign-in bound to the browser that started it (a
//! secret in its cookie, so nobody can finish their sign-in in someone else's browser), the ID
//! token checked against the provider's published keys (issuer, audience, expiry, nonce), the
//! person known by issuer and subject (never merged with a local account), and the role taken
//! from the token's `roles` claim.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IdToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardErrorResponse, TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

use super::accounts::{Accounts, ExternalPerson, Principal, Role, random_token};
use crate::settings::blank_is_unset;
use crate::signing_keys::SigningKeyCache;

/// How long the provider's keys are kept before they are fetched again.
const KEYS_KEPT: Duration = Duration::from_secs(3600);
/// Clock skew allowed after an ID token's expiry.
const SKEW: Duration = Duration::from_secs(300);

/// OpenID Connect; the client secret comes only from `COUNCILBOT_OIDC_CLIENT_SECRET`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// The issuer, such as `https://login.microsoftonline.com/TENANT-ID/v2.0`; unset for none.
    #[serde(deserialize_with = "blank_is_unset")]
    pub issuer: Option<String>,
    /// The application (client) id.
    #[serde(deserialize_with = "blank_is_unset")]
    pub client_id: Option<String>,
    /// Where the provider sends people back [default: the public URL + `/console/oidc/callback`].
    #[serde(deserialize_with = "blank_is_unset")]
    pub redirect_url: Option<String>,
    /// The claim listing app roles.
    pub roles_claim: String,
    /// The app role of supervisors.
    pub supervisor_role: String,
    /// The app role of editors: supervisors who also curate answers and examples.
    pub editor_role: String,
    /// The app role of admins.
    pub admin_role: String,
    /// The client secret (only from the environment).
    #[serde(skip)]
    pub client_secret: Option<SecretString>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            issuer: None,
            client_id: None,
            redirect_url: None,
            roles_claim: "roles".into(),
            supervisor_role: "councilbot.supervisor".into(),
            editor_role: "councilbot.editor".into(),
            admin_role: "councilbot.admin".into(),
            client_secret: None,
        }
    }
}

impl OidcConfig {
    /// The provider's settings when an issuer is named (none otherwise), or every problem, each
    /// naming its option. `public_url` is the address people reach the server at.
    pub fn validate(&self, public_url: Option<&str>) -> Result<Option<OidcSettings>, Vec<String>> {
        let Some(issuer) = &self.issuer else { return Ok(None) };
        let mut problems = Vec::new();
        if self.client_id.is_none() {
            problems.push("console.oidc.client_id: needed with an issuer".into());
        }
        if self.client_secret.is_none() {
            problems.push("console.oidc: COUNCILBOT_OIDC_CLIENT_SECRET is not set".into());
        }
        let redirect_url = match (&self.redirect_url, public_url) {
            (Some(redirect_url), _) => Some(redirect_url.clone()),
            (None, Some(public_url)) => Some(format!("{}/console/oidc/callback", public_url.trim_end_matches('/'))),
            (None, None) => {
                problems.push("console.oidc.redirect_url: needed (or web.public_url)".into());
                None
            }
        };
        let (Some(client_id), Some(client_secret), Some(redirect_url)) =
            (&self.client_id, &self.client_secret, redirect_url)
        else {
            return Err(problems);
        };
        Ok(Some(OidcSettings {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            redirect_url,
            roles_claim: self.roles_claim.clone(),
            supervisor_role: self.supervisor_role.clone(),
            editor_role: self.editor_role.clone(),
            admin_role: self.admin_role.clone(),
        }))
    }
}

/// How to reach the provider. The client secret comes only from the environment.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// The issuer, such as `https://login.microsoftonline.com/{tenant}/v2.0`.
    pub issuer: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: SecretString,
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

/// Every claim of an ID token, for those read by name from settings (the roles claim).
#[derive(Debug, Deserialize, Serialize)]
struct AllClaims {
    #[serde(flatten)]
    claims: HashMap<String, Value>,
}

impl AdditionalClaims for AllClaims {}

/// An ID token whose every claim can be read.
type CouncilIdToken = IdToken<AllClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// A provider for signing in.
pub struct OidcProvider {
    settings: OidcSettings,
    http: reqwest::Client,
    discovery: RwLock<Option<Discovery>>,
    keys: SigningKeyCache,
}

impl OidcProvider {
    /// A provider from settings, checking ID tokens against the server's signing keys; nothing
    /// is fetched until someone signs in.
    pub fn new(settings: OidcSettings, keys: SigningKeyCache) -> OidcProvider {
        let http = http_client::client_builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("an HTTP client with TLS in place");
        OidcProvider { settings, http, discovery: RwLock::new(None), keys }
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

    /// The client speaking to the provider, as its metadata describes it.
    fn client(&self, discovery: &Discovery) -> Result<Client, SignInError> {
        let address = |what: &str, error: openidconnect::url::ParseError| {
            SignInError::Provider(format!("its {what} address is not a URL: {error}"))
        };
        Ok(CoreClient::new(
            ClientId::new(self.settings.client_id.clone()),
            issuer_url(&discovery.issuer)?,
            CoreJsonWebKeySet::default(),
        )
        .set_client_secret(ClientSecret::new(self.settings.client_secret.expose_secret().to_string()))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(
            AuthUrl::new(discovery.authorization_endpoint.clone()).map_err(|error| address("authorization", error))?,
        )
        .set_token_uri(TokenUrl::new(discovery.token_endpoint.clone()).map_err(|error| address("token", error))?)
        .set_redirect_uri(
            RedirectUrl::new(self.settings.redirect_url.clone()).map_err(|error| address("return", error))?,
        ))
    }

    /// Where to send someone to sign in; the sign-in is remembered until they come back, for
    /// the browser holding `binding` in its cookie.
    pub async fn authorization_url(&self, accounts: &Accounts, binding: &str) -> Result<String, SignInError> {
        let client = self.client(&self.discovery().await?)?;
        let (state, nonce, verifier) = (random_token(), random_token(), random_token());
        accounts.begin_sign_in(&state, &nonce, &verifier, binding).await.map_err(|_| SignInError::Accounts)?;
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier));
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
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
        let client = self.client(&discovery)?;
        let http = ProviderHttp(self.http.clone());
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&http)
            .await
            .map_err(|error| SignInError::Provider(token_error(&error)))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| SignInError::Provider("its token answer has no ID token".into()))?
            .to_string();
        let claims = self.verify(&id_token, &discovery.issuer, &nonce).await?;
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

    /// The claims of an ID token, once its signature (RS256, by a key the provider publishes),
    /// issuer, audience, expiry and nonce are checked.
    async fn verify(&self, token: &str, issuer: &str, nonce: &str) -> Result<HashMap<String, Value>, SignInError> {
        let refused = |error: &dyn std::fmt::Display| SignInError::Token(error.to_string());
        let id_token: CouncilIdToken = token.parse().map_err(|error| refused(&error))?;
        let keys = self
            .keys
            .keys(&self.discovery().await?.jwks_uri, signing_key_id(token).as_deref(), KEYS_KEPT)
            .await
            .map_err(|error| SignInError::Provider(format!("its keys cannot be fetched: {error}")))?;
        let keys: CoreJsonWebKeySet = serde_json::from_value(serde_json::json!({ "keys": keys.keys() }))
            .map_err(|error| SignInError::Provider(format!("its keys are not readable: {error}")))?;
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(self.settings.client_id.clone()),
            ClientSecret::new(self.settings.client_secret.expose_secret().to_string()),
            issuer_url(issuer)?,
            keys,
        )
        .set_time_fn(|| chrono::Utc::now() - SKEW);
        let claims =
            id_token.into_claims(&verifier, &Nonce::new(nonce.to_string())).map_err(|error| refused(&error))?;
        // The standard claims are read by openidconnect; the others, such as the roles claim, are
        // kept as they came.
        let mut all = claims.additional_claims().claims.clone();
        let standard = [
            ("sub", Some(claims.subject().as_str())),
            ("preferred_username", claims.preferred_username().map(|username| username.as_str())),
            ("email", claims.email().map(|email| email.as_str())),
            ("name", claims.name().and_then(|name| name.get(None)).map(|name| name.as_str())),
        ];
        for (name, value) in standard {
            if let Some(value) = value {
                all.insert(name.to_string(), Value::String(value.to_string()));
            }
        }
        Ok(all)
    }
}

/// How the provider is reached for a token, through this server's own HTTP client.
type Client = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// This server's HTTP client, lent to `openidconnect` for the token request.
struct ProviderHttp(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = reqwest::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let response = self.0.execute(reqwest::Request::try_from(request)?).await?;
            let (status, headers) = (response.status(), response.headers().clone());
            let mut answer = HttpResponse::new(response.bytes().await?.to_vec());
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(answer)
        })
    }
}

/// What went wrong asking for a token, without the answer's body.
fn token_error(error: &RequestTokenError<reqwest::Error, StandardErrorResponse<CoreErrorResponseType>>) -> String {
    match error {
        RequestTokenError::ServerResponse(response) => format!("it refused the sign-in: {response}"),
        RequestTokenError::Request(error) => error.to_string(),
        RequestTokenError::Parse(error, _) => format!("its token answer is not readable: {error}"),
        RequestTokenError::Other(error) => format!("its token answer is not usable: {error}"),
    }
}

fn issuer_url(issuer: &str) -> Result<IssuerUrl, SignInError> {
    IssuerUrl::new(issuer.to_string())
        .map_err(|error| SignInError::Provider(format!("its issuer is not a URL: {error}")))
}

/// The id of the key a token says it is signed with, read before its signature is checked.
fn signing_key_id(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header.get("kid").and_then(Value::as_str).map(str::to_string)
}
