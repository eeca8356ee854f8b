//! `cityops watch mqtt://HOST:1883/TOPIC [--json]` follows an MQTT feed
//! instead (`sources::mqtt`): each reading as it arrives, the alerts it
//! sets off, malformed payloads and reconnects (see `run_mqtt`).
//!
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
    /// A CSV, JSON, Parquet, Arrow or spreadsheet file, an https URL of one, a Socrata, CKAN or ArcGIS API address, or an MQTT feed (mqtt://host:1883/topic/#).
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
    /// MQTT: readings kept in the window (the newest; default 100,000).
    #[arg(long, value_name = "N", value_parser = super::count::count(1, super::count::MAX_ROW_LIMIT))]
    pub window_rows: Option<usize>,
    /// MQTT: drop readings older than this before the latest one (90s, 30m, 12h, 7d).
    #[arg(long, value_name = "AGE", value_parser = crate::sources::mqtt::parse_age)]
    pub window_age: Option<Duration>,
    /// MQTT: the payload field that is the reading's time (default: a time field the payload has, else the arrival time).
    #[arg(long, value_name = "FIELD")]
    pub time_field: Option<String>,
    /// MQTT: stop after this many readings (default: run until interrupted).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub readings: Option<u64>,
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
    if crate::sources::mqtt::is_mqtt(&args.source) {
        return run_mqtt(&args);
    }
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
        report_new_alerts(args.json, ds, &rules, seen);
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

/// Prints every alert of `ds` not printed before.
fn report_new_alerts(
    json_out: bool,
    ds: &crate::data::Dataset,
    rules: &AlertRules,
    seen: &mut HashSet<String>,
) {
    for a in evaluate(&[ds], rules) {
        if seen.insert(a.key.clone()) {
            let began = jiff::Timestamp::from_microsecond(a.began)
                .map(|t| t.to_string())
                .unwrap_or_default();
            emit(
                json_out,
                json!({"event": "alert", "title": a.title, "detail": a.detail,
                       "dataset": a.dataset, "began": began, "at": now()}),
                format!("{}  ALERT {}: {}", now(), a.title, a.detail),
            );
        }
    }
}

/// A cell as JSON: a number, a boolean, a time (RFC 3339) or text.
fn cell_json(c: &crate::data::Column, row: usize) -> serde_json::Value {
    use crate::data::ColumnValues as V;
    if !c.is_valid(row) {
        return serde_json::Value::Null;
    }
    match &c.values {
        V::Integer(v) => v.get(row).map_or(serde_json::Value::Null, |x| json!(x)),
        V::Float(v) => v.get(row).map_or(serde_json::Value::Null, |x| json!(x)),
        V::Bool(v) => v.get(row).map_or(serde_json::Value::Null, |x| json!(x)),
        V::Timestamp(v) => v
            .get(row)
            .and_then(|t| jiff::Timestamp::from_microsecond(*t).ok())
            .map_or(serde_json::Value::Null, |t| json!(t.to_string())),
        V::Categorical { .. } | V::Text(_) => {
            c.str_at(row).map_or(serde_json::Value::Null, |s| json!(s))
        }
    }
}

/// `watch mqtt://…`: each reading as it arrives, the alerts it sets off,
/// malformed payloads and lost connections. JSON lines:
/// `{"event": "subscribed", "topics", "at"}`,
/// `{"event": "reading", "topic", "values": {…}, "at"}`,
/// `{"event": "alert", …}` as above,
/// `{"event": "malformed", "topic", "reason", "at"}`,
/// `{"event": "error", "message", "retry_in_s", "at"}`.
fn run_mqtt(args: &WatchArgs) -> Result<(), Failure> {
    use crate::sources::mqtt::{self, Bound, FeedEvent, FeedOptions};
    let address = mqtt::Address::parse(&args.source).map_err(Failure::bad_input)?;
    let tz = super::parse_time_zone(args.tz.as_deref())?.unwrap_or_else(jiff::tz::TimeZone::system);
    let opts = FeedOptions {
        bound: Bound {
            max_rows: args.window_rows.unwrap_or(mqtt::DEFAULT_WINDOW_ROWS),
            max_age: args.window_age,
        },
        time_zone: tz,
        time_field: args.time_field.clone(),
        stop_after: args.readings,
    };
    let rules = rules(args);
    let json_out = args.json;
    let mut seen: HashSet<String> = HashSet::new();
    let name = address.name();
    let url = address.shown.clone();
    let mut on_event = |event: FeedEvent, window: &mqtt::Window| match event {
        FeedEvent::Subscribed => emit(
            json_out,
            json!({"event": "subscribed", "topics": address.filters, "at": now()}),
            format!("{}  following {}", now(), address.shown),
        ),
        FeedEvent::Lost { message, retry_in } => emit(
            json_out,
            json!({"event": "error", "message": message, "retry_in_s": retry_in.as_secs_f64(), "at": now()}),
            format!(
                "{}  {}: {message} (keeping the {} readings held; next try in {:.1} s)",
                now(),
                address.shown,
                window.rows(),
                retry_in.as_secs_f64()
            ),
        ),
        FeedEvent::Malformed { topic, reason } => emit(
            json_out,
            json!({"event": "malformed", "topic": topic, "reason": reason, "at": now()}),
            format!(
                "{}  skipped a malformed payload on {topic}: {reason}",
                now()
            ),
        ),
        FeedEvent::Readings { added } => {
            let Some(ds) = window.dataset(&name, &url) else {
                return;
            };
            let n = ds.table.n_rows();
            for row in n.saturating_sub(added)..n {
                let values: serde_json::Map<String, serde_json::Value> = ds
                    .table
                    .columns
                    .iter()
                    .filter(|c| c.name != "topic" && c.name != "received_at")
                    .map(|c| (c.name.clone(), cell_json(c, row)))
                    .collect();
                let topic = ds
                    .table
                    .column("topic")
                    .and_then(|c| c.str_at(row))
                    .unwrap_or("")
                    .to_owned();
                let text = values
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                emit(
                    json_out,
                    json!({"event": "reading", "topic": topic, "values": values, "at": now()}),
                    format!("{}  {topic}  {text}", now()),
                );
            }
            report_new_alerts(json_out, &ds, &rules, &mut seen);
        }
    };
    // Runs until interrupted (Ctrl-C ends the process) or `--readings`.
    mqtt::follow(&address, &opts, &(), &mut on_event)?;
    Ok(())
}
