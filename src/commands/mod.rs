//! One function per subcommand; each parses nothing and prints its result.

mod ask;
mod eval;
mod index;
mod legacy_portal;
mod search;
mod tokenizer;
mod workflow;

use std::process::ExitCode;

use anyhow::Result;
use knowledge_base::{Audience, KnowledgeBase};

use crate::cli::{Cli, Command};

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let index_dir = cli.index_dir();
    let places = workflow::Places {
        database_url: cli.database_url(),
        workflows: cli.workflows.clone(),
        secrets_file: cli.secrets_file.clone(),
    };
    match cli.command {
        Command::Index(args) => index::run(&index_dir, args),
        Command::Search(args) => search::run(&open(&index_dir)?, args),
        Command::Ask(args) => ask::run(&open(&index_dir)?, args),
        Command::Eval(args) => eval::run(&open(&index_dir)?, args),
        Command::Tokenizer(command) => tokenizer::run(command),
        Command::Workflow(command) => workflow::run(&places, command),
        Command::LegacyPortal { listen } => legacy_portal::run(&listen),
    }
}

fn open(index_dir: &std::path::Path) -> Result<KnowledgeBase> {
    Ok(KnowledgeBase::open(index_dir)?)
}

/// The audience a command acts as.
fn viewer(staff: bool) -> Audience {
    if staff { Audience::Staff } else { Audience::Public }
}
