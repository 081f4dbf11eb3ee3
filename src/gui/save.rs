//! Exports through the native save dialog (rfd, on the engine runtime), or straight into
//! a folder when the app is configured so (tests, scripts). The file is written
//! atomically off the UI thread.

use std::path::PathBuf;

use poll_promise::Promise;

use super::SaveDialog;
use super::tasks::{Outcome, Tasks};
use crate::export::{Format, write_atomic};

/// Asks where to save `file_name`, then writes what `make` produces there.
/// `Ok(None)`: the admin closed the dialog.
pub fn export(
    tasks: &Tasks,
    dialog: &SaveDialog,
    title: &str,
    file_name: String,
    format: Format,
    make: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
) -> Promise<Outcome<Option<PathBuf>>> {
    match dialog {
        SaveDialog::Folder(dir) => {
            let path = dir.join(&file_name);
            tasks.blocking(move || {
                let bytes = make()?;
                write_atomic(&path, &bytes)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Some(path))
            })
        }
        SaveDialog::Native => {
            let title = title.to_string();
            let runtime = tasks.runtime().clone();
            tasks.spawn(async move {
                let chosen = rfd::AsyncFileDialog::new()
                    .set_title(title)
                    .set_file_name(file_name)
                    .add_filter(format.label(), &[format.extension()])
                    .save_file()
                    .await;
                let Some(handle) = chosen else {
                    return Ok(None);
                };
                let path = handle.path().to_path_buf();
                runtime
                    .spawn_blocking(move || {
                        let bytes = make()?;
                        write_atomic(&path, &bytes)
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                        Ok(Some(path))
                    })
                    .await
                    .map_err(|e| format!("the export stopped: {e}"))?
            })
        }
    }
}

/// What to tell the admin when an export ended.
pub fn result_message(result: Outcome<Option<PathBuf>>) -> Option<(super::theme::Tone, String)> {
    use super::theme::Tone;
    Some(match result {
        Ok(Some(path)) => (Tone::Ok, format!("Exported to {}", path.display())),
        Ok(None) if cfg!(target_os = "linux") => (
            Tone::Neutral,
            "No file chosen; nothing was exported. (No dialog appeared? The file chooser \
             needs xdg-desktop-portal or zenity.)"
                .to_string(),
        ),
        Ok(None) => (
            Tone::Neutral,
            "No file chosen; nothing was exported.".to_string(),
        ),
        Err(e) => (Tone::Error, format!("Export failed: {e}")),
    })
}

/// A file-name-safe version of a client name.
pub fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_matches('_');
    if stem.is_empty() {
        "export".into()
    } else {
        stem.to_string()
    }
}
