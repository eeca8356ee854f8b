//! The recommender bundle: `NAME.json` (card: method, parameters, the
//! columns it was built from, the user and item id vocabularies, the
//! evaluation when there was one, the data fingerprint) and
//! `NAME.safetensors` (the interaction matrix in CSR form, the item
//! neighbour indices and scores, item popularity). Saved and loaded through
//! the same atomic, checksummed path as every bundle.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::bundle::{self, BundleError, DataFingerprint};
use super::card::{CardHeader, ModelKind};
use crate::recommend::{
    CfParams, ColumnChoice, Csr, EvalReport, Interactions, ItemNeighbours, Method, Recommender,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecommenderCard {
    /// Format version, kind, creation, cityops version, weights.
    #[serde(flatten)]
    pub header: CardHeader,
    pub name: String,
    pub method: Method,
    pub params: CfParams,
    pub columns: ColumnChoice,
    pub explicit: bool,
    pub users: Vec<String>,
    pub items: Vec<String>,
    pub n_interactions: usize,
    pub evaluation: Option<serde_json::Value>,
    pub training_data: DataFingerprint,
}

fn to_tensors(rec: &Recommender) -> Result<HashMap<String, Tensor>, candle_core::Error> {
    let dev = Device::Cpu;
    let m = &rec.interactions.user_items;
    let mut t = HashMap::new();
    let indptr: Vec<i64> = m.indptr.iter().map(|&v| v as i64).collect();
    t.insert(
        "user_items.indptr".to_owned(),
        Tensor::from_vec(indptr.clone(), indptr.len(), &dev)?,
    );
    t.insert(
        "user_items.indices".to_owned(),
        Tensor::from_vec(m.indices.clone(), m.indices.len(), &dev)?,
    );
    t.insert(
        "user_items.values".to_owned(),
        Tensor::from_vec(m.values.clone(), m.values.len(), &dev)?,
    );
    if let Some(times) = &rec.interactions.times {
        t.insert(
            "user_items.times".to_owned(),
            Tensor::from_vec(times.clone(), times.len(), &dev)?,
        );
    }
    t.insert(
        "popularity".to_owned(),
        Tensor::from_vec(rec.popularity.clone(), rec.popularity.len(), &dev)?,
    );
    if let Some(nn) = &rec.item_nn {
        let rows = nn.indices.len().checked_div(nn.k.max(1)).unwrap_or(0);
        t.insert(
            "item_neighbours.indices".to_owned(),
            Tensor::from_vec(nn.indices.clone(), (rows, nn.k), &dev)?,
        );
        t.insert(
            "item_neighbours.scores".to_owned(),
            Tensor::from_vec(nn.scores.clone(), (rows, nn.k), &dev)?,
        );
    }
    Ok(t)
}

/// Saves a built recommender as `path` (`models/NAME`).
pub fn save_recommender(
    path: &Path,
    rec: &Recommender,
    columns: &ColumnChoice,
    data: DataFingerprint,
    evaluation: Option<&EvalReport>,
) -> Result<(RecommenderCard, PathBuf), BundleError> {
    let tensors = to_tensors(rec).map_err(|e| BundleError::Save {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let inter = &rec.interactions;
    bundle::write_bundle(path, &tensors, |name, weights| RecommenderCard {
        header: CardHeader::new(ModelKind::Recommender, weights),
        name: name.to_owned(),
        method: rec.method,
        params: rec.params.clone(),
        columns: columns.clone(),
        explicit: inter.explicit,
        users: inter.users.clone(),
        items: inter.items.clone(),
        n_interactions: inter.n_interactions(),
        evaluation: evaluation.and_then(|e| serde_json::to_value(e).ok()),
        training_data: data,
    })
}

/// Reads a recommender's card alone (no weights), for describing it.
pub fn read_recommender_card(card_path: &Path) -> Result<RecommenderCard, BundleError> {
    bundle::read_card_of_kind(card_path, ModelKind::Recommender)
}

/// Loads a recommender bundle and checks every array against the card.
pub fn load_recommender(path: &Path) -> Result<(RecommenderCard, Recommender), BundleError> {
    let (card_path, _, _) = bundle::bundle_paths(path);
    let card = read_recommender_card(&card_path)?;
    let tensors = bundle::read_weights(&card_path, &card.header.weights)?;
    let bad = |message: String| BundleError::Weights {
        path: card_path
            .with_file_name(&card.header.weights.file)
            .display()
            .to_string(),
        message,
    };
    let get = |name: &str| {
        tensors
            .get(name)
            .ok_or_else(|| bad(format!("tensor '{name}' is missing")))
    };
    let vec_i64 = |name: &str| -> Result<Vec<i64>, BundleError> {
        get(name)?
            .to_vec1::<i64>()
            .map_err(|e| bad(format!("tensor '{name}': {e}")))
    };
    let vec_u32 = |name: &str| -> Result<Vec<u32>, BundleError> {
        get(name)?
            .flatten_all()
            .and_then(|t| t.to_vec1::<u32>())
            .map_err(|e| bad(format!("tensor '{name}': {e}")))
    };
    let vec_f32 = |name: &str| -> Result<Vec<f32>, BundleError> {
        get(name)?
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| bad(format!("tensor '{name}': {e}")))
    };
    let (n_users, n_items) = (card.users.len(), card.items.len());
    let indptr: Vec<usize> = vec_i64("user_items.indptr")?
        .into_iter()
        .map(|v| v.max(0) as usize)
        .collect();
    let indices = vec_u32("user_items.indices")?;
    let values = vec_f32("user_items.values")?;
    if indptr.len() != n_users + 1
        || indptr.windows(2).any(|w| w[0] > w[1])
        || indptr.last().copied() != Some(indices.len())
        || values.len() != indices.len()
        || indices.iter().any(|&i| i as usize >= n_items)
    {
        return Err(bad(format!(
            "the interaction matrix does not fit the card's {n_users} users and {n_items} items"
        )));
    }
    let times = match tensors.get("user_items.times") {
        Some(_) => {
            let t = vec_i64("user_items.times")?;
            if t.len() != indices.len() {
                return Err(bad(
                    "the interaction times do not match the interactions".to_owned()
                ));
            }
            Some(t)
        }
        None => None,
    };
    let popularity = vec_f32("popularity")?;
    if popularity.len() != n_items {
        return Err(bad(format!(
            "popularity has {} entries for {n_items} items",
            popularity.len()
        )));
    }
    let item_nn = match tensors.get("item_neighbours.indices") {
        Some(t) => {
            let k = t.dims().get(1).copied().unwrap_or(0);
            let idx = vec_u32("item_neighbours.indices")?;
            let scores = vec_f32("item_neighbours.scores")?;
            if idx.len() != n_items * k
                || scores.len() != idx.len()
                || idx.iter().any(|&i| i != u32::MAX && i as usize >= n_items)
            {
                return Err(bad(
                    "the item neighbours do not fit the card's items".to_owned()
                ));
            }
            Some(ItemNeighbours {
                k,
                indices: idx,
                scores,
            })
        }
        None => None,
    };
    if card.method == Method::ItemCf && item_nn.is_none() {
        return Err(bad(
            "an item-CF recommender needs its item neighbours".to_owned()
        ));
    }
    let interactions = Interactions {
        users: card.users.clone(),
        items: card.items.clone(),
        user_items: Csr {
            indptr,
            indices,
            values,
            n_cols: n_items,
        },
        explicit: card.explicit,
        times,
    };
    let rec = Recommender {
        method: card.method,
        params: card.params.clone(),
        interactions: Arc::new(interactions),
        item_nn,
        popularity,
    };
    Ok((card, rec))
}
