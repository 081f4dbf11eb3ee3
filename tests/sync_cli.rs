//! `usersync sync`, `jobs` and `directory list` through the real binary against the demo
//! tenant over loopback, with the opt-in file secret store: JSON output (camelCase),
//! exit codes, the job history and exports.

mod common;
#[path = "common/sync_env.rs"]
mod sync_env;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Env, Run};
use serde_json::{Value, json};
use sync_env::*;
use usersync::emulator::DemoUserPatch;
use usersync::model::{DirectoryUser, JobStatus};

/// Runs `usersync --secret-store file ARGS`.
fn cli(env: &Env, args: &[&str]) -> Run {
    let mut all = vec!["--secret-store", "file"];
    all.extend_from_slice(args);
    env.run(&all)
}

/// `client add` for the demo tenant with `secret` on stdin; returns the client's key.
fn add_client_cli(env: &Env, demo: &Demo, name: &str, secret: &str, extra: &[&str]) -> String {
    let authority = demo.tenant.authority_url();
    let graph = demo.tenant.graph_url();
    let mut args = vec![
        "--secret-store",
        "file",
        "--json",
        "client",
        "add",
        "--name",
        name,
        "--tenant-id",
        demo.tenant.tenant_id(),
        "--client-id",
        demo.tenant.client_id(),
        "--cloud",
        "custom",
        "--authority-url",
        &authority,
        "--graph-url",
        &graph,
        "--secret-stdin",
    ];
    args.extend_from_slice(extra);
    let run = env.run_with_stdin(&args, Some(&format!("{secret}\n")));
    run.ok();
    run.json()["id"].as_str().expect("client id").to_string()
}

fn key_of(id: &str) -> usersync::model::ClientKey {
    usersync::model::ClientKey(uuid::Uuid::parse_str(id).unwrap())
}

/// Every key of a JSON document (recursively), for the camelCase check.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[track_caller]
fn assert_camel_case(doc: &Value) {
    let mut all = Vec::new();
    keys(doc, &mut all);
    for k in all {
        assert!(
            !k.contains('_')
                && !k.contains('-')
                && k.chars()
                    .next()
                    .is_some_and(|c| c.is_lowercase() || c == '@'),
            "not camelCase: {k}"
        );
    }
}

fn counts_json(added: u64, updated: u64, disabled: u64, deleted: u64, unchanged: u64) -> Value {
    json!({
        "added": added, "updated": updated, "disabled": disabled, "enabled": 0,
        "deleted": deleted, "restored": 0, "managerChanged": 0, "unchanged": unchanged
    })
}

/// A user as the JSON export writes it: Graph's property names plus `managerId`.
fn export_json(u: &DirectoryUser) -> Value {
    let a = &u.attributes;
    json!({
        "id": u.id,
        "displayName": a.display_name,
        "givenName": a.given_name,
        "surname": a.surname,
        "userPrincipalName": a.user_principal_name,
        "mail": a.mail,
        "jobTitle": a.job_title,
        "department": a.department,
        "officeLocation": a.office_location,
        "companyName": a.company_name,
        "employeeId": a.employee_id,
        "mobilePhone": a.mobile_phone,
        "businessPhones": a.business_phones,
        "city": a.city,
        "country": a.country,
        "userType": a.user_type,
        "accountEnabled": a.account_enabled,
        "managerId": u.manager_id,
    })
}

/// The CSV cells of a user; cells a spreadsheet would run as a formula carry a leading
/// quote (the export's documented guard).
fn export_csv_cells(u: &DirectoryUser) -> Vec<String> {
    let a = &u.attributes;
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let guard = |v: String| {
        if v.starts_with(['=', '+', '-', '@']) {
            format!("'{v}")
        } else {
            v
        }
    };
    [
        u.id.clone(),
        s(&a.display_name),
        s(&a.given_name),
        s(&a.surname),
        s(&a.user_principal_name),
        s(&a.mail),
        s(&a.job_title),
        s(&a.department),
        s(&a.office_location),
        s(&a.company_name),
        s(&a.employee_id),
        s(&a.mobile_phone),
        a.business_phones.join("; "),
        s(&a.city),
        s(&a.country),
        s(&a.user_type),
        a.account_enabled.map(|b| b.to_string()).unwrap_or_default(),
        u.manager_id.clone().unwrap_or_default(),
    ]
    .into_iter()
    .map(guard)
    .collect()
}

/// A small RFC 4180 reader (quoted cells, doubled quotes, CRLF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "CSV ends with a line break"
    );
    rows
}

/// `sync --json` (camelCase, status, counts), then `jobs list/show --json`, then
/// `directory list` as JSON and CSV files: Graph names + managerId, deleted users not
/// listed, Unicode intact.
#[test]
fn sync_jobs_and_directory_through_the_cli() {
    let demo = Demo::start(250);
    let env = Env::new();
    let id = add_client_cli(&env, &demo, "Demo", demo.tenant.client_secret(), &[]);
    let key = key_of(&id);

    let first = cli(&env, &["--json", "sync", "demo"]);
    first.ok();
    let doc = first.json();
    assert_camel_case(&doc);
    assert_eq!(doc["status"], "succeeded");
    assert_eq!(doc["kind"], "full");
    assert_eq!(doc["trigger"], "cli");
    assert_eq!(doc["clientName"], "Demo");
    assert_eq!(doc["client"], id.as_str());
    assert_eq!(doc["counts"], counts_json(250, 0, 0, 0, 0));
    assert_eq!(doc["usersRead"], 250);
    assert_eq!(doc["pages"], 1);
    assert_eq!(doc["errorCode"], Value::Null);
    assert!(doc["durationMs"].is_u64());
    let job1 = doc["job"].as_i64().expect("job id");
    assert!(first.stderr.contains(&format!("usersync jobs show {job1}")));

    // Changes: one updated, one disabled, one soft-deleted.
    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    let upd = pick.take(&mut taken, |u| u.job_title.is_some());
    let dis = pick.take(&mut taken, |u| u.account_enabled);
    let del = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
    control.update_user(
        &upd.id,
        DemoUserPatch {
            job_title: Some(Some("Directrice générale adjointe".into())),
            ..Default::default()
        },
    );
    control.set_enabled(&dis.id, false);
    control.soft_delete(&del.id);

    let second = cli(&env, &["--json", "sync", "Demo"]);
    second.ok();
    let doc = second.json();
    assert_eq!(doc["status"], "succeeded");
    assert_eq!(doc["kind"], "incremental");
    assert_eq!(doc["counts"], counts_json(0, 1, 1, 1, 247));
    let job2 = doc["job"].as_i64().unwrap();

    let list = cli(&env, &["--json", "jobs", "list"]);
    list.ok();
    let jobs = list.json()["jobs"].as_array().unwrap().clone();
    assert_camel_case(&list.json());
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["id"], job2, "newest first");
    assert_eq!(jobs[1]["id"], job1);
    assert_eq!(jobs[0]["status"], "succeeded");
    assert_eq!(jobs[0]["kind"], "incremental");
    assert_eq!(jobs[0]["counts"], counts_json(0, 1, 1, 1, 247));
    assert_eq!(jobs[1]["counts"], counts_json(250, 0, 0, 0, 0));
    assert_eq!(jobs[0]["clientName"], "Demo");
    assert!(jobs[0]["finishedAt"].is_string());
    let filtered = cli(
        &env,
        &["--json", "jobs", "list", "--client", "demo", "--limit", "1"],
    );
    filtered.ok();
    assert_eq!(filtered.json()["jobs"].as_array().unwrap().len(), 1);

    let show = cli(&env, &["--json", "jobs", "show", &job2.to_string()]);
    show.ok();
    let d = show.json();
    assert_camel_case(&d);
    assert_eq!(d["id"], job2);
    assert_eq!(d["status"], "succeeded");
    let log: Vec<&str> = d["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert!(
        log.iter().any(|m| m.contains("incremental sync")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|m| m.contains("applied: 1 updated")),
        "{log:?}"
    );
    let mut changes = d["changes"].as_array().unwrap().clone();
    changes.sort_by_key(|c| c["kind"].as_str().unwrap().to_string());
    assert_eq!(
        Value::Array(changes),
        json!([
            {"userId": del.id, "label": del.display_name, "kind": "deleted", "fields": []},
            {"userId": dis.id, "label": dis.display_name, "kind": "disabled", "fields": [
                {"field": "accountEnabled", "before": "true", "after": "false"}]},
            {"userId": upd.id, "label": upd.display_name, "kind": "updated", "fields": [
                {"field": "jobTitle", "before": upd.job_title, "after": "Directrice générale adjointe"}]},
        ])
    );
    let text = cli(&env, &["jobs", "show", &job2.to_string()]);
    text.ok();
    assert!(text.stdout.contains("Directrice générale adjointe"));
    assert_eq!(cli(&env, &["--json", "jobs", "show", "99999"]).code, 2);

    // Exports: the active users only, as stored, and as the tenant has them.
    let expected: BTreeMap<String, DirectoryUser> = expected_live(&control, None);
    assert_eq!(expected.len(), 249);
    assert!(!expected.contains_key(&del.id));
    assert_same_directory(
        &stored(env.path(), key)
            .into_iter()
            .filter(|(_, u)| !u.deleted)
            .collect(),
        &expected,
    );
    let json_file = env.path().join("users.json");
    let out = cli(
        &env,
        &[
            "directory",
            "list",
            "Demo",
            "--format",
            "json",
            "--output",
            json_file.to_str().unwrap(),
        ],
    );
    out.ok();
    assert!(out.stderr.contains("Wrote 249 users"), "{}", out.stderr);
    let bytes = std::fs::read(&json_file).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let listed = doc["users"].as_array().unwrap();
    assert_eq!(listed.len(), 249);
    let by_id: BTreeMap<&str, &Value> = listed
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u))
        .collect();
    for (id, u) in &expected {
        assert_eq!(
            by_id.get(id.as_str()).copied(),
            Some(&export_json(u)),
            "user {id}"
        );
    }
    // Unicode survives byte for byte in the file.
    let text = String::from_utf8(bytes).unwrap();
    let unicode: Vec<&DirectoryUser> = expected
        .values()
        .filter(|u| !u.attributes.display_name.as_deref().unwrap().is_ascii())
        .collect();
    assert!(unicode.len() > 10);
    for u in &unicode {
        assert!(text.contains(u.attributes.display_name.as_deref().unwrap()));
    }
    // Same document on stdout with --json.
    let stdout = cli(&env, &["--json", "directory", "list", "Demo"]);
    stdout.ok();
    assert_eq!(stdout.json(), doc);

    let csv_file = env.path().join("users.csv");
    cli(
        &env,
        &[
            "directory",
            "list",
            "Demo",
            "--format",
            "csv",
            "--output",
            csv_file.to_str().unwrap(),
        ],
    )
    .ok();
    let csv = std::fs::read_to_string(&csv_file).unwrap();
    assert!(csv.starts_with(
        "id,displayName,givenName,surname,userPrincipalName,mail,jobTitle,department,\
         officeLocation,companyName,employeeId,mobilePhone,businessPhones,city,country,\
         userType,accountEnabled,managerId\r\n"
    ));
    let rows = parse_csv(&csv);
    assert_eq!(rows.len(), 250, "header + 249 users");
    let by_id: BTreeMap<&str, &Vec<String>> =
        rows[1..].iter().map(|r| (r[0].as_str(), r)).collect();
    assert_eq!(by_id.len(), 249);
    for (id, u) in &expected {
        assert_eq!(
            by_id.get(id.as_str()).map(|r| r.to_vec()),
            Some(export_csv_cells(u)),
            "user {id}"
        );
    }
    for u in &unicode {
        assert!(csv.contains(u.attributes.display_name.as_deref().unwrap()));
    }
}

/// Exit codes: 0 done, 1 failed (wrong secret), 2 unknown or inactive client, 3 blocked by
/// the deletion guard (then 0 with --allow-deletes); a dry run applies nothing.
#[test]
fn sync_exit_codes() {
    let demo = Demo::start(250);
    let env = Env::new();
    let id = add_client_cli(
        &env,
        &demo,
        "guarded",
        demo.tenant.client_secret(),
        &["--guard-max-users", "2"],
    );
    let key = key_of(&id);
    add_client_cli(
        &env,
        &demo,
        "asleep",
        demo.tenant.client_secret(),
        &["--inactive"],
    );
    // The secret's ID pasted instead of its value.
    add_client_cli(&env, &demo, "typo", demo.tenant.secret_id(), &[]);

    let unknown = cli(&env, &["--json", "sync", "nobody"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert_eq!(unknown.json()["ok"], false);
    assert_eq!(unknown.json()["error"]["exitCode"], 2);

    let inactive = cli(&env, &["--json", "sync", "asleep"]);
    assert_eq!(inactive.code, 2, "{}", inactive.stderr);
    assert!(inactive.stderr.contains("inactive"), "{}", inactive.stderr);
    assert_eq!(inactive.json()["error"]["exitCode"], 2);

    let wrong = cli(&env, &["--json", "sync", "typo"]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    let doc = wrong.json();
    assert_eq!(doc["status"], "failed");
    assert_eq!(doc["errorCode"], "AADSTS7000215");
    assert!(!wrong.stdout.contains(demo.tenant.secret_id()));
    assert!(!wrong.stderr.contains(demo.tenant.secret_id()));

    cli(&env, &["sync", "guarded"]).ok();
    let before = stored(env.path(), key);

    let control = demo.control();
    let users = control.users();
    let pick = Pick { users: &users };
    let mut taken = Vec::new();
    for _ in 0..5 {
        let u = pick.take(&mut taken, |u| pick.is_leaf(&u.id));
        control.soft_delete(&u.id);
    }
    let dry = cli(&env, &["--json", "sync", "guarded", "--dry-run"]);
    dry.ok();
    assert_eq!(dry.json()["kind"], "dryRun");
    assert_eq!(dry.json()["counts"], counts_json(0, 0, 0, 5, 245));
    assert_same_directory(&stored(env.path(), key), &before);

    let blocked = cli(&env, &["--json", "sync", "guarded"]);
    assert_eq!(blocked.code, 3, "{}", blocked.stderr);
    let doc = blocked.json();
    assert_eq!(doc["status"], "blocked");
    assert_eq!(doc["errorCode"], "DeletionGuard");
    assert_eq!(
        doc["guard"],
        json!({"removals": 5, "limit": 2, "directorySize": 250})
    );
    assert_eq!(doc["counts"], counts_json(0, 0, 0, 5, 245));
    assert!(
        blocked.stderr.contains("--allow-deletes"),
        "{}",
        blocked.stderr
    );
    assert_same_directory(&stored(env.path(), key), &before);

    let allowed = cli(&env, &["--json", "sync", "guarded", "--allow-deletes"]);
    allowed.ok();
    assert_eq!(allowed.json()["status"], "succeeded");
    assert_eq!(allowed.json()["counts"], counts_json(0, 0, 0, 5, 245));
    assert_directory(env.path(), key, &expected_all(&control, None));

    let statuses: Vec<String> = cli(&env, &["--json", "jobs", "list", "--client", "guarded"])
        .json()["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["succeeded", "blocked", "succeeded", "succeeded"]);
}

/// Another process (here: an engine in the test process) runs the client: the CLI's
/// `sync` answers "already running" with exit code 4 and records nothing.
#[test]
fn sync_of_a_client_another_process_runs_exits_4() {
    let demo = Demo::start(100);
    let env = Env::new();
    let id = add_client_cli(&env, &demo, "Demo", demo.tenant.client_secret(), &[]);
    let key = key_of(&id);
    let client = store(env.path()).client_by_key(key).unwrap().unwrap();
    let mut engine = engine(env.path(), tuning(10));
    demo.control().set_latency(Duration::from_secs(3600));
    let job = start(&engine, request(&client)).expect("started");

    let run = cli(&env, &["--json", "sync", "Demo"]);
    assert_eq!(
        run.code, 4,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let doc = run.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["exitCode"], 4);
    let msg = doc["error"]["message"].as_str().unwrap();
    assert!(msg.contains("already running"), "{msg}");
    assert!(msg.contains(&format!("job {job}")), "{msg}");
    assert_eq!(
        jobs_of(env.path(), key).len(),
        1,
        "the refused run recorded no job"
    );

    assert!(engine.cancel(job));
    assert_eq!(wait_finished(&mut engine, job).status, JobStatus::Cancelled);
    drop(engine);
    demo.control().set_latency(Duration::ZERO);
    let run = cli(&env, &["--json", "sync", "Demo"]);
    run.ok();
    assert_eq!(run.json()["counts"]["added"], 100);
}

/// `client edit --azure-sso` on a synced client: the next `sync` must give every user the
/// SSO identity (and `--no-azure-sso` must remove them), not only the users that happen
/// to change.
#[test]
fn toggling_azure_sso_applies_to_every_user_at_the_next_sync() {
    let demo = Demo::start(50);
    let issuer = demo.issuer();
    let env = Env::new();
    let id = add_client_cli(&env, &demo, "Demo", demo.tenant.client_secret(), &[]);
    let key = key_of(&id);
    cli(&env, &["sync", "Demo"]).ok();
    assert!(stored(env.path(), key).values().all(|u| u.sso.is_none()));

    cli(&env, &["client", "edit", "Demo", "--azure-sso"]).ok();
    let doc = cli(&env, &["--json", "sync", "Demo"]).json();
    assert_eq!(doc["status"], "succeeded");
    let without = stored(env.path(), key)
        .values()
        .filter(|u| u.sso.is_none())
        .count();
    assert_eq!(without, 0, "users without an SSO identity after the sync");
    assert_directory(
        env.path(),
        key,
        &expected_live(&demo.control(), Some(&issuer)),
    );

    cli(&env, &["client", "edit", "Demo", "--no-azure-sso"]).ok();
    cli(&env, &["sync", "Demo"]).ok();
    assert_directory(env.path(), key, &expected_live(&demo.control(), None));
}

/// `client edit` pointing a synced client at another tenant: the next `sync` must read
/// the new tenant (a fresh round), not follow the old tenant's deltaLink.
#[test]
fn moving_a_client_to_another_tenant_starts_afresh() {
    let old = Demo::start(40);
    let new = Demo::with_config(usersync::emulator::DemoConfig {
        users: 30,
        seed: 4242,
        ..Default::default()
    });
    let env = Env::new();
    let id = add_client_cli(&env, &old, "Demo", old.tenant.client_secret(), &[]);
    let key = key_of(&id);
    cli(&env, &["sync", "Demo"]).ok();
    assert_eq!(stored(env.path(), key).len(), 40);

    let authority = new.tenant.authority_url();
    let graph = new.tenant.graph_url();
    env.run_with_stdin(
        &[
            "--secret-store",
            "file",
            "client",
            "edit",
            "Demo",
            "--tenant-id",
            new.tenant.tenant_id(),
            "--client-id",
            new.tenant.client_id(),
            "--cloud",
            "custom",
            "--authority-url",
            &authority,
            "--graph-url",
            &graph,
            "--secret-stdin",
        ],
        Some(&format!("{}\n", new.tenant.client_secret())),
    )
    .ok();
    // A full round against the new tenant would remove every old user: the deletion
    // guard stops it until the admin consents.
    let blocked = cli(&env, &["--json", "sync", "Demo"]);
    assert_eq!(blocked.code, 3, "stderr:\n{}", blocked.stderr);
    assert_eq!(blocked.json()["kind"], "full");
    assert_eq!(blocked.json()["counts"]["deleted"], 40);
    let run = cli(&env, &["--json", "sync", "Demo", "--allow-deletes"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    // The old tenant's users leave (soft-deleted by the full round), the new ones arrive.
    let rows = stored(env.path(), key);
    let live: Vec<_> = rows.values().filter(|u| !u.deleted).collect();
    assert_eq!(live.len(), 30);
    let expected = expected_live(&new.control(), None);
    for u in live {
        assert_eq!(Some(u), expected.get(&u.id));
    }
}
