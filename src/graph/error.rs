//! `GraphError`: what went wrong talking to Entra or Microsoft Graph, in words an admin
//! can act on. Errors are classified by the service's own codes (`AADSTS…` numbers from
//! the token endpoint, `error.code` from Graph), the HTTP status only as a fallback.
//!
//! No message ever contains the client secret or an access token: the texts that come
//! from the server are passed through [`redact`] before they are stored.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// What kind of failure this is; stable for callers (CLI exit codes, GUI hints, tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// Bad local settings: malformed URL, plain `http://` to a remote host, empty field.
    Config,
    /// AADSTS90002: no such tenant in this cloud.
    TenantNotFound,
    /// AADSTS900023: the Tenant Id is neither a GUID nor a domain name.
    TenantMalformed,
    /// AADSTS700016 / AADSTS700011: no application with this Client Id in the tenant.
    AppNotFound,
    /// AADSTS7000215: wrong secret (usually the secret ID instead of its value).
    InvalidSecret,
    /// AADSTS7000222: the secret has expired.
    SecretExpired,
    /// AADSTS7000112 / AADSTS70001: the application is disabled.
    AppDisabled,
    /// AADSTS53003 / AADSTS530032 / AADSTS530035: blocked by Conditional Access or a
    /// tenant security policy.
    ConditionalAccess,
    /// The tenant lives in another national cloud, or the Graph URL does not belong to
    /// the sign-in cloud (AADSTS90038, AADSTS900382, AADSTS900432, AADSTS500011,
    /// AADSTS70011, Graph 401 "Invalid audience").
    WrongCloud,
    /// Graph 403 (`Authorization_RequestDenied`): a permission or admin consent is missing.
    PermissionDenied,
    /// Graph 401 `InvalidAuthenticationToken` even with a fresh token.
    Unauthorized,
    /// Any other refusal from the token endpoint.
    SignInFailed,
    /// The delta link is no longer valid (410 Gone, `syncStateNotFound`,
    /// `resyncRequired`): drop it and run a full sync.
    DeltaExpired,
    /// Still throttled (429) after the allowed retries, or asked to wait too long.
    Throttled,
    /// 503 / 504 (or another 5xx) after the allowed retries.
    ServiceUnavailable,
    /// Could not connect, or the connection broke.
    Network,
    /// A request took longer than the configured timeout.
    Timeout,
    /// The caller cancelled.
    Cancelled,
    /// Graph refused the request for another reason (a 4xx with a code we do not map).
    RequestRejected,
    /// The answer was not what Entra or Graph send (not JSON, missing fields, ...).
    UnexpectedResponse,
}

impl ErrorKind {
    /// Worth trying again later without changing anything.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled
                | ErrorKind::ServiceUnavailable
                | ErrorKind::Network
                | ErrorKind::Timeout
        )
    }

    /// A problem with the client's saved settings (tenant, client id, secret, cloud,
    /// permissions) that an admin has to fix.
    pub fn is_configuration_problem(self) -> bool {
        matches!(
            self,
            ErrorKind::Config
                | ErrorKind::TenantNotFound
                | ErrorKind::TenantMalformed
                | ErrorKind::AppNotFound
                | ErrorKind::InvalidSecret
                | ErrorKind::SecretExpired
                | ErrorKind::AppDisabled
                | ErrorKind::ConditionalAccess
                | ErrorKind::WrongCloud
                | ErrorKind::PermissionDenied
        )
    }
}

/// Which service produced the error; decides how the id is labelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Local,
    SignIn,
    Graph,
}

/// An error from the Entra token endpoint or Microsoft Graph.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct GraphError {
    kind: ErrorKind,
    message: String,
    code: Option<String>,
    correlation_id: Option<String>,
    http_status: Option<u16>,
    retry_after: Option<Duration>,
    origin: Origin,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl GraphError {
    pub(crate) fn new(kind: ErrorKind, origin: Origin, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
            correlation_id: None,
            http_status: None,
            retry_after: None,
            origin,
            source: None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, Origin::Local, message)
    }

    pub(crate) fn cancelled() -> Self {
        Self::new(
            ErrorKind::Cancelled,
            Origin::Local,
            "Cancelled before Microsoft Graph answered.",
        )
    }

    pub(crate) fn unexpected(origin: Origin, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnexpectedResponse, origin, message)
    }

    pub(crate) fn with_code(mut self, code: Option<String>) -> Self {
        self.code = code.filter(|c| !c.is_empty());
        self
    }

    pub(crate) fn with_correlation_id(mut self, id: Option<String>) -> Self {
        self.correlation_id = id.filter(|c| !c.is_empty());
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.retry_after = wait;
        self
    }

    pub(crate) fn append(mut self, more: &str) -> Self {
        self.message.push_str(more);
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The service's code: `AADSTS7000215`, `Authorization_RequestDenied`, ...
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Entra's `correlation_id`, or Graph's `request-id`: what Microsoft support asks for.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// How long the service asked us to wait, when it said so.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// The advice alone, without code and correlation id.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn render(&self) -> String {
        let mut out = self.message.clone();
        let id_label = match self.origin {
            Origin::Graph => "request-id",
            Origin::SignIn | Origin::Local => "correlation id",
        };
        match (&self.code, &self.correlation_id) {
            (Some(code), Some(id)) => out.push_str(&format!(" (code {code}; {id_label} {id})")),
            (Some(code), None) => out.push_str(&format!(" (code {code})")),
            (None, Some(id)) => out.push_str(&format!(" ({id_label} {id})")),
            (None, None) => {}
        }
        out
    }
}

/// Replace every occurrence of the given credentials in `text` with `****`.
/// Values shorter than 4 characters are ignored (they would mangle ordinary words).
pub(crate) fn redact(text: &str, credentials: &[&str]) -> String {
    let mut out = text.to_string();
    for cred in credentials {
        if cred.len() >= 4 && out.contains(cred) {
            out = out.replace(cred, "****");
        }
    }
    out
}

/// The first `max` characters of a response body, on one line, for error messages.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = flat.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_string()
    } else {
        let cut: String = trimmed.chars().take(max).collect();
        format!("{cut}…")
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Local => "local",
            Origin::SignIn => "Microsoft Entra sign-in",
            Origin::Graph => "Microsoft Graph",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_keeps_code_and_correlation_id() {
        let e = GraphError::new(ErrorKind::InvalidSecret, Origin::SignIn, "Wrong secret.")
            .with_code(Some("AADSTS7000215".into()))
            .with_correlation_id(Some("abc-123".into()));
        assert_eq!(
            e.to_string(),
            "Wrong secret. (code AADSTS7000215; correlation id abc-123)"
        );
        let g = GraphError::new(ErrorKind::PermissionDenied, Origin::Graph, "Denied.")
            .with_code(Some("Authorization_RequestDenied".into()))
            .with_correlation_id(Some("r-1".into()));
        assert!(g.to_string().contains("request-id r-1"));
    }

    #[test]
    fn redact_hides_credentials() {
        assert_eq!(
            redact("echo s3cr3t-value here", &["s3cr3t-value"]),
            "echo **** here"
        );
        assert_eq!(redact("Trace ID", &["T"]), "Trace ID");
    }

    #[test]
    fn excerpt_is_short_and_single_line() {
        let e = excerpt(b"<html>\n<body>Not found</body>\n</html>", 20);
        assert!(!e.contains('\n'));
        assert!(e.chars().count() <= 21);
    }

    #[test]
    fn retryable_kinds() {
        assert!(ErrorKind::Throttled.is_retryable());
        assert!(ErrorKind::Network.is_retryable());
        assert!(!ErrorKind::InvalidSecret.is_retryable());
        assert!(!ErrorKind::DeltaExpired.is_retryable());
        assert!(!ErrorKind::Cancelled.is_retryable());
    }
}
