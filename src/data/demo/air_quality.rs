//! The `air_quality` table (environment): 8 stations every hour, NO2 and
//! PM from nearby traffic and the weather, ozone from sun and heat, the
//! hourly AQI.

use crate::data::aqi::{self, AqiCategory};
use crate::data::rng::Rng;
use crate::data::table::{Column, ColumnValues, Table, Validity};

use super::calendar::Slot;
use super::places::distance_km;
use super::traffic::{SENSOR_COUNT, SENSORS, TrafficSim};
use super::weather::HourWeather;
use super::{assemble, round_to};

#[derive(Clone, Copy, Debug)]
pub(super) struct Station {
    id: &'static str,
    name: &'static str,
    lat: f64,
    lon: f64,
    /// Urban heat island (+) or lake breeze (−) on temperature.
    temperature_offset_c: f64,
    /// Open water and open ground are windier than street canyons.
    wind_factor: f64,
}

pub(super) const STATIONS: [Station; 8] = [
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

pub(super) fn air_quality_table(
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
