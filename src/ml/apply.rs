//! Applying a tabular model to a dataset: the predictions become a new
//! dataset (the input's columns and roles, plus the prediction columns),
//! and, for a person to check them, the actual values against the
//! predicted ones, the metrics on a table that has the target, and the
//! latest forecasts with the history before them. The command line's
//! `predict` and the dashboard's Predict view both call [`apply`]; the view
//! also calls [`review`].
//!
//! Uses `data` and the model; no files, no egui.

use std::collections::HashMap;

use super::evaluate::Evaluation;
use super::model::{self, LatestForecast, Predictions, TabularModel};
use super::{MlError, ModelInputs, Task};
use crate::data::timeseries::MICROS_PER_HOUR;
use crate::data::{Dataset, Domain, Source};

/// Hours of history drawn before a forecast.
const HISTORY_HOURS: i64 = 7 * 24;

/// A model's predictions for a dataset.
pub struct Applied {
    pub predictions: Predictions,
    /// "NAME predictions": the input's columns with their roles, then the
    /// prediction columns; derived from the input and the model.
    pub dataset: Dataset,
}

/// Runs `model` over `ds`. `model_label` names the model in the new
/// dataset's source ("traffic + volume_24h (models folder)").
pub fn apply(model: &TabularModel, ds: &Dataset, model_label: &str) -> Result<Applied, MlError> {
    let predictions = model.predict(&ds.table)?;
    let table = model::with_columns(&ds.table, predictions.columns(model.target_column()));
    let mut dataset = Dataset::from_table(
        format!("{} predictions", ds.name),
        Source::Derived(format!("{} + {model_label}", ds.name)),
        table,
        ds.time_zone.clone(),
    );
    // The input's columns keep the meaning they had; the domain is general
    // so that a domain's own views keep showing the source, not a copy.
    for (slot, role) in dataset.schema.roles.iter_mut().zip(&ds.schema.roles) {
        *slot = *role;
    }
    dataset.domain = Domain::General;
    Ok(Applied {
        predictions,
        dataset,
    })
}

/// What a person checks after applying a model.
pub struct Review {
    /// (actual, predicted) for each row with both, when the table has the
    /// numeric target.
    pub pairs: Vec<[f64; 2]>,
    /// The metrics on this table when it has the target, or why they could
    /// not be computed.
    pub evaluation: Option<Result<Evaluation, MlError>>,
    /// A forecast model's latest forecast per place.
    pub forecasts: Vec<LatestForecast>,
    /// Per place, the week of hourly history before its forecast:
    /// (seconds since the epoch, value), in time order.
    pub history: HashMap<String, Vec<[f64; 2]>>,
}

/// The figures to check `predictions` of `model` on `ds` by;
/// `rows_train` is the training rows the model card records (for the
/// metrics' comparison with the baseline).
pub fn review(
    model: &TabularModel,
    ds: &Dataset,
    predictions: &Predictions,
    rows_train: usize,
) -> Result<Review, MlError> {
    let target = model.target_column();
    let target_col = ds.table.column(target);
    let evaluation = target_col.map(|_| model.evaluate_on(&ds.table, rows_train));
    let pairs = match (predictions, target_col) {
        (Predictions::Values(v), Some(t)) => v
            .iter()
            .enumerate()
            .filter_map(|(r, p)| Some([t.f64_at(r)?, *p]))
            .collect(),
        _ => Vec::new(),
    };
    let mut forecasts = Vec::new();
    let mut history = HashMap::new();
    if model.task == Task::Forecast {
        forecasts = model.latest_forecasts(&ds.table)?;
        if let ModelInputs::Forecast(spec) = &model.inputs {
            let series = super::forecast::hourly_series(&ds.table, spec, target)?;
            for f in &forecasts {
                if let Some(values) = series.get(&f.place) {
                    let mut points: Vec<[f64; 2]> = values
                        .iter()
                        .filter(|(hour, _)| **hour > f.origin_hour - HISTORY_HOURS)
                        .map(|(hour, v)| [(hour * MICROS_PER_HOUR) as f64 / 1e6, *v])
                        .collect();
                    points.sort_by(|a, b| a[0].total_cmp(&b[0]));
                    history.insert(f.place.clone(), points);
                }
            }
        }
    }
    Ok(Review {
        pairs,
        evaluation,
        forecasts,
        history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::rng::Rng;
    use crate::data::{Column, Table};
    use crate::ml::{TaskChoice, TrainConfig, TrainRequest, train_model};

    /// `speed` from `lanes` and a `road` category, with a time column, for
    /// a regression model on `speed`.
    fn roads(n: usize, with_target: bool) -> Dataset {
        let mut rng = Rng::new(11);
        let (mut lanes, mut road, mut speed, mut at) = (vec![], vec![], vec![], vec![]);
        for i in 0..n {
            let l = rng.range_i64(1, 4);
            lanes.push(l);
            road.push(["main", "side"][i % 2]);
            speed.push(20.0 + 10.0 * l as f64 + rng.range(-1.0, 1.0));
            at.push(1_788_220_800_000_000 + i as i64 * MICROS_PER_HOUR);
        }
        let mut columns = vec![
            Column::from_i64("lanes", lanes),
            Column::categorical("road", &road),
            Column::from_timestamps("at", at),
        ];
        if with_target {
            columns.push(Column::from_f64("speed", speed));
        }
        Dataset::from_table(
            "roads",
            Source::Demo("roads".to_owned()),
            Table::new(columns).unwrap(),
            jiff::tz::TimeZone::UTC,
        )
    }

    fn speed_model() -> TabularModel {
        let req = TrainRequest {
            target: "speed".to_owned(),
            task: TaskChoice::Fixed(Task::Regress),
            features: Some(vec!["lanes".to_owned(), "road".to_owned()]),
            config: TrainConfig {
                hidden: vec![8],
                epochs: 3,
                ..Default::default()
            },
            horizon_hours: 24,
        };
        train_model(&roads(120, true), &req, &(), &mut |_| {})
            .unwrap()
            .model
    }

    #[test]
    fn predictions_become_a_dataset_that_keeps_the_inputs_columns_and_roles() {
        let model = speed_model();
        let ds = roads(30, false);
        let applied = apply(&model, &ds, "speed model").unwrap();
        let out = &applied.dataset;
        assert_eq!(out.name, "roads predictions");
        assert_eq!(out.table.n_rows(), 30);
        let names: Vec<&str> = out.table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(&names[..3], ["lanes", "road", "at"]);
        assert!(names.len() > 3, "no prediction column in {names:?}");
        assert_eq!(&out.schema.roles[..3], &ds.schema.roles[..]);
        assert_eq!(out.domain, Domain::General);
        assert!(matches!(&out.source, Source::Derived(s) if s == "roads + speed model"));
        // Without the target there is nothing to compare with.
        let review = review(&model, &ds, &applied.predictions, 96).unwrap();
        assert!(review.evaluation.is_none() && review.pairs.is_empty());
    }

    #[test]
    fn a_table_with_the_target_gets_actual_against_predicted_and_metrics() {
        let model = speed_model();
        let ds = roads(40, true);
        let applied = apply(&model, &ds, "m").unwrap();
        let review = review(&model, &ds, &applied.predictions, 96).unwrap();
        assert_eq!(review.pairs.len(), 40);
        let speed = ds.table.column("speed").unwrap();
        assert_eq!(review.pairs[5][0], speed.f64_at(5).unwrap());
        assert!(matches!(review.evaluation, Some(Ok(_))));
        assert!(review.forecasts.is_empty() && review.history.is_empty());
    }

    #[test]
    fn a_table_without_the_models_columns_is_refused_naming_the_column() {
        let model = speed_model();
        let ds = Dataset::from_table(
            "other",
            Source::Demo("other".to_owned()),
            Table::new(vec![Column::from_f64("x", vec![1.0, 2.0])]).unwrap(),
            jiff::tz::TimeZone::UTC,
        );
        let err = apply(&model, &ds, "m").err().unwrap();
        assert!(err.to_string().contains("'lanes'"), "{err}");
    }
}
