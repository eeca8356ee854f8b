//! Remote models inside the Predict, Recommend and Reports views, against
//! cityops' own server on a loopback port: a server connected once in the
//! Models view offers its models in the other views, and the Reports view
//! encodes reports through an OpenAI-compatible embeddings endpoint.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::{cityops, click, wait};

use std::path::{Path, PathBuf};

use cityops::app::{AppOptions, CityApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn run_ok(cmd: &mut std::process::Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A models folder with the shipped incident model, a recommender saved
/// from the demo's service use and word vectors trained on its reports.
fn models_folder(dir: &Path) -> PathBuf {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for ext in ["json", "safetensors"] {
        std::fs::copy(
            common::shipped_models().join(format!("incident_risk.{ext}")),
            models.join(format!("incident_risk.{ext}")),
        )
        .unwrap();
    }
    run_ok(
        cityops()
            .args(["recommend", "--data", "demo:service_use", "--save"])
            .arg(models.join("services")),
    );
    run_ok(
        cityops()
            .args([
                "text",
                "train",
                "--corpus",
                "demo:reports",
                "--column",
                "text",
                "--dim",
                "32",
                "--epochs",
                "5",
                "--min-count",
                "2",
                "--out",
            ])
            .arg(models.join("report_words")),
    );
    models
}

fn connect(h: &mut Harness<'static, CityApp>, url: &str) {
    click(h, "Models");
    h.get_by_role_and_label(egui::Role::TextInput, "Server URL")
        .click();
    h.get_by_role_and_label(egui::Role::TextInput, "Server URL")
        .type_text(url);
    h.run_steps(1);
    click(h, "Connect");
    h.get_by_label("● live and ready");
}

#[test]
fn remote_models_are_choices_in_the_predict_and_recommend_views() {
    let dir = tempfile::tempdir().unwrap();
    let models = models_folder(dir.path());
    let url = common::serve_in_process(&models);
    // What the saved recommender itself ranks first for R0001.
    let local: serde_json::Value = serde_json::from_slice(&run_ok(
        cityops()
            .args(["recommend", "--model"])
            .arg(models.join("services"))
            .args(["--user", "R0001", "--json"]),
    ))
    .unwrap();
    let first = local[0]["item"].as_str().unwrap().to_owned();

    let opts = AppOptions {
        fresh: true,
        models_dir: Some(dir.path().join("elsewhere")),
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1700.0, 3200.0));
    wait(&mut h);
    connect(&mut h, &url);

    // Predict: the remote incident model, on the demo's incident table.
    click(&mut h, "Predict");
    h.get_by_role_and_label(egui::Role::ComboBox, "Model")
        .click();
    h.run_steps(2);
    h.get_by_label(&format!("incident_risk on {url} (remote)"))
        .click();
    wait(&mut h);
    h.get_by_label_contains("A model served by http://127.0.0.1:");
    click(&mut h, "Run incident_risk remotely");
    h.get_by_label_contains("rows predicted by incident_risk on http://127.0.0.1:");
    // The demo's sensor outages leave rows without a volume: not sent.
    h.get_by_label_contains("rows with a missing input were not sent");
    let label_gaps = h
        .state()
        .ws
        .datasets
        .iter()
        .find(|e| e.dataset.name.ends_with("via incident_risk"))
        .and_then(|e| {
            let label = e.dataset.table.column("label")?;
            let volume = e.dataset.table.column("volume_veh_per_hour")?;
            Some((label.missing_count(), volume.missing_count(), label.len()))
        });
    let (gaps, outages, rows) = label_gaps.expect("a dataset with the outputs as columns");
    assert!(
        gaps >= outages && outages > 0 && gaps < rows,
        "{gaps} {outages} {rows}"
    );

    // Recommend: the remote recommender for R0001 ranks what it ranks locally.
    click(&mut h, "Recommend");
    h.get_by_role_and_label(egui::Role::SearchInput, "Search residents")
        .click();
    h.get_by_role_and_label(egui::Role::SearchInput, "Search residents")
        .type_text("R0001");
    h.run_steps(2);
    h.get_by_label("R0001").click();
    h.run_steps(1);
    click(&mut h, &format!("services on {url} (remote)"));
    h.get_by_label_contains("a remote model sends scores, not the reasons");
    h.get_by_label(&format!("1. {first}"));
}

#[test]
fn reports_are_routed_with_a_remote_embeddings_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let models = models_folder(dir.path());
    let url = common::serve_in_process(&models);
    let opts = AppOptions {
        fresh: true,
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1500.0, 1600.0));
    wait(&mut h);
    click(&mut h, "Reports");
    h.get_by_label("Remote embeddings").click();
    h.run_steps(1);
    for (field, value) in [
        ("Embeddings URL", url.as_str()),
        ("Embedding model", "report_words"),
    ] {
        h.get_by_role_and_label(egui::Role::TextInput, field)
            .click();
        h.get_by_role_and_label(egui::Role::TextInput, field)
            .type_text(value);
        h.run_steps(1);
    }
    click(&mut h, "Embed reports remotely");
    h.get_by_label_contains(
        "Reports encoded with remote embeddings 'report_words' at http://127.0.0.1:",
    );
    h.get_by_label_contains("Department: ");
    h.get_by_label_contains("router accuracy on held-out reports");
    // A typed report is encoded remotely too; its similar reports appear.
    h.get_by_role_and_label(egui::Role::MultilineTextInput, "Report text")
        .click();
    h.get_by_role_and_label(egui::Role::MultilineTextInput, "Report text")
        .type_text(" and the pothole");
    wait(&mut h);
    h.get_by_label("Similar past reports");
    assert!(
        h.query_all_by_label_contains("Encoding the report")
            .next()
            .is_none(),
        "the remote call finished"
    );
}

#[test]
fn an_unreachable_embeddings_endpoint_is_reported_not_fatal() {
    let opts = AppOptions {
        fresh: true,
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1500.0, 1400.0));
    wait(&mut h);
    click(&mut h, "Reports");
    h.get_by_label("Remote embeddings").click();
    h.run_steps(1);
    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (field, value) in [
        ("Embeddings URL", format!("http://127.0.0.1:{port}")),
        ("Embedding model", "bge-small".to_owned()),
    ] {
        h.get_by_role_and_label(egui::Role::TextInput, field)
            .click();
        h.get_by_role_and_label(egui::Role::TextInput, field)
            .type_text(&value);
        h.run_steps(1);
    }
    click(&mut h, "Embed reports remotely");
    h.get_by_label_contains("could not connect");
    // The view still offers to try again.
    h.get_by_role_and_label(egui::Role::Button, "Embed reports remotely");
}
