//! What a refused CRON expression says: the field, its place, and what it allows.

use std::fmt;

use serde::Serialize;

/// One field of a CRON expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CronField {
    Second,
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl CronField {
    pub fn label(self) -> &'static str {
        match self {
            CronField::Second => "second",
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
            CronField::Year => "year",
        }
    }

    pub(super) fn range(self) -> (u32, u32) {
        match self {
            CronField::Second | CronField::Minute => (0, 59),
            CronField::Hour => (0, 23),
            CronField::DayOfMonth => (1, 31),
            CronField::Month => (1, 12),
            CronField::DayOfWeek => (0, 7),
            CronField::Year => (1970, 5000),
        }
    }

    /// What the field accepts, in words.
    pub fn allowed(self) -> &'static str {
        match self {
            CronField::Second => {
                "0-59, * (every second), lists (0,30), ranges (0-30), steps (*/10, 5/15)"
            }
            CronField::Minute => {
                "0-59, * (every minute), lists (0,30), ranges (0-30), steps (*/15, 5/15)"
            }
            CronField::Hour => "0-23, * (every hour), lists (8,12,17), ranges (9-17), steps (*/6)",
            CronField::DayOfMonth => {
                "1-31, * or ? (every day), lists (1,15), ranges (1-7), steps (*/2), L (the last day), \
                 15W (the weekday nearest the 15th)"
            }
            CronField::Month => {
                "1-12 or JAN-DEC (full names too), * (every month), lists (JAN,JUL), \
                 ranges (JAN-MAR), steps (*/3)"
            }
            CronField::DayOfWeek => {
                "0-7 or SUN-SAT (0 and 7 are Sunday; full names too), * or ? (every day), lists \
                 (SAT,SUN), ranges (MON-FRI), 5L (the last Friday of the month), MON#1 (the first \
                 Monday of the month)"
            }
            CronField::Year => "1970-5000, * (every year), lists, ranges (2025-2030), steps",
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a CRON expression was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error(
        "the CRON expression is empty; write for example `0 2 * * 1-5` (02:00 on weekdays), \
         `*/15 * * * *` (every 15 minutes) or `@daily`"
    )]
    Empty,
    #[error(
        "unknown shorthand \"{0}\"; use @hourly, @daily, @weekly, @monthly or @yearly, or write \
         the fields (e.g. `0 2 * * *`)"
    )]
    UnknownShorthand(String),
    #[error(
        "\"{expr}\" has {found} field(s); expected 5 (minute hour day-of-month month \
         day-of-week, e.g. `0 2 * * 1-5`), 6 with seconds first (`*/30 * * * * *`), or 7 \
         with a year last"
    )]
    FieldCount { expr: String, found: usize },
    #[error(
        "{field} field (field {position} of {count}) \"{value}\": {problem}. Allowed in the \
         {field} field: {}", .field.allowed()
    )]
    Field {
        field: CronField,
        /// 1-based position in the expression as written.
        position: usize,
        count: usize,
        value: String,
        problem: String,
    },
    #[error(
        "\"{0}\" never runs: no date matches it from now on (such as 30 February, or a year in \
         the past)"
    )]
    NeverRuns(String),
    #[error("\"{expr}\" is not a valid CRON expression: {message}")]
    Other { expr: String, message: String },
}

impl CronError {
    /// The field the error is about, if it is about one.
    pub fn field(&self) -> Option<CronField> {
        match self {
            CronError::Field { field, .. } => Some(*field),
            _ => None,
        }
    }
}
