//! `cityops map --data FILE [--layer points|bins|hexbins|lines|choropleth]
//! [--by COLUMN] [--agg AGG] [--geojson FILE [--join PROPERTY=COLUMN]]
//! [--basemap none|demo|URL_TEMPLATE|FILE.pmtiles] [--allow-http] [--scale N] [--dark]
//! [--json] --out MAP.png`: a map drawn headlessly by the dashboard's own
//! map panel and rasterizer.
//!
//! - `--layer` defaults to points for a table with coordinates and to the
//!   file's own shapes for a GeoJSON.
//! - `--by` colours points by a category column, and makes bins, lines and
//!   polygons show `--agg` (default mean) of a numeric column instead of a
//!   count of rows.
//! - `--geojson` gives the polygons of a choropleth. Rows are joined to them
//!   spatially (the points inside each polygon), or by `--join
//!   PROPERTY=COLUMN` when the table names its district.
//! - `--basemap URL_TEMPLATE` fetches XYZ raster tiles (https, or http on
//!   this machine; other http needs `--allow-http`) through the same disk
//!   cache as the app. It waits up to 20 s for them, then draws without the
//!   missing ones and says which failed and why on stderr (and under the
//!   map).
//! - `--basemap FILE.pmtiles` reads raster tiles from a local PMTiles
//!   archive (checked before drawing; nothing fetched or cached).
//!
//! `--json` prints `{"out", "layer", "features", "missing", "value",
//! "range"}`, where `features` counts the drawn points, bins, polygons or
//! lines and `missing` those without a value.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::Failure;
use super::charts::Look;
use super::dataset_arg;
use crate::app::state::Basemap;
use crate::charts::{self, Aggregation, ChartKind, ChartSpec, Join, MapLayer};
use crate::data::timeseries::TimeRange;
use crate::data::{ColumnKind, LoadOptions};

/// How long `--basemap` waits for its tiles.
const TILE_WAIT: Duration = Duration::from_secs(20);

#[derive(Args, Debug)]
pub struct MapArgs {
    /// The table: a CSV or GeoJSON file, or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    /// points, bins, hexbins, lines or choropleth.
    #[arg(long, value_name = "LAYER", value_parser = parse_layer)]
    pub layer: Option<MapLayer>,
    /// The column that colours the layer: a category for points, a number
    /// for bins, lines and polygons.
    #[arg(long, value_name = "COLUMN")]
    pub by: Option<String>,
    /// How a number is aggregated per bin or polygon: count, sum, mean,
    /// median, min, max or p95 (default: mean with --by, else count).
    #[arg(long, value_name = "AGG", value_parser = parse_aggregation)]
    pub agg: Option<Aggregation>,
    /// The GeoJSON file of polygons a choropleth colours.
    #[arg(long, value_name = "FILE")]
    pub geojson: Option<PathBuf>,
    /// Join the polygons' PROPERTY to the table's COLUMN instead of by
    /// location.
    #[arg(long, value_name = "PROPERTY=COLUMN", requires = "geojson")]
    pub join: Option<String>,
    /// none (default), demo (the demo city's own map, offline), an XYZ
    /// tile URL template with {z}, {x} and {y}, or a raster .pmtiles file
    /// (offline).
    #[arg(long, value_name = "BASEMAP", default_value = "none")]
    pub basemap: String,
    /// The basemap's attribution, drawn in the corner.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub attribution: String,
    /// Allow a plain-http tile server on another machine.
    #[arg(long)]
    pub allow_http: bool,
    /// The PNG to write.
    #[arg(long, value_name = "MAP.png")]
    pub out: PathBuf,
    /// Print what was drawn as JSON.
    #[arg(long)]
    pub json: bool,
    /// Time zone for timestamps without an offset (IANA name).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[command(flatten)]
    pub look: Look,
}

fn parse_layer(s: &str) -> Result<MapLayer, String> {
    MapLayer::ALL
        .into_iter()
        .find(|l| l.key() == s)
        .ok_or_else(|| {
            format!("'{s}' is not a layer; choose points, bins, hexbins, lines or choropleth")
        })
}

fn parse_aggregation(s: &str) -> Result<Aggregation, String> {
    Aggregation::ALL
        .into_iter()
        .find(|a| a.key() == s)
        .ok_or_else(|| {
            format!("'{s}' is not an aggregation; choose count, sum, mean, median, min, max or p95")
        })
}

#[derive(Serialize)]
struct MapJson {
    out: String,
    layer: &'static str,
    features: usize,
    missing: usize,
    value: String,
    range: Option<[f64; 2]>,
    tiles_missing: bool,
}

pub fn run(args: MapArgs) -> Result<(), Failure> {
    let basemap = match args.basemap.as_str() {
        "none" | "" => Basemap::None,
        "demo" => Basemap::Demo,
        url if url.starts_with("http://")
            || url.starts_with("https://")
            || crate::app::widgets::tiles::is_pmtiles(url) =>
        {
            crate::app::widgets::tiles::check_template(url, args.allow_http)
                .map_err(|e| Failure::bad_input(format!("--basemap: {e}")))?;
            if crate::app::widgets::tiles::is_pmtiles(url) {
                // Read here, so a broken archive is refused before drawing.
                crate::app::widgets::pmtiles::Archive::open(std::path::Path::new(url))
                    .map_err(|e| Failure::bad_input(format!("--basemap: {e}")))?;
            }
            Basemap::Xyz {
                url: url.to_owned(),
                attribution: args.attribution.clone(),
            }
        }
        other => {
            return Err(Failure::bad_input(format!(
                "--basemap: '{other}' is not none, demo, an http(s) tile URL template such as https://tile.example.org/{{z}}/{{x}}/{{y}}.png or a raster .pmtiles file"
            )));
        }
    };
    if let Basemap::Xyz { url, .. } = &basemap
        && args.allow_http
    {
        // The map's shared tiles refuse remote http; this run allowed it.
        crate::app::widgets::tiles::allow_http_for(url);
    }
    let opts = LoadOptions {
        time_zone: super::parse_time_zone(args.tz.as_deref())?,
        ..LoadOptions::default()
    };
    let ds = dataset_arg::load(&args.data, &opts)?;
    let geo = match &args.geojson {
        Some(p) => Some(dataset_arg::load(&p.display().to_string(), &opts)?),
        None => None,
    };
    if let Some(g) = &geo
        && g.geometry.is_none()
    {
        return Err(Failure::bad_input(format!(
            "--geojson: {} is not a GeoJSON file",
            g.name
        )));
    }
    let join = match &args.join {
        Some(j) => {
            let (property, column) = j.split_once('=').ok_or_else(|| {
                Failure::bad_input(format!(
                    "--join: '{j}' must be PROPERTY=COLUMN, e.g. --join BoroName=BOROUGH"
                ))
            })?;
            Some(Join {
                property: property.trim().to_owned(),
                column: column.trim().to_owned(),
            })
        }
        None => None,
    };
    let layer = args.layer.unwrap_or(if geo.is_some() {
        MapLayer::Choropleth
    } else {
        MapLayer::Points
    });
    let by_kind = match &args.by {
        Some(c) => Some(
            ds.table
                .column(c)
                .ok_or_else(|| {
                    Failure::bad_input(format!(
                        "--by: there is no column '{c}'; the columns are: {}",
                        ds.table.column_names()
                    ))
                })?
                .kind(),
        ),
        None => None,
    };
    let numeric = by_kind.is_some_and(ColumnKind::is_numeric);
    let spec = ChartSpec {
        title: ds.name.clone(),
        kind: ChartKind::MapPoints,
        dataset: ds.name.clone(),
        measures: if numeric && layer != MapLayer::Points {
            args.by.clone().into_iter().collect()
        } else {
            Vec::new()
        },
        group: if layer == MapLayer::Points && !numeric {
            args.by.clone()
        } else {
            None
        },
        aggregation: args.agg.unwrap_or(if numeric {
            Aggregation::Mean
        } else {
            Aggregation::Count
        }),
        layer,
        geometry: geo.as_ref().map(|g| g.name.clone()),
        join,
        ..ChartSpec::default()
    };
    let data = charts::compute_with(&spec, &ds, geo.as_ref(), TimeRange::default(), &())
        .map_err(|e| Failure::within("map", e))?;
    let theme = if args.look.dark {
        crate::app::theme::Theme::Dark
    } else {
        crate::app::theme::Theme::Light
    };
    let wait = matches!(basemap, Basemap::Xyz { .. }).then_some(TILE_WAIT);
    let title = match &geo {
        Some(g) => format!("{} · {}", ds.name, g.name),
        None => ds.name.clone(),
    };
    let (image, tiles_missing) = crate::app::panels::chart_image_on(
        &title,
        &data,
        &ds.time_zone,
        args.look.scale,
        theme,
        &basemap,
        wait,
    )
    .map_err(|e| Failure::other(format!("map: {e}")))?;
    crate::app::widgets::save_png(&args.out, &image).map_err(|e| {
        Failure::other(format!(
            "{e:#}. Choose a folder you can write to, or free some space."
        ))
    })?;
    if let Some(problem) = &tiles_missing {
        eprintln!("warning: {problem}; the map was drawn without them");
    }
    let tiles_missing = tiles_missing.is_some();
    let (features, missing) = if data.map.is_some() {
        data.counts()
    } else {
        (data.series.iter().map(|s| s.drawn()).sum(), 0)
    };
    let layer_key = data
        .map
        .as_ref()
        .and_then(|m| m.layer)
        .unwrap_or(MapLayer::Points)
        .key();
    if args.json {
        let out = MapJson {
            out: args.out.display().to_string(),
            layer: layer_key,
            features,
            missing,
            value: data.y_label.clone(),
            range: data.map.as_ref().and_then(|m| m.range),
            tiles_missing,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: {features} {layer_key}{} → {}",
            title,
            if missing > 0 {
                format!(" ({missing} without a value)")
            } else {
                String::new()
            },
            args.out.display()
        );
    }
    Ok(())
}
