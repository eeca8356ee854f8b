//! Open-data portal APIs, paged as each documents it:
//!
//! - **Socrata SODA** (`https://HOST/resource/abcd-1234.json`, or `.csv`,
//!   which is read as its `.json`): `$limit` and `$offset` with
//!   `$order=:id` so pages do not overlap; a server may cap the page below
//!   the `$limit` asked, so paging goes on until a page comes back shorter
//!   than the longest seen (or empty). An app token goes in `X-App-Token`.
//!   The user's own `$where`, `$select` and `$order` are kept.
//! - **CKAN** `datastore_search` (`…/api/3/action/datastore_search?
//!   resource_id=…`): `limit` and `offset` until `result.total` rows.
//! - **ArcGIS REST** FeatureServer or MapServer layers (`…/FeatureServer/0`
//!   or `…/FeatureServer/0/query`): `f=json`, `outFields=*`,
//!   `resultOffset` and `resultRecordCount` while the answer says
//!   `exceededTransferLimit`; point geometry (asked for in WGS 84,
//!   `outSR=4326`) becomes `longitude` and `latitude`.
//!
//! Each page is one request with the fetcher's safeguards
//! (`models::fetch::fetch_bytes`). Rows are gathered as text records and
//! typed once at the end, as a JSON file's are. A row limit stops early
//! (said in a warning); a failed or cancelled fetch keeps nothing unless
//! the caller asked to keep what arrived, and then the dataset says so.

use reqwest::Url;
use serde_json::Value;

use crate::data::records::Records;
use crate::data::{LoadError, LoadWarning, Progress};
use crate::models::fetch::{FetchError, FetchOptions, fetch_bytes};

/// Rows asked for per page.
pub const DEFAULT_PAGE_ROWS: usize = 10_000;
/// Rows fetched at most unless the user says otherwise.
pub const DEFAULT_MAX_ROWS: usize = 5_000_000;
/// The largest answer of one page.
const MAX_PAGE_BYTES: u64 = 256 << 20;

/// Which API a URL is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Socrata,
    Ckan,
    ArcGis,
}

impl Api {
    pub fn name(self) -> &'static str {
        match self {
            Self::Socrata => "Socrata",
            Self::Ckan => "CKAN",
            Self::ArcGis => "ArcGIS",
        }
    }
}

/// The API of a URL, recognised by its path.
pub fn detect(url: &str) -> Option<Api> {
    let url = Url::parse(url.trim()).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    let last = *segments.last()?;
    if segments.len() >= 2 && segments.get(segments.len() - 2) == Some(&"resource") {
        let id = last.split('.').next().unwrap_or("");
        if is_socrata_id(id) {
            return Some(Api::Socrata);
        }
    }
    if last == "datastore_search" {
        return Some(Api::Ckan);
    }
    let layer_at = if last == "query" {
        segments.len().checked_sub(2)?
    } else {
        segments.len() - 1
    };
    let layer = segments.get(layer_at)?;
    let service = segments.get(layer_at.checked_sub(1)?)?;
    if layer.chars().all(|c| c.is_ascii_digit())
        && matches!(*service, "FeatureServer" | "MapServer")
    {
        return Some(Api::ArcGis);
    }
    None
}

/// `abcd-1234`: two groups of four letters or digits.
fn is_socrata_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 9
        && b.get(4) == Some(&b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_alphanumeric())
}

/// How to fetch.
#[derive(Clone, Debug)]
pub struct PortalOptions {
    pub page_rows: usize,
    pub max_rows: usize,
    /// Socrata's app token (sent as `X-App-Token`).
    pub app_token: Option<String>,
    /// On a failure or cancel after some pages, keep the rows that arrived.
    pub keep_partial: bool,
    /// Only rows whose `column` is after `after` (ISO 8601): Socrata's
    /// `$where`, ArcGIS's `where`; CKAN has no such filter and fetches all.
    pub newer_than: Option<(String, String)>,
    pub fetch: FetchOptions,
}

impl Default for PortalOptions {
    fn default() -> Self {
        Self {
            page_rows: DEFAULT_PAGE_ROWS,
            max_rows: DEFAULT_MAX_ROWS,
            app_token: None,
            keep_partial: false,
            newer_than: None,
            fetch: FetchOptions {
                max_bytes: MAX_PAGE_BYTES,
                ..FetchOptions::default()
            },
        }
    }
}

/// Rows fetched from an API.
#[derive(Debug)]
pub struct Fetched {
    pub api: Api,
    pub records: Records,
    pub pages: usize,
    pub warnings: Vec<LoadWarning>,
    /// Set when only part of the rows arrived (cancel or failure, kept by
    /// request): why.
    pub partial: Option<String>,
    /// Whether the time filter was sent (`newer_than`) — otherwise every
    /// row was fetched again.
    pub filtered: bool,
}

/// One page's rows, and whether the server says more follow.
struct Page {
    /// A hash of the answer, to notice a server that ignores the offset.
    fingerprint: u64,
    records: Records,
    rows: usize,
    more: Option<bool>,
    total: Option<usize>,
}

/// Fetches every page of `url` (see the module doc).
pub async fn fetch_rows(
    url: &str,
    api: Api,
    opts: &PortalOptions,
    progress: &dyn Progress,
) -> Result<Fetched, LoadError> {
    let base = Url::parse(url.trim()).map_err(|e| LoadError::Download {
        url: url.to_owned(),
        message: format!("not a web address: {e}"),
    })?;
    let mut records = Records::default();
    let mut got = 0usize;
    let mut pages = 0usize;
    let mut longest = 0usize;
    let mut warnings = Vec::new();
    let page_rows = opts.page_rows.max(1);
    let mut filtered = false;
    let mut previous: Option<u64> = None;
    let partial = loop {
        let want = page_rows.min(opts.max_rows - got);
        let (page_url, sent_filter) = page_url(&base, api, got, want, opts.newer_than.as_ref());
        filtered |= sent_filter;
        let page = match fetch_page(&page_url, api, opts, progress).await {
            Ok(p) => p,
            Err(e) => {
                let cancelled = matches!(e, LoadError::Cancelled);
                if opts.keep_partial && got > 0 {
                    let why = if cancelled {
                        format!("cancelled after {got} rows")
                    } else {
                        format!("page {} failed after {got} rows: {e}", pages + 1)
                    };
                    break Some(why);
                }
                if cancelled {
                    return Err(e);
                }
                return Err(match e {
                    LoadError::Download { url, message } => LoadError::Download {
                        url,
                        message: format!(
                            "page {} (rows from {got}): {message}; nothing was kept",
                            pages + 1
                        ),
                    },
                    other => other,
                });
            }
        };
        // A server that ignores the offset sends the same page again:
        // stop rather than fetch it forever.
        if page.rows > 0 && previous == Some(page.fingerprint) {
            warnings.push(LoadWarning {
                line: None,
                column: None,
                message: format!(
                    "the server sent page {} again for the next offset (it does not page as the {} API documents); kept the {got} rows before it",
                    pages,
                    api.name()
                ),
            });
            break None;
        }
        previous = Some(page.fingerprint);
        pages += 1;
        got += page.rows;
        longest = longest.max(page.rows);
        records.extend(page.records);
        let fraction = match page.total {
            Some(t) if t > 0 => got as f32 / t.min(opts.max_rows) as f32,
            _ => 0.0,
        };
        progress.report(fraction.min(1.0), &format!("{got} rows fetched"));
        let done = match (api, page.more, page.total) {
            (_, _, _) if page.rows == 0 => true,
            (Api::ArcGis, Some(more), _) => !more,
            (Api::Ckan, _, Some(total)) => got >= total,
            // A page shorter than the longest (and than asked): the
            // server has no more.
            _ => page.rows < longest.min(want),
        };
        if done {
            break None;
        }
        if got >= opts.max_rows {
            warnings.push(LoadWarning {
                line: None,
                column: None,
                message: format!(
                    "stopped at the row limit, {got} rows; the source may have more (raise the limit to fetch them)"
                ),
            });
            break None;
        }
    };
    if let Some(why) = &partial {
        warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!("only part of the data: {why}"),
        });
    }
    Ok(Fetched {
        api,
        records,
        pages,
        warnings,
        partial,
        filtered,
    })
}

/// The address of the page starting at row `offset`, and whether the time
/// filter is in it.
fn page_url(
    base: &Url,
    api: Api,
    offset: usize,
    rows: usize,
    newer_than: Option<&(String, String)>,
) -> (Url, bool) {
    let mut url = base.clone();
    let own: Vec<(String, String)> = base
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let has = |k: &str| own.iter().any(|(q, _)| q.eq_ignore_ascii_case(k));
    let mut filter = false;
    let mut pairs: Vec<(String, String)> = Vec::new();
    match api {
        Api::Socrata => {
            // `.csv` and `.geojson` exports page the same as `.json`.
            let path = base.path().to_owned();
            if let Some(stem) = path
                .strip_suffix(".csv")
                .or_else(|| path.strip_suffix(".geojson"))
            {
                url.set_path(&format!("{stem}.json"));
            } else if !path.ends_with(".json") {
                url.set_path(&format!("{path}.json"));
            }
            let mut wheres: Vec<String> = Vec::new();
            for (k, v) in own.clone() {
                match k.as_str() {
                    "$limit" | "$offset" => {}
                    "$where" => wheres.push(format!("({v})")),
                    _ => pairs.push((k, v)),
                }
            }
            if let Some((col, after)) = newer_than {
                wheres.push(format!("{col} > '{}'", after.replace('\'', "''")));
                filter = true;
            }
            if !wheres.is_empty() {
                pairs.push(("$where".to_owned(), wheres.join(" AND ")));
            }
            if !has("$order") {
                pairs.push(("$order".to_owned(), ":id".to_owned()));
            }
            pairs.push(("$limit".to_owned(), rows.to_string()));
            pairs.push(("$offset".to_owned(), offset.to_string()));
        }
        Api::Ckan => {
            pairs.extend(
                own.iter()
                    .filter(|(k, _)| k != "limit" && k != "offset")
                    .cloned(),
            );
            pairs.push(("limit".to_owned(), rows.to_string()));
            pairs.push(("offset".to_owned(), offset.to_string()));
        }
        Api::ArcGis => {
            if !base.path().trim_end_matches('/').ends_with("/query") {
                let path = format!("{}/query", base.path().trim_end_matches('/'));
                url.set_path(&path);
            }
            let mut where_clause = None;
            for (k, v) in own.clone() {
                match k.as_str() {
                    "resultOffset" | "resultRecordCount" | "f" | "outSR" => {}
                    "where" => where_clause = Some(v),
                    _ => pairs.push((k, v)),
                }
            }
            let mut wheres: Vec<String> = where_clause
                .filter(|w| w.trim() != "1=1")
                .map(|w| vec![format!("({w})")])
                .unwrap_or_default();
            if let Some((col, after)) = newer_than {
                // ArcGIS SQL-92 dates: TIMESTAMP 'YYYY-MM-DD HH:MM:SS'.
                let when = after.replace('T', " ");
                let when = when.get(..19).unwrap_or(&when);
                wheres.push(format!("{col} > TIMESTAMP '{when}'"));
                filter = true;
            }
            let where_text = if wheres.is_empty() {
                "1=1".to_owned()
            } else {
                wheres.join(" AND ")
            };
            pairs.push(("where".to_owned(), where_text));
            if !has("outFields") {
                pairs.push(("outFields".to_owned(), "*".to_owned()));
            }
            pairs.push(("f".to_owned(), "json".to_owned()));
            pairs.push(("outSR".to_owned(), "4326".to_owned()));
            pairs.push(("resultOffset".to_owned(), offset.to_string()));
            pairs.push(("resultRecordCount".to_owned(), rows.to_string()));
        }
    }
    url.query_pairs_mut().clear().extend_pairs(pairs);
    (url, filter)
}

async fn fetch_page(
    url: &Url,
    api: Api,
    opts: &PortalOptions,
    progress: &dyn Progress,
) -> Result<Page, LoadError> {
    let shown = url.to_string();
    let token;
    let mut headers: Vec<(&str, &str)> = vec![("Accept", "application/json")];
    if api == Api::Socrata
        && let Some(t) = &opts.app_token
    {
        token = t.clone();
        headers.push(("X-App-Token", token.as_str()));
    }
    let (body, content_type) = fetch_bytes(&shown, &headers, &opts.fetch, progress)
        .await
        .map_err(|e| match e {
            FetchError::Cancelled { .. } => LoadError::Cancelled,
            other => LoadError::Download {
                url: shown.clone(),
                message: other.to_string(),
            },
        })?;
    let bad = |message: String| LoadError::Download {
        url: shown.clone(),
        message,
    };
    let looks_html = content_type
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'<');
    if looks_html {
        return Err(bad(format!(
            "the server answered with a web page (HTML), not the {} API's JSON. Check the address: it should be the API endpoint, not the dataset's page",
            api.name()
        )));
    }
    let doc: Value = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "the answer is not JSON (line {}, column {}: {e})",
            e.line(),
            e.column()
        ))
    })?;
    let mut page = parse_page(api, &doc).map_err(bad)?;
    page.fingerprint = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        h.finish()
    };
    Ok(page)
}

/// One page's rows from its JSON.
fn parse_page(api: Api, doc: &Value) -> Result<Page, String> {
    let mut records = Records::default();
    match api {
        Api::Socrata => {
            let rows = doc.as_array().ok_or_else(|| {
                server_error(doc).unwrap_or_else(|| "the answer is not an array of rows".to_owned())
            })?;
            for row in rows {
                records.push(row.as_object());
            }
            Ok(Page {
                fingerprint: 0,
                rows: rows.len(),
                records,
                more: None,
                total: None,
            })
        }
        Api::Ckan => {
            if doc.get("success") == Some(&Value::Bool(false)) {
                return Err(format!(
                    "CKAN answered with an error: {}",
                    doc.get("error").map_or_else(String::new, Value::to_string)
                ));
            }
            let result = doc
                .get("result")
                .ok_or("the answer has no 'result' (is this a datastore_search address?)")?;
            let rows = result
                .get("records")
                .and_then(Value::as_array)
                .ok_or("the answer has no 'result.records' array")?;
            for row in rows {
                records.push(row.as_object());
            }
            Ok(Page {
                fingerprint: 0,
                rows: rows.len(),
                records,
                more: None,
                total: result
                    .get("total")
                    .and_then(Value::as_u64)
                    .and_then(|t| usize::try_from(t).ok()),
            })
        }
        Api::ArcGis => {
            if let Some(e) = server_error(doc) {
                return Err(e);
            }
            let features = doc
                .get("features")
                .and_then(Value::as_array)
                .ok_or("the answer has no 'features' array (is this a layer's query address?)")?;
            for f in features {
                let mut row = f
                    .get("attributes")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                if let Some(g) = f.get("geometry")
                    && let (Some(x), Some(y)) = (
                        g.get("x").and_then(Value::as_f64),
                        g.get("y").and_then(Value::as_f64),
                    )
                {
                    row.entry("longitude").or_insert(Value::from(x));
                    row.entry("latitude").or_insert(Value::from(y));
                }
                records.push(Some(&row));
            }
            Ok(Page {
                fingerprint: 0,
                rows: features.len(),
                records,
                more: Some(
                    doc.get("exceededTransferLimit")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                ),
                total: None,
            })
        }
    }
}

/// An error object a portal sends with status 200 (`{"error": {...}}`).
fn server_error(doc: &Value) -> Option<String> {
    let e = doc.get("error")?;
    let message = e
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| e.to_string(), str::to_owned);
    let details = e
        .get("details")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|d| !d.is_empty());
    Some(match details {
        Some(d) => format!("the server says: {message} ({d})"),
        None => format!("the server says: {message}"),
    })
}

/// A dataset name for an API URL: Socrata's resource id, CKAN's
/// resource id, ArcGIS's service and layer.
pub fn dataset_name(url: &str, api: Api) -> String {
    let Ok(u) = Url::parse(url.trim()) else {
        return url.to_owned();
    };
    let segments: Vec<&str> = u
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    match api {
        Api::Socrata => segments
            .last()
            .and_then(|s| s.split('.').next())
            .unwrap_or("socrata")
            .to_owned(),
        Api::Ckan => u
            .query_pairs()
            .find(|(k, _)| k == "resource_id")
            .map_or_else(|| "ckan".to_owned(), |(_, v)| v.into_owned()),
        Api::ArcGis => {
            let at = segments
                .iter()
                .position(|s| matches!(*s, "FeatureServer" | "MapServer"))
                .unwrap_or(0);
            let service = at
                .checked_sub(1)
                .and_then(|i| segments.get(i))
                .unwrap_or(&"arcgis");
            let layer = segments.get(at + 1).unwrap_or(&"0");
            format!("{service} {layer}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apis_are_recognised_by_their_paths() {
        assert_eq!(
            detect("https://data.cityofnewyork.us/resource/h9gi-nx95.json"),
            Some(Api::Socrata)
        );
        assert_eq!(
            detect("https://data.cityofchicago.org/resource/ijzp-q8t2.csv?$where=year>2020"),
            Some(Api::Socrata)
        );
        assert_eq!(
            detect("https://open.canada.ca/data/api/3/action/datastore_search?resource_id=abc"),
            Some(Api::Ckan)
        );
        assert_eq!(
            detect(
                "https://services.arcgis.com/x/arcgis/rest/services/Wards/FeatureServer/0/query"
            ),
            Some(Api::ArcGis)
        );
        assert_eq!(
            detect("https://gis.city.gov/arcgis/rest/services/Crashes/MapServer/3"),
            Some(Api::ArcGis)
        );
        assert_eq!(detect("https://example.org/data/crashes.csv"), None);
        assert_eq!(detect("https://example.org/resource/readme.json"), None);
    }

    #[test]
    fn pages_keep_the_users_filters_and_add_paging_as_documented() {
        let base =
            Url::parse("https://h/resource/abcd-1234.csv?$where=borough='BRONX'&$select=a,b")
                .unwrap();
        let newer = ("crash_date".to_owned(), "2024-06-01T00:00:00".to_owned());
        let (u, filtered) = page_url(&base, Api::Socrata, 2000, 1000, Some(&newer));
        assert!(filtered);
        assert_eq!(u.path(), "/resource/abcd-1234.json");
        let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
        assert_eq!(
            q["$where"],
            "(borough='BRONX') AND crash_date > '2024-06-01T00:00:00'"
        );
        assert_eq!(q["$select"], "a,b");
        assert_eq!(q["$order"], ":id");
        assert_eq!(q["$offset"], "2000");
        assert_eq!(q["$limit"], "1000");
        let base = Url::parse("https://h/arcgis/rest/services/W/FeatureServer/0").unwrap();
        let (u, _) = page_url(&base, Api::ArcGis, 0, 500, None);
        assert_eq!(u.path(), "/arcgis/rest/services/W/FeatureServer/0/query");
        let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
        assert_eq!(q["where"], "1=1");
        assert_eq!(q["outSR"], "4326");
        assert_eq!(q["resultRecordCount"], "500");
        assert_eq!(
            dataset_name(
                "https://h/arcgis/rest/services/Wards/FeatureServer/0/query",
                Api::ArcGis
            ),
            "Wards 0"
        );
    }

    #[test]
    fn an_error_object_is_the_servers_message() {
        let doc: Value = serde_json::from_str(
            r#"{"error": {"code": 400, "message": "Invalid query parameters", "details": ["'where' parameter is invalid"]}}"#,
        )
        .unwrap();
        let err = parse_page(Api::ArcGis, &doc).err().unwrap();
        assert!(
            err.contains("Invalid query parameters ('where' parameter is invalid)"),
            "{err}"
        );
    }
}
