//! Topics of a set of reports: spherical k-means on their unit document
//! vectors (k-means++ seeding, cosine similarity), each topic named by the
//! words with the highest summed TF-IDF among its reports; and the first two
//! principal components of a set of vectors, to draw them on a plane.

use std::collections::HashMap;

use crate::data::rng::Rng;

/// One topic: its reports (row indices) and its top words.
#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub members: Vec<usize>,
    pub words: Vec<String>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalize(v: &mut [f32]) {
    let n = dot(v, v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Assigns each row of `x` (`dim` values, unit length; all-zero rows are
/// fine) to one of `k` clusters; seeded, so the same input gives the same
/// clusters.
pub fn kmeans(x: &[f32], dim: usize, k: usize, iterations: usize, seed: u64) -> Vec<usize> {
    let n = x.len().checked_div(dim).unwrap_or(0);
    if n == 0 || k == 0 {
        return vec![0; n];
    }
    let k = k.min(n);
    let row = |i: usize| &x[i * dim..(i + 1) * dim];
    let mut rng = Rng::new(seed);
    // k-means++: each next centre drawn with weight 1 − cosine to the nearest.
    let mut centres: Vec<Vec<f32>> = vec![row(rng.below(n).unwrap_or(0)).to_vec()];
    let mut best: Vec<f32> = (0..n).map(|i| 1.0 - dot(row(i), &centres[0])).collect();
    while centres.len() < k {
        let total: f64 = best.iter().map(|d| f64::from(d.max(0.0))).sum();
        let pick = if total <= 0.0 {
            rng.below(n).unwrap_or(0)
        } else {
            let mut r = rng.uniform() * total;
            let mut chosen = n - 1;
            for (i, d) in best.iter().enumerate() {
                r -= f64::from(d.max(0.0));
                if r <= 0.0 {
                    chosen = i;
                    break;
                }
            }
            chosen
        };
        let c = row(pick).to_vec();
        for (i, b) in best.iter_mut().enumerate() {
            *b = b.min(1.0 - dot(row(i), &c));
        }
        centres.push(c);
    }
    let mut assign = vec![0usize; n];
    for _ in 0..iterations.max(1) {
        let mut changed = false;
        for (i, a) in assign.iter_mut().enumerate() {
            let r = row(i);
            let (c, _) = centres
                .iter()
                .enumerate()
                .map(|(c, centre)| (c, dot(r, centre)))
                .fold(
                    (0, f32::NEG_INFINITY),
                    |acc, x| if x.1 > acc.1 { x } else { acc },
                );
            if *a != c {
                *a = c;
                changed = true;
            }
        }
        let mut sums = vec![vec![0.0f32; dim]; k];
        for (i, &a) in assign.iter().enumerate() {
            for (s, v) in sums[a].iter_mut().zip(row(i)) {
                *s += v;
            }
        }
        for (c, mut s) in sums.into_iter().enumerate() {
            if s.iter().any(|v| *v != 0.0) {
                normalize(&mut s);
                centres[c] = s;
            }
        }
        if !changed {
            break;
        }
    }
    assign
}

/// Groups reports into `k` topics and names each by its top `words` terms
/// (highest summed TF-IDF over its reports' tokens). Topics are listed
/// largest first; empty ones are dropped.
pub fn topics(
    x: &[f32],
    dim: usize,
    docs: &[Vec<String>],
    idf: &HashMap<String, f32>,
    k: usize,
    words: usize,
    seed: u64,
) -> (Vec<Topic>, Vec<usize>) {
    let assign = kmeans(x, dim, k, 30, seed);
    let k_used = assign.iter().copied().max().map_or(0, |m| m + 1);
    let mut out: Vec<Topic> = (0..k_used)
        .map(|c| {
            let members: Vec<usize> = (0..assign.len()).filter(|&i| assign[i] == c).collect();
            let mut score: HashMap<&str, f32> = HashMap::new();
            for &i in &members {
                for t in docs.get(i).into_iter().flatten() {
                    if super::is_placeholder(t) || super::is_stop_word(t) {
                        continue;
                    }
                    *score.entry(t.as_str()).or_insert(0.0) += idf.get(t).copied().unwrap_or(0.0);
                }
            }
            let mut ranked: Vec<(&str, f32)> = score.into_iter().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
            Topic {
                members,
                words: ranked
                    .into_iter()
                    .take(words)
                    .map(|(w, _)| w.to_owned())
                    .collect(),
            }
        })
        .filter(|t| !t.members.is_empty())
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.members.len()));
    // Topic number per row, in the sorted order.
    let mut topic_of = vec![0usize; assign.len()];
    for (t, topic) in out.iter().enumerate() {
        for &i in &topic.members {
            topic_of[i] = t;
        }
    }
    (out, topic_of)
}

/// The first two principal components of the rows (power iteration with
/// deflation), as coordinates per row.
pub fn pca2(rows: &[&[f32]], dim: usize) -> Vec<[f64; 2]> {
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0.0f64; dim];
    for r in rows {
        for (m, v) in mean.iter_mut().zip(r.iter()) {
            *m += f64::from(*v) / n;
        }
    }
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&mean)
                .map(|(v, m)| f64::from(*v) - m)
                .collect()
        })
        .collect();
    let mut comps: Vec<Vec<f64>> = Vec::new();
    for c in 0..2 {
        let mut v: Vec<f64> = (0..dim)
            .map(|i| if i % 2 == c { 1.0 } else { 0.5 })
            .collect();
        for _ in 0..50 {
            // w = Xᵀ X v, minus earlier components.
            let mut w = vec![0.0; dim];
            for r in &centred {
                let d: f64 = r.iter().zip(&v).map(|(a, b)| a * b).sum();
                for (wi, ri) in w.iter_mut().zip(r) {
                    *wi += d * ri;
                }
            }
            for p in &comps {
                let d: f64 = w.iter().zip(p).map(|(a, b)| a * b).sum();
                for (wi, pi) in w.iter_mut().zip(p) {
                    *wi -= d * pi;
                }
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            v = w.into_iter().map(|x| x / norm).collect();
        }
        comps.push(v);
    }
    centred
        .iter()
        .map(|r| {
            let p = |c: &[f64]| r.iter().zip(c).map(|(a, b)| a * b).sum::<f64>();
            [
                comps.first().map_or(0.0, |c| p(c)),
                comps.get(1).map_or(0.0, |c| p(c)),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_planted_groups_become_two_topics_named_by_their_words() {
        // Reports about lights point one way, about trash another.
        let mut x = Vec::new();
        let mut docs = Vec::new();
        for i in 0..20 {
            let jitter = (i as f32) * 0.01;
            if i % 2 == 0 {
                x.extend([1.0 - jitter, jitter, 0.0]);
                docs.push(vec!["streetlight".to_owned(), "dark".to_owned()]);
            } else {
                x.extend([jitter, 0.0, 1.0 - jitter]);
                docs.push(vec!["trash".to_owned(), "bins".to_owned()]);
            }
        }
        for r in x.chunks_mut(3) {
            normalize(r);
        }
        let idf: HashMap<String, f32> = ["streetlight", "dark", "trash", "bins"]
            .iter()
            .map(|w| ((*w).to_owned(), 1.0))
            .collect();
        let (topics, of) = topics(&x, 3, &docs, &idf, 2, 2, 5);
        assert_eq!(topics.len(), 2);
        assert!(of.iter().step_by(2).all(|&t| t == of[0]));
        assert!(of.iter().skip(1).step_by(2).all(|&t| t == of[1]));
        assert_ne!(of[0], of[1]);
        let mut named: Vec<Vec<String>> = topics.iter().map(|t| t.words.clone()).collect();
        named.sort();
        assert_eq!(named, [["bins", "trash"], ["dark", "streetlight"]]);
        // Seeded: the same answer again.
        assert_eq!(kmeans(&x, 3, 2, 30, 5), kmeans(&x, 3, 2, 30, 5));
    }

    #[test]
    fn pca_puts_the_widest_spread_on_the_first_axis() {
        let rows: Vec<Vec<f32>> = (0..10)
            .map(|i| vec![i as f32, 0.1 * (i % 2) as f32, 0.0])
            .collect();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let p = pca2(&refs, 3);
        let spread = |a: usize| {
            let v: Vec<f64> = p.iter().map(|q| q[a]).collect();
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!(spread(0) > 5.0 * spread(1), "{} {}", spread(0), spread(1));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(kmeans(&[], 3, 4, 10, 1).is_empty());
        assert_eq!(kmeans(&[0.0; 6], 3, 4, 10, 1).len(), 2);
        assert_eq!(kmeans(&[1.0, 0.0], 2, 5, 10, 1), [0]);
    }
}
