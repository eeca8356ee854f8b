//! Offline evaluation of the recommenders: a per-user hold-out split, the
//! ranking metrics (precision, recall and NDCG at k, with binary relevance)
//! and [`evaluate`], which trains every method on the same split and scores
//! them side by side, so that a city can see whether CF beats "recommend
//! what is popular".
//!
//! The metrics work on plain slices of item indices and are total: `k = 0`,
//! empty lists and repeated items never panic and never give NaN.
//!
//! Uses `data` (progress, the seeded RNG) and the rest of `recommend`; no
//! egui, no candle.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::data::Progress;
use crate::data::rng::Rng;

use super::cf::{CfParams, Method, Recommender};
use super::sparse::Csr;
use super::{Interactions, ProgressRange, RecError};

/// The share of each user's interactions [`evaluate`] holds out.
pub const EVAL_HOLDOUT_FRACTION: f64 = 0.2;

/// Training interactions and what each user should find among their
/// recommendations.
pub struct Split {
    /// Same users and items (same indices) as the input, without the
    /// held-out pairs.
    pub train: Interactions,
    /// Per user: the relevant held-out item indices, sorted.
    pub test: Vec<Vec<u32>>,
    /// `"time"` (the most recent were held out) or `"random"`.
    pub kind: &'static str,
}

/// Holds out `ceil(fraction · n)` (at most `n − 1`) of the `n` interactions
/// of every user who has at least 2: the most recent when times exist,
/// otherwise a random choice fixed by `seed`. With explicit ratings a
/// held-out item is relevant only if rated at or above that user's mean
/// rating (over all their ratings). `fraction` is clamped to `0..=1`; NaN
/// holds out nothing.
pub fn holdout(inter: &Interactions, fraction: f64, seed: u64) -> Split {
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    let matrix = &inter.user_items;
    let times = inter
        .times
        .as_ref()
        .filter(|t| t.len() == matrix.nnz())
        .map(Vec::as_slice);
    let mut rng = Rng::new(seed);
    let n_users = matrix.n_rows();
    let mut indptr = Vec::with_capacity(n_users + 1);
    indptr.push(0usize);
    let mut indices = Vec::with_capacity(matrix.nnz());
    let mut values = Vec::with_capacity(matrix.nnz());
    let mut train_times = Vec::with_capacity(if times.is_some() { matrix.nnz() } else { 0 });
    let mut test = Vec::with_capacity(n_users);
    let mut positions: Vec<usize> = Vec::new();
    let mut held: Vec<bool> = Vec::new();

    for user in 0..n_users {
        let (items, ratings) = matrix.row(user);
        let n = items.len();
        let row_start = matrix.indptr.get(user).copied().unwrap_or(0);
        let row_times = times.and_then(|t| t.get(row_start..row_start + n));
        let n_held = if n >= 2 {
            ((fraction * n as f64).ceil() as usize).min(n - 1)
        } else {
            0
        };
        positions.clear();
        positions.extend(0..n);
        if let Some(row_times) = row_times {
            // Most recent first; equal times keep item order (stable sort).
            positions.sort_by_key(|&p| std::cmp::Reverse(row_times.get(p).copied()));
        } else if n_held > 0 {
            rng.shuffle(&mut positions);
        }
        held.clear();
        held.resize(n, false);
        for &p in positions.iter().take(n_held) {
            if let Some(flag) = held.get_mut(p) {
                *flag = true;
            }
        }
        let mean_rating = if ratings.is_empty() {
            0.0
        } else {
            ratings.iter().sum::<f32>() / n as f32
        };
        let mut relevant = Vec::new();
        for (p, (&item, &value)) in items.iter().zip(ratings).enumerate() {
            if held.get(p).copied().unwrap_or(false) {
                if !inter.explicit || value >= mean_rating {
                    relevant.push(item);
                }
            } else {
                indices.push(item);
                values.push(value);
                if let Some(t) = row_times.and_then(|t| t.get(p)) {
                    train_times.push(*t);
                }
            }
        }
        indptr.push(indices.len());
        test.push(relevant);
    }
    let train = Interactions {
        users: inter.users.clone(),
        items: inter.items.clone(),
        user_items: Csr {
            indptr,
            indices,
            values,
            n_cols: matrix.n_cols,
        },
        explicit: inter.explicit,
        times: times.map(|_| train_times),
    };
    Split {
        train,
        test,
        kind: if times.is_some() { "time" } else { "random" },
    }
}

/// Ranking scores of one method at k.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MethodScores {
    /// Mean precision@k over the users evaluated.
    pub precision: f64,
    /// Mean recall@k over the users evaluated.
    pub recall: f64,
    /// Mean NDCG@k over the users evaluated.
    pub ndcg: f64,
    /// Distinct items recommended to anyone, over the number of items.
    pub coverage: f64,
}

/// Every method scored on one split.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EvalReport {
    pub k: usize,
    /// `"time"` or `"random"`: how the split held interactions out.
    pub split: &'static str,
    /// Keyed by [`Method::key`]: `item_cf`, `user_cf`, `popularity`.
    pub methods: BTreeMap<String, MethodScores>,
    /// Per method: mean precision@1, @2, …, @k.
    #[serde(skip)]
    pub precision_curve: BTreeMap<String, Vec<f64>>,
    /// Users with at least one relevant held-out item.
    pub users_evaluated: usize,
}

/// The positions (0-based, below `k`) of the first occurrence of each
/// relevant item in `recommended`.
fn hit_positions<'a>(
    recommended: &'a [u32],
    relevant: &'a [u32],
    k: usize,
) -> impl Iterator<Item = usize> + 'a {
    recommended
        .iter()
        .take(k)
        .enumerate()
        .filter(move |&(p, item)| {
            relevant.contains(item)
                && !recommended
                    .get(..p)
                    .is_some_and(|before| before.contains(item))
        })
        .map(|(p, _)| p)
}

/// Relevant items among the first `k` recommended, divided by `k`
/// (a list shorter than `k` is not excused). 0 for `k = 0`.
pub fn precision_at_k(recommended: &[u32], relevant: &[u32], k: usize) -> f64 {
    if k == 0 {
        return 0.0;
    }
    hit_positions(recommended, relevant, k).count() as f64 / k as f64
}

/// Relevant items among the first `k` recommended, divided by the number
/// of relevant items. 0 when nothing is relevant.
pub fn recall_at_k(recommended: &[u32], relevant: &[u32], k: usize) -> f64 {
    let mut distinct_relevant = relevant.to_vec();
    distinct_relevant.sort_unstable();
    distinct_relevant.dedup();
    if distinct_relevant.is_empty() {
        return 0.0;
    }
    hit_positions(recommended, relevant, k).count() as f64 / distinct_relevant.len() as f64
}

/// Normalised discounted cumulative gain with binary relevance: a hit at
/// 0-based position `p` gains `1 / log2(p + 2)`, divided by the gain of the
/// ideal list, which puts `min(k, |relevant|)` hits first. 0 when nothing
/// is relevant or `k = 0`.
pub fn ndcg_at_k(recommended: &[u32], relevant: &[u32], k: usize) -> f64 {
    let discount = |p: usize| 1.0 / ((p + 2) as f64).log2();
    let mut distinct_relevant = relevant.to_vec();
    distinct_relevant.sort_unstable();
    distinct_relevant.dedup();
    let ideal: f64 = (0..k.min(distinct_relevant.len())).map(discount).sum();
    if ideal <= 0.0 {
        return 0.0;
    }
    let gain: f64 = hit_positions(recommended, relevant, k).map(discount).sum();
    gain / ideal
}

/// Holds out [`EVAL_HOLDOUT_FRACTION`] of every user's interactions (see
/// [`holdout`]), builds every method on the rest with `params`, recommends
/// `k` items to every user and scores the lists against the held-out
/// items. `k = 0` is treated as 1. No user with a relevant held-out item
/// gives [`RecError::Empty`].
pub fn evaluate(
    inter: &Interactions,
    k: usize,
    params: &CfParams,
    seed: u64,
    progress: &dyn Progress,
) -> Result<EvalReport, RecError> {
    params.validate()?;
    let k = k.max(1);
    progress.report(0.0, "Holding out interactions");
    let split = holdout(inter, EVAL_HOLDOUT_FRACTION, seed);
    let evaluated: Vec<usize> = split
        .test
        .iter()
        .enumerate()
        .filter(|(_, relevant)| !relevant.is_empty())
        .map(|(user, _)| user)
        .collect();
    if evaluated.is_empty() {
        return Err(RecError::Empty(format!(
            "no resident has a held-out interaction to check recommendations against ({} users, {} pairs). Evaluation needs residents with at least 2 interactions{}.",
            inter.n_users(),
            inter.n_interactions(),
            if inter.explicit {
                ", some rated at or above their own mean rating"
            } else {
                ""
            }
        )));
    }
    let train = Arc::new(split.train);
    let n_items = train.n_items();
    let mut methods = BTreeMap::new();
    let mut precision_curve = BTreeMap::new();
    let share = 1.0 / Method::ALL.len() as f32;
    for (step, method) in Method::ALL.into_iter().enumerate() {
        let start = step as f32 * share;
        let build_progress = ProgressRange {
            inner: progress,
            start,
            span: share * 0.6,
        };
        let recommender =
            Recommender::build(train.clone(), method, params.clone(), &build_progress)?;
        let recommend_progress = ProgressRange {
            inner: progress,
            start: start + share * 0.6,
            span: share * 0.4,
        };
        let lists = recommender.recommend_all_items(k, &recommend_progress)?;

        let mut totals = [0.0f64; 3];
        let mut curve = vec![0.0f64; k];
        for &user in &evaluated {
            let (Some(recommended), Some(relevant)) = (lists.get(user), split.test.get(user))
            else {
                continue;
            };
            totals[0] += precision_at_k(recommended, relevant, k);
            totals[1] += recall_at_k(recommended, relevant, k);
            totals[2] += ndcg_at_k(recommended, relevant, k);
            for (at, sum) in curve.iter_mut().enumerate() {
                *sum += precision_at_k(recommended, relevant, at + 1);
            }
        }
        let users = evaluated.len() as f64;
        let mut recommended_anywhere = vec![false; n_items];
        for &item in lists.iter().flatten() {
            if let Some(flag) = recommended_anywhere.get_mut(item as usize) {
                *flag = true;
            }
        }
        let distinct = recommended_anywhere.iter().filter(|&&f| f).count();
        methods.insert(
            method.key().to_owned(),
            MethodScores {
                precision: totals[0] / users,
                recall: totals[1] / users,
                ndcg: totals[2] / users,
                coverage: if n_items == 0 {
                    0.0
                } else {
                    distinct as f64 / n_items as f64
                },
            },
        );
        precision_curve.insert(
            method.key().to_owned(),
            curve.into_iter().map(|sum| sum / users).collect(),
        );
    }
    progress.report(1.0, "Evaluation done");
    Ok(EvalReport {
        k,
        split: split.kind,
        methods,
        precision_curve,
        users_evaluated: evaluated.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;
    use crate::recommend::ColumnChoice;
    use crate::recommend::tests::{dataset, service_use};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn ranking_metrics_match_a_hand_computed_case() {
        let recommended = [3, 1, 7, 2];
        let relevant = [1, 2, 9];
        // k = 3: top 3 is 3, 1, 7; one hit (item 1) at position 1.
        //   precision = 1/3, recall = 1/3
        //   DCG  = 1/log2(1 + 2) = 0.630930
        //   IDCG = 1/log2(2) + 1/log2(3) + 1/log2(4) = 1 + 0.630930 + 0.5
        //   NDCG = 0.630930 / 2.130930 = 0.296082
        assert!(close(precision_at_k(&recommended, &relevant, 3), 1.0 / 3.0));
        assert!(close(recall_at_k(&recommended, &relevant, 3), 1.0 / 3.0));
        let idcg = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!(close(
            ndcg_at_k(&recommended, &relevant, 3),
            (1.0 / 3f64.log2()) / idcg
        ));
        // k = 4: hits at positions 1 and 3.
        //   precision = 2/4, recall = 2/3
        //   DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677 = 1.061606
        //   IDCG over min(4, 3) = 3 positions, as above → NDCG = 0.498189
        assert!(close(precision_at_k(&recommended, &relevant, 4), 0.5));
        assert!(close(recall_at_k(&recommended, &relevant, 4), 2.0 / 3.0));
        let ndcg4 = (1.0 / 3f64.log2() + 1.0 / 5f64.log2()) / idcg;
        assert!(close(ndcg_at_k(&recommended, &relevant, 4), ndcg4));
        assert!((ndcg4 - 0.498189).abs() < 1e-6);
        // A perfect list scores 1; degenerate inputs score 0.
        assert!(close(ndcg_at_k(&[1, 2], &[2, 1], 5), 1.0));
        assert_eq!(precision_at_k(&recommended, &relevant, 0), 0.0);
        assert_eq!(recall_at_k(&recommended, &[], 3), 0.0);
        assert_eq!(ndcg_at_k(&[], &relevant, 3), 0.0);
        // A repeated hit counts once.
        assert!(close(precision_at_k(&[1, 1], &[1], 2), 0.5));
    }

    fn timed_ratings() -> Interactions {
        // Resident a: pool rated 5 at t=1, library 1 at t=3, park 4 at t=2.
        // Resident b: one interaction only (never held out).
        let ds = dataset(vec![
            Column::categorical("resident", &["a", "a", "a", "b"]),
            Column::categorical("service", &["pool", "library", "park", "pool"]),
            Column::from_i64("rating", vec![5, 1, 4, 3]),
            Column::from_timestamps("timestamp", vec![1, 3, 2, 1]),
        ]);
        let cols = ColumnChoice::detect(&ds).unwrap();
        Interactions::from_dataset(&ds, &cols).unwrap()
    }

    #[test]
    fn holdout_by_time_takes_the_most_recent() {
        let mut inter = timed_ratings();
        inter.explicit = false;
        // ceil(0.3 · 3) = 1 → the latest, library (t=3).
        let split = holdout(&inter, 0.3, 1);
        assert_eq!(split.kind, "time");
        let library = inter.item_index("library").unwrap() as u32;
        assert_eq!(split.test[0], vec![library]);
        assert!(split.test[1].is_empty());
        assert!(!split.train.user_items.row(0).0.contains(&library));
        assert_eq!(split.train.n_interactions(), 3);
        assert_eq!(split.train.times.as_ref().unwrap().len(), 3);
        // At most n − 1: even fraction 1 leaves the oldest (pool, t=1).
        let split = holdout(&inter, 1.0, 1);
        let pool = inter.item_index("pool").unwrap() as u32;
        assert_eq!(split.train.user_items.row(0).0, &[pool]);
    }

    #[test]
    fn explicit_relevance_uses_the_users_mean_rating() {
        let inter = timed_ratings();
        assert!(inter.explicit);
        // a's mean rating is (5 + 1 + 4) / 3 = 3.33. ceil(0.6 · 3) = 2 holds
        // out library (1, t=3) and park (4, t=2): only park is relevant.
        let split = holdout(&inter, 0.6, 1);
        let park = inter.item_index("park").unwrap() as u32;
        assert_eq!(split.test[0], vec![park]);
        assert_eq!(split.train.n_interactions(), 2);
    }

    #[test]
    fn random_holdout_is_seeded() {
        let inter = crate::recommend::cf::tests::generated(50, 30, 600, 3);
        let a = holdout(&inter, 0.25, 9);
        let b = holdout(&inter, 0.25, 9);
        assert_eq!(a.kind, "random");
        assert_eq!(a.test, b.test);
        for user in 0..inter.n_users() {
            let n = inter.user_items.row_len(user);
            let expected = if n >= 2 {
                (n as f64 * 0.25).ceil() as usize
            } else {
                0
            };
            assert_eq!(a.test[user].len(), expected.min(n.saturating_sub(1)));
            assert_eq!(a.train.user_items.row_len(user) + a.test[user].len(), n);
        }
    }

    #[test]
    fn evaluation_without_held_out_items_is_an_error() {
        let inter = Interactions::from_triples(&["a", "b"], &["x", "y"], &[1.0, 1.0]);
        let err = evaluate(&inter, 10, &CfParams::default(), 1, &()).unwrap_err();
        assert!(matches!(err, RecError::Empty(_)), "{err}");
        assert!(err.to_string().contains("at least 2"));
    }

    #[test]
    fn item_cf_beats_popularity_on_the_demo_service_use() {
        let ds = service_use();
        let cols = ColumnChoice::detect(&ds).unwrap();
        let inter = Interactions::from_dataset(&ds, &cols).unwrap();
        let report = evaluate(&inter, 10, &CfParams::default(), 7, &()).unwrap();
        let item = &report.methods["item_cf"];
        let popular = &report.methods["popularity"];
        println!("{}", serde_json::to_string_pretty(&report).unwrap());
        assert_eq!(report.split, "time");
        assert!(report.users_evaluated > 300, "{}", report.users_evaluated);
        assert_eq!(report.precision_curve["item_cf"].len(), 10);
        assert!(
            item.recall > popular.recall || item.ndcg > popular.ndcg,
            "item CF {item:?} vs popularity {popular:?}"
        );
    }
}
