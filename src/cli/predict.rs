//! `cityops predict --model models/NAME --data FILE [--out FILE]`: the input
//! table plus the model's prediction columns, as CSV (stdout or a file).
//!
//! With `--remote BASE_URL --model NAME`, the model runs on a V2 serving
//! engine (KServe, Triton, MLServer, `cityops serve`): each
//! `--input TENSOR=COL1,COL2,...` stacks those columns into one tensor of
//! the datatype the model's metadata asks for; without `--input`, columns
//! are matched to input names. An output of shape [rows, k] becomes k
//! columns `NAME_0` … `NAME_{k-1}`, one of shape [rows] a column `NAME`.

use std::path::PathBuf;

use clap::Args;

use super::count::{MAX_BATCH_ROWS, count};
use super::progress::TerminalProgress;
use super::{Context, Failure, dataset_arg, parse_time_zone};
use crate::data::{LoadOptions, Table, csv_write};
use crate::ml::{apply, model};
use crate::models::bundle;
use crate::models::remote::{self, V2Client};

#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model: a bundle (models/NAME), or the model's name on --remote.
    #[arg(long, value_name = "models/NAME")]
    pub model: String,
    /// The table to predict for: a CSV file or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    /// Write the CSV here (atomically) instead of to stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A V2 inference server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "BASE_URL")]
    pub remote: Option<String>,
    /// TENSOR=COL1,COL2,... (repeatable; remote only).
    #[arg(long = "input", value_name = "TENSOR=COLS", requires = "remote")]
    pub inputs: Vec<String>,
    /// Output tensors to request (repeatable; remote only; default: all).
    #[arg(long = "output", value_name = "NAME", requires = "remote")]
    pub outputs: Vec<String>,
    /// Bearer token for the remote server.
    #[arg(long, value_name = "TOKEN", requires = "remote")]
    pub token: Option<String>,
    /// Allow plain http to a server other than this machine (trusted networks only).
    #[arg(long, requires = "remote")]
    pub allow_http: bool,
    /// Leave out rows with a missing input instead of failing (remote only;
    /// V2 integer and boolean tensors cannot carry a missing value). Their
    /// prediction columns are empty.
    #[arg(long, requires = "remote")]
    pub skip_missing: bool,
    /// Rows per request (remote only).
    #[arg(long, default_value_t = 1024, value_parser = count(1, MAX_BATCH_ROWS))]
    pub batch_rows: usize,
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

fn parse_mapping(specs: &[String]) -> Result<Vec<(String, Vec<String>)>, Failure> {
    specs
        .iter()
        .map(|s| {
            let (tensor, cols) = s.split_once('=').ok_or_else(|| {
                Failure::bad_input(format!("--input '{s}': write TENSOR=COL1,COL2,..."))
            })?;
            let cols: Vec<String> = cols
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            if tensor.trim().is_empty() || cols.is_empty() {
                return Err(Failure::bad_input(format!(
                    "--input '{s}': name a tensor and at least one column"
                )));
            }
            Ok((tensor.trim().to_owned(), cols))
        })
        .collect()
}

pub fn run(args: PredictArgs) -> Result<(), Failure> {
    let opts = LoadOptions {
        time_zone: parse_time_zone(args.tz.as_deref())?,
        delimiter: None,
        ..LoadOptions::default()
    };
    let table = match &args.remote {
        None => {
            let b = bundle::load_bundle(std::path::Path::new(&args.model))?;
            let ds = dataset_arg::load(&args.data, &opts)?;
            let applied = apply::apply(&b.model, &ds, &args.model)?;
            (
                std::sync::Arc::unwrap_or_clone(applied.dataset.table),
                ds.time_zone,
            )
        }
        Some(base) => {
            let mapping = parse_mapping(&args.inputs)?;
            let client = V2Client::new(base, args.token.clone())
                .map(|c| c.allow_insecure_http(args.allow_http))?;
            let ds = dataset_arg::load(&args.data, &opts)?;
            let rt = crate::jobs::runtime().context("cannot start the network runtime")?;
            let progress = TerminalProgress::new(format!("Predicting on {base}"));
            let result = rt.block_on(async {
                let meta = client.metadata(&args.model).await?;
                if args.skip_missing {
                    remote::infer_complete_rows(
                        &client,
                        &args.model,
                        &meta,
                        &ds.table,
                        &mapping,
                        &args.outputs,
                        args.batch_rows.max(1),
                        &progress,
                    )
                    .await
                } else {
                    remote::infer_table(
                        &client,
                        &args.model,
                        &meta,
                        &ds.table,
                        &mapping,
                        &args.outputs,
                        args.batch_rows.max(1),
                        &progress,
                    )
                    .await
                    .map(|(c, l)| (c, l, 0))
                }
            });
            progress.finish();
            let (cols, latency, skipped) = result?;
            if skipped > 0 {
                eprintln!(
                    "{skipped} rows with a missing input were not sent; their predictions are empty"
                );
            }
            eprintln!(
                "{} rows predicted remotely in {:.0} ms",
                ds.table.n_rows() - skipped,
                latency.as_secs_f64() * 1000.0
            );
            (model::with_columns(&ds.table, cols), ds.time_zone)
        }
    };
    let (table, tz): (Table, _) = table;
    match &args.out {
        Some(path) => {
            csv_write::write_csv_file(&table, &tz, path)?;
            eprintln!("wrote {} rows to {}", table.n_rows(), path.display());
        }
        None => {
            let stdout = std::io::stdout();
            csv_write::write_csv(&table, &tz, stdout.lock())?;
        }
    }
    Ok(())
}
