//! Forecast-breach alerts: a saved forecast model run on the latest hours
//! of every open dataset that has its target, alerting where it predicts
//! the target above a level within its horizon. The threshold rules that
//! need no model are in `data::alerts`.

use std::path::Path;

use crate::data::Dataset;
use crate::data::alerts::{Alert, AlertWhat};
use crate::ml::Task;
use crate::ml::model::TabularModel;

/// Loads the forecast model `name` from `models_dir`; the error says what
/// to do (the app shows it next to the rule).
/// The name is a model's name, never a path: `../x`, `/etc/x` or `a/b`
/// (from a workspace file, say) is refused before any file is opened.
pub fn load_forecast_model(models_dir: &Path, name: &str) -> Result<TabularModel, String> {
    if let Some(problem) = super::fetch::name_problem(name) {
        return Err(format!(
            "the forecast model name '{name}' {problem}; give the name of a model in {} (as the Models view lists it), not a path",
            models_dir.display()
        ));
    }
    let path = models_dir.join(format!("{name}.json"));
    let bundle = super::bundle::load_bundle(&path).map_err(|e| e.to_string())?;
    if bundle.model.task != Task::Forecast {
        return Err(format!(
            "{}: the model '{name}' is a {} model, not a forecast; choose a forecast model for this rule",
            path.display(),
            bundle.model.task.name()
        ));
    }
    Ok(bundle.model)
}

/// One alert per place whose forecast goes above `level`, at the first
/// hour it does. Datasets without the model's target are skipped.
pub fn forecast_breaches(
    model: &TabularModel,
    model_name: &str,
    datasets: &[&Dataset],
    level: f64,
) -> Vec<Alert> {
    let target = model.target.column().to_owned();
    let mut out = Vec::new();
    for ds in datasets {
        if ds.table.column(&target).is_none() {
            continue;
        }
        let Ok(forecasts) = model.latest_forecasts(&ds.table) else {
            continue;
        };
        for f in forecasts {
            let Some((k, &predicted)) = f.forecast.iter().enumerate().find(|(_, v)| **v > level)
            else {
                continue;
            };
            let made = f.origin_hour * crate::data::timeseries::MICROS_PER_HOUR;
            out.push(Alert {
                key: format!(
                    "forecast|{}|{model_name}|{}|{}",
                    ds.name, f.place, f.origin_hour
                ),
                title: format!("{target} forecast above {level:.0} at {}", f.place),
                detail: format!(
                    "{predicted:.0} expected in {} h (model {model_name})",
                    k + 1
                ),
                what: AlertWhat::Forecast {
                    level,
                    place: f.place.clone(),
                    target: target.clone(),
                    predicted,
                    hours_ahead: k + 1,
                    model: model_name.to_owned(),
                },
                began: made,
                dataset: ds.name.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    #[test]
    fn the_shipped_aqi_forecast_alerts_only_above_what_it_predicts() {
        let model =
            load_forecast_model(&shipped_dir(), "aqi_forecast").expect("shipped model loads");
        let demo = crate::data::demo_datasets();
        let air: Vec<&Dataset> = demo
            .iter()
            .filter(|d| d.table.column("aqi").is_some())
            .collect();
        assert!(!air.is_empty());
        let forecasts = model.latest_forecasts(&air[0].table).expect("forecasts");
        let peak = forecasts
            .iter()
            .flat_map(|f| f.forecast.iter().copied())
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(peak.is_finite());
        // Just under the highest forecast: at least one alert, each one a
        // real forecast above the level; just over it: none.
        let alerts = forecast_breaches(&model, "aqi_forecast", &air, peak - 1.0);
        assert!(!alerts.is_empty());
        for a in &alerts {
            let AlertWhat::Forecast {
                predicted,
                hours_ahead,
                ..
            } = &a.what
            else {
                panic!("not a forecast alert: {a:?}");
            };
            assert!(*predicted > peak - 1.0);
            assert!((1..=24).contains(hours_ahead));
        }
        assert!(forecast_breaches(&model, "aqi_forecast", &air, peak + 1.0).is_empty());
    }

    #[test]
    fn a_model_that_is_not_a_forecast_is_refused_with_its_name() {
        let e = load_forecast_model(&shipped_dir(), "incident_risk").expect_err("a classifier");
        assert!(
            e.contains("incident_risk") && e.contains("not a forecast"),
            "{e}"
        );
        let e = load_forecast_model(&shipped_dir(), "no_such_model").expect_err("missing");
        assert!(e.contains("no_such_model"), "{e}");
    }
}
