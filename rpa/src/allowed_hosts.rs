//! Where workflows may go: the hosts `open` and `http` steps may reach when a council limits them
//! (`[automation] allowed_hosts`), enforced as a run goes there and checked by `workflow validate`
//! wherever an address is written out in full.

use std::collections::BTreeMap;

use reqwest::Url;

use crate::workflow::template::is_template;
use crate::workflow::{Diagnostic, Located, Step, StepKind, WorkflowFile};

/// The most redirects an `http` step follows, as the HTTP client does by default.
const MOST_REDIRECTS: usize = 10;

/// The hosts `open` and `http` steps may reach; empty allows every host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    entries: Vec<Entry>,
}

/// One entry of the list: a host, or every host under a domain, on any port or on one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    host: Host,
    port: Option<u16>,
}

/// The host part of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    /// Exactly this host.
    Exactly(String),
    /// Any host under this domain (`*.example.gov.uk`), not the domain itself.
    Under(String),
}

impl AllowedHosts {
    /// The list from its entries: `host`, `*.domain` (any host under it) or either with `:port`;
    /// IPv6 addresses in brackets. Every entry that is none of these is named.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedHosts, String> {
        let mut parsed = Vec::new();
        let mut problems = Vec::new();
        for entry in entries {
            match parse_entry(entry.as_ref()) {
                Ok(entry) => parsed.push(entry),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() { Ok(AllowedHosts { entries: parsed }) } else { Err(problems.join("; ")) }
    }

    /// Whether the list limits anything (an empty list allows every host).
    pub fn is_limited(&self) -> bool {
        !self.entries.is_empty()
    }

    /// Whether an address may be reached: any address when the list is empty, else one whose
    /// host (and port, where the entry names one) is on the list.
    pub fn permits(&self, url: &Url) -> bool {
        if !self.is_limited() {
            return true;
        }
        let Some(host) = url.host_str().map(|host| host.trim_end_matches('.').to_ascii_lowercase()) else {
            return false;
        };
        let port = url.port_or_known_default();
        self.entries.iter().any(|entry| {
            let host_fits = match &entry.host {
                Host::Exactly(allowed) => host == *allowed,
                Host::Under(domain) => host.strip_suffix(domain.as_str()).is_some_and(|rest| rest.ends_with('.')),
            };
            host_fits && entry.port.is_none_or(|allowed| port == Some(allowed))
        })
    }

    /// Checks the address a step of this kind (`open`, `http`) is about to go to; the refusal
    /// names the step's kind and the host, not the whole address (which may hold personal data).
    pub fn check(&self, kind: &str, address: &str) -> Result<(), String> {
        if !self.is_limited() {
            return Ok(());
        }
        let url =
            Url::parse(address).map_err(|error| format!("`{kind}` goes to an address that is not valid: {error}"))?;
        if self.permits(&url) {
            return Ok(());
        }
        Err(refusal(kind, &url))
    }

    /// The redirect policy of an `http` step's client: a redirect to a host not on the list is
    /// an error, like the step's own address.
    pub fn redirect_policy(&self) -> reqwest::redirect::Policy {
        if !self.is_limited() {
            return reqwest::redirect::Policy::default();
        }
        let allowed = self.clone();
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MOST_REDIRECTS {
                let error = format!("more than {MOST_REDIRECTS} redirects");
                attempt.error(error)
            } else if allowed.permits(attempt.url()) {
                attempt.follow()
            } else {
                let error = refusal("http", attempt.url()).replace("may not go to", "may not be redirected to");
                attempt.error(error)
            }
        })
    }
}

/// Why a step may not go to an address: its kind and the address's host.
fn refusal(kind: &str, url: &Url) -> String {
    match url.host_str() {
        Some(host) => {
            let port = url.port().map(|port| format!(":{port}")).unwrap_or_default();
            format!("`{kind}` may not go to {host}{port}: the host is not in [automation] allowed_hosts")
        }
        None => format!(
            "`{kind}` may not go to a {}: address, which has no host; [automation] allowed_hosts limits where \
             workflows go",
            url.scheme()
        ),
    }
}

fn parse_entry(entry: &str) -> Result<Entry, String> {
    let written = entry.trim();
    let invalid = |why: &str| format!("`{entry}` {why}; write a host name, `*.example.gov.uk` or `host:port`");
    if written.is_empty() {
        return Err(invalid("is empty"));
    }
    if written.contains("://") || written.contains(['/', '@', '?', '#']) || written.contains(char::is_whitespace) {
        return Err(invalid("is not a host name"));
    }
    let (host, port) = if let Some(rest) = written.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(|| invalid("has no closing `]`"))?;
        let port = match after {
            "" => None,
            after => Some(after.strip_prefix(':').ok_or_else(|| invalid("has something after `]`"))?),
        };
        (format!("[{inside}]"), port)
    } else {
        match written.split_once(':') {
            Some((_, port)) if port.contains(':') => return Err(invalid("is an IPv6 address without brackets")),
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (written.to_string(), None),
        }
    };
    let port = port
        .map(|port| port.parse::<u16>().ok().filter(|port| *port > 0).ok_or_else(|| invalid("has no valid port")))
        .transpose()?;
    let (under, host) = match host.strip_prefix("*.") {
        Some(domain) => (true, domain.to_string()),
        None => (false, host),
    };
    if host.contains('*') {
        return Err(invalid("has a `*` that is not a leading `*.`"));
    }
    // The address parser normalises the host as it will normalise the addresses steps go to.
    let parsed = Url::parse(&format!("http://{host}/")).map_err(|_| invalid("is not a host name"))?;
    let normalised = parsed.host_str().ok_or_else(|| invalid("is not a host name"))?.trim_end_matches('.').to_string();
    let host = if under { Host::Under(normalised) } else { Host::Exactly(normalised) };
    Ok(Entry { host, port })
}

/// Every `open` and `http` step of a workflow file whose address is written out in full (no
/// template) and goes to a host the list does not allow; a relative address is joined to the
/// system's base URL (`system_urls`, by system name, replacing the file's), when that too is
/// written out.
pub fn check_hosts(
    file: &WorkflowFile,
    allowed: &AllowedHosts,
    system_urls: &BTreeMap<String, String>,
) -> Vec<Diagnostic> {
    if !allowed.is_limited() {
        return Vec::new();
    }
    let base = file.workflow.system.as_ref().and_then(|system| {
        let written = system_urls.get(&system.name.to_ascii_lowercase()).unwrap_or(&system.base_url.value);
        (!is_template(written)).then(|| Url::parse(written).ok()).flatten()
    });
    let mut found = Vec::new();
    walk(&file.steps, &mut |step| {
        let address = match &step.kind {
            StepKind::Open(address) => Some(address),
            StepKind::Http(http) => Some(&http.url),
            _ => None,
        };
        if let Some(address) = address.filter(|address| !is_template(&address.value)) {
            let kind = step.kind.name();
            let url = match Url::parse(&address.value) {
                Ok(url) => Some(url),
                Err(_) => base.as_ref().and_then(|base| base.join(&address.value).ok()),
            };
            if let Some(url) = url.filter(|url| !allowed.permits(url)) {
                found.push(file.error_at(address.line, address.column, refusal(kind, &url)));
            }
        }
    });
    found
}

/// Calls `visit` on every step, at any depth.
fn walk(steps: &[Located<Step>], visit: &mut impl FnMut(&Step)) {
    for step in steps {
        visit(&step.value);
        for (_, children) in step.children() {
            walk(children, visit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entries: &[&str]) -> AllowedHosts {
        AllowedHosts::parse(entries).unwrap()
    }

    fn permits(list: &AllowedHosts, address: &str) -> bool {
        list.permits(&Url::parse(address).unwrap())
    }

    #[test]
    fn hosts_wildcards_and_ports_are_matched() {
        let list = allowed(&["ecss.eastbrook.gov.uk", "*.Housing.Example.gov.uk", "127.0.0.1:8090", "[::1]:9000"]);
        assert!(permits(&list, "https://ECSS.eastbrook.gov.uk./login"));
        assert!(permits(&list, "http://ecss.eastbrook.gov.uk:8443/"));
        assert!(permits(&list, "https://repairs.housing.example.gov.uk/"));
        assert!(permits(&list, "https://a.b.housing.example.gov.uk/"));
        assert!(!permits(&list, "https://housing.example.gov.uk/"), "a wildcard is for hosts under the domain");
        assert!(!permits(&list, "https://evilhousing.example.gov.uk/"));
        assert!(!permits(&list, "https://ecss.eastbrook.gov.uk.evil.example/"));
        assert!(permits(&list, "http://127.0.0.1:8090/cases"));
        assert!(!permits(&list, "http://127.0.0.1:8091/cases"));
        assert!(!permits(&list, "http://127.0.0.1/cases"));
        assert!(permits(&list, "http://[::1]:9000/"));
        assert!(!permits(&list, "file:///etc/passwd"));
        assert!(!permits(&list, "data:text/html,hello"));
        assert!(permits(&AllowedHosts::default(), "file:///etc/passwd"), "an empty list limits nothing");
    }

    #[test]
    fn refusals_name_the_step_and_the_host_only() {
        let list = allowed(&["ecss.eastbrook.gov.uk"]);
        let refused = list.check("open", "https://intranet.example:8443/people?name=Ann+Smith").unwrap_err();
        assert_eq!(
            refused,
            "`open` may not go to intranet.example:8443: the host is not in [automation] allowed_hosts"
        );
        assert!(list.check("http", "file:///etc/passwd").unwrap_err().contains("a file: address, which has no host"));
        assert!(list.check("open", "https://ecss.eastbrook.gov.uk/login").is_ok());
    }

    #[test]
    fn entries_that_are_not_hosts_are_named() {
        for entry in ["https://ecss.example", "ecss.example/login", "", "ecss.example:http", "*", "a.*.example", "::1"]
        {
            let problem = AllowedHosts::parse(&[entry]).unwrap_err();
            assert!(problem.contains(&format!("`{entry}`")), "{problem}");
        }
    }
}
