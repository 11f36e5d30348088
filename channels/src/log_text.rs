//! Text that arrived before anyone was authenticated (a token's claims, a header), made safe to
//! log: control characters and escape codes written out, and the length capped.

/// The most characters of such a value that are logged.
const LONGEST: usize = 120;

/// `text` with every control character escaped (`\n`, `\u{1b}`) and cut to a loggable length.
pub fn escaped(text: &str) -> String {
    let mut out = String::new();
    for (index, character) in text.chars().enumerate() {
        if index == LONGEST {
            out.push('…');
            break;
        }
        if character.is_control() || is_invisible(character) {
            out.extend(character.escape_default());
        } else {
            out.push(character);
        }
    }
    out
}

/// Characters that change how a line reads without showing: bidirectional overrides and the like.
fn is_invisible(character: char) -> bool {
    matches!(character, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_and_escape_codes_cannot_forge_log_lines() {
        let forged = "https://evil.example/\n2026-12-03T10:00:00Z  INFO signed in\u{1b}[2J\u{202e}";
        let logged = escaped(forged);
        assert!(!logged.chars().any(|c| c.is_control()), "{logged}");
        assert!(logged.contains("\\n2026"), "{logged}");
        assert!(logged.contains("\\u{1b}"), "{logged}");
        assert!(logged.contains("\\u{202e}"), "{logged}");
        assert_eq!(escaped(&"a".repeat(500)).chars().count(), LONGEST + 1);
        assert_eq!(escaped("plain words"), "plain words");
    }
}
