//! Serving an embedding model (word vectors or a sentence encoder): its V2
//! signature (input `text` BYTES `[n]`, output `embedding` FP32
//! `[n, dim]`), its metadata parameters and inference, and the wire types
//! of the OpenAI-compatible `POST /v1/embeddings`
//! (`{"model", "input": "…" | ["…", …]}` →
//! `{"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
//! "model", "usage"}`), so tools written for vLLM, Ollama or llama.cpp's
//! server can use cityops' word vectors and sentence encoders. The handler
//! itself is in `routes`, like every handler.
//!
//! The answer's size (`texts × dim` numbers) is checked against the
//! response limit before anything is embedded, and the answer is written
//! from the flat vectors, never as a JSON tree. Uses `text` and `models`;
//! nothing here touches HTTP, and it imports neither the registry nor the
//! handlers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ApiError;
use super::tensor::{DataType, InputTensor, OutputData, OutputTensor, TensorSpec, Values};
use crate::models::word_vectors::WordVectorsCard;
use crate::text::sentence::SentenceEncoder;
use crate::text::{Tokenizer, WordVectors, doc_vector};

pub const TEXT_INPUT: &str = "text";
pub const EMBEDDING_OUTPUT: &str = "embedding";

/// Flattened unit vectors, their dimension and the tokens read.
pub type Embedded = (Vec<f32>, usize, usize);

/// An embedding model, borrowed from the registry.
#[derive(Clone, Copy)]
pub enum Embedder<'a> {
    /// A text's embedding is the mean of its words' vectors (TF-free,
    /// L2-normalised).
    Words(&'a WordVectors),
    /// A BERT encoder, mean-pooled over the attention mask, L2-normalised.
    Sentence(&'a SentenceEncoder),
}

impl Embedder<'_> {
    /// The dimension of the vectors.
    pub fn dim(self) -> usize {
        match self {
            Self::Words(v) => v.dim,
            Self::Sentence(encoder) => encoder.dim(),
        }
    }

    /// Embeds texts: flat unit vectors, their dimension and the tokens read.
    pub fn embed(self, texts: &[String]) -> Result<Embedded, ApiError> {
        match self {
            Self::Words(v) => Ok(embed_words(v, texts)),
            Self::Sentence(encoder) => encoder
                .encode_counting(texts, crate::text::sentence::DEFAULT_BATCH, &())
                .map(|(v, tokens)| (v, encoder.dim(), tokens))
                .map_err(|e| ApiError::internal(format!("the sentence encoder failed: {e}"))),
        }
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

pub fn input_specs() -> Vec<TensorSpec> {
    vec![TensorSpec::new(TEXT_INPUT, DataType::Bytes, vec![-1])]
}

pub fn output_specs(dim: usize) -> Vec<TensorSpec> {
    vec![TensorSpec::new(
        EMBEDDING_OUTPUT,
        DataType::Fp32,
        vec![-1, dim as i64],
    )]
}

/// The metadata `parameters` of word vectors.
pub fn word_vectors_parameters(card: &WordVectorsCard) -> Value {
    serde_json::json!({
        "kind": card.header.kind,
        "dim": card.dim,
        "vocabulary": card.words.len(),
        "embedding": "mean of the text's word vectors, L2-normalised; also at POST /v1/embeddings",
    })
}

/// The metadata `parameters` of a sentence encoder.
pub fn sentence_parameters(encoder: &SentenceEncoder) -> Value {
    serde_json::json!({
        "kind": crate::models::ModelKind::SentenceEncoder,
        "dim": encoder.dim(),
        "layers": encoder.layers(),
        "max_tokens": encoder.max_len(),
        "model_sha256": encoder.id(),
        "embedding": "BERT encoder, mean-pooled over the attention mask, L2-normalised; also at POST /v1/embeddings",
    })
}

/// V2 inference: the `text` input's strings (a missing one is empty) →
/// `embedding` FP32 `[n, dim]`.
pub fn infer(
    name: &str,
    embedder: Embedder<'_>,
    inputs: Vec<InputTensor>,
) -> Result<Vec<OutputTensor>, ApiError> {
    let Some(input) = inputs.into_iter().find(|t| t.name == TEXT_INPUT) else {
        return Err(ApiError::bad_request(format!(
            "model '{name}' takes one input '{TEXT_INPUT}' (BYTES, shape [n])"
        )));
    };
    let Values::Bytes(texts) = input.values else {
        return Err(ApiError::bad_request(format!(
            "input '{TEXT_INPUT}' of model '{name}' must be BYTES, not {}",
            input.datatype
        )));
    };
    let texts: Vec<String> = texts.into_iter().map(Option::unwrap_or_default).collect();
    let (data, dim, _) = embedder.embed(&texts)?;
    Ok(vec![OutputTensor {
        name: EMBEDDING_OUTPUT.to_owned(),
        shape: vec![texts.len(), dim],
        datatype: "FP32",
        data: OutputData::Fp32(data),
    }])
}

/// `input`: one text or a list of texts. Read by hand rather than as an
/// untagged enum, which would first copy the whole list into a generic
/// tree.
pub enum EmbeddingInput {
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
    pub model: String,
    pub input: EmbeddingInput,
}

impl EmbeddingInput {
    pub fn into_texts(self) -> Vec<String> {
        match self {
            Self::One(t) => vec![t],
            Self::Many(v) => v,
        }
    }
}

/// The OpenAI embeddings answer, written straight from the flat vectors.
#[derive(Serialize)]
pub struct EmbeddingsResponse<'a> {
    object: &'static str,
    data: Vec<EmbeddingItem<'a>>,
    model: &'a str,
    usage: Usage,
}

#[derive(Serialize)]
pub struct EmbeddingItem<'a> {
    object: &'static str,
    index: usize,
    embedding: &'a [f32],
}

#[derive(Serialize)]
pub struct Usage {
    prompt_tokens: usize,
    total_tokens: usize,
}

/// The OpenAI answer for `model`, written from flat vectors of `dim`.
pub fn openai_response(model: &str, embedded: &Embedded) -> Result<Vec<u8>, ApiError> {
    let (flat, dim, tokens) = embedded;
    let response = EmbeddingsResponse {
        object: "list",
        data: flat
            .chunks((*dim).max(1))
            .enumerate()
            .map(|(index, embedding)| EmbeddingItem {
                object: "embedding",
                index,
                embedding,
            })
            .collect(),
        model,
        usage: Usage {
            prompt_tokens: *tokens,
            total_tokens: *tokens,
        },
    };
    serde_json::to_vec(&response)
        .map_err(|e| ApiError::internal(format!("cannot write the response: {e}")))
}
