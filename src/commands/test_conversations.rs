//! `councilbot test-conversations`: plays the conversation stories in a directory against the
//! engine (on a database of its own, so nothing real is touched) and reports what failed.

use std::process::ExitCode;

use anyhow::{Context, Result};
use bot::stories::{StoryClock, load_stories, parse_utc, run_story};
use rpa::secrets::Secrets;

use super::assemble::{Automation, Places, assemble, engine_settings};
use crate::cli::TestConversationsArgs;
use crate::config::Config;
use crate::output::print_json;

pub fn run(places: &Places, config: Config, args: TestConversationsArgs) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(super::serve::WORKER_STACK_BYTES)
        .enable_all()
        .build()?;
    runtime.block_on(play(places, config, args))
}

async fn play(places: &Places, config: Config, args: TestConversationsArgs) -> Result<ExitCode> {
    let files = load_stories(&args.path)?;
    let scratch = tempfile::tempdir().context("cannot make a scratch directory")?;
    let places =
        Places { database_url: format!("sqlite://{}", scratch.path().join("stories.db").display()), ..places.clone() };
    // Runs are recorded but never worked here, so the secrets they need are stand-ins.
    let (catalogue, _) = rpa::workflow::Catalogue::load(std::slice::from_ref(&places.workflows));
    let names: Vec<String> =
        catalogue.iter().flat_map(|file| file.workflow.secrets.iter().map(|secret| secret.value.clone())).collect();
    let secrets = Secrets::from_pairs(names.iter().map(|name| (name.as_str(), "stand-in")));
    let now = parse_utc(&args.now)
        .with_context(|| format!("`--now {}` is not a time such as 2026-12-01T10:00:00Z", args.now))?;
    let clock = StoryClock::new(now);
    let settings = engine_settings(&config);
    let engine =
        assemble(&places, &config, secrets, settings, clock.clock(), Automation::from_config(&config)?).await?.engine;
    let mut results = Vec::new();
    for (file, stories) in &files {
        for story in &stories.stories {
            results.push(run_story(&engine, &clock, file, story, "web").await);
        }
    }
    let failed = results.iter().filter(|result| !result.passed()).count();
    if args.json {
        print_json(&serde_json::json!({"stories": results.len(), "failed": failed, "results": results}))?;
    } else {
        for result in &results {
            if result.passed() {
                outln!("ok    {}  ({})", result.name, result.file.display());
            } else {
                outln!("FAIL  {}  ({})", result.name, result.file.display());
                for failure in &result.failures {
                    outln!("      {failure}");
                }
            }
        }
        outln!("\n{} stories, {} passed, {failed} failed", results.len(), results.len() - failed);
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
