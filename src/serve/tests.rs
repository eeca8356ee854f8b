//! The real router on `127.0.0.1:0`, called with reqwest: models trained
//! and saved in a temporary folder, loaded with [`load_registry`], and the
//! served answers compared with the models' own local predictions.

use std::path::Path;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::data::rng::Rng;
use crate::data::{Column, Dataset, Source, Table};
use crate::ml::model::{Predictions, TrainRequest, train_model};
use crate::ml::{Task, TaskChoice, TrainConfig};
use crate::models::bundle::{self, DataFingerprint};
use crate::models::recommender::save_recommender;
use crate::recommend::{CfParams, ColumnChoice, Interactions, Method, Recommender};

const HOUR_MICROS: i64 = 3_600_000_000;
/// 2026-09-01T00:00:00Z.
const SEPT_FIRST_SECS: i64 = 1_788_220_800;

fn dataset(columns: Vec<Column>) -> Dataset {
    Dataset::from_table(
        "test",
        Source::Demo("test".to_owned()),
        Table::new(columns).unwrap(),
        jiff::tz::TimeZone::UTC,
    )
}

fn quick(epochs: usize) -> TrainConfig {
    TrainConfig {
        hidden: vec![8],
        epochs,
        ..Default::default()
    }
}

fn save(dir: &Path, name: &str, ds: &Dataset, req: &TrainRequest) -> crate::ml::TabularModel {
    let trained = train_model(ds, req, &(), &mut |_| {}).unwrap();
    let card = bundle::make_card(
        name,
        &trained.model,
        &trained.evaluation,
        bundle::fingerprint(name, &ds.table),
        req.config.clone(),
        trained.best_epoch,
    );
    bundle::save_bundle(&dir.join(name), card, &trained.model).unwrap();
    trained.model
}

/// A classifier of `busy` (no/yes) from a float, an integer, a bool, a
/// category and a timestamp, saved as `busy`.
fn save_classifier(dir: &Path) -> crate::ml::TabularModel {
    let mut rng = Rng::new(7);
    let n = 200;
    let (mut speed, mut lanes, mut rain, mut road, mut at, mut busy) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let s = rng.range(5.0, 80.0);
        speed.push(s);
        lanes.push(rng.range_i64(1, 4));
        rain.push(rng.bernoulli(0.3));
        road.push(["main", "side", "ring"][i % 3]);
        at.push((SEPT_FIRST_SECS + i as i64 * 3600) * 1_000_000);
        busy.push(if s < 35.0 { "yes" } else { "no" });
    }
    let ds = dataset(vec![
        Column::from_f64("speed", speed),
        Column::from_i64("lanes", lanes),
        Column::from_bool("rain", rain),
        Column::categorical("road", &road),
        Column::from_timestamps("at", at),
        Column::categorical("busy", &busy),
    ]);
    let mut req = TrainRequest::new("busy");
    req.task = TaskChoice::Fixed(Task::Classify);
    req.features = Some(
        ["speed", "lanes", "rain", "road", "at"]
            .map(str::to_owned)
            .to_vec(),
    );
    req.config = quick(3);
    save(dir, "busy", &ds, &req)
}

/// A recommender over five city services, saved as `services`.
fn save_recommender_model(dir: &Path) -> Recommender {
    let pairs = [
        ("u1", "pool"),
        ("u1", "library"),
        ("u2", "pool"),
        ("u2", "gym"),
        ("u3", "library"),
        ("u3", "gym"),
        ("u3", "park"),
        ("u4", "pool"),
        ("u4", "library"),
        ("u4", "gym"),
        ("u5", "museum"),
    ];
    let users: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    let items: Vec<&str> = pairs.iter().map(|p| p.1).collect();
    let inter = Interactions::from_triples(&users, &items, &vec![1.0; pairs.len()]);
    let rec =
        Recommender::build(Arc::new(inter), Method::ItemCf, CfParams::default(), &()).unwrap();
    let columns = ColumnChoice {
        user: "resident".to_owned(),
        item: "service".to_owned(),
        rating: None,
        count: None,
        time: None,
    };
    let data = DataFingerprint {
        name: "services".to_owned(),
        sha256: String::new(),
        rows: pairs.len(),
        columns: 2,
    };
    save_recommender(&dir.join("services"), &rec, &columns, data, None).unwrap();
    rec
}

/// Serves `dir` with `cfg` on a free loopback port, through the real
/// connection layer, until the test ends; returns the base URL.
async fn start(dir: &Path, cfg: ServeConfig) -> String {
    let registry = Arc::new(load_registry(dir));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(registry, &cfg);
    tokio::spawn(async move { serve_on(listener, app, &cfg, std::future::pending()).await });
    format!("http://{addr}")
}

/// Serves `registry` with `cfg`; returns the base URL, the sender that
/// starts shutdown and the task that ends when the server has stopped.
async fn start_registry(
    registry: Arc<Registry>,
    cfg: ServeConfig,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(registry, &cfg);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(async move {
        serve_on(listener, app, &cfg, async move {
            let _ = stopped.await;
        })
        .await;
    });
    (format!("http://{addr}"), stop, done)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn get(url: &str) -> (StatusCode, Value) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn post(url: &str, body: &Value) -> (StatusCode, Value) {
    let r = client().post(url).json(body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// The output tensor called `name` of an inference response.
fn output<'a>(response: &'a Value, name: &str) -> &'a Value {
    response["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no output '{name}' in {response}"))
}

fn numbers(data: &Value) -> Vec<Option<f64>> {
    data.as_array().unwrap().iter().map(Value::as_f64).collect()
}

fn error_text(body: &Value) -> &str {
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error text in {body}"))
}

/// Five query rows for the classifier, as V2 inputs (with a missing speed,
/// BOOL as 0/1 and nested data) and as a local table.
fn classifier_query() -> (Value, Table) {
    let times = [
        "2026-09-01T08:00:00-05:00",
        "2026-09-01T23:30:00Z",
        "2026-09-02T03:00:00+02:00",
        "2026-09-05T12:00:00-05:00",
        "2026-12-24T18:00:00Z",
    ];
    let inputs = json!({
        "id": "q-1",
        "inputs": [
            {"name": "speed", "shape": [5], "datatype": "FP64", "data": [12.5, 40.0, null, 55.5, 30.0]},
            {"name": "lanes", "shape": [5, 1], "datatype": "INT64", "data": [[1], [2], [3], [2], [4]]},
            {"name": "rain", "shape": [5], "datatype": "BOOL", "data": [true, false, 0, 1, false]},
            {"name": "road", "shape": [5], "datatype": "BYTES", "data": ["main", "side", "ring", "unheard-of", "main"]},
            {"name": "at", "shape": [5], "datatype": "BYTES", "data": times},
        ]
    });
    let micros: Vec<i64> = times
        .iter()
        .map(|t| t.parse::<jiff::Timestamp>().unwrap().as_microsecond())
        .collect();
    let table = Table::new(vec![
        Column::from_f64("speed", vec![12.5, 40.0, f64::NAN, 55.5, 30.0]),
        Column::from_i64("lanes", vec![1, 2, 3, 2, 4]),
        Column::from_bool("rain", vec![true, false, false, true, false]),
        Column::categorical("road", &["main", "side", "ring", "unheard-of", "main"]),
        Column::from_timestamps("at", micros),
    ])
    .unwrap();
    (inputs, table)
}

#[tokio::test]
async fn health_and_server_metadata_answer() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    assert_eq!(
        get(&format!("{base}/v2/health/live")).await,
        (StatusCode::OK, json!({"live": true}))
    );
    assert_eq!(
        get(&format!("{base}/v2/health/ready")).await,
        (StatusCode::OK, json!({"ready": true}))
    );
    let (status, meta) = get(&format!("{base}/v2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta["name"], "cityops");
    assert_eq!(meta["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        meta["extensions"],
        json!([
            "model_repository_index",
            "model_repository",
            "binary_tensor_data"
        ])
    );
    let listed = json!([{"name": "services", "version": "1", "state": "READY"}]);
    assert_eq!(
        get(&format!("{base}/v2/models")).await,
        (StatusCode::OK, listed.clone())
    );
    assert_eq!(
        post(&format!("{base}/v2/repository/index"), &json!({})).await,
        (StatusCode::OK, listed)
    );
    assert_eq!(
        get(&format!("{base}/v2/models/services/ready")).await,
        (StatusCode::OK, json!({"name": "services", "ready": true}))
    );
}

#[tokio::test]
async fn tabular_metadata_lists_one_input_per_feature_with_its_datatype() {
    let dir = tempfile::tempdir().unwrap();
    save_classifier(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    let (status, meta) = get(&format!("{base}/v2/models/busy")).await;
    assert_eq!(status, StatusCode::OK, "{meta}");
    assert_eq!(meta["name"], "busy");
    assert_eq!(meta["versions"], json!(["1"]));
    assert_eq!(meta["platform"], "cityops");
    assert_eq!(
        meta["inputs"],
        json!([
            {"name": "speed", "datatype": "FP64", "shape": [-1]},
            {"name": "lanes", "datatype": "INT64", "shape": [-1]},
            {"name": "rain", "datatype": "BOOL", "shape": [-1]},
            {"name": "road", "datatype": "BYTES", "shape": [-1]},
            {"name": "at", "datatype": "BYTES", "shape": [-1]},
        ])
    );
    assert_eq!(
        meta["outputs"],
        json!([
            {"name": "label", "datatype": "BYTES", "shape": [-1]},
            {"name": "probability", "datatype": "FP64", "shape": [-1, 2]},
        ])
    );
    assert_eq!(meta["parameters"]["labels"], json!(["no", "yes"]));
    assert_eq!(meta["parameters"]["task"], "classify");
    // The versioned path gives the same.
    let (_, versioned) = get(&format!("{base}/v2/models/busy/versions/1")).await;
    assert_eq!(versioned, meta);
}

#[tokio::test]
async fn classifier_infer_equals_local_predict() {
    let dir = tempfile::tempdir().unwrap();
    let model = save_classifier(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    let (request, table) = classifier_query();
    let (status, body) = post(&format!("{base}/v2/models/busy/infer"), &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model_name"], "busy");
    assert_eq!(body["model_version"], "1");
    assert_eq!(body["id"], "q-1");

    let Predictions::Classes { labels, probs } = model.predict(&table).unwrap() else {
        panic!("a classifier predicts classes")
    };
    let probability = output(&body, "probability");
    assert_eq!(probability["shape"], json!([5, 2]));
    assert_eq!(probability["datatype"], "FP64");
    let served: Vec<f64> = numbers(&probability["data"])
        .into_iter()
        .map(Option::unwrap)
        .collect();
    assert_eq!(served, probs);
    let expected_labels: Vec<&str> = crate::ml::metrics::argmax_rows(&probs, 2)
        .into_iter()
        .map(|i| labels[i].as_str())
        .collect();
    let label = output(&body, "label");
    assert_eq!(label["shape"], json!([5]));
    assert_eq!(label["datatype"], "BYTES");
    assert_eq!(label["data"], json!(expected_labels));

    // Asking for one output returns only that one.
    let mut only_label = request.clone();
    only_label["outputs"] = json!([{"name": "label"}]);
    let (status, body) = post(&format!("{base}/v2/models/busy/infer"), &only_label).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(body["outputs"][0]["name"], "label");
}

#[tokio::test]
async fn regression_infer_equals_local_predict() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(3);
    let (mut a, mut y) = (vec![], vec![]);
    for _ in 0..150 {
        let x = rng.range(-1.0, 1.0);
        a.push(x);
        y.push(3.0 * x + rng.normal(0.0, 0.1));
    }
    let ds = dataset(vec![Column::from_f64("a", a), Column::from_f64("y", y)]);
    let mut req = TrainRequest::new("y");
    req.config = quick(3);
    let model = save(dir.path(), "linear", &ds, &req);
    let base = start(dir.path(), ServeConfig::default()).await;
    let request = json!({"inputs": [{"name": "a", "shape": [3], "datatype": "FP32", "data": [-0.5, 0, 0.75]}]});
    let (status, body) = post(&format!("{base}/v2/models/linear/infer"), &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("id").is_none(), "no id was sent: {body}");
    let table = Table::new(vec![Column::from_f64("a", vec![-0.5, 0.0, 0.75])]).unwrap();
    let Predictions::Values(expected) = model.predict(&table).unwrap() else {
        panic!("a regressor predicts values")
    };
    let prediction = output(&body, "prediction");
    assert_eq!(prediction["shape"], json!([3]));
    assert_eq!(
        numbers(&prediction["data"]),
        expected.into_iter().map(Some).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn forecast_infer_reads_epoch_seconds_and_gives_null_rows_for_short_history() {
    let dir = tempfile::tempdir().unwrap();
    let hours = 600;
    let mut rng = Rng::new(9);
    let times: Vec<i64> = (0..hours)
        .map(|h| (SEPT_FIRST_SECS * 1_000_000) + h * HOUR_MICROS)
        .collect();
    let flow: Vec<f64> = (0..hours)
        .map(|h| {
            100.0 + 30.0 * (std::f64::consts::TAU * h as f64 / 24.0).sin() + rng.normal(0.0, 2.0)
        })
        .collect();
    let ds = dataset(vec![
        Column::from_timestamps("time", times.clone()),
        Column::from_f64("flow", flow.clone()),
    ]);
    let mut req = TrainRequest::new("flow");
    req.task = TaskChoice::Fixed(Task::Forecast);
    req.horizon_hours = 6;
    req.config = quick(2);
    let model = save(dir.path(), "flow", &ds, &req);
    let base = start(dir.path(), ServeConfig::default()).await;

    let (_, meta) = get(&format!("{base}/v2/models/flow")).await;
    assert_eq!(
        meta["inputs"],
        json!([
            {"name": "time", "datatype": "BYTES", "shape": [-1]},
            {"name": "flow", "datatype": "FP64", "shape": [-1]},
        ])
    );
    assert_eq!(
        meta["outputs"],
        json!([{"name": "forecast", "datatype": "FP64", "shape": [-1, 6]}])
    );

    let history = 250;
    let start_row = hours as usize - history;
    let secs: Vec<i64> = times[start_row..].iter().map(|t| t / 1_000_000).collect();
    let request = json!({"inputs": [
        {"name": "time", "shape": [history], "datatype": "INT64", "data": secs},
        {"name": "flow", "shape": [history], "datatype": "FP64", "data": &flow[start_row..]},
    ]});
    let (status, body) = post(&format!("{base}/v2/models/flow/infer"), &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let forecast = output(&body, "forecast");
    assert_eq!(forecast["shape"], json!([history, 6]));
    let served = numbers(&forecast["data"]);

    let table = Table::new(vec![
        Column::from_timestamps("time", times[start_row..].to_vec()),
        Column::from_f64("flow", flow[start_row..].to_vec()),
    ])
    .unwrap();
    let Predictions::Forecasts { horizon, values } = model.predict(&table).unwrap() else {
        panic!("a forecaster forecasts")
    };
    let expected: Vec<Option<f64>> = values
        .iter()
        .flat_map(|row| match row {
            Some(v) => v.iter().map(|x| Some(*x)).collect(),
            None => vec![None; horizon],
        })
        .collect();
    assert_eq!(served, expected);
    assert!(served[0].is_none(), "the first row has no week of history");
    assert!(served.last().unwrap().is_some(), "the last row has");
}

#[tokio::test]
async fn recommender_infer_pads_and_falls_back_to_popular_items() {
    let dir = tempfile::tempdir().unwrap();
    let rec = save_recommender_model(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;

    let (status, meta) = get(&format!("{base}/v2/models/services")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        meta["inputs"],
        json!([
            {"name": "user", "datatype": "BYTES", "shape": [-1]},
            {"name": "top", "datatype": "INT64", "shape": [1]},
        ])
    );

    let top = 4;
    let request = json!({"inputs": [
        {"name": "user", "shape": [2], "datatype": "BYTES", "data": ["u1", "newcomer"]},
        {"name": "top", "shape": [1], "datatype": "INT64", "data": [top]},
    ]});
    let (status, body) = post(&format!("{base}/v2/models/services/infer"), &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut items = Vec::new();
    let mut scores = Vec::new();
    for recs in [
        rec.recommend_for_id("u1", top, true).unwrap(),
        rec.popular(top),
    ] {
        assert!(recs.len() <= top);
        for k in 0..top {
            items.push(recs.get(k).map_or("", |r| r.item.as_str()).to_owned());
            scores.push(recs.get(k).map_or(0.0, |r| r.score));
        }
    }
    assert!(
        items.contains(&String::new()),
        "u1 has few candidates: padded"
    );
    let served_items = output(&body, "items");
    assert_eq!(served_items["shape"], json!([2, top]));
    assert_eq!(served_items["data"], json!(items));
    let served_scores = output(&body, "scores");
    assert_eq!(served_scores["datatype"], "FP32");
    // FP32 on the wire reads back as the same f32.
    let served: Vec<f32> = numbers(&served_scores["data"])
        .into_iter()
        .map(|x| x.unwrap() as f32)
        .collect();
    assert_eq!(served, scores);

    // Default top is 10; without the fallback an unknown user is an error.
    let mut strict = json!({"inputs": [
        {"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u2"]},
    ]});
    let (status, body) = post(&format!("{base}/v2/models/services/infer"), &strict).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(output(&body, "items")["shape"], json!([1, 10]));
    strict["inputs"][0]["data"] = json!(["newcomer"]);
    strict["parameters"] = json!({"fallback": false});
    let (status, body) = post(&format!("{base}/v2/models/services/infer"), &strict).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&body).contains("'newcomer'"), "{body}");
}

#[tokio::test]
async fn wrong_input_shape_is_400_naming_the_tensor() {
    let dir = tempfile::tempdir().unwrap();
    save_classifier(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    let url = format!("{base}/v2/models/busy/infer");
    let (request, _) = classifier_query();

    let mut two_columns = request.clone();
    two_columns["inputs"][0]["shape"] = json!([5, 2]);
    two_columns["inputs"][0]["data"] = json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    let (status, body) = post(&url, &two_columns).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&body).contains("input 'speed'"), "{body}");

    let mut short = request.clone();
    short["inputs"][1]["shape"] = json!([4]);
    short["inputs"][1]["data"] = json!([1, 2, 3, 4]);
    let (status, body) = post(&url, &short).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_text(&body).contains("input 'lanes' has 4 rows"),
        "{body}"
    );

    let mut wrong_count = request.clone();
    wrong_count["inputs"][3]["shape"] = json!([6]);
    let (status, body) = post(&url, &wrong_count).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&body).contains("input 'road'"), "{body}");
}

#[tokio::test]
async fn missing_or_unknown_input_is_400_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    save_classifier(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    let url = format!("{base}/v2/models/busy/infer");
    let (request, _) = classifier_query();

    let mut missing = request.clone();
    missing["inputs"].as_array_mut().unwrap().remove(3);
    let (status, body) = post(&url, &missing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_text(&body).contains("input 'road' (BYTES) is missing"),
        "{body}"
    );

    let mut wrong_type = request.clone();
    wrong_type["inputs"][3]["datatype"] = json!("INT64");
    wrong_type["inputs"][3]["data"] = json!([1, 2, 3, 4, 5]);
    let (status, body) = post(&url, &wrong_type).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_text(&body).contains("input 'road' must be BYTES"),
        "{body}"
    );

    let mut extra = request.clone();
    extra["inputs"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "sped", "shape": [5], "datatype": "FP64", "data": [1, 2, 3, 4, 5]}));
    let (status, body) = post(&url, &extra).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&body).contains("no input 'sped'"), "{body}");

    let (status, body) = post(&url, &json!({"inputs": "speed"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error_text(&body).contains("not a V2 inference request"),
        "{body}"
    );
}

#[tokio::test]
async fn missing_model_is_404() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    let (status, body) = get(&format!("{base}/v2/models/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_text(&body).contains("'nowhere'"), "{body}");
    assert!(
        error_text(&body).contains("services"),
        "lists the models: {body}"
    );
    let (status, body) = post(
        &format!("{base}/v2/models/nowhere/infer"),
        &json!({"inputs": []}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_text(&body).contains("'nowhere'"), "{body}");
    let (status, _) = get(&format!("{base}/v2/models/nowhere/ready")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(&format!("{base}/v2/models/services/versions/2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get(&format!("{base}/v3/models")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_text(&body).contains("/v2"), "{body}");
}

#[tokio::test]
async fn oversized_body_is_413_and_too_many_rows_is_400() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        max_body_bytes: 1024,
        max_batch_rows: 50,
        ..ServeConfig::default()
    };
    let base = start(dir.path(), cfg).await;
    let url = format!("{base}/v2/models/services/infer");
    let users: Vec<String> = (0..500).map(|i| format!("resident-{i}")).collect();
    let big = json!({"inputs": [{"name": "user", "shape": [users.len()], "datatype": "BYTES", "data": users}]});
    let (status, body) = post(&url, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_text(&body).contains("1024 bytes"), "{body}");

    let many = json!({"inputs": [{"name": "user", "shape": [60], "datatype": "BYTES", "data": vec!["u1"; 60]}]});
    let (status, body) = post(&url, &many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_text(&body).contains("at most 50 rows"), "{body}");
}

#[tokio::test]
async fn missing_or_wrong_token_is_401_while_health_stays_open() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        token: Some("s3cret".to_owned()),
        ..ServeConfig::default()
    };
    let base = start(dir.path(), cfg).await;
    let c = client();
    let live = c
        .get(format!("{base}/v2/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);

    let missing = c.get(format!("{base}/v2/models")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    let body: Value = missing.json().await.unwrap();
    assert!(
        error_text(&body).contains("Authorization: Bearer"),
        "{body}"
    );

    let wrong = c
        .get(format!("{base}/v2/models"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let infer = c
        .post(format!("{base}/v2/models/services/infer"))
        .json(&json!({"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u1"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(infer.status(), StatusCode::UNAUTHORIZED);

    let right = c
        .get(format!("{base}/v2/models"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn non_loopback_address_without_token_is_refused() {
    for addr in ["0.0.0.0:8080", "192.0.2.10:8080", "[::]:8080"] {
        let cfg = ServeConfig {
            addr: addr.parse().unwrap(),
            ..ServeConfig::default()
        };
        let err = serve(cfg, std::future::ready(())).await.unwrap_err();
        assert!(
            matches!(err, ServeError::NonLoopbackWithoutToken { .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("127.0.0.1"),
            "says what to do: {err}"
        );
    }
}

#[tokio::test]
async fn serve_on_loopback_stops_when_shutdown_completes() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        models_dir: dir.path().to_owned(),
        addr: "127.0.0.1:0".parse().unwrap(),
        ..ServeConfig::default()
    };
    serve(cfg, std::future::ready(())).await.unwrap();

    let cfg = ServeConfig {
        models_dir: dir.path().join("absent"),
        addr: "127.0.0.1:0".parse().unwrap(),
        ..ServeConfig::default()
    };
    let err = serve(cfg, std::future::ready(())).await.unwrap_err();
    assert!(matches!(err, ServeError::Io(_)), "{err}");
    assert!(err.to_string().contains("absent"), "{err}");
}

#[test]
fn damaged_bundle_is_skipped_and_the_others_load() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    std::fs::write(dir.path().join("broken.json"), "{ not json").unwrap();
    let registry = load_registry(dir.path());
    assert_eq!(registry.names(), vec!["services".to_owned()]);
    assert!(registry.get("services").is_some());
}

#[test]
fn config_debug_hides_the_token() {
    let cfg = ServeConfig {
        token: Some("s3cret".to_owned()),
        ..ServeConfig::default()
    };
    let shown = format!("{cfg:?}");
    assert!(
        !shown.contains("s3cret") && shown.contains("<set>"),
        "{shown}"
    );
    assert_eq!(cfg.max_body_bytes, 16 << 20);
    assert_eq!(cfg.max_batch_rows, 100_000);
    assert_eq!(cfg.addr.to_string(), "127.0.0.1:8080");
}

#[tokio::test]
async fn request_log_layer_keeps_statuses_and_bodies() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let app = with_request_log(router(
        Arc::new(load_registry(dir.path())),
        &ServeConfig::default(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    assert_eq!(
        get(&format!("{base}/v2/health/live")).await,
        (StatusCode::OK, json!({"live": true}))
    );
    let (status, body) = get(&format!("{base}/v2/models/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_text(&body).contains("'nowhere'"), "{body}");
}

// ---------------------------------------------------------------------------
// Hostile clients: timeouts, the connection cap, shutdown, sizes, origins.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The `host:port` of a base URL.
fn authority(base: &str) -> &str {
    base.trim_start_matches("http://")
}

/// Reads what the server sends until it closes the connection or `limit`
/// passes; the text, and whether the connection was closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), false),
        }
    }
}

/// Short timeouts so the tests stay fast.
fn quick_cfg() -> ServeConfig {
    ServeConfig {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_secs(5),
        shutdown_deadline: Duration::from_millis(300),
        ..ServeConfig::default()
    }
}

#[tokio::test]
async fn half_a_request_head_is_closed_within_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let base = start(dir.path(), quick_cfg()).await;
    let mut s = TcpStream::connect(authority(&base)).await.unwrap();
    s.write_all(b"GET /v2/models HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ")
        .await
        .unwrap();
    let t0 = Instant::now();
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    let waited = t0.elapsed();
    assert!(closed, "the connection stayed open");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "closed after {waited:?}, expected about 300 ms"
    );
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ServeConfig {
        idle_timeout: Duration::from_millis(300),
        ..quick_cfg()
    };
    let base = start(dir.path(), cfg).await;
    let mut s = TcpStream::connect(authority(&base)).await.unwrap();
    let t0 = Instant::now();
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(
        closed && t0.elapsed() < Duration::from_secs(2),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_gets_408() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let base = start(dir.path(), quick_cfg()).await;
    let mut s = TcpStream::connect(authority(&base)).await.unwrap();
    s.write_all(
        b"POST /v2/models/services/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"inputs\"",
    )
    .await
    .unwrap();
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 0.3 s"), "{answer}");
    assert!(closed);
}

#[tokio::test]
async fn idle_connections_beyond_the_cap_are_refused_while_a_fresh_client_is_served() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        ..quick_cfg()
    };
    let base = start(dir.path(), cfg).await;
    let mut idle = Vec::new();
    for _ in 0..12 {
        idle.push(TcpStream::connect(authority(&base)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let t0 = Instant::now();
    let (status, body) = get(&format!("{base}/v2/models")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    // At most the cap of them are still open (less the one the fresh
    // client took); the rest were closed or refused.
    let mut closed = 0;
    for s in &mut idle {
        if read_until_closed(s, Duration::from_millis(100)).await.1 {
            closed += 1;
        }
    }
    assert!(
        closed >= 12 - 4,
        "only {closed} of 12 idle connections closed"
    );
}

#[tokio::test]
async fn past_the_cap_with_every_connection_busy_a_newcomer_gets_503() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        max_connections: 2,
        body_read_timeout: Duration::from_secs(5),
        ..quick_cfg()
    };
    let base = start(dir.path(), cfg).await;
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(authority(&base)).await.unwrap();
        s.write_all(
            b"POST /v2/models/services/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
        )
        .await
        .unwrap();
        busy.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut newcomer = TcpStream::connect(authority(&base)).await.unwrap();
    let (answer, closed) = read_until_closed(&mut newcomer, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("connection limit"), "{answer}");
    assert!(closed);
}

#[tokio::test]
async fn a_client_holding_an_unsent_body_does_not_keep_shutdown_past_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        body_read_timeout: Duration::from_secs(30),
        shutdown_deadline: Duration::from_millis(300),
        ..quick_cfg()
    };
    let (base, stop, done) = start_registry(Arc::new(load_registry(dir.path())), cfg).await;
    let mut s = TcpStream::connect(authority(&base)).await.unwrap();
    s.write_all(
        b"POST /v2/models/services/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), done)
        .await
        .expect("the server did not stop")
        .unwrap();
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(2),
        "stopped after {took:?}, expected about the 300 ms deadline"
    );
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(2)).await;
    assert!(closed, "the held connection was not dropped");
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        body_read_timeout: Duration::from_secs(5),
        shutdown_deadline: Duration::from_secs(5),
        ..quick_cfg()
    };
    let (base, stop, done) = start_registry(Arc::new(load_registry(dir.path())), cfg).await;
    let body =
        br#"{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u1"]}]}"#;
    let mut s = TcpStream::connect(authority(&base)).await.unwrap();
    let head = format!(
        "POST /v2/models/services/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The listener is closed: a new client is not served.
    assert!(
        TcpStream::connect(authority(&base)).await.is_err(),
        "still accepting after shutdown began"
    );
    s.write_all(&body[10..]).await.unwrap();
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "the connection stayed open after shutdown");
    tokio::time::timeout(Duration::from_secs(3), done)
        .await
        .expect("the server did not stop")
        .unwrap();
}

/// Word vectors of dimension 4 over a few words, served as `words`.
fn word_vectors_registry(dir: &Path) -> Registry {
    let words: Vec<String> = ["bus", "tram", "road", "rain"]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
    let vectors: Vec<f32> = (0..16).map(|i| i as f32 / 16.0 + 0.1).collect();
    let v = crate::text::WordVectors::new(words, 4, vectors, vec![]).unwrap();
    let (card, _) =
        crate::models::word_vectors::save_word_vectors(&dir.join("words"), &v, None, None).unwrap();
    let registry = Registry::default();
    registry.insert(
        "words",
        ServedModel::WordVectors {
            card: Box::new(card),
            vectors: v,
        },
    );
    registry
}

#[tokio::test]
async fn an_embeddings_shape_of_1_by_n_is_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ServeConfig {
        max_batch_rows: 50,
        max_output_values: 100,
        ..quick_cfg()
    };
    let (base, _stop, _done) =
        start_registry(Arc::new(word_vectors_registry(dir.path())), cfg).await;
    let url = format!("{base}/v2/models/words/infer");
    // [1, 60]: one row, but 60 values.
    let texts = vec!["bus road"; 60];
    let wide = json!({"inputs": [{"name": "text", "shape": [1, 60], "datatype": "BYTES", "data": [texts]}]});
    let (status, body) = post(&url, &wide).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        error_text(&body).contains("at most 50 values per input"),
        "{body}"
    );
    // 30 texts pass the batch limit, but 30 × 4 = 120 values out is over
    // the response limit of 100.
    let texts = vec!["bus road"; 30];
    let many =
        json!({"inputs": [{"name": "text", "shape": [30], "datatype": "BYTES", "data": texts}]});
    let (status, body) = post(&url, &many).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        error_text(&body).contains("120 values") && error_text(&body).contains("at most 100"),
        "{body}"
    );
    // The same through /v1/embeddings.
    let (status, body) = post(
        &format!("{base}/v1/embeddings"),
        &json!({"model": "words", "input": texts}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(error_text(&body).contains("at most 100"), "{body}");
    // Within the limits both answer.
    let few = json!({"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["bus", "rain"]}]});
    let (status, body) = post(&url, &few).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(output(&body, "embedding")["shape"], json!([2, 4]));
    let (status, body) = post(
        &format!("{base}/v1/embeddings"),
        &json!({"model": "words", "input": "bus"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["embedding"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_cross_site_text_plain_post_is_refused_with_415() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    let body =
        r#"{"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u1"]}]}"#;
    let url = format!("{base}/v2/models/services/infer");
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        // A page's cross-site request always carries its Origin.
        let mut request = client()
            .post(&url)
            .header("origin", "https://evil.example")
            .body(body);
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let r = request.send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        let text: Value = r.json().await.unwrap();
        assert!(error_text(&text).contains("application/json"), "{text}");
    }
    let r = client()
        .post(&url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// Sends a GET with the given `Host` (and token) over raw TCP; the answer.
async fn get_with_host(base: &str, path: &str, host: &str, token: Option<&str>) -> String {
    let mut s = TcpStream::connect(authority(base)).await.unwrap();
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    let request = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\n{auth}connection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.unwrap();
    read_until_closed(&mut s, Duration::from_secs(5)).await.0
}

#[tokio::test]
async fn a_foreign_host_is_refused_without_a_token_and_allowed_with_one() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let open = start(dir.path(), ServeConfig::default()).await;
    let answer = get_with_host(&open, "/v2/models", "rebind.example:8080", None).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("DNS rebinding"), "{answer}");
    for host in ["localhost:1234", "127.0.0.1", "[::1]:8080"] {
        let answer = get_with_host(&open, "/v2/models", host, None).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{host}: {answer}");
    }
    let protected = start(
        dir.path(),
        ServeConfig {
            token: Some("s3cret".to_owned()),
            ..ServeConfig::default()
        },
    )
    .await;
    let answer = get_with_host(
        &protected,
        "/v2/models",
        "models.example.org",
        Some("s3cret"),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_body_declared_over_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let cfg = ServeConfig {
        max_body_bytes: 1024,
        ..quick_cfg()
    };
    let base = start(dir.path(), cfg).await;
    let mut s = TcpStream::connect(authority(&base)).await.unwrap();
    // Nothing of the body is sent: the answer comes from the head alone.
    s.write_all(
        b"POST /v2/models/services/infer HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 16777216\r\n\r\n",
    )
    .await
    .unwrap();
    let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("1024 bytes"), "{answer}");
    assert!(closed);
}

#[tokio::test]
async fn binary_tensor_data_is_read_and_answered_and_bad_sizes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    save_recommender_model(dir.path());
    let base = start(dir.path(), ServeConfig::default()).await;
    let url = format!("{base}/v2/models/services/infer");
    let user = b"u1";
    let mut tensor = (user.len() as u32).to_le_bytes().to_vec();
    tensor.extend_from_slice(user);
    let header = json!({
        "inputs": [{"name": "user", "shape": [1], "datatype": "BYTES",
                    "parameters": {"binary_data_size": tensor.len()}}],
        "outputs": [{"name": "scores", "parameters": {"binary_data": true}},
                    {"name": "items"}],
    })
    .to_string();
    let send = |header_len: usize, body: Vec<u8>| {
        client()
            .post(&url)
            .header("inference-header-content-length", header_len.to_string())
            .body(body)
            .send()
    };
    let mut body = header.clone().into_bytes();
    body.extend_from_slice(&tensor);
    let r = send(header.len(), body.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let json_len: usize = r.headers()["inference-header-content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = r.bytes().await.unwrap();
    let head: Value = serde_json::from_slice(&bytes[..json_len]).unwrap();
    // Scores binary (FP32: 4 bytes each), items as JSON.
    let scores = &head["outputs"][0];
    assert_eq!(scores["name"], "scores");
    let size = scores["parameters"]["binary_data_size"].as_u64().unwrap() as usize;
    assert_eq!(bytes.len() - json_len, size);
    let n: usize = scores["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .product();
    assert_eq!(size, n * 4);
    assert!(head["outputs"][1]["data"].is_array(), "{head}");
    // A header length past the body, and sizes that do not add up.
    let r = send(body.len() + 10, body.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text: Value = r.json().await.unwrap();
    assert!(error_text(&text).contains("past the end"), "{text}");
    let mut extra = body.clone();
    extra.extend_from_slice(b"junk");
    let r = send(header.len(), extra).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text: Value = r.json().await.unwrap();
    assert!(error_text(&text).contains("4 bytes after"), "{text}");
}

#[tokio::test]
async fn deploying_needs_a_token_and_a_bundle_that_loads() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let source = tempfile::tempdir().unwrap();
    save_recommender_model(source.path());
    let card = std::fs::read(source.path().join("services.json")).unwrap();
    let weights = std::fs::read(source.path().join("services.safetensors")).unwrap();
    let upload = |weights: &[u8]| json!({"parameters": {"file:services.json": b64(&card), "file:services.safetensors": b64(weights)}});
    // Without a token, even on loopback: 403.
    let open = tempfile::tempdir().unwrap();
    let base = start(open.path(), ServeConfig::default()).await;
    let (status, body) = post(
        &format!("{base}/v2/repository/models/services/load"),
        &upload(&weights),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(error_text(&body).contains("--token"), "{body}");

    let dir = tempfile::tempdir().unwrap();
    let base = start(
        dir.path(),
        ServeConfig {
            token: Some("s3cret".to_owned()),
            ..ServeConfig::default()
        },
    )
    .await;
    let load = |body: Value| {
        client()
            .post(format!("{base}/v2/repository/models/services/load"))
            .bearer_auth("s3cret")
            .json(&body)
            .send()
    };
    // Weights that are not the card's: 400, nothing written.
    let r = load(upload(b"not the weights")).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text: Value = r.json().await.unwrap();
    assert!(error_text(&text).contains("does not load"), "{text}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing is left behind: {left:?}");
    // A file that is not the model's: 400.
    let r = load(json!({"parameters": {"file:../evil.json": b64(b"{}")}}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The real bundle: served at once.
    let r = load(upload(&weights)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client()
        .post(format!("{base}/v2/models/services/infer"))
        .bearer_auth("s3cret")
        .json(&json!({"inputs": [{"name": "user", "shape": [1], "datatype": "BYTES", "data": ["u1"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(dir.path().join("services.safetensors").is_file());
}
