//! Where a dataset comes from: a local file, or an http(s) URL of a CSV,
//! JSON or GeoJSON file (an open-data portal's export link). A URL is
//! downloaded with the model fetcher's safeguards — https only, except to
//! this machine or when the user allows http; connect and read timeouts; a
//! size limit; cancel; nothing left half-written — into a private folder
//! in the temporary directory, read by the same loaders as a local file,
//! then deleted. The dataset is named after the URL's file and says where
//! it came from.
//!
//! Paged portal APIs (Socrata's `$offset`, CKAN, ArcGIS) and refreshing on
//! a timer are not here yet: a URL is one download.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::data::{self, Dataset, LoadError, LoadOptions, Progress, Source};
use crate::models::fetch::{FetchOptions, fetch_file};

/// The largest file downloaded as a dataset.
pub const MAX_DOWNLOAD_BYTES: u64 = 2 << 30;

/// Whether `spec` is an http(s) URL rather than a path.
pub fn is_url(spec: &str) -> bool {
    let lower = spec.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// A private folder for one download.
fn download_dir() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "cityops-download-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Loads a local file, or downloads a URL and loads that (see the module
/// doc; `opts.allow_http`: plain http to other computers).
pub fn load(spec: &str, opts: &LoadOptions, progress: &dyn Progress) -> Result<Dataset, LoadError> {
    let allow_http = opts.allow_http;
    if !is_url(spec) {
        return data::load_dataset(Path::new(spec), opts, progress);
    }
    let url = spec.trim().to_owned();
    let download = |message: String| LoadError::Download {
        url: url.clone(),
        message,
    };
    let rt = crate::jobs::runtime().map_err(|e| download(e.to_string()))?;
    let dir = download_dir();
    let fetch_opts = FetchOptions {
        max_bytes: MAX_DOWNLOAD_BYTES,
        allow_http,
        ..FetchOptions::default()
    };
    let fetched = rt.block_on(fetch_file(&url, &dir, &fetch_opts, progress));
    let outcome = match fetched {
        Ok(o) => o,
        Err(crate::models::fetch::FetchError::Cancelled { .. }) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(LoadError::Cancelled);
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(download(e.to_string()));
        }
    };
    let loaded = match outcome.files.first() {
        Some(path) => data::load_dataset(path, opts, progress),
        None => Err(download("the server sent no file".to_owned())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let mut ds = loaded?;
    ds.source = Source::Derived(format!("downloaded from {url}"));
    Ok(ds)
}
