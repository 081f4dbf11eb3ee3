//! The saved schedules: next run, last run and status, with Edit and Delete.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use super::schedules::{Action, Listed};
use crate::gui::command::{Command, Commands};
use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::model::JobStatus;
use crate::schedule::Schedule;
use crate::store::schedules::ScheduleId;

/// Lays out the list; returns a schedule the admin asked to delete.
pub fn ui(
    ui: &mut Ui,
    list: &[Listed],
    now: DateTime<Utc>,
    commands: &mut Commands,
) -> Option<(ScheduleId, String)> {
    let mut delete = None;
    egui::Grid::new("schedule_list")
        .num_columns(6)
        .striped(true)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            for h in ["Schedule", "When", "Next run", "Last run", "Status", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for l in list {
                let r = &l.record;
                let parsed = Schedule::parse(&r.cron, &r.timezone);
                ui.vertical(|ui| {
                    ui.label(RichText::new(&r.name).strong());
                    ui.label(RichText::new(&r.client_name).color(ui.visuals().weak_text_color()));
                });
                ui.vertical(|ui| {
                    ui.label(
                        parsed
                            .as_ref()
                            .map(|s| s.describe())
                            .unwrap_or_else(|e| e.to_string()),
                    );
                    ui.label(
                        RichText::new(format!("{}  ({})", r.cron, r.timezone))
                            .monospace()
                            .color(ui.visuals().weak_text_color()),
                    );
                });
                let runs = r.active && r.client_active;
                match parsed.ok().and_then(|s| s.next_after(now)).filter(|_| runs) {
                    Some(next) => ui
                        .label(widgets::local_time(next))
                        .on_hover_text(widgets::relative(next, now)),
                    None => ui.label("-"),
                };
                match &l.last {
                    Some(f) => ui.label(widgets::local_time(f.fire_time)),
                    None => ui.label("never"),
                };
                status_ui(ui, l);
                ui.horizontal(|ui| {
                    if ui
                        .small_button("Edit")
                        .accessible_name(format!("Edit schedule {}", r.name))
                        .on_hover_text("Load this schedule into the form")
                        .clicked()
                    {
                        commands.push(Command::Schedules(Action::Edit(r.id)));
                    }
                    if ui
                        .small_button("Delete")
                        .accessible_name(format!("Delete schedule {}", r.name))
                        .on_hover_text("Remove this schedule")
                        .clicked()
                    {
                        delete = Some((r.id, r.name.clone()));
                    }
                });
                ui.end_row();
            }
        });
    delete
}

fn status_ui(ui: &mut Ui, l: &Listed) {
    let r = &l.record;
    if !r.client_active {
        let _ = widgets::status_chip(ui, Tone::Neutral, "Client inactive");
    } else if !r.active {
        let _ = widgets::status_chip(ui, Tone::Neutral, "Paused");
    } else {
        match l.last.as_ref().and_then(|f| f.job_status) {
            Some(status) => {
                let text = match status {
                    JobStatus::Blocked => "Blocked",
                    other => theme::job_status_text(other),
                };
                let _ = widgets::status_chip(ui, theme::job_tone(status), text);
            }
            None => {
                let _ = widgets::status_chip(ui, Tone::Info, "Waiting");
            }
        }
    }
}
