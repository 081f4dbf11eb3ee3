//! The `jobs`, `job_log` and `job_changes` tables: the job history.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{Result, Store, StoreError, now_text, parse_time};
use crate::model::{
    ClientKey, JobChange, JobCounts, JobDetail, JobId, JobKind, JobLogLine, JobStatus, JobSummary,
    Trigger,
};

const COLUMNS: &str = "id, client_key, client_name, trigger, schedule_name, kind, status, \
     allow_deletes, started_at, finished_at, pages, users_read, added, updated, disabled, \
     enabled, deleted, restored, manager_changed, unchanged, error_code, error_message";

/// Default number of jobs kept per client.
pub const DEFAULT_JOB_RETENTION: u32 = 500;

/// A job about to start.
#[derive(Clone, Debug)]
pub struct NewJob<'a> {
    pub client_key: ClientKey,
    pub client_name: &'a str,
    pub trigger: Trigger,
    pub schedule_name: Option<&'a str>,
    pub kind: JobKind,
    pub allow_deletes: bool,
    pub status: JobStatus,
}

/// How a job ended.
#[derive(Clone, Debug, Default)]
pub struct JobEnd {
    pub status: Option<JobStatus>,
    pub kind: Option<JobKind>,
    pub pages: u64,
    pub users_read: u64,
    pub counts: JobCounts,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// Filter for the history list.
#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    pub client: Option<ClientKey>,
    pub status: Option<JobStatus>,
    pub limit: Option<u32>,
}

fn text_col<T>(row: &Row<'_>, i: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s: String = row.get(i)?;
    parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown value {s:?}").into(),
        )
    })
}

fn time_col(row: &Row<'_>, i: usize) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    let s: String = row.get(i)?;
    parse_time(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    })
}

fn row_to_summary(row: &Row<'_>) -> rusqlite::Result<JobSummary> {
    let key: Option<String> = row.get(1)?;
    let finished: Option<String> = row.get(9)?;
    Ok(JobSummary {
        id: JobId(row.get(0)?),
        client_key: key
            .and_then(|k| uuid::Uuid::parse_str(&k).ok())
            .map(ClientKey),
        client_name: row.get(2)?,
        trigger: text_col(row, 3, Trigger::parse)?,
        schedule_name: row.get(4)?,
        kind: text_col(row, 5, JobKind::parse)?,
        status: text_col(row, 6, JobStatus::parse)?,
        allow_deletes: row.get(7)?,
        started_at: time_col(row, 8)?,
        finished_at: match finished {
            Some(s) => Some(parse_time(&s).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, e.into())
            })?),
            None => None,
        },
        pages: row.get(10)?,
        users_read: row.get(11)?,
        counts: JobCounts {
            added: row.get(12)?,
            updated: row.get(13)?,
            disabled: row.get(14)?,
            enabled: row.get(15)?,
            deleted: row.get(16)?,
            restored: row.get(17)?,
            manager_changed: row.get(18)?,
            unchanged: row.get(19)?,
        },
        error_code: row.get(20)?,
        error_message: row.get(21)?,
    })
}

/// Whether the process that owns a running job is still alive. A job owned by a
/// process on another machine (a shared data directory) is assumed alive.
pub fn owner_alive(pid: Option<i64>, host: Option<&str>) -> bool {
    let Some(pid) = pid else { return false };
    if host.is_some_and(|h| h != this_host()) {
        return true;
    }
    if pid == i64::from(std::process::id()) {
        return true;
    }
    process_alive(pid)
}

#[cfg(unix)]
fn process_alive(pid: i64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // Signal 0 checks existence without sending anything; EPERM means it exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(windows)]
fn process_alive(pid: i64) -> bool {
    use windows_sys::Win32::Foundation::{
        CloseHandle, ERROR_ACCESS_DENIED, GetLastError, STILL_ACTIVE,
    };
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    let Ok(pid) = u32::try_from(pid) else {
        return false;
    };
    // SAFETY: plain Win32 calls on a handle this function opens and closes.
    unsafe {
        let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if handle.is_null() {
            // Another user's process still exists; anything else means it is gone.
            return GetLastError() == ERROR_ACCESS_DENIED;
        }
        let mut code = 0u32;
        let ok = GetExitCodeProcess(handle, &mut code) != 0;
        CloseHandle(handle);
        !ok || code == STILL_ACTIVE as u32
    }
}

#[cfg(not(any(unix, windows)))]
fn process_alive(_pid: i64) -> bool {
    // No check on this platform: assume alive, so two processes never run one client.
    true
}

/// How a job's changes are listed: most important kind first (the order of
/// `sync::plan::ChangeKind`), then by label and id. Rows are numbered as they were
/// staged, so the order is applied when reading.
pub const CHANGE_KIND_ORDER: [&str; 8] = [
    "purged",
    "deleted",
    "restored",
    "added",
    "disabled",
    "enabled",
    "managerChanged",
    "updated",
];

fn change_order() -> String {
    let ranks: String = CHANGE_KIND_ORDER
        .iter()
        .enumerate()
        .map(|(rank, kind)| format!(" WHEN '{kind}' THEN {rank}"))
        .collect();
    format!(
        "CASE kind{ranks} ELSE {} END, label, user_id",
        CHANGE_KIND_ORDER.len()
    )
}

pub fn this_host() -> String {
    std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_else(|_| "localhost".into())
}

#[derive(Debug, thiserror::Error)]
pub enum StartJobError {
    #[error("a sync of this client is already running (job {0})")]
    AlreadyRunning(JobId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Records a new job. For a `Running` job this also claims the client: if another
    /// live process runs a job for it, nothing is recorded and `AlreadyRunning` says
    /// which job. The check and the insert are one write transaction, so two
    /// processes cannot both win.
    pub fn start_job(&mut self, job: &NewJob<'_>) -> std::result::Result<JobId, StartJobError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from_sql)?;
        if job.status == JobStatus::Running {
            let mut stmt = tx
                .prepare(
                    "SELECT id, owner_pid, owner_host FROM jobs \
                     WHERE client_key = ?1 AND status = 'running'",
                )
                .map_err(StoreError::from)?;
            let running: Vec<(i64, Option<i64>, Option<String>)> = stmt
                .query_map([job.client_key.to_string()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .and_then(|rows| rows.collect())
                .map_err(StoreError::from)?;
            drop(stmt);
            for (id, pid, host) in running {
                if owner_alive(pid, host.as_deref()) {
                    return Err(StartJobError::AlreadyRunning(JobId(id)));
                }
                // Its process died: record that before starting anew.
                mark_one_interrupted(&tx, JobId(id))?;
            }
        }
        let now = now_text();
        let finished = (job.status != JobStatus::Running).then_some(now.as_str());
        tx.execute(
            "INSERT INTO jobs (client_key, client_name, trigger, schedule_name, kind, status, \
             allow_deletes, started_at, finished_at, owner_pid, owner_host) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                job.client_key.to_string(),
                job.client_name,
                job.trigger.as_str(),
                job.schedule_name,
                job.kind.as_str(),
                job.status.as_str(),
                job.allow_deletes,
                now,
                finished,
                i64::from(std::process::id()),
                this_host(),
            ],
        )
        .map_err(StoreError::from_sql)?;
        let id = JobId(tx.last_insert_rowid());
        tx.commit().map_err(StoreError::from_sql)?;
        Ok(id)
    }

    pub fn append_job_log(&self, job: JobId, level: &str, message: &str) -> Result<()> {
        append_job_log(&self.conn, job, level, message)
    }

    pub fn update_job_progress(&self, job: JobId, pages: u64, users_read: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET pages = ?2, users_read = ?3 WHERE id = ?1",
            params![job.0, pages, users_read],
        )?;
        Ok(())
    }

    pub fn finish_job(&self, job: JobId, end: &JobEnd) -> Result<()> {
        finish_job(&self.conn, job, end)
    }

    /// Jobs still `running` whose process is gone become `interrupted`. Returns them.
    pub fn mark_interrupted_jobs(&self) -> Result<Vec<JobId>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, owner_pid, owner_host FROM jobs WHERE status = 'running'")?;
        let running: Vec<(i64, Option<i64>, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for (id, pid, host) in running {
            let ours = pid == Some(i64::from(std::process::id()))
                && host.as_deref() == Some(this_host().as_str());
            if ours || !owner_alive(pid, host.as_deref()) {
                mark_one_interrupted(&self.conn, JobId(id))?;
                out.push(JobId(id));
            }
        }
        Ok(out)
    }

    /// Newest first.
    pub fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<JobSummary>> {
        let mut sql = format!("SELECT {COLUMNS} FROM jobs WHERE 1 = 1");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(c) = filter.client {
            args.push(Box::new(c.to_string()));
            sql.push_str(&format!(" AND client_key = ?{}", args.len()));
        }
        if let Some(s) = filter.status {
            args.push(Box::new(s.as_str()));
            sql.push_str(&format!(" AND status = ?{}", args.len()));
        }
        sql.push_str(" ORDER BY id DESC");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), row_to_summary)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn job_summary(&self, job: JobId) -> Result<Option<JobSummary>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                [job.0],
                row_to_summary,
            )
            .optional()?)
    }

    pub fn job_detail(&self, job: JobId) -> Result<Option<JobDetail>> {
        let Some(summary) = self.job_summary(job)? else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare("SELECT at, level, message FROM job_log WHERE job_id = ?1 ORDER BY seq")?;
        let log = stmt
            .query_map([job.0], |r| {
                Ok(JobLogLine {
                    at: time_col(r, 0)?,
                    level: r.get(1)?,
                    message: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT user_id, label, kind, fields FROM job_changes WHERE job_id = ?1 \
                 ORDER BY {}",
            change_order()
        ))?;
        let changes = stmt
            .query_map([job.0], |r| {
                let fields: String = r.get(3)?;
                Ok(JobChange {
                    user_id: r.get(0)?,
                    label: r.get(1)?,
                    kind: r.get(2)?,
                    fields: serde_json::from_str(&fields).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(JobDetail {
            summary,
            log,
            changes,
        }))
    }

    /// Keeps the newest `keep` finished jobs of a client; running ones are never removed.
    pub fn apply_job_retention(&self, client: ClientKey, keep: u32) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM jobs WHERE client_key = ?1 AND status != 'running' AND id NOT IN \
             (SELECT id FROM jobs WHERE client_key = ?1 ORDER BY id DESC LIMIT ?2)",
            params![client.to_string(), keep],
        )?)
    }

    pub fn job_retention(&self, client: ClientKey) -> Result<u32> {
        Ok(self
            .conn
            .query_row(
                "SELECT job_retention FROM clients WHERE id = ?1",
                [client.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(DEFAULT_JOB_RETENTION))
    }

    pub fn set_job_retention(&self, client: ClientKey, keep: u32) -> Result<()> {
        self.conn.execute(
            "UPDATE clients SET job_retention = ?2 WHERE id = ?1",
            params![client.to_string(), keep],
        )?;
        Ok(())
    }
}

fn mark_one_interrupted(conn: &Connection, job: JobId) -> Result<()> {
    conn.execute(
        "UPDATE jobs SET status = 'interrupted', finished_at = ?2, \
         error_message = COALESCE(error_message, 'The process running this job stopped before it finished; nothing of it was applied.') \
         WHERE id = ?1 AND status = 'running'",
        params![job.0, now_text()],
    )?;
    append_job_log(
        conn,
        job,
        "warn",
        "marked interrupted: its process ended before the job finished",
    )
}

pub fn append_job_log(conn: &Connection, job: JobId, level: &str, message: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO job_log (job_id, seq, at, level, message) VALUES (?1, \
         (SELECT COALESCE(MAX(seq), 0) + 1 FROM job_log WHERE job_id = ?1), ?2, ?3, ?4)",
        params![job.0, now_text(), level, message],
    )?;
    Ok(())
}

/// Records the job's end; usable inside the apply transaction.
pub fn finish_job(conn: &Connection, job: JobId, end: &JobEnd) -> Result<()> {
    let c = &end.counts;
    conn.execute(
        "UPDATE jobs SET status = COALESCE(?2, status), kind = COALESCE(?3, kind), \
         finished_at = ?4, pages = ?5, users_read = ?6, added = ?7, updated = ?8, \
         disabled = ?9, enabled = ?10, deleted = ?11, restored = ?12, manager_changed = ?13, \
         unchanged = ?14, error_code = ?15, error_message = ?16 WHERE id = ?1",
        params![
            job.0,
            end.status.map(JobStatus::as_str),
            end.kind.map(JobKind::as_str),
            now_text(),
            end.pages,
            end.users_read,
            c.added,
            c.updated,
            c.disabled,
            c.enabled,
            c.deleted,
            c.restored,
            c.manager_changed,
            c.unchanged,
            end.error_code,
            end.error_message,
        ],
    )?;
    Ok(())
}
