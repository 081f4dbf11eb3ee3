//! `usersync jobs list | show ID`: the job history.

use clap::Subcommand;
use serde::Serialize;

use super::output::{print_json, table};
use super::{CliError, Context};
use crate::model::{JobId, JobStatus, JobSummary};
use crate::store::{JobFilter, Store};

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Previous jobs, newest first
    List {
        /// Only jobs of this client
        #[arg(long, value_name = "NAME")]
        client: Option<String>,
        /// Only jobs with this status (running, succeeded, failed, cancelled,
        /// interrupted, blocked, skipped)
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// At most this many jobs
        #[arg(long, value_name = "N", default_value_t = 50)]
        limit: u32,
    },
    /// Everything one job recorded: timing, counts, log and the change list
    Show {
        /// The job's number (see `jobs list`)
        id: i64,
    },
}

pub fn run(ctx: &Context, cmd: JobsCommand) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    match cmd {
        JobsCommand::List {
            client,
            status,
            limit,
        } => {
            let client = match client {
                Some(name) => Some(store.client_by_name(&name)?.key),
                None => None,
            };
            let status = match status {
                Some(s) => Some(JobStatus::parse(&s).ok_or_else(|| {
                    CliError::bad_input(anyhow::anyhow!(
                        "unknown status \"{s}\"; expected one of {}",
                        JobStatus::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?),
                None => None,
            };
            let jobs = store.list_jobs(&JobFilter {
                client,
                status,
                limit: Some(limit),
            })?;
            if ctx.json {
                #[derive(Serialize)]
                struct Doc<'a> {
                    jobs: &'a [JobSummary],
                }
                print_json(&Doc { jobs: &jobs });
            } else if jobs.is_empty() {
                eprintln!("No jobs yet. Run one with `usersync sync NAME`.");
            } else {
                print!("{}", jobs_table(&jobs));
            }
            Ok(())
        }
        JobsCommand::Show { id } => {
            let detail = store.job_detail(JobId(id))?.ok_or_else(|| {
                CliError::bad_input(anyhow::anyhow!("no job {id} (see `usersync jobs list`)"))
            })?;
            if ctx.json {
                print_json(&detail);
                return Ok(());
            }
            let s = &detail.summary;
            println!("Job {} — {}", s.id, s.status);
            println!("Client:    {}", s.client_name);
            match &s.schedule_name {
                Some(name) => println!("Trigger:   {} (schedule \"{name}\")", s.trigger),
                None => println!("Trigger:   {}", s.trigger),
            }
            println!("Kind:      {}", s.kind);
            println!(
                "Started:   {}",
                s.started_at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            if let Some(end) = s.finished_at {
                let secs = (end - s.started_at).num_milliseconds() as f64 / 1000.0;
                println!(
                    "Finished:  {} ({secs:.1} s)",
                    end.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
            println!("Read:      {} users in {} pages", s.users_read, s.pages);
            let c = &s.counts;
            println!(
                "Counts:    {} added, {} updated, {} disabled, {} re-enabled, {} deleted, {} restored, {} manager changes, {} unchanged",
                c.added,
                c.updated,
                c.disabled,
                c.enabled,
                c.deleted,
                c.restored,
                c.manager_changed,
                c.unchanged
            );
            if let Some(msg) = &s.error_message {
                match &s.error_code {
                    Some(code) => println!("Message:   [{code}] {msg}"),
                    None => println!("Message:   {msg}"),
                }
            }
            println!("\nLog:");
            for line in &detail.log {
                println!(
                    "  {} {:5} {}",
                    line.at.format("%H:%M:%S%.3f"),
                    line.level,
                    line.message
                );
            }
            println!("\nChanges ({}):", detail.changes.len());
            for ch in &detail.changes {
                println!("  {:15} {} ({})", ch.kind, ch.label, ch.user_id);
                for f in &ch.fields {
                    println!(
                        "      {}: {} → {}",
                        f.field,
                        f.before.as_deref().unwrap_or("(empty)"),
                        f.after.as_deref().unwrap_or("(empty)")
                    );
                }
            }
            Ok(())
        }
    }
}

fn jobs_table(jobs: &[JobSummary]) -> String {
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            let c = &j.counts;
            vec![
                j.id.to_string(),
                j.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                j.client_name.clone(),
                j.trigger.to_string(),
                j.kind.to_string(),
                j.status.to_string(),
                format!(
                    "+{} ~{} -{} ⊘{} ↻{}",
                    c.added, c.updated, c.deleted, c.disabled, c.manager_changed
                ),
                j.duration()
                    .map(|d| format!("{:.1} s", d.num_milliseconds() as f64 / 1000.0))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "STARTED (UTC)",
            "CLIENT",
            "TRIGGER",
            "KIND",
            "STATUS",
            "CHANGES",
            "TIME",
        ],
        &rows,
    )
}
