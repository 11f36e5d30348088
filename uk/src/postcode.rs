//! UK postcodes as people type them, put in the form the Royal Mail writes them.

/// A UK postcode in capitals with one space before the last three characters.
pub fn normalise_postcode(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let bytes = compact.as_bytes();
    let valid = (5..=7).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes.iter().all(u8::is_ascii_alphanumeric)
        && bytes[bytes.len() - 3].is_ascii_digit()
        && bytes[bytes.len() - 2..].iter().all(u8::is_ascii_alphabetic);
    valid.then(|| format!("{} {}", &compact[..compact.len() - 3], &compact[compact.len() - 3..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_written_in_capitals_with_one_space_before_the_last_three_characters() {
        assert_eq!(normalise_postcode("eb42qx").as_deref(), Some("EB4 2QX"));
        assert_eq!(normalise_postcode(" sw1a 1aa ").as_deref(), Some("SW1A 1AA"));
        assert_eq!(normalise_postcode("EB4"), None);
        assert_eq!(normalise_postcode("12345"), None);
    }
}
