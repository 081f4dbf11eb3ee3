//! Sign-in, errors and validation of the Graph client against the demo tenant, over real
//! loopback HTTP: every AADSTS / Graph code reaches the admin as the right message with
//! its code and correlation id; the token is cached, refreshed after expiry and after
//! revocation; the secret never shows up in a request path or query.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use usersync::emulator::{Control, DemoConfig, DemoTenant};
use usersync::graph::{
    ErrorKind, GraphClient, GraphConfig, GraphError, RetryPolicy, StepStatus, validate,
};
use usersync::model::{Endpoints, Secret};

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

fn config(t: &DemoTenant) -> GraphConfig {
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
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
    };
    cfg.request_timeout = Duration::from_secs(20);
    cfg
}

fn client(t: &DemoTenant) -> GraphClient {
    GraphClient::new(config(t)).expect("client")
}

fn client_with(t: &DemoTenant, f: impl FnOnce(&mut GraphConfig)) -> GraphClient {
    let mut cfg = config(t);
    f(&mut cfg);
    GraphClient::new(cfg).expect("client")
}

fn token_requests(t: &DemoTenant) -> usize {
    t.control()
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" && r.path_and_query.contains("/oauth2/v2.0/token"))
        .count()
}

fn never_leaks(e: &GraphError, secrets: &[&str]) {
    for s in secrets {
        assert!(!e.to_string().contains(s), "secret in message: {e}");
        assert!(!format!("{e:?}").contains(s), "secret in Debug: {e:?}");
    }
}

#[derive(Clone, Copy)]
enum Switch {
    SecretExpired,
    AppDisabled,
    ConditionalAccess,
}

impl Switch {
    fn set(self, ctl: &Control, on: bool) {
        match self {
            Switch::SecretExpired => ctl.set_secret_expired(on),
            Switch::AppDisabled => ctl.set_app_disabled(on),
            Switch::ConditionalAccess => ctl.set_conditional_access_block(on),
        }
    }
}

/// What the admin must see for each sign-in failure: kind, code, a phrase of the advice,
/// and the correlation id.
#[tokio::test]
async fn each_sign_in_error_reaches_the_admin() {
    let t = demo(5).await;
    let secret = t.client_secret().to_string();
    let cancel = CancellationToken::new();
    let port = t.local_addr().port();

    let cases: Vec<(&str, GraphClient, ErrorKind, &str, &str)> = vec![
        (
            "unknown tenant",
            client_with(&t, |c| {
                c.tenant = "8f9a0b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b".into()
            }),
            ErrorKind::TenantNotFound,
            "AADSTS90002",
            "Check the Tenant Id",
        ),
        (
            "malformed tenant",
            client_with(&t, |c| c.tenant = "contoso_tenant".into()),
            ErrorKind::TenantMalformed,
            "AADSTS900023",
            "neither a directory (tenant) ID nor a domain",
        ),
        (
            "unknown client",
            client_with(&t, |c| {
                c.client_id = "0b1c2d3e-4f50-4a6b-8c8d-9e0f1a2b3c4d".into()
            }),
            ErrorKind::AppNotFound,
            "AADSTS700016",
            "registered in this tenant and not in another one",
        ),
        (
            "secret ID pasted",
            client_with(&t, |c| c.secret = Secret::new(t.secret_id())),
            ErrorKind::InvalidSecret,
            "AADSTS7000215",
            "secret's ID pasted instead of its Value",
        ),
        (
            "wrong cloud (Graph URL of another cloud)",
            client_with(&t, |c| {
                c.endpoints.graph_url = format!("http://127.0.0.2:{port}");
            }),
            ErrorKind::WrongCloud,
            "AADSTS500011",
            "same cloud",
        ),
    ];
    for (name, c, kind, code, phrase) in cases {
        let e = c.sign_in(&cancel).await.expect_err(name);
        assert_eq!(e.kind(), kind, "{name}: {e}");
        assert_eq!(e.code(), Some(code), "{name}");
        assert!(e.correlation_id().is_some(), "{name}: no correlation id");
        let text = e.to_string();
        assert!(text.contains(phrase), "{name}: {text}");
        assert!(text.contains(code), "{name}: {text}");
        assert!(text.contains(e.correlation_id().unwrap_or("?")), "{name}");
        assert!(!e.is_retryable(), "{name}");
        never_leaks(&e, &[&secret, t.secret_id()]);
    }

    // Switches on the app registration.
    let ctl = t.control();
    let switched = [
        (
            "expired secret",
            Switch::SecretExpired,
            ErrorKind::SecretExpired,
            "AADSTS7000222",
            "Certificates & secrets",
        ),
        (
            "disabled app",
            Switch::AppDisabled,
            ErrorKind::AppDisabled,
            "AADSTS7000112",
            "is disabled",
        ),
        (
            "conditional access",
            Switch::ConditionalAccess,
            ErrorKind::ConditionalAccess,
            "AADSTS530032",
            "Conditional Access",
        ),
    ];
    for (name, switch, kind, code, phrase) in switched {
        switch.set(&ctl, true);
        let e = client(&t).sign_in(&cancel).await.expect_err(name);
        switch.set(&ctl, false);
        assert_eq!(e.kind(), kind, "{name}: {e}");
        assert_eq!(e.code(), Some(code), "{name}");
        assert!(e.correlation_id().is_some(), "{name}");
        assert!(e.to_string().contains(phrase), "{name}: {e}");
        never_leaks(&e, &[&secret]);
    }
    // And with every switch off again, signing in works.
    client(&t).sign_in(&cancel).await.expect("sign in");
}

#[tokio::test]
async fn missing_user_read_all_is_explained() {
    let t = demo(5).await;
    t.control().set_users_permission(false);
    let c = client(&t);
    let e = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect_err("403");
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    assert_eq!(e.code(), Some("Authorization_RequestDenied"));
    assert!(e.correlation_id().is_some());
    let text = e.to_string();
    for phrase in [
        "User.Read.All",
        "Application (not Delegated)",
        "Grant admin consent",
    ] {
        assert!(text.contains(phrase), "{text}");
    }
    assert!(text.contains(e.correlation_id().unwrap_or("?")));
}

#[tokio::test]
async fn one_token_for_many_pages() {
    let t = demo(60).await;
    let c = client_with(&t, |cfg| cfg.max_page_size = 7);
    let cancel = CancellationToken::new();
    let mut pages = 0;
    let mut users = 0;
    let link = c
        .delta_round(None, &cancel, |batch| {
            pages += 1;
            users += batch.len();
        })
        .await
        .expect("round");
    assert!(link.contains("$deltatoken="), "{link}");
    assert!(pages >= 9, "pages: {pages}");
    assert!(users >= 60);
    // A second client call reuses the cached token too.
    c.list_users_page(3, &cancel).await.expect("list");
    assert_eq!(token_requests(&t), 1);
}

#[tokio::test]
async fn token_is_refreshed_after_it_expires() {
    let t = demo(5).await;
    t.control().set_token_lifetime(Duration::from_secs(1));
    let c = client(&t);
    let cancel = CancellationToken::new();
    c.list_users_page(1, &cancel).await.expect("first");
    c.list_users_page(1, &cancel).await.expect("second, cached");
    assert_eq!(token_requests(&t), 1);
    // A 1 s token is used for half its life; after that a new one is fetched.
    tokio::time::sleep(Duration::from_millis(700)).await;
    c.list_users_page(1, &cancel).await.expect("after expiry");
    assert_eq!(token_requests(&t), 2);
    let statuses: Vec<u16> = t.control().request_log().iter().map(|r| r.status).collect();
    assert!(!statuses.contains(&401), "{statuses:?}");
}

#[tokio::test]
async fn revoked_token_is_refreshed_once() {
    let t = demo(5).await;
    let c = client(&t);
    let cancel = CancellationToken::new();
    c.list_users_page(1, &cancel).await.expect("first");
    t.control().revoke_tokens();
    t.control().clear_request_log();
    let page = c.list_users_page(1, &cancel).await.expect("after revoke");
    assert_eq!(page.users.len(), 1);
    let log: Vec<(String, u16)> = t
        .control()
        .request_log()
        .iter()
        .map(|r| (r.method.clone(), r.status))
        .collect();
    assert_eq!(
        log,
        vec![
            ("GET".to_string(), 401),
            ("POST".to_string(), 200),
            ("GET".to_string(), 200)
        ]
    );
}

#[tokio::test]
async fn a_token_graph_keeps_rejecting_is_refreshed_only_once() {
    let t = demo(5).await;
    // Every token is born expired: Graph answers 401 however often we sign in.
    t.control().set_token_lifetime(Duration::ZERO);
    let c = client(&t);
    let e = c
        .list_users_page(1, &CancellationToken::new())
        .await
        .expect_err("401");
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    assert_eq!(e.code(), Some("InvalidAuthenticationToken"));
    assert!(e.correlation_id().is_some());
    assert_eq!(token_requests(&t), 2);
    let graph_401 = t
        .control()
        .request_log()
        .iter()
        .filter(|r| r.method == "GET" && r.status == 401)
        .count();
    assert_eq!(graph_401, 2);
}

#[tokio::test]
async fn validate_a_good_client() {
    let t = demo(5).await;
    let c = client(&t);
    let r = validate(&c, false, &CancellationToken::new()).await;
    assert!(r.ok, "{r:?}");
    let statuses: Vec<StepStatus> = r.steps.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        vec![StepStatus::Ok, StepStatus::Ok, StepStatus::Optional]
    );
    // Organization.Read.All is not granted by default: a note, not a failure.
    assert!(r.steps[2].message.contains("Organization.Read.All"));
    assert_eq!(
        r.steps[2].code.as_deref(),
        Some("Authorization_RequestDenied")
    );
    assert!(r.tenant_name.is_none());
    assert!(
        r.summary().starts_with("Validation passed"),
        "{}",
        r.summary()
    );

    t.control().set_organization_permission(true);
    let r = validate(&c, false, &CancellationToken::new()).await;
    assert!(r.ok);
    assert_eq!(r.steps[2].status, StepStatus::Ok);
    let name = r.tenant_name.clone().expect("tenant name");
    assert!(!name.is_empty());
    assert!(r.summary().contains(&name), "{}", r.summary());
    let org = c
        .organization(&CancellationToken::new())
        .await
        .expect("org")
        .expect("one org");
    assert_eq!(org.id, t.tenant_id());
    assert_eq!(org.default_domain.as_deref(), Some(t.tenant_domain()));

    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(json["ok"], true);
    assert_eq!(json["steps"][0]["status"], "ok");
    assert!(json["tenantName"].is_string());
}

#[tokio::test]
async fn validate_with_the_secret_id_instead_of_the_value() {
    let t = demo(5).await;
    let c = client_with(&t, |cfg| cfg.secret = Secret::new(t.secret_id()));
    let r = validate(&c, true, &CancellationToken::new()).await;
    assert!(!r.ok);
    let statuses: Vec<StepStatus> = r.steps.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        vec![
            StepStatus::Failed,
            StepStatus::NotRun,
            StepStatus::NotRun,
            StepStatus::NotRun
        ]
    );
    let s = &r.steps[0];
    assert_eq!(s.code.as_deref(), Some("AADSTS7000215"));
    assert!(s.correlation_id.is_some());
    assert!(s.message.contains("Value"), "{}", s.message);
    assert_eq!(r.error_kind, Some(ErrorKind::InvalidSecret));
    assert!(r.summary().contains("AADSTS7000215"), "{}", r.summary());
    let json = serde_json::to_string(&r).expect("json");
    assert!(!json.contains(t.secret_id()));
    assert!(!json.contains(t.client_secret()));
}

#[tokio::test]
async fn validate_without_user_read_all() {
    let t = demo(5).await;
    t.control().set_users_permission(false);
    let r = validate(&client(&t), false, &CancellationToken::new()).await;
    assert!(!r.ok);
    let statuses: Vec<StepStatus> = r.steps.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        vec![StepStatus::Ok, StepStatus::Failed, StepStatus::NotRun]
    );
    let s = &r.steps[1];
    assert_eq!(s.code.as_deref(), Some("Authorization_RequestDenied"));
    assert!(s.message.contains("User.Read.All"));
    assert!(s.message.contains("Grant admin consent"));
    assert!(s.correlation_id.is_some());
    assert_eq!(r.error_kind, Some(ErrorKind::PermissionDenied));
}

#[tokio::test]
async fn validate_an_sso_client() {
    let t = demo(5).await;
    let c = client(&t);
    let r = validate(&c, true, &CancellationToken::new()).await;
    assert!(r.ok, "{r:?}");
    assert_eq!(r.steps.len(), 4);
    assert_eq!(r.steps[3].name, "OpenID configuration");
    assert_eq!(r.steps[3].status, StepStatus::Ok);
    let issuer = r.issuer.clone().expect("issuer");
    assert!(issuer.contains(t.tenant_id()), "{issuer}");
    assert_eq!(
        c.sso_issuer(&CancellationToken::new())
            .await
            .expect("issuer"),
        issuer
    );
    let cfg = c
        .openid_configuration(&CancellationToken::new())
        .await
        .expect("openid");
    assert!(cfg.token_endpoint.ends_with("/oauth2/v2.0/token"));

    // The OpenID document of an unknown tenant is an admin-readable error.
    let other = client_with(&t, |cfg| {
        cfg.tenant = "8f9a0b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b".into()
    });
    let e = other
        .openid_configuration(&CancellationToken::new())
        .await
        .expect_err("unknown tenant");
    assert_eq!(e.kind(), ErrorKind::TenantNotFound);
    assert_eq!(e.code(), Some("AADSTS90002"));
}

#[tokio::test]
async fn cancelled_validation_stops() {
    let t = demo(5).await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let r = validate(&client(&t), true, &cancel).await;
    assert!(!r.ok);
    assert_eq!(r.error_kind, Some(ErrorKind::Cancelled));
    assert_eq!(r.steps[0].status, StepStatus::Failed);
    assert!(r.steps[1..].iter().all(|s| s.status == StepStatus::NotRun));
    assert!(t.control().request_log().is_empty());
}

#[tokio::test]
async fn the_secret_never_appears_in_a_request_path_or_query() {
    let t = demo(20).await;
    let cancel = CancellationToken::new();
    let good = client_with(&t, |cfg| cfg.max_page_size = 5);
    good.delta_round(None, &cancel, |_| {})
        .await
        .expect("round");
    good.list_users_page(3, &cancel).await.expect("list");
    let _ = validate(&good, true, &cancel).await;
    let bad = client_with(&t, |cfg| cfg.secret = Secret::new(t.secret_id()));
    let _ = bad.sign_in(&cancel).await;
    let log = t.control().request_log();
    assert!(log.len() > 5);
    for r in &log {
        for s in [t.client_secret(), t.secret_id()] {
            assert!(!r.path_and_query.contains(s), "{}", r.path_and_query);
        }
        assert!(!r.path_and_query.contains("client_secret"));
    }
}
