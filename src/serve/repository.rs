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
    let bundle = [format!("{name}.json"), format!("{name}.safetensors")];
    let folder = crate::text::sentence::REQUIRED_FILES.map(str::to_owned);
    let mut files = Vec::new();
    for (key, value) in params {
        let Some(file) = key.strip_prefix("file:") else {
            continue;
        };
        if !bundle.iter().chain(&folder).any(|a| a == file) {
            return Err(ApiError::bad_request(format!(
                "'{file}' cannot be uploaded for model '{name}': a model is the two files {} and {}, or a sentence encoder's {}",
                bundle[0],
                bundle[1],
                folder.join(", ")
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
    // A card and its weights, or an encoder's folder: all of one, none of
    // the other.
    let is_folder = files.iter().any(|(f, _)| folder.contains(f));
    let needed: &[String] = if is_folder { &folder } else { &bundle };
    for a in needed {
        if !files.iter().any(|(f, _)| f == a) {
            return Err(ApiError::bad_request(format!(
                "the upload lacks '{a}'; send {}",
                needed.join(", ")
            )));
        }
    }
    if files.iter().any(|(f, _)| !needed.contains(f)) {
        return Err(ApiError::bad_request(format!(
            "the upload mixes a model card's files with a sentence encoder's; send either {} or {}",
            bundle.join(", "),
            folder.join(", ")
        )));
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

/// A failure of the models folder's disk, for the client.
fn io_error(what: &str, e: std::io::Error) -> ApiError {
    ApiError::internal(format!("cannot {what} in the models folder: {e}"))
}

/// The uploaded files written (and synced) into a fresh staging folder; on
/// failure nothing is left behind.
fn write_staged(dir: &Path, name: &str, files: &[File]) -> Result<PathBuf, ApiError> {
    let stage = staging_dir(dir, name);
    std::fs::create_dir_all(&stage).map_err(|e| io_error("make a staging folder", e))?;
    for (file, bytes) in files {
        let written = std::fs::File::create(stage.join(file)).and_then(|mut f| {
            std::io::Write::write_all(&mut f, bytes)?;
            f.sync_all()
        });
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&stage);
            return Err(io_error("write the upload", e));
        }
    }
    Ok(stage)
}

/// Writes the files into staging, loads them as a local model is loaded,
/// then moves them into place; returns the model.
fn install(dir: &Path, name: &str, files: &[File]) -> Result<ServedModel, ApiError> {
    if files
        .iter()
        .any(|(f, _)| crate::text::sentence::REQUIRED_FILES.contains(&f.as_str()))
    {
        return install_folder(dir, name, files);
    }
    let stage = write_staged(dir, name, files)?;
    let cleanup = |r: Result<ServedModel, ApiError>| {
        let _ = std::fs::remove_dir_all(&stage);
        r
    };
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
        return cleanup(Err(io_error("move the upload into place", e)));
    }
    let _ = std::fs::remove_file(&previous);
    cleanup(Ok(model))
}

/// A sentence encoder's folder: written into staging, loaded as a local
/// folder is, then swapped in for the folder of that name (the previous
/// one kept aside until the new one is in place).
fn install_folder(dir: &Path, name: &str, files: &[File]) -> Result<ServedModel, ApiError> {
    if dir.join(format!("{name}.json")).exists() {
        return Err(ApiError::bad_request(format!(
            "a model card named '{name}' is in the models folder; a sentence encoder needs a name of its own"
        )));
    }
    let stage = write_staged(dir, name, files)?;
    let cleanup = |r: Result<ServedModel, ApiError>| {
        let _ = std::fs::remove_dir_all(&stage);
        r
    };
    let encoder = match crate::text::sentence::SentenceEncoder::load(&stage) {
        Ok(e) => e,
        Err(e) => {
            return cleanup(Err(ApiError::bad_request(format!(
                "the uploaded sentence encoder '{name}' does not load: {e}. Nothing was changed on the server."
            ))));
        }
    };
    let target = dir.join(name);
    let previous = staging_dir(dir, &format!("{name}-previous"));
    let had = target.exists();
    if had && let Err(e) = std::fs::rename(&target, &previous) {
        return cleanup(Err(io_error("set the previous folder aside", e)));
    }
    if let Err(e) = std::fs::rename(&stage, &target) {
        if had {
            let _ = std::fs::rename(&previous, &target);
        }
        return cleanup(Err(io_error("move the upload into place", e)));
    }
    let _ = std::fs::remove_dir_all(&previous);
    Ok(ServedModel::Sentence {
        encoder: Box::new(encoder),
    })
}
