//! Durations written as text: `500ms`, `30s`, `5m`, `2h`, `1d`, or combined as `1h30m`.

use std::borrow::Cow;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};

/// A length of time written as text, such as `30s` or `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationText(pub Duration);

impl DurationText {
    /// Reads `500ms`, `30s`, `5m`, `2h`, `1d` or combinations such as `1h30m`.
    pub fn parse(text: &str) -> Result<DurationText, String> {
        let invalid = || format!("`{text}` is not a duration such as `30s`, `5m` or `1h30m`");
        let mut total = Duration::ZERO;
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(invalid());
        }
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(invalid)?;
            if digits == 0 {
                return Err(invalid());
            }
            let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
            rest = &rest[digits..];
            let unit = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
            let part = match &rest[..unit] {
                "ms" => Duration::from_millis(number),
                "s" => Duration::from_secs(number),
                "m" => Duration::from_secs(number.saturating_mul(60)),
                "h" => Duration::from_secs(number.saturating_mul(3600)),
                "d" => Duration::from_secs(number.saturating_mul(86_400)),
                _ => return Err(invalid()),
            };
            total = total.saturating_add(part);
            rest = &rest[unit..];
        }
        Ok(DurationText(total))
    }
}

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DurationText::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for DurationText {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9]+(ms|s|m|h|d))+$",
            "description": "A length of time such as `500ms`, `30s`, `5m`, `2h`, `1d` or `1h30m`.",
            "examples": ["30s", "5m", "1h30m"]
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::DurationText;

    #[test]
    fn durations_read_units_and_combinations() {
        assert_eq!(DurationText::parse("500ms"), Ok(DurationText(Duration::from_millis(500))));
        assert_eq!(DurationText::parse("1h30m"), Ok(DurationText(Duration::from_secs(5400))));
        assert_eq!(DurationText::parse("2d"), Ok(DurationText(Duration::from_secs(172_800))));
        for bad in ["", "30", "s", "30 seconds", "1.5h", "-3s"] {
            assert!(DurationText::parse(bad).is_err(), "{bad:?}");
        }
    }
}
