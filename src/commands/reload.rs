//! Reloading the council's content and workflows while serving, on SIGHUP: conversations carry
//! on, a workflow file with errors is refused while its earlier version keeps running, and a
//! council none of whose files changed is left as it is.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use anyhow::Result;
use bot::conversation::{Engine, Services};

use super::assemble::{update_index, usable, valid_workflows};
use crate::config::Config;

/// What reloading needs to know.
pub struct Reloading {
    /// The engine whose content and services are replaced.
    pub engine: Arc<Engine>,
    /// The index directory.
    pub index_dir: PathBuf,
    /// The workflows directory.
    pub workflows: PathBuf,
    /// The configuration in effect (for the content directories).
    pub config: Config,
    /// Whether workflows that need a browser can run.
    pub browser: bool,
    /// The council's pages served as a website, when they are.
    pub site: Option<Arc<channels::site::Site>>,
}

/// What the files a council is loaded from were when last read: each file's path, size and
/// time of its last change.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// Adds the files under a path (a file or a folder, followed down) to a fingerprint; a path that
/// is missing adds nothing.
fn add_files(path: &Path, into: &mut Fingerprint) {
    let Ok(metadata) = std::fs::metadata(path) else { return };
    if metadata.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else { return };
        for entry in entries.flatten() {
            add_files(&entry.path(), into);
        }
    } else {
        into.push((path.to_path_buf(), metadata.len(), metadata.modified().ok()));
    }
}

impl Reloading {
    /// The files this council's content and workflows are read from, as they are now.
    fn fingerprint(&self) -> Fingerprint {
        let mut files = Fingerprint::new();
        let content = &self.config.content;
        let folders = content.directories.iter().chain(&self.config.automation.shared_workflows);
        for folder in folders.chain([&self.workflows, &content.vocabulary]) {
            add_files(folder, &mut files);
        }
        files.sort();
        files
    }

    /// Brings the index up to date, picks up the content and loads the workflows again.
    pub async fn reload(&self) -> Result<()> {
        let index_dir = self.index_dir.clone();
        let config = self.config.clone();
        tokio::task::spawn_blocking(move || update_index(&index_dir, &config)).await??;
        let knowledge = self.engine.knowledge().clone();
        knowledge.reload()?;
        if let Some(site) = self.site.clone() {
            tokio::task::spawn_blocking(move || site.reload()).await?;
        }
        let earlier = self.engine.services().catalogue().clone();
        let catalogue =
            usable(valid_workflows(&self.workflows, &self.config.automation.shared_workflows, &earlier), self.browser);
        let count = catalogue.len();
        self.engine.set_services(Services::with_knowledge(catalogue, knowledge));
        let passages = self.engine.knowledge().passage_count();
        eprintln!("reloaded: {passages} passages, {count} workflow(s) of {}", self.config.council.name);
        Ok(())
    }

    /// Reloads every time the process is sent SIGHUP, when any of the council's files changed.
    pub fn on_hangup(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut hangups) = signal(SignalKind::hangup()) else {
                    tracing::warn!("cannot listen for SIGHUP; restart to reload content and workflows");
                    return;
                };
                let mut loaded = self.fingerprint();
                while hangups.recv().await.is_some() {
                    let now = self.fingerprint();
                    if now == loaded {
                        eprintln!(
                            "{}: its content and workflows have not changed; nothing reloaded",
                            self.config.council.name
                        );
                        continue;
                    }
                    loaded = now;
                    if let Err(error) = self.reload().await {
                        tracing::warn!(
                            error = %format!("{error:#}"),
                            "reloading failed, the earlier content and workflows carry on"
                        );
                    }
                }
            }
        })
    }
}
