//! User Sync: keep an organisation's users and reporting hierarchy in step with
//! Microsoft Entra ID. See ARCHITECTURE.md for the map of modules.

pub mod cli;
pub mod client_input;
pub mod client_service;
pub mod emulator;
pub mod engine;
pub mod export;
pub mod graph;
pub mod gui;
pub mod model;
pub mod paths;
pub mod schedule;
pub mod secrets;
pub mod store;
pub mod sync;
