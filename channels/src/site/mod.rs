//! The council's content served as a website, each page at its address's path under the
//! content's base URL (`/waste/bin-collection-days`) in a plain GOV.UK layout with the chat
//! widget on it, so that every citation opens the page it came from. `serve` does this for the
//! sample council, whose website does not exist; a council with a real website keeps its own.
//!
//! Only pages found in the content are served, looked up by path: nothing in a request ever
//! becomes a file name. Staff-only pages are not served.

mod render;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use knowledge_base::extract::{Format, extract};
use knowledge_base::sources::{SourceFile, discover, read_limited};
use knowledge_base::{Audience, IndexSettings, Language};
use scraper::{Html, Selector};
use serde::Serialize;
use serde_json::json;

use crate::AppState;

/// How many page titles a section's summary on the home page names.
const SUMMARY_PAGES: usize = 3;

/// The council's pages, served as a website.
pub struct Site {
    directories: Vec<PathBuf>,
    website: String,
    pages: RwLock<Arc<Pages>>,
}

/// What the site holds, found by reading the content.
#[derive(Default)]
struct Pages {
    /// Pages by path.
    pages: HashMap<String, Page>,
    /// Sections, in the order shown.
    sections: Vec<Section>,
    /// Where each section is in `sections`, by path.
    section_at: HashMap<String, usize>,
    /// Other paths that name a page or section, such as a page's path without `.txt`.
    redirects: HashMap<String, String>,
}

impl Pages {
    fn section(&self, path: &str) -> Option<&Section> {
        self.section_at.get(path).map(|at| &self.sections[*at])
    }
}

/// A page of the content.
#[derive(Debug, Clone)]
struct Page {
    path: String,
    title: String,
    file: PathBuf,
    format: Format,
    /// The path of its section, if it is in one.
    section: Option<String>,
    /// The language it is written in.
    language: Language,
}

/// A part of the website: the pages whose paths share their first folder.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Its path, such as `/waste`.
    pub path: String,
    /// Its name, such as "Bins and recycling".
    pub title: String,
    /// A few of its pages' titles, to say what is in it.
    pub summary: String,
    /// Its pages, by title.
    pub pages: Vec<PageLink>,
}

/// A link to a page.
#[derive(Debug, Clone, Serialize)]
pub struct PageLink {
    /// Its path.
    pub path: String,
    /// Its title.
    pub title: String,
    /// Whether it is a PDF document rather than a web page.
    pub pdf: bool,
}

/// What a path leads to.
enum Found {
    /// A page, rendered.
    Page { title: String, body: String, section: Option<Section>, language: Language },
    /// A section's list of pages.
    Section(Section),
    /// A document served as it is.
    File { bytes: Vec<u8>, media_type: &'static str },
    /// Another path of the same thing.
    Redirect(String),
}

impl Site {
    /// The pages in `directories` whose addresses are under `website` (reads every file: run it
    /// off the async threads).
    pub fn load(directories: &[PathBuf], website: &str) -> Site {
        let website = website.trim_end_matches('/').to_string();
        let pages = scan(directories, &website);
        Site { directories: directories.to_vec(), website, pages: RwLock::new(Arc::new(pages)) }
    }

    /// Reads the content again, after it changed (reads every file: run it off the async threads).
    pub fn reload(&self) {
        let pages = Arc::new(scan(&self.directories, &self.website));
        *self.pages.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = pages;
    }

    /// How many pages it serves.
    pub fn page_count(&self) -> usize {
        self.current().pages.len()
    }

    /// The sections, in the order shown.
    pub fn sections(&self) -> Vec<Section> {
        self.current().sections.clone()
    }

    fn current(&self) -> Arc<Pages> {
        self.pages.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// What is at a (decoded) path; reads the page's file.
    fn find(&self, path: &str) -> Option<Found> {
        let pages = self.current();
        let trimmed = if path.len() > 1 { path.trim_end_matches('/') } else { path };
        if let Some(to) = pages.redirects.get(trimmed) {
            return Some(Found::Redirect(to.clone()));
        }
        if trimmed != path && (pages.pages.contains_key(trimmed) || pages.section_at.contains_key(trimmed)) {
            return Some(Found::Redirect(trimmed.to_string()));
        }
        if let Some(page) = pages.pages.get(path) {
            let section = page.section.as_ref().and_then(|section| pages.section(section)).cloned();
            return self.render(page, section);
        }
        pages.section(path).cloned().map(Found::Section)
    }

    fn render(&self, page: &Page, section: Option<Section>) -> Option<Found> {
        let bytes = match read_limited(&page.file, IndexSettings::default().max_file_bytes) {
            Ok(bytes) => bytes,
            Err(reason) => {
                tracing::warn!(file = %page.file.display(), reason, "a page of the website cannot be read");
                return None;
            }
        };
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        let body = match page.format {
            Format::Pdf => return Some(Found::File { bytes, media_type: "application/pdf" }),
            Format::Html => render::html_page(&text(), &self.website),
            Format::Markdown => render::markdown_page(&text(), &self.website),
            Format::Text => render::text_page(&text()),
        };
        Some(Found::Page { title: page.title.clone(), body, section, language: page.language })
    }
}

/// Finds the public pages under the website in the content.
fn scan(directories: &[PathBuf], website: &str) -> Pages {
    let mut pages = Pages::default();
    let mut sections: BTreeMap<String, Section> = BTreeMap::new();
    // Each section's names as the pages' breadcrumbs give them, with how often, in order met.
    let mut names: HashMap<String, Vec<(String, usize)>> = HashMap::new();
    for directory in directories {
        let Ok((files, _)) = discover(directory) else { continue };
        for file in files {
            let Some((page, trail)) = read_page(&file, website) else { continue };
            let path = page.path.clone();
            if pages.pages.contains_key(&path) {
                continue;
            }
            if let Some(section) = &page.section {
                if let Some(Breadcrumb { name, path: link }) = trail {
                    let counts = names.entry(section.clone()).or_default();
                    match counts.iter_mut().find(|(known, _)| *known == name) {
                        Some((_, count)) => *count += 1,
                        None => counts.push((name, 1)),
                    }
                    // A link to the section under another name, such as `/bins-and-recycling`.
                    if link != *section && !link.trim_start_matches('/').contains('/') {
                        pages.redirects.entry(link).or_insert_with(|| section.clone());
                    }
                }
                let listed = sections.entry(section.clone()).or_insert_with(|| Section {
                    path: section.clone(),
                    title: String::new(),
                    summary: String::new(),
                    pages: Vec::new(),
                });
                listed.pages.push(PageLink {
                    path: path.clone(),
                    title: page.title.clone(),
                    pdf: page.format == Format::Pdf,
                });
            }
            // A document whose path keeps its extension is also found without it.
            if let Some((stem, extension)) = path.rsplit_once('.')
                && !extension.contains('/')
                && !stem.ends_with('/')
            {
                pages.redirects.entry(stem.to_string()).or_insert_with(|| path.clone());
            }
            pages.pages.insert(path, page);
        }
    }
    for section in sections.values_mut() {
        section.title = names
            .get(&section.path)
            .and_then(|counts| {
                // The name most pages give; the first met among equals.
                let most = counts.iter().map(|(_, count)| *count).max()?;
                counts.iter().find(|(_, count)| *count == most).map(|(name, _)| name.clone())
            })
            .unwrap_or_else(|| humanise(&section.path));
        section.pages.sort_by_key(|page| page.title.to_lowercase());
        section.summary =
            section.pages.iter().take(SUMMARY_PAGES).map(|page| page.title.as_str()).collect::<Vec<_>>().join(", ");
    }
    pages.redirects.retain(|from, _| !pages.pages.contains_key(from) && !sections.contains_key(from));
    // Shown by name.
    pages.sections = sections.into_values().collect();
    pages.sections.sort_by_key(|section| section.title.to_lowercase());
    pages.section_at = pages.sections.iter().enumerate().map(|(at, section)| (section.path.clone(), at)).collect();
    pages
}

/// The place after the home page in a page's breadcrumbs: usually its section.
struct Breadcrumb {
    name: String,
    path: String,
}

/// A public page under the website, and the first place its breadcrumbs name.
fn read_page(file: &SourceFile, website: &str) -> Option<(Page, Option<Breadcrumb>)> {
    let bytes = read_limited(&file.path, IndexSettings::default().max_file_bytes).ok()?;
    let document = extract(file.format, &bytes, &file.stem()).ok()?;
    if document.audience.unwrap_or_else(|| file.folder_audience()) == Audience::Staff {
        return None;
    }
    let address = file.address(document.url.as_deref(), Some(website));
    let path = address.strip_prefix(website)?.split(['?', '#']).next()?.to_string();
    if !path.starts_with('/') || path.len() < 2 {
        return None;
    }
    let section = path[1..].split_once('/').map(|(folder, _)| format!("/{folder}"));
    let language = match (document.language, Language::of_address(&path)) {
        (Some(Language::Welsh), _) | (_, Some(Language::Welsh)) => Language::Welsh,
        _ => Language::English,
    };
    let trail = match file.format {
        Format::Html => breadcrumb_section(&String::from_utf8_lossy(&bytes), website),
        _ => None,
    };
    Some((Page { path, title: document.title, file: file.path.clone(), format: file.format, section, language }, trail))
}

/// The first place after the home page in a page's breadcrumbs.
fn breadcrumb_section(source: &str, website: &str) -> Option<Breadcrumb> {
    let page = Html::parse_document(source);
    let everything = Selector::parse("*").ok()?;
    let trail = page.select(&everything).find(|element| {
        ["class", "id", "aria-label"]
            .iter()
            .filter_map(|attribute| element.value().attr(attribute))
            .any(|value| value.to_ascii_lowercase().contains("breadcrumb"))
    })?;
    let links = Selector::parse("a[href]").ok()?;
    trail.select(&links).find_map(|link| {
        let href = link.value().attr("href")?.trim();
        let path = match href.strip_prefix(website) {
            Some(rest) => rest,
            None if href.starts_with('/') && !href.starts_with("//") => href,
            None => return None,
        };
        let path = path.split(['?', '#']).next()?.trim_end_matches('/');
        let name = knowledge_base::document::normalize_whitespace(&link.text().collect::<String>());
        let home = name.eq_ignore_ascii_case("home") || path.is_empty();
        (!home && !name.is_empty() && path.starts_with('/')).then(|| Breadcrumb { name, path: path.to_string() })
    })
}

/// A folder's path as a name: `/council-tax` is "Council tax", and `/cy`, the folder of the
/// Welsh pages, "Cymraeg".
fn humanise(path: &str) -> String {
    if let Some(language) = Language::of_address(path) {
        return language.own_name().to_string();
    }
    let words = path.trim_start_matches('/').replace(['-', '_'], " ");
    let mut chars = words.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A request's path with its `%XX` escapes decoded; `None` when they do not make UTF-8.
fn decode_path(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = std::str::from_utf8(bytes.get(at + 1..at + 3)?).ok()?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            decoded.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The address people reach this server at, for the code that puts the widget on a page.
fn own_address(headers: &HeaderMap, secure: bool) -> String {
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or("127.0.0.1:8080");
    format!("{}://{host}", if secure { "https" } else { "http" })
}

/// The site's pages, at any path no other route takes; the normal 404 without a site.
pub fn router(state: AppState) -> Router {
    Router::new().fallback(page).with_state(state)
}

/// `GET /` with a site: the council's home page, linking to its sections, with the widget.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let council = &state.engine.settings().council;
    let sections = state.site.as_ref().map(|site| site.sections()).unwrap_or_default();
    state.templates.page(
        StatusCode::OK,
        "demo.html",
        json!({"council": council, "base": own_address(&headers, state.settings.secure_cookies), "sections": sections,
               "neighbours": crate::councils::links(&state.neighbours, &headers, state.settings.secure_cookies)}),
    )
}

/// `GET` any other path: a page or section of the site, or the normal 404.
async fn page(State(state): State<AppState>, method: Method, uri: Uri) -> Response {
    let Some(site) = state.site.clone() else { return StatusCode::NOT_FOUND.into_response() };
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(path) = decode_path(uri.path()) else { return StatusCode::NOT_FOUND.into_response() };
    let found = match tokio::task::spawn_blocking(move || site.find(&path)).await {
        Ok(Some(found)) => found,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let council = &state.engine.settings().council;
    let sections = state.site.as_ref().map(|site| site.sections()).unwrap_or_default();
    match found {
        Found::Page { title, body, section, language } => state.templates.page(
            StatusCode::OK,
            "site_page.html",
            json!({"council": council, "sections": sections, "title": title, "body": body,
                   "current": section.as_ref().map(|section| &section.path), "section": section,
                   "lang": language.code()}),
        ),
        Found::Section(section) => state.templates.page(
            StatusCode::OK,
            "site_page.html",
            json!({"council": council, "sections": sections, "title": section.title, "pages": section.pages,
                   "current": section.path}),
        ),
        Found::File { bytes, media_type } => ([(header::CONTENT_TYPE, media_type)], bytes).into_response(),
        Found::Redirect(to) => Redirect::permanent(&to).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const WEBSITE: &str = "https://www.example.gov.uk";

    fn serves(site: &Site, path: &str) -> bool {
        site.find(path).is_some()
    }

    fn write(root: &Path, path: &str, text: &str) {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }

    fn sample() -> (tempfile::TempDir, Site) {
        let content = tempfile::tempdir().unwrap();
        let root = content.path();
        write(
            root,
            "waste/bin-days.html",
            "<html><head><title>Bin days - Example</title></head><body>\
             <nav class=\"breadcrumbs\"><a href=\"/\">Home</a> <a href=\"/bins-and-recycling\">Bins and recycling</a></nav>\
             <main><h1>Bin days</h1><p>Bins go out on Monday.</p></main></body></html>",
        );
        write(root, "waste/garden-waste.md", "---\ntitle: Garden waste\n---\n# Garden waste\n\nBrown bins cost £50.\n");
        write(root, "waste/christmas.txt", "Christmas collections\n\nCollections move a day later.\n");
        write(
            root,
            "waste/elsewhere.md",
            "---\ntitle: Elsewhere\nurl: https://other.example.org/elsewhere\n---\nNot on the website.\n",
        );
        write(root, "council-tax/how-to-pay.md", "# How to pay\n\nPay by direct debit.\n");
        write(root, "staff/refunds.md", "# Refunds\n\nStaff only.\n");
        let site = Site::load(&[root.to_path_buf()], WEBSITE);
        (content, site)
    }

    #[test]
    fn pages_are_found_at_their_addresses_paths_and_nothing_else_is() {
        let (_content, site) = sample();
        assert_eq!(site.page_count(), 4, "the staff page and the page elsewhere are not served");
        for path in
            ["/waste/bin-days", "/waste/garden-waste", "/waste/christmas.txt", "/council-tax/how-to-pay", "/waste"]
        {
            assert!(serves(&site, path), "{path}");
        }
        for path in ["/staff/refunds", "/elsewhere", "/waste/elsewhere", "/waste/../staff/refunds", "/etc/passwd", "/"]
        {
            assert!(!serves(&site, path), "{path}");
        }
        assert!(matches!(site.find("/waste/christmas"), Some(Found::Redirect(to)) if to == "/waste/christmas.txt"));
        assert!(matches!(site.find("/bins-and-recycling"), Some(Found::Redirect(to)) if to == "/waste"));
        assert!(matches!(site.find("/waste/bin-days/"), Some(Found::Redirect(to)) if to == "/waste/bin-days"));
    }

    #[test]
    fn sections_are_named_by_the_pages_breadcrumbs_or_their_folder() {
        let (_content, site) = sample();
        let sections = site.sections();
        let names: Vec<&str> = sections.iter().map(|section| section.title.as_str()).collect();
        assert_eq!(names, ["Bins and recycling", "Council tax"]);
        assert_eq!(sections[0].summary, "Bin days, Christmas collections, Garden waste");
        let Some(Found::Page { title, body, section, .. }) = site.find("/waste/bin-days") else { panic!("no page") };
        assert_eq!(title, "Bin days");
        assert!(body.contains("Bins go out on Monday.") && !body.contains("Home"), "{body}");
        assert_eq!(section.unwrap().path, "/waste");
    }

    #[test]
    fn escaped_paths_are_decoded_and_bad_escapes_refused() {
        assert_eq!(decode_path("/council%20tax/how%2Dto").as_deref(), Some("/council tax/how-to"));
        assert_eq!(decode_path("/bad%zz"), None);
        assert_eq!(decode_path("/cut%2"), None);
        assert_eq!(decode_path("/%ff"), None);
    }
}
