//! Open-data portal APIs against loopback servers that page exactly as each
//! documents: Socrata (with a server page cap of 1,000 rows below the
//! `$limit` asked), CKAN `datastore_search`, ArcGIS `query` with
//! `exceededTransferLimit`; a server that fails half-way, one that answers
//! HTML, a slow one, and one whose data grows between refreshes
//! (`cityops watch`).

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use std::collections::HashMap;
use std::io::BufRead as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use cityops::data::{LoadError, LoadOptions, Progress};
use cityops::sources::live::{Refreshed, Watch};
use cityops::sources::portal::{Api, PortalOptions, fetch_rows};
use serde_json::{Value, json};

/// The rows a server holds: hourly crash counts, growing when told.
#[derive(Default)]
struct Data {
    rows: Mutex<Vec<Value>>,
    requests: AtomicUsize,
    /// Socrata: the app token of the last request.
    token: Mutex<Option<String>>,
}

fn crash(i: usize) -> Value {
    // Socrata's floating timestamps: no zone, strings for numbers.
    let borough = ["BRONX", "QUEENS", "BROOKLYN"][i % 3];
    json!({
        "crash_date": format!("2024-06-{:02}T{:02}:00:00.000", 1 + i / 24 % 28, i % 24),
        "borough": borough,
        "injured": (i % 4).to_string(),
        "location": {"latitude": format!("{:.4}", 40.7 + (i % 10) as f64 / 100.0),
                     "longitude": format!("{:.4}", -73.9 - (i % 7) as f64 / 100.0)},
    })
}

impl Data {
    fn with(n: usize) -> Arc<Self> {
        let d = Self::default();
        d.grow(n);
        Arc::new(d)
    }

    fn grow(&self, n: usize) {
        let mut rows = self.rows.lock().unwrap();
        let start = rows.len();
        rows.extend((start..start + n).map(crash));
    }
}

type Shared = Arc<Data>;

fn num(q: &HashMap<String, String>, k: &str, default: usize) -> usize {
    q.get(k).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Socrata SODA: `$order` required for stable paging, `$limit` capped at
/// 1,000, `$where crash_date > 'T'` understood.
async fn socrata(
    State(d): State<Shared>,
    headers: axum::http::HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> axum::response::Response {
    d.requests.fetch_add(1, Ordering::SeqCst);
    *d.token.lock().unwrap() = headers
        .get("X-App-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if q.get("$order").map(String::as_str) != Some(":id") {
        return (axum::http::StatusCode::BAD_REQUEST, "paging needs $order").into_response();
    }
    let rows = d.rows.lock().unwrap().clone();
    let after = q
        .get("$where")
        .and_then(|w| w.split("crash_date > '").nth(1))
        .map(|s| s.trim_end_matches('\'').to_owned());
    let rows: Vec<Value> = rows
        .into_iter()
        .filter(|r| {
            after
                .as_deref()
                .is_none_or(|a| r["crash_date"].as_str().unwrap().get(..19).unwrap() > a)
        })
        .collect();
    let limit = num(&q, "$limit", 1000).min(1000);
    let offset = num(&q, "$offset", 0);
    let page: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    axum::Json(page).into_response()
}

/// CKAN `datastore_search`: `result.records` and `result.total`.
async fn ckan(
    State(d): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let rows = d.rows.lock().unwrap().clone();
    let limit = num(&q, "limit", 100).min(1000);
    let offset = num(&q, "offset", 0);
    let records: Vec<Value> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(limit)
        .map(|(i, r)| {
            let mut r = r.clone();
            r["_id"] = json!(i + 1);
            r
        })
        .collect();
    axum::Json(json!({"success": true, "result": {"records": records, "total": rows.len()}}))
}

/// ArcGIS `query`: at most 1,000 features, `exceededTransferLimit` while
/// more remain; points in `geometry`.
async fn arcgis(
    State(d): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    if q.get("f").map(String::as_str) != Some("json") {
        return axum::Json(json!({"error": {"code": 400, "message": "Invalid format"}}));
    }
    let rows = d.rows.lock().unwrap().clone();
    let limit = num(&q, "resultRecordCount", 1000).min(1000);
    let offset = num(&q, "resultOffset", 0);
    let features: Vec<Value> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(limit)
        .map(|(i, r)| {
            json!({"attributes": {"OBJECTID": i + 1, "BOROUGH": r["borough"], "INJURED": r["injured"]},
                   "geometry": {"x": r["location"]["longitude"].as_str().unwrap().parse::<f64>().unwrap(),
                                "y": r["location"]["latitude"].as_str().unwrap().parse::<f64>().unwrap()}})
        })
        .collect();
    let more = offset + features.len() < rows.len();
    axum::Json(json!({"features": features, "exceededTransferLimit": more}))
}

/// Fails from the second page on.
async fn failing(Query(q): Query<HashMap<String, String>>) -> axum::response::Response {
    let offset = num(&q, "$offset", 0);
    if offset > 0 {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "database went away",
        )
            .into_response();
    }
    axum::Json((0..1000).map(crash).collect::<Vec<_>>()).into_response()
}

/// A loopback server with every API; returns its base URL, the data
/// behind it, and the runtime that keeps it up.
fn portal(rows: usize) -> (String, Shared, tokio::runtime::Runtime) {
    let data = Data::with(rows);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = axum::Router::new()
        .route("/resource/h9gi-nx95.json", get(socrata))
        .route("/api/3/action/datastore_search", get(ckan))
        .route(
            "/arcgis/rest/services/Crashes/FeatureServer/0/query",
            get(arcgis),
        )
        .route("/resource/fail-0001.json", get(failing))
        .route(
            "/resource/html-0001.json",
            get(|| async { Html("<!doctype html><html><body>Dataset page</body></html>") }),
        )
        .route(
            "/resource/slow-0001.json",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "[]"
            }),
        )
        .with_state(Arc::clone(&data));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await });
    (base, data, rt)
}

fn utc() -> LoadOptions {
    LoadOptions {
        time_zone: Some(jiff::tz::TimeZone::UTC),
        ..LoadOptions::default()
    }
}

#[test]
fn socrata_pages_past_a_server_cap_with_its_order_and_app_token() {
    let (base, data, _rt) = portal(2_500);
    let opts = LoadOptions {
        app_token: Some("tok123".to_owned()),
        ..utc()
    };
    let ds =
        cityops::sources::load(&format!("{base}/resource/h9gi-nx95.json"), &opts, &()).unwrap();
    assert_eq!(ds.table.n_rows(), 2_500);
    assert_eq!(ds.name, "h9gi-nx95");
    assert_eq!(ds.file_format, Some("Socrata"));
    // 10,000 asked, 1,000 given: three pages, the last short.
    assert_eq!(data.requests.load(Ordering::SeqCst), 3);
    assert_eq!(data.token.lock().unwrap().as_deref(), Some("tok123"));
    // Rows in order, typed: the last row is crash 2,499.
    let injured = ds.table.column("injured").unwrap();
    assert_eq!(injured.f64_at(2_499), Some((2_499 % 4) as f64));
    assert_eq!(
        ds.table.column("crash_date").unwrap().kind(),
        cityops::data::ColumnKind::Timestamp
    );
    assert!(ds.table.column("location.latitude").is_some());
}

#[test]
fn a_row_limit_stops_early_and_says_so() {
    let (base, _data, _rt) = portal(2_500);
    let opts = LoadOptions {
        row_limit: Some(1_200),
        ..utc()
    };
    let ds =
        cityops::sources::load(&format!("{base}/resource/h9gi-nx95.json"), &opts, &()).unwrap();
    assert_eq!(ds.table.n_rows(), 1_200);
    assert!(
        ds.warnings.iter().any(|w| w.message.contains("row limit")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn ckan_pages_to_its_total_and_arcgis_while_the_limit_is_exceeded() {
    let (base, _data, _rt) = portal(2_345);
    let ds = cityops::sources::load(
        &format!("{base}/api/3/action/datastore_search?resource_id=crashes-2024"),
        &utc(),
        &(),
    )
    .unwrap();
    assert_eq!(ds.table.n_rows(), 2_345);
    assert_eq!(ds.name, "crashes-2024");
    assert_eq!(ds.table.column("_id").unwrap().f64_at(2_344), Some(2_345.0));

    let ds = cityops::sources::load(
        &format!("{base}/arcgis/rest/services/Crashes/FeatureServer/0"),
        &utc(),
        &(),
    )
    .unwrap();
    assert_eq!(ds.table.n_rows(), 2_345);
    assert_eq!(ds.name, "Crashes 0");
    // Point geometry became coordinates the map can use.
    let lat = ds.table.column("latitude").unwrap();
    assert_eq!(lat.f64_at(3), Some(40.73));
    assert!(ds.schema.find(cityops::data::Role::Latitude).is_some());
}

#[test]
fn a_failure_half_way_keeps_nothing_unless_asked_and_then_says_so() {
    let (base, _data, _rt) = portal(10);
    let url = format!("{base}/resource/fail-0001.json");
    let err = cityops::sources::load(&url, &utc(), &()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("page 2") && text.contains("500"), "{text}");
    assert!(text.contains("nothing was kept"), "{text}");
    let keep = LoadOptions {
        keep_partial: true,
        ..utc()
    };
    let ds = cityops::sources::load(&url, &keep, &()).unwrap();
    assert_eq!(ds.table.n_rows(), 1_000);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.message.contains("only part of the data")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn an_html_page_and_a_slow_server_are_clear_errors() {
    let (base, _data, rt) = portal(10);
    let err = cityops::sources::load(&format!("{base}/resource/html-0001.json"), &utc(), &())
        .unwrap_err();
    assert!(err.to_string().contains("web page (HTML)"), "{err}");

    let mut opts = PortalOptions::default();
    opts.fetch.read_timeout = Duration::from_millis(300);
    opts.fetch.connect_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = rt
        .block_on(fetch_rows(
            &format!("{base}/resource/slow-0001.json"),
            Api::Socrata,
            &opts,
            &(),
        ))
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("too slow"), "{err}");
}

/// Cancels once `after` pages' progress has been reported.
struct CancelAfter(AtomicUsize, usize);

impl Progress for CancelAfter {
    fn report(&self, _f: f32, message: &str) {
        if message.ends_with("rows fetched") {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst) >= self.1
    }
}

#[test]
fn cancel_leaves_nothing_or_the_rows_kept_on_request() {
    let (base, _data, _rt) = portal(3_500);
    let url = format!("{base}/resource/h9gi-nx95.json");
    let err =
        cityops::sources::load(&url, &utc(), &CancelAfter(AtomicUsize::new(0), 2)).unwrap_err();
    assert!(matches!(err, LoadError::Cancelled), "{err}");
    let keep = LoadOptions {
        keep_partial: true,
        ..utc()
    };
    let ds = cityops::sources::load(&url, &keep, &CancelAfter(AtomicUsize::new(0), 2)).unwrap();
    assert_eq!(ds.table.n_rows(), 2_000);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.message.contains("cancelled after 2000 rows"))
    );
}

#[test]
fn a_refresh_fetches_only_newer_rows() {
    let (base, data, _rt) = portal(100);
    let url = format!("{base}/resource/h9gi-nx95.json");
    let ds = cityops::sources::load(&url, &utc(), &()).unwrap();
    let mut watch = Watch::start(&ds);
    assert!(matches!(
        watch.refresh(&ds, &utc(), &()).unwrap(),
        Refreshed::Unchanged
    ));
    data.grow(30);
    let Refreshed::Changed {
        dataset,
        added,
        how,
    } = watch.refresh(&ds, &utc(), &()).unwrap()
    else {
        panic!("30 rows were added");
    };
    assert_eq!((added, how), (30, "fetched newer rows"));
    assert_eq!(dataset.table.n_rows(), 130);
    assert_eq!(dataset.name, ds.name);
}

#[test]
fn watch_prints_each_refreshs_new_rows_as_json() {
    let (base, data, _rt) = portal(48);
    let mut child = common::cityops()
        .args([
            "watch", "--json", "--every", "2s", "--times", "2", "--tz", "UTC",
        ])
        .arg(format!("{base}/resource/h9gi-nx95.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["event"], "loaded");
    assert_eq!(first["rows"], 48);
    data.grow(24);
    let events: Vec<Value> = lines
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    let status = child.wait().unwrap();
    assert!(status.success());
    let refreshes: Vec<&Value> = events.iter().filter(|e| e["event"] == "refresh").collect();
    assert_eq!(refreshes.len(), 2, "{events:?}");
    assert_eq!(refreshes[0]["new_rows"], 24);
    assert_eq!(refreshes[0]["rows"], 72);
    assert_eq!(refreshes[1]["new_rows"], 0);
}

#[test]
fn a_server_that_ignores_the_offset_is_read_once_not_forever() {
    use axum::routing::get;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = axum::Router::new().route(
        "/resource/same-0001.json",
        get(|| async { axum::Json((0..3).map(crash).collect::<Vec<_>>()) }),
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await });
    let ds =
        cityops::sources::load(&format!("{base}/resource/same-0001.json"), &utc(), &()).unwrap();
    assert_eq!(ds.table.n_rows(), 3);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.message.contains("sent page 1 again")),
        "{:?}",
        ds.warnings
    );
}
