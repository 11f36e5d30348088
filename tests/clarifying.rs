//! Asking back when a question could be about more than one service: over the chat API and
//! the chat page without JavaScript, how often it happens on questions with one right page,
//! and the share of evidence it takes, as the golden set's development half calibrates it.

use std::time::Duration;

use bot::conversation::clarifying::{ASK_BACK_SHARE, pages_to_ask_about};
use bot::eval::{GoldenSet, Half};
use bot::{AnswerSettings, ExtractiveAnswerer};
use knowledge_base::{Audience, KnowledgeBase};
use serde_json::{Value, json};

use crate::support::{Councilbot, Server, golden_set};

/// A question that could be about rent, council tax or parking.
pub(crate) const UNCLEAR: &str = "how do I pay?";
/// The council tax page that answers it once council tax is chosen.
pub(crate) const COUNCIL_TAX_PAGE: &str = "https://www.eastbrook.gov.uk/council-tax/how-to-pay";
/// Where `serve` links to that page: the sample council's website is served by councilbot itself.
pub(crate) const COUNCIL_TAX_PATH: &str = "/council-tax/how-to-pay";

/// The sample council's golden questions with one right page, each answered and the pages it
/// would be asked back about at `share`, measured for a half.
struct Measured {
    knowledge: KnowledgeBase,
    answered: Vec<(Half, String, Vec<knowledge_base::Hit>)>,
    _councilbot: Councilbot,
}

impl Measured {
    fn new() -> Measured {
        let councilbot = Councilbot::with_sample_council();
        let knowledge = KnowledgeBase::open(&councilbot.data.path().join("index")).expect("the index opens");
        let set = GoldenSet::load(&golden_set()).expect("the golden set loads");
        let answerer = ExtractiveAnswerer::new(&knowledge, AnswerSettings::default());
        let mut answered = Vec::new();
        for question in set.questions.iter().filter(|question| !question.unanswerable) {
            let (answer, hits) = answerer.answer_with_hits(&question.ask, question.audience).expect("answered");
            let source = question.source.as_deref().unwrap_or_default().trim_end_matches('/');
            let right = answer.citations.first().is_some_and(|cited| cited.url.trim_end_matches('/') == source);
            // Only a question answered from its right page is interrupted by being asked back.
            if !answer.handoff && right {
                answered.push((question.half(), question.ask.clone(), hits));
            }
        }
        Measured { knowledge, answered, _councilbot: councilbot }
    }

    /// The questions of a half answered from their right page that `share` would ask back.
    fn interrupted(&self, half: Half, share: f32) -> Vec<&str> {
        self.answered
            .iter()
            .filter(|(of, ask, hits)| {
                *of == half && !pages_to_ask_about(&self.knowledge, ask, Audience::Public, hits, share).is_empty()
            })
            .map(|(_, ask, _)| ask.as_str())
            .collect()
    }
}

#[test]
fn the_ask_back_share_is_the_lowest_at_which_no_clear_development_question_is_asked_back() {
    let measured = Measured::new();
    let shares: Vec<f32> = (10..=19).map(|step| step as f32 * 0.05).collect();
    let table: Vec<(f32, usize)> =
        shares.iter().map(|&share| (share, measured.interrupted(Half::Dev, share).len())).collect();
    let calibrated = shares
        .iter()
        .copied()
        .find(|&share| table.iter().all(|&(other, interrupted)| other < share - 1e-4 || interrupted == 0))
        .expect("some share interrupts nothing");
    assert!(
        measured.interrupted(Half::Dev, ASK_BACK_SHARE).is_empty() && ASK_BACK_SHARE < calibrated + 0.051,
        "the share in use, {ASK_BACK_SHARE}, is the one the development half calibrates to, {calibrated} \
         (questions interrupted by share: {table:?})"
    );
    let held_out = measured.interrupted(Half::HeldOut, ASK_BACK_SHARE);
    let answered = measured.answered.iter().filter(|(half, _, _)| *half == Half::HeldOut).count();
    assert!(answered >= 80, "{answered} held-out questions answered from their right page");
    assert!(held_out.len() * 50 <= answered, "at most 2% of clear held-out questions are asked back: {held_out:?}");
}

#[test]
fn questions_that_fit_several_services_equally_are_asked_back_and_named_ones_are_not() {
    let councilbot = Councilbot::with_sample_council();
    let knowledge = KnowledgeBase::open(&councilbot.data.path().join("index")).expect("the index opens");
    let answerer = ExtractiveAnswerer::new(&knowledge, AnswerSettings::default());
    let pages = |question: &str| {
        let (_, hits) = answerer.answer_with_hits(question, Audience::Public).expect("answered");
        pages_to_ask_about(&knowledge, question, Audience::Public, &hits, ASK_BACK_SHARE)
    };
    for question in [UNCLEAR, "how can I pay online?", "how do I apply?"] {
        let offered = pages(question);
        assert!(offered.len() >= 2, "{question}: {offered:?}");
        let mut services: Vec<&str> = offered.iter().map(|page| page.service_area.as_str()).collect();
        services.dedup();
        assert_eq!(services.len(), offered.len(), "one page per service: {offered:?}");
    }
    let offered = pages(UNCLEAR);
    assert!(offered.iter().any(|page| page.url == COUNCIL_TAX_PAGE), "{offered:?}");
    for named in ["how do I pay my council tax?", "how do I pay my rent?", "how do I pay a parking fine?"] {
        assert_eq!(pages(named), vec![], "{named} names its service");
    }
}

fn client() -> reqwest::Client {
    http_client::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn send(client: &reqwest::Client, server: &Server, id: &str, body: Value) -> Vec<Value> {
    let response = client
        .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{body}");
    let answer: Value = response.json().await.expect("json");
    answer["replies"].as_array().expect("replies").clone()
}

fn labels(reply: &Value) -> Vec<&str> {
    reply["choices"].as_array().expect("choices").iter().map(|choice| choice["label"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn an_unclear_question_is_asked_back_and_answered_from_the_service_chosen() {
    let server = Server::start("", &[]);
    let client = client();
    let started: Value =
        client.post(format!("{}/api/v1/conversations", server.url)).send().await.unwrap().json().await.unwrap();
    let id = started["id"].as_str().expect("id").to_string();

    let asked = send(&client, &server, &id, json!({"text": UNCLEAR})).await;
    assert_eq!(asked.len(), 1, "one short question, no guess: {asked:?}");
    assert_eq!(asked[0]["kind"], "choices");
    let question = asked[0]["text"].as_str().unwrap();
    assert!(question.starts_with("Is this about ") && question.contains("council tax"), "{question}");
    let offered = labels(&asked[0]);
    assert!(offered.contains(&"Ways to pay your council tax") && offered.contains(&"Pay your rent"), "{offered:?}");
    assert_eq!(offered.last(), Some(&"Something else"));
    assert!(offered.len() <= 4, "{offered:?}");

    let choice = asked[0]["choices"].as_array().unwrap().iter().find(|c| c["label"] == "Ways to pay your council tax");
    let answered = send(&client, &server, &id, json!({"choice": choice.unwrap()["value"]})).await;
    assert_eq!(answered[0]["kind"], "text", "{answered:?}");
    assert_eq!(answered[0]["citations"][0]["url"], COUNCIL_TAX_PATH, "{answered:?}");
    assert_eq!(answered[0]["citations"][0]["title"], "Ways to pay your council tax");

    // The service can also be named in words.
    let again = send(&client, &server, &id, json!({"text": UNCLEAR})).await;
    assert_eq!(again[0]["kind"], "choices", "{again:?}");
    let rent = send(&client, &server, &id, json!({"text": "my rent"})).await;
    assert_eq!(rent[0]["citations"][0]["url"], "/housing/pay-your-rent", "{rent:?}");

    // Something else entirely is a new message, and the same question is not asked back twice.
    assert_eq!(send(&client, &server, &id, json!({"text": UNCLEAR})).await[0]["kind"], "choices");
    let bins = send(&client, &server, &id, json!({"text": "what day are bins collected in Oakley Green?"})).await;
    assert!(bins[0]["text"].as_str().unwrap().contains("Thursday"), "{bins:?}");
    assert_eq!(send(&client, &server, &id, json!({"text": UNCLEAR})).await[0]["kind"], "choices");
    let answered_anyway = send(&client, &server, &id, json!({"text": UNCLEAR})).await;
    assert_eq!(answered_anyway[0]["kind"], "text", "not asked back twice in a row: {answered_anyway:?}");

    // A question that names its service is answered straight away.
    let clear = send(&client, &server, &id, json!({"text": "how do I pay my council tax?"})).await;
    assert_eq!(clear[0]["kind"], "text", "{clear:?}");
    assert_eq!(clear[0]["citations"][0]["url"], COUNCIL_TAX_PATH);

    let metrics = client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("councilbot_turns_total{outcome=\"clarified\"} 4"), "{metrics}");
    let token = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
        .args(["--database-url", &server.database_url(), "staff", "token", "figures", "--role", "supervisor"])
        .output()
        .expect("councilbot runs");
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    let token = String::from_utf8(token.stdout).unwrap().trim().to_string();
    let csv = client
        .get(format!("{}/console/figures.csv", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("questions asked back,4"), "{csv}");
}

#[tokio::test]
async fn the_chat_page_without_javascript_offers_the_choices_as_buttons() {
    let server = Server::start("", &[]);
    let browser = client();
    let page = browser.get(format!("{}/chat", server.url)).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_string();
    let post = |form: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = format!("{}/chat", server.url);
        async move { browser.post(url).form(&form).send().await.unwrap() }
    };
    assert_eq!(post(vec![("text", UNCLEAR.into()), ("csrf", csrf.clone())]).await.status(), 303);
    let page = browser.get(format!("{}/chat", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Is this about "), "{page}");
    for label in ["Ways to pay your council tax", "Pay your rent", "Something else"] {
        assert!(
            page.contains(&format!("<button type=\"submit\" name=\"choice\" value=\"{label}\"")),
            "{label} is a plain form button: {page}"
        );
    }
    let chosen = post(vec![("choice", "Ways to pay your council tax".into()), ("csrf", csrf.clone())]).await;
    assert_eq!(chosen.status(), 303);
    let page = browser.get(format!("{}/chat", server.url)).send().await.unwrap().text().await.unwrap();
    let unescaped = page.replace("&#x2f;", "/");
    assert!(
        unescaped.contains(&format!("href=\"{COUNCIL_TAX_PATH}\">[1] Ways to pay your council tax</a>")),
        "the answer cites the chosen page: {unescaped}"
    );
}
