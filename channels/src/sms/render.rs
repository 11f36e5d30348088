//! Replies written for a phone: short, one link to the full page, choices as "Reply 1 for ...",
//! and no longer than a configured number of segments, counted as the networks count them
//! (GSM-7, or UCS-2 when any character needs it), shortened at a sentence or a word, never
//! mid-word.

use std::sync::LazyLock;

use bot::conversation::{ChoiceOption, Reply};
use knowledge_base::Language;
use regex::Regex;

/// Characters of the GSM-7 default alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the GSM-7 extension table (two septets each).
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{c}";

static SAY_CANCEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\b(say|type|reply|text|send) "cancel""#).expect("valid regex"));
static CITATION_MARK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s?\[\d{1,3}\]").expect("valid regex"));

/// How a text is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The GSM 7-bit alphabet: 160 characters in one segment, 153 in each of several.
    Gsm7,
    /// UCS-2: 70 characters in one segment, 67 in each of several (UTF-16 units).
    Ucs2,
}

/// The encoding a text needs and how many segments it takes.
pub fn segments(text: &str) -> (Encoding, usize) {
    let mut septets: usize = 0;
    let mut gsm = true;
    for c in text.chars() {
        if GSM7_BASIC.contains(c) {
            septets += 1;
        } else if GSM7_EXTENDED.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    if gsm {
        let count = if septets <= 160 { 1 } else { septets.div_ceil(153) };
        return (Encoding::Gsm7, count.max(1));
    }
    let units = text.encode_utf16().count();
    let count = if units <= 70 { 1 } else { units.div_ceil(67) };
    (Encoding::Ucs2, count.max(1))
}

/// Replaces typographic characters with their GSM-7 equivalents, so a message is not sent in
/// UCS-2 (less than half the length) for a curly quote.
pub fn plain(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            '\u{2013}' | '\u{2014}' => '-',
            '\u{2026}' => '.',
            '\u{a0}' => ' ',
            other => other,
        })
        .collect()
}

/// The words of a text message's fixed parts in `language`.
fn words(language: Language, key: &str, values: &[(&str, &str)]) -> String {
    crate::words::interface_words().fill(language, key, values)
}

/// A reply as a text message in `language` (before it is fitted to the segment limit), with
/// its one link.
pub fn reply_text(reply: &Reply, council: &str, language: Language) -> (String, Option<String>) {
    match reply {
        Reply::Text { text, citations } => {
            let body = sms_wording(CITATION_MARK.replace_all(text, "").trim());
            (body, citations.first().map(|citation| citation.url.clone()))
        }
        Reply::Choices { text, choices } => (format!("{}\n{}", sms_wording(text), numbered(choices, language)), None),
        Reply::Confirm { text, summary, choices } => {
            let lines: Vec<String> = summary.iter().map(|line| format!("{}: {}", line.label, line.value)).collect();
            (format!("{}\n{}\n{}", lines.join("\n"), sms_wording(text), numbered(choices, language)), None)
        }
        Reply::Emergency { text, contacts, .. } => {
            let lines: Vec<String> =
                contacts.iter().map(|contact| format!("{}: {}", contact.name, contact.phone)).collect();
            (format!("{text}\n{}", lines.join("\n")), None)
        }
        Reply::Agent { text, name } => (format!("{name} ({council}): {text}"), None),
        Reply::User { .. } => (String::new(), None),
        other => (sms_wording(other.words()), None),
    }
}

/// The line that asks, at the end of an answer, whether it helped (when the council turns it
/// on): "Reply 1 if this helped or 2 if not".
pub fn feedback_line(language: Language) -> String {
    words(language, "sms.feedback", &[])
}

/// A turn's replies as one text message within `max_segments`, carrying the first link any of
/// them has, and ending with `ending` when given; `None` when there is nothing to say.
pub fn compose<'a>(
    replies: impl IntoIterator<Item = &'a Reply>,
    council: &str,
    max_segments: usize,
    ending: Option<&str>,
    language: Language,
) -> Option<String> {
    let mut parts = Vec::new();
    let mut link = None;
    for reply in replies {
        let (text, url) = reply_text(reply, council, language);
        if !text.trim().is_empty() {
            parts.push(text);
        }
        link = link.or(url);
    }
    if parts.is_empty() {
        return None;
    }
    Some(fit_ending(&parts.join("\n"), link.as_deref(), ending, max_segments, language))
}

/// The number a bare reply of "1" or "2" gives as feedback on an answer: `Some(true)` for "it
/// helped", `Some(false)` for "it did not".
pub fn feedback_number(text: &str) -> Option<bool> {
    match text.trim().trim_end_matches(['.', '!']) {
        "1" => Some(true),
        "2" => Some(false),
        _ => None,
    }
}

/// Choices as the numbers to reply with: "Reply 1 for Yes; 2 for No".
fn numbered(choices: &[ChoiceOption], language: Language) -> String {
    let options: Vec<String> = choices
        .iter()
        .enumerate()
        .map(|(index, choice)| {
            words(language, "sms.choice", &[("number", &(index + 1).to_string()), ("label", &choice.label)])
        })
        .collect();
    words(language, "sms.reply", &[("choices", &options.join("; "))])
}

/// The number a reply picks among the choices offered, when it is just a number.
pub fn picked<'a>(choices: &'a [ChoiceOption], text: &str) -> Option<&'a ChoiceOption> {
    let digits = text.trim().trim_end_matches(['.', '!']);
    let number: usize = digits.parse().ok()?;
    choices.get(number.checked_sub(1)?)
}

/// A bare "cancel" in a text opts the sender out of texts, so residents are told to write more.
fn sms_wording(text: &str) -> String {
    SAY_CANCEL.replace_all(text, "text \"cancel my request\"").into_owned()
}

/// Fits a message to `max_segments`: when it is too long its body is shortened at the last
/// sentence (or else word) that fits, marked with "...", and the link is always kept.
pub fn fit(body: &str, link: Option<&str>, max_segments: usize) -> String {
    fit_ending(body, link, None, max_segments, Language::English)
}

/// Fits a message to `max_segments` as [`fit`] does, keeping its link and then `ending` (a line
/// of its own) whole.
pub fn fit_ending(
    body: &str,
    link: Option<&str>,
    ending: Option<&str>,
    max_segments: usize,
    language: Language,
) -> String {
    let body = plain(body);
    let mut tail = link.map(|link| format!("\n{}", words(language, "sms.more", &[("link", link)]))).unwrap_or_default();
    if let Some(ending) = ending {
        tail.push('\n');
        tail.push_str(ending);
    }
    let whole = format!("{body}{tail}");
    if segments(&whole).1 <= max_segments.max(1) {
        return whole;
    }
    let fits = |candidate: &str| segments(&format!("{candidate}...{tail}")).1 <= max_segments.max(1);
    let sentence_ends: Vec<usize> = body.match_indices(['.', '?', '!', '\n']).map(|(at, _)| at + 1).collect();
    if let Some(end) = sentence_ends.iter().rev().find(|end| fits(body[..**end].trim_end())) {
        let cut = body[..*end].trim_end();
        return format!("{cut}{}", if tail.is_empty() { String::new() } else { tail.clone() });
    }
    let mut cut = String::new();
    for word in body.split_whitespace() {
        let longer = if cut.is_empty() { word.to_string() } else { format!("{cut} {word}") };
        if !fits(&longer) {
            break;
        }
        cut = longer;
    }
    format!("{cut}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_counted_as_networks_count_them() {
        assert_eq!(segments(&"a".repeat(160)), (Encoding::Gsm7, 1));
        assert_eq!(segments(&"a".repeat(161)), (Encoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(306)), (Encoding::Gsm7, 2));
        assert_eq!(segments(&"a".repeat(307)), (Encoding::Gsm7, 3));
        assert_eq!(segments(&"€".repeat(80)), (Encoding::Gsm7, 1), "extension characters count two");
        assert_eq!(segments(&"€".repeat(81)), (Encoding::Gsm7, 2));
        assert_eq!(segments(&"é".repeat(160)), (Encoding::Gsm7, 1));
        assert_eq!(segments(&format!("{}ŵ", "a".repeat(69))), (Encoding::Ucs2, 1));
        assert_eq!(segments(&format!("{}ŵ", "a".repeat(70))), (Encoding::Ucs2, 2));
        assert_eq!(segments(&"😀".repeat(35)), (Encoding::Ucs2, 1), "emoji are two UTF-16 units");
    }

    #[test]
    fn long_answers_are_shortened_at_a_sentence_and_keep_their_link() {
        let body = "Bins are collected weekly. ".repeat(20);
        let fitted = fit(&body, Some("https://www.example.gov.uk/bins"), 2);
        assert!(segments(&fitted).1 <= 2, "{fitted}");
        assert!(fitted.ends_with("\nMore: https://www.example.gov.uk/bins"));
        assert!(fitted.starts_with("Bins are collected weekly."));
        assert!(!fitted.contains("weekly. Bins are\n"));
        let words = "antidisestablishmentarianism ".repeat(30);
        let fitted = fit(&words, None, 1);
        assert!(fitted.ends_with("..."), "{fitted}");
        assert!(fitted.trim_end_matches("...").split(' ').all(|word| word == "antidisestablishmentarianism"));
        assert_eq!(plain("It\u{2019}s \u{201c}fine\u{201d}"), "It's \"fine\"");
    }

    #[test]
    fn the_feedback_line_is_kept_after_the_link_however_long_the_answer() {
        let body = "Bins are collected weekly. ".repeat(20);
        let ending = feedback_line(Language::English);
        let fitted = fit_ending(&body, Some("https://www.example.gov.uk/bins"), Some(&ending), 2, Language::English);
        assert!(segments(&fitted).1 <= 2, "{fitted}");
        assert!(fitted.ends_with("\nMore: https://www.example.gov.uk/bins\nReply 1 if this helped or 2 if not"));
        assert_eq!(feedback_number(" 2. "), Some(false));
        assert_eq!(feedback_number("1"), Some(true));
        assert_eq!(feedback_number("3"), None);
        assert_eq!(feedback_number("1 bin"), None);
    }

    #[test]
    fn a_welsh_reply_is_texted_in_welsh_and_fitted_counting_welsh_letters() {
        let choices = vec![
            ChoiceOption { label: "Ie".into(), value: "yes".into() },
            ChoiceOption { label: "Na".into(), value: "no".into() },
        ];
        let reply = Reply::Choices { text: "Hoffech chi siarad â pherson?".into(), choices };
        let text = compose([&reply], "Cyngor", 3, None, Language::Welsh).expect("a text");
        assert_eq!(text, "Hoffech chi siarad â pherson?\nAtebwch gyda rhif: 1 Ie; 2 Na");
        let answer =
            "Mae'r biniau'n cael eu casglu bob dydd Iau. Rhowch eich bin ar ymyl y ffordd erbyn 7yb. ".repeat(3);
        let ending = feedback_line(Language::Welsh);
        let fitted = fit_ending(
            &format!("Ŵyr {answer}"),
            Some("https://www.example.gov.uk/cy/biniau"),
            Some(&ending),
            2,
            Language::Welsh,
        );
        assert_eq!(segments(&fitted), (Encoding::Ucs2, 2), "ŵ makes it UCS-2, kept to two segments: {fitted}");
        assert!(
            fitted.ends_with("\nMwy: https://www.example.gov.uk/cy/biniau\nAtebwch 1 os oedd hyn o help, neu 2 os na")
        );
    }
}
