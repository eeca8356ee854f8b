//! Serving a tabular model ([`TabularModel`]): its V2 signature and
//! inference.
//!
//! - Tabular inputs ([`ModelInputs::Tabular`]): one input tensor per feature
//!   column, named as the column, shape `[-1]`, datatype from the column's
//!   type (integer → INT64, float → FP64, bool → BOOL, categorical and text
//!   → BYTES, timestamp → BYTES in RFC 3339 with an offset, or INT64 epoch
//!   seconds). Outputs: classification → `label` (BYTES `[n]`) and
//!   `probability` (FP64 `[n, k]`, columns in the order of the metadata's
//!   `parameters.labels`); regression → `prediction` (FP64 `[n]`).
//! - Forecast inputs ([`ModelInputs::Forecast`]): the history rows — the
//!   time column, the place column if the model has one (BYTES) and the
//!   target column (FP64). Output `forecast` (FP64 `[n, horizon]`): per row
//!   the next hours from that row's hour and place; `null` where the history
//!   before it is too short.
//!
//! The tensors become a [`Table`] and the model's own `predict` does the
//! rest, so served and local predictions are the same numbers. Uses `data`,
//! `ml` and `models`; nothing here touches HTTP.

use std::collections::HashMap;

use crate::data::timeseries::MICROS_PER_SECOND;
use crate::data::{Column, ColumnKind, ColumnValues, StringColumn, Table, Validity};
use crate::ml::metrics::argmax_rows;
use crate::ml::{MlError, ModelInputs, Predictions, TabularModel, TargetSpec};
use crate::models::ModelCard;

use super::error::ApiError;
use super::tensor::{DataType, InputTensor, OutputTensor, TensorSpec, Values};

pub const LABEL_OUTPUT: &str = "label";
pub const PROBABILITY_OUTPUT: &str = "probability";
pub const PREDICTION_OUTPUT: &str = "prediction";
pub const FORECAST_OUTPUT: &str = "forecast";

/// The table columns a model reads, in input order, with their kinds.
fn input_columns(model: &TabularModel) -> Vec<(String, ColumnKind)> {
    match &model.inputs {
        ModelInputs::Tabular(p) => p
            .inputs
            .iter()
            .map(|s| (s.column.clone(), s.source_type))
            .collect(),
        ModelInputs::Forecast(f) => {
            let mut cols = vec![(f.time_column.clone(), ColumnKind::Timestamp)];
            if let Some(place) = &f.place_column {
                cols.push((place.clone(), ColumnKind::Categorical));
            }
            cols.push((model.target.column().to_owned(), ColumnKind::Float));
            cols
        }
    }
}

/// The wire datatype listed for a column kind.
fn datatype_of(kind: ColumnKind) -> DataType {
    match kind {
        ColumnKind::Integer => DataType::Int64,
        ColumnKind::Float => DataType::Fp64,
        ColumnKind::Bool => DataType::Bool,
        ColumnKind::Timestamp | ColumnKind::Categorical | ColumnKind::Text => DataType::Bytes,
    }
}

pub fn input_specs(model: &TabularModel) -> Vec<TensorSpec> {
    input_columns(model)
        .into_iter()
        .map(|(name, kind)| TensorSpec::new(name, datatype_of(kind), vec![-1]))
        .collect()
}

pub fn output_specs(model: &TabularModel) -> Vec<TensorSpec> {
    match (&model.inputs, &model.target) {
        (ModelInputs::Forecast(f), _) => vec![TensorSpec::new(
            FORECAST_OUTPUT,
            DataType::Fp64,
            vec![-1, f.horizon_hours as i64],
        )],
        (ModelInputs::Tabular(_), TargetSpec::Classes { labels, .. }) => vec![
            TensorSpec::new(LABEL_OUTPUT, DataType::Bytes, vec![-1]),
            TensorSpec::new(
                PROBABILITY_OUTPUT,
                DataType::Fp64,
                vec![-1, labels.len() as i64],
            ),
        ],
        (ModelInputs::Tabular(_), TargetSpec::Numeric { .. }) => {
            vec![TensorSpec::new(PREDICTION_OUTPUT, DataType::Fp64, vec![-1])]
        }
    }
}

/// The metadata `parameters`: the task, the target, the class labels, the
/// time zone and how timestamps are read, and the card's metrics.
pub fn parameters(card: &ModelCard, model: &TabularModel) -> serde_json::Value {
    let mut p = serde_json::Map::new();
    p.insert("kind".to_owned(), card.header.kind.as_str().into());
    p.insert("task".to_owned(), model.task.name().into());
    p.insert("target".to_owned(), model.target.column().into());
    if let TargetSpec::Classes { labels, .. } = &model.target {
        p.insert("labels".to_owned(), labels.clone().into());
    }
    let (time_zone, has_timestamps) = match &model.inputs {
        ModelInputs::Tabular(pipe) => (
            pipe.time_zone.clone(),
            pipe.inputs
                .iter()
                .any(|s| s.source_type == ColumnKind::Timestamp),
        ),
        ModelInputs::Forecast(f) => {
            p.insert("horizon_hours".to_owned(), f.horizon_hours.into());
            p.insert("history_hours".to_owned(), f.history_hours.into());
            p.insert("season_hours".to_owned(), f.season_hours.into());
            p.insert("time_column".to_owned(), f.time_column.clone().into());
            if let Some(place) = &f.place_column {
                p.insert("place_column".to_owned(), place.clone().into());
                p.insert("places".to_owned(), f.places.clone().into());
            }
            (f.time_zone.clone(), true)
        }
    };
    p.insert("time_zone".to_owned(), time_zone.into());
    if has_timestamps {
        p.insert(
            "timestamps".to_owned(),
            "BYTES in RFC 3339 with an offset (2026-09-01T08:00:00-05:00), or INT64 seconds since the epoch".into(),
        );
    }
    p.insert(
        "missing_values".to_owned(),
        "send null for a missing value".into(),
    );
    p.insert(
        "headline_metric".to_owned(),
        card.headline_metric.clone().into(),
    );
    if let Ok(metrics) = serde_json::to_value(&card.metrics) {
        p.insert("metrics".to_owned(), metrics);
    }
    p.insert(
        "created_at".to_owned(),
        card.header.created_at.clone().into(),
    );
    p.insert(
        "cityops_version".to_owned(),
        card.header.cityops_version.clone().into(),
    );
    serde_json::Value::Object(p)
}

/// Runs the model on the request's tensors.
pub fn infer(
    model_name: &str,
    model: &TabularModel,
    inputs: Vec<InputTensor>,
) -> Result<Vec<OutputTensor>, ApiError> {
    let wanted = input_columns(model);
    let mut by_name = take_inputs(model_name, &wanted, inputs)?;
    let mut columns = Vec::with_capacity(wanted.len());
    let mut rows: Option<(usize, String)> = None;
    for (name, kind) in &wanted {
        let Some(tensor) = by_name.remove(name) else {
            continue;
        };
        let n = tensor.column_rows()?;
        match &rows {
            Some((expected, first)) if *expected != n => {
                return Err(ApiError::bad_request(format!(
                    "input '{name}' has {n} rows but input '{first}' has {expected}; every input needs one value per row"
                )));
            }
            Some(_) => {}
            None => rows = Some((n, name.clone())),
        }
        columns.push(column_from_tensor(tensor, *kind)?);
    }
    let n = rows.map_or(0, |(n, _)| n);
    let table = Table::new(columns).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let predictions = model.predict(&table).map_err(|e| match e {
        MlError::Candle(_) | MlError::Weights(_) => {
            ApiError::internal(format!("model '{model_name}' failed: {e}"))
        }
        other => ApiError::bad_request(format!("model '{model_name}': {other}")),
    })?;
    Ok(match predictions {
        Predictions::Classes { labels, probs } => {
            let k = labels.len();
            let label = argmax_rows(&probs, k)
                .into_iter()
                .map(|i| labels.get(i).cloned().unwrap_or_default())
                .collect();
            vec![
                OutputTensor::bytes(LABEL_OUTPUT, vec![n], label),
                OutputTensor::fp64(PROBABILITY_OUTPUT, vec![n, k], probs),
            ]
        }
        Predictions::Values(values) => {
            vec![OutputTensor::fp64(PREDICTION_OUTPUT, vec![n], values)]
        }
        Predictions::Forecasts { horizon, values } => {
            let flat = values.into_iter().flat_map(|row| match row {
                Some(v) => {
                    let mut v = v;
                    v.resize(horizon, f64::NAN);
                    v
                }
                None => vec![f64::NAN; horizon],
            });
            vec![OutputTensor::fp64(FORECAST_OUTPUT, vec![n, horizon], flat)]
        }
    })
}

/// Indexes the tensors by name, refusing duplicates, unknown names and
/// missing inputs (each error names the tensor and lists the inputs).
fn take_inputs(
    model_name: &str,
    wanted: &[(String, ColumnKind)],
    inputs: Vec<InputTensor>,
) -> Result<HashMap<String, InputTensor>, ApiError> {
    let list = || {
        wanted
            .iter()
            .map(|(n, k)| format!("'{n}' ({})", datatype_of(*k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut by_name = HashMap::with_capacity(inputs.len());
    for t in inputs {
        if !wanted.iter().any(|(n, _)| *n == t.name) {
            return Err(ApiError::bad_request(format!(
                "model '{model_name}' has no input '{}'; its inputs are {}",
                t.name,
                list()
            )));
        }
        let name = t.name.clone();
        if by_name.insert(name.clone(), t).is_some() {
            return Err(ApiError::bad_request(format!(
                "input '{name}' is sent twice; send each input once"
            )));
        }
    }
    if let Some((missing, kind)) = wanted.iter().find(|(n, _)| !by_name.contains_key(n)) {
        return Err(ApiError::bad_request(format!(
            "input '{missing}' ({}) is missing; model '{model_name}' needs every one of {}",
            datatype_of(*kind),
            list()
        )));
    }
    Ok(by_name)
}

fn validity_of<T>(values: &[Option<T>]) -> Validity {
    let mut v = Validity::with_capacity(values.len());
    for x in values {
        v.push(x.is_some());
    }
    v
}

/// The values of a numeric tensor as numbers.
fn as_numbers(values: &Values) -> Option<Vec<Option<f64>>> {
    match values {
        Values::Int(v) => Some(v.iter().map(|x| x.map(|i| i as f64)).collect()),
        Values::Float(v) => Some(v.clone()),
        Values::Bool(_) | Values::Bytes(_) => None,
    }
}

/// Converts a tensor to a column of `kind` (numeric datatypes convert to
/// the column's kind); the error names the tensor and what it must be.
fn column_from_tensor(tensor: InputTensor, kind: ColumnKind) -> Result<Column, ApiError> {
    let InputTensor {
        name,
        datatype,
        values,
        ..
    } = tensor;
    let expected = match kind {
        ColumnKind::Integer => "INT64 (whole numbers; other integer or FP types are converted)",
        ColumnKind::Float => "FP64 (numbers; FP32, FP16 and integer types are accepted)",
        ColumnKind::Bool => "BOOL (true/false or 0/1)",
        ColumnKind::Timestamp => {
            "BYTES (RFC 3339 times with an offset, like 2026-09-01T08:00:00-05:00) or INT64 (seconds since the epoch)"
        }
        ColumnKind::Categorical | ColumnKind::Text => "BYTES (strings)",
    };
    let wrong_type =
        || ApiError::bad_request(format!("input '{name}' must be {expected}, not {datatype}"));
    let bad_value = |i: usize, what: String| {
        ApiError::bad_request(format!("input '{name}', value #{}: {what}", i + 1))
    };
    match kind {
        ColumnKind::Integer => {
            let ints: Vec<Option<i64>> = match &values {
                Values::Int(v) => v.clone(),
                Values::Float(v) => {
                    let mut out = Vec::with_capacity(v.len());
                    for (i, x) in v.iter().enumerate() {
                        out.push(match x {
                            None => None,
                            Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
                            Some(f) => {
                                return Err(bad_value(
                                    i,
                                    format!("{f} is not a whole number, and this input is INT64"),
                                ));
                            }
                        });
                    }
                    out
                }
                Values::Bool(_) | Values::Bytes(_) => return Err(wrong_type()),
            };
            let validity = validity_of(&ints);
            let filled = ints.iter().map(|x| x.unwrap_or(0)).collect();
            Ok(Column::new(name, ColumnValues::Integer(filled), validity))
        }
        ColumnKind::Float => {
            let numbers = as_numbers(&values).ok_or_else(wrong_type)?;
            let validity = validity_of(&numbers);
            let filled = numbers.iter().map(|x| x.unwrap_or(f64::NAN)).collect();
            Ok(Column::new(name, ColumnValues::Float(filled), validity))
        }
        ColumnKind::Bool => {
            let bools: Vec<Option<bool>> = match &values {
                Values::Bool(v) => v.clone(),
                Values::Int(_) | Values::Float(_) => {
                    let numbers = as_numbers(&values).unwrap_or_default();
                    let mut out = Vec::with_capacity(numbers.len());
                    for (i, x) in numbers.iter().enumerate() {
                        out.push(match x {
                            None => None,
                            Some(0.0) => Some(false),
                            Some(1.0) => Some(true),
                            Some(f) => {
                                return Err(bad_value(
                                    i,
                                    format!("{f} is not 0 or 1, and this input is BOOL"),
                                ));
                            }
                        });
                    }
                    out
                }
                Values::Bytes(_) => return Err(wrong_type()),
            };
            let validity = validity_of(&bools);
            let filled = bools.iter().map(|x| x.unwrap_or(false)).collect();
            Ok(Column::new(name, ColumnValues::Bool(filled), validity))
        }
        ColumnKind::Timestamp => {
            let micros: Vec<Option<i64>> = match &values {
                Values::Bytes(v) => {
                    let mut out = Vec::with_capacity(v.len());
                    for (i, s) in v.iter().enumerate() {
                        out.push(match s {
                            None => None,
                            Some(s) => Some(
                                s.trim()
                                    .parse::<jiff::Timestamp>()
                                    .map_err(|e| {
                                        bad_value(
                                            i,
                                            format!(
                                                "'{s}' is not an RFC 3339 time with an offset, like 2026-09-01T08:00:00-05:00 ({e})"
                                            ),
                                        )
                                    })?
                                    .as_microsecond(),
                            ),
                        });
                    }
                    out
                }
                Values::Int(v) => {
                    let mut out = Vec::with_capacity(v.len());
                    for (i, s) in v.iter().enumerate() {
                        out.push(match s {
                            None => None,
                            Some(secs) => {
                                Some(secs.checked_mul(MICROS_PER_SECOND).ok_or_else(|| {
                                    bad_value(
                                        i,
                                        format!("{secs} seconds since the epoch is out of range"),
                                    )
                                })?)
                            }
                        });
                    }
                    out
                }
                Values::Bool(_) | Values::Float(_) => return Err(wrong_type()),
            };
            let validity = validity_of(&micros);
            let filled = micros.iter().map(|x| x.unwrap_or(0)).collect();
            let mut col = Column::new(name, ColumnValues::Timestamp(filled), validity);
            col.timestamp_info.has_offset = true;
            Ok(col)
        }
        ColumnKind::Categorical => {
            let Values::Bytes(strings) = values else {
                return Err(wrong_type());
            };
            let validity = validity_of(&strings);
            let mut index: HashMap<String, u32> = HashMap::new();
            let mut dictionary = Vec::new();
            let codes = strings
                .into_iter()
                .map(|s| {
                    let s = s.unwrap_or_default();
                    *index.entry(s).or_insert_with_key(|k| {
                        dictionary.push(k.clone());
                        (dictionary.len() - 1) as u32
                    })
                })
                .collect();
            Ok(Column::new(
                name,
                ColumnValues::Categorical { codes, dictionary },
                validity,
            ))
        }
        ColumnKind::Text => {
            let Values::Bytes(strings) = values else {
                return Err(wrong_type());
            };
            let validity = validity_of(&strings);
            let bytes = strings.iter().flatten().map(String::len).sum();
            let mut col = StringColumn::with_capacity(strings.len(), bytes);
            for s in &strings {
                col.push(s.as_deref().unwrap_or_default());
            }
            Ok(Column::new(name, ColumnValues::Text(col), validity))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, values: Values) -> InputTensor {
        InputTensor {
            name: name.to_owned(),
            shape: vec![values.len()],
            datatype: DataType::Int64,
            values,
        }
    }

    #[test]
    fn timestamps_read_rfc3339_with_offsets_and_epoch_seconds() {
        let t = tensor(
            "t",
            Values::Bytes(vec![Some("2026-09-01T08:00:00-05:00".to_owned()), None]),
        );
        let col = column_from_tensor(t, ColumnKind::Timestamp).unwrap();
        let expected = 1_788_267_600 * MICROS_PER_SECOND; // 13:00 UTC
        assert_eq!(col.timestamp_at(0), Some(expected));
        assert_eq!(col.timestamp_at(1), None);

        let t = tensor("t", Values::Int(vec![Some(1_788_267_600)]));
        let col = column_from_tensor(t, ColumnKind::Timestamp).unwrap();
        assert_eq!(col.timestamp_at(0), Some(expected));

        let t = tensor(
            "t",
            Values::Bytes(vec![Some("2026-09-01 08:00".to_owned())]),
        );
        let err = column_from_tensor(t, ColumnKind::Timestamp).unwrap_err();
        assert!(
            err.message.contains("input 't', value #1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn numbers_convert_to_the_column_kind() {
        let col = column_from_tensor(
            tensor("n", Values::Float(vec![Some(3.0), None])),
            ColumnKind::Integer,
        )
        .unwrap();
        assert_eq!(col.values, ColumnValues::Integer(vec![3, 0]));
        assert!(!col.is_valid(1));
        let err = column_from_tensor(
            tensor("n", Values::Float(vec![Some(3.5)])),
            ColumnKind::Integer,
        )
        .unwrap_err();
        assert!(
            err.message.contains("not a whole number"),
            "{}",
            err.message
        );

        let col = column_from_tensor(
            tensor("b", Values::Int(vec![Some(1), Some(0)])),
            ColumnKind::Bool,
        )
        .unwrap();
        assert_eq!(col.values, ColumnValues::Bool(vec![true, false]));

        let err = column_from_tensor(
            tensor("road", Values::Int(vec![Some(1)])),
            ColumnKind::Categorical,
        )
        .unwrap_err();
        assert!(
            err.message.contains("input 'road' must be BYTES"),
            "{}",
            err.message
        );
    }
}
