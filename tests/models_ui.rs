//! The Models view by its accessible labels: the folder's models with their
//! cards, removing one (after a confirmation), and a remote V2 server
//! (cityops' own, on a loopback port) with its health and models.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::wait;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cityops::app::{AppOptions, CityApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn copy_shipped(dir: &Path) -> PathBuf {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    for name in ["incident_risk", "aqi_forecast"] {
        for ext in ["json", "safetensors"] {
            std::fs::copy(
                shipped.join(format!("{name}.{ext}")),
                models.join(format!("{name}.{ext}")),
            )
            .unwrap();
        }
    }
    models
}

#[test]
fn models_view_lists_removes_and_connects_to_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let models = copy_shipped(dir.path());
    // A real cityops server on a loopback port, in this process.
    let url = common::serve_in_process(&models);

    let opts = AppOptions {
        fresh: true,
        models_dir: Some(models.clone()),
        ..Default::default()
    };
    let mut h: Harness<'static, CityApp> = Harness::builder()
        .with_size(egui::vec2(1700.0, 1000.0))
        .build_eframe(move |cc| CityApp::new(cc, opts));
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Models")
        .click();
    wait(&mut h);
    h.get_by_label("incident_risk");
    h.get_by_label("aqi_forecast");
    h.get_by_label_contains("classify 'collision' · auc:");

    // Remove asks first.
    h.get_by_role_and_label(egui::Role::Button, "Remove aqi_forecast")
        .click();
    h.run_steps(2);
    assert!(models.join("aqi_forecast.json").exists());
    h.get_by_role_and_label(egui::Role::Button, "Really remove aqi_forecast")
        .click();
    wait(&mut h);
    assert!(!models.join("aqi_forecast.json").exists());
    assert!(!models.join("aqi_forecast.safetensors").exists());
    assert!(h.query_by_label("aqi_forecast").is_none());

    // The server: health and its models' tensors.
    h.get_by_role_and_label(egui::Role::TextInput, "Server URL")
        .click();
    h.get_by_role_and_label(egui::Role::TextInput, "Server URL")
        .type_text(&url);
    h.run_steps(1);
    h.get_by_role_and_label(egui::Role::Button, "Connect")
        .click();
    wait(&mut h);
    h.get_by_label("● live and ready");
    h.get_by_label("incident_risk (cityops)");
}

#[test]
fn a_remote_model_predicts_for_an_open_table_with_latency_shown() {
    let dir = tempfile::tempdir().unwrap();
    let models = copy_shipped(dir.path());
    let url = common::serve_in_process(&models);
    // The demo traffic table without the sensor outages' rows.
    cityops::data::demo::export(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("traffic.csv")).unwrap();
    let complete: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains(",,"))
        .take(2001)
        .collect();
    let csv = dir.path().join("sensors.csv");
    std::fs::write(&csv, complete.join("\n")).unwrap();

    let opts = AppOptions {
        files: vec![csv],
        fresh: true,
        models_dir: Some(models),
        ..Default::default()
    };
    let mut h: Harness<'static, CityApp> = Harness::builder()
        .with_size(egui::vec2(1700.0, 1600.0))
        .build_eframe(move |cc| CityApp::new(cc, opts));
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Models")
        .click();
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::TextInput, "Server URL")
        .click();
    h.get_by_role_and_label(egui::Role::TextInput, "Server URL")
        .type_text(&url);
    h.run_steps(1);
    h.get_by_role_and_label(egui::Role::Button, "Connect")
        .click();
    wait(&mut h);
    h.get_by_label("incident_risk (cityops)").click();
    wait(&mut h);
    // Columns are matched to the inputs by name.
    h.get_by_role_and_label(egui::Role::Button, "Run incident_risk remotely")
        .click();
    wait(&mut h);
    h.get_by_label_contains("2000 rows predicted by incident_risk on http://127.0.0.1:");
    let ds = h
        .state()
        .ws
        .datasets
        .iter()
        .find(|e| e.dataset.name == "sensors via incident_risk")
        .unwrap()
        .dataset
        .clone();
    assert!(ds.table.column("label").is_some());
    assert!(ds.table.column("probability_1").is_some());
}

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_dropped_model_card_is_imported_into_the_models_folder() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = copy_shipped(&dir.path().join("downloads"));
    let models = dir.path().join("models");
    let opts = AppOptions {
        fresh: true,
        models_dir: Some(models.clone()),
        ..Default::default()
    };
    let mut h: Harness<'static, CityApp> = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| CityApp::new(cc, opts));
    wait(&mut h);
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(elsewhere.join("incident_risk.json"))));
    wait(&mut h);
    assert!(models.join("incident_risk.json").exists());
    assert!(models.join("incident_risk.safetensors").exists());
    h.get_by_label_contains("Imported incident_risk");
    // The imported copy loads.
    cityops::models::bundle::load_bundle(&models.join("incident_risk")).unwrap();
}

#[test]
fn models_view_shows_the_folder_in_full_when_given_relative() {
    // Tests run in the crate's folder; this one has no models.
    let opts = AppOptions {
        fresh: true,
        models_dir: Some(PathBuf::from("tests/data/no-models-here")),
        ..Default::default()
    };
    let mut h: Harness<'static, CityApp> = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| CityApp::new(cc, opts));
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Models")
        .click();
    wait(&mut h);
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/no-models-here");
    h.get_by_label(&format!("Models folder: {}", full.display()));
    h.get_by_label_contains("No models in this folder yet");
}

#[test]
fn a_local_model_is_deployed_to_a_server_from_the_models_view() {
    let dir = tempfile::tempdir().unwrap();
    let models = copy_shipped(dir.path());
    // An empty server folder behind a token, in this process.
    let served = dir.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let url = common::serve_in_process_with(
        &served,
        &cityops::serve::ServeConfig {
            token: Some("t0ken".to_owned()),
            ..cityops::serve::ServeConfig::default()
        },
    );

    let opts = AppOptions {
        fresh: true,
        models_dir: Some(models),
        ..Default::default()
    };
    let mut h: Harness<'static, CityApp> = Harness::builder()
        .with_size(egui::vec2(1700.0, 1000.0))
        .build_eframe(move |cc| CityApp::new(cc, opts));
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Models")
        .click();
    wait(&mut h);
    for (field, text) in [("Server URL", url.as_str()), ("Server token", "t0ken")] {
        h.get_by_role_and_label(egui::Role::TextInput, field)
            .click();
        h.get_by_role_and_label(egui::Role::TextInput, field)
            .type_text(text);
        h.run_steps(1);
    }
    h.get_by_role_and_label(egui::Role::Button, "Deploy incident_risk to the server")
        .click();
    wait(&mut h);
    h.get_by_label_contains("Deployed incident_risk to");
    h.get_by_label_contains("the server says READY");
    assert!(served.join("incident_risk.json").is_file());
    assert!(served.join("incident_risk.safetensors").is_file());
}
