//! Validate & Save off the UI thread (secret lookup, the validation steps, the save),
//! and how each validation step is shown.

use std::path::PathBuf;

use egui::{RichText, Ui};
use tokio_util::sync::CancellationToken;

use crate::client_input::ValidClient;
use crate::client_service::{self, SaveOutcome, SaveTarget};
use crate::graph::{StepStatus, ValidationReport, ValidationStep};
use crate::gui::theme::Tone;
use crate::gui::widgets;
use crate::secrets::Backend;

pub enum SaveResult {
    Saved {
        outcome: Box<SaveOutcome>,
        report: Option<ValidationReport>,
    },
    ValidationFailed(ValidationReport),
    Failed(String),
}

/// Validates first when asked (nothing is saved if that fails), then saves the client
/// with its secret.
pub async fn save_task(
    valid: ValidClient,
    target: SaveTarget,
    validate: bool,
    data_dir: PathBuf,
    backend: Backend,
    runtime: tokio::runtime::Handle,
) -> SaveResult {
    let mut record = None;
    let mut report = None;
    if validate {
        let dir = data_dir.clone();
        let typed = valid.secret.clone();
        let secret = runtime
            .spawn_blocking(move || {
                let store = crate::gui::tasks::open_store(&dir)?;
                client_service::secret_for_validation(&store, backend, &dir, target, typed.as_ref())
                    .map_err(|e| e.to_string())
            })
            .await;
        let secret = match secret {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return SaveResult::Failed(e),
            Err(e) => return SaveResult::Failed(e.to_string()),
        };
        let result = client_service::validate_settings(
            &valid.cloud,
            &valid.tenant_id,
            &valid.client_id,
            secret,
            valid.azure_sso,
            &CancellationToken::new(),
        )
        .await;
        let r = match result {
            Ok(r) => r,
            Err(e) => return SaveResult::Failed(e.to_string()),
        };
        if !r.ok {
            return SaveResult::ValidationFailed(r);
        }
        record = Some(client_service::validation_record(&r));
        report = Some(r);
    }
    let saved = runtime
        .spawn_blocking(move || {
            let store = crate::gui::tasks::open_store(&data_dir)?;
            client_service::save_client(&store, backend, &data_dir, target, &valid, record.as_ref())
                .map_err(|e| e.to_string())
        })
        .await;
    match saved {
        Ok(Ok(outcome)) => SaveResult::Saved {
            outcome: Box::new(outcome),
            report,
        },
        Ok(Err(e)) => SaveResult::Failed(e),
        Err(e) => SaveResult::Failed(e.to_string()),
    }
}

pub fn step_row(ui: &mut Ui, step: &ValidationStep) {
    let (tone, word) = match step.status {
        StepStatus::Ok => (Tone::Ok, "OK"),
        StepStatus::Failed => (Tone::Error, "Failed"),
        StepStatus::Optional => (Tone::Warn, "Skipped"),
        StepStatus::NotRun => (Tone::Neutral, "Not run"),
    };
    ui.horizontal_top(|ui| {
        ui.allocate_ui(egui::vec2(80.0, 18.0), |ui| {
            ui.set_min_width(80.0);
            let _ = widgets::status_chip(ui, tone, word);
        });
        ui.vertical(|ui| {
            ui.label(RichText::new(&step.name).strong());
            ui.add(egui::Label::new(&step.message).wrap());
            if let Some(code) = &step.code {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Code").color(ui.visuals().weak_text_color()));
                    ui.label(RichText::new(code).monospace());
                });
            }
            if let Some(id) = &step.correlation_id {
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Correlation id").color(ui.visuals().weak_text_color()));
                    ui.label(RichText::new(id).monospace());
                    let _ = widgets::copy_button(ui, "correlation id", id);
                });
            }
        });
    });
    ui.add_space(4.0);
}
