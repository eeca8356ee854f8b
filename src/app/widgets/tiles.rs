//! Raster basemap tiles from an XYZ URL template
//! (`https://tiles.example.org/{z}/{x}/{y}.png`), for the map widget
//! (walkers draws them as egui meshes; this module is its `Tiles`).
//!
//! Why not walkers' own `HttpTiles`: it cannot tell a tile that failed from
//! one still loading (a 404 would leave a blank map without a word), and
//! its disk cache has no size bound. Here each tile is fetched on the app's
//! I/O runtime with a User-Agent naming cityops and timeouts, written to a
//! disk cache (`<cache>/tiles/<template hash>/<z>/<x>/<y>`, atomically,
//! oldest files pruned beyond [`MAX_CACHE_BYTES`]) and read from it first,
//! so a map seen once works offline. Failures are counted and the latest
//! is kept for the map to show. Plain `http://` is refused unless the host
//! is this machine or the user allowed it.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use walkers::{Tile, TileId, TilePiece, Tiles};

/// The disk cache's bound for all basemaps together.
pub const MAX_CACHE_BYTES: u64 = 512 * 1024 * 1024;
/// Tiles kept as textures (about 64 MB of 256 × 256 RGBA).
const MAX_TEXTURES: usize = 256;
/// Downloads at once (tile servers' usage policies ask for few).
const MAX_PARALLEL: usize = 4;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(15);
/// The largest tile accepted (a 512 px PNG is well under this).
pub(crate) const MAX_TILE_BYTES: usize = 4 * 1024 * 1024;

/// The tiles' folder in the cache folder, or `None` without a home.
pub fn default_cache_dir() -> Option<PathBuf> {
    crate::text::sentence::EmbeddingCache::default_dir().map(|d| d.join("tiles"))
}

/// A template's problem, before anything is fetched.
pub fn check_template(template: &str, allow_http: bool) -> Result<(), String> {
    if is_pmtiles(template) {
        // Only whether it is there: the archive itself is read off the UI
        // thread, with the first tile (a broken one is then said).
        return if Path::new(template.trim()).is_file() {
            Ok(())
        } else {
            Err(format!("{template}: there is no such .pmtiles file"))
        };
    }
    for p in ["{z}", "{x}", "{y}"] {
        if !template.contains(p) {
            return Err(format!(
                "the tile URL template must contain {{z}}, {{x}} and {{y}} (it lacks {p}), e.g. https://tile.example.org/{{z}}/{{x}}/{{y}}.png"
            ));
        }
    }
    let url = reqwest::Url::parse(&fill(
        template,
        TileId {
            x: 0,
            y: 0,
            zoom: 0,
        },
    ))
    .map_err(|e| format!("'{template}' is not a URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if !crate::models::remote::is_insecure_http(&url, allow_http) => Ok(()),
        "http" => Err(format!(
            "'{template}' is plain http: tiles would cross the network unencrypted. Use https, or allow http (--allow-http) for a server you trust."
        )),
        other => Err(format!(
            "'{template}': the scheme '{other}' is not http or https"
        )),
    }
}

/// The URL of one tile.
pub fn fill(template: &str, id: TileId) -> String {
    template
        .replace("{z}", &id.zoom.to_string())
        .replace("{x}", &id.x.to_string())
        .replace("{y}", &id.y.to_string())
}

/// The cache folder of one template: a hash of it, so two servers never mix.
fn template_dir(cache: &Path, template: &str) -> PathBuf {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(template.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    cache.join(hex)
}

fn tile_path(dir: &Path, id: TileId) -> PathBuf {
    dir.join(id.zoom.to_string())
        .join(id.x.to_string())
        .join(id.y.to_string())
}

/// One tile's bytes: from the cache, else from the server (then cached).
/// The error says what failed and where.
pub async fn fetch_tile(
    client: &reqwest::Client,
    template: &str,
    cache: Option<&Path>,
    id: TileId,
) -> Result<Vec<u8>, String> {
    let path = cache.map(|c| tile_path(&template_dir(c, template), id));
    if let Some(p) = &path
        && let Ok(bytes) = tokio::fs::read(p).await
    {
        return Ok(bytes);
    }
    let url = fill(template, id);
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", crate::models::net::net_failure(&e).1))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url}: the server answered {status}"));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_TILE_BYTES as u64)
    {
        return Err(format!(
            "{url}: the tile is larger than {MAX_TILE_BYTES} bytes"
        ));
    }
    let bytes = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    if bytes.len() > MAX_TILE_BYTES {
        return Err(format!(
            "{url}: the tile is larger than {MAX_TILE_BYTES} bytes"
        ));
    }
    if let Some(p) = &path {
        // Cache failures only cost a download next time.
        let _ = write_atomically(p, &bytes).await;
    }
    Ok(bytes.to_vec())
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir).await?;
    let tmp = path.with_extension(format!("part{}", std::process::id()));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}

/// Deletes the oldest cached tiles until the cache holds at most
/// `max_bytes`; returns the bytes left.
pub fn prune_cache(cache: &Path, max_bytes: u64) -> u64 {
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = Vec::new();
    let mut stack = vec![cache.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else if meta.is_file() {
                let t = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
                files.push((t, meta.len(), e.path()));
            }
        }
    }
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, len, path) in files {
        if total <= max_bytes {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
    total
}

enum State {
    Loading,
    Ready(Tile),
    Failed,
}

/// The encoded bytes of the tiles loaded lately, of every template, kept
/// in memory so that an offscreen context showing the same map (a PNG
/// export of the view) makes its textures at once instead of waiting for
/// the disk or the network: at most [`RECENT_BYTES`], oldest out first.
#[derive(Default)]
struct Recent {
    bytes: HashMap<(String, TileId), Arc<Vec<u8>>>,
    order: VecDeque<(String, TileId)>,
    total: usize,
}

/// What [`Recent`] holds at most (a few hundred PNG tiles).
const RECENT_BYTES: usize = 32 * 1024 * 1024;

fn recent() -> std::sync::MutexGuard<'static, Recent> {
    static RECENT: std::sync::OnceLock<Mutex<Recent>> = std::sync::OnceLock::new();
    RECENT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

impl Recent {
    fn keep(&mut self, template: &str, id: TileId, bytes: Arc<Vec<u8>>) {
        let key = (template.to_owned(), id);
        self.total += bytes.len();
        if let Some(old) = self.bytes.insert(key.clone(), bytes) {
            self.total -= old.len();
        } else {
            self.order.push_back(key);
        }
        while self.total > RECENT_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(b) = self.bytes.remove(&old) {
                self.total -= b.len();
            }
        }
    }
}

#[derive(Default)]
struct Shared {
    tiles: HashMap<TileId, State>,
    /// Ready tiles, oldest first (evicted beyond [`MAX_TEXTURES`]).
    order: VecDeque<TileId>,
    failed: usize,
    last_error: Option<String>,
}

impl Shared {
    /// A tile made: kept as a texture, the oldest dropped beyond
    /// [`MAX_TEXTURES`].
    fn ready(&mut self, id: TileId, tile: Tile) {
        self.tiles.insert(id, State::Ready(tile));
        self.order.push_back(id);
        while self.order.len() > MAX_TEXTURES {
            if let Some(old) = self.order.pop_front() {
                self.tiles.remove(&old);
            }
        }
    }
}

/// How the basemap's tiles are doing, for the line under the map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TileStatus {
    pub loading: usize,
    pub failed: usize,
    pub last_error: Option<String>,
}

/// The tiles of `template`, shared by every map that shows it (one
/// download and one texture per tile); `None` when the template is refused
/// (the map then says why through [`check_template`]).
pub fn shared(template: &str, ctx: &egui::Context) -> Option<XyzTiles> {
    /// Stores kept per template: the window's context and a few offscreen
    /// ones (PNG export, the command line), newest last.
    const PER_TEMPLATE: usize = 4;
    type Stores = HashMap<String, Vec<XyzTiles>>;
    static STORES: std::sync::OnceLock<Mutex<Stores>> = std::sync::OnceLock::new();
    check_template(template, http_allowed(template)).ok()?;
    let mut stores = STORES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let list = stores.entry(template.to_owned()).or_default();
    // Textures belong to the context that made them.
    if let Some(t) = list.iter().find(|t| &t.ctx == ctx) {
        return Some(t.clone());
    }
    let cache = default_cache_dir();
    if list.is_empty()
        && let Some(c) = &cache
    {
        // Once per template and run: keep the cache within its bound.
        let c = c.clone();
        let _ = std::thread::Builder::new()
            .name("tile-cache-prune".to_owned())
            .spawn(move || prune_cache(&c, MAX_CACHE_BYTES));
    }
    let t = XyzTiles::new(template.to_owned(), cache, ctx.clone());
    list.push(t.clone());
    if list.len() > PER_TEMPLATE {
        list.remove(0);
    }
    Some(t)
}

static HTTP_ALLOWED: std::sync::OnceLock<Mutex<Vec<String>>> = std::sync::OnceLock::new();

/// Lets [`shared`] fetch this template over plain http from another
/// machine (the command line's `--allow-http`).
pub fn allow_http_for(template: &str) {
    HTTP_ALLOWED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(template.to_owned());
}

fn http_allowed(template: &str) -> bool {
    HTTP_ALLOWED.get().is_some_and(|l| {
        l.lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|t| t == template)
    })
}

/// Whether a basemap is a local PMTiles archive (a path ending in
/// `.pmtiles`) rather than a URL template.
pub fn is_pmtiles(template: &str) -> bool {
    let t = template.trim();
    !t.contains("://") && t.to_ascii_lowercase().ends_with(".pmtiles")
}

/// Tiles of one XYZ template (or one local PMTiles archive), loaded in the
/// background. Clones share the tiles.
#[derive(Clone)]
pub struct XyzTiles {
    template: String,
    cache: Option<PathBuf>,
    client: Option<reqwest::Client>,
    ctx: egui::Context,
    shared: Arc<Mutex<Shared>>,
    permits: Arc<tokio::sync::Semaphore>,
    /// The archive, when the template is a `.pmtiles` file: opened with
    /// the first tile, off the UI thread (read from disk, never cached).
    archive: Option<Arc<std::sync::OnceLock<Result<super::pmtiles::Archive, String>>>>,
}

impl XyzTiles {
    pub fn new(template: String, cache: Option<PathBuf>, ctx: egui::Context) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .user_agent(concat!(
                "cityops/",
                env!("CARGO_PKG_VERSION"),
                " (city operations dashboard)"
            ))
            .build()
            .ok();
        let archive = is_pmtiles(&template).then(Arc::default);
        Self {
            template,
            cache,
            client,
            ctx,
            shared: Arc::default(),
            permits: Arc::new(tokio::sync::Semaphore::new(MAX_PARALLEL)),
            archive,
        }
    }

    pub fn template(&self) -> &str {
        &self.template
    }

    pub fn status(&self) -> TileStatus {
        let s = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        TileStatus {
            loading: s
                .tiles
                .values()
                .filter(|t| matches!(t, State::Loading))
                .count(),
            failed: s.failed,
            last_error: s.last_error.clone(),
        }
    }

    fn start(&self, id: TileId) {
        let Some(client) = self.client.clone() else {
            let mut s = self.shared.lock().unwrap_or_else(|e| e.into_inner());
            s.tiles.insert(id, State::Failed);
            s.failed += 1;
            s.last_error = Some("the HTTP client could not be set up".to_owned());
            return;
        };
        let Ok(rt) = crate::jobs::runtime() else {
            return;
        };
        let (template, cache) = (self.template.clone(), self.cache.clone());
        let (ctx, shared, permits) = (
            self.ctx.clone(),
            Arc::clone(&self.shared),
            Arc::clone(&self.permits),
        );
        let archive = self.archive.clone();
        rt.spawn(async move {
            let _permit = permits.acquire().await;
            let fetched = match archive {
                Some(cell) => {
                    let path = PathBuf::from(template.trim());
                    tokio::task::spawn_blocking(move || {
                        let opened = cell.get_or_init(|| super::pmtiles::Archive::open(&path));
                        match opened
                            .as_ref()
                            .map_err(Clone::clone)?
                            .tile(id.zoom, id.x, id.y)
                        {
                            Ok(Some(bytes)) => Ok(bytes),
                            Ok(None) => Err(format!(
                                "the archive has no tile {}/{}/{}",
                                id.zoom, id.x, id.y
                            )),
                            Err(e) => Err(e),
                        }
                    })
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()))
                }
                None => fetch_tile(&client, &template, cache.as_deref(), id).await,
            };
            let result = fetched.and_then(|bytes| {
                let tile = Tile::new(&bytes, &walkers::Style, id.zoom, 256, &ctx)
                    .map_err(|e| format!("{}: not an image: {e}", fill(&template, id)))?;
                recent().keep(&template, id, Arc::new(bytes));
                Ok(tile)
            });
            let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(tile) => s.ready(id, tile),
                Err(e) => {
                    s.tiles.insert(id, State::Failed);
                    s.failed += 1;
                    s.last_error = Some(e);
                }
            }
            drop(s);
            ctx.request_repaint();
        });
    }
}

impl Tiles for XyzTiles {
    fn at(&mut self, id: TileId) -> Option<TilePiece> {
        let mut s = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        match s.tiles.get(&id) {
            Some(State::Ready(t)) => Some(TilePiece::new(
                t.clone(),
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
            )),
            Some(State::Loading | State::Failed) => None,
            None => {
                // Drawing offscreen (a PNG export of the window), a tile the
                // window loaded lately is made here at once; the window
                // itself never decodes on its frame.
                let bytes = crate::app::png_export::is_offscreen(&self.ctx)
                    .then(|| recent().bytes.get(&(self.template.clone(), id)).cloned())
                    .flatten();
                if let Some(tile) =
                    bytes.and_then(|b| Tile::new(&b, &walkers::Style, id.zoom, 256, &self.ctx).ok())
                {
                    s.ready(id, tile.clone());
                    return Some(TilePiece::new(
                        tile,
                        egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                    ));
                }
                s.tiles.insert(id, State::Loading);
                drop(s);
                self.start(id);
                None
            }
        }
    }

    fn attribution(&self) -> walkers::sources::Attribution {
        // The map draws the user's attribution text itself.
        walkers::sources::Attribution {
            text: "",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }

    fn stats(&self) -> walkers::Stats {
        walkers::Stats {
            in_progress: self.status().loading,
        }
    }
}
