//! One job in detail: timing, trigger and schedule, status, counts, error, log, and the
//! change list (user, field, before → after) as a virtualised table.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::gui::data::Shared;
use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::model::{JobDetail, JobKind};

/// One row of the change table: a changed field, or a change without field details.
#[derive(Clone, Debug)]
pub struct ChangeRow {
    pub user: String,
    pub user_id: String,
    pub kind: String,
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A loaded job with its change list flattened for the table (built off the UI thread).
#[derive(Debug)]
pub struct DetailView {
    pub detail: JobDetail,
    pub rows: Vec<ChangeRow>,
}

/// The field whose values are object ids of managers (shown as names when known).
const MANAGER_FIELD: &str = "managerId";

/// Object ids of managers mentioned in a job's changes.
pub fn manager_ids(detail: &JobDetail) -> Vec<String> {
    let mut ids: Vec<String> = detail
        .changes
        .iter()
        .flat_map(|c| c.fields.iter())
        .filter(|f| f.field == MANAGER_FIELD)
        .flat_map(|f| [f.before.clone(), f.after.clone()])
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

impl DetailView {
    /// `names`: display names of the managers mentioned (see [`manager_ids`]).
    pub fn new(detail: JobDetail, names: &std::collections::HashMap<String, String>) -> Self {
        let show = |field: &str, value: &Option<String>| -> String {
            match value {
                Some(id) if field == MANAGER_FIELD => match names.get(id) {
                    Some(name) => format!("{name} ({id})"),
                    None => id.clone(),
                },
                Some(v) => v.clone(),
                None => String::new(),
            }
        };
        let mut rows = Vec::new();
        for change in &detail.changes {
            if change.fields.is_empty() {
                rows.push(ChangeRow {
                    user: change.label.clone(),
                    user_id: change.user_id.clone(),
                    kind: change.kind.clone(),
                    field: String::new(),
                    before: String::new(),
                    after: String::new(),
                });
            }
            for f in &change.fields {
                rows.push(ChangeRow {
                    user: change.label.clone(),
                    user_id: change.user_id.clone(),
                    kind: change.kind.clone(),
                    field: f.field.clone(),
                    before: show(&f.field, &f.before),
                    after: show(&f.field, &f.after),
                });
            }
        }
        Self { detail, rows }
    }
}

pub fn ui(ui: &mut Ui, view: &DetailView, shared: &Shared) {
    let s = &view.detail.summary;
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Job {}", s.id)).size(18.0).strong());
        let _ = widgets::status_chip(
            ui,
            theme::job_tone(s.status),
            theme::job_status_text(s.status),
        );
    });
    let trigger = match &s.schedule_name {
        Some(name) => format!("{} (schedule \"{name}\")", s.trigger),
        None => s.trigger.to_string(),
    };
    let kind = match s.kind {
        JobKind::Full => "full sync",
        JobKind::Incremental => "incremental sync (changes since the last sync)",
        JobKind::DryRun => "dry run (nothing applied)",
    };
    let mut facts = vec![
        ("Client", s.client_name.clone()),
        ("Trigger", trigger),
        ("Kind", kind.to_string()),
        (
            "Started",
            format!(
                "{} ({})",
                widgets::local_time(s.started_at),
                widgets::relative(s.started_at, shared.now())
            ),
        ),
        (
            "Finished",
            s.finished_at
                .map(widgets::local_time)
                .unwrap_or_else(|| "still running".into()),
        ),
        (
            "Duration",
            s.duration()
                .map(|d| widgets::duration_ms(d.num_milliseconds().max(0) as u64))
                .unwrap_or_else(|| "-".into()),
        ),
        (
            "Read",
            format!(
                "{} users in {} page{}",
                widgets::count(s.users_read),
                widgets::count(s.pages),
                if s.pages == 1 { "" } else { "s" }
            ),
        ),
    ];
    if s.allow_deletes {
        facts.push(("Consent", "deletions allowed (\"Apply anyway\")".into()));
    }
    widgets::facts(ui, "job_facts", &facts);
    ui.add_space(6.0);
    counts_ui(ui, view);
    if let Some(message) = &s.error_message {
        ui.add_space(6.0);
        let text = match &s.error_code {
            Some(code) => format!("{message} (code {code})"),
            None => message.clone(),
        };
        widgets::banner_text(ui, theme::job_tone(s.status), &text);
    }
    widgets::section(ui, &format!("Log ({} lines)", view.detail.log.len()));
    log_ui(ui, view);
    widgets::section(
        ui,
        &format!(
            "Changes ({} users, {} rows)",
            widgets::count(view.detail.changes.len() as u64),
            widgets::count(view.rows.len() as u64)
        ),
    );
    if view.rows.is_empty() {
        widgets::note(ui, "This job changed nothing.");
    } else {
        changes_table(ui, view);
    }
}

fn counts_ui(ui: &mut Ui, view: &DetailView) {
    widgets::counts_grid(ui, "job_counts", &view.detail.summary.counts, 16.0);
}

fn log_ui(ui: &mut Ui, view: &DetailView) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        egui::ScrollArea::vertical()
            .id_salt("job_log")
            .max_height(150.0)
            .show(ui, |ui| {
                for line in &view.detail.log {
                    let tone = match line.level.as_str() {
                        "error" => Tone::Error,
                        "warn" => Tone::Warn,
                        _ => Tone::Neutral,
                    };
                    ui.horizontal_wrapped(|ui| {
                        ui.label(
                            RichText::new(
                                line.at
                                    .with_timezone(&chrono::Local)
                                    .format("%H:%M:%S%.3f")
                                    .to_string(),
                            )
                            .monospace()
                            .color(ui.visuals().weak_text_color()),
                        );
                        ui.label(widgets::toned(ui, tone, line.level.clone()).monospace());
                        ui.add(egui::Label::new(line.message.as_str()).wrap());
                    });
                }
            });
    });
}

fn changes_table(ui: &mut Ui, view: &DetailView) {
    let height = (view.rows.len() as f32 * 22.0 + 30.0).clamp(80.0, 420.0);
    ui.push_id("job_changes", |ui| {
        ui.allocate_ui(egui::vec2(ui.available_width(), height), |ui| {
            TableBuilder::new(ui)
                .id_salt("job_changes_table")
                .striped(true)
                .resizable(true)
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::initial(220.0).at_least(120.0).clip(true))
                .column(Column::initial(110.0).at_least(70.0))
                .column(Column::initial(150.0).at_least(80.0).clip(true))
                .column(Column::initial(220.0).at_least(80.0).clip(true))
                .column(Column::exact(18.0))
                .column(Column::remainder().at_least(80.0).clip(true))
                .max_scroll_height(height)
                .header(22.0, |mut header| {
                    for h in ["User", "Change", "Field", "Before", "", "After"] {
                        header.col(|ui| {
                            ui.strong(h);
                        });
                    }
                })
                .body(|body| {
                    body.rows(22.0, view.rows.len(), |mut row| {
                        let Some(r) = view.rows.get(row.index()) else {
                            return;
                        };
                        row.col(|ui| {
                            let _ = ui
                                .add(egui::Label::new(r.user.as_str()).truncate())
                                .on_hover_text(format!("Object id {}", r.user_id));
                        });
                        row.col(|ui| {
                            ui.label(r.kind.as_str());
                        });
                        row.col(|ui| {
                            ui.label(RichText::new(r.field.as_str()).monospace());
                        });
                        row.col(|ui| {
                            let _ = ui.add(egui::Label::new(empty_dash(&r.before)).truncate());
                        });
                        row.col(|ui| {
                            if !r.field.is_empty() {
                                ui.label(RichText::new("→").monospace());
                            }
                        });
                        row.col(|ui| {
                            let _ = ui.add(egui::Label::new(empty_dash(&r.after)).truncate());
                        });
                    });
                });
        });
    });
}

fn empty_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}
