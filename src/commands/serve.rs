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
use channels::councils::{Neighbour, ServedCouncil};
use channels::health::MetricsAccess;
use channels::look::{CouncilLook, Logo};
use channels::server::ConnectionLimits;
use channels::shared_service::memberships::{Membership, Memberships};
use channels::shared_service::{SHARED_ID, SharedCouncil, SharedService};
use channels::signing_keys::SigningKeyCache;
use channels::sms::SmsChannel;
use channels::teams::TeamsChannel;
use channels::{ApiLimits, AppState, Origins, WebSettings};
use rpa::secrets::Secrets;

use super::assemble::{Automation, Places, assemble, engine_settings, update_index};
use super::browser_setup::ensure_browser;
use super::councils::{CouncilSetup, added_councils, id_of, shared_database_url};
use super::data_dir;
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
    // A workflow run nests calls, blocks and browser steps, each an async state machine held
    // on the worker's stack while it is polled: room for deep ones, as the main thread has.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().thread_stack_size(WORKER_STACK_BYTES).enable_all().build()?;
    runtime.block_on(serve(places, data_dir, valid))
}

/// The folder of the data directory where the browsers started here are recorded.
pub const BROWSER_RECORDS: &str = "browser";

/// What the councils of a deployment share.
struct Shared<'a> {
    /// The practice back office, when it runs.
    portal: Option<&'a legacy_portal::Portal>,
    /// Whether workflows that need a browser can run.
    browser: bool,
    /// The identity providers' signing keys, for Teams and the console's sign-in.
    signing_keys: &'a SigningKeyCache,
}

/// One council's service, started.
struct StartedCouncil {
    served: ServedCouncil,
    metrics_app: axum::Router,
    engine: Arc<Engine>,
    accounts: Accounts,
    config: Config,
    data_dir: std::path::PathBuf,
    channels_on: Vec<&'static str>,
    site_pages: Option<usize>,
    watched: AppState,
    /// Its tasks in the background, which run for as long as the process serves.
    _background: Vec<tokio::task::JoinHandle<()>>,
}

async fn serve(places: &Places, data_dir: &Path, valid: Validated) -> Result<ExitCode> {
    let added = added_councils(&valid.config, data_dir)?;
    let config = valid.config.clone();
    let first = CouncilSetup { id: id_of(&config), valid, places: places.clone(), data_dir: data_dir.to_path_buf() };
    if let Some(open_files) = channels::server::raise_open_file_limit() {
        tracing::debug!(open_files, "the limit on open files");
    }
    let portal = start_legacy_portal(&config).await;
    let install = config.browser.install_missing;
    let browsers = first.valid.runner.browsers.clone();
    let browser = tokio::task::spawn_blocking(move || ensure_browser(install, &browsers)).await?;
    // One set of identity providers' signing keys for Teams and the console's sign-in.
    let signing_keys = SigningKeyCache::default();
    let shared = Shared { portal: portal.as_ref(), browser, signing_keys: &signing_keys };
    let setups: Vec<CouncilSetup> = std::iter::once(first).chain(added).collect();
    // Each council's home page links to the others, at their first host name.
    let reachable: Vec<(String, Neighbour)> = setups
        .iter()
        .filter_map(|setup| {
            let config = &setup.valid.config;
            let host = config.web.hosts.first()?.clone();
            Some((setup.id.clone(), Neighbour { name: config.council.name.clone(), host }))
        })
        .collect();
    let mut councils = Vec::new();
    let several = setups.len() > 1;
    for mut setup in setups {
        setup.valid.runner.browsers.records = Some(data_dir.join(BROWSER_RECORDS));
        let id = setup.id.clone();
        let neighbours =
            reachable.iter().filter(|(other, _)| *other != id).map(|(_, neighbour)| neighbour.clone()).collect();
        // Where several councils share the host names, a page reaches its council's look by id.
        let look_prefix = if several { format!("/councils/{id}") } else { String::new() };
        let council = start_council(setup, CouncilPages { neighbours, look_prefix }, &shared)
            .await
            .with_context(|| format!("the council `{id}` cannot start"))?;
        councils.push(council);
    }

    let shared_service = match councils.len() {
        1 => None,
        _ => Some(start_shared_service(&config, &councils, data_dir).await.context("the shared service cannot start")?),
    };
    let app = channels::councils::dispatch(
        councils.iter().map(|council| council.served.clone()).collect(),
        shared_service.clone().map(channels::shared_service::router),
    );
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr()?;
    let mut _background = Vec::new();
    let metrics_address = match config.server.metrics_listen.as_deref() {
        None => address,
        Some(separate) => {
            let metrics_listener = tokio::net::TcpListener::bind(separate)
                .await
                .with_context(|| format!("cannot listen on {separate} for metrics"))?;
            let metrics_address = metrics_listener.local_addr()?;
            let limits = connection_limits(&config);
            let metrics_app = councils[0].metrics_app.clone();
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
    let first = &councils[0];
    eprintln!(
        "councilbot is answering for {} at http://{address}\n  the sample council's page with the chat: http://{address}/   the chat without JavaScript: http://{address}/chat\n  supervisor console: http://{address}/console   chat API: http://{address}/api/v1 (described at /api/v1/openapi.json)\n  health: http://{address}/healthz   metrics: http://{metrics_address}/metrics{metrics_note}",
        first.config.council.name,
    );
    for council in &councils {
        describe(council, &address, councils.len() > 1);
    }
    if let Some(portal) = &portal {
        eprintln!(
            "  ECSS, the sample council's back office, is running on {} (user {}, password {})",
            portal.url(),
            legacy_portal::USER,
            legacy_portal::PASSWORD
        );
    }
    for council in &councils {
        let console = council_address(council, &address, councils.len() > 1);
        // The staff of an added council are kept in its own database.
        let staff_command = if std::ptr::eq(council, &councils[0]) {
            "councilbot staff".to_string()
        } else {
            format!("councilbot --council {} staff", council.served.id)
        };
        let sign_in = SignIn {
            address: &console,
            console: "supervisor console",
            login_path: "/console/login",
            username: &council.config.console.first_admin,
            staff_command: &staff_command,
        };
        first_admin(&council.accounts, &sign_in, &council.data_dir).await;
        let every = council.config.automation.alert_check_every.0;
        _background.push(channels::console::alerts::spawn_watcher(council.watched.clone(), every));
    }
    if let Some(service) = &shared_service {
        let staff_command = format!("councilbot --council {SHARED_ID} staff");
        let address = address.to_string();
        let sign_in = SignIn {
            address: &address,
            console: "shared service console",
            login_path: "/shared/console/login",
            username: SHARED_FIRST_ADMIN,
            staff_command: &staff_command,
        };
        let shared_dir = data_dir.join(SHARED_ID);
        if first_admin(service.accounts(), &sign_in, &shared_dir).await {
            let everywhere: Vec<Membership> = service
                .councils()
                .iter()
                .map(|council| Membership { council: council.id.clone(), role: Role::Admin })
                .collect();
            if let Err(error) = service.memberships().set(SHARED_FIRST_ADMIN, &everywhere).await {
                tracing::warn!("cannot give the shared service's first account its councils: {error}");
            }
        }
    }
    channels::server::serve(listener, app, connection_limits(&config), shutdown_signal()).await?;
    eprintln!("councilbot stopped");
    Ok(ExitCode::SUCCESS)
}

/// The username of the shared service's first account, an admin of every council.
const SHARED_FIRST_ADMIN: &str = "shared-admin";

/// The shared service of a deployment of several councils, over its own database (its staff's
/// accounts and councils).
async fn start_shared_service(config: &Config, councils: &[StartedCouncil], data_dir: &Path) -> Result<SharedService> {
    let database_url = shared_database_url(config, data_dir)?;
    let database = storage::Database::connect(&database_url).await?;
    let accounts = Accounts::open(database.clone()).await?;
    let memberships = Memberships::open(database).await?;
    let served = councils
        .iter()
        .map(|council| SharedCouncil {
            id: council.served.id.clone(),
            name: council.config.council.name.clone(),
            host: council.served.hosts.first().cloned(),
            state: council.watched.clone(),
        })
        .collect();
    SharedService::new(accounts, memberships, served).context("a shared service needs councils to work for")
}

/// Where a council is reached: its first host name on the server's port when several councils
/// are served, otherwise the address the server listens at.
fn council_address(council: &StartedCouncil, address: &SocketAddr, several: bool) -> String {
    match council.served.hosts.first() {
        Some(host) if several => format!("{host}:{}", address.port()),
        _ => address.to_string(),
    }
}

/// Prints what a council serves: its workflows, its answers, its channels and its website.
fn describe(council: &StartedCouncil, address: &SocketAddr, several: bool) {
    let workflows = council.engine.services().catalogue().len();
    let answers = if council.engine.has_model() {
        "written by the language model"
    } else {
        "taken from the council's pages (no language model)"
    };
    if several {
        eprintln!(
            "  {} (`{}`): http://{}/   chat API also at http://{address}/api/v1/councils/{}/",
            council.config.council.name,
            council.served.id,
            council_address(council, address, several),
            council.served.id
        );
    }
    eprintln!("  {workflows} workflow(s) loaded; answers {answers}");
    eprintln!("  channels: {}", council.channels_on.join(", "));
    if let Some(pages) = council.site_pages {
        eprintln!(
            "  the council's website, which answers cite: {pages} page(s) at http://{}/ (instead of {})",
            council_address(council, address, several),
            council.config.content.base_url
        );
    }
}

/// Starts one council's service: its index, database, workflows, engine, channels and the
/// tasks that work its runs and keep its data.
/// What a council's pages show of the deployment around it.
struct CouncilPages {
    /// The other councils, which its home page links to.
    neighbours: Vec<Neighbour>,
    /// The path its pages reach its stylesheet and logo under.
    look_prefix: String,
}

async fn start_council(setup: CouncilSetup, pages: CouncilPages, shared: &Shared<'_>) -> Result<StartedCouncil> {
    let CouncilSetup { id, valid, places, data_dir } = setup;
    let Validated { config, oidc, sms, teams, mut runner } = valid;
    data_dir::Kept {
        data_dir: data_dir.clone(),
        index_dir: places.index_dir.clone(),
        database_url: places.database_url.clone(),
        secrets_file: places.secrets_file.clone(),
    }
    .prepare()?;
    if config.content.index_on_start {
        let (index_dir, indexed) = (places.index_dir.clone(), config.clone());
        tokio::task::spawn_blocking(move || update_index(&index_dir, &indexed)).await??;
    }
    let mut secrets = Secrets::load(places.secrets_file.as_deref(), std::env::vars())?;
    if let Some(portal) = shared.portal {
        runner.system_urls.entry("ecss".into()).or_insert_with(|| portal.url());
        secrets.set_default("ecss_user", legacy_portal::USER);
        secrets.set_default("ecss_password", legacy_portal::PASSWORD);
    }
    let automation = Automation { runner, browser: shared.browser };
    let site = serve_site(&config).await?;
    let mut settings = engine_settings(&config);
    if site.is_some() {
        settings.pages_served_here = Some(PagesServedHere {
            website: config.content.base_url.clone(),
            served_at: config.web.public_url.clone().unwrap_or_default(),
        });
    }
    let assembled = assemble(&places, &config, secrets, settings, system_clock(), automation).await?;
    let engine = assembled.engine;
    import_curated_answers(&engine, &config.content.answers_dir).await;
    import_service_examples(&engine, &config.content.examples_dir).await;
    let mut background = vec![
        Reloading {
            engine: engine.clone(),
            index_dir: places.index_dir.clone(),
            workflows: places.workflows.clone(),
            config: config.clone(),
            browser: shared.browser,
            site: site.clone(),
        }
        .on_hangup(),
        tokio::spawn(assembled.runner.clone().work_continuously(engine.work_ready(), config.server.workflow_workers)),
        tokio::spawn(assembled.runner.clone().run_schedules(engine.work_ready())),
        spawn_purge(engine.clone(), assembled.runner.journal().clone(), config.conversations.retention_days),
    ];
    background.extend(engine.spawn_run_relay());
    background.extend(engine.spawn_runs_watch());
    background.extend(engine.share_live_events().await?);

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
    let oidc = oidc.map(|settings| OidcProvider::new(settings, shared.signing_keys.clone()));
    let mut state = AppState::new(engine.clone(), accounts.clone(), limits, web, oidc);
    let site_pages = site.as_ref().map(|site| site.page_count());
    state.site = site;
    state.neighbours = pages.neighbours;
    let logo = match config.council.logo.as_str() {
        "" => None,
        file => Some(Logo::read(Path::new(file)).map_err(|problem| anyhow::anyhow!(problem))?),
    };
    state.set_look(CouncilLook::new(&config.council.colour, logo, &pages.look_prefix));
    let mut channels_on = vec!["the web chat"];
    if let Some(settings) = sms {
        let sms = SmsChannel::open(engine.clone(), settings).await?;
        background.push(channels::delivery::spawn_delivery(&sms));
        channels_on.push("texts");
        state.sms = Some(sms);
    }
    if let Some(settings) = teams {
        let teams = TeamsChannel::open(engine.clone(), settings, shared.signing_keys.clone()).await?;
        background.push(channels::delivery::spawn_delivery(&teams));
        background.extend(teams.spawn_supervisor_alerts());
        channels_on.push("Microsoft Teams");
        state.teams = Some(teams);
    }
    // Workflows are checked for alerts once the server has said where it listens.
    let watched = state.clone();
    let metrics_app = channels::metrics_app(&state);
    let served = ServedCouncil {
        id,
        hosts: config.web.hosts.clone(),
        numbers: config.sms.twilio.from.iter().map(|number| number.split_whitespace().collect()).collect(),
        teams_app: config.teams.app_id.clone(),
        app: channels::app(state),
    };
    Ok(StartedCouncil {
        served,
        metrics_app,
        engine,
        accounts,
        config,
        data_dir,
        channels_on,
        site_pages,
        watched,
        _background: background,
    })
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

/// Starts the practice back office when the configuration asks for it; every council's
/// workflows are pointed at it, with its sign-in, unless they are given others.
async fn start_legacy_portal(config: &Config) -> Option<legacy_portal::Portal> {
    let address = config.sample.legacy_portal.as_deref().filter(|address| *address != "off")?;
    match legacy_portal::Portal::start_on(address, legacy_portal::PortalConfig::default()).await {
        Ok(portal) => Some(portal),
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

/// Makes the first admin account when there is none (saying whether it did), and says how to
/// sign in with it: the password is printed only to a terminal; otherwise (a service whose
/// output log collectors keep) it goes to a file only this user may read, and only where it is
/// is printed.
async fn first_admin(accounts: &Accounts, sign_in: &SignIn<'_>, data_dir: &Path) -> bool {
    let username = sign_in.username;
    match accounts.list().await {
        Ok(existing) if existing.is_empty() => {}
        Ok(_) => return false,
        Err(error) => {
            tracing::warn!("cannot read the console's accounts: {error}");
            return false;
        }
    }
    let password = first_password();
    if let Err(error) = accounts.set_local(username, username, &password, Role::Admin).await {
        tracing::warn!("cannot make the first console account: {error}");
        return false;
    }
    if std::io::stderr().is_terminal() {
        eprint!("{}", first_sign_in(sign_in, &Password::Shown(&password)));
        return true;
    }
    let file = data_dir.join(FIRST_ADMIN_PASSWORD_FILE);
    match write_private(&file, &format!("{password}\n")) {
        Ok(()) => eprint!("{}", first_sign_in(sign_in, &Password::InFile(&file))),
        Err(error) => tracing::warn!(
            file = %file.display(),
            "the first console account's password cannot be written: {error}; \
             set one with `{} add {username} --role admin`",
            sign_in.staff_command
        ),
    }
    true
}

/// Where the first admin's password is given: on the terminal, or in a private file.
enum Password<'a> {
    Shown(&'a str),
    InFile(&'a Path),
}

/// How to sign in to the console the first time: the address, the username and the password
/// each on a labelled line of their own, and how to set a new password if it is lost.
fn first_sign_in(sign_in: &SignIn<'_>, password: &Password) -> String {
    let SignIn { console, address, login_path, username, staff_command } = sign_in;
    let password = match password {
        Password::Shown(password) => format!("{password}   (shown only this once)"),
        Password::InFile(file) => {
            format!("in the file {} (readable only by this user; delete it once you have signed in)", file.display())
        }
    };
    format!(
        "  The {console}'s first account:\n\
         \x20   address:  http://{address}{login_path}\n\
         \x20   username: {username}\n\
         \x20   password: {password}\n\
         \x20 Lost the password? Set a new one with: {staff_command} add {username} --role admin\n"
    )
}

/// Where and as whom a council's console is first signed in to, and the command that manages
/// its staff.
struct SignIn<'a> {
    /// The console's name: the supervisor console or the shared service console.
    console: &'a str,
    address: &'a str,
    /// The sign-in page's path.
    login_path: &'a str,
    username: &'a str,
    staff_command: &'a str,
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
        let address = "127.0.0.1:8080";
        let sign_in = |username| SignIn {
            console: "supervisor console",
            address,
            login_path: "/console/login",
            username,
            staff_command: "councilbot staff",
        };
        let shown = first_sign_in(&sign_in("supervisor"), &Password::Shown("Tq7-xr2-Lm9"));
        let lines: Vec<&str> = shown.lines().map(str::trim).collect();
        assert!(lines.contains(&"address:  http://127.0.0.1:8080/console/login"), "{shown}");
        assert!(lines.contains(&"username: supervisor"), "{shown}");
        assert!(lines.contains(&"password: Tq7-xr2-Lm9   (shown only this once)"), "{shown}");
        assert!(shown.contains("councilbot staff add supervisor --role admin"), "{shown}");
        let in_file =
            first_sign_in(&sign_in("chief"), &Password::InFile(Path::new("/srv/data/first-admin-password.txt")));
        let password_line = in_file.lines().find(|line| line.trim().starts_with("password:")).unwrap();
        assert!(password_line.contains("in the file /srv/data/first-admin-password.txt"), "{in_file}");
    }
}
