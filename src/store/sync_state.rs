//! The `sync_state` table: each client's saved deltaLink.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store};
use crate::model::ClientKey;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncState {
    pub delta_link: Option<String>,
    pub saved_at: Option<String>,
    pub last_full_at: Option<String>,
}

impl Store {
    pub fn sync_state(&self, client: ClientKey) -> Result<Option<SyncState>> {
        Ok(self
            .conn
            .query_row(
                "SELECT delta_link, saved_at, last_full_at FROM sync_state WHERE client_key = ?1",
                [client.to_string()],
                |r| {
                    Ok(SyncState {
                        delta_link: r.get(0)?,
                        saved_at: r.get(1)?,
                        last_full_at: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Forgets the deltaLink so the next sync is a full one.
    pub fn clear_delta_link(&self, client: ClientKey) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_state SET delta_link = NULL WHERE client_key = ?1",
            [client.to_string()],
        )?;
        Ok(())
    }
}

/// Saves the new deltaLink inside the caller's transaction.
pub fn save_delta_link(
    conn: &Connection,
    client: ClientKey,
    delta_link: &str,
    now: &str,
    full: bool,
) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_state (client_key, delta_link, saved_at, last_full_at) \
         VALUES (?1, ?2, ?3, CASE WHEN ?4 THEN ?3 END) \
         ON CONFLICT (client_key) DO UPDATE SET delta_link = excluded.delta_link, \
         saved_at = excluded.saved_at, \
         last_full_at = COALESCE(excluded.last_full_at, sync_state.last_full_at)",
        params![client.to_string(), delta_link, now, full],
    )?;
    Ok(())
}
