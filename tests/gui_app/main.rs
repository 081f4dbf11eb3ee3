//! GUI tests: the real `App` driven through egui_kittest by AccessKit labels, with the
//! real engine, a temp data directory and the built-in demo tenant.

mod support;

mod clients;
mod jobs_directory;
mod schedules;
mod shell;
mod sync_now;
