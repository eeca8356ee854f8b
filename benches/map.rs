//! Maps at city scale: 1,000,000 incident points binned and drawn, a
//! choropleth of 1,000 district polygons joined spatially to those points,
//! and a 100,000-feature GeoJSON read.
//!
//! Run: `cargo bench --bench map`. Prints, for each, the median of a few
//! runs of the computation (off the UI thread in the app) and the median
//! and 95th percentile of 300 frames of the map panel drawn headlessly (an
//! egui context, no window: walkers' map, the layer's meshes, legend and
//! scale bar, tessellated — the UI thread's work each frame the map shows).
//! The data is generated here with a fixed seed and also written to the
//! temporary folder for `benches/map_vs_geopandas.py`, which times
//! geopandas on the same files.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use cityops::app::panels::{PanelStyle, chart_ui};
use cityops::app::state::Basemap;
use cityops::charts::{self, Aggregation, ChartData, ChartKind, ChartSpec, MapLayer};
use cityops::data::timeseries::TimeRange;
use cityops::data::{Column, Dataset, Source, Table};

#[path = "common/frames.rs"]
mod frames;
use frames::{percentile, time_frames};

/// A small xorshift generator: the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The city's extent: about 40 × 40 km around Chicago.
const WEST: f64 = -87.94;
const SOUTH: f64 = 41.64;
const SIDE: f64 = 0.36;

/// `n` incidents, denser towards the centre.
fn incidents(n: usize) -> Dataset {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut lon, mut lat, mut sev) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let r = rng.next() * rng.next();
        let a = rng.next() * std::f64::consts::TAU;
        lon.push(WEST + SIDE / 2.0 + r * a.cos() * SIDE / 2.0);
        lat.push(SOUTH + SIDE / 2.0 + r * a.sin() * SIDE / 2.0);
        sev.push((rng.next() * 5.0).floor());
    }
    Dataset::from_table(
        "incidents",
        Source::Derived("bench".to_owned()),
        Table::new(vec![
            Column::from_f64("longitude", lon),
            Column::from_f64("latitude", lat),
            Column::from_f64("severity", sev),
        ])
        .unwrap(),
        jiff::tz::TimeZone::UTC,
    )
}

/// A GeoJSON FeatureCollection of `k` × `k` districts over the city, each
/// a 12-sided ring with jittered vertices.
fn districts_geojson(k: usize) -> String {
    let mut rng = Rng(42);
    let mut out = String::from("{\"type\": \"FeatureCollection\", \"features\": [\n");
    let cell = SIDE / k as f64;
    for i in 0..k * k {
        let (cx, cy) = (
            WEST + (i % k) as f64 * cell + cell / 2.0,
            SOUTH + (i / k) as f64 * cell + cell / 2.0,
        );
        if i > 0 {
            out.push_str(",\n");
        }
        write!(
            out,
            "{{\"type\": \"Feature\", \"properties\": {{\"name\": \"D{i}\", \"pop\": {}}}, \"geometry\": {{\"type\": \"Polygon\", \"coordinates\": [[",
            1000 + i
        )
        .unwrap();
        let ring: Vec<(f64, f64)> = (0..12)
            .map(|v| {
                let a = f64::from(v) / 12.0 * std::f64::consts::TAU;
                let r = cell * (0.42 + 0.08 * rng.next());
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        // A closed ring: the first position again at the end.
        for (v, (x, y)) in ring.iter().chain(ring.first()).enumerate() {
            if v > 0 {
                out.push(',');
            }
            write!(out, "[{x:.6},{y:.6}]").unwrap();
        }
        out.push_str("]]}}");
    }
    out.push_str("\n]}\n");
    out
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), last.unwrap())
}

/// Median and p95 of 300 frames of one map panel, 1200 × 800 points.
fn frames(data: &ChartData) -> (Duration, Duration, usize) {
    let ctx = egui::Context::default();
    cityops::app::theme::apply(&ctx, cityops::app::theme::Theme::Dark);
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1200.0, 800.0));
    let tz = jiff::tz::TimeZone::UTC;
    let f = time_frames(&ctx, screen, &mut |ui: &mut egui::Ui| {
        egui::CentralPanel::default().show(ui, |ui| {
            let style = PanelStyle {
                height: 760.0,
                link: None,
                export_name: "map".to_owned(),
                large: false,
            };
            chart_ui(ui, data, &tz, &style, &Basemap::None);
        });
    });
    (f.median, f.p95, f.triangles)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let points = incidents(1_000_000);
    let bins = ChartSpec {
        kind: ChartKind::MapPoints,
        dataset: "incidents".to_owned(),
        measures: vec!["severity".to_owned()],
        aggregation: Aggregation::Mean,
        layer: MapLayer::Bins,
        ..ChartSpec::default()
    };
    let (t, bin_data) = time(5, || {
        charts::compute(&bins, &points, TimeRange::default(), &()).unwrap()
    });
    let data = bin_data.clone();
    let n_bins = data.map.as_ref().map_or(0, |m| m.bins.len());
    println!(
        "bins of 1,000,000 points (mean severity): {n_bins} bins computed in {:.0} ms (median of 5)",
        ms(t)
    );
    let (median, p95, tris) = frames(&data);
    println!(
        "  map frame with the bins ({tris} triangles): median {:.2} ms, p95 {:.2} ms (300 frames)",
        ms(median),
        ms(p95)
    );

    let text = districts_geojson(32);
    let (t, geo) = time(5, || {
        cityops::data::geojson::parse_geojson(&text, &()).unwrap()
    });
    println!(
        "GeoJSON of {} polygons ({:.1} MB) read in {:.1} ms (median of 5)",
        geo.shapes.len(),
        text.len() as f64 / 1e6,
        ms(t)
    );
    let mut districts = Dataset::from_table(
        "districts",
        Source::Derived("bench".to_owned()),
        geo.table,
        jiff::tz::TimeZone::UTC,
    );
    districts.geometry = Some(std::sync::Arc::new(geo.shapes));
    let choropleth = ChartSpec {
        layer: MapLayer::Choropleth,
        measures: Vec::new(),
        aggregation: Aggregation::Count,
        geometry: Some("districts".to_owned()),
        ..bins
    };
    let (t, data) = time(5, || {
        charts::compute_with(
            &choropleth,
            &points,
            Some(&districts),
            TimeRange::default(),
            &(),
        )
        .unwrap()
    });
    let counted: f64 = data.map.as_ref().map_or(0.0, |m| {
        m.areas
            .iter()
            .map(|a| a.value)
            .filter(|v| v.is_finite())
            .sum()
    });
    println!(
        "choropleth: 1,000,000 points joined to 1,024 polygons by location in {:.0} ms ({counted} points inside one; median of 5)",
        ms(t)
    );
    let (median, p95, tris) = frames(&data);
    println!(
        "  map frame with the choropleth ({tris} triangles): median {:.2} ms, p95 {:.2} ms (300 frames)",
        ms(median),
        ms(p95)
    );

    // Both on one map: the districts under the bins at half opacity.
    let mut layered = data;
    layered.overlays.push(cityops::charts::Overlay {
        title: "bins".to_owned(),
        look: cityops::charts::LayerLook {
            visible: true,
            opacity: 0.5,
        },
        data: Some(bin_data),
        error: None,
    });
    let (median, p95, tris) = frames(&layered);
    println!(
        "  map frame with the choropleth and the bins as a second layer ({tris} triangles): median {:.2} ms, p95 {:.2} ms (300 frames)",
        ms(median),
        ms(p95)
    );

    let big = districts_geojson(317);
    // The same data as files, for benches/map_vs_geopandas.py.
    let dir = std::env::temp_dir();
    std::fs::write(dir.join("cityops_bench_districts_1024.geojson"), &text).unwrap();
    std::fs::write(dir.join("cityops_bench_districts_100k.geojson"), &big).unwrap();
    let mut csv = String::with_capacity(40_000_000);
    csv.push_str("longitude,latitude,severity\n");
    let (lon, lat, sev) = (
        points.table.column("longitude").unwrap(),
        points.table.column("latitude").unwrap(),
        points.table.column("severity").unwrap(),
    );
    for r in 0..points.table.n_rows() {
        writeln!(
            csv,
            "{:.6},{:.6},{}",
            lon.f64_at(r).unwrap(),
            lat.f64_at(r).unwrap(),
            sev.f64_at(r).unwrap()
        )
        .unwrap();
    }
    std::fs::write(dir.join("cityops_bench_points_1m.csv"), csv).unwrap();
    let (t, geo) = time(3, || {
        cityops::data::geojson::parse_geojson(&big, &()).unwrap()
    });
    println!(
        "GeoJSON of {} features ({:.0} MB) read in {:.0} ms (median of 3)",
        geo.shapes.len(),
        big.len() as f64 / 1e6,
        ms(t)
    );
}
