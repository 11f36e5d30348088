//! Workflow files and inputs from outside, generated at random: the parser, the checks and the
//! planner never panic, and every error points inside the file. Inputs that fail are kept by
//! proptest in `proptest-regressions/` and tried first on every later run.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rpa::workflow::{Catalogue, parse_workflow};

use crate::support::{Workflows, council_workflows};

/// The council's workflow files, name and text.
fn council_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(council_workflows())
        .expect("the council's workflows")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("readable"))
        })
        .collect();
    files.sort();
    files
}

/// One change to a file's lines, as an editor's slip or a hostile upload might make it.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Insert(usize, String),
    Replace(usize, String),
    Indent(usize, usize),
    Dedent(usize),
    Splice(usize, usize, String),
}

/// Text that YAML, templates and the checks treat specially, mixed with anything at all.
fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,60}",
        Just("{{ inputs.postcode }}".to_string()),
        Just("{{ ".to_string()),
        Just("{% for x in y %}".to_string()),
        Just("&anchor [*anchor, *anchor]".to_string()),
        Just("*undefined_alias".to_string()),
        Just("!!binary aGVsbG8=".to_string()),
        Just("- call: { workflow: report_missed_bin }".to_string()),
        Just("    - open: \"{{ run.reference | urlencode }}\"".to_string()),
        Just("  - click: { text: \"\u{202e}Submit\u{0}\" }".to_string()),
        Just("retry: { attempts: 99999999999999999999, backoff: -1s }".to_string()),
        Just("\t\r\n---\n...".to_string()),
        Just("'".repeat(5_000)),
        Just("[".repeat(200)),
        Just("{".repeat(200)),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), awkward_text()).prop_map(|(at, text)| Edit::Insert(at, text)),
        (any::<usize>(), awkward_text()).prop_map(|(at, text)| Edit::Replace(at, text)),
        (any::<usize>(), 1usize..12).prop_map(|(at, by)| Edit::Indent(at, by)),
        any::<usize>().prop_map(Edit::Dedent),
        (any::<usize>(), any::<usize>(), awkward_text()).prop_map(|(at, column, text)| Edit::Splice(at, column, text)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for edit in edits {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let at = |n: usize| n % lines.len();
        match edit {
            Edit::Delete(n) => {
                let n = at(*n);
                lines.remove(n);
            }
            Edit::Duplicate(n) => {
                let n = at(*n);
                lines.insert(n, lines[n].clone());
            }
            Edit::Insert(n, text) => {
                let n = at(*n);
                lines.insert(n, text.clone());
            }
            Edit::Replace(n, text) => {
                let n = at(*n);
                lines[n] = text.clone();
            }
            Edit::Indent(n, by) => {
                let n = at(*n);
                lines[n] = format!("{}{}", " ".repeat(*by), lines[n]);
            }
            Edit::Dedent(n) => {
                let n = at(*n);
                lines[n] = lines[n].trim_start().to_string();
            }
            Edit::Splice(n, column, text) => {
                let n = at(*n);
                let line = &lines[n];
                let cut = line.char_indices().map(|(index, _)| index).nth(column % (line.chars().count() + 1));
                let cut = cut.unwrap_or(line.len());
                lines[n] = format!("{}{text}{}", &line[..cut], &line[cut..]);
            }
        }
    }
    lines.join("\n")
}

/// Loads the council's workflows with one of them replaced by `text`, and checks that every
/// error names a line of the file it is about.
fn load_with(replaced: &str, text: &str) {
    let files = council_files();
    let mut written: Vec<(&str, &str)> =
        files.iter().filter(|(name, _)| name != replaced).map(|(name, text)| (name.as_str(), text.as_str())).collect();
    written.push((replaced, text));
    let workflows = Workflows::new(&written);
    let (catalogue, errors) = Catalogue::load(&[workflows.directory.path().to_path_buf()]);
    for error in &errors {
        let name = error.file.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let source = written.iter().find(|(file, _)| *file == name).map(|(_, text)| *text).unwrap_or_default();
        let lines = source.lines().count() as u64 + 1;
        assert!(error.line <= lines, "{error} points past the end of a file of {lines} lines");
        assert!(!error.message.trim().is_empty(), "an error says what is wrong: {error:?}");
        // Messages quote at most a little of what they found: a huge value is not echoed whole.
        let start: String = error.message.chars().take(300).collect();
        assert!(error.message.len() < 4_096, "an error of {} bytes: {start}", error.message.len());
    }
    // What loaded can be planned with any inputs it accepts, without running anything.
    for file in catalogue.iter() {
        let _ = rpa::plan::plan(file, &serde_json::Map::new(), &catalogue);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn edited_council_workflows_are_loaded_or_refused_without_panicking(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..8),
    ) {
        let files = council_files();
        let (name, text) = which.get(&files);
        load_with(name, &apply(text, &edits));
    }

    #[test]
    fn any_text_is_parsed_or_refused_without_panicking(text in prop_oneof![any::<String>(), "[ -~\n]{0,400}"]) {
        let outcome = parse_workflow(Path::new("fuzz.yaml"), text.clone());
        if let Err(error) = outcome {
            prop_assert!(error.line <= text.lines().count() as u64 + 1, "{error}");
        }
    }

    #[test]
    fn any_inputs_are_checked_and_planned_without_panicking(
        which in any::<prop::sample::Index>(),
        values in prop::collection::vec((any::<prop::sample::Index>(), awkward_text()), 0..10),
        unknown in prop::option::of(("[a-z_]{1,12}", awkward_text())),
    ) {
        let (catalogue, errors) = Catalogue::load(&[council_workflows()]);
        prop_assert!(errors.is_empty());
        let files: Vec<_> = catalogue.iter().collect();
        let file = *which.get(&files);
        let workflow = &file.workflow;
        let mut raw: Vec<(String, String)> = values
            .into_iter()
            .filter(|_| !workflow.inputs.is_empty())
            .map(|(input, value)| (input.get(&workflow.inputs).name.value.clone(), value))
            .collect();
        raw.extend(unknown);
        match rpa::inputs::check_inputs(workflow, &raw) {
            Ok(inputs) => {
                let _ = rpa::plan::plan(file, &inputs, &catalogue);
            }
            Err(problems) => prop_assert!(problems.iter().all(|problem| !problem.trim().is_empty())),
        }
    }
}
