//! `/users/delta`: the first URL, one page at a time, and a convenience loop.
//!
//! Per "Use delta query to track changes in Microsoft Graph data": follow
//! `@odata.nextLink` verbatim (query parameters such as `$select` are encoded in it)
//! until a page carries `@odata.deltaLink`, also through empty pages; a page never has
//! both. `410 Gone` (or `syncStateNotFound` / `resyncRequired`) means the state token
//! is no longer valid and a full synchronisation is needed: `ErrorKind::DeltaExpired`.

use serde::Deserialize;
use serde_json::value::RawValue;
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
    let wire: UserPageWire = serde_json::from_slice(body).map_err(|e| unreadable(body, e))?;
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

fn unreadable(body: &[u8], e: impl std::fmt::Display) -> GraphError {
    GraphError::unexpected(
        Origin::Graph,
        format!(
            "Microsoft Graph sent a delta page that could not be read ({e}). Start: \"{}\"",
            excerpt(body, 120)
        ),
    )
}

/// A page's entries, each with its own JSON text (kept so that a user who appears
/// again later in the round can be folded with what came before).
#[derive(Deserialize)]
struct RawPageWire<'a> {
    #[serde(borrow, default)]
    value: Vec<&'a RawValue>,
}

/// The users of a page body, each with the JSON text it was read from.
pub fn parse_delta_entries(body: &[u8]) -> Result<Vec<(FetchedUser, &str)>, GraphError> {
    let wire: RawPageWire<'_> = serde_json::from_slice(body).map_err(|e| unreadable(body, e))?;
    wire.value
        .into_iter()
        .map(|raw| Ok((parse_delta_entry(raw.get())?, raw.get())))
        .collect()
}

/// One entry of a page, from its JSON text.
pub fn parse_delta_entry(json: &str) -> Result<FetchedUser, GraphError> {
    serde_json::from_str::<UserWire>(json)
        .map(UserWire::into_fetched)
        .map_err(|e| unreadable(json.as_bytes(), e))
}

/// Where a page says the round goes, read without parsing its users: a scan of the
/// top-level object that steps over every other value. It lets the next request go
/// out while this page is parsed elsewhere. `None` when the body is not a JSON object
/// with exactly one of the two links (then a full parse reports what is wrong).
pub fn scan_next(body: &[u8]) -> Option<DeltaNext> {
    let mut s = Scanner { b: body, i: 0 };
    s.ws();
    s.eat(b'{')?;
    let (mut next, mut delta) = (None, None);
    loop {
        s.ws();
        if s.peek()? == b'}' {
            break;
        }
        let key = s.string()?;
        s.ws();
        s.eat(b':')?;
        s.ws();
        let start = s.i;
        s.value()?;
        let value = body.get(start..s.i)?;
        let slot = match key {
            b"\"@odata.nextLink\"" => Some(&mut next),
            b"\"@odata.deltaLink\"" => Some(&mut delta),
            _ => None,
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                return None; // a duplicate key: let the parser decide
            }
            *slot = Some(serde_json::from_slice::<String>(value).ok()?);
        }
        s.ws();
        if s.peek()? == b',' {
            s.i += 1;
        }
    }
    match (next, delta) {
        (Some(next), None) if !next.is_empty() => Some(DeltaNext::Next(next)),
        (None, Some(delta_link)) if !delta_link.is_empty() => Some(DeltaNext::Done { delta_link }),
        _ => None,
    }
}

/// Steps over JSON without building anything.
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// A string, quotes included, escapes not decoded.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        self.eat(b'"')?;
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return self.b.get(start..self.i);
                }
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
    }

    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
            }
            _ => {
                while !matches!(
                    self.peek()?,
                    b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                ) {
                    self.i += 1;
                }
                Some(())
            }
        }
    }
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
        let body = self.delta_page_body(url, cancel).await?;
        parse_delta_page(&body)
    }

    /// Fetch one delta page without parsing it (see [`scan_next`] and
    /// [`parse_delta_entries`]).
    pub async fn delta_page_body(
        &self,
        url: &str,
        cancel: &CancellationToken,
    ) -> Result<bytes::Bytes, GraphError> {
        let parsed = Url::parse(url).map_err(|e| {
            GraphError::config(format!(
                "The delta link is not a valid URL ({e}); run a full sync."
            ))
        })?;
        self.graph_get(&parsed, &DELTA_CALL, Some(self.inner.page_size), cancel)
            .await
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
    fn the_scan_finds_the_link_the_parser_finds() {
        let pages: [&[u8]; 5] = [
            br#"{"@odata.context":"x","value":[{"id":"a","displayName":"\"@odata.nextLink\": \\","b":[1,{"c":"}"}]}],"@odata.nextLink":"https://g/n?t=1"}"#,
            br#" { "@odata.deltaLink" : "https://g/d?\u0074=2" , "value" : [ ] } "#,
            br#"{"value":[{"id":"x","manager@delta":[{"id":"m"}],"accountEnabled":false,"n":null,"k":1.5e3}],"@odata.deltaLink":"https://g/d"}"#,
            br#"{"@odata.nextLink":"https://g/n","value":[]}"#,
            br#"{"value":[],"@odata.nextLink":"https://g/\u00e9"}"#,
        ];
        for body in pages {
            let parsed = parse_delta_page(body).unwrap().next;
            assert_eq!(
                scan_next(body),
                Some(parsed),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_scan_gives_up_where_the_parser_would_complain() {
        // Besides every page `broken_pages_are_errors` lists: shapes the parser may
        // accept but the scan does not vouch for.
        for body in [
            &br#"{"@odata.nextLink":"https://g/n","@odata.deltaLink":"https://g/d","value":[]}"#[..],
            br#"{"@odata.nextLink":"https://g/n","@odata.nextLink":"https://g/m"}"#,
            br#"{"value":[{"id":"a"}"#,
        ] {
            assert_eq!(scan_next(body), None, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn entries_keep_their_own_json() {
        let body = br#"{"value":[{"id":"a","displayName":"A"},{"id":"b","@removed":{"reason":"deleted"}}],"@odata.deltaLink":"https://g/d"}"#;
        let entries = parse_delta_entries(body).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[1].1,
            r#"{"id":"b","@removed":{"reason":"deleted"}}"#
        );
        assert_eq!(parse_delta_entry(entries[0].1).unwrap(), entries[0].0);
        assert!(matches!(entries[1].0, FetchedUser::Removed { .. }));
        assert!(parse_delta_entries(b"{").is_err());
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
            assert_eq!(scan_next(body), None, "{}", String::from_utf8_lossy(body));
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
