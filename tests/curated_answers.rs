//! The council's curated answers: given first with their page, given way when switched off,
//! kept from near misses, and imported, exported and listed by `councilbot answers`.

use std::path::Path;

use serde_json::Value;

use crate::support::{Chat, Councilbot, Server, sample_answers};

const QUESTION: &str = "When do I pay my council tax?";
/// Words only the curated answer says (the page says "Your bill is normally split ...").
const CURATED_WORDS: &str = "Your council tax bill is normally split into 10 monthly instalments";
const PAGE: &str = "https://www.eastbrook.gov.uk/council-tax/how-to-pay";

/// A copy of the sample council's answer files.
fn copy_of_sample_answers() -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(sample_answers()).expect("the sample answers") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, copy.path().join(path.file_name().expect("a name"))).expect("copied");
    }
    copy
}

fn switch_off(directory: &Path, id: &str) {
    let file = directory.join(format!("{id}.yaml"));
    let text = std::fs::read_to_string(&file).expect("the answer file");
    assert!(text.contains("enabled: true"), "{text}");
    std::fs::write(&file, text.replace("enabled: true", "enabled: false")).expect("written");
}

fn first_text(replies: &[Value]) -> (String, Vec<Value>) {
    let reply = replies.iter().find(|reply| reply["kind"] == "text").unwrap_or_else(|| panic!("{replies:#?}"));
    (reply["text"].as_str().unwrap_or_default().to_string(), reply["citations"].as_array().cloned().unwrap_or_default())
}

#[test]
fn curated_answer_is_given_first_with_its_page_until_switched_off() {
    let answers = copy_of_sample_answers();
    let server = Server::start_with_answers(answers.path(), "", &[]);
    let chat = Chat::start(&server);

    let (text, citations) = first_text(&chat.say(QUESTION));
    assert!(text.starts_with(CURATED_WORDS), "{text}");
    assert_eq!(citations.len(), 1, "{citations:?}");
    assert_eq!(citations[0]["url"], "/council-tax/how-to-pay", "its page, served here");
    assert_eq!(citations[0]["title"], "Ways to pay your council tax");

    // Another question on the same subject is answered from the pages, not with the curated answer.
    let (text, _) = first_text(&chat.say("how do I pay council tax"));
    assert!(!text.contains(CURATED_WORDS), "{text}");

    // Switched off in its file and imported into the running server's database: the ordinary answer is back.
    switch_off(answers.path(), "council-tax-payment-dates");
    let councilbot = Councilbot::new();
    let imported = councilbot.json(&[
        "--database-url",
        &server.database_url(),
        "answers",
        "import",
        answers.path().to_str().expect("utf-8 path"),
        "--json",
    ]);
    let change = imported
        .as_array()
        .expect("a list")
        .iter()
        .find(|saved| saved["id"] == "council-tax-payment-dates")
        .cloned()
        .expect("the answer");
    assert_eq!((change["change"].as_str(), change["version"].as_i64()), (Some("switched_off"), Some(2)));
    let chat = Chat::start(&server);
    let (text, _) = first_text(&chat.say(QUESTION));
    assert!(!text.contains(CURATED_WORDS), "{text}");
}

#[test]
fn curated_answers_import_export_and_list_and_a_malformed_file_imports_nothing() {
    let councilbot = Councilbot::new();
    let sample = sample_answers();
    let sample = sample.to_str().expect("utf-8 path");
    let imported = councilbot.json(&["answers", "import", sample, "--json"]);
    let count = imported.as_array().expect("a list").len();
    assert!(count >= 3, "{imported}");
    assert!(imported.as_array().unwrap().iter().all(|saved| saved["change"] == "added" && saved["version"] == 1));

    // Importing the same files again changes nothing.
    let again = councilbot.json(&["answers", "import", sample, "--json"]);
    assert!(again.as_array().unwrap().iter().all(|saved| saved["change"] == "unchanged"), "{again}");

    let listed = councilbot.json(&["answers", "list", "--json"]);
    let listed = listed.as_array().expect("a list");
    assert_eq!(listed.len(), count);
    let dates = listed.iter().find(|answer| answer["id"] == "council-tax-payment-dates").expect("listed");
    assert_eq!((dates["version"].as_i64(), dates["enabled"].as_bool()), (Some(1), Some(true)));
    assert_eq!(dates["source"]["url"], PAGE);
    assert_eq!(dates["audience"], "resident");
    let plain = councilbot.run(&["answers", "list"]);
    assert!(String::from_utf8_lossy(&plain.stdout).contains("council-tax-payment-dates"));

    // What is exported imports as unchanged.
    let exported = tempfile::tempdir().expect("temp dir");
    let output = councilbot.run(&["answers", "export", exported.path().to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::read_dir(exported.path()).unwrap().count(), count);
    let reimported = councilbot.json(&["answers", "import", exported.path().to_str().expect("utf-8 path"), "--json"]);
    assert!(reimported.as_array().unwrap().iter().all(|saved| saved["change"] == "unchanged"), "{reimported}");

    // A change next to a malformed file: the malformed one is named at its place, and nothing is imported.
    let answers = copy_of_sample_answers();
    switch_off(answers.path(), "council-tax-payment-dates");
    std::fs::write(
        answers.path().join("bins-broken.yaml"),
        "id: bins-broken\nanswer: Put it out by 7am.\nsource:\n  url: https://www.eastbrook.gov.uk/waste\n  title: Bins\n\
         examples:\n  - when do I put my bin out\nenabled: sometimes\n",
    )
    .unwrap();
    let refused = councilbot.run(&["answers", "import", answers.path().to_str().expect("utf-8 path")]);
    assert!(!refused.status.success());
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(error.contains("bins-broken.yaml:8:10"), "{error}");
    assert!(error.contains("nothing was imported"), "{error}");
    let listed = councilbot.json(&["answers", "list", "--json"]);
    let dates = listed.as_array().unwrap().iter().find(|answer| answer["id"] == "council-tax-payment-dates").cloned();
    assert_eq!(
        dates.map(|answer| (answer["version"].clone(), answer["enabled"].clone())),
        Some((1.into(), true.into()))
    );
    assert!(listed.as_array().unwrap().iter().all(|answer| answer["id"] != "bins-broken"));
}
