//! Timing frames drawn headlessly (an egui context, no window): layout and
//! tessellation, what the UI thread does each frame — shared by the chart
//! and map benchmarks.

use std::time::{Duration, Instant};

/// The `p`-quantile (nearest rank) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[rank]
}

/// Median and 95th percentile of the frames, and the triangles of the last.
pub struct FrameTimes {
    pub median: Duration,
    pub p95: Duration,
    pub triangles: usize,
}

/// Draws `draw` on `screen` 10 times to settle fonts and plot bounds, then
/// times 300 frames.
pub fn time_frames(
    ctx: &egui::Context,
    screen: egui::Rect,
    draw: &mut dyn FnMut(&mut egui::Ui),
) -> FrameTimes {
    let mut frame = || {
        let input = egui::RawInput {
            screen_rect: Some(screen),
            ..Default::default()
        };
        let mut out = ctx.run_ui(input, |ui| draw(ui));
        out.textures_delta.clear();
        ctx.tessellate(out.shapes, out.pixels_per_point)
    };
    for _ in 0..10 {
        frame();
    }
    let mut times = Vec::new();
    let mut triangles = 0;
    for _ in 0..300 {
        let t = Instant::now();
        let prims = frame();
        times.push(t.elapsed());
        triangles = prims
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.indices.len() / 3,
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum::<usize>();
    }
    times.sort();
    FrameTimes {
        median: percentile(&times, 0.5),
        p95: percentile(&times, 0.95),
        triangles,
    }
}
