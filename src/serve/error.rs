//! The one error type every endpoint answers with: an HTTP status and a
//! message that says what was wrong and what to send instead, serialised as
//! `{"error": "…"}` (the Open Inference Protocol's error body).
//!
//! Knows nothing of models; it only turns messages into responses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A failed request: the status and the message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }

    /// The 404 for a model name the registry does not have.
    pub fn unknown_model(name: &str, known: &[String]) -> Self {
        let known = if known.is_empty() {
            "this server has no models loaded".to_owned()
        } else {
            format!("the models are: {}", known.join(", "))
        };
        Self::not_found(format!(
            "model '{name}' is not served here ({known}). List them with GET /v2/models."
        ))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
