//! Draws a computed chart: lines and areas that break at gaps, bars over
//! time or by category (side by side or stacked), scatters, histograms,
//! heatmaps, points by longitude and latitude, and key figures.

use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Plot, PlotUi, Points};
use jiff::tz::TimeZone;

use super::PanelStyle;
use crate::app::i18n::{self, tr};
use crate::app::state::Basemap;
use crate::app::theme;
use crate::app::widgets::map::{LayerRef, MapStyle, MapView};
use crate::app::widgets::{self, TimeAxis};
use crate::charts::{ChartData, ChartKind, LayerLook, Reference, TimeBucket, XAxis, format_value};
use crate::trf;

/// Draws `data` at the style's height; returns a plot's response (for a
/// right-click menu that saves it as a PNG), if a plot was drawn. A map's
/// layers are shown as they were computed (see `chart_ui_with`).
pub fn chart_ui(
    ui: &mut egui::Ui,
    data: &ChartData,
    tz: &TimeZone,
    style: &PanelStyle,
    basemap: &Basemap,
) -> Option<egui::Response> {
    chart_ui_with(ui, data, tz, style, basemap, None)
}

/// [`chart_ui`] with a map's layers shown as `looks` says (the map's own
/// layer first, then one per overlay): the operator's toggles, applied
/// without computing the layers again.
pub fn chart_ui_with(
    ui: &mut egui::Ui,
    data: &ChartData,
    tz: &TimeZone,
    style: &PanelStyle,
    basemap: &Basemap,
    looks: Option<&[LayerLook]>,
) -> Option<egui::Response> {
    let y_label = i18n::value_label(&data.y_label);
    if let Some(h) = &data.heatmap {
        let rows = h.row_labels.len().max(1) as f32;
        let row_labels: Vec<String> = h
            .row_labels
            .iter()
            .map(|l| i18n::weekday_label(l))
            .collect();
        let cell_h = ((style.height - 20.0) / rows).clamp(10.0, 28.0);
        widgets::grid_heatmap_ui(
            ui,
            &row_labels,
            &h.column_labels,
            &h.values,
            &y_label,
            cell_h,
        );
        return None;
    }
    if data.kind == ChartKind::Kpi {
        kpi_ui(ui, data, tz);
        return None;
    }
    if data.kind == ChartKind::Table {
        super::table_ui(ui, "", data, tz, style.height);
        return None;
    }
    if data.x == XAxis::Map {
        return Some(map_ui(ui, data, style, basemap, looks));
    }
    if data.series.iter().all(|s| s.drawn() == 0) {
        widgets::missing_ui(ui, tr("No values to draw in the selected time range."));
        return None;
    }
    // What the values are, above the plot (a rotated axis label of a long
    // column name would run off a small panel).
    ui.label(RichText::new(&y_label).small().color(theme::MUTED));
    let mut key_height = 0.0;
    if data.reference == Reference::AqiBands {
        let top = ui.cursor().top();
        widgets::aqi_key_ui(ui);
        key_height = ui.cursor().top() - top;
    }
    let mut plot = Plot::new(("chart", &style.export_name))
        .height((style.height - 18.0 - key_height).max(60.0))
        .allow_scroll(false);
    if data.series.len() > 1 {
        plot = plot.legend(Legend::default().follow_insertion_order(true));
    }
    let shown = match &data.x {
        XAxis::Time => {
            if let Some(id) = style.link {
                plot = plot
                    .link_axis(id, [true, false])
                    .link_cursor(id, [true, false]);
            }
            let axis = TimeAxis::new(tz.clone());
            axis.apply(plot, &y_label)
                .show(ui, |p| time_series(p, data))
        }
        XAxis::Category(labels) => {
            category_plot(plot, labels, data.kind).show(ui, |p| categories(p, data))
        }
        XAxis::Map => return None,
        XAxis::Numeric(name) => {
            let plot = plot.x_axis_label(name.clone());
            match data.kind {
                ChartKind::Histogram => plot.show(ui, |p| histogram(p, data)),
                ChartKind::Scatter => plot.show(ui, |p| points(p, data, 1.5)),
                _ => plot.show(ui, |p| lines(p, data)),
            }
        }
        XAxis::None => return None,
    };
    Some(shown.response)
}

/// Where a map panel's click is left for the panel to take.
pub fn pick_id(export_name: &str) -> egui::Id {
    egui::Id::unique(("map_pick", export_name))
}

/// A map of the data on the basemap, its view kept in the context's
/// memory under the panel's name, and the basemap's tile status under it.
fn map_ui(
    ui: &mut egui::Ui,
    data: &ChartData,
    style: &PanelStyle,
    basemap: &Basemap,
    looks: Option<&[LayerLook]>,
) -> egui::Response {
    let layers = LayerRef::stack(data, looks);
    let empty = layers.iter().all(|l| {
        l.data.series.iter().all(|s| s.drawn() == 0)
            && l.data.map.as_ref().is_none_or(|m| m.bounds.is_none())
    });
    if empty {
        widgets::missing_ui(ui, tr("No places to draw in the selected time range."));
    }
    for o in &data.overlays {
        if let Some(e) = &o.error {
            ui.label(
                RichText::new(trf!("The layer {} cannot be drawn: {}.", o.title, e))
                    .small()
                    .color(theme::WARN),
            );
        }
    }
    let id = egui::Id::unique(("map_view", &style.export_name));
    let mut view: MapView = ui.data_mut(|d| d.get_temp(id)).unwrap_or_default();
    let status_h = if matches!(basemap, Basemap::Xyz { .. }) {
        18.0
    } else {
        0.0
    };
    let map_style = MapStyle {
        basemap,
        size: egui::vec2(ui.available_width(), (style.height - status_h).max(80.0)),
        large: style.large,
    };
    let (response, status, pick) = view.ui(ui, &layers, &map_style);
    ui.data_mut(|d| d.insert_temp(id, view));
    if let Some(pick) = pick {
        // For the panel, which turns it into a selection (`ChartPanel`).
        ui.data_mut(|d| d.insert_temp(pick_id(&style.export_name), pick));
    }
    if let Some(st) = status {
        let text = if let Some(e) = st.last_error.as_ref().filter(|_| st.failed > 0) {
            Some((
                theme::WARN,
                trf!("{} basemap tiles could not be loaded: {}", st.failed, e),
            ))
        } else if st.loading > 0 {
            Some((theme::MUTED, trf!("Loading {} basemap tiles…", st.loading)))
        } else {
            None
        };
        if let Some((color, text)) = text {
            ui.label(RichText::new(text).small().color(color));
        }
    }
    response
}

fn color(i: usize) -> egui::Color32 {
    theme::series_color(i)
}

/// Lines (or filled areas) through each series, broken at gaps; a
/// series' usual level dashed in its colour.
fn lines(p: &mut PlotUi<'_>, data: &ChartData) {
    if data.reference == Reference::AqiBands {
        widgets::aqi_bands(p);
    }
    let (mut line, mut usual) = (0, 0);
    // One series' usual level in grey (its colour would blend in), several
    // series' in their colours.
    let single = data.series.iter().filter(|s| !s.usual).count() == 1;
    for s in &data.series {
        // The usual levels follow the series in the same order.
        let i = if s.usual {
            usual += 1;
            usual - 1
        } else {
            line += 1;
            line - 1
        };
        if s.usual {
            for run in s.points.split(|pt| !pt[1].is_finite()) {
                if run.len() > 1 {
                    p.line(
                        egui_plot::Line::new(s.name.clone(), run.to_vec())
                            .color(if single { theme::MUTED } else { color(i) })
                            .width(theme::LINE_WIDTH * 0.8)
                            .style(egui_plot::LineStyle::dashed_dense()),
                    );
                }
            }
        } else if data.kind == ChartKind::Area {
            for run in s.points.split(|pt| !pt[1].is_finite()) {
                if !run.is_empty() {
                    p.line(
                        egui_plot::Line::new(s.name.clone(), run.to_vec())
                            .color(color(i))
                            .width(theme::LINE_WIDTH)
                            .fill(0.0)
                            .fill_alpha(0.25),
                    );
                }
            }
        } else {
            widgets::gapped_line(p, &s.name, &s.points, color(i), theme::LINE_WIDTH);
        }
    }
}

/// The width of one bucket: the smallest step between points.
fn step(data: &ChartData) -> f64 {
    data.series
        .iter()
        .flat_map(|s| s.points.windows(2).map(|w| w[1][0] - w[0][0]))
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min)
        .min(1e12)
}

fn time_series(p: &mut PlotUi<'_>, data: &ChartData) {
    match data.kind {
        ChartKind::Bar | ChartKind::StackedBar => {
            let w = step(data);
            let w = if w.is_finite() { w } else { 86_400.0 };
            bars(p, data, |x| x + w / 2.0, w * 0.9, false, |_| String::new());
        }
        _ => lines(p, data),
    }
}

/// Bars for every series at `place(x)`: stacked for a stacked chart, else
/// side by side within `width`.
fn bars(
    p: &mut PlotUi<'_>,
    data: &ChartData,
    place: impl Fn(f64) -> f64,
    width: f64,
    horizontal: bool,
    name_of: impl Fn(f64) -> String,
) {
    let stacked = data.kind == ChartKind::StackedBar;
    let n = data.series.len().max(1) as f64;
    let each = if stacked { width } else { width / n };
    let mut charts: Vec<BarChart> = Vec::new();
    for (i, s) in data.series.iter().enumerate() {
        let offset = if stacked {
            0.0
        } else {
            (i as f64 - (n - 1.0) / 2.0) * each
        };
        let fill = color(i).gamma_multiply(0.85);
        let bars: Vec<Bar> = s
            .points
            .iter()
            .filter(|pt| pt[1].is_finite())
            .map(|pt| {
                Bar::new(place(pt[0]) + offset, pt[1])
                    .width(each)
                    .fill(fill)
                    .name(name_of(pt[0]))
            })
            .collect();
        let mut chart = BarChart::new(s.name.clone(), bars).color(color(i));
        if horizontal {
            chart = chart.horizontal();
        }
        if stacked {
            let below: Vec<&BarChart> = charts.iter().collect();
            chart = chart.stack_on(&below);
        }
        charts.push(chart);
    }
    for c in charts {
        p.bar_chart(c);
    }
}

/// Categories run down the y axis (their names readable at any length),
/// the first at the top; lines over categories keep them on the x axis.
fn category_plot<'a>(plot: Plot<'a>, labels: &[String], kind: ChartKind) -> Plot<'a> {
    let n = labels.len();
    let names = labels.to_vec();
    let name_at = move |v: f64, flip: bool| {
        let i = v.round();
        if (v - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        let i = i as usize;
        let i = if flip { n.checked_sub(i + 1) } else { Some(i) };
        i.and_then(|i| names.get(i).cloned()).unwrap_or_default()
    };
    // Marks on categories only — every one where the labels fit, else
    // every k-th — never between two bars.
    let every = move |input: egui_plot::GridInput| -> Vec<egui_plot::GridMark> {
        let (lo, hi) = input.bounds;
        let (lo, hi) = (lo.ceil().max(0.0), hi.floor().min(n as f64 - 1.0));
        if hi < lo {
            return Vec::new();
        }
        // Room for a label: about three of egui_plot's minimal steps.
        let k = ((input.base_step_size * 3.0).ceil() as usize).max(1);
        (lo as usize..=hi as usize)
            .filter(|i| (n - 1 - i).is_multiple_of(k))
            .map(|i| egui_plot::GridMark {
                value: i as f64,
                step_size: k as f64,
            })
            .collect()
    };
    if matches!(kind, ChartKind::Bar | ChartKind::StackedBar) {
        plot.y_grid_spacer(every)
            .y_axis_formatter(move |mark, _| name_at(mark.value, true))
            .y_axis_min_width(110.0)
            .y_axis_label("")
            .show_grid([true, false])
            .allow_drag(false)
            .allow_zoom(false)
    } else {
        plot.x_grid_spacer(every)
            .x_axis_formatter(move |mark, _| name_at(mark.value, false))
    }
}

fn categories(p: &mut PlotUi<'_>, data: &ChartData) {
    let XAxis::Category(labels) = &data.x else {
        return;
    };
    match data.kind {
        ChartKind::Bar | ChartKind::StackedBar => {
            let n = labels.len() as f64;
            // Hovering a bar names its category.
            let name_of = |x: f64| labels.get(x.max(0.0) as usize).cloned().unwrap_or_default();
            bars(p, data, |x| n - 1.0 - x, 0.8, true, name_of);
        }
        _ => lines(p, data),
    }
}

fn histogram(p: &mut PlotUi<'_>, data: &ChartData) {
    let width = data.bin_width.unwrap_or(1.0);
    bars(p, data, |x| x, width * 0.95, false, |_| String::new());
}

fn points(p: &mut PlotUi<'_>, data: &ChartData, radius: f32) {
    for (i, s) in data.series.iter().enumerate() {
        let pts: Vec<[f64; 2]> = s
            .points
            .iter()
            .copied()
            .filter(|pt| pt[0].is_finite() && pt[1].is_finite())
            .collect();
        p.points(
            Points::new(s.name.clone(), pts)
                .color(color(i))
                .radius(radius),
        );
    }
}

/// The latest value in large type, the usual level and how far from it,
/// and a sparkline of the buckets before.
fn kpi_ui(ui: &mut egui::Ui, data: &ChartData, tz: &TimeZone) {
    let Some(k) = &data.kpi else {
        widgets::missing_ui(ui, tr("No values in the selected time range."));
        return;
    };
    ui.label(RichText::new(format_value(k.latest)).font(theme::kpi_value_font()));
    ui.label(RichText::new(i18n::value_label(&data.y_label)).color(theme::MUTED));
    let pattern = match data.bucket {
        Some(TimeBucket::Year) => "%Y",
        Some(TimeBucket::Quarter | TimeBucket::Month) => "%B %Y",
        Some(TimeBucket::Week | TimeBucket::Day) => "%a %b %d %Y",
        _ => "%a %b %d %Y %H:%M",
    };
    ui.label(widgets::format_instant(k.at, tz, pattern));
    if let Some(usual) = k.usual {
        let text = if usual.abs() > f64::EPSILON {
            let pct = (k.latest - usual) / usual.abs() * 100.0;
            trf!("usual {} ({} %)", format_value(usual), format!("{pct:+.0}"))
        } else {
            trf!("usual {}", format_value(usual))
        };
        ui.label(RichText::new(text).color(theme::MUTED));
    }
    if let Some(s) = data.series.first() {
        widgets::sparkline_ui(ui, "kpi_sparkline", &s.points, theme::series_color(0));
    }
}
