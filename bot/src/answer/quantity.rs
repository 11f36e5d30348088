//! Quantities a question gives ("5 items", "a 60 square metre extension", "2 hrs") and whether
//! a sentence states them or only states other amounts of the same thing ("up to 40 square
//! metres"), which makes it about another case than the one asked about.

/// An amount of something, such as 5 items or 60 square metres.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Quantity {
    amount: f64,
    /// The word after the amount, singular, with common abbreviations spelt out.
    unit: String,
}

/// How a sentence stands to a quantity the question gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stated {
    /// The sentence gives the same amount of the same thing ("So 5 items cost £56").
    Gives,
    /// The sentence gives a range of the same thing that includes it ("up to 10 items").
    Includes,
    /// The sentence gives amounts or ranges of the same thing, none of which includes it.
    Excludes,
    /// The sentence gives no amount of that thing.
    Silent,
}

/// Words that follow a number without saying what it counts ("I'm 28 and single").
const NOT_UNITS: &[&str] = &[
    "and", "or", "to", "a", "an", "the", "of", "in", "on", "at", "for", "i", "im", "you", "we", "is", "are", "was",
    "per", "by", "from", "with", "but", "so", "if", "it", "its", "this", "that", "then", "still", "now", "ago",
];

/// Words after which "one" stands for something rather than counting it.
const PRONOUN_ONE_AFTER: &[&str] = &["no", "any", "every", "some", "each", "the", "this", "that", "which", "another"];

/// Numbers written as words, up to twelve.
const NUMBER_WORDS: &[&str] =
    &["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/// Abbreviations of units and the words they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("hr", "hour"),
    ("hrs", "hour"),
    ("min", "minute"),
    ("mins", "minute"),
    ("wk", "week"),
    ("wks", "week"),
    ("yr", "year"),
    ("yrs", "year"),
    ("mth", "month"),
    ("mths", "month"),
    ("sq", "square"),
    ("bed", "bedroom"),
    ("beds", "bedroom"),
    ("meter", "metre"),
    ("meters", "metre"),
];

/// The quantities in a text: each number followed by a word naming what it counts.
pub(super) fn quantities(text: &str) -> Vec<Quantity> {
    let words = words(text);
    let mut found = Vec::new();
    for (index, word) in words.iter().enumerate() {
        // "no one came", "the one by the door": a pronoun, not a count.
        let pronoun = word == "one" && index > 0 && PRONOUN_ONE_AFTER.contains(&words[index - 1].as_str());
        if pronoun {
            continue;
        }
        if let (Some(amount), Some(unit)) = (number(word), words.get(index + 1).and_then(|next| unit(next)))
            && !found.iter().any(|quantity: &Quantity| quantity.unit == unit && quantity.amount == amount)
        {
            found.push(Quantity { amount, unit });
        }
    }
    found
}

/// Whether `sentence` gives `quantity`, only other amounts of its unit, or nothing of its unit.
pub(super) fn stated(sentence: &str, quantity: &Quantity) -> Stated {
    let words = words(sentence);
    let mut ranges: Vec<(f64, f64)> = Vec::new();
    for (index, word) in words.iter().enumerate() {
        if index == 0 || unit(word).as_deref() != Some(quantity.unit.as_str()) {
            continue;
        }
        let Some(amount) = number(&words[index - 1]) else { continue };
        let before = |back: usize| index.checked_sub(back).map(|at| words[at].as_str());
        let range = match (before(3), before(2)) {
            // "10 to 40 square metres", "between 2 and 4 bedrooms", "10-40 square metres"
            (Some(first), Some("to" | "-" | "and")) if number(first).is_some() => {
                (number(first).unwrap_or_default(), amount)
            }
            (Some("up"), Some("to"))
            | (Some("less" | "fewer"), Some("than"))
            | (Some("maximum" | "max"), Some("of")) => (0.0, amount),
            (_, Some("under" | "below" | "within")) => (0.0, amount),
            (Some("more"), Some("than")) | (_, Some("over" | "above")) | (Some("at"), Some("least")) => {
                (amount, f64::INFINITY)
            }
            _ => (amount, amount),
        };
        ranges.push(range);
    }
    if ranges.is_empty() {
        Stated::Silent
    } else if ranges.contains(&(quantity.amount, quantity.amount)) {
        Stated::Gives
    } else if ranges.iter().any(|(low, high)| (*low..=*high).contains(&quantity.amount)) {
        Stated::Includes
    } else {
        Stated::Excludes
    }
}

/// Lowercase words, numbers kept whole ("1,000", "1.5"), a hyphen between numbers ("10-40") as
/// a word of its own and one between words ("two-storey") as a space.
fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.to_lowercase().chars().collect();
    let mut spaced = String::with_capacity(chars.len() + 8);
    for (index, c) in chars.iter().enumerate() {
        let between_numbers = index > 0
            && chars[index - 1].is_ascii_digit()
            && chars.get(index + 1).is_some_and(|next| next.is_ascii_digit());
        match c {
            '-' | '–' | '‑' if between_numbers => spaced.push_str(" - "),
            '-' | '‑' => spaced.push(' '),
            c => spaced.push(*c),
        }
    }
    spaced
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | ':' | '(' | ')' | '/' | '!' | '?' | '"'))
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric() && c != '£' && c != '-'))
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// The number a word writes, in figures or as a word ("single" for one); not an amount of money
/// or a time of day.
fn number(word: &str) -> Option<f64> {
    if let Some(at) = NUMBER_WORDS.iter().position(|number| *number == word) {
        return Some(at as f64);
    }
    if word == "single" {
        return Some(1.0);
    }
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    word.replace(',', "").parse::<f64>().ok()
}

/// What a word counts, singular and spelt out; `None` for a word that counts nothing.
fn unit(word: &str) -> Option<String> {
    if NOT_UNITS.contains(&word) || !word.chars().all(char::is_alphabetic) {
        return None;
    }
    if let Some((_, full)) = ABBREVIATIONS.iter().find(|(short, _)| *short == word) {
        return Some(full.to_string());
    }
    let singular = word.strip_suffix('s').filter(|stem| stem.len() > 2 && !word.ends_with("ss")).unwrap_or(word);
    Some(singular.to_string())
}

#[cfg(test)]
mod tests {
    use super::{Stated, quantities, stated};

    fn only(text: &str) -> super::Quantity {
        let found = quantities(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        found[0].clone()
    }

    #[test]
    fn a_question_gives_numbers_followed_by_what_they_count() {
        assert_eq!(quantities("how much for 5 items to be picked up").len(), 1);
        assert_eq!(quantities("a 60 square metre two storey extension").len(), 2);
        assert!(quantities("im 28 and single, i paid £38 at 10am").is_empty());
        assert!(quantities("no one came for the bins, is this one broken").is_empty());
        assert_eq!(quantities("a one bedroom flat").len(), 1);
        assert_eq!(only("park for 2 hrs"), only("park for two hours"));
    }

    #[test]
    fn a_range_that_leaves_the_amount_out_excludes_it() {
        let area = only("a 60 square metre extension");
        assert_eq!(stated("Two-storey extension up to 40 square metres; Total charge: £960", &area), Stated::Excludes);
        assert_eq!(stated("Single-storey extension 40 to 100 square metres", &area), Stated::Includes);
        assert_eq!(stated("Extensions over 30 square metres need approval", &area), Stated::Includes);
        assert_eq!(stated("Loft conversion with a dormer; Total charge: £780", &area), Stated::Silent);
        assert_eq!(stated("extensions of 10-40 square metres", &area), Stated::Excludes);
        let storeys = quantities("a 60 square metre two storey extension")[1].clone();
        assert_eq!(stated("Two-storey extension up to 40 square metres", &storeys), Stated::Gives);
        assert_eq!(stated("Single-storey extension 40 to 100 square metres", &storeys), Stated::Excludes);
        let bedrooms = only("the rate for a 5 bedroom house");
        assert_eq!(stated("Size of home: 4 bedrooms; Weekly rate: £287.67", &bedrooms), Stated::Excludes);
        let items = only("how much for 5 items");
        assert_eq!(stated("So 5 items cost £56", &items), Stated::Gives);
        assert_eq!(stated("What you need collected: Up to 3 items; Price: £38", &items), Stated::Excludes);
        assert_eq!(stated("up to a maximum of 10 items in one collection", &items), Stated::Includes);
    }
}
