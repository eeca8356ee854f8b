//! Forecasting a time series some hours ahead from its own past, per place.
//!
//! The series is put on an hourly grid (means of the rows in each hour).
//! A sample is an origin hour `t` at a place: its inputs are the last
//! `history_hours` values up to `t`, the values one season (a week) before
//! each target hour, the hour of day and weekday of `t` (sine/cosine) and
//! the place (one-hot); its outputs are the next `horizon_hours` values. The
//! baseline is the seasonal-naive forecast: the same hour one week earlier.
//! Training and validation are split by time, never at random, with a gap
//! so no training target falls in the validation period.

use std::collections::{BTreeMap, HashMap};

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::MlError;
use crate::data::timeseries::{LocalClock, MICROS_PER_HOUR};
use crate::data::{Column, Table};

pub const DEFAULT_HORIZON_HOURS: usize = 24;
pub const DEFAULT_HISTORY_HOURS: usize = 24;
pub const SEASON_HOURS: usize = 168;

/// How a forecasting model reads a table; stored in the model card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastSpec {
    pub time_column: String,
    pub place_column: Option<String>,
    /// Places seen in training, in one-hot order.
    pub places: Vec<String>,
    pub horizon_hours: usize,
    pub history_hours: usize,
    pub season_hours: usize,
    pub time_zone: String,
}

impl ForecastSpec {
    pub fn input_width(&self) -> usize {
        self.history_hours + self.horizon_hours + 4 + self.places.len() + 1
    }
}

/// Hourly values per place: place → (hour index since the epoch → value).
pub type HourlySeries = BTreeMap<String, HashMap<i64, f64>>;

/// Puts `target` on an hourly grid per place (mean of each hour's rows).
pub fn hourly_series(
    table: &Table,
    spec: &ForecastSpec,
    target: &str,
) -> Result<HourlySeries, MlError> {
    let get = |name: &str| {
        table.column(name).ok_or_else(|| MlError::MissingColumn {
            column: name.to_owned(),
        })
    };
    let time = get(&spec.time_column)?;
    let value = get(target)?;
    if !value.kind().is_numeric() {
        return Err(MlError::BadTarget {
            column: target.to_owned(),
            task: "forecasting",
            why: format!("it holds {} values, not numbers", value.kind().name()),
        });
    }
    let place: Option<&Column> = match &spec.place_column {
        Some(p) => Some(get(p)?),
        None => None,
    };
    let mut sums: BTreeMap<String, HashMap<i64, (f64, u32)>> = BTreeMap::new();
    for r in 0..table.n_rows() {
        let (Some(t), Some(v)) = (time.timestamp_at(r), value.f64_at(r)) else {
            continue;
        };
        let key = match place {
            Some(p) => match super::features::cell_key(p, r) {
                Some(k) => k,
                None => continue,
            },
            None => "all".to_owned(),
        };
        let e = sums
            .entry(key)
            .or_default()
            .entry(t.div_euclid(MICROS_PER_HOUR))
            .or_insert((0.0, 0));
        e.0 += v;
        e.1 += 1;
    }
    Ok(sums
        .into_iter()
        .map(|(k, m)| {
            (
                k,
                m.into_iter()
                    .map(|(h, (s, n))| (h, s / f64::from(n)))
                    .collect(),
            )
        })
        .collect())
}

/// Samples built from a series.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// (place, origin hour) of each sample.
    pub origins: Vec<(String, i64)>,
    /// Inputs, row-major `len × input_width`.
    pub x: Vec<f32>,
    /// Standardised targets, row-major `len × horizon` (training only).
    pub y: Vec<f32>,
    /// Actual values in original units (empty when unknown).
    pub actual: Vec<f64>,
    /// Seasonal-naive forecasts in original units, `len × horizon`.
    pub baseline: Vec<f64>,
}

impl Samples {
    pub fn len(&self) -> usize {
        self.origins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }
}

/// Builds one sample's inputs at `origin`; `None` when history is missing.
fn inputs_at(
    spec: &ForecastSpec,
    values: &HashMap<i64, f64>,
    place: &str,
    origin: i64,
    (mean, std): (f64, f64),
    clock: &mut LocalClock<'_>,
    (out, baseline): (&mut Vec<f32>, &mut Vec<f64>),
) -> bool {
    let start = out.len();
    let z = |v: f64| ((v - mean) / std) as f32;
    for lag in 0..spec.history_hours as i64 {
        match values.get(&(origin - lag)) {
            Some(&v) => out.push(z(v)),
            None => {
                out.truncate(start);
                return false;
            }
        }
    }
    let b_start = baseline.len();
    for k in 1..=spec.horizon_hours as i64 {
        match values.get(&(origin + k - spec.season_hours as i64)) {
            Some(&v) => {
                out.push(z(v));
                baseline.push(v);
            }
            None => {
                out.truncate(start);
                baseline.truncate(b_start);
                return false;
            }
        }
    }
    let t = origin * MICROS_PER_HOUR;
    let tau = std::f64::consts::TAU;
    let (h, d) = (clock.hour(t) as f64, clock.weekday(t) as f64);
    out.extend([
        (tau * h / 24.0).sin() as f32,
        (tau * h / 24.0).cos() as f32,
        (tau * d / 7.0).sin() as f32,
        (tau * d / 7.0).cos() as f32,
    ]);
    let slot = spec
        .places
        .iter()
        .position(|p| p == place)
        .unwrap_or(spec.places.len());
    for i in 0..=spec.places.len() {
        out.push(f32::from(u8::from(i == slot)));
    }
    true
}

/// Every origin at which inputs (and, when `with_targets`, all horizon
/// values) exist, sorted by time.
pub fn build_samples(
    series: &HourlySeries,
    spec: &ForecastSpec,
    mean: f64,
    std: f64,
    with_targets: bool,
) -> Samples {
    // Checked when the model loads (`models::bundle`).
    let tz = super::features::zone_from_name(&spec.time_zone).unwrap_or(TimeZone::UTC);
    let mut clock = LocalClock::new(&tz);
    let mut s = Samples::default();
    let mut all: Vec<(i64, &String)> = series
        .iter()
        .flat_map(|(p, m)| m.keys().map(move |&h| (h, p)))
        .collect();
    all.sort();
    for (origin, place) in all {
        let Some(values) = series.get(place) else {
            continue;
        };
        let before_x = s.x.len();
        let before_b = s.baseline.len();
        if !inputs_at(
            spec,
            values,
            place,
            origin,
            (mean, std),
            &mut clock,
            (&mut s.x, &mut s.baseline),
        ) {
            continue;
        }
        if with_targets {
            let future: Option<Vec<f64>> = (1..=spec.horizon_hours as i64)
                .map(|k| values.get(&(origin + k)).copied())
                .collect();
            let Some(future) = future else {
                s.x.truncate(before_x);
                s.baseline.truncate(before_b);
                continue;
            };
            s.y.extend(future.iter().map(|v| ((v - mean) / std) as f32));
            s.actual.extend(future);
        }
        s.origins.push((place.clone(), origin));
    }
    s
}

/// Splits sample indices by time: the last `fraction` of origin hours is
/// validation; training keeps only origins whose targets end before it.
pub fn split_by_time(samples: &Samples, horizon: usize, fraction: f64) -> (Vec<usize>, Vec<usize>) {
    let mut hours: Vec<i64> = samples.origins.iter().map(|(_, h)| *h).collect();
    hours.sort_unstable();
    hours.dedup();
    let Some(&cut) = hours.get(((hours.len() as f64) * (1.0 - fraction)) as usize) else {
        return ((0..samples.len()).collect(), Vec::new());
    };
    let mut train = Vec::new();
    let mut valid = Vec::new();
    for (i, (_, h)) in samples.origins.iter().enumerate() {
        if *h >= cut {
            valid.push(i);
        } else if *h + horizon as i64 <= cut {
            train.push(i);
        }
    }
    (train, valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(h: usize, hist: usize) -> ForecastSpec {
        ForecastSpec {
            time_column: "t".into(),
            place_column: Some("p".into()),
            places: vec!["a".into()],
            horizon_hours: h,
            history_hours: hist,
            season_hours: 4,
            time_zone: "UTC".into(),
        }
    }

    #[test]
    fn samples_hold_lags_seasonal_values_and_targets() {
        // Hourly values 0,1,2,…,9 at hours 0..10 for place "a".
        let times: Vec<i64> = (0..10).map(|h| h * MICROS_PER_HOUR).collect();
        let t = Table::new(vec![
            Column::from_timestamps("t", times),
            Column::categorical("p", &["a"; 10]),
            Column::from_f64("v", (0..10).map(f64::from).collect()),
        ])
        .unwrap();
        let sp = spec(2, 2);
        let series = hourly_series(&t, &sp, "v").unwrap();
        let s = build_samples(&series, &sp, 0.0, 1.0, true);
        // Origin o needs o-1 ≥ 0, o+1-4 ≥ 0 and o+2 ≤ 9: o in 3..=7.
        assert_eq!(
            s.origins.iter().map(|o| o.1).collect::<Vec<_>>(),
            vec![3, 4, 5, 6, 7]
        );
        let w = sp.input_width();
        // Origin 3: lags (3, 2), seasonal (0, 1), then calendar and place.
        assert_eq!(&s.x[0..4], &[3.0, 2.0, 0.0, 1.0]);
        assert_eq!(&s.x[w - 2..w], &[1.0, 0.0]);
        assert_eq!(&s.y[0..2], &[4.0, 5.0]);
        assert_eq!(&s.baseline[0..2], &[0.0, 1.0]);
        let (train, valid) = split_by_time(&s, 2, 0.4);
        // Hours 3..=7; cut at index 3 → hour 6; training needs o + 2 ≤ 6.
        assert_eq!(valid, vec![3, 4]);
        assert_eq!(train, vec![0, 1]);
    }
}
