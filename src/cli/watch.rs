//! `cityops watch SOURCE [--every 30s] [--json]`: loads a file, URL or
//! portal API, then refreshes it on a timer (`sources::live`), printing
//! each refresh's new rows and every alert that fires — for scripts in a
//! control room. A failed refresh is printed and tried again with backoff;
//! what was loaded is kept. Runs until interrupted, or for `--times N`
//! refreshes.
//!
//! With `--json`, one object per line: `{"event": "loaded", "rows", "at"}`,
//! `{"event": "refresh", "new_rows", "rows", "how", "at"}`,
//! `{"event": "alert", "title", "detail", "dataset", "began", "at"}`,
//! `{"event": "error", "message", "retry_in_s", "at"}`.

use std::collections::HashSet;
use std::io::Write as _;
use std::time::Duration;

use clap::Args;
use serde_json::json;

use super::Failure;
use super::dataset_arg::SourceFlags;
use crate::data::alerts::{AlertRules, evaluate};
use crate::sources::live::{Refreshed, Watch, backoff, parse_every};

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// A CSV, JSON, Parquet, Arrow or spreadsheet file, an https URL of one, or a Socrata, CKAN or ArcGIS API address.
    pub source: String,
    /// How often to look for new rows: 30s, 5m, 1h (at least 2s).
    #[arg(long, value_name = "INTERVAL", default_value = "30s", value_parser = parse_every)]
    pub every: Duration,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Stop after this many refreshes (default: run until interrupted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=super::count::MAX_REFRESHES))]
    pub times: Option<u64>,
    /// Time zone for timestamps without an offset (IANA name); default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Alert when a station's AQI is above this (default 150; 0 switches it off).
    #[arg(long, value_name = "AQI")]
    pub aqi_above: Option<f64>,
    /// Alert when a sensor's speed is below this % of its usual (default 40; 0 switches it off).
    #[arg(long, value_name = "PCT")]
    pub speed_below_pct: Option<f64>,
    /// Alert on more incidents than this in one hour (default 10; 0 switches it off).
    #[arg(long, value_name = "N")]
    pub incidents_per_hour_above: Option<f64>,
    #[command(flatten)]
    pub flags: SourceFlags,
}

fn now() -> String {
    jiff::Zoned::now()
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn rules(args: &WatchArgs) -> AlertRules {
    let set = |given: Option<f64>, default: Option<f64>| match given {
        Some(v) if v <= 0.0 => None,
        Some(v) => Some(v),
        None => default,
    };
    let d = AlertRules::default();
    AlertRules {
        aqi_above: set(args.aqi_above, d.aqi_above),
        speed_below_usual_pct: set(args.speed_below_pct, d.speed_below_usual_pct),
        incidents_per_hour_above: set(args.incidents_per_hour_above, d.incidents_per_hour_above),
        // Forecast models are the dashboard's; watch checks the readings.
        forecast_above: None,
        ..d
    }
}

fn emit(json_out: bool, value: serde_json::Value, text: String) {
    let mut out = std::io::stdout().lock();
    let _ = if json_out {
        writeln!(out, "{value}")
    } else {
        writeln!(out, "{text}")
    };
    let _ = out.flush();
}

pub fn run(args: WatchArgs) -> Result<(), Failure> {
    let opts = args
        .flags
        .options(super::parse_time_zone(args.tz.as_deref())?);
    let rules = rules(&args);
    let mut ds = super::dataset_arg::load(&args.source, &opts)?;
    emit(
        args.json,
        json!({"event": "loaded", "rows": ds.table.n_rows(), "at": now()}),
        format!(
            "{}  loaded {} rows from {}",
            now(),
            ds.table.n_rows(),
            args.source
        ),
    );
    let mut seen: HashSet<String> = HashSet::new();
    let report_alerts = |ds: &crate::data::Dataset, seen: &mut HashSet<String>| {
        for a in evaluate(&[ds], &rules) {
            if seen.insert(a.key.clone()) {
                let began = jiff::Timestamp::from_microsecond(a.began)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                emit(
                    args.json,
                    json!({"event": "alert", "title": a.title, "detail": a.detail,
                           "dataset": a.dataset, "began": began, "at": now()}),
                    format!("{}  ALERT {}: {}", now(), a.title, a.detail),
                );
            }
        }
    };
    report_alerts(&ds, &mut seen);
    let mut watch = Watch::start(&ds);
    let mut failures = 0u32;
    let mut done = 0u64;
    let mut wait = args.every;
    while args.times.is_none_or(|n| done < n) {
        std::thread::sleep(wait);
        done += 1;
        match watch.refresh(&ds, &opts, &()) {
            Ok(Refreshed::Unchanged) => {
                failures = 0;
                emit(
                    args.json,
                    json!({"event": "refresh", "new_rows": 0, "rows": ds.table.n_rows(),
                           "how": "unchanged", "at": now()}),
                    format!("{}  no new rows ({} in all)", now(), ds.table.n_rows()),
                );
            }
            Ok(Refreshed::Changed {
                dataset,
                added,
                how,
            }) => {
                failures = 0;
                ds = *dataset;
                emit(
                    args.json,
                    json!({"event": "refresh", "new_rows": added, "rows": ds.table.n_rows(),
                           "how": how, "at": now()}),
                    format!(
                        "{}  +{added} rows ({} in all, {how})",
                        now(),
                        ds.table.n_rows()
                    ),
                );
                report_alerts(&ds, &mut seen);
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let retry = backoff(args.every, failures);
                emit(
                    args.json,
                    json!({"event": "error", "message": e.to_string(),
                           "retry_in_s": retry.as_secs(), "at": now()}),
                    format!(
                        "{}  refresh failed: {e} (keeping the {} rows loaded; next try in {} s)",
                        now(),
                        ds.table.n_rows(),
                        retry.as_secs()
                    ),
                );
                wait = retry;
                continue;
            }
        }
        wait = args.every;
    }
    Ok(())
}
