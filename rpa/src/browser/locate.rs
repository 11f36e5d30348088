//! Ways of finding an element, turned into the WebDriver's CSS, XPath and link-text queries.

use std::fmt;

/// How an element is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// A CSS selector.
    Css,
    /// An XPath expression.
    XPath,
    /// The exact text of a link.
    Link,
    /// The text of a form field's label.
    Label,
    /// The element's visible text.
    Text,
    /// CSS selectors separated by `>>>`, each inside the open shadow root of the one before.
    Shadow,
    /// An element a `script` step returned, kept in the variable named by `what`.
    Element,
}

/// An element to find: how, what, and which match (from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// How it is found.
    pub how: How,
    /// The selector, expression or text.
    pub what: String,
    /// Which match, from 1.
    pub nth: usize,
    /// Whether more than one match is an error (no `nth` or `first` was given for text).
    pub strict: bool,
    /// Whether it is to be clicked: text it merely contains then only finds elements that can
    /// be clicked (links, buttons), never the instructions around them.
    pub clickable: bool,
    /// The WebDriver reference of an element a script returned.
    pub reference: Option<String>,
}

impl Target {
    /// A target found as a locator says: by text, label or link text it is strict unless told
    /// which match to take.
    pub fn new(how: How, what: String, nth: Option<usize>, first: bool) -> Target {
        let strict = nth.is_none() && !first && matches!(how, How::Text | How::Label | How::Link);
        Target { how, what, nth: nth.unwrap_or(1).max(1), strict, clickable: false, reference: None }
    }

    /// The element a script returned into the variable `variable`, by its WebDriver reference.
    pub fn script_element(variable: String, reference: String) -> Target {
        Target {
            how: How::Element,
            what: variable,
            nth: 1,
            strict: false,
            clickable: false,
            reference: Some(reference),
        }
    }

    /// The same target, to be clicked.
    pub fn to_click(&self) -> Target {
        Target { clickable: true, ..self.clone() }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = match self.how {
            How::Css => "css",
            How::XPath => "xpath",
            How::Link => "link",
            How::Label => "label",
            How::Text => "text",
            How::Shadow => "shadow",
            How::Element => return write!(f, "the element in `{}`", self.what),
        };
        write!(f, "{how} {:?}", self.what)?;
        if self.nth > 1 {
            write!(f, " (match {})", self.nth)?;
        }
        Ok(())
    }
}

/// A query the WebDriver understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// By CSS selector.
    Css(String),
    /// By XPath.
    XPath(String),
    /// By exact link text.
    LinkText(String),
    /// By CSS selectors through open shadow roots, outermost first.
    Shadow(Vec<String>),
    /// The element with this WebDriver reference, while it is still on the page.
    Element(String),
}

impl Target {
    /// The queries to try in turn: the exact form first, then looser ones.
    pub fn queries(&self) -> Vec<Query> {
        match self.how {
            How::Css => vec![Query::Css(self.what.clone())],
            How::XPath => vec![Query::XPath(self.what.clone())],
            How::Element => vec![Query::Element(self.reference.clone().unwrap_or_default())],
            How::Shadow => {
                vec![Query::Shadow(self.what.split(">>>").map(|part| part.trim().to_string()).collect())]
            }
            How::Link => vec![
                Query::LinkText(self.what.clone()),
                Query::XPath(format!("//a[normalize-space(.)={}]", literal(self.what.trim()))),
            ],
            How::Label => {
                let text = literal(self.what.trim());
                vec![
                    Query::XPath(labelled_field("normalize-space(.)=", &text)),
                    Query::XPath(labelled_by_prefix(&text)),
                ]
            }
            How::Text => {
                let text = literal(self.what.trim());
                let exact = format!(
                    "//body//*[not(self::script or self::style)][normalize-space(.)={text}]\
                     [not(.//*[normalize-space(.)={text}])] \
                     | //input[@type='submit' or @type='button' or @type='reset'][normalize-space(@value)={text}]"
                );
                let buttons = "//input[@type='submit' or @type='button' or @type='reset']";
                let containing = if self.clickable {
                    format!(
                        "//body//*[self::a or self::button or self::summary or @role='button' or @role='link' or @role='menuitem' or @role='tab']\
                         [contains(normalize-space(.),{text})] | {buttons}[contains(@value,{text})]"
                    )
                } else {
                    format!(
                        "//body//*[not(self::script or self::style)][contains(normalize-space(.),{text})]\
                         [not(.//*[contains(normalize-space(.),{text})])] | {buttons}[contains(@value,{text})]"
                    )
                };
                vec![Query::XPath(exact), Query::XPath(containing)]
            }
        }
    }
}

/// The form field whose label's text satisfies `test` followed by `text`.
fn labelled_field(test: &str, text: &str) -> String {
    let field = "(self::input or self::select or self::textarea)";
    format!(
        "//*[{field}][@id=//label[{test}{text}]/@for or ancestor::label[{test}{text}] or normalize-space(@aria-label)={text}]"
    )
}

/// The form field whose label starts with the text, such as "Collection date" for
/// "Collection date (DD/MM/YYYY)".
fn labelled_by_prefix(text: &str) -> String {
    let field = "(self::input or self::select or self::textarea)";
    format!(
        "//*[{field}][@id=//label[starts-with(normalize-space(.),{text})]/@for or ancestor::label[starts-with(normalize-space(.),{text})]]"
    )
}

/// Text as an XPath string literal, whatever quotes it holds.
pub fn literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_any_text_as_an_xpath_literal() {
        assert_eq!(literal("Log in"), "'Log in'");
        assert_eq!(literal("Tenant's name"), "\"Tenant's name\"");
        assert_eq!(literal("it's \"here\""), "concat('it', \"'\", 's \"here\"')");
    }

    #[test]
    fn labels_and_text_become_xpath_queries() {
        let target = Target::new(How::Label, "Postcode".into(), None, false);
        let queries = target.queries();
        assert_eq!(queries.len(), 2);
        assert!(
            matches!(&queries[0], Query::XPath(xpath) if xpath.contains("//label[normalize-space(.)='Postcode']/@for"))
        );
        let target = Target::new(How::Css, "#go".into(), Some(2), false);
        assert_eq!(target.queries(), vec![Query::Css("#go".into())]);
        assert_eq!(target.to_string(), "css \"#go\" (match 2)");
    }
}
