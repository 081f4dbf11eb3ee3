//! Clients: "Load Saved Info", the form, Save / Validate & Save (each validation step
//! with a spinner, then ok or the actionable message), Delete with confirmation.

use egui::{RichText, Ui};
use poll_promise::Promise;

use super::client_form::{CloudChoice, FormState};
use super::client_validation::{self, SaveResult};
use crate::client_service::{self, SaveTarget};
use crate::graph::ValidationReport;
use crate::graph::validate::{STEP_OPENID, STEP_READ_USERS, STEP_SIGN_IN, STEP_TENANT_NAME};
use crate::gui::command::{Command, Commands};
use crate::gui::data::Shared;
use crate::gui::demo::{DEMO_CLIENT_NAME, DemoCredentials};
use crate::gui::tasks::{Outcome, Tasks, take_ready};
use crate::gui::theme::Tone;
use crate::gui::widgets;
use crate::model::{Client, ClientKey};

#[derive(Debug)]
pub enum Action {
    /// Fill the form from a saved client, or clear it for a new one.
    Load(Option<ClientKey>),
    Save {
        validate: bool,
    },
    Delete(ClientKey),
}

/// The result shown under the buttons.
enum Banner {
    Ok(String),
    Error(String),
}

pub struct ClientsPage {
    form: FormState,
    save: Option<Promise<SaveResult>>,
    /// The steps being validated (shown with spinners while `save` runs).
    validating: Vec<&'static str>,
    report: Option<ValidationReport>,
    banner: Option<Banner>,
    confirm_delete: Option<(ClientKey, String)>,
    delete: Option<Promise<Outcome<Client>>>,
    secret_check: Option<Promise<Outcome<bool>>>,
}

impl Default for ClientsPage {
    fn default() -> Self {
        Self {
            form: FormState::new_client(),
            save: None,
            validating: Vec::new(),
            report: None,
            banner: None,
            confirm_delete: None,
            delete: None,
            secret_check: None,
        }
    }
}

impl ClientsPage {
    pub fn is_busy(&self) -> bool {
        self.save.is_some() || self.delete.is_some() || self.secret_check.is_some()
    }

    /// The form as typed (tests).
    pub fn form(&self) -> &FormState {
        &self.form
    }

    pub fn logic(&mut self, shared: &mut Shared, _tasks: &Tasks) {
        if let Some(result) = take_ready(&mut self.save) {
            self.validating.clear();
            match result {
                SaveResult::Saved { outcome, report } => {
                    let secret_note = if outcome.secret_stored {
                        format!("its secret is in the {}", outcome.secret_store)
                    } else {
                        "the stored secret was kept".to_string()
                    };
                    let text = format!("Saved client \"{}\"; {secret_note}.", outcome.client.name);
                    shared.notify(text.clone());
                    self.banner = Some(Banner::Ok(text));
                    self.report = report;
                    self.form = FormState::from_client(&outcome.client);
                    self.form.secret_stored = Some(true);
                    shared.reload_clients = true;
                }
                SaveResult::ValidationFailed(report) => {
                    self.banner = Some(Banner::Error(format!(
                        "{} Nothing was saved.",
                        report.summary()
                    )));
                    self.report = Some(report);
                }
                SaveResult::Failed(e) => {
                    self.banner = Some(Banner::Error(format!("Not saved: {e}")));
                }
            }
        }
        if let Some(result) = take_ready(&mut self.delete) {
            match result {
                Ok(client) => {
                    let text = format!(
                        "Deleted client \"{}\" with its secret, directory and schedules; its \
                         job history stays.",
                        client.name
                    );
                    shared.notify(text.clone());
                    self.banner = Some(Banner::Ok(text));
                    self.form = FormState::new_client();
                    self.report = None;
                    shared.reload_clients = true;
                    shared.data_version += 1;
                }
                Err(e) => self.banner = Some(Banner::Error(format!("Not deleted: {e}"))),
            }
        }
        if let Some(result) = take_ready(&mut self.secret_check) {
            self.form.secret_stored = result.ok();
        }
    }

    /// Fills the form with the running demo tenant's credentials (editing the saved demo
    /// client if there is one, so a restarted demo tenant keeps working).
    pub fn fill_demo(&mut self, creds: &DemoCredentials, shared: &Shared, tasks: &Tasks) {
        let existing = shared
            .clients
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(DEMO_CLIENT_NAME));
        self.form = match existing {
            Some(c) => {
                self.check_secret(c.key, tasks);
                FormState::from_client(c)
            }
            None => {
                let mut form = FormState::new_client();
                form.name = DEMO_CLIENT_NAME.to_string();
                form
            }
        };
        self.form.tenant_id = creds.tenant_id.clone();
        self.form.client_id = creds.client_id.clone();
        self.form.secret = creds.secret.clone();
        self.form.cloud = CloudChoice::Custom;
        self.form.authority_url = creds.url.clone();
        self.form.graph_url = creds.url.clone();
        self.banner = None;
        self.report = None;
    }

    fn check_secret(&mut self, key: ClientKey, tasks: &Tasks) {
        self.secret_check = Some(tasks.with_store(move |store, dir, backend| {
            client_service::secrets_for(store, backend, dir, key)
                .and_then(|s| s.contains(key))
                .map_err(|e| e.to_string())
        }));
    }

    pub fn run(&mut self, action: Action, shared: &mut Shared, tasks: &Tasks, _: &mut Commands) {
        match action {
            Action::Load(None) => {
                self.form = FormState::new_client();
                self.banner = None;
                self.report = None;
            }
            Action::Load(Some(key)) => {
                if let Some(client) = shared.client(key) {
                    self.form = FormState::from_client(client);
                    self.banner = None;
                    self.report = None;
                    self.check_secret(key, tasks);
                }
            }
            Action::Save { validate } => self.save(validate, tasks),
            Action::Delete(key) => {
                self.delete = Some(tasks.with_store(move |store, dir, backend| {
                    client_service::remove_client(store, backend, dir, key)
                        .map_err(|e| e.to_string())
                }));
            }
        }
    }

    fn save(&mut self, validate: bool, tasks: &Tasks) {
        if self.save.is_some() {
            return;
        }
        self.form.submitted = true;
        self.banner = None;
        self.report = None;
        let Ok(valid) = self.form.check() else {
            self.banner = Some(Banner::Error(
                "Fix the fields marked in red; nothing was saved.".into(),
            ));
            return;
        };
        let target = match self.form.editing {
            Some(key) => SaveTarget::Existing(key),
            None => SaveTarget::New,
        };
        self.validating = if validate {
            let mut steps = vec![STEP_SIGN_IN, STEP_READ_USERS, STEP_TENANT_NAME];
            if valid.azure_sso {
                steps.push(STEP_OPENID);
            }
            steps
        } else {
            Vec::new()
        };
        self.save = Some(tasks.spawn(client_validation::save_task(
            valid,
            target,
            validate,
            tasks.data_dir().to_path_buf(),
            tasks.backend(),
            tasks.runtime().clone(),
        )));
    }

    pub fn ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                widgets::page_header(
                    ui,
                    "Clients",
                    "An Entra app registration User Sync signs in as. Load a saved one to \
                     edit it, or fill in a new one.",
                );
                self.load_saved_ui(ui, shared, commands);
                ui.add_space(8.0);
                let busy = self.save.is_some() || self.delete.is_some();
                let events = self.form.ui(ui, !busy);
                ui.add_space(10.0);
                self.buttons_ui(ui, busy, commands);
                if events.submit && !busy {
                    commands.push(Command::Clients(Action::Save { validate: false }));
                }
                self.result_ui(ui);
                self.saved_list_ui(ui, shared, commands);
            });
        self.delete_dialog_ui(ui, commands);
    }

    fn load_saved_ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new("Load Saved Info").strong());
            let selected = self
                .form
                .editing
                .and_then(|k| shared.client(k))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "New client".to_string());
            let response = egui::ComboBox::from_id_salt("load_saved_info")
                .selected_text(selected)
                .width(320.0)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(self.form.editing.is_none(), "New client")
                        .clicked()
                    {
                        commands.push(Command::Clients(Action::Load(None)));
                    }
                    for c in &shared.clients {
                        let text = if c.active {
                            c.name.clone()
                        } else {
                            format!("{} (inactive)", c.name)
                        };
                        if ui
                            .selectable_label(self.form.editing == Some(c.key), text)
                            .clicked()
                        {
                            commands.push(Command::Clients(Action::Load(Some(c.key))));
                        }
                    }
                })
                .response;
            let _ = response
                .labelled_by(label.id)
                .on_hover_text("Pick a saved client to fill the form, or New client to clear it");
            if !shared.clients_loaded {
                ui.spinner();
            } else if let Some(e) = &shared.clients_error {
                widgets::inline_message(ui, Tone::Error, e);
            }
        });
    }

    fn buttons_ui(&mut self, ui: &mut Ui, busy: bool, commands: &mut Commands) {
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!busy, egui::Button::new("Save"))
                .on_hover_text("Save the client without contacting Entra ID (Enter)")
                .clicked()
            {
                commands.push(Command::Clients(Action::Save { validate: false }));
            }
            if ui
                .add_enabled(!busy, egui::Button::new("Validate & Save"))
                .on_hover_text(
                    "Sign in and read one user first; save only if that works (recommended)",
                )
                .clicked()
            {
                commands.push(Command::Clients(Action::Save { validate: true }));
            }
            if let Some(key) = self.form.editing {
                if ui
                    .add_enabled(!busy, egui::Button::new("Delete"))
                    .on_hover_text("Remove this client with its secret, directory and schedules")
                    .clicked()
                {
                    self.confirm_delete = Some((key, self.form.name.clone()));
                }
                if ui
                    .add_enabled(!busy, egui::Button::new("Clear form"))
                    .on_hover_text("Clear the form to add another client")
                    .clicked()
                {
                    commands.push(Command::Clients(Action::Load(None)));
                }
            }
            if busy {
                ui.spinner();
                ui.label(if self.validating.is_empty() {
                    "Saving…"
                } else {
                    "Validating…"
                });
            }
        });
    }

    fn result_ui(&mut self, ui: &mut Ui) {
        if !self.validating.is_empty() || self.report.is_some() {
            widgets::section(ui, "Validation");
            if let Some(report) = &self.report {
                for step in &report.steps {
                    client_validation::step_row(ui, step);
                }
            } else {
                for name in &self.validating {
                    ui.horizontal(|ui| {
                        ui.add_sized([80.0, 18.0], egui::Spinner::new());
                        ui.label(RichText::new(*name).strong());
                        ui.label("checking…");
                    });
                }
            }
            ui.add_space(6.0);
        }
        match &self.banner {
            Some(Banner::Ok(text)) => widgets::banner_text(ui, Tone::Ok, text),
            Some(Banner::Error(text)) => widgets::banner_text(ui, Tone::Error, text),
            None => {}
        }
    }

    fn saved_list_ui(&self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        widgets::section(ui, "Saved clients");
        if shared.clients.is_empty() {
            widgets::note(
                ui,
                "None yet. Fill in the form above, or use \"Add demo client\" on the \
                 Information page.",
            );
            return;
        }
        egui::Grid::new("saved_clients")
            .num_columns(5)
            .striped(true)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                for h in ["Client", "Tenant", "Cloud", "Status", "Last validation"] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for c in &shared.clients {
                    if ui
                        .link(&c.name)
                        .on_hover_text("Load this client into the form")
                        .clicked()
                    {
                        commands.push(Command::Clients(Action::Load(Some(c.key))));
                    }
                    ui.label(&c.tenant_id);
                    ui.label(c.cloud.label());
                    if c.active {
                        widgets::status_chip(ui, Tone::Ok, "Active");
                    } else {
                        widgets::status_chip(ui, Tone::Neutral, "Inactive");
                    }
                    match &c.last_validation {
                        None => ui.label("never"),
                        Some(v) => ui
                            .label(widgets::toned(
                                ui,
                                if v.ok { Tone::Ok } else { Tone::Error },
                                format!(
                                    "{} {}",
                                    if v.ok { "passed" } else { "failed" },
                                    widgets::local_time(v.at)
                                ),
                            ))
                            .on_hover_text(v.summary.as_str()),
                    };
                    ui.end_row();
                }
            });
    }

    fn delete_dialog_ui(&mut self, ui: &mut Ui, commands: &mut Commands) {
        let Some((key, name)) = self.confirm_delete.clone() else {
            return;
        };
        let modal =
            egui::Modal::new(egui::Id::unique("confirm_delete_client")).show(ui.ctx(), |ui| {
                ui.set_max_width(420.0);
                ui.label(RichText::new(format!("Delete client \"{name}\"?")).strong());
                ui.add(
                    egui::Label::new(
                        "This removes its secret from the keyring, its synced directory and its \
                 schedules. Its job history stays. This cannot be undone.",
                    )
                    .wrap(),
                );
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui
                        .button("Delete client")
                        .on_hover_text("Delete it now")
                        .clicked()
                    {
                        commands.push(Command::Clients(Action::Delete(key)));
                        return true;
                    }
                    ui.button("Cancel")
                        .on_hover_text("Keep the client (Escape)")
                        .clicked()
                })
                .inner
            });
        if modal.inner || modal.should_close() {
            self.confirm_delete = None;
        }
    }
}
