//! Intents recorded by UI code and carried out by `App` at the end of the frame, so
//! layout code has no side effects of its own.

use super::app_state::{Page, ThemeChoice};
use super::pages::{clients, directory, jobs, schedules};
use crate::engine::SyncRequest;
use crate::model::JobId;

#[must_use]
#[derive(Debug)]
pub enum Command {
    Navigate(Page),
    /// Show this job in Job History.
    OpenJob(JobId),
    SetTheme(ThemeChoice),
    /// Turn the scheduler on or off while the app runs.
    SetScheduler(bool),
    StartSync(SyncRequest),
    CancelJob(JobId),
    /// Start the built-in demo tenant and fill the client form with its credentials.
    AddDemoClient,
    Clients(clients::Action),
    Jobs(jobs::Action),
    Directory(directory::Action),
    Schedules(schedules::Action),
}

/// The commands of one frame.
#[derive(Debug, Default)]
pub struct Commands(Vec<Command>);

impl Commands {
    pub fn push(&mut self, command: Command) {
        self.0.push(command);
    }

    pub fn take(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.0)
    }
}
