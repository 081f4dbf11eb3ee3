//! `usersync sync NAME`: one sync through the engine, with a progress line on stderr.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;

use super::output::print_json;
use super::{CliError, Context, exit};
use crate::engine::{EngineConfig, EngineHandle, Event, JobOutcome, SyncRefusal, SyncRequest};
use crate::model::{JobStatus, Trigger};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The client's name
    pub name: String,
    /// Ignore the saved deltaLink and read every user (a fresh delta round)
    #[arg(long)]
    pub full: bool,
    /// Compute and record the plan as a job, apply nothing, keep the deltaLink
    #[arg(long)]
    pub dry_run: bool,
    /// Apply a plan even if it deletes or disables more users than the deletion guard
    /// allows (after reviewing a blocked job)
    #[arg(long)]
    pub allow_deletes: bool,
}

pub fn run(ctx: &Context, args: SyncArgs) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let client = store.client_by_name(&args.name)?;
    drop(store);
    let mut engine = EngineHandle::start(EngineConfig::new(ctx.data_dir.clone(), ctx.backend))
        .map_err(CliError::failed)?;
    let mut request = SyncRequest::new(client.key, Trigger::Cli);
    request.full = args.full;
    request.dry_run = args.dry_run;
    request.allow_deletes = args.allow_deletes;
    let answer = engine.start_sync(request);
    let job = match engine.runtime().block_on(answer) {
        Ok(Ok(job)) => job,
        Ok(Err(refusal)) => return Err(refusal_error(refusal)),
        Err(_) => return Err(refusal_error(SyncRefusal::EngineStopped)),
    };
    // Ctrl+C (or SIGTERM) cancels between pages; the job records `cancelled`.
    let (stop_tx, mut stop_rx) = tokio::sync::mpsc::channel::<()>(1);
    engine.runtime().spawn(async move {
        if wait_for_stop_signal().await {
            let _ = stop_tx.send(()).await;
        }
    });
    let show_progress = std::io::stderr().is_terminal() && !ctx.json;
    let mut cancelled = false;
    let outcome = loop {
        if !cancelled && stop_rx.try_recv().is_ok() {
            eprintln!("\nCancelling…");
            engine.cancel(job);
            cancelled = true;
        }
        match engine.event_timeout(Duration::from_millis(200)) {
            Some(Event::JobProgress(p)) if p.job == job && show_progress => {
                let secs = (p.elapsed_ms as f64 / 1000.0).max(0.001);
                eprint!(
                    "\r\x1b[2K{}: {} — {} pages, {} users ({:.0} users/s)",
                    client.name,
                    p.phase.label(),
                    p.pages,
                    p.users,
                    p.users as f64 / secs
                );
            }
            Some(Event::JobFinished(o)) if o.job == job => break o,
            _ => {}
        }
    };
    if show_progress {
        eprint!("\r\x1b[2K");
    }
    report(ctx, &outcome)
}

fn refusal_error(refusal: SyncRefusal) -> CliError {
    let code = match &refusal {
        SyncRefusal::AlreadyRunning { .. } => exit::ALREADY_RUNNING,
        SyncRefusal::Inactive(_) | SyncRefusal::NotFound => exit::BAD_INPUT,
        _ => exit::FAILED,
    };
    CliError::new(code, refusal)
}

fn report(ctx: &Context, o: &JobOutcome) -> Result<(), CliError> {
    let c = &o.counts;
    let secs = o.duration_ms as f64 / 1000.0;
    eprintln!(
        "Job {} ({}, {}): {} — {} added, {} updated, {} disabled, {} re-enabled, {} deleted, \
         {} restored, {} manager changes, {} unchanged; {} users in {} pages, {secs:.1} s. \
         Details: usersync jobs show {}",
        o.job,
        o.client_name,
        o.kind,
        o.status,
        c.added,
        c.updated,
        c.disabled,
        c.enabled,
        c.deleted,
        c.restored,
        c.manager_changed,
        c.unchanged,
        o.users_read,
        o.pages,
        o.job
    );
    if ctx.json {
        print_json(o);
    }
    let message = o.error_message.clone().unwrap_or_default();
    match o.status {
        JobStatus::Succeeded => Ok(()),
        JobStatus::Blocked => Err(CliError::new(exit::BLOCKED, anyhow::anyhow!(message))
            .with_code(o.error_code.clone())
            .quiet(ctx.json)),
        _ => Err(CliError::failed(anyhow::anyhow!(message))
            .with_code(o.error_code.clone())
            .quiet(ctx.json)),
    }
}

/// True once Ctrl+C (or SIGTERM on Unix) arrives.
pub(crate) async fn wait_for_stop_signal() -> bool {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return tokio::signal::ctrl_c().await.is_ok();
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            _ = term.recv() => true,
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.is_ok()
    }
}
