//! Parquet and Arrow IPC files into a `Table`, keeping the types the file
//! carries: integers, floats, decimals (as floats), booleans, timestamps
//! with their unit and zone, dates, strings and dictionary-encoded strings.
//!
//! - A timestamp with a zone is an exact instant, and the dataset is shown
//!   in that zone unless the user chose one. A timestamp without a zone
//!   (Arrow's "wall-clock time") and a date are read in the chosen zone or
//!   the system's, as a CSV's naive times are.
//! - A dictionary column stays dictionary-encoded (the batches' dictionaries
//!   merged into one); a plain string column becomes categorical when its
//!   values repeat, text otherwise — the CSV loader's rule.
//! - A column of another type (lists, structs, binary, durations) is left
//!   out with a warning that names it; an unsigned value past `i64::MAX` is
//!   missing, counted in a warning.
//!
//! Parquet's compression codecs built in: snappy, zstd, lz4, gzip (arrow-rs
//! with only those features; polars would bring far more to build). Row
//! groups are read on two threads; progress is by row group or batch, and
//! cancel is checked between them.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float16Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};
use jiff::tz::TimeZone;

use super::csv_load::{available_memory, human_bytes};
use super::table::{ColumnValues, StringColumn, TimestampInfo, Validity};
use super::timeseries::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND};
use super::{Column, LoadError, LoadOptions, LoadWarning, Progress, Table};

/// Rows decoded at a time.
const BATCH_ROWS: usize = 64 * 1024;

/// Which columnar format a path holds, by extension or magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Parquet,
    /// Arrow IPC file format (`.arrow`, `.feather` v2).
    ArrowFile,
    /// Arrow IPC stream format (`.arrows`).
    ArrowStream,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Self::Parquet => "Parquet",
            Self::ArrowFile | Self::ArrowStream => "Arrow IPC",
        }
    }
}

/// The columnar format of `path`, if it is one.
pub fn format_of(path: &Path) -> Option<Format> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "parquet" | "pq" => return Some(Format::Parquet),
        "arrow" | "feather" | "ipc" => return Some(Format::ArrowFile),
        "arrows" => return Some(Format::ArrowStream),
        _ => {}
    }
    // A downloaded file may have no telling name: look at its first bytes.
    use std::io::Read as _;
    let mut head = [0u8; 8];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = head.get(..n).unwrap_or_default();
    if head.starts_with(b"PAR1") {
        Some(Format::Parquet)
    } else if head.starts_with(b"ARROW1") {
        Some(Format::ArrowFile)
    } else {
        None
    }
}

/// A columnar file's table, the zone to show it in, and what was changed.
#[derive(Debug)]
pub struct LoadedColumnar {
    pub table: Table,
    pub time_zone: TimeZone,
    pub warnings: Vec<LoadWarning>,
}

/// Reads a Parquet or Arrow IPC file.
pub fn load_columnar_file(
    path: &Path,
    format: Format,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<LoadedColumnar, LoadError> {
    let shown = path.display().to_string();
    let bad = |message: String| LoadError::Format {
        path: shown.clone(),
        format: format.name(),
        message,
    };
    let (file, size) = super::file::open_regular(path)?;
    if size == 0 {
        return Err(LoadError::Empty { path: shown });
    }
    let naive_zone = opts.time_zone.clone().unwrap_or_else(TimeZone::system);
    let (schema, parts) = match format {
        Format::Parquet => {
            read_parquet(file, path, &shown, opts, &naive_zone, progress).map_err(bad)?
        }
        Format::ArrowFile | Format::ArrowStream => {
            check_memory(&shown, size, size, opts)?;
            read_ipc(file, format, &naive_zone, progress).map_err(bad)?
        }
    };
    if progress.is_cancelled() {
        return Err(LoadError::Cancelled);
    }
    let (columns, warnings) = parts.finish(&schema);
    if columns.is_empty() {
        return Err(bad(
            "it has no column cityops can read (numbers, times, booleans or text)".to_owned(),
        ));
    }
    let table = Table::new(columns).map_err(|e| bad(e.to_string()))?;
    if table.n_rows() == 0 {
        return Err(LoadError::Empty { path: shown });
    }
    let time_zone = opts
        .time_zone
        .clone()
        .or_else(|| file_zone(&schema))
        .unwrap_or(naive_zone);
    Ok(LoadedColumnar {
        table,
        time_zone,
        warnings,
    })
}

/// The zone of the file's first zoned timestamp column.
fn file_zone(schema: &Schema) -> Option<TimeZone> {
    schema.fields().iter().find_map(|f| match f.data_type() {
        DataType::Timestamp(_, Some(tz)) => parse_zone(tz),
        _ => None,
    })
}

/// An IANA name or a fixed offset ("+02:00", "UTC").
fn parse_zone(name: &str) -> Option<TimeZone> {
    if let Ok(tz) = TimeZone::get(name) {
        return Some(tz);
    }
    let (sign, rest) = match name.as_bytes().first()? {
        b'+' => (1, name.get(1..)?),
        b'-' => (-1, name.get(1..)?),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let secs = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    jiff::tz::Offset::from_seconds(secs)
        .ok()
        .map(TimeZone::fixed)
}

/// Refuses a file whose decoded size would not fit in memory.
fn check_memory(shown: &str, size: u64, decoded: u64, opts: &LoadOptions) -> Result<(), LoadError> {
    let needed = decoded
        .saturating_mul(2)
        .saturating_add(super::csv_load::MEMORY_BASE);
    if let Some(limit) = opts.memory_limit.or_else(available_memory)
        && needed > limit
    {
        return Err(LoadError::TooLarge {
            path: shown.to_owned(),
            size: human_bytes(size),
            needed: human_bytes(needed),
            available: human_bytes(limit),
        });
    }
    Ok(())
}

type Parts = (Arc<Schema>, Builders);

fn read_parquet(
    file: File,
    path: &Path,
    shown: &str,
    opts: &LoadOptions,
    naive_zone: &TimeZone,
    progress: &dyn Progress,
) -> Result<Parts, String> {
    use parquet::arrow::arrow_reader::{
        ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let plain =
        ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(|e| e.to_string())?;
    let schema = plain.schema().clone();
    // Strings are decoded as dictionaries: Parquet stores repeated strings
    // dictionary-encoded, and reading them so skips a copy and a hash of
    // every value. (They become text afterwards if nearly all distinct.)
    let as_dictionaries = Arc::new(Schema::new_with_metadata(
        schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                    f.as_ref().clone().with_data_type(DataType::Dictionary(
                        Box::new(DataType::Int32),
                        Box::new(DataType::Utf8),
                    ))
                }
                _ => f.as_ref().clone(),
            })
            .collect::<Vec<_>>(),
        schema.metadata().clone(),
    ));
    let reader_meta = ArrowReaderMetadata::try_new(
        plain.metadata().clone(),
        ArrowReaderOptions::new().with_schema(as_dictionaries),
    )
    .unwrap_or(plain);
    let meta = reader_meta.metadata().clone();
    let decoded: u64 = meta
        .row_groups()
        .iter()
        .map(|g| u64::try_from(g.total_byte_size()).unwrap_or(0))
        .sum();
    check_memory(shown, size, decoded, opts).map_err(|e| e.to_string())?;
    let groups = meta.num_row_groups();
    let total_rows = meta.file_metadata().num_rows().max(1) as f32;
    let done = std::sync::atomic::AtomicU64::new(0);
    // Two threads, each over every other row group, each with a file
    // handle of its own (a cloned handle would share the read position).
    let threads = if groups > 1 { 2 } else { 1 };
    let mut first = Some(file);
    let files: Vec<std::io::Result<File>> = (0..threads)
        .map(|_| first.take().map_or_else(|| File::open(path), Ok))
        .collect();
    let results: Vec<Result<Builders, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .into_iter()
            .enumerate()
            .map(|(t, file)| {
                let schema = &schema;
                let done = &done;
                let reader_meta = reader_meta.clone();
                s.spawn(move || -> Result<Builders, String> {
                    let file = file.map_err(|e| e.to_string())?;
                    let mine: Vec<usize> = (t..groups).step_by(threads).collect();
                    let mut out = Builders::new(schema);
                    if mine.is_empty() {
                        return Ok(out);
                    }
                    let reader =
                        ParquetRecordBatchReaderBuilder::new_with_metadata(file, reader_meta)
                            .with_row_groups(mine)
                            .with_batch_size(BATCH_ROWS)
                            .build()
                            .map_err(|e| e.to_string())?;
                    for batch in reader {
                        if progress.is_cancelled() {
                            break;
                        }
                        let batch = batch.map_err(|e| e.to_string())?;
                        out.push(&batch, naive_zone);
                        let n = batch.num_rows() as u64;
                        let rows = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
                        if t == 0 {
                            progress.report(rows as f32 / total_rows, &format!("{rows} rows read"));
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a reading thread failed".to_owned()))
            })
            .collect()
    });
    let mut per_thread = Vec::new();
    for r in results {
        per_thread.push(r?);
    }
    // Row groups were dealt out in turn: put the rows back in file order.
    let parts = if threads == 1 {
        per_thread.pop().unwrap_or_else(|| Builders::new(&schema))
    } else {
        interleave(per_thread, &meta, threads)
    };
    Ok((schema, parts))
}

/// Rebuilds file order from threads that read row groups `t, t+n, …`.
fn interleave(
    parts: Vec<Builders>,
    meta: &parquet::file::metadata::ParquetMetaData,
    threads: usize,
) -> Builders {
    let rows: Vec<usize> = meta
        .row_groups()
        .iter()
        .map(|g| usize::try_from(g.num_rows()).unwrap_or(0))
        .collect();
    // The row range of each group inside its thread's builders.
    let mut offsets = vec![0usize; threads];
    let mut ranges = Vec::with_capacity(rows.len());
    for (g, &n) in rows.iter().enumerate() {
        let t = g % threads;
        let start = offsets.get(t).copied().unwrap_or(0);
        ranges.push((t, start, n));
        if let Some(o) = offsets.get_mut(t) {
            *o += n;
        }
    }
    Builders::gather(parts, &ranges)
}

fn read_ipc(
    file: File,
    format: Format,
    naive_zone: &TimeZone,
    progress: &dyn Progress,
) -> Result<Parts, String> {
    let buffered = std::io::BufReader::new(file);
    let read_all =
        |schema: Arc<Schema>,
         batches: &mut dyn Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>,
         total: usize|
         -> Result<Parts, String> {
            let mut out = Builders::new(&schema);
            for (i, batch) in batches.enumerate() {
                if progress.is_cancelled() {
                    break;
                }
                let batch = batch.map_err(|e| format!("record batch {i}: {e}"))?;
                out.push(&batch, naive_zone);
                progress.report(
                    (i + 1) as f32 / total.max(i + 1) as f32,
                    &format!("{} rows read", out.rows),
                );
            }
            Ok((schema, out))
        };
    match format {
        Format::ArrowStream => {
            let mut reader = arrow_ipc::reader::StreamReader::try_new(buffered, None)
                .map_err(|e| e.to_string())?;
            let schema = reader.schema();
            read_all(schema, &mut reader, 0)
        }
        _ => {
            let mut reader = arrow_ipc::reader::FileReader::try_new(buffered, None)
                .map_err(|e| e.to_string())?;
            let schema = reader.schema();
            let total = reader.num_batches();
            read_all(schema, &mut reader, total)
        }
    }
}

/// One column's values as they are read, batch by batch.
enum Builder {
    Integer(Vec<i64>, Validity),
    Float(Vec<f64>, Validity),
    Bool(Vec<bool>, Validity),
    Timestamp(Vec<i64>, Validity),
    /// Strings, dictionary-encoded as read; `from_dictionary` when the file
    /// had them so (kept categorical whatever the repeats).
    Strings {
        codes: Vec<u32>,
        dictionary: Vec<String>,
        index: HashMap<String, u32, foldhash::fast::RandomState>,
        validity: Validity,
        from_dictionary: bool,
    },
    /// A type cityops does not read; the column is left out.
    Skipped,
}

impl Builder {
    fn for_type(t: &DataType) -> Self {
        use DataType as D;
        match t {
            D::Int8
            | D::Int16
            | D::Int32
            | D::Int64
            | D::UInt8
            | D::UInt16
            | D::UInt32
            | D::UInt64 => Self::Integer(Vec::new(), Validity::default()),
            D::Float16 | D::Float32 | D::Float64 | D::Decimal128(..) | D::Null => {
                Self::Float(Vec::new(), Validity::default())
            }
            D::Boolean => Self::Bool(Vec::new(), Validity::default()),
            D::Timestamp(..) | D::Date32 | D::Date64 => {
                Self::Timestamp(Vec::new(), Validity::default())
            }
            D::Utf8 | D::LargeUtf8 | D::Utf8View => Self::strings(false),
            D::Dictionary(_, v) if matches!(**v, D::Utf8 | D::LargeUtf8 | D::Utf8View) => {
                Self::strings(true)
            }
            _ => Self::Skipped,
        }
    }

    fn strings(from_dictionary: bool) -> Self {
        Self::Strings {
            codes: Vec::new(),
            dictionary: Vec::new(),
            index: HashMap::default(),
            validity: Validity::default(),
            from_dictionary,
        }
    }
}

/// Appends an array's validity.
fn push_validity(validity: &mut Validity, array: &dyn Array) {
    if array.null_count() == 0 && !matches!(array.data_type(), DataType::Null) {
        validity.append(&Validity::all_valid(array.len()));
        return;
    }
    match array.logical_nulls() {
        None => validity.append(&Validity::all_valid(array.len())),
        Some(nulls) => {
            for i in 0..array.len() {
                validity.push(nulls.is_valid(i));
            }
        }
    }
}

/// The code of `s` in a growing dictionary.
fn code_of(
    s: &str,
    dictionary: &mut Vec<String>,
    index: &mut HashMap<String, u32, foldhash::fast::RandomState>,
) -> u32 {
    if let Some(&c) = index.get(s) {
        return c;
    }
    let c = u32::try_from(dictionary.len()).unwrap_or(u32::MAX);
    dictionary.push(s.to_owned());
    index.insert(s.to_owned(), c);
    c
}

/// Wall-clock microseconds to instants in a zone, cached by local hour.
struct Wall<'a> {
    tz: &'a TimeZone,
    hour: i64,
    offset: i64,
}

impl Wall<'_> {
    fn instant(&mut self, wall: i64) -> i64 {
        if self.tz == &TimeZone::UTC {
            return wall;
        }
        let hour = wall.div_euclid(MICROS_PER_HOUR);
        if hour != self.hour {
            self.hour = hour;
            self.offset = jiff::Timestamp::from_microsecond(hour * MICROS_PER_HOUR)
                .ok()
                .and_then(|ts| {
                    let civil = ts.to_zoned(TimeZone::UTC).datetime();
                    self.tz.to_ambiguous_timestamp(civil).compatible().ok()
                })
                .map_or(0, |ts| {
                    i64::from(self.tz.to_offset(ts).seconds()) * MICROS_PER_SECOND
                });
        }
        wall - self.offset
    }
}

/// Every column's builder, plus what was dropped.
struct Builders {
    columns: Vec<Builder>,
    rows: usize,
    /// Unsigned values past `i64::MAX`, per column.
    out_of_range: Vec<usize>,
}

impl Builders {
    fn new(schema: &Schema) -> Self {
        let columns: Vec<Builder> = schema
            .fields()
            .iter()
            .map(|f| Builder::for_type(f.data_type()))
            .collect();
        let n = columns.len();
        Self {
            columns,
            rows: 0,
            out_of_range: vec![0; n],
        }
    }

    fn push(&mut self, batch: &RecordBatch, zone: &TimeZone) {
        for (c, (b, array)) in self.columns.iter_mut().zip(batch.columns()).enumerate() {
            let bad = push_array(b, array.as_ref(), zone);
            if let Some(n) = self.out_of_range.get_mut(c) {
                *n += bad;
            }
        }
        self.rows += batch.num_rows();
    }

    /// New builders made of `(part, start, len)` row ranges, in order.
    fn gather(parts: Vec<Builders>, ranges: &[(usize, usize, usize)]) -> Builders {
        let n_cols = parts.first().map_or(0, |p| p.columns.len());
        let rows = ranges.iter().map(|r| r.2).sum();
        let mut out_of_range = vec![0; n_cols];
        for p in &parts {
            for (o, n) in out_of_range.iter_mut().zip(&p.out_of_range) {
                *o += n;
            }
        }
        let mut parts = parts;
        let mut columns = Vec::with_capacity(n_cols);
        for c in 0..n_cols {
            let taken: Vec<Builder> = parts
                .iter_mut()
                .map(|p| {
                    p.columns
                        .get_mut(c)
                        .map_or(Builder::Skipped, |b| std::mem::replace(b, Builder::Skipped))
                })
                .collect();
            columns.push(gather_column(taken, ranges));
        }
        Builders {
            columns,
            rows,
            out_of_range,
        }
    }

    fn finish(self, schema: &Schema) -> (Vec<Column>, Vec<LoadWarning>) {
        let mut columns = Vec::new();
        let mut warnings = Vec::new();
        let mut skipped = Vec::new();
        for (i, (b, field)) in self.columns.into_iter().zip(schema.fields()).enumerate() {
            let name = field.name().clone();
            let zoned = matches!(field.data_type(), DataType::Timestamp(_, Some(_)));
            let column = match b {
                Builder::Integer(v, validity) => {
                    Column::new(name, ColumnValues::Integer(v), validity)
                }
                Builder::Float(v, validity) => Column::new(name, ColumnValues::Float(v), validity),
                Builder::Bool(v, validity) => Column::new(name, ColumnValues::Bool(v), validity),
                Builder::Timestamp(v, validity) => {
                    let mut c = Column::new(name, ColumnValues::Timestamp(v), validity);
                    c.timestamp_info = TimestampInfo { has_offset: zoned };
                    c
                }
                Builder::Strings {
                    codes,
                    dictionary,
                    validity,
                    from_dictionary,
                    ..
                } => strings_column(name, codes, dictionary, validity, from_dictionary),
                Builder::Skipped => {
                    skipped.push(format!("{name} ({})", field.data_type()));
                    continue;
                }
            };
            if let Some(&n) = self.out_of_range.get(i)
                && n > 0
            {
                warnings.push(LoadWarning {
                    line: None,
                    column: Some(i + 1),
                    message: format!(
                        "{n} values of '{}' are larger than cityops' integers hold (2^63 - 1) and were set missing",
                        column.name
                    ),
                });
            }
            columns.push(column);
        }
        if !skipped.is_empty() {
            warnings.push(LoadWarning {
                line: None,
                column: None,
                message: format!(
                    "{} column(s) of types cityops does not chart were left out: {}",
                    skipped.len(),
                    skipped.join(", ")
                ),
            });
        }
        (columns, warnings)
    }
}

/// Categorical when the file said so or the values repeat (under 90 %
/// distinct, the CSV rule); text otherwise.
pub fn strings_column(
    name: String,
    codes: Vec<u32>,
    dictionary: Vec<String>,
    validity: Validity,
    from_dictionary: bool,
) -> Column {
    let present = validity.len() - validity.missing_count();
    if !dictionary.is_empty()
        && (from_dictionary || (dictionary.len() as f64) < 0.9 * present as f64)
    {
        return Column::new(
            name,
            ColumnValues::Categorical { codes, dictionary },
            validity,
        );
    }
    let bytes = codes
        .iter()
        .map(|&c| dictionary.get(c as usize).map_or(0, String::len))
        .sum();
    let mut text = StringColumn::with_capacity(codes.len(), bytes);
    for (r, &c) in codes.iter().enumerate() {
        let s = if validity.is_valid(r) {
            dictionary.get(c as usize).map_or("", String::as_str)
        } else {
            ""
        };
        text.push(s);
    }
    Column::new(name, ColumnValues::Text(text), validity)
}

/// One column's parts, `(part, start, len)` ranges in order.
fn gather_column(parts: Vec<Builder>, ranges: &[(usize, usize, usize)]) -> Builder {
    fn take<T: Clone>(
        parts: &[(Vec<T>, Validity)],
        ranges: &[(usize, usize, usize)],
    ) -> (Vec<T>, Validity) {
        let rows = ranges.iter().map(|r| r.2).sum();
        let mut values = Vec::with_capacity(rows);
        let mut validity = Validity::with_capacity(rows);
        for &(p, start, len) in ranges {
            if let Some((v, val)) = parts.get(p) {
                if let Some(s) = v.get(start..start + len) {
                    values.extend_from_slice(s);
                }
                if val.missing_count() == 0 {
                    validity.append(&Validity::all_valid(len));
                } else {
                    for r in start..start + len {
                        validity.push(val.is_valid(r));
                    }
                }
            }
        }
        (values, validity)
    }
    let Some(first) = parts.first() else {
        return Builder::Skipped;
    };
    macro_rules! simple {
        ($variant:ident) => {{
            let ps: Vec<_> = parts
                .into_iter()
                .map(|b| match b {
                    Builder::$variant(v, val) => (v, val),
                    _ => (Vec::new(), Validity::default()),
                })
                .collect();
            let (v, val) = take(&ps, ranges);
            Builder::$variant(v, val)
        }};
    }
    match first {
        Builder::Integer(..) => simple!(Integer),
        Builder::Float(..) => simple!(Float),
        Builder::Bool(..) => simple!(Bool),
        Builder::Timestamp(..) => simple!(Timestamp),
        Builder::Skipped => Builder::Skipped,
        Builder::Strings {
            from_dictionary, ..
        } => {
            let from_dictionary = *from_dictionary;
            let mut dictionary = Vec::new();
            let mut index = HashMap::default();
            // Each part's codes mapped into one dictionary.
            let ps: Vec<(Vec<u32>, Validity)> = parts
                .into_iter()
                .map(|b| match b {
                    Builder::Strings {
                        codes,
                        dictionary: d,
                        validity,
                        ..
                    } => {
                        let remap: Vec<u32> = d
                            .iter()
                            .map(|s| code_of(s, &mut dictionary, &mut index))
                            .collect();
                        let codes = codes
                            .into_iter()
                            .map(|c| remap.get(c as usize).copied().unwrap_or(0))
                            .collect();
                        (codes, validity)
                    }
                    _ => (Vec::new(), Validity::default()),
                })
                .collect();
            let (codes, validity) = take(&ps, ranges);
            Builder::Strings {
                codes,
                dictionary,
                index,
                validity,
                from_dictionary,
            }
        }
    }
}

/// Appends one array; returns the values set missing (out of range).
fn push_array(b: &mut Builder, array: &dyn Array, zone: &TimeZone) -> usize {
    use DataType as D;
    let n = array.len();
    let mut bad = 0;
    match b {
        Builder::Integer(v, validity) if array.data_type() == &D::UInt64 => {
            // Past i64::MAX: missing, counted.
            let a = array.as_primitive::<UInt64Type>();
            for (i, &x) in a.values().iter().enumerate() {
                let valid = array.is_valid(i);
                match i64::try_from(x) {
                    Ok(x) => {
                        v.push(x);
                        validity.push(valid);
                    }
                    Err(_) => {
                        v.push(0);
                        validity.push(false);
                        bad += usize::from(valid);
                    }
                }
            }
        }
        Builder::Integer(v, validity) => {
            push_validity(validity, array);
            macro_rules! ints {
                ($t:ty) => {
                    v.extend(
                        array
                            .as_primitive::<$t>()
                            .values()
                            .iter()
                            .map(|&x| x as i64),
                    )
                };
            }
            match array.data_type() {
                D::Int8 => ints!(Int8Type),
                D::Int16 => ints!(Int16Type),
                D::Int32 => ints!(Int32Type),
                D::Int64 => v.extend_from_slice(array.as_primitive::<Int64Type>().values()),
                D::UInt8 => ints!(UInt8Type),
                D::UInt16 => ints!(UInt16Type),
                D::UInt32 => ints!(UInt32Type),
                _ => v.extend(std::iter::repeat_n(0, n)),
            }
        }
        Builder::Float(v, validity) => {
            push_validity(validity, array);
            match array.data_type() {
                D::Float16 => v.extend(
                    array
                        .as_primitive::<Float16Type>()
                        .values()
                        .iter()
                        .map(|x| x.to_f64()),
                ),
                D::Float32 => v.extend(
                    array
                        .as_primitive::<Float32Type>()
                        .values()
                        .iter()
                        .map(|&x| f64::from(x)),
                ),
                D::Float64 => v.extend_from_slice(array.as_primitive::<Float64Type>().values()),
                D::Decimal128(_, scale) => {
                    let div = 10f64.powi(i32::from(*scale));
                    v.extend(
                        array
                            .as_primitive::<Decimal128Type>()
                            .values()
                            .iter()
                            .map(|&x| x as f64 / div),
                    );
                }
                _ => v.extend(std::iter::repeat_n(f64::NAN, n)),
            }
        }
        Builder::Bool(v, validity) => {
            push_validity(validity, array);
            let a = array.as_boolean();
            v.extend((0..n).map(|i| a.value(i)));
        }
        Builder::Timestamp(v, validity) => {
            push_validity(validity, array);
            let mut wall = Wall {
                tz: zone,
                hour: i64::MIN,
                offset: 0,
            };
            let (micros, zoned): (Vec<i64>, bool) = match array.data_type() {
                D::Timestamp(unit, tz) => {
                    let scaled: Vec<i64> = match unit {
                        TimeUnit::Second => array
                            .as_primitive::<TimestampSecondType>()
                            .values()
                            .iter()
                            .map(|&x| x.saturating_mul(MICROS_PER_SECOND))
                            .collect(),
                        TimeUnit::Millisecond => array
                            .as_primitive::<TimestampMillisecondType>()
                            .values()
                            .iter()
                            .map(|&x| x.saturating_mul(1000))
                            .collect(),
                        TimeUnit::Microsecond => array
                            .as_primitive::<TimestampMicrosecondType>()
                            .values()
                            .to_vec(),
                        TimeUnit::Nanosecond => array
                            .as_primitive::<TimestampNanosecondType>()
                            .values()
                            .iter()
                            .map(|&x| x.div_euclid(1000))
                            .collect(),
                    };
                    (scaled, tz.is_some())
                }
                D::Date32 => (
                    array
                        .as_primitive::<Date32Type>()
                        .values()
                        .iter()
                        .map(|&d| i64::from(d) * MICROS_PER_DAY)
                        .collect(),
                    false,
                ),
                D::Date64 => (
                    array
                        .as_primitive::<Date64Type>()
                        .values()
                        .iter()
                        .map(|&ms| ms.saturating_mul(1000))
                        .collect(),
                    false,
                ),
                _ => (vec![0; n], true),
            };
            if zoned {
                v.extend(micros);
            } else {
                v.extend(micros.into_iter().map(|w| wall.instant(w)));
            }
        }
        Builder::Strings {
            codes,
            dictionary,
            index,
            validity,
            ..
        } => {
            push_validity(validity, array);
            match array.data_type() {
                D::Dictionary(..) => {
                    let dict = array.as_any_dictionary();
                    let values = dict.values();
                    if values.is_empty() {
                        codes.extend(std::iter::repeat_n(0, n));
                    } else {
                        // Only the values rows use: a reader may pad the
                        // dictionary (an empty string for null slots).
                        let keys = dict.normalized_keys();
                        let mut remap: Vec<Option<u32>> = vec![None; values.len()];
                        for (i, &k) in keys.iter().enumerate() {
                            let code = if array.is_valid(i) {
                                match remap.get(k).copied().flatten() {
                                    Some(c) => c,
                                    None => {
                                        let c = code_of(
                                            &string_at(values.as_ref(), k),
                                            dictionary,
                                            index,
                                        );
                                        if let Some(slot) = remap.get_mut(k) {
                                            *slot = Some(c);
                                        }
                                        c
                                    }
                                }
                            } else {
                                0
                            };
                            codes.push(code);
                        }
                    }
                }
                _ => {
                    for i in 0..n {
                        let c = if array.is_valid(i) {
                            code_of(&string_at(array, i), dictionary, index)
                        } else {
                            0
                        };
                        codes.push(c);
                    }
                }
            }
        }
        Builder::Skipped => {}
    }
    bad
}

/// The string at `i` of a Utf8, LargeUtf8 or Utf8View array.
fn string_at(array: &dyn Array, i: usize) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match array.data_type() {
        DataType::Utf8 => Cow::Borrowed(array.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => Cow::Borrowed(array.as_string::<i64>().value(i)),
        DataType::Utf8View => Cow::Borrowed(array.as_string_view().value(i)),
        _ => Cow::Owned(String::new()),
    }
}

#[cfg(test)]
mod tests;
