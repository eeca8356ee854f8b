//! The dashboard driven through egui_kittest by accessible labels: every
//! view is reachable and shows its plots' titles, a CSV opens through the
//! same command the file dialog sends (and by drag-and-drop), and a bad
//! file shows a readable error instead of crashing.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use common::{click, fixture, wait};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cityops::app::views::ViewId;
use cityops::app::{AppOptions, CityApp, Command};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};

fn harness(files: Vec<PathBuf>) -> Harness<'static, CityApp> {
    let opts = AppOptions {
        files,
        fresh: true,
        time_zone: Some(jiff::tz::TimeZone::UTC),
        ..Default::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1400.0, 1000.0))
        .build_eframe(move |cc| CityApp::new(cc, opts))
}

#[test]
fn every_view_is_reachable_and_shows_its_plots() {
    let mut h = harness(Vec::new());
    wait(&mut h);
    // Overview: the KPI cards.
    h.get_by_label("City overview");
    h.get_by_label("Mean speed, last 24 h");
    h.get_by_label("Incidents today");
    h.get_by_label("Worst AQI now");

    click(&mut h, "Traffic");
    h.get_by_label("Traffic — traffic");
    h.get_by_label("Volume (veh/h)");
    h.get_by_label("Speed (km/h)");
    h.get_by_label("Weekly profile: mean by weekday and hour (all sensors)");

    click(&mut h, "Safety");
    h.get_by_label("Incidents by type");
    h.get_by_label("Incidents by hour of day (local time)");
    h.get_by_label("Incidents per day");

    click(&mut h, "Environment");
    h.get_by_label("Air Quality Index (US EPA) on its category bands");
    h.get_by_label_contains("Traffic vs NO2, hour by hour (Pearson r = ");

    click(&mut h, "Data");
    h.get_by_label_contains("Rows (");
    h.get_by_label("Load warnings (0)");
}

#[test]
fn selecting_no_sensors_asks_for_a_selection() {
    let mut h = harness(Vec::new());
    wait(&mut h);
    click(&mut h, "Traffic");
    click(&mut h, "None");
    h.get_by_label("Select one or more sensors on the left to plot them.");
    click(&mut h, "All");
    assert!(
        h.query_by_label("Select one or more sensors on the left to plot them.")
            .is_none()
    );
}

#[test]
fn csv_opened_like_the_dialog_shows_in_data_view_with_warnings() {
    let mut h = harness(Vec::new());
    wait(&mut h);
    // The file dialog's result goes through exactly this command.
    h.state_mut()
        .apply(Command::OpenPaths(vec![fixture("ragged.csv")]));
    wait(&mut h);
    click(&mut h, "Data");
    h.get_by_label("Rows (27)");
    h.get_by_label("Load warnings (2)");
    h.get_by_label_contains("line 3 has 4 fields but the header has 3");
    // The traffic view switched to the newest traffic dataset.
    click(&mut h, "Traffic");
    h.get_by_label("Traffic — ragged");
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
fn dropped_file_is_loaded() {
    let mut h = harness(Vec::new());
    wait(&mut h);
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(fixture("air_quality_eu.csv"))));
    h.run_steps(2);
    wait(&mut h);
    assert!(
        h.state()
            .ws
            .datasets
            .iter()
            .any(|e| e.dataset.name == "air_quality_eu"),
        "the dropped file was not loaded"
    );
    click(&mut h, "Environment");
    h.get_by_label("Environment — air_quality_eu");
}

#[test]
fn an_epa_ozone_file_in_ppm_gets_an_aqi_and_its_ozone_plot() {
    // EPA AirData: one pollutant in long form, date and time in separate
    // columns, ozone in ppm.
    let mut h = harness(vec![fixture("epa_hourly.csv")]);
    wait(&mut h);
    click(&mut h, "Environment");
    wait(&mut h);
    h.get_by_label("Environment — epa_hourly");
    h.get_by_label_contains("computed from the pollutant columns");
    // Ozone is the one pollutant, so it is the one shown.
    h.get_by_label("O3");
    assert!(
        h.query_by_label("This dataset has no column for that pollutant.")
            .is_none()
    );
    // The Overview's AQI card, computed from the 8-hour mean of the last
    // eight hours' ozone: 0.03125 ppm, truncated to 0.031, is AQI 29.
    click(&mut h, "Overview");
    wait(&mut h);
    h.get_by_label("Worst AQI now");
    h.get_by_label("29");
    h.get_by_label("Good at 0076");
}

#[test]
fn a_long_file_of_several_pollutants_is_pivoted_into_a_wide_dataset() {
    let mut h = harness(vec![fixture("epa_hourly_multi.csv")]);
    wait(&mut h);
    click(&mut h, "Data");
    wait(&mut h);
    // The section opens with its choices made: Parameter Name into columns,
    // Sample Measurement as the values, time, site and coordinates as keys.
    h.get_by_label("Pivot long to wide");
    click(&mut h, "Pivot to a new dataset");
    wait(&mut h);
    h.get_by_label_contains("Made 'epa_hourly_multi (wide)': 4 rows × 6 columns.");
    h.get_by_label_contains("Cells with several readings, which hold their mean: 1.");
    h.get_by_label_contains("Rows left out for want of a name or a value: 1.");
    let wide = h
        .state()
        .ws
        .datasets
        .iter()
        .find(|e| e.dataset.name == "epa_hourly_multi (wide)")
        .map(|e| std::sync::Arc::clone(&e.dataset))
        .expect("the wide dataset is open");
    assert_eq!(wide.domain, cityops::data::Domain::Environment);
    // The long file stays open beside it.
    assert!(
        h.state()
            .ws
            .datasets
            .iter()
            .any(|e| e.dataset.name == "epa_hourly_multi"),
        "the long dataset was replaced"
    );
    h.get_by_label("pivot of epa_hourly_multi: Sample Measurement by Parameter Name");
    let no2 = wide
        .measure(cityops::data::Measure::No2)
        .expect("an NO2 column");
    assert_eq!(no2.name, "Nitrogen dioxide (NO2)");
    // Site 0076 at 06:00 had two NO2 instruments: 21.4 and 21.8.
    assert!((no2.f64_at(1).unwrap() - 21.6).abs() < 1e-9);
    assert!(wide.measure(cityops::data::Measure::O3).is_some());
    // Its Environment view: both pollutants, AQI computed.
    click(&mut h, "Environment");
    wait(&mut h);
    h.get_by_label("Environment — epa_hourly_multi (wide)");
    h.get_by_label("O3");
    h.get_by_label("NO2");
}

#[test]
fn bad_file_shows_an_error_and_the_app_keeps_running() {
    let mut h = harness(vec![fixture("image.csv")]);
    wait(&mut h);
    h.get_by_label("Could not load image.csv");
    h.get_by_label_contains("looks like a PNG image");
    click(&mut h, "Dismiss");
    assert!(h.query_by_label("Could not load image.csv").is_none());
    // With no data the overview (and the navigation) offer the demo city.
    h.get_all_by_label("Load demo city").next().unwrap().click();
    h.run_steps(2);
    wait(&mut h);
    h.get_by_label("Mean speed, last 24 h");
}

#[test]
fn closing_a_dataset_hides_its_view() {
    let mut h = harness(vec![fixture("incidents_us.csv")]);
    wait(&mut h);
    h.get_by_role_and_label(egui::Role::Button, "Safety");
    click(&mut h, "Close incidents_us");
    assert!(
        h.query_by_role_and_label(egui::Role::Button, "Safety")
            .is_none()
    );
}

/// The number in "N incidents in the range" on the Safety view.
fn incidents_shown(h: &Harness<'static, CityApp>) -> usize {
    let node = h.get_by_label_contains("incidents in the range");
    let n = node.accesskit_node();
    let label = n.label().or_else(|| n.value()).unwrap_or_default();
    label.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn custom_time_range_narrows_what_views_count() {
    let mut h = harness(Vec::new());
    wait(&mut h);
    click(&mut h, "Safety");
    let all = incidents_shown(&h);
    let ds = h
        .state()
        .ws
        .datasets
        .iter()
        .find(|e| e.dataset.name == "incidents")
        .unwrap()
        .dataset
        .clone();
    assert_eq!(all, ds.table.n_rows());

    h.get_by_role_and_label(egui::Role::ComboBox, "Time range")
        .click();
    h.run_steps(2);
    h.get_by_label("Custom range…").click();
    h.run_steps(2);
    h.get_by_label("Range start").click();
    h.get_by_label("Range start").type_text("2026-09-01");
    h.run_steps(1);
    h.get_by_label("Range end").click();
    h.get_by_label("Range end").type_text("2026-09-07");
    h.run_steps(1);
    click(&mut h, "Apply range");

    // The same week counted straight from the table, in the demo's zone
    // (the harness reads naive input in the dataset's zone: America/Chicago).
    let tz = ds.time_zone.clone();
    let start = jiff::civil::date(2026, 9, 1)
        .to_zoned(tz.clone())
        .unwrap()
        .timestamp()
        .as_microsecond();
    let end = jiff::civil::date(2026, 9, 8)
        .to_zoned(tz)
        .unwrap()
        .timestamp()
        .as_microsecond();
    let time = ds.time_column().unwrap();
    let expected = (0..ds.table.n_rows())
        .filter_map(|r| time.timestamp_at(r))
        .filter(|&t| t >= start && t < end)
        .count();
    assert!(expected > 0 && expected < all);
    assert_eq!(incidents_shown(&h), expected);

    // A bad date says what is wrong and changes nothing.
    h.get_by_role_and_label(egui::Role::ComboBox, "Time range")
        .click();
    h.run_steps(2);
    h.get_by_label("Custom range…").click();
    h.run_steps(2);
    h.get_by_label("Range start").click();
    h.get_by_label("Range start").type_text("next tuesday");
    h.run_steps(1);
    click(&mut h, "Apply range");
    h.get_by_label_contains("is not a date");
    assert_eq!(incidents_shown(&h), expected);
}

#[test]
fn role_and_kind_overrides_change_what_the_views_use() {
    let mut h = harness(vec![fixture("epoch.csv")]);
    wait(&mut h);
    click(&mut h, "Data");
    // epoch.csv is traffic (flow + occupancy); call it safety data instead.
    h.get_by_role_and_label(egui::Role::ComboBox, "Kind of data")
        .click();
    h.run_steps(2);
    h.get_by_label("Public safety").click();
    wait(&mut h);
    assert!(
        h.query_by_role_and_label(egui::Role::Button, "Traffic")
            .is_none()
    );
    h.get_by_role_and_label(egui::Role::Button, "Safety");

    // Make the flow column the speed measure.
    h.get_by_role_and_label(egui::Role::ComboBox, "Role of column flow")
        .click();
    h.run_steps(2);
    h.get_by_label("metric: speed").click();
    wait(&mut h);
    let ds = &h.state().ws.datasets[0].dataset;
    let flow = ds.table.column_index("flow").unwrap();
    assert_eq!(
        ds.schema.roles[flow],
        cityops::data::Role::Measure(cityops::data::Measure::Speed)
    );
}

#[test]
fn changing_the_time_zone_reads_naive_times_again() {
    let mut h = harness(vec![fixture("ragged.csv")]);
    wait(&mut h);
    click(&mut h, "Data");
    let before = h.state().ws.datasets[0].dataset.time_extent().unwrap().0;
    h.get_by_role_and_label(egui::Role::TextInput, "Time zone")
        .click();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.get_by_role_and_label(egui::Role::TextInput, "Time zone")
        .type_text("Asia/Tokyo");
    h.run_steps(1);
    click(&mut h, "Apply time zone");
    let ds = &h.state().ws.datasets[0].dataset;
    assert_eq!(ds.time_zone_name(), "Asia/Tokyo");
    // 2024-01-01 00:00 in Tokyo is nine hours before the same time in UTC.
    assert_eq!(before - ds.time_extent().unwrap().0, 9 * 3_600_000_000);
}

/// Every view in Chinese: the harness panics on any character no font can
/// draw, so this also proves the translations render.
#[test]
fn every_view_renders_in_chinese() {
    let mut h = harness(Vec::new());
    wait(&mut h);
    click(&mut h, "中文");
    for label in [
        "总览",
        "交通",
        "公共安全",
        "环境",
        "市民反映",
        "预测",
        "推荐",
        "模型",
        "数据",
    ] {
        click(&mut h, label);
    }
    h.get_by_role_and_label(egui::Role::Button, "打开 CSV…");
    click(&mut h, "English");
    h.get_by_role_and_label(egui::Role::Button, "Overview");
}

/// Without a mouse: Ctrl+number shows a view, Tab walks the controls and
/// Enter presses the focused one.
#[test]
fn the_dashboard_works_from_the_keyboard() {
    let mut h = harness(Vec::new());
    wait(&mut h);
    assert_eq!(h.state().ws.view, ViewId::Overview);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num2);
    wait(&mut h);
    assert_eq!(h.state().ws.view, ViewId::Traffic);

    let mut reached = false;
    for _ in 0..300 {
        h.key_press(egui::Key::Tab);
        h.run_steps(1);
        if h.get_by_role_and_label(egui::Role::Button, "Data")
            .is_focused()
        {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the Data view's button");
    h.key_press(egui::Key::Enter);
    wait(&mut h);
    assert_eq!(h.state().ws.view, ViewId::Data);
}
