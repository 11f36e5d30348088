//! One `councilbot serve` serving three councils: each is reached at its own host name or API
//! path, answers only from its own pages, and never shows a conversation or a staff account
//! of another council.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{STAFF_PASSWORD, Server};

/// Runs a `councilbot` command on the test's deployment, with the staff password to hand.
fn councilbot(server: &Server, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
        .arg("--data-dir")
        .arg(server.data.path())
        .arg("--config")
        .arg(server.data.path().join("councilbot.toml"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env("COUNCILBOT_STAFF_PASSWORD", STAFF_PASSWORD)
        .output()
        .unwrap()
}

/// The CSRF token of the form on a page.
fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a form") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

/// Signs in with a sign-in form at `login` (a council's console or the shared service's): the
/// session's cookie (`name=value`) when it let the person in.
async fn sign_in(browser: &reqwest::Client, login: &str, username: &str) -> Option<String> {
    let page = browser.get(login).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_of(&page);
    let answer = browser
        .post(login)
        .form(&[("username", username), ("password", STAFF_PASSWORD), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    if answer.status() != 200 || answer.headers().get("refresh").is_none() {
        return None;
    }
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.contains("_session=") && !value.contains("Max-Age=0"))
        .and_then(|value| value.split(';').next())
        .map(str::to_string)
}

/// A conversation in which the resident asked for a person: an open escalation of the council.
async fn escalate(client: &reqwest::Client, base: &str) -> String {
    let id = start(client, base).await;
    let answered = ask(client, base, &id, "can I talk to a person").await;
    assert_eq!(answered.status(), 200);
    id
}

/// A council of the test: its id, the day its bins are collected and its website.
pub(crate) struct Council {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) day: &'static str,
    pub(crate) website: &'static str,
    pub(crate) colour: &'static str,
}

pub(crate) const COUNCILS: [Council; 3] = [
    Council {
        id: "ashdown",
        name: "Ashdown District Council",
        day: "Monday",
        website: "https://www.ashdown.gov.uk",
        colour: "#1d70b8",
    },
    Council {
        id: "brackley",
        name: "Brackley Borough Council",
        day: "Wednesday",
        website: "https://www.brackley.gov.uk",
        colour: "#00703c",
    },
    Council {
        id: "carden",
        name: "Carden City Council",
        day: "Friday",
        website: "https://www.carden.gov.uk",
        colour: "#ffdd00",
    },
];

/// Brackley's own words and numbers for someone with nowhere to stay tonight.
const BRACKLEY_SAFEGUARDING: &str = "[safeguarding]\nhomeless = \"Brackley Housing Help is here for you tonight: call {out_of_hours_phone}.\"\n\
     [emergency]\nhomeless = [{ name = \"Brackley Housing Help\", phone = \"01632 970310\", when = \"any time\" }]\n";

/// Carden's logo.
const CARDEN_LOGO: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\" width=\"40\" height=\"40\">\
     <rect width=\"10\" height=\"10\" fill=\"#0b0c0c\"/></svg>";

/// A page about the council's bin collections, in `directory`.
pub(crate) fn write_page(directory: &Path, council: &Council) {
    std::fs::create_dir_all(directory.join("waste")).unwrap();
    std::fs::write(
        directory.join("waste/bin-collections.md"),
        format!(
            "---\ntitle: Bin collection days\nurl: {website}/waste/bin-collections\nservice_area: waste\naudience: public\n---\n\n\
             # Bin collection days\n\nYour general waste and recycling bins are collected every {day}. Put your bins out by 7am \
             on {day} with the lid closed. If your bin was missed, tell us by the end of the next working day.\n",
            website = council.website,
            day = council.day,
        ),
    )
    .unwrap();
}

/// Limits on residents' requests high enough for the many conversations the tests start from
/// one address.
const GENEROUS_LIMITS: &str =
    "[conversations]\nconversations_per_minute = 100000\nmessages_per_minute = 100000\nmessage_burst = 100000\n";

/// The three councils' folders: the first council's pages, and a folder for each other one.
fn councils_on_disk(root: &Path) -> String {
    councils_on_disk_with(root, &|_| String::new())
}

/// The three councils' folders, with more settings of each council's `[web]` and after it, by
/// its id; returns the deployment's configuration.
fn councils_on_disk_with(root: &Path, more: &dyn Fn(&str) -> String) -> String {
    write_page(&root.join("ashdown-content"), &COUNCILS[0]);
    let mut folders = Vec::new();
    for council in &COUNCILS[1..] {
        let folder = root.join(council.id);
        write_page(&folder.join("content"), council);
        let own = match council.id {
            "brackley" => BRACKLEY_SAFEGUARDING.to_string(),
            _ => {
                std::fs::write(folder.join("logo.svg"), CARDEN_LOGO).unwrap();
                String::new()
            }
        };
        let logo = if council.id == "carden" { "logo = \"logo.svg\"\n" } else { "" };
        std::fs::write(
            folder.join("councilbot.toml"),
            format!(
                "[council]\nname = \"{}\"\nwebsite = \"{}\"\ncolour = \"{}\"\n{logo}[content]\nbase_url = \"{}\"\n[web]\nhosts = [\"{}.localhost\"]\n{}{GENEROUS_LIMITS}{own}",
                council.name, council.website, council.colour, council.website, council.id, more(council.id)
            ),
        )
        .unwrap();
        folders.push(format!("{:?}", folder.display().to_string()));
    }
    format!(
        "[council]\nname = \"{}\"\nwebsite = \"{}\"\n[web]\nhosts = [\"ashdown.localhost\"]\n{}{GENEROUS_LIMITS}[deployment]\ncouncils = [{}]\n",
        COUNCILS[0].name,
        COUNCILS[0].website,
        more(COUNCILS[0].id),
        folders.join(", ")
    )
}

/// A client that reaches every `*.localhost` host name of the test at the server's address.
fn client_for(server: &Server) -> reqwest::Client {
    http_client::install_crypto_provider();
    let address: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none());
    for council in &COUNCILS {
        builder = builder.resolve(&format!("{}.localhost", council.id), address);
    }
    builder.build().unwrap()
}

/// The three councils served by one `councilbot serve`, with a client for their host names.
struct Deployment {
    _root: tempfile::TempDir,
    server: Server,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Deployment {
    fn start() -> Deployment {
        let root = tempfile::tempdir().unwrap();
        let extra = councils_on_disk(root.path());
        let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
        let client = client_for(&server);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Deployment { _root: root, server, client, runtime }
    }
}

/// The address of a council by its host name, on the server's port.
fn at_host(server: &Server, council: &Council) -> String {
    let port = server.url.rsplit(':').next().unwrap();
    format!("http://{}.localhost:{port}", council.id)
}

async fn start(client: &reqwest::Client, base: &str) -> String {
    let response = client.post(format!("{base}/api/v1/conversations")).send().await.unwrap();
    assert_eq!(response.status(), 201, "{base}");
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string()
}

async fn ask(client: &reqwest::Client, base: &str, id: &str, text: &str) -> reqwest::Response {
    client
        .post(format!("{base}/api/v1/conversations/{id}/messages"))
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap()
}

#[test]
fn three_councils_in_one_process_answer_apart_and_never_show_each_other_their_conversations() {
    let Deployment { _root, server, client, runtime } = Deployment::start();
    runtime.block_on(async {
        // Each council by its host name answers from its own page, citing only its own website.
        let mut conversations = Vec::new();
        for council in &COUNCILS {
            let base = at_host(&server, council);
            let id = start(&client, &base).await;
            let answered = ask(&client, &base, &id, "which day are the bins collected?").await;
            assert_eq!(answered.status(), 200);
            let replies = answered.json::<Value>().await.unwrap()["replies"].to_string();
            assert!(replies.contains(council.day), "{}: {replies}", council.id);
            assert!(replies.contains(council.website), "{} cites its own page: {replies}", council.id);
            for other in COUNCILS.iter().filter(|other| other.id != council.id) {
                assert!(!replies.contains(other.day) && !replies.contains(other.website), "{}: {replies}", council.id);
            }
            conversations.push((council.id, id));
        }

        // Each council's home page links to the others, at their host names on this port.
        let port = server.url.rsplit(':').next().unwrap();
        let home =
            client.get(format!("{}/", at_host(&server, &COUNCILS[0]))).send().await.unwrap().text().await.unwrap();
        let home = home.replace("&#x2f;", "/");
        for other in &COUNCILS[1..] {
            assert!(home.contains(&format!("href=\"http://{}.localhost:{port}/\"", other.id)), "{home}");
            assert!(home.contains(other.name), "{home}");
        }
        assert!(!home.contains("href=\"http://ashdown.localhost"), "a council does not link to itself: {home}");
        assert!(home.contains("data-colour=\"#1d70b8\""), "Ashdown's own colour: {home}");
        let brackley =
            client.get(format!("{}/", at_host(&server, &COUNCILS[1]))).send().await.unwrap().text().await.unwrap();
        assert!(brackley.contains("data-colour=\"#00703c\""), "Brackley's own colour: {brackley}");

        // And by its API path, on any host.
        let by_path = format!("{}/api/v1/councils/carden", server.url);
        let created = client.post(format!("{by_path}/conversations")).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let carden_id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        let answered = client
            .post(format!("{by_path}/conversations/{carden_id}/messages"))
            .json(&json!({ "text": "what day do you collect bins" }))
            .send()
            .await
            .unwrap();
        let replies = answered.json::<Value>().await.unwrap()["replies"].to_string();
        assert!(replies.contains("Friday") && !replies.contains("Monday"), "{replies}");
        conversations.push(("carden", carden_id));
        let unknown =
            client.post(format!("{}/api/v1/councils/nowhere/conversations", server.url)).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
        assert!(unknown.text().await.unwrap().contains("no council with the id `nowhere`"));

        // Every conversation, read or written through every council's host and path: only its
        // own council knows it.
        for (owner, id) in &conversations {
            for council in &COUNCILS {
                let expected = if *owner == council.id { 200 } else { 404 };
                let apis = [
                    format!("{}/api/v1", at_host(&server, council)),
                    format!("{}/api/v1/councils/{}", server.url, council.id),
                ];
                for api in apis {
                    let read = client.get(format!("{api}/conversations/{id}")).send().await.unwrap().status();
                    assert_eq!(read, expected, "{owner}'s conversation read through {api}");
                    if *owner != council.id {
                        let written = client
                            .post(format!("{api}/conversations/{id}/messages"))
                            .json(&json!({ "text": "hello" }))
                            .send()
                            .await
                            .unwrap()
                            .status();
                        assert_eq!(written, 404, "{owner}'s conversation written to through {api}");
                    }
                }
            }
        }

        // A supervisor of Brackley, added with `--council brackley`, signs in to Brackley's
        // console and to no other.
        let added = councilbot(&server, &["--council", "brackley", "staff", "add", "bsuper", "--name", "B Super"]);
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        for council in &COUNCILS {
            let browser = client_for(&server);
            let base = at_host(&server, council);
            let _ = sign_in(&browser, &format!("{base}/console/login"), "bsuper").await;
            let queue = browser.get(format!("{base}/console")).send().await.unwrap().status();
            let signed_in = queue == 200;
            assert_eq!(signed_in, council.id == "brackley", "bsuper on {}'s console: {queue}", council.id);
        }
    });
}

#[test]
fn each_council_shows_its_own_colour_logo_and_words_for_someone_in_danger() {
    let Deployment { _root, server, client, runtime } = Deployment::start();
    runtime.block_on(async {
        for council in &COUNCILS {
            // Each council's chat page links its own stylesheet, reached by its id on any host.
            let base = at_host(&server, council);
            let page = client.get(format!("{base}/chat")).send().await.unwrap().text().await.unwrap();
            let page = page.replace("&#x2f;", "/");
            let stylesheet = format!("/councils/{}/council.css", council.id);
            assert!(page.contains(&format!("href=\"{stylesheet}\"")), "{}: {page}", council.id);
            let css = client.get(format!("{}{stylesheet}", server.url)).send().await.unwrap();
            assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
            let css = css.text().await.unwrap();
            assert!(css.contains(&format!("background-color: {}", council.colour)), "{}: {css}", council.id);
            for other in COUNCILS.iter().filter(|other| other.id != council.id) {
                assert!(!css.contains(other.colour), "{} has {}'s colour: {css}", council.id, other.id);
            }
            // Text on the header reads well: dark on Carden's yellow, white on the others.
            let ink = if council.id == "carden" { "color: #0b0c0c" } else { "color: #ffffff" };
            assert!(css.contains(ink), "{}: {css}", council.id);
            // Only Carden has a logo, shown beside its name on its pages.
            let logo = format!("/councils/{}/council-logo", council.id);
            assert_eq!(page.contains(&format!("src=\"{logo}\"")), council.id == "carden", "{}: {page}", council.id);
            let served = client.get(format!("{}{logo}", server.url)).send().await.unwrap();
            if council.id == "carden" {
                assert_eq!(served.status(), 200);
                assert_eq!(served.headers()["content-type"], "image/svg+xml");
                assert_eq!(served.text().await.unwrap(), CARDEN_LOGO);
            } else {
                assert_eq!(served.status(), 404, "{} has no logo", council.id);
            }
        }

        // Someone with nowhere to stay tonight hears Brackley's own words and numbers from
        // Brackley, and the built-in ones (never Brackley's) from Ashdown.
        for council in &COUNCILS[..2] {
            let base = at_host(&server, council);
            let id = start(&client, &base).await;
            let answered = ask(&client, &base, &id, "we have been kicked out and we're homeless tonight").await;
            let replies = answered.json::<Value>().await.unwrap()["replies"].to_string();
            let own =
                replies.contains("Brackley Housing Help is here for you tonight") && replies.contains("01632 970310");
            assert_eq!(own, council.id == "brackley", "{}: {replies}", council.id);
            if council.id == "ashdown" {
                assert!(replies.contains("If you have nowhere safe to stay tonight"), "{replies}");
                assert!(!replies.contains("Brackley"), "{replies}");
            }
        }
    });
}

/// The logo of an SVG opened on its own can hold script: it is served so that it never runs as a
/// page of the council's site.
#[test]
fn stored_xss_through_an_svg_logo_is_not_run() {
    let root = tempfile::tempdir().unwrap();
    let extra = councils_on_disk(root.path());
    std::fs::write(
        root.path().join("carden/logo.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>fetch('/api/v1/conversations')</script></svg>",
    )
    .unwrap();
    let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
    let client = client_for(&server);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let served = client.get(format!("{}/councils/carden/council-logo", server.url)).send().await.unwrap();
        assert_eq!(served.status(), 200);
        let policy = served.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(policy.contains("default-src 'none'") && policy.contains("sandbox"), "{policy}");
        assert!(!policy.contains("script-src 'self'"), "the site's own policy would let its scripts run: {policy}");
        assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    });
}

/// Ashdown's and Brackley's numbers, on one Twilio account whose webhooks reach one address.
const ASHDOWN_NUMBER: &str = "+447700900010";
const BRACKLEY_NUMBER: &str = "+447700900020";

/// A council's own file of secrets, readable only by its owner.
fn write_secrets(folder: &Path, lines: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    let file = folder.join("secrets");
    std::fs::write(&file, lines).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// The first value of a column of rows in a council's own database, as text.
async fn query_council(server: &Server, council: &str, sql: &str) -> Vec<String> {
    use storage::sqlx::Row as _;
    let url = match council {
        "ashdown" => server.database_url(),
        other => {
            format!("sqlite://{}", server.data.path().join("councils").join(other).join("councilbot.db").display())
        }
    };
    let database = storage::Database::connect(&url).await.unwrap();
    let rows = storage::sqlx::query(sql).fetch_all(database.pool()).await.unwrap();
    rows.iter().map(|row| row.get::<String, _>(0)).collect()
}

#[test]
fn texts_and_their_delivery_reports_reach_the_council_whose_number_they_concern() {
    use crate::sms::{ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, TwilioApi, post_as_twilio};

    let twilio = TwilioApi::start();
    let root = tempfile::tempdir().unwrap();
    let texting = |id: &str| {
        let number = match id {
            "ashdown" => ASHDOWN_NUMBER,
            "brackley" => BRACKLEY_NUMBER,
            _ => return String::new(),
        };
        format!(
            "public_url = \"{PUBLIC_URL}\"\n[sms]\nreply_within_seconds = 0\n[sms.twilio]\napi_url = \"{}\"\nfrom = \"{number}\"\n",
            twilio.url()
        )
    };
    let extra = councils_on_disk_with(root.path(), &texting);
    write_secrets(
        &root.path().join("brackley"),
        &format!("TWILIO_ACCOUNT_SID={ACCOUNT_SID}\nTWILIO_AUTH_TOKEN={AUTH_TOKEN}\n"),
    );
    let server = Server::for_council_with_env(
        &root.path().join("ashdown-content"),
        COUNCILS[0].website,
        &extra,
        &[("TWILIO_ACCOUNT_SID", ACCOUNT_SID), ("TWILIO_AUTH_TOKEN", AUTH_TOKEN)],
    );
    let resident = "+447700900555";
    // The same resident texts both councils at the one address Twilio posts to: each text is
    // answered by the council whose number it was sent to, from its own pages and number.
    let mut sent_by = Vec::new();
    for (index, (council, number, day, other_day)) in
        [("ashdown", ASHDOWN_NUMBER, "Monday", "Wednesday"), ("brackley", BRACKLEY_NUMBER, "Wednesday", "Monday")]
            .into_iter()
            .enumerate()
    {
        let sid = format!("SM{:032x}", 1000 + index);
        let params = [
            ("MessageSid", sid.as_str()),
            ("SmsSid", sid.as_str()),
            ("AccountSid", ACCOUNT_SID),
            ("From", resident),
            ("To", number),
            ("Body", "which day are the bins collected?"),
            ("NumMedia", "0"),
        ];
        let answer = post_as_twilio(
            &format!("{}/channels/sms/twilio", server.url),
            &format!("{PUBLIC_URL}/channels/sms/twilio"),
            AUTH_TOKEN,
            &params,
            "signed",
        );
        assert_eq!(answer["status"], 200, "{council}: {answer}");
        let (position, sent) = server.eventually(&format!("{council}'s answer"), || {
            twilio.sent().into_iter().enumerate().find(|(_, sent)| sent["From"] == number)
        });
        assert_eq!(sent["To"], resident);
        assert!(sent["Body"].contains(day) && !sent["Body"].contains(other_day), "{council}: {sent:?}");
        sent_by.push((council, number, format!("SM{:032x}", position + 1)));
    }

    // Each delivery report reaches the council that sent the text, found by the number it was
    // sent from; the other council's record is untouched.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    for (council, number, sid) in &sent_by {
        let report = post_as_twilio(
            &format!("{}/channels/sms/twilio/status", server.url),
            &format!("{PUBLIC_URL}/channels/sms/twilio/status"),
            AUTH_TOKEN,
            &[
                ("MessageSid", sid),
                ("MessageStatus", "delivered"),
                ("AccountSid", ACCOUNT_SID),
                ("From", number),
                ("To", resident),
            ],
            "signed",
        );
        assert_eq!(report["status"], 204, "{council}: {report}");
        runtime.block_on(async {
            let sql = format!("SELECT status FROM sms_sent WHERE message_id = '{sid}'");
            assert_eq!(query_council(&server, council, &sql).await, vec!["delivered".to_string()], "{council}");
            let other = if *council == "ashdown" { "brackley" } else { "ashdown" };
            assert!(query_council(&server, other, &sql).await.is_empty(), "{other} knows nothing of {council}'s text");
        });
    }
}

/// A workflow another system starts over HTTP, in Brackley's folder alone.
const BRACKLEY_RENEWAL: &str = r#"name: garden_waste_renewal
version: 1
description: Renew a garden waste subscription sent from the website's form.
trigger:
  webhook: { token_secret: renewal_token }
secrets: [renewal_token]
inputs:
  - name: uprn
    type: text
    prompt: The property's UPRN
    pattern: "^[0-9]{12}$"
    pattern_hint: twelve digits
steps:
  - set: { renewed: "yes" }
"#;

#[test]
fn a_councils_runs_are_404_through_every_other_councils_api_and_console() {
    let root = tempfile::tempdir().unwrap();
    let extra = councils_on_disk(root.path());
    let brackley = root.path().join("brackley");
    std::fs::create_dir_all(brackley.join("workflows")).unwrap();
    std::fs::write(brackley.join("workflows/renewal.yaml"), BRACKLEY_RENEWAL).unwrap();
    write_secrets(&brackley, "RENEWAL_TOKEN=brackley-renewal-token\n");
    let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
    let client = client_for(&server);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let bearer = "Bearer brackley-renewal-token";
        let inputs = json!({"uprn": "100012345678"});
        // Brackley's workflow, started through its API path, answers with a status address on
        // that same path.
        let started = client
            .post(format!("{}/api/v1/councils/brackley/workflows/garden_waste_renewal/runs", server.url))
            .header("authorization", bearer)
            .json(&inputs)
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 202);
        let run = started.json::<Value>().await.unwrap();
        let id = run["id"].as_str().unwrap().to_string();
        let status_url = format!("/api/v1/councils/brackley/runs/{id}");
        assert_eq!(run["status_url"], status_url.as_str(), "{run}");
        let status = client.get(format!("{}{status_url}", server.url)).header("authorization", bearer).send().await;
        assert_eq!(status.unwrap().status(), 200, "the status address given back works");

        // No other council starts it or knows the run, by path or by host.
        for council in [&COUNCILS[0], &COUNCILS[2]] {
            for api in [
                format!("{}/api/v1/councils/{}", server.url, council.id),
                format!("{}/api/v1", at_host(&server, council)),
            ] {
                let start = client
                    .post(format!("{api}/workflows/garden_waste_renewal/runs"))
                    .header("authorization", bearer)
                    .json(&inputs)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(start.status(), 404, "started through {api}");
                let read = client.get(format!("{api}/runs/{id}")).header("authorization", bearer).send().await;
                assert_eq!(read.unwrap().status(), 404, "read through {api}");
            }
        }

        // Brackley's supervisor sees the run in Brackley's console; Ashdown's sees nothing of it.
        let reference = run["reference"].as_str().unwrap().to_string();
        assert!(councilbot(&server, &["--council", "brackley", "staff", "add", "bsuper"]).status.success());
        assert!(councilbot(&server, &["staff", "add", "asuper"]).status.success());
        for (council, username, expected) in [(&COUNCILS[1], "bsuper", 200), (&COUNCILS[0], "asuper", 404)] {
            let browser = client_for(&server);
            let base = at_host(&server, council);
            assert!(sign_in(&browser, &format!("{base}/console/login"), username).await.is_some(), "{username}");
            let page = browser.get(format!("{base}/console/runs/{id}")).send().await.unwrap();
            assert_eq!(page.status(), expected, "{username} opens the run");
            let list = browser.get(format!("{base}/console/runs")).send().await.unwrap().text().await.unwrap();
            assert_eq!(list.contains(&reference), expected == 200, "{username}'s runs list");
            let queue = browser.get(format!("{base}/console")).send().await.unwrap().text().await.unwrap();
            let cancelled = browser
                .post(format!("{base}/console/runs/{id}/act/cancel"))
                .form(&[("csrf", csrf_of(&queue).as_str())])
                .send()
                .await
                .unwrap()
                .status();
            if expected == 404 {
                assert_eq!(cancelled, 404, "{username} cancels another council's run");
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_frame_of_a_council_named_by_its_id_talks_to_that_council_alone() {
    use crate::browser::{bot_messages, browser, chromedriver, find, send, wait_for_reply};

    let root = tempfile::tempdir().unwrap();
    let extra = councils_on_disk(root.path());
    let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    // The frame a widget with data-council="carden" opens, on the first council's address.
    client.goto(&format!("{}/councils/carden/chat/embed", server.url)).await.unwrap();
    find(&client, "#cb-input").await;
    let before = bot_messages(&client).await;
    send(&client, "which day are the bins collected?").await;
    wait_for_reply(&client, before).await;
    let transcript = find(&client, "#cb-transcript").await.text().await.unwrap();
    assert!(transcript.contains("Friday") && !transcript.contains("Monday"), "{transcript}");
    // The frame wears Carden's colour and logo.
    let look = client
        .execute(
            "var logo = document.querySelector('.cb-embed-logo');\
             return [getComputedStyle(document.querySelector('.cb-embed-header')).borderTopColor,\
                     logo ? logo.naturalWidth : 0];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(look[0], "rgb(255, 221, 0)", "Carden's yellow: {look}");
    assert!(look[1].as_u64().unwrap_or(0) > 0, "Carden's logo is shown: {look}");
    let id = client
        .execute("return sessionStorage.getItem('councilbot.conversation/councils/carden') || '';", vec![])
        .await
        .unwrap();
    let id = id.as_str().unwrap().to_string();
    assert!(!id.is_empty(), "the conversation is remembered for Carden");
    let api = reqwest::Client::new();
    let carden = api.get(format!("{}/api/v1/councils/carden/conversations/{id}", server.url)).send().await.unwrap();
    assert_eq!(carden.status(), 200);
    let ashdown = api.get(format!("{}/api/v1/conversations/{id}", server.url)).send().await.unwrap();
    assert_eq!(ashdown.status(), 404, "the frame's conversation is Carden's, not the first council's");
    client.close().await.unwrap();
}

#[test]
fn staff_of_one_council_are_refused_by_every_other_and_a_shared_service_sees_only_its_councils() {
    let root = tempfile::tempdir().unwrap();
    let extra = councils_on_disk(root.path());
    let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = client_for(&server);
        // A resident of each council asks for a person.
        let mut escalated = Vec::new();
        for council in &COUNCILS {
            escalated.push(escalate(&client, &at_host(&server, council)).await);
        }

        // Each council's escalation API, with a token of its own: its escalations only, and a
        // token of another council is not known at all.
        let mut tokens = Vec::new();
        for council in &COUNCILS {
            let made = councilbot(&server, &["--council", council.id, "staff", "token", "helpdesk"]);
            assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
            tokens.push(String::from_utf8(made.stdout).unwrap().trim().to_string());
        }
        let api = reqwest::Client::new();
        for (index, council) in COUNCILS.iter().enumerate() {
            let base = format!("{}/api/v1/councils/{}", server.url, council.id);
            let listed = api.get(format!("{base}/escalations")).bearer_auth(&tokens[index]).send().await.unwrap();
            assert_eq!(listed.status(), 200);
            let listed = listed.text().await.unwrap();
            for (other, conversation) in escalated.iter().enumerate() {
                assert_eq!(listed.contains(conversation.as_str()), other == index, "{}: {listed}", council.id);
            }
            let other = (index + 1) % COUNCILS.len();
            let foreign_token =
                api.get(format!("{base}/escalations")).bearer_auth(&tokens[other]).send().await.unwrap();
            assert_eq!(foreign_token.status(), 401, "{}'s token on {}", COUNCILS[other].id, council.id);
        }
        let brackley_escalations: serde_json::Value = api
            .get(format!("{}/api/v1/councils/brackley/escalations", server.url))
            .bearer_auth(&tokens[1])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let brackley_escalation = brackley_escalations
            .pointer("/escalations/0/id")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("an escalation id: {brackley_escalations}"))
            .to_string();
        for action in ["", "/claim"] {
            let url = format!("{}/api/v1/councils/ashdown/escalations/{brackley_escalation}{action}", server.url);
            let asked = if action.is_empty() { api.get(url) } else { api.post(url).json(&json!({})) };
            let status = asked.bearer_auth(&tokens[0]).send().await.unwrap().status();
            assert_eq!(status, 404, "Brackley's escalation through Ashdown's API ({action})");
        }

        // A supervisor of Brackley: their session is nothing to Ashdown's console, its
        // escalation page or its figures.
        assert!(councilbot(&server, &["--council", "brackley", "staff", "add", "bsuper"]).status.success());
        let brackley = client_for(&server);
        let session = sign_in(&brackley, &format!("{}/console/login", at_host(&server, &COUNCILS[1])), "bsuper")
            .await
            .expect("bsuper signs in to Brackley's console");
        let figures =
            brackley.get(format!("{}/console/figures.csv", at_host(&server, &COUNCILS[1]))).send().await.unwrap();
        assert_eq!(figures.status(), 200);
        for path in [
            "/console/figures.csv",
            "/console/figures",
            "/console",
            &format!("/console/escalations/{brackley_escalation}"),
        ] {
            let foreign = client_for(&server)
                .get(format!("{}{path}", at_host(&server, &COUNCILS[0])))
                .header("cookie", &session)
                .send()
                .await
                .unwrap();
            assert_eq!(foreign.status(), 401, "Brackley's session on Ashdown's {path}");
        }

        // The shared service: one person works for Ashdown and Brackley (an admin there), none
        // of Carden; a council's own account is nothing to it.
        let refused =
            councilbot(&server, &["--council", "shared", "staff", "add", "multi", "--councils", "ashdown,nowhere"]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("no council `nowhere`"), "{refused:?}");
        let added = councilbot(
            &server,
            &[
                "--council",
                "shared",
                "staff",
                "add",
                "multi",
                "--name",
                "Sam Shared",
                "--councils",
                "ashdown,brackley=admin",
            ],
        );
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let said = String::from_utf8_lossy(&added.stdout).to_string();
        assert!(said.contains("ashdown (supervisor)") && said.contains("brackley (admin)"), "{said}");
        let shared_login = format!("{}/shared/console/login", server.url);
        let council_account = sign_in(&client_for(&server), &shared_login, "bsuper").await;
        assert!(council_account.is_none(), "a council's account is not the shared service's");
        let shared = client_for(&server);
        let shared_session =
            sign_in(&shared, &shared_login, "multi").await.expect("multi signs in to the shared service");
        let queue = shared.get(format!("{}/shared/console", server.url)).send().await.unwrap();
        assert_eq!(queue.status(), 200);
        let queue = queue.text().await.unwrap().replace("&#x2f;", "/");
        assert!(queue.contains("Sam Shared"), "{queue}");
        assert_eq!(queue.matches("data-escalation=").count(), 2, "Ashdown's and Brackley's: {queue}");
        assert!(queue.contains("Ashdown District Council") && queue.contains("Brackley Borough Council"), "{queue}");
        assert!(!queue.contains("cell\">Carden City Council<") && !queue.contains("value=\"carden\""), "{queue}");
        let opens_at_brackley =
            format!("href=\"http://brackley.localhost:{port}/console/escalations/{brackley_escalation}\"");
        assert!(queue.contains(&opens_at_brackley), "each row opens in its council's console: {queue}");

        let only_brackley = shared
            .get(format!("{}/shared/console?council=brackley", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(only_brackley.matches("data-escalation=").count(), 1, "{only_brackley}");
        assert!(only_brackley.contains(&brackley_escalation), "{only_brackley}");
        for path in [
            "/shared/console?council=carden",
            "/shared/console/figures.csv?council=carden",
            "/shared/console/runs?council=carden",
        ] {
            let status = shared.get(format!("{}{path}", server.url)).send().await.unwrap().status();
            assert_eq!(status, 404, "{path}");
        }

        // The figures: each of their councils, and both together.
        let csv = shared.get(format!("{}/shared/console/figures.csv", server.url)).send().await.unwrap();
        assert_eq!(csv.status(), 200);
        let csv = csv.text().await.unwrap();
        let line = |name: &str| csv.lines().find(|line| line.starts_with(&format!("\"{name}\""))).map(str::to_string);
        let conversations = |line: &str| line.split(',').nth(3).unwrap().parse::<u64>().unwrap();
        let escalations = |line: &str| line.split(',').nth(5).unwrap().parse::<u64>().unwrap();
        let ashdown = line("Ashdown District Council").expect("Ashdown's line");
        let brackley_line = line("Brackley Borough Council").expect("Brackley's line");
        let all = line("All councils").expect("the combined line");
        assert!(line("Carden City Council").is_none(), "{csv}");
        assert_eq!(escalations(&ashdown), 1, "{csv}");
        assert_eq!(escalations(&brackley_line), 1, "{csv}");
        assert_eq!(escalations(&all), 2, "{csv}");
        assert_eq!(conversations(&all), conversations(&ashdown) + conversations(&brackley_line), "{csv}");
        let page = shared.get(format!("{}/shared/console/figures", server.url)).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("All councils"));

        // The shared session is nothing to a council's own console.
        let council_console = client_for(&server)
            .get(format!("{}/console", at_host(&server, &COUNCILS[0])))
            .header("cookie", shared_session.replace("councilbot_shared_session", "councilbot_session"))
            .send()
            .await
            .unwrap();
        assert_eq!(council_console.status(), 401);

        // Someone whose councils are all gone from the shared service sees nothing.
        assert!(councilbot(&server, &["--council", "shared", "staff", "remove", "multi"]).status.success());
        let after = shared.get(format!("{}/shared/console", server.url)).send().await.unwrap().status();
        assert_eq!(after, 401, "a removed account's session ends");
    });
}

/// What a step of the property test does: through which council, by host name or by path.
#[derive(Debug, Clone)]
enum Step {
    /// Starts a conversation at a council and says something to it.
    Start { council: usize, by_path: bool },
    /// Reads, writes to, reads the transcript of, or ends one of the conversations started so far
    /// (by its place in the list) through a council.
    Touch { conversation: usize, council: usize, by_path: bool, how: usize },
}

#[test]
fn whatever_mix_of_councils_and_ids_a_caller_tries_no_council_shows_or_changes_anothers_conversation() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let Deployment { _root, server, client, runtime } = Deployment::start();
    let api = |council: usize, by_path: bool| {
        if by_path {
            format!("{}/api/v1/councils/{}", server.url, COUNCILS[council].id)
        } else {
            format!("{}/api/v1", at_host(&server, &COUNCILS[council]))
        }
    };
    let step = prop_oneof![
        (0..3usize, any::<bool>()).prop_map(|(council, by_path)| Step::Start { council, by_path }),
        (0..64usize, 0..3usize, any::<bool>(), 0..4usize)
            .prop_map(|(conversation, council, by_path, how)| Step::Touch { conversation, council, by_path, how }),
    ];
    let config = Config {
        cases: 24,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&proptest::collection::vec(step, 1..12), |steps| {
        runtime.block_on(async {
            // Each conversation: its council, its id, and whether it has been ended.
            let mut started: Vec<(usize, String, bool)> = Vec::new();
            for step in steps {
                match step {
                    Step::Start { council, by_path } => {
                        let created =
                            client.post(format!("{}/conversations", api(council, by_path))).send().await.unwrap();
                        prop_assert_eq!(created.status().as_u16(), 201);
                        let id = created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
                        started.push((council, id, false));
                    }
                    Step::Touch { conversation, council, by_path, how } => {
                        if started.is_empty() {
                            continue;
                        }
                        let place = conversation % started.len();
                        let (owner, id, ended) = started[place].clone();
                        let base = format!("{}/conversations/{id}", api(council, by_path));
                        let answer = match how {
                            0 => client.get(&base).send().await.unwrap(),
                            1 => client
                                .post(format!("{base}/messages"))
                                .json(&json!({"text": "which day are the bins collected?"}))
                                .send()
                                .await
                                .unwrap(),
                            2 => client.get(format!("{base}/transcript.txt")).send().await.unwrap(),
                            _ => client.delete(&base).send().await.unwrap(),
                        };
                        let status = answer.status().as_u16();
                        let body = answer.text().await.unwrap();
                        if owner != council {
                            prop_assert_eq!(
                                status,
                                404,
                                "{} touched {}'s conversation ({}): {}",
                                COUNCILS[council].id,
                                COUNCILS[owner].id,
                                how,
                                body
                            );
                            continue;
                        }
                        prop_assert!(
                            status < 300 || (ended && status == 409),
                            "{}'s own conversation ({}): {} {}",
                            COUNCILS[owner].id,
                            how,
                            status,
                            body
                        );
                        for other in COUNCILS.iter().filter(|other| other.id != COUNCILS[owner].id) {
                            prop_assert!(
                                !body.contains(other.day) && !body.contains(other.website),
                                "{}: {}",
                                COUNCILS[owner].id,
                                body
                            );
                        }
                        if how == 3 {
                            started[place].2 = true;
                        }
                    }
                }
            }
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}\nwhat the server logged:\n{}", server.log());
    }
}

#[test]
fn a_hangup_reloads_only_the_councils_whose_files_changed() {
    let root = tempfile::tempdir().unwrap();
    let extra = councils_on_disk(root.path());
    let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
    std::fs::write(
        root.path().join("brackley/content/waste/garden-waste.md"),
        "---\ntitle: Garden waste\nurl: https://www.brackley.gov.uk/waste/garden-waste\n---\n\n# Garden waste\n\n\
         A garden waste permit costs £52 a year and covers one brown bin.\n",
    )
    .unwrap();
    server.hang_up();
    for unchanged in [&COUNCILS[0], &COUNCILS[2]] {
        let said = format!("{}: its content and workflows have not changed", unchanged.name);
        server.eventually("the councils left as they were", || server.log().contains(&said).then_some(()));
    }
    server.eventually("Brackley's reload", || server.log().contains("of Brackley Borough Council").then_some(()));
    let log = server.log();
    assert!(!log.contains("of Ashdown District Council") && !log.contains("of Carden City Council"), "{log}");

    let client = client_for(&server);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let base = at_host(&server, &COUNCILS[1]);
        let id = start(&client, &base).await;
        let replies = ask(&client, &base, &id, "how much is a garden waste permit?").await.text().await.unwrap();
        assert!(replies.contains("£52"), "Brackley's new page answers: {replies}");
    });
}

#[test]
fn a_residents_data_is_exported_and_erased_per_council_and_nothing_of_another_council_is_touched() {
    let Deployment { _root, server, client, runtime } = Deployment::start();
    runtime.block_on(async {
        // The same resident talks to two councils.
        for council in &COUNCILS[..2] {
            let base = at_host(&server, council);
            let id = start(&client, &base).await;
            let said = format!("this is for {}: please call me back on 07700 900456", council.id);
            assert_eq!(ask(&client, &base, &id, &said).await.status(), 200);
        }
    });
    let export = |council: &str| -> Value {
        let exported = councilbot(&server, &["--council", council, "privacy", "export", "07700900456"]);
        assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
        serde_json::from_slice(&exported.stdout).unwrap()
    };
    let brackley = export("brackley");
    assert_eq!(brackley["conversations"].as_array().unwrap().len(), 1, "{brackley}");
    let held = brackley.to_string();
    assert!(held.contains("this is for brackley") && !held.contains("this is for ashdown"), "{held}");
    assert_eq!(export("carden")["conversations"].as_array().unwrap().len(), 0);

    let erased = councilbot(&server, &["--council", "brackley", "privacy", "erase", "07700900456", "--yes", "--json"]);
    assert!(erased.status.success(), "{}", String::from_utf8_lossy(&erased.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&erased.stdout).unwrap()["conversations"], 1);
    assert_eq!(export("brackley")["conversations"].as_array().unwrap().len(), 0);
    let ashdown = export("ashdown");
    assert_eq!(ashdown["conversations"].as_array().unwrap().len(), 1, "Ashdown still holds its own: {ashdown}");

    let unknown = councilbot(&server, &["--council", "nowhere", "privacy", "export", "07700900456"]);
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr).to_string();
    assert!(said.contains("no council `nowhere`") && said.contains("ashdown, brackley, carden"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_service_console_signs_in_and_shows_its_pages_accessibly_in_a_browser() {
    use crate::browser::{accessible, browser, chromedriver, find};
    use fantoccini::Locator;

    let root = tempfile::tempdir().unwrap();
    let extra = councils_on_disk(root.path());
    let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
    let resident = client_for(&server);
    for council in &COUNCILS {
        escalate(&resident, &at_host(&server, council)).await;
    }
    let added = councilbot(&server, &["--council", "shared", "staff", "add", "multi", "--name", "Sam Shared"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    client.goto(&format!("{}/shared/console", server.url)).await.unwrap();
    accessible(&client, "the shared service's sign-in page").await;
    find(&client, "#username").await.send_keys("multi").await.unwrap();
    find(&client, "#password").await.send_keys(STAFF_PASSWORD).await.unwrap();
    client.find(Locator::Css("main form button[type=submit]")).await.unwrap().click().await.unwrap();
    let queue = find(&client, "table.cb-queue-table").await.text().await.unwrap();
    for council in &COUNCILS {
        assert!(queue.contains(council.name), "{queue}");
    }
    accessible(&client, "the shared queue").await;
    for (path, page) in [("/shared/console/runs", "the shared runs"), ("/shared/console/figures", "the shared figures")]
    {
        client.goto(&format!("{}{path}", server.url)).await.unwrap();
        find(&client, "h1").await;
        accessible(&client, page).await;
    }
    let figures = find(&client, "main").await.text().await.unwrap();
    assert!(figures.contains("All councils"), "{figures}");
    client.close().await.unwrap();
}
