//! `cityops charts --data FILE [--json]`: the charts suggested for a table
//! (the same `charts::suggest` and `charts::compute` the dashboard uses),
//! computed over all its rows. `--json` prints `[{"title", "kind", "x",
//! "y", "group", "aggregation", "bucket", "series": [{"name", "points",
//! "missing"}]}]`, where `points` counts the drawn points, bars or cells and
//! `missing` the buckets or cells without a value; without it, one line per
//! chart.

use clap::Args;
use serde::Serialize;

use super::Failure;
use super::dataset_arg;
use crate::charts::{self, ChartData, ChartSpec};
use crate::data::LoadOptions;
use crate::data::timeseries::TimeRange;

#[derive(Args, Debug)]
pub struct ChartsArgs {
    /// The table: a CSV file, or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    /// Print the charts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Time zone for timestamps without an offset (IANA name); default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

#[derive(Serialize)]
struct SeriesJson<'a> {
    name: &'a str,
    points: usize,
    missing: usize,
}

#[derive(Serialize)]
struct ChartJson<'a> {
    title: &'a str,
    kind: &'static str,
    x: Option<&'a str>,
    y: String,
    group: Option<&'a str>,
    aggregation: &'static str,
    bucket: Option<&'static str>,
    series: Vec<SeriesJson<'a>>,
}

fn chart_json<'a>(spec: &'a ChartSpec, data: &'a ChartData) -> ChartJson<'a> {
    let mut series: Vec<SeriesJson<'a>> = data
        .series
        .iter()
        .map(|s| SeriesJson {
            name: &s.name,
            points: s.drawn(),
            missing: s.missing(),
        })
        .collect();
    if let Some(h) = &data.heatmap {
        let (drawn, missing) = data.counts();
        series.push(SeriesJson {
            name: if h.row_labels.len() == 7 {
                "weekday × hour"
            } else {
                "correlation"
            },
            points: drawn,
            missing,
        });
    }
    if let Some(t) = &data.table {
        series.push(SeriesJson {
            name: "table",
            points: t.rows.len(),
            missing: 0,
        });
    }
    ChartJson {
        title: &spec.title,
        kind: spec.kind.key(),
        x: spec.x.as_deref(),
        y: data.y_label.clone(),
        group: spec.group.as_deref(),
        aggregation: if spec.measures.is_empty() {
            "count"
        } else {
            spec.aggregation.key()
        },
        bucket: data.bucket.map(|b| b.key()),
        series,
    }
}

pub fn run(args: ChartsArgs) -> Result<(), Failure> {
    let opts = LoadOptions {
        time_zone: super::parse_time_zone(args.tz.as_deref())?,
        ..LoadOptions::default()
    };
    let ds = dataset_arg::load(&args.data, &opts)?;
    let specs = charts::suggest(&ds);
    let mut computed = Vec::with_capacity(specs.len());
    for spec in &specs {
        let data = charts::compute(spec, &ds, TimeRange::default(), &())
            .map_err(|e| Failure::other(format!("chart '{}': {e}", spec.title)))?;
        computed.push(data);
    }
    if args.json {
        let out: Vec<ChartJson<'_>> = specs
            .iter()
            .zip(&computed)
            .map(|(s, d)| chart_json(s, d))
            .collect();
        let text = serde_json::to_string_pretty(&out)?;
        println!("{text}");
        return Ok(());
    }
    if specs.is_empty() {
        println!(
            "{}: no column can be charted (no measures, categories, times or coordinates)",
            ds.name
        );
    }
    for (s, d) in specs.iter().zip(&computed) {
        let (drawn, missing) = d.counts();
        println!(
            "{:<11} {}  ({} points{}{})",
            s.kind.key(),
            s.title,
            drawn,
            if missing > 0 {
                format!(", {missing} without a value")
            } else {
                String::new()
            },
            d.bucket
                .map_or_else(String::new, |b| format!(", by {}", b.key())),
        );
    }
    Ok(())
}
