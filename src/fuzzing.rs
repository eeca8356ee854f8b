//! Entry points for the fuzz targets under `tests/fuzz` (cargo-fuzz), and
//! for the test that replays their saved inputs (`tests/hostile.rs`): each
//! takes arbitrary bytes, runs one reader of outside input to its end and
//! must return — a table, a model or an error — without panicking, hanging
//! or allocating what the bytes merely claim.

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use crate::data::LoadOptions;

/// The CSV loader: bytes → table or error; and on a table, what runs on
/// every loaded file without the user asking — roles and domain, the AQI
/// computed from pollutant columns — and the pivot the Data view suggests.
pub fn csv(bytes: &[u8]) -> bool {
    let opts = LoadOptions {
        time_zone: Some(jiff::tz::TimeZone::UTC),
        ..LoadOptions::default()
    };
    let Ok(loaded) = crate::data::csv_load::load_csv_bytes(bytes, "fuzz.csv", &opts, &()) else {
        return false;
    };
    let ds = crate::data::Dataset::from_table(
        "fuzz",
        crate::data::Source::Derived("fuzz".to_owned()),
        loaded.table,
        loaded.time_zone,
    );
    let _ = ds.aqi();
    if let Some(spec) = crate::data::pivot::suggest(&ds) {
        let _ = crate::data::pivot::pivot_wider(&ds.table, &spec, &());
    }
    true
}

/// The word2vec reader (text and binary are told apart by the reader),
/// keeping at most 1,000 words as `--max-words` would.
pub fn word2vec(bytes: &[u8]) -> bool {
    crate::text::format::read_word2vec(
        Cursor::new(bytes),
        "fuzz.vec",
        Some(bytes.len() as u64),
        Some(1000),
        &(),
    )
    .is_ok()
}

/// A model bundle: the bytes are split at the first NUL into a card
/// (`NAME.json`) and its weights (`NAME.safetensors`), written to a
/// temporary folder and loaded as the dashboard loads a bundle. The card's
/// checksum is set to the weights' real one when the card has a `weights`
/// object, so the fuzzer gets past the checksum into the safetensors and
/// shape checks.
pub fn bundle(bytes: &[u8]) -> bool {
    let (card, weights) = match bytes.iter().position(|b| *b == 0) {
        Some(i) => (&bytes[..i], &bytes[i + 1..]),
        None => (bytes, &[][..]),
    };
    let mut card = card.to_vec();
    if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&card)
        && let Some(w) = v
            .get_mut("weights")
            .and_then(serde_json::Value::as_object_mut)
    {
        w.insert(
            "sha256".to_owned(),
            serde_json::Value::String(crate::models::bundle::sha256_hex(weights)),
        );
        if let Ok(c) = serde_json::to_vec(&v) {
            card = c;
        }
    }
    let Ok(dir) = tempfile_dir() else {
        return false;
    };
    let file = |name: &str, data: &[u8]| std::fs::write(dir.join(name), data);
    // The card names its weights file; fuzzed names outside the folder are
    // part of what is tested (they must be refused). A seed's card names
    // its own file, so it is written under that name too.
    let named = serde_json::from_slice::<serde_json::Value>(&card)
        .ok()
        .and_then(|v| {
            v.pointer("/weights/file")
                .and_then(|f| f.as_str())
                .map(str::to_owned)
        })
        .filter(|f| {
            !f.is_empty()
                && f.chars().all(|c| c.is_alphanumeric() || "._-".contains(c))
                && !f.starts_with('.')
        });
    let mut ok = false;
    if file("m.json", &card).is_ok()
        && file("m.safetensors", weights).is_ok()
        && named.as_deref().is_none_or(|f| file(f, weights).is_ok())
    {
        ok = crate::models::bundle::load_bundle(&dir.join("m.json")).is_ok();
        let _ = crate::models::bundle::card_kind(&dir.join("m.json"));
    }
    let _ = std::fs::remove_dir_all(&dir);
    ok
}

/// A sentence-encoder folder, as `cityops serve` loads one from the
/// models folder: the bytes are split at the first two NULs into
/// config.json, tokenizer.json and model.safetensors (the rest, NULs and
/// all), written to a temporary folder and loaded. Every size config.json
/// gives is checked against fixed maxima and the weights' real length
/// before memory is reserved from it.
pub fn model_folder(bytes: &[u8]) -> bool {
    let mut parts = bytes.splitn(3, |b| *b == 0);
    let files = [
        ("config.json", parts.next().unwrap_or_default()),
        ("tokenizer.json", parts.next().unwrap_or_default()),
        ("model.safetensors", parts.next().unwrap_or_default()),
    ];
    let Ok(dir) = tempfile_dir() else {
        return false;
    };
    let ok = files
        .iter()
        .all(|(name, data)| std::fs::write(dir.join(name), data).is_ok())
        && crate::text::sentence::SentenceEncoder::load(&dir).is_ok();
    let _ = std::fs::remove_dir_all(&dir);
    ok
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cityops-fuzz-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A V2 request (its JSON and binary parts) run against the shipped
/// `incident_risk` model as `cityops serve` runs it (up to 1,000 rows):
/// whether it was accepted.
fn run_v2(json: &[u8], binary: &[u8]) -> bool {
    static REGISTRY: OnceLock<crate::serve::registry::Registry> = OnceLock::new();
    let registry = REGISTRY.get_or_init(|| {
        crate::serve::registry::load_registry(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models"))
    });
    registry.get("incident_risk").is_some_and(|model| {
        crate::serve::routes::infer_blocking(
            "incident_risk",
            &model,
            json,
            binary,
            crate::serve::state::RequestLimits {
                max_batch_rows: 1000,
                max_output_values: 100_000,
            },
        )
        .is_ok()
    })
}

/// A V2 inference request body, decoded and run as `cityops serve` runs it.
pub fn v2_request(bytes: &[u8]) -> bool {
    run_v2(bytes, &[])
}

/// A V2 request with binary tensor data: the first 4 bytes (little-endian)
/// are the `Inference-Header-Content-Length`, the rest is the body, split
/// and run as `cityops serve` does.
pub fn v2_binary(bytes: &[u8]) -> bool {
    let Some((len, body)) = bytes.split_first_chunk::<4>() else {
        return false;
    };
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(v) = u32::from_le_bytes(*len).to_string().parse() {
        headers.insert(crate::serve::binary::HEADER_LENGTH, v);
    }
    match crate::serve::binary::split(&headers, body) {
        Ok((json, binary)) => run_v2(json, binary),
        Err(_) => false,
    }
}

/// A target: whether the input was accepted.
pub type Target = fn(&[u8]) -> bool;

/// The targets by name, as the fuzz crate and the replay test name them.
/// Each returns whether the input was accepted (a table, vectors, a model,
/// a response) rather than refused with an error.
pub const TARGETS: [(&str, Target); 6] = [
    ("csv_load", csv),
    ("word2vec", word2vec),
    ("bundle", bundle),
    ("v2_request", v2_request),
    ("v2_binary", v2_binary),
    ("model_folder", model_folder),
];
