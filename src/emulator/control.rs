//! Shared server state and [`Control`], the in-process handle that changes the organisation,
//! the faults and the app registration while the server runs.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::generate::{self, Identity};
use super::model::{Attrs, DemoUser, DemoUserInput, DemoUserPatch, Select};
use super::org::{Entry, Life, Org};

/// A fault injected into a Graph request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultKind {
    /// 429 `TooManyRequests` with `Retry-After`.
    TooManyRequests,
    /// 503 `serviceNotAvailable` with `Retry-After`.
    ServiceUnavailable,
    /// 504 `UnknownError`, without `Retry-After` (clients fall back to backoff).
    GatewayTimeout,
    /// The connection is closed without any response.
    DropConnection,
}

/// One request the server received (any route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// Path and query exactly as requested, e.g. `/v1.0/users?$top=5`.
    pub path_and_query: String,
    /// HTTP status answered; `0` when the connection was dropped without a response.
    pub status: u16,
    /// When the request arrived.
    pub time: Instant,
}

pub(crate) struct Settings {
    pub latency: Duration,
    pub fault_rate: f64,
    pub retry_after_secs: u64,
    pub default_page_size: usize,
    pub token_lifetime: Duration,
    pub secret_expired: bool,
    pub app_disabled: bool,
    pub ca_block: bool,
    pub users_permission: bool,
    pub org_permission: bool,
    pub empty_pages: bool,
    pub full_updates: bool,
    /// Delta/skip tokens issued before this epoch answer 410.
    pub delta_epoch: u64,
}

pub(crate) struct Faults {
    pub queue: VecDeque<FaultKind>,
    pub rng: StdRng,
}

/// A round of `/users/delta` pages, fixed when the round starts.
pub(crate) struct Round {
    pub epoch: u64,
    pub select: Arc<Select>,
    /// The version the round's final deltaLink stands for.
    pub target_version: u64,
    pub entries: Vec<Entry>,
    /// Page boundaries into `entries` (empty ranges are empty pages).
    pub pages: Vec<(u32, u32)>,
}

pub(crate) struct DeltaState {
    pub version: u64,
    pub select: Arc<Select>,
    pub epoch: u64,
}

pub(crate) struct ListCursor {
    pub next_slot: u32,
    pub top: usize,
    pub select: Arc<Select>,
    pub expand_manager: bool,
}

/// Server-side state behind opaque `$skiptoken` / `$deltatoken` values.
#[derive(Default)]
pub(crate) struct StateTokens {
    rounds: HashMap<String, Arc<Round>>,
    round_order: VecDeque<String>,
    deltas: HashMap<String, DeltaState>,
    delta_order: VecDeque<String>,
    lists: HashMap<String, ListCursor>,
    list_order: VecDeque<String>,
}

const MAX_ROUNDS: usize = 24;
const MAX_DELTA_TOKENS: usize = 100_000;
const MAX_LIST_CURSORS: usize = 20_000;
const MAX_LOG: usize = 100_000;
/// Length of a round key inside a skiptoken (followed by the page number in hex).
pub(crate) const ROUND_KEY_LEN: usize = 40;

fn insert_capped<V>(
    map: &mut HashMap<String, V>,
    order: &mut VecDeque<String>,
    cap: usize,
    key: String,
    v: V,
) {
    if map.insert(key.clone(), v).is_none() {
        order.push_back(key);
    }
    while order.len() > cap {
        if let Some(old) = order.pop_front() {
            map.remove(&old);
        }
    }
}

impl StateTokens {
    pub fn add_round(&mut self, key: String, round: Arc<Round>) {
        insert_capped(
            &mut self.rounds,
            &mut self.round_order,
            MAX_ROUNDS,
            key,
            round,
        );
    }
    pub fn round(&self, key: &str) -> Option<Arc<Round>> {
        self.rounds.get(key).cloned()
    }
    pub fn add_delta(&mut self, key: String, d: DeltaState) {
        insert_capped(
            &mut self.deltas,
            &mut self.delta_order,
            MAX_DELTA_TOKENS,
            key,
            d,
        );
    }
    pub fn delta(&self, key: &str) -> Option<(u64, Arc<Select>, u64)> {
        self.deltas
            .get(key)
            .map(|d| (d.version, d.select.clone(), d.epoch))
    }
    pub fn add_list(&mut self, key: String, c: ListCursor) {
        insert_capped(
            &mut self.lists,
            &mut self.list_order,
            MAX_LIST_CURSORS,
            key,
            c,
        );
    }
    pub fn list(&self, key: &str) -> Option<(u32, usize, Arc<Select>, bool)> {
        self.lists
            .get(key)
            .map(|c| (c.next_slot, c.top, c.select.clone(), c.expand_manager))
    }
}

/// Everything the server and [`Control`] share.
pub(crate) struct Shared {
    pub ident: Identity,
    pub base_url: String,
    pub started: Instant,
    pub org: RwLock<Org>,
    pub settings: Mutex<Settings>,
    pub faults: Mutex<Faults>,
    /// Access token → expiry.
    pub access_tokens: Mutex<HashMap<String, Instant>>,
    pub state_tokens: Mutex<StateTokens>,
    pub log: Mutex<VecDeque<RequestRecord>>,
    pub token_rng: Mutex<StdRng>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(ident: Identity, base_url: String, org: Org, settings: Settings, seed: u64) -> Self {
        Shared {
            ident,
            base_url,
            started: Instant::now(),
            org: RwLock::new(org),
            settings: Mutex::new(settings),
            faults: Mutex::new(Faults {
                queue: VecDeque::new(),
                rng: StdRng::seed_from_u64(seed.wrapping_add(0xfa17)),
            }),
            access_tokens: Mutex::new(HashMap::new()),
            state_tokens: Mutex::new(StateTokens::default()),
            log: Mutex::new(VecDeque::new()),
            token_rng: Mutex::new(StdRng::from_os_rng()),
        }
    }

    pub fn org(&self) -> RwLockReadGuard<'_, Org> {
        self.org.read().unwrap_or_else(|e| e.into_inner())
    }
    pub fn org_mut(&self) -> RwLockWriteGuard<'_, Org> {
        self.org.write().unwrap_or_else(|e| e.into_inner())
    }
    pub fn settings(&self) -> MutexGuard<'_, Settings> {
        lock(&self.settings)
    }
    pub fn tokens(&self) -> MutexGuard<'_, StateTokens> {
        lock(&self.state_tokens)
    }
    pub fn access_tokens(&self) -> MutexGuard<'_, HashMap<String, Instant>> {
        lock(&self.access_tokens)
    }

    /// A fresh opaque token of `len` URL-safe characters (never guessable from the seed).
    pub fn random_token(&self, len: usize) -> String {
        const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = lock(&self.token_rng);
        (0..len)
            .map(|_| SET[rng.random_range(0..SET.len())] as char)
            .collect()
    }

    pub fn new_guid(&self) -> String {
        let mut rng = lock(&self.token_rng);
        generate::guid(&mut rng)
    }

    /// The fault for the next Graph request, if any: queued ones first, then the random rate.
    pub fn next_fault(&self) -> Option<FaultKind> {
        let rate = self.settings().fault_rate;
        let mut f = lock(&self.faults);
        if let Some(k) = f.queue.pop_front() {
            return Some(k);
        }
        if rate <= 0.0 || !f.rng.random_bool(rate.min(1.0)) {
            return None;
        }
        Some(match f.rng.random_range(0..10u8) {
            0..=4 => FaultKind::TooManyRequests,
            5..=7 => FaultKind::ServiceUnavailable,
            _ => FaultKind::DropConnection,
        })
    }

    pub fn record(&self, r: RequestRecord) {
        let mut log = lock(&self.log);
        log.push_back(r);
        while log.len() > MAX_LOG {
            log.pop_front();
        }
    }
}

/// A cheap, cloneable handle that changes the demo organisation and the server's behaviour
/// while it runs. Every change to a user is recorded for `/users/delta`.
///
/// Methods that act on one user return `false` when the user does not exist or the change
/// is not possible in its state (e.g. updating a soft-deleted user).
#[derive(Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("tenant_id", &self.shared.ident.tenant_id)
            .finish_non_exhaustive()
    }
}

impl Control {
    /// All users, including soft-deleted ones (flagged), in the server's order.
    pub fn users(&self) -> Vec<DemoUser> {
        let org = self.shared.org();
        (0..org.recs.len() as u32)
            .filter(|&s| matches!(org.life(s), Life::Visible | Life::SoftDeleted))
            .map(|s| org.snapshot(s))
            .collect()
    }

    /// One user (live or soft-deleted) by object id.
    pub fn user(&self, id: &str) -> Option<DemoUser> {
        let org = self.shared.org();
        org.find(id).map(|s| org.snapshot(s))
    }

    /// Adds a user and returns its new object id. An unknown or deleted `manager_id` is
    /// ignored; a missing UPN is derived from the names.
    pub fn add_user(&self, input: DemoUserInput) -> String {
        let id = self.shared.new_guid();
        let mut org = self.shared.org_mut();
        let manager = input
            .manager_id
            .as_deref()
            .and_then(|m| org.find(m))
            .filter(|&m| org.life(m) == Life::Visible);
        let upn = match input.user_principal_name {
            Some(u) if !u.trim().is_empty() => u,
            _ => {
                let local = [input.given_name.as_deref(), input.surname.as_deref()]
                    .into_iter()
                    .flatten()
                    .map(generate::ascii_fold)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(".");
                let local = if local.is_empty() {
                    let d = generate::ascii_fold(&input.display_name);
                    if d.is_empty() { "user".to_string() } else { d }
                } else {
                    local
                };
                let domain = &self.shared.ident.tenant_domain;
                let mut upn = format!("{local}@{domain}");
                let mut n = 1;
                while org.upn_taken(&upn) {
                    n += 1;
                    upn = format!("{local}{n}@{domain}");
                }
                upn
            }
        };
        let display_name = if input.display_name.trim().is_empty() {
            upn.clone()
        } else {
            input.display_name
        };
        let attrs = Attrs {
            display_name,
            given_name: input.given_name,
            surname: input.surname,
            user_principal_name: upn,
            mail: input.mail,
            job_title: input.job_title,
            department: input.department,
            office_location: input.office_location,
            company_name: input.company_name,
            employee_id: input.employee_id,
            mobile_phone: input.mobile_phone,
            business_phones: input.business_phones,
            city: input.city,
            country: input.country,
            user_type: input.user_type.unwrap_or_else(|| "Member".to_string()),
            account_enabled: input.account_enabled,
        };
        org.add(id.clone(), attrs, manager);
        id
    }

    /// Changes attributes; only properties whose value really changes are recorded.
    pub fn update_user(&self, id: &str, patch: DemoUserPatch) -> bool {
        let mut org = self.shared.org_mut();
        match org.find(id) {
            Some(s) => org.update(s, patch),
            None => false,
        }
    }

    /// Sets (`Some`) or removes (`None`) the manager. The manager must be a live user other
    /// than the user itself.
    pub fn set_manager(&self, id: &str, manager_id: Option<&str>) -> bool {
        let mut org = self.shared.org_mut();
        let Some(s) = org.find(id) else { return false };
        let m = match manager_id {
            Some(mid) => match org.find(mid) {
                Some(m) => Some(m),
                None => return false,
            },
            None => None,
        };
        org.set_manager(s, m)
    }

    pub fn set_enabled(&self, id: &str, enabled: bool) -> bool {
        self.update_user(
            id,
            DemoUserPatch {
                account_enabled: Some(enabled),
                ..Default::default()
            },
        )
    }

    /// Moves the user to deleted items (delta: `@removed` reason `changed`).
    pub fn soft_delete(&self, id: &str) -> bool {
        let mut org = self.shared.org_mut();
        org.find(id).is_some_and(|s| org.soft_delete(s))
    }

    /// Restores a soft-deleted user (delta: the full object again).
    pub fn restore(&self, id: &str) -> bool {
        let mut org = self.shared.org_mut();
        org.find(id).is_some_and(|s| org.restore(s))
    }

    /// Deletes permanently (delta: `@removed` reason `deleted`); direct reports lose their
    /// manager.
    pub fn hard_delete(&self, id: &str) -> bool {
        let mut org = self.shared.org_mut();
        org.find(id).is_some_and(|s| org.hard_delete(s))
    }

    /// The organisation's change counter (bumped by every recorded change).
    pub fn version(&self) -> u64 {
        self.shared.org().version
    }

    pub fn set_latency(&self, latency: Duration) {
        self.shared.settings().latency = latency;
    }

    /// Share (0.0..=1.0) of Graph requests answered 429/503 with `Retry-After` or dropped.
    pub fn set_fault_rate(&self, rate: f64) {
        self.shared.settings().fault_rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
    }

    /// The `Retry-After` value (seconds) of injected 429/503 answers.
    pub fn set_retry_after_secs(&self, secs: u64) {
        self.shared.settings().retry_after_secs = secs;
    }

    /// The next `n` Graph requests fail with `kind` (after any already queued).
    pub fn fail_next(&self, n: usize, kind: FaultKind) {
        let mut f = lock(&self.shared.faults);
        f.queue.extend(std::iter::repeat_n(kind, n));
    }

    /// Forgets queued faults from [`Control::fail_next`].
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).queue.clear();
    }

    /// Every delta and skip token issued so far answers 410 Gone from now on.
    pub fn expire_delta_tokens(&self) {
        self.shared.settings().delta_epoch += 1;
    }

    /// The secret is expired (token endpoint: AADSTS7000222).
    pub fn set_secret_expired(&self, on: bool) {
        self.shared.settings().secret_expired = on;
    }

    /// The app is disabled (token endpoint: AADSTS7000112).
    pub fn set_app_disabled(&self, on: bool) {
        self.shared.settings().app_disabled = on;
    }

    /// A Conditional Access policy blocks the app (token endpoint: AADSTS530032).
    pub fn set_conditional_access_block(&self, on: bool) {
        self.shared.settings().ca_block = on;
    }

    /// `false`: User.Read.All is not consented; `/users*` answer 403 Authorization_RequestDenied.
    pub fn set_users_permission(&self, on: bool) {
        self.shared.settings().users_permission = on;
    }

    /// `true`: `/organization` answers (Organization.Read.All consented); default `false` (403).
    pub fn set_organization_permission(&self, on: bool) {
        self.shared.settings().org_permission = on;
    }

    /// Lifetime of tokens issued from now on (`expires_in`); zero issues already-expired ones.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.settings().token_lifetime = lifetime;
    }

    /// Every access token issued so far is rejected with 401 InvalidAuthenticationToken.
    pub fn revoke_tokens(&self) {
        self.shared.access_tokens().clear();
    }

    /// `true`: delta rounds started from now on carry empty pages (an empty page first and
    /// between pages), which clients must follow through.
    pub fn set_empty_pages(&self, on: bool) {
        self.shared.settings().empty_pages = on;
    }

    /// `false` (default): updated users in a delta carry only the changed properties.
    /// `true`: they carry every selected property, as Graph's default is documented; a request
    /// with `Prefer: return=minimal` still gets only the changed ones.
    pub fn set_full_updates(&self, on: bool) {
        self.shared.settings().full_updates = on;
    }

    /// Default page size of `/users` and `/users/delta` when the client does not ask.
    pub fn set_default_page_size(&self, n: usize) {
        self.shared.settings().default_page_size = n.clamp(1, 999);
    }

    pub fn request_log(&self) -> Vec<RequestRecord> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    pub fn clear_request_log(&self) {
        lock(&self.shared.log).clear();
    }
}
