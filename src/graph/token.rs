//! The app-only access token: client-credentials grant against
//! `POST {authority}/{tenant}/oauth2/v2.0/token` with `scope={graph}/.default`,
//! the secret only in the form body. Cached until two minutes before it expires;
//! a token that lives less than four minutes is kept for half its lifetime, so a
//! short-lived token is neither used when about to expire nor fetched per request.

use std::time::{Duration, Instant};

use reqwest::header::ACCEPT;
use tokio_util::sync::CancellationToken;

use crate::graph::client::{GraphClient, retry_outcome};
use crate::graph::error::{ErrorKind, GraphError, Origin, excerpt, redact};
use crate::graph::mapping;
use crate::graph::urls::loggable;
use crate::graph::wire::{TokenErrorBody, TokenResponse};
use crate::model::Secret;

/// Refresh this long before expiry.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120);

/// The token cache of one client.
#[derive(Default)]
pub(crate) struct TokenState {
    current: Option<CachedToken>,
    issued: u64,
}

struct CachedToken {
    value: Secret,
    refresh_at: Instant,
    expires_at: Instant,
    generation: u64,
}

/// What a successful sign-in tells (no token in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInInfo {
    /// How long the current token remains valid.
    pub valid_for: Duration,
    /// How many tokens this client has requested so far.
    pub tokens_issued: u64,
}

/// When to stop using a token that lives `lifetime`: `lifetime - 2 min`, or half the
/// lifetime when that is shorter.
pub(crate) fn usable_for(lifetime: Duration) -> Duration {
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    lifetime.saturating_sub(margin)
}

impl GraphClient {
    /// Sign in (or reuse the cached token) and report how long the token is valid.
    pub async fn sign_in(&self, cancel: &CancellationToken) -> Result<SignInInfo, GraphError> {
        self.access_token(cancel).await?;
        let state = self.inner.token.lock().await;
        let valid_for = state
            .current
            .as_ref()
            .map(|t| t.expires_at.saturating_duration_since(Instant::now()))
            .unwrap_or_default();
        Ok(SignInInfo {
            valid_for,
            tokens_issued: state.issued,
        })
    }

    /// Forget the cached token (e.g. after the secret was changed).
    pub async fn clear_token_cache(&self) {
        self.inner.token.lock().await.current = None;
    }

    /// A valid access token and its generation (to invalidate exactly this one).
    /// The lock is held while fetching, so concurrent callers share one request.
    pub(crate) async fn access_token(
        &self,
        cancel: &CancellationToken,
    ) -> Result<(Secret, u64), GraphError> {
        let mut state = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(GraphError::cancelled()),
            guard = self.inner.token.lock() => guard,
        };
        if let Some(t) = &state.current
            && Instant::now() < t.refresh_at
        {
            return Ok((t.value.clone(), t.generation));
        }
        let requested_at = Instant::now();
        let (value, lifetime) = self.request_token(cancel).await?;
        state.issued += 1;
        let generation = state.issued;
        state.current = Some(CachedToken {
            value: value.clone(),
            refresh_at: requested_at + usable_for(lifetime),
            expires_at: requested_at + lifetime,
            generation,
        });
        tracing::debug!(
            tenant = %self.inner.tenant,
            expires_in_s = lifetime.as_secs(),
            "signed in (client credentials)"
        );
        Ok((value, generation))
    }

    /// Drop the cached token if it is still the one of `generation`.
    pub(crate) async fn invalidate_token(&self, generation: u64) {
        let mut state = self.inner.token.lock().await;
        if state.current.as_ref().map(|t| t.generation) == Some(generation) {
            state.current = None;
        }
    }

    async fn request_token(
        &self,
        cancel: &CancellationToken,
    ) -> Result<(Secret, Duration), GraphError> {
        let inner = &self.inner;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", inner.client_id.as_str()),
            ("client_secret", inner.secret.expose()),
            ("scope", inner.scope.as_str()),
        ];
        let what = format!("POST {}", loggable(&inner.token_url));
        let make = || {
            inner
                .http
                .post(inner.token_url.clone())
                .header(ACCEPT, "application/json")
                .form(&form)
        };
        let reply = self.send(&what, &make, cancel).await?;
        let ctx = self.context();
        if reply.is_success() {
            let parsed: TokenResponse = serde_json::from_slice(&reply.body).map_err(|e| {
                // No excerpt: a malformed success body may still hold a token.
                GraphError::unexpected(
                    Origin::SignIn,
                    format!(
                        "The sign-in endpoint {} answered HTTP {} but not with a token \
                         ({e}). Check the authority URL and the client's cloud.",
                        inner.token_url, reply.status
                    ),
                )
                .with_status(reply.status)
            })?;
            if parsed.access_token.is_empty() {
                return Err(GraphError::unexpected(
                    Origin::SignIn,
                    "The sign-in endpoint answered without an access token.",
                ));
            }
            return Ok((
                Secret::new(parsed.access_token),
                Duration::from_secs(parsed.expires_in),
            ));
        }
        let err = match serde_json::from_slice::<TokenErrorBody>(&reply.body) {
            Ok(body) if !body.error.is_empty() => mapping::sign_in_error(reply.status, &body, &ctx),
            _ => {
                let kind = match reply.status {
                    429 => ErrorKind::Throttled,
                    500..=599 => ErrorKind::ServiceUnavailable,
                    _ => ErrorKind::UnexpectedResponse,
                };
                let body_text = redact(&String::from_utf8_lossy(&reply.body), &[ctx.secret]);
                GraphError::new(
                    kind,
                    Origin::SignIn,
                    format!(
                        "The sign-in endpoint {} answered HTTP {} with something that is not an \
                         Entra token response: \"{}\". Check the authority URL and the client's \
                         cloud.",
                        inner.token_url,
                        reply.status,
                        excerpt(body_text.as_bytes(), 200)
                    ),
                )
                .with_status(reply.status)
                .with_correlation_id(reply.header("x-ms-request-id"))
            }
        };
        Err(retry_outcome(err, &reply, &inner.retry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usable_lifetime() {
        assert_eq!(
            usable_for(Duration::from_secs(3599)),
            Duration::from_secs(3479)
        );
        assert_eq!(
            usable_for(Duration::from_secs(240)),
            Duration::from_secs(120)
        );
        // Short-lived tokens: half their life, never "used once then refetched per call"
        // and never used right up to expiry.
        assert_eq!(usable_for(Duration::from_secs(60)), Duration::from_secs(30));
        assert_eq!(
            usable_for(Duration::from_secs(1)),
            Duration::from_millis(500)
        );
        assert_eq!(usable_for(Duration::ZERO), Duration::ZERO);
    }
}
