//! Reloading the council's content and workflows while serving, on SIGHUP: conversations carry
//! on, and a workflow file with errors is refused while its earlier version keeps running.

use std::path::PathBuf;
use std::sync::Arc;

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

impl Reloading {
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
        eprintln!("reloaded: {} passages, {count} workflow(s)", self.engine.knowledge().passage_count());
        Ok(())
    }

    /// Reloads every time the process is sent SIGHUP.
    pub fn on_hangup(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                let Ok(mut hangups) = signal(SignalKind::hangup()) else {
                    tracing::warn!("cannot listen for SIGHUP; restart to reload content and workflows");
                    return;
                };
                while hangups.recv().await.is_some() {
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
