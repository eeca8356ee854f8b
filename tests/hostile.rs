//! Hostile model files: a card whose weights name climbs out of the models
//! folder, a card nested thousands of levels deep, weights whose header
//! claims terabytes. Each is refused with a clear error, without reading
//! outside the folder, overflowing the stack or allocating what it claims.

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

mod common;

use std::path::{Path, PathBuf};

use cityops::models::bundle::load_bundle;

/// The shipped incident model copied into `dir`, its card edited by `edit`.
fn copy_with_card(dir: &Path, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let shipped = common::shipped_models();
    std::fs::copy(
        shipped.join("incident_risk.safetensors"),
        dir.join("incident_risk.safetensors"),
    )
    .unwrap();
    let mut card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shipped.join("incident_risk.json")).unwrap())
            .unwrap();
    edit(&mut card);
    let path = dir.join("incident_risk.json");
    std::fs::write(&path, serde_json::to_vec(&card).unwrap()).unwrap();
    path
}

#[test]
fn a_weights_name_that_climbs_out_of_the_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "../../etc/passwd",
        "/etc/passwd",
        "sub/incident_risk.safetensors",
    ] {
        let card = copy_with_card(dir.path(), |c| c["weights"]["file"] = name.into());
        let err = load_bundle(&card).err().expect("refused").to_string();
        assert!(err.contains("is not a plain file name"), "{name}: {err}");
    }
}

#[test]
fn a_card_nested_thousands_deep_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.json");
    let depth = 100_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    std::fs::write(&path, text).unwrap();
    let err = load_bundle(&path).err().expect("refused").to_string();
    assert!(err.contains("deep.json"), "{err}");
}

#[test]
fn weights_whose_header_claims_terabytes_are_refused_without_allocating_them() {
    let dir = tempfile::tempdir().unwrap();
    let card = copy_with_card(dir.path(), |_| {});
    // A safetensors header length of 2^40 bytes, then a few bytes: the
    // card's checksum no longer matches, which is caught first...
    let weights = dir.path().join("incident_risk.safetensors");
    let mut hostile = (1u64 << 40).to_le_bytes().to_vec();
    hostile.extend_from_slice(b"{\"x\":1}");
    std::fs::write(&weights, &hostile).unwrap();
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(err.contains("sha256") || err.contains("checksum"), "{err}");
    // ...and with the checksum made to match, the header itself is refused.
    let sha = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(&hostile);
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let card = copy_with_card(dir.path(), |c| {
        c["weights"]["sha256"] = sha.clone().into();
        c["weights"]["bytes"] = (hostile.len() as u64).into();
    });
    std::fs::write(&weights, &hostile).unwrap();
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(err.contains("incident_risk.safetensors"), "{err}");
}

/// Every saved fuzz input — the seeds and the inputs that once found a bug
/// (`tests/fuzz/regressions/TARGET/`) — run through its target again: none
/// may panic, and the seeds, which are valid files, must be accepted.
#[test]
fn fuzz_seeds_and_regressions_replay_cleanly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut replayed = 0;
    for (target, run) in cityops::fuzzing::TARGETS {
        for (kind, must_accept) in [("seeds", true), ("regressions", false)] {
            let Ok(entries) = std::fs::read_dir(root.join(kind).join(target)) else {
                continue;
            };
            for e in entries {
                let path = e.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let accepted = run(&bytes);
                if must_accept {
                    assert!(
                        accepted,
                        "{target}: the seed {} was refused",
                        path.display()
                    );
                }
                replayed += 1;
            }
        }
    }
    assert!(
        replayed >= 12,
        "only {replayed} saved inputs found under {}",
        root.display()
    );
}

/// The memory tests measure this process: one at a time.
static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap()
}

/// A CSV of `rows` lines like the demo's traffic table, in `dir`.
fn big_csv(dir: &Path, rows: usize) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join("big.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(w, "timestamp,sensor_id,volume,speed_kmh,note").unwrap();
    for i in 0..rows {
        writeln!(
            w,
            "2026-09-{:02}T{:02}:00:00-05:00,S{:02},{},{}.5,\"lane closed, then reopened\"",
            1 + i % 28,
            i % 24,
            i % 24,
            i % 3000,
            i % 120
        )
        .unwrap();
    }
    w.flush().unwrap();
    path
}

/// Cancels once the load has passed `at` (0..1).
struct CancelAt(f32, std::sync::atomic::AtomicBool);

impl cityops::data::progress::Progress for CancelAt {
    fn report(&self, fraction: f32, _message: &str) {
        if fraction >= self.0 {
            self.1.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn is_cancelled(&self) -> bool {
        self.1.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[test]
fn a_csv_larger_than_the_memory_allows_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = big_csv(dir.path(), 40_000); // about 2.6 MB
    let opts = cityops::data::LoadOptions {
        memory_limit: Some(8 << 20),
        ..Default::default()
    };
    let err = cityops::data::csv_load::load_csv_file(&path, &opts, &()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, cityops::data::LoadError::TooLarge { .. }),
        "{msg}"
    );
    assert!(
        msg.contains("big.csv") && msg.contains("MiB") && msg.contains("8.0 MiB is available"),
        "{msg}"
    );
    // With room, the same file loads.
    let ok = cityops::data::csv_load::load_csv_file(&path, &Default::default(), &()).unwrap();
    assert_eq!(ok.table.n_rows(), 40_000);
}

#[test]
fn a_cancelled_load_of_a_large_file_gives_its_memory_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = big_csv(dir.path(), 800_000); // about 52 MB
    let _one_at_a_time = MEASURING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = status_kib("VmRSS:");
    let cancel = CancelAt(0.5, std::sync::atomic::AtomicBool::new(false));
    let r = cityops::data::csv_load::load_csv_file(&path, &Default::default(), &cancel);
    assert!(
        matches!(r, Err(cityops::data::LoadError::Cancelled)),
        "{r:?}"
    );
    drop(r);
    let after = status_kib("VmRSS:");
    eprintln!("cancelled load of 52 MB: RSS {before} KiB before, {after} KiB after");
    assert!(
        after < before + 24 * 1024,
        "RSS {before} KiB before, {after} KiB after the cancelled load"
    );
}

#[test]
fn a_csv_with_one_100_mb_line_loads_within_bounded_memory() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long_line.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(w, "id,text").unwrap();
        write!(w, "1,\"").unwrap();
        let chunk = "road closed by the river ".repeat(4000);
        for _ in 0..(100 << 20) / chunk.len() {
            w.write_all(chunk.as_bytes()).unwrap();
        }
        writeln!(w, "\"").unwrap();
        writeln!(w, "2,short").unwrap();
        w.flush().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let _one_at_a_time = MEASURING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let peak_before = status_kib("VmHWM:");
    let loaded = cityops::data::csv_load::load_csv_file(&path, &Default::default(), &()).unwrap();
    assert_eq!(loaded.table.n_rows(), 2);
    let peak_after = status_kib("VmHWM:");
    eprintln!(
        "one 100 MB line: peak RSS grew by {} KiB for {size} bytes",
        peak_after - peak_before
    );
    // The bound cityops states: 4 × the file's size + 64 MiB.
    let bound_kib = cityops::data::csv_load::memory_needed(size) / 1024;
    assert!(
        peak_after.saturating_sub(peak_before) < bound_kib,
        "peak grew by {} KiB for a {size}-byte file (bound {bound_kib} KiB)",
        peak_after - peak_before
    );
}
