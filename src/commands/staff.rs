//! `councilbot staff`: the supervisor console's local accounts and API tokens.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use channels::console::accounts::{Accounts, Role};

use crate::cli::StaffCommand;
use crate::output::print_list;

pub fn run(database_url: &str, command: StaffCommand) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let accounts = Accounts::open(storage::Database::connect(database_url).await?).await?;
        match command {
            StaffCommand::Add { username, name, role } => {
                let role = parse_role(&role)?;
                let password = read_password()?;
                accounts.set_local(&username, name.as_deref().unwrap_or(&username), &password, role).await?;
                outln!("{username} can sign in to the console as {}", role.as_str());
            }
            StaffCommand::Remove { username } => {
                if !accounts.remove(&username).await? {
                    bail!("there is no account `{username}`");
                }
                outln!("removed {username}");
            }
            StaffCommand::List { json } => {
                let empty = "no accounts; add one with `councilbot staff add NAME --role admin`";
                print_list(&accounts.list().await?, json, empty, |account| {
                    format!(
                        "{:<24} {:<11} {:<6} {}{}",
                        account.username,
                        account.role.as_str(),
                        account.source,
                        account.display_name,
                        if account.sign_ins_slowed { " (sign-ins slowed after failed ones)" } else { "" }
                    )
                })?;
            }
            StaffCommand::Token { name, role } => {
                let token = accounts.create_token(&name, parse_role(&role)?).await?;
                outln!("{token}");
                eprintln!("send it as `Authorization: Bearer <token>`; it is shown only now");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn parse_role(text: &str) -> Result<Role> {
    match Role::parse(text) {
        Some(role @ (Role::Supervisor | Role::Editor | Role::Admin)) => Ok(role),
        _ => bail!("`{text}` is not a role: use supervisor, editor or admin"),
    }
}

/// The password from `COUNCILBOT_STAFF_PASSWORD`, or the first line of standard input.
fn read_password() -> Result<String> {
    if let Ok(password) = std::env::var("COUNCILBOT_STAFF_PASSWORD")
        && !password.is_empty()
    {
        return Ok(password);
    }
    eprintln!("password (at least 12 characters), then Enter:");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
