//! `cityops pivot --data FILE [--names COL] [--values COL] [--keys A,B,…]
//! --out OUT.csv [--json]`: a long table (one reading per row, its kind in a
//! names column) made wide — one row per key, one column per name — as the
//! Data view's "Pivot long to wide" does. Columns left out are guessed as
//! the view guesses them.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::Failure;
use super::progress::TerminalProgress;
use crate::data::pivot::{self, PivotSpec};
use crate::data::{Dataset, LoadOptions, csv_write};

#[derive(Args, Debug)]
pub struct PivotArgs {
    /// The long table: a CSV file, or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    /// The column whose values become column names (e.g. "Parameter Name").
    #[arg(long, value_name = "COL")]
    pub names: Option<String>,
    /// The numeric column that fills the new columns (e.g. "Sample Measurement").
    #[arg(long, value_name = "COL")]
    pub values: Option<String>,
    /// The columns that identify a row of the result, comma-separated
    /// (default: the time, place and coordinate columns).
    #[arg(long, value_name = "A,B,…", value_delimiter = ',')]
    pub keys: Vec<String>,
    /// Where to write the wide table (CSV).
    #[arg(long, value_name = "OUT.csv")]
    pub out: PathBuf,
    /// End with one JSON object: rows, columns, averaged_cells, skipped_rows.
    #[arg(long)]
    pub json: bool,
    /// Time zone for timestamps without an offset (IANA name); default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

#[derive(Serialize)]
struct Summary {
    rows: usize,
    columns: Vec<String>,
    averaged_cells: usize,
    skipped_rows: usize,
}

fn column(ds: &Dataset, name: &str) -> Result<usize, Failure> {
    ds.table.column_index(name).ok_or_else(|| {
        Failure::bad_input(format!(
            "the table has no column '{name}'; its columns are: {}",
            ds.table.column_names()
        ))
    })
}

pub fn run(args: PivotArgs) -> Result<(), Failure> {
    let opts = LoadOptions {
        time_zone: super::parse_time_zone(args.tz.as_deref())?,
        ..LoadOptions::default()
    };
    let ds = super::dataset_arg::load(&args.data, &opts)?;
    let guess = pivot::suggest(&ds);
    let names = match &args.names {
        Some(n) => column(&ds, n)?,
        None => guess.as_ref().map(|g| g.names).ok_or_else(|| {
            Failure::bad_input(
                "no column looks like a list of parameter names; give --names COL".to_owned(),
            )
        })?,
    };
    let values = match &args.values {
        Some(v) => column(&ds, v)?,
        None => guess.as_ref().map(|g| g.values).ok_or_else(|| {
            Failure::bad_input("no numeric measure column found; give --values COL".to_owned())
        })?,
    };
    let keys = if args.keys.is_empty() {
        guess.map(|g| g.keys).unwrap_or_default()
    } else {
        args.keys
            .iter()
            .map(|k| column(&ds, k.trim()))
            .collect::<Result<Vec<_>, _>>()?
    };
    let spec = PivotSpec {
        keys,
        names,
        values,
    };
    let progress = TerminalProgress::new("Pivoting".to_owned());
    let out = pivot::pivot_wider(&ds.table, &spec, &progress);
    progress.finish();
    let out = out?;
    csv_write::write_csv_file(&out.table, &ds.time_zone, &args.out)?;
    let summary = Summary {
        rows: out.table.n_rows(),
        columns: out.table.columns.iter().map(|c| c.name.clone()).collect(),
        averaged_cells: out.averaged_cells,
        skipped_rows: out.skipped_rows,
    };
    if args.json {
        let text = serde_json::to_string(&summary)?;
        println!("{text}");
    } else {
        println!(
            "{} rows × {} columns → {} ({} cells averaged from several readings, {} rows without a name or value left out)",
            summary.rows,
            summary.columns.len(),
            args.out.display(),
            summary.averaged_cells,
            summary.skipped_rows
        );
    }
    Ok(())
}
