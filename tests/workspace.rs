//! Workspaces: saved to a file and opened again (files, view, time range,
//! playlist), a file that no longer exists noted instead of failing, and a
//! broken workspace file reported with its line and column; the models
//! folder a workspace names used only once the user confirms it.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use cityops::app::i18n::Lang;
use cityops::app::views::ViewId;
use cityops::app::{AppOptions, Command, TimeWindow};
use egui_kittest::kittest::Queryable;

fn names(h: &egui_kittest::Harness<'static, cityops::app::CityApp>) -> Vec<String> {
    let mut v: Vec<String> = h
        .state()
        .ws
        .datasets
        .iter()
        .map(|e| e.dataset.name.clone())
        .collect();
    v.sort();
    v
}

#[test]
fn a_saved_workspace_opens_the_same_files_view_and_range() {
    let dir = tempfile::tempdir().unwrap();
    cityops::data::demo::export(dir.path()).unwrap();
    let traffic = dir.path().join("traffic.csv");
    let air = dir.path().join("air_quality.csv");
    let opts = AppOptions {
        fresh: true,
        files: vec![traffic.clone(), air.clone()],
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1400.0, 900.0));
    common::wait(&mut h);
    common::click(&mut h, "Environment");
    h.state_mut()
        .apply(Command::SetWindow(TimeWindow::LastWeek));
    h.state_mut().ws.playlist.seconds = 45;
    // A live source and a basemap travel with the workspace too.
    h.state_mut().apply(Command::SetRefresh {
        key: traffic.display().to_string(),
        every: Some(300),
    });
    h.state_mut()
        .apply(Command::SetBasemap(cityops::app::state::Basemap::None));
    let file = dir.path().join("session.cityops.json");
    h.state_mut()
        .apply(Command::SaveWorkspace(Some(file.clone())));
    common::wait(&mut h);
    h.get_by_label_contains("Saved the workspace to");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["format"], "cityops-workspace");

    // A colleague's dashboard (on the demo city) opens it.
    let mut other = common::demo_app();
    assert!(names(&other).contains(&"service_use".to_owned()));
    other
        .state_mut()
        .apply(Command::OpenWorkspace(Some(file.clone())));
    common::wait(&mut other);
    assert_eq!(names(&other), ["air_quality", "traffic"]);
    let ws = &other.state().ws;
    assert_eq!(ws.view, ViewId::Environment);
    assert_eq!(ws.window, TimeWindow::LastWeek);
    assert_eq!(ws.playlist.seconds, 45);
    assert_eq!(ws.refresh.get(&traffic.display().to_string()), Some(&300));
    assert_eq!(ws.basemap, cityops::app::state::Basemap::None);
    other.get_by_label_contains("Opened the workspace");

    // The air-quality file is gone: noted once, the rest opens.
    std::fs::remove_file(&air).unwrap();
    other
        .state_mut()
        .apply(Command::OpenWorkspace(Some(file.clone())));
    common::wait(&mut other);
    assert_eq!(names(&other), ["traffic"]);
    other.get_by_label_contains("air_quality.csv no longer exists, so it was not opened");
    assert!(other.state().errors.is_empty(), "a note, not an error");
}

#[test]
fn a_broken_workspace_file_is_reported_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(&file, "{\n  \"format\": \"cityops-workspace\",\n  \"version\": 1,\n  \"workspace\": {\"view\": \n").unwrap();
    let mut h = common::demo_app();
    let before = names(&h);
    h.state_mut()
        .apply(Command::OpenWorkspace(Some(file.clone())));
    common::wait(&mut h);
    h.get_by_label_contains("broken.json:5:");
    assert_eq!(names(&h), before, "nothing was closed");
    // Not a workspace at all.
    std::fs::write(
        &file,
        "{\"format\": \"something-else\", \"version\": 1, \"workspace\": {}}",
    )
    .unwrap();
    h.state_mut().apply(Command::OpenWorkspace(Some(file)));
    common::wait(&mut h);
    h.get_by_label_contains("not a cityops workspace");
}

#[test]
fn the_selected_time_range_of_a_dataset_is_exported_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = common::demo_app();
    let (id, all_rows) = {
        let e = h
            .state()
            .ws
            .datasets
            .iter()
            .find(|e| e.dataset.name == "incidents")
            .unwrap();
        (e.id, e.dataset.table.n_rows())
    };
    h.state_mut()
        .apply(Command::SetWindow(TimeWindow::LastWeek));
    let out = dir.path().join("week.csv");
    h.state_mut().apply(Command::ExportRangeCsv {
        id,
        to: Some(out.clone()),
    });
    common::wait(&mut h);
    h.get_by_label_contains("Exported ");
    let week = cityops::data::load_dataset(&out, &Default::default(), &()).unwrap();
    let n = week.table.n_rows();
    assert!(
        n > 0 && n < all_rows / 5,
        "{n} of {all_rows} rows in the last week"
    );
    let time = week.time_column().unwrap();
    let (lo, hi) = (0..n)
        .filter_map(|r| time.timestamp_at(r))
        .fold((i64::MAX, i64::MIN), |(a, b), t| (a.min(t), b.max(t)));
    assert!(
        hi - lo <= 7 * 24 * 3_600_000_000,
        "spans {} h",
        (hi - lo) / 3_600_000_000
    );
}

#[test]
fn the_language_switches_at_run_time_and_travels_with_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = common::demo_app();
    h.get_by_role_and_label(egui::Role::Button, "Overview");
    // The switch names the other language in itself.
    common::click(&mut h, "中文");
    assert_eq!(h.state().ws.lang, Lang::Zh);
    for label in ["总览", "交通", "打开 CSV…", "演示", "English"] {
        h.get_by_role_and_label(egui::Role::Button, label);
    }
    assert!(
        h.query_by_label("Open CSV…").is_none(),
        "no English left in the toolbar"
    );
    assert!(h.query_by_label("Overview").is_none());

    // The language is part of the workspace: a colleague whose dashboard
    // is in English opens it in Chinese.
    let file = dir.path().join("zh.cityops.json");
    h.state_mut()
        .apply(Command::SaveWorkspace(Some(file.clone())));
    common::wait(&mut h);
    h.get_by_label_contains("工作区已保存到");
    let mut other = common::demo_app();
    other.get_by_role_and_label(egui::Role::Button, "Overview");
    other
        .state_mut()
        .apply(Command::OpenWorkspace(Some(file.clone())));
    common::wait(&mut other);
    assert_eq!(other.state().ws.lang, Lang::Zh);
    other.get_by_role_and_label(egui::Role::Button, "总览");

    // And back.
    common::click(&mut h, "English");
    h.get_by_role_and_label(egui::Role::Button, "Overview");
    h.get_by_role_and_label(egui::Role::Button, "Open CSV…");
}

#[test]
fn a_models_folder_from_a_workspace_is_shown_and_used_only_once_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let theirs = dir.path().join("their-models");
    let file = dir.path().join("theirs.cityops.json");
    let mut h = common::demo_app();
    h.state_mut().ws.models_dir = theirs.clone();
    h.state_mut()
        .apply(Command::SaveWorkspace(Some(file.clone())));
    common::wait(&mut h);

    for (answer, used) in [
        ("Keep the current models folder", false),
        ("Use this models folder", true),
    ] {
        let mut other = common::demo_app();
        let mine = other.state().ws.models_dir.clone();
        assert_ne!(mine, theirs);
        other
            .state_mut()
            .apply(Command::OpenWorkspace(Some(file.clone())));
        common::wait(&mut other);
        // Shown with the folder in full, not yet used.
        other.get_by_label_contains(&format!(
            "asks to use the models folder {}",
            theirs.display()
        ));
        assert_eq!(other.state().ws.models_dir, mine);
        common::click(&mut other, answer);
        let expected = if used { &theirs } else { &mine };
        assert_eq!(&other.state().ws.models_dir, expected, "{answer}");
        assert!(other.query_by_label("Use this models folder").is_none());
    }
}
