//! Terminal output: progress bars, highlights and JSON.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

/// A progress bar on standard error, hidden when standard error is not a terminal.
pub fn progress_bar(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Prints a value as pretty JSON on standard output.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints a list: as JSON when `json`, else one `line` a value, or `empty` (which says how to
/// fill the list) when it has none.
pub fn print_list<T: Serialize>(
    values: &[T],
    json: bool,
    empty: &str,
    line: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    if json {
        return print_json(&values);
    }
    if values.is_empty() {
        println!("{empty}");
    }
    for value in values {
        println!("{}", line(value));
    }
    Ok(())
}

/// Prints text on standard output; a reader that stops early (`| head`) is not an error.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(()),
    }
}

/// Whether standard output is a terminal (so colour and bold are welcome).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
