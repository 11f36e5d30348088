//! A page's content as HTML in the GOV.UK style, safe to put in a page of this server: only
//! known elements are kept, each with GOV.UK's classes and none of its own attributes but a
//! checked link, a table cell's span and scope, and a list's start; scripts, styles, forms,
//! frames and page furniture (navigation, cookie banners, breadcrumbs) are left out, and raw
//! HTML in Markdown goes through the same filter.

use knowledge_base::extract::{is_furniture, main_content, markdown_body};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use scraper::node::Node;
use scraper::{ElementRef, Html};

/// The schemes a link may use; anything else (`javascript:`, `data:`) loses its link.
const LINK_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// The main content of an HTML page, its first level-1 heading (the page's title) left out.
pub(super) fn html_page(source: &str, website: &str) -> String {
    let page = Html::parse_document(source);
    let (root, found_main) = main_content(&page);
    let mut writer = Writer::new(website, true);
    writer.children(root, found_main);
    writer.html
}

/// A Markdown page after its front matter, its first level-1 heading (the page's title) left out.
pub(super) fn markdown_page(source: &str, website: &str) -> String {
    let body = markdown_body(source).unwrap_or(source);
    let mut writer = Writer::new(website, true);
    let mut markdown = MarkdownState::default();
    for event in Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        if !matches!(event, Event::Html(_)) && !markdown.html_block.is_empty() {
            writer.fragment(&std::mem::take(&mut markdown.html_block));
        }
        markdown.event(&mut writer, event);
    }
    if !markdown.html_block.is_empty() {
        writer.fragment(&markdown.html_block);
    }
    writer.html
}

/// A plain text page after its first line (the title): blank lines separate paragraphs, a line
/// underlined with `===` or `---` is a heading, and lines starting `- ` are a list.
pub(super) fn text_page(source: &str) -> String {
    let mut lines = source.lines().map(str::trim_end).skip_while(|line| line.trim().is_empty()).skip(1).peekable();
    if lines.peek().is_some_and(|line| is_underline(line)) {
        lines.next();
    }
    let mut writer = Writer::new("", false);
    let mut paragraph: Vec<&str> = Vec::new();
    while let Some(line) = lines.next() {
        if !line.trim().is_empty() && lines.peek().is_some_and(|next| is_underline(next)) {
            writer.paragraph_of_lines(&std::mem::take(&mut paragraph));
            let level =
                if lines.next().is_some_and(|underline| underline.trim_start().starts_with('=')) { 2 } else { 3 };
            writer.heading(level, line.trim());
        } else if line.trim().is_empty() {
            writer.paragraph_of_lines(&std::mem::take(&mut paragraph));
        } else {
            paragraph.push(line.trim());
        }
    }
    writer.paragraph_of_lines(&paragraph);
    writer.html
}

/// Whether an inline HTML tag is `<br>`.
fn is_line_break(tag: &str) -> bool {
    tag.trim().trim_start_matches('<').trim_end_matches('>').trim_end_matches('/').trim().eq_ignore_ascii_case("br")
}

fn is_underline(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 3 && (line.chars().all(|c| c == '=') || line.chars().all(|c| c == '-'))
}

/// Escapes text for HTML content and attribute values.
pub(super) use knowledge_base::escape_html as escape;

/// Writes safe HTML.
struct Writer {
    html: String,
    /// The website the content's own links point at; links to it become links here.
    website: String,
    /// Whether the next level-1 heading is the page's title, shown by the page itself.
    title_to_skip: bool,
    /// How many elements deep in something left out (the title heading) the writer is.
    muted: usize,
}

impl Writer {
    fn new(website: &str, title_to_skip: bool) -> Writer {
        Writer { html: String::new(), website: website.trim_end_matches('/').to_string(), title_to_skip, muted: 0 }
    }

    fn raw(&mut self, html: &str) {
        if self.muted == 0 {
            self.html.push_str(html);
        }
    }

    fn text(&mut self, text: &str) {
        if self.muted == 0 {
            self.html.push_str(&escape(text));
        }
    }

    fn open(&mut self, element: &str, class: &str) {
        if class.is_empty() {
            self.raw(&format!("<{element}>"));
        } else {
            self.raw(&format!("<{element} class=\"{class}\">"));
        }
    }

    fn close(&mut self, element: &str) {
        self.raw(&format!("</{element}>"));
    }

    /// Opens a heading of a level in the source (1 to 6): the first level-1 heading is the
    /// page's title and is left out; the rest sit under the page's own `<h1>`.
    fn open_heading(&mut self, level: u8) -> Option<&'static str> {
        if level == 1 && self.title_to_skip {
            self.title_to_skip = false;
            self.muted += 1;
            return None;
        }
        let (element, class) = match level {
            1 => ("h2", "govuk-heading-l"),
            2 => ("h2", "govuk-heading-m"),
            3 => ("h3", "govuk-heading-s"),
            4 => ("h4", "govuk-heading-s"),
            5 => ("h5", "govuk-heading-s"),
            _ => ("h6", "govuk-heading-s"),
        };
        self.open(element, class);
        Some(element)
    }

    fn close_heading(&mut self, element: Option<&str>) {
        match element {
            Some(element) => self.close(element),
            None => self.muted = self.muted.saturating_sub(1),
        }
    }

    fn heading(&mut self, level: u8, text: &str) {
        let element = self.open_heading(level);
        self.text(text);
        self.close_heading(element);
    }

    /// A paragraph whose lines keep their breaks, or a list when every line is an item.
    fn paragraph_of_lines(&mut self, lines: &[&str]) {
        if lines.is_empty() {
            return;
        }
        let items: Option<Vec<&str>> = lines
            .iter()
            .map(|line| line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")).or_else(|| line.strip_prefix("• ")))
            .collect();
        if let Some(items) = items {
            self.open("ul", "govuk-list govuk-list--bullet");
            for item in items {
                self.open("li", "");
                self.text(item.trim());
                self.close("li");
            }
            self.close("ul");
            return;
        }
        self.open("p", "govuk-body");
        for (number, line) in lines.iter().enumerate() {
            if number > 0 {
                self.raw("<br>\n");
            }
            self.text(line);
        }
        self.close("p");
    }

    /// The address a link may keep: one on the website becomes a path here; a relative one stays;
    /// one with another scheme than the web's, mail's or the phone's is refused.
    fn safe_href(&self, href: &str) -> Option<String> {
        let href: String = href
            .trim_matches(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        if href.is_empty() || href.chars().any(|c| c.is_control()) {
            return None;
        }
        if !self.website.is_empty()
            && let Some(rest) = href.strip_prefix(&self.website)
        {
            if rest.is_empty() {
                return Some("/".into());
            }
            if rest.starts_with(['/', '?', '#']) {
                return Some(rest.to_string());
            }
        }
        match href.find([':', '/', '?', '#']) {
            Some(at) if href[at..].starts_with(':') => {
                LINK_SCHEMES.contains(&href[..at].to_ascii_lowercase().as_str()).then_some(href)
            }
            _ => Some(href),
        }
    }

    /// Opens a link when its address is safe; says whether it did.
    fn open_link(&mut self, href: &str) -> bool {
        match self.safe_href(href) {
            Some(href) => {
                self.raw(&format!("<a class=\"govuk-link\" href=\"{}\">", escape(&href)));
                true
            }
            None => false,
        }
    }

    /// HTML from Markdown, through the same filter as a page.
    fn fragment(&mut self, html: &str) {
        let fragment = Html::parse_fragment(html);
        self.children(fragment.root_element(), true);
    }

    fn children(&mut self, element: ElementRef<'_>, found_main: bool) {
        for child in element.children() {
            match child.value() {
                Node::Text(text) => self.text(text),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.element(child, found_main);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, element: ElementRef<'_>, found_main: bool) {
        if is_furniture(element, found_main) {
            return;
        }
        let value = element.value();
        let name = value.name();
        let classes = value.attr("class").unwrap_or_default().to_ascii_lowercase();
        let kept = |this: &mut Writer, tag: &str, class: &str| {
            this.open(tag, class);
            this.children(element, found_main);
            this.close(tag);
        };
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let heading = self.open_heading(name.as_bytes()[1] - b'0');
                self.children(element, found_main);
                self.close_heading(heading);
            }
            "p" if classes.contains("lead") => kept(self, "p", "govuk-body-l"),
            "p" => kept(self, "p", "govuk-body"),
            "ul" => kept(self, "ul", "govuk-list govuk-list--bullet"),
            "ol" => {
                match value.attr("start").and_then(|start| start.trim().parse::<u32>().ok()) {
                    Some(start) => self.raw(&format!("<ol class=\"govuk-list govuk-list--number\" start=\"{start}\">")),
                    None => self.open("ol", "govuk-list govuk-list--number"),
                }
                self.children(element, found_main);
                self.close("ol");
            }
            "li" | "dt" | "dd" | "strong" | "em" | "code" | "sub" | "sup" | "small" | "s" | "del" | "ins" | "q"
            | "cite" | "time" | "address" | "figure" | "figcaption" | "summary" => kept(self, name, ""),
            "b" => kept(self, "strong", ""),
            "i" => kept(self, "em", ""),
            "kbd" | "samp" => kept(self, "code", ""),
            "dl" | "details" => kept(self, name, "govuk-body"),
            "pre" => kept(self, "pre", "cb-code"),
            "blockquote" => kept(self, "div", "govuk-inset-text"),
            "div" | "section"
                if ["callout", "notice", "warning", "alert", "inset"].iter().any(|word| classes.contains(word)) =>
            {
                kept(self, "div", "govuk-inset-text")
            }
            "abbr" => {
                match value.attr("title") {
                    Some(title) => self.raw(&format!("<abbr title=\"{}\">", escape(title))),
                    None => self.open("abbr", ""),
                }
                self.children(element, found_main);
                self.close("abbr");
            }
            "table" => kept(self, "table", "govuk-table"),
            "caption" => kept(self, "caption", "govuk-table__caption govuk-table__caption--m"),
            "thead" => kept(self, "thead", "govuk-table__head"),
            "tbody" | "tfoot" => kept(self, name, "govuk-table__body"),
            "tr" => kept(self, "tr", "govuk-table__row"),
            "th" | "td" => {
                let class = if name == "th" { "govuk-table__header" } else { "govuk-table__cell" };
                let mut open = format!("<{name} class=\"{class}\"");
                if let Some(scope) =
                    value.attr("scope").filter(|scope| ["row", "col", "rowgroup", "colgroup"].contains(scope))
                {
                    open.push_str(&format!(" scope=\"{scope}\""));
                }
                for span in ["colspan", "rowspan"] {
                    if let Some(count) = value.attr(span).and_then(|count| count.trim().parse::<u16>().ok()) {
                        open.push_str(&format!(" {span}=\"{count}\""));
                    }
                }
                open.push('>');
                self.raw(&open);
                self.children(element, found_main);
                self.close(name);
            }
            "a" => {
                let linked = value.attr("href").is_some_and(|href| self.open_link(href));
                self.children(element, found_main);
                if linked {
                    self.close("a");
                }
            }
            "br" => self.raw("<br>"),
            "hr" => self.raw("<hr class=\"govuk-section-break govuk-section-break--m govuk-section-break--visible\">"),
            "img" => {
                if let Some(alt) = value.attr("alt") {
                    self.text(alt);
                }
            }
            // Anything else (div, span, section, font...) gives its content without itself.
            _ => self.children(element, found_main),
        }
    }
}

/// Where a Markdown page's rendering stands between events.
#[derive(Default)]
struct MarkdownState {
    /// Raw HTML lines gathered until the block ends, then filtered as a whole.
    html_block: String,
    /// For each link opened, whether its address was kept.
    links: Vec<bool>,
    /// The headings open, with the element written (none for the title left out).
    headings: Vec<Option<&'static str>>,
    in_table_head: bool,
    body_open: bool,
}

impl MarkdownState {
    fn event(&mut self, writer: &mut Writer, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(writer, tag),
            Event::End(tag) => self.end(writer, tag),
            Event::Text(text) => writer.text(&text),
            Event::Code(code) => {
                writer.open("code", "");
                writer.text(&code);
                writer.close("code");
            }
            Event::Html(html) => self.html_block.push_str(&html),
            // Inline tags are left out, their text kept; a line break stays one.
            Event::InlineHtml(html) if is_line_break(&html) => writer.raw("<br>"),
            Event::SoftBreak => writer.raw("\n"),
            Event::HardBreak => writer.raw("<br>\n"),
            Event::Rule => {
                writer.raw("<hr class=\"govuk-section-break govuk-section-break--m govuk-section-break--visible\">")
            }
            _ => {}
        }
    }

    fn start(&mut self, writer: &mut Writer, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => writer.open("p", "govuk-body"),
            Tag::Heading { level, .. } => {
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                let element = writer.open_heading(level);
                self.headings.push(element);
            }
            Tag::BlockQuote(_) => writer.open("div", "govuk-inset-text"),
            Tag::CodeBlock(_) => writer.raw("<pre class=\"cb-code\"><code>"),
            Tag::List(Some(1)) => writer.open("ol", "govuk-list govuk-list--number"),
            Tag::List(Some(start)) => {
                writer.raw(&format!("<ol class=\"govuk-list govuk-list--number\" start=\"{start}\">"))
            }
            Tag::List(None) => writer.open("ul", "govuk-list govuk-list--bullet"),
            Tag::Item => writer.open("li", ""),
            Tag::Table(_) => writer.open("table", "govuk-table"),
            Tag::TableHead => {
                self.in_table_head = true;
                writer.raw("<thead class=\"govuk-table__head\"><tr class=\"govuk-table__row\">");
            }
            Tag::TableRow => {
                if !self.body_open {
                    self.body_open = true;
                    writer.open("tbody", "govuk-table__body");
                }
                writer.open("tr", "govuk-table__row");
            }
            Tag::TableCell if self.in_table_head => writer.raw("<th scope=\"col\" class=\"govuk-table__header\">"),
            Tag::TableCell => writer.open("td", "govuk-table__cell"),
            Tag::Emphasis => writer.open("em", ""),
            Tag::Strong => writer.open("strong", ""),
            Tag::Strikethrough => writer.open("s", ""),
            Tag::Link { dest_url, .. } => {
                let opened = writer.open_link(&dest_url);
                self.links.push(opened);
            }
            // An image's description comes as its text.
            _ => {}
        }
    }

    /// Closes a link, if its address was kept.
    fn close_link(&mut self, writer: &mut Writer) {
        if self.links.pop().unwrap_or(false) {
            writer.close("a");
        }
    }

    fn end(&mut self, writer: &mut Writer, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => writer.close("p"),
            TagEnd::Heading(_) => {
                let element = self.headings.pop().flatten();
                writer.close_heading(element);
            }
            TagEnd::BlockQuote(_) => writer.close("div"),
            TagEnd::CodeBlock => writer.raw("</code></pre>"),
            TagEnd::List(true) => writer.close("ol"),
            TagEnd::List(false) => writer.close("ul"),
            TagEnd::Item => writer.close("li"),
            TagEnd::Table => {
                if std::mem::take(&mut self.body_open) {
                    writer.close("tbody");
                }
                writer.close("table");
            }
            TagEnd::TableHead => {
                self.in_table_head = false;
                writer.raw("</tr></thead>");
            }
            TagEnd::TableRow => writer.close("tr"),
            TagEnd::TableCell => writer.close(if self.in_table_head { "th" } else { "td" }),
            TagEnd::Emphasis => writer.close("em"),
            TagEnd::Strong => writer.close("strong"),
            TagEnd::Strikethrough => writer.close("s"),
            TagEnd::Link => self.close_link(writer),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "https://www.example.gov.uk";

    #[test]
    fn scripts_styles_forms_and_furniture_are_left_out_of_a_page() {
        let page = "<html><head><title>Bins</title><script>alert(1)</script><style>p{}</style></head><body>\
            <div class=\"cookie-banner\"><p>Cookies on this site</p></div>\
            <nav class=\"breadcrumbs\"><a href=\"/\">Home</a></nav>\
            <main><h1>Bins</h1><p class=\"lead\" onclick=\"steal()\" style=\"color:red\">Bins go out <b>weekly</b>.</p>\
            <script>alert(2)</script><iframe src=\"https://evil.example\"></iframe>\
            <form action=\"/x\"><input name=\"q\"></form>\
            <p><a href=\"javascript:alert(3)\">a bad link</a> and <a href=\"https://www.example.gov.uk/waste/days\" target=\"_blank\">a good one</a>\
            and <a href=\" JaVa\tScRiPt:alert(4)\">another bad one</a>.</p>\
            <table><tr><th scope=\"col\" onmouseover=\"x()\">Area</th></tr><tr><td colspan=\"2\">Northfield</td></tr></table>\
            </main></body></html>";
        let html = html_page(page, SITE);
        for absent in
            ["script", "alert", "style", "onclick", "iframe", "evil", "form", "input", "Cookies", "Home", "target"]
        {
            assert!(!html.to_ascii_lowercase().contains(&absent.to_ascii_lowercase()), "{absent} in {html}");
        }
        assert!(!html.contains("<h1") && !html.contains(">Bins</h"), "the title is the page's own: {html}");
        assert!(html.contains("<p class=\"govuk-body-l\">Bins go out <strong>weekly</strong>.</p>"), "{html}");
        assert!(html.contains("a bad link and <a class=\"govuk-link\" href=\"/waste/days\">a good one</a>"), "{html}");
        assert!(html.contains("<th class=\"govuk-table__header\" scope=\"col\">Area</th>"), "{html}");
        assert!(html.contains("<td class=\"govuk-table__cell\" colspan=\"2\">Northfield</td>"), "{html}");
    }

    #[test]
    fn markdown_is_rendered_and_its_raw_html_filtered() {
        let page = "---\ntitle: Parking\nurl: https://www.example.gov.uk/parking\n---\n# Parking\n\nPermits cost **£40** a year.\n\n\
            <script>alert(1)</script>\n\n<div onclick=\"x()\"><p>Kept <em>words</em></p></div>\n\n\
            An <span onclick=\"y()\">inline</span> tag and [a link](javascript:alert(2)) and [another](/parking/permits).\n\n\
            | Zone | Price |\n| --- | --- |\n| A | £40 |\n\n- one\n- two\n";
        let html = markdown_page(page, SITE);
        assert!(!html.contains("title:") && !html.contains(">Parking</h"), "{html}");
        assert!(html.contains("<p class=\"govuk-body\">Permits cost <strong>£40</strong> a year.</p>"), "{html}");
        assert!(!html.contains("script") && !html.contains("alert") && !html.contains("onclick"), "{html}");
        assert!(html.contains("Kept <em>words</em>"), "{html}");
        assert!(
            html.contains("An inline tag and a link and <a class=\"govuk-link\" href=\"/parking/permits\">another</a>"),
            "{html}"
        );
        assert!(html.contains("<th scope=\"col\" class=\"govuk-table__header\">Zone</th>"), "{html}");
        assert!(html.contains("<tbody class=\"govuk-table__body\"><tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">A</td>"), "{html}");
        assert!(html.contains("<ul class=\"govuk-list govuk-list--bullet\">"), "{html}");
    }

    #[test]
    fn text_keeps_its_paragraphs_headings_and_lists_escaped() {
        let page = "Road closures\n\nThe <b>high street</b> is closed.\nDivert via Mill Lane.\n\nDiversions\n----------\n- Mill Lane\n- Station Road\n";
        let html = text_page(page);
        assert!(!html.contains("Road closures"), "the title is the page's own: {html}");
        assert!(
            html.contains(
                "<p class=\"govuk-body\">The &lt;b&gt;high street&lt;/b&gt; is closed.<br>\nDivert via Mill Lane.</p>"
            ),
            "{html}"
        );
        assert!(html.contains("<h3 class=\"govuk-heading-s\">Diversions</h3>"), "{html}");
        assert!(html.contains("<li>Mill Lane</li><li>Station Road</li>"), "{html}");
    }
}
