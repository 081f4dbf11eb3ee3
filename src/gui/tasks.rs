//! Off-thread work for the UI: every SQLite, keyring, HTTP or file-dialog call runs on
//! the engine's tokio runtime and comes back as a `poll_promise::Promise`. The task asks
//! egui for a repaint when its result is ready, so the UI thread never waits and an idle
//! window never polls.

use std::future::Future;
use std::path::{Path, PathBuf};

use poll_promise::Promise;

use crate::secrets::Backend;
use crate::store::Store;

/// A result whose error is already the admin-facing message.
pub type Outcome<T> = Result<T, String>;

/// Spawns work on the engine runtime; cheap to clone.
#[derive(Clone)]
pub struct Tasks {
    runtime: tokio::runtime::Handle,
    ctx: egui::Context,
    data_dir: PathBuf,
    backend: Backend,
}

impl Tasks {
    pub fn new(
        runtime: tokio::runtime::Handle,
        ctx: egui::Context,
        data_dir: PathBuf,
        backend: Backend,
    ) -> Self {
        Self {
            runtime,
            ctx,
            data_dir,
            backend,
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    pub fn ctx(&self) -> &egui::Context {
        &self.ctx
    }

    /// Runs blocking work (SQLite, keyring, files) on the runtime's blocking pool.
    pub fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Promise<T> {
        let (sender, promise) = Promise::new();
        let ctx = self.ctx.clone();
        self.runtime.spawn_blocking(move || {
            sender.send(work());
            ctx.request_repaint();
        });
        promise
    }

    /// Runs async work (HTTP, dialogs) on the runtime.
    pub fn spawn<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Promise<T> {
        let (sender, promise) = Promise::new();
        let ctx = self.ctx.clone();
        self.runtime.spawn(async move {
            sender.send(work.await);
            ctx.request_repaint();
        });
        promise
    }

    /// Opens the database on a worker thread and runs `work` with it.
    pub fn with_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store, &Path, Backend) -> Outcome<T> + Send + 'static,
    ) -> Promise<Outcome<T>> {
        let data_dir = self.data_dir.clone();
        let backend = self.backend;
        self.blocking(move || {
            let mut store = open_store(&data_dir)?;
            work(&mut store, &data_dir, backend)
        })
    }
}

/// Opens the database. A first open races with the engine's own (both may try to create
/// the schema of a new file): a failed migration is retried after a moment.
pub fn open_store(data_dir: &Path) -> Outcome<Store> {
    let mut attempt = 0;
    loop {
        match Store::open_in(data_dir) {
            Ok(store) => return Ok(store),
            Err(crate::store::StoreError::Migration { .. } | crate::store::StoreError::Busy)
                if attempt < 5 =>
            {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(100 * attempt));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Takes the value out of a finished promise, leaving `None`; `None` while it runs.
pub fn take_ready<T: Send + 'static>(slot: &mut Option<Promise<T>>) -> Option<T> {
    match slot.take()?.try_take() {
        Ok(value) => Some(value),
        Err(pending) => {
            *slot = Some(pending);
            None
        }
    }
}
