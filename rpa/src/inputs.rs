//! Checking and normalising a workflow's inputs before a run starts.

use serde_json::{Map, Value};

use crate::browser::typing::key_character_in;
use crate::workflow::{DateWhen, Input, InputType, Workflow};

/// Checks raw input values against a workflow's declared inputs and returns them normalised
/// (postcodes in capitals, numbers as numbers, yes/no as true/false). Every problem is listed.
///
/// A value holding a character WebDriver would press as a key (U+E000 to U+E05D: Tab, Enter and
/// the like) is refused, naming the input, rather than quietly changed: what reaches a council
/// system is then exactly what was given, and whoever gave it learns why it was not taken.
pub fn check_inputs(workflow: &Workflow, raw: &[(String, String)]) -> Result<Map<String, Value>, Vec<String>> {
    let mut problems = Vec::new();
    let mut values = Map::new();
    for (name, _) in raw {
        if !workflow.inputs.iter().any(|input| input.name.value == *name) {
            let declared: Vec<&str> = workflow.inputs.iter().map(|input| input.name.value.as_str()).collect();
            problems.push(format!(
                "`{name}` is not an input of `{}`; its inputs are {}",
                workflow.name.value,
                declared.join(", ")
            ));
        }
    }
    for input in &workflow.inputs {
        let given = raw.iter().rev().find(|(name, _)| *name == input.name.value).map(|(_, value)| value.trim());
        match given {
            Some(text) if key_character_in(text).is_some() => problems.push(format!(
                "input `{}` holds U+{:04X}, a character the browser would press as a key (such as Tab or Enter) \
                 instead of typing it; give the value without it",
                input.name.value,
                key_character_in(text).map_or(0, u32::from)
            )),
            Some(text) if !text.is_empty() => match normalise(input, text) {
                Ok(value) => {
                    values.insert(input.name.value.clone(), value);
                }
                Err(problem) => problems.push(format!("input `{}`: {problem}", input.name.value)),
            },
            _ if input.required => {
                problems.push(format!("input `{}` is required ({})", input.name.value, input.prompt))
            }
            _ => {
                values.insert(input.name.value.clone(), Value::Null);
            }
        }
    }
    if problems.is_empty() { Ok(values) } else { Err(problems) }
}

/// One value checked and normalised for its input's type.
pub fn normalise(input: &Input, text: &str) -> Result<Value, String> {
    match input.kind {
        InputType::Text => {
            let length = text.chars().count();
            if let Some(min) = input.min_length.filter(|min| length < *min) {
                return Err(format!("needs at least {min} characters"));
            }
            if let Some(max) = input.max_length.filter(|max| length > *max) {
                return Err(format!("may have at most {max} characters (it has {length})"));
            }
            if let Some(pattern) = &input.pattern {
                let matches = regex::Regex::new(pattern).map(|pattern| pattern.is_match(text)).unwrap_or(false);
                if !matches {
                    return Err(input
                        .pattern_hint
                        .as_ref()
                        .map(|hint| hint.english.clone())
                        .unwrap_or_else(|| format!("`{text}` is not in the expected form")));
                }
            }
            Ok(Value::from(text))
        }
        InputType::Number => {
            text.replace(',', "").parse::<i64>().map(Value::from).map_err(|_| format!("`{text}` is not a whole number"))
        }
        InputType::Postcode => uk::postcode::normalise_postcode(text)
            .map(Value::from)
            .ok_or_else(|| format!("`{text}` is not a UK postcode")),
        InputType::Email => {
            let valid = text.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            }) && !text.contains(char::is_whitespace);
            if valid { Ok(Value::from(text)) } else { Err(format!("`{text}` is not an email address")) }
        }
        InputType::Phone => {
            let digits: String = text.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
            let national = digits.strip_prefix("+44").map(|rest| format!("0{rest}")).unwrap_or(digits);
            let valid = national.starts_with('0')
                && (10..=11).contains(&national.len())
                && national[1..].chars().all(|c| c.is_ascii_digit());
            if valid { Ok(Value::from(national)) } else { Err(format!("`{text}` is not a UK phone number")) }
        }
        InputType::Date => {
            let date = normalise_date(text)
                .ok_or_else(|| format!("`{text}` is not a date such as 2026-11-23 or 23/11/2026"))?;
            let today = uk::calendar::today();
            match input.when {
                Some(DateWhen::Past) if date > today => Err(format!("{date} is after today; it must have passed")),
                Some(DateWhen::Future) if date < today => Err(format!("{date} is before today; it must be to come")),
                _ => Ok(Value::from(date)),
            }
        }
        InputType::Choice => input
            .choices
            .iter()
            .find(|choice| choice.english.eq_ignore_ascii_case(text))
            .map(|choice| Value::from(choice.english.as_str()))
            .ok_or_else(|| {
                let choices: Vec<&str> = input.choices.iter().map(|choice| choice.english.as_str()).collect();
                format!("`{text}` is not one of: {}", choices.join(", "))
            }),
        InputType::YesNo => match text.to_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Ok(Value::Bool(true)),
            "no" | "n" | "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("`{text}` is not yes or no")),
        },
    }
}

/// A date as `YYYY-MM-DD`, from that form or `DD/MM/YYYY`.
pub fn normalise_date(text: &str) -> Option<String> {
    let (year, month, day) = if let Some((year, rest)) = text.split_once('-') {
        let (month, day) = rest.split_once('-')?;
        (year, month, day)
    } else {
        let mut parts = text.split('/');
        let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
        (year, month, day)
    };
    let (year, month, day): (u32, u32, u32) = (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let valid = (1900..=2200).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month[month as usize - 1];
    valid.then(|| format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_normalised() {
        assert_eq!(normalise_date("3/11/2026").as_deref(), Some("2026-11-03"));
        assert_eq!(normalise_date("2026-02-29"), None);
        assert_eq!(normalise_date("2028-02-29").as_deref(), Some("2028-02-29"));
    }
}
