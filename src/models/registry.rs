//! The models folder: every `*.json` card in it, read without weights, in
//! name order. A card that cannot be read is listed with its error so the
//! user sees why a model is missing. Hidden entries and staging names
//! (a download or save in progress, see [`super::fetch::is_staging`]) are
//! never listed.
//!
//! Describing the folder ([`describe`]) and removing a model from it
//! ([`remove`]) are written here once for the command line
//! (`cityops models`) and the Models view: a description reads cards (and
//! a sentence encoder's config.json) only, never weights.

use std::path::{Path, PathBuf};

use super::bundle::{BundleError, ModelCard, read_card};
use super::card::ModelKind;
use super::fetch::is_staging;
use crate::recommend::Method;

/// Bytes of a sentence encoder's config.json read at most.
const MAX_ENCODER_CONFIG_BYTES: u64 = 1 << 20;

pub struct Entry {
    pub card_path: PathBuf,
    pub card: Result<ModelCard, BundleError>,
}

impl Entry {
    pub fn name(&self) -> String {
        self.card_path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
    }
}

/// The sentence-encoder folders in a models folder (sub-folders holding a
/// `config.json`), sorted by name; whether each is complete is for the
/// loader to say.
pub fn sentence_folders(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut folders: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !is_staging(p) && p.is_dir() && p.join("config.json").exists())
        .collect();
    folders.sort();
    folders
}

/// Lists the models in `dir` (an absent folder has none).
pub fn scan(dir: &Path) -> Vec<Entry> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !is_staging(p) && p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| Entry {
            card: read_card(&p),
            card_path: p,
        })
        .collect()
}

/// Copies a card and the weights it names into the models folder.
pub fn import(card: &Path, dir: &Path) -> Result<String, String> {
    let (card_path, _, name) = super::bundle::bundle_paths(card);
    let kind = super::bundle::card_kind(&card_path).map_err(|e| e.to_string())?;
    // Load fully first: only a model that loads is imported.
    match kind {
        ModelKind::Recommender => super::recommender::load_recommender(&card_path)
            .map(|_| ())
            .map_err(|e| e.to_string())?,
        ModelKind::WordVectors => super::word_vectors::load_word_vectors(&card_path)
            .map(|_| ())
            .map_err(|e| e.to_string())?,
        ModelKind::Tabular | ModelKind::SentenceEncoder => super::bundle::load_bundle(&card_path)
            .map(|_| ())
            .map_err(|e| e.to_string())?,
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for ext in ["safetensors", "json"] {
        let from = card_path.with_extension(ext);
        let to = dir.join(format!("{name}.{ext}"));
        if from == to {
            continue;
        }
        let tmp = dir.join(format!(".{name}.{ext}.part"));
        std::fs::copy(&from, &tmp).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", from.display())
        })?;
        std::fs::rename(&tmp, &to).map_err(|e| format!("{}: {e}", to.display()))?;
    }
    Ok(format!("Imported {name}"))
}

/// Why a model cannot be described or removed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Card(#[from] BundleError),
    #[error(
        "{path}: the sentence encoder is incomplete: no {missing}. Download the folder again (cityops fetch --folder NAME URL)."
    )]
    IncompleteEncoder { path: String, missing: String },
    #[error(
        "{path}: config.json cannot be read: {message}. Download the folder again (cityops fetch --folder NAME URL)."
    )]
    EncoderConfig { path: String, message: String },
    #[error(
        "'{name}' is not a model name: give the name as listed (no folders, no leading dot), for example incident_risk"
    )]
    BadName { name: String },
    #[error("there is no model '{name}' in {dir}; {}", available_models(available))]
    NoSuchModel {
        name: String,
        dir: String,
        available: Vec<String>,
    },
    #[error("{path}: cannot remove it: {message}. Check the folder's permissions.")]
    Remove { path: String, message: String },
}

fn available_models(names: &[String]) -> String {
    if names.is_empty() {
        "the folder has no models".to_owned()
    } else {
        format!("it has {}", names.join(", "))
    }
}

/// One model in the folder as described from its card (or, for a
/// sentence encoder, its config.json), without its weights.
#[derive(Debug)]
pub struct Description {
    pub name: String,
    /// The card, or the sentence encoder's folder.
    pub path: PathBuf,
    /// `None` when the card cannot be read as far as its kind.
    pub kind: Option<ModelKind>,
    /// The size of the weights file (0 when there is none).
    pub weights_bytes: u64,
    pub details: Result<Details, RegistryError>,
}

/// What a card says, per kind: enough to list a model.
#[derive(Debug)]
pub enum Details {
    Tabular(Box<ModelCard>),
    Recommender {
        method: Method,
        users: usize,
        items: usize,
        interactions: usize,
        created_at: String,
    },
    WordVectors {
        words: usize,
        dim: usize,
        created_at: String,
    },
    SentenceEncoder {
        /// `model_type` in config.json ("bert").
        model_type: String,
        layers: Option<u64>,
        dim: Option<u64>,
    },
}

/// Describes every model in `dir` — cards in name order, then sentence
/// encoder folders — reading cards and config files only. An absent
/// folder has none.
pub fn describe(dir: &Path) -> Vec<Description> {
    let cards = scan(dir)
        .into_iter()
        .map(|e| describe_card(e.name(), e.card_path));
    let folders = sentence_folders(dir).into_iter().map(describe_encoder);
    cards.chain(folders).collect()
}

fn describe_card(name: String, card_path: PathBuf) -> Description {
    let weights_bytes =
        std::fs::metadata(card_path.with_extension("safetensors")).map_or(0, |m| m.len());
    let read = |kind: ModelKind| match kind {
        ModelKind::Tabular | ModelKind::SentenceEncoder => {
            read_card(&card_path).map(|c| Details::Tabular(Box::new(c)))
        }
        ModelKind::Recommender => {
            super::recommender::read_recommender_card(&card_path).map(|c| Details::Recommender {
                method: c.method,
                users: c.users.len(),
                items: c.items.len(),
                interactions: c.n_interactions,
                created_at: c.header.created_at,
            })
        }
        ModelKind::WordVectors => {
            super::word_vectors::read_word_vectors_card(&card_path).map(|c| Details::WordVectors {
                words: c.words.len(),
                dim: c.dim,
                created_at: c.header.created_at,
            })
        }
    };
    let (kind, details) = match super::bundle::card_kind(&card_path) {
        Ok(k) => (Some(k), read(k)),
        Err(e) => (None, Err(e)),
    };
    Description {
        name,
        kind,
        weights_bytes,
        details: details.map_err(RegistryError::from),
        path: card_path,
    }
}

fn describe_encoder(folder: PathBuf) -> Description {
    let shown = folder.display().to_string();
    let missing: Vec<&str> = crate::text::sentence::REQUIRED_FILES
        .into_iter()
        .filter(|f| !folder.join(f).is_file())
        .collect();
    let details = if missing.is_empty() {
        crate::data::file::read_regular(&folder.join("config.json"), MAX_ENCODER_CONFIG_BYTES)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| e.to_string())
            })
            .map(|c| Details::SentenceEncoder {
                model_type: c["model_type"].as_str().unwrap_or("BERT").to_owned(),
                layers: c["num_hidden_layers"].as_u64(),
                dim: c["hidden_size"].as_u64(),
            })
            .map_err(|message| RegistryError::EncoderConfig {
                path: shown,
                message,
            })
    } else {
        Err(RegistryError::IncompleteEncoder {
            path: shown,
            missing: missing.join(", "),
        })
    };
    Description {
        name: folder
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        kind: Some(ModelKind::SentenceEncoder),
        weights_bytes: std::fs::metadata(folder.join("model.safetensors")).map_or(0, |m| m.len()),
        details,
        path: folder,
    }
}

/// A model name as listed: one plain path component, not hidden.
fn is_model_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && Path::new(name).components().count() == 1
}

/// Removes the model `name` from `dir`: its card, then its weights (and
/// weights a killed save left aside), or a sentence encoder's folder.
/// Returns the paths removed. Only what [`describe`] lists can be removed.
pub fn remove(dir: &Path, name: &str) -> Result<Vec<PathBuf>, RegistryError> {
    if !is_model_name(name) {
        return Err(RegistryError::BadName {
            name: name.to_owned(),
        });
    }
    let failed = |path: &Path, e: std::io::Error| RegistryError::Remove {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let card = dir.join(format!("{name}.json"));
    if card.symlink_metadata().is_ok() {
        // The card first: a model without its card is no longer listed,
        // whatever happens to the weights.
        std::fs::remove_file(&card).map_err(|e| failed(&card, e))?;
        let mut removed = vec![card];
        let weights = dir.join(format!("{name}.safetensors"));
        let aside = dir.join(format!("{name}.safetensors.prev"));
        for path in [weights, aside] {
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(failed(&path, e)),
            }
        }
        return Ok(removed);
    }
    let folder = dir.join(name);
    if sentence_folders(dir).contains(&folder) {
        // `remove_dir_all` removes a symbolic link itself, never its target.
        std::fs::remove_dir_all(&folder).map_err(|e| failed(&folder, e))?;
        return Ok(vec![folder]);
    }
    Err(RegistryError::NoSuchModel {
        name: name.to_owned(),
        dir: dir.display().to_string(),
        available: describe(dir).into_iter().map(|d| d.name).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    fn copy_shipped(to: &Path) {
        for e in std::fs::read_dir(shipped()).unwrap() {
            let p = e.unwrap().path();
            if p.extension()
                .is_some_and(|x| x == "json" || x == "safetensors")
            {
                std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            }
        }
    }

    #[test]
    fn the_shipped_models_are_described_from_their_cards() {
        let listed = describe(&shipped());
        let names: Vec<&str> = listed.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            ["aqi_forecast", "incident_risk", "traffic_volume_forecast"]
        );
        for d in &listed {
            assert_eq!(d.kind, Some(ModelKind::Tabular));
            assert!(d.weights_bytes > 0);
            assert!(matches!(d.details, Ok(Details::Tabular(_))), "{d:?}");
        }
    }

    #[test]
    fn a_card_of_an_unknown_kind_is_listed_with_an_error_naming_the_kind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("odd.json"),
            r#"{"format_version": 1, "kind": "onnx", "name": "odd"}"#,
        )
        .unwrap();
        let listed = describe(dir.path());
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].kind, None);
        let err = listed[0].details.as_ref().unwrap_err().to_string();
        assert!(
            err.contains("'onnx' is not one this cityops knows"),
            "{err}"
        );
    }

    #[test]
    fn remove_takes_the_card_and_its_weights_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        copy_shipped(dir.path());
        let removed = remove(dir.path(), "incident_risk").unwrap();
        assert_eq!(
            removed,
            [
                dir.path().join("incident_risk.json"),
                dir.path().join("incident_risk.safetensors")
            ]
        );
        let names: Vec<String> = describe(dir.path()).into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["aqi_forecast", "traffic_volume_forecast"]);
    }

    #[test]
    fn remove_refuses_paths_and_names_the_models_there_are() {
        let dir = tempfile::tempdir().unwrap();
        copy_shipped(dir.path());
        for bad in ["", "../aqi_forecast", ".hidden", "a/b"] {
            assert!(
                matches!(remove(dir.path(), bad), Err(RegistryError::BadName { .. })),
                "{bad}"
            );
        }
        let err = remove(dir.path(), "speed").unwrap_err().to_string();
        assert!(
            err.contains("no model 'speed'")
                && err.contains("aqi_forecast, incident_risk, traffic_volume_forecast"),
            "{err}"
        );
        // A plain folder is not a model.
        std::fs::create_dir(dir.path().join("notes")).unwrap();
        assert!(matches!(
            remove(dir.path(), "notes"),
            Err(RegistryError::NoSuchModel { .. })
        ));
        assert!(dir.path().join("notes").is_dir());
    }
}
