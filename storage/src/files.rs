//! Files and directories only their owner may use: councilbot's data (transcripts, evidence,
//! password hashes) is made that way, and anything found looser is reported.

use std::io;
use std::path::Path;

/// The mode of a private directory: its owner may list, enter and change it; nobody else may.
pub const PRIVATE_DIRECTORY: u32 = 0o700;
/// The mode of a private file: its owner may read and write it; nobody else may.
pub const PRIVATE_FILE: u32 = 0o600;

/// Creates a directory (and any missing parents) that only its owner may use; one that already
/// exists is left as it is.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIRECTORY);
    builder.create(path)
}

/// Creates an empty file that only its owner may use, if there is none at `path`; an existing
/// file is left as it is.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// Writes a file that only its owner may read, replacing what it held; a file already there is
/// made private before anything is written to it.
pub fn write_private_file(path: &Path, content: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))?;
    }
    file.write_all(content)
}

/// Makes every file and directory this process (and the programs it starts) creates from now on
/// private to its owner, whatever the permissions asked for: the process's umask becomes 077.
pub fn keep_new_files_private() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// Lets a program about to be started create files others may read (umask 022), as a package
/// installer must for the files it puts in place for every user.
pub fn let_share_new_files(command: &mut std::process::Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: the hook runs in the child between fork and exec, and umask(2) is
        // async-signal-safe: it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(|| {
                rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
                Ok(())
            });
        }
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// The permission bits of a file or directory when people other than its owner may use it
/// (`None` when only its owner may, or it does not exist).
pub fn looser_than_private(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn what_is_made_is_private_and_what_is_looser_is_found() {
        let directory = tempfile::tempdir().unwrap();
        let data = directory.path().join("data/inner");
        create_private_dir(&data).unwrap();
        assert_eq!(mode(&data), PRIVATE_DIRECTORY);
        assert_eq!(mode(&directory.path().join("data")), PRIVATE_DIRECTORY);
        let file = data.join("councilbot.db");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), PRIVATE_FILE);
        assert_eq!(looser_than_private(&file), None);

        let shared = directory.path().join("evidence.png");
        std::fs::write(&shared, b"old").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(looser_than_private(&shared), Some(0o644));
        write_private_file(&shared, b"new").unwrap();
        assert_eq!(mode(&shared), PRIVATE_FILE);
        assert_eq!(std::fs::read(&shared).unwrap(), b"new");
        assert_eq!(looser_than_private(&directory.path().join("missing")), None);
    }
}
