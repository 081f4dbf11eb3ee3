//! Sync benchmark: the real `usersync sync` binary against the in-process demo tenant.
//! Wall time and the sync process's peak RSS for
//!   1. a full sync of 10,000 and of 100,000 users,
//!   2. an incremental sync after 1% of 100,000 users changed,
//!   3. a full sync with 100 ms latency per Graph request, against pages × latency.
//!
//! Run: `cargo bench --bench sync` (Linux). `USERSYNC_BENCH_QUICK=1` runs small sizes.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use usersync::emulator::{DemoConfig, DemoTenant, DemoUserPatch};
use usersync::model::{Client, ClientKey, Cloud, DeletionGuard, Secret};
use usersync::secrets::SecretStore;
use usersync::store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_usersync");
const PAGE: u64 = 999;

struct Measured {
    wall: Duration,
    max_rss_mb: f64,
    stdout: String,
}

fn main() {
    let quick = std::env::var_os("USERSYNC_BENCH_QUICK").is_some();
    let (small, large) = if quick {
        (1_000, 10_000)
    } else {
        (10_000, 100_000)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "# usersync sync benchmark ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("| scenario | users | pages | wall time | peak RSS (sync process) |");
    println!("|---|---:|---:|---:|---:|");

    for users in [small, large] {
        let tenant = start_tenant(&rt, users, Duration::ZERO);
        let dir = tempfile::tempdir().expect("tempdir");
        add_client(dir.path(), &tenant);
        let m = sync(dir.path(), &[]);
        let pages = users.div_ceil(PAGE as usize);
        row("full sync", users, pages, &m);
        if users == large {
            let full_wall = m.wall;
            // 1% of the users change: titles, managers and some disables.
            let control = tenant.control();
            let all = control.users();
            let n = users / 100;
            for (i, u) in all.iter().take(n).enumerate() {
                match i % 4 {
                    0 | 1 => {
                        control.update_user(
                            &u.id,
                            DemoUserPatch {
                                job_title: Some(Some(format!("Changed title {i}"))),
                                ..DemoUserPatch::default()
                            },
                        );
                    }
                    2 => {
                        let boss = &all[(i * 7 + 1) % all.len()].id;
                        if boss != &u.id {
                            control.set_manager(&u.id, Some(boss));
                        }
                    }
                    _ => {
                        control.set_enabled(&u.id, false);
                    }
                }
            }
            let inc = sync(dir.path(), &[]);
            row(
                "incremental, 1% changed",
                users,
                n.div_ceil(PAGE as usize),
                &inc,
            );
            println!(
                "\nincremental / full = {:.3} (target < 0.1)",
                inc.wall.as_secs_f64() / full_wall.as_secs_f64()
            );
            assert_counts(&inc.stdout, n);
        }
        rt.block_on(tenant.shutdown());
    }

    // Latency: every Graph request waits 100 ms.
    let latency = Duration::from_millis(100);
    let users = large;
    let tenant = start_tenant(&rt, users, latency);
    let dir = tempfile::tempdir().expect("tempdir");
    add_client(dir.path(), &tenant);
    let m = sync(dir.path(), &[]);
    let pages = users.div_ceil(PAGE as usize);
    row("full sync, 100 ms per request", users, pages, &m);
    let floor = latency * pages as u32;
    println!(
        "\npages × latency = {:.2} s; measured / (pages × latency) = {:.3} (target ≤ 1.15)",
        floor.as_secs_f64(),
        m.wall.as_secs_f64() / floor.as_secs_f64()
    );
    rt.block_on(tenant.shutdown());
}

fn start_tenant(rt: &tokio::runtime::Runtime, users: usize, latency: Duration) -> DemoTenant {
    let started = Instant::now();
    let tenant = rt
        .block_on(DemoTenant::start(
            "127.0.0.1:0".parse().expect("addr"),
            DemoConfig {
                users,
                seed: 7,
                latency,
                ..DemoConfig::default()
            },
        ))
        .expect("demo tenant");
    eprintln!(
        "demo tenant with {users} users ready in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    tenant
}

fn add_client(dir: &Path, tenant: &DemoTenant) {
    let store = Store::open_in(dir).expect("store");
    let now = chrono::Utc::now();
    let client = Client {
        key: ClientKey::new(),
        name: "Bench".into(),
        tenant_id: tenant.tenant_id().into(),
        client_id: tenant.client_id().into(),
        active: true,
        azure_sso: false,
        cloud: Cloud::Custom {
            authority_url: tenant.authority_url(),
            graph_url: tenant.graph_url(),
        },
        // The benchmark measures speed, not the guard.
        guard: DeletionGuard {
            max_users: 10_000_000,
            max_percent: 100,
        },
        created_at: now,
        updated_at: now,
        last_validation: None,
    };
    store.insert_client(&client, "file").expect("client");
    SecretStore::open_file(dir)
        .set(client.key, &Secret::new(tenant.client_secret()))
        .expect("secret");
}

fn sync(dir: &Path, extra: &[&str]) -> Measured {
    let started = Instant::now();
    let child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(["--secret-store", "file", "--json", "sync", "Bench"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn usersync");
    let pid = child.id() as libc::pid_t;
    // VmHWM of the child's own address space, polled until it exits. (wait4's
    // ru_maxrss would also count this process's memory, which the kernel records when
    // the spawned child execs.)
    let watcher = std::thread::spawn(move || {
        let path = format!("/proc/{pid}/status");
        let mut peak_kb = 0u64;
        while let Ok(status) = std::fs::read_to_string(&path) {
            if let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
            if status
                .lines()
                .any(|l| l.starts_with("State:") && l.contains("zombie"))
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        peak_kb
    });
    let output_reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut child = child;
        let mut out = String::new();
        let mut err = String::new();
        if let Some(mut s) = child.stdout.take() {
            let _ = s.read_to_string(&mut out);
        }
        if let Some(mut s) = child.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        (out, err)
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // Let the watcher take its last look while the exited child is still a zombie.
    let rc = loop {
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                std::ptr::null_mut(),
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break rc;
        }
    };
    let wall = started.elapsed();
    let peak_kb = watcher.join().unwrap_or(0);
    let _ = rc;
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let (stdout, stderr) = output_reader.join().expect("reader");
    assert!(
        rc == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "sync failed:\n{stderr}"
    );
    Measured {
        wall,
        max_rss_mb: peak_kb as f64 / 1024.0,
        stdout,
    }
}

fn row(name: &str, users: usize, pages: usize, m: &Measured) {
    println!(
        "| {name} | {users} | {pages} | {:.2} s | {:.0} MB |",
        m.wall.as_secs_f64(),
        m.max_rss_mb
    );
}

fn assert_counts(stdout: &str, changed: usize) {
    let doc: serde_json::Value = serde_json::from_str(stdout).expect("json");
    let c = &doc["counts"];
    let total = ["updated", "disabled", "managerChanged"]
        .iter()
        .map(|k| c[*k].as_u64().unwrap_or(0))
        .sum::<u64>();
    assert!(
        total as usize >= changed * 9 / 10,
        "incremental saw the changes: {c}"
    );
}
