//! Maps from the command line, as a planner would make them: a choropleth
//! of real district boundaries (Montreal's 58 electoral districts, the
//! GeoJSON that the plotly package ships) joined by name to a table of
//! votes and spatially to car-share points; and a basemap from an XYZ tile
//! server started here on loopback — its tiles drawn, cached on disk,
//! served from the cache once the server is gone, and a failing server
//! reported rather than leaving a silent blank.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;
#[path = "common/tiles.rs"]
mod tiles;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use common::{cityops, plotly_dataset};
use tiles::{tile_png, tile_server};

fn map_json(args: &[&str], cache: &Path) -> (serde_json::Value, String) {
    let out = cityops()
        .arg("map")
        .args(args)
        .arg("--json")
        .env("CITYOPS_CACHE_DIR", cache)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

fn pixels(path: &Path) -> (Vec<[u8; 3]>, u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    let px = buf[..info.buffer_size()]
        .chunks(step)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (px, info.width, info.height)
}

#[test]
fn montreal_districts_as_a_choropleth_joined_by_name_and_by_location() {
    let dir = tempfile::tempdir().unwrap();
    let geo = plotly_dataset(dir.path(), "election.geojson");
    let votes = plotly_dataset(dir.path(), "election.csv");
    let cars = plotly_dataset(dir.path(), "carshare.csv");
    let out = dir.path().join("joly.png");
    // Votes for Joly per district, joined by the district's name.
    let (j, _) = map_json(
        &[
            "--data",
            votes.to_str().unwrap(),
            "--geojson",
            geo.to_str().unwrap(),
            "--join",
            "district=district",
            "--by",
            "Joly",
            "--agg",
            "sum",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(j["layer"], "choropleth");
    assert_eq!(j["features"], 58, "every district has its row: {j}");
    assert_eq!(j["missing"], 0);
    assert_eq!(j["value"], "sum of Joly");
    let range = j["range"].as_array().unwrap();
    assert!(range[0].as_f64().unwrap() < range[1].as_f64().unwrap());
    let (px, w, h) = pixels(&out);
    assert_eq!((w, h), (1920, 1080));
    // The polygons are filled: many pixels of the colour ramp's ends.
    let coloured = px
        .iter()
        .filter(|p| p[0].abs_diff(p[1]) > 40 || p[1].abs_diff(p[2]) > 40)
        .count();
    assert!(coloured > 100_000, "{coloured} coloured pixels");

    // Car-share points counted in the district they fall in.
    let out = dir.path().join("cars.png");
    let (j, _) = map_json(
        &[
            "--data",
            cars.to_str().unwrap(),
            "--geojson",
            geo.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(
        j["features"].as_u64().unwrap() + j["missing"].as_u64().unwrap(),
        58
    );
    assert_eq!(j["value"], "rows");
    assert!(j["range"][1].as_f64().unwrap() >= 10.0, "{j}");

    // A projected file is refused with the reason.
    let projected = dir.path().join("projected.geojson");
    std::fs::write(
        &projected,
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
            "geometry": {"type": "Point", "coordinates": [299_000.5, 5_040_000.1]}}]}"#
            .replace('_', ""),
    )
    .unwrap();
    let bad = cityops()
        .args(["map", "--data"])
        .arg(&cars)
        .arg("--geojson")
        .arg(&projected)
        .arg("--out")
        .arg(dir.path().join("x.png"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("features[0].geometry.coordinates") && err.contains("EPSG:4326"),
        "{err}"
    );
}

fn points_csv(dir: &Path) -> PathBuf {
    let path = dir.join("stops.csv");
    let mut text = String::from("name,latitude,longitude\n");
    for i in 0..20 {
        text.push_str(&format!(
            "s{i},{},{}\n",
            45.50 + i as f64 * 0.002,
            -73.57 + i as f64 * 0.003
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn magenta(path: &Path) -> usize {
    pixels(path)
        .0
        .iter()
        .filter(|p| p[0] > 230 && p[1] < 30 && p[2] > 230)
        .count()
}

#[test]
fn basemap_tiles_are_drawn_cached_and_served_from_the_cache_offline() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let csv = points_csv(dir.path());
    let (template, hits, server) = tile_server(false);
    let first = dir.path().join("first.png");
    let args = |out: &Path| {
        vec![
            "--data".to_owned(),
            csv.display().to_string(),
            "--basemap".to_owned(),
            template.clone(),
            "--attribution".to_owned(),
            "Test tiles".to_owned(),
            "--out".to_owned(),
            out.display().to_string(),
        ]
    };
    let a: Vec<String> = args(&first);
    let (j, stderr) = map_json(&a.iter().map(String::as_str).collect::<Vec<_>>(), &cache);
    assert_eq!(j["tiles_missing"], false, "{stderr}");
    let fetched = hits.load(Ordering::SeqCst);
    assert!(fetched > 0);
    let shown = magenta(&first);
    assert!(
        shown > 500_000,
        "the tiles cover the map: {shown} magenta pixels"
    );
    let cached = walk(&cache.join("tiles"));
    assert_eq!(cached, fetched, "every fetched tile is in the disk cache");

    // The server is gone: the same map comes from the cache.
    drop(server);
    let second = dir.path().join("second.png");
    let a = args(&second);
    let (j, stderr) = map_json(&a.iter().map(String::as_str).collect::<Vec<_>>(), &cache);
    assert_eq!(j["tiles_missing"], false, "{stderr}");
    assert_eq!(magenta(&second), shown);

    // A server that answers 404: drawn without tiles, and said so.
    let (template, _, _server) = tile_server(true);
    let third = dir.path().join("third.png");
    let out = cityops()
        .args(["map", "--data"])
        .arg(&csv)
        .args(["--basemap", &template, "--out"])
        .arg(&third)
        .env("CITYOPS_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("basemap tiles"), "{err}");
    assert_eq!(magenta(&third), 0);
}

/// Files under a folder.
fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() { walk(&p) } else { 1 }
            })
            .sum()
    })
}

#[test]
fn plain_http_to_another_machine_and_bad_templates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = points_csv(dir.path());
    for (template, says) in [
        ("http://tiles.example.org/{z}/{x}/{y}.png", "unencrypted"),
        ("https://tiles.example.org/{z}/{x}.png", "lacks {y}"),
        ("districts.pmtiles", "no such .pmtiles file"),
    ] {
        let out = cityops()
            .args(["map", "--data"])
            .arg(&csv)
            .args(["--basemap", template, "--out"])
            .arg(dir.path().join("x.png"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{template}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{template}: {err}");
    }
}

/// A local PMTiles archive is a basemap that needs no server: its tiles
/// are drawn (and not copied into the tile cache).
#[test]
fn a_pmtiles_archive_is_a_basemap_offline() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let csv = points_csv(dir.path());
    // Magenta tiles over the points' area, at every zoom the map may use.
    let tile = tile_png([255, 0, 255]);
    let mut tiles = Vec::new();
    let to_tile = |lon: f64, lat: f64, z: u8| {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n).floor();
        let lat = lat.to_radians();
        let y =
            ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
        (x as i64, y as i64)
    };
    for z in 0..=17u8 {
        let (x0, y0) = to_tile(-73.60, 45.56, z);
        let (x1, y1) = to_tile(-73.48, 45.48, z);
        let max = (1i64 << z) - 1;
        for x in (x0 - 3).max(0)..=(x1 + 3).min(max) {
            for y in (y0 - 3).max(0)..=(y1 + 3).min(max) {
                tiles.push((z, x as u32, y as u32, tile.clone()));
            }
        }
    }
    let archive = dir.path().join("montreal.pmtiles");
    cityops::app::widgets::pmtiles::write_archive(&archive, &tiles).unwrap();
    let out = dir.path().join("map.png");
    let (j, stderr) = map_json(
        &[
            "--data",
            &csv.display().to_string(),
            "--basemap",
            &archive.display().to_string(),
            "--attribution",
            "Test archive",
            "--out",
            &out.display().to_string(),
        ],
        &cache,
    );
    assert_eq!(j["tiles_missing"], false, "{stderr}");
    let shown = magenta(&out);
    assert!(
        shown > 500_000,
        "the archive's tiles cover the map: {shown}"
    );
    assert_eq!(
        walk(&cache.join("tiles")),
        0,
        "an archive is not cached again"
    );

    // Not an archive: refused with the reason.
    let fake = dir.path().join("fake.pmtiles");
    std::fs::write(&fake, b"definitely not a tile archive, only text").unwrap();
    let out = cityops()
        .args(["map", "--data"])
        .arg(&csv)
        .arg("--basemap")
        .arg(&fake)
        .arg("--out")
        .arg(dir.path().join("x.png"))
        .env("CITYOPS_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PMTiles"));
}

/// The colour of the points layer (the first series colour, blue).
fn blue(px: &[[u8; 3]]) -> usize {
    px.iter()
        .filter(|p| p[2] > 150 && p[0] < 80 && p[2] > p[1] + 40)
        .count()
}

/// `--overlay` draws more layers of the same table over the first, each
/// counted in `--json`; a layer hidden in its spec is not drawn at all.
#[test]
fn overlays_are_drawn_over_the_districts_and_hidden_layers_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let geo = plotly_dataset(dir.path(), "election.geojson");
    let cars = plotly_dataset(dir.path(), "carshare.csv");
    let only = dir.path().join("only.png");
    let layered = dir.path().join("layered.png");
    let args = |out: &Path, overlay: bool| {
        let mut a = vec![
            "--data".to_owned(),
            cars.display().to_string(),
            "--geojson".to_owned(),
            geo.display().to_string(),
            "--out".to_owned(),
            out.display().to_string(),
        ];
        if overlay {
            // Hexbins over the districts, the stations on top.
            a.extend(["--overlay", "hexbins:car_hours", "--overlay", "points"].map(String::from));
        }
        a
    };
    let run = |a: Vec<String>| {
        map_json(
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        )
        .0
    };
    let j1 = run(args(&only, false));
    let j2 = run(args(&layered, true));
    assert_eq!(j1["overlays"].as_array().unwrap().len(), 0);
    assert_eq!(j2["layer"], "choropleth");
    assert_eq!(
        j2["features"], j1["features"],
        "the first layer is unchanged"
    );
    let overlays = j2["overlays"].as_array().unwrap();
    assert_eq!(overlays.len(), 2, "{j2}");
    assert_eq!(overlays[0]["layer"], "hexbins");
    assert_eq!(overlays[0]["value"], "mean of car_hours");
    assert_eq!(overlays[1]["layer"], "points");
    assert_eq!(overlays[1]["features"], 249, "every station: {j2}");
    let (p1, ..) = pixels(&only);
    let (p2, ..) = pixels(&layered);
    assert!(
        blue(&p2) > blue(&p1) + 2_000,
        "the stations are drawn over the districts: {} blue pixels, {} without them",
        blue(&p2),
        blue(&p1)
    );

    // A bad overlay column exits 2 and names the flag.
    let bad = cityops()
        .args(["map", "--data"])
        .arg(&cars)
        .args(["--overlay", "points:nope", "--out"])
        .arg(dir.path().join("bad.png"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--overlay") && err.contains("nope"), "{err}");

    // The same map drawn by the library with the districts hidden: none
    // of the ramp's colours are left, only the stations.
    let opts = cityops::data::LoadOptions::default();
    let none = &();
    let table = cityops::data::load_dataset(&cars, &opts, none).unwrap();
    let shapes = cityops::data::load_dataset(&geo, &opts, none).unwrap();
    let spec = cityops::charts::ChartSpec {
        title: "stations".into(),
        kind: cityops::charts::ChartKind::MapPoints,
        dataset: table.name.clone(),
        layer: cityops::charts::MapLayer::Choropleth,
        geometry: Some(shapes.name.clone()),
        look: cityops::charts::LayerLook {
            visible: false,
            opacity: 0.7,
        },
        ..Default::default()
    };
    let data =
        cityops::sources::compute_chart(&spec, &table, Some(&shapes), Default::default(), none)
            .unwrap();
    let image = cityops::app::panels::chart_image(
        "hidden",
        &data,
        &jiff::tz::TimeZone::UTC,
        1.0,
        cityops::app::theme::Theme::Light,
    )
    .unwrap();
    let coloured = image
        .pixels
        .iter()
        .filter(|c| c.r().abs_diff(c.g()) > 40 || c.g().abs_diff(c.b()) > 40)
        .count();
    assert!(
        coloured < 500,
        "{coloured} coloured pixels of a hidden layer"
    );
}
