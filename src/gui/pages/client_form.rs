//! The client form: its fields as typed, the inline rule check (the shared rules of
//! `client_input`, field by field as the admin types), and its layout.

use std::collections::HashSet;

use egui::{Response, Ui};

use crate::client_input::{self, FieldName, InputErrors, ValidClient, secret_warning};
use crate::gui::theme::Tone;
use crate::gui::widgets;
use crate::model::{Client, ClientKey, Cloud, DeletionGuard};

/// The clouds in the Cloud dropdown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloudChoice {
    #[default]
    Global,
    UsGov,
    UsGovDod,
    China,
    Custom,
}

impl CloudChoice {
    pub const ALL: [CloudChoice; 5] = [
        CloudChoice::Global,
        CloudChoice::UsGov,
        CloudChoice::UsGovDod,
        CloudChoice::China,
        CloudChoice::Custom,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            CloudChoice::Global => "global",
            CloudChoice::UsGov => "usgov",
            CloudChoice::UsGovDod => "usgov-dod",
            CloudChoice::China => "china",
            CloudChoice::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CloudChoice::Global => "Global (Azure public cloud)",
            CloudChoice::UsGov => "US Government (GCC High, L4)",
            CloudChoice::UsGovDod => "US Government DoD (L5)",
            CloudChoice::China => "China (operated by 21Vianet)",
            CloudChoice::Custom => "Custom endpoints",
        }
    }

    fn of(cloud: &Cloud) -> Self {
        match cloud {
            Cloud::Global => CloudChoice::Global,
            Cloud::UsGov => CloudChoice::UsGov,
            Cloud::UsGovDod => CloudChoice::UsGovDod,
            Cloud::China => CloudChoice::China,
            Cloud::Custom { .. } => CloudChoice::Custom,
        }
    }
}

/// The form as typed. The secret is held only here, only until it is saved.
#[derive(Clone, Default)]
pub struct FormState {
    /// The saved client being edited; `None` for a new one.
    pub editing: Option<ClientKey>,
    pub name: String,
    pub tenant_id: String,
    pub client_id: String,
    pub secret: String,
    pub show_secret: bool,
    pub cloud: CloudChoice,
    pub authority_url: String,
    pub graph_url: String,
    pub active: bool,
    pub azure_sso: bool,
    pub guard_users: String,
    pub guard_percent: String,
    /// Fields the admin has changed or left: their messages show.
    touched: HashSet<FieldName>,
    /// A save was attempted: every message shows.
    pub submitted: bool,
    /// Whether the edited client has a stored secret (`None`: not known yet).
    pub secret_stored: Option<bool>,
}

impl std::fmt::Debug for FormState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormState")
            .field("editing", &self.editing)
            .field("name", &self.name)
            .field("secret", &"****")
            .finish_non_exhaustive()
    }
}

/// What the admin did in the form this frame.
#[derive(Default)]
pub struct FormEvents {
    /// Enter was pressed in a text field.
    pub submit: bool,
}

impl FormState {
    pub fn new_client() -> Self {
        let guard = DeletionGuard::default();
        Self {
            active: true,
            guard_users: guard.max_users.to_string(),
            guard_percent: guard.max_percent.to_string(),
            ..Self::default()
        }
    }

    pub fn from_client(c: &Client) -> Self {
        let (authority_url, graph_url) = match &c.cloud {
            Cloud::Custom {
                authority_url,
                graph_url,
            } => (authority_url.clone(), graph_url.clone()),
            _ => (String::new(), String::new()),
        };
        Self {
            editing: Some(c.key),
            name: c.name.clone(),
            tenant_id: c.tenant_id.clone(),
            client_id: c.client_id.clone(),
            cloud: CloudChoice::of(&c.cloud),
            authority_url,
            graph_url,
            active: c.active,
            azure_sso: c.azure_sso,
            guard_users: c.guard.max_users.to_string(),
            guard_percent: c.guard.max_percent.to_string(),
            ..Self::default()
        }
    }

    fn input(&self) -> (client_input::ClientForm, Vec<client_input::FieldError>) {
        let mut extra = Vec::new();
        let mut number = |field: FieldName, text: &str| -> i64 {
            match text.trim().parse::<i64>() {
                Ok(n) => n,
                Err(_) => {
                    extra.push(client_input::FieldError {
                        field,
                        message: format!("expected a whole number, got \"{}\"", text.trim()),
                    });
                    0
                }
            }
        };
        let guard_max_users = number(FieldName::GuardMaxUsers, &self.guard_users);
        let guard_max_percent = number(FieldName::GuardMaxPercent, &self.guard_percent);
        let custom = self.cloud == CloudChoice::Custom;
        let form = client_input::ClientForm {
            name: self.name.clone(),
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            secret: if self.secret.trim().is_empty() && self.editing.is_some() {
                None
            } else {
                Some(self.secret.clone())
            },
            cloud: self.cloud.slug().to_string(),
            authority_url: custom.then(|| self.authority_url.clone()),
            graph_url: custom.then(|| self.graph_url.clone()),
            active: self.active,
            azure_sso: self.azure_sso,
            guard_max_users,
            guard_max_percent,
        };
        (form, extra)
    }

    /// Every field against its rule.
    pub fn check(&self) -> Result<ValidClient, InputErrors> {
        let (form, extra) = self.input();
        let result = form.check(self.editing.is_none());
        if extra.is_empty() {
            return result;
        }
        let mut errors = match result {
            Ok(_) => Vec::new(),
            Err(e) => e.0,
        };
        errors.retain(|e| !extra.iter().any(|x| x.field == e.field));
        errors.extend(extra);
        Err(InputErrors(errors))
    }

    fn message(&self, errors: &Option<InputErrors>, field: FieldName) -> Option<String> {
        if !(self.submitted || self.touched.contains(&field)) {
            return None;
        }
        errors
            .as_ref()
            .and_then(|e| e.for_field(field))
            .map(|e| e.message.clone())
    }

    fn track(&mut self, field: FieldName, response: &Response, events: &mut FormEvents) {
        if response.changed() || response.lost_focus() {
            self.touched.insert(field);
        }
        if response.lost_focus() && response.ctx.input(|i| i.key_pressed(egui::Key::Enter)) {
            events.submit = true;
        }
    }

    /// The fields, in tab order. `enabled` is false while a save runs.
    pub fn ui(&mut self, ui: &mut Ui, enabled: bool) -> FormEvents {
        let mut events = FormEvents::default();
        let errors = self.check().err();
        ui.add_enabled_ui(enabled, |ui| {
            ui.vertical(|ui| self.fields_ui(ui, &errors, &mut events));
        });
        events
    }

    fn fields_ui(&mut self, ui: &mut Ui, errors: &Option<InputErrors>, events: &mut FormEvents) {
        let width = 420.0;
        let msg = self.message(errors, FieldName::Name);
        let r = widgets::form_row(
            ui,
            "Name",
            "A name you choose for this client, unique among your clients (1–100 characters)",
            msg.as_deref().map(|m| (Tone::Error, m)),
            |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.name)
                        .hint_text("e.g. Contoso production")
                        .desired_width(width),
                )
            },
        );
        self.track(FieldName::Name, &r, events);

        let msg = self.message(errors, FieldName::TenantId);
        let r = widgets::form_row(
            ui,
            "Tenant Id",
            "Directory (tenant) ID from the app registration's Overview page (a GUID), or a \
             verified domain such as contoso.onmicrosoft.com",
            msg.as_deref().map(|m| (Tone::Error, m)),
            |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.tenant_id)
                        .hint_text("00000000-0000-0000-0000-000000000000")
                        .desired_width(width),
                )
            },
        );
        self.track(FieldName::TenantId, &r, events);

        let msg = self.message(errors, FieldName::ClientId);
        let r = widgets::form_row(
            ui,
            "Client Id",
            "Application (client) ID from the app registration's Overview page (a GUID)",
            msg.as_deref().map(|m| (Tone::Error, m)),
            |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.client_id)
                        .hint_text("00000000-0000-0000-0000-000000000000")
                        .desired_width(width),
                )
            },
        );
        self.track(FieldName::ClientId, &r, events);

        self.secret_row(ui, errors, events, width);
        self.cloud_rows(ui, errors, events, width);

        let _ = widgets::form_row(
            ui,
            "Active",
            "Only active clients can be synced, by hand or on a schedule",
            None,
            |ui| ui.checkbox(&mut self.active, "Sync this client"),
        );
        let _ = widgets::form_row(
            ui,
            "Azure SSO client",
            "Tick when your users sign in with Entra ID: synced users then carry an SSO \
             identity, and validation also checks the tenant's OpenID configuration",
            None,
            |ui| ui.checkbox(&mut self.azure_sso, "Users sign in with Entra ID (SSO)"),
        );
        self.guard_row(ui, errors, events);
    }

    fn secret_row(
        &mut self,
        ui: &mut Ui,
        errors: &Option<InputErrors>,
        events: &mut FormEvents,
        width: f32,
    ) {
        let editing = self.editing.is_some();
        let tooltip = if editing {
            "The client secret's Value. Leave empty to keep the stored secret."
        } else {
            "The client secret's Value (Certificates & secrets, shown once when created), \
             not its Secret ID"
        };
        let mut message = self
            .message(errors, FieldName::Secret)
            .map(|m| (Tone::Error, m));
        if message.is_none()
            && let Ok(secret) = client_input::check_secret(&self.secret)
            && let Some(w) = secret_warning(&secret)
        {
            message = Some((Tone::Warn, format!("Warning: {w}")));
        }
        if message.is_none() && editing {
            let note = match self.secret_stored {
                Some(true) => "Leave empty to keep the stored secret.",
                Some(false) => "No secret is stored for this client: paste one.",
                None => "Leave empty to keep the stored secret (if one is stored).",
            };
            message = Some((Tone::Neutral, note.to_string()));
        }
        let show = &mut self.show_secret;
        let secret = &mut self.secret;
        let r = widgets::form_row(
            ui,
            "Secret",
            tooltip,
            message.as_ref().map(|(t, m)| (*t, m.as_str())),
            |ui| {
                ui.horizontal(|ui| {
                    let hint = if editing {
                        "unchanged"
                    } else {
                        "paste the secret's Value"
                    };
                    let field = ui.add(
                        egui::TextEdit::singleline(secret)
                            .password(!*show)
                            .hint_text(hint)
                            .desired_width(width - 70.0),
                    );
                    let label = if *show { "Hide" } else { "Show" };
                    if ui
                        .button(label)
                        .accessible_name(format!("{label} secret"))
                        .on_hover_text("Show or hide the secret while you type it")
                        .clicked()
                    {
                        *show = !*show;
                    }
                    field
                })
                .inner
            },
        );
        self.track(FieldName::Secret, &r, events);
    }

    fn cloud_rows(
        &mut self,
        ui: &mut Ui,
        errors: &Option<InputErrors>,
        events: &mut FormEvents,
        width: f32,
    ) {
        let msg = self.message(errors, FieldName::Cloud);
        let cloud = &mut self.cloud;
        let _ = widgets::form_row(
            ui,
            "Cloud",
            "The Microsoft cloud the tenant lives in; Custom for other endpoints (such as the \
             demo tenant)",
            msg.as_deref().map(|m| (Tone::Error, m)),
            |ui| {
                egui::ComboBox::from_id_salt("cloud_choice")
                    .selected_text(cloud.label())
                    .width(width)
                    .show_ui(ui, |ui| {
                        for c in CloudChoice::ALL {
                            ui.selectable_value(cloud, c, c.label());
                        }
                    })
                    .response
            },
        );
        if self.cloud != CloudChoice::Custom {
            return;
        }
        let msg = self.message(errors, FieldName::AuthorityUrl);
        let r = widgets::form_row(
            ui,
            "Authority URL",
            "Sign-in base URL, e.g. https://login.example.com (plain http only to this machine)",
            msg.as_deref().map(|m| (Tone::Error, m)),
            |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.authority_url)
                        .hint_text("https://login.example.com")
                        .desired_width(width),
                )
            },
        );
        self.track(FieldName::AuthorityUrl, &r, events);
        let msg = self.message(errors, FieldName::GraphUrl);
        let r = widgets::form_row(
            ui,
            "Graph URL",
            "Microsoft Graph base URL without a version, e.g. https://graph.example.com",
            msg.as_deref().map(|m| (Tone::Error, m)),
            |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.graph_url)
                        .hint_text("https://graph.example.com")
                        .desired_width(width),
                )
            },
        );
        self.track(FieldName::GraphUrl, &r, events);
    }

    fn guard_row(&mut self, ui: &mut Ui, errors: &Option<InputErrors>, events: &mut FormEvents) {
        let tooltip = "Block a sync that would delete or disable more than this many users, or \
                       this share of the directory, whichever is smaller (0 blocks every \
                       deletion); you can still apply it after review";
        let (users, percent) = widgets::row(ui, "Deletion guard", tooltip, |ui, _| {
            let (users, percent) = ui
                .horizontal(|ui| {
                    ui.label("at most");
                    let users = ui
                        .add(egui::TextEdit::singleline(&mut self.guard_users).desired_width(70.0))
                        .accessible_name(FieldName::GuardMaxUsers.label())
                        .on_hover_text(tooltip);
                    ui.label("users or");
                    let percent = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.guard_percent).desired_width(40.0),
                        )
                        .accessible_name(FieldName::GuardMaxPercent.label())
                        .on_hover_text(tooltip);
                    ui.label("% of the directory, whichever is smaller");
                    (users, percent)
                })
                .inner;
            for field in [FieldName::GuardMaxUsers, FieldName::GuardMaxPercent] {
                if let Some(m) = self.message(errors, field) {
                    widgets::inline_message(ui, Tone::Error, &format!("{}: {m}", field.label()));
                }
            }
            (users, percent)
        });
        self.track(FieldName::GuardMaxUsers, &users, events);
        self.track(FieldName::GuardMaxPercent, &percent, events);
    }
}
