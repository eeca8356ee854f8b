//! Predictions end to end: the network learns planted problems, bundles
//! round-trip exactly, damaged bundles are refused with a clear reason, a
//! messy real-world-shaped CSV trains and predicts through the binary, and
//! the shipped models still hold their cards' metrics.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::cityops;

use std::path::{Path, PathBuf};

use cityops::data::rng::Rng;
use cityops::data::{Column, Dataset, Source, Table};
use cityops::ml::model::{self, Predictions, TrainRequest};
use cityops::ml::{TaskChoice, TrainConfig};
use cityops::models::bundle::{self, BundleError};

fn dataset(name: &str, cols: Vec<Column>) -> Dataset {
    Dataset::from_table(
        name,
        Source::Demo(name.to_owned()),
        Table::new(cols).unwrap(),
        jiff::tz::TimeZone::UTC,
    )
}

/// y = 3a − 2b + 0.5c + noise (σ = 0.1), with a, b, c uniform on [−1, 1].
fn noisy_linear(n: usize) -> Dataset {
    let mut rng = Rng::new(11);
    let (mut a, mut b, mut c, mut y) = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        let (x1, x2, x3) = (
            rng.range(-1.0, 1.0),
            rng.range(-1.0, 1.0),
            rng.range(-1.0, 1.0),
        );
        a.push(x1);
        b.push(x2);
        c.push(x3);
        y.push(3.0 * x1 - 2.0 * x2 + 0.5 * x3 + rng.normal(0.0, 0.1));
    }
    dataset(
        "linear",
        vec![
            Column::from_f64("a", a),
            Column::from_f64("b", b),
            Column::from_f64("c", c),
            Column::from_f64("y", y),
        ],
    )
}

fn quick(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        ..Default::default()
    }
}

#[test]
fn regression_learns_a_noisy_linear_problem() {
    let ds = noisy_linear(3000);
    let mut req = TrainRequest::new("y");
    req.config = quick(30);
    let t = model::train_model(&ds, &req, &(), &mut |_| {}).unwrap();
    let r2 = t.evaluation.metrics.get("r2").unwrap();
    assert!(r2 > 0.95, "R² {r2}");
    assert_eq!(t.evaluation.task, "regress");
    assert_eq!(t.evaluation.beats_baseline, Some(true));
    assert!(
        t.evaluation.baseline.get("r2").unwrap().abs() < 0.05,
        "the mean predicts nothing"
    );
}

#[test]
fn classification_learns_a_separable_problem_with_text_labels() {
    let mut rng = Rng::new(5);
    let (mut a, mut b, mut label) = (vec![], vec![], vec![]);
    for _ in 0..2000 {
        let (x1, x2) = (rng.range(-1.0, 1.0), rng.range(-1.0, 1.0));
        a.push(x1);
        b.push(x2);
        label.push(if x1 * 2.0 - x2 > 0.2 { "yes" } else { "no" });
    }
    let ds = dataset(
        "sep",
        vec![
            Column::from_f64("a", a),
            Column::from_f64("b", b),
            Column::categorical("busy", &label),
        ],
    );
    let mut req = TrainRequest::new("busy");
    req.config = quick(30);
    let t = model::train_model(&ds, &req, &(), &mut |_| {}).unwrap();
    let acc = t.evaluation.metrics.get("accuracy").unwrap();
    assert!(acc > 0.95, "accuracy {acc}");
    assert_eq!(
        t.evaluation.details.labels,
        vec!["no".to_owned(), "yes".to_owned()]
    );
    assert!(t.evaluation.metrics.get("auc").unwrap() > 0.98);
}

fn trained_bundle(dir: &Path) -> (PathBuf, Dataset) {
    let ds = noisy_linear(500);
    let mut req = TrainRequest::new("y");
    req.config = quick(3);
    let t = model::train_model(&ds, &req, &(), &mut |_| {}).unwrap();
    let card = bundle::make_card(
        "",
        &t.model,
        &t.evaluation,
        bundle::fingerprint("linear", &ds.table),
        req.config,
        t.best_epoch,
    );
    let (_, path) = bundle::save_bundle(&dir.join("lin"), card, &t.model).unwrap();
    (path, ds)
}

#[test]
fn save_then_load_gives_identical_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let ds = noisy_linear(500);
    let mut req = TrainRequest::new("y");
    req.config = quick(3);
    let t = model::train_model(&ds, &req, &(), &mut |_| {}).unwrap();
    let before = t.model.predict(&ds.table).unwrap();
    let card = bundle::make_card(
        "",
        &t.model,
        &t.evaluation,
        bundle::fingerprint("linear", &ds.table),
        req.config,
        t.best_epoch,
    );
    let (written, path) = bundle::save_bundle(&dir.path().join("lin"), card, &t.model).unwrap();
    assert_eq!(path, dir.path().join("lin.json"));
    assert!(dir.path().join("lin.safetensors").exists());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "no temporary files left: {names:?}"
    );
    let loaded = bundle::load_bundle(&path).unwrap();
    assert_eq!(loaded.card, written);
    assert_eq!(loaded.model.predict(&ds.table).unwrap(), before);
    assert_eq!(loaded.card.training_data.rows, 500);
    assert_eq!(loaded.card.training_data.sha256.len(), 64);
}

#[test]
fn damaged_bundles_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (card_path, _) = trained_bundle(dir.path());
    let weights = dir.path().join("lin.safetensors");
    let good_card = std::fs::read_to_string(&card_path).unwrap();
    let good_weights = std::fs::read(&weights).unwrap();

    // Truncated weights: refused by their length, before they are read.
    std::fs::write(&weights, &good_weights[..good_weights.len() / 2]).unwrap();
    let err = bundle::load_bundle(&card_path).err().unwrap();
    assert!(matches!(err, BundleError::Weights { .. }), "{err}");
    assert!(err.to_string().contains("weights.bytes"), "{err}");
    assert!(err.to_string().contains("lin.safetensors"));
    // Damaged weights of the right length: refused by their checksum.
    let mut damaged = good_weights.clone();
    if let Some(last) = damaged.last_mut() {
        *last ^= 1;
    }
    std::fs::write(&weights, &damaged).unwrap();
    let err = bundle::load_bundle(&card_path).err().unwrap();
    assert!(matches!(err, BundleError::Checksum { .. }), "{err}");
    std::fs::write(&weights, &good_weights).unwrap();

    // A card from a newer cityops.
    std::fs::write(
        &card_path,
        good_card.replace("\"format_version\": 1", "\"format_version\": 99"),
    )
    .unwrap();
    let err = bundle::load_bundle(&card_path).err().unwrap();
    assert!(
        matches!(err, BundleError::Version { found: 99, .. }),
        "{err}"
    );

    // A hand-edited card whose network no longer fits its weights.
    let mut v: serde_json::Value = serde_json::from_str(&good_card).unwrap();
    v["network"]["hidden"] = serde_json::json!([32, 64]);
    std::fs::write(&card_path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let err = bundle::load_bundle(&card_path).err().unwrap();
    assert!(matches!(err, BundleError::Weights { .. }), "{err}");
    assert!(err.to_string().contains("layer0.weight"), "{err}");

    // Weights that claim to live elsewhere.
    let mut v: serde_json::Value = serde_json::from_str(&good_card).unwrap();
    v["weights"]["file"] = serde_json::json!("../../etc/passwd");
    std::fs::write(&card_path, serde_json::to_string(&v).unwrap()).unwrap();
    let err = bundle::load_bundle(&card_path).err().unwrap();
    assert!(err.to_string().contains("not a plain file name"), "{err}");

    // Broken JSON: where, and what to do.
    std::fs::write(&card_path, "{\n  \"format_version\": 1,\n  \"kind\": \n").unwrap();
    let err = bundle::load_bundle(&card_path).err().unwrap();
    match &err {
        BundleError::Card { line, .. } => assert!(*line >= 3, "{err}"),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("save or download the model again"));

    // Not safetensors at all, with a matching checksum (and no length
    // recorded: a length too small for the network is refused before).
    std::fs::write(&weights, b"not a tensor file").unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&good_card).unwrap();
    v["weights"]["sha256"] = serde_json::json!(bundle::sha256_hex(b"not a tensor file"));
    v["weights"]["bytes"] = serde_json::json!(0);
    std::fs::write(&card_path, serde_json::to_string(&v).unwrap()).unwrap();
    let err = bundle::load_bundle(&card_path).err().unwrap();
    assert!(
        err.to_string().contains("not a readable safetensors file"),
        "{err}"
    );
}

#[test]
fn applying_a_model_to_a_table_without_its_columns_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let (card_path, _) = trained_bundle(dir.path());
    let b = bundle::load_bundle(&card_path).unwrap();
    let other = Table::new(vec![
        Column::from_f64("a", vec![1.0]),
        Column::categorical("b", &["x"]),
    ])
    .unwrap();
    let err = b.model.predict(&other).unwrap_err();
    assert!(
        err.to_string().contains("'b'") || err.to_string().contains("'c'"),
        "{err}"
    );
}

/// A CSV shaped like a real 311 export: text categories, blanks, N/A, a
/// date column, an id column and free text.
fn messy_csv(path: &Path) {
    let mut rng = Rng::new(3);
    let mut s = String::from("request_id,created,borough,channel,open_days,summary,escalated\n");
    let boroughs = ["BRONX", "BROOKLYN", "QUEENS", "MANHATTAN", "STATEN ISLAND"];
    let channels = ["PHONE", "ONLINE", "MOBILE"];
    for i in 0..1500 {
        let b = boroughs[i % 5];
        let c = channels[(i / 5) % 3];
        let days = rng.range(0.0, 30.0);
        let escalated = days > 12.0 && c == "PHONE" || days > 25.0;
        let days_cell = if i % 37 == 0 {
            "N/A".to_owned()
        } else {
            format!("{days:.1}")
        };
        let borough_cell = if i % 53 == 0 { "" } else { b };
        s.push_str(&format!(
            "R{i:06},2024-0{}-{:02} 0{}:15,{borough_cell},{c},{days_cell},\"Complaint number {i}, see notes\",{}\n",
            1 + i % 9,
            1 + i % 28,
            i % 10,
            if escalated { "Y" } else { "N" }
        ));
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn messy_csv_trains_predicts_and_evaluates_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("requests.csv");
    messy_csv(&csv);
    let model = dir.path().join("models/escalation");
    let out = cityops()
        .args(["train", "--data"])
        .arg(&csv)
        .args(["--target", "escalated", "--epochs", "40", "--json", "--out"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["task"], "classify");
    assert_eq!(v["target"], "escalated");
    assert_eq!(
        v["rows_train"].as_u64().unwrap() + v["rows_valid"].as_u64().unwrap(),
        1500
    );
    for key in ["accuracy", "balanced_accuracy", "auc", "log_loss"] {
        assert!(v["metrics"][key].is_number(), "metrics.{key}");
        assert!(v["baseline"][key].is_number(), "baseline.{key}");
    }
    assert!(v["metrics"]["auc"].as_f64().unwrap() > 0.9, "{v}");
    assert_eq!(v["beats_baseline"], true);
    // Y/N reads as a boolean. The id and the free text were left out.
    let card: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("models/escalation.json")).unwrap(),
    )
    .unwrap();
    let inputs: Vec<&str> = card["inputs"]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["column"].as_str().unwrap())
        .collect();
    assert!(
        !inputs.contains(&"request_id") && !inputs.contains(&"summary"),
        "{inputs:?}"
    );
    assert!(inputs.contains(&"borough") && inputs.contains(&"open_days"));

    let predicted = dir.path().join("predicted.csv");
    let out = cityops()
        .args(["predict", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&csv)
        .arg("--out")
        .arg(&predicted)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&predicted).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with("escalated_predicted,escalated_probability_true"),
        "{header}"
    );
    assert_eq!(text.lines().count(), 1501);

    let out = cityops()
        .args(["evaluate", "--json", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows_valid"], 1500);
    assert!(v["metrics"]["accuracy"].as_f64().unwrap() > 0.8);
}

#[test]
fn training_errors_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("r.csv");
    messy_csv(&csv);
    let out = cityops()
        .args(["train", "--data"])
        .arg(&csv)
        .args(["--target", "no_such_column"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column 'no_such_column'"));
    let out = cityops()
        .args(["train", "--data"])
        .arg(&csv)
        .args(["--target", "escalated", "--task", "sideways"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cityops()
        .args(["predict", "--model", "/no/such/model", "--data"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/model.json"));
}

#[test]
fn forecasting_splits_by_time_and_beats_seasonal_naive_on_demo_traffic() {
    let ds = cityops::data::demo_datasets()
        .into_iter()
        .find(|d| d.name == "traffic")
        .unwrap();
    let mut req = TrainRequest::new("volume_veh_per_hour");
    req.task = TaskChoice::Fixed(cityops::ml::Task::Forecast);
    req.horizon_hours = 6;
    req.config = quick(3);
    let t = model::train_model(&ds, &req, &(), &mut |_| {}).unwrap();
    assert_eq!(t.evaluation.task, "forecast");
    assert!(t.evaluation.metrics.get("mape").is_some());
    assert!(t.evaluation.baseline.get("mae").is_some());
    // Predictions: six forecast columns, empty where history is short.
    let Predictions::Forecasts { horizon, values } = t.model.predict(&ds.table).unwrap() else {
        panic!("not a forecast");
    };
    assert_eq!(horizon, 6);
    assert!(values[0].is_none(), "the first hour has no history");
    assert!(values.iter().filter(|v| v.is_some()).count() > ds.table.n_rows() / 2);
    let latest = t.model.latest_forecasts(&ds.table).unwrap();
    assert_eq!(latest.len(), 24, "one per sensor");
    assert!(
        latest
            .iter()
            .all(|f| f.forecast.len() == 6 && f.baseline.len() == 6)
    );
}

/// The models shipped in models/, trained on the demo city by the commands
/// in models/README.md: each loads, and on the demo data it still reaches
/// its card's headline figure (errors as a share of the baseline's, within
/// 15 %; scores within 5 %) and still beats its baseline.
#[test]
fn shipped_models_load_and_hold_their_cards_metrics() {
    let demo = cityops::data::demo_datasets();
    let models_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    for (name, table) in [
        ("traffic_volume_forecast", "traffic"),
        ("incident_risk", "traffic"),
        ("aqi_forecast", "air_quality"),
    ] {
        let b =
            bundle::load_bundle(&models_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ds = demo.iter().find(|d| d.name == table).unwrap();
        let e = b.model.evaluate_on(&ds.table, b.card.rows_train).unwrap();
        let key = b.card.headline_metric.as_str();
        let (now, card) = (
            e.metrics.get(key).unwrap(),
            b.card.metrics.get(key).unwrap(),
        );
        if cityops::ml::metrics::lower_is_better(key) {
            // Errors depend on how hard the period is; the error relative to
            // the baseline's on the same rows does not.
            let ratio_now = now / e.baseline.get(key).unwrap();
            let ratio_card = card / b.card.baseline.get(key).unwrap();
            assert!(
                ratio_now <= ratio_card * 1.15,
                "{name}: {key} is {ratio_now:.3} of the baseline's on the demo data, the card says {ratio_card:.3}"
            );
        } else {
            assert!(
                now >= card * 0.95,
                "{name}: {key} is {now} on the demo data, the card says {card}"
            );
        }
        assert_eq!(
            e.beats_baseline,
            Some(true),
            "{name} no longer beats its baseline"
        );
        assert_eq!(b.card.training_data.name, table);
    }
}
