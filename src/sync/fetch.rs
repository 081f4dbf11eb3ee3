//! Fetching one `/users/delta` round: the next page is requested while the current
//! one is handed on (parsed entries staged in memory, not the JSON), so latency per
//! page is not added to processing time.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::graph::{DeltaNext, GraphClient, GraphError};
use crate::model::FetchedUser;

/// Everything one complete round returned.
#[derive(Debug, Default)]
pub struct FetchedRound {
    pub users: Vec<FetchedUser>,
    pub pages: u64,
    pub delta_link: String,
}

/// Progress of a round, reported after each page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchProgress {
    pub pages: u64,
    pub users: u64,
}

/// Pages in flight between the fetching task and the stager: enough to overlap one
/// request with processing without buffering the tenant.
const PIPELINE_DEPTH: usize = 2;

/// Runs a round from `start` (a saved deltaLink) or, with `None`, a fresh one. Stops
/// with `ErrorKind::Cancelled` between (or during) pages when `cancel` fires.
pub async fn fetch_round(
    graph: &GraphClient,
    start: Option<&str>,
    cancel: &CancellationToken,
    mut on_page: impl FnMut(FetchProgress),
) -> Result<FetchedRound, GraphError> {
    let (tx, mut rx) = mpsc::channel(PIPELINE_DEPTH);
    let first = start.map_or_else(|| graph.delta_start(), str::to_string);
    let fetch_graph = graph.clone();
    let fetch_cancel = cancel.clone();
    let fetcher = tokio::spawn(async move {
        let mut url = first;
        loop {
            let page = fetch_graph.delta_page(&url, &fetch_cancel).await?;
            let next = page.next.clone();
            if tx.send(page.users).await.is_err() {
                // The stager stopped (cancelled): nothing more to do.
                return Err(GraphError::cancelled());
            }
            match next {
                DeltaNext::Next(link) => url = link,
                DeltaNext::Done { delta_link } => return Ok(delta_link),
            }
        }
    });
    let mut round = FetchedRound::default();
    while let Some(users) = rx.recv().await {
        round.pages += 1;
        round.users.extend(users);
        on_page(FetchProgress {
            pages: round.pages,
            users: round.users.len() as u64,
        });
        if cancel.is_cancelled() {
            fetcher.abort();
            return Err(GraphError::cancelled());
        }
    }
    match fetcher.await {
        Ok(Ok(delta_link)) => {
            round.delta_link = delta_link;
            Ok(round)
        }
        Ok(Err(e)) => Err(e),
        Err(join) if join.is_cancelled() => Err(GraphError::cancelled()),
        // A panic in the fetcher is a bug: let it surface as one.
        Err(join) => std::panic::resume_unwind(join.into_panic()),
    }
}
