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
//! too (every model has the one version `"1"`). Errors are
//! `{"error": "…"}`: 400 for a bad request (naming the tensor and what was
//! expected), 404 for an unknown model or path, 401 for a missing or wrong
//! bearer token, 413 for a body over `max_body_bytes`.
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
//! Uses `models` (and through it `ml`, `recommend`, `data`), axum and
//! tokio; it must not import `app` or `cli`. Model computation runs on
//! tokio's blocking pool, and the models are shared through `Arc`.

pub mod auth;
pub mod embeddings;
pub mod error;
#[doc(hidden)]
pub mod load;
pub mod recommender;
pub mod registry;
pub mod routes;
pub mod tabular;
pub mod tensor;

#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

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
    /// The folder of model bundles to serve.
    pub models_dir: PathBuf,
    pub addr: SocketAddr,
    /// When set, every endpoint but health needs `Authorization: Bearer
    /// TOKEN`. Required to listen on anything but a loopback address. An
    /// empty or blank token counts as none.
    pub token: Option<String>,
    /// Larger request bodies get 413.
    pub max_body_bytes: usize,
    /// Larger batches (rows of an input tensor) get 400.
    pub max_batch_rows: usize,
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 16 << 20;
pub const DEFAULT_MAX_BATCH_ROWS: usize = 100_000;
pub const DEFAULT_PORT: u16 = 8080;

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            models_dir: PathBuf::from("models"),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            token: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_batch_rows: DEFAULT_MAX_BATCH_ROWS,
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

/// The V2 router over `registry`, with the body limit and, when `cfg` has
/// a token, bearer authentication on every endpoint but health. Serve it
/// with `axum::serve` (tests bind a tokio `TcpListener` to `127.0.0.1:0`).
pub fn router(registry: Arc<Registry>, cfg: &ServeConfig) -> Router {
    let state = routes::AppState {
        registry,
        max_body_bytes: cfg.max_body_bytes,
        max_batch_rows: cfg.max_batch_rows,
    };
    let health = Router::new()
        .route("/v2/health/live", get(routes::live))
        .route("/v2/health/ready", get(routes::ready));
    let mut api = Router::new()
        .route("/v2", get(routes::server_metadata))
        .route("/v2/models", get(routes::list_models))
        .route("/v2/repository/index", post(routes::list_models))
        .route("/v2/models/{name}", get(routes::model_metadata))
        .route("/v2/models/{name}/ready", get(routes::model_ready))
        .route("/v2/models/{name}/infer", post(routes::infer))
        .route("/v1/embeddings", post(embeddings::openai_embeddings))
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
    if let Some(token) = cfg.effective_token() {
        api = api.route_layer(middleware::from_fn_with_state(
            auth::Token::new(token),
            auth::require_token,
        ));
    }
    health
        .merge(api)
        .fallback(routes::no_such_endpoint)
        .method_not_allowed_fallback(routes::method_not_allowed)
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
/// completes; then it stops accepting and finishes the requests in flight.
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
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ServeError::Io(format!("the server stopped with an error: {e}")))
}
