//! Time playback of a map panel: the map shows one hour or one day of the
//! data at a time, stepping through the dataset's whole time range with
//! play and pause, or moved by hand with a slider — incidents or sensor
//! readings as the day goes by. While playback runs, the panel's window is
//! its own, not the top bar's; Stop returns to the top bar's.

use std::time::{Duration, Instant};

use jiff::tz::TimeZone;

use super::named_button;
use crate::app::i18n::tr;
use crate::data::timeseries::{MICROS_PER_DAY, MICROS_PER_HOUR, TimeRange};
use crate::trf;

/// How long each step shows while playing.
const STEP_SHOWN: Duration = Duration::from_millis(900);

/// Where a playback is and how it moves.
#[derive(Clone, Copy, Debug)]
pub struct Playback {
    /// The start of the shown step, µs UTC.
    pub at: i64,
    pub step: i64,
    pub playing: bool,
    since: Instant,
    /// The dataset's first and last timestamps.
    extent: (i64, i64),
}

impl Playback {
    /// Starts at the beginning of `extent` — the start of its first day in
    /// the dataset's zone, or of its first hour — by day (by hour for data
    /// that spans less than three days).
    pub fn start(extent: (i64, i64), tz: &TimeZone) -> Self {
        let step = if extent.1 - extent.0 < 3 * MICROS_PER_DAY {
            MICROS_PER_HOUR
        } else {
            MICROS_PER_DAY
        };
        let at = if step == MICROS_PER_DAY {
            crate::data::timeseries::LocalClock::new(tz).day_start(extent.0)
        } else {
            extent.0 - extent.0.rem_euclid(MICROS_PER_HOUR)
        };
        Self {
            at,
            step,
            playing: true,
            since: Instant::now(),
            extent,
        }
    }

    /// The window shown: one step from `at`.
    pub fn window(&self) -> TimeRange {
        TimeRange {
            start: Some(self.at),
            end: Some(self.at + self.step - 1),
        }
    }

    /// Moves one step on (back to the start after the end) when playing and
    /// the step has shown long enough; `ready` is false while the shown
    /// step is still being computed. Returns how long until the next step.
    pub fn advance(&mut self, ready: bool) -> Option<Duration> {
        if !self.playing {
            return None;
        }
        let shown = self.since.elapsed();
        if shown < STEP_SHOWN || !ready {
            return Some(
                STEP_SHOWN
                    .saturating_sub(shown)
                    .max(Duration::from_millis(50)),
            );
        }
        self.at += self.step;
        if self.at > self.extent.1 {
            self.at = self.extent.0;
        }
        self.since = Instant::now();
        Some(STEP_SHOWN)
    }
}

fn local(t: i64, tz: &TimeZone, step: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_microsecond(t) else {
        return String::new();
    };
    let pattern = if step >= MICROS_PER_DAY {
        "%a %Y-%m-%d"
    } else {
        "%a %Y-%m-%d %H:00"
    };
    ts.to_zoned(tz.clone()).strftime(pattern).to_string()
}

/// The playback row under a map: Play/Pause, the slider, by hour or by day,
/// the shown time and Stop; or a button that starts it. `extent` is the
/// dataset's time range (`None`: no time column, nothing to play).
pub fn playback_ui(
    ui: &mut egui::Ui,
    playback: &mut Option<Playback>,
    extent: Option<(i64, i64)>,
    title: &str,
    tz: &TimeZone,
    ready: bool,
) {
    let Some(extent) = extent else {
        return;
    };
    ui.horizontal(|ui| {
        let Some(p) = playback else {
            if named_button(ui, tr("Play over time"), &trf!("Play {} over time", title))
                .on_hover_text(tr(
                    "Show one hour or day at a time, stepping through the data",
                ))
                .clicked()
            {
                *playback = Some(Playback::start(extent, tz));
            }
            return;
        };
        let (text, name) = if p.playing {
            (tr("Pause"), trf!("Pause {}", title))
        } else {
            (tr("Play"), trf!("Play {}", title))
        };
        if named_button(ui, text, &name).clicked() {
            p.playing = !p.playing;
            p.since = Instant::now();
        }
        let mut at = p.at as f64;
        let slider = ui.add(
            egui::Slider::new(&mut at, extent.0 as f64..=extent.1 as f64)
                .show_value(false)
                .step_by(p.step as f64),
        );
        crate::app::widgets::name_for_screen_readers(
            &slider,
            egui::Role::Slider,
            &trf!("Time shown on {}", title),
        );
        if slider.changed() {
            p.at = at as i64;
            p.playing = false;
        }
        let by_day = p.step >= MICROS_PER_DAY;
        if ui.selectable_label(!by_day, tr("by hour")).clicked() {
            p.step = MICROS_PER_HOUR;
        }
        if ui.selectable_label(by_day, tr("by day")).clicked() {
            // Days start at a day boundary of the dataset's zone.
            p.step = MICROS_PER_DAY;
        }
        ui.label(local(p.at, tz, p.step));
        if named_button(ui, tr("Stop"), &trf!("Stop playing {}", title)).clicked() {
            *playback = None;
            return;
        }
        if let Some(next) = p.advance(ready) {
            ui.ctx().request_repaint_after(next);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playback_steps_through_the_range_and_wraps_around() {
        let day = MICROS_PER_DAY;
        let utc = TimeZone::UTC;
        let mut p = Playback::start((0, 10 * day), &utc);
        assert_eq!(p.step, day);
        assert_eq!(p.window().start, Some(0));
        assert_eq!(p.window().end, Some(day - 1));
        // Not yet: the step has not shown long enough.
        assert!(p.advance(true).is_some());
        assert_eq!(p.at, 0);
        p.since = Instant::now() - STEP_SHOWN;
        // Still computing: it waits.
        p.advance(false);
        assert_eq!(p.at, 0);
        p.advance(true);
        assert_eq!(p.at, day);
        p.at = 10 * day;
        p.since = Instant::now() - STEP_SHOWN;
        p.advance(true);
        assert_eq!(p.at, 0, "after the end, the start again");
        p.playing = false;
        assert_eq!(p.advance(true), None, "paused: no repaint asked");
        // Two days of data play by the hour.
        assert_eq!(Playback::start((0, 2 * day), &utc).step, MICROS_PER_HOUR);
        // Days start at local midnight: 05:00 UTC is midnight in Chicago
        // in summer (UTC−5).
        let chicago = TimeZone::get("America/Chicago").unwrap();
        let noon = 1_717_243_200_000_000; // 2024-06-01T12:00:00Z
        let p = Playback::start((noon, noon + 5 * day), &chicago);
        assert_eq!(p.at, noon - 7 * MICROS_PER_HOUR);
    }
}
