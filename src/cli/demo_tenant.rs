//! `usersync demo-tenant`: the built-in demo tenant on loopback, until Ctrl+C.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::{CliError, Context};
use crate::emulator::{DemoConfig, DemoTenant};

#[derive(Debug, Args)]
pub struct DemoTenantArgs {
    /// Address to listen on (loopback only; port 0 picks a free port)
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub bind: SocketAddr,
    /// Number of users in the generated organisation
    #[arg(long, default_value_t = 250, value_name = "N")]
    pub users: usize,
    /// Seed: the same seed gives the same organisation and credentials
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub seed: u64,
    /// Delay added to every Graph request, in milliseconds
    #[arg(long, default_value_t = 0, value_name = "L")]
    pub latency_ms: u64,
    /// Share of Graph requests (0.0–1.0) answered 429/503 with Retry-After, or dropped
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub fault_rate: f64,
}

pub fn run(ctx: &Context, args: DemoTenantArgs) -> Result<(), CliError> {
    if !args.bind.ip().is_loopback() {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "--bind {}: the demo tenant listens only on a loopback address such as 127.0.0.1",
            args.bind
        )));
    }
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "--fault-rate {}: expected a share from 0.0 to 1.0",
            args.fault_rate
        )));
    }
    if args.users > 2_000_000 {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "--users {}: at most 2,000,000",
            args.users
        )));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("usersync-demo-tenant")
        .enable_all()
        .build()
        .map_err(CliError::failed)?;
    runtime.block_on(async {
        let config = DemoConfig {
            users: args.users,
            seed: args.seed,
            latency: Duration::from_millis(args.latency_ms),
            fault_rate: args.fault_rate,
            ..DemoConfig::default()
        };
        let tenant = DemoTenant::start(args.bind, config)
            .await
            .map_err(CliError::failed)?;
        if ctx.json {
            // One line, first on stdout, so scripts can read it before the server stops.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", tenant.credentials_json());
            let _ = out.flush();
        }
        eprintln!(
            "Demo tenant running with {} users on {} (Ctrl+C to stop).\n\
             \n  Tenant Id:     {}\n  Client Id:     {}\n  Client secret: {}\n  Authority URL: {}\n  Graph URL:     {}\n\
             \nAdd it as a client:\n\n  printf %s '{}' | usersync client add --name \"Demo tenant\" \\\n      \
             --tenant-id {} --client-id {} --secret-stdin \\\n      \
             --cloud custom --authority-url {} --graph-url {} --validate\n\
             \nChange the organisation while it runs: see the control API in the README (`{}/_demo/users`).",
            args.users,
            tenant.local_addr(),
            tenant.tenant_id(),
            tenant.client_id(),
            tenant.client_secret(),
            tenant.authority_url(),
            tenant.graph_url(),
            tenant.client_secret(),
            tenant.tenant_id(),
            tenant.client_id(),
            tenant.authority_url(),
            tenant.graph_url(),
            tenant.graph_url(),
        );
        super::sync::wait_for_stop_signal().await;
        eprintln!("Stopping the demo tenant.");
        tenant.shutdown().await;
        Ok(())
    })
}
