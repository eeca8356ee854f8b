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

#[cfg(test)]
mod tests {
    use super::*;

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
