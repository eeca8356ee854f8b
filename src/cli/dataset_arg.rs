//! `--data FILE` for every command that reads a table: a CSV, JSON,
//! GeoJSON, Parquet, Arrow or spreadsheet path, an https URL of one or of a
//! portal API (see `sources`), a `postgres://` address with `--table` or
//! `--sql` (the password from `PGPASSWORD`, or asked for), or
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
    load_source(spec, opts)
}

/// A path, URL or database address loaded with progress on the terminal;
/// a database that asks for a password gets it asked for.
pub fn load_source(spec: &str, opts: &LoadOptions) -> Result<Dataset, Failure> {
    let progress = TerminalProgress::new(format!("Loading {spec}"));
    let loaded = crate::sources::load(spec, opts, &progress);
    progress.finish();
    match loaded {
        Err(crate::data::LoadError::Database { message, .. })
            if message == crate::sources::postgres::PASSWORD_MISSING =>
        {
            ask_password(spec)?;
            let progress = TerminalProgress::new(format!("Loading {spec}"));
            let loaded = crate::sources::load(spec, opts, &progress);
            progress.finish();
            Ok(loaded?)
        }
        other => Ok(other?),
    }
}

/// Asks for the database password on the terminal (not echoed) and keeps
/// it in memory for this run's connections. Without a terminal, says to
/// set PGPASSWORD.
pub fn ask_password(url: &str) -> Result<(), Failure> {
    use std::io::IsTerminal as _;
    let address = crate::sources::postgres::Address::parse(url)
        .map_err(|e| Failure::bad_input(e.to_string()))?;
    if !std::io::stdin().is_terminal() {
        return Err(Failure::bad_input(format!(
            "{}: the server asks for a password; set PGPASSWORD",
            address.shown
        )));
    }
    let password = rpassword::prompt_password(format!("Password for {}: ", address.shown))
        .map_err(|e| Failure::other(format!("the password could not be read: {e}")))?;
    crate::sources::postgres::remember_password(&address.shown, &password);
    Ok(())
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
    /// The most rows fetched from a Socrata, CKAN or ArcGIS API (default 5,000,000).
    #[arg(long, value_name = "N", value_parser = super::count::count(1, super::count::MAX_ROW_LIMIT))]
    pub row_limit: Option<usize>,
    /// A Socrata app token (sent as X-App-Token; raises the portal's rate limit).
    #[arg(long, value_name = "TOKEN")]
    pub app_token: Option<String>,
    /// Keep the rows fetched when paging an API fails or is interrupted half-way (the dataset says it is partial).
    #[arg(long)]
    pub keep_partial: bool,
    /// The table of a postgres:// address (schema.table or table); its charts are computed by the database.
    #[arg(long, value_name = "NAME", conflicts_with = "sql")]
    pub table: Option<String>,
    /// A SELECT statement of a postgres:// address, charted like a table.
    #[arg(long, value_name = "SELECT")]
    pub sql: Option<String>,
}

impl SourceFlags {
    /// Load options with these flags and a time zone.
    pub fn options(&self, time_zone: Option<jiff::tz::TimeZone>) -> LoadOptions {
        LoadOptions {
            time_zone,
            sheet: self.sheet.clone(),
            allow_http: self.allow_http,
            row_limit: self.row_limit,
            app_token: self.app_token.clone(),
            keep_partial: self.keep_partial,
            db_table: self.table.clone(),
            db_sql: self.sql.clone(),
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
