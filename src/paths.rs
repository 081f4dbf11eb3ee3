//! Where User Sync keeps its files: `--data-dir`, else `USERSYNC_DATA_DIR`, else the
//! OS data directory (e.g. `~/.local/share/usersync` on Linux).

use std::path::{Path, PathBuf};

pub const DATA_DIR_ENV: &str = "USERSYNC_DATA_DIR";

#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("no home directory found to keep data in; pass --data-dir DIR or set {DATA_DIR_ENV}")]
    NoHome,
    #[error("cannot create the data directory {path}: {source}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the data directory {0} exists but is not a directory")]
    NotADirectory(PathBuf),
}

/// The OS default data directory.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "usersync").map(|p| p.data_dir().to_path_buf())
}

/// Resolves the data directory (an explicit one wins) and creates it, private to the
/// user, if it does not exist.
pub fn resolve_data_dir(explicit: Option<&Path>) -> Result<PathBuf, PathError> {
    let dir = match explicit {
        Some(p) => p.to_path_buf(),
        None => default_data_dir().ok_or(PathError::NoHome)?,
    };
    ensure_dir(&dir)?;
    Ok(dir)
}

fn ensure_dir(dir: &Path) -> Result<(), PathError> {
    if dir.exists() {
        return if dir.is_dir() {
            Ok(())
        } else {
            Err(PathError::NotADirectory(dir.to_path_buf()))
        };
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| PathError::Create {
        path: dir.to_path_buf(),
        source,
    })
}
