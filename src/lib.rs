//! User Sync: keep an organisation's users and reporting hierarchy in step with
//! Microsoft Entra ID. See ARCHITECTURE.md for the map of modules.

pub mod cli;
pub mod client_input;
pub mod emulator;
pub mod engine;
pub mod graph;
pub mod model;
pub mod paths;
pub mod secrets;
pub mod store;
pub mod sync;
