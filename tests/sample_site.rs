//! The sample council's own website, served by `serve` so that every citation opens the page it came from.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::browser::{accessible, browser, chromedriver, find};
use crate::support::{Chat, Server, sample_content};

/// What a GET of a path on the server gives: its status, its Content-Security-Policy and its
/// body with the escapes of the characters of links undone.
fn fetch(server: &Server, path: &str) -> (u16, String, String) {
    http_client::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let response = client.get(format!("{}{path}", server.url)).send().await.expect("the server answers");
        let status = response.status().as_u16();
        let policy = response
            .headers()
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = response.text().await.unwrap_or_default();
        (
            status,
            policy,
            body.replace("&#x2f;", "/").replace("&#x27;", "'").replace("&quot;", "\"").replace("&amp;", "&"),
        )
    })
}

/// The status and body of a GET.
fn get(server: &Server, path: &str) -> (u16, String) {
    let (status, _, body) = fetch(server, path);
    (status, body)
}

/// A GET of a path sent exactly as written (an HTTP client would tidy `..` away): its status.
fn raw_get_status(server: &Server, path: &str) -> u16 {
    let address = server.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split_whitespace().nth(1).and_then(|status| status.parse().ok()).unwrap_or(0)
}

/// The links (`href`, text) inside the first element that starts with `opening`.
fn links_in(page: &str, opening: &str) -> Vec<(String, String)> {
    let start = page.find(opening).unwrap_or_else(|| panic!("no {opening} in {page}"));
    let list = &page[start..start + page[start..].find("</ul>").expect("the list ends")];
    list.split("href=\"")
        .skip(1)
        .map(|rest| {
            let href = rest[..rest.find('"').unwrap()].to_string();
            let text = rest[rest.find('>').unwrap() + 1..rest.find("</a>").unwrap()].to_string();
            (href, text)
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_citation_opens_the_page_it_came_from_with_the_chat_widget_on_it() {
    let server = Server::start("", &[]);
    let chat = Chat::start(&server);

    let replies = chat.say("what day are bins collected in Oakley Green?");
    let answer = replies[0]["text"].as_str().unwrap();
    assert!(answer.contains("Thursday"), "{replies:?}");
    let citation = &replies[0]["citations"][0];
    assert_eq!(citation["url"], "/waste/bin-collection-days", "the page here, not www.eastbrook.gov.uk");

    let (status, policy, page) = fetch(&server, citation["url"].as_str().unwrap());
    assert_eq!(status, 200);
    assert!(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"), "{policy}");
    assert!(page.contains("<h1 class=\"govuk-heading-xl\">Bin collection days</h1>"), "the page's title: {page}");
    assert!(page.contains("<td class=\"govuk-table__cell\">Oakley Green</td>"), "the cited row: {page}");
    assert!(page.contains("<td class=\"govuk-table__cell\">Thursday</td>"), "the cited row: {page}");
    assert!(page.contains("Put your bins out by 7am on your collection day"), "{page}");
    assert!(page.contains("<script src=\"/widget.js\" defer"), "the chat widget is on the page: {page}");
    assert_eq!(page.matches("<script").count(), 1, "no script but the widget's: {page}");
    assert!(!page.contains("style=") && !page.contains("<style"), "no inline styles: {page}");
    assert!(!page.contains("googletagmanager") && !page.contains("Cookies on eastbrook"), "no furniture: {page}");
    assert!(page.contains("href=\"/waste\">Bins and recycling</a>"), "breadcrumbs lead to the section: {page}");

    // Every page an answer cites opens here, whatever answered: the council's curated answers too.
    for question in ["how can i pay my council tax", "what goes in my blue bin?", "when is the library open?"] {
        for citation in
            chat.say(question).iter().flat_map(|reply| reply["citations"].as_array().cloned().unwrap_or_default())
        {
            let url = citation["url"].as_str().unwrap();
            assert!(url.starts_with('/'), "{question}: {url}");
            let (status, page) = get(&server, url);
            assert_eq!(status, 200, "{question}: {url}");
            let title = citation["title"].as_str().unwrap();
            assert!(page.contains(title), "{question}: {url} is titled {title}: {page}");
        }
    }
}

#[test]
fn the_home_page_links_to_the_sites_sections_and_the_site_reloads_with_the_content() {
    let council = tempfile::tempdir().unwrap();
    let content = council.path().join("content");
    copy_dir(&sample_content(), &content);
    let server = Server::start_over(&content, &crate::support::council_workflows(), "", &[]);

    let (status, home) = get(&server, "/");
    assert_eq!(status, 200);
    let sections = links_in(&home, "<ul class=\"govuk-list cb-sections\">");
    let names: Vec<&str> = sections.iter().map(|(_, name)| name.as_str()).collect();
    for expected in ["Bins and recycling", "Council tax", "Housing", "Libraries", "Parking", "Benefits"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(!names.iter().any(|name| name.to_lowercase().contains("staff")), "staff guidance is not public: {names:?}");
    for (path, name) in &sections {
        let (status, section) = get(&server, path);
        assert_eq!(status, 200, "{name} at {path}");
        assert!(section.contains(&format!("<h1 class=\"govuk-heading-xl\">{name}</h1>")), "{section}");
        let pages = links_in(&section, "<ul class=\"govuk-list\">");
        assert!(!pages.is_empty(), "{name} lists its pages");
        let (first, title) = &pages[0];
        assert!(first.starts_with(&format!("{path}/")), "{first} is in {path}");
        let (status, page) = get(&server, first);
        assert_eq!(status, 200, "{first}");
        if !first.ends_with(".pdf") {
            assert!(page.contains(title.as_str()), "{first}: {page}");
        }
    }
    let (_, waste) = get(&server, "/waste");
    assert!(waste.contains("href=\"/waste/bin-collection-days\">Bin collection days</a>"), "{waste}");

    // Pages the content does not have, staff guidance and the content's own files are not found.
    for path in [
        "/waste/no-such-page",
        "/no/such/page",
        "/staff/housing-repair-priority-codes",
        "/knowledge-base/content/waste/bin-collection-days.html",
        "/waste/bin-collection-days.html",
    ] {
        assert_eq!(get(&server, path).0, 404, "{path}");
    }
    // Nor is anything a path tries to reach outside them.
    for path in [
        "/waste/../staff/housing-repair-priority-codes",
        "/waste/../../../Cargo.toml",
        "/..%2f..%2f..%2fCargo.toml",
        "/waste/%2e%2e/%2e%2e/%2e%2e/Cargo.toml",
        "/waste/..%5c..%5cCargo.toml",
        "//etc/passwd",
        "/%00",
    ] {
        assert_eq!(raw_get_status(&server, path), 404, "{path}");
    }

    // A page added to the content is served once the server reloads it.
    std::fs::write(
        content.join("waste/textile-recycling.md"),
        "---\ntitle: Textile recycling\n---\n# Textile recycling\n\nTake clean clothes to the banks at Station Road car park.\n",
    )
    .unwrap();
    assert_eq!(get(&server, "/waste/textile-recycling").0, 404);
    server.hang_up();
    server.eventually("the reload", || server.log().contains("reloaded:").then_some(()));
    let (status, page) = get(&server, "/waste/textile-recycling");
    assert_eq!(status, 200);
    assert!(page.contains("Take clean clothes to the banks at Station Road car park."), "{page}");
}

#[test]
fn a_real_councils_citations_keep_its_own_website_and_its_pages_are_not_served_here() {
    let content = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(content.path().join("waste")).unwrap();
    std::fs::write(
        content.path().join("waste/bin-collection-days.md"),
        "---\ntitle: Bin collection days\n---\n# Bin collection days\n\n\
         Bins in Northdale are collected every Tuesday. Put your bin out by 7am on collection day.\n\n\
         ## Garden waste\n\nBrown bins for garden waste are collected every other Friday.\n",
    )
    .unwrap();
    let server = Server::for_council(
        content.path(),
        "https://www.northdale.gov.uk",
        "answers_dir = \"\"\nexamples_dir = \"\"\n",
    );
    let replies = Chat::start(&server).say("what day are bins collected in Northdale?");
    let citation = replies.iter().find_map(|reply| reply["citations"].get(0).cloned()).expect("a cited answer");
    assert_eq!(citation["url"], "https://www.northdale.gov.uk/waste/bin-collection-days", "{replies:?}");

    assert_eq!(get(&server, "/waste/bin-collection-days").0, 404, "the council's pages are on its own website");
    assert_eq!(get(&server, "/waste").0, 404);
    let (status, home) = get(&server, "/");
    assert_eq!(status, 200);
    assert!(!home.contains("cb-sections"), "{home}");
    assert!(!server.log().contains("the council's website"), "{}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_the_site_is_accessible_with_the_widget_launcher_on_it() {
    let server = Server::start("", &[]);
    let driver = chromedriver().await;
    let client = browser(&driver, true).await;
    for (path, title) in [
        ("/waste/bin-collection-days", "Bin collection days"),
        ("/waste/what-goes-in-which-bin", "What goes in which bin"),
        ("/waste/christmas-bin-collections-2026.txt", "Christmas and New Year bin collections"),
        ("/waste", "Bins and recycling"),
    ] {
        client.goto(&format!("{}{path}", server.url)).await.unwrap();
        let heading = find(&client, "h1").await.text().await.unwrap();
        assert!(heading.starts_with(title), "{path}: {heading}");
        find(&client, "#councilbot-launcher").await;
        accessible(&client, path).await;
    }
    // The section's link in the navigation leads to it.
    client.goto(&format!("{}/waste/bin-collection-days", server.url)).await.unwrap();
    find(&client, ".govuk-breadcrumbs a[href='/waste']").await.click().await.unwrap();
    let heading = find(&client, "h1").await.text().await.unwrap();
    assert_eq!(heading, "Bins and recycling");
}
