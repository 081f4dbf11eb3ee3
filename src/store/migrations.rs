//! Numbered schema migrations. Each runs in one transaction together with the bump of
//! `PRAGMA user_version`, so a crash leaves the previous version intact.

use rusqlite::Connection;

use super::{Result, StoreError};

/// Migration `i` (0-based) takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_clients.sql"),
    include_str!("migrations/0002_sync.sql"),
    include_str!("migrations/0003_lean_directory.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to `target` (≤ SCHEMA_VERSION). Tests use a lower target to
/// build databases of an older version.
pub(crate) fn migrate(conn: &mut Connection, target: i64) -> Result<()> {
    loop {
        // Take the write lock first, then read the version: two processes opening a new
        // database at once must not both run the same migration.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from_sql)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version >= target {
            return Ok(());
        }
        let next = version + 1;
        let wrap = |source| StoreError::Migration {
            version: next,
            source,
        };
        let sql = MIGRATIONS[version as usize];
        tx.execute_batch(sql).map_err(wrap)?;
        tx.pragma_update(None, "user_version", next).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
    }
}

#[doc(hidden)]
/// Creates a database at an older schema version (for upgrade tests).
pub fn create_at_version(path: &std::path::Path, version: i64) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    migrate(&mut conn, version.min(SCHEMA_VERSION))?;
    Ok(conn)
}
