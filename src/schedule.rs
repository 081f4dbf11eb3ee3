//! CRON schedules: parsing (with croner) into a checked expression whose errors name the
//! wrong field and what it allows, the next run times in an IANA time zone (chrono-tz)
//! with the daylight-saving rules below, and a plain-words description.
//!
//! Pure: nothing here reads the clock; every function that depends on the time takes it.
//!
//! Accepted: standard 5-field crontab lines (`minute hour day-of-month month
//! day-of-week`), 6 fields with seconds first, 7 with a year last, the shorthands
//! `@hourly @daily @weekly @monthly @yearly` (`@annually`, `@midnight`), names of months
//! (`JAN`, `January`) and weekdays (`MON`, `Monday`), `?`, `L`, `W` and `#`. Weekdays are
//! POSIX: 0 and 7 are Sunday, 1 is Monday.
//!
//! Daylight saving: the expression is matched against the wall clock of the schedule's
//! zone. A local time that does not exist (the clock jumps forward over it) runs once, at
//! the first valid instant after the jump; several such times in one jump still run
//! once. A local time that happens twice (the clock goes back) runs once, at its first
//! occurrence; the repeated hour is not run again.

mod describe;
mod error;
mod parse;
mod zone;

pub use error::{CronError, CronField};
pub use parse::CronExpr;
pub use zone::{TimeZoneError, machine_time_zone, parse_time_zone};

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// A CRON expression or a time zone that was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Cron(#[from] CronError),
    #[error(transparent)]
    TimeZone(#[from] TimeZoneError),
}

/// A CRON expression in a time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    expr: CronExpr,
    tz: Tz,
}

/// One run time, in the schedule's zone and in UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub utc: DateTime<Utc>,
    pub local: DateTime<Tz>,
}

impl Occurrence {
    /// e.g. `Mon 2025-01-06 02:00:00 CET (+01:00)`.
    pub fn local_text(&self) -> String {
        self.local
            .format("%a %Y-%m-%d %H:%M:%S %Z (%:z)")
            .to_string()
    }

    /// e.g. `2025-01-06 01:00:00 UTC`.
    pub fn utc_text(&self) -> String {
        self.utc.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

impl Serialize for Occurrence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Occurrence", 3)?;
        s.serialize_field("local", &self.local.to_rfc3339())?;
        s.serialize_field("utc", &fire_time_text(self.utc))?;
        s.serialize_field("zoneAbbreviation", &self.local.format("%Z").to_string())?;
        s.end()
    }
}

/// A fire time that is due now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    /// The fire time to run (the latest one that has passed).
    pub fire_time: DateTime<Utc>,
    /// It is run late: it was missed, or earlier fire times were (only the latest runs).
    pub catch_up: bool,
    /// Earlier fire times since the last run that are not run (counted up to
    /// [`MISSED_COUNT_LIMIT`]).
    pub missed: u32,
}

/// Missed fire times are counted up to this many.
pub const MISSED_COUNT_LIMIT: u32 = 1000;

/// How fire times are written in the database: UTC, whole seconds (sorts as text).
pub fn fire_time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap_or(t)
}

impl Schedule {
    pub fn new(expr: CronExpr, tz: Tz) -> Schedule {
        Schedule { expr, tz }
    }

    /// Checks the expression and the zone (syntax only).
    pub fn parse(cron: &str, time_zone: &str) -> Result<Schedule, ScheduleError> {
        let expr = CronExpr::parse(cron)?;
        let tz = parse_time_zone(time_zone)?;
        Ok(Schedule { expr, tz })
    }

    /// Checks the expression and the zone, and that the schedule runs at least once
    /// after `now`: what a schedule must pass before it is saved.
    pub fn validate(
        cron: &str,
        time_zone: &str,
        now: DateTime<Utc>,
    ) -> Result<Schedule, ScheduleError> {
        let schedule = Schedule::parse(cron, time_zone)?;
        if schedule.next_after(now).is_none() {
            return Err(CronError::NeverRuns(schedule.expr.as_str().to_string()).into());
        }
        Ok(schedule)
    }

    pub fn expr(&self) -> &CronExpr {
        &self.expr
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn describe(&self) -> String {
        self.expr.describe()
    }

    /// The instant a wall clock time of the zone runs at: itself; the first of two when
    /// the clock goes back; the first valid instant after the jump when the clock skips
    /// it.
    fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
            LocalResult::None => self.after_gap(local),
        }
    }

    /// The first valid instant after the gap that holds `local`.
    fn after_gap(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let valid =
            |t: &NaiveDateTime| !matches!(self.tz.from_local_datetime(t), LocalResult::None);
        let step = Duration::minutes(15);
        let mut hi = local;
        let mut found = false;
        for _ in 0..(4 * 26) {
            hi += step;
            if valid(&hi) {
                found = true;
                break;
            }
        }
        if !found {
            return None;
        }
        let mut lo = local;
        while hi - lo > Duration::seconds(1) {
            let mid = lo + (hi - lo) / 2;
            let mid = mid.with_nanosecond(0).unwrap_or(mid);
            if mid <= lo || mid >= hi {
                break;
            }
            if valid(&mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        match self.tz.from_local_datetime(&hi) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => None,
        }
    }

    /// When `t` is in the second pass of a repeated hour, how far the clock went back:
    /// wall clock times up to that much after `t`'s own ran (first pass) before `t`.
    fn second_pass_shift(&self, t: DateTime<Utc>) -> Option<Duration> {
        let local = t.with_timezone(&self.tz).naive_local();
        match self.tz.from_local_datetime(&local) {
            LocalResult::Ambiguous(first, second) if second.with_timezone(&Utc) == t => {
                Some(second.with_timezone(&Utc) - first.with_timezone(&Utc))
            }
            _ => None,
        }
    }

    /// The first fire time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let t = whole_seconds(t);
        let mut local = t.with_timezone(&self.tz).naive_local();
        // Inside a repeated hour, wall clock times ahead may already have run.
        for _ in 0..20_000 {
            local = self.expr.next_naive(&local)?;
            let fire = self.resolve(local)?;
            if fire > t {
                return Some(fire);
            }
        }
        None
    }

    /// The latest fire time at or before `t`.
    pub fn latest_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let t = whole_seconds(t);
        let local = t.with_timezone(&self.tz).naive_local();
        // In the second pass of a repeated hour, wall clock times after `local` ran in the
        // first pass, before `t`: start the backward search that much later.
        let mut cursor = match self.second_pass_shift(t) {
            Some(shift) => local + shift,
            None => local,
        };
        let mut inclusive = true;
        for _ in 0..20_000 {
            cursor = self.expr.previous_naive(&cursor, inclusive)?;
            inclusive = false;
            let fire = self.resolve(cursor)?;
            if fire <= t {
                return Some(fire);
            }
        }
        None
    }

    /// The next `count` run times after `now`.
    pub fn upcoming(&self, now: DateTime<Utc>, count: usize) -> Vec<Occurrence> {
        let mut out = Vec::with_capacity(count);
        let mut t = now;
        while out.len() < count {
            let Some(next) = self.next_after(t) else {
                break;
            };
            out.push(Occurrence {
                utc: next,
                local: next.with_timezone(&self.tz),
            });
            t = next;
        }
        out
    }

    /// Whether a fire time is due at `now` when everything up to `after` has been run
    /// (or was before the schedule existed). Only the latest passed fire time is due;
    /// it is a catch-up when it is later than `grace` or earlier ones were missed.
    pub fn due(
        &self,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
        grace: std::time::Duration,
    ) -> Option<Due> {
        let first = self.next_after(after)?;
        if first > now {
            return None;
        }
        let latest = self.latest_at_or_before(now)?.max(first);
        let mut missed = 0;
        if latest > first {
            let mut t = first;
            missed = 1;
            while missed < MISSED_COUNT_LIMIT {
                match self.next_after(t) {
                    Some(n) if n < latest => {
                        missed += 1;
                        t = n;
                    }
                    _ => break,
                }
            }
        }
        let late = (now - latest).to_std().unwrap_or_default() > grace;
        Some(Due {
            fire_time: latest,
            catch_up: missed > 0 || late,
            missed,
        })
    }
}
