//! The `incidents` table (public safety): Poisson counts per hour and
//! type, driven by traffic, weather, the time of day and the accidents.

use crate::data::rng::Rng;
use crate::data::table::{Column, Table};
use crate::data::timeseries::MICROS_PER_SECOND;

use super::calendar::Slot;
use super::places::{district, nearest_district};
use super::templates::{TemplateWords, render};
use super::traffic::{SENSOR_COUNT, SENSORS, TrafficSim};
use super::weather::HourWeather;
use super::{assemble, hour_weight, round_to};

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
pub(super) const NIGHTLIFE: [f64; 24] = [
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
pub(super) const MAJOR_COLLISION_TEMPLATES: &[&str] = &[
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
pub(super) fn incidents_table(
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
