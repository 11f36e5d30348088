//! Which connector addresses the bot may send its token to: Microsoft's documented Bot
//! Framework and Teams hosts by default, and whatever else the council configures.

use reqwest::Url;

/// Microsoft's connector addresses for Teams and the Bot Framework's own channels (commercial,
/// GCC, GCC High and DoD clouds).
pub const MICROSOFT_SERVICE_URLS: [&str; 5] = [
    "https://smba.trafficmanager.net/",
    "https://*.botframework.com/",
    "https://smba.infra.gcc.teams.microsoft.com/",
    "https://smba.infra.gov.teams.microsoft.us/",
    "https://smba.infra.dod.teams.microsoft.us/",
];

/// A pattern: scheme, host (exact, or `*.` and a domain for any host under it), port and a
/// path prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    scheme: String,
    host: String,
    any_subdomain: bool,
    port: Option<u16>,
    path: String,
}

/// The service URLs the bot may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrlAllowList(Vec<Pattern>);

impl Default for ServiceUrlAllowList {
    fn default() -> Self {
        ServiceUrlAllowList::parse(&MICROSOFT_SERVICE_URLS.map(str::to_string)).expect("the documented hosts parse")
    }
}

impl ServiceUrlAllowList {
    /// The list from patterns such as `https://smba.trafficmanager.net/` or
    /// `https://*.botframework.com/`.
    pub fn parse(patterns: &[String]) -> Result<ServiceUrlAllowList, String> {
        patterns.iter().map(|pattern| parse_pattern(pattern)).collect::<Result<_, _>>().map(ServiceUrlAllowList)
    }

    /// Whether the bot may send to this service URL.
    pub fn allows(&self, service_url: &str) -> bool {
        let Ok(url) = Url::parse(service_url) else { return false };
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
            return false;
        }
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else { return false };
        self.0.iter().any(|pattern| {
            let host_matches = if pattern.any_subdomain {
                host.strip_suffix(&pattern.host).is_some_and(|rest| !rest.is_empty())
            } else {
                host == pattern.host
            };
            pattern.scheme == url.scheme()
                && host_matches
                && pattern.port == url.port_or_known_default()
                && url.path().starts_with(&pattern.path)
        })
    }
}

fn parse_pattern(pattern: &str) -> Result<Pattern, String> {
    let problem = |why: &str| format!("`{pattern}` is not a service URL pattern: {why}");
    let (any_subdomain, text) = match pattern.split_once("://*.") {
        Some((scheme, rest)) => (true, format!("{scheme}://{rest}")),
        None => (false, pattern.to_string()),
    };
    let url = Url::parse(&text).map_err(|error| problem(&error.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(problem("it must start with https://"));
    }
    let host = url.host_str().ok_or_else(|| problem("it names no host"))?.to_ascii_lowercase();
    let host = if any_subdomain { format!(".{host}") } else { host };
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(problem("it may hold only a scheme, a host, a port and a path"));
    }
    Ok(Pattern {
        scheme: url.scheme().to_string(),
        host,
        any_subdomain,
        port: url.port_or_known_default(),
        path: url.path().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_microsofts_hosts_are_allowed_by_default() {
        let list = ServiceUrlAllowList::default();
        for allowed in [
            "https://smba.trafficmanager.net/uk/",
            "https://smba.trafficmanager.net/teams/",
            "https://webchat.botframework.com/",
            "https://europe.directline.botframework.com/",
            "https://smba.infra.gcc.teams.microsoft.com/teams",
        ] {
            assert!(list.allows(allowed), "{allowed}");
        }
        for refused in [
            "http://smba.trafficmanager.net/uk/",
            "https://smba.trafficmanager.net:8443/uk/",
            "https://evil.trafficmanager.net/uk/",
            "https://botframework.com.evil.example/",
            "https://evilbotframework.com/",
            "https://smba.trafficmanager.net@evil.example/",
            "https://user@smba.trafficmanager.net/uk/",
            "https://127.0.0.1:8080/connector/",
            "not a url",
            "",
        ] {
            assert!(!list.allows(refused), "{refused}");
        }
    }

    #[test]
    fn a_configured_local_connector_is_allowed_with_its_port_and_path() {
        let list = ServiceUrlAllowList::parse(&["http://127.0.0.1:3978/connector/".into()]).unwrap();
        assert!(list.allows("http://127.0.0.1:3978/connector/"));
        assert!(list.allows("http://127.0.0.1:3978/connector/uk/"));
        assert!(!list.allows("http://127.0.0.1:3979/connector/"));
        assert!(!list.allows("http://127.0.0.1:3978/other/"));
        assert!(ServiceUrlAllowList::parse(&["ftp://example.com/".into()]).is_err());
        assert!(ServiceUrlAllowList::parse(&["nonsense".into()]).is_err());
    }
}
