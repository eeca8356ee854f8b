//! Column type inference: from the raw cells of one CSV column to a typed
//! [`Column`], with warnings for the cells that had to be set missing.
//!
//! Rules, in order: all missing → text; booleans; integers (no leading
//! zeros); integer epoch seconds or milliseconds when the name says time;
//! decimals; date-times (one `A/B/YYYY` order for the whole column); strings
//! → categorical unless nearly all distinct (≥ 90 %), text otherwise.
//!
//! **A few bad cells do not change a column's type** ([`keeps_type`]): a
//! column keeps a numeric or date-time type when at least 95 % of its
//! non-missing cells parse as it (or all but one, when at least 10 do).
//! The other cells become missing, and a warning names each (up to
//! [`MAX_CELL_WARNINGS`] per column, then a count) with its line, the
//! column and the value. Past the rule the column is text, and when at
//! least half its cells were numbers (or date-times) a warning says why,
//! with the share and the first cell that is not. A column with numbers
//! written with leading zeros (`02139`, `007`) is never numeric: those are
//! identifiers, and reading them as numbers would change them.

use std::collections::HashMap;

use jiff::tz::TimeZone;

use super::LoadWarning;
use super::parse::{self, DayOrder, ParsedDateTime};
use super::table::{Column, ColumnValues, StringColumn, TimestampInfo, Validity};
use super::timeseries::{MICROS_PER_HOUR, MICROS_PER_SECOND};

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
    /// Present cells that did not parse as the column's type and became
    /// missing.
    pub cells_set_missing: usize,
}

#[derive(Default, Clone)]
pub(super) struct Scan {
    pub(super) present: usize,
    bool_ok: usize,
    int_ok: usize,
    float_ok: usize,
    date_ok: usize,
    date_with_offset: usize,
    /// Cells of digits with a leading zero (`007`): identifiers.
    leading_zero: usize,
    /// The first row whose cell is not a number / not a date-time.
    first_not_number: Option<usize>,
    first_not_date: Option<usize>,
    max_a: u8,
    /// Bytes of the present cells as written (surrounding spaces included).
    pub(super) total_len: usize,
}

/// The share of a column's non-missing cells that must parse as a type for
/// the column to keep it (see the module doc).
pub const TYPE_RULE_SHARE: f64 = 0.95;
/// Below this many good cells, one bad cell is not tolerated.
const MIN_GOOD_FOR_TOLERANCE: usize = 10;
/// Cells named one by one in warnings, per column; the rest are counted.
pub const MAX_CELL_WARNINGS: usize = 20;

/// Whether `ok` of `present` non-missing cells are enough for a column to
/// keep a type (the rule in the module doc).
pub fn keeps_type(ok: usize, present: usize) -> bool {
    let bad = present.saturating_sub(ok);
    bad == 0
        || (ok >= MIN_GOOD_FOR_TOLERANCE
            && (bad == 1 || bad as f64 <= (1.0 - TYPE_RULE_SHARE) * present as f64))
}

fn is_zero_padded_digits(cell: &str) -> bool {
    let s = cell.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    digits.len() > 1 && digits[0] == b'0' && digits.iter().all(u8::is_ascii_digit)
}

pub(super) fn name_says_time(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["time", "date", "epoch", "timestamp", "datetime"]
        .iter()
        .any(|k| n.contains(k))
        || n == "ts"
        || n.ends_with("_ts")
        || n.ends_with("_at")
}

impl Scan {
    /// Counts one cell (or `times` equal cells: the fast loader counts each
    /// distinct value once), as the type rules see it.
    pub(super) fn add(&mut self, row: usize, cell: &str, decimal_comma: bool, times: usize) {
        if parse::is_missing(cell) {
            return;
        }
        self.present += times;
        self.total_len += cell.len() * times;
        if parse::parse_bool(cell).is_some() {
            self.bool_ok += times;
        }
        if parse::parse_i64(cell).is_some() {
            self.int_ok += times;
            self.float_ok += times;
            self.first_not_date.get_or_insert(row);
            return;
        }
        if parse::parse_f64(cell, decimal_comma).is_some() {
            self.float_ok += times;
            self.first_not_date.get_or_insert(row);
            return;
        }
        self.first_not_number.get_or_insert(row);
        if is_zero_padded_digits(cell) {
            self.leading_zero += times;
        }
        if let Some(d) = parse::parse_datetime(cell, DayOrder::MonthFirst) {
            self.date_ok += times;
            if d.offset_secs.is_some() {
                self.date_with_offset += times;
            }
            if let Some((a, _)) = d.ambiguous_ab {
                self.max_a = self.max_a.max(a);
            }
        } else if let Some(d) = parse::parse_datetime(cell, DayOrder::DayFirst) {
            // Only parses day first (e.g. 25/12/2024).
            self.date_ok += times;
            if let Some((a, _)) = d.ambiguous_ab {
                self.max_a = self.max_a.max(a);
            }
        } else {
            self.first_not_date.get_or_insert(row);
        }
    }

    /// The type the rules give a column with these counts.
    pub(super) fn decide(&self) -> Decision {
        let present = self.present;
        if present == 0 {
            return Decision::AllMissing;
        }
        if self.bool_ok == present {
            return Decision::Bool;
        }
        let numeric_allowed = self.leading_zero == 0;
        if numeric_allowed && self.int_ok == self.float_ok && keeps_type(self.int_ok, present) {
            return Decision::Integers;
        }
        if numeric_allowed && keeps_type(self.float_ok, present) && self.float_ok >= self.date_ok {
            return Decision::Floats;
        }
        if keeps_type(self.date_ok, present) {
            let order = if self.max_a > 12 {
                DayOrder::DayFirst
            } else {
                DayOrder::MonthFirst
            };
            return Decision::Timestamps {
                order,
                all_offsets: self.date_with_offset == self.date_ok,
            };
        }
        // Past the rule: text, and say why when the column was mostly
        // numbers or date-times (a user would expect that type).
        let why = if self.float_ok * 2 >= present && self.float_ok >= self.date_ok {
            self.first_not_number
                .map(|row| (self.float_ok, row, "numbers"))
        } else if self.date_ok * 2 >= present {
            self.first_not_date
                .map(|row| (self.date_ok, row, "date-times"))
        } else {
            None
        };
        let avg_len = self.total_len as f64 / present as f64;
        // In a small file uniqueness says little: short values are labels.
        if present < 50 {
            Decision::Strings {
                why,
                small: true,
                categorical: avg_len <= 32.0,
            }
        } else {
            Decision::Strings {
                why,
                small: false,
                categorical: avg_len <= 48.0,
            }
        }
    }
}

/// What the type rules make of a column (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Decision {
    AllMissing,
    Bool,
    /// Integers (or epoch times, when the name says time and the values fit).
    Integers,
    Floats,
    Timestamps {
        order: DayOrder,
        all_offsets: bool,
    },
    /// Text: categorical when allowed and the values repeat. `why` is set
    /// when most cells were numbers or date-times: `(good cells, first row
    /// that is not one, "numbers" | "date-times")`.
    Strings {
        why: Option<(usize, usize, &'static str)>,
        small: bool,
        categorical: bool,
    },
}

/// Builds one typed column from its raw cells.
pub fn infer_column(name: &str, index: usize, raw: &RawColumn, ctx: &InferContext<'_>) -> Inferred {
    let mut scan = Scan::default();
    for (row, cell) in raw.iter().enumerate() {
        scan.add(row, cell, ctx.decimal_comma, 1);
    }
    let present = scan.present;
    let mut b = Builder {
        name,
        index,
        raw,
        ctx,
        warnings: Vec::new(),
        failures: 0,
    };
    match scan.decide() {
        Decision::AllMissing => b.text(false),
        Decision::Bool => b.bools(),
        Decision::Integers => {
            if name_says_time(name) {
                let (lo, hi) = raw
                    .iter()
                    .filter_map(parse::parse_i64)
                    .fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
                if let Some(unit) = epoch_unit(lo, hi) {
                    return b.epoch(unit);
                }
            }
            b.integers()
        }
        Decision::Floats => b.floats(),
        Decision::Timestamps { order, all_offsets } => b.timestamps(order, all_offsets),
        Decision::Strings {
            why,
            small,
            categorical,
        } => {
            if let Some((ok, row, what)) = why {
                let bad_share = 100.0 * (present - ok) as f64 / present as f64;
                let cell = raw.iter().nth(row).unwrap_or_default();
                let shown: String = cell.chars().take(40).collect();
                let line = ctx.row_lines.get(row).copied();
                let reason = if scan.leading_zero > 0 && what == "numbers" {
                    format!(
                        "{} cells are numbers written with leading zeros (identifiers such as '{shown}' would lose them)",
                        scan.leading_zero
                    )
                } else {
                    format!(
                        "{bad_share:.0} % of cells are not {what} (more than the {:.0} % a {} column may have), first at line {}: '{shown}'",
                        100.0 * (1.0 - TYPE_RULE_SHARE),
                        if what == "numbers" {
                            "numeric"
                        } else {
                            "date-time"
                        },
                        line.map_or_else(|| "?".to_owned(), |l| l.to_string()),
                    )
                };
                b.warnings.push(LoadWarning {
                    line,
                    column: Some(index + 1),
                    message: format!("column '{name}' is read as text: {reason}"),
                });
            }
            if small {
                b.text_small(categorical)
            } else {
                b.text(categorical)
            }
        }
    }
}

/// Microseconds per unit when integers `lo..=hi` are epoch seconds or
/// milliseconds of 1973..2096.
pub(super) fn epoch_unit(lo: i64, hi: i64) -> Option<i64> {
    if lo >= 100_000_000 && hi <= 4_000_000_000 {
        Some(MICROS_PER_SECOND)
    } else if lo >= 100_000_000_000 && hi <= 4_000_000_000_000 {
        Some(1_000)
    } else {
        None
    }
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
            cells_set_missing: self.failures,
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

    /// The integer in a cell; a present cell that is not one is warned
    /// about and becomes missing.
    fn int_cell(&mut self, row: usize, cell: &str) -> Option<i64> {
        let v = parse::parse_i64(cell);
        if v.is_none() && !parse::is_missing(cell) {
            self.fail(row, cell, "a whole number");
        }
        v
    }

    fn integers(mut self) -> Inferred {
        let n = self.raw.len();
        let mut values = Vec::with_capacity(n);
        let mut validity = Validity::with_capacity(n);
        for (row, cell) in self.raw.iter().enumerate() {
            let v = self.int_cell(row, cell);
            values.push(v.unwrap_or(0));
            validity.push(v.is_some());
        }
        self.finish(ColumnValues::Integer(values), validity)
    }

    fn epoch(mut self, micros_per_unit: i64) -> Inferred {
        let n = self.raw.len();
        let mut values = Vec::with_capacity(n);
        let mut validity = Validity::with_capacity(n);
        for (row, cell) in self.raw.iter().enumerate() {
            let v = self.int_cell(row, cell);
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
pub(super) struct LocalResolver<'a> {
    tz: &'a TimeZone,
    last_hour: i64,
    last_offset_secs: i64,
}

impl<'a> LocalResolver<'a> {
    pub(super) fn new(tz: &'a TimeZone) -> Self {
        Self {
            tz,
            last_hour: i64::MIN,
            last_offset_secs: 0,
        }
    }

    fn offset_for(&mut self, d: &ParsedDateTime, naive_micros: i64) -> i64 {
        let hour = naive_micros.div_euclid(MICROS_PER_HOUR);
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

pub(super) fn to_utc_micros(
    d: &ParsedDateTime,
    resolver: &mut LocalResolver<'_>,
    offsets: &mut OffsetSample,
) -> i64 {
    let naive = d.naive_micros();
    match d.offset_secs {
        Some(off) => {
            let utc = naive - i64::from(off) * MICROS_PER_SECOND;
            if offsets.pairs.len() < 512 && offsets.pairs.last().is_none_or(|&(_, o)| o != off) {
                offsets.pairs.push((utc, off));
            }
            utc
        }
        None => naive - resolver.offset_for(d, naive) * MICROS_PER_SECOND,
    }
}
