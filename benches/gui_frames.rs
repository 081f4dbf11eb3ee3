//! GUI frame times: the real `App` in an egui_kittest harness (no GPU: egui layout,
//! AccessKit and tessellation are timed; rasterising is not) while the real engine syncs
//! the demo tenant's 100,000 users, then the Directory page with those users, then an
//! idle window.
//!
//! `cargo bench --bench gui_frames` (USERS=20000 for a quicker run). Prints a markdown
//! table for BENCHMARKS.md.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use usersync::emulator::{DemoConfig, DemoTenant};
use usersync::gui::{App, AppConfig, Page};
use usersync::model::{Client, ClientKey, Cloud, DeletionGuard, Secret};
use usersync::secrets::{Backend, SecretStore};
use usersync::store::Store;

struct Stats {
    frames: usize,
    median_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn stats(mut times: Vec<Duration>) -> Stats {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().map(ms).unwrap_or(0.0)
    };
    Stats {
        frames: times.len(),
        median_ms: at(0.5),
        p99_ms: at(0.99),
        max_ms: times.last().copied().map(ms).unwrap_or(0.0),
    }
}

/// One frame as eframe would run it: the pass, then tessellation of its shapes.
fn frame(harness: &mut Harness<'_, App>) -> Duration {
    let started = Instant::now();
    harness.step();
    let output = harness.output();
    let ppp = output.pixels_per_point;
    let _ = harness.ctx.tessellate(output.shapes.clone(), ppp);
    started.elapsed()
}

fn repaint_wanted(harness: &Harness<'_, App>) -> bool {
    harness.ctx.has_requested_repaint()
        || harness
            .output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay == Duration::ZERO)
}

fn main() {
    let users: usize = std::env::var("USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let tenant = rt
        .block_on(DemoTenant::start(
            "127.0.0.1:0".parse().expect("addr"),
            DemoConfig {
                users,
                ..DemoConfig::default()
            },
        ))
        .expect("demo tenant");
    eprintln!("demo tenant with {users} users in {:?}", started.elapsed());

    let dir = tempfile::tempdir().expect("dir");
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
        guard: DeletionGuard::default(),
        created_at: now,
        updated_at: now,
        last_validation: None,
    };
    Store::open_in(dir.path())
        .expect("store")
        .insert_client(&client, "file")
        .expect("client");
    SecretStore::open_file(dir.path())
        .set(client.key, &Secret::new(tenant.client_secret()))
        .expect("secret");

    let mut config = AppConfig::new(dir.path().to_path_buf(), Backend::File);
    config.run_scheduler = false;
    let mut harness = Harness::builder()
        .with_size([1280.0, 900.0])
        .allow_missing_glyphs()
        .build_eframe(move |cc| App::new(cc, config).expect("app"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !harness.state().shared().clients_loaded && Instant::now() < deadline {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, Page::SyncNow.label())
        .click();
    harness.run_steps(3);

    // 1. A full sync with no input: frames run only when the app asks for one, as in
    //    eframe (the engine's waker requests them, one per event).
    harness.get_by_label("Sync now").click();
    harness.step();
    harness.remove_cursor();
    harness.step();
    let events_before = harness.state().events_handled();
    let sync_started = Instant::now();
    let mut on_demand = Vec::new();
    while !harness.state().shared().outcomes.contains_key(&client.key) {
        if harness.ctx.has_requested_repaint() {
            on_demand.push(frame(&mut harness));
        } else {
            std::thread::sleep(Duration::from_micros(500));
        }
        assert!(
            sync_started.elapsed() < Duration::from_secs(900),
            "the sync did not end"
        );
    }
    let sync_secs = sync_started.elapsed().as_secs_f64();
    let events = harness.state().events_handled() - events_before;
    let first_job = harness.state().shared().outcomes[&client.key].job;
    eprintln!(
        "first sync: {:?} in {sync_secs:.1} s",
        harness.state().shared().outcomes[&client.key].status
    );

    // 2. A full resync while the pointer moves over the window: a frame every 16 ms.
    harness.get_by_label("Full resync").click();
    harness.step();
    harness.get_by_label("Sync now").click();
    harness.step();
    let mut forced = Vec::new();
    let resync_started = Instant::now();
    while harness
        .state()
        .shared()
        .outcomes
        .get(&client.key)
        .is_none_or(|o| o.job == first_job)
    {
        let t = Instant::now();
        harness.hover_at(egui::pos2(700.0, 250.0 + (forced.len() % 40) as f32));
        forced.push(frame(&mut harness));
        let spent = t.elapsed();
        if spent < Duration::from_millis(16) {
            std::thread::sleep(Duration::from_millis(16) - spent);
        }
        assert!(
            resync_started.elapsed() < Duration::from_secs(900),
            "the resync did not end"
        );
    }
    let resync_secs = resync_started.elapsed().as_secs_f64();
    harness.remove_cursor();

    // The Directory page with every user: scrolling the table, then the tree.
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, Page::Directory.label())
        .click();
    let load_started = Instant::now();
    while harness.state().pages().directory.rows().len() < users {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            load_started.elapsed() < Duration::from_secs(300),
            "directory load"
        );
    }
    let load_secs = load_started.elapsed().as_secs_f64();
    harness.run_steps(3);
    let mut scrolling = Vec::new();
    for i in 0..300 {
        harness.hover_at(egui::pos2(700.0, 500.0));
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, if i % 100 < 80 { -8.0 } else { 30.0 }),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
        scrolling.push(frame(&mut harness));
    }
    harness.get_by_label("Hierarchy").click();
    harness.run_steps(3);
    let mut tree = Vec::new();
    for _ in 0..120 {
        harness.hover_at(egui::pos2(700.0, 500.0));
        tree.push(frame(&mut harness));
    }

    // Idle: once everything settled, no frame is asked for.
    let idle_started = Instant::now();
    while harness.state().is_busy() || repaint_wanted(&harness) {
        frame(&mut harness);
        std::thread::sleep(Duration::from_millis(5));
        if idle_started.elapsed() > Duration::from_secs(30) {
            break;
        }
    }
    let mut idle_requests = 0;
    let window = Instant::now();
    while window.elapsed() < Duration::from_secs(3) {
        if repaint_wanted(&harness) {
            idle_requests += 1;
            frame(&mut harness);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let delay = harness
        .output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .map(|v| v.repaint_delay)
        .unwrap_or_default();

    let on_demand_frames = on_demand.len();
    let rows = [
        (
            format!("Sync Now during a full sync of {users} users, frames on demand"),
            stats(on_demand),
        ),
        (
            format!("Sync Now during a full resync of {users} users, pointer moving (60 Hz)"),
            stats(forced),
        ),
        (
            format!("Directory table, {users} users, scrolling"),
            stats(scrolling),
        ),
        (format!("Directory hierarchy, {users} users"), stats(tree)),
    ];
    println!("| Scenario | Frames | Median | p99 | Max |");
    println!("|---|---:|---:|---:|---:|");
    for (name, s) in &rows {
        println!(
            "| {name} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
            s.frames, s.median_ms, s.p99_ms, s.max_ms
        );
    }
    println!();
    println!(
        "Full sync of {users} users: {sync_secs:.1} s, {events} engine events, \
         {on_demand_frames} frames drawn. Full resync: {resync_secs:.1} s. Directory loaded and \
         indexed (off the UI thread) in {load_secs:.1} s."
    );
    println!(
        "Idle: {idle_requests} repaint requests in 3 s after the app settled; the last frame \
         asked for the next one in {}.",
        if delay == Duration::MAX {
            "never (Duration::MAX)".to_string()
        } else {
            format!("{delay:?}")
        }
    );
    drop(harness);
    rt.block_on(tenant.shutdown());
}
