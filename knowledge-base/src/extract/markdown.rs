//! Markdown pages, with optional YAML front matter (title, url, service area, audience).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use super::ExtractError;
use crate::document::{Audience, Document, SectionBuilder, table_row_text};
use crate::language::Language;

/// The front matter keys the knowledge base reads; other keys are allowed and ignored.
#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    title: Option<String>,
    url: Option<String>,
    #[serde(alias = "service-area", alias = "service", alias = "area")]
    service_area: Option<String>,
    audience: Option<String>,
    #[serde(alias = "language", alias = "locale")]
    lang: Option<String>,
}

/// Extracts a Markdown document.
pub(super) fn extract(source: &str) -> Result<Document, ExtractError> {
    let (front_matter, body) = split_front_matter(source)?;
    let audience = match front_matter.audience.as_deref() {
        None => None,
        Some(text) => Some(Audience::parse(text).ok_or_else(|| {
            ExtractError::FrontMatter(format!("unknown audience `{text}` (expected `public` or `staff`)"))
        })?),
    };

    let language = match front_matter.lang.as_deref().map(str::trim).filter(|lang| !lang.is_empty()) {
        None => None,
        Some(text) => Some(
            Language::parse(text)
                .ok_or_else(|| ExtractError::FrontMatter(format!("unknown lang `{text}` (expected `en` or `cy`)")))?,
        ),
    };

    let mut builder = SectionBuilder::default();
    let mut buffer = String::new();
    let mut heading: Option<u8> = None;
    let mut table_header: Vec<String> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut in_table_head = false;

    for event in Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                flush(&mut builder, &mut buffer);
                heading = Some(level as u8);
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(level) = heading.take() {
                    builder.heading(level, &buffer);
                }
                buffer.clear();
            }
            Event::Start(Tag::TableHead) => in_table_head = true,
            Event::End(TagEnd::TableHead) => {
                in_table_head = false;
                table_header = std::mem::take(&mut row);
            }
            Event::Start(Tag::Table(_)) => {
                flush(&mut builder, &mut buffer);
                table_header.clear();
            }
            Event::End(TagEnd::TableCell) => row.push(std::mem::take(&mut buffer)),
            Event::End(TagEnd::TableRow) if !in_table_head => {
                builder.block(&table_row_text(&table_header, &row));
                row.clear();
            }
            Event::Start(Tag::Paragraph | Tag::Item | Tag::List(_) | Tag::BlockQuote(_) | Tag::CodeBlock(_))
            | Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::CodeBlock,
            )
            | Event::Rule => flush(&mut builder, &mut buffer),
            Event::Text(text) | Event::Code(text) => buffer.push_str(&text),
            Event::SoftBreak | Event::HardBreak => buffer.push(' '),
            _ => {}
        }
    }
    flush(&mut builder, &mut buffer);

    let title = front_matter
        .title
        .filter(|title| !title.trim().is_empty())
        .or_else(|| builder.first_top_heading().map(str::to_string))
        .unwrap_or_default();
    Ok(Document {
        url: front_matter.url.filter(|url| !url.trim().is_empty()),
        service_area: front_matter.service_area.filter(|area| !area.trim().is_empty()),
        audience,
        language,
        sections: builder.finish(&title),
        title,
    })
}

/// The Markdown of a page, after its front matter.
pub fn body(source: &str) -> Result<&str, ExtractError> {
    split_front_matter(source).map(|(_, body)| body)
}

fn flush(builder: &mut SectionBuilder, buffer: &mut String) {
    builder.block(buffer);
    buffer.clear();
}

/// Separates YAML front matter (between `---` lines at the very start) from the body.
fn split_front_matter(source: &str) -> Result<(FrontMatter, &str), ExtractError> {
    let Some(rest) = source.strip_prefix("---\n").or_else(|| source.strip_prefix("---\r\n")) else {
        return Ok((FrontMatter::default(), source));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if matches!(line.trim_end(), "---" | "...") {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            let front_matter = if yaml.trim().is_empty() {
                FrontMatter::default()
            } else {
                serde_saphyr::from_str(yaml).map_err(|error| ExtractError::FrontMatter(one_line(&error.to_string())))?
            };
            return Ok((front_matter, body));
        }
        offset += line.len();
    }
    Err(ExtractError::FrontMatter("the `---` block at the top is never closed".to_string()))
}

/// An error message folded onto one line.
fn one_line(message: &str) -> String {
    message.lines().map(str::trim).filter(|line| !line.is_empty()).collect::<Vec<_>>().join(" ")
}
