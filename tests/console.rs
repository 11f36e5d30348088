//! The supervisor console over HTTP: who may use it, signing in (local accounts, OpenID
//! Connect), CSRF, working an escalation end to end with every action audited, the
//! escalation API, the figures, the chat page without JavaScript, and the security headers.

use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::support::{Councilbot, STAFF_PASSWORD, Server};

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

/// A resident asks for a person; returns the conversation.
pub(crate) async fn resident_asks_for_a_person(client: &reqwest::Client, server: &Server) -> String {
    let id = start_conversation(client, server).await;
    say(client, server, &id, "my email is jo@example.org, can I speak to someone").await;
    id
}

/// Says something in a conversation; returns the replies.
async fn say(client: &reqwest::Client, server: &Server, id: &str, text: &str) -> Vec<Value> {
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

async fn transcript(client: &reqwest::Client, server: &Server, id: &str) -> Vec<Value> {
    let body: Value =
        client.get(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap().json().await.unwrap();
    body["messages"].as_array().cloned().unwrap()
}

#[tokio::test]
async fn nobody_gets_in_without_a_session_or_token_and_roles_are_enforced() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "supervisor");
    server.add_staff("alex", "Alex Khan", "admin");
    let anonymous = client();
    let console = anonymous.get(format!("{}/console", server.url)).send().await.unwrap();
    assert_eq!(console.status(), 401);
    assert!(console.text().await.unwrap().contains("Sign in to the supervisor console"));
    for path in ["/console/figures", "/console/audit", "/console/queue", "/api/v1/escalations"] {
        let response = anonymous.get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
    }
    let api = anonymous.get(format!("{}/api/v1/escalations", server.url)).send().await.unwrap();
    assert_eq!(api.headers()["www-authenticate"], "Bearer");
    let forged = anonymous
        .get(format!("{}/api/v1/escalations", server.url))
        .bearer_auth("cbt_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let supervisor = client();
    sign_in(&supervisor, &server, "sam", "correct horse battery staple").await;
    assert_eq!(supervisor.get(format!("{}/console", server.url)).send().await.unwrap().status(), 200);
    assert_eq!(
        supervisor.get(format!("{}/console/audit", server.url)).send().await.unwrap().status(),
        403,
        "admins only"
    );
    let admin = client();
    sign_in(&admin, &server, "alex", "correct horse battery staple").await;
    assert_eq!(admin.get(format!("{}/console/audit", server.url)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn passwords_are_hashed_and_a_wrong_one_does_not_say_whether_the_name_exists() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let client = client();
    let wrong = sign_in(&client, &server, "sam", "not the password at all").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("The username or password is not right"));
    let nobody = sign_in(&client, &server, "nobody", "not the password at all").await;
    assert!(
        nobody.text().await.unwrap().contains("The username or password is not right"),
        "no hint that a name exists"
    );

    let runtime_url = server.database_url();
    let database = storage::Database::connect(&runtime_url).await.unwrap();
    let row = storage::sqlx::query("SELECT password_hash FROM console_accounts WHERE username = 'sam'")
        .fetch_one(database.pool())
        .await
        .unwrap();
    let hash: String = storage::sqlx::Row::get(&row, "password_hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("correct horse"));
}

#[tokio::test]
async fn a_supervisor_works_an_escalation_and_every_action_is_audited() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "admin");
    let resident = client();
    let conversation = resident_asks_for_a_person(&resident, &server).await;

    let supervisor = client();
    sign_in(&supervisor, &server, "sam", "correct horse battery staple").await;
    let queue = supervisor.get(format!("{}/console", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(queue.contains("Asked for a person"), "{queue}");
    let escalation = {
        let marker = "/console/escalations/";
        let start = queue.find(marker).unwrap() + marker.len();
        queue[start..start + queue[start..].find('"').unwrap()].to_string()
    };
    let csrf = csrf_of(&supervisor, &server).await;
    let act = |action: &str, fields: Vec<(&str, String)>| {
        let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
        form.extend(fields.into_iter().map(|(key, value)| (key.to_string(), value)));
        supervisor.post(format!("{}/console/escalations/{escalation}/{action}", server.url)).form(&form).send()
    };

    // Without the form's CSRF token nothing happens.
    let forged = supervisor
        .post(format!("{}/console/escalations/{escalation}/claim", server.url))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    assert_eq!(act("claim", vec![]).await.unwrap().status(), 303);
    let joined = transcript(&resident, &server, &conversation).await;
    assert!(
        joined.iter().any(|m| m["kind"] == "staff" && m["text"].as_str().unwrap().contains("Sam Taylor")),
        "{joined:?}"
    );
    assert!(say(&resident, &server, &conversation, "hello, are you there?").await.is_empty(), "the bot stays quiet");

    assert_eq!(act("reply", vec![("text", "Hello, I'm Sam. How can I help?".into())]).await.unwrap().status(), 303);
    let after = transcript(&resident, &server, &conversation).await;
    let reply = after.iter().find(|m| m["kind"] == "agent").expect("the reply reaches the resident");
    assert_eq!(reply["name"], "Sam Taylor");
    assert_eq!(reply["role"], "agent");

    let empty = act("reply", vec![("text", "   ".into())]).await.unwrap();
    assert_eq!(empty.status(), 422);

    assert_eq!(act("hand-back", vec![]).await.unwrap().status(), 303);
    let bot_again = say(&resident, &server, &conversation, "how can i pay my council tax").await;
    assert!(bot_again.iter().any(|m| m["kind"] == "text" && m["citations"].is_array()), "{bot_again:?}");
    assert_eq!(act("resolve", vec![("outcome", "answered".into())]).await.unwrap().status(), 303);
    let again = act("resolve", vec![("outcome", "answered".into())]).await.unwrap();
    assert_eq!(again.status(), 409, "a resolved escalation is not resolved twice");

    let audit = supervisor.get(format!("{}/console/audit", server.url)).send().await.unwrap().text().await.unwrap();
    for action in ["claim", "reply", "hand back", "resolve", "sign in"] {
        assert!(audit.contains(&format!(">{action}<")), "{action} is in the audit log");
    }
    assert!(!audit.contains("How can I help"), "the audit log never holds what was written");

    let csv = supervisor.get(format!("{}/console/figures.csv", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains("conversations,1"), "{csv}");
    assert!(csv.contains("escalations: requested,1"), "{csv}");
    assert!(csv.lines().any(|line| line.starts_with("median minutes to first response,") && line.len() > 34), "{csv}");
    let figures = supervisor.get(format!("{}/console/figures", server.url)).send().await.unwrap();
    assert_eq!(figures.status(), 200);
    assert!(figures.text().await.unwrap().contains("<svg"), "charts are drawn");

    let signed_out = supervisor
        .post(format!("{}/console/logout", server.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 200);
    assert!(signed_out.text().await.unwrap().contains("You have signed out"));
    assert_eq!(
        supervisor.get(format!("{}/console", server.url)).send().await.unwrap().status(),
        401,
        "the session has ended"
    );
}

#[tokio::test]
async fn programs_use_the_escalation_api_with_a_token() {
    let server = Server::start("", &[]);
    let councilbot = Councilbot { data: tempfile::tempdir().unwrap() };
    let output =
        councilbot.run(&["--database-url", &server.database_url(), "staff", "token", "crm", "--role", "supervisor"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let resident = client();
    resident_asks_for_a_person(&resident, &server).await;
    let program = client();
    let listed: Value = program
        .get(format!("{}/api/v1/escalations", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let escalation = listed["escalations"][0]["id"].as_str().expect("an escalation").to_string();
    assert_eq!(listed["escalations"][0]["reason"], "requested");
    let claimed = program
        .post(format!("{}/api/v1/escalations/{escalation}/claim", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status(), 200);
    let shown: Value = program
        .get(format!("{}/api/v1/escalations/{escalation}", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["escalation"]["status"], "claimed");
    assert!(shown["transcript"].as_array().unwrap().iter().any(|m| m["kind"] == "staff"));
}

#[tokio::test]
async fn the_chat_page_works_by_plain_form_posts() {
    let server = Server::start("", &[]);
    let browser = client();
    let page = browser.get(format!("{}/chat", server.url)).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_string();
    let csrf = csrf.as_str();
    let sent = browser
        .post(format!("{}/chat", server.url))
        .form(&[("text", "what day are bins collected in Oakley Green?"), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let page = browser.get(format!("{}/chat", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("what day are bins collected in Oakley Green?"));
    assert!(page.contains("Thursday"));
    let unescaped = page.replace("&#x2f;", "/");
    assert!(
        unescaped.contains("href=\"/waste/bin-collection-days\">[1] Bin collection days</a>"),
        "the source is a link: {unescaped}"
    );
    assert!(page.contains("automated assistant"));
    browser
        .post(format!("{}/chat", server.url))
        .form(&[("text", "my bin wasn't emptied"), ("csrf", csrf)])
        .send()
        .await
        .unwrap();
    browser.post(format!("{}/chat", server.url)).form(&[("text", "EB4 2QX"), ("csrf", csrf)]).send().await.unwrap();
    browser.post(format!("{}/chat", server.url)).form(&[("text", "12"), ("csrf", csrf)]).send().await.unwrap();
    let page = browser.get(format!("{}/chat", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"choice\" value=\"Recycling (blue bin)\""), "choices are buttons");
    let empty =
        browser.post(format!("{}/chat", server.url)).form(&[("text", ""), ("csrf", csrf)]).send().await.unwrap();
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Type your message"));
    let file = browser.get(format!("{}/chat/transcript.txt", server.url)).send().await.unwrap();
    assert!(file.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    assert!(file.text().await.unwrap().contains("You: what day are bins collected in Oakley Green?"));
    let ended = browser.post(format!("{}/chat/end", server.url)).form(&[("csrf", csrf)]).send().await.unwrap();
    assert_eq!(ended.status(), 303);
    let page = browser.get(format!("{}/chat?ended=1", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Conversation ended"));
    assert!(!page.contains("Oakley Green?"), "the conversation is gone from this browser");
}

#[tokio::test]
async fn pages_carry_security_headers_and_only_allowed_sites_use_the_chat() {
    let server = Server::start("[web]\nallowed_origins = [\"https://www.eastbrook.gov.uk\"]\n", &[]);
    let browser = client();
    let page = browser.get(format!("{}/console/login", server.url)).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let embed = browser.get(format!("{}/chat/embed", server.url)).send().await.unwrap();
    let policy = embed.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'self' https://www.eastbrook.gov.uk"), "{policy}");

    let elsewhere = browser
        .post(format!("{}/api/v1/conversations", server.url))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    let council = browser
        .post(format!("{}/api/v1/conversations", server.url))
        .header("Origin", "https://www.eastbrook.gov.uk")
        .send()
        .await
        .unwrap();
    assert_eq!(council.status(), 201);
    assert_eq!(council.headers()["access-control-allow-origin"], "https://www.eastbrook.gov.uk");
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

#[tokio::test]
async fn a_database_failure_shows_supervisors_a_problem_page_not_an_empty_queue() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "admin");
    let resident = client();
    resident_asks_for_a_person(&resident, &server).await;
    let (supervisor, _) = signed_in(&server, "sam").await;

    let database = storage::Database::connect(&server.database_url()).await.unwrap();
    storage::sqlx::query("DROP TABLE escalations").execute(database.pool()).await.unwrap();

    for path in ["/console", "/console/queue"] {
        let page = supervisor.get(format!("{}{path}", server.url)).send().await.unwrap();
        assert_eq!(page.status(), 503, "{path}");
        let body = page.text().await.unwrap();
        assert!(body.contains("Please try again shortly."), "{body}");
        assert!(!body.contains("<table"), "{body}");
    }
}

#[tokio::test]
async fn a_failed_audit_write_fails_the_action() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "admin");
    let resident = client();
    resident_asks_for_a_person(&resident, &server).await;
    let (supervisor, csrf) = signed_in(&server, "sam").await;
    let queue = supervisor.get(format!("{}/console", server.url)).send().await.unwrap().text().await.unwrap();
    let escalation = {
        let marker = "/console/escalations/";
        let start = queue.find(marker).unwrap() + marker.len();
        queue[start..start + queue[start..].find('"').unwrap()].to_string()
    };

    let database = storage::Database::connect(&server.database_url()).await.unwrap();
    storage::sqlx::query("DROP TABLE audit_log").execute(database.pool()).await.unwrap();

    let claimed = supervisor
        .post(format!("{}/console/escalations/{escalation}/claim", server.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(claimed.status(), 503);
    assert!(claimed.headers().get("location").is_none());
    let body = claimed.text().await.unwrap();
    assert!(body.contains("Please try again shortly") || body.contains("try again"), "{body}");

    let log = supervisor.get(format!("{}/console/audit", server.url)).send().await.unwrap();
    assert_eq!(log.status(), 503);
}
