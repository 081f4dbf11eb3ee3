//! One struct per page with a `ui` method; `Pages` holds them and dispatches.

pub mod client_form;
mod client_validation;
pub mod clients;
pub mod directory;
pub mod directory_data;
mod directory_person;
pub mod directory_tree;
pub mod information;
pub mod job_chart;
pub mod job_detail;
pub mod jobs;
pub mod schedule_editor;
mod schedule_list;
pub mod schedules;
pub mod sync_now;
mod sync_result;

use egui::Ui;

use super::SaveDialog;
use super::app_state::Page;
use super::command::Commands;
use super::data::Shared;
use super::tasks::Tasks;

pub struct Pages {
    pub info: information::InformationPage,
    pub clients: clients::ClientsPage,
    pub sync: sync_now::SyncNowPage,
    pub schedules: schedules::SchedulesPage,
    pub jobs: jobs::JobsPage,
    pub directory: directory::DirectoryPage,
}

impl Pages {
    pub fn new(_tasks: &Tasks, save_dialog: SaveDialog) -> Self {
        Self {
            info: information::InformationPage::default(),
            clients: clients::ClientsPage::default(),
            sync: sync_now::SyncNowPage::default(),
            schedules: schedules::SchedulesPage::default(),
            jobs: jobs::JobsPage::new(save_dialog.clone()),
            directory: directory::DirectoryPage::new(save_dialog),
        }
    }

    pub fn ui(&mut self, page: Page, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        match page {
            Page::Information => self.info.ui(ui, shared, commands),
            Page::Clients => self.clients.ui(ui, shared, commands),
            Page::SyncNow => self.sync.ui(ui, shared, commands),
            Page::Schedules => self.schedules.ui(ui, shared, commands),
            Page::Jobs => self.jobs.ui(ui, shared, commands),
            Page::Directory => self.directory.ui(ui, shared, commands),
        }
    }

    /// Polls background work and reloads what changed (the visible page first).
    pub fn logic(&mut self, shared: &mut Shared, tasks: &Tasks) {
        let page = shared.page;
        self.clients.logic(shared, tasks);
        self.sync.logic(shared, tasks, page == Page::SyncNow);
        self.schedules.logic(shared, tasks, page == Page::Schedules);
        self.jobs.logic(shared, tasks, page == Page::Jobs);
        self.directory.logic(shared, tasks, page == Page::Directory);
    }

    pub fn is_busy(&self) -> bool {
        self.clients.is_busy()
            || self.sync.is_busy()
            || self.schedules.is_busy()
            || self.jobs.is_busy()
            || self.directory.is_busy()
    }
}
