//! PostgreSQL as a source, against a real server this test process starts
//! (`common::servers`): types and NULLs, charts computed by the server
//! that equal the in-memory ones (across both daylight-saving changes), a
//! million-row table charted while holding only a sample, cancel, a
//! dropped connection, a wrong password, an unknown table, and the command
//! line.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cityops::charts::{self, Aggregation, ChartData, ChartKind, ChartSpec, Filter, TimeBucket};
use cityops::data::timeseries::TimeRange;
use cityops::data::{ColumnKind, Dataset, LoadError, LoadOptions, Progress};
use cityops::sources;

fn chicago() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("America/Chicago").unwrap()
}

fn open(url: &str, table: &str, rows: usize) -> Result<Dataset, LoadError> {
    let pg = servers::postgres();
    sources::postgres::remember_password(url, &pg.password);
    let opts = LoadOptions {
        time_zone: Some(chicago()),
        db_table: Some(table.to_owned()),
        row_limit: Some(rows),
        ..LoadOptions::default()
    };
    sources::load(url, &opts, &())
}

#[test]
fn types_and_nulls_round_trip() {
    let pg = servers::postgres();
    let url = pg.database("types");
    pg.psql(
        "types",
        "CREATE TABLE t (i int, big bigint, small smallint, f float8, r real, n numeric(10,2), b bool, \
         at timestamptz, naive timestamp, d date, s text, v varchar(20), j jsonb, \"odd \"\"name\" text);
         INSERT INTO t VALUES
           (1, 9007199254740993, 2, 1.5, 2.25, 10.05, true, '2024-03-10 07:30:00+00', '2024-03-10 01:30', '2024-03-10', 'north', 'x', '{\"a\": 1}', 'q'),
           (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
           (-3, -1, 0, 'NaN', -0.5, -7.5, false, '-infinity', '2024-11-03 01:30', '2024-11-03', 'north', 'y', '[]', 'r');",
    );
    let ds = open(&url, "t", 1000).unwrap();
    let t = &ds.table;
    assert_eq!(t.n_rows(), 3);
    let kind = |name: &str| t.column(name).unwrap().kind();
    assert_eq!(kind("i"), ColumnKind::Integer);
    assert_eq!(kind("big"), ColumnKind::Integer);
    assert_eq!(kind("f"), ColumnKind::Float);
    assert_eq!(kind("n"), ColumnKind::Float);
    assert_eq!(kind("b"), ColumnKind::Bool);
    assert_eq!(kind("at"), ColumnKind::Timestamp);
    assert_eq!(kind("naive"), ColumnKind::Timestamp);
    assert_eq!(kind("d"), ColumnKind::Timestamp);
    let col = |name: &str| t.column(name).unwrap();
    // A bigint past 2^53 is kept exactly.
    assert_eq!(col("big").f64_at(0), Some(9007199254740993_i64 as f64));
    assert_eq!(
        match &col("big").values {
            cityops::data::ColumnValues::Integer(v) => v[0],
            _ => 0,
        },
        9007199254740993
    );
    assert_eq!(col("n").f64_at(0), Some(10.05));
    assert_eq!(col("r").f64_at(0), Some(2.25));
    // Every NULL is missing, never a zero or an empty string.
    for c in &t.columns {
        assert!(!c.is_valid(1), "column {} row 2 should be missing", c.name);
    }
    // An exact instant; a naive time read in the dataset's zone (01:30
    // CST is 07:30 UTC); a date at local midnight.
    let micros = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
    assert_eq!(
        col("at").timestamp_at(0),
        Some(micros("2024-03-10T07:30:00Z"))
    );
    assert_eq!(
        col("naive").timestamp_at(0),
        Some(micros("2024-03-10T07:30:00Z"))
    );
    assert_eq!(
        col("d").timestamp_at(0),
        Some(micros("2024-03-10T06:00:00Z"))
    );
    // -infinity cannot be charted: missing, not a crash or a wrap-around.
    assert!(!col("at").is_valid(2));
    assert_eq!(col("s").str_at(0), Some("north"));
    assert_eq!(col("j").str_at(0), Some("{\"a\": 1}"));
    assert_eq!(col("odd \"name").str_at(2), Some("r"));
    assert_eq!(col("b").f64_at(2), Some(0.0));
    assert!(matches!(ds.source, cityops::data::Source::Database(_)));
    assert_eq!(ds.file_format, Some("PostgreSQL"));
}

/// Hourly readings of four sensors around both of Chicago's 2024
/// daylight-saving changes, with missing speeds.
fn readings(pg: &servers::Postgres, db: &str) -> String {
    let url = pg.database(db);
    pg.psql(
        db,
        "CREATE TABLE readings (t timestamptz, sensor text, speed float8, volume int, ok bool);
         INSERT INTO readings
         SELECT ts, s,
                CASE WHEN (i + ascii(s)) % 17 = 0 THEN NULL ELSE 20 + ((i * 7 + ascii(s)) % 50) * 0.7 END,
                ((i * 13 + ascii(s)) % 300)::int,
                (i % 3) = 0
         FROM (SELECT ts, row_number() OVER (ORDER BY ts) AS i FROM (
                 SELECT generate_series('2024-03-07 00:00+00'::timestamptz, '2024-03-13 00:00+00', '1 hour') AS ts
                 UNION ALL
                 SELECT generate_series('2024-10-30 00:00+00'::timestamptz, '2024-11-06 00:00+00', '1 hour')) g) g
         CROSS JOIN unnest(ARRAY['A', 'B', 'C', 'D']) AS s;
         -- Rows without a time, without a sensor, without anything.
         INSERT INTO readings VALUES
           (NULL, 'A', 50, 10, true),
           ('2024-11-03 07:30+00', NULL, 33, 5, false),
           (NULL, NULL, NULL, NULL, NULL);
         ANALYZE readings;",
    );
    url
}

/// Rows in `readings`: both spans' hours × 4 sensors, and 3 with gaps.
const READINGS: usize = (145 + 169) * 4 + 3;

fn assert_same(what: &str, sql: &ChartData, mem: &ChartData) {
    assert_eq!(sql.x, mem.x, "{what}: x axis");
    assert_eq!(sql.bucket, mem.bucket, "{what}: bucket");
    assert_eq!(sql.y_label, mem.y_label, "{what}: y label");
    assert_eq!(sql.rows_used, mem.rows_used, "{what}: rows used");
    let close =
        |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    match (&sql.heatmap, &mem.heatmap) {
        (Some(a), Some(b)) => {
            assert_eq!(a.row_labels, b.row_labels, "{what}: heatmap rows");
            assert_eq!(a.values.len(), b.values.len(), "{what}: heatmap cells");
            for (i, (x, y)) in a.values.iter().zip(&b.values).enumerate() {
                assert!(close(*x, *y), "{what}: cell {i}: database {x} memory {y}");
            }
        }
        (a, b) => assert_eq!(a.is_some(), b.is_some(), "{what}: heatmap"),
    }
    match (&sql.kpi, &mem.kpi) {
        (Some(a), Some(b)) => {
            assert!(close(a.latest, b.latest), "{what}: latest {a:?} {b:?}");
            assert_eq!(a.at, b.at, "{what}: latest bucket");
            assert_eq!(a.usual.is_some(), b.usual.is_some(), "{what}: usual");
            if let (Some(x), Some(y)) = (a.usual, b.usual) {
                assert!(close(x, y), "{what}: usual {x} {y}");
            }
        }
        (a, b) => assert_eq!(a.is_some(), b.is_some(), "{what}: key figure"),
    }
    let names = |d: &ChartData| d.series.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(sql), names(mem), "{what}: series");
    for (a, b) in sql.series.iter().zip(&mem.series) {
        assert_eq!(a.points.len(), b.points.len(), "{what}: {} points", a.name);
        for (p, q) in a.points.iter().zip(&b.points) {
            assert_eq!(p[0], q[0], "{what}: {} x", a.name);
            let same = (p[1].is_nan() && q[1].is_nan())
                || (p[1] - q[1]).abs() <= 1e-9 * q[1].abs().max(1.0);
            assert!(
                same,
                "{what}: {} at x={}: database {} memory {}",
                a.name, p[0], p[1], q[1]
            );
        }
    }
}

fn spec(kind: ChartKind, x: &str, measures: &[&str], aggregation: Aggregation) -> ChartSpec {
    ChartSpec {
        title: format!("{kind:?} {x} {measures:?} {aggregation:?}"),
        kind,
        x: Some(x.to_owned()),
        measures: measures.iter().map(|m| (*m).to_owned()).collect(),
        aggregation,
        ..ChartSpec::default()
    }
}

#[test]
fn charts_by_the_server_equal_charts_in_memory() {
    let pg = servers::postgres();
    let url = readings(pg, "equal");
    // The whole table in memory, and a dataset holding 50 rows whose
    // charts the server computes.
    let full = open(&url, "readings", 1_000_000).unwrap();
    let held = open(&url, "readings", 50).unwrap();
    assert_eq!(held.table.n_rows(), 50);
    assert_eq!(full.table.n_rows(), READINGS);
    assert!(
        held.warnings
            .iter()
            .any(|w| w.message.contains("computed by the database")),
        "{:?}",
        held.warnings
    );
    let mut specs = Vec::new();
    for bucket in [
        TimeBucket::Hour,
        TimeBucket::Day,
        TimeBucket::Week,
        TimeBucket::Month,
    ] {
        let mut s = spec(ChartKind::Line, "t", &["speed"], Aggregation::Mean);
        s.group = Some("sensor".to_owned());
        s.bucket = bucket;
        specs.push(s);
    }
    for aggregation in Aggregation::ALL {
        let mut s = spec(ChartKind::Line, "t", &["speed", "volume"], aggregation);
        s.bucket = TimeBucket::Day;
        specs.push(s);
    }
    // Counts (empty days are zeros), the automatic bucket, top 2 + other.
    specs.push(spec(ChartKind::Bar, "t", &[], Aggregation::Count));
    let mut s = spec(ChartKind::Area, "t", &["volume"], Aggregation::Median);
    s.group = Some("sensor".to_owned());
    s.top_n = Some(2);
    specs.push(s);
    // Categories and numbers on x, a boolean measure.
    let mut s = spec(ChartKind::Bar, "sensor", &["volume"], Aggregation::P95);
    s.group = Some("ok".to_owned());
    specs.push(s);
    specs.push(spec(ChartKind::Bar, "sensor", &["ok"], Aggregation::Mean));
    specs.push(spec(
        ChartKind::Line,
        "volume",
        &["speed"],
        Aggregation::Max,
    ));
    // Key figures and weekday × hour.
    for bucket in [TimeBucket::Auto, TimeBucket::Hour, TimeBucket::Day] {
        let mut s = spec(ChartKind::Kpi, "t", &["speed"], Aggregation::Mean);
        s.bucket = bucket;
        specs.push(s);
    }
    specs.push(spec(ChartKind::Kpi, "t", &[], Aggregation::Count));
    specs.push(spec(
        ChartKind::Heatmap,
        "t",
        &["volume"],
        Aggregation::Median,
    ));
    specs.push(spec(ChartKind::Heatmap, "t", &[], Aggregation::Count));
    specs.push(spec(
        ChartKind::Heatmap,
        "t",
        &["speed", "volume"],
        Aggregation::Max,
    ));
    // Filters and a time window.
    let mut s = spec(ChartKind::Line, "t", &["speed"], Aggregation::Sum);
    s.bucket = TimeBucket::Hour;
    s.filters = vec![
        Filter::InSet {
            column: "sensor".to_owned(),
            values: vec!["A".to_owned(), "C".to_owned()],
        },
        Filter::Range {
            column: "speed".to_owned(),
            min: Some(25.0),
            max: Some(40.0),
        },
    ];
    specs.push(s);
    let window = TimeRange {
        start: Some(
            "2024-11-02T12:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_microsecond(),
        ),
        end: Some(
            "2024-11-04T12:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_microsecond(),
        ),
    };
    for s in &specs {
        let mem = charts::compute(s, &full, TimeRange::default(), &()).unwrap();
        let sql = sources::compute_chart(s, &held, None, TimeRange::default(), &()).unwrap();
        assert!(
            sql.note
                .as_deref()
                .is_some_and(|n| n.contains("computed by the database")),
            "{}: {:?}",
            s.title,
            sql.note
        );
        assert_same(&s.title, &sql, &mem);
        let mem = charts::compute(s, &full, window, &()).unwrap();
        let sql = sources::compute_chart(s, &held, None, window, &()).unwrap();
        assert_same(&format!("{} in a window", s.title), &sql, &mem);
    }
    // Buckets are local hours: on the fall-back day the two 1 AM hours
    // are one bucket holding both (8 readings of 4 sensors, and the row
    // without a sensor at 01:30 CST), and the spring-forward day has 23
    // hours with readings.
    let mut hourly = spec(ChartKind::Bar, "t", &[], Aggregation::Count);
    hourly.bucket = TimeBucket::Hour;
    let sql = sources::compute_chart(&hourly, &held, None, TimeRange::default(), &()).unwrap();
    let local = |secs: f64| {
        jiff::Timestamp::from_second(secs as i64)
            .unwrap()
            .to_zoned(chicago())
            .datetime()
            .to_string()
    };
    let at = |when: &str| {
        sql.series[0]
            .points
            .iter()
            .find(|p| local(p[0]).starts_with(when))
            .map(|p| p[1])
    };
    assert_eq!(at("2024-11-03T01:00"), Some(9.0));
    assert_eq!(at("2024-11-03T02:00"), Some(4.0));
    let with_readings = |day: &str| {
        sql.series[0]
            .points
            .iter()
            .filter(|p| p[1] > 0.0 && local(p[0]).starts_with(day))
            .count()
    };
    assert_eq!(with_readings("2024-03-10"), 23);
}

#[test]
fn a_million_rows_chart_while_holding_a_sample() {
    let pg = servers::postgres();
    let url = pg.database("big");
    pg.psql(
        "big",
        "CREATE TABLE big AS
         SELECT TIMESTAMPTZ '2024-01-01 00:00+00' + (i % 8760) * INTERVAL '1 hour' AS t,
                'S' || (i % 115) AS sensor,
                (i % 97)::float8 AS value
         FROM generate_series(1, 1000000) AS i;
         ANALYZE big;",
    );
    let ds = open(&url, "big", 10_000).unwrap();
    // Only the sample travelled and is held.
    assert_eq!(ds.table.n_rows(), 10_000);
    assert!(ds.table.heap_bytes() < 2 << 20, "{}", ds.table.heap_bytes());
    let w = &ds.warnings[0].message;
    assert!(w.contains("10,000") && w.contains("about 1,000,000"), "{w}");
    // The charts suggested for it are computed over every row.
    let specs = charts::suggest(&ds);
    let over_time = specs
        .iter()
        .find(|s| s.x.as_deref() == Some("t") && s.kind == ChartKind::Line)
        .expect("a chart over time is suggested");
    let data = sources::compute_chart(over_time, &ds, None, TimeRange::default(), &()).unwrap();
    assert_eq!(data.rows_used, 1_000_000);
    let mut by_sensor = spec(ChartKind::Bar, "sensor", &["value"], Aggregation::Sum);
    by_sensor.top_n = Some(200);
    let data = sources::compute_chart(&by_sensor, &ds, None, TimeRange::default(), &()).unwrap();
    let ChartData {
        x: charts::XAxis::Category(labels),
        ..
    } = &data
    else {
        panic!("categories");
    };
    assert_eq!(labels.len(), 115);
    let total: f64 = data.series[0].points.iter().map(|p| p[1]).sum();
    let expected: f64 = (1..=1_000_000u64).map(|i| (i % 97) as f64).sum();
    assert_eq!(total, expected);
}

struct CancelAfter {
    at: Instant,
    cancelled: AtomicBool,
}

impl Progress for CancelAfter {
    fn report(&self, _: f32, _: &str) {}

    fn is_cancelled(&self) -> bool {
        let now = Instant::now() >= self.at;
        if now {
            self.cancelled.store(true, Ordering::Relaxed);
        }
        now
    }
}

#[test]
fn cancel_stops_the_statement_on_the_server() {
    let pg = servers::postgres();
    let url = pg.database("slow");
    pg.psql(
        "slow",
        "CREATE TABLE slow AS SELECT now() AS t, 1.0::float8 AS v FROM generate_series(1, 3);",
    );
    sources::postgres::remember_password(&url, &pg.password);
    // A query that takes a minute per chart statement.
    let opts = LoadOptions {
        time_zone: Some(chicago()),
        db_sql: Some("SELECT t, v FROM slow, pg_sleep(0.0) AS z".to_owned()),
        ..LoadOptions::default()
    };
    let ds = sources::load(&url, &opts, &()).unwrap();
    let mut slow = ds.clone();
    slow.source = cityops::data::Source::Database(cityops::data::DatabaseSource {
        url: url.clone(),
        table: None,
        sql: Some("SELECT t, v FROM slow, pg_sleep(60) AS z".to_owned()),
    });
    let progress = Arc::new(CancelAfter {
        at: Instant::now() + Duration::from_millis(800),
        cancelled: AtomicBool::new(false),
    });
    let started = Instant::now();
    let s = spec(ChartKind::Line, "t", &["v"], Aggregation::Mean);
    let r = sources::compute_chart(&s, &slow, None, TimeRange::default(), progress.as_ref());
    assert!(matches!(r, Err(charts::ChartError::Cancelled)), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The server stopped it too: nothing of cityops' is still running.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let active = pg.psql(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cityops' AND state = 'active' AND query LIKE '%pg_sleep(60)%'",
        );
        if active.trim() == "0" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the statement still runs on the server"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_dropped_connection_is_an_error_that_says_so() {
    let pg = servers::postgres();
    let url = pg.database("dropped");
    pg.psql(
        "dropped",
        "CREATE TABLE d AS SELECT now() AS t, 1.0::float8 AS v;",
    );
    let ds = open(&url, "d", 100).unwrap();
    let mut slow = ds.clone();
    slow.source = cityops::data::Source::Database(cityops::data::DatabaseSource {
        url: url.clone(),
        table: None,
        sql: Some("SELECT t, v FROM d, pg_sleep(30) AS z".to_owned()),
    });
    let killer = {
        let pg_port = pg.port;
        let _ = pg_port;
        std::thread::spawn(move || {
            let pg = servers::postgres();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                let n = pg.psql(
                    "postgres",
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'cityops' AND query LIKE '%pg_sleep(30)%' AND state = 'active'",
                );
                if n.trim() != "0" {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        })
    };
    let s = spec(ChartKind::Line, "t", &["v"], Aggregation::Mean);
    let started = Instant::now();
    let r = sources::compute_chart(&s, &slow, None, TimeRange::default(), &());
    assert!(killer.join().unwrap(), "the session was not found to end");
    let e = r.unwrap_err().to_string();
    assert!(
        e.contains("57P01") || e.contains("connection to the server was lost"),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(25));
}

#[test]
fn a_wrong_password_and_an_unknown_table_say_what_to_fix() {
    let pg = servers::postgres();
    let url = pg.database("secrets");
    pg.psql("secrets", "CREATE TABLE present (x int);");
    let wrong = format!(
        "postgres://{}:not-the-password@127.0.0.1:{}/secrets",
        pg.user, pg.port
    );
    let opts = LoadOptions {
        db_table: Some("present".to_owned()),
        ..LoadOptions::default()
    };
    let e = sources::load(&wrong, &opts, &()).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("28P01") && text.contains("password"),
        "{text}"
    );
    // The password given is not repeated in the message.
    assert!(!text.contains("not-the-password"), "{text}");
    assert!(cityops::data::Blame::is_user_input(&e));

    let e = open(&url, "absent", 10).unwrap_err().to_string();
    assert!(e.contains("'absent'") && e.contains("present"), "{e}");

    // Nothing listens on this port.
    let closed = format!("postgres://postgres@127.0.0.1:{}/x", servers::free_port());
    let e = open(&closed, "t", 10).unwrap_err().to_string();
    assert!(e.contains("could not connect"), "{e}");
}

/// Runs `cityops ARGS` with PGPASSWORD set to `password`.
fn cityops_with(args: &[&str], password: &str) -> std::process::Output {
    common::cityops()
        .args(args)
        .env("PGPASSWORD", password)
        .output()
        .unwrap()
}

#[test]
fn the_command_line_lists_tables_and_charts_them() {
    let pg = servers::postgres();
    let url = readings(pg, "cli");
    let ok = |out: &std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let listed = ok(&cityops_with(&["inspect", &url], &pg.password));
    assert!(listed.contains("readings"), "{listed}");

    let args = ["charts", "--data", &url, "--table", "readings"];
    let json = [&args[..], &["--tz", "America/Chicago", "--json"]].concat();
    let charts: serde_json::Value =
        serde_json::from_str(&ok(&cityops_with(&json, &pg.password))).unwrap();
    let list = charts.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(
        list.iter().any(|c| c["computed_by"] == "database"),
        "{charts}"
    );

    let query = "SELECT t, speed FROM readings WHERE sensor = 'A'";
    ok(&cityops_with(
        &["charts", "--data", &url, "--sql", query, "--json"],
        &pg.password,
    ));

    let out = cityops_with(&args, "wrong");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("28P01"));
}

/// The dashboard on its Data view, in Chicago time, with nothing open.
fn data_view() -> egui_kittest::Harness<'static, cityops::app::CityApp> {
    let mut h = common::app(
        cityops::app::AppOptions {
            fresh: true,
            time_zone: Some(chicago()),
            view: Some(cityops::app::state::ViewId::Data),
            ..Default::default()
        },
        egui::vec2(1400.0, 900.0),
    );
    common::wait(&mut h);
    h
}

#[test]
fn the_dashboard_opens_a_table_with_its_password() {
    use egui_kittest::kittest::Queryable as _;
    let pg = servers::postgres();
    let url = readings(pg, "ui");
    let mut h = data_view();
    common::type_url(&mut h, &url);
    // A postgres:// address asks for a password and a table (or a
    // query); the server lists its tables to pick from.
    h.get_by_role_and_label(egui::Role::PasswordInput, "Database password")
        .click();
    h.get_by_role_and_label(egui::Role::PasswordInput, "Database password")
        .type_text(&pg.password);
    h.run_steps(1);
    common::click(&mut h, "List tables");
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.query_by_label_contains("readings (table").is_none() {
        assert!(Instant::now() < deadline, "the tables were not listed");
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.get_by_label_contains("readings (table").click();
    h.run_steps(2);
    common::click(&mut h, "Open this table");
    let ws = &h.state().ws;
    let entry = ws
        .datasets
        .iter()
        .find(|e| e.dataset.name == "readings")
        .unwrap_or_else(|| {
            panic!(
                "{:?}",
                ws.datasets
                    .iter()
                    .map(|e| &e.dataset.name)
                    .collect::<Vec<_>>()
            )
        });
    let ds = std::sync::Arc::clone(&entry.dataset);
    assert_eq!(ds.table.n_rows(), READINGS);
    // The password stays out of what a workspace would save.
    let cityops::data::Source::Database(source) = &ds.source else {
        panic!("{:?}", ds.source);
    };
    assert!(!source.url.contains(&pg.password));
    // And the charts connect again with the password kept in memory.
    let s = spec(ChartKind::Line, "t", &["speed"], Aggregation::Mean);
    let data = sources::compute_chart(&s, &ds, None, TimeRange::default(), &()).unwrap();
    assert_eq!(data.rows_used, READINGS);
}

#[test]
fn pages_walk_a_table_by_its_key_or_its_place() {
    use cityops::sources::postgres::{PageStart, page};
    let pg = servers::postgres();
    let url = pg.database("pages");
    pg.psql(
        "pages",
        "CREATE TABLE keyed (region text, n int, v float8, PRIMARY KEY (region, n));
         INSERT INTO keyed SELECT CASE WHEN i % 2 = 0 THEN 'east' ELSE 'west' END, i, i * 0.5 FROM generate_series(1, 1250) i;
         CREATE TABLE heap AS SELECT i AS n FROM generate_series(1, 2500) i;",
    );
    sources::postgres::remember_password(&url, &pg.password);
    let walk = |source: cityops::data::DatabaseSource| {
        let mut start = PageStart::First;
        let mut sizes = Vec::new();
        let mut seen: Vec<(String, f64)> = Vec::new();
        loop {
            let p = page(&source, &start, 1000, &chicago(), &()).unwrap();
            sizes.push(p.table.n_rows());
            let n = p.table.column("n").unwrap();
            let region = p.table.column("region");
            for r in 0..p.table.n_rows() {
                let key = region.and_then(|c| c.str_at(r)).unwrap_or("").to_owned();
                seen.push((key, n.f64_at(r).unwrap()));
            }
            match p.next {
                Some(next) => start = next,
                None => break,
            }
            assert!(sizes.len() < 10, "paging did not end");
        }
        (sizes, seen)
    };
    let db = |table: Option<&str>, sql: Option<&str>| cityops::data::DatabaseSource {
        url: url.clone(),
        table: table.map(str::to_owned),
        sql: sql.map(str::to_owned),
    };
    // A composite primary key: every row once, in key order.
    let (sizes, seen) = walk(db(Some("keyed"), None));
    assert_eq!(sizes, vec![1000, 250]);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 1250);
    // No key: the row's place (ctid), every row once.
    let (sizes, seen) = walk(db(Some("heap"), None));
    assert_eq!(sizes, vec![1000, 1000, 500]);
    let mut ns: Vec<f64> = seen.iter().map(|s| s.1).collect();
    ns.sort_by(f64::total_cmp);
    ns.dedup();
    assert_eq!(ns.len(), 2500);
    // A query pages by offset.
    let (sizes, _) = walk(db(
        None,
        Some("SELECT n FROM heap WHERE n <= 1500 ORDER BY n"),
    ));
    assert_eq!(sizes, vec![1000, 500]);
}

#[test]
fn the_data_view_browses_a_table_page_by_page() {
    use egui_kittest::kittest::Queryable as _;
    let pg = servers::postgres();
    let url = pg.database("browse");
    pg.psql(
        "browse",
        "CREATE TABLE counts (id int PRIMARY KEY, at timestamptz, vehicles int);
         INSERT INTO counts SELECT i, TIMESTAMPTZ '2026-01-01 00:00+00' + i * INTERVAL '1 hour', i % 90 FROM generate_series(1, 2300) i;",
    );
    let ds = open(&url, "counts", 100).unwrap();
    let mut h = data_view();
    let id = h.state_mut().ws.add_dataset(ds);
    h.state_mut().ws.data_view_dataset = Some(id);
    h.run_steps(3);
    common::click(&mut h, "Browse every row");
    h.get_by_label_contains("page 1: rows 1–1,000, ordered by");
    common::click(&mut h, "Next page");
    h.get_by_label_contains("page 2: rows 1,001–2,000");
    common::click(&mut h, "Next page");
    h.get_by_label_contains("page 3: rows 2,001–2,300");
    common::click(&mut h, "Previous page");
    h.get_by_label_contains("page 2: rows 1,001–2,000");
    common::click(&mut h, "Show the rows held");
    h.get_by_label("Browse every row");
}

#[test]
fn a_live_refresh_asks_the_server_again() {
    use cityops::sources::live::{Refreshed, Watch};
    let pg = servers::postgres();
    let url = pg.database("live");
    pg.psql(
        "live",
        "CREATE TABLE counts AS SELECT TIMESTAMPTZ '2026-01-01 00:00+00' + i * INTERVAL '1 hour' AS at, i % 7 AS vehicles FROM generate_series(1, 500) i;",
    );
    let ds = open(&url, "counts", 100).unwrap();
    let s = spec(ChartKind::Line, "at", &["vehicles"], Aggregation::Sum);
    let before = sources::compute_chart(&s, &ds, None, TimeRange::default(), &()).unwrap();
    assert_eq!(before.rows_used, 500);
    // New rows past the 100 held: the held rows are the same, but the
    // refresh is a new revision and the chart counts them.
    pg.psql(
        "live",
        "INSERT INTO counts SELECT TIMESTAMPTZ '2026-03-01 00:00+00' + i * INTERVAL '1 hour', 3 FROM generate_series(1, 40) i;",
    );
    let opts = LoadOptions {
        time_zone: Some(chicago()),
        db_table: Some("counts".to_owned()),
        row_limit: Some(100),
        ..LoadOptions::default()
    };
    let Refreshed::Changed { dataset, .. } = Watch::start(&ds).refresh(&ds, &opts, &()).unwrap()
    else {
        panic!("a database source refreshes as changed");
    };
    let after = sources::compute_chart(&s, &dataset, None, TimeRange::default(), &()).unwrap();
    assert_eq!(after.rows_used, 540);
}
