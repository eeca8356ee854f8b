//! Environment: the US EPA AQI over time on its colour bands, pollutant
//! series per station, the stations on the map (in their lines' colours),
//! and traffic volume against NO2 hour by hour.

use std::collections::BTreeMap;

use std::sync::Arc;

use egui_plot::{Legend, Plot, Points};

use crate::app::i18n::{measure_label, tr};
use crate::app::state::ViewCtx;
use crate::app::theme;
use crate::app::widgets::{self, TimeAxis};
use crate::data::decimate;
use crate::data::timeseries::{self, MICROS_PER_HOUR, Series, TimeRange};
use crate::data::{Dataset, Domain, Measure, Role};

const PLOT_BUCKETS: usize = 1200;

const POLLUTANTS: [(Measure, &str); 4] = [
    (Measure::Pm25, "µg/m³"),
    (Measure::Pm10, "µg/m³"),
    (Measure::No2, "ppb"),
    (Measure::O3, "ppb"),
];

#[derive(Clone, PartialEq)]
struct Key {
    id: u64,
    revision: u64,
    traffic: Option<(u64, u64)>,
    range: TimeRange,
    pollutant: Measure,
}

#[derive(Default)]
struct Computed {
    aqi: BTreeMap<String, Series>,
    aqi_computed: bool,
    pollutant: BTreeMap<String, Series>,
    /// (mean traffic volume, mean NO2) per hour.
    scatter: Vec<[f64; 2]>,
    correlation: Option<f64>,
    /// Each station's place, `[longitude, latitude]`, by name.
    stations: BTreeMap<String, [f64; 2]>,
}

pub struct EnvironmentView {
    bg: widgets::Background<Key, Computed>,
    pollutant: Measure,
    fallback: crate::app::panels::SuggestedGrid,
}

impl Default for EnvironmentView {
    fn default() -> Self {
        Self {
            bg: widgets::Background::default(),
            pollutant: Measure::Pm25,
            fallback: crate::app::panels::SuggestedGrid::default(),
        }
    }
}

fn pearson(points: &[[f64; 2]]) -> Option<f64> {
    let n = points.len() as f64;
    if n < 3.0 {
        return None;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p[0] / n, b + p[1] / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for p in points {
        sxy += (p[0] - mx) * (p[1] - my);
        sxx += (p[0] - mx).powi(2);
        syy += (p[1] - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn compute(
    ds: &Dataset,
    traffic: Option<&Dataset>,
    range: TimeRange,
    pollutant: Measure,
) -> Computed {
    let mut out = Computed::default();
    let Some(time) = ds.time_column() else {
        return out;
    };
    let place = ds.column_for(Role::PlaceId);
    let decimated = |m: BTreeMap<String, Series>| {
        m.into_iter()
            .map(|(k, s)| (k, decimate::min_max_with_gaps(&s, PLOT_BUCKETS)))
            .collect::<BTreeMap<_, _>>()
    };
    if let Some((aqi_col, computed)) = ds.aqi() {
        out.aqi = decimated(timeseries::series_by_place(time, place, &aqi_col, range));
        out.aqi_computed = computed;
    }
    if let Some(c) = ds.measure(pollutant) {
        // Ozone is drawn in ppb whatever the file's unit.
        let factor = if pollutant == Measure::O3 {
            ds.o3_ppb_factor()
        } else {
            1.0
        };
        let mut series = timeseries::series_by_place(time, place, c, range);
        if factor != 1.0 {
            for pts in series.values_mut() {
                pts.iter_mut().for_each(|p| p[1] *= factor);
            }
        }
        out.pollutant = decimated(series);
    }
    if let (Some(lat), Some(lon)) = (
        ds.column_for(Role::Latitude),
        ds.column_for(Role::Longitude),
    ) {
        for r in 0..ds.table.n_rows() {
            let name = place.and_then(|p| p.str_at(r)).unwrap_or("station");
            if out.stations.contains_key(name) {
                continue;
            }
            if let (Some(la), Some(lo)) = (lat.f64_at(r), lon.f64_at(r)) {
                out.stations.insert(name.to_owned(), [lo, la]);
            }
        }
    }
    if let (Some(tr), Some(no2)) = (traffic, ds.measure(Measure::No2))
        && let (Some(ttime), Some(vol)) = (tr.time_column(), tr.measure(Measure::Volume))
    {
        let traffic_hourly = timeseries::bucket_mean(ttime, vol, MICROS_PER_HOUR, range);
        let no2_hourly: BTreeMap<i64, f64> =
            timeseries::bucket_mean(time, no2, MICROS_PER_HOUR, range)
                .into_iter()
                .map(|p| (p[0] as i64, p[1]))
                .collect();
        out.scatter = traffic_hourly
            .iter()
            .filter_map(|p| no2_hourly.get(&(p[0] as i64)).map(|&n| [p[1], n]))
            .collect();
        out.correlation = pearson(&out.scatter);
    }
    out
}

impl EnvironmentView {
    pub fn is_busy(&self) -> bool {
        self.bg.is_busy() || self.fallback.is_busy()
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let Some(entry) = widgets::domain_view_header(
            ctx,
            ui,
            Domain::Environment,
            tr("Environment"),
            tr("No environment data is open. Open an air-quality CSV, or load the demo city."),
            |ds| {
                // A weather file, say: what it has rather than empty sections.
                (ds.measure(Measure::Aqi).is_none()
                    && POLLUTANTS.iter().all(|(m, _)| ds.measure(*m).is_none()))
                .then(|| tr("No AQI or pollutant columns in this dataset."))
            },
            &mut self.fallback,
        ) else {
            return;
        };
        let ds = &entry.dataset;
        let traffic = ctx.ws.active_for(Domain::Traffic);
        let range = ctx.ws.range_for(ds);
        // A pollutant this dataset does not measure: show one it does.
        if ds.measure(self.pollutant).is_none()
            && let Some((m, _)) = POLLUTANTS.iter().find(|(m, _)| ds.measure(*m).is_some())
        {
            self.pollutant = *m;
        }
        let key = Key {
            id: entry.id,
            revision: entry.revision,
            traffic: traffic.map(|t| (t.id, t.revision)),
            range,
            pollutant: self.pollutant,
        };
        self.bg.ensure(ui.ctx(), &key, || {
            let ds = Arc::clone(&entry.dataset);
            let traffic = traffic.map(|t| Arc::clone(&t.dataset));
            let pollutant = self.pollutant;
            move |_| compute(&ds, traffic.as_deref(), range, pollutant)
        });
        let Some(computed) = self.bg.value() else {
            ui.spinner();
            return;
        };
        widgets::updating_ui(ui, self.bg.is_busy());
        let c = &*computed;
        let axis = TimeAxis::new(ds.time_zone.clone());
        let link = egui::Id::unique(("env_time", entry.id));
        let station_color = |name: &str, names: &BTreeMap<String, Series>| {
            theme::series_color(names.keys().position(|n| n == name).unwrap_or(0))
        };

        ui.strong(if c.aqi_computed {
            tr(
                "Air Quality Index (US EPA), computed from the pollutant columns (NowCast for particles, 8-hour ozone), on its category bands",
            )
        } else {
            tr("Air Quality Index (US EPA) on its category bands")
        });
        if c.aqi.is_empty() {
            widgets::missing_ui(ui, tr("No AQI or pollutant columns in this dataset."));
        } else {
            let plot = Plot::new("env_aqi")
                .height(theme::PLOT_HEIGHT)
                .legend(Legend::default())
                .link_axis(link, [true, false])
                .link_cursor(link, [true, false])
                .include_y(0.0)
                .include_y(100.0)
                .y_axis_label("AQI");
            let plot_shown = ui.scope(|ui| {
                axis.apply(plot, "AQI").show(ui, |p| {
                    widgets::aqi_bands(p);
                    for name in c.aqi.keys() {
                        let color = station_color(name, &c.aqi);
                        if let Some(pts) = c.aqi.get(name) {
                            widgets::gapped_line(p, name, pts, color, theme::LINE_WIDTH);
                        }
                    }
                })
            });
            crate::app::png_export::context_menu(
                ctx,
                &plot_shown.inner.response,
                plot_shown.response.rect,
                "aqi",
            );
            widgets::aqi_key_ui(ui);
        }

        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.strong(tr("Pollutant:"));
            for (m, _) in POLLUTANTS {
                if ds.measure(m).is_some() {
                    ui.selectable_value(&mut self.pollutant, m, measure_label(m));
                }
            }
        });
        let unit = POLLUTANTS
            .iter()
            .find(|(m, _)| *m == self.pollutant)
            .map_or("", |(_, u)| u);
        if c.pollutant.is_empty() {
            widgets::missing_ui(ui, tr("This dataset has no column for that pollutant."));
        } else {
            let plot = Plot::new("env_pollutant")
                .height(theme::PLOT_HEIGHT)
                .legend(Legend::default())
                .link_axis(link, [true, false])
                .link_cursor(link, [true, false])
                .y_axis_label(unit);
            let plot_shown = ui.scope(|ui| {
                axis.apply(plot, unit).show(ui, |p| {
                    for (name, pts) in &c.pollutant {
                        let color = station_color(name, &c.pollutant);
                        widgets::gapped_line(p, name, pts, color, theme::LINE_WIDTH);
                    }
                })
            });
            crate::app::png_export::context_menu(
                ctx,
                &plot_shown.inner.response,
                plot_shown.response.rect,
                "pollutant",
            );
        }

        if !c.stations.is_empty() {
            ui.add_space(8.0);
            ui.strong(tr(
                "Where: the stations on the map, in their lines' colours",
            ));
            // The stations in the AQI chart's order, so the colours agree.
            let order: Vec<&String> = if c.aqi.is_empty() {
                c.pollutant.keys().collect()
            } else {
                c.aqi.keys().collect()
            };
            let mut named: Vec<(&String, [f64; 2])> = order
                .iter()
                .filter_map(|n| c.stations.get(*n).map(|p| (*n, *p)))
                .collect();
            if named.is_empty() {
                named = c.stations.iter().map(|(n, p)| (n, *p)).collect();
            }
            let series = named
                .into_iter()
                .map(|(name, p)| crate::charts::Series::new(name.clone(), vec![p]))
                .collect();
            let data = crate::charts::ChartData::map(series, None);
            let style = crate::app::panels::PanelStyle {
                height: 320.0,
                link: None,
                export_name: "station_map".to_owned(),
                large: ctx.presenting,
            };
            let top = ui.cursor().min;
            if let Some(r) = crate::app::panels::chart_ui(
                ui,
                &data,
                &ds.time_zone,
                &style,
                ctx.ws.basemap_for(ds),
            ) {
                let area = egui::Rect::from_min_max(top, r.rect.max);
                crate::app::png_export::context_menu(ctx, &r, area, "station_map");
            }
        }

        ui.add_space(8.0);
        match c.correlation {
            Some(r) => ui.strong(crate::trf!(
                "Traffic vs NO2, hour by hour (Pearson r = {:.2})",
                r
            )),
            None => ui.strong(tr("Traffic vs NO2, hour by hour")),
        };
        if c.scatter.is_empty() {
            widgets::missing_ui(
                ui,
                tr(
                    "Needs a traffic dataset with a volume column and an NO2 column here, over the same hours.",
                ),
            );
            return;
        }
        let plot_shown = ui.scope(|ui| {
            Plot::new("env_traffic_no2")
                .height(theme::PLOT_HEIGHT)
                .x_axis_label(tr("mean traffic volume (veh/h)"))
                .y_axis_label(tr("mean NO2 (ppb)"))
                .show(ui, |p| {
                    p.points(
                        Points::new(tr("hours"), c.scatter.clone())
                            .radius(2.0)
                            .color(theme::series_color(4)),
                    );
                })
        });
        crate::app::png_export::context_menu(
            ctx,
            &plot_shown.inner.response,
            plot_shown.response.rect,
            "traffic_vs_no2",
        );
    }
}
