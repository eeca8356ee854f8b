//! Overview: KPI cards with sparklines (mean speed against typical,
//! incidents today against the daily average, worst AQI now, reports
//! today), the key figures suggested for any other open dataset (its main
//! measures' latest value against their usual level), and a summary of the
//! open datasets.

use std::sync::Arc;

use egui::{Color32, RichText};

use crate::app::i18n::{aqi_category_label, domain_label, tr};
use crate::app::state::{Command, ViewCtx, Workspace};
use crate::app::theme;
use crate::app::widgets;
use crate::charts::{ChartKind, ChartSpec, TimeBucket, format_value};
use crate::data::aqi::AqiCategory;
use crate::data::timeseries::{self, LocalClock, MICROS_PER_DAY, MICROS_PER_HOUR, TimeRange};
use crate::data::{Dataset, Domain, Measure, Role};
use crate::trf;

/// One KPI card.
#[derive(Clone, Debug, PartialEq)]
pub struct Kpi {
    /// Names the card's plots; the same in every language.
    pub id: String,
    pub title: String,
    pub value: String,
    pub detail: String,
    pub tone: Tone,
    pub spark: Vec<[f64; 2]>,
    pub spark_color: Color32,
    /// What the sparkline shows, for the large chart in presentation mode.
    pub spark_label: String,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Custom(Color32),
}

impl Tone {
    fn color(self) -> Color32 {
        match self {
            Self::Good => theme::GOOD,
            Self::Warn => theme::WARN,
            Self::Bad => theme::BAD,
            Self::Custom(c) => c,
        }
    }
}

#[derive(Default)]
pub struct OverviewView {
    bg: widgets::Background<Vec<(u64, u64)>, Vec<Kpi>>,
}

fn latest(ds: &Dataset) -> Option<i64> {
    ds.time_extent().map(|(_, hi)| hi)
}

/// Mean speed over the last 24 hours against the mean for the same weekday
/// and hour over all the data.
fn speed_kpi(ds: &Dataset) -> Option<Kpi> {
    let time = ds.time_column()?;
    let speed = ds.measure(Measure::Speed)?;
    let end = latest(ds)?;
    let profile = timeseries::weekday_hour_means(time, speed, &ds.time_zone, TimeRange::default());
    let mut clock = LocalClock::new(&ds.time_zone);
    let (mut now_sum, mut typ_sum, mut n) = (0.0, 0.0, 0.0);
    for r in 0..time.len() {
        let (Some(t), Some(v)) = (time.timestamp_at(r), speed.f64_at(r)) else {
            continue;
        };
        if t > end - 24 * MICROS_PER_HOUR
            && let Some(typical) = profile[clock.weekday(t)][clock.hour(t)]
        {
            now_sum += v;
            typ_sum += typical;
            n += 1.0;
        }
    }
    if n == 0.0 {
        return None;
    }
    let (now, typical) = (now_sum / n, typ_sum / n);
    let pct = (now / typical - 1.0) * 100.0;
    // Hours without readings are gaps in the line (NaN between runs).
    let spark = crate::data::decimate::min_max_with_gaps(
        &timeseries::bucket_mean(
            time,
            speed,
            MICROS_PER_HOUR,
            TimeRange {
                start: Some(end - 7 * MICROS_PER_DAY),
                end: Some(end),
            },
        ),
        400,
    );
    Some(Kpi {
        id: "speed".into(),
        title: tr("Mean speed, last 24 h").into(),
        value: format!("{now:.1} km/h"),
        detail: if pct < 0.0 {
            trf!("{:.1} % below typical ({:.1} km/h)", pct.abs(), typical)
        } else {
            trf!("{:.1} % above typical ({:.1} km/h)", pct.abs(), typical)
        },
        tone: if pct < -10.0 {
            Tone::Bad
        } else if pct < -3.0 {
            Tone::Warn
        } else {
            Tone::Good
        },
        spark,
        spark_color: theme::series_color(0),
        spark_label: tr("Mean speed of all sensors, hourly, the last 7 days (km/h)").into(),
    })
}

/// Events on the latest local day against the mean per day; `value`
/// writes the day's count with its noun.
fn per_day_kpi(
    ds: &Dataset,
    id: &'static str,
    title: &'static str,
    value: impl Fn(f64) -> String,
    label: &'static str,
) -> Option<Kpi> {
    let time = ds.time_column()?;
    let end = latest(ds)?;
    let mut clock = LocalClock::new(&ds.time_zone);
    let today = clock.day_start(end);
    let mut counts: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for r in 0..time.len() {
        if let Some(t) = time.timestamp_at(r) {
            *counts.entry(clock.day_start(t)).or_insert(0.0) += 1.0;
        }
    }
    let first = *counts.keys().next()?;
    let days = ((today - first) / MICROS_PER_DAY + 1).max(1) as f64;
    let total: f64 = counts.values().sum();
    let today_n = counts.get(&today).copied().unwrap_or(0.0);
    // The average over whole days before today.
    let past_days = (days - 1.0).max(1.0);
    let avg = (total - today_n) / past_days;
    let spark: Vec<[f64; 2]> = counts
        .range(today - 30 * MICROS_PER_DAY..=today)
        .map(|(&d, &n)| [d as f64 / 1e6, n])
        .collect();
    let ratio = if avg > 0.0 { today_n / avg } else { 1.0 };
    Some(Kpi {
        id: id.into(),
        title: title.into(),
        value: value(today_n),
        detail: trf!(
            "{} · daily average {:.1}",
            widgets::format_instant(today as f64 / 1e6, &ds.time_zone, "%a %b %d"),
            avg
        ),
        tone: if ratio > 1.5 {
            Tone::Bad
        } else if ratio > 1.15 {
            Tone::Warn
        } else {
            Tone::Good
        },
        spark,
        spark_color: theme::series_color(5),
        spark_label: label.into(),
    })
}

/// The highest AQI at the latest hour, with its station.
fn aqi_kpi(ds: &Dataset) -> Option<Kpi> {
    let time = ds.time_column()?;
    let (aqi, _) = ds.aqi()?;
    let aqi = &*aqi;
    let end = latest(ds)?;
    let place = ds.column_for(Role::PlaceId);
    let mut worst: Option<(f64, Option<String>)> = None;
    for r in 0..time.len() {
        if time
            .timestamp_at(r)
            .is_some_and(|t| t > end - MICROS_PER_HOUR)
            && let Some(v) = aqi.f64_at(r)
            && worst.as_ref().is_none_or(|(w, _)| v > *w)
        {
            worst = Some((v, place.and_then(|p| p.str_at(r)).map(str::to_owned)));
        }
    }
    let (value, station) = worst?;
    let cat = AqiCategory::from_aqi(value.clamp(0.0, 500.0) as u16);
    let spark = max_per_hour(time, aqi, end - 3 * MICROS_PER_DAY, end);
    let cat = aqi_category_label(cat);
    Some(Kpi {
        id: "aqi".into(),
        title: tr("Worst AQI now").into(),
        value: format!("{value:.0}"),
        detail: match station {
            Some(s) => trf!("{} at {}", cat, s),
            None => cat.to_owned(),
        },
        tone: Tone::Custom(theme::aqi_color(value)),
        spark,
        spark_color: theme::aqi_color(value),
        spark_label: tr("Worst AQI of all stations, hourly, the last 3 days").into(),
    })
}

fn max_per_hour(
    time: &crate::data::Column,
    v: &crate::data::Column,
    start: i64,
    end: i64,
) -> Vec<[f64; 2]> {
    let mut m: std::collections::BTreeMap<i64, f64> = std::collections::BTreeMap::new();
    for r in 0..time.len() {
        if let (Some(t), Some(y)) = (time.timestamp_at(r), v.f64_at(r))
            && t >= start
            && t <= end
        {
            let e = m.entry(t.div_euclid(MICROS_PER_HOUR)).or_insert(f64::MIN);
            *e = e.max(y);
        }
    }
    m.into_iter()
        .map(|(h, y)| [(h * MICROS_PER_HOUR) as f64 / 1e6, y])
        .collect()
}

/// The datasets the KPIs read: the active one of each domain.
#[derive(Clone, Default)]
pub struct KpiInputs {
    pub traffic: Option<Arc<Dataset>>,
    pub safety: Option<Arc<Dataset>>,
    pub environment: Option<Arc<Dataset>>,
    pub reports: Option<Arc<Dataset>>,
    /// The suggested key figures of datasets the city's own figures do
    /// not read (a planner's file): its dataset and spec.
    pub generic: Vec<(Arc<Dataset>, ChartSpec)>,
}

impl KpiInputs {
    pub fn from_workspace(ws: &Workspace) -> Self {
        let get = |d: Domain| ws.active_for(d).map(|e| Arc::clone(&e.dataset));
        Self {
            traffic: get(Domain::Traffic),
            safety: get(Domain::Safety),
            environment: get(Domain::Environment),
            reports: get(Domain::Reports),
            generic: generic_figures(ws),
        }
    }
}

/// Key figures shown at most.
const MAX_CARDS: usize = 6;

/// The suggested key figures (the latest value of a main measure against
/// its usual level) of every open dataset that is not one the city's own
/// figures read, newest dataset first.
fn generic_figures(ws: &Workspace) -> Vec<(Arc<Dataset>, ChartSpec)> {
    let domain_read = |e: &crate::app::state::DatasetEntry| {
        matches!(
            e.dataset.domain,
            Domain::Traffic | Domain::Safety | Domain::Environment | Domain::Reports
        ) && ws
            .active_for(e.dataset.domain)
            .is_some_and(|a| a.id == e.id)
    };
    ws.datasets
        .iter()
        .rev()
        .filter(|e| !domain_read(e))
        .flat_map(|e| {
            ws.suggested
                .get(&e.dataset.name)
                .into_iter()
                .flatten()
                .filter(|s| s.kind == ChartKind::Kpi)
                .map(move |s| (Arc::clone(&e.dataset), s.clone()))
        })
        .take(MAX_CARDS)
        .collect()
}

/// A generic key figure's card: the latest bucket's value, when it was,
/// and how far from the usual level (the median of the buckets before).
fn generic_kpi(n: usize, ds: &Dataset, spec: &ChartSpec) -> Option<Kpi> {
    let data = crate::charts::compute(spec, ds, TimeRange::default(), &()).ok()?;
    let k = data.kpi.as_ref()?;
    let pattern = match data.bucket {
        Some(TimeBucket::Year) => "%Y",
        Some(TimeBucket::Quarter | TimeBucket::Month) => "%B %Y",
        Some(TimeBucket::Week | TimeBucket::Day) => "%a %b %d %Y",
        _ => "%a %b %d %H:%M",
    };
    let when = widgets::format_instant(k.at, &ds.time_zone, pattern);
    let (detail, tone) = match k.usual {
        Some(u) if u.abs() > f64::EPSILON => {
            let pct = (k.latest - u) / u.abs() * 100.0;
            let tone = if pct.abs() > 25.0 {
                Tone::Warn
            } else {
                Tone::Custom(theme::series_color(n))
            };
            (
                trf!(
                    "{} · usual {} ({} %)",
                    when,
                    format_value(u),
                    format!("{pct:+.0}")
                ),
                tone,
            )
        }
        _ => (when, Tone::Custom(theme::series_color(n))),
    };
    let spark: Vec<[f64; 2]> = data
        .series
        .first()
        .map(|s| s.points.iter().rev().take(60).rev().copied().collect())
        .unwrap_or_default();
    Some(Kpi {
        id: format!("generic_{n}"),
        title: crate::app::i18n::chart_title(&spec.title),
        value: format_value(k.latest),
        detail,
        tone,
        spark,
        spark_color: theme::series_color(n),
        spark_label: trf!(
            "{} ({})",
            crate::app::i18n::value_label(&data.y_label),
            ds.name
        ),
    })
}

/// All KPIs the open data allows, in a fixed order.
pub fn compute_kpis(inputs: &KpiInputs) -> Vec<Kpi> {
    let mut out = Vec::new();
    let ds = |d: Domain| match d {
        Domain::Traffic => inputs.traffic.as_deref(),
        Domain::Safety => inputs.safety.as_deref(),
        Domain::Environment => inputs.environment.as_deref(),
        Domain::Reports => inputs.reports.as_deref(),
        Domain::Services | Domain::General => None,
    };
    if let Some(k) = ds(Domain::Traffic).and_then(speed_kpi) {
        out.push(k);
    }
    if let Some(k) = ds(Domain::Safety).and_then(|d| {
        per_day_kpi(
            d,
            "incidents",
            tr("Incidents today"),
            |n| trf!("{:.0} incidents", n),
            tr("Incidents per day, the last 30 days"),
        )
    }) {
        out.push(k);
    }
    if let Some(k) = ds(Domain::Environment).and_then(aqi_kpi) {
        out.push(k);
    }
    let reports = ds(Domain::Reports).and_then(|d| {
        per_day_kpi(
            d,
            "reports",
            tr("Citizen reports today"),
            |n| trf!("{:.0} reports", n),
            tr("Citizen reports per day, the last 30 days"),
        )
    });
    out.extend(reports);
    for (n, (d, spec)) in inputs.generic.iter().enumerate() {
        if out.len() >= MAX_CARDS {
            break;
        }
        out.extend(generic_kpi(n, d, spec));
    }
    out
}

fn kpi_card_ui(ui: &mut egui::Ui, k: &Kpi) {
    egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .corner_radius(6.0)
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.set_width(theme::KPI_WIDTH);
                ui.label(RichText::new(&k.title).color(theme::MUTED));
                ui.label(
                    RichText::new(&k.value)
                        .font(theme::kpi_value_font())
                        .color(k.tone.color()),
                );
                ui.label(&k.detail);
                widgets::sparkline_ui(ui, &format!("spark_{}", k.id), &k.spark, k.spark_color);
            });
        });
}

impl OverviewView {
    pub fn is_busy(&self) -> bool {
        self.bg.is_busy()
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let key: Vec<(u64, u64)> = ctx.ws.datasets.iter().map(|e| (e.id, e.revision)).collect();
        self.bg.ensure(ui.ctx(), &key, || {
            let inputs = KpiInputs::from_workspace(ctx.ws);
            move |_| compute_kpis(&inputs)
        });
        let kpis = self.bg.value().unwrap_or_default();
        ui.heading(tr("City overview"));
        widgets::updating_ui(ui, self.bg.is_busy());
        if ctx.ws.datasets.is_empty() {
            ui.add_space(12.0);
            ui.label(tr("No data is open yet."));
            ui.horizontal(|ui| {
                if ui.button(tr("Open CSV…")).clicked() {
                    ctx.send(Command::OpenDialog);
                }
                if ui.button(tr("Load demo city")).clicked() {
                    ctx.send(Command::LoadDemo);
                }
            });
            return;
        }
        ui.add_space(6.0);
        if kpis.is_empty() && !self.bg.is_busy() {
            widgets::missing_ui(
                ui,
                tr(
                    "None of the open datasets has a measure over time for a key figure. Explore shows the charts each one allows.",
                ),
            );
        }
        // Rows of as many cards as fit (a wrapped layout cannot know a
        // card's width before drawing it).
        let card = theme::KPI_WIDTH + 2.0 * 13.0 + ui.spacing().item_spacing.x;
        let fit = ((ui.available_width() / card).floor() as usize).max(1);
        // As even as the rows can be: 4 cards where 3 fit go 2 + 2.
        let per_row = kpis.len().div_ceil(kpis.len().div_ceil(fit).max(1)).max(1);
        for row in kpis.chunks(per_row) {
            ui.horizontal(|ui| {
                for k in row {
                    kpi_card_ui(ui, k);
                }
            });
        }
        if ctx.presenting {
            trends_ui(ctx, ui, &kpis);
            return;
        }
        alerts_ui(ctx, ui);
        ui.add_space(16.0);
        ui.strong(tr("Open datasets"));
        egui::Grid::new("datasets_grid")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                for h in [
                    tr("Name"),
                    tr("Kind"),
                    tr("Rows"),
                    tr("Columns"),
                    tr("Time span"),
                    tr("Warnings"),
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for e in &ctx.ws.datasets {
                    let ds = &e.dataset;
                    ui.label(&ds.name);
                    ui.label(domain_label(ds.domain));
                    ui.label(crate::app::i18n::count(ds.table.n_rows()));
                    ui.label(ds.table.n_columns().to_string());
                    ui.label(match ds.time_extent() {
                        Some((a, b)) => format!(
                            "{} – {} ({})",
                            widgets::format_instant(a as f64 / 1e6, &ds.time_zone, "%Y-%m-%d"),
                            widgets::format_instant(b as f64 / 1e6, &ds.time_zone, "%Y-%m-%d"),
                            ds.time_zone_name()
                        ),
                        None => "–".to_owned(),
                    });
                    ui.label(ds.warnings.len().to_string());
                    ui.end_row();
                }
            });
    }
}

/// The active alerts with the time each began, and the thresholds.
fn alerts_ui(ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
    let ws = ctx.ws;
    ui.add_space(16.0);
    ui.strong(trf!("Alerts ({} active)", ws.alerts.len()));
    if ws.alerts.is_empty() {
        ui.colored_label(
            theme::GOOD,
            tr("No threshold is broken in the latest data."),
        );
    }
    egui::Grid::new("alerts_grid")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for a in &ws.alerts {
                let tz = ws
                    .datasets
                    .iter()
                    .find(|e| e.dataset.name == a.dataset)
                    .map_or_else(jiff::tz::TimeZone::system, |e| e.dataset.time_zone.clone());
                let acked = ws.acknowledged.contains(&a.key);
                let (title, detail) = crate::app::i18n::alert_text(a);
                ui.colored_label(if acked { theme::MUTED } else { theme::BAD }, title);
                ui.label(trf!(
                    "since {}",
                    widgets::format_instant(a.began as f64 / 1e6, &tz, "%Y-%m-%d %H:%M")
                ));
                ui.label(detail);
                ui.label(if acked { tr("acknowledged") } else { tr("new") });
                ui.end_row();
            }
        });
    egui::CollapsingHeader::new(tr("Alert thresholds"))
        .id_salt("alert_thresholds")
        .show(ui, |ui| {
            let mut rules = ws.alert_rules.clone();
            let rule = |ui: &mut egui::Ui,
                        value: &mut Option<f64>,
                        label: &str,
                        default: f64,
                        range: std::ops::RangeInclusive<f64>,
                        unit: &str| {
                ui.horizontal(|ui| {
                    let mut on = value.is_some();
                    ui.checkbox(&mut on, label);
                    let mut v = value.unwrap_or(default);
                    let r =
                        ui.add_enabled(on, egui::DragValue::new(&mut v).range(range).suffix(unit));
                    widgets::name_for_screen_readers(&r, egui::Role::SpinButton, label);
                    *value = on.then_some(v);
                });
            };
            rule(
                ui,
                &mut rules.aqi_above,
                tr("AQI above"),
                150.0,
                0.0..=500.0,
                "",
            );
            rule(
                ui,
                &mut rules.speed_below_usual_pct,
                tr("Speed below usual for the hour"),
                40.0,
                1.0..=200.0,
                " %",
            );
            rule(
                ui,
                &mut rules.incidents_per_hour_above,
                tr("Incidents per hour above"),
                10.0,
                0.0..=1000.0,
                "",
            );
            ui.horizontal(|ui| {
                rule(
                    ui,
                    &mut rules.forecast_above,
                    tr("Forecast above"),
                    150.0,
                    0.0..=5000.0,
                    "",
                );
                ui.label(tr("by the model"));
                let edit = ui.add_enabled(
                    rules.forecast_above.is_some(),
                    egui::TextEdit::singleline(&mut rules.forecast_model)
                        .desired_width(160.0)
                        .hint_text("aqi_forecast"),
                );
                widgets::name_for_screen_readers(&edit, egui::Role::TextInput, tr("Forecast model"));
            })
            .response
            .on_hover_text(tr(
                "A forecast model in the models folder (Models view) runs on the latest hours of every dataset with its target; an alert is raised where it predicts a value above the level within its horizon.",
            ));
            if let (Some(_), Some(problem)) = (rules.forecast_above, &ws.forecast_rule_problem) {
                ui.colored_label(theme::WARN, trf!("The forecast rule cannot run: {}", problem));
            }
            if rules != ws.alert_rules {
                ctx.send(Command::SetAlertRules(rules));
            }
        });
}

/// In presentation mode: the series behind each key figure, drawn large
/// (two to a row) so that the back of the room sees the trend.
fn trends_ui(ctx: &ViewCtx<'_>, ui: &mut egui::Ui, kpis: &[Kpi]) {
    let tz = ctx
        .ws
        .datasets
        .first()
        .map_or_else(jiff::tz::TimeZone::system, |e| e.dataset.time_zone.clone());
    let axis = widgets::TimeAxis::new(tz);
    let gap = ui.spacing().item_spacing.x;
    let width = ((ui.available_width() - gap) / 2.0).max(200.0);
    ui.add_space(12.0);
    for pair in kpis.chunks(2) {
        ui.horizontal_top(|ui| {
            for k in pair {
                ui.vertical(|ui| {
                    ui.set_width(width);
                    ui.strong(&k.spark_label);
                    axis.apply(
                        egui_plot::Plot::new(("present_trend", &k.id))
                            .height(theme::PLOT_HEIGHT)
                            .width(width)
                            .allow_drag(false)
                            .allow_zoom(false)
                            .allow_scroll(false),
                        "",
                    )
                    .show(ui, |p| {
                        widgets::gapped_line(p, &k.title, &k.spark, k.spark_color, 2.5);
                    });
                });
            }
        });
    }
}
