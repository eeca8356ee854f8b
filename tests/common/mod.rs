//! Helpers shared by the integration tests: the binary, fixtures, a
//! dashboard harness that waits for background work, and a cityops model
//! server on a loopback port in this process.

#![allow(dead_code, clippy::unwrap_used)] // each test crate uses some of these

pub mod tiny_bert;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use cityops::app::{AppOptions, CityApp};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// The `cityops` binary built for these tests. Its default models folder
/// is under the build's temporary folder, never the user's own, and
/// `CITYOPS_MODELS` is not inherited.
pub fn cityops() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cityops"));
    c.env("XDG_DATA_HOME", test_data_home())
        .env_remove("CITYOPS_MODELS");
    c
}

/// The data folder the binary runs with in tests (it gets the shipped
/// models the first time a command uses the default models folder).
pub fn test_data_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-data")
}

/// A file under tests/data.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Runs `cityops text classify --json --model MODEL` on the demo reports
/// (with `cache` as the embedding cache) and returns its JSON answer.
pub fn classify_demo_reports(model: &Path, cache: &Path) -> serde_json::Value {
    let o = cityops()
        .env("CITYOPS_CACHE_DIR", cache)
        .args(["text", "classify", "--json", "--model"])
        .arg(model)
        .args(["--data", "demo:reports", "--column", "text"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The shipped models folder.
pub fn shipped_models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// The dashboard in a test harness of the given size.
pub fn app(opts: AppOptions, size: egui::Vec2) -> Harness<'static, CityApp> {
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| CityApp::new(cc, opts))
}

/// The dashboard on the demo city with no saved state, 1400 × 900,
/// after its start-up work has finished.
pub fn demo_app() -> Harness<'static, CityApp> {
    let mut h = app(
        AppOptions {
            fresh: true,
            ..Default::default()
        },
        egui::vec2(1400.0, 900.0),
    );
    wait(&mut h);
    h
}

/// Steps frames until loading and every view's background work are over.
pub fn wait(h: &mut Harness<'static, CityApp>) {
    h.run_steps(2);
    for _ in 0..9000 {
        h.step();
        if !h.state().is_busy() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!h.state().is_busy(), "background work did not finish");
    h.run_steps(3);
}

/// Types `url` into the Open URL… menu (left open for its buttons).
pub fn type_url(h: &mut Harness<'static, CityApp>, url: &str) {
    h.get_by_role_and_label(egui::Role::Button, "Open URL…")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::Role::TextInput, "Data URL")
        .click();
    h.get_by_role_and_label(egui::Role::TextInput, "Data URL")
        .type_text(url);
    h.run_steps(2);
}

/// Clicks the button with this accessible label and waits.
pub fn click(h: &mut Harness<'static, CityApp>, label: &str) {
    h.get_by_role_and_label(egui::Role::Button, label).click();
    wait(h);
}

/// Serves `models` with cityops' V2 server on 127.0.0.1 (a free port);
/// returns the base URL. The server lives as long as the test process.
pub fn serve_in_process(models: &Path) -> String {
    serve_in_process_with(models, &cityops::serve::ServeConfig::default())
}

/// The same with a configuration (a token, say).
pub fn serve_in_process_with(models: &Path, cfg: &cityops::serve::ServeConfig) -> String {
    let rt = cityops::jobs::runtime().unwrap();
    let registry = Arc::new(cityops::serve::load_registry(models));
    let router = cityops::serve::router(registry, cfg);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}

/// plotly's bundled datasets, unpacked into `dir`: `name` without `.gz`.
pub fn plotly_dataset(dir: &Path, name: &str) -> PathBuf {
    let root = std::env::var_os("CITYOPS_PLOTLY_DATA")
        .map(PathBuf::from)
        .or_else(|| {
            let out = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import importlib.util as u, os; print(os.path.join(u.find_spec('plotly').submodule_search_locations[0], 'package_data', 'datasets'))",
                ])
                .output()
                .ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        })
        .filter(|p| p.is_dir())
        .expect("plotly's datasets are needed: pip install --no-deps plotly (.ci/run does)");
    let gz = std::fs::read(root.join(format!("{name}.gz"))).unwrap();
    let text = gunzip(&gz);
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Unpacks a gzip file with the system's gzip (no crate needed for a test).
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    writer.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success());
    out
}
