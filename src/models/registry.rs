//! The models folder: every `*.json` card in it, read without weights, in
//! name order. A card that cannot be read is listed with its error so the
//! user sees why a model is missing. Hidden entries and staging names
//! (a download or save in progress, see [`super::fetch::is_staging`]) are
//! never listed.

use std::path::{Path, PathBuf};

use super::bundle::{BundleError, ModelCard, read_card};
use super::fetch::is_staging;

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
    match kind.as_str() {
        "recommender" => super::recommender::load_recommender(&card_path)
            .map(|_| ())
            .map_err(|e| e.to_string())?,
        _ => super::bundle::load_bundle(&card_path)
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
