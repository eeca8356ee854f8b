//! The demo calendar: one slot per UTC hour over the demo's local days,
//! with the local hour, weekday and kind of day (workday, weekend,
//! holiday).

use jiff::SignedDuration;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;

use crate::data::timeseries::MICROS_PER_HOUR;

use super::{DEMO_DAYS, START};

/// What kind of day a local date is for traffic and people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DayKind {
    Workday,
    Saturday,
    Sunday,
    /// A public holiday, which behaves like a Sunday.
    Holiday,
}

impl DayKind {
    fn of(date: Date) -> Self {
        let monday = date.weekday() == Weekday::Monday;
        // Labor Day: first Monday of September. Indigenous Peoples' Day:
        // second Monday of October.
        let labor_day = date.month() == 9 && monday && date.day() <= 7;
        let peoples_day = date.month() == 10 && monday && (8..=14).contains(&date.day());
        if labor_day || peoples_day {
            return Self::Holiday;
        }
        match date.weekday() {
            Weekday::Saturday => Self::Saturday,
            Weekday::Sunday => Self::Sunday,
            _ => Self::Workday,
        }
    }

    pub(super) fn is_workday(self) -> bool {
        self == Self::Workday
    }
}

/// One UTC hour of the demo period with its local civil time.
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
    pub(super) utc_micros: i64,
    /// Local hour of day, 0..=23.
    pub(super) hour: usize,
    /// Local days since the first day, 0..DEMO_DAYS.
    pub(super) day: usize,
    pub(super) weekday: Weekday,
    pub(super) kind: DayKind,
    /// The zone's UTC offset at this instant (-5 in summer, -6 in winter).
    pub(super) utc_offset_hours: f64,
}

impl Slot {
    /// Days since the start as a continuous number (noon of day 3 is 3.5).
    pub(super) fn day_fraction(&self) -> f64 {
        (self.utc_micros - START.as_microsecond()) as f64 / (24 * MICROS_PER_HOUR) as f64
    }

    /// Friday or Saturday evening, or the small hours after them.
    pub(super) fn is_weekend_night(&self) -> bool {
        let late_evening = self.hour >= 20;
        let small_hours = self.hour < 4;
        (late_evening && matches!(self.weekday, Weekday::Friday | Weekday::Saturday))
            || (small_hours && matches!(self.weekday, Weekday::Saturday | Weekday::Sunday))
    }
}

/// Every UTC hour from [`START`] until local midnight [`DEMO_DAYS`] days later.
pub(super) fn calendar(tz: &TimeZone) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(DEMO_DAYS * 24 + 1);
    let mut day = 0;
    let mut current_date = None;
    for n in 0_i64.. {
        let instant = START + SignedDuration::from_hours(n);
        let local = tz.to_datetime(instant);
        let date = local.date();
        if current_date.is_some_and(|d| d != date) {
            day += 1;
        }
        current_date = Some(date);
        if day >= DEMO_DAYS {
            break;
        }
        slots.push(Slot {
            utc_micros: instant.as_microsecond(),
            hour: usize::try_from(local.hour()).unwrap_or(0),
            day,
            weekday: date.weekday(),
            kind: DayKind::of(date),
            utc_offset_hours: f64::from(tz.to_offset(instant).seconds()) / 3600.0,
        });
    }
    slots
}
