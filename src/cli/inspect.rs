//! `cityops inspect FILE [--json]`: loads a CSV file with the same loader as
//! the dashboard and reports its shape, column types and roles, the domain
//! it was recognised as, and every load warning. `cityops inspect
//! postgres://…` lists the server's tables; with `--table` or `--sql` it
//! reports that table as held (its first rows).

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::Failure;
use super::progress::TerminalProgress;
use crate::data::csv_load::LoadCounts;
use crate::data::{Dataset, LoadOptions};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The CSV file to inspect.
    pub file: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Time zone for timestamps without an offset (IANA name); default: this machine's.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Use this delimiter instead of sniffing it (one character; `\t` for tab).
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    #[command(flatten)]
    pub source: super::dataset_arg::SourceFlags,
}

#[derive(Serialize)]
struct ColumnReport<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: String,
    missing: usize,
}

#[derive(Serialize)]
struct WarningReport<'a> {
    line: Option<u64>,
    column: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct Report<'a> {
    path: String,
    rows: usize,
    columns: Vec<ColumnReport<'a>>,
    domain: &'static str,
    /// "CSV", "JSON", "GeoJSON", "Parquet", "Arrow IPC", "Excel", "OpenDocument".
    format: &'static str,
    /// The sheet read, for a workbook.
    sheet: Option<&'a str>,
    delimiter: String,
    encoding: &'static str,
    time_zone: String,
    /// What the loader did to rows and cells: `records` read after the
    /// header, `rows_skipped`, `rows_padded`, `rows_requoted`,
    /// `cells_set_missing`.
    counts: LoadCounts,
    warnings: Vec<WarningReport<'a>>,
}

/// `inspect postgres://…` without a table: the tables and views the user
/// may read, with the planner's row estimates.
fn list_tables(url: &str, json: bool) -> Result<(), Failure> {
    let list = || {
        let progress = TerminalProgress::new(format!("Connecting to {url}"));
        let listed = crate::sources::postgres::list_tables(url, &progress);
        progress.finish();
        listed
    };
    let tables = match list() {
        Err(crate::data::LoadError::Database { message, .. })
            if message == crate::sources::postgres::PASSWORD_MISSING =>
        {
            super::dataset_arg::ask_password(url)?;
            list()?
        }
        other => other?,
    };
    if json {
        let out: Vec<serde_json::Value> = tables
            .iter()
            .map(|t| {
                serde_json::json!({
                    "table": t.name,
                    "kind": t.kind,
                    "rows_estimate": t.rows_estimate,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if tables.is_empty() {
        println!("{url}: no tables or views this user may read");
        return Ok(());
    }
    println!(
        "{url}: {} tables and views (chart one with --table NAME)",
        tables.len()
    );
    for t in &tables {
        let rows = t.rows_estimate.map_or_else(String::new, |n| {
            format!("about {} rows", crate::data::group_digits(n as usize))
        });
        println!("  {:<40} {:<18} {rows}", t.name, t.kind);
    }
    Ok(())
}

fn parse_delimiter(s: &str) -> Result<u8, Failure> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(Failure::bad_input(format!(
            "--delimiter takes one ASCII character (or \\t for tab), not '{s}'"
        ))),
    }
}

fn report(ds: &Dataset) -> Report<'_> {
    Report {
        path: ds
            .file_name()
            .map_or_else(|| ds.name.clone(), |p| p.display().to_string()),
        rows: ds.table.n_rows(),
        columns: ds
            .table
            .columns
            .iter()
            .zip(&ds.schema.roles)
            .map(|(c, r)| ColumnReport {
                name: &c.name,
                kind: c.kind().name(),
                role: r.key(),
                missing: c.missing_count(),
            })
            .collect(),
        domain: ds.domain.key(),
        format: ds.file_format.unwrap_or(""),
        sheet: ds.sheets.as_ref().map(|s| s.sheet.as_str()),
        delimiter: ds
            .format
            .as_ref()
            .map_or_else(String::new, |f| (f.delimiter as char).to_string()),
        encoding: ds.format.as_ref().map_or("", |f| f.encoding),
        time_zone: ds.time_zone_name(),
        counts: ds.format.as_ref().map(|f| f.counts).unwrap_or_default(),
        warnings: ds
            .warnings
            .iter()
            .map(|w| WarningReport {
                line: w.line,
                column: w.column,
                message: &w.message,
            })
            .collect(),
    }
}

pub fn run(args: InspectArgs) -> Result<(), Failure> {
    let opts = LoadOptions {
        delimiter: args.delimiter.as_deref().map(parse_delimiter).transpose()?,
        ..args
            .source
            .options(super::parse_time_zone(args.tz.as_deref())?)
    };
    let spec = args.file.to_string_lossy().into_owned();
    if crate::sources::postgres::is_postgres(&spec)
        && opts.db_table.is_none()
        && opts.db_sql.is_none()
    {
        return list_tables(&spec, args.json);
    }
    // A path, an http(s) URL (downloaded, see `sources`) or a database.
    let ds = super::dataset_arg::load_source(&spec, &opts)?;
    let rep = report(&ds);
    if args.json {
        let text = serde_json::to_string_pretty(&rep)?;
        println!("{text}");
        return Ok(());
    }
    println!("{}", rep.path);
    // A CSV's delimiter and encoding; JSON and GeoJSON files have neither.
    let format = match (&ds.format, rep.sheet) {
        (Some(_), _) => format!(
            "delimiter '{}' · {}",
            rep.delimiter.escape_default(),
            rep.encoding
        ),
        (None, Some(sheet)) => format!("{} sheet '{sheet}'", rep.format),
        (None, None) => rep.format.to_owned(),
    };
    println!(
        "  {} rows × {} columns · {} · {} · time zone {}",
        rep.rows,
        rep.columns.len(),
        ds.domain.label(),
        format,
        rep.time_zone
    );
    let width = rep
        .columns
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(6);
    println!(
        "  {:<width$}  {:<11}  {:<20}  missing",
        "column", "type", "role"
    );
    for c in &rep.columns {
        println!(
            "  {:<width$}  {:<11}  {:<20}  {}",
            c.name, c.kind, c.role, c.missing
        );
    }
    let c = &rep.counts;
    if c.rows_skipped + c.rows_padded + c.rows_requoted + c.cells_set_missing > 0 {
        println!(
            "  of {} data lines: {} rows skipped, {} padded, {} read again after an unclosed quote; {} cells set missing",
            c.records, c.rows_skipped, c.rows_padded, c.rows_requoted, c.cells_set_missing
        );
    }
    if rep.warnings.is_empty() {
        println!("  no warnings");
    } else {
        let n = rep.warnings.len();
        println!("  {n} warning{}:", if n == 1 { "" } else { "s" });
        for w in &ds.warnings {
            println!("    {w}");
        }
    }
    Ok(())
}
