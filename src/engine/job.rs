//! One sync job from claim to record: sign in, fetch the round (with the 410 → full
//! resync fallback), plan, guard, apply — and what the history keeps of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Event, Shared, StartReply, SyncRefusal, SyncRequest, settle};
use crate::graph::{ErrorKind, GraphClient, GraphConfig, GraphError};
use crate::model::{Client, ClientKey, JobCounts, JobId, JobKind, JobStatus, Secret, Trigger};
use crate::secrets::{Backend, SecretStore};
use crate::store::StoreError;
use crate::store::jobs::{JobEnd, NewJob, StartJobError};
use crate::sync::fetch::{PIPELINE_DEPTH, fetch_round};
use crate::sync::stage::{RoundStager, StageError};

/// Where a running job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    SigningIn,
    Fetching,
    Planning,
    Applying,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::SigningIn => "signing in",
            Phase::Fetching => "reading users",
            Phase::Planning => "planning changes",
            Phase::Applying => "saving",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub job: JobId,
    pub client: ClientKey,
    pub phase: Phase,
    pub pages: u64,
    pub users: u64,
    pub elapsed_ms: u64,
}

/// The deletion guard's numbers for a blocked plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardInfo {
    pub removals: u64,
    pub limit: u64,
    pub directory_size: u64,
}

/// How a job ended.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobOutcome {
    pub job: JobId,
    pub client: ClientKey,
    pub client_name: String,
    pub status: JobStatus,
    pub kind: JobKind,
    pub trigger: Trigger,
    pub counts: JobCounts,
    pub pages: u64,
    pub users_read: u64,
    pub duration_ms: u64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub guard: Option<GuardInfo>,
}

/// Everything the job needs, loaded before it is recorded.
struct Prepared {
    client: Client,
    secret: Secret,
    delta_link: Option<String>,
    job: JobId,
}

/// Starts a job in the background (after claiming the client in this process).
pub(crate) fn spawn_sync(shared: Arc<Shared>, request: SyncRequest, reply: Option<StartReply>) {
    let client = request.client;
    let cancel = match shared.locks.claim(client) {
        Ok(c) => c,
        Err(job) => {
            tokio::spawn(async move {
                let refusal = refuse_running(&shared, &request, job).await;
                answer(&shared, reply, client, Err(refusal)).await;
            });
            return;
        }
    };
    tokio::spawn(async move {
        let prepared = prepare(&shared, &request).await;
        let prepared = match prepared {
            Ok(p) => p,
            Err(refusal) => {
                shared.locks.release(client);
                let refusal = match refusal {
                    SyncRefusal::AlreadyRunning { job, .. } => {
                        refuse_running(&shared, &request, job).await
                    }
                    other => other,
                };
                answer(&shared, reply, client, Err(refusal)).await;
                return;
            }
        };
        shared.locks.set_job(client, prepared.job);
        let job = prepared.job;
        answer(&shared, reply, client, Ok(job)).await;
        let outcome = run(&shared, &request, prepared, &cancel).await;
        shared.locks.release(client);
        shared.emit(Event::JobFinished(outcome)).await;
        shared.emit(Event::DataChanged).await;
    });
}

async fn answer(
    shared: &Shared,
    reply: Option<StartReply>,
    client: ClientKey,
    result: Result<JobId, SyncRefusal>,
) {
    match reply {
        Some(reply) => {
            let _ = reply.send(result);
        }
        None => {
            if let Err(refusal) = result {
                shared.emit(Event::SyncRefused { client, refusal }).await;
            }
        }
    }
}

/// "Already running"; a scheduled run that meets a running sync is recorded as skipped.
async fn refuse_running(
    shared: &Arc<Shared>,
    request: &SyncRequest,
    job: Option<JobId>,
) -> SyncRefusal {
    let shared2 = shared.clone();
    let req = request.clone();
    let name = tokio::task::spawn_blocking(move || -> Result<String, StoreError> {
        let mut store = shared2.open_store()?;
        let client = store.client_by_key(req.client)?;
        let name = client.map(|c| c.name).unwrap_or_default();
        if req.trigger == Trigger::Scheduled {
            let reason = match job {
                Some(j) => format!("skipped: a sync of this client is already running (job {j})"),
                None => "skipped: a sync of this client is already running".to_string(),
            };
            let skipped = store
                .start_job(&NewJob {
                    client_key: req.client,
                    client_name: &name,
                    trigger: req.trigger,
                    schedule_name: req.schedule_name.as_deref(),
                    kind: kind_for(&req, None),
                    allow_deletes: req.allow_deletes,
                    status: JobStatus::Skipped,
                })
                .map_err(|e| match e {
                    StartJobError::Store(s) => s,
                    StartJobError::AlreadyRunning(_) => StoreError::Busy,
                })?;
            store.append_job_log(skipped, "warn", &reason)?;
            store.finish_job(
                skipped,
                &JobEnd {
                    error_message: Some(reason),
                    ..JobEnd::default()
                },
            )?;
        }
        Ok(name)
    })
    .await
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default();
    if request.trigger == Trigger::Scheduled {
        shared.emit(Event::DataChanged).await;
    }
    SyncRefusal::AlreadyRunning { client: name, job }
}

fn kind_for(request: &SyncRequest, delta_link: Option<&str>) -> JobKind {
    if request.dry_run {
        JobKind::DryRun
    } else if request.full || delta_link.is_none() {
        JobKind::Full
    } else {
        JobKind::Incremental
    }
}

/// Loads the client and its secret and records the job (claiming the client across
/// processes). Any refusal here leaves no job behind.
async fn prepare(shared: &Arc<Shared>, request: &SyncRequest) -> Result<Prepared, SyncRefusal> {
    let shared = shared.clone();
    let request = request.clone();
    tokio::task::spawn_blocking(move || {
        let store_err = |e: StoreError| SyncRefusal::Store(e.to_string());
        let mut store = shared.open_store().map_err(store_err)?;
        let client = store
            .client_by_key(request.client)
            .map_err(store_err)?
            .ok_or(SyncRefusal::NotFound)?;
        if !client.active {
            return Err(SyncRefusal::Inactive(client.name));
        }
        let stored_backend = store
            .secret_backend(client.key)
            .map_err(store_err)?
            .and_then(|s| Backend::parse(&s))
            .unwrap_or(Backend::Os);
        if stored_backend != shared.config.backend {
            return Err(SyncRefusal::Secret(
                crate::secrets::SecretError::WrongBackend {
                    stored: stored_backend.as_str(),
                    current: shared.config.backend.as_str(),
                }
                .to_string(),
            ));
        }
        let secret = SecretStore::open(shared.config.backend, &shared.config.data_dir)
            .and_then(|s| s.require(client.key))
            .map_err(|e| SyncRefusal::Secret(e.to_string()))?;
        let delta_link = store
            .sync_state(client.key)
            .map_err(store_err)?
            .and_then(|s| s.delta_link);
        let kind = kind_for(&request, delta_link.as_deref());
        let job = store
            .start_job(&NewJob {
                client_key: client.key,
                client_name: &client.name,
                trigger: request.trigger,
                schedule_name: request.schedule_name.as_deref(),
                kind,
                allow_deletes: request.allow_deletes,
                status: JobStatus::Running,
            })
            .map_err(|e| match e {
                StartJobError::AlreadyRunning(job) => SyncRefusal::AlreadyRunning {
                    client: client.name.clone(),
                    job: Some(job),
                },
                StartJobError::Store(e) => store_err(e),
            })?;
        Ok(Prepared {
            client,
            secret,
            delta_link,
            job,
        })
    })
    .await
    .unwrap_or(Err(SyncRefusal::EngineStopped))
}

/// A job's running record: log lines go to the database as they happen.
struct Recorder {
    shared: Arc<Shared>,
    job: JobId,
    client: ClientKey,
    started: Instant,
    pages: u64,
    users: u64,
    /// Pages and users read so far, also for a round that did not complete.
    seen: Arc<(AtomicU64, AtomicU64)>,
}

impl Recorder {
    async fn log(&self, level: &'static str, message: String) {
        match level {
            "error" => tracing::error!(job = %self.job, "{message}"),
            "warn" => tracing::warn!(job = %self.job, "{message}"),
            _ => tracing::info!(job = %self.job, "{message}"),
        }
        let shared = self.shared.clone();
        let job = self.job;
        let _ = tokio::task::spawn_blocking(move || {
            shared
                .open_store()
                .and_then(|s| s.append_job_log(job, level, &message))
        })
        .await;
    }

    fn progress(&self, phase: Phase) {
        self.shared.emit_progress(Event::JobProgress(Progress {
            job: self.job,
            client: self.client,
            phase,
            pages: self.pages,
            users: self.users,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
        }));
    }
}

pub(super) enum Failure {
    Graph(GraphError),
    Store(StoreError),
}

impl From<GraphError> for Failure {
    fn from(e: GraphError) -> Self {
        Failure::Graph(e)
    }
}

impl From<StageError> for Failure {
    fn from(e: StageError) -> Self {
        match e {
            StageError::Graph(e) => Failure::Graph(e),
            StageError::Store(e) => Failure::Store(e),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

async fn run(
    shared: &Arc<Shared>,
    request: &SyncRequest,
    prepared: Prepared,
    cancel: &CancellationToken,
) -> JobOutcome {
    let Prepared {
        client,
        secret,
        delta_link,
        job,
    } = prepared;
    let mut rec = Recorder {
        shared: shared.clone(),
        job,
        client: client.key,
        started: Instant::now(),
        pages: 0,
        users: 0,
        seen: Arc::default(),
    };
    let mut outcome = JobOutcome {
        job,
        client: client.key,
        client_name: client.name.clone(),
        status: JobStatus::Running,
        kind: kind_for(request, delta_link.as_deref()),
        trigger: request.trigger,
        counts: JobCounts::default(),
        pages: 0,
        users_read: 0,
        duration_ms: 0,
        error_code: None,
        error_message: None,
        guard: None,
    };
    shared
        .emit(Event::JobStarted {
            job,
            client: client.key,
            client_name: client.name.clone(),
            kind: outcome.kind,
            trigger: request.trigger,
        })
        .await;
    let result = sync_once(
        &mut rec,
        request,
        &client,
        secret,
        delta_link,
        cancel,
        &mut outcome,
    )
    .await;
    if rec.pages == 0 {
        rec.pages = rec.seen.0.load(Ordering::Relaxed);
        rec.users = rec.seen.1.load(Ordering::Relaxed);
    }
    outcome.pages = rec.pages;
    outcome.users_read = rec.users;
    outcome.duration_ms = rec.started.elapsed().as_millis() as u64;
    if let Err(failure) = result {
        let (status, code, message) = match &failure {
            Failure::Graph(e) if e.kind() == ErrorKind::Cancelled => (
                JobStatus::Cancelled,
                None,
                "Cancelled; nothing was applied.".to_string(),
            ),
            Failure::Graph(e) => (
                JobStatus::Failed,
                e.code().map(str::to_string),
                e.to_string(),
            ),
            Failure::Store(e) => (JobStatus::Failed, None, format!("saving failed: {e}")),
        };
        outcome.status = status;
        outcome.error_code = code.clone();
        outcome.error_message = Some(message.clone());
        rec.log(
            if status == JobStatus::Cancelled {
                "warn"
            } else {
                "error"
            },
            message.clone(),
        )
        .await;
        let end = JobEnd {
            status: Some(status),
            kind: Some(outcome.kind),
            pages: rec.pages,
            users_read: rec.users,
            counts: JobCounts::default(),
            error_code: code,
            error_message: Some(message),
        };
        let shared2 = shared.clone();
        let _ = tokio::task::spawn_blocking(move || {
            shared2.open_store().and_then(|s| s.finish_job(job, &end))
        })
        .await;
    }
    retention(shared, client.key).await;
    outcome
}

async fn retention(shared: &Arc<Shared>, client: ClientKey) {
    let shared = shared.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let store = shared.open_store()?;
        let keep = store.job_retention(client)?;
        store.apply_job_retention(client, keep)
    })
    .await;
}

#[allow(clippy::too_many_arguments)]
async fn sync_once(
    rec: &mut Recorder,
    request: &SyncRequest,
    client: &Client,
    secret: Secret,
    delta_link: Option<String>,
    cancel: &CancellationToken,
    outcome: &mut JobOutcome,
) -> Result<(), Failure> {
    let tuning = &rec.shared.config.graph;
    let mut cfg = GraphConfig::new(
        client.cloud.endpoints(),
        client.tenant_id.clone(),
        client.client_id.clone(),
        secret,
    );
    cfg.retry = tuning.retry;
    cfg.request_timeout = tuning.request_timeout;
    cfg.max_page_size = tuning.max_page_size;
    let graph = GraphClient::new(cfg)?;

    rec.progress(Phase::SigningIn);
    let mut start = if request.full { None } else { delta_link };
    rec.log(
        "info",
        match (&start, request.dry_run) {
            (None, false) => "full sync: reading every user (fresh delta round)".to_string(),
            (Some(_), false) => "incremental sync: reading changes since the last sync".to_string(),
            (None, true) => {
                "dry run (full round): the plan is recorded, nothing is applied".to_string()
            }
            (Some(_), true) => {
                "dry run (incremental): the plan is recorded, nothing is applied".to_string()
            }
        },
    )
    .await;
    let issuer = if client.azure_sso {
        let issuer = graph.sso_issuer(cancel).await?;
        rec.log(
            "info",
            format!("Azure SSO client: users carry issuer {issuer}"),
        )
        .await;
        Some(issuer)
    } else {
        None
    };

    rec.progress(Phase::Fetching);
    let mut restarted = false;
    let (stager, delta_link) = loop {
        let full = start.is_none();
        match stage_round(rec, &graph, start.as_deref(), full, issuer.clone(), cancel).await {
            Ok(round) => break round,
            // A fresh round whose page tokens expired mid-way starts over, once.
            Err(Failure::Graph(e)) if e.kind() == ErrorKind::DeltaExpired && full && !restarted => {
                rec.log(
                    "warn",
                    "the round's page links expired mid-round (410 Gone); starting the full round again".to_string(),
                )
                .await;
                restarted = true;
            }
            Err(Failure::Graph(e)) if e.kind() == ErrorKind::DeltaExpired && !full => {
                rec.log(
                    "warn",
                    format!(
                        "the saved deltaLink is no longer valid (410 Gone{}); running a full resync",
                        e.code().map(|c| format!(", {c}")).unwrap_or_default()
                    ),
                )
                .await;
                start = None;
                if !request.dry_run {
                    outcome.kind = JobKind::Full;
                }
            }
            Err(e) => return Err(e),
        }
    };
    (rec.pages, rec.users) = stager.read();
    rec.log(
        "info",
        format!("read {} users in {} pages", rec.users, rec.pages),
    )
    .await;
    if cancel.is_cancelled() {
        return Err(GraphError::cancelled().into());
    }

    rec.progress(Phase::Planning);
    let (job, pages, users) = (rec.job, rec.pages, rec.users);
    let req = request.clone();
    let guard_cfg = client.guard;
    let kind = outcome.kind;
    let cancel2 = cancel.clone();
    let (status, counts, guard, summary) = tokio::task::spawn_blocking(move || {
        settle::plan_and_record(
            settle::Round {
                guard: guard_cfg,
                job,
                kind,
                pages,
                users,
                stager,
                delta_link,
                dry_run: req.dry_run,
                allow_deletes: req.allow_deletes,
            },
            &cancel2,
        )
    })
    .await
    .map_err(|_| Failure::Graph(GraphError::cancelled()))??;
    outcome.status = status;
    outcome.counts = counts;
    outcome.guard = guard;
    outcome.error_message = summary;
    if guard.is_some() {
        outcome.error_code = Some("DeletionGuard".into());
    }
    Ok(())
}

/// One delta round, fetched on this task and staged page by page on a blocking thread
/// (its own connection) while the next page is in flight. Returns the staged round and
/// its new deltaLink.
async fn stage_round(
    rec: &Recorder,
    graph: &GraphClient,
    start: Option<&str>,
    full: bool,
    issuer: Option<String>,
    cancel: &CancellationToken,
) -> Result<(RoundStager, String), Failure> {
    let (shared, client, job, started) = (rec.shared.clone(), rec.client, rec.job, rec.started);
    let stager = tokio::task::spawn_blocking(move || -> Result<RoundStager, StoreError> {
        RoundStager::new(shared.open_store()?, client, full, issuer)
    })
    .await
    .map_err(|_| Failure::Graph(GraphError::cancelled()))??;
    let (tx, mut rx) = mpsc::channel::<Bytes>(PIPELINE_DEPTH);
    let (shared, seen, stage_cancel) = (rec.shared.clone(), rec.seen.clone(), cancel.clone());
    let staging = tokio::task::spawn_blocking(move || -> Result<RoundStager, StageError> {
        let mut stager = stager;
        let mut last_saved = Instant::now();
        while let Some(body) = rx.blocking_recv() {
            if stage_cancel.is_cancelled() {
                break;
            }
            stager.add_page(&body)?;
            let (pages, users) = stager.read();
            seen.0.store(pages, Ordering::Relaxed);
            seen.1.store(users, Ordering::Relaxed);
            // Other processes (the GUI, `jobs list`) see a running job's progress too.
            if last_saved.elapsed() >= std::time::Duration::from_secs(2) {
                last_saved = Instant::now();
                let _ = stager.store().update_job_progress(job, pages, users);
            }
            shared.emit_progress(Event::JobProgress(Progress {
                job,
                client,
                phase: Phase::Fetching,
                pages,
                users,
                elapsed_ms: started.elapsed().as_millis() as u64,
            }));
        }
        Ok(stager)
    });
    let fetched = fetch_round(graph, start, cancel, tx, |_| {}).await;
    let stager = match staging.await {
        Ok(Ok(stager)) => stager,
        // The stager's failure is the cause; the fetcher only saw it stop.
        Ok(Err(e)) => return Err(e.into()),
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => return Err(GraphError::cancelled().into()),
    };
    Ok((stager, fetched?))
}
