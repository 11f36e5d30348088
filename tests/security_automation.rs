//! Security: what residents give cannot act on the council's systems, and what is kept is kept privately.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{
    Chat, Councilbot, LocalService, PracticePortal, Server, council, council_workflows, holds_card_number,
    sample_content,
};

/// A card number, spelled as people and pasted text spell it.
const CARD_SPELLINGS: [&str; 8] = [
    "4111.1111.1111.1111",
    "4111  1111  1111  1111",
    "4111 - 1111 - 1111 - 1111",
    "4111/1111/1111/1111",
    "4111_1111_1111_1111",
    "4111\u{200B}1111\u{200B}1111\u{200B}1111",
    "card4111111111111111",
    "41111111111111117",
];

#[test]
fn card_numbers_spelled_with_separators_or_invisible_characters_are_never_stored() {
    let server = Server::start("", &[("COUNCILBOT_LOG", "debug")]);
    let chat = Chat::start(&server);
    for spelled in CARD_SPELLINGS {
        chat.say(&format!("my card is {spelled} can I pay my council tax"));
    }
    let transcript = serde_json::to_string(&chat.transcript()).unwrap();
    assert!(transcript.contains("[card number removed]"), "{transcript}");
    let digits: String = transcript.chars().filter(char::is_ascii_digit).collect();
    assert!(!digits.contains("4111111111111111"), "a card number was stored: {transcript}");
    let log = server.log();
    assert!(!holds_card_number(&log), "a card number was logged: {log}");
}

/// The details of the one case ECSS logged for a run, by field.
fn case_details(portal: &PracticePortal, reference: &str) -> std::collections::BTreeMap<String, String> {
    let cases = portal.portal.cases_with_external_reference(reference);
    assert_eq!(cases.len(), 1, "one case for the run: {cases:?}");
    cases[0].details.iter().cloned().collect()
}

#[test]
fn a_key_character_in_a_residents_answer_never_presses_a_key_in_the_back_office() {
    let portal = PracticePortal::start();
    let before = portal.portal.cases().len();
    let server = council(&portal);
    let chat = Chat::start(&server);
    let refused = "can't be sent to the council's systems";
    chat.say("my kitchen tap is leaking");
    chat.say("EB4 2QX");
    // U+E004 is Tab to WebDriver: typed, the rest would land in the next field.
    let again = chat.say("Flat 7\u{E004}Rose Court");
    assert!(again[0]["text"].as_str().unwrap_or_default().contains(refused), "{again:?}");
    chat.say("Flat 7\tRose Court");
    chat.say("plumbing");
    // U+E007 is Enter: typed, it would submit the form before the phone number is in.
    let again = chat.say("The tap drips all night\u{E007}and the sink floods");
    assert!(again[0]["text"].as_str().unwrap_or_default().contains(refused), "{again:?}");
    chat.say("The tap drips all night,\nand the sink floods\tby morning");
    let summary = chat.say("01632 960555");
    assert_eq!(summary[0]["kind"], "confirm", "{summary:?}");
    let started = chat.say("yes");
    let reference = started[0]["reference"].as_str().expect("a reference").to_string();
    chat.wait_for("the finished run", |message| {
        message["kind"] == "workflow_status" && message["status"] == "succeeded"
    });

    assert_eq!(portal.portal.cases().len(), before + 1, "ECSS logged one case, and no early submission");
    let details = case_details(&portal, &reference);
    assert_eq!(details["house"], "Flat 7 Rose Court", "nothing moved on to the next field: {details:?}");
    assert_eq!(details["category"], "Plumbing", "{details:?}");
    assert_eq!(details["phone"], "01632960555", "{details:?}");
    let description = &details["description"];
    assert!(description.starts_with("The tap drips all night,"), "{details:?}");
    assert!(description.ends_with("and the sink floods by morning"), "{details:?}");
    assert!(!description.chars().any(|c| ('\u{E000}'..='\u{E05D}').contains(&c) || c == '\t'), "{details:?}");
}

#[test]
fn a_key_character_in_a_command_line_input_is_refused() {
    let portal = PracticePortal::start();
    let before = portal.portal.cases().len();
    let councilbot = Councilbot::new();
    let file = council_workflows().join("report_housing_repair.yaml");
    let output = councilbot.workflow(
        &portal,
        &[
            "run",
            file.to_str().unwrap(),
            "-i",
            "postcode=EB4 2QX",
            "-i",
            "house=7",
            "-i",
            "category=Plumbing",
            "-i",
            "description=a\u{E007}b and more words",
            "-i",
            "phone=01632 960 555",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("input `description` holds U+E007"), "{stderr}");
    assert!(stderr.contains("would press as a key"), "{stderr}");
    assert_eq!(portal.portal.cases().len(), before, "nothing reached ECSS");
    let runs = councilbot.json(&["workflow", "runs", "--json"]);
    assert_eq!(runs, serde_json::json!([]), "no run was recorded");
}

#[test]
fn a_workflow_going_to_a_host_not_allowed_fails_naming_the_step_and_the_host_and_makes_no_request() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let intranet = LocalService::start(axum::Router::new().route(
        "/people",
        axum::routing::get(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { "people" }
        }),
    ));
    let councilbot = Councilbot::new();
    let directory = tempfile::tempdir().unwrap();
    let config = directory.path().join("councilbot.toml");
    std::fs::write(&config, "[automation]\nallowed_hosts = [\"ecss.eastbrook.gov.uk\", \"*.eastbrook.gov.uk\"]\n")
        .unwrap();
    let host = intranet.url.trim_start_matches("http://");
    let workflow = directory.path().join("look_up.yaml");
    std::fs::write(
        &workflow,
        format!(
            "name: look_up\nversion: 1\ndescription: Look someone up.\nsteps:\n  - open: {url}/people\n  - http: {{ url: {url}/people }}\n",
            url = intranet.url
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let workflow = workflow.to_str().unwrap();

    let validated = councilbot.run(&["--config", config, "workflow", "validate", workflow]);
    let errors = String::from_utf8_lossy(&validated.stderr);
    assert!(!validated.status.success(), "{errors}");
    for (line, kind) in [(5, "open"), (6, "http")] {
        let expected = format!(
            "look_up.yaml:{line}:{}: error: `{kind}` may not go to {host}: the host is not in [automation] allowed_hosts",
            if kind == "open" { 11 } else { 18 }
        );
        assert!(errors.contains(&expected), "{expected} in {errors}");
    }

    let ran = councilbot.run(&["--config", config, "workflow", "run", workflow]);
    let shown = format!("{}{}", String::from_utf8_lossy(&ran.stdout), String::from_utf8_lossy(&ran.stderr));
    assert!(!ran.status.success(), "{shown}");
    assert!(
        shown.contains(&format!(
            "step 1 (open {}/people) failed: `open` may not go to {host}: the host is not in [automation] allowed_hosts",
            intranet.url
        )),
        "{shown}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request reached the host");
}

/// `councilbot serve` over the sample council with its data in `data_dir`, and what it logged
/// up to listening.
fn serve_with_data_in(root: &Path, data_dir: &Path) -> (Child, Vec<String>) {
    let config = root.join("councilbot.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[content]\ndirectories = [{:?}]\n",
            sample_content().display().to_string()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_councilbot"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--config")
        .arg(&config)
        .arg("--workflows")
        .arg(council_workflows())
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env_remove("COUNCILBOT_INDEX_DIR")
        .env_remove("COUNCILBOT_LEGACY_PORTAL")
        .env("COUNCILBOT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("councilbot serve starts");
    let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut seen = Vec::new();
    loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("councilbot serve stopped before listening:\n{}", seen.join("\n"));
        };
        if line.contains(" at http://") {
            break;
        }
        seen.push(line);
    }
    (child, seen)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|error| panic!("{}: {error}", path.display())).permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn data_files_are_readable_only_by_councilbots_user() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("fresh").join("data");
    let (mut server, _) = serve_with_data_in(root.path(), &data);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(mode(&data), 0o700, "the data directory");
    assert_eq!(mode(&data.join("index")), 0o700, "the index directory");
    for file in ["councilbot.db", "councilbot.db-wal", "councilbot.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let mut pending = vec![data.clone()];
    let mut files = 0;
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path) & 0o077, 0, "{} may be read by others", path.display());
            if path.is_dir() {
                pending.push(path);
            } else {
                files += 1;
            }
        }
    }
    assert!(files > 3, "the index and the database were made");

    // Evidence saved from a run: a screenshot of a page.
    let site = LocalService::start(
        axum::Router::new().route("/page", axum::routing::get(|| async { axum::response::Html("<p>Your case</p>") })),
    );
    let workflow = root.path().join("snap.yaml");
    std::fs::write(
        &workflow,
        format!(
            "name: snap\nversion: 1\ndescription: Keep a picture.\nsteps:\n  - open: {}/page\n  - screenshot: {{ name: page }}\n",
            site.url
        ),
    )
    .unwrap();
    let councilbot = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_councilbot"))
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let ran = councilbot(&["workflow", "run", workflow.to_str().unwrap(), "--json"]);
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let runs: serde_json::Value = serde_json::from_slice(&councilbot(&["workflow", "runs", "--json"]).stdout).unwrap();
    let reference = runs[0]["reference"].as_str().unwrap();
    let evidence = root.path().join("evidence");
    let shown = councilbot(&["workflow", "show", reference, "--save-evidence", evidence.to_str().unwrap()]);
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    assert_eq!(mode(&evidence), 0o700, "the evidence directory");
    let saved: Vec<_> = std::fs::read_dir(&evidence).unwrap().map(|entry| entry.unwrap().path()).collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(mode(&saved[0]), 0o600, "{}", saved[0].display());
}

#[cfg(unix)]
#[test]
fn a_data_directory_others_may_read_is_warned_of_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (mut server, logged) = serve_with_data_in(root.path(), &data);
    let _ = server.kill();
    let _ = server.wait();
    let logged = logged.join("\n");
    let warning = format!("{} has mode 755, so other users may read what councilbot keeps there", data.display());
    assert!(logged.contains("WARN") && logged.contains(&warning), "{logged}");
    assert!(logged.contains(&format!("chmod 700 {}", data.display())), "{logged}");
    assert_eq!(mode(&data), 0o755, "an existing directory is reported, not changed");

    let checked = Command::new(env!("CARGO_BIN_EXE_councilbot"))
        .arg("--data-dir")
        .arg(&data)
        .args(["--config", root.path().join("councilbot.toml").to_str().unwrap(), "config", "check"])
        .env_remove("DATABASE_URL")
        .env_remove("COUNCILBOT_INDEX_DIR")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(said.contains(&format!("warning: {warning}")), "{said}");
}
