//! Payment card numbers never get past the redaction, however they are written, and ordinary
//! text with numbers in it (dates, phone numbers, references, postcodes) goes through unchanged.

use proptest::prelude::*;
use uk::card_numbers::{mask_card_numbers, passes_luhn};
use uk::redact::Redactor;

/// A valid card number: 13 to 19 digits whose last is the Luhn check digit.
fn card_number() -> impl Strategy<Value = String> {
    (1u8..=9, prop::collection::vec(0u8..=9, 11..=17)).prop_map(|(first, rest)| {
        let mut digits = vec![first];
        digits.extend(rest);
        let check = (0..=9).find(|check| passes_luhn(digits.iter().copied().chain([*check]))).expect("a check digit");
        digits.push(check);
        digits.iter().map(|digit| char::from(b'0' + digit)).collect()
    })
}

/// What people put between the groups of a card number, or hide in it.
fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        " ",
        "  ",
        ".",
        "-",
        " - ",
        "/",
        " / ",
        "_",
        ",",
        "\u{A0}",
        "\t",
        "\u{200B}",
        "\u{200C}",
        "\u{200D}",
        "\u{00AD}",
        "\u{FEFF}",
        "\u{2060}",
        " \u{200B}",
        "\u{200B} \u{200B}",
    ])
}

/// A card number spelled in groups, with separators and invisible characters between them.
fn spelled(digits: String) -> impl Strategy<Value = String> {
    let count = digits.len();
    (prop::collection::vec(1usize..=6, count), prop::collection::vec(separator(), count)).prop_map(
        move |(sizes, separators)| {
            let mut spelled = String::new();
            let mut at = 0;
            for (size, separator) in sizes.iter().zip(&separators) {
                if at >= count {
                    break;
                }
                if at > 0 {
                    spelled.push_str(separator);
                }
                let end = (at + size).min(count);
                spelled.push_str(&digits[at..end]);
                at = end;
            }
            spelled
        },
    )
}

/// Words around the card number: glued on, a trailing letter or digit, a sentence.
fn around() -> impl Strategy<Value = (&'static str, &'static str)> {
    (
        prop::sample::select(vec!["", "my card is ", "card", "Card no: ", "(", "paid with 9", "ref:"]),
        prop::sample::select(vec!["", " thanks", "x", "7", " 7", "abc", ".", ")", " exp 12/27", " call 07700 900982"]),
    )
}

fn only_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// A date, a phone number, a reference, a postcode, an amount or a time, as people write them.
fn ordinary_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..=28, 1u32..=12, 1990u32..=2040).prop_map(|(d, m, y)| format!("{d:02}/{m:02}/{y}")),
        (1u32..=28, 1u32..=12, 1990u32..=2040).prop_map(|(d, m, y)| format!("{y}-{m:02}-{d:02}")),
        (1u32..=28, 1990u32..=2040).prop_map(|(d, y)| format!("{d} November {y}")),
        (1000u32..=9999, 100_000u32..=999_999).prop_map(|(a, b)| format!("0{a} {b}")),
        (100u32..=999).prop_map(|n| format!("07700 900{n}")),
        (100u32..=999).prop_map(|n| format!("+44 7700 900{n}")),
        (100_000u32..=999_999).prop_map(|n| format!("(01632) {n}")),
        (100_000u32..=999_999).prop_map(|n| format!("HR-{n}")),
        (10_000u32..=99_999).prop_map(|n| format!("WB-{n}")),
        "CB-[0-9A-F]{8}",
        "[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}",
        (1u32..=9999, 0u32..=99).prop_map(|(pounds, pence)| format!("£{pounds}.{pence:02}")),
        (0u32..=23, 0u32..=59).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
        (10_000_000u32..=99_999_999).prop_map(|n| format!("account {n}")),
    ]
}

/// Ordinary sentences with numbers in them.
fn ordinary_text() -> impl Strategy<Value = String> {
    let joiner = prop::sample::select(vec![" on ", " and ", ", then ", " call ", " ref ", " at ", " for ", "\nsee "]);
    prop::collection::vec((ordinary_piece(), joiner), 1..6).prop_map(|pieces| {
        let mut text = String::from("Logged ");
        for (piece, joiner) in pieces {
            text.push_str(&piece);
            text.push_str(joiner);
        }
        text.push_str("today.");
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn card_numbers_spelled_any_way_never_survive_redaction(
        (digits, written) in card_number().prop_flat_map(|digits| (Just(digits.clone()), spelled(digits))),
        (before, after) in around(),
    ) {
        let text = format!("{before}{written}{after}");
        for masked in [Redactor::default().redact(&text), mask_card_numbers(&text, "[card]")] {
            prop_assert!(
                !only_digits(&masked).contains(&digits),
                "{text:?} became {masked:?}, which still holds {digits}"
            );
        }
    }

    #[test]
    fn ordinary_text_is_unchanged_by_card_number_redaction(text in ordinary_text()) {
        prop_assert_eq!(mask_card_numbers(&text, "[card]"), text);
    }
}
