//! The supervisor console: signing in is needed and roles are kept to, forms need their CSRF
//! token, sessions end when they should, every action on an escalation is audited, a database
//! failure shows the problem page, and pages carry the security and caching headers they need.

use axum::http::StatusCode;
use channels::console::accounts::Role;
use channels::{Origins, WebSettings};

use crate::support::{App, Browser, STAFF_PASSWORD, escalation_linked_from};

/// A new browser signed in as `username` (with the staff password), and its session's CSRF token.
async fn signed_in_browser<'a>(app: &'a App, username: &str) -> (Browser<'a>, String) {
    let browser = app.browser();
    let signed = browser.sign_in(username, STAFF_PASSWORD).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let csrf = browser.csrf().await;
    (browser, csrf)
}

#[tokio::test]
async fn the_queue_needs_a_sign_in() {
    let app = App::start().await;
    let page = app.get("/console", None).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("Sign in"), "the sign-in page: {}", page.body);

    let api = app.get("/api/v1/escalations", None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.json()["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn a_supervisor_cannot_reach_an_admin_page() {
    let app = App::start().await;
    let supervisor = app.signed_in("sam", Role::Supervisor).await;
    assert_eq!(app.get("/console", Some(&supervisor)).await.status, StatusCode::OK, "the queue is theirs");

    let page = app.get("/console/audit", Some(&supervisor)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("You cannot see this page"), "{}", page.body);

    let admin = app.signed_in("alex", Role::Admin).await;
    assert_eq!(app.get("/console/audit", Some(&admin)).await.status, StatusCode::OK, "an admin sees the audit log");
}

#[tokio::test]
async fn nobody_gets_in_without_a_session_or_token_and_roles_are_enforced() {
    let app = App::start().await;
    app.add_staff("sam", "Sam Taylor", Role::Supervisor).await;
    app.add_staff("alex", "Alex Khan", Role::Admin).await;
    let anonymous = app.browser();
    let console = anonymous.get("/console").await;
    assert_eq!(console.status, StatusCode::UNAUTHORIZED);
    assert!(console.body.contains("Sign in to the supervisor console"));
    for path in ["/console/figures", "/console/audit", "/console/queue", "/api/v1/escalations"] {
        assert_eq!(anonymous.get(path).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let api = anonymous.get("/api/v1/escalations").await;
    assert_eq!(api.header("www-authenticate"), "Bearer");
    let forged = app.get_with_token("/api/v1/escalations", "cbt_not-a-real-token").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

    let supervisor = app.browser();
    supervisor.sign_in("sam", "correct horse battery staple").await;
    assert_eq!(supervisor.get("/console").await.status, StatusCode::OK);
    assert_eq!(supervisor.get("/console/audit").await.status, StatusCode::FORBIDDEN, "admins only");
    let admin = app.browser();
    admin.sign_in("alex", "correct horse battery staple").await;
    assert_eq!(admin.get("/console/audit").await.status, StatusCode::OK);
}

#[tokio::test]
async fn passwords_are_hashed_and_a_wrong_one_does_not_say_whether_the_name_exists() {
    let app = App::start().await;
    app.add_staff("sam", "Sam Taylor", Role::Supervisor).await;
    let client = app.browser();
    let wrong = client.sign_in("sam", "not the password at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("The username or password is not right"));
    let nobody = client.sign_in("nobody", "not the password at all").await;
    assert!(nobody.body.contains("The username or password is not right"), "no hint that a name exists");

    let hash: String = storage::sqlx::query_scalar("SELECT password_hash FROM console_accounts WHERE username = 'sam'")
        .fetch_one(app.accounts.database().pool())
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("correct horse"));
}

#[tokio::test]
async fn a_supervisor_works_an_escalation_and_every_action_is_audited() {
    let app = App::sample_council().await;
    app.add_staff("sam", "Sam Taylor", Role::Admin).await;
    let resident = app.browser();
    let conversation = resident.resident_asks_for_a_person().await;

    let supervisor = app.browser();
    supervisor.sign_in("sam", "correct horse battery staple").await;
    let queue = supervisor.get("/console").await.body;
    assert!(queue.contains("Asked for a person"), "{queue}");
    let escalation = escalation_linked_from(&queue);
    let csrf = supervisor.csrf().await;
    let act = async |action: &str, fields: &[(&str, &str)]| {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        supervisor.post_form(&format!("/console/escalations/{escalation}/{action}"), &form).await
    };

    // Without the form's CSRF token nothing happens.
    let forged = supervisor.post_form(&format!("/console/escalations/{escalation}/claim"), &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    assert_eq!(act("claim", &[]).await.status, StatusCode::SEE_OTHER);
    let joined = resident.transcript(&conversation).await;
    assert!(
        joined.iter().any(|m| m["kind"] == "staff" && m["text"].as_str().unwrap().contains("Sam Taylor")),
        "{joined:?}"
    );
    assert!(resident.say(&conversation, "hello, are you there?").await.is_empty(), "the bot stays quiet");

    assert_eq!(act("reply", &[("text", "Hello, I'm Sam. How can I help?")]).await.status, StatusCode::SEE_OTHER);
    let after = resident.transcript(&conversation).await;
    let reply = after.iter().find(|m| m["kind"] == "agent").expect("the reply reaches the resident");
    assert_eq!(reply["name"], "Sam Taylor");
    assert_eq!(reply["role"], "agent");

    let empty = act("reply", &[("text", "   ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(act("hand-back", &[]).await.status, StatusCode::SEE_OTHER);
    let bot_again = resident.say(&conversation, "how can i pay my council tax").await;
    assert!(bot_again.iter().any(|m| m["kind"] == "text" && m["citations"].is_array()), "{bot_again:?}");
    assert_eq!(act("resolve", &[("outcome", "answered")]).await.status, StatusCode::SEE_OTHER);
    let again = act("resolve", &[("outcome", "answered")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a resolved escalation is not resolved twice");

    let audit = supervisor.get("/console/audit").await.body;
    for action in ["claim", "reply", "hand back", "resolve", "sign in"] {
        assert!(audit.contains(&format!(">{action}<")), "{action} is in the audit log");
    }
    assert!(!audit.contains("How can I help"), "the audit log never holds what was written");

    let csv = supervisor.get("/console/figures.csv").await.body;
    assert!(csv.contains("conversations,1"), "{csv}");
    assert!(csv.contains("escalations: requested,1"), "{csv}");
    assert!(csv.lines().any(|line| line.starts_with("median minutes to first response,") && line.len() > 34), "{csv}");
    let figures = supervisor.get("/console/figures").await;
    assert_eq!(figures.status, StatusCode::OK);
    assert!(figures.body.contains("<svg"), "charts are drawn");

    let signed_out = supervisor.post_form("/console/logout", &[("csrf", csrf.as_str())]).await;
    assert_eq!(signed_out.status, StatusCode::OK);
    assert!(signed_out.body.contains("You have signed out"));
    assert_eq!(supervisor.get("/console").await.status, StatusCode::UNAUTHORIZED, "the session has ended");
}

#[tokio::test]
async fn pages_carry_security_headers_and_only_allowed_sites_use_the_chat() {
    let origins = Origins { allowed: vec!["https://www.eastbrook.gov.uk".into()], https: false };
    let app = App::setup().web(WebSettings { origins, ..WebSettings::default() }).start().await;
    let browser = app.browser();
    let page = browser.get("/console/login").await;
    let policy = page.header("content-security-policy");
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    let cookie = page.header("set-cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let embed = browser.get("/chat/embed").await;
    let policy = embed.header("content-security-policy");
    assert!(policy.contains("frame-ancestors 'self' https://www.eastbrook.gov.uk"), "{policy}");

    let from = |origin: &str| {
        axum::http::Request::post("/api/v1/conversations")
            .header("Origin", origin)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let elsewhere = browser.send(from("https://evil.example")).await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    let council = browser.send(from("https://www.eastbrook.gov.uk")).await;
    assert_eq!(council.status, StatusCode::CREATED);
    assert_eq!(council.header("access-control-allow-origin"), "https://www.eastbrook.gov.uk");
}

#[tokio::test]
async fn pages_and_answers_with_personal_data_are_not_kept_by_caches() {
    let app = App::start().await;
    app.add_staff("sam", "Sam Taylor", Role::Supervisor).await;
    let resident = app.browser();
    let conversation = resident.resident_asks_for_a_person().await;
    let supervisor = app.browser();
    supervisor.sign_in("sam", STAFF_PASSWORD).await;
    for path in [
        "/console",
        "/console/login",
        "/console/figures",
        "/console/answers",
        "/console/examples",
        "/api/v1/escalations",
    ] {
        assert!(supervisor.get(path).await.header("cache-control").contains("no-store"), "{path}");
    }
    for path in [format!("/api/v1/conversations/{conversation}"), "/chat".to_string()] {
        assert!(resident.get(&path).await.header("cache-control").contains("no-store"), "{path}");
    }
    for path in ["/assets/councilbot.css", "/widget.js"] {
        assert!(!resident.get(path).await.header("cache-control").contains("no-store"), "{path} may be cached");
    }
}

#[tokio::test]
async fn a_change_of_role_or_password_ends_the_accounts_sessions() {
    let app = App::start().await;
    app.add_staff("sam", "Sam Taylor", Role::Admin).await;
    let (laptop, phone) = (app.browser(), app.browser());
    for browser in [&laptop, &phone] {
        assert_eq!(browser.sign_in("sam", STAFF_PASSWORD).await.status, StatusCode::OK);
        assert_eq!(browser.get("/console/audit").await.status, StatusCode::OK);
    }
    app.add_staff("sam", "Sam Taylor", Role::Supervisor).await;
    for browser in [&laptop, &phone] {
        assert_eq!(
            browser.get("/console/audit").await.status,
            StatusCode::UNAUTHORIZED,
            "the sessions ended with the change"
        );
    }
    laptop.sign_in("sam", STAFF_PASSWORD).await;
    assert_eq!(laptop.get("/console").await.status, StatusCode::OK);
    assert_eq!(laptop.get("/console/audit").await.status, StatusCode::FORBIDDEN, "the new session has the new role");
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_account_and_is_audited() {
    let app = App::start().await;
    app.add_staff("sam", "Sam Taylor", Role::Admin).await;
    app.add_staff("alex", "Alex Khan", Role::Admin).await;
    let (laptop, phone, colleague) = (app.browser(), app.browser(), app.browser());
    for (browser, name) in [(&laptop, "sam"), (&phone, "sam"), (&colleague, "alex")] {
        assert_eq!(browser.sign_in(name, STAFF_PASSWORD).await.status, StatusCode::OK);
    }
    let queue = laptop.get("/console").await.body;
    assert!(queue.contains("formaction=\"/console/logout/everywhere\""), "a button next to sign out");
    let everywhere = "/console/logout/everywhere";
    let forged = laptop.post_form(everywhere, &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "the form's CSRF token is needed");
    assert_eq!(phone.get("/console").await.status, StatusCode::OK);

    let csrf = laptop.csrf().await;
    let signed_out = laptop.post_form(everywhere, &[("csrf", csrf.as_str())]).await;
    assert_eq!(signed_out.status, StatusCode::OK);
    assert!(signed_out.body.contains("signed out everywhere"));
    for browser in [&laptop, &phone] {
        assert_eq!(browser.get("/console").await.status, StatusCode::UNAUTHORIZED);
    }
    let audit = colleague.get("/console/audit").await;
    assert_eq!(audit.status, StatusCode::OK, "another account's session goes on");
    assert!(audit.body.contains(">sign out everywhere<"));
}

#[tokio::test]
async fn a_database_failure_shows_the_problem_page() {
    let app = App::start().await;
    let supervisor = app.signed_in("sam", Role::Supervisor).await;
    let escalation = app.escalation().await;
    app.conversations.close().await;

    for path in ["/console", "/console/queue", &format!("/console/escalations/{escalation}"), "/console/figures"] {
        let page = app.get(path, Some(&supervisor)).await;
        assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {}", page.body);
        let page = page.body;
        assert!(page.contains("Unavailable") && page.contains("Please try again shortly."), "{path}: {page}");
        assert!(!page.contains("<table"), "{path}: nothing shown as if it were empty: {page}");
    }
}

#[tokio::test]
async fn a_database_failure_shows_supervisors_a_problem_page_not_an_empty_queue() {
    let app = App::start().await;
    app.add_staff("sam", "Sam Taylor", Role::Admin).await;
    app.browser().resident_asks_for_a_person().await;
    let (supervisor, _) = signed_in_browser(&app, "sam").await;

    app.execute("DROP TABLE escalations").await;

    for path in ["/console", "/console/queue"] {
        let page = supervisor.get(path).await;
        assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(page.body.contains("Please try again shortly."), "{}", page.body);
        assert!(!page.body.contains("<table"), "{}", page.body);
    }
}

#[tokio::test]
async fn a_failed_audit_write_fails_the_action() {
    let app = App::start().await;
    app.add_staff("sam", "Sam Taylor", Role::Admin).await;
    app.browser().resident_asks_for_a_person().await;
    let (supervisor, csrf) = signed_in_browser(&app, "sam").await;
    let escalation = escalation_linked_from(&supervisor.get("/console").await.body);

    app.execute("DROP TABLE audit_log").await;

    let claimed =
        supervisor.post_form(&format!("/console/escalations/{escalation}/claim"), &[("csrf", csrf.as_str())]).await;
    assert_eq!(claimed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(claimed.headers.get("location").is_none());
    let body = claimed.body;
    assert!(body.contains("Please try again shortly") || body.contains("try again"), "{body}");

    assert_eq!(supervisor.get("/console/audit").await.status, StatusCode::SERVICE_UNAVAILABLE);
}
