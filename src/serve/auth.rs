//! Bearer-token access: when the server has a token, every endpoint but
//! health needs `Authorization: Bearer TOKEN`; a missing or wrong token is a
//! 401 with `WWW-Authenticate: Bearer`. Tokens are compared through their
//! SHA-256 digests in constant time, so timing tells nothing about them.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The server's token, kept as its digest.
#[derive(Clone)]
pub struct Token {
    digest: Arc<[u8; 32]>,
}

impl Token {
    pub fn new(token: &str) -> Self {
        Self {
            digest: Arc::new(Sha256::digest(token.as_bytes()).into()),
        }
    }

    /// Whether `candidate` is the token (constant time in its content).
    pub fn matches(&self, candidate: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        self.digest
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// The token of an `Authorization: Bearer TOKEN` header (the scheme in any
/// case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Middleware: lets the request through only with the right token.
pub async fn require_token(State(token): State<Token>, request: Request, next: Next) -> Response {
    let message = match bearer(request.headers()) {
        Some(candidate) if token.matches(candidate) => return next.run(request).await,
        Some(_) => "the bearer token is wrong; send the token this server was started with",
        None => {
            "this server needs a token: send the header 'Authorization: Bearer TOKEN' (health endpoints are open)"
        }
    };
    let mut response = ApiError {
        status: StatusCode::UNAUTHORIZED,
        message: message.to_owned(),
    }
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_token_must_match_exactly() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "bearer  s3cret ".parse().unwrap());
        assert_eq!(bearer(&h), Some("s3cret"));
        h.insert(header::AUTHORIZATION, "Basic s3cret".parse().unwrap());
        assert_eq!(bearer(&h), None);
        let t = Token::new("s3cret");
        assert!(t.matches("s3cret"));
        assert!(!t.matches("s3cre"));
        assert!(!t.matches(""));
    }
}
