//! Plain text files: the first line is the title, blank lines separate paragraphs, and a line
//! underlined with `===` or `---` is a heading.

use crate::document::{Document, SectionBuilder};

/// Extracts a plain text document.
pub(super) fn extract(source: &str) -> Document {
    let mut lines = source.lines().map(str::trim_end).skip_while(|line| line.trim().is_empty()).peekable();
    let title = lines.next().map(|line| line.trim().to_string()).unwrap_or_default();
    if lines.peek().is_some_and(|line| is_underline(line)) {
        lines.next();
    }
    let mut builder = SectionBuilder::default();
    let mut paragraph = String::new();
    while let Some(line) = lines.next() {
        if let Some(underline) = lines.peek().copied().filter(|next| is_underline(next) && !line.trim().is_empty()) {
            builder.block(&paragraph);
            paragraph.clear();
            builder.heading(if underline.starts_with('=') { 2 } else { 3 }, line);
            lines.next();
        } else if line.trim().is_empty() {
            builder.block(&paragraph);
            paragraph.clear();
        } else {
            if is_list_item(line) {
                builder.block(&paragraph);
                paragraph.clear();
            }
            paragraph.push_str(line);
            paragraph.push(' ');
        }
    }
    builder.block(&paragraph);
    paragraphs_document(title, builder)
}

/// A document with a title and the sections collected.
pub(super) fn paragraphs_document(title: String, builder: SectionBuilder) -> Document {
    Document { sections: builder.finish(&title), title, url: None, service_area: None, audience: None, language: None }
}

fn is_underline(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 3 && (line.chars().all(|c| c == '=') || line.chars().all(|c| c == '-'))
}

fn is_list_item(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("- ") || line.starts_with("* ") || line.starts_with("• ")
}
