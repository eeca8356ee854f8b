//! Nothing lost: the binary is killed (SIGKILL, no chance to clean up) at
//! many points while it saves a model over an earlier one and exports CSV
//! over earlier files; after every kill the previous or the new version
//! loads in full — never a half-written file or a card without its weights.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use std::path::Path;
use std::time::Duration;

use common::cityops;

/// Runs `cmd` and kills it after `delay` (it may have finished already).
fn run_and_kill(mut cmd: std::process::Command, delay: Duration) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

/// Delays that sweep the whole run (about 0.1–0.4 s here) in small steps.
fn delays(n: u64, span_ms: u64) -> impl Iterator<Item = Duration> {
    (0..n).map(move |i| Duration::from_millis(i * span_ms / n))
}

#[test]
fn a_model_save_killed_at_any_point_leaves_a_loadable_model() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("models").join("services");
    let save = |model: &Path| {
        let mut c = cityops();
        c.args(["recommend", "--data", "demo:service_use", "--save"])
            .arg(model);
        c
    };
    assert!(save(&model).status().unwrap().success());
    let card = dir.path().join("models").join("services.json");
    for delay in delays(40, 400) {
        run_and_kill(save(&model), delay);
        let loaded = cityops::models::recommender::load_recommender(&card);
        assert!(
            loaded.is_ok(),
            "after a kill at {delay:?}: {:?}",
            loaded.err()
        );
    }
}

#[test]
fn a_csv_export_killed_at_any_point_leaves_whole_files() {
    let dir = tempfile::tempdir().unwrap();
    let export = || {
        let mut c = cityops();
        c.args(["demo", "export"]).arg(dir.path());
        c
    };
    assert!(export().status().unwrap().success());
    let full: Vec<(String, usize)> = [
        "traffic",
        "incidents",
        "air_quality",
        "reports",
        "service_use",
    ]
    .iter()
    .map(|n| {
        let ds = cityops::data::load_dataset(
            &dir.path().join(format!("{n}.csv")),
            &Default::default(),
            &(),
        )
        .unwrap();
        ((*n).to_owned(), ds.table.n_rows())
    })
    .collect();
    for delay in delays(30, 600) {
        run_and_kill(export(), delay);
        for (name, rows) in &full {
            let ds = cityops::data::load_dataset(
                &dir.path().join(format!("{name}.csv")),
                &Default::default(),
                &(),
            )
            .unwrap();
            assert_eq!(
                ds.table.n_rows(),
                *rows,
                "{name}.csv after a kill at {delay:?}"
            );
            assert!(ds.warnings.is_empty(), "{name}.csv: {:?}", ds.warnings);
        }
    }
}

/// Not a test on its own: when `CITYOPS_SAVE_LOOP` names a file, saves two
/// different workspaces over it, in turn, until killed (the parent test
/// below runs this test binary again for that).
#[test]
fn workspace_save_loop_child() {
    let Some(path) = std::env::var_os("CITYOPS_SAVE_LOOP") else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let versions: Vec<serde_json::Value> = ["a", "b"]
        .iter()
        .map(|tag| {
            let mut ws = cityops::app::Workspace::default();
            // Thousands of file names make each save take a while.
            ws.open_files = (0..20_000)
                .map(|i| std::path::PathBuf::from(format!("/data/{tag}/file_{i}.csv")))
                .collect();
            serde_json::to_value(&ws).unwrap()
        })
        .collect();
    for i in 0.. {
        cityops::app::workspace::save_workspace_file(versions[i % 2].clone(), &path).unwrap();
    }
}

#[test]
fn a_workspace_save_killed_at_any_point_leaves_a_workspace_that_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.cityops.json");
    let child = || {
        let mut c = std::process::Command::new(std::env::current_exe().unwrap());
        c.args([
            "--exact",
            "workspace_save_loop_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CITYOPS_SAVE_LOOP", &path);
        c
    };
    let temps = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    };
    // Kills that caught a save half-written (its temporary file is left).
    let mut cut_short = 0;
    // Up to three sweeps, each shifted a little: on a loaded machine one
    // sweep of 30 kills may happen to miss every save's write.
    let sweeps = (0..3u64).flat_map(|sweep| {
        delays(30, 600).map(move |d| (sweep, d + Duration::from_millis(50 + 7 * sweep)))
    });
    for (sweep, delay) in sweeps {
        if sweep > 0 && cut_short > 0 {
            break;
        }
        run_and_kill(child(), delay);
        cut_short += usize::from(!temps(dir.path()).is_empty());
        if !path.exists() {
            continue; // killed before the first save finished
        }
        let ws = cityops::app::workspace::read_workspace_file(&path);
        let ws = ws.unwrap_or_else(|e| panic!("after a kill at {delay:?}: {e}"));
        assert_eq!(ws.open_files.len(), 20_000, "after a kill at {delay:?}");
    }
    assert!(
        path.exists(),
        "no save ever finished: the delays are too short"
    );
    assert!(cut_short > 0, "no kill landed in the middle of a save");
    // The temporary files of killed saves are cleared by the next save.
    cityops::app::workspace::save_workspace_file(
        serde_json::to_value(cityops::app::Workspace::default()).unwrap(),
        &path,
    )
    .unwrap();
    let leftovers = temps(dir.path());
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}
