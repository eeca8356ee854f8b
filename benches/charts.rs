//! Charts of the 1,000,000-row traffic CSV: the suggested charts found and
//! computed (`charts::suggest` + `charts::compute` over every row), and the
//! CPU time of one frame of a 12-panel dashboard of them, drawn headlessly
//! (an egui context, no window: layout of the panels' plots, heatmaps and
//! key figures, and tessellation into triangles — what the app does on the
//! UI thread every frame the dashboard is shown).
//!
//! Run: `cargo bench --bench charts`. Prints the median and the slowest of
//! 7 runs of the suggestions, the median and 95th percentile of 300
//! frames, and the time the software rasterizer takes to paint that
//! dashboard into a 2× PNG-sized image (3200 × 2000 pixels), the
//! background part of the dashboard's PNG export.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::time::Instant;

use cityops::app::panels::{PanelStyle, chart_ui};
use cityops::charts::{self, ChartData, ChartSpec};
use cityops::data::timeseries::TimeRange;
use cityops::data::{LoadOptions, load_dataset};

#[path = "common/frames.rs"]
mod frames;
#[path = "common/traffic_csv.rs"]
mod traffic_csv;
use frames::{percentile, time_frames};
use traffic_csv::traffic_csv;

fn suggest_and_compute(ds: &cityops::data::Dataset) -> Vec<(ChartSpec, ChartData)> {
    charts::suggest(ds)
        .into_iter()
        .map(|spec| {
            let data = charts::compute(&spec, ds, TimeRange::default(), &()).unwrap();
            (spec, data)
        })
        .collect()
}

fn main() {
    let path = traffic_csv();
    let ds = load_dataset(path, &LoadOptions::default(), &()).expect("load");

    let mut runs = Vec::new();
    let mut charts = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        charts = suggest_and_compute(&ds);
        runs.push(t.elapsed());
    }
    runs.sort();
    println!(
        "suggest + compute: {} charts of {} rows: median {:.0} ms, slowest {:.0} ms (7 runs)",
        charts.len(),
        ds.table.n_rows(),
        percentile(&runs, 0.5).as_secs_f64() * 1e3,
        runs[runs.len() - 1].as_secs_f64() * 1e3,
    );

    // Twelve panels: the suggestions, repeated if there are fewer.
    let panels: Vec<&(ChartSpec, ChartData)> = charts.iter().cycle().take(12).collect();
    let ctx = egui::Context::default();
    cityops::app::theme::apply(&ctx, cityops::app::theme::Theme::Dark);
    let tz = ds.time_zone.clone();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0));
    let draw = |ui: &mut egui::Ui| {
        egui::CentralPanel::default().show(ui, |ui| {
            egui::Grid::new("dashboard").num_columns(4).show(ui, |ui| {
                for (i, (spec, data)) in panels.iter().enumerate() {
                    ui.push_id(i, |ui| {
                        ui.vertical(|ui| {
                            ui.set_width(380.0);
                            ui.strong(&spec.title);
                            let style = PanelStyle {
                                height: 260.0,
                                link: None,
                                export_name: spec.title.clone(),
                                large: false,
                            };
                            chart_ui(ui, data, &tz, &style, &cityops::app::state::Basemap::None);
                        });
                    });
                    if i % 4 == 3 {
                        ui.end_row();
                    }
                }
            });
        });
    };
    let mut draw = draw;
    let f = time_frames(&ctx, screen, &mut draw);
    println!(
        "12-panel dashboard frame (1600 x 1000 points, {} triangles): median {:.2} ms, p95 {:.2} ms (300 frames)",
        f.triangles,
        f.median.as_secs_f64() * 1e3,
        f.p95.as_secs_f64() * 1e3,
    );

    // The same dashboard laid out at 2x as the PNG export does it.
    let drawn = cityops::app::png_export::draw_offscreen(
        |ctx| cityops::app::theme::apply(ctx, cityops::app::theme::Theme::Dark),
        screen.size(),
        2.0,
        &mut draw,
    )
    .unwrap();
    let mut paints = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let image = drawn.paint(None).unwrap();
        paints.push(t.elapsed());
        assert_eq!(image.size, [3200, 2000]);
    }
    paints.sort();
    println!(
        "software rasterizer: that dashboard at 2x (3200 x 2000 pixels): median {:.0} ms (5 runs)",
        percentile(&paints, 0.5).as_secs_f64() * 1e3
    );
}
