//! The councils a deployment serves: the one the configuration file describes, and one for each
//! folder under `[deployment] councils`, each with its own settings, content, workflows, data
//! directory and database.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rpa::secrets::Secrets;

use super::assemble::Places;
use crate::config::{Config, ContentConfig, Validated};

/// The file in a council's folder that holds its settings.
const COUNCIL_CONFIG_FILE: &str = "councilbot.toml";

/// The file in a council's folder that holds its own secrets, when it has any.
const COUNCIL_SECRETS_FILE: &str = "secrets";

/// Where, under the data directory, each added council keeps its data.
const COUNCILS_DATA: &str = "councils";

/// One council of the deployment, ready to start.
pub struct CouncilSetup {
    /// Its id, as in `/api/v1/councils/{id}/`.
    pub id: String,
    /// Its configuration, checked.
    pub valid: Validated,
    /// Where its index, database, workflows and secrets are.
    pub places: Places,
    /// Its own data directory.
    pub data_dir: PathBuf,
}

/// The id of the council a configuration file describes: the first word of its name, in
/// lower case (`eastbrook` for Eastbrook District Council).
pub fn id_of(config: &Config) -> String {
    let first = config.council.name.split_whitespace().next().unwrap_or("council");
    let id: String = first.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    if id.is_empty() { "council".to_string() } else { id }
}

/// The councils named under `[deployment] councils`, each read from its folder; deployment-wide
/// settings (the server, the browser, the practice back office) come from `top`. Every problem
/// names the council's file.
pub fn added_councils(top: &Config, data_dir: &Path) -> Result<Vec<CouncilSetup>> {
    let mut ids = vec![id_of(top)];
    if ids[0] == channels::shared_service::SHARED_ID && !top.deployment.councils.is_empty() {
        bail!(
            "council.name: a council whose name starts with `Shared` cannot serve beside others, as `shared` is the shared service's id"
        );
    }
    let mut councils = Vec::new();
    for folder in &top.deployment.councils {
        let id = folder
            .file_name()
            .and_then(|name| name.to_str())
            .filter(|name| is_council_id(name))
            .with_context(|| {
                format!(
                    "deployment.councils: the folder {} must be named with the council's id: lower-case letters, digits and hyphens",
                    folder.display()
                )
            })?
            .to_string();
        if id == channels::shared_service::SHARED_ID {
            bail!("deployment.councils: `{id}` is the shared service's own id; name the council's folder otherwise");
        }
        if ids.contains(&id) {
            bail!("deployment.councils: two councils have the id `{id}`; each folder's name must be different");
        }
        ids.push(id.clone());
        councils.push(read_council(top, folder, &id, &data_dir.join(COUNCILS_DATA).join(&id))?);
    }
    Ok(councils)
}

/// The shared service's database: `[deployment] database_url`, else a SQLite file in the data
/// directory's `shared/` folder (made, readable only by its owner, when missing).
pub fn shared_database_url(config: &Config, data_dir: &Path) -> Result<String> {
    if let Some(url) = &config.deployment.database_url {
        return Ok(url.clone());
    }
    let folder = data_dir.join(channels::shared_service::SHARED_ID);
    storage::files::create_private_dir(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    Ok(format!("sqlite://{}", folder.join("councilbot.db").display()))
}

/// The ids of every council of a deployment: the first council's, then each added one's.
pub fn ids_of(top: &Config, added: &[CouncilSetup]) -> Vec<String> {
    std::iter::once(id_of(top)).chain(added.iter().map(|council| council.id.clone())).collect()
}

/// Whether a folder's name can be a council's id.
fn is_council_id(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

fn read_council(top: &Config, folder: &Path, id: &str, data_dir: &Path) -> Result<CouncilSetup> {
    let file = folder.join(COUNCIL_CONFIG_FILE);
    if !file.is_file() {
        bail!("deployment.councils: the council `{id}` has no {}", file.display());
    }
    let mut config = Config::from_file(&file)?;
    if !config.deployment.councils.is_empty() {
        bail!("{}: deployment.councils is set only in the deployment's own configuration", file.display());
    }
    config.server = top.server.clone();
    config.browser = top.browser.clone();
    config.sample = top.sample.clone();
    // Paths in a council's file are read from its folder, and by default name its folders.
    let in_folder = |path: &Path| if path.as_os_str().is_empty() { PathBuf::new() } else { folder.join(path) };
    let defaults = ContentConfig::default();
    let content = &mut config.content;
    content.directories = if content.directories == defaults.directories {
        vec![folder.join("content")]
    } else {
        content.directories.iter().map(|path| in_folder(path)).collect()
    };
    content.answers_dir = if content.answers_dir == defaults.answers_dir {
        folder.join("answers")
    } else {
        in_folder(&content.answers_dir)
    };
    content.examples_dir = if content.examples_dir == defaults.examples_dir {
        folder.join("examples")
    } else {
        in_folder(&content.examples_dir)
    };
    content.vocabulary = in_folder(&content.vocabulary);
    if !config.council.logo.is_empty() {
        config.council.logo = folder.join(&config.council.logo).display().to_string();
    }
    config.automation.shared_workflows =
        config.automation.shared_workflows.iter().map(|path| in_folder(path)).collect();
    let secrets_file = Some(folder.join(COUNCIL_SECRETS_FILE)).filter(|file| file.is_file());
    let secrets = Secrets::load(secrets_file.as_deref(), std::iter::empty())?;
    config.apply_environment(|name| secrets.get(&name.to_ascii_lowercase()).map(str::to_string));
    let database_url = match &config.database.url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", data_dir.join("councilbot.db").display()),
    };
    let valid = config.validate().map_err(|problems| {
        anyhow::anyhow!(
            "the configuration of the council `{id}` ({}) is not valid:\n  {}",
            file.display(),
            problems.join("\n  ")
        )
    })?;
    let places =
        Places { index_dir: data_dir.join("index"), database_url, workflows: folder.join("workflows"), secrets_file };
    Ok(CouncilSetup { id: id.to_string(), valid, places, data_dir: data_dir.to_path_buf() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_council_is_known_by_the_first_word_of_its_name() {
        let mut config = Config::default();
        assert_eq!(id_of(&config), "eastbrook");
        config.council.name = "St. Albans City and District Council".into();
        assert_eq!(id_of(&config), "st");
    }

    #[test]
    fn an_added_council_reads_its_own_folder_and_keeps_the_deployment_settings() {
        let folder = tempfile::tempdir().unwrap();
        let council = folder.path().join("westbrook");
        std::fs::create_dir_all(&council).unwrap();
        std::fs::write(
            council.join(COUNCIL_CONFIG_FILE),
            "[council]\nname = \"Westbrook Borough Council\"\n[web]\nhosts = [\"westbrook.localhost\"]\n[server]\nlisten = \"127.0.0.1:1\"\n",
        )
        .unwrap();
        let mut top = Config::default();
        top.server.listen = "127.0.0.1:9999".into();
        top.deployment.councils = vec![council.clone()];
        let data = folder.path().join("data");
        let added = added_councils(&top, &data).unwrap();
        assert_eq!(added.len(), 1);
        let westbrook = &added[0];
        assert_eq!(westbrook.id, "westbrook");
        assert_eq!(westbrook.valid.config.council.name, "Westbrook Borough Council");
        assert_eq!(westbrook.valid.config.server.listen, "127.0.0.1:9999", "the deployment listens once");
        assert_eq!(westbrook.valid.config.content.directories, vec![council.join("content")]);
        assert_eq!(westbrook.valid.config.content.answers_dir, council.join("answers"));
        assert_eq!(westbrook.places.workflows, council.join("workflows"));
        assert!(westbrook.places.database_url.contains(&data.join("councils/westbrook").display().to_string()));

        top.deployment.councils.push(council.clone());
        let twice = added_councils(&top, &data).err().unwrap().to_string();
        assert!(twice.contains("two councils have the id `westbrook`"), "{twice}");
        top.deployment.councils = vec![folder.path().join("Bad Name")];
        let named = added_councils(&top, &data).err().unwrap().to_string();
        assert!(named.contains("must be named with the council's id"), "{named}");
    }
}
