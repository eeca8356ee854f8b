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
//! - `--overlay LAYER[:COLUMN]` (repeatable) draws another layer of the
//!   same table over the first — e.g. `--layer choropleth --overlay
//!   points:type` for incidents per district with each incident on top —
//!   coloured by COLUMN as `--by` would (a choropleth overlay uses the same
//!   `--geojson` and `--join`). Each layer gets its legend.
//! - `--large` draws labels, legends and dots in presentation mode's
//!   large style, for a slide or a poster.
//!
//! `--json` prints `{"out", "layer", "features", "missing", "value",
//! "range", "tiles_missing", "overlays"}`, where `features` counts the
//! drawn points, bins, polygons or lines and `missing` those without a
//! value, and `overlays` holds `{"layer", "features", "missing", "value",
//! "range"}` for each overlay.

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
    /// Another layer of the same table over the first, coloured by COLUMN
    /// as --by would (repeatable): points, bins, hexbins, lines or
    /// choropleth, e.g. --overlay points:type.
    #[arg(long, value_name = "LAYER[:COLUMN]", value_parser = parse_overlay)]
    pub overlay: Vec<(MapLayer, Option<String>)>,
    /// Large labels, legends and dots (presentation mode's style).
    #[arg(long)]
    pub large: bool,
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

fn parse_overlay(s: &str) -> Result<(MapLayer, Option<String>), String> {
    let (layer, by) = match s.split_once(':') {
        Some((l, c)) if !c.trim().is_empty() => (l, Some(c.trim().to_owned())),
        Some((l, _)) => (l, None),
        None => (s, None),
    };
    Ok((parse_layer(layer.trim())?, by))
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
    #[serde(flatten)]
    first: LayerJson,
    tiles_missing: bool,
    overlays: Vec<LayerJson>,
}

/// What one layer drew.
#[derive(Serialize)]
struct LayerJson {
    layer: &'static str,
    features: usize,
    missing: usize,
    value: String,
    range: Option<[f64; 2]>,
}

impl LayerJson {
    fn of(data: &charts::ChartData) -> Self {
        let (features, missing) = if data.map.is_some() {
            data.counts()
        } else {
            (data.series.iter().map(|s| s.drawn()).sum(), 0)
        };
        Self {
            layer: data
                .map
                .as_ref()
                .and_then(|m| m.layer)
                .unwrap_or(MapLayer::Points)
                .key(),
            features,
            missing,
            value: data.y_label.clone(),
            range: data.map.as_ref().and_then(|m| m.range),
        }
    }
}

/// The map spec of one layer of `ds`: coloured by `by` (a category for
/// points, a number's `agg` for the rest), over the districts of `geo`.
fn layer_spec(
    ds: &crate::data::Dataset,
    geo: Option<&crate::data::Dataset>,
    layer: MapLayer,
    by: Option<&String>,
    agg: Option<Aggregation>,
    join: Option<Join>,
    flag: &str,
) -> Result<ChartSpec, Failure> {
    let by_kind = match by {
        Some(c) => Some(
            ds.table
                .column(c)
                .ok_or_else(|| {
                    Failure::bad_input(format!(
                        "{flag}: there is no column '{c}'; the columns are: {}",
                        ds.table.column_names()
                    ))
                })?
                .kind(),
        ),
        None => None,
    };
    let numeric = by_kind.is_some_and(ColumnKind::is_numeric);
    Ok(ChartSpec {
        title: format!("{} of {}", layer.key(), ds.name),
        kind: ChartKind::MapPoints,
        dataset: ds.name.clone(),
        measures: if numeric && layer != MapLayer::Points {
            by.cloned().into_iter().collect()
        } else {
            Vec::new()
        },
        group: if layer == MapLayer::Points && !numeric {
            by.cloned()
        } else {
            None
        },
        aggregation: agg.unwrap_or(if numeric {
            Aggregation::Mean
        } else {
            Aggregation::Count
        }),
        layer,
        geometry: geo.map(|g| g.name.clone()),
        join,
        ..ChartSpec::default()
    })
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
    let mut spec = layer_spec(
        &ds,
        geo.as_ref(),
        layer,
        args.by.as_ref(),
        args.agg,
        join.clone(),
        "--by",
    )?;
    for (layer, by) in &args.overlay {
        if *layer == MapLayer::Choropleth && geo.is_none() {
            return Err(Failure::bad_input(
                "--overlay choropleth needs --geojson FILE: the districts to colour",
            ));
        }
        let agg = args.agg.filter(|_| by.is_some());
        spec.overlays.push(layer_spec(
            &ds,
            geo.as_ref(),
            *layer,
            by.as_ref(),
            agg,
            join.clone(),
            "--overlay",
        )?);
    }
    let window = TimeRange::default();
    let mut data = charts::compute_with(&spec, &ds, geo.as_ref(), window, &())
        .map_err(|e| Failure::within("map", e))?;
    data.layer_title = charts::layer_title(&spec);
    let shared = std::sync::Arc::new(ds);
    let shared_geo = geo.map(std::sync::Arc::new);
    let inputs: Vec<crate::sources::LayerInput> = spec
        .overlays
        .iter()
        .map(|o| crate::sources::LayerInput {
            spec: o.clone(),
            ds: Some(std::sync::Arc::clone(&shared)),
            geometry: shared_geo.clone(),
            window,
        })
        .collect();
    data.overlays =
        crate::sources::compute_overlays(&inputs, &()).map_err(|e| Failure::within("map", e))?;
    if let Some((o, e)) = data
        .overlays
        .iter()
        .find_map(|o| o.error.as_ref().map(|e| (o, e)))
    {
        return Err(Failure::bad_input(format!("--overlay {}: {e}", o.title)));
    }
    let ds = &*shared;
    let theme = if args.look.dark {
        crate::app::theme::Theme::Dark
    } else {
        crate::app::theme::Theme::Light
    };
    let wait = matches!(basemap, Basemap::Xyz { .. }).then_some(TILE_WAIT);
    let title = match &shared_geo {
        Some(g) => format!("{} · {}", ds.name, g.name),
        None => ds.name.clone(),
    };
    let (image, tiles_missing) = crate::app::panels::chart_image_on(
        &title,
        &data,
        &ds.time_zone,
        args.look.scale,
        theme,
        &crate::app::panels::MapImage {
            basemap: &basemap,
            wait,
            large: args.large,
        },
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
    let first = LayerJson::of(&data);
    let overlays: Vec<LayerJson> = data
        .overlays
        .iter()
        .filter_map(|o| o.data.as_ref().map(LayerJson::of))
        .collect();
    if args.json {
        let out = MapJson {
            out: args.out.display().to_string(),
            first,
            tiles_missing: tiles_missing.is_some(),
            overlays,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let describe = |l: &LayerJson| {
            format!(
                "{} {}{}",
                l.features,
                l.layer,
                if l.missing > 0 {
                    format!(" ({} without a value)", l.missing)
                } else {
                    String::new()
                }
            )
        };
        let layers: Vec<String> = std::iter::once(&first)
            .chain(&overlays)
            .map(describe)
            .collect();
        println!("{}: {} → {}", title, layers.join(" + "), args.out.display());
    }
    Ok(())
}
