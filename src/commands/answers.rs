//! `councilbot answers`: the council's curated answers, imported from and exported to YAML
//! files kept under version control, and listed.

use std::process::ExitCode;

use anyhow::Result;
use bot::conversation::ConversationStore;
use bot::curated::{Change, CuratedStore, write_answers};

use crate::cli::AnswersCommand;
use crate::output::print_json;

/// Who the audit log names for changes imported from the command line.
const CLI_ACTOR: &str = "cli";

pub fn run(database_url: &str, command: AnswersCommand) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let conversations = ConversationStore::open(storage::Database::connect(database_url).await?).await?;
        let store = CuratedStore::open(&conversations).await?;
        match command {
            AnswersCommand::Import { dir, json } => {
                let saved = bot::curated::import(&store, &dir, CLI_ACTOR).await?;
                if json {
                    print_json(&saved)?;
                } else {
                    for answer in &saved {
                        let what = match answer.change {
                            Change::Added => "added",
                            Change::Changed => "changed",
                            Change::SwitchedOff => "switched off",
                            Change::SwitchedOn => "switched on",
                            Change::Unchanged => continue,
                        };
                        println!("{:<40} {what} (version {})", answer.id, answer.version);
                    }
                    let unchanged = saved.iter().filter(|answer| answer.change == Change::Unchanged).count();
                    println!("{} answer(s) imported from {}; {unchanged} unchanged", saved.len(), dir.display());
                }
            }
            AnswersCommand::Export { dir } => {
                let answers: Vec<_> = store.current().await?.into_iter().map(|stored| stored.answer).collect();
                let written = write_answers(&dir, &answers)?;
                println!("{} answer(s) written to {}", written.len(), dir.display());
            }
            AnswersCommand::List { json } => {
                let answers = store.current().await?;
                if json {
                    print_json(&answers)?;
                } else if answers.is_empty() {
                    println!("no curated answers; import some with `councilbot answers import DIR`");
                } else {
                    for stored in answers {
                        let answer = &stored.answer;
                        println!(
                            "{:<40} v{:<4} {:<4} {:<9} {}",
                            answer.id,
                            stored.version,
                            if answer.enabled { "on" } else { "off" },
                            answer.audience.as_str(),
                            answer.source.url
                        );
                    }
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
