//! `cityops train`: trains a network on a table and writes the model
//! bundle; prints the validation metrics next to the baseline's.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::count::{MAX_BATCH_SIZE, MAX_EPOCHS, MAX_HIDDEN, MAX_HORIZON_HOURS, MAX_PLAIN, count};
use super::progress::TerminalProgress;
use super::{Failure, dataset_arg, parse_time_zone};
use crate::data::LoadOptions;
use crate::ml::metrics::Metrics;
use crate::ml::{Evaluation, MlError, TaskChoice, TrainConfig, TrainRequest, model};
use crate::models::bundle;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// The table: a CSV file, or demo:NAME for a demo-city table.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    /// The column to predict.
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// auto, classify, regress or forecast.
    #[arg(long, default_value = "auto")]
    pub task: TaskChoice,
    /// Feature columns (default: every usable column).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub features: Option<Vec<String>>,
    /// Hidden layer sizes.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "64,64",
        value_name = "N,N,...",
        value_parser = count(1, MAX_HIDDEN)
    )]
    pub hidden: Vec<usize>,
    #[arg(long, default_value_t = 50, value_parser = count(1, MAX_EPOCHS))]
    pub epochs: usize,
    #[arg(long, default_value_t = 32, value_parser = count(1, MAX_BATCH_SIZE))]
    pub batch_size: usize,
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = 5, value_parser = count(0, MAX_PLAIN))]
    pub patience: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Do not weigh classes by inverse frequency (keeps probabilities
    /// calibrated directly; the default weighs them, then corrects the bias).
    #[arg(long)]
    pub no_class_weights: bool,
    /// Forecast horizon in hours (forecast task).
    #[arg(long, default_value_t = 24, value_parser = count(1, MAX_HORIZON_HOURS))]
    pub horizon: usize,
    /// Where to write the bundle: models/NAME (writes NAME.json and NAME.safetensors).
    #[arg(long, value_name = "models/NAME")]
    pub out: Option<PathBuf>,
    /// Print one JSON object with the metrics.
    #[arg(long)]
    pub json: bool,
    /// Time zone for timestamps without an offset (IANA name).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// The date-time column to use as the time axis (forecasts), when
    /// it is not recognised.
    #[arg(long, value_name = "COLUMN")]
    pub time_col: Option<String>,
}

/// The `--json` shape shared by train and evaluate.
#[derive(Serialize)]
pub struct Report<'a> {
    pub task: &'a str,
    pub target: &'a str,
    pub rows_train: usize,
    pub rows_valid: usize,
    pub metrics: &'a Metrics,
    pub baseline: &'a Metrics,
    pub headline_metric: &'a str,
    pub beats_baseline: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl<'a> Report<'a> {
    pub fn new(e: &'a Evaluation, model: Option<String>) -> Self {
        Self {
            task: e.task,
            target: &e.target,
            rows_train: e.rows_train,
            rows_valid: e.rows_valid,
            metrics: &e.metrics,
            baseline: &e.baseline,
            headline_metric: e.headline,
            beats_baseline: e.beats_baseline,
            model,
        }
    }
}

/// The metrics table for people.
pub fn print_evaluation(e: &Evaluation) {
    println!(
        "{} '{}': {} training rows, {} validation rows",
        e.task, e.target, e.rows_train, e.rows_valid
    );
    println!("  {:<18} {:>12} {:>12}", "metric", "model", "baseline");
    for (k, v) in &e.metrics.0 {
        let b = e
            .baseline
            .get(k)
            .map_or("–".to_owned(), |b| format!("{b:.4}"));
        println!("  {k:<18} {v:>12.4} {b:>12}");
    }
    match e.beats_baseline {
        Some(true) => println!("  the model beats the baseline on {}", e.headline),
        Some(false) => println!(
            "  the model does NOT beat the baseline on {}: do not rely on it",
            e.headline
        ),
        None => println!(
            "  no comparison with the baseline is possible on {}",
            e.headline
        ),
    }
}

/// A training setting out of range, named by the flag that set it.
fn flag_named(e: MlError) -> Failure {
    let flag = match &e {
        MlError::InvalidConfig { field, .. } => match *field {
            "hidden" => "--hidden",
            "epochs" => "--epochs",
            "batch_size" => "--batch-size",
            "learning_rate" => "--lr",
            "patience" => "--patience",
            _ => return Failure::from(e),
        },
        _ => return Failure::from(e),
    };
    Failure::within(flag, e)
}

pub fn run(args: TrainArgs) -> Result<(), Failure> {
    let opts = LoadOptions {
        time_zone: parse_time_zone(args.tz.as_deref())?,
        delimiter: None,
        ..LoadOptions::default()
    };
    let config = TrainConfig {
        hidden: args.hidden.clone(),
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        patience: args.patience,
        seed: args.seed,
        class_weights: !args.no_class_weights,
        ..Default::default()
    };
    config.validate().map_err(flag_named)?;
    let mut ds = dataset_arg::load(&args.data, &opts)?;
    dataset_arg::set_time_col(&mut ds, args.time_col.as_deref())?;
    if args.task == TaskChoice::Fixed(crate::ml::Task::Forecast) && ds.time_column().is_none() {
        return Err(Failure::bad_input(format!(
            "a forecast needs a time axis and no date-time column was recognised; name it with --time-col COLUMN (the columns are: {})",
            ds.table.column_names()
        )));
    }
    let req = TrainRequest {
        target: args.target.clone(),
        task: args.task,
        features: args.features.clone(),
        config,
        horizon_hours: args.horizon,
    };
    let progress = TerminalProgress::new("Training");
    let quiet = args.json;
    let trained = model::train_model(&ds, &req, &progress, &mut |r| {
        if !quiet {
            progress.finish();
            eprintln!(
                "epoch {:>3}: train loss {:.4}, validation loss {:.4}",
                r.epoch, r.train_loss, r.valid_loss
            );
        }
    });
    progress.finish();
    let trained = trained?;
    for x in &trained.excluded {
        if !quiet && args.features.is_none() {
            eprintln!("left out '{}': {}", x.column, x.reason);
        }
    }
    let mut saved = None;
    if let Some(out) = &args.out {
        let card = bundle::make_card(
            "",
            &trained.model,
            &trained.evaluation,
            bundle::fingerprint(&ds.name, &ds.table),
            req.config.clone(),
            trained.best_epoch,
        );
        let (_, path) = bundle::save_bundle(out, card, &trained.model)?;
        saved = Some(path.display().to_string());
    }
    if args.json {
        let text = serde_json::to_string_pretty(&Report::new(&trained.evaluation, saved))?;
        println!("{text}");
    } else {
        print_evaluation(&trained.evaluation);
        eprintln!(
            "best epoch {} of {} ({:?})",
            trained.best_epoch,
            trained.history.len(),
            trained.stop
        );
        if let Some(p) = saved {
            println!("saved {p}");
        }
    }
    Ok(())
}
