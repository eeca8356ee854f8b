//! The data layer: the columnar table, CSV ingest, column roles and domains,
//! time bucketing and plot decimation, and the demo city; and [`Blame`],
//! which every library error implements to say whether it is the user's
//! input.
//!
//! Nothing here knows about egui, candle or tokio; it must stay that way so
//! the CLI, the server and the tests can use it without a window.

pub mod alerts;
pub mod append;
pub mod aqi;
pub mod blame;
pub mod columnar;
pub mod combine;
mod csv_fast;
pub mod csv_load;
pub mod csv_write;
pub mod decimate;
pub mod demo;
pub mod file;
pub mod geojson;
pub mod infer;
pub mod json;
pub mod parse;
pub mod pivot;
pub mod progress;
pub mod records;
pub mod rng;
pub mod schema;
pub mod sheet;
pub mod table;
pub mod timeseries;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde::Serialize;

pub use blame::Blame;
pub use csv_load::{LoadOptions, LoadedCsv};
pub use progress::Progress;
pub use schema::{Domain, Measure, Role, Schema};
pub use table::{
    Column, ColumnKind, ColumnValues, StringColumn, Table, TimestampInfo, TimestampMicros, Validity,
};

/// Something in the input that was read with a compromise; kept with the
/// dataset and shown in the Data view. `line` and `column` are 1-based.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoadWarning {
    pub line: Option<u64>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for LoadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            (None, Some(c)) => write!(f, "column {c}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Why a file could not be loaded: what, where, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "{path}: cannot read the file: {message}. Check that the path is right and the file is readable."
    )]
    Io { path: String, message: String },
    #[error(
        "{path}: this is {what}, not a regular file; cityops reads only regular files. Save the data to a file and open that."
    )]
    NotAFile { path: String, what: &'static str },
    #[error("{path}: the file is empty. Choose a CSV file with a header row and data rows.")]
    Empty { path: String },
    #[error(
        "{path}: the file has a header with {columns} columns but no data rows. Export the data again with its rows."
    )]
    HeaderOnly { path: String, columns: usize },
    #[error(
        "{path}:{line}:{column}: this looks like {what}, not CSV text. Open the original in its program and export it as CSV (UTF-8)."
    )]
    Binary {
        path: String,
        line: u64,
        column: u64,
        what: String,
    },
    #[error(
        "{path}:{line}:{column}: malformed CSV: {message}. Check the quoting around this place."
    )]
    Malformed {
        path: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("{path}:{line}:1: {bad} of {total} rows do not have the header's {expected} fields (this line has {got}) when split at '{}'. Check the delimiter and quoting, or fix the file.", delimiter.escape_default())]
    TooManyBadRows {
        path: String,
        bad: usize,
        total: usize,
        line: u64,
        got: usize,
        expected: usize,
        delimiter: char,
    },
    #[error(
        "{path}: the file is {size}; loading it needs up to {needed} of memory and {available} is available. Close other programs, or split the file (or keep only the rows and columns you need) and open the parts."
    )]
    TooLarge {
        path: String,
        size: String,
        needed: String,
        available: String,
    },
    #[error(
        "{path}: {at}: {message}. Check that the file is GeoJSON (RFC 7946): a FeatureCollection of Point, LineString or Polygon features (or their Multi forms)."
    )]
    GeoJson {
        path: String,
        at: String,
        message: String,
    },
    #[error(
        "{path}: {at} is ({x}, {y}), outside longitude -180..180 and latitude -90..90: the file is in a projected coordinate system (metres), not WGS 84 degrees. Export it again in EPSG:4326, e.g. `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`."
    )]
    Projected {
        path: String,
        at: String,
        x: f64,
        y: f64,
    },
    #[error(
        "{path}: {at}: {message}. cityops reads a JSON array of objects (one per row), one object per line (NDJSON), or an object holding such an array."
    )]
    Json {
        path: String,
        at: String,
        message: String,
    },
    #[error(
        "{path}: not a readable {format} file: {message}. Check that the file is complete (not cut off by a download) and written by a {format} writer."
    )]
    Format {
        path: String,
        format: &'static str,
        message: String,
    },
    #[error("{url}: {message}")]
    Download { url: String, message: String },
    /// A database refused or failed: the server's message with its SQLSTATE,
    /// and what to do. `user_input`: the address, password, table or query
    /// given is at fault (not the network or the server).
    #[error("{url}: {message}")]
    Database {
        url: String,
        message: String,
        user_input: bool,
    },
    #[error("loading was cancelled")]
    Cancelled,
}

impl Blame for LoadError {
    /// Every load error is about the file the user chose, except a file
    /// that exists but cannot be read and a cancel.
    fn is_user_input(&self) -> bool {
        match self {
            Self::Io { path, .. } => blame::missing_path(path),
            Self::Cancelled => false,
            // The fetcher's message says whether the address or the
            // network is at fault; a download is not the user's file.
            Self::Download { .. } => false,
            Self::Database { user_input, .. } => *user_input,
            Self::NotAFile { .. }
            | Self::Empty { .. }
            | Self::HeaderOnly { .. }
            | Self::Binary { .. }
            | Self::Malformed { .. }
            | Self::TooManyBadRows { .. }
            | Self::TooLarge { .. }
            | Self::GeoJson { .. }
            | Self::Json { .. }
            | Self::Format { .. }
            | Self::Projected { .. } => true,
        }
    }
}

impl LoadError {
    /// `(line, column)` of the problem, when there is one.
    pub fn location(&self) -> Option<(u64, u64)> {
        match self {
            Self::Binary { line, column, .. } | Self::Malformed { line, column, .. } => {
                Some((*line, *column))
            }
            Self::TooManyBadRows { line, .. } => Some((*line, 1)),
            _ => None,
        }
    }
}

/// Where a dataset came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Source {
    Demo(String),
    File(PathBuf),
    /// Fetched from an http(s) URL: a file, or a portal API's pages.
    Url(String),
    /// Made in the app from other data (a pivot, a model's predictions, a
    /// remote model's results), described in words; a saved workspace does
    /// not reopen it.
    Derived(String),
    /// A table or query of a PostgreSQL server; the dataset holds the
    /// first rows, and charts are computed by the server.
    Database(DatabaseSource),
    /// Readings arriving from an MQTT broker (`mqtt://host:port/topic`,
    /// no password), held in a bounded window.
    Stream(String),
}

/// A table or a query of a database server. The address never holds the
/// password (it comes from a prompt or `PGPASSWORD`, and stays in memory).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct DatabaseSource {
    /// `postgres://user@host:port/db`, without a password.
    pub url: String,
    /// `schema.table` or `table`, when the source is a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// A `SELECT` statement, when the source is a query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

impl DatabaseSource {
    /// What the source is, in a line: "postgres://…/city · public.readings".
    pub fn describe(&self) -> String {
        match (&self.table, &self.sql) {
            (Some(t), _) => format!("{} · {t}", self.url),
            (None, Some(q)) => format!("{} · {}", self.url, q.trim()),
            (None, None) => self.url.clone(),
        }
    }
}

/// What the loader learnt about a CSV file's format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvFormat {
    pub delimiter: u8,
    pub encoding: &'static str,
    pub file_bytes: u64,
    /// What the loader did to rows and cells (skipped, padded, re-read,
    /// set missing).
    pub counts: csv_load::LoadCounts,
}

/// A loaded table with its meaning: roles, domain, time zone and warnings.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    pub source: Source,
    pub table: Arc<Table>,
    pub schema: Schema,
    pub domain: Domain,
    pub warnings: Vec<LoadWarning>,
    pub time_zone: TimeZone,
    pub format: Option<CsvFormat>,
    /// Each row's geometry, for a table read from GeoJSON (districts,
    /// road segments, points); `None` for other tables.
    pub geometry: Option<Arc<Vec<geojson::Shape>>>,
    /// The sheet read and the workbook's sheets, for a spreadsheet.
    pub sheets: Option<SheetInfo>,
    /// The file format read ("CSV", "Parquet", "Excel", …); `None` for
    /// tables made in the app.
    pub file_format: Option<&'static str>,
}

/// Which sheet of a workbook a dataset is.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetInfo {
    pub sheet: String,
    pub sheets: Vec<String>,
}

impl Dataset {
    /// Wraps a table, recognising roles and domain.
    pub fn from_table(
        name: impl Into<String>,
        source: Source,
        table: Table,
        time_zone: TimeZone,
    ) -> Self {
        let (schema, domain) = schema::recognise(&table);
        Self {
            name: name.into(),
            source,
            table: Arc::new(table),
            schema,
            domain,
            warnings: Vec::new(),
            time_zone,
            format: None,
            geometry: None,
            sheets: None,
            file_format: None,
        }
    }

    /// The time zone's name for display ("America/Chicago", "UTC-05:00").
    pub fn time_zone_name(&self) -> String {
        zone_name(&self.time_zone)
    }

    /// Gives the column named `name` the role `role`. A role only one
    /// column can hold (time, user, item, rating) is taken from the column
    /// that had it; a time role needs a date-time column. The error says
    /// which columns there are.
    pub fn set_role(&mut self, name: &str, role: Role) -> Result<(), String> {
        let Some(i) = self.table.columns.iter().position(|c| c.name == name) else {
            return Err(format!(
                "there is no column '{name}'; the columns are: {}",
                self.table.column_names()
            ));
        };
        if role == Role::Time
            && self.table.columns.get(i).map(Column::kind) != Some(ColumnKind::Timestamp)
        {
            let kind = self.table.columns.get(i).map_or("", |c| c.kind().name());
            return Err(format!(
                "column '{name}' holds {kind} values, not date-times, so it cannot be the time axis"
            ));
        }
        if matches!(role, Role::Time | Role::User | Role::Item | Role::Rating) {
            for r in &mut self.schema.roles {
                if *r == role {
                    *r = Role::Other;
                }
            }
        }
        if let Some(r) = self.schema.roles.get_mut(i) {
            *r = role;
        }
        Ok(())
    }

    /// The first column with this role.
    pub fn column_for(&self, role: Role) -> Option<&Column> {
        self.schema
            .find(role)
            .and_then(|i| self.table.columns.get(i))
    }

    /// The first column measuring `m`.
    pub fn measure(&self, m: Measure) -> Option<&Column> {
        self.column_for(Role::Measure(m))
    }

    /// The factor that brings the ozone column to ppb, the unit the AQI
    /// takes: 1000 when it is in ppm (EPA's AirData files are) — a units
    /// column or the column's name says so, or, saying nothing, every value
    /// is below 1 (ozone in ppb is rarely below 1 for long) — else 1.
    pub fn o3_ppb_factor(&self) -> f64 {
        let Some(o3) = self.measure(Measure::O3) else {
            return 1.0;
        };
        let lower = o3.name.to_lowercase();
        if lower.contains("ppb") {
            return 1.0;
        }
        if lower.contains("ppm") {
            return 1000.0;
        }
        let units = self.table.columns.iter().find_map(|c| {
            let n = c.name.to_lowercase();
            let dict = c.dictionary()?;
            (n.contains("unit") && dict.len() == 1).then(|| dict[0].to_lowercase())
        });
        match units.as_deref() {
            Some(u) if u.contains("million") || u.contains("ppm") => return 1000.0,
            Some(u) if u.contains("billion") || u.contains("ppb") => return 1.0,
            _ => {}
        }
        let mut any = false;
        for r in 0..o3.len() {
            if let Some(v) = o3.f64_at(r) {
                if v >= 1.0 {
                    return 1.0;
                }
                any = true;
            }
        }
        if any { 1000.0 } else { 1.0 }
    }

    /// The AQI of every row: the dataset's AQI column, or, when it has
    /// none, computed from its PM2.5, PM10, O3 and NO2 columns (`true`).
    /// Hourly readings are averaged as EPA prescribes before the tables are
    /// applied, per station: PM2.5 and PM10 by the NowCast of the last 12
    /// hours, ozone over the last 8 hours, NO2 as it is. Readings further
    /// apart than hourly (daily summaries) are taken as they are.
    pub fn aqi(&self) -> Option<(std::borrow::Cow<'_, Column>, bool)> {
        if let Some(c) = self.measure(Measure::Aqi) {
            return Some((std::borrow::Cow::Borrowed(c), false));
        }
        let cols =
            [Measure::Pm25, Measure::Pm10, Measure::O3, Measure::No2].map(|m| self.measure(m));
        if cols.iter().all(Option::is_none) {
            return None;
        }
        let o3_factor = self.o3_ppb_factor();
        let n = self.table.n_rows();
        let reading = |i: usize, r: usize| -> Option<f64> {
            let v = cols.get(i).copied().flatten()?.f64_at(r)?;
            Some(if i == 2 { v * o3_factor } else { v })
        };
        let averaged = self.hourly_averages(&reading);
        let values: Vec<f64> = (0..n)
            .map(|r| {
                let c = |i: usize| match &averaged {
                    Some(avg) => avg.get(r).and_then(|a| a[i]),
                    None => reading(i, r),
                };
                aqi::aqi(c(0), c(1), c(2), c(3)).map_or(f64::NAN, |(v, _)| f64::from(v))
            })
            .collect();
        // NaN (no usable reading in the row) is a missing value.
        Some((
            std::borrow::Cow::Owned(Column::from_f64("AQI", values)),
            true,
        ))
    }

    /// Per row, the four pollutants averaged as the AQI wants (see
    /// [`Self::aqi`]); `None` when the data is not hourly (or has no time).
    fn hourly_averages(
        &self,
        reading: &dyn Fn(usize, usize) -> Option<f64>,
    ) -> Option<Vec<[Option<f64>; 4]>> {
        const HOUR: i64 = timeseries::MICROS_PER_HOUR;
        let time = self.time_column()?;
        let place = self.column_for(Role::PlaceId);
        // Rows per station, by hour.
        let mut stations: HashMap<&str, Vec<(i64, usize)>> = HashMap::new();
        for r in 0..time.len() {
            if let Some(t) = time.timestamp_at(r) {
                let name = place.and_then(|p| p.str_at(r)).unwrap_or("");
                stations
                    .entry(name)
                    .or_default()
                    .push((t.div_euclid(HOUR), r));
            }
        }
        // Hourly data: most consecutive readings of a station at most two
        // hours apart.
        let (mut close, mut steps) = (0usize, 0usize);
        for rows in stations.values_mut() {
            rows.sort_unstable();
            for w in rows.windows(2) {
                if w[1].0 > w[0].0 {
                    steps += 1;
                    close += usize::from(w[1].0 - w[0].0 <= 2);
                }
            }
        }
        if steps == 0 || close * 2 < steps {
            return None;
        }
        let mut out = vec![[None; 4]; time.len()];
        for rows in stations.values() {
            // The station's hourly means (several rows in an hour: their mean).
            let mut by_hour: HashMap<i64, ([f64; 4], [u32; 4])> = HashMap::new();
            for &(h, r) in rows {
                let e = by_hour.entry(h).or_insert(([0.0; 4], [0; 4]));
                for i in 0..4 {
                    if let Some(v) = reading(i, r).filter(|v| v.is_finite()) {
                        e.0[i] += v;
                        e.1[i] += 1;
                    }
                }
            }
            let at = |h: i64, i: usize| {
                by_hour
                    .get(&h)
                    .and_then(|(sum, n)| (n[i] > 0).then(|| sum[i] / f64::from(n[i])))
            };
            let window = |h: i64, i: usize, len: i64| -> Vec<Option<f64>> {
                (0..len).map(|k| at(h - k, i)).collect()
            };
            for &(h, r) in rows {
                if let Some(slot) = out.get_mut(r) {
                    *slot = [
                        aqi::nowcast(&window(h, 0, 12)),
                        aqi::nowcast(&window(h, 1, 12)),
                        aqi::mean_8h(&window(h, 2, 8)),
                        at(h, 3),
                    ];
                }
            }
        }
        Some(out)
    }

    /// The category column that best names a kind of thing ("type",
    /// "category", "offense", …), else the first category column.
    pub fn category_column(&self) -> Option<&Column> {
        let cats = self.schema.columns_with(|r| r == Role::Category);
        let name_of = |i: usize| self.table.columns.get(i).map(|c| c.name.to_lowercase());
        // The most telling word wins, whatever the column order.
        let preferred = [
            "offense",
            "offence",
            "crime",
            "category",
            "type",
            "kind",
            "department",
            "class",
        ];
        let named = preferred.iter().find_map(|k| {
            cats.iter()
                .copied()
                .find(|&i| name_of(i).is_some_and(|n| n.contains(k)))
        });
        named
            .or(cats.first().copied())
            .and_then(|i| self.table.columns.get(i))
    }

    /// The time column, if the dataset has one.
    pub fn time_column(&self) -> Option<&Column> {
        self.schema
            .find(Role::Time)
            .and_then(|i| self.table.columns.get(i))
    }

    /// Earliest and latest timestamp, in microseconds UTC.
    pub fn time_extent(&self) -> Option<(TimestampMicros, TimestampMicros)> {
        let col = self.time_column()?;
        let ColumnValues::Timestamp(v) = &col.values else {
            return None;
        };
        let mut lo = i64::MAX;
        let mut hi = i64::MIN;
        for (i, &t) in v.iter().enumerate() {
            if col.is_valid(i) {
                lo = lo.min(t);
                hi = hi.max(t);
            }
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// Re-reads naive timestamps in another zone. Values that carried an
    /// offset are exact instants and stay as they are.
    pub fn set_time_zone(&mut self, tz: TimeZone) {
        let old = self.time_zone.clone();
        let mut table = (*self.table).clone();
        for col in &mut table.columns {
            if col.timestamp_info.has_offset {
                continue;
            }
            if let ColumnValues::Timestamp(values) = &mut col.values {
                for v in values.iter_mut() {
                    if let Some(moved) = reinterpret(*v, &old, &tz) {
                        *v = moved;
                    }
                }
            }
        }
        self.table = Arc::new(table);
        self.time_zone = tz;
    }

    pub fn file_name(&self) -> Option<&Path> {
        match &self.source {
            Source::File(p) => Some(p),
            Source::Demo(_)
            | Source::Url(_)
            | Source::Derived(_)
            | Source::Database(_)
            | Source::Stream(_) => None,
        }
    }
}

pub fn zone_name(tz: &TimeZone) -> String {
    if let Some(name) = tz.iana_name() {
        return name.to_owned();
    }
    let off = tz.to_offset(jiff::Timestamp::now()).seconds();
    if off == 0 {
        return "UTC".to_owned();
    }
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
}

/// The same wall-clock time, read in `to` instead of `from`.
fn reinterpret(utc_micros: i64, from: &TimeZone, to: &TimeZone) -> Option<i64> {
    let ts = jiff::Timestamp::from_microsecond(utc_micros).ok()?;
    let civil = ts.to_zoned(from.clone()).datetime();
    let moved = to.to_ambiguous_timestamp(civil).compatible().ok()?;
    Some(moved.as_microsecond())
}

/// Loads a data file as a dataset, named after the file: GeoJSON, Parquet
/// or Arrow, a spreadsheet, JSON, or else CSV.
pub fn load_dataset(
    path: &Path,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<Dataset, LoadError> {
    let name = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    if is_geojson(path) {
        let geo = geojson::load_geojson_file(path, progress)?;
        let tz = opts.time_zone.clone().unwrap_or(TimeZone::UTC);
        let mut ds = Dataset::from_table(name, Source::File(path.to_owned()), geo.table, tz);
        ds.geometry = Some(Arc::new(geo.shapes));
        ds.file_format = Some("GeoJSON");
        return Ok(ds);
    }
    if let Some(format) = columnar::format_of(path) {
        let loaded = columnar::load_columnar_file(path, format, opts, progress)?;
        let mut ds = Dataset::from_table(
            name,
            Source::File(path.to_owned()),
            loaded.table,
            loaded.time_zone,
        );
        ds.warnings = loaded.warnings;
        ds.file_format = Some(format.name());
        return Ok(ds);
    }
    if sheet::is_sheet(path) {
        let loaded = sheet::load_sheet_file(path, opts, progress)?;
        let tz = opts.time_zone.clone().unwrap_or_else(TimeZone::system);
        let mut ds = Dataset::from_table(name, Source::File(path.to_owned()), loaded.table, tz);
        ds.warnings = loaded.warnings;
        ds.sheets = Some(SheetInfo {
            sheet: loaded.sheet,
            sheets: loaded.sheets,
        });
        ds.file_format = Some(loaded.format);
        return Ok(ds);
    }
    if json::is_json(path) {
        let (table, tz) = json::load_json_file(path, opts, progress)?;
        let mut ds = Dataset::from_table(name, Source::File(path.to_owned()), table, tz);
        ds.file_format = Some("JSON");
        return Ok(ds);
    }
    let loaded = csv_load::load_csv_file(path, opts, progress)?;
    let mut ds = Dataset::from_table(
        name,
        Source::File(path.to_owned()),
        loaded.table,
        loaded.time_zone,
    );
    ds.warnings = loaded.warnings;
    ds.file_format = Some("CSV");
    ds.format = Some(CsvFormat {
        delimiter: loaded.delimiter,
        encoding: loaded.encoding,
        file_bytes: loaded.file_bytes,
        counts: loaded.counts,
    });
    Ok(ds)
}

/// Whether a path names a GeoJSON file (`.geojson`, or `.json` whose
/// first bytes say it is a FeatureCollection or a Feature).
pub fn is_geojson(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "geojson" => true,
        "json" => {
            use std::io::Read as _;
            let mut head = [0u8; 512];
            let n = std::fs::File::open(path)
                .and_then(|mut f| f.read(&mut head))
                .unwrap_or(0);
            let head = String::from_utf8_lossy(head.get(..n).unwrap_or_default());
            head.contains("\"FeatureCollection\"") || head.contains("\"Feature\"")
        }
        _ => false,
    }
}

/// The demo city's tables as datasets.
pub fn demo_datasets() -> Vec<Dataset> {
    let demo::DemoCity {
        traffic,
        incidents,
        air_quality,
        reports,
        service_use,
    } = demo::generate();
    let tz = TimeZone::get(demo::DEMO_TIME_ZONE).unwrap_or(TimeZone::UTC);
    [
        ("traffic", traffic),
        ("incidents", incidents),
        ("air_quality", air_quality),
        ("reports", reports),
        ("service_use", service_use),
    ]
    .into_iter()
    .map(|(name, table)| {
        Dataset::from_table(name, Source::Demo(name.to_owned()), table, tz.clone())
    })
    .collect()
}

/// A count with its digits grouped in threes (`26,243,184`).
pub fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ozone(name: &str, values: Vec<f64>, units: Option<&str>) -> Dataset {
        let n = values.len();
        let mut cols = vec![
            Column::from_timestamps("time", (0..n as i64).map(|h| h * 3_600_000_000).collect()),
            Column::from_f64(name, values),
        ];
        if let Some(u) = units {
            cols.push(Column::categorical("Units of Measure", &vec![u; n]));
        }
        Dataset::from_table(
            "aq",
            Source::Demo("test".to_owned()),
            Table::new(cols).unwrap(),
            TimeZone::UTC,
        )
    }

    #[test]
    fn aqi_is_computed_from_ozone_in_ppm_or_ppb_over_8_hours() {
        // 60 ppb = 0.060 ppm for eight hours: the 8-hour table's 51–100
        // band, AQI 67, once six hours are in the mean.
        let ppb = vec![60.0; 8];
        let ppm = vec![0.060; 8];
        for ds in [
            ozone("o3_ppb", ppb, None),
            ozone(
                "Sample Measurement ozone",
                ppm.clone(),
                Some("Parts per million"),
            ),
            ozone("ozone", ppm, None),
        ] {
            let (aqi, computed) = ds.aqi().unwrap();
            assert!(computed);
            let name = &ds.table.columns[1].name;
            assert_eq!(aqi.f64_at(4), None, "{name}: five hours are not enough");
            assert_eq!(aqi.f64_at(5), Some(67.0), "{name}");
            assert_eq!(aqi.f64_at(7), Some(67.0), "{name}");
        }
        assert_eq!(
            ozone("o3 ppb", vec![0.5], None).o3_ppb_factor(),
            1.0,
            "the name says ppb"
        );
        let none = Dataset::from_table(
            "x",
            Source::Demo("test".to_owned()),
            Table::new(vec![Column::from_f64("speed", vec![1.0])]).unwrap(),
            TimeZone::UTC,
        );
        assert!(none.aqi().is_none());
    }

    #[test]
    fn particles_are_nowcast_per_station_and_daily_data_is_taken_as_it_is() {
        let hour = 3_600_000_000i64;
        let table = Table::new(vec![
            Column::from_timestamps("time", vec![0, 0, hour, hour]),
            Column::categorical("station", &["A", "B", "A", "B"]),
            Column::from_f64("pm25", vec![20.0, 5.0, 10.0, 5.0]),
        ])
        .unwrap();
        let ds = Dataset::from_table("pm", Source::Demo("t".to_owned()), table, TimeZone::UTC);
        let (aqi, _) = ds.aqi().unwrap();
        // One hour alone is not a NowCast.
        assert_eq!(aqi.f64_at(0), None);
        // A at hour 1: (10 + 0.5·20) / 1.5 = 13.3 µg/m³ → AQI 59; B's own
        // air (5 µg/m³ → AQI 28) does not mix in.
        assert_eq!(aqi.f64_at(2), Some(59.0));
        assert_eq!(aqi.f64_at(3), Some(28.0));

        let day = 24 * hour;
        let table = Table::new(vec![
            Column::from_timestamps("date", vec![0, day, 2 * day]),
            Column::from_f64("pm25", vec![20.0, 5.0, 10.0]),
        ])
        .unwrap();
        let ds = Dataset::from_table("daily", Source::Demo("t".to_owned()), table, TimeZone::UTC);
        let (aqi, _) = ds.aqi().unwrap();
        // Daily means: each day's own value (20 µg/m³ → AQI 71).
        assert_eq!(aqi.f64_at(0), Some(71.0));
    }
}
