//! "Add demo client": the built-in demo tenant, started on the engine runtime for as long
//! as the app runs, and the credentials that fill the client form.

use std::net::{Ipv4Addr, SocketAddr};

use crate::emulator::{DemoConfig, DemoTenant};
use crate::model::{Client, Cloud};

/// The name the demo client is saved under.
pub const DEMO_CLIENT_NAME: &str = "Demo tenant";

/// What the form needs from a running demo tenant. The secret is the demo tenant's own
/// (generated, not a real credential); it goes only into the form's secret field.
#[derive(Clone)]
pub struct DemoCredentials {
    pub tenant_id: String,
    pub client_id: String,
    pub secret: String,
    pub url: String,
}

impl std::fmt::Debug for DemoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoCredentials")
            .field("tenant_id", &self.tenant_id)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl DemoCredentials {
    pub fn of(tenant: &DemoTenant) -> Self {
        Self {
            tenant_id: tenant.tenant_id().to_string(),
            client_id: tenant.client_id().to_string(),
            secret: tenant.client_secret().to_string(),
            url: tenant.authority_url(),
        }
    }
}

/// The loopback port a saved demo client points at, so a restarted demo tenant keeps
/// it working.
pub fn saved_demo_port(clients: &[Client]) -> Option<u16> {
    clients
        .iter()
        .filter(|c| c.name.eq_ignore_ascii_case(DEMO_CLIENT_NAME))
        .find_map(|c| match &c.cloud {
            Cloud::Custom { authority_url, .. } => url::Url::parse(authority_url)
                .ok()
                .filter(|u| u.host_str() == Some("127.0.0.1"))
                .and_then(|u| u.port()),
            _ => None,
        })
}

/// Starts the demo tenant on loopback: on `port` if it is free, else on any free port.
pub async fn start(port: Option<u16>, users: usize) -> Result<DemoTenant, String> {
    let config = DemoConfig {
        users,
        ..DemoConfig::default()
    };
    if let Some(port) = port {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if let Ok(tenant) = DemoTenant::start(addr, config.clone()).await {
            return Ok(tenant);
        }
    }
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    DemoTenant::start(any, config)
        .await
        .map_err(|e| e.to_string())
}
