//! Long to wide at the size of a year of EPA hourly data for a city:
//! 1,000,000 readings (50 sites × 5,000 hours × 4 pollutants) pivoted to
//! 250,000 rows × 4 pollutant columns, keyed by time and site.
//!
//! Run: `cargo bench --bench pivot`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use cityops::data::pivot::{PivotSpec, pivot_wider};
use cityops::data::rng::Rng;
use cityops::data::{Column, Table};

const SITES: usize = 50;
const HOURS: usize = 5_000;
const PARAMETERS: [&str; 4] = [
    "Ozone",
    "PM2.5 - Local Conditions",
    "Nitrogen dioxide (NO2)",
    "PM10 Total 0-10um STP",
];

fn long() -> Table {
    let mut rng = Rng::new(3);
    let n = SITES * HOURS * PARAMETERS.len();
    let mut time = Vec::with_capacity(n);
    let mut site = Vec::with_capacity(n);
    let mut name = Vec::with_capacity(n);
    let mut value = Vec::with_capacity(n);
    for h in 0..HOURS {
        for s in 0..SITES {
            for p in PARAMETERS {
                time.push(h as i64 * 3_600_000_000);
                site.push(format!("{s:04}"));
                name.push(p);
                value.push(rng.uniform() * 50.0);
            }
        }
    }
    Table::new(vec![
        Column::from_timestamps("Datetime GMT", time),
        Column::categorical("Site Num", &site),
        Column::categorical("Parameter Name", &name),
        Column::from_f64("Sample Measurement", value),
    ])
    .unwrap()
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 5)]
fn pivot_1m_readings(bencher: divan::Bencher) {
    let table = long();
    let spec = PivotSpec {
        keys: vec![0, 1],
        names: 2,
        values: 3,
    };
    bencher
        .counter(divan::counter::ItemsCount::new(table.n_rows()))
        .bench(|| {
            let out = pivot_wider(&table, &spec, &()).unwrap();
            assert_eq!(out.table.n_rows(), SITES * HOURS);
            out
        });
}
