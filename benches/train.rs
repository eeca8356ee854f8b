//! Training (candle) and batch inference (`ml::dense`) throughput of the
//! tabular MLP on the CPU:
//! 100,000 rows × 100 features, the 64-64-1 network, batch 32, one epoch;
//! and batch inference over the same rows.
//!
//! Run: `cargo bench --bench train`. Figures are samples per second.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use cityops::data::Progress;
use cityops::data::rng::Rng;
use cityops::ml::trainer::{self, Targets, TrainConfig, TrainSet};

const ROWS: usize = 100_000;
const FEATURES: usize = 100;

fn data() -> TrainSet {
    let mut rng = Rng::new(1);
    let mut x = Vec::with_capacity(ROWS * FEATURES);
    let mut y = Vec::with_capacity(ROWS);
    for _ in 0..ROWS {
        let mut s = 0.0;
        for j in 0..FEATURES {
            let v = rng.normal(0.0, 1.0) as f32;
            if j < 10 {
                s += v;
            }
            x.push(v);
        }
        y.push(f32::from(u8::from(s > 0.0)));
    }
    TrainSet {
        x,
        width: FEATURES,
        y: Targets::Binary(y),
    }
}

struct Quiet;
impl Progress for Quiet {
    fn report(&self, _: f32, _: &str) {}
    fn is_cancelled(&self) -> bool {
        false
    }
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 3)]
fn train_one_epoch_100k_x_100(bencher: divan::Bencher) {
    let set = data();
    let empty = TrainSet {
        x: Vec::new(),
        width: FEATURES,
        y: Targets::Binary(Vec::new()),
    };
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 32,
        class_weights: false,
        ..Default::default()
    };
    bencher
        .counter(divan::counter::ItemsCount::new(ROWS))
        .bench(|| trainer::train(&set, &empty, &cfg, &Quiet, &mut |_| {}).expect("train"));
}

#[divan::bench(sample_count = 10)]
fn infer_100k_x_100(bencher: divan::Bencher) {
    let set = data();
    let empty = TrainSet {
        x: Vec::new(),
        width: FEATURES,
        y: Targets::Binary(Vec::new()),
    };
    let cfg = TrainConfig {
        epochs: 1,
        class_weights: false,
        ..Default::default()
    };
    let out = trainer::train(&set, &empty, &cfg, &Quiet, &mut |_| {}).expect("train");
    bencher
        .counter(divan::counter::ItemsCount::new(ROWS))
        .bench(|| {
            trainer::forward_all(&out.weights, &out.config, &set.x, FEATURES).expect("infer")
        });
}
