//! `outreachd user create` and `outreachd token create`: bootstrapping access to the HTTP API
//! from the machine the daemon runs on. The rules live in `service::access`.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Settings;
use crate::domain::{EmailAddress, Role};
use crate::service::{self, access};
use crate::store::OpenMode;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user with a role in a workspace (created if it does not exist). The password
    /// is asked for on a terminal, or read as the first line of stdin.
    Create(UserCreateArgs),
}

#[derive(Debug, Args)]
pub struct UserCreateArgs {
    #[arg(long)]
    pub email: String,
    /// Workspace name.
    #[arg(long, short = 'w')]
    pub workspace: String,
    /// owner, admin, member or viewer.
    #[arg(long, default_value = "owner")]
    pub role: Role,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a machine; the secret is printed once.
    Create(TokenCreateArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// owner, admin, member or viewer.
    #[arg(long)]
    pub role: Role,
    /// What the token is for.
    #[arg(long)]
    pub name: String,
}

fn read_password() -> anyhow::Result<SecretString> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        return Ok(SecretString::from(first));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("read the password from stdin")?;
    Ok(SecretString::from(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

pub async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let UserCommand::Create(args) = command;
    let email =
        EmailAddress::parse(&args.email).with_context(|| format!("--email {:?}", args.email))?;
    let password = read_password()?;
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let ws = store.upsert_workspace(&args.workspace).await?.value;
    let user = access::create_user(store.as_ref(), &email, password, ws.id, args.role).await?;
    println!(
        "User {} created with the {} role in workspace {:?} (id {}).",
        user.email, args.role, ws.name, user.id
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn token(settings: &Settings, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create(args) = command;
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let ws = service::workspace(store.as_ref(), args.workspace.as_deref()).await?;
    let issued = access::create_token(store.as_ref(), ws.id, &args.name, args.role).await?;
    eprintln!(
        "Token {:?} ({} role, workspace {:?}) created; it is shown this once:",
        issued.info.name, issued.info.role, ws.name
    );
    println!("{}", issued.secret.expose_secret());
    Ok(ExitCode::SUCCESS)
}
