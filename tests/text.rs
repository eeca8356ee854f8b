//! Text analysis through the binary, the server and the dashboard: train
//! word vectors on the demo reports, query them, evaluate them on pair and
//! analogy files, route reports to departments well above chance, move
//! vectors through the word2vec formats, serve them at /v1/embeddings to
//! the OpenAI-compatible client, and use the Reports view.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::{cityops, wait};

use std::path::Path;

use cityops::app::{AppOptions, CityApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn train(out: &Path) -> serde_json::Value {
    let o = cityops()
        .args([
            "text",
            "train",
            "--corpus",
            "demo:reports",
            "--column",
            "text",
            "--dim",
            "24",
            "--epochs",
            "4",
            "--min-count",
            "2",
            "--threads",
            "1",
            "--json",
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn train_query_evaluate_and_route_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("models/reports");
    let stats = train(&model);
    for key in ["words", "seconds", "words_per_sec", "vocab"] {
        assert!(stats[key].is_number(), "{key}: {stats}");
    }
    assert!(stats["vocab"].as_u64().unwrap() > 300);

    let o = cityops()
        .args(["text", "similar", "--json", "--top", "5", "--model"])
        .arg(&model)
        .arg("垃圾")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let near = v.as_array().unwrap();
    assert_eq!(near.len(), 5);
    assert!(near[0]["word"].is_string() && near[0]["similarity"].is_number());

    let pairs = dir.path().join("pairs.txt");
    std::fs::write(&pairs, "# word1 word2 score\nstreet road 8.0\ntrash garbage 9.0\npark street 2.0\nqwertyz street 1.0\n").unwrap();
    let analogies = dir.path().join("questions.txt");
    std::fs::write(
        &analogies,
        ": made-up\nstreet road trash garbage\npark trees street road\n",
    )
    .unwrap();
    let o = cityops()
        .args(["text", "eval", "--json", "--model"])
        .arg(&model)
        .arg("--pairs")
        .arg(&pairs)
        .arg("--analogies")
        .arg(&analogies)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pairs"]["oov"], 1, "{v}");
    assert!(v["pairs"]["used"].as_u64().unwrap() >= 2);
    assert!(v["analogies"]["used"].is_number() && v["analogies"]["oov"].is_number());

    let cache = tempfile::tempdir().unwrap();
    let v = common::classify_demo_reports(&model, cache.path());
    let acc = v["metrics"]["accuracy"].as_f64().unwrap();
    // Seven departments: chance is about 0.14, the majority guess 0.25.
    assert!(acc > 0.6, "routing accuracy {acc}");
    assert_eq!(v["beats_baseline"], true);
}

#[test]
fn word2vec_text_and_binary_files_answer_like_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("reports");
    train(&model);
    let similar = |m: &Path| {
        let o = cityops()
            .args(["text", "similar", "--json", "--top", "3", "--model"])
            .arg(m)
            .arg("street")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    let from_bundle = similar(&model);
    for ext in ["bin", "vec"] {
        let out = dir.path().join(format!("reports.{ext}"));
        train(&out);
        assert_eq!(similar(&out), from_bundle, "{ext} differs from the bundle");
    }
}

#[test]
fn served_word_vectors_embed_through_the_openai_compatible_client() {
    let dir = tempfile::tempdir().unwrap();
    train(&dir.path().join("reports"));
    let url = common::serve_in_process(dir.path());
    let client =
        cityops::models::remote::EmbeddingsClient::new(&url, "reports".to_owned(), None).unwrap();
    let texts = vec![
        "streetlight out on Main Street".to_owned(),
        "小区门口垃圾没人清理".to_owned(),
        "".to_owned(),
    ];
    let rt = cityops::jobs::runtime().unwrap();
    let emb = rt.block_on(client.embed(&texts)).unwrap();
    assert_eq!(emb.len(), 3);
    assert!(emb.iter().all(|e| e.len() == 24));
    let norm = |e: &[f32]| e.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm(&emb[0]) - 1.0).abs() < 1e-4);
    assert_eq!(norm(&emb[2]), 0.0, "no known word: a zero vector");
}

#[test]
fn reports_view_trains_and_routes_a_typed_report() {
    let opts = AppOptions {
        fresh: true,
        ..Default::default()
    };
    let mut h: Harness<'static, CityApp> = Harness::builder()
        .with_size(egui::vec2(1500.0, 1600.0))
        .build_eframe(move |cc| CityApp::new(cc, opts));
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Reports")
        .click();
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Train word vectors")
        .click();
    wait(&mut h);
    h.get_by_label_contains("Department: ");
    h.get_by_label_contains("router accuracy on held-out reports");
    h.get_by_label("Similar past reports");
    h.get_by_label_contains("Keywords: ");
    h.get_by_label("Trending terms: reports per week mentioning each");
    // The latest eight weeks' own top terms, newest first: the demo's last
    // report is on Saturday 2026-11-07, in the week from Monday 2 November.
    h.get_by_label("Keywords week by week");
    h.get_by_label("Mon Nov 02");
    h.get_by_label("Mon Sep 14");
    assert!(h.query_by_label("Mon Sep 07").is_none(), "eight weeks only");
}

#[test]
fn max_words_keeps_only_the_most_frequent_words_of_a_word2vec_file() {
    let dir = tempfile::tempdir().unwrap();
    let vec_file = dir.path().join("reports.vec");
    train(&vec_file);
    // The file lists words most frequent first: take the 50th.
    let text = std::fs::read_to_string(&vec_file).unwrap();
    let rare = text
        .lines()
        .nth(50)
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_owned();
    let similar = |max: &str| {
        cityops()
            .args(["text", "similar", "--max-words", max, "--model"])
            .arg(&vec_file)
            .arg(&rare)
            .output()
            .unwrap()
    };
    assert!(similar("100").status.success());
    let cut = similar("20");
    assert_eq!(cut.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&cut.stderr).contains("is not in the vocabulary"),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
}
