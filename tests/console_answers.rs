//! Curated answers written in the console: an editor writes one and the chat gives it at once,
//! a supervisor only reads them, mistakes are shown beside their fields, a change made while
//! someone else saved is shown rather than lost, and a question the assistant could not answer
//! on the figures opens a new answer with it filled in.

use serde_json::Value;

use crate::console::{ask, client, hidden, signed_in};
use crate::support::{Councilbot, Server};

/// A question the sample council's pages do not answer.
const UNANSWERED: &str = "do you sell fishing licences for the canal";
/// Words only the answer written in the console says.
const WRITTEN: &str = "Fishing licences for the canal are sold by the Canal and River Trust";
const PAGE: &str = "https://www.eastbrook.gov.uk/contact/contact-us";

/// The text of the first reply, with the addresses it cites.
fn first_text(replies: &[Value]) -> (String, Vec<String>) {
    let reply = &replies[0];
    let urls = reply["citations"]
        .as_array()
        .map(|citations| citations.iter().filter_map(|citation| citation["url"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    (reply["text"].as_str().unwrap_or_default().to_string(), urls)
}

/// The fields of a new answer, as the form sends them.
fn new_answer(csrf: &str, id: &str, answer: &str, examples: &str, url: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf),
        ("id", id),
        ("answer", answer),
        ("examples", examples),
        ("source_url", url),
        ("source_title", "Contact us"),
        ("audience", "resident"),
        ("enabled", "on"),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect()
}

#[tokio::test]
async fn an_editor_writes_an_answer_in_the_console_and_the_chat_gives_it_at_once() {
    let server = Server::start("", &[]);
    server.add_staff("eve", "Eve Edwards", "editor");
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let resident = client();
    let (text, _) = first_text(&ask(&resident, &server, UNANSWERED).await);
    assert!(!text.contains(WRITTEN), "{text}");

    // A supervisor reads the answers but cannot write one.
    let (supervisor, supervisor_csrf) = signed_in(&server, "sam").await;
    let list = supervisor.get(format!("{}/console/answers", server.url)).send().await.unwrap();
    assert_eq!(list.status(), 200);
    assert!(!list.text().await.unwrap().contains("Write a new answer"));
    let form = new_answer(&supervisor_csrf, "canal-fishing", WRITTEN, UNANSWERED, PAGE);
    let refused = supervisor.post(format!("{}/console/answers/new", server.url)).form(&form).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let new_page = supervisor.get(format!("{}/console/answers/new", server.url)).send().await.unwrap();
    assert_eq!(new_page.status(), 403);

    let (editor, csrf) = signed_in(&server, "eve").await;
    let form = new_answer(&csrf, "canal-fishing", &format!("{WRITTEN}, not by the council."), UNANSWERED, PAGE);
    let saved = editor.post(format!("{}/console/answers/new", server.url)).form(&form).send().await.unwrap();
    assert_eq!(saved.status(), 303);
    assert_eq!(saved.headers()["location"], "/console/answers/canal-fishing?done=added");

    // The running server gives it to the next resident who asks, with its page.
    let (text, urls) = first_text(&ask(&resident, &server, "Do you sell fishing licences for the canal?").await);
    assert!(text.starts_with(WRITTEN), "{text}");
    assert_eq!(urls, vec!["/contact/contact-us".to_string()], "its page, served here");

    // The same id cannot be taken twice.
    let again = editor.post(format!("{}/console/answers/new", server.url)).form(&form).send().await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("There is already an answer `canal-fishing`"));

    // The supervisor sees it, and who wrote it, without a form.
    let page = supervisor.get(format!("{}/console/answers/canal-fishing", server.url)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("saved by eve") && page.contains(WRITTEN), "{page}");
    assert!(!page.contains("Save a new version"), "{page}");

    // Switched off in the console, it is no longer given.
    let page = editor.get(format!("{}/console/answers/canal-fishing", server.url)).send().await.unwrap();
    let version = hidden(&page.text().await.unwrap(), "version");
    let switched = editor
        .post(format!("{}/console/answers/canal-fishing/switch", server.url))
        .form(&[("csrf", csrf.as_str()), ("version", version.as_str()), ("enabled", "off")])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    let (text, _) = first_text(&ask(&resident, &server, UNANSWERED).await);
    assert!(!text.contains(WRITTEN), "{text}");

    let listed = Councilbot::new().json(&["--database-url", &server.database_url(), "answers", "list", "--json"]);
    let written = listed.as_array().unwrap().iter().find(|answer| answer["id"] == "canal-fishing").cloned().unwrap();
    assert_eq!((written["version"].as_i64(), written["enabled"].as_bool()), (Some(2), Some(false)));
    assert_eq!(written["changed_by"], "eve");
}

#[tokio::test]
async fn mistakes_are_shown_beside_their_fields_and_a_change_made_meanwhile_is_not_lost() {
    let server = Server::start("", &[]);
    server.add_staff("eve", "Eve Edwards", "editor");
    server.add_staff("alex", "Alex Khan", "admin");
    let (editor, csrf) = signed_in(&server, "eve").await;

    let form = new_answer(&csrf, "Canal Fishing", "  ", "\n\n", "www.canalrivertrust.org.uk");
    let refused = editor.post(format!("{}/console/answers/new", server.url)).form(&form).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("<title>Error: "), "the title says there is an error");
    assert!(page.contains("govuk-error-summary"), "{page}");
    for (field, message) in [
        ("id", "The id must be lowercase letters"),
        ("answer", "The answer is empty"),
        ("source-url", "The source url must be the address of a page"),
        ("examples", "Give at least one example question"),
    ] {
        assert!(page.contains(&format!("<a href=\"#{field}\">{message}")), "{field} in the summary: {page}");
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field} has its own message: {page}");
    }
    assert!(page.contains("value=\"www.canalrivertrust.org.uk\""), "what was typed is kept");

    let form = new_answer(&csrf, "canal-fishing", WRITTEN, UNANSWERED, PAGE);
    assert_eq!(
        editor.post(format!("{}/console/answers/new", server.url)).form(&form).send().await.unwrap().status(),
        303
    );

    // Two people open the answer at version 1; the admin saves first.
    let (admin, admin_csrf) = signed_in(&server, "alex").await;
    let mut change = new_answer(&admin_csrf, "", "The Canal and River Trust sells them online.", UNANSWERED, PAGE);
    change.push(("version".into(), "1".into()));
    let first = admin.post(format!("{}/console/answers/canal-fishing", server.url)).form(&change).send().await.unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/console/answers/canal-fishing?done=changed");

    let mut late = new_answer(&csrf, "", "Ask the Canal and River Trust.", UNANSWERED, PAGE);
    late.push(("version".into(), "1".into()));
    let conflict =
        editor.post(format!("{}/console/answers/canal-fishing", server.url)).form(&late).send().await.unwrap();
    assert_eq!(conflict.status(), 409);
    let page = conflict.text().await.unwrap();
    assert!(page.contains("alex saved version 2 of this answer"), "{page}");
    assert!(page.contains(">Ask the Canal and River Trust.</textarea>"), "the late change is kept on the page");
    assert!(page.contains("The Canal and River Trust sells them online."), "the history shows version 2");
    assert_eq!(hidden(&page, "version"), "2", "saving again is made from the version now shown");

    let stored = Councilbot::new().json(&["--database-url", &server.database_url(), "answers", "list", "--json"]);
    let stored = stored.as_array().unwrap().iter().find(|answer| answer["id"] == "canal-fishing").cloned().unwrap();
    assert_eq!(stored["answer"], "The Canal and River Trust sells them online.");

    late.retain(|(name, _)| name != "version");
    late.push(("version".into(), "2".into()));
    let saved = editor.post(format!("{}/console/answers/canal-fishing", server.url)).form(&late).send().await.unwrap();
    assert_eq!(saved.status(), 303);
    let page = editor.get(format!("{}/console/answers/canal-fishing", server.url)).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("Version 3, saved by eve"), "{page}");
    let audit = admin.get(format!("{}/console/audit", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(audit.contains(">add curated answer<") && audit.contains(">change curated answer<"), "{audit}");
}

#[tokio::test]
async fn a_question_the_assistant_could_not_answer_opens_a_new_answer_from_the_figures() {
    let server = Server::start("", &[]);
    server.add_staff("eve", "Eve Edwards", "editor");
    server.add_staff("sam", "Sam Taylor", "supervisor");
    ask(&client(), &server, UNANSWERED).await;

    let (supervisor, _) = signed_in(&server, "sam").await;
    let figures = supervisor.get(format!("{}/console/figures", server.url)).send().await.unwrap();
    let figures = figures.text().await.unwrap();
    assert!(figures.contains(UNANSWERED) && !figures.contains("Write an answer"), "editors only");

    let (editor, _) = signed_in(&server, "eve").await;
    let figures = editor.get(format!("{}/console/figures", server.url)).send().await.unwrap().text().await.unwrap();
    let marker = "href=\"";
    let link = figures
        .split(marker)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].replace("&#x2f;", "/").replace("&amp;", "&"))
        .find(|href| href.starts_with("/console/answers/new?"))
        .unwrap_or_else(|| panic!("no link to write an answer: {figures}"));
    let form = editor.get(format!("{}{link}", server.url)).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    assert!(form.contains(&format!(">{UNANSWERED}</textarea>")), "the question is the first example: {form}");
    assert!(form.contains("value=\"do-you-sell-fishing-licences-for-the-canal\""), "an id is suggested: {form}");
}
