//! The widget, the chat page and the console in a real browser (headless Chromium through
//! WebDriver): what residents and supervisors do, checked by axe-core against the WCAG 2.0,
//! 2.1 and 2.2 A and AA rules, and used with the keyboard alone.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use rpa::browser::{BrowserConfig, ChromeDriver, find_chromedriver};
use serde_json::{Value, json};

use crate::support::Server;

/// How long anything on a page may take to appear.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// The rules checked: WCAG 2.0, 2.1 and 2.2, levels A and AA.
pub(crate) const WCAG_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// axe-core's script, installed from npm by `scripts/test` (or named by `COUNCILBOT_AXE_JS`).
pub(crate) fn axe_source() -> String {
    let path = std::env::var_os("COUNCILBOT_AXE_JS").map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        home.join(".cache/councilbot/npm/node_modules/axe-core/axe.min.js")
    });
    std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("axe-core is not at {}: run ./scripts/test, which installs it", path.display()))
}

/// A ChromeDriver for the test, stopped when dropped.
pub(crate) async fn chromedriver() -> ChromeDriver {
    http_client::install_crypto_provider();
    let binary = find_chromedriver(None).expect("ChromeDriver is installed (./scripts/test installs it)");
    ChromeDriver::start(&binary, None).await.expect("ChromeDriver starts")
}

/// A headless Chromium session, with or without JavaScript.
pub(crate) async fn browser(driver: &ChromeDriver, javascript: bool) -> Client {
    let mut capabilities = BrowserConfig::default().capabilities();
    if !javascript {
        capabilities["goog:chromeOptions"]["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
    }
    let mut builder = ClientBuilder::rustls().expect("TLS");
    builder.capabilities(capabilities);
    builder.connect(driver.url()).await.expect("a browser session")
}

pub(crate) async fn find(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css}: {error}"))
}

/// Waits until a script returns true.
pub(crate) async fn until(client: &Client, what: &str, script: &str) {
    let started = Instant::now();
    loop {
        if client.execute(script, vec![]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        if started.elapsed() > PATIENCE * 3 {
            let text = client.execute("return document.body.innerText", vec![]).await.unwrap_or_default();
            panic!("{what} did not happen; the page says:\n{}", text.as_str().unwrap_or_default());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Adds a console admin to a running server's database, as `councilbot staff add` does.
fn add_admin(server: &Server, username: &str, name: &str) {
    let added = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
        .args(["--database-url", &server.database_url(), "staff", "add", username, "--name", name, "--role", "admin"])
        .env("COUNCILBOT_STAFF_PASSWORD", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
}

/// Runs axe-core on the current document (frame) and fails with every violation found.
pub(crate) async fn accessible(client: &Client, page: &str) {
    client.execute(&format!("{};return true;", axe_source()), vec![]).await.expect("axe loads");
    let script = format!(
        "return axe.run(document, {{runOnly: {{type: 'tag', values: {}}}, resultTypes: ['violations']}}).then(function (result) {{ \
           return result.violations.map(function (v) {{ return {{id: v.id, impact: v.impact, help: v.help, \
             nodes: v.nodes.slice(0, 5).map(function (n) {{ return n.target.join(' ') + ' ' + n.failureSummary; }})}}; }}); }});",
        json!(WCAG_TAGS)
    );
    let violations = client.execute(&script, vec![]).await.expect("axe runs");
    let violations = violations.as_array().cloned().unwrap_or_default();
    assert!(
        violations.is_empty(),
        "{page} has accessibility violations:\n{}",
        serde_json::to_string_pretty(&violations).unwrap()
    );
}

/// Opens the widget on the sample council's page and moves into its frame.
pub(crate) async fn open_widget(client: &Client, server: &Server) {
    client.goto(&format!("{}/", server.url)).await.expect("the demo page");
    find(client, "#councilbot-launcher").await.click().await.expect("open the widget");
    let frame = find(client, "#councilbot-panel iframe").await;
    // The panel is styled under the page's strict Content-Security-Policy: it floats over the
    // page, tall enough to read.
    until(
        client,
        "the panel to be styled",
        "var panel = document.getElementById('councilbot-panel'); \
         return getComputedStyle(panel).position === 'fixed' && panel.getBoundingClientRect().height > 400;",
    )
    .await;
    frame.enter_frame().await.expect("into the widget");
    find(client, "#cb-input").await;
}

pub(crate) async fn send(client: &Client, text: &str) {
    let input = find(client, "#cb-input").await;
    input.send_keys(text).await.expect("type");
    input.send_keys(&char::from(Key::Enter).to_string()).await.expect("send");
}

/// Takes a screenshot of what the browser shows, checks it is an image of the window, and keeps
/// it as `NAME.png` in the directory `COUNCILBOT_SCREENSHOTS` names (the README's walkthrough
/// uses `docs/walkthrough`), if one is named.
pub(crate) async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{name}: not a picture of the page");
    if let Some(directory) = std::env::var_os("COUNCILBOT_SCREENSHOTS") {
        let directory = PathBuf::from(directory);
        std::fs::create_dir_all(&directory).expect("the screenshots' directory");
        std::fs::write(directory.join(format!("{name}.png")), png).expect("the screenshot written");
    }
}

/// The size of the window screenshots are taken in.
pub(crate) async fn walkthrough_window(client: &Client) {
    client.set_window_size(1100, 820).await.expect("the window sized");
}

/// Answers whatever the widget last asked while reporting a housing repair, until it shows the
/// summary to confirm.
pub(crate) async fn answer_repair_questions(client: &Client) {
    let answers: [(&str, &str); 4] = [
        ("postcode", "EB4 2QX"),
        ("house or flat number", "14"),
        ("describe the problem", "The kitchen tap has dripped since Monday and the cupboard under it is wet."),
        ("phone number", "01632 960555"),
    ];
    let started = Instant::now();
    loop {
        if client.find(Locator::Css(".cb-summary")).await.is_ok() {
            return;
        }
        assert!(started.elapsed() < PATIENCE * 3, "the repair was never ready to confirm");
        let asked = client
            .execute(
                "var bot = document.querySelectorAll('#cb-transcript .cb-message--bot'); \
                 return bot.length ? bot[bot.length - 1].innerText : '';",
                vec![],
            )
            .await
            .unwrap();
        let asked = asked.as_str().unwrap_or_default().to_string();
        let replies =
            client.execute(&count_messages(".cb-message--bot"), vec![]).await.unwrap().as_u64().unwrap_or_default();
        if asked.contains("What kind of repair") {
            let button = "//button[normalize-space()='Plumbing']";
            client.find(Locator::XPath(button)).await.expect("the kinds of repair").click().await.unwrap();
        } else if let Some((_, answer)) = answers.iter().find(|(question, _)| asked.contains(question)) {
            send(client, answer).await;
        } else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let more = format!("return {} > {replies}", count_messages(".cb-message--bot").trim_start_matches("return "));
        until(client, "the next question", &more).await;
    }
}

pub(crate) fn count_messages(kind_css: &str) -> String {
    format!("return document.querySelectorAll('#cb-transcript {kind_css}').length")
}

/// How many of the bot's messages the chat shows.
pub(crate) async fn bot_messages(client: &Client) -> usize {
    client.find_all(Locator::Css("#cb-transcript .cb-message--bot")).await.map(|found| found.len()).unwrap_or(0)
}

/// Sends a message from the chat page's form and waits for the page that answers it.
pub(crate) async fn post_message(client: &Client, text: &str) {
    let before = bot_messages(client).await;
    find(client, "#cb-input").await.send_keys(text).await.unwrap();
    find(client, "#cb-send").await.click().await.unwrap();
    wait_for_reply(client, before).await;
}

/// Waits until there are more of the bot's messages than `before`.
pub(crate) async fn wait_for_reply(client: &Client, before: usize) {
    let started = Instant::now();
    while bot_messages(client).await <= before {
        assert!(started.elapsed() < PATIENCE * 3, "no reply came");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_gets_a_cited_answer_and_a_repair_reference_in_the_widget() {
    let portal = legacy_portal::Portal::start(legacy_portal::PortalConfig::default()).await.expect("portal");
    let server = crate::support::council_on(&portal.url(), "", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    walkthrough_window(&client).await;
    client.goto(&format!("{}/", server.url)).await.unwrap();
    accessible(&client, "the sample council's page").await;
    open_widget(&client, &server).await;

    send(&client, "what day are bins collected in Oakley Green?").await;
    let source = find(&client, ".cb-message--bot .cb-sources a").await;
    assert_eq!(
        source.attr("href").await.unwrap().as_deref(),
        Some("/waste/bin-collection-days"),
        "the page, served here"
    );
    let answer = find(&client, ".cb-message--bot .cb-bubble").await.text().await.unwrap();
    assert!(answer.contains("Thursday"), "{answer}");
    accessible(&client, "the open widget with an answer").await;
    screenshot(&client, "1-ask-a-question").await;

    send(&client, "I need to report a repair, my kitchen tap is leaking").await;
    answer_repair_questions(&client).await;
    accessible(&client, "the widget asking to confirm a request").await;
    screenshot(&client, "2-report-a-repair").await;
    let confirm =
        client.find(Locator::XPath("//button[normalize-space()='Yes, send it']")).await.expect("a confirm button");
    confirm.click().await.unwrap();
    until(&client, "the request to be sent", "return document.body.innerText.includes('Your reference is CB-')").await;
    let reference = client
        .execute("return document.body.innerText.match(/Your reference is (CB-[0-9A-F]+)/)[1]", vec![])
        .await
        .unwrap();
    until(&client, "the reference from ECSS", "return /HR-\\d+/.test(document.body.innerText)").await;
    let cases = portal.cases_with_external_reference(reference.as_str().unwrap());
    assert_eq!(cases.len(), 1, "one case on the council's system for this request");
    assert_eq!(cases[0].kind, "Housing repair");
    let page = client.execute("return document.body.innerText", vec![]).await.unwrap();
    assert!(page.as_str().unwrap().contains(&cases[0].reference), "the resident sees the system's reference");
    screenshot(&client, "3-repair-logged").await;

    // The run on the runs pages, where an admin can see its steps and, on asking, its details.
    add_admin(&server, "alex", "Alex Lee");
    let admin = browser(&driver, true).await;
    admin.goto(&format!("{}/console/login", server.url)).await.unwrap();
    find(&admin, "#username").await.send_keys("alex").await.unwrap();
    find(&admin, "#password").await.send_keys("correct horse battery staple").await.unwrap();
    find(&admin, "form[action='/console/login'] button[type=submit]").await.click().await.unwrap();
    until(&admin, "the queue", "return document.body.innerText.includes('Queue')").await;
    admin.goto(&format!("{}/console/runs", server.url)).await.unwrap();
    let reference = reference.as_str().unwrap();
    // The list refreshes itself, so the run is followed by its address, not by a held element.
    let link = format!(
        "var link = Array.from(document.querySelectorAll('#cb-runs a')).find(function (a) {{ return a.textContent === '{reference}'; }});"
    );
    until(&admin, "the run in the list", &format!("{link} return !!link;")).await;
    accessible(&admin, "the runs page").await;
    let run_path = admin.execute(&format!("{link} return link.getAttribute('href');"), vec![]).await.unwrap();
    let address = format!("{}{}", server.url, run_path.as_str().unwrap());
    admin.goto(&address).await.unwrap_or_else(|error| panic!("{address}: {error}\n{}", server.log()));
    until(
        &admin,
        "the run's page",
        "return !!document.querySelector('h1') && document.querySelector('h1').innerText.startsWith('Run ')",
    )
    .await;
    let shown = admin.execute("return document.body.innerText", vec![]).await.unwrap();
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("report_housing_repair") && shown.contains("succeeded"), "{shown}");
    assert!(shown.contains("(personal)"), "personal details masked: {shown}");
    accessible(&admin, "a run's page").await;
    find(&admin, "form[action$='/reveal'] button").await.click().await.unwrap();
    until(&admin, "the details shown", "return !document.body.innerText.includes('(personal)')").await;
    accessible(&admin, "a run's page with its details shown").await;

    // The answer's source opens the page it came from.
    client.goto(&format!("{}/waste/bin-collection-days", server.url)).await.unwrap();
    assert_eq!(find(&client, "h1").await.text().await.unwrap(), "Bin collection days");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_sees_an_escalation_arrive_takes_it_and_the_resident_sees_the_reply() {
    let server = Server::start("", &[]);
    add_admin(&server, "sam", "Sam Taylor");
    let driver = chromedriver().await;
    let supervisor = browser(&driver, true).await;
    walkthrough_window(&supervisor).await;
    supervisor.goto(&format!("{}/console", server.url)).await.unwrap();
    find(&supervisor, "#username").await.send_keys("sam").await.unwrap();
    find(&supervisor, "#password").await.send_keys("correct horse battery staple").await.unwrap();
    accessible(&supervisor, "the sign-in page").await;
    find(&supervisor, "form[action='/console/login'] button[type=submit]").await.click().await.unwrap();
    until(&supervisor, "the queue", "return document.body.innerText.includes('Nobody is waiting')").await;
    accessible(&supervisor, "the empty queue").await;

    let resident = browser(&driver, true).await;
    walkthrough_window(&resident).await;
    open_widget(&resident, &server).await;
    send(&resident, "what day are bins collected in Oakley Green?").await;
    find(&resident, ".cb-message--bot .cb-sources a").await;
    find(&resident, ".cb-person-button").await.click().await.unwrap();
    until(&resident, "the handover", "return !!document.querySelector('.cb-handoff')").await;
    screenshot(&resident, "4-ask-for-a-person").await;

    // The queue shows the escalation without being reloaded.
    until(&supervisor, "the escalation to appear", "return document.body.innerText.includes('Asked for a person')")
        .await;
    accessible(&supervisor, "the queue with an escalation").await;
    find(&supervisor, "#cb-queue a.govuk-link").await.click().await.unwrap();
    find(&supervisor, "#cb-claim").await.click().await.unwrap();
    find(&supervisor, "#cb-reply").await.send_keys("Hello, this is Sam. How can I help?").await.unwrap();
    accessible(&supervisor, "a taken escalation").await;
    find(&supervisor, "#cb-send-reply").await.click().await.unwrap();
    until(&supervisor, "the reply in the transcript", "return document.body.innerText.includes('How can I help?')")
        .await;
    supervisor.execute("document.getElementById('cb-transcript').scrollIntoView()", vec![]).await.unwrap();
    screenshot(&supervisor, "5-answer-as-supervisor").await;

    until(
        &resident,
        "the supervisor joining",
        "return document.body.innerText.includes('Sam Taylor from Eastbrook District Council has joined')",
    )
    .await;
    until(&resident, "the supervisor's reply", "return !!document.querySelector('.cb-message--agent')").await;
    let reply = find(&resident, ".cb-message--agent").await.text().await.unwrap();
    assert!(reply.contains("Sam Taylor (staff)") && reply.contains("How can I help?"), "{reply}");
    accessible(&resident, "the widget with a supervisor's reply").await;
    screenshot(&resident, "6-the-resident-sees-the-reply").await;

    supervisor.goto(&format!("{}/console/figures", server.url)).await.unwrap();
    find(&supervisor, "svg.cb-chart").await;
    accessible(&supervisor, "the figures page").await;
    supervisor
        .execute("document.querySelector('svg.cb-chart').scrollIntoView({block: 'center'})", vec![])
        .await
        .unwrap();
    screenshot(&supervisor, "7-figures").await;

    supervisor.goto(&format!("{}/console/workflows", server.url)).await.unwrap();
    let workflows = find(&supervisor, "main table").await.text().await.unwrap();
    assert!(
        workflows.contains("report_housing_repair") && workflows.contains("a request in conversation"),
        "{workflows}"
    );
    accessible(&supervisor, "the workflows page").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_and_reconnecting_keep_the_conversation_whole() {
    // Event streams end every two seconds, so the widget keeps reconnecting.
    let server = Server::start("[web]\nevent_stream_seconds = 2\n", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    open_widget(&client, &server).await;
    send(&client, "hello").await;
    until(&client, "the greeting", "return document.body.innerText.includes('automated service')").await;
    send(&client, "how can i pay my council tax").await;
    until(&client, "the answer", "return document.querySelectorAll('.cb-sources').length === 1").await;
    let before: Vec<String> = ids(&client).await;

    client.refresh().await.unwrap();
    open_frame_again(&client).await;
    until(
        &client,
        "the transcript to come back",
        &format!("return document.querySelectorAll('#cb-transcript [data-id]').length === {}", before.len()),
    )
    .await;
    assert_eq!(ids(&client).await, before, "the same messages, once each, after a reload");

    // Messages arriving while the stream is dropped and reconnecting are all shown, once.
    let conversation =
        client.execute("return sessionStorage.getItem('councilbot.conversation')", vec![]).await.unwrap();
    let conversation = conversation.as_str().expect("the conversation is kept in the tab").to_string();
    http_client::install_crypto_provider();
    let api = reqwest::Client::new();
    for text in ["thanks", "when is the tip open", "bye"] {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let sent = api
            .post(format!("{}/api/v1/conversations/{conversation}/messages", server.url))
            .json(&json!({"text": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 200);
    }
    until(&client, "everything sent elsewhere to arrive", "return document.body.innerText.includes('Goodbye')").await;
    let after = ids(&client).await;
    let mut unique = after.clone();
    unique.dedup();
    assert_eq!(after, unique, "no message twice");
    let numbers: Vec<i64> = after.iter().map(|id| id.parse().unwrap()).collect();
    assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>(), "no message lost");
    assert!(count(&client, &count_messages(".cb-message--user")).await >= 5);
}

async fn open_frame_again(client: &Client) {
    find(client, "#councilbot-launcher").await.click().await.unwrap();
    find(client, "#councilbot-panel iframe").await.enter_frame().await.unwrap();
    find(client, "#cb-input").await;
}

async fn ids(client: &Client) -> Vec<String> {
    let found = client
        .execute("return Array.from(document.querySelectorAll('#cb-transcript [data-id]')).map(function (m) { return m.getAttribute('data-id'); })", vec![])
        .await
        .unwrap();
    found.as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect()
}

async fn count(client: &Client, script: &str) -> u64 {
    client.execute(script, vec![]).await.unwrap().as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_works_without_javascript() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, false).await;
    client.goto(&format!("{}/chat", server.url)).await.unwrap();
    post_message(&client, "how can i pay my council tax").await;
    let source = find(&client, ".cb-sources a").await;
    assert_eq!(source.attr("href").await.unwrap().as_deref(), Some("/council-tax/how-to-pay"));
    assert!(client.source().await.unwrap().contains("how can i pay my council tax"));

    // axe-core needs JavaScript to run: the same page, with the same conversation, is checked
    // in a browser that has it (the page is served the same either way).
    let conversation = client.get_named_cookie("councilbot_chat").await.expect("the conversation is kept in a cookie");
    let checker = browser(&driver, true).await;
    checker.goto(&format!("{}/chat", server.url)).await.unwrap();
    accessible(&checker, "the chat page").await;
    checker.add_cookie(conversation).await.unwrap();
    checker.refresh().await.unwrap();
    find(&checker, ".cb-sources a").await;
    accessible(&checker, "the chat page with an answer").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_is_used_with_the_keyboard_alone_and_reflows_on_a_narrow_screen() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    client.goto(&format!("{}/", server.url)).await.unwrap();
    find(&client, "#councilbot-launcher").await;
    let body = find(&client, "body").await;
    let mut reached = false;
    for _ in 0..40 {
        body.send_keys(&char::from(Key::Tab).to_string()).await.ok();
        let focused = client.active_element().await.unwrap();
        if focused.attr("id").await.unwrap().as_deref() == Some("councilbot-launcher") {
            reached = true;
            focused.send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
            break;
        }
    }
    assert!(reached, "the launcher can be reached with Tab");
    let frame = find(&client, "#councilbot-panel iframe").await;
    frame.enter_frame().await.unwrap();
    until(
        &client,
        "the message box to take focus",
        "return document.activeElement && document.activeElement.id === 'cb-input'",
    )
    .await;
    let input = client.active_element().await.unwrap();
    input.send_keys("how can i pay my council tax").await.unwrap();
    input.send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
    find(&client, ".cb-sources a").await;
    client.active_element().await.unwrap().send_keys(&char::from(Key::Escape).to_string()).await.unwrap();
    client.enter_parent_frame().await.unwrap();
    until(&client, "the widget to close and focus to return", "return document.getElementById('councilbot-panel').hidden && document.activeElement.id === 'councilbot-launcher'").await;

    // At 320 pixels wide the chat fills the screen without scrolling sideways.
    client.set_window_size(320, 640).await.unwrap();
    client.active_element().await.unwrap().send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
    find(&client, "#councilbot-panel iframe").await.enter_frame().await.unwrap();
    until(
        &client,
        "the chat to fit",
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth",
    )
    .await;
    accessible(&client, "the widget at 320 pixels wide").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accessibility_check_finds_problems_when_there_are_some() {
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    client
        .goto("data:text/html,<html><body><img src='x.png'><input type='text'><p style='color:%23eee'>faint</p></body></html>")
        .await
        .unwrap();
    let outcome = tokio::spawn(async move { accessible(&client, "a broken page").await });
    let error = outcome.await.expect_err("a page without alt text, labels or contrast fails the check");
    let message = error.into_panic().downcast::<String>().map(|message| *message).unwrap_or_default();
    for rule in ["image-alt", "label", "html-has-lang"] {
        assert!(message.contains(rule), "{rule} is reported: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_writes_an_answer_and_adds_an_example_on_accessible_pages() {
    let server = Server::start("", &[]);
    server.add_staff("eve", "Eve Edwards", "editor");
    crate::console::ask(&crate::console::client(), &server, "do you sell fishing licences for the canal").await;
    let resident = crate::console::client();
    let conversation = crate::console::start_conversation(&resident, &server).await;
    crate::console::say(&resident, &server, &conversation, "my food caddy got left behind on collection day").await;
    crate::console::say(&resident, &server, &conversation, "yes").await;
    let driver = chromedriver().await;
    let editor = browser(&driver, true).await;
    editor.goto(&format!("{}/console/login", server.url)).await.unwrap();
    find(&editor, "#username").await.send_keys("eve").await.unwrap();
    find(&editor, "#password").await.send_keys(crate::support::STAFF_PASSWORD).await.unwrap();
    find(&editor, "form[action='/console/login'] button[type=submit]").await.click().await.unwrap();
    until(&editor, "the queue", "return document.body.innerText.includes('Nobody is waiting')").await;

    editor.goto(&format!("{}/console/answers", server.url)).await.unwrap();
    find(&editor, "#cb-new-answer").await;
    accessible(&editor, "the curated answers").await;

    editor.goto(&format!("{}/console/figures", server.url)).await.unwrap();
    find(&editor, "#cb-gaps").await;
    find(&editor, "#cb-confirmed").await;
    accessible(&editor, "the figures with questions to answer and requests confirmed after asking").await;
    find(&editor, "#cb-gaps a.govuk-link").await.click().await.unwrap();
    let examples = find(&editor, "#examples").await;
    assert_eq!(examples.prop("value").await.unwrap().as_deref(), Some("do you sell fishing licences for the canal"));
    accessible(&editor, "a new answer's form").await;

    // Sent without an answer or a page, the form comes back with every mistake beside its field.
    find(&editor, "#cb-save-answer").await.click().await.unwrap();
    find(&editor, ".govuk-error-summary").await;
    until(&editor, "the answer's error", "return !!document.getElementById('answer-error')").await;
    accessible(&editor, "the answer form with errors").await;
    find(&editor, "#answer").await.send_keys("Fishing licences are sold by the Canal and River Trust.").await.unwrap();
    find(&editor, "#source-url").await.send_keys("https://www.eastbrook.gov.uk/contact/contact-us").await.unwrap();
    find(&editor, "#source-title").await.send_keys("Contact us").await.unwrap();
    find(&editor, "#cb-save-answer").await.click().await.unwrap();
    find(&editor, "#cb-history").await;
    accessible(&editor, "a saved answer with its history").await;

    editor.goto(&format!("{}/console/examples", server.url)).await.unwrap();
    find(&editor, "#service").await.select_by_value("report_missed_bin").await.unwrap();
    find(&editor, "#example").await.send_keys("the lorry drove straight past our wheelie bins").await.unwrap();
    accessible(&editor, "the examples of services").await;
    find(&editor, "#cb-add-example").await.click().await.unwrap();
    find(&editor, "#cb-example-changes").await;
    accessible(&editor, "the examples of services with one added").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_in_welsh_is_accessible_marked_as_welsh_and_switches_to_english_keeping_the_conversation() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    // A Welsh page of the sample council's site says so to the widget.
    client.goto(&format!("{}/cy/waste/bin-collection-days", server.url)).await.unwrap();
    let launcher = find(&client, "#councilbot-launcher").await;
    assert_eq!(launcher.text().await.unwrap(), "Sgwrsio â ni");
    assert_eq!(launcher.attr("lang").await.unwrap().as_deref(), Some("cy"), "read out as Welsh");
    accessible(&client, "a Welsh page with the widget").await;
    launcher.click().await.unwrap();
    find(&client, "#councilbot-panel iframe").await.enter_frame().await.unwrap();
    find(&client, "#cb-input").await;
    let lang = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
    assert_eq!(lang, json!("cy"), "the chat is marked as Welsh, so screen readers pronounce it as Welsh");
    let heading = find(&client, ".cb-embed-title").await.text().await.unwrap();
    assert!(heading.contains("Sgwrsio â Eastbrook District Council"), "{heading}");
    let english = find(&client, "a.cb-languages__link[hreflang='en']").await;
    assert_eq!(english.text().await.unwrap(), "English");
    assert_eq!(english.attr("lang").await.unwrap().as_deref(), Some("en"), "the other language's name in its own");
    accessible(&client, "the widget in Welsh").await;

    send(&client, "pryd mae'r biniau'n cael eu casglu yn Oakley Green?").await;
    let answer = find(&client, ".cb-message--bot .cb-bubble").await.text().await.unwrap();
    assert!(answer.contains("Dydd Iau"), "{answer}");
    let sources = find(&client, ".cb-message--bot .cb-sources").await.text().await.unwrap();
    assert!(sources.starts_with("Ffynhonnell:"), "{sources}");
    accessible(&client, "the widget in Welsh with an answer").await;

    // One click to English: the chat is shown in English, the conversation goes on, and the
    // choice is said in it.
    find(&client, "a.cb-languages__link[hreflang='en']").await.click().await.unwrap();
    until(&client, "the chat in English", "return document.documentElement.lang === 'en'").await;
    until(
        &client,
        "the conversation to carry on in English",
        "return document.body.innerText.includes(\"we'll carry on in English\") && document.body.innerText.includes('Dydd Iau')",
    )
    .await;
    assert!(find(&client, "#cb-send").await.text().await.unwrap().contains("Send"));
    accessible(&client, "the widget switched to English").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_page_without_javascript_works_in_welsh() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, false).await;
    client.goto(&format!("{}/chat", server.url)).await.unwrap();
    find(&client, "a.cb-languages__link[hreflang='cy']").await.click().await.unwrap();
    let html = find(&client, "html").await;
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("cy"));
    assert_eq!(find(&client, "#cb-send").await.text().await.unwrap(), "Anfon");
    post_message(&client, "Dw i eisiau rhoi gwybod am fin heb ei gasglu").await;
    let source = client.source().await.unwrap();
    assert!(source.contains("Beth yw eich cod post?"), "the form asks in Welsh");
    assert!(source.contains("<html lang=\"cy\""), "the page stays in Welsh");

    let conversation = client.get_named_cookie("councilbot_chat").await.expect("the conversation is kept in a cookie");
    let language = client.get_named_cookie("councilbot_language").await.expect("the choice is kept in a cookie");
    let checker = browser(&driver, true).await;
    checker.goto(&format!("{}/chat", server.url)).await.unwrap();
    checker.add_cookie(conversation).await.unwrap();
    checker.add_cookie(language).await.unwrap();
    checker.refresh().await.unwrap();
    find(&checker, ".cb-choices, .cb-message--bot").await;
    accessible(&checker, "the chat page in Welsh").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_who_writes_welsh_in_the_english_widget_is_offered_welsh_and_the_chat_turns_welsh() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    open_widget(&client, &server).await;
    assert_eq!(client.execute("return document.documentElement.lang", vec![]).await.unwrap(), json!("en"));
    send(&client, "Shwmae, pryd mae'r biniau'n cael eu casglu yn Oakley Green?").await;
    until(&client, "the offer of Welsh", "return document.body.innerText.includes('Hoffech chi barhau')").await;
    find(&client, ".cb-choices-live button").await;
    let buttons = client.find_all(Locator::Css(".cb-choices-live button")).await.unwrap();
    let mut welsh = None;
    for button in buttons {
        if button.text().await.unwrap() == "Parhau yn Gymraeg" {
            welsh = Some(button);
        }
    }
    welsh.expect("a button to carry on in Welsh").click().await.unwrap();
    until(&client, "the chat in Welsh", "return document.documentElement.lang === 'cy'").await;
    until(
        &client,
        "the conversation kept, now in Welsh",
        "return document.body.innerText.includes('Dydd Iau') && document.body.innerText.includes(\"byddwn ni'n parhau yn Gymraeg\")",
    )
    .await;
    assert_eq!(find(&client, "#cb-send").await.text().await.unwrap(), "Anfon");
    accessible(&client, "the widget turned Welsh").await;
}
