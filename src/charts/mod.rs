//! Charts of any table: a serialisable [`ChartSpec`] (what to draw), one
//! function from a spec, a dataset and a time window to the plotted data
//! ([`compute`]), the charts suggested for a table ([`suggest`]) and the
//! default dashboard of a dataset's domain ([`default_dashboard`]: the
//! Traffic, Safety and Environment panels from the columns a file has,
//! with the usual level for that weekday and hour and the AQI bands as a
//! spec's [`Reference`]).
//!
//! The spec is the one description of a chart that the Explore view, the
//! dashboards, PNG export and `cityops charts` share; it names columns, not
//! column indices, so it survives a reload and is saved with a workspace.
//! Computation runs off the UI thread and returns at most a few thousand
//! points per series (time buckets are bounded, scatters and maps sampled),
//! so a 1,000,000-row table stays interactive.
//!
//! **Gaps stay gaps**: a bucket without a value is a NaN point in a line's
//! series (drawn as a break), never a zero and never joined across — except
//! for counts, where an empty bucket is a true zero (no incidents that day).
//!
//! Uses only `data`; it must not import egui, the app or the CLI.

mod bucket;
mod compute;
mod domain;
pub mod map;
pub mod sql;
mod suggest;
mod table;

pub use bucket::TimeBucket;
pub use compute::{compute, compute_with, format_value};
pub use domain::{DEFAULT_PANELS, default_dashboard, domain_panels};
pub use map::{
    Dot, Join, LayerLook, MapData, MapLayer, Overlay, choropleth_suggestion, layer_title,
};
pub use suggest::suggest;

/// The measure name of the AQI: a table's own column of that name, or
/// else the AQI computed from its pollutant columns (`Dataset::aqi`).
pub const AQI: &str = "AQI";

use serde::{Deserialize, Serialize};

/// What kind of chart a spec draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Line,
    Area,
    Bar,
    StackedBar,
    Scatter,
    Histogram,
    /// Weekday × hour of a measure when `x` is the time column; the
    /// correlations of the measures otherwise.
    Heatmap,
    MapPoints,
    /// One figure: the latest value of a measure against its usual level.
    Kpi,
    Table,
}

impl ChartKind {
    pub const ALL: [Self; 10] = [
        Self::Line,
        Self::Area,
        Self::Bar,
        Self::StackedBar,
        Self::Scatter,
        Self::Histogram,
        Self::Heatmap,
        Self::MapPoints,
        Self::Kpi,
        Self::Table,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Line => "line",
            Self::Area => "area",
            Self::Bar => "bar",
            Self::StackedBar => "stacked_bar",
            Self::Scatter => "scatter",
            Self::Histogram => "histogram",
            Self::Heatmap => "heatmap",
            Self::MapPoints => "map_points",
            Self::Kpi => "kpi",
            Self::Table => "table",
        }
    }
}

/// How the values of a bucket or a category become one number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Rows (no measure needed).
    Count,
    Sum,
    #[default]
    Mean,
    Median,
    Min,
    Max,
    /// The 95th percentile (nearest rank).
    P95,
}

impl Aggregation {
    pub const ALL: [Self; 7] = [
        Self::Count,
        Self::Sum,
        Self::Mean,
        Self::Median,
        Self::Min,
        Self::Max,
        Self::P95,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::Mean => "mean",
            Self::Median => "median",
            Self::Min => "min",
            Self::Max => "max",
            Self::P95 => "p95",
        }
    }

    /// The aggregate of `values` (which it may reorder); `None` for none.
    pub fn apply(self, values: &mut [f64]) -> Option<f64> {
        if values.is_empty() {
            return (self == Self::Count).then_some(0.0);
        }
        let n = values.len();
        Some(match self {
            Self::Count => n as f64,
            Self::Sum => values.iter().sum(),
            Self::Mean => values.iter().sum::<f64>() / n as f64,
            Self::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Self::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Self::Median => {
                let mid = n / 2;
                values.select_nth_unstable_by(mid, f64::total_cmp);
                let hi = values.get(mid).copied().unwrap_or(f64::NAN);
                if n % 2 == 1 {
                    hi
                } else {
                    let lo = values
                        .get(..mid)
                        .unwrap_or_default()
                        .iter()
                        .copied()
                        .fold(f64::NEG_INFINITY, f64::max);
                    (lo + hi) / 2.0
                }
            }
            Self::P95 => {
                // Nearest rank: the smallest value with at least 95 % of
                // the values at or below it.
                let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n) - 1;
                values.select_nth_unstable_by(rank, f64::total_cmp);
                values.get(rank).copied().unwrap_or(f64::NAN)
            }
        })
    }
}

/// A condition on rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Filter {
    /// The column's value (as text) is one of these.
    InSet { column: String, values: Vec<String> },
    /// The column's number is within `min..=max` (either may be open).
    Range {
        column: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// The row's point lies inside feature `feature` of the GeoJSON dataset
    /// `geometry` (a district picked on a map joined by location).
    Within { geometry: String, feature: usize },
}

/// What to draw: everything a chart needs besides the data and the time
/// window, by column name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChartSpec {
    pub title: String,
    pub kind: ChartKind,
    /// The dataset's name (a dashboard may hold charts of several).
    pub dataset: String,
    /// The x axis: a time column (bucketed), a category column (one bar or
    /// point per value) or a numeric column (scatter). `None`: the kind's
    /// default (none for histograms, KPIs, correlation heatmaps and maps).
    pub x: Option<String>,
    /// The measures on the y axis (none for a count).
    pub measures: Vec<String>,
    /// One series per value of this column (top N, then "other").
    pub group: Option<String>,
    pub aggregation: Aggregation,
    pub bucket: TimeBucket,
    pub filters: Vec<Filter>,
    /// Categories and groups kept before the rest become "other".
    pub top_n: Option<usize>,
    /// What a line over time is drawn against: nothing, the usual level
    /// for that weekday and hour, or the EPA's AQI bands.
    #[serde(skip_serializing_if = "Reference::is_none")]
    pub reference: Reference,
    /// A map's layer (maps only).
    #[serde(skip_serializing_if = "is_default")]
    pub layer: MapLayer,
    /// The GeoJSON dataset whose polygons a choropleth colours (maps only;
    /// `None`: the spec's own dataset, when it is GeoJSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<String>,
    /// How a choropleth's polygons meet the rows; `None`: spatially.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join: Option<Join>,
    /// How this layer is shown: on or off, its opacity (maps only).
    #[serde(skip_serializing_if = "is_default")]
    pub look: LayerLook,
    /// More layers on the same map, drawn over this one in order: each a
    /// map spec of any open dataset, with its own layer, colouring,
    /// districts and look (maps only; an overlay's own overlays are not
    /// drawn).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<ChartSpec>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// A reference drawn behind or beside a line over time — the special
/// panels of the Traffic and Environment dashboards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    #[default]
    None,
    /// Each series' usual value for the same weekday and hour (hourly
    /// buckets) or weekday (daily buckets): the median of that slot's
    /// buckets over the whole dataset, drawn dashed beside the series.
    Usual,
    /// The AQI categories of the US EPA as coloured bands behind the lines.
    AqiBands,
}

impl Reference {
    pub const ALL: [Self; 3] = [Self::None, Self::Usual, Self::AqiBands];

    pub fn is_none(&self) -> bool {
        *self == Self::None
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Usual => "usual",
            Self::AqiBands => "aqi_bands",
        }
    }
}

impl Default for ChartSpec {
    fn default() -> Self {
        Self {
            title: String::new(),
            kind: ChartKind::Line,
            dataset: String::new(),
            x: None,
            measures: Vec::new(),
            group: None,
            aggregation: Aggregation::Mean,
            bucket: TimeBucket::Auto,
            filters: Vec::new(),
            top_n: None,
            reference: Reference::None,
            layer: MapLayer::Points,
            geometry: None,
            join: None,
            look: LayerLook::default(),
            overlays: Vec::new(),
        }
    }
}

/// What the x axis holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum XAxis {
    /// Seconds since the epoch (bucket starts), shown in the dataset's zone.
    Time,
    /// Category `i` at x = `i`.
    Category(Vec<String>),
    /// Numbers of the named column (or bins of the measure).
    Numeric(String),
    /// Longitude (x) against latitude (y).
    Map,
    /// Nothing: KPIs and tables.
    None,
}

/// One line, set of bars or set of points. A point whose y is NaN is a gap.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    pub name: String,
    pub points: Vec<[f64; 2]>,
    /// A reference line (a series' usual level), drawn dashed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub usual: bool,
}

impl Series {
    pub fn new(name: String, points: Vec<[f64; 2]>) -> Self {
        Self {
            name,
            points,
            usual: false,
        }
    }

    /// Points with a value (drawn points, bars or cells).
    pub fn drawn(&self) -> usize {
        self.points.iter().filter(|p| p[1].is_finite()).count()
    }

    /// Buckets or categories without a value.
    pub fn missing(&self) -> usize {
        self.points.len() - self.drawn()
    }
}

/// A grid of values: rows × columns, NaN where a cell has no value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Heatmap {
    pub row_labels: Vec<String>,
    pub column_labels: Vec<String>,
    /// Row-major.
    pub values: Vec<f64>,
}

/// A key figure: the latest bucket's value against the usual level (the
/// median of the buckets before it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Kpi {
    pub latest: f64,
    /// Seconds since the epoch of the latest bucket's start.
    pub at: f64,
    pub usual: Option<f64>,
}

/// A small table of aggregated values.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableData {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A computed chart, ready to draw.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChartData {
    pub kind: ChartKind,
    pub x: XAxis,
    /// What the y values are ("mean of speed_kmh", "rows").
    pub y_label: String,
    pub series: Vec<Series>,
    /// The time bucket used (resolved from `Auto`), for time axes.
    pub bucket: Option<TimeBucket>,
    /// Histogram bin width.
    pub bin_width: Option<f64>,
    pub heatmap: Option<Heatmap>,
    pub kpi: Option<Kpi>,
    pub table: Option<TableData>,
    /// Rows that passed the window and the filters.
    pub rows_used: usize,
    /// The spec's reference (the AQI bands are drawn behind the lines).
    pub reference: Reference,
    /// A map's bins, polygons or lines (its points are `series`).
    pub map: Option<MapData>,
    /// Where the figures come from when it is not the whole table in
    /// memory ("computed by PostgreSQL over 1,234,567 rows", "from a sample
    /// of the first 10,000 rows"), shown under the chart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How a map layer is shown, from its spec.
    #[serde(skip)]
    pub look: LayerLook,
    /// A map layer's name in its legend (see [`layer_title`]).
    #[serde(skip)]
    pub layer_title: String,
    /// A map's further layers, from the spec's overlays, in drawing order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overlays: Vec<Overlay>,
}

impl ChartData {
    fn new(kind: ChartKind, x: XAxis, y_label: String) -> Self {
        Self {
            kind,
            x,
            y_label,
            series: Vec::new(),
            bucket: None,
            bin_width: None,
            heatmap: None,
            kpi: None,
            table: None,
            rows_used: 0,
            reference: Reference::None,
            map: None,
            note: None,
            look: LayerLook::default(),
            layer_title: String::new(),
            overlays: Vec::new(),
        }
    }

    /// A map of points (one series per group) or of a layer, made outside
    /// [`compute`] (the Traffic and Safety views' own maps).
    pub fn map(series: Vec<Series>, layer: Option<MapData>) -> Self {
        let mut out = Self::new(ChartKind::MapPoints, XAxis::Map, String::new());
        if let Some(m) = layer {
            out.y_label = m.value_label.clone();
            out.map = Some(m);
        }
        out.series = series;
        out
    }

    /// Points, bars or cells drawn, and those without a value.
    pub fn counts(&self) -> (usize, usize) {
        if let Some(m) = &self.map
            && m.layer != Some(MapLayer::Points)
        {
            let values: Vec<f64> = m
                .bins
                .iter()
                .map(|b| b.value)
                .chain(m.areas.iter().map(|a| a.value))
                .chain(m.lines.iter().map(|l| l.value))
                .collect();
            let drawn = values.iter().filter(|v| v.is_finite()).count();
            // Lines without a measure are drawn all the same.
            if m.layer == Some(MapLayer::Lines) {
                return (m.lines.len(), 0);
            }
            return (drawn, values.len() - drawn);
        }
        if let Some(h) = &self.heatmap {
            let drawn = h.values.iter().filter(|v| v.is_finite()).count();
            return (drawn, h.values.len() - drawn);
        }
        self.series
            .iter()
            .fold((0, 0), |(d, m), s| (d + s.drawn(), m + s.missing()))
    }
}

/// Why a spec cannot be drawn: what, and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChartError {
    #[error("there is no column '{column}'; the columns are: {columns}")]
    NoColumn { column: String, columns: String },
    #[error(
        "column '{column}' holds {kind} values, so it cannot be {role}. Choose a numeric column, or the count of rows"
    )]
    NotNumeric {
        column: String,
        kind: &'static str,
        role: &'static str,
    },
    #[error("a {kind} chart needs {what}")]
    Needs {
        kind: &'static str,
        what: &'static str,
    },
    #[error(
        "{buckets} {bucket} buckets between the first and the last time is too many to draw (at most {max}); choose a coarser bucket or a shorter time range"
    )]
    TooManyBuckets {
        buckets: i64,
        bucket: &'static str,
        max: i64,
    },
    #[error("the chart job was cancelled")]
    Cancelled,
    /// The database that holds the table could not compute the chart: its
    /// message (with the SQLSTATE) and what to do.
    #[error("{0}")]
    Database(String),
}

impl crate::data::Blame for ChartError {
    fn is_user_input(&self) -> bool {
        match self {
            Self::NoColumn { .. }
            | Self::NotNumeric { .. }
            | Self::Needs { .. }
            | Self::TooManyBuckets { .. } => true,
            Self::Cancelled | Self::Database(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregations_computed_by_hand() {
        let v = [4.0, 1.0, 3.0, 2.0, 10.0];
        let agg = |a: Aggregation| a.apply(&mut v.to_vec());
        assert_eq!(agg(Aggregation::Count), Some(5.0));
        assert_eq!(agg(Aggregation::Sum), Some(20.0));
        assert_eq!(agg(Aggregation::Mean), Some(4.0));
        assert_eq!(agg(Aggregation::Median), Some(3.0));
        assert_eq!(agg(Aggregation::Min), Some(1.0));
        assert_eq!(agg(Aggregation::Max), Some(10.0));
        // Nearest rank: ceil(0.95 × 5) = 5th smallest.
        assert_eq!(agg(Aggregation::P95), Some(10.0));
        assert_eq!(
            Aggregation::Median.apply(&mut [1.0, 2.0, 3.0, 4.0]),
            Some(2.5)
        );
        let twenty: Vec<f64> = (1..=20).map(f64::from).collect();
        // ceil(0.95 × 20) = 19th smallest.
        assert_eq!(Aggregation::P95.apply(&mut twenty.clone()), Some(19.0));
        assert_eq!(Aggregation::Mean.apply(&mut []), None);
        assert_eq!(Aggregation::Count.apply(&mut []), Some(0.0));
    }

    #[test]
    fn a_spec_round_trips_through_json_and_old_fields_default() {
        let spec = ChartSpec {
            title: "Speed".to_owned(),
            kind: ChartKind::Line,
            x: Some("timestamp".to_owned()),
            measures: vec!["speed_kmh".to_owned()],
            filters: vec![Filter::InSet {
                column: "road".to_owned(),
                values: vec!["I-90".to_owned()],
            }],
            ..ChartSpec::default()
        };
        let json = serde_json::to_string(&spec).unwrap();
        let back: ChartSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back, spec);
        let minimal: ChartSpec =
            serde_json::from_str(r#"{"kind": "histogram", "measures": ["x"]}"#).unwrap();
        assert_eq!(minimal.aggregation, Aggregation::Mean);
        assert_eq!(minimal.bucket, TimeBucket::Auto);
    }
}
