//! `councilbot privacy`: what is held about someone, exported and erased from the command line.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Councilbot, Server};

#[test]
fn a_subject_access_export_and_an_erasure_from_the_command_line() {
    let server = Server::start("", &[]);
    http_client::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let created: Value =
            client.post(format!("{}/api/v1/conversations", server.url)).send().await.unwrap().json().await.unwrap();
        let id = created["id"].as_str().unwrap();
        for text in ["please call me back on 07700 900456", "thanks"] {
            let response = client
                .post(format!("{}/api/v1/conversations/{id}/messages", server.url))
                .json(&json!({"text": text}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    });
    let councilbot = Councilbot { data: tempfile::tempdir().unwrap() };
    let database = server.database_url();
    let run = |args: &[&str]| {
        let mut full = vec!["--database-url", database.as_str(), "privacy"];
        full.extend_from_slice(args);
        councilbot.run(&full)
    };

    let out = councilbot.data.path().join("export.json");
    let exported = run(&["export", "+44 7700 900456", "--out", out.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["contact"], "07700900456");
    assert_eq!(report["conversations"].as_array().unwrap().len(), 1);
    let transcript = report["conversations"][0]["messages"].to_string();
    assert!(transcript.contains("call me back on 07700 900456"), "{transcript}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o077, 0, "only its owner can read it");
    }

    let unsure = run(&["erase", "07700900456"]);
    assert!(!unsure.status.success(), "nothing is erased without --yes");
    assert!(String::from_utf8_lossy(&unsure.stderr).contains("would erase 1 conversation(s)"));
    let erased = run(&["erase", "07700900456", "--yes", "--json"]);
    assert!(erased.status.success(), "{}", String::from_utf8_lossy(&erased.stderr));
    let erased: Value = serde_json::from_slice(&erased.stdout).unwrap();
    assert_eq!(erased["conversations"], 1);

    let again = run(&["export", "07700900456"]);
    let report: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert!(report["conversations"].as_array().unwrap().is_empty());

    let wrong = run(&["export", "not-a-contact"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("neither an email address nor a UK phone number"));
}

/// What the resident of the personal-data test gives, each as it would be searched for.
const PERSONAL: [&str; 11] = [
    "Thistlewood",
    "margaret.thistlewood@example.com",
    "QQ 12 34 56 C",
    "QQ123456C",
    "4111 1111 1111 1111",
    "4111111111111111",
    "07700 900982",
    "07700900982",
    "7700900982",
    "Larkspur",
    "1 Larkspur",
];

fn holding(what: &str, text: &str) -> Vec<&'static str> {
    let found: Vec<&'static str> = PERSONAL.iter().copied().filter(|value| text.contains(value)).collect();
    if !found.is_empty() {
        eprintln!("{what} holds {found:?}");
    }
    found
}

#[test]
fn personal_data_stays_out_of_logs_evidence_and_figures_and_card_numbers_are_never_stored() {
    let portal = crate::support::PracticePortal::start();
    let server = crate::support::council_with(&portal, "", &[("COUNCILBOT_LOG", "debug")]);
    let chat = crate::support::Chat::start(&server);
    chat.say("Hello, my name is Margaret Thistlewood and my email is margaret.thistlewood@example.com");
    chat.say("My National Insurance number is QQ 12 34 56 C and my card is 4111 1111 1111 1111");
    // EB9 1AA is not on the housing register, so the repair waits for a person with evidence.
    chat.say("my kitchen tap is leaking");
    chat.say("EB9 1AA");
    chat.say("1 Larkspur Avenue");
    chat.say("plumbing");
    chat.say("The tap drips all night; write to margaret.thistlewood@example.com or call 07700 900982");
    chat.say("07700 900982");
    let started = chat.say("yes");
    let reference = started[0]["reference"].as_str().expect("a reference").to_string();
    chat.wait_for("the run to wait", |message| message["kind"] == "workflow_status" && message["status"] == "waiting");

    let transcript = serde_json::to_string(&chat.transcript()).unwrap();
    assert!(transcript.contains("Thistlewood"), "the resident's own transcript keeps what they said");
    assert!(!crate::support::holds_card_number(&transcript), "but never a card number: {transcript}");

    // Run evidence: the page and screenshot kept for staff, and the run's record.
    let councilbot = Councilbot { data: tempfile::tempdir().unwrap() };
    let evidence = councilbot.data.path().join("evidence");
    let database = server.database_url();
    let shown = councilbot.run(&[
        "--database-url",
        &database,
        "workflow",
        "show",
        &reference,
        "--save-evidence",
        evidence.to_str().unwrap(),
    ]);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    let mut saved = 0;
    for entry in std::fs::read_dir(&evidence).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        saved += 1;
        assert!(holding("evidence", &String::from_utf8_lossy(&bytes)).is_empty());
    }
    assert!(saved > 0, "the refused run kept evidence");

    // Figures and metrics, which leave for analytics.
    let output = councilbot.run(&["--database-url", &database, "staff", "token", "analytics", "--role", "admin"]);
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    chat.runtime.block_on(async {
        let client = reqwest::Client::new();
        let metrics = client.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
        assert!(holding("metrics", &metrics).is_empty());
        let figures =
            client.get(format!("{}/console/figures.csv", server.url)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(figures.status(), 200);
        assert!(holding("figures", &figures.text().await.unwrap()).is_empty());
    });

    // Logs, at the debug level, from the whole conversation and run.
    assert!(holding("the log", &server.log()).is_empty());

    // The database itself never holds a card number.
    drop(chat);
    let data = server.data.path().to_path_buf();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with("councilbot.db") {
            let bytes = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(
                !bytes.contains("4111 1111 1111 1111") && !bytes.contains("4111111111111111"),
                "{}",
                path.display()
            );
        }
    }
}
