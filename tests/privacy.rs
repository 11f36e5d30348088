//! `councilbot privacy`: what is held about someone, exported and erased from the command line.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Councilbot, Server};

#[test]
fn a_subject_access_export_and_an_erasure_from_the_command_line() {
    let server = Server::start("", &[]);
    rpa::http::install_crypto_provider();
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
