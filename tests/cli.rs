//! The `cityops` binary as operators script it: `inspect --json`, exit
//! codes, errors on stderr, and `demo export` round-tripping through the
//! loader.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::{cityops, fixture};

#[test]
fn inspect_json_reports_columns_types_roles_and_warnings() {
    let out = cityops()
        .args(["inspect", "--json", "--tz", "UTC"])
        .arg(fixture("ragged.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 27);
    assert_eq!(v["delimiter"], ",");
    assert_eq!(v["encoding"], "UTF-8");
    assert_eq!(v["domain"], "traffic");
    let cols = v["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 3);
    assert_eq!(cols[0]["name"], "time");
    assert_eq!(cols[0]["type"], "timestamp");
    assert_eq!(cols[0]["role"], "time");
    assert_eq!(cols[1]["role"], "place");
    assert_eq!(cols[2]["type"], "integer");
    assert_eq!(cols[2]["role"], "metric:volume");
    assert_eq!(cols[2]["missing"], 0);
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2);
    assert_eq!(warnings[0]["line"], 3);
    assert!(warnings[0]["column"].is_null());
    assert!(warnings[0]["message"].as_str().unwrap().contains("skipped"));
    assert!(v["path"].as_str().unwrap().ends_with("ragged.csv"));
    // The counts: every data line is a row or counted as skipped.
    let c = &v["counts"];
    assert_eq!(c["rows_skipped"], 2);
    assert_eq!(c["records"], 29);
    assert_eq!(c["rows_padded"], 0);
    assert_eq!(c["rows_requoted"], 0);
}

#[test]
fn inspect_json_counts_the_rows_an_unclosed_quote_would_have_cost() {
    let out = cityops()
        .args(["inspect", "--json", "--tz", "UTC"])
        .arg(fixture("unclosed_quote.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 15);
    assert_eq!(v["counts"]["rows_requoted"], 1);
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w["line"] == 5 && w["message"].as_str().unwrap().contains("quote")),
        "{w:?}"
    );
}

#[test]
fn inspect_human_output_lists_columns() {
    let out = cityops()
        .arg("inspect")
        .arg(fixture("epoch.csv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("3 rows × 4 columns"), "{text}");
    assert!(text.contains("timestamp"), "{text}");
}

#[test]
fn unloadable_file_exits_2_with_location_and_advice_on_stderr() {
    let out = cityops()
        .args(["inspect", "--json"])
        .arg(fixture("nul_inside.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nul_inside.csv:3:3"), "{err}");
    assert!(err.contains("export it as CSV"), "{err}");
}

#[test]
fn missing_file_and_bad_usage_exit_2() {
    let out = cityops()
        .args(["inspect", "/no/such/file.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.csv"));
    let out = cityops()
        .args(["inspect", "--bogus-flag", "x.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cityops()
        .args(["--view", "nowhere", "--screenshot", "x.png"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown view"));
}

#[test]
fn demo_export_writes_csvs_that_load_back_with_their_domains() {
    let dir = tempfile::tempdir().unwrap();
    let out = cityops()
        .args(["demo", "export"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listed.lines().count(), 5, "{listed}");
    for (file, domain) in [
        ("traffic.csv", "traffic"),
        ("incidents.csv", "safety"),
        ("air_quality.csv", "environment"),
        ("reports.csv", "citizen_reports"),
        ("service_use.csv", "service_interactions"),
    ] {
        let out = cityops()
            .args(["inspect", "--json"])
            .arg(dir.path().join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["domain"], domain, "{file}");
        assert_eq!(v["columns"][0]["type"], "timestamp", "{file}");
        assert_eq!(
            v["time_zone"], "America/Chicago",
            "{file}: the zone comes from the data's offsets"
        );
    }
}

/// The role of a named column in an `inspect --json` report.
fn role_of<'a>(report: &'a serde_json::Value, column: &str) -> &'a str {
    report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == column)
        .and_then(|c| c["role"].as_str())
        .unwrap_or_else(|| panic!("no column {column}"))
}

#[test]
fn open_data_portal_layouts_get_sensible_domains_and_roles() {
    // Fixtures follow the column layouts of real exports (Chicago traffic
    // tracker segments, San Francisco police incidents, New York 311).
    let inspect = |name: &str| -> serde_json::Value {
        let out = cityops()
            .args(["inspect", "--json", "--tz", "UTC"])
            .arg(fixture(name))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let chicago = inspect("chicago_congestion_segments.csv");
    assert_eq!(chicago["domain"], "traffic");
    assert_eq!(role_of(&chicago, "SEGMENTID"), "place");
    assert_eq!(role_of(&chicago, "CURRENT_SPEED"), "metric:speed");
    assert_eq!(role_of(&chicago, "START_LATITUDE"), "latitude");
    assert_eq!(role_of(&chicago, "LAST_UPDATED"), "time");

    let sf = inspect("sf_police_incidents.csv");
    assert_eq!(sf["domain"], "safety");
    assert_eq!(role_of(&sf, "Incident Datetime"), "time");
    assert_eq!(role_of(&sf, "Incident Category"), "category");
    assert_eq!(role_of(&sf, "Police District"), "place");
    assert_eq!(sf["columns"][0]["type"], "timestamp");

    let nyc = inspect("nyc_311_requests.csv");
    assert_eq!(nyc["domain"], "citizen_reports");
    assert_eq!(role_of(&nyc, "Created Date"), "time");
    assert_eq!(role_of(&nyc, "Borough"), "place");
    assert_eq!(role_of(&nyc, "Latitude"), "latitude");
    // "NaN" coordinates are missing values, not numbers.
    let lat = nyc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Latitude")
        .unwrap();
    assert_eq!(lat["missing"], 1);
}

#[test]
fn pivot_writes_a_wide_table_that_loads_as_air_quality() {
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("wide.csv");
    let out = cityops()
        .args(["pivot", "--json", "--tz", "UTC", "--data"])
        .arg(fixture("epa_hourly_multi.csv"))
        .arg("--out")
        .arg(&wide)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 4);
    assert_eq!(v["averaged_cells"], 1);
    assert_eq!(v["skipped_rows"], 1);
    assert_eq!(
        v["columns"],
        serde_json::json!([
            "Datetime GMT",
            "Site Num",
            "Latitude",
            "Longitude",
            "Ozone",
            "Nitrogen dioxide (NO2)"
        ])
    );
    // The wide file is air quality: ozone and NO2 per station.
    let out = cityops()
        .args(["inspect", "--json", "--tz", "UTC"])
        .arg(&wide)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["domain"], "environment");
    let role = |name: &str| {
        v["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["role"].clone())
    };
    assert_eq!(role("Ozone"), Some("metric:o3".into()));
    assert_eq!(role("Nitrogen dioxide (NO2)"), Some("metric:no2".into()));
    assert_eq!(role("Site Num"), Some("place".into()));

    // A column that is not there: exit 2, the columns it has.
    let out = cityops()
        .args(["pivot", "--names", "Pollutant", "--data"])
        .arg(fixture("epa_hourly_multi.csv"))
        .arg("--out")
        .arg(dir.path().join("x.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no column 'Pollutant'") && err.contains("Parameter Name"),
        "{err}"
    );
    assert!(!dir.path().join("x.csv").exists());
}

#[test]
fn charts_json_lists_the_suggested_charts_of_a_real_layout() {
    let out = cityops()
        .args(["charts", "--json", "--tz", "UTC", "--data"])
        .arg(fixture("sf_police_incidents.csv"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let charts = v.as_array().unwrap();
    assert!(charts.len() >= 3, "{v:#}");
    for c in charts {
        for key in [
            "title",
            "kind",
            "x",
            "y",
            "group",
            "aggregation",
            "bucket",
            "series",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
        let drawn: u64 = c["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["points"].as_u64().unwrap())
            .sum();
        assert!(drawn > 0, "an empty chart: {c}");
    }
    // An incident list gets its rows over time.
    assert!(
        charts
            .iter()
            .any(|c| c["title"] == "Rows over time" && c["aggregation"] == "count"),
        "{v:#}"
    );
}

/// Width, height and the number of distinct colours of a PNG.
fn png_summary(path: &std::path::Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> = bytes.chunks(step).collect();
    (info.width, info.height, colours.len())
}

#[test]
fn charts_out_writes_one_drawn_png_per_chart_headlessly() {
    let dir = tempfile::tempdir().unwrap();
    let out = cityops()
        .args(["charts", "--json", "--tz", "UTC", "--scale", "1", "--data"])
        .arg(fixture("epa_hourly_multi.csv"))
        .arg("--out")
        .arg(dir.path().join("pngs"))
        // No display: the charts are drawn without a window.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let charts = v.as_array().unwrap();
    assert!(charts.len() >= 3, "{v:#}");
    for c in charts {
        let png = std::path::PathBuf::from(c["png"].as_str().unwrap());
        let (w, h, colours) = png_summary(&png);
        assert_eq!((w, h), (960, 540), "{}", png.display());
        assert!(
            colours > 20,
            "{} looks blank ({colours} colours)",
            png.display()
        );
    }
}

#[test]
fn chart_draws_one_spec_and_refuses_one_that_makes_no_sense() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.json");
    std::fs::write(
        &spec,
        r#"{"title": "Ozone by site", "kind": "bar", "x": "Site Num", "measures": ["Sample Measurement"], "aggregation": "max"}"#,
    )
    .unwrap();
    let png = dir.path().join("ozone.png");
    let run = |spec: &std::path::Path| {
        cityops()
            .args(["chart", "--tz", "UTC", "--scale", "1", "--data"])
            .arg(fixture("epa_hourly_multi.csv"))
            .arg("--spec")
            .arg(spec)
            .arg("--out")
            .arg(&png)
            .output()
            .unwrap()
    };
    let out = run(&spec);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(png_summary(&png).0, 960);

    // The sum of a text column: refused with the reason, exit 2.
    std::fs::write(
        &spec,
        r#"{"kind": "bar", "x": "Site Num", "measures": ["Parameter Name"], "aggregation": "sum"}"#,
    )
    .unwrap();
    let out = run(&spec);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'Parameter Name'") && err.contains("spec.json"),
        "{err}"
    );

    // Not JSON: the file, line and column.
    std::fs::write(&spec, "{\"kind\": \"bar\",\n  oops}").unwrap();
    let out = run(&spec);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("spec.json:2:"), "{err}");
}

#[test]
fn counts_beyond_their_maximum_exit_2_naming_the_flag_without_aborting() {
    for (args, flag) in [
        (
            vec![
                "text",
                "similar",
                "--model",
                "m",
                "bus",
                "--top",
                "1000000000000",
            ],
            "--top",
        ),
        (
            vec![
                "text",
                "similar",
                "--model",
                "m",
                "bus",
                "--top",
                "18446744073709551615",
            ],
            "--top",
        ),
        (
            vec![
                "text",
                "analogy",
                "--model",
                "m",
                "a",
                "b",
                "c",
                "--top",
                "99999999999999999999999",
            ],
            "--top",
        ),
        (
            vec![
                "train",
                "--data",
                "demo:traffic",
                "--target",
                "volume",
                "--batch-size",
                "1000000000000",
            ],
            "--batch-size",
        ),
        (
            vec![
                "train",
                "--data",
                "demo:traffic",
                "--target",
                "volume",
                "--epochs",
                "0",
            ],
            "--epochs",
        ),
        (
            vec![
                "train",
                "--data",
                "demo:traffic",
                "--target",
                "volume",
                "--hidden",
                "64,1000000000000",
            ],
            "--hidden",
        ),
        (
            vec![
                "train",
                "--data",
                "demo:traffic",
                "--target",
                "volume",
                "--horizon",
                "1000000",
            ],
            "--horizon",
        ),
        (
            vec![
                "text",
                "train",
                "--corpus",
                "demo:reports",
                "--out",
                "x.vec",
                "--dim",
                "1000000",
            ],
            "--dim",
        ),
        (
            vec![
                "text",
                "train",
                "--corpus",
                "demo:reports",
                "--out",
                "x.vec",
                "--window",
                "1000000000000",
            ],
            "--window",
        ),
        (
            vec![
                "text",
                "train",
                "--corpus",
                "demo:reports",
                "--out",
                "x.vec",
                "--threads",
                "1000000000000",
            ],
            "--threads",
        ),
        (
            vec![
                "text",
                "similar",
                "--model",
                "m",
                "bus",
                "--max-words",
                "1000000000000",
            ],
            "--max-words",
        ),
    ] {
        let out = cityops().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{err}"
        );
    }
}

#[test]
fn a_pairs_file_that_is_a_fifo_exits_2_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let vectors = dir.path().join("v.vec");
    std::fs::write(&vectors, "2 2\nbus 1 0\nlate 0 1\n").unwrap();
    let fifo = dir.path().join("pairs.txt");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let mut child = cityops()
        .args(["text", "eval", "--model"])
        .arg(&vectors)
        .arg("--pairs")
        .arg(&fifo)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("cityops text eval blocked on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("named pipe"), "{err}");
}

/// A setting out of its range exits 2 before any data is read, naming the
/// flag, the value and the range (the core's one validation).
#[test]
fn settings_out_of_range_exit_2_naming_the_flag_value_and_range() {
    for (args, flag, said) in [
        (
            vec![
                "train",
                "--data",
                "demo:traffic",
                "--target",
                "volume",
                "--lr=-0.5",
            ],
            "--lr",
            "learning_rate is -0.5; choose a number above 0",
        ),
        (
            vec![
                "recommend",
                "--data",
                "demo:service_use",
                "--user",
                "r1",
                "--shrinkage=-3",
            ],
            "--shrinkage",
            "shrinkage is -3; choose a number from 0",
        ),
        (
            vec![
                "text",
                "train",
                "--corpus",
                "demo:reports",
                "--out",
                "x.vec",
                "--negative",
                "0",
            ],
            "--negative",
            "negative is 0; choose from 1 to 1000",
        ),
    ] {
        let out = cityops().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag) && err.contains(said), "{args:?}: {err}");
    }
}

/// `text classify` and the Reports view share one rule: a router needs 20
/// reports with a department.
#[test]
fn classify_with_too_few_labelled_reports_exits_2_saying_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("text,department\n");
    for i in 0..12 {
        let (t, d) = if i % 2 == 0 {
            ("streetlight out on main street", "streets")
        } else {
            ("trash not collected again", "sanitation")
        };
        csv.push_str(&format!("{t},{d}\n"));
    }
    let data = dir.path().join("reports.csv");
    std::fs::write(&data, csv).unwrap();
    let vectors = dir.path().join("v.vec");
    std::fs::write(
        &vectors,
        "4 2\nstreetlight 1 0\nstreet 0.9 0.1\ntrash 0 1\ncollected 0.1 0.9\n",
    )
    .unwrap();
    let out = cityops()
        .args(["text", "classify", "--model"])
        .arg(&vectors)
        .arg("--data")
        .arg(&data)
        .args(["--column", "text", "--label", "department"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("only 12 reports have a department") && err.contains("at least 20"),
        "{err}"
    );
}

/// `cityops` in a home of its own (`XDG_DATA_HOME` and `HOME` inside `dir`,
/// no `CITYOPS_MODELS`), run from `dir/elsewhere`: a folder without models.
fn in_fresh_home(dir: &std::path::Path) -> std::process::Command {
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let mut c = cityops();
    c.env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", dir.join("home"))
        .env_remove("CITYOPS_MODELS")
        .current_dir(elsewhere);
    c
}

fn listed(out: &std::process::Output) -> Vec<(String, String)> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_shipped_models_are_listed_from_any_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let home_models = dir.path().join("data/cityops/models");
    let out = in_fresh_home(dir.path())
        .args(["models", "--json"])
        .output()
        .unwrap();
    let models = listed(&out);
    let names: Vec<&str> = models.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["aqi_forecast", "incident_risk", "traffic_volume_forecast"]
    );
    for (name, path) in &models {
        assert_eq!(
            std::path::Path::new(path),
            home_models.join(format!("{name}.json"))
        );
    }
    // The text listing names the folder in full.
    let out = in_fresh_home(dir.path()).arg("models").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("models in {}:", home_models.display())),
        "{text}"
    );
    // A removed shipped model stays removed.
    let out = in_fresh_home(dir.path())
        .args(["models", "--remove", "incident_risk"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("incident_risk.safetensors"));
    let out = in_fresh_home(dir.path())
        .args(["models", "--json"])
        .output()
        .unwrap();
    let names: Vec<String> = listed(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["aqi_forecast", "traffic_volume_forecast"]);
    // Nothing was written where it ran.
    assert_eq!(
        std::fs::read_dir(dir.path().join("elsewhere"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn cityops_models_variable_chooses_the_folder_and_the_flag_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = common::shipped_models();
    let copy = |name: &str, to: &std::path::Path| {
        std::fs::create_dir_all(to).unwrap();
        for ext in ["json", "safetensors"] {
            std::fs::copy(
                shipped.join(format!("{name}.{ext}")),
                to.join(format!("{name}.{ext}")),
            )
            .unwrap();
        }
    };
    let by_env = dir.path().join("elsewhere/by-env");
    let by_flag = dir.path().join("by-flag");
    copy("aqi_forecast", &by_env);
    copy("incident_risk", &by_flag);
    // Relative to where cityops runs, reported in full.
    let out = in_fresh_home(dir.path())
        .env("CITYOPS_MODELS", "by-env")
        .args(["models", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        listed(&out),
        [(
            "aqi_forecast".to_owned(),
            by_env.join("aqi_forecast.json").display().to_string()
        )]
    );
    // The user's data folder was not touched.
    assert!(!dir.path().join("data").exists());
    let out = in_fresh_home(dir.path())
        .env("CITYOPS_MODELS", "by-env")
        .args(["models", "--json", "--models"])
        .arg(&by_flag)
        .output()
        .unwrap();
    let names: Vec<String> = listed(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["incident_risk"]);
}

#[test]
fn removing_a_model_that_is_not_there_exits_2_naming_the_models() {
    let dir = tempfile::tempdir().unwrap();
    let out = in_fresh_home(dir.path())
        .args(["models", "--remove", "speed"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no model 'speed'") && err.contains("aqi_forecast, incident_risk"),
        "{err}"
    );
    let out = in_fresh_home(dir.path())
        .args(["models", "--remove", "../data"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(dir.path().join("data/cityops/models").is_dir());
}

/// A JSON export in Socrata's layout (numbers as strings, a nested point)
/// and NDJSON read like CSV: typed columns, roles, charts; a bad row is
/// named by its place.
#[test]
fn json_and_ndjson_tables_are_inspected_and_charted() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    for i in 0..60 {
        rows.push(format!(
            r#"{{"crash_date": "2024-06-{:02}T00:00:00.000", "borough": "{}", "number_of_persons_injured": "{}", "location": {{"latitude": "{}", "longitude": "{}"}}}}"#,
            1 + i % 20,
            ["BRONX", "QUEENS", "BROOKLYN"][i % 3],
            i % 4,
            40.70 + (i as f64) * 0.001,
            -73.90 - (i as f64) * 0.001
        ));
    }
    let json = dir.path().join("collisions.json");
    std::fs::write(&json, format!("[{}]", rows.join(",\n"))).unwrap();
    let out = cityops()
        .args(["inspect", "--json", "--tz", "UTC"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 60);
    let role = |name: &str| {
        v["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["role"].clone())
            .unwrap()
    };
    assert_eq!(role("crash_date"), "time");
    assert_eq!(role("location.latitude"), "latitude");
    assert_eq!(role("location.longitude"), "longitude");
    let out = cityops()
        .args(["charts", "--json", "--tz", "UTC", "--data"])
        .arg(&json)
        .output()
        .unwrap();
    let charts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        charts
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "map_points" && c["series"][0]["points"] == 60),
        "{charts}"
    );

    let nd = dir.path().join("readings.ndjson");
    std::fs::write(&nd, "{\"station\": \"A\", \"pm25\": 7.5}\n[1, 2]\n").unwrap();
    let out = cityops().arg("inspect").arg(&nd).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2") && err.contains("one JSON object"),
        "{err}"
    );
}
