//! Entra token and Microsoft Graph client: sign-in with app-only credentials, paging
//! through `/users/delta`, retries, errors an admin can act on, national clouds.
//!
//! The sync engine drives [`GraphClient::delta_page`] page by page, starting at
//! [`GraphClient::delta_start`] (full sync) or a saved deltaLink (incremental; check it
//! with [`GraphClient::owns_link`] first), following [`DeltaNext::Next`] verbatim until
//! [`DeltaNext::Done`] hands over the new deltaLink. An error of kind
//! [`ErrorKind::DeltaExpired`] means: drop the deltaLink and run a full sync. The CLI and
//! GUI call [`validate()`]. Nothing here knows about the store.
//!
//! Every request is retried on 429 / 503 / 504, connection failures and timeouts
//! (honouring `Retry-After`, else exponential backoff with full jitter), and stops
//! promptly with [`ErrorKind::Cancelled`] when the caller's `CancellationToken` fires.

mod client;
mod delta;
pub mod error;
mod mapping;
mod retry;
mod token;
mod urls;
mod users;
pub mod validate;
pub mod wire;

pub use client::{DEFAULT_PAGE_SIZE, GraphClient, GraphConfig};
pub use delta::{
    DeltaNext, DeltaPage, parse_delta_entries, parse_delta_entry, parse_delta_page, scan_next,
};
pub use error::{ErrorKind, GraphError};
pub use retry::{RetryPolicy, parse_retry_after};
pub use token::{REFRESH_MARGIN, SignInInfo};
pub use urls::is_loopback_host;
pub use users::{Organization, UsersPage, sso_identity};
pub use validate::{StepStatus, ValidationReport, ValidationStep, validate};
pub use wire::OpenIdConfiguration;
