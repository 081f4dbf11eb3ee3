//! Rules for the fields of a client, shared by the CLI and the GUI (which checks each
//! field as the admin types). Each rule names the field and says what is expected.

use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use crate::model::{Cloud, DeletionGuard, Secret};

/// The fields of the client form, as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldName {
    Name,
    TenantId,
    ClientId,
    Secret,
    Cloud,
    AuthorityUrl,
    GraphUrl,
    GuardMaxUsers,
    GuardMaxPercent,
}

impl FieldName {
    pub fn label(self) -> &'static str {
        match self {
            FieldName::Name => "Name",
            FieldName::TenantId => "Tenant Id",
            FieldName::ClientId => "Client Id",
            FieldName::Secret => "Secret",
            FieldName::Cloud => "Cloud",
            FieldName::AuthorityUrl => "Authority URL",
            FieldName::GraphUrl => "Graph URL",
            FieldName::GuardMaxUsers => "Deletion guard (users)",
            FieldName::GuardMaxPercent => "Deletion guard (percent)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: FieldName,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.label(), self.message)
    }
}

/// Every problem found in one form, so the admin can fix them all at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct InputErrors(pub Vec<FieldError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl InputErrors {
    pub fn for_field(&self, field: FieldName) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field)
    }
}

pub const NAME_MAX_CHARS: usize = 100;
pub const SECRET_MAX_CHARS: usize = 1024;

/// Name: trimmed, 1–100 characters, no control characters.
pub fn check_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("required; give the client a name such as \"Contoso production\"".into());
    }
    let chars = name.chars().count();
    if chars > NAME_MAX_CHARS {
        return Err(format!(
            "at most {NAME_MAX_CHARS} characters (this one has {chars})"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters such as tabs or line breaks".into());
    }
    Ok(name.to_string())
}

/// A GUID in the usual 8-4-4-4-12 form (braces or case do not matter). Returns it
/// lower-cased, without braces.
pub fn parse_guid(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(s);
    let groups: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    if groups.len() != 5 {
        return None;
    }
    for (g, len) in groups.iter().zip(lens) {
        if g.len() != len || !g.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
    }
    Some(s.to_ascii_lowercase())
}

/// Tenant Id: the Directory (tenant) ID GUID, or a verified domain of the tenant such
/// as `contoso.onmicrosoft.com`.
pub fn check_tenant_id(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(
            "required; paste the Directory (tenant) ID from the app registration's \
                    Overview page, or a domain such as contoso.onmicrosoft.com"
                .into(),
        );
    }
    if let Some(guid) = parse_guid(t) {
        return Ok(guid);
    }
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), "common" | "organizations" | "consumers") {
        return Err(format!(
            "\"{t}\" is a multi-tenant alias and cannot be used for app-only sign-in; use \
             the tenant's GUID or one of its domains"
        ));
    }
    if t.contains("://") || t.contains('/') {
        return Err("expected the tenant's GUID or domain, not a URL".into());
    }
    if looks_like_guid_attempt(t) {
        return Err(format!(
            "\"{t}\" is not a valid GUID; expected 8-4-4-4-12 hexadecimal digits such as \
             72f988bf-86f1-41af-91ab-2d7cd011db47"
        ));
    }
    match check_domain(&lower) {
        Ok(()) => Ok(lower),
        Err(why) => Err(format!(
            "expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47 or a domain such \
             as contoso.onmicrosoft.com; {why}"
        )),
    }
}

fn looks_like_guid_attempt(s: &str) -> bool {
    s.matches('-').count() >= 3 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

fn check_domain(d: &str) -> Result<(), String> {
    if d.len() > 253 {
        return Err("a domain has at most 253 characters".into());
    }
    let labels: Vec<&str> = d.split('.').collect();
    if labels.len() < 2 {
        return Err(format!("\"{d}\" has no dot"));
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("\"{d}\" has an empty or over-long part"));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "\"{d}\" may contain only letters, digits, hyphens and dots"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("a part of \"{d}\" starts or ends with a hyphen"));
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || !tld.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!(
            "\"{d}\" does not end in a top-level domain such as .com"
        ));
    }
    Ok(())
}

/// Client Id: the Application (client) ID GUID.
pub fn check_client_id(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("required; paste the Application (client) ID from the app \
                    registration's Overview page"
            .into());
    }
    parse_guid(t).ok_or_else(|| {
        format!(
            "\"{t}\" is not a GUID; expected the Application (client) ID, 8-4-4-4-12 \
             hexadecimal digits such as 1b4c5d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d"
        )
    })
}

/// Secret: the client secret *value*. Surrounding whitespace is not part of it.
pub fn check_secret(raw: &str) -> Result<Secret, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(
            "required; paste the secret's Value (shown once, when the secret is \
                    created under Certificates & secrets)"
                .into(),
        );
    }
    let chars = s.chars().count();
    if chars > SECRET_MAX_CHARS {
        return Err(format!(
            "at most {SECRET_MAX_CHARS} characters (this one has {chars})"
        ));
    }
    if s.chars().any(char::is_control) {
        return Err("must be a single line without control characters".into());
    }
    Ok(Secret::new(s))
}

/// A warning, not an error: Entra never generates secret values shaped like a GUID,
/// but every secret has a GUID "Secret ID" that is easy to copy by mistake.
pub fn secret_warning(secret: &Secret) -> Option<&'static str> {
    parse_guid(secret.expose()).map(|_| {
        "the secret looks like a Secret ID (a GUID); Entra expects the secret's Value, \
         which is shown only once when the secret is created"
    })
}

/// Plain http is allowed only to this machine (the demo tenant, a local proxy).
/// `example` is shown in messages, e.g. `https://login.example.com`.
pub fn check_endpoint_url(raw: &str, example: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(format!(
            "required for a custom cloud; for example {example}"
        ));
    }
    let url = url::Url::parse(t)
        .map_err(|e| format!("\"{t}\" is not a valid URL ({e}); expected for example {example}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("\"{t}\" has no host name"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(format!(
                "plain http is allowed only to this machine (localhost, 127.0.0.1, ::1); \
                 use https://{host}"
            ));
        }
        other => return Err(format!("the scheme must be https, not \"{other}\"")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not contain a query (?…) or fragment (#…)".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The cloud names the CLI accepts.
pub const CLOUD_SLUGS: &[&str] = &["global", "usgov", "usgov-dod", "china", "custom"];

/// Builds a `Cloud` from its name and, for `custom`, its two URLs.
pub fn check_cloud(
    slug: &str,
    authority_url: Option<&str>,
    graph_url: Option<&str>,
) -> Result<Cloud, Vec<FieldError>> {
    let err = |field, message: String| FieldError { field, message };
    let slug = slug.trim().to_ascii_lowercase();
    let fixed = match slug.as_str() {
        "global" => Some(Cloud::Global),
        "usgov" => Some(Cloud::UsGov),
        "usgov-dod" => Some(Cloud::UsGovDod),
        "china" => Some(Cloud::China),
        "custom" => None,
        other => {
            return Err(vec![err(
                FieldName::Cloud,
                format!(
                    "unknown cloud \"{other}\"; expected one of {}",
                    CLOUD_SLUGS.join(", ")
                ),
            )]);
        }
    };
    if let Some(cloud) = fixed {
        let mut errors = Vec::new();
        for (field, value) in [
            (FieldName::AuthorityUrl, authority_url),
            (FieldName::GraphUrl, graph_url),
        ] {
            if value.is_some_and(|v| !v.trim().is_empty()) {
                errors.push(err(
                    field,
                    format!(
                        "only used with the custom cloud; the {slug} cloud has fixed endpoints"
                    ),
                ));
            }
        }
        return if errors.is_empty() {
            Ok(cloud)
        } else {
            Err(errors)
        };
    }
    let mut errors = Vec::new();
    let a = check_endpoint_url(authority_url.unwrap_or(""), "https://login.example.com")
        .map_err(|m| errors.push(err(FieldName::AuthorityUrl, m)))
        .ok();
    let g = check_endpoint_url(graph_url.unwrap_or(""), "https://graph.example.com")
        .map_err(|m| errors.push(err(FieldName::GraphUrl, m)))
        .ok();
    match (a, g) {
        (Some(authority_url), Some(graph_url)) => Ok(Cloud::Custom {
            authority_url,
            graph_url,
        }),
        _ => Err(errors),
    }
}

pub const GUARD_MAX_USERS_LIMIT: u32 = 10_000_000;

pub fn check_guard(max_users: i64, max_percent: i64) -> Result<DeletionGuard, Vec<FieldError>> {
    let mut errors = Vec::new();
    if !(0..=i64::from(GUARD_MAX_USERS_LIMIT)).contains(&max_users) {
        errors.push(FieldError {
            field: FieldName::GuardMaxUsers,
            message: format!(
                "expected a whole number of users from 0 to {GUARD_MAX_USERS_LIMIT} (0 blocks \
                 every deletion), got {max_users}"
            ),
        });
    }
    if !(0..=100).contains(&max_percent) {
        errors.push(FieldError {
            field: FieldName::GuardMaxPercent,
            message: format!(
                "expected a percentage from 0 to 100 of the directory, got {max_percent}"
            ),
        });
    }
    if errors.is_empty() {
        Ok(DeletionGuard {
            max_users: max_users as u32,
            max_percent: max_percent as u8,
        })
    } else {
        Err(errors)
    }
}

/// A complete client form as typed. `secret: None` on edit keeps the stored secret.
#[derive(Clone, Debug, Default)]
pub struct ClientForm {
    pub name: String,
    pub tenant_id: String,
    pub client_id: String,
    pub secret: Option<String>,
    pub cloud: String,
    pub authority_url: Option<String>,
    pub graph_url: Option<String>,
    pub active: bool,
    pub azure_sso: bool,
    pub guard_max_users: i64,
    pub guard_max_percent: i64,
}

/// A form whose every field passed its rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidClient {
    pub name: String,
    pub tenant_id: String,
    pub client_id: String,
    pub secret: Option<Secret>,
    pub cloud: Cloud,
    pub active: bool,
    pub azure_sso: bool,
    pub guard: DeletionGuard,
}

impl ClientForm {
    /// Checks every field; `secret_required` is true when adding.
    pub fn check(&self, secret_required: bool) -> Result<ValidClient, InputErrors> {
        let mut errors = Vec::new();
        let mut field = |field: FieldName, r: Result<String, String>| match r {
            Ok(v) => Some(v),
            Err(message) => {
                errors.push(FieldError { field, message });
                None
            }
        };
        let name = field(FieldName::Name, check_name(&self.name));
        let tenant_id = field(FieldName::TenantId, check_tenant_id(&self.tenant_id));
        let client_id = field(FieldName::ClientId, check_client_id(&self.client_id));
        let secret = match self.secret.as_deref() {
            None if secret_required => {
                errors.push(FieldError {
                    field: FieldName::Secret,
                    message: check_secret("").err().unwrap_or_default(),
                });
                None
            }
            None => Some(None),
            Some(raw) => match check_secret(raw) {
                Ok(s) => Some(Some(s)),
                Err(message) => {
                    errors.push(FieldError {
                        field: FieldName::Secret,
                        message,
                    });
                    None
                }
            },
        };
        let cloud = check_cloud(
            &self.cloud,
            self.authority_url.as_deref(),
            self.graph_url.as_deref(),
        )
        .map_err(|e| errors.extend(e))
        .ok();
        let guard = check_guard(self.guard_max_users, self.guard_max_percent)
            .map_err(|e| errors.extend(e))
            .ok();
        match (name, tenant_id, client_id, secret, cloud, guard) {
            (
                Some(name),
                Some(tenant_id),
                Some(client_id),
                Some(secret),
                Some(cloud),
                Some(guard),
            ) if errors.is_empty() => Ok(ValidClient {
                name,
                tenant_id,
                client_id,
                secret,
                cloud,
                active: self.active,
                azure_sso: self.azure_sso,
                guard,
            }),
            _ => Err(InputErrors(errors)),
        }
    }
}
