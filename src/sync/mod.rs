//! Sync: fetch a delta round, plan each page as it arrives (pure: directory + fetched →
//! changes) into scratch tables, apply everything in one transaction.

pub mod fetch;
mod merge;
pub mod plan;
pub mod stage;
