//! The Sync Now summary of a finished job: status, counts, duration, a link to the job,
//! and for a blocked plan the guard's numbers with "Apply anyway".

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use crate::engine::{GuardInfo, JobOutcome, SyncRequest};
use crate::gui::command::{Command, Commands};
use crate::gui::data::Shared;
use crate::gui::theme::{self, Tone};
use crate::gui::widgets;
use crate::model::{ClientKey, JobCounts, JobId, JobKind, JobStatus, JobSummary, Trigger};

/// A finished job as the summary shows it: from this session's engine events, or from
/// the job history.
pub(super) struct ResultView {
    pub job: JobId,
    pub client: ClientKey,
    pub client_name: String,
    pub status: JobStatus,
    pub kind: JobKind,
    pub counts: JobCounts,
    pub users_read: u64,
    pub duration_ms: u64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub guard: Option<GuardInfo>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<&JobOutcome> for ResultView {
    fn from(o: &JobOutcome) -> Self {
        Self {
            job: o.job,
            client: o.client,
            client_name: o.client_name.clone(),
            status: o.status,
            kind: o.kind,
            counts: o.counts,
            users_read: o.users_read,
            duration_ms: o.duration_ms,
            error_code: o.error_code.clone(),
            error_message: o.error_message.clone(),
            guard: o.guard,
            finished_at: None,
        }
    }
}

impl ResultView {
    pub(super) fn of_summary(client: ClientKey, j: &JobSummary) -> Self {
        Self {
            job: j.id,
            client,
            client_name: j.client_name.clone(),
            status: j.status,
            kind: j.kind,
            counts: j.counts,
            users_read: j.users_read,
            duration_ms: j
                .duration()
                .map(|d| d.num_milliseconds().max(0) as u64)
                .unwrap_or(0),
            error_code: j.error_code.clone(),
            error_message: j.error_message.clone(),
            guard: None,
            finished_at: j.finished_at,
        }
    }
}

pub(super) fn outcome_ui(ui: &mut Ui, o: &ResultView, shared: &Shared, commands: &mut Commands) {
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(10))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                let _ = widgets::status_chip(
                    ui,
                    theme::job_tone(o.status),
                    theme::job_status_text(o.status),
                );
                ui.label(format!(
                    "{} · {} · {} users read in {}",
                    o.client_name,
                    kind_text(o.kind),
                    widgets::count(o.users_read),
                    widgets::duration_ms(o.duration_ms)
                ));
                if let Some(at) = o.finished_at {
                    ui.label(
                        RichText::new(format!(
                            "finished {} ({})",
                            widgets::local_time(at),
                            widgets::relative(at, shared.now())
                        ))
                        .color(ui.visuals().weak_text_color()),
                    );
                }
            });
            ui.add_space(4.0);
            counts_grid(ui, o);
            ui.add_space(4.0);
            if o.kind == JobKind::DryRun {
                widgets::note(
                    ui,
                    "Dry run: these are the changes a sync would make; nothing was applied.",
                );
            }
            if o.status == JobStatus::Blocked {
                blocked_ui(ui, o, commands);
            } else if let Some(message) = &o.error_message
                && o.status != JobStatus::Succeeded
            {
                let text = match &o.error_code {
                    Some(code) => format!("{message} (code {code})"),
                    None => message.clone(),
                };
                widgets::banner_text(ui, theme::job_tone(o.status), &text);
            }
            if ui
                .link(format!("Open job {} in Job History", o.job))
                .on_hover_text("Timing, log and every change of this job")
                .clicked()
            {
                commands.push(Command::OpenJob(o.job));
            }
        });
}

fn counts_grid(ui: &mut Ui, o: &ResultView) {
    widgets::counts_grid(ui, ("outcome_counts", o.job), &o.counts, 18.0);
}

fn blocked_ui(ui: &mut Ui, o: &ResultView, commands: &mut Commands) {
    widgets::banner(ui, Tone::Warn, |ui| {
        ui.label(RichText::new("Blocked by the deletion guard: nothing was applied.").strong());
        match (&o.guard, &o.error_message) {
            (Some(g), _) => {
                ui.label(format!(
                    "This sync would delete or disable {} of {} users; the guard allows {}.",
                    widgets::count(g.removals),
                    widgets::count(g.directory_size),
                    widgets::count(g.limit)
                ));
            }
            (None, Some(message)) => {
                ui.add(egui::Label::new(message.as_str()).wrap());
            }
            (None, None) => {}
        }
        ui.label("Review the changes in Job History. If they are expected, apply them.");
        ui.add_space(4.0);
        if ui
            .button("Apply anyway")
            .on_hover_text("Run this sync again with your consent to the deletions")
            .clicked()
        {
            let mut request = SyncRequest::new(o.client, Trigger::Manual);
            request.full = o.kind == JobKind::Full;
            request.allow_deletes = true;
            commands.push(Command::StartSync(request));
        }
    });
}

pub(super) fn kind_text(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Full => "full sync",
        JobKind::Incremental => "incremental sync",
        JobKind::DryRun => "dry run",
    }
}
