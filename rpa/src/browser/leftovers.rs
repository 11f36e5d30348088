//! What the browsers started here leave in a records directory: a file for each running
//! ChromeDriver and a folder for each browser profile, each named with the process that owns it,
//! so that a later process can stop and remove what a killed one left behind.

use std::path::{Path, PathBuf};

use rustix::process::{Pid, Signal};

/// How a ChromeDriver's record is named: `chromedriver-{its pid}-of-{the owner's pid}`.
const DRIVER_PREFIX: &str = "chromedriver-";
/// The folder of the records directory that profiles are made in, each `{the owner's pid}-…`.
const PROFILES: &str = "profiles";

/// The record of a running ChromeDriver, removed when dropped.
#[derive(Debug)]
pub struct DriverRecord {
    path: PathBuf,
}

impl DriverRecord {
    /// Records the ChromeDriver with this process id as this process's; `None` when the
    /// record cannot be written (the driver still runs, it just cannot be cleared up after a kill).
    pub fn new(records: &Path, driver: u32) -> Option<DriverRecord> {
        std::fs::create_dir_all(records).ok()?;
        let path = records.join(format!("{DRIVER_PREFIX}{driver}-of-{}", std::process::id()));
        std::fs::write(&path, b"").ok()?;
        Some(DriverRecord { path })
    }
}

impl Drop for DriverRecord {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A new, empty profile directory: in the records directory, named for this process, when
/// there is one; else in the temporary directory.
pub fn new_profile(records: Option<&Path>) -> std::io::Result<tempfile::TempDir> {
    match records {
        Some(records) => {
            let profiles = records.join(PROFILES);
            std::fs::create_dir_all(&profiles)?;
            tempfile::Builder::new().prefix(&format!("{}-", std::process::id())).tempdir_in(profiles)
        }
        None => tempfile::Builder::new().prefix("councilbot-browser-").tempdir(),
    }
}

/// Stops the ChromeDrivers, with the browsers they started, and removes the profiles recorded by
/// processes that are no longer running. What a running process owns is left alone.
pub fn clear(records: &Path) {
    if let Ok(entries) = std::fs::read_dir(records) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some((driver, owner)) = name.strip_prefix(DRIVER_PREFIX).and_then(|rest| rest.split_once("-of-"))
            else {
                continue;
            };
            let (Ok(driver), Ok(owner)) = (driver.parse::<i32>(), owner.parse::<i32>()) else { continue };
            if is_running(owner) {
                continue;
            }
            if is_chromedriver(driver)
                && let Some(group) = Pid::from_raw(driver)
            {
                // ChromeDriver leads its own process group, which holds the browsers it started.
                let _ = rustix::process::kill_process_group(group, Signal::KILL);
                tracing::info!(pid = driver, "stopped a ChromeDriver left running by a process that was killed");
            }
            let _ = std::fs::remove_file(entry.path());
        }
    }
    if let Ok(profiles) = std::fs::read_dir(records.join(PROFILES)) {
        for profile in profiles.flatten() {
            let name = profile.file_name().to_string_lossy().into_owned();
            let Some(owner) = name.split('-').next().and_then(|pid| pid.parse::<i32>().ok()) else { continue };
            if !is_running(owner) {
                let _ = std::fs::remove_dir_all(profile.path());
            }
        }
    }
}

/// Whether a process with this id exists (when it cannot be told, it is taken to exist, so
/// nothing of a live process is ever touched).
fn is_running(pid: i32) -> bool {
    match Pid::from_raw(pid) {
        Some(pid) => !matches!(rustix::process::test_kill_process(pid), Err(rustix::io::Errno::SRCH)),
        None => true,
    }
}

/// Whether the process with this id is a ChromeDriver (only where the system says what a
/// process is; elsewhere nothing is stopped).
fn is_chromedriver(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|name| name.trim() == "chromedriver")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_running_process_recorded_is_kept_and_what_a_gone_one_left_is_removed() {
        let records = tempfile::tempdir().unwrap();
        let mine = new_profile(Some(records.path())).unwrap();
        let gone = records.path().join(PROFILES).join("2147483646-abc");
        std::fs::create_dir_all(gone.join("Default")).unwrap();
        std::fs::write(records.path().join("chromedriver-2147483645-of-2147483646"), b"").unwrap();
        let record = DriverRecord::new(records.path(), 2147483644).unwrap();
        clear(records.path());
        assert!(mine.path().exists(), "this process's profile is kept");
        assert!(!gone.exists(), "the profile of a process that is gone is removed");
        assert!(!records.path().join("chromedriver-2147483645-of-2147483646").exists());
        assert!(record.path.exists(), "this process's ChromeDriver record is kept");
        drop(record);
        assert_eq!(std::fs::read_dir(records.path()).unwrap().count(), 1, "only the profiles folder is left");
    }
}
