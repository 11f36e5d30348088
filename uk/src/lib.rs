//! What is particular to the UK: its civil time, its languages (English and Welsh), postcodes,
//! and the shapes of residents' personal data (card numbers, National Insurance numbers, phone
//! numbers, addresses) that are masked wherever text leaves a conversation or a run.

pub mod calendar;
pub mod card_numbers;
pub mod language;
pub mod postcode;
pub mod redact;
