//! `usersync scheduler`: runs the active schedules until SIGINT / SIGTERM (Ctrl+C on
//! Windows). For servers; the desktop app runs the same service while it is open.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;

use super::{CliError, Context};
use crate::engine::{EngineConfig, EngineHandle, Event, SchedulerConfig, SchedulerLog};
use crate::model::JobStatus;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// How often the schedules are re-read from the database, in milliseconds (changes
    /// take effect within this)
    #[arg(long, default_value_t = 1000, value_name = "MS", hide = true)]
    pub tick_ms: u64,
}

pub fn run(ctx: &Context, args: SchedulerArgs) -> Result<(), CliError> {
    if !(100..=60_000).contains(&args.tick_ms) {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "--tick-ms {}: give 100-60000",
            args.tick_ms
        )));
    }
    // Fail early (exit 1) on a database this build cannot use.
    let store = Store::open_in(&ctx.data_dir)?;
    let none_yet = store.list_schedules(None)?.is_empty();
    drop(store);

    let log = Arc::new(SchedulerLog::open(&ctx.data_dir, true));
    let mut engine = EngineHandle::start(EngineConfig::new(ctx.data_dir.clone(), ctx.backend))
        .map_err(CliError::failed)?;
    if let Some(path) = log.path() {
        log.info(&format!(
            "usersync scheduler {} (pid {}); secrets from the {} store; log file {}",
            env!("CARGO_PKG_VERSION"),
            std::process::id(),
            ctx.backend.as_str(),
            path.display()
        ));
    }
    if none_yet {
        log.info(
            "no schedules yet: add one with `usersync schedule add --client NAME --name NAME \
             --cron EXPR`; it is picked up while this runs",
        );
    }
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    engine.runtime().spawn(async move {
        if super::sync::wait_for_stop_signal().await {
            flag.store(true, Ordering::SeqCst);
        }
    });
    engine.start_scheduler(SchedulerConfig {
        tick: Duration::from_millis(args.tick_ms),
        log: Some(log.clone()),
        ..SchedulerConfig::default()
    });
    while !stop.load(Ordering::SeqCst) {
        if let Some(event) = engine.event_timeout(Duration::from_millis(200)) {
            report(&log, &event);
        }
    }
    log.info("stop requested; running syncs are cancelled (nothing of them is applied)");
    engine.stop_scheduler();
    let deadline = Instant::now() + Duration::from_secs(5);
    while engine.scheduler_status().running && Instant::now() < deadline {
        if let Some(event) = engine.event_timeout(Duration::from_millis(50)) {
            report(&log, &event);
        }
    }
    // Dropping the engine cancels running jobs and waits briefly for them to record it.
    let running = engine.running_clients().len();
    drop(engine);
    if running > 0 {
        log.info(&format!("{running} running sync(s) were cancelled"));
    }
    log.info("exiting");
    Ok(())
}

fn report(log: &SchedulerLog, event: &Event) {
    if let Event::JobFinished(o) = event {
        let c = &o.counts;
        let line = format!(
            "job {} ({}, {} {}) {}: {} added, {} updated, {} disabled, {} re-enabled, {} deleted, \
             {} restored, {} manager changes; {} users in {:.1} s{}",
            o.job,
            o.client_name,
            o.trigger,
            o.kind,
            o.status,
            c.added,
            c.updated,
            c.disabled,
            c.enabled,
            c.deleted,
            c.restored,
            c.manager_changed,
            o.users_read,
            o.duration_ms as f64 / 1000.0,
            o.error_message
                .as_deref()
                .map(|m| format!(" — {m}"))
                .unwrap_or_default()
        );
        match o.status {
            JobStatus::Succeeded => log.info(&line),
            JobStatus::Cancelled | JobStatus::Blocked | JobStatus::Skipped => log.warn(&line),
            _ => log.error(&line),
        }
    }
}
