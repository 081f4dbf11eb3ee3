//! `GraphClient`: one HTTP client per Entra app registration, with its token cache.
//! This file holds construction, URL rules and the retrying request loop; the token,
//! delta and user reads live in their own files as further `impl GraphClient` blocks.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER};
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::graph::error::{ErrorKind, GraphError, Origin};
use crate::graph::mapping::{self, Call, Context};
use crate::graph::retry::{RetryPolicy, parse_retry_after};
use crate::graph::token::TokenState;
use crate::graph::urls::{base_url, host_of, join_segments, loggable};
use crate::model::{Endpoints, Secret};

/// The documented maximum `$top` for `/users`; also what we ask `/users/delta` for with
/// `Prefer: odata.maxpagesize` (the service caps it at its own maximum).
pub const DEFAULT_PAGE_SIZE: u32 = 999;

/// Everything needed to talk to one tenant as one application.
#[derive(Clone, Debug)]
pub struct GraphConfig {
    pub endpoints: Endpoints,
    pub tenant: String,
    pub client_id: String,
    pub secret: Secret,
    pub retry: RetryPolicy,
    /// Per request, from connecting until the body has arrived.
    pub request_timeout: Duration,
    /// Sent as `Prefer: odata.maxpagesize=<n>` on delta requests.
    pub max_page_size: u32,
}

impl GraphConfig {
    /// A configuration with the default retry policy, a 60 s request timeout and
    /// page size 999.
    pub fn new(
        endpoints: Endpoints,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        secret: Secret,
    ) -> Self {
        Self {
            endpoints,
            tenant: tenant.into(),
            client_id: client_id.into(),
            secret,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
            max_page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// A cheap-to-clone handle; clones share the connection pool and the token cache.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    pub endpoints: Endpoints,
    pub graph: Url,
    /// `graph` as a string without trailing slash, e.g. `https://graph.microsoft.com`.
    pub graph_base: String,
    pub token_url: Url,
    pub openid_url: Url,
    pub tenant: String,
    pub client_id: String,
    pub secret: Secret,
    pub scope: String,
    pub retry: RetryPolicy,
    pub page_size: u32,
    pub timeout: Duration,
    pub token: tokio::sync::Mutex<TokenState>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("authority", &self.inner.endpoints.authority_url)
            .field("graph", &self.inner.graph_base)
            .field("tenant", &self.inner.tenant)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

/// An HTTP answer, after retries.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub attempts: u32,
    /// The service asked to wait longer than `max_retry_after`; we stopped.
    pub wait_refused: Option<Duration>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()))
    }
}

impl GraphClient {
    /// Check the settings and build the client. Rejects malformed URLs, plain `http://`
    /// to anything but a loopback address, and empty tenant, client id or secret.
    pub fn new(cfg: GraphConfig) -> Result<GraphClient, GraphError> {
        let tenant = cfg.tenant.trim().to_string();
        let client_id = cfg.client_id.trim().to_string();
        let secret = Secret::new(cfg.secret.expose().trim());
        if tenant.is_empty() {
            return Err(GraphError::config(
                "The Tenant Id is empty. Enter the Directory (tenant) ID from the app \
                 registration's Overview page.",
            ));
        }
        if client_id.is_empty() {
            return Err(GraphError::config(
                "The Client Id is empty. Enter the Application (client) ID from the app \
                 registration's Overview page.",
            ));
        }
        if secret.is_empty() {
            return Err(GraphError::config(
                "The client secret is empty. Enter the secret's Value (not its ID) from \
                 Certificates & secrets.",
            ));
        }
        let authority = base_url(
            &cfg.endpoints.authority_url,
            "authority (sign-in) URL",
            false,
        )?;
        let graph = base_url(&cfg.endpoints.graph_url, "Microsoft Graph URL", true)?;
        let graph_base = graph.as_str().trim_end_matches('/').to_string();
        let endpoints = Endpoints {
            authority_url: authority.as_str().trim_end_matches('/').to_string(),
            graph_url: graph_base.clone(),
        };
        let token_url = join_segments(&authority, &[&tenant, "oauth2", "v2.0", "token"])?;
        let openid_url = join_segments(
            &authority,
            &[&tenant, "v2.0", ".well-known", "openid-configuration"],
        )?;
        let timeout = if cfg.request_timeout.is_zero() {
            Duration::from_secs(60)
        } else {
            cfg.request_timeout
        };
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(15)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("usersync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                GraphError::config(format!("Could not set up the HTTP client: {e}")).with_source(e)
            })?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                scope: format!("{graph_base}/.default"),
                endpoints,
                graph,
                graph_base,
                token_url,
                openid_url,
                tenant,
                client_id,
                secret,
                retry: cfg.retry,
                page_size: cfg.max_page_size.clamp(1, 10_000),
                timeout,
                token: tokio::sync::Mutex::new(TokenState::default()),
            }),
        })
    }

    /// The normalised endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    pub fn tenant(&self) -> &str {
        &self.inner.tenant
    }

    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The scope requested from the token endpoint: `{graph}/.default`.
    pub fn scope(&self) -> &str {
        &self.inner.scope
    }

    pub(crate) fn context(&self) -> Context<'_> {
        Context {
            tenant: &self.inner.tenant,
            client_id: &self.inner.client_id,
            authority_host: host_of(&self.inner.endpoints.authority_url),
            graph_host: host_of(&self.inner.graph_base),
            secret: self.inner.secret.expose(),
        }
    }

    /// Send a request built by `make` (called once per attempt), retrying 429, 503, 504,
    /// connection failures and timeouts per the retry policy. Returns the last answer;
    /// only transport failures that outlast the retries become errors here.
    pub(crate) async fn send(
        &self,
        what: &str,
        make: &(dyn Fn() -> reqwest::RequestBuilder + Send + Sync),
        cancel: &CancellationToken,
    ) -> Result<Reply, GraphError> {
        let policy = self.inner.retry;
        let max = policy.attempts();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if cancel.is_cancelled() {
                return Err(GraphError::cancelled());
            }
            let exchange = async {
                let resp = make().send().await?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let body = resp.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            };
            let outcome = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(GraphError::cancelled()),
                r = exchange => r,
            };
            let delay = match outcome {
                Ok((status, headers, body)) => {
                    let mut reply = Reply {
                        status,
                        headers,
                        body,
                        attempts: attempt,
                        wait_refused: None,
                    };
                    if !matches!(status, 429 | 503 | 504) {
                        tracing::debug!(request = what, status, attempt, "answered");
                        return Ok(reply);
                    }
                    let asked = reply.retry_after();
                    if let Some(wait) = asked
                        && wait > policy.max_retry_after
                    {
                        reply.wait_refused = Some(wait);
                        return Ok(reply);
                    }
                    if attempt >= max {
                        return Ok(reply);
                    }
                    let delay = asked.unwrap_or_else(|| policy.backoff(attempt));
                    tracing::warn!(
                        request = what,
                        status,
                        attempt,
                        max_attempts = max,
                        wait_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        retry_after = asked.is_some(),
                        "Microsoft service busy; retrying"
                    );
                    delay
                }
                Err(e) => {
                    if e.is_builder() {
                        return Err(GraphError::config(format!(
                            "Could not build the request {what}: {}",
                            root_cause(&e)
                        )));
                    }
                    if attempt >= max {
                        return Err(self.transport_error(what, &e, attempt));
                    }
                    let delay = policy.backoff(attempt);
                    tracing::warn!(
                        request = what,
                        attempt,
                        max_attempts = max,
                        wait_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        timeout = e.is_timeout(),
                        error = %root_cause(&e),
                        "request failed; retrying"
                    );
                    delay
                }
            };
            sleep_or_cancel(delay, cancel).await?;
        }
    }

    fn transport_error(&self, what: &str, e: &reqwest::Error, attempts: u32) -> GraphError {
        let tries = if attempts == 1 {
            "1 attempt".to_string()
        } else {
            format!("{attempts} attempts")
        };
        if e.is_timeout() {
            GraphError::new(
                ErrorKind::Timeout,
                Origin::Local,
                format!(
                    "No answer within {} s for {what} ({tries}). Check the network, a proxy or \
                     firewall, or try again later.",
                    self.inner.timeout.as_secs_f32()
                ),
            )
        } else {
            GraphError::new(
                ErrorKind::Network,
                Origin::Local,
                format!(
                    "Could not reach the server for {what} ({tries}): {}. Check the network \
                     connection, proxy and firewall, and the client's cloud / URLs.",
                    root_cause(e)
                ),
            )
        }
    }

    /// GET a Graph URL with the bearer token; refreshes the token once on 401
    /// `InvalidAuthenticationToken`. Returns the body of a 2xx answer.
    pub(crate) async fn graph_get(
        &self,
        url: &Url,
        call: &Call<'_>,
        page_size: Option<u32>,
        cancel: &CancellationToken,
    ) -> Result<Bytes, GraphError> {
        self.check_graph_url(url)?;
        let what = format!("GET {}", loggable(url));
        let mut refreshed = false;
        loop {
            let (token, generation) = self.access_token(cancel).await?;
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let make = || {
                let mut rb = self
                    .inner
                    .http
                    .get(url.clone())
                    .bearer_auth(token.expose())
                    .header(ACCEPT, "application/json")
                    .header("client-request-id", client_request_id.as_str());
                if let Some(n) = page_size {
                    // return=minimal (documented for delta): a changed user carries only
                    // the properties that changed; the sync merges them.
                    rb = rb.header("Prefer", format!("odata.maxpagesize={n}, return=minimal"));
                }
                rb
            };
            let reply = self.send(&what, &make, cancel).await?;
            if reply.is_success() {
                return Ok(reply.body);
            }
            let request_id = reply
                .header("request-id")
                .or_else(|| Some(client_request_id.clone()));
            let err =
                mapping::graph_error(reply.status, &reply.body, request_id, call, &self.context());
            let invalid_token = err
                .code()
                .is_some_and(|c| c.eq_ignore_ascii_case("InvalidAuthenticationToken"));
            if reply.status == 401
                && invalid_token
                && err.kind() == ErrorKind::Unauthorized
                && !refreshed
            {
                tracing::info!(request = %what, "access token rejected; signing in again once");
                self.invalidate_token(generation).await;
                refreshed = true;
                continue;
            }
            return Err(retry_outcome(err, &reply, &self.inner.retry));
        }
    }

    /// Whether `url` points at this client's Graph base (same scheme, host, port and
    /// path prefix): a saved deltaLink that does not (e.g. after the client's cloud was
    /// changed) should be dropped in favour of a full sync.
    pub fn owns_link(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| self.check_graph_url(&u).is_ok())
    }

    /// Refuse to send the bearer token anywhere but the configured Graph origin.
    pub(crate) fn check_graph_url(&self, url: &Url) -> Result<(), GraphError> {
        if url.origin() == self.inner.graph.origin()
            && url
                .path()
                .starts_with(self.inner.graph.path().trim_end_matches('/'))
        {
            Ok(())
        } else {
            Err(GraphError::unexpected(
                Origin::Graph,
                format!(
                    "Refusing to follow a link to {} because it is not the configured Microsoft \
                     Graph URL {}; the access token is only sent there.",
                    url.origin().ascii_serialization(),
                    self.inner.graph_base
                ),
            ))
        }
    }
}

/// Add what the retries tell to an error made from the last answer.
pub(crate) fn retry_outcome(err: GraphError, reply: &Reply, policy: &RetryPolicy) -> GraphError {
    let retry_after = reply.wait_refused.or_else(|| reply.retry_after());
    let mut err = err.with_retry_after(retry_after);
    if let Some(wait) = reply.wait_refused {
        err = err.append(&format!(
            " The service asked to wait {} s before retrying, longer than the {} s this client \
             waits.",
            wait.as_secs(),
            policy.max_retry_after.as_secs()
        ));
    } else if matches!(reply.status, 429 | 503 | 504) && reply.attempts > 1 {
        err = err.append(&format!(
            " Still failing after {} attempts.",
            reply.attempts
        ));
    }
    err
}

async fn sleep_or_cancel(delay: Duration, cancel: &CancellationToken) -> Result<(), GraphError> {
    if delay.is_zero() {
        return Ok(());
    }
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(GraphError::cancelled()),
        _ = tokio::time::sleep(delay) => Ok(()),
    }
}

/// The innermost cause of a transport error, e.g. "Connection refused (os error 111)".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cloud;

    fn cfg(authority: &str, graph: &str) -> GraphConfig {
        GraphConfig::new(
            Endpoints {
                authority_url: authority.into(),
                graph_url: graph.into(),
            },
            "contoso.onmicrosoft.com",
            "11111111-2222-3333-4444-555555555555",
            Secret::new("not-a-real-secret"),
        )
    }

    #[test]
    fn every_cloud_builds_https_urls() {
        let clouds = [
            (
                Cloud::Global,
                "login.microsoftonline.com",
                "graph.microsoft.com",
            ),
            (
                Cloud::UsGov,
                "login.microsoftonline.us",
                "graph.microsoft.us",
            ),
            (
                Cloud::UsGovDod,
                "login.microsoftonline.us",
                "dod-graph.microsoft.us",
            ),
            (
                Cloud::China,
                "login.chinacloudapi.cn",
                "microsoftgraph.chinacloudapi.cn",
            ),
            (
                Cloud::Custom {
                    authority_url: "https://login.example.test/".into(),
                    graph_url: "https://graph.example.test/".into(),
                },
                "login.example.test",
                "graph.example.test",
            ),
        ];
        for (cloud, login, graph) in clouds {
            let mut c = cfg("", "");
            c.endpoints = cloud.endpoints();
            let client = GraphClient::new(c).unwrap();
            assert_eq!(
                client.inner.token_url.as_str(),
                format!("https://{login}/contoso.onmicrosoft.com/oauth2/v2.0/token")
            );
            assert_eq!(
                client.inner.openid_url.as_str(),
                format!(
                    "https://{login}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
                )
            );
            assert_eq!(client.scope(), format!("https://{graph}/.default"));
            assert_eq!(
                client.delta_start(),
                format!(
                    "https://{graph}/v1.0/users/delta?$select=id,displayName,givenName,surname,userPrincipalName,mail,jobTitle,department,officeLocation,companyName,employeeId,mobilePhone,businessPhones,city,country,userType,accountEnabled,manager"
                )
            );
        }
    }

    #[test]
    fn empty_fields_and_odd_tenants() {
        let mut c = cfg(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        );
        c.secret = Secret::new("  ");
        assert_eq!(GraphClient::new(c).unwrap_err().kind(), ErrorKind::Config);
        let mut c = cfg(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        );
        c.tenant = " ".into();
        assert_eq!(GraphClient::new(c).unwrap_err().kind(), ErrorKind::Config);
        // A tenant with a slash cannot escape its path segment.
        let mut c = cfg(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        );
        c.tenant = "a/../b".into();
        let client = GraphClient::new(c).unwrap();
        assert_eq!(
            client.inner.token_url.as_str(),
            "https://login.microsoftonline.com/a%2F..%2Fb/oauth2/v2.0/token"
        );
    }

    #[test]
    fn debug_output_has_no_secret() {
        let c = cfg(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        );
        assert!(!format!("{c:?}").contains("not-a-real-secret"));
        let client = GraphClient::new(c).unwrap();
        assert!(!format!("{client:?}").contains("not-a-real-secret"));
    }

    #[test]
    fn bearer_token_only_goes_to_graph() {
        let client = GraphClient::new(cfg(
            "https://login.microsoftonline.com",
            "https://graph.microsoft.com",
        ))
        .unwrap();
        let ok = Url::parse("https://graph.microsoft.com/v1.0/users/delta?$skiptoken=x").unwrap();
        assert!(client.check_graph_url(&ok).is_ok());
        assert!(client.owns_link("https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x"));
        assert!(!client.owns_link("https://graph.microsoft.us/v1.0/users/delta?$deltatoken=x"));
        assert!(!client.owns_link("garbage"));
        for bad in [
            "https://evil.example/v1.0/users/delta",
            "http://graph.microsoft.com/v1.0/users",
            "https://graph.microsoft.com:8443/v1.0/users",
        ] {
            let u = Url::parse(bad).unwrap();
            assert!(client.check_graph_url(&u).is_err(), "{bad}");
        }
    }

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn client_is_send_sync_clone() {
        assert_send_sync::<GraphClient>();
    }
}
