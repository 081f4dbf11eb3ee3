//! The client secret must never reach a file of the data directory (database, WAL,
//! logs), nor any output — through a whole validate → sync → history → export cycle
//! with debug logging on, against the demo tenant over loopback.

mod common;

use common::{Env, keyring_available};
use usersync::emulator::{DemoConfig, DemoTenant};

#[test]
fn secret_never_leaks_through_validate_sync_jobs_and_export() {
    if !keyring_available() {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tenant = rt
        .block_on(DemoTenant::start(
            "127.0.0.1:0".parse().unwrap(),
            DemoConfig {
                users: 120,
                ..DemoConfig::default()
            },
        ))
        .unwrap();
    let secret = tenant.client_secret().to_string();
    let env = Env::new();
    let (authority, graph) = (tenant.authority_url(), tenant.graph_url());
    let add = |name: &str, secret: &str| {
        env.run_with_stdin(
            &[
                "--json",
                "client",
                "add",
                "--name",
                name,
                "--tenant-id",
                tenant.tenant_id(),
                "--client-id",
                tenant.client_id(),
                "--secret-stdin",
                "--cloud",
                "custom",
                "--authority-url",
                &authority,
                "--graph-url",
                &graph,
                "--validate",
                "--azure-sso",
            ],
            Some(secret),
        )
    };
    let added = add("Demo", &secret);
    added.ok();
    assert_eq!(added.json()["validation"]["ok"], true);
    // A wrong secret is refused with AADSTS7000215 and nothing is saved.
    let wrong = format!("{secret}-wrong");
    let refused = add("Demo wrong", &wrong);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("AADSTS7000215"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("Nothing was saved"));
    assert_eq!(env.run(&["client", "show", "Demo wrong"]).code, 2);

    env.run(&["client", "validate", "Demo"]).ok();
    env.run(&["--json", "client", "validate", "Demo"]).ok();
    let sync = env.run(&["--json", "sync", "Demo"]);
    sync.ok();
    assert_eq!(sync.json()["counts"]["added"], 120);
    env.run(&["sync", "Demo", "--full", "--dry-run"]).ok();
    env.run(&["jobs", "list"]).ok();
    env.run(&["--json", "jobs", "show", "1"]).ok();
    env.run(&["jobs", "show", "1"]).ok();
    let csv = env.path().join("users.csv");
    env.run(&[
        "directory",
        "list",
        "Demo",
        "--format",
        "csv",
        "--output",
        csv.to_str().unwrap(),
    ])
    .ok();
    env.run(&["--json", "directory", "list", "Demo"]).ok();
    env.run(&["--json", "client", "show", "Demo"]).ok();

    for file in env.files() {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&secret), "secret in {}", file.display());
        assert!(!text.contains(&wrong), "wrong secret in {}", file.display());
    }
    for out in env.outputs.borrow().iter() {
        assert!(!out.contains(&secret), "secret in output:\n{out}");
    }
    // Nor in any URL the tenant saw.
    for r in tenant.control().request_log() {
        assert!(
            !r.path_and_query.contains(&secret),
            "secret in URL {}",
            r.path_and_query
        );
    }
    env.run(&["client", "remove", "Demo"]).ok();
    rt.block_on(tenant.shutdown());
}
