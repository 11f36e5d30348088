//! What every channel's settings share: how an option left blank in `councilbot.toml` is read.

use serde::{Deserialize, Deserializer};

/// Reads an optional text option; a blank value, as older files write for "none", is unset.
pub fn blank_is_unset<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value.filter(|text| !text.trim().is_empty()))
}

/// Whether an address is an http or https one.
pub fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}
