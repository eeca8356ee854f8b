//! Checks every request passes before a handler sees it: the body read
//! within a size limit and a deadline, the `Host` of a tokenless server
//! (DNS-rebinding defence) and the `Content-Type` of inference requests.
//!
//! - **Body**: a `Content-Length` over the limit is answered `413` before a
//!   byte of the body is read; otherwise the body is read here, at most
//!   `max_body_bytes` of it, within `body_read_timeout` (else `408`). Both
//!   answers carry `Connection: close`, so the unsent rest of the body is
//!   never waited for. Handlers then take the body as `Bytes`.
//! - **Host**: without a token the server listens on loopback only, but a
//!   web page can still reach it through a DNS name that resolves to
//!   127.0.0.1 (DNS rebinding). Browsers always send the name they used as
//!   `Host`, so a `Host` that is not `localhost`, a 127.x address or `[::1]`
//!   (with or without port) is refused with `403`. With a token the token is
//!   the defence, and `Host` is not checked.
//! - **Content-Type**: inference takes `application/json` (and
//!   `application/octet-stream`, which Triton's binary tensor extension
//!   will use; today only JSON is parsed). Anything else, such as the
//!   `text/plain` a cross-site form or `fetch` may send without a CORS
//!   preflight, is refused with `415`.
//!
//! Uses axum only; knows nothing of models.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// What [`read_body`] enforces.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub read_timeout: Duration,
}

/// `error` as a response that closes the connection afterwards.
fn closing(error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn too_large(max_bytes: usize) -> Response {
    closing(ApiError {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!(
            "the request body is larger than this server's limit of {max_bytes} bytes; send fewer rows per request"
        ),
    })
}

/// Middleware: reads the whole body within the limits, then passes the
/// request on with the body in memory.
pub async fn read_body(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_bytes as u64) {
        return too_large(limits.max_bytes);
    }
    let (parts, body) = request.into_parts();
    let reading = Bytes::from_request(Request::from_parts(parts.clone(), body), &());
    let bytes = match tokio::time::timeout(limits.read_timeout, reading).await {
        Err(_) => {
            return closing(ApiError {
                status: StatusCode::REQUEST_TIMEOUT,
                message: format!(
                    "the request body did not arrive within {:.1} s; send the whole body at once, or split the batch into smaller requests",
                    limits.read_timeout.as_secs_f64()
                ),
            });
        }
        Ok(Err(rejection)) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large(limits.max_bytes);
        }
        Ok(Err(rejection)) => {
            return closing(ApiError {
                status: rejection.status(),
                message: format!("cannot read the request body: {}", rejection.body_text()),
            });
        }
        Ok(Ok(bytes)) => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether `host` (a `Host` header: name or address, optional port) names
/// this computer: `localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6] or [v6]:port
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return false;
        }
        return inside.parse::<Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if is_port(port) => name,
            Some(_) => return false,
            None => host,
        }
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Middleware for a tokenless server: refuses a request whose `Host` (or
/// absolute-form URI) names anything but this computer.
pub async fn require_loopback_host(request: Request, next: Next) -> Response {
    let header_host = match request.headers().get(header::HOST) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(s) => Some(s.to_owned()),
            Err(_) => Some(String::from_utf8_lossy(v.as_bytes()).into_owned()),
        },
    };
    let uri_host = request.uri().authority().map(|a| a.as_str().to_owned());
    for host in header_host.iter().chain(uri_host.iter()) {
        if !is_loopback_host(host) {
            let shown: String = host.chars().take(100).collect();
            return ApiError {
                status: StatusCode::FORBIDDEN,
                message: format!(
                    "this server has no access token, so it only answers requests addressed to this computer (Host localhost, 127.0.0.1 or [::1]), not to '{shown}'; this keeps web pages from reaching it through DNS rebinding. Address it as http://127.0.0.1:PORT, or start it with a token."
                ),
            }
            .into_response();
        }
    }
    next.run(request).await
}

/// The media types inference takes.
const INFER_TYPES: [&str; 2] = ["application/json", "application/octet-stream"];

/// Refuses an inference request whose `Content-Type` is not JSON (or the
/// binary extension's), with 415. A request without one is read as JSON
/// (or JSON plus binary tensors), as Triton does — its own Python client
/// sends none — unless it comes from a web page (it has an `Origin`): a
/// page may post a typeless body cross-site without asking, so that stays
/// refused.
pub fn require_infer_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if value.is_none() && !headers.contains_key(header::ORIGIN) {
        return Ok(());
    }
    let essence = value
        .as_deref()
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if essence.is_some_and(|e| INFER_TYPES.iter().any(|t| t.eq_ignore_ascii_case(e))) {
        return Ok(());
    }
    let found = match value {
        Some(v) => format!("'{}'", v.chars().take(100).collect::<String>()),
        None => "none".to_owned(),
    };
    Err(ApiError {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        message: format!(
            "inference takes a JSON body with 'Content-Type: application/json' (the content type was {found}); send that header"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_with_and_without_port_pass_and_others_do_not() {
        for good in [
            "localhost",
            "LOCALHOST:8080",
            "localhost.",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:8080",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert!(is_loopback_host(good), "{good}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "10.0.0.1:8080",
            "[::2]:80",
            "[::1]x",
            "localhost:http",
            "",
            "::1",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }

    #[test]
    fn infer_content_type_must_be_json_or_binary() {
        let mut h = HeaderMap::new();
        // No type from a program (Triton's client): JSON; from a page: no.
        assert!(require_infer_content_type(&h).is_ok());
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(require_infer_content_type(&h).is_err());
        h.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        let err = require_infer_content_type(&h).unwrap_err();
        assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(err.message.contains("text/plain"), "{}", err.message);
        h.insert(
            header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert!(require_infer_content_type(&h).is_ok());
        h.insert(
            header::CONTENT_TYPE,
            "application/octet-stream".parse().unwrap(),
        );
        assert!(require_infer_content_type(&h).is_ok());
    }
}
