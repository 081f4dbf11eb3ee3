//! Client secrets: in the OS keyring (service `usersync`, user = the client's stable
//! key), or — only when an admin opts in for a headless server — in a 0600 file.
//! Nothing here logs or formats a secret value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use crate::model::{ClientKey, Secret};

pub const SERVICE: &str = "usersync";
/// File name of the opt-in file store inside the data directory.
pub const FILE_STORE_NAME: &str = "secrets.json";

/// Which store holds the secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Os,
    File,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Os => "os",
            Backend::File => "file",
        }
    }

    pub fn parse(s: &str) -> Option<Backend> {
        match s {
            "os" => Some(Backend::Os),
            "file" => Some(Backend::File),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keyring ({store}) is not reachable: {detail}. {hint} Nothing was saved.")]
    Unavailable {
        store: &'static str,
        detail: String,
        hint: &'static str,
    },
    #[error(
        "no secret is stored for this client; set one with `usersync client edit NAME --secret-stdin`"
    )]
    Missing,
    #[error(
        "this client's secret is in the {stored} secret store, but this run uses the \
         {current} store; run with --secret-store {stored}"
    )]
    WrongBackend {
        stored: &'static str,
        current: &'static str,
    },
    #[error("the secret file {path} is unreadable: {detail}")]
    File { path: PathBuf, detail: String },
    #[error("the keyring refused the operation: {0}")]
    Keyring(String),
}

/// The keyring's own error text can quote attributes but never the password, so it is
/// safe to show; still, keep only its Display form.
fn keyring_error(err: keyring_core::Error) -> SecretError {
    match err {
        keyring_core::Error::NoStorageAccess(e) => SecretError::Unavailable {
            store: os_store_name(),
            detail: format!("access denied or locked ({e})"),
            hint: os_store_hint(),
        },
        keyring_core::Error::PlatformFailure(e) => SecretError::Unavailable {
            store: os_store_name(),
            detail: e.to_string(),
            hint: os_store_hint(),
        },
        keyring_core::Error::NoDefaultStore => SecretError::Unavailable {
            store: os_store_name(),
            detail: "no credential store".into(),
            hint: os_store_hint(),
        },
        other => SecretError::Keyring(other.to_string()),
    }
}

pub fn os_store_name() -> &'static str {
    if cfg!(target_os = "linux") {
        "Secret Service: GNOME Keyring or KWallet"
    } else if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "none on this platform"
    }
}

fn os_store_hint() -> &'static str {
    if cfg!(target_os = "linux") {
        "Start a desktop session with GNOME Keyring or KWallet unlocked (over SSH: run \
         inside `dbus-run-session` with an unlocked gnome-keyring-daemon), or, on a \
         headless server, opt in to the file store with --secret-store file."
    } else if cfg!(target_os = "macos") {
        "Unlock the login keychain, or opt in to the file store with --secret-store file."
    } else {
        "Sign in interactively so Credential Manager is available, or opt in to the file \
         store with --secret-store file."
    }
}

enum Inner {
    Os(Arc<CredentialStore>),
    File(PathBuf),
}

/// Where secrets are read and written.
pub struct SecretStore {
    inner: Inner,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Os(_) => f.write_str("SecretStore(os)"),
            Inner::File(p) => write!(f, "SecretStore(file: {})", p.display()),
        }
    }
}

#[cfg(target_os = "linux")]
fn native_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn native_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(windows)]
fn native_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn native_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NoDefaultStore)
}

impl SecretStore {
    /// The platform's native store. Fails with an actionable message when it is not
    /// reachable (no D-Bus session, locked keychain, ...).
    pub fn open_os() -> Result<SecretStore, SecretError> {
        let store = native_store().map_err(keyring_error)?;
        Ok(SecretStore {
            inner: Inner::Os(store),
        })
    }

    /// The opt-in file store: a JSON file readable only by its owner. Weaker than the
    /// keyring: anyone who can read the file as this user can read the secrets.
    pub fn open_file(data_dir: &Path) -> SecretStore {
        SecretStore {
            inner: Inner::File(data_dir.join(FILE_STORE_NAME)),
        }
    }

    pub fn open(backend: Backend, data_dir: &Path) -> Result<SecretStore, SecretError> {
        match backend {
            Backend::Os => Self::open_os(),
            Backend::File => Ok(Self::open_file(data_dir)),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Os(_) => Backend::Os,
            Inner::File(_) => Backend::File,
        }
    }

    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Os(_) => format!("OS keyring ({})", os_store_name()),
            Inner::File(p) => format!("file store {} (weaker than the OS keyring)", p.display()),
        }
    }

    fn entry(store: &Arc<CredentialStore>, key: ClientKey) -> Result<Entry, SecretError> {
        Entry::new_in_store(store, SERVICE, &key.to_string()).map_err(keyring_error)
    }

    pub fn set(&self, key: ClientKey, secret: &Secret) -> Result<(), SecretError> {
        match &self.inner {
            Inner::Os(store) => Self::entry(store, key)?
                .set_password(secret.expose())
                .map_err(keyring_error),
            Inner::File(path) => {
                let mut all = read_file_store(path)?;
                all.insert(key.to_string(), secret.expose().to_string());
                write_file_store(path, &all)
            }
        }
    }

    pub fn get(&self, key: ClientKey) -> Result<Option<Secret>, SecretError> {
        match &self.inner {
            Inner::Os(store) => match Self::entry(store, key)?.get_password() {
                Ok(p) => Ok(Some(Secret::new(p))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(keyring_error(e)),
            },
            Inner::File(path) => Ok(read_file_store(path)?
                .remove(&key.to_string())
                .map(Secret::new)),
        }
    }

    pub fn require(&self, key: ClientKey) -> Result<Secret, SecretError> {
        self.get(key)?.ok_or(SecretError::Missing)
    }

    pub fn contains(&self, key: ClientKey) -> Result<bool, SecretError> {
        Ok(self.get(key)?.is_some())
    }

    /// Removes the secret; removing one that is not there is not an error.
    pub fn delete(&self, key: ClientKey) -> Result<(), SecretError> {
        match &self.inner {
            Inner::Os(store) => match Self::entry(store, key)?.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(keyring_error(e)),
            },
            Inner::File(path) => {
                let mut all = read_file_store(path)?;
                if all.remove(&key.to_string()).is_some() {
                    write_file_store(path, &all)?;
                }
                Ok(())
            }
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct FileStore {
    #[serde(rename = "_warning", default)]
    warning: String,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
}

const FILE_WARNING: &str = "User Sync client secrets in plain text (opt-in file store for \
     headless servers). Keep this file private (mode 0600); prefer the OS keyring.";

fn read_file_store(path: &Path) -> Result<BTreeMap<String, String>, SecretError> {
    let bad = |detail: String| SecretError::File {
        path: path.to_path_buf(),
        detail,
    };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice::<FileStore>(&bytes)
            .map(|f| f.secrets)
            .map_err(|e| {
                bad(format!(
                    "not a User Sync secret file ({e}); fix or remove it"
                ))
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(bad(e.to_string())),
    }
}

/// Writes a new file next to the old one and renames it over, so a crash never leaves
/// a half-written store; the new file is created 0600 before any secret is written.
fn write_file_store(path: &Path, secrets: &BTreeMap<String, String>) -> Result<(), SecretError> {
    let bad = |detail: String| SecretError::File {
        path: path.to_path_buf(),
        detail,
    };
    let body = serde_json::to_vec_pretty(&FileStore {
        warning: FILE_WARNING.into(),
        secrets: secrets.clone(),
    })
    .map_err(|e| bad(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options.open(&tmp).map_err(|e| bad(e.to_string()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| bad(e.to_string()))?;
        }
        f.write_all(&body).map_err(|e| bad(e.to_string()))?;
        f.sync_all().map_err(|e| bad(e.to_string()))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| bad(e.to_string()))
}
