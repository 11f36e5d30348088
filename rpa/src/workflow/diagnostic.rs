//! Errors in workflow files, pointing at the file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

/// The longest value quoted whole in an error; longer ones are cut, so a huge value in a file
/// is named, not echoed.
const QUOTED_CHARS: usize = 60;

/// Quoted values (between backticks or double quotes) longer than [`QUOTED_CHARS`].
static LONG_QUOTE: LazyLock<Regex> = LazyLock::new(|| {
    let longer = QUOTED_CHARS + 1;
    Regex::new(&format!(r#"`[^`]{{{longer},}}`|"[^"]{{{longer},}}""#)).expect("valid pattern")
});

/// A message with its long quoted values cut short.
fn with_short_quotes(message: String) -> String {
    LONG_QUOTE
        .replace_all(&message, |quoted: &regex::Captures<'_>| {
            let text = &quoted[0];
            let mark = &text[..1];
            let kept: String = text[1..].chars().take(QUOTED_CHARS).collect();
            format!("{mark}{kept}…{mark}")
        })
        .into_owned()
}

/// An error found in a workflow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub file: PathBuf,
    /// Line, from 1 (0 when the error is about the whole file).
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
    /// What is wrong.
    pub message: String,
    /// The text of the offending line.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// An error at a line and column of a file whose text is `source`.
    pub fn at(file: &Path, source: &str, line: u64, column: u64, message: impl Into<String>) -> Diagnostic {
        let source_line = usize::try_from(line)
            .ok()
            .filter(|line| *line > 0)
            .and_then(|line| source.lines().nth(line - 1))
            .map(str::to_string);
        Diagnostic { file: file.to_path_buf(), line, column, message: with_short_quotes(message.into()), source_line }
    }

    /// An error about a whole file.
    pub fn file(file: &Path, message: impl Into<String>) -> Diagnostic {
        let message = with_short_quotes(message.into());
        Diagnostic { file: file.to_path_buf(), line: 0, column: 0, message, source_line: None }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: error: {}", self.file.display(), self.message);
        }
        write!(f, "{}:{}:{}: error: {}", self.file.display(), self.line, self.column, self.message)?;
        if let Some(text) = &self.source_line {
            let gutter = self.line.to_string().len();
            let caret_at: usize = text.chars().take(self.column.saturating_sub(1) as usize).map(char::len_utf8).count();
            write!(f, "\n{:>gutter$} | {}\n{:>gutter$} | {}^", self.line, text, "", " ".repeat(caret_at))?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `word`, when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + usize::from(word.len() > 6);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance between two words, counting a swap of neighbours as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        let kinds = ["click", "check", "fill", "wait_for"];
        assert_eq!(closest("clik", kinds), Some("click"));
        assert_eq!(closest("wiat_for", kinds), Some("wait_for"));
        assert_eq!(closest("submit", kinds), None);
    }

    #[test]
    fn renders_the_line_with_a_caret_under_the_column() {
        let source = "name: x\n  clik: '#go'\n";
        let shown = Diagnostic::at(Path::new("w.yaml"), source, 2, 3, "unknown key `clik`").to_string();
        assert_eq!(shown, "w.yaml:2:3: error: unknown key `clik`\n2 |   clik: '#go'\n  |   ^");
    }
}
