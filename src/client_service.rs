//! Saving and removing a client together with its secret, shared by the GUI and the CLI.
//!
//! The row and the secret are one unit: the database change is committed only after the
//! secret store accepted the secret, and a new client's secret is removed again if the
//! commit fails. Removing a client deletes its secret while the row's removal is still
//! uncommitted, so a keyring that refuses leaves the client in place for a retry.
//!
//! Everything here blocks (SQLite, keyring): call it from a worker thread, never from the
//! UI thread.

use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::client_input::ValidClient;
use crate::graph::{GraphClient, GraphConfig, GraphError, ValidationReport, validate};
use crate::model::{Client, ClientKey, Cloud, Secret, ValidationRecord};
use crate::secrets::{Backend, SecretError, SecretStore};
use crate::store::{ClientUpdate, Store, StoreError};

/// Which client a save writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveTarget {
    /// A new client (a secret is required).
    New,
    /// An existing client; `ValidClient::secret == None` keeps the stored secret.
    Existing(ClientKey),
}

#[derive(Debug, thiserror::Error)]
pub enum ClientServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("a new client needs a secret: paste the secret's Value")]
    SecretRequired,
    #[error("the client no longer exists; it may have been removed elsewhere")]
    NotFound,
}

/// What a save did.
#[derive(Clone, Debug)]
pub struct SaveOutcome {
    pub client: Client,
    /// A new secret was stored (false: the stored one was kept).
    pub secret_stored: bool,
    /// Where the secret lives, for the confirmation message.
    pub secret_store: String,
}

/// The secret store that holds this client's secret, or a clear error if the store of
/// this run is not the one the client was saved with.
pub fn secrets_for(
    store: &Store,
    backend: Backend,
    data_dir: &Path,
    key: ClientKey,
) -> Result<SecretStore, SecretError> {
    let stored = store
        .secret_backend(key)
        .ok()
        .flatten()
        .and_then(|s| Backend::parse(&s))
        .unwrap_or(Backend::Os);
    if stored != backend {
        return Err(SecretError::WrongBackend {
            stored: stored.as_str(),
            current: backend.as_str(),
        });
    }
    SecretStore::open(backend, data_dir)
}

/// The secret to validate with: the one typed, else the stored one of `target`.
pub fn secret_for_validation(
    store: &Store,
    backend: Backend,
    data_dir: &Path,
    target: SaveTarget,
    typed: Option<&Secret>,
) -> Result<Secret, ClientServiceError> {
    if let Some(s) = typed {
        return Ok(s.clone());
    }
    match target {
        SaveTarget::New => Err(ClientServiceError::SecretRequired),
        SaveTarget::Existing(key) => Ok(secrets_for(store, backend, data_dir, key)?.require(key)?),
    }
}

/// Saves `valid` (and its secret, when one was typed) as one unit. `validation` is the
/// result of a validation that passed just before, recorded on the client.
pub fn save_client(
    store: &Store,
    backend: Backend,
    data_dir: &Path,
    target: SaveTarget,
    valid: &ValidClient,
    validation: Option<&ValidationRecord>,
) -> Result<SaveOutcome, ClientServiceError> {
    match target {
        SaveTarget::New => add(store, backend, data_dir, valid, validation),
        SaveTarget::Existing(key) => edit(store, backend, data_dir, key, valid, validation),
    }
}

fn add(
    store: &Store,
    backend: Backend,
    data_dir: &Path,
    valid: &ValidClient,
    validation: Option<&ValidationRecord>,
) -> Result<SaveOutcome, ClientServiceError> {
    let secret = valid
        .secret
        .as_ref()
        .ok_or(ClientServiceError::SecretRequired)?;
    if store.find_client(&valid.name)?.is_some() {
        return Err(StoreError::DuplicateClientName(valid.name.clone()).into());
    }
    let secrets = SecretStore::open(backend, data_dir)?;
    let now = chrono::Utc::now();
    let client = Client {
        key: ClientKey::new(),
        name: valid.name.clone(),
        tenant_id: valid.tenant_id.clone(),
        client_id: valid.client_id.clone(),
        active: valid.active,
        azure_sso: valid.azure_sso,
        cloud: valid.cloud.clone(),
        guard: valid.guard,
        created_at: now,
        updated_at: now,
        last_validation: validation.cloned(),
    };
    let tx = store
        .conn()
        .unchecked_transaction()
        .map_err(StoreError::from)?;
    store.insert_client(&client, backend.as_str())?;
    if let Some(record) = validation {
        store.record_validation(client.key, record)?;
    }
    secrets.set(client.key, secret)?;
    if let Err(e) = tx.commit() {
        let _ = secrets.delete(client.key);
        return Err(StoreError::from(e).into());
    }
    let client = store.client_by_key(client.key)?.unwrap_or(client);
    Ok(SaveOutcome {
        client,
        secret_stored: true,
        secret_store: secrets.describe(),
    })
}

fn edit(
    store: &Store,
    backend: Backend,
    data_dir: &Path,
    key: ClientKey,
    valid: &ValidClient,
    validation: Option<&ValidationRecord>,
) -> Result<SaveOutcome, ClientServiceError> {
    let current = store
        .client_by_key(key)?
        .ok_or(ClientServiceError::NotFound)?;
    if !valid.name.eq_ignore_ascii_case(&current.name)
        && store
            .find_client(&valid.name)?
            .is_some_and(|other| other.key != key)
    {
        return Err(StoreError::DuplicateClientName(valid.name.clone()).into());
    }
    let secrets = secrets_for(store, backend, data_dir, key)?;
    let update = ClientUpdate {
        name: Some(valid.name.clone()),
        tenant_id: Some(valid.tenant_id.clone()),
        client_id: Some(valid.client_id.clone()),
        active: Some(valid.active),
        azure_sso: Some(valid.azure_sso),
        cloud: Some(valid.cloud.clone()),
        guard: Some(valid.guard),
    };
    let tx = store
        .conn()
        .unchecked_transaction()
        .map_err(StoreError::from)?;
    let mut saved = store.update_client(key, &update)?;
    if let Some(record) = validation {
        store.record_validation(key, record)?;
        saved.last_validation = Some(record.clone());
    }
    if let Some(secret) = &valid.secret {
        secrets.set(key, secret)?;
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(SaveOutcome {
        client: saved,
        secret_stored: valid.secret.is_some(),
        secret_store: secrets.describe(),
    })
}

/// Removes the client with its secret, directory and schedules (job history stays).
pub fn remove_client(
    store: &Store,
    backend: Backend,
    data_dir: &Path,
    key: ClientKey,
) -> Result<Client, ClientServiceError> {
    let client = store
        .client_by_key(key)?
        .ok_or(ClientServiceError::NotFound)?;
    let secrets = secrets_for(store, backend, data_dir, key)?;
    let tx = store
        .conn()
        .unchecked_transaction()
        .map_err(StoreError::from)?;
    store.delete_client(key)?;
    secrets.delete(key)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(client)
}

/// Validates settings that may not be saved yet (async: run it on the engine runtime).
pub async fn validate_settings(
    cloud: &Cloud,
    tenant_id: &str,
    client_id: &str,
    secret: Secret,
    azure_sso: bool,
    cancel: &CancellationToken,
) -> Result<ValidationReport, GraphError> {
    let cfg = GraphConfig::new(cloud.endpoints(), tenant_id, client_id, secret);
    let graph = GraphClient::new(cfg)?;
    Ok(validate(&graph, azure_sso, cancel).await)
}

/// The record of a validation, as stored on the client.
pub fn validation_record(report: &ValidationReport) -> ValidationRecord {
    ValidationRecord {
        ok: report.ok,
        at: chrono::Utc::now(),
        summary: report.summary(),
    }
}
