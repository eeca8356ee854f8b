//! A mixed load on a V2 server over loopback, for the load test
//! (`tests/serve.rs`) and the benchmark (`benches/serve_load.rs`): many
//! connections sending good requests, malformed bodies of several kinds and
//! oversized bodies, while slow clients hold connections open by sending a
//! byte at a time. Bounded in requests and time; it stops by itself.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::data::timeseries::MICROS_PER_SECOND;
use crate::data::{Column, ColumnValues};

/// What to send.
#[derive(Clone, Debug)]
pub struct LoadPlan {
    /// Requests in all (good, malformed and oversized).
    pub requests: usize,
    /// Concurrent connections sending them.
    pub connections: usize,
    /// Connections that dribble a request one byte every 50 ms meanwhile.
    pub slow_clients: usize,
    /// Every `oversized_every`-th request is one byte over the limit.
    pub oversized_every: usize,
    /// Every `malformed_every`-th request (not oversized) is malformed.
    pub malformed_every: usize,
    /// The server's body limit.
    pub max_body_bytes: usize,
    /// The good request's body.
    pub good_body: Arc<String>,
}

/// What came back.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    pub good_ok: usize,
    /// Good requests that did not get 200, with what they got.
    pub good_failed: Vec<String>,
    pub malformed_400: usize,
    /// Malformed requests answered with anything but 400.
    pub malformed_other: Vec<String>,
    pub oversized_413: usize,
    /// Oversized requests whose connection the server closed before the
    /// client finished sending (also a refusal).
    pub oversized_closed: usize,
    pub oversized_other: Vec<String>,
    /// Latencies of the good requests, sorted.
    pub good_latencies: Vec<Duration>,
    pub seconds: f64,
    /// Slow clients whose connection was still open at the end.
    pub slow_clients_open: usize,
}

impl LoadReport {
    pub fn requests_per_sec(&self) -> f64 {
        (self.good_ok
            + self.good_failed.len()
            + self.malformed_400
            + self.malformed_other.len()
            + self.oversized_413
            + self.oversized_closed
            + self.oversized_other.len()) as f64
            / self.seconds.max(1e-9)
    }

    /// The `p`-quantile (0..=1) of the good requests' latency.
    pub fn good_percentile(&self, p: f64) -> Duration {
        let v = &self.good_latencies;
        if v.is_empty() {
            return Duration::ZERO;
        }
        v[((v.len() - 1) as f64 * p.clamp(0.0, 1.0)).round() as usize]
    }
}

/// Bodies that must each get 400: not JSON, cut short, the wrong shape
/// for the data, the wrong datatype, no inputs, deep nesting.
fn malformed(i: usize, good: &str) -> Vec<u8> {
    match i % 7 {
        0 => b"this is not json".to_vec(),
        1 => good.as_bytes()[..good.len() / 2].to_vec(),
        2 => br#"{"inputs": [{"name": "speed_kmh", "shape": [3], "datatype": "FP64", "data": [1.0]}]}"#.to_vec(),
        3 => br#"{"inputs": [{"name": "speed_kmh", "shape": [1], "datatype": "FP128", "data": [1.0]}]}"#.to_vec(),
        4 => br#"{"outputs": []}"#.to_vec(),
        5 => {
            let mut v = Vec::new();
            v.extend(std::iter::repeat_n(b'[', 5000));
            v.extend(std::iter::repeat_n(b']', 5000));
            v
        }
        _ => good.replace("\"FP64\"", "\"BOOL\"").into_bytes(),
    }
}

/// A V2 request for `rows` complete rows of the demo traffic table, with
/// the inputs `model_card` (a tabular model's card) names.
pub fn demo_request(model_card: &serde_json::Value, rows: usize) -> Option<String> {
    let ds = crate::data::demo_datasets()
        .into_iter()
        .find(|d| d.name == "traffic")?;
    // Rows without missing values (INT64 has no missing value).
    let complete: Vec<usize> = (0..ds.table.n_rows())
        .filter(|&r| ds.table.columns.iter().all(|c| c.is_valid(r)))
        .take(rows)
        .collect();
    let mut inputs = Vec::new();
    for spec in model_card.pointer("/inputs/inputs")?.as_array()? {
        let name = spec.get("column")?.as_str()?;
        let col: &Column = ds.table.column(name)?;
        let (datatype, data): (&str, serde_json::Value) = match &col.values {
            ColumnValues::Integer(v) => ("INT64", complete.iter().map(|&r| v[r]).collect()),
            ColumnValues::Float(v) => ("FP64", complete.iter().map(|&r| v[r]).collect()),
            ColumnValues::Bool(v) => ("BOOL", complete.iter().map(|&r| v[r]).collect()),
            ColumnValues::Timestamp(v) => (
                "INT64",
                complete.iter().map(|&r| v[r] / MICROS_PER_SECOND).collect(),
            ),
            _ => (
                "BYTES",
                complete
                    .iter()
                    .map(|&r| col.str_at(r).unwrap_or_default().to_owned())
                    .collect(),
            ),
        };
        inputs.push(serde_json::json!({"name": name, "shape": [complete.len()], "datatype": datatype, "data": data}));
    }
    Some(serde_json::json!({ "inputs": inputs }).to_string())
}

/// One slow client: a request whose body arrives a byte every 50 ms, until
/// `stop`. True when the connection was still open at the end.
async fn slow_client(addr: SocketAddr, path: String, stop: Arc<AtomicBool>) -> bool {
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if s.write_all(b" ").await.is_err() {
            return false;
        }
    }
    true
}

/// Runs `plan` against `addr`, model `model`.
pub async fn run(addr: SocketAddr, model: &str, plan: &LoadPlan) -> LoadReport {
    let path = format!("/v2/models/{model}/infer");
    let url = format!("http://{addr}{path}");
    let stop = Arc::new(AtomicBool::new(false));
    let slow: Vec<_> = (0..plan.slow_clients)
        .map(|_| tokio::spawn(slow_client(addr, path.clone(), Arc::clone(&stop))))
        .collect();
    let oversized = Arc::new(vec![b' '; plan.max_body_bytes + 1]);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..plan.connections.max(1) {
        let (url, plan, oversized) = (url.clone(), plan.clone(), Arc::clone(&oversized));
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default();
            let mut r = LoadReport::default();
            for i in (c..plan.requests).step_by(plan.connections.max(1)) {
                let (kind, body) = if plan.oversized_every > 0
                    && i % plan.oversized_every == plan.oversized_every - 1
                {
                    (2, oversized.as_ref().clone())
                } else if plan.malformed_every > 0
                    && i % plan.malformed_every == plan.malformed_every - 1
                {
                    (1, malformed(i / plan.malformed_every, &plan.good_body))
                } else {
                    (0, plan.good_body.as_bytes().to_vec())
                };
                let t = Instant::now();
                let answer = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let status = match answer {
                    Ok(resp) => {
                        let s = resp.status().as_u16();
                        let _ = resp.bytes().await;
                        Ok(s)
                    }
                    Err(e) => Err(e.to_string()),
                };
                match (kind, status) {
                    (0, Ok(200)) => {
                        r.good_ok += 1;
                        r.good_latencies.push(t.elapsed());
                    }
                    (0, other) => r.good_failed.push(format!("{other:?}")),
                    (1, Ok(400)) => r.malformed_400 += 1,
                    (1, other) => r.malformed_other.push(format!("request {i}: {other:?}")),
                    (_, Ok(413)) => r.oversized_413 += 1,
                    // The server may close the connection on an oversized
                    // body before the client has sent it all.
                    (_, Err(e)) if e.contains("connection") || e.contains("send") => {
                        r.oversized_413 += 1
                    }
                    (_, other) => r.oversized_other.push(format!("{other:?}")),
                }
            }
            r
        }));
    }
    let mut report = LoadReport::default();
    for t in tasks {
        if let Ok(r) = t.await {
            report.good_ok += r.good_ok;
            report.good_failed.extend(r.good_failed);
            report.malformed_400 += r.malformed_400;
            report.malformed_other.extend(r.malformed_other);
            report.oversized_413 += r.oversized_413;
            report.oversized_closed += r.oversized_closed;
            report.oversized_other.extend(r.oversized_other);
            report.good_latencies.extend(r.good_latencies);
        }
    }
    report.seconds = t0.elapsed().as_secs_f64();
    report.good_latencies.sort();
    stop.store(true, Ordering::Relaxed);
    for s in slow {
        if s.await.unwrap_or(false) {
            report.slow_clients_open += 1;
        }
    }
    report
}

/// This process's resident memory in bytes (Linux; 0 elsewhere).
pub fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}
