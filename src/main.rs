//! councilbot: answers a council's residents and staff from its own content.

mod cli;
mod commands;
mod config;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Transcripts, evidence and password hashes are kept in files: none may be readable by others.
    storage::files::keep_new_files_private();
    knowledge_base::quiet_contained_panics();
    init_logging();
    let cli = cli::Cli::parse();
    if !matches!(cli.command, cli::Command::Serve(_) | cli::Command::LegacyPortal { .. }) {
        stop_quietly_when_output_is_closed();
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Makes a command whose output is closed early (`councilbot ask … | head -1`) stop at once and
/// quietly, as other command-line tools do, rather than fail on its next line. The servers keep
/// Rust's default: a reader going away is an error they carry on from.
fn stop_quietly_when_output_is_closed() {
    #[cfg(unix)]
    // SAFETY: restores the default action of one signal before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
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
