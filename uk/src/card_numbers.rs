//! Finding payment card numbers however they are written, so they are masked before anything
//! keeps them.
//!
//! Invisible characters (zero-width spaces and joiners, soft hyphens, byte order marks, word
//! joiners and the like) are read as if they were not there. A number is then any run of digits
//! whose groups are separated by a few characters that are not letters (spaces, dots, dashes,
//! slashes, underscores, " - "), glued to letters or not at either end; wherever 13 to 19 of its
//! digits in a row pass the Luhn check, they are a card number, so a digit added before or after
//! one does not hide it.

use std::ops::{Range, RangeInclusive};

/// How many digits a payment card number has.
const CARD_DIGITS: RangeInclusive<usize> = 13..=19;

/// The most characters between two groups of digits of one number (" - " is three); a run of
/// spaces counts as one.
const MOST_BETWEEN_GROUPS: usize = 3;

/// Whether a character is invisible in text: zero-width spaces and joiners, soft hyphens,
/// byte order marks, word joiners, direction marks and other characters that draw nothing.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The text with every payment card number in it replaced by `mask`; everything else is left
/// exactly as it was.
pub fn mask_card_numbers(text: &str, mask: &str) -> String {
    let found = card_numbers(text);
    if found.is_empty() {
        return text.to_string();
    }
    let mut masked = String::with_capacity(text.len());
    let mut from = 0;
    for span in found {
        masked.push_str(&text[from..span.start]);
        masked.push_str(mask);
        from = span.end;
    }
    masked.push_str(&text[from..]);
    masked
}

/// Where the payment card numbers in a text are, as byte ranges in order, none overlapping.
pub fn card_numbers(text: &str) -> Vec<Range<usize>> {
    let mut found: Vec<Range<usize>> = Vec::new();
    let mut run = Run::default();
    for (at, c) in text.char_indices() {
        if is_invisible(c) {
            continue;
        }
        if c.is_ascii_digit() {
            if run.between > MOST_BETWEEN_GROUPS {
                run.finish(&mut found);
            }
            run.push(c as u8 - b'0', at..at + 1);
        } else if c.is_alphabetic() {
            run.finish(&mut found);
        } else if !run.digits.is_empty() {
            if !(c.is_whitespace() && run.last_was_space) {
                run.between += 1;
            }
            run.last_was_space = c.is_whitespace();
        }
    }
    run.finish(&mut found);
    found
}

/// A digit of a run and where it is in the text.
#[derive(Debug, Clone)]
struct Digit {
    value: u8,
    span: Range<usize>,
}

/// Digits read so far that may be one number.
#[derive(Debug, Default)]
struct Run {
    digits: Vec<Digit>,
    /// Characters since the last digit (a run of spaces counted once).
    between: usize,
    last_was_space: bool,
}

impl Run {
    fn push(&mut self, value: u8, span: Range<usize>) {
        self.digits.push(Digit { value, span });
        self.between = 0;
        self.last_was_space = false;
    }

    /// Adds the card numbers in the run to `found` (merging overlaps), and starts afresh.
    fn finish(&mut self, found: &mut Vec<Range<usize>>) {
        let digits = std::mem::take(&mut self.digits);
        self.between = 0;
        self.last_was_space = false;
        let count = digits.len();
        if count < *CARD_DIGITS.start() {
            return;
        }
        for start in 0..count {
            for length in CARD_DIGITS {
                let end = start + length;
                if end > count {
                    break;
                }
                if !passes_luhn(digits[start..end].iter().map(|digit| digit.value)) {
                    continue;
                }
                let span = digits[start].span.start..digits[end - 1].span.end;
                match found.last_mut() {
                    Some(last) if last.end >= span.start => last.end = last.end.max(span.end),
                    _ => found.push(span),
                }
            }
        }
    }
}

/// Whether digits pass the Luhn check that every payment card number passes.
pub fn passes_luhn(digits: impl DoubleEndedIterator<Item = u8>) -> bool {
    let sum: u32 = digits
        .rev()
        .enumerate()
        .map(|(index, digit)| {
            let digit = u32::from(digit);
            if index % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_found_however_they_are_spaced() {
        for written in [
            "4111 1111 1111 1111",
            "4111.1111.1111.1111",
            "4111  1111  1111  1111",
            "4111 - 1111 - 1111 - 1111",
            "4111/1111/1111/1111",
            "4111_1111_1111_1111",
            "4111\u{200B}1111\u{200B}1111\u{200B}1111",
            "card4111111111111111",
            "4111111111111111x",
            "4111 1111 1111 1111 7",
            "41111111111111117",
            "3782 822463 10005",
        ] {
            let masked = mask_card_numbers(&format!("my card is {written} thanks"), "[card]");
            assert!(!masked.contains("1111") && !masked.contains("822463"), "{written:?} became {masked:?}");
        }
    }

    #[test]
    fn other_numbers_are_left_as_they_are() {
        for text in [
            "call 01632 960123 or 07700 900982",
            "Case HR-104230 logged 23/11/2026 for run CB-1A2B3C4D",
            "sort code 12-34-56, account 12345678",
            "emoji keep their joiners: \u{1F469}\u{200D}\u{1F469}\u{200D}\u{1F467}",
        ] {
            assert_eq!(mask_card_numbers(text, "[card]"), text);
        }
    }
}
