//! The V2 client: health, the model list and metadata, inference (JSON,
//! or binary tensors where the server lists the extension) and deploying a
//! bundle through the repository extension.

use super::*;

/// A client for one Open Inference Protocol V2 server.
#[derive(Clone)]
pub struct V2Client {
    pub(super) http: Endpoint,
    /// Whether the server lists Triton's binary tensor data extension
    /// (asked once, on the first large request).
    binary: std::sync::Arc<tokio::sync::OnceCell<bool>>,
    /// Requests of at least this many values go binary when the server
    /// takes it.
    binary_from: usize,
}

/// Values in a request from which the client sends binary tensors (where
/// the server lists the extension): below it JSON costs no more.
pub const BINARY_MIN_VALUES: usize = 4096;

impl fmt::Debug for V2Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V2Client")
            .field("base", &self.http.base.as_str())
            .field("has_token", &self.http.token.is_some())
            .field("allow_http", &self.http.allow_http)
            .finish()
    }
}

impl V2Client {
    /// A client for the server at `base_url` (such as
    /// `https://models.city.example:8000`), sending `token` as a bearer token.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self, RemoteError> {
        Ok(Self {
            http: Endpoint::new(base_url, token, V2_API)?,
            binary: std::sync::Arc::default(),
            binary_from: BINARY_MIN_VALUES,
        })
    }

    /// Sends binary tensors from this many values on (`usize::MAX`: never;
    /// 0: always, where the server takes them).
    pub fn binary_from(mut self, values: usize) -> Self {
        self.binary_from = values;
        self
    }

    /// Whether the server lists `binary_tensor_data` (`GET /v2`); a server
    /// that does not answer is taken not to.
    pub(super) async fn takes_binary(&self) -> bool {
        *self
            .binary
            .get_or_init(|| async {
                let Ok(url) = self.http.url(&["v2"]) else {
                    return false;
                };
                let Ok(resp) = self.http.send(Method::GET, &url, None).await else {
                    return false;
                };
                self.http.json(&url, resp).await.is_ok_and(|v| {
                    v.get("extensions")
                        .and_then(Value::as_array)
                        .is_some_and(|e| e.iter().any(|x| x == "binary_tensor_data"))
                })
            })
            .await
    }

    /// Allows plain http to hosts other than this computer.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.http.allow_http = allow;
        self
    }

    pub fn base_url(&self) -> &str {
        self.http.base.as_str()
    }

    /// `GET /v2/health/live`: is the server up?
    pub async fn live(&self) -> Result<bool, RemoteError> {
        self.health("live").await
    }

    /// `GET /v2/health/ready`: is it ready to serve?
    pub async fn ready(&self) -> Result<bool, RemoteError> {
        self.health("ready").await
    }

    pub(super) async fn health(&self, which: &str) -> Result<bool, RemoteError> {
        let url = self.http.url(&["v2", "health", which])?;
        let resp = self.http.send(Method::GET, &url, None).await?;
        let status = resp.status();
        if status.is_success() {
            Ok(true)
        } else if matches!(status.as_u16(), 401 | 403 | 404) || status.is_redirection() {
            // Wrong token or not a V2 server at all: say so.
            Err(status_error(&url, resp).await)
        } else {
            Ok(false)
        }
    }

    /// The models the server offers: `GET /v2/models` (cityops), then
    /// `POST /v2/repository/index` (Triton).
    pub async fn list_models(&self) -> Result<Vec<String>, RemoteError> {
        let not_there = |s: StatusCode| matches!(s.as_u16(), 400 | 404 | 405 | 501);
        let url = self.http.url(&["v2", "models"])?;
        let resp = self.http.send(Method::GET, &url, None).await?;
        if !not_there(resp.status()) {
            let v = self.http.json(&url, resp).await?;
            return parse_model_list(&v).map_err(|b| self.http.protocol(&url, b));
        }
        let url = self.http.url(&["v2", "repository", "index"])?;
        let resp = self
            .http
            .send(Method::POST, &url, Some(b"{}".to_vec()))
            .await?;
        if not_there(resp.status()) {
            return Err(RemoteError::CannotList {
                url: self.http.base.to_string(),
            });
        }
        let v = self.http.json(&url, resp).await?;
        parse_model_list(&v).map_err(|b| self.http.protocol(&url, b))
    }

    /// `GET /v2/models/MODEL`: the model's inputs and outputs.
    pub async fn metadata(&self, model: &str) -> Result<ModelMetadata, RemoteError> {
        let url = self.http.url(&["v2", "models", model])?;
        let resp = self.http.send(Method::GET, &url, None).await?;
        let v = self.http.json(&url, resp).await?;
        parse_metadata(&v, model).map_err(|b| self.http.protocol(&url, b))
    }

    /// Deploys a model: `POST /v2/repository/models/NAME/load` with its
    /// files (Triton's repository extension: `"file:FILE"` parameters,
    /// base64). Returns the server's answer.
    pub async fn deploy(&self, name: &str, files: &[UploadFile]) -> Result<Value, RemoteError> {
        use base64::Engine as _;
        let url = self
            .http
            .url(&["v2", "repository", "models", name, "load"])?;
        let params: serde_json::Map<String, Value> = files
            .iter()
            .map(|(f, bytes)| {
                (
                    format!("file:{f}"),
                    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
                )
            })
            .collect();
        let body =
            serde_json::to_vec(&serde_json::json!({ "parameters": params })).map_err(|e| {
                RemoteError::Input {
                    model: name.to_owned(),
                    tensor: String::new(),
                    message: format!("the upload cannot be written as JSON ({e})"),
                }
            })?;
        let resp = self.http.send(Method::POST, &url, Some(body)).await?;
        self.http.json(&url, resp).await
    }

    /// `POST /v2/models/MODEL/infer` with `inputs`; asks for `outputs` (all
    /// of them when empty) and returns the output tensors in the server's
    /// order.
    pub async fn infer(
        &self,
        model: &str,
        inputs: Vec<InferTensor>,
        outputs: &[String],
    ) -> Result<Vec<InferTensor>, RemoteError> {
        for t in &inputs {
            let input_error = |message: String| RemoteError::Input {
                model: model.to_owned(),
                tensor: t.name.clone(),
                message,
            };
            let Some(kind) = data_kind(&t.datatype) else {
                return Err(input_error(format!(
                    "'{}' is not a V2 datatype",
                    t.datatype
                )));
            };
            if !t.data.fits(kind) {
                return Err(input_error(format!(
                    "the values do not match the datatype {}",
                    t.datatype
                )));
            }
            if element_count(&t.shape) != Some(t.data.len()) {
                return Err(input_error(format!(
                    "{} values do not fill the shape {}",
                    t.data.len(),
                    shape_text(&t.shape)
                )));
            }
        }
        #[derive(Serialize)]
        struct Wanted<'a> {
            name: &'a str,
        }
        #[derive(Serialize)]
        struct Request<'a> {
            inputs: &'a [InferTensor],
            #[serde(skip_serializing_if = "Vec::is_empty")]
            outputs: Vec<Wanted<'a>>,
        }
        let url = self.http.url(&["v2", "models", model, "infer"])?;
        let values: usize = inputs.iter().map(|t| t.data.len()).sum();
        let binary = values >= self.binary_from && self.takes_binary().await;
        let (body, header) = if binary {
            let (b, n) = binary_request(&inputs, outputs);
            (b, Some(n))
        } else {
            let b = serde_json::to_vec(&Request {
                inputs: &inputs,
                outputs: outputs.iter().map(|n| Wanted { name: n }).collect(),
            })
            .map_err(|e| RemoteError::Input {
                model: model.to_owned(),
                tensor: String::new(),
                message: format!("the request cannot be written as JSON ({e})"),
            })?;
            (b, None)
        };
        let resp = self
            .http
            .send_with(Method::POST, &url, Some(body), header)
            .await?;
        let (bytes, json_len) = self.http.answer(&url, resp).await?;
        let (head, mut tail) = match json_len {
            Some(n) if n <= bytes.len() => bytes.split_at(n),
            Some(n) => {
                return Err(self.http.protocol(
                    &url,
                    bad(
                        "Inference-Header-Content-Length",
                        format!("is {n}, past the {}-byte answer", bytes.len()),
                    ),
                ));
            }
            None => (bytes.as_slice(), &[][..]),
        };
        let v: Value = serde_json::from_slice(head).map_err(|e| RemoteError::BadJson {
            url: url.to_string(),
            api: V2_API,
            message: e.to_string(),
        })?;
        let Some(Value::Array(items)) = v.get("outputs") else {
            return Err(self
                .http
                .protocol(&url, bad("outputs", "is missing or not a list")));
        };
        let mut tensors = Vec::with_capacity(items.len());
        for (i, t) in items.iter().enumerate() {
            let at = format!("outputs[{i}]");
            let tensor = match t
                .pointer("/parameters/binary_data_size")
                .and_then(Value::as_u64)
            {
                Some(size) => binary_output(t, &at, size, &mut tail),
                None => parse_infer_tensor(t, &at),
            }
            .map_err(|b| self.http.protocol(&url, b))?;
            tensors.push(tensor);
        }
        if let Some(missing) = outputs
            .iter()
            .find(|n| !tensors.iter().any(|t| &t.name == *n))
        {
            return Err(self.http.protocol(
                &url,
                bad(
                    "outputs",
                    format!("has no tensor '{missing}', which was asked for"),
                ),
            ));
        }
        Ok(tensors)
    }
}

/// A request with every input as binary tensor data and binary outputs
/// asked for: the body and its JSON header's length.
pub(super) fn binary_request(inputs: &[InferTensor], outputs: &[String]) -> (Vec<u8>, usize) {
    let mut tail = Vec::new();
    let listed: Vec<Value> = inputs
        .iter()
        .map(|t| {
            let datatype = crate::models::wire::DataType::parse(&t.datatype)
                .unwrap_or(crate::models::wire::DataType::Bytes);
            let bytes = crate::models::wire::encode(&t.data, datatype);
            let size = bytes.len();
            tail.extend_from_slice(&bytes);
            serde_json::json!({"name": t.name, "shape": t.shape, "datatype": t.datatype,
                               "parameters": {"binary_data_size": size}})
        })
        .collect();
    let mut request = serde_json::json!({ "inputs": listed });
    if outputs.is_empty() {
        request["parameters"] = serde_json::json!({"binary_data_output": true});
    } else {
        request["outputs"] = outputs
            .iter()
            .map(|n| serde_json::json!({"name": n, "parameters": {"binary_data": true}}))
            .collect();
    }
    let mut body = request.to_string().into_bytes();
    let header = body.len();
    body.extend_from_slice(&tail);
    (body, header)
}

/// An output sent as binary tensor data: its `size` bytes off `tail`.
pub(super) fn binary_output(
    v: &Value,
    at: &str,
    size: u64,
    tail: &mut &[u8],
) -> Result<InferTensor, Bad> {
    let (name, datatype_name, shape, count) = tensor_head(v, at)?;
    let datatype = crate::models::wire::DataType::parse(&datatype_name).ok_or_else(|| {
        bad(
            join(at, "datatype"),
            format!("is '{datatype_name}', which is not a V2 datatype"),
        )
    })?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if size > tail.len() {
        return Err(bad(
            join(at, "parameters.binary_data_size"),
            format!("is {size}, past the {} binary bytes left", tail.len()),
        ));
    }
    let (bytes, rest) = tail.split_at(size);
    *tail = rest;
    let data = crate::models::wire::decode(datatype, count, bytes)
        .map_err(|e| bad(join(at, "parameters.binary_data_size"), e))?;
    Ok(InferTensor {
        name,
        shape,
        datatype: datatype_name,
        data,
    })
}
