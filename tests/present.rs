//! Presentation mode through the dashboard's keys and accessible labels:
//! entering (toolbar button and F11), the playlist stepping and pausing,
//! leaving with Esc back to where the operator was.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use cityops::app::AppOptions;
use cityops::app::views::ViewId;
use egui_kittest::kittest::Queryable;

fn presenting(h: &egui_kittest::Harness<'static, cityops::app::CityApp>) -> bool {
    h.query_by_label("Leave presentation (Esc)").is_some()
}

#[test]
fn the_presentation_playlist_steps_pauses_and_leaves_with_esc() {
    let opts = AppOptions {
        fresh: true,
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1600.0, 1000.0));
    common::wait(&mut h);
    common::click(&mut h, "Data");
    assert!(!presenting(&h));
    // The toolbar button enters; the Data view is not in the playlist, so
    // the first playlist view is shown, without the navigation.
    common::click(&mut h, "Present");
    assert!(presenting(&h));
    assert_eq!(h.state().ws.view, ViewId::Overview);
    assert!(
        h.query_by_label("Open CSV…").is_none(),
        "editing controls are hidden"
    );
    h.get_by_label_contains("view 1 of 5 · next in");
    h.get_by_label_contains("City operations — Overview");

    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().ws.view, ViewId::Traffic);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().ws.view, ViewId::Safety);
    h.key_press(egui::Key::ArrowLeft);
    h.run_steps(2);
    assert_eq!(h.state().ws.view, ViewId::Traffic);
    h.key_press(egui::Key::Space);
    h.run_steps(2);
    h.get_by_label_contains("view 2 of 5 · paused");
    h.get_by_role_and_label(egui::Role::Button, "Resume");

    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!presenting(&h));
    assert_eq!(
        h.state().ws.view,
        ViewId::Data,
        "back where the operator was"
    );
    h.get_by_role_and_label(egui::Role::Button, "Open CSV…");
}

#[test]
fn f11_toggles_presentation_mode_and_the_playlist_skips_views_without_data() {
    let dir = tempfile::tempdir().unwrap();
    // Only traffic data: the Safety and Environment views have nothing.
    cityops::data::demo::export(dir.path()).unwrap();
    let opts = AppOptions {
        fresh: true,
        files: vec![dir.path().join("traffic.csv")],
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1600.0, 1000.0));
    common::wait(&mut h);
    h.key_press(egui::Key::F11);
    h.run_steps(2);
    assert!(presenting(&h));
    assert_eq!(h.state().ws.view, ViewId::Overview);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().ws.view, ViewId::Traffic);
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(
        h.state().ws.view,
        ViewId::Dashboards,
        "Safety and Environment are skipped; the file's dashboard plays"
    );
    h.key_press(egui::Key::ArrowRight);
    h.run_steps(2);
    assert_eq!(h.state().ws.view, ViewId::Overview);
    h.key_press(egui::Key::F11);
    h.run_steps(2);
    assert!(!presenting(&h));
}

#[test]
fn the_light_theme_is_one_click_away_and_presentation_keeps_it_after() {
    let opts = AppOptions {
        fresh: true,
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1600.0, 1000.0));
    common::wait(&mut h);
    assert!(h.ctx.global_style().visuals.dark_mode);
    common::click(&mut h, "Light theme");
    assert!(!h.ctx.global_style().visuals.dark_mode);
    h.get_by_role_and_label(egui::Role::Button, "Dark theme");
    // Presentation mode is high contrast on black; leaving it restores light.
    h.key_press(egui::Key::F11);
    h.run_steps(2);
    assert!(h.ctx.global_style().visuals.dark_mode);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.ctx.global_style().visuals.dark_mode);
}

/// On the projector: the last 7 days of the demo's hourly data rather than
/// 90 days of piled-up lines, and no sensor checklist; leaving restores the
/// operator's range.
#[test]
fn presenting_shows_a_recent_window_without_selection_lists() {
    let opts = AppOptions {
        fresh: true,
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1600.0, 1000.0));
    common::wait(&mut h);
    common::click(&mut h, "Traffic");
    h.get_by_label("Sensors");
    assert_eq!(h.state().ws.window, cityops::app::TimeWindow::All);
    common::click(&mut h, "Present");
    assert_eq!(h.state().ws.window, cityops::app::TimeWindow::LastWeek);
    assert_eq!(h.state().ws.view, ViewId::Traffic);
    assert!(
        h.query_by_label("Sensors").is_none(),
        "the sensor checklist shows on the projector"
    );
    h.key_press(egui::Key::Escape);
    common::wait(&mut h);
    assert!(!presenting(&h));
    assert_eq!(h.state().ws.window, cityops::app::TimeWindow::All);
}

/// A planner's file gets a default dashboard, and the playlist plays it.
#[test]
fn the_playlist_plays_the_dashboard_of_a_planners_file() {
    let opts = AppOptions {
        fresh: true,
        files: vec![common::fixture("sf_police_incidents.csv")],
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1600.0, 1000.0));
    common::wait(&mut h);
    assert_eq!(h.state().ws.dashboards.list.len(), 1);
    common::click(&mut h, "Present");
    let mut reached = false;
    for _ in 0..5 {
        if h.state().ws.view == ViewId::Dashboards {
            reached = true;
            break;
        }
        h.key_press(egui::Key::ArrowRight);
        common::wait(&mut h);
    }
    assert!(reached, "the playlist never showed the dashboard");
    let first = h.state().ws.dashboards.list[0].panels()[0]
        .1
        .spec
        .title
        .clone();
    h.get_by_label(&first);
    assert!(
        h.query_by_label("Rename…").is_none(),
        "editing controls are hidden"
    );
}

/// `--present --workspace FILE` presents the workspace: opening it used to
/// end the presentation the option had started.
#[test]
fn a_workspace_opened_at_start_is_presented() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ws.json");
    std::fs::write(
        &file,
        r#"{"format": "cityops-workspace", "version": 2,
            "workspace": {"view": "Safety", "demo_open": true,
                          "playlist": {"views": ["Overview", "Safety"], "seconds": 30, "cycle": false}}}"#,
    )
    .unwrap();
    let opts = AppOptions {
        fresh: true,
        present: true,
        workspace: Some(file),
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1600.0, 1000.0));
    common::wait(&mut h);
    assert!(
        presenting(&h),
        "the presentation starts once the workspace is open"
    );
    // The workspace's view, in the playlist, is the one presented.
    assert_eq!(h.state().ws.view, ViewId::Safety);
    h.get_by_label_contains("City operations — Safety");
    // Its map is on the slide: beside the charts, not below the fold.
    let map = h
        .get_by_label("Where: incidents on the map, by type")
        .rect();
    let screen = h.ctx.content_rect();
    assert!(
        map.bottom() + 200.0 < screen.bottom(),
        "the map's heading at {map:?}, the screen {screen:?}"
    );
}
