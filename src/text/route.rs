//! Routing citizen reports to departments: a classifier on document vectors
//! (the mean of the report's word vectors, TF-IDF weighted, or any other
//! embedding of the reports: a sentence encoder, a remote embeddings
//! endpoint), trained with the predictions trainer, evaluated against the
//! majority department.

use std::collections::HashMap;

use candle_core::Tensor;

use super::{Tokenizer, WordVectors, doc_vector, idf};
use crate::data::Progress;
use crate::data::rng::Rng;
use crate::ml::evaluate::{self, Evaluation};
use crate::ml::mlp::MlpConfig;
use crate::ml::trainer::{self, Targets, TrainConfig, TrainSet};
use crate::ml::{MlError, TargetSpec};

/// A trained report router.
pub struct Router {
    pub labels: Vec<String>,
    pub idf: HashMap<String, f32>,
    pub network: MlpConfig,
    pub weights: HashMap<String, Tensor>,
}

fn class_probs(raw: &[f32], k: usize) -> Vec<f64> {
    if k == 2 {
        raw.iter()
            .flat_map(|&z| {
                let p = 1.0 / (1.0 + (-f64::from(z)).exp());
                [1.0 - p, p]
            })
            .collect()
    } else {
        raw.chunks(k.max(1))
            .flat_map(|row| {
                let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f64> = row.iter().map(|&z| f64::from(z - m).exp()).collect();
                let s: f64 = e.iter().sum();
                e.into_iter().map(move |x| x / s)
            })
            .collect()
    }
}

impl Router {
    /// Department probabilities for each text, most likely first, from
    /// TF-IDF weighted document vectors of `v` (the vectors it was trained on).
    pub fn route(
        &self,
        v: &WordVectors,
        texts: &[String],
    ) -> Result<Vec<Vec<(String, f64)>>, MlError> {
        let tok = Tokenizer::shared();
        let mut x = Vec::with_capacity(texts.len() * v.dim);
        for t in texts {
            x.extend(doc_vector(v, &tok.tokenize(t), Some(&self.idf)));
        }
        self.route_embedded(&x, v.dim)
    }

    /// Department probabilities for each row of `x` (rows of `dim` values,
    /// embedded the way the training texts were), most likely first.
    pub fn route_embedded(
        &self,
        x: &[f32],
        dim: usize,
    ) -> Result<Vec<Vec<(String, f64)>>, MlError> {
        let raw = trainer::forward_all(&self.weights, &self.network, x, dim)?;
        let k = self.labels.len();
        let probs = class_probs(&raw, k);
        Ok(probs
            .chunks(k.max(1))
            .map(|row| {
                let mut pairs: Vec<(String, f64)> = self
                    .labels
                    .iter()
                    .cloned()
                    .zip(row.iter().copied())
                    .collect();
                pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
                pairs
            })
            .collect())
    }
}

/// Trains a router on labelled texts (80 % train, 20 % held out, seeded)
/// over their TF-IDF weighted document vectors.
pub fn train_router(
    v: &WordVectors,
    texts: &[String],
    labels: &[String],
    config: &TrainConfig,
    progress: &dyn Progress,
) -> Result<(Router, Evaluation), MlError> {
    let tok = Tokenizer::shared();
    let docs: Vec<Vec<String>> = texts.iter().map(|t| tok.tokenize(t)).collect();
    let idf_map = idf(&docs);
    let n = texts.len().min(labels.len());
    let mut x = Vec::with_capacity(n * v.dim);
    for d in docs.iter().take(n) {
        x.extend(doc_vector(v, d, Some(&idf_map)));
    }
    let (mut router, eval) = train_router_on(&x, v.dim, &labels[..n], config, progress)?;
    router.idf = idf_map;
    Ok((router, eval))
}

/// Trains a router on texts already embedded: `x` holds one row of `dim`
/// values per label (from word vectors, a sentence encoder or a remote
/// embeddings endpoint). 80 % train, 20 % held out, seeded.
pub fn train_router_on(
    x: &[f32],
    dim: usize,
    labels: &[String],
    config: &TrainConfig,
    progress: &dyn Progress,
) -> Result<(Router, Evaluation), MlError> {
    let mut names: Vec<String> = labels.to_vec();
    names.sort();
    names.dedup();
    if names.len() < 2 {
        return Err(MlError::NotEnoughData {
            what: "train a router",
            why: "the labels have fewer than two departments".to_owned(),
        });
    }
    if dim == 0 || x.len() != labels.len() * dim {
        return Err(MlError::NotEnoughData {
            what: "train a router",
            why: format!(
                "{} values are not one {dim}-value vector for each of the {} labels",
                x.len(),
                labels.len()
            ),
        });
    }
    let mut order: Vec<usize> = (0..labels.len()).collect();
    Rng::new(config.seed).shuffle(&mut order);
    let n_valid = (order.len() as f64 * config.validation_fraction)
        .round()
        .max(1.0) as usize;
    let (valid, train) = order.split_at(n_valid.min(order.len().saturating_sub(1)));
    let build = |idx: &[usize]| -> (Vec<f32>, Vec<u32>) {
        let mut xs = Vec::with_capacity(idx.len() * dim);
        let mut y = Vec::with_capacity(idx.len());
        for &i in idx {
            xs.extend_from_slice(x.get(i * dim..(i + 1) * dim).unwrap_or(&[]));
            let l = labels
                .get(i)
                .and_then(|l| names.iter().position(|n| n == l))
                .unwrap_or(0);
            y.push(l as u32);
        }
        (xs, y)
    };
    let k = names.len();
    let to_set = |(x, y): (Vec<f32>, Vec<u32>)| TrainSet {
        x,
        width: dim,
        y: if k == 2 {
            Targets::Binary(y.iter().map(|&l| l as f32).collect())
        } else {
            Targets::Multi { labels: y, k }
        },
    };
    let (train_set, valid_set) = (to_set(build(train)), to_set(build(valid)));
    let out = trainer::train(&train_set, &valid_set, config, progress, &mut |_| {})?;
    let truth: Vec<usize> = match &valid_set.y {
        Targets::Binary(y) => y.iter().map(|&l| usize::from(l > 0.5)).collect(),
        Targets::Multi { labels, .. } => labels.iter().map(|&l| l as usize).collect(),
        Targets::Real { .. } => Vec::new(),
    };
    let raw = trainer::forward_all(&out.weights, &out.config, &valid_set.x, dim)?;
    let mut freqs = vec![0.0; k];
    for &i in train {
        if let Some(l) = labels
            .get(i)
            .and_then(|l| names.iter().position(|n| n == l))
        {
            freqs[l] += 1.0;
        }
    }
    let total: f64 = freqs.iter().sum();
    freqs.iter_mut().for_each(|f| *f /= total.max(1.0));
    let target = TargetSpec::Classes {
        column: "department".to_owned(),
        labels: names.clone(),
        frequencies: freqs,
    };
    let eval = evaluate::classification(
        &target,
        (train.len(), valid.len()),
        &truth,
        &class_probs(&raw, k),
    );
    Ok((
        Router {
            labels: names,
            idf: HashMap::new(),
            network: out.config,
            weights: out.weights,
        },
        eval,
    ))
}
