//! `usersync client …`: saved clients (Entra app registrations).

use std::io::Read;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{print_json, table};
use super::validate as validation;
use super::{CliError, Context};
use crate::client_input::{
    ClientForm, FieldError, FieldName, InputErrors, ValidClient, secret_warning,
};
use crate::client_service::{self as service, ClientServiceError, SaveTarget};
use crate::graph::ValidationReport;
use crate::model::{Client, ClientKey, Cloud, DeletionGuard, Endpoints, Secret, ValidationRecord};
use crate::secrets::SecretStore;
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// List saved clients
    List,
    /// Show one client: its settings, the endpoints it uses and whether a secret is stored
    Show {
        /// The client's name (case does not matter)
        name: String,
    },
    /// Save a new client. The secret is read from stdin or an environment variable,
    /// never from an argument (arguments are visible to other users of the machine)
    Add(AddArgs),
    /// Change a saved client; flags not given keep their value (and the stored secret
    /// is kept unless a new one is given)
    Edit(EditArgs),
    /// Remove a client with its secret, directory and schedules (job history stays)
    Remove {
        /// The client's name
        name: String,
    },
    /// Check that a saved client works: sign in, read one user (User.Read.All), read the
    /// tenant name (optional) and, for Azure SSO clients, the OpenID configuration
    Validate {
        /// The client's name
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct SecretSource {
    /// Read the client secret value from standard input (one trailing newline is dropped)
    #[arg(long, conflicts_with = "secret_env")]
    pub secret_stdin: bool,
    /// Read the client secret value from this environment variable
    #[arg(long, value_name = "VAR")]
    pub secret_env: Option<String>,
}

#[derive(Debug, Args)]
pub struct CloudArgs {
    /// The Microsoft cloud: global, usgov (GCC High), usgov-dod (DoD), china (21Vianet), or
    /// custom (give --authority-url and --graph-url)
    #[arg(long, value_name = "CLOUD", value_parser = ["global", "usgov", "usgov-dod", "china", "custom"])]
    pub cloud: Option<String>,
    /// Sign-in base URL for --cloud custom, e.g. https://login.example.com (plain http only
    /// to this machine)
    #[arg(long, value_name = "URL")]
    pub authority_url: Option<String>,
    /// Microsoft Graph base URL for --cloud custom, e.g. https://graph.example.com
    #[arg(long, value_name = "URL")]
    pub graph_url: Option<String>,
    /// Deletion guard: block a sync that would delete or disable more than this many users
    /// [default: 500]
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub guard_max_users: Option<i64>,
    /// Deletion guard: block a sync that would delete or disable more than this percentage
    /// of the directory [default: 20]
    #[arg(long, value_name = "PERCENT", allow_negative_numbers = true)]
    pub guard_max_percent: Option<i64>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("secret_source").required(true).args(["secret_stdin", "secret_env"])))]
pub struct AddArgs {
    /// A unique name for the client (1–100 characters)
    #[arg(long)]
    pub name: String,
    /// Directory (tenant) ID — a GUID — or a tenant domain such as contoso.onmicrosoft.com
    #[arg(long, value_name = "TENANT")]
    pub tenant_id: String,
    /// Application (client) ID of the app registration (a GUID)
    #[arg(long, value_name = "GUID")]
    pub client_id: String,
    #[command(flatten)]
    pub secret: SecretSource,
    /// Save the client as inactive (it will not sync until activated)
    #[arg(long)]
    pub inactive: bool,
    /// Mark as an Azure SSO client: synced users carry an SSO identity
    #[arg(long)]
    pub azure_sso: bool,
    #[command(flatten)]
    pub cloud: CloudArgs,
    /// Validate against Entra ID first and save only if validation passes
    #[arg(long)]
    pub validate: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The client's current name
    pub name: String,
    /// Give the client a new name (its secret and history stay with it)
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
    /// New Directory (tenant) ID or tenant domain
    #[arg(long, value_name = "TENANT")]
    pub tenant_id: Option<String>,
    /// New Application (client) ID
    #[arg(long, value_name = "GUID")]
    pub client_id: Option<String>,
    #[command(flatten)]
    pub secret: SecretSource,
    /// Make the client active
    #[arg(long, conflicts_with = "inactive")]
    pub active: bool,
    /// Make the client inactive
    #[arg(long)]
    pub inactive: bool,
    /// Make it an Azure SSO client
    #[arg(long, conflicts_with = "no_azure_sso")]
    pub azure_sso: bool,
    /// Make it a non-SSO client
    #[arg(long)]
    pub no_azure_sso: bool,
    #[command(flatten)]
    pub cloud: CloudArgs,
    /// Validate the changed settings first and save only if validation passes
    #[arg(long)]
    pub validate: bool,
}

pub fn run(ctx: &Context, cmd: ClientCommand) -> Result<(), CliError> {
    match cmd {
        ClientCommand::List => list(ctx),
        ClientCommand::Show { name } => show(ctx, &name),
        ClientCommand::Add(args) => add(ctx, args),
        ClientCommand::Edit(args) => edit(ctx, args),
        ClientCommand::Remove { name } => remove(ctx, &name),
        ClientCommand::Validate { name } => validate_saved(ctx, &name),
    }
}

/// Reads the secret from the chosen source. `Ok(None)`: no source given. A problem with
/// the source is reported with the other field errors.
fn read_secret(src: &SecretSource) -> Result<Option<String>, FieldError> {
    let bad = |message: String| FieldError {
        field: FieldName::Secret,
        message,
    };
    if src.secret_stdin {
        let mut raw = String::new();
        std::io::stdin()
            .read_to_string(&mut raw)
            .map_err(|e| bad(format!("cannot read it from stdin: {e}")))?;
        // A pipe or heredoc adds a line ending that is not part of the secret.
        let trimmed = raw
            .strip_suffix("\r\n")
            .or_else(|| raw.strip_suffix('\n'))
            .unwrap_or(&raw);
        return Ok(Some(trimmed.to_string()));
    }
    if let Some(var) = &src.secret_env {
        return match std::env::var(var) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Err(bad(format!(
                "the environment variable {var} is not set; export it first"
            ))),
            Err(std::env::VarError::NotUnicode(_)) => Err(bad(format!(
                "the environment variable {var} is not valid UTF-8"
            ))),
        };
    }
    Ok(None)
}

/// The secret store that holds this client's secret, or a clear error if this run was
/// started with the other one.
fn secrets_for(ctx: &Context, store: &Store, key: ClientKey) -> Result<SecretStore, CliError> {
    Ok(service::secrets_for(
        store,
        ctx.backend,
        &ctx.data_dir,
        key,
    )?)
}

impl From<ClientServiceError> for CliError {
    fn from(e: ClientServiceError) -> Self {
        match e {
            ClientServiceError::Store(e) => e.into(),
            ClientServiceError::Secret(e) => e.into(),
            ClientServiceError::SecretRequired | ClientServiceError::NotFound => {
                CliError::bad_input(e)
            }
        }
    }
}

/// Checks the form; a problem reading the secret joins the field errors.
fn check_form(
    mut form: ClientForm,
    secret: Result<Option<String>, FieldError>,
    adding: bool,
) -> Result<crate::client_input::ValidClient, CliError> {
    let source_error = match secret {
        Ok(s) => {
            form.secret = s;
            None
        }
        Err(e) => {
            // Placeholder so the secret rule itself does not report a second error.
            form.secret = Some("-".into());
            Some(e)
        }
    };
    match (form.check(adding), source_error) {
        (Ok(valid), None) => Ok(valid),
        (Ok(_), Some(e)) => Err(InputErrors(vec![e]).into()),
        (Err(mut errors), e) => {
            errors
                .0
                .retain(|f| f.field != FieldName::Secret || e.is_none());
            errors.0.extend(e);
            Err(errors.into())
        }
    }
}

fn add(ctx: &Context, args: AddArgs) -> Result<(), CliError> {
    let secret = read_secret(&args.secret);
    let guard = DeletionGuard::default();
    let form = ClientForm {
        name: args.name,
        tenant_id: args.tenant_id,
        client_id: args.client_id,
        secret: None,
        cloud: args.cloud.cloud.unwrap_or_else(|| "global".into()),
        authority_url: args.cloud.authority_url,
        graph_url: args.cloud.graph_url,
        active: !args.inactive,
        azure_sso: args.azure_sso,
        guard_max_users: args
            .cloud
            .guard_max_users
            .unwrap_or(i64::from(guard.max_users)),
        guard_max_percent: args
            .cloud
            .guard_max_percent
            .unwrap_or(i64::from(guard.max_percent)),
    };
    let valid = check_form(form, secret, true)?;
    let Some(secret) = valid.secret.clone() else {
        return Err(CliError::bad_input(anyhow::anyhow!("Secret: required")));
    };
    warn_secret(&secret);
    let store = Store::open_in(&ctx.data_dir)?;
    if store.find_client(&valid.name)?.is_some() {
        return Err(crate::store::StoreError::DuplicateClientName(valid.name).into());
    }
    let report = if args.validate {
        eprintln!("Validating \"{}\"…", valid.name);
        Some(validate_first(ctx, &valid, secret)?)
    } else {
        None
    };
    let record = report.as_ref().map(service::validation_record);
    let saved = service::save_client(
        &store,
        ctx.backend,
        &ctx.data_dir,
        SaveTarget::New,
        &valid,
        record.as_ref(),
    )?;
    eprintln!(
        "Saved client \"{}\"; its secret is in the {}.",
        saved.client.name, saved.secret_store
    );
    print_saved(
        ctx,
        &saved.client,
        Some(true),
        saved.secret_store,
        report.as_ref(),
    );
    Ok(())
}

/// Validates settings before they are saved; a failure ends the command, nothing saved.
fn validate_first(
    ctx: &Context,
    valid: &ValidClient,
    secret: Secret,
) -> Result<ValidationReport, CliError> {
    let report = validation::run_validation(
        &valid.cloud,
        &valid.tenant_id,
        &valid.client_id,
        secret,
        valid.azure_sso,
    )?;
    validation::print_report(&report, ctx.json && !report.ok);
    if !report.ok {
        return Err(validation::failure(&report, false).quiet(ctx.json));
    }
    Ok(report)
}

/// The `--json` document of a saved client, with its validation if one ran.
fn print_saved(
    ctx: &Context,
    client: &Client,
    secret_stored: Option<bool>,
    secret_store: String,
    report: Option<&ValidationReport>,
) {
    if !ctx.json {
        return;
    }
    let view = ClientView::new(client, secret_stored, secret_store);
    match report {
        Some(validation) => print_json(&validation::SavedWithValidation {
            client: view,
            validation,
        }),
        None => print_json(&view),
    }
}

fn warn_secret(secret: &Secret) {
    if let Some(w) = secret_warning(secret) {
        eprintln!("warning: {w}");
    }
}

fn edit(ctx: &Context, args: EditArgs) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let current = store.client_by_name(&args.name)?;
    let secret = read_secret(&args.secret);
    let (cur_cloud, cur_auth, cur_graph) = match &current.cloud {
        Cloud::Custom {
            authority_url,
            graph_url,
        } => (
            "custom",
            Some(authority_url.clone()),
            Some(graph_url.clone()),
        ),
        other => (other.slug(), None, None),
    };
    let cloud = args
        .cloud
        .cloud
        .clone()
        .unwrap_or_else(|| cur_cloud.to_string());
    // Custom URLs carry over only while the client stays custom.
    let keep_urls = cloud == "custom";
    let form = ClientForm {
        name: args.rename.clone().unwrap_or_else(|| current.name.clone()),
        tenant_id: args
            .tenant_id
            .clone()
            .unwrap_or_else(|| current.tenant_id.clone()),
        client_id: args
            .client_id
            .clone()
            .unwrap_or_else(|| current.client_id.clone()),
        secret: None,
        authority_url: args
            .cloud
            .authority_url
            .clone()
            .or(if keep_urls { cur_auth } else { None }),
        graph_url: args
            .cloud
            .graph_url
            .clone()
            .or(if keep_urls { cur_graph } else { None }),
        cloud,
        active: if args.active {
            true
        } else if args.inactive {
            false
        } else {
            current.active
        },
        azure_sso: if args.azure_sso {
            true
        } else if args.no_azure_sso {
            false
        } else {
            current.azure_sso
        },
        guard_max_users: args
            .cloud
            .guard_max_users
            .unwrap_or(i64::from(current.guard.max_users)),
        guard_max_percent: args
            .cloud
            .guard_max_percent
            .unwrap_or(i64::from(current.guard.max_percent)),
    };
    let valid = check_form(form, secret, false)?;
    if let Some(s) = &valid.secret {
        warn_secret(s);
    }
    if !valid.name.eq_ignore_ascii_case(&current.name) && store.find_client(&valid.name)?.is_some()
    {
        return Err(crate::store::StoreError::DuplicateClientName(valid.name).into());
    }
    let target = SaveTarget::Existing(current.key);
    let report = if args.validate {
        let secret = service::secret_for_validation(
            &store,
            ctx.backend,
            &ctx.data_dir,
            target,
            valid.secret.as_ref(),
        )?;
        eprintln!("Validating \"{}\"…", valid.name);
        Some(validate_first(ctx, &valid, secret)?)
    } else {
        None
    };
    let record = report.as_ref().map(service::validation_record);
    let saved = service::save_client(
        &store,
        ctx.backend,
        &ctx.data_dir,
        target,
        &valid,
        record.as_ref(),
    )?;
    let secret_note = if saved.secret_stored {
        "the new secret is stored"
    } else {
        "the stored secret was kept"
    };
    eprintln!("Saved client \"{}\"; {secret_note}.", saved.client.name);
    if ctx.json {
        let has = secrets_for(ctx, &store, saved.client.key)
            .and_then(|s| Ok(s.contains(saved.client.key)?))
            .ok();
        print_saved(ctx, &saved.client, has, saved.secret_store, report.as_ref());
    }
    Ok(())
}

fn validate_saved(ctx: &Context, name: &str) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let client = store.client_by_name(name)?;
    let secrets = secrets_for(ctx, &store, client.key)?;
    let secret = secrets.require(client.key)?;
    eprintln!("Validating \"{}\"…", client.name);
    let report = validation::run_validation(
        &client.cloud,
        &client.tenant_id,
        &client.client_id,
        secret,
        client.azure_sso,
    )?;
    store.record_validation(client.key, &service::validation_record(&report))?;
    validation::print_report(&report, ctx.json);
    if report.ok {
        Ok(())
    } else {
        Err(validation::failure(&report, true).quiet(ctx.json))
    }
}

fn remove(ctx: &Context, name: &str) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let key = store.client_by_name(name)?.key;
    // The secret is deleted while the row's removal is uncommitted: if the keyring
    // refuses, the row stays and the admin can retry.
    let client = service::remove_client(&store, ctx.backend, &ctx.data_dir, key)?;
    eprintln!("Removed client \"{}\" and its secret.", client.name);
    if ctx.json {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Removed<'a> {
            removed: &'a str,
            id: ClientKey,
        }
        print_json(&Removed {
            removed: &client.name,
            id: client.key,
        });
    }
    Ok(())
}

/// How a client is shown: never the secret, only whether one is stored.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClientView<'a> {
    name: &'a str,
    id: ClientKey,
    tenant_id: &'a str,
    client_id: &'a str,
    active: bool,
    azure_sso: bool,
    cloud: &'static str,
    endpoints: EndpointsView,
    deletion_guard: DeletionGuard,
    secret_stored: Option<bool>,
    secret_store: String,
    last_validation: Option<&'a ValidationRecord>,
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EndpointsView {
    authority_url: String,
    token_url: String,
    graph_url: String,
    users_url: String,
}

impl EndpointsView {
    fn new(e: &Endpoints, tenant: &str) -> Self {
        Self {
            token_url: format!("{}/{}/oauth2/v2.0/token", e.authority_url, tenant),
            users_url: format!("{}/v1.0/users", e.graph_url),
            authority_url: e.authority_url.clone(),
            graph_url: e.graph_url.clone(),
        }
    }
}

impl<'a> ClientView<'a> {
    fn new(c: &'a Client, secret_stored: Option<bool>, secret_store: String) -> Self {
        Self {
            name: &c.name,
            id: c.key,
            tenant_id: &c.tenant_id,
            client_id: &c.client_id,
            active: c.active,
            azure_sso: c.azure_sso,
            cloud: c.cloud.slug(),
            endpoints: EndpointsView::new(&c.cloud.endpoints(), &c.tenant_id),
            deletion_guard: c.guard,
            secret_stored,
            secret_store,
            last_validation: c.last_validation.as_ref(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn validation_text(v: Option<&ValidationRecord>) -> String {
    match v {
        None => "never".into(),
        Some(v) => format!(
            "{} at {} — {}",
            if v.ok { "passed" } else { "failed" },
            v.at.format("%Y-%m-%d %H:%M UTC"),
            v.summary
        ),
    }
}

fn list(ctx: &Context) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let clients = store.list_clients()?;
    if ctx.json {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Row<'a> {
            name: &'a str,
            id: ClientKey,
            tenant_id: &'a str,
            client_id: &'a str,
            active: bool,
            azure_sso: bool,
            cloud: &'static str,
            last_validation: Option<&'a ValidationRecord>,
        }
        let rows: Vec<Row<'_>> = clients
            .iter()
            .map(|c| Row {
                name: &c.name,
                id: c.key,
                tenant_id: &c.tenant_id,
                client_id: &c.client_id,
                active: c.active,
                azure_sso: c.azure_sso,
                cloud: c.cloud.slug(),
                last_validation: c.last_validation.as_ref(),
            })
            .collect();
        #[derive(Serialize)]
        struct Doc<'a> {
            clients: Vec<Row<'a>>,
        }
        print_json(&Doc { clients: rows });
        return Ok(());
    }
    if clients.is_empty() {
        eprintln!("No clients saved yet. Add one with `usersync client add --help`.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = clients
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.tenant_id.clone(),
                c.client_id.clone(),
                c.cloud.slug().to_string(),
                yes_no(c.active).to_string(),
                yes_no(c.azure_sso).to_string(),
                match &c.last_validation {
                    None => "never".into(),
                    Some(v) => format!(
                        "{} {}",
                        if v.ok { "ok" } else { "failed" },
                        v.at.format("%Y-%m-%d %H:%M")
                    ),
                },
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "NAME",
                "TENANT ID",
                "CLIENT ID",
                "CLOUD",
                "ACTIVE",
                "AZURE SSO",
                "VALIDATED"
            ],
            &rows
        )
    );
    Ok(())
}

fn show(ctx: &Context, name: &str) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let client = store.client_by_name(name)?;
    let secrets = secrets_for(ctx, &store, client.key)?;
    // Showing works even when the keyring is unreachable; it then says "unknown".
    let (stored, stored_text) = match secrets.contains(client.key) {
        Ok(true) => (Some(true), "yes".to_string()),
        Ok(false) => (
            Some(false),
            "NO — set one with `usersync client edit NAME --secret-stdin`".to_string(),
        ),
        Err(e) => (None, format!("unknown ({e})")),
    };
    let view = ClientView::new(&client, stored, secrets.describe());
    if ctx.json {
        print_json(&view);
        return Ok(());
    }
    let e = &view.endpoints;
    println!("Name:            {}", client.name);
    println!("Id:              {}", client.key);
    println!("Tenant Id:       {}", client.tenant_id);
    println!("Client Id:       {}", client.client_id);
    println!("Active:          {}", yes_no(client.active));
    println!("Azure SSO:       {}", yes_no(client.azure_sso));
    println!(
        "Cloud:           {} ({})",
        client.cloud.slug(),
        client.cloud.label()
    );
    println!("Sign-in (token): {}", e.token_url);
    println!("Graph:           {}", e.graph_url);
    println!(
        "Deletion guard:  at most {} users or {}% of the directory, whichever is smaller",
        client.guard.max_users, client.guard.max_percent
    );
    println!("Secret stored:   {stored_text}");
    println!("Secret store:    {}", view.secret_store);
    println!(
        "Last validation: {}",
        validation_text(client.last_validation.as_ref())
    );
    println!(
        "Created:         {}",
        client.created_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    println!(
        "Updated:         {}",
        client.updated_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    Ok(())
}
