//! Serde types of the JSON that Entra's token endpoint and Microsoft Graph send, as the
//! Microsoft documentation shows them. Shared with the demo tenant (`src/emulator/`),
//! which serialises the same shapes.
//!
//! User entries of a `/users` or `/users/delta` page deserialise straight into typed
//! structs; a property's absence, `null` and value stay distinguishable
//! (see [`model::Field`]).

use serde::{Deserialize, Deserializer, Serialize};

use crate::model::{FetchedUser, FetchedUserFields, Field, ManagerChange, RemovedReason};

// ---------------------------------------------------------------------------------------
// Token endpoint (`POST {authority}/{tenant}/oauth2/v2.0/token`)
// ---------------------------------------------------------------------------------------

/// A successful client-credentials answer. Deliberately no `Debug`: it holds a token.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    pub token_type: String,
    /// Seconds. The v2.0 endpoint sends a number; v1.0 sent a string: both accepted.
    #[serde(deserialize_with = "number_or_string")]
    pub expires_in: u64,
    pub access_token: String,
}

/// The error body of the token endpoint (also of the OpenID configuration document).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TokenErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_codes: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Graph errors: {"error":{"code","message","innerError":{"request-id","client-request-id","date"}}}
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GraphErrorBody {
    pub error: GraphErrorDetail,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GraphErrorDetail {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(
        rename = "innerError",
        alias = "innererror",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub inner_error: Option<GraphInnerError>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GraphInnerError {
    /// A more specific code, when the service nests one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(
        rename = "request-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub request_id: Option<String>,
    #[serde(
        rename = "client-request-id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

// ---------------------------------------------------------------------------------------
// OpenID configuration and organization
// ---------------------------------------------------------------------------------------

/// `GET {authority}/{tenant}/v2.0/.well-known/openid-configuration` (the fields we use).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenIdConfiguration {
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_region_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_instance_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgraph_host: Option<String>,
}

/// One entry of `GET /v1.0/organization`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationWire {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub verified_domains: Vec<VerifiedDomainWire>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomainWire {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub is_initial: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrganizationCollection {
    #[serde(default)]
    pub value: Vec<OrganizationWire>,
}

// ---------------------------------------------------------------------------------------
// User pages (`/users`, `/users/delta`)
// ---------------------------------------------------------------------------------------

/// One page of `/users/delta` or `/users`.
#[derive(Deserialize)]
pub(crate) struct UserPageWire {
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
    #[serde(default)]
    pub value: Vec<UserWire>,
}

/// `@removed` on a user or a relationship entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RemovedWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One entry of `manager@delta`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManagerRefWire {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(rename = "@removed", default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<RemovedWire>,
}

/// A user entry as sent. Every synced property is a tri-state [`Field`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserWire {
    pub id: String,
    #[serde(rename = "@removed", default)]
    pub removed: Option<RemovedWire>,
    /// `None`: not mentioned; `Some(None)`: `null`; `Some(Some(list))`: the entries.
    #[serde(rename = "manager@delta", default, deserialize_with = "some_option")]
    pub manager_delta: Option<Option<Vec<ManagerRefWire>>>,
    #[serde(default, deserialize_with = "tri")]
    pub display_name: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub given_name: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub surname: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub user_principal_name: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub mail: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub job_title: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub department: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub office_location: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub company_name: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub employee_id: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub mobile_phone: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub business_phones: Field<Vec<String>>,
    #[serde(default, deserialize_with = "tri")]
    pub city: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub country: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub user_type: Field<String>,
    #[serde(default, deserialize_with = "tri")]
    pub account_enabled: Field<bool>,
}

impl UserWire {
    /// Into the domain type. `@removed` wins over any properties sent alongside.
    pub(crate) fn into_fetched(self) -> FetchedUser {
        if let Some(removed) = self.removed {
            return FetchedUser::Removed {
                id: self.id,
                reason: removed_reason(removed.reason.as_deref()),
            };
        }
        let manager = match self.manager_delta {
            None => ManagerChange::Unchanged,
            Some(entries) => manager_change(entries.unwrap_or_default()),
        };
        FetchedUser::Present {
            id: self.id,
            fields: Box::new(FetchedUserFields {
                display_name: self.display_name,
                given_name: self.given_name,
                surname: self.surname,
                user_principal_name: self.user_principal_name,
                mail: self.mail,
                job_title: self.job_title,
                department: self.department,
                office_location: self.office_location,
                company_name: self.company_name,
                employee_id: self.employee_id,
                mobile_phone: self.mobile_phone,
                business_phones: self.business_phones,
                city: self.city,
                country: self.country,
                user_type: self.user_type,
                account_enabled: self.account_enabled,
            }),
            manager,
        }
    }
}

/// `changed` = soft delete (restorable), `deleted` = permanent. An unknown or missing
/// reason is treated as the restorable kind, the conservative reading.
pub(crate) fn removed_reason(reason: Option<&str>) -> RemovedReason {
    match reason {
        Some(r) if r.eq_ignore_ascii_case("deleted") => RemovedReason::Deleted,
        _ => RemovedReason::Changed,
    }
}

/// The last live entry of `manager@delta` is the manager; only removed entries, an
/// empty array or `null` mean the manager was removed.
pub(crate) fn manager_change(entries: Vec<ManagerRefWire>) -> ManagerChange {
    entries
        .into_iter()
        .rev()
        .find_map(|e| match (e.removed, e.id) {
            (None, Some(id)) if !id.is_empty() => Some(ManagerChange::Set(id)),
            _ => None,
        })
        .unwrap_or(ManagerChange::Removed)
}

/// Absent → `Field::Absent` (via `#[serde(default)]`), `null` → `Field::Null`,
/// a value → `Field::Value`.
fn tri<'de, D, T>(deserializer: D) -> Result<Field<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(match Option::<T>::deserialize(deserializer)? {
        None => Field::Null,
        Some(v) => Field::Value(v),
    })
}

/// Keeps "present but null" apart from "absent" for an `Option<Option<T>>`.
fn some_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn number_or_string<'de, D>(deserializer: D) -> Result<u64, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(u64),
        Float(f64),
        Str(String),
    }
    match NumOrStr::deserialize(deserializer)? {
        NumOrStr::Num(n) => Ok(n),
        NumOrStr::Float(f) if f.is_finite() && f >= 0.0 => Ok(f as u64),
        NumOrStr::Float(_) => Err(serde::de::Error::custom("expires_in out of range")),
        NumOrStr::Str(s) => s
            .trim()
            .parse::<u64>()
            .map_err(|_| serde::de::Error::custom("expires_in is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> UserPageWire {
        serde_json::from_str(json).unwrap()
    }

    /// The documented initial response of "Get incremental changes for users".
    #[test]
    fn parses_documented_delta_page() {
        let p = page(
            r#"{
  "@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users(displayName,givenName,surname)",
  "@odata.nextLink":"https://graph.microsoft.com/v1.0/users/delta?$skiptoken=oEBwdSP6uehIAxQOWq_3Ksh_TLol6KIm3stvdc6hGhZRi1hQ7Spe__dpvm3U4zReE4CYXC2zOtaKdi7KHlUtC2CbRiBIUwOxPKLa",
  "value": [
    {"displayName":"Cameron White","givenName":"Cameron","surname":"White","id":"ffff7b1a-13b6-477b-8c0c-380905cd99f7"},
    {"id": "86462606-fde0-4fc4-9e0c-a20eb73e54c6", "@removed": {"reason": "deleted"}},
    {"displayName": "Conf Room Adams", "id": "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"}
  ]
}"#,
        );
        assert!(p.next_link.as_deref().unwrap().contains("$skiptoken="));
        assert!(p.delta_link.is_none());
        let users: Vec<FetchedUser> = p.value.into_iter().map(UserWire::into_fetched).collect();
        match &users[0] {
            FetchedUser::Present {
                id,
                fields,
                manager,
            } => {
                assert_eq!(id, "ffff7b1a-13b6-477b-8c0c-380905cd99f7");
                assert_eq!(fields.display_name, Field::Value("Cameron White".into()));
                assert_eq!(fields.surname, Field::Value("White".into()));
                assert_eq!(fields.mail, Field::Absent);
                assert_eq!(*manager, ManagerChange::Unchanged);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            users[1],
            FetchedUser::Removed {
                id: "86462606-fde0-4fc4-9e0c-a20eb73e54c6".into(),
                reason: RemovedReason::Deleted
            }
        );
        match &users[2] {
            FetchedUser::Present { fields, .. } => {
                assert_eq!(fields.given_name, Field::Absent)
            }
            other => panic!("{other:?}"),
        }
    }

    /// The documented `Prefer: return=minimal` example: `jobTitle: null` is "now empty".
    #[test]
    fn null_is_not_absent() {
        let p = page(
            r#"{"@odata.deltaLink":"https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x",
                "value":[{"id":"u1","displayName":"displayName-value","jobTitle":null,
                          "businessPhones":[],"accountEnabled":false}]}"#,
        );
        assert_eq!(
            p.delta_link.as_deref(),
            Some("https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x")
        );
        let FetchedUser::Present { fields, .. } =
            p.value.into_iter().next().unwrap().into_fetched()
        else {
            panic!()
        };
        assert_eq!(fields.job_title, Field::Null);
        assert_eq!(fields.mobile_phone, Field::Absent);
        assert_eq!(fields.business_phones, Field::Value(vec![]));
        assert_eq!(fields.account_enabled, Field::Value(false));
    }

    #[test]
    fn soft_delete_and_unknown_reason() {
        let p = page(
            r#"{"value":[{"id":"a","@removed":{"reason":"changed"}},
                         {"id":"b","@removed":{}},
                         {"id":"c","@removed":{"reason":"something-new"}}]}"#,
        );
        let users: Vec<_> = p.value.into_iter().map(UserWire::into_fetched).collect();
        for u in &users {
            assert!(matches!(
                u,
                FetchedUser::Removed {
                    reason: RemovedReason::Changed,
                    ..
                }
            ));
        }
    }

    #[test]
    fn manager_delta_forms() {
        let p = page(
            r##"{"value":[
              {"id":"set","manager@delta":[{"@odata.type":"#microsoft.graph.user","id":"m1"}]},
              {"id":"removed","manager@delta":[{"@odata.type":"#microsoft.graph.user","id":"m1","@removed":{"reason":"deleted"}}]},
              {"id":"empty","manager@delta":[]},
              {"id":"null","manager@delta":null},
              {"id":"swap","manager@delta":[{"id":"old","@removed":{"reason":"deleted"}},{"id":"new"}]},
              {"id":"none"}
            ]}"##,
        );
        let got: Vec<(String, ManagerChange)> = p
            .value
            .into_iter()
            .map(|u| match u.into_fetched() {
                FetchedUser::Present { id, manager, .. } => (id, manager),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got[0].1, ManagerChange::Set("m1".into()));
        assert_eq!(got[1].1, ManagerChange::Removed);
        assert_eq!(got[2].1, ManagerChange::Removed);
        assert_eq!(got[3].1, ManagerChange::Removed);
        assert_eq!(got[4].1, ManagerChange::Set("new".into()));
        assert_eq!(got[5].1, ManagerChange::Unchanged);
    }

    #[test]
    fn a_user_without_id_is_an_error() {
        assert!(
            serde_json::from_str::<UserPageWire>(r#"{"value":[{"displayName":"x"}]}"#).is_err()
        );
    }

    #[test]
    fn wrong_type_is_an_error_not_a_panic() {
        assert!(
            serde_json::from_str::<UserPageWire>(
                r#"{"value":[{"id":"x","accountEnabled":"yes"}]}"#
            )
            .is_err()
        );
    }

    /// The documented token error example.
    #[test]
    fn parses_documented_token_error() {
        let b: TokenErrorBody = serde_json::from_str(
            r#"{
  "error": "invalid_scope",
  "error_description": "AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope https://foo.microsoft.com/.default is not valid.\r\nTrace ID: 255d1aef-8c98-452f-ac51-23d051240864\r\nCorrelation ID: fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7\r\nTimestamp: 2016-01-09 02:02:12Z",
  "error_codes": [70011],
  "timestamp": "YYYY-MM-DD HH:MM:SSZ",
  "trace_id": "255d1aef-8c98-452f-ac51-23d051240864",
  "correlation_id": "fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7"
}"#,
        )
        .unwrap();
        assert_eq!(b.error, "invalid_scope");
        assert_eq!(b.error_codes, vec![70011]);
        assert_eq!(
            b.correlation_id.as_deref(),
            Some("fb3d2015-bc17-4bb9-bb85-30c5cf1aaaa7")
        );
    }

    /// The documented Graph error shape, with both spellings of `innerError`.
    #[test]
    fn parses_documented_graph_error() {
        let b: GraphErrorBody = serde_json::from_str(
            r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.",
                "innerError":{"date":"2024-01-01T00:00:00","request-id":"r-1","client-request-id":"c-1"}}}"#,
        )
        .unwrap();
        assert_eq!(b.error.code, "Authorization_RequestDenied");
        let inner = b.error.inner_error.unwrap();
        assert_eq!(inner.request_id.as_deref(), Some("r-1"));
        assert_eq!(inner.client_request_id.as_deref(), Some("c-1"));
        let b: GraphErrorBody = serde_json::from_str(
            r#"{"error":{"code":"x","message":"y","innererror":{"request-id":"r-2"}}}"#,
        )
        .unwrap();
        assert_eq!(
            b.error.inner_error.unwrap().request_id.as_deref(),
            Some("r-2")
        );
    }

    #[test]
    fn token_response_number_or_string() {
        let t: TokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, 3599);
        let t: TokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599","access_token":"eyJ0"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, 3599);
    }

    #[test]
    fn parses_openid_configuration() {
        let c: OpenIdConfiguration = serde_json::from_str(
            r#"{"token_endpoint":"https://login.microsoftonline.com/t/oauth2/v2.0/token",
                "issuer":"https://login.microsoftonline.com/t/v2.0",
                "jwks_uri":"https://login.microsoftonline.com/t/discovery/v2.0/keys",
                "cloud_instance_name":"microsoftonline.com","msgraph_host":"graph.microsoft.com",
                "response_types_supported":["code"]}"#,
        )
        .unwrap();
        assert_eq!(c.issuer, "https://login.microsoftonline.com/t/v2.0");
        assert_eq!(c.msgraph_host.as_deref(), Some("graph.microsoft.com"));
    }
}
