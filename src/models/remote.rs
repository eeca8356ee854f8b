//! Clients for models served elsewhere: the Open Inference Protocol V2 REST
//! API (KServe, Triton, Seldon MLServer and `cityops serve`) in
//! [`V2Client`], the OpenAI-compatible embeddings API (vLLM, Ollama,
//! llama.cpp server) in [`EmbeddingsClient`], and [`infer_table`], which
//! sends table columns to a V2 model in batches and turns its outputs back
//! into columns.
//!
//! Everything here is async (reqwest; run it on `jobs::runtime`). Every
//! error names the URL and says what to do. Plain http is used only for this
//! computer unless the user allows it for an endpoint. This module uses
//! `data`, reqwest and serde_json; it must not import egui, candle or the
//! server.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{Method, Response, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::timeseries::MICROS_PER_SECOND;
use crate::data::{Column, ColumnValues, Progress, Table};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Texts per embeddings request.
const EMBED_BATCH: usize = 64;
/// How much of an error answer is read and shown.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
const MAX_ERROR_CHARS: usize = 400;
/// The largest successful answer read (a V2 answer of a few million
/// numbers is tens of MB; a server sending more is refused, not buffered).
const MAX_ANSWER_BYTES: usize = 256 << 20;
/// The most values per row of an output turned into table columns.
const MAX_OUTPUT_COLUMNS: usize = 65_536;
const V2_API: &str = "Open Inference Protocol V2";
const EMBEDDINGS_API: &str = "OpenAI-compatible embeddings";

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "'{url}' is not a usable server address: {message}. Give the full address, such as https://models.example.org:8000."
    )]
    BadUrl { url: String, message: String },
    #[error(
        "{url}: plain http is only used for this computer (localhost, 127.0.0.1, ::1), because the data and the access token would cross the network unencrypted. Use https, or allow insecure http for this endpoint if the network is trusted."
    )]
    InsecureHttp { url: String },
    #[error("{url}: no embedding model was named. Give the model name the server knows.")]
    NoModelName { url: String },
    #[error(
        "{url}: the HTTP client could not be set up ({message}). Check this computer's TLS certificates."
    )]
    Setup { url: String, message: String },
    #[error(
        "{url}: the server name could not be resolved ({message}). Check the host name and the network connection."
    )]
    Dns { url: String, message: String },
    #[error(
        "{url}: could not connect ({message}). Check that the server is running and that the host and port are right."
    )]
    Connect { url: String, message: String },
    #[error(
        "{url}: the secure connection failed ({message}). Check that the server speaks https and that its certificate is valid for this host and trusted by this computer."
    )]
    Tls { url: String, message: String },
    #[error(
        "{url}: no answer within {seconds} s while {phase}. The server may be down or overloaded; try again, or send smaller batches."
    )]
    Timeout {
        url: String,
        phase: &'static str,
        seconds: u64,
    },
    #[error("{url}: the request failed ({message}). Check the network connection and try again.")]
    Transport { url: String, message: String },
    #[error("{url}: the server answered {status} {reason}: {message}. {hint}")]
    Status {
        url: String,
        status: u16,
        reason: &'static str,
        message: String,
        hint: &'static str,
    },
    #[error(
        "{url}: the answer is larger than {max_mib} MiB, more than cityops reads. Send fewer rows per batch, or ask for fewer outputs."
    )]
    AnswerTooLarge { url: String, max_mib: usize },
    #[error(
        "{url}: the answer is not valid JSON ({message}). Check that the address points to an {api} server."
    )]
    BadJson {
        url: String,
        api: &'static str,
        message: String,
    },
    #[error(
        "{url}: the answer does not follow the {api} API: field '{field}' {message}. Check that the address points to an {api} server."
    )]
    Protocol {
        url: String,
        api: &'static str,
        field: String,
        message: String,
    },
    #[error(
        "{url}: the server cannot list its models (it answers neither GET /v2/models nor POST /v2/repository/index). Type the model name instead."
    )]
    CannotList { url: String },
    #[error("model '{model}', input '{tensor}': {message}")]
    Input {
        model: String,
        tensor: String,
        message: String,
    },
    #[error(
        "model '{model}' needs the inputs {missing}, but the table has no columns with those names (it has {available}). Map the model's inputs to columns by hand."
    )]
    MissingColumns {
        model: String,
        missing: String,
        available: String,
    },
    #[error(
        "model '{model}' lists no inputs in its metadata, so cityops cannot tell which columns to send. Check the model's configuration on the server."
    )]
    NoInputs { model: String },
    #[error(
        "sending rows to model '{model}' was cancelled after {rows_done} of {rows} rows; no results were kept."
    )]
    Cancelled {
        model: String,
        rows_done: usize,
        rows: usize,
    },
}

impl crate::data::Blame for RemoteError {
    /// The user's address, names and column mapping are theirs to fix; the
    /// network, the server and a cancel are not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::BadUrl { .. }
            | Self::InsecureHttp { .. }
            | Self::NoModelName { .. }
            | Self::Input { .. }
            | Self::MissingColumns { .. } => true,
            Self::Setup { .. }
            | Self::Dns { .. }
            | Self::Connect { .. }
            | Self::Tls { .. }
            | Self::Timeout { .. }
            | Self::Transport { .. }
            | Self::Status { .. }
            | Self::AnswerTooLarge { .. }
            | Self::BadJson { .. }
            | Self::Protocol { .. }
            | Self::CannotList { .. }
            | Self::NoInputs { .. }
            | Self::Cancelled { .. } => false,
        }
    }
}

// ---------------------------------------------------------------------------
// Addresses and transport failures (shared with `fetch`).

/// True when the URL's host is this computer: `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(a) => a.is_loopback(),
            std::net::IpAddr::V6(a) => {
                a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        };
    }
    host.trim_end_matches('.').eq_ignore_ascii_case("localhost")
}

/// True when the URL is plain http to another computer and that is not allowed.
pub(crate) fn is_insecure_http(url: &Url, allow_http: bool) -> bool {
    url.scheme() == "http" && !allow_http && !is_loopback_host(url)
}

/// How a request failed before an answer came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NetFailure {
    Dns,
    Refused,
    Connect,
    Tls,
    Timeout,
    Other,
}

/// Sorts a reqwest error into a [`NetFailure`] and the most useful
/// description of it (the chain of causes, without reqwest's own preamble).
pub(crate) fn net_failure(e: &reqwest::Error) -> (NetFailure, String) {
    use std::error::Error as _;
    let mut causes: Vec<String> = Vec::new();
    let mut refused = false;
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            refused = true;
        }
        let text = cause.to_string();
        if !text.is_empty() && causes.last() != Some(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    let detail = if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    };
    let lower = detail.to_lowercase();
    let kind = if e.is_timeout() {
        NetFailure::Timeout
    } else if e.is_dns() || lower.contains("dns error") || lower.contains("failed to lookup") {
        NetFailure::Dns
    } else if refused || lower.contains("connection refused") {
        NetFailure::Refused
    } else if ["certificate", "tls", "handshake", "alert", "ssl"]
        .iter()
        .any(|w| lower.contains(w))
    {
        NetFailure::Tls
    } else if e.is_connect() {
        NetFailure::Connect
    } else {
        NetFailure::Other
    };
    (kind, detail)
}

/// The server's own words from an error answer: `{"error": "…"}`,
/// `{"error": {"message": "…"}}`, `{"detail": …}`, `{"message": "…"}` or
/// plain text, shortened.
pub(crate) fn server_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(text) {
        let pick = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(inner) => match inner.get("message") {
                Some(Value::String(s)) => Some(s.clone()),
                _ => Some(v.to_string()),
            },
            Value::Null => None,
            other => Some(other.to_string()),
        };
        let found = ["error", "detail", "message"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(pick));
        return shorten(&found.unwrap_or_else(|| Value::Object(obj).to_string()));
    }
    if text.is_empty() {
        return "no message".to_owned();
    }
    shorten(text)
}

fn shorten(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_ERROR_CHARS {
        return collapsed;
    }
    let mut short: String = collapsed.chars().take(MAX_ERROR_CHARS).collect();
    short.push('…');
    short
}

/// Reads at most `cap` bytes of a body, giving up quietly after `limit`.
pub(crate) async fn read_capped(resp: &mut Response, cap: usize, limit: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let read = async {
        while out.len() < cap {
            match resp.chunk().await {
                Ok(Some(chunk)) => out.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
    };
    let _ = tokio::time::timeout(limit, read).await;
    out.truncate(cap);
    out
}

fn status_hint(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 | 403 => "Check the access token for this server.",
        404 => "Check the address and the model name; the model may not be loaded on the server.",
        400 | 422 => {
            "The request does not fit what the model expects; check its inputs, datatypes and shapes."
        }
        408 | 429 | 503 => {
            "The server is busy or the model is not ready; wait a moment and try again."
        }
        300..=399 => "Use the address the server redirects to.",
        500..=599 => "The server failed; its log says more. Try again later.",
        _ => "Check the address and the server's documentation.",
    }
}

// ---------------------------------------------------------------------------
// The HTTP part both clients share.

#[derive(Clone)]
struct Endpoint {
    base: Url,
    client: reqwest::Client,
    token: Option<String>,
    allow_http: bool,
    api: &'static str,
}

impl Endpoint {
    fn new(base_url: &str, token: Option<String>, api: &'static str) -> Result<Self, RemoteError> {
        let base = parse_base_url(base_url)?;
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cityops/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RemoteError::Setup {
                url: base.to_string(),
                message: e.to_string(),
            })?;
        let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        Ok(Self {
            base,
            client,
            token,
            allow_http: false,
            api,
        })
    }

    /// The base URL with `segments` appended (each percent-encoded), after
    /// the http check.
    fn url(&self, segments: &[&str]) -> Result<Url, RemoteError> {
        let mut url = self.base.clone();
        match url.path_segments_mut() {
            Ok(mut path) => {
                path.pop_if_empty().extend(segments);
            }
            Err(()) => {
                return Err(RemoteError::BadUrl {
                    url: self.base.to_string(),
                    message: "it cannot have a path".to_owned(),
                });
            }
        }
        if is_insecure_http(&url, self.allow_http) {
            return Err(RemoteError::InsecureHttp {
                url: url.to_string(),
            });
        }
        Ok(url)
    }

    async fn send(
        &self,
        method: Method,
        url: &Url,
        json_body: Option<Vec<u8>>,
    ) -> Result<Response, RemoteError> {
        self.send_with(method, url, json_body, None).await
    }

    /// `body` is JSON, or with `binary_header = Some(n)` a JSON header of
    /// `n` bytes followed by binary tensors.
    async fn send_with(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        binary_header: Option<usize>,
    ) -> Result<Response, RemoteError> {
        let mut request = self
            .client
            .request(method, url.clone())
            .header(ACCEPT, "application/json");
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = match binary_header {
                None => request.header(CONTENT_TYPE, "application/json"),
                Some(n) => request
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .header(super::wire::HEADER_LENGTH, n.to_string()),
            }
            .body(body);
        }
        request.send().await.map_err(|e| transport_error(url, &e))
    }

    /// The JSON of a successful answer, or the error the answer describes.
    async fn json(&self, url: &Url, resp: Response) -> Result<Value, RemoteError> {
        let (bytes, _) = self.answer(url, resp).await?;
        serde_json::from_slice(&bytes).map_err(|e| RemoteError::BadJson {
            url: url.to_string(),
            api: self.api,
            message: e.to_string(),
        })
    }

    /// A successful answer's bytes (at most `MAX_ANSWER_BYTES`) and the
    /// length of its JSON header when binary tensors follow it.
    async fn answer(
        &self,
        url: &Url,
        resp: Response,
    ) -> Result<(Vec<u8>, Option<usize>), RemoteError> {
        if !resp.status().is_success() {
            return Err(status_error(url, resp).await);
        }
        let header = resp
            .headers()
            .get(super::wire::HEADER_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        let too_large = || RemoteError::AnswerTooLarge {
            url: url.to_string(),
            max_mib: MAX_ANSWER_BYTES >> 20,
        };
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut resp = resp;
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(url, &e))? {
            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((bytes, header))
    }

    fn protocol(&self, url: &Url, bad: Bad) -> RemoteError {
        RemoteError::Protocol {
            url: url.to_string(),
            api: self.api,
            field: bad.field,
            message: bad.message,
        }
    }
}

fn parse_base_url(base_url: &str) -> Result<Url, RemoteError> {
    let shown = base_url.trim();
    let bad = |message: &str| RemoteError::BadUrl {
        url: shown.to_owned(),
        message: message.to_owned(),
    };
    let url = Url::parse(shown).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            "it must start with https:// (or http:// for this computer)",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host"));
    }
    if url.password().is_some() || !url.username().is_empty() {
        return Err(bad(
            "it carries a user name or password; give the access token separately",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("remove the part from '?' or '#' on"));
    }
    Ok(url)
}

fn transport_error(url: &Url, e: &reqwest::Error) -> RemoteError {
    let url_shown = url.to_string();
    let (kind, message) = net_failure(e);
    match kind {
        NetFailure::Dns => RemoteError::Dns {
            url: url_shown,
            message,
        },
        NetFailure::Refused | NetFailure::Connect => RemoteError::Connect {
            url: url_shown,
            message,
        },
        NetFailure::Tls => RemoteError::Tls {
            url: url_shown,
            message,
        },
        NetFailure::Timeout if e.is_connect() => RemoteError::Timeout {
            url: url_shown,
            phase: "connecting",
            seconds: CONNECT_TIMEOUT.as_secs(),
        },
        NetFailure::Timeout => RemoteError::Timeout {
            url: url_shown,
            phase: "waiting for the answer",
            seconds: REQUEST_TIMEOUT.as_secs(),
        },
        NetFailure::Other => RemoteError::Transport {
            url: url_shown,
            message,
        },
    }
}

async fn status_error(url: &Url, mut resp: Response) -> RemoteError {
    let status = resp.status();
    let location = resp
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_capped(&mut resp, MAX_ERROR_BODY_BYTES, CONNECT_TIMEOUT).await;
    let message = match location {
        Some(to) if status.is_redirection() => format!("it redirects to {to}"),
        _ => server_message(&body),
    };
    RemoteError::Status {
        url: url.to_string(),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or(""),
        message,
        hint: status_hint(status),
    }
}

// ---------------------------------------------------------------------------
// Reading JSON answers, naming the field that is wrong.

/// A protocol violation: which field, and what is wrong with it.
#[derive(Debug)]
struct Bad {
    field: String,
    message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> Bad {
    Bad {
        field: field.into(),
        message: message.into(),
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

fn required<'a>(obj: &'a Value, key: &str, at: &str) -> Result<&'a Value, Bad> {
    match obj.get(key) {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(bad(join(at, key), "is missing")),
    }
}

fn string_field(obj: &Value, key: &str, at: &str) -> Result<String, Bad> {
    match required(obj, key, at)? {
        Value::String(s) => Ok(s.clone()),
        other => Err(bad(
            join(at, key),
            format!("should be a string, not {other}"),
        )),
    }
}

fn shape_field(obj: &Value, key: &str, at: &str) -> Result<Vec<i64>, Bad> {
    let field = join(at, key);
    let Value::Array(dims) = required(obj, key, at)? else {
        return Err(bad(field, "should be a list of integers"));
    };
    dims.iter()
        .map(|d| {
            d.as_i64()
                .ok_or_else(|| bad(field.clone(), format!("has {d}, which is not an integer")))
        })
        .collect()
}

/// Elements in a tensor of `shape`; `None` for negative (variable) or
/// overflowing dimensions.
fn element_count(shape: &[i64]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| {
        usize::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    })
}

fn shape_text(shape: &[i64]) -> String {
    let dims: Vec<String> = shape.iter().map(i64::to_string).collect();
    format!("[{}]", dims.join(", "))
}

// ---------------------------------------------------------------------------
// Tensors.

/// What a model says about one of its inputs or outputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TensorMeta {
    pub name: String,
    /// `BOOL`, `INT8` … `INT64`, `UINT8` … `UINT64`, `FP16`, `FP32`, `FP64`,
    /// `BF16` or `BYTES`, upper case.
    pub datatype: String,
    /// `-1` marks a variable dimension (usually the batch).
    pub shape: Vec<i64>,
}

/// `GET /v2/models/NAME`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelMetadata {
    pub name: String,
    pub versions: Vec<String>,
    pub platform: String,
    pub inputs: Vec<TensorMeta>,
    pub outputs: Vec<TensorMeta>,
    pub parameters: Value,
}

/// True for a recommender as `cityops serve` describes one (its metadata
/// parameters say `"kind": "recommender"`), or any model that takes user ids
/// as text and answers a `[users, k]` list of item ids.
pub fn is_recommender(meta: &ModelMetadata) -> bool {
    if let Some(kind) = meta.parameters.get("kind").and_then(Value::as_str) {
        return crate::models::ModelKind::parse(kind)
            == Some(crate::models::ModelKind::Recommender);
    }
    meta.inputs.iter().any(|t| t.datatype == "BYTES")
        && meta
            .outputs
            .iter()
            .any(|t| t.datatype == "BYTES" && t.shape.len() == 2)
}

pub use super::wire::TensorData;

impl TensorData {
    fn fits(&self, kind: DataKind) -> bool {
        matches!(
            (self, kind),
            (Self::Bool(_), DataKind::Bool)
                | (Self::Int(_), DataKind::Int { .. })
                | (Self::Float(_), DataKind::Float)
                | (Self::Bytes(_), DataKind::Bytes)
        )
    }
}

/// One tensor of an inference request or answer, as the protocol writes it:
/// `{"name", "shape", "datatype", "data": [...]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InferTensor {
    pub name: String,
    pub shape: Vec<i64>,
    pub datatype: String,
    pub data: TensorData,
}

/// How the values of a datatype are written in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataKind {
    Bool,
    Int { min: i64, max: i64 },
    Float,
    Bytes,
}

fn data_kind(datatype: &str) -> Option<DataKind> {
    let int = |min: i64, max: i64| Some(DataKind::Int { min, max });
    match datatype.to_ascii_uppercase().as_str() {
        "BOOL" => Some(DataKind::Bool),
        "INT8" => int(i8::MIN.into(), i8::MAX.into()),
        "INT16" => int(i16::MIN.into(), i16::MAX.into()),
        "INT32" => int(i32::MIN.into(), i32::MAX.into()),
        "INT64" => int(i64::MIN, i64::MAX),
        "UINT8" => int(0, u8::MAX.into()),
        "UINT16" => int(0, u16::MAX.into()),
        "UINT32" => int(0, u32::MAX.into()),
        "UINT64" => int(0, i64::MAX),
        "FP16" | "FP32" | "FP64" | "BF16" => Some(DataKind::Float),
        "BYTES" => Some(DataKind::Bytes),
        _ => None,
    }
}

fn parse_tensor_meta(v: &Value, at: &str) -> Result<TensorMeta, Bad> {
    Ok(TensorMeta {
        name: string_field(v, "name", at)?,
        datatype: string_field(v, "datatype", at)?.to_ascii_uppercase(),
        shape: shape_field(v, "shape", at)?,
    })
}

fn parse_tensor_metas(obj: &Value, key: &str) -> Result<Vec<TensorMeta>, Bad> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, t)| parse_tensor_meta(t, &format!("{key}[{i}]")))
            .collect(),
        Some(_) => Err(bad(key, "should be a list of tensors")),
    }
}

fn parse_metadata(v: &Value, model: &str) -> Result<ModelMetadata, Bad> {
    if !v.is_object() {
        return Err(bad("(answer)", "should be a JSON object"));
    }
    let name = match v.get("name") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => model.to_owned(),
        Some(other) => return Err(bad("name", format!("should be a string, not {other}"))),
    };
    let versions = match v.get("versions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(bad("versions", format!("has {other}, not a version"))),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("versions", "should be a list of strings")),
    };
    let platform = match v.get("platform") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    Ok(ModelMetadata {
        name,
        versions,
        platform,
        inputs: parse_tensor_metas(v, "inputs")?,
        outputs: parse_tensor_metas(v, "outputs")?,
        parameters: v.get("parameters").cloned().unwrap_or(Value::Null),
    })
}

/// Flattens nested lists (the protocol allows both) in row-major order.
fn flatten<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| flatten(x, out)),
        other => out.push(other),
    }
}

fn parse_data(kind: DataKind, values: &[&Value], field: &str) -> Result<TensorData, Bad> {
    let wrong = |i: usize, v: &Value, what: &str| {
        bad(
            field.to_owned(),
            format!("has {v} at position {i}, which is not {what}"),
        )
    };
    Ok(match kind {
        DataKind::Bool => TensorData::Bool(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Bool(b) => Ok(*b),
                    Value::Number(n) if n.as_f64() == Some(0.0) => Ok(false),
                    Value::Number(n) if n.as_f64() == Some(1.0) => Ok(true),
                    other => Err(wrong(i, other, "a boolean")),
                })
                .collect::<Result<_, _>>()?,
        ),
        DataKind::Int { .. } => TensorData::Int(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_i64()
                        .or_else(|| {
                            v.as_f64()
                                .filter(|x| x.fract() == 0.0 && x.abs() < 9.2e18)
                                .map(|x| x as i64)
                        })
                        .ok_or_else(|| wrong(i, v, "an integer"))
                })
                .collect::<Result<_, _>>()?,
        ),
        DataKind::Float => TensorData::Float(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    match v {
                        Value::Number(n) => n.as_f64(),
                        Value::Null => Some(f64::NAN),
                        Value::String(s) => s.trim().parse::<f64>().ok(),
                        _ => None,
                    }
                    .ok_or_else(|| wrong(i, v, "a number"))
                })
                .collect::<Result<_, _>>()?,
        ),
        DataKind::Bytes => TensorData::Bytes(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Null => Ok(String::new()),
                    Value::Number(_) | Value::Bool(_) => Ok(v.to_string()),
                    other => Err(wrong(i, other, "a string")),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// An output tensor's name, datatype (upper case), shape and element count.
fn tensor_head(v: &Value, at: &str) -> Result<(String, String, Vec<i64>, usize), Bad> {
    let name = string_field(v, "name", at)?;
    let datatype = string_field(v, "datatype", at)?.to_ascii_uppercase();
    let shape = shape_field(v, "shape", at)?;
    if data_kind(&datatype).is_none() {
        return Err(bad(
            join(at, "datatype"),
            format!("is '{datatype}', which is not a V2 datatype"),
        ));
    }
    let count = element_count(&shape).ok_or_else(|| {
        bad(
            join(at, "shape"),
            format!("is {}, which is not a concrete shape", shape_text(&shape)),
        )
    })?;
    Ok((name, datatype, shape, count))
}

fn parse_infer_tensor(v: &Value, at: &str) -> Result<InferTensor, Bad> {
    let (name, datatype, shape, count) = tensor_head(v, at)?;
    let kind = data_kind(&datatype).unwrap_or(DataKind::Bytes);
    let data_field = join(at, "data");
    // The shape is only a claim: the values are counted as received and
    // compared with it, and nothing is reserved from the claim.
    let mut flat = Vec::new();
    flatten(required(v, "data", at)?, &mut flat);
    if flat.len() != count {
        return Err(bad(
            data_field,
            format!(
                "has {} values but the shape {} needs {count}",
                flat.len(),
                shape_text(&shape)
            ),
        ));
    }
    Ok(InferTensor {
        name,
        data: parse_data(kind, &flat, &data_field)?,
        shape,
        datatype,
    })
}

/// Model names from `{"models": [...]}` or a bare list, whose items are
/// names or objects with a `name`.
fn parse_model_list(v: &Value) -> Result<Vec<String>, Bad> {
    let (items, field) = match v {
        Value::Array(items) => (items, "(answer)"),
        Value::Object(obj) => match obj.get("models") {
            Some(Value::Array(items)) => (items, "models"),
            _ => return Err(bad("models", "is missing or not a list")),
        },
        _ => return Err(bad("(answer)", "should be a list of models")),
    };
    let mut names: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let name = match item {
            Value::String(s) => s.clone(),
            Value::Object(_) => string_field(item, "name", &format!("{field}[{i}]"))?,
            other => return Err(bad(format!("{field}[{i}]"), format!("is {other}"))),
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// A file of a deployed model: its name and bytes.
pub type UploadFile = (String, Vec<u8>);

/// The largest bundle file deployed (the server's body limit applies too).
pub const MAX_DEPLOY_FILE_BYTES: u64 = 1 << 30;

/// A bundle's name and files — its card `NAME.json` and weights
/// `NAME.safetensors` — for [`V2Client::deploy`]; `model` is `models/NAME`
/// or the card's path.
pub fn bundle_files(model: &std::path::Path) -> Result<(String, Vec<UploadFile>), String> {
    let card = if model.extension().is_some_and(|e| e == "json") {
        model.to_owned()
    } else {
        model.with_extension("json")
    };
    let name = card
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{}: names no model file", model.display()))?;
    let mut files = Vec::new();
    for path in [card.clone(), card.with_extension("safetensors")] {
        let bytes = crate::data::file::read_regular(&path, MAX_DEPLOY_FILE_BYTES)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.push((file, bytes));
    }
    Ok((name, files))
}

// ---------------------------------------------------------------------------
// The V2 client.

/// A client for one Open Inference Protocol V2 server.
#[derive(Clone)]
pub struct V2Client {
    http: Endpoint,
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
    async fn takes_binary(&self) -> bool {
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

    async fn health(&self, which: &str) -> Result<bool, RemoteError> {
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
fn binary_request(inputs: &[InferTensor], outputs: &[String]) -> (Vec<u8>, usize) {
    let mut tail = Vec::new();
    let listed: Vec<Value> = inputs
        .iter()
        .map(|t| {
            let datatype =
                super::wire::DataType::parse(&t.datatype).unwrap_or(super::wire::DataType::Bytes);
            let bytes = super::wire::encode(&t.data, datatype);
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
fn binary_output(v: &Value, at: &str, size: u64, tail: &mut &[u8]) -> Result<InferTensor, Bad> {
    let (name, datatype_name, shape, count) = tensor_head(v, at)?;
    let datatype = super::wire::DataType::parse(&datatype_name).ok_or_else(|| {
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
    let data = super::wire::decode(datatype, count, bytes)
        .map_err(|e| bad(join(at, "parameters.binary_data_size"), e))?;
    Ok(InferTensor {
        name,
        shape,
        datatype: datatype_name,
        data,
    })
}

// ---------------------------------------------------------------------------
// Table columns in, table columns out.

/// One model input, built from table columns for all rows.
struct PlannedInput {
    name: String,
    datatype: String,
    /// Values per row (the mapped columns).
    width: usize,
    /// `[rows]` rather than `[rows, width]`.
    rank1: bool,
    data: TensorData,
}

fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "t" => Some(true),
        "no" | "n" | "false" | "f" => Some(false),
        _ => None,
    }
}

fn cell(column: &Column, row: usize, message: impl fmt::Display) -> String {
    format!("column '{}', row {}: {message}", column.name, row + 1)
}

fn float_at(column: &Column, row: usize) -> Result<f64, String> {
    if !column.is_valid(row) {
        return Ok(f64::NAN);
    }
    match &column.values {
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            let s = column.str_at(row).unwrap_or_default();
            if let Some(b) = yes_no(s) {
                Ok(f64::from(u8::from(b)))
            } else {
                s.trim().parse::<f64>().map_err(|_| {
                    cell(
                        column,
                        row,
                        format!(
                            "'{s}' is not a number or yes/no; map a numeric column or encode the categories first"
                        ),
                    )
                })
            }
        }
        _ => Ok(column.f64_at(row).unwrap_or(f64::NAN)),
    }
}

fn int_at(column: &Column, row: usize, datatype: &str, min: i64, max: i64) -> Result<i64, String> {
    if !column.is_valid(row) {
        return Err(cell(
            column,
            row,
            format!(
                "the value is missing and {datatype} has no missing value; fill or drop the missing rows, or map another column"
            ),
        ));
    }
    let value = match &column.values {
        ColumnValues::Integer(v) => v.get(row).copied(),
        ColumnValues::Bool(v) => v.get(row).map(|b| i64::from(*b)),
        ColumnValues::Timestamp(v) => v.get(row).map(|t| t.div_euclid(MICROS_PER_SECOND)),
        ColumnValues::Float(v) => match v.get(row).copied() {
            Some(x) if x.is_nan() => {
                return Err(cell(
                    column,
                    row,
                    format!(
                        "the value is missing and {datatype} has no missing value; fill or drop the missing rows, or map another column"
                    ),
                ));
            }
            Some(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(x as i64),
            Some(x) => {
                return Err(cell(
                    column,
                    row,
                    format!("{x} is not a whole number, which {datatype} needs"),
                ));
            }
            None => None,
        },
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            let s = column.str_at(row).unwrap_or_default();
            match yes_no(s) {
                Some(b) => Some(i64::from(b)),
                None => Some(s.trim().parse::<i64>().map_err(|_| {
                    cell(
                        column,
                        row,
                        format!("'{s}' is not a whole number or yes/no, which {datatype} needs"),
                    )
                })?),
            }
        }
    };
    let value = value.ok_or_else(|| cell(column, row, "the row does not exist"))?;
    if value < min || value > max {
        return Err(cell(
            column,
            row,
            format!("{value} is outside the range of {datatype} ({min} to {max})"),
        ));
    }
    Ok(value)
}

fn bool_at(column: &Column, row: usize) -> Result<bool, String> {
    if !column.is_valid(row) {
        return Err(cell(
            column,
            row,
            "the value is missing and BOOL has no missing value; fill or drop the missing rows",
        ));
    }
    let not_bool = |shown: String| cell(column, row, format!("{shown} is not true/false or 0/1"));
    match &column.values {
        ColumnValues::Bool(v) => v.get(row).copied().ok_or_else(|| not_bool("?".to_owned())),
        ColumnValues::Integer(_) | ColumnValues::Float(_) => match column.f64_at(row) {
            Some(0.0) => Ok(false),
            Some(1.0) => Ok(true),
            Some(x) => Err(not_bool(x.to_string())),
            None => Err(not_bool("a missing value".to_owned())),
        },
        ColumnValues::Timestamp(_) => Err(not_bool("a timestamp".to_owned())),
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            let s = column.str_at(row).unwrap_or_default();
            match (yes_no(s), s.trim()) {
                (Some(b), _) => Ok(b),
                (None, "1") => Ok(true),
                (None, "0") => Ok(false),
                _ => Err(not_bool(format!("'{s}'"))),
            }
        }
    }
}

/// The cell as text; a missing value is the empty string.
fn text_at(column: &Column, row: usize) -> String {
    if !column.is_valid(row) {
        return String::new();
    }
    match &column.values {
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            column.str_at(row).unwrap_or_default().to_owned()
        }
        ColumnValues::Integer(v) => v.get(row).map(i64::to_string).unwrap_or_default(),
        ColumnValues::Float(v) => v.get(row).map(f64::to_string).unwrap_or_default(),
        ColumnValues::Bool(v) => v.get(row).map(bool::to_string).unwrap_or_default(),
        ColumnValues::Timestamp(v) => v
            .get(row)
            .map(|&t| {
                jiff::Timestamp::from_microsecond(t)
                    .map_or_else(|_| t.to_string(), |ts| ts.to_string())
            })
            .unwrap_or_default(),
    }
}

fn plan_input(
    model: &str,
    meta: &TensorMeta,
    columns: &[&Column],
    rows: usize,
) -> Result<PlannedInput, RemoteError> {
    let err = |message: String| RemoteError::Input {
        model: model.to_owned(),
        tensor: meta.name.clone(),
        message,
    };
    let width = columns.len();
    if width == 0 {
        return Err(err(
            "no columns are mapped to it; map at least one".to_owned()
        ));
    }
    let rank1 = match meta.shape.as_slice() {
        [_] if width == 1 => true,
        [_] => {
            return Err(err(format!(
                "it takes one value per row (shape {}) but {width} columns are mapped; map one column",
                shape_text(&meta.shape)
            )));
        }
        [_, per_row] if *per_row > 0 && *per_row as usize != width => {
            return Err(err(format!(
                "it takes {per_row} values per row (shape {}) but {width} columns are mapped",
                shape_text(&meta.shape)
            )));
        }
        [_, _] => false,
        other => {
            return Err(err(format!(
                "its shape {} cannot be filled from table rows; only [rows] and [rows, values] can",
                shape_text(other)
            )));
        }
    };
    let Some(kind) = data_kind(&meta.datatype) else {
        return Err(err(format!(
            "the model asks for datatype '{}', which cityops cannot build from table columns",
            meta.datatype
        )));
    };
    let cells = || (0..rows).flat_map(|r| columns.iter().map(move |c| (*c, r)));
    let data = match kind {
        DataKind::Float => TensorData::Float(
            cells()
                .map(|(c, r)| float_at(c, r))
                .collect::<Result<_, _>>()
                .map_err(err)?,
        ),
        DataKind::Int { min, max } => TensorData::Int(
            cells()
                .map(|(c, r)| int_at(c, r, &meta.datatype, min, max))
                .collect::<Result<_, _>>()
                .map_err(err)?,
        ),
        DataKind::Bool => TensorData::Bool(
            cells()
                .map(|(c, r)| bool_at(c, r))
                .collect::<Result<_, _>>()
                .map_err(err)?,
        ),
        DataKind::Bytes => TensorData::Bytes(cells().map(|(c, r)| text_at(c, r)).collect()),
    };
    Ok(PlannedInput {
        name: meta.name.clone(),
        datatype: meta.datatype.clone(),
        width,
        rank1,
        data,
    })
}

/// Resolves the mapping (or, when empty, columns named like the inputs)
/// and converts every input for all rows, so bad cells are found before
/// anything is sent.
fn plan_inputs(
    model: &str,
    meta: &ModelMetadata,
    table: &Table,
    mapping: &[(String, Vec<String>)],
) -> Result<Vec<PlannedInput>, RemoteError> {
    if meta.inputs.is_empty() {
        return Err(RemoteError::NoInputs {
            model: model.to_owned(),
        });
    }
    let rows = table.n_rows();
    let input_err = |tensor: &str, message: String| RemoteError::Input {
        model: model.to_owned(),
        tensor: tensor.to_owned(),
        message,
    };
    if mapping.is_empty() {
        let missing: Vec<String> = meta
            .inputs
            .iter()
            .filter(|i| table.column(&i.name).is_none())
            .map(|i| format!("'{}'", i.name))
            .collect();
        if !missing.is_empty() {
            let available: Vec<String> = table
                .columns
                .iter()
                .map(|c| format!("'{}'", c.name))
                .collect();
            return Err(RemoteError::MissingColumns {
                model: model.to_owned(),
                missing: missing.join(", "),
                available: if available.is_empty() {
                    "no columns".to_owned()
                } else {
                    available.join(", ")
                },
            });
        }
        return meta
            .inputs
            .iter()
            .map(|i| {
                let columns: Vec<&Column> = table.column(&i.name).into_iter().collect();
                plan_input(model, i, &columns, rows)
            })
            .collect();
    }
    let names: Vec<String> = meta
        .inputs
        .iter()
        .map(|i| format!("'{}'", i.name))
        .collect();
    let mut planned = Vec::with_capacity(mapping.len());
    for (i, (tensor, column_names)) in mapping.iter().enumerate() {
        if mapping.iter().take(i).any(|(t, _)| t == tensor) {
            return Err(input_err(tensor, "it is mapped twice".to_owned()));
        }
        let Some(tensor_meta) = meta.inputs.iter().find(|m| &m.name == tensor) else {
            return Err(input_err(
                tensor,
                format!(
                    "the model has no such input (it has {}); fix the mapping",
                    names.join(", ")
                ),
            ));
        };
        let columns = column_names
            .iter()
            .map(|name| {
                table.column(name).ok_or_else(|| {
                    input_err(
                        tensor,
                        format!("the table has no column '{name}'; fix the mapping"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        planned.push(plan_input(model, tensor_meta, &columns, rows)?);
    }
    if let Some(unmapped) = meta
        .inputs
        .iter()
        .find(|m| !mapping.iter().any(|(t, _)| t == &m.name))
    {
        return Err(input_err(
            &unmapped.name,
            "no columns are mapped to it; the model needs every input".to_owned(),
        ));
    }
    Ok(planned)
}

/// One output's values, gathered over the batches.
struct OutputColumns {
    name: String,
    datatype: String,
    /// Values per row; 1 means one column named like the output.
    width: usize,
    values: OutputValues,
}

enum OutputValues {
    /// `[column][row]`.
    Float(Vec<Vec<f64>>),
    Text(Vec<Vec<String>>),
}

impl OutputColumns {
    fn new(name: &str, datatype: &str, width: usize) -> Self {
        let values = if datatype.eq_ignore_ascii_case("BYTES") {
            OutputValues::Text(vec![Vec::new(); width])
        } else {
            OutputValues::Float(vec![Vec::new(); width])
        };
        Self {
            name: name.to_owned(),
            datatype: datatype.to_ascii_uppercase(),
            width,
            values,
        }
    }

    /// Appends a batch of `rows` rows; the error names the field and what is wrong.
    fn add(&mut self, t: &InferTensor, at: &str, rows: usize) -> Result<(), Bad> {
        let shape_err = |message: String| bad(format!("{at}.shape"), message);
        match t.shape.first() {
            Some(&n) if n == rows as i64 => {}
            _ => {
                return Err(shape_err(format!(
                    "is {} but the batch has {rows} rows",
                    shape_text(&t.shape)
                )));
            }
        }
        let width = t.shape.get(1..).and_then(element_count).unwrap_or(0);
        if width != self.width {
            return Err(shape_err(format!(
                "is {}, with {width} values per row where an earlier batch had {}",
                shape_text(&t.shape),
                self.width
            )));
        }
        if !t.datatype.eq_ignore_ascii_case(&self.datatype) {
            return Err(bad(
                format!("{at}.datatype"),
                format!(
                    "is {} where an earlier batch had {}",
                    t.datatype, self.datatype
                ),
            ));
        }
        match (&mut self.values, &t.data) {
            (OutputValues::Text(cols), TensorData::Bytes(v)) => {
                for (j, col) in cols.iter_mut().enumerate() {
                    col.extend(v.iter().skip(j).step_by(width.max(1)).cloned());
                }
            }
            (OutputValues::Float(cols), data) => {
                let as_f64: Vec<f64> = match data {
                    TensorData::Float(v) => v.clone(),
                    TensorData::Int(v) => v.iter().map(|&x| x as f64).collect(),
                    TensorData::Bool(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
                    TensorData::Bytes(_) => {
                        return Err(bad(
                            format!("{at}.data"),
                            "has strings for a numeric tensor",
                        ));
                    }
                };
                for (j, col) in cols.iter_mut().enumerate() {
                    col.extend(as_f64.iter().skip(j).step_by(width.max(1)).copied());
                }
            }
            (OutputValues::Text(_), _) => {
                return Err(bad(format!("{at}.data"), "has numbers for a BYTES tensor"));
            }
        }
        Ok(())
    }

    fn into_columns(self) -> Vec<Column> {
        let name_of = |j: usize| {
            if self.width == 1 {
                self.name.clone()
            } else {
                format!("{}_{j}", self.name)
            }
        };
        match self.values {
            OutputValues::Float(cols) => cols
                .into_iter()
                .enumerate()
                .map(|(j, v)| Column::from_f64(name_of(j), v))
                .collect(),
            OutputValues::Text(cols) => cols
                .into_iter()
                .enumerate()
                .map(|(j, v)| Column::text(name_of(j), &v))
                .collect(),
        }
    }
}

/// Empty columns for the outputs the metadata promises (for an empty table);
/// an output claiming more than [`MAX_OUTPUT_COLUMNS`] values per row is an
/// error naming it.
fn empty_outputs(meta: &ModelMetadata, outputs: &[String]) -> Result<Vec<Column>, Bad> {
    let wanted: Vec<&TensorMeta> = if outputs.is_empty() {
        meta.outputs.iter().collect()
    } else {
        meta.outputs
            .iter()
            .filter(|o| outputs.contains(&o.name))
            .collect()
    };
    let mut columns = Vec::new();
    for (i, o) in wanted.into_iter().enumerate() {
        let width = o.shape.get(1..).and_then(element_count).unwrap_or(1);
        if width > MAX_OUTPUT_COLUMNS {
            return Err(bad(
                format!("outputs[{i}].shape"),
                format!(
                    "is {}, {width} values per row; at most {MAX_OUTPUT_COLUMNS} are turned into columns",
                    shape_text(&o.shape)
                ),
            ));
        }
        columns.extend(OutputColumns::new(&o.name, &o.datatype, width).into_columns());
    }
    Ok(columns)
}

/// Sends `table` to `model` in batches of `batch_rows` rows and returns its
/// outputs as columns, with the total time spent waiting for the server.
///
/// `mapping` lists, per model input, the columns stacked into its
/// `[rows, k]` tensor (`[rows]` for one column when the model's input has
/// rank 1), converted to the datatype the metadata asks for: booleans and
/// yes/no become 1/0, categorical and text columns go to BYTES, a missing
/// value is NaN in a float input and an error in an integer or boolean one.
/// An empty `mapping` sends each input the column of the same name. An
/// output of shape `[rows, k]` becomes columns `NAME_0` … `NAME_{k-1}`,
/// `[rows]` or `[rows, 1]` one column `NAME`; BYTES outputs are text
/// columns, all others float. Progress is reported and cancel honoured
/// between batches.
#[allow(clippy::too_many_arguments)]
pub async fn infer_table(
    client: &V2Client,
    model: &str,
    meta: &ModelMetadata,
    table: &Table,
    mapping: &[(String, Vec<String>)],
    outputs: &[String],
    batch_rows: usize,
    progress: &dyn Progress,
) -> Result<(Vec<Column>, Duration), RemoteError> {
    let inputs = plan_inputs(model, meta, table, mapping)?;
    let rows = table.n_rows();
    let url = client.http.url(&["v2", "models", model, "infer"])?;
    if rows == 0 {
        let columns = empty_outputs(meta, outputs).map_err(|b| client.http.protocol(&url, b))?;
        return Ok((columns, Duration::ZERO));
    }
    let batch_rows = batch_rows.max(1);
    let mut gathered: Vec<OutputColumns> = Vec::new();
    let mut latency = Duration::ZERO;
    let mut done = 0;
    progress.report(0.0, &format!("Sending {rows} rows to {model}"));
    while done < rows {
        if progress.is_cancelled() {
            return Err(RemoteError::Cancelled {
                model: model.to_owned(),
                rows_done: done,
                rows,
            });
        }
        let end = (done + batch_rows).min(rows);
        let n = end - done;
        let tensors: Vec<InferTensor> = inputs
            .iter()
            .map(|p| InferTensor {
                name: p.name.clone(),
                shape: if p.rank1 {
                    vec![n as i64]
                } else {
                    vec![n as i64, p.width as i64]
                },
                datatype: p.datatype.clone(),
                data: p.data.slice(done * p.width..end * p.width),
            })
            .collect();
        let started = Instant::now();
        let answer = client.infer(model, tensors, outputs).await?;
        latency += started.elapsed();
        // The caller's order when it named outputs, else the server's.
        let order: Vec<(usize, &InferTensor)> = if outputs.is_empty() {
            answer.iter().enumerate().collect()
        } else {
            outputs
                .iter()
                .filter_map(|name| answer.iter().enumerate().find(|(_, t)| &t.name == name))
                .collect()
        };
        for (i, t) in order {
            let at = format!("outputs[{i}]");
            let acc = match gathered.iter().position(|g| g.name == t.name) {
                Some(i) => gathered.get_mut(i),
                None if done == 0 => {
                    let width = t.shape.get(1..).and_then(element_count).unwrap_or(0);
                    // The batch has n >= 1 rows, so the values received
                    // bound the width the shape claims.
                    if width > t.data.len().max(1) || width > MAX_OUTPUT_COLUMNS {
                        return Err(client.http.protocol(
                            &url,
                            bad(
                                format!("{at}.shape"),
                                format!(
                                    "is {}, {width} values per row, but the answer holds {} values for {n} rows (and at most {MAX_OUTPUT_COLUMNS} values per row are turned into columns)",
                                    shape_text(&t.shape),
                                    t.data.len()
                                ),
                            ),
                        ));
                    }
                    gathered.push(OutputColumns::new(&t.name, &t.datatype, width));
                    gathered.last_mut()
                }
                None => None,
            };
            let Some(acc) = acc else {
                return Err(client.http.protocol(
                    &url,
                    bad(
                        at,
                        format!("is '{}', which an earlier batch did not have", t.name),
                    ),
                ));
            };
            acc.add(t, &at, n)
                .map_err(|b| client.http.protocol(&url, b))?;
        }
        if let Some(missing) = gathered
            .iter()
            .find(|g| !answer.iter().any(|t| t.name == g.name))
        {
            return Err(client.http.protocol(
                &url,
                bad(
                    "outputs",
                    format!("has no tensor '{}' in this batch", missing.name),
                ),
            ));
        }
        done = end;
        progress.report(
            done as f32 / rows as f32,
            &format!("Sent {done} of {rows} rows to {model}"),
        );
    }
    let columns = gathered
        .into_iter()
        .flat_map(OutputColumns::into_columns)
        .collect();
    Ok((columns, latency))
}

/// Asks a remote recommender for the `top` best items for `user`: item ids
/// with their scores, best first. The user id goes to the model's text
/// (BYTES) input — the one named `user` when there are several — and `top`
/// to an integer input named `top` when the model has one; the answer is
/// read from its text output (`items`) and numeric output (`scores`).
pub async fn recommend(
    client: &V2Client,
    meta: &ModelMetadata,
    user: &str,
    top: usize,
) -> Result<Vec<(String, f64)>, RemoteError> {
    let pick = |list: &[TensorMeta], name: &str, ok: &dyn Fn(&str) -> bool| -> Option<String> {
        list.iter()
            .find(|t| t.name == name && ok(&t.datatype))
            .or_else(|| list.iter().find(|t| ok(&t.datatype)))
            .map(|t| t.name.clone())
    };
    let is_bytes = |d: &str| d == "BYTES";
    let is_number = |d: &str| matches!(data_kind(d), Some(DataKind::Int { .. } | DataKind::Float));
    let Some(user_input) = pick(&meta.inputs, "user", &is_bytes) else {
        return Err(RemoteError::Input {
            model: meta.name.clone(),
            tensor: "user".to_owned(),
            message:
                "the model has no text (BYTES) input to take a user id; it is not a recommender"
                    .to_owned(),
        });
    };
    let mut inputs = vec![InferTensor {
        name: user_input,
        shape: vec![1],
        datatype: "BYTES".to_owned(),
        data: TensorData::Bytes(vec![user.to_owned()]),
    }];
    if let Some(t) = meta
        .inputs
        .iter()
        .find(|t| t.name == "top" && matches!(data_kind(&t.datatype), Some(DataKind::Int { .. })))
    {
        inputs.push(InferTensor {
            name: t.name.clone(),
            shape: vec![1],
            datatype: t.datatype.clone(),
            data: TensorData::Int(vec![top as i64]),
        });
    }
    let items_name = pick(&meta.outputs, "items", &is_bytes);
    let scores_name = pick(&meta.outputs, "scores", &is_number);
    let answer = client.infer(&meta.name, inputs, &[]).await?;
    let url = client.http.url(&["v2", "models", &meta.name, "infer"])?;
    let find = |name: &Option<String>| {
        name.as_ref()
            .and_then(|n| answer.iter().find(|t| &t.name == n))
    };
    let Some(TensorData::Bytes(items)) = find(&items_name).map(|t| &t.data) else {
        return Err(client.http.protocol(
            &url,
            bad("outputs", "has no text (BYTES) tensor of item ids"),
        ));
    };
    let scores: Vec<f64> = match find(&scores_name).map(|t| &t.data) {
        Some(TensorData::Float(v)) => v.clone(),
        Some(TensorData::Int(v)) => v.iter().map(|&x| x as f64).collect(),
        _ => Vec::new(),
    };
    Ok(items
        .iter()
        .take(top)
        .enumerate()
        .map(|(i, item)| (item.clone(), scores.get(i).copied().unwrap_or(f64::NAN)))
        .collect())
}

/// [`infer_table`] over only the rows where every mapped column (every
/// column named like an input, when `mapping` is empty) has a value —
/// integer and boolean tensors cannot carry a missing one. The outputs are
/// spread back over all rows, missing where a row was not sent; the third
/// value is how many rows were not sent.
#[allow(clippy::too_many_arguments)]
pub async fn infer_complete_rows(
    client: &V2Client,
    model: &str,
    meta: &ModelMetadata,
    table: &Table,
    mapping: &[(String, Vec<String>)],
    outputs: &[String],
    batch_rows: usize,
    progress: &dyn Progress,
) -> Result<(Vec<Column>, Duration, usize), RemoteError> {
    let mapped: Vec<&Column> = if mapping.is_empty() {
        meta.inputs
            .iter()
            .filter_map(|t| table.column(&t.name))
            .collect()
    } else {
        mapping
            .iter()
            .flat_map(|(_, cols)| cols.iter().filter_map(|c| table.column(c)))
            .collect()
    };
    let rows = table.n_rows();
    let complete: Vec<usize> = (0..rows)
        .filter(|&r| mapped.iter().all(|c| c.is_valid(r)))
        .collect();
    let skipped = rows - complete.len();
    if skipped == 0 {
        let (cols, latency) = infer_table(
            client, model, meta, table, mapping, outputs, batch_rows, progress,
        )
        .await?;
        return Ok((cols, latency, 0));
    }
    let sent = table.take_rows(&complete);
    let (cols, latency) = infer_table(
        client, model, meta, &sent, mapping, outputs, batch_rows, progress,
    )
    .await?;
    let spread = cols.iter().map(|c| c.take(&complete, Some(rows))).collect();
    Ok((spread, latency, skipped))
}

// ---------------------------------------------------------------------------
// OpenAI-compatible embeddings.

/// A client for `POST {base}/v1/embeddings` with one model.
#[derive(Clone)]
pub struct EmbeddingsClient {
    http: Endpoint,
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

    fn embeddings_url(&self) -> Result<Url, RemoteError> {
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
fn parse_embeddings(v: &Value, expected: usize) -> Result<Vec<Vec<f32>>, Bad> {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::Json;
    use axum::Router;
    use axum::extract::Path as UrlPath;
    use axum::http::{HeaderMap, StatusCode as Code};
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use serde_json::json;

    use super::*;
    use crate::models::test_server::serve;

    struct CancelNow;

    impl Progress for CancelNow {
        fn report(&self, _fraction: f32, _message: &str) {}

        fn is_cancelled(&self) -> bool {
            true
        }
    }

    #[tokio::test]
    async fn infer_sends_flat_typed_tensors_and_reads_nested_outputs_with_nulls() {
        let expected = json!({
            "inputs": [
                {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1.0, 2.5, -3.0, 4.0, 5.0, 6.0]},
                {"name": "ids", "shape": [2], "datatype": "INT64", "data": [7, -8]},
                {"name": "flag", "shape": [2], "datatype": "BOOL", "data": [true, false]},
                {"name": "note", "shape": [2, 1], "datatype": "BYTES", "data": ["a", "b"]}
            ],
            "outputs": [{"name": "y"}]
        });
        let router = Router::new().route(
            "/v2/models/{model}/infer",
            post(
                move |UrlPath(model): UrlPath<String>, Json(body): Json<Value>| {
                    let expected = expected.clone();
                    async move {
                        if model != "speed model" || body != expected {
                            return (Code::BAD_REQUEST, format!("unexpected {model}: {body}"))
                                .into_response();
                        }
                        Json(json!({
                            "model_name": model,
                            "id": "1",
                            "outputs": [{"name": "y", "datatype": "FP32", "shape": [2, 2],
                                         "data": [[0.5, null], [1, 2]]}]
                        }))
                        .into_response()
                    }
                },
            ),
        );
        let base = serve(router).await;
        let client = V2Client::new(&base, None).unwrap();
        let inputs = vec![
            InferTensor {
                name: "x".into(),
                shape: vec![2, 3],
                datatype: "FP32".into(),
                data: TensorData::Float(vec![1.0, 2.5, -3.0, 4.0, 5.0, 6.0]),
            },
            InferTensor {
                name: "ids".into(),
                shape: vec![2],
                datatype: "INT64".into(),
                data: TensorData::Int(vec![7, -8]),
            },
            InferTensor {
                name: "flag".into(),
                shape: vec![2],
                datatype: "BOOL".into(),
                data: TensorData::Bool(vec![true, false]),
            },
            InferTensor {
                name: "note".into(),
                shape: vec![2, 1],
                datatype: "BYTES".into(),
                data: TensorData::Bytes(vec!["a".into(), "b".into()]),
            },
        ];
        let out = client
            .infer("speed model", inputs, &["y".to_owned()])
            .await
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].name, "y");
        assert_eq!(out[0].shape, vec![2, 2]);
        let TensorData::Float(v) = &out[0].data else {
            panic!("{:?}", out[0].data)
        };
        assert_eq!(v[0], 0.5);
        assert!(v[1].is_nan());
        assert_eq!(&v[2..], &[1.0, 2.0]);
    }

    #[tokio::test]
    async fn metadata_is_read_with_versions_and_shapes() {
        let router = Router::new().route(
            "/v2/models/{model}",
            get(|UrlPath(model): UrlPath<String>| async move {
                Json(json!({
                    "name": model, "versions": ["1", 2], "platform": "onnxruntime_onnx",
                    "inputs": [{"name": "x", "datatype": "fp32", "shape": [-1, 3]}],
                    "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1]}]
                }))
            }),
        );
        let client = V2Client::new(&serve(router).await, None).unwrap();
        let meta = client.metadata("traffic").await.unwrap();
        assert_eq!(meta.name, "traffic");
        assert_eq!(meta.versions, vec!["1", "2"]);
        assert_eq!(meta.platform, "onnxruntime_onnx");
        assert_eq!(
            meta.inputs,
            vec![TensorMeta {
                name: "x".into(),
                datatype: "FP32".into(),
                shape: vec![-1, 3]
            }]
        );
        assert_eq!(meta.outputs[0].shape, vec![-1]);
    }

    #[tokio::test]
    async fn metadata_without_tensor_shape_names_the_field() {
        let router = Router::new().route(
            "/v2/models/{model}",
            get(|| async {
                Json(json!({"name": "m", "inputs": [{"name": "x", "datatype": "FP32"}]}))
            }),
        );
        let client = V2Client::new(&serve(router).await, None).unwrap();
        let err = client.metadata("m").await.unwrap_err();
        assert!(matches!(&err, RemoteError::Protocol { field, .. } if field == "inputs[0].shape"));
        assert!(err.to_string().contains("/v2/models/m"), "{err}");
    }

    #[tokio::test]
    async fn model_list_uses_cityops_listing() {
        let router = Router::new().route(
            "/v2/models",
            get(|| async { Json(json!({"models": [{"name": "a"}, "b"]})) }),
        );
        let client = V2Client::new(&serve(router).await, None).unwrap();
        assert_eq!(client.list_models().await.unwrap(), vec!["a", "b"]);
    }

    #[tokio::test]
    async fn model_list_falls_back_to_triton_index_then_says_it_cannot() {
        let triton = Router::new().route(
            "/v2/repository/index",
            post(|| async {
                Json(json!([
                    {"name": "a", "version": "1", "state": "READY"},
                    {"name": "a", "version": "2", "state": "READY"},
                    {"name": "b", "state": "UNAVAILABLE"}
                ]))
            }),
        );
        let client = V2Client::new(&serve(triton).await, None).unwrap();
        assert_eq!(client.list_models().await.unwrap(), vec!["a", "b"]);

        let neither = serve(Router::new()).await;
        let err = V2Client::new(&neither, None)
            .unwrap()
            .list_models()
            .await
            .unwrap_err();
        assert!(matches!(err, RemoteError::CannotList { .. }), "{err}");
    }

    #[tokio::test]
    async fn plain_text_server_error_appears_in_the_message() {
        let router = Router::new().route(
            "/v2/models/{model}/infer",
            post(|| async {
                (
                    Code::INTERNAL_SERVER_ERROR,
                    "model crashed: CUDA out of memory",
                )
            }),
        );
        let client = V2Client::new(&serve(router).await, None).unwrap();
        let err = client.infer("m", Vec::new(), &[]).await.unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, RemoteError::Status { status: 500, .. }),
            "{text}"
        );
        assert!(text.contains("model crashed: CUDA out of memory"), "{text}");
        assert!(text.contains("/v2/models/m/infer"), "{text}");
    }

    /// A server whose answer claims shapes far larger than the data it
    /// sends: an error naming the field, never an attempt to reserve the
    /// claim (which aborted the process).
    #[tokio::test]
    async fn huge_claimed_output_shape_is_an_error_not_an_abort() {
        let router = Router::new().route(
            "/v2/models/{model}/infer",
            post(|| async {
                Json(json!({
                    "model_name": "m",
                    "outputs": [{"name": "y", "datatype": "FP64",
                                 "shape": [1, 1_000_000_000_000_000_i64], "data": [1.0]}]
                }))
            }),
        );
        let base = serve(router).await;
        let client = V2Client::new(&base, None).unwrap();
        let input = || {
            vec![InferTensor {
                name: "x".into(),
                shape: vec![1],
                datatype: "FP64".into(),
                data: TensorData::Float(vec![1.0]),
            }]
        };
        let err = client.infer("m", input(), &[]).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, RemoteError::Protocol { .. }), "{text}");
        assert!(
            text.contains("outputs[0].data") && text.contains("has 1 values"),
            "{text}"
        );

        // A batch of one row whose output claims [1, 2^40] values per row
        // with zero rows' worth of data: refused before any column is made.
        let router = Router::new().route(
            "/v2/models/{model}/infer",
            post(|| async {
                Json(json!({
                    "model_name": "m",
                    "outputs": [{"name": "y", "datatype": "FP64",
                                 "shape": [0, 1_099_511_627_776_i64], "data": []}]
                }))
            }),
        );
        let base = serve(router).await;
        let client = V2Client::new(&base, None).unwrap();
        let mapping = vec![(
            "x".to_owned(),
            vec![
                "speed_kmh".to_owned(),
                "rain".to_owned(),
                "holiday".to_owned(),
            ],
        )];
        let err = infer_table(
            &client,
            "m",
            &speed_meta("FP32"),
            &speed_table(),
            &mapping,
            &[],
            100,
            &(),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, RemoteError::Protocol { .. }), "{text}");
        assert!(text.contains("outputs[0].shape"), "{text}");
    }

    #[tokio::test]
    async fn json_error_field_is_read_and_token_is_sent() {
        let router = Router::new()
            .route(
                "/v2/health/live",
                get(|headers: HeaderMap| async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok())
                        == Some("Bearer s3cret")
                    {
                        (Code::OK, Json(json!({})))
                    } else {
                        (Code::UNAUTHORIZED, Json(json!({"error": "bad token"})))
                    }
                }),
            )
            .route(
                "/v2/health/ready",
                get(|| async { Code::SERVICE_UNAVAILABLE }),
            );
        let base = serve(router).await;
        let good = V2Client::new(&base, Some("s3cret".into())).unwrap();
        assert!(good.live().await.unwrap());
        assert!(!good.ready().await.unwrap());
        let err = V2Client::new(&base, Some("wrong".into()))
            .unwrap()
            .live()
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, RemoteError::Status { status: 401, .. }),
            "{text}"
        );
        assert!(
            text.contains("bad token") && text.contains("access token"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn connection_refused_names_the_url() {
        // Bind, note the port, close: nothing listens there any more.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = V2Client::new(&format!("http://{addr}"), None).unwrap();
        let err = client.live().await.unwrap_err();
        assert!(matches!(err, RemoteError::Connect { .. }), "{err}");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }

    #[tokio::test]
    async fn plain_http_to_another_host_is_refused_without_connecting() {
        let client = V2Client::new("http://example.invalid:8000", None).unwrap();
        let err = client.live().await.unwrap_err();
        assert!(matches!(err, RemoteError::InsecureHttp { .. }), "{err}");
        let err = EmbeddingsClient::new("http://example.invalid", "m".into(), None)
            .unwrap()
            .embed(&["x".to_owned()])
            .await
            .unwrap_err();
        assert!(matches!(err, RemoteError::InsecureHttp { .. }), "{err}");
    }

    #[test]
    fn base_urls_are_validated() {
        for bad_url in [
            "localhost:8000",
            "ftp://models.example.org",
            "https://user:pw@models.example.org",
            "https://models.example.org/?token=1",
        ] {
            assert!(
                matches!(
                    V2Client::new(bad_url, None),
                    Err(RemoteError::BadUrl { .. })
                ),
                "{bad_url}"
            );
        }
        assert!(V2Client::new("https://models.example.org/kserve/", None).is_ok());
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for (url, loopback) in [
            ("http://localhost:1/", true),
            ("http://127.0.0.1/", true),
            ("http://127.8.9.10/", true),
            ("http://[::1]:80/", true),
            ("http://10.0.0.1/", false),
            ("http://localhost.example.org/", false),
            ("http://example.invalid/", false),
        ] {
            assert_eq!(
                is_loopback_host(&Url::parse(url).unwrap()),
                loopback,
                "{url}"
            );
        }
    }

    #[test]
    fn server_message_reads_json_error_or_plain_text() {
        assert_eq!(
            server_message(br#"{"error": "no such model"}"#),
            "no such model"
        );
        assert_eq!(
            server_message(br#"{"error": {"message": "too long", "type": "x"}}"#),
            "too long"
        );
        assert_eq!(server_message(br#"{"detail": "Not Found"}"#), "Not Found");
        assert_eq!(
            server_message(b"  upstream\n  timed out "),
            "upstream timed out"
        );
        assert_eq!(server_message(b""), "no message");
        assert!(server_message(&[b'x'; 2000]).chars().count() <= MAX_ERROR_CHARS + 1);
    }

    #[test]
    fn tensor_data_serialises_per_protocol() {
        let t = InferTensor {
            name: "x".into(),
            shape: vec![3],
            datatype: "FP64".into(),
            data: TensorData::Float(vec![1.5, f64::NAN, 2.0]),
        };
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"name": "x", "shape": [3], "datatype": "FP64", "data": [1.5, null, 2.0]})
        );
        let b = TensorData::Bool(vec![true]);
        assert_eq!(serde_json::to_value(&b).unwrap(), json!([true]));
    }

    fn speed_meta(datatype: &str) -> ModelMetadata {
        ModelMetadata {
            name: "speed".into(),
            inputs: vec![TensorMeta {
                name: "x".into(),
                datatype: datatype.into(),
                shape: vec![-1, 3],
            }],
            outputs: vec![
                TensorMeta {
                    name: "y".into(),
                    datatype: "FP32".into(),
                    shape: vec![-1, 2],
                },
                TensorMeta {
                    name: "label".into(),
                    datatype: "BYTES".into(),
                    shape: vec![-1],
                },
            ],
            ..ModelMetadata::default()
        }
    }

    fn speed_table() -> Table {
        Table::new(vec![
            Column::from_f64("speed_kmh", vec![10.0, f64::NAN, 30.0, 40.0, 50.0]),
            Column::from_i64("lanes", vec![1, 2, 3, 4, 5]),
            Column::categorical("rain", &["yes", "no", "no", "yes", "no"]),
            Column::from_bool("holiday", vec![true, false, false, false, true]),
        ])
        .unwrap()
    }

    /// Answers `y = [sum of the row, first value]` and `label = "rows:N"`.
    fn echo_router(requests: Arc<AtomicUsize>, shapes: Arc<Mutex<Vec<Value>>>) -> Router {
        Router::new().route(
            "/v2/models/{model}/infer",
            post(move |Json(body): Json<Value>| {
                let requests = Arc::clone(&requests);
                let shapes = Arc::clone(&shapes);
                async move {
                    requests.fetch_add(1, Ordering::SeqCst);
                    let x = &body["inputs"][0];
                    shapes.lock().unwrap().push(x["shape"].clone());
                    let n = x["shape"][0].as_u64().unwrap() as usize;
                    let data: Vec<Value> = x["data"].as_array().unwrap().clone();
                    let mut y = Vec::new();
                    for r in 0..n {
                        let row: Vec<f64> = data[r * 3..r * 3 + 3]
                            .iter()
                            .map(|v| v.as_f64().unwrap_or(f64::NAN))
                            .collect();
                        y.push(json!([row.iter().sum::<f64>(), row[0]]));
                    }
                    let labels: Vec<String> = (0..n).map(|_| format!("rows:{n}")).collect();
                    Json(json!({"outputs": [
                        {"name": "label", "datatype": "BYTES", "shape": [n], "data": labels},
                        {"name": "y", "datatype": "FP32", "shape": [n, 2], "data": y}
                    ]}))
                }
            }),
        )
    }

    #[tokio::test]
    async fn infer_table_batches_rows_and_names_output_columns() {
        let requests = Arc::new(AtomicUsize::new(0));
        let shapes = Arc::new(Mutex::new(Vec::new()));
        let base = serve(echo_router(Arc::clone(&requests), Arc::clone(&shapes))).await;
        let client = V2Client::new(&base, None).unwrap();
        let mapping = vec![(
            "x".to_owned(),
            vec![
                "speed_kmh".to_owned(),
                "rain".to_owned(),
                "holiday".to_owned(),
            ],
        )];
        let (columns, _latency) = infer_table(
            &client,
            "speed",
            &speed_meta("FP32"),
            &speed_table(),
            &mapping,
            &["y".to_owned(), "label".to_owned()],
            2,
            &(),
        )
        .await
        .unwrap();
        assert_eq!(requests.load(Ordering::SeqCst), 3);
        assert_eq!(
            *shapes.lock().unwrap(),
            vec![json!([2, 3]), json!([2, 3]), json!([1, 3])]
        );
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["y_0", "y_1", "label"]);
        // Row 1: 10 + yes(1) + holiday(1); row 2 has a missing speed → NaN.
        assert_eq!(columns[0].f64_at(0), Some(12.0));
        assert_eq!(columns[0].f64_at(1), None);
        assert_eq!(columns[1].f64_at(4), Some(50.0));
        assert_eq!(columns[2].str_at(4), Some("rows:1"));
        assert_eq!(columns[2].len(), 5);
    }

    #[tokio::test]
    async fn infer_table_int_input_with_missing_value_names_column_and_row() {
        let requests = Arc::new(AtomicUsize::new(0));
        let base = serve(echo_router(Arc::clone(&requests), Arc::default())).await;
        let client = V2Client::new(&base, None).unwrap();
        let mapping = vec![(
            "x".to_owned(),
            vec![
                "lanes".to_owned(),
                "speed_kmh".to_owned(),
                "rain".to_owned(),
            ],
        )];
        let err = infer_table(
            &client,
            "speed",
            &speed_meta("INT32"),
            &speed_table(),
            &mapping,
            &[],
            2,
            &(),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("column 'speed_kmh', row 2"), "{text}");
        assert!(text.contains("missing"), "{text}");
        assert_eq!(requests.load(Ordering::SeqCst), 0, "nothing is sent");
    }

    #[tokio::test]
    async fn infer_table_without_mapping_lists_missing_columns() {
        let base = serve(echo_router(Arc::default(), Arc::default())).await;
        let client = V2Client::new(&base, None).unwrap();
        let err = infer_table(
            &client,
            "speed",
            &speed_meta("FP32"),
            &speed_table(),
            &[],
            &[],
            2,
            &(),
        )
        .await
        .unwrap_err();
        let RemoteError::MissingColumns { missing, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(missing, "'x'");
    }

    #[tokio::test]
    async fn infer_table_stops_when_cancelled() {
        let requests = Arc::new(AtomicUsize::new(0));
        let base = serve(echo_router(Arc::clone(&requests), Arc::default())).await;
        let client = V2Client::new(&base, None).unwrap();
        let mapping = vec![(
            "x".to_owned(),
            vec![
                "speed_kmh".to_owned(),
                "lanes".to_owned(),
                "holiday".to_owned(),
            ],
        )];
        let err = infer_table(
            &client,
            "speed",
            &speed_meta("FP64"),
            &speed_table(),
            &mapping,
            &[],
            2,
            &CancelNow,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, RemoteError::Cancelled { rows_done: 0, .. }),
            "{err}"
        );
        assert_eq!(requests.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn embeddings_are_returned_in_index_order_in_batches_of_64() {
        let requests = Arc::new(AtomicUsize::new(0));
        let seen_model = Arc::new(AtomicBool::new(true));
        let (r, m) = (Arc::clone(&requests), Arc::clone(&seen_model));
        let router = Router::new().route(
            "/v1/embeddings",
            post(move |Json(body): Json<Value>| {
                let (r, m) = (Arc::clone(&r), Arc::clone(&m));
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    if body["model"] != "bge-small" {
                        m.store(false, Ordering::SeqCst);
                    }
                    let input = body["input"].as_array().unwrap();
                    assert!(input.len() <= 64);
                    // Answer in reverse order; the vector is the text's number.
                    let data: Vec<Value> = input
                        .iter()
                        .enumerate()
                        .rev()
                        .map(|(i, t)| {
                            let n: f64 = t.as_str().unwrap()[1..].parse().unwrap();
                            json!({"object": "embedding", "index": i, "embedding": [n, -n]})
                        })
                        .collect();
                    Json(json!({"object": "list", "data": data, "model": "bge-small"}))
                }
            }),
        );
        let base = serve(router).await;
        let texts: Vec<String> = (0..130).map(|i| format!("t{i}")).collect();
        // A base ending in /v1 is not doubled.
        for base in [base.clone(), format!("{base}/v1/")] {
            let client = EmbeddingsClient::new(&base, "bge-small".into(), None).unwrap();
            let vectors = client.embed(&texts).await.unwrap();
            assert_eq!(vectors.len(), 130);
            for (i, v) in vectors.iter().enumerate() {
                assert_eq!(v, &vec![i as f32, -(i as f32)]);
            }
        }
        assert_eq!(requests.load(Ordering::SeqCst), 6);
        assert!(seen_model.load(Ordering::SeqCst));
    }

    #[test]
    fn embeddings_with_a_repeated_index_name_the_field() {
        let v =
            json!({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}]});
        let err = parse_embeddings(&v, 2).unwrap_err();
        assert_eq!(err.field, "data[1].index");
    }
}
