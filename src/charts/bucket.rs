//! Time buckets in the dataset's time zone: an hour, a day, a week (from
//! Monday), a month, a quarter or a year of local time. Each instant maps
//! to an integer key (local hours, days, weeks, months, quarters or years
//! since 1970), so consecutive buckets have consecutive keys and the empty
//! ones between two are easy to name; a key maps back to the UTC instant at
//! which its local bucket starts (23- and 25-hour days included).

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::data::timeseries::{LocalClock, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND};

/// How time is bucketed; `Auto` chooses from the span and the density.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeBucket {
    #[default]
    Auto,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// The most buckets a time axis may hold (about 2 years of hours).
pub const MAX_BUCKETS: i64 = 20_000;

/// The number of `bucket`s from key `k0` to key `k1`, refused past
/// [`MAX_BUCKETS`].
pub fn bucket_span(bucket: TimeBucket, k0: i64, k1: i64) -> Result<usize, super::ChartError> {
    let span = k1 - k0 + 1;
    if span > MAX_BUCKETS {
        return Err(super::ChartError::TooManyBuckets {
            buckets: span,
            bucket: bucket.key(),
            max: MAX_BUCKETS,
        });
    }
    Ok(span.max(0) as usize)
}

impl TimeBucket {
    pub const ALL: [Self; 7] = [
        Self::Auto,
        Self::Hour,
        Self::Day,
        Self::Week,
        Self::Month,
        Self::Quarter,
        Self::Year,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }

    /// Typical length, for choosing.
    fn approx_micros(self) -> i64 {
        match self {
            Self::Auto | Self::Hour => MICROS_PER_HOUR,
            Self::Day => MICROS_PER_DAY,
            Self::Week => 7 * MICROS_PER_DAY,
            Self::Month => 30 * MICROS_PER_DAY,
            Self::Quarter => 91 * MICROS_PER_DAY,
            Self::Year => 365 * MICROS_PER_DAY,
        }
    }

    /// The bucket `Auto` becomes for data spanning `span_micros` with
    /// `rows` timestamps: the finest giving at most about 400 buckets and,
    /// for sparse data, not many more buckets than rows (1.5 per row).
    pub fn auto(span_micros: i64, rows: usize) -> Self {
        // Every bucket but `Auto` (the first), finest first.
        for b in Self::ALL.into_iter().skip(1) {
            let buckets = span_micros / b.approx_micros() + 1;
            if buckets <= 400 && buckets as f64 <= (rows as f64 * 1.5).max(12.0) {
                return b;
            }
        }
        Self::Year
    }

    /// The bucket key of a UTC instant, in local time.
    pub fn key_of(self, clock: &mut LocalClock<'_>, utc: i64) -> i64 {
        self.key_of_local(clock.local_micros(utc))
    }

    /// The bucket key of a local wall-clock time, given as microseconds
    /// since 1970-01-01T00:00 local (a database's `date_trunc` result).
    pub fn key_of_local(self, local: i64) -> i64 {
        let day = local.div_euclid(MICROS_PER_DAY);
        match self {
            Self::Auto | Self::Hour => local.div_euclid(MICROS_PER_HOUR),
            Self::Day => day,
            // 1970-01-01 was a Thursday: weeks from Monday 1969-12-29.
            Self::Week => (day + 3).div_euclid(7),
            Self::Month | Self::Quarter | Self::Year => {
                let (y, m, _) = civil_from_days(day);
                match self {
                    Self::Month => y * 12 + i64::from(m) - 1,
                    Self::Quarter => y * 4 + (i64::from(m) - 1) / 3,
                    _ => y,
                }
            }
        }
    }

    /// Seconds since the epoch at which the local bucket `key` starts.
    pub fn start_secs(self, key: i64, tz: &TimeZone) -> f64 {
        use crate::data::parse::days_from_civil;
        let naive_micros = match self {
            Self::Auto | Self::Hour => key * MICROS_PER_HOUR,
            Self::Day => key * MICROS_PER_DAY,
            Self::Week => (key * 7 - 3) * MICROS_PER_DAY,
            Self::Month => {
                days_from_civil(key.div_euclid(12) as i32, (key.rem_euclid(12) + 1) as u8, 1)
                    * MICROS_PER_DAY
            }
            Self::Quarter => {
                days_from_civil(
                    key.div_euclid(4) as i32,
                    (key.rem_euclid(4) * 3 + 1) as u8,
                    1,
                ) * MICROS_PER_DAY
            }
            Self::Year => days_from_civil(key as i32, 1, 1) * MICROS_PER_DAY,
        };
        local_to_utc_secs(naive_micros, tz)
    }
}

/// The UTC instant (seconds) of a local civil time given as microseconds
/// since 1970-01-01T00:00 local; DST gaps and folds resolve the
/// "compatible" way (as the loader does).
fn local_to_utc_secs(naive_micros: i64, tz: &TimeZone) -> f64 {
    let secs = naive_micros.div_euclid(MICROS_PER_SECOND);
    let civil = jiff::Timestamp::from_second(secs)
        .ok()
        .map(|ts| ts.to_zoned(TimeZone::UTC).datetime());
    let utc = civil
        .and_then(|dt| tz.to_ambiguous_timestamp(dt).compatible().ok())
        .map_or(secs, |ts| ts.as_second());
    utc as f64
}

/// (year, month 1–12, day 1–31) of a count of days since 1970-01-01
/// (the inverse of `parse::days_from_civil`, Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        for days in [-800_000i64, -1, 0, 59, 365, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(
                crate::data::parse::days_from_civil(y as i32, m, d),
                days,
                "{y}-{m}-{d}"
            );
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn day_buckets_follow_local_midnight_across_a_daylight_saving_change() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        let mut clock = LocalClock::new(&tz);
        // 2026-03-08 is 23 hours long in Chicago (clocks jump 02:00 → 03:00).
        // 05:30 UTC on the 8th is 23:30 on the 7th (CST, -6); 06:30 UTC is
        // 00:30 on the 8th.
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
        let d7 = TimeBucket::Day.key_of(&mut clock, t("2026-03-08T05:30:00Z"));
        let d8 = TimeBucket::Day.key_of(&mut clock, t("2026-03-08T06:30:00Z"));
        // 04:30 UTC on the 9th is 23:30 on the 8th (CDT, -5).
        let d8_late = TimeBucket::Day.key_of(&mut clock, t("2026-03-09T04:30:00Z"));
        assert_eq!(d8, d7 + 1);
        assert_eq!(d8_late, d8);
        // The 8th starts at 06:00 UTC; the 9th at 05:00 UTC (23 hours on).
        let start8 = TimeBucket::Day.start_secs(d8, &tz);
        let start9 = TimeBucket::Day.start_secs(d8 + 1, &tz);
        assert_eq!(start8, t("2026-03-08T06:00:00Z") as f64 / 1e6);
        assert_eq!(start9 - start8, 23.0 * 3600.0);
    }

    #[test]
    fn weeks_start_on_monday_and_months_quarters_years_on_their_first_day() {
        let tz = TimeZone::UTC;
        let mut clock = LocalClock::new(&tz);
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
        let secs = |s: &str| t(s) as f64 / 1e6;
        // 2026-12-03 is a Thursday; its week starts Monday 2026-11-30.
        let w = TimeBucket::Week.key_of(&mut clock, t("2026-12-03T12:00:00Z"));
        assert_eq!(
            TimeBucket::Week.start_secs(w, &tz),
            secs("2026-11-30T00:00:00Z")
        );
        let m = TimeBucket::Month.key_of(&mut clock, t("2026-12-03T12:00:00Z"));
        assert_eq!(
            TimeBucket::Month.start_secs(m, &tz),
            secs("2026-12-01T00:00:00Z")
        );
        assert_eq!(
            TimeBucket::Month.start_secs(m + 1, &tz),
            secs("2027-01-01T00:00:00Z")
        );
        let q = TimeBucket::Quarter.key_of(&mut clock, t("2026-12-03T12:00:00Z"));
        assert_eq!(
            TimeBucket::Quarter.start_secs(q, &tz),
            secs("2026-10-01T00:00:00Z")
        );
        let y = TimeBucket::Year.key_of(&mut clock, t("2026-12-03T12:00:00Z"));
        assert_eq!(y, 2026);
        assert_eq!(
            TimeBucket::Year.start_secs(y, &tz),
            secs("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn auto_picks_from_span_and_density() {
        let day = MICROS_PER_DAY;
        assert_eq!(TimeBucket::auto(2 * day, 10_000), TimeBucket::Hour);
        assert_eq!(TimeBucket::auto(90 * day, 200_000), TimeBucket::Day);
        assert_eq!(TimeBucket::auto(3 * 365 * day, 1_000_000), TimeBucket::Week);
        // 40 monthly rows over 3 years: months, not weeks.
        assert_eq!(TimeBucket::auto(3 * 365 * day, 40), TimeBucket::Month);
        // Year 1 to year 9999: years, bounded.
        assert_eq!(TimeBucket::auto(9998 * 365 * day, 3), TimeBucket::Year);
    }
}
