//! Alerts: thresholds an operator sets, checked against the open data.
//! An alert is active when the latest reading breaks its threshold; it
//! began where the unbroken run of breaking readings up to the latest one
//! began. Checked in a background job whenever the data or the thresholds
//! change (the app keys the job on both).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::timeseries::{LocalClock, MICROS_PER_HOUR, TimeRange, bucket_count, series_by_place};
use super::{Dataset, Domain, Measure, Role};

/// The thresholds; `None` switches a rule off. Persisted with the workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertRules {
    /// An air-quality station's AQI above this.
    pub aqi_above: Option<f64>,
    /// A traffic sensor's speed below this percentage of its usual speed
    /// for that weekday and hour.
    pub speed_below_usual_pct: Option<f64>,
    /// More incidents than this in one hour.
    pub incidents_per_hour_above: Option<f64>,
    /// A forecast model (by name in the models folder) predicting its
    /// target above this within its horizon.
    pub forecast_above: Option<f64>,
    pub forecast_model: String,
}

impl Default for AlertRules {
    fn default() -> Self {
        Self {
            aqi_above: Some(150.0),
            speed_below_usual_pct: Some(40.0),
            incidents_per_hour_above: Some(10.0),
            forecast_above: Some(150.0),
            forecast_model: "aqi_forecast".to_owned(),
        }
    }
}

/// What an alert is about, with its figures, so the dashboard can say it
/// in the user's language.
#[derive(Clone, Debug, PartialEq)]
pub enum AlertWhat {
    /// A station's AQI is above `level`.
    Aqi {
        level: f64,
        place: String,
        latest: f64,
    },
    /// A sensor's speed is below `pct` % of its usual for the hour.
    Speed {
        pct: f64,
        place: String,
        latest: f64,
        usual: f64,
    },
    /// More than `level` incidents in the latest hour.
    Incidents { level: f64, latest: f64 },
    /// A forecast model predicts `target` above `level` at a place
    /// within its horizon.
    Forecast {
        level: f64,
        place: String,
        target: String,
        predicted: f64,
        hours_ahead: usize,
        model: String,
    },
}

/// One active alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// Stable across re-checks while the alert lasts: rule, place and start.
    pub key: String,
    /// "AQI above 150 at AQ4" (English; the dashboard words it from `what`).
    pub title: String,
    /// The latest value and what it was compared with.
    pub detail: String,
    pub what: AlertWhat,
    /// When the run of breaking readings began (µs since the epoch, UTC).
    pub began: i64,
    pub dataset: String,
}

/// The trailing run of points (sorted by time) where `breaks` holds: the
/// time its first point was taken, or `None` when the last point does not
/// break.
fn trailing_run(points: &[[f64; 2]], breaks: impl Fn(usize, &[f64; 2]) -> bool) -> Option<f64> {
    let last = points.len().checked_sub(1)?;
    if !breaks(last, points.get(last)?) {
        return None;
    }
    let mut start = last;
    while start > 0 && points.get(start - 1).is_some_and(|p| breaks(start - 1, p)) {
        start -= 1;
    }
    points.get(start).map(|p| p[0])
}

fn micros(seconds: f64) -> i64 {
    (seconds * 1e6).round() as i64
}

/// Checks every rule against every open dataset it applies to.
pub fn evaluate(datasets: &[&Dataset], rules: &AlertRules) -> Vec<Alert> {
    let mut out = Vec::new();
    for ds in datasets {
        let Some(time) = ds.time_column() else {
            continue;
        };
        let place = ds.column_for(Role::PlaceId);
        if let (Some(level), Some((aqi, _))) = (rules.aqi_above, ds.aqi()) {
            for (name, s) in series_by_place(time, place, &aqi, TimeRange::default()) {
                if let Some(start) = trailing_run(&s, |_, p| p[1] > level) {
                    let latest = s.last().map_or(f64::NAN, |p| p[1]);
                    out.push(Alert {
                        key: format!("aqi|{}|{name}|{start}", ds.name),
                        title: format!("AQI above {level:.0} at {name}"),
                        detail: format!("AQI {latest:.0} now"),
                        what: AlertWhat::Aqi {
                            level,
                            place: name.clone(),
                            latest,
                        },
                        began: micros(start),
                        dataset: ds.name.clone(),
                    });
                }
            }
        }
        if let (Some(pct), Some(speed), Domain::Traffic) = (
            rules.speed_below_usual_pct,
            ds.measure(Measure::Speed),
            ds.domain,
        ) {
            let mut clock = LocalClock::new(&ds.time_zone);
            for (name, s) in series_by_place(time, place, speed, TimeRange::default()) {
                // The usual speed of this sensor per weekday and hour.
                let slot = |clock: &mut LocalClock<'_>, t: f64| {
                    let t = micros(t);
                    clock.weekday(t) * 24 + clock.hour(t)
                };
                let mut sums: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
                let slots: Vec<usize> = s.iter().map(|p| slot(&mut clock, p[0])).collect();
                for (p, k) in s.iter().zip(&slots) {
                    let e = sums.entry(*k).or_insert((0.0, 0.0));
                    e.0 += p[1];
                    e.1 += 1.0;
                }
                let usual = |i: usize| {
                    slots
                        .get(i)
                        .and_then(|k| sums.get(k))
                        .map_or(f64::NAN, |(sum, n)| sum / n)
                };
                if let Some(start) =
                    trailing_run(&s, |i, p| usual(i) > 0.0 && p[1] < usual(i) * pct / 100.0)
                {
                    let last = s.len() - 1;
                    let latest = s.get(last).map_or(f64::NAN, |p| p[1]);
                    out.push(Alert {
                        key: format!("speed|{}|{name}|{start}", ds.name),
                        title: format!("Speed below {pct:.0} % of usual at {name}"),
                        detail: format!("{latest:.0} now, usually {:.0} at this hour", usual(last)),
                        what: AlertWhat::Speed {
                            pct,
                            place: name.clone(),
                            latest,
                            usual: usual(last),
                        },
                        began: micros(start),
                        dataset: ds.name.clone(),
                    });
                }
            }
        }
        if let (Some(level), Domain::Safety) = (rules.incidents_per_hour_above, ds.domain) {
            let hours = bucket_count(time, MICROS_PER_HOUR, TimeRange::default(), None);
            if let Some(start) = trailing_run(&hours, |_, p| p[1] > level) {
                out.push(Alert {
                    key: format!("incidents|{}|{start}", ds.name),
                    title: format!("More than {level:.0} incidents per hour"),
                    detail: format!(
                        "{:.0} in the latest hour",
                        hours.last().map_or(0.0, |p| p[1])
                    ),
                    what: AlertWhat::Incidents {
                        level,
                        latest: hours.last().map_or(0.0, |p| p[1]),
                    },
                    began: micros(start),
                    dataset: ds.name.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.began.cmp(&b.began).then(a.key.cmp(&b.key)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Column, Source, Table};

    fn station_table(values: &[(i64, &str, f64)]) -> Dataset {
        let t: Vec<i64> = values.iter().map(|v| v.0 * 3_600_000_000).collect();
        let places: Vec<&str> = values.iter().map(|v| v.1).collect();
        let aqi: Vec<f64> = values.iter().map(|v| v.2).collect();
        let table = Table::new(vec![
            Column::from_timestamps("timestamp", t),
            Column::categorical("station_id", &places),
            Column::from_f64("aqi", aqi),
        ])
        .unwrap();
        Dataset::from_table(
            "air".to_owned(),
            Source::Demo("test".to_owned()),
            table,
            jiff::tz::TimeZone::UTC,
        )
    }

    #[test]
    fn a_file_of_pollutants_without_an_aqi_column_still_raises_aqi_alerts() {
        // PM2.5 of 150 µg/m³ is AQI 200 or so; 5 µg/m³ is "Good".
        let table = Table::new(vec![
            Column::from_timestamps("timestamp", vec![0, 3_600_000_000, 7_200_000_000]),
            Column::categorical("station_id", &["A", "A", "A"]),
            Column::from_f64("pm25", vec![5.0, 150.0, 160.0]),
        ])
        .unwrap();
        let ds = Dataset::from_table(
            "air".to_owned(),
            Source::Demo("test".to_owned()),
            table,
            jiff::tz::TimeZone::UTC,
        );
        let alerts = evaluate(&[&ds], &AlertRules::default());
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].title, "AQI above 150 at A");
        assert_eq!(alerts[0].began, 3_600_000_000);
    }

    #[test]
    fn an_aqi_alert_is_active_from_the_start_of_the_latest_run() {
        let ds = station_table(&[
            (0, "A", 160.0),
            (1, "A", 90.0),
            (2, "A", 170.0),
            (3, "A", 180.0),
            (0, "B", 200.0),
            (3, "B", 100.0),
        ]);
        assert_eq!(ds.domain, Domain::Environment, "recognised as air quality");
        let alerts = evaluate(&[&ds], &AlertRules::default());
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].title, "AQI above 150 at A");
        assert_eq!(
            alerts[0].began,
            2 * 3_600_000_000,
            "the run began at hour 2"
        );
        assert_eq!(alerts[0].detail, "AQI 180 now");
        let off = AlertRules {
            aqi_above: None,
            ..AlertRules::default()
        };
        assert!(evaluate(&[&ds], &off).is_empty());
    }

    #[test]
    fn the_demo_city_is_calm_at_the_default_thresholds_and_alarms_at_strict_ones() {
        let demo = crate::data::demo_datasets();
        let refs: Vec<&Dataset> = demo.iter().collect();
        let calm = evaluate(&refs, &AlertRules::default());
        assert!(calm.iter().all(|a| !a.title.starts_with("AQI")), "{calm:?}");
        let strict = AlertRules {
            aqi_above: Some(10.0),
            speed_below_usual_pct: Some(150.0),
            incidents_per_hour_above: Some(0.0),
            ..AlertRules::default()
        };
        let alerts = evaluate(&refs, &strict);
        assert!(
            alerts
                .iter()
                .any(|a| a.title.starts_with("AQI above 10 at"))
        );
        assert!(
            alerts
                .iter()
                .any(|a| a.title.starts_with("Speed below 150 % of usual"))
        );
        // Keys stay the same on a re-check of the same data.
        assert_eq!(alerts, evaluate(&refs, &strict));
    }
}
