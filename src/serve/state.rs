//! What every handler shares: the loaded models, the per-request limits
//! and the inference slots, with the lookups of a model by name (and
//! version) that answer 404 naming the models there are.
//!
//! Uses the registry, the limits and the error type; it must not import
//! the handlers (`routes`) or an adapter, so the imports in `serve` run one
//! way: adapters → registry → state → routes → the router in `mod.rs`.

use std::sync::Arc;

use super::error::ApiError;
use super::limits::InferenceSlots;
use super::registry::{MODEL_VERSION, Registry, ServedModel};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub registry: Arc<Registry>,
    /// The server has a token (changing the models needs one).
    pub token_set: bool,
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
    /// The model by name; 404 listing the served models when there is none.
    pub fn model(&self, name: &str) -> Result<Arc<ServedModel>, ApiError> {
        self.registry
            .get(name)
            .ok_or_else(|| ApiError::unknown_model(name, &self.registry.names()))
    }

    /// The model, when `version` is the one version every model has.
    pub fn model_version(&self, name: &str, version: &str) -> Result<Arc<ServedModel>, ApiError> {
        let model = self.model(name)?;
        if version != MODEL_VERSION {
            return Err(ApiError::not_found(format!(
                "model '{name}' has no version '{version}'; cityops serves version {MODEL_VERSION} of every model"
            )));
        }
        Ok(model)
    }
}
