//! Plain reads: a page of `/users`, `/organization`, and the tenant's OpenID
//! configuration (for Azure SSO clients).

use reqwest::header::ACCEPT;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::graph::client::{GraphClient, retry_outcome};
use crate::graph::error::{ErrorKind, GraphError, Origin, excerpt};
use crate::graph::mapping::{self, Call};
use crate::graph::urls::loggable;
use crate::graph::wire::{
    OpenIdConfiguration, OrganizationCollection, TokenErrorBody, UserPageWire, UserWire,
};
use crate::model::{FetchedUser, SYNCED_PROPERTIES, SsoIdentity};

/// One page of `GET /v1.0/users`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsersPage {
    pub users: Vec<FetchedUser>,
    /// `@odata.nextLink`, when there are more pages.
    pub next: Option<String>,
}

/// The tenant, from `GET /v1.0/organization`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub display_name: String,
    /// The verified domain marked default, if any.
    pub default_domain: Option<String>,
}

const USERS_CALL: Call<'static> = Call {
    what: "read users",
    permission: "User.Read.All",
    delta: false,
};

const ORG_CALL: Call<'static> = Call {
    what: "read the tenant's name",
    permission: "Organization.Read.All",
    delta: false,
};

fn parse_users_page(body: &[u8]) -> Result<UsersPage, GraphError> {
    let wire: UserPageWire = serde_json::from_slice(body).map_err(|e| {
        GraphError::unexpected(
            Origin::Graph,
            format!(
                "Microsoft Graph sent a user list that could not be read ({e}). Start: \"{}\"",
                excerpt(body, 120)
            ),
        )
    })?;
    Ok(UsersPage {
        users: wire.value.into_iter().map(UserWire::into_fetched).collect(),
        next: wire.next_link.filter(|s| !s.is_empty()),
    })
}

impl GraphClient {
    /// The first page of `GET /v1.0/users?$top=N&$select=<SYNCED_PROPERTIES>`.
    pub async fn list_users_page(
        &self,
        top: u32,
        cancel: &CancellationToken,
    ) -> Result<UsersPage, GraphError> {
        let url = format!(
            "{}/v1.0/users?$top={}&$select={}",
            self.inner.graph_base,
            top.clamp(1, 999),
            SYNCED_PROPERTIES.join(",")
        );
        self.list_users_next(&url, cancel).await
    }

    /// A further page of the user list: the previous page's `next`, verbatim.
    pub async fn list_users_next(
        &self,
        url: &str,
        cancel: &CancellationToken,
    ) -> Result<UsersPage, GraphError> {
        let parsed = Url::parse(url)
            .map_err(|e| GraphError::config(format!("Not a valid URL: {url} ({e})")))?;
        let body = self.graph_get(&parsed, &USERS_CALL, None, cancel).await?;
        parse_users_page(&body)
    }

    /// The tenant's organization object (needs `Organization.Read.All`; a 403 comes back
    /// as `ErrorKind::PermissionDenied`). `None` if Graph lists none.
    pub async fn organization(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Option<Organization>, GraphError> {
        let url = Url::parse(&format!(
            "{}/v1.0/organization?$select=id,displayName,verifiedDomains",
            self.inner.graph_base
        ))
        .map_err(|e| GraphError::config(format!("Bad Graph URL: {e}")))?;
        let body = self.graph_get(&url, &ORG_CALL, None, cancel).await?;
        let list: OrganizationCollection = serde_json::from_slice(&body).map_err(|e| {
            GraphError::unexpected(
                Origin::Graph,
                format!("Microsoft Graph sent an organization list that could not be read ({e})."),
            )
        })?;
        Ok(list.value.into_iter().next().map(|o| Organization {
            default_domain: o
                .verified_domains
                .iter()
                .find(|d| d.is_default)
                .map(|d| d.name.clone()),
            id: o.id,
            display_name: o.display_name.unwrap_or_default(),
        }))
    }

    /// `GET {authority}/{tenant}/v2.0/.well-known/openid-configuration` (no token).
    pub async fn openid_configuration(
        &self,
        cancel: &CancellationToken,
    ) -> Result<OpenIdConfiguration, GraphError> {
        let inner = &self.inner;
        let what = format!("GET {}", loggable(&inner.openid_url));
        let make = || {
            inner
                .http
                .get(inner.openid_url.clone())
                .header(ACCEPT, "application/json")
        };
        let reply = self.send(&what, &make, cancel).await?;
        if reply.is_success() {
            return serde_json::from_slice(&reply.body).map_err(|e| {
                GraphError::unexpected(
                    Origin::SignIn,
                    format!(
                        "The OpenID configuration at {} could not be read ({e}). Start: \"{}\"",
                        inner.openid_url,
                        excerpt(&reply.body, 120)
                    ),
                )
            });
        }
        let err = match serde_json::from_slice::<TokenErrorBody>(&reply.body) {
            Ok(body) if !body.error.is_empty() => {
                mapping::sign_in_error(reply.status, &body, &self.context())
            }
            _ => GraphError::new(
                match reply.status {
                    429 => ErrorKind::Throttled,
                    500..=599 => ErrorKind::ServiceUnavailable,
                    _ => ErrorKind::UnexpectedResponse,
                },
                Origin::SignIn,
                format!(
                    "The OpenID configuration at {} answered HTTP {}: \"{}\". Check the Tenant \
                     Id and the client's cloud.",
                    inner.openid_url,
                    reply.status,
                    excerpt(&reply.body, 200)
                ),
            )
            .with_status(reply.status),
        };
        Err(retry_outcome(err, &reply, &inner.retry))
    }

    /// The SSO issuer of this tenant, from its OpenID configuration. An empty issuer is
    /// an `UnexpectedResponse`.
    pub async fn sso_issuer(&self, cancel: &CancellationToken) -> Result<String, GraphError> {
        let cfg = self.openid_configuration(cancel).await?;
        if cfg.issuer.trim().is_empty() {
            return Err(GraphError::unexpected(
                Origin::SignIn,
                "The tenant's OpenID configuration has no issuer.",
            ));
        }
        Ok(cfg.issuer)
    }
}

/// The SSO identity of a synced user of an Azure SSO client: issuer = the tenant's
/// issuer, subject = the user's object id, login = the UPN.
pub fn sso_identity(issuer: &str, object_id: &str, user_principal_name: &str) -> SsoIdentity {
    SsoIdentity {
        issuer: issuer.to_string(),
        subject: object_id.to_string(),
        login: user_principal_name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Field;

    #[test]
    fn users_page_with_next() {
        let p = parse_users_page(
            br#"{"@odata.context":"x","@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$top=5&$skiptoken=X%27abc%27",
                 "value":[{"id":"1","displayName":"A","mail":null}]}"#,
        )
        .unwrap();
        assert_eq!(
            p.next.as_deref(),
            Some("https://graph.microsoft.com/v1.0/users?$top=5&$skiptoken=X%27abc%27")
        );
        let FetchedUser::Present { fields, .. } = &p.users[0] else {
            panic!()
        };
        assert_eq!(fields.mail, Field::Null);
        let p = parse_users_page(br#"{"value":[]}"#).unwrap();
        assert!(p.next.is_none());
    }

    #[test]
    fn sso_identity_fields() {
        let s = sso_identity("https://login.microsoftonline.com/t/v2.0", "oid", "a@b.c");
        assert_eq!(s.subject, "oid");
        assert_eq!(s.login, "a@b.c");
    }
}
