//! Information: what a client is, how to register the Entra app, where the ids are, and
//! the one-click demo tenant.

use egui::{RichText, Ui};

use crate::gui::Page;
use crate::gui::command::{Command, Commands};
use crate::gui::data::Shared;
use crate::gui::theme::Tone;
use crate::gui::widgets;

#[derive(Default)]
pub struct InformationPage {
    pub demo_error: Option<String>,
}

const STEPS: &[(&str, &str)] = &[
    (
        "Register an app",
        "In the Azure portal (portal.azure.com) open Microsoft Entra ID > App registrations > \
         New registration. Give it a name such as \"User Sync\", keep \"Accounts in this \
         organizational directory only\", leave the redirect URI empty, and Register.",
    ),
    (
        "Grant User.Read.All",
        "In the new app open API permissions > Add a permission > Microsoft Graph > \
         Application permissions, tick User.Read.All and Add permissions. Then press \
         \"Grant admin consent for <your organisation>\" (an administrator must do this). \
         The Status column must show a green \"Granted\". Delegated permissions do not work: \
         User Sync signs in as the application itself.",
    ),
    (
        "Create a client secret",
        "Open Certificates & secrets > Client secrets > New client secret, pick an expiry \
         and Add. Copy the Value column right away: it is shown only once. The Secret ID \
         next to it is not the secret; pasting it fails with AADSTS7000215.",
    ),
    (
        "Copy the two ids",
        "On the app's Overview page: \"Directory (tenant) ID\" is the Tenant Id and \
         \"Application (client) ID\" is the Client Id. The tenant may also be given by a \
         verified domain such as contoso.onmicrosoft.com.",
    ),
    (
        "Add the client here",
        "Open Clients, fill in Name, Tenant Id, Client Id and Secret, and press Validate & \
         Save: User Sync signs in, reads one user to prove the permission, and saves only \
         if that works. The secret goes to the OS keyring, never into the database.",
    ),
];

impl InformationPage {
    pub fn ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                ui.set_max_width(860.0);
                widgets::page_header(
                    ui,
                    "Welcome to User Sync",
                    "Keep your organisation's users and their reporting hierarchy in step \
                     with Microsoft Entra ID.",
                );
                self.demo_ui(ui, shared, commands);

                widgets::section(ui, "What is a client?");
                ui.add(
                    egui::Label::new(
                        "A client is one Entra app registration that User Sync signs in as, with \
                     app-only credentials: the tenant it belongs to (Tenant Id), the app's id \
                     (Client Id) and a client secret. Each client syncs one tenant's users \
                     and their managers into the local directory. You can save several \
                     clients, for several tenants or clouds, and sync them at the same time.",
                    )
                    .wrap(),
                );

                widgets::section(ui, "Register the Entra app");
                for (i, (title, text)) in STEPS.iter().enumerate() {
                    ui.horizontal_top(|ui| {
                        ui.add_sized(
                            [22.0, 18.0],
                            egui::Label::new(RichText::new(format!("{}.", i + 1)).strong()),
                        );
                        ui.vertical(|ui| {
                            ui.label(RichText::new(*title).strong());
                            ui.add(egui::Label::new(*text).wrap());
                        });
                    });
                    ui.add_space(6.0);
                }

                widgets::section(ui, "Where to find the ids in the Azure portal");
                widgets::facts(
                    ui,
                    "id_locations",
                    &[
                        (
                            "Tenant Id",
                            "Entra ID > Overview > Tenant ID, or the app's Overview > \
                             Directory (tenant) ID"
                                .into(),
                        ),
                        (
                            "Client Id",
                            "App registrations > your app > Overview > Application (client) ID"
                                .into(),
                        ),
                        (
                            "Secret",
                            "App registrations > your app > Certificates & secrets > the Value \
                             column (shown once)"
                                .into(),
                        ),
                    ],
                );

                widgets::section(ui, "Good to know");
                for line in [
                    "Azure SSO client: tick it when your users sign in to your systems with \
                     Entra ID; synced users then carry an SSO identity (issuer, subject, \
                     login), and validation also checks the tenant's OpenID configuration.",
                    "Deletion guard: a sync that would delete or disable more users than \
                     the client allows (by default 500 users or 20% of the directory, \
                     whichever is smaller) is not applied; you review it and choose \
                     \"Apply anyway\".",
                    "Dry run shows what a sync would change without changing anything. \
                     Full resync reads every user again instead of only the changes.",
                    "National clouds (US Government, China) and custom endpoints are chosen \
                     per client under Cloud.",
                    "Scheduled syncs run while this app is open; on a server, run \
                     `usersync scheduler` instead.",
                ] {
                    ui.horizontal_wrapped(|ui| {
                        ui.label("·");
                        ui.add(egui::Label::new(line).wrap());
                    });
                }
                ui.add_space(12.0);
            });
    }

    fn demo_ui(&mut self, ui: &mut Ui, shared: &Shared, commands: &mut Commands) {
        widgets::banner(ui, Tone::Info, |ui| {
            ui.label(RichText::new("Try it with the demo tenant").strong());
            ui.add(
                egui::Label::new(
                    "No Azure subscription needed: User Sync has a built-in demo tenant that \
                 behaves like Entra ID and Microsoft Graph, with a generated organisation \
                 (departments, managers, disabled accounts, guests). One click starts it and \
                 fills the client form; then press Validate & Save, and Sync Now.",
                )
                .wrap(),
            );
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                let busy = self.demo_busy(shared);
                let button = ui
                    .add_enabled(!busy, egui::Button::new("Add demo client"))
                    .on_hover_text(
                        "Start the built-in demo tenant on this computer (127.0.0.1) and fill \
                         the client form with its credentials",
                    );
                if button.clicked() {
                    self.demo_error = None;
                    commands.push(Command::AddDemoClient);
                }
                if let Some(url) = &shared.demo_url {
                    ui.label(format!("Running on {url} while the app is open."));
                }
                if ui
                    .link("Open Clients")
                    .on_hover_text("Go to the client form")
                    .clicked()
                {
                    commands.push(Command::Navigate(Page::Clients));
                }
            });
            if let Some(e) = &self.demo_error {
                widgets::inline_message(ui, Tone::Error, e);
            }
        });
    }

    fn demo_busy(&self, _shared: &Shared) -> bool {
        false
    }
}
