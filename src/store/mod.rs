//! SQLite store: one file per table family. Opening runs the pragmas and the numbered
//! migrations; a database written by a newer User Sync is refused untouched.

mod clients;
pub mod directory;
pub mod jobs;
mod migrations;
pub mod schedules;
pub mod staging;
pub mod sync_state;

pub use clients::ClientUpdate;
pub use directory::Which;
pub use jobs::{JobEnd, JobFilter, NewJob, StartJobError};
pub use migrations::{SCHEMA_VERSION, create_at_version};
pub use sync_state::SyncState;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "usersync.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database {path} was written by a newer User Sync (schema version {found}; this \
         build understands up to {supported}). Install the newer version, or point \
         --data-dir at another folder. The file was not changed."
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "migrating the database to schema version {version} failed (nothing was changed): {source}"
    )]
    Migration {
        version: i64,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no client named \"{0}\" (see `usersync client list`)")]
    ClientNotFound(String),
    #[error("a client named \"{0}\" already exists; choose another name")]
    DuplicateClientName(String),
    #[error("the database is busy (another User Sync process holds a lock); try again")]
    Busy,
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn from_sql(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Busy
            }
            _ => StoreError::Sql(err),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A connection to the User Sync database. Not `Sync`: open one per thread or task
/// (WAL lets many readers and one writer share the file, across processes too).
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) `usersync.db` in `data_dir`.
    pub fn open_in(data_dir: &Path) -> Result<Store> {
        Self::open(&data_dir.join(DB_FILE))
    }

    /// Opens (creating if needed) the database file at `path` and brings its schema up
    /// to date.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(open_err)?;
        // Check the version before anything writes: a newer database stays untouched
        // (switching to WAL would already modify it).
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(open_err)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        migrations::migrate(&mut conn, SCHEMA_VERSION)?;
        restrict_permissions(path);
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Direct access for the other store modules and for tests.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// The database holds the organisation's directory: keep it private to the user.
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [
            path.to_path_buf(),
            path.with_extension("db-wal"),
            path.with_extension("db-shm"),
        ] {
            if p.exists() {
                // Best effort: a failure here must not stop the app from working.
                let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {text:?}: {e}")))
}
