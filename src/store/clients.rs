//! The `clients` table: saved app registrations (never their secrets).

use rusqlite::{OptionalExtension, Row, params};

use super::{Result, Store, StoreError, now_text, parse_time};
use crate::model::{Client, ClientKey, Cloud, DeletionGuard, ValidationRecord};

const COLUMNS: &str = "id, name, tenant_id, client_id, active, azure_sso, cloud, authority_url, \
     graph_url, guard_max_users, guard_max_percent, created_at, updated_at, \
     last_validation_ok, last_validation_at, last_validation_summary";

/// Changes to a saved client; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct ClientUpdate {
    pub name: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub active: Option<bool>,
    pub azure_sso: Option<bool>,
    pub cloud: Option<Cloud>,
    pub guard: Option<DeletionGuard>,
}

fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

fn cloud_columns(cloud: &Cloud) -> (&'static str, Option<&str>, Option<&str>) {
    match cloud {
        Cloud::Custom {
            authority_url,
            graph_url,
        } => ("custom", Some(authority_url), Some(graph_url)),
        other => (other.slug(), None, None),
    }
}

fn row_to_client(row: &Row<'_>) -> rusqlite::Result<std::result::Result<Client, StoreError>> {
    let id: String = row.get(0)?;
    let cloud_slug: String = row.get(6)?;
    let authority: Option<String> = row.get(7)?;
    let graph: Option<String> = row.get(8)?;
    let created: String = row.get(11)?;
    let updated: String = row.get(12)?;
    let v_ok: Option<bool> = row.get(13)?;
    let v_at: Option<String> = row.get(14)?;
    let v_summary: Option<String> = row.get(15)?;
    let name: String = row.get(1)?;
    let tenant_id: String = row.get(2)?;
    let client_id: String = row.get(3)?;
    let active: bool = row.get(4)?;
    let azure_sso: bool = row.get(5)?;
    let max_users: u32 = row.get(9)?;
    let max_percent: u8 = row.get(10)?;
    Ok((|| {
        let key = uuid::Uuid::parse_str(&id)
            .map(ClientKey)
            .map_err(|e| StoreError::Corrupt(format!("client id {id:?}: {e}")))?;
        let cloud = match cloud_slug.as_str() {
            "global" => Cloud::Global,
            "usgov" => Cloud::UsGov,
            "usgov-dod" => Cloud::UsGovDod,
            "china" => Cloud::China,
            "custom" => Cloud::Custom {
                authority_url: authority.unwrap_or_default(),
                graph_url: graph.unwrap_or_default(),
            },
            other => return Err(StoreError::Corrupt(format!("unknown cloud {other:?}"))),
        };
        let last_validation = match (v_ok, v_at) {
            (Some(ok), Some(at)) => Some(ValidationRecord {
                ok,
                at: parse_time(&at)?,
                summary: v_summary.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(Client {
            key,
            name,
            tenant_id,
            client_id,
            active,
            azure_sso,
            cloud,
            guard: DeletionGuard {
                max_users,
                max_percent,
            },
            created_at: parse_time(&created)?,
            updated_at: parse_time(&updated)?,
            last_validation,
        })
    })())
}

fn map_unique(err: rusqlite::Error, name: &str) -> StoreError {
    match &err {
        rusqlite::Error::SqliteFailure(e, Some(msg))
            if e.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("name_key") =>
        {
            StoreError::DuplicateClientName(name.to_string())
        }
        _ => StoreError::from_sql(err),
    }
}

impl Store {
    /// Saves a new client. Names are unique ignoring case.
    pub fn insert_client(&self, client: &Client, secret_backend: &str) -> Result<()> {
        let (cloud, authority, graph) = cloud_columns(&client.cloud);
        self.conn
            .execute(
                "INSERT INTO clients (id, name, name_key, tenant_id, client_id, active, azure_sso, \
                 cloud, authority_url, graph_url, guard_max_users, guard_max_percent, \
                 secret_backend, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
                params![
                    client.key.to_string(),
                    client.name,
                    name_key(&client.name),
                    client.tenant_id,
                    client.client_id,
                    client.active,
                    client.azure_sso,
                    cloud,
                    authority,
                    graph,
                    client.guard.max_users,
                    client.guard.max_percent,
                    secret_backend,
                    now_text(),
                ],
            )
            .map_err(|e| map_unique(e, &client.name))?;
        Ok(())
    }

    pub fn list_clients(&self) -> Result<Vec<Client>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM clients ORDER BY name_key"))?;
        let rows = stmt.query_map([], row_to_client)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// Finds a client by name, ignoring case and surrounding spaces.
    pub fn find_client(&self, name: &str) -> Result<Option<Client>> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM clients WHERE name_key = ?1"),
                [name_key(name)],
                row_to_client,
            )
            .optional()?
            .transpose()
    }

    pub fn client_by_name(&self, name: &str) -> Result<Client> {
        self.find_client(name)?
            .ok_or_else(|| StoreError::ClientNotFound(name.trim().to_string()))
    }

    pub fn client_by_key(&self, key: ClientKey) -> Result<Option<Client>> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM clients WHERE id = ?1"),
                [key.to_string()],
                row_to_client,
            )
            .optional()?
            .transpose()
    }

    /// Which secret store holds the client's secret ("os" or "file").
    pub fn secret_backend(&self, key: ClientKey) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT secret_backend FROM clients WHERE id = ?1",
                [key.to_string()],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn set_secret_backend(&self, key: ClientKey, backend: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE clients SET secret_backend = ?2 WHERE id = ?1",
            params![key.to_string(), backend],
        )?;
        Ok(())
    }

    /// Applies `update` and returns the client as saved.
    pub fn update_client(&self, key: ClientKey, update: &ClientUpdate) -> Result<Client> {
        let current = self
            .client_by_key(key)?
            .ok_or_else(|| StoreError::ClientNotFound(key.to_string()))?;
        // A saved deltaLink belongs to one tenant, application, cloud and SSO setting:
        // when any of them changes, the next sync must be a full one.
        let resync = update
            .tenant_id
            .as_ref()
            .is_some_and(|t| *t != current.tenant_id)
            || update
                .client_id
                .as_ref()
                .is_some_and(|c| *c != current.client_id)
            || update.cloud.as_ref().is_some_and(|c| *c != current.cloud)
            || update.azure_sso.is_some_and(|s| s != current.azure_sso);
        let name = update.name.clone().unwrap_or(current.name);
        let cloud = update.cloud.clone().unwrap_or(current.cloud);
        let guard = update.guard.unwrap_or(current.guard);
        let (cloud_slug, authority, graph) = cloud_columns(&cloud);
        self.conn
            .execute(
                "UPDATE clients SET name = ?2, name_key = ?3, tenant_id = ?4, client_id = ?5, \
                 active = ?6, azure_sso = ?7, cloud = ?8, authority_url = ?9, graph_url = ?10, \
                 guard_max_users = ?11, guard_max_percent = ?12, updated_at = ?13 WHERE id = ?1",
                params![
                    key.to_string(),
                    name,
                    name_key(&name),
                    update.tenant_id.as_ref().unwrap_or(&current.tenant_id),
                    update.client_id.as_ref().unwrap_or(&current.client_id),
                    update.active.unwrap_or(current.active),
                    update.azure_sso.unwrap_or(current.azure_sso),
                    cloud_slug,
                    authority,
                    graph,
                    guard.max_users,
                    guard.max_percent,
                    now_text(),
                ],
            )
            .map_err(|e| map_unique(e, &name))?;
        if resync {
            self.conn.execute(
                "UPDATE sync_state SET delta_link = NULL WHERE client_key = ?1",
                [key.to_string()],
            )?;
        }
        self.client_by_key(key)?
            .ok_or_else(|| StoreError::ClientNotFound(key.to_string()))
    }

    pub fn record_validation(&self, key: ClientKey, record: &ValidationRecord) -> Result<()> {
        self.conn.execute(
            "UPDATE clients SET last_validation_ok = ?2, last_validation_at = ?3, \
             last_validation_summary = ?4 WHERE id = ?1",
            params![
                key.to_string(),
                record.ok,
                record
                    .at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                record.summary,
            ],
        )?;
        Ok(())
    }

    /// Removes the client with its directory, delta state and schedules. Job history
    /// stays (it keeps the client's name).
    pub fn delete_client(&self, key: ClientKey) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM clients WHERE id = ?1", [key.to_string()])?
            > 0)
    }
}
