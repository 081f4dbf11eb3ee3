//! Sync: plan (pure: directory + fetched → changes) and apply; full and delta.

mod merge;
pub mod plan;
