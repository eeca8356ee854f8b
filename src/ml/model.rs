//! A trained tabular model: the task, the target, how inputs are built,
//! the network and its weights — and training one from a dataset.

use std::collections::HashMap;

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use super::evaluate::{self, Evaluation};
use super::features::{self, Excluded, FeaturePipeline};
use super::forecast::{self, ForecastSpec};
use super::mlp::MlpConfig;
use super::trainer::{self, EpochReport, Stop, Targets, TrainConfig, TrainSet};
use super::{MlError, TargetSpec, Task, TaskChoice};
use crate::data::rng::Rng;
use crate::data::{Column, ColumnKind, ColumnValues, Dataset, Progress, Role, Table, Validity};

/// How a model turns a table into network inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelInputs {
    Tabular(FeaturePipeline),
    Forecast(ForecastSpec),
}

/// A trained model, ready to predict.
#[derive(Clone, Debug)]
pub struct TabularModel {
    pub task: Task,
    pub target: TargetSpec,
    pub inputs: ModelInputs,
    pub network: MlpConfig,
    pub weights: HashMap<String, Tensor>,
}

/// What the user asked to train.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainRequest {
    pub target: String,
    pub task: TaskChoice,
    /// `None`: every usable column (see [`features::suggest_features`]).
    pub features: Option<Vec<String>>,
    pub config: TrainConfig,
    pub horizon_hours: usize,
}

impl TrainRequest {
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            task: TaskChoice::Auto,
            features: None,
            config: TrainConfig::default(),
            horizon_hours: forecast::DEFAULT_HORIZON_HOURS,
        }
    }
}

/// A model with how its training went.
pub struct Trained {
    pub model: TabularModel,
    pub evaluation: Evaluation,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    pub stop: Stop,
    pub excluded: Vec<Excluded>,
}

/// Predictions for every row of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Predictions {
    /// Class probabilities, row-major `rows × labels.len()`.
    Classes {
        labels: Vec<String>,
        probs: Vec<f64>,
    },
    Values(Vec<f64>),
    /// Per row, the next `horizon` hours from that row's time and place
    /// (`None` where the history is too short).
    Forecasts {
        horizon: usize,
        values: Vec<Option<Vec<f64>>>,
    },
}

const MAX_CLASSES: usize = 50;

/// The next hours at one place from its last full history.
#[derive(Clone, Debug, PartialEq)]
pub struct LatestForecast {
    pub place: String,
    /// Hours since the epoch of the last observed hour.
    pub origin_hour: i64,
    /// `forecast[k]` is for `origin_hour + k + 1`.
    pub forecast: Vec<f64>,
    /// The seasonal-naive forecast for the same hours.
    pub baseline: Vec<f64>,
}

/// Picks the task for `auto`: numbers with more than two values are
/// regressed, everything else classified.
pub fn resolve_task(ds: &Dataset, target: &str, choice: TaskChoice) -> Result<Task, MlError> {
    if let TaskChoice::Fixed(t) = choice {
        return Ok(t);
    }
    let col = ds
        .table
        .column(target)
        .ok_or_else(|| MlError::MissingColumn {
            column: target.to_owned(),
        })?;
    if !col.kind().is_numeric() {
        return Ok(Task::Classify);
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in 0..col.len() {
        if let Some(v) = col.f64_at(r) {
            seen.insert(v.to_bits());
            if seen.len() > 2 {
                return Ok(Task::Regress);
            }
        }
    }
    Ok(Task::Classify)
}

fn sigmoid(z: f32) -> f64 {
    1.0 / (1.0 + (-f64::from(z)).exp())
}

/// Softmax of each row of `logits` (k per row).
fn softmax_rows(logits: &[f32], k: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(logits.len());
    for row in logits.chunks(k.max(1)) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let e: Vec<f64> = row.iter().map(|&z| f64::from(z - m).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|v| v / s));
    }
    out
}

/// Logits → class probabilities (`k` per row).
fn class_probs(raw: &[f32], k: usize) -> Vec<f64> {
    if k == 2 {
        raw.iter()
            .flat_map(|&z| {
                let p = sigmoid(z);
                [1.0 - p, p]
            })
            .collect()
    } else {
        softmax_rows(raw, k)
    }
}

/// Trains a model on `ds` as `req` says, and evaluates it on the held-out
/// validation rows against its baseline.
pub fn train_model(
    ds: &Dataset,
    req: &TrainRequest,
    progress: &dyn Progress,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<Trained, MlError> {
    req.config.validate()?;
    let task = resolve_task(ds, &req.target, req.task)?;
    if task == Task::Forecast {
        return train_forecast(ds, req, progress, on_epoch);
    }
    let table = &ds.table;
    let target_col = table
        .column(&req.target)
        .ok_or_else(|| MlError::MissingColumn {
            column: req.target.clone(),
        })?;
    let (suggested, excluded) = features::suggest_features(ds, &req.target);
    let columns = req.features.clone().unwrap_or(suggested);
    let columns: Vec<String> = columns.into_iter().filter(|c| *c != req.target).collect();
    if columns.is_empty() {
        return Err(MlError::NoFeatures(format!(
            "every column other than '{}' was left out; pick feature columns",
            req.target
        )));
    }
    // Rows with a target, split at random (seeded).
    let mut rows: Vec<usize> = (0..table.n_rows())
        .filter(|&r| target_col.is_valid(r))
        .collect();
    if rows.len() < 10 {
        return Err(MlError::NotEnoughData {
            what: "train",
            why: format!("only {} rows have a value in '{}'", rows.len(), req.target),
        });
    }
    Rng::new(req.config.seed).shuffle(&mut rows);
    let n_valid = ((rows.len() as f64) * req.config.validation_fraction)
        .round()
        .max(1.0) as usize;
    let (valid_rows, train_rows) = rows.split_at(n_valid.min(rows.len() - 1));
    let mut train_rows = train_rows.to_vec();
    let mut valid_rows = valid_rows.to_vec();
    train_rows.sort_unstable();
    valid_rows.sort_unstable();

    let tz = &ds.time_zone;
    let pipeline = FeaturePipeline::fit(table, &columns, &train_rows, tz)?;
    progress.report(0.0, "Building features");
    let x_train = pipeline.transform(table, &train_rows)?;
    let x_valid = pipeline.transform(table, &valid_rows)?;
    let width = pipeline.width();

    let (target, y_train, y_valid) = match task {
        Task::Classify => {
            let keys = |rows: &[usize]| -> Vec<String> {
                rows.iter()
                    .filter_map(|&r| features::cell_key(target_col, r))
                    .collect()
            };
            let train_keys = keys(&train_rows);
            let mut labels: Vec<String> = train_keys.clone();
            labels.sort();
            labels.dedup();
            if labels.len() < 2 {
                return Err(MlError::BadTarget {
                    column: req.target.clone(),
                    task: "classification",
                    why: "it has only one value in the training rows".to_owned(),
                });
            }
            if labels.len() > MAX_CLASSES {
                return Err(MlError::BadTarget {
                    column: req.target.clone(),
                    task: "classification",
                    why: format!(
                        "it has {} different values (at most {MAX_CLASSES}); for numbers choose regression",
                        labels.len()
                    ),
                });
            }
            let index = |k: &String| labels.iter().position(|l| l == k).unwrap_or(0) as u32;
            let yt: Vec<u32> = train_keys.iter().map(index).collect();
            // Validation labels unseen in training count as class 0's
            // neighbour: they cannot be predicted; keep them out.
            let yv: Vec<u32> = keys(&valid_rows).iter().map(index).collect();
            let mut freqs = vec![0f64; labels.len()];
            for &l in &yt {
                freqs[l as usize] += 1.0;
            }
            let total: f64 = freqs.iter().sum();
            freqs.iter_mut().for_each(|f| *f /= total.max(1.0));
            let k = labels.len();
            let to_targets = |y: Vec<u32>| {
                if k == 2 {
                    Targets::Binary(y.iter().map(|&l| l as f32).collect())
                } else {
                    Targets::Multi { labels: y, k }
                }
            };
            (
                TargetSpec::Classes {
                    column: req.target.clone(),
                    labels,
                    frequencies: freqs,
                },
                to_targets(yt),
                to_targets(yv),
            )
        }
        Task::Regress => {
            if !target_col.kind().is_numeric() {
                return Err(MlError::BadTarget {
                    column: req.target.clone(),
                    task: "regression",
                    why: format!("it holds {} values, not numbers", target_col.kind().name()),
                });
            }
            let vals = |rows: &[usize]| -> Vec<f64> {
                rows.iter()
                    .map(|&r| target_col.f64_at(r).unwrap_or(0.0))
                    .collect()
            };
            let yt = vals(&train_rows);
            let mean = yt.iter().sum::<f64>() / yt.len().max(1) as f64;
            let var = yt.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / yt.len().max(1) as f64;
            let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
            let z = |v: Vec<f64>| Targets::Real {
                values: v.iter().map(|x| ((x - mean) / std) as f32).collect(),
                k: 1,
            };
            (
                TargetSpec::Numeric {
                    column: req.target.clone(),
                    mean,
                    std,
                },
                z(yt),
                z(vals(&valid_rows)),
            )
        }
        Task::Forecast => unreachable_forecast()?,
    };
    let train_set = TrainSet {
        x: x_train,
        width,
        y: y_train,
    };
    let valid_set = TrainSet {
        x: x_valid,
        width,
        y: y_valid,
    };
    let out = trainer::train(&train_set, &valid_set, &req.config, progress, on_epoch)?;
    let model = TabularModel {
        task,
        target,
        inputs: ModelInputs::Tabular(pipeline),
        network: out.config,
        weights: out.weights,
    };
    let raw = trainer::forward_all(&model.weights, &model.network, &valid_set.x, width)?;
    let rows_count = (train_rows.len(), valid_rows.len());
    let evaluation = match (&model.target, &valid_set.y) {
        (TargetSpec::Classes { labels, .. }, y) => {
            let truth: Vec<usize> = match y {
                Targets::Binary(v) => v.iter().map(|&x| usize::from(x > 0.5)).collect(),
                Targets::Multi { labels, .. } => labels.iter().map(|&l| l as usize).collect(),
                Targets::Real { .. } => Vec::new(),
            };
            evaluate::classification(
                &model.target,
                rows_count,
                &truth,
                &class_probs(&raw, labels.len()),
            )
        }
        (TargetSpec::Numeric { mean, std, .. }, _) => {
            let actual: Vec<f64> = valid_rows
                .iter()
                .map(|&r| target_col.f64_at(r).unwrap_or(0.0))
                .collect();
            let pred: Vec<f64> = raw.iter().map(|&z| f64::from(z) * std + mean).collect();
            evaluate::regression(&model.target, rows_count, &actual, &pred)
        }
    };
    Ok(Trained {
        model,
        evaluation,
        history: out.history,
        best_epoch: out.best_epoch,
        stop: out.stop,
        excluded,
    })
}

fn unreachable_forecast<T>() -> Result<T, MlError> {
    Err(MlError::NoFeatures(
        "forecasting is trained by its own path".to_owned(),
    ))
}

fn train_forecast(
    ds: &Dataset,
    req: &TrainRequest,
    progress: &dyn Progress,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<Trained, MlError> {
    let table = &ds.table;
    let time = ds.time_column().ok_or_else(|| MlError::BadTarget {
        column: req.target.clone(),
        task: "forecasting",
        why: "the dataset has no time column (set one in the Data view)".to_owned(),
    })?;
    let place = ds.column_for(Role::PlaceId);
    let mut spec = ForecastSpec {
        time_column: time.name.clone(),
        place_column: place.map(|c| c.name.clone()),
        places: Vec::new(),
        horizon_hours: req.horizon_hours.clamp(1, forecast::SEASON_HOURS),
        history_hours: forecast::DEFAULT_HISTORY_HOURS,
        season_hours: forecast::SEASON_HOURS,
        time_zone: ds.time_zone_name(),
    };
    let series = forecast::hourly_series(table, &spec, &req.target)?;
    spec.places = series.keys().cloned().collect();
    let values: Vec<f64> = series.values().flat_map(|m| m.values().copied()).collect();
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len().max(1) as f64;
    let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
    progress.report(0.0, "Building lagged samples");
    let samples = forecast::build_samples(&series, &spec, mean, std, true);
    let (train_idx, valid_idx) =
        forecast::split_by_time(&samples, spec.horizon_hours, req.config.validation_fraction);
    if train_idx.len() < 10 || valid_idx.is_empty() {
        return Err(MlError::NotEnoughData {
            what: "forecast",
            why: format!(
                "a forecast needs at least {} hours of history per place plus a week for the seasonal baseline; only {} usable samples were found",
                spec.history_hours,
                samples.len()
            ),
        });
    }
    let width = spec.input_width();
    let h = spec.horizon_hours;
    let pick = |idx: &[usize]| -> TrainSet {
        let mut x = Vec::with_capacity(idx.len() * width);
        let mut y = Vec::with_capacity(idx.len() * h);
        for &i in idx {
            x.extend_from_slice(samples.x.get(i * width..(i + 1) * width).unwrap_or(&[]));
            y.extend_from_slice(samples.y.get(i * h..(i + 1) * h).unwrap_or(&[]));
        }
        TrainSet {
            x,
            width,
            y: Targets::Real { values: y, k: h },
        }
    };
    let (train_set, valid_set) = (pick(&train_idx), pick(&valid_idx));
    let out = trainer::train(&train_set, &valid_set, &req.config, progress, on_epoch)?;
    let target = TargetSpec::Numeric {
        column: req.target.clone(),
        mean,
        std,
    };
    let model = TabularModel {
        task: Task::Forecast,
        target,
        inputs: ModelInputs::Forecast(spec),
        network: out.config,
        weights: out.weights,
    };
    let raw = trainer::forward_all(&model.weights, &model.network, &valid_set.x, width)?;
    let pred: Vec<f64> = raw.iter().map(|&z| f64::from(z) * std + mean).collect();
    let gather = |v: &[f64]| -> Vec<f64> {
        valid_idx
            .iter()
            .flat_map(|&i| v.get(i * h..(i + 1) * h).unwrap_or(&[]).to_vec())
            .collect()
    };
    let evaluation = evaluate::forecast(
        &model.target,
        (train_idx.len(), valid_idx.len()),
        &gather(&samples.actual),
        &pred,
        &gather(&samples.baseline),
    );
    Ok(Trained {
        model,
        evaluation,
        history: out.history,
        best_epoch: out.best_epoch,
        stop: out.stop,
        excluded: Vec::new(),
    })
}

impl TabularModel {
    pub fn target_column(&self) -> &str {
        self.target.column()
    }

    /// The columns a table must have for this model.
    pub fn required_columns(&self) -> Vec<String> {
        match &self.inputs {
            ModelInputs::Tabular(p) => p.inputs.iter().map(|i| i.column.clone()).collect(),
            ModelInputs::Forecast(f) => {
                let mut v = vec![f.time_column.clone(), self.target.column().to_owned()];
                v.extend(f.place_column.clone());
                v
            }
        }
    }

    fn numeric_stats(&self) -> (f64, f64) {
        match &self.target {
            TargetSpec::Numeric { mean, std, .. } => (*mean, *std),
            TargetSpec::Classes { .. } => (0.0, 1.0),
        }
    }

    /// Predictions for every row of `table`.
    pub fn predict(&self, table: &Table) -> Result<Predictions, MlError> {
        match &self.inputs {
            ModelInputs::Tabular(p) => {
                let rows: Vec<usize> = (0..table.n_rows()).collect();
                let x = p.transform(table, &rows)?;
                let raw = trainer::forward_all(&self.weights, &self.network, &x, p.width())?;
                Ok(match &self.target {
                    TargetSpec::Classes { labels, .. } => Predictions::Classes {
                        labels: labels.clone(),
                        probs: class_probs(&raw, labels.len()),
                    },
                    TargetSpec::Numeric { mean, std, .. } => Predictions::Values(
                        raw.iter().map(|&z| f64::from(z) * std + mean).collect(),
                    ),
                })
            }
            ModelInputs::Forecast(spec) => {
                let (mean, std) = self.numeric_stats();
                let series = forecast::hourly_series(table, spec, self.target.column())?;
                let samples = forecast::build_samples(&series, spec, mean, std, false);
                let w = spec.input_width();
                let h = spec.horizon_hours;
                let raw = trainer::forward_all(&self.weights, &self.network, &samples.x, w)?;
                let mut by_origin: HashMap<(String, i64), Vec<f64>> = HashMap::new();
                for (i, o) in samples.origins.iter().enumerate() {
                    let v = raw
                        .get(i * h..(i + 1) * h)
                        .unwrap_or(&[])
                        .iter()
                        .map(|&z| f64::from(z) * std + mean)
                        .collect();
                    by_origin.insert(o.clone(), v);
                }
                let time = table.column(&spec.time_column);
                let place = spec.place_column.as_deref().and_then(|p| table.column(p));
                let values = (0..table.n_rows())
                    .map(|r| {
                        let t = time?.timestamp_at(r)?;
                        let key = match place {
                            Some(p) => features::cell_key(p, r)?,
                            None => "all".to_owned(),
                        };
                        by_origin
                            .get(&(key, t.div_euclid(crate::data::timeseries::MICROS_PER_HOUR)))
                            .cloned()
                    })
                    .collect();
                Ok(Predictions::Forecasts { horizon: h, values })
            }
        }
    }

    /// The latest forecast per place, for plotting after the history.
    pub fn latest_forecasts(&self, table: &Table) -> Result<Vec<LatestForecast>, MlError> {
        let ModelInputs::Forecast(spec) = &self.inputs else {
            return Ok(Vec::new());
        };
        let (mean, std) = self.numeric_stats();
        let series = forecast::hourly_series(table, spec, self.target.column())?;
        let samples = forecast::build_samples(&series, spec, mean, std, false);
        let w = spec.input_width();
        let h = spec.horizon_hours;
        // The last origin of each place.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, (p, _)) in samples.origins.iter().enumerate() {
            last.insert(p.as_str(), i);
        }
        let mut picks: Vec<usize> = last.into_values().collect();
        picks.sort_unstable();
        let mut x = Vec::with_capacity(picks.len() * w);
        for &i in &picks {
            x.extend_from_slice(samples.x.get(i * w..(i + 1) * w).unwrap_or(&[]));
        }
        let raw = trainer::forward_all(&self.weights, &self.network, &x, w)?;
        Ok(picks
            .iter()
            .enumerate()
            .filter_map(|(j, &i)| {
                let (place, origin) = samples.origins.get(i)?.clone();
                let f = raw
                    .get(j * h..(j + 1) * h)?
                    .iter()
                    .map(|&z| f64::from(z) * std + mean)
                    .collect();
                let b = samples.baseline.get(i * h..(i + 1) * h)?.to_vec();
                Some(LatestForecast {
                    place,
                    origin_hour: origin,
                    forecast: f,
                    baseline: b,
                })
            })
            .collect())
    }

    /// Evaluates on a table that has the target (e.g. new data), against
    /// the baseline; `rows_train` comes from the model's card.
    pub fn evaluate_on(&self, table: &Table, rows_train: usize) -> Result<Evaluation, MlError> {
        let target_col =
            table
                .column(self.target.column())
                .ok_or_else(|| MlError::MissingColumn {
                    column: self.target.column().to_owned(),
                })?;
        match (&self.inputs, &self.target) {
            (ModelInputs::Tabular(_), TargetSpec::Classes { labels, .. }) => {
                let Predictions::Classes { probs, .. } = self.predict(table)? else {
                    return Err(MlError::Weights(
                        "classifier gave no class probabilities".to_owned(),
                    ));
                };
                let k = labels.len();
                let mut truth = Vec::new();
                let mut p = Vec::new();
                for r in 0..table.n_rows() {
                    let Some(key) = features::cell_key(target_col, r) else {
                        continue;
                    };
                    let Some(l) = labels.iter().position(|x| *x == key) else {
                        continue;
                    };
                    truth.push(l);
                    p.extend_from_slice(probs.get(r * k..(r + 1) * k).unwrap_or(&[]));
                }
                Ok(evaluate::classification(
                    &self.target,
                    (rows_train, truth.len()),
                    &truth,
                    &p,
                ))
            }
            (ModelInputs::Tabular(_), TargetSpec::Numeric { .. }) => {
                let Predictions::Values(pred) = self.predict(table)? else {
                    return Err(MlError::Weights("regressor gave no values".to_owned()));
                };
                let (a, p): (Vec<f64>, Vec<f64>) = (0..table.n_rows())
                    .filter_map(|r| Some((target_col.f64_at(r)?, *pred.get(r)?)))
                    .unzip();
                Ok(evaluate::regression(
                    &self.target,
                    (rows_train, a.len()),
                    &a,
                    &p,
                ))
            }
            (ModelInputs::Forecast(spec), _) => {
                let (mean, std) = self.numeric_stats();
                let series = forecast::hourly_series(table, spec, self.target.column())?;
                let samples = forecast::build_samples(&series, spec, mean, std, true);
                if samples.is_empty() {
                    return Err(MlError::NotEnoughData {
                        what: "evaluate the forecast",
                        why: "no hour has a full history, a week-old season and the following horizon".to_owned(),
                    });
                }
                let raw = trainer::forward_all(
                    &self.weights,
                    &self.network,
                    &samples.x,
                    spec.input_width(),
                )?;
                let pred: Vec<f64> = raw.iter().map(|&z| f64::from(z) * std + mean).collect();
                Ok(evaluate::forecast(
                    &self.target,
                    (rows_train, samples.len()),
                    &samples.actual,
                    &pred,
                    &samples.baseline,
                ))
            }
        }
    }
}

impl Predictions {
    /// The prediction columns to append to the input table.
    pub fn columns(&self, target: &str) -> Vec<Column> {
        match self {
            Self::Classes { labels, probs } => {
                let k = labels.len().max(1);
                let best: Vec<usize> = super::metrics::argmax_rows(probs, k);
                let names: Vec<&str> = best
                    .iter()
                    .map(|&i| labels.get(i).map_or("", String::as_str))
                    .collect();
                let mut cols = vec![Column::categorical(format!("{target}_predicted"), &names)];
                if k == 2 {
                    let p1: Vec<f64> = probs
                        .chunks(2)
                        .map(|c| c.get(1).copied().unwrap_or(f64::NAN))
                        .collect();
                    cols.push(Column::from_f64(
                        format!(
                            "{target}_probability_{}",
                            labels.get(1).map_or("1", String::as_str)
                        ),
                        p1,
                    ));
                } else {
                    let conf: Vec<f64> = probs
                        .chunks(k)
                        .map(|c| c.iter().copied().fold(0.0, f64::max))
                        .collect();
                    cols.push(Column::from_f64(format!("{target}_confidence"), conf));
                }
                cols
            }
            Self::Values(v) => vec![Column::from_f64(format!("{target}_predicted"), v.clone())],
            Self::Forecasts { horizon, values } => (0..*horizon)
                .map(|k| {
                    let v: Vec<f64> = values
                        .iter()
                        .map(|row| {
                            row.as_ref()
                                .and_then(|f| f.get(k).copied())
                                .unwrap_or(f64::NAN)
                        })
                        .collect();
                    Column::from_f64(format!("{target}_forecast_{}h", k + 1), v)
                })
                .collect(),
        }
    }
}

/// A copy of `table` with `extra` columns appended (names made unique).
pub fn with_columns(table: &Table, extra: Vec<Column>) -> Table {
    let mut cols = table.columns.clone();
    for mut c in extra {
        let base = c.name.clone();
        let mut k = 2;
        while cols.iter().any(|x| x.name == c.name) {
            c.name = format!("{base}_{k}");
            k += 1;
        }
        cols.push(c);
    }
    Table::new(cols).unwrap_or_else(|_| table.clone())
}

/// A one-row table for what-if predictions: every model input filled from
/// `values` (numbers for numeric inputs, text for categories; missing
/// where absent).
pub fn one_row_table(
    pipeline: &FeaturePipeline,
    numbers: &HashMap<String, f64>,
    texts: &HashMap<String, String>,
    time: Option<i64>,
) -> Table {
    let cols = pipeline
        .inputs
        .iter()
        .map(|spec| match spec.source_type {
            ColumnKind::Integer | ColumnKind::Float => Column::from_f64(
                spec.column.clone(),
                vec![numbers.get(&spec.column).copied().unwrap_or(f64::NAN)],
            ),
            ColumnKind::Bool => {
                let v = numbers.get(&spec.column).copied();
                let mut validity = Validity::with_capacity(1);
                validity.push(v.is_some());
                Column::new(
                    spec.column.clone(),
                    ColumnValues::Bool(vec![v.is_some_and(|x| x != 0.0)]),
                    validity,
                )
            }
            ColumnKind::Timestamp => {
                Column::from_timestamps(spec.column.clone(), vec![time.unwrap_or(0)])
            }
            ColumnKind::Categorical | ColumnKind::Text => {
                let v = texts.get(&spec.column).cloned().unwrap_or_default();
                Column::categorical(spec.column.clone(), &[v])
            }
        })
        .collect();
    Table::new(cols).unwrap_or_default()
}
