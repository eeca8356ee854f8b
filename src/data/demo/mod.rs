//! The embedded demo city, "Riverton": five related tables generated in code.
//!
//! Riverton is a fictional mid-size US city laid over the coordinates of
//! central Chicago (around 41.88° N, 87.63° W) and run on Chicago's clock
//! ([`DEMO_TIME_ZONE`]). The data covers 90 local days starting Monday
//! 2026-08-10 at midnight, one row per UTC hour, so the DST fall-back on
//! 2026-11-01 shows up as a repeated local 01:00 hour (2,161 hours in all).
//! Everything is generated from a seed by [`Rng`]: no files, no network, the
//! same tables on every machine.
//!
//! # How the tables hang together
//!
//! One hourly **weather** series drives everything else: temperature with a
//! daily cycle and a seasonal cooling from about 24 °C to 8 °C, humidity that
//! rises at night and in rain, wind, sunshine from day length and clouds, and
//! rain episodes (a Markov chain of showers plus one scheduled thunderstorm).
//! Three episodes are placed by the seed: four days of **stagnant air** (heat,
//! calm wind, no rain), two and a half days of **wildfire smoke**, and the
//! **storm**.
//!
//! - `traffic` (24 sensors × every hour): demand follows weekday rush-hour
//!   peaks, flatter weekends, and holidays (Labor Day, Indigenous Peoples'
//!   Day) like Sundays. Speed falls with the volume-to-capacity ratio (a BPR
//!   speed–flow curve); highways have more lanes, capacity and a higher
//!   free-flow speed than arterials. Rain cuts speed by 10–20 % and capacity
//!   by 10 %, and occupancy follows from volume over speed, so it rises in
//!   rain. 8–12 accidents cut capacity and speed at a sensor for 1–3 hours
//!   and slow its neighbours within 3.5 km. Three sensor outages leave a few
//!   hours of missing volume, speed and occupancy. Each row also carries the
//!   hour's `rain_mm` and `collision`: whether a collision was recorded at
//!   that sensor in that hour (the label of the incident-risk model).
//! - `incidents`: counts are Poisson per hour and type. Collisions and
//!   breakdowns scale with city-wide traffic and sit on the roads (more in
//!   rain), noise and assaults peak at night and on weekend nights, roadworks
//!   happen on working days, medical calls rise in heat and bad air, flooding
//!   only follows heavy rain. The accidents above appear as severe collisions
//!   at their sensors.
//! - `air_quality` (8 stations × every hour): NO2 and part of PM come from
//!   traffic near the station (sensors weighted by distance) divided by a
//!   wind dispersion factor, higher under the shallow night-time mixing
//!   layer; rain washes PM out; ozone is made in sunny, warm afternoons and
//!   eaten by fresh NO near roads. Stagnation builds PM and afternoon ozone
//!   (AQI Unhealthy for Sensitive Groups to Unhealthy, a few hours beyond),
//!   the smoke lifts PM2.5 past 100 µg/m³ (Unhealthy, briefly Very
//!   Unhealthy). With the default seed about 3 % of station-hours reach
//!   Unhealthy for Sensitive Groups or worse. One station loses its ozone
//!   reading for six hours.
//! - `reports` (citizen reports, English and ~25 % Chinese): departments have
//!   their own topics and vocabulary, about 12 % of reports use topics that
//!   could belong to two or three departments, and some English text has
//!   typos. Water and pothole reports spike in the day after rain, noise
//!   reports on weekend nights.
//! - `service_use`: 800 residents in five latent segments (families,
//!   students, seniors, commuters, athletes) use 40 city services whose
//!   popularity follows a power law; segment fit drives which services a
//!   resident uses, how often they come back and how they rate them.
//!
//! # AQI
//!
//! The official AQI is defined on 24-hour mean PM2.5 and PM10 and 8-hour mean
//! ozone. The `aqi` column here is computed with [`super::aqi::aqi`] from the hourly
//! values of the same row (as an hourly "AQI-like" index), so that it is a
//! function of what the row shows; it therefore reacts faster and peaks
//! higher than an official daily AQI would.
//!
//! # Layout
//!
//! One file per part: [`calendar`] and [`weather`] drive everything,
//! [`places`] and [`templates`] are shared, and each table has its own file
//! ([`traffic`], [`incidents`], [`air_quality`], [`reports`],
//! [`service_use`]); this file puts them together in a fixed order of
//! random streams, so the tables are the same bytes on every machine.
//!
//! This module may use the rest of `data` (tables, CSV writing, AQI, RNG) and
//! jiff; it must not use anything outside `data`.

mod air_quality;
pub mod basemap;
mod calendar;
mod incidents;
mod places;
mod reports;
mod service_use;
mod templates;
#[cfg(test)]
mod tests;
mod traffic;
mod weather;

use std::io;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::data::csv_write::{self, WriteError};
use crate::data::rng::Rng;
use crate::data::table::{Column, Table};

use self::air_quality::air_quality_table;
use self::calendar::calendar;
use self::incidents::incidents_table;
use self::reports::reports_table;
use self::service_use::service_use_table;
use self::traffic::{simulate_traffic, with_rain_and_collisions};
use self::weather::simulate_weather;

/// The IANA time zone of the demo city.
pub const DEMO_TIME_ZONE: &str = "America/Chicago";

/// The seed [`generate`] uses.
pub const DEMO_SEED: u64 = 20_260_810;

/// Local days covered by the demo data.
pub const DEMO_DAYS: usize = 90;

/// 2026-08-10T00:00:00-05:00, local midnight in Chicago: the first hour.
const START: Timestamp = Timestamp::constant(1_786_338_000, 0);

/// The five demo tables.
#[derive(Clone, Debug)]
pub struct DemoCity {
    pub traffic: Table,
    pub incidents: Table,
    pub air_quality: Table,
    pub reports: Table,
    pub service_use: Table,
}

/// Exporting the demo city failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "could not create the folder '{}' for the demo data: {source}; choose a writable location",
        path.display()
    )]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not export the demo table '{table}': {source}")]
    Write {
        table: &'static str,
        #[source]
        source: WriteError,
    },
}

impl DemoCity {
    /// The tables with their names, in a fixed order.
    pub fn tables(&self) -> [(&'static str, &Table); 5] {
        [
            ("traffic", &self.traffic),
            ("incidents", &self.incidents),
            ("air_quality", &self.air_quality),
            ("reports", &self.reports),
            ("service_use", &self.service_use),
        ]
    }

    /// Creates `dir` (and its parents) and writes every table there as
    /// `NAME.csv`, timestamps in the demo time zone. Returns the written
    /// paths in the order of [`DemoCity::tables`].
    pub fn export(&self, dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
        std::fs::create_dir_all(dir).map_err(|source| ExportError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let tz = demo_time_zone();
        let mut written = Vec::with_capacity(5);
        for (name, table) in self.tables() {
            let path = dir.join(format!("{name}.csv"));
            csv_write::write_csv_file(table, &tz, &path).map_err(|source| ExportError::Write {
                table: name,
                source,
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Generates the demo city with [`DEMO_SEED`] and exports it to `dir`.
pub fn export(dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
    generate().export(dir)
}

/// The demo city's time zone. Falls back to the equivalent POSIX rule
/// (US Central time since 2007) if the zone database lacks the name, which
/// cannot happen with jiff's bundled database.
pub fn demo_time_zone() -> TimeZone {
    TimeZone::get(DEMO_TIME_ZONE)
        .or_else(|_| TimeZone::posix("CST6CDT,M3.2.0,M11.1.0"))
        .unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(-6)))
}

/// The demo city with the fixed seed [`DEMO_SEED`].
pub fn generate() -> DemoCity {
    generate_with_seed(DEMO_SEED)
}

/// The demo city for any seed: same structure, different draws.
pub fn generate_with_seed(seed: u64) -> DemoCity {
    let tz = demo_time_zone();
    let slots = calendar(&tz);
    let mut root = Rng::new(seed);
    // One stream per part, so that changing one part keeps the others.
    let mut weather_rng = root.fork();
    let mut traffic_rng = root.fork();
    let mut incident_rng = root.fork();
    let mut air_rng = root.fork();
    let mut report_rng = root.fork();
    let mut service_rng = root.fork();

    let weather = simulate_weather(&slots, &mut weather_rng);
    let traffic = simulate_traffic(&slots, &weather, &mut traffic_rng);
    let (incidents, collisions) = incidents_table(&slots, &weather, &traffic, &mut incident_rng);
    let air_quality = air_quality_table(&slots, &weather, &traffic, &mut air_rng);
    let reports = reports_table(&slots, &weather, &mut report_rng);
    let service_use = service_use_table(&slots, &mut service_rng);
    DemoCity {
        traffic: with_rain_and_collisions(traffic.table, &weather, &collisions),
        incidents,
        air_quality,
        reports,
        service_use,
    }
}

/// Builds a table from columns this module made with equal lengths.
fn assemble(columns: Vec<Column>) -> Table {
    // Every generator pushes exactly one value per row into every column, so
    // a length mismatch is a bug in this file, not a data problem.
    Table::new(columns).expect("demo generators build equally long columns")
}

fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// A value from a 24-entry hour-of-day profile, scaled so the profile's mean
/// is 1.
fn hour_weight(profile: &[f64; 24], hour: usize) -> f64 {
    let mean = profile.iter().sum::<f64>() / 24.0;
    profile.get(hour).copied().unwrap_or(0.0) / mean
}
