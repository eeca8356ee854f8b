//! The demo city's tables, checked as a whole: structure, determinism,
//! the patterns each table is meant to show.

use std::collections::{HashMap, HashSet};

use crate::data::aqi::AqiCategory;
use crate::data::timeseries::MICROS_PER_HOUR;

use super::air_quality::STATIONS;
use super::calendar::{DayKind, Slot, calendar};
use super::incidents::MAJOR_COLLISION_TEMPLATES;
use super::reports::{Department, TOPICS};
use super::service_use::RESIDENT_COUNT;
use super::templates::{TemplateWords, add_typo, render};
use super::traffic::{SENSOR_COUNT, simulate_traffic};
use super::weather::simulate_weather;
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
    assert!(out.ends_with(" on Elm Avenue at Main Street by City Hall in Riverside Park for 3"));
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
