//! The console kept live: one event stream per browser shared by its tabs, and conversations the resident has ended kept ended.

use futures::StreamExt;
use serde_json::{Value, json};

use crate::browser::{PATIENCE, accessible, browser, chromedriver, find, until};
use crate::console::{client, signed_in, start_conversation};
use crate::sms::{ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, TwilioApi};
use crate::support::Server;

/// Says something in a conversation through the chat API.
async fn say(client: &reqwest::Client, server: &Server, id: &str, text: &str) {
    let response = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{text}: {}", response.status());
}

/// The resident ends the conversation, as the widget's "End conversation" does.
async fn end(client: &reqwest::Client, server: &Server, id: &str) {
    let ended = client.delete(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap();
    assert_eq!(ended.status(), 204);
}

/// The conversation as the resident's chat sees it.
async fn conversation(client: &reqwest::Client, server: &Server, id: &str) -> Value {
    client.get(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap().json().await.unwrap()
}

/// The first escalation linked from a console page.
fn escalation_in(page: &str) -> String {
    let marker = "/console/escalations/";
    let start = page.find(marker).unwrap_or_else(|| panic!("no escalation in {page}")) + marker.len();
    page[start..start + page[start..].find(['"', '/', '?']).unwrap()].to_string()
}

/// A page of the console, as text.
async fn page(supervisor: &reqwest::Client, server: &Server, path: &str) -> String {
    supervisor.get(format!("{}{path}", server.url)).send().await.unwrap().text().await.unwrap()
}

/// Posts one of an escalation's forms, with the session's CSRF token.
async fn act(
    supervisor: &reqwest::Client,
    server: &Server,
    csrf: &str,
    escalation: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    supervisor
        .post(format!("{}/console/escalations/{escalation}/{action}", server.url))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_resident_who_leaves_a_safeguarding_chat_is_shown_as_gone_and_the_conversation_stays_ended() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let resident = client();
    let id = start_conversation(&resident, &server).await;
    say(&resident, &server, &id, "I've been kicked out and have nowhere to sleep tonight").await;
    say(&resident, &server, &id, "you can call me on 07700 900123 or email jo@example.org").await;
    end(&resident, &server, &id).await;

    // The queue and the escalation say the resident has gone, and when.
    let (supervisor, csrf) = signed_in(&server, "sam").await;
    let queue = page(&supervisor, &server, "/console").await;
    assert!(queue.contains("Safeguarding concern"), "{queue}");
    assert!(queue.contains("Resident left at "), "{queue}");
    let escalation = escalation_in(&queue);
    let shown = page(&supervisor, &server, &format!("/console/escalations/{escalation}")).await;
    assert!(shown.contains("The resident has left the chat ("), "{shown}");
    assert!(shown.contains("A reply in the chat would not be seen"), "{shown}");
    assert!(shown.contains("Left the chat at "), "{shown}");
    // No box to reply in the chat: the ways to reach them instead, only on this page.
    assert!(!shown.contains("id=\"cb-reply\""), "{shown}");
    assert!(shown.contains("href=\"tel:07700900123\">07700 900123</a>"), "{shown}");
    assert!(shown.contains("href=\"mailto:jo@example.org\">jo@example.org</a>"), "{shown}");
    assert!(
        shown.contains("no text message service is set up. Call them on 07700 900123 instead."),
        "without a text service, the number to call: {shown}"
    );

    // The case can be taken, and the conversation stays ended: nobody is told in the chat.
    let taken = act(&supervisor, &server, &csrf, &escalation, "claim", &[]).await;
    assert_eq!(taken.status(), 303);
    let done = page(&supervisor, &server, &format!("/console/escalations/{escalation}?done=claimed")).await;
    assert!(done.contains("The resident has left the chat, so they were not told."), "{done}");
    assert!(done.contains("claimed (sam)"), "{done}");
    let chat = conversation(&resident, &server, &id).await;
    assert_eq!(chat["status"], "ended", "taking the case does not reopen the chat");
    assert!(!chat["messages"].as_array().unwrap().iter().any(|m| m["kind"] == "staff"), "{chat}");

    // A reply in the chat is refused, saying why, rather than reported as sent.
    let reply = act(&supervisor, &server, &csrf, &escalation, "reply", &[("text", "Are you safe tonight?")]).await;
    assert_eq!(reply.status(), 409);
    let refused = reply.text().await.unwrap();
    assert!(refused.contains("the resident has left the chat, so a reply there would not be seen"), "{refused}");
    assert!(!refused.contains("Your reply was sent"), "{refused}");
    let handed_back = act(&supervisor, &server, &csrf, &escalation, "hand-back", &[]).await;
    assert_eq!(handed_back.status(), 409, "there is nobody to hand back to the assistant");
    let api = supervisor
        .post(format!("{}/api/v1/escalations/{escalation}/reply", server.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"text": "Are you safe tonight?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 409);
    let problem: Value = api.json().await.unwrap();
    assert_eq!(problem["error"]["code"], "resident_left", "{problem}");
    assert!(problem["error"]["message"].as_str().unwrap().contains("left the chat"), "{problem}");
    let chat = conversation(&resident, &server, &id).await;
    assert!(!chat["messages"].as_array().unwrap().iter().any(|m| m["role"] == "agent"), "nothing was sent: {chat}");

    // The supervisor closes the case; the conversation is still ended.
    let resolved = act(&supervisor, &server, &csrf, &escalation, "resolve", &[("outcome", "referred")]).await;
    assert_eq!(resolved.status(), 303);
    let done = page(&supervisor, &server, &format!("/console/escalations/{escalation}?done=resolved")).await;
    assert!(done.contains("The case is resolved."), "{done}");

    // Resolving it again is refused the same way in the console and the API, in plain words.
    let again = act(&supervisor, &server, &csrf, &escalation, "resolve", &[("outcome", "referred")]).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("this conversation has already been resolved"));
    let api = supervisor
        .post(format!("{}/api/v1/escalations/{escalation}/resolve", server.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"outcome": "referred"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 409);
    let problem: Value = api.json().await.unwrap();
    assert_eq!(problem["error"]["code"], "conflict", "{problem}");
    assert_eq!(problem["error"]["message"], "this conversation has already been resolved", "{problem}");
    let chat = conversation(&resident, &server, &id).await;
    assert_eq!(chat["status"], "ended");
    assert!(!chat["messages"].as_array().unwrap().iter().any(|m| m["kind"] == "staff"), "{chat}");
    let events: Value = supervisor
        .get(format!("{}/api/v1/escalations/{escalation}", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = events["events"].as_array().unwrap().iter().filter_map(|e| e["kind"].as_str()).collect();
    let at = |kind: &str| kinds.iter().position(|k| *k == kind).unwrap_or_else(|| panic!("no {kind}: {kinds:?}"));
    assert!(at("raised") < at("left") && at("left") < at("claimed"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"resolved"), "{kinds:?}");

    let log = server.log();
    assert!(!log.contains("07700") && !log.contains("jo@example.org"), "contact details are never logged:\n{log}");
}

#[test]
fn a_text_message_reaches_a_resident_who_left_when_a_text_service_is_set_up() {
    // Twilio's stand-in runs on a runtime of its own, made and dropped outside the test's.
    let twilio = TwilioApi::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(texting_a_resident_who_left(&twilio));
}

async fn texting_a_resident_who_left(twilio: &TwilioApi) {
    let config = format!(
        "[web]\npublic_url = \"{PUBLIC_URL}\"\n[sms.twilio]\napi_url = \"{}\"\nfrom = \"+447700900000\"\n",
        twilio.url()
    );
    let server = Server::start(&config, &[("TWILIO_ACCOUNT_SID", ACCOUNT_SID), ("TWILIO_AUTH_TOKEN", AUTH_TOKEN)]);
    server.add_staff("sam", "Sam Taylor", "admin");
    let resident = client();
    let id = start_conversation(&resident, &server).await;
    say(&resident, &server, &id, "can I speak to someone please, my mobile is 07700 900456").await;

    // Taken while the resident is there (the chat is with a person), then they leave.
    let (supervisor, csrf) = signed_in(&server, "sam").await;
    let escalation = escalation_in(&page(&supervisor, &server, "/console").await);
    assert_eq!(act(&supervisor, &server, &csrf, &escalation, "claim", &[]).await.status(), 303);
    assert_eq!(conversation(&resident, &server, &id).await["status"], "human");
    end(&resident, &server, &id).await;

    let shown = page(&supervisor, &server, &format!("/console/escalations/{escalation}")).await;
    assert!(shown.contains("The resident has left the chat"), "{shown}");
    assert!(!shown.contains("id=\"cb-reply\""), "{shown}");
    assert!(shown.contains("Text message to 07700 900456"), "{shown}");

    // Only a number they gave can be texted.
    let elsewhere =
        act(&supervisor, &server, &csrf, &escalation, "text", &[("to", "07700900999"), ("text", "Hello")]).await;
    assert_eq!(elsewhere.status(), 422);
    assert!(elsewhere.text().await.unwrap().contains("Choose one of the mobile numbers they gave"));
    assert!(twilio.sent().is_empty());

    let words = "This is Sam from Eastbrook District Council. Please call us on 01632 960000 when you can.";
    let texted = act(&supervisor, &server, &csrf, &escalation, "text", &[("to", "07700900456"), ("text", words)]).await;
    assert_eq!(texted.status(), 303);
    let done = page(&supervisor, &server, &format!("/console/escalations/{escalation}?done=texted")).await;
    assert!(done.contains("Your text message was sent."), "{done}");
    let sent = twilio.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["To"], "+447700900456");
    assert_eq!(sent[0]["Body"], words);

    assert_eq!(
        act(&supervisor, &server, &csrf, &escalation, "resolve", &[("outcome", "answered")]).await.status(),
        303
    );
    assert_eq!(conversation(&resident, &server, &id).await["status"], "ended", "resolving does not reopen it");
    let audit = page(&supervisor, &server, "/console/audit").await;
    assert!(audit.contains(">text<"), "{audit}");
    assert!(!audit.contains("07700") && !audit.contains("call us"), "the audit log holds neither number nor words");
    assert!(!server.log().contains("07700"), "{}", server.log());
}

/// One event of a stream: its name and data.
type Heard = (String, Value);

/// Reads a console event stream.
struct Listener {
    body: futures::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buffer: String,
}

impl Listener {
    /// The next event the stream sends, waiting at most `PATIENCE`.
    async fn next(&mut self) -> Option<Heard> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let name = block.lines().find_map(|line| line.strip_prefix("event:")).map(str::trim);
                let data: String = block.lines().filter_map(|line| line.strip_prefix("data:")).collect();
                if let Some(name) = name {
                    return Some((name.to_string(), serde_json::from_str(data.trim()).unwrap_or(Value::Null)));
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next()).await.ok()??.ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads until a change of `escalation` (any escalation when `None`) of the kind wanted.
    async fn until_change(&mut self, escalation: Option<&str>, change: &str) -> Value {
        loop {
            let (name, data) = self.next().await.unwrap_or_else(|| panic!("no `{change}` change came"));
            let concerned = escalation.is_none_or(|escalation| data["escalation"] == escalation);
            if name == "change" && concerned && data["change"] == change {
                return data;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_stream_says_what_changed_as_it_happens_and_nothing_holds_it_back() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let (supervisor, _) = signed_in(&server, "sam").await;
    let stream = supervisor.get(format!("{}/console/events", server.url)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let header = |name: &str| stream.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(header("content-type").starts_with("text/event-stream"));
    assert!(header("cache-control").contains("no-cache"), "{}", header("cache-control"));
    assert!(header("cache-control").contains("no-store"), "{}", header("cache-control"));
    assert_eq!(header("x-accel-buffering"), "no", "proxies such as nginx pass each event on at once");
    let mut listener = Listener { body: stream.bytes_stream().boxed(), buffer: String::new() };

    let resident = client();
    let id = start_conversation(&resident, &server).await;
    say(&resident, &server, &id, "can I talk to a person").await;
    let raised = listener.until_change(None, "raised").await;
    let escalation = raised["escalation"].as_str().unwrap().to_string();
    // The stream carries which escalation changed and how, nothing the resident wrote.
    assert_eq!(raised.as_object().unwrap().len(), 2, "{raised}");

    say(&resident, &server, &id, "is anyone there?").await;
    listener.until_change(Some(&escalation), "message").await;
    let (supervisor_again, csrf) = signed_in(&server, "sam").await;
    act(&supervisor_again, &server, &csrf, &escalation, "claim", &[]).await;
    listener.until_change(Some(&escalation), "claimed").await;
    act(&supervisor_again, &server, &csrf, &escalation, "reply", &[("text", "Hello, Sam here.")]).await;
    listener.until_change(Some(&escalation), "replied").await;
    say(&resident, &server, &id, "thank you, my bin was not collected").await;
    listener.until_change(Some(&escalation), "message").await;
    end(&resident, &server, &id).await;
    listener.until_change(Some(&escalation), "left").await;
}

/// A workflow another system starts, that waits for a member of staff to approve it.
const APPROVAL: &str = r#"name: tree_works_approval
version: 1
description: Approve tree works sent from the website's form.
trigger:
  webhook: { token_secret: approval_token }
secrets: [approval_token]
inputs:
  - name: tree
    type: text
    prompt: Which tree
outputs:
  permit: The permit the works go ahead under.
steps:
  - human_task:
      title: "Approve works to {{ inputs.tree }}"
      fields: [{ name: permit, prompt: The permit number }]
      time_limit: 2d
      as: decision
  - succeed:
      outputs: { permit: "{{ decision.permit }}" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runs_list_is_told_when_a_run_starts_waits_and_is_resumed_from_its_page() {
    let workflows = tempfile::tempdir().unwrap();
    std::fs::write(workflows.path().join("approval.yaml"), APPROVAL).unwrap();
    let env = [("COUNCILBOT_SECRET_APPROVAL_TOKEN", "approval-t0ken")];
    let server = Server::start_over(&crate::support::sample_content(), workflows.path(), "", &env);
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let (supervisor, csrf) = signed_in(&server, "sam").await;
    let stream = supervisor.get(format!("{}/console/events", server.url)).send().await.unwrap();
    let mut listener = Listener { body: stream.bytes_stream().boxed(), buffer: String::new() };
    let until_runs = async |listener: &mut Listener| loop {
        let (name, data) = listener.next().await.expect("the runs list is told of the change");
        if name == "change" && data == json!({"runs": true}) {
            return;
        }
    };

    let started = client()
        .post(format!("{}/api/v1/workflows/tree_works_approval/runs", server.url))
        .bearer_auth("approval-t0ken")
        .json(&json!({"tree": "the oak on Mill Lane"}))
        .send()
        .await
        .unwrap();
    let status = started.status();
    let body = started.text().await.unwrap();
    assert_eq!(status, 202, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["id"].as_str().unwrap().to_string();
    until_runs(&mut listener).await;

    // The run waits for a person; its page offers to resume it with a decision, not to retry it.
    let waiting = async || {
        let page = page(&supervisor, &server, &format!("/console/runs/{id}")).await;
        page.contains("Approve works to the oak on Mill Lane").then_some(page)
    };
    let mut shown = None;
    for _ in 0..100 {
        shown = waiting().await;
        if shown.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let shown = shown.expect("the run comes to wait on its task");
    assert!(shown.contains("Approve and resume") && !shown.contains("Try again"), "{shown}");
    let driver = chromedriver().await;
    let window = browser(&driver, true).await;
    sign_in_in_browser(&window, &server).await;
    window.goto(&format!("{}/console/runs/{id}", server.url)).await.unwrap();
    accessible(&window, "a run's page offering to resume it").await;
    window.close().await.unwrap();
    let resume = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(fields.into_iter().map(|(name, value)| (name, value.to_string())));
        supervisor.post(format!("{}/console/runs/{id}/act/resume", server.url)).form(&form).send()
    };
    let without_permit = resume(vec![("decision", "approve"), ("value.permit", " ")]).await.unwrap();
    assert_eq!(without_permit.status(), 422, "approving needs the task's fields");
    assert!(without_permit.text().await.unwrap().contains("The permit number"));

    let resumed = resume(vec![("decision", "approve"), ("value.permit", "TPO-77")]).await.unwrap();
    assert_eq!(resumed.status(), 303);
    until_runs(&mut listener).await;
    let status = async || {
        let run = client()
            .get(format!("{}/api/v1/runs/{id}", server.url))
            .bearer_auth("approval-t0ken")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        run["status"].as_str().unwrap_or_default().to_string()
    };
    let mut last = String::new();
    for _ in 0..100 {
        last = status().await;
        if last == "succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last, "succeeded", "the approved run goes on to the end");
    server.add_staff("ade", "Ade Okoro", "admin");
    let (admin, _) = signed_in(&server, "ade").await;
    let audit = page(&admin, &server, "/console/audit").await;
    // The decision is in the audit log once: the one refused for its missing permit is not.
    assert_eq!(audit.matches(">approve task<").count(), 1, "{audit}");
}

/// Signs in on the console's sign-in page in the browser's current window.
async fn sign_in_in_browser(window: &fantoccini::Client, server: &Server) {
    window.goto(&format!("{}/console", server.url)).await.unwrap();
    find(window, "#username").await.send_keys("sam").await.unwrap();
    find(window, "#password").await.send_keys(crate::support::STAFF_PASSWORD).await.unwrap();
    find(window, "form[action='/console/login'] button[type=submit]").await.click().await.unwrap();
    until(window, "the queue", "return document.body.innerText.includes('Nobody is waiting')").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_console_windows_each_see_a_new_escalation_and_a_ninth_still_opens_and_follows_it() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let driver = chromedriver().await;
    let console = browser(&driver, true).await;
    sign_in_in_browser(&console, &server).await;
    let mut windows = vec![console.window().await.unwrap()];
    for n in 2..=8 {
        let opened = console.new_window(false).await.unwrap();
        console.switch_to_window(opened.handle.clone()).await.unwrap();
        let loaded = console.goto(&format!("{}/console", server.url)).await;
        loaded.unwrap_or_else(|error| panic!("console window {n} did not load: {error}"));
        until(&console, "the queue in another window", "return document.body.innerText.includes('Nobody is waiting')")
            .await;
        windows.push(opened.handle);
    }
    accessible(&console, "the empty queue").await;

    // A resident asks for a person: every window shows it, without being reloaded.
    let resident = client();
    let id = start_conversation(&resident, &server).await;
    say(&resident, &server, &id, "can I speak to someone please").await;
    for (n, window) in windows.iter().enumerate() {
        console.switch_to_window(window.clone()).await.unwrap();
        until(
            &console,
            &format!("window {} to show the escalation", n + 1),
            "return document.body.innerText.includes('Asked for a person')",
        )
        .await;
    }
    let queue_html = console.source().await.unwrap();
    let escalation = escalation_in(&queue_html);

    // A ninth window still opens, and follows the conversation live after a take and a reply.
    let ninth = console.new_window(false).await.unwrap();
    console.switch_to_window(ninth.handle.clone()).await.unwrap();
    let loaded = console.goto(&format!("{}/console/escalations/{escalation}", server.url)).await;
    loaded.unwrap_or_else(|error| panic!("a ninth console window did not load: {error}"));
    find(&console, "#cb-claim").await.click().await.unwrap();
    find(&console, "#cb-reply").await.send_keys("Hello, this is Sam. How can I help?").await.unwrap();
    find(&console, "#cb-send-reply").await.click().await.unwrap();
    until(&console, "the reply to be sent", "return document.body.innerText.includes('Your reply was sent')").await;
    say(&resident, &server, &id, "my neighbour's dog barks all night, call me on 07700 900321").await;
    until(
        &console,
        "the resident's next message, live",
        "return document.getElementById('cb-transcript').innerText.includes('barks all night')",
    )
    .await;
    accessible(&console, "an escalation followed live").await;

    // The resident leaves: the page says so at once, and every queue window marks it.
    end(&resident, &server, &id).await;
    until(
        &console,
        "the page to say the resident left",
        "return document.getElementById('cb-summary').innerText.includes('The resident has left the chat')",
    )
    .await;
    until(
        &console,
        "screen readers to be told the resident left",
        "return document.getElementById('cb-announce').textContent.includes('The resident has left the chat')",
    )
    .await;
    accessible(&console, "an escalation whose resident left").await;
    console.refresh().await.unwrap();
    find(&console, "#cb-reach a[href='tel:07700900321']").await;
    accessible(&console, "the ways to reach a resident who left").await;
    for (n, window) in windows.iter().enumerate() {
        console.switch_to_window(window.clone()).await.unwrap();
        until(
            &console,
            &format!("window {} to show the resident left", n + 1),
            "return document.body.innerText.includes('Resident left at')",
        )
        .await;
    }
    accessible(&console, "the queue with a resident who left").await;
    console.close().await.unwrap();
}
