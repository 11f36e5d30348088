//! `councilbot serve`: the chat API, health and metrics, with workflow runs worked in the
//! background, run updates brought into conversations, and expired data deleted.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bot::conversation::settings::PagesServedHere;
use bot::conversation::{Engine, system_clock};
use channels::client::TrustedProxies;
use channels::console::accounts::{Accounts, Role};
use channels::console::oidc::OidcProvider;
use channels::health::MetricsAccess;
use channels::server::ConnectionLimits;
use channels::signing_keys::SigningKeyCache;
use channels::sms::SmsChannel;
use channels::teams::TeamsChannel;
use channels::{ApiLimits, AppState, Origins, WebSettings};
use rpa::secrets::Secrets;

use super::assemble::{Automation, Places, assemble, engine_settings, update_index};
use super::browser_setup::ensure_browser;
use super::reload::Reloading;
use crate::config::{Config, Validated};

/// The file, in the data directory, that holds the first admin's password when `serve` does not
/// run in a terminal (where log collectors would keep what it prints).
const FIRST_ADMIN_PASSWORD_FILE: &str = "first-admin-password.txt";

/// How often expired conversations and runs are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// The stack of each worker thread of a runtime that works workflow runs.
pub const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

pub fn run(places: &Places, data_dir: &Path, valid: Validated) -> Result<ExitCode> {
    if valid.config.content.index_on_start {
        update_index(&places.index_dir, &valid.config)?;
    }
    // A workflow run nests calls, blocks and browser steps, each an async state machine held
    // on the worker's stack while it is polled: room for deep ones, as the main thread has.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().thread_stack_size(WORKER_STACK_BYTES).enable_all().build()?;
    runtime.block_on(serve(places, data_dir, valid))
}

/// The folder of the data directory where the browsers started here are recorded.
pub const BROWSER_RECORDS: &str = "browser";

async fn serve(places: &Places, data_dir: &Path, valid: Validated) -> Result<ExitCode> {
    let Validated { config, oidc, sms, teams, mut runner } = valid;
    runner.browsers.records = Some(data_dir.join(BROWSER_RECORDS));
    if let Some(open_files) = channels::server::raise_open_file_limit() {
        tracing::debug!(open_files, "the limit on open files");
    }
    let mut secrets = Secrets::load(places.secrets_file.as_deref(), std::env::vars())?;
    let portal = start_legacy_portal(&config, &mut secrets, &mut runner).await;
    let install = config.browser.install_missing;
    let browsers = runner.browsers.clone();
    let browser = tokio::task::spawn_blocking(move || ensure_browser(install, &browsers)).await?;
    let automation = Automation { runner, browser };
    let site = serve_site(&config).await?;
    let mut settings = engine_settings(&config);
    if site.is_some() {
        settings.pages_served_here = Some(PagesServedHere {
            website: config.content.base_url.clone(),
            served_at: config.web.public_url.clone().unwrap_or_default(),
        });
    }
    let assembled = assemble(places, &config, secrets, settings, system_clock(), automation).await?;
    let engine = assembled.engine;
    import_curated_answers(&engine, &config.content.answers_dir).await;
    import_service_examples(&engine, &config.content.examples_dir).await;
    let _reload = Reloading {
        engine: engine.clone(),
        index_dir: places.index_dir.clone(),
        workflows: places.workflows.clone(),
        config: config.clone(),
        browser,
        site: site.clone(),
    }
    .on_hangup();
    let _worker =
        tokio::spawn(assembled.runner.clone().work_continuously(engine.work_ready(), config.server.workflow_workers));
    let _schedules = tokio::spawn(assembled.runner.clone().run_schedules(engine.work_ready()));
    let _relay = engine.spawn_run_relay();
    let _peers = engine.share_live_events().await?;
    let _purge = spawn_purge(engine.clone(), assembled.runner.journal().clone(), config.conversations.retention_days);

    let limits = ApiLimits {
        max_message_chars: config.conversations.max_message_chars,
        messages_per_minute: config.conversations.messages_per_minute,
        message_burst: config.conversations.message_burst,
        conversations_per_minute: config.conversations.conversations_per_minute,
        event_stream_seconds: config.web.event_stream_seconds,
        ..ApiLimits::default()
    };
    let accounts = Accounts::open(engine.store().database().clone()).await?;
    let https = config.web.public_url.as_deref().is_some_and(|url| url.starts_with("https://"));
    let web = WebSettings {
        origins: Origins { allowed: config.web.allowed_origins.clone(), https },
        secure_cookies: https,
        trusted_proxies: TrustedProxies::parse(&config.server.trusted_proxies)
            .expect("the trusted proxies were checked with the configuration"),
        metrics: MetricsAccess {
            token: config.server.metrics_token.clone(),
            separate: config.server.metrics_listen.is_some(),
        },
    };
    // One set of identity providers' signing keys for Teams and the console's sign-in.
    let signing_keys = SigningKeyCache::default();
    let oidc = oidc.map(|settings| OidcProvider::new(settings, signing_keys.clone()));
    let mut state = AppState::new(engine.clone(), accounts.clone(), limits, web, oidc);
    let site_pages = site.as_ref().map(|site| site.page_count());
    state.site = site;
    let mut channels_on = vec!["the web chat"];
    let mut _background = Vec::new();
    if let Some(settings) = sms {
        let sms = SmsChannel::open(engine.clone(), settings).await?;
        _background.push(channels::delivery::spawn_delivery(&sms));
        channels_on.push("texts");
        state.sms = Some(sms);
    }
    if let Some(settings) = teams {
        let teams = TeamsChannel::open(engine.clone(), settings, signing_keys.clone()).await?;
        _background.push(channels::delivery::spawn_delivery(&teams));
        _background.extend(teams.spawn_supervisor_alerts());
        channels_on.push("Microsoft Teams");
        state.teams = Some(teams);
    }
    // Workflows are checked for alerts once the server has said where it listens.
    let watched = state.clone();
    let metrics_app = channels::metrics_app(&state);
    let app = channels::app(state);
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr()?;
    let metrics_address = match config.server.metrics_listen.as_deref() {
        None => address,
        Some(separate) => {
            let metrics_listener = tokio::net::TcpListener::bind(separate)
                .await
                .with_context(|| format!("cannot listen on {separate} for metrics"))?;
            let metrics_address = metrics_listener.local_addr()?;
            let limits = connection_limits(&config);
            _background.push(tokio::spawn(async move {
                if let Err(error) =
                    channels::server::serve(metrics_listener, metrics_app, limits, shutdown_signal()).await
                {
                    tracing::error!(error = %error, "the metrics address stopped");
                }
            }));
            metrics_address
        }
    };
    let metrics_note = if config.server.metrics_token.is_none() { "" } else { " (with its bearer token)" };
    let services = engine.services();
    let workflows = services.catalogue().len();
    eprintln!(
        "councilbot is answering for {} at http://{address}\n  the sample council's page with the chat: http://{address}/   the chat without JavaScript: http://{address}/chat\n  supervisor console: http://{address}/console   chat API: http://{address}/api/v1 (described at /api/v1/openapi.json)\n  health: http://{address}/healthz   metrics: http://{metrics_address}/metrics{metrics_note}\n  {} workflow(s) loaded; answers {}",
        config.council.name,
        workflows,
        if engine.has_model() {
            "written by the language model"
        } else {
            "taken from the council's pages (no language model)"
        },
    );
    eprintln!("  channels: {}", channels_on.join(", "));
    if let Some(pages) = site_pages {
        eprintln!(
            "  the council's website, which answers cite: {pages} page(s) at http://{address}/ (instead of {})",
            config.content.base_url
        );
    }
    if let Some(portal) = &portal {
        eprintln!(
            "  ECSS, the sample council's back office, is running on {} (user {}, password {})",
            portal.url(),
            legacy_portal::USER,
            legacy_portal::PASSWORD
        );
    }
    first_admin(&accounts, &config.console.first_admin, data_dir, &address).await;
    _background.push(channels::console::alerts::spawn_watcher(watched, config.automation.alert_check_every.0));
    channels::server::serve(listener, app, connection_limits(&config), shutdown_signal()).await?;
    eprintln!("councilbot stopped");
    Ok(ExitCode::SUCCESS)
}

/// The council's pages as a website, when the configuration serves them (the sample council's,
/// by default).
async fn serve_site(config: &Config) -> Result<Option<Arc<channels::site::Site>>> {
    if !config.content.serves_site() {
        return Ok(None);
    }
    let directories = config.content.directories.clone();
    let website = config.content.base_url.clone();
    let site = tokio::task::spawn_blocking(move || channels::site::Site::load(&directories, &website)).await?;
    Ok(Some(Arc::new(site)))
}

/// Imports the council's curated answers from their directory, when it exists, except files
/// that hold an older version of an answer changed since in the console. When a file has an
/// error nothing is imported: the error is printed and the answers already stored are given.
async fn import_curated_answers(engine: &Engine, directory: &Path) {
    if directory.as_os_str().is_empty() || !directory.is_dir() {
        return;
    }
    match bot::curated::import_newer(engine.curated(), directory, "councilbot").await {
        Ok((saved, kept)) => {
            let changed = saved.iter().filter(|answer| answer.change != bot::curated::Change::Unchanged).count();
            eprintln!("curated answers: {} in {} ({changed} changed)", saved.len() + kept.len(), directory.display());
            tell_of_kept(&kept, "answers", directory);
        }
        Err(error) => tracing::warn!(
            directory = %directory.display(),
            "the curated answers were not imported; those stored before are given:\n{error}"
        ),
    }
}

/// Imports the examples the council added to its services from their directory, when it
/// exists, except files that list what a service had before a change made since in the console.
/// When a file has an error nothing is imported: the error is printed and the examples already
/// stored are used.
async fn import_service_examples(engine: &Engine, directory: &Path) {
    if directory.as_os_str().is_empty() || !directory.is_dir() {
        return;
    }
    match bot::service_examples::import_newer(engine.service_examples(), directory, "councilbot").await {
        Ok((imported, kept)) => {
            let changes: usize = imported.iter().map(|set| set.added.len() + set.removed.len()).sum();
            eprintln!(
                "examples of services: {} service(s) in {} ({changes} example(s) added or removed)",
                imported.len() + kept.len(),
                directory.display()
            );
            tell_of_kept(&kept, "examples", directory);
            let names = imported.iter().map(|set| set.service.as_str());
            super::examples::warn_of_unknown_services(names, &engine.services());
        }
        Err(error) => tracing::warn!(
            directory = %directory.display(),
            "the examples of services were not imported; those stored before are used:\n{error}"
        ),
    }
}

/// Tells of what an import at start left as it was changed in the console, named in `kept`,
/// and how `councilbot COMMAND export` brings the files of `directory` up to date.
fn tell_of_kept(kept: &[String], command: &str, directory: &Path) {
    if !kept.is_empty() {
        eprintln!(
            "  changed in the console since their files were written, and kept: {} \
             (`councilbot {command} export {}` brings the files up to date)",
            kept.join(", "),
            directory.display()
        );
    }
}

/// How the server limits its connections.
fn connection_limits(config: &Config) -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: Duration::from_secs(config.server.header_timeout_seconds),
        idle_timeout: Duration::from_secs(config.server.idle_timeout_seconds),
        max_connections: config.server.max_connections,
    }
}

/// Starts the practice back office when the configuration asks for it, and points the
/// workflows at it with its sign-in unless they are given others.
async fn start_legacy_portal(
    config: &Config,
    secrets: &mut Secrets,
    runner: &mut rpa::runner::RunnerConfig,
) -> Option<legacy_portal::Portal> {
    let address = config.sample.legacy_portal.as_deref().filter(|address| *address != "off")?;
    match legacy_portal::Portal::start_on(address, legacy_portal::PortalConfig::default()).await {
        Ok(portal) => {
            runner.system_urls.entry("ecss".into()).or_insert_with(|| portal.url());
            secrets.set_default("ecss_user", legacy_portal::USER);
            secrets.set_default("ecss_password", legacy_portal::PASSWORD);
            Some(portal)
        }
        Err(error) => {
            tracing::warn!(
                address,
                "the practice back office (ECSS) cannot start: {error}; workflows go to whatever answers \
                 there (set COUNCILBOT_LEGACY_PORTAL to another address, or off)"
            );
            None
        }
    }
}

/// Makes the first admin account when there is none, and says how to sign in with it: the
/// password is printed only to a terminal; otherwise (a service whose output log collectors
/// keep) it goes to a file only this user may read, and only where it is is printed.
async fn first_admin(accounts: &Accounts, username: &str, data_dir: &Path, address: &SocketAddr) {
    match accounts.list().await {
        Ok(existing) if existing.is_empty() => {}
        Ok(_) => return,
        Err(error) => {
            tracing::warn!("cannot read the console's accounts: {error}");
            return;
        }
    }
    let password = first_password();
    if let Err(error) = accounts.set_local(username, username, &password, Role::Admin).await {
        tracing::warn!("cannot make the first console account: {error}");
        return;
    }
    if std::io::stderr().is_terminal() {
        eprint!("{}", first_sign_in(address, username, &Password::Shown(&password)));
        return;
    }
    let file = data_dir.join(FIRST_ADMIN_PASSWORD_FILE);
    match write_private(&file, &format!("{password}\n")) {
        Ok(()) => eprint!("{}", first_sign_in(address, username, &Password::InFile(&file))),
        Err(error) => tracing::warn!(
            file = %file.display(),
            "the first console account's password cannot be written: {error}; \
             set one with `councilbot staff add {username} --role admin`"
        ),
    }
}

/// Where the first admin's password is given: on the terminal, or in a private file.
enum Password<'a> {
    Shown(&'a str),
    InFile(&'a Path),
}

/// How to sign in to the console the first time: the address, the username and the password
/// each on a labelled line of their own, and how to set a new password if it is lost.
fn first_sign_in(address: &SocketAddr, username: &str, password: &Password) -> String {
    let password = match password {
        Password::Shown(password) => format!("{password}   (shown only this once)"),
        Password::InFile(file) => {
            format!("in the file {} (readable only by this user; delete it once you have signed in)", file.display())
        }
    };
    format!(
        "  The supervisor console's first account:\n\
         \x20   address:  http://{address}/console/login\n\
         \x20   username: {username}\n\
         \x20   password: {password}\n\
         \x20 Lost the password? Set a new one with: councilbot staff add {username} --role admin\n"
    )
}

/// Writes a file only its owner may read, replacing any older one.
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    if let Some(directory) = file.parent() {
        std::fs::create_dir_all(directory)?;
    }
    match std::fs::remove_file(file) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(file)?, text.as_bytes())
}

/// A password for the first account: 24 random letters and digits in groups of four.
fn first_password() -> String {
    let random = channels::console::accounts::random_token();
    random.as_bytes()[..24]
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Deletes expired conversations and runs now and then.
fn spawn_purge(
    engine: Arc<Engine>,
    journal: rpa::journal::Journal,
    retention_days: u32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let retention = Duration::from_secs(u64::from(retention_days) * 86_400);
        let mut every = tokio::time::interval(PURGE_EVERY);
        loop {
            every.tick().await;
            match bot::privacy::purge_expired(engine.store(), &journal, retention, storage::now_millis()).await {
                Ok(report) if report.conversations + report.workflow_runs > 0 => tracing::info!(
                    conversations = report.conversations,
                    workflow_runs = report.workflow_runs,
                    "deleted data past its retention period"
                ),
                Ok(_) => {}
                Err(error) => tracing::warn!(error = %error, "could not delete data past its retention period"),
            }
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_password_is_on_a_labelled_line_of_its_own_with_how_to_replace_it() {
        let address: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let shown = first_sign_in(&address, "supervisor", &Password::Shown("Tq7-xr2-Lm9"));
        let lines: Vec<&str> = shown.lines().map(str::trim).collect();
        assert!(lines.contains(&"address:  http://127.0.0.1:8080/console/login"), "{shown}");
        assert!(lines.contains(&"username: supervisor"), "{shown}");
        assert!(lines.contains(&"password: Tq7-xr2-Lm9   (shown only this once)"), "{shown}");
        assert!(shown.contains("councilbot staff add supervisor --role admin"), "{shown}");
        let in_file =
            first_sign_in(&address, "chief", &Password::InFile(Path::new("/srv/data/first-admin-password.txt")));
        let password_line = in_file.lines().find(|line| line.trim().starts_with("password:")).unwrap();
        assert!(password_line.contains("in the file /srv/data/first-admin-password.txt"), "{in_file}");
    }
}
