//! `councilbot privacy`: everything held about a phone number or email address (subject
//! access), erasing it, and deleting data past its retention period.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bot::conversation::ConversationStore;
use rpa::journal::Journal;

use crate::cli::PrivacyCommand;
use crate::config::Config;
use crate::output::print_json;

pub fn run(database_url: &str, config: &Config, command: PrivacyCommand) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let database = storage::Database::connect(database_url).await?;
        let store = ConversationStore::open(database.clone()).await?;
        let journal = Journal::open(database).await?;
        match command {
            PrivacyCommand::Export { contact, out } => export(&store, &journal, &contact, out.as_deref()).await,
            PrivacyCommand::Erase { contact, yes, json } => erase(&store, &journal, &contact, yes, json).await,
            PrivacyCommand::Purge { days, json } => {
                let days = days.unwrap_or(config.conversations.retention_days);
                let retention = Duration::from_secs(u64::from(days) * 86_400);
                let report = bot::privacy::purge_expired(&store, &journal, retention, storage::now_millis()).await?;
                if json {
                    print_json(&report)?;
                } else {
                    outln!(
                        "deleted {} conversation(s) and {} workflow run(s) older than {days} days",
                        report.conversations,
                        report.workflow_runs
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

async fn export(store: &ConversationStore, journal: &Journal, contact: &str, out: Option<&Path>) -> Result<ExitCode> {
    let report = bot::privacy::export(store, journal, contact).await?;
    let text = serde_json::to_string_pretty(&report)?;
    match out {
        Some(path) => {
            write_private(path, &text)?;
            eprintln!(
                "wrote {} conversation(s) and {} workflow run(s) held about {} to {}",
                report.conversations.len(),
                report.workflow_runs.len(),
                report.contact,
                path.display()
            );
        }
        None => outln!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a file only its owner can read, since it holds personal data.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

async fn erase(store: &ConversationStore, journal: &Journal, contact: &str, yes: bool, json: bool) -> Result<ExitCode> {
    if !yes {
        let report = bot::privacy::export(store, journal, contact).await?;
        bail!(
            "this would erase {} conversation(s) and {} workflow run(s) held about {}; run again with --yes to erase them",
            report.conversations.len(),
            report.workflow_runs.len(),
            report.contact
        );
    }
    let report = bot::privacy::erase(store, journal, contact).await?;
    if json {
        print_json(&report)?;
    } else {
        outln!(
            "erased {} conversation(s) and {} workflow run(s) held about {}",
            report.conversations,
            report.workflow_runs,
            report.contact
        );
    }
    Ok(ExitCode::SUCCESS)
}
