//! The endpoint handlers: health, server and model metadata, the model
//! list and repository index, readiness and inference. Each one is a thin
//! layer over the [`Registry`]: inference checks the content type, parses
//! and checks the body (shapes and the response size against the limits
//! before any model runs) and runs the model on the blocking pool through
//! the inference slots of [`super::limits`], so a long batch never stalls
//! the I/O threads and no more computations run at once than the cap.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::ApiError;
use super::guard::require_infer_content_type;
use super::limits::{InferenceSlots, check_output_values, output_values};
use super::registry::{MODEL_VERSION, Registry, ServedModel};
use super::tensor::{
    InferRequest, InferResponse, OutputTensor, TensorLimits, decode_input, parse_parameters,
};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub limits: RequestLimits,
    pub inference: InferenceSlots,
}

/// The per-request limits the handlers check.
#[derive(Clone, Copy, Debug)]
pub struct RequestLimits {
    /// Rows, and values in all, per input tensor (and texts per embeddings
    /// request).
    pub max_batch_rows: usize,
    /// Values in a response.
    pub max_output_values: usize,
}

impl AppState {
    /// The model by name, for handlers outside this file.
    pub(crate) fn model_arc(&self, name: &str) -> Result<Arc<ServedModel>, ApiError> {
        self.model(name)
    }

    fn model(&self, name: &str) -> Result<Arc<ServedModel>, ApiError> {
        self.registry
            .get(name)
            .ok_or_else(|| ApiError::unknown_model(name, &self.registry.names()))
    }

    /// The model, when `version` is the one version every model has.
    fn model_version(&self, name: &str, version: &str) -> Result<Arc<ServedModel>, ApiError> {
        let model = self.model(name)?;
        if version != MODEL_VERSION {
            return Err(ApiError::not_found(format!(
                "model '{name}' has no version '{version}'; cityops serves version {MODEL_VERSION} of every model"
            )));
        }
        Ok(model)
    }
}

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
        "extensions": ["model_repository_index"],
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
    run_infer(state, name, model, body).await
}

pub async fn infer_version(
    State(state): State<AppState>,
    Path((name, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    require_infer_content_type(&headers)?;
    let model = state.model_version(&name, &version)?;
    run_infer(state, name, model, body).await
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
    body: Bytes,
) -> Result<Response, ApiError> {
    let limits = state.limits;
    let json = state
        .inference
        .run(move || infer_blocking(&name, &model, &body, limits))
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// Parses the request, checks the response size, runs the model, keeps the
/// requested outputs and serialises the response. Runs on the blocking
/// pool.
pub(crate) fn infer_blocking(
    name: &str,
    model: &ServedModel,
    body: &[u8],
    limits: RequestLimits,
) -> Result<Vec<u8>, ApiError> {
    let request: InferRequest<'_> = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not a V2 inference request: {e}. Send JSON like {{\"inputs\": [{{\"name\", \"shape\", \"datatype\", \"data\"}}]}}."
        ))
    })?;
    let parameters = parse_parameters(request.parameters, "the request")?;
    let tensor_limits = TensorLimits {
        max_rows: limits.max_batch_rows,
    };
    let inputs = request
        .inputs
        .into_iter()
        .enumerate()
        .map(|(i, raw)| decode_input(raw, i, tensor_limits))
        .collect::<Result<Vec<_>, _>>()?;
    check_output_values(
        name,
        output_values(model, &inputs),
        limits.max_output_values,
    )?;
    let mut outputs = model.infer(name, inputs, parameters.as_ref())?;
    if let Some(wanted) = request.outputs {
        let mut picked = Vec::with_capacity(wanted.len());
        for w in wanted {
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
    let response = InferResponse {
        model_name: name.to_owned(),
        model_version: MODEL_VERSION,
        id: request.id,
        outputs,
    };
    serde_json::to_vec(&response)
        .map_err(|e| ApiError::internal(format!("cannot write the response: {e}")))
}
