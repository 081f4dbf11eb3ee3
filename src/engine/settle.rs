//! The end of a sync job, on a blocking thread: finish the staged round (a full
//! round's soft-deletes, the counts), weigh it against the deletion guard, and apply or
//! record it.

use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::job::{Failure, GuardInfo};
use crate::graph::GraphError;
use crate::model::{DeletionGuard, JobCounts, JobId, JobKind, JobStatus};
use crate::store::jobs::JobEnd;
use crate::sync::stage::{ApplyMode, RoundStager, job_counts};

/// A complete round and what the job knows about it.
pub(super) struct Round {
    pub guard: DeletionGuard,
    pub job: JobId,
    pub kind: JobKind,
    pub pages: u64,
    pub users: u64,
    pub stager: RoundStager,
    pub delta_link: String,
    pub dry_run: bool,
    pub allow_deletes: bool,
}

/// Status, counts, the guard's numbers if it blocked, and the job's message.
pub(super) type Settled = (JobStatus, JobCounts, Option<GuardInfo>, Option<String>);

pub(super) fn plan_and_record(
    round: Round,
    cancel: &CancellationToken,
) -> Result<Settled, Failure> {
    let Round {
        guard: guard_cfg,
        job,
        kind,
        pages,
        users,
        stager,
        delta_link,
        dry_run,
        allow_deletes,
    } = round;
    let t_finish = Instant::now();
    let staged = stager.finish()?;
    let finish_ms = t_finish.elapsed().as_millis();
    let planned = staged.counts;
    let limit = guard_cfg.limit_for(planned.total_before);
    let blocked =
        planned.exceeds_guard(&guard_cfg, planned.total_before) && !allow_deletes && !dry_run;
    let guard = blocked.then_some(GuardInfo {
        removals: planned.removals() as u64,
        limit: limit as u64,
        directory_size: planned.total_before as u64,
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
    let counts = job_counts(&planned);
    let summary = planned.changes_summary();
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
    if allow_deletes && planned.exceeds_guard(&guard_cfg, planned.total_before) {
        staged.store().append_job_log(
            job,
            "warn",
            &format!(
                "deletion guard exceeded ({} removals, limit {limit}); applied with explicit consent",
                planned.removals()
            ),
        )?;
    }
    let t_apply = Instant::now();
    let store = staged.apply(job, &delta_link, mode, &end)?;
    let note = format!(
        "{note} (after the last page: {finish_ms} ms to finish the plan, {} ms to save)",
        t_apply.elapsed().as_millis()
    );
    store.append_job_log(job, if guard.is_some() { "warn" } else { "info" }, &note)?;
    Ok((status, counts, guard, end.error_message))
}
