//! Recommendations through the binary and the dashboard: JSON shapes the
//! operators script against, the all-residents CSV, the evaluation table,
//! saving and reusing a recommender, unknown residents, and the Recommend
//! view by its accessible labels.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::{cityops, wait};

use cityops::app::{AppOptions, CityApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn fixture(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_movielens_ratings_file_is_recognised_without_flags() {
    // userId, movieId, rating, timestamp: movieId is the item.
    let out = cityops()
        .args([
            "recommend",
            "--data",
            &fixture("ratings_movielens.csv"),
            "--user",
            "1",
            "--top",
            "3",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
}

#[test]
fn column_flags_name_what_was_not_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loans.csv");
    let mut text = String::from("borrower,title,stars\n");
    for (b, t, s) in [
        ("a", "t1", 5),
        ("a", "t2", 3),
        ("b", "t1", 4),
        ("b", "t3", 2),
        ("c", "t2", 5),
        ("c", "t3", 4),
    ] {
        text.push_str(&format!("{b},{t},{s}\n"));
    }
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();
    // Neither column is recognised: the error names the flag to use.
    let out = cityops()
        .args(["recommend", "--data", path, "--user", "a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--user-col COLUMN"), "{err}");
    assert!(!err.contains("Data view"), "{err}");
    assert!(err.contains("borrower, title, stars"), "{err}");
    // Named by flags, it works; a wrong name is refused with the columns.
    let out = cityops()
        .args([
            "recommend",
            "--data",
            path,
            "--user",
            "a",
            "--user-col",
            "borrower",
            "--item-col",
            "title",
            "--rating-col",
            "stars",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["item"], "t3", "a's only unseen title");
    let out = cityops()
        .args([
            "recommend",
            "--data",
            path,
            "--user",
            "a",
            "--item-col",
            "book",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--item-col book: there is no column 'book'"),
        "{err}"
    );
}

#[test]
fn recommend_for_a_resident_as_json_with_reasons() {
    let out = cityops()
        .args([
            "recommend",
            "--data",
            "demo:service_use",
            "--user",
            "R0001",
            "--top",
            "5",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let recs = v.as_array().unwrap();
    assert_eq!(recs.len(), 5);
    for r in recs {
        assert!(r["item"].is_string() && r["score"].is_number());
        let because = r["because"].as_array().unwrap();
        assert!(!because.is_empty());
        assert!(because[0]["item"].is_string() && because[0]["weight"].is_number());
    }
    let scores: Vec<f64> = recs.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "ranked by score: {scores:?}"
    );
}

#[test]
fn evaluation_json_compares_three_methods() {
    let out = cityops()
        .args([
            "recommend",
            "--data",
            "demo:service_use",
            "--eval",
            "--top",
            "10",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["k"], 10);
    assert_eq!(v["split"], "time");
    for m in ["item_cf", "user_cf", "popularity"] {
        for key in ["precision", "recall", "ndcg", "coverage"] {
            let x = v["methods"][m][key].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&x), "{m}.{key} = {x}");
        }
    }
    assert!(v["methods"]["item_cf"]["ndcg"].as_f64() > v["methods"]["popularity"]["ndcg"].as_f64());
}

#[test]
fn all_residents_to_csv_then_save_and_reuse_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("campaign.csv");
    let model = dir.path().join("models/services");
    let out = cityops()
        .args([
            "recommend",
            "--data",
            "demo:service_use",
            "--all",
            "--top",
            "3",
            "--out",
        ])
        .arg(&csv)
        .arg("--save")
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("user,rank,item,score"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len(),
        800 * 3,
        "three services for each of the 800 residents"
    );
    assert!(rows[0].starts_with("R0001,1,"));
    // The saved bundle answers the same question the same way.
    let from_data = cityops()
        .args([
            "recommend",
            "--data",
            "demo:service_use",
            "--user",
            "R0042",
            "--json",
        ])
        .output()
        .unwrap();
    let from_model = cityops()
        .args(["recommend", "--model"])
        .arg(&model)
        .args(["--user", "R0042", "--json"])
        .output()
        .unwrap();
    assert!(
        from_model.status.success(),
        "{}",
        String::from_utf8_lossy(&from_model.stderr)
    );
    assert_eq!(from_data.stdout, from_model.stdout);
    let card: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("models/services.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(card["kind"], "recommender");
    assert_eq!(card["method"], "item_cf");
    assert_eq!(card["users"].as_array().unwrap().len(), 800);
}

#[test]
fn unknown_resident_is_a_clear_error_or_popular_with_fallback() {
    let out = cityops()
        .args([
            "recommend",
            "--data",
            "demo:service_use",
            "--user",
            "NOBODY",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NOBODY"));
    let out = cityops()
        .args([
            "recommend",
            "--data",
            "demo:service_use",
            "--user",
            "NOBODY",
            "--fallback",
            "--json",
            "--top",
            "3",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    // A table without user/item columns says which role is missing.
    let out = cityops()
        .args(["recommend", "--data", "demo:traffic", "--eval"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("user"), "{err}");
}

#[test]
fn recommend_view_shows_services_reasons_and_the_evaluation() {
    let opts = AppOptions {
        fresh: true,
        time_zone: Some(jiff::tz::TimeZone::UTC),
        ..Default::default()
    };
    let mut h: Harness<'static, CityApp> = Harness::builder()
        .with_size(egui::vec2(1500.0, 1400.0))
        .build_eframe(move |cc| CityApp::new(cc, opts));
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Recommend")
        .click();
    wait(&mut h);
    h.get_by_label("Recommendations — service_use");
    h.get_by_role_and_label(egui::Role::SearchInput, "Search residents")
        .click();
    h.get_by_role_and_label(egui::Role::SearchInput, "Search residents")
        .type_text("R0042");
    h.run_steps(2);
    h.get_by_label("R0042").click();
    wait(&mut h);
    h.get_by_label("Top 10 services for R0042");
    assert!(
        !h.query_all_by_label_contains("because you used")
            .collect::<Vec<_>>()
            .is_empty()
    );
    h.get_by_label_contains("Evaluation: top 10 on a time holdout");
    h.get_by_label_contains("Item CF beats popularity on NDCG@10");
    h.get_by_label("Most used services");
}
