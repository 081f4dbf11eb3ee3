//! Microsoft Graph v1.0: `/users`, `/users/{id}`, `/users/{id}/manager`, `/organization`.
//! (`/users/delta` is in `delta.rs`.)

use std::sync::Arc;
use std::time::Instant;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::control::{ListCursor, Shared};
use super::delta;
use super::model::{self, Field, Select, Val};
use super::org::Life;
use super::server::{ReqCtx, graph_error};

pub(crate) const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// Checks `Authorization: Bearer <token>` against the issued tokens.
pub(crate) fn check_bearer(s: &Shared, headers: &HeaderMap) -> Result<(), &'static str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
        _ => "",
    };
    if token.is_empty() {
        return Err("Access token is empty.");
    }
    match s.access_tokens().get(token) {
        None => Err("Access token validation failure."),
        Some(exp) if Instant::now() >= *exp => Err("Access token has expired or is not yet valid."),
        Some(_) => Ok(()),
    }
}

/// Decoded query parameters, keys matched case-insensitively.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
    /// The value, treating an empty one as absent.
    pub fn get_nonempty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.trim().is_empty())
    }
    pub fn first_of(&self, keys: &[&'static str]) -> Option<&'static str> {
        keys.iter().copied().find(|k| self.get(k).is_some())
    }
}

pub(crate) fn json_page(body: Vec<u8>) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    resp
}

pub(crate) fn bad_request(ctx: &ReqCtx, code: &str, message: &str) -> Response {
    graph_error(ctx, StatusCode::BAD_REQUEST, code, message)
}

pub(crate) fn unsupported(ctx: &ReqCtx, param: &str) -> Response {
    bad_request(
        ctx,
        "Request_UnsupportedQuery",
        &format!(
            "The query parameter '{param}' is not supported by the User Sync demo tenant on this resource."
        ),
    )
}

// The error is the ready-made HTTP answer; handlers return it as is.
#[allow(clippy::result_large_err)]
pub(crate) fn parse_select(ctx: &ReqCtx, q: &Query) -> Result<Select, Response> {
    match q.get("$select") {
        None => Ok(Select::default_set()),
        Some(raw) => Select::parse(raw).map_err(|name| {
            bad_request(
                ctx,
                "Request_BadRequest",
                &format!("Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.user'."),
            )
        }),
    }
}

/// 403 when User.Read.All is not consented.
pub(crate) fn deny_users(s: &Shared, ctx: &ReqCtx) -> Option<Response> {
    (!s.settings().users_permission).then(|| {
        graph_error(
            ctx,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    })
}

fn not_found_resource(ctx: &ReqCtx, what: &str) -> Response {
    graph_error(
        ctx,
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{what}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

fn is_delta_segment(seg: &str) -> bool {
    matches!(
        seg,
        "delta" | "delta()" | "microsoft.graph.delta" | "microsoft.graph.delta()"
    )
}

/// `GET /v1.0/users` with `$top` (1..=999), `$select`, `$expand=manager`, `$skiptoken`.
pub(crate) async fn users_list(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<ReqCtx>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = deny_users(&s, &ctx) {
        return r;
    }
    let q = Query::parse(raw.as_deref());
    if let Some(p) = q.first_of(&["$filter", "$orderby", "$search", "$count", "$skip"]) {
        return unsupported(&ctx, p);
    }
    let (start, top, select, expand_manager) = if let Some(tok) = q.get_nonempty("$skiptoken") {
        match s.tokens().list(tok) {
            Some(c) => c,
            None => {
                return bad_request(&ctx, "Request_BadRequest", "Invalid $skiptoken value.");
            }
        }
    } else {
        let top = match q.get("$top") {
            None => s.settings().default_page_size,
            Some(t) => match t.trim().parse::<i64>() {
                Ok(n) if (1..=999).contains(&n) => n as usize,
                _ => {
                    return bad_request(
                        &ctx,
                        "Request_BadRequest",
                        &format!(
                            "Invalid page size specified: '{t}'. Must be between 1 and 999 inclusive."
                        ),
                    );
                }
            },
        };
        let select = match parse_select(&ctx, &q) {
            Ok(sel) => sel,
            Err(r) => return r,
        };
        let expand_manager = match q.get("$expand") {
            None => false,
            Some(e) if e.trim().to_ascii_lowercase().starts_with("manager") => true,
            Some(_) => return unsupported(&ctx, "$expand"),
        };
        (0, top, Arc::new(select), expand_manager)
    };
    let mut buf = Vec::with_capacity(top * 400 + 256);
    let next = {
        let org = s.org();
        let mut slots = Vec::with_capacity(top);
        let mut i = start as usize;
        while i < org.recs.len() && slots.len() < top {
            if org.recs[i].life == Life::Visible {
                slots.push(i);
            }
            i += 1;
        }
        while i < org.recs.len() && org.recs[i].life != Life::Visible {
            i += 1;
        }
        let more = i < org.recs.len();
        buf.extend_from_slice(b"{\"@odata.context\":");
        model::write_str(
            &mut buf,
            &format!("{}/v1.0/$metadata#{}", ctx.base, select.context_suffix()),
        );
        let next = more.then(|| s.random_token(48));
        if let Some(tok) = &next {
            buf.extend_from_slice(b",\"@odata.nextLink\":");
            model::write_str(
                &mut buf,
                &format!("{}/v1.0/users?$top={top}&$skiptoken={tok}", ctx.base),
            );
        }
        buf.extend_from_slice(b",\"value\":[");
        for (n, &slot) in slots.iter().enumerate() {
            if n > 0 {
                buf.push(b',');
            }
            let rec = &org.recs[slot];
            let any = model::open_user(
                &mut buf,
                &rec.id,
                &rec.attrs,
                select.mask,
                &select.unmodelled,
            );
            if expand_manager && let Some(m) = rec.manager {
                let mrec = &org.recs[m as usize];
                if mrec.life == Life::Visible {
                    if any {
                        buf.push(b',');
                    }
                    buf.extend_from_slice(
                        b"\"manager\":{\"@odata.type\":\"#microsoft.graph.user\",",
                    );
                    model::write_prop(&mut buf, "id", &Val::Str(&mrec.id));
                    buf.push(b',');
                    model::write_prop(&mut buf, "displayName", &Val::Str(&mrec.attrs.display_name));
                    buf.push(b'}');
                }
            }
            buf.push(b'}');
        }
        buf.extend_from_slice(b"]}");
        next.map(|tok| (tok, i as u32))
    };
    if let Some((tok, next_slot)) = next {
        s.tokens().add_list(
            tok,
            ListCursor {
                next_slot,
                top,
                select,
                expand_manager,
            },
        );
    }
    json_page(buf)
}

/// `GET /v1.0/users/{id-or-upn}`, and `/users/delta` (the same path shape).
pub(crate) async fn user_or_delta(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = deny_users(&s, &ctx) {
        return r;
    }
    if is_delta_segment(&id) {
        return delta::delta(&s, &ctx, raw.as_deref(), &headers);
    }
    let q = Query::parse(raw.as_deref());
    let select = match parse_select(&ctx, &q) {
        Ok(sel) => sel,
        Err(r) => return r,
    };
    let org = s.org();
    let Some(slot) = org.find_visible(&id) else {
        return not_found_resource(&ctx, &id);
    };
    let rec = &org.recs[slot as usize];
    let mut buf = Vec::with_capacity(1024);
    buf.extend_from_slice(b"{\"@odata.context\":");
    model::write_str(
        &mut buf,
        &format!("{}/v1.0/$metadata#users/$entity", ctx.base),
    );
    let mut inner = Vec::with_capacity(1024);
    let any = model::open_user(
        &mut inner,
        &rec.id,
        &rec.attrs,
        select.mask,
        &select.unmodelled,
    );
    if any {
        buf.push(b',');
    }
    buf.extend_from_slice(&inner[1..]);
    buf.push(b'}');
    json_page(buf)
}

/// `GET /v1.0/users/{id}/manager`: the manager, or 404 when there is none.
pub(crate) async fn manager(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<ReqCtx>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = deny_users(&s, &ctx) {
        return r;
    }
    let q = Query::parse(raw.as_deref());
    let select = match parse_select(&ctx, &q) {
        Ok(sel) => sel,
        Err(r) => return r,
    };
    let org = s.org();
    let Some(slot) = org.find_visible(&id) else {
        return not_found_resource(&ctx, &id);
    };
    let Some(m) = org.recs[slot as usize]
        .manager
        .filter(|&m| org.life(m) == Life::Visible)
    else {
        return not_found_resource(&ctx, "manager");
    };
    let rec = &org.recs[m as usize];
    let mut buf = Vec::with_capacity(1024);
    buf.extend_from_slice(b"{\"@odata.context\":");
    model::write_str(
        &mut buf,
        &format!("{}/v1.0/$metadata#directoryObjects/$entity", ctx.base),
    );
    buf.extend_from_slice(b",\"@odata.type\":\"#microsoft.graph.user\"");
    let mut inner = Vec::with_capacity(1024);
    let any = model::open_user(
        &mut inner,
        &rec.id,
        &rec.attrs,
        select.mask | Field::Id.bit(),
        &select.unmodelled,
    );
    if any {
        buf.push(b',');
    }
    buf.extend_from_slice(&inner[1..]);
    buf.push(b'}');
    json_page(buf)
}

/// `GET /v1.0/organization`: 403 unless Organization.Read.All is "consented".
pub(crate) async fn organization(
    State(s): State<Arc<Shared>>,
    Extension(ctx): Extension<ReqCtx>,
) -> Response {
    if !s.settings().org_permission {
        return graph_error(
            &ctx,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    let body = serde_json::json!({
        "@odata.context": format!("{}/v1.0/$metadata#organization", ctx.base),
        "value": [{
            "id": s.ident.tenant_id,
            "displayName": super::generate::COMPANY,
            "countryLetterCode": "US",
            "tenantType": "AAD",
            "verifiedDomains": [{
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": true,
                "isInitial": true,
                "name": s.ident.tenant_domain,
                "type": "Managed"
            }]
        }]
    });
    json_page(body.to_string().into_bytes())
}

/// `GET /v1.0/me` has no meaning for an app-only token.
pub(crate) async fn me(Extension(ctx): Extension<ReqCtx>) -> Response {
    bad_request(
        &ctx,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    )
}

/// Any other `/v1.0/...` path.
pub(crate) async fn not_found(ctx: Option<Extension<ReqCtx>>, uri: Uri) -> Response {
    let seg = uri
        .path()
        .trim_start_matches('/')
        .trim_start_matches("v1.0/")
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let ctx = match ctx {
        Some(Extension(c)) => c,
        None => ReqCtx {
            request_id: String::new(),
            client_request_id: String::new(),
            base: String::new(),
        },
    };
    bad_request(
        &ctx,
        "BadRequest",
        &format!("Resource not found for the segment '{seg}'."),
    )
}
