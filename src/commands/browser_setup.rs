//! Making sure workflows have a browser: finding Chromium and ChromeDriver, installing them from
//! the distribution's packages when allowed, or saying exactly what is missing.

use std::process::{Command, Stdio};

use rpa::browser::{BrowserConfig, find_chrome, find_chromedriver};

/// The distribution's packages that hold the browser and its driver.
const PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];

/// Whether workflows can drive a browser as configured; installs what is missing first when
/// `install` allows it and this process may, and otherwise prints what is missing and how to add it.
pub fn ensure_browser(install: bool, config: &BrowserConfig) -> bool {
    if config.webdriver_url.is_some() {
        return true;
    }
    let missing = missing_parts(config);
    if missing.is_empty() {
        return true;
    }
    if install && let Some(sudo) = may_install() {
        eprintln!(
            "{} missing: installing the {} packages (this takes a minute, once)",
            missing.join(" and "),
            PACKAGES.join(" and ")
        );
        if install_packages(sudo) && missing_parts(config).is_empty() {
            return true;
        }
        eprintln!("warning: installing {} did not succeed", PACKAGES.join(" and "));
    }
    eprintln!(
        "warning: {} not found, so requests carried out on council systems are off (the bot still answers \
         and hands requests to people). Install them with `sudo apt-get install {}`, name them with \
         COUNCILBOT_CHROME and COUNCILBOT_CHROMEDRIVER, or set COUNCILBOT_WEBDRIVER_URL to a WebDriver \
         server such as Selenium Grid",
        missing.join(" and "),
        PACKAGES.join(" ")
    );
    false
}

/// The parts of a local browser that cannot be found.
fn missing_parts(config: &BrowserConfig) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !find_chromedriver(config.chromedriver.as_deref()).is_some_and(|path| path.is_file()) {
        missing.push("ChromeDriver");
    }
    if !find_chrome(config.chrome.as_deref()).is_some_and(|path| path.is_file()) {
        missing.push("Chromium");
    }
    missing
}

/// Whether packages may be installed here: `Some(false)` as root, `Some(true)` through `sudo`
/// that asks for no password, `None` otherwise or without `apt-get`.
fn may_install() -> Option<bool> {
    let succeeds = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !succeeds("apt-get", &["--version"]) {
        return None;
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.trim_ascii() == b"0");
    if root {
        Some(false)
    } else if succeeds("sudo", &["-n", "true"]) {
        Some(true)
    } else {
        None
    }
}

/// Installs the packages, through `sudo` when asked; whether it worked.
fn install_packages(sudo: bool) -> bool {
    let run = |args: &[&str]| {
        let mut command = if sudo { Command::new("sudo") } else { Command::new("apt-get") };
        if sudo {
            command.args(["-n", "apt-get"]);
        }
        // The packages' files are for every user, unlike councilbot's own.
        storage::files::let_share_new_files(&mut command);
        command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    run(&["update", "-qq"]) && run(&[&["install", "-y", "-qq"][..], &PACKAGES[..]].concat())
}
