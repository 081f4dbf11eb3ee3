//! `usersync`: the desktop app without a command, the CLI with one.
// The Windows exe is a GUI app (no console window pops up); a CLI run from a terminal
// attaches to that terminal's console below.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

use clap::Parser;
use usersync::cli::{self, Cli};
use usersync::secrets::Backend;

fn main() -> ExitCode {
    attach_parent_console();
    let cli = Cli::parse();
    init_logging();
    if cli.command.is_none() {
        return run_gui(&cli);
    }
    cli::run(cli)
}

/// Opens the window. The CLI path never gets here, so it never initialises eframe.
fn run_gui(cli: &Cli) -> ExitCode {
    let data_dir = match usersync::paths::resolve_data_dir(cli.data_dir.as_deref()) {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(cli::exit::FAILED);
        }
    };
    let backend = Backend::parse(&cli.secret_store).unwrap_or(Backend::Os);
    match usersync::gui::run(data_dir, backend) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(cli::exit::FAILED)
        }
    }
}

/// On Windows, print to the console of the terminal that started us (if any).
fn attach_parent_console() {
    #[cfg(windows)]
    // SAFETY: AttachConsole has no preconditions; failure (no parent console, e.g.
    // started from Explorer) is harmless and ignored.
    unsafe {
        windows_sys::Win32::System::Console::AttachConsole(
            windows_sys::Win32::System::Console::ATTACH_PARENT_PROCESS,
        );
    }
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
