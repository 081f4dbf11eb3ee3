//! The scheduler service in real time, in-process, against the demo tenant (secrets in the
//! opt-in file store): short 6-field schedules (every 2-3 seconds), bounded waits that poll
//! the database, no upper timing bounds.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use usersync::emulator::{DemoConfig, DemoTenant};
use usersync::engine::{EngineConfig, EngineHandle, SchedulerConfig};
use usersync::model::{
    Client, ClientKey, Cloud, DeletionGuard, JobStatus, JobSummary, Secret, Trigger,
};
use usersync::schedule::fire_time_text;
use usersync::secrets::{Backend, SecretStore};
use usersync::store::schedules::{FireRecord, NewSchedule, ScheduleId, ScheduleUpdate};
use usersync::store::{JobFilter, Store};

/// How long a test waits for something that should happen within seconds.
const PATIENCE: Duration = Duration::from_secs(30);

/// A demo tenant on a runtime of its own. Field order: the tenant drops first.
struct Demo {
    tenant: DemoTenant,
    _rt: tokio::runtime::Runtime,
}

fn demo(latency: Duration) -> Demo {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let tenant = rt
        .block_on(DemoTenant::start(
            "127.0.0.1:0".parse().expect("address"),
            DemoConfig {
                users: 20,
                latency,
                ..DemoConfig::default()
            },
        ))
        .expect("demo tenant");
    Demo { tenant, _rt: rt }
}

fn add_client(dir: &Path, tenant: &DemoTenant, name: &str, active: bool) -> ClientKey {
    let store = Store::open_in(dir).expect("store");
    let now = Utc::now();
    let client = Client {
        key: ClientKey::new(),
        name: name.into(),
        tenant_id: tenant.tenant_id().into(),
        client_id: tenant.client_id().into(),
        active,
        azure_sso: false,
        cloud: Cloud::Custom {
            authority_url: tenant.authority_url(),
            graph_url: tenant.graph_url(),
        },
        guard: DeletionGuard::default(),
        created_at: now,
        updated_at: now,
        last_validation: None,
    };
    store.insert_client(&client, "file").expect("client");
    SecretStore::open_file(dir)
        .set(client.key, &Secret::new(tenant.client_secret()))
        .expect("secret");
    client.key
}

fn add_schedule(dir: &Path, client: ClientKey, name: &str, cron: &str, active: bool) -> ScheduleId {
    let mut store = Store::open_in(dir).expect("store");
    store
        .insert_schedule(&NewSchedule {
            client_key: client,
            name,
            cron,
            timezone: "UTC",
            active,
        })
        .expect("schedule")
        .id
}

fn engine(dir: &Path) -> EngineHandle {
    EngineHandle::start(EngineConfig::new(dir.to_path_buf(), Backend::File)).expect("engine")
}

fn quick() -> SchedulerConfig {
    SchedulerConfig {
        tick: Duration::from_millis(250),
        ..SchedulerConfig::default()
    }
}

/// Polls `done` (draining the engines' events, as the app does) until it holds.
fn wait_for(engines: &mut [&mut EngineHandle], mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        for e in engines.iter_mut() {
            while e.try_event().is_some() {}
        }
        if done() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits `d` while draining events.
fn idle(engines: &mut [&mut EngineHandle], d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end {
        for e in engines.iter_mut() {
            while e.try_event().is_some() {}
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn jobs_of(dir: &Path, schedule: &str) -> Vec<JobSummary> {
    Store::open_in(dir)
        .expect("store")
        .list_jobs(&JobFilter::default())
        .expect("jobs")
        .into_iter()
        .filter(|j| j.schedule_name.as_deref() == Some(schedule))
        .collect()
}

fn fires(dir: &Path, id: ScheduleId) -> Vec<FireRecord> {
    Store::open_in(dir)
        .expect("store")
        .recent_fires(id, 10_000)
        .expect("fires")
}

fn finished(jobs: &[JobSummary]) -> Vec<&JobSummary> {
    jobs.iter()
        .filter(|j| j.status != JobStatus::Running)
        .collect()
}

fn log_file(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("logs").join("scheduler.log")).unwrap_or_default()
}

#[test]
fn a_due_schedule_runs_and_is_recorded_and_the_status_says_so() {
    let demo = demo(Duration::ZERO);
    let dir = tempfile::tempdir().expect("dir");
    let client = add_client(dir.path(), &demo.tenant, "Contoso", true);
    let id = add_schedule(dir.path(), client, "Every 2 s", "*/2 * * * * *", true);
    let mut e = engine(dir.path());
    assert!(!e.scheduler_status().running);
    assert_eq!(e.scheduler_status().summary(), "Scheduler off");

    let config = quick();
    let instance = config.instance.clone();
    assert!(e.start_scheduler(config));
    assert!(!e.start_scheduler(quick()), "one scheduler per engine");
    assert!(e.scheduler_status().running);

    let ok = wait_for(&mut [&mut e], || {
        finished(&jobs_of(dir.path(), "Every 2 s"))
            .iter()
            .filter(|j| j.status == JobStatus::Succeeded)
            .count()
            >= 2
    });
    assert!(
        ok,
        "two scheduled syncs ran; log:\n{}",
        log_file(dir.path())
    );
    let status = e.scheduler_status();
    assert_eq!(status.active_schedules, 1);
    assert!(status.runs_claimed >= 2);
    assert!(
        status
            .next_run
            .as_ref()
            .is_some_and(|n| n.schedule == "Every 2 s")
    );
    assert!(
        status
            .summary()
            .starts_with("Scheduler on · 1 schedule · next: Every 2 s (Contoso)"),
        "{}",
        status.summary()
    );

    let jobs = jobs_of(dir.path(), "Every 2 s");
    for job in finished(&jobs) {
        assert_eq!(job.trigger, Trigger::Scheduled);
        assert_eq!(job.client_key, Some(client));
    }
    let fires = fires(dir.path(), id);
    assert!(fires.len() >= 2);
    for f in &fires {
        assert_eq!(f.claimed_by, instance);
        assert!(!f.catch_up, "runs on time are no catch-ups");
        assert_eq!(
            f.fire_time.timestamp() % 2,
            0,
            "fire times are the schedule's: {f:?}"
        );
    }
    let linked: Vec<_> = fires.iter().filter_map(|f| f.job_id).collect();
    for job in finished(&jobs) {
        assert!(
            linked.contains(&job.id),
            "job {} is linked to its fire time",
            job.id
        );
    }

    let log = log_file(dir.path());
    assert!(log.contains("scheduler: started"), "{log}");
    assert!(
        log.contains("watching: schedule \"Every 2 s\" (client Contoso)"),
        "{log}"
    );
    assert!(log.contains("started job"), "{log}");
    assert!(
        !log.contains(demo.tenant.client_secret()),
        "no secrets in the log"
    );

    e.stop_scheduler();
    let deadline = Instant::now() + PATIENCE;
    while e.scheduler_status().running && Instant::now() < deadline {
        while e.try_event().is_some() {}
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!e.scheduler_status().running);
    assert_eq!(e.scheduler_status().summary(), "Scheduler off");
    idle(&mut [&mut e], Duration::from_secs(1));
    let before = fires_count(dir.path(), id);
    idle(&mut [&mut e], Duration::from_secs(4));
    assert_eq!(
        fires_count(dir.path(), id),
        before,
        "a stopped scheduler runs nothing"
    );
    assert!(log_file(dir.path()).contains("scheduler: stopped"));
    // And it can be started again.
    assert!(e.start_scheduler(quick()));
    assert!(wait_for(&mut [&mut e], || fires_count(dir.path(), id) > before));
}

fn fires_count(dir: &Path, id: ScheduleId) -> usize {
    fires(dir, id).len()
}

#[test]
fn inactive_schedules_and_inactive_clients_never_run() {
    let demo = demo(Duration::ZERO);
    let dir = tempfile::tempdir().expect("dir");
    let active_client = add_client(dir.path(), &demo.tenant, "Contoso", true);
    let inactive_client = add_client(dir.path(), &demo.tenant, "Fabrikam", false);
    let control = add_schedule(dir.path(), active_client, "Control", "*/2 * * * * *", true);
    let off = add_schedule(
        dir.path(),
        active_client,
        "Switched off",
        "*/2 * * * * *",
        false,
    );
    let of_inactive = add_schedule(
        dir.path(),
        inactive_client,
        "Of an inactive client",
        "*/2 * * * * *",
        true,
    );
    let mut e = engine(dir.path());
    e.start_scheduler(quick());
    assert!(
        wait_for(&mut [&mut e], || fires_count(dir.path(), control) >= 3),
        "the active schedule ran"
    );
    assert_eq!(e.scheduler_status().active_schedules, 1);
    assert!(fires(dir.path(), off).is_empty());
    assert!(fires(dir.path(), of_inactive).is_empty());
    assert!(jobs_of(dir.path(), "Switched off").is_empty());
    assert!(jobs_of(dir.path(), "Of an inactive client").is_empty());
}

#[test]
fn a_run_that_meets_a_running_sync_is_skipped_with_the_reason() {
    // Slow Graph answers keep each sync running while the other schedule fires.
    let demo = demo(Duration::from_millis(400));
    let dir = tempfile::tempdir().expect("dir");
    let client = add_client(dir.path(), &demo.tenant, "Contoso", true);
    let a = add_schedule(dir.path(), client, "A", "*/3 * * * * *", true);
    let b = add_schedule(dir.path(), client, "B", "*/3 * * * * *", true);
    let mut e = engine(dir.path());
    e.start_scheduler(quick());
    let skipped = |dir: &Path| -> Vec<JobSummary> {
        let mut out = jobs_of(dir, "A");
        out.extend(jobs_of(dir, "B"));
        out.retain(|j| j.status == JobStatus::Skipped);
        out
    };
    assert!(
        wait_for(&mut [&mut e], || !skipped(dir.path()).is_empty()),
        "an overlapping run was skipped; log:\n{}",
        log_file(dir.path())
    );
    let job = &skipped(dir.path())[0];
    assert_eq!(job.trigger, Trigger::Scheduled);
    let reason = job.error_message.as_deref().unwrap_or_default();
    assert!(reason.contains("already running"), "{reason}");
    // The skipped job is what its fire time led to.
    let all: Vec<FireRecord> = fires(dir.path(), a)
        .into_iter()
        .chain(fires(dir.path(), b))
        .collect();
    assert!(
        wait_for(&mut [&mut e], || {
            fires(dir.path(), a)
                .into_iter()
                .chain(fires(dir.path(), b))
                .any(|f| f.job_status == Some(JobStatus::Skipped))
        }),
        "{all:?}"
    );
    assert!(log_file(dir.path()).contains("skipped, a sync of this client is already running"));
}

#[test]
fn edits_take_effect_while_the_scheduler_runs() {
    let demo = demo(Duration::ZERO);
    let dir = tempfile::tempdir().expect("dir");
    let client = add_client(dir.path(), &demo.tenant, "Contoso", true);
    let id = add_schedule(dir.path(), client, "Yearly", "0 0 1 1 *", true);
    let mut e = engine(dir.path());
    e.start_scheduler(quick());
    idle(&mut [&mut e], Duration::from_secs(2));
    assert!(fires(dir.path(), id).is_empty(), "not due yet");

    // Edit the expression: picked up without a restart.
    let mut store = Store::open_in(dir.path()).expect("store");
    store
        .update_schedule(
            id,
            &ScheduleUpdate {
                cron: Some("*/2 * * * * *".into()),
                name: Some("Often".into()),
                ..ScheduleUpdate::default()
            },
        )
        .expect("edit");
    assert!(
        wait_for(&mut [&mut e], || !finished(&jobs_of(dir.path(), "Often"))
            .is_empty()),
        "the edited schedule ran; log:\n{}",
        log_file(dir.path())
    );
    assert!(log_file(dir.path()).contains("changed: schedule \"Often\""));

    // Deactivate: it stops.
    store
        .update_schedule(
            id,
            &ScheduleUpdate {
                active: Some(false),
                ..ScheduleUpdate::default()
            },
        )
        .expect("deactivate");
    idle(&mut [&mut e], Duration::from_secs(1));
    let after_off = fires_count(dir.path(), id);
    idle(&mut [&mut e], Duration::from_secs(5));
    assert_eq!(
        fires_count(dir.path(), id),
        after_off,
        "a deactivated schedule stops"
    );
    assert_eq!(e.scheduler_status().active_schedules, 0);

    // Add one: it runs. Remove it: it stops.
    let added = add_schedule(dir.path(), client, "Added later", "*/2 * * * * *", true);
    assert!(
        wait_for(&mut [&mut e], || fires_count(dir.path(), added) >= 1),
        "a schedule added while running ran"
    );
    assert!(store.delete_schedule(added).expect("delete"));
    let deadline = Instant::now() + PATIENCE;
    while e.scheduler_status().active_schedules != 0 && Instant::now() < deadline {
        idle(&mut [&mut e], Duration::from_millis(100));
    }
    assert_eq!(e.scheduler_status().active_schedules, 0);
    idle(&mut [&mut e], Duration::from_secs(1));
    let jobs = jobs_of(dir.path(), "Added later").len();
    idle(&mut [&mut e], Duration::from_secs(4));
    assert_eq!(
        jobs_of(dir.path(), "Added later").len(),
        jobs,
        "a removed schedule stops"
    );
    assert!(log_file(dir.path()).contains("no longer runs"));
}

#[test]
fn missed_runs_are_not_replayed_in_a_burst() {
    let demo = demo(Duration::ZERO);
    let dir = tempfile::tempdir().expect("dir");
    let client = add_client(dir.path(), &demo.tenant, "Contoso", true);
    let id = add_schedule(dir.path(), client, "Every 2 s", "*/2 * * * * *", true);
    // It last ran an hour ago; nothing was running since (about 1800 fire times missed).
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let last = fire_time_text(hour_ago - chrono::Duration::seconds(hour_ago.timestamp() % 2));
    let stamp = hour_ago.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    {
        let store = Store::open_in(dir.path()).expect("store");
        let conn = store.conn();
        conn.execute(
            "UPDATE schedules SET created_at = ?1, updated_at = ?1",
            [&stamp],
        )
        .expect("age the schedule");
        conn.execute("UPDATE clients SET updated_at = ?1", [&stamp])
            .expect("age the client");
        conn.execute(
            "INSERT INTO schedule_fires (schedule_id, fire_time, claimed_at, claimed_by, catch_up) \
             VALUES (?1, ?2, ?3, 'an earlier scheduler', 0)",
            rusqlite::params![id.0, last, stamp],
        )
        .expect("an earlier run");
    }
    let mut e = engine(dir.path());
    e.start_scheduler(quick());
    let new_fires = |dir: &Path| -> Vec<FireRecord> {
        let mut f: Vec<FireRecord> = fires(dir, id)
            .into_iter()
            .filter(|f| f.claimed_by != "an earlier scheduler")
            .collect();
        f.sort_by_key(|f| f.fire_time);
        f
    };
    assert!(
        wait_for(&mut [&mut e], || new_fires(dir.path()).len() >= 3),
        "log:\n{}",
        log_file(dir.path())
    );
    let f = new_fires(dir.path());
    let catch_ups: Vec<&FireRecord> = f.iter().filter(|f| f.catch_up).collect();
    assert_eq!(catch_ups.len(), 1, "one catch-up run, not a burst: {f:?}");
    assert!(f[0].catch_up, "the first run after the gap is the catch-up");
    assert!(
        f.len() < 20,
        "missed fire times were not replayed ({} runs)",
        f.len()
    );
    // The catch-up is recorded as such in the job's log and the scheduler's log.
    let job = wait_job(&mut e, dir.path(), id, f[0].fire_time);
    let detail = Store::open_in(dir.path())
        .expect("store")
        .job_detail(job)
        .expect("detail")
        .expect("job");
    assert_eq!(detail.summary.trigger, Trigger::Scheduled);
    assert!(
        detail
            .log
            .iter()
            .any(|l| l.message.contains("catch-up run")),
        "{:?}",
        detail.log
    );
    let log = log_file(dir.path());
    assert!(log.contains("(catch-up)"), "{log}");
    assert!(
        log.contains("earlier fire times were missed and are not replayed"),
        "{log}"
    );
}

/// The job a fire time led to, once it is linked.
fn wait_job(
    e: &mut EngineHandle,
    dir: &Path,
    id: ScheduleId,
    fire_time: chrono::DateTime<Utc>,
) -> usersync::model::JobId {
    let mut job = None;
    wait_for(&mut [e], || {
        job = fires(dir, id)
            .into_iter()
            .find(|f| f.fire_time == fire_time)
            .and_then(|f| f.job_id);
        job.is_some()
    });
    job.expect("the fire time is linked to its job")
}

#[test]
fn two_engines_on_one_database_run_each_fire_time_once() {
    let demo = demo(Duration::ZERO);
    let dir = tempfile::tempdir().expect("dir");
    let client = add_client(dir.path(), &demo.tenant, "Contoso", true);
    let id = add_schedule(dir.path(), client, "Shared", "*/2 * * * * *", true);
    let mut a = engine(dir.path());
    let mut b = engine(dir.path());
    a.start_scheduler(quick());
    b.start_scheduler(quick());
    assert!(wait_for(&mut [&mut a, &mut b], || fires_count(
        dir.path(),
        id
    ) >= 6));
    a.stop_scheduler();
    b.stop_scheduler();
    let deadline = Instant::now() + PATIENCE;
    while (a.scheduler_status().running || b.scheduler_status().running)
        && Instant::now() < deadline
    {
        idle(&mut [&mut a, &mut b], Duration::from_millis(100));
    }
    // Let the last started jobs record themselves.
    assert!(wait_for(&mut [&mut a, &mut b], || {
        jobs_of(dir.path(), "Shared")
            .iter()
            .all(|j| j.status != JobStatus::Running)
            && fires(dir.path(), id).iter().all(|f| f.job_id.is_some())
    }));
    let fires = fires(dir.path(), id);
    let jobs = jobs_of(dir.path(), "Shared");
    let mut linked: Vec<i64> = fires.iter().filter_map(|f| f.job_id.map(|j| j.0)).collect();
    linked.sort_unstable();
    let mut job_ids: Vec<i64> = jobs.iter().map(|j| j.id.0).collect();
    job_ids.sort_unstable();
    assert_eq!(
        linked, job_ids,
        "exactly one job per fire time; fires {fires:?}"
    );
    let by: std::collections::BTreeSet<&str> =
        fires.iter().map(|f| f.claimed_by.as_str()).collect();
    eprintln!("{} fire times claimed by {by:?}", fires.len());
}

#[test]
fn a_scheduled_run_that_cannot_start_leaves_a_failed_job_saying_why() {
    let demo = demo(Duration::ZERO);
    let dir = tempfile::tempdir().expect("dir");
    let client = add_client(dir.path(), &demo.tenant, "Contoso", true);
    // The secret is gone (e.g. removed from the store by hand).
    SecretStore::open_file(dir.path())
        .delete(client)
        .expect("delete secret");
    let id = add_schedule(dir.path(), client, "Nightly", "*/2 * * * * *", true);
    let mut e = engine(dir.path());
    e.start_scheduler(quick());
    assert!(
        wait_for(&mut [&mut e], || {
            fires(dir.path(), id)
                .iter()
                .any(|f| f.job_status == Some(JobStatus::Failed))
        }),
        "log:\n{}",
        log_file(dir.path())
    );
    let job = jobs_of(dir.path(), "Nightly")
        .into_iter()
        .find(|j| j.status == JobStatus::Failed)
        .expect("a failed job");
    assert_eq!(job.trigger, Trigger::Scheduled);
    let message = job.error_message.unwrap_or_default();
    assert!(
        message.starts_with("the scheduled sync could not start: "),
        "{message}"
    );
    assert!(message.contains("secret"), "{message}");
    assert!(log_file(dir.path()).contains("could not start (recorded as failed job"));
}
