//! `usersync client …` through the real binary, with the real OS keyring.

mod common;

use common::{CLIENT_ID, Env, keyring_available, unique_secret};
use usersync::model::ClientKey;
use usersync::secrets::SecretStore;

fn add(env: &Env, name: &str, secret: &str, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "--json",
        "client",
        "add",
        "--name",
        name,
        "--tenant-id",
        "contoso.onmicrosoft.com",
        "--client-id",
        CLIENT_ID,
        "--secret-stdin",
    ];
    args.extend_from_slice(extra);
    env.run_with_stdin(&args, Some(&format!("{secret}\n")))
}

fn keyring_secret(key: &str) -> Option<String> {
    let key = ClientKey(uuid::Uuid::parse_str(key).unwrap());
    SecretStore::open_os()
        .unwrap()
        .get(key)
        .unwrap()
        .map(|s| s.expose().to_string())
}

#[test]
fn add_list_show_edit_remove_round_trip() {
    if !keyring_available() {
        return;
    }
    let env = Env::new();
    let secret = unique_secret();
    let added = add(&env, "Contoso prod", &secret, &["--azure-sso"]);
    added.ok();
    let doc = added.json();
    assert_eq!(doc["name"], "Contoso prod");
    assert_eq!(doc["azureSso"], true);
    assert_eq!(doc["secretStored"], true);
    let key = doc["id"].as_str().unwrap().to_string();
    assert_eq!(
        keyring_secret(&key).as_deref(),
        Some(secret.as_str()),
        "the pipe's trailing newline is not part of the secret"
    );

    let list = env.run(&["--json", "client", "list"]);
    list.ok();
    let clients = list.json()["clients"].as_array().unwrap().clone();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0]["tenantId"], "contoso.onmicrosoft.com");

    let text = env.run(&["client", "list"]);
    text.ok();
    assert!(text.stdout.contains("Contoso prod"));
    assert!(text.stdout.contains("NAME"));

    let show = env.run(&["client", "show", "contoso PROD"]);
    show.ok();
    assert!(
        show.stdout.contains(
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        )
    );
    assert!(
        show.stdout
            .contains("Graph:           https://graph.microsoft.com")
    );
    assert!(show.stdout.contains("Secret stored:   yes"));

    // Rename and switch to US Gov; the secret stays with the client.
    let edit = env.run(&[
        "--json",
        "client",
        "edit",
        "Contoso prod",
        "--rename",
        "Contoso Gov",
        "--cloud",
        "usgov",
        "--inactive",
        "--no-azure-sso",
    ]);
    edit.ok();
    let doc = edit.json();
    assert_eq!(doc["name"], "Contoso Gov");
    assert_eq!(doc["id"], key.as_str(), "the stable id survives the rename");
    assert_eq!(doc["active"], false);
    assert_eq!(doc["azureSso"], false);
    assert_eq!(doc["endpoints"]["graphUrl"], "https://graph.microsoft.us");
    assert_eq!(
        doc["endpoints"]["tokenUrl"],
        "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert_eq!(keyring_secret(&key).as_deref(), Some(secret.as_str()));
    assert_eq!(env.run(&["client", "show", "Contoso prod"]).code, 2);

    // A new secret replaces the old one.
    let newer = unique_secret();
    env.run_with_stdin(
        &[
            "client",
            "edit",
            "Contoso Gov",
            "--secret-stdin",
            "--active",
        ],
        Some(&newer),
    )
    .ok();
    assert_eq!(keyring_secret(&key).as_deref(), Some(newer.as_str()));

    let removed = env.run(&["--json", "client", "remove", "CONTOSO GOV"]);
    removed.ok();
    assert_eq!(removed.json()["removed"], "Contoso Gov");
    assert_eq!(
        keyring_secret(&key),
        None,
        "removing the client removes its secret"
    );
    assert_eq!(
        env.run(&["--json", "client", "list"]).json()["clients"],
        serde_json::json!([])
    );
}

#[test]
fn secret_from_environment_variable() {
    if !keyring_available() {
        return;
    }
    let mut env = Env::new();
    let secret = unique_secret();
    env.extra_env.push(("MY_SECRET".into(), secret.clone()));
    let run = env.run(&[
        "--json",
        "client",
        "add",
        "--name",
        "From env",
        "--tenant-id",
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "--client-id",
        CLIENT_ID,
        "--secret-env",
        "MY_SECRET",
    ]);
    run.ok();
    let key = run.json()["id"].as_str().unwrap().to_string();
    assert_eq!(keyring_secret(&key).as_deref(), Some(secret.as_str()));
    env.run(&["client", "remove", "From env"]).ok();
}

#[test]
fn bad_input_exits_2_names_every_field_and_saves_nothing() {
    let env = Env::new();
    let run = env.run_with_stdin(
        &[
            "--json",
            "client",
            "add",
            "--name",
            "  ",
            "--tenant-id",
            "common",
            "--client-id",
            "not-a-guid",
            "--secret-stdin",
            "--cloud",
            "custom",
            "--authority-url",
            "http://login.example.com",
        ],
        Some("\n"),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["exitCode"], 2);
    let fields: Vec<&str> = doc["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "tenantId",
            "clientId",
            "secret",
            "authorityUrl",
            "graphUrl"
        ]
    );
    assert!(
        run.stderr
            .contains("Authority URL: plain http is allowed only to this machine")
    );
    assert!(
        run.stderr
            .contains("Tenant Id: \"common\" is a multi-tenant alias")
    );
    let list = env.run(&["--json", "client", "list"]);
    assert_eq!(list.json()["clients"], serde_json::json!([]));
}

#[test]
fn missing_secret_env_is_a_field_error() {
    let env = Env::new();
    let run = env.run(&[
        "client",
        "add",
        "--name",
        "X",
        "--tenant-id",
        "contoso.com",
        "--client-id",
        CLIENT_ID,
        "--secret-env",
        "USERSYNC_TEST_UNSET_VAR",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("Secret: the environment variable USERSYNC_TEST_UNSET_VAR is not set"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_2_and_secret_is_never_an_argument() {
    let env = Env::new();
    // No secret source at all.
    let run = env.run(&[
        "client",
        "add",
        "--name",
        "X",
        "--tenant-id",
        "contoso.com",
        "--client-id",
        CLIENT_ID,
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--secret-stdin"), "{}", run.stderr);
    // There is no flag that takes the secret itself.
    let run = env.run(&[
        "client",
        "add",
        "--name",
        "X",
        "--tenant-id",
        "contoso.com",
        "--client-id",
        CLIENT_ID,
        "--secret",
        "hunter2",
    ]);
    assert_eq!(run.code, 2);
    let unknown = env.run(&["client", "frobnicate"]);
    assert_eq!(unknown.code, 2);
}

#[test]
fn unknown_and_duplicate_names_exit_2() {
    if !keyring_available() {
        return;
    }
    let env = Env::new();
    assert_eq!(env.run(&["client", "show", "nobody"]).code, 2);
    assert_eq!(env.run(&["client", "remove", "nobody"]).code, 2);
    let secret = unique_secret();
    add(&env, "Alpha", &secret, &[]).ok();
    add(&env, "Beta", &unique_secret(), &[]).ok();
    let dup = add(&env, "ALPHA", &unique_secret(), &[]);
    assert_eq!(dup.code, 2);
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);
    let clash = env.run(&["client", "edit", "Beta", "--rename", "alpha"]);
    assert_eq!(clash.code, 2);
    assert!(clash.stderr.contains("already exists"));
    // The first Alpha's secret was not overwritten by the refused duplicate.
    let doc = env.run(&["--json", "client", "show", "Alpha"]).json();
    assert_eq!(
        keyring_secret(doc["id"].as_str().unwrap()).as_deref(),
        Some(secret.as_str())
    );
    env.run(&["client", "remove", "Alpha"]).ok();
    env.run(&["client", "remove", "Beta"]).ok();
}

#[test]
fn unreachable_keyring_fails_clearly_and_saves_nothing() {
    let mut env = Env::new();
    env.extra_env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        format!("unix:path={}/no-such-bus", env.path().display()),
    ));
    let run = add(&env, "Nowhere", &unique_secret(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("OS keyring"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--secret-store file"),
        "says what to do: {}",
        run.stderr
    );
    assert!(run.stderr.contains("Nothing was saved"), "{}", run.stderr);
    let list = env.run(&["--json", "client", "list"]);
    list.ok();
    assert_eq!(list.json()["clients"], serde_json::json!([]));
}

#[test]
fn opt_in_file_store_is_private_and_must_be_chosen_consistently() {
    let env = Env::new();
    let secret = unique_secret();
    let run = add(&env, "Headless", &secret, &["--secret-store", "file"]);
    run.ok();
    assert!(
        run.stderr.contains("weaker than the OS keyring"),
        "{}",
        run.stderr
    );
    let file = env.path().join("secrets.json");
    let body = std::fs::read_to_string(&file).unwrap();
    assert!(body.contains(&secret));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let show = env.run(&[
        "--secret-store",
        "file",
        "--json",
        "client",
        "show",
        "Headless",
    ]);
    show.ok();
    assert_eq!(show.json()["secretStored"], true);
    // Using the keyring for a file-store client is refused with the fix in the message.
    let wrong = env.run(&["client", "show", "Headless"]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("run with --secret-store file"),
        "{}",
        wrong.stderr
    );
    env.run(&["--secret-store", "file", "client", "remove", "Headless"])
        .ok();
    assert!(!std::fs::read_to_string(&file).unwrap().contains(&secret));
}

#[test]
fn newer_database_is_refused_by_the_cli() {
    let env = Env::new();
    let db = env.path().join("usersync.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA user_version = 42;").unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let run = env.run(&["client", "list"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("newer User Sync"), "{}", run.stderr);
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn version_and_help() {
    let env = Env::new();
    let v = env.run(&["--version"]);
    v.ok();
    assert_eq!(
        v.stdout.trim(),
        format!("usersync {}", env!("CARGO_PKG_VERSION"))
    );
    let help = env.run(&["client", "add", "--help"]);
    help.ok();
    for flag in [
        "--name",
        "--tenant-id",
        "--client-id",
        "--secret-stdin",
        "--secret-env",
        "--inactive",
        "--azure-sso",
        "--cloud",
        "--authority-url",
        "--graph-url",
        "--data-dir",
        "--json",
    ] {
        assert!(help.stdout.contains(flag), "help explains {flag}");
    }
}

/// The secret must not appear in any file of the data directory (database, WAL, logs)
/// nor in any output of any client command.
#[test]
fn secret_never_leaks_to_files_or_output() {
    if !keyring_available() {
        return;
    }
    let env = Env::new();
    let secret = unique_secret();
    add(&env, "Leaky", &secret, &[]).ok();
    env.run(&["client", "list"]).ok();
    env.run(&["--json", "client", "list"]).ok();
    env.run(&["client", "show", "Leaky"]).ok();
    env.run(&["--json", "client", "show", "Leaky"]).ok();
    let second = unique_secret();
    env.run_with_stdin(
        &[
            "--json",
            "client",
            "edit",
            "Leaky",
            "--rename",
            "Leaky 2",
            "--secret-stdin",
        ],
        Some(&second),
    )
    .ok();
    // A failing edit echoes its input errors, but never the secret.
    let bad = env.run_with_stdin(
        &[
            "client",
            "edit",
            "Leaky 2",
            "--tenant-id",
            "common",
            "--secret-stdin",
        ],
        Some(&format!("{second}x")),
    );
    assert_eq!(bad.code, 2);
    for file in env.files() {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&secret), "secret in {}", file.display());
        assert!(!text.contains(&second), "secret in {}", file.display());
    }
    for out in env.outputs.borrow().iter() {
        assert!(
            !out.contains(&secret) && !out.contains(&second),
            "secret in output:\n{out}"
        );
    }
    env.run(&["client", "remove", "Leaky 2"]).ok();
}
