//! The `schedules` and `schedule_fires` tables: saved CRON schedules, and one row per
//! schedule and fire time that a scheduler claimed (the primary key makes "each fire
//! time starts at most one job" hold across processes sharing the database).
//!
//! Expressions and zones are stored as written; `crate::schedule` checks them before
//! they are saved.

use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError, now_text, parse_time};
use crate::model::{ClientKey, JobId, JobStatus};

/// Identity of a saved schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ScheduleId(pub i64);

impl std::fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A saved schedule with its client's name and state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRecord {
    pub id: ScheduleId,
    pub client_key: ClientKey,
    pub client_name: String,
    pub client_active: bool,
    pub name: String,
    pub cron: String,
    pub timezone: String,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// When the client was last changed (activating a client does not replay the runs
    /// it missed while inactive).
    #[serde(skip)]
    pub client_updated_at: chrono::DateTime<chrono::Utc>,
}

/// A schedule about to be saved (already checked).
#[derive(Clone, Debug)]
pub struct NewSchedule<'a> {
    pub client_key: ClientKey,
    pub name: &'a str,
    pub cron: &'a str,
    pub timezone: &'a str,
    pub active: bool,
}

/// Changes to a schedule; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct ScheduleUpdate {
    pub name: Option<String>,
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub active: Option<bool>,
}

/// One claimed fire time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FireRecord {
    pub fire_time: chrono::DateTime<chrono::Utc>,
    pub claimed_at: chrono::DateTime<chrono::Utc>,
    pub claimed_by: String,
    pub catch_up: bool,
    pub job_id: Option<JobId>,
    pub job_status: Option<JobStatus>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleStoreError {
    #[error("the client \"{client}\" already has a schedule named \"{name}\"; choose another name")]
    DuplicateName { client: String, name: String },
    #[error("no schedule named \"{0}\" (see `usersync schedule list`)")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ScheduleStoreError {
    fn from(e: rusqlite::Error) -> Self {
        ScheduleStoreError::Store(StoreError::from_sql(e))
    }
}

pub type Result<T> = std::result::Result<T, ScheduleStoreError>;

/// Claimed fire times kept per schedule (older rows are pruned).
pub const FIRES_KEPT: u32 = 1000;

const SELECT: &str = "SELECT s.id, s.client_key, c.name, c.active, s.name, s.cron, s.timezone, \
     s.active, s.created_at, s.updated_at, c.updated_at \
     FROM schedules s JOIN clients c ON c.id = s.client_key";

fn row_to_schedule(
    row: &Row<'_>,
) -> rusqlite::Result<std::result::Result<ScheduleRecord, StoreError>> {
    let key: String = row.get(1)?;
    let created: String = row.get(8)?;
    let updated: String = row.get(9)?;
    let client_updated: String = row.get(10)?;
    let id = ScheduleId(row.get(0)?);
    let client_name: String = row.get(2)?;
    let client_active: bool = row.get(3)?;
    let name: String = row.get(4)?;
    let cron: String = row.get(5)?;
    let timezone: String = row.get(6)?;
    let active: bool = row.get(7)?;
    Ok((|| {
        Ok(ScheduleRecord {
            id,
            client_key: uuid::Uuid::parse_str(&key)
                .map(ClientKey)
                .map_err(|e| StoreError::Corrupt(format!("client id {key:?}: {e}")))?,
            client_name,
            client_active,
            name,
            cron,
            timezone,
            active,
            created_at: parse_time(&created)?,
            updated_at: parse_time(&updated)?,
            client_updated_at: parse_time(&client_updated)?,
        })
    })())
}

fn collect(
    rows: impl Iterator<Item = rusqlite::Result<std::result::Result<ScheduleRecord, StoreError>>>,
) -> Result<Vec<ScheduleRecord>> {
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

impl Store {
    /// Saves a new schedule. Names are unique per client, ignoring case.
    pub fn insert_schedule(&mut self, new: &NewSchedule<'_>) -> Result<ScheduleRecord> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from_sql)?;
        let client_name: Option<String> = tx
            .query_row(
                "SELECT name FROM clients WHERE id = ?1",
                [new.client_key.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let client_name =
            client_name.ok_or_else(|| StoreError::ClientNotFound(new.client_key.to_string()))?;
        let names: Vec<String> = tx
            .prepare("SELECT name FROM schedules WHERE client_key = ?1")?
            .query_map([new.client_key.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if names.iter().any(|n| same_name(n, new.name)) {
            return Err(ScheduleStoreError::DuplicateName {
                client: client_name,
                name: new.name.trim().to_string(),
            });
        }
        let now = now_text();
        tx.execute(
            "INSERT INTO schedules (client_key, name, cron, timezone, active, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![
                new.client_key.to_string(),
                new.name.trim(),
                new.cron.trim(),
                new.timezone.trim(),
                new.active,
                now
            ],
        )?;
        let id = ScheduleId(tx.last_insert_rowid());
        tx.commit().map_err(StoreError::from_sql)?;
        self.schedule_by_id(id)?
            .ok_or_else(|| ScheduleStoreError::NotFound(new.name.to_string()))
    }

    /// Every schedule (of one client, if given), by client then name.
    pub fn list_schedules(&self, client: Option<ClientKey>) -> Result<Vec<ScheduleRecord>> {
        let order = " ORDER BY c.name_key, lower(s.name)";
        match client {
            Some(key) => {
                let mut stmt = self
                    .conn
                    .prepare(&format!("{SELECT} WHERE s.client_key = ?1{order}"))?;
                let rows = stmt.query_map([key.to_string()], row_to_schedule)?;
                collect(rows)
            }
            None => {
                let mut stmt = self.conn.prepare(&format!("{SELECT}{order}"))?;
                let rows = stmt.query_map([], row_to_schedule)?;
                collect(rows)
            }
        }
    }

    /// Schedules with this name (ignoring case), of one client if given.
    pub fn find_schedules(
        &self,
        name: &str,
        client: Option<ClientKey>,
    ) -> Result<Vec<ScheduleRecord>> {
        Ok(self
            .list_schedules(client)?
            .into_iter()
            .filter(|s| same_name(&s.name, name))
            .collect())
    }

    pub fn schedule_by_id(&self, id: ScheduleId) -> Result<Option<ScheduleRecord>> {
        self.conn
            .query_row(
                &format!("{SELECT} WHERE s.id = ?1"),
                [id.0],
                row_to_schedule,
            )
            .optional()?
            .transpose()
            .map_err(Into::into)
    }

    /// Applies `update` (already checked) and returns the schedule as saved.
    pub fn update_schedule(
        &mut self,
        id: ScheduleId,
        update: &ScheduleUpdate,
    ) -> Result<ScheduleRecord> {
        let current = self
            .schedule_by_id(id)?
            .ok_or_else(|| ScheduleStoreError::NotFound(id.to_string()))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from_sql)?;
        let name = update
            .name
            .as_deref()
            .unwrap_or(&current.name)
            .trim()
            .to_string();
        if !same_name(&name, &current.name) {
            let names: Vec<String> = tx
                .prepare("SELECT name FROM schedules WHERE client_key = ?1 AND id != ?2")?
                .query_map(params![current.client_key.to_string(), id.0], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if names.iter().any(|n| same_name(n, &name)) {
                return Err(ScheduleStoreError::DuplicateName {
                    client: current.client_name,
                    name,
                });
            }
        }
        tx.execute(
            "UPDATE schedules SET name = ?2, cron = ?3, timezone = ?4, active = ?5, updated_at = ?6 \
             WHERE id = ?1",
            params![
                id.0,
                name,
                update.cron.as_deref().unwrap_or(&current.cron).trim(),
                update.timezone.as_deref().unwrap_or(&current.timezone).trim(),
                update.active.unwrap_or(current.active),
                now_text(),
            ],
        )?;
        tx.commit().map_err(StoreError::from_sql)?;
        self.schedule_by_id(id)?
            .ok_or_else(|| ScheduleStoreError::NotFound(id.to_string()))
    }

    /// Removes a schedule with its claimed fire times (jobs stay in the history).
    pub fn delete_schedule(&self, id: ScheduleId) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM schedules WHERE id = ?1", [id.0])?
            > 0)
    }

    /// Active schedules of active clients, each with its latest claimed fire time: what
    /// a scheduler looks at on every tick.
    pub fn runnable_schedules(
        &self,
    ) -> Result<Vec<(ScheduleRecord, Option<chrono::DateTime<chrono::Utc>>)>> {
        let schedules: Vec<ScheduleRecord> = self
            .list_schedules(None)?
            .into_iter()
            .filter(|s| s.active && s.client_active)
            .collect();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT MAX(fire_time) FROM schedule_fires WHERE schedule_id = ?1")?;
        let mut out = Vec::with_capacity(schedules.len());
        for s in schedules {
            let last: Option<String> = stmt.query_row([s.id.0], |r| r.get(0))?;
            let last = last.map(|t| parse_time(&t)).transpose()?;
            out.push((s, last));
        }
        Ok(out)
    }

    /// Claims one fire time of a schedule for this process. `false` when another
    /// scheduler (in this or another process) claimed it first.
    pub fn claim_fire(
        &self,
        schedule: ScheduleId,
        fire_time: chrono::DateTime<chrono::Utc>,
        claimed_by: &str,
        catch_up: bool,
    ) -> Result<bool> {
        let fire = crate::schedule::fire_time_text(fire_time);
        let inserted = self.conn.execute(
            "INSERT INTO schedule_fires (schedule_id, fire_time, claimed_at, claimed_by, catch_up) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (schedule_id, fire_time) DO NOTHING",
            params![schedule.0, fire, now_text(), claimed_by, catch_up],
        )?;
        if inserted == 1 {
            self.conn.execute(
                "DELETE FROM schedule_fires WHERE schedule_id = ?1 AND fire_time < \
                 (SELECT fire_time FROM schedule_fires WHERE schedule_id = ?1 \
                  ORDER BY fire_time DESC LIMIT 1 OFFSET ?2)",
                params![schedule.0, FIRES_KEPT - 1],
            )?;
        }
        Ok(inserted == 1)
    }

    /// Links a claimed fire time to the job it started (or the skipped job recorded).
    pub fn set_fire_job(
        &self,
        schedule: ScheduleId,
        fire_time: chrono::DateTime<chrono::Utc>,
        job: JobId,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE schedule_fires SET job_id = ?3 WHERE schedule_id = ?1 AND fire_time = ?2",
            params![
                schedule.0,
                crate::schedule::fire_time_text(fire_time),
                job.0
            ],
        )?;
        Ok(())
    }

    /// The newest claimed fire times of a schedule, newest first.
    pub fn recent_fires(&self, schedule: ScheduleId, limit: u32) -> Result<Vec<FireRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT f.fire_time, f.claimed_at, f.claimed_by, f.catch_up, f.job_id, j.status \
             FROM schedule_fires f LEFT JOIN jobs j ON j.id = f.job_id \
             WHERE f.schedule_id = ?1 ORDER BY f.fire_time DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![schedule.0, limit], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (fire, claimed, by, catch_up, job, status) = row?;
            out.push(FireRecord {
                fire_time: parse_time(&fire)?,
                claimed_at: parse_time(&claimed)?,
                claimed_by: by,
                catch_up,
                job_id: job.map(JobId),
                job_status: status.as_deref().and_then(JobStatus::parse),
            });
        }
        Ok(out)
    }

    /// The newest job of a client recorded for a schedule with this status (finds the
    /// `skipped` job the engine recorded for a refused scheduled run).
    pub fn latest_schedule_job(
        &self,
        client: ClientKey,
        schedule_name: &str,
        status: JobStatus,
    ) -> Result<Option<JobId>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM jobs WHERE client_key = ?1 AND schedule_name = ?2 AND status = ?3 \
                 ORDER BY id DESC LIMIT 1",
                params![client.to_string(), schedule_name, status.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .map(JobId))
    }
}
