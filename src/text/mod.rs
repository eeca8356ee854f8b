//! Text: turning citizen reports and other free text into tokens, word
//! vectors and document vectors.
//!
//! This module owns
//! - [`tokenize`]: a Unicode-aware tokenizer (lower-cased Latin, Greek and
//!   Cyrillic words, `<num>`/`<url>`/`<email>` placeholders, runs of Han
//!   characters segmented into words with jieba) and small built-in English
//!   and Chinese stop-word lists;
//! - [`word2vec`]: word2vec training (skip-gram and CBOW with negative
//!   sampling, frequent-word subsampling, Hogwild threads on atomic rows;
//!   one `unsafe`, a cache prefetch hint) and [`WordVectors`], the trained
//!   or loaded embedding table;
//! - [`format`]: the standard word2vec text and binary files (as read and
//!   written by the original C tool, gensim and fastText `.vec`), streamed
//!   with bounded memory;
//! - [`tools`]: nearest neighbours, analogies, similarity, the standard
//!   word-pair (WordSim-353, SimLex-999) and analogy (questions-words.txt)
//!   evaluations, document vectors, idf and keywords;
//! - [`sentence`]: BERT-family sentence encoders (all-MiniLM-L6-v2) loaded
//!   from a Hugging Face folder, their embeddings and an on-disk cache, with
//!   [`bert`], the encoder's forward pass laid out for the CPU (its
//!   `unsafe`: the call into gemm's matrix product, and the calls into code
//!   compiled for AVX2/AVX-512 once the CPU is known to have it);
//! - [`route`] (the report router) and [`topics`] (reports grouped into
//!   topics), on word vectors or sentence embeddings;
//! - [`reports`]: the citizen-report pipeline the command line and the
//!   dashboard both call — reports from a table, their vectors through an
//!   encoder, the router with one rule for when it is trained, topics, the
//!   word map and weekly trends.
//!
//! It uses `data` (progress, the seeded RNG), `ml` (the router's trainer),
//! `std`, serde, jieba-rs, and for the sentence encoder candle,
//! candle-transformers' BERT config, tokenizers and gemm. It
//! must not import egui, tokio or `models`: saving a model as a bundle is the
//! bundle's job, drawing it is the app's, a remote embeddings endpoint is
//! reached through [`reports::Encoder`] (which `models` implements), and
//! long steps run inside a job that hands us a [`crate::data::Progress`].

pub mod bert;
pub mod corpus;
pub mod format;
pub mod reports;
pub mod route;
pub mod sentence;
pub mod tokenize;
pub mod tools;
pub mod topics;
pub mod word2vec;

pub use corpus::read_corpus;
pub use format::{
    read_word2vec, read_word2vec_file, write_binary, write_text, write_word2vec_file,
};
pub use tokenize::{EMAIL_TOKEN, NUM_TOKEN, Tokenizer, URL_TOKEN, is_placeholder, is_stop_word};
pub use tools::{
    AnalogyEval, DocEncoder, PairEval, analogy, doc_vector, eval_analogies, eval_pairs, idf,
    nearest, similarity, spearman, top_keywords,
};
pub use word2vec::{TrainStats, W2vParams, WordVectors, train};

/// Why text work failed: what went wrong, where (path and line or byte
/// offset, word, parameter) and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// Reading or writing failed; `message` says why and what to check.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// A word-vector or evaluation file is malformed. `file` is the path
    /// (or a name like "analogy questions"), `line_or_offset` the line number
    /// for text ("7") or the byte offset for binary ("byte 1234").
    #[error("{file}:{line_or_offset}: {message}")]
    Format {
        file: String,
        line_or_offset: String,
        message: String,
    },
    /// The word is not in the vocabulary.
    #[error(
        "'{word}' is not in the vocabulary. Check its spelling and case (the tokenizer lower-cases words), or train with a lower min_count so that rare words are kept."
    )]
    UnknownWord { word: String },
    /// Nothing to work with; the text says what is empty and what to do.
    #[error("nothing to work with: {0}")]
    Empty(String),
    /// A size beyond what we accept (a header claiming 10^12 words, a
    /// dimension above 10 000); the text says which and why.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A word2vec parameter out of its range: which, its value, and the
    /// values that work.
    #[error("invalid word2vec parameters: {field} is {value}; choose {allowed}")]
    InvalidParams {
        field: &'static str,
        value: String,
        allowed: String,
    },
    /// In-memory vectors whose parts disagree (rows × dimension ≠ values).
    #[error("malformed word vectors: {0}")]
    Shape(String),
    /// A sentence-encoder folder that cannot be used: which, and why.
    #[error("{folder}: {message}")]
    Model { folder: String, message: String },
    /// A path that is not a regular file (a FIFO, a device, a folder) or
    /// is larger than its bound; the message names the path.
    #[error(transparent)]
    File(crate::data::file::FileError),
    /// The user cancelled the job.
    #[error("the text job was cancelled")]
    Cancelled,
}

impl From<crate::data::file::FileError> for TextError {
    /// A failed read stays an I/O error (with its path); a special file or
    /// one over its bound is bad input.
    fn from(e: crate::data::file::FileError) -> Self {
        match e {
            crate::data::file::FileError::Io { path, message } => Self::Io {
                path,
                message: format!("{message}. Check the path and that the file is readable."),
            },
            other => Self::File(other),
        }
    }
}

impl crate::data::Blame for TextError {
    /// Files, words, parameters and folders are the user's; the disk
    /// refusing a read or write of a path that exists, in-memory vectors
    /// that disagree, and a cancel are not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::Io { path, .. } => crate::data::blame::missing_path(path),
            Self::File(e) => crate::data::Blame::is_user_input(e),
            Self::Format { .. }
            | Self::UnknownWord { .. }
            | Self::Empty(_)
            | Self::TooLarge(_)
            | Self::InvalidParams { .. }
            | Self::Model { .. } => true,
            Self::Shape(_) | Self::Cancelled => false,
        }
    }
}

impl TextError {
    /// An I/O error on `path`, with what to check.
    pub(crate) fn io(path: &str, err: &std::io::Error, what_to_do: &str) -> Self {
        Self::Io {
            path: path.to_owned(),
            message: format!("{err}. {what_to_do}"),
        }
    }

    /// A format error at a text line.
    pub(crate) fn at_line(source: &str, line: u64, message: impl Into<String>) -> Self {
        Self::Format {
            file: source.to_owned(),
            line_or_offset: line.to_string(),
            message: message.into(),
        }
    }

    /// A format error at a byte offset of a binary file.
    pub(crate) fn at_byte(source: &str, offset: u64, message: impl Into<String>) -> Self {
        Self::Format {
            file: source.to_owned(),
            line_or_offset: format!("byte {offset}"),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_error_names_source_and_line() {
        let err = TextError::at_line("vec.txt", 7, "expected 3 numbers");
        assert_eq!(err.to_string(), "vec.txt:7: expected 3 numbers");
        let err = TextError::at_byte("vec.bin", 1234, "truncated");
        assert_eq!(err.to_string(), "vec.bin:byte 1234: truncated");
    }
}
