//! Sync: fetch a delta round, plan (pure: directory + fetched → changes), apply in one
//! transaction.

pub mod apply;
pub mod fetch;
mod merge;
pub mod plan;
