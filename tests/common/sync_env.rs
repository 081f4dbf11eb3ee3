//! Shared helpers of the sync tests (`tests/sync_*.rs`): a demo tenant on its own tokio
//! runtime, a data directory with a client whose secret is in the opt-in file store (no
//! keyring needed), an engine with quick retries, the directory the tenant implies, and
//! readers for what the store recorded.
//!
//! Declared from each test file with `#[path = "common/sync_env.rs"] mod sync_env;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use usersync::emulator::{Control, DemoConfig, DemoTenant, DemoUser};
use usersync::engine::{
    EngineConfig, EngineHandle, Event, GraphTuning, JobOutcome, SyncRefusal, SyncRequest,
};
use usersync::graph::RetryPolicy;
use usersync::model::{
    Client, ClientKey, Cloud, DeletionGuard, DirectoryUser, FieldChangeRecord, JobChange,
    JobCounts, JobDetail, JobId, JobStatus, JobSummary, Secret, SsoIdentity, Trigger,
    UserAttributes,
};
use usersync::secrets::{Backend, SecretStore};
use usersync::store::{JobFilter, Store};

/// A demo tenant served from a runtime of its own (the engine has another one).
/// Field order matters: the tenant is dropped before its runtime.
pub struct Demo {
    pub tenant: DemoTenant,
    pub rt: tokio::runtime::Runtime,
}

impl Demo {
    pub fn start(users: usize) -> Demo {
        Demo::with_config(DemoConfig {
            users,
            ..Default::default()
        })
    }

    pub fn with_config(config: DemoConfig) -> Demo {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("demo-tenant")
            .enable_all()
            .build()
            .expect("demo tenant runtime");
        let tenant = rt
            .block_on(DemoTenant::start(
                "127.0.0.1:0".parse().expect("address"),
                config,
            ))
            .expect("start the demo tenant");
        Demo { tenant, rt }
    }

    pub fn control(&self) -> Control {
        self.tenant.control()
    }

    /// The `issuer` of the tenant's OpenID configuration document, read over HTTP.
    pub fn issuer(&self) -> String {
        let url = format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            self.tenant.authority_url(),
            self.tenant.tenant_id()
        );
        let doc: serde_json::Value = self.rt.block_on(async {
            reqwest::get(&url)
                .await
                .expect("GET openid-configuration")
                .json()
                .await
                .expect("openid-configuration is JSON")
        });
        doc["issuer"]
            .as_str()
            .expect("issuer in the OpenID configuration")
            .to_string()
    }

    /// Delta requests the tenant answered (any status), in arrival order of completion.
    pub fn delta_requests(&self) -> Vec<usersync::emulator::RequestRecord> {
        self.control()
            .request_log()
            .into_iter()
            .filter(|r| r.path_and_query.starts_with("/v1.0/users/delta"))
            .collect()
    }
}

/// A client of `demo` with the default guard, active, not SSO.
pub fn client_for(demo: &Demo, name: &str) -> Client {
    let now = chrono::Utc::now();
    Client {
        key: ClientKey::new(),
        name: name.to_string(),
        tenant_id: demo.tenant.tenant_id().to_string(),
        client_id: demo.tenant.client_id().to_string(),
        active: true,
        azure_sso: false,
        cloud: Cloud::Custom {
            authority_url: demo.tenant.authority_url(),
            graph_url: demo.tenant.graph_url(),
        },
        guard: DeletionGuard::default(),
        created_at: now,
        updated_at: now,
        last_validation: None,
    }
}

/// Saves the client row (secret backend "file") and its secret in the file store.
pub fn save_client(data_dir: &Path, client: &Client, secret: &str) {
    let store = Store::open_in(data_dir).expect("open store");
    store.insert_client(client, "file").expect("insert client");
    SecretStore::open_file(data_dir)
        .set(client.key, &Secret::new(secret))
        .expect("save secret");
}

/// Saves a client of `demo` with the right secret and returns it.
pub fn add_client(data_dir: &Path, demo: &Demo, name: &str) -> Client {
    add_client_with(data_dir, demo, name, |_| {})
}

pub fn add_client_with(
    data_dir: &Path,
    demo: &Demo,
    name: &str,
    edit: impl FnOnce(&mut Client),
) -> Client {
    let mut client = client_for(demo, name);
    edit(&mut client);
    save_client(data_dir, &client, demo.tenant.client_secret());
    client
}

/// Quick retries (milliseconds), a long request timeout (so a test that holds a request
/// at the tenant decides when it ends), and `page_size` users per delta page.
pub fn tuning(page_size: u32) -> GraphTuning {
    GraphTuning {
        retry: RetryPolicy::quick(),
        request_timeout: Duration::from_secs(3600),
        max_page_size: page_size,
    }
}

pub fn engine(data_dir: &Path, graph: GraphTuning) -> EngineHandle {
    EngineHandle::start(EngineConfig {
        data_dir: data_dir.to_path_buf(),
        backend: Backend::File,
        graph,
        worker_threads: 2,
    })
    .expect("start the engine")
}

pub fn request(client: &Client) -> SyncRequest {
    SyncRequest::new(client.key, Trigger::Manual)
}

/// The engine's answer to a sync request.
pub fn start(engine: &EngineHandle, request: SyncRequest) -> Result<JobId, SyncRefusal> {
    engine
        .runtime()
        .block_on(engine.start_sync(request))
        .expect("the engine answers")
}

/// Waits (draining other events) until `job` has finished.
pub fn wait_finished(engine: &mut EngineHandle, job: JobId) -> JobOutcome {
    loop {
        match engine.blocking_event() {
            Some(Event::JobFinished(o)) if o.job == job => return o,
            Some(_) => {}
            None => panic!("the engine stopped before job {job} finished"),
        }
    }
}

/// Waits until `job` reports progress that satisfies `pred`.
pub fn wait_progress(
    engine: &mut EngineHandle,
    job: JobId,
    pred: impl Fn(&usersync::engine::Progress) -> bool,
) {
    loop {
        match engine.blocking_event() {
            Some(Event::JobProgress(p)) if p.job == job && pred(&p) => return,
            Some(Event::JobFinished(o)) if o.job == job => {
                panic!("job {job} finished before the awaited progress: {o:?}")
            }
            Some(_) => {}
            None => panic!("the engine stopped"),
        }
    }
}

/// Starts a sync and waits for its end.
#[track_caller]
pub fn sync(engine: &mut EngineHandle, request: SyncRequest) -> JobOutcome {
    let job = match start(engine, request) {
        Ok(job) => job,
        Err(refusal) => panic!("sync refused: {refusal}"),
    };
    wait_finished(engine, job)
}

/// Starts a sync, waits, and checks that it succeeded.
#[track_caller]
pub fn sync_ok(engine: &mut EngineHandle, request: SyncRequest) -> JobOutcome {
    let o = sync(engine, request);
    assert_eq!(
        o.status,
        JobStatus::Succeeded,
        "job {} did not succeed: {:?}",
        o.job,
        o
    );
    o
}

// ----- what the tenant implies ---------------------------------------------------------

fn text(s: &Option<String>) -> Option<String> {
    s.clone().filter(|v| !v.is_empty())
}

/// The row a sync should store for a tenant user.
pub fn expected_row(u: &DemoUser, sso_issuer: Option<&str>) -> DirectoryUser {
    let upn = Some(u.user_principal_name.clone()).filter(|v| !v.is_empty());
    DirectoryUser {
        id: u.id.clone(),
        attributes: UserAttributes {
            display_name: Some(u.display_name.clone()).filter(|v| !v.is_empty()),
            given_name: text(&u.given_name),
            surname: text(&u.surname),
            user_principal_name: upn.clone(),
            mail: text(&u.mail),
            job_title: text(&u.job_title),
            department: text(&u.department),
            office_location: text(&u.office_location),
            company_name: text(&u.company_name),
            employee_id: text(&u.employee_id),
            mobile_phone: text(&u.mobile_phone),
            business_phones: u.business_phones.clone(),
            city: text(&u.city),
            country: text(&u.country),
            user_type: Some(u.user_type.clone()).filter(|v| !v.is_empty()),
            account_enabled: Some(u.account_enabled),
        },
        manager_id: u.manager_id.clone(),
        sso: match (sso_issuer, upn) {
            (Some(issuer), Some(login)) => Some(SsoIdentity {
                issuer: issuer.to_string(),
                subject: u.id.clone(),
                login,
            }),
            _ => None,
        },
        deleted: u.soft_deleted,
    }
}

/// Every user the tenant holds (soft-deleted ones flagged), as rows: the directory after
/// a history of syncs that saw each of them while live.
pub fn expected_all(
    control: &Control,
    sso_issuer: Option<&str>,
) -> BTreeMap<String, DirectoryUser> {
    control
        .users()
        .iter()
        .map(|u| (u.id.clone(), expected_row(u, sso_issuer)))
        .collect()
}

/// Only the users Graph serves: the directory after a first full sync.
pub fn expected_live(
    control: &Control,
    sso_issuer: Option<&str>,
) -> BTreeMap<String, DirectoryUser> {
    control
        .users()
        .iter()
        .filter(|u| !u.soft_deleted)
        .map(|u| (u.id.clone(), expected_row(u, sso_issuer)))
        .collect()
}

// ----- what the store holds ------------------------------------------------------------

pub fn store(data_dir: &Path) -> Store {
    Store::open_in(data_dir).expect("open store")
}

/// The client's directory, soft-deleted rows included, by id.
pub fn stored(data_dir: &Path, client: ClientKey) -> BTreeMap<String, DirectoryUser> {
    store(data_dir)
        .load_directory(client)
        .expect("load directory")
        .into_iter()
        .collect()
}

/// Asserts that the stored directory is exactly `expected`, naming what differs.
#[track_caller]
pub fn assert_directory(
    data_dir: &Path,
    client: ClientKey,
    expected: &BTreeMap<String, DirectoryUser>,
) {
    let got = stored(data_dir, client);
    assert_same_directory(&got, expected);
}

#[track_caller]
pub fn assert_same_directory(
    got: &BTreeMap<String, DirectoryUser>,
    expected: &BTreeMap<String, DirectoryUser>,
) {
    if got == expected {
        return;
    }
    let mut report = String::new();
    let missing: Vec<&String> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<&String> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
    let _ = writeln!(
        report,
        "directory differs: {} stored, {} expected; {} missing, {} extra",
        got.len(),
        expected.len(),
        missing.len(),
        extra.len()
    );
    for id in missing.iter().take(5) {
        let _ = writeln!(report, "  missing {id}: {:?}", expected[*id]);
    }
    for id in extra.iter().take(5) {
        let _ = writeln!(report, "  extra {id}: {:?}", got[*id]);
    }
    let differing: Vec<&String> = expected
        .keys()
        .filter(|k| got.get(*k).is_some_and(|g| g != &expected[*k]))
        .collect();
    let _ = writeln!(report, "  {} rows differ", differing.len());
    for id in differing.iter().take(5) {
        let _ = writeln!(
            report,
            "  {id}:\n    stored   {:?}\n    expected {:?}",
            got[*id], expected[*id]
        );
    }
    panic!("{report}");
}

pub fn delta_link(data_dir: &Path, client: ClientKey) -> Option<String> {
    store(data_dir)
        .sync_state(client)
        .expect("sync state")
        .and_then(|s| s.delta_link)
}

pub fn detail(data_dir: &Path, job: JobId) -> JobDetail {
    store(data_dir)
        .job_detail(job)
        .expect("job detail")
        .unwrap_or_else(|| panic!("no job {job}"))
}

pub fn jobs_of(data_dir: &Path, client: ClientKey) -> Vec<JobSummary> {
    store(data_dir)
        .list_jobs(&JobFilter {
            client: Some(client),
            ..Default::default()
        })
        .expect("list jobs")
}

/// The job's log as one text, for "mentions X" checks.
pub fn log_text(detail: &JobDetail) -> String {
    detail
        .log
        .iter()
        .map(|l| format!("{} {}", l.level, l.message))
        .collect::<Vec<_>>()
        .join("\n")
}

// ----- expectations --------------------------------------------------------------------

/// A change as the history records it; `fields` are (field, before, after).
pub fn change(
    user_id: &str,
    label: &str,
    kind: &str,
    fields: &[(&str, Option<&str>, Option<&str>)],
) -> JobChange {
    JobChange {
        user_id: user_id.to_string(),
        label: label.to_string(),
        kind: kind.to_string(),
        fields: fields
            .iter()
            .map(|(f, b, a)| FieldChangeRecord {
                field: f.to_string(),
                before: b.map(str::to_string),
                after: a.map(str::to_string),
            })
            .collect(),
    }
}

/// Asserts that the recorded changes are exactly `expected` (any order), and that the
/// recorded order is the documented one: most important kind first.
#[track_caller]
pub fn assert_changes(got: &[JobChange], expected: &[JobChange]) {
    let key = |c: &JobChange| (c.user_id.clone(), c.kind.clone());
    let mut g = got.to_vec();
    let mut e = expected.to_vec();
    g.sort_by_key(key);
    e.sort_by_key(key);
    assert_eq!(g, e, "recorded changes differ from what changed");
    let rank = |kind: &str| {
        [
            "purged",
            "deleted",
            "restored",
            "added",
            "disabled",
            "enabled",
            "managerChanged",
            "updated",
        ]
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_else(|| panic!("unknown change kind {kind}"))
    };
    let ranks: Vec<usize> = got.iter().map(|c| rank(&c.kind)).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "changes are not listed most important first: {:?}",
        got.iter().map(|c| &c.kind).collect::<Vec<_>>()
    );
}

/// Counts with only the given numbers set.
pub fn counts(edit: impl FnOnce(&mut JobCounts)) -> JobCounts {
    let mut c = JobCounts::default();
    edit(&mut c);
    c
}

/// Number of active (not soft-deleted) rows.
pub fn active_count(data_dir: &Path, client: ClientKey) -> u64 {
    store(data_dir)
        .count_active_users(client)
        .expect("count users") as u64
}

/// Users of the tenant, for picking test subjects.
pub struct Pick<'a> {
    pub users: &'a [DemoUser],
}

impl Pick<'_> {
    pub fn live(&self) -> impl Iterator<Item = &DemoUser> {
        self.users.iter().filter(|u| !u.soft_deleted)
    }

    pub fn reports_of(&self, id: &str) -> Vec<&DemoUser> {
        self.live()
            .filter(|u| u.manager_id.as_deref() == Some(id))
            .collect()
    }

    pub fn is_leaf(&self, id: &str) -> bool {
        !self
            .users
            .iter()
            .any(|u| u.manager_id.as_deref() == Some(id))
    }

    /// The first live user matching `pred` and not in `taken`; records it in `taken`.
    pub fn take(&self, taken: &mut Vec<String>, pred: impl Fn(&DemoUser) -> bool) -> DemoUser {
        let u = self
            .live()
            .find(|u| !taken.contains(&u.id) && pred(u))
            .expect("a user for this case")
            .clone();
        taken.push(u.id.clone());
        u
    }
}

/// Copies the database (after a checkpoint) and the file secret store to `to`.
pub fn copy_data_dir(from: &Path, to: &Path) {
    {
        let s = store(from);
        s.conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
    }
    std::fs::create_dir_all(to).expect("create dir");
    for name in [usersync::store::DB_FILE, usersync::secrets::FILE_STORE_NAME] {
        let src = from.join(name);
        if src.exists() {
            std::fs::copy(&src, to.join(name)).expect("copy data file");
        }
    }
}

/// A pid that no process has any more (a child that has exited and been reaped).
pub fn dead_pid() -> i64 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn `true`");
    let pid = child.id();
    child.wait().expect("wait for `true`");
    i64::from(pid)
}

/// Inserts a `running` job owned by `pid` on `host`, as a process that died would leave it.
pub fn insert_running_job(data_dir: &Path, client: &Client, pid: i64, host: &str) -> JobId {
    let s = store(data_dir);
    s.conn()
        .execute(
            "INSERT INTO jobs (client_key, client_name, trigger, kind, status, started_at, \
             owner_pid, owner_host) VALUES (?1, ?2, 'manual', 'full', 'running', ?3, ?4, ?5)",
            rusqlite::params![
                client.key.to_string(),
                client.name,
                usersync::store::now_text(),
                pid,
                host
            ],
        )
        .expect("insert running job");
    JobId(s.conn().last_insert_rowid())
}
