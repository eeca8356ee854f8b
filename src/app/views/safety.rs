//! Public safety: incidents by type, by hour of day, per day over time, and
//! on the map, with a filter by type.

use std::sync::Arc;

use egui_plot::{Bar, BarChart, Line, Plot};

use crate::app::i18n::tr;
use crate::app::state::ViewCtx;
use crate::app::theme;
use crate::app::widgets::{self, TimeAxis};
use crate::data::timeseries::{
    self, LocalClock, MICROS_PER_DAY, MICROS_PER_HOUR, Series, TimeRange, category_counts,
    hour_histogram,
};
use crate::data::{Dataset, Domain, Measure, Role};

#[derive(Clone, PartialEq)]
struct Key {
    id: u64,
    revision: u64,
    range: TimeRange,
    filter: Option<String>,
}

#[derive(Default)]
struct Computed {
    by_type: Vec<(String, u32)>,
    by_hour: [u32; 24],
    per_day: Series,
    /// Per type: (lon, lat) points.
    map: Vec<(String, Vec<[f64; 2]>)>,
    total: usize,
    mean_severity: Option<f64>,
}

#[derive(Default)]
pub struct SafetyView {
    bg: widgets::Background<Key, Computed>,
    filter: Option<String>,
    fallback: crate::app::panels::SuggestedGrid,
}

fn compute(ds: &Dataset, range: TimeRange, filter: Option<&str>) -> Computed {
    let mut out = Computed::default();
    let Some(time) = ds.time_column() else {
        return out;
    };
    let cat = ds.category_column();
    let n = ds.table.n_rows();
    // Rows in the range and of the chosen type.
    let rows: Vec<bool> = (0..n)
        .map(|r| {
            time.timestamp_at(r).is_some_and(|t| range.contains(t))
                && filter.is_none_or(|f| cat.and_then(|c| c.str_at(r)) == Some(f))
        })
        .collect();
    out.total = rows.iter().filter(|&&b| b).count();
    if let Some(c) = cat {
        out.by_type = category_counts(c, Some(time), range);
    }
    out.by_hour = hour_histogram(time, &ds.time_zone, range, Some(&rows));
    // Incidents per local day, days without incidents included.
    let mut clock = LocalClock::new(&ds.time_zone);
    let mut days: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for (r, keep) in rows.iter().enumerate() {
        if *keep && let Some(t) = time.timestamp_at(r) {
            *days.entry(clock.day_start(t)).or_insert(0.0) += 1.0;
        }
    }
    // Days without incidents as runs of zeros, never one point per empty
    // day (rows from year 1 to 9999 must not fill millions of days). A
    // step of a day re-aligns to local midnight (DST days are 23/25 h).
    let mut next_clock = LocalClock::new(&ds.time_zone);
    out.per_day = timeseries::with_gaps(
        &days,
        |d| next_clock.day_start(d.saturating_add(MICROS_PER_DAY + 2 * MICROS_PER_HOUR)),
        |d| clock.day_start(d.saturating_sub(1)),
        |d| d as f64 / 1e6,
    );
    if let Some(sev) = ds.measure(Measure::Severity) {
        let vals: Vec<f64> = (0..n)
            .filter(|&r| rows[r])
            .filter_map(|r| sev.f64_at(r))
            .collect();
        out.mean_severity =
            (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64);
    }
    if let (Some(lat), Some(lon)) = (
        ds.column_for(Role::Latitude),
        ds.column_for(Role::Longitude),
    ) {
        let mut groups: std::collections::BTreeMap<String, Vec<[f64; 2]>> =
            std::collections::BTreeMap::new();
        for r in (0..n).filter(|&r| rows[r]) {
            if let (Some(la), Some(lo)) = (lat.f64_at(r), lon.f64_at(r)) {
                let k = cat
                    .and_then(|c| c.str_at(r))
                    .unwrap_or(tr("incident"))
                    .to_owned();
                groups.entry(k).or_default().push([lo, la]);
            }
        }
        out.map = groups.into_iter().collect();
        out.map.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    }
    out
}

impl SafetyView {
    pub fn is_busy(&self) -> bool {
        self.bg.is_busy() || self.fallback.is_busy()
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let Some(entry) = widgets::domain_view_header(
            ctx,
            ui,
            Domain::Safety,
            tr("Public safety"),
            tr("No public-safety data is open. Open a CSV of incidents, or load the demo city."),
            |ds| {
                ds.category_column()
                    .is_none()
                    .then(|| tr("This dataset has no incident-type column."))
            },
            &mut self.fallback,
        ) else {
            return;
        };
        let ds = &entry.dataset;
        let range = ctx.ws.range_for(ds);
        let key = Key {
            id: entry.id,
            revision: entry.revision,
            range,
            filter: self.filter.clone(),
        };
        self.bg.ensure(ui.ctx(), &key, || {
            let ds = Arc::clone(&entry.dataset);
            let filter = self.filter.clone();
            move |_| compute(&ds, range, filter.as_deref())
        });
        let Some(computed) = self.bg.value() else {
            ui.spinner();
            return;
        };
        widgets::updating_ui(ui, self.bg.is_busy());
        let c = &*computed;
        ui.horizontal(|ui| {
            ui.label(tr("Incident type:"));
            let combo = egui::ComboBox::from_id_salt("incident_type")
                .selected_text(self.filter.as_deref().unwrap_or(tr("All types")))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.filter, None, tr("All types"));
                    for (name, _) in &c.by_type {
                        ui.selectable_value(&mut self.filter, Some(name.clone()), name);
                    }
                });
            crate::app::widgets::name_for_screen_readers(
                &combo.response,
                egui::Role::ComboBox,
                tr("Incident type"),
            );
            ui.separator();
            ui.label(crate::trf!("{} incidents in the range", c.total));
            if let Some(s) = c.mean_severity {
                ui.separator();
                ui.label(crate::trf!("mean severity {:.2}", s));
            }
        });
        ui.add_space(6.0);
        // While presenting, the map joins the top row as a third column, so
        // the slide shows it without scrolling.
        let with_map = ctx.presenting && !c.map.is_empty();
        let room = ui.available_width() - if with_map { 32.0 } else { 16.0 };
        // Two charts side by side; while presenting, the map takes the
        // largest share beside them.
        let (half, map_width) = if with_map {
            (room * 0.27, room * 0.46)
        } else {
            (room / 2.0, 0.0)
        };
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(half);
                ui.strong(tr("Incidents by type"));
                let names: Vec<String> = c.by_type.iter().map(|(n, _)| n.clone()).collect();
                let bars: Vec<Bar> = c
                    .by_type
                    .iter()
                    .enumerate()
                    .map(|(i, (name, count))| {
                        let color = if self.filter.as_deref().is_none_or(|f| f == name) {
                            theme::series_color(0)
                        } else {
                            theme::MUTED
                        };
                        Bar::new(i as f64, f64::from(*count)).name(name).fill(color)
                    })
                    .collect();
                let plot_shown = ui.scope(|ui| {
                    Plot::new("safety_by_type")
                        .height(theme::PLOT_HEIGHT)
                        .width(half)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .allow_scroll(false)
                        .show_grid([true, false])
                        .y_axis_formatter(move |mark, _| {
                            let i = mark.value.round();
                            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                                names.get(i as usize).cloned().unwrap_or_default()
                            } else {
                                String::new()
                            }
                        })
                        .y_axis_min_width(90.0)
                        .show(ui, |p| {
                            p.bar_chart(BarChart::new(tr("incidents"), bars).horizontal())
                        })
                });
                crate::app::png_export::context_menu(
                    ctx,
                    &plot_shown.inner.response,
                    plot_shown.response.rect,
                    "incidents_by_type",
                );
            });
            ui.vertical(|ui| {
                ui.set_width(half);
                ui.strong(tr("Incidents by hour of day (local time)"));
                let bars: Vec<Bar> = c
                    .by_hour
                    .iter()
                    .enumerate()
                    .map(|(h, &n)| {
                        Bar::new(h as f64, f64::from(n))
                            .name(format!("{h:02}:00"))
                            .width(0.9)
                    })
                    .collect();
                let plot_shown = ui.scope(|ui| {
                    Plot::new("safety_by_hour")
                        .height(theme::PLOT_HEIGHT)
                        .width(half)
                        .allow_drag(false)
                        .allow_zoom(false)
                        .allow_scroll(false)
                        .x_axis_label(tr("hour"))
                        .show(ui, |p| {
                            p.bar_chart(
                                BarChart::new(tr("incidents"), bars).color(theme::series_color(1)),
                            )
                        })
                });
                crate::app::png_export::context_menu(
                    ctx,
                    &plot_shown.inner.response,
                    plot_shown.response.rect,
                    "incidents_by_hour",
                );
            });
            if with_map {
                ui.vertical(|ui| {
                    ui.set_width(map_width);
                    ui.strong(tr("Where: incidents on the map, by type"));
                    map_ui(ctx, ui, entry, c, theme::PLOT_HEIGHT);
                });
            }
        });
        ui.add_space(8.0);
        ui.strong(tr("Incidents per day"));
        let axis = TimeAxis::new(ds.time_zone.clone());
        let plot_shown = ui.scope(|ui| {
            axis.apply(
                Plot::new("safety_per_day").height(theme::SMALL_PLOT_HEIGHT),
                tr("incidents"),
            )
            .show(ui, |p| {
                p.line(
                    Line::new(tr("incidents per day"), c.per_day.clone())
                        .color(theme::series_color(5))
                        .width(2.0)
                        .fill(0.0)
                        .fill_alpha(0.2),
                );
            })
        });
        crate::app::png_export::context_menu(
            ctx,
            &plot_shown.inner.response,
            plot_shown.response.rect,
            "incidents_per_day",
        );
        if with_map {
            return;
        }
        ui.add_space(8.0);
        ui.strong(tr("Where: incidents on the map, by type"));
        map_ui(ctx, ui, entry, c, 380.0);
    }
}

/// The incidents on the map, coloured by type, `height` points high, with
/// the right-click PNG menu; or why there is no map.
fn map_ui(
    ctx: &ViewCtx<'_>,
    ui: &mut egui::Ui,
    entry: &crate::app::state::DatasetEntry,
    c: &Computed,
    height: f32,
) {
    if c.map.is_empty() {
        widgets::missing_ui(
            ui,
            tr(
                "The dataset has no latitude/longitude columns, so incidents cannot be placed on a map.",
            ),
        );
        return;
    }
    let series = c
        .map
        .iter()
        .map(|(name, pts)| crate::charts::Series::new(name.clone(), pts.clone()))
        .collect();
    let data = crate::charts::ChartData::map(series, None);
    let style = crate::app::panels::PanelStyle {
        height,
        link: None,
        export_name: "incident_map".to_owned(),
        large: ctx.presenting,
    };
    let top = ui.cursor().min;
    if let Some(r) = crate::app::panels::chart_ui(
        ui,
        &data,
        &entry.dataset.time_zone,
        &style,
        ctx.ws.basemap_for(&entry.dataset),
    ) {
        let area = egui::Rect::from_min_max(top, r.rect.max);
        crate::app::png_export::context_menu(ctx, &r, area, "incident_map");
    }
}
