//! `councilbot serve` on its own runs the whole sample council: the index, the chat, the console
//! with a first sign-in, the practice back office and the browser that works on it.

use crate::support::{Chat, Councilbot, Server};

/// The text after a marker in the server's output, up to the next white space.
fn word_after(log: &str, marker: &str) -> Option<String> {
    let start = log.find(marker)? + marker.len();
    log[start..].split_whitespace().next().map(str::to_string)
}

#[test]
fn serve_alone_runs_the_sample_council_its_back_office_and_a_first_supervisor() {
    let server = Server::sample_council(&[]);
    // Not in a terminal, the first admin's password goes to a file only its owner may read.
    let password_file = server.data.path().join("first-admin-password.txt");
    let password = server.eventually("the first sign-in", || {
        Some(std::fs::read_to_string(&password_file).ok()?.trim().to_string()).filter(|password| !password.is_empty())
    });
    let log = server.eventually("where the password is", || {
        let log = server.log();
        let username = log.lines().any(|line| line.trim() == "username: supervisor");
        let in_file = log.lines().any(|line| line.trim().starts_with("password: in the file "));
        (username && in_file).then_some(log)
    });
    assert!(!log.contains(&password), "the password is not in the log");
    let ecss = server.eventually("the back office", || word_after(&server.log(), "back office, is running on "));
    assert!(ecss.starts_with("http://127.0.0.1:"), "{ecss}");

    // A resident's request is carried out on the back office the command started.
    let chat = Chat::start(&server);
    let first = chat.say("what day are bins collected in Oakley Green?");
    assert!(first[0]["text"].as_str().unwrap().contains("Thursday"), "answered from the indexed pages: {first:?}");
    let asked = chat.say("my recycling wasn't collected yesterday, postcode EB2 7LP");
    assert_eq!(asked[0]["kind"], "choices", "asked whether it is a missed bin to report: {asked:?}");
    chat.say("yes");
    chat.say("Rose Cottage");
    chat.say("skip");
    chat.say("yes");
    let done = chat
        .wait_for("finished run", |message| message["kind"] == "workflow_status" && message["status"] == "succeeded");
    assert!(done["outputs"]["case_reference"].as_str().is_some_and(|reference| reference.starts_with("WB-")), "{done}");

    // Westbrook, the other sample council, answers from its own pages and carries out its own
    // missed-bin workflow on the same back office, with its own settings.
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let westbrook_address: std::net::SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let westbrook = Chat::start_with(
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .resolve("westbrook.localhost", westbrook_address)
            .build()
            .unwrap(),
        &format!("http://westbrook.localhost:{port}"),
    );
    let price = westbrook.say("how much is the garden waste bin a year?");
    let price = serde_json::to_string(&price).unwrap();
    assert!(price.contains("£58") && price.contains("green bin"), "Westbrook's own page: {price}");
    westbrook.say("my recycling wasn't collected yesterday, postcode WB3 7PQ");
    westbrook.say("yes");
    westbrook.say("Rose Cottage");
    westbrook.say("skip");
    westbrook.say("yes");
    let done = westbrook
        .wait_for("finished run", |message| message["kind"] == "workflow_status" && message["status"] == "succeeded");
    let text = done.to_string();
    assert!(text.contains("3 working days") && text.contains("01632 961000"), "Westbrook's workflow and phone: {text}");

    // The printed sign-in opens the console.
    chat.runtime.block_on(async {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let login = format!("{}/console/login", server.url);
        let page = client.get(&login).send().await.unwrap().text().await.unwrap();
        let marker = "name=\"csrf\" value=\"";
        let start = page.find(marker).expect("a sign-in form") + marker.len();
        let csrf = &page[start..start + page[start..].find('"').unwrap()];
        let signed_in = client
            .post(&login)
            .form(&[("username", "supervisor"), ("password", password.as_str()), ("csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert!(signed_in.status().is_success() || signed_in.status().is_redirection(), "{}", signed_in.status());
        assert_eq!(client.get(format!("{}/console", server.url)).send().await.unwrap().status(), 200);
        let audit = client.get(format!("{}/console/audit", server.url)).send().await.unwrap();
        assert_eq!(audit.status(), 200, "the first account is an admin");
    });
}

#[test]
fn without_a_browser_it_says_what_is_missing_and_still_answers() {
    let server = Server::start(
        "[browser]\ninstall_missing = false\n",
        &[("COUNCILBOT_CHROMEDRIVER", "/nonexistent/chromedriver"), ("COUNCILBOT_CHROME", "/nonexistent/chromium")],
    );
    let log = server.eventually("the workflows loaded", || {
        let log = server.log();
        log.contains("workflow(s) loaded").then_some(log)
    });
    assert!(log.contains("ChromeDriver and Chromium not found"), "{log}");
    assert!(log.contains("sudo apt-get install chromium chromium-driver"), "{log}");
    assert!(log.contains("0 workflow(s) loaded"), "{log}");

    let chat = Chat::start(&server);
    let reply = chat.say("my recycling wasn't collected yesterday, postcode EB2 7LP");
    assert!(
        reply.iter().all(|message| message["kind"] != "confirm" && message["kind"] != "workflow_status"),
        "{reply:?}"
    );
    assert!(reply.iter().any(|message| message["text"].as_str().is_some_and(|text| !text.is_empty())), "{reply:?}");
}

#[test]
fn config_check_names_every_problem_where_it_is_and_passes_a_good_configuration() {
    let councilbot = Councilbot::new();
    let directory = councilbot.data.path();
    let workflows = directory.join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::write(workflows.join("broken.yaml"), "name: broken\nversion: 1\nsteps:\n  - clik: '#go'\n").unwrap();
    let config = directory.join("councilbot.toml");
    std::fs::write(
        &config,
        "[server]\nlisten = \"nowhere\"\n[conversations]\nmin_confidence = 2.0\nintent_start_threshold = 0.05\n[content]\ndirectories = [\"/nonexistent/pages\"]\n",
    )
    .unwrap();
    let config_arg = config.to_str().unwrap();
    let workflows_arg = workflows.to_str().unwrap();
    let checked = councilbot.run(&["--config", config_arg, "--workflows", workflows_arg, "config", "check"]);
    let report = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(1), "{report}");
    for expected in [
        "server.listen: `nowhere` is not an address",
        "conversations.min_confidence: 2 is outside 0 to 1",
        "conversations.intent_start_threshold: 0.05 is outside 0.1 (conversations.intent_threshold) to 1",
        "content.directories: /nonexistent/pages is not a directory",
        "broken.yaml:4:",
    ] {
        assert!(report.contains(expected), "{expected} in:\n{report}");
    }

    std::fs::write(&config, "[server]\nlisten = \"127.0.0.1:9000\"\n[sms.twilio]\nauth_token = \"secret\"\n").unwrap();
    let secret = councilbot.run(&["--config", config_arg, "config", "check"]);
    let report = String::from_utf8_lossy(&secret.stdout);
    assert_eq!(secret.status.code(), Some(1), "{report}");
    assert!(report.contains("sms.twilio.auth_token") && report.contains("TWILIO_AUTH_TOKEN"), "{report}");

    // Another council of the deployment is checked from its own folder.
    let northbrook = directory.join("northbrook");
    std::fs::create_dir_all(northbrook.join("workflows")).unwrap();
    std::fs::create_dir_all(northbrook.join("content")).unwrap();
    std::fs::write(northbrook.join("councilbot.toml"), "[web]\nhosts = [\"Chat Northbrook\"]\n").unwrap();
    std::fs::write(northbrook.join("workflows/broken.yaml"), "name: broken\nversion: 1\nsteps:\n  - clik: '#go'\n")
        .unwrap();
    std::fs::write(&config, format!("[deployment]\ncouncils = [{:?}]\n", northbrook.display().to_string())).unwrap();
    let other = councilbot.run(&["--config", config_arg, "--workflows", workflows_arg, "config", "check"]);
    let report = String::from_utf8_lossy(&other.stdout);
    assert_eq!(other.status.code(), Some(1), "{report}");
    assert!(report.contains("the council `northbrook`") && report.contains("web.hosts: `Chat Northbrook`"), "{report}");
    std::fs::write(northbrook.join("councilbot.toml"), "[web]\nhosts = [\"chat.northbrook.gov.uk\"]\n").unwrap();
    let other = councilbot.run(&["--config", config_arg, "--workflows", workflows_arg, "config", "check"]);
    let report = String::from_utf8_lossy(&other.stdout);
    assert_eq!(other.status.code(), Some(1), "{report}");
    assert!(report.contains(&format!("{}:4:", northbrook.join("workflows/broken.yaml").display())), "{report}");

    let content = crate::support::sample_content();
    std::fs::write(&config, format!("[content]\ndirectories = [{:?}]\n", content.display().to_string())).unwrap();
    let workflows = crate::support::council_workflows();
    let good = councilbot.run(&["--config", config_arg, "--workflows", workflows.to_str().unwrap(), "config", "check"]);
    let report = String::from_utf8_lossy(&good.stdout);
    assert!(good.status.success(), "{report}{}", String::from_utf8_lossy(&good.stderr));
    assert!(report.contains("is valid"), "{report}");
}
