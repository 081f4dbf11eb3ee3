//! `usersync`: the desktop app without a command, the CLI with one.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use usersync::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    if cli.command.is_none() {
        // The desktop app arrives with the GUI issue; until then, explain the CLI.
        let _ = Cli::command().print_help();
        return ExitCode::SUCCESS;
    }
    cli::run(cli)
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: warnings).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
