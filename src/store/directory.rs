//! The `directory_users` table: each client's synced users, keyed by Entra object id.

use std::collections::HashMap;

use rusqlite::{Row, params};

use super::{Result, Store, StoreError};
use crate::model::{ClientKey, DirectoryUser, SsoIdentity, UserAttributes};

pub(super) const COLUMNS: &str = "object_id, display_name, given_name, surname, user_principal_name, mail, \
     job_title, department, office_location, company_name, employee_id, mobile_phone, \
     business_phones, city, country, user_type, account_enabled, manager_id, sso_issuer, \
     sso_subject, sso_login, deleted";

pub(super) fn row_to_user(row: &Row<'_>) -> rusqlite::Result<DirectoryUser> {
    let phones: String = row.get(12)?;
    // A malformed phone list must not hide the user: it reads as empty.
    let business_phones = serde_json::from_str(&phones).unwrap_or_default();
    let issuer: Option<String> = row.get(18)?;
    let subject: Option<String> = row.get(19)?;
    let login: Option<String> = row.get(20)?;
    Ok(DirectoryUser {
        id: row.get(0)?,
        attributes: UserAttributes {
            display_name: row.get(1)?,
            given_name: row.get(2)?,
            surname: row.get(3)?,
            user_principal_name: row.get(4)?,
            mail: row.get(5)?,
            job_title: row.get(6)?,
            department: row.get(7)?,
            office_location: row.get(8)?,
            company_name: row.get(9)?,
            employee_id: row.get(10)?,
            mobile_phone: row.get(11)?,
            business_phones,
            city: row.get(13)?,
            country: row.get(14)?,
            user_type: row.get(15)?,
            account_enabled: row.get(16)?,
        },
        manager_id: row.get(17)?,
        sso: match (issuer, subject, login) {
            (Some(issuer), Some(subject), Some(login)) => Some(SsoIdentity {
                issuer,
                subject,
                login,
            }),
            _ => None,
        },
        deleted: row.get(21)?,
    })
}

/// Which users of a directory to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// Everything, soft-deleted rows included (what a sync plans against).
    All,
    /// Users not in the recycle bin (what the directory view and exports show).
    Active,
}

impl Store {
    /// The client's directory as a map by object id.
    pub fn load_directory(&self, client: ClientKey) -> Result<HashMap<String, DirectoryUser>> {
        let users = self.directory_users(client, Which::All)?;
        Ok(users.into_iter().map(|u| (u.id.clone(), u)).collect())
    }

    /// Only the rows with these ids (an incremental round touches few users; reading
    /// the whole directory would dominate its time).
    pub fn load_directory_subset<'a>(
        &self,
        client: ClientKey,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashMap<String, DirectoryUser>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM directory_users WHERE client_key = ?1 AND object_id = ?2"
        ))?;
        let key = client.to_string();
        let mut out = HashMap::new();
        for id in ids {
            let mut rows = stmt.query(params![key, id])?;
            if let Some(row) = rows.next()? {
                let user = row_to_user(row)?;
                out.insert(user.id.clone(), user);
            }
        }
        Ok(out)
    }

    /// Users sorted by display name (then id), for listing and export.
    pub fn directory_users(&self, client: ClientKey, which: Which) -> Result<Vec<DirectoryUser>> {
        let filter = match which {
            Which::All => "",
            Which::Active => " AND deleted = 0",
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM directory_users WHERE client_key = ?1{filter} \
             ORDER BY display_name COLLATE NOCASE, object_id"
        ))?;
        let rows = stmt.query_map([client.to_string()], row_to_user)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(StoreError::from)
    }

    /// Active (not soft-deleted) users of a client.
    pub fn count_active_users(&self, client: ClientKey) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM directory_users WHERE client_key = ?1 AND deleted = 0",
            [client.to_string()],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}
