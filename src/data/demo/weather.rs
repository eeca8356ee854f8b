//! The hourly weather that drives every demo table: temperature, humidity,
//! wind, sunshine, rain, and the episodes placed by the seed (stagnant air,
//! wildfire smoke, the storm).

use std::f64::consts::{PI, TAU};

use crate::data::rng::Rng;

use super::calendar::Slot;
use super::{DEMO_DAYS, round_to};

/// The city-wide weather of one hour.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct HourWeather {
    pub(super) temperature_c: f64,
    pub(super) humidity_pct: f64,
    pub(super) wind_speed_ms: f64,
    pub(super) rain_mm: f64,
    /// Rain over the last 24 hours including this one.
    pub(super) rain_last_24h_mm: f64,
    /// Sunshine reaching the ground, 0 (night) to 1 (clear noon in August).
    pub(super) sun: f64,
    /// Strength of the stagnant-air episode, 0..=1.
    pub(super) stagnation: f64,
    /// PM2.5 added by wildfire smoke.
    pub(super) smoke_pm25_ugm3: f64,
}

impl HourWeather {
    pub(super) fn is_wet(&self) -> bool {
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

pub(super) fn simulate_weather(slots: &[Slot], rng: &mut Rng) -> Vec<HourWeather> {
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
