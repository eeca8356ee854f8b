//! Embedding models served two ways: as a V2 model (input `text` BYTES
//! `[n]`, output `embedding` FP32 `[n, dim]`) and at the OpenAI-compatible
//! `POST /v1/embeddings` (`{"model", "input": "…" | ["…", …]}` →
//! `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
//! "model", "usage"}`), so tools written for vLLM, Ollama or llama.cpp's
//! server can use cityops' word vectors and sentence encoders.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::registry::ServedModel;
use super::routes::AppState;
use super::tensor::{InputTensor, OutputData, OutputTensor, Values};
use crate::text::{Tokenizer, WordVectors, doc_vector};

/// Flattened unit vectors, their dimension and the tokens read.
type Embedded = (Vec<f32>, usize, usize);

/// Embeds texts with an embedding model; `None` for a model that does not
/// embed.
fn embed(model: &ServedModel, texts: &[String]) -> Option<Result<Embedded, ApiError>> {
    match model {
        ServedModel::WordVectors { vectors, .. } => Some(Ok(embed_words(vectors, texts))),
        ServedModel::Sentence { encoder } => Some(
            encoder
                .encode_counting(texts, crate::text::sentence::DEFAULT_BATCH, &())
                .map(|(v, tokens)| (v, encoder.dim(), tokens))
                .map_err(|e| ApiError::internal(format!("the sentence encoder failed: {e}"))),
        ),
        _ => None,
    }
}

/// Word vectors: tokenised, mean of the known words' vectors, unit length.
fn embed_words(v: &WordVectors, texts: &[String]) -> Embedded {
    let tok = Tokenizer::shared();
    let mut out = Vec::with_capacity(texts.len() * v.dim);
    let mut tokens = 0;
    for t in texts {
        let words = tok.tokenize(t);
        tokens += words.len();
        out.extend(doc_vector(v, &words, None));
    }
    (out, v.dim, tokens)
}

pub fn infer(
    name: &str,
    model: &ServedModel,
    inputs: Vec<InputTensor>,
) -> Result<Vec<OutputTensor>, ApiError> {
    let Some(input) = inputs.into_iter().find(|t| t.name == "text") else {
        return Err(ApiError::bad_request(format!(
            "model '{name}' takes one input 'text' (BYTES, shape [n])"
        )));
    };
    let Values::Bytes(texts) = input.values else {
        return Err(ApiError::bad_request(format!(
            "input 'text' of model '{name}' must be BYTES, not {}",
            input.datatype
        )));
    };
    let texts: Vec<String> = texts.into_iter().map(Option::unwrap_or_default).collect();
    let Some(result) = embed(model, &texts) else {
        return Err(ApiError::bad_request(format!(
            "model '{name}' is not an embedding model"
        )));
    };
    let (data, dim, _) = result?;
    Ok(vec![OutputTensor {
        name: "embedding".to_owned(),
        shape: vec![texts.len(), dim],
        datatype: "FP32",
        data: OutputData::Fp32(data),
    }])
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EmbeddingInput {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
pub struct EmbeddingsRequest {
    model: String,
    input: EmbeddingInput,
}

/// `POST /v1/embeddings`.
pub async fn openai_embeddings(
    State(state): State<AppState>,
    body: Result<Json<EmbeddingsRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(format!(
            "the body must be {{\"model\": NAME, \"input\": TEXT or [TEXT, ...]}}: {}",
            e.body_text()
        ))
    })?;
    let model: Arc<ServedModel> = state.model_arc(&req.model)?;
    let texts = match req.input {
        EmbeddingInput::One(t) => vec![t],
        EmbeddingInput::Many(v) => v,
    };
    if texts.len() > state.max_batch_rows {
        return Err(ApiError::bad_request(format!(
            "{} inputs is more than this server's limit of {} per request",
            texts.len(),
            state.max_batch_rows
        )));
    }
    let name = req.model.clone();
    let result = tokio::task::spawn_blocking(move || match embed(model.as_ref(), &texts) {
        Some(Ok((flat, dim, tokens))) => {
            let data: Vec<Value> = flat
                .chunks(dim.max(1))
                .enumerate()
                .map(|(i, e)| json!({"object": "embedding", "index": i, "embedding": e}))
                .collect();
            Ok(json!({
                "object": "list",
                "data": data,
                "model": name,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }))
        }
        Some(Err(e)) => Err(e),
        None => Err(ApiError::bad_request(format!(
            "model '{name}' is not an embedding model; GET /v2/models lists the models"
        ))),
    })
    .await
    .map_err(|e| ApiError::internal(format!("the embedding task failed: {e}")))??;
    Ok(Json(result))
}
