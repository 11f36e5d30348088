//! `councilbot staff`: the supervisor console's local accounts and API tokens, and the shared
//! service's staff with the councils each works for.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use channels::console::accounts::{Accounts, Role};
use channels::shared_service::memberships::{Membership, Memberships};

use crate::cli::StaffCommand;
use crate::output::print_list;

/// Runs a `staff` command on a council's accounts, or on the shared service's when `shared`
/// gives the ids of the deployment's councils.
pub fn run(database_url: &str, shared: Option<&[String]>, command: StaffCommand) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let database = storage::Database::connect(database_url).await?;
        let accounts = Accounts::open(database.clone()).await?;
        // For the shared service: the deployment's councils, and who works for which.
        let shared = match shared {
            Some(known) => Some((known, Memberships::open(database).await?)),
            None => None,
        };
        match command {
            StaffCommand::Add { username, name, role, councils } => {
                let role = parse_role(&role)?;
                let works_for = match &shared {
                    Some((known, _)) => Some(councils_of(&councils, role, known)?),
                    None if !councils.is_empty() => {
                        bail!("--councils is for the shared service's staff: add `--council shared`")
                    }
                    None => None,
                };
                let password = read_password()?;
                accounts.set_local(&username, name.as_deref().unwrap_or(&username), &password, role).await?;
                match (works_for, &shared) {
                    (Some(works_for), Some((_, memberships))) => {
                        memberships.set(username.trim(), &works_for).await?;
                        let each: Vec<String> = works_for
                            .iter()
                            .map(|membership| format!("{} ({})", membership.council, membership.role.as_str()))
                            .collect();
                        outln!("{username} can sign in to the shared service's console for {}", each.join(", "));
                    }
                    _ => outln!("{username} can sign in to the console as {}", role.as_str()),
                }
            }
            StaffCommand::Remove { username } => {
                if !accounts.remove(&username).await? {
                    bail!("there is no account `{username}`");
                }
                if let Some((_, memberships)) = &shared {
                    memberships.set(username.trim(), &[]).await?;
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
                if shared.is_some() {
                    bail!("the shared service has no API of its own: make tokens with `--council ID` for each council");
                }
                let token = accounts.create_token(&name, parse_role(&role)?).await?;
                outln!("{token}");
                eprintln!("send it as `Authorization: Bearer <token>`; it is shown only now");
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The councils a member of the shared service's staff works for, from `--councils`: each id
/// one of the deployment's, with its own role or `role`; every council when none is named.
fn councils_of(named: &[String], role: Role, known: &[String]) -> Result<Vec<Membership>> {
    if named.iter().all(|text| text.trim().is_empty()) {
        return Ok(known.iter().map(|council| Membership { council: council.clone(), role }).collect());
    }
    let mut councils: Vec<Membership> = Vec::new();
    for text in named.iter().map(|text| text.trim()).filter(|text| !text.is_empty()) {
        let (id, own_role) = match text.split_once('=') {
            Some((id, own)) => (id.trim(), parse_role(own.trim())?),
            None => (text, role),
        };
        if !known.iter().any(|council| council == id) {
            bail!("--councils: this deployment has no council `{id}`; its councils are {}", known.join(", "));
        }
        if councils.iter().any(|membership| membership.council == id) {
            bail!("--councils: `{id}` is named twice");
        }
        councils.push(Membership { council: id.to_string(), role: own_role });
    }
    Ok(councils)
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
