//! `councilbot answers`: the council's curated answers, imported from and exported to YAML
//! files kept under version control, and listed.

use std::process::ExitCode;

use anyhow::Result;
use bot::conversation::ConversationStore;
use bot::curated::{Change, CuratedStore, write_answers};

use crate::cli::{AnswersCommand, ExportArgs, ListArgs};
use crate::output::{print_json, print_list};

/// Who the audit log names for changes imported from the command line.
pub(super) const CLI_ACTOR: &str = "cli";

/// Runs `work` on a runtime of its own with the conversations' database open, where the council's
/// curated answers and examples of services are kept.
pub(super) fn with_conversations(
    database_url: &str,
    work: impl AsyncFnOnce(&ConversationStore) -> Result<()>,
) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let conversations = ConversationStore::open(storage::Database::connect(database_url).await?).await?;
        work(&conversations).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Runs `councilbot answers`.
pub fn run(database_url: &str, command: AnswersCommand) -> Result<ExitCode> {
    with_conversations(database_url, async |conversations| {
        let store = CuratedStore::open(conversations).await?;
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
                        outln!("{:<40} {what} (version {})", answer.id, answer.version);
                    }
                    let unchanged = saved.iter().filter(|answer| answer.change == Change::Unchanged).count();
                    outln!("{} answer(s) imported from {}; {unchanged} unchanged", saved.len(), dir.display());
                }
            }
            AnswersCommand::Export(ExportArgs { dir }) => {
                let answers: Vec<_> = store.current().await?.into_iter().map(|stored| stored.answer).collect();
                let written = write_answers(&dir, &answers)?;
                outln!("{} answer(s) written to {}", written.len(), dir.display());
            }
            AnswersCommand::List(ListArgs { json }) => {
                let empty = "no curated answers; import some with `councilbot answers import DIR`";
                print_list(&store.current().await?, json, empty, |stored| {
                    let answer = &stored.answer;
                    format!(
                        "{:<40} v{:<4} {:<4} {:<9} {}",
                        answer.id,
                        stored.version,
                        if answer.enabled { "on" } else { "off" },
                        answer.audience.as_str(),
                        answer.source.url
                    )
                })?;
            }
        }
        Ok(())
    })
}
