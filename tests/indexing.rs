//! `councilbot index`: reports, warnings and incremental runs.

use crate::support::{Councilbot, SAMPLE_BASE_URL, sample_content};

#[test]
fn indexing_reports_counts_and_names_each_skipped_file() {
    let councilbot = Councilbot::new();
    let content = tempfile::tempdir().expect("temp dir");
    std::fs::write(content.path().join("rent.md"), "# Pay your rent\n\nRent is due every Monday.\n").expect("write");
    std::fs::write(content.path().join("broken.pdf"), b"%PDF-1.4\n1 0 obj <<").expect("write");
    std::fs::write(content.path().join("notes.txt"), b"\x00\x01\x02 binary").expect("write");

    let output = councilbot.run(&["index", content.path().to_str().expect("utf-8")]);
    assert!(output.status.success(), "bad files do not fail the run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stdout.contains("indexed 1 documents") && stdout.contains("2 skipped"), "{stdout}");
    assert!(stderr.contains("warning: skipped") && stderr.contains("broken.pdf") && stderr.contains("PDF"), "{stderr}");
    assert!(stderr.contains("notes.txt") && stderr.contains("binary"), "{stderr}");
}

#[test]
fn a_second_run_reindexes_nothing_and_json_says_so() {
    let councilbot = Councilbot::with_sample_council();
    let report =
        councilbot.json(&["index", "--json", "--base-url", SAMPLE_BASE_URL, sample_content().to_str().expect("utf-8")]);
    assert_eq!(report["added"], 0);
    assert_eq!(report["updated"], 0);
    assert!(report["unchanged"].as_u64().expect("count") >= 60, "{report}");
    assert!(report["passages"].as_u64().expect("count") > report["documents"].as_u64().expect("count"));
}

#[test]
fn the_sample_council_indexes_without_warnings() {
    let councilbot = Councilbot::new();
    let output = councilbot.run(&["index", sample_content().to_str().expect("utf-8")]);
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "", "every sample page is readable");
}

#[test]
fn an_index_dir_option_keeps_indexes_apart() {
    let councilbot = Councilbot::new();
    let content = tempfile::tempdir().expect("temp dir");
    std::fs::write(content.path().join("rent.md"), "# Pay your rent\n\nRent is due every Monday.\n").expect("write");
    let elsewhere = councilbot.data.path().join("other-index");
    let output = councilbot.run(&[
        "--index-dir",
        elsewhere.to_str().expect("utf-8"),
        "index",
        content.path().to_str().expect("utf-8"),
    ]);
    assert!(output.status.success());
    assert!(elsewhere.join("meta.json").is_file());
    let default = councilbot.run(&["search", "rent"]);
    assert!(!default.status.success(), "the default index was not built");
}

#[test]
fn commands_without_an_index_say_how_to_build_one() {
    let councilbot = Councilbot::new();
    let output = councilbot.run(&["ask", "when is my bin collected"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error:") && stderr.contains("councilbot index"), "{stderr}");
}

#[test]
fn invalid_options_are_refused_with_the_reason() {
    let councilbot = Councilbot::new();
    let output = councilbot.run(&["index", "--chunk-tokens", "300", "--overlap-tokens", "200", "."]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("overlap"));
    let output = councilbot.run(&["index", "--max-file-size", "huge", "."]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("huge"));
}
