//! Job History (select a job, its changes, filters, export) and Directory (search, sort,
//! the manager tree).

use egui::accesskit::Role;
use usersync::emulator::DemoUserPatch;
use usersync::gui::Page;
use usersync::gui::pages::jobs::job_line;
use usersync::model::JobStatus;

use crate::support::{Demo, Gui, Options, save_demo_client};

fn sync_and_wait(
    gui: &mut Gui,
    client: usersync::model::ClientKey,
) -> usersync::engine::JobOutcome {
    let before = gui.app().shared().outcomes.get(&client).map(|o| o.job);
    gui.go(Page::SyncNow);
    gui.click("Sync now");
    gui.wait("the sync", |app| {
        app.shared()
            .outcomes
            .get(&client)
            .is_some_and(|o| Some(o.job) != before)
    });
    gui.settle();
    gui.app().shared().outcomes[&client].clone()
}

#[test]
fn selecting_a_job_shows_its_changes_and_exports_them() {
    let demo = Demo::with_users(80);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "History");
    let mut gui = Gui::in_dir(dir, Options::default());
    let first = sync_and_wait(&mut gui, client.key);
    assert_eq!(first.counts.added, 80);

    let control = demo.control();
    let user = control
        .users()
        .into_iter()
        .find(|u| u.job_title.is_some())
        .expect("a user with a title");
    let old_title = user.job_title.clone().expect("title");
    assert!(control.update_user(
        &user.id,
        DemoUserPatch {
            job_title: Some(Some("Chief Tester".into())),
            ..DemoUserPatch::default()
        }
    ));
    let second = sync_and_wait(&mut gui, client.key);
    assert_eq!(second.counts.updated, 1);

    gui.go(Page::Jobs);
    gui.wait("the newest job's details", |app| {
        app.pages()
            .jobs
            .detail()
            .is_some_and(|d| d.detail.summary.id == second.job)
    });
    gui.settle();
    // The change list: user, field, before → after.
    assert!(gui.has_label("jobTitle"));
    assert!(gui.has_label("Chief Tester"));
    assert!(gui.has_label(&old_title));
    assert!(gui.has_label(&user.display_name));
    assert!(gui.has_text("Changes (1 users"));
    // The log is shown.
    assert!(gui.has_text("incremental sync: reading changes since the last sync"));

    // Pick the first job in the combo box: its 80 additions.
    let jobs = gui.app().pages().jobs.list().to_vec();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].id, second.job, "newest first");
    let line = job_line(&jobs[1]);
    gui.choose("Job", &line);
    gui.wait("the first job's details", |app| {
        app.pages()
            .jobs
            .detail()
            .is_some_and(|d| d.detail.summary.id == first.job)
    });
    gui.settle();
    assert_eq!(
        gui.app()
            .pages()
            .jobs
            .detail()
            .expect("detail")
            .detail
            .changes
            .len(),
        80
    );

    // Export as CSV and JSON (the save dialog is a folder in tests).
    gui.click("Export CSV");
    gui.wait_for_text("Exported to");
    gui.settle();
    gui.click("Export JSON");
    gui.settle();
    let exports = gui.data_dir().join("exports");
    let csv =
        std::fs::read_to_string(exports.join(format!("usersync-job-{}-History.csv", first.job)))
            .expect("csv written");
    assert!(csv.starts_with("jobId,userId,user,change,field,before,after\r\n"));
    assert!(csv.lines().any(|l| l.contains(",added,")));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(exports.join(format!("usersync-job-{}-History.json", first.job)))
            .expect("json written"),
    )
    .expect("json");
    assert_eq!(json["counts"]["added"], 80);
    assert!(
        !std::fs::read_to_string(exports.join(format!("usersync-job-{}-History.json", first.job)))
            .expect("json")
            .contains(demo.tenant.client_secret())
    );

    // Filter by status: nothing failed.
    gui.choose("Status", "Failed");
    gui.settle();
    assert!(gui.app().pages().jobs.list().is_empty());
    assert!(gui.has_text("No jobs"));
    gui.choose("Status", "Succeeded");
    gui.settle();
    assert_eq!(gui.app().pages().jobs.list().len(), 2);
    assert!(
        gui.app()
            .pages()
            .jobs
            .list()
            .iter()
            .all(|j| j.status == JobStatus::Succeeded)
    );
}

#[test]
fn directory_search_sort_and_tree_show_the_synced_hierarchy() {
    let demo = Demo::with_users(150);
    let dir = tempfile::tempdir().expect("dir");
    let client = save_demo_client(dir.path(), &demo, "People");
    let mut gui = Gui::in_dir(dir, Options::default());
    sync_and_wait(&mut gui, client.key);
    gui.go(Page::Directory);
    gui.wait("the directory", |app| {
        app.pages()
            .directory
            .data()
            .is_some_and(|d| d.users.len() == 150)
            && app.pages().directory.rows().len() == 150
    });
    gui.settle();

    // Search: every word must match.
    let users = demo.control().users();
    let target = users
        .iter()
        .filter(|u| u.manager_id.is_some() && u.display_name.is_ascii())
        .find(|u| {
            users
                .iter()
                .filter(|o| o.display_name == u.display_name)
                .count()
                == 1
        })
        .expect("a unique name");
    gui.type_into("Search users", &target.display_name);
    gui.wait("the search", |app| app.pages().directory.rows().len() == 1);
    gui.settle();
    assert!(gui.has_label(&target.display_name));
    assert!(gui.has_text("1 of 150 users"));
    gui.set_text("Search users", "");
    gui.wait("all rows", |app| app.pages().directory.rows().len() == 150);

    // Sorting by name, then reversed.
    let first_before = gui.app().pages().directory.rows()[0];
    gui.click("Sort by Name");
    gui.wait("the reversed order", |app| {
        app.pages().directory.rows().last() == Some(&first_before)
    });

    // The tree: people without a manager on top, with their report counts.
    gui.click_role(Role::Button, "Hierarchy");
    gui.settle();
    let data_roots: Vec<(String, usize, u32)> = {
        let d = gui.app().pages().directory.data().expect("data");
        d.roots
            .iter()
            .map(|&r| {
                (
                    usersync::gui::pages::directory_data::name(&d.users[r]).to_string(),
                    d.children[r].len(),
                    d.all_reports[r],
                )
            })
            .collect()
    };
    let (top, direct, all) = data_roots
        .iter()
        .max_by_key(|r| r.2)
        .cloned()
        .expect("a root");
    assert!(all >= 100, "the CEO has most of the organisation below");
    assert_eq!(gui.app().pages().directory.tree_rows(), data_roots.len());
    assert!(gui.has_label(&top));
    assert!(gui.has_label(&format!("{direct} direct · {all} all")));
    gui.click(&format!("Expand {top}"));
    gui.settle();
    assert_eq!(
        gui.app().pages().directory.tree_rows(),
        data_roots.len() + direct
    );
    assert!(gui.has_label(&format!("Collapse {top}")));

    // "Show in hierarchy" opens the path down to a person.
    gui.click_role(Role::Button, "Users");
    gui.type_into("Search users", &target.display_name);
    gui.wait("the search", |app| app.pages().directory.rows().len() == 1);
    gui.settle();
    gui.click_role(Role::Button, &target.display_name);
    gui.click("Show in hierarchy");
    gui.settle();
    assert!(gui.has_label(&target.display_name));
    assert!(gui.app().pages().directory.tree_rows() > data_roots.len());
}
