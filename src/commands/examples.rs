//! `councilbot examples`: the examples the council added to its services, imported from and
//! exported to YAML files kept under version control, and listed.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use bot::conversation::Services;
use bot::service_examples::{ServiceExampleStore, write_examples};
use rpa::workflow::Catalogue;

use super::answers::{CLI_ACTOR, with_conversations};
use crate::cli::{ExamplesCommand, ExportArgs, ListArgs};
use crate::output::{print_json, print_list};

/// Runs `councilbot examples`; `workflows` are read to warn of examples for services none offers.
pub fn run(database_url: &str, workflows: &Path, command: ExamplesCommand) -> Result<ExitCode> {
    with_conversations(database_url, async |conversations| {
        let store = ServiceExampleStore::open(conversations).await?;
        match command {
            ExamplesCommand::Import { dir, json } => {
                let imported = bot::service_examples::import(&store, &dir, CLI_ACTOR).await?;
                let (catalogue, _) = Catalogue::load(&[workflows.to_path_buf()]);
                warn_of_unknown_services(imported.iter().map(|set| set.service.as_str()), &Services::new(catalogue));
                if json {
                    print_json(&imported)?;
                } else {
                    for set in &imported {
                        for example in &set.added {
                            outln!("{:<28} added    {example}", set.service);
                        }
                        for example in &set.removed {
                            outln!("{:<28} removed  {example}", set.service);
                        }
                    }
                    let changes: usize = imported.iter().map(|set| set.added.len() + set.removed.len()).sum();
                    outln!(
                        "{} service(s) imported from {}; {changes} example(s) added or removed",
                        imported.len(),
                        dir.display()
                    );
                }
            }
            ExamplesCommand::Export(ExportArgs { dir }) => {
                let written = write_examples(&dir, &store.by_service().await?)?;
                outln!("{} service(s) written to {}", written.len(), dir.display());
            }
            ExamplesCommand::List(ListArgs { json }) => {
                let empty = "no examples added to services; import some with `councilbot examples import DIR`";
                print_list(&store.current().await?, json, empty, |added| {
                    format!("{:<28} {:<20} {}", added.service, added.added_by, added.example)
                })?;
            }
        }
        Ok(())
    })
}

/// Warns of examples kept for services that no workflow offers now: they are not used.
pub(crate) fn warn_of_unknown_services<'a>(names: impl Iterator<Item = &'a str>, services: &Services) {
    let offered: Vec<&str> = services.offered().map(|file| file.workflow.name.value.as_str()).collect();
    for name in names.filter(|name| !offered.contains(name)) {
        eprintln!("warning: no workflow offers the service `{name}`; its examples are kept but not used");
    }
}
