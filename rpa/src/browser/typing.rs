//! Text as WebDriver types it: the characters it would press as keys instead of typing them, and
//! values made safe to type.
//!
//! WebDriver reads its private-use characters U+E000 to U+E05D as keys (U+E004 is Tab, U+E007
//! Enter), and ChromeDriver presses Enter for a line feed, Tab for a tab and Backspace for a
//! backspace. A value typed into a legacy system's form must never press a key: a tab would move
//! the rest of the value into the next field, and an Enter would submit the form early.

/// The characters WebDriver reads as keys (Tab, Enter, arrows, ...) rather than text.
pub const KEY_CHARACTERS: std::ops::RangeInclusive<char> = '\u{E000}'..='\u{E05D}';

/// Whether WebDriver would press a key for this character instead of typing it.
pub fn is_key_character(c: char) -> bool {
    KEY_CHARACTERS.contains(&c)
}

/// The first character in a text that WebDriver would press as a key, if any.
pub fn key_character_in(text: &str) -> Option<char> {
    text.chars().find(|c| is_key_character(*c))
}

/// A value as it is typed into a field, with nothing in it that presses a key: WebDriver's key
/// characters and control characters are left out, and tabs become spaces; line breaks stay in a
/// field of several lines (a textarea) and become spaces in any other.
pub fn typeable(value: &str, several_lines: bool) -> String {
    let value = value.replace("\r\n", "\n").replace('\r', "\n");
    value
        .chars()
        .filter_map(|c| match c {
            '\n' if several_lines => Some('\n'),
            '\n' | '\t' => Some(' '),
            c if c.is_control() || is_key_character(c) => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_typed_presses_a_key() {
        assert_eq!(typeable("a\u{E007}b\u{E004}c\u{E05D}", false), "abc");
        assert_eq!(typeable("line one\r\nline two\tend", false), "line one line two end");
        assert_eq!(typeable("line one\r\nline two\rthree", true), "line one\nline two\nthree");
        assert_eq!(typeable("back\u{8}space\u{1b}\u{7f}", true), "backspace");
        assert_eq!(typeable("Café £5 \u{E05E} 👍", false), "Café £5 \u{E05E} 👍");
        assert_eq!(key_character_in("ok\u{E006}"), Some('\u{E006}'));
        assert_eq!(key_character_in("ok"), None);
    }
}
