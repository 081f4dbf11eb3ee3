//! One running sync per client within this process (across processes the jobs table
//! decides, see `Store::start_job`).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

use crate::model::{ClientKey, JobId};

#[derive(Default)]
pub(crate) struct ClientLocks {
    inner: Mutex<HashMap<ClientKey, Slot>>,
}

struct Slot {
    job: Option<JobId>,
    cancel: CancellationToken,
}

impl ClientLocks {
    /// Claims the client; `Err` carries the job already running (if known yet).
    pub fn claim(&self, client: ClientKey) -> Result<CancellationToken, Option<JobId>> {
        let Ok(mut map) = self.inner.lock() else {
            return Err(None);
        };
        if let Some(slot) = map.get(&client) {
            return Err(slot.job);
        }
        let cancel = CancellationToken::new();
        map.insert(
            client,
            Slot {
                job: None,
                cancel: cancel.clone(),
            },
        );
        Ok(cancel)
    }

    pub fn set_job(&self, client: ClientKey, job: JobId) {
        if let Ok(mut map) = self.inner.lock()
            && let Some(slot) = map.get_mut(&client)
        {
            slot.job = Some(job);
        }
    }

    pub fn release(&self, client: ClientKey) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(&client);
        }
    }

    pub fn cancel(&self, job: JobId) {
        if let Ok(map) = self.inner.lock() {
            for slot in map.values() {
                if slot.job == Some(job) {
                    slot.cancel.cancel();
                }
            }
        }
    }

    pub fn cancel_all(&self) {
        if let Ok(map) = self.inner.lock() {
            for slot in map.values() {
                slot.cancel.cancel();
            }
        }
    }

    pub fn clients(&self) -> Vec<ClientKey> {
        let mut out: Vec<ClientKey> = self
            .inner
            .lock()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        out.sort();
        out
    }
}
