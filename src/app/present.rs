//! Presentation mode, for a projector at a public meeting: full screen, a
//! larger type scale and thicker lines (the whole interface zoomed), a
//! high-contrast theme, no navigation or editing controls, a title bar with
//! a live clock, and a playlist that shows chosen views in turn every N
//! seconds — every dashboard in turn when it reaches the Dashboards view.
//! Keys: F11 enters and leaves, Esc leaves, space pauses and resumes, ←
//! and → step through the playlist.

use std::time::{Duration, Instant};

pub use super::state::Playlist;
use super::state::{TimeWindow, ViewId};

/// How much larger everything is drawn while presenting.
pub const ZOOM: f32 = 1.45;

/// The state of a presentation under way (not persisted).
#[derive(Debug)]
pub struct Presentation {
    pub paused: bool,
    /// The playlist entry shown.
    pub index: usize,
    pub shown_since: Instant,
    /// The view to return to on leaving.
    pub return_to: ViewId,
    /// The time window to return to on leaving (a presentation may start
    /// on a recent one, see [`recent_window`]).
    pub return_window: TimeWindow,
}

/// The window a projector shows when the operator chose all data: the
/// shortest of the last 7 or 30 days in which every open dataset still has
/// at least [`ENOUGH_ROWS`] rows (so lines do not pile up over 90 days, yet
/// monthly statistics are not cut to nothing), else all data. Each dataset
/// is given as (first, last timestamp in µs, rows), spread evenly.
pub fn recent_window(datasets: &[(i64, i64, usize)]) -> TimeWindow {
    const DAY: i64 = 86_400_000_000;
    if datasets.is_empty() {
        return TimeWindow::All;
    }
    let fits = |days: i64| {
        datasets.iter().all(|&(lo, hi, rows)| {
            let span = hi.saturating_sub(lo);
            span >= 2 * days * DAY && rows as f64 * (days * DAY) as f64 / span as f64 >= ENOUGH_ROWS
        })
    };
    if fits(7) {
        TimeWindow::LastWeek
    } else if fits(30) {
        TimeWindow::LastMonth
    } else {
        TimeWindow::All
    }
}

/// Rows a presented window should keep of each dataset.
const ENOUGH_ROWS: f64 = 50.0;

impl Presentation {
    /// Starts on `current` when it is in the playlist, else on its first view.
    pub fn start(playlist: &Playlist, current: ViewId) -> Self {
        Self {
            paused: false,
            index: playlist
                .views
                .iter()
                .position(|v| *v == current)
                .unwrap_or(0),
            shown_since: Instant::now(),
            return_to: current,
            return_window: TimeWindow::All,
        }
    }

    /// The view `delta` entries on (negative: back), wrapping around, among
    /// the playlist views that `available` accepts; `None` when none is.
    pub fn step(
        &mut self,
        playlist: &Playlist,
        delta: isize,
        available: impl Fn(ViewId) -> bool,
    ) -> Option<ViewId> {
        let n = playlist.views.len();
        if n == 0 {
            return None;
        }
        let mut i = self.index;
        for _ in 0..n {
            i = (i as isize + delta).rem_euclid(n as isize) as usize;
            if let Some(&v) = playlist.views.get(i)
                && available(v)
            {
                self.index = i;
                self.shown_since = Instant::now();
                return Some(v);
            }
        }
        None
    }

    /// Within the Dashboards view, each dashboard is a slide: the
    /// dashboard `delta` on from `selected` among `count`, when there is
    /// one (the playlist's clock starts again), else `None` (the playlist
    /// moves to its next view).
    pub fn step_dashboard(&mut self, selected: usize, count: usize, delta: isize) -> Option<usize> {
        let next = selected as isize + delta;
        if (0..count as isize).contains(&next) {
            self.shown_since = Instant::now();
            Some(next as usize)
        } else {
            None
        }
    }

    /// Time left on the current view (zero when it is time to move on);
    /// `None` when the playlist is paused or does not cycle.
    pub fn remaining(&self, playlist: &Playlist) -> Option<Duration> {
        if self.paused || !playlist.cycle || playlist.views.len() < 2 {
            return None;
        }
        let each = Duration::from_secs(u64::from(playlist.seconds.max(3)));
        Some(each.saturating_sub(self.shown_since.elapsed()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_projector_starts_on_a_recent_window_that_leaves_no_dataset_empty() {
        const DAY: i64 = 86_400_000_000;
        // 100 sensors hourly for 60 days: the last 7 days.
        let hourly = (0, 60 * DAY, 100 * 60 * 24);
        assert_eq!(recent_window(&[hourly]), TimeWindow::LastWeek);
        // Daily weather at two stations for two years: the last 30 days;
        // at one station, all of it (a single line does not pile up).
        let daily = (0, 730 * DAY, 2 * 730);
        assert_eq!(recent_window(&[daily]), TimeWindow::LastMonth);
        assert_eq!(recent_window(&[hourly, daily]), TimeWindow::LastMonth);
        assert_eq!(recent_window(&[(0, 730 * DAY, 730)]), TimeWindow::All);
        // An incident list of 2,000 over 90 days: the last week.
        assert_eq!(recent_window(&[(0, 90 * DAY, 2_000)]), TimeWindow::LastWeek);
        // Monthly statistics: all of them, whatever else is open.
        let monthly = (0, 5_800 * DAY, 192);
        assert_eq!(recent_window(&[hourly, monthly]), TimeWindow::All);
        assert_eq!(recent_window(&[]), TimeWindow::All);
    }

    #[test]
    fn stepping_wraps_and_skips_views_without_data() {
        let playlist = Playlist::default();
        let mut p = Presentation::start(&playlist, ViewId::Traffic);
        assert_eq!(p.index, 1);
        // Safety has no data here: skipped.
        let no_safety = |v: ViewId| v != ViewId::Safety;
        assert_eq!(p.step(&playlist, 1, no_safety), Some(ViewId::Environment));
        assert_eq!(p.step(&playlist, 1, no_safety), Some(ViewId::Dashboards));
        assert_eq!(p.step(&playlist, 1, no_safety), Some(ViewId::Overview));
        assert_eq!(p.step(&playlist, -1, no_safety), Some(ViewId::Dashboards));
        assert_eq!(p.step(&playlist, 1, |_| false), None);
        let empty = Playlist {
            views: Vec::new(),
            ..Playlist::default()
        };
        assert_eq!(p.step(&empty, 1, |_| true), None);
    }

    #[test]
    fn each_dashboard_is_a_slide_then_the_playlist_moves_on() {
        let playlist = Playlist::default();
        let mut p = Presentation::start(&playlist, ViewId::Dashboards);
        // Three dashboards, the first shown: forward to the 2nd and 3rd,
        // then off the end (the next view takes over).
        assert_eq!(p.step_dashboard(0, 3, 1), Some(1));
        assert_eq!(p.step_dashboard(1, 3, 1), Some(2));
        assert_eq!(p.step_dashboard(2, 3, 1), None);
        assert_eq!(p.step_dashboard(0, 3, -1), None);
        assert_eq!(p.step_dashboard(2, 3, -1), Some(1));
        assert_eq!(p.step_dashboard(0, 0, 1), None);
    }

    #[test]
    fn a_paused_or_single_view_playlist_does_not_move_on() {
        let playlist = Playlist::default();
        let mut p = Presentation::start(&playlist, ViewId::Data);
        assert_eq!(
            p.index, 0,
            "a view outside the playlist starts it from the top"
        );
        assert!(p.remaining(&playlist).is_some());
        p.paused = true;
        assert!(p.remaining(&playlist).is_none());
        let one = Playlist {
            views: vec![ViewId::Overview],
            ..Playlist::default()
        };
        p.paused = false;
        assert!(p.remaining(&one).is_none());
    }
}
