//! `councilbot tokenizer`: train a tokenizer on content, or count tokens.

use std::process::ExitCode;

use anyhow::{Context, Result};
use knowledge_base::{IndexSettings, TokenCounter, train_tokenizer_on_dirs};

use crate::cli::TokenizerCommand;

pub fn run(command: TokenizerCommand) -> Result<ExitCode> {
    match command {
        TokenizerCommand::Train { dirs, out, vocab_size } => {
            let json = train_tokenizer_on_dirs(&dirs, vocab_size, IndexSettings::default().max_file_bytes)?;
            std::fs::write(&out, json).with_context(|| format!("cannot write {}", out.display()))?;
            outln!("wrote {} (vocabulary of up to {vocab_size} tokens)", out.display());
        }
        TokenizerCommand::Count { text, tokenizer } => {
            let counter = TokenCounter::from_optional_file(tokenizer.as_deref())?;
            outln!("{}", counter.count(&text));
        }
    }
    Ok(ExitCode::SUCCESS)
}
