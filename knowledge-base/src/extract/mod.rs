//! Turns a file's bytes into a [`Document`], by format.

mod html;
mod markdown;
mod pdf;
mod text;

use std::path::Path;

use crate::document::Document;
pub use html::{is_furniture, main_content};
pub use markdown::body as markdown_body;

/// A file format the knowledge base can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// HTML pages (`.html`, `.htm`, `.xhtml`).
    Html,
    /// Markdown with optional YAML front matter (`.md`, `.markdown`).
    Markdown,
    /// Plain text (`.txt`, `.text`): the first line is the title.
    Text,
    /// PDF documents (`.pdf`).
    Pdf,
}

impl Format {
    /// The format of a file, judged by its extension; `None` for files that are not content.
    pub fn of(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "html" | "htm" | "xhtml" => Some(Format::Html),
            "md" | "markdown" => Some(Format::Markdown),
            "txt" | "text" => Some(Format::Text),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }
}

/// Why a file could not be turned into a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// A text format whose bytes are not UTF-8.
    #[error("not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// A text format that holds binary data.
    #[error("looks like a binary file, not {expected}")]
    Binary {
        /// The format the extension promised.
        expected: &'static str,
    },
    /// A PDF that could not be read.
    #[error("unreadable PDF: {0}")]
    Pdf(String),
    /// Markdown front matter that is not valid.
    #[error("invalid front matter: {0}")]
    FrontMatter(String),
    /// The file holds no text to index.
    #[error("no text content")]
    Empty,
}

/// Extracts the document in `bytes`, read from a file of the given format.
pub fn extract(format: Format, bytes: &[u8], file_stem: &str) -> Result<Document, ExtractError> {
    let mut document = match format {
        Format::Pdf => pdf::extract(bytes)?,
        Format::Html => html::extract(text_of(bytes, "HTML")?),
        Format::Markdown => markdown::extract(text_of(bytes, "Markdown")?)?,
        Format::Text => text::extract(text_of(bytes, "text")?),
    };
    if document.text_len() == 0 {
        return Err(ExtractError::Empty);
    }
    if document.title.is_empty() {
        document.title = file_stem.replace(['-', '_'], " ");
    }
    Ok(document)
}

/// The text of a file that should be text, refusing binary data and invalid UTF-8.
fn text_of<'a>(bytes: &'a [u8], expected: &'static str) -> Result<&'a str, ExtractError> {
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.contains(&0) {
        return Err(ExtractError::Binary { expected });
    }
    let text = std::str::from_utf8(bytes).map_err(|error| ExtractError::InvalidUtf8 { offset: error.valid_up_to() })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// The part of a page title before a site-name suffix such as " - Eastbrook Council".
fn strip_site_suffix(title: &str) -> String {
    let title = crate::document::normalize_whitespace(title);
    for separator in [" | ", " - ", " – ", " — ", " :: "] {
        if let Some((first, _)) = title.split_once(separator)
            && !first.trim().is_empty()
        {
            return first.trim().to_string();
        }
    }
    title
}

#[cfg(test)]
mod tests;
