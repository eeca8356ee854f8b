//! Writing a [`Table`] as CSV, to any writer or atomically to a file.
//!
//! The output follows RFC 4180: comma separated, CRLF line ends, a header row
//! with the column names, and double quotes only around fields that hold a
//! comma, a quote, CR or LF (embedded quotes are doubled). Values are written
//! so that our own reader gets the same table back:
//!
//! - missing values are empty fields (a float NaN counts as missing);
//! - floats use the shortest text that parses back to the same `f64`
//!   (`0.1`, `1e300`), integers and bools as `42` and `true`/`false`;
//! - timestamps are RFC 3339 with the UTC offset that the given time zone had
//!   at that instant (`2026-08-10T00:00:00-05:00`), so the instant is exact
//!   and the clock time is the local one. A column gets whole seconds unless
//!   some value in it has a sub-second part, then milliseconds or
//!   microseconds for the whole column.
//!
//! [`write_csv_file`] never leaves a half-written file at the target: it
//! writes a temporary file next to it, syncs it to disk and renames it over
//! the target.
//!
//! Depends on `csv`, `jiff` and the table; nothing here knows about the UI.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use jiff::tz::TimeZone;

use super::table::{Column, ColumnValues, Table};
use super::timeseries::MICROS_PER_SECOND;

/// Something went wrong while writing CSV. Each variant names where.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The operating system refused a read, write, sync or rename.
    #[error(
        "could not write CSV to {}: {source}; check that the folder exists, is writable and has free space",
        describe(path.as_deref())
    )]
    Io {
        /// The target file; `None` when writing to a caller's stream.
        path: Option<PathBuf>,
        #[source]
        source: io::Error,
    },
    /// The CSV encoder failed (in practice: the underlying writer failed).
    #[error("could not write CSV to {}: {source}", describe(path.as_deref()))]
    Csv {
        path: Option<PathBuf>,
        #[source]
        source: csv::Error,
    },
    /// The target path does not name a file (for example `/` or `..`).
    #[error("cannot save CSV to {}: the path does not name a file", path.display())]
    NotAFilePath { path: PathBuf },
    /// A row index passed to [`write_rows`] is past the end of the table.
    #[error("cannot write row {row} to {}: the table has only {n_rows} rows", describe(path.as_deref()))]
    RowOutOfRange {
        path: Option<PathBuf>,
        row: usize,
        n_rows: usize,
    },
    /// A timestamp lies outside the years -9999..=9999 and has no RFC 3339
    /// form.
    #[error(
        "cannot write {}: column '{column}', row {row} holds a timestamp ({micros} µs since 1970) outside the years -9999 to 9999",
        describe(path.as_deref())
    )]
    TimestampOutOfRange {
        path: Option<PathBuf>,
        column: String,
        row: usize,
        micros: i64,
    },
}

impl super::Blame for WriteError {
    /// Only a path that names no file is the user's; the disk refusing a
    /// write, and cells or rows that cannot be written, are not.
    fn is_user_input(&self) -> bool {
        match self {
            Self::NotAFilePath { .. } => true,
            Self::Io { .. }
            | Self::Csv { .. }
            | Self::RowOutOfRange { .. }
            | Self::TimestampOutOfRange { .. } => false,
        }
    }
}

impl WriteError {
    /// Attaches the target path to an error raised while writing a stream.
    fn with_path(self, target: &Path) -> Self {
        let named = Some(target.to_path_buf());
        match self {
            Self::Io { source, .. } => Self::Io {
                path: named,
                source,
            },
            Self::Csv { source, .. } => Self::Csv {
                path: named,
                source,
            },
            Self::RowOutOfRange { row, n_rows, .. } => Self::RowOutOfRange {
                path: named,
                row,
                n_rows,
            },
            Self::TimestampOutOfRange {
                column,
                row,
                micros,
                ..
            } => Self::TimestampOutOfRange {
                path: named,
                column,
                row,
                micros,
            },
            Self::NotAFilePath { path } => Self::NotAFilePath { path },
        }
    }

    fn io(source: io::Error) -> Self {
        Self::Io { path: None, source }
    }

    fn csv(source: csv::Error) -> Self {
        Self::Csv { path: None, source }
    }
}

fn describe(path: Option<&Path>) -> String {
    match path {
        Some(path) => format!("'{}'", path.display()),
        None => "the output stream".to_owned(),
    }
}

/// Writes the whole table as CSV with a header row.
///
/// Timestamps are written with the offsets of `tz`. The writer is flushed
/// before returning; wrap files in a `BufWriter` yourself only if you also
/// want to keep writing to them (this function buffers internally).
pub fn write_csv<W: Write>(table: &Table, tz: &TimeZone, out: W) -> Result<(), WriteError> {
    write_rows(table, 0..table.n_rows(), tz, out)
}

/// Writes the header and the given rows, in the order given.
///
/// Used to export a selection, such as the rows of a time range. Each
/// timestamp column keeps the precision chosen for the whole column, so
/// subsets of one table look alike.
pub fn write_rows<W: Write>(
    table: &Table,
    rows: impl Iterator<Item = usize>,
    tz: &TimeZone,
    out: W,
) -> Result<(), WriteError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    if table.n_columns() == 0 {
        // No header can describe zero columns; an empty file is the honest
        // output.
        return writer.flush().map_err(WriteError::io);
    }

    writer
        .write_record(table.columns.iter().map(|c| c.name.as_bytes()))
        .map_err(WriteError::csv)?;

    let formats: Vec<CellFormat> = table.columns.iter().map(CellFormat::for_column).collect();
    let mut cell = String::new();
    for row in rows {
        if row >= table.n_rows() {
            return Err(WriteError::RowOutOfRange {
                path: None,
                row,
                n_rows: table.n_rows(),
            });
        }
        for (column, format) in table.columns.iter().zip(&formats) {
            cell.clear();
            format_cell(column, *format, row, tz, &mut cell)?;
            writer
                .write_field(cell.as_bytes())
                .map_err(WriteError::csv)?;
        }
        writer
            .write_record(std::iter::empty::<&[u8]>())
            .map_err(WriteError::csv)?;
    }
    writer.flush().map_err(WriteError::io)
}

/// Writes the whole table to `path`, replacing any existing file only once
/// the new content is completely on disk.
///
/// The data goes to a hidden temporary file in the same directory (so the
/// final rename stays on one file system), which is flushed, synced and then
/// renamed over `path`. On any error the temporary file is removed and the
/// previous file, if any, is untouched.
pub fn write_csv_file(table: &Table, tz: &TimeZone, path: &Path) -> Result<(), WriteError> {
    let Some(file_name) = path.file_name() else {
        return Err(WriteError::NotAFilePath {
            path: path.to_path_buf(),
        });
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_error = |source| WriteError::Io {
        path: Some(path.to_path_buf()),
        source,
    };

    let (file, temp) = create_temp_file(&dir, &file_name.to_string_lossy()).map_err(io_error)?;
    let mut buffered = BufWriter::new(file);
    write_csv(table, tz, &mut buffered).map_err(|e| e.with_path(path))?;
    let file = buffered
        .into_inner()
        .map_err(|e| io_error(e.into_error()))?;
    file.sync_all().map_err(io_error)?;
    drop(file);
    fs::rename(temp.path(), path).map_err(io_error)?;
    temp.disarm();
    sync_directory(&dir);
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// folder, flushed to disk, then renamed over `path`. A crash at any moment
/// leaves either the old file or the new one, never a mix.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let Some(file_name) = path.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        ));
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (mut file, temp) = create_temp_file(&dir, &file_name.to_string_lossy())?;
    io::Write::write_all(&mut file, bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp.path(), path)?;
    temp.disarm();
    sync_directory(&dir);
    Ok(())
}

/// A temporary file that is deleted when dropped unless disarmed.
struct TempFileGuard {
    path: Option<PathBuf>,
}

impl TempFileGuard {
    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or_else(|| Path::new(""))
    }

    fn disarm(mut self) {
        self.path = None;
    }
}

impl Drop for TempFileGuard {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Best-effort cleanup on an error path that is already reporting
            // the original failure; a second error here would hide it.
            let _ = fs::remove_file(path);
        }
    }
}

/// Creates `.NAME.PID-N.tmp` in `dir`, never reusing an existing file.
fn create_temp_file(dir: &Path, file_name: &str) -> io::Result<(File, TempFileGuard)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    remove_stale_temps(dir, file_name);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = dir.join(format!(".{file_name}.{}-{n}.tmp", std::process::id()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => {
                return Ok((
                    file,
                    TempFileGuard {
                        path: Some(candidate),
                    },
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Removes the temporary files that earlier saves of `file_name` in `dir`
/// left behind when their process was killed (named
/// `.NAME.PID-N.tmp`; the process is gone). Temporary files of live
/// processes, this one included, are left alone; where processes cannot be
/// looked up (not Linux), all are. Model downloads stage their files and
/// folders under the same names and clean up with this too
/// (`models::fetch`), so a staging folder is removed like a file.
pub(crate) fn remove_stale_temps(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('-') else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || pid == std::process::id() {
            continue;
        }
        let gone = cfg!(target_os = "linux") && !Path::new("/proc").join(pid.to_string()).exists();
        if gone {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            let _ = if is_dir {
                fs::remove_dir_all(e.path())
            } else {
                fs::remove_file(e.path())
            };
        }
    }
}

/// Makes the rename itself durable where the platform allows it.
fn sync_directory(dir: &Path) {
    #[cfg(unix)]
    {
        // Some file systems refuse to sync a directory; the file content is
        // already synced and renamed, so a failure here only means the rename
        // might not survive a power cut. Nothing useful can be reported.
        if let Ok(handle) = File::open(dir) {
            let _ = handle.sync_all();
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
}

/// How the cells of one column are formatted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CellFormat {
    Plain,
    /// Timestamps with this many fractional digits (0, 3 or 6).
    Timestamp {
        fraction_digits: u8,
    },
}

impl CellFormat {
    fn for_column(column: &Column) -> Self {
        let ColumnValues::Timestamp(values) = &column.values else {
            return Self::Plain;
        };
        let mut fraction_digits = 0;
        for (row, &micros) in values.iter().enumerate() {
            if !column.is_valid(row) {
                continue;
            }
            let sub_second = micros.rem_euclid(MICROS_PER_SECOND);
            if sub_second % 1000 != 0 {
                fraction_digits = 6;
                break;
            }
            if sub_second != 0 {
                fraction_digits = 3;
            }
        }
        Self::Timestamp { fraction_digits }
    }
}

/// Appends the text of one cell to `out` (nothing for a missing value).
fn format_cell(
    column: &Column,
    format: CellFormat,
    row: usize,
    tz: &TimeZone,
    out: &mut String,
) -> Result<(), WriteError> {
    if !column.is_valid(row) {
        return Ok(());
    }
    // Writing to a String cannot fail, so the fmt::Results below are moot.
    match &column.values {
        ColumnValues::Integer(values) => {
            if let Some(v) = values.get(row) {
                let _ = write!(out, "{v}");
            }
        }
        ColumnValues::Float(values) => {
            if let Some(&v) = values.get(row) {
                push_float(v, out);
            }
        }
        ColumnValues::Bool(values) => {
            if let Some(&v) = values.get(row) {
                out.push_str(if v { "true" } else { "false" });
            }
        }
        ColumnValues::Timestamp(values) => {
            if let Some(&micros) = values.get(row) {
                let fraction_digits = match format {
                    CellFormat::Timestamp { fraction_digits } => fraction_digits,
                    CellFormat::Plain => 6,
                };
                push_timestamp(micros, fraction_digits, tz, out).map_err(|()| {
                    WriteError::TimestampOutOfRange {
                        path: None,
                        column: column.name.clone(),
                        row,
                        micros,
                    }
                })?;
            }
        }
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            if let Some(s) = column.str_at(row) {
                out.push_str(s);
            }
        }
    }
    Ok(())
}

/// The shortest text that parses back to `v`: plain decimals for everyday
/// magnitudes, exponent form for very large or very small ones. NaN is
/// written as a missing value.
fn push_float(v: f64, out: &mut String) {
    if v.is_nan() {
        return;
    }
    let magnitude = v.abs();
    // Rust's `{}` and `{:e}` both print the shortest round-tripping digits.
    if magnitude != 0.0 && v.is_finite() && !(1e-5..1e16).contains(&magnitude) {
        let _ = write!(out, "{v:e}");
    } else {
        let _ = write!(out, "{v}");
    }
}

/// RFC 3339 with the zone's offset at that instant. `Err` when the instant
/// is outside the range jiff (and RFC 3339) can express.
fn push_timestamp(
    micros: i64,
    fraction_digits: u8,
    tz: &TimeZone,
    out: &mut String,
) -> Result<(), ()> {
    let timestamp = Timestamp::from_microsecond(micros).map_err(|_| ())?;
    let offset = tz.to_offset(timestamp);
    DateTimePrinter::new()
        .precision(Some(fraction_digits))
        .print_timestamp_with_offset(&timestamp, offset, &mut *out)
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::Validity;

    fn chicago() -> TimeZone {
        TimeZone::get("America/Chicago").unwrap()
    }

    fn to_string(table: &Table, tz: &TimeZone) -> String {
        let mut buf = Vec::new();
        write_csv(table, tz, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn fields_with_separators_and_quotes_are_quoted() {
        let table = Table::new(vec![
            Column::text(
                "note",
                &["plain", "a,b", "say \"hi\"", "two\nlines", "cr\rhere"],
            ),
            Column::from_i64("n", vec![1, 2, 3, 4, 5]),
        ])
        .unwrap();
        assert_eq!(
            to_string(&table, &TimeZone::UTC),
            "note,n\r\nplain,1\r\n\"a,b\",2\r\n\"say \"\"hi\"\"\",3\r\n\"two\nlines\",4\r\n\"cr\rhere\",5\r\n"
        );
    }

    #[test]
    fn header_names_are_quoted_when_needed() {
        let table = Table::new(vec![Column::from_i64("speed, km/h", vec![7])]).unwrap();
        assert_eq!(
            to_string(&table, &TimeZone::UTC),
            "\"speed, km/h\"\r\n7\r\n"
        );
    }

    #[test]
    fn missing_values_are_empty_fields() {
        let mut validity = Validity::with_capacity(3);
        for valid in [true, false, true] {
            validity.push(valid);
        }
        let counts = Column::new("count", ColumnValues::Integer(vec![1, 0, 3]), validity);
        let table = Table::new(vec![
            counts,
            Column::from_f64("speed_kmh", vec![f64::NAN, 2.5, 3.0]),
            Column::from_bool("ok", vec![true, false, true]),
        ])
        .unwrap();
        assert_eq!(
            to_string(&table, &TimeZone::UTC),
            "count,speed_kmh,ok\r\n1,,true\r\n,2.5,false\r\n3,3,true\r\n"
        );
    }

    #[test]
    fn floats_use_shortest_round_trip_text() {
        let values = vec![0.1, -0.0, 1.0 / 3.0, 1e300, 1.5e-7, 123_456.789, 1e15];
        let table = Table::new(vec![Column::from_f64("x", values.clone())]).unwrap();
        let text = to_string(&table, &TimeZone::UTC);
        let fields: Vec<&str> = text
            .split("\r\n")
            .skip(1)
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(
            fields,
            [
                "0.1",
                "-0",
                "0.3333333333333333",
                "1e300",
                "1.5e-7",
                "123456.789",
                "1000000000000000"
            ]
        );
        for (field, value) in fields.iter().zip(values) {
            assert_eq!(field.parse::<f64>().unwrap().to_bits(), value.to_bits());
        }
    }

    #[test]
    fn categorical_values_are_written_as_text() {
        let table = Table::new(vec![Column::categorical(
            "road",
            &["Main St", "Elm, Ave", "Main St"],
        )])
        .unwrap();
        assert_eq!(
            to_string(&table, &TimeZone::UTC),
            "road\r\nMain St\r\n\"Elm, Ave\"\r\nMain St\r\n"
        );
    }

    #[test]
    fn timestamps_carry_the_local_offset_across_dst_fall_back() {
        let tz = chicago();
        let hour_micros = 3_600_000_000;
        // 2026-08-10T05:00:00Z is midnight in Chicago (CDT, UTC-5).
        let august = Timestamp::from_second(1_786_338_000).unwrap();
        assert_eq!(august.to_string(), "2026-08-10T05:00:00Z");
        // Clocks fall back at 2026-11-01 07:00Z (02:00 CDT → 01:00 CST).
        let before_fall_back = Timestamp::from_second(1_793_512_800).unwrap();
        assert_eq!(before_fall_back.to_string(), "2026-11-01T06:00:00Z");
        let micros = vec![
            august.as_microsecond(),
            before_fall_back.as_microsecond(),
            before_fall_back.as_microsecond() + hour_micros,
        ];
        let table = Table::new(vec![Column::from_timestamps("timestamp", micros)]).unwrap();
        assert_eq!(
            to_string(&table, &tz),
            "timestamp\r\n\
             2026-08-10T00:00:00-05:00\r\n\
             2026-11-01T01:00:00-05:00\r\n\
             2026-11-01T01:00:00-06:00\r\n"
        );
    }

    #[test]
    fn sub_second_timestamps_widen_the_whole_column() {
        let table = Table::new(vec![
            Column::from_timestamps("ms", vec![0, 1_500_000]),
            Column::from_timestamps("us", vec![0, 1_000_001]),
        ])
        .unwrap();
        assert_eq!(
            to_string(&table, &TimeZone::UTC),
            "ms,us\r\n\
             1970-01-01T00:00:00.000+00:00,1970-01-01T00:00:00.000000+00:00\r\n\
             1970-01-01T00:00:01.500+00:00,1970-01-01T00:00:01.000001+00:00\r\n"
        );
    }

    #[test]
    fn out_of_range_timestamp_is_an_error_naming_the_column() {
        let table = Table::new(vec![Column::from_timestamps("t", vec![0, i64::MAX])]).unwrap();
        let err = write_csv(&table, &TimeZone::UTC, Vec::new()).unwrap_err();
        assert!(
            matches!(&err, WriteError::TimestampOutOfRange { column, row: 1, .. } if column == "t"),
            "{err}"
        );
    }

    #[test]
    fn selected_rows_are_written_in_order_and_bad_rows_rejected() {
        let table = Table::new(vec![Column::from_i64("n", vec![10, 11, 12, 13])]).unwrap();
        let mut buf = Vec::new();
        write_rows(&table, [3, 1].into_iter(), &TimeZone::UTC, &mut buf).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "n\r\n13\r\n11\r\n");

        let err = write_rows(&table, 2..5, &TimeZone::UTC, Vec::new()).unwrap_err();
        assert!(matches!(
            err,
            WriteError::RowOutOfRange {
                row: 4,
                n_rows: 4,
                ..
            }
        ));
    }

    #[test]
    fn empty_table_writes_nothing_and_header_only_table_writes_header() {
        assert_eq!(to_string(&Table::default(), &TimeZone::UTC), "");
        let table = Table::new(vec![
            Column::from_i64("a", vec![]),
            Column::from_f64("b", vec![]),
        ])
        .unwrap();
        assert_eq!(to_string(&table, &TimeZone::UTC), "a,b\r\n");
    }

    #[test]
    fn file_save_replaces_target_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        fs::write(&path, "old content").unwrap();
        let table = Table::new(vec![Column::from_i64("n", vec![1, 2])]).unwrap();

        write_csv_file(&table, &TimeZone::UTC, &path).unwrap();

        assert_eq!(fs::read_to_string(&path).unwrap(), "n\r\n1\r\n2\r\n");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["out.csv"]);
    }

    #[test]
    fn failed_file_save_names_the_path_and_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keep.csv");
        fs::write(&path, "old content").unwrap();
        let table = Table::new(vec![Column::from_timestamps("t", vec![i64::MIN])]).unwrap();

        let err = write_csv_file(&table, &TimeZone::UTC, &path).unwrap_err();

        assert!(err.to_string().contains("keep.csv"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old content");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn file_save_into_missing_directory_is_an_io_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no_such_dir").join("x.csv");
        let table = Table::new(vec![Column::from_i64("n", vec![1])]).unwrap();
        let err = write_csv_file(&table, &TimeZone::UTC, &path).unwrap_err();
        assert!(matches!(&err, WriteError::Io { path: Some(p), .. } if p == &path));
        assert!(err.to_string().contains("x.csv"));
    }

    #[test]
    fn path_without_file_name_is_rejected() {
        let table = Table::new(vec![Column::from_i64("n", vec![1])]).unwrap();
        let err = write_csv_file(&table, &TimeZone::UTC, Path::new("/")).unwrap_err();
        assert!(matches!(err, WriteError::NotAFilePath { .. }));
    }
}

#[cfg(test)]
mod stale_temp_tests {
    use super::*;

    #[test]
    fn a_save_removes_what_killed_saves_left_and_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        // PID 4294967295 cannot exist: a save killed long ago.
        let stale = d.join(".report.csv.4294967295-3.tmp");
        let mine = d.join(format!(".report.csv.{}-999999.tmp", std::process::id()));
        let other_file = d.join(".other.csv.4294967295-1.tmp");
        let not_ours = d.join(".report.csv.notes.tmp");
        for p in [&stale, &mine, &other_file, &not_ours] {
            fs::write(p, b"x").expect("write");
        }
        write_file_atomically(&d.join("report.csv"), b"a,b\n1,2\n").expect("save");
        assert!(!stale.exists(), "the dead process's temp is removed");
        assert!(mine.exists(), "a live process's temp stays");
        assert!(other_file.exists(), "another file's temp stays");
        assert!(not_ours.exists(), "a file that only looks similar stays");
        assert_eq!(fs::read(d.join("report.csv")).expect("read"), b"a,b\n1,2\n");
    }
}
