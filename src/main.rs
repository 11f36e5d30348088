//! councilbot: answers a council's residents and staff from its own content.

#[macro_use]
mod output;
mod cli;
mod commands;
mod config;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Transcripts, evidence and password hashes are kept in files: none may be readable by others.
    storage::files::keep_new_files_private();
    knowledge_base::quiet_contained_panics();
    init_logging();
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => match error.downcast_ref::<commands::workflow::StoppedBySignal>() {
            Some(stopped) => {
                eprintln!("{stopped}");
                ExitCode::from(stopped.exit_status)
            }
            None => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Logs to standard error, filtered by `COUNCILBOT_LOG` (such as `debug` or `warn,bot=debug`);
/// by default councilbot's own notices and everyone's warnings.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COUNCILBOT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,councilbot=info,bot=info,channels=info,rpa=info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}
