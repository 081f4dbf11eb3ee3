//! HTTP plumbing: a listener whose connections can be dropped on purpose, the request log,
//! the Graph middleware (latency, faults, bearer check, request ids) and the router.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::control::{FaultKind, RequestRecord, Shared};
use super::{control_api, entra, graph};

/// Per-connection data handed to handlers: the peer and the switch that kills the socket.
#[derive(Clone, Debug)]
pub(crate) struct ConnMeta {
    #[allow(dead_code)]
    pub remote: SocketAddr,
    pub kill: Arc<AtomicBool>,
}

pub(crate) struct KillableListener {
    pub inner: TcpListener,
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = ConnMeta;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let kill = Arc::new(AtomicBool::new(false));
                    let io = KillableStream {
                        inner: stream,
                        kill: kill.clone(),
                    };
                    return (io, ConnMeta { remote, kill });
                }
                Err(e) => {
                    tracing::debug!("demo tenant accept error: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnMeta {
            remote: self.inner.local_addr()?,
            kill: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for ConnMeta {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP stream that fails every read and write once its kill switch is set, so hyper drops
/// the connection without writing the response.
pub(crate) struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

fn killed() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::Acquire) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::Acquire) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.kill.load(Ordering::Acquire) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.kill.load(Ordering::Acquire) {
            return Poll::Ready(Err(killed()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Marks a response whose connection was dropped (for the request log).
#[derive(Clone, Copy)]
struct Dropped;

/// Per-request Graph context: ids for `innerError` and headers, and the base URL for links.
#[derive(Clone, Debug)]
pub(crate) struct ReqCtx {
    pub request_id: String,
    pub client_request_id: String,
    /// `http://host:port` as the client addressed us (links are built on it).
    pub base: String,
}

impl ReqCtx {
    pub fn new(s: &Shared, headers: &HeaderMap) -> ReqCtx {
        let request_id = s.new_guid();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        ReqCtx {
            request_id,
            client_request_id,
            base: base_url(s, headers),
        }
    }
}

/// The base URL as the client addressed the server (Host header), else the bound address.
pub(crate) fn base_url(s: &Shared, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        })
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| s.base_url.clone())
}

pub(crate) fn graph_date() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn set_header(resp: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

/// A Graph error: `{"error":{"code","message","innerError":{date,request-id,client-request-id}}}`.
pub(crate) fn graph_error(ctx: &ReqCtx, status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": graph_date(),
                "request-id": ctx.request_id,
                "client-request-id": ctx.client_request_id,
            }
        }
    });
    let mut resp = (status, axum::Json(body)).into_response();
    set_header(&mut resp, "request-id", &ctx.request_id);
    set_header(&mut resp, "client-request-id", &ctx.client_request_id);
    resp
}

/// The request log and the debug trace line for every request.
async fn log_requests(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let time = Instant::now();
    let method = req.method().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let resp = next.run(req).await;
    let status = if resp.extensions().get::<Dropped>().is_some() {
        0
    } else {
        resp.status().as_u16()
    };
    tracing::debug!(
        method = %method,
        path = %redact(&path_and_query),
        status,
        elapsed_ms = time.elapsed().as_millis() as u64,
        "demo tenant request"
    );
    s.record(RequestRecord {
        method,
        path_and_query,
        status,
        time,
    });
    resp
}

/// Hides values of secret-looking query parameters in the trace line (a client that puts its
/// secret in a URL is wrong, but the log must not repeat it).
fn redact(pq: &str) -> String {
    let Some((path, query)) = pq.split_once('?') else {
        return pq.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| {
            let key = kv.split('=').next().unwrap_or("");
            let k = key.to_ascii_lowercase();
            if k.contains("secret")
                || (k.contains("token") && !k.starts_with('$'))
                || k == "assertion"
            {
                format!("{key}=***")
            } else {
                kv.to_string()
            }
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// Latency, injected faults, the bearer token check and request-id headers for `/v1.0/*`.
///
/// Latency is a network round trip: the response leaves `latency` after its request
/// arrived, with the emulator's own work (building a page) done inside that time,
/// so a client sees `latency` per request however large the page.
async fn graph_layer(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let latency = s.settings().latency;
    let deadline = tokio::time::Instant::now() + latency;
    let resp = graph_answer(s, req, next).await;
    // A dropped connection goes at once (waiting would let the server close it before
    // the request log has it).
    if !latency.is_zero() && resp.extensions().get::<Dropped>().is_none() {
        tokio::time::sleep_until(deadline).await;
    }
    resp
}

async fn graph_answer(s: Arc<Shared>, mut req: Request, next: Next) -> Response {
    let ctx = ReqCtx::new(&s, req.headers());
    let retry_after = s.settings().retry_after_secs;
    if let Some(kind) = s.next_fault() {
        let retry = retry_after.to_string();
        let mut resp = match kind {
            FaultKind::TooManyRequests => graph_error(
                &ctx,
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. The request has been throttled; retry after the interval in the Retry-After header.",
            ),
            FaultKind::ServiceUnavailable => graph_error(
                &ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Try the request again after a delay.",
            ),
            FaultKind::GatewayTimeout => {
                return graph_error(
                    &ctx,
                    StatusCode::GATEWAY_TIMEOUT,
                    "UnknownError",
                    "The gateway did not receive a timely response from the upstream service.",
                );
            }
            FaultKind::DropConnection => {
                if let Some(ConnectInfo(meta)) = req.extensions().get::<ConnectInfo<ConnMeta>>() {
                    meta.kill.store(true, Ordering::Release);
                }
                let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                resp.extensions_mut().insert(Dropped);
                return resp;
            }
        };
        set_header(&mut resp, "retry-after", &retry);
        return resp;
    }
    if let Err(message) = graph::check_bearer(&s, req.headers()) {
        let mut resp = graph_error(
            &ctx,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        );
        let challenge = format!(
            "Bearer realm=\"\", authorization_uri=\"{}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            ctx.base
        );
        set_header(&mut resp, "www-authenticate", &challenge);
        return resp;
    }
    req.extensions_mut().insert(ctx.clone());
    let mut resp = next.run(req).await;
    set_header(&mut resp, "request-id", &ctx.request_id);
    set_header(&mut resp, "client-request-id", &ctx.client_request_id);
    resp
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let graph = Router::new()
        .route("/users", get(graph::users_list))
        .route("/users/{id}", get(graph::user_or_delta))
        .route("/users/{id}/manager", get(graph::manager))
        .route("/organization", get(graph::organization))
        .route("/me", get(graph::me))
        .fallback(graph::not_found)
        .layer(middleware::from_fn_with_state(shared.clone(), graph_layer));
    Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(entra::token).get(entra::token_wrong_method),
        )
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(entra::openid_configuration),
        )
        .route("/{tenant}/discovery/v2.0/keys", get(entra::jwks))
        .nest("/v1.0", graph)
        .nest("/_demo", control_api::router())
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "Not found in the User Sync demo tenant.",
            )
        })
        .layer(middleware::from_fn_with_state(shared.clone(), log_requests))
        .with_state(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secrets_in_trace_lines() {
        assert_eq!(
            redact("/t/oauth2/v2.0/token?client_secret=abc&x=1"),
            "/t/oauth2/v2.0/token?client_secret=***&x=1"
        );
        assert_eq!(
            redact("/v1.0/users/delta?$deltatoken=abc"),
            "/v1.0/users/delta?$deltatoken=abc"
        );
        assert_eq!(redact("/v1.0/users"), "/v1.0/users");
    }
}
