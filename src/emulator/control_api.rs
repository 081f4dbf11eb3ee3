//! The `/_demo/...` HTTP control API (documented in `README.md`): the same operations as
//! [`super::Control`], for a person running `usersync demo-tenant`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::control::{Control, FaultKind, Shared};
use super::model::{DemoUserInput, DemoUserPatch};

type S = State<Arc<Shared>>;

fn control(s: &Arc<Shared>) -> Control {
    Control { shared: s.clone() }
}

fn err(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": msg.into() }))).into_response()
}

// The error is the ready-made HTTP answer; handlers return it as is.
#[allow(clippy::result_large_err)]
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Response> {
    let raw: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(raw)
        .map_err(|e| err(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

fn user_or_404(c: &Control, id: &str, status: StatusCode) -> Response {
    match c.user(id) {
        Some(u) => (status, axum::Json(u)).into_response(),
        None => err(StatusCode::NOT_FOUND, format!("no user with id '{id}'")),
    }
}

/// A user exists but is in a state that does not allow the change (e.g. soft-deleted).
fn conflict_or_404(c: &Control, id: &str) -> Response {
    if c.user(id).is_some() {
        err(
            StatusCode::CONFLICT,
            format!("user '{id}' is not in a state that allows this change"),
        )
    } else {
        err(StatusCode::NOT_FOUND, format!("no user with id '{id}'"))
    }
}

async fn info(State(s): S) -> Response {
    let c = control(&s);
    let users = c.users();
    axum::Json(json!({
        "tenantId": s.ident.tenant_id,
        "tenantDomain": s.ident.tenant_domain,
        "clientId": s.ident.client_id,
        "authorityUrl": s.base_url,
        "graphUrl": s.base_url,
        "users": users.iter().filter(|u| !u.soft_deleted).count(),
        "softDeletedUsers": users.iter().filter(|u| u.soft_deleted).count(),
        "version": c.version(),
        "docs": "see src/emulator/README.md",
    }))
    .into_response()
}

async fn list_users(State(s): S) -> Response {
    axum::Json(control(&s).users()).into_response()
}

async fn add_user(State(s): S, bytes: Bytes) -> Response {
    let input: DemoUserInput = match body(&bytes) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let c = control(&s);
    let id = c.add_user(input);
    user_or_404(&c, &id, StatusCode::CREATED)
}

async fn get_user(State(s): S, Path(id): Path<String>) -> Response {
    user_or_404(&control(&s), &id, StatusCode::OK)
}

async fn patch_user(State(s): S, Path(id): Path<String>, bytes: Bytes) -> Response {
    let patch: DemoUserPatch = match body(&bytes) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let c = control(&s);
    if c.update_user(&id, patch) {
        user_or_404(&c, &id, StatusCode::OK)
    } else {
        conflict_or_404(&c, &id)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManagerBody {
    #[serde(default)]
    manager_id: Option<String>,
}

async fn set_manager(State(s): S, Path(id): Path<String>, bytes: Bytes) -> Response {
    let b: ManagerBody = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let c = control(&s);
    if c.set_manager(&id, b.manager_id.as_deref()) {
        user_or_404(&c, &id, StatusCode::OK)
    } else if c.user(&id).is_none() {
        err(StatusCode::NOT_FOUND, format!("no user with id '{id}'"))
    } else {
        err(
            StatusCode::CONFLICT,
            "the manager must be another live user, and the user must be live",
        )
    }
}

async fn remove_manager(State(s): S, Path(id): Path<String>) -> Response {
    let c = control(&s);
    if c.set_manager(&id, None) {
        user_or_404(&c, &id, StatusCode::OK)
    } else {
        conflict_or_404(&c, &id)
    }
}

#[derive(Deserialize)]
struct DeleteQuery {
    #[serde(default)]
    hard: Option<String>,
}

async fn delete_user(
    State(s): S,
    Path(id): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Response {
    let c = control(&s);
    let hard = q
        .hard
        .as_deref()
        .is_some_and(|h| h.is_empty() || h.eq_ignore_ascii_case("true") || h == "1");
    let done = if hard {
        c.hard_delete(&id)
    } else {
        c.soft_delete(&id)
    };
    if done {
        StatusCode::NO_CONTENT.into_response()
    } else {
        conflict_or_404(&c, &id)
    }
}

async fn restore_user(State(s): S, Path(id): Path<String>) -> Response {
    let c = control(&s);
    if c.restore(&id) {
        user_or_404(&c, &id, StatusCode::OK)
    } else {
        conflict_or_404(&c, &id)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FailNext {
    count: usize,
    kind: FaultKind,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultsBody {
    latency_ms: Option<u64>,
    fault_rate: Option<f64>,
    retry_after_secs: Option<u64>,
    fail_next: Option<FailNext>,
    #[serde(default)]
    clear: bool,
}

fn faults_view(s: &Shared) -> Value {
    let st = s.settings();
    let queued = s.faults.lock().map(|f| f.queue.len()).unwrap_or(0);
    json!({
        "latencyMs": st.latency.as_millis() as u64,
        "faultRate": st.fault_rate,
        "retryAfterSecs": st.retry_after_secs,
        "queued": queued,
    })
}

async fn get_faults(State(s): S) -> Response {
    axum::Json(faults_view(&s)).into_response()
}

async fn post_faults(State(s): S, bytes: Bytes) -> Response {
    let b: FaultsBody = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let c = control(&s);
    if b.clear {
        c.clear_faults();
    }
    if let Some(ms) = b.latency_ms {
        c.set_latency(Duration::from_millis(ms));
    }
    if let Some(r) = b.fault_rate {
        if !(0.0..=1.0).contains(&r) {
            return err(StatusCode::BAD_REQUEST, "faultRate must be between 0 and 1");
        }
        c.set_fault_rate(r);
    }
    if let Some(secs) = b.retry_after_secs {
        c.set_retry_after_secs(secs);
    }
    if let Some(f) = b.fail_next {
        c.fail_next(f.count, f.kind);
    }
    axum::Json(faults_view(&s)).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsBody {
    secret_expired: Option<bool>,
    app_disabled: Option<bool>,
    conditional_access_block: Option<bool>,
    users_permission: Option<bool>,
    organization_permission: Option<bool>,
    token_lifetime_secs: Option<u64>,
    empty_pages: Option<bool>,
    full_updates: Option<bool>,
    default_page_size: Option<usize>,
}

fn settings_view(s: &Shared) -> Value {
    let st = s.settings();
    json!({
        "secretExpired": st.secret_expired,
        "appDisabled": st.app_disabled,
        "conditionalAccessBlock": st.ca_block,
        "usersPermission": st.users_permission,
        "organizationPermission": st.org_permission,
        "tokenLifetimeSecs": st.token_lifetime.as_secs(),
        "emptyPages": st.empty_pages,
        "fullUpdates": st.full_updates,
        "defaultPageSize": st.default_page_size,
    })
}

async fn get_settings(State(s): S) -> Response {
    axum::Json(settings_view(&s)).into_response()
}

async fn post_settings(State(s): S, bytes: Bytes) -> Response {
    let b: SettingsBody = match body(&bytes) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let c = control(&s);
    if let Some(v) = b.secret_expired {
        c.set_secret_expired(v);
    }
    if let Some(v) = b.app_disabled {
        c.set_app_disabled(v);
    }
    if let Some(v) = b.conditional_access_block {
        c.set_conditional_access_block(v);
    }
    if let Some(v) = b.users_permission {
        c.set_users_permission(v);
    }
    if let Some(v) = b.organization_permission {
        c.set_organization_permission(v);
    }
    if let Some(v) = b.token_lifetime_secs {
        c.set_token_lifetime(Duration::from_secs(v));
    }
    if let Some(v) = b.empty_pages {
        c.set_empty_pages(v);
    }
    if let Some(v) = b.full_updates {
        c.set_full_updates(v);
    }
    if let Some(v) = b.default_page_size {
        c.set_default_page_size(v);
    }
    axum::Json(settings_view(&s)).into_response()
}

async fn expire_delta_tokens(State(s): S) -> Response {
    control(&s).expire_delta_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke_tokens(State(s): S) -> Response {
    control(&s).revoke_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn requests(State(s): S) -> Response {
    let log: Vec<Value> = control(&s)
        .request_log()
        .into_iter()
        .map(|r| {
            json!({
                "method": r.method,
                "pathAndQuery": r.path_and_query,
                "status": r.status,
                "atMs": r.time.saturating_duration_since(s.started).as_millis() as u64,
            })
        })
        .collect();
    axum::Json(log).into_response()
}

async fn clear_requests(State(s): S) -> Response {
    control(&s).clear_request_log();
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/", get(info))
        .route("/users", get(list_users).post(add_user))
        .route(
            "/users/{id}",
            get(get_user).patch(patch_user).delete(delete_user),
        )
        .route(
            "/users/{id}/manager",
            post(set_manager).put(set_manager).delete(remove_manager),
        )
        .route("/users/{id}/restore", post(restore_user))
        .route("/faults", get(get_faults).post(post_faults))
        .route("/settings", get(get_settings).post(post_settings))
        .route("/expire-delta-tokens", post(expire_delta_tokens))
        .route("/revoke-tokens", post(revoke_tokens))
        .route("/requests", get(requests).delete(clear_requests))
}
