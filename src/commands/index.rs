//! `councilbot index`: build or update the search index.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use knowledge_base::{ChunkSettings, IndexEvent, IndexSettings, TokenCounter, build_index};

use crate::cli::IndexArgs;
use crate::output::{print_json, progress_bar};

pub fn run(index_dir: &Path, args: IndexArgs) -> Result<ExitCode> {
    let counter = TokenCounter::from_optional_file(args.tokenizer.as_deref())?;
    let settings = IndexSettings {
        chunks: ChunkSettings { max_tokens: args.chunk_tokens, overlap_tokens: args.overlap_tokens }.validate()?,
        max_file_bytes: args.max_file_size,
        base_url: args.base_url,
    };
    let bar = progress_bar("indexing");
    let progress = |event: IndexEvent<'_>| match event {
        IndexEvent::Found { files } => bar.set_length(files as u64),
        IndexEvent::Processed { .. } => bar.inc(1),
        IndexEvent::Skipped(skipped) => {
            let kept = if skipped.kept_previous { " (the previously indexed version is kept)" } else { "" };
            bar.suspend(|| eprintln!("warning: skipped {}: {}{kept}", skipped.path.display(), skipped.reason));
        }
    };
    let report = build_index(index_dir, &args.dirs, &settings, &counter, &progress)?;
    bar.finish_and_clear();
    if args.json {
        print_json(&report)?;
    } else {
        outln!(
            "indexed {} documents into {} passages in {}: {} added, {} updated, {} unchanged, {} removed, {} skipped{}",
            report.documents,
            report.passages,
            index_dir.display(),
            report.added,
            report.updated,
            report.unchanged,
            report.removed,
            report.skipped.len(),
            if report.rebuilt { " (rebuilt: settings or tokenizer changed)" } else { "" },
        );
    }
    Ok(ExitCode::SUCCESS)
}
