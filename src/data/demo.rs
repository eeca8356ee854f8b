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
//! ozone. The `aqi` column here is computed with [`aqi::aqi`] from the hourly
//! values of the same row (as an hourly "AQI-like" index), so that it is a
//! function of what the row shows; it therefore reacts faster and peaks
//! higher than an official daily AQI would.
//!
//! This module may use the rest of `data` (tables, CSV writing, AQI, RNG) and
//! jiff; it must not use anything outside `data`.

use std::f64::consts::{PI, TAU};
use std::io;
use std::path::{Path, PathBuf};

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::aqi::{self, AqiCategory};
use super::csv_write::{self, WriteError};
use super::rng::Rng;
use super::table::{Column, ColumnValues, Table, Validity};
use super::timeseries::{MICROS_PER_HOUR, MICROS_PER_SECOND};

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

/// Adds the hour's rain and whether a collision was recorded at the sensor
/// in that hour to the traffic table (rows are slot-major, sensor-minor):
/// the inputs and the label of an incident-risk model.
fn with_rain_and_collisions(
    table: Table,
    weather: &[HourWeather],
    collisions: &[(usize, usize)],
) -> Table {
    let rows = table.n_rows();
    let rain: Vec<f64> = (0..rows)
        .map(|r| {
            weather
                .get(r / SENSOR_COUNT)
                .map_or(0.0, |w| round_to(w.rain_mm, 1))
        })
        .collect();
    let mut hit = vec![false; rows];
    for &(slot, sensor) in collisions {
        if let Some(h) = hit.get_mut(slot * SENSOR_COUNT + sensor) {
            *h = true;
        }
    }
    let mut columns = table.columns;
    columns.push(Column::from_f64("rain_mm", rain));
    columns.push(Column::from_bool("collision", hit));
    assemble(columns)
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

// ---------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------

/// What kind of day a local date is for traffic and people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DayKind {
    Workday,
    Saturday,
    Sunday,
    /// A public holiday, which behaves like a Sunday.
    Holiday,
}

impl DayKind {
    fn of(date: Date) -> Self {
        let monday = date.weekday() == Weekday::Monday;
        // Labor Day: first Monday of September. Indigenous Peoples' Day:
        // second Monday of October.
        let labor_day = date.month() == 9 && monday && date.day() <= 7;
        let peoples_day = date.month() == 10 && monday && (8..=14).contains(&date.day());
        if labor_day || peoples_day {
            return Self::Holiday;
        }
        match date.weekday() {
            Weekday::Saturday => Self::Saturday,
            Weekday::Sunday => Self::Sunday,
            _ => Self::Workday,
        }
    }

    fn is_workday(self) -> bool {
        self == Self::Workday
    }
}

/// One UTC hour of the demo period with its local civil time.
#[derive(Clone, Copy, Debug)]
struct Slot {
    utc_micros: i64,
    /// Local hour of day, 0..=23.
    hour: usize,
    /// Local days since the first day, 0..DEMO_DAYS.
    day: usize,
    weekday: Weekday,
    kind: DayKind,
    /// The zone's UTC offset at this instant (-5 in summer, -6 in winter).
    utc_offset_hours: f64,
}

impl Slot {
    /// Days since the start as a continuous number (noon of day 3 is 3.5).
    fn day_fraction(&self) -> f64 {
        (self.utc_micros - START.as_microsecond()) as f64 / (24 * MICROS_PER_HOUR) as f64
    }

    /// Friday or Saturday evening, or the small hours after them.
    fn is_weekend_night(&self) -> bool {
        let late_evening = self.hour >= 20;
        let small_hours = self.hour < 4;
        (late_evening && matches!(self.weekday, Weekday::Friday | Weekday::Saturday))
            || (small_hours && matches!(self.weekday, Weekday::Saturday | Weekday::Sunday))
    }
}

/// Every UTC hour from [`START`] until local midnight [`DEMO_DAYS`] days later.
fn calendar(tz: &TimeZone) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(DEMO_DAYS * 24 + 1);
    let mut day = 0;
    let mut current_date = None;
    for n in 0_i64.. {
        let instant = START + SignedDuration::from_hours(n);
        let local = tz.to_datetime(instant);
        let date = local.date();
        if current_date.is_some_and(|d| d != date) {
            day += 1;
        }
        current_date = Some(date);
        if day >= DEMO_DAYS {
            break;
        }
        slots.push(Slot {
            utc_micros: instant.as_microsecond(),
            hour: usize::try_from(local.hour()).unwrap_or(0),
            day,
            weekday: date.weekday(),
            kind: DayKind::of(date),
            utc_offset_hours: f64::from(tz.to_offset(instant).seconds()) / 3600.0,
        });
    }
    slots
}

// ---------------------------------------------------------------------------
// Weather
// ---------------------------------------------------------------------------

/// The city-wide weather of one hour.
#[derive(Clone, Copy, Debug, Default)]
struct HourWeather {
    temperature_c: f64,
    humidity_pct: f64,
    wind_speed_ms: f64,
    rain_mm: f64,
    /// Rain over the last 24 hours including this one.
    rain_last_24h_mm: f64,
    /// Sunshine reaching the ground, 0 (night) to 1 (clear noon in August).
    sun: f64,
    /// Strength of the stagnant-air episode, 0..=1.
    stagnation: f64,
    /// PM2.5 added by wildfire smoke.
    smoke_pm25_ugm3: f64,
}

impl HourWeather {
    fn is_wet(&self) -> bool {
        self.rain_mm > 0.0
    }
}

/// Where the seed put the special weather.
#[derive(Clone, Copy, Debug)]
struct Episodes {
    stagnation_start_day: f64,
    stagnation_days: f64,
    smoke_start_day: f64,
    smoke_days: f64,
    smoke_peak_ugm3: f64,
    storm_day: usize,
}

impl Episodes {
    fn draw(rng: &mut Rng) -> Self {
        Self {
            // Late August heat, mid-September smoke, an autumn storm: never
            // overlapping.
            stagnation_start_day: 14.0 + rng.range_i64(0, 5) as f64,
            stagnation_days: 4.0,
            smoke_start_day: 32.6 + rng.range_i64(0, 7) as f64,
            smoke_days: 2.5,
            smoke_peak_ugm3: rng.range(90.0, 115.0),
            storm_day: 48 + rng.range_i64(0, 10) as usize,
        }
    }

    /// A trapezoid: ramps up over 18 hours, holds, ramps down.
    fn stagnation(&self, day: f64) -> f64 {
        let ramp_days = 0.75;
        let rise = (day - self.stagnation_start_day) / ramp_days;
        let fall = (self.stagnation_start_day + self.stagnation_days - day) / ramp_days;
        rise.min(fall).clamp(0.0, 1.0)
    }

    /// A smooth bump of smoke arriving on an afternoon.
    fn smoke(&self, day: f64) -> f64 {
        let progress = (day - self.smoke_start_day) / self.smoke_days;
        if (0.0..=1.0).contains(&progress) {
            self.smoke_peak_ugm3 * (PI * progress).sin().powi(2)
        } else {
            0.0
        }
    }
}

/// Hourly rain of the scheduled thunderstorm, from 15:00 local.
const STORM_RAIN_MM: [f64; 6] = [5.0, 13.0, 19.0, 11.0, 6.0, 2.5];

fn simulate_weather(slots: &[Slot], rng: &mut Rng) -> Vec<HourWeather> {
    let episodes = Episodes::draw(rng);
    let storm_start = slots
        .iter()
        .position(|s| s.day == episodes.storm_day && s.hour == 15);

    let mut out: Vec<HourWeather> = Vec::with_capacity(slots.len());
    let mut temperature_anomaly = rng.normal(0.0, 1.5);
    let mut humidity_anomaly = 0.0;
    let mut wind_anomaly = 0.0;
    let mut cloudiness = 0.3;
    let mut raining = false;
    let mut rain_intensity_mm = 0.0;
    let mut current_day = usize::MAX;

    for (index, slot) in slots.iter().enumerate() {
        let day = slot.day_fraction();
        if slot.day != current_day {
            current_day = slot.day;
            cloudiness = (0.55 * cloudiness + 0.45 * rng.uniform()).clamp(0.0, 1.0);
        }
        let stagnation = episodes.stagnation(day);
        let smoke = episodes.smoke(day);
        let settled = stagnation > 0.0 || smoke > 0.0;

        // Showers: a two-state Markov chain, suppressed in settled weather.
        if raining {
            raining = !rng.bernoulli(0.22);
        } else if rng.bernoulli(0.011) {
            raining = true;
            rain_intensity_mm = 0.3 + rng.exponential(1.9);
        }
        if settled {
            raining = false;
        }
        let mut rain_mm = if raining {
            rain_intensity_mm * rng.range(0.3, 1.7)
        } else {
            0.0
        };
        if let Some(storm) = storm_start
            .and_then(|start| index.checked_sub(start))
            .and_then(|k| STORM_RAIN_MM.get(k))
        {
            rain_mm = rain_mm.max(storm * rng.range(0.85, 1.2));
        }
        let rain_mm = round_to(rain_mm, 1);
        let wet = rain_mm > 0.0;
        let clouds = if settled {
            0.1
        } else if wet {
            0.95
        } else {
            cloudiness
        };

        // Temperature: seasonal cooling, a daily cycle peaking at 15:00
        // damped by clouds, slow weather-front anomalies, heat in stagnation.
        let seasonal_mean_c = 24.5 - 16.5 * day / DEMO_DAYS as f64;
        temperature_anomaly = 0.985 * temperature_anomaly + rng.normal(0.0, 0.35);
        let amplitude_c = 5.5 * (1.0 - 0.55 * clouds);
        let daily_c = amplitude_c * (TAU * (slot.hour as f64 - 15.0) / 24.0).cos();
        let temperature_c = seasonal_mean_c + temperature_anomaly + daily_c + 4.5 * stagnation
            - if wet { 1.5 } else { 0.0 };

        // Relative humidity falls as the day warms and jumps in rain.
        humidity_anomaly = 0.95 * humidity_anomaly + rng.normal(0.0, 1.5);
        let humidity_pct = (66.0 - 2.2 * daily_c + humidity_anomaly - 10.0 * stagnation
            + if wet { 24.0 } else { 0.0 })
        .clamp(22.0, 100.0);

        // Wind: afternoon mixing, gusts with showers, calm in stagnation.
        wind_anomaly = 0.93 * wind_anomaly + rng.normal(0.0, 0.45);
        let afternoon = if (8..18).contains(&slot.hour) {
            (PI * (slot.hour as f64 - 8.0) / 10.0).sin()
        } else {
            0.0
        };
        let wind_speed_ms = ((4.3 + wind_anomaly + 1.1 * afternoon + if wet { 1.5 } else { 0.0 })
            * (1.0 - 0.8 * stagnation))
            .max(0.3);

        // Sunshine from day length (shrinking towards November) and the
        // solar noon at 87.6° W (17:50 UTC), dimmed by clouds and smoke.
        let day_length_h = 13.9 - 4.0 * day / DEMO_DAYS as f64;
        let solar_noon_h = 17.84 + slot.utc_offset_hours;
        let from_noon_h = slot.hour as f64 + 0.5 - solar_noon_h;
        let elevation = if from_noon_h.abs() < day_length_h / 2.0 {
            (PI * from_noon_h / day_length_h).cos()
        } else {
            0.0
        };
        let sun = elevation * (1.0 - 0.75 * clouds) * (1.0 - 0.4 * (smoke / 100.0).min(1.0));

        out.push(HourWeather {
            temperature_c,
            humidity_pct,
            wind_speed_ms,
            rain_mm,
            rain_last_24h_mm: 0.0,
            sun,
            stagnation,
            smoke_pm25_ugm3: smoke,
        });
    }

    let mut window_mm = 0.0;
    for index in 0..out.len() {
        window_mm += out.get(index).map_or(0.0, |w| w.rain_mm);
        if let Some(old) = index.checked_sub(24).and_then(|i| out.get(i)) {
            window_mm -= old.rain_mm;
        }
        if let Some(w) = out.get_mut(index) {
            w.rain_last_24h_mm = window_mm.max(0.0);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Places
// ---------------------------------------------------------------------------

/// A name in English and Simplified Chinese.
#[derive(Clone, Copy, Debug)]
struct Name {
    en: &'static str,
    zh: &'static str,
}

const fn name(en: &'static str, zh: &'static str) -> Name {
    Name { en, zh }
}

#[derive(Clone, Copy, Debug)]
struct District {
    name: &'static str,
    lat: f64,
    lon: f64,
    streets: &'static [Name],
    landmarks: &'static [Name],
    parks: &'static [Name],
    /// Share of citizen reports written in Chinese.
    chinese_share: f64,
}

const DISTRICTS: [District; 6] = [
    District {
        name: "Downtown",
        lat: 41.882,
        lon: -87.630,
        streets: &[
            name("Madison Street", "麦迪逊街"),
            name("Main Street", "主街"),
            name("Canal Street", "运河街"),
            name("State Street", "州街"),
            name("Washington Avenue", "华盛顿大道"),
        ],
        landmarks: &[
            name("City Hall", "市政厅"),
            name("Central Library", "中央图书馆"),
            name("Union Station", "联合车站"),
            name("Riverton Mall", "河镇购物中心"),
        ],
        parks: &[
            name("Lakefront Gardens", "湖滨花园"),
            name("Union Square Park", "联合广场公园"),
        ],
        chinese_share: 0.25,
    },
    District {
        name: "Riverside",
        lat: 41.860,
        lon: -87.665,
        streets: &[
            name("River Road", "滨河路"),
            name("Elm Avenue", "榆树大道"),
            name("Harbor Boulevard", "港湾大道"),
            name("Ferry Street", "渡口街"),
        ],
        landmarks: &[
            name("Riverside Community Center", "滨河社区中心"),
            name("St. Luke's Hospital", "圣路加医院"),
            name("Riverside Elementary", "滨河小学"),
        ],
        parks: &[name("Riverside Park", "滨河公园")],
        chinese_share: 0.15,
    },
    District {
        name: "Old Town",
        lat: 41.905,
        lon: -87.640,
        streets: &[
            name("Grand Avenue", "格兰德大道"),
            name("Market Street", "市场街"),
            name("Chestnut Street", "栗树街"),
            name("Church Street", "教堂街"),
        ],
        landmarks: &[
            name("Old Town Square", "老城广场"),
            name("St. Mary's Church", "圣玛丽教堂"),
            name("the farmers market", "农贸市场"),
        ],
        parks: &[name("Old Town Commons", "老城公园")],
        chinese_share: 0.20,
    },
    District {
        name: "University Heights",
        lat: 41.915,
        lon: -87.680,
        streets: &[
            name("College Avenue", "学院大道"),
            name("Linden Street", "椴树街"),
            name("Elm Avenue", "榆树大道"),
            name("Grand Avenue", "格兰德大道"),
        ],
        landmarks: &[
            name("Riverton University", "河镇大学"),
            name("University Stadium", "大学体育场"),
            name("the student dorms", "学生宿舍"),
        ],
        parks: &[
            name("Campus Green", "校园草坪"),
            name("Linden Park", "椴树公园"),
        ],
        chinese_share: 0.35,
    },
    District {
        name: "Eastport",
        lat: 41.865,
        lon: -87.600,
        streets: &[
            name("Harbor Boulevard", "港湾大道"),
            name("Dock Street", "码头街"),
            name("Lakeshore Drive", "湖滨大道"),
            name("Pier Street", "栈桥街"),
        ],
        landmarks: &[
            name("Eastport Market", "东港市场"),
            name("the ferry terminal", "轮渡码头"),
            name("Eastport Senior Center", "东港老年活动中心"),
        ],
        parks: &[name("Harbor Point Park", "港角公园")],
        chinese_share: 0.45,
    },
    District {
        name: "Millbrook",
        lat: 41.842,
        lon: -87.640,
        streets: &[
            name("Mill Road", "磨坊路"),
            name("Willow Lane", "柳树巷"),
            name("Main Street", "主街"),
            name("Orchard Street", "果园街"),
        ],
        landmarks: &[
            name("Millbrook Elementary School", "磨溪小学"),
            name("Millbrook Shopping Plaza", "磨溪购物广场"),
            name("the Millbrook library", "磨溪图书馆"),
        ],
        parks: &[
            name("Millbrook Pond Park", "磨溪池塘公园"),
            name("Willow Playground", "柳树游乐场"),
        ],
        chinese_share: 0.12,
    },
];

/// Rough distance in km between two points near 41.9° N.
fn distance_km(lat_a: f64, lon_a: f64, lat_b: f64, lon_b: f64) -> f64 {
    let dy = (lat_a - lat_b) * 111.0;
    let dx = (lon_a - lon_b) * 82.7;
    (dx * dx + dy * dy).sqrt()
}

fn nearest_district(lat: f64, lon: f64) -> usize {
    let mut best = 0;
    let mut best_km = f64::INFINITY;
    for (index, d) in DISTRICTS.iter().enumerate() {
        let km = distance_km(lat, lon, d.lat, d.lon);
        if km < best_km {
            best = index;
            best_km = km;
        }
    }
    best
}

fn district(index: usize) -> &'static District {
    DISTRICTS.get(index).unwrap_or(&DISTRICTS[0])
}

// ---------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RoadKind {
    Highway,
    Arterial,
}

impl RoadKind {
    fn lanes(self) -> f64 {
        match self {
            Self::Highway => 3.0,
            Self::Arterial => 2.0,
        }
    }

    fn capacity_veh_per_hour(self) -> f64 {
        match self {
            Self::Highway => 1900.0 * self.lanes(),
            Self::Arterial => 800.0 * self.lanes(),
        }
    }

    fn free_flow_kmh(self) -> f64 {
        match self {
            Self::Highway => 105.0,
            Self::Arterial => 50.0,
        }
    }

    /// The α of the BPR curve speed = free-flow / (1 + α·(v/c)^4); signals
    /// make arterials degrade sooner.
    fn bpr_alpha(self) -> f64 {
        match self {
            Self::Highway => 0.8,
            Self::Arterial => 1.0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct SensorSite {
    id: &'static str,
    road: &'static str,
    kind: RoadKind,
    lat: f64,
    lon: f64,
}

const fn site(
    id: &'static str,
    road: &'static str,
    kind: RoadKind,
    lat: f64,
    lon: f64,
) -> SensorSite {
    SensorSite {
        id,
        road,
        kind,
        lat,
        lon,
    }
}

const SENSOR_COUNT: usize = 24;

/// Three highways (two north–south, one east–west) and six arterials on a
/// grid about 0.1° across.
const SENSORS: [SensorSite; SENSOR_COUNT] = {
    use RoadKind::{Arterial, Highway};
    [
        site("S01", "Riverton Expressway", Highway, 41.835, -87.665),
        site("S02", "Riverton Expressway", Highway, 41.865, -87.665),
        site("S03", "Riverton Expressway", Highway, 41.895, -87.665),
        site("S04", "Riverton Expressway", Highway, 41.925, -87.665),
        site("S05", "Lakeshore Parkway", Highway, 41.850, -87.590),
        site("S06", "Lakeshore Parkway", Highway, 41.885, -87.590),
        site("S07", "Lakeshore Parkway", Highway, 41.920, -87.590),
        site("S08", "Southern Beltway", Highway, 41.832, -87.630),
        site("S09", "Southern Beltway", Highway, 41.832, -87.600),
        site("S10", "Grand Avenue", Arterial, 41.892, -87.680),
        site("S11", "Grand Avenue", Arterial, 41.892, -87.645),
        site("S12", "Grand Avenue", Arterial, 41.892, -87.610),
        site("S13", "Madison Street", Arterial, 41.878, -87.675),
        site("S14", "Madison Street", Arterial, 41.878, -87.630),
        site("S15", "Madison Street", Arterial, 41.878, -87.605),
        site("S16", "Harbor Boulevard", Arterial, 41.860, -87.655),
        site("S17", "Harbor Boulevard", Arterial, 41.860, -87.620),
        site("S18", "Main Street", Arterial, 41.845, -87.630),
        site("S19", "Main Street", Arterial, 41.865, -87.630),
        site("S20", "Main Street", Arterial, 41.905, -87.630),
        site("S21", "Canal Street", Arterial, 41.872, -87.642),
        site("S22", "Canal Street", Arterial, 41.915, -87.642),
        site("S23", "Elm Avenue", Arterial, 41.850, -87.690),
        site("S24", "Elm Avenue", Arterial, 41.900, -87.690),
    ]
};

/// Sensors closer than this slow down when a neighbour has an accident.
const NEIGHBOUR_KM: f64 = 3.5;

/// Demand as a share of the daily peak, by local hour.
const WORKDAY_PROFILE: [f64; 24] = [
    0.10, 0.06, 0.05, 0.05, 0.08, 0.22, 0.55, 0.92, 1.00, 0.78, 0.62, 0.62, 0.66, 0.64, 0.66, 0.74,
    0.88, 1.00, 0.90, 0.66, 0.48, 0.38, 0.28, 0.17,
];
const SATURDAY_PROFILE: [f64; 24] = [
    0.20, 0.14, 0.09, 0.06, 0.06, 0.08, 0.14, 0.24, 0.36, 0.50, 0.60, 0.66, 0.68, 0.67, 0.65, 0.63,
    0.62, 0.60, 0.56, 0.50, 0.44, 0.38, 0.32, 0.26,
];
const SUNDAY_PROFILE: [f64; 24] = [
    0.20, 0.14, 0.09, 0.06, 0.05, 0.06, 0.10, 0.17, 0.26, 0.38, 0.50, 0.57, 0.60, 0.60, 0.58, 0.56,
    0.55, 0.53, 0.48, 0.42, 0.35, 0.28, 0.20, 0.14,
];

/// Traffic demand as a share of a sensor's weekday peak.
fn demand_profile(slot: &Slot, kind: RoadKind) -> f64 {
    let profile = match slot.kind {
        DayKind::Workday => &WORKDAY_PROFILE,
        DayKind::Saturday => &SATURDAY_PROFILE,
        DayKind::Sunday | DayKind::Holiday => &SUNDAY_PROFILE,
    };
    let mut share = profile.get(slot.hour).copied().unwrap_or(0.1);
    if kind == RoadKind::Arterial && (9..=18).contains(&slot.hour) {
        // Shops and errands keep arterials busier between the peaks.
        share = 0.85 * share + 0.15;
    }
    if slot.weekday == Weekday::Friday && slot.hour >= 15 {
        share *= 1.1;
    }
    // Schools open on 2026-08-26 (day 16): a little more weekday traffic.
    if slot.kind.is_workday() && slot.day >= 16 {
        share *= 1.04;
    }
    share
}

/// A crash that blocks lanes at a sensor.
#[derive(Clone, Copy, Debug)]
struct Accident {
    sensor: usize,
    slot: usize,
    duration_hours: usize,
    minute: i64,
}

/// The traffic table plus what the other generators need from it.
struct TrafficSim {
    table: Table,
    /// Vehicles that really passed each sensor each hour (`slot * 24 +
    /// sensor`), known even when the sensor was down.
    volume_veh_per_hour: Vec<f64>,
    accidents: Vec<Accident>,
}

impl TrafficSim {
    fn volumes_at(&self, slot: usize) -> &[f64] {
        let start = slot * SENSOR_COUNT;
        self.volume_veh_per_hour
            .get(start..start + SENSOR_COUNT)
            .unwrap_or(&[])
    }

    fn total_volume(&self, slot: usize) -> f64 {
        self.volumes_at(slot).iter().sum()
    }
}

fn simulate_traffic(slots: &[Slot], weather: &[HourWeather], rng: &mut Rng) -> TrafficSim {
    let n_slots = slots.len();
    let cells = n_slots * SENSOR_COUNT;

    // How busy each sensor gets at its weekday peak, as a share of capacity.
    let peak_share: Vec<f64> = SENSORS
        .iter()
        .map(|s| {
            let central = distance_km(s.lat, s.lon, 41.882, -87.630) < 2.5;
            let base = match s.kind {
                RoadKind::Highway => rng.range(0.80, 0.96),
                RoadKind::Arterial => rng.range(0.68, 0.90),
            };
            base + if central { 0.06 } else { 0.0 }
        })
        .collect();

    // Accidents: more likely in busy and wet hours.
    let hour_weights: Vec<f64> = slots
        .iter()
        .zip(weather)
        .map(|(slot, w)| {
            demand_profile(slot, RoadKind::Highway) * if w.is_wet() { 3.0 } else { 1.0 }
        })
        .collect();
    let accident_count = rng.range_i64(8, 12) as usize;
    let mut accidents = Vec::with_capacity(accident_count);
    for _ in 0..accident_count {
        let (Some(slot), Some(sensor)) = (
            rng.weighted_index(&hour_weights),
            rng.weighted_index(&peak_share),
        ) else {
            continue;
        };
        accidents.push(Accident {
            sensor,
            slot,
            duration_hours: rng.range_i64(1, 3) as usize,
            minute: rng.range_i64(0, 40),
        });
    }
    accidents.sort_by_key(|a| (a.slot, a.sensor));

    let mut capacity_factor = vec![1.0; cells];
    let mut speed_factor = vec![1.0; cells];
    for accident in &accidents {
        let here = SENSORS[accident.sensor];
        for k in 0..accident.duration_hours {
            let slot = accident.slot + k;
            if slot >= n_slots {
                break;
            }
            let recovery = k as f64;
            for (sensor, other) in SENSORS.iter().enumerate() {
                let cell = slot * SENSOR_COUNT + sensor;
                let (capacity, speed) = if sensor == accident.sensor {
                    (0.5 + 0.15 * recovery, 0.6 + 0.12 * recovery)
                } else if distance_km(here.lat, here.lon, other.lat, other.lon) < NEIGHBOUR_KM {
                    (1.0, 0.8 + 0.05 * recovery)
                } else {
                    continue;
                };
                if let Some(c) = capacity_factor.get_mut(cell) {
                    *c = f64::min(*c, capacity);
                }
                if let Some(s) = speed_factor.get_mut(cell) {
                    *s = f64::min(*s, speed);
                }
            }
        }
    }

    // Sensor outages: a few hours without any reading.
    let mut reporting = vec![true; cells];
    for _ in 0..3 {
        let sensor = rng.below(SENSOR_COUNT).unwrap_or(0);
        let start = rng.below(n_slots.saturating_sub(12).max(1)).unwrap_or(0);
        let hours = rng.range_i64(4, 10) as usize;
        for slot in start..(start + hours).min(n_slots) {
            if let Some(r) = reporting.get_mut(slot * SENSOR_COUNT + sensor) {
                *r = false;
            }
        }
    }

    let mut timestamps = Vec::with_capacity(cells);
    let mut sensor_ids = Vec::with_capacity(cells);
    let mut roads = Vec::with_capacity(cells);
    let mut latitudes = Vec::with_capacity(cells);
    let mut longitudes = Vec::with_capacity(cells);
    let mut volumes = Vec::with_capacity(cells);
    let mut volume_validity = Validity::with_capacity(cells);
    let mut speeds = Vec::with_capacity(cells);
    let mut occupancies = Vec::with_capacity(cells);
    let mut true_volume = Vec::with_capacity(cells);

    let mut noise = [0.0f64; SENSOR_COUNT];
    for (slot_index, (slot, w)) in slots.iter().zip(weather).enumerate() {
        let rain_slowdown = if w.is_wet() {
            0.10 + 0.015 * w.rain_mm.min(6.0)
        } else {
            0.0
        };
        for (sensor, site) in SENSORS.iter().enumerate() {
            let cell = slot_index * SENSOR_COUNT + sensor;
            let state = noise.get_mut(sensor);
            let wobble = match state {
                Some(e) => {
                    *e = 0.85 * *e + rng.normal(0.0, 0.035);
                    *e
                }
                None => 0.0,
            };
            let kind = site.kind;
            let capacity = kind.capacity_veh_per_hour()
                * if w.is_wet() { 0.9 } else { 1.0 }
                * capacity_factor.get(cell).copied().unwrap_or(1.0);
            let demand = kind.capacity_veh_per_hour()
                * peak_share.get(sensor).copied().unwrap_or(0.8)
                * demand_profile(slot, kind)
                * if w.is_wet() { 0.95 } else { 1.0 }
                * (wobble + rng.normal(0.0, 0.03)).exp();
            let load = demand / capacity;
            // Past capacity the flow breaks down: fewer cars get through.
            let volume = if load <= 1.0 {
                demand
            } else {
                capacity * (1.0 - 0.2 * (load - 1.0).min(1.0))
            };
            let speed_kmh = (kind.free_flow_kmh() * (1.0 - rain_slowdown)
                / (1.0 + kind.bpr_alpha() * load.powi(4))
                * speed_factor.get(cell).copied().unwrap_or(1.0)
                * (1.0 + rng.normal(0.0, 0.025)))
            .max(6.0);
            // Occupancy: vehicles per km and lane times 6.5 m of effective
            // vehicle-plus-loop length.
            let occupancy_pct =
                (volume / (speed_kmh * kind.lanes()) * 0.65 * (1.0 + rng.normal(0.0, 0.04)))
                    .clamp(0.0, 95.0);

            true_volume.push(volume);
            timestamps.push(slot.utc_micros);
            sensor_ids.push(site.id);
            roads.push(site.road);
            latitudes.push(site.lat);
            longitudes.push(site.lon);
            let up = reporting.get(cell).copied().unwrap_or(true);
            volume_validity.push(up);
            if up {
                volumes.push(volume.round() as i64);
                speeds.push(round_to(speed_kmh, 1));
                occupancies.push(round_to(occupancy_pct, 1));
            } else {
                volumes.push(0);
                speeds.push(f64::NAN);
                occupancies.push(f64::NAN);
            }
        }
    }

    let table = assemble(vec![
        Column::from_timestamps("timestamp", timestamps),
        Column::categorical("sensor_id", &sensor_ids),
        Column::categorical("road", &roads),
        Column::from_f64("latitude", latitudes),
        Column::from_f64("longitude", longitudes),
        Column::new(
            "volume_veh_per_hour",
            ColumnValues::Integer(volumes),
            volume_validity,
        ),
        Column::from_f64("speed_kmh", speeds),
        Column::from_f64("occupancy_pct", occupancies),
    ]);
    TrafficSim {
        table,
        volume_veh_per_hour: true_volume,
        accidents,
    }
}

// ---------------------------------------------------------------------------
// Text templates
// ---------------------------------------------------------------------------

/// The words a template can refer to.
struct TemplateWords<'a> {
    street: &'a str,
    street2: &'a str,
    landmark: &'a str,
    park: &'a str,
    days: u32,
}

/// Fills a template: `{street}`, `{street2}`, `{landmark}`, `{park}` and
/// `{days}` are replaced by their values, `{a|b|c}` by one of the choices
/// (empty choices allowed). Braces do not nest.
fn render(template: &str, words: &TemplateWords<'_>, rng: &mut Rng, out: &mut String) {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let Some(close) = after.find('}') else {
            out.push_str(rest.get(open..).unwrap_or_default());
            return;
        };
        let inner = after.get(..close).unwrap_or_default();
        if inner.contains('|') {
            let choices: Vec<&str> = inner.split('|').collect();
            out.push_str(rng.choose(&choices).copied().unwrap_or_default());
        } else {
            match inner {
                "street" => out.push_str(words.street),
                "street2" => out.push_str(words.street2),
                "landmark" => out.push_str(words.landmark),
                "park" => out.push_str(words.park),
                "days" => out.push_str(&words.days.to_string()),
                other => out.push_str(other),
            }
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
}

/// Makes one typing mistake in a longer English word: two letters swapped,
/// one dropped or one doubled.
fn add_typo(text: &str, rng: &mut Rng) -> String {
    let mut words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let candidates: Vec<usize> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| w.len() >= 5 && w.bytes().all(|b| b.is_ascii_lowercase()))
        .map(|(i, _)| i)
        .collect();
    let Some(&target) = rng.choose(&candidates) else {
        return text.to_owned();
    };
    if let Some(word) = words.get_mut(target) {
        let mut letters: Vec<u8> = word.bytes().collect();
        let at = 1 + rng.below(letters.len() - 2).unwrap_or(0);
        match rng.below(3) {
            Some(0) if letters.get(at) != letters.get(at + 1) => letters.swap(at, at + 1),
            Some(1) => {
                letters.remove(at);
            }
            _ => {
                let letter = letters.get(at).copied().unwrap_or(b'e');
                letters.insert(at, letter);
            }
        }
        *word = String::from_utf8(letters).unwrap_or_else(|_| word.clone());
    }
    words.join(" ")
}

// ---------------------------------------------------------------------------
// Incidents
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IncidentType {
    Collision,
    Breakdown,
    Roadworks,
    Theft,
    Assault,
    Burglary,
    Fire,
    Medical,
    Flooding,
    Noise,
}

/// Calls by local hour for incidents that follow people's daytime activity.
const DAYTIME: [f64; 24] = [
    0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 0.6, 0.9, 1.1, 1.2, 1.3, 1.4, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.4,
    1.3, 1.1, 0.9, 0.6, 0.4,
];
/// Night-life: late evening and the small hours.
const NIGHTLIFE: [f64; 24] = [
    2.4, 2.2, 1.8, 1.2, 0.6, 0.3, 0.2, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.4, 0.4, 0.5, 0.6, 0.7, 0.9,
    1.1, 1.4, 1.8, 2.2, 2.4,
];
/// Burglaries: empty homes by day, dark hours at night.
const BURGLARY_HOURS: [f64; 24] = [
    1.0, 1.3, 1.4, 1.3, 0.9, 0.5, 0.3, 0.4, 0.7, 1.1, 1.3, 1.3, 1.3, 1.3, 1.2, 1.1, 0.9, 0.7, 0.6,
    0.6, 0.7, 0.8, 0.9, 1.0,
];
/// Fires: cooking time in the evening.
const FIRE_HOURS: [f64; 24] = [
    0.6, 0.5, 0.5, 0.4, 0.4, 0.4, 0.6, 0.8, 0.9, 0.9, 1.0, 1.1, 1.2, 1.1, 1.0, 1.0, 1.2, 1.5, 1.7,
    1.6, 1.4, 1.1, 0.9, 0.7,
];

impl IncidentType {
    const ALL: [Self; 10] = [
        Self::Collision,
        Self::Breakdown,
        Self::Roadworks,
        Self::Theft,
        Self::Assault,
        Self::Burglary,
        Self::Fire,
        Self::Medical,
        Self::Flooding,
        Self::Noise,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Collision => "collision",
            Self::Breakdown => "breakdown",
            Self::Roadworks => "roadworks",
            Self::Theft => "theft",
            Self::Assault => "assault",
            Self::Burglary => "burglary",
            Self::Fire => "fire",
            Self::Medical => "medical",
            Self::Flooding => "flooding",
            Self::Noise => "noise",
        }
    }

    /// Expected incidents in this hour. `traffic_ratio` is the city-wide
    /// volume over its period mean.
    fn rate_per_hour(self, slot: &Slot, w: &HourWeather, traffic_ratio: f64) -> f64 {
        let heat = if w.temperature_c > 30.0 { 1.0 } else { 0.0 };
        let warmth = (w.temperature_c - 18.0).max(0.0);
        let bad_air = w.stagnation + (w.smoke_pm25_ugm3 / 100.0).min(1.0);
        let weekend_night = if slot.is_weekend_night() { 1.7 } else { 1.0 };
        let per_day = match self {
            Self::Collision => {
                5.0 * traffic_ratio * (1.0 + if w.is_wet() { 1.2 } else { 0.0 } + 0.08 * w.rain_mm)
            }
            Self::Breakdown => 3.0 * traffic_ratio * (1.0 + 0.5 * heat),
            Self::Roadworks => {
                let working_hours = slot.kind.is_workday() && (7..17).contains(&slot.hour);
                let base = if working_hours {
                    1.4 * 24.0 / 10.0
                } else {
                    0.03
                };
                base * if w.is_wet() { 0.3 } else { 1.0 }
            }
            Self::Theft => 3.0 * hour_weight(&DAYTIME, slot.hour),
            Self::Assault => {
                1.3 * hour_weight(&NIGHTLIFE, slot.hour) * weekend_night * (1.0 + 0.03 * warmth)
            }
            Self::Burglary => 1.4 * hour_weight(&BURGLARY_HOURS, slot.hour),
            Self::Fire => 0.6 * hour_weight(&FIRE_HOURS, slot.hour) * (1.0 + 0.3 * heat),
            Self::Medical => {
                3.5 * hour_weight(&DAYTIME, slot.hour) * (1.0 + 0.6 * heat + 0.7 * bad_air)
            }
            Self::Flooding => {
                // Only heavy rain floods streets and basements, worse when the
                // ground is already soaked.
                24.0 * 0.2 * (w.rain_mm - 1.5).max(0.0) * (1.0 + w.rain_last_24h_mm / 25.0)
            }
            Self::Noise => {
                2.8 * hour_weight(&NIGHTLIFE, slot.hour) * weekend_night * (1.0 + 0.04 * warmth)
            }
        };
        per_day / 24.0
    }

    /// Relative likelihood per district (same order as [`DISTRICTS`]).
    fn district_weights(self) -> [f64; 6] {
        match self {
            Self::Theft => [3.0, 1.0, 2.0, 1.5, 1.5, 0.8],
            Self::Assault => [2.5, 1.0, 2.0, 1.5, 1.2, 0.6],
            Self::Burglary => [0.8, 1.5, 1.2, 1.0, 1.2, 2.0],
            Self::Medical => [2.0, 1.2, 1.2, 1.0, 1.0, 1.4],
            Self::Flooding => [0.8, 2.5, 0.8, 0.8, 1.5, 1.5],
            Self::Noise => [2.0, 0.8, 2.5, 2.5, 1.0, 0.5],
            _ => [1.0; 6],
        }
    }

    /// Relative likelihood of severities 1 to 5.
    fn severity_weights(self, w: &HourWeather) -> [f64; 5] {
        match self {
            Self::Collision => [30.0, 35.0, 22.0, 10.0, 3.0],
            Self::Breakdown => [60.0, 35.0, 5.0, 0.0, 0.0],
            Self::Roadworks => [55.0, 40.0, 5.0, 0.0, 0.0],
            Self::Theft => [40.0, 40.0, 20.0, 0.0, 0.0],
            Self::Assault => [0.0, 30.0, 45.0, 20.0, 5.0],
            Self::Burglary => [10.0, 50.0, 40.0, 0.0, 0.0],
            Self::Fire => [0.0, 20.0, 40.0, 30.0, 10.0],
            Self::Medical => [0.0, 25.0, 40.0, 25.0, 10.0],
            Self::Flooding if w.rain_mm > 8.0 => [0.0, 10.0, 40.0, 35.0, 15.0],
            Self::Flooding => [0.0, 35.0, 40.0, 20.0, 5.0],
            Self::Noise => [85.0, 15.0, 0.0, 0.0, 0.0],
        }
    }

    fn templates(self, w: &HourWeather, rng: &mut Rng) -> &'static [&'static str] {
        match self {
            Self::Collision => &[
                "Two-vehicle collision on {street}, one lane blocked.",
                "Rear-end crash on {street} near {landmark}; minor injuries.",
                "Car hit a parked vehicle on {street}.",
                "Cyclist struck by a turning car at {street} and {street2}.",
            ],
            Self::Breakdown => &[
                "Stalled vehicle blocking the right lane on {street}.",
                "Truck with a flat tire on the shoulder of {street}.",
                "Bus broke down at a stop on {street}.",
                "Car out of fuel in the middle lane of {street}.",
            ],
            Self::Roadworks => &[
                "Lane closed on {street} for utility work.",
                "Crew repaving {street}; expect delays.",
                "Emergency repair of a water line under {street}.",
                "Curb and sidewalk work narrowing {street}.",
            ],
            Self::Theft => &[
                "Bicycle stolen outside {landmark}.",
                "Catalytic converter cut from a car parked on {street}.",
                "Shoplifting reported at a store on {street}.",
                "Phone snatched from a pedestrian on {street}.",
            ],
            Self::Assault => &[
                "Fight outside a bar on {street}; one person injured.",
                "Person assaulted near {landmark}; police on scene.",
                "Domestic disturbance reported on {street}.",
            ],
            Self::Burglary => &[
                "Break-in at a house on {street}; electronics taken.",
                "Garage burglary on {street}, tools missing.",
                "Store on {street} burglarized overnight.",
            ],
            Self::Fire => &[
                "Kitchen fire in an apartment on {street}.",
                "Dumpster fire behind a building on {street}.",
                "Car fire on {street}, put out by crews.",
                "Smoke reported from a vacant building on {street}.",
            ],
            Self::Medical if w.temperature_c > 30.0 && rng.bernoulli(0.5) => &[
                "Heat exhaustion reported near {landmark}.",
                "Elderly resident overcome by heat on {street}.",
            ],
            Self::Medical
                if (w.stagnation > 0.3 || w.smoke_pm25_ugm3 > 30.0) && rng.bernoulli(0.5) =>
            {
                &[
                    "Breathing difficulty reported on {street} during poor air quality.",
                    "Asthma attack near {landmark}; smoky air.",
                ]
            }
            Self::Medical => &[
                "Person collapsed on {street}; ambulance dispatched.",
                "Fall injury at {landmark}.",
                "Cardiac emergency on {street}.",
            ],
            Self::Flooding => &[
                "Standing water blocking {street} after heavy rain.",
                "Flooded underpass on {street}; vehicles stuck.",
                "Basement flooding reported on {street}.",
                "Storm drains overflowing on {street}.",
            ],
            Self::Noise => &[
                "Loud party reported on {street}.",
                "Late-night construction noise on {street}.",
                "Car alarm sounding for an hour on {street}.",
                "Loud music from a bar on {street}.",
            ],
        }
    }
}

/// Descriptions of the accidents that slowed the traffic sensors.
const MAJOR_COLLISION_TEMPLATES: &[&str] = &[
    "Multi-vehicle crash on {street}; lanes closed and traffic backed up.",
    "Serious collision on {street}, emergency crews on scene and lanes blocked.",
    "Truck and car collided on {street}; heavy delays in both directions.",
];

struct IncidentRow {
    micros: i64,
    /// The sensor and hour of a collision on a road, for the traffic
    /// table's `collision` column.
    road_cell: Option<(usize, usize)>,
    kind: IncidentType,
    severity: i64,
    district: usize,
    lat: f64,
    lon: f64,
    description: String,
}

/// The incidents table, and the (slot, sensor) cells that had a collision.
fn incidents_table(
    slots: &[Slot],
    weather: &[HourWeather],
    traffic: &TrafficSim,
    rng: &mut Rng,
) -> (Table, Vec<(usize, usize)>) {
    let mean_total = (0..slots.len())
        .map(|s| traffic.total_volume(s))
        .sum::<f64>()
        / slots.len().max(1) as f64;
    let mut rows: Vec<IncidentRow> = Vec::with_capacity(2500);

    for (slot_index, (slot, w)) in slots.iter().zip(weather).enumerate() {
        let traffic_ratio = traffic.total_volume(slot_index) / mean_total.max(1.0);
        for kind in IncidentType::ALL {
            let count = rng.poisson(kind.rate_per_hour(slot, w, traffic_ratio));
            for _ in 0..count {
                let micros = slot.utc_micros + rng.range_i64(0, 3599) * MICROS_PER_SECOND;
                let on_road = matches!(kind, IncidentType::Collision | IncidentType::Breakdown)
                    || (kind == IncidentType::Roadworks && rng.bernoulli(0.5));
                let mut road_cell = None;
                let (district_index, lat, lon, road) = if on_road {
                    let sensor = rng
                        .weighted_index(traffic.volumes_at(slot_index))
                        .or_else(|| rng.below(SENSOR_COUNT))
                        .unwrap_or(0);
                    let site = SENSORS[sensor % SENSOR_COUNT];
                    if kind == IncidentType::Collision {
                        road_cell = Some((slot_index, sensor % SENSOR_COUNT));
                    }
                    let lat = site.lat + rng.normal(0.0, 0.0015);
                    let lon = site.lon + rng.normal(0.0, 0.0015);
                    (nearest_district(lat, lon), lat, lon, Some(site.road))
                } else {
                    let index = rng.weighted_index(&kind.district_weights()).unwrap_or(0);
                    let d = district(index);
                    let lat = d.lat + rng.normal(0.0, 0.007);
                    let lon = d.lon + rng.normal(0.0, 0.009);
                    (index, lat, lon, None)
                };
                let severity = rng
                    .weighted_index(&kind.severity_weights(w))
                    .map_or(1, |i| i as i64 + 1);
                let templates = kind.templates(w, rng);
                let description = incident_description(templates, district_index, road, rng);
                rows.push(IncidentRow {
                    micros,
                    road_cell,
                    kind,
                    severity,
                    district: district_index,
                    lat,
                    lon,
                    description,
                });
            }
        }
    }

    for accident in &traffic.accidents {
        let Some(slot) = slots.get(accident.slot) else {
            continue;
        };
        let site = SENSORS[accident.sensor % SENSOR_COUNT];
        let lat = site.lat + rng.normal(0.0, 0.0005);
        let lon = site.lon + rng.normal(0.0, 0.0005);
        let district_index = nearest_district(lat, lon);
        let severity = rng
            .weighted_index(&[0.0, 0.0, 40.0, 40.0, 20.0])
            .map_or(3, |i| i as i64 + 1);
        let description = incident_description(
            MAJOR_COLLISION_TEMPLATES,
            district_index,
            Some(site.road),
            rng,
        );
        rows.push(IncidentRow {
            micros: slot.utc_micros + accident.minute * 60 * MICROS_PER_SECOND,
            road_cell: Some((accident.slot, accident.sensor % SENSOR_COUNT)),
            kind: IncidentType::Collision,
            severity,
            district: district_index,
            lat,
            lon,
            description,
        });
    }

    rows.sort_by_key(|r| r.micros);
    let collisions: Vec<(usize, usize)> = rows.iter().filter_map(|r| r.road_cell).collect();
    let ids: Vec<String> = (1..=rows.len()).map(|n| format!("INC-{n:06}")).collect();
    let table = assemble(vec![
        Column::from_timestamps("timestamp", rows.iter().map(|r| r.micros).collect()),
        Column::text("incident_id", &ids),
        Column::categorical(
            "type",
            &rows.iter().map(|r| r.kind.label()).collect::<Vec<_>>(),
        ),
        Column::from_i64("severity", rows.iter().map(|r| r.severity).collect()),
        Column::categorical(
            "district",
            &rows
                .iter()
                .map(|r| district(r.district).name)
                .collect::<Vec<_>>(),
        ),
        Column::from_f64(
            "latitude",
            rows.iter().map(|r| round_to(r.lat, 5)).collect(),
        ),
        Column::from_f64(
            "longitude",
            rows.iter().map(|r| round_to(r.lon, 5)).collect(),
        ),
        Column::text(
            "description",
            &rows
                .iter()
                .map(|r| r.description.as_str())
                .collect::<Vec<_>>(),
        ),
    ]);
    (table, collisions)
}

fn incident_description(
    templates: &[&str],
    district_index: usize,
    road: Option<&str>,
    rng: &mut Rng,
) -> String {
    let d = district(district_index);
    let local_street = rng.choose(d.streets).map_or("Main Street", |n| n.en);
    let street = road.unwrap_or(local_street);
    let cross = rng
        .choose(d.streets)
        .map(|n| n.en)
        .filter(|s| *s != street)
        .unwrap_or("Main Street");
    let words = TemplateWords {
        street,
        street2: cross,
        landmark: rng.choose(d.landmarks).map_or("City Hall", |n| n.en),
        park: rng.choose(d.parks).map_or("Riverside Park", |n| n.en),
        days: 1,
    };
    let mut text = String::new();
    render(
        rng.choose(templates)
            .copied()
            .unwrap_or("Incident on {street}."),
        &words,
        rng,
        &mut text,
    );
    text
}

// ---------------------------------------------------------------------------
// Air quality
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Station {
    id: &'static str,
    name: &'static str,
    lat: f64,
    lon: f64,
    /// Urban heat island (+) or lake breeze (−) on temperature.
    temperature_offset_c: f64,
    /// Open water and open ground are windier than street canyons.
    wind_factor: f64,
}

const STATIONS: [Station; 8] = [
    Station {
        id: "AQ1",
        name: "Downtown Plaza",
        lat: 41.880,
        lon: -87.632,
        temperature_offset_c: 0.8,
        wind_factor: 0.8,
    },
    Station {
        id: "AQ2",
        name: "Expressway North",
        lat: 41.898,
        lon: -87.661,
        temperature_offset_c: 0.5,
        wind_factor: 0.95,
    },
    Station {
        id: "AQ3",
        name: "Riverside Park",
        lat: 41.857,
        lon: -87.676,
        temperature_offset_c: -0.3,
        wind_factor: 1.05,
    },
    Station {
        id: "AQ4",
        name: "University Heights",
        lat: 41.917,
        lon: -87.684,
        temperature_offset_c: 0.0,
        wind_factor: 1.0,
    },
    Station {
        id: "AQ5",
        name: "Eastport Harbor",
        lat: 41.866,
        lon: -87.594,
        temperature_offset_c: -0.6,
        wind_factor: 1.25,
    },
    Station {
        id: "AQ6",
        name: "Millbrook School",
        lat: 41.843,
        lon: -87.643,
        temperature_offset_c: 0.1,
        wind_factor: 1.0,
    },
    Station {
        id: "AQ7",
        name: "Old Town Library",
        lat: 41.904,
        lon: -87.637,
        temperature_offset_c: 0.4,
        wind_factor: 0.85,
    },
    Station {
        id: "AQ8",
        name: "Southern Beltway",
        lat: 41.835,
        lon: -87.615,
        temperature_offset_c: 0.2,
        wind_factor: 1.1,
    },
];

/// Distance over which a road's exhaust still reaches a station.
const EXPOSURE_DECAY_KM: f64 = 0.9;

/// NO2 per 1000 vehicles an hour of distance-weighted traffic, at the
/// reference dispersion (3.5 m/s wind, daytime mixing).
const NO2_PPB_PER_KVEH: f64 = 8.0;

/// The station whose ozone analyser goes down for calibration.
const CALIBRATION_STATION: usize = 3;

fn air_quality_table(
    slots: &[Slot],
    weather: &[HourWeather],
    traffic: &TrafficSim,
    rng: &mut Rng,
) -> Table {
    let rows = slots.len() * STATIONS.len();
    // Weights of each sensor's traffic at each station.
    let exposure_weights: Vec<[f64; SENSOR_COUNT]> = STATIONS
        .iter()
        .map(|st| {
            let mut weights = [0.0; SENSOR_COUNT];
            for (w, s) in weights.iter_mut().zip(SENSORS.iter()) {
                *w = (-distance_km(st.lat, st.lon, s.lat, s.lon) / EXPOSURE_DECAY_KM).exp();
            }
            weights
        })
        .collect();

    // Six hours without ozone at one station on a weekday around day 40.
    let calibration_day = 36 + rng.range_i64(0, 8) as usize;
    let calibration = |slot: &Slot| slot.day == calibration_day && (9..15).contains(&slot.hour);

    let mut regional_pm25 = 8.0;
    let mut ozone_noise = [0.0f64; STATIONS.len()];
    let mut timestamps = Vec::with_capacity(rows);
    let mut ids = Vec::with_capacity(rows);
    let mut names = Vec::with_capacity(rows);
    let mut lats = Vec::with_capacity(rows);
    let mut lons = Vec::with_capacity(rows);
    let mut pm25 = Vec::with_capacity(rows);
    let mut pm10 = Vec::with_capacity(rows);
    let mut no2 = Vec::with_capacity(rows);
    let mut o3 = Vec::with_capacity(rows);
    let mut temperature = Vec::with_capacity(rows);
    let mut humidity = Vec::with_capacity(rows);
    let mut wind = Vec::with_capacity(rows);
    let mut rain = Vec::with_capacity(rows);
    let mut aqi_values = Vec::with_capacity(rows);
    let mut aqi_validity = Validity::with_capacity(rows);
    let mut categories = Vec::with_capacity(rows);

    for (slot_index, (slot, w)) in slots.iter().zip(weather).enumerate() {
        // Regional PM2.5 relaxes towards a target over about a day; the
        // target climbs while air stagnates and rain scrubs the air.
        let target = 7.5 + 22.0 * w.stagnation + if w.humidity_pct > 85.0 { 2.5 } else { 0.0 };
        regional_pm25 += 0.04 * (target - regional_pm25) + rng.normal(0.0, 0.3);
        regional_pm25 *= (-0.12 * w.rain_mm).exp();
        regional_pm25 = regional_pm25.max(2.0);
        let night = slot.hour >= 20 || slot.hour < 6;
        // A shallow night-time mixing layer traps exhaust near the ground.
        let mixing = if night { 1.35 } else { 0.85 };
        let volumes = traffic.volumes_at(slot_index);

        for (station_index, (station, weights)) in
            STATIONS.iter().zip(&exposure_weights).enumerate()
        {
            let exposure_veh = weights
                .iter()
                .zip(volumes)
                .map(|(weight, volume)| weight * volume)
                .sum::<f64>();
            let wind_ms = (w.wind_speed_ms * station.wind_factor * rng.range(0.9, 1.1)).max(0.2);
            let dispersion = (3.5 / wind_ms.max(0.6)).powf(0.8) * mixing;
            let local = exposure_veh / 1000.0 * dispersion;

            let traffic_no2_ppb = NO2_PPB_PER_KVEH * local;
            let no2_ppb =
                (4.0 + 3.0 * w.stagnation + traffic_no2_ppb) * (1.0 + rng.normal(0.0, 0.08));
            let pm25_ugm3 = (regional_pm25 + 0.9 * local + w.smoke_pm25_ugm3 * rng.range(0.9, 1.1))
                * (1.0 + rng.normal(0.0, 0.07));
            let dust = (2.2 * exposure_veh / 1000.0 * if w.is_wet() { 0.3 } else { 1.0 }
                + 0.6 * (wind_ms - 6.0).max(0.0).powi(2))
                * (-0.2 * w.rain_mm).exp();
            let pm10_ugm3 = pm25_ugm3 * 1.15 + 5.0 + dust + rng.normal(0.0, 1.0);

            // Ozone: a regional background, photochemistry in warm sun (more
            // in stagnant air), minus titration by fresh NO from traffic.
            if let Some(n) = ozone_noise.get_mut(station_index) {
                *n = 0.9 * *n + rng.normal(0.0, 1.2);
            }
            let ozone_wobble = ozone_noise.get(station_index).copied().unwrap_or(0.0);
            let photochemistry = 50.0
                * w.sun
                * ((w.temperature_c - 12.0) / 18.0).clamp(0.0, 1.4)
                * (1.0 + 0.6 * w.stagnation);
            let o3_ppb = (24.0 + photochemistry + ozone_wobble - 0.35 * traffic_no2_ppb).max(2.0);

            let pm25_value = round_to(pm25_ugm3.max(0.5), 1);
            let pm10_value = round_to(pm10_ugm3.max(pm25_value), 1);
            let no2_value = round_to(no2_ppb.max(0.5), 1);
            let o3_value = if calibration(slot) && station_index == CALIBRATION_STATION {
                f64::NAN
            } else {
                round_to(o3_ppb, 1)
            };
            let index = aqi::aqi(
                Some(pm25_value),
                Some(pm10_value),
                Some(o3_value).filter(|v| !v.is_nan()),
                Some(no2_value),
            );

            timestamps.push(slot.utc_micros);
            ids.push(station.id);
            names.push(station.name);
            lats.push(station.lat);
            lons.push(station.lon);
            pm25.push(pm25_value);
            pm10.push(pm10_value);
            no2.push(no2_value);
            o3.push(o3_value);
            temperature.push(round_to(
                w.temperature_c + station.temperature_offset_c + rng.normal(0.0, 0.2),
                1,
            ));
            humidity.push(round_to(
                (w.humidity_pct + rng.normal(0.0, 1.5)).clamp(15.0, 100.0),
                1,
            ));
            wind.push(round_to(wind_ms, 1));
            rain.push(w.rain_mm);
            aqi_validity.push(index.is_some());
            aqi_values.push(index.map_or(0, |(value, _)| i64::from(value)));
            categories.push(index.map_or("", |(value, _)| AqiCategory::from_aqi(value).label()));
        }
    }

    assemble(vec![
        Column::from_timestamps("timestamp", timestamps),
        Column::categorical("station_id", &ids),
        Column::categorical("station_name", &names),
        Column::from_f64("latitude", lats),
        Column::from_f64("longitude", lons),
        Column::from_f64("pm25_ugm3", pm25),
        Column::from_f64("pm10_ugm3", pm10),
        Column::from_f64("no2_ppb", no2),
        Column::from_f64("o3_ppb", o3),
        Column::from_f64("temperature_c", temperature),
        Column::from_f64("humidity_pct", humidity),
        Column::from_f64("wind_speed_ms", wind),
        Column::from_f64("rain_mm", rain),
        Column::new("aqi", ColumnValues::Integer(aqi_values), aqi_validity),
        Column::categorical("aqi_category", &categories),
    ])
}

// ---------------------------------------------------------------------------
// Citizen reports
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Department {
    PublicWorks,
    Sanitation,
    Transportation,
    Parks,
    Police,
    Water,
    NoiseControl,
}

/// Reports by local hour: people write while awake.
const REPORT_HOURS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.7, 1.7, 1.6, 1.5, 1.5, 1.5, 1.4, 1.4, 1.4, 1.3,
    1.2, 1.1, 0.9, 0.6, 0.4,
];

impl Department {
    const ALL: [Self; 7] = [
        Self::PublicWorks,
        Self::Sanitation,
        Self::Transportation,
        Self::Parks,
        Self::Police,
        Self::Water,
        Self::NoiseControl,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::PublicWorks => "Public Works",
            Self::Sanitation => "Sanitation",
            Self::Transportation => "Transportation",
            Self::Parks => "Parks",
            Self::Police => "Police",
            Self::Water => "Water",
            Self::NoiseControl => "Noise Control",
        }
    }

    /// Expected reports in this hour.
    fn rate_per_hour(self, slot: &Slot, w: &HourWeather) -> f64 {
        let daytime = hour_weight(&REPORT_HOURS, slot.hour);
        let rest_day = !slot.kind.is_workday();
        let per_day = match self {
            // Potholes open up after rain.
            Self::PublicWorks => 6.0 * daytime * (1.0 + 0.05 * w.rain_last_24h_mm),
            // Weekend trash is reported on Monday.
            Self::Sanitation => {
                let monday = slot.weekday == Weekday::Monday;
                5.5 * daytime * if monday { 1.4 } else { 1.0 }
            }
            Self::Transportation => 4.0 * daytime * if slot.kind.is_workday() { 1.15 } else { 0.7 },
            Self::Parks => {
                let warm = if w.temperature_c > 18.0 { 1.2 } else { 0.8 };
                2.6 * daytime * warm * if rest_day { 1.4 } else { 1.0 }
            }
            Self::Police => 2.6 * (0.6 * daytime + 0.4 * hour_weight(&NIGHTLIFE, slot.hour)),
            // Flooded streets and basements after rain.
            Self::Water => 1.8 * daytime * (1.0 + 0.25 * w.rain_last_24h_mm),
            Self::NoiseControl => {
                let weekend_night = if slot.is_weekend_night() { 1.7 } else { 1.0 };
                3.0 * hour_weight(&NIGHTLIFE, slot.hour) * weekend_night
            }
        };
        per_day / 24.0
    }
}

/// A kind of complaint. Most belong to one department; the shared ones
/// could reasonably be routed to any listed department.
struct Topic {
    departments: &'static [Department],
    /// Extra weight per mm of rain in the last 24 hours.
    rain_boost_per_mm: f64,
    en: &'static [&'static str],
    zh: &'static [&'static str],
}

const fn topic(
    departments: &'static [Department],
    rain_boost_per_mm: f64,
    en: &'static [&'static str],
    zh: &'static [&'static str],
) -> Topic {
    Topic {
        departments,
        rain_boost_per_mm,
        en,
        zh,
    }
}

/// Share of reports drawn from shared, ambiguous topics.
const AMBIGUOUS_SHARE: f64 = 0.12;

const TOPICS: &[Topic] = {
    use Department::{NoiseControl, Parks, Police, PublicWorks, Sanitation, Transportation, Water};
    &[
        // Public Works
        topic(
            &[PublicWorks],
            0.15,
            &[
                "There's a {huge|big|deep|nasty} {pothole|pot hole|hole in the road} on {street}.",
                "{Potholes|Pot holes} all over {street} after the rain, almost blew a tire.",
                "The road surface on {street} is {crumbling|breaking up|full of cracks} near {landmark}.",
                "Please repair the {pothole|broken asphalt|sunken patch} in front of {landmark}.",
            ],
            &[
                "{street}上有个大坑，车开过去很危险",
                "{street}路面坑坑洼洼的，{下雨以后|最近}又多了好几个坑，请尽快修补",
                "{landmark}附近的马路塌了一块，晚上根本看不清",
            ],
        ),
        topic(
            &[PublicWorks],
            0.0,
            &[
                "Streetlight out on {street} for {days} days.",
                "The {street light|streetlight|lamp post} near {landmark} keeps {flickering|going on and off}.",
                "{Whole block|Entire stretch} of {street} is dark at night, the lights are not working.",
            ],
            &[
                "{street}的路灯坏了好几天了，晚上黑漆漆的",
                "{landmark}旁边的路灯一直在闪，麻烦派人来修一下",
                "{street}这一段路灯全都不亮，走夜路很害怕",
            ],
        ),
        topic(
            &[PublicWorks],
            0.0,
            &[
                "Sidewalk slabs lifted on {street}, {someone|an elderly neighbor|my mom} tripped.",
                "Broken curb and cracked sidewalk outside {landmark}.",
                "The curb ramp at {street} and {street2} is broken, a wheelchair can't get up.",
            ],
            &[
                "{street}人行道的砖翘起来了，老人很容易绊倒",
                "{landmark}门口的人行道裂了一大块",
                "{street}和{street2}路口的无障碍坡道坏了，轮椅上不去",
            ],
        ),
        topic(
            &[PublicWorks],
            0.0,
            &[
                "Graffiti sprayed all over the wall at {landmark}.",
                "Someone tagged the underpass on {street} again.",
                "Please remove the graffiti on the bridge over {street}.",
            ],
            &[
                "{landmark}的墙上被人乱涂乱画了",
                "{street}的地下通道又被喷了涂鸦",
                "{street}桥墩上的涂鸦很难看，请清理一下",
            ],
        ),
        // Sanitation
        topic(
            &[Sanitation],
            0.0,
            &[
                "Trash wasn't picked up on {street} this week.",
                "{Garbage|Trash} truck skipped our {block|building} on {street} again.",
                "Missed {garbage|trash} collection on {street}, bins still full after {days} days.",
            ],
            &[
                "小区门口的垃圾没人清理，已经{days}天了",
                "这周垃圾车没来{street}收垃圾",
                "{street}的垃圾好几天没人收了",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Public {trash can|garbage bin|litter bin} at {landmark} is overflowing.",
                "Bins on {street} are overflowing and {smell awful|attract rats|stink}.",
                "Litter everywhere around the overflowing bins on {street}.",
            ],
            &[
                "{street}的垃圾桶满了，臭味很大",
                "{landmark}门口的垃圾桶早就满了，垃圾都溢出来了",
                "{street}垃圾桶旁边老鼠很多",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Someone dumped {an old mattress|a couch|a pile of tires|construction debris} on {street}.",
                "Illegal dumping in the alley behind {street}, {bags of trash|furniture|old appliances} piled up.",
            ],
            &[
                "有人在{street}路边乱扔旧家具和床垫",
                "{street}后面的小巷被人倒了一堆建筑垃圾",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Dead {raccoon|deer|opossum|squirrel} in the road on {street}, please remove.",
                "There is a dead animal on the sidewalk near {landmark}.",
            ],
            &[
                "{street}路中间有只死浣熊，请派人处理",
                "{landmark}附近有动物尸体，味道很大",
            ],
        ),
        topic(
            &[Sanitation],
            0.0,
            &[
                "Our recycling cart on {street} is broken, we need a replacement.",
                "{Recycling|The blue bin} was not collected on {street}.",
            ],
            &[
                "回收箱被垃圾车压坏了，在{street}，需要换一个新的",
                "{street}的可回收垃圾这周没人收",
            ],
        ),
        // Transportation
        topic(
            &[Transportation],
            0.0,
            &[
                "Traffic light at {street} and {street2} is {stuck on red|out|flashing|not working}.",
                "{Signal|Light} timing on {street} is terrible, the left turn arrow never comes on.",
                "Pedestrian signal at {street} and {street2} doesn't work.",
            ],
            &[
                "{street}和{street2}路口的红绿灯坏了，车都乱开",
                "{street}的左转灯一直不亮，堵得很厉害",
                "{street}路口的行人过街灯不工作",
            ],
        ),
        topic(
            &[Transportation],
            0.0,
            &[
                "Cars {always park|keep parking} in the bike lane on {street}.",
                "A car has been blocking my driveway on {street} for {days} days.",
                "Delivery truck double parked on {street} every morning.",
            ],
            &[
                "有车长期违停在{street}，挡住了车道",
                "总有车停在{street}的自行车道上",
                "我家车库门口被别人的车堵住了，{street}",
            ],
        ),
        topic(
            &[Transportation],
            0.0,
            &[
                "Bus {stop sign|shelter} on {street} was knocked down.",
                "The {bus|number 12 bus|route 7 bus} is always late at {landmark}, waited 40 minutes.",
                "Bus shelter glass broken on {street}.",
            ],
            &[
                "{street}的公交站牌被撞歪了",
                "公交车老是晚点，在{landmark}站等了四十分钟",
                "{street}公交候车亭的玻璃碎了",
            ],
        ),
        topic(
            &[Transportation],
            0.0,
            &[
                "Stop sign at {street} and {street2} is {hidden by a tree|missing|bent over}.",
                "Lane markings on {street} are completely faded.",
                "We need a crosswalk near {landmark}, cars drive too fast.",
            ],
            &[
                "{street}的停车标志被树挡住了",
                "{street}的车道线都磨没了，晚上看不清",
                "{landmark}附近车开得太快，希望加一条斑马线",
            ],
        ),
        // Parks
        topic(
            &[Parks],
            0.0,
            &[
                "Dead tree in {park} looks like it could fall.",
                "A {branch|large limb} is hanging over the path in {park}.",
                "Bushes in {park} are so overgrown they block the path.",
            ],
            &[
                "{park}里有棵树的树枝快断了，怕砸到小孩",
                "{park}有一棵枯树，随时可能倒下",
            ],
        ),
        topic(
            &[Parks],
            0.0,
            &[
                "{Swing|Slide|Climbing frame} at the {park} playground is broken.",
                "Playground in {park} has {a nail sticking out|broken glass|sharp edges}.",
            ],
            &[
                "{park}的滑梯坏了，有钉子露出来",
                "{park}儿童乐园的秋千链子断了",
            ],
        ),
        topic(
            &[Parks],
            0.0,
            &[
                "Grass in {park} hasn't been mowed in weeks.",
                "{Weeds|Overgrown bushes} everywhere in {park}.",
                "The {drinking fountain|water fountain} in {park} doesn't work.",
            ],
            &[
                "{park}的草很久没人修剪了",
                "{park}的饮水机不出水",
                "{park}的长椅坏了，没法坐",
            ],
        ),
        topic(
            &[Parks],
            0.0,
            &[
                "Restrooms in {park} are locked {all day|on weekends}.",
                "Basketball hoop in {park} is broken.",
                "The dog park gate in {park} won't close.",
            ],
            &["{park}的公共厕所周末一直锁着", "{park}的篮球架坏了"],
        ),
        // Police
        topic(
            &[Police],
            0.0,
            &[
                "Suspicious people checking car doors on {street} {last night|at night|every night}.",
                "Someone has been {following|harassing} people near {landmark}.",
            ],
            &[
                "最近晚上{street}总有陌生人在车旁边转悠",
                "{landmark}附近有人跟踪路人，很不安全",
            ],
        ),
        topic(
            &[Police],
            0.0,
            &[
                "Abandoned car with no plates on {street} for {days} days.",
                "A {van|car|truck} has been sitting on {street} for weeks with flat tires.",
            ],
            &[
                "{street}停着一辆没有车牌的车，已经停了一个多月",
                "{street}有辆车轮胎都瘪了，好几个星期没人动",
            ],
        ),
        topic(
            &[Police],
            0.0,
            &[
                "My car was broken into on {street} {last night|this morning}.",
                "{Packages|Parcels} stolen from porches on {street}.",
                "Bike stolen outside {landmark}.",
            ],
            &[
                "我的车窗被砸了，在{street}",
                "家门口的快递又被偷了，{street}",
                "{landmark}门口锁着的自行车被偷了",
            ],
        ),
        topic(
            &[Police],
            0.0,
            &[
                "Drug dealing near {landmark}, kids are afraid to go there.",
                "Cars {racing|drag racing|doing donuts} on {street} every night.",
            ],
            &[
                "{landmark}附近有人吸毒贩毒，孩子们都不敢去",
                "每天晚上都有人在{street}飙车",
            ],
        ),
        // Water
        topic(
            &[Water],
            0.0,
            &[
                "Water {bubbling up|gushing|leaking} from the street on {street}, looks like a broken main.",
                "Water main break at {street} and {street2}!",
            ],
            &[
                "{street}路面一直在冒水，好像是水管爆了",
                "{street}和{street2}路口水管破裂，水流了一地",
            ],
        ),
        topic(
            &[Water],
            0.4,
            &[
                "{Street|Road|Underpass} flooded on {street} after the rain, cars are stuck.",
                "Basement flooding on {street}, water coming up through the floor drain.",
                "Storm drain on {street} is overflowing.",
            ],
            &[
                "下雨后{street}积水很深，车都过不去",
                "一下雨地下室就进水，{street}",
                "{street}的雨水井往外冒水",
            ],
        ),
        topic(
            &[Water],
            0.1,
            &[
                "Sewer smell on {street}, the manhole is {overflowing|leaking}.",
                "Sewage backing up into homes on {street}.",
            ],
            &[
                "下水道反味，{street}的井盖在冒污水",
                "{street}的污水倒灌进家里了",
            ],
        ),
        topic(
            &[Water],
            0.0,
            &[
                "Very low water pressure on {street} since {yesterday|this morning}.",
                "Tap water is {brown|cloudy|rusty} on {street}.",
                "Fire hydrant leaking on {street}.",
            ],
            &[
                "家里水压特别低，{street}这一片都这样",
                "{street}的自来水发黄，不敢喝",
                "{street}的消防栓在漏水",
            ],
        ),
        // Noise Control
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Loud party {upstairs|next door|across the street} on {street} every {night|weekend}.",
                "Music blasting from a {house|apartment|car} on {street} until 3am.",
            ],
            &[
                "楼上每天半夜开派对，吵得睡不着",
                "{street}有家酒吧音乐一直放到凌晨两点",
            ],
        ),
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Construction on {street} starting at 5am, way before allowed hours.",
                "Jackhammering on {street} all night.",
            ],
            &[
                "{street}的工地早上五点就开始施工，太吵了",
                "{street}工地晚上还在施工，噪音很大",
            ],
        ),
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Neighbor's dog {barks|has been barking} all night on {street}.",
                "Dogs barking nonstop on {street}, nobody home.",
            ],
            &[
                "邻居的狗整夜叫个不停",
                "{street}有户人家的狗一直叫，吵得孩子睡不着",
            ],
        ),
        topic(
            &[NoiseControl],
            0.0,
            &[
                "Car alarm going off for an hour on {street}.",
                "{Motorcycles|Loud cars|Modified exhausts} revving on {street} late at night.",
            ],
            &[
                "{street}有辆车的警报器响了一个小时",
                "半夜总有摩托车在{street}轰油门",
            ],
        ),
        // Shared topics: the same words could go to several departments.
        topic(
            &[Water, PublicWorks],
            0.3,
            &[
                "Storm drain clogged on {street}, water pooling across the road.",
                "{Street|Road} flooded at {street}, the {drain|catch basin} is blocked with leaves.",
            ],
            &["{street}的下水口被树叶堵了，路上全是水"],
        ),
        topic(
            &[Parks, PublicWorks, Transportation],
            0.1,
            &[
                "Big tree branch fell across {street} after the storm.",
                "Fallen tree blocking {street}.",
            ],
            &["暴风雨后有大树枝倒在{street}上，车过不去"],
        ),
        topic(
            &[Parks, PublicWorks],
            0.0,
            &[
                "Lights along the path in {park} are out.",
                "Broken lamp post in {park}.",
            ],
            &["{park}里的路灯不亮了"],
        ),
        topic(
            &[Sanitation, Transportation],
            0.0,
            &["Car parked in front of the bins on {street}, the trash truck couldn't get through."],
            &["有车挡住了垃圾桶，垃圾车收不了，{street}"],
        ),
        topic(
            &[Police, NoiseControl],
            0.0,
            &[
                "People shouting and fighting outside on {street} at night.",
                "Loud fight in the apartment next door on {street}.",
            ],
            &["晚上{street}有人大声吵架打架"],
        ),
        topic(
            &[Transportation, PublicWorks, NoiseControl],
            0.0,
            &["Construction crew blocking a lane on {street} all day and it's loud."],
            &["{street}施工占道，又吵又堵"],
        ),
        topic(
            &[Sanitation, Parks],
            0.0,
            &["Trash dumped all over {park}, the bins are overflowing."],
            &["{park}里到处是垃圾，垃圾桶都满了"],
        ),
        topic(
            &[Police, Transportation],
            0.0,
            &["Cars speeding through the school zone on {street}."],
            &["{street}学校门口车开得飞快"],
        ),
        topic(
            &[Water, Parks],
            0.0,
            &["Sprinklers in {park} running nonstop, water everywhere."],
            &["{park}的喷灌一直开着，水都流到路上了"],
        ),
    ]
};

/// Openings people put before the complaint; `true` lower-cases what
/// follows.
const EN_OPENERS: &[(&str, bool)] = &[
    ("Hi, ", true),
    ("Hello. ", false),
    ("Please help: ", false),
    ("URGENT: ", false),
    ("FYI ", true),
    ("Not sure who handles this but ", true),
    ("Good morning, ", true),
];
const EN_CLOSERS: &[&str] = &[
    " Thanks.",
    " Please fix asap.",
    " This is dangerous.",
    " Been like this for {days} days.",
    " Third time reporting this!",
    " Kids walk here every day.",
    " Thank you!",
];
const ZH_CLOSERS: &[&str] = &[
    "，谢谢！",
    "，请尽快处理。",
    "，已经反映过好几次了。",
    "，太危险了。",
    "，希望有关部门管一管。",
    "。",
];

struct ReportRow {
    micros: i64,
    district: usize,
    chinese: bool,
    text: String,
    department: Department,
}

fn reports_table(slots: &[Slot], weather: &[HourWeather], rng: &mut Rng) -> Table {
    let mut rows: Vec<ReportRow> = Vec::with_capacity(2800);
    for (slot, w) in slots.iter().zip(weather) {
        for department in Department::ALL {
            let count = rng.poisson(department.rate_per_hour(slot, w));
            for _ in 0..count {
                let micros = slot.utc_micros + rng.range_i64(0, 3599) * MICROS_PER_SECOND;
                let district_index = report_district(department, rng);
                let chinese = rng.bernoulli(district(district_index).chinese_share);
                let text = report_text(department, district_index, chinese, w, rng);
                rows.push(ReportRow {
                    micros,
                    district: district_index,
                    chinese,
                    text,
                    department,
                });
            }
        }
    }
    rows.sort_by_key(|r| r.micros);
    let ids: Vec<String> = (1..=rows.len()).map(|n| format!("RPT-{n:06}")).collect();
    assemble(vec![
        Column::from_timestamps("timestamp", rows.iter().map(|r| r.micros).collect()),
        Column::text("report_id", &ids),
        Column::categorical(
            "district",
            &rows
                .iter()
                .map(|r| district(r.district).name)
                .collect::<Vec<_>>(),
        ),
        Column::categorical(
            "language",
            &rows
                .iter()
                .map(|r| if r.chinese { "zh" } else { "en" })
                .collect::<Vec<_>>(),
        ),
        Column::text(
            "text",
            &rows.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
        ),
        Column::categorical(
            "department",
            &rows
                .iter()
                .map(|r| r.department.label())
                .collect::<Vec<_>>(),
        ),
    ])
}

fn report_district(department: Department, rng: &mut Rng) -> usize {
    let weights = match department {
        Department::Parks => [0.8, 1.4, 1.0, 1.1, 1.0, 1.4],
        Department::NoiseControl => [1.4, 0.7, 1.5, 1.8, 0.9, 0.5],
        Department::Water => [0.8, 1.8, 0.8, 0.8, 1.3, 1.3],
        _ => [1.3, 1.0, 1.0, 1.0, 1.0, 0.9],
    };
    rng.weighted_index(&weights).unwrap_or(0)
}

fn report_text(
    department: Department,
    district_index: usize,
    chinese: bool,
    w: &HourWeather,
    rng: &mut Rng,
) -> String {
    let shared = rng.bernoulli(AMBIGUOUS_SHARE);
    let candidates: Vec<&Topic> = TOPICS
        .iter()
        .filter(|t| t.departments.contains(&department) && (t.departments.len() > 1) == shared)
        .collect();
    let weights: Vec<f64> = candidates
        .iter()
        .map(|t| 1.0 + t.rain_boost_per_mm * w.rain_last_24h_mm)
        .collect();
    let Some(topic) = rng.weighted_index(&weights).and_then(|i| candidates.get(i)) else {
        return String::new();
    };

    let d = district(district_index);
    let street = rng
        .choose(d.streets)
        .copied()
        .unwrap_or(name("Main Street", "主街"));
    let street2 = rng
        .choose(d.streets)
        .copied()
        .filter(|s| s.en != street.en)
        .unwrap_or(name("Main Street", "主街"));
    let landmark = rng
        .choose(d.landmarks)
        .copied()
        .unwrap_or(name("City Hall", "市政厅"));
    let park = rng
        .choose(d.parks)
        .copied()
        .unwrap_or(name("Riverside Park", "滨河公园"));
    let days = rng.range_i64(2, 14) as u32;

    let mut text = String::new();
    if chinese {
        // Residents often keep the English street name in Chinese text.
        let pick = |n: Name, rng: &mut Rng| if rng.bernoulli(0.3) { n.en } else { n.zh };
        let words = TemplateWords {
            street: pick(street, rng),
            street2: pick(street2, rng),
            landmark: landmark.zh,
            park: park.zh,
            days,
        };
        let template = rng.choose(topic.zh).copied().unwrap_or_default();
        render(template, &words, rng, &mut text);
        if rng.bernoulli(0.5) {
            let closer = rng.choose(ZH_CLOSERS).copied().unwrap_or("。");
            render(closer, &words, rng, &mut text);
        }
    } else {
        let words = TemplateWords {
            street: street.en,
            street2: street2.en,
            landmark: landmark.en,
            park: park.en,
            days,
        };
        let template = rng.choose(topic.en).copied().unwrap_or_default();
        let mut body = String::new();
        render(template, &words, rng, &mut body);
        if rng.bernoulli(0.3) {
            let (opener, lower_next) = rng.choose(EN_OPENERS).copied().unwrap_or(("", false));
            text.push_str(opener);
            if lower_next && !body.starts_with("I ") {
                let mut chars = body.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_lowercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push_str(&body);
            }
        } else {
            text.push_str(&body);
        }
        if rng.bernoulli(0.4) {
            let closer = rng.choose(EN_CLOSERS).copied().unwrap_or_default();
            render(closer, &words, rng, &mut text);
        }
        if rng.bernoulli(0.08) {
            text = add_typo(&text, rng);
        }
    }
    text
}

// ---------------------------------------------------------------------------
// Service use
// ---------------------------------------------------------------------------

const RESIDENT_COUNT: usize = 800;

/// Latent resident segments, with their share of residents.
const SEGMENTS: [(&str, f64); 5] = [
    ("families", 0.27),
    ("students", 0.18),
    ("seniors", 0.20),
    ("commuters", 0.23),
    ("athletes", 0.12),
];

struct Service {
    name: &'static str,
    category: &'static str,
    /// Appeal to families, students, seniors, commuters, athletes (0..=1).
    affinity: [f64; 5],
    /// Local days the service runs, inclusive (seasonal programmes).
    active_days: (usize, usize),
}

const fn service(
    name: &'static str,
    category: &'static str,
    affinity: [f64; 5],
    active_days: (usize, usize),
) -> Service {
    Service {
        name,
        category,
        affinity,
        active_days,
    }
}

const ALL_SEASON: (usize, usize) = (0, DEMO_DAYS - 1);

const SERVICES: [Service; 40] = [
    service(
        "Riverside Family Clinic",
        "Health",
        [0.9, 0.1, 0.5, 0.3, 0.1],
        ALL_SEASON,
    ),
    service(
        "Downtown Walk-in Clinic",
        "Health",
        [0.3, 0.4, 0.3, 0.8, 0.3],
        ALL_SEASON,
    ),
    service(
        "Eastport Senior Health Center",
        "Health",
        [0.0, 0.0, 1.0, 0.0, 0.0],
        ALL_SEASON,
    ),
    service(
        "Millbrook Pediatric Clinic",
        "Health",
        [1.0, 0.0, 0.0, 0.1, 0.0],
        ALL_SEASON,
    ),
    service(
        "Sports Medicine & Physio Center",
        "Health",
        [0.1, 0.2, 0.3, 0.1, 1.0],
        ALL_SEASON,
    ),
    service(
        "Flu Vaccination Clinic",
        "Health",
        [0.6, 0.2, 0.9, 0.4, 0.1],
        (55, DEMO_DAYS - 1),
    ),
    service(
        "Student Counseling Drop-in",
        "Health",
        [0.0, 0.9, 0.0, 0.1, 0.1],
        ALL_SEASON,
    ),
    service(
        "Adult English Classes",
        "Education",
        [0.3, 0.3, 0.4, 0.2, 0.0],
        ALL_SEASON,
    ),
    service(
        "Intro to Coding Workshop",
        "Education",
        [0.1, 0.9, 0.0, 0.4, 0.1],
        ALL_SEASON,
    ),
    service(
        "Financial Literacy Course",
        "Education",
        [0.3, 0.5, 0.2, 0.6, 0.0],
        ALL_SEASON,
    ),
    service(
        "Parenting Skills Course",
        "Education",
        [0.9, 0.0, 0.0, 0.1, 0.0],
        ALL_SEASON,
    ),
    service(
        "Senior Tech Help Sessions",
        "Education",
        [0.0, 0.0, 1.0, 0.0, 0.0],
        ALL_SEASON,
    ),
    service(
        "Pottery & Ceramics Course",
        "Education",
        [0.2, 0.3, 0.7, 0.1, 0.0],
        ALL_SEASON,
    ),
    service(
        "Language Exchange Meetup",
        "Education",
        [0.0, 0.8, 0.2, 0.3, 0.0],
        ALL_SEASON,
    ),
    service(
        "Central Library",
        "Libraries",
        [0.4, 0.8, 0.7, 0.3, 0.1],
        ALL_SEASON,
    ),
    service(
        "Old Town Branch Library",
        "Libraries",
        [0.6, 0.3, 0.7, 0.1, 0.0],
        ALL_SEASON,
    ),
    service(
        "Children's Story Time",
        "Libraries",
        [1.0, 0.0, 0.2, 0.0, 0.0],
        ALL_SEASON,
    ),
    service(
        "Library Study Rooms",
        "Libraries",
        [0.0, 1.0, 0.0, 0.2, 0.0],
        ALL_SEASON,
    ),
    service(
        "Makerspace at Central Library",
        "Libraries",
        [0.3, 0.8, 0.1, 0.2, 0.0],
        ALL_SEASON,
    ),
    service(
        "Riverton Aquatic Center",
        "Sports & Recreation",
        [0.6, 0.2, 0.3, 0.2, 0.8],
        ALL_SEASON,
    ),
    service(
        "Millbrook Community Pool",
        "Sports & Recreation",
        [0.9, 0.1, 0.2, 0.1, 0.3],
        ALL_SEASON,
    ),
    service(
        "Eastport Fitness Center",
        "Sports & Recreation",
        [0.1, 0.4, 0.1, 0.6, 0.9],
        ALL_SEASON,
    ),
    service(
        "City Running Club",
        "Sports & Recreation",
        [0.0, 0.3, 0.0, 0.3, 1.0],
        ALL_SEASON,
    ),
    service(
        "Youth Soccer League",
        "Sports & Recreation",
        [1.0, 0.0, 0.0, 0.0, 0.3],
        (20, DEMO_DAYS - 1),
    ),
    service(
        "Senior Aqua Aerobics",
        "Sports & Recreation",
        [0.0, 0.0, 1.0, 0.0, 0.2],
        ALL_SEASON,
    ),
    service(
        "Rock Climbing Gym",
        "Sports & Recreation",
        [0.1, 0.6, 0.0, 0.2, 0.9],
        ALL_SEASON,
    ),
    service(
        "Public Tennis Court Booking",
        "Sports & Recreation",
        [0.2, 0.3, 0.3, 0.3, 0.8],
        ALL_SEASON,
    ),
    service(
        "Riverfront Bike Trail Rides",
        "Sports & Recreation",
        [0.3, 0.3, 0.2, 0.4, 0.8],
        ALL_SEASON,
    ),
    service(
        "Monthly Transit Pass",
        "Transport",
        [0.2, 0.4, 0.2, 1.0, 0.1],
        ALL_SEASON,
    ),
    service(
        "Reduced-Fare Senior Pass",
        "Transport",
        [0.0, 0.0, 1.0, 0.0, 0.0],
        ALL_SEASON,
    ),
    service(
        "Student Transit Pass",
        "Transport",
        [0.0, 1.0, 0.0, 0.0, 0.0],
        ALL_SEASON,
    ),
    service(
        "Bike Share Membership",
        "Transport",
        [0.1, 0.6, 0.0, 0.6, 0.6],
        ALL_SEASON,
    ),
    service(
        "Park & Ride Permit",
        "Transport",
        [0.3, 0.0, 0.1, 0.9, 0.0],
        ALL_SEASON,
    ),
    service(
        "Paratransit Service",
        "Transport",
        [0.0, 0.0, 0.8, 0.0, 0.0],
        ALL_SEASON,
    ),
    service(
        "Riverton History Museum",
        "Culture & Community",
        [0.5, 0.3, 0.7, 0.1, 0.0],
        ALL_SEASON,
    ),
    service(
        "Summer Concerts in the Park",
        "Culture & Community",
        [0.7, 0.4, 0.6, 0.3, 0.2],
        (0, 40),
    ),
    service(
        "Community Garden Plots",
        "Culture & Community",
        [0.5, 0.1, 0.8, 0.1, 0.1],
        ALL_SEASON,
    ),
    service(
        "Youth Summer Camp",
        "Culture & Community",
        [1.0, 0.0, 0.0, 0.0, 0.1],
        (0, 18),
    ),
    service(
        "Volunteer Center",
        "Culture & Community",
        [0.2, 0.6, 0.6, 0.1, 0.1],
        ALL_SEASON,
    ),
    service(
        "Recycling Drop-off Center",
        "Culture & Community",
        [0.5, 0.1, 0.3, 0.4, 0.1],
        ALL_SEASON,
    ),
];

struct UseRow {
    micros: i64,
    resident: usize,
    service: usize,
    rating: i64,
    visits: i64,
}

fn service_use_table(slots: &[Slot], rng: &mut Rng) -> Table {
    // Power-law popularity over a seed-dependent ranking of the services.
    let mut ranking: Vec<usize> = (0..SERVICES.len()).collect();
    rng.shuffle(&mut ranking);
    let mut log_popularity = [0.0; SERVICES.len()];
    for (rank, &service_index) in ranking.iter().enumerate() {
        if let Some(p) = log_popularity.get_mut(service_index) {
            *p = -((rank + 1) as f64).ln();
        }
    }
    let quality: Vec<f64> = SERVICES.iter().map(|_| rng.normal(0.0, 0.35)).collect();
    // Services are used during opening hours (08:00 to 20:59 local) on the
    // days they run.
    let open_hours: Vec<Vec<i64>> = SERVICES
        .iter()
        .map(|service| {
            let (first_day, last_day) = service.active_days;
            slots
                .iter()
                .filter(|s| (8..=20).contains(&s.hour) && (first_day..=last_day).contains(&s.day))
                .map(|s| s.utc_micros)
                .collect()
        })
        .collect();
    let segment_shares: Vec<f64> = SEGMENTS.iter().map(|(_, share)| *share).collect();

    let mut rows: Vec<UseRow> = Vec::with_capacity(20_000);
    for resident in 0..RESIDENT_COUNT {
        let primary = rng.weighted_index(&segment_shares).unwrap_or(0);
        let mut taste = [0.0; 5];
        if let Some(t) = taste.get_mut(primary) {
            *t = 1.0;
        }
        if rng.bernoulli(0.35) {
            let secondary = rng.below(taste.len()).unwrap_or(0);
            if let Some(t) = taste.get_mut(secondary) {
                *t = f64::max(*t, 0.45);
            }
        }
        let bias = rng.normal(0.0, 0.3);
        let fit: Vec<f64> = SERVICES
            .iter()
            .map(|s| s.affinity.iter().zip(&taste).map(|(a, t)| a * t).sum())
            .collect();

        // Gumbel-top-k: sample distinct services proportionally to
        // popularity × exp(2.4 · fit).
        let mut keyed: Vec<(f64, usize)> = fit
            .iter()
            .zip(&log_popularity)
            .enumerate()
            .map(|(index, (f, pop))| {
                let gumbel = -(-(1.0 - rng.uniform()).ln()).ln();
                (pop + 2.4 * f + gumbel, index)
            })
            .collect();
        keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
        let distinct = 3 + rng.poisson(4.5) as usize;

        for &(_, service_index) in keyed.iter().take(distinct) {
            let f = fit.get(service_index).copied().unwrap_or(0.0);
            let q = quality.get(service_index).copied().unwrap_or(0.0);
            let window = open_hours.get(service_index).map_or(&[][..], Vec::as_slice);
            let records = 1 + rng.poisson(0.6 + 2.2 * f) as usize;
            for _ in 0..records {
                let Some(&hour_micros) = rng.choose(window) else {
                    continue;
                };
                let micros = hour_micros + rng.range_i64(0, 3599) * MICROS_PER_SECOND;
                let visits = 1 + rng.poisson(0.5 + 3.0 * f) as i64;
                let rating = (2.6 + 1.5 * f + q + bias + rng.normal(0.0, 0.6))
                    .round()
                    .clamp(1.0, 5.0) as i64;
                rows.push(UseRow {
                    micros,
                    resident,
                    service: service_index,
                    rating,
                    visits,
                });
            }
        }
    }

    rows.sort_by_key(|r| (r.micros, r.resident, r.service));
    let residents: Vec<String> = rows
        .iter()
        .map(|r| format!("R{:04}", r.resident + 1))
        .collect();
    let service_of = |r: &UseRow| SERVICES.get(r.service).unwrap_or(&SERVICES[0]);
    assemble(vec![
        Column::from_timestamps("timestamp", rows.iter().map(|r| r.micros).collect()),
        Column::categorical("resident_id", &residents),
        Column::categorical(
            "service",
            &rows.iter().map(|r| service_of(r).name).collect::<Vec<_>>(),
        ),
        Column::categorical(
            "service_category",
            &rows
                .iter()
                .map(|r| service_of(r).category)
                .collect::<Vec<_>>(),
        ),
        Column::from_i64("rating", rows.iter().map(|r| r.rating).collect()),
        Column::from_i64("visits", rows.iter().map(|r| r.visits).collect()),
    ])
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;

    fn city() -> &'static DemoCity {
        static CITY: std::sync::OnceLock<DemoCity> = std::sync::OnceLock::new();
        CITY.get_or_init(generate)
    }

    /// The calendar slot of every timestamp.
    fn slots_by_micros() -> HashMap<i64, Slot> {
        calendar(&demo_time_zone())
            .into_iter()
            .map(|s| (s.utc_micros, s))
            .collect()
    }

    fn floats(table: &Table, name: &str) -> Vec<Option<f64>> {
        let column = table.column(name).unwrap();
        (0..table.n_rows()).map(|r| column.f64_at(r)).collect()
    }

    fn timestamps(table: &Table) -> Vec<i64> {
        let column = table.column("timestamp").unwrap();
        (0..table.n_rows())
            .map(|r| column.timestamp_at(r).unwrap())
            .collect()
    }

    fn strings<'a>(table: &'a Table, name: &str) -> Vec<&'a str> {
        let column = table.column(name).unwrap();
        (0..table.n_rows())
            .map(|r| column.str_at(r).unwrap())
            .collect()
    }

    fn mean(values: impl Iterator<Item = f64>) -> f64 {
        let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        sum / n as f64
    }

    fn csv_bytes(table: &Table) -> Vec<u8> {
        let mut out = Vec::new();
        csv_write::write_csv(table, &demo_time_zone(), &mut out).unwrap();
        out
    }

    #[test]
    fn calendar_has_one_slot_per_utc_hour_and_a_repeated_local_hour() {
        let slots = calendar(&demo_time_zone());
        // 90 days of 24 hours plus the extra hour when DST ends.
        assert_eq!(slots.len(), DEMO_DAYS * 24 + 1);
        assert!(
            slots
                .windows(2)
                .all(|p| p[1].utc_micros - p[0].utc_micros == MICROS_PER_HOUR)
        );
        let first = slots.first().unwrap();
        assert_eq!((first.day, first.hour), (0, 0));
        let last = slots.last().unwrap();
        assert_eq!((last.day, last.hour), (DEMO_DAYS - 1, 23));
        let one_am_on_nov_1 = slots.iter().filter(|s| s.day == 83 && s.hour == 1).count();
        assert_eq!(one_am_on_nov_1, 2);
        assert_eq!(slots.iter().filter(|s| s.day == 83).count(), 25);
    }

    #[test]
    fn holidays_are_labor_day_and_indigenous_peoples_day() {
        let tz = demo_time_zone();
        let holidays: HashSet<String> = calendar(&tz)
            .iter()
            .filter(|s| s.kind == DayKind::Holiday)
            .map(|s| {
                let ts = Timestamp::from_microsecond(s.utc_micros).unwrap();
                tz.to_datetime(ts).date().to_string()
            })
            .collect();
        let expected: HashSet<String> = ["2026-09-07", "2026-10-12"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(holidays, expected);
    }

    #[test]
    fn generation_is_deterministic_and_seed_dependent() {
        let again = generate();
        for ((name, a), (_, b)) in city().tables().into_iter().zip(again.tables()) {
            assert_eq!(csv_bytes(a), csv_bytes(b), "table {name} differs");
        }
        let other = generate_with_seed(7);
        assert_ne!(csv_bytes(&city().traffic), csv_bytes(&other.traffic));
    }

    #[test]
    fn row_counts_are_in_the_planned_ranges() {
        let c = city();
        let hours = DEMO_DAYS * 24 + 1;
        assert_eq!(c.traffic.n_rows(), hours * SENSOR_COUNT);
        assert_eq!(c.air_quality.n_rows(), hours * STATIONS.len());
        assert!(
            (1_500..=3_000).contains(&c.incidents.n_rows()),
            "{}",
            c.incidents.n_rows()
        );
        assert!(
            (2_200..=2_900).contains(&c.reports.n_rows()),
            "{}",
            c.reports.n_rows()
        );
        assert!(
            (15_000..=25_000).contains(&c.service_use.n_rows()),
            "{}",
            c.service_use.n_rows()
        );
        let names: Vec<&str> = c.tables().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "traffic",
                "incidents",
                "air_quality",
                "reports",
                "service_use"
            ]
        );
    }

    #[test]
    fn missing_values_only_where_intended() {
        let c = city();
        for (name, table) in c.tables() {
            for column in &table.columns {
                let missing = column.missing_count();
                let intended = matches!(
                    (name, column.name.as_str()),
                    (
                        "traffic",
                        "volume_veh_per_hour" | "speed_kmh" | "occupancy_pct"
                    ) | ("air_quality", "o3_ppb")
                );
                if intended {
                    assert!(missing > 0, "{name}.{} should have gaps", column.name);
                } else {
                    assert_eq!(missing, 0, "{name}.{} has gaps", column.name);
                }
            }
        }
        let traffic = &c.traffic;
        let volume = traffic.column("volume_veh_per_hour").unwrap();
        let speed = traffic.column("speed_kmh").unwrap();
        assert_eq!(volume.missing_count(), speed.missing_count());
        assert!(volume.missing_count() <= 3 * 10);
        for row in 0..traffic.n_rows() {
            assert_eq!(volume.is_valid(row), speed.is_valid(row));
        }
        // The ozone gap is one station for six hours.
        assert_eq!(c.air_quality.column("o3_ppb").unwrap().missing_count(), 6);
    }

    #[test]
    fn weekday_rush_hour_beats_night_and_weekend_mornings() {
        let slots = slots_by_micros();
        let t = &city().traffic;
        let volume = floats(t, "volume_veh_per_hour");
        let mut by_group: HashMap<(bool, usize), Vec<f64>> = HashMap::new();
        for (micros, v) in timestamps(t).into_iter().zip(volume) {
            let (Some(v), Some(slot)) = (v, slots.get(&micros)) else {
                continue;
            };
            let workday = slot.kind == DayKind::Workday;
            by_group.entry((workday, slot.hour)).or_default().push(v);
        }
        let avg = |workday, hour| mean(by_group[&(workday, hour)].iter().copied());
        assert!(avg(true, 8) > 5.0 * avg(true, 3));
        assert!(avg(true, 17) > 5.0 * avg(true, 3));
        assert!(avg(false, 8) < 0.6 * avg(true, 8));
    }

    #[test]
    fn rain_hours_are_slower() {
        let rain_by_micros: HashMap<i64, f64> = timestamps(&city().air_quality)
            .into_iter()
            .zip(floats(&city().air_quality, "rain_mm"))
            .map(|(t, r)| (t, r.unwrap()))
            .collect();
        let t = &city().traffic;
        let (mut wet, mut dry) = (Vec::new(), Vec::new());
        for (micros, speed) in timestamps(t).into_iter().zip(floats(t, "speed_kmh")) {
            let Some(speed) = speed else { continue };
            if rain_by_micros[&micros] > 0.0 {
                wet.push(speed);
            } else {
                dry.push(speed);
            }
        }
        assert!(wet.len() > 1000, "{} wet rows", wet.len());
        let (wet_mean, dry_mean) = (mean(wet.into_iter()), mean(dry.into_iter()));
        assert!(wet_mean < 0.92 * dry_mean, "wet {wet_mean} dry {dry_mean}");
    }

    #[test]
    fn accidents_slow_their_sensor() {
        let slots = calendar(&demo_time_zone());
        let mut rng = Rng::new(5);
        let weather = simulate_weather(&slots, &mut rng);
        let sim = simulate_traffic(&slots, &weather, &mut rng);
        let speed = sim.table.column("speed_kmh").unwrap();
        assert!((8..=12).contains(&sim.accidents.len()));
        let week = 7 * 24;
        for a in &sim.accidents {
            let Some(during) = speed.f64_at(a.slot * SENSOR_COUNT + a.sensor) else {
                continue; // the sensor happened to be down
            };
            let other = if a.slot >= week {
                a.slot - week
            } else {
                a.slot + week
            };
            let Some(usual) = speed.f64_at(other * SENSOR_COUNT + a.sensor) else {
                continue;
            };
            assert!(during < 0.8 * usual, "{a:?}: {during} vs {usual}");
        }
    }

    #[test]
    fn accidents_appear_as_severe_collisions() {
        let c = city();
        let types = strings(&c.incidents, "type");
        let descriptions = strings(&c.incidents, "description");
        let major = types
            .iter()
            .zip(&descriptions)
            .filter(|(t, d)| {
                **t == "collision"
                    && MAJOR_COLLISION_TEMPLATES
                        .iter()
                        .any(|m| d.ends_with(m.rsplit('}').next().unwrap()))
            })
            .count();
        assert!((8..=12).contains(&major), "{major} major collisions");
    }

    #[test]
    fn no2_rises_with_traffic() {
        let c = city();
        let mut volume_by_hour: HashMap<i64, f64> = HashMap::new();
        for (micros, v) in timestamps(&c.traffic)
            .into_iter()
            .zip(floats(&c.traffic, "volume_veh_per_hour"))
        {
            *volume_by_hour.entry(micros).or_default() += v.unwrap_or(0.0);
        }
        let pairs: Vec<(f64, f64)> = timestamps(&c.air_quality)
            .into_iter()
            .zip(floats(&c.air_quality, "no2_ppb"))
            .map(|(t, n)| (volume_by_hour[&t], n.unwrap()))
            .collect();
        let mx = mean(pairs.iter().map(|p| p.0));
        let my = mean(pairs.iter().map(|p| p.1));
        let cov: f64 = pairs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
        let vx: f64 = pairs.iter().map(|(x, _)| (x - mx).powi(2)).sum();
        let vy: f64 = pairs.iter().map(|(_, y)| (y - my).powi(2)).sum();
        let r = cov / (vx * vy).sqrt();
        assert!(r > 0.3, "correlation {r}");
    }

    #[test]
    fn aqi_reaches_unhealthy_levels_and_matches_its_category() {
        let c = city();
        let aqi_values = floats(&c.air_quality, "aqi");
        let categories = strings(&c.air_quality, "aqi_category");
        let max = aqi_values.iter().flatten().copied().fold(0.0, f64::max);
        assert!(max >= 101.0, "max AQI {max}");
        assert!(categories.contains(&"Unhealthy for Sensitive Groups"));
        for (value, category) in aqi_values.iter().zip(&categories) {
            let value = value.unwrap() as u16;
            assert_eq!(AqiCategory::from_aqi(value).label(), *category);
        }
        let good = categories.iter().filter(|c| **c == "Good").count();
        assert!(good > categories.len() / 3, "most hours should be good");
    }

    #[test]
    fn reports_have_both_languages_and_all_departments() {
        let r = &city().reports;
        let languages = strings(r, "language");
        let zh = languages.iter().filter(|l| **l == "zh").count();
        let share = zh as f64 / languages.len() as f64;
        assert!((0.18..0.35).contains(&share), "Chinese share {share}");
        let texts = strings(r, "text");
        for (language, text) in languages.iter().zip(&texts) {
            assert!(!text.is_empty());
            assert!(!text.contains('{') && !text.contains('}'), "{text}");
            if *language == "zh" {
                assert!(
                    text.chars()
                        .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))
                );
            }
        }
        let departments: HashSet<&str> = strings(r, "department").into_iter().collect();
        assert_eq!(departments.len(), Department::ALL.len());
    }

    #[test]
    fn water_reports_spike_after_rain() {
        let weather_rain: HashMap<i64, f64> = timestamps(&city().air_quality)
            .into_iter()
            .zip(floats(&city().air_quality, "rain_mm"))
            .map(|(t, r)| (t, r.unwrap()))
            .collect();
        let slots = calendar(&demo_time_zone());
        let mut rain_24h: HashMap<i64, f64> = HashMap::new();
        for (i, slot) in slots.iter().enumerate() {
            let total = slots[i.saturating_sub(23)..=i]
                .iter()
                .map(|s| weather_rain[&s.utc_micros])
                .sum();
            rain_24h.insert(slot.utc_micros, total);
        }
        let r = &city().reports;
        let (mut after_rain, mut dry) = (0usize, 0usize);
        for (micros, department) in timestamps(r).into_iter().zip(strings(r, "department")) {
            if department != "Water" {
                continue;
            }
            let hour = micros - micros.rem_euclid(MICROS_PER_HOUR);
            if rain_24h[&hour] > 5.0 {
                after_rain += 1;
            } else {
                dry += 1;
            }
        }
        let wet_hours = rain_24h.values().filter(|r| **r > 5.0).count();
        let dry_hours = rain_24h.len() - wet_hours;
        let wet_rate = after_rain as f64 / wet_hours as f64;
        let dry_rate = dry as f64 / dry_hours as f64;
        assert!(wet_rate > 2.0 * dry_rate, "wet {wet_rate} dry {dry_rate}");
    }

    #[test]
    fn every_resident_uses_at_least_three_services() {
        let s = &city().service_use;
        let mut per_resident: HashMap<&str, HashSet<&str>> = HashMap::new();
        for (resident, service) in strings(s, "resident_id")
            .into_iter()
            .zip(strings(s, "service"))
        {
            per_resident.entry(resident).or_default().insert(service);
        }
        assert_eq!(per_resident.len(), RESIDENT_COUNT);
        assert!(per_resident.values().all(|services| services.len() >= 3));
        let services: HashSet<&str> = strings(s, "service").into_iter().collect();
        assert!(services.len() >= 38, "{} services used", services.len());
        let ratings = floats(s, "rating");
        assert!(ratings.iter().all(|r| (1.0..=5.0).contains(&r.unwrap())));
    }

    #[test]
    fn text_helpers_fill_every_slot() {
        let mut rng = Rng::new(1);
        let words = TemplateWords {
            street: "Elm Avenue",
            street2: "Main Street",
            landmark: "City Hall",
            park: "Riverside Park",
            days: 3,
        };
        let mut out = String::new();
        render(
            "{a|b} on {street} at {street2} by {landmark} in {park} for {days}",
            &words,
            &mut rng,
            &mut out,
        );
        assert!(
            out.ends_with(" on Elm Avenue at Main Street by City Hall in Riverside Park for 3")
        );
        assert!(out.starts_with('a') || out.starts_with('b'));
        for topic in TOPICS {
            assert!(!topic.en.is_empty() && !topic.zh.is_empty());
            for template in topic.en.iter().chain(topic.zh) {
                let mut text = String::new();
                render(template, &words, &mut rng, &mut text);
                assert!(!text.contains('{') && !text.contains('}'), "{template}");
            }
        }
        let typo = add_typo("please repair the streetlight", &mut rng);
        assert_ne!(typo, "please repair the streetlight");
    }

    #[test]
    fn export_writes_five_csv_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("demo");
        let paths = city().export(&target).unwrap();
        assert_eq!(paths.len(), 5);
        for (path, (name, table)) in paths.iter().zip(city().tables()) {
            assert_eq!(path.file_name().unwrap(), format!("{name}.csv").as_str());
            let text = std::fs::read_to_string(path).unwrap();
            assert_eq!(text.lines().count(), table.n_rows() + 1, "{name}");
        }
        let traffic = std::fs::read_to_string(&paths[0]).unwrap();
        assert!(
            traffic
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("2026-08-10T00:00:00-05:00,S01,")
        );
    }
}
