//! Clients: add through the form with Validate & Save, a wrong secret, Load Saved Info
//! and an edit that keeps the secret, inline messages, delete with confirmation, and
//! "Add demo client".

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use usersync::gui::{DEMO_CLIENT_NAME, Page};

use crate::support::{Demo, Gui, Options, save_demo_client, stored_secret};

#[test]
fn validate_and_save_adds_a_client() {
    let demo = Demo::with_users(60);
    let mut gui = Gui::start();
    gui.go(Page::Clients);
    gui.type_into("Name", "Contoso demo");
    gui.type_into("Tenant Id", demo.tenant.tenant_id());
    gui.type_into("Client Id", demo.tenant.client_id());
    gui.type_into("Secret", demo.tenant.client_secret());
    // Masked, for screen readers too; Show reveals it.
    let masked = gui
        .harness
        .get_by_role_and_label(Role::PasswordInput, "Secret");
    assert_ne!(masked.value().as_deref(), Some(demo.tenant.client_secret()));
    gui.click("Show secret");
    assert_eq!(gui.value_of("Secret"), demo.tenant.client_secret());
    gui.click("Hide secret");
    gui.choose("Cloud", "Custom endpoints");
    gui.type_into("Authority URL", &demo.tenant.authority_url());
    gui.type_into("Graph URL", &demo.tenant.graph_url());
    gui.click("Validate & Save");
    gui.wait_for_text("Saved client \"Contoso demo\"");
    gui.settle();

    // Each step reported ok.
    assert!(gui.has_label("Sign in (token)"));
    assert!(gui.has_label("Read users (User.Read.All)"));
    let clients = gui.store().list_clients().expect("clients");
    assert_eq!(clients.len(), 1);
    let saved = &clients[0];
    assert_eq!(saved.name, "Contoso demo");
    assert_eq!(saved.tenant_id, demo.tenant.tenant_id());
    assert!(saved.last_validation.as_ref().is_some_and(|v| v.ok));
    assert_eq!(
        stored_secret(gui.data_dir(), saved.key).as_deref(),
        Some(demo.tenant.client_secret())
    );
    // The form now edits the saved client, with the secret field empty (kept).
    assert_eq!(
        gui.harness
            .get_by_role_and_label(Role::ComboBox, "Load Saved Info")
            .value()
            .as_deref(),
        Some("Contoso demo")
    );
    assert_eq!(gui.value_of("Secret"), "");
    // The secret never reaches Debug output, nor any file but the opt-in secret store.
    let debug = format!("{:?}", gui.app().pages().clients.form());
    assert!(!debug.contains(demo.tenant.client_secret()));
    for entry in std::fs::read_dir(gui.data_dir()).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.is_file() && path.file_name() != Some(std::ffi::OsStr::new("secrets.json")) {
            let bytes = std::fs::read(&path).expect("read");
            let needle = demo.tenant.client_secret().as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the secret is in {}",
                path.display()
            );
        }
    }
}

#[test]
fn wrong_secret_shows_aadsts7000215_and_saves_nothing() {
    let demo = Demo::with_users(30);
    let mut gui = Gui::start();
    gui.go(Page::Clients);
    gui.type_into("Name", "Wrong secret");
    gui.type_into("Tenant Id", demo.tenant.tenant_id());
    gui.type_into("Client Id", demo.tenant.client_id());
    // The secret's ID pasted instead of its value: warned inline as the admin types.
    gui.type_into("Secret", demo.tenant.secret_id());
    assert!(gui.has_text("looks like a Secret ID"));
    gui.choose("Cloud", "Custom endpoints");
    gui.type_into("Authority URL", &demo.tenant.authority_url());
    gui.type_into("Graph URL", &demo.tenant.graph_url());
    gui.click("Validate & Save");
    gui.wait_for_text("Nothing was saved");
    gui.settle();
    assert!(gui.has_label("AADSTS7000215"), "the AADSTS code is shown");
    assert!(
        gui.has_label("Copy correlation id"),
        "the correlation id can be copied"
    );
    assert!(gui.has_label("Failed"));
    assert!(gui.store().list_clients().expect("clients").is_empty());
    assert!(
        !gui.data_dir().join("secrets.json").exists()
            || !std::fs::read_to_string(gui.data_dir().join("secrets.json"))
                .expect("read")
                .contains(demo.tenant.secret_id())
    );
}

#[test]
fn inline_messages_follow_typing_and_save_is_refused() {
    let mut gui = Gui::start();
    gui.go(Page::Clients);
    // Tab follows the form.
    gui.harness.get_by_label("Name").focus();
    gui.harness.step();
    gui.harness.step();
    assert!(
        gui.harness.get_by_label("Name").is_focused(),
        "focus lands on Name"
    );
    gui.harness.key_press(egui::Key::Tab);
    gui.harness.step();
    gui.harness.step();
    let focused: Vec<String> = gui
        .harness
        .query_all_by(|n| n.is_focused())
        .map(|n| crate::support::text_of(&n))
        .collect();
    assert!(
        gui.harness.get_by_label("Tenant Id").is_focused(),
        "{focused:?}"
    );
    gui.type_into("Tenant Id", "not a tenant");
    assert!(gui.has_text("expected a GUID such as"));
    gui.set_text("Tenant Id", "72f988bf-86f1-41af-91ab-2d7cd011db47");
    assert!(!gui.has_text("expected a GUID such as"));
    gui.type_into("Client Id", "1234");
    assert!(gui.has_text("is not a GUID"));
    gui.set_text("Deletion guard (percent)", "150");
    assert!(gui.has_text("expected a percentage from 0 to 100"));
    gui.click("Save");
    gui.settle();
    // Every missing field now says so; nothing was saved.
    assert!(gui.has_text("required; give the client a name"));
    assert!(gui.has_text("Fix the fields marked in red"));
    assert!(gui.store().list_clients().expect("clients").is_empty());
}

#[test]
fn load_saved_info_fills_the_form_and_an_edit_keeps_the_secret() {
    let demo = Demo::with_users(30);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "Fabrikam");
    let mut gui = Gui::in_dir(dir, Options::default());
    gui.go(Page::Clients);
    gui.choose("Load Saved Info", "Fabrikam");
    gui.settle();
    assert_eq!(gui.value_of("Name"), "Fabrikam");
    assert_eq!(gui.value_of("Tenant Id"), demo.tenant.tenant_id());
    assert_eq!(gui.value_of("Client Id"), demo.tenant.client_id());
    assert_eq!(gui.value_of("Authority URL"), demo.tenant.authority_url());
    assert!(gui.has_text("Leave empty to keep the stored secret"));
    // Rename, leave the secret empty, press Enter in the field: saved, secret kept.
    gui.set_text("Name", "Fabrikam EU");
    gui.harness.get_by_label("Name").focus();
    gui.harness.step();
    gui.harness.key_press(egui::Key::Enter);
    gui.harness.step();
    gui.wait_for_text("Saved client \"Fabrikam EU\"; the stored secret was kept");
    gui.settle();
    let saved = gui
        .store()
        .client_by_key(client.key)
        .expect("read")
        .expect("still there");
    assert_eq!(saved.name, "Fabrikam EU");
    assert_eq!(
        stored_secret(gui.data_dir(), client.key).as_deref(),
        Some(demo.tenant.client_secret())
    );
    // "New client" clears the form.
    gui.choose("Load Saved Info", "New client");
    assert_eq!(gui.value_of("Name"), "");
}

#[test]
fn delete_asks_first_and_escape_cancels() {
    let demo = Demo::with_users(30);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "To remove");
    let mut gui = Gui::in_dir(dir, Options::default());
    gui.go(Page::Clients);
    gui.choose("Load Saved Info", "To remove");
    gui.click_role(Role::Button, "Delete");
    assert!(gui.has_text("Delete client \"To remove\"?"));
    gui.harness.key_press(egui::Key::Escape);
    gui.harness.step();
    gui.harness.step();
    assert!(!gui.has_text("Delete client \"To remove\"?"));
    assert_eq!(gui.store().list_clients().expect("clients").len(), 1);
    gui.click_role(Role::Button, "Delete");
    gui.click_role(Role::Button, "Delete client");
    gui.wait_for_text("Deleted client \"To remove\"");
    gui.settle();
    assert!(gui.store().list_clients().expect("clients").is_empty());
    assert_eq!(stored_secret(gui.data_dir(), client.key), None);
}

#[test]
fn add_demo_client_starts_the_demo_tenant_and_fills_the_form() {
    let mut gui = Gui::start();
    assert_eq!(gui.app().page(), Page::Information);
    gui.click("Add demo client");
    gui.wait("the demo tenant", |app| app.shared().demo_url.is_some());
    gui.settle();
    assert_eq!(gui.app().page(), Page::Clients);
    assert_eq!(gui.value_of("Name"), DEMO_CLIENT_NAME);
    let url = gui.app().shared().demo_url.clone().expect("url");
    assert_eq!(gui.value_of("Authority URL"), url);
    gui.click("Validate & Save");
    gui.wait_for_text("Saved client \"Demo tenant\"");
    gui.settle();
    let clients = gui.store().list_clients().expect("clients");
    assert_eq!(clients.len(), 1);
    assert!(clients[0].last_validation.as_ref().is_some_and(|v| v.ok));
}
