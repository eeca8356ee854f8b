//! Item-CF on a synthetic city: 6,000 residents × 4,000 services ×
//! 1,000,000 distinct interactions with power-law service popularity. Measures
//! building the item–item model (top-50 neighbours per service) and
//! producing the top 10 for every resident, on both cores; and user-CF
//! (50 most similar residents found for each resident) for every resident.
//!
//! Run: `cargo bench --bench recommend`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::sync::Arc;

use cityops::data::rng::Rng;
use cityops::recommend::{CfParams, Csr, Interactions, Method, Recommender, item_neighbours};

const USERS: usize = 6_000;
const ITEMS: usize = 4_000;
const INTERACTIONS: usize = 1_000_000;

fn synthetic() -> Interactions {
    let mut rng = Rng::new(7);
    // Zipf-like popularity: weight of item i ∝ 1 / (i + 10)^0.9.
    let weights: Vec<f64> = (0..ITEMS)
        .map(|i| 1.0 / ((i + 10) as f64).powf(0.9))
        .collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(ITEMS);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cdf.push(acc);
    }
    // Draw pairs until 1,000,000 distinct (resident, service) pairs exist.
    let mut seen = std::collections::HashSet::with_capacity(INTERACTIONS);
    let mut triples: Vec<(u32, u32, f32)> = Vec::with_capacity(INTERACTIONS);
    while triples.len() < INTERACTIONS {
        let u = rng.below(USERS).unwrap() as u32;
        let x = rng.uniform();
        let i = cdf.partition_point(|&c| c < x).min(ITEMS - 1) as u32;
        if seen.insert((u, i)) {
            triples.push((u, i, 1.0));
        }
    }
    Interactions {
        users: (0..USERS).map(|u| format!("R{u:05}")).collect(),
        items: (0..ITEMS).map(|i| format!("S{i:04}")).collect(),
        user_items: Csr::from_triples(USERS, ITEMS, &mut triples),
        explicit: false,
        times: None,
    }
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 3)]
fn item_item_model_6k_x_4k_x_1m(bencher: divan::Bencher) {
    let inter = synthetic();
    bencher.bench(|| item_neighbours(&inter, &CfParams::default(), &()).unwrap());
}

#[divan::bench(sample_count = 3)]
fn build_and_top10_for_every_user(bencher: divan::Bencher) {
    let inter = Arc::new(synthetic());
    bencher.bench(|| {
        let rec = Recommender::build(Arc::clone(&inter), Method::ItemCf, CfParams::default(), &())
            .unwrap();
        rec.recommend_all(10, &()).unwrap()
    });
}

#[divan::bench(sample_count = 3)]
fn user_cf_top10_for_every_user(bencher: divan::Bencher) {
    let inter = Arc::new(synthetic());
    bencher.bench(|| {
        let rec = Recommender::build(Arc::clone(&inter), Method::UserCf, CfParams::default(), &())
            .unwrap();
        rec.recommend_all(10, &()).unwrap()
    });
}
