//! Document encoders: the ways cityops turns a report into one vector for
//! similar-report search and routing. Local word vectors (TF-IDF weighted
//! mean, computed in microseconds) or a remote OpenAI-compatible
//! `/v1/embeddings` endpoint (vLLM, Ollama, llama.cpp's server, `cityops
//! serve`), called in batches with progress and cancel, or a local BERT-family
//! sentence encoder (with its on-disk cache). Every vector is scaled to unit
//! length, so a dot product is the cosine similarity.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::data::Progress;
use crate::models::remote::{EmbeddingsClient, RemoteError};
use crate::text::sentence::{self, EmbeddingCache, SentenceEncoder};
use crate::text::{DocEncoder, TextError, Tokenizer, WordVectors};

/// Texts sent to a remote endpoint per request.
const REMOTE_BATCH: usize = 64;

/// How reports become vectors.
#[derive(Clone)]
pub enum ReportEncoder {
    /// The TF-IDF weighted mean of local word vectors.
    Words {
        vectors: Arc<WordVectors>,
        idf: Arc<HashMap<String, f32>>,
    },
    /// A remote OpenAI-compatible embeddings endpoint.
    Remote(EmbeddingsClient),
    /// A local sentence encoder, with the cache of what it encoded before
    /// (none when no cache folder can be had).
    Sentence {
        encoder: Arc<SentenceEncoder>,
        cache: Option<Arc<Mutex<EmbeddingCache>>>,
    },
}

/// Why texts could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Local(#[from] TextError),
    #[error("encoding was cancelled after {done} of {total} texts")]
    Cancelled { done: usize, total: usize },
    #[error("{0}")]
    Runtime(String),
    #[error(
        "the embeddings endpoint answered vectors of {got} values where earlier ones had {want}; \
         check that one model serves every request"
    )]
    Width { got: usize, want: usize },
}

impl crate::data::Blame for EncodeError {
    fn is_user_input(&self) -> bool {
        match self {
            Self::Remote(e) => crate::data::Blame::is_user_input(e),
            Self::Local(e) => crate::data::Blame::is_user_input(e),
            Self::Cancelled { .. } | Self::Runtime(_) | Self::Width { .. } => false,
        }
    }
}

impl ReportEncoder {
    /// A short description for the screen: what encodes the reports.
    pub fn describe(&self) -> String {
        match self {
            Self::Words { vectors, .. } => format!(
                "word vectors ({} words × {} dimensions)",
                vectors.len(),
                vectors.dim
            ),
            Self::Remote(c) => format!("remote embeddings '{}' at {}", c.model(), c.base_url()),
            Self::Sentence { encoder, .. } => format!(
                "the sentence encoder {} ({} layers, {} dimensions)",
                encoder.name(),
                encoder.layers(),
                encoder.dim()
            ),
        }
    }

    /// A sentence encoder with its cache in `cache_dir` (the default cache
    /// folder when `None`); encoding works without a cache if the folder
    /// cannot be used.
    pub fn sentence(encoder: Arc<SentenceEncoder>, cache_dir: Option<&std::path::Path>) -> Self {
        let dir = cache_dir
            .map(std::path::Path::to_path_buf)
            .or_else(EmbeddingCache::default_dir);
        let cache = dir
            .and_then(|d| EmbeddingCache::open(&d, encoder.id(), encoder.dim()).ok())
            .map(|c| Arc::new(Mutex::new(c)));
        Self::Sentence { encoder, cache }
    }

    /// True when encoding even one text takes long enough (a server, a
    /// transformer) that the UI must not wait for it.
    pub fn runs_in_background(&self) -> bool {
        !matches!(self, Self::Words { .. })
    }

    /// One unit-length vector per text, flattened: `texts.len() × dim`
    /// values, and `dim`. A text with no known word (word vectors) is all
    /// zeros.
    pub fn encode(
        &self,
        texts: &[String],
        progress: &dyn Progress,
    ) -> Result<(Vec<f32>, usize), EncodeError> {
        match self {
            Self::Words { vectors, idf } => {
                let tok = Tokenizer::shared();
                let dim = vectors.dim;
                let words = DocEncoder::new(vectors);
                let mut out = Vec::with_capacity(texts.len() * dim);
                for (i, t) in texts.iter().enumerate() {
                    if i % 256 == 0 {
                        if progress.is_cancelled() {
                            return Err(EncodeError::Cancelled {
                                done: i,
                                total: texts.len(),
                            });
                        }
                        progress.report(
                            i as f32 / texts.len().max(1) as f32,
                            &format!("Document vectors: {i} of {}", texts.len()),
                        );
                    }
                    out.extend(words.encode(&tok.tokenize(t), Some(idf)));
                }
                Ok((out, dim))
            }
            Self::Sentence { encoder, cache } => {
                let dim = encoder.dim();
                let cached = cache.as_ref().and_then(|c| c.lock().ok());
                let out = match cached {
                    Some(mut c) => sentence::encode_cached(encoder, &mut c, texts, progress)?.0,
                    None => encoder.encode(texts, sentence::DEFAULT_BATCH, progress)?,
                };
                Ok((out, dim))
            }
            Self::Remote(client) => {
                let rt = crate::jobs::runtime().map_err(|e| EncodeError::Runtime(e.to_string()))?;
                let mut out = Vec::new();
                let mut dim = 0;
                for (b, batch) in texts.chunks(REMOTE_BATCH).enumerate() {
                    let done = b * REMOTE_BATCH;
                    if progress.is_cancelled() {
                        return Err(EncodeError::Cancelled {
                            done,
                            total: texts.len(),
                        });
                    }
                    progress.report(
                        done as f32 / texts.len().max(1) as f32,
                        &format!(
                            "Embedding {done} of {} texts with {}",
                            texts.len(),
                            client.model()
                        ),
                    );
                    for mut v in rt.block_on(client.embed(batch))? {
                        if dim == 0 {
                            dim = v.len();
                        } else if v.len() != dim {
                            return Err(EncodeError::Width {
                                got: v.len(),
                                want: dim,
                            });
                        }
                        normalize(&mut v);
                        out.extend(v);
                    }
                }
                Ok((out, dim))
            }
        }
    }
}

/// The reports pipeline (`text::reports`) encodes through this.
impl crate::text::reports::Encoder for ReportEncoder {
    type Error = EncodeError;

    fn encode(
        &self,
        texts: &[String],
        progress: &dyn Progress,
    ) -> Result<(Vec<f32>, usize), EncodeError> {
        ReportEncoder::encode(self, texts, progress)
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::test_server::serve;
    use crate::text::reports::most_similar;

    fn words() -> ReportEncoder {
        let v = WordVectors::new(
            vec!["light".into(), "lamp".into(), "trash".into()],
            2,
            vec![1.0, 0.0, 0.9, 0.1, 0.0, 1.0],
            Vec::new(),
        )
        .unwrap();
        ReportEncoder::Words {
            vectors: Arc::new(v),
            idf: Arc::new(HashMap::new()),
        }
    }

    #[test]
    fn word_vectors_encode_unit_rows_and_find_the_closest_report() {
        let texts: Vec<String> = ["light out", "trash everywhere", "lamp broken"]
            .map(String::from)
            .to_vec();
        let (m, dim) = words().encode(&texts, &()).unwrap();
        assert_eq!((m.len(), dim), (6, 2));
        for row in m.chunks(2) {
            let n: f32 = row.iter().map(|x| x * x).sum();
            assert!((n - 1.0).abs() < 1e-5, "row {row:?} is not unit length");
        }
        let (q, _) = words().encode(&["the lamp".to_owned()], &()).unwrap();
        let best = most_similar(&m, dim, &q, 2);
        assert_eq!(best.iter().map(|b| b.1).collect::<Vec<_>>(), [2, 0]);
    }

    #[test]
    fn remote_endpoint_vectors_come_back_in_order_and_unit_length() {
        use axum::{Json, Router, routing::post};
        use serde_json::{Value, json};
        // A real HTTP server on loopback answering like an OpenAI endpoint:
        // the vector of a text is (length, 2).
        let router = Router::new().route(
            "/v1/embeddings",
            post(|Json(body): Json<Value>| async move {
                let data: Vec<Value> = body["input"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let n = t.as_str().unwrap().len();
                        json!({"index": i, "embedding": [n, 2.0]})
                    })
                    .collect();
                Json(json!({"data": data}))
            }),
        );
        let base = crate::jobs::runtime().unwrap().block_on(serve(router));
        let client = EmbeddingsClient::new(&base, "m".into(), None).unwrap();
        let texts: Vec<String> = (0..150).map(|i| "x".repeat(i + 1)).collect();
        let (m, dim) = ReportEncoder::Remote(client).encode(&texts, &()).unwrap();
        assert_eq!((m.len(), dim), (300, 2));
        // Row 149 is (150, 2) scaled to unit length.
        let n = (150.0f32 * 150.0 + 4.0).sqrt();
        assert!((m[298] - 150.0 / n).abs() < 1e-6);
        assert!((m[299] - 2.0 / n).abs() < 1e-6);
    }
}
