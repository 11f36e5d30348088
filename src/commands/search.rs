//! `councilbot search`: list the best-matching passages.

use std::process::ExitCode;

use anyhow::Result;
use knowledge_base::{KnowledgeBase, Language, SearchRequest};

use super::viewer;
use crate::cli::SearchArgs;
use crate::output::{print_json, stdout_is_terminal};

pub fn run(knowledge_base: &KnowledgeBase, args: SearchArgs) -> Result<ExitCode> {
    let request = SearchRequest {
        query: &args.query,
        viewer: viewer(args.staff),
        service_area: args.area.as_deref(),
        limit: args.limit,
        language: Language::detect(&args.query).unwrap_or_default(),
        summaries: true,
    };
    let results = knowledge_base.search(&request)?;
    if args.json {
        print_json(&results)?;
        return Ok(ExitCode::SUCCESS);
    }
    if results.hits.is_empty() {
        outln!("no passages match {:?}", args.query);
    }
    let (bold, plain) = if stdout_is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("", "") };
    for (rank, hit) in results.hits.iter().enumerate() {
        let section = hit.heading_path.last().map(|heading| format!(" › {heading}")).unwrap_or_default();
        outln!("{}. {bold}{}{section}{plain}  (score {:.2})", rank + 1, hit.title, hit.score);
        outln!("   {}", hit.url);
        if let Some(snippet) = &hit.snippet {
            outln!("   {}", snippet.render(bold, plain, str::to_string));
        }
        outln!();
    }
    let corrected: Vec<String> = results
        .terms
        .iter()
        .filter_map(|term| term.corrected_from.as_ref().map(|typed| format!("{typed} → {}", term.term)))
        .collect();
    if !corrected.is_empty() {
        outln!("spelling corrected: {}", corrected.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
