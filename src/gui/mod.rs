//! The desktop app: an eframe window over the background engine. The only module that
//! imports egui, eframe or rfd.
//!
//! The UI thread does no I/O: store, keyring, HTTP and file dialogs run on the engine's
//! runtime as promises ([`tasks`]), engine events arrive through a waker that asks for a
//! repaint, and an idle window does not repaint at all.

mod app;
mod app_state;
mod command;
mod data;
mod demo;
pub mod pages;
mod save;
mod scheduler;
mod status_bar;
mod tasks;
mod theme;
mod widgets;

pub use app::App;
pub use app_state::{AppState, Page, ThemeChoice};
pub use data::{RunningJob, SchedulerState, Shared};
pub use demo::DEMO_CLIENT_NAME;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::engine::{EngineConfig, EngineError};
use crate::secrets::Backend;

/// The app's notion of "now" (tests inject a fixed one).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Where exports go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveDialog {
    /// The native save dialog (rfd).
    Native,
    /// Straight into this folder under the suggested name (tests, scripts).
    Folder(PathBuf),
}

/// Environment variable naming the page to open (`information`, `clients`, `sync`,
/// `schedules`, `jobs`, `directory`); used by `scripts/screenshots.sh`.
pub const START_PAGE_ENV: &str = "USERSYNC_START_PAGE";

/// Everything the app is built from.
pub struct AppConfig {
    pub engine: EngineConfig,
    pub clock: Clock,
    pub save_dialog: SaveDialog,
    /// Overrides the persisted last page.
    pub start_page: Option<Page>,
    /// Users in the built-in demo tenant that "Add demo client" starts.
    pub demo_users: usize,
    /// Run active schedules while the app is open.
    pub run_scheduler: bool,
}

impl AppConfig {
    pub fn new(data_dir: PathBuf, backend: Backend) -> Self {
        Self {
            engine: EngineConfig::new(data_dir, backend),
            clock: system_clock(),
            save_dialog: SaveDialog::Native,
            start_page: None,
            demo_users: 500,
            run_scheduler: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GuiError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(
        "cannot open the window: {0}. Without a display, use the command line (`usersync --help`)."
    )]
    Window(String),
}

const ICON_PNG: &[u8] = include_bytes!("../../icons/usersync-256.png");

/// Opens the window and runs until it is closed.
pub fn run(data_dir: PathBuf, backend: Backend) -> Result<(), GuiError> {
    let mut config = AppConfig::new(data_dir.clone(), backend);
    config.start_page = std::env::var(START_PAGE_ENV)
        .ok()
        .and_then(|p| Page::from_slug(&p));
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("User Sync")
        .with_app_id("usersync")
        .with_inner_size([1200.0, 780.0])
        .with_min_inner_size([900.0, 580.0]);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(Arc::new(icon)),
        Err(e) => tracing::warn!("the window icon could not be decoded: {e}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        persist_window: true,
        // Window placement, last page and theme: never secrets or directory data.
        persistence_path: Some(data_dir.join("gui-state.ron")),
        ..Default::default()
    };
    eframe::run_native(
        "User Sync",
        options,
        Box::new(move |cc| Ok(Box::new(App::new(cc, config)?))),
    )
    .map_err(|e| GuiError::Window(e.to_string().trim_end_matches(['.', ' ']).to_string()))
}
