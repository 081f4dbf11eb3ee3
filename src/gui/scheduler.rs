//! The scheduler while the app is open: the engine's scheduler service, started with the
//! app (and switchable from the status bar), reported in the status bar.

use super::data::{SchedulerState, Shared};
use crate::engine::{EngineHandle, SchedulerConfig};

pub struct SchedulerLink {
    wanted: bool,
}

impl SchedulerLink {
    pub fn start(engine: &EngineHandle, enabled: bool) -> Self {
        if enabled {
            engine.start_scheduler(SchedulerConfig::default());
        }
        Self { wanted: enabled }
    }

    pub fn set(&mut self, engine: &EngineHandle, on: bool) {
        self.wanted = on;
        if on {
            engine.start_scheduler(SchedulerConfig::default());
        } else {
            engine.stop_scheduler();
        }
    }

    /// Copies the service's status (an in-memory read, no I/O) for the status bar.
    pub fn poll(&self, engine: &EngineHandle, shared: &mut Shared) {
        let status = engine.scheduler_status();
        shared.scheduler = if status.running {
            SchedulerState::On {
                active_schedules: status.active_schedules,
                next: status.next_run.map(|n| {
                    format!(
                        "{} ({}) at {}",
                        n.schedule,
                        n.client,
                        super::widgets::local_time(n.at)
                    )
                }),
                problem: status.last_error,
            }
        } else if self.wanted {
            SchedulerState::Failed(
                status
                    .last_error
                    .unwrap_or_else(|| "the scheduler stopped".to_string()),
            )
        } else {
            SchedulerState::Off
        };
    }
}
