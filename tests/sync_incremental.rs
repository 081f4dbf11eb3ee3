//! Incremental syncs against the demo tenant: after each kind of change the directory,
//! the job's counts and its change list show exactly what changed and nothing else.
//! Also: 410 Gone → full resync, throttling and outages are ridden out, empty pages are
//! followed, and Azure SSO identities.

#[path = "common/sync_env.rs"]
mod sync_env;

use std::time::Duration;

use sync_env::*;
use usersync::emulator::{Control, DemoConfig, DemoUserInput, DemoUserPatch, FaultKind};
use usersync::graph::RetryPolicy;
use usersync::model::{JobChange, JobCounts, JobKind, JobStatus};
use usersync::store::ClientUpdate;

/// Changes the tenant; returns the expected counts (given the active users before) and
/// the expected change list.
type Act = Box<dyn Fn(&Control, u64) -> (JobCounts, Vec<JobChange>)>;

/// One change to the tenant and what the next incremental sync must report.
struct Case {
    name: &'static str,
    act: Act,
}

fn patch(edit: impl FnOnce(&mut DemoUserPatch)) -> DemoUserPatch {
    let mut p = DemoUserPatch::default();
    edit(&mut p);
    p
}

#[test]
fn incremental_sync_after_each_kind_of_change() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(50));
    sync_ok(&mut engine, request(&client));

    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    let ceo = users
        .iter()
        .find(|u| u.manager_id.is_none() && u.user_type == "Member")
        .expect("a CEO")
        .clone();
    taken.push(ceo.id.clone());
    let upd = pick.take(&mut taken, |u| {
        u.city.is_some() && u.job_title.is_some() && !u.business_phones.is_empty()
    });
    let renamed = pick.take(&mut taken, |u| u.display_name.is_ascii());
    let mover = pick.take(&mut taken, |u| {
        u.manager_id.is_some() && u.manager_id.as_deref() != Some(ceo.id.as_str())
    });
    let orphan = pick.take(&mut taken, |u| u.manager_id.is_some());
    let both = pick.take(&mut taken, |u| {
        u.manager_id.is_some()
            && u.manager_id.as_deref() != Some(ceo.id.as_str())
            && u.job_title.is_some()
    });
    let dis = pick.take(&mut taken, |u| u.account_enabled && pick.is_leaf(&u.id));
    let soft = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
    let leaf = pick.take(&mut taken, |u| {
        pick.is_leaf(&u.id) && u.manager_id.is_some()
    });
    let purge_later = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
    let busy = taken.clone();
    let boss = pick.take(&mut taken, |u| {
        let reports = pick.reports_of(&u.id);
        (2..=8).contains(&reports.len())
            && reports.iter().all(|r| !busy.contains(&r.id))
            && u.manager_id.is_some()
    });
    let boss_reports: Vec<_> = pick.reports_of(&boss.id).into_iter().cloned().collect();
    let ceo_id = ceo.id.clone();

    let cases: Vec<Case> = vec![
        Case {
            name: "add a user (Unicode, with a manager)",
            act: Box::new(move |c, n| {
                let id = c.add_user(DemoUserInput {
                    display_name: "Zoë Ångström-Núñez 张伟 🚀".into(),
                    given_name: Some("Zoë".into()),
                    surname: Some("Ångström-Núñez".into()),
                    job_title: Some("Ingénieure".into()),
                    department: Some("R&D".into()),
                    business_phones: vec!["+47 22 00 00 00".into(), "+47 22 00 00 01".into()],
                    city: Some("Tromsø".into()),
                    manager_id: Some(ceo_id.clone()),
                    ..Default::default()
                });
                (
                    counts(|k| {
                        k.added = 1;
                        k.unchanged = n;
                    }),
                    vec![change(&id, "Zoë Ångström-Núñez 张伟 🚀", "added", &[])],
                )
            }),
        },
        Case {
            name: "attribute update (only the changed properties are sent)",
            act: Box::new({
                let u = upd.clone();
                move |c, n| {
                    assert!(c.update_user(
                        &u.id,
                        patch(|p| {
                            p.job_title = Some(Some("Principal Ærø Engineer".into()));
                            p.city = Some(None);
                            p.business_phones = Some(vec![]);
                        })
                    ));
                    let phones = u.business_phones.join(", ");
                    (
                        counts(|k| {
                            k.updated = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(
                            &u.id,
                            &u.display_name,
                            "updated",
                            &[
                                (
                                    "jobTitle",
                                    u.job_title.as_deref(),
                                    Some("Principal Ærø Engineer"),
                                ),
                                ("businessPhones", Some(phones.as_str()), None),
                                ("city", u.city.as_deref(), None),
                            ],
                        )],
                    )
                }
            }),
        },
        Case {
            name: "display name becomes non-ASCII",
            act: Box::new({
                let u = renamed.clone();
                move |c, n| {
                    let name = "Łukasz Żółć-Ōtani (テスト)";
                    c.update_user(&u.id, patch(|p| p.display_name = Some(name.into())));
                    (
                        counts(|k| {
                            k.updated = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(
                            &u.id,
                            name,
                            "updated",
                            &[("displayName", Some(u.display_name.as_str()), Some(name))],
                        )],
                    )
                }
            }),
        },
        Case {
            name: "manager change",
            act: Box::new({
                let (u, to) = (mover.clone(), ceo.id.clone());
                move |c, n| {
                    assert!(c.set_manager(&u.id, Some(&to)));
                    (
                        counts(|k| {
                            k.manager_changed = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(
                            &u.id,
                            &u.display_name,
                            "managerChanged",
                            &[("managerId", u.manager_id.as_deref(), Some(to.as_str()))],
                        )],
                    )
                }
            }),
        },
        Case {
            name: "manager removed",
            act: Box::new({
                let u = orphan.clone();
                move |c, n| {
                    assert!(c.set_manager(&u.id, None));
                    (
                        counts(|k| {
                            k.manager_changed = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(
                            &u.id,
                            &u.display_name,
                            "managerChanged",
                            &[("managerId", u.manager_id.as_deref(), None)],
                        )],
                    )
                }
            }),
        },
        Case {
            name: "new title and new manager at once",
            act: Box::new({
                let (u, to) = (both.clone(), ceo.id.clone());
                move |c, n| {
                    c.update_user(
                        &u.id,
                        patch(|p| p.job_title = Some(Some("Chief of Staff".into()))),
                    );
                    c.set_manager(&u.id, Some(&to));
                    (
                        counts(|k| {
                            k.updated = 1;
                            k.manager_changed = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(
                            &u.id,
                            &u.display_name,
                            "managerChanged",
                            &[
                                ("jobTitle", u.job_title.as_deref(), Some("Chief of Staff")),
                                ("managerId", u.manager_id.as_deref(), Some(to.as_str())),
                            ],
                        )],
                    )
                }
            }),
        },
        Case {
            name: "disable",
            act: Box::new({
                let u = dis.clone();
                move |c, n| {
                    assert!(c.set_enabled(&u.id, false));
                    (
                        counts(|k| {
                            k.disabled = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(
                            &u.id,
                            &u.display_name,
                            "disabled",
                            &[("accountEnabled", Some("true"), Some("false"))],
                        )],
                    )
                }
            }),
        },
        Case {
            name: "re-enable",
            act: Box::new({
                let u = dis.clone();
                move |c, n| {
                    assert!(c.set_enabled(&u.id, true));
                    (
                        counts(|k| {
                            k.enabled = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(
                            &u.id,
                            &u.display_name,
                            "enabled",
                            &[("accountEnabled", Some("false"), Some("true"))],
                        )],
                    )
                }
            }),
        },
        Case {
            name: "soft delete",
            act: Box::new({
                let u = soft.clone();
                move |c, n| {
                    assert!(c.soft_delete(&u.id));
                    (
                        counts(|k| {
                            k.deleted = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(&u.id, &u.display_name, "deleted", &[])],
                    )
                }
            }),
        },
        Case {
            name: "restore",
            act: Box::new({
                let u = soft.clone();
                move |c, n| {
                    assert!(c.restore(&u.id));
                    (
                        counts(|k| {
                            k.restored = 1;
                            k.unchanged = n;
                        }),
                        vec![change(&u.id, &u.display_name, "restored", &[])],
                    )
                }
            }),
        },
        Case {
            name: "hard delete",
            act: Box::new({
                let u = leaf.clone();
                move |c, n| {
                    assert!(c.hard_delete(&u.id));
                    (
                        counts(|k| {
                            k.deleted = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(&u.id, &u.display_name, "purged", &[])],
                    )
                }
            }),
        },
        Case {
            name: "hard delete of a manager: the reports lose their manager",
            act: Box::new({
                let (u, reports) = (boss.clone(), boss_reports.clone());
                move |c, n| {
                    assert!(c.hard_delete(&u.id));
                    let r = reports.len() as u64;
                    let mut changes = vec![change(&u.id, &u.display_name, "purged", &[])];
                    for rep in &reports {
                        changes.push(change(
                            &rep.id,
                            &rep.display_name,
                            "managerChanged",
                            &[("managerId", Some(u.id.as_str()), None)],
                        ));
                    }
                    (
                        counts(|k| {
                            k.deleted = 1;
                            k.manager_changed = r;
                            k.unchanged = n - 1 - r;
                        }),
                        changes,
                    )
                }
            }),
        },
        Case {
            name: "soft delete (to be purged next)",
            act: Box::new({
                let u = purge_later.clone();
                move |c, n| {
                    assert!(c.soft_delete(&u.id));
                    (
                        counts(|k| {
                            k.deleted = 1;
                            k.unchanged = n - 1;
                        }),
                        vec![change(&u.id, &u.display_name, "deleted", &[])],
                    )
                }
            }),
        },
        Case {
            name: "a soft-deleted user is purged from the recycle bin",
            act: Box::new({
                let u = purge_later.clone();
                move |c, n| {
                    assert!(c.hard_delete(&u.id));
                    // Counted when it left the directory; a purge adds no removal.
                    (
                        counts(|k| k.unchanged = n),
                        vec![change(&u.id, &u.display_name, "purged", &[])],
                    )
                }
            }),
        },
        Case {
            name: "no change",
            act: Box::new(|_, n| (counts(|k| k.unchanged = n), vec![])),
        },
    ];

    for case in &cases {
        let n = active_count(dir.path(), client.key);
        let link = delta_link(dir.path(), client.key).expect("deltaLink");
        let (want_counts, want_changes) = (case.act)(&control, n);
        let o = sync_ok(&mut engine, request(&client));
        assert_eq!(o.kind, JobKind::Incremental, "{}", case.name);
        assert_eq!(o.counts, want_counts, "{}: counts", case.name);
        let d = detail(dir.path(), o.job);
        assert_eq!(d.summary.kind, JobKind::Incremental, "{}", case.name);
        assert_eq!(
            d.summary.counts, want_counts,
            "{}: recorded counts",
            case.name
        );
        assert_changes(&d.changes, &want_changes);
        assert_directory(dir.path(), client.key, &expected_all(&control, None));
        let new_link = delta_link(dir.path(), client.key).expect("deltaLink");
        assert_ne!(new_link, link, "{}: a new deltaLink is saved", case.name);
        // The round carried only the changed users, not the whole directory.
        assert_eq!(
            d.summary.users_read,
            want_changes.len() as u64,
            "{}: users read",
            case.name
        );
    }

    // A full sync afterwards finds nothing to change: the incremental path kept the
    // directory exactly in step (soft-deleted rows stay in the recycle bin).
    let mut full = request(&client);
    full.full = true;
    let o = sync_ok(&mut engine, full);
    assert_eq!(o.kind, JobKind::Full);
    let n = active_count(dir.path(), client.key);
    assert_eq!(o.counts, counts(|k| k.unchanged = n));
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// Several kinds of change in one round, counted once per aspect.
#[test]
fn one_round_with_many_changes() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(7));
    sync_ok(&mut engine, request(&client));
    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    for i in 0..20 {
        let u = pick.take(&mut taken, |_| true);
        control.update_user(
            &u.id,
            patch(|p| p.office_location = Some(Some(format!("Bygg {i}")))),
        );
    }
    for _ in 0..5 {
        let u = pick.take(&mut taken, |u| u.account_enabled);
        control.set_enabled(&u.id, false);
    }
    for _ in 0..4 {
        let u = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
        control.soft_delete(&u.id);
    }
    for i in 0..12 {
        control.add_user(DemoUserInput {
            display_name: format!("Nytt Navn {i} æøå"),
            manager_id: Some(taken[0].clone()),
            ..Default::default()
        });
    }
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(
        o.counts,
        counts(|k| {
            k.added = 12;
            k.updated = 20;
            k.disabled = 5;
            k.deleted = 4;
            k.unchanged = 250 - 29;
        })
    );
    assert!(o.pages >= 6, "41 changes in pages of 7: {}", o.pages);
    let d = detail(dir.path(), o.job);
    assert_eq!(d.changes.len(), 41);
    let kinds = |k: &str| d.changes.iter().filter(|c| c.kind == k).count();
    assert_eq!(
        (
            kinds("added"),
            kinds("updated"),
            kinds("disabled"),
            kinds("deleted")
        ),
        (12, 20, 5, 4)
    );
    assert!(
        d.changes
            .iter()
            .filter(|c| c.kind == "updated")
            .all(|c| c.fields.len() == 1 && c.fields[0].field == "officeLocation")
    );
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// A saved deltaLink answered 410 Gone: the job logs it and runs a full resync.
#[test]
fn expired_delta_link_runs_a_full_resync() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(100));
    sync_ok(&mut engine, request(&client));
    let old = store(dir.path()).sync_state(client.key).unwrap().unwrap();

    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    let upd = pick.take(&mut taken, |_| true);
    let del = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
    control.expire_delta_tokens();
    control.update_user(
        &upd.id,
        patch(|p| p.department = Some(Some("Façades".into()))),
    );
    control.soft_delete(&del.id);
    let new_id = control.add_user(DemoUserInput {
        display_name: "Résumé Writer".into(),
        ..Default::default()
    });
    control.clear_request_log();

    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(
        o.kind,
        JobKind::Full,
        "recorded as the full resync it became"
    );
    assert_eq!(
        o.counts,
        counts(|k| {
            k.added = 1;
            k.updated = 1;
            k.deleted = 1;
            k.unchanged = 248;
        })
    );
    let d = detail(dir.path(), o.job);
    assert_eq!(d.summary.kind, JobKind::Full);
    let log = log_text(&d);
    assert!(log.contains("410 Gone"), "{log}");
    assert!(log.contains("full resync"), "{log}");
    assert_changes(
        &d.changes,
        &[
            change(&new_id, "Résumé Writer", "added", &[]),
            change(
                &upd.id,
                &upd.display_name,
                "updated",
                &[("department", upd.department.as_deref(), Some("Façades"))],
            ),
            change(&del.id, &del.display_name, "deleted", &[]),
        ],
    );
    let statuses: Vec<u16> = demo.delta_requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.first(), Some(&410), "{statuses:?}");
    assert!(statuses[1..].iter().all(|s| *s == 200), "{statuses:?}");
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
    let new = store(dir.path()).sync_state(client.key).unwrap().unwrap();
    assert_ne!(new.delta_link, old.delta_link);
    assert_ne!(
        new.last_full_at, old.last_full_at,
        "a full round was recorded"
    );

    // The new deltaLink works.
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.kind, JobKind::Incremental);
    assert_eq!(o.counts, counts(|k| k.unchanged = 250));
}

/// 429s, 503s (with Retry-After 0 and 1), 504s and dropped connections are retried: the
/// sync completes exactly.
#[test]
fn throttled_and_unavailable_answers_are_ridden_out() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(60));
    let control = demo.control();

    control.set_retry_after_secs(0);
    control.fail_next(3, FaultKind::TooManyRequests);
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.counts.added, 250);
    assert_directory(dir.path(), client.key, &expected_live(&control, None));
    let statuses: Vec<u16> = demo.delta_requests().iter().map(|r| r.status).collect();
    assert_eq!(&statuses[..4], &[429, 429, 429, 200], "{statuses:?}");

    for (i, (kind, status)) in [
        (FaultKind::ServiceUnavailable, 503),
        (FaultKind::GatewayTimeout, 504),
        (FaultKind::DropConnection, 0),
    ]
    .into_iter()
    .enumerate()
    {
        control.set_retry_after_secs(1);
        control.clear_request_log();
        let u = control.users()[i].clone();
        control.update_user(
            &u.id,
            patch(|p| p.job_title = Some(Some(format!("After {status}")))),
        );
        control.fail_next(3, kind);
        let o = sync_ok(&mut engine, request(&client));
        assert_eq!(o.counts.updated, 1, "{kind:?}");
        let statuses: Vec<u16> = demo.delta_requests().iter().map(|r| r.status).collect();
        assert_eq!(&statuses[..4], &[status, status, status, 200], "{kind:?}");
        assert_directory(dir.path(), client.key, &expected_all(&control, None));
    }
}

/// Random faults on a fifth of the requests, over a round of many pages, with enough
/// attempts: still exact (the tenant's fault sequence is seeded, so the run repeats).
#[test]
fn sync_under_random_faults_is_exact() {
    let demo = Demo::with_config(DemoConfig {
        users: 250,
        seed: 7,
        retry_after_secs: 0,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut graph = tuning(10);
    graph.retry = RetryPolicy {
        max_attempts: 12,
        ..RetryPolicy::quick()
    };
    let mut engine = engine(dir.path(), graph);
    let control = demo.control();
    control.set_fault_rate(0.2);
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.counts.added, 250);
    assert_eq!(o.pages, 25);
    assert!(
        demo.delta_requests().iter().any(|r| r.status != 200),
        "faults were injected"
    );
    assert_directory(dir.path(), client.key, &expected_live(&control, None));
    control.set_fault_rate(0.0);
}

/// Throttled past the allowed attempts: the job fails with the code; nothing applied;
/// a later sync picks up from the old deltaLink.
#[test]
fn throttled_past_the_retries_fails_and_applies_nothing() {
    let demo = Demo::start(100);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(100));
    sync_ok(&mut engine, request(&client));
    let before = stored(dir.path(), client.key);
    let link = delta_link(dir.path(), client.key);
    let control = demo.control();
    let u = control.users()[3].clone();
    control.update_user(&u.id, patch(|p| p.surname = Some(Some("Ødegård".into()))));
    control.set_retry_after_secs(0);
    control.fail_next(4, FaultKind::TooManyRequests);
    let o = sync(&mut engine, request(&client));
    assert_eq!(o.status, JobStatus::Failed);
    assert_eq!(o.error_code.as_deref(), Some("TooManyRequests"));
    let d = detail(dir.path(), o.job);
    assert_eq!(d.summary.status, JobStatus::Failed);
    assert!(d.changes.is_empty());
    assert_same_directory(&stored(dir.path(), client.key), &before);
    assert_eq!(delta_link(dir.path(), client.key), link);

    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.counts.updated, 1);
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// Empty pages (first and between pages) are followed until the deltaLink, in full and
/// incremental rounds.
#[test]
fn empty_pages_are_followed() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(10));
    let control = demo.control();
    control.set_empty_pages(true);
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.counts.added, 250);
    assert_eq!(o.pages, demo.delta_requests().len() as u64);
    assert!(o.pages > 25, "empty pages were served: {}", o.pages);
    assert_directory(dir.path(), client.key, &expected_live(&control, None));

    let u = control.users()[10].clone();
    control.update_user(
        &u.id,
        patch(|p| p.mobile_phone = Some(Some("+47 999 99 999".into()))),
    );
    let new_id = control.add_user(DemoUserInput {
        display_name: "Empty Pages".into(),
        ..Default::default()
    });
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(
        o.counts,
        counts(|k| {
            k.added = 1;
            k.updated = 1;
            k.unchanged = 249;
        })
    );
    assert!(stored(dir.path(), client.key).contains_key(&new_id));
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// Users of an Azure SSO client carry issuer (from the tenant's OpenID configuration),
/// subject (object id) and login (UPN); others carry none. Turning SSO on shows up as an
/// `ssoIdentity` change of everyone at the next full sync; a UPN change moves the login.
#[test]
fn azure_sso_users_carry_an_identity() {
    let demo = Demo::start(120);
    let issuer = demo.issuer();
    assert!(issuer.contains(demo.tenant.tenant_id()), "{issuer}");
    let dir = tempfile::tempdir().unwrap();
    let sso = add_client_with(dir.path(), &demo, "sso", |c| c.azure_sso = true);
    let plain = add_client(dir.path(), &demo, "plain");
    let mut engine = engine(dir.path(), tuning(50));
    let control = demo.control();

    let o = sync_ok(&mut engine, request(&sso));
    assert!(log_text(&detail(dir.path(), o.job)).contains(&issuer));
    let rows = stored(dir.path(), sso.key);
    assert!(rows.values().all(|u| {
        u.sso.as_ref().is_some_and(|s| {
            s.issuer == issuer
                && s.subject == u.id
                && Some(s.login.as_str()) == u.attributes.user_principal_name.as_deref()
        })
    }));
    assert_directory(dir.path(), sso.key, &expected_live(&control, Some(&issuer)));

    sync_ok(&mut engine, request(&plain));
    assert!(
        stored(dir.path(), plain.key)
            .values()
            .all(|u| u.sso.is_none())
    );
    assert_directory(dir.path(), plain.key, &expected_live(&control, None));

    // A UPN change moves the login.
    let u = control.users()[5].clone();
    let upn = format!("renamed.{}", u.user_principal_name);
    control.update_user(&u.id, patch(|p| p.user_principal_name = Some(upn.clone())));
    let o = sync_ok(&mut engine, request(&sso));
    assert_eq!(
        o.counts,
        counts(|k| {
            k.updated = 1;
            k.unchanged = 119
        })
    );
    let d = detail(dir.path(), o.job);
    assert_eq!(d.changes.len(), 1);
    let fields: Vec<&str> = d.changes[0]
        .fields
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["userPrincipalName", "ssoIdentity"]);
    let sso_change = &d.changes[0].fields[1];
    assert!(
        sso_change
            .before
            .as_deref()
            .unwrap()
            .contains(&u.user_principal_name)
    );
    assert!(sso_change.after.as_deref().unwrap().contains(&upn));
    assert_directory(dir.path(), sso.key, &expected_live(&control, Some(&issuer)));

    // Turning SSO on for the plain client: the next full sync gives everyone an identity.
    store(dir.path())
        .update_client(
            plain.key,
            &ClientUpdate {
                azure_sso: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    let mut full = request(&plain);
    full.full = true;
    let o = sync_ok(&mut engine, full);
    assert_eq!(o.counts, counts(|k| k.updated = 120));
    let d = detail(dir.path(), o.job);
    assert_eq!(d.changes.len(), 120);
    for c in &d.changes {
        // The renamed user's new UPN also arrives for this client.
        let sso_field = if c.user_id == u.id {
            assert_eq!(c.fields[0].field, "userPrincipalName");
            assert_eq!(c.fields.len(), 2);
            &c.fields[1]
        } else {
            assert_eq!(c.fields.len(), 1, "{c:?}");
            &c.fields[0]
        };
        assert_eq!(c.kind, "updated");
        assert_eq!(sso_field.field, "ssoIdentity");
        assert_eq!(sso_field.before, None);
        let after = sso_field.after.as_deref().unwrap();
        assert!(after.contains(&issuer), "{after}");
    }
    assert_directory(
        dir.path(),
        plain.key,
        &expected_live(&control, Some(&issuer)),
    );
    // Both clients' directories are kept apart.
    assert_eq!(stored(dir.path(), sso.key).len(), 120);

    // Turning SSO off again removes the identities at the next full sync.
    store(dir.path())
        .update_client(
            sso.key,
            &ClientUpdate {
                azure_sso: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    let mut full = request(&sso);
    full.full = true;
    let o = sync_ok(&mut engine, full);
    assert_eq!(o.counts.updated, 120);
    assert_directory(dir.path(), sso.key, &expected_live(&control, None));
}

#[test]
fn slow_tenant_with_many_pages_is_exact() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(5));
    demo.control().set_latency(Duration::from_millis(5));
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.pages, 50);
    assert_directory(
        dir.path(),
        client.key,
        &expected_live(&demo.control(), None),
    );
}

/// A user in the recycle bin whose manager is permanently deleted meanwhile, then
/// restored: the restore is the full object (no `manager@delta`: no manager), so the
/// directory must not keep a managerId that points at a purged user.
#[test]
fn restored_user_does_not_keep_a_purged_manager() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(100));
    sync_ok(&mut engine, request(&client));
    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let boss = users
        .iter()
        .find(|u| {
            u.manager_id.is_some() && pick.reports_of(&u.id).iter().any(|r| pick.is_leaf(&r.id))
        })
        .expect("a manager with a leaf report")
        .clone();
    let report = pick
        .reports_of(&boss.id)
        .into_iter()
        .find(|r| pick.is_leaf(&r.id))
        .unwrap()
        .clone();

    assert!(control.soft_delete(&report.id));
    sync_ok(&mut engine, request(&client));
    assert!(control.hard_delete(&boss.id));
    sync_ok(&mut engine, request(&client));
    assert!(!stored(dir.path(), client.key).contains_key(&boss.id));

    assert!(control.restore(&report.id));
    assert_eq!(control.user(&report.id).unwrap().manager_id, None);
    let o = sync_ok(&mut engine, request(&client));
    assert_eq!(o.counts.restored, 1);
    let row = stored(dir.path(), client.key)[&report.id].clone();
    assert_eq!(
        row.manager_id, None,
        "managerId points at {:?}, a user no longer in the directory",
        row.manager_id
    );
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// The state tokens expire while an incremental round is being read: it falls back to a
/// full resync.
#[test]
fn tokens_expiring_mid_incremental_round_fall_back_to_a_full_resync() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(10));
    sync_ok(&mut engine, request(&client));
    let control = demo.control();
    // 60 changed users: an incremental round of 6 pages.
    for u in control.users().iter().take(60) {
        control.update_user(
            &u.id,
            patch(|p| p.company_name = Some(Some("Contoso Ærøskøbing".into()))),
        );
    }
    control.set_latency(Duration::from_millis(20));
    let job = start(&engine, request(&client)).expect("started");
    wait_progress(&mut engine, job, |p| p.pages >= 2);
    control.expire_delta_tokens();
    control.set_latency(Duration::ZERO);
    let o = wait_finished(&mut engine, job);
    assert_eq!(o.status, JobStatus::Succeeded, "{o:?}");
    assert_eq!(o.kind, JobKind::Full);
    assert_eq!(o.counts.updated, 60);
    assert!(log_text(&detail(dir.path(), job)).contains("full resync"));
    assert_directory(dir.path(), client.key, &expected_all(&control, None));
}

/// The state tokens expire while a full round is being read: the round should restart
/// (the 410's Location is the initial query), not fail the job.
#[test]
fn tokens_expiring_mid_full_round_restart_the_round() {
    let demo = Demo::start(250);
    let dir = tempfile::tempdir().unwrap();
    let client = add_client(dir.path(), &demo, "contoso");
    let mut engine = engine(dir.path(), tuning(10));
    let control = demo.control();
    control.set_latency(Duration::from_millis(20));
    let job = start(&engine, request(&client)).expect("started");
    wait_progress(&mut engine, job, |p| p.pages >= 2);
    control.expire_delta_tokens();
    control.set_latency(Duration::ZERO);
    let o = wait_finished(&mut engine, job);
    assert_eq!(
        o.status,
        JobStatus::Succeeded,
        "the first sync failed on an expired skiptoken: {:?}",
        o.error_message
    );
    assert_directory(dir.path(), client.key, &expected_live(&control, None));
}
