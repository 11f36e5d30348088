//! Terminal output: progress bars, highlights and JSON.

/// Prints on standard output, as `print!` does, but stops the command quietly when its reader has
/// gone (`councilbot ask … | head -1`), as other command-line tools do, instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_out(format_args!($($arg)*)) };
}

/// Prints a line on standard output, as `println!` does; see [`out!`].
macro_rules! outln {
    () => { $crate::output::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

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
    outln!("{}", serde_json::to_string_pretty(value)?);
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
        outln!("{empty}");
    }
    for value in values {
        outln!("{}", line(value));
    }
    Ok(())
}

/// Writes to standard output: a reader that has gone ends the command with the shell's status
/// for it (141) and no message; any other failure is named.
pub fn write_out(text: std::fmt::Arguments) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(141),
        Err(error) => {
            eprintln!("error: cannot write the output: {error}");
            std::process::exit(1);
        }
    }
}

/// Prints text on standard output; a reader that stops early (`| head`) is not an error.
pub fn print_text(text: &str) -> anyhow::Result<()> {
    out!("{text}");
    Ok(())
}

/// Whether standard output is a terminal (so colour and bold are welcome).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
