//! The supervisor console served by `councilbot serve`: signing in through OpenID Connect with
//! a local provider, and the browser helpers other tests of the console share. What the console
//! answers to each request is tested in-process in the channels crate.

use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::support::{STAFF_PASSWORD, Server};

/// A browser: it keeps cookies and does not follow redirects.
pub(crate) fn client() -> reqwest::Client {
    client_at(None)
}

/// A browser connecting from a loopback address of its own (such as 127.0.0.2), as a person
/// elsewhere would.
pub(crate) fn client_at(address: Option<std::net::IpAddr>) -> reqwest::Client {
    http_client::install_crypto_provider();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .local_address(address)
        .build()
        .expect("client")
}

/// The value of a hidden form field.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} field in {html}")) + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// Signs in through the sign-in form.
pub(crate) async fn sign_in(
    client: &reqwest::Client,
    server: &Server,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let page = client.get(format!("{}/console/login", server.url)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    client
        .post(format!("{}/console/login", server.url))
        .form(&[("username", username), ("password", password), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
}

/// The session's CSRF token, from the queue page.
pub(crate) async fn csrf_of(client: &reqwest::Client, server: &Server) -> String {
    let page = client.get(format!("{}/console", server.url)).send().await.unwrap().text().await.unwrap();
    hidden(&page, "csrf")
}

/// A new browser signed in as `username` (with the staff password), and its session's CSRF token.
pub(crate) async fn signed_in(server: &Server, username: &str) -> (reqwest::Client, String) {
    let browser = client();
    let signed = sign_in(&browser, server, username, STAFF_PASSWORD).await;
    assert_eq!(signed.status(), 200);
    let csrf = csrf_of(&browser, server).await;
    (browser, csrf)
}

/// Starts a conversation; returns its id.
pub(crate) async fn start_conversation(client: &reqwest::Client, server: &Server) -> String {
    let created: Value =
        client.post(format!("{}/api/v1/conversations", server.url)).send().await.unwrap().json().await.unwrap();
    created["id"].as_str().unwrap().to_string()
}

/// Starts a conversation and says one thing in it; returns the replies.
pub(crate) async fn ask(client: &reqwest::Client, server: &Server, text: &str) -> Vec<Value> {
    let id = start_conversation(client, server).await;
    say(client, server, &id, text).await
}

/// Says something in a conversation; returns the replies.
pub(crate) async fn say(client: &reqwest::Client, server: &Server, id: &str, text: &str) -> Vec<Value> {
    let body: Value = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["replies"].as_array().cloned().unwrap_or_default()
}

/// A local OpenID provider: discovery, keys, an authorization endpoint that signs in the user
/// it was set up with, and a token endpoint issuing RS256 ID tokens.
#[derive(Clone)]
struct Provider {
    url: String,
    roles: Vec<String>,
    audience: String,
    nonce: std::sync::Arc<std::sync::Mutex<String>>,
}

pub(crate) async fn start_provider(roles: &[&str], audience: &str) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let provider = Provider {
        url: url.clone(),
        roles: roles.iter().map(|role| role.to_string()).collect(),
        audience: audience.to_string(),
        nonce: Default::default(),
    };
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route(
            "/keys",
            get(|| async { ([("content-type", "application/json")], include_str!("fixtures/oidc-test-jwks.json")) }),
        )
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(provider);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (url, server)
}

async fn discovery(State(provider): State<Provider>) -> impl IntoResponse {
    axum::Json(json!({
        "issuer": provider.url,
        "authorization_endpoint": format!("{}/authorize", provider.url),
        "token_endpoint": format!("{}/token", provider.url),
        "jwks_uri": format!("{}/keys", provider.url),
    }))
}

async fn authorize(
    State(provider): State<Provider>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> impl IntoResponse {
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["code_challenge_method"], "S256");
    *provider.nonce.lock().unwrap() = query["nonce"].clone();
    Redirect::to(&format!("{}?code=the-code&state={}", query["redirect_uri"], query["state"]))
}

async fn token(
    State(provider): State<Provider>,
    axum::Form(form): axum::Form<std::collections::HashMap<String, String>>,
) -> impl IntoResponse {
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["client_secret"], "the-client-secret");
    assert!(!form["code_verifier"].is_empty());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let claims = json!({
        "iss": provider.url, "aud": provider.audience, "sub": "entra-user-1", "exp": now + 600, "iat": now,
        "nonce": *provider.nonce.lock().unwrap(), "preferred_username": "jo.bloggs@eastbrook.gov.uk",
        "name": "Jo Bloggs", "roles": provider.roles,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("test-key-1".into());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("fixtures/oidc-test-key.pem")).unwrap();
    let id_token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    axum::Json(json!({"access_token": "unused", "token_type": "Bearer", "id_token": id_token}))
}

/// Signs in through the provider in a new browser; returns it, the status and the page.
pub(crate) async fn sign_in_through(provider: &str, server: &Server) -> (reqwest::Client, reqwest::StatusCode, String) {
    let browser = client();
    let started = browser.get(format!("{}/console/oidc/login", server.url)).send().await.unwrap();
    assert_eq!(started.status(), 303);
    let to_provider = started.headers()["location"].to_str().unwrap().to_string();
    assert!(to_provider.starts_with(&format!("{provider}/authorize")), "{to_provider}");
    let back = browser.get(&to_provider).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_string();
    let signed = browser.get(&callback).send().await.unwrap();
    let status = signed.status();
    let body = signed.text().await.unwrap();
    (browser, status, body)
}

/// The configuration of OpenID Connect with a provider.
pub(crate) fn oidc_config(provider: &str, server_hint: &str) -> String {
    format!(
        "[console.oidc]\nissuer = \"{provider}\"\nclient_id = \"councilbot-console\"\nredirect_url = \"{server_hint}\"\n"
    )
}

#[tokio::test]
async fn council_accounts_sign_in_through_openid_connect_with_their_app_roles() {
    for (roles, audience, expected) in [
        (vec!["councilbot.supervisor"], "councilbot-console", 200),
        (vec!["councilbot.editor"], "councilbot-console", 200),
        (vec![], "councilbot-console", 403),
        (vec!["councilbot.admin"], "another-application", 401),
    ] {
        let (provider, _server) = start_provider(&roles, audience).await;
        // The callback address must be the server's own, which is only known once it listens:
        // a fixed free port is picked first.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let callback = format!("http://127.0.0.1:{port}/console/oidc/callback");
        let server = Server::start(
            &oidc_config(&provider, &callback),
            &[
                ("COUNCILBOT_OIDC_CLIENT_SECRET", "the-client-secret"),
                ("COUNCILBOT_LISTEN", &format!("127.0.0.1:{port}")),
            ],
        );
        let (browser, status, body) = sign_in_through(&provider, &server).await;
        if expected == 401 {
            assert_eq!(status, 401, "a token for another application is refused: {body}");
            assert!(body.contains("could not be verified"), "{body}");
            continue;
        }
        assert_eq!(status, 200, "{body}");
        let console = browser.get(format!("{}/console", server.url)).send().await.unwrap();
        assert_eq!(console.status().as_u16(), expected, "roles {roles:?}");
        if expected == 200 {
            assert!(console.text().await.unwrap().contains("Signed in as Jo Bloggs"));
            // Only editors write curated answers.
            let writing = browser.get(format!("{}/console/answers/new", server.url)).send().await.unwrap();
            let editor = roles.contains(&"councilbot.editor");
            assert_eq!(writing.status().as_u16(), if editor { 200 } else { 403 }, "roles {roles:?}");
        } else {
            let api = browser.get(format!("{}/api/v1/escalations", server.url)).send().await.unwrap();
            assert_eq!(api.status(), 403, "signed in without a role: forbidden, not unauthenticated");
        }
    }
}
