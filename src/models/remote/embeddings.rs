//! The OpenAI-compatible embeddings client (`POST /v1/embeddings`).

use super::*;

/// A client for `POST {base}/v1/embeddings` with one model.
#[derive(Clone)]
pub struct EmbeddingsClient {
    pub(super) http: Endpoint,
    model: String,
}

impl fmt::Debug for EmbeddingsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddingsClient")
            .field("base", &self.http.base.as_str())
            .field("model", &self.model)
            .field("has_token", &self.http.token.is_some())
            .field("allow_http", &self.http.allow_http)
            .finish()
    }
}

impl EmbeddingsClient {
    /// A client for the server at `base_url` (with or without a trailing
    /// `/v1`) using embedding model `model`.
    pub fn new(base_url: &str, model: String, token: Option<String>) -> Result<Self, RemoteError> {
        let http = Endpoint::new(base_url, token, EMBEDDINGS_API)?;
        let model = model.trim().to_owned();
        if model.is_empty() {
            return Err(RemoteError::NoModelName {
                url: http.base.to_string(),
            });
        }
        Ok(Self { http, model })
    }

    /// Allows plain http to hosts other than this computer.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.http.allow_http = allow;
        self
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn base_url(&self) -> &str {
        self.http.base.as_str()
    }

    pub(super) fn embeddings_url(&self) -> Result<Url, RemoteError> {
        let ends_in_v1 = self
            .http
            .base
            .path_segments()
            .and_then(|mut s| s.rfind(|p| !p.is_empty()))
            .is_some_and(|last| last == "v1");
        if ends_in_v1 {
            self.http.url(&["embeddings"])
        } else {
            self.http.url(&["v1", "embeddings"])
        }
    }

    /// One vector per text, in the order of `texts`, sent in batches of 64.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, RemoteError> {
        let url = self.embeddings_url()?;
        let mut out: Vec<Vec<f32>> = Vec::with_capacity(texts.len());
        for batch in texts.chunks(EMBED_BATCH) {
            let body = serde_json::json!({ "model": self.model, "input": batch });
            let resp = self
                .http
                .send(Method::POST, &url, Some(body.to_string().into_bytes()))
                .await?;
            let v = self.http.json(&url, resp).await?;
            let vectors =
                parse_embeddings(&v, batch.len()).map_err(|b| self.http.protocol(&url, b))?;
            if let (Some(first), Some(dims)) = (out.first(), vectors.first().map(Vec::len))
                && first.len() != dims
            {
                return Err(self.http.protocol(
                    &url,
                    bad(
                        "data[0].embedding",
                        format!(
                            "has {dims} values where an earlier batch had {}",
                            first.len()
                        ),
                    ),
                ));
            }
            out.extend(vectors);
        }
        Ok(out)
    }
}

/// `{"data": [{"embedding": [...], "index": i}, ...]}` → vectors in index
/// order, all of one length.
pub(super) fn parse_embeddings(v: &Value, expected: usize) -> Result<Vec<Vec<f32>>, Bad> {
    let Some(Value::Array(items)) = v.get("data") else {
        return Err(bad("data", "is missing or not a list"));
    };
    if items.len() != expected {
        return Err(bad(
            "data",
            format!("has {} embeddings for {expected} texts", items.len()),
        ));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (i, item) in items.iter().enumerate() {
        let at = format!("data[{i}]");
        let index = match item.get("index") {
            None | Some(Value::Null) => i,
            Some(x) => x
                .as_u64()
                .and_then(|x| usize::try_from(x).ok())
                .ok_or_else(|| bad(format!("{at}.index"), format!("is {x}, not an index")))?,
        };
        let Value::Array(values) = required(item, "embedding", &at)? else {
            return Err(bad(
                format!("{at}.embedding"),
                "should be a list of numbers (ask for float encoding)",
            ));
        };
        let vector = values
            .iter()
            .map(|x| x.as_f64().map(|f| f as f32))
            .collect::<Option<Vec<f32>>>()
            .ok_or_else(|| {
                bad(
                    format!("{at}.embedding"),
                    "has a value that is not a number",
                )
            })?;
        match slots.get_mut(index) {
            Some(slot @ None) => *slot = Some(vector),
            Some(Some(_)) => {
                return Err(bad(format!("{at}.index"), format!("repeats index {index}")));
            }
            None => {
                return Err(bad(
                    format!("{at}.index"),
                    format!("is {index}, beyond the {expected} texts sent"),
                ));
            }
        }
    }
    let vectors: Vec<Vec<f32>> = slots.into_iter().flatten().collect();
    if let Some(first) = vectors.first()
        && let Some((i, odd)) = vectors
            .iter()
            .enumerate()
            .find(|(_, x)| x.len() != first.len())
    {
        return Err(bad(
            "data",
            format!(
                "has {} values for text {i} where others have {}",
                odd.len(),
                first.len()
            ),
        ));
    }
    Ok(vectors)
}
