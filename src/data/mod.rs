//! The data layer: the columnar table, CSV ingest, column roles and domains,
//! time bucketing and plot decimation, and the demo city.
//!
//! Nothing here knows about egui, candle or tokio; it must stay that way so
//! the CLI, the server and the tests can use it without a window.

pub mod alerts;
pub mod aqi;
pub mod combine;
pub mod csv_load;
pub mod csv_write;
pub mod decimate;
pub mod demo;
pub mod infer;
pub mod parse;
pub mod pivot;
pub mod progress;
pub mod rng;
pub mod schema;
pub mod table;
pub mod timeseries;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde::Serialize;

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
    #[error("loading was cancelled")]
    Cancelled,
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
    /// Made in the app from other data (a pivot, a model's predictions, a
    /// remote model's results), described in words; a saved workspace does
    /// not reopen it.
    Derived(String),
}

/// What the loader learnt about a CSV file's format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvFormat {
    pub delimiter: u8,
    pub encoding: &'static str,
    pub file_bytes: u64,
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
        }
    }

    /// The time zone's name for display ("America/Chicago", "UTC-05:00").
    pub fn time_zone_name(&self) -> String {
        zone_name(&self.time_zone)
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
        let get = |i: usize, r: usize| cols.get(i).copied().flatten().and_then(|c| c.f64_at(r));
        let values: Vec<f64> = (0..self.table.n_rows())
            .map(|r| {
                aqi::aqi(
                    get(0, r),
                    get(1, r),
                    get(2, r).map(|v| v * o3_factor),
                    get(3, r),
                )
                .map_or(f64::NAN, |(v, _)| f64::from(v))
            })
            .collect();
        // NaN (no pollutant reading in the row) is a missing value.
        Some((
            std::borrow::Cow::Owned(Column::from_f64("AQI", values)),
            true,
        ))
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
            Source::Demo(_) | Source::Derived(_) => None,
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

/// Loads a CSV file as a dataset, named after the file.
pub fn load_dataset(
    path: &Path,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<Dataset, LoadError> {
    let loaded = csv_load::load_csv_file(path, opts, progress)?;
    let name = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut ds = Dataset::from_table(
        name,
        Source::File(path.to_owned()),
        loaded.table,
        loaded.time_zone,
    );
    ds.warnings = loaded.warnings;
    ds.format = Some(CsvFormat {
        delimiter: loaded.delimiter,
        encoding: loaded.encoding,
        file_bytes: loaded.file_bytes,
    });
    Ok(ds)
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
    fn aqi_is_computed_from_ozone_in_ppm_or_ppb() {
        // 60 ppb = 0.060 ppm: the 8-hour table's 51–100 band, AQI 67.
        for ds in [
            ozone("o3_ppb", vec![60.0, 30.0, f64::NAN], None),
            ozone(
                "Sample Measurement ozone",
                vec![0.060, 0.030, f64::NAN],
                Some("Parts per million"),
            ),
            ozone("ozone", vec![0.060, 0.030, f64::NAN], None),
        ] {
            let (aqi, computed) = ds.aqi().unwrap();
            assert!(computed);
            assert_eq!(aqi.f64_at(0), Some(67.0), "{}", ds.table.columns[1].name);
            assert_eq!(aqi.f64_at(1), Some(28.0));
            assert_eq!(aqi.f64_at(2), None, "no reading, no AQI");
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
}
