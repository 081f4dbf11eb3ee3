//! `kill -9` of a running `usersync sync`: the directory is exactly as before or exactly as
//! after — never partial — the job stays `running` until the next start marks it
//! `interrupted`, and the next sync succeeds.

mod common;
#[path = "common/sync_env.rs"]
mod sync_env;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{BIN, Env};
use sync_env::*;
use usersync::emulator::{DemoUserInput, DemoUserPatch};
use usersync::model::{ClientKey, DirectoryUser, JobId, JobStatus};
use usersync::store::Store;

/// Starts `usersync --secret-store file sync NAME [extra]` with its stderr in a file.
fn spawn_sync(data_dir: &Path, name: &str, extra: &[&str]) -> Child {
    let log = std::fs::File::create(data_dir.join("child-stderr.txt")).expect("log file");
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--secret-store", "file", "sync", name])
        .args(extra)
        .env_remove("USERSYNC_DATA_DIR")
        .env_remove("USERSYNC_SECRET_STORE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn usersync sync")
}

fn child_stderr(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("child-stderr.txt")).unwrap_or_default()
}

/// Polls (no time limit) until `probe` answers; fails if the child exits first.
fn wait_for<T>(child: &mut Child, data_dir: &Path, mut probe: impl FnMut() -> Option<T>) -> T {
    loop {
        if let Some(v) = probe() {
            return v;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "the sync exited ({status}) before the awaited moment:\n{}",
                child_stderr(data_dir)
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The id of the client's `running` job, if any.
fn running_job(s: &Store, client: ClientKey) -> Option<JobId> {
    s.conn()
        .query_row(
            "SELECT id FROM jobs WHERE client_key = ?1 AND status = 'running'",
            [client.to_string()],
            |r| r.get(0),
        )
        .ok()
        .map(JobId)
}

/// Whether the job's log has a line containing `needle`.
fn log_has(s: &Store, job: JobId, needle: &str) -> bool {
    s.conn()
        .query_row(
            "SELECT count(*) FROM job_log WHERE job_id = ?1 AND instr(message, ?2) > 0",
            rusqlite::params![job.0, needle],
            |r| r.get::<_, i64>(0),
        )
        .unwrap_or(0)
        > 0
}

fn change_rows(s: &Store, job: JobId) -> i64 {
    s.conn()
        .query_row(
            "SELECT count(*) FROM job_changes WHERE job_id = ?1",
            [job.0],
            |r| r.get(0),
        )
        .unwrap()
}

/// Killed while reading pages (the tenant holds the rest of the round): the directory,
/// the deltaLink and the job history are as before, the job is still `running`; the next
/// `usersync sync` marks it `interrupted` and applies the changes.
#[test]
fn kill_9_while_fetching_changes_nothing_and_the_next_start_recovers() {
    let demo = Demo::start(4000);
    let env = Env::new();
    let client = add_client(env.path(), &demo, "demo");
    cli_ok(&env, &["sync", "demo"]);
    let before = stored(env.path(), client.key);
    assert_eq!(before.len(), 4000);
    let state = store(env.path()).sync_state(client.key).unwrap();

    // Changes the killed sync must not apply, and the next one must.
    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    let upd = pick.take(&mut taken, |_| true);
    let del = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
    control.update_user(
        &upd.id,
        DemoUserPatch {
            job_title: Some(Some("Survivor of kill -9".into())),
            ..Default::default()
        },
    );
    control.soft_delete(&del.id);
    let new_id = control.add_user(DemoUserInput {
        display_name: "Ünïcödé Àfter Kill".into(),
        ..Default::default()
    });

    // A full round of 5 pages (999 each): the first page comes slowly, then the tenant
    // holds every further request for an hour.
    control.set_latency(Duration::from_millis(300));
    control.clear_request_log();
    let mut child = spawn_sync(env.path(), "demo", &["--full"]);
    let s = store(env.path());
    let job = wait_for(&mut child, env.path(), || running_job(&s, client.key));
    wait_for(&mut child, env.path(), || {
        demo.delta_requests()
            .iter()
            .any(|r| r.status == 200)
            .then_some(())
    });
    control.set_latency(Duration::from_secs(3600));
    // Mid-round: at least one page read and staged, the round not finished.
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed: {status}");
    assert!(
        demo.delta_requests().len() < 5,
        "the round had not finished"
    );

    let s = store(env.path());
    assert_same_directory(&stored(env.path(), client.key), &before);
    assert_eq!(s.sync_state(client.key).unwrap(), state);
    let d = detail(env.path(), job);
    assert_eq!(
        d.summary.status,
        JobStatus::Running,
        "nobody recorded its end"
    );
    assert!(d.changes.is_empty());
    assert!(d.summary.finished_at.is_none());
    // `jobs list` reads the history without starting the engine: still running.
    let listed = cli_ok(&env, &["--json", "jobs", "list"]).json();
    assert_eq!(listed["jobs"][0]["id"], job.0);
    assert_eq!(listed["jobs"][0]["status"], "running");

    // The next start: the old job is interrupted, the sync follows the old deltaLink.
    control.set_latency(Duration::ZERO);
    let run = cli_ok(&env, &["--json", "sync", "demo"]);
    let doc = run.json();
    assert_eq!(doc["status"], "succeeded");
    assert_eq!(doc["kind"], "incremental");
    assert_eq!(doc["counts"]["added"], 1);
    assert_eq!(doc["counts"]["updated"], 1);
    assert_eq!(doc["counts"]["deleted"], 1);
    assert_eq!(doc["counts"]["unchanged"], 3998);
    let d = detail(env.path(), job);
    assert_eq!(d.summary.status, JobStatus::Interrupted);
    assert!(d.summary.finished_at.is_some());
    assert!(log_text(&d).contains("marked interrupted"));
    assert!(d.changes.is_empty());
    assert_directory(env.path(), client.key, &expected_all(&control, None));
    assert!(stored(env.path(), client.key).contains_key(&new_id));
}

fn cli_ok(env: &Env, args: &[&str]) -> common::Run {
    let mut all = vec!["--secret-store", "file"];
    all.extend_from_slice(args);
    let run = env.run(&all);
    run.ok();
    run
}

/// What a data directory holds for the client after a (possibly killed) sync.
struct Snapshot {
    directory: BTreeMap<String, DirectoryUser>,
    delta_link: Option<String>,
}

fn snapshot(data_dir: &Path, client: ClientKey) -> Snapshot {
    Snapshot {
        directory: stored(data_dir, client),
        delta_link: delta_link(data_dir, client),
    }
}

/// Killed at many moments between "all pages read" and the end of the apply: every time
/// the directory, the deltaLink and the job record are together exactly before or exactly
/// after — never a part of the changes.
#[test]
fn kill_9_during_plan_and_apply_is_all_or_nothing() {
    let demo = Demo::start(6000);
    let base = tempfile::tempdir().unwrap();
    let template = base.path().join("template");
    std::fs::create_dir_all(&template).unwrap();
    let client = add_client(&template, &demo, "demo");
    {
        let mut engine = engine(&template, tuning(999));
        sync_ok(&mut engine, request(&client));
    }

    // Many changes of every kind, so the apply writes thousands of rows.
    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    for (i, u) in users.iter().enumerate().filter(|(i, _)| i % 4 == 0) {
        control.update_user(
            &u.id,
            DemoUserPatch {
                job_title: Some(Some(format!("Retitled {i} – ÆØÅ"))),
                ..Default::default()
            },
        );
        taken.push(u.id.clone());
    }
    for _ in 0..40 {
        let u = pick.take(&mut taken, |u| u.account_enabled);
        control.set_enabled(&u.id, false);
    }
    for _ in 0..60 {
        let u = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
        control.soft_delete(&u.id);
    }
    for _ in 0..30 {
        let u = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
        control.hard_delete(&u.id);
    }
    for i in 0..1000 {
        control.add_user(DemoUserInput {
            display_name: format!("Neu Angestellte {i} ß"),
            manager_id: Some(users[0].id.clone()),
            ..Default::default()
        });
    }
    let before = snapshot(&template, client.key);

    // The reference: the same sync, not killed. How long it takes from "all pages read"
    // to its exit spreads the kill moments below over planning and applying on this
    // machine (nothing is asserted about the time).
    let reference = base.path().join("reference");
    copy_data_dir(&template, &reference);
    let mut child = spawn_sync(&reference, "demo", &[]);
    let s = store(&reference);
    let job = wait_for(&mut child, &reference, || running_job(&s, client.key));
    wait_for(&mut child, &reference, || {
        log_has(&s, job, "users in").then_some(())
    });
    let read_at = std::time::Instant::now();
    assert!(
        child.wait().unwrap().success(),
        "{}",
        child_stderr(&reference)
    );
    let window = read_at.elapsed();
    drop(s);
    let after = snapshot(&reference, client.key);
    assert_same_directory(&after.directory, &expected_all(&control, None));
    let ref_job = jobs_of(&reference, client.key)[0].clone();
    assert_eq!(ref_job.status, JobStatus::Succeeded);
    let ref_changes = change_rows(&store(&reference), ref_job.id);
    assert!(ref_changes > 2500, "{ref_changes}");
    assert_ne!(before.directory, after.directory);

    let ref_log = log_text(&detail(&reference, ref_job.id));
    eprintln!("reference: {window:?} from all pages read to exit; log:\n{ref_log}");

    let mut outcomes = Vec::new();
    let delays: Vec<Duration> = (0..=12).map(|k| window * k / 12).collect();
    for (attempt, delay) in delays.into_iter().enumerate() {
        let dir = base.path().join(format!("attempt-{attempt}"));
        copy_data_dir(&template, &dir);
        let mut child = spawn_sync(&dir, "demo", &[]);
        let s = store(&dir);
        let job = wait_for(&mut child, &dir, || running_job(&s, client.key));
        // "read N users in M pages" is logged when the round is complete, right before
        // planning; from here on the sync only computes and writes.
        wait_for(&mut child, &dir, || {
            log_has(&s, job, "users in").then_some(())
        });
        std::thread::sleep(delay);
        let _ = child.kill();
        child.wait().unwrap();
        drop(s);

        let s = store(&dir);
        let got = snapshot(&dir, client.key);
        let summary = s.job_summary(job).unwrap().unwrap();
        let changes = change_rows(&s, job);
        if got.directory == before.directory {
            assert_eq!(got.delta_link, before.delta_link, "attempt {attempt}");
            assert_eq!(summary.status, JobStatus::Running, "attempt {attempt}");
            assert_eq!(
                changes, 0,
                "attempt {attempt}: no change list without the apply"
            );
            assert_eq!(s.mark_interrupted_jobs().unwrap(), vec![job]);
            outcomes.push(("before", delay));
        } else {
            assert_same_directory(&got.directory, &after.directory);
            assert!(got.delta_link.is_some());
            assert_ne!(got.delta_link, before.delta_link, "attempt {attempt}");
            assert_eq!(summary.status, JobStatus::Succeeded, "attempt {attempt}");
            assert_eq!(summary.counts, ref_job.counts, "attempt {attempt}");
            assert_eq!(changes, ref_changes, "attempt {attempt}");
            assert!(s.mark_interrupted_jobs().unwrap().is_empty());
            outcomes.push(("after", delay));
        }
    }
    eprintln!("kill outcomes by delay: {outcomes:?}");
}

/// SIGTERM (like Ctrl+C) cancels between pages: the job ends `cancelled`, nothing is
/// applied, the exit code is 1, and the next sync applies the changes.
#[test]
fn sigterm_cancels_the_sync_and_applies_nothing() {
    let demo = Demo::start(4000);
    let env = Env::new();
    let client = add_client(env.path(), &demo, "demo");
    cli_ok(&env, &["sync", "demo"]);
    let before = stored(env.path(), client.key);
    let state = store(env.path()).sync_state(client.key).unwrap();
    let control = demo.control();
    let u = control.users()[17].clone();
    control.update_user(
        &u.id,
        DemoUserPatch {
            city: Some(Some("Kraków".into())),
            ..Default::default()
        },
    );

    control.set_latency(Duration::from_millis(300));
    control.clear_request_log();
    let mut child = spawn_sync(env.path(), "demo", &["--full"]);
    let s = store(env.path());
    let job = wait_for(&mut child, env.path(), || running_job(&s, client.key));
    // A page has come back, so the sync is well into its round (its signal handler was
    // installed when the job started).
    wait_for(&mut child, env.path(), || {
        demo.delta_requests()
            .iter()
            .any(|r| r.status == 200)
            .then_some(())
    });
    control.set_latency(Duration::from_secs(3600));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: signalling our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{}", child_stderr(env.path()));
    assert!(child_stderr(env.path()).contains("Cancelling"));

    let d = detail(env.path(), job);
    assert_eq!(d.summary.status, JobStatus::Cancelled);
    assert!(d.changes.is_empty());
    assert_same_directory(&stored(env.path(), client.key), &before);
    assert_eq!(store(env.path()).sync_state(client.key).unwrap(), state);

    control.set_latency(Duration::ZERO);
    let doc = cli_ok(&env, &["--json", "sync", "demo"]).json();
    assert_eq!(doc["kind"], "incremental");
    assert_eq!(doc["counts"]["updated"], 1);
    assert_directory(env.path(), client.key, &expected_all(&control, None));
}
