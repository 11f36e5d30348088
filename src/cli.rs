//! The command line: global options and one subcommand per task.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Answers a council's residents and staff from its own content.
#[derive(Debug, Parser)]
#[command(name = "councilbot", version, about, max_term_width = 100)]
pub struct Cli {
    /// Where councilbot keeps its data.
    #[arg(long, global = true, env = "COUNCILBOT_DATA_DIR", default_value = "data", value_name = "DIR")]
    pub data_dir: PathBuf,
    /// Where the search index lives [default: <DATA_DIR>/index].
    #[arg(long, global = true, env = "COUNCILBOT_INDEX_DIR", value_name = "PATH")]
    pub index_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The index directory in effect.
    pub fn index_dir(&self) -> PathBuf {
        self.index_dir.clone().unwrap_or_else(|| self.data_dir.join("index"))
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build or update the search index from directories of content (HTML, Markdown, text, PDF).
    Index(IndexArgs),
    /// List the passages that best match a query.
    Search(SearchArgs),
    /// Answer a question the way the chat does, citing sources.
    Ask(AskArgs),
    /// Measure answer quality on a golden set of questions.
    Eval(EvalArgs),
    /// Manage the tokenizer that measures passage length.
    #[command(subcommand)]
    Tokenizer(TokenizerCommand),
}

/// Options of `index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Directories of content to index; documents removed from them leave the index.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// A tokenizer.json to measure passages with, such as the language model's own [default: built-in].
    #[arg(long, env = "COUNCILBOT_TOKENIZER", value_name = "FILE")]
    pub tokenizer: Option<PathBuf>,
    /// The most tokens in one passage.
    #[arg(long, default_value_t = 256, value_name = "TOKENS")]
    pub chunk_tokens: usize,
    /// Tokens repeated between consecutive passages of a section.
    #[arg(long, default_value_t = 32, value_name = "TOKENS")]
    pub overlap_tokens: usize,
    /// Files larger than this are skipped (bytes, or with a K, M or G suffix).
    #[arg(long, default_value = "20M", value_parser = parse_size, value_name = "SIZE")]
    pub max_file_size: u64,
    /// URL prefix for documents that declare no URL of their own (else their path is shown).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query, in any words.
    pub query: String,
    /// How many passages to list.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Search as staff, including staff-only guidance.
    #[arg(long)]
    pub staff: bool,
    /// Only this service area (for example `waste`).
    #[arg(long, value_name = "AREA")]
    pub area: Option<String>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// Ask as staff, including staff-only guidance.
    #[arg(long)]
    pub staff: bool,
    /// Below this confidence (0 to 1) the answer is "I don't know" and an offer of a person.
    #[arg(long, value_name = "CONFIDENCE", value_parser = parse_fraction)]
    pub min_confidence: Option<f32>,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The golden set (YAML).
    pub golden: PathBuf,
    /// The confidence threshold to evaluate with [default: the built-in threshold].
    #[arg(long, value_name = "CONFIDENCE", value_parser = parse_fraction)]
    pub min_confidence: Option<f32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Subcommands of `tokenizer`.
#[derive(Debug, Subcommand)]
pub enum TokenizerCommand {
    /// Train a byte-level BPE tokenizer on content and write its tokenizer.json.
    Train {
        /// Directories of content to train on.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Where to write the tokenizer.json.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The size of the vocabulary.
        #[arg(long, default_value_t = 8000)]
        vocab_size: usize,
    },
    /// Count the tokens of a text.
    Count {
        /// The text.
        text: String,
        /// A tokenizer.json [default: built-in].
        #[arg(long, env = "COUNCILBOT_TOKENIZER", value_name = "FILE")]
        tokenizer: Option<PathBuf>,
    },
}

/// A size in bytes, optionally with a K, M or G suffix (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let upper = text.to_ascii_uppercase();
    let digits = upper.trim_end_matches(['B', 'I']);
    let (number, multiplier) = match digits.chars().last() {
        Some('K') => (&digits[..digits.len() - 1], 1 << 10),
        Some('M') => (&digits[..digits.len() - 1], 1 << 20),
        Some('G') => (&digits[..digits.len() - 1], 1 << 30),
        _ => (digits, 1),
    };
    let number: u64 = number.trim().parse().map_err(|_| format!("`{text}` is not a size such as 500K or 20M"))?;
    number.checked_mul(multiplier).ok_or_else(|| format!("`{text}` is too large"))
}

/// A number from 0 to 1.
fn parse_fraction(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!("`{text}` is not a number from 0 to 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("20M"), Ok(20 << 20));
        assert_eq!(parse_size("1gb"), Ok(1 << 30));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert!(parse_size("lots").is_err());
    }
}
