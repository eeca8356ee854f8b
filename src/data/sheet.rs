//! Spreadsheets — Excel `.xlsx`/`.xlsm`/`.xls`/`.xlsb` and OpenDocument
//! `.ods` (calamine) — into a `Table`.
//!
//! - The sheet: the one the user named (`LoadOptions::sheet`), otherwise the
//!   first with data; a warning names the others so the user knows to
//!   choose.
//! - The header row is found, not assumed: planners' workbooks often start
//!   with a title, a source note and a blank row. It is the first row, among
//!   the first 30, whose filled cells are text and at least half as many as
//!   the widest row below it. Rows above it are left out with a warning.
//! - Cells become text (dates as ISO 8601, error cells such as `#DIV/0!`
//!   as missing, counted) and are typed by the CSV loader's inference, so a
//!   sheet gives the same columns its CSV export would.
//! - Warnings name rows as the spreadsheet numbers them (1-based).

use std::path::Path;

use calamine::{Data, Reader};

use super::records::Records;
use super::{LoadError, LoadOptions, LoadWarning, Progress, Table};

/// The largest workbook read (unzipped, it takes several times this).
pub const MAX_SHEET_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Rows searched for the header.
const HEADER_SEARCH_ROWS: usize = 30;

/// Whether a path names a spreadsheet by its extension.
pub fn is_sheet(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "xlsx" | "xlsm" | "xls" | "xlsb" | "ods"))
}

/// A sheet's table and what the loader did.
#[derive(Debug)]
pub struct LoadedSheet {
    pub table: Table,
    /// The sheet read.
    pub sheet: String,
    /// Every sheet of the workbook, in order.
    pub sheets: Vec<String>,
    pub warnings: Vec<LoadWarning>,
    /// "Excel" or "OpenDocument".
    pub format: &'static str,
}

/// Reads one sheet of a workbook (see the module doc).
pub fn load_sheet_file(
    path: &Path,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<LoadedSheet, LoadError> {
    let shown = path.display().to_string();
    let bad = |message: String| LoadError::Format {
        path: shown.clone(),
        format: "spreadsheet",
        message,
    };
    let (file, size) = super::file::open_regular(path)?;
    if size == 0 {
        return Err(LoadError::Empty { path: shown });
    }
    if size > MAX_SHEET_FILE_BYTES {
        return Err(LoadError::TooLarge {
            path: shown,
            size: super::csv_load::human_bytes(size),
            needed: super::csv_load::human_bytes(size.saturating_mul(8)),
            available: format!(
                "{} (the largest spreadsheet cityops opens; export it as CSV or Parquet)",
                super::csv_load::human_bytes(MAX_SHEET_FILE_BYTES)
            ),
        });
    }
    progress.report(0.1, "opening the workbook");
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_SHEET_FILE_BYTES),
        &mut bytes,
    )
    .map_err(|e| LoadError::Io {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| bad(e.to_string()))?;
    let sheets = book.sheet_names();
    if sheets.is_empty() {
        return Err(bad("the workbook has no sheets".to_owned()));
    }
    let mut warnings = Vec::new();
    let (sheet, range) = match &opts.sheet {
        Some(name) => {
            let name = sheets
                .iter()
                .find(|s| s.eq_ignore_ascii_case(name))
                .cloned()
                .ok_or_else(|| {
                    bad(format!(
                        "it has no sheet named '{name}'; its sheets are {}",
                        quoted(&sheets)
                    ))
                })?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| bad(e.to_string()))?;
            (name, range)
        }
        None => {
            let mut found = None;
            for name in &sheets {
                if progress.is_cancelled() {
                    return Err(LoadError::Cancelled);
                }
                // A chart sheet or a broken one is passed over.
                if let Ok(range) = book.worksheet_range(name)
                    && !range.is_empty()
                {
                    found = Some((name.clone(), range));
                    break;
                }
            }
            found.ok_or_else(|| LoadError::Empty {
                path: shown.clone(),
            })?
        }
    };
    if sheets.len() > 1 {
        let others: Vec<String> = sheets.iter().filter(|s| **s != sheet).cloned().collect();
        warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!(
                "the workbook has {} sheets; this is '{sheet}'. The others: {} (choose one with --sheet NAME, or Sheet in the Data view)",
                sheets.len(),
                quoted(&others)
            ),
        });
    }
    if progress.is_cancelled() {
        return Err(LoadError::Cancelled);
    }
    progress.report(0.5, "reading cells");
    // Row numbers as the spreadsheet shows them.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let rows: Vec<&[Data]> = range.rows().collect();
    let header_at = find_header(&rows).ok_or_else(|| LoadError::Empty {
        path: shown.clone(),
    })?;
    if header_at > 0 {
        warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!(
                "the header is row {} of sheet '{sheet}'; {} row(s) above it (titles, notes) were left out",
                first_row + header_at + 1,
                header_at
            ),
        });
    }
    let header_cells = rows.get(header_at).copied().unwrap_or_default();
    let raw_names: Vec<String> = header_cells.iter().map(|c| cell_text(c).0).collect();
    let mut name_warnings = Vec::new();
    let mut names = super::csv_load::clean_headers(raw_names, &mut name_warnings);
    for w in &mut name_warnings {
        w.line = Some((first_row + header_at + 1) as u64);
    }
    warnings.extend(name_warnings);
    let mut records = Records::default();
    let mut errors = 0usize;
    let mut first_error = None;
    let mut blank_rows = 0usize;
    for (i, row) in rows.iter().enumerate().skip(header_at + 1) {
        let mut cells = Vec::with_capacity(row.len());
        for (c, cell) in row.iter().enumerate() {
            let (text, error) = cell_text(cell);
            if error {
                errors += 1;
                first_error.get_or_insert((first_row + i + 1, c + 1));
            }
            if !text.is_empty() {
                cells.push((c, text));
            }
        }
        if cells.is_empty() {
            blank_rows += 1;
            continue;
        }
        // Cells past the header get a name of their own.
        while cells.last().is_some_and(|&(c, _)| c >= names.len()) {
            let c = names.len();
            names.push(format!("column_{}", c + 1));
        }
        records.rows.push(cells);
    }
    if errors > 0 {
        let (r, c) = first_error.unwrap_or_default();
        warnings.push(LoadWarning {
            line: Some(r as u64),
            column: Some(c),
            message: format!(
                "{errors} error cell(s) (such as #DIV/0! or #N/A) were read as missing; the first is here"
            ),
        });
    }
    if blank_rows > 0 {
        warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!("{blank_rows} blank row(s) were left out"),
        });
    }
    if records.rows.is_empty() {
        return Err(LoadError::HeaderOnly {
            path: shown,
            columns: names.len(),
        });
    }
    records.keys = names;
    let tz = opts
        .time_zone
        .clone()
        .unwrap_or_else(jiff::tz::TimeZone::system);
    let columns = records.into_columns(&tz);
    let table = Table::new(columns).map_err(|e| bad(e.to_string()))?;
    let format = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ods"))
    {
        "OpenDocument"
    } else {
        "Excel"
    };
    Ok(LoadedSheet {
        table,
        sheet,
        sheets,
        warnings,
        format,
    })
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The index of the header row (see the module doc).
fn find_header(rows: &[&[Data]]) -> Option<usize> {
    let filled = |row: &[Data]| row.iter().filter(|c| !matches!(c, Data::Empty)).count();
    let texts = |row: &[Data]| {
        row.iter()
            .filter(|c| matches!(c, Data::String(s) if !s.trim().is_empty()))
            .count()
    };
    let search = rows.len().min(HEADER_SEARCH_ROWS);
    let widest_below = |i: usize| {
        rows.iter()
            .skip(i + 1)
            .take(HEADER_SEARCH_ROWS)
            .map(|r| filled(r))
            .max()
            .unwrap_or(0)
    };
    for i in 0..search {
        let row = rows.get(i).copied().unwrap_or_default();
        let n = filled(row);
        if n == 0 {
            continue;
        }
        // Every filled cell is text, and the row is about as wide as the
        // data under it: a header, not a title.
        if texts(row) == n && 2 * n >= widest_below(i) {
            return Some(i);
        }
    }
    // No text row: the first filled row.
    rows.iter().position(|r| filled(r) > 0)
}

/// A cell as text, and whether it was an error cell.
fn cell_text(cell: &Data) -> (String, bool) {
    match cell {
        Data::Empty => (String::new(), false),
        Data::String(s) => (s.trim().to_owned(), false),
        Data::Int(i) => (i.to_string(), false),
        Data::Float(f) => (float_text(*f), false),
        Data::Bool(b) => (b.to_string(), false),
        Data::DateTime(dt) => (
            if dt.is_datetime() {
                date_text(dt)
            } else {
                // A duration: its days as a number.
                float_text(dt.as_f64())
            },
            false,
        ),
        Data::DateTimeIso(s) | Data::DurationIso(s) => (s.clone(), false),
        Data::Error(_) => (String::new(), true),
    }
}

/// `5.0` → `5`, others as Rust prints them (shortest round trip).
fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// A spreadsheet date as ISO 8601: a date alone when it has no time of
/// day (calamine converts both the 1900 and the 1904 serials).
fn date_text(dt: &calamine::ExcelDateTime) -> String {
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    match (h, mi, s, ms) {
        (0, 0, 0, 0) => format!("{y:04}-{mo:02}-{d:02}"),
        (_, _, _, 0) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
        _ => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_keep_their_time_of_day_only_when_they_have_one() {
        use calamine::{ExcelDateTime, ExcelDateTimeType::DateTime};
        // 45444 is 2024-06-01 in the 1900 system.
        assert_eq!(
            date_text(&ExcelDateTime::new(45_444.0, DateTime, false)),
            "2024-06-01"
        );
        assert_eq!(
            date_text(&ExcelDateTime::new(45_444.75, DateTime, false)),
            "2024-06-01T18:00:00"
        );
        assert_eq!(
            date_text(&ExcelDateTime::new(0.0, DateTime, true)),
            "1904-01-01"
        );
    }

    #[test]
    fn the_header_is_found_below_titles() {
        let s = |t: &str| Data::String(t.to_owned());
        let title = vec![s("Road casualties 2023"), Data::Empty, Data::Empty];
        let blank = vec![Data::Empty, Data::Empty, Data::Empty];
        let header = vec![s("month"), s("district"), s("casualties")];
        let row = vec![s("2023-01"), s("North"), Data::Int(12)];
        let rows: Vec<&[Data]> = vec![&title, &blank, &header, &row, &row];
        assert_eq!(find_header(&rows), Some(2));
        let numbers = vec![Data::Int(1), Data::Int(2)];
        let rows: Vec<&[Data]> = vec![&blank, &numbers];
        assert_eq!(find_header(&rows), Some(1));
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    fn opts(sheet: Option<&str>) -> LoadOptions {
        LoadOptions {
            time_zone: Some(jiff::tz::TimeZone::UTC),
            sheet: sheet.map(str::to_owned),
            ..LoadOptions::default()
        }
    }

    #[test]
    fn a_planners_workbook_reads_below_its_title_with_types_and_warnings() {
        use crate::data::ColumnKind;
        let loaded = load_sheet_file(&fixture("road_casualties.xlsx"), &opts(None), &()).unwrap();
        assert_eq!(loaded.sheet, "Casualties");
        assert_eq!(loaded.sheets, ["Casualties", "Notes"]);
        let t = &loaded.table;
        assert_eq!(t.n_rows(), 48);
        let col = |n: &str| t.column(n).unwrap();
        assert_eq!(col("month").kind(), ColumnKind::Timestamp);
        // 2023-01-01T00:00:00Z.
        assert_eq!(col("month").timestamp_at(0), Some(1_672_531_200_000_000));
        assert_eq!(col("district").kind(), ColumnKind::Categorical);
        assert_eq!(col("killed").kind(), ColumnKind::Integer);
        assert_eq!(col("rate per 1000").kind(), ColumnKind::Float);
        // June, East: the #DIV/0! cell is missing.
        assert!(col("rate per 1000").f64_at(22).is_none());
        assert_eq!(col("rate per 1000").f64_at(0), Some(0.041));
        let said = |s: &str| loaded.warnings.iter().any(|w| w.to_string().contains(s));
        assert!(said("the header is row 4"), "{:?}", loaded.warnings);
        assert!(said("'Notes'"), "{:?}", loaded.warnings);
        let err = load_sheet_file(&fixture("road_casualties.xlsx"), &opts(Some("Totals")), &())
            .unwrap_err();
        assert!(err.to_string().contains("'Casualties', 'Notes'"), "{err}");
    }

    #[test]
    fn an_ods_sheet_reads_like_its_csv() {
        use crate::data::ColumnKind;
        let loaded = load_sheet_file(&fixture("station_weather.ods"), &opts(None), &()).unwrap();
        let t = &loaded.table;
        assert_eq!(t.n_rows(), 96);
        assert_eq!(t.column("observed").unwrap().kind(), ColumnKind::Timestamp);
        assert_eq!(t.column("temperature_c").unwrap().f64_at(2), Some(4.25));
        let ds =
            crate::data::load_dataset(&fixture("station_weather.ods"), &opts(None), &()).unwrap();
        assert_eq!(ds.domain, crate::data::schema::Domain::Environment);
    }
}
