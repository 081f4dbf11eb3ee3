//! Entra token and Microsoft Graph client: sign-in with app-only credentials, paging
//! through `/users/delta`, retries, errors an admin can act on, national clouds.
//!
//! The sync engine drives [`GraphClient::delta_page`] page by page (starting at
//! [`GraphClient::delta_start`] or a saved deltaLink); the CLI and GUI call
//! [`validate::validate`]. Nothing here knows about the store.

mod client;
mod delta;
pub mod error;
mod mapping;
mod retry;
mod token;
mod users;
pub mod validate;
pub mod wire;

pub use client::{DEFAULT_PAGE_SIZE, GraphClient, GraphConfig, is_loopback_host};
pub use delta::{DeltaNext, DeltaPage, parse_delta_page};
pub use error::{ErrorKind, GraphError};
pub use retry::{RetryPolicy, parse_retry_after};
pub use token::{REFRESH_MARGIN, SignInInfo};
pub use users::{Organization, UsersPage, sso_identity};
pub use validate::{StepStatus, ValidationReport, ValidationStep, validate};
pub use wire::OpenIdConfiguration;
