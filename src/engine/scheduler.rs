//! The scheduler service: a task on the engine runtime that runs the active schedules.
//!
//! Every tick it reloads the schedules from the database (so adding, editing,
//! deactivating or removing one takes effect without a restart), works out which fire
//! time is due, claims `(schedule, fire time)` in `schedule_fires` — an INSERT on the
//! primary key, so of several schedulers sharing the database (the app and a headless
//! `usersync scheduler`) exactly one wins each fire time — and starts the sync through
//! the engine with trigger `scheduled` and the schedule's name on the job.
//!
//! Inactive schedules and schedules of inactive clients never run. A fire time that
//! meets a running sync of its client is recorded as a `skipped` job (by the job
//! runner). Fire times missed while no scheduler was running are not replayed: only the
//! latest runs, once, marked as a catch-up in `schedule_fires`, the job log and the
//! scheduler log.

mod log;
mod service;

pub use log::SchedulerLog;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Command, Shared};
use service::Service;

/// How the scheduler runs.
#[derive(Clone)]
pub struct SchedulerConfig {
    /// How often the schedules are re-read from the database; edits take effect within
    /// this. The scheduler also wakes at each fire time.
    pub tick: Duration,
    /// A fire time found later than this after it passed runs as a catch-up.
    pub grace: Duration,
    /// Where the log lines go (default: `<data-dir>/logs/scheduler.log` and `tracing`).
    pub log: Option<Arc<SchedulerLog>>,
    /// This scheduler's name in `schedule_fires.claimed_by`.
    pub instance: String,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            grace: Duration::from_secs(30),
            log: None,
            instance: default_instance(),
        }
    }
}

impl std::fmt::Debug for SchedulerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerConfig")
            .field("tick", &self.tick)
            .field("grace", &self.grace)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// `host:pid:random`, unique even for two engines in one process.
pub fn default_instance() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "{}:{}:{}",
        crate::store::jobs::this_host(),
        std::process::id(),
        &id[..8]
    )
}

/// The next run the scheduler knows of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextRun {
    pub schedule: String,
    pub client: String,
    pub at: DateTime<Utc>,
}

/// What a status bar shows: on or off, and what comes next.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchedulerStatus {
    pub running: bool,
    pub started_at: Option<DateTime<Utc>>,
    /// Active schedules of active clients at the last tick.
    pub active_schedules: usize,
    pub next_run: Option<NextRun>,
    /// Fire times this scheduler claimed since it started.
    pub runs_claimed: u64,
    /// The last problem reading the schedules, cleared by the next good tick.
    pub last_error: Option<String>,
}

impl SchedulerStatus {
    /// One line, e.g. "Scheduler on · 2 schedules · next: Nightly (Contoso) at 02:00 UTC".
    pub fn summary(&self) -> String {
        if !self.running {
            return "Scheduler off".to_string();
        }
        let mut out = format!(
            "Scheduler on · {} schedule{}",
            self.active_schedules,
            if self.active_schedules == 1 { "" } else { "s" }
        );
        if let Some(next) = &self.next_run {
            out.push_str(&format!(
                " · next: {} ({}) at {}",
                next.schedule,
                next.client,
                next.at.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        if let Some(e) = &self.last_error {
            out.push_str(&format!(" · problem: {e}"));
        }
        out
    }
}

struct Running {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// The engine's scheduler slot: at most one scheduler per engine.
#[derive(Default)]
pub(crate) struct Scheduler {
    status: Arc<Mutex<SchedulerStatus>>,
    running: Mutex<Option<Running>>,
}

impl Scheduler {
    /// Starts the service; `false` when it already runs.
    pub(crate) fn start(
        &self,
        runtime: &tokio::runtime::Handle,
        shared: Arc<Shared>,
        commands: mpsc::Sender<Command>,
        config: SchedulerConfig,
    ) -> bool {
        let Ok(mut slot) = self.running.lock() else {
            return false;
        };
        if slot.as_ref().is_some_and(|r| !r.task.is_finished()) {
            return false;
        }
        let stop = CancellationToken::new();
        if let Ok(mut s) = self.status.lock() {
            *s = SchedulerStatus {
                running: true,
                started_at: Some(Utc::now()),
                ..SchedulerStatus::default()
            };
        }
        let service = Service {
            log: config
                .log
                .clone()
                .unwrap_or_else(|| Arc::new(SchedulerLog::open(&shared.config.data_dir, false))),
            shared,
            commands,
            config,
            status: self.status.clone(),
        };
        let task = runtime.spawn(service.run(stop.clone()));
        *slot = Some(Running { stop, task });
        true
    }

    /// Asks the service to stop after its current tick; returns at once.
    pub(crate) fn stop(&self) {
        if let Ok(slot) = self.running.lock()
            && let Some(r) = slot.as_ref()
        {
            r.stop.cancel();
        }
    }

    pub(crate) fn status(&self) -> SchedulerStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
