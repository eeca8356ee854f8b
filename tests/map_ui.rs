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
use egui_kittest::kittest::{NodeT as _, Queryable};

fn harness(files: Vec<std::path::PathBuf>) -> Harness<'static, CityApp> {
    let opts = AppOptions {
        files,
        fresh: true,
        time_zone: Some(jiff::tz::TimeZone::UTC),
        ..Default::default()
    };
    common::app(opts, egui::vec2(1400.0, 1000.0))
}

/// The dashboard with plotly's Montreal car-share stations and electoral
/// districts open, once both have loaded (and the folder they are in).
fn stations_and_districts() -> (tempfile::TempDir, Harness<'static, CityApp>) {
    let dir = tempfile::tempdir().unwrap();
    let cars = common::plotly_dataset(dir.path(), "carshare.csv");
    let geo = common::plotly_dataset(dir.path(), "election.geojson");
    let mut h = harness(vec![cars, geo]);
    common::wait(&mut h);
    common::wait(&mut h);
    (dir, h)
}

#[test]
fn districts_and_a_table_make_a_choropleth_on_its_dashboard() {
    let (_dir, mut h) = stations_and_districts();
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
    // A click on a district joined by location selects the stations in it.
    click_on_map(&mut h, "Rows by election");
    h.get_by_label_contains("Selected on the map: ");
    assert!(
        h.query_by_label_contains("This chart cannot be drawn")
            .is_none(),
        "every other panel draws the selected stations"
    );
    common::click(&mut h, "Clear selection");
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
    assert_eq!(
        h.state().ws.basemap,
        Basemap::Demo,
        "unchanged: the default"
    );

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

/// Playback shows one day at a time: incidents on three days (June 1, 3
/// and 5) in three places; the first day's place is on the map, the
/// others are not.
#[test]
fn playback_shows_the_map_one_day_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("calls.csv");
    let mut text = String::from("time,kind,latitude,longitude\n");
    for (day, (lat, lon)) in [
        (45.5011, -73.5671),
        (45.5122, -73.5782),
        (45.5233, -73.5893),
    ]
    .iter()
    .enumerate()
    {
        for h in 0..5 {
            text.push_str(&format!(
                "2024-06-{:02}T{:02}:00:00Z,fire,{lat},{lon}\n",
                2 * day + 1,
                8 + h
            ));
        }
    }
    std::fs::write(&csv, text).unwrap();
    let mut h = harness(vec![csv]);
    common::wait(&mut h);
    common::click(&mut h, "Dashboards");
    h.get_by_label("Where");
    common::click(&mut h, "Play Where over time");
    h.get_by_label("Sat 2024-06-01");
    common::click(&mut h, "Pause Where");
    common::click(&mut h, "View Where as table");
    h.get_by_label("-73.56710");
    assert!(
        h.query_by_label("-73.57820").is_none(),
        "the second day is not shown"
    );
    // Stop: the top bar's range again, every place.
    common::click(&mut h, "Stop playing Where");
    h.get_by_label("-73.57820");
}

/// A click on a district selects its rows: the dashboard's other panels
/// show only them, until the selection is cleared. Montreal's districts
/// joined by name to the table of votes (files of the same name: the
/// GeoJSON is told apart by its kind).
#[test]
fn a_click_on_a_district_selects_its_rows_for_the_other_panels() {
    let dir = tempfile::tempdir().unwrap();
    let votes = common::plotly_dataset(dir.path(), "election.csv");
    let geo = common::plotly_dataset(dir.path(), "election.geojson");
    let mut h = harness(vec![votes, geo]);
    common::wait(&mut h);
    common::wait(&mut h);
    let names: Vec<String> = h
        .state()
        .ws
        .datasets
        .iter()
        .map(|e| e.dataset.name.clone())
        .collect();
    assert_eq!(names, ["election", "election (geojson)"]);
    show_dashboard_of(&mut h, "election");
    let title = "Rows by election (geojson)";
    click_on_map(&mut h, title);
    h.get_by_label_contains("Selected on the map: district: ");
    // "Rows by winner" now counts the one district: one winner is listed.
    common::click(&mut h, "View Rows by winner as table");
    let winners = |h: &egui_kittest::Harness<'static, cityops::app::CityApp>| {
        ["Coderre", "Bergeron", "Joly"]
            .iter()
            .filter(|w| h.query_by_label(w).is_some())
            .count()
    };
    assert_eq!(winners(&h), 1);
    common::click(&mut h, "Clear selection");
    assert!(h.query_by_label_contains("Selected on the map").is_none());
    assert_eq!(winners(&h), 3, "all districts again");
}

/// Shows the default dashboard made for `dataset`.
fn show_dashboard_of(h: &mut Harness<'static, CityApp>, dataset: &str) {
    let board = h
        .state()
        .ws
        .dashboards
        .list
        .iter()
        .position(|d| d.made_for.as_deref() == Some(dataset))
        .unwrap();
    h.state_mut().apply(cityops::app::Command::Dashboard(
        cityops::app::dashboards::DashboardCommand::Select(board),
    ));
    common::click(h, "Dashboards");
}

/// Clicks the map under panel `title` until something is selected: a few
/// places are tried, as the panel's size depends on the dashboard's grid.
fn click_on_map(h: &mut Harness<'static, CityApp>, title: &str) {
    let header = h.get_by_label(title).rect();
    let click = |h: &mut Harness<'static, CityApp>, at: egui::Pos2| {
        h.event(egui::Event::PointerMoved(at));
        h.run_steps(1);
        for pressed in [true, false] {
            h.event(egui::Event::PointerButton {
                pos: at,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            h.run_steps(1);
        }
        common::wait(h);
    };
    'search: for dy in [60.0, 90.0, 120.0, 40.0, 150.0] {
        for dx in [0.5, 0.45, 0.55, 0.4, 0.6] {
            let right = h
                .get_by_role_and_label(egui::Role::Button, &format!("Save {title} as PNG"))
                .rect()
                .max
                .x;
            let w = right - header.min.x;
            let at = egui::pos2(header.min.x + w * dx, header.max.y + dy);
            click(h, at);
            if h.query_by_label_contains("Selected on the map").is_some() {
                break 'search;
            }
        }
    }
}

/// The map's spec on the carshare dashboard, by title.
fn map_spec(h: &Harness<'static, CityApp>, title: &str) -> cityops::charts::ChartSpec {
    let ws = &h.state().ws;
    ws.dashboards
        .list
        .iter()
        .flat_map(|d| d.panels())
        .map(|(_, p)| p.spec.clone())
        .find(|s| s.title == title)
        .unwrap()
}

/// Whether the check box of layer `title` is ticked.
fn toggled(h: &Harness<'static, CityApp>, title: &str) -> Option<egui::accesskit::Toggled> {
    let name = format!("Show layer {title}");
    h.get_by_role_and_label(egui::Role::CheckBox, &name)
        .accesskit_node()
        .toggled()
}

/// A second layer added in the chart builder is drawn over the districts,
/// listed under the map with a check box and an opacity slider each, read
/// as its own table; hiding a layer is kept with the dashboard, and its
/// slider is disabled while it is hidden.
#[test]
fn layers_are_added_in_the_builder_and_shown_or_hidden_under_the_map() {
    let (_dir, mut h) = stations_and_districts();
    show_dashboard_of(&mut h, "carshare");
    let title = "Rows by election";
    // One layer: no layer list.
    assert!(h.query_by_label("Layers:").is_none());
    common::click(&mut h, &format!("Edit {title}"));
    common::click(&mut h, "Add a layer");
    // The new layer's controls are named for it.
    h.get_by_label("Map layer (layer 2)");
    h.get_by_label("Dataset (layer 2)");
    // A third layer, renamed; layer 2 raised over it (the renamed one is
    // now layer 2), then layer 3 removed: the renamed layer is left.
    common::click(&mut h, "Add a layer");
    let name = "Layer name (layer 3)";
    h.get_by_role_and_label(egui::Role::TextInput, name).click();
    h.run_steps(1);
    h.get_by_role_and_label(egui::Role::TextInput, name)
        .type_text(" on top");
    common::wait(&mut h);
    let disabled = |h: &Harness<'static, CityApp>, name: &str| {
        h.get_by_role_and_label(egui::Role::Button, name)
            .accesskit_node()
            .is_disabled()
    };
    assert!(
        disabled(&h, "Lower layer 2"),
        "the map's own layer stays under"
    );
    assert!(disabled(&h, "Raise layer 3"), "already the top layer");
    common::click(&mut h, "Raise layer 2");
    common::click(&mut h, "Remove layer 3");
    common::click(&mut h, "Apply");
    let spec = map_spec(&h, title);
    assert_eq!(spec.overlays.len(), 1, "{spec:?}");
    let overlay = spec.overlays[0].title.clone();
    assert!(overlay.contains("on top"), "{overlay}");

    h.get_by_label("Layers:");
    assert_eq!(toggled(&h, title), Some(egui::accesskit::Toggled::True));
    h.get_by_role_and_label(egui::Role::Slider, &format!("Opacity of {overlay}"));
    // Hide the districts: kept in the dashboard's spec, the overlay stays.
    h.get_by_role_and_label(egui::Role::CheckBox, &format!("Show layer {title}"))
        .click();
    common::wait(&mut h);
    let spec = map_spec(&h, title);
    assert!(!spec.look.visible, "the hidden layer is saved: {spec:?}");
    assert!(spec.overlays[0].look.visible);
    assert_eq!(toggled(&h, title), Some(egui::accesskit::Toggled::False));
    let name = format!("Opacity of {title}");
    let disabled = h
        .get_by_role_and_label(egui::Role::Slider, &name)
        .accesskit_node()
        .is_disabled();
    assert!(disabled, "no fading a hidden layer");

    // The accessible twin: each layer as its own table.
    common::click(&mut h, &format!("View {title} as table"));
    h.get_by_label("11-Sault-au-Récollet");
    h.get_by_label(&overlay);
    common::click(&mut h, &format!("View {title} as chart"));

    // Shown again.
    h.get_by_role_and_label(egui::Role::CheckBox, &format!("Show layer {title}"))
        .click();
    common::wait(&mut h);
    assert!(map_spec(&h, title).look.visible);
}
