//! The Entra ID side: the v2.0 token endpoint (client credentials) with its AADSTS errors,
//! the OpenID configuration document and a key set.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::control::Shared;
use super::generate::{APP_NAME, COMPANY};
use super::server::base_url;

/// An AADSTS error: HTTP status, OAuth `error`, code, description (without the code prefix).
struct Aad {
    status: StatusCode,
    error: &'static str,
    code: u32,
    message: String,
}

fn aad(status: StatusCode, error: &'static str, code: u32, message: String) -> Aad {
    Aad {
        status,
        error,
        code,
        message,
    }
}

fn aad_response(s: &Shared, headers: &HeaderMap, e: Aad) -> Response {
    let trace_id = s.new_guid();
    let correlation_id = headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
        .map(|u| u.to_string())
        .unwrap_or_else(|| s.new_guid());
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    let description = format!(
        "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
        e.code, e.message
    );
    let body = json!({
        "error": e.error,
        "error_description": description,
        "error_codes": [e.code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("{}/error?code={}", base_url(s, headers), e.code),
    });
    let mut resp = (e.status, axum::Json(body)).into_response();
    no_store(&mut resp);
    resp
}

fn no_store(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A DNS name as Entra accepts for a tenant: labels of letters, digits and hyphens.
fn is_dns_name(t: &str) -> bool {
    t.contains('.')
        && t.len() <= 253
        && t.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Resolves the `{tenant}` path segment (GUID or domain, case-insensitive).
fn check_tenant(s: &Shared, tenant: &str) -> Result<(), Aad> {
    let t = tenant.trim();
    if t.eq_ignore_ascii_case(&s.ident.tenant_id) || t.eq_ignore_ascii_case(&s.ident.tenant_domain)
    {
        return Ok(());
    }
    if ["common", "consumers", "organizations"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
    {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            9001023,
            "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.".into(),
        ));
    }
    if uuid::Uuid::parse_str(t).is_ok() || is_dns_name(t) {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!(
                "Tenant '{t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        ));
    }
    Err(aad(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900023,
        format!(
            "Specified tenant identifier '{t}' is neither a valid DNS name, nor a valid external domain."
        ),
    ))
}

fn missing(name: &str) -> Aad {
    aad(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        format!("The request body must contain the following parameter: '{name}'."),
    )
}

/// The checks of a client-credentials request, in the order Entra makes them.
fn issue(s: &Shared, tenant: &str, headers: &HeaderMap, body: &[u8]) -> Result<Response, Aad> {
    check_tenant(s, tenant)?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let form: Vec<(String, String)> = if is_form {
        url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let get = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let grant_type = get("grant_type").ok_or_else(|| missing("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!(
                "The app requested an unsupported grant type '{grant_type}'. This demo tenant supports only client_credentials."
            ),
        ));
    }
    let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
    let scope = get("scope").ok_or_else(|| missing("scope"))?;
    let st = s.settings();
    let ident = &s.ident;
    if !client_id.trim().eq_ignore_ascii_case(&ident.client_id) {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{COMPANY}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    }
    if st.app_disabled {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            7000112,
            format!("Application '{}'({APP_NAME}) is disabled.", ident.client_id),
        ));
    }
    let secret = get("client_secret").ok_or_else(|| {
        aad(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into(),
        )
    })?;
    if secret != ident.client_secret {
        return Err(aad(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                ident.client_id
            ),
        ));
    }
    if st.secret_expired {
        return Err(aad(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000222,
            format!(
                "The provided client secret keys for app '{}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
                ident.client_id
            ),
        ));
    }
    // Client credentials: exactly one "{resource}/.default".
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let single = match scopes.as_slice() {
        [one] => *one,
        _ => {
            return Err(aad(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70011,
                format!(
                    "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
                ),
            ));
        }
    };
    let Some(resource) = single.strip_suffix("/.default") else {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {single} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    };
    let resource_norm = resource.trim_end_matches('/');
    let ours = resource_norm.eq_ignore_ascii_case(s.base_url.trim_end_matches('/'))
        || resource_norm.eq_ignore_ascii_case(base_url(s, headers).trim_end_matches('/'))
        || resource_norm.eq_ignore_ascii_case("00000003-0000-0000-c000-000000000000");
    if !ours {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource} was not found in the tenant named {COMPANY}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
        ));
    }
    if st.ca_block {
        return Err(aad(
            StatusCode::BAD_REQUEST,
            "access_denied",
            530032,
            "The tenant admin has configured a security policy that blocks this request. Check the security policies that are defined on the tenant level to determine if your request meets the policy requirements.".into(),
        ));
    }
    let lifetime = st.token_lifetime;
    drop(st);
    let token = format!("demo.{}", s.random_token(96));
    {
        let mut tokens = s.access_tokens();
        let now = Instant::now();
        if tokens.len() > 50_000 {
            tokens.retain(|_, exp| *exp > now);
        }
        tokens.insert(token.clone(), now + lifetime);
    }
    let secs = lifetime.as_secs();
    let mut resp = axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": secs,
        "ext_expires_in": secs,
        "access_token": token,
    }))
    .into_response();
    no_store(&mut resp);
    Ok(resp)
}

/// `POST /{tenant}/oauth2/v2.0/token`. The form body is never logged.
pub(crate) async fn token(
    State(s): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match issue(&s, &tenant, &headers, &body) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(code = e.code, "demo tenant token request refused");
            aad_response(&s, &headers, e)
        }
    }
}

/// `GET` on the token endpoint.
pub(crate) async fn token_wrong_method(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Response {
    aad_response(
        &s,
        &headers,
        aad(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            "The endpoint only accepts POST, OPTIONS requests. Received a GET request.".into(),
        ),
    )
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(crate) async fn openid_configuration(
    State(s): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&s, &headers);
    let t = tenant.trim();
    let tid = if ["common", "organizations", "consumers"]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
    {
        "{tenantid}".to_string()
    } else {
        match check_tenant(&s, t) {
            Ok(()) => s.ident.tenant_id.clone(),
            Err(mut e) => {
                e.error = "invalid_tenant";
                return aad_response(&s, &headers, e);
            }
        }
    };
    let host = base.trim_start_matches("http://").to_string();
    let body = json!({
        "token_endpoint": format!("{base}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tid}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": format!("{base}/{tid}/kerberos"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": host,
        "cloud_graph_host_name": host,
        "msgraph_host": host,
        "rbac_url": base,
    });
    axum::Json(body).into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`: a key set of the right shape (the emulator's tokens
/// are opaque, so nothing is ever signed with it).
pub(crate) async fn jwks(
    State(s): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(mut e) = check_tenant(&s, &tenant) {
        e.error = "invalid_tenant";
        return aad_response(&s, &headers, e);
    }
    let base = base_url(&s, &headers);
    let kid = format!("demo-{}", &s.ident.tenant_id[..8]);
    let modulus: String = s
        .ident
        .tenant_id
        .bytes()
        .cycle()
        .take(342)
        .map(|b| {
            let set = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            set[(b as usize) % 64] as char
        })
        .collect();
    axum::Json(json!({
        "keys": [{
            "kty": "RSA",
            "use": "sig",
            "kid": kid,
            "x5t": kid,
            "n": modulus,
            "e": "AQAB",
            "issuer": format!("{base}/{}/v2.0", s.ident.tenant_id),
        }]
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::is_dns_name;

    #[test]
    fn dns_names() {
        assert!(is_dns_name("contoso.onmicrosoft.com"));
        assert!(!is_dns_name("not a tenant"));
        assert!(!is_dns_name("contoso"));
        assert!(!is_dns_name("-bad.com"));
    }
}
