//! The UI state that survives a restart (eframe storage): the last page and the theme
//! override. Never secrets, never directory data, never form contents.

use serde::{Deserialize, Serialize};

/// The pages of the app, in navigation order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Page {
    #[default]
    Information,
    Clients,
    SyncNow,
    Schedules,
    Jobs,
    Directory,
}

impl Page {
    pub const ALL: [Page; 6] = [
        Page::Information,
        Page::Clients,
        Page::SyncNow,
        Page::Schedules,
        Page::Jobs,
        Page::Directory,
    ];

    /// The navigation label (also the AccessKit name of the navigation button).
    pub fn label(self) -> &'static str {
        match self {
            Page::Information => "Information",
            Page::Clients => "Clients",
            Page::SyncNow => "Sync Now",
            Page::Schedules => "Scheduled Sync",
            Page::Jobs => "Job History",
            Page::Directory => "Directory",
        }
    }

    /// What the page is for, shown as the navigation button's tooltip.
    pub fn purpose(self) -> &'static str {
        match self {
            Page::Information => "What a client is, how to register the Entra app, the demo tenant",
            Page::Clients => "Add, edit, validate and delete clients (Entra app registrations)",
            Page::SyncNow => "Sync a client now, with progress and a summary",
            Page::Schedules => "Sync clients on a CRON schedule while the app is open",
            Page::Jobs => "What each sync did: timing, counts, log and changes",
            Page::Directory => "The synced users and their manager hierarchy",
        }
    }

    /// Short name used by `USERSYNC_START_PAGE` (screenshots, scripts).
    pub fn slug(self) -> &'static str {
        match self {
            Page::Information => "information",
            Page::Clients => "clients",
            Page::SyncNow => "sync",
            Page::Schedules => "schedules",
            Page::Jobs => "jobs",
            Page::Directory => "directory",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Page> {
        let slug = slug.trim().to_ascii_lowercase();
        Page::ALL
            .into_iter()
            .find(|p| p.slug() == slug || p.label().eq_ignore_ascii_case(&slug))
    }
}

/// Light or dark: follow the OS, or a manual override.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];

    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "Follow the system",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }

    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// Persisted with `eframe::set_value(storage, eframe::APP_KEY, ..)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppState {
    pub page: Page,
    pub theme: ThemeChoice,
}
