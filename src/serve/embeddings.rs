//! Embedding models served two ways: as a V2 model (input `text` BYTES
//! `[n]`, output `embedding` FP32 `[n, dim]`) and at the OpenAI-compatible
//! `POST /v1/embeddings` (`{"model", "input": "…" | ["…", …]}` →
//! `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
//! "model", "usage"}`), so tools written for vLLM, Ollama or llama.cpp's
//! server can use cityops' word vectors and sentence encoders.
//!
//! The answer's size (`texts × dim` numbers) is checked against the
//! response limit before anything is embedded, and the answer is written
//! from the flat vectors, never as a JSON tree.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::limits::check_output_values;
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

/// `input`: one text or a list of texts. Read by hand rather than as an
/// untagged enum, which would first copy the whole list into a generic
/// tree.
enum EmbeddingInput {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for EmbeddingInput {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Texts;
        impl<'de> serde::de::Visitor<'de> for Texts {
            type Value = EmbeddingInput;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a text or a list of texts")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(EmbeddingInput::One(v.to_owned()))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(EmbeddingInput::One(v))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut texts = Vec::new();
                while let Some(t) = seq.next_element::<String>()? {
                    texts.push(t);
                }
                Ok(EmbeddingInput::Many(texts))
            }
        }
        d.deserialize_any(Texts)
    }
}

#[derive(Deserialize)]
pub struct EmbeddingsRequest {
    model: String,
    input: EmbeddingInput,
}

/// The OpenAI embeddings answer, written straight from the flat vectors.
#[derive(Serialize)]
struct EmbeddingsResponse<'a> {
    object: &'static str,
    data: Vec<EmbeddingItem<'a>>,
    model: &'a str,
    usage: Usage,
}

#[derive(Serialize)]
struct EmbeddingItem<'a> {
    object: &'static str,
    index: usize,
    embedding: &'a [f32],
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: usize,
    total_tokens: usize,
}

/// The dimension of an embedding model's vectors; `None` for other models.
fn embedding_dim(model: &ServedModel) -> Option<usize> {
    match model {
        ServedModel::WordVectors { vectors, .. } => Some(vectors.dim),
        ServedModel::Sentence { encoder } => Some(encoder.dim()),
        _ => None,
    }
}

/// `POST /v1/embeddings`.
pub async fn openai_embeddings(
    State(state): State<AppState>,
    body: Result<Json<EmbeddingsRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(|e| ApiError {
        // 415 for a body that is not declared JSON; 400 for the rest, as
        // on the V2 endpoints.
        status: if e.status() == axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE {
            e.status()
        } else {
            axum::http::StatusCode::BAD_REQUEST
        },
        message: format!(
            "the body must be {{\"model\": NAME, \"input\": TEXT or [TEXT, ...]}} sent as 'Content-Type: application/json': {}",
            e.body_text()
        ),
    })?;
    let model: Arc<ServedModel> = state.model_arc(&req.model)?;
    let texts = match req.input {
        EmbeddingInput::One(t) => vec![t],
        EmbeddingInput::Many(v) => v,
    };
    let limits = state.limits;
    if texts.len() > limits.max_batch_rows {
        return Err(ApiError::bad_request(format!(
            "{} inputs is more than this server's limit of {} per request",
            texts.len(),
            limits.max_batch_rows
        )));
    }
    let name = req.model;
    let Some(dim) = embedding_dim(&model) else {
        return Err(ApiError::bad_request(format!(
            "model '{name}' is not an embedding model; GET /v2/models lists the models"
        )));
    };
    check_output_values(
        &name,
        texts.len().saturating_mul(dim),
        limits.max_output_values,
    )?;
    let body = state
        .inference
        .run(move || {
            let Some(result) = embed(model.as_ref(), &texts) else {
                return Err(ApiError::bad_request(format!(
                    "model '{name}' is not an embedding model; GET /v2/models lists the models"
                )));
            };
            let (flat, dim, tokens) = result?;
            let response = EmbeddingsResponse {
                object: "list",
                data: flat
                    .chunks(dim.max(1))
                    .enumerate()
                    .map(|(index, embedding)| EmbeddingItem {
                        object: "embedding",
                        index,
                        embedding,
                    })
                    .collect(),
                model: &name,
                usage: Usage {
                    prompt_tokens: tokens,
                    total_tokens: tokens,
                },
            };
            serde_json::to_vec(&response)
                .map_err(|e| ApiError::internal(format!("cannot write the response: {e}")))
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
