//! `cityops --screenshot` in a real window under Xvfb: the PNG exists, has
//! the window's size and shows a drawn dashboard (many distinct colours,
//! not a blank frame). Needs `xvfb-run` (Debian package xvfb), which
//! `.ci/run` installs.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

use std::path::Path;
use std::process::Command;

#[path = "common/tiles.rs"]
mod tiles;

fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn distinct_colours(rgba: &[u8]) -> usize {
    let mut seen = std::collections::HashSet::new();
    for px in rgba.chunks_exact(4).step_by(7) {
        seen.insert([px[0], px[1], px[2]]);
    }
    seen.len()
}

/// Runs cityops with `args` in a 1920 × 1200 virtual display and
/// decodes the PNG it writes to `out_png`; a failed run fails the test
/// with cityops' stderr.
fn run_and_decode(args: &[&std::ffi::OsStr], out_png: &Path, what: &str) -> (u32, u32, Vec<u8>) {
    run_and_decode_with(args, &[], out_png, what)
}

/// [`run_and_decode`] with more environment variables.
fn run_and_decode_with(
    args: &[&std::ffi::OsStr],
    envs: &[(&str, &Path)],
    out_png: &Path,
    what: &str,
) -> (u32, u32, Vec<u8>) {
    // One display at a time: `xvfb-run -a` picks a free display number
    // racily, and two windows on one display disturb each other.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _display = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1920x1200x24"])
        .arg(env!("CARGO_BIN_EXE_cityops"))
        .args(args)
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        // The default models folder under the build's temporary folder,
        // never the user's own.
        .env(
            "XDG_DATA_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-data"),
        )
        .env_remove("CITYOPS_MODELS")
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    decode_png(out_png)
}

#[test]
fn screenshot_of_each_view_shows_a_drawn_dashboard() {
    assert!(
        Command::new("xvfb-run").arg("--help").output().is_ok(),
        "xvfb-run is needed for this test: apt-get install xvfb xauth"
    );
    let dir = tempfile::tempdir().unwrap();
    for view in ["traffic", "environment"] {
        let out_png = dir.path().join(format!("{view}.png"));
        let (w, h, rgba) = run_and_decode(
            &[
                "--screenshot".as_ref(),
                out_png.as_os_str(),
                "--view".as_ref(),
                view.as_ref(),
            ],
            &out_png,
            view,
        );
        assert!(w >= 1200 && h >= 800, "{view}: {w}x{h}");
        let colours = distinct_colours(&rgba);
        assert!(
            colours > 200,
            "{view}: only {colours} colours: the frame looks blank"
        );
    }
}

#[test]
fn presentation_mode_screenshot_is_drawn_on_black_in_large_type() {
    for lang in ["en", "zh"] {
        presentation_screenshot(lang);
    }
}

fn presentation_screenshot(lang: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out_png = dir.path().join("present.png");
    let (w, h, rgba) = run_and_decode(
        &[
            "--present".as_ref(),
            "--lang".as_ref(),
            lang.as_ref(),
            "--screenshot".as_ref(),
            out_png.as_os_str(),
        ],
        &out_png,
        lang,
    );
    assert!(w >= 1200 && h >= 800, "{w}x{h}");
    assert!(distinct_colours(&rgba) > 100, "the frame looks blank");
    // The high-contrast theme: most of the screen is pure black.
    let black = rgba
        .chunks_exact(4)
        .filter(|p| p[0] == 0 && p[1] == 0 && p[2] == 0)
        .count();
    let share = black as f64 / (rgba.len() / 4) as f64;
    assert!(share > 0.5, "{lang}: only {:.0} % black", share * 100.0);
}

#[test]
fn a_view_exported_for_slides_at_2x_has_twice_the_pixels_of_1x() {
    let dir = tempfile::tempdir().unwrap();
    let mut sizes = Vec::new();
    for scale in ["1", "2"] {
        let out_png = dir.path().join(format!("traffic_{scale}x.png"));
        let (w, h, rgba) = run_and_decode(
            &[
                "--view".as_ref(),
                "traffic".as_ref(),
                "--scale".as_ref(),
                scale.as_ref(),
                "--export-view".as_ref(),
                out_png.as_os_str(),
            ],
            &out_png,
            scale,
        );
        assert!(
            distinct_colours(&rgba) > 200,
            "{scale}x: the export looks blank"
        );
        sizes.push((w, h));
    }
    let ((w1, h1), (w2, h2)) = (sizes[0], sizes[1]);
    // The view (the window minus toolbar and navigation), and larger than
    // the 1600 × 1000 window at 2×: drawn in tiles.
    assert!(w1 > 1000 && w1 < 1600 && h1 > 700 && h1 < 1000, "{w1}x{h1}");
    assert!(
        w2.abs_diff(2 * w1) <= 1 && h2.abs_diff(2 * h1) <= 1,
        "{w1}x{h1} → {w2}x{h2}"
    );
}

#[test]
fn a_scale_outside_one_to_four_is_refused_before_any_window_opens() {
    let out = Command::new(env!("CARGO_BIN_EXE_cityops"))
        .args(["--scale", "9", "--export-view", "x.png"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a scale from 1 to 4"), "{err}");
}

/// The view exported for slides keeps the basemap's tiles: the export is
/// drawn in a context of its own, which takes the tiles the window has
/// loaded (it used to start loading them and draw the map without them).
#[test]
fn a_map_over_tiles_is_exported_with_its_tiles() {
    let dir = tempfile::tempdir().unwrap();
    // Tiles as slow as a server across the network, and no disk cache to
    // read them from again (the cache folder is a file): only the tiles the
    // window holds can be in the export.
    let (template, hits, _server) =
        tiles::tile_server_slow(false, std::time::Duration::from_millis(400));
    let csv = dir.path().join("stops.csv");
    let mut text = String::from("name,latitude,longitude\n");
    for i in 0..20 {
        text.push_str(&format!(
            "s{i},{},{}\n",
            45.50 + f64::from(i) * 0.002,
            -73.57 + f64::from(i) * 0.003
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let ws = dir.path().join("ws.json");
    let doc = serde_json::json!({
        "format": "cityops-workspace",
        "version": 2,
        "workspace": {
            "view": "Dashboards",
            "demo_open": false,
            "open_files": [csv],
            "basemap": {"kind": "xyz", "url": template, "attribution": "Test tiles"},
        }
    });
    std::fs::write(&ws, doc.to_string()).unwrap();
    let out_png = dir.path().join("dashboard.png");
    let cache = dir.path().join("cache");
    std::fs::write(&cache, "not a folder").unwrap();
    let (_, _, rgba) = run_and_decode_with(
        &[
            "--workspace".as_ref(),
            ws.as_os_str(),
            "--scale".as_ref(),
            "1".as_ref(),
            "--export-view".as_ref(),
            out_png.as_os_str(),
        ],
        &[("CITYOPS_CACHE_DIR", &cache)],
        &out_png,
        "export",
    );
    assert!(
        hits.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "tiles were asked for"
    );
    let magenta = rgba
        .chunks_exact(4)
        .filter(|p| p[0] > 230 && p[1] < 30 && p[2] > 230)
        .count();
    assert!(
        magenta > 20_000,
        "the map's tiles are in the exported view: {magenta} magenta pixels"
    );
}
