//! Tensors on the wire: the Open Inference Protocol V2 JSON request and
//! response bodies, its datatypes, and decoding an input tensor's `data`
//! (flat row-major or nested arrays) into typed values after checking it
//! against the tensor's `shape`.
//!
//! Every error names the tensor (and the value's position when one value is
//! wrong) and says what was expected. This file knows nothing of models.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::error::ApiError;

pub use crate::models::wire::DataType;

/// A V2 inference request, read from the body without building a JSON
/// tree: inputs and parameters stay raw (slices of the body) until
/// [`decode_input`] checks each tensor's shape against the limits and then
/// reads its data straight into typed values.
#[derive(Debug, Deserialize)]
pub struct InferRequest<'a> {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(borrow)]
    pub inputs: Vec<&'a RawValue>,
    #[serde(default)]
    pub outputs: Option<Vec<RequestedOutput>>,
    #[serde(default, borrow)]
    pub parameters: Option<&'a RawValue>,
}

/// Request parameters larger than this are refused (they are small maps of
/// options; a larger one could only be a way to make the server build a
/// big JSON tree).
pub const MAX_PARAMETERS_BYTES: usize = 64 * 1024;

/// Parses request- or tensor-level `parameters` (a JSON object of at most
/// [`MAX_PARAMETERS_BYTES`]); `at` names where they were, for messages.
pub fn parse_parameters(
    raw: Option<&RawValue>,
    at: &str,
) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if raw.get().len() > MAX_PARAMETERS_BYTES {
        return Err(ApiError::bad_request(format!(
            "{at}: \"parameters\" is {} bytes; this server takes at most {MAX_PARAMETERS_BYTES}",
            raw.get().len()
        )));
    }
    serde_json::from_str::<Option<Map<String, Value>>>(raw.get()).map_err(|e| {
        ApiError::bad_request(format!(
            "{at}: \"parameters\" must be a JSON object of names and values: {e}"
        ))
    })
}

/// An entry of the request's `outputs`: which output to return.
#[derive(Debug, Deserialize)]
pub struct RequestedOutput {
    pub name: String,
    /// `binary_data: true` asks for this output as binary tensor data.
    #[serde(default)]
    pub parameters: Option<Map<String, Value>>,
}

/// An input tensor as sent, before its data is checked; `data` is still
/// the raw text of the body.
#[derive(Debug, Deserialize)]
struct RawInput<'a> {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    /// Absent when the values come as binary tensor data.
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    parameters: Option<&'a RawValue>,
}

/// Just the name of an input, for messages about an input that does not
/// parse (other fields are skipped without being built).
#[derive(Deserialize)]
struct NameOnly {
    #[serde(default)]
    name: Option<String>,
}

/// The limits [`decode_input`] checks before reading a tensor's data.
#[derive(Clone, Copy, Debug)]
pub struct TensorLimits {
    /// Rows (the first dimension), and values (the product of every
    /// dimension), per input tensor.
    pub max_rows: usize,
}

pub use crate::models::wire::TensorData as Values;

/// A checked input tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct InputTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub datatype: DataType,
    pub values: Values,
}

impl InputTensor {
    /// The number of rows of a column-like tensor: shape `[n]` or `[n, 1]`.
    pub fn column_rows(&self) -> Result<usize, ApiError> {
        match self.shape.as_slice() {
            [n] | [n, 1] => Ok(*n),
            other => Err(ApiError::bad_request(format!(
                "input '{}' has shape {other:?}; it must be [n] (one value per row) or [n, 1]",
                self.name
            ))),
        }
    }
}

/// An output tensor of a response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub datatype: &'static str,
    pub data: OutputData,
}

/// Output values, row-major. Missing numbers serialise as `null`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OutputData {
    Bytes(Vec<String>),
    Fp64(Vec<Option<f64>>),
    Fp32(Vec<f32>),
}

impl OutputTensor {
    pub fn bytes(name: &str, shape: Vec<usize>, data: Vec<String>) -> Self {
        Self {
            name: name.to_owned(),
            shape,
            datatype: DataType::Bytes.name(),
            data: OutputData::Bytes(data),
        }
    }

    /// FP64 data; NaN and infinities become `null`.
    pub fn fp64(name: &str, shape: Vec<usize>, data: impl IntoIterator<Item = f64>) -> Self {
        Self {
            name: name.to_owned(),
            shape,
            datatype: DataType::Fp64.name(),
            data: OutputData::Fp64(
                data.into_iter()
                    .map(|v| v.is_finite().then_some(v))
                    .collect(),
            ),
        }
    }

    pub fn fp32(name: &str, shape: Vec<usize>, data: Vec<f32>) -> Self {
        Self {
            name: name.to_owned(),
            shape,
            datatype: DataType::Fp32.name(),
            data: OutputData::Fp32(data),
        }
    }
}

/// A V2 inference response.
#[derive(Debug, Serialize)]
pub struct InferResponse {
    pub model_name: String,
    pub model_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub outputs: Vec<OutputTensor>,
}

/// Tensor metadata as listed by the model metadata endpoint: the one
/// type the client reads too.
pub use crate::models::wire::TensorMeta as TensorSpec;

/// Reads the `index`-th entry of a request's `inputs`: its fields, its
/// datatype, its shape (at most `limits.max_rows` rows, and as many values
/// in all) and then its data (as many values as the shape holds, each of
/// the datatype), straight from the body's text into typed values.
pub fn decode_input(
    raw: &RawValue,
    index: usize,
    limits: TensorLimits,
    binary: &mut super::binary::Cursor<'_>,
) -> Result<InputTensor, ApiError> {
    let raw_input: RawInput<'_> = match serde_json::from_str(raw.get()) {
        Ok(r) => r,
        Err(e) => {
            let label = match serde_json::from_str::<NameOnly>(raw.get()) {
                Ok(NameOnly { name: Some(name) }) => format!("input '{name}'"),
                _ => format!("input #{} (it has no \"name\")", index + 1),
            };
            return Err(ApiError::bad_request(format!(
                "{label}: {e}. An input tensor is {{\"name\", \"shape\", \"datatype\", \"data\"}}."
            )));
        }
    };
    let raw = raw_input;
    let label = format!("input '{}'", raw.name);
    let binary_size = match parse_parameters(raw.parameters, &label)?
        .as_ref()
        .and_then(|p| p.get("binary_data_size"))
    {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{label}: binary_data_size must be a whole number of bytes, not {v}"
                    ))
                })?,
        ),
    };
    let Some(datatype) = DataType::parse(&raw.datatype) else {
        let names: Vec<&str> = DataType::ALL.iter().map(|d| d.name()).collect();
        return Err(ApiError::bad_request(format!(
            "{label}: datatype '{}' is not a V2 datatype; use one of {}",
            raw.datatype,
            names.join(", ")
        )));
    };
    let mut shape = Vec::with_capacity(raw.shape.len());
    for &dim in &raw.shape {
        let Ok(dim) = usize::try_from(dim) else {
            return Err(ApiError::bad_request(format!(
                "{label}: shape {:?} has a negative dimension; send the actual sizes",
                raw.shape
            )));
        };
        shape.push(dim);
    }
    let max_rows = limits.max_rows;
    if let Some(&rows) = shape.first()
        && rows > max_rows
    {
        return Err(ApiError::bad_request(format!(
            "{label} has {rows} rows; this server takes at most {max_rows} rows per request. Split the batch into smaller requests."
        )));
    }
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&c| c <= max_rows)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{label} has shape {shape:?}, more than {max_rows} values in all; this server takes at most {max_rows} values per input (its batch limit of {max_rows} rows counts every dimension). Split the batch into smaller requests."
            ))
        })?;
    let data = match (binary_size, raw.data) {
        (Some(size), None) => {
            let bytes = binary.take(&label, size)?;
            return Ok(InputTensor {
                values: super::binary::decode(&label, datatype, count, bytes)?,
                name: raw.name,
                shape,
                datatype,
            });
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(format!(
                "{label} has both \"data\" and binary_data_size; send its values one way"
            )));
        }
        (None, Some(data)) => data,
        (None, None) => {
            return Err(ApiError::bad_request(format!(
                "{label} has no \"data\" (and no binary_data_size); send its values"
            )));
        }
    };
    let values = crate::models::wire::read_json_data(&label, datatype, count, data.get(), false)
        .map_err(|e| ApiError::bad_request(e.replace("{shape}", &format!("{shape:?}"))))?;
    Ok(InputTensor {
        name: raw.name,
        shape,
        datatype,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode_with(v: Value, index: usize, max_rows: usize) -> Result<InputTensor, ApiError> {
        let raw = RawValue::from_string(v.to_string()).unwrap();
        decode_input(
            &raw,
            index,
            TensorLimits { max_rows },
            &mut crate::serve::binary::Cursor::new(&[]),
        )
    }

    fn decode(v: Value) -> Result<InputTensor, ApiError> {
        decode_with(v, 0, 1000)
    }

    #[test]
    fn nested_and_flat_data_decode_to_the_same_row_major_values() {
        let flat = decode(
            json!({"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3.5, 4]}),
        )
        .unwrap();
        let nested = decode(
            json!({"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3.5, 4]]}),
        )
        .unwrap();
        assert_eq!(flat, nested);
        assert_eq!(
            flat.values,
            Values::Float(vec![Some(1.0), Some(2.0), Some(3.5), Some(4.0)])
        );
        assert_eq!(flat.shape, vec![2, 2]);
    }

    #[test]
    fn data_that_does_not_fill_the_shape_names_the_tensor() {
        let err =
            decode(json!({"name": "speed", "shape": [3], "datatype": "FP64", "data": [1, 2]}))
                .unwrap_err();
        assert_eq!(err.status.as_u16(), 400);
        assert!(err.message.contains("input 'speed'"), "{}", err.message);
        assert!(err.message.contains("holds 3 values"), "{}", err.message);
    }

    #[test]
    fn bool_accepts_true_false_zero_and_one_only() {
        let t = decode(
            json!({"name": "rain", "shape": [4], "datatype": "BOOL", "data": [true, 0, 1, null]}),
        )
        .unwrap();
        assert_eq!(
            t.values,
            Values::Bool(vec![Some(true), Some(false), Some(true), None])
        );
        let err = decode(json!({"name": "rain", "shape": [1], "datatype": "BOOL", "data": [2]}))
            .unwrap_err();
        assert!(err.message.contains("value #1"), "{}", err.message);
    }

    #[test]
    fn integers_are_checked_against_their_datatype_range() {
        let t =
            decode(json!({"name": "n", "shape": [3], "datatype": "UINT8", "data": [0, 255, 7.0]}))
                .unwrap();
        assert_eq!(t.values, Values::Int(vec![Some(0), Some(255), Some(7)]));
        for (datatype, bad) in [
            ("UINT8", json!(256)),
            ("INT8", json!(-129)),
            ("INT64", json!(1.5)),
            ("UINT64", json!(-1)),
            ("INT32", json!("3")),
        ] {
            let err =
                decode(json!({"name": "n", "shape": [1], "datatype": datatype, "data": [bad]}))
                    .unwrap_err();
            assert!(
                err.message.contains("input 'n'") && err.message.contains(datatype),
                "{}",
                err.message
            );
        }
    }

    #[test]
    fn unknown_datatype_and_negative_shape_are_refused() {
        let err = decode(json!({"name": "x", "shape": [1], "datatype": "STRING", "data": ["a"]}))
            .unwrap_err();
        assert!(err.message.contains("BYTES"), "{}", err.message);
        let err = decode(json!({"name": "x", "shape": [-1], "datatype": "BYTES", "data": ["a"]}))
            .unwrap_err();
        assert!(err.message.contains("negative"), "{}", err.message);
    }

    #[test]
    fn too_many_rows_are_refused_before_decoding() {
        let err = decode_with(
            json!({"name": "x", "shape": [5], "datatype": "INT64", "data": [1, 2, 3, 4, 5]}),
            0,
            4,
        )
        .unwrap_err();
        assert!(err.message.contains("at most 4 rows"), "{}", err.message);
    }

    #[test]
    fn the_batch_limit_counts_every_dimension_of_the_shape() {
        // [1, 5] is one row but five values: over a limit of 4.
        let err = decode_with(
            json!({"name": "text", "shape": [1, 5], "datatype": "BYTES", "data": [["a", "b", "c", "d", "e"]]}),
            0,
            4,
        )
        .unwrap_err();
        assert!(
            err.message.contains("at most 4 values per input"),
            "{}",
            err.message
        );
        // A product that overflows is refused the same way.
        let err = decode_with(
            json!({"name": "x", "shape": [1, 4294967296_u64, 4294967296_u64], "datatype": "FP32", "data": []}),
            0,
            4,
        )
        .unwrap_err();
        assert!(err.message.contains("at most 4 values"), "{}", err.message);
    }

    #[test]
    fn more_data_than_the_shape_is_refused_as_soon_as_it_overflows() {
        let err = decode(json!({"name": "x", "shape": [2], "datatype": "FP64", "data": [1, 2, 3]}))
            .unwrap_err();
        assert!(err.message.contains("has more"), "{}", err.message);
        let err =
            decode(json!({"name": "x", "shape": [1], "datatype": "FP64", "data": [{"a": 1}]}))
                .unwrap_err();
        assert!(err.message.contains("an object"), "{}", err.message);
    }

    #[test]
    fn missing_fields_name_the_tensor_or_its_position() {
        let err = decode(json!({"name": "x", "datatype": "BYTES", "data": ["a"]})).unwrap_err();
        assert!(
            err.message.contains("input 'x'") && err.message.contains("shape"),
            "{}",
            err.message
        );
        let err = decode_with(
            json!({"shape": [1], "datatype": "BYTES", "data": ["a"]}),
            2,
            10,
        )
        .unwrap_err();
        assert!(err.message.contains("input #3"), "{}", err.message);
    }

    #[test]
    fn nan_outputs_serialise_as_null_and_f32_stays_short() {
        let t = OutputTensor::fp64("forecast", vec![2], [1.5, f64::NAN]);
        let f = OutputTensor::fp32("scores", vec![1], vec![0.1]);
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"name": "forecast", "shape": [2], "datatype": "FP64", "data": [1.5, null]})
        );
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"name":"scores","shape":[1],"datatype":"FP32","data":[0.1]}"#
        );
    }
}
