//! HTML pages: the main content, title, headings, canonical URL and meta tags.

use scraper::node::Node;
use scraper::{ElementRef, Html, Selector};

use crate::document::{Audience, Document, SectionBuilder, normalize_whitespace, table_row_text};
use crate::language::Language;

/// Selectors that usually hold a page's main content, most specific first.
const MAIN_CONTENT_SELECTORS: &[&str] =
    &["main", "[role=main]", "#main-content", "#maincontent", "#content", ".main-content", "#main", "article"];

/// Elements that never hold page content.
const SKIPPED_ELEMENTS: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "nav", "aside", "form",
    "button", "select", "input", "textarea", "dialog", "head",
];

/// Landmark roles that never hold page content.
const SKIPPED_ROLES: &[&str] =
    &["navigation", "banner", "contentinfo", "search", "complementary", "dialog", "alertdialog"];

/// Words in an element's id or class that mark page furniture rather than content.
const FURNITURE_WORDS: &[&str] = &[
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "breadcrumb",
    "breadcrumbs",
    "skip",
    "skiplink",
    "share",
    "sharing",
    "social",
    "feedback",
    "sidebar",
    "navigation",
    "nav",
    "navbar",
    "menu",
    "footer",
    "masthead",
    "related",
    "pagination",
    "print",
    "helpful",
];

/// Parts of compound ids and classes (`leftnav`, `topmenu`, `cookiebar`) that mark furniture.
const FURNITURE_AFFIXES: &[&str] = &["nav", "menu", "cookie", "breadcrumb", "sidebar", "footer"];

/// More furniture words, used only when no main-content container was found.
const PAGE_FURNITURE_WORDS: &[&str] = &["header", "banner", "logo", "topbar"];

/// Elements that end the current block of text.
const BLOCK_ELEMENTS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "hr",
    "address",
    "figure",
    "figcaption",
    "details",
    "summary",
    "header",
    "footer",
    "fieldset",
    "legend",
    "caption",
    "table",
    "tr",
    "td",
    "th",
    "thead",
    "tbody",
    "tfoot",
    "center",
];

/// Extracts the main content of an HTML page.
pub(super) fn extract(source: &str) -> Document {
    let page = Html::parse_document(source);
    let (root, found_main) = main_content(&page);
    let mut walker = Walker { builder: SectionBuilder::default(), buffer: String::new(), found_main };
    walker.walk(root);
    walker.flush();

    let title = first_text(&page, "title").map(|title| super::strip_site_suffix(&title));
    let title = title
        .filter(|title| !title.is_empty())
        .or_else(|| walker.builder.first_top_heading().map(str::to_string))
        .unwrap_or_default();
    let url = attribute(&page, "link[rel~=canonical]", "href");
    let service_area = meta(&page, &["service-area", "councilbot:service-area", "dcterms.subject"]);
    let audience = meta(&page, &["audience", "councilbot:audience"]);
    // The main content's own `lang` is the page's, else the document's, else a meta tag's.
    let language = root
        .value()
        .attr("lang")
        .or_else(|| page.root_element().value().attr("lang"))
        .map(str::to_string)
        .or_else(|| meta(&page, &["language", "dcterms.language", "dc.language"]))
        .and_then(|lang| Language::parse(&lang));
    Document {
        url,
        service_area,
        audience: audience.as_deref().map(|text| Audience::parse(text).unwrap_or(Audience::Staff)),
        language,
        sections: walker.builder.finish(&title),
        title,
    }
}

/// The element holding the page's main content, and whether one was found (else `<body>`).
pub fn main_content(page: &Html) -> (ElementRef<'_>, bool) {
    for selector in MAIN_CONTENT_SELECTORS {
        let selector = Selector::parse(selector).expect("main content selectors are valid");
        if let Some(element) = page.select(&selector).find(|element| has_text(*element)) {
            return (element, true);
        }
    }
    let body = Selector::parse("body").expect("body selector is valid");
    (page.select(&body).next().unwrap_or_else(|| page.root_element()), false)
}

/// Whether an element holds any non-blank text.
fn has_text(element: ElementRef<'_>) -> bool {
    element.text().any(|text| !text.trim().is_empty())
}

/// The whitespace-normalised text of the first element matching a selector.
fn first_text(page: &Html, selector: &str) -> Option<String> {
    let selector = Selector::parse(selector).ok()?;
    let element = page.select(&selector).next()?;
    Some(normalize_whitespace(&element.text().collect::<String>()))
}

/// An attribute of the first element matching a selector, when non-blank.
fn attribute(page: &Html, selector: &str, name: &str) -> Option<String> {
    let selector = Selector::parse(selector).ok()?;
    let value = page.select(&selector).find_map(|element| element.value().attr(name))?;
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// The content of the first `<meta name=...>` among the given names.
fn meta(page: &Html, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| attribute(page, &format!("meta[name=\"{name}\"]"), "content"))
}

/// Walks the content tree, turning text into blocks and headings into sections.
struct Walker {
    builder: SectionBuilder,
    buffer: String,
    found_main: bool,
}

impl Walker {
    fn walk(&mut self, element: ElementRef<'_>) {
        for child in element.children() {
            match child.value() {
                Node::Text(text) => self.buffer.push_str(text),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.element(child);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, element: ElementRef<'_>) {
        let name = element.value().name();
        if is_furniture(element, self.found_main) {
            return;
        }
        if let Some(level) = heading_level(name) {
            self.flush();
            self.builder.heading(level, &inline_text(element));
            return;
        }
        match name {
            "br" => self.buffer.push(' '),
            "table" if !is_layout_table(element) => {
                self.flush();
                self.data_table(element);
            }
            "img" => {
                if let Some(alt) = element.value().attr("alt") {
                    self.buffer.push_str(alt);
                }
            }
            _ if BLOCK_ELEMENTS.contains(&name) => {
                self.flush();
                self.walk(element);
                self.flush();
            }
            _ => self.walk(element),
        }
    }

    /// Emits each row of a data table as a block labelled with the header cells.
    fn data_table(&mut self, table: ElementRef<'_>) {
        let row_selector = Selector::parse("tr").expect("tr selector is valid");
        let mut header: Vec<String> = Vec::new();
        if let Some(caption) = table.select(&Selector::parse("caption").expect("caption selector is valid")).next() {
            self.builder.block(&self.cell_text(caption));
        }
        for row in table.select(&row_selector) {
            let cells: Vec<ElementRef<'_>> = row
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|cell| matches!(cell.value().name(), "td" | "th"))
                .collect();
            let texts: Vec<String> = cells.iter().map(|cell| self.cell_text(*cell)).collect();
            let is_header_row = !cells.is_empty() && cells.iter().all(|cell| cell.value().name() == "th");
            if is_header_row && header.is_empty() {
                header = texts;
                continue;
            }
            self.builder.block(&table_row_text(&header, &texts));
        }
    }

    /// The inline text of an element, furniture left out.
    fn cell_text(&self, cell: ElementRef<'_>) -> String {
        inline_text(cell)
    }

    fn flush(&mut self) {
        if !self.buffer.trim().is_empty() {
            self.builder.block(&self.buffer);
        }
        self.buffer.clear();
    }
}

/// Whether an element is navigation, a banner or other page furniture rather than content;
/// `found_main` says whether it lies in a main-content container (else headers and footers
/// are furniture too).
pub fn is_furniture(element: ElementRef<'_>, found_main: bool) -> bool {
    let value = element.value();
    let name = value.name();
    if SKIPPED_ELEMENTS.contains(&name) || (!found_main && matches!(name, "header" | "footer")) {
        return true;
    }
    if value.attr("hidden").is_some()
        || value.attr("aria-hidden").is_some_and(|hidden| hidden.eq_ignore_ascii_case("true"))
        || value.attr("style").is_some_and(|style| {
            let style = style.to_ascii_lowercase().replace(' ', "");
            style.contains("display:none") || style.contains("visibility:hidden")
        })
    {
        return true;
    }
    if value.attr("role").is_some_and(|role| SKIPPED_ROLES.contains(&role.trim().to_ascii_lowercase().as_str())) {
        return true;
    }
    let marks = value.attr("id").into_iter().chain(value.attr("class"));
    marks.flat_map(|mark| mark.split(|c: char| !c.is_ascii_alphanumeric())).any(|word| {
        let word = word.to_ascii_lowercase();
        FURNITURE_WORDS.contains(&word.as_str())
            || FURNITURE_AFFIXES.iter().any(|affix| word.starts_with(affix) || word.ends_with(affix))
            || (!found_main && PAGE_FURNITURE_WORDS.contains(&word.as_str()))
    })
}

/// The text inside an element that holds only inline content, such as a heading or a cell.
fn inline_text(element: ElementRef<'_>) -> String {
    let mut walker = Walker { builder: SectionBuilder::default(), buffer: String::new(), found_main: true };
    walker.walk(element);
    walker.flush();
    let mut text = walker.builder.finish("").into_iter().flat_map(|section| section.blocks).collect::<Vec<_>>();
    if text.is_empty() {
        return String::new();
    }
    let first = text.remove(0);
    text.into_iter().fold(first, |joined, block| format!("{joined} {block}"))
}

/// The level of a heading element, 1 to 6.
fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', level @ b'1'..=b'6'] => Some(level - b'0'),
        _ => None,
    }
}

/// Whether a table lays out the page rather than holding data.
fn is_layout_table(table: ElementRef<'_>) -> bool {
    let block_content =
        Selector::parse("p, h1, h2, h3, h4, h5, h6, ul, ol, table, div, form, nav").expect("layout selector is valid");
    table.select(&block_content).next().is_some()
        || table.value().attr("role").is_some_and(|role| role.eq_ignore_ascii_case("presentation"))
}
