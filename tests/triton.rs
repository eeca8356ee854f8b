//! Triton's own Python client against `cityops serve`: `tritonclient[http]`
//! (installed by `.ci/run`, `pip install tritonclient[http]`) calls the
//! server with its default settings — binary tensor data both ways — and
//! with binary outputs asked for by name, and gets the same numbers as
//! cityops' JSON path and its local inference; a recommender; an unknown
//! model and a bad shape show the server's message.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The probabilities `cityops predict` gives locally for the same rows.
fn local_probabilities(dir: &Path) -> Vec<f64> {
    let csv = dir.join("rows.csv");
    std::fs::write(
        &csv,
        "timestamp,sensor_id,road,latitude,longitude,volume_veh_per_hour,speed_kmh,occupancy_pct,rain_mm\n\
         2026-09-01T08:00:00-05:00,S01,Main St,41.88,-87.63,1200,42.5,12.0,0.0\n\
         2026-09-01T09:00:00-05:00,S02,River Rd,41.89,-87.62,900,55.0,8.5,1.2\n",
    )
    .unwrap();
    let out = common::cityops()
        .args(["predict", "--model"])
        .arg(dir.join("models/incident_risk"))
        .arg("--data")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn tritons_python_client_calls_cityops_serve_with_its_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    for f in ["incident_risk.json", "incident_risk.safetensors"] {
        std::fs::copy(shipped.join(f), models.join(f)).unwrap();
    }
    let out = common::cityops()
        .args([
            "recommend",
            "--data",
            "demo:service_use",
            "--all",
            "--top",
            "3",
            "--out",
        ])
        .arg(dir.path().join("rec.csv"))
        .arg("--save")
        .arg(models.join("services"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let port = free_port();
    let _server = Server(
        common::cityops()
            .arg("serve")
            .arg("--models")
            .arg(&models)
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/triton_client.py");
    let run = Command::new("python3")
        .arg(&script)
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "the tritonclient script failed (pip install 'tritonclient[http]'; .ci/run does):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got: Value = serde_json::from_slice(&run.stdout).unwrap();

    let extensions = got["server"]["extensions"].as_array().unwrap();
    assert!(
        extensions.iter().any(|e| e == "binary_tensor_data"),
        "{got}"
    );
    assert_eq!(got["inputs"].as_array().unwrap().len(), 9);

    // The same numbers every way: binary, binary outputs only, JSON, and
    // local inference.
    let local = local_probabilities(dir.path());
    let p_true = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|row| row[1].as_f64().unwrap())
            .collect()
    };
    for way in [
        &got["default"]["probability"],
        &got["binary_output"],
        &got["json"],
    ] {
        let p = p_true(way);
        assert_eq!(p.len(), 2, "{got}");
        for (a, b) in p.iter().zip(&local) {
            assert!((a - b).abs() < 1e-12, "{a} against local {b}");
        }
    }
    assert_eq!(
        got["default"]["label"],
        serde_json::json!(["false", "false"])
    );

    let items = got["recommend"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_array().unwrap().len(), 3);
    let scores = got["recommend"]["scores"][0].as_array().unwrap();
    assert!(scores[0].as_f64().unwrap() >= scores[2].as_f64().unwrap());

    assert_eq!(got["unknown_model"]["status"], "404", "{got}");
    assert!(
        got["unknown_model"]["message"]
            .as_str()
            .unwrap()
            .contains("not served here"),
        "{got}"
    );
    assert_eq!(got["bad_shape"]["status"], "400", "{got}");
    assert!(
        got["bad_shape"]["message"]
            .as_str()
            .unwrap()
            .contains("latitude"),
        "{got}"
    );
}

/// cityops' own V2 client sends binary tensors to a server that lists the
/// extension (here from the first value) and gets the same tensors as over
/// JSON.
#[test]
fn the_v2_client_gets_the_same_answer_binary_or_json() {
    use cityops::models::remote::{InferTensor, TensorData, V2Client};
    let url = common::serve_in_process(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    let text = |v: &[&str]| TensorData::strings(v.iter().map(|s| (*s).to_owned()));
    let tensor = |name: &str, datatype: &str, data: TensorData| InferTensor {
        name: name.to_owned(),
        shape: vec![2],
        datatype: datatype.to_owned(),
        data,
    };
    let inputs = vec![
        tensor(
            "timestamp",
            "BYTES",
            text(&["2026-09-01T08:00:00-05:00", "2026-09-01T09:00:00-05:00"]),
        ),
        tensor("sensor_id", "BYTES", text(&["S01", "S02"])),
        tensor("road", "BYTES", text(&["Main St", "River Rd"])),
        tensor("latitude", "FP64", TensorData::floats([41.88, 41.89])),
        tensor("longitude", "FP64", TensorData::floats([-87.63, -87.62])),
        tensor(
            "volume_veh_per_hour",
            "INT64",
            TensorData::ints([1200, 900]),
        ),
        tensor("speed_kmh", "FP64", TensorData::floats([42.5, 55.0])),
        tensor("occupancy_pct", "FP64", TensorData::floats([12.0, 8.5])),
        tensor("rain_mm", "FP64", TensorData::floats([0.0, 1.2])),
    ];
    let rt = cityops::jobs::runtime().unwrap();
    let json = V2Client::new(&url, None).unwrap().binary_from(usize::MAX);
    let binary = V2Client::new(&url, None).unwrap().binary_from(0);
    for outputs in [vec![], vec!["probability".to_owned()]] {
        let a = rt
            .block_on(json.infer("incident_risk", inputs.clone(), &outputs))
            .unwrap();
        let b = rt
            .block_on(binary.infer("incident_risk", inputs.clone(), &outputs))
            .unwrap();
        assert_eq!(a, b);
        assert!(a.iter().any(|t| t.name == "probability"));
    }
}
