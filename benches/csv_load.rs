//! CSV loading speed and memory on a 1,000,000-row, 7-column traffic file.
//!
//! Run: `cargo bench --bench csv_load`. The file is generated once (seeded)
//! in the system temp folder; the memory figure (table bytes against the
//! file's bytes) is printed before the timings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use cityops::data::csv_load::{LoadOptions, load_csv_file};

#[path = "common/traffic_csv.rs"]
mod traffic_csv;
use traffic_csv::traffic_csv;

fn main() {
    let path = traffic_csv();
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let loaded = load_csv_file(path, &LoadOptions::default(), &()).expect("load");
    let table_bytes = loaded.table.heap_bytes();
    // The values' natural binary size: 8 bytes per number or timestamp,
    // 4 per dictionary code, 1 per bool.
    let value_bytes: usize = loaded
        .table
        .columns
        .iter()
        .map(|c| {
            let per = match c.kind() {
                cityops::data::ColumnKind::Bool => 1,
                cityops::data::ColumnKind::Categorical => 4,
                _ => 8,
            };
            per * c.len()
        })
        .sum();
    eprintln!(
        "csv_load: {} rows x {} columns; file {:.1} MB; table in memory {:.1} MB ({:.2}x the file, {:.2}x the values' binary size)",
        loaded.table.n_rows(),
        loaded.table.n_columns(),
        file_bytes as f64 / 1e6,
        table_bytes as f64 / 1e6,
        table_bytes as f64 / file_bytes as f64,
        table_bytes as f64 / value_bytes as f64,
    );
    divan::main();
}

#[divan::bench(sample_count = 10)]
fn load_1m_rows_7_columns(bencher: divan::Bencher) {
    let path = traffic_csv();
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    bencher
        .counter(divan::counter::BytesCount::new(bytes))
        .bench(|| load_csv_file(path, &LoadOptions::default(), &()).expect("load"));
}
