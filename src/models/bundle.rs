//! The model bundle: `NAME.json` (the card) + `NAME.safetensors` (the
//! weights) side by side. The card records the format version, the task,
//! every input with its preprocessing, the target and its labels, the
//! network's shape, the validation metrics next to the baseline's, a
//! fingerprint of the training data, when and by which cityops it was made,
//! and the weights file's sha256.
//!
//! Saving writes both files to temporary names in the same folder, syncs
//! them and renames them into place, so a crash never leaves half a model.
//! Loading checks the version, the checksum and every tensor's name and
//! shape against the card before anything runs.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::card::{CardHeader, ModelKind};
use crate::data::file::{FileError, open_regular, read_regular};
use crate::data::{ColumnValues, Table};
use crate::ml::evaluate::Evaluation;
use crate::ml::metrics::Metrics;
use crate::ml::mlp::MlpConfig;
use crate::ml::{ModelInputs, TabularModel, TargetSpec, Task, TrainConfig};

pub const FORMAT_VERSION: u32 = 1;
/// Cards larger than this are not model cards.
const MAX_CARD_BYTES: u64 = 16 << 20;
/// Largest weights file read, in bytes.
pub const MAX_WEIGHTS_BYTES: u64 = 4 << 30;

/// What a model was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFingerprint {
    pub name: String,
    pub sha256: String,
    pub rows: usize,
    pub columns: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeightsRef {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

/// The JSON card of a tabular model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Format version, kind, creation, cityops version, weights.
    #[serde(flatten)]
    pub header: CardHeader,
    pub name: String,
    pub task: Task,
    pub target: TargetSpec,
    pub inputs: ModelInputs,
    pub network: MlpConfig,
    pub metrics: Metrics,
    pub baseline: Metrics,
    pub headline_metric: String,
    pub beats_baseline: Option<bool>,
    pub rows_train: usize,
    pub rows_valid: usize,
    pub training_data: DataFingerprint,
    pub training: TrainConfig,
    pub best_epoch: usize,
}

impl ModelCard {
    /// The headline metric of the model and of its baseline on the
    /// validation rows, to four decimals ("–" where one is missing).
    pub fn headline_figures(&self) -> (String, String) {
        let show = |m: &Metrics| {
            m.get(&self.headline_metric)
                .map_or("–".to_owned(), |v| format!("{v:.4}"))
        };
        (show(&self.metrics), show(&self.baseline))
    }
}

/// A loaded model with its card.
pub struct Bundle {
    pub card: ModelCard,
    pub model: TabularModel,
    pub card_path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {message}. Check the path and that the file is readable.")]
    Io { path: String, message: String },
    #[error(
        "{path}:{line}:{column}: the model card is not valid: {message}. The file may be damaged or edited by hand; save or download the model again."
    )]
    Card {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: model format version {found} is not supported (this cityops reads version {FORMAT_VERSION}). Update cityops or re-train the model."
    )]
    Version { path: String, found: u32 },
    #[error(
        "{path}: the weights do not match the sha256 in the card (expected {expected}, found {found}). The file is damaged or belongs to another model; save or download it again."
    )]
    Checksum {
        path: String,
        expected: String,
        found: String,
    },
    #[error(
        "{path}: {message}. The weights do not fit the card; save or download the model again."
    )]
    Weights { path: String, message: String },
    #[error(
        "{path}: this card is for {}, not {}. Choose a model of the right kind.",
        found.described(),
        expected.described()
    )]
    Kind {
        path: String,
        found: ModelKind,
        expected: ModelKind,
    },
    #[error(
        "{path}: the model kind '{found}' is not one this cityops knows (tabular, recommender, word_vectors). Check that this is a cityops model card, or update cityops."
    )]
    UnknownKind { path: String, found: String },
    #[error("{path}: the model cannot be saved: {message}")]
    Save { path: String, message: String },
    /// A path that is not a regular file, or cannot be read within its bound.
    #[error(transparent)]
    File(#[from] FileError),
    /// A card field out of its range: the field, its value and why.
    #[error(
        "{path}: the card's {field} {message}. The card is damaged or was edited by hand; save or download the model again."
    )]
    Field {
        path: String,
        field: String,
        message: String,
    },
}

impl crate::data::Blame for BundleError {
    /// A model file the user chose that is missing, damaged or of another
    /// version is theirs to replace; a file that exists but cannot be read,
    /// and a save that fails, are not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::Io { path, .. } => crate::data::blame::missing_path(path),
            Self::File(e) => crate::data::Blame::is_user_input(e),
            Self::Card { .. }
            | Self::Version { .. }
            | Self::Checksum { .. }
            | Self::Weights { .. }
            | Self::Field { .. }
            | Self::Kind { .. }
            | Self::UnknownKind { .. } => true,
            Self::Save { .. } => false,
        }
    }
}

/// `models/NAME`, `models/NAME.json` or `models/NAME.safetensors` →
/// (`models/NAME.json`, `models/NAME.safetensors`, `NAME`).
pub fn bundle_paths(path: &Path) -> (PathBuf, PathBuf, String) {
    let stem_path = match path.extension().and_then(|e| e.to_str()) {
        Some("json" | "safetensors") => path.with_extension(""),
        _ => path.to_owned(),
    };
    let name = stem_path
        .file_name()
        .map_or_else(|| "model".to_owned(), |n| n.to_string_lossy().into_owned());
    let dir = stem_path.parent().map(Path::to_owned).unwrap_or_default();
    (
        dir.join(format!("{name}.json")),
        dir.join(format!("{name}.safetensors")),
        name,
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stable fingerprint of a table's names, types and values.
pub fn fingerprint(name: &str, table: &Table) -> DataFingerprint {
    let mut h = Sha256::new();
    for c in &table.columns {
        h.update(c.name.as_bytes());
        h.update([0u8]);
        h.update(c.kind().name().as_bytes());
        for r in 0..c.len() {
            if !c.is_valid(r) {
                h.update([0xFFu8]);
                continue;
            }
            match &c.values {
                ColumnValues::Integer(v) => h.update(v.get(r).copied().unwrap_or(0).to_le_bytes()),
                ColumnValues::Float(v) => h.update(v.get(r).copied().unwrap_or(0.0).to_le_bytes()),
                ColumnValues::Bool(v) => h.update([u8::from(v.get(r).copied().unwrap_or(false))]),
                ColumnValues::Timestamp(v) => {
                    h.update(v.get(r).copied().unwrap_or(0).to_le_bytes())
                }
                ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
                    h.update(c.str_at(r).unwrap_or_default().as_bytes());
                    h.update([0u8]);
                }
            }
        }
    }
    DataFingerprint {
        name: name.to_owned(),
        sha256: h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        rows: table.n_rows(),
        columns: table.n_columns(),
    }
}

/// Everything but the weights reference, from a training run.
#[allow(clippy::too_many_arguments)]
pub fn make_card(
    name: &str,
    model: &TabularModel,
    eval: &Evaluation,
    data: DataFingerprint,
    training: TrainConfig,
    best_epoch: usize,
) -> ModelCard {
    ModelCard {
        header: CardHeader::new(
            ModelKind::Tabular,
            WeightsRef {
                file: String::new(),
                sha256: String::new(),
                bytes: 0,
            },
        ),
        name: name.to_owned(),
        task: model.task,
        target: model.target.clone(),
        inputs: model.inputs.clone(),
        network: model.network.clone(),
        metrics: eval.metrics.clone(),
        baseline: eval.baseline.clone(),
        headline_metric: eval.headline.to_owned(),
        beats_baseline: eval.beats_baseline,
        rows_train: eval.rows_train,
        rows_valid: eval.rows_valid,
        training_data: data,
        training,
        best_epoch,
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Writes a bundle: the tensors to `NAME.safetensors` and the card that
/// `make_card` builds (given the weights' reference) to `NAME.json`, both
/// through temporary files that are synced and renamed into place. Any
/// model kind uses this; returns the card path.
pub fn write_bundle<C: Serialize>(
    path: &Path,
    tensors: &HashMap<String, Tensor>,
    make_card: impl FnOnce(&str, WeightsRef) -> C,
) -> Result<(C, PathBuf), BundleError> {
    let (card_path, weights_path, name) = bundle_paths(path);
    let err = |p: &Path, e: &dyn std::fmt::Display| BundleError::Save {
        path: p.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = card_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| err(dir, &e))?;
    }
    let tmp_weights = weights_path.with_extension("safetensors.tmp");
    let tmp_card = card_path.with_extension("json.tmp");
    let cleanup = || {
        let _ = std::fs::remove_file(&tmp_weights);
        let _ = std::fs::remove_file(&tmp_card);
    };
    let fail = |p: &Path, e: &dyn std::fmt::Display| {
        cleanup();
        err(p, e)
    };
    candle_core::safetensors::save(tensors, &tmp_weights).map_err(|e| fail(&tmp_weights, &e))?;
    let bytes = std::fs::read(&tmp_weights).map_err(|e| fail(&tmp_weights, &e))?;
    std::fs::File::open(&tmp_weights)
        .and_then(|f| f.sync_all())
        .map_err(|e| fail(&tmp_weights, &e))?;
    let card = make_card(
        &name,
        WeightsRef {
            file: format!("{name}.safetensors"),
            sha256: sha256_hex(&bytes),
            bytes: bytes.len() as u64,
        },
    );
    let json = serde_json::to_vec_pretty(&card).map_err(|e| fail(&card_path, &e))?;
    write_synced(&tmp_card, &json).map_err(|e| fail(&tmp_card, &e))?;
    // Two renames cannot replace two files at once: between them the old
    // card would point at the new weights. So the old weights stay
    // reachable as NAME.safetensors.prev until the new card is in place,
    // and `read_weights` falls back to them.
    let prev = previous_weights_path(&weights_path);
    let sync_dir = || {
        if let Some(dir) = card_path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
    };
    if weights_path.is_file() {
        let _ = std::fs::remove_file(&prev);
        std::fs::hard_link(&weights_path, &prev)
            .or_else(|_| std::fs::copy(&weights_path, &prev).map(|_| ()))
            .map_err(|e| fail(&prev, &e))?;
        sync_dir();
    }
    std::fs::rename(&tmp_weights, &weights_path).map_err(|e| fail(&weights_path, &e))?;
    std::fs::rename(&tmp_card, &card_path).map_err(|e| fail(&card_path, &e))?;
    // Make the renames durable, then let the old weights go.
    sync_dir();
    let _ = std::fs::remove_file(&prev);
    Ok((card, card_path))
}

/// Where `write_bundle` keeps the previous weights while it swaps a bundle.
fn previous_weights_path(weights_path: &Path) -> PathBuf {
    let mut name = weights_path.as_os_str().to_owned();
    name.push(".prev");
    PathBuf::from(name)
}

/// Saves `model` as `path` (`models/NAME`): weights and card, atomically.
/// Returns the card as written.
pub fn save_bundle(
    path: &Path,
    card: ModelCard,
    model: &TabularModel,
) -> Result<(ModelCard, PathBuf), BundleError> {
    write_bundle(path, &model.weights, move |name, weights| ModelCard {
        name: name.to_owned(),
        header: CardHeader {
            weights,
            ..card.header
        },
        ..card
    })
}

/// The `kind` and `format_version` every card starts with, read before the
/// rest so that a newer format or another kind gets its own message.
#[derive(Deserialize)]
struct CardHead {
    format_version: Option<u32>,
    kind: Option<String>,
}

/// Reads and parses a card of `kind`, checking size, JSON, format version
/// and kind (the one place a card's kind is checked) before the rest of it.
pub fn read_card_of_kind<T: serde::de::DeserializeOwned>(
    card_path: &Path,
    kind: ModelKind,
) -> Result<T, BundleError> {
    let (text, found) = read_card_head(card_path)?;
    if found != kind {
        return Err(BundleError::Kind {
            path: card_path.display().to_string(),
            found,
            expected: kind,
        });
    }
    serde_json::from_slice(&text).map_err(|e| card_json_error(card_path, &e))
}

fn card_json_error(card_path: &Path, e: &serde_json::Error) -> BundleError {
    BundleError::Card {
        path: card_path.display().to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// A card's bytes and kind, its size, JSON and format version checked.
fn read_card_head(card_path: &Path) -> Result<(Vec<u8>, ModelKind), BundleError> {
    let shown = card_path.display().to_string();
    let text = read_regular(card_path, MAX_CARD_BYTES).map_err(|e| match e {
        FileError::TooLarge { size, .. } => BundleError::Card {
            path: shown.clone(),
            line: 1,
            column: 1,
            message: format!("{size} bytes is far too large for a model card"),
        },
        other => BundleError::File(other),
    })?;
    // The version first, so a newer format gets the right message.
    let head: CardHead =
        serde_json::from_slice(&text).map_err(|e| card_json_error(card_path, &e))?;
    match head.format_version {
        Some(FORMAT_VERSION) => {}
        Some(found) => return Err(BundleError::Version { path: shown, found }),
        None => {
            return Err(BundleError::Card {
                path: shown,
                line: 1,
                column: 1,
                message: "it has no format_version".to_owned(),
            });
        }
    }
    let kind = match head.kind.as_deref() {
        // The first cards were all tabular and carried no kind.
        None => ModelKind::Tabular,
        Some(k) => match ModelKind::parse(k) {
            Some(kind) if kind.has_card() => kind,
            _ => {
                return Err(BundleError::UnknownKind {
                    path: shown,
                    found: k.to_owned(),
                });
            }
        },
    };
    Ok((text, kind))
}

/// The kind of a card without parsing all of it (format version checked).
pub fn card_kind(card_path: &Path) -> Result<ModelKind, BundleError> {
    read_card_head(card_path).map(|(_, kind)| kind)
}

/// Reads a tabular model's card without its weights (for listing models),
/// checking every field that sizes memory or scales a value
/// ([`check_card`]).
pub fn read_card(card_path: &Path) -> Result<ModelCard, BundleError> {
    let card: ModelCard = read_card_of_kind(card_path, ModelKind::Tabular)?;
    check_card(&card).map_err(|(field, message)| BundleError::Field {
        path: card_path.display().to_string(),
        field,
        message,
    })?;
    Ok(card)
}

/// Units in one layer of a tabular network (inputs, hidden, outputs).
pub const MAX_UNITS: usize = 1 << 16;
/// Hidden layers in a tabular network.
pub const MAX_HIDDEN_LAYERS: usize = 64;
/// Hours a forecast card may give for its horizon, history or season.
pub const MAX_FORECAST_HOURS: usize = 8_784;

/// A card's fields checked before anything is sized or scaled from them:
/// layer sizes within [`MAX_UNITS`] and their parameters within what the
/// weights file holds, forecast hours within [`MAX_FORECAST_HOURS`], every
/// mean finite and every standard deviation finite and positive (a 0 would
/// make every prediction the same value), class frequencies finite and one
/// per label, and a time zone this cityops knows. Returns the field's path
/// in the card and what is wrong with it.
pub fn check_card(card: &ModelCard) -> Result<(), (String, String)> {
    let field = |name: &str, message: String| Err((name.to_owned(), message));
    let units = |name: &str, n: usize| {
        if n == 0 || n > MAX_UNITS {
            field(name, format!("is {n}, outside 1..={MAX_UNITS}"))
        } else {
            Ok(())
        }
    };
    let net = &card.network;
    units("network.inputs", net.inputs)?;
    units("network.outputs", net.outputs)?;
    if net.hidden.len() > MAX_HIDDEN_LAYERS {
        return field(
            "network.hidden",
            format!(
                "has {} layers, more than {MAX_HIDDEN_LAYERS}",
                net.hidden.len()
            ),
        );
    }
    for (i, &h) in net.hidden.iter().enumerate() {
        units(&format!("network.hidden[{i}]"), h)?;
    }
    // Bounded by the checks above: at most 66 layers of 2^16 × 2^16.
    let parameters: u64 = net
        .layer_dims()
        .iter()
        .map(|&(i, o)| (i as u64) * (o as u64) + o as u64)
        .sum();
    let weights = &card.header.weights;
    if weights.bytes != 0 && parameters.saturating_mul(4) > weights.bytes {
        return field(
            "network",
            format!(
                "has {parameters} parameters, more than the {} bytes of {} (weights.bytes) can hold",
                weights.bytes, weights.file
            ),
        );
    }
    // `name` is the field's path, `column` the column it scales.
    let scale = |name: String, column: &str, mean: f64, std: f64| {
        if !mean.is_finite() {
            return field(
                &format!("{name}.mean"),
                format!("(column '{column}') is {mean}, not a finite number"),
            );
        }
        if !std.is_finite() || std <= 0.0 {
            return field(
                &format!("{name}.std"),
                format!(
                    "(column '{column}') is {std}; a standard deviation must be a finite number above 0 (0 would make every prediction the same)"
                ),
            );
        }
        Ok(())
    };
    match &card.target {
        TargetSpec::Numeric { column, mean, std } => {
            scale("target".to_owned(), column, *mean, *std)?;
        }
        TargetSpec::Classes {
            labels,
            frequencies,
            ..
        } => {
            if labels.is_empty() {
                return field("target.labels", "is empty".to_owned());
            }
            if frequencies.len() != labels.len() {
                return field(
                    "target.frequencies",
                    format!(
                        "has {} values for {} labels",
                        frequencies.len(),
                        labels.len()
                    ),
                );
            }
            if let Some(f) = frequencies.iter().find(|f| !f.is_finite() || **f < 0.0) {
                return field(
                    "target.frequencies",
                    format!("holds {f}, not a finite number of at least 0"),
                );
            }
        }
    }
    let zone = |name: &str, zone: &str| {
        if crate::ml::features::zone_from_name(zone).is_none() {
            return field(
                name,
                format!(
                    "'{zone}' is not a time zone this cityops knows (an IANA name such as Europe/Paris, or UTC+05:00)"
                ),
            );
        }
        Ok(())
    };
    match &card.inputs {
        ModelInputs::Tabular(p) => {
            zone("inputs.time_zone", &p.time_zone)?;
            for (i, input) in p.inputs.iter().enumerate() {
                if let crate::ml::features::Encoding::Standardize { mean, std } = input.encoding {
                    scale(format!("inputs.inputs[{i}]"), &input.column, mean, std)?;
                }
            }
        }
        ModelInputs::Forecast(f) => {
            zone("inputs.time_zone", &f.time_zone)?;
            for (name, hours) in [
                ("inputs.horizon_hours", f.horizon_hours),
                ("inputs.history_hours", f.history_hours),
                ("inputs.season_hours", f.season_hours),
            ] {
                if hours == 0 || hours > MAX_FORECAST_HOURS {
                    return field(
                        name,
                        format!("is {hours}, outside 1..={MAX_FORECAST_HOURS}"),
                    );
                }
            }
            if f.places.len() > MAX_UNITS {
                return field(
                    "inputs.places",
                    format!("has {} places, more than {MAX_UNITS}", f.places.len()),
                );
            }
        }
    }
    Ok(())
}

/// Reads the weights a card names, beside the card, checking the sha256.
pub fn read_weights(
    card_path: &Path,
    weights: &WeightsRef,
) -> Result<HashMap<String, Tensor>, BundleError> {
    // The weights file must sit beside the card: no paths in its name.
    if Path::new(&weights.file).components().count() != 1 {
        return Err(BundleError::Card {
            path: card_path.display().to_string(),
            line: 1,
            column: 1,
            message: format!(
                "the weights file name '{}' is not a plain file name",
                weights.file
            ),
        });
    }
    let weights_path = card_path
        .parent()
        .map_or_else(|| PathBuf::from(&weights.file), |d| d.join(&weights.file));
    let wshown = weights_path.display().to_string();
    let bytes = match read_weights_file(&weights_path, weights.bytes) {
        Ok(bytes) if sha256_hex(&bytes) == weights.sha256 => bytes,
        current => {
            // A save that died between its two renames: the card is the old
            // one, and its weights are the ones kept aside.
            match read_weights_file(&previous_weights_path(&weights_path), weights.bytes) {
                Ok(prev) if sha256_hex(&prev) == weights.sha256 => prev,
                _ => {
                    return Err(match current {
                        Ok(bytes) => BundleError::Checksum {
                            path: wshown,
                            expected: weights.sha256.clone(),
                            found: sha256_hex(&bytes),
                        },
                        Err(e) => e,
                    });
                }
            }
        }
    };
    candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).map_err(|e| BundleError::Weights {
        path: wshown,
        message: format!("not a readable safetensors file ({e})"),
    })
}

/// Reads a weights file: a regular file of at most [`MAX_WEIGHTS_BYTES`],
/// whose length is the one its card gives (`weights.bytes`, when the card
/// gives one), checked before a byte is read.
fn read_weights_file(path: &Path, card_bytes: u64) -> Result<Vec<u8>, BundleError> {
    let (_, len) = open_regular(path)?;
    if card_bytes != 0 && len != card_bytes {
        return Err(BundleError::Weights {
            path: path.display().to_string(),
            message: format!(
                "the file is {len} bytes but the card's weights.bytes says {card_bytes}"
            ),
        });
    }
    Ok(read_regular(path, MAX_WEIGHTS_BYTES)?)
}

/// Loads a bundle and checks it fully.
pub fn load_bundle(path: &Path) -> Result<Bundle, BundleError> {
    let (card_path, _, _) = bundle_paths(path);
    let card = read_card(&card_path)?;
    let tensors = read_weights(&card_path, &card.header.weights)?;
    let wshown = card_path
        .with_file_name(&card.header.weights.file)
        .display()
        .to_string();
    let werr = |message: String| BundleError::Weights {
        path: wshown.clone(),
        message,
    };
    // The card's own consistency: input width and outputs.
    let expected_inputs = match &card.inputs {
        ModelInputs::Tabular(p) => p.width(),
        ModelInputs::Forecast(f) => f.input_width(),
    };
    if card.network.inputs != expected_inputs {
        return Err(werr(format!(
            "the network takes {} inputs but the card's inputs make {expected_inputs}",
            card.network.inputs
        )));
    }
    let expected_outputs = match (&card.inputs, &card.target) {
        (ModelInputs::Forecast(f), _) => f.horizon_hours,
        (_, TargetSpec::Classes { labels, .. }) if labels.len() == 2 => 1,
        (_, TargetSpec::Classes { labels, .. }) => labels.len(),
        (_, TargetSpec::Numeric { .. }) => 1,
    };
    if card.network.outputs != expected_outputs {
        return Err(werr(format!(
            "the network has {} outputs but the target needs {expected_outputs}",
            card.network.outputs
        )));
    }
    for (name, shape) in card.network.tensor_shapes() {
        let Some(t) = tensors.get(&name) else {
            return Err(werr(format!("tensor '{name}' is missing")));
        };
        if t.dims() != shape.as_slice() {
            return Err(werr(format!(
                "tensor '{name}' has shape {:?}, the card needs {shape:?}",
                t.dims()
            )));
        }
        if t.dtype() != candle_core::DType::F32 {
            return Err(werr(format!("tensor '{name}' is {:?}, not F32", t.dtype())));
        }
    }
    let model = TabularModel {
        task: card.task,
        target: card.target.clone(),
        inputs: card.inputs.clone(),
        network: card.network.clone(),
        weights: tensors,
    };
    Ok(Bundle {
        card,
        model,
        card_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensors(v: [f32; 2]) -> HashMap<String, Tensor> {
        HashMap::from([("w".to_owned(), Tensor::new(&v, &Device::Cpu).unwrap())])
    }

    #[test]
    fn a_save_killed_between_its_renames_keeps_the_previous_model_loadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        let (old_ref, card) = write_bundle(&path, &tensors([1.0, 2.0]), |_, w| w).unwrap();
        let weights = dir.path().join("m.safetensors");
        let prev = dir.path().join("m.safetensors.prev");
        assert!(!prev.exists(), "a finished save leaves nothing aside");
        // The state a kill between the two renames leaves: the old weights
        // kept aside, the new weights in place, the old card.
        std::fs::hard_link(&weights, &prev).unwrap();
        candle_core::safetensors::save(&tensors([7.0, 8.0]), &weights).unwrap();
        let got = read_weights(&card, &old_ref).unwrap();
        assert_eq!(got["w"].to_vec1::<f32>().unwrap(), [1.0, 2.0]);
        // The next save goes through and is read as itself.
        let (new_ref, card) = write_bundle(&path, &tensors([3.0, 4.0]), |_, w| w).unwrap();
        assert!(!prev.exists());
        let got = read_weights(&card, &new_ref).unwrap();
        assert_eq!(got["w"].to_vec1::<f32>().unwrap(), [3.0, 4.0]);
        // Weights that match neither are still refused.
        candle_core::safetensors::save(&tensors([9.0, 9.0]), &weights).unwrap();
        assert!(matches!(
            read_weights(&card, &new_ref),
            Err(BundleError::Checksum { .. })
        ));
    }
}
