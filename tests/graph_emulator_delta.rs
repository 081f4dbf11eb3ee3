//! `/users/delta` and `/users` through the Graph client against the demo tenant, over real
//! loopback HTTP: full rounds through paging (empty pages included), incremental rounds
//! after changes, 410 → DeltaExpired, retries of 429 / 503 / 504 / dropped connections
//! with the waits the service asked for, and cancellation in the middle of a retry.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;
use usersync::emulator::{
    DemoConfig, DemoTenant, DemoUser, DemoUserInput, DemoUserPatch, FaultKind,
};
use usersync::graph::{DeltaNext, ErrorKind, GraphClient, GraphConfig, RetryPolicy};
use usersync::model::{
    Endpoints, FetchedUser, FetchedUserFields, Field, ManagerChange, RemovedReason, Secret,
};

async fn demo(users: usize) -> DemoTenant {
    DemoTenant::start(
        "127.0.0.1:0".parse().expect("addr"),
        DemoConfig {
            users,
            ..Default::default()
        },
    )
    .await
    .expect("start demo tenant")
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(10),
    }
}

fn client_with(t: &DemoTenant, page_size: u32, retry: RetryPolicy) -> GraphClient {
    let mut cfg = GraphConfig::new(
        Endpoints {
            authority_url: t.authority_url(),
            graph_url: t.graph_url(),
        },
        t.tenant_domain(),
        t.client_id(),
        Secret::new(t.client_secret()),
    );
    cfg.retry = retry;
    cfg.max_page_size = page_size;
    cfg.request_timeout = Duration::from_secs(20);
    GraphClient::new(cfg).expect("client")
}

/// Follow a round page by page; returns (users by id, page sizes, deltaLink).
async fn round(c: &GraphClient, start: &str) -> (HashMap<String, FetchedUser>, Vec<usize>, String) {
    let cancel = CancellationToken::new();
    let mut url = start.to_string();
    let mut users = HashMap::new();
    let mut sizes = Vec::new();
    loop {
        let page = c.delta_page(&url, &cancel).await.expect("delta page");
        sizes.push(page.users.len());
        for u in page.users {
            users.insert(u.id().to_string(), u);
        }
        match page.next {
            DeltaNext::Next(next) => url = next,
            DeltaNext::Done { delta_link } => return (users, sizes, delta_link),
        }
    }
}

fn present(u: &FetchedUser) -> (&FetchedUserFields, &ManagerChange) {
    match u {
        FetchedUser::Present {
            fields, manager, ..
        } => (fields, manager),
        other => panic!("expected a present user, got {other:?}"),
    }
}

/// On a full round a property is its value, or null / absent when unset.
fn same(field: &Field<String>, want: &Option<String>) -> bool {
    match (field, want) {
        (Field::Value(v), Some(w)) => v == w,
        (Field::Null | Field::Absent, None) => true,
        _ => false,
    }
}

fn check_full(u: &FetchedUser, d: &DemoUser) {
    let (f, manager) = present(u);
    assert_eq!(f.display_name, Field::Value(d.display_name.clone()));
    assert_eq!(
        f.user_principal_name,
        Field::Value(d.user_principal_name.clone())
    );
    assert!(same(&f.given_name, &d.given_name), "{:?}", f.given_name);
    assert!(same(&f.surname, &d.surname));
    assert!(same(&f.mail, &d.mail));
    assert!(same(&f.job_title, &d.job_title));
    assert!(same(&f.department, &d.department));
    assert!(same(&f.office_location, &d.office_location));
    assert!(same(&f.city, &d.city));
    assert!(same(&f.country, &d.country));
    assert_eq!(f.user_type, Field::Value(d.user_type.clone()));
    assert_eq!(f.account_enabled, Field::Value(d.account_enabled));
    match &d.manager_id {
        Some(m) => assert_eq!(*manager, ManagerChange::Set(m.clone()), "{}", d.id),
        None => assert!(
            matches!(manager, ManagerChange::Unchanged | ManagerChange::Removed),
            "{manager:?}"
        ),
    }
}

#[tokio::test]
async fn full_round_through_paging_and_empty_pages() {
    let t = demo(60).await;
    t.control().set_empty_pages(true);
    let c = client_with(&t, 7, quick());
    let (users, sizes, link) = round(&c, &c.delta_start()).await;
    assert!(link.contains("$deltatoken="), "{link}");
    assert!(sizes.contains(&0), "no empty page was served: {sizes:?}");
    assert!(sizes.iter().all(|&n| n <= 7), "{sizes:?}");
    let live: Vec<DemoUser> = t
        .control()
        .users()
        .into_iter()
        .filter(|u| !u.soft_deleted)
        .collect();
    assert_eq!(users.len(), live.len());
    for d in &live {
        check_full(&users[&d.id], d);
    }
    // The first request carried the $select of every synced property and the manager.
    let first = t
        .control()
        .request_log()
        .into_iter()
        .find(|r| r.path_and_query.starts_with("/v1.0/users/delta"))
        .expect("a delta request");
    assert!(first.path_and_query.contains("$select="));
    assert!(first.path_and_query.contains("manager"));
    assert!(first.path_and_query.contains("accountEnabled"));
}

#[tokio::test]
async fn incremental_round_reports_what_changed() {
    let t = demo(40).await;
    let ctl = t.control();
    let c = client_with(&t, 10, quick());
    let (_, _, link) = round(&c, &c.delta_start()).await;

    let live: Vec<DemoUser> = ctl
        .users()
        .into_iter()
        .filter(|u| !u.soft_deleted)
        .collect();
    // Users without reports, so deleting them changes nobody else's manager.
    let managers: HashSet<String> = live.iter().filter_map(|u| u.manager_id.clone()).collect();
    let leaves: Vec<&DemoUser> = live.iter().filter(|u| !managers.contains(&u.id)).collect();
    assert!(leaves.len() >= 6, "need leaf users");
    let (updated, mover, soft, hard, disabled, orphan) = (
        leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], leaves[5],
    );
    // A manager (so none of the leaves changed below) other than the mover's own.
    let new_manager = live
        .iter()
        .find(|u| managers.contains(&u.id) && Some(&u.id) != mover.manager_id.as_ref())
        .expect("another manager");

    let added = ctl.add_user(DemoUserInput {
        display_name: "Zoë Ångström".into(),
        given_name: Some("Zoë".into()),
        surname: Some("Ångström".into()),
        job_title: Some("Analyst".into()),
        manager_id: Some(new_manager.id.clone()),
        ..Default::default()
    });
    assert!(ctl.update_user(
        &updated.id,
        DemoUserPatch {
            job_title: Some(None),
            department: Some(Some("Research & Development".into())),
            ..Default::default()
        }
    ));
    assert!(ctl.set_manager(&mover.id, Some(&new_manager.id)));
    assert!(ctl.set_manager(&orphan.id, None) || orphan.manager_id.is_none());
    assert!(ctl.soft_delete(&soft.id));
    assert!(ctl.hard_delete(&hard.id));
    assert!(ctl.set_enabled(&disabled.id, !disabled.account_enabled));

    let (users, _, link2) = round(&c, &link).await;
    assert_ne!(link2, link);

    let (f, m) = present(&users[&added]);
    assert_eq!(f.display_name, Field::Value("Zoë Ångström".into()));
    assert_eq!(f.job_title, Field::Value("Analyst".into()));
    assert_eq!(*m, ManagerChange::Set(new_manager.id.clone()));

    let (f, _) = present(&users[&updated.id]);
    assert_eq!(f.job_title, Field::Null, "cleared is null, not absent");
    assert_eq!(f.department, Field::Value("Research & Development".into()));

    let (_, m) = present(&users[&mover.id]);
    assert_eq!(*m, ManagerChange::Set(new_manager.id.clone()));

    if orphan.manager_id.is_some() {
        let (_, m) = present(&users[&orphan.id]);
        assert_eq!(*m, ManagerChange::Removed);
    }

    assert_eq!(
        users[&soft.id],
        FetchedUser::Removed {
            id: soft.id.clone(),
            reason: RemovedReason::Changed
        }
    );
    assert_eq!(
        users[&hard.id],
        FetchedUser::Removed {
            id: hard.id.clone(),
            reason: RemovedReason::Deleted
        }
    );
    let (f, _) = present(&users[&disabled.id]);
    assert_eq!(f.account_enabled, Field::Value(!disabled.account_enabled));

    // Restoring the soft-deleted user brings it back in the next round.
    assert!(ctl.restore(&soft.id));
    let (users, _, link3) = round(&c, &link2).await;
    let (f, _) = present(&users[&soft.id]);
    assert_eq!(f.display_name, Field::Value(soft.display_name.clone()));

    // And with no changes, a round is empty but still ends with a deltaLink.
    let (users, sizes, _) = round(&c, &link3).await;
    assert!(users.is_empty(), "{users:?}");
    assert!(!sizes.is_empty());
}

#[tokio::test]
async fn expired_delta_link_is_delta_expired() {
    let t = demo(10).await;
    let c = client_with(&t, 50, quick());
    let (_, _, link) = round(&c, &c.delta_start()).await;
    t.control().expire_delta_tokens();
    let e = c
        .delta_page(&link, &CancellationToken::new())
        .await
        .expect_err("410");
    assert_eq!(e.kind(), ErrorKind::DeltaExpired);
    assert_eq!(e.http_status(), Some(410));
    assert!(!e.is_retryable());
    assert!(e.correlation_id().is_some());
    assert!(e.to_string().contains("full sync"), "{e}");
    // A fresh full round works.
    let (users, _, _) = round(&c, &c.delta_start()).await;
    assert!(!users.is_empty());
}

fn delta_requests(t: &DemoTenant) -> Vec<(u16, Instant)> {
    t.control()
        .request_log()
        .into_iter()
        .filter(|r| r.path_and_query.starts_with("/v1.0/users/delta"))
        .map(|r| (r.status, r.time))
        .collect()
}

#[tokio::test]
async fn throttling_and_unavailable_wait_as_asked() {
    let t = demo(10).await;
    t.control().set_retry_after_secs(1);
    let c = client_with(&t, 50, quick());
    c.sign_in(&CancellationToken::new()).await.expect("sign in");
    t.control().fail_next(1, FaultKind::TooManyRequests);
    t.control().fail_next(1, FaultKind::ServiceUnavailable);
    let page = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect("page after retries");
    assert!(!page.users.is_empty());
    let log = delta_requests(&t);
    let statuses: Vec<u16> = log.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, vec![429, 503, 200]);
    // Retry-After: 1 was honoured both times (at least; never an upper bound).
    assert!(log[1].1 - log[0].1 >= Duration::from_secs(1));
    assert!(log[2].1 - log[1].1 >= Duration::from_secs(1));
}

#[tokio::test]
async fn retry_after_zero_and_backoff_faults_are_retried() {
    let t = demo(10).await;
    t.control().set_retry_after_secs(0);
    let c = client_with(&t, 50, quick());
    t.control().fail_next(1, FaultKind::TooManyRequests);
    t.control().fail_next(1, FaultKind::GatewayTimeout);
    t.control().fail_next(1, FaultKind::DropConnection);
    let page = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect("page after retries");
    assert!(!page.users.is_empty());
    let statuses: Vec<u16> = delta_requests(&t).iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, vec![429, 504, 0, 200]);
}

#[tokio::test]
async fn still_throttled_after_the_last_attempt() {
    let t = demo(10).await;
    t.control().set_retry_after_secs(0);
    let retry = RetryPolicy {
        max_attempts: 3,
        ..quick()
    };
    let c = client_with(&t, 50, retry);
    t.control().fail_next(10, FaultKind::TooManyRequests);
    let e = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect_err("throttled");
    t.control().clear_faults();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert!(e.is_retryable());
    assert_eq!(e.code(), Some("TooManyRequests"));
    assert!(e.correlation_id().is_some());
    assert!(e.to_string().contains("after 3 attempts"), "{e}");
    assert_eq!(delta_requests(&t).len(), 3);
}

#[tokio::test]
async fn dropped_connections_until_the_end_are_a_network_error() {
    let t = demo(10).await;
    let retry = RetryPolicy {
        max_attempts: 2,
        ..quick()
    };
    let c = client_with(&t, 50, retry);
    c.sign_in(&CancellationToken::new()).await.expect("sign in");
    t.control().fail_next(5, FaultKind::DropConnection);
    let e = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect_err("network");
    t.control().clear_faults();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(e.is_retryable());
    assert!(e.to_string().contains("2 attempts"), "{e}");
}

#[tokio::test]
async fn cancel_in_the_middle_of_a_retry() {
    let t = demo(10).await;
    t.control().set_retry_after_secs(5);
    let c = client_with(&t, 50, quick());
    c.sign_in(&CancellationToken::new()).await.expect("sign in");
    t.control().fail_next(1, FaultKind::ServiceUnavailable);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let e = c
        .delta_page(&c.delta_start(), &cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(!e.is_retryable());
    // Only the failed attempt reached the server; the retry never went out.
    assert_eq!(delta_requests(&t).len(), 1);
}

#[tokio::test]
async fn slow_answers_hit_the_request_timeout() {
    let t = demo(5).await;
    let mut cfg = GraphConfig::new(
        Endpoints {
            authority_url: t.authority_url(),
            graph_url: t.graph_url(),
        },
        t.tenant_id(),
        t.client_id(),
        Secret::new(t.client_secret()),
    );
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        ..quick()
    };
    cfg.request_timeout = Duration::from_millis(300);
    let c = GraphClient::new(cfg).expect("client");
    c.sign_in(&CancellationToken::new()).await.expect("sign in");
    t.control().set_latency(Duration::from_secs(2));
    let e = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect_err("timeout");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.is_retryable());
}

#[tokio::test]
async fn list_users_pages_through_next_links() {
    let t = demo(12).await;
    let c = client_with(&t, 50, quick());
    let cancel = CancellationToken::new();
    let mut page = c.list_users_page(5, &cancel).await.expect("page 1");
    let mut ids = HashSet::new();
    let mut pages = 1;
    loop {
        assert!(page.users.len() <= 5);
        for u in &page.users {
            let (f, m) = present(u);
            assert!(matches!(f.display_name, Field::Value(_)));
            assert_eq!(*m, ManagerChange::Unchanged);
            assert!(ids.insert(u.id().to_string()), "duplicate {}", u.id());
        }
        match page.next.take() {
            Some(next) => {
                page = c.list_users_next(&next, &cancel).await.expect("next page");
                pages += 1;
            }
            None => break,
        }
    }
    let live = t
        .control()
        .users()
        .into_iter()
        .filter(|u| !u.soft_deleted)
        .count();
    assert_eq!(ids.len(), live);
    assert!(pages >= 3);
}

#[tokio::test]
async fn a_link_to_another_host_is_not_followed() {
    let t = demo(5).await;
    let c = client_with(&t, 50, quick());
    let e = c
        .delta_page(
            "http://localhost:1/v1.0/users/delta?$skiptoken=x",
            &CancellationToken::new(),
        )
        .await
        .expect_err("foreign host");
    assert_eq!(e.kind(), ErrorKind::UnexpectedResponse);
    let e = c
        .delta_page("not a url", &CancellationToken::new())
        .await
        .expect_err("garbage");
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(t.control().request_log().is_empty());
}
