//! Time axes for plots whose x is seconds since the epoch: grid marks on
//! round local times (hours, days, weeks) and labels in the dataset's zone.

use std::ops::RangeInclusive;

use egui_plot::{GridInput, GridMark};
use jiff::tz::TimeZone;

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;

/// Formats a UTC instant (seconds) in a zone with a strftime pattern.
///
/// The pattern is written for English; in Chinese it becomes the
/// year-month-day form with 周X weekdays (`i18n::format_pattern`).
pub fn format_instant(secs: f64, tz: &TimeZone, pattern: &str) -> String {
    let micros = (secs * 1e6) as i64;
    jiff::Timestamp::from_microsecond(micros)
        .map(|ts| {
            let zoned = ts.to_zoned(tz.clone());
            let pattern =
                crate::app::i18n::format_pattern(pattern, zoned.weekday().to_monday_one_offset());
            zoned.strftime(&pattern).to_string()
        })
        .unwrap_or_default()
}

/// A time axis in one zone.
#[derive(Clone)]
pub struct TimeAxis {
    pub tz: TimeZone,
}

impl TimeAxis {
    pub fn new(tz: TimeZone) -> Self {
        Self { tz }
    }

    fn offset_secs(&self, secs: f64) -> f64 {
        jiff::Timestamp::from_second(secs as i64)
            .map_or(0.0, |ts| f64::from(self.tz.to_offset(ts).seconds()))
    }

    /// Grid marks at round local times, a few per 100 px.
    pub fn marks(&self, input: GridInput) -> Vec<GridMark> {
        let (lo, hi) = input.bounds;
        let span = (hi - lo).max(1.0);
        if span > 120.0 * DAY {
            return self.month_marks(lo, hi);
        }
        const STEPS: [f64; 12] = [
            60.0,
            300.0,
            900.0,
            HOUR,
            3.0 * HOUR,
            6.0 * HOUR,
            12.0 * HOUR,
            DAY,
            2.0 * DAY,
            7.0 * DAY,
            14.0 * DAY,
            28.0 * DAY,
        ];
        // Aim for about 8 labelled marks.
        let step = STEPS
            .iter()
            .copied()
            .find(|s| span / s <= 8.0)
            .unwrap_or(56.0 * DAY);
        let fine = STEPS
            .iter()
            .copied()
            .rev()
            .find(|s| *s < step)
            .unwrap_or(step / 4.0);
        let off = self.offset_secs(lo);
        let mut out = Vec::new();
        for (s, is_major) in [(fine, false), (step, true)] {
            if span / s > 400.0 {
                continue;
            }
            // Weeks start on Monday: 1970-01-05 was a Monday.
            let base = if s >= 7.0 * DAY { 4.0 * DAY } else { 0.0 };
            let mut t = ((lo + off - base) / s).floor() * s + base - off;
            while t <= hi {
                if t >= lo {
                    out.push(GridMark {
                        value: t,
                        step_size: if is_major { step } else { fine },
                    });
                }
                t += s;
            }
        }
        out
    }

    /// Marks on the first of every k-th month in the zone (k = 1, 3, 6,
    /// 12, 24, 60, … months), about eight of them, for spans of months and
    /// years.
    fn month_marks(&self, lo: f64, hi: f64) -> Vec<GridMark> {
        let civil = |secs: f64| {
            jiff::Timestamp::from_second(secs as i64)
                .ok()
                .map(|t| t.to_zoned(self.tz.clone()))
        };
        let (Some(a), Some(b)) = (civil(lo), civil(hi)) else {
            return Vec::new();
        };
        let month_index = |z: &jiff::Zoned| i64::from(z.year()) * 12 + i64::from(z.month()) - 1;
        let (first, last) = (month_index(&a), month_index(&b) + 1);
        let months = (last - first).max(1);
        let k = [1, 3, 6, 12, 24, 60, 120, 240, 600]
            .into_iter()
            .find(|k| months / k <= 8)
            .unwrap_or(1200);
        let mut out = Vec::new();
        let mut m = first.div_euclid(k) * k;
        while m <= last {
            let (year, month) = (m.div_euclid(12), m.rem_euclid(12) + 1);
            let start = i16::try_from(year)
                .ok()
                .and_then(|y| {
                    jiff::civil::date(y, month as i8, 1)
                        .to_zoned(self.tz.clone())
                        .ok()
                })
                .map(|z| z.timestamp().as_second() as f64);
            if let Some(t) = start.filter(|t| (lo..=hi).contains(t)) {
                out.push(GridMark {
                    value: t,
                    step_size: k as f64 * 30.0 * DAY,
                });
            }
            m += k;
        }
        out
    }

    /// The label of a grid mark.
    pub fn label(&self, mark: GridMark, _range: &RangeInclusive<f64>) -> String {
        if mark.step_size >= 360.0 * DAY {
            return format_instant(mark.value, &self.tz, "%Y");
        }
        if mark.step_size >= 28.0 * DAY {
            return format_instant(mark.value, &self.tz, "%b %Y");
        }
        let pattern = if mark.step_size >= DAY {
            "%b %d"
        } else {
            "%b %d %H:%M"
        };
        format_instant(mark.value, &self.tz, pattern)
    }

    /// The hover label: series name, local time and value.
    pub fn hover(&self, name: &str, x: f64, y: f64, unit: &str) -> String {
        let when = format_instant(x, &self.tz, "%a %b %d %Y %H:%M %Z");
        if name.is_empty() {
            format!("{when}\n{y:.1} {unit}")
        } else {
            format!("{name}\n{when}\n{y:.1} {unit}")
        }
    }

    /// Applies axis, grid and hover formatting to a plot.
    pub fn apply<'a>(&self, plot: egui_plot::Plot<'a>, unit: &'a str) -> egui_plot::Plot<'a> {
        let a = self.clone();
        let b = self.clone();
        let c = self.clone();
        plot.x_grid_spacer(move |input| a.marks(input))
            .x_axis_formatter(move |mark, range| b.label(mark, range))
            .label_formatter(move |pos| {
                Some(match pos {
                    egui_plot::HoverPosition::NearDataPoint {
                        plot_name,
                        position,
                        ..
                    } => c.hover(plot_name, position.x, position.y, unit),
                    egui_plot::HoverPosition::Elsewhere { position } => {
                        c.hover("", position.x, position.y, unit)
                    }
                })
            })
    }
}
