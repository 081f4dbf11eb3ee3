//! Validation from the CLI: `client validate NAME` and `client add/edit --validate`.

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::output::print_json;
use super::{CliError, exit};
use crate::graph::{GraphClient, GraphConfig, StepStatus, ValidationReport, validate};
use crate::model::{Cloud, Secret};

/// Validates settings that may not be saved yet. Ctrl+C cancels.
pub fn run_validation(
    cloud: &Cloud,
    tenant: &str,
    client_id: &str,
    secret: Secret,
    azure_sso: bool,
) -> Result<ValidationReport, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::failed)?;
    let cfg = GraphConfig::new(cloud.endpoints(), tenant, client_id, secret);
    let graph = GraphClient::new(cfg).map_err(|e| CliError::bad_input(anyhow::anyhow!(e)))?;
    let cancel = CancellationToken::new();
    Ok(runtime.block_on(async {
        let stop = cancel.clone();
        tokio::select! {
            report = validate(&graph, azure_sso, &cancel) => report,
            _ = super::sync::wait_for_stop_signal() => {
                stop.cancel();
                validate(&graph, azure_sso, &stop).await
            }
        }
    }))
}

/// Prints each step to stderr (and the whole report with --json, unless the caller
/// prints a document of its own).
pub fn print_report(report: &ValidationReport, json_doc: bool) {
    for step in &report.steps {
        let mark = match step.status {
            StepStatus::Ok => "ok     ",
            StepStatus::Failed => "FAILED ",
            StepStatus::Optional => "warning",
            StepStatus::NotRun => "not run",
        };
        eprintln!("  [{mark}] {}: {}", step.name, step.message);
        if step.status == StepStatus::Failed || step.status == StepStatus::Optional {
            if let Some(code) = &step.code {
                eprintln!("            code: {code}");
            }
            if let Some(id) = &step.correlation_id {
                eprintln!("            correlation id: {id}");
            }
        }
    }
    if let Some(name) = &report.tenant_name {
        eprintln!("  Tenant: {name}");
    }
    if report.ok {
        // A failure's summary is printed once, as the error.
        eprintln!("{}", report.summary());
    }
    if json_doc {
        print_json(report);
    }
}

/// The error for a failed validation (exit 1, the first failure's code attached).
pub fn failure(report: &ValidationReport, saved: bool) -> CliError {
    let failed = report.steps.iter().find(|s| s.status == StepStatus::Failed);
    let code = failed.and_then(|s| s.code.clone());
    let correlation = failed
        .and_then(|s| s.correlation_id.as_deref())
        .map(|id| format!(" Correlation id: {id}."))
        .unwrap_or_default();
    let tail = if saved { "" } else { " Nothing was saved." };
    CliError::new(
        exit::FAILED,
        anyhow::anyhow!("{}{correlation}{tail}", report.summary()),
    )
    .with_code(code)
}

/// `--json` document for add/edit with --validate.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedWithValidation<'a, T: Serialize> {
    #[serde(flatten)]
    pub client: T,
    pub validation: &'a ValidationReport,
}
