//! The Predict view driven by accessible labels: train on an open table,
//! read the evaluation next to its baseline, save the model into the models
//! folder, and apply a shipped forecast to the demo city.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::{click, wait};

use std::path::{Path, PathBuf};

use cityops::app::{AppOptions, CityApp};
use cityops::data::rng::Rng;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn harness(files: Vec<PathBuf>, models_dir: PathBuf) -> Harness<'static, CityApp> {
    let opts = AppOptions {
        files,
        fresh: true,
        time_zone: Some(jiff::tz::TimeZone::UTC),
        models_dir: Some(models_dir),
        ..Default::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1500.0, 1400.0))
        .build_eframe(move |cc| CityApp::new(cc, opts))
}

/// price = 2·size + 30·(district == "north") + noise, with a categorical
/// district and a few missing sizes.
fn housing_csv(dir: &Path) -> PathBuf {
    let mut rng = Rng::new(9);
    let mut s = String::from("size,district,price\n");
    for i in 0..600 {
        let size = rng.range(20.0, 120.0);
        let north = i % 3 == 0;
        let price = 2.0 * size + if north { 30.0 } else { 0.0 } + rng.normal(0.0, 2.0);
        let size_cell = if i % 41 == 0 {
            "NA".to_owned()
        } else {
            format!("{size:.1}")
        };
        s.push_str(&format!(
            "{size_cell},{},{price:.2}\n",
            if north { "north" } else { "south" }
        ));
    }
    let path = dir.join("housing.csv");
    std::fs::write(&path, s).unwrap();
    path
}

#[test]
fn train_evaluate_and_save_from_the_predict_view() {
    let dir = tempfile::tempdir().unwrap();
    let csv = housing_csv(dir.path());
    let models = dir.path().join("models");
    let mut h = harness(vec![csv], models.clone());
    wait(&mut h);
    click(&mut h, "Predict");
    h.get_by_label("Predictions");
    // The target defaults to the first measured column; choose price.
    h.get_by_role_and_label(egui::Role::ComboBox, "Target column")
        .click();
    h.run_steps(2);
    h.get_by_label("price (float)").click();
    h.run_steps(2);
    click(&mut h, "Train");
    h.get_by_label("Loss per epoch");
    h.get_by_label_contains("Evaluation on the held-out rows of housing");
    h.get_by_label("The model beats predicting the training mean on mae.");
    h.get_by_label("Predicted against actual");
    // Save it; it appears in the models folder with its card.
    click(&mut h, "Save model");
    h.get_by_label_contains("Saved ");
    assert!(models.join("housing_price.json").exists());
    assert!(models.join("housing_price.safetensors").exists());
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models.join("housing_price.json")).unwrap())
            .unwrap();
    assert_eq!(card["task"], "regress");
    assert_eq!(card["training_data"]["name"], "housing");
    assert!(
        card["metrics"]["r2"].as_f64().unwrap() > 0.9,
        "{}",
        card["metrics"]
    );
}

#[test]
fn a_shipped_forecast_applies_to_the_demo_city_and_draws_after_the_history() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut h = harness(Vec::new(), shipped);
    wait(&mut h);
    click(&mut h, "Predict");
    h.get_by_role_and_label(egui::Role::ComboBox, "Model")
        .click();
    h.run_steps(2);
    h.get_by_label("traffic_volume_forecast (models folder)")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::ComboBox, "Apply to dataset")
        .click();
    h.run_steps(2);
    h.get_by_label("traffic").click();
    h.run_steps(2);
    click(&mut h, "Apply model");
    h.get_by_label("Forecast after the history, with the seasonal-naive baseline");
    h.get_by_label("The model beats the seasonal-naive forecast (same hour last week) on mae.");
    // The predictions are a new dataset with 24 forecast columns.
    let ws = &h.state().ws;
    let preds = ws
        .datasets
        .iter()
        .find(|e| e.dataset.name == "traffic predictions")
        .unwrap();
    assert!(
        preds
            .dataset
            .table
            .column("volume_veh_per_hour_forecast_24h")
            .is_some()
    );
    assert_eq!(
        preds.dataset.table.n_rows(),
        ws.datasets[0].dataset.table.n_rows()
    );
}
