//! Tensors on the wire: the Open Inference Protocol V2 JSON request and
//! response bodies, its datatypes, and decoding an input tensor's `data`
//! (flat row-major or nested arrays) into typed values after checking it
//! against the tensor's `shape`.
//!
//! Every error names the tensor (and the value's position when one value is
//! wrong) and says what was expected. This file knows nothing of models.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ApiError;

/// The V2 tensor datatypes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataType {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Fp16,
    Fp32,
    Fp64,
    Bytes,
}

impl DataType {
    pub const ALL: [Self; 13] = [
        Self::Bool,
        Self::Int8,
        Self::Int16,
        Self::Int32,
        Self::Int64,
        Self::Uint8,
        Self::Uint16,
        Self::Uint32,
        Self::Uint64,
        Self::Fp16,
        Self::Fp32,
        Self::Fp64,
        Self::Bytes,
    ];

    /// The name on the wire: `BOOL`, `INT64`, `FP32`, `BYTES`, …
    pub fn name(self) -> &'static str {
        match self {
            Self::Bool => "BOOL",
            Self::Int8 => "INT8",
            Self::Int16 => "INT16",
            Self::Int32 => "INT32",
            Self::Int64 => "INT64",
            Self::Uint8 => "UINT8",
            Self::Uint16 => "UINT16",
            Self::Uint32 => "UINT32",
            Self::Uint64 => "UINT64",
            Self::Fp16 => "FP16",
            Self::Fp32 => "FP32",
            Self::Fp64 => "FP64",
            Self::Bytes => "BYTES",
        }
    }

    /// Parses a wire name (upper case per the protocol; lower case is
    /// accepted too).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(name))
    }

    /// The inclusive range of an integer datatype.
    fn integer_range(self) -> Option<(i128, i128)> {
        Some(match self {
            Self::Int8 => (i8::MIN.into(), i8::MAX.into()),
            Self::Int16 => (i16::MIN.into(), i16::MAX.into()),
            Self::Int32 => (i32::MIN.into(), i32::MAX.into()),
            Self::Int64 => (i64::MIN.into(), i64::MAX.into()),
            Self::Uint8 => (0, u8::MAX.into()),
            Self::Uint16 => (0, u16::MAX.into()),
            Self::Uint32 => (0, u32::MAX.into()),
            // Held as i64: larger values are refused with a message.
            Self::Uint64 => (0, i64::MAX.into()),
            _ => return None,
        })
    }

    pub fn is_integer(self) -> bool {
        self.integer_range().is_some()
    }

    pub fn is_float(self) -> bool {
        matches!(self, Self::Fp16 | Self::Fp32 | Self::Fp64)
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A V2 inference request. Inputs stay raw JSON until [`decode_input`]
/// reads them one by one, so an error can name the tensor.
#[derive(Debug, Deserialize)]
pub struct InferRequest {
    #[serde(default)]
    pub id: Option<String>,
    pub inputs: Vec<Value>,
    #[serde(default)]
    pub outputs: Option<Vec<RequestedOutput>>,
    #[serde(default)]
    pub parameters: Option<Map<String, Value>>,
}

/// An entry of the request's `outputs`: which output to return.
#[derive(Debug, Deserialize)]
pub struct RequestedOutput {
    pub name: String,
}

/// An input tensor as sent, before its data is checked.
#[derive(Debug, Deserialize)]
struct RawInput {
    name: String,
    shape: Vec<i64>,
    datatype: String,
    data: Value,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
}

/// An input tensor's values in row-major order; `None` is a JSON `null`
/// (a missing value).
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Bool(Vec<Option<bool>>),
    /// Every integer datatype.
    Int(Vec<Option<i64>>),
    /// FP16, FP32 and FP64.
    Float(Vec<Option<f64>>),
    Bytes(Vec<Option<String>>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Self::Bool(v) => v.len(),
            Self::Int(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Bytes(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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

/// Tensor metadata as listed by the model metadata endpoint. Shapes use
/// `-1` for a dimension of any size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TensorSpec {
    pub name: String,
    pub datatype: &'static str,
    pub shape: Vec<i64>,
}

impl TensorSpec {
    pub fn new(name: impl Into<String>, datatype: DataType, shape: Vec<i64>) -> Self {
        Self {
            name: name.into(),
            datatype: datatype.name(),
            shape,
        }
    }
}

/// Collects the leaves of nested arrays, row-major.
fn flatten<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| flatten(v, out)),
        leaf => out.push(leaf),
    }
}

/// What a JSON value is, for messages.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 40 => {
            format!("the string \"{}…\"", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

/// Reads the `index`-th entry of a request's `inputs`: its fields, its
/// datatype, its shape (at most `max_rows` rows) and its data (as many
/// values as the shape holds, each of the datatype).
pub fn decode_input(raw: Value, index: usize, max_rows: usize) -> Result<InputTensor, ApiError> {
    let label = match raw.get("name").and_then(Value::as_str) {
        Some(name) => format!("input '{name}'"),
        None => format!("input #{} (it has no \"name\")", index + 1),
    };
    let raw: RawInput = serde_json::from_value(raw).map_err(|e| {
        ApiError::bad_request(format!(
            "{label}: {e}. An input tensor is {{\"name\", \"shape\", \"datatype\", \"data\"}}."
        ))
    })?;
    let label = format!("input '{}'", raw.name);
    if raw
        .parameters
        .as_ref()
        .is_some_and(|p| p.contains_key("binary_data_size"))
    {
        return Err(ApiError::bad_request(format!(
            "{label}: binary tensor data is not supported; send the values in \"data\" as JSON"
        )));
    }
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
        .ok_or_else(|| {
            ApiError::bad_request(format!("{label}: shape {shape:?} is impossibly large"))
        })?;
    let mut leaves = Vec::new();
    flatten(&raw.data, &mut leaves);
    if leaves.len() != count {
        return Err(ApiError::bad_request(format!(
            "{label}: shape {shape:?} holds {count} values but \"data\" has {}. Send exactly the shape's product of values, flat in row-major order or nested.",
            leaves.len()
        )));
    }
    let values = decode_values(&label, datatype, &leaves)?;
    Ok(InputTensor {
        name: raw.name,
        shape,
        datatype,
        values,
    })
}

/// Converts the leaves to `datatype`'s values; `null` is a missing value.
fn decode_values(label: &str, datatype: DataType, leaves: &[&Value]) -> Result<Values, ApiError> {
    let wrong = |i: usize, v: &Value, expected: &str| {
        ApiError::bad_request(format!(
            "{label}, value #{}: expected {expected} for {datatype}, found {}",
            i + 1,
            describe(v)
        ))
    };
    Ok(match datatype {
        DataType::Bool => Values::Bool(
            leaves
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Null => Ok(None),
                    Value::Bool(b) => Ok(Some(*b)),
                    Value::Number(n) if n.as_f64() == Some(0.0) => Ok(Some(false)),
                    Value::Number(n) if n.as_f64() == Some(1.0) => Ok(Some(true)),
                    other => Err(wrong(i, other, "true, false, 0 or 1")),
                })
                .collect::<Result<_, _>>()?,
        ),
        DataType::Fp16 | DataType::Fp32 | DataType::Fp64 => Values::Float(
            leaves
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Null => Ok(None),
                    Value::Number(n) => n.as_f64().map(Some).ok_or_else(|| wrong(i, v, "a number")),
                    other => Err(wrong(i, other, "a number")),
                })
                .collect::<Result<_, _>>()?,
        ),
        DataType::Bytes => Values::Bytes(
            leaves
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(s.clone())),
                    other => Err(wrong(i, other, "a string")),
                })
                .collect::<Result<_, _>>()?,
        ),
        integer => {
            let (lo, hi) = integer.integer_range().unwrap_or((0, 0));
            let expected = format!("a whole number from {lo} to {hi}");
            Values::Int(
                leaves
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let n = match v {
                            Value::Null => return Ok(None),
                            Value::Number(n) => n
                                .as_i64()
                                .map(i128::from)
                                .or_else(|| n.as_u64().map(i128::from))
                                .or_else(|| {
                                    // 3.0 is a whole number too.
                                    n.as_f64()
                                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                                        .map(|f| f as i128)
                                }),
                            _ => None,
                        };
                        match n {
                            Some(n) if (lo..=hi).contains(&n) => Ok(i64::try_from(n).ok()),
                            _ => Err(wrong(i, v, &expected)),
                        }
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(v: Value) -> Result<InputTensor, ApiError> {
        decode_input(v, 0, 1000)
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
        let err = decode_input(
            json!({"name": "x", "shape": [5], "datatype": "INT64", "data": [1, 2, 3, 4, 5]}),
            0,
            4,
        )
        .unwrap_err();
        assert!(err.message.contains("at most 4 rows"), "{}", err.message);
    }

    #[test]
    fn missing_fields_name_the_tensor_or_its_position() {
        let err = decode(json!({"name": "x", "datatype": "BYTES", "data": ["a"]})).unwrap_err();
        assert!(
            err.message.contains("input 'x'") && err.message.contains("shape"),
            "{}",
            err.message
        );
        let err = decode_input(
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
