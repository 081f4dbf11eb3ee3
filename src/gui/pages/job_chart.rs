//! A small chart of recent jobs: bars for the duration, dots for the number of changed
//! users, oldest on the left. Hover shows the job; a click selects it.

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Ui, vec2};

use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::model::{JobId, JobSummary};

/// Jobs shown in the chart.
const RECENT: usize = 40;

fn changes(j: &JobSummary) -> u64 {
    let c = &j.counts;
    c.added + c.updated + c.disabled + c.enabled + c.deleted + c.restored + c.manager_changed
}

fn duration_ms(j: &JobSummary) -> u64 {
    j.duration()
        .map(|d| d.num_milliseconds().max(0) as u64)
        .unwrap_or(0)
}

/// Draws the chart of the newest jobs in `jobs` (newest first); returns a clicked job.
pub fn ui(ui: &mut Ui, jobs: &[JobSummary], selected: Option<JobId>) -> Option<JobId> {
    let recent: Vec<&JobSummary> = jobs.iter().take(RECENT).rev().collect();
    if recent.is_empty() {
        return None;
    }
    let max_ms = recent
        .iter()
        .map(|j| duration_ms(j))
        .max()
        .unwrap_or(0)
        .max(1);
    let max_changes = recent.iter().map(|j| changes(j)).max().unwrap_or(0).max(1);
    let bar_color = theme::color(ui.visuals(), Tone::Info);
    let dot_color = theme::color(ui.visuals(), Tone::Warn);
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Recent jobs ({})", recent.len())).strong());
        legend(
            ui,
            bar_color,
            &format!("duration (max {})", widgets::duration_ms(max_ms)),
        );
        legend(
            ui,
            dot_color,
            &format!("changed users (max {})", widgets::count(max_changes)),
        );
    });
    let width = ui
        .available_width()
        .min(760.0)
        .min(80.0 + 28.0 * recent.len() as f32);
    let (rect, response) = ui.allocate_exact_size(vec2(width, 90.0), Sense::click());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Image,
            true,
            "Chart of recent jobs: duration and changed users",
        )
    });
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    let inner = rect.shrink2(vec2(6.0, 8.0));
    let slot = inner.width() / recent.len() as f32;
    let mut hovered = None;
    let mut clicked = None;
    let pointer = response.hover_pos();
    let mut dots: Vec<Pos2> = Vec::with_capacity(recent.len());
    for (i, job) in recent.iter().enumerate() {
        let x0 = inner.left() + slot * i as f32;
        let column = Rect::from_min_max(
            Pos2::new(x0, inner.top()),
            Pos2::new(x0 + slot, inner.bottom()),
        );
        let h = inner.height() * duration_ms(job) as f32 / max_ms as f32;
        let half = (slot * 0.3).min(9.0);
        let bar = Rect::from_min_max(
            Pos2::new(column.center().x - half, inner.bottom() - h.max(1.0)),
            Pos2::new(column.center().x + half, inner.bottom()),
        );
        let is_hovered = pointer.is_some_and(|p| column.contains(p));
        let mut color = bar_color.gamma_multiply(if is_hovered { 1.0 } else { 0.7 });
        if selected == Some(job.id) {
            color = bar_color;
            painter.rect_stroke(
                column.shrink(1.0),
                2.0,
                Stroke::new(1.5, ui.visuals().strong_text_color()),
                egui::StrokeKind::Inside,
            );
        }
        painter.rect_filled(bar, 2.0, color);
        if job.status != crate::model::JobStatus::Succeeded {
            let tone = theme::job_tone(job.status);
            painter.circle_filled(
                Pos2::new(column.center().x, inner.bottom() + 3.0),
                2.0,
                theme::color(ui.visuals(), tone),
            );
        }
        let y = inner.bottom() - inner.height() * changes(job) as f32 / max_changes as f32;
        dots.push(Pos2::new(column.center().x, y));
        if is_hovered {
            hovered = Some(*job);
            if response.clicked() {
                clicked = Some(job.id);
            }
        }
    }
    if dots.len() > 1 {
        painter.line(
            dots.clone(),
            Stroke::new(1.0, dot_color.gamma_multiply(0.6)),
        );
    }
    for p in dots {
        painter.circle_filled(p, 2.5, dot_color);
    }
    if let Some(job) = hovered {
        let _ = response.on_hover_ui_at_pointer(|ui| {
            ui.label(RichText::new(format!("Job {} · {}", job.id, job.client_name)).strong());
            ui.label(widgets::local_time(job.started_at));
            ui.label(format!(
                "{} · {} · {} changed users",
                theme::job_status_text(job.status),
                widgets::duration_ms(duration_ms(job)),
                widgets::count(changes(job))
            ));
            ui.label("Click to show this job");
        });
    }
    clicked
}

fn legend(ui: &mut Ui, color: Color32, text: &str) {
    let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
    ui.label(
        RichText::new(text)
            .small()
            .color(ui.visuals().weak_text_color()),
    );
}
