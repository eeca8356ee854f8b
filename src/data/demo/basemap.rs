//! The demo city's own map, generated with it and drawn by cityops
//! offline: the lake to the east, the river, the districts (the part of
//! the city nearest each district's centre), a park in each, the grid of
//! minor streets, and the highways and arterials the traffic sensors sit
//! on — each road where its sensors are, named as they are.

use super::places::{DISTRICTS, District};
use super::traffic::SENSORS;
use crate::data::geojson::Lonlat;

/// The city's extent: `[west, south, east, north]`.
pub const EXTENT: [f64; 4] = [-87.705, 41.820, -87.540, 41.935];
/// The lake shore's longitude (water to the east of it).
const SHORE: f64 = -87.572;
/// Minor streets every this many degrees.
const BLOCK: f64 = 0.006;

/// What the map draws, bottom to top.
#[derive(Clone, Debug)]
pub struct DemoBasemap {
    pub water: Vec<Lonlat>,
    pub districts: Vec<(String, Vec<Lonlat>)>,
    pub parks: Vec<(String, Vec<Lonlat>)>,
    pub minor_streets: Vec<[Lonlat; 2]>,
    pub river: (String, Vec<Lonlat>),
    /// Named roads: (name, is a highway, end points).
    pub roads: Vec<(String, bool, [Lonlat; 2])>,
}

/// Degrees of longitude shrink with latitude: Voronoi cells are cut in
/// ground-scaled coordinates.
fn shrink() -> f64 {
    ((EXTENT[1] + EXTENT[3]) / 2.0).to_radians().cos()
}

/// The part of `poly` (convex) on the side of the line where
/// `a·p <= b`, Sutherland–Hodgman.
fn clip(poly: &[[f64; 2]], a: [f64; 2], b: f64) -> Vec<[f64; 2]> {
    let inside = |p: &[f64; 2]| a[0] * p[0] + a[1] * p[1] <= b;
    let mut out = Vec::with_capacity(poly.len() + 1);
    for (i, p) in poly.iter().enumerate() {
        let q = &poly[(i + 1) % poly.len()];
        let (pin, qin) = (inside(p), inside(q));
        if pin {
            out.push(*p);
        }
        if pin != qin {
            let fp = a[0] * p[0] + a[1] * p[1] - b;
            let fq = a[0] * q[0] + a[1] * q[1] - b;
            let t = fp / (fp - fq);
            out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
        }
    }
    out
}

/// The land nearest one district's centre, within the city (west of the
/// shore).
fn district_cell(i: usize, all: &[District]) -> Vec<Lonlat> {
    let k = shrink();
    let to = |lon: f64, lat: f64| [lon * k, lat];
    let [w, s, _, n] = EXTENT;
    let mut cell = vec![to(w, s), to(SHORE, s), to(SHORE, n), to(w, n)];
    let c = all[i];
    let ci = to(c.lon, c.lat);
    for (j, d) in all.iter().enumerate() {
        if j == i {
            continue;
        }
        let cj = to(d.lon, d.lat);
        // Closer to ci than to cj: (cj − ci)·p ≤ (|cj|² − |ci|²) / 2.
        let a = [cj[0] - ci[0], cj[1] - ci[1]];
        let b = (cj[0] * cj[0] + cj[1] * cj[1] - ci[0] * ci[0] - ci[1] * ci[1]) / 2.0;
        cell = clip(&cell, a, b);
    }
    cell.into_iter().map(|p| [p[0] / k, p[1]]).collect()
}

/// The demo city's map.
pub fn basemap() -> DemoBasemap {
    let [w, s, e, n] = EXTENT;
    let districts: Vec<(String, Vec<Lonlat>)> = (0..DISTRICTS.len())
        .map(|i| (DISTRICTS[i].name.to_owned(), district_cell(i, &DISTRICTS)))
        .collect();
    let parks = DISTRICTS
        .iter()
        .filter_map(|d| {
            let name = d.parks.first()?.en.to_owned();
            let (x, y) = (d.lon + 0.004, d.lat - 0.003);
            let (hw, hh) = (0.0035, 0.0022);
            Some((
                name,
                vec![
                    [x - hw, y - hh],
                    [x + hw, y - hh],
                    [x + hw, y + hh],
                    [x - hw, y + hh],
                ],
            ))
        })
        .collect();
    let mut minor_streets = Vec::new();
    let mut lon = w;
    while lon < SHORE {
        minor_streets.push([[lon, s], [lon, n]]);
        lon += BLOCK;
    }
    let mut lat = s;
    while lat < n {
        minor_streets.push([[w, lat], [SHORE, lat]]);
        lat += BLOCK * 0.75;
    }
    // Roads where their sensors are: a constant longitude (north–south)
    // or latitude (east–west), across the city.
    let mut roads: Vec<(String, bool, [Lonlat; 2])> = Vec::new();
    for site in &SENSORS {
        if roads.iter().any(|r| r.0 == site.road) {
            continue;
        }
        let on: Vec<_> = SENSORS.iter().filter(|o| o.road == site.road).collect();
        let north_south = on.iter().all(|o| (o.lon - site.lon).abs() < 1e-9);
        let highway = site.road.contains("Expressway")
            || site.road.contains("Parkway")
            || site.road.contains("Beltway");
        let ends = if north_south {
            [[site.lon, s], [site.lon, n]]
        } else {
            [[w, site.lat], [SHORE, site.lat]]
        };
        roads.push((site.road.to_owned(), highway, ends));
    }
    // The river: from the west, past Riverside, into the lake downtown.
    let river: Vec<Lonlat> = (0..=40)
        .map(|i| {
            let t = f64::from(i) / 40.0;
            let lon = w + t * (SHORE - w);
            let lat = 41.866 + 0.012 * t + 0.004 * (t * 9.0).sin();
            [lon, lat]
        })
        .collect();
    DemoBasemap {
        water: vec![[SHORE, s], [e, s], [e, n], [SHORE, n]],
        districts,
        parks,
        minor_streets,
        river: ("Riverton River".to_owned(), river),
        roads,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::geojson::ring_contains;

    #[test]
    fn every_sensor_lies_on_its_road_inside_a_district() {
        let map = basemap();
        assert_eq!(map.districts.len(), DISTRICTS.len());
        for site in &SENSORS {
            let (_, _, [a, b]) = map.roads.iter().find(|r| r.0 == site.road).unwrap();
            // On the segment: collinear and between its ends.
            let on = if (a[0] - b[0]).abs() < 1e-12 {
                (site.lon - a[0]).abs() < 1e-9 && (a[1]..=b[1]).contains(&site.lat)
            } else {
                (site.lat - a[1]).abs() < 1e-9 && (a[0]..=b[0]).contains(&site.lon)
            };
            assert!(on, "a sensor off {}", site.road);
            let inside = map
                .districts
                .iter()
                .filter(|(_, ring)| ring_contains(ring, [site.lon, site.lat]))
                .count();
            assert_eq!(inside, 1, "{} in {inside} districts", site.road);
        }
        // Each district's centre is in its own cell.
        for (d, (name, ring)) in DISTRICTS.iter().zip(&map.districts) {
            assert_eq!(d.name, name);
            assert!(ring_contains(ring, [d.lon, d.lat]), "{name}");
        }
    }
}
