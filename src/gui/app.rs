//! The eframe `App`: `logic()` drains engine events (under a small budget) and polls
//! background work; `ui()` lays out the navigation, the current page and the status bar,
//! then carries out the frame's commands.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use poll_promise::Promise;

use super::app_state::{AppState, Page, ThemeChoice};
use super::command::{Command, Commands};
use super::data::{RunningJob, SchedulerState, Shared};
use super::pages::Pages;
use super::tasks::{Outcome, Tasks, take_ready};
use super::{AppConfig, demo, scheduler, status_bar, theme};
use crate::emulator::DemoTenant;
use crate::engine::{EngineError, EngineHandle, Event, SyncRefusal, SyncRequest};
use crate::model::{Client, ClientKey, JobId};
use crate::store::Store;

/// Most time `logic()` spends draining engine events in one frame.
const EVENT_BUDGET: Duration = Duration::from_millis(3);

type StartAnswer = (SyncRequest, Result<JobId, SyncRefusal>);

pub struct App {
    // Dropped first: the demo tenant lives on the engine runtime.
    demo: Option<DemoTenant>,
    demo_start: Option<Promise<Outcome<DemoTenant>>>,
    state: AppState,
    applied_theme: Option<ThemeChoice>,
    shared: Shared,
    pages: Pages,
    commands: Commands,
    clients_load: Option<Promise<Outcome<ClientsSnapshot>>>,
    starts: Vec<Promise<StartAnswer>>,
    scheduler: scheduler::SchedulerLink,
    demo_users: usize,
    /// Engine events handled so far (benchmarks compare frames with events).
    events_handled: u64,
    tasks: Tasks,
    engine: EngineHandle,
}

struct ClientsSnapshot {
    clients: Vec<Client>,
    sizes: HashMap<ClientKey, u64>,
}

impl App {
    /// The app as eframe creates it: restores the persisted UI state.
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> Result<App, EngineError> {
        let state = cc
            .storage
            .and_then(|s| eframe::get_value::<AppState>(s, eframe::APP_KEY))
            .unwrap_or_default();
        Self::with_state(&cc.egui_ctx, config, state)
    }

    /// The app without eframe (tests, benchmarks): default UI state.
    pub fn new_for_tests(ctx: &egui::Context, config: AppConfig) -> Result<App, EngineError> {
        Self::with_state(ctx, config, AppState::default())
    }

    fn with_state(
        ctx: &egui::Context,
        config: AppConfig,
        mut state: AppState,
    ) -> Result<App, EngineError> {
        let data_dir = config.engine.data_dir.clone();
        let backend = config.engine.backend;
        let engine = EngineHandle::start(config.engine)?;
        let waker_ctx = ctx.clone();
        engine.set_waker(move || waker_ctx.request_repaint());
        let tasks = Tasks::new(
            engine.runtime().clone(),
            ctx.clone(),
            data_dir.clone(),
            backend,
        );
        if let Some(page) = config.start_page {
            state.page = page;
        }
        let secret_store = match backend {
            crate::secrets::Backend::Os => {
                format!("OS keyring ({})", crate::secrets::os_store_name())
            }
            crate::secrets::Backend::File => "file store (secrets.json, weaker)".to_string(),
        };
        let shared = Shared {
            clock: config.clock,
            data_dir,
            secret_store,
            clients: Vec::new(),
            clients_loaded: false,
            directory_sizes: HashMap::new(),
            clients_error: None,
            running: Default::default(),
            starting: HashMap::new(),
            outcomes: HashMap::new(),
            outcome_times: HashMap::new(),
            refusals: HashMap::new(),
            data_version: 1,
            clients_version: 1,
            reload_clients: true,
            notice: None,
            scheduler: SchedulerState::Off,
            demo_url: None,
            page: state.page,
        };
        let pages = Pages::new(&tasks, config.save_dialog);
        let scheduler = scheduler::SchedulerLink::start(&engine, config.run_scheduler);
        let mut app = App {
            demo: None,
            demo_start: None,
            state,
            applied_theme: None,
            shared,
            pages,
            commands: Commands::default(),
            clients_load: None,
            starts: Vec::new(),
            scheduler,
            demo_users: config.demo_users,
            events_handled: 0,
            tasks,
            engine,
        };
        app.apply_theme(ctx);
        Ok(app)
    }

    /// What the app shares with its pages (tests read it).
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The pages and their state (tests read it).
    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    pub fn page(&self) -> Page {
        self.shared.page
    }

    /// The UI state eframe persists.
    pub fn persisted_state(&self) -> AppState {
        AppState {
            page: self.shared.page,
            theme: self.state.theme,
        }
    }

    /// True while background work or a sync is still under way (tests wait for this).
    pub fn is_busy(&self) -> bool {
        self.clients_load.is_some()
            || !self.starts.is_empty()
            || self.demo_start.is_some()
            || !self.shared.running.is_empty()
            || !self.shared.starting.is_empty()
            || self.pages.is_busy()
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        if self.applied_theme != Some(self.state.theme) {
            theme::apply(ctx, self.state.theme);
            self.applied_theme = Some(self.state.theme);
        }
    }

    fn drain_events(&mut self) {
        let started = Instant::now();
        while started.elapsed() < EVENT_BUDGET {
            let Some(event) = self.engine.try_event() else {
                return;
            };
            self.handle_event(event);
        }
        // Budget spent with events left: come back next frame.
        self.tasks.ctx().request_repaint();
    }

    /// Engine events handled since the start.
    pub fn events_handled(&self) -> u64 {
        self.events_handled
    }

    fn handle_event(&mut self, event: Event) {
        self.events_handled += 1;
        let shared = &mut self.shared;
        match event {
            Event::JobStarted {
                job,
                client,
                client_name,
                kind,
                trigger,
            } => {
                shared.starting.remove(&client);
                shared.refusals.remove(&client);
                shared.running.insert(
                    job,
                    RunningJob {
                        job,
                        client,
                        client_name,
                        kind,
                        trigger,
                        progress: None,
                        cancel_requested: false,
                        expected_users: shared.directory_sizes.get(&client).copied(),
                        started: Instant::now(),
                    },
                );
                shared.data_version += 1;
            }
            Event::JobProgress(progress) => {
                if let Some(running) = shared.running.get_mut(&progress.job) {
                    running.progress = Some(progress);
                }
            }
            Event::JobFinished(outcome) => {
                shared.running.remove(&outcome.job);
                shared.starting.remove(&outcome.client);
                shared.notify(format!(
                    "Sync of \"{}\" (job {}): {}",
                    outcome.client_name,
                    outcome.job,
                    theme::job_status_text(outcome.status).to_lowercase()
                ));
                let now = shared.now();
                shared.outcome_times.insert(outcome.client, now);
                shared.outcomes.insert(outcome.client, outcome);
                shared.data_version += 1;
            }
            Event::SyncRefused { client, refusal } => {
                shared.starting.remove(&client);
                let text = format!("Not started: {refusal}.");
                shared.notify_error(text.clone());
                shared.refusals.insert(client, text);
            }
            Event::DataChanged => {
                shared.data_version += 1;
                shared.reload_clients = true;
            }
        }
    }

    fn poll(&mut self) {
        if let Some(result) = take_ready(&mut self.clients_load) {
            match result {
                Ok(snapshot) => {
                    self.shared.clients = snapshot.clients;
                    self.shared.directory_sizes = snapshot.sizes;
                    self.shared.clients_error = None;
                }
                Err(e) => self.shared.clients_error = Some(e),
            }
            self.shared.clients_loaded = true;
            self.shared.clients_version += 1;
        }
        if self.shared.reload_clients && self.clients_load.is_none() {
            self.shared.reload_clients = false;
            self.clients_load = Some(self.tasks.with_store(|store, _, _| {
                load_clients(store).map_err(|e| format!("cannot read the saved clients: {e}"))
            }));
        }
        let mut pending = Vec::new();
        for start in std::mem::take(&mut self.starts) {
            match start.try_take() {
                Ok((request, result)) => {
                    self.shared.starting.remove(&request.client);
                    if let Err(refusal) = result {
                        let text = format!("Not started: {refusal}.");
                        self.shared.notify_error(text.clone());
                        self.shared.refusals.insert(request.client, text);
                    }
                }
                Err(start) => pending.push(start),
            }
        }
        self.starts = pending;
        if let Some(result) = take_ready(&mut self.demo_start) {
            match result {
                Ok(tenant) => {
                    let creds = demo::DemoCredentials::of(&tenant);
                    self.shared.demo_url = Some(tenant.authority_url());
                    self.demo = Some(tenant);
                    self.pages
                        .clients
                        .fill_demo(&creds, &self.shared, &self.tasks);
                    self.shared.page = Page::Clients;
                    self.shared.notify(format!(
                        "Demo tenant running on {}; press Validate & Save to add it.",
                        creds.url
                    ));
                }
                Err(e) => {
                    self.shared
                        .notify_error(format!("The demo tenant did not start: {e}"));
                    self.pages.info.demo_error = Some(e);
                }
            }
        }
        self.scheduler.poll(&self.engine, &mut self.shared);
    }

    fn run_commands(&mut self, ctx: &egui::Context) {
        for command in self.commands.take() {
            match command {
                Command::Navigate(page) => self.shared.page = page,
                Command::OpenJob(job) => {
                    self.shared.page = Page::Jobs;
                    self.pages.jobs.open_job(job, &self.tasks);
                }
                Command::SetTheme(choice) => {
                    self.state.theme = choice;
                    self.apply_theme(ctx);
                }
                Command::SetScheduler(on) => {
                    self.scheduler.set(&self.engine, on);
                    self.scheduler.poll(&self.engine, &mut self.shared);
                }
                Command::StartSync(request) => self.start_sync(request),
                Command::CancelJob(job) => {
                    if let Some(running) = self.shared.running.get_mut(&job) {
                        running.cancel_requested = true;
                    }
                    if !self.engine.cancel(job) {
                        self.shared
                            .notify_error("The engine did not take the cancel request; try again.");
                    }
                }
                Command::AddDemoClient => self.start_demo(),
                Command::Clients(action) => self.pages.clients.run(
                    action,
                    &mut self.shared,
                    &self.tasks,
                    &mut self.commands,
                ),
                Command::Jobs(action) => self.pages.jobs.run(action, &self.tasks),
                Command::Directory(action) => self.pages.directory.run(action, &self.tasks),
                Command::Schedules(action) => {
                    self.pages
                        .schedules
                        .run(action, &mut self.shared, &self.tasks)
                }
            }
        }
    }

    fn start_sync(&mut self, request: SyncRequest) {
        self.shared.refusals.remove(&request.client);
        self.shared.starting.insert(request.client, request.clone());
        let answer = self.engine.start_sync(request.clone());
        self.starts.push(self.tasks.spawn(async move {
            let result = answer.await.unwrap_or(Err(SyncRefusal::EngineStopped));
            (request, result)
        }));
    }

    fn start_demo(&mut self) {
        if self.demo_start.is_some() {
            return;
        }
        if let Some(tenant) = &self.demo {
            let creds = demo::DemoCredentials::of(tenant);
            self.pages
                .clients
                .fill_demo(&creds, &self.shared, &self.tasks);
            self.shared.page = Page::Clients;
            return;
        }
        let port = demo::saved_demo_port(&self.shared.clients);
        self.demo_start = Some(self.tasks.spawn(demo::start(port, self.demo_users)));
    }

    fn navigation_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.add_space(4.0);
            ui.label(egui::RichText::new("User Sync").size(18.0).strong());
        });
        ui.add_space(10.0);
        for page in Page::ALL {
            let selected = self.shared.page == page;
            let button = egui::Button::selectable(selected, page.label())
                .min_size(egui::vec2(ui.available_width(), 30.0));
            let response = ui.add(button).on_hover_text(page.purpose());
            if response.clicked() {
                self.commands.push(Command::Navigate(page));
            }
        }
        ui.with_layout(egui::Layout::bottom_up(egui::Align::LEFT), |ui| {
            ui.add_space(8.0);
            let mut choice = self.state.theme;
            let response = egui::ComboBox::from_id_salt("theme_choice")
                .selected_text(choice.label())
                .width(ui.available_width() - 8.0)
                .show_ui(ui, |ui| {
                    for option in ThemeChoice::ALL {
                        ui.selectable_value(&mut choice, option, option.label());
                    }
                })
                .response;
            let label = ui.label("Theme");
            let _ = response
                .labelled_by(label.id)
                .on_hover_text("Light or dark; by default the app follows the system setting");
            if choice != self.state.theme {
                self.commands.push(Command::SetTheme(choice));
            }
        });
    }

    fn shortcuts(&mut self, ui: &egui::Ui) {
        let keys = [
            egui::Key::Num1,
            egui::Key::Num2,
            egui::Key::Num3,
            egui::Key::Num4,
            egui::Key::Num5,
            egui::Key::Num6,
        ];
        for (key, page) in keys.into_iter().zip(Page::ALL) {
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, key)) {
                self.commands.push(Command::Navigate(page));
            }
        }
    }
}

fn load_clients(store: &Store) -> crate::store::Result<ClientsSnapshot> {
    let clients = store.list_clients()?;
    let mut sizes = HashMap::new();
    for c in &clients {
        sizes.insert(c.key, store.count_active_users(c.key)? as u64);
    }
    Ok(ClientsSnapshot { clients, sizes })
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events();
        self.poll();
        self.pages.logic(&mut self.shared, &self.tasks);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.apply_theme(&ctx);
        self.shortcuts(ui);
        egui::Panel::bottom("status_bar")
            .frame(
                egui::Frame::side_top_panel(ui.style())
                    .inner_margin(egui::Margin::symmetric(10, 4)),
            )
            .show(ui, |ui| {
                status_bar::ui(ui, &self.shared, &mut self.commands);
            });
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(190.0)
            .show(ui, |ui| self.navigation_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            self.pages
                .ui(self.shared.page, ui, &self.shared, &mut self.commands);
        });
        self.run_commands(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.persisted_state());
    }

    /// egui's memory holds widget state (text edit contents included): never persisted.
    fn persist_egui_memory(&self) -> bool {
        false
    }
}
