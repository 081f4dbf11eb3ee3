//! The shell: navigation and shortcuts, the theme override, persisted UI state (and
//! nothing secret in it), accessibility of every page, and an idle window that does not
//! repaint.

use std::collections::HashMap;
use std::time::Duration;

use eframe::App as _;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use usersync::gui::{App, AppConfig, AppState, Page, ThemeChoice};
use usersync::secrets::Backend;

use crate::support::{Demo, Gui, Options, save_demo_client};

#[derive(Default)]
struct MemoryStorage(HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn navigation_theme_and_persisted_state() {
    let demo = Demo::with_users(20);
    let dir = tempfile::tempdir().expect("dir");
    save_demo_client(dir.path(), &demo, "Persisted");
    let mut gui = Gui::in_dir(dir, Options::default());
    for page in Page::ALL {
        gui.go(page);
    }
    // Ctrl+5 is Job History.
    gui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num5);
    gui.harness.step();
    gui.harness.step();
    assert_eq!(gui.app().page(), Page::Jobs);

    gui.choose("Theme", "Dark");
    assert_eq!(gui.harness.ctx.theme(), egui::Theme::Dark);
    gui.choose("Theme", "Light");
    assert_eq!(gui.harness.ctx.theme(), egui::Theme::Light);

    // Load a client into the form with its secret typed: none of it is persisted.
    gui.go(Page::Clients);
    gui.choose("Load Saved Info", "Persisted");
    gui.type_into("Secret", "typed-but-not-saved-secret");
    let mut storage = MemoryStorage::default();
    gui.harness.state_mut().save(&mut storage);
    assert!(!gui.harness.state().persist_egui_memory());
    let stored = storage.0.values().cloned().collect::<Vec<_>>().join("\n");
    assert!(stored.contains("Clients"), "{stored}");
    assert!(stored.contains("Light"), "{stored}");
    for secret in ["typed-but-not-saved-secret", demo.tenant.client_secret()] {
        assert!(!stored.contains(secret));
    }
    assert!(!stored.contains("Persisted"), "no client data in UI state");

    // A new app restores the page and the theme.
    let state: AppState = eframe::get_value(&storage, eframe::APP_KEY).expect("state");
    assert_eq!(state.page, Page::Clients);
    assert_eq!(state.theme, ThemeChoice::Light);
    let config = AppConfig::new(gui.data_dir().to_path_buf(), Backend::File);
    let ctx = egui::Context::default();
    let mut cc = eframe::CreationContext::_new_kittest(ctx);
    cc.storage = Some(&storage);
    let restored = App::new(&cc, config).expect("app");
    assert_eq!(restored.page(), Page::Clients);
    assert_eq!(restored.persisted_state().theme, ThemeChoice::Light);
}

#[test]
fn every_page_is_accessible_and_an_idle_window_does_not_repaint() {
    let demo = Demo::with_users(40);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "Quiet");
    usersync::store::Store::open_in(dir.path())
        .expect("store")
        .insert_schedule(&usersync::store::schedules::NewSchedule {
            client_key: client.key,
            name: "Nightly",
            cron: "0 2 * * *",
            timezone: "UTC",
            active: true,
        })
        .expect("schedule");
    // The scheduler runs too: it wakes the window only when its status changes.
    let mut gui = Gui::in_dir(
        dir,
        Options {
            run_scheduler: true,
            ..Options::default()
        },
    );
    gui.wait_for_text("Scheduler on (1 active schedule)");
    gui.go(Page::SyncNow);
    gui.click("Sync now");
    gui.wait("the sync", |app| {
        app.shared().outcomes.contains_key(&client.key)
    });
    for page in Page::ALL {
        gui.go(page);
        gui.settle();
        // `run` steps until no repaint is asked for, then checks that every control
        // has an AccessKit name.
        gui.harness.run();
        let delay = gui.harness.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay;
        assert_eq!(
            delay,
            Duration::MAX,
            "{page:?} asks for a repaint while idle"
        );
    }
    // Every page has its controls in the tree with names.
    gui.go(Page::Directory);
    gui.settle();
    assert!(gui.harness.query_all_by_role(Role::Button).count() > 5);
}

#[test]
fn pages_use_only_glyphs_the_fonts_have() {
    // No missing-glyph allowance here (the demo tenant's names are not shown: no data).
    let dir = tempfile::tempdir().expect("dir");
    let config = AppConfig::new(dir.path().to_path_buf(), Backend::File);
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1280.0, 1000.0])
        .build_eframe(move |cc| App::new(cc, config).expect("app"));
    for page in Page::ALL {
        harness
            .get_by_role_and_label(Role::Button, page.label())
            .click();
        for _ in 0..5 {
            harness.step();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
