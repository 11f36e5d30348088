//! The conversation stories in `tests/conversations/`, played by `councilbot test-conversations`
//! against the sample council.

use std::path::Path;

use crate::support::Councilbot;

fn stories() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conversations")
}

#[test]
fn every_conversation_story_passes() {
    let councilbot = Councilbot::with_sample_council();
    let output = councilbot.run(&[
        "--workflows",
        crate::support::council_workflows().to_str().expect("utf-8 path"),
        "test-conversations",
        "--json",
        stories().to_str().expect("utf-8 path"),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("JSON on stdout; stderr: {}", String::from_utf8_lossy(&output.stderr)));
    let failures: Vec<String> = report["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|result| !result["failures"].as_array().expect("failures").is_empty())
        .map(|result| {
            format!(
                "{}:\n  {}",
                result["name"],
                result["failures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
                    .join("\n  ")
            )
        })
        .collect();
    assert!(failures.is_empty(), "{} stories failed:\n{}", failures.len(), failures.join("\n"));
    assert!(report["stories"].as_u64().expect("count") >= 40, "at least 40 stories: {}", report["stories"]);
    assert!(output.status.success());
}

#[test]
fn a_failing_story_is_reported_with_what_the_bot_said() {
    let councilbot = Councilbot::with_sample_council();
    let file = councilbot.data.path().join("wrong.yaml");
    std::fs::write(
        &file,
        "stories:\n  - name: expects the wrong page\n    turns:\n      - user: what day are bins collected in Oakley Green?\n        expect:\n          - answers: /parking/\n",
    )
    .expect("write story");
    let output = councilbot.run(&[
        "--workflows",
        crate::support::council_workflows().to_str().expect("utf-8 path"),
        "test-conversations",
        file.to_str().expect("utf-8 path"),
    ]);
    assert!(!output.status.success(), "a failing story fails the command");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("FAIL  expects the wrong page"), "{printed}");
    assert!(printed.contains("expected an answer citing a page at `/parking/`"), "{printed}");
    assert!(printed.contains("bin-collection-days"), "the bot's own reply is shown: {printed}");
}

#[test]
fn a_story_file_with_a_mistake_is_refused_with_its_place() {
    let councilbot = Councilbot::new();
    let file = councilbot.data.path().join("broken.yaml");
    std::fs::write(
        &file,
        "stories:\n  - name: typo\n    turns:\n      - user: hi\n        expect:\n          - answerz: x\n",
    )
    .expect("write story");
    let output = councilbot.run(&["test-conversations", file.to_str().expect("utf-8 path")]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("broken.yaml") && error.contains("line 6"), "{error}");
    assert!(error.contains("answerz"), "{error}");
}
