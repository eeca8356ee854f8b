//! CSV loading speed and memory on a 1,000,000-row, 7-column traffic file.
//!
//! Run: `cargo bench --bench csv_load`. The file is generated once (seeded)
//! in the system temp folder; the memory figure (table bytes against the
//! file's bytes) is printed before the timings.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use cityops::data::csv_load::{LoadOptions, load_csv_file};

const ROWS: usize = 1_000_000;

fn traffic_csv() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::temp_dir().join("cityops_bench_traffic_1m.csv");
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > 40_000_000) {
            return path;
        }
        let file = std::fs::File::create(&path).expect("create bench file");
        let mut w = std::io::BufWriter::new(file);
        writeln!(
            w,
            "timestamp,sensor_id,road,volume_veh_per_hour,speed_kmh,occupancy_pct,incident"
        )
        .unwrap();
        let roads = [
            "Main St",
            "Lake Shore Dr",
            "Western Ave",
            "Ashland Ave",
            "I-90",
        ];
        let mut state = 42u64;
        let start = 1_786_338_000i64; // 2026-08-10T05:00:00Z
        for i in 0..ROWS {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let r = (state >> 33) as u32;
            let sensor = i % 100;
            let hour = (i / 100) as i64;
            let ts = jiff::Timestamp::from_second(start + hour * 3600).unwrap();
            writeln!(
                w,
                "{},S{:03},{},{},{:.1},{:.2},{}",
                ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                sensor,
                roads[sensor % roads.len()],
                200 + r % 1800,
                20.0 + f64::from(r % 900) / 10.0,
                f64::from(r % 10_000) / 100.0,
                if r.is_multiple_of(97) { "yes" } else { "no" }
            )
            .unwrap();
        }
        w.flush().unwrap();
        path
    })
}

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
