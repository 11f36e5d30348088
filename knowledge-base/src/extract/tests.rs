//! Extraction of each format: content kept, furniture dropped, metadata read.

use super::{ExtractError, Format, extract};
use crate::document::Audience;

const CMS_PAGE: &str = r##"<!DOCTYPE html>
<html lang="en"><head>
<title>Missed bin collections - Eastbrook District Council</title>
<link rel="canonical" href="https://www.example.gov.uk/waste/missed-bins">
<meta name="service-area" content="Waste">
<script>window.analytics = "tracking";</script>
<style>.x { color: red }</style>
</head><body>
<div class="cookie-banner"><p>We use cookies to improve the site.</p><button>Accept</button></div>
<a class="skip-link" href="#main-content">Skip to main content</a>
<header><a href="/">Home</a><form role="search"><input name="q"></form></header>
<nav><ul><li><a href="/waste">Bins and recycling</a></li><li><a href="/tax">Council tax</a></li></ul></nav>
<main id="main-content">
  <ol class="breadcrumbs"><li>Home</li><li>Waste</li></ol>
  <h1>Missed bin collections</h1>
  <p>If your bin was not emptied, tell us within <strong>2 working days</strong>.</p>
  <h2>Before you report</h2>
  <p>Check your bin was out by 7am.</p>
  <ul><li>Grey bin: rubbish</li><li>Blue bin: recycling</li></ul>
  <h3>Collection days</h3>
  <table><thead><tr><th>Area</th><th>Day</th></tr></thead>
  <tbody><tr><td>Northfield</td><td>Tuesday</td></tr><tr><td>Millford</td><td>Wednesday</td></tr></tbody></table>
  <h2>What happens next</h2>
  <p>We return within 3&nbsp;working days &amp; let you know.</p>
  <div class="feedback"><p>Was this page helpful?</p></div>
</main>
<aside><h2>Related pages</h2><p>Bulky waste</p></aside>
<footer><p>&copy; Eastbrook District Council</p></footer>
</body></html>"##;

fn all_blocks(document: &crate::document::Document) -> Vec<String> {
    document.sections.iter().flat_map(|section| section.blocks.clone()).collect()
}

#[test]
fn html_keeps_main_content_and_drops_page_furniture() {
    let document = extract(Format::Html, CMS_PAGE.as_bytes(), "missed").expect("page extracts");
    let text = all_blocks(&document).join("\n");
    assert!(text.contains("If your bin was not emptied, tell us within 2 working days."), "{text}");
    assert!(text.contains("We return within 3 working days & let you know."), "{text}");
    for furniture in
        ["cookies", "Skip to main", "Council tax", "analytics", "color", "Was this page", "Related", "©", "Home"]
    {
        assert!(!text.contains(furniture), "{furniture:?} leaked into {text}");
    }
}

#[test]
fn html_reads_title_canonical_url_service_area_and_headings() {
    let document = extract(Format::Html, CMS_PAGE.as_bytes(), "missed").expect("page extracts");
    assert_eq!(document.title, "Missed bin collections");
    assert_eq!(document.url.as_deref(), Some("https://www.example.gov.uk/waste/missed-bins"));
    assert_eq!(document.service_area.as_deref(), Some("Waste"));
    let paths: Vec<Vec<String>> = document.sections.iter().map(|section| section.heading_path.clone()).collect();
    assert_eq!(paths[0], Vec::<String>::new(), "the h1 equal to the title is not repeated");
    assert!(paths.contains(&vec!["Before you report".to_string(), "Collection days".to_string()]));
    assert!(paths.contains(&vec!["What happens next".to_string()]));
}

#[test]
fn html_tables_become_labelled_rows() {
    let document = extract(Format::Html, CMS_PAGE.as_bytes(), "missed").expect("page extracts");
    let blocks = all_blocks(&document);
    assert!(blocks.contains(&"Area: Northfield; Day: Tuesday.".to_string()), "{blocks:?}");
}

#[test]
fn html_without_main_element_falls_back_to_content_divs_and_layout_tables() {
    let page = r#"<html><head><title>Rent | Old Council</title></head><body>
      <div id="wrapper"><div id="header"><h1>Old Council</h1><p>Site header text</p></div>
      <div id="navigation"><a href="/">Home</a></div>
      <table width="100%"><tr><td class="leftnav"><ul><li>Menu item</li></ul></td>
      <td><div><h2>Paying rent</h2><p>Rent is due every Monday.</p></div></td></tr></table>
      <div id="footer">Copyright</div></div></body></html>"#;
    let document = extract(Format::Html, page.as_bytes(), "rent").expect("page extracts");
    let text = all_blocks(&document).join("\n");
    assert_eq!(document.title, "Rent");
    assert!(text.contains("Rent is due every Monday."), "{text}");
    for furniture in ["Site header", "Home", "Copyright", "Menu item"] {
        assert!(!text.contains(furniture), "{furniture:?} leaked into {text}");
    }
}

#[test]
fn markdown_front_matter_sets_metadata() {
    let page = "---\ntitle: Garden waste\nurl: https://www.example.gov.uk/waste/garden\nservice_area: waste\naudience: public\ntags: [bins]\n---\n\n# Garden waste\n\nIt costs **£52** a year.\n\n## Prices\n\n| Item | Price |\n|---|---|\n| First bin | £52 |\n\n- Grass\n- Leaves\n";
    let document = extract(Format::Markdown, page.as_bytes(), "garden").expect("markdown extracts");
    assert_eq!(document.title, "Garden waste");
    assert_eq!(document.url.as_deref(), Some("https://www.example.gov.uk/waste/garden"));
    assert_eq!(document.service_area.as_deref(), Some("waste"));
    assert_eq!(document.audience, Some(Audience::Public));
    let blocks = all_blocks(&document);
    assert_eq!(blocks, ["It costs £52 a year.", "Item: First bin; Price: £52.", "Grass", "Leaves"]);
    assert_eq!(document.sections[1].heading_path, ["Prices"]);
}

#[test]
fn markdown_with_unknown_audience_is_refused_rather_than_published() {
    let page = "---\ntitle: Refund limits\naudience: managers\n---\nRefunds over £500 need approval.\n";
    let error = extract(Format::Markdown, page.as_bytes(), "refunds").expect_err("unknown audience is refused");
    assert!(matches!(&error, ExtractError::FrontMatter(message) if message.contains("managers")), "{error}");
}

#[test]
fn markdown_with_broken_front_matter_says_what_is_wrong() {
    let unclosed = "---\ntitle: Oops\nNo closing line\n";
    let error = extract(Format::Markdown, unclosed.as_bytes(), "x").expect_err("unclosed front matter is refused");
    assert!(error.to_string().contains("never closed"), "{error}");
    let invalid = "---\ntitle: [unclosed\n---\nbody\n";
    assert!(matches!(extract(Format::Markdown, invalid.as_bytes(), "x"), Err(ExtractError::FrontMatter(_))));
}

#[test]
fn text_takes_first_line_as_title_and_underlined_headings() {
    let notice = "Library closure notice\n\nNorthfield Library closes on 4 January.\nIt reopens on 1 February.\n\nWhat you can do\n---------------\n\nUse Millford Library instead.\n";
    let document = extract(Format::Text, notice.as_bytes(), "notice").expect("text extracts");
    assert_eq!(document.title, "Library closure notice");
    assert_eq!(document.sections[0].blocks, ["Northfield Library closes on 4 January. It reopens on 1 February."]);
    assert_eq!(document.sections[1].heading_path, ["What you can do"]);
}

#[test]
fn binary_data_and_invalid_utf8_are_refused_with_a_reason() {
    let binary = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert!(matches!(extract(Format::Html, binary, "x"), Err(ExtractError::Binary { .. })));
    let latin1 = b"Caf\xe9 opening hours";
    let error = extract(Format::Text, latin1, "x").expect_err("invalid UTF-8 is refused");
    assert_eq!(error, ExtractError::InvalidUtf8 { offset: 3 });
}

#[test]
fn pages_without_text_are_refused() {
    let empty = "<html><head><title>Empty</title></head><body><nav>Menu</nav></body></html>";
    assert_eq!(extract(Format::Html, empty.as_bytes(), "x"), Err(ExtractError::Empty));
}

#[test]
fn pdf_text_is_extracted() {
    let pdf = crate::test_support::pdf(&["Bulky waste price list", "Up to three items cost 38 pounds."]);
    let document = extract(Format::Pdf, &pdf, "prices").expect("pdf extracts");
    assert_eq!(document.title, "Bulky waste price list");
    assert!(all_blocks(&document).join(" ").contains("Up to three items cost 38 pounds."), "{document:?}");
}

#[test]
fn corrupt_pdf_is_refused_without_panicking() {
    let mut pdf = crate::test_support::pdf(&["A title", "Some text."]);
    pdf.truncate(pdf.len() / 2);
    assert!(matches!(extract(Format::Pdf, &pdf, "x"), Err(ExtractError::Pdf(_))));
    assert!(matches!(extract(Format::Pdf, b"%PDF-1.4 garbage \xff\xfe", "x"), Err(ExtractError::Pdf(_))));
    assert!(matches!(extract(Format::Pdf, b"not a pdf at all", "x"), Err(ExtractError::Pdf(_))));
}
