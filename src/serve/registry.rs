//! The models the server answers for: every bundle in the models folder,
//! loaded once at start and shared read-only (through `Arc`) by all
//! requests. Tabular bundles load with [`load_bundle`], recommenders with
//! [`load_recommender`], chosen by the card's `kind`; a bundle that fails to
//! load is skipped with a warning on stderr naming the reason, so one
//! damaged or lying file does not keep the others offline: every size a
//! card or config gives is checked before memory is reserved from it, and
//! only regular files are read. Hidden and staging entries (a download in
//! progress) are never loaded.
//!
//! Also describes each model for the metadata endpoint and dispatches
//! inference to the adapters: [`super::tabular`], [`super::recommender`]
//! and [`super::embeddings`]. Imports the adapters only; the handlers'
//! shared state is in [`super::state`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::ml::TabularModel;
use crate::models::bundle::{card_kind, load_bundle};
use crate::models::recommender::{RecommenderCard, load_recommender};
use crate::models::{ModelCard, ModelKind};
use crate::recommend::Recommender;

use super::embeddings::{self, Embedder};
use super::error::ApiError;
use super::tensor::{InputTensor, OutputTensor, TensorSpec};
use super::{recommender, tabular};

/// One loaded model.
pub enum ServedModel {
    Tabular {
        card: Box<ModelCard>,
        model: TabularModel,
    },
    Recommender {
        card: Box<RecommenderCard>,
        recommender: Recommender,
    },
    /// Word vectors: a text's embedding is the mean of its words' vectors
    /// (TF-free, L2-normalised), served over V2 and `/v1/embeddings`.
    WordVectors {
        card: Box<crate::models::word_vectors::WordVectorsCard>,
        vectors: crate::text::WordVectors,
    },
    /// A sentence encoder (a Hugging Face folder inside the models folder),
    /// served over V2 and `/v1/embeddings` like word vectors.
    Sentence {
        encoder: Box<crate::text::sentence::SentenceEncoder>,
    },
}

/// The V2 model metadata response (the type the client reads).
pub use crate::models::wire::ModelMetadata;

/// The only version of every model (cityops keeps one per name).
pub const MODEL_VERSION: &str = "1";
pub const PLATFORM: &str = "cityops";

impl ServedModel {
    pub fn inputs(&self) -> Vec<TensorSpec> {
        match self {
            Self::Tabular { model, .. } => tabular::input_specs(model),
            Self::Recommender { .. } => recommender::input_specs(),
            Self::WordVectors { .. } | Self::Sentence { .. } => embeddings::input_specs(),
        }
    }

    pub fn outputs(&self) -> Vec<TensorSpec> {
        match self {
            Self::Tabular { model, .. } => tabular::output_specs(model),
            Self::Recommender { .. } => recommender::output_specs(),
            Self::WordVectors { vectors, .. } => embeddings::output_specs(vectors.dim),
            Self::Sentence { encoder } => embeddings::output_specs(encoder.dim()),
        }
    }

    pub fn metadata(&self, name: &str) -> ModelMetadata {
        ModelMetadata {
            name: name.to_owned(),
            versions: vec![MODEL_VERSION.to_owned()],
            platform: PLATFORM.to_owned(),
            inputs: self.inputs(),
            outputs: self.outputs(),
            parameters: match self {
                Self::Tabular { card, model } => tabular::parameters(card, model),
                Self::Recommender { card, .. } => recommender::parameters(card),
                Self::WordVectors { card, .. } => embeddings::word_vectors_parameters(card),
                Self::Sentence { encoder } => embeddings::sentence_parameters(encoder),
            },
        }
    }

    /// The model as an embedder; `None` for a model that does not embed.
    pub fn embedder(&self) -> Option<Embedder<'_>> {
        match self {
            Self::WordVectors { vectors, .. } => Some(Embedder::Words(vectors)),
            Self::Sentence { encoder } => Some(Embedder::Sentence(encoder)),
            Self::Tabular { .. } | Self::Recommender { .. } => None,
        }
    }

    /// Runs the model on decoded input tensors.
    pub fn infer(
        &self,
        name: &str,
        inputs: Vec<InputTensor>,
        parameters: Option<&Map<String, Value>>,
    ) -> Result<Vec<OutputTensor>, ApiError> {
        match self {
            Self::Tabular { model, .. } => tabular::infer(name, model, inputs),
            Self::Recommender { recommender, .. } => {
                recommender::infer(name, recommender, inputs, parameters)
            }
            Self::WordVectors { vectors, .. } => {
                embeddings::infer(name, Embedder::Words(vectors), inputs)
            }
            Self::Sentence { encoder } => {
                embeddings::infer(name, Embedder::Sentence(encoder), inputs)
            }
        }
    }
}

/// The loaded models by name (the card file's stem), in name order. A
/// model is replaced or removed while the server runs (the repository
/// extension's load and unload): requests already holding the old `Arc`
/// finish on it.
#[derive(Default)]
pub struct Registry {
    models: std::sync::RwLock<BTreeMap<String, Arc<ServedModel>>>,
    dir: PathBuf,
}

impl Registry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<ServedModel>>> {
        // A panic while holding the lock cannot leave the map half-changed
        // (each change is one insert or remove): keep serving.
        self.models
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Arc<ServedModel>>> {
        self.models
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The model names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<Arc<ServedModel>> {
        self.read().get(name).cloned()
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The folder the models were loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds (or replaces) a model under `name`.
    pub fn insert(&self, name: impl Into<String>, model: ServedModel) {
        self.write().insert(name.into(), Arc::new(model));
    }

    /// Stops serving `name`; whether it was served.
    pub fn remove(&self, name: &str) -> bool {
        self.write().remove(name).is_some()
    }
}

/// Loads one model card (and the weights it names beside it) as the
/// server serves it; `Ok(None)` for a kind served another way.
pub fn load_card(
    card_path: &Path,
) -> Result<Option<ServedModel>, crate::models::bundle::BundleError> {
    card_kind(card_path).and_then(|kind| match kind {
        ModelKind::Tabular => load_bundle(card_path).map(|b| {
            Some(ServedModel::Tabular {
                card: Box::new(b.card),
                model: b.model,
            })
        }),
        ModelKind::Recommender => load_recommender(card_path).map(|(card, rec)| {
            Some(ServedModel::Recommender {
                card: Box::new(card),
                recommender: rec,
            })
        }),
        ModelKind::WordVectors => {
            crate::models::word_vectors::load_word_vectors(card_path).map(|(card, v)| {
                Some(ServedModel::WordVectors {
                    card: Box::new(card),
                    vectors: v,
                })
            })
        }
        // Folders, never cards: `card_kind` does not answer it.
        ModelKind::SentenceEncoder => {
            eprintln!(
                "warning: skipping {}: a sentence encoder is served from its folder, not a card",
                card_path.display()
            );
            Ok(None)
        }
    })
}

/// Loads every model in `dir` (each `NAME.json` card with its weights). A
/// bundle that fails to load, or whose kind cannot be served, is skipped
/// with a warning line on stderr; an unreadable folder gives an empty
/// registry, also with a warning.
pub fn load_registry(dir: &Path) -> Registry {
    let registry = Registry {
        models: std::sync::RwLock::default(),
        dir: dir.to_owned(),
    };
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) => {
            eprintln!(
                "warning: cannot read the models folder {}: {e}; no models are served",
                dir.display()
            );
            return registry;
        }
    };
    let mut cards: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            !crate::models::fetch::is_staging(p) && p.extension().is_some_and(|e| e == "json")
        })
        .collect();
    cards.sort();
    for card_path in cards {
        let Some(name) = card_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
        else {
            continue;
        };
        let loaded = load_card(&card_path);
        match loaded {
            Ok(Some(model)) => registry.insert(name, model),
            Ok(None) => {}
            Err(e) => eprintln!("warning: skipping model '{name}': {e}"),
        }
    }
    // Sentence encoders: folders holding config.json, tokenizer.json and
    // model.safetensors, served under the folder's name.
    for folder in crate::models::registry::sentence_folders(dir) {
        let Some(name) = folder.file_name().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        if registry.get(&name).is_some() {
            eprintln!(
                "warning: skipping the folder {}: a model named '{name}' is already served",
                folder.display()
            );
            continue;
        }
        match crate::text::sentence::SentenceEncoder::load(&folder) {
            Ok(encoder) => registry.insert(
                name,
                ServedModel::Sentence {
                    encoder: Box::new(encoder),
                },
            ),
            Err(e) => eprintln!("warning: skipping model '{name}': {e}"),
        }
    }
    registry
}
