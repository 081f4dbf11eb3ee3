//! Sync Now: progress and the summary, the job in Job History with the same counts, the
//! same client twice refused, a blocked plan and "Apply anyway".

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use usersync::emulator::DemoConfig;
use usersync::gui::Page;
use usersync::model::{JobId, JobStatus};
use usersync::store::Which;

use crate::support::{Demo, Gui, Options, save_demo_client};

fn outcome_of(gui: &Gui, client: usersync::model::ClientKey) -> Option<(JobId, JobStatus)> {
    gui.app()
        .shared()
        .outcomes
        .get(&client)
        .map(|o| (o.job, o.status))
}

#[test]
fn sync_now_shows_progress_then_the_summary_and_the_job_in_history() {
    let demo = Demo::start(DemoConfig {
        users: 600,
        latency: Duration::from_millis(80),
        ..DemoConfig::default()
    });
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "Contoso");
    let mut gui = Gui::in_dir(
        dir,
        Options {
            page_size: 50,
            ..Options::default()
        },
    );
    gui.go(Page::SyncNow);
    assert_eq!(
        gui.harness
            .get_by_role_and_label(Role::ComboBox, "Client")
            .value()
            .as_deref(),
        Some("Contoso")
    );
    gui.click("Sync now");
    gui.wait("progress over several pages", |app| {
        app.shared()
            .running
            .values()
            .any(|r| r.progress.as_ref().is_some_and(|p| p.pages >= 2))
    });
    assert!(gui.has_text(" pages · "), "pages, users and time are shown");
    assert!(gui.has_label("Cancel sync of Contoso"));
    assert!(
        gui.harness
            .query_all_by_role(Role::ProgressIndicator)
            .next()
            .is_some()
    );

    // The same client again: refused, clearly.
    gui.click("Sync now");
    gui.wait_for_text("is already running");

    gui.wait("the sync to finish", |app| {
        app.shared()
            .outcomes
            .get(&client.key)
            .is_some_and(|o| o.status == JobStatus::Succeeded)
    });
    gui.settle();
    let outcome = gui.app().shared().outcomes[&client.key].clone();
    assert_eq!(outcome.counts.added, 600);
    for label in [
        "Added",
        "Updated",
        "Disabled",
        "Deleted",
        "Manager changes",
        "Unchanged",
    ] {
        assert!(gui.has_label(label), "summary shows {label}");
    }
    assert!(gui.has_label("600"));

    // The link opens the job in Job History, with the same counts.
    gui.click(&format!("Open job {} in Job History", outcome.job));
    gui.wait("the job's details", |app| {
        app.pages()
            .jobs
            .detail()
            .is_some_and(|d| d.detail.summary.id == outcome.job)
    });
    gui.settle();
    assert_eq!(gui.app().page(), Page::Jobs);
    let detail = gui.app().pages().jobs.detail().expect("detail");
    assert_eq!(detail.detail.summary.counts, outcome.counts);
    assert_eq!(detail.detail.summary.status, JobStatus::Succeeded);
    let combo = gui
        .harness
        .get_by_role_and_label(Role::ComboBox, "Job")
        .value()
        .unwrap_or_default();
    assert!(combo.starts_with(&format!("#{} ·", outcome.job)), "{combo}");
    assert!(combo.contains("+600"), "{combo}");
}

#[test]
fn a_blocked_plan_shows_the_numbers_and_apply_anyway_applies_it() {
    let demo = Demo::with_users(200);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "Guarded");
    let mut gui = Gui::in_dir(dir, Options::default());
    gui.go(Page::SyncNow);
    gui.click("Sync now");
    gui.wait("the first sync", |app| {
        app.shared().outcomes.contains_key(&client.key)
    });
    gui.settle();
    let first = outcome_of(&gui, client.key).expect("first");
    assert_eq!(first.1, JobStatus::Succeeded);

    // 60 of 200 leave: more than 20 %.
    let control = demo.control();
    for u in control
        .users()
        .iter()
        .filter(|u| u.manager_id.is_some())
        .take(60)
    {
        assert!(control.soft_delete(&u.id));
    }
    gui.click("Sync now");
    gui.wait("the blocked sync", |app| {
        app.shared()
            .outcomes
            .get(&client.key)
            .is_some_and(|o| o.job != first.0)
    });
    gui.settle();
    let blocked = gui.app().shared().outcomes[&client.key].clone();
    assert_eq!(blocked.status, JobStatus::Blocked);
    assert!(gui.has_text("Blocked by the deletion guard"));
    assert!(gui.has_text("would delete or disable 60 of 200 users; the guard allows 40"));
    assert_eq!(
        gui.store()
            .directory_users(client.key, Which::Active)
            .expect("dir")
            .len(),
        200,
        "nothing applied"
    );

    gui.click("Apply anyway");
    gui.wait("the consented sync", |app| {
        app.shared()
            .outcomes
            .get(&client.key)
            .is_some_and(|o| o.job != blocked.job)
    });
    gui.settle();
    let applied = gui.app().shared().outcomes[&client.key].clone();
    assert_eq!(applied.status, JobStatus::Succeeded);
    assert_eq!(applied.counts.deleted, 60);
    assert_eq!(
        gui.store()
            .directory_users(client.key, Which::Active)
            .expect("dir")
            .len(),
        140
    );
    let job = gui
        .store()
        .job_summary(applied.job)
        .expect("read")
        .expect("job");
    assert!(job.allow_deletes);
}

#[test]
fn cancel_stops_the_sync_and_applies_nothing() {
    let demo = Demo::start(DemoConfig {
        users: 2000,
        latency: Duration::from_millis(150),
        ..DemoConfig::default()
    });
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "Slow");
    let mut gui = Gui::in_dir(
        dir,
        Options {
            page_size: 50,
            ..Options::default()
        },
    );
    gui.go(Page::SyncNow);
    gui.click("Sync now");
    gui.wait("the sync to run", |app| {
        app.shared()
            .running
            .values()
            .any(|r| r.progress.as_ref().is_some_and(|p| p.pages >= 1))
    });
    gui.click("Cancel sync of Slow");
    gui.wait("the cancel", |app| {
        app.shared().outcomes.contains_key(&client.key)
    });
    gui.settle();
    assert_eq!(
        outcome_of(&gui, client.key).map(|o| o.1),
        Some(JobStatus::Cancelled)
    );
    assert!(
        gui.store()
            .directory_users(client.key, Which::Active)
            .expect("dir")
            .is_empty()
    );
}
