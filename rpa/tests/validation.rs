//! Everything wrong with a workflow is reported before it runs, at its file, line and column.

use std::path::Path;

use rpa::workflow::{Catalogue, Diagnostic, parse_workflow, read_workflow};

use crate::support::{Workflows, council_workflows};

const GOOD: &str = r#"name: greet
version: 1
description: Say hello.
trigger:
  intent:
    name: greet
    description: Someone says hello.
    examples: [hello]
inputs:
  - name: who
    type: text
    prompt: Who is it?
steps:
  - succeed:
      message: "Hello {{ inputs.who }}"
"#;

fn errors_of(text: &str) -> Vec<Diagnostic> {
    let workflows = Workflows::new(&[("flow.yaml", text)]);
    let (_, errors) = Catalogue::load(&[workflows.directory.path().to_path_buf()]);
    errors
}

/// The one error of a workflow, as the CLI prints it but without the file's directory.
fn only_error(text: &str) -> (u64, u64, String) {
    let errors = errors_of(text);
    assert_eq!(errors.len(), 1, "expected one error, got: {errors:#?}");
    (errors[0].line, errors[0].column, errors[0].message.clone())
}

#[test]
fn a_correct_workflow_has_no_errors() {
    assert!(errors_of(GOOD).is_empty(), "{:#?}", errors_of(GOOD));
}

#[test]
fn every_council_workflow_is_valid() {
    let (catalogue, errors) = Catalogue::load(&[council_workflows()]);
    assert!(errors.is_empty(), "{}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
    for name in [
        "report_housing_repair",
        "report_missed_bin",
        "book_bulky_waste",
        "council_tax_change_of_address",
        "repair_status",
    ] {
        let file = catalogue.get(name).unwrap_or_else(|| panic!("{name} is shipped"));
        assert!(
            file.workflow.trigger.as_ref().is_some_and(|trigger| trigger.intent.is_some()),
            "{name} is asked for in conversation"
        );
        assert!(file.workflow.manual_minutes.is_some(), "{name} declares the staff time it saves");
    }
}

#[test]
fn unknown_keys_and_step_kinds_suggest_what_was_meant() {
    let text = GOOD.replace("  - succeed:", "  - clik: { css: '#go' }\n  - succeed:");
    let (line, column, message) = only_error(&text);
    assert_eq!((line, column), (14, 5));
    assert_eq!(message, "unknown key `clik`; did you mean `click`?");

    let text = GOOD.replace("description: Say hello.", "descripton: Say hello.");
    let (line, _, message) = only_error(&text);
    assert_eq!(line, 3);
    assert!(message.contains("did you mean `description`?"), "{message}");
}

#[test]
fn wrong_types_and_missing_keys_are_named() {
    let (line, _, message) = only_error(&GOOD.replace("version: 1", "version: one"));
    assert_eq!(line, 2);
    assert_eq!(message, "expected a whole number, 0 or more here");

    let (_, _, message) = only_error(&GOOD.replace("version: 1\n", ""));
    assert_eq!(message, "missing required key `version`");

    let (line, _, message) = only_error(&GOOD.replace("type: text", "type: txt"));
    assert_eq!(line, 11);
    assert!(message.contains("did you mean `text`?"), "{message}");
}

#[test]
fn templates_may_only_use_what_is_defined_at_that_point() {
    let (line, column, message) = only_error(&GOOD.replace("inputs.who", "inputs.whom"));
    assert_eq!((line, column), (15, 16));
    assert_eq!(message, "`inputs.whom` is not a declared input; did you mean `inputs.who`?");

    let text =
        GOOD.replace("      message: \"Hello {{ inputs.who }}\"", "      message: \"Your case is {{ case_ref }}\"");
    let (_, _, message) = only_error(&text);
    assert!(message.contains("`case_ref` is not defined here"), "{message}");

    let text = GOOD
        .replace("  - succeed:", "  - extract: { css: '.ref', as: case_ref }\n  - succeed:")
        .replace("Hello {{ inputs.who }}", "Your case is {{ case_ref }}");
    assert!(errors_of(&text).is_empty(), "a variable extracted earlier can be used: {:#?}", errors_of(&text));

    let (_, _, message) = only_error(&GOOD.replace("Hello {{ inputs.who }}", "Hello {{ inputs.who"));
    assert!(message.starts_with("template error:"), "{message}");
}

#[test]
fn secrets_must_be_declared_before_use() {
    let text = GOOD
        .replace("Hello {{ inputs.who }}", "{{ secrets.portal_pasword }}")
        .replace("steps:", "secrets: [portal_password]\nsteps:");
    let (_, _, message) = only_error(&text);
    assert_eq!(message, "secret `portal_pasword` is not listed in `secrets`; did you mean `portal_password`?");
}

#[test]
fn calls_are_checked_against_the_called_workflow() {
    let caller = GOOD.replace("name: greet\n", "name: caller\n").replace(
        "  - succeed:",
        "  - call: { workflow: gret, inputs: { who: x } }\n  - call: { workflow: greet, inputs: { whom: x } }\n  - succeed:",
    );
    let workflows = Workflows::new(&[("greet.yaml", GOOD), ("caller.yaml", &caller)]);
    let (_, errors) = Catalogue::load(&[workflows.directory.path().to_path_buf()]);
    let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();
    assert!(messages.contains(&"no workflow is named `gret`; did you mean `greet`?"), "{messages:?}");
    assert!(messages.iter().any(|message| message.starts_with("workflow `greet` has no input `whom`")), "{messages:?}");
    assert!(messages.contains(&"workflow `greet` needs the input `who`"), "{messages:?}");
}

#[test]
fn a_call_to_a_workflow_whose_file_has_an_error_names_that_error_not_a_missing_workflow() {
    let caller = GOOD
        .replace("name: greet\n", "name: caller\n")
        .replace("  - succeed:", "  - call: { workflow: greet, inputs: { who: x } }\n  - succeed:");
    let broken = GOOD.replace("version: 1\n", "version: [1\n");
    let workflows = Workflows::new(&[("hello.yaml", &broken), ("caller.yaml", &caller)]);
    let (catalogue, errors) = Catalogue::load(&[workflows.directory.path().to_path_buf()]);
    assert!(catalogue.get("caller").is_some());
    let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();
    assert!(!messages.iter().any(|message| message.contains("no workflow is named")), "{messages:?}");
    let call = errors
        .iter()
        .find(|error| error.file.ends_with("caller.yaml"))
        .unwrap_or_else(|| panic!("the call is refused: {messages:?}"));
    assert!(
        call.message.starts_with("workflow `greet` cannot be called, since its file has an error: "),
        "{}",
        call.message
    );
    assert!(call.message.contains("hello.yaml:"), "the called file's own place: {}", call.message);
    assert!(errors.iter().any(|error| error.file.ends_with("hello.yaml")), "the called file's own error: {messages:?}");
}

#[test]
fn step_ids_are_unique_and_submitting_steps_declare_how_to_find_an_earlier_submission() {
    let text = GOOD.replace(
        "  - succeed:",
        "  - id: send\n    open: /a\n  - id: send\n    open: /b\n  - click: { css: '#go' }\n    submits: true\n  - succeed:",
    );
    let messages: Vec<String> = errors_of(&text).into_iter().map(|error| error.message).collect();
    assert!(messages.iter().any(|message| message == "step id `send` is already used on line 14"), "{messages:?}");
    assert!(
        messages.iter().any(|message| message.starts_with("a step that `submits` needs `idempotency`")),
        "{messages:?}"
    );
}

#[test]
fn a_step_does_one_thing_and_names_its_element_one_way() {
    let text = GOOD.replace("  - succeed:", "  - open: /a\n    click: { css: '#go', text: Go }\n  - succeed:");
    let messages: Vec<String> = errors_of(&text).into_iter().map(|error| error.message).collect();
    assert!(
        messages.iter().any(|message| message.starts_with("this step has several kinds (`open`, `click`)")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|message| message.starts_with("name the element with exactly one of")), "{messages:?}");
}

#[test]
fn a_select_given_both_an_option_and_a_value_is_refused_and_cannot_be_run() {
    let text = GOOD.replace("  - succeed:", "  - select: { css: '#kind', option: Leak, value: leak }\n  - succeed:");
    let workflows = Workflows::new(&[("flow.yaml", text.as_str())]);
    let (catalogue, errors) = Catalogue::load(&[workflows.directory.path().to_path_buf()]);
    let messages: Vec<&str> = errors.iter().map(|error| error.message.as_str()).collect();
    assert_eq!(
        messages,
        ["`select` needs exactly one of `option` (visible text), `value` and `option_matches` (a regular expression)"]
    );
    let file = catalogue.get("greet").expect("the file parsed");
    assert!(!file.well_formed, "the runner is never given a step it would read differently from the check");
}

#[test]
fn duplicate_keys_alias_bombs_and_huge_files_are_refused_quickly() {
    let (line, _, message) = only_error(&GOOD.replace("version: 1\n", "version: 1\nversion: 2\n"));
    assert_eq!(line, 3);
    assert!(message.to_lowercase().contains("duplicate"), "{message}");

    let mut bomb = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for level in 1..10 {
        let previous = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        bomb.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
    }
    let outcome = parse_workflow(Path::new("bomb.yaml"), bomb);
    assert!(outcome.is_err(), "an alias bomb must be refused, not expanded");

    let workflows = Workflows::new(&[]);
    let huge = workflows.path("huge.yaml");
    std::fs::write(&huge, format!("{GOOD}# {}\n", "x".repeat(2 * 1024 * 1024))).unwrap();
    let error = read_workflow(&huge).unwrap_err();
    assert!(error.message.contains("at most"), "{}", error.message);

    let binary = workflows.path("binary.yaml");
    std::fs::write(&binary, [0x6e, 0x61, 0xff, 0xfe, 0x00]).unwrap();
    assert!(read_workflow(&binary).unwrap_err().message.contains("not UTF-8"));
}

#[test]
fn errors_print_with_the_line_and_a_caret() {
    let errors = errors_of(&GOOD.replace("inputs.who", "inputs.whom"));
    let shown = errors[0].to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines[0].ends_with("flow.yaml:15:16: error: `inputs.whom` is not a declared input; did you mean `inputs.who`?"),
        "{shown}"
    );
    assert_eq!(lines[1], "15 |       message: \"Hello {{ inputs.whom }}\"");
    assert_eq!(lines[2], "   |                ^");
}

#[test]
fn progress_is_one_short_line_of_plain_words() {
    let on_step = |progress: &str| GOOD.replace("  - succeed:", &format!("  - progress: {progress}\n    succeed:"));
    assert!(errors_of(&on_step("Saying hello")).is_empty(), "{:#?}", errors_of(&on_step("Saying hello")));
    assert!(errors_of(&on_step(&"a".repeat(80))).is_empty());

    // Shown as written, so no input, secret or variable can reach it.
    let (line, column, message) = only_error(&on_step("\"Saying hello to {{ inputs.who }}\""));
    assert_eq!((line, column), (14, 15));
    assert!(message.contains("cannot use templates"), "{message}");

    let (_, _, message) = only_error(&on_step("\"  \""));
    assert!(message.contains("`progress` is empty"), "{message}");
    let (_, _, message) = only_error(&on_step("\"Saying\\nhello\""));
    assert!(message.contains("one line"), "{message}");
    let (_, _, message) = only_error(&on_step(&"a".repeat(81)));
    assert!(message.contains("81 characters; keep it to 80"), "{message}");

    let on_workflow = GOOD.replace("steps:\n", "progress: \"{% if inputs.who %}Hello{% endif %}\"\nsteps:\n");
    let (line, _, message) = only_error(&on_workflow);
    assert_eq!(line, 13);
    assert!(message.contains("cannot use templates"), "{message}");
}

#[test]
fn an_urgent_section_needs_signs_a_message_phones_and_a_request_in_conversation() {
    let urgent = "urgent:\n  examples: [water through the ceiling]\n  message: Phone us now.\n  contacts:\n    \
                  - { name: Emergency repairs, phone: 01632 960999 }\nsteps:";
    assert!(errors_of(&GOOD.replace("steps:", urgent)).is_empty(), "{:#?}", errors_of(&GOOD.replace("steps:", urgent)));

    let no_signs = GOOD.replace("steps:", "urgent:\n  message: Phone us now.\nsteps:");
    assert!(only_error(&no_signs).2.contains("`examples` or `phrases`"), "{:?}", only_error(&no_signs));

    let empty_message = GOOD.replace("steps:", "urgent:\n  phrases: [sewage]\n  message: \" \"\nsteps:");
    assert!(only_error(&empty_message).2.contains("needs a `message`"), "{:?}", only_error(&empty_message));

    let no_phone = GOOD.replace(
        "steps:",
        "urgent:\n  phrases: [sewage]\n  message: Phone.\n  contacts: [{ name: Repairs, phone: \"\" }]\nsteps:",
    );
    assert!(
        only_error(&no_phone).2.contains("urgent contact `Repairs` needs a `phone`"),
        "{:?}",
        only_error(&no_phone)
    );

    let no_intent = "name: nightly\nversion: 1\ndescription: Export.\nurgent:\n  phrases: [sewage]\n  message: Phone.\n\
                     steps:\n  - succeed: {}\n";
    let (line, _, message) = only_error(no_intent);
    assert_eq!(line, 6, "the error points at the urgent message");
    assert!(message.contains("needs a `trigger` with an `intent`"), "{message}");

    let misspelt = GOOD.replace("steps:", "urgent:\n  phrase: [sewage]\n  message: Phone.\nsteps:");
    assert!(errors_of(&misspelt).iter().any(|error| error.message.contains("phrase")), "{:#?}", errors_of(&misspelt));
}

#[test]
fn the_published_schema_is_the_one_the_model_generates() {
    let published =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rpa::schema::SCHEMA_PATH))
            .expect("docs/workflow.schema.json exists");
    assert!(
        published == rpa::schema::workflow_schema(),
        "docs/workflow.schema.json is stale: regenerate it with `councilbot workflow schema --out docs/workflow.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&published).unwrap();
    let step = &schema["$defs"]["Step"]["properties"];
    for kind in rpa::workflow::STEP_KINDS {
        assert!(step.get(*kind).is_some(), "the schema lets editors complete `{kind}`");
    }
}

#[test]
fn workflows_that_need_a_browser_are_told_apart_through_the_workflows_they_call() {
    let caller = GOOD
        .replace("name: greet", "name: greet_then_log")
        .replace("  - succeed:", "  - call:\n      workflow: log_in\n  - succeed:");
    let log_in = "name: log_in\nversion: 1\ndescription: Log in.\nsteps:\n  - open: https://example.org/login\n";
    let workflows = Workflows::new(&[("greet.yaml", GOOD), ("caller.yaml", &caller), ("log_in.yaml", log_in)]);
    let (catalogue, errors) = Catalogue::load(&[workflows.directory.path().to_path_buf()]);
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(!catalogue.uses_browser("greet"));
    assert!(catalogue.uses_browser("log_in"));
    assert!(catalogue.uses_browser("greet_then_log"), "it calls one that opens a page");
    let (without, left_out) = catalogue.without_browser();
    assert_eq!(without.iter().map(|file| file.workflow.name.value.as_str()).collect::<Vec<_>>(), ["greet"]);
    assert_eq!(left_out, ["greet_then_log", "log_in"]);

    let (council, _) = Catalogue::load(&[council_workflows()]);
    assert!(
        council.iter().all(|file| council.uses_browser(&file.workflow.name.value)),
        "every sample workflow uses ECSS"
    );
}

#[test]
fn a_check_on_an_element_needs_the_element_and_one_thing_to_check() {
    let with = |assert: &str| only_error(&GOOD.replace("  - succeed:", &format!("  - assert: {assert}\n  - succeed:")));
    assert!(
        with("{ element: { css: '#status' } }").2.contains("needs exactly one of `text_is`, `text_contains`"),
        "nothing to check"
    );
    assert!(
        with("{ element: { css: '#status' }, text_is: Done, count: 1 }").2.contains("needs exactly one of `text_is`"),
        "two things to check"
    );
    assert!(with("{ text_is: Done }").2.contains("check an `element`: name it"));
    assert!(
        with("{ element: { css: '#b' }, attribute: { name: title } }")
            .2
            .contains("needs exactly one of `is` and `matches`")
    );
    assert!(with("{ element: { css: '#s' }, text_matches: '(' }").2.contains("regular expression"));
    assert!(
        errors_of(&GOOD.replace("  - succeed:", "  - assert: { hidden: { css: '#notice' } }\n  - succeed:")).is_empty()
    );
}

#[test]
fn a_key_that_is_not_one_is_named_when_the_workflow_is_checked() {
    let with =
        |key: &str| errors_of(&GOOD.replace("  - succeed:", &format!("  - press: {{ key: \"{key}\" }}\n  - succeed:")));
    for good in ["Enter", "a", "Control+A", "Shift+Tab", "Control+Shift+End"] {
        assert!(with(good).is_empty(), "{good}: {:?}", with(good));
    }
    let (_, _, message) = only_error(&GOOD.replace("  - succeed:", "  - press: { key: Hyper+Q }\n  - succeed:"));
    assert!(message.contains("`Hyper+Q` is not a key") && message.contains("Control+A"), "{message}");
}

#[test]
fn a_position_off_the_earth_is_refused() {
    let with = |browser: &str| errors_of(&GOOD.replace("steps:\n", &format!("browser: {browser}\nsteps:\n")));
    assert!(
        with("{ permissions: [geolocation, clipboard], geolocation: { latitude: 51.5, longitude: -0.12 } }").is_empty()
    );
    let (_, _, message) =
        only_error(&GOOD.replace("steps:\n", "browser: { geolocation: { latitude: 151.5, longitude: 0 } }\nsteps:\n"));
    assert!(message.contains("latitude from -90 to 90"), "{message}");
    assert!(!with("{ permissions: [camera] }").is_empty(), "an unknown permission is named");
}

#[test]
fn a_locator_is_told_which_match_by_nth_or_first_not_both() {
    let (_, _, message) =
        only_error(&GOOD.replace("  - succeed:", "  - click: { text: Details, nth: 2, first: true }\n  - succeed:"));
    assert_eq!(message, "give `nth` or `first`, not both");
    let with = |nth: &str| {
        errors_of(&GOOD.replace("  - succeed:", &format!("  - click: {{ text: Details, nth: {nth} }}\n  - succeed:")))
    };
    assert!(with("2").is_empty() && with("\"{{ 1 + 1 }}\"").is_empty(), "a number or a template");
    let (_, _, message) =
        only_error(&GOOD.replace("  - succeed:", "  - click: { text: Details, nth: 0 }\n  - succeed:"));
    assert_eq!(message, "`nth` counts from 1");
    let (_, _, message) =
        only_error(&GOOD.replace("  - succeed:", "  - click: { text: Details, nth: second }\n  - succeed:"));
    assert!(message.contains("`nth` needs a number from 1 or a template, not \"second\""), "{message}");
    let (_, _, message) = only_error(&GOOD.replace("  - succeed:", "  - click: { element: chosen_row }\n  - succeed:"));
    assert!(message.contains("chosen_row"), "an element variable not yet set is named: {message}");
    let both = errors_of(&GOOD.replace("  - succeed:", "  - click: { element: chosen_row, css: '#go' }\n  - succeed:"));
    assert!(both.iter().any(|error| error.message.contains("exactly one of")), "{both:?}");
    let (_, _, message) =
        only_error(&GOOD.replace("  - succeed:", "  - click: { text: Details, nth: \"{{ which }}\" }\n  - succeed:"));
    assert!(message.contains("which"), "an unknown variable in the template is named: {message}");
}

#[test]
fn a_scroll_says_where_to_or_by_how_much() {
    let with = |scroll: &str| errors_of(&GOOD.replace("  - succeed:", &format!("  - scroll: {scroll}\n  - succeed:")));
    assert!(with("{ to: { css: '#terms' } }").is_empty());
    assert!(with("{ by: 300, in: { css: '#results' } }").is_empty());
    assert!(with("{ by: -200 }").is_empty());
    let (_, _, message) = only_error(&GOOD.replace("  - succeed:", "  - scroll: { in: { css: '#r' } }\n  - succeed:"));
    assert!(message.contains("exactly one of `to` (an element) and `by` (pixels)"), "{message}");
    let (_, _, message) =
        only_error(&GOOD.replace("  - succeed:", "  - scroll: { to: { css: '#t' }, in: { css: '#r' } }\n  - succeed:"));
    assert!(message.contains("takes no `in`"), "{message}");
}

#[test]
fn a_wait_for_an_element_needs_an_attribute_or_a_count() {
    let with = |wait: &str| only_error(&GOOD.replace("  - succeed:", &format!("  - wait_for: {wait}\n  - succeed:")));
    assert!(with("{ element: { css: '#p' } }").2.contains("needs exactly one of `attribute` and `count`"));
    assert!(with("{ count: 3 }").2.contains("wait for an `element`: name it"));
    assert!(with("{ element: { css: '#p' }, attribute: { name: x } }").2.contains("exactly one of `is` and `matches`"));
    let fine = GOOD.replace("  - succeed:", "  - wait_for: { enabled: { label: Send } }\n  - succeed:");
    assert!(errors_of(&fine).is_empty());
}

#[test]
fn a_drag_names_both_ends() {
    let (_, _, message) =
        only_error(&GOOD.replace("  - succeed:", "  - drag: { from: { css: '#card' }, to: {} }\n  - succeed:"));
    assert!(message.starts_with("name the element with exactly one of"), "{message}");
    let fine = GOOD.replace("  - succeed:", "  - drag: { from: { css: '#card' }, to: { text: Today } }\n  - succeed:");
    assert!(errors_of(&fine).is_empty());
}
