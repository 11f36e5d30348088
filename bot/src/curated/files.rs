//! Curated answers as YAML files, one per answer, kept under version control: read whole or
//! refused with every error at its `file:line:col`, and written back the same way.

use std::path::{Path, PathBuf};

use rpa::workflow::{Diagnostic, Located};
use serde::Deserialize;

use super::check::Field;
use super::{AnswerSource, CuratedAnswer, CuratedError};
use crate::conversation::Audience;
use crate::yaml_file::{self, misnamed, parse, quoted};

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

/// The file an answer is kept in: its id with `.yaml`.
pub fn file_name(id: &str) -> String {
    yaml_file::file_name(id)
}

/// Reads every `.yaml` (or `.yml`) file of a directory as a curated answer, by file name; any
/// error in any file refuses them all, each error named at its place.
pub fn read_answers(directory: &Path) -> Result<Vec<CuratedAnswer>, CuratedError> {
    Ok(yaml_file::read_all(directory, "curated answer", "id", |answer: &CuratedAnswer| &answer.id, read_answer)?)
}

/// Reads one answer's file, with every error found in it.
fn read_answer(path: &Path) -> Result<CuratedAnswer, Vec<Diagnostic>> {
    let (file, source): (AnswerFile, String) = parse(path, "an answer file")?;
    let answer = CuratedAnswer {
        id: file.id.value.clone(),
        answer: file.answer.value.trim().to_string(),
        source: AnswerSource { url: file.source.url.value.clone(), title: file.source.title.value.clone() },
        examples: file.examples.iter().map(|example| example.value.trim().to_string()).collect(),
        enabled: file.enabled,
        audience: file.audience,
    };
    let mut errors = Vec::new();
    let problems = answer.problems();
    for problem in &problems {
        let (line, column) = match problem.field {
            Field::Id => (file.id.line, file.id.column),
            Field::Answer => (file.answer.line, file.answer.column),
            Field::SourceUrl => (file.source.url.line, file.source.url.column),
            Field::SourceTitle => (file.source.title.line, file.source.title.column),
            Field::Examples => (file.examples.line, file.examples.column),
            Field::Example(index) => (file.examples[index].line, file.examples[index].column),
        };
        errors.push(Diagnostic::at(path, &source, line, column, problem.message.clone()));
    }
    let id_problem = problems.iter().any(|problem| problem.field == Field::Id);
    if !id_problem && let Some(error) = misnamed(path, &source, &file.id, "id") {
        errors.insert(0, error);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(answer)
}

/// Writes answers into a directory, one file each, named by id; returns the files written.
pub fn write_answers(directory: &Path, answers: &[CuratedAnswer]) -> Result<Vec<PathBuf>, CuratedError> {
    Ok(yaml_file::write_all(directory, answers, |answer| &answer.id, to_yaml)?)
}

/// An answer as YAML, every text double-quoted (JSON's quoting, which YAML reads the same).
fn to_yaml(answer: &CuratedAnswer) -> String {
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
