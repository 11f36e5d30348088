//! The data directory, which holds transcripts, run evidence and password hashes: made so only
//! councilbot's user may read it, and checked at start for anything other users may read.

use std::path::PathBuf;

use anyhow::{Context, Result};
use storage::files::{PRIVATE_DIRECTORY, PRIVATE_FILE, create_private_dir, looser_than_private};

/// Where councilbot keeps what it holds.
#[derive(Debug, Clone)]
pub struct Kept {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The index directory.
    pub index_dir: PathBuf,
    /// The database URL (a SQLite file's path is checked with its -wal and -shm files).
    pub database_url: String,
    /// The secrets file, if any.
    pub secrets_file: Option<PathBuf>,
}

/// Something kept that other users may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooOpen {
    /// The file or directory.
    pub path: PathBuf,
    /// Its permission bits.
    pub mode: u32,
    /// The permission bits it should have.
    pub wanted: u32,
}

impl std::fmt::Display for TooOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} has mode {:o}, so other users may read what councilbot keeps there; make it private with \
             `chmod {:o} {}`",
            self.path.display(),
            self.mode,
            self.wanted,
            self.path.display()
        )
    }
}

impl Kept {
    /// Makes the data and index directories, private, where they are missing; ones already there
    /// are left as they are.
    pub fn prepare(&self) -> Result<()> {
        for directory in [&self.data_dir, &self.index_dir] {
            create_private_dir(directory).with_context(|| format!("cannot create {}", directory.display()))?;
        }
        Ok(())
    }

    /// Every directory and file kept that other users may read.
    pub fn too_open(&self) -> Vec<TooOpen> {
        let mut places = vec![(self.data_dir.clone(), PRIVATE_DIRECTORY), (self.index_dir.clone(), PRIVATE_DIRECTORY)];
        if let Some(database) = storage::sqlite_path(&self.database_url) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = database.clone().into_os_string();
                path.push(suffix);
                places.push((PathBuf::from(path), PRIVATE_FILE));
            }
        }
        places.extend(self.secrets_file.iter().map(|file| (file.clone(), PRIVATE_FILE)));
        places
            .into_iter()
            .filter_map(|(path, wanted)| looser_than_private(&path).map(|mode| TooOpen { path, mode, wanted }))
            .collect()
    }

    /// Logs a warning for each directory and file kept that other users may read.
    pub fn warn_if_too_open(&self) {
        for found in self.too_open() {
            tracing::warn!(path = %found.path.display(), mode = %format!("{:o}", found.mode), "{found}");
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn what_is_kept_is_made_private_and_looser_modes_are_named() {
        let root = tempfile::tempdir().unwrap();
        let data_dir = root.path().join("data");
        let kept = Kept {
            data_dir: data_dir.clone(),
            index_dir: data_dir.join("index"),
            database_url: format!("sqlite://{}?mode=rwc", data_dir.join("councilbot.db").display()),
            secrets_file: None,
        };
        kept.prepare().unwrap();
        assert!(kept.too_open().is_empty(), "{:?}", kept.too_open());
        std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(data_dir.join("councilbot.db-wal"), b"").unwrap();
        std::fs::set_permissions(data_dir.join("councilbot.db-wal"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let found: Vec<String> = kept.too_open().iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("has mode 755") && found[0].contains("chmod 700"), "{found:?}");
        assert!(found[1].contains("councilbot.db-wal has mode 644") && found[1].contains("chmod 600"), "{found:?}");
    }
}
