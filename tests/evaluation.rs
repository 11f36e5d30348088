//! `councilbot eval`: the golden set's measured quality stays above its recorded floor.

use crate::support::{Councilbot, golden_set};

#[test]
fn the_golden_set_meets_the_quality_recorded_in_the_readme() {
    let councilbot = Councilbot::with_sample_council();
    let report = councilbot.json(&["eval", "--json", golden_set().to_str().expect("utf-8")]);
    let metric = |name: &str| report[name].as_f64().unwrap_or_else(|| panic!("{name} in {report}"));
    assert!(report["questions"].as_u64().expect("count") >= 80);
    assert!(report["unanswerable"].as_u64().expect("count") >= 10);
    // Floors a little under the figures in the README, so a regression fails here.
    assert!(metric("hit_at_3") >= 0.85, "hit@3 {}", metric("hit_at_3"));
    assert!(metric("hit_at_1") >= 0.70, "hit@1 {}", metric("hit_at_1"));
    assert!(metric("fact_rate") >= 0.65, "fact rate {}: {:#}", metric("fact_rate"), report["misses"]);
    assert!(
        metric("correct_refusal_rate") >= 0.70,
        "refusals {}: {:#}",
        metric("correct_refusal_rate"),
        report["misses"]
    );
}

#[test]
fn a_malformed_golden_set_is_refused_with_the_place_of_the_error() {
    let councilbot = Councilbot::with_sample_council();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("golden.yaml");
    std::fs::write(
        &path,
        "questions:\n  - ask: when is the tip open\n    source: https://www.eastbrook.gov.uk/waste/tip\n",
    )
    .expect("write");
    let output = councilbot.run(&["eval", path.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("golden.yaml") && stderr.contains("question 1") && stderr.contains("fact"), "{stderr}");

    std::fs::write(&path, "questions:\n  - ask: hi\n    sauce: x\n").expect("write");
    let stderr = String::from_utf8_lossy(&councilbot.run(&["eval", path.to_str().expect("utf-8")]).stderr).to_string();
    assert!(stderr.contains("sauce"), "unknown keys are named: {stderr}");
}
