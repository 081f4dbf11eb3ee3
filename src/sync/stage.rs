//! A round planned page by page: each page is parsed, planned against the rows it
//! mentions and staged (`store/staging.rs`) while the next page is in flight, so what is
//! left after the last page is small — the soft-deletes of a full round, the counts, and
//! one set-based copy in one transaction ([`StagedRound::apply`]).
//!
//! The result is exactly what [`plan`] computes over the whole round: a user who
//! appears again on a later page is planned again from all its entries (kept as Graph
//! sent them) and replaces what was staged for it. Memory stays proportional to a page
//! plus the ids seen so far, not to the tenant.

use std::collections::HashSet;

use rusqlite::TransactionBehavior;

use super::plan::{Aspects, ChangeKind, Plan, PlanCounts, PlanInput, UserChange, plan};
use crate::graph::{GraphError, parse_delta_entries, parse_delta_entry};
use crate::model::{ClientKey, DirectoryUser, FetchedUser, JobCounts, JobId};
use crate::store::jobs::{JobEnd, finish_job};
use crate::store::staging::{self, StagedChange};
use crate::store::{Store, StoreError, sync_state};

/// Why staging a page failed.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for StageError {
    fn from(e: rusqlite::Error) -> Self {
        StageError::Store(StoreError::from(e))
    }
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

/// A change as the job history keeps it.
pub fn staged_change(change: &UserChange) -> Result<StagedChange, StoreError> {
    // Added users' values are in the directory itself; listing every field of every new
    // user would make a first sync write its directory twice.
    let fields = if change.kind == ChangeKind::Added || change.fields.is_empty() {
        "[]".to_owned()
    } else {
        serde_json::to_string(&change.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?
    };
    Ok(StagedChange {
        user_id: change.user_id.clone(),
        rank: change.kind.rank(),
        label: change.label.clone(),
        kind: change.kind.as_str().to_owned(),
        fields,
        aspects: change.aspects.0,
    })
}

/// What to do with a planned round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyMode {
    /// Write the directory and the new deltaLink.
    Apply,
    /// Record the plan in the job only (dry run, or blocked by the deletion guard);
    /// the directory and the old deltaLink stay.
    RecordOnly,
}

/// A round being staged on its own connection.
pub struct RoundStager {
    store: Store,
    client: ClientKey,
    full: bool,
    sso_issuer: Option<String>,
    /// Ids with at least one entry so far.
    seen: HashSet<String>,
    next_ord: i64,
    pages: u64,
    users: u64,
}

impl RoundStager {
    /// `full`: a fresh `/users/delta` round; `sso_issuer`: see [`PlanInput::sso_issuer`].
    pub fn new(
        store: Store,
        client: ClientKey,
        full: bool,
        sso_issuer: Option<String>,
    ) -> Result<Self, StoreError> {
        staging::create(store.conn())?;
        Ok(Self {
            store,
            client,
            full,
            sso_issuer,
            seen: HashSet::new(),
            next_ord: 0,
            pages: 0,
            users: 0,
        })
    }

    /// Pages and entries staged so far.
    pub fn read(&self) -> (u64, u64) {
        (self.pages, self.users)
    }

    /// The store this round is staged on (for progress notes between pages).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Parses one page body and stages what it changes.
    pub fn add_page(&mut self, body: &[u8]) -> Result<(), StageError> {
        let entries = parse_delta_entries(body)?;
        self.pages += 1;
        self.users += entries.len() as u64;
        let conn = self.store.conn();
        let tx = conn.unchecked_transaction()?;
        let mut fresh: Vec<FetchedUser> = Vec::with_capacity(entries.len());
        let mut again: Vec<String> = Vec::new();
        for (entry, json) in entries {
            let id = entry.id();
            if id.is_empty() {
                continue; // identifies no one (the plan skips it too)
            }
            staging::insert_entry(conn, id, self.next_ord, json)?;
            self.next_ord += 1;
            if self.seen.contains(id) {
                if !again.iter().any(|a| a == id) {
                    again.push(id.to_owned());
                }
            } else {
                fresh.push(entry);
            }
        }
        for entry in &fresh {
            if !self.seen.contains(entry.id()) {
                self.seen.insert(entry.id().to_owned());
            }
        }
        let existing = self
            .store
            .load_directory_subset(self.client, fresh.iter().map(FetchedUser::id))?;
        self.stage(&plan(self.input(&existing, fresh)))?;
        for id in again {
            staging::unstage(conn, &id)?;
            let entries = staging::entries_of(conn, &id)?
                .iter()
                .map(|json| parse_delta_entry(json))
                .collect::<Result<Vec<_>, _>>()?;
            let existing = self
                .store
                .load_directory_subset(self.client, [id.as_str()])?;
            self.stage(&plan(self.input(&existing, entries)))?;
        }
        tx.commit()?;
        Ok(())
    }

    fn input<'a>(
        &'a self,
        existing: &'a std::collections::HashMap<String, DirectoryUser>,
        fetched: Vec<FetchedUser>,
    ) -> PlanInput<'a> {
        PlanInput {
            existing,
            fetched,
            full: self.full,
            sso_issuer: self.sso_issuer.as_deref(),
            others_active: 0,
        }
    }

    fn stage(&self, planned: &Plan) -> Result<(), StageError> {
        let conn = self.store.conn();
        for user in &planned.upserts {
            staging::stage_user(conn, user)?;
        }
        for id in &planned.purges {
            staging::stage_purge(conn, id)?;
        }
        for change in &planned.changes {
            staging::stage_change(conn, &staged_change(change)?)?;
        }
        Ok(())
    }

    /// After the last page: a full round soft-deletes the active users it did not list;
    /// then the counts.
    pub fn finish(self) -> Result<StagedRound, StageError> {
        let conn = self.store.conn();
        if self.full {
            let tx = conn.unchecked_transaction()?;
            let unseen = staging::unseen_active_ids(conn, self.client)?;
            // In slices, so that a round that lost the whole directory stays small.
            for ids in unseen.chunks(2_000) {
                let existing = self
                    .store
                    .load_directory_subset(self.client, ids.iter().map(String::as_str))?;
                self.stage(&plan(self.input(&existing, Vec::new())))?;
            }
            tx.commit()?;
        }
        let mut counts = PlanCounts::default();
        let mut stayed_and_changed = 0;
        for (aspects, n) in staging::aspect_counts(conn)? {
            counts.add(Aspects(aspects), n);
            if aspects & Aspects::STAYED_CHANGED != 0 {
                stayed_and_changed += n;
            }
        }
        counts.close(
            self.store.count_active_users(self.client)?,
            stayed_and_changed,
        );
        Ok(StagedRound {
            store: self.store,
            client: self.client,
            full: self.full,
            counts,
        })
    }
}

/// A completely staged round, ready to be applied or recorded.
pub struct StagedRound {
    store: Store,
    client: ClientKey,
    full: bool,
    pub counts: PlanCounts,
}

impl StagedRound {
    /// The rows, purges and change list the apply will write (for checks and tests).
    pub fn staged(&self) -> Result<StagedContents, StoreError> {
        let conn = self.store.conn();
        Ok(StagedContents {
            upserts: staging::staged_users(conn)?,
            purges: staging::staged_purges(conn)?,
            changes: staging::staged_changes(conn)?,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// In ONE transaction: with [`ApplyMode::Apply`] the directory rows and the new
    /// deltaLink; always the job's change list and its end (`end`). A crash at any
    /// moment leaves the directory exactly as before or exactly as after. Returns the
    /// connection, for the job's last log line.
    pub fn apply(
        mut self,
        job: JobId,
        delta_link: &str,
        mode: ApplyMode,
        end: &JobEnd,
    ) -> Result<Store, StoreError> {
        let now = crate::store::now_text();
        let (client, full) = (self.client, self.full);
        // The copy touches every page of a large directory: a bigger cache for this one
        // statement halves its time (measured with 100,000 users), and the connection
        // closes right after.
        self.store
            .conn()
            .pragma_update(Some("main"), "cache_size", -65_536)
            .map_err(StoreError::from_sql)?;
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from_sql)?;
        if mode == ApplyMode::Apply {
            staging::copy_staged_users(&tx, client, &now)?;
            sync_state::save_delta_link(&tx, client, delta_link, &now, full)?;
        }
        staging::copy_staged_changes(&tx, job)?;
        finish_job(&tx, job, end)?;
        tx.commit().map_err(StoreError::from_sql)?;
        Ok(self.store)
    }
}

/// What a staged round holds, in the order it is written.
#[derive(Debug, PartialEq, Eq)]
pub struct StagedContents {
    pub upserts: Vec<DirectoryUser>,
    pub purges: Vec<String>,
    pub changes: Vec<StagedChange>,
}
