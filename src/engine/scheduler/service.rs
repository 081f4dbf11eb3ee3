//! The service loop: reload, claim due fire times, start the syncs, record outcomes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::super::{Command, Event, Shared, SyncRefusal, SyncRequest};
use super::{NextRun, SchedulerConfig, SchedulerLog, SchedulerStatus};
use crate::model::{JobKind, JobStatus, Trigger};
use crate::schedule::{Due, Schedule, fire_time_text};
use crate::store::jobs::{JobEnd, NewJob};
use crate::store::schedules::{ScheduleId, ScheduleRecord};

pub(super) struct Service {
    pub(super) shared: Arc<Shared>,
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) config: SchedulerConfig,
    pub(super) status: Arc<Mutex<SchedulerStatus>>,
    pub(super) log: Arc<SchedulerLog>,
}

/// A parsed schedule, kept while its expression and zone stay the same.
struct Cached {
    cron: String,
    timezone: String,
    parsed: Result<Schedule, String>,
}

/// (id, cron, zone, last change) of a runnable schedule: tells ticks apart.
type Fingerprint = (ScheduleId, String, String, DateTime<Utc>);

/// What one tick found.
#[derive(Default)]
struct TickResult {
    claimed: Vec<(ScheduleRecord, Due)>,
    active: usize,
    next_run: Option<NextRun>,
    /// (id, cron, zone, updated) of every runnable schedule, to log changes.
    fingerprint: Vec<Fingerprint>,
    records: Vec<ScheduleRecord>,
}

/// Shortest sleep between ticks.
const MIN_WAIT: Duration = Duration::from_millis(50);

impl Service {
    pub(super) async fn run(self, stop: CancellationToken) {
        let this = Arc::new(self);
        this.log.info(&format!(
            "started ({}); data directory {}; re-reading schedules every {} ms",
            this.config.instance,
            this.shared.config.data_dir.display(),
            this.config.tick.as_millis()
        ));
        this.shared.wake();
        let cache: Arc<Mutex<HashMap<ScheduleId, Cached>>> = Arc::default();
        let mut warned: HashSet<(ScheduleId, String)> = HashSet::new();
        let mut previous: Option<Vec<Fingerprint>> = None;
        let mut last_error: Option<String> = None;
        loop {
            let now = Utc::now();
            let mut wait = this.config.tick;
            match this.tick(now, cache.clone()).await {
                Ok(result) => {
                    if last_error.take().is_some() {
                        this.log.info("reading the schedules works again");
                    }
                    this.log_changes(&mut previous, &result, &cache, &mut warned);
                    if let Some(next) = &result.next_run
                        && let Ok(until) = (next.at - Utc::now()).to_std()
                    {
                        wait = wait.min(until);
                    }
                    let claimed = result.claimed.len() as u64;
                    this.update_status(|s| {
                        s.active_schedules = result.active;
                        s.next_run = result.next_run.clone();
                        s.runs_claimed += claimed;
                        s.last_error = None;
                    });
                    for (record, due) in result.claimed {
                        this.clone().fire(record, due).await;
                    }
                }
                Err(message) => {
                    if last_error.as_deref() != Some(message.as_str()) {
                        this.log
                            .error(&format!("cannot read the schedules: {message}"));
                    }
                    this.update_status(|s| s.last_error = Some(message.clone()));
                    last_error = Some(message);
                }
            }
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait.max(MIN_WAIT)) => {}
            }
        }
        this.log.info("stopped");
        this.update_status(|s| {
            s.running = false;
            s.next_run = None;
        });
    }

    fn update_status(&self, change: impl FnOnce(&mut SchedulerStatus)) {
        let changed = match self.status.lock() {
            Ok(mut s) => {
                let before = s.clone();
                change(&mut s);
                *s != before
            }
            Err(_) => false,
        };
        if changed {
            self.shared.wake();
        }
    }

    /// Loads the runnable schedules, claims the due fire times, finds the next run.
    async fn tick(
        &self,
        now: DateTime<Utc>,
        cache: Arc<Mutex<HashMap<ScheduleId, Cached>>>,
    ) -> Result<TickResult, String> {
        let shared = self.shared.clone();
        let instance = self.config.instance.clone();
        let grace = self.config.grace;
        tokio::task::spawn_blocking(move || {
            let store = shared.open_store().map_err(|e| e.to_string())?;
            let rows = store.runnable_schedules().map_err(|e| e.to_string())?;
            let mut cache = cache
                .lock()
                .map_err(|_| "internal: cache poisoned".to_string())?;
            let ids: HashSet<ScheduleId> = rows.iter().map(|(r, _)| r.id).collect();
            cache.retain(|id, _| ids.contains(id));
            let mut result = TickResult {
                active: rows.len(),
                ..TickResult::default()
            };
            for (record, last) in rows {
                result.fingerprint.push((
                    record.id,
                    record.cron.clone(),
                    record.timezone.clone(),
                    record.updated_at,
                ));
                let entry = cache.entry(record.id).or_insert_with(|| Cached {
                    cron: String::new(),
                    timezone: String::new(),
                    parsed: Err(String::new()),
                });
                if entry.cron != record.cron || entry.timezone != record.timezone {
                    *entry = Cached {
                        cron: record.cron.clone(),
                        timezone: record.timezone.clone(),
                        parsed: Schedule::parse(&record.cron, &record.timezone)
                            .map_err(|e| e.to_string()),
                    };
                }
                let Ok(schedule) = &entry.parsed else {
                    result.records.push(record);
                    continue;
                };
                // Nothing before the schedule (or its client) last changed is run: an
                // edit or an activation does not replay older fire times.
                let baseline = [
                    Some(record.updated_at),
                    Some(record.client_updated_at),
                    last,
                ]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(now);
                if let Some(due) = schedule.due(baseline, now, grace) {
                    match store.claim_fire(record.id, due.fire_time, &instance, due.catch_up) {
                        Ok(true) => result.claimed.push((record.clone(), due)),
                        Ok(false) => {} // another scheduler has it
                        Err(e) => return Err(e.to_string()),
                    }
                }
                let from = baseline.max(now);
                if let Some(at) = schedule.next_after(from)
                    && result.next_run.as_ref().is_none_or(|n| at < n.at)
                {
                    result.next_run = Some(NextRun {
                        schedule: record.name.clone(),
                        client: record.client_name.clone(),
                        at,
                    });
                }
                result.records.push(record);
            }
            Ok(result)
        })
        .await
        .map_err(|e| format!("internal: {e}"))?
    }

    /// Logs schedules that appeared, changed or went away since the last tick, and
    /// (once) schedules that cannot be read.
    fn log_changes(
        &self,
        previous: &mut Option<Vec<Fingerprint>>,
        result: &TickResult,
        cache: &Mutex<HashMap<ScheduleId, Cached>>,
        warned: &mut HashSet<(ScheduleId, String)>,
    ) {
        if previous.as_ref() == Some(&result.fingerprint) {
            return;
        }
        let before: HashMap<ScheduleId, DateTime<Utc>> = previous
            .as_ref()
            .map(|p| p.iter().map(|(id, _, _, at)| (*id, *at)).collect())
            .unwrap_or_default();
        let first = previous.is_none();
        let cache = cache.lock().ok();
        for record in &result.records {
            let parsed = cache
                .as_ref()
                .and_then(|c| c.get(&record.id))
                .map(|c| &c.parsed);
            match parsed {
                Some(Err(message)) if warned.insert((record.id, record.cron.clone())) => {
                    self.log.warn(&format!(
                        "schedule \"{}\" (client {}) does not run: {message}",
                        record.name, record.client_name
                    ));
                }
                Some(Ok(schedule)) if before.get(&record.id) != Some(&record.updated_at) => {
                    let verb = if first {
                        "watching"
                    } else if before.contains_key(&record.id) {
                        "changed"
                    } else {
                        "added"
                    };
                    let next = schedule
                        .next_after(Utc::now())
                        .map(|t| {
                            format!(
                                "{} ({})",
                                t.with_timezone(&schedule.tz())
                                    .format("%Y-%m-%d %H:%M:%S %Z"),
                                fire_time_text(t)
                            )
                        })
                        .unwrap_or_else(|| "never".into());
                    self.log.info(&format!(
                        "{verb}: schedule \"{}\" (client {}): `{}` in {} — {}; next run {next}",
                        record.name,
                        record.client_name,
                        record.cron,
                        record.timezone,
                        schedule.describe()
                    ));
                }
                _ => {}
            }
        }
        let now_ids: HashSet<ScheduleId> = result.fingerprint.iter().map(|f| f.0).collect();
        for id in before.keys().filter(|id| !now_ids.contains(id)) {
            self.log.info(&format!(
                "schedule {id} no longer runs (removed or deactivated, or its client was)"
            ));
        }
        if first || before.len() != now_ids.len() {
            self.log.info(&format!(
                "{} active schedule{}",
                result.active,
                if result.active == 1 { "" } else { "s" }
            ));
        }
        *previous = Some(result.fingerprint.clone());
    }

    /// Starts the sync of a claimed fire time and records what became of it.
    async fn fire(self: Arc<Self>, record: ScheduleRecord, due: Due) {
        let mut request = SyncRequest::new(record.client_key, Trigger::Scheduled);
        request.schedule_name = Some(record.name.clone());
        let (tx, rx) = oneshot::channel();
        let sent = self
            .commands
            .send(Command::StartSync {
                request,
                reply: Some(tx),
            })
            .await
            .is_ok();
        tokio::spawn(async move {
            let answer = if sent {
                rx.await.unwrap_or(Err(SyncRefusal::EngineStopped))
            } else {
                Err(SyncRefusal::EngineStopped)
            };
            self.record(record, due, answer).await;
        });
    }

    async fn record(
        &self,
        record: ScheduleRecord,
        due: Due,
        answer: Result<crate::model::JobId, SyncRefusal>,
    ) {
        let tz = Schedule::parse(&record.cron, &record.timezone)
            .map(|s| s.tz())
            .ok();
        let when = match tz {
            Some(tz) => format!(
                "{} ({})",
                due.fire_time
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S %Z"),
                fire_time_text(due.fire_time)
            ),
            None => fire_time_text(due.fire_time),
        };
        let what = format!(
            "schedule \"{}\" (client {}), fire time {when}",
            record.name, record.client_name
        );
        let catch_up_note = due.catch_up.then(|| {
            let missed = match due.missed {
                0 => String::new(),
                n if n >= crate::schedule::MISSED_COUNT_LIMIT => {
                    format!("; {n} or more earlier fire times were missed and are not replayed")
                }
                1 => "; 1 earlier fire time was missed and is not replayed".to_string(),
                n => format!("; {n} earlier fire times were missed and are not replayed"),
            };
            format!(
                "catch-up run: the fire time {when} was missed (no scheduler was running then){missed}"
            )
        });
        let shared = self.shared.clone();
        let note = catch_up_note.clone();
        let rec = record.clone();
        let fire_time = due.fire_time;
        let answer2 = answer.clone();
        let stored =
            tokio::task::spawn_blocking(move || -> Result<Option<crate::model::JobId>, String> {
                let mut store = shared.open_store().map_err(|e| e.to_string())?;
                let job = match &answer2 {
                    Ok(job) => {
                        if let Some(note) = &note {
                            store
                                .append_job_log(*job, "info", note)
                                .map_err(|e| e.to_string())?;
                        }
                        Some(*job)
                    }
                    Err(SyncRefusal::AlreadyRunning { .. }) => store
                        .latest_schedule_job(rec.client_key, &rec.name, JobStatus::Skipped)
                        .map_err(|e| e.to_string())?,
                    Err(SyncRefusal::Secret(message) | SyncRefusal::Store(message)) => {
                        Some(record_failed(&mut store, &rec, message, note.as_deref())?)
                    }
                    Err(_) => None,
                };
                if let Some(job) = job {
                    store
                        .set_fire_job(rec.id, fire_time, job)
                        .map_err(|e| e.to_string())?;
                }
                Ok(job)
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        let suffix = if due.catch_up { " (catch-up)" } else { "" };
        match (&answer, &stored) {
            (Ok(job), _) => {
                self.log.info(&format!("{what}: started job {job}{suffix}"));
                if let Some(note) = &catch_up_note {
                    self.log.info(note);
                }
            }
            (Err(SyncRefusal::AlreadyRunning { job, .. }), _) => {
                let running = job.map(|j| format!(" (job {j})")).unwrap_or_default();
                let recorded = stored
                    .as_ref()
                    .ok()
                    .copied()
                    .flatten()
                    .map(|j| format!("; recorded as skipped job {j}"))
                    .unwrap_or_default();
                self.log.warn(&format!(
                    "{what}: skipped, a sync of this client is already running{running}{recorded}"
                ));
            }
            (Err(SyncRefusal::Secret(m) | SyncRefusal::Store(m)), _) => {
                let recorded = stored
                    .as_ref()
                    .ok()
                    .copied()
                    .flatten()
                    .map(|j| format!(" (recorded as failed job {j})"))
                    .unwrap_or_default();
                self.log
                    .error(&format!("{what}: could not start{recorded}: {m}"));
                self.shared.emit(Event::DataChanged).await;
            }
            (Err(refusal), _) => {
                self.log.warn(&format!("{what}: not started: {refusal}"));
            }
        }
        if let Err(e) = stored {
            self.log
                .warn(&format!("{what}: could not record the outcome: {e}"));
        }
    }
}

/// A scheduled run that could not start (no secret, database trouble) still leaves a
/// job in the history, so the admin sees why nothing synced.
fn record_failed(
    store: &mut crate::store::Store,
    record: &ScheduleRecord,
    message: &str,
    note: Option<&str>,
) -> Result<crate::model::JobId, String> {
    let incremental = store
        .sync_state(record.client_key)
        .ok()
        .flatten()
        .and_then(|s| s.delta_link)
        .is_some();
    let job = store
        .start_job(&NewJob {
            client_key: record.client_key,
            client_name: &record.client_name,
            trigger: Trigger::Scheduled,
            schedule_name: Some(&record.name),
            kind: if incremental {
                JobKind::Incremental
            } else {
                JobKind::Full
            },
            allow_deletes: false,
            status: JobStatus::Failed,
        })
        .map_err(|e| e.to_string())?;
    let text = format!("the scheduled sync could not start: {message}");
    if let Some(note) = note {
        store
            .append_job_log(job, "info", note)
            .map_err(|e| e.to_string())?;
    }
    store
        .append_job_log(job, "error", &text)
        .map_err(|e| e.to_string())?;
    store
        .finish_job(
            job,
            &JobEnd {
                status: Some(JobStatus::Failed),
                error_message: Some(text),
                ..JobEnd::default()
            },
        )
        .map_err(|e| e.to_string())?;
    Ok(job)
}
