//! The default dashboard of a dataset: the panels its recognised domain
//! calls for, made from the columns the file really has, then the charts
//! suggested for any table.
//!
//! - **Traffic**: speed (or volume) across the network against its usual
//!   level for that weekday and hour, volume against its usual, each by
//!   sensor, the weekday × hour profile, where the sensors are, the latest
//!   figure.
//! - **Safety**: incidents per bucket, by type and by place, the weekday ×
//!   hour profile of incidents, where they happened, mean severity.
//! - **Environment**: the AQI on the EPA's bands (from an AQI column or
//!   computed from the pollutants), each pollutant by station; weather
//!   without pollutants gets temperature, precipitation and wind.
//! - **Anything with a count over time** (ridership, counter readings):
//!   its weekday × hour profile when the data is hourly.
//!
//! The Traffic, Safety and Environment views fall back to these panels
//! when a file lacks their usual columns, and the dashboards made for an
//! opened file start from them (and "Reset" makes them again).

use super::suggest::{MAX_GROUP_VALUES, distinct, hourly, pretty, sentence, suggest, varies};
use super::{AQI, Aggregation, ChartKind, ChartSpec, Reference, TimeBucket};
use crate::data::{ColumnKind, Dataset, Domain, Measure, Role};

/// Panels on a default dashboard.
pub const DEFAULT_PANELS: usize = 8;

/// The default dashboard's charts for `ds`: its domain's panels, then the
/// suggested charts not already there, at most [`DEFAULT_PANELS`].
pub fn default_dashboard(ds: &Dataset) -> Vec<ChartSpec> {
    let mut out = domain_panels(ds);
    for s in suggest(ds) {
        if !out.iter().any(|o| same_chart(o, &s)) {
            out.push(s);
        }
    }
    out.truncate(DEFAULT_PANELS);
    out
}

/// Two specs that would draw the same chart (ignoring the title).
fn same_chart(a: &ChartSpec, b: &ChartSpec) -> bool {
    a.kind == b.kind && a.x == b.x && a.measures == b.measures && a.group == b.group
}

/// What the dataset's columns allow a domain dashboard to use.
struct Columns<'a> {
    ds: &'a Dataset,
    time: Option<String>,
    hourly: bool,
    /// A place column of at most a dozen values (a series per place).
    place: Option<String>,
    /// Any place or category column with at most 200 values.
    places: Option<String>,
    category: Option<String>,
    small_category: Option<String>,
    has_map: bool,
}

impl<'a> Columns<'a> {
    fn of(ds: &'a Dataset) -> Self {
        let cols = &ds.table.columns;
        let role = |i: usize| ds.schema.roles.get(i).copied().unwrap_or(Role::Other);
        let time_col = ds
            .schema
            .find(Role::Time)
            .and_then(|i| cols.get(i))
            .filter(|c| c.kind() == ColumnKind::Timestamp);
        let with = |want: Role, cap: usize| {
            (0..cols.len())
                .filter(|&i| role(i) == want)
                .filter_map(|i| cols.get(i))
                .find(|c| (2..=cap).contains(&distinct(c, cap)))
                .map(|c| c.name.clone())
        };
        Self {
            ds,
            time: time_col.map(|c| c.name.clone()),
            hourly: time_col.is_some_and(hourly),
            place: with(Role::PlaceId, MAX_GROUP_VALUES),
            places: with(Role::PlaceId, 200),
            category: with(Role::Category, 200),
            small_category: with(Role::Category, MAX_GROUP_VALUES),
            has_map: ds.column_for(Role::Latitude).is_some()
                && ds.column_for(Role::Longitude).is_some(),
        }
    }

    /// The name of the column of a measure, if it has varying values.
    fn measure(&self, m: Measure) -> Option<String> {
        self.ds
            .measure(m)
            .filter(|c| c.kind().is_numeric() && varies(c))
            .map(|c| c.name.clone())
    }

    fn base(&self) -> ChartSpec {
        ChartSpec {
            dataset: self.ds.name.clone(),
            x: self.time.clone(),
            ..ChartSpec::default()
        }
    }

    /// A measure over time, by place when there are a few.
    fn over_time(&self, m: &str, aggregation: Aggregation) -> ChartSpec {
        ChartSpec {
            title: match &self.place {
                Some(p) => format!("{} over time by {}", pretty(m), pretty(p)),
                None => format!("{} over time", pretty(m)),
            },
            kind: ChartKind::Line,
            measures: vec![m.to_owned()],
            group: self.place.clone(),
            aggregation,
            ..self.base()
        }
    }

    /// A measure across all places against its usual level for that
    /// weekday and hour (hourly buckets when the data is hourly).
    fn against_usual(&self, m: &str, aggregation: Aggregation) -> ChartSpec {
        ChartSpec {
            title: format!("{} against the usual", pretty(m)),
            kind: ChartKind::Line,
            measures: vec![m.to_owned()],
            aggregation,
            // Hours over a week or two, days over longer windows: the
            // usual level is then that weekday's.
            bucket: TimeBucket::Auto,
            reference: Reference::Usual,
            ..self.base()
        }
    }

    fn profile(&self, m: Option<&str>, what: &str) -> Option<ChartSpec> {
        self.hourly.then(|| ChartSpec {
            title: format!("{what} by weekday and hour"),
            kind: ChartKind::Heatmap,
            measures: m.map(str::to_owned).into_iter().collect(),
            aggregation: if m.is_some() {
                Aggregation::Mean
            } else {
                Aggregation::Count
            },
            ..self.base()
        })
    }

    fn counts_by(&self, column: &Option<String>, what: &str) -> Option<ChartSpec> {
        let c = column.as_ref()?;
        Some(ChartSpec {
            title: format!("{what} by {}", pretty(c)),
            kind: ChartKind::Bar,
            x: Some(c.clone()),
            aggregation: Aggregation::Count,
            top_n: Some(20),
            ..self.base()
        })
    }

    fn map(&self, title: &str, group: Option<String>) -> Option<ChartSpec> {
        self.has_map.then(|| ChartSpec {
            title: title.to_owned(),
            kind: ChartKind::MapPoints,
            x: None,
            group,
            ..self.base()
        })
    }

    fn latest(&self, m: &str) -> ChartSpec {
        ChartSpec {
            title: format!("Latest {}", pretty(m)),
            kind: ChartKind::Kpi,
            measures: vec![m.to_owned()],
            ..self.base()
        }
    }
}

/// The panels of the dataset's domain (empty for other domains or a table
/// without a time column where the domain needs one).
pub fn domain_panels(ds: &Dataset) -> Vec<ChartSpec> {
    let c = Columns::of(ds);
    let mut out: Vec<ChartSpec> = Vec::new();
    match ds.domain {
        Domain::Traffic if c.time.is_some() => {
            let speed = c.measure(Measure::Speed);
            let volume = c.measure(Measure::Volume);
            let occupancy = c.measure(Measure::Occupancy);
            let main = speed.clone().or(volume.clone()).or(occupancy.clone());
            if let Some(s) = &speed {
                out.push(c.against_usual(s, Aggregation::Mean));
            }
            if let Some(v) = &volume {
                out.push(c.against_usual(v, Aggregation::Sum));
            }
            if speed.is_none()
                && volume.is_none()
                && let Some(o) = &occupancy
            {
                out.push(c.against_usual(o, Aggregation::Mean));
            }
            if let Some(m) = &main {
                out.extend(c.profile(Some(m), &pretty(m)));
                if c.place.is_some() {
                    let agg = if Some(m) == volume.as_ref() && speed.is_none() {
                        Aggregation::Sum
                    } else {
                        Aggregation::Mean
                    };
                    out.push(c.over_time(m, agg));
                }
                out.extend(c.map("Where the sensors are", None));
                out.push(c.latest(m));
            }
        }
        Domain::Safety => {
            if c.time.is_some() {
                out.push(ChartSpec {
                    title: "Incidents over time".to_owned(),
                    kind: ChartKind::Bar,
                    aggregation: Aggregation::Count,
                    ..c.base()
                });
            }
            out.extend(c.counts_by(&c.category, "Incidents"));
            out.extend(c.counts_by(&c.places, "Incidents"));
            if c.time.is_some() {
                out.extend(c.profile(None, "Incidents"));
            }
            out.extend(c.map("Where incidents happened", c.small_category.clone()));
            if c.time.is_some()
                && let Some(s) = c.measure(Measure::Severity)
            {
                out.push(ChartSpec {
                    title: format!("Mean {} over time", pretty(&s)),
                    kind: ChartKind::Line,
                    measures: vec![s],
                    ..c.base()
                });
            }
        }
        Domain::Environment if c.time.is_some() => {
            let pollutants: Vec<String> = [Measure::Pm25, Measure::Pm10, Measure::No2, Measure::O3]
                .into_iter()
                .filter_map(|m| c.measure(m))
                .collect();
            let aqi = c.measure(Measure::Aqi).or_else(|| {
                // Computed from the pollutants by `compute` (see `AQI`).
                (!pollutants.is_empty() && ds.table.column(AQI).is_none()).then(|| AQI.to_owned())
            });
            if let Some(a) = &aqi {
                out.push(ChartSpec {
                    title: match &c.place {
                        Some(p) => format!("{} on the EPA bands by {}", pretty(a), pretty(p)),
                        None => format!("{} on the EPA bands", pretty(a)),
                    },
                    reference: Reference::AqiBands,
                    ..c.over_time(a, Aggregation::Mean)
                });
            }
            for p in pollutants.iter().take(3) {
                out.push(c.over_time(p, Aggregation::Mean));
            }
            let weather = [
                (Measure::Temperature, Aggregation::Mean),
                (Measure::Rain, Aggregation::Sum),
                (Measure::Wind, Aggregation::Mean),
                (Measure::Humidity, Aggregation::Mean),
            ];
            for (m, agg) in weather {
                if let Some(w) = c.measure(m) {
                    out.push(c.over_time(&w, agg));
                }
            }
            if let Some(first) = aqi.as_ref().or(pollutants.first()) {
                out.extend(c.profile(Some(first), &pretty(first)));
            }
            out.extend(c.map("Where the stations are", None));
            if let Some(first) = aqi.or_else(|| c.measure(Measure::Temperature)) {
                out.push(c.latest(&first));
            }
        }
        _ if c.time.is_some() && c.hourly => {
            // A ridership or counter series: its weekly profile.
            let count = ds
                .schema
                .roles
                .iter()
                .position(|&r| r == Role::Count)
                .and_then(|i| ds.table.columns.get(i))
                .filter(|col| col.kind().is_numeric() && varies(col))
                .map(|col| col.name.clone());
            if let Some(n) = count {
                out.extend(c.profile(Some(&n), &pretty(&n)));
            }
        }
        _ => {}
    }
    for s in &mut out {
        s.title = sentence(&s.title);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{ChartData, compute};
    use crate::data::csv_load::LoadOptions;
    use crate::data::timeseries::TimeRange;

    fn load(name: &str) -> Dataset {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let opts = LoadOptions {
            time_zone: Some(jiff::tz::TimeZone::UTC),
            ..LoadOptions::default()
        };
        crate::data::load_dataset(&path, &opts, &()).unwrap()
    }

    fn drawn(spec: &ChartSpec, ds: &Dataset) -> ChartData {
        let d = compute(spec, ds, TimeRange::default(), &())
            .unwrap_or_else(|e| panic!("{}: {e}", spec.title));
        assert!(d.counts().0 > 0, "{} draws nothing", spec.title);
        d
    }

    #[test]
    fn the_demo_citys_domains_get_their_special_panels() {
        let city = crate::data::demo_datasets();
        let traffic = city.iter().find(|d| d.domain == Domain::Traffic).unwrap();
        let panels = domain_panels(traffic);
        let usual = panels
            .iter()
            .find(|s| s.reference == Reference::Usual)
            .expect("traffic is drawn against its usual level");
        let d = drawn(usual, traffic);
        assert!(d.series.iter().any(|s| s.usual && s.drawn() > 0));
        assert!(panels.iter().any(|s| s.kind == ChartKind::Heatmap));

        let air = city
            .iter()
            .find(|d| d.domain == Domain::Environment)
            .unwrap();
        let bands = domain_panels(air)
            .into_iter()
            .find(|s| s.reference == Reference::AqiBands)
            .expect("the AQI on the EPA bands");
        let d = drawn(&bands, air);
        assert_eq!(d.reference, Reference::AqiBands);
        // AQI values are on the EPA scale.
        assert!(
            d.series
                .iter()
                .flat_map(|s| &s.points)
                .filter(|p| p[1].is_finite())
                .all(|p| (0.0..=500.0).contains(&p[1]))
        );
    }

    #[test]
    fn real_files_get_domain_panels_made_from_the_columns_they_have() {
        // European station readings of PM10 and NO2: the AQI computed
        // from the pollutants, by station, then each pollutant.
        let eu = load("air_quality_eu.csv");
        assert_eq!(eu.domain, Domain::Environment);
        let panels = default_dashboard(&eu);
        let aqi = &panels[0];
        assert_eq!(aqi.reference, Reference::AqiBands, "{panels:#?}");
        assert_eq!(aqi.measures, [AQI]);
        assert_eq!(aqi.group.as_deref(), Some("Station"));
        drawn(aqi, &eu);
        assert!(panels.iter().any(|s| s.measures == ["PM10"]));

        // Incidents with a time and places: over time and by place.
        for name in [
            "sf_police_incidents.csv",
            "nyc_collisions.csv",
            "incidents_us.csv",
        ] {
            let ds = load(name);
            if ds.domain != Domain::Safety {
                continue;
            }
            let panels = domain_panels(&ds);
            assert_eq!(panels[0].title, "Incidents over time", "{name}");
            assert!(panels.len() >= 3, "{name}: {panels:#?}");
            for p in &panels {
                drawn(p, &ds);
            }
        }

        // Every default dashboard computes and has no repeated chart.
        for name in [
            "chicago_congestion_segments.csv",
            "epa_hourly.csv",
            "nyc_311_requests.csv",
            "air_quality_eu.csv",
        ] {
            let ds = load(name);
            let panels = default_dashboard(&ds);
            assert!(panels.len() >= 3, "{name}");
            assert!(panels.len() <= DEFAULT_PANELS);
            for (i, a) in panels.iter().enumerate() {
                assert!(!panels[..i].iter().any(|b| same_chart(a, b)), "{name}");
                compute(a, &ds, TimeRange::default(), &())
                    .unwrap_or_else(|e| panic!("{name}: {}: {e}", a.title));
            }
        }
    }

    #[test]
    fn weather_without_pollutants_gets_temperature_precipitation_and_wind() {
        use crate::data::{Column, Source, Table};
        let hours: Vec<i64> = (0..24 * 14)
            .map(|h| 1_777_000_000_000_000 + h * 3_600_000_000)
            .collect();
        let n = hours.len();
        let ds = Dataset::from_table(
            "station_weather",
            Source::Derived("test".to_owned()),
            Table::new(vec![
                Column::from_timestamps("time", hours),
                Column::from_f64("temperature_c", (0..n).map(|i| (i % 24) as f64).collect()),
                Column::from_f64("precipitation_mm", (0..n).map(|i| (i % 5) as f64).collect()),
                Column::from_f64("wind_speed_kmh", (0..n).map(|i| (i % 7) as f64).collect()),
            ])
            .unwrap(),
            jiff::tz::TimeZone::UTC,
        );
        assert_eq!(ds.domain, Domain::Environment);
        let titles: Vec<String> = domain_panels(&ds).into_iter().map(|s| s.title).collect();
        for want in [
            "Temperature c over time",
            "Precipitation mm over time",
            "Wind speed kmh over time",
        ] {
            assert!(titles.iter().any(|t| t == want), "{want} in {titles:?}");
        }
        assert!(!titles.iter().any(|t| t.contains("EPA")), "{titles:?}");
    }
}
