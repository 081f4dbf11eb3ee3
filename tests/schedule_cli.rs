//! `usersync schedule …` through the real binary (secrets in the opt-in file store, so no
//! keyring is needed): add, list, show, edit, remove and next, JSON in camelCase, and bad
//! input refused with exit code 2 and nothing saved.

mod common;

use common::{CLIENT_ID, Env, unique_secret};

fn add_client(env: &Env, name: &str) {
    env.run_with_stdin(
        &[
            "--secret-store",
            "file",
            "client",
            "add",
            "--name",
            name,
            "--tenant-id",
            "contoso.onmicrosoft.com",
            "--client-id",
            CLIENT_ID,
            "--secret-stdin",
        ],
        Some(&unique_secret()),
    )
    .ok();
}

fn schedules(env: &Env) -> Vec<serde_json::Value> {
    let list = env.run(&["--json", "schedule", "list"]);
    list.ok();
    list.json()["schedules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn add_list_show_edit_remove_round_trip() {
    let env = Env::new();
    add_client(&env, "Contoso");
    let added = env.run(&[
        "--json",
        "schedule",
        "add",
        "--client",
        "contoso",
        "--name",
        "Nightly",
        "--cron",
        "0 2 * * 1-5",
        "--timezone",
        "europe/berlin",
    ]);
    added.ok();
    let doc = added.json();
    assert_eq!(doc["name"], "Nightly");
    assert_eq!(doc["clientName"], "Contoso");
    assert_eq!(doc["cron"], "0 2 * * 1-5");
    assert_eq!(
        doc["timezone"], "Europe/Berlin",
        "the zone is saved by its IANA name"
    );
    assert_eq!(doc["active"], true);
    assert_eq!(doc["clientActive"], true);
    assert_eq!(doc["description"], "At 02:00, Monday through Friday");
    assert!(doc["nextRun"]["utc"].is_string(), "{doc}");
    assert!(
        doc["nextRun"]["local"]
            .as_str()
            .unwrap_or("")
            .contains("02:00:00+0"),
        "{doc}"
    );
    assert!(
        added.stderr.contains("Saved schedule \"Nightly\""),
        "{}",
        added.stderr
    );

    // Several schedules per client.
    env.run(&[
        "schedule",
        "add",
        "--client",
        "Contoso",
        "--name",
        "Every 15",
        "--cron",
        "*/15 * * * *",
        "--timezone",
        "UTC",
        "--inactive",
    ])
    .ok();

    let list = schedules(&env);
    assert_eq!(list.len(), 2);
    let names: Vec<&str> = list.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["Every 15", "Nightly"]);
    assert_eq!(list[0]["active"], false);
    assert!(
        list[0]["nextRun"].is_null(),
        "an inactive schedule has no next run"
    );

    let text = env.run(&["schedule", "list"]);
    text.ok();
    assert!(text.stdout.contains("NAME"), "{}", text.stdout);
    assert!(text.stdout.contains("At 02:00, Monday through Friday"));

    let show = env.run(&["--json", "schedule", "show", "NIGHTLY"]);
    show.ok();
    let doc = show.json();
    assert_eq!(doc["nextRuns"].as_array().map(Vec::len), Some(5));
    assert_eq!(doc["lastRuns"].as_array().map(Vec::len), Some(0));
    let show = env.run(&["schedule", "show", "Nightly"]);
    show.ok();
    assert!(
        show.stdout
            .contains("Reads:      At 02:00, Monday through Friday"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("Last runs:  none yet"),
        "{}",
        show.stdout
    );

    // Edit: new expression and zone, rename, deactivate; unchanged flags stay.
    let edit = env.run(&[
        "--json",
        "schedule",
        "edit",
        "Nightly",
        "--cron",
        "@hourly",
        "--timezone",
        "UTC",
        "--rename",
        "Hourly",
    ]);
    edit.ok();
    let doc = edit.json();
    assert_eq!(doc["name"], "Hourly");
    assert_eq!(doc["cron"], "@hourly");
    assert_eq!(doc["timezone"], "UTC");
    assert_eq!(doc["active"], true);
    let edit = env.run(&["--json", "schedule", "edit", "Hourly", "--inactive"]);
    edit.ok();
    assert_eq!(edit.json()["active"], false);
    assert_eq!(edit.json()["cron"], "@hourly");
    env.run(&["schedule", "edit", "Hourly", "--active"]).ok();

    let removed = env.run(&["--json", "schedule", "remove", "hourly"]);
    removed.ok();
    assert_eq!(removed.json()["removed"], true);
    assert_eq!(schedules(&env).len(), 1);

    let gone = env.run(&["schedule", "show", "Hourly"]);
    assert_eq!(gone.code, 2);
    assert!(
        gone.stderr.contains("no schedule named \"Hourly\""),
        "{}",
        gone.stderr
    );

    // Removing the client removes its schedules.
    env.run(&["--secret-store", "file", "client", "remove", "Contoso"])
        .ok();
    assert!(schedules(&env).is_empty());
}

#[test]
fn an_invalid_expression_is_refused_per_field_and_nothing_is_saved() {
    let env = Env::new();
    add_client(&env, "Contoso");
    let cases = [
        ("61 * * * *", "minute field (field 1 of 5) \"61\"", "0-59"),
        (
            "0 2 * * 8",
            "day-of-week field (field 5 of 5) \"8\"",
            "SUN-SAT",
        ),
        (
            "0 2 * FOO *",
            "month field (field 4 of 5) \"FOO\"",
            "JAN-DEC",
        ),
        ("0 30 25 * * *", "hour field (field 3 of 6) \"25\"", "0-23"),
        ("0 0 30 2 *", "never runs", ""),
        ("0 2 * *", "has 4 field(s)", "expected 5"),
        ("@sometimes", "unknown shorthand", "@daily"),
    ];
    for (cron, pointer, allowed) in cases {
        let run = env.run(&[
            "--json",
            "schedule",
            "add",
            "--client",
            "Contoso",
            "--name",
            "Bad",
            "--cron",
            cron,
            "--timezone",
            "UTC",
        ]);
        assert_eq!(run.code, 2, "{cron}: {}", run.stderr);
        assert!(run.stderr.contains(pointer), "{cron}: {}", run.stderr);
        assert!(run.stderr.contains(allowed), "{cron}: {}", run.stderr);
        let doc = run.json();
        assert_eq!(doc["ok"], false);
        assert_eq!(doc["error"]["exitCode"], 2);
    }
    let zone = env.run(&[
        "schedule",
        "add",
        "--client",
        "Contoso",
        "--name",
        "Bad",
        "--cron",
        "0 2 * * *",
        "--timezone",
        "Europe/Berln",
    ]);
    assert_eq!(zone.code, 2);
    assert!(
        zone.stderr.contains("did you mean Europe/Berlin"),
        "{}",
        zone.stderr
    );
    assert!(schedules(&env).is_empty(), "nothing was saved");

    // A bad edit keeps the schedule as it was.
    env.run(&[
        "schedule",
        "add",
        "--client",
        "Contoso",
        "--name",
        "Good",
        "--cron",
        "0 2 * * *",
        "--timezone",
        "UTC",
    ])
    .ok();
    let bad = env.run(&["schedule", "edit", "Good", "--cron", "0 2 * * MONDAYS"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("day-of-week field"), "{}", bad.stderr);
    let list = schedules(&env);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["cron"], "0 2 * * *");
}

#[test]
fn names_are_unique_per_client_and_ambiguous_names_ask_for_the_client() {
    let env = Env::new();
    add_client(&env, "Contoso");
    add_client(&env, "Fabrikam");
    let add = |client: &str, name: &str| {
        env.run(&[
            "schedule",
            "add",
            "--client",
            client,
            "--name",
            name,
            "--cron",
            "@daily",
            "--timezone",
            "UTC",
        ])
    };
    add("Contoso", "Nightly").ok();
    let dup = add("Contoso", "nightly");
    assert_eq!(dup.code, 2);
    assert!(
        dup.stderr.contains("already has a schedule named"),
        "{}",
        dup.stderr
    );
    add("Fabrikam", "Nightly").ok();

    let ambiguous = env.run(&["schedule", "show", "Nightly"]);
    assert_eq!(ambiguous.code, 2);
    assert!(
        ambiguous.stderr.contains("--client"),
        "{}",
        ambiguous.stderr
    );
    let show = env.run(&[
        "--json", "schedule", "show", "Nightly", "--client", "Fabrikam",
    ]);
    show.ok();
    assert_eq!(show.json()["clientName"], "Fabrikam");

    let unknown = add("Nobody", "Nightly");
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("no client named \"Nobody\""),
        "{}",
        unknown.stderr
    );

    let empty = add("Contoso", "   ");
    assert_eq!(empty.code, 2);
    let usage = env.run(&["schedule", "add", "--client", "Contoso"]);
    assert_eq!(usage.code, 2, "missing flags are a usage error");
}

#[test]
fn next_prints_run_times_in_the_zone_and_in_utc_with_plain_words() {
    let env = Env::new();
    let run = env.run(&[
        "schedule",
        "next",
        "--cron",
        "0 2 * * 1-5",
        "--timezone",
        "Europe/Berlin",
        "--count",
        "3",
        "--from",
        "2025-03-27T12:00:00Z",
    ]);
    run.ok();
    assert!(
        run.stdout
            .contains("Reads:      At 02:00, Monday through Friday"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Fri 2025-03-28 02:00:00 CET (+01:00)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2025-03-28 01:00:00 UTC"),
        "{}",
        run.stdout
    );
    // Across the spring-forward night the UTC offset changes.
    assert!(
        run.stdout.contains("Mon 2025-03-31 02:00:00 CEST (+02:00)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2025-03-31 00:00:00 UTC"),
        "{}",
        run.stdout
    );

    let json = env.run(&[
        "--json",
        "schedule",
        "next",
        "--cron",
        "*/2 * * * * *",
        "--timezone",
        "UTC",
        "--count",
        "2",
        "--from",
        "2025-01-01T00:00:00Z",
    ]);
    json.ok();
    let doc = json.json();
    assert_eq!(doc["description"], "Every 2 seconds");
    assert_eq!(doc["runs"][0]["utc"], "2025-01-01T00:00:02Z");
    assert_eq!(doc["runs"][1]["utc"], "2025-01-01T00:00:04Z");

    // A saved schedule, by name, in its own zone.
    add_client(&env, "Contoso");
    env.run(&[
        "schedule",
        "add",
        "--client",
        "Contoso",
        "--name",
        "Tokyo mornings",
        "--cron",
        "0 9 * * *",
        "--timezone",
        "Asia/Tokyo",
    ])
    .ok();
    let named = env.run(&[
        "--json",
        "schedule",
        "next",
        "Tokyo mornings",
        "--count",
        "1",
        "--from",
        "2025-01-10T00:00:00Z",
    ]);
    named.ok();
    let doc = named.json();
    assert_eq!(doc["timezone"], "Asia/Tokyo");
    assert_eq!(doc["runs"][0]["utc"], "2025-01-11T00:00:00Z");
    assert_eq!(doc["runs"][0]["local"], "2025-01-11T09:00:00+09:00");

    // Without --timezone, the machine's zone.
    let local = env.run(&["--json", "schedule", "next", "--cron", "@daily"]);
    local.ok();
    assert_eq!(
        local.json()["timezone"],
        usersync::schedule::machine_time_zone().name()
    );

    for bad in [
        vec!["schedule", "next", "--cron", "* * * * 9"],
        vec!["schedule", "next", "--cron", "@daily", "--count", "0"],
        vec![
            "schedule",
            "next",
            "--cron",
            "@daily",
            "--from",
            "yesterday",
        ],
        vec!["schedule", "next"],
    ] {
        let run = env.run(&bad);
        assert_eq!(run.code, 2, "{bad:?}: {}", run.stderr);
    }
}
