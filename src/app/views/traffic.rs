//! Traffic: volume and speed over time per sensor (linked time axes), the
//! weekday × hour profile, and a map of sensors coloured by congestion.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use egui_plot::{Legend, Plot};

use crate::app::i18n::tr;
use crate::app::state::ViewCtx;
use crate::app::theme;
use crate::app::widgets::{self, TimeAxis};
use crate::data::decimate;
use crate::data::timeseries::{self, Series, TimeRange};
use crate::data::{Dataset, Domain, Measure, Role};

/// Points per series handed to the plot (about two per pixel column).
const PLOT_BUCKETS: usize = 1200;

#[derive(Clone, PartialEq)]
struct Key {
    id: u64,
    revision: u64,
    range: TimeRange,
    selected: BTreeSet<String>,
    profile_speed: bool,
}

struct SensorDot {
    name: String,
    lon: f64,
    lat: f64,
    /// 0 = free flow, 1 = stopped.
    congestion: f64,
    mean_speed: Option<f64>,
    mean_volume: Option<f64>,
}

#[derive(Default)]
struct Computed {
    places: Vec<String>,
    volume: BTreeMap<String, Series>,
    speed: BTreeMap<String, Series>,
    profile: Option<[[Option<f64>; 24]; 7]>,
    dots: Vec<SensorDot>,
}

#[derive(Default)]
pub struct TrafficView {
    bg: widgets::Background<Key, Computed>,
    selected: BTreeSet<String>,
    selection_for: Option<u64>,
    profile_speed: bool,
    fallback: crate::app::panels::SuggestedGrid,
}

/// The sensor names, sorted.
fn places_of(ds: &Dataset) -> Vec<String> {
    match ds.column_for(Role::PlaceId).and_then(|p| p.dictionary()) {
        Some(d) => {
            let mut v = d.to_vec();
            v.sort();
            v
        }
        None => vec!["all".to_owned()],
    }
}

fn compute(
    ds: &Dataset,
    range: TimeRange,
    selected: &BTreeSet<String>,
    profile_speed: bool,
) -> Computed {
    let mut out = Computed::default();
    let Some(time) = ds.time_column() else {
        return out;
    };
    let place = ds.column_for(Role::PlaceId);
    out.places = places_of(ds);
    let keep = |m: BTreeMap<String, Series>| -> BTreeMap<String, Series> {
        m.into_iter()
            .filter(|(k, _)| selected.contains(k) || place.is_none())
            .map(|(k, s)| (k, decimate::min_max_with_gaps(&s, PLOT_BUCKETS)))
            .collect()
    };
    if let Some(v) = ds.measure(Measure::Volume) {
        out.volume = keep(timeseries::series_by_place(time, place, v, range));
    }
    let speed = ds.measure(Measure::Speed);
    if let Some(s) = speed {
        out.speed = keep(timeseries::series_by_place(time, place, s, range));
    }
    let profile_col = if profile_speed {
        speed
    } else {
        ds.measure(Measure::Volume)
    };
    out.profile =
        profile_col.map(|c| timeseries::weekday_hour_means(time, c, &ds.time_zone, range));

    // The map: mean position and congestion per sensor over the range.
    let (Some(lat), Some(lon)) = (
        ds.column_for(Role::Latitude),
        ds.column_for(Role::Longitude),
    ) else {
        return out;
    };
    #[derive(Default)]
    struct Acc {
        lat: f64,
        lon: f64,
        n: f64,
        speeds_all: Vec<f64>,
        speed_sum: f64,
        speed_n: f64,
        vol_sum: f64,
        vol_n: f64,
    }
    let volume = ds.measure(Measure::Volume);
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for row in 0..ds.table.n_rows() {
        let name = match place {
            Some(p) => p
                .str_at(row)
                .map(str::to_owned)
                .or_else(|| p.f64_at(row).map(|v| v.to_string())),
            None => Some("all".to_owned()),
        };
        let (Some(name), Some(la), Some(lo)) = (name, lat.f64_at(row), lon.f64_at(row)) else {
            continue;
        };
        let a = acc.entry(name).or_default();
        a.lat += la;
        a.lon += lo;
        a.n += 1.0;
        let sp = speed.and_then(|s| s.f64_at(row));
        if let Some(sp) = sp {
            a.speeds_all.push(sp);
        }
        if time.timestamp_at(row).is_some_and(|t| range.contains(t)) {
            if let Some(sp) = sp {
                a.speed_sum += sp;
                a.speed_n += 1.0;
            }
            if let Some(v) = volume.and_then(|c| c.f64_at(row)) {
                a.vol_sum += v;
                a.vol_n += 1.0;
            }
        }
    }
    let max_mean_volume = acc
        .values()
        .filter(|a| a.vol_n > 0.0)
        .map(|a| a.vol_sum / a.vol_n)
        .fold(0.0f64, f64::max);
    for (name, mut a) in acc {
        let mean_speed = (a.speed_n > 0.0).then(|| a.speed_sum / a.speed_n);
        let mean_volume = (a.vol_n > 0.0).then(|| a.vol_sum / a.vol_n);
        // Free-flow speed: the 95th percentile of the sensor's speeds.
        a.speeds_all.sort_by(f64::total_cmp);
        let free_flow = a
            .speeds_all
            .get((a.speeds_all.len() as f64 * 0.95) as usize)
            .copied();
        let congestion = match (mean_speed, free_flow) {
            (Some(m), Some(f)) if f > 0.0 => (1.0 - m / f).clamp(0.0, 1.0) * 2.0,
            _ => mean_volume.map_or(0.0, |v| {
                if max_mean_volume > 0.0 {
                    v / max_mean_volume
                } else {
                    0.0
                }
            }),
        };
        out.dots.push(SensorDot {
            name,
            lon: a.lon / a.n,
            lat: a.lat / a.n,
            congestion: congestion.clamp(0.0, 1.0),
            mean_speed,
            mean_volume,
        });
    }
    out
}

impl TrafficView {
    pub fn is_busy(&self) -> bool {
        self.bg.is_busy() || self.fallback.is_busy()
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let Some(entry) = widgets::domain_view_header(
            ctx,
            ui,
            Domain::Traffic,
            tr("Traffic"),
            tr(
                "No traffic data is open. Open a CSV with volume or speed columns, or load the demo city.",
            ),
            |ds| {
                (ds.measure(Measure::Volume).is_none() && ds.measure(Measure::Speed).is_none())
                    .then(|| tr("This dataset has no volume or speed column."))
            },
            &mut self.fallback,
        ) else {
            return;
        };
        let ds = &entry.dataset;
        let range = ctx.ws.range_for(ds);
        if self.selection_for != Some(entry.id) {
            // A new dataset: pick the first few sensors.
            self.selection_for = Some(entry.id);
            self.selected = places_of(ds).into_iter().take(3).collect();
        }
        let key = Key {
            id: entry.id,
            revision: entry.revision,
            range,
            selected: self.selected.clone(),
            profile_speed: self.profile_speed,
        };
        self.bg.ensure(ui.ctx(), &key, || {
            let ds = Arc::clone(&entry.dataset);
            let selected = self.selected.clone();
            let profile_speed = self.profile_speed;
            move |_| compute(&ds, range, &selected, profile_speed)
        });
        let Some(computed) = self.bg.value() else {
            ui.spinner();
            return;
        };
        widgets::updating_ui(ui, self.bg.is_busy());
        let axis = TimeAxis::new(ds.time_zone.clone());
        let link = egui::Id::unique(("traffic_time", entry.id));

        ui.horizontal_top(|ui| {
            // A projector shows the plots, not the checklist behind them.
            if !ctx.presenting {
                ui.vertical(|ui| {
                    ui.set_width(150.0);
                    ui.strong(tr("Sensors"));
                    ui.horizontal(|ui| {
                        if ui.small_button(tr("All")).clicked() {
                            self.selected = computed.places.iter().cloned().collect();
                        }
                        if ui.small_button(tr("None")).clicked() {
                            self.selected.clear();
                        }
                    });
                    egui::ScrollArea::vertical()
                        .id_salt("sensor_list")
                        .max_height(2.0 * theme::PLOT_HEIGHT)
                        .show(ui, |ui| {
                            for (i, p) in computed.places.iter().enumerate() {
                                let mut on = self.selected.contains(p);
                                let color = theme::series_color(i);
                                ui.horizontal(|ui| {
                                    let (r, _) = ui.allocate_exact_size(
                                        egui::vec2(10.0, 10.0),
                                        egui::Sense::hover(),
                                    );
                                    ui.painter().rect_filled(r, 2.0, color);
                                    if ui.checkbox(&mut on, p).changed() {
                                        if on {
                                            self.selected.insert(p.clone());
                                        } else {
                                            self.selected.remove(p);
                                        }
                                    }
                                });
                            }
                        });
                });
            }
            ui.vertical(|ui| {
                let color_of = |name: &str| {
                    let i = computed.places.iter().position(|p| p == name).unwrap_or(0);
                    theme::series_color(i)
                };
                if self.selected.is_empty() && !computed.places.is_empty() {
                    widgets::missing_ui(
                        ui,
                        tr("Select one or more sensors on the left to plot them."),
                    );
                }
                for (title, unit, series, id) in [
                    (tr("Volume"), "veh/h", &computed.volume, "traffic_volume"),
                    (tr("Speed"), "km/h", &computed.speed, "traffic_speed"),
                ] {
                    if series.is_empty() && self.selected.is_empty() {
                        continue;
                    }
                    ui.strong(format!("{title} ({unit})"));
                    let plot = Plot::new(id)
                        .height(theme::PLOT_HEIGHT)
                        .legend(Legend::default())
                        .link_axis(link, [true, false])
                        .link_cursor(link, [true, false])
                        .y_axis_label(unit);
                    let plot_shown = ui.scope(|ui| {
                        axis.apply(plot, unit).show(ui, |p| {
                            for (name, pts) in series {
                                widgets::gapped_line(
                                    p,
                                    name,
                                    pts,
                                    color_of(name),
                                    theme::LINE_WIDTH,
                                );
                            }
                        })
                    });
                    crate::app::png_export::context_menu(
                        ctx,
                        &plot_shown.inner.response,
                        plot_shown.response.rect,
                        "traffic",
                    );
                }
            });
        });

        ui.add_space(12.0);
        ui.horizontal(|ui| {
            ui.strong(tr("Weekly profile: mean by weekday and hour (all sensors)"));
            ui.selectable_value(&mut self.profile_speed, false, tr("Volume"));
            ui.selectable_value(&mut self.profile_speed, true, tr("Speed"));
        });
        match &computed.profile {
            Some(p) => widgets::weekday_hour_heatmap_ui(
                ui,
                p,
                if self.profile_speed { "km/h" } else { "veh/h" },
            ),
            None => widgets::missing_ui(ui, tr("No column for this measure.")),
        }

        ui.add_space(12.0);
        ui.strong(tr(
            "Sensor map: colour shows congestion over the time range (green free flow, red congested)",
        ));
        if computed.dots.is_empty() {
            widgets::missing_ui(
                ui,
                tr(
                    "The dataset has no latitude/longitude columns, so sensors cannot be placed on a map.",
                ),
            );
            return;
        }
        let dots: Vec<crate::charts::Dot> = computed
            .dots
            .iter()
            .map(|d| crate::charts::Dot {
                at: [d.lon, d.lat],
                value: d.congestion,
                label: crate::trf!(
                    "Sensor {}\nmean speed {}\nmean volume {}\ncongestion {:.0} %",
                    d.name,
                    d.mean_speed
                        .map_or("–".to_owned(), |s| format!("{s:.1} km/h")),
                    d.mean_volume
                        .map_or("–".to_owned(), |v| format!("{v:.0} veh/h")),
                    d.congestion * 100.0
                ),
            })
            .collect();
        let layer = crate::charts::MapData {
            bounds: crate::data::geojson::bounds_of(dots.iter().map(|d| &d.at)),
            dots,
            congestion: true,
            value_label: tr("congestion (%)").to_owned(),
            ..Default::default()
        };
        let data = crate::charts::ChartData::map(Vec::new(), Some(layer));
        let style = crate::app::panels::PanelStyle {
            height: 360.0,
            link: None,
            export_name: "sensor_map".to_owned(),
            large: ctx.presenting,
        };
        let top = ui.cursor().min;
        if let Some(r) =
            crate::app::panels::chart_ui(ui, &data, &ds.time_zone, &style, ctx.ws.basemap_for(ds))
        {
            let area = egui::Rect::from_min_max(top, r.rect.max);
            crate::app::png_export::context_menu(ctx, &r, area, "sensor_map");
        }
    }
}
