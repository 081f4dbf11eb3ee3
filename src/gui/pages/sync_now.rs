//! Sync Now: pick an active client, Sync now (dry run / full resync), progress with
//! Cancel while it runs, and the summary with a link to the job. A blocked plan shows
//! the guard's numbers and an explicit "Apply anyway".

use std::collections::HashMap;

use egui::{RichText, Ui};
use poll_promise::Promise;

use super::sync_result::{ResultView, kind_text, outcome_ui};
use crate::engine::SyncRequest;
use crate::gui::Page;
use crate::gui::command::{Command, Commands};
use crate::gui::data::{RunningJob, Shared};
use crate::gui::tasks::{Outcome, Tasks, take_ready};
use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::model::{ClientKey, JobStatus, JobSummary, Trigger};
use crate::store::JobFilter;

#[derive(Default)]
pub struct SyncNowPage {
    client: Option<ClientKey>,
    dry_run: bool,
    full: bool,
    /// The newest recorded job per client (also from before this session).
    last: HashMap<ClientKey, JobSummary>,
    last_version: (u64, u64),
    last_load: Option<Promise<Outcome<NewestJobs>>>,
}

/// The newest finished job of each client.
type NewestJobs = Vec<(ClientKey, JobSummary)>;

impl SyncNowPage {
    pub fn is_busy(&self) -> bool {
        self.last_load.is_some()
    }

    pub fn logic(&mut self, shared: &mut Shared, tasks: &Tasks, visible: bool) {
        let still_there = self
            .client
            .is_some_and(|k| shared.active_clients().any(|c| c.key == k));
        if !still_there {
            self.client = shared.active_clients().next().map(|c| c.key);
        }
        if let Some(Ok(list)) = take_ready(&mut self.last_load) {
            self.last = list.into_iter().collect();
        }
        let version = (shared.data_version, shared.clients_version);
        if visible
            && shared.clients_loaded
            && self.last_version != version
            && self.last_load.is_none()
        {
            self.last_version = version;
            let clients: Vec<ClientKey> = shared.clients.iter().map(|c| c.key).collect();
            self.last_load = Some(tasks.with_store(move |store, _, _| {
                let mut out = Vec::new();
                for key in clients {
                    let newest = store
                        .list_jobs(&JobFilter {
                            client: Some(key),
                            status: None,
                            limit: Some(5),
                        })
                        .map_err(|e| e.to_string())?
                        .into_iter()
                        .find(|j| j.status != JobStatus::Running);
                    if let Some(j) = newest {
                        out.push((key, j));
                    }
                }
                Ok(out)
            }));
        }
    }

    /// This session's outcome for the client, or the newest job in the history.
    fn result_for(&self, shared: &Shared, key: ClientKey) -> Option<ResultView> {
        let session = shared.outcomes.get(&key);
        let stored = self.last.get(&key);
        match (session, stored) {
            (Some(o), Some(j)) if j.id > o.job => Some(ResultView::of_summary(key, j)),
            (Some(o), _) => {
                let mut view = ResultView::from(o);
                view.finished_at = shared.outcome_times.get(&key).copied();
                Some(view)
            }
            (None, Some(j)) => Some(ResultView::of_summary(key, j)),
            (None, None) => None,
        }
    }

    pub fn ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                widgets::page_header(
                    ui,
                    "Sync Now",
                    "Read the tenant's users and managers and bring the local directory in \
                     step. Several clients may sync at once.",
                );
                if shared.clients_loaded && shared.active_clients().next().is_none() {
                    widgets::banner(ui, Tone::Info, |ui| {
                        ui.label("No active client yet.");
                        if ui.link("Add a client").clicked() {
                            commands.push(Command::Navigate(Page::Clients));
                        }
                    });
                    return;
                }
                self.controls_ui(ui, shared, commands);
                if let Some(key) = self.client
                    && let Some(text) = shared.refusals.get(&key)
                {
                    ui.add_space(6.0);
                    widgets::banner_text(ui, Tone::Error, text);
                }
                let running: Vec<&RunningJob> = shared.running.values().collect();
                if !running.is_empty() {
                    widgets::section(ui, "Running");
                    for job in running {
                        running_ui(ui, job, commands);
                    }
                }
                let starting: Vec<String> = shared
                    .starting
                    .keys()
                    .filter(|k| shared.running_for(**k).is_none())
                    .filter_map(|k| shared.client(*k).map(|c| c.name.clone()))
                    .collect();
                for name in starting {
                    ui.label(format!("Starting the sync of \"{name}\"…"));
                }
                if let Some(key) = self.client
                    && let Some(result) = self.result_for(shared, key)
                {
                    widgets::section(ui, "Last result");
                    outcome_ui(ui, &result, shared, commands);
                }
                self.overview_ui(ui, shared, commands);
            });
    }

    /// Every active client with its last sync, each with its own Sync button.
    fn overview_ui(&self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        let clients: Vec<_> = shared.active_clients().collect();
        if clients.len() < 2 {
            return;
        }
        widgets::section(ui, "All active clients");
        egui::Grid::new("sync_overview")
            .num_columns(5)
            .striped(true)
            .spacing([18.0, 6.0])
            .show(ui, |ui| {
                for h in ["Client", "Users", "Last sync", "Result", ""] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for c in clients {
                    ui.label(RichText::new(&c.name).strong());
                    match shared.directory_sizes.get(&c.key) {
                        Some(n) => ui.label(widgets::count(*n)),
                        None => ui.label("-"),
                    };
                    let result = self.result_for(shared, c.key);
                    let running = shared.running_for(c.key);
                    match (&result, running) {
                        (_, Some(job)) => {
                            ui.label(format!("running (job {})", job.job));
                        }
                        (Some(r), None) => {
                            let when = r
                                .finished_at
                                .map(|t| widgets::relative(t, shared.now()))
                                .unwrap_or_else(|| "this session".into());
                            ui.label(when);
                        }
                        (None, None) => {
                            ui.label("never");
                        }
                    }
                    match &result {
                        Some(r) => {
                            let _ = widgets::status_chip(
                                ui,
                                theme::job_tone(r.status),
                                &format!(
                                    "{} · +{} ~{} −{}",
                                    r.status,
                                    r.counts.added,
                                    r.counts.updated + r.counts.enabled + r.counts.restored,
                                    r.counts.disabled + r.counts.deleted
                                ),
                            );
                        }
                        None => {
                            ui.label("");
                        }
                    }
                    if ui
                        .add_enabled(running.is_none(), egui::Button::new("Sync").small())
                        .accessible_name(format!("Sync {}", c.name))
                        .on_hover_text("Sync this client now (incremental when possible)")
                        .on_disabled_hover_text("A sync of this client is running")
                        .clicked()
                    {
                        commands.push(Command::StartSync(SyncRequest::new(c.key, Trigger::Manual)));
                    }
                    ui.end_row();
                }
            });
    }

    fn controls_ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        let selected_name = self
            .client
            .and_then(|k| shared.client(k))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "Choose a client".into());
        egui::Grid::new("sync_controls")
            .num_columns(2)
            .spacing([16.0, 10.0])
            .show(ui, |ui| {
                let label = ui.label("Client");
                let response = egui::ComboBox::from_id_salt("sync_client")
                    .selected_text(selected_name)
                    .width(320.0)
                    .show_ui(ui, |ui| {
                        for c in shared.active_clients() {
                            ui.selectable_value(&mut self.client, Some(c.key), &c.name);
                        }
                    })
                    .response;
                let _ = response
                    .labelled_by(label.id)
                    .on_hover_text("The client to sync (only active clients are listed)");
                ui.end_row();
                let _ = ui.label("Options");
                ui.horizontal(|ui| {
                    let _ = ui
                        .checkbox(&mut self.dry_run, "Dry run")
                        .on_hover_text("Compute and record the changes without applying any");
                    let _ = ui.checkbox(&mut self.full, "Full resync").on_hover_text(
                        "Read every user again instead of only the changes since the last sync",
                    );
                });
                ui.end_row();
            });
        ui.add_space(6.0);
        let running = self.client.and_then(|k| shared.running_for(k));
        let starting = self
            .client
            .is_some_and(|k| shared.starting.contains_key(&k));
        ui.horizontal(|ui| {
            let button = ui
                .add_enabled(self.client.is_some(), egui::Button::new("Sync now"))
                .on_hover_text("Start syncing the chosen client now")
                .on_disabled_hover_text("Choose a client first");
            if button.clicked()
                && let Some(client) = self.client
            {
                let mut request = SyncRequest::new(client, Trigger::Manual);
                request.dry_run = self.dry_run;
                request.full = self.full;
                commands.push(Command::StartSync(request));
            }
            if let Some(job) = running {
                widgets::note(
                    ui,
                    &format!(
                        "A sync of this client is running (job {}); a second one is refused \
                         until it ends.",
                        job.job
                    ),
                );
            } else if starting {
                ui.spinner();
            }
        });
    }
}

fn running_ui(ui: &mut Ui, job: &RunningJob, commands: &mut Commands) {
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(&job.client_name).strong());
                ui.label(format!(
                    "{} · {} · job {}",
                    kind_text(job.kind),
                    job.trigger,
                    job.job
                ));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let text = if job.cancel_requested {
                        "Cancelling…"
                    } else {
                        "Cancel"
                    };
                    if ui
                        .add_enabled(!job.cancel_requested, egui::Button::new(text))
                        .accessible_name(format!("Cancel sync of {}", job.client_name))
                        .on_hover_text("Stop between pages; nothing is applied")
                        .clicked()
                    {
                        commands.push(Command::CancelJob(job.job));
                    }
                });
            });
            let phase = job
                .progress
                .as_ref()
                .map(|p| p.phase.label())
                .unwrap_or("starting");
            // Not animated: the bar moves on progress events only, so a sync does not
            // make the window repaint continuously.
            let _ = ui.add(
                egui::ProgressBar::new(job.fraction())
                    .text(capitalise(phase))
                    .desired_height(20.0),
            );
            if let Some(p) = &job.progress {
                let mut line = format!(
                    "{} page{} · {} users · {}",
                    widgets::count(p.pages),
                    if p.pages == 1 { "" } else { "s" },
                    widgets::count(p.users),
                    widgets::duration_ms(p.elapsed_ms)
                );
                if let Some(rate) = job.rate() {
                    line.push_str(&format!(" · {} users/s", widgets::count(rate as u64)));
                }
                ui.label(line);
            }
        });
    ui.add_space(4.0);
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
