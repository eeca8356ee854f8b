//! Evaluation metrics and baselines for predictive models: binary and
//! multi-class classification scores, regression errors, the trivial
//! baselines a model has to beat, and [`Metrics`], the named scores a trained
//! model reports next to its baseline.
//!
//! Everything works on plain slices and is total: empty inputs, mismatched
//! lengths (the shorter length wins), out-of-range labels and NaN never panic
//! and never produce NaN. Each function says what it returns in those cases.
//! Because nothing here can fail, the module has no error type. It imports
//! only `std` and `serde`; it must not import candle, egui or any other part
//! of the crate, so that models, the CLI and the views can all share it.

use std::collections::BTreeMap;

/// Probabilities are clipped to `[PROB_EPS, 1 - PROB_EPS]` before taking
/// logarithms, so one confident mistake costs at most `-ln(1e-15)` ≈ 34.54.
const PROB_EPS: f64 = 1e-15;

/// [`mape`] skips targets with `|y|` below this: their relative error is
/// undefined or meaninglessly large.
const MAPE_MIN_ABS_Y: f64 = 1e-9;

/// Negative log of the probability a model gave to the true outcome, after
/// clipping. A NaN probability counts as the worst clipped case: a model that
/// emits NaN must not look better than one that commits to an answer.
fn surprise(prob_of_truth: f64) -> f64 {
    let p = if prob_of_truth.is_nan() {
        PROB_EPS
    } else {
        prob_of_truth.clamp(PROB_EPS, 1.0 - PROB_EPS)
    };
    -p.ln()
}

/// `sum / count`, or 0.0 when there is nothing to average.
fn mean_of(sum: f64, count: usize) -> f64 {
    if count == 0 { 0.0 } else { sum / count as f64 }
}

// ---------------------------------------------------------------------------
// Binary classification

/// Fraction of rows where `p >= threshold` agrees with `y` (any non-zero `y`
/// is the positive class). A NaN probability is never correct. Empty input
/// gives 0.0.
pub fn accuracy_binary(y: &[u8], p: &[f64], threshold: f64) -> f64 {
    let n = y.len().min(p.len());
    let correct = y
        .iter()
        .zip(p)
        .filter(|&(&truth, &prob)| !prob.is_nan() && (prob >= threshold) == (truth != 0))
        .count();
    mean_of(correct as f64, n)
}

/// Mean negative log-likelihood of the truth, with `p` clipped to
/// `[1e-15, 1 - 1e-15]`; a NaN `p` costs the maximum (≈ 34.54). Empty input
/// gives 0.0.
pub fn log_loss_binary(y: &[u8], p: &[f64]) -> f64 {
    let n = y.len().min(p.len());
    let total: f64 = y
        .iter()
        .zip(p)
        .map(|(&truth, &prob)| surprise(if truth != 0 { prob } else { 1.0 - prob }))
        .sum();
    mean_of(total, n)
}

/// How many positives and negatives share one distinct score.
#[derive(Clone, Copy, Debug, Default)]
struct ScoreGroup {
    positives: usize,
    negatives: usize,
}

/// Rows grouped by distinct score, lowest score first, after one sort. Rows
/// with a NaN score are left out: they cannot be ranked.
fn score_groups(y: &[u8], score: &[f64]) -> Vec<ScoreGroup> {
    let mut rows: Vec<(f64, bool)> = y
        .iter()
        .zip(score)
        .filter(|(_, s)| !s.is_nan())
        .map(|(&truth, &s)| (s, truth != 0))
        .collect();
    rows.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // `total_cmp` puts -0.0 right before 0.0, so grouping by `==` still
    // merges them into one threshold.
    rows.chunk_by(|a, b| a.0 == b.0)
        .map(|run| {
            let positives = run.iter().filter(|(_, positive)| *positive).count();
            ScoreGroup {
                positives,
                negatives: run.len() - positives,
            }
        })
        .collect()
}

/// Total positives and negatives over all groups.
fn class_totals(groups: &[ScoreGroup]) -> (usize, usize) {
    groups.iter().fold((0, 0), |(pos, neg), g| {
        (pos + g.positives, neg + g.negatives)
    })
}

/// Area under the ROC curve: the probability that a random positive scores
/// higher than a random negative, ties counting one half (the Mann–Whitney U
/// statistic with average ranks, divided by `n_pos * n_neg`). Rows with a NaN
/// score are skipped. `None` when the remaining rows hold only one class (or
/// none). One sort: O(n log n).
pub fn roc_auc(y: &[u8], score: &[f64]) -> Option<f64> {
    let groups = score_groups(y, score);
    let (n_pos, n_neg) = class_totals(&groups);
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    // With average ranks, U = R_pos - n_pos(n_pos+1)/2 works out to: each
    // positive earns 1 per negative scored strictly lower and 1/2 per negative
    // tied with it. Summing that per group avoids subtracting two large sums.
    let mut negatives_below = 0usize;
    let mut u = 0.0;
    for g in &groups {
        u += g.positives as f64 * (negatives_below as f64 + 0.5 * g.negatives as f64);
        negatives_below += g.negatives;
    }
    Some(u / (n_pos as f64 * n_neg as f64))
}

/// ROC curve as `[false positive rate, true positive rate]` points, from
/// `[0, 0]` to `[1, 1]`, one point per distinct score used as the threshold
/// (highest first), then thinned evenly to at most `max_points`, always
/// keeping the first and last point. Rows with a NaN score are skipped.
///
/// Empty when the rows hold only one class (a rate would divide by zero) or
/// when `max_points` is 0; `max_points == 1` keeps only `[0, 0]`.
pub fn roc_curve(y: &[u8], score: &[f64], max_points: usize) -> Vec<[f64; 2]> {
    let groups = score_groups(y, score);
    let (n_pos, n_neg) = class_totals(&groups);
    if n_pos == 0 || n_neg == 0 {
        return Vec::new();
    }
    let mut points = Vec::with_capacity(groups.len() + 1);
    points.push([0.0, 0.0]);
    let (mut true_pos, mut false_pos) = (0usize, 0usize);
    for g in groups.iter().rev() {
        true_pos += g.positives;
        false_pos += g.negatives;
        points.push([
            false_pos as f64 / n_neg as f64,
            true_pos as f64 / n_pos as f64,
        ]);
    }
    thin_evenly(points, max_points)
}

/// Keeps at most `max_points` of `points`, evenly spaced by index, including
/// the first and the last (when `max_points >= 2`).
fn thin_evenly<T: Copy>(points: Vec<T>, max_points: usize) -> Vec<T> {
    if points.len() <= max_points {
        return points;
    }
    if max_points < 2 {
        return points.into_iter().take(max_points).collect();
    }
    // Index j of max_points goes to round(j * last / steps); the spacing is
    // at least 1 because steps < last, so no point is taken twice.
    let last = (points.len() - 1) as u128;
    let steps = (max_points - 1) as u128;
    (0..=steps)
        .filter_map(|j| {
            let index = usize::try_from((j * last + steps / 2) / steps).ok()?;
            points.get(index).copied()
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Multi-class classification

/// Fraction of rows where `predicted` equals `labels`. Empty input gives 0.0.
pub fn accuracy(labels: &[usize], predicted: &[usize]) -> f64 {
    let n = labels.len().min(predicted.len());
    let correct = labels
        .iter()
        .zip(predicted)
        .filter(|(truth, guess)| truth == guess)
        .count();
    mean_of(correct as f64, n)
}

/// Mean recall over the classes that occur in `labels`, so that each class
/// weighs the same however rare it is. Rows whose label is not below `k` are
/// skipped; a prediction not below `k` is simply wrong. 0.0 when no row is
/// left.
pub fn balanced_accuracy(labels: &[usize], predicted: &[usize], k: usize) -> f64 {
    // Per class: (rows with this label, of which predicted correctly).
    let mut per_class = vec![(0usize, 0usize); k];
    for (&truth, &guess) in labels.iter().zip(predicted) {
        let Some((support, hits)) = per_class.get_mut(truth) else {
            continue;
        };
        *support += 1;
        if guess == truth {
            *hits += 1;
        }
    }
    let (recall_sum, present) = per_class
        .iter()
        .filter(|(support, _)| *support > 0)
        .fold((0.0, 0usize), |(sum, count), &(support, hits)| {
            (sum + hits as f64 / support as f64, count + 1)
        });
    mean_of(recall_sum, present)
}

/// Mean negative log of the probability each row gave its true class, with
/// probabilities clipped to `[1e-15, 1 - 1e-15]` and NaN costing the maximum
/// (≈ 34.54). `probs` is row-major with `k` columns; a trailing partial row is
/// ignored, and rows whose label is not below `k` are skipped. 0.0 when no
/// row is left or `k == 0`.
pub fn log_loss(labels: &[usize], probs: &[f64], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let (total, rows) = labels
        .iter()
        .zip(probs.chunks_exact(k))
        .filter_map(|(&truth, row)| row.get(truth).copied())
        .fold((0.0, 0usize), |(total, rows), prob| {
            (total + surprise(prob), rows + 1)
        });
    mean_of(total, rows)
}

/// `k × k` counts indexed `[truth][predicted]`. Rows where either class is
/// not below `k` are skipped.
pub fn confusion_matrix(labels: &[usize], predicted: &[usize], k: usize) -> Vec<Vec<u64>> {
    let mut matrix = vec![vec![0u64; k]; k];
    for (&truth, &guess) in labels.iter().zip(predicted) {
        if let Some(cell) = matrix.get_mut(truth).and_then(|row| row.get_mut(guess)) {
            *cell += 1;
        }
    }
    matrix
}

/// Index of the largest value in each row of a row-major `n × k` matrix.
/// Ties go to the smallest index, NaN entries are ignored, and a row with
/// nothing but NaN gives 0. A trailing partial row is ignored; `k == 0` gives
/// no rows.
pub fn argmax_rows(probs: &[f64], k: usize) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    probs
        .chunks_exact(k)
        .map(|row| {
            row.iter()
                .enumerate()
                .filter(|(_, v)| !v.is_nan())
                .fold(None, |best: Option<(usize, f64)>, (i, &v)| match best {
                    Some((_, best_v)) if best_v >= v => best,
                    _ => Some((i, v)),
                })
                .map_or(0, |(i, _)| i)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Regression

/// Pairs where both values are finite. NaN marks a missing value and is
/// skipped as such; infinities are skipped too, since one would turn every
/// sum below into ∞ or NaN.
fn finite_pairs(y: &[f64], yhat: &[f64]) -> impl Iterator<Item = (f64, f64)> {
    y.iter()
        .zip(yhat)
        .map(|(&a, &b)| (a, b))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
}

/// Mean absolute error over the finite pairs; 0.0 when there are none.
pub fn mae(y: &[f64], yhat: &[f64]) -> f64 {
    let (sum, n) = finite_pairs(y, yhat).fold((0.0, 0usize), |(sum, n), (a, b)| {
        (sum + (a - b).abs(), n + 1)
    });
    mean_of(sum, n)
}

/// Root mean squared error over the finite pairs; 0.0 when there are none.
pub fn rmse(y: &[f64], yhat: &[f64]) -> f64 {
    let (sum, n) = finite_pairs(y, yhat).fold((0.0, 0usize), |(sum, n), (a, b)| {
        (sum + (a - b) * (a - b), n + 1)
    });
    mean_of(sum, n).sqrt()
}

/// Coefficient of determination `1 - SS_res / SS_tot` over the finite pairs.
/// When the targets are constant (`SS_tot == 0`) it is 1.0 for a perfect fit
/// and 0.0 otherwise; with no finite pairs it is 0.0.
pub fn r2(y: &[f64], yhat: &[f64]) -> f64 {
    let (sum, n) = finite_pairs(y, yhat).fold((0.0, 0usize), |(sum, n), (a, _)| (sum + a, n + 1));
    if n == 0 {
        return 0.0;
    }
    let y_mean = sum / n as f64;
    let (ss_res, ss_tot) = finite_pairs(y, yhat).fold((0.0, 0.0), |(res, tot), (a, b)| {
        (res + (a - b) * (a - b), tot + (a - y_mean) * (a - y_mean))
    });
    if ss_tot == 0.0 {
        if ss_res == 0.0 { 1.0 } else { 0.0 }
    } else {
        1.0 - ss_res / ss_tot
    }
}

/// Mean absolute percentage error, in percent: the mean of `|y - yhat| / |y|`
/// times 100 over the finite pairs with `|y| >= 1e-9`. `None` when no pair
/// qualifies.
pub fn mape(y: &[f64], yhat: &[f64]) -> Option<f64> {
    let (sum, n) = finite_pairs(y, yhat)
        .filter(|(a, _)| a.abs() >= MAPE_MIN_ABS_Y)
        .fold((0.0, 0usize), |(sum, n), (a, b)| {
            (sum + ((a - b) / a).abs(), n + 1)
        });
    (n > 0).then(|| 100.0 * sum / n as f64)
}

// ---------------------------------------------------------------------------
// Baselines

/// How many labels fall in each class `0..k`; labels not below `k` are left
/// out.
fn class_counts(labels: &[usize], k: usize) -> Vec<usize> {
    let mut counts = vec![0usize; k];
    for &label in labels {
        if let Some(count) = counts.get_mut(label) {
            *count += 1;
        }
    }
    counts
}

/// The most common class among `labels` (those below `k`), ties going to the
/// smallest index. 0 when there is none (empty input or `k == 0`).
pub fn majority_class(labels: &[usize], k: usize) -> usize {
    class_counts(labels, k)
        .iter()
        .enumerate()
        .fold((0usize, 0usize), |(best, best_count), (class, &count)| {
            if count > best_count {
                (class, count)
            } else {
                (best, best_count)
            }
        })
        .0
}

/// Share of each class `0..k` among the labels below `k`; sums to 1, or is
/// all zeros when no label qualifies.
pub fn class_frequencies(labels: &[usize], k: usize) -> Vec<f64> {
    let counts = class_counts(labels, k);
    let total: usize = counts.iter().sum();
    counts
        .iter()
        .map(|&count| mean_of(count as f64, total))
        .collect()
}

/// The same probability row `freqs` repeated for `n` rows, row-major: what
/// the majority baseline predicts when asked for probabilities. Empty when
/// `freqs` is empty or the result could not be allocated.
pub fn constant_probs(freqs: &[f64], n: usize) -> Vec<f64> {
    let mut probs = Vec::new();
    let Some(len) = freqs.len().checked_mul(n) else {
        return probs;
    };
    if len == 0 || probs.try_reserve_exact(len).is_err() {
        return probs;
    }
    for _ in 0..n {
        probs.extend_from_slice(freqs);
    }
    probs
}

/// Arithmetic mean of the finite values (the regression baseline's single
/// prediction); 0.0 when there are none.
pub fn mean(v: &[f64]) -> f64 {
    let (sum, n) = v
        .iter()
        .filter(|x| x.is_finite())
        .fold((0.0, 0usize), |(sum, n), &x| (sum + x, n + 1));
    mean_of(sum, n)
}

// ---------------------------------------------------------------------------
// Named scores

/// Named scores of one model on one data split, e.g. `"accuracy"` or
/// `"log_loss"`. Serialises as a plain JSON object; keep the values finite,
/// since JSON has no NaN.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metrics(pub BTreeMap<String, f64>);

impl Metrics {
    /// The score named `key`, if recorded.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.0.get(key).copied()
    }

    /// Records `v` under `key`, replacing any earlier value.
    pub fn set(&mut self, key: &str, v: f64) {
        self.0.insert(key.to_owned(), v);
    }
}

/// Whether a smaller value of the metric `key` is better: true for the
/// losses and errors `"log_loss"`, `"mae"`, `"rmse"` and `"mape"`, false for
/// everything else (accuracy, AUC, R², …).
pub fn lower_is_better(key: &str) -> bool {
    matches!(key, "log_loss" | "mae" | "rmse" | "mape")
}

/// Whether `model` strictly beats `baseline` on the headline metric `key`
/// (see [`lower_is_better`]); a tie is not a win. `None` when either side
/// lacks the metric or holds NaN.
pub fn beats(model: &Metrics, baseline: &Metrics, key: &str) -> Option<bool> {
    let ours = model.get(key)?;
    let theirs = baseline.get(key)?;
    if ours.is_nan() || theirs.is_nan() {
        return None;
    }
    Some(if lower_is_better(key) {
        ours < theirs
    } else {
        ours > theirs
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < TOL,
            "expected {expected}, got {actual}"
        );
    }

    fn assert_points_close(actual: &[[f64; 2]], expected: &[[f64; 2]]) {
        assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
        for (a, e) in actual.iter().zip(expected) {
            assert_close(a[0], e[0]);
            assert_close(a[1], e[1]);
        }
    }

    /// Area under a polyline by the trapezoid rule.
    fn trapezoid_area(points: &[[f64; 2]]) -> f64 {
        points
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]) * (w[0][1] + w[1][1]) / 2.0)
            .sum()
    }

    // --- binary ----------------------------------------------------------

    #[test]
    fn accuracy_binary_counts_probabilities_at_threshold_as_positive() {
        // Predictions at 0.5: [1, 0, 1, 1] against [1, 0, 1, 0] → 3 of 4 right.
        let acc = accuracy_binary(&[1, 0, 1, 0], &[0.9, 0.4, 0.5, 0.6], 0.5);
        assert_close(acc, 0.75);
    }

    #[test]
    fn accuracy_binary_of_empty_input_is_zero() {
        assert_eq!(accuracy_binary(&[], &[], 0.5), 0.0);
    }

    #[test]
    fn accuracy_binary_uses_the_shorter_length() {
        // Only the first two rows are scored, both right → 2/2.
        assert_close(accuracy_binary(&[1, 0, 1], &[0.8, 0.1], 0.5), 1.0);
    }

    #[test]
    fn accuracy_binary_never_counts_nan_probability_as_correct() {
        // Row 0 is NaN (wrong even though the truth is 0), row 1 right → 1/2.
        assert_close(accuracy_binary(&[0, 1], &[f64::NAN, 0.9], 0.5), 0.5);
    }

    #[test]
    fn log_loss_binary_averages_log_probability_of_truth() {
        // -(ln 0.8 + ln(1 - 0.4)) / 2 = (0.223144 + 0.510826) / 2 = 0.366985
        assert_close(
            log_loss_binary(&[1, 0], &[0.8, 0.4]),
            0.366_984_587_540_100_2,
        );
    }

    #[test]
    fn log_loss_binary_clips_certain_mistakes_and_charges_nan_the_maximum() {
        // -ln(1e-15) = 15 ln 10 = 34.538776
        let max = 15.0 * std::f64::consts::LN_10;
        assert_close(log_loss_binary(&[1], &[0.0]), max);
        assert_close(log_loss_binary(&[0], &[1.0]), max);
        assert_close(log_loss_binary(&[1], &[f64::NAN]), max);
        assert_close(log_loss_binary(&[0], &[f64::NAN]), max);
        // A certain, correct answer costs -ln(1 - 1e-15) ≈ 1e-15.
        assert!(log_loss_binary(&[1], &[1.0]) < 1e-14);
    }

    #[test]
    fn log_loss_binary_of_empty_input_is_zero() {
        assert_eq!(log_loss_binary(&[], &[0.3]), 0.0);
    }

    #[test]
    fn roc_auc_is_one_for_perfect_ranking_and_zero_for_reversed() {
        assert_close(roc_auc(&[0, 0, 1, 1], &[0.1, 0.2, 0.8, 0.9]).unwrap(), 1.0);
        assert_close(roc_auc(&[1, 1, 0, 0], &[0.1, 0.2, 0.8, 0.9]).unwrap(), 0.0);
    }

    #[test]
    fn roc_auc_gives_ties_half_credit_via_average_ranks() {
        // Ascending: 0.1(−) | 0.35(+,−) | 0.4(−,+) | 0.8(+)
        // Average ranks: 1 | 2.5, 2.5 | 4.5, 4.5 | 6
        // R_pos = 2.5 + 4.5 + 6 = 13; U = 13 − 3·4/2 = 7; AUC = 7 / (3·3) = 7/9.
        let y = [0, 0, 1, 1, 0, 1];
        let s = [0.1, 0.4, 0.35, 0.8, 0.35, 0.4];
        assert_close(roc_auc(&y, &s).unwrap(), 7.0 / 9.0);
    }

    #[test]
    fn roc_auc_is_one_half_when_every_score_ties() {
        // Every pair ties: U = 2·2·(1/2) = 2; AUC = 2 / 4.
        assert_close(roc_auc(&[0, 1, 0, 1], &[0.3; 4]).unwrap(), 0.5);
    }

    #[test]
    fn roc_auc_treats_negative_and_positive_zero_as_one_score() {
        assert_close(roc_auc(&[0, 1], &[0.0, -0.0]).unwrap(), 0.5);
    }

    #[test]
    fn roc_auc_is_none_with_a_single_class_or_no_rows() {
        assert_eq!(roc_auc(&[1, 1, 1], &[0.2, 0.5, 0.9]), None);
        assert_eq!(roc_auc(&[0, 0], &[0.2, 0.5]), None);
        assert_eq!(roc_auc(&[], &[]), None);
        // The only negative has a NaN score, so one class remains.
        assert_eq!(roc_auc(&[1, 0], &[0.5, f64::NAN]), None);
    }

    #[test]
    fn roc_auc_skips_nan_scores() {
        // Without the NaN row: positive 0.9 above negative 0.1 → 1.0.
        assert_close(roc_auc(&[1, 0, 0], &[0.9, 0.1, f64::NAN]).unwrap(), 1.0);
    }

    #[test]
    fn roc_auc_matches_pairwise_count_on_generated_data() {
        // Fixed-seed LCG; scores rounded to one decimal to force many ties.
        let mut state: u64 = 42;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let n = 300;
        let y: Vec<u8> = (0..n).map(|_| u8::from(next() < 0.4)).collect();
        let s: Vec<f64> = y
            .iter()
            .map(|&t| ((next() + 0.3 * f64::from(t)) * 10.0).round() / 10.0)
            .collect();
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (i, &yi) in y.iter().enumerate() {
            for (j, &yj) in y.iter().enumerate() {
                if yi == 1 && yj == 0 {
                    pairs += 1.0;
                    if s[i] > s[j] {
                        wins += 1.0;
                    } else if s[i] == s[j] {
                        wins += 0.5;
                    }
                }
            }
        }
        assert_close(roc_auc(&y, &s).unwrap(), wins / pairs);
        // The area under the unthinned curve is the same number.
        let curve = roc_curve(&y, &s, usize::MAX);
        assert_close(trapezoid_area(&curve), wins / pairs);
    }

    #[test]
    fn roc_curve_has_one_point_per_distinct_threshold() {
        // Descending: 0.8(+) | 0.4(−,+) | 0.35(+,−) | 0.1(−), 3 positives, 3 negatives.
        // Cumulative (FP, TP): (0,0) (0,1) (1,2) (2,3) (3,3), each divided by 3.
        let y = [0, 0, 1, 1, 0, 1];
        let s = [0.1, 0.4, 0.35, 0.8, 0.35, 0.4];
        let third = 1.0 / 3.0;
        let expected = [
            [0.0, 0.0],
            [0.0, third],
            [third, 2.0 * third],
            [2.0 * third, 1.0],
            [1.0, 1.0],
        ];
        let curve = roc_curve(&y, &s, 100);
        assert_points_close(&curve, &expected);
        // Trapezoids: 0 + (1/3)(1/3+2/3)/2 + (1/3)(2/3+1)/2 + (1/3)(1) = 14/18 = 7/9.
        assert_close(trapezoid_area(&curve), 7.0 / 9.0);
    }

    #[test]
    fn roc_curve_is_thinned_evenly_keeping_both_ends() {
        // Ten distinct scores → 11 points. Four kept at round(j·10/3), j = 0..3:
        // 0, 3.33 → 3, 6.67 → 7, 10.
        let y = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
        let s: Vec<f64> = (0..10).map(|i| 1.0 - f64::from(i) / 10.0).collect();
        let full = roc_curve(&y, &s, usize::MAX);
        assert_eq!(full.len(), 11);
        let thinned = roc_curve(&y, &s, 4);
        assert_points_close(&thinned, &[full[0], full[3], full[7], full[10]]);
        assert_points_close(&roc_curve(&y, &s, 2), &[[0.0, 0.0], [1.0, 1.0]]);
    }

    #[test]
    fn roc_curve_honours_tiny_point_budgets() {
        let (y, s) = ([0, 1], [0.2, 0.7]);
        assert!(roc_curve(&y, &s, 0).is_empty());
        assert_points_close(&roc_curve(&y, &s, 1), &[[0.0, 0.0]]);
    }

    #[test]
    fn roc_curve_is_empty_with_a_single_class() {
        assert!(roc_curve(&[1, 1], &[0.2, 0.7], 10).is_empty());
        assert!(roc_curve(&[], &[], 10).is_empty());
    }

    // --- multi-class -----------------------------------------------------

    #[test]
    fn accuracy_counts_exact_matches() {
        // Matches at rows 0, 2, 3 → 3/4.
        assert_close(accuracy(&[0, 1, 2, 1], &[0, 2, 2, 1]), 0.75);
        assert_eq!(accuracy(&[], &[1]), 0.0);
    }

    #[test]
    fn balanced_accuracy_weighs_each_class_equally() {
        // Class 0 recall 3/3 = 1, class 1 recall 0/1 = 0 → (1 + 0) / 2 = 0.5,
        // though plain accuracy is 3/4.
        assert_close(balanced_accuracy(&[0, 0, 0, 1], &[0, 0, 0, 0], 2), 0.5);
    }

    #[test]
    fn balanced_accuracy_ignores_absent_classes_and_out_of_range_labels() {
        // k = 3 but class 2 never occurs; the label 7 row is skipped.
        // Recall: class 0 = 1/1, class 1 = 0/1 → 0.5.
        assert_close(balanced_accuracy(&[0, 1, 7], &[0, 0, 7], 3), 0.5);
        assert_eq!(balanced_accuracy(&[], &[], 3), 0.0);
        assert_eq!(balanced_accuracy(&[0, 1], &[0, 1], 0), 0.0);
    }

    #[test]
    fn log_loss_averages_log_probability_of_true_class() {
        // Row 0 gives class 0 0.7, row 1 gives class 2 0.6:
        // -(ln 0.7 + ln 0.6) / 2 = (0.356675 + 0.510826) / 2 = 0.433750
        let probs = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6];
        assert_close(log_loss(&[0, 2], &probs, 3), 0.433_750_283_852_361_6);
    }

    #[test]
    fn log_loss_skips_partial_rows_and_out_of_range_labels() {
        // Row 1 has label 5 ≥ k; the trailing 0.9 is a partial row.
        // Only row 0 counts: -ln 0.25 = 1.386294.
        let probs = [0.25, 0.75, 0.5, 0.5, 0.9];
        assert_close(log_loss(&[0, 5, 1], &probs, 2), 1.386_294_361_119_890_6);
        assert_eq!(log_loss(&[0], &[1.0], 0), 0.0);
        assert_eq!(log_loss(&[], &[], 2), 0.0);
    }

    #[test]
    fn confusion_matrix_counts_truth_by_prediction() {
        // Pairs (truth, predicted): (0,0) (1,2) (2,2) (2,1) (1,1); (3,0) is out of range.
        let m = confusion_matrix(&[0, 1, 2, 2, 1, 3], &[0, 2, 2, 1, 1, 0], 3);
        assert_eq!(m, vec![vec![1, 0, 0], vec![0, 1, 1], vec![0, 1, 1]]);
        assert!(confusion_matrix(&[0], &[0], 0).is_empty());
    }

    #[test]
    fn argmax_rows_breaks_ties_low_and_ignores_nan() {
        let rows: [&[f64]; 5] = [
            &[0.2, 0.5, 0.3],                // → 1
            &[0.4, 0.4, 0.2],                // tie → 0
            &[f64::NAN, 0.1, 0.9],           // NaN ignored → 2
            &[f64::NAN, f64::NAN, f64::NAN], // nothing usable → 0
            &[0.5],                          // partial row, ignored
        ];
        let probs = rows.concat();
        assert_eq!(argmax_rows(&probs, 3), vec![1, 0, 2, 0]);
        assert!(argmax_rows(&probs, 0).is_empty());
    }

    // --- regression ------------------------------------------------------

    const Y: [f64; 4] = [3.0, -0.5, 2.0, 7.0];
    const YHAT: [f64; 4] = [2.5, 0.0, 2.0, 8.0];

    #[test]
    fn mae_averages_absolute_errors() {
        // (0.5 + 0.5 + 0 + 1) / 4 = 0.5
        assert_close(mae(&Y, &YHAT), 0.5);
    }

    #[test]
    fn rmse_is_root_of_mean_squared_error() {
        // (0.25 + 0.25 + 0 + 1) / 4 = 0.375; √0.375 = 0.612372
        assert_close(rmse(&Y, &YHAT), 0.612_372_435_695_794_5);
    }

    #[test]
    fn r2_compares_residuals_with_spread_around_the_mean() {
        // mean y = 11.5 / 4 = 2.875
        // SS_tot = 0.125² + 3.375² + 0.875² + 4.125² = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
        // SS_res = 1.5 → R² = 1 − 1.5 / 29.1875 = 0.948608
        assert_close(r2(&Y, &YHAT), 0.948_608_137_044_967_9);
    }

    #[test]
    fn r2_of_predicting_the_mean_is_zero() {
        // SS_res = 1 + 0 + 1 = 2 = SS_tot → 1 − 1 = 0.
        assert_close(r2(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]), 0.0);
    }

    #[test]
    fn r2_with_constant_targets_is_one_only_for_a_perfect_fit() {
        assert_eq!(r2(&[2.0, 2.0, 2.0], &[2.0, 2.0, 2.0]), 1.0);
        assert_eq!(r2(&[2.0, 2.0, 2.0], &[2.0, 3.0, 2.0]), 0.0);
        assert_eq!(r2(&[], &[]), 0.0);
    }

    #[test]
    fn regression_metrics_skip_pairs_with_nan_or_infinity() {
        // Only (1, 2) survives: MAE = RMSE = 1.
        let y = [1.0, f64::NAN, 3.0, f64::INFINITY];
        let yhat = [2.0, 5.0, f64::NAN, 4.0];
        assert_close(mae(&y, &yhat), 1.0);
        assert_close(rmse(&y, &yhat), 1.0);
        // One pair: SS_tot = 0 and SS_res = 1 → 0.
        assert_eq!(r2(&y, &yhat), 0.0);
        // |1 − 2| / 1 = 100 %.
        assert_close(mape(&y, &yhat).unwrap(), 100.0);
    }

    #[test]
    fn regression_metrics_use_the_shorter_length_and_zero_when_empty() {
        // Pairs (1,1), (2,2): no error; the 3.0 has no partner.
        assert_eq!(mae(&[1.0, 2.0, 3.0], &[1.0, 2.0]), 0.0);
        assert_eq!(mae(&[], &[]), 0.0);
        assert_eq!(rmse(&[], &[1.0]), 0.0);
    }

    #[test]
    fn mape_is_in_percent_and_skips_near_zero_targets() {
        // Usable: |100 − 110| / 100 = 0.1 and |−50 − (−40)| / 50 = 0.2;
        // 0 and 1e-12 are skipped. Mean 0.15 → 15 %.
        let y = [100.0, 0.0, -50.0, 1e-12];
        let yhat = [110.0, 5.0, -40.0, 1.0];
        assert_close(mape(&y, &yhat).unwrap(), 15.0);
    }

    #[test]
    fn mape_is_none_without_usable_targets() {
        assert_eq!(mape(&[0.0, 1e-10], &[1.0, 1.0]), None);
        assert_eq!(mape(&[], &[]), None);
    }

    // --- baselines -------------------------------------------------------

    #[test]
    fn majority_class_breaks_ties_toward_smallest_index() {
        // Counts [1, 2, 2] → classes 1 and 2 tie → 1.
        assert_eq!(majority_class(&[2, 1, 2, 1, 0], 3), 1);
        assert_eq!(majority_class(&[2, 2, 0], 3), 2);
        assert_eq!(majority_class(&[], 3), 0);
        assert_eq!(majority_class(&[1, 1], 0), 0);
    }

    #[test]
    fn class_frequencies_sum_to_one_over_in_range_labels() {
        // Label 3 ≥ k is dropped; counts [1, 2, 0] of 3 → [1/3, 2/3, 0].
        let freqs = class_frequencies(&[0, 1, 1, 3], 3);
        assert_eq!(freqs.len(), 3);
        assert_close(freqs[0], 1.0 / 3.0);
        assert_close(freqs[1], 2.0 / 3.0);
        assert_eq!(freqs[2], 0.0);
        assert_close(freqs.iter().sum(), 1.0);
        assert_eq!(class_frequencies(&[], 2), vec![0.0, 0.0]);
    }

    #[test]
    fn constant_probs_repeats_the_frequency_row() {
        assert_eq!(
            constant_probs(&[0.25, 0.75], 3),
            vec![0.25, 0.75, 0.25, 0.75, 0.25, 0.75]
        );
        assert!(constant_probs(&[0.5, 0.5], 0).is_empty());
        assert!(constant_probs(&[], usize::MAX).is_empty());
        assert!(constant_probs(&[0.5], usize::MAX).is_empty());
        assert!(constant_probs(&[0.5, 0.5], usize::MAX).is_empty());
    }

    #[test]
    fn majority_baseline_log_loss_is_the_label_entropy() {
        // Frequencies [0.75, 0.25]:
        // -(3 ln 0.75 + ln 0.25) / 4 = (3·0.287682 + 1.386294) / 4 = 0.562335
        let labels = [0, 0, 0, 1];
        let freqs = class_frequencies(&labels, 2);
        let probs = constant_probs(&freqs, labels.len());
        assert_close(log_loss(&labels, &probs, 2), 0.562_335_144_618_808_3);
        // Its hard prediction is class 0 everywhere: accuracy 3/4.
        let predicted = argmax_rows(&probs, 2);
        assert_eq!(predicted, vec![0; 4]);
        assert_close(accuracy(&labels, &predicted), 0.75);
    }

    #[test]
    fn mean_skips_non_finite_values_and_is_zero_when_empty() {
        // (1 + 2 + 6) / 3 = 3
        assert_close(mean(&[1.0, 2.0, f64::NAN, 6.0, f64::NEG_INFINITY]), 3.0);
        assert_eq!(mean(&[]), 0.0);
    }

    // --- named scores ----------------------------------------------------

    fn metrics(pairs: &[(&str, f64)]) -> Metrics {
        let mut m = Metrics::default();
        for &(key, v) in pairs {
            m.set(key, v);
        }
        m
    }

    #[test]
    fn metrics_set_replaces_and_get_reads_back() {
        let mut m = metrics(&[("accuracy", 0.5)]);
        m.set("accuracy", 0.75);
        assert_eq!(m.get("accuracy"), Some(0.75));
        assert_eq!(m.get("rmse"), None);
    }

    #[test]
    fn metrics_serialise_as_a_plain_json_object() {
        let m = metrics(&[("accuracy", 0.75), ("log_loss", 0.5)]);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"accuracy":0.75,"log_loss":0.5}"#);
        assert_eq!(serde_json::from_str::<Metrics>(&json).unwrap(), m);
    }

    #[test]
    fn lower_is_better_only_for_losses_and_errors() {
        for key in ["log_loss", "mae", "rmse", "mape"] {
            assert!(lower_is_better(key), "{key}");
        }
        for key in ["accuracy", "balanced_accuracy", "roc_auc", "r2"] {
            assert!(!lower_is_better(key), "{key}");
        }
    }

    #[test]
    fn beats_follows_the_direction_of_the_headline_metric() {
        let model = metrics(&[("log_loss", 0.4), ("accuracy", 0.7), ("r2", 0.3)]);
        let baseline = metrics(&[("log_loss", 0.6), ("accuracy", 0.8), ("r2", 0.3)]);
        assert_eq!(beats(&model, &baseline, "log_loss"), Some(true));
        assert_eq!(beats(&model, &baseline, "accuracy"), Some(false));
        // A tie is not a win.
        assert_eq!(beats(&model, &baseline, "r2"), Some(false));
    }

    #[test]
    fn beats_is_none_when_a_side_lacks_the_metric_or_holds_nan() {
        let model = metrics(&[("mae", f64::NAN), ("rmse", 1.0)]);
        let baseline = metrics(&[("mae", 2.0)]);
        assert_eq!(beats(&model, &baseline, "mae"), None);
        assert_eq!(beats(&model, &baseline, "rmse"), None);
        assert_eq!(beats(&model, &baseline, "accuracy"), None);
    }
}
