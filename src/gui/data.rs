//! What every page may read: the saved clients, the jobs running now, the latest outcome
//! per client this session, and version counters that tell pages when stored data
//! changed. Filled by `App::logic` from engine events and background loads; pages never
//! do I/O to get it.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::Clock;
use super::app_state::Page;
use crate::engine::{JobOutcome, Progress, SyncRequest};
use crate::model::{Client, ClientKey, JobId, JobKind, Trigger};

/// A job this app's engine is running.
#[derive(Clone, Debug)]
pub struct RunningJob {
    pub job: JobId,
    pub client: ClientKey,
    pub client_name: String,
    pub kind: JobKind,
    pub trigger: Trigger,
    pub progress: Option<Progress>,
    pub cancel_requested: bool,
    /// Active users before this sync (the progress bar's estimate of the round).
    pub expected_users: Option<u64>,
    pub started: Instant,
}

impl RunningJob {
    /// 0..1 along the whole job: signing in, reading (most of it), planning, saving.
    pub fn fraction(&self) -> f32 {
        use crate::engine::Phase;
        let Some(p) = &self.progress else { return 0.0 };
        match p.phase {
            Phase::SigningIn => 0.02,
            Phase::Fetching => {
                let read = match self.expected_users {
                    Some(total) if total > 0 && self.kind != JobKind::Incremental => {
                        (p.users as f32 / total as f32).min(1.0)
                    }
                    // Unknown size: approach the end of the reading span without
                    // claiming to reach it.
                    _ => 1.0 - 1.0 / (1.0 + p.pages as f32 / 20.0),
                };
                0.05 + 0.80 * read
            }
            Phase::Planning => 0.88,
            Phase::Applying => 0.94,
        }
    }

    /// Users read per second so far.
    pub fn rate(&self) -> Option<f64> {
        let p = self.progress.as_ref()?;
        (p.elapsed_ms >= 500).then(|| p.users as f64 * 1000.0 / p.elapsed_ms as f64)
    }
}

/// A short message for the status bar.
#[derive(Clone, Debug)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The scheduler as the status bar reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SchedulerState {
    /// Not started, or switched off.
    #[default]
    Off,
    On {
        active_schedules: usize,
        next: Option<String>,
        problem: Option<String>,
    },
    Failed(String),
}

pub struct Shared {
    pub clock: Clock,
    pub data_dir: PathBuf,
    pub secret_store: String,
    pub clients: Vec<Client>,
    pub clients_loaded: bool,
    /// Active users per client in the local directory (as of the last reload).
    pub directory_sizes: HashMap<ClientKey, u64>,
    pub clients_error: Option<String>,
    pub running: BTreeMap<JobId, RunningJob>,
    /// Sync requests sent to the engine and not yet answered, by client.
    pub starting: HashMap<ClientKey, SyncRequest>,
    /// The last job that finished per client while the app was open.
    pub outcomes: HashMap<ClientKey, JobOutcome>,
    /// When each of those finished (by the app's clock).
    pub outcome_times: HashMap<ClientKey, DateTime<Utc>>,
    /// The last refusal per client ("already running", inactive, ...).
    pub refusals: HashMap<ClientKey, String>,
    /// Bumped whenever stored jobs or directories may have changed.
    pub data_version: u64,
    /// Bumped whenever the saved clients changed.
    pub clients_version: u64,
    /// Ask the app to reload the saved clients.
    pub reload_clients: bool,
    pub notice: Option<Notice>,
    pub scheduler: SchedulerState,
    /// `http://127.0.0.1:PORT` of the built-in demo tenant, when this app started one.
    pub demo_url: Option<String>,
    pub page: Page,
}

impl Shared {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    pub fn client(&self, key: ClientKey) -> Option<&Client> {
        self.clients.iter().find(|c| c.key == key)
    }

    pub fn active_clients(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().filter(|c| c.active)
    }

    pub fn running_for(&self, client: ClientKey) -> Option<&RunningJob> {
        self.running.values().find(|r| r.client == client)
    }

    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: false,
        });
    }

    pub fn notify_error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: true,
        });
    }
}
