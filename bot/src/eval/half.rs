//! The two halves of a labelled set: thresholds are chosen on the development half and the
//! held-out half shows whether they hold on questions they were not chosen on.

use serde::{Deserialize, Serialize};

/// The half of a labelled set a question or message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Half {
    /// The development half: thresholds and weights are chosen on it.
    Dev,
    /// The held-out half: only measured, never tuned on.
    HeldOut,
}

impl Half {
    /// The half of a text that was not given one: a stable hash of its words (lowercased, spaces
    /// collapsed) decides, so the same text falls in the same half on every run and version.
    pub fn of_text(text: &str) -> Half {
        let words = text.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        if fnv1a(words.as_bytes()).is_multiple_of(2) { Half::Dev } else { Half::HeldOut }
    }

    /// The name used in reports.
    pub fn label(self) -> &'static str {
        match self {
            Half::Dev => "dev",
            Half::HeldOut => "held-out",
        }
    }
}

/// The 64-bit FNV-1a hash: fixed by its definition, unlike the standard library's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_without_a_half_always_falls_in_the_same_one() {
        // Recorded once: a change here would move a council's questions between halves.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Half::of_text("when is the tip open"), Half::HeldOut);
        assert_eq!(Half::of_text("  When is the TIP   open "), Half::HeldOut, "case and spacing do not count");
        assert_eq!(Half::of_text("how much is a bulky collection"), Half::Dev);
        assert_eq!(Half::of_text("who do i ring about rats"), Half::Dev);
    }

    #[test]
    fn texts_without_a_half_split_about_evenly() {
        let dev = (0..1000).filter(|n| Half::of_text(&format!("question number {n}")) == Half::Dev).count();
        assert!((450..=550).contains(&dev), "{dev} of 1000 in the development half");
    }
}
