//! The end of a sync job, on a blocking thread: plan the fetched round against the
//! directory, weigh it against the deletion guard, and apply or record it.

use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::Shared;
use super::job::{Failure, GuardInfo};
use crate::graph::GraphError;
use crate::model::{ClientKey, DeletionGuard, JobCounts, JobId, JobKind, JobStatus};
use crate::store::jobs::JobEnd;
use crate::sync::apply::{ApplyMode, apply_plan, job_counts};
use crate::sync::fetch::FetchedRound;
use crate::sync::plan::{Plan, PlanInput, plan};

/// A complete round and what the job knows about it.
pub(super) struct Round {
    pub client_key: ClientKey,
    pub guard: DeletionGuard,
    pub job: JobId,
    pub kind: JobKind,
    pub pages: u64,
    pub users: u64,
    pub full: bool,
    pub fetched: FetchedRound,
    pub issuer: Option<String>,
    pub dry_run: bool,
    pub allow_deletes: bool,
}

/// Status, counts, the guard's numbers if it blocked, and the job's message.
pub(super) type Settled = (JobStatus, JobCounts, Option<GuardInfo>, Option<String>);

pub(super) fn plan_and_record(
    shared: &Shared,
    round: Round,
    cancel: &CancellationToken,
) -> Result<Settled, Failure> {
    let Round {
        client_key,
        guard: guard_cfg,
        job,
        kind,
        pages,
        users,
        full,
        fetched: round,
        issuer,
        dry_run,
        allow_deletes,
    } = round;
    let mut store = shared.open_store()?;
    let t_load = Instant::now();
    let total_active = store.count_active_users(client_key)?;
    // A full round compares against everything; an incremental one only needs the
    // rows it mentions (the rest are untouched).
    let existing = if full {
        store.load_directory(client_key)?
    } else {
        store.load_directory_subset(client_key, round.users.iter().map(|u| u.id()))?
    };
    let loaded_active = existing.values().filter(|u| !u.deleted).count();
    let planned: Plan = plan(PlanInput {
        existing: &existing,
        fetched: round.users,
        full,
        sso_issuer: issuer.as_deref(),
        others_active: total_active.saturating_sub(loaded_active),
    });
    let load_plan_ms = t_load.elapsed().as_millis();
    drop(existing);
    let limit = guard_cfg.limit_for(planned.counts.total_before);
    let blocked = planned.exceeds_guard(&guard_cfg, planned.counts.total_before)
        && !allow_deletes
        && !dry_run;
    let guard = blocked.then_some(GuardInfo {
        removals: planned.removals() as u64,
        limit: limit as u64,
        directory_size: planned.counts.total_before as u64,
    });
    let (status, mode, message) = if dry_run {
        (JobStatus::Succeeded, ApplyMode::RecordOnly, None)
    } else if let Some(g) = guard {
        (
            JobStatus::Blocked,
            ApplyMode::RecordOnly,
            Some(format!(
                "Blocked by the deletion guard: this sync would delete or disable {} of {} \
                 users, more than the limit of {} (at most {} users or {}% of the \
                 directory). Nothing was applied. Review the changes, then rerun with \
                 consent (\"Apply anyway\", or `usersync sync NAME --allow-deletes`).",
                g.removals, g.directory_size, g.limit, guard_cfg.max_users, guard_cfg.max_percent
            )),
        )
    } else {
        (JobStatus::Succeeded, ApplyMode::Apply, None)
    };
    if cancel.is_cancelled() {
        return Err(Failure::Graph(GraphError::cancelled()));
    }
    let counts = job_counts(&planned.counts);
    let summary = planned.changes_only_summary();
    let end = JobEnd {
        status: Some(status),
        kind: Some(kind),
        pages,
        users_read: users,
        counts,
        error_code: guard.map(|_| "DeletionGuard".to_string()),
        error_message: message,
    };
    let note = match (mode, dry_run) {
        (ApplyMode::Apply, _) => format!("applied: {summary}"),
        (ApplyMode::RecordOnly, true) => format!("dry run, not applied: {summary}"),
        (ApplyMode::RecordOnly, false) => format!("blocked, not applied: {summary}"),
    };
    if allow_deletes && planned.exceeds_guard(&guard_cfg, planned.counts.total_before) {
        store.append_job_log(
            job,
            "warn",
            &format!(
                "deletion guard exceeded ({} removals, limit {limit}); applied with explicit consent",
                planned.removals()
            ),
        )?;
    }
    let t_apply = Instant::now();
    apply_plan(
        &mut store,
        client_key,
        job,
        &planned,
        &round.delta_link,
        full,
        mode,
        &end,
    )?;
    let note = format!(
        "{note} (planned in {load_plan_ms} ms, saved in {} ms)",
        t_apply.elapsed().as_millis()
    );
    store.append_job_log(job, if guard.is_some() { "warn" } else { "info" }, &note)?;
    Ok((status, counts, guard, end.error_message))
}
