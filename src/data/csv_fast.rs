//! The fast path of CSV ingest, for large clean files: one pass over the
//! file in blocks, on both cores, each cell parsed straight into its typed
//! column — no copy of the text, no copy of the cells.
//!
//! The general loader (`csv_load`) reads the whole file into memory, copies
//! every cell into per-column buffers, then types each column: simple and
//! able to handle every defect, but it holds the file, the cells and the
//! typed table at once (about 4× the table) and splits the records on one
//! core. Here the file is read 1 MiB at a time by two threads, each over
//! half of it (split at a line end; the first thread checks that the split
//! really was the end of a record), with the csv crate's own push parser
//! (`csv-core`), so records are split exactly as the general loader splits
//! them. A column's type is chosen from its first present cell and changes
//! only the way the type rules allow (integers become floats); category
//! strings are classified once per distinct value, not once per cell.
//!
//! **The result is the general loader's, or nothing.** This path knows only
//! clean data: the moment it meets anything the general loader would warn
//! about or treat specially — a record with the wrong number of fields, a
//! cell that does not fit its column's type, a quoted field over several
//! lines, a quote left open at the end, a date that could be month or day
//! first, a date and a time of day in two columns, text that is not UTF-8,
//! a NUL byte — it stops and returns `None`, and the caller loads the file
//! the general way. Columns of text are checked at the end against the type
//! rules (`infer::Scan::decide`) with the counts of their distinct values,
//! so a text column that the rules would make numeric is not kept as text.
//! The tests load every fixture both ways and compare.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::tz::TimeZone;

use super::csv_load::{self, LoadCounts, LoadOptions, LoadedCsv};
use super::infer::{self, Decision, OffsetSample, RawColumn, Scan};
use super::parse::{self, DayOrder};
use super::progress::Progress;
use super::table::{Column, ColumnValues, StringColumn, TimestampInfo, Validity};
use super::{LoadError, file};

/// Files smaller than this go the general way (it is fast enough there).
pub const MIN_BYTES: u64 = 1 << 20;
/// Bytes read at a time by each thread.
const BLOCK_BYTES: usize = 1 << 20;
/// The header must be within this many bytes of the start.
const HEAD_BYTES: u64 = 64 << 10;
/// A record longer than this goes the general way.
const MAX_RECORD_BYTES: usize = 1 << 20;
/// Records kept as text for the date-and-time-pair check (which looks at
/// the first 200 present cells of a column).
const SAMPLE_RECORDS: usize = 4096;
const PAIR_SAMPLE: usize = 200;
/// Past this many distinct values, a string column goes the general way
/// unless they are few for the rows (it is free text, not categories).
const MAX_DISTINCT: usize = 100_000;

/// Why the fast path stopped (kept for tests and debugging; the user sees
/// the general loader's result).
#[derive(Debug)]
pub(super) enum Stop {
    /// Not for this path: the reason, for tests and debugging.
    #[allow(dead_code)]
    Bail(&'static str),
    Load(LoadError),
}

impl From<&'static str> for Stop {
    fn from(why: &'static str) -> Self {
        Self::Bail(why)
    }
}

/// Loads `path` the fast way, or says why it did not.
pub(super) fn try_load(
    path: &Path,
    total: u64,
    opts: &LoadOptions,
    progress: &dyn Progress,
    min_bytes: u64,
) -> Result<LoadedCsv, Stop> {
    if total < min_bytes || total > u64::from(u32::MAX) {
        return Err("size".into());
    }
    let shown = path.display().to_string();
    let io = |e: std::io::Error| {
        Stop::Load(LoadError::Io {
            path: shown.clone(),
            message: e.to_string(),
        })
    };
    // The head: binary formats, encodings, the delimiter and the header.
    let (mut f, _) = file::open_regular(path).map_err(|_| Stop::Bail("open"))?;
    let mut head = Vec::new();
    (&mut f)
        .take(HEAD_BYTES.min(total))
        .read_to_end(&mut head)
        .map_err(io)?;
    if csv_load::sniff_binary(&head).is_some()
        || head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
        || memchr::memchr(0, &head).is_some()
    {
        return Err("binary or UTF-16".into());
    }
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let head_text = match std::str::from_utf8(body) {
        Ok(t) => t,
        // A character cut at the end of the head is fine.
        Err(e) if e.error_len().is_none() => body
            .get(..e.valid_up_to())
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default(),
        Err(_) => return Err("not UTF-8".into()),
    };
    let delimiter = opts
        .delimiter
        .unwrap_or_else(|| csv_load::sniff_delimiter(head_text));
    let (header, header_bytes) = read_header(&head, delimiter)?;
    let mut warnings = Vec::new();
    let headers = csv_load::clean_headers(header, &mut warnings);
    let n_cols = headers.len();
    let time_zone = opts.time_zone.clone().unwrap_or_else(TimeZone::system);
    let shared = Shared {
        path,
        delimiter,
        decimal_comma: delimiter == b';',
        n_cols,
        time_zone: &time_zone,
        progress,
        done_bytes: AtomicU64::new(0),
        total_bytes: total.max(1),
    };

    // Two halves, split at a line end near the middle.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    let split = if threads > 1 && total >= 4 * BLOCK_BYTES as u64 {
        line_end_after(&mut f, total / 2, total).map_err(io)?
    } else {
        total
    };
    let (first, second) = std::thread::scope(|s| {
        let second = (split < total).then(|| {
            std::thread::Builder::new()
                .name("csv-fast-1".to_owned())
                .spawn_scoped(s, || parse_part(&shared, split, total, false))
        });
        let first = parse_part(&shared, header_bytes, split, true);
        let second = second.map(|h| match h {
            Ok(h) => h.join().unwrap_or(Err(Stop::Bail("thread died"))),
            // No second thread: read that half here.
            Err(_) => parse_part(&shared, split, total, false),
        });
        (first, second)
    });
    let mut part = first?;
    if let Some(second) = second {
        part.append(second?)?;
    }
    if part.rows == 0 {
        return Err("no rows".into());
    }
    if progress.is_cancelled() {
        return Err(Stop::Load(LoadError::Cancelled));
    }
    // A date and a time of day in two columns: the general way combines them.
    let complete = part.rows <= SAMPLE_RECORDS;
    let named_like_date_or_time = |h: &str| {
        let l = h.to_lowercase();
        ["date", "day", "time", "hour"]
            .iter()
            .any(|w| l.contains(w))
    };
    for (h, sample) in headers.iter().zip(&part.samples) {
        let present = sample.iter().filter(|c| !parse::is_missing(c)).count();
        if !complete && present < PAIR_SAMPLE && named_like_date_or_time(h) {
            return Err("date/time sample incomplete".into());
        }
    }
    if !super::combine::find_pairs(&headers, &part.samples).is_empty() {
        return Err("date and time in two columns".into());
    }
    let rows = part.rows;
    let mut columns = Vec::with_capacity(n_cols);
    for (name, b) in headers.iter().zip(part.builders) {
        columns.push(b.finish(name, rows, shared.decimal_comma)?);
    }
    let (table, zone) = csv_load::table_and_zone(columns, &part.offsets.pairs, time_zone, &shown)
        .map_err(Stop::Load)?;
    progress.report(1.0, "Loaded");
    Ok(LoadedCsv {
        table,
        delimiter,
        encoding: "UTF-8",
        warnings,
        time_zone: zone,
        file_bytes: total,
        counts: LoadCounts {
            records: rows,
            ..LoadCounts::default()
        },
    })
}

/// The header record's fields and the bytes it takes (BOM included).
fn read_header(head: &[u8], delimiter: u8) -> Result<(Vec<String>, u64), Stop> {
    let mut rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = vec![0u8; head.len() + 1];
    let mut ends = vec![0usize; 1 << 16];
    let (res, nin, nout, nend) = rdr.read_record(head, &mut out, &mut ends);
    if res != csv_core::ReadRecordResult::Record {
        return Err("header not within the head".into());
    }
    let text = std::str::from_utf8(out.get(..nout).unwrap_or_default())
        .map_err(|_| Stop::Bail("header not UTF-8"))?;
    if text.contains('\n') {
        return Err("header over several lines".into());
    }
    let mut fields = Vec::with_capacity(nend);
    let mut start = 0;
    for &end in ends.get(..nend).unwrap_or_default() {
        fields.push(text.get(start..end).unwrap_or_default().to_owned());
        start = end;
    }
    Ok((fields, nin as u64))
}

/// The offset just after the first `\n` at or after `from`.
fn line_end_after(f: &mut std::fs::File, from: u64, total: u64) -> std::io::Result<u64> {
    f.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0u8; 64 << 10];
    let mut at = from;
    while at < total {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', buf.get(..n).unwrap_or_default()) {
            return Ok(at + i as u64 + 1);
        }
        at += n as u64;
    }
    Ok(total)
}

/// What both threads read.
struct Shared<'a> {
    path: &'a Path,
    delimiter: u8,
    decimal_comma: bool,
    n_cols: usize,
    time_zone: &'a TimeZone,
    progress: &'a dyn Progress,
    done_bytes: AtomicU64,
    total_bytes: u64,
}

/// The typed columns of one stretch of the file.
struct Part {
    builders: Vec<ColBuilder>,
    rows: usize,
    offsets: OffsetSample,
    /// The first records' cells as text (first part only).
    samples: Vec<RawColumn>,
}

impl Part {
    /// Appends the rows of the part that follows this one.
    fn append(&mut self, next: Part) -> Result<(), Stop> {
        for (a, b) in self.builders.iter_mut().zip(next.builders) {
            a.append(b)?;
        }
        self.rows += next.rows;
        for &(utc, off) in &next.offsets.pairs {
            if self.offsets.pairs.len() < 512
                && self.offsets.pairs.last().is_none_or(|&(_, o)| o != off)
            {
                self.offsets.pairs.push((utc, off));
            }
        }
        Ok(())
    }
}

/// Parses the records of `start..end` (which begins at a record start).
/// The first part checks that `end` is a record boundary too; the last one
/// that its last record does not hold a quote left open.
fn parse_part(sh: &Shared<'_>, start: u64, end: u64, first: bool) -> Result<Part, Stop> {
    let load_err = |e: std::io::Error| {
        Stop::Load(LoadError::Io {
            path: sh.path.display().to_string(),
            message: e.to_string(),
        })
    };
    let (mut f, _) = file::open_regular(sh.path).map_err(|_| Stop::Bail("open"))?;
    f.seek(SeekFrom::Start(start)).map_err(load_err)?;
    let mut f = f.take(end - start);
    let mut rdr = csv_core::ReaderBuilder::new()
        .delimiter(sh.delimiter)
        .build();
    let mut buf = vec![0u8; BLOCK_BYTES];
    let (mut in_start, mut in_len) = (0usize, 0usize);
    let mut eof = false;
    let mut out = vec![0u8; 4096];
    let mut ends = vec![0usize; sh.n_cols + 4];
    let (mut out_len, mut ends_len) = (0usize, 0usize);
    let mut pos = start;
    let mut record_start = start;
    let mut last_record = (start, start);
    let mut part = Part {
        builders: (0..sh.n_cols)
            .map(|_| ColBuilder::Unknown { missing: 0 })
            .collect(),
        rows: 0,
        offsets: OffsetSample::default(),
        samples: if first {
            (0..sh.n_cols).map(|_| RawColumn::default()).collect()
        } else {
            Vec::new()
        },
    };
    let mut resolver = infer::LocalResolver::new(sh.time_zone);
    loop {
        if in_start == in_len && !eof {
            if sh.progress.is_cancelled() {
                return Err(Stop::Load(LoadError::Cancelled));
            }
            let n = f.read(&mut buf).map_err(load_err)?;
            if n == 0 {
                eof = true;
            } else if memchr::memchr(0, buf.get(..n).unwrap_or_default()).is_some() {
                return Err("NUL byte".into());
            }
            in_start = 0;
            in_len = n;
            let done = sh.done_bytes.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            sh.progress
                .report(0.95 * done as f32 / sh.total_bytes as f32, "Reading rows");
        }
        let input = if eof {
            &[][..]
        } else {
            buf.get(in_start..in_len).unwrap_or_default()
        };
        let (res, nin, nout, nend) = rdr.read_record(
            input,
            out.get_mut(out_len..).unwrap_or_default(),
            ends.get_mut(ends_len..).unwrap_or_default(),
        );
        in_start += nin;
        pos += nin as u64;
        out_len += nout;
        ends_len += nend;
        match res {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::OutputFull => {
                if out.len() >= MAX_RECORD_BYTES {
                    return Err("a long record".into());
                }
                out.resize(out.len() * 2, 0);
            }
            csv_core::ReadRecordResult::OutputEndsFull => {
                // More fields than the header: the general way warns.
                return Err("too many fields".into());
            }
            csv_core::ReadRecordResult::Record => {
                if first && eof && end < sh.total_bytes {
                    // A record cut at the split: it was not a line end of
                    // the table.
                    return Err("split inside a record".into());
                }
                let fields = out.get(..out_len).unwrap_or_default();
                if memchr::memchr(b'\n', fields).is_some() {
                    return Err("a field over several lines".into());
                }
                let text = std::str::from_utf8(fields).map_err(|_| Stop::Bail("not UTF-8"))?;
                let record_ends = ends.get(..ends_len).unwrap_or_default();
                part.push_record(sh, text, record_ends, &mut resolver)?;
                last_record = (record_start, pos);
                record_start = pos;
                out_len = 0;
                ends_len = 0;
            }
            csv_core::ReadRecordResult::End => break,
        }
    }
    if !first || end == sh.total_bytes {
        // The last record of the file: a quote opened and never closed on it
        // is read as a literal character the general way.
        let (a, b) = last_record;
        if b > a {
            if b - a > MAX_RECORD_BYTES as u64 {
                return Err("a long last record".into());
            }
            let (mut f, _) = file::open_regular(sh.path).map_err(|_| Stop::Bail("open"))?;
            f.seek(SeekFrom::Start(a)).map_err(load_err)?;
            let mut span = Vec::new();
            f.take(b - a).read_to_end(&mut span).map_err(load_err)?;
            if csv_load::find_runaway_quote(&span, sh.delimiter, false).is_some() {
                return Err("a quote left open".into());
            }
        }
    }
    Ok(part)
}

impl Part {
    fn push_record(
        &mut self,
        sh: &Shared<'_>,
        text: &str,
        ends: &[usize],
        resolver: &mut infer::LocalResolver<'_>,
    ) -> Result<(), Stop> {
        let n = ends.len();
        if n != sh.n_cols {
            // Extra fields that are all empty (a trailing delimiter) are
            // harmless; anything else the general way reports.
            let extra_empty = n > sh.n_cols
                && ends
                    .windows(2)
                    .skip(sh.n_cols - 1)
                    .all(|w| text.get(w[0]..w[1]).is_some_and(|f| f.trim().is_empty()));
            if !extra_empty {
                return Err("a record with the wrong number of fields".into());
            }
        }
        let sampling = self.rows < SAMPLE_RECORDS && !self.samples.is_empty();
        let mut start = 0;
        for (i, (&end, b)) in ends.iter().zip(&mut self.builders).enumerate() {
            let cell = text
                .get(start..end)
                .ok_or(Stop::Bail("a field not on a character boundary"))?;
            start = end;
            b.push(cell, sh.decimal_comma, resolver, &mut self.offsets)?;
            if sampling && let Some(s) = self.samples.get_mut(i) {
                s.push(cell);
            }
        }
        self.rows += 1;
        Ok(())
    }
}

/// A column being built: its kind so far, chosen by its first present cell.
enum ColBuilder {
    /// Only missing cells so far.
    Unknown {
        missing: usize,
    },
    Bool(Vec<bool>, Validity),
    Int {
        values: Vec<i64>,
        validity: Validity,
        lo: i64,
        hi: i64,
    },
    Float(Vec<f64>, Validity),
    Time {
        values: Vec<i64>,
        validity: Validity,
        with_offset: usize,
    },
    Str(StrBuilder),
}

/// Strings as dictionary codes; each distinct value is classified by the
/// type rules once, at the end, weighted by how often it occurs.
#[derive(Default)]
struct StrBuilder {
    index: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    /// Occurrences of each code.
    counts: Vec<usize>,
    codes: Vec<u32>,
    validity: Validity,
    present: usize,
    /// Bytes of the present cells as written.
    total_len: usize,
    /// A cell had spaces around it (the categories are trimmed; text is not).
    untrimmed: bool,
}

impl StrBuilder {
    fn push_missing(&mut self) {
        self.codes.push(0);
        self.validity.push(false);
    }

    fn push(&mut self, cell: &str) -> Result<(), Stop> {
        let t = cell.trim();
        self.untrimmed |= t.len() != cell.len();
        self.total_len += cell.len();
        self.present += 1;
        let code = match self.index.get(t) {
            Some(&c) => c,
            None => {
                let c = self.counts.len() as u32;
                if self.counts.len() >= MAX_DISTINCT && self.counts.len() * 2 > self.codes.len() {
                    return Err("free text".into());
                }
                self.index.insert(t.into(), c);
                self.counts.push(0);
                c
            }
        };
        if let Some(n) = self.counts.get_mut(code as usize) {
            *n += 1;
        }
        self.codes.push(code);
        self.validity.push(true);
        Ok(())
    }

    /// The values by code.
    fn dictionary(&mut self) -> Vec<String> {
        let mut dict = vec![String::new(); self.counts.len()];
        for (s, c) in self.index.drain() {
            if let Some(slot) = dict.get_mut(c as usize) {
                *slot = s.into();
            }
        }
        dict
    }

    fn append(&mut self, mut next: StrBuilder) -> Result<(), Stop> {
        let dict = next.dictionary();
        let mut remap = Vec::with_capacity(dict.len());
        for (s, n) in dict.into_iter().zip(&next.counts) {
            let code = match self.index.get(s.as_str()) {
                Some(&c) => c,
                None => {
                    let c = self.counts.len() as u32;
                    self.index.insert(s.into(), c);
                    self.counts.push(0);
                    c
                }
            };
            if let Some(k) = self.counts.get_mut(code as usize) {
                *k += n;
            }
            remap.push(code);
        }
        // Missing cells hold code 0, as the general way leaves them.
        let validity = &next.validity;
        self.codes
            .extend(next.codes.iter().enumerate().map(|(r, &c)| {
                if validity.is_valid(r) {
                    remap.get(c as usize).copied().unwrap_or(0)
                } else {
                    0
                }
            }));
        self.validity.append(&next.validity);
        self.present += next.present;
        self.total_len += next.total_len;
        self.untrimmed |= next.untrimmed;
        Ok(())
    }
}

fn fill<T: Clone>(values: &mut Vec<T>, validity: &mut Validity, filler: T, n: usize) {
    values.extend(std::iter::repeat_n(filler, n));
    for _ in 0..n {
        validity.push(false);
    }
}

impl ColBuilder {
    fn push(
        &mut self,
        cell: &str,
        decimal_comma: bool,
        resolver: &mut infer::LocalResolver<'_>,
        offsets: &mut OffsetSample,
    ) -> Result<(), Stop> {
        let missing = parse::is_missing(cell);
        match self {
            Self::Unknown { missing: m } => {
                if missing {
                    *m += 1;
                } else {
                    *self = Self::start(cell, *m, decimal_comma)?;
                    self.push(cell, decimal_comma, resolver, offsets)?;
                }
            }
            Self::Bool(values, validity) => {
                let v = if missing {
                    None
                } else {
                    Some(parse::parse_bool(cell).ok_or(Stop::Bail("not a boolean"))?)
                };
                values.push(v.unwrap_or(false));
                validity.push(v.is_some());
            }
            Self::Int {
                values,
                validity,
                lo,
                hi,
            } => {
                if missing {
                    values.push(0);
                    validity.push(false);
                } else if let Some(v) = parse::parse_i64(cell) {
                    values.push(v);
                    validity.push(true);
                    *lo = (*lo).min(v);
                    *hi = (*hi).max(v);
                } else if parse::parse_f64(cell, decimal_comma).is_some() {
                    // Integers and decimals: a column of floats.
                    let this = std::mem::replace(self, Self::Unknown { missing: 0 });
                    *self = this.into_float();
                    self.push(cell, decimal_comma, resolver, offsets)?;
                } else {
                    return Err("not a number".into());
                }
            }
            Self::Float(values, validity) => {
                let v = if missing {
                    None
                } else {
                    Some(parse::parse_f64(cell, decimal_comma).ok_or(Stop::Bail("not a number"))?)
                };
                values.push(v.unwrap_or(f64::NAN));
                validity.push(v.is_some());
            }
            Self::Time {
                values,
                validity,
                with_offset,
            } => {
                if missing {
                    values.push(0);
                    validity.push(false);
                } else {
                    let d = parse::parse_datetime(cell, DayOrder::MonthFirst)
                        .filter(|d| d.ambiguous_ab.is_none())
                        .ok_or(Stop::Bail("not an unambiguous date-time"))?;
                    if parse::parse_f64(cell, decimal_comma).is_some() {
                        return Err("a number in a date-time column".into());
                    }
                    *with_offset += usize::from(d.offset_secs.is_some());
                    values.push(infer::to_utc_micros(&d, resolver, offsets));
                    validity.push(true);
                }
            }
            Self::Str(b) => {
                if missing {
                    b.push_missing();
                } else {
                    b.push(cell)?;
                }
            }
        }
        Ok(())
    }

    /// The builder for a column whose first present cell is `cell`, after
    /// `missing` missing ones.
    fn start(cell: &str, missing: usize, decimal_comma: bool) -> Result<Self, Stop> {
        let mut validity = Validity::default();
        Ok(if parse::parse_bool(cell).is_some() {
            let mut values = Vec::new();
            fill(&mut values, &mut validity, false, missing);
            Self::Bool(values, validity)
        } else if parse::parse_i64(cell).is_some() {
            let mut values = Vec::new();
            fill(&mut values, &mut validity, 0, missing);
            Self::Int {
                values,
                validity,
                lo: i64::MAX,
                hi: i64::MIN,
            }
        } else if parse::parse_f64(cell, decimal_comma).is_some() {
            let mut values = Vec::new();
            fill(&mut values, &mut validity, f64::NAN, missing);
            Self::Float(values, validity)
        } else if parse::parse_datetime(cell, DayOrder::MonthFirst)
            .is_some_and(|d| d.ambiguous_ab.is_none())
        {
            let mut values = Vec::new();
            fill(&mut values, &mut validity, 0, missing);
            Self::Time {
                values,
                validity,
                with_offset: 0,
            }
        } else if parse::parse_datetime(cell, DayOrder::DayFirst).is_some()
            || parse::parse_datetime(cell, DayOrder::MonthFirst).is_some()
        {
            return Err("a date that could be month or day first".into());
        } else {
            let mut b = StrBuilder::default();
            for _ in 0..missing {
                b.push_missing();
            }
            Self::Str(b)
        })
    }

    fn len(&self) -> usize {
        match self {
            Self::Unknown { missing } => *missing,
            Self::Bool(v, _) => v.len(),
            Self::Int { values, .. } => values.len(),
            Self::Float(v, _) => v.len(),
            Self::Time { values, .. } => values.len(),
            Self::Str(b) => b.codes.len(),
        }
    }

    /// Adds `n` missing cells.
    fn push_missing(&mut self, n: usize) {
        match self {
            Self::Unknown { missing } => *missing += n,
            Self::Bool(v, val) => fill(v, val, false, n),
            Self::Int {
                values, validity, ..
            }
            | Self::Time {
                values, validity, ..
            } => fill(values, validity, 0, n),
            Self::Float(v, val) => fill(v, val, f64::NAN, n),
            Self::Str(b) => {
                for _ in 0..n {
                    b.push_missing();
                }
            }
        }
    }

    /// An empty builder of the same kind.
    fn empty_like(&self) -> Self {
        match self {
            Self::Unknown { .. } => Self::Unknown { missing: 0 },
            Self::Str(_) => Self::Str(StrBuilder::default()),
            Self::Bool(..) => Self::Bool(Vec::new(), Validity::default()),
            Self::Int { .. } => Self::Int {
                values: Vec::new(),
                validity: Validity::default(),
                lo: i64::MAX,
                hi: i64::MIN,
            },
            Self::Float(..) => Self::Float(Vec::new(), Validity::default()),
            Self::Time { .. } => Self::Time {
                values: Vec::new(),
                validity: Validity::default(),
                with_offset: 0,
            },
        }
    }

    /// Integers as floats (missing ones NaN, as a float column holds them).
    fn into_float(self) -> Self {
        match self {
            Self::Int {
                values, validity, ..
            } => {
                let floats = values
                    .iter()
                    .enumerate()
                    .map(|(r, &v)| {
                        if validity.is_valid(r) {
                            v as f64
                        } else {
                            f64::NAN
                        }
                    })
                    .collect();
                Self::Float(floats, validity)
            }
            other => other,
        }
    }

    /// Appends the same column of the next part.
    fn append(&mut self, next: ColBuilder) -> Result<(), Stop> {
        fn extend<T: Copy>(
            values: &mut Vec<T>,
            validity: &mut Validity,
            more: &[T],
            more_validity: &Validity,
        ) {
            values.extend_from_slice(more);
            validity.append(more_validity);
        }
        if let Self::Unknown { missing } = next {
            self.push_missing(missing);
            return Ok(());
        }
        if let Self::Unknown { missing } = *self {
            // This part was all missing: the next one's kind, after them.
            *self = next.empty_like();
            self.push_missing(missing);
        }
        let mut next = next;
        if matches!(self, Self::Int { .. }) && matches!(next, Self::Float(..)) {
            let this = std::mem::replace(self, Self::Unknown { missing: 0 });
            *self = this.into_float();
        }
        if matches!(self, Self::Float(..)) && matches!(next, Self::Int { .. }) {
            next = next.into_float();
        }
        match (self, next) {
            (Self::Bool(a, av), Self::Bool(b, bv)) => extend(a, av, &b, &bv),
            (
                Self::Int {
                    values,
                    validity,
                    lo,
                    hi,
                },
                Self::Int {
                    values: b,
                    validity: bv,
                    lo: blo,
                    hi: bhi,
                },
            ) => {
                extend(values, validity, &b, &bv);
                *lo = (*lo).min(blo);
                *hi = (*hi).max(bhi);
            }
            (Self::Float(a, av), Self::Float(b, bv)) => extend(a, av, &b, &bv),
            (
                Self::Time {
                    values,
                    validity,
                    with_offset,
                },
                Self::Time {
                    values: b,
                    validity: bv,
                    with_offset: bo,
                },
            ) => {
                extend(values, validity, &b, &bv);
                *with_offset += bo;
            }
            (Self::Str(a), Self::Str(b)) => a.append(b)?,
            _ => return Err("a column of two kinds".into()),
        }
        Ok(())
    }

    /// The typed column, exactly as the general loader types it, or a stop.
    fn finish(self, name: &str, rows: usize, decimal_comma: bool) -> Result<Column, Stop> {
        if self.len() != rows {
            return Err("a column of the wrong length".into());
        }
        // The vectors grew by doubling: give the slack back (a large
        // allocation shrinks in place).
        let mut this = self;
        match &mut this {
            Self::Bool(v, _) => v.shrink_to_fit(),
            Self::Int { values, .. } | Self::Time { values, .. } => values.shrink_to_fit(),
            Self::Float(v, _) => v.shrink_to_fit(),
            Self::Str(b) => b.codes.shrink_to_fit(),
            Self::Unknown { .. } => {}
        }
        Ok(match this {
            Self::Unknown { missing } => {
                // All missing: text, as the general way types it.
                let mut col = StringColumn::with_capacity(missing, 0);
                let mut validity = Validity::with_capacity(missing);
                for _ in 0..missing {
                    col.push("");
                    validity.push(false);
                }
                Column::new(name, ColumnValues::Text(col), validity)
            }
            Self::Bool(v, val) => Column::new(name, ColumnValues::Bool(v), val),
            Self::Int {
                values,
                validity,
                lo,
                hi,
            } => {
                if infer::name_says_time(name)
                    && let Some(unit) = infer::epoch_unit(lo, hi)
                {
                    let micros = values.iter().map(|v| v.saturating_mul(unit)).collect();
                    let mut c = Column::new(name, ColumnValues::Timestamp(micros), validity);
                    c.timestamp_info = TimestampInfo { has_offset: true };
                    c
                } else {
                    Column::new(name, ColumnValues::Integer(values), validity)
                }
            }
            Self::Float(v, val) => Column::new(name, ColumnValues::Float(v), val),
            Self::Time {
                values,
                validity,
                with_offset,
            } => {
                let present = rows - validity.missing_count();
                let mut c = Column::new(name, ColumnValues::Timestamp(values), validity);
                c.timestamp_info = TimestampInfo {
                    has_offset: with_offset == present,
                };
                c
            }
            Self::Str(mut b) => {
                let dictionary = b.dictionary();
                // The rules, on the counts of the distinct values.
                let mut scan = Scan::default();
                for (s, &n) in dictionary.iter().zip(&b.counts) {
                    scan.add(0, s, decimal_comma, n);
                }
                scan.total_len = b.total_len;
                let categorical = match scan.decide() {
                    Decision::Strings {
                        why: None,
                        small: false,
                        categorical,
                    } => categorical,
                    _ => return Err("a string column the rules type otherwise".into()),
                };
                let limit = (rows as f64 * 0.9) as usize;
                if categorical
                    && dictionary.len() <= limit
                    && (dictionary.len() as f64) < 0.9 * b.present as f64
                {
                    Column::new(
                        name,
                        ColumnValues::Categorical {
                            codes: b.codes,
                            dictionary,
                        },
                        b.validity,
                    )
                } else {
                    if b.untrimmed {
                        return Err("text with spaces around it".into());
                    }
                    let bytes = b.total_len;
                    let mut col = StringColumn::with_capacity(rows, bytes);
                    for (r, &c) in b.codes.iter().enumerate() {
                        col.push(if b.validity.is_valid(r) {
                            dictionary.get(c as usize).map_or("", String::as_str)
                        } else {
                            ""
                        });
                    }
                    Column::new(name, ColumnValues::Text(col), b.validity)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnKind;

    fn utc() -> LoadOptions {
        LoadOptions {
            time_zone: Some(TimeZone::UTC),
            ..LoadOptions::default()
        }
    }

    /// The same values in the same rows (NaN fillers compare equal).
    fn same_table(a: &LoadedCsv, b: &LoadedCsv) -> Result<(), String> {
        let (ta, tb) = (&a.table, &b.table);
        if ta.n_rows() != tb.n_rows() || ta.columns.len() != tb.columns.len() {
            return Err(format!(
                "{}×{} vs {}×{}",
                ta.n_rows(),
                ta.columns.len(),
                tb.n_rows(),
                tb.columns.len()
            ));
        }
        for (ca, cb) in ta.columns.iter().zip(&tb.columns) {
            if ca.name != cb.name || ca.kind() != cb.kind() || ca.validity != cb.validity {
                return Err(format!(
                    "column {}: {:?} vs {:?}",
                    ca.name,
                    ca.kind(),
                    cb.kind()
                ));
            }
            if ca.timestamp_info != cb.timestamp_info {
                return Err(format!("column {}: timestamp info", ca.name));
            }
            let same = match (&ca.values, &cb.values) {
                (ColumnValues::Float(x), ColumnValues::Float(y)) => x
                    .iter()
                    .zip(y)
                    .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan())),
                (x, y) => x == y,
            };
            if !same {
                return Err(format!("column {}: values differ", ca.name));
            }
        }
        if a.warnings != b.warnings {
            return Err(format!("warnings {:?} vs {:?}", a.warnings, b.warnings));
        }
        if a.delimiter != b.delimiter || a.time_zone != b.time_zone {
            return Err("delimiter or zone".to_owned());
        }
        Ok(())
    }

    /// Loads `text` both ways; `Ok(true)` when the fast path took it.
    fn both_ways(text: &str) -> Result<bool, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("t.csv");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        let general =
            csv_load::load_csv_bytes(text.as_bytes(), &path.display().to_string(), &utc(), &());
        let fast = try_load(&path, text.len() as u64, &utc(), &(), 0);
        match (general, fast) {
            (Ok(g), Ok(f)) => same_table(&g, &f).map(|()| true),
            (_, Err(Stop::Bail(_))) => Ok(false),
            (Err(e), Ok(_)) => Err(format!("general failed ({e}) but fast loaded")),
            (_, Err(Stop::Load(e))) => Err(format!("fast failed: {e}")),
        }
    }

    #[test]
    fn every_fixture_loads_the_same_or_goes_the_general_way() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut fast = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "csv") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let general =
                csv_load::load_csv_bytes(&bytes, &path.display().to_string(), &utc(), &());
            match (general, try_load(&path, bytes.len() as u64, &utc(), &(), 0)) {
                (Ok(g), Ok(f)) => {
                    same_table(&g, &f).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    fast += 1;
                }
                (Err(_), Ok(_)) => panic!("{}: only the fast path loads it", path.display()),
                _ => {}
            }
        }
        // Most fixtures are small or have defects on purpose (and a string
        // column of fewer than 50 values goes the general way); the clean
        // larger ones go the fast way.
        assert!(fast >= 2, "only {fast} fixtures took the fast path");
    }

    #[test]
    fn generated_tables_load_the_same_both_ways_split_in_two() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let words = ["Main St", "I-90", "Oak Ave", " padded ", "NA", "", "x"];
        let mut taken = 0;
        for case in 0..40 {
            let cols = 1 + (next() % 5) as usize;
            // Large enough for two threads.
            let rows = 60_000 + (next() % 1000) as usize;
            let kinds: Vec<u64> = (0..cols).map(|_| next() % 7).collect();
            let mut text = (0..cols)
                .map(|c| format!("c{c}"))
                .collect::<Vec<_>>()
                .join(",");
            text.push('\n');
            for r in 0..rows {
                let mut line = Vec::with_capacity(cols);
                for &k in &kinds {
                    let v = next();
                    let missing = v % 53 == 0;
                    line.push(if missing {
                        String::new()
                    } else {
                        match k {
                            0 => format!("{}", (v % 100_000) as i64 - 50_000),
                            1 => format!("{:.3}", (v % 1_000_000) as f64 / 7.0),
                            2 => ["yes", "no"][(v % 2) as usize].to_owned(),
                            3 => format!("2026-03-{:02}T{:02}:00:00Z", 1 + v % 28, v % 24),
                            4 => words[(v % words.len() as u64) as usize].to_owned(),
                            // A mix: integers first, then decimals late.
                            5 if r > rows * 3 / 4 => format!("{}.5", v % 100),
                            5 => format!("{}", v % 100),
                            _ => format!("id{v}"),
                        }
                    });
                }
                text.push_str(&line.join(","));
                text.push('\n');
            }
            match both_ways(&text) {
                Ok(true) => taken += 1,
                Ok(false) => {}
                Err(e) => panic!("case {case}: {e}"),
            }
        }
        assert!(taken >= 10, "the fast path took only {taken} of 40");
    }

    #[test]
    fn anything_unusual_goes_the_general_way() {
        let mut base = String::from("when,site,count\n");
        for i in 0..200 {
            base.push_str(&format!(
                "2026-01-01T{:02}:00:00Z,S{},{}\n",
                i % 24,
                i % 3,
                i
            ));
        }
        assert_eq!(both_ways(&base), Ok(true));
        for (what, text) in [
            (
                "a ragged row",
                format!("{base}2026-01-02T00:00:00Z,S1\n2026-01-02T01:00:00Z,S1,5\n"),
            ),
            (
                "a stray word",
                format!("{base}2026-01-02T00:00:00Z,S1,unknown\n"),
            ),
            (
                "a quote left open",
                format!("{base}2026-01-02T00:00:00Z,\"S1,5\n"),
            ),
            (
                "a multi-line field",
                format!("{base}2026-01-02T00:00:00Z,\"S\n1\",5\n"),
            ),
        ] {
            assert_eq!(both_ways(&text), Ok(false), "{what}");
        }
        // A column of words that are mostly numbers is typed by the rules.
        let mut mostly = String::from("a,b\n");
        for i in 0..100 {
            mostly.push_str(&format!(
                "x{i},{}\n",
                if i == 0 {
                    "n/a-ish".to_owned()
                } else {
                    i.to_string()
                }
            ));
        }
        assert_eq!(both_ways(&mostly), Ok(false));
    }

    #[test]
    fn the_benchmark_layout_takes_the_fast_path_with_its_kinds() {
        let mut text = String::from(
            "timestamp,sensor_id,road,volume_veh_per_hour,speed_kmh,occupancy_pct,incident\n",
        );
        for i in 0..50_000 {
            text.push_str(&format!(
                "2026-08-10T{:02}:00:00Z,S{:03},{},{},{:.1},{:.2},{}\n",
                i % 24,
                i % 100,
                ["Main St", "I-90"][i % 2],
                200 + i % 1800,
                20.0 + (i % 900) as f64 / 10.0,
                (i % 10_000) as f64 / 100.0,
                if i % 97 == 0 { "yes" } else { "no" }
            ));
        }
        assert_eq!(both_ways(&text), Ok(true));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &text).unwrap();
        let l = try_load(&path, text.len() as u64, &utc(), &(), 0).unwrap();
        let kinds: Vec<ColumnKind> = l.table.columns.iter().map(Column::kind).collect();
        assert_eq!(
            kinds,
            vec![
                ColumnKind::Timestamp,
                ColumnKind::Categorical,
                ColumnKind::Categorical,
                ColumnKind::Integer,
                ColumnKind::Float,
                ColumnKind::Float,
                ColumnKind::Bool
            ]
        );
    }
}
