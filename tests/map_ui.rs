//! Maps in the dashboard, driven through egui_kittest by accessible labels:
//! a planner opens a table of car-share stations and a GeoJSON of districts
//! and finds a choropleth of stations per district on the table's
//! dashboard, readable as a table; the basemap setting refuses a bad tile
//! template with the reason, and a tile server that fails is reported
//! under the map instead of a silent blank.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use cityops::app::state::Basemap;
use cityops::app::views::ViewId;
use cityops::app::{AppOptions, CityApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn harness(files: Vec<std::path::PathBuf>) -> Harness<'static, CityApp> {
    let opts = AppOptions {
        files,
        fresh: true,
        time_zone: Some(jiff::tz::TimeZone::UTC),
        ..Default::default()
    };
    common::app(opts, egui::vec2(1400.0, 1000.0))
}

#[test]
fn districts_and_a_table_make_a_choropleth_on_its_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let cars = common::plotly_dataset(dir.path(), "carshare.csv");
    let geo = common::plotly_dataset(dir.path(), "election.geojson");
    let mut h = harness(vec![cars, geo]);
    common::wait(&mut h);
    common::wait(&mut h);
    let ws = &h.state().ws;
    let board = ws
        .dashboards
        .list
        .iter()
        .position(|d| d.made_for.as_deref() == Some("carshare"))
        .unwrap();
    let titles: Vec<String> = ws.dashboards.list[board]
        .panels()
        .iter()
        .map(|(_, p)| p.spec.title.clone())
        .collect();
    assert!(titles.iter().any(|t| t == "Rows by election"), "{titles:?}");
    h.state_mut().apply(cityops::app::Command::Dashboard(
        cityops::app::dashboards::DashboardCommand::Select(board),
    ));
    common::click(&mut h, "Dashboards");
    assert_eq!(h.state().ws.view, ViewId::Dashboards);
    h.get_by_label("Rows by election");
    common::click(&mut h, "View Rows by election as table");
    // Each district with its count of stations.
    h.get_by_label("11-Sault-au-Récollet");
}

#[test]
fn the_basemap_setting_checks_the_template_and_a_failing_server_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("stops.csv");
    std::fs::write(
        &csv,
        "name,latitude,longitude\na,45.50,-73.57\nb,45.52,-73.55\nc,45.51,-73.60\n",
    )
    .unwrap();
    let mut h = harness(vec![csv]);
    common::wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Workspace")
        .click();
    h.run_steps(3);
    h.get_by_role_and_label(egui::Role::TextInput, "Tile URL template")
        .click();
    h.get_by_role_and_label(egui::Role::TextInput, "Tile URL template")
        .type_text("https://tiles.example.org/{z}/{x}.png");
    h.run_steps(1);
    h.run_steps(2);
    common::click(&mut h, "Use this tile server");
    h.get_by_label_contains("lacks {y}");
    assert_eq!(h.state().ws.basemap, Basemap::None);

    // Port 9 on this machine refuses connections: every tile fails.
    let template = "http://127.0.0.1:9/{z}/{x}/{y}.png";
    h.state_mut()
        .apply(cityops::app::Command::SetBasemap(Basemap::Xyz {
            url: template.to_owned(),
            attribution: "Test".to_owned(),
        }));
    h.key_press(egui::Key::Escape);
    common::click(&mut h, "Dashboards");
    for _ in 0..50 {
        h.run_steps(2);
        std::thread::sleep(std::time::Duration::from_millis(40));
        if h.query_by_label_contains("basemap tiles could not be loaded")
            .is_some()
        {
            break;
        }
    }
    h.get_by_label_contains("basemap tiles could not be loaded: http://127.0.0.1:9/");
}
