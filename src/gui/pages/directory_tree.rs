//! The manager hierarchy as a collapsible tree: people without a manager at the top, each
//! with a count of direct and all reports. Only visible rows are laid out, so a tree of
//! 100,000 people scrolls as smoothly as a small one.

use std::collections::HashSet;

use egui::{RichText, Ui};

use super::directory_data::{self, DirectoryData};
use crate::gui::widgets;

const ROW_HEIGHT: f32 = 24.0;

#[derive(Default)]
pub struct TreeState {
    expanded: HashSet<usize>,
    /// (user, depth) of every visible row; rebuilt when something opens or closes.
    rows: Vec<(usize, usize)>,
    dirty: bool,
    scroll_to: Option<usize>,
}

impl TreeState {
    pub fn reset(&mut self) {
        self.expanded.clear();
        self.rows.clear();
        self.dirty = true;
        self.scroll_to = None;
    }

    /// Opens the path down to `user` and scrolls to it.
    pub fn reveal(&mut self, data: &DirectoryData, user: usize) {
        for m in data.ancestors(user) {
            self.expanded.insert(m);
        }
        self.dirty = true;
        self.scroll_to = Some(user);
    }

    pub fn visible_rows(&self) -> usize {
        self.rows.len()
    }

    fn rebuild(&mut self, data: &DirectoryData) {
        self.rows.clear();
        let mut stack: Vec<(usize, usize)> = data.roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            self.rows.push((i, depth));
            if self.expanded.contains(&i) {
                stack.extend(data.children[i].iter().rev().map(|&c| (c, depth + 1)));
            }
        }
        self.dirty = false;
    }

    /// Returns a user whose name was clicked.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        data: &DirectoryData,
        selected: Option<usize>,
    ) -> Option<usize> {
        if self.dirty || (self.rows.is_empty() && !data.roots.is_empty()) {
            self.rebuild(data);
        }
        let mut clicked = None;
        let mut toggled = None;
        let mut scroll = egui::ScrollArea::vertical()
            .id_salt("directory_tree")
            .auto_shrink(false);
        if let Some(target) = self.scroll_to.take()
            && let Some(pos) = self.rows.iter().position(|(i, _)| *i == target)
        {
            let offset = (pos as f32 * (ROW_HEIGHT + ui.spacing().item_spacing.y) - 120.0).max(0.0);
            scroll = scroll.vertical_scroll_offset(offset);
        }
        scroll.show_rows(ui, ROW_HEIGHT, self.rows.len(), |ui, range| {
            for &(i, depth) in &self.rows[range] {
                let user = &data.users[i];
                ui.horizontal(|ui| {
                    ui.set_height(ROW_HEIGHT);
                    ui.add_space(depth as f32 * 20.0);
                    let name = directory_data::name(user);
                    let direct = data.children[i].len();
                    if direct > 0 {
                        let open = self.expanded.contains(&i);
                        let verb = if open { "Collapse" } else { "Expand" };
                        if widgets::disclosure(ui, open, &format!("{verb} {name}"))
                            .on_hover_text(format!("{verb} the reports of {name}"))
                            .clicked()
                        {
                            toggled = Some(i);
                        }
                    } else {
                        ui.add_space(ui.spacing().icon_width + 4.0 + ui.spacing().item_spacing.x);
                    }
                    let text = if selected == Some(i) {
                        RichText::new(name).strong().underline()
                    } else {
                        RichText::new(name).strong()
                    };
                    if ui
                        .add(egui::Button::new(text).frame(false))
                        .on_hover_text("Show this person's details")
                        .clicked()
                    {
                        clicked = Some(i);
                    }
                    let a = &user.attributes;
                    let role = match (a.job_title.as_deref(), a.department.as_deref()) {
                        (Some(t), Some(d)) if !t.contains(d) => format!("{t} · {d}"),
                        (Some(t), _) => t.to_string(),
                        (None, Some(d)) => d.to_string(),
                        (None, None) => String::new(),
                    };
                    if !role.is_empty() {
                        ui.label(RichText::new(role).color(ui.visuals().weak_text_color()));
                    }
                    if direct > 0 {
                        ui.label(
                            RichText::new(format!(
                                "{} direct · {} all",
                                widgets::count(direct as u64),
                                widgets::count(u64::from(data.all_reports[i]))
                            ))
                            .color(ui.visuals().weak_text_color()),
                        );
                    }
                    if !directory_data::enabled(user) {
                        ui.label(RichText::new("disabled").color(ui.visuals().warn_fg_color));
                    }
                });
            }
        });
        if let Some(i) = toggled {
            if !self.expanded.remove(&i) {
                self.expanded.insert(i);
            }
            self.dirty = true;
            ui.ctx().request_repaint();
        }
        clicked
    }
}
