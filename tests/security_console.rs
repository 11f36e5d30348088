//! Security: the console's sign-in, sessions and accounts hold against the weaknesses a review found.

use std::net::IpAddr;
use std::time::Duration;

use storage::TestPostgres;

use crate::console::{client, client_at, hidden, oidc_config, sign_in, sign_in_through, start_provider};
use crate::support::{STAFF_PASSWORD, Server};

/// A browser at a loopback address of its own (127.0.0.n), as if elsewhere.
fn browser_at(n: u8) -> reqwest::Client {
    client_at(Some(IpAddr::from([127, 0, 0, n])))
}

/// The error the sign-in page shows, with any number taken out.
fn error_shown(page: &str) -> String {
    let marker = "href=\"#username\">";
    let start = page.find(marker).map(|start| start + marker.len()).unwrap_or(0);
    let error = &page[start..start + page[start..].find("</a>").unwrap_or(0)];
    error.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// Seconds to wait, from a 429's `Retry-After`.
fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers().get("retry-after").and_then(|value| value.to_str().ok()?.parse().ok()).unwrap_or(1)
}

/// Fails to sign in as `username` until `failures` wrong passwords have been checked (waiting
/// whenever told to), then tries once more at once; returns that answer's status and error.
async fn guess_until_made_to_wait(
    browser: &reqwest::Client,
    server: &Server,
    username: &str,
    failures: usize,
) -> (u16, String) {
    let mut counted = 0;
    while counted < failures {
        let answer = sign_in(browser, server, username, "a wrong guess").await;
        match answer.status().as_u16() {
            401 => counted += 1,
            429 => tokio::time::sleep(Duration::from_millis(retry_after(&answer) * 1000 + 200)).await,
            other => panic!("{username}: {other} {}", answer.text().await.unwrap()),
        }
    }
    let answer = sign_in(browser, server, username, "a wrong guess").await;
    let status = answer.status().as_u16();
    (status, error_shown(&answer.text().await.unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_cannot_lock_a_staff_account_or_tell_which_usernames_exist() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "supervisor");

    // Six wrong passwords (once the old lock-out) for a real name and an unknown one, each from
    // an address of its own: the same answers, a wait rather than a lock.
    let (on_sam, on_nobody) = (browser_at(2), browser_at(3));
    let (sam, nobody) = tokio::join!(
        guess_until_made_to_wait(&on_sam, &server, "sam", 6),
        guess_until_made_to_wait(&on_nobody, &server, "nobody-by-that-name", 6),
    );
    assert_eq!(sam, nobody, "an unknown name is answered as a real one");
    assert_eq!(sam.0, 429, "{sam:?}");
    assert!(sam.1.contains("Too many failed sign-ins") && !sam.1.contains("locked"), "{sam:?}");

    // The owner, elsewhere, waits at most the account's own wait, then gets in.
    let owner = browser_at(4);
    let mut answer = sign_in(&owner, &server, "sam", STAFF_PASSWORD).await;
    if answer.status() == 429 {
        tokio::time::sleep(Duration::from_millis(retry_after(&answer) * 1000 + 200)).await;
        answer = sign_in(&owner, &server, "sam", STAFF_PASSWORD).await;
    }
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    assert_eq!(owner.get(format!("{}/console", server.url)).send().await.unwrap().status(), 200);

    // The outsider's own address still waits, whatever name it tries next.
    let again = sign_in(&on_sam, &server, "sam", STAFF_PASSWORD).await;
    assert_eq!(again.status(), 429, "the outsider's address waits longer than the account");
}

#[tokio::test]
async fn a_nul_byte_in_a_username_is_a_wrong_sign_in_and_is_audited() {
    let database = TestPostgres::create().await.expect("PostgreSQL at 127.0.0.1:5432");
    let server = Server::start("", &[("DATABASE_URL", database.url.as_str())]);
    let browser = client();
    for username in ["sam\0", "sam\u{1}", "\0"] {
        let answer = sign_in(&browser, &server, username, "a password").await;
        assert_eq!(answer.status(), 401, "{username:?}");
        assert!(answer.text().await.unwrap().contains("The username or password is not right"));
    }
    let store = storage::Database::connect(&database.url).await.unwrap();
    let rows = storage::sqlx::query("SELECT actor FROM audit_log WHERE action = 'sign_in_failed' ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let actors: Vec<String> = rows.iter().map(|row| storage::sqlx::Row::get(row, "actor")).collect();
    assert_eq!(actors, ["sam\u{fffd}", "sam\u{fffd}", "\u{fffd}"]);
    store.close().await;
}

#[tokio::test]
async fn the_first_admins_password_goes_to_a_private_file_not_the_log() {
    let server = Server::start("[console]\nfirst_admin = \"chief\"\n", &[]);
    let file = server.data.path().join("first-admin-password.txt");
    let password = server.eventually("the first admin's password", || {
        Some(std::fs::read_to_string(&file).ok()?.trim().to_string()).filter(|password| !password.is_empty())
    });
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only its owner may read it");
    }
    let log = server.eventually("where the password is", || {
        let log = server.log();
        log.contains("first-admin-password.txt").then_some(log)
    });
    assert!(log.lines().any(|line| line.trim() == "username: chief"), "{log}");
    assert!(!log.contains(&password), "the password is never in the log");
    let admin = client();
    assert_eq!(sign_in(&admin, &server, "chief", &password).await.status(), 200);
    assert_eq!(admin.get(format!("{}/console/audit", server.url)).send().await.unwrap().status(), 200);
}

/// Where the server says `/metrics` is.
fn metrics_url(server: &Server) -> String {
    server.eventually("the metrics address", || {
        let log = server.log();
        let start = log.find("metrics: http://")? + "metrics: ".len();
        log[start..].split_whitespace().next().map(str::to_string)
    })
}

#[tokio::test]
async fn the_metrics_token_and_address_come_from_the_configuration() {
    let browser = client();
    let guarded = Server::start("", &[("COUNCILBOT_METRICS_TOKEN", "the-metrics-token")]);
    let metrics = format!("{}/metrics", guarded.url);
    assert_eq!(browser.get(&metrics).send().await.unwrap().status(), 401);
    assert_eq!(browser.get(&metrics).bearer_auth("the-metrics-token").send().await.unwrap().status(), 200);

    let apart = Server::start("[server]\nmetrics_listen = \"127.0.0.1:0\"\n", &[]);
    assert_eq!(browser.get(format!("{}/metrics", apart.url)).send().await.unwrap().status(), 404);
    let own = metrics_url(&apart);
    assert!(!own.starts_with(&apart.url), "{own}");
    assert_eq!(browser.get(&own).send().await.unwrap().status(), 200);
}

/// The console's own address, known before it starts (the provider must be told it).
fn free_local_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server signing in through `provider`, on a port of its own.
fn server_with_provider(provider: &str) -> Server {
    let port = free_local_port();
    let callback = format!("http://127.0.0.1:{port}/console/oidc/callback");
    Server::start(
        &oidc_config(provider, &callback),
        &[("COUNCILBOT_OIDC_CLIENT_SECRET", "the-client-secret"), ("COUNCILBOT_LISTEN", &format!("127.0.0.1:{port}"))],
    )
}

#[tokio::test]
async fn an_openid_connect_sign_in_cannot_be_finished_in_another_browser() {
    let (provider, _provider) = start_provider(&["councilbot.supervisor"], "councilbot-console").await;
    let server = server_with_provider(&provider);
    let starter = client();
    let started = starter.get(format!("{}/console/oidc/login", server.url)).send().await.unwrap();
    let cookie = started.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let to_provider = started.headers()["location"].to_str().unwrap().to_string();
    let back = starter.get(&to_provider).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_string();

    // Someone else's browser sent to the callback (login CSRF) is refused.
    let victim = client();
    let refused = victim.get(&callback).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("not started in this browser"));
    assert_eq!(victim.get(format!("{}/console", server.url)).send().await.unwrap().status(), 401);

    // The browser that started it finishes it.
    assert_eq!(starter.get(&callback).send().await.unwrap().status(), 200);
    assert_eq!(starter.get(format!("{}/console", server.url)).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn an_openid_connect_user_named_like_a_local_admin_gets_neither_its_role_nor_its_sessions() {
    let (provider, _provider) = start_provider(&["councilbot.supervisor"], "councilbot-console").await;
    let server = server_with_provider(&provider);
    // The provider signs in jo.bloggs@eastbrook.gov.uk, a local admin's name too.
    server.add_staff("jo.bloggs@eastbrook.gov.uk", "Jo Admin", "admin");
    let admin = client();
    assert_eq!(sign_in(&admin, &server, "jo.bloggs@eastbrook.gov.uk", STAFF_PASSWORD).await.status(), 200);

    let (outsider, status, body) = sign_in_through(&provider, &server).await;
    assert_eq!(status, 200, "{body}");
    let page = outsider.get(format!("{}/console", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Signed in as Jo Bloggs"), "{page}");
    assert_eq!(outsider.get(format!("{}/console/audit", server.url)).send().await.unwrap().status(), 403);

    // Signing out everywhere as the provider's user leaves the local admin signed in.
    let csrf = hidden(&page, "csrf");
    let everywhere = format!("{}/console/logout/everywhere", server.url);
    assert_eq!(outsider.post(&everywhere).form(&[("csrf", csrf.as_str())]).send().await.unwrap().status(), 200);
    assert_eq!(admin.get(format!("{}/console/audit", server.url)).send().await.unwrap().status(), 200);

    // The local admin is still an admin when signing in afresh.
    let again = client();
    assert_eq!(sign_in(&again, &server, "jo.bloggs@eastbrook.gov.uk", STAFF_PASSWORD).await.status(), 200);
    assert_eq!(again.get(format!("{}/console/audit", server.url)).send().await.unwrap().status(), 200);
}
