//! The scheduler's log: `<data-dir>/logs/scheduler.log`, plus stderr or `tracing`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::Utc;

/// The log file is moved to `scheduler.log.1` when it passes this size.
const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// The scheduler's log: lines appended to `<data-dir>/logs/scheduler.log`, and echoed on
/// stderr (headless) or through `tracing` (in the app). Never given secrets.
pub struct SchedulerLog {
    file: Option<Mutex<std::fs::File>>,
    path: Option<PathBuf>,
    stderr: bool,
}

impl std::fmt::Debug for SchedulerLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerLog")
            .field("path", &self.path)
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl SchedulerLog {
    /// Opens (appending) `<data_dir>/logs/scheduler.log`. A file that cannot be opened
    /// is reported once and the log goes on without it.
    pub fn open(data_dir: &Path, to_stderr: bool) -> SchedulerLog {
        let dir = data_dir.join("logs");
        let path = dir.join("scheduler.log");
        let file = Self::open_file(&dir, &path).ok();
        let log = SchedulerLog {
            file: file.map(Mutex::new),
            path: Some(path.clone()),
            stderr: to_stderr,
        };
        if log.file.is_none() {
            log.line(
                "warn",
                &format!("cannot write the log file {}", path.display()),
            );
        }
        log
    }

    /// Only stderr / `tracing` (tests, or where no file is wanted).
    pub fn without_file(to_stderr: bool) -> SchedulerLog {
        SchedulerLog {
            file: None,
            path: None,
            stderr: to_stderr,
        }
    }

    fn open_file(dir: &Path, path: &Path) -> std::io::Result<std::fs::File> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
        if std::fs::metadata(path).is_ok_and(|m| m.len() > LOG_ROTATE_BYTES) {
            let _ = std::fs::rename(path, path.with_extension("log.1"));
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(path)
    }

    /// The log file, if one is written.
    pub fn path(&self) -> Option<&Path> {
        self.file.as_ref().and(self.path.as_deref())
    }

    pub fn info(&self, message: &str) {
        self.line("info", message);
    }

    pub fn warn(&self, message: &str) {
        self.line("warn", message);
    }

    pub fn error(&self, message: &str) {
        self.line("error", message);
    }

    fn line(&self, level: &str, message: &str) {
        let stamp = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let line = format!("{stamp} {level:<5} scheduler: {message}\n");
        if self.stderr {
            eprint!("{line}");
        } else {
            match level {
                "error" => tracing::error!(target: "usersync::scheduler", "{message}"),
                "warn" => tracing::warn!(target: "usersync::scheduler", "{message}"),
                _ => tracing::info!(target: "usersync::scheduler", "{message}"),
            }
        }
        if let Some(file) = &self.file
            && let Ok(mut f) = file.lock()
        {
            let _ = f.write_all(line.as_bytes());
        }
    }
}
