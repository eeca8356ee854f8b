//! CSV ingest: bytes → decoded text → records → typed [`Table`].
//!
//! Real open-data exports are messy. This loader sniffs the delimiter, strips
//! a BOM, decodes UTF-8, UTF-16 and Windows-1252, renames empty and duplicate
//! headers, skips ragged rows with a warning naming the line (failing only
//! past a threshold), keeps a truncated last line, and rejects binary input
//! with the place it was found. It never panics on any input.
//!
//! Memory: the raw cells of each column are held back to back once, then
//! each column is converted to its typed form on its own thread and the raw
//! text is dropped.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use jiff::tz::TimeZone;

use super::combine;
use super::infer::{self, InferContext, RawColumn};
use super::progress::Progress;
use super::table::{Column, Table};
use super::{LoadError, LoadWarning};

/// What the user may choose before loading.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The zone for timestamps written without an offset; `None` means the
    /// machine's zone.
    pub time_zone: Option<TimeZone>,
    /// Force a delimiter instead of sniffing.
    pub delimiter: Option<u8>,
    /// Refuse files whose load would need more memory than this (bytes);
    /// `None`: the memory this machine has available now.
    pub memory_limit: Option<u64>,
    /// The sheet of a workbook to read; `None`: the first with data.
    pub sheet: Option<String>,
    /// Plain http to other computers for a URL source (https otherwise).
    pub allow_http: bool,
    /// The most rows fetched from a paged portal API; `None`: the default.
    pub row_limit: Option<usize>,
    /// A Socrata app token (raises its rate limit).
    pub app_token: Option<String>,
    /// Keep the rows fetched when a paged fetch fails or is cancelled
    /// half-way (the dataset then says it is partial).
    pub keep_partial: bool,
    /// The table of a database address (`schema.table` or `table`).
    pub db_table: Option<String>,
    /// The query of a database address (a `SELECT`).
    pub db_sql: Option<String>,
}

/// Peak memory while loading, per byte of file: the bytes themselves plus
/// the rows being parsed and the columns being built. Measured at 3.7 for
/// the demo traffic table (1,000,000 rows, README); 4 leaves some room.
pub const MEMORY_PER_FILE_BYTE: u64 = 4;
/// Memory a load needs whatever the file's size.
pub const MEMORY_BASE: u64 = 64 << 20;

/// The memory loading a file of `bytes` needs, at most.
pub fn memory_needed(bytes: u64) -> u64 {
    bytes
        .saturating_mul(MEMORY_PER_FILE_BYTE)
        .saturating_add(MEMORY_BASE)
}

/// Memory available to a new allocation now (Linux `MemAvailable`), when
/// the system says.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// `1536` → `1.5 KiB`, in the binary units people see in file managers.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// What the loader did to the file's rows and cells. Every data record
/// after the header is either a row of the table or counted here:
/// `table rows = records - rows_skipped` (a padded or re-read row is still
/// a row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoadCounts {
    /// Data records read after the header.
    pub records: usize,
    /// Rows left out: their number of fields did not match the header.
    pub rows_skipped: usize,
    /// Rows kept with missing fields left empty (a cut-off last line).
    pub rows_padded: usize,
    /// Rows read again because a quote on them was never closed (the quote
    /// is kept as a literal character).
    pub rows_requoted: usize,
    /// Cells that did not parse as their column's type and became missing.
    pub cells_set_missing: usize,
}

/// The table plus what was learnt about the file's format.
#[derive(Debug)]
pub struct LoadedCsv {
    pub table: Table,
    pub delimiter: u8,
    pub encoding: &'static str,
    pub warnings: Vec<LoadWarning>,
    /// The zone the dataset should be shown in (from the data's offsets when
    /// every timestamp had one, otherwise the zone naive times were read in).
    pub time_zone: TimeZone,
    pub file_bytes: u64,
    pub counts: LoadCounts,
}

/// Ragged rows are skipped until they are more than this share of the rows
/// (and more than `MAX_RAGGED_ABSOLUTE`); then the file is rejected.
const MAX_RAGGED_FRACTION: f64 = 0.05;
const MAX_RAGGED_ABSOLUTE: usize = 10;
const MAX_ROW_WARNINGS: usize = 20;

/// Reads and loads a CSV file.
pub fn load_csv_file(
    path: &Path,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<LoadedCsv, LoadError> {
    let shown = path.display().to_string();
    let io_err = |e: std::io::Error| LoadError::Io {
        path: shown.clone(),
        message: e.to_string(),
    };
    // Only a regular file: a FIFO would block, /dev/zero never ends.
    let (file, total) = super::file::open_regular(path)?;
    if total > u64::from(u32::MAX) {
        return Err(LoadError::TooLarge {
            path: shown,
            size: human_bytes(total),
            needed: human_bytes(memory_needed(total)),
            available: format!(
                "{} (the most cityops reads from one file)",
                human_bytes(u64::from(u32::MAX))
            ),
        });
    }
    if let Some(limit) = opts.memory_limit.or_else(available_memory)
        && memory_needed(total) > limit
    {
        return Err(LoadError::TooLarge {
            path: shown,
            size: human_bytes(total),
            needed: human_bytes(memory_needed(total)),
            available: human_bytes(limit),
        });
    }
    // A large clean file: one pass on both cores, straight into typed
    // columns (`csv_fast`); anything it does not handle exactly as below
    // comes back here.
    match super::csv_fast::try_load(path, total, opts, progress, super::csv_fast::MIN_BYTES) {
        Ok(loaded) => return Ok(loaded),
        Err(super::csv_fast::Stop::Load(LoadError::Cancelled)) => {
            return Err(LoadError::Cancelled);
        }
        // Anything else — the file is read the general way, which reports
        // whatever made the fast path stop.
        Err(_) => {}
    }
    // Read straight into the one buffer, 4 MiB at a time (no staging
    // buffer: freeing one would make the allocator keep the columns' growing
    // buffers in its heap, and a cancelled load would not give memory back).
    // Only the length the file had when opened is read: a file still being
    // written is read up to there (its cut-off last line is reported).
    let mut file = file.take(total);
    let mut bytes = vec![0u8; usize::try_from(total).unwrap_or(0)];
    let mut filled = 0;
    loop {
        if progress.is_cancelled() {
            return Err(LoadError::Cancelled);
        }
        let end = (filled + (4 << 20)).min(bytes.len());
        if filled == end {
            break;
        }
        let n = file.read(&mut bytes[filled..end]).map_err(io_err)?;
        if n == 0 {
            break;
        }
        filled += n;
        if total > 0 {
            progress.report(0.2 * filled as f32 / total as f32, "Reading file");
        }
    }
    bytes.truncate(filled);
    load_csv_bytes(&bytes, &shown, opts, progress)
}

/// Known binary formats that people mistake for CSV.
pub(super) fn sniff_binary(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: [(&[u8], &str); 9] = [
        (b"PK\x03\x04", "a ZIP archive (or an .xlsx workbook)"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"\x1F\x8B", "a gzip archive"),
        (b"\xD0\xCF\x11\xE0", "an old Excel (.xls) workbook"),
        (b"SQLite format 3", "an SQLite database"),
        (b"PAR1", "a Parquet file"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| bytes.starts_with(m))
        .map(|&(_, what)| what)
}

fn line_col_at(text: &[u8], offset: usize) -> (u64, u64) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(before.get(line_start..).unwrap_or_default())
        .chars()
        .count() as u64
        + 1;
    (line, col)
}

/// Decodes the bytes to text: UTF-8 (BOM stripped), UTF-16 with a BOM, or
/// Windows-1252 when the bytes are not UTF-8.
fn decode<'a>(bytes: &'a [u8], source: &str) -> Result<(Cow<'a, str>, &'static str), LoadError> {
    if let Some(what) = sniff_binary(bytes) {
        return Err(LoadError::Binary {
            path: source.to_owned(),
            line: 1,
            column: 1,
            what: what.to_owned(),
        });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let enc = if bytes.starts_with(&[0xFF, 0xFE]) {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        let (text, _, had_errors) = enc.decode(bytes);
        if had_errors {
            return Err(LoadError::Binary {
                path: source.to_owned(),
                line: 1,
                column: 1,
                what: "UTF-16 text with invalid characters".to_owned(),
            });
        }
        return Ok((Cow::Owned(text.into_owned()), enc.name()));
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // A NUL byte never appears in text files.
    if let Some(pos) = memchr_nul(body) {
        let (line, column) = line_col_at(body, pos);
        return Err(LoadError::Binary {
            path: source.to_owned(),
            line,
            column,
            what: "binary data (a NUL byte)".to_owned(),
        });
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok((Cow::Borrowed(text), "UTF-8")),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(body);
            // Text with many control characters is not a table.
            let controls = text
                .chars()
                .take(65_536)
                .filter(|&c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                .count();
            if controls > 8 {
                let pos = body
                    .iter()
                    .position(|&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t'))
                    .unwrap_or(0);
                let (line, column) = line_col_at(body, pos);
                return Err(LoadError::Binary {
                    path: source.to_owned(),
                    line,
                    column,
                    what: "binary data (control characters)".to_owned(),
                });
            }
            Ok((Cow::Owned(text.into_owned()), "windows-1252"))
        }
    }
}

fn memchr_nul(b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == 0)
}

/// Picks the delimiter whose count per line is most consistent over the
/// first lines (quotes respected).
pub fn sniff_delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut counts: Vec<[usize; 4]> = Vec::new();
    let mut cur = [0usize; 4];
    let mut in_quotes = false;
    for &b in text.as_bytes().iter().take(65_536) {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                counts.push(cur);
                cur = [0; 4];
                if counts.len() >= 30 {
                    break;
                }
            }
            _ if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    cur[i] += 1;
                }
            }
            _ => {}
        }
    }
    if cur.iter().any(|&c| c > 0) {
        counts.push(cur);
    }
    let mut best = (b',', 0.0f64);
    for (i, &cand) in CANDIDATES.iter().enumerate() {
        let Some(first) = counts.first().map(|c| c[i]) else {
            continue;
        };
        if first == 0 {
            continue;
        }
        let agree = counts.iter().filter(|c| c[i] == first).count() as f64 / counts.len() as f64;
        let score = agree * (1.0 + (first as f64).ln());
        if score > best.1 + 1e-9 {
            best = (cand, score);
        }
    }
    best.0
}

/// Cleans header names: trims, names empty ones `column_N` and suffixes
/// duplicates `_2`, `_3`, … with a warning for each change.
pub(super) fn clean_headers(raw: Vec<String>, warnings: &mut Vec<LoadWarning>) -> Vec<String> {
    // Every name taken so far, and per base name the next suffix to try:
    // linear in the number of columns however many share a name.
    let mut taken: std::collections::HashSet<String> =
        std::collections::HashSet::with_capacity(raw.len());
    let mut next_suffix: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    let mut renamed = 0usize;
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, name) in raw.into_iter().enumerate() {
        let trimmed = name.trim();
        let mut name = if trimmed.is_empty() {
            let n = format!("column_{}", i + 1);
            renamed += 1;
            if renamed <= MAX_ROW_WARNINGS {
                warnings.push(LoadWarning {
                    line: Some(1),
                    column: Some(i + 1),
                    message: format!("column {} has no name; it is called '{n}'", i + 1),
                });
            }
            n
        } else {
            trimmed.to_owned()
        };
        if taken.contains(&name) {
            let base = name.clone();
            let k = next_suffix.entry(base.clone()).or_insert(2);
            while taken.contains(&format!("{base}_{k}")) {
                *k += 1;
            }
            name = format!("{base}_{k}");
            *k += 1;
            renamed += 1;
            if renamed <= MAX_ROW_WARNINGS {
                warnings.push(LoadWarning {
                    line: Some(1),
                    column: Some(i + 1),
                    message: format!(
                        "the column name '{base}' appears twice; this one is called '{name}'"
                    ),
                });
            }
        }
        taken.insert(name.clone());
        out.push(name);
    }
    if renamed > MAX_ROW_WARNINGS {
        warnings.push(LoadWarning {
            line: Some(1),
            column: None,
            message: format!(
                "{renamed} column names in all were empty or repeated and were renamed"
            ),
        });
    }
    out
}

/// Loads CSV from bytes already in memory; `source` names it in messages.
pub fn load_csv_bytes(
    bytes: &[u8],
    source: &str,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<LoadedCsv, LoadError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LoadError::Empty {
            path: source.to_owned(),
        });
    }
    if bytes.len() > u32::MAX as usize {
        // Cell offsets are 32-bit (`RawColumn`).
        return Err(LoadError::TooLarge {
            path: source.to_owned(),
            size: human_bytes(bytes.len() as u64),
            needed: human_bytes(memory_needed(bytes.len() as u64)),
            available: format!(
                "{} (the most cityops reads from one file)",
                human_bytes(u64::from(u32::MAX))
            ),
        });
    }
    let (text, encoding) = decode(bytes, source)?;
    let mut warnings = Vec::new();
    if encoding == "windows-1252" {
        warnings.push(LoadWarning {
            line: None,
            column: None,
            message: "the file is not UTF-8; it was read as Windows-1252 (Latin-1). If accents look wrong, save it as UTF-8".to_owned(),
        });
    }
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&text));
    let time_zone = opts.time_zone.clone().unwrap_or_else(TimeZone::system);

    // The text is read in segments: one normally, a new one after each
    // line re-read because a quote on it was never closed.
    let mut seg_byte = 0usize;
    let mut seg_line = 1u64;
    let mut reader = csv_reader(delimiter, &text);
    let mut record = csv::StringRecord::new();
    let read = |reader: &mut csv::Reader<&[u8]>, record: &mut csv::StringRecord, seg_line: u64| {
        reader.read_record(record).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line()) + seg_line - 1;
            LoadError::Malformed {
                path: source.to_owned(),
                line,
                column: 1,
                message: e.to_string(),
            }
        })
    };
    if !read(&mut reader, &mut record, seg_line)? {
        return Err(LoadError::Empty {
            path: source.to_owned(),
        });
    }
    let headers = clean_headers(record.iter().map(str::to_owned).collect(), &mut warnings);
    let n_cols = headers.len();
    let mut raw: Vec<RawColumn> = (0..n_cols).map(|_| RawColumn::default()).collect();
    let mut row_lines: Vec<u64> = Vec::new();
    let mut counts = LoadCounts::default();
    let mut first_ragged: Option<(u64, usize)> = None;
    let total_bytes = text.len().max(1) as f32;
    let mut pending_short: Option<(u64, Vec<String>)> = None;
    let mut row_warnings = 0usize;
    let mut quote_warnings = 0usize;

    loop {
        if !read(&mut reader, &mut record, seg_line)? {
            break;
        }
        let pos = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        let line = pos.line() + seg_line - 1;
        counts.records += 1;
        if counts.records.is_multiple_of(65_536) {
            if progress.is_cancelled() {
                return Err(LoadError::Cancelled);
            }
            let at = (seg_byte as u64 + pos.byte()) as f32;
            progress.report(0.2 + 0.6 * at / total_bytes, "Parsing rows");
        }
        // A record over several lines may hold a quote that was never
        // closed: it swallowed the lines after it. Read its first line
        // again with that quote as a literal character, then go on from the
        // next line.
        let next = reader.position().clone();
        let at_end = next.byte() as usize + seg_byte >= text.len();
        let mut reread: Option<Vec<String>> = None;
        if next.line() > pos.line() + 1 || at_end {
            let ragged = record.len() != n_cols
                && !(record.len() > n_cols
                    && record.iter().skip(n_cols).all(|f| f.trim().is_empty()));
            let start = seg_byte + pos.byte() as usize;
            let stop = (seg_byte + next.byte() as usize).min(text.len());
            let span = text.get(start..stop).unwrap_or_default();
            if let Some(runaway) = find_runaway_quote(span.as_bytes(), delimiter, ragged) {
                let quote_at = start + runaway.offset;
                let line_end = text
                    .get(quote_at..)
                    .and_then(|t| t.find('\n'))
                    .map_or(text.len(), |i| quote_at + i + 1);
                let physical = text.get(start..line_end).unwrap_or_default();
                let before = text.get(start..quote_at).unwrap_or_default();
                let quote_line = line + before.bytes().filter(|&b| b == b'\n').count() as u64;
                let quote_col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                counts.rows_requoted += 1;
                quote_warnings += 1;
                if quote_warnings <= MAX_ROW_WARNINGS {
                    warnings.push(LoadWarning {
                        line: Some(quote_line),
                        column: Some(quote_col),
                        message: format!(
                            "a quote opens a field here and {}; it was read as a literal character, and the lines after it were read again as rows",
                            runaway.why.describe()
                        ),
                    });
                }
                reread = Some(fields_with_literal_quote(
                    physical,
                    runaway.offset,
                    delimiter,
                    n_cols,
                ));
                // Go on after that line with a fresh reader.
                let skipped_lines = physical.bytes().filter(|&b| b == b'\n').count() as u64;
                seg_line = line + skipped_lines;
                seg_byte = line_end;
                reader = csv_reader(delimiter, text.get(line_end..).unwrap_or_default());
            }
        }
        let fields: Vec<&str> = match &reread {
            Some(f) => f.iter().map(String::as_str).collect(),
            None => record.iter().collect(),
        };
        // A short row seen earlier was not the last one: it is ragged.
        if let Some((l, short)) = pending_short.take() {
            counts.rows_skipped += 1;
            first_ragged.get_or_insert((l, short.len()));
            row_warnings += 1;
            if row_warnings <= MAX_ROW_WARNINGS {
                warnings.push(ragged_warning(l, short.len(), n_cols));
            }
        }
        let len = fields.len();
        // Extra fields that are all empty (a trailing delimiter) are harmless.
        let extra_empty = len > n_cols && fields.iter().skip(n_cols).all(|f| f.trim().is_empty());
        if len == n_cols || extra_empty {
            for (col, cell) in raw.iter_mut().zip(&fields) {
                col.push(cell);
            }
            row_lines.push(line);
        } else if len < n_cols {
            pending_short = Some((line, fields.iter().map(|f| (*f).to_owned()).collect()));
        } else {
            counts.rows_skipped += 1;
            first_ragged.get_or_insert((line, len));
            row_warnings += 1;
            if row_warnings <= MAX_ROW_WARNINGS {
                warnings.push(ragged_warning(line, len, n_cols));
            }
        }
    }
    // A short last row is a truncated file: keep what it has.
    if let Some((line, fields)) = pending_short {
        counts.rows_padded += 1;
        warnings.push(LoadWarning {
            line: Some(line),
            column: Some(fields.len() + 1),
            message: format!(
                "the last line has {} of {n_cols} fields (was the file cut off?); the missing fields are left empty",
                fields.len()
            ),
        });
        for (i, col) in raw.iter_mut().enumerate() {
            col.push(fields.get(i).map_or("", String::as_str));
        }
        row_lines.push(line);
    }
    if quote_warnings > MAX_ROW_WARNINGS {
        warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!(
                "{quote_warnings} quotes in all were never closed and were read as literal characters"
            ),
        });
    }
    let ragged = counts.rows_skipped;
    let n_rows = row_lines.len();
    if ragged > 0 {
        let limit = ((n_rows + ragged) as f64 * MAX_RAGGED_FRACTION) as usize;
        if ragged > MAX_RAGGED_ABSOLUTE && ragged > limit {
            let (line, got) = first_ragged.unwrap_or((0, 0));
            return Err(LoadError::TooManyBadRows {
                path: source.to_owned(),
                bad: ragged,
                total: n_rows + ragged,
                line,
                got,
                expected: n_cols,
                delimiter: delimiter as char,
            });
        }
        if row_warnings > MAX_ROW_WARNINGS {
            warnings.push(LoadWarning {
                line: None,
                column: None,
                message: format!("{ragged} rows in all were skipped because their number of fields did not match the header"),
            });
        }
    }
    if n_rows == 0 {
        return Err(LoadError::HeaderOnly {
            path: source.to_owned(),
            columns: n_cols,
        });
    }
    drop(reader);
    progress.report(0.8, "Inferring column types");
    if progress.is_cancelled() {
        return Err(LoadError::Cancelled);
    }

    let ctx = InferContext {
        decimal_comma: delimiter == b';',
        time_zone: &time_zone,
        row_lines: &row_lines,
    };
    // Date and time of day in two columns: typed together as one more
    // column (see `combine`), kept below if it reads as timestamps.
    let pairs = combine::find_pairs(&headers, &raw);
    let date_only: Vec<bool> = raw.iter().map(combine::is_date_only).collect();
    let mut all_headers = headers.clone();
    for p in &pairs {
        if let (Some(d), Some(t)) = (raw.get(p.date), raw.get(p.time)) {
            raw.push(combine::combined_cells(d, t, p.utc));
            all_headers.push(p.name.clone());
        }
    }
    let mut results = infer_all(&all_headers, raw, &ctx);
    let extra = results.split_off(n_cols.min(results.len()));
    let mut columns: Vec<Column> = Vec::with_capacity(n_cols + extra.len());
    let mut offsets = Vec::new();
    for r in results {
        counts.cells_set_missing += r.cells_set_missing;
        warnings.extend(r.warnings);
        offsets.extend(r.offsets.pairs);
        columns.push(r.column);
    }
    // A column of full timestamps already there makes the pairs redundant.
    let has_full_timestamps = columns
        .iter()
        .zip(&date_only)
        .any(|(c, &date)| c.kind() == super::ColumnKind::Timestamp && !date);
    if !has_full_timestamps {
        // All before the first date column, exact (GMT/UTC) ones first: the
        // first timestamp is the time axis, and "local" times in exports
        // are often local standard time all year (EPA's are).
        let mut keep: Vec<(&combine::Pair, infer::Inferred)> = pairs
            .iter()
            .zip(extra)
            .filter(|(_, r)| r.column.kind() == super::ColumnKind::Timestamp)
            .collect();
        keep.sort_by_key(|(p, _)| !p.utc);
        let first = keep.iter().map(|(p, _)| p.date).min().unwrap_or(0);
        for (at, (p, r)) in (first..).zip(keep) {
            let date = headers.get(p.date).map_or("", String::as_str);
            let time = headers.get(p.time).map_or("", String::as_str);
            warnings.push(LoadWarning {
                line: None,
                column: None,
                message: format!(
                    "'{date}' and '{time}' were combined into the timestamp column '{}'{}; the two columns are kept as they are",
                    p.name,
                    if p.utc { " (exact instants: the names say GMT/UTC)" } else { "" }
                ),
            });
            for mut w in r.warnings {
                // The combined column is not in the file: point at the date.
                w.column = Some(p.date + 1);
                warnings.push(w);
            }
            offsets.extend(r.offsets.pairs);
            columns.insert(at.min(columns.len()), r.column);
        }
    }
    let (table, zone) = table_and_zone(columns, &offsets, time_zone, source)?;
    progress.report(1.0, "Loaded");
    Ok(LoadedCsv {
        table,
        delimiter,
        encoding,
        warnings,
        time_zone: zone,
        file_bytes: bytes.len() as u64,
        counts,
    })
}

/// The table of the typed columns, and the zone to show it in: from the
/// data's offsets when every timestamp column carried them, else `zone`.
pub(super) fn table_and_zone(
    columns: Vec<Column>,
    offsets: &[(i64, i32)],
    zone: TimeZone,
    source: &str,
) -> Result<(Table, TimeZone), LoadError> {
    let table = Table::new(columns).map_err(|e| LoadError::Malformed {
        path: source.to_owned(),
        line: 0,
        column: 0,
        message: e.to_string(),
    })?;
    let all_offset = table
        .columns
        .iter()
        .filter(|c| c.kind() == super::ColumnKind::Timestamp)
        .all(|c| c.timestamp_info.has_offset);
    let zone = if all_offset && !offsets.is_empty() {
        zone_from_offsets(offsets, zone)
    } else {
        zone
    };
    Ok((table, zone))
}

/// Why a quoted field is taken for a quote that was never closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunawayWhy {
    /// Still open at the end of the file.
    Unclosed,
    /// It runs over more than [`MAX_QUOTED_FIELD_LINES`] lines.
    TooManyLines,
    /// It spans lines and either joining them made a record of the wrong
    /// length or another quote further on closed it by chance.
    SwallowedRows(usize),
}

impl RunawayWhy {
    fn describe(self) -> String {
        match self {
            Self::Unclosed => "is not closed before the end of the file".to_owned(),
            Self::TooManyLines => format!(
                "runs on over more than {MAX_QUOTED_FIELD_LINES} lines without being closed"
            ),
            Self::SwallowedRows(n) => format!(
                "is not closed on its line: the {n} line{} after it would have become part of one field",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

pub(super) struct Runaway {
    /// Byte offset of the opening quote in the record's text.
    offset: usize,
    why: RunawayWhy,
}

/// A quoted field spanning more lines than this is a quote never closed.
const MAX_QUOTED_FIELD_LINES: usize = 1_000;

/// Scans one record's text (from its first byte, quotes opening only at the
/// start of a field, `""` an escaped quote, as the csv crate reads them)
/// for a quoted field that was never really closed: one still open at the
/// end of the file, one over [`MAX_QUOTED_FIELD_LINES`] lines, or one over
/// several lines that either made the record `ragged` (the wrong number of
/// fields) or was closed by a quote with text right after it (the opening
/// quote of a later field).
pub(super) fn find_runaway_quote(span: &[u8], delimiter: u8, ragged: bool) -> Option<Runaway> {
    let mut i = 0;
    let mut at_field_start = true;
    while let Some(&b) = span.get(i) {
        if at_field_start && b == b'"' {
            let open = i;
            let mut j = i + 1;
            let mut closed = None;
            while let Some(&c) = span.get(j) {
                if c == b'"' {
                    if span.get(j + 1) == Some(&b'"') {
                        j += 2;
                        continue;
                    }
                    closed = Some(j);
                    break;
                }
                j += 1;
            }
            let inner = span
                .get(open + 1..closed.unwrap_or(span.len()))
                .unwrap_or_default();
            let lines = inner.iter().filter(|&&c| c == b'\n').count();
            if lines > MAX_QUOTED_FIELD_LINES {
                return Some(Runaway {
                    offset: open,
                    why: RunawayWhy::TooManyLines,
                });
            }
            if lines >= 1 && ragged {
                // Joining the lines made a record of the wrong length: the
                // quote was not meant to run on.
                return Some(Runaway {
                    offset: open,
                    why: RunawayWhy::SwallowedRows(lines),
                });
            }
            // A quote that really closes a field is followed by the
            // delimiter or the end of the line; one followed by text was the
            // opening quote of a later field, which closed this one by chance.
            let followed_by_text = closed.is_some_and(|c| {
                span.get(c + 1)
                    .is_some_and(|&n| n != delimiter && n != b'\n' && n != b'\r')
            });
            if lines >= 1 && followed_by_text {
                return Some(Runaway {
                    offset: open,
                    why: RunawayWhy::SwallowedRows(lines),
                });
            }
            let Some(close) = closed else {
                return Some(Runaway {
                    offset: open,
                    why: RunawayWhy::Unclosed,
                });
            };
            i = close + 1;
            at_field_start = false;
            continue;
        }
        if b == delimiter {
            at_field_start = true;
        } else if b == b'\n' {
            // The record ends on this line.
            return None;
        } else {
            at_field_start = false;
        }
        i += 1;
    }
    None
}

/// The fields of one physical line (its end included) whose quote at
/// `quote_at` opens a field that never closes: that quote is kept as a
/// literal character at the start of its field; the rest of the line is
/// read as usual.
fn fields_with_literal_quote(
    line: &str,
    quote_at: usize,
    delimiter: u8,
    n_cols: usize,
) -> Vec<String> {
    let line = line.trim_end_matches(['\n', '\r']);
    let (before, after) = (
        line.get(..quote_at).unwrap_or_default(),
        line.get(quote_at + 1..).unwrap_or_default(),
    );
    let without = format!("{before}{after}");
    let read = |s: &str| -> Vec<String> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(s.as_bytes());
        let mut record = csv::StringRecord::new();
        match reader.read_record(&mut record) {
            Ok(true) => record.iter().map(str::to_owned).collect(),
            _ => vec![String::new()],
        }
    };
    // The field the quote opened: as many as the text before it has.
    let index = if before.is_empty() {
        0
    } else {
        read(before).len().saturating_sub(1)
    };
    let mut fields = read(&without);
    // The quote was meant to enclose the rest of its field, delimiters and
    // all: when the line now has too many fields, the extra ones after the
    // quote go back into its field.
    if fields.len() > n_cols && index < n_cols {
        let extra = fields.len() - n_cols;
        let merged: Vec<String> = fields.drain(index..=index + extra).collect();
        fields.insert(index, merged.join(&(delimiter as char).to_string()));
    }
    if let Some(f) = fields.get_mut(index) {
        f.insert(0, '"');
    }
    fields
}

fn csv_reader(delimiter: u8, segment: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(segment.as_bytes())
}

fn ragged_warning(line: u64, got: usize, expected: usize) -> LoadWarning {
    LoadWarning {
        line: Some(line),
        column: None,
        message: format!(
            "line {line} has {got} fields but the header has {expected}; the row was skipped"
        ),
    }
}

/// When the data carries its own offsets, show it in a zone that agrees with
/// them: the preferred zone if it gives the same offset at every sampled
/// instant; a fixed offset when there is only one; else a well-known IANA
/// zone whose rules produce exactly the observed offsets (daylight-saving
/// changes included); else the fixed offset seen first.
fn zone_from_offsets(pairs: &[(i64, i32)], preferred: TimeZone) -> TimeZone {
    let agrees = |tz: &TimeZone| {
        pairs.iter().all(|&(utc, off)| {
            jiff::Timestamp::from_microsecond(utc).is_ok_and(|ts| tz.to_offset(ts).seconds() == off)
        })
    };
    if agrees(&preferred) {
        return preferred;
    }
    let first = pairs.first().map_or(0, |&(_, o)| o);
    let fixed = || {
        jiff::tz::Offset::from_seconds(first)
            .map(TimeZone::fixed)
            .unwrap_or(TimeZone::UTC)
    };
    if pairs.iter().all(|&(_, o)| o == first) {
        return fixed();
    }
    // Several offsets: daylight-saving time. Try the zones of large cities
    // first, then every zone in the database.
    const WELL_KNOWN: [&str; 24] = [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Phoenix",
        "America/Anchorage",
        "Pacific/Honolulu",
        "America/Toronto",
        "America/Mexico_City",
        "America/Sao_Paulo",
        "Europe/London",
        "Europe/Paris",
        "Europe/Berlin",
        "Europe/Madrid",
        "Europe/Rome",
        "Europe/Athens",
        "Europe/Helsinki",
        "Europe/Moscow",
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Asia/Kolkata",
        "Australia/Sydney",
        "Australia/Adelaide",
        "Pacific/Auckland",
    ];
    for name in WELL_KNOWN {
        if let Ok(tz) = TimeZone::get(name)
            && agrees(&tz)
        {
            return tz;
        }
    }
    for name in jiff::tz::db().available() {
        if let Ok(tz) = TimeZone::get(name.as_str())
            && agrees(&tz)
        {
            return tz;
        }
    }
    fixed()
}

/// Converts columns in parallel on the machine's cores.
fn infer_all(
    headers: &[String],
    raw: Vec<RawColumn>,
    ctx: &InferContext<'_>,
) -> Vec<infer::Inferred> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(raw.len().max(1));
    // Deal the columns out largest first so both cores get equal work.
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(raw.get(i).map_or(0, |r| r.data.len())));
    let mut batches: Vec<Vec<usize>> = vec![Vec::new(); threads];
    let mut loads = vec![0usize; threads];
    for i in order {
        let t = (0..threads).min_by_key(|&t| loads[t]).unwrap_or(0);
        loads[t] += raw.get(i).map_or(0, |r| r.data.len() + r.len() * 8);
        batches[t].push(i);
    }
    let infer_one = |i: usize| {
        let name = headers.get(i).map_or("", String::as_str);
        let empty = RawColumn::default();
        infer::infer_column(name, i, raw.get(i).unwrap_or(&empty), ctx)
    };
    let mut results: Vec<Option<infer::Inferred>> = (0..raw.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = batches
            .iter()
            .enumerate()
            .map(|(t, batch)| {
                let spawned = std::thread::Builder::new()
                    .name(format!("csv-infer-{t}"))
                    .spawn_scoped(s, || {
                        batch.iter().map(|&i| (i, infer_one(i))).collect::<Vec<_>>()
                    });
                (batch, spawned)
            })
            .collect();
        for (batch, handle) in handles {
            // If a thread could not start (or died), do its work here.
            let done = match handle {
                Ok(h) => h.join().ok(),
                Err(_) => None,
            };
            let done = done.unwrap_or_else(|| batch.iter().map(|&i| (i, infer_one(i))).collect());
            for (i, out) in done {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(out);
                }
            }
        }
    });
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| infer_one(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnKind, ColumnValues};

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    fn utc() -> LoadOptions {
        LoadOptions {
            time_zone: Some(TimeZone::UTC),
            delimiter: None,
            ..LoadOptions::default()
        }
    }

    fn load(name: &str) -> Result<LoadedCsv, LoadError> {
        load_csv_file(&fixture(name), &utc(), &())
    }

    fn kinds(t: &Table) -> Vec<ColumnKind> {
        t.columns.iter().map(|c| c.kind()).collect()
    }

    #[test]
    fn european_export_with_bom_semicolons_and_decimal_commas() {
        let l = load("air_quality_eu.csv").unwrap();
        assert_eq!(l.delimiter, b';');
        assert_eq!(l.encoding, "UTF-8");
        let t = &l.table;
        assert_eq!(
            t.columns[0].name, "Datum",
            "BOM stripped from the first name"
        );
        assert_eq!(
            kinds(t),
            vec![
                ColumnKind::Timestamp,
                ColumnKind::Categorical,
                ColumnKind::Float,
                ColumnKind::Float,
                ColumnKind::Float
            ]
        );
        assert_eq!(t.columns[2].f64_at(0), Some(21.5));
        assert_eq!(t.columns[3].f64_at(1), Some(44.75));
        assert_eq!(t.columns[2].missing_count(), 1, "NA is missing");
        assert_eq!(t.columns[3].missing_count(), 1, "- is missing");
        // 13.03.2024 is day first; in UTC.
        let ts = t.columns[0].timestamp_at(3).unwrap();
        assert_eq!(ts, 1_710_327_600_000_000);
    }

    #[test]
    fn separate_date_and_time_columns_become_one_timestamp() {
        // NYC's collisions: CRASH DATE + CRASH TIME.
        let l = load("nyc_collisions.csv").unwrap();
        let t = &l.table;
        let c = &t.columns[0];
        assert_eq!(c.name, "CRASH DATETIME");
        assert_eq!(c.kind(), ColumnKind::Timestamp);
        // 2021-09-11 02:39 (UTC here).
        assert_eq!(c.timestamp_at(0), Some(1_631_327_940_000_000));
        assert_eq!(c.timestamp_at(3), Some(1_698_856_200_000_000));
        assert_eq!(
            c.timestamp_at(4),
            None,
            "a date without its time is missing"
        );
        assert_eq!(t.columns[1].name, "CRASH DATE", "the originals stay");
        assert!(l.warnings.iter().any(|w| w.message.contains(
            "'CRASH DATE' and 'CRASH TIME' were combined into the timestamp column 'CRASH DATETIME'"
        )));
        let (schema, _) = crate::data::schema::recognise(t);
        assert_eq!(schema.find(crate::data::Role::Time), Some(0));

        // EPA hourly: two pairs; the GMT one (exact) becomes the time axis.
        let l = load("epa_hourly.csv").unwrap();
        let t = &l.table;
        assert_eq!(t.columns[9].name, "Datetime GMT");
        assert_eq!(t.columns[10].name, "Datetime Local");
        assert!(t.columns[9].timestamp_info.has_offset);
        // 2024-03-10 05:00 GMT.
        assert_eq!(t.columns[9].timestamp_at(0), Some(1_710_046_800_000_000));
        assert_eq!(t.columns[10].timestamp_at(0), Some(1_710_025_200_000_000));
        let (schema, domain) = crate::data::schema::recognise(t);
        assert_eq!(schema.find(crate::data::Role::Time), Some(9));
        // One pollutant in long form: the reading is that pollutant.
        assert_eq!(domain, crate::data::Domain::Environment);
        let reading = t
            .columns
            .iter()
            .position(|c| c.name == "Sample Measurement");
        assert_eq!(
            reading.map(|i| schema.roles[i]),
            Some(crate::data::Role::Measure(crate::data::Measure::O3))
        );
        let code = t.columns.iter().position(|c| c.name == "State Code");
        assert_eq!(
            code.map(|i| schema.roles[i]),
            Some(crate::data::Role::Category)
        );

        // San Francisco's incidents have full timestamps already: no
        // combined column.
        let raw_columns = std::fs::read_to_string(fixture("sf_police_incidents.csv"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .split(',')
            .count();
        let l = load("sf_police_incidents.csv").unwrap();
        assert_eq!(l.table.columns.len(), raw_columns);
        assert!(!l.warnings.iter().any(|w| w.message.contains("combined")));
    }

    #[test]
    fn windows_1252_is_decoded_with_a_warning() {
        let l = load("latin1_tab.csv").unwrap();
        assert_eq!(l.delimiter, b'\t');
        assert_eq!(l.encoding, "windows-1252");
        assert_eq!(l.table.columns[1].str_at(0), Some("Béthune"));
        assert_eq!(l.table.columns[1].str_at(1), Some("München"));
        assert!(
            l.warnings
                .iter()
                .any(|w| w.message.contains("Windows-1252"))
        );
    }

    #[test]
    fn quoted_fields_keep_newlines_quotes_and_chinese() {
        let l = load("reports_quoted.csv").unwrap();
        let t = &l.table;
        assert_eq!(t.n_rows(), 3);
        let text = t.column("description").unwrap();
        assert_eq!(
            text.str_at(0),
            Some("Streetlight out, corner of 5th\nand Main")
        );
        assert_eq!(text.str_at(1), Some("He said \"fix it\" twice"));
        assert_eq!(text.str_at(2), Some("小区门口垃圾没人清理"));
        assert!(t.column("created_at").unwrap().timestamp_info.has_offset);
    }

    #[test]
    fn ragged_row_is_skipped_with_warning_naming_line() {
        let l = load("ragged.csv").unwrap();
        assert_eq!(l.table.n_rows(), 27);
        let lines: Vec<Option<u64>> = l.warnings.iter().map(|w| w.line).collect();
        assert!(lines.contains(&Some(3)), "{:?}", l.warnings);
        assert!(lines.contains(&Some(5)), "{:?}", l.warnings);
        assert!(l.warnings.iter().all(|w| w.message.contains("skipped")));
    }

    #[test]
    fn too_many_ragged_rows_fail_with_the_first_bad_line() {
        let err = load("mostly_ragged.csv").unwrap_err();
        match &err {
            LoadError::TooManyBadRows {
                line,
                got,
                expected,
                ..
            } => {
                assert_eq!((*line, *got, *expected), (2, 2, 3));
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("mostly_ragged.csv:2:1"), "{msg}");
        assert!(msg.contains("delimiter"), "{msg}");
    }

    #[test]
    fn duplicate_and_empty_headers_are_renamed_with_warnings() {
        let l = load("bad_headers.csv").unwrap();
        let names: Vec<&str> = l.table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["speed", "column_2", "speed_2", "Speed"]);
        assert_eq!(l.warnings.len(), 2);
        assert!(l.warnings.iter().all(|w| w.line == Some(1)));
    }

    #[test]
    fn truncated_last_line_is_kept_with_a_warning() {
        let l = load("truncated.csv").unwrap();
        assert_eq!(l.table.n_rows(), 3);
        let w = l.warnings.iter().find(|w| w.line == Some(4)).unwrap();
        assert!(w.message.contains("cut off"), "{}", w.message);
        assert_eq!(l.table.column("no2").unwrap().missing_count(), 1);
        assert_eq!(l.table.column("pm25").unwrap().f64_at(2), Some(1.0));
    }

    #[test]
    fn empty_and_header_only_files_are_clear_errors() {
        assert!(matches!(load("empty.csv"), Err(LoadError::Empty { .. })));
        let err = load("header_only.csv").unwrap_err();
        assert!(matches!(err, LoadError::HeaderOnly { columns: 3, .. }));
        assert!(err.to_string().contains("no data rows"));
    }

    #[test]
    fn us_dates_missing_markers_and_leading_zero_ids() {
        let l = load("incidents_us.csv").unwrap();
        let t = &l.table;
        // Leading zeros: identifiers stay strings ("0001"), never numbers.
        let id = t.column("incident_id").unwrap();
        assert!(!id.kind().is_numeric());
        assert_eq!(id.str_at(0), Some("0001"));
        assert_eq!(t.column("zip").unwrap().kind(), ColumnKind::Categorical);
        assert_eq!(t.column("zip").unwrap().str_at(0), Some("02134"));
        let sev = t.column("severity").unwrap();
        assert_eq!(sev.kind(), ColumnKind::Integer);
        assert_eq!(sev.missing_count(), 2);
        let when = t.column("occurred").unwrap();
        assert_eq!(when.kind(), ColumnKind::Timestamp);
        assert_eq!(when.missing_count(), 1);
        // 03/01/2024 08:05:00 PM UTC
        assert_eq!(when.timestamp_at(0), Some(1_709_323_500_000_000));
        // 12:30 AM is just after midnight.
        assert_eq!(when.timestamp_at(1), Some(1_709_339_400_000_000));
    }

    #[test]
    fn epoch_seconds_become_timestamps() {
        let l = load("epoch.csv").unwrap();
        let c = l.table.column("timestamp").unwrap();
        assert_eq!(c.kind(), ColumnKind::Timestamp);
        assert_eq!(c.timestamp_at(0), Some(1_709_280_000_000_000));
        assert_eq!(l.table.column("flow").unwrap().kind(), ColumnKind::Integer);
    }

    #[test]
    fn binary_input_is_rejected_with_place_and_advice() {
        let err = load("image.csv").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("image.csv:1:1"), "{msg}");
        assert!(msg.contains("PNG image"), "{msg}");
        let err = load("nul_inside.csv").unwrap_err();
        assert_eq!(err.location(), Some((3, 3)));
    }

    #[test]
    fn naive_times_are_read_in_the_chosen_zone_and_dst_is_kept() {
        let csv = "time,v\n2026-11-01 00:30,1\n2026-11-01 01:30,2\n2026-11-01 02:30,3\n";
        let opts = LoadOptions {
            time_zone: Some(TimeZone::get("America/Chicago").unwrap()),
            delimiter: None,
            ..LoadOptions::default()
        };
        let l = load_csv_bytes(csv.as_bytes(), "dst.csv", &opts, &()).unwrap();
        let c = &l.table.columns[0];
        assert!(!c.timestamp_info.has_offset);
        // 00:30 CDT = 05:30Z; 01:30 is ambiguous → earlier (CDT) = 06:30Z;
        // 02:30 CST = 08:30Z. The gap of two hours is kept, not smoothed.
        let hours: Vec<i64> = (0..3)
            .map(|r| c.timestamp_at(r).unwrap() / 3_600_000_000)
            .collect();
        assert_eq!(hours[1] - hours[0], 1);
        assert_eq!(hours[2] - hours[1], 2);
    }

    #[test]
    fn offsets_in_data_choose_the_time_zone() {
        let csv = "t,v\n2024-01-01T00:00:00+05:30,1\n2024-01-01T01:00:00+05:30,2\n";
        let l = load_csv_bytes(csv.as_bytes(), "x.csv", &utc(), &()).unwrap();
        assert_eq!(
            l.time_zone.to_offset(jiff::Timestamp::UNIX_EPOCH).seconds(),
            5 * 3600 + 1800
        );
    }

    #[test]
    fn a_stray_bad_cell_in_a_long_numeric_column_becomes_missing_with_warning() {
        let mut csv = String::from("id,speed\n");
        for i in 0..2000 {
            csv.push_str(&format!("{i},{}.5\n", i % 90));
        }
        csv.push_str("2000,sensor fault\n");
        let l = load_csv_bytes(csv.as_bytes(), "s.csv", &utc(), &()).unwrap();
        let speed = l.table.column("speed").unwrap();
        assert_eq!(speed.kind(), ColumnKind::Float);
        assert_eq!(speed.missing_count(), 1);
        let w = &l.warnings[0];
        assert_eq!((w.line, w.column), (Some(2002), Some(2)));
        assert!(w.message.contains("sensor fault"));
    }

    #[test]
    fn repeated_strings_are_dictionary_encoded_and_unique_ones_are_text() {
        let mut csv = String::from("sensor,note\n");
        for i in 0..1000 {
            csv.push_str(&format!("S{},note number {i}\n", i % 7));
        }
        let l = load_csv_bytes(csv.as_bytes(), "d.csv", &utc(), &()).unwrap();
        match &l.table.columns[0].values {
            ColumnValues::Categorical { dictionary, .. } => assert_eq!(dictionary.len(), 7),
            other => panic!("{:?}", other.kind()),
        }
        assert_eq!(l.table.columns[1].kind(), ColumnKind::Text);
    }

    #[test]
    fn cancelled_load_stops_with_cancelled() {
        struct Cancelled;
        impl Progress for Cancelled {
            fn report(&self, _: f32, _: &str) {}
            fn is_cancelled(&self) -> bool {
                true
            }
        }
        let err = load_csv_file(&fixture("epoch.csv"), &utc(), &Cancelled).unwrap_err();
        assert!(matches!(err, LoadError::Cancelled));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: random bytes, random CSV-ish text.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"ab,;\t|\"\n\r 0123456789.-:TZ+/\xc3\xa9\xff";
        for _ in 0..2000 {
            let len = (next() % 200) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = load_csv_bytes(&bytes, "fuzz.csv", &utc(), &());
        }
    }

    #[test]
    fn delimiter_sniffing_prefers_consistent_counts() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\n1|2|3\n"), b'|');
        assert_eq!(sniff_delimiter("\"x,y\";b\n\"1,2\";3\n"), b';');
    }

    fn warning_texts(l: &LoadedCsv) -> Vec<String> {
        l.warnings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_stray_word_or_a_mistyped_number_keeps_the_column_numeric() {
        let l = load("stray_cells.csv").unwrap();
        let t = &l.table;
        let vehicles = t.column("vehicles").unwrap();
        assert_eq!(vehicles.kind(), ColumnKind::Integer);
        assert_eq!(vehicles.missing_count(), 1);
        assert_eq!(vehicles.f64_at(0), Some(100.0));
        let pm10 = t.column("pm10").unwrap();
        assert_eq!(pm10.kind(), ColumnKind::Float);
        assert_eq!(pm10.missing_count(), 1);
        assert_eq!(pm10.f64_at(1), Some(11.1));
        let w = warning_texts(&l);
        // 'unknown' is on the 12th data row, line 13; '12,,5' on line 25.
        assert!(
            w.iter()
                .any(|w| w.starts_with("line 13, column 3: 'unknown' in column 'vehicles'")),
            "{w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.starts_with("line 25, column 4: '12,,5' in column 'pm10'")),
            "{w:?}"
        );
        assert_eq!(l.counts.cells_set_missing, 2);
    }

    #[test]
    fn past_the_rule_a_column_is_text_and_a_warning_says_why() {
        let mut text = String::from("site,reading\n");
        for i in 0..30 {
            // 10 of 30 cells are words: a third, over the 5 % the rule allows.
            if i % 3 == 1 {
                text.push_str(&format!("s{i},n/a-ish\n"));
            } else {
                text.push_str(&format!("s{i},{i}.5\n"));
            }
        }
        let l = load_csv_bytes(text.as_bytes(), "r.csv", &utc(), &()).unwrap();
        assert!(!l.table.columns[1].kind().is_numeric());
        let w = warning_texts(&l);
        assert!(
            w.iter().any(|w| w.contains(
                "column 'reading' is read as text: 33 % of cells are not numbers (more than the 5 % a numeric column may have), first at line 3: 'n/a-ish'"
            )),
            "{w:?}"
        );
    }

    #[test]
    fn zero_padded_codes_stay_text_and_thousands_separators_are_numbers() {
        let mut text = String::from("zip,amount\n");
        for i in 0..40 {
            let zip = if i == 7 {
                "02139".to_owned()
            } else {
                format!("{}", 10_001 + i)
            };
            text.push_str(&format!("{zip},\"{},{:03}\"\n", 1 + i, i * 7));
        }
        let l = load_csv_bytes(text.as_bytes(), "z.csv", &utc(), &()).unwrap();
        let zip = &l.table.columns[0];
        assert!(
            !zip.kind().is_numeric(),
            "a zip code with a leading zero keeps it"
        );
        assert_eq!(zip.str_at(7), Some("02139"));
        let amount = &l.table.columns[1];
        assert_eq!(amount.kind(), ColumnKind::Float);
        assert_eq!(amount.f64_at(2), Some(3014.0));
    }

    #[test]
    fn a_quote_never_closed_is_read_as_a_literal_and_no_row_is_lost() {
        let l = load("unclosed_quote.csv").unwrap();
        assert_eq!(l.table.n_rows(), 15, "every data line is a row");
        let desc = l.table.column("description").unwrap();
        assert_eq!(
            desc.str_at(3),
            Some("\"Broken signal at Main St, lights dark")
        );
        assert_eq!(desc.str_at(14), Some("signal fault 15"));
        assert_eq!(l.counts.rows_requoted, 1);
        assert_eq!(l.counts.records, 15);
        let w = warning_texts(&l);
        assert!(
            w.iter()
                .any(|w| w.starts_with("line 5, column 28: a quote opens a field here and")),
            "{w:?}"
        );
    }

    #[test]
    fn a_quote_closed_by_chance_rows_later_is_caught() {
        let l = load("runaway_quote.csv").unwrap();
        assert_eq!(l.table.n_rows(), 15);
        let desc = l.table.column("description").unwrap();
        assert_eq!(desc.str_at(2), Some("\"pothole, deep"));
        assert_eq!(desc.str_at(3), Some("signal fault 4"));
        assert_eq!(desc.str_at(11), Some("flooding, underpass"));
        assert_eq!(l.counts.rows_skipped, 0);
        assert!(
            warning_texts(&l)
                .iter()
                .any(|w| w.starts_with("line 4, column 25: a quote opens a field here")),
            "{:?}",
            l.warnings
        );
    }

    #[test]
    fn a_quoted_field_over_a_thousand_lines_is_taken_for_an_unclosed_quote() {
        let mut text = String::from("id,note\n1,\"starts here\n");
        for i in 0..1_200 {
            text.push_str(&format!("{i},line {i}\n"));
        }
        text.push_str("end\"\n2,after\n");
        let l = load_csv_bytes(text.as_bytes(), "long.csv", &utc(), &()).unwrap();
        assert_eq!(l.counts.rows_requoted, 1);
        // The lines inside are read as the rows they are.
        assert_eq!(l.table.n_rows(), 1_202, "{:?}", l.warnings);
        assert_eq!(l.counts.rows_skipped, 1, "the line 'end\"' alone");
        assert_eq!(l.table.n_rows() + l.counts.rows_skipped, l.counts.records);
    }

    #[test]
    fn many_repeated_header_names_are_renamed_in_linear_time() {
        let header = vec!["x"; 4_000].join(",");
        let row = vec!["1"; 4_000].join(",");
        let text = format!("{header}\n{row}\n");
        let l = load_csv_bytes(text.as_bytes(), "wide.csv", &utc(), &()).unwrap();
        assert_eq!(l.table.columns[1].name, "x_2");
        assert_eq!(l.table.columns[3_999].name, "x_4000");
        // One warning per name up to the cap, then a count.
        assert!(l.warnings.len() <= MAX_ROW_WARNINGS + 1);
    }

    #[test]
    fn a_fifo_or_a_device_given_as_a_csv_is_refused_without_blocking() {
        let err = load_csv_file(Path::new("/dev/zero"), &utc(), &()).unwrap_err();
        assert!(matches!(err, LoadError::NotAFile { .. }), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("p.csv");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let err = load_csv_file(&fifo, &utc(), &()).unwrap_err();
        assert!(err.to_string().contains("named pipe"), "{err}");
    }
}
