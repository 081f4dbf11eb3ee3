//! `usersync directory list CLIENT`: what the last sync stored, as a table, CSV or JSON.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::output::table;
use super::{CliError, Context};
use crate::export;
use crate::store::{Store, Which};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct DirectoryListArgs {
    /// The client's name
    pub client: String,
    /// Output format [default: table; json with --json]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum DirectoryCommand {
    /// List the client's active users (deleted users are not listed)
    List(DirectoryListArgs),
}

pub fn run(ctx: &Context, cmd: DirectoryCommand) -> Result<(), CliError> {
    let DirectoryCommand::List(args) = cmd;
    let store = Store::open_in(&ctx.data_dir)?;
    let client = store.client_by_name(&args.client)?;
    let users = store.directory_users(client.key, Which::Active)?;
    let format = args.format.unwrap_or(if ctx.json {
        Format::Json
    } else {
        Format::Table
    });
    let body = match format {
        Format::Json => export::users_json(&users).map_err(CliError::failed)?,
        Format::Csv => export::users_csv(&users),
        Format::Table => {
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    let a = &u.attributes;
                    vec![
                        a.display_name.clone().unwrap_or_default(),
                        a.user_principal_name.clone().unwrap_or_default(),
                        a.job_title.clone().unwrap_or_default(),
                        a.department.clone().unwrap_or_default(),
                        match a.account_enabled {
                            Some(false) => "disabled".into(),
                            _ => "enabled".into(),
                        },
                        u.manager_id.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            table(
                &[
                    "DISPLAY NAME",
                    "UPN",
                    "JOB TITLE",
                    "DEPARTMENT",
                    "ACCOUNT",
                    "MANAGER ID",
                ],
                &rows,
            )
        }
    };
    match &args.output {
        Some(path) => {
            export::write_atomic(path, body.as_bytes()).map_err(|e| {
                CliError::failed(anyhow::anyhow!("cannot write {}: {e}", path.display()))
            })?;
            eprintln!("Wrote {} users to {}.", users.len(), path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = out.write_all(body.as_bytes());
        }
    }
    Ok(())
}
