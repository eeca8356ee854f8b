//! Plot decimation: reduce a long series to about two points per pixel
//! column while keeping every spike (min–max per bucket).
//!
//! A 1,000,000-point series becomes a few thousand points that look the same
//! on screen, so plots stay interactive.

/// Keeps the first, minimum, maximum and last point of each of `buckets`
/// equal-width x ranges, in x order. `points` must be sorted by x.
/// Series shorter than `4 * buckets` are returned as they are.
pub fn min_max(points: &[[f64; 2]], buckets: usize) -> Vec<[f64; 2]> {
    let buckets = buckets.max(1);
    if points.len() <= 4 * buckets {
        return points.to_vec();
    }
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let (x0, x1) = (first[0], last[0]);
    let width = (x1 - x0) / buckets as f64;
    if width.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(4 * buckets);
    let mut start = 0;
    while start < points.len() {
        let b = (((points[start][0] - x0) / width) as usize).min(buckets - 1);
        let bucket_end = x0 + width * (b + 1) as f64;
        let mut end = start;
        let (mut lo, mut hi) = (start, start);
        while end < points.len() && (points[end][0] < bucket_end || b == buckets - 1) {
            let y = points[end][1];
            if y < points[lo][1] || points[lo][1].is_nan() {
                lo = end;
            }
            if y > points[hi][1] || points[hi][1].is_nan() {
                hi = end;
            }
            end += 1;
        }
        let mut picks = [start, lo, hi, end - 1];
        picks.sort_unstable();
        let mut prev = usize::MAX;
        for i in picks {
            if i != prev {
                out.push(points[i]);
                prev = i;
            }
        }
        start = end;
    }
    out
}

/// A step between consecutive points this many times the series' usual
/// step is a gap (a missing hour in hourly data: twice the usual step).
pub const GAP_STEP_FACTOR: f64 = 1.5;

/// The usual step between consecutive x values: the median of (up to
/// 4,096 evenly sampled) positive steps.
fn usual_step(points: &[[f64; 2]]) -> Option<f64> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let stride = (n / 4096).max(1);
    let mut steps: Vec<f64> = (1..n)
        .step_by(stride)
        .filter_map(|i| {
            let d = points.get(i)?[0] - points.get(i - 1)?[0];
            (d > 0.0 && d.is_finite()).then_some(d)
        })
        .collect();
    if steps.is_empty() {
        return None;
    }
    let mid = steps.len() / 2;
    steps.select_nth_unstable_by(mid, f64::total_cmp);
    steps.get(mid).copied()
}

/// Index ranges of the runs of `points` (sorted by x) between gaps: a
/// point whose y is not finite, or a step over [`GAP_STEP_FACTOR`] times
/// the usual one, ends a run. The gaps themselves are not in any run.
pub fn runs(points: &[[f64; 2]]) -> Vec<std::ops::Range<usize>> {
    let finite: Vec<[f64; 2]> = points
        .iter()
        .copied()
        .filter(|p| p[1].is_finite())
        .collect();
    let limit = usual_step(&finite).map(|s| s * GAP_STEP_FACTOR);
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut prev_x = f64::NAN;
    for (i, p) in points.iter().enumerate() {
        if !p[1].is_finite() {
            if let Some(s) = start.take() {
                out.push(s..i);
            }
            continue;
        }
        if let (Some(s), Some(limit)) = (start, limit)
            && p[0] - prev_x > limit
        {
            out.push(s..i);
            start = Some(i);
        }
        start.get_or_insert(i);
        prev_x = p[0];
    }
    if let Some(s) = start {
        out.push(s..points.len());
    }
    out
}

/// [`min_max`] that keeps gaps: each run between gaps (see [`runs`]) is
/// decimated on its own, with buckets in proportion to its x span, and the
/// runs are joined by a point whose y is NaN, which the plot helpers draw
/// as a break in the line.
pub fn min_max_with_gaps(points: &[[f64; 2]], buckets: usize) -> Vec<[f64; 2]> {
    let runs = runs(points);
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let span = (last[0] - first[0]).max(f64::MIN_POSITIVE);
    let mut out = Vec::new();
    for (k, r) in runs.into_iter().enumerate() {
        let Some(run) = points.get(r) else {
            continue;
        };
        if k > 0
            && let (Some(prev), Some(next)) = (out.last().copied(), run.first())
        {
            let prev: [f64; 2] = prev;
            out.push([(prev[0] + next[0]) / 2.0, f64::NAN]);
        }
        let run_span = run.last().map_or(0.0, |p| p[0]) - run.first().map_or(0.0, |p| p[0]);
        let share = ((buckets as f64) * run_span / span).ceil() as usize;
        out.extend(min_max(run, share.max(1)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_hour_and_a_missing_value_break_the_line() {
        // Hourly, with hour 5 absent and hour 8 NaN.
        let mut pts: Vec<[f64; 2]> = (0..12)
            .filter(|&h| h != 5)
            .map(|h| [h as f64 * 3600.0, h as f64])
            .collect();
        if let Some(p) = pts.iter_mut().find(|p| p[0] == 8.0 * 3600.0) {
            p[1] = f64::NAN;
        }
        let r = runs(&pts);
        // 0..=4 | 6,7 | 9..=11
        let lens: Vec<usize> = r.iter().map(|r| r.len()).collect();
        assert_eq!(lens, vec![5, 2, 3]);
        let joined = min_max_with_gaps(&pts, 100);
        assert_eq!(joined.iter().filter(|p| p[1].is_nan()).count(), 2);
        assert_eq!(joined.iter().filter(|p| p[1].is_finite()).count(), 10);
    }

    #[test]
    fn daily_data_across_a_daylight_saving_change_has_no_gap() {
        // 23- and 25-hour days are steps of 0.96 and 1.04 days.
        let mut x = 0.0;
        let mut pts = Vec::new();
        for i in 0..30 {
            pts.push([x, i as f64]);
            x += match i {
                10 => 23.0,
                20 => 25.0,
                _ => 24.0,
            } * 3600.0;
        }
        assert_eq!(runs(&pts).len(), 1);
    }

    #[test]
    fn short_series_is_unchanged() {
        let pts: Vec<[f64; 2]> = (0..10).map(|i| [i as f64, i as f64]).collect();
        assert_eq!(min_max(&pts, 100), pts);
    }

    #[test]
    fn million_points_shrink_and_keep_spikes() {
        let mut pts: Vec<[f64; 2]> = (0..1_000_000)
            .map(|i| [i as f64, (i % 100) as f64])
            .collect();
        pts[123_456][1] = 10_000.0;
        pts[654_321][1] = -10_000.0;
        let out = min_max(&pts, 1000);
        assert!(out.len() <= 4000, "{}", out.len());
        assert!(out.iter().any(|p| p[1] == 10_000.0));
        assert!(out.iter().any(|p| p[1] == -10_000.0));
        assert!(out.windows(2).all(|w| w[0][0] <= w[1][0]), "x order kept");
        assert_eq!(out.first(), pts.first());
        assert_eq!(out.last(), pts.last());
    }
}
