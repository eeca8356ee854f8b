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
//!
//! Split by concept: this file holds the errors, addresses and the HTTP
//! transport both clients share and the JSON-reading helpers; `tensors`
//! (metadata and tensor values), `v2` (the V2 client), `table` (columns ↔
//! tensors) and `embeddings` (the OpenAI-compatible client).

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{Method, Response, StatusCode, Url};
use serde::Serialize;
use serde_json::Value;

use crate::data::timeseries::MICROS_PER_SECOND;
use crate::data::{Column, ColumnValues, Progress, Table};
use crate::models::net::{NetError, NetKind};

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
    /// The network or the server failed.
    #[error(transparent)]
    Net(#[from] NetError),
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
            Self::Net(e) => e.is_user_input(),
            Self::Setup { .. }
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
                    .header(crate::models::wire::HEADER_LENGTH, n.to_string()),
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
            .get(crate::models::wire::HEADER_LENGTH)
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
    let (phase, limit) = if e.is_connect() {
        ("connecting", CONNECT_TIMEOUT)
    } else {
        ("waiting for the answer", REQUEST_TIMEOUT)
    };
    NetError::from_reqwest(url.as_str(), e, phase, limit).into()
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
    NetError::new(
        url.as_str(),
        NetKind::Status {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or(""),
            hint: status_hint(status),
        },
        message,
    )
    .into()
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

mod embeddings;
mod table;
mod tensors;
mod v2;

pub use embeddings::*;
pub use table::*;
pub use tensors::*;
pub use v2::*;

#[cfg(test)]
mod tests;
