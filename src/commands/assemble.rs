//! Putting the product together from configuration: the index, the database, the workflows,
//! the runner and the conversation engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use bot::conversation::{Clock, ConversationStore, Engine, EngineParts, EngineSettings, Services};
use bot::curated::CuratedStore;
use bot::llm::LanguageModel;
use bot::service_examples::ServiceExampleStore;
use knowledge_base::{IndexEvent, IndexSettings, TokenCounter, build_index};
use rpa::journal::Journal;
use rpa::runner::Runner;
use rpa::secrets::Secrets;
use rpa::workflow::Catalogue;

use crate::config::Config;

/// Where things are, from the command line.
#[derive(Debug, Clone)]
pub struct Places {
    /// The index directory.
    pub index_dir: PathBuf,
    /// The database URL.
    pub database_url: String,
    /// The workflow files.
    pub workflows: PathBuf,
    /// The secrets file, if any.
    pub secrets_file: Option<PathBuf>,
}

/// How workflows are carried out.
pub struct Automation {
    /// The runner's settings.
    pub runner: rpa::runner::RunnerConfig,
    /// Whether a browser is available; without one, workflows that need it are left out.
    pub browser: bool,
}

impl Automation {
    /// The runner's settings from the configuration and the environment, with a browser.
    pub fn from_config(config: &Config) -> Result<Automation> {
        Ok(Automation { runner: config.runner_config().map_err(anyhow::Error::msg)?, browser: true })
    }
}

/// The assembled product.
pub struct Assembled {
    /// The conversation engine.
    pub engine: Arc<Engine>,
    /// The workflow runner.
    pub runner: Arc<Runner>,
}

/// Brings the index up to date with the configured content, printing what changed.
pub fn update_index(index_dir: &Path, config: &Config) -> Result<()> {
    let directories: Vec<PathBuf> = config.content.directories.iter().filter(|dir| dir.is_dir()).cloned().collect();
    if directories.is_empty() {
        if index_dir.join("meta.json").is_file() {
            return Ok(());
        }
        anyhow::bail!(
            "there is no index at {} and none of the content directories ({}) exists; set [content] directories \
             in the configuration or run `councilbot index DIR`",
            index_dir.display(),
            config.content.directories.iter().map(|dir| dir.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let counter =
        TokenCounter::from_optional_file(std::env::var_os("COUNCILBOT_TOKENIZER").map(PathBuf::from).as_deref())?;
    let settings = IndexSettings { base_url: Some(config.content.base_url.clone()), ..IndexSettings::default() };
    let progress = |event: IndexEvent<'_>| {
        if let IndexEvent::Skipped(skipped) = event {
            eprintln!("warning: skipped {}: {}", skipped.path.display(), skipped.reason);
        }
    };
    let report = build_index(index_dir, &directories, &settings, &counter, &progress)?;
    eprintln!(
        "index: {} pages, {} passages ({} added, {} updated, {} removed)",
        report.documents, report.passages, report.added, report.updated, report.removed
    );
    Ok(())
}

/// The council's workflows that are valid, from its own directory and the files or folders it
/// shares with other councils, with the earlier version of any file that now has errors (none
/// at the start); every error is printed and the broken files are left out.
pub fn valid_workflows(directory: &Path, shared: &[PathBuf], earlier: &Catalogue) -> Catalogue {
    if !directory.exists() && shared.is_empty() {
        eprintln!(
            "warning: there is no workflows directory at {}: no service requests can be made",
            directory.display()
        );
        return Catalogue::default();
    }
    let (catalogue, errors) = earlier.reload(&workflow_paths(directory, shared));
    for error in &errors {
        eprintln!("{error}");
    }
    if !errors.is_empty() {
        let files: std::collections::BTreeSet<&Path> = errors.iter().map(|error| error.file.as_path()).collect();
        eprintln!(
            "warning: {} workflow file(s) have errors and are refused until they are fixed{}",
            files.len(),
            if earlier.is_empty() { "" } else { "; the versions already running carry on" }
        );
    }
    catalogue
}

/// Where a council's workflows are read from: its own directory, when there is one, and the
/// files or folders it shares with other councils.
pub fn workflow_paths(directory: &Path, shared: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(directory.to_path_buf())
        .filter(|directory| directory.exists())
        .chain(shared.iter().cloned())
        .collect()
}

/// The workflows this instance can carry out: without a browser, those that need one are off.
pub fn usable(catalogue: Catalogue, browser: bool) -> Catalogue {
    if browser {
        return catalogue;
    }
    let (kept, left_out) = catalogue.without_browser();
    if !left_out.is_empty() {
        eprintln!("warning: without a browser these workflows are off: {}", left_out.join(", "));
    }
    kept
}

/// Engine settings from the configuration.
pub fn engine_settings(config: &Config) -> EngineSettings {
    let mut settings = EngineSettings {
        council: config.council.clone(),
        hours: config.hours.clone(),
        emergency: config.emergency.clone(),
        safeguarding: config.safeguarding.clone(),
        intent_threshold: config.conversations.intent_threshold,
        intent_start_threshold: config.conversations.intent_start_threshold,
        curated_answer_threshold: config.conversations.curated_answer_threshold,
        unanswered_before_person: config.conversations.unanswered_before_person,
        max_message_chars: config.conversations.max_message_chars,
        ..EngineSettings::default()
    };
    settings.answers.min_confidence = config.conversations.min_confidence;
    settings.answers.min_confidence_welsh = config.conversations.min_confidence_welsh;
    settings
}

/// Opens the index, database and workflows and builds the engine over them.
pub async fn assemble(
    places: &Places,
    config: &Config,
    secrets: Secrets,
    settings: EngineSettings,
    clock: Clock,
    automation: Automation,
) -> Result<Assembled> {
    let knowledge = super::open(&places.index_dir, config)?;
    let database = storage::Database::connect(&places.database_url).await?;
    let store = ConversationStore::open(database.clone()).await?;
    let curated = CuratedStore::open(&store).await?;
    let examples = ServiceExampleStore::open(&store).await?;
    let journal = Journal::open(database).await?;
    let shared = &config.automation.shared_workflows;
    let catalogue = usable(valid_workflows(&places.workflows, shared, &Catalogue::default()), automation.browser);
    let runner = Arc::new(Runner::new(journal, catalogue.clone(), secrets, automation.runner));

    let model = config.llm.is_configured().then(|| LanguageModel::new(config.llm.clone()));
    let knowledge = Arc::new(knowledge);
    let services = Services::with_knowledge(catalogue, knowledge.clone());
    let engine = Engine::new(EngineParts {
        knowledge,
        store,
        runner: Some(runner.clone()),
        services,
        curated,
        examples,
        model,
        settings,
        clock,
    });
    Ok(Assembled { engine: Arc::new(engine), runner })
}
