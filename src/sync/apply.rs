//! Applying a plan: the directory rows, the new deltaLink, the job's counts and its
//! change list are written in ONE transaction, so a crash at any moment leaves the
//! directory exactly as before or exactly as after.

use crate::model::{ClientKey, JobCounts, JobId};
use crate::store::jobs::{ChangeRow, JobEnd, finish_job, insert_job_changes};
use crate::store::{Result, Store, StoreError, directory, sync_state};

use super::plan::{ChangeKind, Plan, PlanCounts};

/// What to do with a computed plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyMode {
    /// Write the directory and the new deltaLink.
    Apply,
    /// Record the plan in the job only (dry run, or blocked by the deletion guard);
    /// the directory and the old deltaLink stay.
    RecordOnly,
}

pub fn job_counts(c: &PlanCounts) -> JobCounts {
    let n = |v: usize| v as u64;
    JobCounts {
        added: n(c.added),
        updated: n(c.updated),
        disabled: n(c.disabled),
        enabled: n(c.enabled),
        deleted: n(c.deleted),
        restored: n(c.restored),
        manager_changed: n(c.manager_changed),
        unchanged: n(c.unchanged),
    }
}

/// Writes the outcome of a planned round.
#[allow(clippy::too_many_arguments)]
pub fn apply_plan(
    store: &mut Store,
    client: ClientKey,
    job: JobId,
    plan: &Plan,
    delta_link: &str,
    full: bool,
    mode: ApplyMode,
    end: &JobEnd,
) -> Result<()> {
    let now = crate::store::now_text();
    let tx = store
        .conn_mut()
        .transaction()
        .map_err(StoreError::from_sql)?;
    if mode == ApplyMode::Apply {
        directory::write_directory(&tx, client, &plan.upserts, &plan.purges, &now)?;
        sync_state::save_delta_link(&tx, client, delta_link, &now, full)?;
    }
    // Added users' values are in the directory itself; listing every field of every
    // new user would make a first sync of a large tenant write its directory twice.
    let mut fields_json: Vec<std::borrow::Cow<'static, str>> =
        Vec::with_capacity(plan.changes.len());
    for change in &plan.changes {
        let json = if change.kind == ChangeKind::Added || change.fields.is_empty() {
            std::borrow::Cow::Borrowed("[]")
        } else {
            std::borrow::Cow::Owned(
                serde_json::to_string(&change.fields)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            )
        };
        fields_json.push(json);
    }
    insert_job_changes(
        &tx,
        job,
        plan.changes
            .iter()
            .zip(&fields_json)
            .map(|(c, json)| ChangeRow {
                user_id: &c.user_id,
                label: &c.label,
                kind: c.kind.as_str(),
                fields_json: json.as_ref(),
            }),
    )?;
    finish_job(&tx, job, end)?;
    tx.commit().map_err(StoreError::from_sql)?;
    Ok(())
}
