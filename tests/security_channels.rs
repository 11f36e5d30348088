//! Security: the channels (the chat API and pages, the server's connections) hold against the
//! weaknesses a review found. Teams' own cases are in `teams.rs`, beside its local Microsoft.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use storage::sqlx::{self, Row};

use crate::sms::{NOTIFY_CALLBACK_TOKEN, NotifyApi, TwilioApi, texting_config, texting_env};
use crate::support::Server;

/// A blocking HTTP client with a cookie jar, as a browser would keep.
struct Client {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    url: String,
}

impl Client {
    fn new(server: &Server) -> Client {
        http_client::install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            // A fresh connection each time: this client's runtime sleeps between requests, so it
            // would not notice the server closing one it kept.
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Client { runtime, http, url: server.url.clone() }
    }

    fn send(&self, request: reqwest::RequestBuilder) -> (u16, String) {
        self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap_or_default())
        })
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.send(self.http.get(format!("{}{path}", self.url)))
    }

    fn post_json(&self, path: &str, body: &Value) -> (u16, String) {
        self.send(self.http.post(format!("{}{path}", self.url)).json(body))
    }
}

fn count(server: &Server, sql: &str) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let database = storage::Database::connect(&server.database_url()).await.unwrap();
        sqlx::query(sql).fetch_one(database.pool()).await.unwrap().get::<i64, _>(0)
    })
}

/// Whether the server closed `stream` (waiting at most `within` for it to).
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let until = Instant::now() + within;
    let mut buffer = [0u8; 1024];
    while Instant::now() < until {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn slow_headers_and_idle_connections_cannot_hold_the_server() {
    let server = Server::start("[server]\nheader_timeout_seconds = 2\nmax_connections = 16\n", &[]);
    let address = server.url.trim_start_matches("http://").to_string();

    // Headers dribbled a byte at a time are cut off, however long the client keeps at it.
    let mut dribbling = TcpStream::connect(&address).unwrap();
    dribbling.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n").unwrap();
    let mut cut_off = false;
    for _ in 0..60 {
        if dribbling.write_all(b"X").is_err() || closed_within(&mut dribbling, Duration::from_millis(500)) {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "a client sending its headers for 30 s was still being listened to");

    // More silent connections than the cap: they are closed, and a real request is answered.
    let idle: Vec<TcpStream> = (0..40).map(|_| TcpStream::connect(&address).unwrap()).collect();
    let client = Client::new(&server);
    let (status, _) = client.get("/healthz");
    assert_eq!(status, 200);
    let mut first = idle.into_iter().next().unwrap();
    assert!(closed_within(&mut first, Duration::from_secs(30)), "an idle connection was kept open");

    // An event stream outlives the header timeout: it is a response in progress.
    let created: Value = serde_json::from_str(&client.post_json("/api/v1/conversations", &json!({})).1).unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let mut events = TcpStream::connect(&address).unwrap();
    write!(
        events,
        "GET /api/v1/conversations/{id}/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(5));
    let (status, _) = client.post_json(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": "hello"}));
    assert_eq!(status, 200);
    events.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut received = String::new();
    let mut buffer = [0u8; 4096];
    while !received.contains("hello") {
        let read = events.read(&mut buffer).expect("the stream is still open");
        assert!(read > 0, "the stream was closed: {received}");
        received.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
}

#[test]
fn rate_limiter_keys_only_conversations_that_exist() {
    let server = Server::start("", &[]);
    let client = Client::new(&server);
    let long_id = "c".repeat(32 * 1024);
    for id in [long_id.as_str(), "c_0123456789abcdef0123456789abcdef", "../../etc/passwd", "c_zz"] {
        let (status, body) = client.post_json(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": "hi"}));
        assert_eq!(status, 404, "{body}");
        assert!(body.len() < 400, "the answer does not echo the id back: {} bytes", body.len());
    }
    // Thousands of made-up ids leave the server as it was: each is refused before it is counted.
    let memory = |server: &Server| {
        let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .unwrap()
            .trim()
            .trim_end_matches(" kB")
            .parse::<u64>()
            .unwrap()
    };
    let before = memory(&server);
    for index in 0..3_000 {
        let id = format!("{index}-{}", "x".repeat(16 * 1024));
        let (status, _) = client.post_json(&format!("/api/v1/conversations/{id}/messages"), &json!({"text": "hi"}));
        assert_eq!(status, 404);
    }
    let after = memory(&server);
    assert!(after < before + 32 * 1024, "memory grew from {before} KiB to {after} KiB");
}

#[test]
fn forwarded_client_addresses_are_believed_only_from_trusted_proxies() {
    let limits = "[conversations]\nconversations_per_minute = 2\n";
    let trusted = Server::start(&format!("[server]\ntrusted_proxies = [\"127.0.0.0/8\"]\n{limits}"), &[]);
    let client = Client::new(&trusted);
    let start = |client: &Client, forwarded: &str| {
        client
            .send(client.http.post(format!("{}/api/v1/conversations", client.url)).header("x-forwarded-for", forwarded))
            .0
    };
    assert_eq!(start(&client, "198.51.100.1"), 201);
    assert_eq!(start(&client, "198.51.100.1"), 201);
    assert_eq!(start(&client, "198.51.100.1"), 429, "one resident's limit is reached");
    assert_eq!(start(&client, "198.51.100.2"), 201, "another resident behind the balancer is not held back");
    assert_eq!(
        start(&client, "203.0.113.5, 198.51.100.1"),
        429,
        "what the client wrote before the balancer counts for nothing"
    );

    // Without trusted proxies the header is the client's own word, and changes nothing.
    let direct = Server::start(limits, &[]);
    let client = Client::new(&direct);
    assert_eq!(start(&client, "198.51.100.1"), 201);
    assert_eq!(start(&client, "198.51.100.2"), 201);
    assert_eq!(start(&client, "198.51.100.3"), 429);
}

#[test]
fn conversations_are_reached_only_through_their_own_channel_and_ids_stay_out_of_logs() {
    let twilio = TwilioApi::start();
    let notify = NotifyApi::start();
    let mut env = texting_env();
    env.push(("COUNCILBOT_LOG", "info".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let server = Server::start(&texting_config(&twilio, &notify, ""), &env);
    let client = Client::new(&server);
    let text = json!({
        "id": "7c1e2d3f-4a5b-4c6d-8e7f-901234567890",
        "source_number": "447700900321",
        "destination_number": "07700900000",
        "message": "I want to talk to a person",
        "date_received": "2026-12-01T10:00:00.000000Z",
    });
    let (status, body) = client.send(
        client.http.post(format!("{}/channels/sms/notify", server.url)).bearer_auth(NOTIFY_CALLBACK_TOKEN).json(&text),
    );
    assert!(status < 300, "{status} {body}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let texted: String = server.eventually("the text's conversation", || {
        runtime.block_on(async {
            let database = storage::Database::connect(&server.database_url()).await.unwrap();
            sqlx::query("SELECT id FROM conversations WHERE channel = 'sms'")
                .fetch_optional(database.pool())
                .await
                .unwrap()
                .map(|row| row.get::<String, _>(0))
        })
    });
    // The web chat's API and pages do not know it.
    for path in ["", "/events", "/transcript.txt"] {
        let (status, body) = client.get(&format!("/api/v1/conversations/{texted}{path}"));
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = client.post_json(&format!("/api/v1/conversations/{texted}/messages"), &json!({"text": "hi"}));
    assert_eq!(status, 404);
    let (status, _) = client.send(client.http.delete(format!("{}/api/v1/conversations/{texted}", server.url)));
    assert_eq!(status, 404);
    let page = client
        .send(client.http.get(format!("{}/chat", server.url)).header("cookie", format!("councilbot_chat={texted}")))
        .1;
    assert!(!page.contains("talk to a person"), "the chat page does not show another channel's conversation");
    let transcript = client.send(
        client
            .http
            .get(format!("{}/chat/transcript.txt", server.url))
            .header("cookie", format!("councilbot_chat={texted}")),
    );
    assert_eq!(transcript.0, 404);
    let written =
        format!("SELECT COUNT(*) FROM conversation_messages WHERE conversation_id = '{texted}' AND role = 'user'");
    assert_eq!(count(&server, &written), 1, "nothing was written into it from the web");

    // A web conversation handed to a person: its id is not written in the log.
    let chat = crate::support::Chat::start(&server);
    chat.say("I want to talk to a person");
    std::thread::sleep(Duration::from_secs(1));
    let log = server.log();
    assert!(log.contains("handed to a person"), "{log}");
    assert!(!log.contains(&chat.id) && !log.contains(&texted), "a conversation id reached the log: {log}");
}
