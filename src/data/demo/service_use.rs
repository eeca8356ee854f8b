//! The `service_use` table: 800 residents in five segments using 40 city
//! services (the recommender's demo data).

use crate::data::rng::Rng;
use crate::data::table::{Column, Table};
use crate::data::timeseries::MICROS_PER_SECOND;

use super::calendar::Slot;
use super::{DEMO_DAYS, assemble};

pub(super) const RESIDENT_COUNT: usize = 800;

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

pub(super) fn service_use_table(slots: &[Slot], rng: &mut Rng) -> Table {
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
