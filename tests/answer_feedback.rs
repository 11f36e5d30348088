//! What residents do after an answer, end to end: "that's not what I asked", a person asked for,
//! the same question asked again, and a vote on the answer (through the chat API, by text where
//! the council turns it on, from the card under it in Teams, and with the buttons under it in
//! the widget and on the chat page without JavaScript). Each shows in the console's figures, and
//! a doubted answer no longer counts as answered without a person.

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::{Value, json};
use storage::sqlx::{self, Row};

use crate::browser::{accessible, browser, chromedriver, find, open_widget, post_message, send, until};
use crate::console::{client, signed_in, start_conversation};
use crate::sms::{AUTH_TOKEN, NotifyApi, PUBLIC_URL, TwilioApi, inbound, texting_config, texting_env};
use crate::support::{Server, python};
use crate::teams::{Microsoft, RESIDENT, TEAMS_ENV, activity, channel_claims, token};

/// Says something in a conversation; returns the replies.
async fn say(client: &reqwest::Client, server: &Server, id: &str, text: &str) -> Vec<Value> {
    let response = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{text}");
    let body: Value = response.json().await.unwrap();
    body["replies"].as_array().cloned().unwrap_or_default()
}

/// Asks a question in a new conversation; returns the conversation and the answer's id.
async fn answered(client: &reqwest::Client, server: &Server, question: &str) -> (String, i64) {
    let id = start_conversation(client, server).await;
    let replies = say(client, server, &id, question).await;
    let answer = replies
        .iter()
        .find(|reply| reply["citations"].as_array().is_some_and(|citations| !citations.is_empty()))
        .unwrap_or_else(|| panic!("{question} is answered: {replies:#?}"));
    (id, answer["id"].as_i64().unwrap())
}

/// Votes on a message of a conversation through the API; returns the status.
async fn vote(client: &reqwest::Client, server: &Server, id: &str, message: &str, body: Value) -> u16 {
    client
        .post(format!("{}/api/v1/conversations/{id}/messages/{message}/feedback", server.url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The value the figures page shows for a figure, by its id.
fn figure(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {id} in the figures")) + marker.len();
    page[start..start + page[start..].find('<').unwrap()].trim().to_string()
}

/// A number the server's database gives.
async fn count(server: &Server, sql: &str) -> i64 {
    let database = storage::Database::connect(&server.database_url()).await.unwrap();
    let count = sqlx::query(sql).fetch_one(database.pool()).await.unwrap().get::<i64, _>(0);
    database.close().await;
    count
}

/// Waits until the server's database gives a number.
async fn count_becomes(server: &Server, what: &str, sql: &str, expected: i64) {
    let started = std::time::Instant::now();
    while count(server, sql).await != expected {
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "{what} never happened\n{}", server.log());
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn answers_residents_doubt_are_listed_in_the_figures_and_not_counted_as_answered_without_a_person() {
    let server = Server::start("", &[]);
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let resident = client();

    // "That's not what I asked" gets an apology and the offer of a person, not an answer.
    let (wrong, _) = answered(&resident, &server, "what day are bins collected in Oakley Green?").await;
    let sorry = say(&resident, &server, &wrong, "that's not what I asked").await;
    let apology = sorry[0]["id"].to_string();
    assert_eq!(sorry.len(), 1, "{sorry:#?}");
    assert_eq!(sorry[0]["kind"], "choices");
    let text = sorry[0]["text"].as_str().unwrap();
    assert!(text.contains("sorry") && text.contains("talk to a person"), "{text}");
    assert_eq!(sorry[0]["choices"][0]["label"], "Yes, talk to a person");

    // A person asked for, and the same question asked again, straight after an answer.
    let (person, _) = answered(&resident, &server, "how can i pay my council tax").await;
    assert_eq!(say(&resident, &server, &person, "talk to a person").await[0]["kind"], "handoff");
    let (again, _) = answered(&resident, &server, "how do I register a death").await;
    say(&resident, &server, &again, "how can I register a death?").await;

    // A thumbs-down through the API; the last vote counts, and the transcript shows it.
    let (voted, answer) = answered(&resident, &server, "how do I register my baby's birth").await;
    assert_eq!(vote(&resident, &server, &voted, &answer.to_string(), json!({"helpful": true})).await, 200);
    assert_eq!(vote(&resident, &server, &voted, &answer.to_string(), json!({"helpful": false})).await, 200);
    let shown: Value = resident
        .get(format!("{}/api/v1/conversations/{voted}", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages = shown["messages"].as_array().unwrap();
    assert_eq!(messages.iter().find(|message| message["id"] == answer).unwrap()["helpful"], false);
    assert!(messages.iter().filter(|message| message["id"] != answer).all(|message| message["helpful"].is_null()));

    // Only the conversation's own answers take a vote.
    for (conversation, message, body, status) in [
        (voted.as_str(), (answer - 1).to_string(), json!({"helpful": false}), 404),
        (wrong.as_str(), apology.clone(), json!({"helpful": false}), 404),
        (voted.as_str(), "an-answer".to_string(), json!({"helpful": false}), 404),
        ("c_0123456789abcdef0123456789abcdef", answer.to_string(), json!({"helpful": false}), 404),
        (voted.as_str(), answer.to_string(), json!({"text": "no"}), 400),
    ] {
        assert_eq!(vote(&resident, &server, conversation, &message, body.clone()).await, status, "{message} {body}");
    }

    // A thumbs-up, and thanks: nothing doubted.
    let (liked, answer) = answered(&resident, &server, "what time does northfield library open").await;
    assert_eq!(vote(&resident, &server, &liked, &answer.to_string(), json!({"helpful": true})).await, 200);
    say(&resident, &server, &liked, "thanks").await;

    let (supervisor, _) = signed_in(&server, "sam").await;
    let page = supervisor.get(format!("{}/console/figures", server.url)).send().await.unwrap().text().await.unwrap();
    assert_eq!(figure(&page, "figure-conversations"), "5");
    assert_eq!(figure(&page, "figure-contained"), "1 (20%)", "only the liked answer's conversation");
    for (id, expected) in [
        ("figure-thumbs-up", "1"),
        ("figure-thumbs-down", "1"),
        ("figure-said-wrong", "1"),
        ("figure-asked-person", "1"),
        ("figure-asked-again", "1"),
    ] {
        assert_eq!(figure(&page, id), expected, "{id}");
    }
    let doubted = &page[page.find("id=\"cb-doubted\"").expect("the doubted answers are listed")..];
    let at = |question: &str| doubted.find(question).unwrap_or_else(|| panic!("{question} in {doubted}"));
    assert!(
        at("how do I register my baby") < at("what day are bins collected")
            && at("what day are bins collected") < at("how can i pay my council tax")
            && at("how can i pay my council tax") < at("how do I register a death"),
        "worst first: thumbs-down, said wrong, asked for a person, asked again: {doubted}"
    );
    assert!(doubted.contains("bin-collection-days\">Bin collection days</a>"), "the page, linked: {doubted}");
    assert!(doubted.contains("Thumbs-down: 1") && doubted.contains("Said it was wrong: 1"), "{doubted}");
    assert!(!doubted.contains("what time does northfield library open"), "a liked answer is not doubted");

    let csv = supervisor.get(format!("{}/console/figures.csv", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains("answers with a thumbs-down,1\n") && csv.contains("answered without a person,1\n"), "{csv}");
}

/// Texts through Twilio, with Twilio's own library on the other side.
struct Texts {
    server: Server,
    _twilio: TwilioApi,
    _notify: NotifyApi,
    runtime: tokio::runtime::Runtime,
    sent: std::cell::Cell<u32>,
}

impl Texts {
    fn start(extra_config: &str) -> Texts {
        let (twilio, notify) = (TwilioApi::start(), NotifyApi::start());
        let env = texting_env();
        let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let server = Server::start(&texting_config(&twilio, &notify, extra_config), &env);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Texts { server, _twilio: twilio, _notify: notify, runtime, sent: std::cell::Cell::new(0) }
    }

    /// A text from `from`, as Twilio delivers it; returns the texts of the answer.
    fn text(&self, from: &str, body: &str) -> Vec<String> {
        self.sent.set(self.sent.get() + 1);
        let sid = format!("SM{:032x}", 0xfeed_0000 + self.sent.get());
        let request = json!({
            "post_to": format!("{}/channels/sms/twilio", self.server.url),
            "sign_as": format!("{PUBLIC_URL}/channels/sms/twilio"),
            "token": AUTH_TOKEN,
            "params": inbound(&sid, from, body)
                .into_iter()
                .map(|(name, value)| (name.to_string(), json!(value)))
                .collect::<serde_json::Map<String, Value>>(),
            "mode": "signed",
        });
        let mut child = python("twilio_client.py")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        serde_json::to_writer(child.stdin.take().unwrap(), &request).unwrap();
        let output = child.wait_with_output().unwrap();
        let answer: Value = serde_json::from_slice(&output.stdout).expect("the Twilio client's report");
        assert_eq!(answer["status"], 200, "{answer}");
        answer["messages"].as_array().unwrap().iter().map(|message| message.as_str().unwrap().to_string()).collect()
    }

    fn count(&self, sql: &str) -> i64 {
        self.runtime.block_on(count(&self.server, sql))
    }

    fn votes(&self, vote: &str) -> i64 {
        self.count(&format!("SELECT COUNT(*) FROM conversation_messages WHERE vote = '{vote}'"))
    }
}

const ASK_WHETHER_IT_HELPED: &str = "Reply 1 if this helped or 2 if not";

#[test]
fn by_text_a_bare_1_or_2_after_an_answer_is_feedback_where_the_council_turns_it_on() {
    let texts = Texts::start("answer_feedback = true");
    let resident = "+447700900131";
    let answer = texts.text(resident, "How can I pay my council tax?");
    assert_eq!(answer.len(), 1, "{answer:?}");
    assert!(answer[0].ends_with(&format!("\n{ASK_WHETHER_IT_HELPED}")), "{answer:?}");
    assert!(answer[0].contains("\nMore: "), "the link is kept too: {answer:?}");
    assert!(channels::sms::render::segments(&answer[0]).1 <= 2, "within the configured two segments: {answer:?}");

    let thanks = texts.text(resident, "2");
    assert_eq!(thanks.len(), 1);
    assert!(thanks[0].starts_with("Thank you for telling us."), "{thanks:?}");
    assert_eq!((texts.votes("unhelpful"), texts.votes("helpful")), (1, 0));
    let changed = texts.text(resident, "1");
    assert_eq!(changed, vec!["Thank you for your feedback.".to_string()], "the last vote counts");
    assert_eq!((texts.votes("unhelpful"), texts.votes("helpful")), (0, 1));

    // A question asked back is answered by number as before: no feedback asked, none taken.
    let asked = texts.text(resident, crate::clarifying::UNCLEAR);
    assert!(asked[0].contains("\nReply 1 for ") && !asked[0].contains(ASK_WHETHER_IT_HELPED), "{asked:?}");
    let picked = texts.text(resident, "1");
    assert!(picked[0].contains("\nMore: ") && !picked[0].starts_with("Thank you"), "a choice, not a vote: {picked:?}");
    assert_eq!((texts.votes("unhelpful"), texts.votes("helpful")), (0, 1));
}

#[test]
fn by_text_answers_ask_nothing_and_a_bare_number_is_a_message_unless_turned_on() {
    let texts = Texts::start("");
    let resident = "+447700900132";
    let answer = texts.text(resident, "How can I pay my council tax?");
    assert!(!answer[0].contains(ASK_WHETHER_IT_HELPED), "{answer:?}");
    let reply = texts.text(resident, "2");
    assert!(!reply.iter().any(|text| text.starts_with("Thank you")), "{reply:?}");
    assert_eq!(texts.votes("unhelpful") + texts.votes("helpful"), 0);
    assert_eq!(
        texts.count("SELECT COUNT(*) FROM conversation_messages WHERE role = 'user'"),
        2,
        "the 2 went into the conversation"
    );
}

#[test]
fn in_teams_the_buttons_under_an_answer_record_a_vote() {
    // The local Microsoft services run on a runtime of their own, started outside this one.
    let microsoft = Microsoft::start();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(teams_vote(&microsoft));
}

async fn teams_vote(microsoft: &Microsoft) {
    http_client::install_crypto_provider();
    let config = format!(
        "[web]\npublic_url = \"https://chat.eastbrook.example\"\n[teams]\nopenid_metadata_url = \
         \"{0}/v1/.well-known/openidconfiguration\"\nlogin_url = \"{0}\"\nallowed_service_urls = [\"{1}\"]\n",
        microsoft.url(),
        microsoft.service_url()
    );
    let server = Server::start(&config, &TEAMS_ENV);
    let http = reqwest::Client::new();
    let bearer = format!("Bearer {}", token("bf-key-1", &channel_claims(&microsoft.service_url())));
    let post = |activity: Value| {
        let (http, bearer, url) = (http.clone(), bearer.clone(), format!("{}/api/messages", server.url));
        async move {
            let response = http.post(url).header("authorization", bearer).json(&activity).send().await.unwrap();
            assert_eq!(response.status(), 200, "{activity}");
        }
    };
    let mut question = activity(&RESIDENT, &microsoft.service_url(), "message", "1733000000901");
    question["text"] = json!("How can I pay my council tax?");
    post(question).await;
    let answers = "SELECT COUNT(*) FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id \
                   WHERE c.channel = 'teams' AND m.outcome = 'answer'";
    count_becomes(&server, "the answer in Teams", answers, 1).await;
    let seq = count(&server, &answers.replace("COUNT(*)", "m.seq")).await;

    let vote = |id: &str, value: Value| {
        let mut submit = activity(&RESIDENT, &microsoft.service_url(), "message", id);
        submit["value"] = value;
        submit
    };
    let votes =
        |kind: &str| format!("SELECT COUNT(*) FROM conversation_messages WHERE vote = '{kind}' AND seq = {seq}");
    post(vote("1733000000902", json!({"feedback": "unhelpful", "message": seq}))).await;
    count_becomes(&server, "the thumbs-down recorded", &votes("unhelpful"), 1).await;
    // Anything but an answer of this person's conversation takes no vote.
    post(vote("1733000000903", json!({"feedback": "helpful", "message": seq - 1}))).await;
    post(vote("1733000000904", json!({"feedback": "maybe", "message": seq}))).await;
    post(vote("1733000000905", json!({"feedback": "helpful", "message": seq}))).await;
    count_becomes(&server, "the vote changed", &votes("helpful"), 1).await;
    assert_eq!(count(&server, "SELECT COUNT(*) FROM conversation_messages WHERE vote IS NOT NULL").await, 1);
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM conversation_messages WHERE role = 'user'").await,
        1,
        "a vote is not a message"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_widget_an_answer_takes_one_vote_by_keyboard_that_can_be_changed() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    open_widget(&client, &server).await;
    send(&client, "how can i pay my council tax").await;
    find(&client, ".cb-message--bot .cb-feedback").await;
    let buttons = client
        .execute(
            "return Array.from(document.querySelectorAll('.cb-feedback__button')).map(function (button) { \
               return button.tagName + '|' + button.textContent + '|' + button.getAttribute('aria-pressed'); })",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        buttons,
        json!([
            "BUTTON|\u{1F44D}This answered my question|false",
            "BUTTON|\u{1F44E}This did not answer my question|false"
        ])
    );
    accessible(&client, "an answer with its feedback buttons").await;

    // With the keyboard alone: Enter on the thumbs-down, then Shift+Tab and Space to change it.
    client.execute("document.querySelector('.cb-feedback__button[value=no]').focus()", vec![]).await.unwrap();
    client.active_element().await.unwrap().send_keys(&char::from(Key::Enter).to_string()).await.unwrap();
    until(
        &client,
        "the thumbs-down to be recorded and thanked",
        "return document.querySelector('.cb-feedback__button[value=no]').getAttribute('aria-pressed') === 'true' \
         && document.getElementById('cb-announcer').textContent === 'Thank you for your feedback.' \
         && document.querySelector('.cb-feedback__thanks').textContent === 'Thank you for your feedback.'",
    )
    .await;
    let back = format!("{}{}", char::from(Key::Shift), char::from(Key::Tab));
    client.active_element().await.unwrap().send_keys(&back).await.unwrap();
    client.active_element().await.unwrap().send_keys(" ").await.unwrap();
    until(
        &client,
        "the vote to change",
        "return document.querySelector('.cb-feedback__button[value=yes]').getAttribute('aria-pressed') === 'true' \
         && document.querySelector('.cb-feedback__button[value=no]').getAttribute('aria-pressed') === 'false'",
    )
    .await;
    accessible(&client, "an answer voted on").await;

    // The vote stays changeable after the next message, and the conversation keeps it.
    send(&client, "thanks").await;
    until(&client, "the reply", "return document.body.innerText.includes('anything else')").await;
    let enabled = client
        .execute("return Array.from(document.querySelectorAll('.cb-feedback__button')).every(function (b) { return !b.disabled; })", vec![])
        .await
        .unwrap();
    assert_eq!(enabled, json!(true));
    let conversation =
        client.execute("return sessionStorage.getItem('councilbot.conversation')", vec![]).await.unwrap();
    let shown: Value = reqwest::get(format!("{}/api/v1/conversations/{}", server.url, conversation.as_str().unwrap()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let voted: Vec<&Value> = shown["messages"].as_array().unwrap().iter().filter(|m| !m["helpful"].is_null()).collect();
    assert_eq!(voted.len(), 1, "{shown}");
    assert_eq!(voted[0]["helpful"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_chat_page_without_javascript_an_answer_takes_a_vote_by_form() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, false).await;
    client.goto(&format!("{}/chat", server.url)).await.unwrap();
    post_message(&client, "how can i pay my council tax").await;
    find(&client, ".cb-feedback button[value=no]").await.click().await.unwrap();
    find(&client, ".cb-feedback button[value=no][aria-pressed=true]").await;
    assert!(client.current_url().await.unwrap().as_str().contains("#cb-feedback-"), "back at the answer");
    assert!(client.source().await.unwrap().contains("Thank you for your feedback."));
    find(&client, ".cb-feedback button[value=yes]").await.click().await.unwrap();
    find(&client, ".cb-feedback button[value=yes][aria-pressed=true]").await;
    find(&client, ".cb-feedback button[value=no][aria-pressed=false]").await;
    let conversation = client.get_named_cookie("councilbot_chat").await.expect("the conversation is kept in a cookie");

    // axe-core needs JavaScript: the same page, with the same conversation, is checked in a
    // browser that has it, where the same form's buttons vote without reloading the page.
    let checker = browser(&driver, true).await;
    checker.goto(&format!("{}/chat", server.url)).await.unwrap();
    checker.add_cookie(conversation).await.unwrap();
    checker.refresh().await.unwrap();
    find(&checker, ".cb-feedback button[value=yes][aria-pressed=true]").await;
    accessible(&checker, "the chat page with an answer voted on").await;
    let marker = checker.execute("window.cbNotReloaded = true; return true;", vec![]).await.unwrap();
    assert_eq!(marker, json!(true));
    checker.find(Locator::Css(".cb-feedback button[value=no]")).await.unwrap().click().await.unwrap();
    until(
        &checker,
        "the vote to change in place",
        "return window.cbNotReloaded === true && \
         document.querySelector('.cb-feedback button[value=no]').getAttribute('aria-pressed') === 'true'",
    )
    .await;
    let forged = checker
        .execute(
            "var form = document.querySelector('.cb-feedback'); \
             return fetch(form.action, {method: 'POST', body: new URLSearchParams({csrf: 'x', message: form.querySelector('[name=message]').value, helpful: 'yes'})}).then(function (r) { return r.status; });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(forged, json!(403), "a form without this browser's token is refused");
    assert_eq!(
        count(&server, "SELECT COUNT(*) FROM conversation_messages WHERE vote = 'unhelpful'").await,
        1,
        "the refused form changed nothing"
    );

    // The figures list the answer for the supervisor, on an accessible page.
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let supervisor = browser(&driver, true).await;
    supervisor.goto(&format!("{}/console", server.url)).await.unwrap();
    find(&supervisor, "#username").await.send_keys("sam").await.unwrap();
    find(&supervisor, "#password").await.send_keys(crate::support::STAFF_PASSWORD).await.unwrap();
    find(&supervisor, "form[action='/console/login'] button[type=submit]").await.click().await.unwrap();
    until(&supervisor, "the queue", "return document.body.innerText.includes('Nobody is waiting')").await;
    supervisor.goto(&format!("{}/console/figures", server.url)).await.unwrap();
    let listed = find(&supervisor, "#cb-doubted").await.text().await.unwrap();
    assert!(listed.contains("how can i pay my council tax") && listed.contains("Thumbs-down: 1"), "{listed}");
    accessible(&supervisor, "the figures with an answer residents doubted").await;
}
