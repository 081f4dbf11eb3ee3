//! The status bar: running jobs, the scheduler, the last notice, where the data lives.

use egui::{RichText, Ui};

use super::app_state::Page;
use super::command::{Command, Commands};
use super::data::{SchedulerState, Shared};
use super::theme::Tone;
use super::widgets;

pub fn ui(ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
    ui.horizontal(|ui| {
        let running = shared.running.len();
        if running == 0 {
            widgets::status_dot(ui, Tone::Neutral);
            ui.label("No sync running");
        } else {
            widgets::status_dot(ui, Tone::Info);
            let names: Vec<&str> = shared
                .running
                .values()
                .map(|r| r.client_name.as_str())
                .collect();
            let text = if running == 1 {
                format!("Syncing {}", names.join(", "))
            } else {
                format!("{running} syncs running: {}", names.join(", "))
            };
            if ui
                .link(text)
                .on_hover_text("Show the running syncs on the Sync Now page")
                .clicked()
            {
                commands.push(Command::Navigate(Page::SyncNow));
            }
        }
        ui.separator();
        scheduler_ui(ui, shared, commands);
        if let Some(url) = &shared.demo_url {
            ui.separator();
            ui.label(format!("Demo tenant on {url}"))
                .on_hover_text("The built-in demo tenant runs while this app is open");
        }
        ui.separator();
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let dir = shared.data_dir.display().to_string();
            ui.label(RichText::new(format!("Data: {dir}")).color(ui.visuals().weak_text_color()))
                .on_hover_text(format!(
                    "Database and settings live in {dir}; secrets in the {}",
                    shared.secret_store
                ));
            if let Some(notice) = &shared.notice {
                ui.separator();
                let tone = if notice.error {
                    Tone::Error
                } else {
                    Tone::Neutral
                };
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    ui.add(
                        egui::Label::new(widgets::toned(ui, tone, notice.text.clone())).truncate(),
                    )
                    .on_hover_text(notice.text.as_str());
                });
            }
        });
    });
}

fn scheduler_ui(ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
    let (tone, text, tip, on) = match &shared.scheduler {
        SchedulerState::Off => (
            Tone::Neutral,
            "Scheduler off".to_string(),
            "Scheduled syncs do not run. Click to turn the scheduler on.".to_string(),
            false,
        ),
        SchedulerState::On {
            active_schedules,
            next,
            problem,
        } => {
            let mut tip = format!(
                "Active schedules run while this app is open.{} Click to turn the scheduler off.",
                next.as_ref()
                    .map(|n| format!(" Next: {n}."))
                    .unwrap_or_default()
            );
            if let Some(p) = problem {
                tip.push_str(&format!(" Problem: {p}"));
            }
            (
                if problem.is_some() {
                    Tone::Warn
                } else {
                    Tone::Ok
                },
                format!(
                    "Scheduler on ({active_schedules} active schedule{})",
                    if *active_schedules == 1 { "" } else { "s" }
                ),
                tip,
                true,
            )
        }
        SchedulerState::Failed(e) => (
            Tone::Error,
            "Scheduler stopped".to_string(),
            format!("{e}. Click to start it again."),
            false,
        ),
    };
    widgets::status_dot(ui, tone);
    if ui
        .add(egui::Button::new(text).frame(false))
        .on_hover_text(tip)
        .clicked()
    {
        commands.push(Command::SetScheduler(!on));
    }
}
