//! `councilbot legacy-portal`: serve the practice back office until interrupted.

use std::process::ExitCode;

use anyhow::{Context, Result};
use legacy_portal::{PASSWORD, Portal, PortalConfig, USER};

pub fn run(listen: &str) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async {
        let portal = Portal::start_on(listen, PortalConfig::default())
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        outln!("ECSS practice portal at {} (user {USER}, password {PASSWORD}); press Ctrl-C to stop", portal.url());
        tokio::signal::ctrl_c().await?;
        Ok(ExitCode::SUCCESS)
    })
}
