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
    /// The database: `sqlite://PATH` or `postgres://USER@HOST/DB` [default: a SQLite file in the data directory].
    #[arg(long, global = true, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The council's workflow files.
    #[arg(long, global = true, env = "COUNCILBOT_WORKFLOWS", default_value = "workflows", value_name = "DIR")]
    pub workflows: PathBuf,
    /// A file of `name=value` secrets for workflows, readable only by its owner (the environment's
    /// `COUNCILBOT_SECRET_NAME` variables are read too).
    #[arg(long, global = true, env = "COUNCILBOT_SECRETS_FILE", value_name = "FILE")]
    pub secrets_file: Option<PathBuf>,
    /// The configuration file [default: ./councilbot.toml when it exists, else built-in defaults].
    #[arg(long, global = true, env = "COUNCILBOT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The council to act for, by its id, when the deployment serves several: its own settings,
    /// data directory, database, index, workflows and secrets are used [default: the council the
    /// configuration file describes].
    #[arg(long, global = true, env = "COUNCILBOT_COUNCIL", value_name = "ID")]
    pub council: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The index directory in effect.
    pub fn index_dir(&self) -> PathBuf {
        self.index_dir.clone().unwrap_or_else(|| self.data_dir.join("index"))
    }

    /// The database URL in effect: the command line's or the environment's, else the
    /// configuration file's, else a SQLite file in the data directory.
    pub fn database_url(&self, configured: Option<&str>) -> String {
        database_url_in_effect(self.database_url.as_deref(), configured, &self.data_dir)
    }
}

/// The database URL in effect: the one given (on the command line or in the environment), else
/// the configuration file's, else a SQLite file in the data directory.
pub fn database_url_in_effect(given: Option<&str>, configured: Option<&str>, data_dir: &std::path::Path) -> String {
    let named = |url: Option<&str>| url.filter(|url| !url.trim().is_empty()).map(str::to_string);
    named(given)
        .or_else(|| named(configured))
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("councilbot.db").display()))
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
    /// Check, run and look after workflows that carry out requests on council systems.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// Serve the chat API (and health and metrics), working service requests in the background.
    Serve(ServeArgs),
    /// Play conversation stories (YAML) against the bot and report what failed.
    TestConversations(TestConversationsArgs),
    /// Measure how well requests for services are recognised, on a labelled set of messages.
    EvalIntents(EvalIntentsArgs),
    /// Personal data: export or erase what is held about someone, delete what has expired.
    #[command(subcommand)]
    Privacy(PrivacyCommand),
    /// The supervisor console's accounts and API tokens.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The council's curated answers: import them from YAML files, export them, list them.
    #[command(subcommand)]
    Answers(AnswersCommand),
    /// The examples the council added to its services: import them from YAML files, export
    /// them, list them.
    #[command(subcommand)]
    Examples(ExamplesCommand),
    /// The configuration: check it.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Serve ECSS, the sample council's 2000s back office with no API, for workflows to practise on.
    LegacyPortal {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8090", value_name = "ADDRESS")]
        listen: String,
    },
}

/// Subcommands of `workflow`.
#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Check workflow files for every error that can be found without running them.
    Validate {
        /// Workflow files, or directories of them.
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// Print the errors as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the JSON Schema of workflow files (for editors), or write it to a file.
    Schema {
        /// Write it here instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Run a workflow now, showing each step as it happens.
    Run(WorkflowRunArgs),
    /// Run every workflow under a directory as a test suite: carry on after failures, print a
    /// summary, and write JUnit XML and an HTML report if asked. Exits 1 when any failed.
    Test(WorkflowTestArgs),
    /// List recent runs.
    Runs {
        /// Only runs in this state: queued, running, waiting, succeeded, failed or cancelled.
        #[arg(long, value_name = "STATE")]
        status: Option<String>,
        /// How many runs to list.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Print the runs as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a run: its steps, timings, outputs, errors, evidence and what people did.
    Show {
        /// The run's reference (such as CB-1A2B3C4D) or id.
        run: String,
        /// Write the run's evidence (screenshots, pages) into this directory.
        #[arg(long, value_name = "DIR")]
        save_evidence: Option<PathBuf>,
        /// Print the run as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Work every run that is ready: queued, left unfinished by a process that died, or whose
    /// human task ran out of time.
    Resume {
        /// Print the runs worked as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Try a run again that failed or waits after an error; completed steps are not repeated.
    Retry(RunActionArgs),
    /// Finish a waiting run by hand, giving its outputs.
    Complete {
        #[command(flatten)]
        action: RunActionArgs,
        /// An output as `name=value`; every output the workflow declares is needed.
        #[arg(long = "output", value_name = "NAME=VALUE", value_parser = parse_pair)]
        outputs: Vec<(String, String)>,
    },
    /// Approve the human task a run waits on, and let it go on.
    Approve {
        #[command(flatten)]
        action: RunActionArgs,
        /// A value the task asks for, as `name=value`.
        #[arg(long = "value", value_name = "NAME=VALUE", value_parser = parse_pair)]
        values: Vec<(String, String)>,
        /// A comment kept with the decision.
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Reject the human task a run waits on, and let it go on.
    Reject {
        #[command(flatten)]
        action: RunActionArgs,
        /// Why, kept with the decision.
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Cancel a run that has not ended.
    Cancel {
        #[command(flatten)]
        action: RunActionArgs,
        /// Why, kept with the run.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on [default: the configuration's, 127.0.0.1:8080].
    #[arg(long, value_name = "ADDRESS")]
    pub listen: Option<String>,
}

/// Options of `test-conversations`.
#[derive(Debug, Args)]
pub struct TestConversationsArgs {
    /// A story file, or a directory of them.
    #[arg(value_name = "FILE|DIR")]
    pub path: PathBuf,
    /// The time the stories happen at, unless a story says otherwise (UTC).
    #[arg(long, default_value = "2026-12-01T10:00:00Z", value_name = "TIME")]
    pub now: String,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `eval-intents`.
#[derive(Debug, Args)]
pub struct EvalIntentsArgs {
    /// The labelled messages (YAML).
    pub file: PathBuf,
    /// The recognition threshold to evaluate with [default: the configured one].
    #[arg(long, value_name = "SCORE", value_parser = parse_fraction)]
    pub threshold: Option<f32>,
    /// The start threshold to evaluate with [default: the configured one; never below the
    /// recognition threshold].
    #[arg(long, value_name = "SCORE", value_parser = parse_fraction)]
    pub start_threshold: Option<f32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Subcommands of `privacy`.
#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Everything held about a phone number or email address, as JSON (a subject access request).
    Export {
        /// The phone number or email address.
        contact: String,
        /// Write it to this file (readable only by you) instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Erase everything held about a phone number or email address.
    Erase {
        /// The phone number or email address.
        contact: String,
        /// Really erase (without it, only say what would be erased).
        #[arg(long)]
        yes: bool,
        /// Print what was erased as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete conversations and workflow runs past their retention period now (`serve` does
    /// this every hour).
    Purge {
        /// Keep this many days instead of the configured retention.
        #[arg(long, value_name = "DAYS")]
        days: Option<u32>,
        /// Print what was deleted as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Subcommands of `config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check the configuration file, the environment's overrides, the content and the workflows,
    /// and say what is wrong where.
    Check,
}

/// Subcommands of `staff`.
#[derive(Debug, Clone, Subcommand)]
pub enum StaffCommand {
    /// Add a local account (or change its password, name and role); the password is read from
    /// standard input or `COUNCILBOT_STAFF_PASSWORD`.
    Add {
        /// The username to sign in with.
        username: String,
        /// The name residents see on this person's replies [default: the username].
        #[arg(long)]
        name: Option<String>,
        /// `supervisor`, `editor` (a supervisor who also curates answers and examples) or `admin`.
        #[arg(long, default_value = "supervisor")]
        role: String,
        /// For the shared service's staff (`--council shared`): the councils they work for, by
        /// id, each with `=ROLE` where it differs from `--role` (`eastbrook,westbrook=admin`)
        /// [default: every council of the deployment].
        #[arg(long, value_delimiter = ',', value_name = "ID[=ROLE],…")]
        councils: Vec<String>,
    },
    /// Remove an account and end its sessions.
    Remove {
        /// The username.
        username: String,
    },
    /// List the accounts.
    List {
        /// Print them as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make an API token for a program (shown once).
    Token {
        /// What the token is for.
        name: String,
        /// `supervisor`, `editor` (a supervisor who also curates answers and examples) or `admin`.
        #[arg(long, default_value = "supervisor")]
        role: String,
    },
}

/// Subcommands of `answers`.
#[derive(Debug, Subcommand)]
pub enum AnswersCommand {
    /// Load every answer file of a directory: each changed answer becomes a new version, recorded
    /// in the audit log as `cli`; nothing is imported when any file has an error.
    Import {
        /// The directory of answer files (`ID.yaml`).
        dir: PathBuf,
        /// Print what changed as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every answer as it stands now into a directory, one `ID.yaml` file each.
    Export(ExportArgs),
    /// List the answers with their version, state and page.
    List(ListArgs),
}

/// Subcommands of `examples`.
#[derive(Debug, Subcommand)]
pub enum ExamplesCommand {
    /// Load every examples file of a directory: each service with a file gets exactly the
    /// examples it lists, each addition and removal recorded in the audit log as `cli`; nothing
    /// is imported when any file has an error.
    Import {
        /// The directory of examples files (`SERVICE.yaml`).
        dir: PathBuf,
        /// Print what changed as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the examples of every service that has or had some into a directory, one
    /// `SERVICE.yaml` file each.
    Export(ExportArgs),
    /// List the examples added to services, with who added them and when.
    List(ListArgs),
}

/// Options of `answers export` and `examples export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The directory to write to (made if missing; files of the same name are replaced).
    pub dir: PathBuf,
}

/// Options of `answers list` and `examples list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print them as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `workflow run`.
#[derive(Debug, Args)]
pub struct WorkflowRunArgs {
    /// The workflow file.
    pub file: PathBuf,
    /// An input as `name=value`.
    #[arg(long = "input", short = 'i', value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub inputs: Vec<(String, String)>,
    /// Show the plan with inputs and templates filled in, without touching any system.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the run (or plan) as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `workflow test`.
#[derive(Debug, Args)]
pub struct WorkflowTestArgs {
    /// The directory of workflows to run; workflows that need inputs are skipped.
    pub dir: PathBuf,
    /// Write the results as JUnit XML here, for CI.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write an HTML report here: each workflow's steps and times, and screenshots of failures.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Options of the commands that act on a run.
#[derive(Debug, Args)]
pub struct RunActionArgs {
    /// The run's reference (such as CB-1A2B3C4D) or id.
    pub run: String,
    /// Who is acting, for the run's record.
    #[arg(long = "as", env = "USER", default_value = "cli", value_name = "NAME")]
    pub actor: String,
    /// Print the run as JSON.
    #[arg(long)]
    pub json: bool,
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
    /// Answer with the language model configured under `[llm]`, from the same passages.
    #[arg(long, conflicts_with = "min_confidence")]
    pub model: bool,
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

/// A `name=value` pair.
fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not `name=value`")),
    }
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
