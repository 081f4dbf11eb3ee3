//! Domain types shared by every layer. No I/O here.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Stable identity of a saved client. Survives renames; keys the keyring entry.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClientKey(pub Uuid);

impl ClientKey {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for ClientKey {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientKey({})", self.0)
    }
}

/// A client secret. Deliberately not `Serialize`, and `Debug` prints a mask, so it
/// cannot leak through logs, job records or JSON output by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The only way to read the value: call sites are easy to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// The Microsoft cloud a client lives in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Cloud {
    Global,
    UsGov,
    UsGovDod,
    China,
    #[serde(rename_all = "camelCase")]
    Custom {
        authority_url: String,
        graph_url: String,
    },
}

/// Where a client signs in and reads from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// e.g. `https://login.microsoftonline.com` (no trailing slash)
    pub authority_url: String,
    /// e.g. `https://graph.microsoft.com` (no trailing slash, no version)
    pub graph_url: String,
}

impl Cloud {
    pub fn endpoints(&self) -> Endpoints {
        let (a, g) = match self {
            Cloud::Global => (
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
            ),
            Cloud::UsGov => (
                "https://login.microsoftonline.us",
                "https://graph.microsoft.us",
            ),
            Cloud::UsGovDod => (
                "https://login.microsoftonline.us",
                "https://dod-graph.microsoft.us",
            ),
            Cloud::China => (
                "https://login.chinacloudapi.cn",
                "https://microsoftgraph.chinacloudapi.cn",
            ),
            Cloud::Custom {
                authority_url,
                graph_url,
            } => {
                return Endpoints {
                    authority_url: authority_url.trim_end_matches('/').to_string(),
                    graph_url: graph_url.trim_end_matches('/').to_string(),
                };
            }
        };
        Endpoints {
            authority_url: a.to_string(),
            graph_url: g.to_string(),
        }
    }

    /// The name used on the command line and in the database.
    pub fn slug(&self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgov-dod",
            Cloud::China => "china",
            Cloud::Custom { .. } => "custom",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Cloud::Global => "Global (Azure public cloud)",
            Cloud::UsGov => "US Government (GCC High, L4)",
            Cloud::UsGovDod => "US Government DoD (L5)",
            Cloud::China => "China (operated by 21Vianet)",
            Cloud::Custom { .. } => "Custom endpoints",
        }
    }
}

/// When a plan deletes or disables more users than this, it is not applied
/// without explicit consent. The smaller of the two limits wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionGuard {
    pub max_users: u32,
    pub max_percent: u8,
}

impl Default for DeletionGuard {
    fn default() -> Self {
        Self {
            max_users: 500,
            max_percent: 20,
        }
    }
}

impl DeletionGuard {
    /// The largest number of removals (deletes + disables) allowed without consent
    /// for a directory of `directory_size` active users.
    pub fn limit_for(&self, directory_size: usize) -> usize {
        let by_percent = directory_size * usize::from(self.max_percent) / 100;
        by_percent.min(self.max_users as usize)
    }
}

/// The outcome of the last validation, stored on the client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationRecord {
    pub ok: bool,
    pub at: chrono::DateTime<chrono::Utc>,
    pub summary: String,
}

/// A saved client (an Entra app registration). Holds no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub key: ClientKey,
    pub name: String,
    pub tenant_id: String,
    pub client_id: String,
    pub active: bool,
    pub azure_sso: bool,
    pub cloud: Cloud,
    pub guard: DeletionGuard,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub last_validation: Option<ValidationRecord>,
}

/// The SSO identity a synced user of an Azure SSO client carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoIdentity {
    pub issuer: String,
    pub subject: String,
    pub login: String,
}

/// The user attributes User Sync keeps, named as Graph names them. Every field
/// except `id` is optional because Entra allows them to be empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAttributes {
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub company_name: Option<String>,
    pub employee_id: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub user_type: Option<String>,
    pub account_enabled: Option<bool>,
}

/// Graph property names of the synced attributes, in `$select` order.
pub const SYNCED_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "userPrincipalName",
    "mail",
    "jobTitle",
    "department",
    "officeLocation",
    "companyName",
    "employeeId",
    "mobilePhone",
    "businessPhones",
    "city",
    "country",
    "userType",
    "accountEnabled",
];

/// One user as stored in the local directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    pub id: String,
    #[serde(flatten)]
    pub attributes: UserAttributes,
    pub manager_id: Option<String>,
    pub sso: Option<SsoIdentity>,
    /// Soft-deleted in Entra (in the recycle bin; restorable).
    pub deleted: bool,
}

/// A field that a delta page may or may not mention. Graph's delta returns "at least
/// the updated properties" for a changed user, so an absent field means "unchanged",
/// which is different from an explicit `null` ("now empty").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Field<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }
}

/// A user as one delta page reports it: only what was sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchedUserFields {
    pub display_name: Field<String>,
    pub given_name: Field<String>,
    pub surname: Field<String>,
    pub user_principal_name: Field<String>,
    pub mail: Field<String>,
    pub job_title: Field<String>,
    pub department: Field<String>,
    pub office_location: Field<String>,
    pub company_name: Field<String>,
    pub employee_id: Field<String>,
    pub mobile_phone: Field<String>,
    pub business_phones: Field<Vec<String>>,
    pub city: Field<String>,
    pub country: Field<String>,
    pub user_type: Field<String>,
    pub account_enabled: Field<bool>,
}

/// What `manager@delta` said about a user's manager.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ManagerChange {
    /// Not mentioned: keep what we have.
    #[default]
    Unchanged,
    /// Now reports to this object id.
    Set(String),
    /// The manager reference was removed.
    Removed,
}

/// Why a user left the delta result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RemovedReason {
    /// Soft delete: in the recycle bin, may be restored within 30 days.
    Changed,
    /// Permanently deleted.
    Deleted,
}

/// One entry of a delta page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchedUser {
    Present {
        id: String,
        fields: Box<FetchedUserFields>,
        manager: ManagerChange,
    },
    Removed {
        id: String,
        reason: RemovedReason,
    },
}

impl FetchedUser {
    pub fn id(&self) -> &str {
        match self {
            FetchedUser::Present { id, .. } | FetchedUser::Removed { id, .. } => id,
        }
    }
}

/// Identity of a job in the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub i64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What started a job.
    Trigger { Manual = "manual", Scheduled = "scheduled", Cli = "cli" }
);

text_enum!(
    /// What a job did: a fresh round, a deltaLink round, or a plan that was only recorded.
    JobKind { Full = "full", Incremental = "incremental", DryRun = "dryRun" }
);

text_enum!(
    /// Where a job ended (or `Running`).
    JobStatus {
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
        Interrupted = "interrupted",
        Blocked = "blocked",
        Skipped = "skipped",
    }
);

/// What a job changed (or, for a dry run or blocked job, would have changed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCounts {
    pub added: u64,
    pub updated: u64,
    pub disabled: u64,
    pub enabled: u64,
    pub deleted: u64,
    pub restored: u64,
    pub manager_changed: u64,
    pub unchanged: u64,
}

/// One job as the history lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSummary {
    pub id: JobId,
    pub client_key: Option<ClientKey>,
    pub client_name: String,
    pub trigger: Trigger,
    pub schedule_name: Option<String>,
    pub kind: JobKind,
    pub status: JobStatus,
    pub allow_deletes: bool,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub pages: u64,
    pub users_read: u64,
    pub counts: JobCounts,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl JobSummary {
    pub fn duration(&self) -> Option<chrono::Duration> {
        self.finished_at.map(|end| end - self.started_at)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobLogLine {
    pub at: chrono::DateTime<chrono::Utc>,
    pub level: String,
    pub message: String,
}

/// One field of a changed user, before → after, as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChangeRecord {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One user a job changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobChange {
    pub user_id: String,
    pub label: String,
    pub kind: String,
    pub fields: Vec<FieldChangeRecord>,
}

/// A job with everything it recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    #[serde(flatten)]
    pub summary: JobSummary,
    pub log: Vec<JobLogLine>,
    pub changes: Vec<JobChange>,
}
