//! Syncs through the real engine against the demo tenant over loopback: the first full
//! sync is exact, the deletion guard blocks and then applies with consent, a dry run
//! applies nothing, one sync per client, cancellation, refusals, recovery of jobs left
//! running by a dead process, and job retention.

#[path = "common/sync_env.rs"]
mod sync_env;

use std::time::Duration;

use sync_env::*;
use usersync::engine::{GuardInfo, Phase, SyncRefusal};
use usersync::model::{DeletionGuard, JobKind, JobStatus, Trigger};
use usersync::store::ClientUpdate;

/// Every user, attribute, manager, enabled flag, guest and Unicode name arrives exactly;
/// the job says so and the deltaLink is saved.
#[test]
fn first_full_sync_stores_every_user_exactly() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(40));

    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.kind, JobKind::Full);
    assert_eq!(o.counts, counts(|c| c.added = 250));
    assert_eq!(o.users_read, 250);
    assert_eq!(o.pages, 7, "250 users in pages of 40");
    assert_eq!(o.error_code, None);

    let control = demo.control();
    let users = control.users();
    // The organisation covers what the test claims to check.
    assert!(users.iter().any(|u| u.user_type == "Guest"), "guests");
    assert!(users.iter().any(|u| !u.account_enabled), "disabled users");
    assert!(users.iter().filter(|u| u.manager_id.is_some()).count() > 200);
    let unicode: Vec<_> = users
        .iter()
        .filter(|u| !u.display_name.is_ascii())
        .collect();
    assert!(unicode.len() > 10, "non-ASCII names in the demo org");

    let expected = expected_live(&control, None);
    assert_eq!(expected.len(), 250);
    assert_directory(dir.path(), client.key, &expected);

    // Byte-exact Unicode, also as the directory listing reads it.
    let listed = store(dir.path())
        .directory_users(client.key, usersync::store::Which::Active)
        .unwrap();
    assert_eq!(listed.len(), 250);
    for u in unicode {
        let row = listed.iter().find(|r| r.id == u.id).expect("listed");
        let name = row.attributes.display_name.as_deref().unwrap();
        assert_eq!(name.as_bytes(), u.display_name.as_bytes());
        assert_eq!(
            row.attributes.given_name.as_deref().map(str::as_bytes),
            u.given_name.as_deref().map(str::as_bytes)
        );
    }
    // Non-SSO client: nobody carries an SSO identity.
    assert!(listed.iter().all(|u| u.sso.is_none()));

    let d = detail(dir.path(), o.job);
    assert_eq!(d.summary.status, JobStatus::Succeeded);
    assert_eq!(d.summary.kind, JobKind::Full);
    assert_eq!(d.summary.trigger, Trigger::Manual);
    assert_eq!(d.summary.counts, o.counts);
    assert_eq!(d.summary.users_read, 250);
    assert_eq!(d.summary.pages, 7);
    assert!(d.summary.finished_at.is_some());
    assert_eq!(d.changes.len(), 250);
    assert!(
        d.changes
            .iter()
            .all(|c| c.kind == "added" && c.fields.is_empty())
    );
    let mut ids: Vec<&str> = d.changes.iter().map(|c| c.user_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, expected.keys().map(String::as_str).collect::<Vec<_>>());
    let log = log_text(&d);
    assert!(log.contains("full sync"), "{log}");
    assert!(log.contains("read 250 users in 7 pages"), "{log}");

    let state = store(dir.path()).sync_state(client.key).unwrap().unwrap();
    let link = state.delta_link.expect("deltaLink saved");
    assert!(link.starts_with(&format!("{}/v1.0/users/delta?", demo.tenant.graph_url())));
    assert!(link.contains("$deltatoken="));
    assert!(state.last_full_at.is_some());

    // Nothing changed: the next sync follows the deltaLink and changes nothing.
    let again = sync_ok(&mut engine, request(&client));
    assert_eq!(again.kind, JobKind::Incremental);
    assert_eq!(again.counts, counts(|c| c.unchanged = 250));
    assert!(detail(dir.path(), again.job).changes.is_empty());
    assert_directory(dir.path(), client.key, &expected);
}

/// Deletes plus disables over the guard: blocked with the numbers, nothing applied (the
/// directory and the deltaLink stay); again blocked without consent; applied with it.
#[test]
fn deletion_guard_blocks_then_consent_applies() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client_with(dir.path(), &demo, "guarded", |c| {
        c.guard = DeletionGuard {
            max_users: 2,
            max_percent: 20,
        }
    });
    let mut engine = engine(dir.path(), tuning(100));
    sync_ok(&mut engine, request(&client));
    let before = stored(dir.path(), client.key);
    let link = delta_link(dir.path(), client.key);

    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    let gone: Vec<_> = (0..5)
        .map(|_| pick.take(&mut taken, |u| pick.is_leaf(&u.id)))
        .collect();
    for u in &gone {
        assert!(control.soft_delete(&u.id));
    }
    let expected_changes: Vec<_> = gone
        .iter()
        .map(|u| change(&u.id, &u.display_name, "deleted", &[]))
        .collect();

    for _ in 0..2 {
        let o = sync(&mut engine, request(&client));
        assert_eq!(o.status, JobStatus::Blocked);
        assert_eq!(o.error_code.as_deref(), Some("DeletionGuard"));
        assert_eq!(
            o.guard,
            Some(GuardInfo {
                removals: 5,
                limit: 2,
                directory_size: 250
            })
        );
        assert_eq!(
            o.counts,
            counts(|c| {
                c.deleted = 5;
                c.unchanged = 245;
            })
        );
        let d = detail(dir.path(), o.job);
        assert_eq!(d.summary.status, JobStatus::Blocked);
        assert_eq!(d.summary.kind, JobKind::Incremental);
        assert_eq!(d.summary.counts, o.counts);
        assert_eq!(d.summary.error_code.as_deref(), Some("DeletionGuard"));
        let msg = d.summary.error_message.clone().unwrap();
        assert!(msg.contains("5 of 250"), "{msg}");
        assert!(msg.contains("limit of 2"), "{msg}");
        assert!(msg.contains("--allow-deletes"), "{msg}");
        assert!(log_text(&d).contains("blocked, not applied"));
        assert_changes(&d.changes, &expected_changes);
        // Nothing applied.
        assert_same_directory(&stored(dir.path(), client.key), &before);
        assert_eq!(delta_link(dir.path(), client.key), link);
    }

    let mut consent = request(&client);
    consent.allow_deletes = true;
    let o = sync_ok(&mut engine, consent);
    assert_eq!(o.guard, None);
    assert_eq!(o.error_code, None);
    assert_eq!(
        o.counts,
        counts(|c| {
            c.deleted = 5;
            c.unchanged = 245;
        })
    );
    let d = detail(dir.path(), o.job);
    assert!(d.summary.allow_deletes);
    assert_changes(&d.changes, &expected_changes);
    let log = log_text(&d);
    assert!(log.contains("applied with explicit consent"), "{log}");
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
    assert_ne!(delta_link(dir.path(), client.key), link);
    assert_eq!(active_count(dir.path(), client.key), 245);

    // Consent is per run: the next plan is judged afresh (and has nothing to remove).
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.counts, counts(|c| c.unchanged = 245));
}

/// Exactly at the limit is allowed; disables count like deletes.
#[test]
fn deletion_guard_allows_the_limit_and_counts_disables() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client_with(dir.path(), &demo, "guarded", |c| {
        c.guard = DeletionGuard {
            max_users: 2,
            max_percent: 20,
        }
    });
    let mut engine = engine(dir.path(), tuning(100));
    sync_ok(&mut engine, request(&client));
    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();

    // One soft delete and one disable: 2 removals, the limit.
    let a = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
    let b = pick.take(&mut taken, |u| u.account_enabled);
    control.soft_delete(&a.id);
    control.set_enabled(&b.id, false);
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(
        o.counts,
        counts(|c| {
            c.deleted = 1;
            c.disabled = 1;
            c.unchanged = 248;
        })
    );
    assert_directory(dir.path(), client.key, &expected_all(&control, None));

    // Three disables: over the limit of min(249 * 20 %, 2) = 2.
    let before = stored(dir.path(), client.key);
    let link = delta_link(dir.path(), client.key);
    for _ in 0..3 {
        let u = pick.take(&mut taken, |u| u.account_enabled);
        control.set_enabled(&u.id, false);
    }
    let o = sync(&mut engine, request(&client));
    assert_eq!(o.status, JobStatus::Blocked);
    assert_eq!(
        o.guard,
        Some(GuardInfo {
            removals: 3,
            limit: 2,
            directory_size: 249
        })
    );
    assert_eq!(o.counts.disabled, 3);
    assert_same_directory(&stored(dir.path(), client.key), &before);
    assert_eq!(delta_link(dir.path(), client.key), link);
}

/// A dry run records the plan as a job (kind dryRun, counts, changes), applies nothing
/// and keeps the old deltaLink; the following real sync applies the same plan.
#[test]
fn dry_run_records_the_plan_and_keeps_the_delta_link() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(100));

    // A dry run of a first sync: the plan is everyone added; nothing stored.
    let mut dry = request(&client);
    dry.dry_run = true;
    let o = sync_ok(&mut engine, dry.clone());
    assert_eq!(o.kind, JobKind::DryRun);
    assert_eq!(o.counts, counts(|c| c.added = 250));
    assert!(stored(dir.path(), client.key).is_empty());
    assert_eq!(store(dir.path()).sync_state(client.key).unwrap(), None);
    assert_eq!(detail(dir.path(), o.job).changes.len(), 250);

    sync_ok(&mut engine, request(&client));
    let before = stored(dir.path(), client.key);
    let state = store(dir.path()).sync_state(client.key).unwrap();

    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    let upd = pick.take(&mut taken, |u| u.job_title.is_some());
    let del = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
    control.update_user(
        &upd.id,
        usersync::emulator::DemoUserPatch {
            job_title: Some(Some("Chief Dry Runner".into())),
            ..Default::default()
        },
    );
    control.soft_delete(&del.id);
    let new_id = control.add_user(usersync::emulator::DemoUserInput {
        display_name: "Øystein Dryrun".into(),
        ..Default::default()
    });
    let want = counts(|c| {
        c.added = 1;
        c.updated = 1;
        c.deleted = 1;
        c.unchanged = 248;
    });
    let want_changes = vec![
        change(&new_id, "Øystein Dryrun", "added", &[]),
        change(
            &upd.id,
            &upd.display_name,
            "updated",
            &[(
                "jobTitle",
                upd.job_title.as_deref(),
                Some("Chief Dry Runner"),
            )],
        ),
        change(&del.id, &del.display_name, "deleted", &[]),
    ];

    let o = sync_ok(&mut engine, dry);
    assert_eq!(o.kind, JobKind::DryRun);
    assert_eq!(o.counts, want);
    let d = detail(dir.path(), o.job);
    assert_eq!(d.summary.kind, JobKind::DryRun);
    assert_eq!(d.summary.counts, want);
    assert_changes(&d.changes, &want_changes);
    assert!(log_text(&d).contains("dry run, not applied"));
    assert_same_directory(&stored(dir.path(), client.key), &before);
    assert_eq!(
        store(dir.path()).sync_state(client.key).unwrap(),
        state,
        "the deltaLink (and when it was saved) stay"
    );

    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.kind, JobKind::Incremental);
    assert_eq!(o.counts, want);
    assert_changes(&detail(dir.path(), o.job).changes, &want_changes);
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// One running sync per client: a second request is refused (and a scheduled one is
/// recorded as skipped) while another client syncs at the same time.
#[test]
fn second_sync_of_a_running_client_is_refused_while_another_client_syncs() {
    let slow = Demo::start(250);
    let fast = Demo::start(60);
    let dir = tempfile::tempdir().unwrap();
    let a = add_client(dir.path(), &slow, "slow tenant");
    let b = add_client(dir.path(), &fast, "fast tenant");
    let mut engine = engine(dir.path(), tuning(10));

    // Every Graph request of the slow tenant is held for an hour: its sync runs until
    // cancelled, whatever the machine's speed.
    slow.control().set_latency(Duration::from_secs(3600));
    let ja = start(&engine, request(&a)).expect("first sync starts");
    assert_eq!(engine.running_clients(), vec![a.key]);

    let second = start(&engine, request(&a));
    assert_eq!(
        second,
        Err(SyncRefusal::AlreadyRunning {
            client: "slow tenant".into(),
            job: Some(ja)
        })
    );
    let mut scheduled = request(&a);
    scheduled.trigger = Trigger::Scheduled;
    scheduled.schedule_name = Some("nightly".into());
    assert!(matches!(
        start(&engine, scheduled),
        Err(SyncRefusal::AlreadyRunning { job: Some(j), .. }) if j == ja
    ));

    // The other client syncs meanwhile.
    let jb = start(&engine, request(&b)).expect("another client may sync");
    let ob = wait_finished(&mut engine, jb);
    assert_eq!(ob.status, JobStatus::Succeeded);
    assert_eq!(ob.counts.added, 60);
    assert_directory(dir.path(), b.key, &expected_live(&fast.control(), None));
    let running = store(dir.path()).job_summary(ja).unwrap().unwrap();
    assert_eq!(running.status, JobStatus::Running, "a's sync still runs");

    // Only the first request of a made a running job; the scheduled one is recorded as
    // skipped.
    let jobs = jobs_of(dir.path(), a.key);
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    assert_eq!(jobs[1].id, ja);
    assert_eq!(jobs[0].status, JobStatus::Skipped);
    assert_eq!(jobs[0].trigger, Trigger::Scheduled);
    assert_eq!(jobs[0].schedule_name.as_deref(), Some("nightly"));
    let skipped = detail(dir.path(), jobs[0].id);
    assert!(log_text(&skipped).contains(&format!("already running (job {ja})")));

    assert!(engine.cancel(ja));
    let oa = wait_finished(&mut engine, ja);
    assert_eq!(oa.status, JobStatus::Cancelled);
    assert!(engine.running_clients().is_empty());

    // Once it ended, the client can sync again.
    slow.control().set_latency(Duration::ZERO);
    let o = sync_ok(&mut engine, request(&a));
    assert_eq!(o.counts.added, 250);
}

/// Cancel stops mid-round: status cancelled, nothing applied, deltaLink unchanged; the
/// next sync still applies the changes.
#[test]
fn cancel_mid_round_applies_nothing() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(10));
    sync_ok(&mut engine, request(&client));
    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    let upd = pick.take(&mut taken, |u| u.city.is_some());
    control.update_user(
        &upd.id,
        usersync::emulator::DemoUserPatch {
            city: Some(Some("Tromsø".into())),
            ..Default::default()
        },
    );
    let new_id = control.add_user(usersync::emulator::DemoUserInput {
        display_name: "Late Arrival".into(),
        ..Default::default()
    });
    let before = stored(dir.path(), client.key);
    let state = store(dir.path()).sync_state(client.key).unwrap();

    // A full round of 25 pages; once two pages are in, the tenant stops answering (an
    // hour per request) so the round cannot finish before the cancel.
    control.set_latency(Duration::from_millis(20));
    let mut full = request(&client);
    full.full = true;
    let job = start(&engine, full).expect("started");
    wait_progress(&mut engine, job, |p| {
        p.phase == Phase::Fetching && p.pages >= 2
    });
    control.set_latency(Duration::from_secs(3600));
    assert!(engine.cancel(job));
    let o = wait_finished(&mut engine, job);
    assert_eq!(o.status, JobStatus::Cancelled);
    assert_eq!(o.counts, counts(|_| {}));
    assert!(o.pages < 25);
    let d = detail(dir.path(), job);
    assert_eq!(d.summary.status, JobStatus::Cancelled);
    assert!(d.summary.finished_at.is_some());
    assert_eq!(
        d.summary.error_message.as_deref(),
        Some("Cancelled; nothing was applied.")
    );
    assert!(d.changes.is_empty());
    assert_same_directory(&stored(dir.path(), client.key), &before);
    assert_eq!(store(dir.path()).sync_state(client.key).unwrap(), state);

    control.set_latency(Duration::ZERO);
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.kind, JobKind::Incremental);
    assert_eq!(
        o.counts,
        counts(|c| {
            c.added = 1;
            c.updated = 1;
            c.unchanged = 249;
        })
    );
    let d = detail(dir.path(), o.job);
    assert_changes(
        &d.changes,
        &[
            change(&new_id, "Late Arrival", "added", &[]),
            change(
                &upd.id,
                &upd.display_name,
                "updated",
                &[("city", upd.city.as_deref(), Some("Tromsø"))],
            ),
        ],
    );
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// Refusals leave no job behind: inactive, unknown, no secret, secret in the other store.
#[test]
fn refused_syncs_record_no_job() {
    let demo = Demo::start(20);
    let dir = tempfile::tempdir().unwrap();
    let inactive = add_client_with(dir.path(), &demo, "sleeping", |c| c.active = false);
    let no_secret = client_for(&demo, "no secret");
    store(dir.path()).insert_client(&no_secret, "file").unwrap();
    let in_keyring = client_for(&demo, "keyring");
    store(dir.path()).insert_client(&in_keyring, "os").unwrap();
    let engine = engine(dir.path(), tuning(100));

    assert_eq!(
        start(&engine, request(&inactive)),
        Err(SyncRefusal::Inactive("sleeping".into()))
    );
    assert_eq!(
        start(
            &engine,
            usersync::engine::SyncRequest::new(usersync::model::ClientKey::new(), Trigger::Manual)
        ),
        Err(SyncRefusal::NotFound)
    );
    match start(&engine, request(&no_secret)) {
        Err(SyncRefusal::Secret(msg)) => assert!(msg.contains("no secret is stored"), "{msg}"),
        other => panic!("expected a secret refusal, got {other:?}"),
    }
    match start(&engine, request(&in_keyring)) {
        Err(SyncRefusal::Secret(msg)) => assert!(msg.contains("--secret-store os"), "{msg}"),
        other => panic!("expected a wrong-store refusal, got {other:?}"),
    }
    let all = store(dir.path())
        .list_jobs(&usersync::store::JobFilter::default())
        .unwrap();
    assert!(all.is_empty(), "{all:?}");
    assert!(stored(dir.path(), inactive.key).is_empty());

    // Activated, it syncs.
    store(dir.path())
        .update_client(
            inactive.key,
            &ClientUpdate {
                active: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    let mut engine = engine;
    sync_ok(&mut engine, request(&inactive));
    assert_directory(
        dir.path(),
        inactive.key,
        &expected_live(&demo.control(), None),
    );
}

/// A wrong secret fails the job with the service's code; nothing is stored.
#[test]
fn wrong_secret_fails_the_job_and_stores_nothing() {
    let demo = Demo::start(20);
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&demo, "typo");
    save_client(dir.path(), &client, demo.tenant.secret_id());
    let mut engine = engine(dir.path(), tuning(100));
    let o = sync(&mut engine, request(&client));
    assert_eq!(o.status, JobStatus::Failed);
    assert_eq!(o.error_code.as_deref(), Some("AADSTS7000215"));
    let d = detail(dir.path(), o.job);
    assert_eq!(d.summary.status, JobStatus::Failed);
    assert_eq!(d.summary.error_code.as_deref(), Some("AADSTS7000215"));
    assert!(d.summary.error_message.is_some());
    assert!(!log_text(&d).contains(demo.tenant.secret_id()));
    assert!(stored(dir.path(), client.key).is_empty());
    assert_eq!(delta_link(dir.path(), client.key), None);
}

/// Jobs left `running` by a process that died become `interrupted` when an engine
/// starts; jobs of a live process, or of another machine, are left alone.
#[test]
fn jobs_of_a_dead_process_become_interrupted_at_start() {
    let demo = Demo::start(30);
    let dir = tempfile::tempdir().unwrap();
    let a = add_client(dir.path(), &demo, "a");
    let b = add_client(dir.path(), &demo, "b");
    let c = add_client(dir.path(), &demo, "c");
    let host = usersync::store::jobs::this_host();
    let dead = insert_running_job(dir.path(), &a, dead_pid(), &host);
    // A live owner: killed at the end even if the test fails.
    struct Sleeper(std::process::Child);
    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut sleeper = Sleeper(
        std::process::Command::new("sleep")
            .arg("3600")
            .spawn()
            .expect("spawn sleep"),
    );
    let alive = insert_running_job(dir.path(), &b, i64::from(sleeper.0.id()), &host);
    let remote = insert_running_job(dir.path(), &c, dead_pid(), "some-other-machine");

    let mut engine = engine(dir.path(), tuning(100));
    // Commands are handled after recovery: once this answer arrives, recovery is done.
    let refused = start(&engine, request(&b));
    assert_eq!(
        refused,
        Err(SyncRefusal::AlreadyRunning {
            client: "b".into(),
            job: Some(alive)
        }),
        "another live process runs b"
    );
    let s = store(dir.path());
    let d = detail(dir.path(), dead);
    assert_eq!(d.summary.status, JobStatus::Interrupted);
    assert!(d.summary.finished_at.is_some());
    assert!(
        d.summary
            .error_message
            .as_deref()
            .unwrap()
            .contains("nothing of it was applied")
    );
    assert!(log_text(&d).contains("marked interrupted"));
    assert_eq!(
        s.job_summary(alive).unwrap().unwrap().status,
        JobStatus::Running
    );
    assert_eq!(
        s.job_summary(remote).unwrap().unwrap().status,
        JobStatus::Running,
        "a job of another machine is assumed alive"
    );

    // a syncs normally after recovery.
    sync_ok(&mut engine, request(&a));
    // When b's owner dies, the next sync of b takes over and records the old job.
    sleeper.0.kill().unwrap();
    sleeper.0.wait().unwrap();
    let o = sync_ok(&mut engine, request(&b));
    assert_eq!(o.counts.added, 30);
    assert_eq!(
        s.job_summary(alive).unwrap().unwrap().status,
        JobStatus::Interrupted
    );
}

/// The retention setting keeps the newest N jobs of a client.
#[test]
fn job_retention_keeps_the_newest_jobs() {
    let demo = Demo::start(10);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let other = add_client(dir.path(), &demo, "other");
    store(dir.path()).set_job_retention(client.key, 3).unwrap();
    let mut engine = engine(dir.path(), tuning(100));
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(sync_ok(&mut engine, request(&client)).job);
    }
    sync_ok(&mut engine, request(&other));
    sync_ok(&mut engine, request(&other));
    let kept: Vec<_> = jobs_of(dir.path(), client.key)
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(kept, vec![ids[4], ids[3], ids[2]]);
    assert!(store(dir.path()).job_detail(ids[0]).unwrap().is_none());
    assert_eq!(
        jobs_of(dir.path(), other.key).len(),
        2,
        "other clients keep theirs"
    );
    // The first job's record went, its result stayed.
    assert_directory(
        dir.path(),
        client.key,
        &expected_live(&demo.control(), None),
    );
}
