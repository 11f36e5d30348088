//! Content and workflows reloaded while serving (SIGHUP): new pages answer, changed workflows
//! take effect, and a workflow file with errors is refused while its earlier version runs on.

use std::path::Path;

use crate::support::{Chat, Server, council_workflows, sample_content};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn texts(messages: &[serde_json::Value]) -> String {
    messages.iter().filter_map(|message| message["text"].as_str()).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_hangup_reloads_pages_and_workflows_and_a_broken_workflow_keeps_its_running_version() {
    let council = tempfile::tempdir().unwrap();
    let (content, workflows) = (council.path().join("content"), council.path().join("workflows"));
    copy_dir(&sample_content(), &content);
    copy_dir(&council_workflows(), &workflows);
    let server = Server::start_over(&content, &workflows, "", &[]);

    let question = "who do I call about a fallen tree blocking the road?";
    let before = texts(&Chat::start(&server).say(question));
    assert!(!before.contains("01632 960444"), "{before}");

    std::fs::create_dir_all(content.join("roads")).unwrap();
    std::fs::write(
        content.join("roads/fallen-trees.md"),
        "---\ntitle: Fallen trees\nurl: https://www.eastbrook.gov.uk/roads/fallen-trees\n---\n# Fallen trees\n\n\
         If a fallen tree is blocking a road or pavement, call the highways team on 01632 960444 at any time.\n",
    )
    .unwrap();
    let missed_bin = workflows.join("report_missed_bin.yaml");
    let text = std::fs::read_to_string(&missed_bin).unwrap();
    std::fs::write(&missed_bin, text.replacen("What is your postcode?", "Which postcode is the bin at?", 1)).unwrap();
    let bulky = workflows.join("book_bulky_waste.yaml");
    let text = std::fs::read_to_string(&bulky).unwrap();
    std::fs::write(&bulky, text.replacen("type: date", "type: dat", 1)).unwrap();

    server.hang_up();
    server.eventually("the reload", || server.log().contains("reloaded:").then_some(()));
    let log = server.log();
    assert!(log.contains("book_bulky_waste.yaml:"), "the error is named where it is: {log}");
    assert!(log.contains("the versions already running carry on"), "{log}");

    let after = texts(&Chat::start(&server).say(question));
    assert!(after.contains("01632 960444"), "the new page answers: {after}");
    let bin = texts(&Chat::start(&server).say("my bin wasn't emptied this week"));
    assert!(bin.contains("Which postcode is the bin at?"), "the changed workflow asks its new question: {bin}");
    let sofa = texts(&Chat::start(&server).say("book a bulky waste collection"));
    assert!(sofa.contains("What is your postcode?"), "the broken file's earlier version still runs: {sofa}");
}
