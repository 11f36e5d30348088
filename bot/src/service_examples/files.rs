//! The examples added to services as YAML files, one per service, kept under version control:
//! read whole or refused with every error at its `file:line:col`, and written back the same way.

use std::path::{Path, PathBuf};

use rpa::workflow::{Diagnostic, Located};
use serde::Deserialize;

use super::{ExampleError, ServiceExamples, is_service_name, tidy_example};
use crate::yaml_file::{self, misnamed, parse, quoted};

/// One service's file, with where each value was written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExamplesFile {
    service: Located<String>,
    examples: Vec<Located<String>>,
}

/// The file a service's examples are kept in: its name with `.yaml`.
pub fn file_name(service: &str) -> String {
    yaml_file::file_name(service)
}

/// Reads every `.yaml` (or `.yml`) file of a directory as a service's examples; any error in
/// any file refuses them all, each error named at its place.
pub fn read_examples(directory: &Path) -> Result<Vec<ServiceExamples>, ExampleError> {
    Ok(yaml_file::read_all(directory, "example", "service", |set: &ServiceExamples| &set.service, read_file)?)
}

/// Reads one service's file, with every error found in it.
fn read_file(path: &Path) -> Result<ServiceExamples, Vec<Diagnostic>> {
    let (file, source): (ExamplesFile, String) = parse(path, "an examples file")?;
    let mut errors = Vec::new();
    let service = &file.service;
    if !is_service_name(service) {
        let message = "the service must be a workflow's name, in snake_case, such as `report_missed_bin`";
        errors.push(Diagnostic::at(path, &source, service.line, service.column, message));
    } else if let Some(error) = misnamed(path, &source, service, "service") {
        errors.push(error);
    }
    let mut examples: Vec<String> = Vec::with_capacity(file.examples.len());
    for example in &file.examples {
        match tidy_example(example) {
            Ok(tidy) if examples.contains(&tidy) => {
                errors.push(Diagnostic::at(
                    path,
                    &source,
                    example.line,
                    example.column,
                    "this example is listed twice",
                ));
            }
            Ok(tidy) => examples.push(tidy),
            Err(message) => errors.push(Diagnostic::at(path, &source, example.line, example.column, message)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ServiceExamples { service: file.service.value, examples })
}

/// Writes each service's examples into a directory, one file each, named by service; returns
/// the files written.
pub fn write_examples(directory: &Path, sets: &[ServiceExamples]) -> Result<Vec<PathBuf>, ExampleError> {
    Ok(yaml_file::write_all(directory, sets, |set| &set.service, to_yaml)?)
}

/// A service's examples as YAML, every text double-quoted.
fn to_yaml(set: &ServiceExamples) -> String {
    let mut yaml = format!("service: {}\n", quoted(&set.service));
    if set.examples.is_empty() {
        yaml.push_str("examples: []\n");
    } else {
        yaml.push_str("examples:\n");
        for example in &set.examples {
            yaml.push_str(&format!("  - {}\n", quoted(example)));
        }
    }
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_and_write_back_the_same_and_errors_point_at_their_place() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(
            directory.path().join("report_missed_bin.yaml"),
            "service: report_missed_bin\nexamples:\n  - the lorry   never came\n  - \"our bins are still full\"\n",
        )
        .unwrap();
        std::fs::write(directory.path().join("book_bulky_waste.yaml"), "service: book_bulky_waste\nexamples: []\n")
            .unwrap();
        let sets = read_examples(directory.path()).unwrap();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[1].examples, vec!["the lorry never came", "our bins are still full"]);
        let exported = tempfile::tempdir().unwrap();
        write_examples(exported.path(), &sets).unwrap();
        assert_eq!(read_examples(exported.path()).unwrap(), sets);

        std::fs::write(
            directory.path().join("other.yaml"),
            "service: report_repair\nexamples:\n  - my tap drips\n  - \" \"\n  - my tap drips\n",
        )
        .unwrap();
        let error = read_examples(directory.path()).unwrap_err().to_string();
        assert!(error.contains("other.yaml:1:10: error: the service must be the file's name"), "{error}");
        assert!(error.contains("other.yaml:4:5: error: the example is empty"), "{error}");
        assert!(error.contains("other.yaml:5:5: error: this example is listed twice"), "{error}");
        assert!(error.contains("nothing was imported"), "{error}");
    }
}
