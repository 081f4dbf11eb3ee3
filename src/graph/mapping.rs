//! From the services' error bodies to [`GraphError`]s an admin can act on.
//!
//! Entra: by the `AADSTS` numbers in `error_codes` (or in `error_description` when the
//! list is missing), then by the OAuth `error` string. Graph: by `error.code`, then by
//! the HTTP status. Codes and meanings follow Microsoft's "Microsoft Entra
//! authentication and authorization error codes" and "Microsoft Graph error responses".

use crate::graph::error::{ErrorKind, GraphError, Origin, excerpt, redact};
use crate::graph::wire::{GraphErrorBody, TokenErrorBody};

/// What the error messages may mention about the client.
pub(crate) struct Context<'a> {
    pub tenant: &'a str,
    pub client_id: &'a str,
    pub authority_host: &'a str,
    pub graph_host: &'a str,
    /// Kept out of every message.
    pub secret: &'a str,
}

impl Context<'_> {
    fn cloud(&self) -> String {
        cloud_label(self.authority_host)
    }

    fn credentials(&self) -> [&str; 1] {
        [self.secret]
    }
}

pub(crate) fn cloud_label(authority_host: &str) -> String {
    match authority_host.to_ascii_lowercase().as_str() {
        "login.microsoftonline.com" => "the global Azure cloud (login.microsoftonline.com)".into(),
        "login.microsoftonline.us" => "Azure US Government (login.microsoftonline.us)".into(),
        "login.chinacloudapi.cn" => {
            "Azure China operated by 21Vianet (login.chinacloudapi.cn)".into()
        }
        other => format!("the sign-in service at {other}"),
    }
}

/// The `AADSTS` numbers of a token error: `error_codes`, else those in the description.
pub(crate) fn aadsts_codes(body: &TokenErrorBody) -> Vec<u64> {
    if !body.error_codes.is_empty() {
        return body.error_codes.clone();
    }
    let Some(desc) = body.error_description.as_deref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rest = desc;
    while let Some(pos) = rest.find("AADSTS") {
        let digits: String = rest[pos + 6..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = digits.parse::<u64>() {
            out.push(n);
        }
        rest = &rest[pos + 6..];
    }
    out
}

/// The Entra correlation id: the field, else the "Correlation ID:" line of the
/// description.
fn sign_in_correlation(body: &TokenErrorBody) -> Option<String> {
    if let Some(id) = body.correlation_id.as_deref().filter(|s| !s.is_empty()) {
        return Some(id.to_string());
    }
    let desc = body.error_description.as_deref()?;
    let pos = desc.find("Correlation ID:")?;
    let id: String = desc[pos + "Correlation ID:".len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The first line of an Entra description, without its `AADSTSnnn:` prefix, redacted.
fn first_line(body: &TokenErrorBody, ctx: &Context<'_>) -> String {
    let desc = body.error_description.as_deref().unwrap_or("");
    let line = desc.lines().next().unwrap_or("").trim();
    let line = match line.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with("AADSTS") => rest,
        _ => line,
    };
    excerpt(redact(line, &ctx.credentials()).as_bytes(), 300)
}

/// Map a token-endpoint (or OpenID-configuration) error body.
pub(crate) fn sign_in_error(status: u16, body: &TokenErrorBody, ctx: &Context<'_>) -> GraphError {
    let codes = aadsts_codes(body);
    let known = codes
        .iter()
        .find_map(|c| classify_aadsts(*c).map(|k| (*c, k)));
    let (code_num, kind) = match known {
        Some((c, k)) => (Some(c), k),
        None => (codes.first().copied(), classify_oauth_error(&body.error)),
    };
    let message = sign_in_message(kind, code_num, body, ctx);
    let code = code_num
        .map(|c| format!("AADSTS{c}"))
        .or_else(|| (!body.error.is_empty()).then(|| body.error.clone()));
    GraphError::new(kind, Origin::SignIn, message)
        .with_code(code)
        .with_correlation_id(sign_in_correlation(body))
        .with_status(status)
}

fn classify_aadsts(code: u64) -> Option<ErrorKind> {
    Some(match code {
        90002 => ErrorKind::TenantNotFound,
        900023 => ErrorKind::TenantMalformed,
        700016 | 700011 => ErrorKind::AppNotFound,
        7000215 | 70002 | 7000218 => ErrorKind::InvalidSecret,
        7000222 => ErrorKind::SecretExpired,
        7000112 | 70001 => ErrorKind::AppDisabled,
        53003 | 530032 | 530035 | 50131 => ErrorKind::ConditionalAccess,
        90038 | 900382 | 900432 | 500011 | 70011 | 1000104 => ErrorKind::WrongCloud,
        65001 | 90094 | 650056 | 650057 => ErrorKind::PermissionDenied,
        90055 | 50196 => ErrorKind::Throttled,
        50033 | 90006 | 90024 | 90033 | 90090 | 90091 | 50000 => ErrorKind::ServiceUnavailable,
        _ => return None,
    })
}

fn classify_oauth_error(error: &str) -> ErrorKind {
    match error {
        "temporarily_unavailable" => ErrorKind::ServiceUnavailable,
        "invalid_tenant" => ErrorKind::TenantNotFound,
        _ => ErrorKind::SignInFailed,
    }
}

fn sign_in_message(
    kind: ErrorKind,
    code: Option<u64>,
    body: &TokenErrorBody,
    ctx: &Context<'_>,
) -> String {
    let tenant = ctx.tenant;
    let client = ctx.client_id;
    let cloud = ctx.cloud();
    match kind {
        ErrorKind::TenantNotFound => format!(
            "Sign-in failed: tenant '{tenant}' was not found in {cloud}. Check the Tenant Id \
             (the Directory (tenant) ID on the app registration's Overview page), and that this \
             client's cloud is the tenant's cloud: a US Government or China tenant is not found \
             in the global cloud."
        ),
        ErrorKind::TenantMalformed => format!(
            "Sign-in failed: the Tenant Id '{tenant}' is neither a directory (tenant) ID nor a \
             domain name. Copy the Directory (tenant) ID (a GUID) from the app registration's \
             Overview page."
        ),
        ErrorKind::AppNotFound => format!(
            "Sign-in failed: no application with Client Id '{client}' exists in tenant \
             '{tenant}'. Check the Client Id (the Application (client) ID on the app \
             registration's Overview page, not the Object ID), and that the app is registered \
             in this tenant and not in another one."
        ),
        ErrorKind::InvalidSecret if code == Some(7000218) => format!(
            "Sign-in failed: Entra received no client secret for application '{client}'. Enter \
             the secret's Value."
        ),
        ErrorKind::InvalidSecret => format!(
            "Sign-in failed: the client secret is not valid for application '{client}'. This is \
             usually the secret's ID pasted instead of its Value: in the app registration, under \
             Certificates & secrets, the Value is shown only right after the secret is created. \
             Create a new client secret and copy its Value."
        ),
        ErrorKind::SecretExpired => format!(
            "Sign-in failed: the client secret of application '{client}' has expired. Create a \
             new one under Certificates & secrets in the app registration and save its Value in \
             this client."
        ),
        ErrorKind::AppDisabled => format!(
            "Sign-in failed: application '{client}' is disabled in tenant '{tenant}'. An admin \
             can enable it under Enterprise applications > the app > Properties (\"Enabled for \
             users to sign in?\")."
        ),
        ErrorKind::ConditionalAccess => format!(
            "Sign-in was blocked by a Conditional Access or security policy of tenant \
             '{tenant}'. Ask an admin to look up this sign-in (by its correlation id) in the \
             service principal sign-in logs and adjust the policy that applies to application \
             '{client}'."
        ),
        ErrorKind::WrongCloud => match code {
            Some(500011) | Some(70011) => format!(
                "Sign-in failed: {cloud} does not know the Microsoft Graph resource '{}' for \
                 tenant '{tenant}'. The Graph URL and the sign-in URL must belong to the same \
                 cloud; check the client's cloud setting.",
                ctx.graph_host
            ),
            _ => format!(
                "Sign-in failed: tenant '{tenant}' belongs to another national cloud than \
                 {cloud}. Choose the tenant's cloud (Global, US Government, US Government DoD \
                 or China) in this client's settings."
            ),
        },
        ErrorKind::PermissionDenied => format!(
            "Sign-in failed: application '{client}' lacks admin consent in tenant '{tenant}'. \
             In the app registration, under API permissions, add the Microsoft Graph \
             application permission User.Read.All and click \"Grant admin consent\"."
        ),
        ErrorKind::Throttled => format!(
            "The sign-in service is throttling requests for tenant '{tenant}'. Wait a few \
             minutes and try again."
        ),
        ErrorKind::ServiceUnavailable => format!(
            "The sign-in service ({cloud}) is temporarily unavailable. Try again in a few \
             minutes."
        ),
        _ => {
            let detail = first_line(body, ctx);
            if detail.is_empty() {
                format!("Sign-in failed: Entra answered '{}'.", body.error)
            } else {
                format!("Sign-in failed: {detail}")
            }
        }
    }
}

/// What a Graph call was for, for the error messages.
pub(crate) struct Call<'a> {
    /// e.g. "read users"
    pub what: &'a str,
    /// The application permission this call needs, e.g. "User.Read.All".
    pub permission: &'a str,
    /// Is this a delta request (so 410 / syncStateNotFound mean "delta link expired")?
    pub delta: bool,
}

/// Map a Graph error answer. `request_id` is the response's `request-id` header, used
/// when the body has none.
pub(crate) fn graph_error(
    status: u16,
    body: &[u8],
    request_id: Option<String>,
    call: &Call<'_>,
    ctx: &Context<'_>,
) -> GraphError {
    let parsed: Option<GraphErrorBody> = serde_json::from_slice(body).ok();
    let (code, message, inner_request_id) = match &parsed {
        Some(b) => (
            b.error.code.clone(),
            redact(&b.error.message, &ctx.credentials()),
            b.error
                .inner_error
                .as_ref()
                .and_then(|i| i.request_id.clone()),
        ),
        None => (String::new(), String::new(), None),
    };
    let correlation = inner_request_id.or(request_id);
    let kind = classify_graph(status, &code, &message, call);
    let text = graph_message(kind, status, &code, &message, body, call, ctx);
    GraphError::new(kind, Origin::Graph, text)
        .with_code((!code.is_empty()).then_some(code))
        .with_correlation_id(correlation)
        .with_status(status)
}

pub(crate) fn is_invalid_audience(message: &str) -> bool {
    message.to_ascii_lowercase().contains("invalid audience")
}

fn classify_graph(status: u16, code: &str, message: &str, call: &Call<'_>) -> ErrorKind {
    let lc = code.to_ascii_lowercase();
    match lc.as_str() {
        "authorization_requestdenied" | "accessdenied" | "forbidden" => {
            return ErrorKind::PermissionDenied;
        }
        "invalidauthenticationtoken" | "unauthenticated" => {
            return if is_invalid_audience(message) {
                ErrorKind::WrongCloud
            } else {
                ErrorKind::Unauthorized
            };
        }
        "syncstatenotfound"
        | "resyncrequired"
        | "resyncapplydifferences"
        | "resyncuploaddifferences" => return ErrorKind::DeltaExpired,
        "activitylimitreached" | "toomanyrequests" | "throttledrequest" => {
            return ErrorKind::Throttled;
        }
        "servicenotavailable" | "serviceunavailable" | "gatewaytimeout" => {
            return ErrorKind::ServiceUnavailable;
        }
        _ => {}
    }
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::PermissionDenied,
        410 if call.delta => ErrorKind::DeltaExpired,
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::ServiceUnavailable,
        400..=499 if !code.is_empty() => ErrorKind::RequestRejected,
        _ => ErrorKind::UnexpectedResponse,
    }
}

fn graph_message(
    kind: ErrorKind,
    status: u16,
    code: &str,
    message: &str,
    body: &[u8],
    call: &Call<'_>,
    ctx: &Context<'_>,
) -> String {
    let what = call.what;
    let perm = call.permission;
    let client = ctx.client_id;
    let detail = if message.is_empty() {
        String::new()
    } else {
        format!(" Graph said: \"{}\"", excerpt(message.as_bytes(), 200))
    };
    match kind {
        ErrorKind::PermissionDenied => format!(
            "Microsoft Graph denied access to {what}: application '{client}' does not have the \
             permission {perm}. In the app registration, under API permissions, add the \
             Microsoft Graph permission {perm} of type Application (not Delegated), then click \
             \"Grant admin consent\"."
        ),
        ErrorKind::WrongCloud => format!(
            "Microsoft Graph at {} rejected the access token because it was issued for another \
             cloud (invalid audience). The sign-in URL and the Graph URL must belong to the same \
             cloud; check the client's cloud setting.",
            ctx.graph_host
        ),
        ErrorKind::Unauthorized => format!(
            "Microsoft Graph rejected the access token for {what}, also after signing in \
             again.{detail}"
        ),
        ErrorKind::DeltaExpired => format!(
            "The saved delta link is no longer valid (HTTP {status}); a full sync is needed.{detail}"
        ),
        ErrorKind::Throttled => format!(
            "Microsoft Graph is throttling this application ({what}). Wait a few minutes and \
             try again.{detail}"
        ),
        ErrorKind::ServiceUnavailable => format!(
            "Microsoft Graph is temporarily unavailable (HTTP {status}) while trying to {what}. \
             Try again in a few minutes.{detail}"
        ),
        ErrorKind::RequestRejected => {
            format!("Microsoft Graph refused to {what} (HTTP {status}, {code}).{detail}")
        }
        _ => format!(
            "Unexpected answer from Microsoft Graph at {} while trying to {what}: HTTP \
             {status}: {}",
            ctx.graph_host,
            excerpt(
                redact(&String::from_utf8_lossy(body), &ctx.credentials()).as_bytes(),
                200
            )
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Xy8Q~super-secret-value";

    fn ctx() -> Context<'static> {
        Context {
            tenant: "contoso.onmicrosoft.com",
            client_id: "11111111-2222-3333-4444-555555555555",
            authority_host: "login.microsoftonline.com",
            graph_host: "graph.microsoft.com",
            secret: SECRET,
        }
    }

    fn token_err(error: &str, code: u64, desc: &str) -> TokenErrorBody {
        TokenErrorBody {
            error: error.into(),
            error_description: Some(format!(
                "AADSTS{code}: {desc}\r\nTrace ID: 0000aaaa-11bb\r\nCorrelation ID: aaaa0000-bb11-2222\r\nTimestamp: 2024-01-01 00:00:00Z"
            )),
            error_codes: vec![code],
            timestamp: None,
            trace_id: Some("0000aaaa-11bb".into()),
            correlation_id: Some("aaaa0000-bb11-2222".into()),
            error_uri: None,
        }
    }

    /// The admin-facing table: every documented code lands on its kind and advice.
    #[test]
    fn aadsts_table() {
        let table: &[(&str, u64, ErrorKind, &str)] = &[
            (
                "invalid_request",
                90002,
                ErrorKind::TenantNotFound,
                "Tenant Id",
            ),
            (
                "invalid_request",
                900023,
                ErrorKind::TenantMalformed,
                "neither a directory",
            ),
            (
                "unauthorized_client",
                700016,
                ErrorKind::AppNotFound,
                "Client Id",
            ),
            (
                "invalid_client",
                7000215,
                ErrorKind::InvalidSecret,
                "secret's ID pasted instead of its Value",
            ),
            (
                "invalid_client",
                7000222,
                ErrorKind::SecretExpired,
                "Certificates & secrets",
            ),
            (
                "unauthorized_client",
                7000112,
                ErrorKind::AppDisabled,
                "disabled",
            ),
            (
                "invalid_grant",
                53003,
                ErrorKind::ConditionalAccess,
                "Conditional Access",
            ),
            (
                "invalid_grant",
                530032,
                ErrorKind::ConditionalAccess,
                "Conditional Access",
            ),
            (
                "invalid_request",
                90038,
                ErrorKind::WrongCloud,
                "national cloud",
            ),
            (
                "invalid_request",
                900382,
                ErrorKind::WrongCloud,
                "national cloud",
            ),
            (
                "invalid_resource",
                500011,
                ErrorKind::WrongCloud,
                "same cloud",
            ),
            ("invalid_scope", 70011, ErrorKind::WrongCloud, "same cloud"),
            (
                "temporarily_unavailable",
                50033,
                ErrorKind::ServiceUnavailable,
                "temporarily",
            ),
            (
                "invalid_request",
                12345,
                ErrorKind::SignInFailed,
                "Something odd",
            ),
        ];
        for (error, code, kind, phrase) in table {
            let e = sign_in_error(
                400,
                &token_err(error, *code, "Something odd happened."),
                &ctx(),
            );
            assert_eq!(e.kind(), *kind, "AADSTS{code}");
            assert_eq!(e.code(), Some(format!("AADSTS{code}").as_str()));
            assert_eq!(e.correlation_id(), Some("aaaa0000-bb11-2222"));
            let text = e.to_string();
            assert!(text.contains(phrase), "AADSTS{code}: {text}");
            assert!(text.contains(&format!("AADSTS{code}")), "{text}");
            assert!(text.contains("aaaa0000-bb11-2222"), "{text}");
        }
    }

    #[test]
    fn codes_from_description_when_list_is_missing() {
        let mut b = token_err("invalid_client", 7000215, "Invalid client secret provided.");
        b.error_codes.clear();
        b.correlation_id = None;
        let e = sign_in_error(401, &b, &ctx());
        assert_eq!(e.kind(), ErrorKind::InvalidSecret);
        assert_eq!(e.correlation_id(), Some("aaaa0000-bb11-2222"));
    }

    #[test]
    fn unknown_code_keeps_description_without_secret() {
        let b = token_err(
            "invalid_request",
            99999,
            &format!("weird thing {SECRET} here"),
        );
        let e = sign_in_error(400, &b, &ctx());
        assert_eq!(e.kind(), ErrorKind::SignInFailed);
        let text = e.to_string();
        assert!(text.contains("weird thing **** here"), "{text}");
        assert!(!text.contains(SECRET));
        assert!(!format!("{e:?}").contains(SECRET));
    }

    fn graph_body(code: &str, message: &str) -> Vec<u8> {
        format!(
            r#"{{"error":{{"code":"{code}","message":"{message}","innerError":{{"date":"2024-01-01T00:00:00","request-id":"req-1","client-request-id":"c-1"}}}}}}"#
        )
        .into_bytes()
    }

    const USERS: Call<'static> = Call {
        what: "read users",
        permission: "User.Read.All",
        delta: true,
    };

    #[test]
    fn graph_403_explains_permission_and_consent() {
        let e = graph_error(
            403,
            &graph_body(
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ),
            None,
            &USERS,
            &ctx(),
        );
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert_eq!(e.code(), Some("Authorization_RequestDenied"));
        assert_eq!(e.correlation_id(), Some("req-1"));
        let t = e.to_string();
        for phrase in [
            "User.Read.All",
            "Application (not Delegated)",
            "Grant admin consent",
            "req-1",
        ] {
            assert!(t.contains(phrase), "{t}");
        }
    }

    #[test]
    fn graph_401_invalid_audience_is_wrong_cloud() {
        let e = graph_error(
            401,
            &graph_body(
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            ),
            None,
            &USERS,
            &ctx(),
        );
        assert_eq!(e.kind(), ErrorKind::WrongCloud);
        let e = graph_error(
            401,
            &graph_body(
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            ),
            None,
            &USERS,
            &ctx(),
        );
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
    }

    #[test]
    fn delta_expired_by_code_or_410() {
        let e = graph_error(
            400,
            &graph_body(
                "syncStateNotFound",
                "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
            ),
            None,
            &USERS,
            &ctx(),
        );
        assert_eq!(e.kind(), ErrorKind::DeltaExpired);
        let e = graph_error(410, b"", Some("hdr-req".into()), &USERS, &ctx());
        assert_eq!(e.kind(), ErrorKind::DeltaExpired);
        assert_eq!(e.correlation_id(), Some("hdr-req"));
        let e = graph_error(
            400,
            &graph_body("resyncRequired", "x"),
            None,
            &USERS,
            &ctx(),
        );
        assert_eq!(e.kind(), ErrorKind::DeltaExpired);
    }

    #[test]
    fn graph_fallbacks_by_status() {
        let e = graph_error(503, b"<html>busy</html>", None, &USERS, &ctx());
        assert_eq!(e.kind(), ErrorKind::ServiceUnavailable);
        let e = graph_error(
            400,
            &graph_body("Request_UnsupportedQuery", "no"),
            None,
            &USERS,
            &ctx(),
        );
        assert_eq!(e.kind(), ErrorKind::RequestRejected);
        let e = graph_error(404, b"<html>not here</html>", None, &USERS, &ctx());
        assert_eq!(e.kind(), ErrorKind::UnexpectedResponse);
        assert!(e.to_string().contains("not here"));
    }

    #[test]
    fn graph_message_never_echoes_secret() {
        let body = format!("oops {SECRET}");
        let e = graph_error(418, body.as_bytes(), None, &USERS, &ctx());
        assert!(!e.to_string().contains(SECRET));
    }
}
