//! One network failure for every HTTP client of cityops — the model and
//! dataset fetcher (`fetch`), the remote inference and embeddings clients
//! (`remote`), the portal pages and the map tiles: the address, what kind
//! of failure it was, and the detail, worded once with what to check.
//! `FetchError` and `RemoteError` wrap it; what only one of them can say
//! (a checksum, a protocol field) stays theirs.

use std::time::Duration;

/// What went wrong on the way to an answer, or in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetKind {
    /// The host name could not be resolved.
    Dns,
    /// Nothing listens at the address (connection refused).
    Refused,
    /// Any other failure to connect.
    Connect,
    /// The secure connection failed (certificate, handshake).
    Tls,
    /// Nothing arrived for `limit` while `phase` ("connecting", "waiting
    /// for the answer", …).
    Timeout {
        phase: &'static str,
        limit: Duration,
    },
    /// The server answered with an error status; the detail is its own
    /// message, and `hint` what usually fixes that status.
    Status {
        status: u16,
        reason: &'static str,
        hint: &'static str,
    },
    /// The connection broke in another way.
    Other,
}

/// A network failure: where, what, and the detail.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {}", describe(&self.kind, &self.detail))]
pub struct NetError {
    pub url: String,
    pub kind: NetKind,
    pub detail: String,
}

impl NetError {
    pub fn new(url: impl Into<String>, kind: NetKind, detail: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            kind,
            detail: detail.into(),
        }
    }

    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            NetKind::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// A 4xx answer is about what the user asked for (the address, the
    /// token); everything else is the network's or the server's.
    pub fn is_user_input(&self) -> bool {
        self.status().is_some_and(|s| (400..500).contains(&s))
    }

    /// Sorts a reqwest error (one that came before any answer) for `url`;
    /// a timeout is put down to `phase` and `limit`.
    pub fn from_reqwest(
        url: &str,
        e: &reqwest::Error,
        phase: &'static str,
        limit: Duration,
    ) -> Self {
        let (failure, detail) = net_failure(e);
        let kind = match failure {
            NetFailure::Dns => NetKind::Dns,
            NetFailure::Refused => NetKind::Refused,
            NetFailure::Connect => NetKind::Connect,
            NetFailure::Tls => NetKind::Tls,
            NetFailure::Timeout => NetKind::Timeout { phase, limit },
            NetFailure::Other => NetKind::Other,
        };
        Self::new(url, kind, detail)
    }
}

fn describe(kind: &NetKind, detail: &str) -> String {
    match kind {
        NetKind::Dns => format!(
            "the server name could not be resolved ({detail}). Check the host name and the network connection."
        ),
        NetKind::Refused => format!(
            "could not connect: the server refused the connection ({detail}). Check that the server is running and that the host and port are right."
        ),
        NetKind::Connect => format!(
            "could not connect ({detail}). Check that the server is running, the host and port, and the network connection."
        ),
        NetKind::Tls => format!(
            "the secure connection failed ({detail}). Check that the server speaks https, that the address is right, and that this computer trusts the server's certificate."
        ),
        NetKind::Timeout { phase, limit } => format!(
            "nothing arrived for {} while {phase}. The server or the network is too slow, or the server is down; try again later.",
            seconds(*limit)
        ),
        NetKind::Status {
            status,
            reason,
            hint,
        } => format!("the server answered {status} {reason}: {detail}. {hint}"),
        NetKind::Other => {
            format!("the connection failed ({detail}). Check the network connection and try again.")
        }
    }
}

/// "30 s", "1.5 s".
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_says_what_to_check() {
        let e = NetError::new("https://x.org/a", NetKind::Refused, "tcp connect error");
        assert_eq!(
            e.to_string(),
            "https://x.org/a: could not connect: the server refused the connection (tcp connect error). Check that the server is running and that the host and port are right."
        );
        let t = NetError::new(
            "u",
            NetKind::Timeout {
                phase: "connecting",
                limit: Duration::from_secs(10),
            },
            "",
        );
        assert!(
            t.to_string()
                .contains("nothing arrived for 10 s while connecting")
        );
        let s = NetError::new(
            "u",
            NetKind::Status {
                status: 404,
                reason: "Not Found",
                hint: "Check the address.",
            },
            "no such model",
        );
        assert_eq!(s.status(), Some(404));
        assert!(s.is_user_input());
        assert_eq!(
            s.to_string(),
            "u: the server answered 404 Not Found: no such model. Check the address."
        );
        assert!(!NetError::new("u", NetKind::Dns, "x").is_user_input());
    }
}
