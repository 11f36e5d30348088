//! One function per subcommand; each parses nothing and prints its result.

mod answers;
mod ask;
mod assemble;
mod browser_setup;
mod config_check;
mod councils;
mod data_dir;
mod eval;
mod eval_intents;
mod examples;
mod index;
mod legacy_portal;
mod privacy;
mod reload;
mod search;
mod serve;
mod staff;
mod test_conversations;
mod tokenizer;
pub mod workflow;

use std::process::ExitCode;

use anyhow::{Context, Result};
use knowledge_base::{Audience, KnowledgeBase};

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::Config;

/// Runs the chosen subcommand.
pub fn run(mut cli: Cli) -> Result<ExitCode> {
    if cli.council.as_deref() == Some(channels::shared_service::SHARED_ID) {
        return shared_service_command(&cli);
    }
    let chosen = match cli.council.take() {
        Some(id) => chosen_council(&cli, &id)?,
        None => None,
    };
    if let Some(council) = &chosen {
        if matches!(cli.command, Command::Serve(_) | Command::Config(_)) {
            anyhow::bail!("--council: `serve` and `config check` always work on the whole deployment");
        }
        cli.data_dir = council.data_dir.clone();
        cli.index_dir = Some(council.places.index_dir.clone());
        cli.database_url = Some(council.places.database_url.clone());
        cli.workflows = council.places.workflows.clone();
        cli.secrets_file = council.places.secrets_file.clone();
    }
    let index_dir = cli.index_dir();
    let needs_config = matches!(
        cli.command,
        Command::Serve(_)
            | Command::Workflow(_)
            | Command::TestConversations(_)
            | Command::Privacy(_)
            | Command::EvalIntents(_)
            | Command::Search(_)
            | Command::Ask(_)
            | Command::Eval(_)
    );
    let mut config = if let Some(council) = chosen {
        council.valid.config
    } else if needs_config {
        Config::load(cli.config.as_deref(), cli.secrets_file.as_deref())?
    } else {
        Config::default()
    };
    let database_url = cli.database_url(config.database.url.as_deref());
    let mut runner = config.runner_config().map_err(anyhow::Error::msg)?;
    runner.browsers.records = Some(cli.data_dir.join(serve::BROWSER_RECORDS));
    let places = workflow::Places {
        database_url: database_url.clone(),
        workflows: cli.workflows.clone(),
        secrets_file: cli.secrets_file.clone(),
        runner,
    };
    let assembly = assemble::Places {
        index_dir: index_dir.clone(),
        database_url: database_url.clone(),
        workflows: cli.workflows.clone(),
        secrets_file: cli.secrets_file.clone(),
    };
    match cli.command {
        Command::Serve(args) => {
            if let Some(listen) = args.listen {
                config.server.listen = listen;
            }
            let valid = config
                .validate()
                .map_err(|problems| anyhow::anyhow!("the configuration is not valid:\n  {}", problems.join("\n  ")))?;
            let kept = data_dir::Kept {
                data_dir: cli.data_dir.clone(),
                index_dir: index_dir.clone(),
                database_url: database_url.clone(),
                secrets_file: cli.secrets_file.clone(),
            };
            kept.warn_if_too_open();
            kept.prepare()?;
            serve::run(&assembly, &cli.data_dir, valid)
        }
        Command::TestConversations(args) => test_conversations::run(&assembly, config, args),
        Command::EvalIntents(args) => eval_intents::run(&index_dir, &cli.workflows, &config, args),
        Command::Privacy(command) => privacy::run(&database_url, &config, command),
        Command::Staff(command) => staff::run(&database_url, None, command),
        Command::Answers(command) => answers::run(&database_url, command),
        Command::Examples(command) => examples::run(&database_url, &cli.workflows, command),
        Command::Index(args) => {
            storage::files::create_private_dir(&index_dir)
                .with_context(|| format!("cannot create {}", index_dir.display()))?;
            index::run(&index_dir, args)
        }
        Command::Search(args) => search::run(&open(&index_dir, &config)?, args),
        Command::Ask(args) => ask::run(&open(&index_dir, &config)?, args),
        Command::Eval(args) => eval::run(&index_dir, &config, args),
        Command::Tokenizer(command) => tokenizer::run(command),
        Command::Workflow(command) => workflow::run(&places, command),
        Command::Config(ConfigCommand::Check) => {
            let given = cli.database_url.as_deref();
            let kept = |configured: Option<&str>| data_dir::Kept {
                data_dir: cli.data_dir.clone(),
                index_dir: index_dir.clone(),
                database_url: crate::cli::database_url_in_effect(given, configured, &cli.data_dir),
                secrets_file: cli.secrets_file.clone(),
            };
            config_check::run(cli.config.as_deref(), cli.secrets_file.as_deref(), &cli.workflows, kept)
        }
        Command::LegacyPortal { listen } => legacy_portal::run(&listen),
    }
}

/// A command for the shared service (`--council shared`): only `staff`, whose accounts are the
/// shared service's, each working for some of the deployment's councils.
fn shared_service_command(cli: &Cli) -> Result<ExitCode> {
    let Command::Staff(command) = &cli.command else {
        anyhow::bail!("--council shared: only `staff` acts for the shared service");
    };
    let config = Config::load(cli.config.as_deref(), cli.secrets_file.as_deref())?;
    let councils = councils::ids_of(&config, &councils::added_councils(&config, &cli.data_dir)?);
    if councils.len() < 2 {
        anyhow::bail!("--council shared: this deployment serves one council, so it has no shared service");
    }
    let database_url = councils::shared_database_url(&config, &cli.data_dir)?;
    staff::run(&database_url, Some(&councils), command.clone())
}

/// The council `--council` names, when it is one of the deployment's added councils (`None` for
/// the council the configuration file itself describes); an id no council has is an error that
/// lists the ones there are.
fn chosen_council(cli: &Cli, id: &str) -> Result<Option<councils::CouncilSetup>> {
    let config = Config::load(cli.config.as_deref(), cli.secrets_file.as_deref())?;
    if councils::id_of(&config) == id {
        return Ok(None);
    }
    let added = councils::added_councils(&config, &cli.data_dir)?;
    let known = councils::ids_of(&config, &added);
    match added.into_iter().find(|council| council.id == id) {
        Some(council) => Ok(Some(council)),
        None => {
            anyhow::bail!("--council: this deployment has no council `{id}`; its councils are {}", known.join(", "))
        }
    }
}

/// Opens the index, with the council's own vocabulary added to the built-in one.
pub(crate) fn open(index_dir: &std::path::Path, config: &Config) -> Result<KnowledgeBase> {
    let knowledge =
        KnowledgeBase::open(index_dir).with_context(|| format!("cannot open the index at {}", index_dir.display()))?;
    let vocabulary = &config.content.vocabulary;
    if vocabulary.as_os_str().is_empty() {
        return Ok(knowledge);
    }
    let own = knowledge_base::Thesaurus::from_file(vocabulary)
        .with_context(|| format!("cannot read the vocabulary {}", vocabulary.display()))?;
    // Its lines may be English or Welsh: each language's questions read them all.
    Ok(knowledge
        .with_thesaurus(knowledge_base::Thesaurus::built_in().extended_with(own.clone()))
        .with_welsh_thesaurus(knowledge_base::Thesaurus::built_in_welsh().extended_with(own)))
}

/// The audience a command acts as.
fn viewer(staff: bool) -> Audience {
    if staff { Audience::Staff } else { Audience::Public }
}
