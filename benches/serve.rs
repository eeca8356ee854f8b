//! The model server under load on loopback: `incident_risk` (a tabular
//! classifier with 10 input tensors) at batch 1 and batch 256, with 16
//! concurrent clients; requests per second and latency percentiles, each
//! with JSON tensors and with Triton's binary tensor data extension (the
//! same rows as raw bytes both ways, as `tritonclient` sends them).
//!
//! Run: `cargo bench --bench serve`. The server and the clients share this
//! machine's two cores, so the figures are a floor.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;

/// The V2 request body for `rows` rows of the demo traffic table.
fn body(rows: usize) -> String {
    let card: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("models/incident_risk.json"),
        )
        .unwrap(),
    )
    .unwrap();
    cityops::serve::load::demo_request(&card, rows).unwrap()
}

/// The same request with every input as binary tensor data and binary
/// outputs asked for: the body and its JSON header's length.
fn binary_body(json: &str) -> (Vec<u8>, usize) {
    let mut req: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut tail = Vec::new();
    for input in req["inputs"].as_array_mut().unwrap() {
        let data = input["data"].take();
        let values = data.as_array().unwrap();
        let start = tail.len();
        match input["datatype"].as_str().unwrap() {
            "FP64" => values
                .iter()
                .for_each(|v| tail.extend_from_slice(&v.as_f64().unwrap().to_le_bytes())),
            "INT64" => values
                .iter()
                .for_each(|v| tail.extend_from_slice(&v.as_i64().unwrap().to_le_bytes())),
            "BOOL" => values
                .iter()
                .for_each(|v| tail.push(u8::from(v.as_bool().unwrap()))),
            _ => values.iter().for_each(|v| {
                let s = v.as_str().unwrap().as_bytes();
                tail.extend_from_slice(&(s.len() as u32).to_le_bytes());
                tail.extend_from_slice(s);
            }),
        }
        let obj = input.as_object_mut().unwrap();
        obj.remove("data");
        obj.insert(
            "parameters".to_owned(),
            serde_json::json!({"binary_data_size": tail.len() - start}),
        );
    }
    req["parameters"] = serde_json::json!({"binary_data_output": true});
    let mut body = serde_json::to_vec(&req).unwrap();
    let header = body.len();
    body.extend_from_slice(&tail);
    (body, header)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rt = cityops::jobs::runtime().unwrap();
    let registry = Arc::new(cityops::serve::load_registry(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
    ));
    let router = cityops::serve::router(registry, &cityops::serve::ServeConfig::default());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!(
        "http://{}/v2/models/incident_risk/infer",
        listener.local_addr().unwrap()
    );
    rt.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    for (batch, requests, binary) in [
        (1usize, 4000usize, false),
        (1, 4000, true),
        (256, 400, false),
        (256, 400, true),
    ] {
        let json = body(batch);
        let (payload, header) = if binary {
            binary_body(&json)
        } else {
            let n = json.len();
            (json.into_bytes(), n)
        };
        let payload = Arc::new(payload);
        let client = reqwest::Client::new();
        let t0 = Instant::now();
        let latencies = rt.block_on(async {
            let mut tasks = Vec::new();
            for c in 0..CLIENTS {
                let (client, url, payload) = (client.clone(), url.clone(), Arc::clone(&payload));
                tasks.push(tokio::spawn(async move {
                    let mut lat = Vec::new();
                    for _ in (c..requests).step_by(CLIENTS) {
                        let t = Instant::now();
                        let mut request = client.post(&url).body(payload.to_vec());
                        request = if binary {
                            request
                                .header("content-type", "application/octet-stream")
                                .header("inference-header-content-length", header.to_string())
                        } else {
                            request.header("content-type", "application/json")
                        };
                        let r = request.send().await.unwrap();
                        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
                        let _ = r.bytes().await.unwrap();
                        lat.push(t.elapsed());
                    }
                    lat
                }));
            }
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        });
        let wall = t0.elapsed();
        let mut sorted = latencies.clone();
        sorted.sort();
        println!(
            "batch {batch:>3} {}: {requests} requests, {CLIENTS} clients: {:.0} requests/s ({:.0} rows/s), p50 {:.2} ms, p99 {:.2} ms; {} bytes per request",
            if binary { "binary" } else { "JSON  " },
            requests as f64 / wall.as_secs_f64(),
            (requests * batch) as f64 / wall.as_secs_f64(),
            percentile(&sorted, 0.5).as_secs_f64() * 1e3,
            percentile(&sorted, 0.99).as_secs_f64() * 1e3,
            payload.len(),
        );
    }
}
