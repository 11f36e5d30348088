//! Curated answers as YAML files, one per answer, kept under version control: read whole or
//! refused with every error at its `file:line:col`, and written back the same way.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use rpa::workflow::{Diagnostic, Located};
use serde::Deserialize;
use serde_saphyr::{Budget, Options};

use super::{AnswerSource, CuratedAnswer, CuratedError};
use crate::conversation::Audience;

/// The largest answer file read.
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// One answer's file, with where each value was written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerFile {
    id: Located<String>,
    answer: Located<String>,
    source: SourceFile,
    examples: Located<Vec<Located<String>>>,
    #[serde(default = "switched_on")]
    enabled: bool,
    #[serde(default)]
    audience: Audience,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    url: Located<String>,
    title: Located<String>,
}

fn switched_on() -> bool {
    true
}

static SLUG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("valid pattern"));
static LOCATION_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\s*(at line \d+,? column \d+|at \d+:\d+)\.?\s*$").expect("valid pattern"));

/// The file an answer is kept in: its id with `.yaml`.
pub fn file_name(id: &str) -> String {
    format!("{id}.yaml")
}

/// Reads every `.yaml` (or `.yml`) file of a directory as a curated answer, by file name; any
/// error in any file refuses them all, each error named at its place.
pub fn read_answers(directory: &Path) -> Result<Vec<CuratedAnswer>, CuratedError> {
    let io = |source| CuratedError::Io { path: directory.to_path_buf(), source };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(directory)
        .map_err(io)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    paths.retain(|path| {
        path.is_file() && path.extension().is_some_and(|extension| extension == "yaml" || extension == "yml")
    });
    paths.sort();
    let mut answers: Vec<CuratedAnswer> = Vec::new();
    let mut errors = Vec::new();
    for path in &paths {
        match read_answer(path) {
            Ok(answer) => {
                if answers.iter().any(|other| other.id == answer.id) {
                    errors.push(Diagnostic::file(path, format!("another file also has the id `{}`", answer.id)));
                } else {
                    answers.push(answer);
                }
            }
            Err(mut found) => errors.append(&mut found),
        }
    }
    if errors.is_empty() { Ok(answers) } else { Err(CuratedError::Files(errors)) }
}

/// Reads one answer's file, with every error found in it.
fn read_answer(path: &Path) -> Result<CuratedAnswer, Vec<Diagnostic>> {
    let whole = |message: String| vec![Diagnostic::file(path, message)];
    let size = std::fs::metadata(path).map_err(|error| whole(format!("cannot read: {error}")))?.len();
    if size > MAX_FILE_BYTES {
        return Err(whole(format!("the file is {size} bytes; an answer file may be at most {MAX_FILE_BYTES} bytes")));
    }
    let source = std::fs::read_to_string(path).map_err(|error| whole(format!("cannot read: {error}")))?;
    let file: AnswerFile = serde_saphyr::from_str_with_options(&source, parse_options()).map_err(|error| {
        let (line, column) = error.location().map(|at| (at.line(), at.column())).unwrap_or((0, 0));
        let text = error.to_string();
        let message = LOCATION_SUFFIX.replace(text.lines().next().unwrap_or(&text), "").to_string();
        vec![if line == 0 {
            Diagnostic::file(path, message)
        } else {
            Diagnostic::at(path, &source, line, column, message)
        }]
    })?;
    let mut errors = Vec::new();
    let mut at = |value: &Located<String>, message: String| {
        errors.push(Diagnostic::at(path, &source, value.line, value.column, message));
    };
    if !SLUG.is_match(&file.id) || file.id.len() > 100 {
        at(&file.id, "the id must be lowercase letters, digits and single hyphens, such as `council-tax-dates`".into());
    } else if path.file_stem().is_some_and(|stem| stem.to_string_lossy() != file.id.value) {
        at(&file.id, format!("the id must be the file's name: this file should be called {}", file_name(&file.id)));
    }
    if file.answer.trim().is_empty() {
        at(&file.answer, "the answer is empty".into());
    }
    if !(file.source.url.starts_with("https://") || file.source.url.starts_with("http://")) {
        at(&file.source.url, "the source url must be the address of a page, starting https://".into());
    }
    if file.source.title.trim().is_empty() {
        at(&file.source.title, "the source title is empty".into());
    }
    if file.examples.is_empty() {
        errors.push(Diagnostic::at(
            path,
            &source,
            file.examples.line,
            file.examples.column,
            "give at least one example question",
        ));
    }
    for example in file.examples.iter().filter(|example| example.trim().is_empty()) {
        errors.push(Diagnostic::at(path, &source, example.line, example.column, "an example question is empty"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CuratedAnswer {
        id: file.id.value,
        answer: file.answer.value.trim().to_string(),
        source: AnswerSource { url: file.source.url.value, title: file.source.title.value },
        examples: file.examples.value.into_iter().map(|example| example.value.trim().to_string()).collect(),
        enabled: file.enabled,
        audience: file.audience,
    })
}

/// YAML limits that keep an alias bomb or a deep nest from hanging or exhausting memory.
fn parse_options() -> Options {
    let mut budget = Budget::default();
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES as usize);
    budget.max_aliases = 100;
    budget.max_anchors = 100;
    budget.max_depth = 16;
    budget.max_documents = 1;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

/// Writes answers into a directory, one file each, named by id; returns the files written.
pub fn write_answers(directory: &Path, answers: &[CuratedAnswer]) -> Result<Vec<PathBuf>, CuratedError> {
    std::fs::create_dir_all(directory).map_err(|source| CuratedError::Io { path: directory.to_path_buf(), source })?;
    let mut written = Vec::with_capacity(answers.len());
    for answer in answers {
        let path = directory.join(file_name(&answer.id));
        std::fs::write(&path, to_yaml(answer)).map_err(|source| CuratedError::Io { path: path.clone(), source })?;
        written.push(path);
    }
    Ok(written)
}

/// An answer as YAML, every text double-quoted (JSON's quoting, which YAML reads the same).
fn to_yaml(answer: &CuratedAnswer) -> String {
    let quoted = |text: &str| serde_json::Value::String(text.to_string()).to_string();
    let mut yaml = format!(
        "id: {}\naudience: {}\nenabled: {}\nsource:\n  url: {}\n  title: {}\nexamples:\n",
        quoted(&answer.id),
        answer.audience.as_str(),
        answer.enabled,
        quoted(&answer.source.url),
        quoted(&answer.source.title)
    );
    for example in &answer.examples {
        yaml.push_str(&format!("  - {}\n", quoted(example)));
    }
    yaml.push_str(&format!("answer: {}\n", quoted(&answer.answer)));
    yaml
}

/// Every error of a refused import, one after another, then how many files had them.
pub(super) fn describe(errors: &[Diagnostic]) -> String {
    let mut files: Vec<&Path> = errors.iter().map(|error| error.file.as_path()).collect();
    files.sort();
    files.dedup();
    let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!("{}\n{} curated answer file(s) have errors; nothing was imported", listed.join("\n"), files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "id: council-tax-payment-dates\nsource:\n  url: https://www.eastbrook.gov.uk/council-tax/how-to-pay\n  \
                        title: Ways to pay your council tax\nexamples:\n  - when do I pay my council tax\nanswer: >-\n  \
                        Ten monthly instalments,\n  from April to January.\n";

    #[test]
    fn a_file_reads_with_defaults_and_writes_back_the_same() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("council-tax-payment-dates.yaml"), GOOD).unwrap();
        let answers = read_answers(directory.path()).unwrap();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].answer, "Ten monthly instalments, from April to January.");
        assert!(answers[0].enabled);
        assert_eq!(answers[0].audience, Audience::Resident);

        let exported = tempfile::tempdir().unwrap();
        write_answers(exported.path(), &answers).unwrap();
        assert_eq!(read_answers(exported.path()).unwrap(), answers);
    }

    #[test]
    fn errors_point_at_their_place_and_refuse_every_file() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("council-tax-payment-dates.yaml"), GOOD).unwrap();
        std::fs::write(directory.path().join("other.yaml"), GOOD.replace("source:", "audience: everyone\nsource:"))
            .unwrap();
        let error = read_answers(directory.path()).unwrap_err().to_string();
        assert!(error.contains("other.yaml:2:"), "{error}");
        assert!(error.contains("nothing was imported"), "{error}");

        std::fs::write(
            directory.path().join("other.yaml"),
            GOOD.replace("examples:\n  - when do I pay my council tax\n", "examples: []\n"),
        )
        .unwrap();
        let error = read_answers(directory.path()).unwrap_err().to_string();
        assert!(error.contains("other.yaml:1:5: error: the id must be the file's name"), "{error}");
        assert!(error.contains("other.yaml:5:11: error: give at least one example question"), "{error}");
    }
}
