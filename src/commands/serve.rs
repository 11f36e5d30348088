//! `councilbot serve`: the chat API, health and metrics, with workflow runs worked in the
//! background, run updates brought into conversations, and expired data deleted.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bot::conversation::{Engine, system_clock};
use channels::console::accounts::{Accounts, Role};
use channels::console::oidc::{OidcProvider, OidcSettings};
use channels::sms::notify::{ApiKey, NotifySettings};
use channels::sms::twilio::TwilioSettings;
use channels::sms::{SmsChannel, SmsSettings};
use channels::teams::{TeamsChannel, TeamsSettings};
use channels::{ApiLimits, AppState, Origins, WebSettings};
use rpa::secrets::Secrets;

use super::assemble::{Automation, Places, assemble, engine_settings, update_index};
use super::browser_setup::ensure_browser;
use super::reload::Reloading;
use super::workflow::runner_config;
use crate::config::Config;

/// The username of the account made on the first start.
const FIRST_SUPERVISOR: &str = "supervisor";

/// How often expired conversations and runs are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

pub fn run(places: &Places, config: Config) -> Result<ExitCode> {
    if config.content.index_on_start {
        update_index(&places.index_dir, &config)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(places, config))
}

async fn serve(places: &Places, config: Config) -> Result<ExitCode> {
    let mut secrets = Secrets::load(places.secrets_file.as_deref())?;
    let mut runner = runner_config()?;
    let portal = start_legacy_portal(&config, &mut secrets, &mut runner).await;
    let install = config.browser.install_missing;
    let browser = tokio::task::spawn_blocking(move || ensure_browser(install)).await?;
    let automation = Automation { runner, browser };
    let assembled = assemble(places, &config, secrets, engine_settings(&config), system_clock(), automation).await?;
    let engine = assembled.engine;
    let _reload = Reloading {
        engine: engine.clone(),
        index_dir: places.index_dir.clone(),
        workflows: places.workflows.clone(),
        config: config.clone(),
        browser,
    }
    .on_hangup();
    let _worker =
        tokio::spawn(assembled.runner.clone().work_continuously(engine.work_ready(), config.server.workflow_workers));
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
    let https = config.web.public_url.starts_with("https://");
    let web =
        WebSettings { origins: Origins { allowed: config.web.allowed_origins.clone(), https }, secure_cookies: https };
    let oidc = oidc_provider(&config);
    let mut state = AppState::new(engine.clone(), accounts.clone(), limits, web, oidc);
    let mut channels_on = vec!["the web chat"];
    let mut _background = Vec::new();
    if let Some(settings) = sms_settings(&config) {
        let sms = SmsChannel::open(engine.clone(), settings).await?;
        _background.push(channels::delivery::spawn_delivery(&sms));
        channels_on.push("texts");
        state.sms = Some(sms);
    }
    if let Some(settings) = teams_settings(&config) {
        let teams = TeamsChannel::open(engine.clone(), settings).await?;
        _background.push(channels::delivery::spawn_delivery(&teams));
        _background.extend(teams.spawn_supervisor_alerts());
        channels_on.push("Microsoft Teams");
        state.teams = Some(teams);
    }
    let app = channels::app(state);
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let address = listener.local_addr()?;
    let services = engine.services();
    let workflows = services.catalogue().len();
    eprintln!(
        "councilbot is answering for {} at http://{address}\n  the sample council's page with the chat: http://{address}/   the chat without JavaScript: http://{address}/chat\n  supervisor console: http://{address}/console   chat API: http://{address}/api/v1 (described at /api/v1/openapi.json)\n  health: http://{address}/healthz   metrics: http://{address}/metrics\n  {} workflow(s) loaded; answers {}",
        config.council.name,
        workflows,
        if engine.has_model() {
            "written by the language model"
        } else {
            "taken from the council's pages (no language model)"
        },
    );
    eprintln!("  channels: {}", channels_on.join(", "));
    if let Some(portal) = &portal {
        eprintln!(
            "  ECSS, the sample council's back office, is running on {} (user {}, password {})",
            portal.url(),
            legacy_portal::USER,
            legacy_portal::PASSWORD
        );
    }
    first_supervisor(&accounts, &address).await;
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    eprintln!("councilbot stopped");
    Ok(ExitCode::SUCCESS)
}

/// Starts the practice back office when the configuration asks for it, and points the
/// workflows at it with its sign-in unless they are given others.
async fn start_legacy_portal(
    config: &Config,
    secrets: &mut Secrets,
    runner: &mut rpa::runner::RunnerConfig,
) -> Option<legacy_portal::Portal> {
    let address = &config.sample.legacy_portal;
    if address.is_empty() {
        return None;
    }
    match legacy_portal::Portal::start_on(address, legacy_portal::PortalConfig::default()).await {
        Ok(portal) => {
            runner.system_urls.entry("ecss".into()).or_insert_with(|| portal.url());
            secrets.set_default("ecss_user", legacy_portal::USER);
            secrets.set_default("ecss_password", legacy_portal::PASSWORD);
            Some(portal)
        }
        Err(error) => {
            eprintln!(
                "warning: the practice back office (ECSS) cannot start on {address}: {error}; \
                 workflows go to whatever answers there (set COUNCILBOT_LEGACY_PORTAL to another address, or off)"
            );
            None
        }
    }
}

/// Makes the first supervisor account when there is none, and prints how to sign in with it.
async fn first_supervisor(accounts: &Accounts, address: &SocketAddr) {
    match accounts.list().await {
        Ok(existing) if existing.is_empty() => {}
        Ok(_) => return,
        Err(error) => {
            eprintln!("warning: cannot read the console's accounts: {error}");
            return;
        }
    }
    let password = first_password();
    match accounts.set_local(FIRST_SUPERVISOR, "Supervisor", &password, Role::Admin).await {
        Ok(()) => eprintln!(
            "  first sign-in to the console: http://{address}/console/login as `{FIRST_SUPERVISOR}` with password \
             {password}\n  (shown this once; change it with `councilbot staff add {FIRST_SUPERVISOR} --role admin`)"
        ),
        Err(error) => eprintln!("warning: cannot make the first console account: {error}"),
    }
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

/// The text channel's settings, when Twilio or Notify is set up.
fn sms_settings(config: &Config) -> Option<SmsSettings> {
    let sms = &config.sms;
    let twilio = (!sms.twilio.account_sid.is_empty()).then(|| TwilioSettings {
        account_sid: sms.twilio.account_sid.clone(),
        auth_token: sms.twilio.auth_token.clone(),
        api_url: sms.twilio.api_url.clone(),
        from: sms.twilio.from.clone(),
        messaging_service_sid: sms.twilio.messaging_service_sid.clone(),
    });
    let notify = ApiKey::parse(&sms.notify.api_key).ok().map(|api_key| NotifySettings {
        api_key,
        api_url: sms.notify.api_url.clone(),
        template_id: sms.notify.template_id.clone(),
        sms_sender_id: sms.notify.sms_sender_id.clone(),
        callback_token: sms.notify.callback_token.clone(),
    });
    if twilio.is_none() && notify.is_none() {
        return None;
    }
    Some(SmsSettings {
        twilio,
        notify,
        public_url: config.web.public_url.clone(),
        max_segments: sms.max_segments,
        reply_within: Duration::from_secs(sms.reply_within_seconds),
        continue_within: Duration::from_secs(sms.continue_within_hours * 3600),
        council_name: config.council.name.clone(),
        council_phone: config.council.phone.clone(),
    })
}

/// The Teams channel's settings, when the bot's app id is given.
fn teams_settings(config: &Config) -> Option<TeamsSettings> {
    let teams = &config.teams;
    if teams.app_id.is_empty() {
        return None;
    }
    let token_url = if teams.token_url.is_empty() {
        let authority = if teams.tenant_id.is_empty() { "botframework.com" } else { teams.tenant_id.as_str() };
        format!("{}/{authority}/oauth2/v2.0/token", teams.login_url.trim_end_matches('/'))
    } else {
        teams.token_url.clone()
    };
    Some(TeamsSettings {
        app_id: teams.app_id.clone(),
        app_password: teams.app_password.clone(),
        tenant_id: teams.tenant_id.clone(),
        openid_metadata_url: teams.openid_metadata_url.clone(),
        login_url: teams.login_url.clone(),
        token_url,
        staff_tenant: if teams.staff_tenant.is_empty() { teams.tenant_id.clone() } else { teams.staff_tenant.clone() },
        supervisors: teams.supervisors.clone(),
        public_url: config.web.public_url.clone(),
        council_name: config.council.name.clone(),
    })
}

/// The OpenID Connect provider, when the configuration names one.
fn oidc_provider(config: &Config) -> Option<OidcProvider> {
    let oidc = &config.console.oidc;
    if oidc.issuer.is_empty() {
        return None;
    }
    let redirect_url = if oidc.redirect_url.is_empty() {
        format!("{}/console/oidc/callback", config.web.public_url.trim_end_matches('/'))
    } else {
        oidc.redirect_url.clone()
    };
    Some(OidcProvider::new(OidcSettings {
        issuer: oidc.issuer.clone(),
        client_id: oidc.client_id.clone(),
        client_secret: oidc.client_secret.clone(),
        redirect_url,
        roles_claim: oidc.roles_claim.clone(),
        supervisor_role: oidc.supervisor_role.clone(),
        admin_role: oidc.admin_role.clone(),
    }))
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
