//! The CRON logic with an injected clock: what is accepted (5/6/7 fields, shorthands,
//! names), the plain words, next runs in zones, daylight-saving gaps and overlaps, the
//! due/catch-up decision, and an error per field that names it and what it allows.

use std::time::Duration;

use chrono::{DateTime, Utc};
use usersync::schedule::{
    CronError, CronExpr, CronField, Schedule, ScheduleError, TimeZoneError, fire_time_text,
    machine_time_zone, parse_time_zone,
};

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad test time {text}: {e}"))
        .with_timezone(&Utc)
}

fn schedule(cron: &str, tz: &str) -> Schedule {
    Schedule::parse(cron, tz).unwrap_or_else(|e| panic!("{cron} in {tz}: {e}"))
}

/// The next `n` run times after `from`, as UTC text.
fn runs(cron: &str, tz: &str, from: &str, n: usize) -> Vec<String> {
    schedule(cron, tz)
        .upcoming(t(from), n)
        .iter()
        .map(|o| fire_time_text(o.utc))
        .collect()
}

/// The same, as local wall-clock text with the zone's abbreviation.
fn local_runs(cron: &str, tz: &str, from: &str, n: usize) -> Vec<String> {
    schedule(cron, tz)
        .upcoming(t(from), n)
        .iter()
        .map(|o| o.local.format("%Y-%m-%d %H:%M:%S %Z").to_string())
        .collect()
}

#[test]
fn five_field_crontab_lines() {
    // 2025-01-01 is a Wednesday.
    assert_eq!(
        runs("0 2 * * 1-5", "UTC", "2025-01-02T12:00:00Z", 3),
        [
            "2025-01-03T02:00:00Z",
            "2025-01-06T02:00:00Z",
            "2025-01-07T02:00:00Z"
        ]
    );
    assert_eq!(
        runs("*/15 * * * *", "UTC", "2025-01-01T10:07:00Z", 3),
        [
            "2025-01-01T10:15:00Z",
            "2025-01-01T10:30:00Z",
            "2025-01-01T10:45:00Z"
        ]
    );
    // Weekdays are POSIX: 0 and 7 are Sunday.
    assert_eq!(
        runs("0 0 * * 0", "UTC", "2025-01-01T00:00:00Z", 1),
        runs("0 0 * * 7", "UTC", "2025-01-01T00:00:00Z", 1)
    );
    assert_eq!(
        runs("0 0 * * 7", "UTC", "2025-01-01T00:00:00Z", 1),
        ["2025-01-05T00:00:00Z"]
    );
    // Day of month OR day of week when both are given (Vixie cron).
    assert_eq!(
        runs("0 0 13 * 5", "UTC", "2025-06-01T00:00:00Z", 3),
        [
            "2025-06-06T00:00:00Z",
            "2025-06-13T00:00:00Z",
            "2025-06-20T00:00:00Z"
        ]
    );
    // Quartz-style start/step and a pasted `?`.
    assert_eq!(
        runs("5/20 * * * *", "UTC", "2025-01-01T10:00:00Z", 3),
        [
            "2025-01-01T10:05:00Z",
            "2025-01-01T10:25:00Z",
            "2025-01-01T10:45:00Z"
        ]
    );
    assert_eq!(
        runs("0 9 ? * MON", "UTC", "2025-01-01T00:00:00Z", 1),
        ["2025-01-06T09:00:00Z"]
    );
}

#[test]
fn six_fields_have_seconds_first_and_seven_a_year_last() {
    assert_eq!(
        runs("*/2 * * * * *", "UTC", "2025-01-01T10:00:00.500Z", 3),
        [
            "2025-01-01T10:00:02Z",
            "2025-01-01T10:00:04Z",
            "2025-01-01T10:00:06Z"
        ]
    );
    assert_eq!(
        runs("15 30 9 * * *", "UTC", "2025-01-01T00:00:00Z", 1),
        ["2025-01-01T09:30:15Z"]
    );
    assert_eq!(
        runs("0 0 12 1 1 * 2030", "UTC", "2025-01-01T00:00:00Z", 2),
        ["2030-01-01T12:00:00Z"]
    );
}

#[test]
fn shorthands() {
    let from = "2025-01-01T10:30:00Z"; // a Wednesday
    assert_eq!(runs("@hourly", "UTC", from, 1), ["2025-01-01T11:00:00Z"]);
    assert_eq!(runs("@daily", "UTC", from, 1), ["2025-01-02T00:00:00Z"]);
    assert_eq!(runs("@midnight", "UTC", from, 1), ["2025-01-02T00:00:00Z"]);
    assert_eq!(runs("@weekly", "UTC", from, 1), ["2025-01-05T00:00:00Z"]);
    assert_eq!(runs("@monthly", "UTC", from, 1), ["2025-02-01T00:00:00Z"]);
    assert_eq!(runs("@yearly", "UTC", from, 1), ["2026-01-01T00:00:00Z"]);
    assert_eq!(runs("@annually", "UTC", from, 1), ["2026-01-01T00:00:00Z"]);
    assert_eq!(runs("@DAILY", "UTC", from, 1), ["2025-01-02T00:00:00Z"]);
}

#[test]
fn month_and_weekday_names_in_any_case_and_length() {
    let from = "2025-01-01T00:00:00Z";
    let numbers = runs("0 9 * 1,7 1-5", "UTC", from, 8);
    for cron in [
        "0 9 * JAN,JUL MON-FRI",
        "0 9 * jan,jul mon-fri",
        "0 9 * January,July Monday-Friday",
    ] {
        assert_eq!(runs(cron, "UTC", from, 8), numbers, "{cron}");
    }
    // A range ending on Sunday: FRI-SUN is Friday, Saturday and Sunday.
    assert_eq!(
        runs("0 0 * * FRI-SUN", "UTC", from, 3),
        [
            "2025-01-03T00:00:00Z",
            "2025-01-04T00:00:00Z",
            "2025-01-05T00:00:00Z"
        ]
    );
    // Last weekday of the month, nth weekday, last day, nearest weekday.
    assert_eq!(
        runs("0 0 * * FRIL", "UTC", from, 1),
        ["2025-01-31T00:00:00Z"]
    );
    assert_eq!(
        runs("0 0 * * MON#2", "UTC", from, 1),
        ["2025-01-13T00:00:00Z"]
    );
    assert_eq!(runs("0 0 L 2 *", "UTC", from, 1), ["2025-02-28T00:00:00Z"]);
    // 15 June 2025 is a Sunday: the nearest weekday is Monday the 16th.
    assert_eq!(
        runs("0 0 15W * *", "UTC", "2025-06-01T00:00:00Z", 1),
        ["2025-06-16T00:00:00Z"]
    );
}

#[test]
fn plain_words() {
    let cases = [
        ("0 2 * * 1-5", "At 02:00, Monday through Friday"),
        ("0 2 * * MON-FRI", "At 02:00, Monday through Friday"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("* * * * *", "Every minute"),
        ("*/2 * * * * *", "Every 2 seconds"),
        ("@hourly", "Every hour, on the hour"),
        ("@daily", "At 00:00, every day"),
        ("@weekly", "At 00:00, on Sunday"),
        ("@monthly", "At 00:00, on day 1 of the month"),
        ("@yearly", "At 00:00, on day 1 of the month, in January"),
        ("30 9 1,15 * *", "At 09:30, on days 1 and 15 of the month"),
        ("0 8,12,17 * * *", "At 08:00, 12:00 and 17:00, every day"),
        (
            "0 9-17 * * 1-5",
            "Every hour from 09:00 through 17:00, Monday through Friday",
        ),
        (
            "*/15 9-17 * * 1-5",
            "Every 15 minutes, between 09:00 and 17:59, Monday through Friday",
        ),
        ("0 */2 * * *", "Every 2 hours, on the hour"),
        ("0 0 * * SAT,SUN", "At 00:00, on Saturday and Sunday"),
        ("0 0 * * 1,3,5", "At 00:00, on Monday, Wednesday and Friday"),
        ("0 0 L * *", "At 00:00, on the last day of the month"),
        ("0 9 * * 1#2", "At 09:00, on the second Monday of the month"),
        ("0 17 * * 5L", "At 17:00, on the last Friday of the month"),
        ("0 12 * JAN-MAR *", "At 12:00, in January through March"),
        ("15 30 2 * * *", "At 02:30:15, every day"),
    ];
    for (cron, words) in cases {
        let expr: CronExpr = cron.parse().unwrap_or_else(|e| panic!("{cron}: {e}"));
        assert_eq!(expr.describe(), words, "{cron}");
    }
}

#[test]
fn runs_are_read_in_the_schedule_zone() {
    let from = "2025-01-10T00:00:00Z";
    assert_eq!(runs("0 9 * * *", "UTC", from, 1), ["2025-01-10T09:00:00Z"]);
    assert_eq!(
        runs("0 9 * * *", "Asia/Tokyo", from, 1),
        ["2025-01-11T00:00:00Z"]
    );
    assert_eq!(
        runs("0 9 * * *", "Asia/Kolkata", from, 1),
        ["2025-01-10T03:30:00Z"]
    );
    assert_eq!(
        runs("0 9 * * *", "America/New_York", from, 1),
        ["2025-01-10T14:00:00Z"]
    );
    let occ = &schedule("0 2 * * 1-5", "Europe/Berlin").upcoming(t(from), 1)[0];
    assert_eq!(occ.local_text(), "Fri 2025-01-10 02:00:00 CET (+01:00)");
    assert_eq!(occ.utc_text(), "2025-01-10 01:00:00 UTC");
}

#[test]
fn dst_gap_a_skipped_local_time_runs_once_at_the_next_valid_time() {
    // New York, 9 March 2025: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert_eq!(
        local_runs("30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", 3),
        [
            "2025-03-09 03:00:00 EDT",
            "2025-03-10 02:30:00 EDT",
            "2025-03-11 02:30:00 EDT"
        ]
    );
    // Every 30 minutes: 02:00 and 02:30 do not exist; they run once, at 03:00, and
    // 03:00 itself is not run a second time.
    assert_eq!(
        local_runs(
            "*/30 * * * *",
            "America/New_York",
            "2025-03-09T06:00:00Z",
            4
        ),
        [
            "2025-03-09 01:30:00 EST",
            "2025-03-09 03:00:00 EDT",
            "2025-03-09 03:30:00 EDT",
            "2025-03-09 04:00:00 EDT"
        ]
    );
    // Berlin, 30 March 2025, 6-field expression: 02:00 CET jumps to 03:00 CEST.
    assert_eq!(
        runs("0 30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", 2),
        ["2025-03-30T01:00:00Z", "2025-03-31T00:30:00Z"]
    );
    // Looking back from just after the jump finds the moved run.
    let s = schedule("30 2 * * *", "America/New_York");
    assert_eq!(
        s.latest_at_or_before(t("2025-03-09T07:10:00Z")),
        Some(t("2025-03-09T07:00:00Z"))
    );
}

#[test]
fn dst_overlap_a_repeated_local_time_runs_once() {
    // New York, 2 November 2025: 02:00 EDT goes back to 01:00 EST; 01:00-01:59 happens
    // twice. A daily 01:30 runs at the first 01:30 only.
    assert_eq!(
        local_runs("30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", 2),
        ["2025-11-02 01:30:00 EDT", "2025-11-03 01:30:00 EST"]
    );
    // Every 30 minutes: the repeated 01:00 and 01:30 (EST) are not run again.
    assert_eq!(
        runs(
            "*/30 * * * *",
            "America/New_York",
            "2025-11-02T04:00:00Z",
            4
        ),
        [
            "2025-11-02T04:30:00Z",
            "2025-11-02T05:00:00Z",
            "2025-11-02T05:30:00Z",
            "2025-11-02T07:00:00Z"
        ]
    );
    // From inside the repeated hour, forward and back.
    let s = schedule("*/30 * * * *", "America/New_York");
    assert_eq!(
        s.next_after(t("2025-11-02T06:10:00Z")),
        Some(t("2025-11-02T07:00:00Z"))
    );
    assert_eq!(
        s.latest_at_or_before(t("2025-11-02T06:45:00Z")),
        Some(t("2025-11-02T05:30:00Z"))
    );
    assert_eq!(
        s.latest_at_or_before(t("2025-11-02T07:00:00Z")),
        Some(t("2025-11-02T07:00:00Z"))
    );
    // The scheduler's decision in the repeated hour: nothing is due until 02:00 EST.
    let grace = Duration::from_secs(30);
    let ran = t("2025-11-02T05:30:00Z"); // 01:30 EDT
    assert_eq!(s.due(ran, t("2025-11-02T06:45:00Z"), grace), None);
    let due = s.due(ran, t("2025-11-02T07:00:05Z"), grace).expect("due");
    assert_eq!(
        (due.fire_time, due.catch_up),
        (t("2025-11-02T07:00:00Z"), false)
    );
    // Berlin, 26 October 2025: 03:00 CEST goes back to 02:00 CET.
    assert_eq!(
        local_runs("0 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", 2),
        ["2025-10-26 02:00:00 CEST", "2025-10-27 02:00:00 CET"]
    );
}

#[test]
fn due_runs_the_latest_passed_fire_time_once_and_marks_catch_ups() {
    let grace = Duration::from_secs(30);
    let every2 = schedule("*/2 * * * * *", "UTC");
    // Nothing has passed yet.
    assert_eq!(
        every2.due(
            t("2025-01-01T10:00:00.500Z"),
            t("2025-01-01T10:00:01.900Z"),
            grace
        ),
        None
    );
    // On time.
    let due = every2
        .due(
            t("2025-01-01T10:00:00.500Z"),
            t("2025-01-01T10:00:02.200Z"),
            grace,
        )
        .expect("due");
    assert_eq!(due.fire_time, t("2025-01-01T10:00:02Z"));
    assert!(!due.catch_up);
    assert_eq!(due.missed, 0);
    // Several passed: only the latest runs, as a catch-up, the others are counted.
    let due = every2
        .due(t("2025-01-01T10:00:00Z"), t("2025-01-01T10:00:07Z"), grace)
        .expect("due");
    assert_eq!(due.fire_time, t("2025-01-01T10:00:06Z"));
    assert!(due.catch_up);
    assert_eq!(due.missed, 2);

    let nightly = schedule("0 2 * * *", "UTC");
    // Saved yesterday morning, nothing ran since: one catch-up for today's 02:00.
    let due = nightly
        .due(t("2025-01-01T10:00:00Z"), t("2025-01-02T08:00:00Z"), grace)
        .expect("due");
    assert_eq!(due.fire_time, t("2025-01-02T02:00:00Z"));
    assert!(due.catch_up);
    assert_eq!(due.missed, 0);
    // Already run today.
    assert_eq!(
        nightly.due(t("2025-01-02T02:00:00Z"), t("2025-01-02T08:00:00Z"), grace),
        None
    );
    // Down for three days: still one run.
    let due = nightly
        .due(t("2024-12-30T02:00:00Z"), t("2025-01-02T08:00:00Z"), grace)
        .expect("due");
    assert_eq!(due.fire_time, t("2025-01-02T02:00:00Z"));
    assert_eq!(due.missed, 2);
    // A few seconds late is still on time.
    let due = nightly
        .due(t("2025-01-01T02:00:00Z"), t("2025-01-02T02:00:05Z"), grace)
        .expect("due");
    assert!(!due.catch_up);
}

/// The field and position an expression's error points at, and its message.
fn field_error(cron: &str) -> (CronField, usize, String) {
    match CronExpr::parse(cron) {
        Err(e @ CronError::Field { .. }) => {
            let CronError::Field {
                field, position, ..
            } = &e
            else {
                unreachable!()
            };
            (*field, *position, e.to_string())
        }
        Err(other) => panic!("{cron}: expected a field error, got {other:?}"),
        Ok(_) => panic!("{cron}: expected an error"),
    }
}

#[test]
fn bad_input_names_the_field_and_what_it_allows() {
    let cases: &[(&str, CronField, usize, &str)] = &[
        (
            "61 * * * *",
            CronField::Minute,
            1,
            "61 is out of range (0-59)",
        ),
        (
            "* 24 * * *",
            CronField::Hour,
            2,
            "24 is out of range (0-23)",
        ),
        (
            "0 0 0 * *",
            CronField::DayOfMonth,
            3,
            "0 is out of range (1-31)",
        ),
        ("0 0 32 * *", CronField::DayOfMonth, 3, "32 is out of range"),
        (
            "0 2 * 13 *",
            CronField::Month,
            4,
            "13 is out of range (1-12)",
        ),
        (
            "0 2 * * 8",
            CronField::DayOfWeek,
            5,
            "8 is out of range (0-7)",
        ),
        (
            "0 2 * MON *",
            CronField::Month,
            4,
            "MON is a weekday, not a month",
        ),
        (
            "0 2 * * JAN",
            CronField::DayOfWeek,
            5,
            "JAN is a month, not a weekday",
        ),
        (
            "0 2 * * FUNDAY",
            CronField::DayOfWeek,
            5,
            "not a weekday name",
        ),
        ("0 2 * SMARCH *", CronField::Month, 4, "not a month name"),
        ("0 2 * * FRI-MON", CronField::DayOfWeek, 5, "runs backwards"),
        ("0 5-1 * * *", CronField::Hour, 2, "runs backwards"),
        ("*/0 * * * *", CronField::Minute, 1, "step 0 is not allowed"),
        (
            "*/60 * * * *",
            CronField::Minute,
            1,
            "steps go from 1 to 59",
        ),
        (
            "0 2 1,,2 * *",
            CronField::DayOfMonth,
            3,
            "a list item is empty",
        ),
        ("x * * * *", CronField::Minute, 1, "is not a number"),
        ("0 ? * * *", CronField::Hour, 2, "? is allowed only"),
        (
            "0 2 * * L",
            CronField::DayOfWeek,
            5,
            "L needs a weekday before it",
        ),
        ("0 2 * * MON#6", CronField::DayOfWeek, 5, "#1 to #5"),
        (
            "0 2 1# * *",
            CronField::DayOfMonth,
            3,
            "only in the day-of-week field",
        ),
        ("0 2 * * 1-", CronField::DayOfWeek, 5, "a value is missing"),
        ("0 0-5/ * * *", CronField::Hour, 2, "a step is missing"),
        (
            "0 2 1é * *",
            CronField::DayOfMonth,
            3,
            "unexpected character",
        ),
        // 6 fields: seconds first.
        (
            "60 * * * * *",
            CronField::Second,
            1,
            "60 is out of range (0-59)",
        ),
        ("0 60 * * * *", CronField::Minute, 2, "60 is out of range"),
        ("0 0 2 * * 9", CronField::DayOfWeek, 6, "9 is out of range"),
        // 7 fields: a year last.
        (
            "0 0 0 1 1 * 1900",
            CronField::Year,
            7,
            "1900 is out of range",
        ),
    ];
    for (cron, field, position, problem) in cases {
        let (f, p, message) = field_error(cron);
        assert_eq!((f, p), (*field, *position), "{cron}: {message}");
        assert!(message.contains(problem), "{cron}: {message}");
        // The message names the field, its place, and what is allowed there.
        assert!(
            message.starts_with(&format!("{} field (field {position} of", field.label())),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "Allowed in the {} field: {}",
                field.label(),
                field.allowed()
            )),
            "{message}"
        );
    }
}

#[test]
fn bad_input_that_is_not_about_one_field() {
    assert_eq!(CronExpr::parse("   "), Err(CronError::Empty));
    assert!(matches!(
        CronExpr::parse("@often"),
        Err(CronError::UnknownShorthand(_))
    ));
    assert!(matches!(
        CronExpr::parse("@reboot"),
        Err(CronError::UnknownShorthand(_))
    ));
    match CronExpr::parse("0 2 * *") {
        Err(e @ CronError::FieldCount { found: 4, .. }) => {
            assert!(e.to_string().contains("expected 5"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        CronExpr::parse("1 2 3 4 5 6 7 8"),
        Err(CronError::FieldCount { found: 8, .. })
    ));
    // Valid fields that never meet: refused before saving.
    let now = t("2025-01-01T00:00:00Z");
    for cron in ["0 0 30 2 *", "0 0 31 4 *", "0 0 0 1 1 * 2020"] {
        match Schedule::validate(cron, "UTC", now) {
            Err(ScheduleError::Cron(CronError::NeverRuns(_))) => {}
            other => panic!("{cron}: {other:?}"),
        }
    }
    assert!(
        Schedule::validate("0 0 29 2 *", "UTC", now).is_ok(),
        "leap days exist"
    );
}

#[test]
fn time_zones_are_iana_names() {
    assert_eq!(
        parse_time_zone("Europe/Berlin").map(|z| z.name()),
        Ok("Europe/Berlin")
    );
    assert_eq!(
        parse_time_zone(" europe/berlin ").map(|z| z.name()),
        Ok("Europe/Berlin")
    );
    assert_eq!(parse_time_zone("UTC").map(|z| z.name()), Ok("UTC"));
    assert_eq!(parse_time_zone(""), Err(TimeZoneError::Empty));
    match parse_time_zone("Europe/Berln") {
        Err(e @ TimeZoneError::Unknown { .. }) => {
            let text = e.to_string();
            assert!(text.contains("did you mean Europe/Berlin"), "{text}");
            assert!(text.contains("IANA"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        parse_time_zone("Mars/Olympus_Mons"),
        Err(TimeZoneError::Unknown { .. })
    ));
    match Schedule::parse("0 2 * * *", "Nowhere/City") {
        Err(ScheduleError::TimeZone(_)) => {}
        other => panic!("{other:?}"),
    }
    // The machine's zone is always a usable zone (UTC when it cannot be told).
    let zone = machine_time_zone();
    assert_eq!(parse_time_zone(zone.name()), Ok(zone));
}
