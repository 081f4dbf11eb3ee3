//! Fetching one `/users/delta` round: each page's body is handed to the stager as it
//! arrives and the next request goes out at once — the link to it is found by a scan
//! of the body, without parsing the users — so a page's latency overlaps the parsing,
//! planning and staging of the one before.

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::graph::{DeltaNext, GraphClient, GraphError, parse_delta_page, scan_next};

/// Pages in flight between the fetcher and the stager: enough to overlap requests with
/// processing without buffering the tenant.
pub const PIPELINE_DEPTH: usize = 2;

/// Guard against a service that never ends a round.
const MAX_PAGES_PER_ROUND: u64 = 1_000_000;

/// Runs a round from `start` (a saved deltaLink) or, with `None`, a fresh one, sending
/// every page body to `pages` in order, and returns the new deltaLink. `on_page` sees
/// the number of pages read so far. Stops with `ErrorKind::Cancelled` between (or
/// during) pages when `cancel` fires, or when the receiver is gone.
pub async fn fetch_round(
    graph: &GraphClient,
    start: Option<&str>,
    cancel: &CancellationToken,
    pages: mpsc::Sender<Bytes>,
    mut on_page: impl FnMut(u64),
) -> Result<String, GraphError> {
    let mut url = start.map_or_else(|| graph.delta_start(), str::to_string);
    for n in 1..=MAX_PAGES_PER_ROUND {
        if cancel.is_cancelled() {
            return Err(GraphError::cancelled());
        }
        let body = graph.delta_page_body(&url, cancel).await?;
        let next = match scan_next(&body) {
            Some(next) => next,
            // Not a shape the scan follows: the parser says what is wrong, or where to go.
            None => parse_delta_page(&body)?.next,
        };
        if pages.send(body).await.is_err() {
            return Err(GraphError::cancelled()); // the stager stopped
        }
        on_page(n);
        match next {
            DeltaNext::Next(link) => url = link,
            DeltaNext::Done { delta_link } => return Ok(delta_link),
        }
    }
    Err(GraphError::unexpected(
        crate::graph::error::Origin::Graph,
        format!("Microsoft Graph did not end the delta round after {MAX_PAGES_PER_ROUND} pages."),
    ))
}
