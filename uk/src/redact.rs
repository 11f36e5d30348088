//! Masking secrets and personal data in text that leaves a run: errors, progress, evidence.

use std::sync::LazyLock;

use regex::Regex;

/// What a secret is replaced with.
pub const SECRET_MASK: &str = "[secret]";
/// What personal data is replaced with.
pub const PERSONAL_MASK: &str = "[personal]";

/// Patterns of personal data masked wherever they appear, whether or not they were inputs.
static PERSONAL_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Email addresses.
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
        // National Insurance numbers.
        r"\b[A-Za-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d]\b",
        // UK phone numbers.
        r"(?:\+44\s?\(?0?\)?\s?|\b0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b",
    ]
    .iter()
    .map(|pattern| Regex::new(pattern).expect("valid pattern"))
    .collect()
});

/// Names and addresses as people write them in free text, with what replaces each: a name they
/// introduce (the introduction kept), a name after a title, a street address, a postcode.
static PEOPLE_PATTERNS: LazyLock<Vec<(Regex, String)>> = LazyLock::new(|| {
    const NAME: &str = r"[A-Z][A-Za-z'’-]+(?:[ \t]+[A-Z][A-Za-z'’-]+){0,3}";
    let masked = PERSONAL_MASK.to_string();
    [
        (
            format!(
                r"(?P<intro>(?i:\b(?:my name is|my name's|i am called|i'm called|i am|i'm|this is|name:)))\s+{NAME}"
            ),
            format!("$intro {PERSONAL_MASK}"),
        ),
        (format!(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+{NAME}"), masked.clone()),
        (
            r"\b\d{1,4}[A-Za-z]?,?\s+(?:[A-Z][a-z'’-]+\s+){1,3}(?i:road|rd|street|st|avenue|ave|lane|ln|close|drive|way|court|crescent|place|gardens|terrace|grove|hill|row|walk|square|mews|park|view|rise)\b"
                .to_string(),
            masked.clone(),
        ),
        (r"(?i:\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b)".to_string(), masked),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(&pattern).expect("valid pattern"), replacement))
    .collect()
});

/// Free text with the names and addresses people write in it masked as well as anything shaped
/// like other personal data, for text that leaves the conversation (such as figures).
pub fn mask_free_text(text: &str) -> String {
    let mut text = Redactor::default().redact(text);
    for (pattern, replacement) in PEOPLE_PATTERNS.iter() {
        text = pattern.replace_all(&text, replacement.as_str()).into_owned();
    }
    text
}

/// Masks known secret and personal values, and anything shaped like personal data.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
    personal: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets, {} personal values)", self.secrets.len(), self.personal.len())
    }
}

impl Redactor {
    /// A redactor for these secret values and personal values; values shorter than three
    /// characters are ignored (they would mask ordinary words).
    pub fn new<S: AsRef<str>, P: AsRef<str>>(secrets: &[S], personal: &[P]) -> Redactor {
        let keep = |values: Vec<String>| {
            let mut values: Vec<String> =
                values.into_iter().filter(|value| value.trim().chars().count() >= 3).collect();
            // Longest first, so a value containing another is masked whole.
            values.sort_by_key(|value| std::cmp::Reverse(value.len()));
            values.dedup();
            values
        };
        Redactor {
            secrets: keep(secrets.iter().map(|value| value.as_ref().to_string()).collect()),
            personal: keep(personal.iter().map(|value| value.as_ref().trim().to_string()).collect()),
        }
    }

    /// The text with every secret value masked and personal data left, for text meant for the
    /// person the request is about.
    pub fn redact_secrets(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            text = replace_forms(&text, secret, SECRET_MASK);
        }
        text
    }

    /// A JSON value with every string in it masked: secrets only, or personal data too.
    pub fn redact_value(&self, value: &serde_json::Value, secrets_only: bool) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::String(text) => {
                Value::String(if secrets_only { self.redact_secrets(text) } else { self.redact(text) })
            }
            Value::Array(items) => {
                Value::Array(items.iter().map(|item| self.redact_value(item, secrets_only)).collect())
            }
            Value::Object(fields) => Value::Object(
                fields.iter().map(|(name, value)| (name.clone(), self.redact_value(value, secrets_only))).collect(),
            ),
            other => other.clone(),
        }
    }

    /// The text with every secret and personal value masked.
    pub fn redact(&self, text: &str) -> String {
        let mut text = self.redact_secrets(text);
        for value in &self.personal {
            text = replace_forms(&text, value, PERSONAL_MASK);
        }
        // Card numbers first: the other patterns could take part of one and leave the rest.
        text = crate::card_numbers::mask_card_numbers(&text, PERSONAL_MASK);
        for pattern in PERSONAL_PATTERNS.iter() {
            if pattern.is_match(&text) {
                text = pattern.replace_all(&text, PERSONAL_MASK).into_owned();
            }
        }
        text
    }

    /// The exact values this redactor masks (secrets first), for masking a live page.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.secrets.iter().chain(&self.personal).map(String::as_str)
    }
}

/// Replaces a value as written, HTML-escaped and URL-encoded.
fn replace_forms(text: &str, value: &str, mask: &str) -> String {
    let mut text = text.replace(value, mask);
    let escaped = html_escape(value);
    if escaped != value {
        text = text.replace(&escaped, mask);
    }
    let encoded = url_encode(value);
    if encoded != value {
        text = text.replace(&encoded, mask);
    }
    text
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn url_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => encoded.push(byte as char),
            b' ' => encoded.push('+'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses_in_free_text_are_masked_and_ordinary_words_kept() {
        assert_eq!(
            mask_free_text("Hello, my name is Margaret Thistlewood and I live at 14 Larkspur Avenue, EB4 2QX"),
            "Hello, my name is [personal] and I live at [personal], [personal]"
        );
        assert_eq!(mask_free_text("Mrs O'Neill said I'm Sam"), "[personal] said I'm [personal]");
        assert_eq!(mask_free_text("i am unhappy with the bin collection"), "i am unhappy with the bin collection");
        assert_eq!(mask_free_text("email me at a.b@example.com"), "email me at [personal]");
        assert_eq!(mask_free_text("when is the library open?"), "when is the library open?");
    }

    #[test]
    fn masks_known_values_in_every_form_and_personal_data_by_shape() {
        let redactor = Redactor::new(&["Eastbrook#2004"], &["12 Mill Lane", "ab"]);
        let html = "<input value=\"Eastbrook#2004\"> pw=Eastbrook%232004 at 12 Mill Lane, call 01632 960123 \
                    or mail ann.smith@example.org, NI QQ 12 34 56 C, card 4111 1111 1111 1111; about 3 items";
        let masked = redactor.redact(html);
        for leaked in ["Eastbrook", "Mill Lane", "01632", "ann.smith", "QQ 12", "4111"] {
            assert!(!masked.contains(leaked), "{leaked} leaked: {masked}");
        }
        assert!(masked.contains("about 3 items"), "{masked}");
        assert!(masked.contains(SECRET_MASK) && masked.contains(PERSONAL_MASK));
    }

    #[test]
    fn leaves_case_references_and_dates_alone() {
        let masked = Redactor::default().redact("Case HR-104230 logged 23/11/2026 for run CB-1A2B3C4D");
        assert_eq!(masked, "Case HR-104230 logged 23/11/2026 for run CB-1A2B3C4D");
    }
}
