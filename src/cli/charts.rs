//! `cityops charts --data FILE [--json] [--out DIR] [--scale N]`: the
//! charts suggested for a table (the same `charts::suggest` and
//! `charts::compute` the dashboard uses), computed over all its rows.
//! `--json` prints `[{"title", "kind", "x", "y", "group", "aggregation",
//! "bucket", "series": [{"name", "points", "missing"}]}]`, where `points`
//! counts the drawn points, bars or cells and `missing` the buckets or cells
//! without a value (and `"png"`, the file written, with `--out`); without
//! it, one line per chart. `--out` writes one PNG per chart, drawn by the
//! dashboard's own panel code and rasterizer, without a window.
//!
//! `cityops chart --data FILE --spec SPEC.json --out OUT.png`: one chart
//! spec (as saved in a workspace's dashboards) rendered the same way. A
//! spec that cannot be drawn exits 2 with the reason.
//!
//! Rendering uses the app's panel drawing (`app::panels::chart_image`): the
//! one place the command line reaches into `app` besides launching it, so
//! a chart looks the same on screen, in a PNG from the dashboard and here.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::Failure;
use super::dataset_arg;
use crate::charts::{self, ChartData, ChartSpec};
use crate::data::timeseries::TimeRange;

#[derive(Args, Debug)]
pub struct ChartsArgs {
    /// The table: a CSV, JSON, GeoJSON, Parquet, Arrow or spreadsheet file, an https URL of one, or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    #[command(flatten)]
    pub source: dataset_arg::SourceFlags,
    /// Print the charts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Time zone for timestamps without an offset (IANA name); default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Write one PNG per chart into this folder (made if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub look: Look,
}

/// How a chart image looks.
#[derive(Args, Debug)]
pub struct Look {
    /// Pixels per point of the images (1 to 4; default 2: 1920 × 1080).
    #[arg(long, value_name = "N", value_parser = super::parse_scale, default_value = "2")]
    pub scale: f32,
    /// Dark images instead of light ones.
    #[arg(long)]
    pub dark: bool,
}

#[derive(Args, Debug)]
pub struct ChartArgs {
    /// The table: a CSV, JSON, GeoJSON, Parquet, Arrow or spreadsheet file, an https URL of one, or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    #[command(flatten)]
    pub source: dataset_arg::SourceFlags,
    /// The chart spec (JSON, as in a workspace's dashboards).
    #[arg(long, value_name = "SPEC.json")]
    pub spec: PathBuf,
    /// The PNG to write.
    #[arg(long, value_name = "OUT.png")]
    pub out: PathBuf,
    /// Time zone for timestamps without an offset (IANA name); default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[command(flatten)]
    pub look: Look,
}

/// Largest spec file read (a spec is a few hundred bytes).
const MAX_SPEC_BYTES: u64 = 1 << 20;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    png: Option<String>,
    /// "memory" (every row, here), "database" (the server aggregated every
    /// row) or "sample" (the rows held here of a database table).
    computed_by: &'static str,
    /// Where the figures come from, when not the whole table in memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
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
        png: None,
        computed_by: match data.note.as_deref() {
            Some(n) if n.starts_with("computed by the database") => "database",
            Some(_) => "sample",
            None => "memory",
        },
        note: data.note.as_deref(),
    }
}

pub fn run(args: ChartsArgs) -> Result<(), Failure> {
    let opts = args
        .source
        .options(super::parse_time_zone(args.tz.as_deref())?);
    let ds = dataset_arg::load(&args.data, &opts)?;
    let specs = charts::suggest(&ds);
    let mut computed = Vec::with_capacity(specs.len());
    for spec in &specs {
        let data = crate::sources::compute_chart(spec, &ds, None, TimeRange::default(), &())
            .map_err(|e| Failure::within(format!("chart '{}'", spec.title), e))?;
        computed.push(data);
    }
    let mut files = Vec::new();
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::other(format!(
                "{}: {e}. Choose a folder you can write to.",
                dir.display()
            ))
        })?;
        for (i, (spec, data)) in specs.iter().zip(&computed).enumerate() {
            let name = format!(
                "{:02}_{}.png",
                i + 1,
                crate::app::png_export::file_stem(&spec.title)
            );
            let path = dir.join(name);
            write_png(&spec.title, data, &ds, &args.look, &path)?;
            files.push(path);
        }
    }
    if args.json {
        let out: Vec<ChartJson<'_>> = specs
            .iter()
            .zip(&computed)
            .enumerate()
            .map(|(i, (s, d))| ChartJson {
                png: files.get(i).map(|p| p.display().to_string()),
                ..chart_json(s, d)
            })
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
            "{:<11} {}  ({} points{}{}{})",
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
            d.note
                .as_ref()
                .map_or_else(String::new, |n| format!("; {n}")),
        );
    }
    if let Some(dir) = &args.out {
        println!("wrote {} PNG files to {}", files.len(), dir.display());
    }
    Ok(())
}

/// Draws one chart and writes it as a PNG (atomically).
fn write_png(
    title: &str,
    data: &ChartData,
    ds: &crate::data::Dataset,
    look: &Look,
    path: &Path,
) -> Result<(), Failure> {
    let theme = if look.dark {
        crate::app::theme::Theme::Dark
    } else {
        crate::app::theme::Theme::Light
    };
    let image = crate::app::panels::chart_image(title, data, &ds.time_zone, look.scale, theme)
        .map_err(|e| Failure::other(format!("chart '{title}': {e}")))?;
    crate::app::widgets::save_png(path, &image).map_err(|e| {
        Failure::other(format!(
            "{e:#}. Choose a folder you can write to, or free some space."
        ))
    })
}

pub fn run_one(args: ChartArgs) -> Result<(), Failure> {
    let text = crate::data::file::read_regular_to_string(&args.spec, MAX_SPEC_BYTES)
        .map_err(|e| Failure::bad_input(format!("--spec: {e}")))?;
    let spec: ChartSpec = serde_json::from_str(&text).map_err(|e| {
        Failure::bad_input(format!(
            "{}:{}:{}: {e}. A spec is JSON such as {{\"kind\": \"line\", \"x\": \"time\", \"measures\": [\"speed\"]}}",
            args.spec.display(),
            e.line(),
            e.column()
        ))
    })?;
    let opts = args
        .source
        .options(super::parse_time_zone(args.tz.as_deref())?);
    let ds = dataset_arg::load(&args.data, &opts)?;
    let data = crate::sources::compute_chart(&spec, &ds, None, TimeRange::default(), &())
        .map_err(|e| Failure::within(args.spec.display(), e))?;
    let title = if spec.title.is_empty() {
        data.y_label.clone()
    } else {
        spec.title.clone()
    };
    write_png(&title, &data, &ds, &args.look, &args.out)?;
    let (drawn, missing) = data.counts();
    println!(
        "wrote {} ({} points, {} without a value, {} rows)",
        args.out.display(),
        drawn,
        missing,
        data.rows_used
    );
    Ok(())
}
