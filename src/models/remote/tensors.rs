//! Tensors as the V2 client reads them: model metadata, the flat values
//! of a tensor, and answers parsed with the field that is wrong named.

use super::*;

pub use crate::models::wire::{ModelMetadata, TensorMeta};

/// True for a recommender as `cityops serve` describes one (its metadata
/// parameters say `"kind": "recommender"`), or any model that takes user ids
/// as text and answers a `[users, k]` list of item ids.
pub fn is_recommender(meta: &ModelMetadata) -> bool {
    if let Some(kind) = meta.parameters.get("kind").and_then(Value::as_str) {
        return crate::models::ModelKind::parse(kind)
            == Some(crate::models::ModelKind::Recommender);
    }
    meta.inputs.iter().any(|t| t.datatype == "BYTES")
        && meta
            .outputs
            .iter()
            .any(|t| t.datatype == "BYTES" && t.shape.len() == 2)
}

use crate::models::wire::DataType;
pub use crate::models::wire::TensorData;

impl TensorData {
    pub(super) fn fits(&self, kind: DataKind) -> bool {
        matches!(
            (self, kind),
            (Self::Bool(_), DataKind::Bool)
                | (Self::Int(_), DataKind::Int { .. })
                | (Self::Float(_), DataKind::Float)
                | (Self::Bytes(_), DataKind::Bytes)
        )
    }
}

/// One tensor of an inference request or answer, as the protocol writes it:
/// `{"name", "shape", "datatype", "data": [...]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InferTensor {
    pub name: String,
    pub shape: Vec<i64>,
    pub datatype: String,
    pub data: TensorData,
}

/// How the values of a datatype are written in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DataKind {
    Bool,
    Int { min: i64, max: i64 },
    Float,
    Bytes,
}

pub(super) fn data_kind(datatype: &str) -> Option<DataKind> {
    let d = DataType::parse(&datatype.to_ascii_uppercase())?;
    Some(if d == DataType::Bool {
        DataKind::Bool
    } else if let Some((lo, hi)) = d.integer_range() {
        let clamp = |x: i128| x.clamp(i64::MIN.into(), i64::MAX.into()) as i64;
        DataKind::Int {
            min: clamp(lo),
            max: clamp(hi),
        }
    } else if d.is_float() {
        DataKind::Float
    } else {
        DataKind::Bytes
    })
}

pub(super) fn parse_tensor_meta(v: &Value, at: &str) -> Result<TensorMeta, Bad> {
    Ok(TensorMeta {
        name: string_field(v, "name", at)?,
        datatype: string_field(v, "datatype", at)?.to_ascii_uppercase(),
        shape: shape_field(v, "shape", at)?,
    })
}

pub(super) fn parse_tensor_metas(obj: &Value, key: &str) -> Result<Vec<TensorMeta>, Bad> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, t)| parse_tensor_meta(t, &format!("{key}[{i}]")))
            .collect(),
        Some(_) => Err(bad(key, "should be a list of tensors")),
    }
}

pub(super) fn parse_metadata(v: &Value, model: &str) -> Result<ModelMetadata, Bad> {
    if !v.is_object() {
        return Err(bad("(answer)", "should be a JSON object"));
    }
    let name = match v.get("name") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => model.to_owned(),
        Some(other) => return Err(bad("name", format!("should be a string, not {other}"))),
    };
    let versions = match v.get("versions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(bad("versions", format!("has {other}, not a version"))),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("versions", "should be a list of strings")),
    };
    let platform = match v.get("platform") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    Ok(ModelMetadata {
        name,
        versions,
        platform,
        inputs: parse_tensor_metas(v, "inputs")?,
        outputs: parse_tensor_metas(v, "outputs")?,
        parameters: v.get("parameters").cloned().unwrap_or(Value::Null),
    })
}

/// An output tensor's name, datatype (upper case), shape and element count.
pub(super) fn tensor_head(v: &Value, at: &str) -> Result<(String, String, Vec<i64>, usize), Bad> {
    let name = string_field(v, "name", at)?;
    let datatype = string_field(v, "datatype", at)?.to_ascii_uppercase();
    let shape = shape_field(v, "shape", at)?;
    if data_kind(&datatype).is_none() {
        return Err(bad(
            join(at, "datatype"),
            format!("is '{datatype}', which is not a V2 datatype"),
        ));
    }
    let count = element_count(&shape).ok_or_else(|| {
        bad(
            join(at, "shape"),
            format!("is {}, which is not a concrete shape", shape_text(&shape)),
        )
    })?;
    Ok((name, datatype, shape, count))
}

pub(super) fn parse_infer_tensor(v: &Value, at: &str) -> Result<InferTensor, Bad> {
    let (name, datatype, shape, count) = tensor_head(v, at)?;
    let data_field = join(at, "data");
    let dt = DataType::parse(&datatype).ok_or_else(|| {
        bad(
            join(at, "datatype"),
            format!("is '{datatype}', which is not a V2 datatype"),
        )
    })?;
    // The one reader of tensor data the server uses too (an answer's data
    // read leniently). The shape is only a claim: values are counted as
    // read, and nothing is reserved from the claim.
    let raw = serde_json::to_string(required(v, "data", at)?)
        .map_err(|e| bad(data_field.clone(), e.to_string()))?;
    let data = crate::models::wire::read_json_data("", dt, count, &raw, true).map_err(|m| {
        bad(
            data_field.clone(),
            format!(
                "{} (shape {})",
                m.trim_start_matches([':', ',', ' ']),
                shape_text(&shape)
            ),
        )
    })?;
    Ok(InferTensor {
        name,
        data,
        shape,
        datatype,
    })
}

/// Model names from `{"models": [...]}` or a bare list, whose items are
/// names or objects with a `name`.
pub(super) fn parse_model_list(v: &Value) -> Result<Vec<String>, Bad> {
    let (items, field) = match v {
        Value::Array(items) => (items, "(answer)"),
        Value::Object(obj) => match obj.get("models") {
            Some(Value::Array(items)) => (items, "models"),
            _ => return Err(bad("models", "is missing or not a list")),
        },
        _ => return Err(bad("(answer)", "should be a list of models")),
    };
    let mut names: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = match item {
            Value::String(s) => s.clone(),
            Value::Object(_) => string_field(item, "name", &format!("{field}[{i}]"))?,
            other => return Err(bad(format!("{field}[{i}]"), format!("is {other}"))),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// A file of a deployed model: its name and bytes.
pub type UploadFile = (String, Vec<u8>);

/// The largest bundle file deployed (the server's body limit applies too).
pub const MAX_DEPLOY_FILE_BYTES: u64 = 1 << 30;

/// A bundle's name and files — its card `NAME.json` and weights
/// `NAME.safetensors` — for [`V2Client::deploy`]; `model` is `models/NAME`
/// or the card's path.
pub fn bundle_files(model: &std::path::Path) -> Result<(String, Vec<UploadFile>), String> {
    if model.is_dir() {
        // A sentence encoder's folder, deployed under the folder's name.
        let name = model
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or_else(|| format!("{}: names no folder", model.display()))?;
        let mut files = Vec::new();
        for file in crate::text::sentence::REQUIRED_FILES {
            let path = model.join(file);
            let bytes = crate::data::file::read_regular(&path, MAX_DEPLOY_FILE_BYTES)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((file.to_owned(), bytes));
        }
        return Ok((name, files));
    }
    let card = if model.extension().is_some_and(|e| e == "json") {
        model.to_owned()
    } else {
        model.with_extension("json")
    };
    let name = card
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: names no model file", model.display()))?;
    let mut files = Vec::new();
    for path in [card.clone(), card.with_extension("safetensors")] {
        let bytes = crate::data::file::read_regular(&path, MAX_DEPLOY_FILE_BYTES)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((file, bytes));
    }
    Ok((name, files))
}
