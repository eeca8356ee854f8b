//! The command line: `cityops [FILE...]` opens the dashboard, and
//! subcommands run the same core without a window. One file per
//! subcommand. Conventions for every command: results on stdout, progress
//! and diagnostics on stderr, `--json` for machine-readable results, exit 0
//! on success, 2 on bad input or usage, 1 on other failures.
//!
//! The exit code of a library error is chosen once, by the error itself
//! ([`crate::data::Blame`]): `?` turns any such error into a [`Failure`],
//! and [`Context::context`] or [`Failure::within`] put the flag or path in
//! front of its message. A subcommand writes `Failure::bad_input` only for
//! what it checks itself (a flag's form, a missing flag).

mod charts;
mod count;
mod dataset_arg;
mod demo;
mod deploy;
mod evaluate;
mod fetch;
mod inspect;
mod map;
mod models;
mod pivot;
mod predict;
mod progress;
mod recommend;
mod serve;
mod text;
mod train;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jiff::tz::TimeZone;

use crate::app::{self, AppOptions, ViewId};
use crate::data::Blame;

/// Exit code for bad input or usage.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code for other failures.
pub const EXIT_FAILURE: u8 = 1;

#[derive(Parser, Debug)]
#[command(
    name = "cityops",
    version,
    about = "A desktop dashboard for city operations: traffic, safety, environment, citizen reports and service use.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,

    /// CSV files to open in the dashboard (the demo city opens when none are given).
    pub files: Vec<PathBuf>,

    /// Open the window, wait until the data is shown, save a PNG of it to this path and exit.
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<PathBuf>,

    /// The view to show first: overview, traffic, safety, environment, text, predict,
    /// recommend, models, data.
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,

    /// Time zone for timestamps without an offset (IANA name, e.g. America/Chicago); default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// The models folder the dashboard lists and saves to (default:
    /// CITYOPS_MODELS, else the workspace's setting, else the user's data
    /// folder, e.g. ~/.local/share/cityops/models).
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,

    /// Start in presentation mode: full screen, large type, high contrast,
    /// the playlist of views (F11 or Esc leaves).
    #[arg(long)]
    pub present: bool,

    /// Open a saved workspace (Workspace ▸ Save workspace… writes one).
    #[arg(long, value_name = "FILE", conflicts_with = "files")]
    pub workspace: Option<PathBuf>,

    /// Draw the view (--view, default overview) into this PNG at --scale
    /// once the data is shown, then exit: a sharp image for slides.
    #[arg(long, value_name = "OUT.png", conflicts_with = "screenshot")]
    pub export_view: Option<PathBuf>,

    /// The scale of --export-view relative to the screen (1 to 4; default 2).
    #[arg(long, value_name = "N", requires = "export_view", value_parser = parse_scale)]
    pub scale: Option<f32>,

    /// The language of the dashboard: en (English) or zh (Simplified
    /// Chinese); default: the one chosen last time.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,

    /// Allow plain http data URLs to other computers (Open URL…, files
    /// given as URLs); https is required otherwise, loopback always allowed.
    #[arg(long)]
    pub allow_http: bool,
}

fn parse_scale(s: &str) -> Result<f32, String> {
    match s.trim().trim_end_matches(['x', '×']).parse::<f32>() {
        Ok(v) if (1.0..=4.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not a scale from 1 to 4 (e.g. 2)")),
    }
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Load a CSV file and report its columns, types, roles and warnings.
    Inspect(inspect::InspectArgs),
    /// Train a neural network on a table and save it as a model bundle.
    Train(Box<train::TrainArgs>),
    /// Make a long table wide: one row per key, one column per name.
    Pivot(pivot::PivotArgs),
    /// The charts suggested for a table (counts of points, JSON, or PNGs).
    Charts(charts::ChartsArgs),
    /// Draw one chart spec over a table into a PNG.
    Chart(charts::ChartArgs),
    /// Draw a map of a table (points, bins, lines, or a choropleth of
    /// GeoJSON districts) into a PNG, headlessly.
    Map(Box<map::MapArgs>),
    /// Add a model's predictions to a table (CSV out).
    Predict(predict::PredictArgs),
    /// A model's metrics on a table with the target, next to the baseline.
    Evaluate(evaluate::EvaluateArgs),
    /// Recommend city services to residents (collaborative filtering).
    Recommend(Box<recommend::RecommendArgs>),
    /// Serve the models folder over the Open Inference Protocol V2.
    Serve(serve::ServeArgs),
    /// Upload a model bundle to a running `cityops serve`, which serves it without a restart.
    Deploy(deploy::DeployArgs),
    /// Download a model (card + weights, or one file) into the models folder.
    Fetch(fetch::FetchArgs),
    /// List local models, or a remote server's models with --remote.
    Models(models::ModelsArgs),
    /// Word embeddings and citizen-report analysis.
    Text {
        #[command(subcommand)]
        action: text::TextCmd,
        /// Keep only the first N (most frequent) words of a word2vec file
        /// given with --model (read as a stream; for huge files).
        #[arg(long, global = true, value_name = "N", value_parser = count::count(0, count::MAX_WORDS))]
        max_words: Option<usize>,
    },
    /// Load a file, URL or portal API, then refresh it on a timer, printing new rows and alerts.
    Watch(Box<watch::WatchArgs>),
    /// The embedded demo city.
    Demo {
        #[command(subcommand)]
        action: demo::DemoCmd,
    },
}

/// The models folder for a command: its flag, else `CITYOPS_MODELS`, else
/// the user's data folder, which gets the shipped models the first time
/// (see [`crate::models::folder`]). A default folder that cannot be set up
/// is reported on stderr and used as it is: the command then says what it
/// finds there.
fn models_folder(flag: Option<&std::path::Path>) -> PathBuf {
    let folder = crate::models::folder::resolve(flag, None);
    if let Err(e) = crate::models::folder::prepare(&folder) {
        eprintln!("warning: {e}");
    }
    folder.path
}

/// A failure with the exit code it deserves.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_FAILURE,
            message: message.into(),
        }
    }
}

/// The one mapping from a library error to an exit code: the error says
/// whether it is the user's input ([`Blame`]); its message is kept.
impl<E: Blame + std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        if e.is_user_input() {
            Self::bad_input(e.to_string())
        } else {
            Self::other(e.to_string())
        }
    }
}

/// Says where a library error happened ("--out x.csv: …") while keeping
/// the exit code the error chose.
pub trait Context<T> {
    fn context(self, what: impl std::fmt::Display) -> Result<T, Failure>;
}

impl<T, E: Blame + std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: impl std::fmt::Display) -> Result<T, Failure> {
        self.map_err(|e| Failure::within(what, e))
    }
}

impl Failure {
    /// `e` with its exit code, its message after `what: `.
    pub fn within(what: impl std::fmt::Display, e: impl Blame + std::fmt::Display) -> Self {
        let f = Self::from(e);
        Self {
            code: f.code,
            message: format!("{what}: {}", f.message),
        }
    }
}

/// Printing our own results as JSON fails only for a bug, never for the
/// user's input.
impl Blame for serde_json::Error {
    fn is_user_input(&self) -> bool {
        false
    }
}

/// A bare I/O error (starting the runtime, writing a file) is the machine's.
impl Blame for std::io::Error {
    fn is_user_input(&self) -> bool {
        false
    }
}

pub fn parse_time_zone(name: Option<&str>) -> Result<Option<TimeZone>, Failure> {
    name.map(|n| {
        TimeZone::get(n).map_err(|e| {
            Failure::bad_input(format!(
                "unknown time zone '{n}': {e}. Use an IANA name such as America/Chicago or UTC."
            ))
        })
    })
    .transpose()
}

/// A closed pipe on stdout (`cityops … | head`) ends the command quietly,
/// as it does for every Unix tool, instead of a panic report.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if msg.contains("failed printing to stdout") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(EXIT_BAD_INPUT),
            };
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("cityops: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Some(Cmd::Inspect(args)) => inspect::run(args),
        Some(Cmd::Watch(args)) => watch::run(*args),
        Some(Cmd::Pivot(args)) => pivot::run(args),
        Some(Cmd::Charts(args)) => charts::run(args),
        Some(Cmd::Chart(args)) => charts::run_one(args),
        Some(Cmd::Map(args)) => map::run(*args),
        Some(Cmd::Demo { action }) => demo::run(action),
        Some(Cmd::Train(args)) => train::run(*args),
        Some(Cmd::Serve(args)) => serve::run(args),
        Some(Cmd::Deploy(args)) => deploy::run(args),
        Some(Cmd::Text { action, max_words }) => text::run(action, max_words.filter(|&n| n > 0)),
        Some(Cmd::Fetch(args)) => fetch::run(args),
        Some(Cmd::Models(args)) => models::run(args),
        Some(Cmd::Recommend(args)) => recommend::run(*args),
        Some(Cmd::Predict(args)) => predict::run(args),
        Some(Cmd::Evaluate(args)) => evaluate::run(args),
        None => {
            let view = cli
                .view
                .as_deref()
                .map(|v| {
                    ViewId::from_name(v).ok_or_else(|| {
                        let names: Vec<&str> = ViewId::ALL.iter().map(|v| v.name()).collect();
                        Failure::bad_input(format!(
                            "unknown view '{v}'; choose one of: {}",
                            names.join(", ")
                        ))
                    })
                })
                .transpose()?;
            for f in cli.files.iter().chain(&cli.workspace) {
                if !f.exists() {
                    return Err(Failure::bad_input(format!(
                        "{}: no such file. Check the path.",
                        f.display()
                    )));
                }
            }
            // The user's data folder gets the shipped models the first
            // time; the dashboard then picks its folder (flag, variable,
            // workspace setting, that default) as `models::folder` says.
            models_folder(cli.models.as_deref());
            let opts = AppOptions {
                files: cli.files,
                screenshot: cli.screenshot,
                view,
                time_zone: parse_time_zone(cli.tz.as_deref())?,
                fresh: false,
                models_dir: cli.models,
                cache_dir: None,
                present: cli.present,
                workspace: cli.workspace,
                export_view: cli.export_view,
                export_scale: cli.scale,
                allow_http: cli.allow_http,
                lang: cli
                    .lang
                    .as_deref()
                    .map(|l| {
                        app::i18n::Lang::parse(l).ok_or_else(|| {
                            Failure::bad_input(format!(
                                "--lang {l}: unknown language. Use en (English) or zh (Simplified Chinese)."
                            ))
                        })
                    })
                    .transpose()?,
            };
            app::run(opts).map_err(|e| Failure::other(format!("{e:#}")))
        }
    }
}
