//! The models folder: every `*.json` card in it, read without weights, in
//! name order. A card that cannot be read is listed with its error so the
//! user sees why a model is missing.

use std::path::{Path, PathBuf};

use super::bundle::{BundleError, ModelCard, read_card};

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

/// Lists the models in `dir` (an absent folder has none).
pub fn scan(dir: &Path) -> Vec<Entry> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
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
