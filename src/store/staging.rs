//! Scratch tables for a sync round in progress: SQLite TEMP tables of the job's own
//! connection, filled page by page while the next page is in flight. They vanish with
//! the connection, so a killed or failed sync leaves nothing behind; the real tables are
//! written once, at the end, by set-based copies ([`copy_staged_users`],
//! [`copy_staged_changes`]) inside the caller's one transaction.

use rusqlite::{Connection, params};

use super::directory::{COLUMNS, row_to_user};
use super::{Result, StoreError};
use crate::model::{ClientKey, DirectoryUser, JobId};

/// Creates (or empties) the scratch tables on this connection.
pub fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.staged_entries;
         DROP TABLE IF EXISTS temp.staged_users;
         DROP TABLE IF EXISTS temp.staged_purges;
         DROP TABLE IF EXISTS temp.staged_changes;
         -- Every entry of the round as Graph sent it, in arrival order: a user who
         -- appears again on a later page is folded with all its earlier entries.
         -- Tables are appended to in arrival order (ids are random, and inserting in
         -- id order into large tables would thrash the cache); small indexes find ids.
         CREATE TEMP TABLE staged_entries (
             ord   INTEGER PRIMARY KEY,
             id    TEXT NOT NULL,
             entry TEXT NOT NULL
         );
         CREATE INDEX temp.staged_entries_id ON staged_entries (id);
         -- The planned new state of each row that changes (directory_users' columns).
         CREATE TEMP TABLE staged_users (
             object_id TEXT NOT NULL UNIQUE, display_name TEXT, given_name TEXT, surname TEXT,
             user_principal_name TEXT, mail TEXT, job_title TEXT, department TEXT,
             office_location TEXT, company_name TEXT, employee_id TEXT, mobile_phone TEXT,
             business_phones TEXT NOT NULL, city TEXT, country TEXT, user_type TEXT,
             account_enabled INTEGER, manager_id TEXT, sso_issuer TEXT, sso_subject TEXT,
             sso_login TEXT, deleted INTEGER NOT NULL
         );
         CREATE TEMP TABLE staged_purges (object_id TEXT PRIMARY KEY) WITHOUT ROWID;
         -- One change per user; `rank` orders kinds most important first.
         CREATE TEMP TABLE staged_changes (
             user_id TEXT NOT NULL UNIQUE,
             rank    INTEGER NOT NULL,
             label   TEXT NOT NULL,
             kind    TEXT NOT NULL,
             fields  TEXT NOT NULL,
             aspects INTEGER NOT NULL
         );
         -- Scratch data: no rollback journal (a failed round drops it all), and a
         -- cache that holds the indexes and recent pages of a 100,000-user round.
         PRAGMA temp.journal_mode = OFF;
         PRAGMA temp.cache_size = -32768;",
    )?;
    Ok(())
}

pub fn insert_entry(conn: &Connection, id: &str, ord: i64, entry: &str) -> Result<()> {
    conn.prepare_cached("INSERT INTO temp.staged_entries (id, ord, entry) VALUES (?1, ?2, ?3)")?
        .execute(params![id, ord, entry])?;
    Ok(())
}

/// Every entry of one id so far, in arrival order.
pub fn entries_of(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT entry FROM temp.staged_entries WHERE id = ?1 ORDER BY ord")?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(StoreError::from)
}

/// Forgets what was planned for one id (before it is planned again).
pub fn unstage(conn: &Connection, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM temp.staged_users WHERE object_id = ?1",
        "DELETE FROM temp.staged_purges WHERE object_id = ?1",
        "DELETE FROM temp.staged_changes WHERE user_id = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([id])?;
    }
    Ok(())
}

pub fn stage_user(conn: &Connection, u: &DirectoryUser) -> Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "INSERT INTO temp.staged_users ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
         ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    ))?;
    let a = &u.attributes;
    let phones = serde_json::to_string(&a.business_phones)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sso = u.sso.as_ref();
    stmt.execute(params![
        u.id,
        a.display_name,
        a.given_name,
        a.surname,
        a.user_principal_name,
        a.mail,
        a.job_title,
        a.department,
        a.office_location,
        a.company_name,
        a.employee_id,
        a.mobile_phone,
        phones,
        a.city,
        a.country,
        a.user_type,
        a.account_enabled,
        u.manager_id,
        sso.map(|s| &s.issuer),
        sso.map(|s| &s.subject),
        sso.map(|s| &s.login),
        u.deleted,
    ])?;
    Ok(())
}

pub fn stage_purge(conn: &Connection, id: &str) -> Result<()> {
    conn.prepare_cached("INSERT INTO temp.staged_purges (object_id) VALUES (?1)")?
        .execute([id])?;
    Ok(())
}

/// One change row as staged and as the job history will keep it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedChange {
    pub user_id: String,
    pub rank: u8,
    pub label: String,
    pub kind: String,
    /// JSON array of `{field, before, after}`.
    pub fields: String,
    pub aspects: u16,
}

pub fn stage_change(conn: &Connection, c: &StagedChange) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO temp.staged_changes (user_id, rank, label, kind, fields, aspects) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        c.user_id, c.rank, c.label, c.kind, c.fields, c.aspects
    ])?;
    Ok(())
}

/// Active users of the client's directory that no entry of the round mentioned.
pub fn unseen_active_ids(conn: &Connection, client: ClientKey) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT object_id FROM main.directory_users d WHERE client_key = ?1 AND deleted = 0 \
         AND NOT EXISTS (SELECT 1 FROM temp.staged_entries e WHERE e.id = d.object_id)",
    )?;
    let rows = stmt.query_map([client.to_string()], |r| r.get(0))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(StoreError::from)
}

/// How many staged changes carry each combination of aspects.
pub fn aspect_counts(conn: &Connection) -> Result<Vec<(u16, usize)>> {
    let mut stmt =
        conn.prepare("SELECT aspects, count(*) FROM temp.staged_changes GROUP BY aspects")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, u16>(0)?,
            usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        ))
    })?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(StoreError::from)
}

/// The staged rows, by id (what the copy will write).
pub fn staged_users(conn: &Connection) -> Result<Vec<DirectoryUser>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM temp.staged_users ORDER BY object_id"
    ))?;
    let rows = stmt.query_map([], row_to_user)?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(StoreError::from)
}

pub fn staged_purges(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT object_id FROM temp.staged_purges ORDER BY object_id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(StoreError::from)
}

/// The staged changes in the order the job history lists them.
pub fn staged_changes(conn: &Connection) -> Result<Vec<StagedChange>> {
    let mut stmt = conn.prepare(
        "SELECT user_id, rank, label, kind, fields, aspects FROM temp.staged_changes \
         ORDER BY rank, label, user_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(StagedChange {
            user_id: r.get(0)?,
            rank: r.get(1)?,
            label: r.get(2)?,
            kind: r.get(3)?,
            fields: r.get(4)?,
            aspects: r.get(5)?,
        })
    })?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(StoreError::from)
}

/// Writes the staged rows into the client's directory and removes the staged purges,
/// inside the caller's transaction: two set-based statements, in key order.
pub fn copy_staged_users(conn: &Connection, client: ClientKey, synced_at: &str) -> Result<()> {
    let updates: Vec<String> = COLUMNS
        .split(", ")
        .map(str::trim)
        .filter(|c| *c != "object_id")
        .chain(["synced_at"])
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
    conn.execute(
        &format!(
            "INSERT INTO main.directory_users (client_key, {COLUMNS}, synced_at) \
             SELECT ?1, {COLUMNS}, ?2 FROM temp.staged_users WHERE true ORDER BY object_id \
             ON CONFLICT (client_key, object_id) DO UPDATE SET {}",
            updates.join(", ")
        ),
        params![client.to_string(), synced_at],
    )?;
    conn.execute(
        "DELETE FROM main.directory_users WHERE client_key = ?1 \
         AND object_id IN (SELECT object_id FROM temp.staged_purges)",
        [client.to_string()],
    )?;
    Ok(())
}

/// Records the staged change list as the job's inside the caller's transaction, in the
/// order it was staged (`seq`; the history sorts when it reads, see
/// `jobs::CHANGE_KIND_ORDER`: numbering in listing order here cost a sort of the whole
/// list while the write lock is held).
pub fn copy_staged_changes(conn: &Connection, job: JobId) -> Result<()> {
    conn.execute("DELETE FROM main.job_changes WHERE job_id = ?1", [job.0])?;
    conn.execute(
        "INSERT INTO main.job_changes (job_id, seq, user_id, label, kind, fields) \
         SELECT ?1, rowid, user_id, label, kind, fields FROM temp.staged_changes ORDER BY rowid",
        [job.0],
    )?;
    Ok(())
}
