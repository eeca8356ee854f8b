//! A BERT-family sentence encoder (all-MiniLM-L6-v2 and its kin): a model
//! folder in the Hugging Face layout (`config.json`, `tokenizer.json`,
//! `model.safetensors`, optionally `sentence_bert_config.json` for the
//! maximum sequence length) is checked and loaded; texts are tokenised with
//! truncation, run through the encoder in batches on the CPU, mean-pooled
//! over their tokens and scaled to unit length — the sentence-transformers
//! recipe for these models.
//!
//! The config is candle-transformers' BERT config; the forward pass is
//! [`super::bert`], a CPU layout of the same network (packed texts instead
//! of padding, one thread per share of a batch, vectorised GELU and
//! softmax) that the tests hold to candle-transformers' `BertModel` and the
//! MiniLM check to sentence-transformers. It is 2.4× faster than running
//! `BertModel` itself (README, Speed).
//!
//! The `tokenizers` crate is built without its C dependencies (oniguruma,
//! esaxx): BERT's WordPiece tokenizer needs neither, and its regex support
//! comes from the pure-Rust `fancy-regex`.
//!
//! [`EmbeddingCache`] keeps every encoded text on disk, keyed by the text's
//! SHA-256 under a key of the model's files, so re-opening a dataset does
//! not encode it again.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use candle_core::Device;
use candle_transformers::models::bert::Config;
use sha2::{Digest, Sha256};
use tokenizers::TruncationParams;

use super::TextError;
use super::bert::{Bert, Tokens};
use crate::data::Progress;
use crate::data::file::{open_regular, read_regular};

/// Texts per forward pass.
pub const DEFAULT_BATCH: usize = 32;

/// The files a model folder must have.
pub const REQUIRED_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// A loaded sentence encoder.
pub struct SentenceEncoder {
    model: Bert,
    tokenizer: tokenizers::Tokenizer,
    config: Config,
    max_len: usize,
    folder: PathBuf,
    /// Hex SHA-256 over the folder's three files: the model's identity.
    id: String,
}

impl std::fmt::Debug for SentenceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentenceEncoder")
            .field("folder", &self.folder)
            .field("dim", &self.config.hidden_size)
            .field("layers", &self.config.num_hidden_layers)
            .field("max_len", &self.max_len)
            .finish()
    }
}

fn model_error(folder: &Path, message: impl Into<String>) -> TextError {
    TextError::Model {
        folder: folder.display().to_string(),
        message: message.into(),
    }
}

impl SentenceEncoder {
    /// Loads and checks a model folder. Each missing or malformed part is
    /// named: the file, and what is wrong with it.
    pub fn load(folder: &Path) -> Result<Self, TextError> {
        if !folder.is_dir() {
            return Err(model_error(
                folder,
                "is not a folder; choose the folder that holds config.json, tokenizer.json and model.safetensors",
            ));
        }
        let missing: Vec<&str> = REQUIRED_FILES
            .into_iter()
            .filter(|f| !folder.join(f).exists())
            .collect();
        if !missing.is_empty() {
            return Err(model_error(
                folder,
                format!(
                    "has no {} (a sentence-encoder folder holds config.json, tokenizer.json and model.safetensors, as published on Hugging Face)",
                    missing.join(", ")
                ),
            ));
        }
        // Only regular files, each through its bound: a FIFO or a device
        // named model.safetensors must not block or fill memory.
        let read = |name: &str, max_bytes: u64| {
            read_regular(&folder.join(name), max_bytes)
                .map_err(|e| model_error(folder, format!("{name}: {e}")))
        };
        let config_bytes = read("config.json", MAX_CONFIG_BYTES)?;
        let config = parse_config(&config_bytes).map_err(|e| {
            // Syntax errors have a place; a missing or mistyped field does
            // not (the file is read as JSON first), and its message names it.
            let place = if e.line() > 0 {
                format!(" line {} column {}", e.line(), e.column())
            } else {
                String::new()
            };
            model_error(
                folder,
                format!(
                    "config.json{place}: {e} (a BERT config with hidden_size, num_hidden_layers, num_attention_heads, … is expected)"
                ),
            )
        })?;
        // Every size is checked against fixed maxima and against what the
        // weights file could hold before anything is reserved from it.
        let (_, weights_len) = open_regular(&folder.join("model.safetensors"))
            .map_err(|e| model_error(folder, format!("model.safetensors: {e}")))?;
        check_config_sizes(&config, weights_len)
            .map_err(|message| model_error(folder, format!("config.json: {message}")))?;
        if config.hidden_size == 0
            || config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(model_error(
                folder,
                format!(
                    "config.json: hidden_size {} is not a positive multiple of num_attention_heads {}",
                    config.hidden_size, config.num_attention_heads
                ),
            ));
        }
        let tokenizer_bytes = read("tokenizer.json", MAX_TOKENIZER_BYTES)?;
        let mut tokenizer = tokenizers::Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| model_error(folder, format!("tokenizer.json cannot be read: {e}")))?;
        let vocab = tokenizer.get_vocab_size(true);
        if vocab > config.vocab_size {
            return Err(model_error(
                folder,
                format!(
                    "tokenizer.json has {vocab} tokens but config.json's vocab_size is {}: they belong to different models",
                    config.vocab_size
                ),
            ));
        }
        // sentence-transformers' limit when given, else the model's.
        let max_len = read_regular(&folder.join("sentence_bert_config.json"), MAX_CONFIG_BYTES)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("max_seq_length")?.as_u64())
            .map_or(config.max_position_embeddings, |n| n as usize)
            .clamp(2, config.max_position_embeddings.max(2));
        // Texts are packed, not padded (see `text::bert`).
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..TruncationParams::default()
            }))
            .map_err(|e| model_error(folder, format!("tokenizer.json: {e}")))?;
        let weights_bytes = read("model.safetensors", MAX_WEIGHTS_BYTES)?;
        let tensors = candle_core::safetensors::load_buffer(&weights_bytes, &Device::Cpu)
            .map_err(|e| model_error(folder, format!("model.safetensors cannot be read: {e}")))?;
        let model = Bert::from_tensors(&tensors, &config).map_err(|e| {
            model_error(
                folder,
                format!(
                    "model.safetensors does not match config.json ({e}); the weights must be a BERT encoder of the configured sizes"
                ),
            )
        })?;
        let mut h = Sha256::new();
        for bytes in [&config_bytes, &tokenizer_bytes, &weights_bytes] {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        let id = hex(&h.finalize());
        Ok(Self {
            model,
            tokenizer,
            config,
            max_len,
            folder: folder.to_owned(),
            id,
        })
    }

    /// The number of values per embedding.
    pub fn dim(&self) -> usize {
        self.config.hidden_size
    }

    pub fn layers(&self) -> usize {
        self.config.num_hidden_layers
    }

    /// Tokens per text after truncation.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The model's identity: a SHA-256 (hex) over its three files.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// A short name: the folder's, or its parent's when the folder has a
    /// generic name (`model`, as Python packages ship it).
    pub fn name(&self) -> String {
        let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
        match name(&self.folder) {
            Some(n) if !matches!(n.as_str(), "model" | "models" | "snapshot") => n,
            _ => self
                .folder
                .parent()
                .and_then(name)
                .unwrap_or_else(|| "sentence encoder".to_owned()),
        }
    }

    /// One unit-length embedding per text, flattened (`texts.len() × dim`),
    /// in batches of `batch` with progress and cancel between batches.
    pub fn encode(
        &self,
        texts: &[String],
        batch: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<f32>, TextError> {
        self.encode_counting(texts, batch, progress).map(|(v, _)| v)
    }

    /// [`Self::encode`], also counting the tokens the encoder saw (special
    /// tokens included, padding not).
    pub fn encode_counting(
        &self,
        texts: &[String],
        batch: usize,
        progress: &dyn Progress,
    ) -> Result<(Vec<f32>, usize), TextError> {
        let dim = self.dim();
        // Batches of texts of about the same length pad little: encode in
        // order of length (longest first, as sentence-transformers does) and
        // put the rows back in the caller's order.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(texts.get(i).map_or(0, String::len)));
        let mut tokens = 0;
        let mut out = vec![0.0f32; texts.len() * dim];
        for (b, idx) in order.chunks(batch.max(1)).enumerate() {
            if progress.is_cancelled() {
                return Err(TextError::Cancelled);
            }
            let done = b * batch.max(1);
            progress.report(
                done as f32 / texts.len().max(1) as f32,
                &format!("Encoding sentences: {done} of {}", texts.len()),
            );
            let chunk: Vec<String> = idx.iter().filter_map(|&i| texts.get(i).cloned()).collect();
            let (v, t) = self.encode_batch(&chunk)?;
            for (&i, row) in idx.iter().zip(v.chunks_exact(dim)) {
                if let Some(slot) = out.get_mut(i * dim..(i + 1) * dim) {
                    slot.copy_from_slice(row);
                }
            }
            tokens += t;
        }
        Ok((out, tokens))
    }

    fn encode_batch(&self, texts: &[String]) -> Result<(Vec<f32>, usize), TextError> {
        if texts.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.iter().map(String::as_str).collect::<Vec<_>>(), true)
            .map_err(|e| TextError::Shape(format!("tokenizing: {e}")))?;
        let texts: Vec<Tokens<'_>> = encodings
            .iter()
            .map(|e| Tokens {
                ids: e.get_ids(),
                types: e.get_type_ids(),
            })
            .collect();
        let tokens = texts.iter().map(|t| t.ids.len()).sum();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let rows = self
            .model
            .embed(&texts, threads)
            .map_err(|e| TextError::Shape(format!("sentence encoder: {e}")))?;
        Ok((rows, tokens))
    }
}

/// Largest config.json and sentence_bert_config.json read, in bytes.
const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Largest tokenizer.json read, in bytes.
const MAX_TOKENIZER_BYTES: u64 = 64 << 20;
/// Largest model.safetensors read, in bytes (BERT-large in f32 is 1.3 GB).
pub const MAX_WEIGHTS_BYTES: u64 = 4 << 30;

/// The sizes a config.json may give, each from 1 (0 for `type_vocab_size`)
/// to a fixed maximum far above every published BERT-family encoder.
fn size_limits(config: &Config) -> [(&'static str, usize, usize, usize); 7] {
    [
        ("hidden_size", config.hidden_size, 1, 8_192),
        ("num_hidden_layers", config.num_hidden_layers, 1, 256),
        ("num_attention_heads", config.num_attention_heads, 1, 256),
        ("intermediate_size", config.intermediate_size, 1, 65_536),
        ("vocab_size", config.vocab_size, 1, 1_000_000),
        (
            "max_position_embeddings",
            config.max_position_embeddings,
            1,
            65_536,
        ),
        ("type_vocab_size", config.type_vocab_size, 0, 1_024),
    ]
}

/// Checks the config's sizes against fixed maxima, and the parameters they
/// imply against the weights file's real length (at one byte a parameter,
/// the smallest type a safetensors file can hold), so that a config that
/// lies about its sizes is refused before any memory is reserved from it.
/// The message names the field.
fn check_config_sizes(config: &Config, weights_bytes: u64) -> Result<(), String> {
    for (field, value, min, max) in size_limits(config) {
        if value < min || value > max {
            return Err(format!(
                "{field} is {value}, outside {min}..={max}; the file is damaged or not a BERT config"
            ));
        }
    }
    let h = config.hidden_size as u128;
    let per_layer = 4 * h * h + 2 * h * config.intermediate_size as u128 + 9 * h;
    let embeddings =
        (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) as u128 * h;
    let parameters = embeddings + config.num_hidden_layers as u128 * per_layer;
    if parameters > u128::from(weights_bytes) {
        return Err(format!(
            "hidden_size {}, num_hidden_layers {}, intermediate_size {} and vocab_size {} make {parameters} parameters, but model.safetensors has only {weights_bytes} bytes; the config belongs to another model",
            config.hidden_size,
            config.num_hidden_layers,
            config.intermediate_size,
            config.vocab_size
        ));
    }
    Ok(())
}

/// A BERT `config.json`. Hugging Face names the tanh form of GELU
/// `gelu_new`, `gelu_pytorch_tanh` or `gelu_fast`; candle's config knows it
/// as `geluapproximate`, so those names are mapped first.
fn parse_config(bytes: &[u8]) -> Result<Config, serde_json::Error> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
    if let Some(act) = value.get_mut("hidden_act")
        && matches!(
            act.as_str(),
            Some("gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" | "gelu_approximate")
        )
    {
        *act = serde_json::Value::from("geluapproximate");
    }
    serde_json::from_value(value)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A disk cache of embeddings for one model: `DIR/embeddings-MODELID.bin`,
/// a header (`cityops-embeddings 1`, the dimension) and then records of a
/// 16-byte text key (the first half of the text's SHA-256) and `dim`
/// little-endian f32 values. New records are appended; a record cut short
/// (the app killed mid-write) is ignored on the next load.
pub struct EmbeddingCache {
    path: PathBuf,
    dim: usize,
    map: HashMap<[u8; 16], Vec<f32>>,
}

const CACHE_MAGIC: &[u8; 20] = b"cityops-embeddings 1";

fn text_key(text: &str) -> [u8; 16] {
    let d = Sha256::digest(text.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

impl EmbeddingCache {
    /// The cache folder: `CITYOPS_CACHE_DIR`, else `$XDG_CACHE_HOME/cityops`,
    /// else `~/.cache/cityops` (`%LOCALAPPDATA%\cityops` on Windows).
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("CITYOPS_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(PathBuf::from(d).join("cityops"));
        }
        if let Some(d) = std::env::var_os("LOCALAPPDATA") {
            return Some(PathBuf::from(d).join("cityops"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("cityops"))
    }

    /// Opens (or starts) the cache of model `model_id` in `dir`. A file that
    /// is not a cache of this dimension is set aside and started afresh.
    pub fn open(dir: &Path, model_id: &str, dim: usize) -> Result<Self, TextError> {
        let id: String = model_id.chars().take(32).collect();
        let path = dir.join(format!("embeddings-{id}.bin"));
        let mut map = HashMap::new();
        if let Ok(mut f) = std::fs::File::open(&path) {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).map_err(|e| {
                TextError::io(&path.display().to_string(), &e, "Check the cache folder.")
            })?;
            let header = CACHE_MAGIC.len() + 4;
            let ok = bytes.len() >= header
                && bytes.starts_with(CACHE_MAGIC)
                && bytes
                    .get(CACHE_MAGIC.len()..header)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_le_bytes)
                    == Some(dim as u32);
            if ok {
                let record = 16 + 4 * dim;
                let whole = (bytes.len() - header) / record * record + header;
                if whole < bytes.len() {
                    // Drop the cut record so new ones line up after the last whole one.
                    let _ = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .and_then(|f| f.set_len(whole as u64));
                }
                for rec in bytes[header..whole].chunks_exact(record) {
                    let mut k = [0u8; 16];
                    k.copy_from_slice(&rec[..16]);
                    let v = rec[16..]
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect();
                    map.insert(k, v);
                }
            } else {
                // Not ours: start afresh rather than fail.
                let _ = std::fs::remove_file(&path);
            }
        }
        Ok(Self { path, dim, map })
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, text: &str) -> Option<&[f32]> {
        self.map.get(&text_key(text)).map(Vec::as_slice)
    }

    /// Adds embeddings (one row of `dim` per text) and appends them to the file.
    pub fn insert(&mut self, texts: &[String], rows: &[f32]) -> Result<(), TextError> {
        let name = self.path.display().to_string();
        let io = |e: std::io::Error| TextError::io(&name, &e, "Check the cache folder.");
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let fresh = !self.path.is_file();
        let mut buf = Vec::new();
        if fresh {
            buf.extend_from_slice(CACHE_MAGIC);
            buf.extend_from_slice(&(self.dim as u32).to_le_bytes());
        }
        for (t, row) in texts.iter().zip(rows.chunks_exact(self.dim.max(1))) {
            let k = text_key(t);
            if self.map.contains_key(&k) {
                continue;
            }
            buf.extend_from_slice(&k);
            for x in row {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            self.map.insert(k, row.to_vec());
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        f.write_all(&buf).map_err(io)?;
        f.flush().map_err(io)
    }
}

/// Encodes `texts` with `encoder`, taking what `cache` already has and
/// adding what it had not. Returns the flattened unit vectors and how many
/// texts came from the cache.
pub fn encode_cached(
    encoder: &SentenceEncoder,
    cache: &mut EmbeddingCache,
    texts: &[String],
    progress: &dyn Progress,
) -> Result<(Vec<f32>, usize), TextError> {
    let dim = encoder.dim();
    let todo: Vec<String> = {
        let mut seen = std::collections::HashSet::new();
        texts
            .iter()
            .filter(|t| cache.get(t).is_none() && seen.insert(t.as_str()))
            .cloned()
            .collect()
    };
    let hits = texts.len() - texts.iter().filter(|t| cache.get(t).is_none()).count();
    // Encode in slices so the cache grows as the work goes (a cancel keeps
    // what was done).
    for (i, slice) in todo.chunks(DEFAULT_BATCH * 8).enumerate() {
        let sub = ScaledProgress {
            inner: progress,
            start: (i * DEFAULT_BATCH * 8) as f32 / todo.len().max(1) as f32,
            span: slice.len() as f32 / todo.len().max(1) as f32,
        };
        let rows = encoder.encode(slice, DEFAULT_BATCH, &sub)?;
        cache.insert(slice, &rows)?;
    }
    let mut out = Vec::with_capacity(texts.len() * dim);
    for t in texts {
        match cache.get(t) {
            Some(v) => out.extend_from_slice(v),
            None => out.extend(std::iter::repeat_n(0.0, dim)),
        }
    }
    Ok((out, hits))
}

/// Progress of a part of a job.
struct ScaledProgress<'a> {
    inner: &'a dyn Progress,
    start: f32,
    span: f32,
}

impl Progress for ScaledProgress<'_> {
    fn report(&self, fraction: f32, message: &str) {
        self.inner
            .report(self.start + fraction * self.span, message);
    }

    fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}
