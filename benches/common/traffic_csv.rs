//! The benchmarks' 1,000,000-row, 7-column traffic CSV (100 sensors ×
//! 10,000 hours, seeded), written once to the system temp folder.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

const ROWS: usize = 1_000_000;

pub fn traffic_csv() -> &'static PathBuf {
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
