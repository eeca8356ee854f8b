//! Explore and dashboards driven through egui_kittest by accessible labels:
//! a planner's own file is charted the moment it opens, a chart reads as a
//! table, pins to a new dashboard, its panels move, and the dashboards come
//! back with a saved workspace.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cityops::app::dashboards::DashboardCommand;
use cityops::app::views::ViewId;
use cityops::app::{AppOptions, CityApp, Command};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// An incident list in the NYC collisions layout: 240 crashes over ten
/// days in three boroughs, with injuries.
fn collisions(dir: &Path) -> PathBuf {
    let mut text =
        String::from("CRASH DATE,CRASH TIME,BOROUGH,NUMBER OF PERSONS INJURED,COLLISION_ID\n");
    for i in 0..240u32 {
        let day = 1 + i % 10;
        let hour = (i * 7) % 24;
        let borough = ["BROOKLYN", "QUEENS", "BRONX"][(i % 3) as usize];
        writeln!(
            text,
            "06/{day:02}/2024,{hour}:15,{borough},{},{}",
            i % 4,
            4_700_000 + i
        )
        .unwrap();
    }
    let path = dir.join("collisions.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn harness(files: Vec<PathBuf>) -> Harness<'static, CityApp> {
    let opts = AppOptions {
        files,
        fresh: true,
        time_zone: Some(jiff::tz::TimeZone::UTC),
        ..Default::default()
    };
    common::app(opts, egui::vec2(1400.0, 1000.0))
}

fn panel_titles(h: &Harness<'static, CityApp>, dashboard: usize) -> Vec<String> {
    h.state().ws.dashboards.list[dashboard]
        .panels()
        .iter()
        .map(|(_, p)| p.spec.title.clone())
        .collect()
}

#[test]
fn a_real_file_is_charted_read_as_a_table_and_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let file = collisions(dir.path());
    let mut h = harness(vec![file]);
    common::wait(&mut h);
    common::click(&mut h, "Explore");
    let specs = h.state().ws.suggested["collisions"].clone();
    assert!(specs.len() >= 3, "{specs:?}");
    assert!(
        specs.iter().all(|s| !s.title.contains("COLLISION_ID")),
        "an id was charted: {specs:?}"
    );
    let by_borough = specs
        .iter()
        .find(|s| s.title == "Rows by BOROUGH")
        .expect("incidents by borough");
    h.get_by_label(&by_borough.title);

    // The accessible twin: the same counts as rows of a table.
    assert_eq!(h.query_all_by_label("80").count(), 0);
    common::click(&mut h, "View Rows by BOROUGH as table");
    assert!(
        h.query_all_by_label("80").count() >= 3,
        "80 crashes per borough"
    );
    common::click(&mut h, "View Rows by BOROUGH as chart");

    // A file of the planner's gets a default dashboard of its charts.
    assert_eq!(h.state().ws.dashboards.list.len(), 1);
    assert_eq!(
        h.state().ws.dashboards.list[0].made_for.as_deref(),
        Some("collisions")
    );
    h.get_by_role_and_label(egui::Role::Button, "Pin Rows by BOROUGH to dashboard")
        .click();
    h.run_steps(2);
    common::click(&mut h, "New dashboard");
    assert_eq!(h.state().ws.dashboards.list.len(), 2);
    assert_eq!(panel_titles(&h, 1), ["Rows by BOROUGH"]);
    h.get_by_label_contains("Pinned 'Rows by BOROUGH' to the dashboard");

    common::click(&mut h, "Dashboards");
    assert_eq!(h.state().ws.view, ViewId::Dashboards);
    h.get_by_role_and_label(
        egui::Role::Button,
        "Remove Rows by BOROUGH from the dashboard",
    );

    // Every chart at once: one new dashboard, one notice.
    common::click(&mut h, "Explore");
    common::click(&mut h, "Pin all to a new dashboard");
    let list = &h.state().ws.dashboards.list;
    assert_eq!(list.len(), 3);
    assert_eq!(list[2].panels().len(), specs.len());
    assert_eq!(list[0].name, "Public safety — collisions", "its default");
    assert_eq!(list[2].name, "collisions", "named after the dataset");
    assert_eq!(h.state().ws.view, ViewId::Dashboards);
    h.get_by_label_contains(&format!("of {} charts", specs.len()));
}

#[test]
fn a_panel_moves_by_its_title_and_dashboards_survive_a_saved_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let file = collisions(dir.path());
    let mut h = harness(vec![file]);
    common::wait(&mut h);
    common::click(&mut h, "Dashboards");
    let before = panel_titles(&h, 0);
    assert!(before.len() >= 3, "{before:?}");

    // Drag the first panel by its title onto the right half of the second.
    let first = h.get_by_label(&before[0]).rect();
    let second = h.get_by_label(&before[1]).rect();
    let from = first.center();
    let panel_right = egui::pos2(second.right() + 200.0, second.bottom() + 80.0);
    h.event(egui::Event::PointerMoved(from));
    h.run_steps(1);
    h.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(1);
    for step in 1..=12 {
        let t = step as f32 / 12.0;
        h.event(egui::Event::PointerMoved(from + (panel_right - from) * t));
        h.run_steps(1);
    }
    h.event(egui::Event::PointerButton {
        pos: panel_right,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    common::wait(&mut h);
    // The two panels now share one column, one above the other.
    let (a, b) = (
        h.get_by_label(&before[0]).rect(),
        h.get_by_label(&before[1]).rect(),
    );
    assert!(
        (a.left() - b.left()).abs() < 40.0 && (a.top() - b.top()).abs() > 40.0,
        "the panels did not move: they were at {first:?} and {second:?}, are at {a:?} and {b:?}"
    );
    let after = panel_titles(&h, 0);
    let mut same = after.clone();
    same.sort();
    let mut was = before.clone();
    was.sort();
    assert_eq!(same, was, "a panel was lost or doubled by the move");
    let layout = serde_json::to_value(&h.state().ws.dashboards.list[0].tree).unwrap();

    // Rename, save, and open in another dashboard.
    h.state_mut()
        .apply(Command::Dashboard(DashboardCommand::Rename(
            0,
            "Crashes".to_owned(),
        )));
    let saved = dir.path().join("with_dashboards.cityops.json");
    h.state_mut()
        .apply(Command::SaveWorkspace(Some(saved.clone())));
    common::wait(&mut h);
    let mut other = harness(Vec::new());
    common::wait(&mut other);
    other.state_mut().apply(Command::OpenWorkspace(Some(saved)));
    common::wait(&mut other);
    let list = &other.state().ws.dashboards.list;
    assert_eq!(list.len(), 1, "the file reopened made no second default");
    assert_eq!(list[0].name, "Crashes");
    assert_eq!(panel_titles(&other, 0), after);
    assert_eq!(
        serde_json::to_value(&list[0].tree).unwrap(),
        layout,
        "the arrangement came back"
    );
}

#[test]
fn a_version_1_workspace_still_opens_without_dashboards() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.cityops.json");
    std::fs::write(
        &file,
        r#"{"format": "cityops-workspace", "version": 1,
            "workspace": {"view": "Safety", "demo_open": true, "open_files": []}}"#,
    )
    .unwrap();
    let mut h = harness(Vec::new());
    common::wait(&mut h);
    h.state_mut().apply(Command::OpenWorkspace(Some(file)));
    common::wait(&mut h);
    assert_eq!(h.state().ws.view, ViewId::Safety);
    // No dashboards in the file: the demo city's own defaults only.
    let names: Vec<&str> = h
        .state()
        .ws
        .dashboards
        .list
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names, ["Traffic", "Public safety", "Environment"]);
    h.get_by_label_contains("Opened the workspace");
}

/// Monthly road casualties with a seat-belt law (the layout of the UK
/// Seatbelts series): months as `YYYY-MM`, counts, a 0/1 law column.
fn casualties(dir: &Path) -> PathBuf {
    let mut text = String::from("month,drivers_killed,front_seat,law\n");
    for i in 0..48u32 {
        let (year, month) = (1980 + i / 12, i % 12 + 1);
        let law = u32::from(i >= 37);
        let drivers = 1600 - 300 * law + (i % 12) * 20;
        writeln!(text, "{year}-{month:02},{drivers},{},{law}", drivers / 2).unwrap();
    }
    let path = dir.join("casualties.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_overview_shows_key_figures_of_a_planners_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(vec![casualties(dir.path())]);
    common::wait(&mut h);
    assert_eq!(h.state().ws.view, ViewId::Overview);
    assert!(
        h.query_by_label_contains("None of the open datasets")
            .is_none(),
        "the overview is empty for a monthly series"
    );
    h.get_by_label("Latest drivers killed");
    // December 1983: 1600 − 300 + 11 × 20.
    h.get_by_label("1520");
    assert!(h.query_all_by_label_contains("December 1983").count() >= 1);
    common::click(&mut h, "Explore");
    h.get_by_label("Drivers killed over time");
    h.get_by_label("Drivers killed by law");
}

/// Hourly weather at three stations: an environment file without
/// pollutants. The Environment view shows its temperature, humidity and
/// wind instead of an empty page.
#[test]
fn a_domain_view_shows_what_a_file_has_when_its_usual_columns_are_missing() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("station,datetime,temperature_c,relative_humidity,wind_speed_ms\n");
    for h in 0..24 * 20u32 {
        for (s, station) in ["Airport", "Harbour", "Downtown"].iter().enumerate() {
            let (day, hour) = (1 + h / 24, h % 24);
            writeln!(
                text,
                "{station},2024-07-{day:02}T{hour:02}:00:00Z,{},{},{}",
                15 + hour / 2 + s as u32,
                50 + (h % 40),
                2 + h % 5
            )
            .unwrap();
        }
    }
    let path = dir.path().join("weather.csv");
    std::fs::write(&path, text).unwrap();
    let mut h = harness(vec![path]);
    common::wait(&mut h);
    common::click(&mut h, "Environment");
    h.get_by_label("No AQI or pollutant columns in this dataset.");
    h.get_by_label("What weather has instead:");
    h.get_by_label("Temperature c over time by station");
    // The same charts as an editable dashboard, named for its domain.
    common::click(&mut h, "Edit as a dashboard");
    assert_eq!(h.state().ws.view, ViewId::Dashboards);
    let boards = &h.state().ws.dashboards;
    let shown = boards.selected().unwrap();
    assert_eq!(shown.name, "Environment — weather");
    let i = boards.selected;
    let before = panel_titles(&h, i);
    assert_eq!(before[0], "Temperature c over time by station");
    // Edited (a panel removed), then reset to the domain's panels.
    common::click(&mut h, &format!("Remove {} from the dashboard", before[0]));
    assert_eq!(panel_titles(&h, i).len(), before.len() - 1);
    common::click(&mut h, "Reset");
    assert_eq!(panel_titles(&h, i), before);
    common::click(&mut h, "Environment");
    common::click(&mut h, "Open in Explore");
    assert_eq!(h.state().ws.view, ViewId::Explore);
}

/// The demo city's Traffic dashboard draws speed against its usual level
/// for that weekday and hour, the special panel of the old Traffic view.
#[test]
fn the_demo_city_gets_traffic_safety_and_environment_dashboards() {
    let mut h = common::app(
        AppOptions {
            fresh: true,
            ..Default::default()
        },
        egui::vec2(1400.0, 1000.0),
    );
    common::wait(&mut h);
    let names: Vec<String> = h
        .state()
        .ws
        .dashboards
        .list
        .iter()
        .map(|d| d.name.clone())
        .collect();
    assert_eq!(names, ["Traffic", "Public safety", "Environment"]);
    common::click(&mut h, "Dashboards");
    h.get_by_label("Speed kmh against the usual");
    common::wait(&mut h);
    // The usual level is a series of its own in the panel's table twin.
    common::click(&mut h, "View Speed kmh against the usual as table");
    h.get_by_label("speed_kmh (usual)");
}

/// The chart builder: a chart that makes no sense says why and is not
/// applied; a sensible change is.
#[test]
fn the_chart_builder_refuses_a_senseless_chart_with_the_reason_and_applies_a_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(vec![collisions(dir.path())]);
    common::wait(&mut h);
    common::click(&mut h, "Explore");
    common::click(&mut h, "Edit Rows by BOROUGH");
    h.get_by_label("Chart builder");

    // A scatter needs numbers on its x axis; BOROUGH holds categories.
    h.get_by_role_and_label(egui::Role::ComboBox, "Chart kind")
        .click();
    h.run_steps(2);
    common::click(&mut h, "Scatter");
    h.get_by_label_contains("This chart cannot be drawn: column 'BOROUGH'");
    h.get_by_role_and_label(egui::Role::Button, "Apply").click();
    common::wait(&mut h);
    h.get_by_label("Chart builder");

    // Lines over the boroughs are fine: applied, the builder closes.
    h.get_by_role_and_label(egui::Role::ComboBox, "Chart kind")
        .click();
    h.run_steps(2);
    common::click(&mut h, "Line");
    assert!(
        h.query_by_label_contains("This chart cannot be drawn")
            .is_none()
    );
    common::click(&mut h, "Apply");
    assert!(h.query_by_label("Chart builder").is_none());
    h.get_by_label("Rows by BOROUGH");
}
