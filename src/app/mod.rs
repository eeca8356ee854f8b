//! The eframe application: the [`Workspace`] state, navigation, the
//! [`Command`]s that views send and the one place that applies them, and
//! the background jobs that load data. One file per view under `views/`,
//! shared widgets under `widgets/`, colours and sizes in `theme`.
//!
//! Views never read files or compute heavy results on the UI thread: they
//! ask for work by sending a command, and the app starts a job.

pub mod dashboards;
mod feeds;
mod fonts;
pub mod i18n;
pub mod live;
pub mod panels;
pub mod png_export;
pub mod present;
pub mod raster;
pub mod state;
mod tasks;
pub mod theme;
pub mod views;
pub mod widgets;
pub mod workspace;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;

use crate::data::{self, Dataset, LoadError, LoadOptions};
use crate::jobs::Wake;
use crate::trf;
use i18n::tr;
use tasks::{ExportOutcome, Finished, Outcome, PngOutcome, TaskKind, Tasks, WorkspaceOutcome};

pub use state::{Command, DatasetEntry, TimeWindow, ViewCtx, ViewId, Workspace};

/// How the dashboard is started.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// CSV files to load; when empty the demo city is loaded.
    pub files: Vec<PathBuf>,
    /// Save a PNG of the window once data is loaded, then exit.
    pub screenshot: Option<PathBuf>,
    /// The view to open first.
    pub view: Option<ViewId>,
    /// The zone for timestamps written without an offset.
    pub time_zone: Option<TimeZone>,
    /// Ignore the saved workspace (tests and screenshots).
    pub fresh: bool,
    /// The models folder; without one, `CITYOPS_MODELS`, the workspace's
    /// setting or the user's data folder (see `models::folder`).
    pub models_dir: Option<PathBuf>,
    /// Where sentence embeddings are cached (default: the user's cache
    /// folder, see `EmbeddingCache::default_dir`).
    pub cache_dir: Option<PathBuf>,
    /// Start in presentation mode.
    pub present: bool,
    /// Open this workspace file (its files, view, range and settings).
    pub workspace: Option<PathBuf>,
    /// The language of the user interface (default: the remembered one).
    pub lang: Option<i18n::Lang>,
    /// Draw the first view into this PNG once data is loaded, then exit.
    pub export_view: Option<PathBuf>,
    /// The scale of that PNG relative to the screen (default 2).
    pub export_scale: Option<f32>,
    /// Plain http data URLs to other computers.
    pub allow_http: bool,
}

/// Opens the dashboard window and runs until it is closed.
pub fn run(opts: AppOptions) -> anyhow::Result<()> {
    let unattended = opts.screenshot.is_some() || opts.export_view.is_some();
    let size = if unattended {
        [1600.0, 1000.0]
    } else {
        [1440.0, 900.0]
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("cityops")
            .with_inner_size(size)
            .with_min_inner_size([800.0, 500.0])
            .with_drag_and_drop(true),
        persist_window: !unattended,
        // An unattended run neither reads nor writes the user's saved state
        // (a window left full screen would be restored full screen). eframe
        // takes this path as the state file itself.
        persistence_path: unattended.then(|| {
            std::env::temp_dir().join(format!("cityops-unattended-{}.ron", std::process::id()))
        }),
        ..Default::default()
    };
    let screenshot = opts.screenshot.clone().or_else(|| opts.export_view.clone());
    eframe::run_native(
        "cityops",
        native,
        Box::new(move |cc| Ok(Box::new(CityApp::new(cc, opts)))),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))?;
    if unattended {
        let _ = std::fs::remove_file(
            std::env::temp_dir().join(format!("cityops-unattended-{}.ron", std::process::id())),
        );
    }
    if let Some(path) = screenshot
        && !path.exists()
    {
        anyhow::bail!(
            "no image was written to {}: the window closed before the data was shown, or drawing failed (see above)",
            path.display()
        );
    }
    Ok(())
}

/// An error shown to the user until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct UiError {
    pub title: String,
    pub message: String,
}

/// What the screenshot mode is waiting for.
enum ScreenshotState {
    Off,
    /// Waiting for loads to finish; then `frames` quiet frames.
    Settling {
        frames: u32,
        since: Instant,
    },
    Requested,
    Saved,
}

pub struct CityApp {
    pub ws: Workspace,
    /// Every background job of the app's own: loads, the file dialog,
    /// exports, imports, workspace files, PNGs.
    tasks: Tasks,
    pub errors: Vec<UiError>,
    pub notices: Vec<String>,
    /// A models folder an opened workspace asks for, shown until the user
    /// confirms or declines it: a workspace file from someone else must
    /// not point the dashboard at a folder of models unseen.
    pending_models_dir: Option<PathBuf>,
    views: views::Views,
    wake: Wake,
    screenshot_path: Option<PathBuf>,
    screenshot: ScreenshotState,
    screenshot_result: Arc<std::sync::Mutex<Option<Result<(), String>>>>,
    path_entry: String,
    show_path_entry: bool,
    load_options: LoadOptions,
    cjk_font: fonts::CjkFontStatus,
    cjk_notice_shown: bool,
    /// The CJK font was loaded before this frame began, so egui has it now
    /// (fonts added during a frame arrive with the next one).
    cjk_usable: bool,
    cjk_loaded_last_frame: bool,
    window_editor: widgets::TimeWindowEditor,
    basemap_editor: widgets::map::BasemapEditor,
    /// What is typed into Open URL….
    open_url: widgets::open_url::OpenUrl,
    /// Live sources' refresh state.
    live: live::Live,
    /// The MQTT feeds followed.
    feeds: feeds::Feeds,
    /// Presentation mode, when on.
    presentation: Option<present::Presentation>,
    /// `--present` with `--workspace`: presentation starts once the
    /// workspace is open (opening one ends a presentation).
    present_after_open: bool,
    egui_ctx: egui::Context,
    /// The alert check, keyed on the datasets' revisions and the rules.
    alert_check: widgets::Background<AlertKey, (Vec<data::alerts::Alert>, Option<String>)>,
    /// A PNG export to draw after this frame (it needs the GL context).
    png_request: Option<png_export::PngRequest>,
    /// The central panel (the view) on screen, points.
    view_rect: egui::Rect,
    /// `--export-view`: where and at which scale; exit when written.
    export_view: Option<(PathBuf, f32)>,
}

/// What the alert check depends on: (dataset id, revision) pairs and the
/// rules as JSON.
type AlertKey = (Vec<(u64, u64)>, String);

/// Room the presentation bar's controls take on the right, in points
/// (the step buttons, Pause, Leave and "view 3 of 5 · next in 20 s").
const PRESENT_CONTROLS_WIDTH: f32 = 560.0;

impl CityApp {
    pub fn new(cc: &eframe::CreationContext<'_>, opts: AppOptions) -> Self {
        theme::apply(&cc.egui_ctx, theme::Theme::Dark);
        // egui remembers the zoom across runs: one closed while presenting
        // would start zoomed.
        if (cc.egui_ctx.zoom_factor() - present::ZOOM).abs() < 1e-3 {
            cc.egui_ctx.set_zoom_factor(1.0);
        }
        let cjk_font = fonts::load_cjk_font_in_background(&cc.egui_ctx);
        let mut ws = if opts.fresh || opts.screenshot.is_some() || opts.export_view.is_some() {
            Workspace::default()
        } else {
            cc.storage
                .and_then(|s| eframe::get_value::<Workspace>(s, eframe::APP_KEY))
                .unwrap_or_default()
        };
        if let Some(v) = opts.view {
            ws.view = v;
        }
        ws.cache_dir = opts.cache_dir.clone();
        if let Some(lang) = opts.lang {
            ws.lang = lang;
        }
        i18n::set(ws.lang);
        theme::apply(&cc.egui_ctx, ws.theme);
        ws.models_dir =
            crate::models::folder::resolve(opts.models_dir.as_deref(), Some(&ws.models_dir)).path;
        let ctx = cc.egui_ctx.clone();
        let wake: Wake = Arc::new(move || ctx.request_repaint());
        let mut app = Self {
            ws,
            tasks: Tasks::default(),
            errors: Vec::new(),
            notices: Vec::new(),
            pending_models_dir: None,
            views: views::Views::default(),
            wake,
            screenshot: if opts.screenshot.is_some() || opts.export_view.is_some() {
                ScreenshotState::Settling {
                    frames: 0,
                    since: Instant::now(),
                }
            } else {
                ScreenshotState::Off
            },
            screenshot_path: opts.screenshot,
            screenshot_result: Arc::new(std::sync::Mutex::new(None)),
            path_entry: String::new(),
            show_path_entry: false,
            cjk_font,
            cjk_notice_shown: false,
            cjk_usable: false,
            cjk_loaded_last_frame: false,
            window_editor: widgets::TimeWindowEditor::default(),
            basemap_editor: widgets::map::BasemapEditor::default(),
            open_url: widgets::open_url::OpenUrl::default(),
            live: live::Live::default(),
            feeds: feeds::Feeds::default(),
            load_options: LoadOptions {
                time_zone: opts.time_zone,
                delimiter: None,
                allow_http: opts.allow_http,
                ..LoadOptions::default()
            },
            presentation: None,
            present_after_open: false,
            egui_ctx: cc.egui_ctx.clone(),
            alert_check: widgets::Background::default(),
            png_request: None,
            view_rect: egui::Rect::NOTHING,
            export_view: opts
                .export_view
                .clone()
                .map(|p| (p, opts.export_scale.unwrap_or(2.0))),
        };
        if let Some(file) = opts.workspace {
            app.apply(Command::OpenWorkspace(Some(file)));
        } else if opts.files.is_empty() {
            // The demo city, or what the last session had open.
            app.reopen_sources();
        } else {
            app.apply(Command::OpenPaths(opts.files));
        }
        if opts.present && app.tasks.running(TaskKind::Workspace) {
            app.present_after_open = true;
        } else if opts.present {
            app.apply(Command::Present(true));
        } else {
            // A session that was closed while presenting left the window
            // full screen in the saved state; a new one starts windowed.
            cc.egui_ctx
                .send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
        }
        app
    }

    /// Opens the workspace's recorded files (and the demo city when it was
    /// open); a file that no longer exists gets a note, and the rest opens.
    fn reopen_sources(&mut self) {
        let (existing, missing): (Vec<PathBuf>, Vec<PathBuf>) = self
            .ws
            .open_files
            .iter()
            .cloned()
            .partition(|p| p.is_file());
        for p in missing {
            self.notices.push(trf!(
                "{} no longer exists, so it was not opened; the rest of the workspace was.",
                p.display()
            ));
        }
        let nothing_else = self.ws.open_databases.is_empty() && self.ws.open_feeds.is_empty();
        if self.ws.demo_open
            || (existing.is_empty() && self.ws.open_files.is_empty() && nothing_else)
        {
            self.apply(Command::LoadDemo);
        }
        if !existing.is_empty() {
            self.apply(Command::OpenPaths(existing));
        }
        // Database tables connect again with PGPASSWORD or the password
        // given this session; without one, the error says to give it.
        for db in self.ws.open_databases.clone() {
            self.apply(Command::OpenDatabase(db));
        }
        for url in self.ws.open_feeds.clone() {
            self.apply(Command::OpenFeed(url));
        }
    }

    fn start_workspace_save(&mut self, path: Option<PathBuf>) {
        if self.tasks.running(TaskKind::Workspace) {
            return;
        }
        self.ws.snapshot_sources();
        let value = match serde_json::to_value(&self.ws) {
            Ok(v) => v,
            Err(e) => {
                self.errors.push(UiError {
                    title: tr("Could not save the workspace").to_owned(),
                    message: e.to_string(),
                });
                return;
            }
        };
        self.spawn_workspace_job("save workspace", path, move |path, lang| {
            let path = path.or_else(|| {
                rfd::FileDialog::new()
                    .set_title(i18n::tr_in(lang, "Save the workspace"))
                    .set_file_name("workspace.cityops.json")
                    .add_filter(i18n::tr_in(lang, "cityops workspace"), &["json"])
                    .save_file()
            });
            let Some(path) = path else {
                return WorkspaceOutcome::NoChoice;
            };
            match workspace::save_workspace_file(value, &path) {
                Ok(()) => WorkspaceOutcome::Saved(path),
                Err(e) => WorkspaceOutcome::Failed(e),
            }
        });
    }

    fn start_workspace_open(&mut self, path: Option<PathBuf>) {
        if self.tasks.running(TaskKind::Workspace) {
            return;
        }
        self.spawn_workspace_job("open workspace", path, |path, lang| {
            let path = path.or_else(|| {
                rfd::FileDialog::new()
                    .set_title(i18n::tr_in(lang, "Open a workspace"))
                    .add_filter(i18n::tr_in(lang, "cityops workspace"), &["json"])
                    .pick_file()
            });
            let Some(path) = path else {
                return WorkspaceOutcome::NoChoice;
            };
            match workspace::read_workspace_file(&path) {
                Ok(ws) => WorkspaceOutcome::Opened(Box::new(ws), path),
                Err(e) => WorkspaceOutcome::Failed(e),
            }
        });
    }

    /// Runs a workspace save or open (with its dialog when `path` is
    /// `None`) in the background, in this thread's language; a job that
    /// cannot start is reported.
    fn spawn_workspace_job(
        &mut self,
        name: &'static str,
        path: Option<PathBuf>,
        work: impl FnOnce(Option<PathBuf>, i18n::Lang) -> WorkspaceOutcome + Send + 'static,
    ) {
        let lang = i18n::current();
        self.spawn_task(
            TaskKind::Workspace,
            name.to_owned(),
            tr("Workspace").to_owned(),
            move |_| {
                i18n::set(lang);
                Outcome::Workspace(work(path, lang))
            },
        );
    }

    /// Starts one of the app's tasks; a start that fails (no thread to be
    /// had) reaches the user under `title`.
    fn spawn_task(
        &mut self,
        kind: TaskKind,
        label: String,
        title: String,
        work: impl FnOnce(&crate::jobs::JobProgress) -> Outcome + Send + 'static,
    ) {
        if let Err(e) = self.tasks.spawn(kind, label, Arc::clone(&self.wake), work) {
            self.errors.push(UiError {
                title,
                message: trf!(
                    "{}. The system is out of threads or memory; close other programs and try again.",
                    e
                ),
            });
        }
    }

    fn workspace_done(&mut self, outcome: WorkspaceOutcome) {
        self.workspace_outcome(outcome);
        if std::mem::take(&mut self.present_after_open) {
            self.apply(Command::Present(true));
        }
    }

    fn workspace_outcome(&mut self, outcome: WorkspaceOutcome) {
        match outcome {
            WorkspaceOutcome::Saved(p) => self
                .notices
                .push(trf!("Saved the workspace to {}.", p.display())),
            WorkspaceOutcome::NoChoice => {}
            WorkspaceOutcome::Failed(e) => self.errors.push(UiError {
                title: tr("Workspace").to_owned(),
                message: e,
            }),
            WorkspaceOutcome::Opened(new, p) => {
                // The file's settings and data replace the current ones;
                // runtime parts (cache folder, connected servers) stay.
                self.apply(Command::Present(false));
                let ids: Vec<u64> = self.ws.datasets.iter().map(|e| e.id).collect();
                for id in ids {
                    self.ws.remove_dataset(id);
                }
                self.ws.view = new.view;
                self.ws.window = new.window;
                // Another models folder is used only once confirmed.
                self.pending_models_dir =
                    (new.models_dir != self.ws.models_dir).then_some(new.models_dir);
                self.ws.playlist = new.playlist;
                self.ws.alert_rules = new.alert_rules;
                self.ws.dashboards = new.dashboards;
                self.ws.dashboards.revision += 1;
                self.apply(Command::SetTheme(new.theme));
                self.apply(Command::SetLang(new.lang));
                self.ws.open_files = new.open_files;
                self.ws.open_databases = new.open_databases;
                self.ws.open_feeds = new.open_feeds;
                self.ws.demo_open = new.demo_open;
                // The live sources and the basemap are the file's too.
                self.ws.refresh = new.refresh;
                self.apply(Command::SetBasemap(new.basemap));
                self.notices
                    .push(trf!("Opened the workspace {}.", p.display()));
                self.reopen_sources();
            }
        }
    }

    /// The question whether to use the models folder an opened workspace
    /// names: the folder in full, and two labelled buttons.
    fn models_dir_confirmation_ui(&mut self, ui: &mut egui::Ui) {
        let Some(dir) = &self.pending_models_dir else {
            return;
        };
        let mut answer = None;
        egui::Frame::new()
            .fill(theme::error_bg(ui))
            .inner_margin(6.0)
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label(trf!(
                        "This workspace asks to use the models folder {}. Models are read from it only if you confirm.",
                        dir.display()
                    ));
                    if ui.button(tr("Use this models folder")).clicked() {
                        answer = Some(true);
                    }
                    if ui.button(tr("Keep the current models folder")).clicked() {
                        answer = Some(false);
                    }
                });
            });
        match answer {
            Some(true) => {
                if let Some(dir) = self.pending_models_dir.take() {
                    self.ws.models_dir = dir;
                }
            }
            Some(false) => self.pending_models_dir = None,
            None => {}
        }
    }

    /// Re-checks the alert thresholds in the background whenever a dataset
    /// or a threshold changes; the latest answer is in `ws.alerts`.
    fn check_alerts(&mut self, ctx: &egui::Context) {
        let revisions: Vec<(u64, u64)> = self
            .ws
            .datasets
            .iter()
            .map(|e| (e.id, e.revision))
            .collect();
        let rules = format!(
            "{}|{}",
            serde_json::to_string(&self.ws.alert_rules).unwrap_or_default(),
            self.ws.models_dir.display()
        );
        let key = (revisions, rules);
        let datasets: Vec<Arc<data::Dataset>> = self
            .ws
            .datasets
            .iter()
            .map(|e| Arc::clone(&e.dataset))
            .collect();
        let r = self.ws.alert_rules.clone();
        let models_dir = self.ws.models_dir.clone();
        self.alert_check.ensure(ctx, &key, move || {
            move |_| {
                let refs: Vec<&data::Dataset> = datasets.iter().map(|d| d.as_ref()).collect();
                let mut alerts = data::alerts::evaluate(&refs, &r);
                // A forecast rule whose model cannot be loaded is reported
                // next to the rule (Overview), not as an alert.
                let mut problem = None;
                if let Some(level) = r.forecast_above {
                    match crate::models::alerts::load_forecast_model(&models_dir, &r.forecast_model)
                    {
                        Ok(model) => alerts.extend(crate::models::alerts::forecast_breaches(
                            &model,
                            &r.forecast_model,
                            &refs,
                            level,
                        )),
                        Err(e) => problem = Some(e),
                    }
                }
                alerts.sort_by(|a, b| a.began.cmp(&b.began).then(a.key.cmp(&b.key)));
                (alerts, problem)
            }
        });
        if let Some(v) = self.alert_check.value() {
            self.ws.alerts = v.0.clone();
            self.ws.forecast_rule_problem = v.1.clone();
        }
    }

    /// Active alerts not yet acknowledged, as a red banner under the toolbar.
    fn alert_banner_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        for a in self
            .ws
            .alerts
            .iter()
            .filter(|a| !self.ws.acknowledged.contains(&a.key))
        {
            let tz = self
                .ws
                .datasets
                .iter()
                .find(|e| e.dataset.name == a.dataset)
                .map_or_else(TimeZone::system, |e| e.dataset.time_zone.clone());
            egui::Frame::new()
                .fill(theme::error_bg(ui))
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        let (title, detail) = i18n::alert_text(a);
                        ui.strong(trf!("Alert: {}", title));
                        ui.label(trf!(
                            "since {} · {} ({})",
                            widgets::format_instant(a.began as f64 / 1e6, &tz, "%a %b %d %H:%M"),
                            detail,
                            a.dataset
                        ));
                        let r = ui.button(tr("Acknowledge"));
                        let label = trf!("Acknowledge {}", title);
                        r.widget_info(|| {
                            egui::WidgetInfo::labeled(egui::Role::Button, true, &label)
                        });
                        if r.clicked() {
                            cmds.push(Command::Acknowledge(a.key.clone()));
                        }
                    });
                });
        }
    }

    /// True while any file or the demo city is still loading.
    pub fn is_loading(&self) -> bool {
        self.tasks.running(TaskKind::Load)
    }

    /// True while data loads or a view computes in the background (tests
    /// and the screenshot wait for this).
    pub fn is_busy(&self) -> bool {
        !self.tasks.is_empty()
            || self.views.is_busy()
            || self.alert_check.is_busy()
            || self.cjk_font.get() == fonts::CjkFont::Searching
            || self.png_request.is_some()
    }

    /// Applies one command. Every change to the workspace goes through here.
    pub fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::ShowView(v) => self.ws.view = v,
            Command::LoadDemo => {
                let tz = self.load_options.time_zone.clone();
                self.start_load(tr("Demo city").to_owned(), move |_p| {
                    let mut sets = data::demo_datasets();
                    if let Some(tz) = tz {
                        // The demo's timestamps are exact instants; showing
                        // them in another zone changes only the display.
                        for ds in &mut sets {
                            ds.time_zone = tz.clone();
                        }
                    }
                    Ok(sets)
                });
            }
            Command::OpenDialog => self.open_dialog(),
            Command::OpenPaths(paths) => {
                for path in paths {
                    let label = path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    let mut opts = self.load_options.clone();
                    opts.keep_partial = self.open_url.keep_partial;
                    // A path, or an http(s) URL given on the command line
                    // or pasted into Open URL… (downloaded, then read).
                    let spec = path.to_string_lossy().into_owned();
                    let label = if crate::sources::is_url(&spec) {
                        spec.clone()
                    } else {
                        label
                    };
                    self.start_load(label, move |p| {
                        crate::sources::load(&spec, &opts, p).map(|d| vec![d])
                    });
                }
            }
            Command::OpenFeed(url) => {
                let tz = self
                    .load_options
                    .time_zone
                    .clone()
                    .unwrap_or_else(TimeZone::system);
                if let Err(e) = self.feeds.follow(&url, tz, &self.egui_ctx) {
                    self.errors.push(UiError {
                        title: tr("Could not follow the feed").to_owned(),
                        message: e,
                    });
                }
            }
            Command::OpenDatabase(source) => {
                let opts = self.load_options.clone();
                self.start_load(source.describe(), move |p| {
                    crate::sources::postgres::load(&source, &opts, p).map(|d| vec![d])
                });
            }
            Command::OpenSheet { path, sheet } => {
                let mut opts = self.load_options.clone();
                opts.sheet = Some(sheet.clone());
                let label = format!(
                    "{} ({sheet})",
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned()
                    )
                );
                // The same file: the dataset read replaces the open one.
                self.start_load(label, move |p| {
                    data::load_dataset(&path, &opts, p).map(|d| vec![d])
                });
            }
            Command::SetRefresh { key, every } => match every {
                Some(s) => {
                    self.ws.refresh.insert(key, s.max(2));
                }
                None => {
                    self.ws.refresh.remove(&key);
                }
            },
            Command::CloseDataset(id) => self.ws.remove_dataset(id),
            Command::SelectDataset { domain, id } => {
                self.ws.active.insert(domain, id);
            }
            Command::ShowInDataView(id) => self.ws.data_view_dataset = Some(id),
            Command::AddDataset(ds) => {
                let id = self.ws.add_dataset(*ds);
                self.ws.data_view_dataset = Some(id);
            }
            Command::ExportCsv(id) => self.start_export(id, false, None),
            Command::ExportRangeCsv { id, to } => self.start_export(id, true, to),
            Command::SetRole { id, column, role } => {
                self.ws.update_dataset(id, |ds| {
                    if let Some(r) = ds.schema.roles.get_mut(column) {
                        *r = role;
                    }
                });
                self.remake_charts(id);
            }
            Command::SetDomain { id, domain } => {
                self.ws.update_dataset(id, |ds| ds.domain = domain);
                self.ws.active.insert(domain, id);
                self.remake_charts(id);
            }
            Command::SetTimeZone { id, zone } => match TimeZone::get(&zone) {
                Ok(tz) => {
                    self.ws.update_dataset(id, |ds| ds.set_time_zone(tz));
                    self.remake_charts(id);
                }
                Err(e) => self.errors.push(UiError {
                    title: trf!("Unknown time zone '{}'", zone),
                    message: trf!(
                        "{}. Use an IANA name such as America/Chicago, Europe/Berlin or UTC.",
                        e
                    ),
                }),
            },
            Command::SetWindow(w) => self.ws.window = w,
            Command::CancelLoad(i) => {
                if let Some(t) = self.tasks.of_kind(TaskKind::Load).nth(i) {
                    t.cancel();
                }
            }
            Command::DismissError(i) => {
                if i < self.errors.len() {
                    self.errors.remove(i);
                }
            }
            Command::RemoteConnected(server) => {
                self.ws.remotes.retain(|r| r.url != server.url);
                self.ws.remotes.push(server);
            }
            Command::Present(true) => {
                if self.presentation.is_none() {
                    let mut p = present::Presentation::start(&self.ws.playlist, self.ws.view);
                    p.return_window = self.ws.window;
                    if self.ws.window == TimeWindow::All {
                        let spans: Vec<(i64, i64, usize)> = self
                            .ws
                            .datasets
                            .iter()
                            .filter_map(|e| {
                                let (lo, hi) = e.dataset.time_extent()?;
                                Some((lo, hi, e.dataset.table.n_rows()))
                            })
                            .collect();
                        self.ws.window = present::recent_window(&spans);
                    }
                    if !self.ws.playlist.views.contains(&self.ws.view)
                        && let Some(v) = p.step(&self.ws.playlist, 0, |v| self.ws.presentable(v))
                    {
                        self.ws.view = v;
                    }
                    self.presentation = Some(p);
                    theme::set_presentation(&self.egui_ctx, true, self.ws.theme);
                    if self.screenshot_path.is_none() {
                        self.egui_ctx
                            .send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
                    }
                }
            }
            Command::Present(false) => {
                if let Some(p) = self.presentation.take() {
                    self.ws.view = p.return_to;
                    self.ws.window = p.return_window;
                    theme::set_presentation(&self.egui_ctx, false, self.ws.theme);
                    if self.screenshot_path.is_none() {
                        self.egui_ctx
                            .send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
                    }
                }
            }
            Command::PresentStep(delta) => {
                let Some(p) = &mut self.presentation else {
                    return;
                };
                let boards = &self.ws.dashboards;
                let select = if self.ws.view == ViewId::Dashboards {
                    p.step_dashboard(boards.selected, boards.list.len(), delta)
                } else {
                    None
                };
                let select = match select {
                    Some(i) => Some(i),
                    None => {
                        let ws = &self.ws;
                        match p.step(&ws.playlist, delta, |v| ws.presentable(v)) {
                            Some(v) => {
                                self.ws.view = v;
                                // A new pass over the dashboards starts at
                                // their first (or, going back, their last).
                                let n = self.ws.dashboards.list.len();
                                (v == ViewId::Dashboards && n > 0)
                                    .then(|| if delta < 0 { n - 1 } else { 0 })
                            }
                            None => None,
                        }
                    }
                };
                if let Some(i) = select {
                    self.ws
                        .dashboards
                        .apply(dashboards::DashboardCommand::Select(i), &self.ws.defaults);
                }
            }
            Command::SetAlertRules(rules) => self.ws.alert_rules = rules,
            Command::SetBasemap(b) => self.ws.basemap = b,
            Command::Dashboard(cmd) => {
                if let Some(note) = self.ws.dashboards.apply(cmd, &self.ws.defaults) {
                    self.notices.push(note);
                }
            }
            Command::ExploreDataset(id) => {
                self.ws.explore_dataset = Some(id);
                self.ws.view = ViewId::Explore;
            }
            Command::SetTheme(t) => {
                self.ws.theme = t;
                if self.presentation.is_none() {
                    theme::apply(&self.egui_ctx, t);
                }
            }
            Command::SetLang(lang) => {
                self.ws.lang = lang;
                i18n::set(lang);
            }
            Command::Acknowledge(key) => {
                self.ws.acknowledged.insert(key);
            }
            Command::SaveWorkspace(path) => self.start_workspace_save(path),
            Command::OpenWorkspace(path) => self.start_workspace_open(path),
            Command::ExportPng(req) => {
                if !self.tasks.running(TaskKind::Png) {
                    self.png_request = Some(req);
                }
            }
            Command::PresentPause => {
                if let Some(p) = &mut self.presentation {
                    p.paused = !p.paused;
                    p.shown_since = Instant::now();
                }
            }
        }
    }

    fn start_load(
        &mut self,
        label: String,
        work: impl FnOnce(&crate::jobs::JobProgress) -> Result<Vec<Dataset>, LoadError> + Send + 'static,
    ) {
        let work = move |p: &crate::jobs::JobProgress| {
            work(p).map(|sets| {
                sets.into_iter()
                    .map(|ds| {
                        let charts = tasks::Charts::of(&ds);
                        (ds, charts)
                    })
                    .collect()
            })
        };
        let title = trf!("Could not start loading {}", label);
        self.spawn_task(TaskKind::Load, label, title, move |p| {
            Outcome::Loaded(work(p))
        });
    }

    /// Finds, in the background, the choropleths that the open GeoJSON
    /// districts and the open tables make together (by a name column or by
    /// location), for the tables' default dashboards.
    fn suggest_choropleths(&mut self) {
        let geos: Vec<Arc<Dataset>> = self
            .ws
            .datasets
            .iter()
            .filter(|e| e.dataset.geometry.is_some())
            .map(|e| Arc::clone(&e.dataset))
            .collect();
        if geos.is_empty() {
            return;
        }
        let tables: Vec<Arc<Dataset>> = self
            .ws
            .datasets
            .iter()
            .filter(|e| e.dataset.geometry.is_none())
            .map(|e| Arc::clone(&e.dataset))
            .collect();
        self.spawn_task(
            TaskKind::Charts,
            tr("maps of districts").to_owned(),
            tr("Could not make the maps of districts").to_owned(),
            move |_| {
                let mut out = Vec::new();
                for t in &tables {
                    for g in &geos {
                        if let Some(spec) = crate::charts::choropleth_suggestion(t, g) {
                            out.push((t.name.clone(), spec));
                        }
                    }
                }
                Outcome::Choropleths(out)
            },
        );
    }

    /// Makes a dataset's suggested and default charts again, in the
    /// background, after the operator changed what its columns mean.
    fn remake_charts(&mut self, id: u64) {
        let Some(entry) = self.ws.entry(id) else {
            return;
        };
        let ds = Arc::clone(&entry.dataset);
        let revision = entry.revision;
        let label = trf!("charts of {}", ds.name);
        let title = trf!("Could not make the charts of {}", ds.name);
        self.spawn_task(TaskKind::Charts, label, title, move |_| {
            Outcome::Charts(ds.name.clone(), revision, tasks::Charts::of(&ds))
        });
    }

    /// Writes a dataset (or its rows in the selected time range) as CSV, in
    /// the background, to `to` or where the save dialog says.
    fn start_export(&mut self, id: u64, in_range: bool, to: Option<PathBuf>) {
        let Some(entry) = self.ws.entry(id) else {
            return;
        };
        if self.tasks.running(TaskKind::ExportCsv) {
            return;
        }
        let ds = Arc::clone(&entry.dataset);
        let range = self.ws.range_for(&ds);
        let day = |t: Option<i64>| {
            t.map(|t| widgets::format_instant(t as f64 / 1e6, &ds.time_zone, "%Y-%m-%d"))
        };
        let stem = png_export::file_stem(&ds.name);
        let default_name = match (in_range, day(range.start), day(range.end)) {
            (true, Some(a), Some(b)) => format!("{stem}_{a}_to_{b}.csv"),
            (true, None, Some(b)) => format!("{stem}_to_{b}.csv"),
            _ => format!("{stem}_{}.csv", jiff::Zoned::now().strftime("%Y-%m-%d")),
        };
        let lang = i18n::current();
        let work = move || -> ExportOutcome {
            let Some(path) = to.or_else(|| {
                rfd::FileDialog::new()
                    .set_title(i18n::tr_in(lang, "Export as CSV"))
                    .set_file_name(&default_name)
                    .add_filter("CSV", &["csv"])
                    .save_file()
            }) else {
                return Ok(None);
            };
            let table = match (in_range, ds.time_column()) {
                (true, Some(time)) => {
                    let rows: Vec<usize> = (0..ds.table.n_rows())
                        .filter(|&r| time.timestamp_at(r).is_some_and(|t| range.contains(t)))
                        .collect();
                    Arc::new(ds.table.take_rows(&rows))
                }
                _ => Arc::clone(&ds.table),
            };
            crate::data::csv_write::write_csv_file(&table, &ds.time_zone, &path)
                .map(|()| Some((path, table.n_rows())))
                .map_err(|e| e.to_string())
        };
        self.spawn_task(
            TaskKind::ExportCsv,
            "export".to_owned(),
            tr("Could not start the export").to_owned(),
            move |_| Outcome::Exported(work()),
        );
    }

    fn open_dialog(&mut self) {
        if self.tasks.running(TaskKind::FileDialog) {
            return;
        }
        let lang = i18n::current();
        self.spawn_task(
            TaskKind::FileDialog,
            "file dialog".to_owned(),
            tr("Could not open the file dialog").to_owned(),
            move |_| {
                Outcome::Picked(
                    rfd::FileDialog::new()
                        .set_title(i18n::tr_in(lang, "Open data files"))
                        .add_filter(
                            i18n::tr_in(lang, "CSV and text tables"),
                            &["csv", "tsv", "txt"],
                        )
                        .add_filter(
                            i18n::tr_in(lang, "GeoJSON (districts, roads, places)"),
                            &["geojson", "json"],
                        )
                        .add_filter(
                            i18n::tr_in(lang, "JSON tables (arrays of objects, NDJSON)"),
                            &["json", "ndjson", "jsonl"],
                        )
                        .add_filter(
                            i18n::tr_in(lang, "Parquet and Arrow"),
                            &["parquet", "pq", "arrow", "arrows", "feather", "ipc"],
                        )
                        .add_filter(
                            i18n::tr_in(lang, "Spreadsheets (Excel, OpenDocument)"),
                            &["xlsx", "xlsm", "xls", "xlsb", "ods"],
                        )
                        .add_filter(i18n::tr_in(lang, "All files"), &["*"])
                        .pick_files(),
                )
            },
        );
    }

    /// Applies every finished task's outcome: datasets into the workspace,
    /// notices and errors for the operator.
    /// Starts the live sources' refreshes that are due, and wakes the
    /// frame loop when the next one is.
    fn refresh_live(&mut self, ctx: &egui::Context) {
        // The feeds' new readings, as new revisions of their datasets.
        let datasets = &self.ws.datasets;
        let arrived = self.feeds.take(|id| datasets.iter().any(|e| e.id == id));
        for (key, id, ds) in arrived {
            match id {
                Some(id) => self.ws.update_dataset(id, |d| *d = ds),
                None => {
                    let id = self.ws.add_dataset(ds);
                    self.feeds.set_id(&key, id);
                }
            }
        }
        let now = std::time::Instant::now();
        let (due, next) = self.live.due(&self.ws.refresh, &self.ws.datasets, now);
        for d in due {
            let opts = self.load_options.clone();
            let label = d.key.clone();
            self.spawn_task(
                TaskKind::Refresh,
                label,
                tr("Could not start a refresh").to_owned(),
                move |p| Outcome::Refreshed(Box::new(live::run(d, &opts, p))),
            );
        }
        if let Some(next) = next {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
    }

    fn poll_tasks(&mut self) {
        for Finished {
            kind,
            label,
            started,
            outcome,
        } in self.tasks.finished()
        {
            let Some(outcome) = outcome else {
                self.errors.push(UiError {
                    title: match kind {
                        TaskKind::Load => trf!("Could not load {}", label),
                        _ => trf!("{} stopped", label),
                    },
                    message: tr("The task stopped unexpectedly. This is a bug in cityops; please report it with the file.").to_owned(),
                });
                continue;
            };
            match outcome {
                Outcome::Loaded(result) => self.loaded(&label, result),
                Outcome::Imported(Ok(m)) => {
                    self.notices
                        .push(trf!("{} into {}.", m, self.ws.models_dir.display()))
                }
                Outcome::Imported(Err(e)) => self.errors.push(UiError {
                    title: tr("Could not import the model").to_owned(),
                    message: e,
                }),
                Outcome::Exported(Ok(Some((path, rows)))) => {
                    self.notices
                        .push(trf!("Exported {} rows to {}.", rows, path.display()))
                }
                Outcome::Exported(Ok(None)) => {}
                Outcome::Exported(Err(e)) => self.errors.push(UiError {
                    title: tr("Export failed").to_owned(),
                    message: trf!(
                        "{}. Nothing was overwritten; choose another folder or free some space.",
                        e
                    ),
                }),
                Outcome::Picked(picked) => {
                    let quick = started.elapsed() < Duration::from_millis(300);
                    match picked {
                        Some(paths) if !paths.is_empty() => self.apply(Command::OpenPaths(paths)),
                        _ if quick || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() => {
                            // The portal answered at once: there is no dialog service.
                            self.show_path_entry = true;
                            self.notices.push(
                                tr("No file dialog is available on this system (the desktop portal is not running). \
                                 Drag a CSV file onto the window, type its path below, or start cityops with the file: cityops FILE.csv")
                                    .to_owned(),
                            );
                        }
                        _ => {}
                    }
                }
                Outcome::Workspace(o) => self.workspace_done(o),
                Outcome::Png(o) => self.png_done(o),
                Outcome::Refreshed(done) => {
                    let id = done.id;
                    if let Some(fresh) = self.live.finish(*done, std::time::Instant::now()) {
                        // Same name, same charts: the panels and alerts
                        // see a new revision and compute again.
                        self.ws.update_dataset(id, |ds| *ds = *fresh);
                    }
                }
                Outcome::Choropleths(list) => {
                    for (table, spec) in list {
                        let boards = &mut self.ws.dashboards;
                        let Some(i) = boards
                            .list
                            .iter()
                            .position(|d| d.made_for.as_deref() == Some(table.as_str()))
                        else {
                            continue;
                        };
                        let has = boards.list[i]
                            .panels()
                            .iter()
                            .any(|(_, p)| p.spec.geometry == spec.geometry);
                        if !has {
                            let note = boards.apply(
                                dashboards::DashboardCommand::Pin {
                                    dashboard: Some(i),
                                    spec: Box::new(spec),
                                },
                                &self.ws.defaults,
                            );
                            self.notices.extend(note);
                        }
                    }
                }
                Outcome::Charts(name, revision, charts) => {
                    // Only the newest: a later change has its own task.
                    let current = self
                        .ws
                        .datasets
                        .iter()
                        .any(|e| e.dataset.name == name && e.revision == revision);
                    if current {
                        self.ws.suggested.insert(name.clone(), charts.suggested);
                        self.ws.defaults.insert(name, charts.default);
                    }
                }
            }
        }
    }

    /// A load ended: its datasets join the workspace (a file of the
    /// operator's with a default dashboard of its charts; the demo city has
    /// its own views), or the reason it did not.
    fn loaded(&mut self, label: &str, result: Result<Vec<tasks::Loaded>, LoadError>) {
        match result {
            Ok(sets) => {
                for (
                    mut dataset,
                    tasks::Charts {
                        mut suggested,
                        mut default,
                    },
                ) in sets
                {
                    // Names are how charts find their data: a second file
                    // of the same name (election.csv, election.geojson) is
                    // told apart by its kind.
                    let taken = |n: &str, ws: &state::Workspace| {
                        ws.datasets
                            .iter()
                            .any(|e| e.dataset.name == n && e.dataset.source != dataset.source)
                    };
                    if taken(&dataset.name, &self.ws) {
                        let kind = match &dataset.source {
                            data::Source::File(p) => p
                                .extension()
                                .map_or_else(String::new, |e| e.to_string_lossy().into_owned()),
                            _ => String::new(),
                        };
                        let base = format!("{} ({kind})", dataset.name);
                        let mut name = base.clone();
                        let mut n = 2;
                        while taken(&name, &self.ws) {
                            name = format!("{base} {n}");
                            n += 1;
                        }
                        for spec in suggested.iter_mut().chain(default.iter_mut()) {
                            spec.dataset.clone_from(&name);
                        }
                        dataset.name = name;
                    }
                    // Every file gets a dashboard; the demo city's
                    // Traffic, Safety and Environment tables get theirs.
                    let domain = matches!(
                        dataset.domain,
                        data::Domain::Traffic | data::Domain::Safety | data::Domain::Environment
                    );
                    if domain || matches!(dataset.source, data::Source::File(_)) {
                        let file = matches!(dataset.source, data::Source::File(_));
                        let name = match (domain, file) {
                            (true, true) => {
                                format!("{} — {}", i18n::domain_label(dataset.domain), dataset.name)
                            }
                            (true, false) => i18n::domain_label(dataset.domain).to_owned(),
                            (false, _) => dataset.name.clone(),
                        };
                        self.ws
                            .dashboards
                            .add_default(&name, &dataset.name, &default);
                    }
                    self.ws.suggested.insert(dataset.name.clone(), suggested);
                    self.ws.defaults.insert(dataset.name.clone(), default);
                    self.ws.add_dataset(dataset);
                }
                self.suggest_choropleths();
            }
            Err(LoadError::Cancelled) => {
                self.notices.push(trf!("Loading {} was cancelled.", label));
            }
            Err(e) => self.errors.push(UiError {
                title: trf!("Could not load {}", label),
                message: e.to_string(),
            }),
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_owned())
                .collect()
        });
        // Model cards go into the models folder; everything else is a table.
        let (cards, tables): (Vec<PathBuf>, Vec<PathBuf>) = dropped.into_iter().partition(|p| {
            p.extension()
                .is_some_and(|e| e == "json" || e == "safetensors")
        });
        if !tables.is_empty() {
            self.apply(Command::OpenPaths(tables));
        }
        for card in cards {
            let dir = self.ws.models_dir.clone();
            let label = card.display().to_string();
            let title = trf!("Could not import {}", label);
            self.spawn_task(TaskKind::ImportModel, label, title, move |_| {
                Outcome::Imported(crate::models::registry::import(&card, &dir))
            });
        }
    }
    fn top_bar_ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        ui.horizontal_wrapped(|ui| {
            ui.heading("cityops");
            ui.separator();
            if ui
                .button(tr("Open CSV…"))
                .on_hover_text(tr(
                    "Open one or more CSV files (or drop them onto the window). Ctrl+O",
                ))
                .clicked()
            {
                cmds.push(Command::OpenDialog);
            }
            let menu = egui::containers::menu::MenuButton::new(tr("Open URL…")).config(
                egui::containers::menu::MenuConfig::new()
                    .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside),
            );
            menu.ui(ui, |ui| self.open_url.ui(ui, cmds));
            if ui
                .button(tr("Present"))
                .on_hover_text(tr(
                    "Presentation mode (F11): full screen, large type, high contrast, the views in turn; Esc leaves",
                ))
                .clicked()
            {
                cmds.push(Command::Present(true));
            }
            let (next, label) = match self.ws.theme {
                theme::Theme::Dark => (theme::Theme::Light, tr("Light theme")),
                theme::Theme::Light => (theme::Theme::Dark, tr("Dark theme")),
            };
            if ui.button(label).clicked() {
                cmds.push(Command::SetTheme(next));
            }
            self.export_menu_ui(ui, cmds);
            self.language_ui(ui, cmds);
            // Stays open on clicks inside: the basemap fields are typed in
            // and a refused template's reason shows under them.
            let menu = egui::containers::menu::MenuButton::new(tr("Workspace")).config(
                egui::containers::menu::MenuConfig::new()
                    .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside),
            );
            menu.ui(ui, |ui| {
                if ui
                    .button(tr("Save workspace…"))
                    .on_hover_text(tr(
                        "The open files, view, time range and settings, to hand to a colleague",
                    ))
                    .clicked()
                {
                    cmds.push(Command::SaveWorkspace(None));
                }
                if ui.button(tr("Open workspace…")).clicked() {
                    cmds.push(Command::OpenWorkspace(None));
                }
                ui.separator();
                self.basemap_editor.ui(ui, &self.ws.basemap, cmds);
            });
            ui.separator();
            let tz = self
                .ws
                .datasets
                .first()
                .map_or_else(TimeZone::system, |e| e.dataset.time_zone.clone());
            self.window_editor.ui(ui, &self.ws.window, &tz, cmds);
            let now = std::time::Instant::now();
            if let Some((text, failing, changes_in)) = self.live.status(now, self.feeds.summary()) {
                ui.separator();
                let color = if failing {
                    ui.visuals().warn_fg_color
                } else {
                    egui::Color32::from_rgb(40, 160, 80)
                };
                ui.label(egui::RichText::new(format!("● {text}")).color(color))
                    .on_hover_text(self.live.details(now, self.feeds.details(now)));
                ui.ctx().request_repaint_after(changes_in);
            }
        });
        if !self.ws.datasets.is_empty() {
            // One row of dataset chips that scrolls sideways when there are
            // many, rather than squeezing them.
            egui::ScrollArea::horizontal()
                .id_salt("dataset_chips")
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        for entry in &self.ws.datasets {
                            let ds = &entry.dataset;
                            ui.group(|ui| {
                                ui.add(
                                    egui::Label::new(format!(
                                        "{} · {}",
                                        ds.name,
                                        i18n::domain_label(ds.domain)
                                    ))
                                    .wrap_mode(egui::TextWrapMode::Extend),
                                )
                                .on_hover_text(trf!(
                                    "{} rows × {} columns, time zone {}",
                                    i18n::count(ds.table.n_rows()),
                                    ds.table.n_columns(),
                                    ds.time_zone_name()
                                ));
                                let close = ui
                                    .small_button("×")
                                    .on_hover_text(trf!("Close {}", ds.name));
                                let label = trf!("Close {}", ds.name);
                                close.widget_info(|| {
                                    egui::WidgetInfo::labeled(egui::Role::Button, true, &label)
                                });
                                if close.clicked() {
                                    cmds.push(Command::CloseDataset(entry.id));
                                }
                            });
                        }
                    });
                });
        }
        for (i, task) in self.tasks.of_kind(TaskKind::Load).enumerate() {
            let (fraction, message) = task.progress();
            ui.horizontal(|ui| {
                ui.label(trf!("Loading {}", task.label));
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(240.0)
                        .text(if message.is_empty() {
                            tr("Starting").to_owned()
                        } else {
                            message
                        })
                        .animate(true),
                );
                if ui.button(tr("Cancel")).clicked() {
                    cmds.push(Command::CancelLoad(i));
                }
            });
        }
        if self.tasks.running(TaskKind::FileDialog) {
            ui.label(tr("Waiting for the file dialog…"));
        }
        for (i, e) in self.errors.iter().enumerate() {
            egui::Frame::new()
                .fill(theme::error_bg(ui))
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        ui.strong(&e.title);
                        ui.label(&e.message);
                        if ui.button(tr("Dismiss")).clicked() {
                            cmds.push(Command::DismissError(i));
                        }
                    });
                });
        }
        self.alert_banner_ui(ui, cmds);
        self.models_dir_confirmation_ui(ui);
        let mut dismiss_notices = false;
        for n in &self.notices {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(theme::WARN, n);
                if ui.small_button(tr("OK")).clicked() {
                    dismiss_notices = true;
                }
            });
        }
        if dismiss_notices {
            self.notices.clear();
        }
        if self.show_path_entry {
            ui.horizontal(|ui| {
                ui.label(tr("Path to a CSV file:"));
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut self.path_entry)
                        .desired_width(420.0)
                        .hint_text("/home/me/data/traffic.csv"),
                );
                widgets::name_for_screen_readers(
                    &edit,
                    egui::Role::TextInput,
                    tr("Path to a CSV file"),
                );
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button(tr("Open")).clicked() || enter) && !self.path_entry.trim().is_empty()
                {
                    cmds.push(Command::OpenPaths(vec![PathBuf::from(
                        self.path_entry.trim(),
                    )]));
                    self.path_entry.clear();
                    self.show_path_entry = false;
                }
                if ui.button(tr("Close")).clicked() {
                    self.show_path_entry = false;
                }
            });
        }
    }

    /// Lays out the current view at the requested scale (the UI thread's
    /// part), then paints it (or the requested part), asks where to save
    /// it and writes it in the background.
    fn export_png(&mut self, ctx: &egui::Context, req: png_export::PngRequest) {
        let fail = |app: &mut Self, message: String| {
            if app.export_view.is_some()
                && let Ok(mut slot) = app.screenshot_result.lock()
            {
                *slot = Some(Err(message.clone()));
            }
            app.errors.push(UiError {
                title: tr("Could not export the PNG").to_owned(),
                message,
            });
        };
        let presenting = self.presentation.is_some();
        let (ws, views) = (&self.ws, &mut self.views);
        let drawn = png_export::draw_view(
            ctx,
            &self.cjk_font,
            self.view_rect.size(),
            req.scale,
            |ui| {
                egui::CentralPanel::default().show(ui, |ui| {
                    let mut view_ctx = ViewCtx::new(ws);
                    view_ctx.presenting = presenting;
                    views.ui(&view_ctx, ui);
                    // Commands from the copy are not applied: it only draws.
                    drop(view_ctx.take_commands());
                });
            },
        );
        let drawn = match drawn {
            Ok(d) => d,
            Err(e) => {
                fail(self, e);
                return;
            }
        };
        let crop = req.crop;
        let lang = i18n::current();
        let default_name = png_export::default_file_name(&req.name, req.scale);
        let path = req.path.clone();
        let work = move || {
            let asked = Instant::now();
            let chosen = path.or_else(|| {
                rfd::FileDialog::new()
                    .set_title(i18n::tr_in(lang, "Save as PNG"))
                    .set_file_name(&default_name)
                    .add_filter("PNG", &["png"])
                    .save_file()
            });
            // No dialog service (it answered at once, or there is no
            // session bus): save where pictures go rather than do nothing.
            let no_dialog = asked.elapsed() < Duration::from_millis(300)
                || std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none();
            let (path, fallback) = match chosen {
                Some(p) => (p, false),
                None if no_dialog => (pictures_dir().join(&default_name), true),
                None => return PngOutcome::NoChoice,
            };
            let Some(image) = drawn.paint(crop) else {
                return PngOutcome::Failed(
                    i18n::tr_in(
                        lang,
                        "The plot is outside the view; scroll it into view and try again.",
                    )
                    .to_owned(),
                );
            };
            match widgets::save_png(&path, &image) {
                Ok(()) => PngOutcome::Saved(path, image.size, fallback),
                Err(e) => PngOutcome::Failed(format!("{e:#}")),
            }
        };
        let started = self.tasks.spawn(
            TaskKind::Png,
            "export png",
            Arc::clone(&self.wake),
            move |_| Outcome::Png(work()),
        );
        if let Err(e) = started {
            fail(self, e.to_string());
        }
    }

    /// Writing an exported PNG ended: a notice or an error, and the
    /// answer `--export-view` waits for.
    fn png_done(&mut self, outcome: PngOutcome) {
        let result = match outcome {
            PngOutcome::Saved(path, [w, h], fallback) => {
                self.notices.push(if fallback {
                    trf!(
                        "No file dialog is available, so the {} × {} pixel PNG was saved to {}.",
                        w,
                        h,
                        path.display()
                    )
                } else {
                    trf!("Saved a {} × {} pixel PNG to {}.", w, h, path.display())
                });
                Ok(())
            }
            PngOutcome::NoChoice => Ok(()),
            PngOutcome::Failed(e) => {
                self.errors.push(UiError {
                    title: tr("Could not export the PNG").to_owned(),
                    message: trf!(
                        "{}. Nothing was overwritten; choose another folder or free some space.",
                        e
                    ),
                });
                Err(e)
            }
        };
        if self.export_view.is_some()
            && let Ok(mut slot) = self.screenshot_result.lock()
        {
            *slot = Some(result);
        }
    }

    /// The Export menu: the view as a PNG at a scale for slides.
    fn export_menu_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        ui.menu_button(tr("Export"), |ui| {
            ui.label(tr("This view as a PNG image:"));
            for scale in png_export::SCALES {
                let label = if scale == 1.0 {
                    tr("PNG, as on screen (1×)…").to_owned()
                } else {
                    trf!("PNG, {}× sharper for slides…", scale)
                };
                if ui.button(label).clicked() {
                    cmds.push(Command::ExportPng(png_export::PngRequest {
                        scale,
                        crop: None,
                        path: None,
                        name: self.ws.view.name().to_owned(),
                    }));
                    ui.close();
                }
            }
            ui.separator();
            ui.label(tr(
                "Tables and results: Export CSV… in the Data view; a plot: right-click it.",
            ));
        });
    }

    /// The language switch: a button naming the other language in itself,
    /// so a user who cannot read the current one still finds it.
    fn language_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let other = match self.ws.lang {
            i18n::Lang::En => i18n::Lang::Zh,
            i18n::Lang::Zh => i18n::Lang::En,
        };
        // Until a CJK font is in, "中文" would draw as boxes: say it in
        // letters meanwhile (and where no such font exists).
        let label = match other {
            i18n::Lang::Zh if !self.cjk_usable => "Chinese",
            _ => other.native_name(),
        };
        if ui
            .button(label)
            .on_hover_text(tr("Switch the language of the dashboard"))
            .clicked()
        {
            cmds.push(Command::SetLang(other));
        }
    }

    fn nav_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        ui.add_space(8.0);
        let mut shown = 0;
        for v in ViewId::ALL {
            if !self.ws.view_available(v) {
                continue;
            }
            shown += 1;
            let shortcut = (shown <= 9).then_some(shown);
            let selected = self.ws.view == v;
            if ui
                .add_sized(
                    [theme::NAV_WIDTH - 16.0, 32.0],
                    egui::Button::selectable(selected, v.label()),
                )
                .on_hover_text(match shortcut {
                    Some(n) => trf!("Ctrl+{}", n),
                    None => String::new(),
                })
                .clicked()
            {
                cmds.push(Command::ShowView(v));
            }
        }
        ui.add_space(16.0);
        ui.separator();
        if !self.ws.has_demo() && ui.button(tr("Load demo city")).clicked() {
            cmds.push(Command::LoadDemo);
        }
    }

    fn drive_screenshot(&mut self, ctx: &egui::Context) {
        let Some(path) = self
            .screenshot_path
            .clone()
            .or_else(|| self.export_view.as_ref().map(|(p, _)| p.clone()))
        else {
            return;
        };
        let loading = self.is_busy() || self.cjk_font.get() == fonts::CjkFont::Searching;
        // A map still waiting for basemap tiles (set by the map each frame
        // it waits) holds the picture back for up to 20 s.
        let tiles_pending = ctx
            .data_mut(|d| d.remove_temp::<bool>(egui::Id::unique(widgets::map::TILES_PENDING)))
            .unwrap_or(false);
        match &mut self.screenshot {
            ScreenshotState::Off | ScreenshotState::Saved => {}
            ScreenshotState::Settling { frames, since } => {
                let tiles = tiles_pending && since.elapsed() < Duration::from_secs(20);
                let ready = !(loading || tiles) || since.elapsed() > Duration::from_secs(120);
                if ready {
                    *frames += 1;
                }
                // A few frames let plots lay out and fonts load.
                if *frames >= 4
                    && let Some((out, scale)) = self.export_view.clone()
                {
                    self.screenshot = ScreenshotState::Requested;
                    self.png_request = Some(png_export::PngRequest {
                        scale,
                        crop: None,
                        path: Some(out),
                        name: self.ws.view.name().to_owned(),
                    });
                } else if *frames >= 4 {
                    self.screenshot = ScreenshotState::Requested;
                    let result = Arc::clone(&self.screenshot_result);
                    let ctx2 = ctx.clone();
                    ctx.request_screenshot(move |image| {
                        let r = widgets::save_png(&path, &image).map_err(|e| e.to_string());
                        if let Ok(mut slot) = result.lock() {
                            *slot = Some(r);
                        }
                        ctx2.request_repaint();
                    });
                }
                ctx.request_repaint();
            }
            ScreenshotState::Requested => {
                let done = self
                    .screenshot_result
                    .lock()
                    .ok()
                    .and_then(|mut s| s.take());
                match done {
                    Some(Ok(())) => {
                        eprintln!("cityops: screenshot saved to {}", path.display());
                        self.screenshot = ScreenshotState::Saved;
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    Some(Err(e)) => {
                        eprintln!(
                            "cityops: could not save the screenshot to {}: {e}",
                            path.display()
                        );
                        self.screenshot = ScreenshotState::Saved;
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                    None => ctx.request_repaint_after(Duration::from_millis(50)),
                }
            }
        }
    }

    /// F11 enters and leaves presentation mode; while presenting, Esc
    /// leaves, space pauses the playlist and the arrow keys step through
    /// it (unless a text field has the keyboard). Moves the playlist on
    /// when a view's time is up.
    /// Keyboard shortcuts outside presentation mode, so the dashboard works
    /// without a mouse (Tab and Shift+Tab move between controls, Enter or
    /// Space presses one): Ctrl+O opens CSV files, Ctrl+1…Ctrl+9 show the
    /// views in the navigation's order, Ctrl+S saves the workspace, Ctrl+E
    /// exports the view as a PNG at 2×.
    fn shortcut_keys(&self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        if self.presentation.is_some() {
            return;
        }
        let available: Vec<ViewId> = ViewId::ALL
            .into_iter()
            .filter(|v| self.ws.view_available(*v))
            .collect();
        const DIGITS: [Key; 9] = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
            Key::Num8,
            Key::Num9,
        ];
        ctx.input_mut(|i| {
            let mut press =
                |key| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key));
            if press(Key::O) {
                cmds.push(Command::OpenDialog);
            }
            if press(Key::S) {
                cmds.push(Command::SaveWorkspace(None));
            }
            if press(Key::E) {
                cmds.push(Command::ExportPng(png_export::PngRequest {
                    scale: 2.0,
                    crop: None,
                    path: None,
                    name: self.ws.view.name().to_owned(),
                }));
            }
            for (key, v) in DIGITS.iter().zip(&available) {
                if press(*key) {
                    cmds.push(Command::ShowView(*v));
                }
            }
        });
    }

    fn presentation_keys(&self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        let presenting = self.presentation.is_some();
        let typing = ctx.memory(|m| m.focused().is_some());
        ctx.input(|i| {
            if i.key_pressed(egui::Key::F11) {
                cmds.push(Command::Present(!presenting));
            }
            if !presenting {
                return;
            }
            if i.key_pressed(egui::Key::Escape) {
                cmds.push(Command::Present(false));
            }
            if typing {
                return;
            }
            if i.key_pressed(egui::Key::Space) {
                cmds.push(Command::PresentPause);
            }
            if i.key_pressed(egui::Key::ArrowRight) {
                cmds.push(Command::PresentStep(1));
            }
            if i.key_pressed(egui::Key::ArrowLeft) {
                cmds.push(Command::PresentStep(-1));
            }
        });
        if let Some(p) = &self.presentation {
            match p.remaining(&self.ws.playlist) {
                Some(left) if left.is_zero() => cmds.push(Command::PresentStep(1)),
                // The clock ticks every second; the playlist moves on in time.
                Some(left) => ctx.request_repaint_after(left.min(Duration::from_secs(1))),
                None => ctx.request_repaint_after(Duration::from_secs(1)),
            }
        }
    }

    /// What the presentation shows: the view's name, or the dashboard's.
    fn presented_title(&self) -> String {
        match (self.ws.view, self.ws.dashboards.selected()) {
            (ViewId::Dashboards, Some(d)) => d.name.clone(),
            (v, _) => v.label().to_owned(),
        }
    }

    /// The title bar of presentation mode: what is shown, a live clock, the
    /// playlist's state, and the few controls a presenter needs.
    fn presentation_bar_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let Some(p) = &self.presentation else {
            return;
        };
        let tz = self
            .ws
            .datasets
            .first()
            .map_or_else(TimeZone::system, |e| e.dataset.time_zone.clone());
        let now = jiff::Timestamp::now().to_zoned(tz);
        ui.horizontal(|ui| {
            ui.heading(
                egui::RichText::new(trf!("City operations — {}", self.presented_title())).strong(),
            );
            ui.separator();
            ui.heading(now.strftime("%H:%M:%S").to_string());
            let date_pattern = match self.ws.lang {
                i18n::Lang::En => "%A %e %B %Y".to_owned(),
                i18n::Lang::Zh => {
                    i18n::format_pattern("%Y年%-m月%-d日 %A", now.weekday().to_monday_one_offset())
                }
            };
            // The date only where it leaves room for the controls on the
            // right (a long dashboard name takes it).
            let date = now.strftime(&date_pattern).to_string();
            let date_width = ui
                .painter()
                .layout_no_wrap(
                    date.clone(),
                    egui::TextStyle::Body.resolve(ui.style()),
                    egui::Color32::WHITE,
                )
                .size()
                .x;
            if ui.available_width() > PRESENT_CONTROLS_WIDTH + date_width + 16.0 {
                ui.label(date);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button(tr("Leave presentation (Esc)")).clicked() {
                    cmds.push(Command::Present(false));
                }
                if ui
                    .button(tr("Next"))
                    .on_hover_text(tr("Next view (→)"))
                    .clicked()
                {
                    cmds.push(Command::PresentStep(1));
                }
                let pause = if p.paused { tr("Resume") } else { tr("Pause") };
                if ui.button(pause).on_hover_text(tr("Space")).clicked() {
                    cmds.push(Command::PresentPause);
                }
                if ui
                    .button(tr("Previous"))
                    .on_hover_text(tr("Previous view (←)"))
                    .clicked()
                {
                    cmds.push(Command::PresentStep(-1));
                }
                let n = self.ws.playlist.views.len();
                let status = match p.remaining(&self.ws.playlist) {
                    Some(left) => trf!(
                        "view {} of {} · next in {} s",
                        p.index + 1,
                        n,
                        left.as_secs() + 1
                    ),
                    None if p.paused => trf!("view {} of {} · paused", p.index + 1, n),
                    None => trf!("view {} of {}", p.index + 1, n),
                };
                ui.label(egui::RichText::new(status).color(theme::MUTED));
            });
        });
    }

    /// Draws one frame of the whole dashboard into `ui` (also used by tests).
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        i18n::set(self.ws.lang);
        self.cjk_usable = self.cjk_loaded_last_frame;
        self.cjk_loaded_last_frame = self.cjk_font.get() == fonts::CjkFont::Loaded;
        self.poll_tasks();
        self.refresh_live(&ctx);
        self.check_alerts(&ctx);
        self.handle_dropped_files(&ctx);
        if !self.cjk_notice_shown && self.cjk_font.get() == fonts::CjkFont::NotFound {
            self.cjk_notice_shown = true;
            self.notices.push(
                tr("No Chinese font was found on this system, so Chinese text shows as boxes. \
                 Install one (Debian/Ubuntu: apt-get install fonts-noto-cjk or fonts-wqy-microhei) and restart cityops.")
                    .to_owned(),
            );
        }
        let mut cmds: Vec<Command> = Vec::new();

        self.shortcut_keys(&ctx, &mut cmds);
        self.presentation_keys(&ctx, &mut cmds);
        // eframe restores egui's remembered zoom after start-up: hold the
        // zoom that presentation mode (or its absence) wants.
        let want_zoom = if self.presentation.is_some() {
            present::ZOOM
        } else if (ctx.zoom_factor() - present::ZOOM).abs() < 1e-3 {
            1.0
        } else {
            ctx.zoom_factor()
        };
        if (ctx.zoom_factor() - want_zoom).abs() > 1e-3 {
            ctx.set_zoom_factor(want_zoom);
        }
        if self.presentation.is_some() {
            egui::Panel::top("presentation_bar").show(ui, |ui| {
                ui.add_space(6.0);
                self.presentation_bar_ui(ui, &mut cmds);
                ui.add_space(6.0);
            });
        } else {
            egui::Panel::top("top_bar").show(ui, |ui| {
                ui.add_space(4.0);
                self.top_bar_ui(ui, &mut cmds);
                ui.add_space(4.0);
            });
            egui::Panel::left("nav")
                .exact_size(theme::NAV_WIDTH)
                .show(ui, |ui| self.nav_ui(ui, &mut cmds));
        }
        png_export::set_view_origin(&ctx, self.view_rect.min);
        let central = egui::CentralPanel::default().show(ui, |ui| {
            let mut view_ctx = ViewCtx::new(&self.ws);
            view_ctx.presenting = self.presentation.is_some();
            self.views.ui(&view_ctx, ui);
            cmds.extend(view_ctx.take_commands());
        });
        self.view_rect = central.response.rect;
        if ctx.input(|i| !i.raw.hovered_files.is_empty()) {
            widgets::drop_overlay(&ctx);
        }
        for c in cmds {
            self.apply(c);
        }
        self.drive_screenshot(&ctx);
        if self.is_loading() || self.tasks.running(TaskKind::FileDialog) {
            // Progress bars animate; jobs also wake us on progress.
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }
}

impl eframe::App for CityApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
        if let Some(req) = self.png_request.take() {
            let ctx = ui.ctx().clone();
            self.export_png(&ctx, req);
        }
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        // A screenshot shows the dashboard, not wherever the pointer of the
        // (virtual) display happens to rest: no hover, no tooltips.
        if self.screenshot_path.is_some() || self.export_view.is_some() {
            raw_input.events.retain(|e| {
                !matches!(
                    e,
                    egui::Event::PointerMoved(_)
                        | egui::Event::MouseMoved(_)
                        | egui::Event::PointerButton { .. }
                        | egui::Event::MouseWheel { .. }
                )
            });
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot_path.is_none() && self.export_view.is_none() {
            self.ws.snapshot_sources();
            eframe::set_value(storage, eframe::APP_KEY, &self.ws);
        }
    }
}

/// Where an exported picture goes when no save dialog can be shown: the
/// user's Pictures folder, else their home folder, else the current one.
fn pictures_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from);
    match home {
        Some(h) if h.join("Pictures").is_dir() => h.join("Pictures"),
        Some(h) if h.is_dir() => h,
        _ => PathBuf::from("."),
    }
}
