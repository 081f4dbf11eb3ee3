//! The background side: one named thread owns a tokio runtime and runs jobs. The GUI
//! and the CLI hold an [`EngineHandle`]: they send [`Command`]s on a bounded channel
//! and drain [`Event`]s; a waker (the GUI sets it to `request_repaint`) is called after
//! each event, so the engine never depends on egui.

mod job;
mod locks;
mod scheduler;
mod settle;

pub use job::{GuardInfo, JobOutcome, Phase, Progress};
pub use scheduler::{NextRun, SchedulerConfig, SchedulerLog, SchedulerStatus};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::graph::RetryPolicy;
use crate::model::{ClientKey, JobId, JobKind, Trigger};
use crate::secrets::Backend;
use crate::store::Store;

/// How the engine talks to Graph; tests and benchmarks shorten the waits.
#[derive(Clone, Debug)]
pub struct GraphTuning {
    pub retry: RetryPolicy,
    pub request_timeout: Duration,
    pub max_page_size: u32,
}

impl Default for GraphTuning {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
            max_page_size: crate::graph::DEFAULT_PAGE_SIZE,
        }
    }
}

#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub backend: Backend,
    pub graph: GraphTuning,
    /// Worker threads of the runtime (the engine thread itself drives commands).
    pub worker_threads: usize,
}

impl EngineConfig {
    pub fn new(data_dir: PathBuf, backend: Backend) -> Self {
        Self {
            data_dir,
            backend,
            graph: GraphTuning::default(),
            worker_threads: 2,
        }
    }
}

/// What to sync and how.
#[derive(Clone, Debug)]
pub struct SyncRequest {
    pub client: ClientKey,
    pub trigger: Trigger,
    pub schedule_name: Option<String>,
    /// Ignore the saved deltaLink and run a fresh round.
    pub full: bool,
    /// Record the plan, apply nothing, keep the old deltaLink.
    pub dry_run: bool,
    /// Consent to a plan the deletion guard would block.
    pub allow_deletes: bool,
}

impl SyncRequest {
    pub fn new(client: ClientKey, trigger: Trigger) -> Self {
        Self {
            client,
            trigger,
            schedule_name: None,
            full: false,
            dry_run: false,
            allow_deletes: false,
        }
    }
}

/// Why a sync did not start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SyncRefusal {
    #[error("a sync of \"{client}\" is already running{}", job.map(|j| format!(" (job {j})")).unwrap_or_default())]
    AlreadyRunning { client: String, job: Option<JobId> },
    #[error(
        "the client \"{0}\" is inactive; activate it first (`usersync client edit NAME --active`)"
    )]
    Inactive(String),
    #[error("the client no longer exists")]
    NotFound,
    #[error("{0}")]
    Secret(String),
    #[error("{0}")]
    Store(String),
    #[error("the engine has stopped")]
    EngineStopped,
}

pub type StartReply = oneshot::Sender<Result<JobId, SyncRefusal>>;

/// What the UI or CLI asks of the engine.
pub enum Command {
    StartSync {
        request: SyncRequest,
        reply: Option<StartReply>,
    },
    /// Stops the job between pages; nothing is applied.
    Cancel(JobId),
}

/// What the engine reports.
#[derive(Clone, Debug)]
pub enum Event {
    JobStarted {
        job: JobId,
        client: ClientKey,
        client_name: String,
        kind: JobKind,
        trigger: Trigger,
    },
    JobProgress(Progress),
    JobFinished(JobOutcome),
    /// A sync request was refused (e.g. already running); for requests without a reply.
    SyncRefused {
        client: ClientKey,
        refusal: SyncRefusal,
    },
    /// Stored data changed (directory, jobs): views should reload.
    DataChanged,
}

type Waker = Arc<dyn Fn() + Send + Sync>;

/// State shared by the engine's tasks.
pub(crate) struct Shared {
    config: EngineConfig,
    events: mpsc::Sender<Event>,
    waker: Mutex<Option<Waker>>,
    locks: locks::ClientLocks,
}

impl Shared {
    fn wake(&self) {
        let waker = self.waker.lock().ok().and_then(|w| w.clone());
        if let Some(w) = waker {
            w();
        }
    }

    /// Important events wait for room; a full channel means the reader is slow, not gone.
    async fn emit(&self, event: Event) {
        let _ = self.events.send(event).await;
        self.wake();
    }

    /// Progress may be dropped when the reader is behind: the next one supersedes it.
    fn emit_progress(&self, event: Event) {
        if self.events.try_send(event).is_ok() {
            self.wake();
        }
    }

    fn open_store(&self) -> crate::store::Result<Store> {
        Store::open_in(&self.config.data_dir)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the background engine: {0}")]
    Start(#[from] std::io::Error),
}

/// The running engine, as seen by its owner.
pub struct EngineHandle {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<Event>,
    runtime: tokio::runtime::Handle,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    scheduler: scheduler::Scheduler,
}

/// Capacity of the command and event channels.
const CHANNEL_CAPACITY: usize = 256;

impl EngineHandle {
    /// Starts the engine thread. Jobs left `running` by a process that died are
    /// marked `interrupted` first (on the engine thread: never on the UI thread).
    pub fn start(config: EngineConfig) -> Result<EngineHandle, EngineError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("usersync-engine-worker")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (cmd_tx, cmd_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (ev_tx, ev_rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (stop_tx, stop_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            config,
            events: ev_tx,
            waker: Mutex::new(None),
            locks: locks::ClientLocks::default(),
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("usersync-engine".into())
            .spawn(move || {
                runtime.block_on(engine_main(thread_shared, cmd_rx, stop_rx));
                // Give running jobs a moment to record their end, then stop.
                runtime.shutdown_timeout(Duration::from_secs(2));
            })?;
        Ok(EngineHandle {
            commands: cmd_tx,
            events: ev_rx,
            runtime: handle,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
            scheduler: scheduler::Scheduler::default(),
        })
    }

    /// Called after every event (the GUI passes `ctx.request_repaint`).
    pub fn set_waker(&self, waker: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut w) = self.shared.waker.lock() {
            *w = Some(Arc::new(waker));
        }
    }

    /// Sends a command without waiting; false if the queue is full or the engine stopped.
    pub fn send(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// Starts a sync and returns a receiver for the answer (job id or refusal).
    pub fn start_sync(
        &self,
        request: SyncRequest,
    ) -> oneshot::Receiver<Result<JobId, SyncRefusal>> {
        let (tx, rx) = oneshot::channel();
        if let Err(
            mpsc::error::TrySendError::Full(Command::StartSync {
                reply: Some(reply), ..
            })
            | mpsc::error::TrySendError::Closed(Command::StartSync {
                reply: Some(reply), ..
            }),
        ) = self.commands.try_send(Command::StartSync {
            request,
            reply: Some(tx),
        }) {
            let _ = reply.send(Err(SyncRefusal::EngineStopped));
        }
        rx
    }

    pub fn cancel(&self, job: JobId) -> bool {
        self.send(Command::Cancel(job))
    }

    /// The next event, if any (the GUI drains these in `logic()`).
    pub fn try_event(&mut self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event (CLI). `None` once the engine has stopped.
    pub fn blocking_event(&mut self) -> Option<Event> {
        self.events.blocking_recv()
    }

    /// Waits for the next event up to `timeout` (CLI loops that also watch signals).
    pub fn event_timeout(&mut self, timeout: Duration) -> Option<Event> {
        let events = &mut self.events;
        self.runtime.block_on(async {
            tokio::time::timeout(timeout, events.recv())
                .await
                .ok()
                .flatten()
        })
    }

    /// The runtime, for one-shot requests (validate, load details) as promises.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Clients with a sync running in this process.
    pub fn running_clients(&self) -> Vec<ClientKey> {
        self.shared.locks.clients()
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.shared.config.data_dir
    }

    /// Starts the scheduler service on the engine runtime; `false` if it already runs.
    pub fn start_scheduler(&self, config: SchedulerConfig) -> bool {
        let (shared, commands) = (self.shared.clone(), self.commands.clone());
        self.scheduler
            .start(&self.runtime, shared, commands, config)
    }

    /// Stops the scheduler after its current tick (returns at once; running syncs go on).
    pub fn stop_scheduler(&self) {
        self.scheduler.stop();
    }

    /// On/off and what runs next, for a status bar (never blocks).
    pub fn scheduler_status(&self) -> SchedulerStatus {
        self.scheduler.status()
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.scheduler.stop();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn engine_main(
    shared: Arc<Shared>,
    mut commands: mpsc::Receiver<Command>,
    mut stop: oneshot::Receiver<()>,
) {
    let recovery = shared.clone();
    let recovered = tokio::task::spawn_blocking(move || {
        recovery
            .open_store()
            .and_then(|s| s.mark_interrupted_jobs())
    })
    .await;
    match recovered {
        Ok(Ok(jobs)) if !jobs.is_empty() => {
            tracing::warn!("marked {} job(s) interrupted: {:?}", jobs.len(), jobs);
            shared.emit(Event::DataChanged).await;
        }
        Ok(Err(e)) => tracing::warn!("could not check for interrupted jobs: {e}"),
        _ => {}
    }
    loop {
        tokio::select! {
            _ = &mut stop => break,
            cmd = commands.recv() => match cmd {
                None => break,
                Some(Command::StartSync { request, reply }) => {
                    job::spawn_sync(shared.clone(), request, reply);
                }
                Some(Command::Cancel(job)) => shared.locks.cancel(job),
            },
        }
    }
    // Stop running jobs between pages; they record `cancelled`.
    shared.locks.cancel_all();
    for _ in 0..40 {
        if shared.locks.clients().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
