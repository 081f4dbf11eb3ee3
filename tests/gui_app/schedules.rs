//! Scheduled Sync: an invalid CRON shows the wrong field and Save is refused; a valid one
//! shows the next runs and is saved; edit and delete; the scheduler runs while the app
//! is open and the status bar says so.

use egui::accesskit::Role;
use usersync::gui::Page;
use usersync::model::Trigger;
use usersync::store::schedules::NewSchedule;

use crate::support::{Demo, Gui, Options, save_demo_client};

#[test]
fn an_invalid_cron_shows_the_field_error_and_save_is_refused() {
    let demo = Demo::with_users(20);
    let dir = tempfile::tempdir().expect("dir");
    save_demo_client(dir.path(), &demo, "Nightly client");
    let mut gui = Gui::in_dir(dir, Options::default());
    gui.go(Page::Schedules);
    gui.type_into("Schedule name", "Nightly");
    gui.set_text("CRON", "0 25 * * *");
    let error = gui.wait_for_text("hour field (field 2 of 5) \"25\"");
    assert!(error.contains("Allowed in the hour field: 0-23"), "{error}");
    // The field strip names each field; the wrong one is the hour.
    assert!(gui.has_label("hour"));
    assert!(!gui.has_text("Next runs"));
    gui.click("Save schedule");
    gui.settle();
    assert!(gui.has_text("Not saved"));
    assert!(gui.store().list_schedules(None).expect("list").is_empty());

    // Fix it: the error goes, the reading and the runs appear.
    gui.set_text("CRON", "0 23 * * *");
    assert!(!gui.has_text("hour field"));
    assert!(gui.has_text("Next runs"));
}

#[test]
fn a_valid_cron_shows_the_next_runs_and_is_saved_edited_and_deleted() {
    let demo = Demo::with_users(20);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "Weekdays");
    let mut gui = Gui::in_dir(dir, Options::default());
    gui.go(Page::Schedules);
    gui.type_into("Schedule name", "Nightly");
    gui.set_text("CRON", "30 2 * * 1-5");
    gui.set_text("Time zone", "UTC");
    gui.settle();
    // The app's clock says Monday 2026-01-05 10:00 UTC.
    assert!(gui.has_text("1. Tue 2026-01-06 02:30:00 UTC"));
    assert!(gui.has_text("5. Mon 2026-01-12 02:30:00 UTC"));
    assert!(gui.has_text("02:30"), "the plain-words reading");
    gui.click("Save schedule");
    gui.wait_for_text("Saved schedule \"Nightly\"");
    gui.settle();
    let saved = gui.store().list_schedules(Some(client.key)).expect("list");
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].cron, "30 2 * * 1-5");
    assert_eq!(saved[0].timezone, "UTC");
    assert!(saved[0].active);
    // Listed with its next run.
    gui.wait("the list", |app| app.pages().schedules.list().len() == 1);
    assert!(gui.has_label("Edit schedule Nightly"));
    assert!(gui.has_label("2026-01-06 02:30:00") || gui.has_text("2026-01-06"));

    // Edit: load it, change the expression, save.
    gui.click("Edit schedule Nightly");
    assert_eq!(gui.value_of("CRON"), "30 2 * * 1-5");
    gui.set_text("CRON", "@daily");
    gui.click("Save schedule");
    gui.wait_for_text("Saved schedule \"Nightly\"");
    gui.settle();
    let saved = gui.store().list_schedules(Some(client.key)).expect("list");
    assert_eq!(saved[0].cron, "@daily");

    // Delete, after the confirmation.
    gui.click("Delete schedule Nightly");
    gui.click_role(Role::Button, "Delete");
    gui.wait_for_text("Deleted schedule \"Nightly\"");
    gui.settle();
    assert!(gui.store().list_schedules(None).expect("list").is_empty());
}

#[test]
fn the_scheduler_runs_while_the_app_is_open() {
    let demo = Demo::with_users(20);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "Every second");
    {
        let mut store = usersync::store::Store::open_in(dir.path()).expect("store");
        store
            .insert_schedule(&NewSchedule {
                client_key: client.key,
                name: "Often",
                cron: "*/2 * * * * *",
                timezone: "UTC",
                active: true,
            })
            .expect("schedule");
    }
    let mut gui = Gui::in_dir(
        dir,
        Options {
            run_scheduler: true,
            fixed_clock: false,
            ..Options::default()
        },
    );
    gui.wait("a scheduled job", |app| {
        app.shared()
            .outcomes
            .get(&client.key)
            .is_some_and(|o| o.trigger == Trigger::Scheduled)
    });
    gui.wait_for_text("Scheduler on (1 active schedule)");
    // Switch it off from the status bar.
    gui.click("Scheduler on (1 active schedule)");
    gui.wait_for_label("Scheduler off");
}
