//! Every axum handler: health, server and model metadata, the model list
//! and repository index, readiness, V2 inference and the OpenAI-compatible
//! `POST /v1/embeddings`. Each one is a thin layer over the registry
//! reached through [`AppState`]: inference checks the content type, parses
//! and checks the body (shapes and the response size against the limits
//! before any model runs) and runs the model on the blocking pool through
//! the inference slots of [`super::limits`], so a long batch never stalls
//! the I/O threads and no more computations run at once than the cap.
//!
//! The handlers import the state, the registry and the adapters; nothing
//! below imports this file.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::binary;
use super::embeddings::{EmbeddingsRequest, openai_response};
use super::error::ApiError;
use super::guard::require_infer_content_type;
use super::limits::{check_output_values, output_values};
use super::registry::{MODEL_VERSION, ServedModel};
use super::state::{AppState, RequestLimits};
use super::tensor::{
    InferRequest, InferResponse, OutputTensor, TensorLimits, decode_input, parse_parameters,
};

pub async fn live() -> Json<Value> {
    Json(json!({ "live": true }))
}

pub async fn ready() -> Json<Value> {
    Json(json!({ "ready": true }))
}

pub async fn server_metadata() -> Json<Value> {
    Json(json!({
        "name": "cityops",
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": ["model_repository_index", "model_repository", "binary_tensor_data"],
    }))
}

/// `GET /v2/models` and `POST /v2/repository/index`.
pub async fn list_models(State(state): State<AppState>) -> Json<Value> {
    let list: Vec<Value> = state
        .registry
        .names()
        .into_iter()
        .map(|name| json!({ "name": name, "version": MODEL_VERSION, "state": "READY" }))
        .collect();
    Json(Value::Array(list))
}

pub async fn model_metadata(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let model = state.model(&name)?;
    Ok(Json(model.metadata(&name)).into_response())
}

pub async fn model_version_metadata(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let model = state.model_version(&name, &version)?;
    Ok(Json(model.metadata(&name)).into_response())
}

pub async fn model_ready(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.model(&name)?;
    Ok(Json(json!({ "name": name, "ready": true })))
}

pub async fn model_version_ready(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    state.model_version(&name, &version)?;
    Ok(Json(json!({ "name": name, "ready": true })))
}

pub async fn infer(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_infer_content_type(&headers)?;
    let model = state.model(&name)?;
    run_infer(state, name, model, &headers, body).await
}

pub async fn infer_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_infer_content_type(&headers)?;
    let model = state.model_version(&name, &version)?;
    run_infer(state, name, model, &headers, body).await
}

/// `POST /v1/embeddings`: the OpenAI way to call an embedding model.
pub async fn openai_embeddings(
    State(state): State<AppState>,
    body: Result<Json<EmbeddingsRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|e| ApiError {
        // 415 for a body that is not declared JSON; 400 for the rest, as
        // on the V2 endpoints.
        status: if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            e.status()
        } else {
            StatusCode::BAD_REQUEST
        },
        message: format!(
            "the body must be {{\"model\": NAME, \"input\": TEXT or [TEXT, ...]}} sent as 'Content-Type: application/json': {}",
            e.body_text()
        ),
    })?;
    let model = state.model(&req.model)?;
    let texts = req.input.into_texts();
    let limits = state.limits;
    if texts.len() > limits.max_batch_rows {
        return Err(ApiError::bad_request(format!(
            "{} inputs is more than this server's limit of {} per request",
            texts.len(),
            limits.max_batch_rows
        )));
    }
    let name = req.model;
    let not_embedding = |name: &str| {
        ApiError::bad_request(format!(
            "model '{name}' is not an embedding model; GET /v2/models lists the models"
        ))
    };
    let Some(dim) = model.embedder().map(|e| e.dim()) else {
        return Err(not_embedding(&name));
    };
    check_output_values(
        &name,
        texts.len().saturating_mul(dim),
        limits.max_output_values,
    )?;
    let body = state
        .inference
        .run(move || {
            let Some(embedder) = model.embedder() else {
                return Err(not_embedding(&name));
            };
            openai_response(&name, &embedder.embed(&texts)?)
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Unknown paths: a JSON 404 that points at the API.
pub async fn no_such_endpoint(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "no endpoint {method} {}: this server speaks the Open Inference Protocol V2 under /v2 (GET /v2/models lists the models)",
        uri.path()
    ))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: format!(
            "{} does not take {method}: inference is POST, metadata and health are GET",
            uri.path()
        ),
    }
}

async fn run_infer(
    state: AppState,
    name: String,
    model: Arc<ServedModel>,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let limits = state.limits;
    // Where the JSON header ends, when the body carries binary tensors.
    let json_len = binary::split(headers, &body)?.0.len();
    let encoded = state
        .inference
        .run(move || {
            let (json, bin) = body.split_at(json_len);
            infer_blocking(&name, &model, json, bin, limits)
        })
        .await?;
    Ok(match encoded.json_len {
        None => ([(header::CONTENT_TYPE, "application/json")], encoded.body).into_response(),
        Some(n) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                (
                    header::HeaderName::from_static(binary::HEADER_LENGTH),
                    n.to_string(),
                ),
            ],
            encoded.body,
        )
            .into_response(),
    })
}

/// A response body: JSON, or a JSON header of `json_len` bytes followed
/// by binary outputs.
#[derive(Debug)]
pub struct Encoded {
    pub body: Vec<u8>,
    pub json_len: Option<usize>,
}

/// Parses the request, checks the response size, runs the model, keeps the
/// requested outputs and serialises the response. Runs on the blocking
/// pool.
pub(crate) fn infer_blocking(
    name: &str,
    model: &ServedModel,
    body: &[u8],
    binary_part: &[u8],
    limits: RequestLimits,
) -> Result<Encoded, ApiError> {
    let request: InferRequest<'_> = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not a V2 inference request: {e}. Send JSON like {{\"inputs\": [{{\"name\", \"shape\", \"datatype\", \"data\"}}]}}."
        ))
    })?;
    let parameters = parse_parameters(request.parameters, "the request")?;
    let tensor_limits = TensorLimits {
        max_rows: limits.max_batch_rows,
    };
    let mut cursor = binary::Cursor::new(binary_part);
    let inputs = request
        .inputs
        .into_iter()
        .enumerate()
        .map(|(i, raw)| decode_input(raw, i, tensor_limits, &mut cursor))
        .collect::<Result<Vec<_>, _>>()?;
    cursor.finish()?;
    // Binary outputs: all of them (`binary_data_output`), or those asked
    // for with `binary_data` (which overrides it either way).
    let all_binary = parameters
        .as_ref()
        .and_then(|p| p.get("binary_data_output"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    check_output_values(
        name,
        output_values(model, &inputs),
        limits.max_output_values,
    )?;
    let mut outputs = model.infer(name, inputs, parameters.as_ref())?;
    let mut binary_outputs: Vec<bool> = vec![all_binary; outputs.len()];
    if let Some(wanted) = request.outputs {
        let mut picked = Vec::with_capacity(wanted.len());
        binary_outputs.clear();
        for w in wanted {
            binary_outputs.push(
                w.parameters
                    .as_ref()
                    .and_then(|p| p.get("binary_data"))
                    .and_then(Value::as_bool)
                    .unwrap_or(all_binary),
            );
            if picked.iter().any(|o: &OutputTensor| o.name == w.name) {
                return Err(ApiError::bad_request(format!(
                    "output '{}' is requested twice; name each output once",
                    w.name
                )));
            }
            let Some(i) = outputs.iter().position(|o| o.name == w.name) else {
                let names: Vec<String> = model.outputs().into_iter().map(|o| o.name).collect();
                return Err(ApiError::bad_request(format!(
                    "model '{name}' has no output '{}'; its outputs are {}",
                    w.name,
                    names.join(", ")
                )));
            };
            picked.push(outputs.swap_remove(i));
        }
        outputs = picked;
    }
    let write_error =
        |e: serde_json::Error| ApiError::internal(format!("cannot write the response: {e}"));
    if !binary_outputs.iter().any(|&b| b) {
        let response = InferResponse {
            model_name: name.to_owned(),
            model_version: MODEL_VERSION,
            id: request.id,
            outputs,
        };
        return Ok(Encoded {
            body: serde_json::to_vec(&response).map_err(write_error)?,
            json_len: None,
        });
    }
    // The JSON header names each binary output's size; the bytes follow
    // in the same order.
    let mut tail = Vec::new();
    let mut listed = Vec::with_capacity(outputs.len());
    for (o, binary) in outputs.iter().zip(&binary_outputs) {
        if *binary {
            let bytes = binary::encode(&o.data);
            listed.push(json!({
                "name": o.name,
                "shape": o.shape,
                "datatype": o.datatype,
                "parameters": {"binary_data_size": bytes.len()},
            }));
            tail.extend_from_slice(&bytes);
        } else {
            listed.push(serde_json::to_value(o).map_err(write_error)?);
        }
    }
    let mut header = json!({
        "model_name": name,
        "model_version": MODEL_VERSION,
        "outputs": listed,
    });
    if let Some(id) = request.id {
        header["id"] = Value::String(id);
    }
    let mut body = serde_json::to_vec(&header).map_err(write_error)?;
    let json_len = body.len();
    body.extend_from_slice(&tail);
    Ok(Encoded {
        body,
        json_len: Some(json_len),
    })
}
