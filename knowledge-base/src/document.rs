//! The model of an ingested document: metadata plus sections of text blocks.

use serde::{Deserialize, Serialize};

/// Who may see a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Anyone: residents and staff.
    #[default]
    Public,
    /// Council staff only; never shown to residents.
    Staff,
}

impl Audience {
    /// The name stored in the index and written in front matter.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Staff => "staff",
        }
    }

    /// Reads an audience as written in front matter or a meta tag.
    pub fn parse(text: &str) -> Option<Audience> {
        match text.trim().to_ascii_lowercase().as_str() {
            "public" | "resident" | "residents" | "everyone" | "all" => Some(Audience::Public),
            "staff" | "internal" | "employees" | "intranet" => Some(Audience::Staff),
            _ => None,
        }
    }
}

/// A document as extracted from a file, before chunking.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's title.
    pub title: String,
    /// Its canonical URL, when it declares one.
    pub url: Option<String>,
    /// The service area it belongs to, when it declares one.
    pub service_area: Option<String>,
    /// Who may see it, when it declares it.
    pub audience: Option<Audience>,
    /// The language it declares itself written in (`lang`), when it declares one.
    pub language: Option<crate::language::Language>,
    /// The content, section by section, in reading order.
    pub sections: Vec<Section>,
}

/// A run of text under one heading path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// The headings above this text, outermost first (the page title excluded).
    pub heading_path: Vec<String>,
    /// Paragraphs, list items and table rows, each a block of plain text.
    pub blocks: Vec<String>,
}

impl Document {
    /// The number of characters of text in all sections.
    pub fn text_len(&self) -> usize {
        self.sections.iter().flat_map(|section| section.blocks.iter()).map(String::len).sum()
    }
}

/// Collects blocks into sections as headings are met, in reading order.
#[derive(Debug, Default)]
pub(crate) struct SectionBuilder {
    sections: Vec<Section>,
    /// Open headings as (level, text), outermost first.
    headings: Vec<(u8, String)>,
    /// The first level-1 heading met.
    first_top_heading: Option<String>,
}

impl SectionBuilder {
    /// Starts a new section under a heading of the given level (1 to 6).
    pub(crate) fn heading(&mut self, level: u8, text: &str) {
        let text = normalize_whitespace(text);
        if text.is_empty() {
            return;
        }
        if level == 1 && self.first_top_heading.is_none() {
            self.first_top_heading = Some(text.clone());
        }
        self.headings.retain(|(open, _)| *open < level);
        self.headings.push((level, text));
    }

    /// Adds a block of text to the current section.
    pub(crate) fn block(&mut self, text: &str) {
        let text = normalize_whitespace(text);
        if text.is_empty() {
            return;
        }
        let path: Vec<String> = self.headings.iter().map(|(_, text)| text.clone()).collect();
        match self.sections.last_mut() {
            Some(last) if last.heading_path == path => last.blocks.push(text),
            _ => self.sections.push(Section { heading_path: path, blocks: vec![text] }),
        }
    }

    /// The sections collected; a level-1 heading equal to `title` is left out of heading paths.
    pub(crate) fn finish(self, title: &str) -> Vec<Section> {
        let mut sections = self.sections;
        for section in &mut sections {
            if section.heading_path.first().is_some_and(|first| first.eq_ignore_ascii_case(title)) {
                section.heading_path.remove(0);
            }
        }
        sections
    }

    /// The text of the first level-1 heading met, if any.
    pub(crate) fn first_top_heading(&self) -> Option<&str> {
        self.first_top_heading.as_deref()
    }
}

/// Collapses runs of whitespace (including no-break spaces) into single spaces and trims.
pub fn normalize_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(|c: char| c.is_whitespace() || c == '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Writes a table row as one readable block: `Header: cell; Header: cell.` when the table has a
/// header row of the same width, otherwise the cells separated by dashes.
pub(crate) fn table_row_text(header: &[String], cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|cell| normalize_whitespace(cell)).collect();
    if cells.iter().all(String::is_empty) {
        return String::new();
    }
    let mut text = if header.len() == cells.len() && header.iter().any(|h| !h.is_empty()) {
        header
            .iter()
            .zip(&cells)
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(head, cell)| if head.is_empty() { cell.clone() } else { format!("{head}: {cell}") })
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        cells.iter().filter(|cell| !cell.is_empty()).cloned().collect::<Vec<_>>().join(" – ")
    };
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}
