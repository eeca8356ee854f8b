//! `cityops predict --model models/NAME --data FILE [--out FILE]`: the input
//! table plus the model's prediction columns, as CSV (stdout or a file).

use std::path::PathBuf;

use clap::Args;

use super::{Failure, dataset_arg, parse_time_zone};
use crate::data::{LoadOptions, csv_write};
use crate::ml::model;
use crate::models::bundle;

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model bundle (models/NAME).
    #[arg(long, value_name = "models/NAME")]
    pub model: PathBuf,
    /// The table to predict for: a CSV file or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    /// Write the CSV here (atomically) instead of to stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

pub fn run(args: PredictArgs) -> Result<(), Failure> {
    let b = bundle::load_bundle(&args.model).map_err(|e| Failure::bad_input(e.to_string()))?;
    let opts = LoadOptions {
        time_zone: parse_time_zone(args.tz.as_deref())?,
        delimiter: None,
    };
    let ds = dataset_arg::load(&args.data, &opts)?;
    let preds = b
        .model
        .predict(&ds.table)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    let table = model::with_columns(&ds.table, preds.columns(b.model.target_column()));
    match &args.out {
        Some(path) => {
            csv_write::write_csv_file(&table, &ds.time_zone, path)
                .map_err(|e| Failure::other(e.to_string()))?;
            eprintln!("wrote {} rows to {}", table.n_rows(), path.display());
        }
        None => {
            let stdout = std::io::stdout();
            csv_write::write_csv(&table, &ds.time_zone, stdout.lock())
                .map_err(|e| Failure::other(e.to_string()))?;
        }
    }
    Ok(())
}
