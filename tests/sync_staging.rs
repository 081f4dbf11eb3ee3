//! The round planned page by page (`sync/stage.rs`, what a sync runs) is exactly the
//! pure plan of the whole round (`sync/plan.rs`, what the planning tests pin down):
//! the same rows, purges, change list and counts, over many random rounds with users
//! who appear on several pages, removals of every kind, unknown and empty ids.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use usersync::graph::parse_delta_entries;
use usersync::model::{
    Client, ClientKey, Cloud, DeletionGuard, JobKind, JobStatus, SYNCED_PROPERTIES, Trigger,
};
use usersync::store::jobs::JobEnd;
use usersync::store::staging::StagedChange;
use usersync::store::{NewJob, Store};
use usersync::sync::plan::{Plan, PlanInput, plan};
use usersync::sync::stage::{ApplyMode, RoundStager, StagedContents, staged_change};

fn client() -> Client {
    let now = chrono::Utc::now();
    Client {
        key: ClientKey::new(),
        name: "contoso".into(),
        tenant_id: "00000000-0000-0000-0000-000000000001".into(),
        client_id: "00000000-0000-0000-0000-000000000002".into(),
        active: true,
        azure_sso: false,
        cloud: Cloud::Global,
        guard: DeletionGuard::default(),
        created_at: now,
        updated_at: now,
        last_validation: None,
    }
}

/// A random entry for `id`: present with a random part of the fields (values, nulls,
/// empty strings), maybe a manager change, or a removal.
fn entry(rng: &mut StdRng, id: &str, ids: &[String]) -> Value {
    match rng.random_range(0..10) {
        0 => return json!({"id": id, "@removed": {"reason": "changed"}}),
        1 => return json!({"id": id, "@removed": {"reason": "deleted"}}),
        _ => {}
    }
    let mut user = serde_json::Map::new();
    user.insert("id".into(), json!(id));
    // Every synced property but the id and the one boolean (set below).
    for &field in SYNCED_PROPERTIES
        .iter()
        .filter(|f| !matches!(**f, "id" | "accountEnabled"))
    {
        let value = match rng.random_range(0..8) {
            0 | 1 => continue,
            2 => Value::Null,
            3 if field == "businessPhones" => json!([]),
            3 => json!(""),
            _ if field == "businessPhones" => json!([format!("+1 555 {}", rng.random_range(0..3))]),
            _ => json!(format!("{field} {}", rng.random_range(0..3))),
        };
        user.insert(field.into(), value);
    }
    if rng.random_bool(0.7) {
        user.insert("accountEnabled".into(), json!(rng.random_bool(0.7)));
    }
    let manager = ids[rng.random_range(0..ids.len())].clone();
    match rng.random_range(0..4) {
        0 => {}
        1 => {
            user.insert(
                "manager@delta".into(),
                json!([{"id": manager, "@removed": {"reason": "deleted"}}]),
            );
        }
        _ => {
            user.insert("manager@delta".into(), json!([{"id": manager}]));
        }
    }
    Value::Object(user)
}

/// A round as page bodies: each page lists some entries; some ids come back later.
fn round(rng: &mut StdRng, ids: &[String], last: &str) -> Vec<Vec<u8>> {
    let pages = rng.random_range(1..6);
    (0..pages)
        .map(|p| {
            let n = rng.random_range(0..12);
            let value: Vec<Value> = (0..n)
                .map(|_| {
                    if rng.random_range(0..40) == 0 {
                        json!({"id": "", "displayName": "nobody"})
                    } else {
                        let id = &ids[rng.random_range(0..ids.len())];
                        entry(rng, id, ids)
                    }
                })
                .collect();
            let link = if p + 1 == pages {
                json!({"@odata.deltaLink": last})
            } else {
                json!({"@odata.nextLink": format!("https://graph.example/next/{p}")})
            };
            let mut page = link.as_object().cloned().unwrap_or_default();
            page.insert("value".into(), Value::Array(value));
            serde_json::to_vec(&Value::Object(page)).unwrap()
        })
        .collect()
}

fn expected(plan: &Plan) -> StagedContents {
    let mut changes: Vec<StagedChange> = plan
        .changes
        .iter()
        .map(|c| staged_change(c).unwrap())
        .collect();
    changes.sort_by(|a, b| (a.rank, &a.label, &a.user_id).cmp(&(b.rank, &b.label, &b.user_id)));
    StagedContents {
        upserts: plan.upserts.clone(),
        purges: plan.purges.clone(),
        changes,
    }
}

fn start_job(store: &mut Store, client: &Client) -> usersync::model::JobId {
    store
        .start_job(&NewJob {
            client_key: client.key,
            client_name: &client.name,
            trigger: Trigger::Cli,
            schedule_name: None,
            kind: JobKind::Full,
            allow_deletes: false,
            status: JobStatus::Running,
        })
        .unwrap()
}

#[test]
fn staging_page_by_page_equals_planning_the_whole_round() {
    let mut checked = 0;
    for seed in 0..120u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let dir = tempfile::tempdir().unwrap();
        let client = client();
        let mut store = Store::open_in(dir.path()).unwrap();
        store.insert_client(&client, "file").unwrap();
        let ids: Vec<String> = (0..rng.random_range(3..25))
            .map(|i| format!("u{i:02}"))
            .collect();
        let issuer = rng
            .random_bool(0.3)
            .then(|| "https://login.example/t/v2.0".to_string());

        // A few rounds in a row, each applied, so later ones meet a real directory
        // (soft-deleted rows included).
        for r in 0..3 {
            let full = r == 0 || rng.random_bool(0.4);
            let bodies = round(&mut rng, &ids, &format!("https://graph.example/delta/{r}"));
            let existing: HashMap<_, _> = store.load_directory(client.key).unwrap();
            let fetched = bodies
                .iter()
                .flat_map(|b| parse_delta_entries(b).unwrap().into_iter().map(|(u, _)| u))
                .collect();
            let pure = plan(PlanInput {
                existing: &existing,
                fetched,
                full,
                sso_issuer: issuer.as_deref(),
                others_active: 0,
            });

            let mut stager = RoundStager::new(
                Store::open_in(dir.path()).unwrap(),
                client.key,
                full,
                issuer.clone(),
            )
            .unwrap();
            for body in &bodies {
                stager.add_page(body).unwrap();
            }
            let staged = stager.finish().unwrap();
            let context = format!("seed {seed}, round {r}, full {full}");
            assert_eq!(staged.counts, pure.counts, "{context}");
            assert_eq!(staged.staged().unwrap(), expected(&pure), "{context}");
            checked += pure.changes.len();

            let job = start_job(&mut store, &client);
            staged
                .apply(
                    job,
                    &format!("https://graph.example/delta/{r}"),
                    ApplyMode::Apply,
                    &JobEnd {
                        status: Some(JobStatus::Succeeded),
                        ..JobEnd::default()
                    },
                )
                .unwrap();
            // The directory is the old one with the plan laid over it.
            let mut after = existing.clone();
            for u in &pure.upserts {
                after.insert(u.id.clone(), u.clone());
            }
            for id in &pure.purges {
                after.remove(id);
            }
            assert_eq!(
                store.load_directory(client.key).unwrap(),
                after,
                "{context}"
            );
            let detail = store.job_detail(job).unwrap().unwrap();
            let listed: Vec<&str> = detail.changes.iter().map(|c| c.user_id.as_str()).collect();
            let want = expected(&pure).changes;
            let want: Vec<&str> = want.iter().map(|c| c.user_id.as_str()).collect();
            assert_eq!(
                listed, want,
                "{context}: the job lists the changes in order"
            );
        }
    }
    assert!(
        checked > 1_000,
        "the rounds changed too little to mean much: {checked}"
    );
}
