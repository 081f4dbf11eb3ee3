//! `GET /v1.0/users/delta`: rounds of pages fixed when the round starts, `@odata.nextLink`
//! with `$skiptoken`, a final `@odata.deltaLink` with `$deltatoken`, and 410 Gone for
//! unknown or expired tokens.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::control::{DeltaState, ROUND_KEY_LEN, Round, Shared};
use super::graph::{Query, json_page, parse_select, unsupported};
use super::model::{self, ATTR_MASK, Field, Select, Val};
use super::org::{Entry, EntryKind, Life, Org};
use super::server::{ReqCtx, graph_error};

/// What the client asked for in `Prefer`.
struct Prefer {
    minimal: bool,
    max_page_size: Option<usize>,
}

impl Prefer {
    fn parse(headers: &HeaderMap) -> Prefer {
        let mut p = Prefer {
            minimal: false,
            max_page_size: None,
        };
        for v in headers.get_all("prefer") {
            let Ok(v) = v.to_str() else { continue };
            for part in v.split(',').map(str::trim) {
                let (k, val) = part.split_once('=').unwrap_or((part, ""));
                let (k, val) = (k.trim(), val.trim().trim_matches('"'));
                if k.eq_ignore_ascii_case("return") && val.eq_ignore_ascii_case("minimal") {
                    p.minimal = true;
                } else if k.eq_ignore_ascii_case("odata.maxpagesize")
                    && let Ok(n) = val.parse::<usize>()
                    && n > 0
                {
                    p.max_page_size = Some(n.min(999));
                }
            }
        }
        p
    }
}

fn gone(ctx: &ReqCtx, select: Option<&Select>) -> Response {
    let mut resp = graph_error(
        ctx,
        StatusCode::GONE,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    );
    let mut location = format!("{}/v1.0/users/delta", ctx.base);
    if let Some(t) = select.and_then(|s| s.text.as_deref()) {
        location.push_str("?$select=");
        location.push_str(t);
    }
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// Splits entries into pages; with `empty_pages`, an empty page comes first and between pages.
fn plan_pages(n: usize, size: usize, empty_pages: bool) -> Vec<(u32, u32)> {
    let size = size.max(1);
    let mut pages = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + size).min(n);
        if empty_pages {
            pages.push((start as u32, start as u32));
        }
        pages.push((start as u32, end as u32));
        start = end;
        if start >= n {
            break;
        }
    }
    pages
}

pub(crate) fn delta(s: &Shared, ctx: &ReqCtx, raw: Option<&str>, headers: &HeaderMap) -> Response {
    let q = Query::parse(raw);
    if let Some(p) = q.first_of(&["$expand", "$orderby", "$search", "$count"]) {
        return unsupported(ctx, p);
    }
    // `$top` is documented as not supported for users delta; Graph ignores it.
    let prefer = Prefer::parse(headers);
    let skip = q.get_nonempty("$skiptoken");
    let dtok = q.get_nonempty("$deltatoken");
    let (page_size, empty_pages, epoch, full_updates) = {
        let st = s.settings();
        (
            prefer.max_page_size.unwrap_or(st.default_page_size),
            st.empty_pages,
            st.delta_epoch,
            st.full_updates,
        )
    };
    let minimal = prefer.minimal || !full_updates;

    let (key, round, page) = if let Some(tok) = skip {
        if dtok.is_some() {
            return super::graph::bad_request(
                ctx,
                "Request_BadRequest",
                "Specify either $skiptoken or $deltatoken, not both.",
            );
        }
        let found = (tok.len() > ROUND_KEY_LEN && tok.is_char_boundary(ROUND_KEY_LEN))
            .then(|| tok.split_at(ROUND_KEY_LEN))
            .and_then(|(k, p)| {
                let page = usize::from_str_radix(p, 16).ok()?;
                let round = s.tokens().round(k)?;
                (page < round.pages.len()).then(|| (k.to_string(), round, page))
            });
        match found {
            Some((k, round, page)) if round.epoch >= epoch => (k, round, page),
            Some((_, round, _)) => return gone(ctx, Some(&round.select)),
            None => return gone(ctx, None),
        }
    } else {
        let mut select = match q.get("$select") {
            Some(_) => match parse_select(ctx, &q) {
                Ok(sel) => Some(sel),
                Err(r) => return r,
            },
            None => None,
        };
        let org = s.org();
        let (entries, select) = if let Some(tok) = dtok {
            if tok.eq_ignore_ascii_case("latest") {
                let select = Arc::new(select.take().unwrap_or_else(Select::default_set));
                let version = org.version;
                drop(org);
                return latest(s, ctx, select, version, epoch);
            }
            let Some((version, old_select, tok_epoch)) = s.tokens().delta(tok) else {
                return gone(ctx, select.as_ref());
            };
            if tok_epoch < epoch {
                return gone(ctx, Some(&old_select));
            }
            let select = select.map(Arc::new).unwrap_or(old_select);
            match org.changes_since(version, select.mask | Field::Id.bit()) {
                Some(e) => (e, select),
                None => return gone(ctx, Some(&select)),
            }
        } else {
            (
                org.full_round(),
                Arc::new(select.unwrap_or_else(Select::default_set)),
            )
        };
        let round = Arc::new(Round {
            epoch,
            select,
            target_version: org.version,
            pages: plan_pages(entries.len(), page_size, empty_pages),
            entries,
        });
        drop(org);
        let key = s.random_token(ROUND_KEY_LEN);
        s.tokens().add_round(key.clone(), round.clone());
        (key, round, 0)
    };

    let mut resp = serve_page(s, ctx, &key, &round, page, minimal);
    let mut applied = Vec::new();
    if prefer.minimal {
        applied.push("return=minimal".to_string());
    }
    if let Some(n) = prefer.max_page_size {
        applied.push(format!("odata.maxpagesize={n}"));
    }
    if !applied.is_empty()
        && let Ok(v) = HeaderValue::from_str(&applied.join(", "))
    {
        resp.headers_mut()
            .insert(HeaderName::from_static("preference-applied"), v);
    }
    resp
}

fn context(ctx: &ReqCtx, select: &Select) -> String {
    format!("{}/v1.0/$metadata#{}", ctx.base, select.context_suffix())
}

fn delta_link(s: &Shared, ctx: &ReqCtx, select: Arc<Select>, version: u64, epoch: u64) -> String {
    let tok = s.random_token(48);
    s.tokens().add_delta(
        tok.clone(),
        DeltaState {
            version,
            select,
            epoch,
        },
    );
    format!("{}/v1.0/users/delta?$deltatoken={tok}", ctx.base)
}

/// `$deltatoken=latest`: no data, just a deltaLink for "from now on".
fn latest(s: &Shared, ctx: &ReqCtx, select: Arc<Select>, version: u64, epoch: u64) -> Response {
    let mut buf = Vec::with_capacity(512);
    buf.extend_from_slice(b"{\"@odata.context\":");
    model::write_str(&mut buf, &context(ctx, &select));
    buf.extend_from_slice(b",\"@odata.deltaLink\":");
    model::write_str(&mut buf, &delta_link(s, ctx, select, version, epoch));
    buf.extend_from_slice(b",\"value\":[]}");
    json_page(buf)
}

fn serve_page(
    s: &Shared,
    ctx: &ReqCtx,
    key: &str,
    round: &Round,
    page: usize,
    minimal: bool,
) -> Response {
    let (a, b) = round.pages[page];
    let link = if page + 1 < round.pages.len() {
        (
            "@odata.nextLink",
            format!(
                "{}/v1.0/users/delta?$skiptoken={key}{:x}",
                ctx.base,
                page + 1
            ),
        )
    } else {
        (
            "@odata.deltaLink",
            delta_link(
                s,
                ctx,
                round.select.clone(),
                round.target_version,
                round.epoch,
            ),
        )
    };
    let entries = &round.entries[a as usize..b as usize];
    let mut buf = Vec::with_capacity(entries.len() * 450 + 512);
    buf.extend_from_slice(b"{\"@odata.context\":");
    model::write_str(&mut buf, &context(ctx, &round.select));
    buf.push(b',');
    model::write_prop(&mut buf, link.0, &Val::Str(&link.1));
    buf.extend_from_slice(b",\"value\":[");
    let org = s.org();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_entry(&mut buf, &org, e, &round.select, minimal);
    }
    drop(org);
    buf.extend_from_slice(b"]}");
    json_page(buf)
}

fn write_removed(buf: &mut Vec<u8>, id: &str, reason: &str) {
    buf.push(b'{');
    model::write_prop(buf, "id", &Val::Str(id));
    buf.extend_from_slice(b",\"@removed\":{\"reason\":");
    model::write_str(buf, reason);
    buf.extend_from_slice(b"}}");
}

fn write_manager_ref(buf: &mut Vec<u8>, id: &str, removed: bool) {
    buf.extend_from_slice(b"{\"@odata.type\":\"#microsoft.graph.user\",");
    model::write_prop(buf, "id", &Val::Str(id));
    if removed {
        buf.extend_from_slice(b",\"@removed\":{\"reason\":\"deleted\"}");
    }
    buf.push(b'}');
}

/// One entry as the user is now: removed users as `@removed`, otherwise the full object or
/// the changed properties (`manager@delta` when the manager is selected).
fn write_entry(buf: &mut Vec<u8>, org: &Org, e: &Entry, sel: &Select, minimal: bool) {
    let rec = &org.recs[e.slot as usize];
    match (e.kind, rec.life) {
        (EntryKind::HardRemoved, _) | (_, Life::Purged) => {
            return write_removed(buf, &rec.id, "deleted");
        }
        (EntryKind::SoftRemoved, _) | (_, Life::SoftDeleted) | (_, Life::Absent) => {
            return write_removed(buf, &rec.id, "changed");
        }
        _ => {}
    }
    let full = e.kind == EntryKind::Full;
    let mask = if full || !minimal {
        sel.mask
    } else {
        e.mask & ATTR_MASK
    };
    let unmodelled: &[&'static str] = if full { &sel.unmodelled } else { &[] };
    model::open_user(buf, &rec.id, &rec.attrs, mask | Field::Id.bit(), unmodelled);
    if sel.has(Field::Manager) {
        let manager_changed = e.mask & Field::Manager.bit() != 0;
        match rec.manager {
            Some(m) if full || manager_changed => {
                buf.extend_from_slice(b",\"manager@delta\":[");
                write_manager_ref(buf, &org.recs[m as usize].id, false);
                buf.push(b']');
            }
            None if !full && manager_changed => {
                buf.extend_from_slice(b",\"manager@delta\":[");
                if let Some(old) = e.old_manager {
                    write_manager_ref(buf, &org.recs[old as usize].id, true);
                }
                buf.push(b']');
            }
            _ => {}
        }
    }
    buf.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_everything_and_empty_pages_interleave() {
        assert_eq!(plan_pages(0, 10, false), vec![(0, 0)]);
        assert_eq!(plan_pages(25, 10, false), vec![(0, 10), (10, 20), (20, 25)]);
        assert_eq!(
            plan_pages(15, 10, true),
            vec![(0, 0), (0, 10), (10, 10), (10, 15)]
        );
        assert_eq!(plan_pages(0, 10, true), vec![(0, 0), (0, 0)]);
    }

    #[test]
    fn prefer_header_is_parsed() {
        let mut h = HeaderMap::new();
        h.insert(
            "prefer",
            HeaderValue::from_static("odata.maxpagesize=5000, return=minimal"),
        );
        let p = Prefer::parse(&h);
        assert!(p.minimal);
        assert_eq!(p.max_page_size, Some(999));
    }
}
