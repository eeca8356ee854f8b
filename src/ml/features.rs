//! The tabular feature pipeline: from table columns to a dense `f32`
//! matrix, fitted on the training rows and stored in the model card so the
//! same transformation applies to new data.
//!
//! - numbers (integer, float): standardised with the training mean and std;
//! - categories (categorical, text, bool-as-category): one-hot over the most
//!   frequent training values plus an "other" slot;
//! - booleans: 0/1;
//! - timestamps: hour of day, weekday and month as sine/cosine pairs in the
//!   dataset's time zone;
//! - missing values: imputed (mean → 0 after standardising, no category
//!   slot set) with a 0/1 indicator column when training saw any.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::MlError;
use crate::data::timeseries::{LocalClock, MICROS_PER_HOUR};
use crate::data::{Column, ColumnKind, ColumnValues, Dataset, Role, Table};

/// Categories kept per one-hot column (the rest share "other").
pub const MAX_CATEGORIES: usize = 32;

/// The zone a card names, as `data::zone_name` writes it: an IANA name
/// (`Europe/Paris`, `UTC`) or a fixed offset (`UTC+05:30`, `UTC-03:00`).
/// `None` for anything else, which a card must not hold.
pub fn zone_from_name(name: &str) -> Option<TimeZone> {
    if let Some(offset) = name.strip_prefix("UTC").filter(|o| !o.is_empty()) {
        let (sign, rest) = match offset.as_bytes().first() {
            Some(b'+') => (1, offset.get(1..)?),
            Some(b'-') => (-1, offset.get(1..)?),
            _ => return None,
        };
        let (h, m) = rest.split_once(':')?;
        let (h, m) = (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?);
        if h.to_string().len() > 2 || !(0..60).contains(&m) {
            return None;
        }
        let offset = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()?;
        return Some(TimeZone::fixed(offset));
    }
    TimeZone::get(name).ok()
}

/// How one input column becomes features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "encoding", rename_all = "snake_case")]
pub enum Encoding {
    Standardize {
        mean: f64,
        std: f64,
    },
    OneHot {
        categories: Vec<String>,
    },
    Bool,
    /// Hour, weekday and month as sine/cosine pairs.
    Calendar,
}

/// One input column of a model, as recorded in its card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub column: String,
    /// The column's type in the training table.
    #[serde(rename = "type")]
    pub source_type: ColumnKind,
    #[serde(flatten)]
    pub encoding: Encoding,
    pub missing_indicator: bool,
}

impl InputSpec {
    pub fn width(&self) -> usize {
        let base = match &self.encoding {
            Encoding::Standardize { .. } | Encoding::Bool => 1,
            Encoding::OneHot { categories } => categories.len() + 1,
            Encoding::Calendar => 6,
        };
        base + usize::from(self.missing_indicator)
    }

    pub fn feature_names(&self) -> Vec<String> {
        let c = &self.column;
        let mut out = match &self.encoding {
            Encoding::Standardize { .. } | Encoding::Bool => vec![c.clone()],
            Encoding::OneHot { categories } => categories
                .iter()
                .map(|k| format!("{c}={k}"))
                .chain(std::iter::once(format!("{c}=other")))
                .collect(),
            Encoding::Calendar => [
                "hour_sin",
                "hour_cos",
                "weekday_sin",
                "weekday_cos",
                "month_sin",
                "month_cos",
            ]
            .iter()
            .map(|s| format!("{c}.{s}"))
            .collect(),
        };
        if self.missing_indicator {
            out.push(format!("{c}.missing"));
        }
        out
    }
}

/// All inputs, in order, plus the zone calendar features are read in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeaturePipeline {
    pub inputs: Vec<InputSpec>,
    pub time_zone: String,
}

/// Why a column is not offered as a feature by default.
#[derive(Clone, Debug, PartialEq)]
pub struct Excluded {
    pub column: String,
    pub reason: String,
}

/// The default feature choice for a target: every usable column, with the
/// reason for each one left out.
pub fn suggest_features(ds: &Dataset, target: &str) -> (Vec<String>, Vec<Excluded>) {
    let mut keep = Vec::new();
    let mut excluded = Vec::new();
    let n = ds.table.n_rows().max(1);
    for (i, col) in ds.table.columns.iter().enumerate() {
        if col.name == target {
            continue;
        }
        let role = ds.schema.roles.get(i).copied().unwrap_or(Role::Other);
        let reason = if col.missing_count() == col.len() {
            Some("every value is missing")
        } else if role == Role::Id {
            Some("an identifier: its values do not generalise")
        } else if col.kind() == ColumnKind::Text || role == Role::Text {
            Some("free text (use the text tools for it)")
        } else if col.kind() == ColumnKind::Categorical
            && col
                .dictionary()
                .is_some_and(|d| d.len() > 1000 && d.len() * 2 > n)
        {
            Some("almost every value is different (an identifier?)")
        } else if is_constant(col) {
            Some("the same value in every row")
        } else {
            None
        };
        match reason {
            Some(r) => excluded.push(Excluded {
                column: col.name.clone(),
                reason: r.to_owned(),
            }),
            None => keep.push(col.name.clone()),
        }
    }
    (keep, excluded)
}

fn is_constant(col: &Column) -> bool {
    let mut first: Option<String> = None;
    for r in 0..col.len() {
        let v = cell_key(col, r);
        match (&first, v) {
            (_, None) => {}
            (None, Some(v)) => first = Some(v),
            (Some(f), Some(v)) if *f != v => return false,
            _ => {}
        }
    }
    true
}

/// A cell as a category key (for one-hot and class labels).
pub fn cell_key(col: &Column, row: usize) -> Option<String> {
    if !col.is_valid(row) {
        return None;
    }
    match &col.values {
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            col.str_at(row).map(str::to_owned)
        }
        ColumnValues::Bool(v) => v.get(row).map(ToString::to_string),
        ColumnValues::Integer(v) => v.get(row).map(ToString::to_string),
        ColumnValues::Float(v) => v.get(row).map(|x| format!("{x}")),
        ColumnValues::Timestamp(v) => v.get(row).map(ToString::to_string),
    }
}

fn column<'a>(table: &'a Table, name: &str) -> Result<&'a Column, MlError> {
    table.column(name).ok_or_else(|| MlError::MissingColumn {
        column: name.to_owned(),
    })
}

impl FeaturePipeline {
    /// Fits encodings for `columns` on the training `rows`.
    pub fn fit(
        table: &Table,
        columns: &[String],
        rows: &[usize],
        tz: &TimeZone,
    ) -> Result<Self, MlError> {
        let mut inputs = Vec::with_capacity(columns.len());
        for name in columns {
            let col = column(table, name)?;
            let missing = rows.iter().any(|&r| !col.is_valid(r));
            let encoding = match col.kind() {
                ColumnKind::Integer | ColumnKind::Float => {
                    let vals: Vec<f64> = rows.iter().filter_map(|&r| col.f64_at(r)).collect();
                    let n = vals.len().max(1) as f64;
                    let mean = vals.iter().sum::<f64>() / n;
                    let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                    let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
                    Encoding::Standardize { mean, std }
                }
                ColumnKind::Bool => Encoding::Bool,
                ColumnKind::Timestamp => Encoding::Calendar,
                ColumnKind::Categorical | ColumnKind::Text => {
                    let mut counts: std::collections::HashMap<String, usize> =
                        std::collections::HashMap::new();
                    for &r in rows {
                        if let Some(k) = cell_key(col, r) {
                            *counts.entry(k).or_insert(0) += 1;
                        }
                    }
                    let mut pairs: Vec<(String, usize)> = counts.into_iter().collect();
                    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    Encoding::OneHot {
                        categories: pairs
                            .into_iter()
                            .take(MAX_CATEGORIES)
                            .map(|(k, _)| k)
                            .collect(),
                    }
                }
            };
            inputs.push(InputSpec {
                column: name.clone(),
                source_type: col.kind(),
                encoding,
                missing_indicator: missing,
            });
        }
        Ok(Self {
            inputs,
            time_zone: crate::data::zone_name(tz),
        })
    }

    pub fn width(&self) -> usize {
        self.inputs.iter().map(InputSpec::width).sum()
    }

    pub fn feature_names(&self) -> Vec<String> {
        self.inputs
            .iter()
            .flat_map(InputSpec::feature_names)
            .collect()
    }

    /// The zone calendar features are read in; a card's zone is checked
    /// when the model loads (`models::bundle`), so UTC here is never a
    /// silent substitute for a zone the card names.
    fn zone(&self) -> TimeZone {
        zone_from_name(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    /// Checks that `table` has every input with a usable type.
    pub fn check(&self, table: &Table) -> Result<(), MlError> {
        for spec in &self.inputs {
            let col = column(table, &spec.column)?;
            let ok = match (&spec.encoding, col.kind()) {
                (Encoding::Standardize { .. }, k) => k.is_numeric() || k == ColumnKind::Bool,
                (Encoding::Bool, k) => matches!(
                    k,
                    ColumnKind::Bool | ColumnKind::Integer | ColumnKind::Float
                ),
                (Encoding::Calendar, k) => k == ColumnKind::Timestamp,
                (Encoding::OneHot { .. }, _) => true,
            };
            if !ok {
                return Err(MlError::WrongType {
                    column: spec.column.clone(),
                    expected: spec.source_type.name().to_owned(),
                    found: col.kind().name().to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The feature matrix for `rows`, row-major `rows.len() × width()`.
    pub fn transform(&self, table: &Table, rows: &[usize]) -> Result<Vec<f32>, MlError> {
        self.check(table)?;
        let width = self.width();
        let mut out = vec![0f32; rows.len() * width];
        let tz = self.zone();
        let mut offset = 0;
        for spec in &self.inputs {
            let col = column(table, &spec.column)?;
            let w = spec.width();
            let mut clock = LocalClock::new(&tz);
            // Category lookups through the column's dictionary codes.
            let code_slots: Option<Vec<usize>> = match (&spec.encoding, col.dictionary()) {
                (Encoding::OneHot { categories }, Some(dict)) => Some(
                    dict.iter()
                        .map(|d| {
                            categories
                                .iter()
                                .position(|c| c == d)
                                .unwrap_or(categories.len())
                        })
                        .collect(),
                ),
                _ => None,
            };
            for (i, &r) in rows.iter().enumerate() {
                let base = i * width + offset;
                let Some(slot) = out.get_mut(base..base + w) else {
                    continue;
                };
                let present = col.is_valid(r);
                if spec.missing_indicator
                    && let Some(last) = slot.last_mut()
                {
                    *last = f32::from(u8::from(!present));
                }
                if !present {
                    continue;
                }
                match &spec.encoding {
                    Encoding::Standardize { mean, std } => {
                        if let Some(v) = col.f64_at(r) {
                            slot[0] = ((v - mean) / std) as f32;
                        }
                    }
                    Encoding::Bool => {
                        if let Some(v) = col.f64_at(r) {
                            slot[0] = f32::from(u8::from(v != 0.0));
                        }
                    }
                    Encoding::Calendar => {
                        if let Some(t) = col.timestamp_at(r) {
                            let hour = clock.hour(t) as f64
                                + (clock.local_micros(t).rem_euclid(MICROS_PER_HOUR) as f64
                                    / MICROS_PER_HOUR as f64);
                            let weekday = clock.weekday(t) as f64;
                            let month = month_of(t, &tz) as f64;
                            let tau = std::f64::consts::TAU;
                            let vals = [
                                (tau * hour / 24.0).sin(),
                                (tau * hour / 24.0).cos(),
                                (tau * weekday / 7.0).sin(),
                                (tau * weekday / 7.0).cos(),
                                (tau * (month - 1.0) / 12.0).sin(),
                                (tau * (month - 1.0) / 12.0).cos(),
                            ];
                            for (s, v) in slot.iter_mut().zip(vals) {
                                *s = v as f32;
                            }
                        }
                    }
                    Encoding::OneHot { categories } => {
                        let idx = match (&code_slots, col.code_at(r)) {
                            (Some(slots), Some(code)) => slots.get(code as usize).copied(),
                            _ => cell_key(col, r).map(|k| {
                                categories
                                    .iter()
                                    .position(|c| *c == k)
                                    .unwrap_or(categories.len())
                            }),
                        };
                        if let Some(s) = idx.and_then(|i| slot.get_mut(i)) {
                            *s = 1.0;
                        }
                    }
                }
            }
            offset += w;
        }
        Ok(out)
    }
}

fn month_of(t: i64, tz: &TimeZone) -> i8 {
    jiff::Timestamp::from_microsecond(t).map_or(1, |ts| ts.to_zoned(tz.clone()).month())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(vec![
            Column::from_f64("speed", vec![10.0, 20.0, f64::NAN, 30.0]),
            Column::categorical("road", &["a", "b", "a", "c"]),
            Column::from_bool("rain", vec![true, false, false, true]),
            Column::from_timestamps(
                "t",
                vec![0, 6 * 3_600_000_000, 12 * 3_600_000_000, 18 * 3_600_000_000],
            ),
        ])
        .unwrap()
    }

    #[test]
    fn fit_and_transform_by_hand() {
        let t = table();
        let cols: Vec<String> = ["speed", "road", "rain", "t"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let p = FeaturePipeline::fit(&t, &cols, &[0, 1, 2, 3], &TimeZone::UTC).unwrap();
        // speed: mean 20, std sqrt(200/3) over the three present values; has a missing indicator.
        let Encoding::Standardize { mean, std } = p.inputs[0].encoding else {
            panic!()
        };
        assert_eq!(mean, 20.0);
        assert!((std - (200.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!(p.inputs[0].missing_indicator);
        // road: "a" (twice) first, then b, c; plus other.
        assert_eq!(
            p.inputs[1].encoding,
            Encoding::OneHot {
                categories: vec!["a".into(), "b".into(), "c".into()]
            }
        );
        assert_eq!(p.width(), 2 + 4 + 1 + 6);
        let x = p.transform(&t, &[0, 2]).unwrap();
        let w = p.width();
        // Row 0: speed (10-20)/std, not missing, road=a, rain 1, hour 0 → sin 0, cos 1.
        assert!((x[0] - (-10.0 / std) as f32).abs() < 1e-6);
        assert_eq!(x[1], 0.0);
        assert_eq!(&x[2..6], &[1.0, 0.0, 0.0, 0.0]);
        assert_eq!(x[6], 1.0);
        assert!((x[7] - 0.0).abs() < 1e-6 && (x[8] - 1.0).abs() < 1e-6);
        // Row 2: speed missing → 0 and indicator 1; 12:00 → hour cos = -1.
        assert_eq!(x[w], 0.0);
        assert_eq!(x[w + 1], 1.0);
        assert!((x[w + 8] + 1.0).abs() < 1e-6);
    }

    #[test]
    fn unseen_category_goes_to_other_and_missing_column_is_an_error() {
        let t = table();
        let p = FeaturePipeline::fit(&t, &["road".to_owned()], &[0, 1], &TimeZone::UTC).unwrap();
        let x = p.transform(&t, &[3]).unwrap();
        // categories: a, b; "c" → other.
        assert_eq!(x, vec![0.0, 0.0, 1.0]);
        let other = Table::new(vec![Column::from_f64("x", vec![1.0])]).unwrap();
        let err = p.transform(&other, &[0]).unwrap_err();
        assert!(err.to_string().contains("'road'"), "{err}");
    }

    #[test]
    fn wrong_type_is_named() {
        let t = table();
        let p = FeaturePipeline::fit(&t, &["speed".to_owned()], &[0, 1], &TimeZone::UTC).unwrap();
        let bad = Table::new(vec![Column::categorical("speed", &["fast"])]).unwrap();
        let err = p.check(&bad).unwrap_err();
        assert!(matches!(err, MlError::WrongType { .. }), "{err}");
    }
}
