//! Exports for the GUI (and any caller): the directory and a job as CSV or JSON, and an
//! atomic file write. Users keep Graph's property names plus `managerId`; CSV cells that
//! a spreadsheet would run as a formula are prefixed with a quote. Never a secret here:
//! clients, secrets and tokens are not part of any export.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::model::{DirectoryUser, JobDetail, UserAttributes};

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Json => "JSON",
        }
    }
}

/// Graph property names of an exported user, in `$select` order, then `managerId`.
pub const USER_COLUMNS: &[&str] = &[
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
    "managerId",
];

/// Columns of a job's change list as CSV.
pub const CHANGE_COLUMNS: &[&str] = &[
    "jobId", "userId", "user", "change", "field", "before", "after",
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportUser<'a> {
    id: &'a str,
    #[serde(flatten)]
    attributes: &'a UserAttributes,
    manager_id: Option<&'a str>,
}

impl<'a> From<&'a DirectoryUser> for ExportUser<'a> {
    fn from(u: &'a DirectoryUser) -> Self {
        Self {
            id: &u.id,
            attributes: &u.attributes,
            manager_id: u.manager_id.as_deref(),
        }
    }
}

fn csv_cell(out: &mut String, value: &str) {
    let guarded;
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{value}");
        guarded.as_str()
    } else {
        value
    };
    if value.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn csv_row<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_cell(out, cell);
    }
    out.push_str("\r\n");
}

/// The users as CSV (header row first, CRLF line ends).
pub fn users_csv(users: &[DirectoryUser]) -> String {
    let mut out = String::with_capacity(64 + users.len() * 200);
    csv_row(&mut out, USER_COLUMNS.iter().copied());
    for u in users {
        let a = &u.attributes;
        let phones = a.business_phones.join("; ");
        let enabled = a.account_enabled.map(|b| b.to_string()).unwrap_or_default();
        let opt = |v: &'_ Option<String>| v.clone().unwrap_or_default();
        let cells = [
            u.id.clone(),
            opt(&a.display_name),
            opt(&a.given_name),
            opt(&a.surname),
            opt(&a.user_principal_name),
            opt(&a.mail),
            opt(&a.job_title),
            opt(&a.department),
            opt(&a.office_location),
            opt(&a.company_name),
            opt(&a.employee_id),
            opt(&a.mobile_phone),
            phones,
            opt(&a.city),
            opt(&a.country),
            opt(&a.user_type),
            enabled,
            u.manager_id.clone().unwrap_or_default(),
        ];
        csv_row(&mut out, cells.iter().map(String::as_str));
    }
    out
}

/// The users as one JSON document `{"users": [...]}`.
pub fn users_json(users: &[DirectoryUser]) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct Doc<'a> {
        users: Vec<ExportUser<'a>>,
    }
    let doc = Doc {
        users: users.iter().map(ExportUser::from).collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}

/// A job with its counts, log and change list as one JSON document.
pub fn job_json(job: &JobDetail) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(job)?;
    s.push('\n');
    Ok(s)
}

/// A job's change list as CSV: one row per changed field (a change without field
/// details, such as a deletion, is one row with empty field columns).
pub fn job_csv(job: &JobDetail) -> String {
    let mut out = String::new();
    csv_row(&mut out, CHANGE_COLUMNS.iter().copied());
    let id = job.summary.id.to_string();
    for change in &job.changes {
        if change.fields.is_empty() {
            csv_row(
                &mut out,
                [
                    id.as_str(),
                    &change.user_id,
                    &change.label,
                    &change.kind,
                    "",
                    "",
                    "",
                ],
            );
        }
        for f in &change.fields {
            csv_row(
                &mut out,
                [
                    id.as_str(),
                    &change.user_id,
                    &change.label,
                    &change.kind,
                    &f.field,
                    f.before.as_deref().unwrap_or(""),
                    f.after.as_deref().unwrap_or(""),
                ],
            );
        }
    }
    out
}

/// Writes next to the target and renames over it, so a failed export never leaves a
/// truncated file in place of a good one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = path.with_file_name(format!(".{file_name}.tmp-usersync"));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldChangeRecord, JobChange, JobCounts, JobId, JobSummary};

    fn user(id: &str, name: &str) -> DirectoryUser {
        DirectoryUser {
            id: id.into(),
            attributes: UserAttributes {
                display_name: Some(name.into()),
                business_phones: vec!["+1 555".into(), "+1 556".into()],
                account_enabled: Some(true),
                ..Default::default()
            },
            manager_id: Some("m1".into()),
            sso: None,
            deleted: false,
        }
    }

    #[test]
    fn csv_quotes_and_guards_formulas() {
        let csv = users_csv(&[user("1", "=SUM(A1)"), user("2", "Doe, \"Jo\"")]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], USER_COLUMNS.join(","));
        assert!(lines[1].starts_with("1,'=SUM(A1),"));
        assert!(lines[2].starts_with("2,\"Doe, \"\"Jo\"\"\","));
        assert!(lines[1].contains(",'+1 555; +1 556,"), "{}", lines[1]);
        assert!(lines[1].ends_with(",true,m1"));
    }

    #[test]
    fn json_keeps_graph_names() {
        let json = users_json(&[user("1", "Ann")]).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["users"][0]["displayName"], "Ann");
        assert_eq!(v["users"][0]["managerId"], "m1");
        assert!(v["users"][0].get("sso").is_none());
    }

    #[test]
    fn job_csv_has_a_row_per_field() {
        let now = chrono::Utc::now();
        let job = JobDetail {
            summary: JobSummary {
                id: JobId(7),
                client_key: None,
                client_name: "c".into(),
                trigger: crate::model::Trigger::Manual,
                schedule_name: None,
                kind: crate::model::JobKind::Full,
                status: crate::model::JobStatus::Succeeded,
                allow_deletes: false,
                started_at: now,
                finished_at: Some(now),
                pages: 1,
                users_read: 2,
                counts: JobCounts::default(),
                error_code: None,
                error_message: None,
            },
            log: vec![],
            changes: vec![
                JobChange {
                    user_id: "u1".into(),
                    label: "Ann".into(),
                    kind: "updated".into(),
                    fields: vec![
                        FieldChangeRecord {
                            field: "jobTitle".into(),
                            before: Some("A".into()),
                            after: Some("B".into()),
                        },
                        FieldChangeRecord {
                            field: "city".into(),
                            before: None,
                            after: Some("Oslo".into()),
                        },
                    ],
                },
                JobChange {
                    user_id: "u2".into(),
                    label: "Bob".into(),
                    kind: "deleted".into(),
                    fields: vec![],
                },
            ],
        };
        let csv = job_csv(&job);
        let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1], "7,u1,Ann,updated,jobTitle,A,B");
        assert_eq!(lines[2], "7,u1,Ann,updated,city,,Oslo");
        assert_eq!(lines[3], "7,u2,Bob,deleted,,,");
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
