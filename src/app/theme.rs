//! Design tokens: colours, sizes and fonts for the whole dashboard. Views
//! take colours from here, never from literals, so presentation mode and
//! themes change one place.

use egui::{Color32, FontFamily, FontId, TextStyle};

pub use super::state::Theme;

/// The Okabe–Ito palette: eight colours that stay distinct for the common
/// forms of colour blindness, used for series and categories.
pub const SERIES: [Color32; 8] = [
    Color32::from_rgb(0, 114, 178),   // blue
    Color32::from_rgb(230, 159, 0),   // orange
    Color32::from_rgb(0, 158, 115),   // bluish green
    Color32::from_rgb(204, 121, 167), // reddish purple
    Color32::from_rgb(86, 180, 233),  // sky blue
    Color32::from_rgb(213, 94, 0),    // vermillion
    Color32::from_rgb(240, 228, 66),  // yellow
    Color32::from_rgb(150, 150, 150), // grey
];

pub fn series_color(i: usize) -> Color32 {
    SERIES[i % SERIES.len()]
}

pub const GOOD: Color32 = Color32::from_rgb(0, 158, 115);
pub const WARN: Color32 = Color32::from_rgb(230, 159, 0);
pub const BAD: Color32 = Color32::from_rgb(213, 94, 0);
pub const ERROR_BG: Color32 = Color32::from_rgb(90, 24, 20);
const ERROR_BG_LIGHT: Color32 = Color32::from_rgb(255, 214, 204);

/// The background of error and alert banners, readable in either theme.
pub fn error_bg(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        ERROR_BG
    } else {
        ERROR_BG_LIGHT
    }
}

pub const MUTED: Color32 = Color32::from_gray(150);

/// Congestion from 0 (free flow) to 1 (stopped): green → yellow → red.
pub fn congestion_color(level: f64) -> Color32 {
    let t = level.clamp(0.0, 1.0) as f32;
    let (a, b, u) = if t < 0.5 {
        ([0u8, 158, 115], [240u8, 228, 66], t * 2.0)
    } else {
        ([240, 228, 66], [213, 94, 0], (t - 0.5) * 2.0)
    };
    let mix = |i: usize| (f32::from(a[i]) + (f32::from(b[i]) - f32::from(a[i])) * u) as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// A sequential colour ramp for heatmaps (dark blue → yellow), readable in
/// both themes and for colour-blind viewers (viridis-like stops).
pub fn ramp(t: f64) -> Color32 {
    const STOPS: [[u8; 3]; 5] = [
        [68, 1, 84],
        [59, 82, 139],
        [33, 145, 140],
        [94, 201, 98],
        [253, 231, 37],
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let u = (t - i as f64) as f32;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |k: usize| (f32::from(a[k]) + (f32::from(b[k]) - f32::from(a[k])) * u) as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

pub fn aqi_color(aqi: f64) -> Color32 {
    let cat = crate::data::aqi::AqiCategory::from_aqi(aqi.clamp(0.0, 500.0) as u16);
    let [r, g, b] = cat.rgb();
    Color32::from_rgb(r, g, b)
}

pub const PLOT_HEIGHT: f32 = 260.0;
pub const SMALL_PLOT_HEIGHT: f32 = 200.0;
pub const SPARKLINE_HEIGHT: f32 = 48.0;
pub const KPI_WIDTH: f32 = 260.0;
pub const NAV_WIDTH: f32 = 170.0;
pub const LINE_WIDTH: f32 = 1.6;

/// Type scale: a little larger than egui's default so plots and numbers
/// read at a distance.
pub fn apply(ctx: &egui::Context, theme: Theme) {
    ctx.set_visuals(match theme {
        Theme::Dark => egui::Visuals::dark(),
        Theme::Light => egui::Visuals::light(),
    });
    let mut style = (*ctx.global_style()).clone();
    style.text_styles = [
        (
            TextStyle::Heading,
            FontId::new(22.0, FontFamily::Proportional),
        ),
        (TextStyle::Body, FontId::new(15.0, FontFamily::Proportional)),
        (
            TextStyle::Monospace,
            FontId::new(14.0, FontFamily::Monospace),
        ),
        (
            TextStyle::Button,
            FontId::new(15.0, FontFamily::Proportional),
        ),
        (
            TextStyle::Small,
            FontId::new(12.0, FontFamily::Proportional),
        ),
    ]
    .into();
    style.spacing.item_spacing = egui::vec2(8.0, 6.0);
    ctx.set_global_style(style);
}

pub fn kpi_value_font() -> FontId {
    FontId::new(30.0, FontFamily::Proportional)
}

/// Presentation mode's look: everything larger (zoom), and a high-contrast
/// dark theme — black background, white text, stronger lines and borders.
/// `false` restores the normal look.
pub fn set_presentation(ctx: &egui::Context, on: bool, theme: Theme) {
    if !on {
        ctx.set_zoom_factor(1.0);
        apply(ctx, theme);
        return;
    }
    ctx.set_zoom_factor(super::present::ZOOM);
    let mut v = egui::Visuals::dark();
    v.override_text_color = Some(Color32::WHITE);
    v.panel_fill = Color32::BLACK;
    v.window_fill = Color32::BLACK;
    v.extreme_bg_color = Color32::BLACK;
    v.faint_bg_color = Color32::from_gray(24);
    v.widgets.noninteractive.bg_stroke = egui::Stroke::new(1.5, Color32::from_gray(140));
    v.widgets.noninteractive.fg_stroke = egui::Stroke::new(1.5, Color32::WHITE);
    v.widgets.inactive.fg_stroke = egui::Stroke::new(1.5, Color32::WHITE);
    ctx.set_visuals(v);
}
