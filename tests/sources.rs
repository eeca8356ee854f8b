//! Datasets from URLs, as an open-data portal's export link gives them: a
//! loopback HTTP server started here serves a CSV and a Socrata-style JSON
//! export; `cityops inspect URL`, `cityops charts --data URL` and the
//! dashboard's Open URL… read them; a missing file and plain http to
//! another machine are refused with the reason.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use cityops::app::AppOptions;
use common::cityops;

const CSV: &str = "time,borough,injured\n2024-06-01T08:00:00Z,BRONX,1\n2024-06-01T09:00:00Z,QUEENS,0\n2024-06-02T08:00:00Z,BRONX,2\n";
const JSON: &str = r#"[{"crash_date": "2024-06-01T00:00:00.000", "borough": "BRONX", "injured": "1"},
 {"crash_date": "2024-06-02T00:00:00.000", "borough": "QUEENS", "injured": "3"}]"#;

/// Serves /crashes.csv and /resource/h9gi-nx95.json on loopback; other
/// paths are 404. Returns the base URL and the runtime that keeps it up.
fn portal() -> (String, tokio::runtime::Runtime) {
    use axum::routing::get;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = axum::Router::new()
        .route("/crashes.csv", get(|| async { CSV }))
        .route("/resource/h9gi-nx95.json", get(|| async { JSON }));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await });
    (base, rt)
}

#[test]
fn inspect_and_charts_read_a_url_and_say_why_when_they_cannot() {
    let (base, _server) = portal();
    let out = cityops()
        .args(["inspect", "--json", "--tz", "UTC"])
        .arg(format!("{base}/crashes.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 3);
    assert_eq!(v["domain"], "general");

    let out = cityops()
        .args(["charts", "--json", "--tz", "UTC", "--data"])
        .arg(format!("{base}/resource/h9gi-nx95.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let charts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        charts
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["title"] == "Injured over time by borough"),
        "{charts}"
    );

    let out = cityops()
        .arg("inspect")
        .arg(format!("{base}/missing.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("404"), "{err}");

    let out = cityops()
        .args(["inspect", "http://data.example.org/crashes.csv"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("plain http"), "{err}");
}

#[test]
fn the_dashboard_opens_a_url() {
    let (base, _server) = portal();
    let mut h = common::app(
        AppOptions {
            fresh: true,
            time_zone: Some(jiff::tz::TimeZone::UTC),
            ..Default::default()
        },
        egui::vec2(1400.0, 900.0),
    );
    common::wait(&mut h);
    common::type_url(&mut h, &format!("{base}/crashes.csv"));
    common::click(&mut h, "Open this URL");
    common::wait(&mut h);
    let names: Vec<String> = h
        .state()
        .ws
        .datasets
        .iter()
        .map(|e| e.dataset.name.clone())
        .collect();
    assert!(names.iter().any(|n| n == "crashes"), "{names:?}");
}

#[test]
fn a_live_file_shows_its_new_rows_without_a_restart() {
    use egui_kittest::kittest::Queryable as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("counts.csv");
    let mut text = String::from("time,sensor,vehicles\n");
    for h in 0..24 {
        text.push_str(&format!(
            "2024-06-01T{h:02}:00:00Z,S{},{}\n",
            h % 2,
            100 + h
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let mut h = common::app(
        AppOptions {
            fresh: true,
            files: vec![path.clone()],
            view: Some(cityops::app::state::ViewId::Data),
            time_zone: Some(jiff::tz::TimeZone::UTC),
            ..Default::default()
        },
        egui::vec2(1400.0, 900.0),
    );
    common::wait(&mut h);
    h.get_by_role_and_label(egui::Role::ComboBox, "Refresh")
        .click();
    h.run_steps(2);
    h.get_by_label("every 10 s").click();
    common::wait(&mut h);
    let key = path.display().to_string();
    assert_eq!(h.state().ws.refresh.get(&key), Some(&10));
    // The first look records the file as loaded; then it grows.
    text.push_str("2024-06-02T00:00:00Z,S0,130\n2024-06-02T01:00:00Z,S1,131\n");
    std::fs::write(&path, &text).unwrap();
    let rows = |h: &egui_kittest::Harness<'static, cityops::app::CityApp>| {
        h.state()
            .ws
            .datasets
            .first()
            .map(|e| e.dataset.table.n_rows())
    };
    let started = std::time::Instant::now();
    while rows(&h) != Some(26) && started.elapsed() < std::time::Duration::from_secs(30) {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(rows(&h), Some(26));
    common::wait(&mut h);
    let status = h.query_by_label_contains("live · updated");
    assert!(status.is_some(), "the top bar says the source is live");
}
