//! Checks every field of a CRON expression (names, ranges, steps, specials) with
//! messages that name the field, then hands the numbers-only form to croner.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use croner::Cron;
use croner::parser::CronParser;

use super::error::{CronError, CronField};

const MONTHS: [&str; 12] = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
];
const WEEKDAYS: [&str; 7] = [
    "SUNDAY",
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
];
pub(super) const MONTH_WORDS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
pub(super) const WEEKDAY_WORDS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn month_number(name: &str) -> Option<u32> {
    let i = MONTHS
        .iter()
        .position(|m| *m == name || (name.len() == 3 && m.starts_with(name)))
        .or_else(|| (name == "SEPT").then_some(8))?;
    Some(i as u32 + 1)
}

fn weekday_number(name: &str) -> Option<u32> {
    let aliases = [("TUES", 2), ("WEDS", 3), ("THUR", 4), ("THURS", 4)];
    if let Some((_, n)) = aliases.iter().find(|(a, _)| *a == name) {
        return Some(*n);
    }
    WEEKDAYS
        .iter()
        .position(|d| *d == name || (name.len() == 3 && d.starts_with(name)))
        .map(|i| i as u32)
}

/// One problem in one field; the caller adds where the field is.
struct FieldProblem(String);

fn problem(text: impl Into<String>) -> FieldProblem {
    FieldProblem(text.into())
}

/// A value of a field: digits, or a month/weekday name where the field takes names.
fn field_value(field: CronField, text: &str, range_end: bool) -> Result<u32, FieldProblem> {
    let (min, max) = field.range();
    if text.is_empty() {
        return Err(problem("a value is missing (e.g. `1-5`, not `1-`)"));
    }
    if text.chars().all(|c| c.is_ascii_digit()) {
        let value: u32 = text
            .parse()
            .map_err(|_| problem(format!("{text} is out of range ({min}-{max})")))?;
        if value < min || value > max {
            let hint = match field {
                CronField::DayOfWeek => " (0 and 7 are Sunday, 1 is Monday, 6 is Saturday)",
                CronField::Hour if value == 24 => " (midnight is 0)",
                _ => "",
            };
            return Err(problem(format!(
                "{value} is out of range ({min}-{max}){hint}"
            )));
        }
        return Ok(value);
    }
    if text.chars().all(|c| c.is_ascii_alphabetic()) {
        return match field {
            CronField::Month => month_number(text).ok_or_else(|| {
                if weekday_number(text).is_some() {
                    problem(format!("{text} is a weekday, not a month"))
                } else {
                    problem(format!("\"{text}\" is not a month name (JAN-DEC)"))
                }
            }),
            CronField::DayOfWeek => weekday_number(text)
                .map(|d| if range_end && d == 0 { 7 } else { d })
                .ok_or_else(|| {
                    if month_number(text).is_some() {
                        problem(format!("{text} is a month, not a weekday"))
                    } else {
                        problem(format!("\"{text}\" is not a weekday name (SUN-SAT)"))
                    }
                }),
            _ if month_number(text).is_some() || weekday_number(text).is_some() => Err(problem(
                format!("names such as \"{text}\" belong in the month or day-of-week field"),
            )),
            _ => Err(problem(format!("\"{text}\" is not a number"))),
        };
    }
    match text.chars().find(|c| !c.is_ascii_alphanumeric()) {
        Some(c) => Err(problem(format!("unexpected character '{c}' in \"{text}\""))),
        None => Err(problem(format!("\"{text}\" is not a number"))),
    }
}

/// Checks one list item and returns it with names replaced by numbers.
fn normalize_item(field: CronField, item: &str) -> Result<String, FieldProblem> {
    let (min, max) = field.range();
    let max_step = match field {
        CronField::DayOfWeek => 6,
        _ => max - min,
    };
    if item.is_empty() {
        return Err(problem(
            "a list item is empty (two commas in a row, or a comma at the end)",
        ));
    }
    // Specials without a step.
    if field == CronField::DayOfMonth {
        if item == "L" {
            return Ok(item.to_string());
        }
        if item == "LW" {
            return Err(problem(
                "LW is not supported; use L (the last day) or a day with W such as 15W",
            ));
        }
        if let Some(day) = item.strip_suffix('W') {
            if day.is_empty() {
                return Err(problem(
                    "W needs a day before it, e.g. 15W (the weekday nearest the 15th)",
                ));
            }
            let d = field_value(field, day, false)?;
            return Ok(format!("{d}W"));
        }
        if item.contains('L')
            && item
                .chars()
                .all(|c| c.is_ascii_digit() || "L-/".contains(c))
        {
            return Err(problem(
                "L stands alone in the day-of-month field (the last day of the month)",
            ));
        }
    }
    if field == CronField::DayOfWeek {
        if item == "L" {
            return Err(problem(
                "L needs a weekday before it in the day-of-week field, e.g. 5L or FRIL (the last Friday of the month)",
            ));
        }
        if let Some(day) = item.strip_suffix('L')
            && !day.contains(['-', '/', ',', '#'])
        {
            let d = field_value(field, day, false)?;
            return Ok(format!("{d}L"));
        }
        if let Some((day, nth)) = item.split_once('#') {
            let d = field_value(field, day, false)?;
            let n: u32 = match nth.parse() {
                Ok(n) if (1..=5).contains(&n) => n,
                _ => {
                    return Err(problem(format!(
                        "\"#{nth}\" is not a week of the month; use #1 to #5 (e.g. MON#1, the first Monday)"
                    )));
                }
            };
            return Ok(format!("{d}#{n}"));
        }
    }
    if item.contains('#') {
        return Err(problem(
            "# (the nth weekday of the month) is allowed only in the day-of-week field",
        ));
    }

    let (base, step) = match item.split_once('/') {
        Some((b, s)) => {
            if s.contains('/') {
                return Err(problem(format!("\"{item}\" has more than one /")));
            }
            let step: u32 = match s.parse() {
                Ok(v) => v,
                Err(_) if s.is_empty() => {
                    return Err(problem("a step is missing after / (e.g. */15)"));
                }
                Err(_) => return Err(problem(format!("step \"{s}\" is not a number"))),
            };
            if step == 0 || step > max_step {
                return Err(problem(format!(
                    "step {step} is not allowed; steps go from 1 to {max_step}"
                )));
            }
            (b, Some(step))
        }
        None => (item, None),
    };
    let step_text = step.map(|s| format!("/{s}")).unwrap_or_default();
    if base == "*" || base == "?" || base.is_empty() {
        if base == "?" && !matches!(field, CronField::DayOfMonth | CronField::DayOfWeek) {
            return Err(problem(
                "? is allowed only in the day-of-month and day-of-week fields",
            ));
        }
        if base.is_empty() && step.is_none() {
            return Err(problem("a list item is empty"));
        }
        return Ok(format!("*{step_text}"));
    }
    if let Some((a, b)) = base.split_once('-') {
        let lo = field_value(field, a, false)?;
        let hi = field_value(field, b, true)?;
        if lo > hi {
            let hint = if field == CronField::DayOfWeek && hi == 0 {
                format!(" (write {lo}-7: 7 is Sunday too)")
            } else if field == CronField::DayOfWeek {
                let tail = if hi == 1 {
                    "1".to_string()
                } else {
                    format!("1-{hi}")
                };
                format!(" (split it: {lo}-7,{tail}; 7 is Sunday)")
            } else {
                format!(" (write the smaller value first, or split it, e.g. {lo}-{max},{min}-{hi})")
            };
            return Err(problem(format!("the range {a}-{b} runs backwards{hint}")));
        }
        return Ok(format!("{lo}-{hi}{step_text}"));
    }
    let value = field_value(field, base, false)?;
    match step {
        // `5/15`: from 5 to the end of the range, every 15 (Quartz style).
        Some(_) => {
            let end = if field == CronField::DayOfWeek {
                6
            } else {
                max
            };
            Ok(format!("{value}-{end}{step_text}"))
        }
        None => Ok(value.to_string()),
    }
}

fn normalize_field(field: CronField, raw: &str) -> Result<String, FieldProblem> {
    if let Some(c) = raw.chars().find(|c| !c.is_ascii()) {
        return Err(problem(format!("unexpected character '{c}'")));
    }
    let upper = raw.to_ascii_uppercase();
    let (and_prefix, body) = match upper.strip_prefix('+') {
        Some(rest) if field == CronField::DayOfWeek => ("+", rest),
        Some(_) => {
            return Err(problem(
                "+ is allowed only at the start of the day-of-week field",
            ));
        }
        None => ("", upper.as_str()),
    };
    let items = body
        .split(',')
        .map(|item| normalize_item(field, item))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(format!("{and_prefix}{}", items.join(",")))
}

fn expand_shorthand(text: &str) -> Result<&'static str, CronError> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => return Err(CronError::UnknownShorthand(text.to_string())),
    })
}

/// A checked CRON expression (zone-less).
#[derive(Clone, Debug)]
pub struct CronExpr {
    text: String,
    /// 6 or 7 fields, numbers only: second minute hour dom month dow [year].
    pub(super) fields: Vec<String>,
    pub(super) cron: Cron,
}

impl PartialEq for CronExpr {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl CronExpr {
    /// Checks the syntax of every field. Does not check that the expression ever runs
    /// (see [`Schedule::validate`]).
    pub fn parse(text: &str) -> Result<CronExpr, CronError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CronError::Empty);
        }
        let expanded = if text.starts_with('@') {
            expand_shorthand(text)?
        } else {
            text
        };
        let raw: Vec<&str> = expanded.split_whitespace().collect();
        let count = raw.len();
        let layout: &[CronField] = match count {
            5 => &[
                CronField::Minute,
                CronField::Hour,
                CronField::DayOfMonth,
                CronField::Month,
                CronField::DayOfWeek,
            ],
            6 => &[
                CronField::Second,
                CronField::Minute,
                CronField::Hour,
                CronField::DayOfMonth,
                CronField::Month,
                CronField::DayOfWeek,
            ],
            7 => &[
                CronField::Second,
                CronField::Minute,
                CronField::Hour,
                CronField::DayOfMonth,
                CronField::Month,
                CronField::DayOfWeek,
                CronField::Year,
            ],
            found => {
                if found == 1 && text.starts_with('@') {
                    return Err(CronError::UnknownShorthand(text.to_string()));
                }
                return Err(CronError::FieldCount {
                    expr: text.to_string(),
                    found,
                });
            }
        };
        let mut fields = Vec::with_capacity(7);
        if count == 5 {
            fields.push("0".to_string());
        }
        for (i, (field, value)) in layout.iter().zip(&raw).enumerate() {
            let normalized =
                normalize_field(*field, value).map_err(|FieldProblem(p)| CronError::Field {
                    field: *field,
                    position: i + 1,
                    count,
                    value: (*value).to_string(),
                    problem: p,
                })?;
            fields.push(normalized);
        }
        let normalized = fields.join(" ");
        let cron = match CronParser::new().parse(&normalized) {
            Ok(cron) => cron,
            Err(e) => {
                return Err(locate_croner_error(&fields, layout, &raw, count).unwrap_or(
                    CronError::Other {
                        expr: text.to_string(),
                        message: e.to_string(),
                    },
                ));
            }
        };
        Ok(CronExpr {
            text: text.to_string(),
            fields,
            cron,
        })
    }

    /// The expression as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The expression with seconds, numbers only (what croner evaluates).
    pub fn normalized(&self) -> String {
        self.fields.join(" ")
    }

    /// Plain words, e.g. "At 02:00, Monday through Friday".
    pub fn describe(&self) -> String {
        super::describe::describe(self)
    }

    pub(super) fn next_naive(&self, after: &NaiveDateTime) -> Option<NaiveDateTime> {
        self.cron.find_next_occurrence(after, false).ok()
    }

    pub(super) fn previous_naive(
        &self,
        at_or_before: &NaiveDateTime,
        inclusive: bool,
    ) -> Option<NaiveDateTime> {
        self.cron
            .find_previous_occurrence(at_or_before, inclusive)
            .ok()
    }
}

impl FromStr for CronExpr {
    type Err = CronError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CronExpr::parse(s)
    }
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Croner refused what our checks let through: find the field by parsing it alone.
fn locate_croner_error(
    fields: &[String],
    layout: &[CronField],
    raw: &[&str],
    count: usize,
) -> Option<CronError> {
    let offset = fields.len() - layout.len();
    for (i, field) in layout.iter().enumerate() {
        let mut probe: Vec<&str> = vec!["*"; fields.len()];
        probe[0] = "0";
        probe[i + offset] = &fields[i + offset];
        if let Err(e) = CronParser::new().parse(&probe.join(" ")) {
            return Some(CronError::Field {
                field: *field,
                position: i + 1,
                count,
                value: raw[i].to_string(),
                problem: e.to_string(),
            });
        }
    }
    None
}
