//! The model server: the Open Inference Protocol V2 REST API (as spoken by
//! KServe, Triton and Seldon MLServer) over the models in a folder, so the
//! dashboard, scripts and serving clusters call cityops models the same way.
//!
//! # Endpoints
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/v2/health/live` | `{"live": true}` (always open) |
//! | GET | `/v2/health/ready` | `{"ready": true}` (always open) |
//! | GET | `/v2` | `{"name": "cityops", "version", "extensions": ["model_repository_index"]}` |
//! | GET | `/v2/models` | `[{"name", "version": "1", "state": "READY"}]` (cityops extension) |
//! | POST | `/v2/repository/index` | the same list (Triton's repository extension) |
//! | GET | `/v2/models/{name}` | metadata: `name`, `versions`, `platform`, `inputs`, `outputs`, `parameters` |
//! | GET | `/v2/models/{name}/ready` | `{"name", "ready": true}` |
//! | POST | `/v2/models/{name}/infer` | inference |
//!
//! The versioned forms `/v2/models/{name}/versions/1[/ready|/infer]` answer
//! too (every model has the one version `"1"`), and `POST /v1/embeddings`
//! serves embedding models the OpenAI way (see [`embeddings`]). Errors are
//! `{"error": "…"}`: 400 for a bad request (naming the tensor and what was
//! expected, or the limit it broke), 404 for an unknown model or path, 401
//! for a missing or wrong bearer token, 403 for a non-loopback `Host` on a
//! tokenless server, 408 for a body that did not arrive within
//! `body_read_timeout`, 413 for a body over `max_body_bytes`, 415 for an
//! inference body that is not `application/json` (or
//! `application/octet-stream`), 503 when the server is at its connection or
//! inference cap.
//!
//! # Limits (all in [`ServeConfig`])
//!
//! | limit | default | past it |
//! |---|---|---|
//! | `max_body_bytes` | 16 MiB | 413, from `Content-Length` before reading |
//! | `max_batch_rows` | 100,000 | 400: rows, and values (product of every dimension), per input tensor; texts per embeddings request |
//! | `max_output_values` | 4,000,000 | 400, worked out from the output shapes before the model runs |
//! | `max_connections` | 256, lowered to (open-file limit − 32) / 2 | the longest-idle connection is closed; if all are busy, 503 and close |
//! | `max_concurrent_inference` | CPUs | wait up to `inference_queue_wait` (2 s), then 503 |
//! | `header_read_timeout` | 10 s from a head's first byte | connection closed |
//! | `body_read_timeout` | 30 s after the head | 408 and close |
//! | `idle_timeout` | 30 s without a request or a byte | connection closed |
//! | `shutdown_deadline` | 10 s | open connections dropped |
//!
//! Bodies are parsed without a JSON tree: an inference request keeps each
//! input's `data` as a slice of the body until its shape has passed the
//! limits, then reads it straight into typed values (see [`tensor`]); the
//! connection layer is in [`conn`], the request checks in [`guard`], the
//! work limits in [`limits`]. Without a token, only requests addressed to a
//! loopback `Host` are answered (DNS-rebinding defence). On shutdown the
//! listener closes, requests in flight finish, and after
//! `shutdown_deadline` the remaining connections are dropped.
//!
//! # Tensors
//!
//! Input `data` may be flat (row-major) or nested; its length must match
//! the `shape`. Datatypes: BOOL (true/false, also 0/1), INT8…INT64,
//! UINT8…UINT64, FP16/FP32/FP64 (numbers), BYTES (strings); `null` is a
//! missing value. Output names, per model kind:
//!
//! - tabular classification: `label` (BYTES `[n]`), `probability` (FP64
//!   `[n, k]`, columns in the order of the metadata's `parameters.labels`);
//! - tabular regression: `prediction` (FP64 `[n]`);
//! - forecast: `forecast` (FP64 `[n, horizon]`, `null` rows where the
//!   history is too short);
//! - recommender: `items` (BYTES `[n, top]`) and `scores` (FP32 `[n, top]`).
//!
//! Tabular models take one input per feature column, named as the column
//! (see [`tabular`]); recommenders take `user` and the optional `top` (see
//! [`recommender`]).
//!
//! # Layout
//!
//! Imports run one way, with no circle: the adapters ([`tabular`],
//! [`recommender`], [`embeddings`]: a model kind's V2 signature, metadata
//! parameters and inference, no HTTP) → [`registry`] (the loaded models,
//! dispatching to the adapters) → [`state`] (what the handlers share, model
//! lookup) → [`routes`] (every axum handler) → the router here. [`tensor`],
//! [`error`] and [`limits`] sit below them all; [`conn`], [`guard`] and
//! [`auth`] wrap the router.
//!
//! Uses `models` (and through it `ml`, `recommend`, `data`), axum, hyper
//! and tokio; it must not import `app` or `cli`. Model computation runs on
//! tokio's blocking pool behind the inference cap, and the models are
//! shared through `Arc`.

pub mod auth;
pub mod binary;
pub mod conn;
pub mod embeddings;
pub mod error;
pub mod guard;
pub mod limits;
#[doc(hidden)]
pub mod load;
pub mod recommender;
pub mod registry;
pub mod repository;
pub mod routes;
pub mod state;
pub mod tabular;
pub mod tensor;

#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

pub use error::ApiError;
pub use registry::{Registry, ServedModel, load_registry};

/// How the server runs.
#[derive(Clone)]
pub struct ServeConfig {
    /// The folder of model bundles to serve (default: the user's models
    /// folder, see [`crate::models::folder`]).
    pub models_dir: PathBuf,
    pub addr: SocketAddr,
    /// When set, every endpoint but health needs `Authorization: Bearer
    /// TOKEN`. Required to listen on anything but a loopback address. An
    /// empty or blank token counts as none; without one, requests must be
    /// addressed to a loopback `Host`.
    pub token: Option<String>,
    /// Larger request bodies get 413.
    pub max_body_bytes: usize,
    /// Larger batches get 400: rows (the first dimension) and values (the
    /// product of every dimension) per input tensor, texts per embeddings
    /// request.
    pub max_batch_rows: usize,
    /// Responses that would hold more values get 400, before the model runs.
    pub max_output_values: usize,
    /// Open connections; lowered to what the open-file limit allows. Past
    /// it the longest-idle connection is closed, or, when all are busy, the
    /// newcomer gets 503.
    pub max_connections: usize,
    /// Model computations running at once.
    pub max_concurrent_inference: usize,
    /// How long a request waits for a model slot before a 503.
    pub inference_queue_wait: Duration,
    /// A request head must arrive within this, from its first byte.
    pub header_read_timeout: Duration,
    /// A request body must arrive within this, from the end of the head
    /// (else 408).
    pub body_read_timeout: Duration,
    /// A connection with no request in service that sends nothing for this
    /// long is closed.
    pub idle_timeout: Duration,
    /// After shutdown starts, requests in flight get this long to finish;
    /// then the remaining connections are dropped.
    pub shutdown_deadline: Duration,
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;
pub const DEFAULT_MAX_BATCH_ROWS: usize = 100_000;
pub const DEFAULT_MAX_OUTPUT_VALUES: usize = 4_000_000;
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
pub const DEFAULT_PORT: u16 = 8080;

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            models_dir: crate::models::folder::default_dir(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_batch_rows: DEFAULT_MAX_BATCH_ROWS,
            max_output_values: DEFAULT_MAX_OUTPUT_VALUES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_concurrent_inference: limits::default_concurrent_inference(),
            inference_queue_wait: Duration::from_secs(2),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token itself.
        f.debug_struct("ServeConfig")
            .field("models_dir", &self.models_dir)
            .field("addr", &self.addr)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_batch_rows", &self.max_batch_rows)
            .field("max_output_values", &self.max_output_values)
            .field("max_connections", &self.max_connections)
            .field("max_concurrent_inference", &self.max_concurrent_inference)
            .field("inference_queue_wait", &self.inference_queue_wait)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("shutdown_deadline", &self.shutdown_deadline)
            .finish()
    }
}

impl ServeConfig {
    /// The token, if one is set and not blank.
    fn effective_token(&self) -> Option<&str> {
        self.token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// The connection layer's limits, the cap lowered to what this
    /// process's open-file limit allows.
    pub fn conn_limits(&self) -> conn::ConnLimits {
        conn::ConnLimits {
            max_connections: conn::connection_cap(self.max_connections, conn::open_file_limit()),
            idle_timeout: self.idle_timeout,
            header_read_timeout: self.header_read_timeout,
            shutdown_deadline: self.shutdown_deadline,
        }
    }
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to serve on {addr} without a token: anyone who can reach that address could use the models. Set an access token, or listen on a loopback address such as 127.0.0.1:{port}.",
        port = addr.port()
    )]
    NonLoopbackWithoutToken { addr: SocketAddr },
    #[error(
        "cannot listen on {addr}: {message}. Check that no other program uses the port, or choose another address or port."
    )]
    Bind { addr: SocketAddr, message: String },
    #[error("{0}")]
    Io(String),
}

impl crate::data::Blame for ServeError {
    /// Serving beyond this machine without a token is the user's choice to
    /// change; a port in use and I/O failures are not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::NonLoopbackWithoutToken { .. } => true,
            Self::Bind { .. } | Self::Io(_) => false,
        }
    }
}

/// The V2 router over `registry`: the body read within `max_body_bytes`
/// and `body_read_timeout`, and, when `cfg` has a token, bearer
/// authentication on every endpoint but health, or without one the
/// loopback-`Host` check. Serve it with [`serve_on`] (tests bind a tokio
/// `TcpListener` to `127.0.0.1:0`).
pub fn router(registry: Arc<Registry>, cfg: &ServeConfig) -> Router {
    let state = state::AppState {
        registry,
        token_set: cfg.effective_token().is_some(),
        limits: state::RequestLimits {
            max_batch_rows: cfg.max_batch_rows,
            max_output_values: cfg.max_output_values,
        },
        inference: limits::InferenceSlots::new(
            cfg.max_concurrent_inference,
            cfg.inference_queue_wait,
        ),
    };
    let health = Router::new()
        .route("/v2/health/live", get(routes::live))
        .route("/v2/health/ready", get(routes::ready));
    let mut api = Router::new()
        .route("/v2", get(routes::server_metadata))
        .route("/v2/models", get(routes::list_models))
        .route("/v2/repository/index", post(routes::list_models))
        .route("/v2/repository/models/{name}/load", post(repository::load))
        .route(
            "/v2/repository/models/{name}/unload",
            post(repository::unload),
        )
        .route("/v2/models/{name}", get(routes::model_metadata))
        .route("/v2/models/{name}/ready", get(routes::model_ready))
        .route("/v2/models/{name}/infer", post(routes::infer))
        .route("/v1/embeddings", post(routes::openai_embeddings))
        .route(
            "/v2/models/{name}/versions/{version}",
            get(routes::model_version_metadata),
        )
        .route(
            "/v2/models/{name}/versions/{version}/ready",
            get(routes::model_version_ready),
        )
        .route(
            "/v2/models/{name}/versions/{version}/infer",
            post(routes::infer_version),
        );
    api = match cfg.effective_token() {
        Some(token) => api.route_layer(middleware::from_fn_with_state(
            auth::Token::new(token),
            auth::require_token,
        )),
        None => api.route_layer(middleware::from_fn(guard::require_loopback_host)),
    };
    let body_limits = guard::BodyLimits {
        max_bytes: cfg.max_body_bytes,
        read_timeout: cfg.body_read_timeout,
    };
    health
        .merge(api)
        .fallback(routes::no_such_endpoint)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            body_limits,
            guard::read_body,
        ))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .with_state(state)
}

/// `app` with one stderr line per request (method, path, status,
/// milliseconds), as [`serve`] runs it.
pub fn with_request_log(app: Router) -> Router {
    app.layer(middleware::from_fn(log_request))
}

/// Logs one line per request to stderr: method, path, status, milliseconds.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    eprintln!(
        "{method} {path} {} {:.1} ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1e3
    );
    response
}

/// Binds `cfg.addr` (refusing a non-loopback address without a token),
/// loads the models in `cfg.models_dir`, logs one line per request to
/// stderr (method, path, status, milliseconds) and serves until `shutdown`
/// completes; then it stops accepting, lets the requests in flight finish
/// and, after `cfg.shutdown_deadline`, drops the connections still open.
pub async fn serve(
    cfg: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if cfg.effective_token().is_none() && !cfg.addr.ip().is_loopback() {
        return Err(ServeError::NonLoopbackWithoutToken { addr: cfg.addr });
    }
    if let Err(e) = std::fs::read_dir(&cfg.models_dir) {
        return Err(ServeError::Io(format!(
            "cannot read the models folder {}: {e}. Check the path, or save a model into that folder first.",
            cfg.models_dir.display()
        )));
    }
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| ServeError::Bind {
            addr: cfg.addr,
            message: e.to_string(),
        })?;
    let local = listener.local_addr().unwrap_or(cfg.addr);
    let dir = cfg.models_dir.clone();
    let registry = tokio::task::spawn_blocking(move || load_registry(&dir))
        .await
        .map_err(|e| ServeError::Io(format!("loading the models failed: {e}")))?;
    if registry.is_empty() {
        eprintln!(
            "warning: no models could be loaded from {}; only health and metadata endpoints will answer",
            cfg.models_dir.display()
        );
    }
    eprintln!(
        "serving {} model(s) from {} on http://{local}/v2{}",
        registry.len(),
        cfg.models_dir.display(),
        if cfg.effective_token().is_some() {
            " (bearer token required)"
        } else {
            ""
        }
    );
    let app = with_request_log(router(Arc::new(registry), &cfg));
    serve_on(listener, app, &cfg, shutdown).await;
    Ok(())
}

/// Serves `app` on `listener` with `cfg`'s connection limits until
/// `shutdown` completes, then drains for at most `cfg.shutdown_deadline`
/// (logging how many connections were dropped at the deadline).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: Router,
    cfg: &ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let dropped = conn::serve_connections(listener, app, cfg.conn_limits(), shutdown).await;
    if dropped > 0 {
        eprintln!(
            "cityops serve: dropped {dropped} connection(s) still open {:.1} s after shutdown began",
            cfg.shutdown_deadline.as_secs_f64()
        );
    }
}
