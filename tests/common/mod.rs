//! Helpers shared by the integration tests: run the real binary against a temp data dir.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_usersync");

/// True when the OS keyring answers. Tests that need it fail when `USERSYNC_REQUIRE_KEYRING`
/// is set (as scripts/test.sh does) and are skipped with a note otherwise, so a plain
/// `cargo test` on a machine without a keyring still runs everything else.
pub fn keyring_available() -> bool {
    let ok = usersync::secrets::SecretStore::open_os()
        .and_then(|s| s.get(usersync::model::ClientKey::new()).map(|_| ()))
        .is_ok();
    if !ok {
        if std::env::var_os("USERSYNC_REQUIRE_KEYRING").is_some() {
            panic!("the OS keyring is required (USERSYNC_REQUIRE_KEYRING) but not reachable");
        }
        eprintln!("note: skipping, no OS keyring reachable (run scripts/test.sh)");
    }
    ok
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A data directory and a way to run `usersync` against it.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub extra_env: Vec<(String, String)>,
    pub outputs: std::cell::RefCell<Vec<String>>,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
            extra_env: Vec::new(),
            outputs: Default::default(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(self.dir.path()).args(args);
        cmd.env_remove("USERSYNC_DATA_DIR")
            .env_remove("USERSYNC_SECRET_STORE")
            .env("RUST_LOG", "debug");
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs with the given stdin (or none) and records the output for leak checks.
    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn usersync");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        let run = Run::from(child.wait_with_output().expect("wait"));
        self.outputs
            .borrow_mut()
            .push(format!("{}{}", run.stdout, run.stderr));
        run
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    /// Every file under the data directory, for leak scans.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            if let Ok(entries) = std::fs::read_dir(dir) {
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p, out);
                    } else {
                        out.push(p);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self.dir.path(), &mut out);
        out
    }
}

/// A secret no test output should ever contain.
pub fn unique_secret() -> String {
    format!("Zq8~{}", uuid::Uuid::new_v4().simple())
}

pub const CLIENT_ID: &str = "1b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d";
