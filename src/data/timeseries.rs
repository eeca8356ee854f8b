//! Time bucketing and aggregation for plots and KPIs: series per place,
//! hourly means, hour-of-day × weekday profiles and event counts, all in the
//! dataset's time zone.
//!
//! Empty buckets are never materialised one by one: a run of empty buckets
//! between two non-empty ones is stored as its first and last bucket at
//! zero ([`with_gaps`]), which draws the same line. So three rows dated in
//! year 1 and year 9999 give a handful of points, not the 87 million hours
//! between them (which took 2 GB when every hour was filled).

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::table::{Column, ColumnValues, TimestampMicros};

// The one definition of these units in the crate: timestamps are
// microseconds since the Unix epoch (UTC) everywhere.
pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_MINUTE: i64 = 60 * MICROS_PER_SECOND;
pub const MICROS_PER_HOUR: i64 = 60 * MICROS_PER_MINUTE;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// Local calendar facts for UTC instants, cached per UTC hour (offsets
/// change at most on the hour in almost every zone).
pub struct LocalClock<'a> {
    tz: &'a TimeZone,
    cached_hour: i64,
    cached_offset_micros: i64,
}

impl<'a> LocalClock<'a> {
    pub fn new(tz: &'a TimeZone) -> Self {
        Self {
            tz,
            cached_hour: i64::MIN,
            cached_offset_micros: 0,
        }
    }

    pub fn offset_micros(&mut self, utc: TimestampMicros) -> i64 {
        let hour = utc.div_euclid(MICROS_PER_HOUR);
        if hour != self.cached_hour {
            self.cached_hour = hour;
            self.cached_offset_micros = jiff::Timestamp::from_microsecond(utc).map_or(0, |ts| {
                i64::from(self.tz.to_offset(ts).seconds()) * MICROS_PER_SECOND
            });
        }
        self.cached_offset_micros
    }

    /// Microseconds since the epoch of the same wall-clock time in UTC.
    pub fn local_micros(&mut self, utc: TimestampMicros) -> i64 {
        utc + self.offset_micros(utc)
    }

    /// Hour of day 0..24 in local time.
    pub fn hour(&mut self, utc: TimestampMicros) -> usize {
        (self.local_micros(utc).rem_euclid(MICROS_PER_DAY) / MICROS_PER_HOUR) as usize
    }

    /// Weekday 0 = Monday .. 6 = Sunday, local time.
    pub fn weekday(&mut self, utc: TimestampMicros) -> usize {
        // 1970-01-01 was a Thursday (3 when Monday is 0).
        ((self.local_micros(utc).div_euclid(MICROS_PER_DAY) + 3).rem_euclid(7)) as usize
    }

    /// Start of the local day containing `utc`, as a UTC instant.
    pub fn day_start(&mut self, utc: TimestampMicros) -> TimestampMicros {
        let local = self.local_micros(utc);
        let local_midnight = local - local.rem_euclid(MICROS_PER_DAY);
        let guess = local_midnight - self.offset_micros(utc);
        local_midnight - self.offset_micros(guess)
    }
}

/// Inclusive time range filter in microseconds UTC; `None` is unbounded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub start: Option<TimestampMicros>,
    pub end: Option<TimestampMicros>,
}

impl TimeRange {
    pub fn contains(&self, t: TimestampMicros) -> bool {
        self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t <= e)
    }
}

/// The row's timestamp when the time column has one and it is in range.
fn time_in_range(time: &Column, row: usize, range: TimeRange) -> Option<TimestampMicros> {
    time.timestamp_at(row).filter(|&t| range.contains(t))
}

/// A place's series: (seconds since epoch, value) sorted by time.
pub type Series = Vec<[f64; 2]>;

/// Splits a metric into one series per place (or one series named "all"
/// when there is no place column), x in seconds since the epoch.
pub fn series_by_place(
    time: &Column,
    place: Option<&Column>,
    value: &Column,
    range: TimeRange,
) -> BTreeMap<String, Series> {
    let mut by_code: BTreeMap<u32, Series> = BTreeMap::new();
    let mut by_name: BTreeMap<String, Series> = BTreeMap::new();
    for row in 0..time.len() {
        let Some(t) = time_in_range(time, row, range) else {
            continue;
        };
        let Some(y) = value.f64_at(row) else {
            continue;
        };
        let point = [t as f64 / 1e6, y];
        match place {
            None => by_name.entry("all".to_owned()).or_default().push(point),
            Some(p) => {
                if let Some(code) = p.code_at(row) {
                    by_code.entry(code).or_default().push(point);
                } else if let Some(s) = p.str_at(row) {
                    by_name.entry(s.to_owned()).or_default().push(point);
                } else if let Some(v) = p.f64_at(row) {
                    by_name.entry(format!("{v}")).or_default().push(point);
                }
            }
        }
    }
    if let Some(dict) = place.and_then(Column::dictionary) {
        for (code, s) in by_code {
            if let Some(name) = dict.get(code as usize) {
                by_name.insert(name.clone(), s);
            }
        }
    }
    for s in by_name.values_mut() {
        if !s.windows(2).all(|w| w[0][0] <= w[1][0]) {
            s.sort_by(|a, b| a[0].total_cmp(&b[0]));
        }
    }
    by_name
}

/// Mean of a metric per time bucket over all places, x in seconds.
pub fn bucket_mean(time: &Column, value: &Column, bucket_micros: i64, range: TimeRange) -> Series {
    let mut sums: BTreeMap<i64, (f64, u32)> = BTreeMap::new();
    let bucket_micros = bucket_micros.max(1);
    for row in 0..time.len() {
        let (Some(t), Some(y)) = (time_in_range(time, row, range), value.f64_at(row)) else {
            continue;
        };
        let e = sums.entry(t.div_euclid(bucket_micros)).or_insert((0.0, 0));
        e.0 += y;
        e.1 += 1;
    }
    sums.into_iter()
        .map(|(b, (s, n))| [(b * bucket_micros) as f64 / 1e6, s / f64::from(n)])
        .collect()
}

/// Number of rows per time bucket (events over time), x in seconds; empty
/// buckets between the first and last are zeros, each run of them stored as
/// its first and last bucket ([`with_gaps`]).
pub fn bucket_count(
    time: &Column,
    bucket_micros: i64,
    range: TimeRange,
    rows: Option<&[bool]>,
) -> Series {
    let bucket_micros = bucket_micros.max(1);
    let mut counts: BTreeMap<i64, f64> = BTreeMap::new();
    for row in 0..time.len() {
        if rows.is_some_and(|r| !r.get(row).copied().unwrap_or(false)) {
            continue;
        }
        if let Some(t) = time_in_range(time, row, range) {
            *counts.entry(t.div_euclid(bucket_micros)).or_insert(0.0) += 1.0;
        }
    }
    with_gaps(
        &counts,
        |b| b.saturating_add(1),
        |b| b.saturating_sub(1),
        |b| b.saturating_mul(bucket_micros) as f64 / 1e6,
    )
}

/// Counts per bucket (keyed by any increasing bucket key) as a plot series
/// with the empty buckets between them at zero: each run of empty buckets
/// becomes its first and last bucket (one point for a run of one), found
/// with `next` and `prev` (the bucket after and before a key). At most
/// three points per non-empty bucket, whatever the span; `x` gives a
/// bucket's x value.
pub fn with_gaps(
    counts: &BTreeMap<i64, f64>,
    mut next: impl FnMut(i64) -> i64,
    mut prev: impl FnMut(i64) -> i64,
    x: impl Fn(i64) -> f64,
) -> Series {
    let mut out = Vec::with_capacity(counts.len().saturating_mul(3));
    let mut last: Option<i64> = None;
    for (&key, &n) in counts {
        if let Some(before) = last {
            let first_empty = next(before);
            if first_empty < key {
                out.push([x(first_empty), 0.0]);
                let last_empty = prev(key);
                if last_empty > first_empty {
                    out.push([x(last_empty), 0.0]);
                }
            }
        }
        out.push([x(key), n]);
        last = Some(key);
    }
    out
}

/// Mean of a metric by local weekday (rows, Monday first) and hour of day
/// (columns); `None` where there is no data.
pub fn weekday_hour_means(
    time: &Column,
    value: &Column,
    tz: &TimeZone,
    range: TimeRange,
) -> [[Option<f64>; 24]; 7] {
    let mut sums = [[(0.0f64, 0u32); 24]; 7];
    let mut clock = LocalClock::new(tz);
    for row in 0..time.len() {
        let (Some(t), Some(y)) = (time_in_range(time, row, range), value.f64_at(row)) else {
            continue;
        };
        let cell = &mut sums[clock.weekday(t)][clock.hour(t)];
        cell.0 += y;
        cell.1 += 1;
    }
    sums.map(|day| day.map(|(s, n)| (n > 0).then(|| s / f64::from(n))))
}

/// Counts of rows by local hour of day.
pub fn hour_histogram(
    time: &Column,
    tz: &TimeZone,
    range: TimeRange,
    rows: Option<&[bool]>,
) -> [u32; 24] {
    let mut out = [0u32; 24];
    let mut clock = LocalClock::new(tz);
    for row in 0..time.len() {
        if rows.is_some_and(|r| !r.get(row).copied().unwrap_or(false)) {
            continue;
        }
        if let Some(t) = time_in_range(time, row, range) {
            out[clock.hour(t)] += 1;
        }
    }
    out
}

/// Counts per category (code order of the dictionary), for bar charts.
pub fn category_counts(
    col: &Column,
    time: Option<&Column>,
    range: TimeRange,
) -> Vec<(String, u32)> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for row in 0..col.len() {
        if let Some(t) = time
            && time_in_range(t, row, range).is_none()
        {
            continue;
        }
        let key = match &col.values {
            ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
                col.str_at(row).map(str::to_owned)
            }
            ColumnValues::Bool(_) | ColumnValues::Integer(_) => {
                col.f64_at(row).map(|v| format!("{v}"))
            }
            _ => None,
        };
        if let Some(k) = key {
            *counts.entry(k).or_insert(0) += 1;
        }
    }
    let mut out: Vec<(String, u32)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chicago() -> TimeZone {
        TimeZone::get("America/Chicago").unwrap()
    }

    #[test]
    fn local_hour_and_weekday_follow_the_zone_across_dst() {
        let tz = chicago();
        let mut c = LocalClock::new(&tz);
        // 2026-08-10T05:00:00Z is Monday 00:00 CDT (UTC-5).
        let t = jiff::Timestamp::from_second(1_786_338_000)
            .unwrap()
            .as_microsecond();
        assert_eq!(c.hour(t), 0);
        assert_eq!(c.weekday(t), 0);
        // 2026-11-02T06:00:00Z is Monday 00:00 CST (UTC-6), after fall-back.
        let t = jiff::Timestamp::from_second(1_793_599_200)
            .unwrap()
            .as_microsecond();
        assert_eq!(c.hour(t), 0);
        assert_eq!(c.weekday(t), 0);
        assert_eq!(c.day_start(t + 5 * MICROS_PER_HOUR), t);
    }

    #[test]
    fn series_split_by_place_and_filtered_by_range() {
        let time = Column::from_timestamps(
            "t",
            vec![0, MICROS_PER_HOUR, 2 * MICROS_PER_HOUR, 3 * MICROS_PER_HOUR],
        );
        let place = Column::categorical("s", &["a", "b", "a", "b"]);
        let value = Column::from_f64("v", vec![1.0, 2.0, f64::NAN, 4.0]);
        let range = TimeRange {
            start: None,
            end: Some(2 * MICROS_PER_HOUR),
        };
        let s = series_by_place(&time, Some(&place), &value, range);
        assert_eq!(s["a"], vec![[0.0, 1.0]]);
        assert_eq!(s["b"], vec![[3600.0, 2.0]]);
    }

    #[test]
    fn rows_in_year_1_and_year_9999_give_a_few_points_not_every_hour() {
        let year_1 = -62_135_596_800_000_000;
        let year_9999 = 253_370_764_800_000_000;
        let time = Column::from_timestamps("t", vec![year_1, year_1 + 10, year_9999]);
        let s = bucket_count(&time, MICROS_PER_HOUR, TimeRange::default(), None);
        assert_eq!(s.len(), 4, "{s:?}");
        assert_eq!(s[0][1], 2.0);
        assert_eq!((s[1][1], s[2][1], s[3][1]), (0.0, 0.0, 1.0));
        assert_eq!(s[1][0], (year_1 + MICROS_PER_HOUR) as f64 / 1e6);
        assert_eq!(s[2][0], (year_9999 - MICROS_PER_HOUR) as f64 / 1e6);
    }

    #[test]
    fn bucket_count_fills_empty_buckets_with_zero() {
        let time = Column::from_timestamps("t", vec![0, 10, 3 * MICROS_PER_HOUR]);
        let c = bucket_count(&time, MICROS_PER_HOUR, TimeRange::default(), None);
        assert_eq!(
            c.iter().map(|p| p[1]).collect::<Vec<_>>(),
            vec![2.0, 0.0, 0.0, 1.0]
        );
    }

    #[test]
    fn weekday_hour_means_average_per_cell() {
        let tz = TimeZone::UTC;
        // Thursday 1970-01-01 00:00 and 01:00, twice a week apart.
        let week = 7 * MICROS_PER_DAY;
        let time =
            Column::from_timestamps("t", vec![0, MICROS_PER_HOUR, week, week + MICROS_PER_HOUR]);
        let value = Column::from_f64("v", vec![1.0, 10.0, 3.0, 20.0]);
        let m = weekday_hour_means(&time, &value, &tz, TimeRange::default());
        assert_eq!(m[3][0], Some(2.0));
        assert_eq!(m[3][1], Some(15.0));
        assert_eq!(m[0][0], None);
    }
}
