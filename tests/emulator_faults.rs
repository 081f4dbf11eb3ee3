//! Fault injection (429/503/504 with Retry-After, dropped connections, latency) and the
//! `/_demo` HTTP control API.

mod emulator_support;

use std::time::Duration;

use emulator_support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use usersync::emulator::{DemoConfig, FaultKind};

#[tokio::test]
async fn queued_faults_answer_with_documented_bodies_and_retry_after() {
    let t = start_with(DemoConfig {
        users: 10,
        retry_after_secs: 1,
        ..DemoConfig::default()
    })
    .await;
    let c = client();
    let tok = token(&t, &c).await;
    let url = format!("{}/v1.0/users", t.graph_url());
    let ctl = t.control();
    ctl.fail_next(1, FaultKind::TooManyRequests);
    ctl.fail_next(1, FaultKind::ServiceUnavailable);
    ctl.fail_next(1, FaultKind::GatewayTimeout);

    let (s, h, b) = get(&c, &url, &tok, None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(h["retry-after"], "1");
    assert_eq!(b["error"]["code"], "TooManyRequests");
    assert!(b["error"]["innerError"]["date"].is_string());

    let (s, h, b) = get(&c, &url, &tok, None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h["retry-after"], "1");
    assert_eq!(b["error"]["code"], "serviceNotAvailable");

    let (s, h, b) = get(&c, &url, &tok, None).await;
    assert_eq!(s, StatusCode::GATEWAY_TIMEOUT);
    assert!(h.get("retry-after").is_none());
    assert!(b["error"]["code"].is_string());

    let (s, _, _) = get(&c, &url, &tok, None).await;
    assert_eq!(s, StatusCode::OK, "faults are used up");

    // The token endpoint is never faulted.
    ctl.fail_next(1, FaultKind::TooManyRequests);
    let _ = token(&t, &c).await;
    let (s, _, _) = get(&c, &url, &tok, None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);

    let log = ctl.request_log();
    let statuses: Vec<u16> = log
        .iter()
        .filter(|r| r.path_and_query == "/v1.0/users")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, vec![429, 503, 504, 200, 429]);
    assert!(log.windows(2).all(|w| w[0].time <= w[1].time));
    t.shutdown().await;
}

#[tokio::test]
async fn a_dropped_connection_is_a_connection_error() {
    let t = start(10).await;
    let c = client();
    let tok = token(&t, &c).await;
    let url = format!("{}/v1.0/users", t.graph_url());
    t.control().fail_next(1, FaultKind::DropConnection);
    let err = c
        .get(&url)
        .bearer_auth(&tok)
        .send()
        .await
        .expect_err("no response");
    assert!(err.status().is_none(), "no HTTP status: {err:?}");
    assert!(
        err.is_request() || err.is_connect() || err.is_body(),
        "{err:?}"
    );
    // The next request gets through on a new connection.
    let (s, _, _) = get(&c, &url, &tok, None).await;
    assert_eq!(s, StatusCode::OK);
    let log = t.control().request_log();
    assert!(
        log.iter()
            .any(|r| r.path_and_query == "/v1.0/users" && r.status == 0)
    );
    t.shutdown().await;
}

#[tokio::test]
async fn fault_rate_and_latency() {
    let t = start(10).await;
    let c = client();
    let tok = token(&t, &c).await;
    let url = format!("{}/v1.0/users?$top=1", t.graph_url());
    let ctl = t.control();
    ctl.set_fault_rate(1.0);
    for _ in 0..8 {
        match c.get(&url).bearer_auth(&tok).send().await {
            Ok(r) => {
                assert!(
                    matches!(r.status().as_u16(), 429 | 503),
                    "every request faulted: {}",
                    r.status()
                );
                assert_eq!(r.headers()["retry-after"], "0");
            }
            Err(e) => assert!(e.status().is_none()),
        }
    }
    ctl.set_fault_rate(0.0);
    ctl.set_latency(Duration::from_millis(30));
    let (s, _, _) = get(&c, &url, &tok, None).await;
    assert_eq!(s, StatusCode::OK);
    ctl.set_latency(Duration::ZERO);
    t.shutdown().await;
}

#[tokio::test]
async fn control_api_over_http() {
    let t = start(25).await;
    let c = client();
    let tok = token(&t, &c).await;
    let demo = format!("{}/_demo", t.graph_url());
    let (_, _, start_round) = get(&c, &delta_url(&t, SELECT), &tok, None).await;
    let link = start_round["@odata.deltaLink"]
        .as_str()
        .unwrap()
        .to_string();

    let info: Value = c.get(&demo).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["tenantId"], t.tenant_id());
    assert!(
        info.get("clientSecret").is_none(),
        "the control API never shows the secret"
    );

    let users: Vec<Value> = c
        .get(format!("{demo}/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users.len(), 25);
    let boss = users
        .iter()
        .find(|u| u["managerId"].is_null() && u["userType"] == "Member")
        .unwrap();

    let r = c
        .post(format!("{demo}/users"))
        .json(&json!({"displayName": "Rita Ora", "givenName": "Rita", "surname": "Ora", "managerId": boss["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let rita: Value = r.json().await.unwrap();
    let id = rita["id"].as_str().unwrap().to_string();
    assert_eq!(rita["managerId"], boss["id"]);

    let r = c
        .patch(format!("{demo}/users/{id}"))
        .json(&json!({"jobTitle": "Singer", "mail": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .post(format!("{demo}/users/{id}/manager"))
        .json(&json!({"managerId": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.delete(format!("{demo}/users/{id}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .post(format!("{demo}/users/{id}/restore"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .patch(format!("{demo}/users/nope"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = c
        .post(format!("{demo}/users"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let delta = delta_round(&c, &link, &tok, None).await;
    assert_eq!(delta.items.len(), 1);
    assert_eq!(delta.items[0]["jobTitle"], "Singer");

    let r = c
        .delete(format!("{demo}/users/{id}?hard=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c.get(format!("{demo}/users/{id}")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let f: Value = c
        .post(format!("{demo}/faults"))
        .json(&json!({"failNext": {"count": 2, "kind": "serviceUnavailable"}, "retryAfterSecs": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(f["queued"], 2);
    let (s, _, _) = get(&c, &format!("{}/v1.0/users", t.graph_url()), &tok, None).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    let f: Value = c
        .post(format!("{demo}/faults"))
        .json(&json!({"clear": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(f["queued"], 0);

    let st: Value = c
        .post(format!("{demo}/settings"))
        .json(&json!({"usersPermission": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["usersPermission"], false);
    let (s, _, _) = get(&c, &format!("{}/v1.0/users", t.graph_url()), &tok, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    c.post(format!("{demo}/settings"))
        .json(&json!({"usersPermission": true}))
        .send()
        .await
        .unwrap();

    let r = c
        .post(format!("{demo}/expire-delta-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (s, _, _) = get(&c, &delta.delta_link, &tok, None).await;
    assert_eq!(s, StatusCode::GONE);

    let log: Vec<Value> = c
        .get(format!("{demo}/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(log.iter().any(|r| r["status"] == 410));
    t.shutdown().await;
}
