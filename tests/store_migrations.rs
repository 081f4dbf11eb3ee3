//! The database file: pragmas, fresh creation, upgrade from the previous schema, and a
//! newer database refused untouched.

use usersync::model::{Client, ClientKey, Cloud, DeletionGuard};
use usersync::store::{SCHEMA_VERSION, Store, StoreError, create_at_version};

fn sample_client(name: &str) -> Client {
    let now = chrono::Utc::now();
    Client {
        key: ClientKey::new(),
        name: name.into(),
        tenant_id: "contoso.onmicrosoft.com".into(),
        client_id: "1b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d".into(),
        active: true,
        azure_sso: true,
        cloud: Cloud::Custom {
            authority_url: "http://127.0.0.1:1".into(),
            graph_url: "http://127.0.0.1:2".into(),
        },
        guard: DeletionGuard {
            max_users: 7,
            max_percent: 3,
        },
        created_at: now,
        updated_at: now,
        last_validation: None,
    }
}

#[test]
fn fresh_database_has_current_schema_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .conn()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .conn()
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    for table in [
        "clients",
        "settings",
        "directory_users",
        "sync_state",
        "jobs",
        "job_log",
        "job_changes",
        "schedules",
        "schedule_fires",
    ] {
        let n: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "table {table}");
    }
    // Reopening is a no-op.
    drop(store);
    let again = Store::open_in(dir.path()).unwrap();
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn upgrade_from_previous_schema_keeps_clients() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usersync.db");
    let old = create_at_version(&path, SCHEMA_VERSION - 1).unwrap();
    let key = ClientKey::new();
    old.execute(
        "INSERT INTO clients (id, name, name_key, tenant_id, client_id, cloud, created_at, updated_at) \
         VALUES (?1, 'Old one', 'old one', 'contoso.com', '1b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d', 'global', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        [key.to_string()],
    )
    .unwrap();
    drop(old);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let c = store.client_by_name("OLD ONE").unwrap();
    assert_eq!(c.key, key);
    assert_eq!(c.cloud, Cloud::Global);
    assert_eq!(c.guard, DeletionGuard::default());
    assert!(c.last_validation.is_none());
}

#[test]
fn newer_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usersync.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::TooNew {
            found, supported, ..
        } => {
            assert_eq!((*found, *supported), (99, SCHEMA_VERSION));
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("newer User Sync"), "{msg}");
    assert!(msg.contains("was not changed"), "{msg}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "file bytes unchanged"
    );
    assert!(
        !path.with_extension("db-wal").exists(),
        "no WAL file created"
    );
}

#[test]
fn failed_migration_rolls_back_to_previous_version() {
    // A v1 database whose data breaks migration 2 (a table that migration 2 creates
    // already exists): the upgrade fails and the file stays at v1 with its data.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usersync.db");
    let old = create_at_version(&path, 1).unwrap();
    old.execute_batch("CREATE TABLE jobs (x);").unwrap();
    drop(old);
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::Migration { version: 2, .. }),
        "{err:?}"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
    let has_col: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('clients') WHERE name = 'last_validation_ok'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(has_col, 0, "the partial ALTER TABLE was rolled back");
}

#[test]
fn client_round_trip_unique_names_and_cascade() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in(dir.path()).unwrap();
    let c = sample_client("Contoso");
    store.insert_client(&c, "os").unwrap();
    let got = store.client_by_name("  contoso ").unwrap();
    assert_eq!(got.key, c.key);
    assert_eq!(got.cloud, c.cloud);
    assert_eq!(got.guard, c.guard);
    assert!(got.azure_sso);
    let dup = sample_client("CONTOSO");
    assert!(matches!(
        store.insert_client(&dup, "os"),
        Err(StoreError::DuplicateClientName(_))
    ));
    // Directory rows go with the client; job history stays with the client's name.
    store
        .conn()
        .execute(
            "INSERT INTO directory_users (client_key, object_id, synced_at) VALUES (?1, 'u1', 'now')",
            [c.key.to_string()],
        )
        .unwrap();
    store
        .conn()
        .execute(
            "INSERT INTO jobs (client_key, client_name, trigger, kind, status, started_at) \
             VALUES (?1, 'Contoso', 'cli', 'full', 'succeeded', 'now')",
            [c.key.to_string()],
        )
        .unwrap();
    assert!(store.delete_client(c.key).unwrap());
    let users: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM directory_users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 0);
    let (jobs, name): (i64, String) = store
        .conn()
        .query_row(
            "SELECT count(*), max(client_name) FROM jobs WHERE client_key IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((jobs, name.as_str()), (1, "Contoso"));
}

#[test]
fn two_connections_creating_one_database_at_once_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usersync.db");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (path, barrier) = (path.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                Store::open(&path).map(|s| s.schema_version().unwrap())
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), SCHEMA_VERSION);
    }
}
