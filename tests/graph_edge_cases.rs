//! Edge cases of the Graph client over real loopback HTTP, against a small scripted
//! server (the demo tenant covers the ordinary flows; see graph_emulator_*.rs):
//! HTTP-date `Retry-After`, a `Retry-After` longer than we wait, redirects, a token
//! endpoint that is not one, concurrent callers sharing one token request, and what
//! the token request carries.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;
use usersync::graph::{ErrorKind, GraphClient, GraphConfig, RetryPolicy};
use usersync::model::{Endpoints, Secret};

const SECRET: &str = "edge~SECRET.value-1234567890";

#[derive(Clone)]
struct Scripted {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

#[derive(Default)]
struct Fake {
    /// Answers for Graph requests, in order; when empty, a final delta page.
    script: Mutex<VecDeque<Scripted>>,
    graph_times: Mutex<Vec<Instant>>,
    token_bodies: Mutex<Vec<String>>,
    token_paths: Mutex<Vec<String>>,
    token_status: Mutex<Option<(u16, String)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn token(
    State(f): State<Arc<Fake>>,
    uri: Uri,
    body: Bytes,
) -> (StatusCode, HeaderMap, String) {
    lock(&f.token_paths).push(uri.to_string());
    lock(&f.token_bodies).push(String::from_utf8_lossy(&body).into_owned());
    // Let concurrent callers pile up on the client's token lock.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some((status, body)) = lock(&f.token_status).clone() {
        return (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            h,
            body,
        );
    }
    (
        StatusCode::OK,
        h,
        r#"{"token_type":"Bearer","expires_in":3599,"access_token":"edge-access-token"}"#.into(),
    )
}

async fn graph(State(f): State<Arc<Fake>>) -> (StatusCode, HeaderMap, String) {
    lock(&f.graph_times).push(Instant::now());
    let next = lock(&f.script).pop_front();
    let s = next.unwrap_or(Scripted {
        status: 200,
        headers: vec![],
        body: r#"{"@odata.deltaLink":"http://127.0.0.1/v1.0/users/delta?$deltatoken=z","value":[{"id":"u1","displayName":"Ann"}]}"#.into(),
    });
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    for (k, v) in s.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            h.insert(name, value);
        }
    }
    (
        StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK),
        h,
        s.body,
    )
}

async fn start() -> (Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/v1.0/users/delta", get(graph))
        .route("/v1.0/users", get(graph))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (fake, format!("http://{addr}"))
}

fn client(base: &str, retry: RetryPolicy) -> GraphClient {
    let mut cfg = GraphConfig::new(
        Endpoints {
            authority_url: base.to_string(),
            graph_url: base.to_string(),
        },
        "edge-tenant",
        "edge-client",
        Secret::new(SECRET),
    );
    cfg.retry = retry;
    cfg.request_timeout = Duration::from_secs(20);
    GraphClient::new(cfg).expect("client")
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(10),
    }
}

fn push(f: &Fake, status: u16, headers: Vec<(&'static str, String)>, body: &str) {
    lock(&f.script).push_back(Scripted {
        status,
        headers,
        body: body.to_string(),
    });
}

#[tokio::test]
async fn http_date_retry_after_is_honoured() {
    let (fake, base) = start().await;
    let c = client(&base, quick());
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    push(
        &fake,
        503,
        vec![("retry-after", date)],
        r#"{"error":{"code":"serviceNotAvailable","message":"busy"}}"#,
    );
    let page = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect("page after retry");
    assert_eq!(page.users.len(), 1);
    let times = lock(&fake.graph_times).clone();
    assert_eq!(times.len(), 2);
    // The date has whole-second resolution: at least one second must have passed.
    assert!(
        times[1] - times[0] >= Duration::from_millis(1000),
        "{:?}",
        times[1] - times[0]
    );
}

#[tokio::test]
async fn retry_after_longer_than_we_wait_stops_at_once() {
    let (fake, base) = start().await;
    let c = client(&base, quick());
    push(
        &fake,
        429,
        vec![
            ("retry-after", "3600".into()),
            ("request-id", "rid-429".into()),
        ],
        r#"{"error":{"code":"TooManyRequests","message":"Too many requests","innerError":{"request-id":"rid-429"}}}"#,
    );
    let e = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect_err("throttled");
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(e.correlation_id(), Some("rid-429"));
    assert!(e.to_string().contains("3600 s"), "{e}");
    assert_eq!(lock(&fake.graph_times).len(), 1);
}

#[tokio::test]
async fn gateway_timeouts_without_retry_after_back_off_then_give_up() {
    let (fake, base) = start().await;
    let c = client(&base, quick());
    for _ in 0..4 {
        push(
            &fake,
            504,
            vec![],
            r#"{"error":{"code":"UnknownError","message":""}}"#,
        );
    }
    let e = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect_err("unavailable");
    assert_eq!(e.kind(), ErrorKind::ServiceUnavailable);
    assert!(e.to_string().contains("after 4 attempts"), "{e}");
    assert_eq!(lock(&fake.graph_times).len(), 4);
}

#[tokio::test]
async fn cancel_while_waiting_for_retry_after() {
    let (fake, base) = start().await;
    let c = client(&base, quick());
    push(&fake, 503, vec![("retry-after", "8".into())], "{}");
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        trigger.cancel();
    });
    let e = c
        .delta_page(&c.delta_start(), &cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(lock(&fake.graph_times).len(), 1);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (fake, base) = start().await;
    let c = client(&base, quick());
    push(
        &fake,
        302,
        vec![("location", "http://127.0.0.2:1/steal".into())],
        "",
    );
    let e = c
        .delta_page(&c.delta_start(), &CancellationToken::new())
        .await
        .expect_err("redirect");
    assert_eq!(e.kind(), ErrorKind::UnexpectedResponse);
    assert_eq!(lock(&fake.graph_times).len(), 1);
}

#[tokio::test]
async fn token_endpoint_that_is_not_one() {
    let (fake, base) = start().await;
    *lock(&fake.token_status) = Some((404, "<html><body>Nothing here</body></html>".into()));
    let c = client(&base, quick());
    let e = c
        .sign_in(&CancellationToken::new())
        .await
        .expect_err("not a token endpoint");
    assert_eq!(e.kind(), ErrorKind::UnexpectedResponse);
    let text = e.to_string();
    assert!(
        text.contains("HTTP 404") && text.contains("Nothing here"),
        "{text}"
    );
    assert!(text.contains("authority URL"), "{text}");
}

#[tokio::test]
async fn token_error_echoing_the_secret_is_redacted() {
    let (fake, base) = start().await;
    *lock(&fake.token_status) = Some((
        400,
        format!(
            r#"{{"error":"invalid_request","error_description":"AADSTS99999: odd {SECRET} thing","error_codes":[99999],"correlation_id":"cid-9"}}"#
        ),
    ));
    let c = client(&base, quick());
    let e = c
        .sign_in(&CancellationToken::new())
        .await
        .expect_err("error");
    assert_eq!(e.kind(), ErrorKind::SignInFailed);
    assert_eq!(e.correlation_id(), Some("cid-9"));
    assert!(!e.to_string().contains(SECRET));
    assert!(!format!("{e:?}").contains(SECRET));
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let (fake, base) = start().await;
    let c = client(&base, quick());
    let cancel = CancellationToken::new();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = c.clone();
        let cancel = cancel.clone();
        tasks.push(tokio::spawn(async move {
            c.delta_page(&c.delta_start(), &cancel)
                .await
                .map(|p| p.users.len())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("join").expect("page"), 1);
    }
    assert_eq!(lock(&fake.token_bodies).len(), 1);
    assert_eq!(lock(&fake.graph_times).len(), 8);
}

#[tokio::test]
async fn the_token_request_carries_the_documented_form() {
    let (fake, base) = start().await;
    let c = client(&base, quick());
    c.sign_in(&CancellationToken::new()).await.expect("sign in");
    let bodies = lock(&fake.token_bodies).clone();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(bodies[0].as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("grant_type"), Some("client_credentials"));
    assert_eq!(get("client_id"), Some("edge-client"));
    assert_eq!(get("client_secret"), Some(SECRET));
    assert_eq!(get("scope"), Some(format!("{base}/.default").as_str()));
    let paths = lock(&fake.token_paths).clone();
    assert_eq!(paths, vec!["/edge-tenant/oauth2/v2.0/token".to_string()]);
}
