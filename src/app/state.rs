//! The dashboard's state, in one leaf module that the rest of the app
//! builds on: the [`Workspace`] (what is open and every setting), the
//! views' names ([`ViewId`]), the time window, the [`Command`]s views send
//! and the read-only [`ViewCtx`] they draw from, the theme and playlist
//! settings and a PNG export request.
//!
//! Imports of the app: only `i18n` (labels) and `dashboards` (the
//! dashboards model) — never widgets, panels or views, so the one
//! direction holds: state/theme → widgets → panels and views → the app.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use egui::Rect;
use serde::{Deserialize, Serialize};

use super::i18n::tr;
use crate::data::timeseries::{MICROS_PER_DAY, MICROS_PER_HOUR, TimeRange};
use crate::data::{Dataset, Domain, Role, Source, TimestampMicros};

/// The views, by the name used in `--view NAME`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ViewId {
    #[default]
    Overview,
    Traffic,
    Safety,
    Environment,
    Explore,
    Dashboards,
    Text,
    Predict,
    Recommend,
    Models,
    Data,
}

impl ViewId {
    pub const ALL: [Self; 11] = [
        Self::Overview,
        Self::Traffic,
        Self::Safety,
        Self::Environment,
        Self::Explore,
        Self::Dashboards,
        Self::Text,
        Self::Predict,
        Self::Recommend,
        Self::Models,
        Self::Data,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Overview => tr("Overview"),
            Self::Traffic => tr("Traffic"),
            Self::Safety => tr("Safety"),
            Self::Environment => tr("Environment"),
            Self::Explore => tr("Explore"),
            Self::Dashboards => tr("Dashboards"),
            Self::Text => tr("Reports"),
            Self::Predict => tr("Predict"),
            Self::Recommend => tr("Recommend"),
            Self::Models => tr("Models"),
            Self::Data => tr("Data"),
        }
    }

    /// The lower-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Overview => "overview",
            Self::Traffic => "traffic",
            Self::Safety => "safety",
            Self::Environment => "environment",
            Self::Explore => "explore",
            Self::Dashboards => "dashboards",
            Self::Text => "text",
            Self::Predict => "predict",
            Self::Recommend => "recommend",
            Self::Models => "models",
            Self::Data => "data",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.name() == name.to_lowercase())
    }

    /// The domain whose dataset the view shows, for the domain views.
    pub fn domain(self) -> Option<Domain> {
        match self {
            Self::Traffic => Some(Domain::Traffic),
            Self::Safety => Some(Domain::Safety),
            Self::Environment => Some(Domain::Environment),
            Self::Recommend => Some(Domain::Services),
            Self::Text => Some(Domain::Reports),
            Self::Overview
            | Self::Explore
            | Self::Dashboards
            | Self::Predict
            | Self::Models
            | Self::Data => None,
        }
    }
}

/// A loaded dataset with a stable id and a revision that changes whenever
/// the dataset does (views key their caches on both).
#[derive(Clone, Debug)]
pub struct DatasetEntry {
    pub id: u64,
    pub revision: u64,
    pub dataset: Arc<Dataset>,
}

/// The time window shown in every view, relative to the latest data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum TimeWindow {
    #[default]
    All,
    LastDay,
    LastWeek,
    LastMonth,
    /// From/to in microseconds UTC.
    Custom {
        start: TimestampMicros,
        end: TimestampMicros,
    },
}

impl TimeWindow {
    pub const PRESETS: [Self; 4] = [Self::All, Self::LastDay, Self::LastWeek, Self::LastMonth];

    pub fn label(self) -> &'static str {
        match self {
            Self::All => tr("All data"),
            Self::LastDay => tr("Last 24 hours"),
            Self::LastWeek => tr("Last 7 days"),
            Self::LastMonth => tr("Last 30 days"),
            Self::Custom { .. } => tr("Custom range"),
        }
    }

    /// The concrete range for data whose latest timestamp is `latest`.
    pub fn resolve(self, latest: Option<TimestampMicros>) -> TimeRange {
        let back = |micros: i64| TimeRange {
            start: latest.map(|l| l - micros),
            end: latest,
        };
        match self {
            Self::All => TimeRange::default(),
            Self::LastDay => back(24 * MICROS_PER_HOUR),
            Self::LastWeek => back(7 * MICROS_PER_DAY),
            Self::LastMonth => back(30 * MICROS_PER_DAY),
            Self::Custom { start, end } => TimeRange {
                start: Some(start),
                end: Some(end),
            },
        }
    }
}

/// A remote V2 server the user connected to (Models view): its models are
/// choices in the Predict and Recommend views too.
#[derive(Clone, Debug)]
pub struct RemoteServer {
    pub url: String,
    pub token: Option<String>,
    pub models: Vec<crate::models::remote::ModelMetadata>,
}

/// Everything the dashboard shows. The serialisable part persists across
/// restarts (eframe storage); loaded data is runtime-only.
#[derive(Serialize, Deserialize)]
#[serde(default)]
pub struct Workspace {
    pub view: ViewId,
    pub window: TimeWindow,
    /// Where models are listed and saved.
    pub models_dir: PathBuf,
    /// The views presentation mode cycles through.
    pub playlist: Playlist,
    /// The CSV files that were open (written when the workspace is saved).
    pub open_files: Vec<PathBuf>,
    /// Whether the demo city was open (written when the workspace is saved).
    pub demo_open: bool,
    /// The database tables and queries that were open (addresses without
    /// passwords; written when the workspace is saved).
    pub open_databases: Vec<crate::data::DatabaseSource>,
    /// The MQTT feeds that were followed (addresses without passwords).
    pub open_feeds: Vec<String>,
    /// Alert thresholds.
    pub alert_rules: crate::data::alerts::AlertRules,
    /// What maps draw under their layers.
    pub basemap: Basemap,
    /// Light or dark.
    pub theme: Theme,
    /// The language of the user interface.
    pub lang: super::i18n::Lang,
    /// The operator's dashboards (version 2 of the workspace file; older
    /// files have none).
    pub dashboards: super::dashboards::Dashboards,
    /// Sources refreshed on a timer: path or URL → seconds between
    /// refreshes.
    pub refresh: std::collections::BTreeMap<String, u64>,
    /// The dataset the Explore view shows (runtime only).
    #[serde(skip)]
    pub explore_dataset: Option<u64>,
    /// Each open dataset's suggested charts, by dataset name, made when it
    /// was loaded (default dashboards and their Reset; runtime only).
    #[serde(skip)]
    pub suggested: HashMap<String, Vec<crate::charts::ChartSpec>>,
    /// Each open dataset's default dashboard charts (its domain's panels,
    /// then suggestions), by dataset name: the domain views' fallback and
    /// a default dashboard's Reset (runtime only).
    #[serde(skip)]
    pub defaults: HashMap<String, Vec<crate::charts::ChartSpec>>,
    /// The active alerts, from the latest check (runtime only).
    #[serde(skip)]
    pub alerts: Vec<crate::data::alerts::Alert>,
    /// Why the forecast rule could not run (its model), from the latest
    /// check (runtime only).
    #[serde(skip)]
    pub forecast_rule_problem: Option<String>,
    /// Alerts the operator acknowledged, by key (runtime only).
    #[serde(skip)]
    pub acknowledged: std::collections::HashSet<String>,
    #[serde(skip)]
    pub datasets: Vec<DatasetEntry>,
    /// The dataset each domain view shows.
    #[serde(skip)]
    pub active: HashMap<Domain, u64>,
    /// The dataset the Data view shows.
    #[serde(skip)]
    pub data_view_dataset: Option<u64>,
    /// Where sentence embeddings are cached (`None`: the default folder).
    #[serde(skip)]
    pub cache_dir: Option<PathBuf>,
    /// Connected remote servers (tokens are never written to disk).
    #[serde(skip)]
    pub remotes: Vec<RemoteServer>,
    #[serde(skip)]
    next_id: u64,
}

impl Default for Workspace {
    fn default() -> Self {
        Self {
            view: ViewId::default(),
            window: TimeWindow::default(),
            models_dir: crate::models::folder::default_dir(),
            playlist: Playlist::default(),
            open_files: Vec::new(),
            open_databases: Vec::new(),
            open_feeds: Vec::new(),
            refresh: std::collections::BTreeMap::new(),
            demo_open: true,
            alert_rules: crate::data::alerts::AlertRules::default(),
            basemap: Basemap::Demo,
            theme: Theme::Dark,
            lang: super::i18n::Lang::En,
            dashboards: super::dashboards::Dashboards::default(),
            explore_dataset: None,
            suggested: HashMap::new(),
            defaults: HashMap::new(),
            alerts: Vec::new(),
            forecast_rule_problem: None,
            acknowledged: std::collections::HashSet::new(),
            datasets: Vec::new(),
            active: HashMap::new(),
            data_view_dataset: None,
            cache_dir: None,
            remotes: Vec::new(),
            next_id: 0,
        }
    }
}

impl Workspace {
    pub fn add_dataset(&mut self, ds: Dataset) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        // Loading the same file again replaces it.
        if matches!(ds.source, Source::File(_) | Source::Url(_)) {
            let source = ds.source.clone();
            self.datasets.retain(|e| e.dataset.source != source);
        }
        self.active.insert(ds.domain, id);
        self.datasets.push(DatasetEntry {
            id,
            revision: 0,
            dataset: Arc::new(ds),
        });
        id
    }

    pub fn remove_dataset(&mut self, id: u64) {
        self.datasets.retain(|e| e.id != id);
        self.active.retain(|_, v| *v != id);
        // Fall back to another dataset of the same domain, newest first.
        for d in Domain::ALL {
            if !self.active.contains_key(&d)
                && let Some(e) = self.datasets.iter().rev().find(|e| e.dataset.domain == d)
            {
                self.active.insert(d, e.id);
            }
        }
        if self.data_view_dataset == Some(id) {
            self.data_view_dataset = None;
        }
        if self.explore_dataset == Some(id) {
            self.explore_dataset = None;
        }
        if !self.view_available(self.view) {
            self.view = ViewId::Overview;
        }
    }

    /// Changes a dataset (copy on write) and bumps its revision.
    pub fn update_dataset(&mut self, id: u64, f: impl FnOnce(&mut Dataset)) {
        if let Some(e) = self.datasets.iter_mut().find(|e| e.id == id) {
            f(Arc::make_mut(&mut e.dataset));
            e.revision += 1;
        }
    }

    pub fn entry(&self, id: u64) -> Option<&DatasetEntry> {
        self.datasets.iter().find(|e| e.id == id)
    }

    /// The dataset a domain's view shows.
    pub fn active_for(&self, domain: Domain) -> Option<&DatasetEntry> {
        self.active
            .get(&domain)
            .and_then(|&id| self.entry(id))
            .filter(|e| e.dataset.domain == domain)
            .or_else(|| {
                self.datasets
                    .iter()
                    .rev()
                    .find(|e| e.dataset.domain == domain)
            })
    }

    pub fn of_domain(&self, domain: Domain) -> impl Iterator<Item = &DatasetEntry> {
        self.datasets
            .iter()
            .filter(move |e| e.dataset.domain == domain)
    }

    pub fn has_demo(&self) -> bool {
        self.datasets
            .iter()
            .any(|e| matches!(e.dataset.source, Source::Demo(_)))
    }

    /// A view presentation mode shows: one with data, and the dashboards
    /// only when there is one to play.
    pub fn presentable(&self, v: ViewId) -> bool {
        self.view_available(v) && (v != ViewId::Dashboards || !self.dashboards.list.is_empty())
    }

    /// A view is listed only when it has data to show.
    pub fn view_available(&self, v: ViewId) -> bool {
        if v == ViewId::Explore {
            return !self.datasets.is_empty();
        }
        match v.domain() {
            None => true,
            Some(d) => self.active_for(d).is_some(),
        }
    }

    /// The basemap under a map of `ds`: the chosen one, except that the
    /// demo city's own map is drawn only under the demo's data (Riverton's
    /// made-up districts and roads would stand over a real city's streets
    /// where the two overlap); other data then gets the plain background.
    pub fn basemap_for(&self, ds: &Dataset) -> &Basemap {
        static PLAIN: Basemap = Basemap::None;
        match (&self.basemap, &ds.source) {
            (Basemap::Demo, crate::data::Source::Demo(_))
            | (Basemap::Xyz { .. } | Basemap::None, _) => &self.basemap,
            (Basemap::Demo, _) => &PLAIN,
        }
    }

    /// The window as a concrete range for a dataset.
    pub fn range_for(&self, ds: &Dataset) -> TimeRange {
        self.window.resolve(ds.time_extent().map(|(_, hi)| hi))
    }
}

impl Workspace {
    /// Records which files (and whether the demo city) are open, so that a
    /// saved workspace can open them again.
    pub fn snapshot_sources(&mut self) {
        self.open_files = self
            .datasets
            .iter()
            .filter_map(|e| match &e.dataset.source {
                Source::File(p) => Some(p.clone()),
                // Reopened through the same path as Open URL….
                Source::Url(u) => Some(PathBuf::from(u)),
                Source::Demo(_) | Source::Derived(_) | Source::Database(_) | Source::Stream(_) => {
                    None
                }
            })
            .collect();
        self.open_databases = self
            .datasets
            .iter()
            .filter_map(|e| match &e.dataset.source {
                Source::Database(db) => Some(db.clone()),
                _ => None,
            })
            .collect();
        self.open_feeds = self
            .datasets
            .iter()
            .filter_map(|e| match &e.dataset.source {
                Source::Stream(url) => Some(url.clone()),
                _ => None,
            })
            .collect();
        self.demo_open = self.has_demo();
    }
}

/// A request from a view; the app applies them after the frame.
#[derive(Clone, Debug)]
pub enum Command {
    ShowView(ViewId),
    OpenDialog,
    OpenPaths(Vec<PathBuf>),
    /// Refresh a source (path or URL) every so many seconds, or not.
    SetRefresh {
        key: String,
        every: Option<u64>,
    },
    /// Reads another sheet of a workbook in place of the one open.
    /// Opens a table or query of a PostgreSQL server (its password, if
    /// any, is already remembered in memory).
    OpenDatabase(crate::data::DatabaseSource),
    /// Follows an MQTT feed (`mqtt://host:1883/topic/#`).
    OpenFeed(String),
    OpenSheet {
        path: PathBuf,
        sheet: String,
    },
    LoadDemo,
    CloseDataset(u64),
    SelectDataset {
        domain: Domain,
        id: u64,
    },
    ShowInDataView(u64),
    /// A dataset made in the app (e.g. predictions).
    AddDataset(Box<Dataset>),
    /// Save a dataset as CSV (asks where).
    ExportCsv(u64),
    /// Save the rows of a dataset inside the selected time range as CSV
    /// (asks where when `to` is `None`).
    ExportRangeCsv {
        id: u64,
        to: Option<PathBuf>,
    },
    SetRole {
        id: u64,
        column: usize,
        role: Role,
    },
    SetDomain {
        id: u64,
        domain: Domain,
    },
    SetTimeZone {
        id: u64,
        zone: String,
    },
    SetWindow(TimeWindow),
    CancelLoad(usize),
    DismissError(usize),
    /// A remote server answered: list (or refresh) its models.
    RemoteConnected(RemoteServer),
    /// Enter (true) or leave presentation mode.
    Present(bool),
    /// Show the playlist's next (1) or previous (-1) view.
    PresentStep(isize),
    /// Pause or resume the playlist.
    PresentPause,
    /// Save the workspace to a file (asks where when `None`).
    SaveWorkspace(Option<PathBuf>),
    /// Open a workspace file (asks which when `None`).
    OpenWorkspace(Option<PathBuf>),
    /// Switch between the light and dark themes.
    SetTheme(Theme),
    /// Switch the language of the user interface.
    SetLang(super::i18n::Lang),
    /// Draw the view (or a part of it) into a PNG.
    ExportPng(PngRequest),
    /// Change the dashboards.
    Dashboard(super::dashboards::DashboardCommand),
    /// Show this dataset in the Explore view.
    ExploreDataset(u64),
    /// Draw maps over this basemap.
    SetBasemap(Basemap),
    /// Change the alert thresholds.
    SetAlertRules(crate::data::alerts::AlertRules),
    /// The operator has seen this alert (by key).
    Acknowledge(String),
}

/// What a view may read, and where it sends its commands.
pub struct ViewCtx<'a> {
    pub ws: &'a Workspace,
    /// Presentation mode: views leave out their editing controls.
    pub presenting: bool,
    commands: RefCell<Vec<Command>>,
}

impl<'a> ViewCtx<'a> {
    pub fn new(ws: &'a Workspace) -> Self {
        Self {
            ws,
            presenting: false,
            commands: RefCell::new(Vec::new()),
        }
    }

    pub fn send(&self, cmd: Command) {
        self.commands.borrow_mut().push(cmd);
    }

    pub fn take_commands(&self) -> Vec<Command> {
        std::mem::take(&mut *self.commands.borrow_mut())
    }
}

/// What the maps draw under their layers: the demo city's own map (the
/// default; offline), nothing (a plain background with a graticule;
/// nothing is fetched) or raster tiles from an XYZ server the user chose,
/// with the attribution its terms ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Basemap {
    /// The demo city's own streets, river, parks and districts (drawn
    /// where the view shows Riverton; elsewhere a plain background).
    #[default]
    Demo,
    None,
    Xyz {
        url: String,
        attribution: String,
    },
}

/// Which views the playlist shows, and for how long each. Persisted with
/// the workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Playlist {
    pub views: Vec<ViewId>,
    pub seconds: u32,
    /// Move on by itself (otherwise only the arrow keys step).
    pub cycle: bool,
}

impl Default for Playlist {
    fn default() -> Self {
        Self {
            views: vec![
                ViewId::Overview,
                ViewId::Traffic,
                ViewId::Safety,
                ViewId::Environment,
                ViewId::Dashboards,
            ],
            seconds: 20,
            cycle: true,
        }
    }
}

/// Light or dark; persisted with the workspace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Theme {
    #[default]
    Dark,
    Light,
}
/// What to export.
#[derive(Clone, Debug, PartialEq)]
pub struct PngRequest {
    /// Pixels per point of the image.
    pub scale: f32,
    /// Only this part of the view (points, relative to the view's top-left
    /// corner); `None`: the whole view.
    pub crop: Option<Rect>,
    /// Where to write; `None`: ask with a save dialog.
    pub path: Option<std::path::PathBuf>,
    /// What the image shows, for the default file name ("traffic",
    /// "traffic_speed").
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, Table};

    fn dataset(name: &str, source: Source) -> Dataset {
        let table = Table::new(vec![Column::from_f64("v", vec![1.0])]).unwrap();
        Dataset::from_table(name, source, table, jiff::tz::TimeZone::UTC)
    }

    /// Riverton's map stands under the demo's data only: a real city's
    /// file gets the plain background (the two overlap on the globe), and
    /// a tile server or none applies to everything.
    #[test]
    fn the_demo_basemap_is_only_under_the_demo_city() {
        let mut ws = Workspace::default();
        let demo = dataset("traffic", Source::Demo("traffic".to_owned()));
        let file = dataset("segments", Source::File(PathBuf::from("/data/chicago.csv")));
        assert_eq!(ws.basemap, Basemap::Demo);
        assert_eq!(ws.basemap_for(&demo), &Basemap::Demo);
        assert_eq!(ws.basemap_for(&file), &Basemap::None);
        ws.basemap = Basemap::Xyz {
            url: "https://tiles.example.org/{z}/{x}/{y}.png".to_owned(),
            attribution: String::new(),
        };
        assert_eq!(ws.basemap_for(&file), &ws.basemap);
        assert_eq!(ws.basemap_for(&demo), &ws.basemap);
    }

    #[test]
    fn derived_datasets_sit_beside_their_file_and_are_not_reopened() {
        let mut ws = Workspace::default();
        let file = PathBuf::from("/data/long.csv");
        ws.add_dataset(dataset("long", Source::File(file.clone())));
        ws.add_dataset(dataset(
            "long (wide)",
            Source::Derived("pivot of long".to_owned()),
        ));
        assert_eq!(ws.datasets.len(), 2, "the pivot did not replace its file");
        ws.snapshot_sources();
        assert_eq!(ws.open_files, vec![file]);
        assert!(!ws.demo_open, "a derived dataset is not the demo city");
    }

    #[test]
    fn databases_and_feeds_are_recorded_without_passwords() {
        let mut ws = Workspace::default();
        let db = crate::data::DatabaseSource {
            url: "postgres://ops@db.city:5432/sensors".to_owned(),
            table: Some("public.readings".to_owned()),
            sql: None,
        };
        ws.add_dataset(dataset("readings", Source::Database(db.clone())));
        ws.add_dataset(dataset(
            "air",
            Source::Stream("mqtt://ops@broker:1883/air/#".to_owned()),
        ));
        ws.snapshot_sources();
        assert_eq!(ws.open_databases, vec![db]);
        assert_eq!(ws.open_feeds, vec!["mqtt://ops@broker:1883/air/#"]);
        assert!(ws.open_files.is_empty());
        let saved = serde_json::to_string(&ws).unwrap();
        let back: Workspace = serde_json::from_str(&saved).unwrap();
        assert_eq!(back.open_databases, ws.open_databases);
        assert_eq!(back.open_feeds, ws.open_feeds);
    }
}
