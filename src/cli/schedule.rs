//! `usersync schedule …`: CRON schedules per client.

use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;

use super::output::{print_json, table};
use super::{CliError, Context};
use crate::schedule::{Occurrence, Schedule, ScheduleError, machine_time_zone};
use crate::store::Store;
use crate::store::schedules::{
    FireRecord, NewSchedule, ScheduleRecord, ScheduleStoreError, ScheduleUpdate,
};

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// List schedules with their next run
    List {
        /// Only schedules of this client
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
    },
    /// Show one schedule: its expression in plain words, the next runs and the last ones
    Show {
        /// The schedule's name (case does not matter)
        name: String,
        /// The client, when several clients have a schedule of this name
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
    },
    /// Save a new schedule for a client. Invalid expressions are refused with the wrong
    /// field named; nothing is saved
    Add(AddArgs),
    /// Change a schedule; flags not given keep their value. A running scheduler picks the
    /// change up within a second
    Edit(EditArgs),
    /// Remove a schedule (its jobs stay in the history)
    Remove {
        /// The schedule's name
        name: String,
        /// The client, when several clients have a schedule of this name
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
    },
    /// The next run times of a saved schedule or of an expression, in its time zone and in
    /// UTC, with a plain-words reading
    Next(NextArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The client to sync (see `usersync client list`)
    #[arg(long, value_name = "CLIENT")]
    pub client: String,
    /// A name for the schedule, unique for the client (1-100 characters)
    #[arg(long)]
    pub name: String,
    /// CRON expression: 5 fields (`0 2 * * 1-5`), 6 with seconds first, or @hourly,
    /// @daily, @weekly, @monthly, @yearly. Quote it
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub cron: String,
    /// IANA time zone the expression is read in, e.g. Europe/Berlin [default: this
    /// machine's zone]
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Save the schedule as inactive (it does not run until activated)
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The schedule's current name
    pub name: String,
    /// The client, when several clients have a schedule of this name
    #[arg(long, value_name = "CLIENT")]
    pub client: Option<String>,
    /// Give the schedule a new name
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
    /// New CRON expression
    #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
    pub cron: Option<String>,
    /// New IANA time zone
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// Make the schedule active
    #[arg(long, conflicts_with = "inactive")]
    pub active: bool,
    /// Make the schedule inactive (it stops running; a running scheduler notices)
    #[arg(long)]
    pub inactive: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").required(true).args(["name", "cron"])))]
pub struct NextArgs {
    /// A saved schedule's name
    pub name: Option<String>,
    /// The client, when several clients have a schedule of this name
    #[arg(long, value_name = "CLIENT", requires = "name")]
    pub client: Option<String>,
    /// An expression to try instead of a saved schedule
    #[arg(
        long,
        value_name = "EXPR",
        allow_hyphen_values = true,
        conflicts_with = "name"
    )]
    pub cron: Option<String>,
    /// Time zone for --cron [default: this machine's zone]
    #[arg(long, value_name = "TZ", requires = "cron")]
    pub timezone: Option<String>,
    /// How many run times (1-100)
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub count: usize,
    /// Count from this time (RFC 3339, e.g. 2025-03-29T12:00:00Z) instead of now
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
}

impl From<ScheduleStoreError> for CliError {
    fn from(e: ScheduleStoreError) -> Self {
        match e {
            ScheduleStoreError::Store(s) => CliError::from(s),
            other => CliError::bad_input(other),
        }
    }
}

impl From<ScheduleError> for CliError {
    fn from(e: ScheduleError) -> Self {
        CliError::bad_input(e)
    }
}

/// A schedule as `list` / `show` print it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleDoc {
    #[serde(flatten)]
    record: ScheduleRecord,
    description: Option<String>,
    /// Why a stored schedule cannot run (edited outside User Sync), if it cannot.
    problem: Option<String>,
    next_run: Option<Occurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_runs: Option<Vec<Occurrence>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_runs: Option<Vec<FireRecord>>,
}

impl ScheduleDoc {
    fn new(record: ScheduleRecord, now: DateTime<Utc>) -> ScheduleDoc {
        let (description, problem, next_run) = match Schedule::parse(&record.cron, &record.timezone)
        {
            Ok(s) => {
                let next = (record.active && record.client_active)
                    .then(|| s.upcoming(now, 1).into_iter().next())
                    .flatten();
                (Some(s.describe()), None, next)
            }
            Err(e) => (None, Some(e.to_string()), None),
        };
        ScheduleDoc {
            record,
            description,
            problem,
            next_run,
            next_runs: None,
            last_runs: None,
        }
    }
}

pub fn run(ctx: &Context, cmd: ScheduleCommand) -> Result<(), CliError> {
    match cmd {
        ScheduleCommand::List { client } => list(ctx, client),
        ScheduleCommand::Show { name, client } => show(ctx, &name, client.as_deref()),
        ScheduleCommand::Add(args) => add(ctx, args),
        ScheduleCommand::Edit(args) => edit(ctx, args),
        ScheduleCommand::Remove { name, client } => remove(ctx, &name, client.as_deref()),
        ScheduleCommand::Next(args) => next(ctx, args),
    }
}

/// The one schedule with this name (of this client, if given).
fn resolve(store: &Store, name: &str, client: Option<&str>) -> Result<ScheduleRecord, CliError> {
    let key = match client {
        Some(c) => Some(store.client_by_name(c)?.key),
        None => None,
    };
    let mut found = store.find_schedules(name, key)?;
    match found.len() {
        0 => Err(CliError::bad_input(ScheduleStoreError::NotFound(
            name.trim().to_string(),
        ))),
        1 => Ok(found.remove(0)),
        n => {
            let clients: Vec<String> = found.iter().map(|s| s.client_name.clone()).collect();
            Err(CliError::bad_input(anyhow::anyhow!(
                "{n} schedules are named \"{}\" (clients {}); add --client NAME",
                name.trim(),
                clients.join(", ")
            )))
        }
    }
}

fn check_name(name: &str) -> Result<String, CliError> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > 100 {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "schedule name: give 1-100 characters (it has {len})"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "schedule name: control characters (such as tabs or newlines) are not allowed"
        )));
    }
    Ok(name.to_string())
}

fn active_text(r: &ScheduleRecord) -> &'static str {
    match (r.active, r.client_active) {
        (true, true) => "yes",
        (true, false) => "no (client inactive)",
        (false, _) => "no",
    }
}

fn list(ctx: &Context, client: Option<String>) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let key = match client {
        Some(c) => Some(store.client_by_name(&c)?.key),
        None => None,
    };
    let now = Utc::now();
    let docs: Vec<ScheduleDoc> = store
        .list_schedules(key)?
        .into_iter()
        .map(|r| ScheduleDoc::new(r, now))
        .collect();
    if ctx.json {
        #[derive(Serialize)]
        struct Doc<'a> {
            schedules: &'a [ScheduleDoc],
        }
        print_json(&Doc { schedules: &docs });
    } else if docs.is_empty() {
        eprintln!(
            "No schedules yet. Add one with `usersync schedule add --client NAME --name NAME \
             --cron \"0 2 * * *\"`."
        );
    } else {
        let rows: Vec<Vec<String>> = docs
            .iter()
            .map(|d| {
                vec![
                    d.record.name.clone(),
                    d.record.client_name.clone(),
                    d.record.cron.clone(),
                    d.record.timezone.clone(),
                    active_text(&d.record).to_string(),
                    d.next_run
                        .as_ref()
                        .map(|o| o.local_text())
                        .unwrap_or_else(|| "-".into()),
                    d.description
                        .clone()
                        .or_else(|| d.problem.clone())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        print!(
            "{}",
            table(
                &[
                    "NAME",
                    "CLIENT",
                    "CRON",
                    "TIME ZONE",
                    "ACTIVE",
                    "NEXT RUN",
                    "READS"
                ],
                &rows
            )
        );
    }
    Ok(())
}

fn print_runs(runs: &[Occurrence]) {
    for o in runs {
        println!("  {:<40} {}", o.local_text(), o.utc_text());
    }
}

fn show(ctx: &Context, name: &str, client: Option<&str>) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let record = resolve(&store, name, client)?;
    let now = Utc::now();
    let fires = store.recent_fires(record.id, 10)?;
    let next_runs = Schedule::parse(&record.cron, &record.timezone)
        .ok()
        .filter(|_| record.active && record.client_active)
        .map(|s| s.upcoming(now, 5));
    let mut doc = ScheduleDoc::new(record, now);
    doc.next_runs = Some(next_runs.unwrap_or_default());
    doc.last_runs = Some(fires);
    if ctx.json {
        print_json(&doc);
        return Ok(());
    }
    let r = &doc.record;
    println!("Schedule:   {}", r.name);
    println!(
        "Client:     {}{}",
        r.client_name,
        if r.client_active { "" } else { " (inactive)" }
    );
    println!("CRON:       {}", r.cron);
    println!("Time zone:  {}", r.timezone);
    println!("Active:     {}", active_text(r));
    match (&doc.description, &doc.problem) {
        (Some(d), _) => println!("Reads:      {d}"),
        (None, Some(p)) => println!("Problem:    {p}"),
        _ => {}
    }
    let next = doc.next_runs.as_deref().unwrap_or_default();
    if next.is_empty() {
        println!("Next runs:  none (inactive)");
    } else {
        println!("Next runs:");
        print_runs(next);
    }
    let last = doc.last_runs.as_deref().unwrap_or_default();
    if last.is_empty() {
        println!("Last runs:  none yet");
    } else {
        println!("Last runs:");
        for f in last {
            let job = match (f.job_id, f.job_status) {
                (Some(j), Some(s)) => format!("job {j} {s}"),
                (Some(j), None) => format!("job {j}"),
                (None, _) => "no job".to_string(),
            };
            println!(
                "  {}  {job}{}",
                f.fire_time.format("%Y-%m-%d %H:%M:%S UTC"),
                if f.catch_up { " (catch-up)" } else { "" }
            );
        }
    }
    Ok(())
}

fn saved(ctx: &Context, record: ScheduleRecord, verb: &str) {
    let doc = ScheduleDoc::new(record, Utc::now());
    let r = &doc.record;
    eprintln!(
        "{verb} schedule \"{}\" for client \"{}\": `{}` in {} — {}{}.",
        r.name,
        r.client_name,
        r.cron,
        r.timezone,
        doc.description.as_deref().unwrap_or("?"),
        if r.active { "" } else { " (inactive)" }
    );
    if let Some(next) = &doc.next_run {
        eprintln!("Next run: {} ({})", next.local_text(), next.utc_text());
    } else if r.active && !r.client_active {
        eprintln!("The client is inactive: the schedule runs once the client is activated.");
    }
    if ctx.json {
        print_json(&doc);
    }
}

fn add(ctx: &Context, args: AddArgs) -> Result<(), CliError> {
    let name = check_name(&args.name)?;
    let timezone = args
        .timezone
        .unwrap_or_else(|| machine_time_zone().name().to_string());
    let schedule = Schedule::validate(&args.cron, &timezone, Utc::now())?;
    let mut store = Store::open_in(&ctx.data_dir)?;
    let client = store.client_by_name(&args.client)?;
    let record = store.insert_schedule(&NewSchedule {
        client_key: client.key,
        name: &name,
        cron: schedule.expr().as_str(),
        timezone: schedule.tz().name(),
        active: !args.inactive,
    })?;
    saved(ctx, record, "Saved");
    Ok(())
}

fn edit(ctx: &Context, args: EditArgs) -> Result<(), CliError> {
    let mut store = Store::open_in(&ctx.data_dir)?;
    let current = resolve(&store, &args.name, args.client.as_deref())?;
    let name = args.rename.as_deref().map(check_name).transpose()?;
    let mut update = ScheduleUpdate {
        name,
        active: if args.active {
            Some(true)
        } else if args.inactive {
            Some(false)
        } else {
            None
        },
        ..ScheduleUpdate::default()
    };
    if args.cron.is_some() || args.timezone.is_some() {
        let cron = args.cron.as_deref().unwrap_or(&current.cron);
        let tz = args.timezone.as_deref().unwrap_or(&current.timezone);
        let schedule = Schedule::validate(cron, tz, Utc::now())?;
        update.cron = Some(schedule.expr().as_str().to_string());
        update.timezone = Some(schedule.tz().name().to_string());
    }
    let record = store.update_schedule(current.id, &update)?;
    saved(ctx, record, "Updated");
    Ok(())
}

fn remove(ctx: &Context, name: &str, client: Option<&str>) -> Result<(), CliError> {
    let store = Store::open_in(&ctx.data_dir)?;
    let record = resolve(&store, name, client)?;
    store.delete_schedule(record.id)?;
    eprintln!(
        "Removed schedule \"{}\" of client \"{}\" (its jobs stay in the history).",
        record.name, record.client_name
    );
    if ctx.json {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Doc<'a> {
            removed: bool,
            name: &'a str,
            client_name: &'a str,
        }
        print_json(&Doc {
            removed: true,
            name: &record.name,
            client_name: &record.client_name,
        });
    }
    Ok(())
}

fn next(ctx: &Context, args: NextArgs) -> Result<(), CliError> {
    if !(1..=100).contains(&args.count) {
        return Err(CliError::bad_input(anyhow::anyhow!(
            "--count {}: give 1-100",
            args.count
        )));
    }
    let from = match &args.from {
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                CliError::bad_input(anyhow::anyhow!(
                    "--from {text:?}: not an RFC 3339 time such as 2025-03-29T12:00:00Z ({e})"
                ))
            })?,
        None => Utc::now(),
    };
    let (label, schedule) = match (&args.name, &args.cron) {
        (Some(name), _) => {
            let store = Store::open_in(&ctx.data_dir)?;
            let record = resolve(&store, name, args.client.as_deref())?;
            let schedule = Schedule::parse(&record.cron, &record.timezone)?;
            (
                Some(format!("{} (client {})", record.name, record.client_name)),
                schedule,
            )
        }
        (None, Some(cron)) => {
            let tz = args
                .timezone
                .clone()
                .unwrap_or_else(|| machine_time_zone().name().to_string());
            (None, Schedule::validate(cron, &tz, from)?)
        }
        (None, None) => {
            return Err(CliError::bad_input(anyhow::anyhow!(
                "give a schedule's NAME or --cron EXPR"
            )));
        }
    };
    let runs = schedule.upcoming(from, args.count);
    let description = schedule.describe();
    if ctx.json {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Doc<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            schedule: Option<&'a str>,
            cron: &'a str,
            timezone: &'a str,
            description: &'a str,
            runs: &'a [Occurrence],
        }
        print_json(&Doc {
            schedule: label.as_deref(),
            cron: schedule.expr().as_str(),
            timezone: schedule.tz().name(),
            description: &description,
            runs: &runs,
        });
        return Ok(());
    }
    if let Some(label) = &label {
        println!("Schedule:   {label}");
    }
    println!("CRON:       {}", schedule.expr().as_str());
    println!("Time zone:  {}", schedule.tz().name());
    println!("Reads:      {description}");
    if runs.is_empty() {
        println!("Next runs:  none (the expression matches no later date)");
    } else {
        println!("Next runs ({} time, then UTC):", schedule.tz().name());
        print_runs(&runs);
    }
    Ok(())
}
