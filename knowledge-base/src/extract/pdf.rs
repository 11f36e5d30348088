//! PDF documents: the text of every page; the first line is taken as the title.

use super::ExtractError;
use super::text::paragraphs_document;
use crate::document::{Document, SectionBuilder};

/// Extracts the text of a PDF, refusing files the PDF reader cannot handle.
pub(super) fn extract(bytes: &[u8]) -> Result<Document, ExtractError> {
    if !bytes.starts_with(b"%PDF-") && !bytes[..bytes.len().min(1024)].windows(5).any(|window| window == b"%PDF-") {
        return Err(ExtractError::Pdf("no PDF header".to_string()));
    }
    // The PDF reader panics on some malformed files; a panic is contained to this file.
    let pages = crate::panics::contain(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .map_err(|_| ExtractError::Pdf("the file is malformed".to_string()))?
        .map_err(|error| ExtractError::Pdf(error.to_string()))?;

    let mut title = String::new();
    let mut builder = SectionBuilder::default();
    for page in pages {
        let lines: Vec<&str> = page.lines().map(str::trim).collect();
        let mut paragraph = String::new();
        for (index, line) in lines.iter().enumerate() {
            if line.is_empty() {
                builder.block(&paragraph);
                paragraph.clear();
                continue;
            }
            if title.is_empty() {
                title = line.chars().take(150).collect();
                continue;
            }
            paragraph.push_str(line);
            paragraph.push(' ');
            let next = lines.get(index + 1).copied().unwrap_or_default();
            if ends_paragraph(line, next) {
                builder.block(&paragraph);
                paragraph.clear();
            }
        }
        builder.block(&paragraph);
    }
    Ok(paragraphs_document(title, builder))
}

/// Whether a PDF line ends its paragraph: it ends a sentence, or it is short (a heading or a
/// row) and the next line does not continue it in lower case.
fn ends_paragraph(line: &str, next: &str) -> bool {
    if line.ends_with(['.', ':', '?', '!', ';']) {
        return true;
    }
    let continues = next.chars().next().is_some_and(|c| c.is_lowercase() || c.is_ascii_digit());
    !continues && line.chars().count() < 45
}
