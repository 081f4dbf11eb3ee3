//! Directory: per client, a searchable, sortable user table (virtualised rows) and the
//! manager hierarchy as a collapsible tree; a details pane for one person; export.

use std::path::PathBuf;
use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use poll_promise::Promise;

use super::directory_data::{self, DirectoryData, SortColumn, ViewSpec};
use super::directory_person::{self, PersonAction};
use super::directory_tree::TreeState;
use crate::export::{self, Format};
use crate::gui::command::{Command, Commands};
use crate::gui::data::Shared;
use crate::gui::tasks::{Outcome, Tasks, take_ready};
use crate::gui::theme::Tone;
use crate::gui::{SaveDialog, save, widgets};
use crate::model::ClientKey;
use crate::store::Which;

const ROW_HEIGHT: f32 = 26.0;

#[derive(Debug)]
pub enum Action {
    Select(ClientKey),
    /// The search text or the sort order changed.
    Refilter,
    Export(Format),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Users,
    Hierarchy,
}

pub struct DirectoryPage {
    save_dialog: SaveDialog,
    client: Option<ClientKey>,
    tab: Tab,
    data: Option<Arc<DirectoryData>>,
    data_version: u64,
    load: Option<Promise<Outcome<DirectoryData>>>,
    load_error: Option<String>,
    spec: ViewSpec,
    rows: Arc<Vec<usize>>,
    rows_spec: Option<ViewSpec>,
    view_job: Option<Promise<(ViewSpec, Vec<usize>)>>,
    selected: Option<usize>,
    tree: TreeState,
    export: Option<Promise<Outcome<Option<PathBuf>>>>,
    export_result: Option<(Tone, String)>,
}

impl DirectoryPage {
    pub fn new(save_dialog: SaveDialog) -> Self {
        Self {
            save_dialog,
            client: None,
            tab: Tab::Users,
            data: None,
            data_version: 0,
            load: None,
            load_error: None,
            spec: ViewSpec::default(),
            rows: Arc::new(Vec::new()),
            rows_spec: None,
            view_job: None,
            selected: None,
            tree: TreeState::default(),
            export: None,
            export_result: None,
        }
    }

    pub fn is_busy(&self) -> bool {
        self.load.is_some() || self.view_job.is_some() || self.export.is_some()
    }

    /// The loaded directory (tests).
    pub fn data(&self) -> Option<&DirectoryData> {
        self.data.as_deref()
    }

    /// The table's rows as shown (tests).
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    pub fn tree_rows(&self) -> usize {
        self.tree.visible_rows()
    }

    pub fn logic(&mut self, shared: &mut Shared, tasks: &Tasks, visible: bool) {
        if self.client.is_none_or(|k| shared.client(k).is_none()) && shared.clients_loaded {
            let first = shared.clients.first().map(|c| c.key);
            if first != self.client {
                self.client = first;
                self.data_version = 0;
            }
        }
        if let Some(result) = take_ready(&mut self.load) {
            match result {
                Ok(data) => {
                    let same_client = self.data.as_ref().is_some_and(|d| d.client == data.client);
                    if !same_client {
                        self.selected = None;
                        self.tree.reset();
                    } else {
                        self.tree.reset();
                        self.selected = None;
                    }
                    self.data = Some(Arc::new(data));
                    self.load_error = None;
                    self.rows_spec = None;
                }
                Err(e) => self.load_error = Some(e),
            }
        }
        if let Some((spec, rows)) = take_ready(&mut self.view_job) {
            self.rows = Arc::new(rows);
            self.rows_spec = Some(spec);
        }
        if let Some(result) = take_ready(&mut self.export) {
            self.export_result = save::result_message(result);
        }
        if visible
            && let Some(client) = self.client
            && self.data_version != shared.data_version
            && self.load.is_none()
        {
            self.data_version = shared.data_version;
            self.load = Some(tasks.with_store(move |store, _, _| {
                let users = store
                    .directory_users(client, Which::Active)
                    .map_err(|e| format!("cannot read the directory: {e}"))?;
                Ok(DirectoryData::build(client, users))
            }));
        }
        if self.view_job.is_none()
            && let Some(data) = &self.data
            && self.rows_spec.as_ref() != Some(&self.spec)
        {
            let data = data.clone();
            let spec = self.spec.clone();
            self.view_job = Some(tasks.blocking(move || {
                let rows = data.view(&spec);
                (spec, rows)
            }));
        }
    }

    pub fn run(&mut self, action: Action, tasks: &Tasks) {
        match action {
            Action::Select(client) => {
                if self.client != Some(client) {
                    self.client = Some(client);
                    self.data = None;
                    self.rows = Arc::new(Vec::new());
                    self.rows_spec = None;
                    self.data_version = 0;
                    self.selected = None;
                    self.tree.reset();
                }
            }
            // Picked up by `logic` (which starts the background filter) next frame.
            Action::Refilter => tasks.ctx().request_repaint(),
            Action::Export(format) => {
                let Some(data) = self.data.clone() else {
                    return;
                };
                self.export_result = None;
                let name = format!("usersync-directory.{}", format.extension());
                self.export = Some(save::export(
                    tasks,
                    &self.save_dialog,
                    "Export the directory",
                    name,
                    format,
                    move || match format {
                        Format::Csv => Ok(export::users_csv(&data.users).into_bytes()),
                        Format::Json => export::users_json(&data.users)
                            .map(String::into_bytes)
                            .map_err(|e| e.to_string()),
                    },
                ));
            }
        }
    }

    pub fn ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        widgets::page_header(
            ui,
            "Directory",
            "What the last sync stored: the users and who they report to.",
        );
        if shared.clients_loaded && shared.clients.is_empty() {
            widgets::note(
                ui,
                "No clients yet: add one on the Clients page, then sync it.",
            );
            return;
        }
        self.toolbar_ui(ui, shared, commands);
        if let Some(e) = &self.load_error {
            widgets::banner_text(ui, Tone::Error, e);
        }
        let Some(data) = self.data.clone() else {
            if self.load.is_some() {
                let _ = ui.spinner();
            }
            return;
        };
        if data.users.is_empty() {
            widgets::note(
                ui,
                "This client has no synced users yet: sync it on the Sync Now page.",
            );
            return;
        }
        if let Some(i) = self.selected
            && i < data.users.len()
        {
            egui::Panel::right("directory_person")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| match directory_person::ui(ui, &data, i) {
                    PersonAction::None => {}
                    PersonAction::Close => self.selected = None,
                    PersonAction::Select(m) => self.selected = Some(m),
                    PersonAction::Reveal => {
                        self.tree.reveal(&data, i);
                        self.tab = Tab::Hierarchy;
                    }
                });
        }
        match self.tab {
            Tab::Users => self.table_ui(ui, &data, commands),
            Tab::Hierarchy => {
                if let Some(i) = self.tree.ui(ui, &data, self.selected) {
                    self.selected = Some(i);
                }
            }
        }
    }

    fn toolbar_ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        ui.horizontal(|ui| {
            let label = ui.label("Client");
            let current = self
                .client
                .and_then(|k| shared.client(k))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "Choose a client".into());
            let r = egui::ComboBox::from_id_salt("directory_client")
                .selected_text(current)
                .width(240.0)
                .show_ui(ui, |ui| {
                    for c in &shared.clients {
                        if ui
                            .selectable_label(self.client == Some(c.key), &c.name)
                            .clicked()
                        {
                            commands.push(Command::Directory(Action::Select(c.key)));
                        }
                    }
                })
                .response;
            let _ = r
                .labelled_by(label.id)
                .on_hover_text("Whose directory to show");
            ui.add_space(8.0);
            for (tab, text, tip) in [
                (
                    Tab::Users,
                    "Users",
                    "A searchable, sortable table of everyone",
                ),
                (
                    Tab::Hierarchy,
                    "Hierarchy",
                    "Who reports to whom, from the top",
                ),
            ] {
                if ui
                    .selectable_label(self.tab == tab, text)
                    .on_hover_text(tip)
                    .clicked()
                {
                    self.tab = tab;
                }
            }
            ui.add_space(8.0);
            let busy = self.export.is_some() || self.data.is_none();
            for format in [Format::Csv, Format::Json] {
                if ui
                    .add_enabled(
                        !busy,
                        egui::Button::new(format!("Export {}", format.label())),
                    )
                    .on_hover_text(format!(
                        "Save this client's users as {} (Graph property names plus managerId)",
                        format.label()
                    ))
                    .clicked()
                {
                    commands.push(Command::Directory(Action::Export(format)));
                }
            }
            if self.load.is_some() || self.view_job.is_some() || self.export.is_some() {
                let _ = ui.spinner();
            }
        });
        if let Some((tone, text)) = &self.export_result {
            ui.label(widgets::toned(ui, *tone, text.clone()));
        }
        if self.tab == Tab::Users {
            ui.horizontal(|ui| {
                let r = ui.add(
                    egui::TextEdit::singleline(&mut self.spec.query)
                        .hint_text("Search name, email, title, department, office, employee id")
                        .desired_width(420.0),
                );
                let r = r
                    .accessible_name("Search users")
                    .on_hover_text("Every word must appear; case does not matter");
                if r.changed() {
                    commands.push(Command::Directory(Action::Refilter));
                }
                if let Some(data) = &self.data {
                    ui.label(format!(
                        "{} of {} users",
                        widgets::count(self.rows.len() as u64),
                        widgets::count(data.users.len() as u64)
                    ));
                }
            });
        } else if let Some(data) = &self.data {
            ui.label(format!(
                "{} people at the top (no manager) · {} users",
                widgets::count(data.roots.len() as u64),
                widgets::count(data.users.len() as u64)
            ));
        }
        ui.add_space(4.0);
    }

    fn table_ui(&mut self, ui: &mut Ui, data: &DirectoryData, commands: &mut Commands) {
        let rows = self.rows.clone();
        let mut sort_by = None;
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("directory_table")
            .striped(true)
            .resizable(true)
            .auto_shrink(false)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(200.0).at_least(100.0).clip(true))
            .column(Column::initial(240.0).at_least(100.0).clip(true))
            .column(Column::initial(170.0).at_least(80.0).clip(true))
            .column(Column::initial(130.0).at_least(80.0).clip(true))
            .column(Column::initial(160.0).at_least(80.0).clip(true))
            .column(Column::remainder().at_least(70.0))
            .header(24.0, |mut header| {
                for column in SortColumn::ALL {
                    header.col(|ui| {
                        let mut text = RichText::new(column.label()).strong();
                        if self.spec.sort == column {
                            text = RichText::new(format!(
                                "{} ({})",
                                column.label(),
                                if self.spec.ascending {
                                    "A–Z"
                                } else {
                                    "Z–A"
                                }
                            ))
                            .strong();
                        }
                        if ui
                            .add(egui::Button::new(text).frame(false))
                            .accessible_name(format!("Sort by {}", column.label()))
                            .on_hover_text("Sort by this column; click again to reverse")
                            .clicked()
                        {
                            sort_by = Some(column);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                    let Some(&i) = rows.get(row.index()) else {
                        return;
                    };
                    let u = &data.users[i];
                    let a = &u.attributes;
                    row.set_selected(self.selected == Some(i));
                    row.col(|ui| {
                        if ui
                            .add(
                                egui::Button::new(directory_data::name(u))
                                    .frame(false)
                                    .truncate(),
                            )
                            .on_hover_text("Show this person's details")
                            .clicked()
                        {
                            clicked = Some(i);
                        }
                    });
                    row.col(|ui| {
                        let _ = ui.add(egui::Label::new(directory_data::email(u)).truncate());
                    });
                    row.col(|ui| {
                        let _ = ui
                            .add(egui::Label::new(a.job_title.as_deref().unwrap_or("")).truncate());
                    });
                    row.col(|ui| {
                        let _ = ui.add(
                            egui::Label::new(a.department.as_deref().unwrap_or("")).truncate(),
                        );
                    });
                    row.col(|ui| {
                        let _ = ui.add(egui::Label::new(data.manager_name(i)).truncate());
                    });
                    row.col(|ui| {
                        if directory_data::enabled(u) {
                            ui.label("enabled");
                        } else {
                            ui.label(RichText::new("disabled").color(ui.visuals().warn_fg_color));
                        }
                    });
                });
            });
        if let Some(column) = sort_by {
            if self.spec.sort == column {
                self.spec.ascending = !self.spec.ascending;
            } else {
                self.spec.sort = column;
                self.spec.ascending = true;
            }
            commands.push(Command::Directory(Action::Refilter));
        }
        if clicked.is_some() {
            self.selected = clicked;
        }
    }
}
