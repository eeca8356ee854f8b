//! word2vec training and the word-vector table it produces.
//!
//! [`train`] follows Mikolov et al.'s reference `word2vec.c` (and gensim):
//! - a vocabulary of the words seen at least `min_count` times, sorted by
//!   count (descending, ties by word), optionally cut to `max_vocab`;
//! - frequent-word subsampling: a word with count `c` among `T` training
//!   words is kept with probability `(sqrt(c / (s T)) + 1) · s T / c`;
//! - negative samples drawn in proportion to `count^0.75` (with Walker's
//!   alias method: one 8-byte slot per word, which stays in the CPU cache,
//!   where a table of millions of entries like the reference's misses it on
//!   nearly every draw);
//! - skip-gram (each context word predicts the centre word) or CBOW (the
//!   mean of the context predicts the centre word), both with negative
//!   sampling, a dynamic window (a random reach `1..=window` per word) and a
//!   learning rate that falls linearly from `alpha` to `min_alpha` over all
//!   words of all epochs;
//! - a 1000-entry sigmoid table over [-6, 6], as in the reference.
//!
//! Documents are split into sentences of at most 1000 words (the reference
//! tool's limit); the context window never crosses a document or sentence
//! boundary. Threads share the two weight matrices Hogwild-style: each
//! thread trains on its own contiguous share of the sentences (balanced by
//! word count) with its own [`Rng`] (seed + thread index), and reads and
//! writes the weights without locks. With one thread the result depends
//! only on the inputs and the seed.
//!
//! # Shared weights without data races
//!
//! `word2vec.c` and gensim let the threads read and write plain floats at
//! the same time. In Rust that is a data race, which is undefined behaviour
//! however harmless it looks, so the weights live in `AtomicU64` cells, the
//! bits of two f32 per cell (`SharedMatrix`), read and written with
//! `Relaxed` loads and stores: on x86-64 and ARM64 these compile to the same
//! plain 8-byte moves as ordinary memory, without fences or locked
//! instructions. Atomics cannot be vectorised, so a worker moves a whole row
//! at a time into a buffer of its own, does the arithmetic there on plain
//! `f32` slices (dot product and `y += a·x`, which the compiler turns into
//! SSE2 code), and writes the row back once. Two threads updating the same
//! row at once may lose one of the updates: the Hogwild bargain word2vec has
//! always made (the reference implementation loses updates the same way),
//! which in practice does not measurably hurt quality. The copies cost some
//! speed: racing on plain floats through raw pointers (possible only with
//! `unsafe`) took about a quarter less CPU time when we measured it, a price
//! we pay to stay within the language's rules.
//!
//! # Speed
//!
//! Every example reads and writes about seven rows (the input row, the
//! centre word's and five negatives' output rows), and with a vocabulary of
//! tens of thousands of words most negatives' rows are not in the L1/L2
//! caches. So the examples of a sentence are listed first, the next
//! example's negatives are drawn while the current one trains, and the rows
//! it will need are prefetched (`prefetch`, the module's only `unsafe`: a
//! cache hint, which cannot fault, read into the program or write
//! anything). The arithmetic is plain Rust that the compiler vectorises for
//! baseline x86-64 (SSE2); nothing depends on the build machine's CPU. With
//! the alias sampler and the row buffers this made training about 3× (skip-
//! gram) and 2.4× (CBOW) faster than the first version, which did the
//! arithmetic one atomic value at a time, and about 1.5× faster than gensim
//! on the same corpus at the same quality (README, `benches/word2vec.rs`).
//!
//! The calling thread watches the workers: every 100 ms it reports progress
//! ("epoch 2/5, 1.2M words/s, loss 2.31", the loss being the mean
//! negative-sampling loss per training example since the previous report)
//! and turns a cancel request into a stop flag the workers check after every
//! sentence.
//!
//! Uses `data` (progress, RNG), `std` and serde only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use super::TextError;
use crate::data::Progress;
use crate::data::rng::Rng;

/// Entries of the precomputed sigmoid table.
const SIGMOID_TABLE_SIZE: usize = 1000;
/// The sigmoid table covers `[-MAX_EXP, MAX_EXP]`; beyond it the gradient is
/// taken as saturated.
const MAX_EXP: f32 = 6.0;
/// Longest sentence the trainer sees; longer documents are cut.
const MAX_SENTENCE_WORDS: usize = 1000;
/// Largest vector dimension accepted (also the file readers' limit).
pub const MAX_DIM: usize = 10_000;
/// Largest context window, in words either side.
pub const MAX_WINDOW: usize = 1_000;
/// Most negative samples per positive example.
pub const MAX_NEGATIVE: usize = 1_000;
/// Most passes over the documents.
pub const MAX_EPOCHS: usize = 100_000;
/// Most worker threads (0 means every core).
pub const MAX_THREADS: usize = 1_024;
/// How often the watching thread reports and checks for cancel.
const REPORT_EVERY: Duration = Duration::from_millis(100);

/// word2vec training parameters. The defaults are the reference tool's
/// (skip-gram); [`W2vParams::cbow`] gives its CBOW defaults.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct W2vParams {
    /// Skip-gram when true, CBOW (mean of context vectors) when false.
    pub skip_gram: bool,
    /// Vector dimension, 1..=10 000.
    pub dim: usize,
    /// Largest distance between the centre word and a context word; each
    /// word draws its reach uniformly from `1..=window`.
    pub window: usize,
    /// Negative samples per positive example (at least 1).
    pub negative: usize,
    /// Words seen fewer times are left out of the vocabulary.
    pub min_count: usize,
    /// Subsampling threshold for frequent words; 0 turns it off.
    pub sample: f64,
    /// Starting learning rate (0.025 for skip-gram, 0.05 for CBOW).
    pub alpha: f32,
    /// Learning rate at the end of the last epoch.
    pub min_alpha: f32,
    /// Passes over the documents.
    pub epochs: usize,
    /// Worker threads; 0 means all cores.
    pub threads: usize,
    /// Seed of the initial vectors and of each thread's RNG (seed + thread).
    pub seed: u64,
    /// Keep at most this many of the most frequent words.
    pub max_vocab: Option<usize>,
}

impl Default for W2vParams {
    fn default() -> Self {
        Self {
            skip_gram: true,
            dim: 100,
            window: 5,
            negative: 5,
            min_count: 5,
            sample: 1e-3,
            alpha: 0.025,
            min_alpha: 1e-4,
            epochs: 5,
            threads: 0,
            seed: 1,
            max_vocab: None,
        }
    }
}

impl W2vParams {
    /// The reference CBOW defaults: as [`Default`] but CBOW with alpha 0.05.
    pub fn cbow() -> Self {
        Self {
            skip_gram: false,
            alpha: 0.05,
            ..Self::default()
        }
    }

    /// Checks that training with these parameters can work, the one rule
    /// for the command line, the dashboard and a bundle's saved
    /// parameters; the error names the field, its value and the values
    /// that work.
    pub fn validate(&self) -> Result<(), TextError> {
        let bad = |field: &'static str, value: String, allowed: String| {
            Err(TextError::InvalidParams {
                field,
                value,
                allowed,
            })
        };
        if !(1..=MAX_DIM).contains(&self.dim) {
            return bad(
                "dim",
                self.dim.to_string(),
                format!("a vector dimension from 1 to {MAX_DIM} (100 to 300 is usual)"),
            );
        }
        if !(1..=MAX_WINDOW).contains(&self.window) {
            return bad(
                "window",
                self.window.to_string(),
                format!("a context window from 1 to {MAX_WINDOW} words (5 is usual)"),
            );
        }
        if !(1..=MAX_NEGATIVE).contains(&self.negative) {
            return bad(
                "negative",
                self.negative.to_string(),
                format!(
                    "from 1 to {MAX_NEGATIVE} negative samples (only negative sampling is implemented; 5 is usual)"
                ),
            );
        }
        if !(1..=MAX_EPOCHS).contains(&self.epochs) {
            return bad(
                "epochs",
                self.epochs.to_string(),
                format!("from 1 to {MAX_EPOCHS} passes over the documents (5 is usual)"),
            );
        }
        if self.threads > MAX_THREADS {
            return bad(
                "threads",
                self.threads.to_string(),
                format!("from 0 (every core) to {MAX_THREADS} worker threads"),
            );
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return bad(
                "alpha",
                self.alpha.to_string(),
                "a positive learning rate (0.025 for skip-gram, 0.05 for CBOW)".to_owned(),
            );
        }
        if !(self.min_alpha.is_finite() && self.min_alpha >= 0.0 && self.min_alpha <= self.alpha) {
            return bad(
                "min_alpha",
                self.min_alpha.to_string(),
                format!("a final learning rate from 0 to alpha ({})", self.alpha),
            );
        }
        if !(self.sample.is_finite() && self.sample >= 0.0) {
            return bad(
                "sample",
                self.sample.to_string(),
                "a subsampling threshold of 0 (off) or a small positive number such as 1e-3"
                    .to_owned(),
            );
        }
        if self.max_vocab == Some(0) {
            return bad(
                "max_vocab",
                "0".to_owned(),
                "to leave it unset or keep at least one word".to_owned(),
            );
        }
        Ok(())
    }

    /// The number of threads `threads` stands for.
    pub fn resolved_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }
}

/// A table of word vectors: trained here or read from a word2vec file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WordVectors {
    /// The words, most frequent first when trained or read from a file.
    pub words: Vec<String>,
    /// Length of each vector.
    pub dim: usize,
    /// `words.len() × dim` values, row-major: word `i` is
    /// `vectors[i * dim..(i + 1) * dim]`.
    pub vectors: Vec<f32>,
    /// Training counts, parallel to `words`; 0 when unknown (read from a
    /// file).
    pub counts: Vec<u64>,
}

impl WordVectors {
    /// Vectors from their parts, checking that the sizes agree. `counts` may
    /// be empty (unknown): it is then filled with zeros.
    pub fn new(
        words: Vec<String>,
        dim: usize,
        vectors: Vec<f32>,
        mut counts: Vec<u64>,
    ) -> Result<Self, TextError> {
        if counts.is_empty() {
            counts = vec![0; words.len()];
        }
        let v = Self {
            words,
            dim,
            vectors,
            counts,
        };
        v.check_shape()?;
        Ok(v)
    }

    /// Checks that the dimension is positive and that `vectors` and `counts`
    /// match `words`; the error says which part is off.
    pub fn check_shape(&self) -> Result<(), TextError> {
        if self.dim == 0 {
            return Err(TextError::Shape(
                "the dimension is 0; word vectors need at least one component".into(),
            ));
        }
        let expected = self.words.len().checked_mul(self.dim);
        if expected != Some(self.vectors.len()) {
            return Err(TextError::Shape(format!(
                "{} words of dimension {} need {} values, but there are {}",
                self.words.len(),
                self.dim,
                self.words.len().saturating_mul(self.dim),
                self.vectors.len()
            )));
        }
        if self.counts.len() != self.words.len() {
            return Err(TextError::Shape(format!(
                "{} words but {} counts; give one count per word (0 when unknown)",
                self.words.len(),
                self.counts.len()
            )));
        }
        Ok(())
    }

    /// Row of `w`, or `None` for an unknown word. A linear scan over the
    /// words (the fields are public, so there is no index to keep in step);
    /// for many lookups build [`WordVectors::lookup`] once.
    pub fn index(&self, w: &str) -> Option<usize> {
        self.words.iter().position(|x| x == w)
    }

    /// A map from word to row, for many lookups. When a word occurs twice,
    /// the first (most frequent) row wins.
    pub fn lookup(&self) -> HashMap<&str, usize> {
        let mut map = HashMap::with_capacity(self.words.len());
        for (i, w) in self.words.iter().enumerate() {
            map.entry(w.as_str()).or_insert(i);
        }
        map
    }

    /// The vector of `w`, or `None` for an unknown word.
    pub fn vector(&self, w: &str) -> Option<&[f32]> {
        self.row(self.index(w)?)
    }

    /// The vector in row `index`, or `None` when out of range.
    pub fn row(&self, index: usize) -> Option<&[f32]> {
        let start = index.checked_mul(self.dim)?;
        self.vectors.get(start..start.checked_add(self.dim)?)
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The vectors scaled to unit length (rows of zeros stay zero), same
    /// layout as `vectors`.
    pub fn normalized(&self) -> Vec<f32> {
        let mut out = self.vectors.clone();
        if self.dim == 0 {
            return out;
        }
        for row in out.chunks_mut(self.dim) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|x| *x /= norm);
            }
        }
        out
    }
}

/// What a training run did.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainStats {
    /// Training words processed (vocabulary words read, before subsampling),
    /// all epochs and threads together.
    pub words: u64,
    /// Wall-clock seconds of the training passes (after the vocabulary).
    pub seconds: f64,
    /// `words / seconds`.
    pub words_per_sec: f64,
    /// Vocabulary size.
    pub vocab: usize,
    /// Mean negative-sampling loss per training example over the last epoch;
    /// `None` when no example was trained (e.g. only one-word documents).
    pub final_loss: Option<f64>,
}

/// Trains word vectors on `docs` (each already tokenised); see the module
/// docs for the algorithm. Errors: invalid parameters, no word reaching
/// `min_count` ([`TextError::Empty`]), a cancel request
/// ([`TextError::Cancelled`]).
pub fn train(
    docs: &[Vec<String>],
    params: &W2vParams,
    progress: &dyn Progress,
) -> Result<(WordVectors, TrainStats), TextError> {
    params.validate()?;
    progress.report(0.0, "building the vocabulary");
    let (words, counts) = build_vocab(docs, params, progress)?;
    let corpus = Corpus::new(docs, &words, progress)?;
    if corpus.words.is_empty() {
        return Err(TextError::Empty(
            "the documents hold no vocabulary word; give more text or lower min_count".into(),
        ));
    }
    if progress.is_cancelled() {
        return Err(TextError::Cancelled);
    }

    let dim = params.dim;
    let vocab = words.len();
    let train_words = corpus.words.len() as u64;
    let total_words = train_words.saturating_mul(params.epochs as u64);
    let keep_prob = keep_probabilities(&counts, train_words, params.sample);
    let negatives = NegativeSampler::new(&counts);
    let tables = SigmoidTables::new();

    // Initial input vectors uniform in [-0.5, 0.5) / dim (as the reference),
    // output vectors zero.
    let mut init_rng = Rng::new(params.seed).fork();
    let syn0 = SharedMatrix::new(vocab, dim, || {
        (init_rng.uniform() as f32 - 0.5) / dim as f32
    });
    let syn1 = SharedMatrix::new(vocab, dim, || 0.0);

    let shared = Shared {
        params,
        syn0: &syn0,
        syn1: &syn1,
        corpus: &corpus,
        keep_prob: &keep_prob,
        negatives: &negatives,
        tables: &tables,
        total_words,
        words_done: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        recent_loss: Mutex::new((0.0, 0)),
    };
    let threads = params
        .resolved_threads()
        .clamp(1, corpus.sentences.len().max(1));
    let shares = corpus.shares(threads);

    let started = Instant::now();
    let outcome = run_workers(&shared, &shares, progress, started);
    let seconds = started.elapsed().as_secs_f64();
    let (loss_sum, loss_examples) = outcome?;
    if shared.stop.load(Relaxed) {
        return Err(TextError::Cancelled);
    }

    let words_done = shared.words_done.load(Relaxed);
    let stats = TrainStats {
        words: words_done,
        seconds,
        words_per_sec: if seconds > 0.0 {
            words_done as f64 / seconds
        } else {
            0.0
        },
        vocab,
        final_loss: (loss_examples > 0).then(|| loss_sum / loss_examples as f64),
    };
    progress.report(
        1.0,
        &status_message(
            params.epochs,
            params.epochs,
            stats.words_per_sec,
            stats.final_loss,
        ),
    );
    let vectors = syn0.into_values();
    Ok((
        WordVectors {
            words,
            dim,
            vectors,
            counts,
        },
        stats,
    ))
}

/// The vocabulary: words seen at least `min_count` times, by count
/// descending then word, cut to `max_vocab`; with their counts.
fn build_vocab(
    docs: &[Vec<String>],
    params: &W2vParams,
    progress: &dyn Progress,
) -> Result<(Vec<String>, Vec<u64>), TextError> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for (i, doc) in docs.iter().enumerate() {
        if i.is_multiple_of(10_000) && progress.is_cancelled() {
            return Err(TextError::Cancelled);
        }
        for w in doc {
            *counts.entry(w.as_str()).or_insert(0) += 1;
        }
    }
    if counts.is_empty() {
        return Err(TextError::Empty(
            "the documents hold no tokens; tokenise some text first".into(),
        ));
    }
    let seen = counts.len();
    let min_count = params.min_count.max(1) as u64;
    let mut entries: Vec<(&str, u64)> = counts.into_iter().filter(|e| e.1 >= min_count).collect();
    entries.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if let Some(max) = params.max_vocab {
        entries.truncate(max);
    }
    // Word indices are u32 in the corpus and the negative table.
    entries.truncate(u32::MAX as usize);
    if entries.is_empty() {
        return Err(TextError::Empty(format!(
            "none of the {seen} distinct words occurs at least min_count = {min_count} times; lower min_count or give more text"
        )));
    }
    Ok(entries.into_iter().map(|(w, c)| (w.to_owned(), c)).unzip())
}

/// The documents as vocabulary indices (other words dropped, as the
/// reference tool does), cut into sentences.
struct Corpus {
    words: Vec<u32>,
    /// `[start, end)` ranges into `words`, in order.
    sentences: Vec<(usize, usize)>,
}

impl Corpus {
    fn new(
        docs: &[Vec<String>],
        vocab: &[String],
        progress: &dyn Progress,
    ) -> Result<Self, TextError> {
        let index: HashMap<&str, u32> = vocab
            .iter()
            .enumerate()
            .filter_map(|(i, w)| Some((w.as_str(), u32::try_from(i).ok()?)))
            .collect();
        let mut words = Vec::new();
        let mut sentences = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            if i.is_multiple_of(10_000) && progress.is_cancelled() {
                return Err(TextError::Cancelled);
            }
            let mut start = words.len();
            for w in doc {
                if let Some(&id) = index.get(w.as_str()) {
                    words.push(id);
                    if words.len() - start == MAX_SENTENCE_WORDS {
                        sentences.push((start, words.len()));
                        start = words.len();
                    }
                }
            }
            if words.len() > start {
                sentences.push((start, words.len()));
            }
        }
        Ok(Self { words, sentences })
    }

    /// Splits the sentences into `threads` contiguous shares of about equal
    /// word counts (a share may be empty).
    fn shares(&self, threads: usize) -> Vec<&[(usize, usize)]> {
        let total = self.words.len();
        let mut shares = Vec::with_capacity(threads);
        let mut from = 0;
        for t in 1..=threads {
            let boundary = (total as u128 * t as u128 / threads as u128) as usize;
            let to = self.sentences.partition_point(|s| s.0 < boundary);
            shares.push(self.sentences.get(from..to).unwrap_or(&[]));
            from = to;
        }
        shares
    }
}

/// Per-word probability of keeping an occurrence under subsampling (the
/// reference formula); empty when subsampling is off.
fn keep_probabilities(counts: &[u64], train_words: u64, sample: f64) -> Vec<f32> {
    if sample <= 0.0 {
        return Vec::new();
    }
    let threshold = sample * train_words as f64;
    counts
        .iter()
        .map(|&c| {
            let c = c.max(1) as f64;
            (((c / threshold).sqrt() + 1.0) * threshold / c).min(1.0) as f32
        })
        .collect()
}

/// Draws negative samples: word `i` with probability proportional to
/// `count_i^0.75`, as the reference tool's table, but with Walker's alias
/// method: one slot per vocabulary word (8 bytes each, so the whole sampler
/// stays in the CPU cache, where the reference's table of 10^8 entries
/// misses it on nearly every draw), one random number and one look-up per
/// draw.
struct NegativeSampler {
    /// Per slot: the chance, out of 2^32, of keeping the slot's own word,
    /// and the word drawn otherwise.
    slots: Vec<(u32, u32)>,
}

impl NegativeSampler {
    fn new(counts: &[u64]) -> Self {
        let n = counts.len().min(u32::MAX as usize);
        let powers: Vec<f64> = counts
            .iter()
            .take(n)
            .map(|&c| (c as f64).powf(0.75))
            .collect();
        let total: f64 = powers.iter().sum();
        // Each slot's mass in units of one slot (mean 1).
        let mut mass: Vec<f64> = powers.iter().map(|p| p * n as f64 / total).collect();
        let mut slots: Vec<(u32, u32)> = (0..n as u32).map(|i| (u32::MAX, i)).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| mass.get(i).is_some_and(|&m| m < 1.0));
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            let (Some(&ms), Some(slot)) = (mass.get(s), slots.get_mut(s)) else {
                break;
            };
            *slot = ((ms * 2f64.powi(32)) as u32, l as u32);
            if let Some(ml) = mass.get_mut(l) {
                *ml -= 1.0 - ms;
                if *ml < 1.0 {
                    large.pop();
                    small.push(l);
                }
            }
        }
        // What is left (rounding) keeps its own word.
        Self { slots }
    }

    /// One draw.
    #[inline]
    fn draw(&self, rng: &mut Rng) -> u32 {
        let bits = rng.next_u64();
        let slot = ((bits >> 32) * self.slots.len() as u64) >> 32;
        match self.slots.get(slot as usize) {
            Some(&(keep, word)) if bits as u32 >= keep => word,
            _ => slot as u32,
        }
    }

    /// The exact probability of drawing `word`.
    #[cfg(test)]
    fn probability(&self, word: u32) -> f64 {
        let n = self.slots.len() as f64;
        let scale = 2f64.powi(32);
        self.slots
            .iter()
            .enumerate()
            .map(|(i, &(keep, alias))| {
                let own = if i as u32 == word {
                    f64::from(keep) / scale
                } else {
                    0.0
                };
                let other = if alias == word {
                    1.0 - f64::from(keep) / scale
                } else {
                    0.0
                };
                (own + other) / n
            })
            .sum()
    }
}

/// Precomputed `sigmoid(x)` and `ln sigmoid(x)` on `[-MAX_EXP, MAX_EXP)`.
struct SigmoidTables {
    sigmoid: Vec<f32>,
    log_sigmoid: Vec<f32>,
}

impl SigmoidTables {
    fn new() -> Self {
        let xs = (0..SIGMOID_TABLE_SIZE)
            .map(|i| (i as f32 / SIGMOID_TABLE_SIZE as f32 * 2.0 - 1.0) * MAX_EXP);
        let sigmoid: Vec<f32> = xs.map(|x| 1.0 / (1.0 + (-x).exp())).collect();
        let log_sigmoid = sigmoid.iter().map(|s| s.ln()).collect();
        Self {
            sigmoid,
            log_sigmoid,
        }
    }

    /// Table slot of `x`, `None` outside `[-MAX_EXP, MAX_EXP]`.
    fn slot(x: f32) -> Option<usize> {
        if !(-MAX_EXP..=MAX_EXP).contains(&x) {
            return None;
        }
        let slot = ((x + MAX_EXP) * (SIGMOID_TABLE_SIZE as f32 / MAX_EXP / 2.0)) as usize;
        Some(slot.min(SIGMOID_TABLE_SIZE - 1))
    }

    /// Gradient scale `(label - sigmoid(f)) * alpha` (saturated outside the
    /// table, as the reference) and the example's loss `-ln sigmoid(±f)`.
    fn gradient_and_loss(&self, f: f32, positive: bool, alpha: f32) -> (f32, f32) {
        let label = if positive { 1.0 } else { 0.0 };
        let g = match Self::slot(f) {
            Some(slot) => (label - self.sigmoid.get(slot).copied().unwrap_or(0.5)) * alpha,
            None if f > 0.0 => (label - 1.0) * alpha,
            None => label * alpha,
        };
        let z = if positive { f } else { -f };
        let loss = match Self::slot(z) {
            Some(slot) => -self.log_sigmoid.get(slot).copied().unwrap_or(0.0),
            // ln sigmoid(z) ≈ 0 for large z and ≈ z for very negative z.
            None => (-z).max(0.0),
        };
        (g, loss)
    }
}

/// What every worker shares.
struct Shared<'a> {
    params: &'a W2vParams,
    syn0: &'a SharedMatrix,
    syn1: &'a SharedMatrix,
    corpus: &'a Corpus,
    keep_prob: &'a [f32],
    negatives: &'a NegativeSampler,
    tables: &'a SigmoidTables,
    /// Training words of all epochs: the denominator of the learning-rate
    /// decay and of the progress fraction.
    total_words: u64,
    /// Training words processed so far, all threads.
    words_done: AtomicU64,
    /// Set when the user cancelled; workers return after their sentence.
    stop: AtomicBool,
    /// Loss sum and example count since the last progress report.
    recent_loss: Mutex<(f64, u64)>,
}

impl Shared<'_> {
    fn alpha(&self, words_done: u64) -> f32 {
        let p = self.params;
        let fraction = words_done as f64 / (self.total_words as f64 + 1.0);
        let alpha = p.alpha as f64 - (p.alpha - p.min_alpha) as f64 * fraction;
        (alpha as f32).max(p.min_alpha)
    }
}

/// Runs one worker per share and watches them; returns the loss sum and
/// example count of the last epoch over all workers.
fn run_workers(
    shared: &Shared<'_>,
    shares: &[&[(usize, usize)]],
    progress: &dyn Progress,
    started: Instant,
) -> Result<(f64, u64), TextError> {
    let epochs = shared.params.epochs;
    let train_words = shared.total_words / epochs.max(1) as u64;
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let mut handles = Vec::with_capacity(shares.len());
        let mut spawn_error = None;
        for (t, share) in shares.iter().enumerate() {
            let done_tx = done_tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("word2vec-{t}"))
                .spawn_scoped(scope, move || {
                    let result = Worker::new(shared, t).run(share);
                    drop(done_tx);
                    result
                });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(err) => {
                    shared.stop.store(true, Relaxed);
                    spawn_error = Some(err);
                    break;
                }
            }
        }
        drop(done_tx);

        let mut last_loss = None;
        // Workers send nothing: the channel disconnects when all are done.
        while let Err(mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(REPORT_EVERY) {
            if progress.is_cancelled() {
                shared.stop.store(true, Relaxed);
            }
            let done = shared.words_done.load(Relaxed);
            if let Ok(mut recent) = shared.recent_loss.lock() {
                if recent.1 > 0 {
                    last_loss = Some(recent.0 / recent.1 as f64);
                }
                *recent = (0.0, 0);
            }
            let seconds = started.elapsed().as_secs_f64();
            let rate = if seconds > 0.0 {
                done as f64 / seconds
            } else {
                0.0
            };
            let epoch = (done / train_words.max(1) + 1).min(epochs as u64) as usize;
            progress.report(
                (done as f64 / shared.total_words.max(1) as f64) as f32,
                &status_message(epoch, epochs, rate, last_loss),
            );
        }

        let mut loss = (0.0, 0);
        for handle in handles {
            match handle.join() {
                Ok((sum, examples)) => {
                    loss.0 += sum;
                    loss.1 += examples;
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        match spawn_error {
            Some(err) => Err(TextError::Io {
                path: "word2vec worker threads".into(),
                message: format!(
                    "cannot start a training thread: {err}. Train with fewer threads (set threads to 1)."
                ),
            }),
            None => Ok(loss),
        }
    })
}

/// "epoch 2/5, 1.2M words/s, loss 2.31".
fn status_message(epoch: usize, epochs: usize, words_per_sec: f64, loss: Option<f64>) -> String {
    let rate = if words_per_sec >= 1e6 {
        format!("{:.1}M", words_per_sec / 1e6)
    } else if words_per_sec >= 1e3 {
        format!("{:.0}k", words_per_sec / 1e3)
    } else {
        format!("{words_per_sec:.0}")
    };
    match loss {
        Some(loss) => format!("epoch {epoch}/{epochs}, {rate} words/s, loss {loss:.2}"),
        None => format!("epoch {epoch}/{epochs}, {rate} words/s"),
    }
}

/// One training thread: its RNG and reusable buffers. The weights are only
/// ever touched a row at a time: copied into `hidden`/`output`, worked on
/// there with plain (vectorised) f32 arithmetic, and written back once.
struct Worker<'s, 'a> {
    shared: &'s Shared<'a>,
    rng: Rng,
    sentence: Vec<u32>,
    /// The hidden layer: a context vector (skip-gram) or the context mean
    /// (CBOW).
    hidden: Vec<f32>,
    /// The hidden layer's accumulated gradient.
    hidden_grad: Vec<f32>,
    /// A copy of the output vector being trained (CBOW: also the scratch
    /// row while summing the context).
    output: Vec<f32>,
    /// The negative samples of the current example and of the next one.
    targets: Vec<u32>,
    next_targets: Vec<u32>,
    /// Skip-gram: the sentence's (centre, context) pairs.
    pairs: Vec<(u32, u32)>,
    /// CBOW: the sentence's windows (centre position, start, end) with at
    /// least one context word.
    windows: Vec<(usize, usize, usize)>,
    /// Loss sum and examples since the last flush to `recent_loss`.
    unflushed_loss: (f64, u64),
}

impl<'s, 'a> Worker<'s, 'a> {
    fn new(shared: &'s Shared<'a>, thread_index: usize) -> Self {
        let dim = shared.syn0.width();
        Self {
            shared,
            rng: Rng::new(shared.params.seed.wrapping_add(thread_index as u64)),
            sentence: Vec::with_capacity(MAX_SENTENCE_WORDS),
            hidden: vec![0.0; dim],
            hidden_grad: vec![0.0; dim],
            output: vec![0.0; dim],
            targets: Vec::with_capacity(shared.params.negative),
            next_targets: Vec::with_capacity(shared.params.negative),
            pairs: Vec::new(),
            windows: Vec::with_capacity(MAX_SENTENCE_WORDS),
            unflushed_loss: (0.0, 0),
        }
    }

    /// Trains on `share` for all epochs; returns the loss sum and example
    /// count of the last epoch.
    fn run(mut self, share: &[(usize, usize)]) -> (f64, u64) {
        let shared = self.shared;
        let epochs = shared.params.epochs;
        let mut last_epoch_loss = (0.0, 0);
        for epoch in 0..epochs {
            let mut epoch_loss = (0.0, 0);
            for &(start, end) in share {
                if shared.stop.load(Relaxed) {
                    return last_epoch_loss;
                }
                let Some(raw) = shared.corpus.words.get(start..end) else {
                    continue;
                };
                let len = raw.len() as u64;
                let done = shared.words_done.fetch_add(len, Relaxed) + len;
                let alpha = shared.alpha(done);
                self.fill_sentence(raw);
                let loss = if shared.params.skip_gram {
                    self.skip_gram_sentence(alpha)
                } else {
                    self.cbow_sentence(alpha)
                };
                epoch_loss.0 += loss.0;
                epoch_loss.1 += loss.1;
                self.flush_loss(loss);
            }
            if epoch + 1 == epochs {
                last_epoch_loss = epoch_loss;
            }
        }
        self.flush_loss((0.0, 0));
        last_epoch_loss
    }

    /// Adds a sentence's loss to the shared report window, taking the lock
    /// only every few thousand examples.
    fn flush_loss(&mut self, loss: (f64, u64)) {
        self.unflushed_loss.0 += loss.0;
        self.unflushed_loss.1 += loss.1;
        let final_flush = loss.1 == 0;
        if self.unflushed_loss.1 >= 4096 || (final_flush && self.unflushed_loss.1 > 0) {
            if let Ok(mut recent) = self.shared.recent_loss.lock() {
                recent.0 += self.unflushed_loss.0;
                recent.1 += self.unflushed_loss.1;
            }
            self.unflushed_loss = (0.0, 0);
        }
    }

    /// The sentence after subsampling.
    fn fill_sentence(&mut self, raw: &[u32]) {
        self.sentence.clear();
        let keep_prob = self.shared.keep_prob;
        for &w in raw {
            let keep = match keep_prob.get(w as usize) {
                Some(&p) if p < 1.0 => (self.rng.uniform() as f32) < p,
                _ => true,
            };
            if keep {
                self.sentence.push(w);
            }
        }
    }

    /// The reach of the window around the next centre word: `1..=window`.
    fn reach(&mut self) -> usize {
        let window = self.shared.params.window;
        window - self.rng.below(window).unwrap_or(0)
    }

    /// Skip-gram over the current sentence: each context word's input vector
    /// predicts the centre word. Returns the loss sum and example count.
    ///
    /// The (centre, context) pairs are listed first; while one pair trains,
    /// the next pair's negatives are already drawn and its rows prefetched.
    fn skip_gram_sentence(&mut self, alpha: f32) -> (f64, u64) {
        let syn0 = self.shared.syn0;
        let syn1 = self.shared.syn1;
        let mut pairs = std::mem::take(&mut self.pairs);
        pairs.clear();
        for pos in 0..self.sentence.len() {
            let Some(&word) = self.sentence.get(pos) else {
                continue;
            };
            let reach = self.reach();
            let lo = pos.saturating_sub(reach);
            let hi = (pos + reach + 1).min(self.sentence.len());
            for c in lo..hi {
                if c != pos
                    && let Some(&context) = self.sentence.get(c)
                {
                    pairs.push((word, context));
                }
            }
        }
        let mut loss = (0.0, 0);
        if let Some(&(word, context)) = pairs.first() {
            self.draw_negatives(word);
            syn0.prefetch(context);
        }
        for (k, &(word, context)) in pairs.iter().enumerate() {
            std::mem::swap(&mut self.targets, &mut self.next_targets);
            if let Some(&(next_word, next_context)) = pairs.get(k + 1) {
                self.draw_negatives(next_word);
                syn0.prefetch(next_context);
                syn1.prefetch(next_word);
            }
            syn0.load(context, &mut self.hidden);
            self.hidden_grad.fill(0.0);
            loss.0 += f64::from(self.negative_sampling(word, alpha));
            loss.1 += 1;
            syn0.add(context, &self.hidden_grad);
        }
        self.pairs = pairs;
        loss
    }

    /// CBOW over the current sentence: the mean of the context words' input
    /// vectors predicts the centre word. Returns the loss sum and example
    /// count. Windows are listed first and the next one prefetched while one
    /// trains, as in [`Worker::skip_gram_sentence`].
    fn cbow_sentence(&mut self, alpha: f32) -> (f64, u64) {
        let syn0 = self.shared.syn0;
        let syn1 = self.shared.syn1;
        let sentence = std::mem::take(&mut self.sentence);
        let mut windows = std::mem::take(&mut self.windows);
        windows.clear();
        for pos in 0..sentence.len() {
            let reach = self.reach();
            let lo = pos.saturating_sub(reach);
            let hi = (pos + reach + 1).min(sentence.len());
            if hi - lo > 1 {
                windows.push((pos, lo, hi));
            }
        }
        let mut loss = (0.0, 0);
        if let Some(&(pos, _, _)) = windows.first()
            && let Some(&word) = sentence.get(pos)
        {
            self.draw_negatives(word);
        }
        for (k, &(pos, lo, hi)) in windows.iter().enumerate() {
            std::mem::swap(&mut self.targets, &mut self.next_targets);
            if let Some(&(next_pos, next_lo, next_hi)) = windows.get(k + 1)
                && let Some(&next_word) = sentence.get(next_pos)
            {
                self.draw_negatives(next_word);
                syn1.prefetch(next_word);
                for &context in sentence.get(next_lo..next_hi).unwrap_or(&[]) {
                    syn0.prefetch(context);
                }
            }
            let (Some(&word), Some(window)) = (sentence.get(pos), sentence.get(lo..hi)) else {
                continue;
            };
            let centre = pos - lo;
            self.hidden.fill(0.0);
            for (c, &context) in window.iter().enumerate() {
                if c != centre {
                    syn0.load(context, &mut self.output);
                    add_assign(&mut self.hidden, &self.output);
                }
            }
            let scale = 1.0 / (window.len() - 1) as f32;
            self.hidden.iter_mut().for_each(|h| *h *= scale);
            self.hidden_grad.fill(0.0);
            loss.0 += f64::from(self.negative_sampling(word, alpha));
            loss.1 += 1;
            // As the reference: every context word gets the whole gradient.
            for (c, &context) in window.iter().enumerate() {
                if c != centre {
                    syn0.add(context, &self.hidden_grad);
                }
            }
        }
        self.windows = windows;
        self.sentence = sentence;
        loss
    }

    /// Draws the negative samples for an example predicting `word` into
    /// `next_targets` (a draw of `word` itself is dropped, as in the
    /// reference) and prefetches their output vectors.
    fn draw_negatives(&mut self, word: u32) {
        let sampler = self.shared.negatives;
        let syn1 = self.shared.syn1;
        self.next_targets.clear();
        for _ in 0..self.shared.params.negative {
            let t = sampler.draw(&mut self.rng);
            if t != word {
                self.next_targets.push(t);
                syn1.prefetch(t);
            }
        }
    }

    /// One positive example (`word`) and the negatives in `targets` for the
    /// hidden layer: updates the output vectors, accumulates the hidden
    /// layer's gradient into `hidden_grad` and returns the loss.
    fn negative_sampling(&mut self, word: u32, alpha: f32) -> f32 {
        let mut loss = self.train_output(word, true, alpha);
        for k in 0..self.targets.len() {
            if let Some(&target) = self.targets.get(k) {
                loss += self.train_output(target, false, alpha);
            }
        }
        loss
    }

    /// One example: `hidden` should predict `target` (`positive`) or not.
    /// Updates the target's output vector, adds to `hidden_grad` and returns
    /// the example's loss.
    #[inline]
    fn train_output(&mut self, target: u32, positive: bool, alpha: f32) -> f32 {
        let syn1 = self.shared.syn1;
        syn1.load(target, &mut self.output);
        let f = dot(&self.hidden, &self.output);
        let (g, loss) = self.shared.tables.gradient_and_loss(f, positive, alpha);
        // A saturated example (g = 0) would leave every value as it is.
        if g != 0.0 {
            axpy(&mut self.hidden_grad, g, &self.output);
            axpy(&mut self.output, g, &self.hidden);
            syn1.store(target, &self.output);
        }
        loss
    }
}

/// Cells (two f32 each) in a 64-byte cache line.
const CACHE_LINE_CELLS: usize = 8;

/// A `rows × dim` weight matrix shared by the training threads, Hogwild
/// style. Values are stored in pairs, the bits of two f32 in one
/// `AtomicU64` (rows padded with a zero to an even width), and read and
/// written with `Relaxed` loads and stores, which on x86-64 and ARM64 are
/// plain 8-byte moves: always a whole row at a time between the matrix and
/// a thread's own buffer, where the arithmetic runs on plain f32. Pairs
/// halve the number of these moves against one atomic per value.
struct SharedMatrix {
    cells: Vec<AtomicU64>,
    /// Values per row that are in use.
    dim: usize,
    /// Cells per row: `dim / 2` rounded up.
    row_cells: usize,
}

impl SharedMatrix {
    /// `rows × dim` values from `value`, row by row.
    fn new(rows: usize, dim: usize, mut value: impl FnMut() -> f32) -> Self {
        let row_cells = dim.div_ceil(2);
        let mut cells = Vec::with_capacity(rows * row_cells);
        for _ in 0..rows {
            for c in 0..row_cells {
                let lo = value();
                let hi = if 2 * c + 1 < dim { value() } else { 0.0 };
                cells.push(AtomicU64::new(pack(lo, hi)));
            }
        }
        Self {
            cells,
            dim,
            row_cells,
        }
    }

    /// Length of the buffers rows are loaded into: `dim` rounded up to
    /// even. The padding stays zero through training.
    fn width(&self) -> usize {
        2 * self.row_cells
    }

    /// Row `index` (empty when out of range, which cannot happen for our
    /// own indices).
    #[inline]
    fn row(&self, index: u32) -> &[AtomicU64] {
        let start = index as usize * self.row_cells;
        self.cells.get(start..start + self.row_cells).unwrap_or(&[])
    }

    /// Asks the CPU to bring row `index` into the cache: the rows of the
    /// next example then arrive while the current one trains.
    #[inline]
    fn prefetch(&self, index: u32) {
        let row = self.row(index);
        for w in row.iter().step_by(CACHE_LINE_CELLS) {
            prefetch(w);
        }
        if let Some(last) = row.last() {
            prefetch(last);
        }
    }

    /// `out = row` (`out` is [`SharedMatrix::width`] long).
    #[inline]
    fn load(&self, index: u32, out: &mut [f32]) {
        let (out, _) = out.as_chunks_mut::<2>();
        for (o, w) in out.iter_mut().zip(self.row(index)) {
            *o = unpack(w.load(Relaxed));
        }
    }

    /// `row = values`. An update another thread made to the row since this
    /// one loaded it is lost (Hogwild).
    #[inline]
    fn store(&self, index: u32, values: &[f32]) {
        let (values, _) = values.as_chunks::<2>();
        for (w, &[lo, hi]) in self.row(index).iter().zip(values) {
            w.store(pack(lo, hi), Relaxed);
        }
    }

    /// `row += delta`, re-reading the row so that other threads' updates
    /// since it was loaded are kept.
    #[inline]
    fn add(&self, index: u32, delta: &[f32]) {
        let (delta, _) = delta.as_chunks::<2>();
        for (w, &[d0, d1]) in self.row(index).iter().zip(delta) {
            let [v0, v1] = unpack(w.load(Relaxed));
            w.store(pack(v0 + d0, v1 + d1), Relaxed);
        }
    }

    /// The values, row-major, without the padding.
    fn into_values(self) -> Vec<f32> {
        let mut values = Vec::with_capacity(self.cells.len() * 2);
        for row in self.cells.chunks(self.row_cells.max(1)) {
            let start = values.len();
            for w in row {
                values.extend(unpack(w.load(Relaxed)));
            }
            values.truncate(start + self.dim);
        }
        values
    }
}

/// Two f32 as the bits of one u64 (`lo` in the low half).
#[inline]
fn pack(lo: f32, hi: f32) -> u64 {
    u64::from(lo.to_bits()) | (u64::from(hi.to_bits()) << 32)
}

/// The two f32 of [`pack`].
#[inline]
fn unpack(bits: u64) -> [f32; 2] {
    [
        f32::from_bits(bits as u32),
        f32::from_bits((bits >> 32) as u32),
    ]
}

/// A hint to the CPU to fetch the cache line holding `cell`.
#[cfg(target_arch = "x86_64")]
#[inline]
#[allow(unsafe_code)]
fn prefetch(cell: &AtomicU64) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is only a hint: it never faults, reads nothing into
    // the program and writes nothing, and the address comes from a live
    // reference anyway. (SSE, which it needs, is part of every x86_64 CPU.)
    unsafe { _mm_prefetch::<_MM_HINT_T0>(cell.as_ptr().cast_const().cast()) }
}

/// Elsewhere prefetching is left to the hardware.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn prefetch(_cell: &AtomicU64) {}

/// `a · b` over the common length. Sixteen running sums, four 4-lane SIMD
/// registers (SSE2), hide the latency of the additions; they are added up
/// pairwise at the end.
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (a.get(..n).unwrap_or(&[]), b.get(..n).unwrap_or(&[]));
    let (a16, a_tail) = a.as_chunks::<16>();
    let (b16, b_tail) = b.as_chunks::<16>();
    let mut acc = [[0.0f32; 4]; 4];
    for (x, y) in a16.iter().zip(b16) {
        for (k, sums) in acc.iter_mut().enumerate() {
            for (i, s) in sums.iter_mut().enumerate() {
                *s += x[4 * k + i] * y[4 * k + i];
            }
        }
    }
    // Without this barrier LLVM vectorises the pairwise sum below two lanes
    // wide and then the loop above too (twice the instructions); it costs
    // one store and load of the sums.
    let acc = std::hint::black_box(acc);
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    let mut s = [0.0f32; 4];
    for (i, s) in s.iter_mut().enumerate() {
        *s = (acc[0][i] + acc[1][i]) + (acc[2][i] + acc[3][i]);
    }
    ((s[0] + s[2]) + (s[1] + s[3])) + tail
}

/// `y += a · x`, element-wise over the common length.
#[inline]
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `y += x`, element-wise over the common length.
#[inline]
fn add_assign(y: &mut [f32], x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += x;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::text::tools::nearest;

    const TRAFFIC: [&str; 8] = [
        "car", "bus", "road", "traffic", "lane", "jam", "signal", "driver",
    ];
    const PARK: [&str; 8] = [
        "tree", "grass", "bench", "park", "flower", "picnic", "dog", "pond",
    ];
    const STREET: [&str; 5] = ["cracked", "repair", "narrow", "uneven", "kerb"];

    /// Three topics; "sidewalk" and "pavement" are synonyms used in exactly
    /// the same contexts (street-repair documents, one of the two per
    /// document), never together.
    pub(crate) fn planted_corpus(docs: usize, seed: u64) -> Vec<Vec<String>> {
        let mut rng = Rng::new(seed);
        (0..docs)
            .map(|i| {
                let topic: &[&str] = match i % 3 {
                    0 => &TRAFFIC,
                    1 => &PARK,
                    _ => &STREET,
                };
                let mut doc: Vec<String> = (0..8)
                    .map(|_| (*rng.choose(topic).unwrap()).to_owned())
                    .collect();
                if i % 3 == 2 {
                    let synonym = if rng.bernoulli(0.5) {
                        "sidewalk"
                    } else {
                        "pavement"
                    };
                    let at = rng.below(doc.len() + 1).unwrap();
                    doc.insert(at, synonym.to_owned());
                }
                doc
            })
            .collect()
    }

    fn params(skip_gram: bool) -> W2vParams {
        W2vParams {
            skip_gram,
            dim: 16,
            window: 3,
            negative: 5,
            min_count: 1,
            sample: 0.0,
            alpha: if skip_gram { 0.025 } else { 0.05 },
            epochs: 10,
            threads: 1,
            seed: 7,
            ..W2vParams::default()
        }
    }

    fn first_neighbour(v: &WordVectors, word: &str) -> String {
        nearest(v, word, 1).unwrap().remove(0).0
    }

    fn assert_planted_structure(v: &WordVectors) {
        assert_eq!(first_neighbour(v, "sidewalk"), "pavement");
        assert_eq!(first_neighbour(v, "pavement"), "sidewalk");
        for (word, topic) in [("bus", &TRAFFIC), ("bench", &PARK)] {
            for (neighbour, _) in nearest(v, word, 5).unwrap() {
                assert!(topic.contains(&neighbour.as_str()), "{word}: {neighbour}");
            }
        }
    }

    #[test]
    fn defaults_are_the_reference_tools() {
        let p = W2vParams::default();
        assert!(p.skip_gram);
        assert_eq!(
            (p.dim, p.window, p.negative, p.min_count, p.epochs),
            (100, 5, 5, 5, 5)
        );
        assert_eq!((p.alpha, p.min_alpha, p.sample), (0.025, 1e-4, 1e-3));
        let c = W2vParams::cbow();
        assert!(!c.skip_gram);
        assert_eq!(c.alpha, 0.05);
        // Partial JSON fills in the defaults.
        let parsed: W2vParams = serde_json::from_str(r#"{"dim": 50}"#).unwrap();
        assert_eq!(
            parsed,
            W2vParams {
                dim: 50,
                ..W2vParams::default()
            }
        );
    }

    #[test]
    fn skip_gram_puts_planted_synonym_first_and_separates_topics() {
        let docs = planted_corpus(600, 1);
        let (v, stats) = train(&docs, &params(true), &()).unwrap();
        assert_planted_structure(&v);
        assert_eq!(stats.vocab, 23);
        let tokens: u64 = docs.iter().map(|d| d.len() as u64).sum();
        assert_eq!(stats.words, tokens * 10);
        assert!(stats.final_loss.unwrap() < 3.0, "{stats:?}");
        eprintln!(
            "skip-gram: {} words in {:.2} s = {:.0} words/s, loss {:?}",
            stats.words, stats.seconds, stats.words_per_sec, stats.final_loss
        );
    }

    #[test]
    fn cbow_puts_planted_synonym_first_and_separates_topics() {
        let docs = planted_corpus(600, 2);
        let (v, stats) = train(&docs, &params(false), &()).unwrap();
        assert_planted_structure(&v);
        eprintln!(
            "cbow: {} words in {:.2} s = {:.0} words/s, loss {:?}",
            stats.words, stats.seconds, stats.words_per_sec, stats.final_loss
        );
    }

    #[test]
    fn one_thread_with_fixed_seed_is_bit_for_bit_reproducible() {
        let docs = planted_corpus(150, 3);
        for skip_gram in [true, false] {
            let p = W2vParams {
                epochs: 3,
                sample: 1e-2,
                ..params(skip_gram)
            };
            let (a, sa) = train(&docs, &p, &()).unwrap();
            let (b, sb) = train(&docs, &p, &()).unwrap();
            let bits = |v: &WordVectors| v.vectors.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(a.words, b.words);
            assert_eq!(bits(&a), bits(&b));
            assert_eq!(
                sa.final_loss.map(f64::to_bits),
                sb.final_loss.map(f64::to_bits)
            );
            let (c, _) = train(&docs, &W2vParams { seed: 8, ..p }, &()).unwrap();
            assert_ne!(bits(&a), bits(&c));
        }
    }

    #[test]
    fn odd_dimensions_keep_their_shape() {
        // Rows are stored in pairs of values: an odd dimension is padded
        // inside the trainer and the padding must not leak out.
        let docs = planted_corpus(150, 9);
        for (dim, skip_gram) in [(15, true), (1, false), (7, false)] {
            let p = W2vParams {
                dim,
                epochs: 2,
                ..params(skip_gram)
            };
            let (v, _) = train(&docs, &p, &()).unwrap();
            assert_eq!(v.dim, dim);
            assert_eq!(v.vectors.len(), v.words.len() * dim);
            assert!(v.vectors.iter().all(|x| x.is_finite()));
            assert!(v.vectors.iter().any(|&x| x != 0.0));
        }
    }

    #[test]
    fn several_threads_train_too() {
        let docs = planted_corpus(300, 4);
        let p = W2vParams {
            threads: 3,
            epochs: 4,
            ..params(true)
        };
        let (v, stats) = train(&docs, &p, &()).unwrap();
        assert!(v.vectors.iter().all(|x| x.is_finite()));
        let tokens: u64 = docs.iter().map(|d| d.len() as u64).sum();
        assert_eq!(stats.words, tokens * 4);
    }

    #[test]
    fn vocabulary_is_sorted_by_count_then_word_and_cut() {
        let docs: Vec<Vec<String>> = ["b a c a b d", "a x b"]
            .iter()
            .map(|d| d.split(' ').map(str::to_owned).collect())
            .collect();
        let p = W2vParams {
            dim: 4,
            min_count: 2,
            ..params(true)
        };
        let (v, stats) = train(&docs, &p, &()).unwrap();
        assert_eq!(v.words, ["a", "b"]);
        assert_eq!(v.counts, [3, 3]);
        assert_eq!(v.vectors.len(), 2 * 4);
        assert_eq!(stats.vocab, 2);
        let p = W2vParams {
            min_count: 1,
            max_vocab: Some(3),
            ..p
        };
        let (v, _) = train(&docs, &p, &()).unwrap();
        assert_eq!(v.words, ["a", "b", "c"]);
    }

    #[test]
    fn empty_corpus_bad_params_and_cancel_are_errors() {
        let docs = planted_corpus(30, 5);
        let none: Vec<Vec<String>> = vec![vec![]];
        assert!(matches!(
            train(&none, &params(true), &()),
            Err(TextError::Empty(_))
        ));
        let rare = W2vParams {
            min_count: 1000,
            ..params(true)
        };
        assert!(matches!(train(&docs, &rare, &()), Err(TextError::Empty(_))));
        for bad in [
            W2vParams {
                dim: 0,
                ..params(true)
            },
            W2vParams {
                window: 0,
                ..params(true)
            },
            W2vParams {
                negative: 0,
                ..params(true)
            },
            W2vParams {
                alpha: f32::NAN,
                ..params(true)
            },
            W2vParams {
                max_vocab: Some(0),
                ..params(true)
            },
        ] {
            assert!(matches!(
                train(&docs, &bad, &()),
                Err(TextError::InvalidParams { .. })
            ));
        }
        struct Cancelled;
        impl Progress for Cancelled {
            fn report(&self, _: f32, _: &str) {}
            fn is_cancelled(&self) -> bool {
                true
            }
        }
        assert!(matches!(
            train(&docs, &params(true), &Cancelled),
            Err(TextError::Cancelled)
        ));
    }

    #[test]
    fn a_parameter_out_of_range_is_named_with_its_value_and_the_range() {
        let err = W2vParams {
            window: 5000,
            ..W2vParams::default()
        }
        .validate()
        .unwrap_err();
        assert!(
            matches!(&err, TextError::InvalidParams { field: "window", value, .. } if value == "5000"),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("window is 5000") && text.contains("from 1 to 1000"),
            "{text}"
        );
        let err = W2vParams {
            min_alpha: 0.5,
            ..W2vParams::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.to_string().contains("min_alpha is 0.5"), "{err}");
        assert!(W2vParams::default().validate().is_ok());
        assert!(W2vParams::cbow().validate().is_ok());
    }

    #[test]
    fn progress_ends_at_one_with_epoch_rate_and_loss() {
        struct Last(Mutex<Option<(f32, String)>>);
        impl Progress for Last {
            fn report(&self, fraction: f32, message: &str) {
                *self.0.lock().unwrap() = Some((fraction, message.to_owned()));
            }
            fn is_cancelled(&self) -> bool {
                false
            }
        }
        let last = Last(Mutex::new(None));
        let p = W2vParams {
            epochs: 2,
            ..params(true)
        };
        train(&planted_corpus(30, 6), &p, &last).unwrap();
        let (fraction, message) = last.0.lock().unwrap().clone().unwrap();
        assert_eq!(fraction, 1.0);
        assert!(message.starts_with("epoch 2/2, "), "{message}");
        assert!(message.contains(" words/s, loss "), "{message}");
        assert_eq!(
            status_message(2, 5, 1.23e6, Some(2.314)),
            "epoch 2/5, 1.2M words/s, loss 2.31"
        );
    }

    #[test]
    fn negative_table_follows_count_to_the_three_quarters() {
        let sampler = NegativeSampler::new(&[16, 1]);
        // 16^0.75 = 8 against 1: 8/9 of the draws.
        let first = sampler.probability(0);
        assert!((first - 8.0 / 9.0).abs() < 1e-6, "{first}");
        assert!((sampler.probability(1) - 1.0 / 9.0).abs() < 1e-6);
        let mut rng = Rng::new(1);
        let draws = 100_000;
        let zeros = (0..draws).filter(|_| sampler.draw(&mut rng) == 0).count();
        let share = zeros as f64 / draws as f64;
        assert!((share - 8.0 / 9.0).abs() < 5e-3, "{share}");
        // A longer, skewed vocabulary: every word gets its share.
        let counts: Vec<u64> = (1..=50).map(|i| i * i * 7 % 101 + 1).collect();
        let sampler = NegativeSampler::new(&counts);
        let total: f64 = counts.iter().map(|&c| (c as f64).powf(0.75)).sum();
        for (w, &c) in counts.iter().enumerate() {
            let p = sampler.probability(w as u32);
            let want = (c as f64).powf(0.75) / total;
            assert!((p - want).abs() < 1e-6, "word {w}: {p} against {want}");
        }
    }

    #[test]
    fn sigmoid_table_matches_the_function() {
        let t = SigmoidTables::new();
        let (g, loss) = t.gradient_and_loss(0.0, true, 1.0);
        assert!((g - 0.5).abs() < 0.01 && (loss - 2f32.ln()).abs() < 0.01);
        let (g, loss) = t.gradient_and_loss(10.0, false, 0.1);
        assert!((g + 0.1).abs() < 1e-6 && (loss - 10.0).abs() < 1e-6);
        // The table's upper edge is inside the table, not past its end.
        let (g, _) = t.gradient_and_loss(MAX_EXP, true, 1.0);
        assert!(g > 0.0 && g < 0.01, "{g}");
    }

    #[test]
    fn word_vectors_shape_and_lookup() {
        let v = WordVectors::new(
            vec!["a".into(), "b".into()],
            2,
            vec![3.0, 4.0, 0.0, 0.0],
            vec![],
        )
        .unwrap();
        assert_eq!(v.counts, [0, 0]);
        assert_eq!(v.index("b"), Some(1));
        assert_eq!(v.vector("a"), Some(&[3.0, 4.0][..]));
        assert_eq!(v.vector("c"), None);
        assert_eq!(v.normalized(), [0.6, 0.8, 0.0, 0.0]);
        assert!(matches!(
            WordVectors::new(vec!["a".into()], 2, vec![1.0], vec![]),
            Err(TextError::Shape(_))
        ));
    }
}
