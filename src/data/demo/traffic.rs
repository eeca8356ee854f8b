//! The `traffic` table: 24 road sensors every hour, demand from the
//! calendar, speed from a speed–flow curve, rain and accidents; and the
//! hour's rain and collision added to each row.

use jiff::civil::Weekday;

use crate::data::rng::Rng;
use crate::data::table::{Column, ColumnValues, Table, Validity};

use super::calendar::{DayKind, Slot};
use super::places::distance_km;
use super::weather::HourWeather;
use super::{assemble, round_to};

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
pub(super) struct SensorSite {
    id: &'static str,
    pub(super) road: &'static str,
    kind: RoadKind,
    pub(super) lat: f64,
    pub(super) lon: f64,
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

pub(super) const SENSOR_COUNT: usize = 24;

/// Three highways (two north–south, one east–west) and six arterials on a
/// grid about 0.1° across.
pub(super) const SENSORS: [SensorSite; SENSOR_COUNT] = {
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
pub(super) struct Accident {
    pub(super) sensor: usize,
    pub(super) slot: usize,
    duration_hours: usize,
    pub(super) minute: i64,
}

/// The traffic table plus what the other generators need from it.
pub(super) struct TrafficSim {
    pub(super) table: Table,
    /// Vehicles that really passed each sensor each hour (`slot * 24 +
    /// sensor`), known even when the sensor was down.
    volume_veh_per_hour: Vec<f64>,
    pub(super) accidents: Vec<Accident>,
}

impl TrafficSim {
    pub(super) fn volumes_at(&self, slot: usize) -> &[f64] {
        let start = slot * SENSOR_COUNT;
        self.volume_veh_per_hour
            .get(start..start + SENSOR_COUNT)
            .unwrap_or(&[])
    }

    pub(super) fn total_volume(&self, slot: usize) -> f64 {
        self.volumes_at(slot).iter().sum()
    }
}

pub(super) fn simulate_traffic(
    slots: &[Slot],
    weather: &[HourWeather],
    rng: &mut Rng,
) -> TrafficSim {
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

/// Adds the hour's rain and whether a collision was recorded at the sensor
/// in that hour to the traffic table (rows are slot-major, sensor-minor):
/// the inputs and the label of an incident-risk model.
pub(super) fn with_rain_and_collisions(
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
