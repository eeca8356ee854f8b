//! Triton's model repository extension: `POST /v2/repository/models/NAME/load`
//! and `/unload`, with model files uploaded as Triton documents them — the
//! load request's `parameters` hold `"file:NAME.json"` and
//! `"file:NAME.safetensors"`, each base64-encoded.
//!
//! Changing what a server serves always needs its token, even on this
//! machine. An upload is checked exactly as a local model is (it is loaded
//! from a private staging folder inside the models folder first), then its
//! files are renamed into place — weights first, the previous weights kept
//! as `NAME.safetensors.prev` until the new card is in place, as a local
//! save does — and the model is swapped in: requests already running
//! finish on the old one, and nothing is restarted. A load without files
//! loads `NAME.json` again from the folder; unload stops serving a model
//! and leaves its files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use base64::Engine as _;
use serde_json::{Value, json};

use super::error::ApiError;
use super::registry::{ServedModel, load_card};
use super::state::AppState;

fn need_token(state: &AppState) -> Result<(), ApiError> {
    if state.token_set {
        return Ok(());
    }
    Err(ApiError {
        status: axum::http::StatusCode::FORBIDDEN,
        message: "loading and unloading models changes what this server serves, so it needs a token even on this machine: start it with `cityops serve --token TOKEN` and send `Authorization: Bearer TOKEN`".to_owned(),
    })
}

fn check_name(name: &str) -> Result<(), ApiError> {
    match crate::models::fetch::name_problem(name) {
        Some(problem) => Err(ApiError::bad_request(format!(
            "the model name '{name}' {problem}; a model is named like its card file, NAME.json"
        ))),
        None => Ok(()),
    }
}

/// `POST /v2/repository/models/{name}/load`.
pub async fn load(
    State(state): State<AppState>,
    UrlPath(name): UrlPath<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    need_token(&state)?;
    check_name(&name)?;
    let files = uploaded_files(&name, &body)?;
    let dir = state.registry.dir().to_owned();
    let registry = std::sync::Arc::clone(&state.registry);
    let model_name = name.clone();
    let kind = tokio::task::spawn_blocking(move || -> Result<&'static str, ApiError> {
        let model = match files {
            Some(files) => install(&dir, &model_name, &files)?,
            None => {
                let card = dir.join(format!("{model_name}.json"));
                if !card.is_file() {
                    return Err(ApiError::not_found(format!(
                        "there is no {model_name}.json in the models folder to load; upload the files with the request (cityops deploy does)"
                    )));
                }
                load_card(&card)
                    .map_err(|e| ApiError::bad_request(format!("model '{model_name}': {e}")))?
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "model '{model_name}' is of a kind served from a folder, not a card"
                        ))
                    })?
            }
        };
        let kind = kind_name(&model);
        registry.insert(model_name, model);
        Ok(kind)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the load stopped: {e}")))??;
    eprintln!("loaded model '{name}' ({kind})");
    Ok(Json(
        json!({ "name": name, "state": "READY", "kind": kind }),
    ))
}

/// `POST /v2/repository/models/{name}/unload`.
pub async fn unload(
    State(state): State<AppState>,
    UrlPath(name): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    need_token(&state)?;
    if !state.registry.remove(&name) {
        return Err(ApiError::unknown_model(&name, &state.registry.names()));
    }
    eprintln!("unloaded model '{name}'");
    Ok(Json(json!({ "name": name, "state": "UNAVAILABLE" })))
}

fn kind_name(model: &ServedModel) -> &'static str {
    match model {
        ServedModel::Tabular { .. } => "tabular",
        ServedModel::Recommender { .. } => "recommender",
        ServedModel::WordVectors { .. } => "word_vectors",
        ServedModel::Sentence { .. } => "sentence_encoder",
    }
}

use crate::models::remote::UploadFile as File;

/// The files of a load request, `None` when it uploads none: exactly
/// `NAME.json` and `NAME.safetensors`.
fn uploaded_files(name: &str, body: &[u8]) -> Result<Option<Vec<File>>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let request: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the load request is not JSON ({e}); send {{\"parameters\": {{\"file:{name}.json\": BASE64, \"file:{name}.safetensors\": BASE64}}}} or nothing"
        ))
    })?;
    let Some(params) = request.get("parameters").and_then(Value::as_object) else {
        return Ok(None);
    };
    let allowed = [format!("{name}.json"), format!("{name}.safetensors")];
    let mut files = Vec::new();
    for (key, value) in params {
        let Some(file) = key.strip_prefix("file:") else {
            continue;
        };
        if !allowed.iter().any(|a| a == file) {
            return Err(ApiError::bad_request(format!(
                "'{file}' cannot be uploaded for model '{name}': a model is the two files {} and {}",
                allowed[0], allowed[1]
            )));
        }
        let text = value
            .as_str()
            .ok_or_else(|| ApiError::bad_request(format!("'{key}' must be a base64 string")))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| ApiError::bad_request(format!("'{key}' is not base64: {e}")))?;
        files.push((file.to_owned(), bytes));
    }
    if files.is_empty() {
        return Ok(None);
    }
    for a in &allowed {
        if !files.iter().any(|(f, _)| f == a) {
            return Err(ApiError::bad_request(format!(
                "the upload lacks '{a}'; send both {} and {}",
                allowed[0], allowed[1]
            )));
        }
    }
    Ok(Some(files))
}

/// A private staging folder in the models folder (hidden: never served).
fn staging_dir(dir: &Path, name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    dir.join(format!(
        ".deploy-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Writes the files into staging, loads them as a local model is loaded,
/// then moves them into place; returns the model.
fn install(dir: &Path, name: &str, files: &[File]) -> Result<ServedModel, ApiError> {
    let io = |what: &str, e: std::io::Error| {
        ApiError::internal(format!("cannot {what} in the models folder: {e}"))
    };
    let stage = staging_dir(dir, name);
    std::fs::create_dir_all(&stage).map_err(|e| io("make a staging folder", e))?;
    let cleanup = |r: Result<ServedModel, ApiError>| {
        let _ = std::fs::remove_dir_all(&stage);
        r
    };
    for (file, bytes) in files {
        let written = std::fs::File::create(stage.join(file)).and_then(|mut f| {
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_all()
        });
        if let Err(e) = written {
            return cleanup(Err(io("write the upload", e)));
        }
    }
    let card = stage.join(format!("{name}.json"));
    let model = match load_card(&card) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return cleanup(Err(ApiError::bad_request(format!(
                "model '{name}' is of a kind served from a folder, not a card"
            ))));
        }
        Err(e) => {
            return cleanup(Err(ApiError::bad_request(format!(
                "the uploaded model '{name}' does not load: {e}. Nothing was changed on the server."
            ))));
        }
    };
    // Weights first, the old ones kept beside until the new card is in.
    let weights = dir.join(format!("{name}.safetensors"));
    let previous = dir.join(format!("{name}.safetensors.prev"));
    if weights.exists() {
        let _ = std::fs::rename(&weights, &previous);
    }
    let moved = std::fs::rename(stage.join(format!("{name}.safetensors")), &weights)
        .and_then(|()| std::fs::rename(&card, dir.join(format!("{name}.json"))));
    if let Err(e) = moved {
        if previous.exists() && !weights.exists() {
            let _ = std::fs::rename(&previous, &weights);
        }
        return cleanup(Err(io("move the upload into place", e)));
    }
    let _ = std::fs::remove_file(&previous);
    cleanup(Ok(model))
}
