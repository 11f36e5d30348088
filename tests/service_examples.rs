//! Examples added to services: a message the assistant did not recognise, added from the
//! figures as an example of a service, starts that service in the chat at once; examples are
//! removed on their page, and imported, exported and listed by `councilbot examples`.

use crate::console::{ask, client, csrf_of, say, sign_in, start_conversation};
use crate::support::{Councilbot, STAFF_PASSWORD, Server};

/// A resident's way of saying their bin was missed that the workflow's examples do not catch.
const NOT_UNDERSTOOD: &str = "the binmen forgot us again";
/// What the missed-bin service asks first.
const FIRST_QUESTION: &str = "What is your postcode?";
/// A resident's message the assistant is not sure asks for a missed bin: it asks first.
const PERHAPS: &str = "my food caddy got left behind on collection day";

fn texts(replies: &[serde_json::Value]) -> String {
    replies.iter().filter_map(|reply| reply["text"].as_str()).collect::<Vec<_>>().join("\n")
}

/// Sends the form of the examples page to `path`: `/console/examples` adds the example,
/// `/console/examples/remove` removes it.
async fn send_example(
    client: &reqwest::Client,
    server: &Server,
    path: &str,
    csrf: &str,
    service: &str,
    example: &str,
) -> reqwest::Response {
    let form = [("csrf", csrf), ("service", service), ("example", example)];
    client.post(format!("{}{path}", server.url)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn a_message_added_as_an_example_from_the_figures_starts_its_service_in_the_chat() {
    let server = Server::start("", &[]);
    server.add_staff("eve", "Eve Edwards", "editor");
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let resident = client();
    let before = texts(&ask(&resident, &server, NOT_UNDERSTOOD).await);
    assert!(!before.contains(FIRST_QUESTION), "{before}");

    // A supervisor sees the message on the figures but cannot add it.
    let supervisor = client();
    sign_in(&supervisor, &server, "sam", STAFF_PASSWORD).await;
    let figures = supervisor.get(format!("{}/console/figures", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(figures.contains(NOT_UNDERSTOOD) && !figures.contains("Add as an example"), "{figures}");
    let csrf = csrf_of(&supervisor, &server).await;
    let refused =
        send_example(&supervisor, &server, "/console/examples", &csrf, "report_missed_bin", NOT_UNDERSTOOD).await;
    assert_eq!(refused.status(), 403);

    let editor = client();
    sign_in(&editor, &server, "eve", STAFF_PASSWORD).await;
    let figures = editor.get(format!("{}/console/figures", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(figures.contains("Add as an example"), "{figures}");
    assert!(figures.contains("<option value=\"report_missed_bin\">Report a missed bin collection</option>"));
    let csrf = csrf_of(&editor, &server).await;

    // Without a service chosen, the page says so next to the list of services.
    let unchosen = send_example(&editor, &server, "/console/examples", &csrf, "", NOT_UNDERSTOOD).await;
    assert_eq!(unchosen.status(), 422);
    let page = unchosen.text().await.unwrap();
    assert!(page.contains("<a href=\"#service\">Choose the service the example asks for</a>"), "{page}");
    assert!(page.contains(&format!("value=\"{NOT_UNDERSTOOD}\"")), "the example is kept: {page}");

    let added = send_example(&editor, &server, "/console/examples", &csrf, "report_missed_bin", NOT_UNDERSTOOD).await;
    assert_eq!(added.status(), 303);
    let location = added.headers()["location"].to_str().unwrap().to_string();
    let page = editor.get(format!("{}{location}", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("now recognises it as a request to report a missed bin collection"), "{page}");
    assert!(page.contains(NOT_UNDERSTOOD), "{page}");

    // The running server starts the service when a resident says it now.
    let after = texts(&ask(&resident, &server, NOT_UNDERSTOOD).await);
    assert!(after.contains(FIRST_QUESTION), "{after}");

    // Removed, it is not recognised any more; both changes are audited under the editor's name.
    let removed =
        send_example(&editor, &server, "/console/examples/remove", &csrf, "report_missed_bin", NOT_UNDERSTOOD).await;
    assert_eq!(removed.status(), 303);
    let again = texts(&ask(&resident, &server, NOT_UNDERSTOOD).await);
    assert!(!again.contains(FIRST_QUESTION), "{again}");
    let listed = Councilbot::new().json(&["--database-url", &server.database_url(), "examples", "list", "--json"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    let database = storage::Database::connect(&server.database_url()).await.unwrap();
    let audited = storage::sqlx::query(
        "SELECT action FROM audit_log WHERE actor = 'eve' AND target = 'report_missed_bin' ORDER BY id",
    )
    .fetch_all(database.pool())
    .await
    .unwrap();
    let actions: Vec<String> = audited.iter().map(|row| storage::sqlx::Row::get(row, "action")).collect();
    assert_eq!(actions, vec!["add_service_example", "remove_service_example"]);
}

#[tokio::test]
async fn a_request_a_resident_confirmed_when_asked_is_suggested_as_an_example_and_once_added_starts_at_once() {
    let server = Server::start("", &[]);
    server.add_staff("eve", "Eve Edwards", "editor");
    server.add_staff("sam", "Sam Taylor", "supervisor");
    let resident = client();
    let conversation = start_conversation(&resident, &server).await;
    let asked = texts(&say(&resident, &server, &conversation, PERHAPS).await);
    assert!(asked.contains("Do you want to report a missed bin collection?"), "{asked}");
    let started = texts(&say(&resident, &server, &conversation, "yes").await);
    assert!(started.contains(FIRST_QUESTION), "{started}");

    // A supervisor sees the confirmed request; an editor can add it, with its service chosen.
    let figures_of = |client: reqwest::Client| {
        let url = format!("{}/console/figures", server.url);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let supervisor = client();
    sign_in(&supervisor, &server, "sam", STAFF_PASSWORD).await;
    let seen = figures_of(supervisor.clone()).await;
    assert!(seen.contains("Requests confirmed after asking") && seen.contains(PERHAPS), "{seen}");
    assert!(seen.contains("Report a missed bin collection"), "the service it was confirmed for: {seen}");
    let editor = client();
    sign_in(&editor, &server, "eve", STAFF_PASSWORD).await;
    let figures = figures_of(editor.clone()).await;
    let confirmed = &figures[figures.find("id=\"cb-confirmed\"").expect("the confirmed requests")..];
    assert!(confirmed.contains("name=\"service\" value=\"report_missed_bin\""), "{confirmed}");
    let csrf = csrf_of(&editor, &server).await;
    let added = send_example(&editor, &server, "/console/examples", &csrf, "report_missed_bin", PERHAPS).await;
    assert_eq!(added.status(), 303);

    // Said again, by anyone, the service starts at once; the request is no longer suggested.
    let now = texts(&ask(&client(), &server, PERHAPS).await);
    assert!(now.contains(FIRST_QUESTION) && !now.contains("Do you want to"), "{now}");
    let figures = figures_of(editor.clone()).await;
    assert!(!figures.contains("id=\"cb-confirmed\""), "an example already: {figures}");
}

#[test]
fn examples_import_export_and_list_and_a_malformed_file_imports_nothing() {
    let councilbot = Councilbot::new();
    let files = tempfile::tempdir().unwrap();
    std::fs::write(
        files.path().join("report_missed_bin.yaml"),
        format!("service: report_missed_bin\nexamples:\n  - {NOT_UNDERSTOOD}\n  - the crew skipped our street again\n"),
    )
    .unwrap();
    let dir = files.path().to_str().unwrap();
    let imported = councilbot.json(&["examples", "import", dir, "--json"]);
    assert_eq!(imported[0]["service"], "report_missed_bin");
    assert_eq!(imported[0]["added"].as_array().map(Vec::len), Some(2), "{imported}");

    let listed = councilbot.json(&["examples", "list", "--json"]);
    let listed: Vec<(&str, &str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|added| {
            (
                added["service"].as_str().unwrap(),
                added["example"].as_str().unwrap(),
                added["added_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("report_missed_bin", NOT_UNDERSTOOD, "cli"),
            ("report_missed_bin", "the crew skipped our street again", "cli"),
        ]
    );

    // What is exported imports as unchanged, and reads the same.
    let exported = tempfile::tempdir().unwrap();
    let output = councilbot.run(&["examples", "export", exported.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let written = std::fs::read_to_string(exported.path().join("report_missed_bin.yaml")).unwrap();
    assert!(written.contains(&format!("\"{NOT_UNDERSTOOD}\"")), "{written}");
    let again = councilbot.json(&["examples", "import", exported.path().to_str().unwrap(), "--json"]);
    assert_eq!(again[0]["added"].as_array().map(Vec::len), Some(0), "{again}");
    assert_eq!(again[0]["removed"].as_array().map(Vec::len), Some(0), "{again}");

    // A file without one of them removes it; a malformed file beside it stops the whole import.
    std::fs::write(
        files.path().join("report_missed_bin.yaml"),
        "service: report_missed_bin\nexamples:\n  - the crew skipped our street again\n",
    )
    .unwrap();
    std::fs::write(files.path().join("book_bulky_waste.yaml"), "service: book_bulky_waste\nexample: [a sofa]\n")
        .unwrap();
    let refused = councilbot.run(&["examples", "import", dir]);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("book_bulky_waste.yaml:2:1"), "{error}");
    assert!(error.contains("nothing was imported"), "{error}");
    assert_eq!(councilbot.json(&["examples", "list", "--json"]).as_array().map(Vec::len), Some(2));

    std::fs::remove_file(files.path().join("book_bulky_waste.yaml")).unwrap();
    let imported = councilbot.json(&["examples", "import", dir, "--json"]);
    assert_eq!(imported[0]["removed"][0], NOT_UNDERSTOOD, "{imported}");
    assert_eq!(councilbot.json(&["examples", "list", "--json"]).as_array().map(Vec::len), Some(1));
}
