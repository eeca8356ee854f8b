//! The word-vector bundle: `NAME.json` (card: format version, kind
//! `word_vectors`, the vocabulary in frequency order, dimension, training
//! parameters and figures) and `NAME.safetensors` (`vectors` F32
//! `[words, dim]`, `counts` I64 `[words]`), saved and loaded through the
//! same atomic, checksummed path as every bundle. The plain word2vec text
//! and binary formats are read and written by `text::format`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::bundle::{self, BundleError};
use super::card::{CardHeader, ModelKind};
use crate::text::word2vec::MAX_DIM;
use crate::text::{W2vParams, WordVectors};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WordVectorsCard {
    /// Format version, kind, creation, cityops version, weights.
    #[serde(flatten)]
    pub header: CardHeader,
    pub name: String,
    pub dim: usize,
    pub words: Vec<String>,
    pub params: Option<W2vParams>,
    pub trained_words: Option<u64>,
}

pub fn save_word_vectors(
    path: &Path,
    v: &WordVectors,
    params: Option<&W2vParams>,
    trained_words: Option<u64>,
) -> Result<(WordVectorsCard, PathBuf), BundleError> {
    let err = |e: candle_core::Error| BundleError::Save {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut t = HashMap::new();
    t.insert(
        "vectors".to_owned(),
        Tensor::from_vec(v.vectors.clone(), (v.words.len(), v.dim), &Device::Cpu).map_err(err)?,
    );
    let counts: Vec<i64> = v.counts.iter().map(|&c| c as i64).collect();
    t.insert(
        "counts".to_owned(),
        Tensor::from_vec(counts, v.words.len(), &Device::Cpu).map_err(err)?,
    );
    bundle::write_bundle(path, &t, |name, weights| WordVectorsCard {
        header: CardHeader::new(ModelKind::WordVectors, weights),
        name: name.to_owned(),
        dim: v.dim,
        words: v.words.clone(),
        params: params.cloned(),
        trained_words,
    })
}

/// Reads a word-vector card alone (no weights), for describing it.
pub fn read_word_vectors_card(card_path: &Path) -> Result<WordVectorsCard, BundleError> {
    bundle::read_card_of_kind(card_path, ModelKind::WordVectors)
}

pub fn load_word_vectors(path: &Path) -> Result<(WordVectorsCard, WordVectors), BundleError> {
    let (card_path, _, _) = bundle::bundle_paths(path);
    let card = read_word_vectors_card(&card_path)?;
    check_sizes(&card).map_err(|(field, message)| BundleError::Field {
        path: card_path.display().to_string(),
        field: field.to_owned(),
        message,
    })?;
    let tensors = bundle::read_weights(&card_path, &card.header.weights)?;
    let bad = |message: String| BundleError::Weights {
        path: card_path
            .with_file_name(&card.header.weights.file)
            .display()
            .to_string(),
        message,
    };
    let vectors = tensors
        .get("vectors")
        .ok_or_else(|| bad("tensor 'vectors' is missing".to_owned()))?;
    if vectors.dims() != [card.words.len(), card.dim] {
        return Err(bad(format!(
            "tensor 'vectors' has shape {:?}, the card needs [{}, {}]",
            vectors.dims(),
            card.words.len(),
            card.dim
        )));
    }
    let flat: Vec<f32> = vectors
        .flatten_all()
        .and_then(|t| t.to_vec1())
        .map_err(|e| bad(format!("tensor 'vectors': {e}")))?;
    if let Some(i) = flat.iter().position(|x| !x.is_finite()) {
        let word = card
            .words
            .get(i / card.dim.max(1))
            .map_or("?", String::as_str);
        return Err(bad(format!(
            "tensor 'vectors' holds {} in the vector of {word:?}; word vectors must be finite numbers",
            flat.get(i).copied().unwrap_or(f32::NAN)
        )));
    }
    let counts: Vec<u64> = match tensors.get("counts") {
        Some(c) => c
            .to_vec1::<i64>()
            .map_err(|e| bad(format!("tensor 'counts': {e}")))?
            .into_iter()
            .map(|x| x.max(0) as u64)
            .collect(),
        None => vec![0; card.words.len()],
    };
    if counts.len() != card.words.len() {
        return Err(bad(
            "tensor 'counts' does not match the vocabulary".to_owned()
        ));
    }
    let v = WordVectors {
        words: card.words.clone(),
        dim: card.dim,
        vectors: flat,
        counts,
    };
    Ok((card, v))
}

/// The card's sizes, checked before its weights are read: a dimension from
/// 1 to `MAX_DIM`, at least one word, and `words × dim` values that fit in
/// the weights file the card names (4 bytes each) and in the largest
/// weights file read. Returns the field and what is wrong with it.
fn check_sizes(card: &WordVectorsCard) -> Result<(), (&'static str, String)> {
    if card.dim == 0 || card.dim > MAX_DIM {
        return Err(("dim", format!("is {}, outside 1..={MAX_DIM}", card.dim)));
    }
    if card.words.is_empty() {
        return Err((
            "words",
            "is empty; word vectors need at least one word".to_owned(),
        ));
    }
    let need = card.words.len() as u128 * card.dim as u128 * 4;
    let room = match card.header.weights.bytes {
        0 => bundle::MAX_WEIGHTS_BYTES,
        n => n.min(bundle::MAX_WEIGHTS_BYTES),
    };
    if need > u128::from(room) {
        return Err((
            "words",
            format!(
                "has {} words of dimension {}, {need} bytes of vectors, more than the weights file's {room} bytes can hold",
                card.words.len(),
                card.dim
            ),
        ));
    }
    Ok(())
}

/// Word vectors from any of the forms users have: a bundle (`NAME`,
/// `NAME.json`), or a word2vec text (`.txt`, `.vec`) or binary (`.bin`) file.
/// `max_words` keeps only the first (most frequent) words of a word2vec
/// file, read as a stream, so a huge file can be tried on a small machine.
pub fn load_any(
    path: &Path,
    max_words: Option<usize>,
    progress: &dyn crate::data::Progress,
) -> Result<WordVectors, VectorsError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("txt" | "vec" | "bin") => {
            Ok(crate::text::read_word2vec_file(path, max_words, progress)?)
        }
        _ => load_word_vectors(path)
            .map(|(_, mut v)| {
                if let Some(n) = max_words.filter(|&n| n < v.len()) {
                    v.words.truncate(n);
                    v.counts.truncate(n);
                    v.vectors.truncate(n * v.dim);
                }
                v
            })
            .map_err(VectorsError::from),
    }
}

/// Why word vectors could not be loaded: a word2vec file's error or a
/// bundle's.
#[derive(Debug, thiserror::Error)]
pub enum VectorsError {
    #[error(transparent)]
    File(#[from] crate::text::TextError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
}

impl crate::data::Blame for VectorsError {
    fn is_user_input(&self) -> bool {
        match self {
            Self::File(e) => crate::data::Blame::is_user_input(e),
            Self::Bundle(e) => crate::data::Blame::is_user_input(e),
        }
    }
}
