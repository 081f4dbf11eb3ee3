//! `usersync scheduler` as servers run it: child processes on one data directory against
//! the demo tenant (secrets in the opt-in file store), stopped with SIGTERM / SIGINT.
#![cfg(unix)]

mod common;

use std::fs::File;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Env;
use usersync::emulator::{DemoConfig, DemoTenant};
use usersync::model::JobStatus;
use usersync::store::Store;
use usersync::store::schedules::FireRecord;

const PATIENCE: Duration = Duration::from_secs(30);

struct Demo {
    tenant: DemoTenant,
    _rt: tokio::runtime::Runtime,
}

fn demo() -> Demo {
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
                ..DemoConfig::default()
            },
        ))
        .expect("demo tenant");
    Demo { tenant, _rt: rt }
}

fn add_client(env: &Env, demo: &Demo) {
    let t = &demo.tenant;
    env.run_with_stdin(
        &[
            "--secret-store",
            "file",
            "client",
            "add",
            "--name",
            "Demo",
            "--tenant-id",
            t.tenant_id(),
            "--client-id",
            t.client_id(),
            "--secret-stdin",
            "--cloud",
            "custom",
            "--authority-url",
            &t.authority_url(),
            "--graph-url",
            &t.graph_url(),
        ],
        Some(t.client_secret()),
    )
    .ok();
}

fn add_schedule(env: &Env, name: &str, cron: &str) {
    env.run(&[
        "schedule",
        "add",
        "--client",
        "Demo",
        "--name",
        name,
        "--cron",
        cron,
        "--timezone",
        "UTC",
    ])
    .ok();
}

/// A `usersync scheduler` child with its stderr in a file.
fn scheduler(env: &Env, stderr: &Path) -> Child {
    let mut cmd = env.command(&["--secret-store", "file", "scheduler"]);
    cmd.env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(File::create(stderr).expect("stderr file")));
    cmd.spawn().expect("spawn usersync scheduler")
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    // SAFETY: sending a signal to our own child process.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig})");
}

/// Waits for the child to exit; kills it (and fails) if it does not within PATIENCE.
fn exit_code(child: &mut Child) -> i32 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the scheduler did not stop after the signal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn fires(dir: &Path, name: &str) -> Vec<FireRecord> {
    let store = Store::open_in(dir).expect("store");
    let Some(s) = store
        .find_schedules(name, None)
        .expect("schedules")
        .into_iter()
        .next()
    else {
        return Vec::new();
    };
    store.recent_fires(s.id, 10_000).expect("fires")
}

fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn two_schedulers_on_one_data_dir_run_each_fire_time_once_and_stop_on_sigterm() {
    let demo = demo();
    let env = Env::new();
    add_client(&env, &demo);
    add_schedule(&env, "Shared", "*/2 * * * * *");
    let logs = tempfile::tempdir().expect("logs");
    let (err_a, err_b) = (logs.path().join("a.err"), logs.path().join("b.err"));
    let mut a = scheduler(&env, &err_a);
    let mut b = scheduler(&env, &err_b);

    let ok = wait_until(|| {
        fires(env.path(), "Shared")
            .iter()
            .filter(|f| f.job_status == Some(JobStatus::Succeeded))
            .count()
            >= 6
    });
    assert!(
        ok,
        "scheduled syncs ran\nA:\n{}\nB:\n{}",
        read(&err_a),
        read(&err_b)
    );

    signal(&a, libc::SIGTERM);
    signal(&b, libc::SIGTERM);
    assert_eq!(exit_code(&mut a), 0, "A:\n{}", read(&err_a));
    assert_eq!(exit_code(&mut b), 0, "B:\n{}", read(&err_b));

    // Each fire time has at most one job, and every scheduled job belongs to one.
    let fires = fires(env.path(), "Shared");
    let store = Store::open_in(env.path()).expect("store");
    let jobs: Vec<_> = store
        .list_jobs(&Default::default())
        .expect("jobs")
        .into_iter()
        .filter(|j| j.schedule_name.as_deref() == Some("Shared"))
        .collect();
    let mut linked: Vec<i64> = fires.iter().filter_map(|f| f.job_id.map(|j| j.0)).collect();
    linked.sort_unstable();
    let before = linked.len();
    linked.dedup();
    assert_eq!(linked.len(), before, "no job is shared by two fire times");
    let mut job_ids: Vec<i64> = jobs.iter().map(|j| j.id.0).collect();
    job_ids.sort_unstable();
    assert_eq!(linked, job_ids, "one job per fire time: {fires:?}");
    assert!(
        jobs.iter().all(|j| j.status != JobStatus::Running),
        "nothing is left running after a clean stop"
    );
    let by: std::collections::BTreeSet<&str> =
        fires.iter().map(|f| f.claimed_by.as_str()).collect();
    eprintln!("{} fire times, claimed by {by:?}", fires.len());

    // Both logged to stderr and to the shared log file; no secret anywhere.
    for err in [&err_a, &err_b] {
        let text = read(err);
        assert!(text.contains("scheduler: started"), "{text}");
        assert!(text.contains("stop requested"), "{text}");
        assert!(text.contains("scheduler: exiting"), "{text}");
        assert!(!text.contains(demo.tenant.client_secret()));
    }
    let file = read(&env.path().join("logs").join("scheduler.log"));
    for child in [&a, &b] {
        assert!(file.contains(&format!("(pid {})", child.id())), "{file}");
    }
    assert!(file.contains("started job"), "{file}");
    assert!(!file.contains(demo.tenant.client_secret()));
}

#[test]
fn a_running_scheduler_picks_up_schedules_added_and_edited_from_the_cli() {
    let demo = demo();
    let env = Env::new();
    add_client(&env, &demo);
    let logs = tempfile::tempdir().expect("logs");
    let err = logs.path().join("s.err");
    let mut child = scheduler(&env, &err);
    assert!(
        wait_until(|| read(&err).contains("no schedules yet")),
        "{}",
        read(&err)
    );

    add_schedule(&env, "Later", "*/2 * * * * *");
    assert!(
        wait_until(|| fires(env.path(), "Later")
            .iter()
            .any(|f| f.job_id.is_some())),
        "{}",
        read(&err)
    );
    env.run(&["schedule", "edit", "Later", "--inactive"]).ok();
    assert!(
        wait_until(|| read(&err).contains("no longer runs")),
        "{}",
        read(&err)
    );
    std::thread::sleep(Duration::from_secs(1));
    let count = fires(env.path(), "Later").len();
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        fires(env.path(), "Later").len(),
        count,
        "the deactivated schedule stopped"
    );

    // `schedule show` lists what ran.
    let show = env.run(&["--json", "schedule", "show", "Later"]);
    show.ok();
    let last = show.json()["lastRuns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!last.is_empty());
    assert!(
        last[0]["fireTime"].is_string() && last[0]["claimedBy"].is_string(),
        "{last:?}"
    );

    signal(&child, libc::SIGINT);
    assert_eq!(exit_code(&mut child), 0, "{}", read(&err));
}

#[test]
fn a_data_dir_that_cannot_be_used_fails_with_exit_1() {
    let env = Env::new();
    // A database from a newer User Sync is refused before anything runs.
    {
        let conn = rusqlite::Connection::open(env.path().join("usersync.db")).expect("db");
        conn.pragma_update(None, "user_version", 999)
            .expect("version");
    }
    let run = env.run(&["scheduler"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("newer User Sync"), "{}", run.stderr);
}
