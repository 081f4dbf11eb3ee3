//! Scheduled Sync: client, schedule name, CRON with live validation, the plain-words
//! reading and the next five runs, time zone, Active, Save; the saved schedules with
//! their next run, last run and status; edit and delete.

use egui::{RichText, Ui};
use poll_promise::Promise;

use super::schedule_editor::{self, CronCheck};
use super::schedule_list;
use crate::gui::command::{Command, Commands};
use crate::gui::data::Shared;
use crate::gui::tasks::{Outcome, Tasks, take_ready};
use crate::gui::theme::Tone;
use crate::gui::widgets;
use crate::model::ClientKey;
use crate::schedule::{self, Schedule};
use crate::store::schedules::{
    FireRecord, NewSchedule, ScheduleId, ScheduleRecord, ScheduleUpdate,
};

#[derive(Debug)]
pub enum Action {
    Save,
    Edit(ScheduleId),
    New,
    Delete(ScheduleId),
}

/// A saved schedule with its latest run.
#[derive(Clone, Debug)]
pub struct Listed {
    pub record: ScheduleRecord,
    pub last: Option<FireRecord>,
}

#[derive(Default)]
struct Form {
    editing: Option<ScheduleId>,
    client: Option<ClientKey>,
    name: String,
    cron: String,
    timezone: String,
    active: bool,
    submitted: bool,
}

impl Form {
    fn new() -> Self {
        Self {
            cron: "0 2 * * *".into(),
            timezone: schedule::machine_time_zone().name().to_string(),
            active: true,
            ..Self::default()
        }
    }
}

pub struct SchedulesPage {
    form: Form,
    check: CronCheck,
    list: Vec<Listed>,
    list_version: u64,
    list_load: Option<Promise<Outcome<Vec<Listed>>>>,
    list_error: Option<String>,
    save: Option<Promise<Outcome<ScheduleRecord>>>,
    delete: Option<Promise<Outcome<String>>>,
    confirm_delete: Option<(ScheduleId, String)>,
    banner: Option<(Tone, String)>,
    /// The form as it was when the banner was set; an error banner goes when it changes.
    banner_form: (String, String, String),
}

impl Default for SchedulesPage {
    fn default() -> Self {
        Self {
            form: Form::new(),
            check: CronCheck::default(),
            list: Vec::new(),
            list_version: 0,
            list_load: None,
            list_error: None,
            save: None,
            delete: None,
            confirm_delete: None,
            banner: None,
            banner_form: Default::default(),
        }
    }
}

impl SchedulesPage {
    pub fn is_busy(&self) -> bool {
        self.list_load.is_some() || self.save.is_some() || self.delete.is_some()
    }

    /// The saved schedules as listed (tests).
    pub fn list(&self) -> &[Listed] {
        &self.list
    }

    pub fn logic(&mut self, shared: &mut Shared, tasks: &Tasks, visible: bool) {
        if self.form.client.is_none_or(|k| shared.client(k).is_none()) {
            self.form.client = shared.clients.first().map(|c| c.key);
        }
        if let Some(result) = take_ready(&mut self.list_load) {
            match result {
                Ok(list) => {
                    self.list = list;
                    self.list_error = None;
                }
                Err(e) => self.list_error = Some(e),
            }
        }
        if let Some(result) = take_ready(&mut self.save) {
            match result {
                Ok(saved) => {
                    let text = format!(
                        "Saved schedule \"{}\" for \"{}\".",
                        saved.name, saved.client_name
                    );
                    shared.notify(text.clone());
                    self.banner = Some((Tone::Ok, text));
                    self.form.editing = Some(saved.id);
                    self.form.submitted = false;
                    shared.data_version += 1;
                    // The scheduler re-reads schedules on its next tick: show its count then.
                    tasks
                        .ctx()
                        .request_repaint_after(std::time::Duration::from_millis(1500));
                }
                Err(e) => {
                    self.banner = Some((Tone::Error, format!("Not saved: {e}")));
                    self.banner_form = self.form_key();
                }
            }
        }
        if let Some(result) = take_ready(&mut self.delete) {
            match result {
                Ok(name) => {
                    let text =
                        format!("Deleted schedule \"{name}\"; its jobs stay in the history.");
                    self.banner = Some((Tone::Ok, text));
                    self.form = Form::new();
                    shared.data_version += 1;
                }
                Err(e) => self.banner = Some((Tone::Error, format!("Not deleted: {e}"))),
            }
        }
        if visible && self.list_version != shared.data_version && self.list_load.is_none() {
            self.list_version = shared.data_version;
            self.list_load = Some(tasks.with_store(|store, _, _| {
                let records = store
                    .list_schedules(None)
                    .map_err(|e| format!("cannot read the schedules: {e}"))?;
                let mut out = Vec::with_capacity(records.len());
                for record in records {
                    let last = store
                        .recent_fires(record.id, 1)
                        .map_err(|e| format!("cannot read the schedules: {e}"))?
                        .into_iter()
                        .next();
                    out.push(Listed { record, last });
                }
                Ok(out)
            }));
        }
        self.check
            .refresh(&self.form.cron, &self.form.timezone, shared.now());
        if matches!(self.banner, Some((Tone::Error, _))) && self.banner_form != self.form_key() {
            self.banner = None;
        }
    }

    fn form_key(&self) -> (String, String, String) {
        (
            self.form.name.clone(),
            self.form.cron.clone(),
            self.form.timezone.clone(),
        )
    }

    pub fn run(&mut self, action: Action, shared: &mut Shared, tasks: &Tasks) {
        match action {
            Action::New => {
                self.form = Form::new();
                self.form.client = shared.clients.first().map(|c| c.key);
                self.banner = None;
            }
            Action::Edit(id) => {
                if let Some(l) = self.list.iter().find(|l| l.record.id == id) {
                    let r = &l.record;
                    self.form = Form {
                        editing: Some(r.id),
                        client: Some(r.client_key),
                        name: r.name.clone(),
                        cron: r.cron.clone(),
                        timezone: r.timezone.clone(),
                        active: r.active,
                        submitted: false,
                    };
                    self.banner = None;
                }
            }
            Action::Save => self.save(shared, tasks),
            Action::Delete(id) => {
                self.delete = Some(tasks.with_store(move |store, _, _| {
                    let name = store
                        .schedule_by_id(id)
                        .map_err(|e| e.to_string())?
                        .map(|s| s.name)
                        .unwrap_or_default();
                    store.delete_schedule(id).map_err(|e| e.to_string())?;
                    Ok(name)
                }));
            }
        }
    }

    fn save(&mut self, shared: &Shared, tasks: &Tasks) {
        if self.save.is_some() {
            return;
        }
        self.form.submitted = true;
        self.banner = None;
        let name = self.form.name.trim().to_string();
        let mut problems = Vec::new();
        if self.form.client.is_none() {
            problems.push("choose a client".to_string());
        }
        if name.is_empty() {
            problems.push("give the schedule a name, such as \"Nightly\"".to_string());
        }
        if let Err(e) = Schedule::validate(&self.form.cron, &self.form.timezone, shared.now()) {
            problems.push(e.to_string());
        }
        if !problems.is_empty() {
            self.banner = Some((Tone::Error, format!("Not saved: {}.", problems.join("; "))));
            self.banner_form = self.form_key();
            return;
        }
        let Some(client) = self.form.client else {
            return;
        };
        let cron = self.form.cron.trim().to_string();
        let timezone = self.form.timezone.trim().to_string();
        let active = self.form.active;
        let editing = self.form.editing;
        self.save = Some(tasks.with_store(move |store, _, _| {
            let saved = match editing {
                Some(id) => store.update_schedule(
                    id,
                    &ScheduleUpdate {
                        name: Some(name),
                        cron: Some(cron),
                        timezone: Some(timezone),
                        active: Some(active),
                    },
                ),
                None => store.insert_schedule(&NewSchedule {
                    client_key: client,
                    name: &name,
                    cron: &cron,
                    timezone: &timezone,
                    active,
                }),
            };
            saved.map_err(|e| e.to_string())
        }));
    }

    pub fn ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        egui::ScrollArea::vertical()
            .id_salt("schedules_page")
            .auto_shrink(false)
            .show(ui, |ui| {
                widgets::page_header(
                    ui,
                    "Scheduled Sync",
                    "Sync clients on a CRON schedule. Schedules run while this app is open \
                     (on a server: `usersync scheduler`).",
                );
                if shared.clients_loaded && shared.clients.is_empty() {
                    widgets::note(ui, "No clients yet: add one on the Clients page first.");
                    return;
                }
                self.form_ui(ui, shared, commands);
                if let Some((tone, text)) = &self.banner {
                    ui.add_space(6.0);
                    widgets::banner_text(ui, *tone, text);
                }
                widgets::section(ui, "Saved schedules");
                if let Some(e) = &self.list_error {
                    widgets::banner_text(ui, Tone::Error, e);
                }
                self.list_ui(ui, shared, commands);
            });
        self.delete_dialog_ui(ui, commands);
    }

    fn form_ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        let busy = self.save.is_some();
        let editing_client = self.form.editing.is_some();
        let mut submit = false;
        let mut enter = |r: &egui::Response| {
            if r.lost_focus() && r.ctx.input(|i| i.key_pressed(egui::Key::Enter)) {
                submit = true;
            }
        };
        ui.vertical(|ui| {
            let current = self
                .form
                .client
                .and_then(|k| shared.client(k))
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "Choose a client".into());
            let client = &mut self.form.client;
            let _ = widgets::form_row(
                ui,
                "Client",
                "The client this schedule syncs (fixed once the schedule is saved)",
                None,
                |ui| {
                    ui.add_enabled_ui(!editing_client, |ui| {
                        egui::ComboBox::from_id_salt("schedule_client")
                            .selected_text(current)
                            .width(320.0)
                            .show_ui(ui, |ui| {
                                for c in &shared.clients {
                                    let text = if c.active {
                                        c.name.clone()
                                    } else {
                                        format!("{} (inactive: will not run)", c.name)
                                    };
                                    ui.selectable_value(client, Some(c.key), text);
                                }
                            })
                            .response
                    })
                    .inner
                },
            );
            let name_msg = (self.form.submitted && self.form.name.trim().is_empty())
                .then_some((Tone::Error, "required; for example \"Nightly\""));
            let r = widgets::form_row(
                ui,
                "Schedule name",
                "A name for this schedule, unique for the client",
                name_msg,
                |ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut self.form.name)
                            .hint_text("e.g. Nightly")
                            .desired_width(320.0),
                    )
                },
            );
            enter(&r);
            enter(&self.cron_row(ui));
            let zone_msg = self.check.zone_error();
            let timezone = &mut self.form.timezone;
            let r = widgets::form_row(
                ui,
                "Time zone",
                "The IANA time zone the CRON expression is read in, e.g. Europe/Berlin or \
                     UTC; daylight saving is handled",
                zone_msg.as_deref().map(|m| (Tone::Error, m)),
                |ui| {
                    ui.horizontal(|ui| {
                        let r = ui.add(
                            egui::TextEdit::singleline(timezone)
                                .hint_text("Europe/Berlin")
                                .desired_width(220.0),
                        );
                        if ui
                            .small_button("This computer's zone")
                            .on_hover_text("Use the time zone this computer is set to")
                            .clicked()
                        {
                            *timezone = schedule::machine_time_zone().name().to_string();
                        }
                        r
                    })
                    .inner
                },
            );
            enter(&r);
            let _ = widgets::form_row(ui, "Active", "Only active schedules run", None, |ui| {
                ui.checkbox(&mut self.form.active, "Run this schedule")
            });
        });
        if submit && !busy {
            commands.push(Command::Schedules(Action::Save));
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!busy, egui::Button::new("Save schedule"))
                .on_hover_text(
                    "Save the schedule (only when the CRON expression and zone are valid)",
                )
                .clicked()
            {
                commands.push(Command::Schedules(Action::Save));
            }
            if self.form.editing.is_some() {
                if ui
                    .button("New schedule")
                    .on_hover_text("Clear the form to add another schedule")
                    .clicked()
                {
                    commands.push(Command::Schedules(Action::New));
                }
                if let Some(id) = self.form.editing
                    && ui
                        .button("Delete schedule")
                        .on_hover_text("Remove this schedule (its jobs stay in the history)")
                        .clicked()
                {
                    self.confirm_delete = Some((id, self.form.name.clone()));
                }
            }
            if busy {
                let _ = ui.spinner();
            }
        });
    }

    fn cron_row(&mut self, ui: &mut Ui) -> egui::Response {
        let wrong = self.check.wrong_position();
        let error = self.check.cron_error().map(ToString::to_string);
        let tooltip = "Five fields: minute hour day-of-month month day-of-week (e.g. 0 2 * * 1-5 \
                       is 02:00 on weekdays); six with seconds first; or @hourly, @daily, \
                       @weekly, @monthly";
        let mut layouter = |ui: &Ui, buf: &dyn egui::TextBuffer, wrap_width: f32| {
            let mut job = schedule_editor::highlight_job(buf.as_str(), wrong, ui);
            job.wrap.max_width = wrap_width;
            ui.fonts_mut(|f| f.layout_job(job))
        };
        let cron = &mut self.form.cron;
        let check = &self.check;
        widgets::row(ui, "CRON", tooltip, |ui, label| {
            let response = ui
                .add(
                    egui::TextEdit::singleline(cron)
                        .hint_text("0 2 * * 1-5")
                        .desired_width(320.0)
                        .layouter(&mut layouter),
                )
                .labelled_by(label.id)
                .on_hover_text(tooltip);
            schedule_editor::fields_ui(ui, cron, wrong);
            match &check.result {
                Some(Ok(checked)) => {
                    ui.label(widgets::toned(ui, Tone::Ok, checked.description.clone()).strong());
                    ui.label(RichText::new("Next runs").color(ui.visuals().weak_text_color()));
                    for (i, run) in checked.upcoming.iter().enumerate() {
                        ui.label(RichText::new(format!("{}. {run}", i + 1)).monospace());
                    }
                }
                Some(Err(_)) => {
                    if let Some(e) = &error {
                        ui.set_max_width(520.0);
                        widgets::inline_message(ui, Tone::Error, e);
                    }
                }
                None => {}
            }
            response
        })
    }

    fn list_ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        if self.list.is_empty() {
            if self.list_load.is_some() {
                let _ = ui.spinner();
            } else {
                widgets::note(ui, "No schedules yet.");
            }
            return;
        }
        if let Some(delete) = schedule_list::ui(ui, &self.list, shared.now(), commands) {
            self.confirm_delete = Some(delete);
        }
    }

    fn delete_dialog_ui(&mut self, ui: &mut Ui, commands: &mut Commands) {
        let Some((id, name)) = self.confirm_delete.clone() else {
            return;
        };
        let modal =
            egui::Modal::new(egui::Id::unique("confirm_delete_schedule")).show(ui.ctx(), |ui| {
                ui.set_max_width(380.0);
                ui.label(RichText::new(format!("Delete schedule \"{name}\"?")).strong());
                ui.label("It stops running. The jobs it started stay in the history.");
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Delete").on_hover_text("Delete it now").clicked() {
                        commands.push(Command::Schedules(Action::Delete(id)));
                        return true;
                    }
                    ui.button("Cancel")
                        .on_hover_text("Keep the schedule (Escape)")
                        .clicked()
                })
                .inner
            });
        if modal.inner || modal.should_close() {
            self.confirm_delete = None;
        }
    }
}
