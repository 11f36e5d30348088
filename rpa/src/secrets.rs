//! Secrets that workflows use (`{{ secrets.NAME }}`): resolved from the environment or a secrets
//! file, and never shown.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The prefix of environment variables that hold secrets: `portal_password` is read from
/// `COUNCILBOT_SECRET_PORTAL_PASSWORD`.
pub const SECRET_ENV_PREFIX: &str = "COUNCILBOT_SECRET_";

/// What can go wrong reading secrets.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The secrets file could not be read.
    #[error("cannot read the secrets file {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The secrets file can be read by other users.
    #[error(
        "the secrets file {path} can be read by other users (mode {mode:o}); make it private with `chmod 600 {path}`"
    )]
    TooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A line of the secrets file is not `NAME=value`.
    #[error("{path}:{line}: expected `NAME=value`")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
    },
}

/// The secrets available to workflows, by name. Debug output never shows their values.
#[derive(Clone, Default)]
pub struct Secrets {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets").field("names", &self.values.keys().collect::<Vec<_>>()).finish()
    }
}

impl Secrets {
    /// Secrets from the environment's variables given (`COUNCILBOT_SECRET_NAME`) and, when
    /// given, a file of `NAME=value` lines readable only by its owner; the environment wins.
    pub fn load(
        file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Secrets, SecretsError> {
        let mut secrets = match file {
            Some(path) => Secrets::from_file(path)?,
            None => Secrets::default(),
        };
        for (key, value) in environment {
            if let Some(name) = key.strip_prefix(SECRET_ENV_PREFIX) {
                secrets.values.insert(name.to_ascii_lowercase(), value);
            }
        }
        Ok(secrets)
    }

    /// Secrets given directly, by name.
    pub fn from_pairs<I, K, V>(pairs: I) -> Secrets
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Secrets { values: pairs.into_iter().map(|(name, value)| (name.into(), value.into())).collect() }
    }

    fn from_file(path: &Path) -> Result<Secrets, SecretsError> {
        let unreadable = |source| SecretsError::Unreadable { path: path.to_path_buf(), source };
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SecretsError::TooOpen { path: path.to_path_buf(), mode });
            }
        }
        #[cfg(not(unix))]
        let _ = metadata;
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        let mut values = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(SecretsError::Malformed { path: path.to_path_buf(), line: number + 1 });
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|inner| inner.strip_suffix('\'')))
                .unwrap_or(value);
            values.insert(name.trim().to_ascii_lowercase(), value.to_string());
        }
        Ok(Secrets { values })
    }

    /// Gives a secret a value unless it already has one.
    pub fn set_default(&mut self, name: &str, value: &str) {
        self.values.entry(name.to_ascii_lowercase()).or_insert_with(|| value.to_string());
    }

    /// The value of a secret.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The named secrets, or the names that are missing, each with where it can be set.
    pub fn select<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeMap<String, String>, Vec<String>> {
        let mut found = BTreeMap::new();
        let mut missing = Vec::new();
        for name in names {
            match self.get(name) {
                Some(value) => {
                    found.insert(name.to_string(), value.to_string());
                }
                None => missing.push(format!(
                    "secret `{name}` is not set: set {SECRET_ENV_PREFIX}{} or add `{name}=...` to the secrets file",
                    name.to_ascii_uppercase()
                )),
            }
        }
        if missing.is_empty() { Ok(found) } else { Err(missing) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_files_must_be_private_and_well_formed() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("secrets");
        std::fs::write(&path, "# portal\nportal_user = agent\nPORTAL_PASSWORD=\"p=ss word\"\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(Secrets::from_file(&path), Err(SecretsError::TooOpen { .. })));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let secrets = Secrets::from_file(&path).unwrap();
        assert_eq!(secrets.get("portal_user"), Some("agent"));
        assert_eq!(secrets.get("portal_password"), Some("p=ss word"));
        assert!(!format!("{secrets:?}").contains("p=ss"));
        let missing = secrets.select(["portal_user", "api_key"]).unwrap_err();
        assert_eq!(missing.len(), 1);
        assert!(missing[0].contains("COUNCILBOT_SECRET_API_KEY"), "{}", missing[0]);

        std::fs::write(&path, "just a line\n").unwrap();
        assert!(matches!(Secrets::from_file(&path), Err(SecretsError::Malformed { line: 1, .. })));
    }
}
