//! The words of the chat pages, the widget, the chat's script and the console in each language,
//! from the translation files in `channels/translations` (`en.yaml` and `cy.yaml`, and the
//! console's `console-en.yaml` and `console-cy.yaml`).

use std::sync::LazyLock;

use bot::translations::Translations;
use knowledge_base::Language;
use serde_json::{Map, Value, json};

/// The words of the pages and scripts residents see.
pub fn interface_words() -> &'static Translations {
    static WORDS: LazyLock<Translations> = LazyLock::new(|| {
        Translations::parse_all(
            &[
                ("channels/translations/en.yaml", include_str!("../translations/en.yaml")),
                ("channels/translations/console-en.yaml", include_str!("../translations/console-en.yaml")),
            ],
            &[
                ("channels/translations/cy.yaml", include_str!("../translations/cy.yaml")),
                ("channels/translations/console-cy.yaml", include_str!("../translations/console-cy.yaml")),
            ],
        )
        .expect("the built-in translation files parse")
    });
    &WORDS
}

/// The words the chat's script shows, in `language`, as the page gives them to it.
pub fn script_words(language: Language) -> Value {
    Value::Object(
        interface_words().under(language, "script").into_iter().map(|(key, words)| (key, json!(words))).collect(),
    )
}

/// What the widget's script needs to greet people: the council's language, whether Welsh comes
/// first, and its words in each language.
pub fn widget_words(language: Language, welsh_first: bool) -> Value {
    let mut words = Map::new();
    for each in Language::ALL {
        let own: Map<String, Value> =
            interface_words().under(each, "widget").into_iter().map(|(key, words)| (key, json!(words))).collect();
        words.insert(each.code().to_string(), Value::Object(own));
    }
    json!({"language": language.code(), "welshFirst": welsh_first, "words": words})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interface_string_has_welsh_words() {
        let gaps = interface_words().gaps();
        assert!(gaps.is_empty(), "channels/translations/cy.yaml: {}", gaps.join("; "));
    }

    #[test]
    fn every_key_the_pages_and_scripts_use_has_words() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let in_templates = regex::Regex::new(r#"\bt\(\s*["']([a-z_]+(?:\.[a-z_]+)+)["']"#).unwrap();
        let in_script = regex::Regex::new(r"\bwords\.([a-z_]+)").unwrap();
        let mut unknown = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(root.join("templates")).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            for captures in in_templates.captures_iter(&source) {
                seen += 1;
                if !interface_words().has(&captures[1]) {
                    unknown.push(format!("{}: `{}`", path.display(), &captures[1]));
                }
            }
        }
        let script = std::fs::read_to_string(root.join("assets/chat.js")).unwrap();
        for captures in in_script.captures_iter(&script) {
            seen += 1;
            if !interface_words().has(&format!("script.{}", &captures[1])) {
                unknown.push(format!("assets/chat.js: `script.{}`", &captures[1]));
            }
        }
        assert!(seen > 40, "only {seen} uses of words were found: the search for them is broken");
        assert!(unknown.is_empty(), "keys with no words: {unknown:?}");
    }

    #[test]
    fn every_reason_for_a_person_has_words_in_the_console() {
        use bot::conversation::EscalationReason::*;
        for reason in [Requested, Unanswered, Frustration, Safeguarding, WorkflowFailed, WorkflowWaiting, NotUnderstood]
        {
            let key = format!("console.reason.{}", reason.as_str());
            assert!(interface_words().has(&key), "no words for {key}");
        }
    }

    #[test]
    fn every_status_of_a_run_or_step_and_every_trigger_has_words_in_the_console() {
        use rpa::journal::RunStatus::*;
        for status in [Queued, Running, Waiting, Succeeded, Failed, Cancelled] {
            let key = format!("console.run_status.{}", status.as_str());
            assert!(interface_words().has(&key), "no words for {key}");
        }
        for step in ["started", "completed", "failed", "skipped", "waiting"] {
            assert!(
                interface_words().has(&format!("console.step_status.{step}")),
                "no words for the step status {step}"
            );
        }
        for trigger in ["web", "teams", "sms", "cli", "schedule", "webhook"] {
            assert!(interface_words().has(&format!("console.channel.{trigger}")), "no words for {trigger}");
        }
    }
}
