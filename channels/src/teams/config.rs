//! The Teams channel's options in `councilbot.toml` (`[teams]`), with the credentials the
//! environment adds, and their check into the settings the channel runs on.

use secrecy::SecretString;
use serde::Deserialize;

use super::TeamsSettings;
use super::auth::{BOT_FRAMEWORK_METADATA_URL, ENTRA_LOGIN_URL};
use super::service_urls::{MICROSOFT_SERVICE_URLS, ServiceUrlAllowList};
use crate::settings::{blank_is_unset, is_http_url};

/// Microsoft Teams, through Azure Bot Service; credentials come only from the environment
/// (`MICROSOFT_APP_ID`, `MICROSOFT_APP_PASSWORD`, `MICROSOFT_APP_TENANT_ID`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeamsConfig {
    /// The Bot Framework's OpenID metadata, which names its signing keys.
    pub openid_metadata_url: String,
    /// Microsoft Entra ID's sign-in address (tokens of single-tenant bots and their keys).
    pub login_url: String,
    /// Where the bot's own token comes from [default: `{login_url}/{tenant or botframework.com}/oauth2/v2.0/token`].
    #[serde(deserialize_with = "blank_is_unset")]
    pub token_url: Option<String>,
    /// The tenant whose users are staff [default: the bot's tenant].
    #[serde(deserialize_with = "blank_is_unset")]
    pub staff_tenant: Option<String>,
    /// Entra ID object ids of supervisors alerted in Teams to urgent escalations and tasks.
    pub supervisors: Vec<String>,
    /// The connector addresses (`serviceUrl`) the bot may send its token to; an activity naming
    /// another is refused. `*.` before a domain allows any host under it [default: Microsoft's
    /// documented Teams and Bot Framework hosts].
    pub allowed_service_urls: Vec<String>,
    /// The app id (only from `MICROSOFT_APP_ID`).
    #[serde(skip)]
    pub app_id: Option<String>,
    /// The client secret (only from `MICROSOFT_APP_PASSWORD`).
    #[serde(skip)]
    pub app_password: Option<SecretString>,
    /// The bot's tenant, for a single-tenant bot (only from `MICROSOFT_APP_TENANT_ID`).
    #[serde(skip)]
    pub tenant_id: Option<String>,
}

impl Default for TeamsConfig {
    fn default() -> Self {
        TeamsConfig {
            openid_metadata_url: BOT_FRAMEWORK_METADATA_URL.into(),
            login_url: ENTRA_LOGIN_URL.into(),
            token_url: None,
            staff_tenant: None,
            supervisors: Vec::new(),
            allowed_service_urls: MICROSOFT_SERVICE_URLS.map(str::to_string).to_vec(),
            app_id: None,
            app_password: None,
            tenant_id: None,
        }
    }
}

impl TeamsConfig {
    /// The channel's settings when the bot's app id is given (none otherwise), or every
    /// problem, each naming its option. `public_url` is the address people reach the server at.
    pub fn validate(&self, public_url: Option<&str>, council_name: &str) -> Result<Option<TeamsSettings>, Vec<String>> {
        let mut problems = Vec::new();
        let allowed_service_urls = ServiceUrlAllowList::parse(&self.allowed_service_urls)
            .map_err(|problem| problems.push(format!("teams.allowed_service_urls: {problem}")))
            .ok();
        for (option, url) in
            [("teams.openid_metadata_url", &self.openid_metadata_url), ("teams.login_url", &self.login_url)]
        {
            if !is_http_url(url) {
                problems.push(format!("{option}: `{url}` is not an http or https address"));
            }
        }
        if let Some(token_url) = &self.token_url
            && !token_url.starts_with("http")
        {
            problems.push(format!("teams.token_url: `{token_url}` is not an http or https address"));
        }
        match (&self.app_id, &self.app_password) {
            (Some(_), None) => problems.push("teams: MICROSOFT_APP_PASSWORD is needed with MICROSOFT_APP_ID".into()),
            (None, Some(_)) => problems.push("teams: MICROSOFT_APP_ID is needed with MICROSOFT_APP_PASSWORD".into()),
            (None, None) if self.tenant_id.is_some() => {
                problems.push("teams: MICROSOFT_APP_ID is needed with MICROSOFT_APP_PASSWORD".into())
            }
            _ => {}
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let (Some(app_id), Some(app_password), Some(allowed_service_urls)) =
            (&self.app_id, &self.app_password, allowed_service_urls)
        else {
            return Ok(None);
        };
        let token_url = self.token_url.clone().unwrap_or_else(|| {
            let authority = self.tenant_id.as_deref().unwrap_or("botframework.com");
            format!("{}/{authority}/oauth2/v2.0/token", self.login_url.trim_end_matches('/'))
        });
        Ok(Some(TeamsSettings {
            app_id: app_id.clone(),
            app_password: app_password.clone(),
            tenant_id: self.tenant_id.clone(),
            openid_metadata_url: self.openid_metadata_url.clone(),
            login_url: self.login_url.clone(),
            token_url,
            staff_tenant: self.staff_tenant.clone().or_else(|| self.tenant_id.clone()),
            supervisors: self.supervisors.clone(),
            public_url: public_url.unwrap_or_default().to_string(),
            council_name: council_name.to_string(),
            allowed_service_urls,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_is_off_without_an_app_id_and_a_lone_password_is_an_error() {
        assert!(TeamsConfig::default().validate(None, "Council").unwrap().is_none());
        let config = TeamsConfig { app_password: Some("secret".into()), ..TeamsConfig::default() };
        let problems = config.validate(None, "Council").unwrap_err();
        assert_eq!(problems, ["teams: MICROSOFT_APP_ID is needed with MICROSOFT_APP_PASSWORD"]);
    }

    #[test]
    fn a_single_tenant_bot_gets_its_tenants_token_address_and_staff() {
        let config = TeamsConfig {
            app_id: Some("app".into()),
            app_password: Some("secret".into()),
            tenant_id: Some("tenant".into()),
            ..TeamsConfig::default()
        };
        let settings = config.validate(Some("https://chat.example.gov.uk"), "Council").unwrap().unwrap();
        assert_eq!(settings.token_url, "https://login.microsoftonline.com/tenant/oauth2/v2.0/token");
        assert_eq!(settings.staff_tenant.as_deref(), Some("tenant"));
        assert!(!format!("{settings:?}").contains("secret"), "secrets are not shown: {settings:?}");
    }
}
