//! The command line: one file per subcommand. Results go to stdout (one JSON document
//! with `--json`); notes, warnings and progress go to stderr.

mod client;
mod demo_tenant;
mod directory;
mod jobs;
mod output;
mod schedule;
mod scheduler;
mod sync;
mod validate;

pub use output::CliError;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::paths;
use crate::secrets::Backend;

/// Exit codes scripts rely on (see README).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const BLOCKED: u8 = 3;
    pub const ALREADY_RUNNING: u8 = 4;
}

#[derive(Debug, Parser)]
#[command(
    name = "usersync",
    version,
    about = "Keep your organisation's users and reporting hierarchy in step with Microsoft Entra ID.",
    long_about = "Keep your organisation's users and reporting hierarchy in step with Microsoft \
                  Entra ID.\n\nWithout a command, opens the desktop app. With a command, works \
                  as a command-line tool for scripts and servers.",
    after_help = "Exit codes: 0 done; 1 failed (auth, network, sync error); 2 bad input or \
                  usage; 3 blocked by the deletion guard; 4 already running."
)]
pub struct Cli {
    /// Folder for the database and logs [default: the OS data directory]
    #[arg(long, global = true, env = paths::DATA_DIR_ENV, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print one JSON document on stdout (camelCase fields) instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Where client secrets are kept: the OS keyring, or (opt-in, weaker) a 0600 file
    /// in the data directory for headless servers without a keyring
    #[arg(
        long,
        global = true,
        env = "USERSYNC_SECRET_STORE",
        value_name = "STORE",
        default_value = "os",
        value_parser = ["os", "file"]
    )]
    pub secret_store: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, change, list, show and remove saved clients (Entra app registrations)
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Sync a client's users and managers from Entra ID into the local directory
    Sync(sync::SyncArgs),
    /// The job history: what each sync did
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// What was synced: a client's users with their managers
    #[command(subcommand)]
    Directory(directory::DirectoryCommand),
    /// CRON schedules per client: list, show, add, edit, remove, and the next run times
    #[command(subcommand)]
    Schedule(schedule::ScheduleCommand),
    /// Run the active schedules until SIGINT/SIGTERM (Ctrl+C): the headless scheduler for
    /// servers; logs to stderr and <data-dir>/logs/scheduler.log
    Scheduler(scheduler::SchedulerArgs),
    /// Run the built-in demo tenant: a loopback Entra ID + Microsoft Graph to try every
    /// flow without an Azure subscription
    DemoTenant(demo_tenant::DemoTenantArgs),
}

/// Settings every subcommand shares.
pub struct Context {
    pub data_dir: PathBuf,
    pub json: bool,
    pub backend: Backend,
}

impl Cli {
    fn context(&self) -> Result<Context, CliError> {
        let data_dir =
            paths::resolve_data_dir(self.data_dir.as_deref()).map_err(CliError::failed)?;
        let backend = Backend::parse(&self.secret_store).unwrap_or(Backend::Os);
        Ok(Context {
            data_dir,
            json: self.json,
            backend,
        })
    }
}

/// Runs a parsed command line. Returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let json = cli.json;
    let result = cli.context().and_then(|ctx| match cli.command {
        Some(Command::Client(cmd)) => client::run(&ctx, cmd),
        Some(Command::Sync(args)) => sync::run(&ctx, args),
        Some(Command::Jobs(cmd)) => jobs::run(&ctx, cmd),
        Some(Command::Directory(cmd)) => directory::run(&ctx, cmd),
        Some(Command::Schedule(cmd)) => schedule::run(&ctx, cmd),
        Some(Command::Scheduler(args)) => scheduler::run(&ctx, args),
        Some(Command::DemoTenant(args)) => demo_tenant::run(&ctx, args),
        None => Ok(()),
    });
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(err) => {
            err.report(json);
            ExitCode::from(err.exit_code)
        }
    }
}
