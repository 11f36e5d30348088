//! One `councilbot serve` serving three councils: each is reached at its own host name or API
//! path, answers only from its own pages, and never shows a conversation or a staff account
//! of another council.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{STAFF_PASSWORD, Server};

/// A council of the test: its id, the day its bins are collected and its website.
struct Council {
    id: &'static str,
    name: &'static str,
    day: &'static str,
    website: &'static str,
}

const COUNCILS: [Council; 3] = [
    Council { id: "ashdown", name: "Ashdown District Council", day: "Monday", website: "https://www.ashdown.gov.uk" },
    Council {
        id: "brackley",
        name: "Brackley Borough Council",
        day: "Wednesday",
        website: "https://www.brackley.gov.uk",
    },
    Council { id: "carden", name: "Carden City Council", day: "Friday", website: "https://www.carden.gov.uk" },
];

/// A page about the council's bin collections, in `directory`.
fn write_page(directory: &Path, council: &Council) {
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

/// The three councils' folders: the first council's pages, and a folder for each other one.
fn councils_on_disk(root: &Path) -> String {
    write_page(&root.join("ashdown-content"), &COUNCILS[0]);
    let mut folders = Vec::new();
    for council in &COUNCILS[1..] {
        let folder = root.join(council.id);
        write_page(&folder.join("content"), council);
        std::fs::write(
            folder.join("councilbot.toml"),
            format!(
                "[council]\nname = \"{}\"\nwebsite = \"{}\"\ncolour = \"#00703c\"\n[content]\nbase_url = \"{}\"\n[web]\nhosts = [\"{}.localhost\"]\n",
                council.name, council.website, council.website, council.id
            ),
        )
        .unwrap();
        folders.push(format!("{:?}", folder.display().to_string()));
    }
    format!(
        "[council]\nname = \"{}\"\nwebsite = \"{}\"\n[web]\nhosts = [\"ashdown.localhost\"]\n[deployment]\ncouncils = [{}]\n",
        COUNCILS[0].name,
        COUNCILS[0].website,
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
    let root = tempfile::tempdir().unwrap();
    let extra = councils_on_disk(root.path());
    let server = Server::for_council(&root.path().join("ashdown-content"), COUNCILS[0].website, &extra);
    let client = client_for(&server);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
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

        // A supervisor of Brackley signs in to Brackley's console and to no other.
        let brackley_db = format!("sqlite://{}", server.data.path().join("councils/brackley/councilbot.db").display());
        let added = std::process::Command::new(env!("CARGO_BIN_EXE_councilbot"))
            .args([
                "--database-url",
                &brackley_db,
                "staff",
                "add",
                "bsuper",
                "--name",
                "B Super",
                "--role",
                "supervisor",
            ])
            .env("COUNCILBOT_STAFF_PASSWORD", STAFF_PASSWORD)
            .output()
            .unwrap();
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        for council in &COUNCILS {
            let browser = client_for(&server);
            let base = at_host(&server, council);
            let page = browser.get(format!("{base}/console/login")).send().await.unwrap().text().await.unwrap();
            let marker = "name=\"csrf\" value=\"";
            let start = page.find(marker).expect("a sign-in form") + marker.len();
            let csrf = page[start..start + page[start..].find('"').unwrap()].to_string();
            browser
                .post(format!("{base}/console/login"))
                .form(&[("username", "bsuper"), ("password", STAFF_PASSWORD), ("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            let queue = browser.get(format!("{base}/console")).send().await.unwrap().status();
            let signed_in = queue == 200;
            assert_eq!(signed_in, council.id == "brackley", "bsuper on {}'s console: {queue}", council.id);
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
