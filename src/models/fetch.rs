//! Downloads into the models folder: a model card (`NAME.json`) together
//! with the weights file it names, or one file on its own (safetensors,
//! word2vec `.bin`/`.txt`/`.vec`).
//!
//! Bytes stream into a hidden staging file `.NAME.PID-N.tmp` in the target
//! folder (a sentence-encoder folder into a staging folder of that form)
//! and are hashed on the way; a file is synced and renamed into place only
//! when it is complete and verified. On any failure, cancel, dropped
//! future (the command line drops it on Ctrl-C or SIGTERM) or the overall
//! deadline the staging files are deleted, so the folder holds nothing
//! new; staging files of processes that were killed outright are removed
//! by the next fetch of the same name, with the helper workspace and CSV
//! saves use ([`crate::data::csv_write::remove_stale_temps`]). The
//! registry never lists or loads a staging name ([`is_staging`]).
//!
//! A card names exactly one weights file, its own: `NAME.safetensors`
//! beside `NAME.json`, so a card can never bring down another model's
//! files. Nothing already in the folder is replaced unless the caller
//! allows it (`force`). `verified` means the weights' sha256 was compared
//! (with the card's, or with the one the user gave).
//!
//! https by default; plain http only to this computer unless allowed. Uses
//! reqwest, tokio, sha2 and the address rules of `models::remote`; must not
//! import egui or candle.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::bundle::WeightsRef;
use super::net::{NetError, NetFailure, NetKind, net_failure};
use super::remote::{is_insecure_http, read_capped, server_message};
use crate::data::Progress;

/// Cards larger than this are not model cards.
const MAX_CARD_BYTES: u64 = 16 << 20;
/// How often a wait looks at the cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(100);
const REPORT_EVERY_BYTES: u64 = 256 * 1024;
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// The file's expected sha256 (64 hex digits, `sha256:` prefix allowed).
    /// For a card URL it checks the card; the card checks its weights.
    pub sha256: Option<String>,
    /// Larger downloads are refused (before and during the transfer).
    pub max_bytes: u64,
    pub connect_timeout: Duration,
    /// The longest wait for the next bytes.
    pub read_timeout: Duration,
    /// Plain http to other computers.
    pub allow_http: bool,
    /// Replace files (or a folder) of the same name already there.
    pub force: bool,
    /// The longest a whole fetch may take, all files together.
    pub deadline: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            sha256: None,
            max_bytes: 2 << 30,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            allow_http: false,
            force: false,
            deadline: Duration::from_secs(3600),
        }
    }
}

/// What was written, in order (card first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOutcome {
    pub files: Vec<PathBuf>,
    /// The sha256 of each file in `files`, lower-case hex.
    pub sha256: Vec<String>,
    /// False when no checksum was available to check against: show the
    /// hash so the user can compare it with the publisher's.
    pub verified: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "'{url}' cannot be downloaded: {message}. Give the full https address of a model card (.json), a .safetensors file or word vectors (.bin, .txt, .vec)."
    )]
    BadUrl { url: String, message: String },
    #[error(
        "{url}: plain http is only used for this computer (localhost, 127.0.0.1, ::1), because anyone on the way could change the file. Use the https address, or allow insecure http if the network is trusted."
    )]
    InsecureHttp { url: String },
    #[error(
        "{url}: the given sha256 '{given}' is not 64 hexadecimal digits. Copy the checksum again from where the model is published."
    )]
    BadChecksum { url: String, given: String },
    #[error(
        "{url}: the file does not match its sha256 (expected {expected}, found {found}). It was damaged on the way or changed on the server; nothing was saved. Try again, and ask the publisher if it persists."
    )]
    Checksum {
        url: String,
        expected: String,
        found: String,
    },
    #[error(
        "{url}: the file is larger than the download limit of {limit_bytes} bytes{}. Raise the limit if you trust this file.",
        size_note(.size_bytes)
    )]
    TooLarge {
        url: String,
        limit_bytes: u64,
        size_bytes: Option<u64>,
    },
    #[error(
        "{url}: the download stopped after {received} bytes{}. The connection was cut; try again.",
        of_expected(.expected)
    )]
    Truncated {
        url: String,
        received: u64,
        expected: Option<u64>,
    },
    #[error("{url}: the download was cancelled; nothing was saved.")]
    Cancelled { url: String },
    #[error(
        "{url}: the download did not finish within {limit:?}; nothing was saved. Try again on a faster connection."
    )]
    Deadline { url: String, limit: Duration },
    #[error(
        "{url}: {path} is already there; nothing was downloaded. Remove it or fetch into another folder (on the command line, --force replaces it)."
    )]
    Exists { url: String, path: String },
    #[error(
        "{url}: this is not a usable model card: {message}. Check that the address points to a cityops model card."
    )]
    BadCard { url: String, message: String },
    #[error(
        "{url}: {path}: {message}. Check that the models folder is writable and the disk has room."
    )]
    Io {
        url: String,
        path: String,
        message: String,
    },
    /// The network or the server failed.
    #[error(transparent)]
    Net(#[from] NetError),
}

impl crate::data::Blame for FetchError {
    /// The address, the checksum, the limit and the target the user gave
    /// (and a 4xx answer to their address) are theirs to fix; the network,
    /// the server, the disk, a deadline and a cancel are not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::BadUrl { .. }
            | Self::InsecureHttp { .. }
            | Self::BadChecksum { .. }
            | Self::Checksum { .. }
            | Self::TooLarge { .. }
            | Self::Exists { .. }
            | Self::BadCard { .. } => true,
            Self::Net(e) => e.is_user_input(),
            Self::Truncated { .. }
            | Self::Cancelled { .. }
            | Self::Deadline { .. }
            | Self::Io { .. } => false,
        }
    }
}

fn size_note(size: &Option<u64>) -> String {
    size.map_or_else(String::new, |n| format!(" (it is {n} bytes)"))
}

fn of_expected(expected: &Option<u64>) -> String {
    expected.map_or_else(String::new, |n| format!(" of {n}"))
}

/// Downloads `url` into `dir`: a `.json` URL is a model card, fetched with
/// the weights it names (from the same folder on the server) and checked
/// against the card's sha256; any other URL is one file, checked against
/// `opts.sha256` when given.
pub async fn fetch(
    url: &str,
    dir: &Path,
    opts: &FetchOptions,
    progress: &dyn Progress,
) -> Result<FetchOutcome, FetchError> {
    fetch_as(url, dir, opts, progress, false).await
}

/// Downloads `url` into `dir` as one file, whatever its name (a `.json`
/// is not read as a model card).
pub async fn fetch_file(
    url: &str,
    dir: &Path,
    opts: &FetchOptions,
    progress: &dyn Progress,
) -> Result<FetchOutcome, FetchError> {
    fetch_as(url, dir, opts, progress, true).await
}

/// One answer of an http(s) API held in memory (a page of a portal's
/// rows), with the fetcher's safeguards: https only unless to loopback or
/// allowed, timeouts, `opts.max_bytes`, cancel. Returns the body and its
/// Content-Type.
pub async fn fetch_bytes(
    url: &str,
    headers: &[(&str, &str)],
    opts: &FetchOptions,
    progress: &dyn Progress,
) -> Result<(Vec<u8>, Option<String>), FetchError> {
    let url = parse_url(url, opts.allow_http)?;
    let fetcher = Fetcher {
        client: build_client(&url, opts)?,
        opts,
        progress,
        cleanup: Cleanup::default(),
    };
    fetcher.bytes(&url, headers).await
}

/// The files of a sentence-encoder folder: name and whether it must exist.
const FOLDER_FILES: [(&str, bool); 4] = [
    ("config.json", true),
    ("tokenizer.json", true),
    ("model.safetensors", true),
    ("sentence_bert_config.json", false),
];

/// Downloads a sentence-encoder folder published in the Hugging Face layout
/// at `base_url` (`BASE/config.json`, `BASE/tokenizer.json`,
/// `BASE/model.safetensors`, and `BASE/sentence_bert_config.json` when the
/// server has it) into `dir/name`. `opts.sha256` checks model.safetensors.
/// The files land in a hidden staging folder that is checked by loading
/// the model and renamed into place only then: a failed or cancelled
/// download leaves nothing behind.
pub async fn fetch_folder(
    base_url: &str,
    dir: &Path,
    name: &str,
    opts: &FetchOptions,
    progress: &dyn Progress,
) -> Result<FetchOutcome, FetchError> {
    let base = base_url.trim_end_matches('/').to_owned();
    let bad_name = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', ':'])
        || name.chars().any(char::is_control);
    if bad_name {
        return Err(FetchError::BadUrl {
            url: base,
            message: format!(
                "'{name}' cannot name a folder in the models folder; use letters, digits, '-' and '_'"
            ),
        });
    }
    let target = dir.join(name);
    let io = |path: &Path, e: std::io::Error| FetchError::Io {
        url: base.clone(),
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let exists = || {
        (target.symlink_metadata().is_ok() && !opts.force).then(|| FetchError::Exists {
            url: base.clone(),
            path: target.display().to_string(),
        })
    };
    if let Some(e) = exists() {
        return Err(e);
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io(dir, e))?;
    crate::data::csv_write::remove_stale_temps(dir, name);
    let staging = staging_path(dir, name);
    tokio::fs::create_dir_all(&staging)
        .await
        .map_err(|e| io(&staging, e))?;
    // Removed on every way out but success: errors, the deadline, a
    // dropped future (Ctrl-C).
    let mut guard = StagingFolder(Some(staging.clone()));
    let outcome = tokio::time::timeout(
        opts.deadline,
        fetch_folder_files(&base, &staging, opts, progress),
    )
    .await
    .unwrap_or_else(|_| {
        Err(FetchError::Deadline {
            url: base.clone(),
            limit: opts.deadline,
        })
    })?;
    // A folder that does not load is not kept.
    if let Err(e) = crate::text::sentence::SentenceEncoder::load(&staging) {
        return Err(FetchError::BadCard {
            url: base,
            message: format!("the downloaded folder is not a usable sentence encoder ({e})"),
        });
    }
    if let Some(e) = exists() {
        return Err(e);
    }
    if opts.force && target.is_dir() {
        tokio::fs::remove_dir_all(&target)
            .await
            .map_err(|e| io(&target, e))?;
    }
    tokio::fs::rename(&staging, &target)
        .await
        .map_err(|e| io(&target, e))?;
    guard.0 = None;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(FetchOutcome {
        files: outcome
            .files
            .iter()
            .filter_map(|f| f.file_name().map(|n| target.join(n)))
            .collect(),
        ..outcome
    })
}

/// A staging folder removed when dropped, unless taken.
struct StagingFolder(Option<PathBuf>);

impl Drop for StagingFolder {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn fetch_folder_files(
    base: &str,
    staging: &Path,
    opts: &FetchOptions,
    progress: &dyn Progress,
) -> Result<FetchOutcome, FetchError> {
    let mut all = FetchOutcome {
        files: Vec::new(),
        sha256: Vec::new(),
        verified: false,
    };
    for (file, required) in FOLDER_FILES {
        let file_opts = FetchOptions {
            sha256: if file == "model.safetensors" {
                opts.sha256.clone()
            } else {
                None
            },
            ..opts.clone()
        };
        progress.report(0.0, &format!("Downloading {file}"));
        match fetch_file(&format!("{base}/{file}"), staging, &file_opts, progress).await {
            Ok(o) => {
                if file == "model.safetensors" {
                    all.verified = o.verified;
                }
                all.files.extend(o.files);
                all.sha256.extend(o.sha256);
            }
            Err(FetchError::Net(e)) if e.status() == Some(404) && !required => {}
            Err(e) => return Err(e),
        }
    }
    Ok(all)
}

async fn fetch_as(
    url: &str,
    dir: &Path,
    opts: &FetchOptions,
    progress: &dyn Progress,
    one_file: bool,
) -> Result<FetchOutcome, FetchError> {
    // Dropping the fetch at the deadline deletes its staging files.
    tokio::time::timeout(
        opts.deadline,
        fetch_within(url, dir, opts, progress, one_file),
    )
    .await
    .unwrap_or_else(|_| {
        Err(FetchError::Deadline {
            url: url.trim().to_owned(),
            limit: opts.deadline,
        })
    })
}

async fn fetch_within(
    url: &str,
    dir: &Path,
    opts: &FetchOptions,
    progress: &dyn Progress,
    one_file: bool,
) -> Result<FetchOutcome, FetchError> {
    let url = parse_url(url, opts.allow_http)?;
    let shown = url.to_string();
    let expected = match &opts.sha256 {
        Some(given) => Some(parse_sha256(given).ok_or_else(|| FetchError::BadChecksum {
            url: shown.clone(),
            given: given.clone(),
        })?),
        None => None,
    };
    let name = url_file_name(&url).map_err(|message| FetchError::BadUrl {
        url: shown.clone(),
        message: message.to_owned(),
    })?;
    let client = build_client(&url, opts)?;
    let mut fetcher = Fetcher {
        client,
        opts,
        progress,
        cleanup: Cleanup::default(),
    };
    if progress.is_cancelled() {
        return Err(FetchError::Cancelled { url: shown });
    }
    let io = |path: &Path, e: std::io::Error| FetchError::Io {
        url: shown.clone(),
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if !tokio::fs::try_exists(dir).await.map_err(|e| io(dir, e))? {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| io(dir, e))?;
        fetcher.cleanup.dir = Some(dir.to_owned());
    }
    let outcome = if !one_file && name.to_ascii_lowercase().ends_with(".json") {
        fetcher.card(&url, dir, &name, expected).await?
    } else {
        fetcher.single(&url, dir, &name, expected).await?
    };
    if let Ok(d) = std::fs::File::open(dir) {
        // Make the renames durable.
        let _ = d.sync_all();
    }
    fetcher.cleanup.disarm();
    Ok(outcome)
}

fn parse_url(raw: &str, allow_http: bool) -> Result<Url, FetchError> {
    let shown = raw.trim();
    let bad = |message: String| FetchError::BadUrl {
        url: shown.to_owned(),
        message,
    };
    let url = Url::parse(shown).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!("'{}:' is not a web address", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it names no host".to_owned()));
    }
    if is_insecure_http(&url, allow_http) {
        return Err(FetchError::InsecureHttp {
            url: url.to_string(),
        });
    }
    Ok(url)
}

/// `sha256:ABC…` or `abc…` → 64 lower-case hex digits.
fn parse_sha256(given: &str) -> Option<String> {
    let t = given.trim();
    let t = match t.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sha256:") => t.get(7..)?,
        _ => t,
    };
    (t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_ascii_lowercase())
}

/// Why `name` is not a plain file name to write into the models folder
/// (or a model's name to look up there): `None` when it is one.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.contains(['/', '\\']) {
        Some("contains a path separator")
    } else if name.contains("..") {
        Some("contains '..'")
    } else if name.starts_with('.') {
        Some("starts with a dot")
    } else if name.chars().any(|c| c.is_control() || c == ':') {
        Some("contains characters a file name cannot have")
    } else {
        None
    }
}

/// The decoded last path segment, if it is a plain file name.
fn url_file_name(url: &Url) -> Result<String, &'static str> {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or_default();
    let name = percent_decode(last).ok_or("its file name is not valid percent-encoded UTF-8")?;
    if name.is_empty() {
        return Err("it does not end in a file name");
    }
    if name_problem(&name).is_some() {
        return Err("its file name is not a plain file name");
    }
    Ok(name)
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            rest = tail.get(2..)?;
        } else {
            out.push(b);
            rest = tail;
        }
    }
    String::from_utf8(out).ok()
}

/// A redirect to plain http on another computer.
#[derive(Debug)]
struct InsecureRedirect(String);

impl std::fmt::Display for InsecureRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect to insecure {}", self.0)
    }
}

impl std::error::Error for InsecureRedirect {}

fn build_client(url: &Url, opts: &FetchOptions) -> Result<reqwest::Client, FetchError> {
    let allow_http = opts.allow_http;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 10 {
            attempt.error("more than 10 redirects")
        } else if is_insecure_http(attempt.url(), allow_http) {
            let to = attempt.url().to_string();
            attempt.error(InsecureRedirect(to))
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .connect_timeout(opts.connect_timeout)
        .redirect(policy)
        .user_agent(concat!("cityops/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            NetError::new(
                url.as_str(),
                NetKind::Other,
                format!("the HTTP client could not be set up: {e}"),
            )
            .into()
        })
}

fn status_hint(status: reqwest::StatusCode) -> &'static str {
    match status.as_u16() {
        401 | 403 => "The server wants a login or the link has expired; get a fresh link.",
        404 | 410 => "Check the address; the file may have moved.",
        408 | 429 | 503 => "The server is busy; wait a moment and try again.",
        500..=599 => "The server failed; try again later.",
        _ => "Check the address.",
    }
}

/// Files to delete unless the fetch completes (also when its future is dropped).
#[derive(Default)]
struct Cleanup {
    files: Vec<PathBuf>,
    /// The folder, when this fetch created it.
    dir: Option<PathBuf>,
}

impl Cleanup {
    fn disarm(&mut self) {
        self.files.clear();
        self.dir = None;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        if let Some(dir) = &self.dir {
            // Only removes it when empty.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A finished download in its part file.
struct Downloaded {
    sha256: String,
}

struct Fetcher<'a> {
    client: reqwest::Client,
    opts: &'a FetchOptions,
    progress: &'a dyn Progress,
    cleanup: Cleanup,
}

impl Fetcher<'_> {
    /// A card and its weights.
    async fn card(
        &mut self,
        url: &Url,
        dir: &Path,
        card_name: &str,
        expected_card: Option<String>,
    ) -> Result<FetchOutcome, FetchError> {
        let shown = url.to_string();
        let bad_card = |message: String| FetchError::BadCard {
            url: shown.clone(),
            message,
        };
        crate::data::csv_write::remove_stale_temps(dir, card_name);
        let card_part = staging_path(dir, card_name);
        let card_limit = self.opts.max_bytes.min(MAX_CARD_BYTES);
        let card = match self
            .download(url, &card_part, card_name, card_limit, None, (0.0, 0.01))
            .await
        {
            Err(FetchError::TooLarge { .. }) if card_limit == MAX_CARD_BYTES => {
                return Err(bad_card(format!(
                    "it is larger than {MAX_CARD_BYTES} bytes, far too large for a model card"
                )));
            }
            other => other?,
        };
        if let Some(expected) = expected_card
            && expected != card.sha256
        {
            return Err(FetchError::Checksum {
                url: shown,
                expected,
                found: card.sha256,
            });
        }
        let text = tokio::fs::read(&card_part)
            .await
            .map_err(|e| self.io(url, &card_part, &e))?;
        #[derive(Deserialize)]
        struct CardWeights {
            weights: WeightsRef,
        }
        let weights = serde_json::from_slice::<CardWeights>(&text)
            .map_err(|e| bad_card(format!("{e}")))?
            .weights;
        if let Some(problem) = name_problem(&weights.file) {
            return Err(bad_card(format!(
                "its weights file name '{}' {problem}; a card must name a file beside it",
                weights.file
            )));
        }
        let stem = card_name
            .get(..card_name.len().saturating_sub(".json".len()))
            .unwrap_or(card_name);
        let own = format!("{stem}.safetensors");
        if weights.file != own {
            return Err(bad_card(format!(
                "its weights file is '{}', but a card may name only its own weights, '{own}' beside '{card_name}'",
                weights.file
            )));
        }
        self.refuse_existing(url, &[dir.join(card_name), dir.join(&own)])?;
        let Some(expected_weights) = parse_sha256(&weights.sha256) else {
            return Err(bad_card(format!(
                "its weights sha256 '{}' is not 64 hexadecimal digits",
                weights.sha256
            )));
        };
        let weights_url = sibling_url(url, &weights.file).map_err(|()| {
            bad_card("the weights address cannot be formed from the card's".to_owned())
        })?;
        if weights.bytes > self.opts.max_bytes {
            return Err(FetchError::TooLarge {
                url: weights_url.to_string(),
                limit_bytes: self.opts.max_bytes,
                size_bytes: Some(weights.bytes),
            });
        }
        crate::data::csv_write::remove_stale_temps(dir, &weights.file);
        let weights_part = staging_path(dir, &weights.file);
        let got = self
            .download(
                &weights_url,
                &weights_part,
                &weights.file,
                self.opts.max_bytes,
                Some(weights.bytes),
                (0.01, 1.0),
            )
            .await?;
        if got.sha256 != expected_weights {
            return Err(FetchError::Checksum {
                url: weights_url.to_string(),
                expected: expected_weights,
                found: got.sha256,
            });
        }
        // Weights first, so the registry never sees a card without them.
        let weights_path = dir.join(&weights.file);
        let card_path = dir.join(card_name);
        // Again: another process may have saved one meanwhile.
        self.refuse_existing(url, &[card_path.clone(), weights_path.clone()])?;
        self.place(&weights_url, &weights_part, &weights_path)
            .await?;
        self.place(url, &card_part, &card_path).await?;
        Ok(FetchOutcome {
            files: vec![card_path, weights_path],
            sha256: vec![card.sha256, got.sha256],
            verified: true,
        })
    }

    /// One file, checked against `expected` when given.
    async fn single(
        &mut self,
        url: &Url,
        dir: &Path,
        name: &str,
        expected: Option<String>,
    ) -> Result<FetchOutcome, FetchError> {
        self.refuse_existing(url, &[dir.join(name)])?;
        crate::data::csv_write::remove_stale_temps(dir, name);
        let part = staging_path(dir, name);
        let got = self
            .download(url, &part, name, self.opts.max_bytes, None, (0.0, 1.0))
            .await?;
        if let Some(expected) = &expected
            && *expected != got.sha256
        {
            return Err(FetchError::Checksum {
                url: url.to_string(),
                expected: expected.clone(),
                found: got.sha256,
            });
        }
        let path = dir.join(name);
        self.refuse_existing(url, std::slice::from_ref(&path))?;
        self.place(url, &part, &path).await?;
        Ok(FetchOutcome {
            files: vec![path],
            sha256: vec![got.sha256],
            verified: expected.is_some(),
        })
    }

    /// Streams `url` into `part` (tracked for cleanup), hashing it, with
    /// the size limit, read timeout and cancel checked per chunk. Progress
    /// runs from `span.0` to `span.1`.
    async fn download(
        &mut self,
        url: &Url,
        part: &Path,
        name: &str,
        limit: u64,
        size_hint: Option<u64>,
        span: (f32, f32),
    ) -> Result<Downloaded, FetchError> {
        let shown = url.to_string();
        self.progress
            .report(span.0, &format!("Connecting to download {name}"));
        let mut resp = self.open(self.client.get(url.clone()), url, limit).await?;
        let content_length = resp.content_length();
        let total = content_length.or(size_hint);
        self.cleanup.files.push(part.to_owned());
        let mut file = tokio::fs::File::create(part)
            .await
            .map_err(|e| self.io(url, part, &e))?;
        let mut hasher = Sha256::new();
        let mut received: u64 = 0;
        let mut reported: u64 = 0;
        while let Some(chunk) = self
            .next_chunk(url, &mut resp, received, content_length)
            .await?
        {
            received += chunk.len() as u64;
            if received > limit {
                return Err(FetchError::TooLarge {
                    url: shown,
                    limit_bytes: limit,
                    size_bytes: content_length,
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| self.io(url, part, &e))?;
            if received - reported >= REPORT_EVERY_BYTES {
                reported = received;
                self.report(name, received, total, span);
            }
        }
        if let Some(n) = content_length
            && received < n
        {
            return Err(FetchError::Truncated {
                url: shown,
                received,
                expected: Some(n),
            });
        }
        file.flush().await.map_err(|e| self.io(url, part, &e))?;
        file.sync_all().await.map_err(|e| self.io(url, part, &e))?;
        drop(file);
        self.report(name, received, total, span);
        Ok(Downloaded {
            sha256: hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        })
    }

    fn report(&self, name: &str, received: u64, total: Option<u64>, span: (f32, f32)) {
        let mb = |b: u64| b as f64 / 1e6;
        let (fraction, message) = match total.filter(|&t| t > 0) {
            Some(t) => (
                (received as f64 / t as f64).min(1.0) as f32,
                format!("Downloading {name}: {:.1} of {:.1} MB", mb(received), mb(t)),
            ),
            None => (0.0, format!("Downloading {name}: {:.1} MB", mb(received))),
        };
        self.progress
            .report(span.0 + (span.1 - span.0) * fraction, &message);
    }

    /// Awaits `fut` for at most `limit`, looking at the cancel flag meanwhile.
    /// Sends a request and checks the answer's status and announced size.
    async fn open(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
        limit: u64,
    ) -> Result<reqwest::Response, FetchError> {
        let shown = url.to_string();
        let sent = self
            .wait(
                url,
                request.send(),
                self.opts.connect_timeout + self.opts.read_timeout,
                "waiting for the server to answer",
            )
            .await?;
        let mut resp = sent.map_err(|e| self.transport_error(url, &e))?;
        let status = resp.status();
        if !status.is_success() {
            let body = read_capped(&mut resp, MAX_ERROR_BODY_BYTES, self.opts.read_timeout).await;
            return Err(NetError::new(
                shown,
                NetKind::Status {
                    status: status.as_u16(),
                    reason: status.canonical_reason().unwrap_or(""),
                    hint: status_hint(status),
                },
                server_message(&body),
            )
            .into());
        }
        if let Some(n) = resp.content_length()
            && n > limit
        {
            return Err(FetchError::TooLarge {
                url: shown,
                limit_bytes: limit,
                size_bytes: Some(n),
            });
        }
        Ok(resp)
    }

    /// The next bytes of an answer, within the read timeout; `None` at its end.
    async fn next_chunk(
        &self,
        url: &Url,
        resp: &mut reqwest::Response,
        received: u64,
        content_length: Option<u64>,
    ) -> Result<Option<bytes::Bytes>, FetchError> {
        let next = self
            .wait(
                url,
                resp.chunk(),
                self.opts.read_timeout,
                "waiting for the next bytes",
            )
            .await?;
        next.map_err(|e| match net_failure(&e).0 {
            NetFailure::Timeout => NetError::new(
                url.as_str(),
                NetKind::Timeout {
                    phase: "waiting for the next bytes",
                    limit: self.opts.read_timeout,
                },
                "",
            )
            .into(),
            _ => FetchError::Truncated {
                url: url.to_string(),
                received,
                expected: content_length,
            },
        })
    }

    /// A whole answer in memory, at most `opts.max_bytes`.
    async fn bytes(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
    ) -> Result<(Vec<u8>, Option<String>), FetchError> {
        let mut request = self.client.get(url.clone());
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let limit = self.opts.max_bytes;
        let mut resp = self.open(request, url, limit).await?;
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_length = resp.content_length();
        let mut body = Vec::new();
        while let Some(chunk) = self
            .next_chunk(url, &mut resp, body.len() as u64, content_length)
            .await?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit_bytes: limit,
                    size_bytes: content_length,
                });
            }
            body.extend_from_slice(&chunk);
        }
        if let Some(n) = content_length
            && (body.len() as u64) < n
        {
            return Err(FetchError::Truncated {
                url: url.to_string(),
                received: body.len() as u64,
                expected: Some(n),
            });
        }
        Ok((body, content_type))
    }

    async fn wait<F: Future>(
        &self,
        url: &Url,
        fut: F,
        limit: Duration,
        phase: &'static str,
    ) -> Result<F::Output, FetchError> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut fut = std::pin::pin!(fut);
        loop {
            if self.progress.is_cancelled() {
                return Err(FetchError::Cancelled {
                    url: url.to_string(),
                });
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(
                    NetError::new(url.as_str(), NetKind::Timeout { phase, limit }, "").into(),
                );
            }
            let step = (deadline - now).min(CANCEL_POLL);
            if let Ok(out) = tokio::time::timeout(step, fut.as_mut()).await {
                return Ok(out);
            }
        }
    }

    /// Refuses to go on when any of `paths` exists and replacing was not
    /// allowed.
    fn refuse_existing(&self, url: &Url, paths: &[PathBuf]) -> Result<(), FetchError> {
        if self.opts.force {
            return Ok(());
        }
        match paths.iter().find(|p| p.symlink_metadata().is_ok()) {
            Some(p) => Err(FetchError::Exists {
                url: url.to_string(),
                path: p.display().to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Renames a verified part file into place (and keeps it tracked, so a
    /// later failure still leaves nothing new).
    async fn place(&mut self, url: &Url, part: &Path, path: &Path) -> Result<(), FetchError> {
        tokio::fs::rename(part, path)
            .await
            .map_err(|e| self.io(url, path, &e))?;
        self.cleanup.files.retain(|f| f != part);
        self.cleanup.files.push(path.to_owned());
        Ok(())
    }

    fn io(&self, url: &Url, path: &Path, e: &std::io::Error) -> FetchError {
        FetchError::Io {
            url: url.to_string(),
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn transport_error(&self, url: &Url, e: &reqwest::Error) -> FetchError {
        use std::error::Error as _;
        let mut source = e.source();
        while let Some(cause) = source {
            if let Some(InsecureRedirect(to)) = cause.downcast_ref::<InsecureRedirect>() {
                return FetchError::InsecureHttp { url: to.clone() };
            }
            source = cause.source();
        }
        NetError::from_reqwest(url.as_str(), e, "connecting", self.opts.connect_timeout).into()
    }
}

/// A fresh staging name for `name` in `dir`: `.NAME.PID-N.tmp`, the form
/// `data::csv_write::remove_stale_temps` recognises, so the left-overs of a
/// killed process are removed by a later fetch.
fn staging_path(dir: &Path, name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Whether an entry of a models folder is hidden or being written (a
/// download's staging file or folder, a save's temporary file, weights
/// kept aside during a save): such entries are never listed or loaded.
pub fn is_staging(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_none_or(|n| {
        n.starts_with('.') || n.ends_with(".tmp") || n.ends_with(".part") || n.ends_with(".prev")
    })
}

/// `https://host/dir/card.json` + `w.safetensors` → `https://host/dir/w.safetensors`.
fn sibling_url(card: &Url, file: &str) -> Result<Url, ()> {
    let mut url = card.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.path_segments_mut()?.pop().push(file);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::{Body, Bytes};
    use axum::http::header;
    use axum::routing::{get, post};

    use super::*;
    use crate::models::bundle::sha256_hex;
    use crate::models::test_server::serve;

    fn weights_bytes() -> Bytes {
        Bytes::from(
            (0..300_000u32)
                .map(|i| (i * 31 % 251) as u8)
                .collect::<Vec<u8>>(),
        )
    }

    fn card_bytes(file: &str, sha256: &str, bytes: u64) -> Bytes {
        let card = serde_json::json!({
            "format_version": 1, "kind": "tabular", "name": "speed",
            "weights": {"file": file, "sha256": sha256, "bytes": bytes}
        });
        Bytes::from(serde_json::to_vec_pretty(&card).unwrap())
    }

    /// A server with `/m/speed.json` (a card naming `card_file` with
    /// `card_sha`) and `/m/speed.safetensors`.
    async fn model_server(card_file: &str, card_sha: &str) -> String {
        let weights = weights_bytes();
        let card = card_bytes(card_file, card_sha, weights.len() as u64);
        let router = Router::new()
            .route("/m/speed.json", get(move || async move { card }))
            .route("/m/speed.safetensors", get(move || async move { weights }));
        serve(router).await
    }

    /// Every name in `dir`, hidden ones included.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn quick() -> FetchOptions {
        FetchOptions {
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            ..FetchOptions::default()
        }
    }

    #[tokio::test]
    async fn card_and_weights_are_fetched_and_verified() {
        let sha = sha256_hex(&weights_bytes());
        let base = model_server("speed.safetensors", &sha).await;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("models");
        let out = fetch(&format!("{base}/m/speed.json"), &dir, &quick(), &())
            .await
            .unwrap();
        assert!(out.verified);
        assert_eq!(
            out.files,
            vec![dir.join("speed.json"), dir.join("speed.safetensors")]
        );
        assert_eq!(out.sha256[1], sha);
        assert_eq!(listing(&dir), ["speed.json", "speed.safetensors"]);
        assert_eq!(
            std::fs::read(dir.join("speed.safetensors")).unwrap(),
            weights_bytes()
        );
        assert_eq!(
            sha256_hex(&std::fs::read(dir.join("speed.json")).unwrap()),
            out.sha256[0]
        );
    }

    #[tokio::test]
    async fn weights_not_matching_the_card_are_refused_and_removed() {
        let wrong = sha256_hex(b"other weights");
        let base = model_server("speed.safetensors", &wrong).await;
        let tmp = tempfile::tempdir().unwrap();
        let err = fetch(&format!("{base}/m/speed.json"), tmp.path(), &quick(), &())
            .await
            .unwrap_err();
        let FetchError::Checksum {
            url,
            expected,
            found,
        } = &err
        else {
            panic!("{err}")
        };
        assert!(url.ends_with("/m/speed.safetensors"), "{url}");
        assert_eq!(*expected, wrong);
        assert_eq!(*found, sha256_hex(&weights_bytes()));
        assert!(listing(tmp.path()).is_empty());
    }

    #[tokio::test]
    async fn card_naming_weights_outside_its_folder_is_refused() {
        let sha = sha256_hex(&weights_bytes());
        let tmp = tempfile::tempdir().unwrap();
        for file in ["../speed.safetensors", "sub/speed.safetensors", ".."] {
            let base = model_server(file, &sha).await;
            let err = fetch(&format!("{base}/m/speed.json"), tmp.path(), &quick(), &())
                .await
                .unwrap_err();
            assert!(matches!(err, FetchError::BadCard { .. }), "{file}: {err}");
            assert!(listing(tmp.path()).is_empty(), "{file}");
        }
    }

    #[tokio::test]
    async fn card_naming_another_models_card_is_refused_and_nothing_is_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("other.json"), b"the other model's card").unwrap();
        // The "weights" the hostile server serves under the other card's name.
        let evil = Bytes::from_static(b"{\"replaced\": true}");
        let card = card_bytes("other.json", &sha256_hex(&evil), evil.len() as u64);
        let router = Router::new()
            .route("/m/speed.json", get(move || async move { card }))
            .route("/m/other.json", get(move || async move { evil }));
        let base = serve(router).await;
        let err = fetch(&format!("{base}/m/speed.json"), tmp.path(), &quick(), &())
            .await
            .unwrap_err();
        let FetchError::BadCard { message, .. } = &err else {
            panic!("{err}")
        };
        assert!(
            message.contains("only its own weights, 'speed.safetensors'"),
            "{message}"
        );
        assert_eq!(listing(tmp.path()), ["other.json"]);
        assert_eq!(
            std::fs::read(tmp.path().join("other.json")).unwrap(),
            b"the other model's card"
        );
    }

    #[tokio::test]
    async fn a_model_already_there_is_replaced_only_with_force() {
        let sha = sha256_hex(&weights_bytes());
        let base = model_server("speed.safetensors", &sha).await;
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("{base}/m/speed.json");
        std::fs::write(tmp.path().join("speed.safetensors"), b"mine").unwrap();
        let err = fetch(&url, tmp.path(), &quick(), &()).await.unwrap_err();
        assert!(matches!(err, FetchError::Exists { .. }), "{err}");
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(listing(tmp.path()), ["speed.safetensors"]);
        assert_eq!(
            std::fs::read(tmp.path().join("speed.safetensors")).unwrap(),
            b"mine"
        );
        let force = FetchOptions {
            force: true,
            ..quick()
        };
        let out = fetch(&url, tmp.path(), &force, &()).await.unwrap();
        assert!(out.verified);
        assert_eq!(listing(tmp.path()), ["speed.json", "speed.safetensors"]);
        // A single file too.
        let err = fetch_file(
            &format!("{base}/m/speed.safetensors"),
            tmp.path(),
            &quick(),
            &(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::Exists { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_fetch_past_its_deadline_stops_and_leaves_nothing() {
        // The server answers after a minute: within the read timeout given,
        // past the whole fetch's deadline.
        let router = Router::new().route(
            "/slow.bin",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            }),
        );
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let opts = FetchOptions {
            deadline: Duration::from_secs(1),
            read_timeout: Duration::from_secs(120),
            ..quick()
        };
        let err = fetch(&format!("{base}/slow.bin"), tmp.path(), &opts, &())
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Deadline { .. }), "{err}");
        assert!(listing(tmp.path()).is_empty(), "{:?}", listing(tmp.path()));
    }

    #[test]
    fn staging_left_by_a_dead_process_is_removed_by_the_next_fetch() {
        let tmp = tempfile::tempdir().unwrap();
        // No process has this id (above the kernel's pid_max).
        let dead = tmp.path().join(format!(".speed.json.{}-0.tmp", u32::MAX));
        std::fs::write(&dead, b"half").unwrap();
        let mine = staging_path(tmp.path(), "speed.json");
        std::fs::write(&mine, b"in progress").unwrap();
        crate::data::csv_write::remove_stale_temps(tmp.path(), "speed.json");
        assert!(!dead.exists());
        assert!(mine.exists(), "this process's own staging file stays");
        assert!(is_staging(&dead) && is_staging(&mine));
        assert!(!is_staging(Path::new("models/speed.json")));
    }

    #[tokio::test]
    async fn single_file_is_checked_against_the_given_sha256() {
        let weights = weights_bytes();
        let router = Router::new().route("/vectors.vec", get(move || async move { weights }));
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("{base}/vectors.vec");

        let wrong = FetchOptions {
            sha256: Some("0".repeat(64)),
            ..quick()
        };
        let err = fetch(&url, tmp.path(), &wrong, &()).await.unwrap_err();
        assert!(matches!(err, FetchError::Checksum { .. }), "{err}");
        assert!(listing(tmp.path()).is_empty());

        let right = FetchOptions {
            sha256: Some(format!(
                "sha256:{}",
                sha256_hex(&weights_bytes()).to_uppercase()
            )),
            ..quick()
        };
        let out = fetch(&url, tmp.path(), &right, &()).await.unwrap();
        assert!(out.verified);
        assert_eq!(listing(tmp.path()), ["vectors.vec"]);
    }

    #[tokio::test]
    async fn plain_http_to_loopback_is_allowed_and_unchecked_file_shows_its_hash() {
        let router = Router::new().route(
            "/w2v.bin",
            get(|| async { Bytes::from_static(b"word vectors") }),
        );
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let opts = quick();
        assert!(!opts.allow_http);
        let out = fetch(&format!("{base}/w2v.bin"), tmp.path(), &opts, &())
            .await
            .unwrap();
        assert!(!out.verified);
        assert_eq!(out.sha256, vec![sha256_hex(b"word vectors")]);
        assert_eq!(listing(tmp.path()), ["w2v.bin"]);
    }

    #[tokio::test]
    async fn plain_http_to_another_host_is_refused_without_connecting() {
        let tmp = tempfile::tempdir().unwrap();
        let err = fetch(
            "http://example.invalid/models/speed.safetensors",
            tmp.path(),
            &quick(),
            &(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::InsecureHttp { .. }), "{err}");
        assert!(err.to_string().contains("example.invalid"), "{err}");
        assert!(listing(tmp.path()).is_empty());
    }

    #[tokio::test]
    async fn truncated_body_is_reported_and_removed() {
        let router = Router::new().route(
            "/speed.safetensors",
            get(|| async {
                // Claims 2 MiB, sends 1 MiB, then the server gives up and
                // closes the connection. (A chunk larger than hyper's write
                // buffer makes it flush the headers and bytes before that.)
                let partial = Body::from_stream(Body::from(vec![7u8; 1 << 20]).into_data_stream());
                (
                    [(header::CONTENT_LENGTH, (2u64 << 20).to_string())],
                    partial,
                )
            }),
        );
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let err = fetch(
            &format!("{base}/speed.safetensors"),
            tmp.path(),
            &quick(),
            &(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::Truncated {
                    expected: Some(2_097_152),
                    ..
                }
            ),
            "{err}"
        );
        assert!(listing(tmp.path()).is_empty());
    }

    #[tokio::test]
    async fn server_stalling_mid_body_hits_the_read_timeout() {
        // `/upload` parks its streaming request body; `/stall` answers with
        // that body. The test uploads 1000 of 5000 bytes and stops, so the
        // download gets headers and 1000 bytes, then nothing.
        let parked: Arc<Mutex<Option<Body>>> = Arc::default();
        let (park, take) = (Arc::clone(&parked), Arc::clone(&parked));
        let router = Router::new()
            .route(
                "/upload",
                post(move |body: Body| async move {
                    *park.lock().unwrap() = Some(body);
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }),
            )
            .route(
                "/stall.safetensors",
                get(move || async move {
                    loop {
                        if let Some(body) = take.lock().unwrap().take() {
                            return ([(header::CONTENT_LENGTH, "5000")], body);
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }),
            );
        let base = serve(router).await;
        let mut upload = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
            .await
            .unwrap();
        upload
            .write_all(b"POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n\r\n")
            .await
            .unwrap();
        upload.write_all(&[5u8; 1000]).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let opts = FetchOptions {
            read_timeout: Duration::from_millis(300),
            ..quick()
        };
        let err = fetch(&format!("{base}/stall.safetensors"), tmp.path(), &opts, &())
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                FetchError::Net(NetError {
                    kind: NetKind::Timeout {
                        phase: "waiting for the next bytes",
                        ..
                    },
                    ..
                })
            ),
            "{err}"
        );
        assert!(listing(tmp.path()).is_empty());
        drop(upload);
    }

    #[tokio::test]
    async fn server_that_never_answers_hits_the_timeout() {
        let router = Router::new().route(
            "/speed.safetensors",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }),
        );
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let opts = FetchOptions {
            connect_timeout: Duration::from_millis(200),
            read_timeout: Duration::from_millis(300),
            ..FetchOptions::default()
        };
        let started = std::time::Instant::now();
        let err = fetch(&format!("{base}/speed.safetensors"), tmp.path(), &opts, &())
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                FetchError::Net(NetError {
                    kind: NetKind::Timeout { .. },
                    ..
                })
            ),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(listing(tmp.path()).is_empty());
    }

    #[tokio::test]
    async fn too_large_is_refused_before_and_during_the_download() {
        let router = Router::new()
            .route(
                "/known.safetensors",
                get(|| async { Bytes::from(vec![1u8; 10_000]) }),
            )
            .route(
                "/chunked.safetensors",
                get(|| async {
                    // No Content-Length: only counting can tell.
                    Body::from_stream(Body::from(vec![1u8; 10_000]).into_data_stream())
                }),
            );
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let opts = FetchOptions {
            max_bytes: 1000,
            ..quick()
        };
        let err = fetch(&format!("{base}/known.safetensors"), tmp.path(), &opts, &())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::TooLarge {
                    size_bytes: Some(10_000),
                    ..
                }
            ),
            "{err}"
        );
        assert!(listing(tmp.path()).is_empty());
        let err = fetch(
            &format!("{base}/chunked.safetensors"),
            tmp.path(),
            &opts,
            &(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::TooLarge {
                    size_bytes: None,
                    ..
                }
            ),
            "{err}"
        );
        assert!(listing(tmp.path()).is_empty());
    }

    /// Cancels once the first bytes have been reported.
    struct CancelAfterFirstBytes(AtomicUsize);

    impl Progress for CancelAfterFirstBytes {
        fn report(&self, fraction: f32, _message: &str) {
            if fraction > 0.0 {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }

        fn is_cancelled(&self) -> bool {
            self.0.load(Ordering::SeqCst) > 0
        }
    }

    #[tokio::test]
    async fn cancel_stops_the_download_and_removes_the_part_file() {
        let router = Router::new().route(
            "/big.safetensors",
            get(|| async { Bytes::from(vec![3u8; 4 << 20]) }),
        );
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let err = fetch(
            &format!("{base}/big.safetensors"),
            tmp.path(),
            &quick(),
            &CancelAfterFirstBytes(AtomicUsize::new(0)),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, FetchError::Cancelled { .. }), "{err}");
        assert!(listing(tmp.path()).is_empty());
    }

    #[tokio::test]
    async fn server_error_status_is_reported_with_its_message() {
        let router = Router::new().route(
            "/gone.safetensors",
            get(|| async { (axum::http::StatusCode::NOT_FOUND, "no such file here") }),
        );
        let base = serve(router).await;
        let tmp = tempfile::tempdir().unwrap();
        let err = fetch(
            &format!("{base}/gone.safetensors"),
            tmp.path(),
            &quick(),
            &(),
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(&err, FetchError::Net(e) if e.status() == Some(404)),
            "{text}"
        );
        assert!(text.contains("no such file here"), "{text}");
        assert!(listing(tmp.path()).is_empty());
    }

    #[test]
    fn checksums_and_file_names_are_validated() {
        let hex = "AB".repeat(32);
        assert_eq!(
            parse_sha256(&format!("sha256:{hex}")),
            Some("ab".repeat(32))
        );
        assert_eq!(parse_sha256("abc"), None);
        assert!(name_problem("speed.safetensors").is_none());
        for bad in ["", "..", "../x", "a/b", "a\\b", ".hidden", "c:x"] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
        let url = Url::parse("https://h.example/a/b/card.json?x=1").unwrap();
        assert_eq!(
            sibling_url(&url, "w 1.safetensors").unwrap().as_str(),
            "https://h.example/a/b/w%201.safetensors"
        );
        assert_eq!(
            url_file_name(&Url::parse("https://h.example/a/my%20model.json").unwrap()),
            Ok("my model.json".to_owned())
        );
    }
}
