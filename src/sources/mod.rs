//! Where a dataset comes from: a local file, or an http(s) URL of a CSV,
//! JSON or GeoJSON file (an open-data portal's export link). A URL is
//! downloaded with the model fetcher's safeguards — https only, except to
//! this machine or when the user allows http; connect and read timeouts; a
//! size limit; cancel; nothing left half-written — into a private folder
//! in the temporary directory, read by the same loaders as a local file,
//! then deleted. The dataset is named after the URL's file and says where
//! it came from.
//!
//! The URL of a portal's API — Socrata, CKAN, ArcGIS — is fetched page by
//! page instead (`portal`). `live` refreshes any source on a timer.

pub mod live;
pub mod mqtt;
pub mod portal;
pub mod postgres;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::charts::{self, ChartData, ChartError, ChartSpec};
use crate::data::timeseries::TimeRange;
use crate::data::{self, DatabaseSource, Dataset, LoadError, LoadOptions, Progress, Source};
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
    if postgres::is_postgres(spec) {
        let source = DatabaseSource {
            url: spec.trim().to_owned(),
            table: opts.db_table.clone(),
            sql: opts.db_sql.clone(),
        };
        return postgres::load(&source, opts, progress);
    }
    if !is_url(spec) {
        return data::load_dataset(Path::new(spec), opts, progress);
    }
    let url = spec.trim().to_owned();
    let download = |message: String| LoadError::Download {
        url: url.clone(),
        message,
    };
    let rt = crate::jobs::runtime().map_err(|e| download(e.to_string()))?;
    if let Some(api) = portal::detect(&url) {
        let popts = portal_options(opts, None);
        let fetched = rt.block_on(portal::fetch_rows(&url, api, &popts, progress))?;
        return dataset_from_api(&url, fetched, opts);
    }
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
    ds.source = Source::Url(url);
    Ok(ds)
}

/// The chart of `spec` over `ds` (with the GeoJSON dataset a choropleth
/// names): computed by the database for a database table, in memory
/// otherwise. Every chart job of the app and the command line calls this.
pub fn compute_chart(
    spec: &ChartSpec,
    ds: &Dataset,
    geometry: Option<&Dataset>,
    window: TimeRange,
    progress: &dyn Progress,
) -> Result<ChartData, ChartError> {
    let mut data = match &ds.source {
        Source::Database(db) => postgres::compute_chart(db, spec, ds, window, progress),
        _ => charts::compute_with(spec, ds, geometry, window, progress),
    }?;
    data.look = spec.look;
    data.layer_title = charts::layer_title(spec);
    Ok(data)
}

/// One overlay of a map and what it reads: its dataset (`None`: not open),
/// the GeoJSON districts it colours or selects by, and its time window.
pub struct LayerInput {
    pub spec: ChartSpec,
    pub ds: Option<std::sync::Arc<Dataset>>,
    pub geometry: Option<std::sync::Arc<Dataset>>,
    pub window: TimeRange,
}

/// A map's overlays, each computed like a chart of its own. One that
/// cannot be computed (its dataset closed, a column gone) carries the
/// reason, and the map's other layers still draw; only a cancel stops
/// them all.
pub fn compute_overlays(
    inputs: &[LayerInput],
    progress: &dyn Progress,
) -> Result<Vec<charts::Overlay>, ChartError> {
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        if progress.is_cancelled() {
            return Err(ChartError::Cancelled);
        }
        let mut spec = input.spec.clone();
        // An overlay's own overlays are not drawn (a map is one list).
        spec.overlays.clear();
        let result = match (&input.ds, spec.kind) {
            (None, _) => Err(format!(
                "the dataset '{}' is not open; open its file to see this layer",
                spec.dataset
            )),
            (Some(_), kind) if kind != charts::ChartKind::MapPoints => {
                Err(format!("a {} chart is not a map layer", kind.key()))
            }
            (Some(ds), _) => {
                match compute_chart(&spec, ds, input.geometry.as_deref(), input.window, progress) {
                    Ok(data) => Ok(data),
                    Err(ChartError::Cancelled) => return Err(ChartError::Cancelled),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        let (data, error) = match result {
            Ok(d) => (Some(d), None),
            Err(e) => (None, Some(e)),
        };
        out.push(charts::Overlay {
            title: charts::layer_title(&spec),
            look: spec.look,
            data,
            error,
        });
    }
    Ok(out)
}

/// The TLS set-up of database and broker connections: rustls on aws-lc-rs
/// with the platform's certificate verifier (as reqwest uses).
pub(crate) fn tls_config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_platform_verifier()
        .map_err(|e| e.to_string())?
        .with_no_client_auth())
}

/// How to page an API, from the load options.
pub fn portal_options(
    opts: &LoadOptions,
    newer_than: Option<(String, String)>,
) -> portal::PortalOptions {
    let mut p = portal::PortalOptions {
        app_token: opts.app_token.clone(),
        keep_partial: opts.keep_partial,
        newer_than,
        ..portal::PortalOptions::default()
    };
    p.fetch.allow_http = opts.allow_http;
    if let Some(n) = opts.row_limit {
        p.max_rows = n;
    }
    p
}

/// A dataset of an API's rows, typed once.
pub fn dataset_from_api(
    url: &str,
    fetched: portal::Fetched,
    opts: &LoadOptions,
) -> Result<Dataset, LoadError> {
    let tz = opts
        .time_zone
        .clone()
        .unwrap_or_else(jiff::tz::TimeZone::system);
    let bad = |message: String| LoadError::Download {
        url: url.to_owned(),
        message,
    };
    if fetched.records.rows.is_empty() {
        return Err(bad(format!(
            "the {} API answered with no rows. Check the filters in the address",
            fetched.api.name()
        )));
    }
    let columns = fetched.records.into_columns(&tz);
    let table = data::Table::new(columns).map_err(|e| bad(e.to_string()))?;
    let mut ds = Dataset::from_table(
        portal::dataset_name(url, fetched.api),
        Source::Url(url.to_owned()),
        table,
        tz,
    );
    ds.file_format = Some(fetched.api.name());
    ds.warnings = fetched.warnings;
    Ok(ds)
}
