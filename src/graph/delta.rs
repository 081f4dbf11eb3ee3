//! `/users/delta`: the first URL, one page at a time, and a convenience loop.
//!
//! Per "Use delta query to track changes in Microsoft Graph data": follow
//! `@odata.nextLink` verbatim (query parameters such as `$select` are encoded in it)
//! until a page carries `@odata.deltaLink`, also through empty pages; a page never has
//! both. `410 Gone` (or `syncStateNotFound` / `resyncRequired`) means the state token
//! is no longer valid and a full synchronisation is needed: `ErrorKind::DeltaExpired`.

use tokio_util::sync::CancellationToken;
use url::Url;

use crate::graph::client::GraphClient;
use crate::graph::error::{GraphError, Origin, excerpt};
use crate::graph::mapping::Call;
use crate::graph::wire::{UserPageWire, UserWire};
use crate::model::{FetchedUser, SYNCED_PROPERTIES};

/// One page of a delta round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeltaPage {
    pub users: Vec<FetchedUser>,
    pub next: DeltaNext,
}

/// Where the round goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeltaNext {
    /// More pages: request this `@odata.nextLink` verbatim.
    Next(String),
    /// The round is complete; save this `@odata.deltaLink` for the next round.
    Done { delta_link: String },
}

const DELTA_CALL: Call<'static> = Call {
    what: "read users (delta)",
    permission: "User.Read.All",
    delta: true,
};

/// Guard against a service that never ends a round.
const MAX_PAGES_PER_ROUND: usize = 1_000_000;

/// Parse a delta page body. Public for benchmarks: deserialises straight from the bytes
/// into typed structs.
pub fn parse_delta_page(body: &[u8]) -> Result<DeltaPage, GraphError> {
    let wire: UserPageWire = serde_json::from_slice(body).map_err(|e| {
        GraphError::unexpected(
            Origin::Graph,
            format!(
                "Microsoft Graph sent a delta page that could not be read ({e}). Start: \"{}\"",
                excerpt(body, 120)
            ),
        )
    })?;
    let next = match (wire.next_link, wire.delta_link) {
        (Some(next), _) if !next.is_empty() => DeltaNext::Next(next),
        (_, Some(delta_link)) if !delta_link.is_empty() => DeltaNext::Done { delta_link },
        _ => {
            return Err(GraphError::unexpected(
                Origin::Graph,
                "Microsoft Graph sent a delta page with neither @odata.nextLink nor \
                 @odata.deltaLink, so the round cannot continue.",
            ));
        }
    };
    let users = wire.value.into_iter().map(UserWire::into_fetched).collect();
    Ok(DeltaPage { users, next })
}

impl GraphClient {
    /// The first URL of a full round:
    /// `{graph}/v1.0/users/delta?$select=<SYNCED_PROPERTIES>,manager`.
    pub fn delta_start(&self) -> String {
        format!(
            "{}/v1.0/users/delta?$select={},manager",
            self.inner.graph_base,
            SYNCED_PROPERTIES.join(",")
        )
    }

    /// The page size asked for with `Prefer: odata.maxpagesize`.
    pub fn max_page_size(&self) -> u32 {
        self.inner.page_size
    }

    /// Fetch and parse one delta page: the start URL, a nextLink or a saved deltaLink.
    pub async fn delta_page(
        &self,
        url: &str,
        cancel: &CancellationToken,
    ) -> Result<DeltaPage, GraphError> {
        let parsed = Url::parse(url).map_err(|e| {
            GraphError::config(format!(
                "The delta link is not a valid URL ({e}); run a full sync."
            ))
        })?;
        let body = self
            .graph_get(&parsed, &DELTA_CALL, Some(self.inner.page_size), cancel)
            .await?;
        parse_delta_page(&body)
    }

    /// Run a whole round from `start` (a saved deltaLink) or, with `None`, from
    /// [`delta_start`](Self::delta_start); hands each page's users to `on_page` and
    /// returns the new deltaLink. The sync engine may drive [`delta_page`](Self::delta_page)
    /// itself instead, to overlap fetching with storing.
    pub async fn delta_round<F>(
        &self,
        start: Option<&str>,
        cancel: &CancellationToken,
        mut on_page: F,
    ) -> Result<String, GraphError>
    where
        F: FnMut(Vec<FetchedUser>) + Send,
    {
        let mut url = match start {
            Some(s) => s.to_string(),
            None => self.delta_start(),
        };
        for _ in 0..MAX_PAGES_PER_ROUND {
            let page = self.delta_page(&url, cancel).await?;
            on_page(page.users);
            match page.next {
                DeltaNext::Next(next) => url = next,
                DeltaNext::Done { delta_link } => return Ok(delta_link),
            }
        }
        Err(GraphError::unexpected(
            Origin::Graph,
            format!(
                "Microsoft Graph did not end the delta round after {MAX_PAGES_PER_ROUND} pages."
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::error::ErrorKind;
    use crate::model::{Field, ManagerChange};

    #[test]
    fn next_and_done() {
        let p = parse_delta_page(
            br#"{"@odata.nextLink":"https://g/v1.0/users/delta?$skiptoken=a","value":[]}"#,
        )
        .unwrap();
        assert_eq!(
            p.next,
            DeltaNext::Next("https://g/v1.0/users/delta?$skiptoken=a".into())
        );
        assert!(p.users.is_empty());
        let p = parse_delta_page(
            br#"{"@odata.deltaLink":"https://g/v1.0/users/delta?$deltatoken=b","value":[{"id":"x","manager@delta":[{"id":"m"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            p.next,
            DeltaNext::Done {
                delta_link: "https://g/v1.0/users/delta?$deltatoken=b".into()
            }
        );
        let FetchedUser::Present {
            fields, manager, ..
        } = &p.users[0]
        else {
            panic!()
        };
        assert_eq!(*manager, ManagerChange::Set("m".into()));
        assert_eq!(fields.display_name, Field::Absent);
    }

    #[test]
    fn broken_pages_are_errors() {
        for body in [
            &b"not json"[..],
            br#"{"value":[]}"#,
            br#"{"@odata.nextLink":"","value":[]}"#,
            b"",
        ] {
            let e = parse_delta_page(body).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnexpectedResponse);
        }
    }

    #[test]
    fn parsing_many_users_works() {
        let mut body = String::from(r#"{"@odata.deltaLink":"https://g/d","value":["#);
        for i in 0..2000 {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&format!(
                r#"{{"id":"{i}","displayName":"User {i}","givenName":"U","surname":"{i}","userPrincipalName":"u{i}@contoso.com","mail":null,"jobTitle":"Engineer","department":"R&D","businessPhones":["+1 555 {i}"],"accountEnabled":true,"manager@delta":[{{"@odata.type":"{t}","id":"{m}"}}]}}"#,
                t = "#microsoft.graph.user",
                m = i / 10
            ));
        }
        body.push_str("]}");
        let p = parse_delta_page(body.as_bytes()).unwrap();
        assert_eq!(p.users.len(), 2000);
    }
}
