//! Job History: a combo box of previous jobs (newest first), filterable by client and
//! status; the selected job's timing, counts, error, log and change list; export as CSV
//! or JSON; a small chart of recent jobs.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{RichText, Ui};
use poll_promise::Promise;

use super::job_chart;
use super::job_detail::{self, DetailView};
use crate::export::{self, Format};
use crate::gui::command::{Command, Commands};
use crate::gui::data::Shared;
use crate::gui::tasks::{Outcome, Tasks, take_ready};
use crate::gui::theme::{self, Tone};
use crate::gui::{SaveDialog, save, widgets};
use crate::model::{ClientKey, JobId, JobStatus, JobSummary};
use crate::store::JobFilter;

/// Jobs listed in the combo box (the history keeps 500 per client).
const LIST_LIMIT: u32 = 1000;

#[derive(Debug)]
pub enum Action {
    Reload,
    Select(JobId),
    Export(Format),
}

pub struct JobsPage {
    save_dialog: SaveDialog,
    filter_client: Option<ClientKey>,
    filter_status: Option<JobStatus>,
    list: Vec<JobSummary>,
    list_version: u64,
    list_load: Option<Promise<Outcome<Vec<JobSummary>>>>,
    list_error: Option<String>,
    selected: Option<JobId>,
    /// The newest job is selected once the list arrives, unless one was asked for.
    auto_select: bool,
    detail: Option<Arc<DetailView>>,
    detail_load: Option<Promise<Outcome<Option<DetailView>>>>,
    detail_error: Option<String>,
    export: Option<Promise<Outcome<Option<PathBuf>>>>,
    export_result: Option<(Tone, String)>,
    /// The selection came from a link, not from the list.
    opened: bool,
}

impl JobsPage {
    pub fn new(save_dialog: SaveDialog) -> Self {
        Self {
            save_dialog,
            filter_client: None,
            filter_status: None,
            list: Vec::new(),
            list_version: 0,
            list_load: None,
            list_error: None,
            selected: None,
            auto_select: true,
            detail: None,
            detail_load: None,
            detail_error: None,
            export: None,
            export_result: None,
            opened: false,
        }
    }

    pub fn is_busy(&self) -> bool {
        self.list_load.is_some() || self.detail_load.is_some() || self.export.is_some()
    }

    /// The jobs listed (tests).
    pub fn list(&self) -> &[JobSummary] {
        &self.list
    }

    /// The selected job's details, once loaded (tests).
    pub fn detail(&self) -> Option<&DetailView> {
        self.detail.as_deref()
    }

    pub fn selected(&self) -> Option<JobId> {
        self.selected
    }

    /// Shows `job` (from a link elsewhere), clearing filters that would hide it.
    pub fn open_job(&mut self, job: JobId, tasks: &Tasks) {
        self.filter_client = None;
        self.filter_status = None;
        self.list_version = 0;
        self.auto_select = false;
        // Opened from a link: keep it even if the list has not caught up yet.
        self.opened = true;
        self.select(job, tasks);
    }

    pub fn logic(&mut self, shared: &mut Shared, tasks: &Tasks, visible: bool) {
        if let Some(result) = take_ready(&mut self.list_load) {
            match result {
                Ok(list) => {
                    self.list = list;
                    self.list_error = None;
                    let listed = self
                        .selected
                        .is_some_and(|id| self.list.iter().any(|j| j.id == id));
                    if self.auto_select {
                        self.auto_select = false;
                        match self.list.first().map(|j| j.id) {
                            Some(first) => self.select(first, tasks),
                            None => self.clear_selection(),
                        }
                    } else if !listed && self.detail_load.is_none() && !self.opened {
                        self.clear_selection();
                    }
                    self.opened = false;
                }
                Err(e) => self.list_error = Some(e),
            }
        }
        if let Some(result) = take_ready(&mut self.detail_load) {
            match result {
                Ok(Some(view)) => {
                    self.detail = Some(Arc::new(view));
                    self.detail_error = None;
                }
                Ok(None) => {
                    self.detail = None;
                    self.detail_error = Some("This job is no longer in the history.".into());
                }
                Err(e) => self.detail_error = Some(e),
            }
        }
        if let Some(result) = take_ready(&mut self.export) {
            self.export_result = save::result_message(result);
        }
        if visible && self.list_version != shared.data_version && self.list_load.is_none() {
            self.list_version = shared.data_version;
            self.reload(tasks);
            // A job still running changes as it goes: refresh its details too.
            if let Some(d) = &self.detail
                && d.detail.summary.status == JobStatus::Running
            {
                let id = d.detail.summary.id;
                self.select(id, tasks);
            }
        }
    }

    fn reload(&mut self, tasks: &Tasks) {
        let filter = JobFilter {
            client: self.filter_client,
            status: self.filter_status,
            limit: Some(LIST_LIMIT),
        };
        self.list_load = Some(tasks.with_store(move |store, _, _| {
            store
                .list_jobs(&filter)
                .map_err(|e| format!("cannot read the job history: {e}"))
        }));
    }

    fn clear_selection(&mut self) {
        self.selected = None;
        self.detail = None;
        self.detail_error = None;
    }

    fn select(&mut self, job: JobId, tasks: &Tasks) {
        self.selected = Some(job);
        self.export_result = None;
        self.detail_load = Some(tasks.with_store(move |store, _, _| {
            let detail = store
                .job_detail(job)
                .map_err(|e| format!("cannot read job {job}: {e}"))?;
            let Some(detail) = detail else {
                return Ok(None);
            };
            // Managers by name where the directory still knows them (best effort).
            let ids = job_detail::manager_ids(&detail);
            let names = match detail.summary.client_key {
                Some(client) if !ids.is_empty() => store
                    .load_directory_subset(client, ids.iter().map(String::as_str))
                    .map(|users| {
                        users
                            .into_iter()
                            .filter_map(|(id, u)| u.attributes.display_name.map(|n| (id, n)))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Default::default(),
            };
            Ok(Some(DetailView::new(detail, &names)))
        }));
    }

    pub fn run(&mut self, action: Action, tasks: &Tasks) {
        match action {
            Action::Reload => {
                self.list_version = 0;
            }
            Action::Select(job) => self.select(job, tasks),
            Action::Export(format) => {
                let Some(view) = self.detail.clone() else {
                    return;
                };
                let id = view.detail.summary.id;
                let name = format!(
                    "usersync-job-{id}-{}.{}",
                    save::file_stem(&view.detail.summary.client_name),
                    format.extension()
                );
                self.export_result = None;
                self.export = Some(save::export(
                    tasks,
                    &self.save_dialog,
                    &format!("Export job {id}"),
                    name,
                    format,
                    move || match format {
                        Format::Csv => Ok(export::job_csv(&view.detail).into_bytes()),
                        Format::Json => export::job_json(&view.detail)
                            .map(String::into_bytes)
                            .map_err(|e| e.to_string()),
                    },
                ));
            }
        }
    }

    pub fn ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        egui::ScrollArea::vertical()
            .id_salt("jobs_page")
            .auto_shrink(false)
            .show(ui, |ui| {
                widgets::page_header(
                    ui,
                    "Job History",
                    "What each sync did. Pick a job to see its timing, log and every change.",
                );
                self.filters_ui(ui, shared, commands);
                ui.add_space(6.0);
                self.job_combo_ui(ui, commands);
                if let Some(e) = &self.list_error {
                    widgets::banner_text(ui, Tone::Error, e);
                }
                if self.list.len() > 1 {
                    ui.add_space(6.0);
                    if let Some(job) = job_chart::ui(ui, &self.list, self.selected) {
                        commands.push(Command::Jobs(Action::Select(job)));
                    }
                }
                ui.add_space(6.0);
                if let Some(e) = &self.detail_error {
                    widgets::banner_text(ui, Tone::Error, e);
                }
                match (&self.detail, self.selected) {
                    (Some(view), Some(sel)) if view.detail.summary.id == sel => {
                        let view = view.clone();
                        self.export_ui(ui, commands);
                        job_detail::ui(ui, &view, shared);
                    }
                    (_, Some(_)) if self.detail_load.is_some() => {
                        let _ = ui.spinner();
                    }
                    _ if self.list.is_empty() && self.list_load.is_none() => {
                        if self.filter_client.is_some() || self.filter_status.is_some() {
                            widgets::note(ui, "No jobs match these filters.");
                        } else {
                            widgets::note(ui, "No jobs yet: sync a client on the Sync Now page.");
                        }
                    }
                    _ => {}
                }
            });
    }

    fn filters_ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        ui.horizontal(|ui| {
            let label = ui.label("Client");
            let current = self
                .filter_client
                .and_then(|k| shared.client(k))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "All clients".into());
            let before = (self.filter_client, self.filter_status);
            let r = egui::ComboBox::from_id_salt("jobs_filter_client")
                .selected_text(current)
                .width(220.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter_client, None, "All clients");
                    for c in &shared.clients {
                        ui.selectable_value(&mut self.filter_client, Some(c.key), &c.name);
                    }
                })
                .response;
            let _ = r
                .labelled_by(label.id)
                .on_hover_text("Show only the jobs of this client");
            ui.add_space(12.0);
            let label = ui.label("Status");
            let current = self
                .filter_status
                .map(theme::job_status_text)
                .unwrap_or("Any status");
            let r = egui::ComboBox::from_id_salt("jobs_filter_status")
                .selected_text(current)
                .width(220.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter_status, None, "Any status");
                    for s in JobStatus::ALL {
                        ui.selectable_value(
                            &mut self.filter_status,
                            Some(*s),
                            theme::job_status_text(*s),
                        );
                    }
                })
                .response;
            let _ = r
                .labelled_by(label.id)
                .on_hover_text("Show only the jobs that ended like this");
            if before != (self.filter_client, self.filter_status) {
                self.auto_select = true;
                commands.push(Command::Jobs(Action::Reload));
            }
            if ui
                .button("Refresh")
                .on_hover_text("Read the job history again")
                .clicked()
            {
                commands.push(Command::Jobs(Action::Reload));
            }
        });
    }

    fn job_combo_ui(&mut self, ui: &mut Ui, commands: &mut Commands) {
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new("Job").strong());
            let selected_text = self
                .selected
                .and_then(|id| self.list.iter().find(|j| j.id == id))
                .map(job_line)
                .or_else(|| self.selected.map(|id| format!("Job {id}")))
                .unwrap_or_else(|| {
                    if self.list.is_empty() {
                        "No jobs".into()
                    } else {
                        "Choose a job".into()
                    }
                });
            let r = egui::ComboBox::from_id_salt("jobs_combo")
                .selected_text(selected_text)
                .width(ui.available_width().min(760.0))
                .height(420.0)
                .show_ui(ui, |ui| {
                    for job in &self.list {
                        if ui
                            .selectable_label(self.selected == Some(job.id), job_line(job))
                            .clicked()
                        {
                            commands.push(Command::Jobs(Action::Select(job.id)));
                        }
                    }
                })
                .response;
            let _ = r.labelled_by(label.id).on_hover_text(
                "Previous jobs, newest first: id, start time, client, trigger, status, counts",
            );
            if self.list_load.is_some() {
                let _ = ui.spinner();
            }
        });
    }

    fn export_ui(&mut self, ui: &mut Ui, commands: &mut Commands) {
        ui.horizontal(|ui| {
            let busy = self.export.is_some();
            for format in [Format::Csv, Format::Json] {
                if ui
                    .add_enabled(
                        !busy,
                        egui::Button::new(format!("Export {}", format.label())),
                    )
                    .on_hover_text(match format {
                        Format::Csv => "Save this job's change list as CSV (one row per field)",
                        Format::Json => "Save this job with its counts, log and changes as JSON",
                    })
                    .clicked()
                {
                    commands.push(Command::Jobs(Action::Export(format)));
                }
            }
            if busy {
                let _ = ui.spinner();
            }
            if let Some((tone, text)) = &self.export_result {
                ui.label(widgets::toned(ui, *tone, text.clone()));
            }
        });
    }
}

/// One line of the job combo box.
pub fn job_line(j: &JobSummary) -> String {
    let c = &j.counts;
    let changed = c.updated + c.enabled + c.restored + c.manager_changed;
    let removed = c.disabled + c.deleted;
    let mut line = format!(
        "#{} · {} · {} · {} · {}",
        j.id,
        widgets::short_time(j.started_at),
        j.client_name,
        j.trigger,
        j.status
    );
    if j.kind == crate::model::JobKind::DryRun {
        line.push_str(" · dry run");
    }
    if j.status != JobStatus::Skipped && j.status != JobStatus::Running {
        line.push_str(&format!(" · +{} ~{} −{}", c.added, changed, removed));
    }
    line
}
