//! The GUI tests' setting: the real `App` (through egui_kittest's eframe integration),
//! its real engine on a temp data directory with the opt-in file secret store (no
//! keyring needed), and the demo tenant on a runtime of its own.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use usersync::emulator::{Control, DemoConfig, DemoTenant};
use usersync::engine::GraphTuning;
use usersync::graph::RetryPolicy;
use usersync::gui::{App, AppConfig, Page, SaveDialog};
use usersync::model::{Client, ClientKey, Cloud, DeletionGuard, Secret};
use usersync::secrets::{Backend, SecretStore};
use usersync::store::Store;

/// A demo tenant on its own runtime (the app's engine has another one). The tenant is
/// dropped before its runtime.
pub struct Demo {
    pub tenant: DemoTenant,
    pub rt: tokio::runtime::Runtime,
}

impl Demo {
    pub fn start(config: DemoConfig) -> Demo {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("gui-test-demo")
            .enable_all()
            .build()
            .expect("demo runtime");
        let tenant = rt
            .block_on(DemoTenant::start(
                "127.0.0.1:0".parse().expect("addr"),
                config,
            ))
            .expect("start the demo tenant");
        Demo { tenant, rt }
    }

    pub fn with_users(users: usize) -> Demo {
        Demo::start(DemoConfig {
            users,
            ..DemoConfig::default()
        })
    }

    pub fn control(&self) -> Control {
        self.tenant.control()
    }
}

/// 2026-01-05 10:00 UTC, a Monday: the app's clock in tests.
pub fn fixed_now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-05T10:00:00Z")
        .expect("time")
        .with_timezone(&chrono::Utc)
}

pub struct Gui {
    pub harness: Harness<'static, App>,
    pub dir: tempfile::TempDir,
}

pub struct Options {
    pub page_size: u32,
    pub run_scheduler: bool,
    pub fixed_clock: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            page_size: 100,
            run_scheduler: false,
            fixed_clock: true,
        }
    }
}

impl Gui {
    pub fn start() -> Gui {
        Gui::with(Options::default())
    }

    pub fn with(options: Options) -> Gui {
        let dir = tempfile::tempdir().expect("temp dir");
        Gui::in_dir(dir, options)
    }

    pub fn in_dir(dir: tempfile::TempDir, options: Options) -> Gui {
        let exports = dir.path().join("exports");
        std::fs::create_dir_all(&exports).expect("exports dir");
        let mut config = AppConfig::new(dir.path().to_path_buf(), Backend::File);
        config.engine.graph = GraphTuning {
            retry: RetryPolicy::quick(),
            request_timeout: Duration::from_secs(60),
            max_page_size: options.page_size,
        };
        if options.fixed_clock {
            config.clock = Arc::new(fixed_now);
        }
        config.save_dialog = SaveDialog::Folder(exports);
        config.run_scheduler = options.run_scheduler;
        config.demo_users = 120;
        let harness = Harness::builder()
            .with_size([1280.0, 1000.0])
            .allow_missing_glyphs()
            .build_eframe(move |cc| App::new(cc, config).expect("start the app"));
        let mut gui = Gui { harness, dir };
        gui.wait("the saved clients to load", |app| {
            app.shared().clients_loaded
        });
        gui
    }

    pub fn app(&self) -> &App {
        self.harness.state()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> Store {
        Store::open_in(self.dir.path()).expect("open the store")
    }

    /// Steps until `done` holds, sleeping a little between frames (engine work runs on
    /// other threads); panics after 60 s.
    #[track_caller]
    pub fn wait(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.harness.step();
            if done(self.harness.state()) {
                self.harness.step();
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Steps until a node with this label exists.
    #[track_caller]
    pub fn wait_for_label(&mut self, label: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.harness.step();
            if self.harness.query_all_by_label(label).next().is_some() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for \"{label}\""
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Steps until a node whose label contains `part` exists; returns that label.
    #[track_caller]
    pub fn wait_for_text(&mut self, part: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.harness.step();
            if let Some(node) = self.harness.query_all_by_label_contains(part).next() {
                return text_of(&node);
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for text \"{part}\""
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Lets background work finish and the UI settle.
    pub fn settle(&mut self) {
        self.wait("background work to finish", |app| !app.is_busy());
        for _ in 0..3 {
            self.harness.step();
        }
    }

    pub fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    pub fn click_role(&mut self, role: egui::accesskit::Role, label: &str) {
        self.harness.get_by_role_and_label(role, label).click();
        self.harness.step();
        self.harness.step();
    }

    pub fn go(&mut self, page: Page) {
        self.click_role(egui::accesskit::Role::Button, page.label());
        assert_eq!(self.app().page(), page);
        self.harness.step();
    }

    /// Types into the field named `label` (appending to what is there).
    pub fn type_into(&mut self, label: &str, text: &str) {
        let node = self.harness.get_by_label(label);
        node.focus();
        node.type_text(text);
        self.harness.step();
        self.harness.step();
    }

    /// Replaces the content of the text field named `label`.
    pub fn set_text(&mut self, label: &str, text: &str) {
        let node = self.harness.get_by_label(label);
        node.focus();
        self.harness.step();
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.harness.step();
        if text.is_empty() {
            self.harness.key_press(egui::Key::Delete);
        } else {
            self.harness.get_by_label(label).type_text(text);
        }
        self.harness.step();
        self.harness.step();
    }

    /// Opens the combo box named `combo` and picks the entry `item`.
    pub fn choose(&mut self, combo: &str, item: &str) {
        self.harness
            .get_by_role_and_label(egui::accesskit::Role::ComboBox, combo)
            .click();
        self.harness.step();
        self.harness.step();
        self.harness
            .get_by_role_and_label(egui::accesskit::Role::Button, item)
            .click();
        self.harness.step();
        self.harness.step();
    }

    pub fn value_of(&self, label: &str) -> String {
        self.harness.get_by_label(label).value().unwrap_or_default()
    }

    pub fn has_label(&self, label: &str) -> bool {
        self.harness.query_all_by_label(label).next().is_some()
    }

    pub fn has_text(&self, part: &str) -> bool {
        self.harness
            .query_all_by_label_contains(part)
            .next()
            .is_some()
    }

    /// Every label on screen that contains `part`.
    pub fn texts(&self, part: &str) -> Vec<String> {
        self.harness
            .query_all_by_label_contains(part)
            .map(|n| text_of(&n))
            .collect()
    }
}

/// The text of a node: a label's value, or a widget's name.
pub fn text_of<'t>(node: &impl NodeT<'t>) -> String {
    let n = node.accesskit_node();
    n.value().or_else(|| n.label()).unwrap_or_default()
}

/// A client of `demo`, saved straight into the store with its secret in the file store.
pub fn save_demo_client(data_dir: &Path, demo: &Demo, name: &str) -> Client {
    save_demo_client_with(data_dir, demo, name, |_| {})
}

pub fn save_demo_client_with(
    data_dir: &Path,
    demo: &Demo,
    name: &str,
    edit: impl FnOnce(&mut Client),
) -> Client {
    let now = chrono::Utc::now();
    let mut client = Client {
        key: ClientKey::new(),
        name: name.to_string(),
        tenant_id: demo.tenant.tenant_id().to_string(),
        client_id: demo.tenant.client_id().to_string(),
        active: true,
        azure_sso: false,
        cloud: Cloud::Custom {
            authority_url: demo.tenant.authority_url(),
            graph_url: demo.tenant.graph_url(),
        },
        guard: DeletionGuard::default(),
        created_at: now,
        updated_at: now,
        last_validation: None,
    };
    edit(&mut client);
    let store = Store::open_in(data_dir).expect("open store");
    store.insert_client(&client, "file").expect("insert client");
    SecretStore::open_file(data_dir)
        .set(client.key, &Secret::new(demo.tenant.client_secret()))
        .expect("save secret");
    client
}

/// The secret the file store holds for `key`.
pub fn stored_secret(data_dir: &Path, key: ClientKey) -> Option<String> {
    SecretStore::open_file(data_dir)
        .get(key)
        .expect("read the file store")
        .map(|s| s.expose().to_string())
}
