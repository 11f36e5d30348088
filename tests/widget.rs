//! The widget and the chat page without JavaScript, in a real browser: the message box stays in view, focus follows choices, and a running request shows its outcome without a reload.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use rpa::browser::{BrowserConfig, ChromeDriver};
use serde_json::{Value, json};

use crate::browser::{
    PATIENCE, accessible, bot_messages, browser, chromedriver, count_messages, find, open_widget, post_message, send,
    until, wait_for_reply,
};
use crate::support::Server;

/// A browser with JavaScript whose page is as big as a phone's screen, 390 by 844 pixels.
async fn phone(driver: &ChromeDriver) -> Client {
    let mut capabilities = BrowserConfig::default().capabilities();
    capabilities["goog:chromeOptions"]["mobileEmulation"] =
        json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 3.0}});
    let mut builder = ClientBuilder::rustls().expect("TLS");
    builder.capabilities(capabilities);
    builder.connect(driver.url()).await.expect("a browser session")
}

/// A browser with JavaScript in a desktop window, or one as big as a phone.
async fn device(driver: &ChromeDriver, desktop: bool) -> Client {
    if desktop {
        let client = browser(driver, true).await;
        client.set_window_size(1100, 820).await.unwrap();
        client
    } else {
        phone(driver).await
    }
}

/// Questions whose answers are long, with their sources.
const QUESTIONS: [&str; 4] = [
    "how can i pay my council tax",
    "what day are bins collected in Oakley Green?",
    "how can i pay my council tax by direct debit",
    "what day are bins collected in Oakley Green and what goes in the green bin?",
];

/// Whether the message box and Send are wholly on screen in the frame, and the frame's own
/// document does not scroll (only the conversation does).
const PINNED: &str = "var inside = function (id) { var r = document.getElementById(id).getBoundingClientRect(); \
       return r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth && r.height > 0; }; \
     var root = document.documentElement; \
     return inside('cb-input') && inside('cb-send') && root.scrollHeight <= root.clientHeight;";

async fn number(client: &Client, script: &str) -> u64 {
    client.execute(script, vec![]).await.unwrap().as_u64().unwrap_or(0)
}

async fn truth(client: &Client, script: &str) -> bool {
    client.execute(script, vec![]).await.unwrap() == Value::Bool(true)
}

/// Sends a message in the widget and waits for the bot's reply to it.
async fn ask(client: &Client, text: &str) {
    let before = number(client, &count_messages(".cb-message--bot")).await;
    send(client, text).await;
    let more = format!("{} > {before}", count_messages(".cb-message--bot"));
    until(client, "the reply", &more).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_message_box_stays_in_view_after_long_answers_on_a_desktop_and_a_phone() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    for (desktop, device) in [(true, "a desktop"), (false, "a phone")] {
        let client = self::device(&driver, desktop).await;
        open_widget(&client, &server).await;
        if !desktop {
            let size = client.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.unwrap();
            assert_eq!(size, json!([390, 844]), "the frame fills the phone's screen");
        }
        assert!(
            truth(&client, "return document.getElementById('cb-about').open").await,
            "{device}: the notice is open at first"
        );
        assert!(truth(&client, PINNED).await, "{device}: the message box is on screen at first");

        send(&client, QUESTIONS[0]).await;
        until(&client, "the first answer", "return document.querySelectorAll('.cb-sources').length >= 1").await;
        for question in &QUESTIONS[1..] {
            ask(&client, question).await;
        }
        until(
            &client,
            "the last answer",
            &format!("return document.querySelectorAll('.cb-message--user').length === {}", QUESTIONS.len()),
        )
        .await;

        // The conversation is longer than the frame: it scrolls, the page around it does not.
        assert!(
            truth(&client, "var t = document.getElementById('cb-transcript'); return t.scrollHeight > t.clientHeight")
                .await,
            "{device}: the answers are longer than the frame"
        );
        until(&client, &format!("the message box to stay on screen on {device}"), PINNED).await;
        let input = client
            .execute("return document.getElementById('cb-input').getBoundingClientRect().bottom", vec![])
            .await
            .unwrap();
        let frame = client.execute("return window.innerHeight", vec![]).await.unwrap();
        assert!(
            input.as_f64().unwrap() <= frame.as_f64().unwrap(),
            "{device}: the message box ends at {input}, the frame at {frame}"
        );

        // The latest answer is in view, under the message box's nose.
        assert!(
            truth(
                &client,
                "var t = document.getElementById('cb-transcript'); var last = t.lastElementChild.getBoundingClientRect(); \
                 var box = t.getBoundingClientRect(); return last.top < box.bottom && last.bottom > box.top;"
            )
            .await,
            "{device}: the latest answer is shown"
        );

        // What the chat is has folded to one line, and opens again.
        assert!(
            truth(&client, "return !document.getElementById('cb-about').open").await,
            "{device}: the notice is folded"
        );
        assert!(
            truth(&client, "return !document.querySelector('#cb-about .govuk-details__text').checkVisibility()").await,
            "{device}: the notice's details are hidden"
        );
        assert!(
            truth(&client, "var b = document.querySelector('.cb-person-button').getBoundingClientRect(); return b.height > 0 && b.bottom <= window.innerHeight").await,
            "{device}: Talk to a person stays on screen"
        );
        accessible(&client, &format!("the widget after long answers on {device}")).await;
        find(&client, "#cb-about summary").await.click().await.unwrap();
        assert!(
            truth(&client, "return document.getElementById('cb-about').open").await,
            "{device}: the notice opens again"
        );
        until(&client, &format!("the message box to stay on screen with the notice open on {device}"), PINNED).await;
        client.close().await.unwrap();
    }
}

/// Presses a key on the element that has focus.
async fn press(client: &Client, keys: &str) {
    client.active_element().await.unwrap().send_keys(keys).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_choice_focus_is_in_the_message_box_and_the_next_choices_are_just_before_it() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    open_widget(&client, &server).await;
    let answers: [(&str, &str); 4] = [
        ("postcode", "EB4 2QX"),
        ("house or flat number", "14"),
        ("describe the problem", "The kitchen tap has dripped since Monday and the cupboard under it is wet."),
        ("phone number", "01632 960555"),
    ];
    ask(&client, "I need to report a repair, my kitchen tap is leaking").await;
    let mut chose = false;
    let started = Instant::now();
    while client.find(Locator::Css(".cb-summary")).await.is_err() {
        assert!(started.elapsed() < PATIENCE * 3, "the repair was never ready to confirm");
        let asked = client
            .execute(
                "var bot = document.querySelectorAll('#cb-transcript .cb-message--bot'); return bot[bot.length - 1].innerText;",
                vec![],
            )
            .await
            .unwrap();
        let asked = asked.as_str().unwrap_or_default().to_string();
        if asked.contains("What kind of repair") {
            let before = number(&client, &count_messages(".cb-message--bot")).await;
            let plumbing = client.find(Locator::XPath("//button[normalize-space()='Plumbing']")).await.unwrap();
            plumbing.send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
            until(&client, "focus to move to the message box", "return document.activeElement.id === 'cb-input'").await;
            until(&client, "the next question", &format!("{} > {before}", count_messages(".cb-message--bot"))).await;
            assert!(
                truth(&client, "return document.activeElement.id === 'cb-input'").await,
                "focus stays in the message box when the next question arrives"
            );
            assert_eq!(
                plumbing.attr("disabled").await.unwrap().as_deref(),
                Some("true"),
                "an answered question's choices are disabled"
            );
            chose = true;
        } else if let Some((_, answer)) = answers.iter().find(|(question, _)| asked.contains(question)) {
            ask(&client, answer).await;
        } else {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert!(chose, "the kind of repair was chosen with the keyboard");

    // The summary's choices come just before the message box in the tab order.
    find(&client, "#cb-input").await.click().await.unwrap();
    press(&client, &format!("{}{}", char::from(Key::Shift), char::from(Key::Tab))).await;
    until(
        &client,
        "Shift+Tab to reach the summary's choices",
        "var focused = document.activeElement; var item = focused.closest('.cb-message'); \
         return focused.tagName === 'BUTTON' && !!item && !!item.querySelector('.cb-summary') && item === document.getElementById('cb-transcript').lastElementChild;",
    )
    .await;
    let label = client.active_element().await.unwrap().text().await.unwrap();
    press(&client, &char::from(Key::Tab).to_string()).await;
    until(&client, "Tab to come back to the message box", "return document.activeElement.id === 'cb-input'").await;
    accessible(&client, "the widget asking to confirm a request").await;
    assert!(!label.is_empty(), "the focused choice has a label");
}

/// The page's HTML, or nothing while it is being reloaded.
async fn source(client: &Client) -> String {
    client.source().await.unwrap_or_default()
}

/// Waits until the page without JavaScript (which reloads itself) holds `wanted`.
async fn until_source(client: &Client, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let html = source(client).await;
        if wanted(&html) {
            return html;
        }
        assert!(started.elapsed() < PATIENCE * 4, "{what} did not happen; the page is:\n{html}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The text of the chat page's last message from the bot.
async fn last_bot_message(client: &Client) -> String {
    match client.find_all(Locator::Css("#cb-transcript .cb-message--bot")).await {
        Ok(found) => match found.last() {
            Some(last) => last.text().await.unwrap_or_default(),
            None => String::new(),
        },
        Err(_) => String::new(),
    }
}

/// Checks a chat page as a browser without JavaScript shows it. axe-core needs JavaScript, so
/// `checker`, which has it, opens the page and first shows what its `<noscript>` parts hold.
async fn accessible_without_javascript(checker: &Client, url: &str, page: &str) {
    checker.goto(url).await.unwrap();
    find(checker, "#cb-transcript").await;
    checker
        .execute(
            "document.querySelectorAll('body noscript').forEach(function (part) { \
               var shown = document.createElement('div'); shown.innerHTML = part.textContent; part.replaceWith(shown); }); \
             return true;",
            vec![],
        )
        .await
        .unwrap();
    find(checker, "#cb-check").await;
    accessible(checker, page).await;
}

fn refreshes(html: &str) -> bool {
    html.to_ascii_lowercase().contains("http-equiv=\"refresh\"")
}

fn system_reference(html: &str) -> bool {
    html.split("HR-").skip(1).any(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Another browser, with or without JavaScript, holding the chat page's conversation.
async fn same_conversation(client: &Client, driver: &ChromeDriver, javascript: bool, server: &Server) -> Client {
    let other = browser(driver, javascript).await;
    other.goto(&format!("{}/chat?ended=1", server.url)).await.unwrap();
    for name in ["councilbot_chat", "councilbot_chat_csrf"] {
        other.add_cookie(client.get_named_cookie(name).await.expect("the chat page's cookies")).await.unwrap();
    }
    other
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_a_request_shows_its_outcome_without_a_reload() {
    let portal = legacy_portal::Portal::start(legacy_portal::PortalConfig::default()).await.expect("portal");
    let server = crate::support::council_on(&portal.url(), "", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, false).await;
    client.goto(&format!("{}/chat", server.url)).await.unwrap();
    assert!(client.find(Locator::Css("#cb-check")).await.is_err(), "nothing to check for before a conversation");
    post_message(&client, "I need to report a repair, my kitchen tap is leaking").await;

    let answers: [(&str, &str); 4] = [
        ("postcode", "EB4 2QX"),
        ("house or flat number", "14"),
        ("describe the problem", "The kitchen tap has dripped since Monday and the cupboard under it is wet."),
        ("phone number", "01632 960555"),
    ];
    let started = Instant::now();
    while client.find(Locator::Css(".cb-summary")).await.is_err() {
        assert!(started.elapsed() < PATIENCE * 3, "the repair was never ready to confirm");
        assert!(!refreshes(&source(&client).await), "no refresh while nothing is being sent");
        let asked = last_bot_message(&client).await;
        if asked.contains("What kind of repair") {
            let before = bot_messages(&client).await;
            client
                .find(Locator::XPath("//button[normalize-space()='Plumbing' and not(@disabled)]"))
                .await
                .expect("the kinds of repair, to pick from")
                .click()
                .await
                .unwrap();
            wait_for_reply(&client, before).await;
        } else if let Some((_, answer)) = answers.iter().find(|(question, _)| asked.contains(question)) {
            post_message(&client, answer).await;
        } else {
            panic!("an unexpected question: {asked}");
        }
    }
    let plumbing = client.find(Locator::XPath("//button[normalize-space()='Plumbing']")).await.unwrap();
    assert_eq!(
        plumbing.attr("disabled").await.unwrap().as_deref(),
        Some("true"),
        "an answered question's choices are disabled"
    );

    let before = bot_messages(&client).await;
    client
        .find(Locator::XPath("//button[normalize-space()='Yes, send it' and not(@disabled)]"))
        .await
        .expect("the summary to confirm")
        .click()
        .await
        .unwrap();
    wait_for_reply(&client, before).await;
    let running = source(&client).await;
    assert!(running.contains("Your reference is CB-"), "the request is on its way");
    // While it is being sent (a browser is started to send it: that takes seconds), the page
    // says it refreshes itself, and does.
    assert!(!system_reference(&running), "the request is still being sent");
    assert!(refreshes(&running), "the page refreshes itself while the request is sent");
    let note = find(&client, "#cb-refresh-note").await.text().await.unwrap();
    assert!(note.contains("This page refreshes every 10 seconds while your request is sent"), "{note}");
    find(&client, "#cb-refresh-note a[href*='refresh=off']").await;

    // Someone who would rather it did not gets the same page without the refresh.
    let still = same_conversation(&client, &driver, false, &server).await;
    still.goto(&format!("{}/chat?refresh=off", server.url)).await.unwrap();
    find(&still, "#cb-check").await;
    let html = source(&still).await;
    assert!(!refreshes(&html), "the page does not refresh once that is turned off");
    assert!(
        html.contains("This page does not refresh by itself") || system_reference(&html),
        "the page says it no longer refreshes"
    );
    still.close().await.unwrap();
    let checker = same_conversation(&client, &driver, true, &server).await;
    let page = "the chat page without JavaScript, not refreshing, while a request is sent";
    accessible_without_javascript(&checker, &format!("{}/chat?refresh=off", server.url), page).await;

    // Nothing is clicked: the page refreshes until the council system's reference is there.
    let done = until_source(&client, "the council system's reference to appear", system_reference).await;
    let cases = portal.cases_with_external_reference(
        done.split("Your reference is ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| c == '.' || c.is_whitespace()).next())
            .unwrap(),
    );
    assert_eq!(cases.len(), 1, "one case on the council's system");
    assert!(done.contains(&cases[0].reference), "the resident sees the system's reference");
    assert!(!refreshes(&done), "the page stops refreshing once the request has an outcome");
    assert!(client.find(Locator::Css("#cb-refresh-note")).await.is_err(), "no word of refreshing once it has stopped");
    find(&client, "#cb-check").await;
    let confirm = client.find(Locator::XPath("//button[normalize-space()='Yes, send it']")).await.unwrap();
    assert_eq!(
        confirm.attr("disabled").await.unwrap().as_deref(),
        Some("true"),
        "a summary already answered cannot be sent again"
    );
    let choices = client.find_all(Locator::Css("button[name=choice]")).await.unwrap();
    for choice in choices {
        assert_eq!(
            choice.attr("disabled").await.unwrap().as_deref(),
            Some("true"),
            "every choice asked before is disabled"
        );
    }
    let page = "the chat page without JavaScript with a request's outcome";
    accessible_without_javascript(&checker, &format!("{}/chat", server.url), page).await;

    // "Check for updates" shows the same page again.
    find(&client, "#cb-check").await.click().await.unwrap();
    let again = until_source(&client, "the page again", |html| html.contains("id=\"cb-check\"")).await;
    assert!(system_reference(&again) && !refreshes(&again));
}
