//! Hostile model files: a card whose weights name climbs out of the models
//! folder, a card nested thousands of levels deep, weights whose header
//! claims terabytes. Each is refused with a clear error, without reading
//! outside the folder, overflowing the stack or allocating what it claims.
//!
//! Model files that lie: a card or config.json claiming huge sizes, word
//! vectors with no words and an enormous dimension, a standard deviation of
//! 0, an unknown time zone, vectors holding NaN; weights, cards and other
//! inputs that are a FIFO, /dev/zero or a folder; a download's staging
//! folder. Each is refused with a message naming the field or the path,
//! never blocking, and `cityops serve` serves the good models beside them.

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
    // (The card's weights.bytes no longer matches the file either.)
    assert!(
        err.contains("sha256") || err.contains("checksum") || err.contains("weights.bytes"),
        "{err}"
    );
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

/// A shipped model copied into `dir` under its name, its card edited by `edit`.
fn copy_model(dir: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let shipped = common::shipped_models();
    let weights = format!("{name}.safetensors");
    std::fs::copy(shipped.join(&weights), dir.join(&weights)).unwrap();
    let mut card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shipped.join(format!("{name}.json"))).unwrap())
            .unwrap();
    edit(&mut card);
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec(&card).unwrap()).unwrap();
    path
}

/// The tests below load models on several threads: they wait for the
/// memory tests above, which measure this process, and those for them.
fn not_while_measuring() -> std::sync::MutexGuard<'static, ()> {
    MEASURING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Runs `f` on another thread and fails the test if it has not returned
/// within 10 s (a FIFO would block it forever).
fn within_10_s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("returned within 10 s instead of blocking")
}

#[test]
fn every_size_field_of_a_tabular_card_is_checked_and_named() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    let huge = serde_json::json!(1u64 << 40);
    for (model, pointer, value, field) in [
        (
            "incident_risk",
            "/network/inputs",
            huge.clone(),
            "network.inputs",
        ),
        (
            "incident_risk",
            "/network/outputs",
            0.into(),
            "network.outputs",
        ),
        (
            "incident_risk",
            "/network/hidden/1",
            huge.clone(),
            "network.hidden[1]",
        ),
        // Each layer within the maximum, together more than the weights hold.
        (
            "incident_risk",
            "/network/hidden",
            serde_json::json!([60000, 60000]),
            "network",
        ),
        (
            "aqi_forecast",
            "/inputs/horizon_hours",
            u64::MAX.into(),
            "inputs.horizon_hours",
        ),
        (
            "aqi_forecast",
            "/inputs/history_hours",
            huge.clone(),
            "inputs.history_hours",
        ),
        (
            "aqi_forecast",
            "/inputs/season_hours",
            huge.clone(),
            "inputs.season_hours",
        ),
    ] {
        let card = copy_model(dir.path(), model, |c| {
            *c.pointer_mut(pointer).unwrap() = value.clone();
        });
        let err = load_bundle(&card).err().expect("refused").to_string();
        assert!(err.contains(&format!("card's {field} ")), "{field}: {err}");
    }
}

#[test]
fn a_standard_deviation_of_0_is_refused_naming_the_field() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    let card = copy_model(dir.path(), "aqi_forecast", |c| {
        c["target"]["std"] = 0.0.into()
    });
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(err.contains("target.std"), "{err}");
    assert!(err.contains("every prediction the same"), "{err}");
    let card = copy_model(dir.path(), "incident_risk", |c| {
        let inputs = c["inputs"]["inputs"].as_array_mut().unwrap();
        let scaled = inputs
            .iter_mut()
            .find(|i| i["encoding"] == "standardize")
            .unwrap();
        scaled["std"] = 0.0.into();
    });
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(
        err.contains("card's inputs.inputs[3].std (column 'latitude') is 0"),
        "{err}"
    );
}

#[test]
fn an_unknown_time_zone_is_an_error_naming_the_field_not_utc() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    for name in ["incident_risk", "aqi_forecast"] {
        let card = copy_model(dir.path(), name, |c| {
            c["inputs"]["time_zone"] = "Mars/Olympus_Mons".into()
        });
        let err = load_bundle(&card).err().expect("refused").to_string();
        assert!(err.contains("inputs.time_zone"), "{err}");
        assert!(err.contains("Mars/Olympus_Mons"), "{err}");
    }
    // The fixed offsets cityops itself writes for zones without a name load.
    let card = copy_model(dir.path(), "aqi_forecast", |c| {
        c["inputs"]["time_zone"] = "UTC+05:30".into()
    });
    load_bundle(&card).unwrap();
}

#[test]
fn weights_or_cards_that_are_a_fifo_a_device_or_a_folder_are_refused_without_blocking() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    let card = copy_model(dir.path(), "incident_risk", |_| {});
    let weights = dir.path().join("incident_risk.safetensors");
    std::fs::remove_file(&weights).unwrap();
    mkfifo(&weights);
    let c = card.clone();
    let err = within_10_s(move || load_bundle(&c).err().expect("refused").to_string());
    assert!(err.contains("named pipe"), "{err}");
    std::fs::remove_file(&weights).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &weights).unwrap();
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(err.contains("character device"), "{err}");
    std::fs::remove_file(&weights).unwrap();
    std::fs::create_dir(&weights).unwrap();
    let err = load_bundle(&card).err().expect("refused").to_string();
    assert!(err.contains("a folder"), "{err}");
    // The card itself a FIFO.
    let fifo_card = dir.path().join("pipe.json");
    mkfifo(&fifo_card);
    let err = within_10_s(move || load_bundle(&fifo_card).err().expect("refused").to_string());
    assert!(err.contains("named pipe"), "{err}");
}

fn tiny_vectors(dir: &Path, vectors: Vec<f32>) -> PathBuf {
    let v = cityops::text::WordVectors::new(vec!["bus".into(), "late".into()], 2, vectors, vec![])
        .unwrap();
    let (_, card) =
        cityops::models::word_vectors::save_word_vectors(&dir.join("wv"), &v, None, None).unwrap();
    card
}

fn edit_json(path: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn word_vectors_with_no_words_and_a_huge_dimension_are_refused_at_load() {
    let _quiet = not_while_measuring();
    use cityops::models::word_vectors::load_word_vectors;
    let dir = tempfile::tempdir().unwrap();
    let card = tiny_vectors(dir.path(), vec![1.0, 0.0, 0.0, 1.0]);
    load_word_vectors(&card).unwrap();
    edit_json(&card, |c| {
        c["words"] = serde_json::json!([]);
        c["dim"] = serde_json::json!(1u64 << 40);
    });
    let err = load_word_vectors(&card).expect_err("refused").to_string();
    assert!(err.contains("card's dim"), "{err}");
    edit_json(&card, |c| c["dim"] = 2.into());
    let err = load_word_vectors(&card).expect_err("refused").to_string();
    assert!(err.contains("card's words"), "{err}");
    // Many words of a large dimension, more than the weights file holds.
    edit_json(&card, |c| {
        c["words"] = serde_json::json!(vec!["w"; 10_000]);
        c["dim"] = 10_000.into();
    });
    let err = load_word_vectors(&card).expect_err("refused").to_string();
    assert!(err.contains("card's words"), "{err}");
}

#[test]
fn word_vectors_holding_nan_or_infinity_are_refused() {
    let _quiet = not_while_measuring();
    use cityops::models::word_vectors::load_word_vectors;
    let dir = tempfile::tempdir().unwrap();
    let card = tiny_vectors(dir.path(), vec![1.0, 0.0, f32::NAN, 1.0]);
    let err = load_word_vectors(&card).expect_err("refused").to_string();
    assert!(err.contains("finite"), "{err}");
    assert!(err.contains("late"), "{err}");
    for text in ["2 2\nbus 1 0\nlate inf 1\n", "2 2\nbus 1 0\nlate NaN 1\n"] {
        let err = cityops::text::format::read_word2vec(text.as_bytes(), "t.vec", None, None, &())
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.vec:3") && err.contains("finite"), "{err}");
    }
    let mut bin = b"1 2\nbus ".to_vec();
    bin.extend(1.0f32.to_le_bytes());
    bin.extend(f32::INFINITY.to_le_bytes());
    let err = cityops::text::format::read_word2vec(&bin[..], "t.bin", None, None, &())
        .unwrap_err()
        .to_string();
    assert!(err.contains("finite"), "{err}");
}

#[test]
fn an_encoder_config_claiming_huge_sizes_is_refused_naming_the_field() {
    let _quiet = not_while_measuring();
    use cityops::text::sentence::SentenceEncoder;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("enc");
    for field in [
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "vocab_size",
        "max_position_embeddings",
        "type_vocab_size",
    ] {
        common::tiny_bert::write(&folder, 1);
        edit_json(&folder.join("config.json"), |c| {
            c[field] = serde_json::json!(1u64 << 40)
        });
        let err = SentenceEncoder::load(&folder).unwrap_err().to_string();
        assert!(
            err.contains(&format!("config.json: {field} is")),
            "{field}: {err}"
        );
    }
    // Within the maxima, but more than the weights file could hold.
    common::tiny_bert::write(&folder, 1);
    edit_json(&folder.join("config.json"), |c| {
        c["hidden_size"] = 8192.into();
        c["num_attention_heads"] = 8.into();
    });
    let err = SentenceEncoder::load(&folder).unwrap_err().to_string();
    assert!(
        err.contains("hidden_size 8192") && err.contains("model.safetensors has only"),
        "{err}"
    );
    // The weights a FIFO: refused, not waited on.
    common::tiny_bert::write(&folder, 1);
    std::fs::remove_file(folder.join("model.safetensors")).unwrap();
    mkfifo(&folder.join("model.safetensors"));
    let f = folder.clone();
    let err = within_10_s(move || SentenceEncoder::load(&f).unwrap_err().to_string());
    assert!(err.contains("named pipe"), "{err}");
}

#[test]
fn serve_keeps_its_good_models_beside_lying_files_and_staging_folders() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_model(d, "incident_risk", |_| {});
    // A forecast whose weights are a FIFO.
    copy_model(d, "aqi_forecast", |_| {});
    std::fs::remove_file(d.join("aqi_forecast.safetensors")).unwrap();
    mkfifo(&d.join("aqi_forecast.safetensors"));
    // A card that is a FIFO.
    mkfifo(&d.join("pipe.json"));
    // Word vectors with no words and an enormous dimension.
    let wv = tiny_vectors(d, vec![1.0, 0.0, 0.0, 1.0]);
    edit_json(&wv, |c| {
        c["words"] = serde_json::json!([]);
        c["dim"] = serde_json::json!(1u64 << 40);
    });
    // An encoder whose config claims a huge hidden size.
    common::tiny_bert::write(&d.join("huge"), 1);
    edit_json(&d.join("huge/config.json"), |c| {
        c["hidden_size"] = serde_json::json!(1u64 << 40)
    });
    // A good encoder, half-downloaded: a staging folder, hidden.
    common::tiny_bert::write(&d.join(format!(".enc.{}-0.tmp", u32::MAX)), 1);
    common::tiny_bert::write(&d.join(".hidden"), 1);
    // A staging card.
    std::fs::copy(d.join("incident_risk.json"), d.join(".other.json")).unwrap();
    let models = d.to_owned();
    let registry = within_10_s(move || cityops::serve::registry::load_registry(&models));
    assert_eq!(registry.names(), ["incident_risk"]);
    // The dashboard's list shows the same folder without the staging entries.
    let listed: Vec<String> = cityops::models::registry::scan(d)
        .iter()
        .map(cityops::models::registry::Entry::name)
        .collect();
    assert!(!listed.iter().any(|n| n.starts_with('.')), "{listed:?}");
    assert_eq!(
        cityops::models::registry::sentence_folders(d),
        [d.join("huge")]
    );
}

#[test]
fn a_forecast_model_name_that_is_a_path_is_refused() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    for name in ["../x", "/etc/x", "a/b", "..", ""] {
        let err =
            cityops::models::alerts::load_forecast_model(dir.path(), name).expect_err("refused");
        assert!(err.contains("not a path"), "{name}: {err}");
    }
}

#[test]
fn a_workspace_that_is_a_fifo_or_dev_zero_is_refused_without_blocking() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("w.json");
    mkfifo(&fifo);
    let err = within_10_s(move || {
        cityops::app::workspace::read_workspace_file(&fifo)
            .err()
            .expect("refused")
    });
    assert!(err.contains("named pipe"), "{err}");
    let err = cityops::app::workspace::read_workspace_file(Path::new("/dev/zero"))
        .err()
        .expect("refused");
    assert!(err.contains("character device"), "{err}");
}

#[test]
fn a_corpus_that_is_a_fifo_or_dev_zero_is_refused_without_blocking() {
    let _quiet = not_while_measuring();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("corpus.txt");
    mkfifo(&fifo);
    let err = within_10_s(move || {
        cityops::text::corpus::read_corpus(&fifo, &())
            .unwrap_err()
            .to_string()
    });
    assert!(err.contains("named pipe"), "{err}");
    let err = cityops::text::corpus::read_corpus(Path::new("/dev/zero"), &())
        .unwrap_err()
        .to_string();
    assert!(err.contains("character device"), "{err}");
    let zero = dir.path().join("zero.vec");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let err = cityops::text::format::read_word2vec_file(&zero, None, &())
        .unwrap_err()
        .to_string();
    assert!(err.contains("character device"), "{err}");
}
