//! How the CLI reports results and errors.

use std::fmt::Write as _;

use serde::Serialize;

use super::exit;
use crate::client_input::InputErrors;
use crate::secrets::SecretError;
use crate::store::StoreError;

/// An error at the binary edge, with the exit code it ends the process with.
#[derive(Debug)]
pub struct CliError {
    pub exit_code: u8,
    pub code: Option<String>,
    pub error: anyhow::Error,
    /// The JSON document was already printed (e.g. a failed job): only stderr remains.
    pub json_printed: bool,
}

impl CliError {
    pub fn new(exit_code: u8, error: impl Into<anyhow::Error>) -> Self {
        Self {
            exit_code,
            code: None,
            error: error.into(),
            json_printed: false,
        }
    }

    /// Marks that stdout already holds this run's JSON document.
    pub fn quiet(mut self, json_printed: bool) -> Self {
        self.json_printed = json_printed;
        self
    }

    pub fn bad_input(error: impl Into<anyhow::Error>) -> Self {
        Self::new(exit::BAD_INPUT, error)
    }

    pub fn failed(error: impl Into<anyhow::Error>) -> Self {
        Self::new(exit::FAILED, error)
    }

    pub fn with_code(mut self, code: Option<String>) -> Self {
        self.code = code;
        self
    }

    /// Prints the error: to stderr always, and as a JSON document on stdout with --json
    /// so scripts reading stdout always get one document.
    pub fn report(&self, json: bool) {
        let mut text = String::new();
        for (i, cause) in self.error.chain().enumerate() {
            if i == 0 {
                let _ = write!(text, "{cause}");
            } else {
                let _ = write!(text, "\n  caused by: {cause}");
            }
        }
        eprintln!("error: {text}");
        if json && !self.json_printed {
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Doc<'a> {
                ok: bool,
                error: ErrorDoc<'a>,
            }
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct ErrorDoc<'a> {
                message: &'a str,
                #[serde(skip_serializing_if = "Option::is_none")]
                code: Option<&'a str>,
                exit_code: u8,
                #[serde(skip_serializing_if = "Option::is_none")]
                fields: Option<&'a InputErrors>,
            }
            let fields = self.error.downcast_ref::<InputErrors>();
            print_json(&Doc {
                ok: false,
                error: ErrorDoc {
                    message: &text,
                    code: self.code.as_deref(),
                    exit_code: self.exit_code,
                    fields,
                },
            });
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ClientNotFound(_) | StoreError::DuplicateClientName(_) => {
                CliError::bad_input(e)
            }
            _ => CliError::failed(e),
        }
    }
}

impl From<SecretError> for CliError {
    fn from(e: SecretError) -> Self {
        CliError::failed(e)
    }
}

impl From<InputErrors> for CliError {
    fn from(e: InputErrors) -> Self {
        CliError::bad_input(e)
    }
}

pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot format JSON output: {e}"),
    }
}

/// Formats rows as a plain-text table with a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for (i, cell) in cells.enumerate() {
            if !first {
                out.push_str("  ");
            }
            first = false;
            let pad = widths[i].saturating_sub(cell.chars().count());
            out.push_str(cell);
            if i + 1 < widths.len() {
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(&mut out, &mut header.iter().copied());
    for row in rows {
        line(&mut out, &mut row.iter().map(String::as_str));
    }
    out
}
