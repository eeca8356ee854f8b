//! The standard word2vec file formats, as read and written by the original
//! C tool, gensim's `KeyedVectors.save_word2vec_format` /
//! `load_word2vec_format` and fastText's `.vec` files.
//!
//! Both start with a text header line `"WORDS DIM\n"`. Then, per word:
//! - **text**: `word v1 v2 … vDIM\n` (values separated by spaces; the C tool
//!   leaves a space before the newline, gensim does not; `\r\n` is accepted);
//! - **binary**: the word's bytes, one space, `DIM` little-endian `f32`s and
//!   a newline (the reader, like the C tool and gensim, also accepts the
//!   newline missing, and skips newlines before a word).
//!
//! Writing uses the shortest text that reads back to the same `f32`, so a
//! text file round-trips exactly, like a binary one. Words containing
//! whitespace cannot be stored in either format and are refused.
//!
//! Reading streams from any `BufRead` and tells the two formats apart from
//! the bytes after the first word (text holds only digits, signs, points,
//! exponents and spaces; binary floats practically never do). Headerless
//! text files (GloVe) are accepted too: the first line then already holds a
//! word and its numbers. Memory stays bounded by the data actually read: a
//! header claiming more words than the remaining bytes could hold (when the
//! size is known), a dimension above 10 000, a word longer than 4 KiB or an
//! overlong line is refused with an error saying where; a gzip file gets a
//! hint to decompress it. Errors carry the source path and the line (text)
//! or byte offset (binary). Words are decoded as UTF-8, invalid bytes
//! replaced (the C tool cuts long words in the middle of a character).
//!
//! Uses `data::Progress` and `std` only.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Cursor, Read, Write};
use std::path::Path;

use super::TextError;
use super::word2vec::{MAX_DIM, WordVectors};
use crate::data::Progress;
use crate::data::file::open_regular;

/// Longest word accepted when reading, in bytes.
const MAX_WORD_BYTES: usize = 4096;
/// Longest header line accepted, in bytes.
const MAX_HEADER_BYTES: u64 = 1 << 20;
/// Longest text accepted for one number on a text line, in bytes (on
/// average; the line limit is word + DIM × this).
const MAX_NUMBER_BYTES: u64 = 64;
/// Report progress and check for cancel every this many words.
const REPORT_EVERY_WORDS: usize = 4096;
/// Never reserve room for more words than this before they are read.
const MAX_RESERVED_WORDS: usize = 1 << 16;

/// Writes `v` in the word2vec text format.
pub fn write_text(v: &WordVectors, out: impl Write) -> Result<(), TextError> {
    check_writable(v)?;
    let mut out = BufWriter::new(out);
    let mut line = String::new();
    let result = (|| {
        writeln!(out, "{} {}", v.words.len(), v.dim)?;
        for (word, row) in v.words.iter().zip(v.vectors.chunks_exact(v.dim)) {
            line.clear();
            line.push_str(word);
            for &x in row {
                line.push(' ');
                push_float(&mut line, x);
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
        }
        out.flush()
    })();
    result.map_err(|e| write_error(&e))
}

/// Writes `v` in the word2vec binary format.
pub fn write_binary(v: &WordVectors, out: impl Write) -> Result<(), TextError> {
    check_writable(v)?;
    let mut out = BufWriter::new(out);
    let result = (|| {
        writeln!(out, "{} {}", v.words.len(), v.dim)?;
        for (word, row) in v.words.iter().zip(v.vectors.chunks_exact(v.dim)) {
            out.write_all(word.as_bytes())?;
            out.write_all(b" ")?;
            for &x in row {
                out.write_all(&x.to_le_bytes())?;
            }
            out.write_all(b"\n")?;
        }
        out.flush()
    })();
    result.map_err(|e| write_error(&e))
}

/// Writes `v` to `path` (binary or text) atomically: into a temporary file
/// beside it, synced, then renamed over `path`.
pub fn write_word2vec_file(v: &WordVectors, path: &Path, binary: bool) -> Result<(), TextError> {
    let shown = path.display().to_string();
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let what_to_do = "Check that the folder exists, is writable and the disk has space.";
    let file = File::create(&tmp).map_err(|e| TextError::io(&shown, &e, what_to_do))?;
    let written = if binary {
        write_binary(v, &file)
    } else {
        write_text(v, &file)
    };
    let finished = written.and_then(|()| {
        file.sync_all()
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| TextError::io(&shown, &e, what_to_do))
    });
    if finished.is_err() {
        // Best effort: the temporary file is useless now; the error that
        // matters is the one returned.
        let _ = std::fs::remove_file(&tmp);
    }
    finished.map_err(|e| match e {
        TextError::Io { message, .. } => TextError::Io {
            path: shown.clone(),
            message,
        },
        other => other,
    })
}

fn write_error(err: &std::io::Error) -> TextError {
    TextError::io(
        "word2vec output",
        err,
        "Check that the destination is writable and the disk has space.",
    )
}

/// Refuses vectors that cannot be written faithfully.
fn check_writable(v: &WordVectors) -> Result<(), TextError> {
    if v.dim == 0 || v.words.len().checked_mul(v.dim) != Some(v.vectors.len()) {
        return Err(TextError::Shape(format!(
            "{} words of dimension {} need {} values, but there are {}",
            v.words.len(),
            v.dim,
            v.words.len().saturating_mul(v.dim),
            v.vectors.len()
        )));
    }
    for (i, word) in v.words.iter().enumerate() {
        if word.is_empty() || word.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(TextError::Format {
                file: "word2vec output".into(),
                line_or_offset: format!("word {}", i + 1),
                message: format!(
                    "the word {word:?} is empty or contains whitespace, which the word2vec formats cannot store; replace the whitespace (e.g. with '_') first"
                ),
            });
        }
    }
    Ok(())
}

/// Appends the shortest text that parses back to exactly `x`: plain
/// decimals in the usual range, scientific notation for tiny or huge values
/// (where plain decimals would run to dozens of digits).
fn push_float(out: &mut String, x: f32) {
    use std::fmt::Write as _;
    let magnitude = x.abs();
    // Writing into a String cannot fail.
    let _ = if magnitude != 0.0 && magnitude.is_finite() && !(1e-4..1e16).contains(&magnitude) {
        write!(out, "{x:e}")
    } else {
        write!(out, "{x}")
    };
}

/// Reads the `path` given (text or binary, detected), keeping the first
/// `limit` words when given.
pub fn read_word2vec_file(
    path: &Path,
    limit: Option<usize>,
    progress: &dyn Progress,
) -> Result<WordVectors, TextError> {
    let shown = path.display().to_string();
    let (file, total) = open_regular(path)?;
    let reader = BufReader::with_capacity(1 << 16, file);
    read_word2vec(reader, &shown, Some(total), limit, progress)
}

/// Streams word vectors from `r` (text or binary, detected); see the module
/// docs. `source` names the input in errors; `total_bytes`, when known,
/// drives progress and the header's plausibility check; `limit` keeps only
/// the first words (files are sorted by frequency).
pub fn read_word2vec(
    r: impl BufRead,
    source: &str,
    total_bytes: Option<u64>,
    limit: Option<usize>,
    progress: &dyn Progress,
) -> Result<WordVectors, TextError> {
    let mut counted = Counted { inner: r, bytes: 0 };
    let header = read_header(&mut counted, source)?;
    let dim = header.dim;

    if let (Some(words), Some(total)) = (header.words, total_bytes) {
        // Text needs at least "w" + DIM × " 0"; binary needs more.
        let min_record = 1 + 2 * dim as u64;
        let remaining = total.saturating_sub(counted.bytes);
        if words
            .checked_mul(min_record)
            .is_none_or(|need| need > remaining)
        {
            return Err(TextError::TooLarge(format!(
                "{source}:1: the header claims {words} words of dimension {dim}, but only {remaining} bytes follow, room for at most {} words. The file is truncated or its header is wrong; a word2vec header is 'WORDS DIMENSION'.",
                remaining / min_record
            )));
        }
    }
    let keep = match (header.words, limit) {
        (Some(w), Some(l)) => Some(w.min(l as u64)),
        (Some(w), None) => Some(w),
        (None, Some(l)) => Some(l as u64),
        (None, None) => None,
    };
    let mut out = Output::new(source, dim, keep, header.words, total_bytes, progress);
    if keep == Some(0) {
        return Ok(out.finish());
    }

    let first_line_number = header.first_line_number;
    let (binary, pending) = match header.first_line {
        Some(line) => (false, line),
        None => {
            // Read the first word and up to one binary vector's bytes,
            // decide, then put them back in front of the rest.
            let mut probe = Vec::new();
            read_word_bytes(&mut counted, &mut probe).map_err(|e| io_error(source, &e))?;
            let word_len = probe.len();
            counted
                .by_ref()
                .take(4 * dim as u64)
                .read_to_end(&mut probe)
                .map_err(|e| io_error(source, &e))?;
            let word = probe.get(..word_len).unwrap_or(&[]);
            let values = probe.get(word_len..).unwrap_or(&[]);
            (!is_text_record(word, values, dim), probe)
        }
    };
    let mut r = Cursor::new(pending).chain(counted);
    if binary {
        read_binary_records(&mut r, &mut out)?;
    } else {
        read_text_records(&mut r, &mut out, first_line_number)?;
    }
    Ok(out.finish())
}

/// Counts the bytes consumed from a reader, for offsets and progress.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.bytes += amt as u64;
        self.inner.consume(amt);
    }
}

type Chained<R> = std::io::Chain<Cursor<Vec<u8>>, Counted<R>>;

/// Byte offset in the original input of the next byte `r` will yield.
fn offset<R>(r: &Chained<R>) -> u64 {
    let (pending, counted) = r.get_ref();
    let unread = (pending.get_ref().len() as u64).saturating_sub(pending.position());
    counted.bytes.saturating_sub(unread)
}

fn io_error(source: &str, err: &std::io::Error) -> TextError {
    TextError::io(
        source,
        err,
        "Check that the file is readable and complete (not still downloading).",
    )
}

/// The parsed first line.
struct Header {
    /// Words promised by the header; `None` for headerless text.
    words: Option<u64>,
    dim: usize,
    /// For headerless text: the first line, which already holds data.
    first_line: Option<Vec<u8>>,
    /// Line number of the first data line.
    first_line_number: u64,
}

fn read_header<R: BufRead>(r: &mut Counted<R>, source: &str) -> Result<Header, TextError> {
    let mut line = Vec::new();
    r.by_ref()
        .take(MAX_HEADER_BYTES)
        .read_until(b'\n', &mut line)
        .map_err(|e| io_error(source, &e))?;
    if line.is_empty() {
        return Err(TextError::Empty(format!(
            "{source} is empty; a word2vec file starts with a header line 'WORDS DIMENSION'"
        )));
    }
    if line.starts_with(&[0x1f, 0x8b]) {
        return Err(TextError::at_line(
            source,
            1,
            "this is a gzip-compressed file; decompress it first (gunzip) and open the result",
        ));
    }
    if line.last() != Some(&b'\n') && line.len() as u64 == MAX_HEADER_BYTES {
        return Err(TextError::at_line(
            source,
            1,
            "the first line is longer than 1 MiB; this is not a word2vec file (expected a header line 'WORDS DIMENSION')",
        ));
    }
    let text = String::from_utf8_lossy(&line);
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    let check_dim = |dim: usize| {
        if dim == 0 {
            Err(TextError::at_line(
                source,
                1,
                "the dimension is 0; a word2vec header is 'WORDS DIMENSION' with a positive dimension",
            ))
        } else if dim > MAX_DIM {
            Err(TextError::TooLarge(format!(
                "{source}:1: the header claims dimension {dim}, above the limit of {MAX_DIM}; the file is corrupt or not a word2vec file"
            )))
        } else {
            Ok(dim)
        }
    };
    if let [words, dim] = fields.as_slice()
        && let (Ok(words), Ok(dim)) = (words.parse::<u64>(), dim.parse::<u64>())
    {
        let dim = check_dim(usize::try_from(dim).unwrap_or(usize::MAX))?;
        return Ok(Header {
            words: Some(words),
            dim,
            first_line: None,
            first_line_number: 2,
        });
    }
    let numbers = fields.get(1..).unwrap_or(&[]);
    if !numbers.is_empty() && numbers.iter().all(|f| f.parse::<f32>().is_ok()) {
        let dim = check_dim(numbers.len())?;
        return Ok(Header {
            words: None,
            dim,
            first_line: Some(line),
            first_line_number: 1,
        });
    }
    let shown: String = text.trim_end().chars().take(60).collect();
    Err(TextError::at_line(
        source,
        1,
        format!(
            "expected the header 'WORDS DIMENSION' (e.g. '3000000 300'), found {shown:?}; is this a word2vec .txt, .bin or .vec file?"
        ),
    ))
}

/// Decides the format from the first record: `word` is what came before
/// the first space (newlines before it included), `values` up to `4 × dim`
/// bytes after it.
///
/// The C tool splits words at spaces, tabs and newlines, so a tab or newline
/// inside the word means text. Otherwise text when the values up to the end
/// of the line are numbers (at least four bytes of them, or exactly `dim`),
/// or when there is no line end and every byte can be part of a number.
/// Binary floats practically never pass: their high bytes are rarely digits.
fn is_text_record(word: &[u8], values: &[u8], dim: usize) -> bool {
    let word = word.strip_suffix(b" ").unwrap_or(word);
    let word_start = word.iter().position(|&b| b != b'\n' && b != b'\r');
    if word_start.is_some_and(|start| {
        word.get(start..)
            .is_some_and(|w| w.iter().any(|&b| b == b'\t' || b == b'\n'))
    }) {
        return true;
    }
    match values.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let line = values.get(..end).unwrap_or(&[]);
            let Ok(line) = std::str::from_utf8(line) else {
                return false;
            };
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            !fields.is_empty()
                && fields.iter().all(|f| f.parse::<f32>().is_ok())
                && (fields.len() == dim || line.len() >= 4)
        }
        None => values.len() < 4 * dim || values.iter().all(|&b| is_number_byte(b)),
    }
}

/// Bytes that can appear in a written number or between numbers.
fn is_number_byte(b: u8) -> bool {
    b.is_ascii_digit() || b" \t\r+-.eEnNaAiIfFtTyY".contains(&b)
}

/// Reads one binary-format word and its space into `buf` (newlines before
/// the word included), at most [`MAX_WORD_BYTES`] plus a few.
fn read_word_bytes(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    r.by_ref()
        .take(MAX_WORD_BYTES as u64 + 8)
        .read_until(b' ', buf)
}

/// Collects what is read, with progress and the limit.
struct Output<'a> {
    source: &'a str,
    dim: usize,
    /// Stop after this many words (the header's count and the limit).
    keep: Option<u64>,
    /// The header's word count, which the file must reach (up to `keep`).
    promised: Option<u64>,
    total_bytes: Option<u64>,
    progress: &'a dyn Progress,
    words: Vec<String>,
    vectors: Vec<f32>,
}

impl<'a> Output<'a> {
    fn new(
        source: &'a str,
        dim: usize,
        keep: Option<u64>,
        promised: Option<u64>,
        total_bytes: Option<u64>,
        progress: &'a dyn Progress,
    ) -> Self {
        let reserve = keep.map_or(MAX_RESERVED_WORDS, |k| {
            usize::try_from(k)
                .unwrap_or(usize::MAX)
                .min(MAX_RESERVED_WORDS)
        });
        Self {
            source,
            dim,
            keep,
            promised,
            total_bytes,
            progress,
            words: Vec::with_capacity(reserve),
            vectors: Vec::with_capacity(reserve.saturating_mul(dim)),
        }
    }

    fn full(&self) -> bool {
        self.keep.is_some_and(|k| self.words.len() as u64 >= k)
    }

    /// Reports progress now and then; `Err(Cancelled)` when asked to stop.
    fn tick(&self, bytes_read: u64) -> Result<(), TextError> {
        if !self.words.len().is_multiple_of(REPORT_EVERY_WORDS) {
            return Ok(());
        }
        if self.progress.is_cancelled() {
            return Err(TextError::Cancelled);
        }
        let fraction = match (self.total_bytes, self.keep) {
            (Some(total), None) if total > 0 => bytes_read as f64 / total as f64,
            (Some(total), Some(keep)) if total > 0 => {
                (bytes_read as f64 / total as f64).max(self.words.len() as f64 / keep.max(1) as f64)
            }
            (_, Some(keep)) => self.words.len() as f64 / keep.max(1) as f64,
            _ => 0.0,
        };
        self.progress.report(
            fraction.clamp(0.0, 1.0) as f32,
            &format!("reading {}: {} words", self.source, self.words.len()),
        );
        Ok(())
    }

    /// Errors when the input ended before the header's promise; `at` makes
    /// the error for the place where it ended.
    fn check_complete(&self, at: impl FnOnce(String) -> TextError) -> Result<(), TextError> {
        match self.promised {
            Some(promised) if !self.full() => Err(at(format!(
                "the file ends after {} words, but the header promises {promised}; it is truncated (download it again) or its header is wrong",
                self.words.len()
            ))),
            _ => Ok(()),
        }
    }

    fn finish(self) -> WordVectors {
        let counts = vec![0; self.words.len()];
        WordVectors {
            words: self.words,
            dim: self.dim,
            vectors: self.vectors,
            counts,
        }
    }
}

fn read_text_records<R: BufRead>(
    r: &mut Chained<R>,
    out: &mut Output<'_>,
    first_line_number: u64,
) -> Result<(), TextError> {
    let source = out.source;
    let dim = out.dim;
    let max_line = MAX_WORD_BYTES as u64 + dim as u64 * MAX_NUMBER_BYTES + 2;
    let mut line = Vec::new();
    let mut line_number = first_line_number.saturating_sub(1);
    while !out.full() {
        line.clear();
        let n = r
            .by_ref()
            .take(max_line)
            .read_until(b'\n', &mut line)
            .map_err(|e| io_error(source, &e))?;
        if n == 0 {
            break;
        }
        line_number += 1;
        if line.last() != Some(&b'\n') && n as u64 == max_line {
            return Err(TextError::at_line(
                source,
                line_number,
                format!(
                    "the line is longer than {max_line} bytes, far more than a word and {dim} numbers need; the file is corrupt or not in the word2vec text format"
                ),
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let mut fields = text.split_ascii_whitespace();
        let Some(word) = fields.next() else {
            continue; // blank line
        };
        let start = out.vectors.len();
        let mut found = 0usize;
        for field in fields {
            found += 1;
            if found > dim {
                continue;
            }
            let Some(x) = field.parse::<f32>().ok().filter(|x| x.is_finite()) else {
                out.vectors.truncate(start);
                return Err(TextError::at_line(
                    source,
                    line_number,
                    format!(
                        "{field:?} (number {found} of the word {word:?}) is not a finite number; each line must be a word and {dim} finite numbers"
                    ),
                ));
            };
            out.vectors.push(x);
        }
        if found != dim {
            out.vectors.truncate(start);
            return Err(TextError::at_line(
                source,
                line_number,
                format!(
                    "expected {dim} numbers after the word {word:?}, found {found}; every line must have the header's dimension"
                ),
            ));
        }
        out.words.push(word.to_owned());
        out.tick(offset(r))?;
    }
    out.check_complete(|m| TextError::at_line(source, line_number + 1, m))
}

fn read_binary_records<R: BufRead>(
    r: &mut Chained<R>,
    out: &mut Output<'_>,
) -> Result<(), TextError> {
    let source = out.source;
    let dim = out.dim;
    let mut word = Vec::new();
    let mut values = vec![0u8; 4 * dim];
    while !out.full() {
        let at = offset(r);
        word.clear();
        let n = read_word_bytes(r, &mut word).map_err(|e| io_error(source, &e))?;
        let bytes: &[u8] = {
            let start = word
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(word.len());
            word.get(start..).unwrap_or(&[])
        };
        if n == 0 || bytes.is_empty() {
            // End of input (perhaps after the last record's newline).
            out.check_complete(|m| TextError::at_byte(source, at, m))?;
            break;
        }
        let Some(bytes) = bytes.strip_suffix(b" ") else {
            let message = if n > MAX_WORD_BYTES {
                format!(
                    "no space within {MAX_WORD_BYTES} bytes: the word is too long, or this is not a word2vec binary file"
                )
            } else {
                format!(
                    "the file ends inside a word, after {} of the {} words the header promises; it is truncated",
                    out.words.len(),
                    out.keep.unwrap_or_default()
                )
            };
            return Err(TextError::at_byte(source, at, message));
        };
        let word_text = String::from_utf8_lossy(bytes).into_owned();
        let vector_at = offset(r);
        if let Err(err) = r.read_exact(&mut values) {
            if err.kind() == std::io::ErrorKind::UnexpectedEof {
                return Err(TextError::at_byte(
                    source,
                    vector_at,
                    format!(
                        "the file ends inside the vector of {word_text:?} (word {} of {}); it is truncated",
                        out.words.len() + 1,
                        out.keep.unwrap_or_default()
                    ),
                ));
            }
            return Err(io_error(source, &err));
        }
        let row = values
            .chunks_exact(4)
            .map(|b| <[u8; 4]>::try_from(b).map_or(0.0, f32::from_le_bytes));
        if let Some((k, x)) = row.clone().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(TextError::at_byte(
                source,
                vector_at + 4 * k as u64,
                format!(
                    "value {} of the word {word_text:?} is {x}, not a finite number; the file is damaged",
                    k + 1
                ),
            ));
        }
        out.vectors.extend(row);
        out.words.push(word_text);
        out.tick(offset(r))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<WordVectors, TextError> {
        read_word2vec(bytes, "test.vec", Some(bytes.len() as u64), None, &())
    }

    fn small() -> WordVectors {
        WordVectors {
            words: vec!["the".into(), "city".into(), "bus".into()],
            dim: 2,
            vectors: vec![0.5, -1.25, 1.0, 0.0, -0.125, 2.0],
            counts: vec![0, 0, 0],
        }
    }

    const SMALL_TEXT: &str = "3 2\nthe 0.5 -1.25\ncity 1 0\nbus -0.125 2\n";

    /// "2 2\n" then "ab " + 1.0, -2.0 as little-endian f32 + "\n", then
    /// "c " + 0.5, 0.0 + "\n"; written out byte by byte.
    const SMALL_BINARY: &[u8] = &[
        b'2', b' ', b'2', b'\n', //
        b'a', b'b', b' ', 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, b'\n', //
        b'c', b' ', 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x00, b'\n',
    ];

    #[test]
    fn text_fixture_reads_and_writes_exactly() {
        assert_eq!(read(SMALL_TEXT.as_bytes()).unwrap(), small());
        let mut out = Vec::new();
        write_text(&small(), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), SMALL_TEXT);
    }

    #[test]
    fn binary_fixture_reads_and_writes_exactly() {
        let v = WordVectors {
            words: vec!["ab".into(), "c".into()],
            dim: 2,
            vectors: vec![1.0, -2.0, 0.5, 0.0],
            counts: vec![0, 0],
        };
        assert_eq!(read(SMALL_BINARY).unwrap(), v);
        let mut out = Vec::new();
        write_binary(&v, &mut out).unwrap();
        assert_eq!(out, SMALL_BINARY);
    }

    #[test]
    fn both_formats_round_trip_every_bit() {
        let mut rng = crate::data::rng::Rng::new(9);
        let mut vectors: Vec<f32> = (0..40 * 7)
            .map(|_| rng.normal(0.0, 1.0) as f32 * 10f32.powi(rng.range_i64(-40, 38) as i32))
            .collect();
        vectors.extend([
            -0.0,
            f32::MIN_POSITIVE,
            1e-45,
            f32::MAX,
            f32::MIN,
            1.0 / 3.0,
            0.1,
        ]);
        let words = (0..41).map(|i| format!("w{i}_é")).collect();
        let v = WordVectors::new(words, 7, vectors, vec![]).unwrap();
        let bits = |v: &WordVectors| v.vectors.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for binary in [false, true] {
            let mut out = Vec::new();
            if binary {
                write_binary(&v, &mut out).unwrap();
            } else {
                write_text(&v, &mut out).unwrap();
            }
            let back = read(&out).unwrap();
            assert_eq!(back.words, v.words);
            assert_eq!(bits(&back), bits(&v), "binary {binary}");
        }
    }

    #[test]
    fn c_tool_trailing_spaces_crlf_and_missing_newlines_are_read() {
        let text = "3 2\r\nthe 0.5 -1.25 \r\n\r\ncity 1.0 0.0 \r\nbus -1.25e-1 2e0";
        assert_eq!(read(text.as_bytes()).unwrap(), small());
        // Tab-separated, and a first line shorter than one binary vector.
        let tabs = "3 2\nthe\t0.5\t-1.25\ncity\t1\t0\nbus\t-0.125\t2\n";
        assert_eq!(read(tabs.as_bytes()).unwrap(), small());
        let short = read(b"3 2\na 1 2\nbus 3 4\ncar 5 6\n").unwrap();
        assert_eq!(short.words, ["a", "bus", "car"]);
        // Binary without the newline after each vector (accepted by the C
        // tool and gensim).
        let mut bin: Vec<u8> = b"2 2\nab ".to_vec();
        bin.extend([1.0f32, -2.0].iter().flat_map(|x| x.to_le_bytes()));
        bin.extend(b"c ");
        bin.extend([0.5f32, 0.0].iter().flat_map(|x| x.to_le_bytes()));
        let v = read(&bin).unwrap();
        assert_eq!(v.words, ["ab", "c"]);
        assert_eq!(v.vectors, [1.0, -2.0, 0.5, 0.0]);
    }

    #[test]
    fn limit_keeps_the_first_words() {
        for bytes in [SMALL_TEXT.as_bytes(), SMALL_BINARY] {
            let v = read_word2vec(bytes, "t", None, Some(1), &()).unwrap();
            assert_eq!(v.len(), 1);
            assert_eq!(v.vectors.len(), 2);
            assert_eq!(
                read_word2vec(bytes, "t", None, Some(0), &()).unwrap().len(),
                0
            );
        }
    }

    #[test]
    fn header_claiming_a_trillion_words_is_refused_quickly() {
        let text = b"1000000000000 300\nthe 0.1 0.2\n";
        let started = std::time::Instant::now();
        let err = read(text).unwrap_err();
        assert!(matches!(err, TextError::TooLarge(_)), "{err}");
        assert!(err.to_string().contains("1000000000000 words"), "{err}");
        // Without the size, reading stops where the data ends: a truncation
        // error, with memory for the few words actually there.
        let err = read_word2vec(&text[..], "t", None, None, &()).unwrap_err();
        assert!(matches!(err, TextError::Format { .. }), "{err}");
        assert!(started.elapsed().as_secs() < 1);
        // Same for binary.
        let err = read_word2vec(&b"1000000000000 2\n"[..], "t", None, None, &()).unwrap_err();
        assert!(matches!(err, TextError::Format { .. }), "{err}");
        let err = read(b"3 20000\n").unwrap_err();
        assert!(matches!(err, TextError::TooLarge(_)), "{err}");
        assert!(err.to_string().contains("dimension 20000"), "{err}");
    }

    #[test]
    fn errors_name_the_line_or_byte_offset() {
        let err = read(b"2 2\nthe 0.5 0.25\ncity 1 x\n").unwrap_err();
        assert!(
            matches!(&err, TextError::Format { file, line_or_offset, .. } if file == "test.vec" && line_or_offset == "3"),
            "{err}"
        );
        let err = read(b"2 2\nthe 0.5 0.25\ncity 1\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("test.vec:3: expected 2 numbers"),
            "{err}"
        );
        let err = read_word2vec(&b"3 2\nthe 0.5 0.25\n"[..], "t", None, None, &()).unwrap_err();
        assert!(err.to_string().contains("ends after 1 words"), "{err}");
        // Binary cut inside the second vector: the offset of that vector.
        let cut = SMALL_BINARY.get(..22).unwrap();
        let err = read_word2vec(cut, "v.bin", None, None, &()).unwrap_err();
        assert!(
            matches!(&err, TextError::Format { line_or_offset, .. } if line_or_offset == "byte 18"),
            "{err}"
        );
        let err = read(b"hello world\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("test.vec:1: expected the header"),
            "{err}"
        );
        let err = read(&[0x1f, 0x8b, 8, 0, 1, 2, b'\n']).unwrap_err();
        assert!(err.to_string().contains("gunzip"), "{err}");
        assert!(matches!(read(b""), Err(TextError::Empty(_))));
    }

    #[test]
    fn headerless_glove_text_is_read() {
        let v = read(b"the 0.5 -1.25\ncity 1 0\nbus -0.125 2\n").unwrap();
        assert_eq!(v, small());
    }

    #[test]
    fn words_with_spaces_or_bad_shapes_are_refused() {
        let mut v = small();
        v.words[1] = "new york".into();
        assert!(matches!(
            write_text(&v, Vec::new()),
            Err(TextError::Format { .. })
        ));
        let mut v = small();
        v.vectors.pop();
        assert!(matches!(
            write_binary(&v, Vec::new()),
            Err(TextError::Shape(_))
        ));
    }

    #[test]
    fn files_are_written_atomically_and_read_back_with_cancel_honoured() {
        let dir = tempfile::tempdir().unwrap();
        for (name, binary) in [("v.txt", false), ("v.bin", true)] {
            let path = dir.path().join(name);
            write_word2vec_file(&small(), &path, binary).unwrap();
            assert_eq!(read_word2vec_file(&path, None, &()).unwrap(), small());
        }
        let err = read_word2vec_file(&dir.path().join("missing.bin"), None, &()).unwrap_err();
        assert!(matches!(&err, TextError::Io { path, .. } if path.ends_with("missing.bin")));

        struct Cancelled;
        impl Progress for Cancelled {
            fn report(&self, _: f32, _: &str) {}
            fn is_cancelled(&self) -> bool {
                true
            }
        }
        let big = WordVectors::new(
            (0..5000).map(|i| format!("w{i}")).collect(),
            1,
            vec![0.5; 5000],
            vec![],
        )
        .unwrap();
        let mut bytes = Vec::new();
        write_text(&big, &mut bytes).unwrap();
        let result = read_word2vec(&bytes[..], "t", None, None, &Cancelled);
        assert!(matches!(result, Err(TextError::Cancelled)));
    }
}
