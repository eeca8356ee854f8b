//! Column type inference: from the raw cells of one CSV column to a typed
//! [`Column`], with warnings for the cells that had to be set missing.
//!
//! Rules, in order: all missing → text; booleans; integers (no leading
//! zeros); integer epoch seconds or milliseconds when the name says time;
//! decimals; date-times (one `A/B/YYYY` order for the whole column); strings
//! → categorical unless nearly all distinct (≥ 90 %), text otherwise. A column where at most
//! 0.1 % of cells (and at least 20 good ones) fail a numeric or date type
//! takes that type, and the failing cells become missing with a warning.

use std::collections::HashMap;

use jiff::tz::TimeZone;

use super::LoadWarning;
use super::parse::{self, DayOrder, ParsedDateTime};
use super::table::{Column, ColumnValues, StringColumn, TimestampInfo, Validity};

/// The raw cells of one column, stored back to back.
#[derive(Default)]
pub struct RawColumn {
    pub data: String,
    pub ends: Vec<u32>,
}

impl RawColumn {
    pub fn push(&mut self, cell: &str) {
        self.data.push_str(cell);
        self.ends.push(self.data.len() as u32);
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let s = self.data.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            s
        })
    }
}

/// What the loader knows that inference needs.
pub struct InferContext<'a> {
    pub decimal_comma: bool,
    pub time_zone: &'a TimeZone,
    /// `row_lines[row]` is the 1-based line where the row starts.
    pub row_lines: &'a [u64],
}

/// Observed offsets of a timestamp column (a small sample), so the loader can
/// pick a dataset time zone that agrees with the data.
#[derive(Default, Debug, Clone)]
pub struct OffsetSample {
    pub pairs: Vec<(i64, i32)>,
}

pub struct Inferred {
    pub column: Column,
    pub warnings: Vec<LoadWarning>,
    pub offsets: OffsetSample,
}

#[derive(Default)]
struct Scan {
    present: usize,
    bool_ok: usize,
    int_ok: usize,
    float_ok: usize,
    date_ok: usize,
    date_with_offset: usize,
    max_a: u8,
    total_len: usize,
}

const TOLERATED_FAILURE_FRACTION: f64 = 0.001;
const MIN_GOOD_FOR_TOLERANCE: usize = 20;
const MAX_CELL_WARNINGS: usize = 5;

fn mostly(ok: usize, present: usize) -> bool {
    ok == present
        || (ok >= MIN_GOOD_FOR_TOLERANCE
            && ((present - ok) as f64) <= TOLERATED_FAILURE_FRACTION * present as f64)
}

fn name_says_time(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["time", "date", "epoch", "timestamp", "datetime"]
        .iter()
        .any(|k| n.contains(k))
        || n == "ts"
        || n.ends_with("_ts")
        || n.ends_with("_at")
}

/// Builds one typed column from its raw cells.
pub fn infer_column(name: &str, index: usize, raw: &RawColumn, ctx: &InferContext<'_>) -> Inferred {
    let mut scan = Scan::default();
    for cell in raw.iter() {
        if parse::is_missing(cell) {
            continue;
        }
        scan.present += 1;
        scan.total_len += cell.len();
        if parse::parse_bool(cell).is_some() {
            scan.bool_ok += 1;
        }
        if parse::parse_i64(cell).is_some() {
            scan.int_ok += 1;
            scan.float_ok += 1;
            continue;
        }
        if parse::parse_f64(cell, ctx.decimal_comma).is_some() {
            scan.float_ok += 1;
            continue;
        }
        if let Some(d) = parse::parse_datetime(cell, DayOrder::MonthFirst) {
            scan.date_ok += 1;
            if d.offset_secs.is_some() {
                scan.date_with_offset += 1;
            }
            if let Some((a, _)) = d.ambiguous_ab {
                scan.max_a = scan.max_a.max(a);
            }
        } else if let Some(d) = parse::parse_datetime(cell, DayOrder::DayFirst) {
            // Only parses day first (e.g. 25/12/2024).
            scan.date_ok += 1;
            if let Some((a, _)) = d.ambiguous_ab {
                scan.max_a = scan.max_a.max(a);
            }
        }
    }

    let present = scan.present;
    let b = Builder {
        name,
        index,
        raw,
        ctx,
        warnings: Vec::new(),
        failures: 0,
    };
    if present == 0 {
        return b.text(false);
    }
    if scan.bool_ok == present {
        return b.bools();
    }
    if scan.int_ok == present {
        if name_says_time(name) {
            let ints: Vec<i64> = raw.iter().filter_map(parse::parse_i64).collect();
            let (lo, hi) = (
                ints.iter().copied().min().unwrap_or(0),
                ints.iter().copied().max().unwrap_or(0),
            );
            // 1973..2096 in seconds or in milliseconds.
            if lo >= 100_000_000 && hi <= 4_000_000_000 {
                return b.epoch(1_000_000);
            }
            if lo >= 100_000_000_000 && hi <= 4_000_000_000_000 {
                return b.epoch(1_000);
            }
        }
        return b.integers();
    }
    if mostly(scan.float_ok, present) && scan.float_ok >= scan.date_ok {
        return b.floats();
    }
    if mostly(scan.date_ok, present) {
        let order = if scan.max_a > 12 {
            DayOrder::DayFirst
        } else {
            DayOrder::MonthFirst
        };
        return b.timestamps(order, scan.date_with_offset == scan.date_ok);
    }
    // Strings: short ones that repeat become categorical.
    let avg_len = scan.total_len as f64 / present as f64;
    // In a small file uniqueness says little: short values are labels.
    if present < 50 {
        return b.text_small(avg_len <= 32.0);
    }
    b.text(avg_len <= 48.0)
}

struct Builder<'a> {
    name: &'a str,
    index: usize,
    raw: &'a RawColumn,
    ctx: &'a InferContext<'a>,
    warnings: Vec<LoadWarning>,
    failures: usize,
}

impl Builder<'_> {
    fn fail(&mut self, row: usize, cell: &str, as_what: &str) {
        self.failures += 1;
        if self.failures <= MAX_CELL_WARNINGS {
            let shown: String = cell.chars().take(40).collect();
            self.warnings.push(LoadWarning {
                line: self.ctx.row_lines.get(row).copied(),
                column: Some(self.index + 1),
                message: format!(
                    "'{shown}' in column '{}' is not {as_what}; it is treated as missing",
                    self.name
                ),
            });
        }
    }

    fn finish(mut self, values: ColumnValues, validity: Validity) -> Inferred {
        if self.failures > MAX_CELL_WARNINGS {
            self.warnings.push(LoadWarning {
                line: None,
                column: Some(self.index + 1),
                message: format!(
                    "{} more cells in column '{}' could not be read and are treated as missing",
                    self.failures - MAX_CELL_WARNINGS,
                    self.name
                ),
            });
        }
        Inferred {
            column: Column::new(self.name, values, validity),
            warnings: self.warnings,
            offsets: OffsetSample::default(),
        }
    }

    fn bools(self) -> Inferred {
        let n = self.raw.len();
        let mut values = Vec::with_capacity(n);
        let mut validity = Validity::with_capacity(n);
        for cell in self.raw.iter() {
            let v = parse::parse_bool(cell);
            values.push(v.unwrap_or(false));
            validity.push(v.is_some());
        }
        self.finish(ColumnValues::Bool(values), validity)
    }

    fn integers(self) -> Inferred {
        let n = self.raw.len();
        let mut values = Vec::with_capacity(n);
        let mut validity = Validity::with_capacity(n);
        for cell in self.raw.iter() {
            let v = parse::parse_i64(cell);
            values.push(v.unwrap_or(0));
            validity.push(v.is_some());
        }
        self.finish(ColumnValues::Integer(values), validity)
    }

    fn epoch(self, micros_per_unit: i64) -> Inferred {
        let n = self.raw.len();
        let mut values = Vec::with_capacity(n);
        let mut validity = Validity::with_capacity(n);
        for cell in self.raw.iter() {
            let v = parse::parse_i64(cell);
            values.push(v.map_or(0, |x| x.saturating_mul(micros_per_unit)));
            validity.push(v.is_some());
        }
        let mut out = self.finish(ColumnValues::Timestamp(values), validity);
        out.column.timestamp_info = TimestampInfo { has_offset: true };
        out
    }

    fn floats(mut self) -> Inferred {
        let n = self.raw.len();
        let mut values = Vec::with_capacity(n);
        let mut validity = Validity::with_capacity(n);
        for (row, cell) in self.raw.iter().enumerate() {
            let v = if parse::is_missing(cell) {
                None
            } else {
                let v = parse::parse_f64(cell, self.ctx.decimal_comma);
                if v.is_none() {
                    self.fail(row, cell, "a number");
                }
                v
            };
            values.push(v.unwrap_or(f64::NAN));
            validity.push(v.is_some());
        }
        self.finish(ColumnValues::Float(values), validity)
    }

    fn timestamps(mut self, order: DayOrder, all_have_offsets: bool) -> Inferred {
        let n = self.raw.len();
        let mut values = Vec::with_capacity(n);
        let mut validity = Validity::with_capacity(n);
        let mut offsets = OffsetSample::default();
        let mut resolver = LocalResolver::new(self.ctx.time_zone);
        for (row, cell) in self.raw.iter().enumerate() {
            let v = if parse::is_missing(cell) {
                None
            } else {
                match parse::parse_datetime(cell, order) {
                    Some(d) => Some(to_utc_micros(&d, &mut resolver, &mut offsets)),
                    None => {
                        self.fail(row, cell, "a date-time");
                        None
                    }
                }
            };
            values.push(v.unwrap_or(0));
            validity.push(v.is_some());
        }
        let mut out = self.finish(ColumnValues::Timestamp(values), validity);
        out.column.timestamp_info = TimestampInfo {
            has_offset: all_have_offsets,
        };
        out.offsets = offsets;
        out
    }

    /// Strings of a small file: categorical whenever allowed.
    fn text_small(self, categorical: bool) -> Inferred {
        if categorical {
            let n = self.raw.len();
            let mut validity = Validity::with_capacity(n);
            let values: Vec<&str> = self
                .raw
                .iter()
                .map(|cell| {
                    let missing = parse::is_missing(cell);
                    validity.push(!missing);
                    if missing { "" } else { cell.trim() }
                })
                .collect();
            let ColumnValues::Categorical { codes, dictionary } =
                Column::categorical("", &values).values
            else {
                return self.text(false);
            };
            return self.finish(ColumnValues::Categorical { codes, dictionary }, validity);
        }
        self.text(false)
    }

    fn text(self, allow_categorical: bool) -> Inferred {
        let n = self.raw.len();
        let mut validity = Validity::with_capacity(n);
        if allow_categorical {
            // Nearly all distinct (ids, free text) → text; repeats → dictionary.
            let limit = ((n as f64) * 0.9) as usize;
            let mut index: HashMap<&str, u32> = HashMap::new();
            let mut dictionary: Vec<String> = Vec::new();
            let mut codes = Vec::with_capacity(n);
            let mut ok = true;
            for cell in self.raw.iter() {
                if parse::is_missing(cell) {
                    codes.push(0);
                    validity.push(false);
                    continue;
                }
                let cell = cell.trim();
                let code = match index.get(cell) {
                    Some(&c) => c,
                    None => {
                        if dictionary.len() >= limit {
                            ok = false;
                            break;
                        }
                        dictionary.push(cell.to_owned());
                        let c = (dictionary.len() - 1) as u32;
                        index.insert(cell, c);
                        c
                    }
                };
                codes.push(code);
                validity.push(true);
            }
            let present = n - validity.missing_count();
            if ok && (dictionary.len() as f64) < 0.9 * present as f64 {
                return self.finish(ColumnValues::Categorical { codes, dictionary }, validity);
            }
            validity = Validity::with_capacity(n);
        }
        let mut col = StringColumn::with_capacity(n, self.raw.data.len());
        for cell in self.raw.iter() {
            let missing = parse::is_missing(cell);
            col.push(if missing { "" } else { cell });
            validity.push(!missing);
        }
        col.shrink_to_fit();
        self.finish(ColumnValues::Text(col), validity)
    }
}

/// Resolves local civil times in a zone, remembering the last hour's offset
/// (consecutive rows usually share it). DST gaps and folds resolve the
/// "compatible" way (as RFC 5545 and most calendars do).
struct LocalResolver<'a> {
    tz: &'a TimeZone,
    last_hour: i64,
    last_offset_secs: i64,
}

impl<'a> LocalResolver<'a> {
    fn new(tz: &'a TimeZone) -> Self {
        Self {
            tz,
            last_hour: i64::MIN,
            last_offset_secs: 0,
        }
    }

    fn offset_for(&mut self, d: &ParsedDateTime, naive_micros: i64) -> i64 {
        let hour = naive_micros.div_euclid(3_600_000_000);
        if hour == self.last_hour {
            return self.last_offset_secs;
        }
        let offset = jiff::civil::DateTime::new(
            d.year as i16,
            d.month as i8,
            d.day as i8,
            d.hour as i8,
            d.minute as i8,
            d.second as i8,
            0,
        )
        .ok()
        .and_then(|dt| self.tz.to_ambiguous_timestamp(dt).compatible().ok())
        .map_or(0, |ts| i64::from(self.tz.to_offset(ts).seconds()));
        // "Compatible" resolution depends only on the civil time, so caching
        // by local hour is exact for zones whose transitions fall on the hour.
        self.last_hour = hour;
        self.last_offset_secs = offset;
        offset
    }
}

fn to_utc_micros(
    d: &ParsedDateTime,
    resolver: &mut LocalResolver<'_>,
    offsets: &mut OffsetSample,
) -> i64 {
    let naive = d.naive_micros();
    match d.offset_secs {
        Some(off) => {
            let utc = naive - i64::from(off) * 1_000_000;
            if offsets.pairs.len() < 512 && offsets.pairs.last().is_none_or(|&(_, o)| o != off) {
                offsets.pairs.push((utc, off));
            }
            utc
        }
        None => naive - resolver.offset_for(d, naive) * 1_000_000,
    }
}
