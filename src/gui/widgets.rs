//! Small building blocks shared by the pages: labelled form rows (AccessKit names and
//! tooltips on every field), banners, status dots, copy buttons, and number / time
//! formatting.

use chrono::{DateTime, Local, Utc};
use egui::{Response, RichText, Sense, Ui, Vec2};

use super::theme::{self, Tone};

/// Width of the label column of forms.
pub const LABEL_WIDTH: f32 = 140.0;

/// A form row: the label (with the tooltip) in a fixed-width column, level with the first
/// line of `add`'s content. Rows are plain horizontal layouts, not a `Grid`: a message
/// appearing under a field never re-lays out the form (which would drop keyboard focus).
pub fn row<R>(
    ui: &mut Ui,
    label: &str,
    tooltip: &str,
    add: impl FnOnce(&mut Ui, &Response) -> R,
) -> R {
    let inner = ui
        .horizontal_top(|ui| {
            let height = ui.spacing().interact_size.y;
            let label_response = ui
                .allocate_ui_with_layout(
                    egui::vec2(LABEL_WIDTH, height),
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| {
                        ui.set_min_size(egui::vec2(LABEL_WIDTH, height));
                        ui.label(label)
                    },
                )
                .inner
                .on_hover_text(tooltip)
                .on_hover_cursor(egui::CursorIcon::Help);
            ui.vertical(|ui| add(ui, &label_response)).inner
        })
        .inner;
    ui.add_space(4.0);
    inner
}

/// A form row with one widget, named by the label for AccessKit and carrying the same
/// tooltip, and its inline message (error, warning or note) under it.
pub fn form_row(
    ui: &mut Ui,
    label: &str,
    tooltip: &str,
    message: Option<(Tone, &str)>,
    add: impl FnOnce(&mut Ui) -> Response,
) -> Response {
    row(ui, label, tooltip, |ui, label_response| {
        let response = add(ui)
            .labelled_by(label_response.id)
            .on_hover_text(tooltip);
        if let Some((tone, text)) = message {
            ui.scope(|ui| {
                ui.set_max_width(460.0);
                inline_message(ui, tone, text);
            });
        }
        response
    })
}

/// A short message under a field (an error, a warning or a note).
pub fn inline_message(ui: &mut Ui, tone: Tone, text: &str) {
    let color = theme::color(ui.visuals(), tone);
    ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
}

/// A framed, tinted box with a message; returns what `add` returns.
pub fn banner<R>(ui: &mut Ui, tone: Tone, add: impl FnOnce(&mut Ui) -> R) -> R {
    let stroke = egui::Stroke::new(1.0, theme::color(ui.visuals(), tone));
    egui::Frame::new()
        .fill(theme::tint(ui.visuals(), tone))
        .stroke(stroke)
        .corner_radius(6)
        .inner_margin(egui::Margin::symmetric(12, 8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui)
        })
        .inner
}

/// A banner holding one line of text.
pub fn banner_text(ui: &mut Ui, tone: Tone, text: &str) {
    banner(ui, tone, |ui| {
        ui.horizontal(|ui| {
            status_dot(ui, tone);
            ui.add(egui::Label::new(text).wrap());
        });
    });
}

/// A small filled circle in the tone's colour (painted, so no font glyph is needed).
pub fn status_dot(ui: &mut Ui, tone: Tone) -> Response {
    let size = Vec2::splat(ui.text_style_height(&egui::TextStyle::Body));
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    ui.painter().circle_filled(
        rect.center(),
        size.x * 0.3,
        theme::color(ui.visuals(), tone),
    );
    response
}

/// A status word with its dot.
pub fn status_chip(ui: &mut Ui, tone: Tone, text: &str) -> Response {
    ui.horizontal(|ui| {
        status_dot(ui, tone);
        ui.label(RichText::new(text).color(theme::color(ui.visuals(), tone)))
    })
    .inner
}

/// "Copy" next to a value; named "Copy {what}" for AccessKit.
pub fn copy_button(ui: &mut Ui, what: &str, value: &str) -> Response {
    let response = ui
        .small_button("Copy")
        .accessible_name(format!("Copy {what}"))
        .on_hover_text(format!("Copy the {what} to the clipboard"));
    if response.clicked() {
        ui.ctx().copy_text(value.to_string());
    }
    response
}

/// The page title with a one-line explanation under it.
pub fn page_header(ui: &mut Ui, title: &str, subtitle: &str) {
    ui.add_space(4.0);
    ui.label(RichText::new(title).size(22.0).strong());
    ui.label(RichText::new(subtitle).color(ui.visuals().weak_text_color()));
    ui.add_space(6.0);
}

/// A bold section title.
pub fn section(ui: &mut Ui, title: &str) {
    ui.add_space(8.0);
    ui.label(RichText::new(title).size(16.0).strong());
    ui.add_space(2.0);
}

/// A grey note.
pub fn note(ui: &mut Ui, text: &str) {
    ui.add(egui::Label::new(RichText::new(text).color(ui.visuals().weak_text_color())).wrap());
}

/// A text of the given tone.
pub fn toned(ui: &Ui, tone: Tone, text: impl Into<String>) -> RichText {
    RichText::new(text).color(theme::color(ui.visuals(), tone))
}

/// A grid of "label: value" lines.
pub fn facts(ui: &mut Ui, id: &str, rows: &[(&str, String)]) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for (label, value) in rows {
                ui.label(RichText::new(*label).color(ui.visuals().weak_text_color()));
                ui.label(value.as_str());
                ui.end_row();
            }
        });
}

/// `12345` → `12,345`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `83_500` ms → `1 min 24 s`; `1_200` → `1.2 s`.
pub fn duration_ms(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{} h {} min", ms / 3_600_000, (ms % 3_600_000) / 60_000)
    }
}

/// A time in the machine's time zone, e.g. `2026-12-03 14:05:09`.
pub fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A short local time for lists, e.g. `12-03 14:05`.
pub fn short_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%m-%d %H:%M").to_string()
}

/// "3 min ago" / "in 2 h" relative to `now`.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let (future, secs) = (secs > 0, secs.unsigned_abs());
    let amount = if secs < 60 {
        return if future {
            "in under a minute"
        } else {
            "just now"
        }
        .to_string();
    } else if secs < 3600 {
        format!("{} min", secs / 60)
    } else if secs < 86_400 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} days", secs / 86_400)
    };
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// A small painted disclosure triangle button (no font glyph needed), named for
/// AccessKit as `name`.
pub fn disclosure(ui: &mut Ui, open: bool, name: &str) -> Response {
    let size = Vec2::splat(ui.spacing().icon_width + 4.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, name));
    let visuals = ui.style().interact(&response);
    let r = rect.shrink(5.0);
    let points = if open {
        vec![r.left_top(), r.right_top(), r.center_bottom()]
    } else {
        vec![r.left_top(), r.right_center(), r.left_bottom()]
    };
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        visuals.fg_stroke.color,
        egui::Stroke::NONE,
    ));
    response
}

/// A job's eight counts as a grid: labels above, numbers (`size` points) below.
pub fn counts_grid(ui: &mut Ui, id: impl egui::AsIdSalt, c: &crate::model::JobCounts, size: f32) {
    let cells = [
        ("Added", c.added),
        ("Updated", c.updated),
        ("Disabled", c.disabled),
        ("Re-enabled", c.enabled),
        ("Deleted", c.deleted),
        ("Restored", c.restored),
        ("Manager changes", c.manager_changed),
        ("Unchanged", c.unchanged),
    ];
    egui::Grid::new(id)
        .num_columns(cells.len())
        .spacing([20.0, 2.0])
        .show(ui, |ui| {
            for (label, _) in cells {
                ui.label(RichText::new(label).color(ui.visuals().weak_text_color()));
            }
            ui.end_row();
            for (label, n) in cells {
                let _ = ui
                    .label(RichText::new(count(n)).size(size).strong())
                    .on_hover_text(format!("{label}: {n}"));
            }
            ui.end_row();
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_durations() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(duration_ms(450), "450 ms");
        assert_eq!(duration_ms(1200), "1.2 s");
        assert_eq!(duration_ms(83_500), "1 min 23 s");
    }
}
