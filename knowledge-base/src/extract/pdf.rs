//! PDF documents: the text of every page; the first line is taken as the title.

use super::ExtractError;
use super::text::paragraphs_document;
use crate::document::{Document, SectionBuilder};

/// Extracts the text of a PDF, refusing files the PDF reader cannot handle.
pub(super) fn extract(bytes: &[u8]) -> Result<Document, ExtractError> {
    if !bytes.starts_with(b"%PDF-")
        && !bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|window| window == b"%PDF-")
    {
        return Err(ExtractError::Pdf("no PDF header".to_string()));
    }
    // The PDF reader panics on some malformed files; a panic is contained to this file.
    let pages = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(bytes))
        .map_err(|_| ExtractError::Pdf("the file is malformed".to_string()))?
        .map_err(|error| ExtractError::Pdf(error.to_string()))?;

    let mut title = String::new();
    let mut builder = SectionBuilder::default();
    for page in pages {
        let mut paragraph = String::new();
        for line in page.lines().map(str::trim) {
            if line.is_empty() {
                builder.block(&paragraph);
                paragraph.clear();
            } else if title.is_empty() {
                title = line.chars().take(150).collect();
            } else {
                paragraph.push_str(line);
                paragraph.push(' ');
            }
        }
        builder.block(&paragraph);
    }
    Ok(paragraphs_document(title, builder))
}
