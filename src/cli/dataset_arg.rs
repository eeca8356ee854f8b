//! `--data FILE` for every command that reads a table: a CSV, JSON or
//! GeoJSON path, an https URL of one (downloaded, see `sources`), or
//! `demo:NAME` for one of the demo city's tables (traffic, incidents,
//! air_quality, reports, service_use).

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
    let loaded = crate::sources::load(spec, opts, false, &progress);
    progress.finish();
    Ok(loaded?)
}

/// `--time-col COLUMN`: makes that column the time axis.
pub fn set_time_col(ds: &mut Dataset, col: Option<&str>) -> Result<(), Failure> {
    if let Some(col) = col {
        ds.set_role(col, data::Role::Time)
            .map_err(|e| Failure::bad_input(format!("--time-col {col}: {e}")))?;
    }
    Ok(())
}
