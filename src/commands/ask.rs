//! `councilbot ask`: answer a question with citations, or say it does not know.

use std::process::ExitCode;

use anyhow::Result;
use bot::{AnswerSettings, ExtractiveAnswerer};
use knowledge_base::KnowledgeBase;

use super::viewer;
use crate::cli::AskArgs;
use crate::output::print_json;

pub fn run(knowledge_base: &KnowledgeBase, args: AskArgs) -> Result<ExitCode> {
    let mut settings = AnswerSettings::default();
    if let Some(min_confidence) = args.min_confidence {
        settings.min_confidence = min_confidence;
    }
    let answer = ExtractiveAnswerer::new(knowledge_base, settings).answer(&args.question, viewer(args.staff))?;
    if args.json {
        print_json(&answer)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!("{}", answer.answer);
    if !answer.citations.is_empty() {
        outln!();
        outln!("Sources:");
        for (number, citation) in answer.citations.iter().enumerate() {
            outln!("  [{}] {} — {}", number + 1, citation.title, citation.url);
        }
    }
    Ok(ExitCode::SUCCESS)
}
