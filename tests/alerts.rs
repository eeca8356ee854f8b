//! Alerts in the dashboard: a threshold broken by the latest data shows as
//! a banner and on the Overview with the time it began; acknowledging it
//! removes the banner and marks it on the Overview; thresholds travel with
//! the workspace.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use cityops::app::{AppOptions, Command};
use cityops::data::alerts::AlertRules;
use egui_kittest::kittest::Queryable;

#[test]
fn an_alert_fires_shows_when_it_began_and_is_acknowledged() {
    let opts = AppOptions {
        fresh: true,
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1500.0, 1400.0));
    common::wait(&mut h);
    // The demo city is calm at the default thresholds.
    assert!(h.query_by_label_contains("Alert: AQI above").is_none());
    h.get_by_label_contains("Alerts (");
    // An operator lowers the AQI threshold below what the stations read.
    h.state_mut().apply(Command::SetAlertRules(AlertRules {
        aqi_above: Some(20.0),
        speed_below_usual_pct: None,
        incidents_per_hour_above: None,
        forecast_above: None,
        ..AlertRules::default()
    }));
    common::wait(&mut h);
    let active = h.state().ws.alerts.clone();
    assert!(!active.is_empty(), "the lowered threshold fires");
    let first = active[0].title.clone();
    assert!(first.starts_with("AQI above 20 at "), "{first}");
    h.get_by_label(&format!("Alert: {first}"));
    h.get_by_label_contains(&format!("Alerts ({} active)", active.len()));
    assert!(
        h.query_all_by_label_contains("since 2026-")
            .next()
            .is_some(),
        "when it began"
    );

    common::click(&mut h, &format!("Acknowledge {first}"));
    assert!(
        h.query_by_label(&format!("Alert: {first}")).is_none(),
        "the banner is gone"
    );
    assert!(h.query_all_by_label("acknowledged").next().is_some());
    // Still active (the data has not changed), just seen.
    assert_eq!(h.state().ws.alerts.len(), active.len());
}

#[test]
fn thresholds_are_saved_with_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = common::demo_app();
    let rules = AlertRules {
        aqi_above: Some(99.0),
        speed_below_usual_pct: None,
        incidents_per_hour_above: Some(3.0),
        forecast_above: Some(120.0),
        forecast_model: "aqi_forecast".to_owned(),
    };
    h.state_mut().apply(Command::SetAlertRules(rules.clone()));
    let file = dir.path().join("w.json");
    h.state_mut()
        .apply(Command::SaveWorkspace(Some(file.clone())));
    common::wait(&mut h);
    let mut other = common::demo_app();
    other.state_mut().apply(Command::OpenWorkspace(Some(file)));
    common::wait(&mut other);
    assert_eq!(other.state().ws.alert_rules, rules);
}

#[test]
fn a_forecast_predicting_a_breach_raises_an_alert() {
    let opts = AppOptions {
        fresh: true,
        models_dir: Some(common::shipped_models()),
        ..Default::default()
    };
    let mut h = common::app(opts, egui::vec2(1500.0, 1400.0));
    common::wait(&mut h);
    assert!(
        h.query_by_label_contains("Alert: aqi forecast above")
            .is_none()
    );
    // Only the forecast rule, at a level the shipped AQI forecast passes
    // within its horizon.
    h.state_mut().apply(Command::SetAlertRules(AlertRules {
        aqi_above: None,
        speed_below_usual_pct: None,
        incidents_per_hour_above: None,
        forecast_above: Some(30.0),
        forecast_model: "aqi_forecast".to_owned(),
    }));
    common::wait(&mut h);
    let active = h.state().ws.alerts.clone();
    assert!(!active.is_empty(), "the forecast passes 30 somewhere");
    for a in &active {
        assert!(
            a.title.starts_with("aqi forecast above 30 at "),
            "{}",
            a.title
        );
    }
    h.get_by_label(&format!("Alert: {}", active[0].title));
    assert!(
        h.query_all_by_label_contains("expected in")
            .next()
            .is_some()
    );

    // A model that is not there: no alert, and the rule says why.
    let rules = AlertRules {
        forecast_model: "no_such_model".to_owned(),
        ..h.state().ws.alert_rules.clone()
    };
    h.state_mut().apply(Command::SetAlertRules(rules));
    common::wait(&mut h);
    assert!(h.state().ws.alerts.is_empty());
    h.get_by_label("Alert thresholds").click();
    common::wait(&mut h);
    h.get_by_label_contains("The forecast rule cannot run: ");
    assert!(
        h.query_all_by_label_contains("no_such_model")
            .next()
            .is_some()
    );
}
