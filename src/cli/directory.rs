//! `usersync directory list CLIENT`: what the last sync stored, as a table, CSV or JSON.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::table;
use super::{CliError, Context};
use crate::model::DirectoryUser;
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

/// Graph property names for export, in `$select` order, then `managerId`.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "userPrincipalName",
    "mail",
    "jobTitle",
    "department",
    "officeLocation",
    "companyName",
    "employeeId",
    "mobilePhone",
    "businessPhones",
    "city",
    "country",
    "userType",
    "accountEnabled",
    "managerId",
];

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
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                users: Vec<ExportUser<'a>>,
            }
            let doc = Doc {
                users: users.iter().map(ExportUser::from).collect(),
            };
            let mut s = serde_json::to_string_pretty(&doc).map_err(CliError::failed)?;
            s.push('\n');
            s
        }
        Format::Csv => to_csv(&users),
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
            write_file(path, body.as_bytes())?;
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

/// Writes next to the target and renames over it, so a failed export never leaves a
/// truncated file in place of a good one.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail = |e: std::io::Error| {
        CliError::failed(anyhow::anyhow!("cannot write {}: {e}", path.display()))
    };
    let tmp = path.with_extension("tmp-usersync");
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// A user with Graph's property names plus `managerId`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportUser<'a> {
    id: &'a str,
    #[serde(flatten)]
    attributes: &'a crate::model::UserAttributes,
    manager_id: Option<&'a str>,
}

impl<'a> From<&'a DirectoryUser> for ExportUser<'a> {
    fn from(u: &'a DirectoryUser) -> Self {
        Self {
            id: &u.id,
            attributes: &u.attributes,
            manager_id: u.manager_id.as_deref(),
        }
    }
}

fn csv_field(out: &mut String, value: &str) {
    // Cells that a spreadsheet would run as a formula are prefixed with a quote.
    let guarded = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&guarded.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&guarded);
    }
}

pub fn to_csv(users: &[DirectoryUser]) -> String {
    let mut out = EXPORT_COLUMNS.join(",");
    out.push_str("\r\n");
    for u in users {
        let a = &u.attributes;
        let phones = a.business_phones.join("; ");
        let enabled = a.account_enabled.map(|b| b.to_string()).unwrap_or_default();
        let cells: [&str; 18] = [
            &u.id,
            a.display_name.as_deref().unwrap_or(""),
            a.given_name.as_deref().unwrap_or(""),
            a.surname.as_deref().unwrap_or(""),
            a.user_principal_name.as_deref().unwrap_or(""),
            a.mail.as_deref().unwrap_or(""),
            a.job_title.as_deref().unwrap_or(""),
            a.department.as_deref().unwrap_or(""),
            a.office_location.as_deref().unwrap_or(""),
            a.company_name.as_deref().unwrap_or(""),
            a.employee_id.as_deref().unwrap_or(""),
            a.mobile_phone.as_deref().unwrap_or(""),
            &phones,
            a.city.as_deref().unwrap_or(""),
            a.country.as_deref().unwrap_or(""),
            a.user_type.as_deref().unwrap_or(""),
            &enabled,
            u.manager_id.as_deref().unwrap_or(""),
        ];
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, cell);
        }
        out.push_str("\r\n");
    }
    out
}
