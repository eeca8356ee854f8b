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
            data: TensorData::floats([1.0, 2.5, -3.0, 4.0, 5.0, 6.0]),
        },
        InferTensor {
            name: "ids".into(),
            shape: vec![2],
            datatype: "INT64".into(),
            data: TensorData::ints([7, -8]),
        },
        InferTensor {
            name: "flag".into(),
            shape: vec![2],
            datatype: "BOOL".into(),
            data: TensorData::bools([true, false]),
        },
        InferTensor {
            name: "note".into(),
            shape: vec![2, 1],
            datatype: "BYTES".into(),
            data: TensorData::strings(["a".to_owned(), "b".to_owned()]),
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
    // The answer's null is a missing value.
    assert_eq!(v, &[Some(0.5), None, Some(1.0), Some(2.0)]);
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
        get(|| async { Json(json!({"name": "m", "inputs": [{"name": "x", "datatype": "FP32"}]})) }),
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
        matches!(&err, RemoteError::Net(e) if e.status() == Some(500)),
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
            data: TensorData::floats([1.0]),
        }]
    };
    let err = client.infer("m", input(), &[]).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RemoteError::Protocol { .. }), "{text}");
    assert!(
        text.contains("outputs[0].data") && text.contains("\"data\" has 1"),
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
        matches!(&err, RemoteError::Net(e) if e.status() == Some(401)),
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
    assert!(
        matches!(
            &err,
            RemoteError::Net(crate::models::net::NetError {
                kind: crate::models::net::NetKind::Refused | crate::models::net::NetKind::Connect,
                ..
            })
        ),
        "{err}"
    );
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
        data: TensorData::floats([1.5, f64::NAN, 2.0]),
    };
    assert_eq!(
        serde_json::to_value(&t).unwrap(),
        json!({"name": "x", "shape": [3], "datatype": "FP64", "data": [1.5, null, 2.0]})
    );
    let b = TensorData::bools([true]);
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
    let v = json!({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}]});
    let err = parse_embeddings(&v, 2).unwrap_err();
    assert_eq!(err.field, "data[1].index");
}
