//! Plain words for an expression, e.g. "At 02:00, Monday through Friday"; croner's own
//! description for shapes not covered here.

use super::parse::{CronExpr, MONTH_WORDS, WEEKDAY_WORDS};

fn two(n: u32) -> String {
    format!("{n:02}")
}

fn clock(h: u32, m: u32, s: u32) -> String {
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// "a, b and c".
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Groups sorted values into runs of consecutive values.
fn runs(values: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &v in values {
        match out.last_mut() {
            Some((_, end)) if *end + 1 == v => *end = v,
            _ => out.push((v, v)),
        }
    }
    out
}

/// Words for a set of values: runs of three or more read "X through Y".
fn set_words(values: &[u32], name: impl Fn(u32) -> String) -> (String, bool) {
    let runs = runs(values);
    let single_range = runs.len() == 1 && runs[0].1 >= runs[0].0 + 2;
    let mut parts = Vec::new();
    for (a, b) in runs {
        if b >= a + 2 {
            parts.push(format!("{} through {}", name(a), name(b)));
        } else {
            for v in a..=b {
                parts.push(name(v));
            }
        }
    }
    (join_words(&parts), single_range)
}

/// An arithmetic progression `start, start+step, ...` that fills the field to its end.
fn progression(values: &[u32], max: u32) -> Option<(u32, u32)> {
    if values.len() < 2 {
        return None;
    }
    let step = values[1] - values[0];
    let regular = values.windows(2).all(|w| w[1] - w[0] == step);
    let last = *values.last()?;
    (regular && last + step > max).then_some((values[0], step))
}

fn ordinal(n: u32) -> &'static str {
    match n {
        1 => "first",
        2 => "second",
        3 => "third",
        4 => "fourth",
        _ => "fifth",
    }
}

fn values_of(component: &croner::CronComponent) -> Vec<u32> {
    component.values().into_iter().map(u32::from).collect()
}

fn time_words(expr: &CronExpr) -> Option<(String, bool)> {
    let p = &expr.cron.pattern;
    let secs = values_of(&p.seconds);
    let mins = values_of(&p.minutes);
    let hours = values_of(&p.hours);
    let all = |v: &[u32], n: usize| v.len() == n;
    // Returns (words, is_clock_time): clock times read "At 02:00", others "Every ...".
    if secs.len() == 1 {
        let s = secs[0];
        let at_second = if s == 0 {
            String::new()
        } else {
            format!(", at second {s}")
        };
        if mins.len() * hours.len() <= 6 {
            let mut times = Vec::new();
            for &h in &hours {
                for &m in &mins {
                    times.push(clock(h, m, s));
                }
            }
            return Some((format!("At {}", join_words(&times)), true));
        }
        let minute_part = if all(&mins, 60) {
            Some("Every minute".to_string())
        } else if let Some((0, step)) = progression(&mins, 59) {
            Some(format!("Every {step} minutes"))
        } else {
            None
        };
        if let Some(every) = minute_part {
            if all(&hours, 24) {
                return Some((format!("{every}{at_second}"), false));
            }
            let (words, _) = set_words(&hours, |h| format!("{h:02}:00"));
            let between = match runs(&hours).as_slice() {
                [(a, b)] => format!("between {}:00 and {}:59", two(*a), two(*b)),
                _ => format!("in the hours starting {words}"),
            };
            return Some((format!("{every}{at_second}, {between}"), false));
        }
        if mins.len() == 1 {
            let m = mins[0];
            let at = if m == 0 && s == 0 {
                ", on the hour".to_string()
            } else if s == 0 {
                format!(", at minute {m}")
            } else {
                format!(", at {m:02}:{s:02} past the hour")
            };
            if all(&hours, 24) {
                return Some((format!("Every hour{at}"), false));
            }
            if let Some((0, step)) = progression(&hours, 23) {
                return Some((format!("Every {step} hours{at}"), false));
            }
            if let [(a, b)] = runs(&hours).as_slice() {
                return Some((
                    format!(
                        "Every hour from {} through {}",
                        clock(*a, m, s),
                        clock(*b, m, s)
                    ),
                    false,
                ));
            }
            return None;
        }
        if all(&hours, 24) {
            let (words, _) = set_words(&mins, |m| m.to_string());
            return Some((
                format!("At minutes {words} past every hour{at_second}"),
                false,
            ));
        }
        return None;
    }
    if all(&mins, 60) && all(&hours, 24) {
        if all(&secs, 60) {
            return Some(("Every second".to_string(), false));
        }
        if let Some((0, step)) = progression(&secs, 59) {
            return Some((format!("Every {step} seconds"), false));
        }
    }
    None
}

fn weekday_name(d: u32) -> String {
    WEEKDAY_WORDS[(d % 7) as usize].to_string()
}

fn day_words(expr: &CronExpr) -> Option<Vec<String>> {
    let dom = &expr.fields[3];
    let dow = &expr.fields[5];
    let p = &expr.cron.pattern;
    let dom_star = dom == "*";
    let dow_star = dow == "*" || values_of(&p.days_of_week).len() == 7 && !dow.contains(['L', '#']);
    let mut parts = Vec::new();
    let mut dom_text = None;
    if !dom_star {
        let mut items = Vec::new();
        let mut numbers = Vec::new();
        for item in dom.split(',') {
            if item == "L" {
                items.push("the last day of the month".to_string());
            } else if let Some(d) = item.strip_suffix('W') {
                items.push(format!("the weekday nearest day {d} of the month"));
            }
        }
        for v in values_of(&p.days) {
            numbers.push(v);
        }
        if numbers.len() == 31 {
            numbers.clear();
        }
        if !numbers.is_empty() {
            let (words, _) = set_words(&numbers, |d| d.to_string());
            let noun = if numbers.len() == 1 { "day" } else { "days" };
            items.insert(0, format!("{noun} {words} of the month"));
        }
        if !items.is_empty() {
            dom_text = Some(format!("on {}", join_words(&items)));
        }
    }
    let mut dow_text = None;
    if !dow_star {
        let body = dow.trim_start_matches('+');
        let mut items = Vec::new();
        for item in body.split(',') {
            if let Some(d) = item.strip_suffix('L') {
                let d: u32 = d.parse().ok()?;
                items.push(format!("the last {} of the month", weekday_name(d)));
            } else if let Some((d, n)) = item.split_once('#') {
                let d: u32 = d.parse().ok()?;
                let n: u32 = n.parse().ok()?;
                items.push(format!(
                    "the {} {} of the month",
                    ordinal(n),
                    weekday_name(d)
                ));
            }
        }
        // Monday first, Sunday last.
        let mut days: Vec<u32> = values_of(&p.days_of_week)
            .into_iter()
            .map(|d| if d == 0 { 7 } else { d })
            .collect();
        days.sort_unstable();
        days.dedup();
        if !days.is_empty() {
            let (words, single_range) = set_words(&days, weekday_name);
            if single_range && items.is_empty() {
                dow_text = Some(words);
            } else {
                items.insert(0, words);
            }
        }
        if dow_text.is_none() && !items.is_empty() {
            dow_text = Some(format!("on {}", join_words(&items)));
        }
    }
    match (dom_text, dow_text) {
        (Some(a), Some(b)) => {
            if dow.starts_with('+') {
                parts.push(format!(
                    "{a}, if it is also {}",
                    b.trim_start_matches("on ")
                ));
            } else {
                parts.push(format!("{a}, or {b}"));
            }
        }
        (Some(a), None) | (None, Some(a)) => parts.push(a),
        (None, None) => {}
    }
    let months = values_of(&p.months);
    if months.len() < 12 {
        let (words, _) = set_words(&months, |m| {
            MONTH_WORDS[(m as usize).saturating_sub(1) % 12].to_string()
        });
        parts.push(format!("in {words}"));
    }
    if let Some(year) = expr.fields.get(6)
        && year != "*"
    {
        let years = values_of(&p.years);
        let (words, _) = set_words(&years, |y| y.to_string());
        parts.push(format!("in {words}"));
    }
    Some(parts)
}

pub(super) fn describe(expr: &CronExpr) -> String {
    let fallback = || expr.cron.describe().trim_end_matches('.').to_string();
    let (Some((time, is_clock)), Some(days)) = (time_words(expr), day_words(expr)) else {
        return fallback();
    };
    if days.is_empty() {
        if is_clock {
            return format!("{time}, every day");
        }
        return time;
    }
    format!("{time}, {}", days.join(", "))
}
