//! One person of the directory: attributes, manager (a link), report counts, and "Show
//! in hierarchy".

use egui::{RichText, Ui};

use super::directory_data::{self, DirectoryData};
use crate::gui::widgets;

/// What the admin did in the details pane.
pub enum PersonAction {
    None,
    Close,
    /// Show this person (the manager) instead.
    Select(usize),
    /// Open the tree down to this person.
    Reveal,
}

pub fn ui(ui: &mut Ui, data: &DirectoryData, i: usize) -> PersonAction {
    let mut action = PersonAction::None;
    let u = &data.users[i];
    let a = &u.attributes;
    ui.horizontal(|ui| {
        ui.label(RichText::new(directory_data::name(u)).size(17.0).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .small_button("Close")
                .on_hover_text("Close the details")
                .clicked()
            {
                action = PersonAction::Close;
            }
        });
    });
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut facts = vec![
        ("Job title", opt(&a.job_title)),
        ("Department", opt(&a.department)),
        ("UPN", opt(&a.user_principal_name)),
        ("Mail", opt(&a.mail)),
        ("Office", opt(&a.office_location)),
        ("Company", opt(&a.company_name)),
        ("Employee id", opt(&a.employee_id)),
        ("City", opt(&a.city)),
        ("Country", opt(&a.country)),
        ("User type", opt(&a.user_type)),
        (
            "Account",
            if directory_data::enabled(u) {
                "enabled"
            } else {
                "disabled"
            }
            .into(),
        ),
        ("Object id", u.id.clone()),
    ];
    if let Some(sso) = &u.sso {
        facts.push(("SSO login", sso.login.clone()));
        facts.push(("SSO issuer", sso.issuer.clone()));
    }
    facts.retain(|(_, v)| !v.is_empty());
    egui::ScrollArea::vertical()
        .id_salt("person_scroll")
        .show(ui, |ui| {
            widgets::facts(ui, "person_facts", &facts);
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new("Manager").color(ui.visuals().weak_text_color()));
                match data.manager[i] {
                    Some(m) => {
                        if ui.link(directory_data::name(&data.users[m])).clicked() {
                            action = PersonAction::Select(m);
                        }
                    }
                    None => {
                        ui.label("none (at the top of the hierarchy)");
                    }
                }
            });
            ui.label(format!(
                "{} direct reports · {} in all",
                widgets::count(data.children[i].len() as u64),
                widgets::count(u64::from(data.all_reports[i]))
            ));
            ui.add_space(6.0);
            if ui
                .button("Show in hierarchy")
                .on_hover_text("Open the tree down to this person")
                .clicked()
            {
                action = PersonAction::Reveal;
            }
        });
    action
}
