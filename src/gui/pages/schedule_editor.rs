//! The CRON editor: live validation with the wrong field highlighted (in the text and in
//! the field strip under it), the plain-words reading and the next five run times.

use chrono::{DateTime, Utc};
use egui::text::LayoutJob;
use egui::{Color32, FontId, RichText, TextFormat, Ui};

use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::schedule::{CronError, CronField, Schedule, ScheduleError};

/// How many upcoming runs are shown.
pub const UPCOMING: usize = 5;

/// The result of checking the editor's text (recomputed only when it changes).
#[derive(Clone, Debug, Default)]
pub struct CronCheck {
    pub cron: String,
    pub timezone: String,
    pub now_minute: i64,
    pub result: Option<Result<CheckedSchedule, ScheduleError>>,
}

#[derive(Clone, Debug)]
pub struct CheckedSchedule {
    pub description: String,
    pub upcoming: Vec<String>,
}

impl CronCheck {
    /// Re-checks when the text, the zone or the minute changed.
    pub fn refresh(&mut self, cron: &str, timezone: &str, now: DateTime<Utc>) {
        let minute = now.timestamp() / 60;
        if self.result.is_some()
            && self.cron == cron
            && self.timezone == timezone
            && self.now_minute == minute
        {
            return;
        }
        self.cron = cron.to_string();
        self.timezone = timezone.to_string();
        self.now_minute = minute;
        self.result = Some(Schedule::validate(cron, timezone, now).map(|s| {
            CheckedSchedule {
                description: s.describe(),
                upcoming: s
                    .upcoming(now, UPCOMING)
                    .iter()
                    .map(|o| o.local_text())
                    .collect(),
            }
        }));
    }

    pub fn cron_error(&self) -> Option<&CronError> {
        match &self.result {
            Some(Err(ScheduleError::Cron(e))) => Some(e),
            _ => None,
        }
    }

    pub fn zone_error(&self) -> Option<String> {
        match &self.result {
            Some(Err(ScheduleError::TimeZone(e))) => Some(e.to_string()),
            _ => None,
        }
    }

    /// The 1-based position of the wrong field, if the error is about one.
    pub fn wrong_position(&self) -> Option<usize> {
        match self.cron_error() {
            Some(CronError::Field { position, .. }) => Some(*position),
            _ => None,
        }
    }
}

/// The field names for an expression with `count` fields.
pub fn layout(count: usize) -> &'static [CronField] {
    use CronField::*;
    match count {
        5 => &[Minute, Hour, DayOfMonth, Month, DayOfWeek],
        6 => &[Second, Minute, Hour, DayOfMonth, Month, DayOfWeek],
        7 => &[Second, Minute, Hour, DayOfMonth, Month, DayOfWeek, Year],
        _ => &[],
    }
}

/// Colours the wrong field of the expression inside the text field.
pub fn highlight_job(text: &str, wrong: Option<usize>, ui: &Ui) -> LayoutJob {
    let font = FontId::monospace(14.0);
    let normal = ui.visuals().text_color();
    let error = theme::color(ui.visuals(), Tone::Error);
    let mut job = LayoutJob::default();
    let mut field = 0;
    let mut in_word = false;
    let mut start = 0;
    let flush = |job: &mut LayoutJob, s: &str, color: Color32, underline: bool| {
        let mut format = TextFormat::simple(font.clone(), color);
        if underline {
            format.underline = egui::Stroke::new(1.5, color);
        }
        job.append(s, 0.0, format);
    };
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if !space && !in_word {
            if i > start {
                flush(&mut job, &text[start..i], normal, false);
            }
            start = i;
            in_word = true;
            field += 1;
        } else if space && in_word {
            let bad = wrong == Some(field);
            flush(
                &mut job,
                &text[start..i],
                if bad { error } else { normal },
                bad,
            );
            start = i;
            in_word = false;
        }
    }
    if start < text.len() {
        let bad = in_word && wrong == Some(field);
        flush(
            &mut job,
            &text[start..],
            if bad { error } else { normal },
            bad,
        );
    }
    job
}

/// The strip under the editor: each field's value and name, the wrong one marked.
pub fn fields_ui(ui: &mut Ui, cron: &str, wrong: Option<usize>) {
    let words: Vec<&str> = cron.split_whitespace().collect();
    let names = layout(words.len());
    if names.is_empty() || cron.trim_start().starts_with('@') {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for (i, (word, field)) in words.iter().zip(names).enumerate() {
            let bad = wrong == Some(i + 1);
            let tone = if bad { Tone::Error } else { Tone::Neutral };
            let frame = egui::Frame::new()
                .fill(if bad {
                    theme::tint(ui.visuals(), Tone::Error)
                } else {
                    ui.visuals().faint_bg_color
                })
                .stroke(egui::Stroke::new(
                    1.0,
                    if bad {
                        theme::color(ui.visuals(), Tone::Error)
                    } else {
                        ui.visuals().widgets.noninteractive.bg_stroke.color
                    },
                ))
                .corner_radius(4)
                .inner_margin(egui::Margin::symmetric(6, 2));
            frame.show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.label(RichText::new(*word).monospace().strong());
                    ui.label(widgets::toned(ui, tone, field.label()).small());
                });
            });
        }
    });
}
