//! "Validate": does this client work? Steps in order, each with a status and a message
//! an admin can act on. Required steps that fail stop the run; the tenant name is
//! optional (it needs `Organization.Read.All`, which sync does not).

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::graph::client::GraphClient;
use crate::graph::error::{ErrorKind, GraphError};

pub const STEP_SIGN_IN: &str = "Sign in (token)";
pub const STEP_READ_USERS: &str = "Read users (User.Read.All)";
pub const STEP_TENANT_NAME: &str = "Tenant name (optional, needs Organization.Read.All)";
pub const STEP_OPENID: &str = "OpenID configuration";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    Ok,
    Failed,
    /// An optional step that did not succeed: a warning, not a failure.
    Optional,
    /// Not run because an earlier required step failed (or the run was cancelled).
    NotRun,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationStep {
    pub name: String,
    pub status: StepStatus,
    pub message: String,
    pub code: Option<String>,
    pub correlation_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationReport {
    pub steps: Vec<ValidationStep>,
    pub ok: bool,
    pub tenant_name: Option<String>,
    /// The tenant's SSO issuer (Azure SSO clients).
    pub issuer: Option<String>,
    /// The kind of the first failure, for exit codes and hints.
    pub error_kind: Option<ErrorKind>,
}

impl ValidationReport {
    /// One line for a status bar or log.
    pub fn summary(&self) -> String {
        if let Some(failed) = self.steps.iter().find(|s| s.status == StepStatus::Failed) {
            let mut out = format!(
                "Validation failed at \"{}\": {}",
                failed.name, failed.message
            );
            if let Some(code) = &failed.code {
                out.push_str(&format!(" (code {code})"));
            }
            return out;
        }
        if !self.ok {
            return "Validation did not complete.".to_string();
        }
        let mut out = String::from("Validation passed: signed in and can read users");
        if let Some(name) = &self.tenant_name {
            out.push_str(&format!(" in tenant \"{name}\""));
        }
        if self.issuer.is_some() {
            out.push_str("; OpenID configuration found");
        }
        let warnings = self
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Optional)
            .count();
        match warnings {
            0 => out.push('.'),
            1 => out.push_str(" (1 optional step skipped)."),
            n => out.push_str(&format!(" ({n} optional steps skipped).")),
        }
        out
    }
}

fn step(name: &str, status: StepStatus, message: impl Into<String>) -> ValidationStep {
    ValidationStep {
        name: name.to_string(),
        status,
        message: message.into(),
        code: None,
        correlation_id: None,
    }
}

fn from_error(name: &str, status: StepStatus, e: &GraphError) -> ValidationStep {
    ValidationStep {
        name: name.to_string(),
        status,
        message: e.message().to_string(),
        code: e.code().map(str::to_string),
        correlation_id: e.correlation_id().map(str::to_string),
    }
}

/// Validate a client: sign in, read one user, read the tenant name (optional), and for
/// Azure SSO clients fetch the OpenID configuration (its issuer must be present).
pub async fn validate(
    client: &GraphClient,
    azure_sso: bool,
    cancel: &CancellationToken,
) -> ValidationReport {
    let mut names = vec![STEP_SIGN_IN, STEP_READ_USERS, STEP_TENANT_NAME];
    if azure_sso {
        names.push(STEP_OPENID);
    }
    let mut report = ValidationReport {
        steps: Vec::with_capacity(names.len()),
        ok: true,
        tenant_name: None,
        issuer: None,
        error_kind: None,
    };
    for name in names {
        if !report.ok {
            report.steps.push(step(
                name,
                StepStatus::NotRun,
                "Not run: an earlier step failed.",
            ));
            continue;
        }
        let result = run_step(client, name, cancel, &mut report).await;
        match result {
            Ok(s) => report.steps.push(s),
            Err(e) => {
                report.ok = false;
                report.error_kind = Some(e.kind());
                report.steps.push(from_error(name, StepStatus::Failed, &e));
            }
        }
    }
    report
}

/// Run one step; `Err` is a failure of a required step.
async fn run_step(
    client: &GraphClient,
    name: &str,
    cancel: &CancellationToken,
    report: &mut ValidationReport,
) -> Result<ValidationStep, GraphError> {
    match name {
        STEP_SIGN_IN => {
            let info = client.sign_in(cancel).await?;
            Ok(step(
                name,
                StepStatus::Ok,
                format!(
                    "Signed in to tenant {} as application {}; the token is valid for {} min.",
                    client.tenant(),
                    client.client_id(),
                    info.valid_for.as_secs() / 60
                ),
            ))
        }
        STEP_READ_USERS => {
            let page = client.list_users_page(1, cancel).await?;
            Ok(step(
                name,
                StepStatus::Ok,
                if page.users.is_empty() {
                    "Microsoft Graph allows reading users (the directory has none).".to_string()
                } else {
                    "Microsoft Graph allows reading users.".to_string()
                },
            ))
        }
        STEP_TENANT_NAME => match client.organization(cancel).await {
            Ok(Some(org)) if !org.display_name.is_empty() => {
                let msg = format!("Tenant: {}", org.display_name);
                report.tenant_name = Some(org.display_name);
                Ok(step(name, StepStatus::Ok, msg))
            }
            Ok(_) => Ok(step(
                name,
                StepStatus::Optional,
                "Microsoft Graph returned no organization name.",
            )),
            Err(e) if e.kind() == ErrorKind::Cancelled => Err(e),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                let mut s = from_error(name, StepStatus::Optional, &e);
                s.message = "Skipped: the application may not read the organization. Sync works \
                             without it; to show the tenant's name, grant the Microsoft Graph \
                             application permission Organization.Read.All with admin consent."
                    .to_string();
                Ok(s)
            }
            Err(e) => Ok(from_error(name, StepStatus::Optional, &e)),
        },
        STEP_OPENID => {
            let cfg = client.openid_configuration(cancel).await?;
            if cfg.issuer.trim().is_empty() {
                let mut s = step(
                    name,
                    StepStatus::Failed,
                    "The tenant's OpenID configuration has no issuer, so SSO identities cannot \
                     be set.",
                );
                s.code = None;
                report.ok = false;
                report.error_kind = Some(ErrorKind::UnexpectedResponse);
                return Ok(s);
            }
            let msg = format!("Issuer: {}", cfg.issuer);
            report.issuer = Some(cfg.issuer);
            Ok(step(name, StepStatus::Ok, msg))
        }
        _ => Ok(step(name, StepStatus::NotRun, "Unknown step.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_camel_case() {
        let r = ValidationReport {
            steps: vec![ValidationStep {
                name: STEP_SIGN_IN.into(),
                status: StepStatus::NotRun,
                message: "m".into(),
                code: Some("AADSTS7000215".into()),
                correlation_id: Some("c".into()),
            }],
            ok: false,
            tenant_name: None,
            issuer: None,
            error_kind: Some(ErrorKind::InvalidSecret),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["steps"][0]["status"], "notRun");
        assert_eq!(v["steps"][0]["correlationId"], "c");
        assert_eq!(v["tenantName"], serde_json::Value::Null);
        assert_eq!(v["errorKind"], "invalidSecret");
    }

    #[test]
    fn summaries() {
        let ok = ValidationReport {
            steps: vec![
                step(STEP_SIGN_IN, StepStatus::Ok, "x"),
                step(STEP_TENANT_NAME, StepStatus::Optional, "y"),
            ],
            ok: true,
            tenant_name: None,
            issuer: None,
            error_kind: None,
        };
        assert_eq!(
            ok.summary(),
            "Validation passed: signed in and can read users (1 optional step skipped)."
        );
        let bad = ValidationReport {
            steps: vec![step(STEP_SIGN_IN, StepStatus::Failed, "Wrong secret.")],
            ok: false,
            tenant_name: None,
            issuer: None,
            error_kind: Some(ErrorKind::InvalidSecret),
        };
        assert_eq!(
            bad.summary(),
            "Validation failed at \"Sign in (token)\": Wrong secret."
        );
    }
}
