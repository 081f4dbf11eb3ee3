//! Look and feel: the theme (OS, or a manual override), spacing, and the status colours,
//! chosen to stay readable on both the light and the dark background.

use egui::{Color32, Visuals};

use super::app_state::ThemeChoice;
use crate::model::JobStatus;

/// Applies the theme choice and the app's style tweaks (both themes).
pub fn apply(ctx: &egui::Context, choice: ThemeChoice) {
    ctx.set_theme(choice.preference());
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        style.spacing.interact_size.y = 24.0;
        // A blinking cursor repaints the window forever; a steady one keeps an idle
        // window idle.
        style.visuals.text_cursor.blink = false;
        style.interaction.tooltip_delay = 0.4;
    });
}

/// The tones a status can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Error,
    Info,
    Neutral,
}

pub fn color(visuals: &Visuals, tone: Tone) -> Color32 {
    let dark = visuals.dark_mode;
    match (tone, dark) {
        (Tone::Ok, true) => Color32::from_rgb(87, 201, 111),
        (Tone::Ok, false) => Color32::from_rgb(26, 127, 55),
        (Tone::Warn, true) => Color32::from_rgb(230, 180, 70),
        (Tone::Warn, false) => Color32::from_rgb(154, 103, 0),
        (Tone::Error, true) => Color32::from_rgb(255, 123, 114),
        (Tone::Error, false) => Color32::from_rgb(190, 30, 40),
        (Tone::Info, true) => Color32::from_rgb(110, 170, 255),
        (Tone::Info, false) => Color32::from_rgb(9, 105, 218),
        (Tone::Neutral, _) => visuals.weak_text_color(),
    }
}

/// A light tint of the tone, for banner backgrounds.
pub fn tint(visuals: &Visuals, tone: Tone) -> Color32 {
    let c = color(visuals, tone);
    let alpha = if visuals.dark_mode { 40 } else { 28 };
    Color32::from_rgba_unmultiplied(c.r(), c.g(), c.b(), alpha)
}

pub fn job_tone(status: JobStatus) -> Tone {
    match status {
        JobStatus::Succeeded => Tone::Ok,
        JobStatus::Failed | JobStatus::Interrupted => Tone::Error,
        JobStatus::Blocked | JobStatus::Cancelled | JobStatus::Skipped => Tone::Warn,
        JobStatus::Running => Tone::Info,
    }
}

/// Words for a job status, as an admin reads them.
pub fn job_status_text(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Running => "Running",
        JobStatus::Succeeded => "Succeeded",
        JobStatus::Failed => "Failed",
        JobStatus::Cancelled => "Cancelled",
        JobStatus::Interrupted => "Interrupted",
        JobStatus::Blocked => "Blocked by the deletion guard",
        JobStatus::Skipped => "Skipped",
    }
}
