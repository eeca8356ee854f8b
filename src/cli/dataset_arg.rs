//! `--data FILE` for every command that reads a table: a CSV, JSON or
//! GeoJSON path, an https URL of one (downloaded, see `sources`), or
//! `demo:NAME` for one of the demo city's tables (traffic, incidents,
//! air_quality, reports, service_use).

use clap::Args;

use super::Failure;
use super::progress::TerminalProgress;
use crate::data::{self, Dataset, LoadOptions};

pub fn load(spec: &str, opts: &LoadOptions) -> Result<Dataset, Failure> {
    if let Some(name) = spec.strip_prefix("demo:") {
        let mut sets = data::demo_datasets();
        let names: Vec<String> = sets.iter().map(|d| d.name.clone()).collect();
        let Some(i) = sets.iter().position(|d| d.name == name) else {
            return Err(Failure::bad_input(format!(
                "there is no demo table '{name}'; choose one of: {}",
                names.join(", ")
            )));
        };
        let mut ds = sets.swap_remove(i);
        if let Some(tz) = &opts.time_zone {
            ds.time_zone = tz.clone();
        }
        return Ok(ds);
    }
    let progress = TerminalProgress::new(format!("Loading {spec}"));
    let loaded = crate::sources::load(spec, opts, &progress);
    progress.finish();
    Ok(loaded?)
}

/// How to read `--data` beyond its time zone: a workbook's sheet, and
/// plain http.
#[derive(Args, Debug, Clone, Default)]
pub struct SourceFlags {
    /// The sheet of an Excel or OpenDocument workbook (default: the first with data).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Allow plain http URLs to other computers (https is required otherwise; loopback is always allowed).
    #[arg(long)]
    pub allow_http: bool,
}

impl SourceFlags {
    /// Load options with these flags and a time zone.
    pub fn options(&self, time_zone: Option<jiff::tz::TimeZone>) -> LoadOptions {
        LoadOptions {
            time_zone,
            sheet: self.sheet.clone(),
            allow_http: self.allow_http,
            ..LoadOptions::default()
        }
    }
}

/// `--time-col COLUMN`: makes that column the time axis.
pub fn set_time_col(ds: &mut Dataset, col: Option<&str>) -> Result<(), Failure> {
    if let Some(col) = col {
        ds.set_role(col, data::Role::Time)
            .map_err(|e| Failure::bad_input(format!("--time-col {col}: {e}")))?;
    }
    Ok(())
}
