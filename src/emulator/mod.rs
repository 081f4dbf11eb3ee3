//! The built-in demo tenant: an in-process loopback HTTP server that behaves like the Entra ID
//! token endpoint and Microsoft Graph v1.0 `/users`, `/users/delta`, `/users/{id}/manager`
//! and `/organization`, over a generated organisation that can be changed while it runs.
//!
//! ```no_run
//! # async fn demo() -> Result<(), usersync::emulator::EmulatorError> {
//! use usersync::emulator::{DemoConfig, DemoTenant};
//! let tenant = DemoTenant::start("127.0.0.1:0".parse().unwrap(), DemoConfig::default()).await?;
//! let token_url = format!("{}/{}/oauth2/v2.0/token", tenant.authority_url(), tenant.tenant_id());
//! let scope = format!("{}/.default", tenant.graph_url());
//! # let _ = (token_url, scope);
//! tenant.control().soft_delete("some-user-id");
//! tenant.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Behaviour, payload shapes and the `/_demo` control API are described in `README.md` next
//! to this file.

mod control;
mod control_api;
mod delta;
mod entra;
mod generate;
mod graph;
mod model;
mod names;
mod org;
mod server;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use control::{Control, FaultKind, RequestRecord};
pub use model::{DemoUser, DemoUserInput, DemoUserPatch};

/// How the demo tenant is built and behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Number of users generated (default 250).
    pub users: usize,
    /// Same seed ⇒ same organisation (ids, names, hierarchy) and same credentials (default 42).
    pub seed: u64,
    /// Added to every Graph request (default 0).
    pub latency: Duration,
    /// Share (0.0..=1.0) of Graph requests answered 429 or 503 with `Retry-After`, or dropped
    /// (default 0).
    pub fault_rate: f64,
    /// `Retry-After` seconds of injected faults (default 1).
    pub retry_after_secs: u64,
    /// Page size when the client does not ask for one (default 100, like Graph).
    pub default_page_size: usize,
    /// Lifetime of issued access tokens (default 3599 s).
    pub token_lifetime: Duration,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            users: 250,
            seed: 42,
            latency: Duration::ZERO,
            fault_rate: 0.0,
            retry_after_secs: 1,
            default_page_size: 100,
            token_lifetime: Duration::from_secs(3599),
        }
    }
}

/// Why the demo tenant could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("could not bind the demo tenant to {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("could not read the local address of the demo tenant bound to {addr}: {source}")]
    LocalAddr {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A running demo tenant. Dropping it stops the server too; [`DemoTenant::shutdown`] waits
/// for it.
pub struct DemoTenant {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<control::Shared>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for DemoTenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoTenant")
            .field("addr", &self.addr)
            .field("tenant_id", &self.shared.ident.tenant_id)
            .field("client_id", &self.shared.ident.client_id)
            .finish_non_exhaustive()
    }
}

impl DemoTenant {
    /// Binds (e.g. `127.0.0.1:0` for a free port) and serves on the current tokio runtime.
    pub async fn start(bind: SocketAddr, config: DemoConfig) -> Result<DemoTenant, EmulatorError> {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| EmulatorError::Bind { addr: bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::LocalAddr { addr: bind, source })?;
        // Links must be usable: an unspecified bind address is reached over loopback.
        let host: IpAddr = match addr.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ip if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let base_url = format!("http://{}", SocketAddr::new(host, addr.port()));

        let ident = generate::identity(config.seed);
        let recs = generate::organisation(config.users, config.seed, &ident.tenant_domain);
        let settings = control::Settings {
            latency: config.latency,
            fault_rate: if config.fault_rate.is_finite() {
                config.fault_rate.clamp(0.0, 1.0)
            } else {
                0.0
            },
            retry_after_secs: config.retry_after_secs,
            default_page_size: config.default_page_size.clamp(1, 999),
            token_lifetime: config.token_lifetime,
            secret_expired: false,
            app_disabled: false,
            ca_block: false,
            users_permission: true,
            org_permission: false,
            empty_pages: false,
            full_updates: true,
            delta_epoch: 0,
        };
        let shared = Arc::new(control::Shared::new(
            ident,
            base_url.clone(),
            org::Org::new(recs),
            settings,
            config.seed,
        ));
        let app = server::router(shared.clone())
            .into_make_service_with_connect_info::<server::ConnMeta>();
        let cancel = CancellationToken::new();
        let stop = cancel.clone().cancelled_owned();
        let listener = server::KillableListener { inner: listener };
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::warn!("demo tenant server stopped: {e}");
            }
        });
        tracing::debug!(%addr, "demo tenant listening");
        Ok(DemoTenant {
            addr,
            base_url,
            shared,
            cancel,
            task: Some(task),
        })
    }

    /// The bound address (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`; the token URL is `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn authority_url(&self) -> String {
        self.base_url.clone()
    }

    /// `http://127.0.0.1:PORT`; Graph paths are `/v1.0/...`, the scope is `{graph}/.default`.
    pub fn graph_url(&self) -> String {
        self.base_url.clone()
    }

    /// The tenant's GUID.
    pub fn tenant_id(&self) -> &str {
        &self.shared.ident.tenant_id
    }

    /// `demo-xxxxxxxx.onmicrosoft.com`; the token endpoint accepts it in place of the GUID.
    pub fn tenant_domain(&self) -> &str {
        &self.shared.ident.tenant_domain
    }

    /// The GUID of the demo app registration.
    pub fn client_id(&self) -> &str {
        &self.shared.ident.client_id
    }

    /// The client secret *value* (40 characters, like `abc8Q~...`).
    pub fn client_secret(&self) -> &str {
        &self.shared.ident.client_secret
    }

    /// The secret's *ID* (a GUID) — sending it as the secret gets AADSTS7000215.
    pub fn secret_id(&self) -> &str {
        &self.shared.ident.secret_id
    }

    /// A handle to change the organisation and the server's behaviour in-process.
    pub fn control(&self) -> Control {
        Control {
            shared: self.shared.clone(),
        }
    }

    /// `{"tenantId","clientId","clientSecret","authorityUrl","graphUrl"}` for the CLI.
    pub fn credentials_json(&self) -> serde_json::Value {
        serde_json::json!({
            "tenantId": self.tenant_id(),
            "clientId": self.client_id(),
            "clientSecret": self.client_secret(),
            "authorityUrl": self.authority_url(),
            "graphUrl": self.graph_url(),
        })
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s), and returns.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for DemoTenant {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
