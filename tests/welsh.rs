//! The Welsh service: questions told from English by their words, and answered from the sample
//! council's Welsh pages to the quality recorded in the README.

use bot::eval::{GoldenSet, Half};
use knowledge_base::Language;
use serde_json::{Value, json};

use crate::evaluation::share;
use crate::support::{Chat, Councilbot, Server, golden_set, welsh_golden_set};

#[test]
fn welsh_and_english_questions_of_the_golden_sets_are_told_apart_by_their_words() {
    let english = GoldenSet::load(&golden_set()).expect("the English golden set loads");
    let taken_for_welsh: Vec<&str> = english
        .questions
        .iter()
        .filter(|question| Language::detect(&question.ask) == Some(Language::Welsh))
        .map(|question| question.ask.as_str())
        .collect();
    assert!(taken_for_welsh.is_empty(), "English questions taken for Welsh: {taken_for_welsh:#?}");
    let welsh = GoldenSet::load(&welsh_golden_set()).expect("the Welsh golden set loads");
    let detected: Vec<Option<Language>> =
        welsh.questions.iter().map(|question| Language::detect(&question.ask)).collect();
    let taken_for_english: Vec<&str> = welsh
        .questions
        .iter()
        .zip(&detected)
        .filter(|(_, language)| **language == Some(Language::English))
        .map(|(question, _)| question.ask.as_str())
        .collect();
    assert!(taken_for_english.is_empty(), "Welsh questions taken for English: {taken_for_english:#?}");
    let told = detected.iter().filter(|language| **language == Some(Language::Welsh)).count();
    assert!(told * 100 >= welsh.questions.len() * 95, "{told} of {} Welsh questions told", welsh.questions.len());
}

#[test]
fn the_held_out_half_of_the_welsh_golden_set_meets_the_quality_recorded_in_the_readme() {
    let councilbot = Councilbot::with_sample_council();
    let report = councilbot.json(&["eval", "--json", welsh_golden_set().to_str().expect("utf-8")]);
    let overall = &report["overall"];
    assert!(overall["questions"].as_u64().expect("count") >= 80);
    assert!(overall["near_misses"].as_u64().expect("count") >= 20);
    let set = GoldenSet::load(&welsh_golden_set()).expect("loads");
    assert!(set.questions.iter().any(|question| question.half() == Half::HeldOut));
    // Floors a little under the held-out figures in the README, so a regression fails here.
    let held_out = |name: &str| share(&report, "held_out", name);
    let misses = &report["misses"];
    assert!(held_out("hit_at_1") >= HIT_AT_1, "hit@1 {}: {misses:#}", held_out("hit_at_1"));
    assert!(held_out("fact_rate") >= FACT_RATE, "fact rate {}: {misses:#}", held_out("fact_rate"));
    assert!(held_out("correct_refusal_rate") >= REFUSALS, "refusals {}", held_out("correct_refusal_rate"));
    assert!(held_out("false_refusal_rate") <= FALSE_REFUSALS, "false refusals {}", held_out("false_refusal_rate"));
}

/// The README's held-out figures, less a little: hit@1 77%, fact 42%, refusals 76%, false
/// refusals 44%.
const HIT_AT_1: f64 = 0.72;
const FACT_RATE: f64 = 0.38;
const REFUSALS: f64 = 0.72;
const FALSE_REFUSALS: f64 = 0.48;

/// A page of the sample council's site, its escapes undone.
fn page(server: &Server, path: &str) -> String {
    http_client::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let body = runtime.block_on(async {
        let response = reqwest::get(format!("{}{path}", server.url)).await.expect("the server answers");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.text().await.expect("a body")
    });
    body.replace("&#x2f;", "/").replace("&quot;", "\"").replace("&#x27;", "'")
}

#[test]
fn a_welsh_question_in_the_chat_is_answered_in_welsh_from_the_welsh_page_which_opens_in_welsh() {
    let server = Server::start("", &[]);
    let chat = Chat::start(&server);
    let replies = chat.say("pryd mae'r biniau'n cael eu casglu yn Oakley Green?");
    let answer = replies[0]["text"].as_str().expect("an answer");
    assert!(answer.contains("Dydd Iau"), "{replies:?}");
    let url = replies[0]["citations"][0]["url"].as_str().expect("a citation");
    assert_eq!(url, "/cy/waste/bin-collection-days");
    let welsh_page = page(&server, url);
    assert!(welsh_page.contains("<html lang=\"cy\""), "screen readers read it as Welsh: {welsh_page}");
    assert!(welsh_page.contains("data-language=\"cy\""), "the widget on it starts in Welsh");
    // The same conversation, asked in English, is answered from the English page.
    let replies = chat.say("what day are bins collected in Oakley Green?");
    assert_eq!(replies[0]["citations"][0]["url"], "/waste/bin-collection-days", "{replies:?}");
    assert!(page(&server, "/waste/bin-collection-days").contains("<html lang=\"en\""));
    // The Welsh pages are a section of their own on the home page, named in Welsh.
    assert!(page(&server, "/").contains(">Cymraeg</a>"), "the Welsh pages' section");
}

#[test]
fn someone_homeless_tonight_who_writes_in_welsh_is_given_the_emergency_contacts() {
    let server = Server::start("", &[]);
    let chat = Chat::start(&server);
    let replies = serde_json::to_string(&chat.say("dwi'n ddigartref heno a does gen i unman i gysgu")).expect("json");
    assert!(replies.contains("Os nad oes gennych chi unman diogel i aros heno"), "{replies}");
    assert!(replies.contains("01632 960999"), "the out-of-hours number: {replies}");
    assert!(replies.contains("Rydw i wedi gofyn i aelod o'n tîm ymuno"), "the handover, in Welsh: {replies}");
}

#[test]
fn the_language_chosen_is_recorded_with_the_conversation_and_switching_is_said_in_it() {
    let server = Server::start("", &[]);
    http_client::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = reqwest::Client::new();
    let url = &server.url;
    runtime.block_on(async {
        // Started in Welsh, as the widget on a Welsh page starts it.
        let started = client.post(format!("{url}/api/v1/conversations")).json(&json!({"language": "cy"})).send().await;
        let body: Value = started.unwrap().json().await.unwrap();
        assert_eq!(body["language"], "cy");
        let id = body["id"].as_str().unwrap().to_string();
        let say = |content: Value| {
            let client = client.clone();
            let id = id.clone();
            async move {
                let response = client
                    .post(format!("{url}/api/v1/conversations/{id}/messages"))
                    .json(&content)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let body: Value = response.json().await.unwrap();
                serde_json::to_string(&body["replies"]).unwrap()
            }
        };
        // A postcode says nothing of its language: the conversation's is kept.
        let replies = say(json!({"text": "I want to report a missed bin"})).await;
        assert!(replies.contains("What is your postcode?"), "written in English, answered in English: {replies}");
        let replies = say(json!({"choice": "cymraeg"})).await;
        assert!(replies.contains("byddwn ni'n parhau yn Gymraeg"), "{replies}");
        assert!(replies.contains("Beth yw eich cod post?"), "the question asked again in Welsh: {replies}");
        let replies = say(json!({"text": "EB4 2QX"})).await;
        assert!(replies.contains("Beth yw rhif neu enw eich tŷ?"), "{replies}");
        let shown: Value =
            client.get(format!("{url}/api/v1/conversations/{id}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(shown["language"], "cy", "recorded with the conversation");

        // A language not served is refused with the reason.
        let refused = client.post(format!("{url}/api/v1/conversations")).json(&json!({"language": "fr"})).send().await;
        let refused = refused.unwrap();
        assert_eq!(refused.status().as_u16(), 422);
        assert!(refused.text().await.unwrap().contains("`cy` (Welsh)"));
    });
}

#[test]
fn the_widget_script_greets_in_the_councils_language_and_puts_welsh_first_where_it_says_so() {
    let server = Server::start("[council]\nlanguage = \"cy\"\nwelsh_first = true\n", &[]);
    let script = page(&server, "/widget.js");
    assert!(script.contains("\"language\":\"cy\""), "the council's language");
    assert!(script.contains("\"welshFirst\":true"));
    assert!(script.contains("Sgwrsio â ni") && script.contains("Chat with us"), "both languages' words");
    // The chat opens in Welsh, with Welsh first in the language switch.
    let embed = page(&server, "/chat/embed");
    assert!(embed.contains("<html lang=\"cy\""), "{embed}");
    let welsh = embed.find("lang=\"cy\" aria-current=\"true\">Cymraeg").expect("Welsh, the current language");
    let english = embed.find(">English</a>").expect("English, one click away");
    assert!(welsh < english, "Welsh first");
}

#[tokio::test]
async fn welsh_conversations_are_marked_offered_first_to_welsh_speakers_and_counted_apart_in_the_figures() {
    let server = Server::start("", &[]);
    server.add_staff("eleri", "Eleri Hughes", "supervisor");
    let resident = crate::console::client();
    // An English conversation waits longest; a Welsh one comes after it.
    let english = crate::console::ask(&resident, &server, "can I speak to a person please").await;
    assert!(serde_json::to_string(&english).unwrap().contains("I've asked a member of our team"));
    let welsh = crate::console::ask(&resident, &server, "Ga i siarad â pherson os gwelwch yn dda").await;
    assert!(serde_json::to_string(&welsh).unwrap().contains("Rydw i wedi gofyn i aelod o'n tîm"), "{welsh:?}");

    let (eleri, csrf) = crate::console::signed_in(&server, "eleri").await;
    let queue = |client: reqwest::Client| {
        let url = format!("{}/console", server.url);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let before = queue(eleri.clone()).await;
    let tag = "lang=\"cy\">Cymraeg</strong>";
    assert!(before.contains(tag), "the queue shows the conversation is in Welsh");
    let longest_waiting_first = before.find("Asked for a person").map(|at| before[at..].find(tag));
    assert!(longest_waiting_first.flatten().is_some(), "before Eleri says she speaks Welsh, the oldest is first");

    let saved = eleri
        .post(format!("{}/console/languages", server.url))
        .form(&[("csrf", csrf.as_str()), ("welsh", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status().as_u16(), 303, "back to the queue");
    let after = queue(eleri.clone()).await;
    assert!(after.contains("id=\"cb-welsh\" name=\"welsh\" type=\"checkbox\" value=\"yes\" checked"));
    let rows = &after[after.find("<tbody").expect("the queue's rows")..];
    let first_row = &rows[..rows.find("</tr>").expect("a row")];
    assert!(first_row.contains(tag), "the Welsh conversation is offered first to a Welsh speaker: {first_row}");

    // The escalation says the resident writes in Welsh.
    let escalation = {
        let marker = "/console/escalations/";
        let start = first_row.find(marker).expect("a link") + marker.len();
        first_row[start..start + first_row[start..].find(['"', '?']).unwrap()].to_string()
    };
    let shown = eleri.get(format!("{}/console/escalations/{escalation}", server.url)).send().await.unwrap();
    let shown = shown.text().await.unwrap();
    assert!(shown.contains("The resident is writing in Welsh"), "{shown}");

    // The figures compare the two languages.
    let figures = eleri.get(format!("{}/console/figures", server.url)).send().await.unwrap().text().await.unwrap();
    let row = |code: &str| {
        let start = figures.find(&format!("id=\"figure-language-{code}\"")).expect("a row for each language");
        figures[start..start + figures[start..].find("</tr>").unwrap()].to_string()
    };
    assert!(row("cy").contains(">1</td>") && row("cy").contains("1 (100%)"), "{}", row("cy"));
    assert!(row("en").contains(">1</td>"), "{}", row("en"));
}

#[tokio::test]
async fn the_console_is_switched_to_welsh_by_each_member_of_staff() {
    let server = Server::start("", &[]);
    server.add_staff("eleri", "Eleri Hughes", "supervisor");
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let (eleri, _) = crate::console::signed_in(&server, "eleri").await;
    let queue = |client: &reqwest::Client| {
        let request = client.get(format!("{}/console", server.url));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let english = queue(&eleri).await;
    assert!(english.contains("<html lang=\"en\"") && english.contains("Conversations waiting for a person"));
    let switch = english.find("hreflang=\"cy\"").expect("the console's language switch");
    let href_start = english[..switch].rfind("href=\"").expect("its address") + "href=\"".len();
    let href = english[href_start..].split('"').next().unwrap().replace("&amp;", "&").replace("&#x2f;", "/");
    let switched = eleri.get(format!("{}{href}", server.url)).send().await.unwrap();
    assert_eq!(switched.status().as_u16(), 303);
    assert_eq!(switched.headers()["location"], "/console", "back to the page the switch was on");

    let welsh = queue(&eleri).await;
    assert!(welsh.contains("<html lang=\"cy\""), "marked as Welsh for screen readers");
    assert!(welsh.contains("Sgyrsiau sy&#x27;n aros am berson") || welsh.contains("Sgyrsiau sy'n aros am berson"));
    assert!(welsh.contains(">Ciw</a>"), "the navigation in Welsh");
    // Each member of staff chooses for themselves.
    let (sam, _) = crate::console::signed_in(&server, "sam").await;
    assert!(queue(&sam).await.contains("Conversations waiting for a person"));

    // The switch never sends anyone off the console.
    let away = eleri.get(format!("{}/console/language?to=cy&back=//evil.example/", server.url)).send().await.unwrap();
    assert_eq!(away.headers()["location"], "/console");
}
