//! A small, seeded pseudo-random number generator for generated data.
//!
//! The demo city, test fixtures and benchmarks need random numbers that are
//! the same on every machine and every run for a given seed, and that do not
//! pull in a dependency. [`Rng`] is SplitMix64: a 64-bit counter advanced by
//! an odd constant (the golden ratio scaled to 2^64) and passed through a
//! mixing function. It is fast and statistically good enough for synthetic
//! data; it is **not** suitable for anything security related.
//!
//! This module depends on nothing but `std`.

use std::f64::consts::TAU;

/// The increment of the SplitMix64 counter: 2^64 divided by the golden ratio,
/// rounded to an odd number.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Above this mean, [`Rng::poisson`] uses a normal approximation instead of
/// multiplying uniforms (which needs about λ draws and underflows for big λ).
const POISSON_NORMAL_ABOVE: f64 = 30.0;

/// A deterministic SplitMix64 generator. Equal seeds give equal sequences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A new, independent generator seeded from this one: handy to give each
    /// part of a generator its own stream so that adding draws in one part
    /// does not shift the numbers of another.
    pub fn fork(&mut self) -> Self {
        Self::new(self.next_u64())
    }

    /// The next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float uniformly distributed in `[0, 1)`, with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }

    /// A float uniformly distributed in `[lo, hi)` (in `(hi, lo]` when the
    /// bounds are swapped).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// An integer uniformly distributed in `0..n`; `None` when `n` is zero.
    ///
    /// Uses the high half of a 128-bit product, whose bias (at most n / 2^64)
    /// is far below anything synthetic data could show.
    pub fn below(&mut self, n: usize) -> Option<usize> {
        if n == 0 {
            return None;
        }
        let wide = u128::from(self.next_u64()) * n as u128;
        Some((wide >> 64) as usize)
    }

    /// An integer uniformly distributed in `lo..=hi`; `lo` when `hi < lo`.
    pub fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = hi.abs_diff(lo).saturating_add(1);
        let wide = u128::from(self.next_u64()) * u128::from(span);
        lo.wrapping_add((wide >> 64) as i64)
    }

    /// A normally distributed float (Box–Muller transform).
    ///
    /// Each call uses two uniforms and throws the second normal away, which
    /// keeps the generator's state a single number.
    pub fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let radius_sq = 1.0 - self.uniform();
        let angle = TAU * self.uniform();
        mean + sd * (-2.0 * radius_sq.ln()).sqrt() * angle.cos()
    }

    /// An exponentially distributed float with the given mean (waiting times,
    /// rain intensities). Non-positive or NaN means give 0.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        if mean.is_nan() || mean <= 0.0 {
            return 0.0;
        }
        // 1 - u lies in (0, 1], so the logarithm is finite.
        -mean * (1.0 - self.uniform()).ln()
    }

    /// `true` with probability `p`: never for `p <= 0` or NaN, always for
    /// `p >= 1`.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A Poisson-distributed count with mean `lambda`.
    ///
    /// For small means this multiplies uniforms until the product falls below
    /// e^-λ (Knuth's method); above a mean of 30 it rounds a normal draw with
    /// mean and variance λ. Non-positive or NaN means give 0.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda.is_nan() || lambda <= 0.0 {
            return 0;
        }
        if lambda > POISSON_NORMAL_ABOVE {
            let draw = self.normal(lambda, lambda.sqrt()).round();
            return if draw > 0.0 { draw as u64 } else { 0 };
        }
        let threshold = (-lambda).exp();
        let mut count = 0;
        let mut product = self.uniform();
        while product > threshold {
            count += 1;
            product *= self.uniform();
        }
        count
    }

    /// A uniformly chosen element; `None` for an empty slice.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let index = self.below(items.len())?;
        items.get(index)
    }

    /// An index drawn with probability proportional to its weight.
    ///
    /// Negative, NaN and infinite weights count as zero. `None` when no weight
    /// is positive.
    pub fn weighted_index(&mut self, weights: &[f64]) -> Option<usize> {
        let usable = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
        let total: f64 = weights.iter().map(|&w| usable(w)).sum();
        if total <= 0.0 || !total.is_finite() {
            return None;
        }
        let target = self.uniform() * total;
        let mut cumulative = 0.0;
        let mut last_positive = None;
        for (index, &w) in weights.iter().enumerate() {
            let w = usable(w);
            if w <= 0.0 {
                continue;
            }
            cumulative += w;
            last_positive = Some(index);
            if target < cumulative {
                return Some(index);
            }
        }
        // Rounding can leave `target` a hair above the running sum.
        last_positive
    }

    /// Shuffles a slice in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            if let Some(j) = self.below(i + 1) {
                items.swap(i, j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_sd(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    #[test]
    fn same_seed_gives_same_sequence() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Rng::new(43);
        let first_a: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let first_c: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_ne!(first_a, first_c);
    }

    #[test]
    fn splitmix_matches_reference_values() {
        // Reference outputs of SplitMix64 seeded with 0 (as published with
        // the algorithm and reproduced by many implementations).
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn uniform_stays_in_unit_interval_with_mean_one_half() {
        let mut rng = Rng::new(7);
        let values: Vec<f64> = (0..100_000).map(|_| rng.uniform()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let (mean, sd) = mean_and_sd(&values);
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
        // The standard deviation of U(0,1) is 1/sqrt(12) ≈ 0.2887.
        assert!((sd - 0.2887).abs() < 0.01, "sd {sd}");
    }

    #[test]
    fn range_respects_bounds() {
        let mut rng = Rng::new(1);
        for _ in 0..10_000 {
            let x = rng.range(-3.0, 5.0);
            assert!((-3.0..5.0).contains(&x));
            let k = rng.range_i64(-2, 2);
            assert!((-2..=2).contains(&k));
        }
        assert_eq!(rng.range_i64(5, 5), 5);
        assert_eq!(rng.below(0), None);
    }

    #[test]
    fn normal_has_requested_mean_and_spread() {
        let mut rng = Rng::new(2024);
        let values: Vec<f64> = (0..100_000).map(|_| rng.normal(10.0, 2.0)).collect();
        let (mean, sd) = mean_and_sd(&values);
        assert!((mean - 10.0).abs() < 0.05, "mean {mean}");
        assert!((sd - 2.0).abs() < 0.05, "sd {sd}");
    }

    #[test]
    fn poisson_mean_matches_lambda_in_both_regimes() {
        let mut rng = Rng::new(99);
        for lambda in [0.3, 4.0, 80.0] {
            let values: Vec<f64> = (0..50_000).map(|_| rng.poisson(lambda) as f64).collect();
            let (mean, sd) = mean_and_sd(&values);
            assert!(
                (mean - lambda).abs() < 0.03 * lambda.max(1.0),
                "{lambda}: {mean}"
            );
            assert!((sd - lambda.sqrt()).abs() < 0.05 * lambda.sqrt().max(1.0));
        }
        assert_eq!(rng.poisson(0.0), 0);
        assert_eq!(rng.poisson(f64::NAN), 0);
    }

    #[test]
    fn exponential_mean_matches() {
        let mut rng = Rng::new(8);
        let values: Vec<f64> = (0..100_000).map(|_| rng.exponential(2.0)).collect();
        assert!(values.iter().all(|&v| v >= 0.0));
        let (mean, _) = mean_and_sd(&values);
        assert!((mean - 2.0).abs() < 0.05, "mean {mean}");
        assert_eq!(rng.exponential(-1.0), 0.0);
    }

    #[test]
    fn bernoulli_frequency_matches_p() {
        let mut rng = Rng::new(5);
        let hits = (0..100_000).filter(|_| rng.bernoulli(0.3)).count();
        assert!((hits as f64 / 100_000.0 - 0.3).abs() < 0.01);
        assert!(!rng.bernoulli(0.0));
        assert!(rng.bernoulli(1.0));
    }

    #[test]
    fn choose_and_weighted_index_cover_edge_cases() {
        let mut rng = Rng::new(3);
        let empty: [u8; 0] = [];
        assert_eq!(rng.choose(&empty), None);
        assert_eq!(rng.choose(&[9]), Some(&9));
        assert_eq!(rng.weighted_index(&[]), None);
        assert_eq!(rng.weighted_index(&[0.0, -1.0, f64::NAN]), None);
        assert_eq!(rng.weighted_index(&[0.0, 2.0, 0.0]), Some(1));

        let mut counts = [0usize; 3];
        for _ in 0..30_000 {
            counts[rng.weighted_index(&[1.0, 0.0, 3.0]).unwrap()] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = counts[2] as f64 / 30_000.0;
        assert!((share - 0.75).abs() < 0.02, "share {share}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = Rng::new(11);
        let mut items: Vec<u32> = (0..50).collect();
        rng.shuffle(&mut items);
        assert_ne!(items, (0..50).collect::<Vec<_>>());
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }
}
