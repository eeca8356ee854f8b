//! Refreshing a source: what changed since the last look, fetched as
//! little as possible. The app runs this in a background job on a timer
//! (`app::live`); `cityops watch` runs it in a loop.
//!
//! - A local file is looked at (size and modification time). Unchanged:
//!   nothing is read. A CSV that only grew — the bytes it had are still
//!   there — has just its new complete lines read (with the header) and
//!   appended; anything else is read again whole.
//! - A portal API with a time column asks only for rows newer than the
//!   latest time it holds (Socrata's and ArcGIS's `where`) and appends
//!   them; CKAN, or a table without a time, is fetched whole and replaces
//!   the table when it differs.
//! - A file URL is downloaded again and replaces the table when it differs.
//!
//! A refresh that fails leaves the dataset as it was; the caller keeps the
//! error and tries again later with backoff ([`backoff`]).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::portal;
use crate::data::append::append_rows;
use crate::data::{self, Dataset, LoadError, LoadOptions, LoadWarning, Progress, Role, Source};

/// The shortest refresh interval.
pub const MIN_EVERY: Duration = Duration::from_secs(2);
/// Bytes compared to tell that a file only grew.
const TAIL_CHECK_BYTES: u64 = 4096;

/// The wait before the next try after `failures` failures in a row: the
/// interval doubled per failure, at most 30 minutes (and never below it).
pub fn backoff(every: Duration, failures: u32) -> Duration {
    let factor = 1u32 << failures.min(10);
    every
        .saturating_mul(factor)
        .min(Duration::from_secs(1800))
        .max(every)
}

/// `30s`, `5m`, `1h`, or plain seconds → a duration of at least 2 s.
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.find(|c: char| !c.is_ascii_digit()).map_or((t, "s"), |i| {
        (t.get(..i).unwrap_or(""), t.get(i..).unwrap_or(""))
    });
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not an interval such as 30s, 5m or 1h"))?;
    let secs = match unit.trim() {
        "s" | "sec" | "" => n,
        "m" | "min" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        other => {
            return Err(format!(
                "'{other}' is not a unit: use s, m or h (as in 30s, 5m, 1h)"
            ));
        }
    };
    let every = Duration::from_secs(secs);
    if every < MIN_EVERY {
        return Err(format!(
            "'{text}' is too often; refresh at most every {} seconds",
            MIN_EVERY.as_secs()
        ));
    }
    Ok(every)
}

/// What a refresh remembers about its source between runs.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    file: Option<FileState>,
}

#[derive(Clone, Debug, PartialEq)]
struct FileState {
    len: u64,
    modified: Option<SystemTime>,
    /// The bytes just before `len`, to tell growth from a rewrite.
    tail: Vec<u8>,
}

impl FileState {
    fn read(path: &Path, len: u64, modified: Option<SystemTime>) -> std::io::Result<Self> {
        Ok(Self {
            len,
            modified,
            tail: read_range(path, len.saturating_sub(TAIL_CHECK_BYTES), len)?,
        })
    }
}

fn read_range(path: &Path, from: u64, to: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::with_capacity(usize::try_from(to.saturating_sub(from)).unwrap_or(0));
    f.take(to.saturating_sub(from)).read_to_end(&mut buf)?;
    Ok(buf)
}

/// A refresh's result.
#[derive(Debug)]
pub enum Refreshed {
    /// Nothing new.
    Unchanged,
    /// The dataset with the new rows; `added` of them are new (for a
    /// replaced table, the difference in rows, at least 0).
    Changed {
        dataset: Box<Dataset>,
        added: usize,
        how: &'static str,
    },
}

impl Watch {
    /// Remembers a file's state as just loaded, so the next refresh sees
    /// only what came after.
    pub fn start(ds: &Dataset) -> Self {
        let file = match &ds.source {
            Source::File(p) => std::fs::metadata(p)
                .ok()
                .and_then(|m| FileState::read(p, m.len(), m.modified().ok()).ok()),
            _ => None,
        };
        Self { file }
    }

    /// Looks for what is new in `current`'s source (see the module doc).
    pub fn refresh(
        &mut self,
        current: &Dataset,
        opts: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<Refreshed, LoadError> {
        match &current.source {
            Source::File(path) => self.refresh_file(path, current, opts, progress),
            Source::Url(url) => match portal::detect(url) {
                Some(api) => refresh_api(url, api, current, opts, progress),
                None => replace_if_changed(current, super::load(url, opts, progress)?),
            },
            // The first rows again. The server's charts cover rows past
            // those held, so the dataset is always new: every chart is
            // asked of the server anew, at the interval the user chose.
            Source::Database(db) => {
                let fresh = super::postgres::load(db, opts, progress)?;
                Ok(match replace_if_changed(current, fresh.clone())? {
                    Refreshed::Unchanged => {
                        let mut fresh = fresh;
                        fresh.name.clone_from(&current.name);
                        fresh.schema = current.schema.clone();
                        fresh.domain = current.domain;
                        fresh.time_zone = current.time_zone.clone();
                        Refreshed::Changed {
                            dataset: Box::new(fresh),
                            added: 0,
                            how: "asked the database again",
                        }
                    }
                    changed => changed,
                })
            }
            // A stream updates itself as readings arrive (`mqtt`).
            Source::Demo(_) | Source::Derived(_) | Source::Stream(_) => Ok(Refreshed::Unchanged),
        }
    }

    fn refresh_file(
        &mut self,
        path: &Path,
        current: &Dataset,
        opts: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<Refreshed, LoadError> {
        let io = |e: std::io::Error| LoadError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let (len, modified) = (meta.len(), meta.modified().ok());
        if let Some(old) = &self.file
            && old.len == len
            && old.modified == modified
        {
            return Ok(Refreshed::Unchanged);
        }
        let grew = self.file.as_ref().is_some_and(|old| {
            len > old.len
                && current.format.is_some()
                && read_range(path, old.len.saturating_sub(TAIL_CHECK_BYTES), old.len)
                    .is_ok_and(|t| t == old.tail)
        });
        if grew && let Some(old) = self.file.clone() {
            return match self.append_lines(path, old.len, len, current, opts, progress)? {
                Some(done) => {
                    self.file = Some(FileState::read(path, done.1, modified).map_err(io)?);
                    Ok(done.0)
                }
                None => Ok(Refreshed::Unchanged),
            };
        }
        let fresh = data::load_dataset(path, opts, progress)?;
        self.file = Some(FileState::read(path, len, modified).map_err(io)?);
        replace_if_changed(current, fresh)
    }

    /// Reads the complete lines between `from` and `to` with the file's
    /// header; returns the refreshed dataset and the offset read up to
    /// (a half-written last line waits for the next refresh).
    fn append_lines(
        &self,
        path: &Path,
        from: u64,
        to: u64,
        current: &Dataset,
        opts: &LoadOptions,
        progress: &dyn Progress,
    ) -> Result<Option<(Refreshed, u64)>, LoadError> {
        let shown = path.display().to_string();
        let io = |e: std::io::Error| LoadError::Io {
            path: shown.clone(),
            message: e.to_string(),
        };
        let new = read_range(path, from, to).map_err(io)?;
        let Some(end) = memchr::memrchr(b'\n', &new) else {
            return Ok(None);
        };
        let lines = new.get(..=end).unwrap_or_default();
        if lines.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let head = read_range(path, 0, from.min(1 << 20)).map_err(io)?;
        let header_end = memchr::memchr(b'\n', &head).map_or(head.len(), |i| i + 1);
        let mut text = head.get(..header_end).unwrap_or_default().to_vec();
        text.extend_from_slice(lines);
        let fmt = current.format.as_ref();
        let opts = LoadOptions {
            delimiter: fmt.map(|f| f.delimiter),
            time_zone: Some(current.time_zone.clone()),
            ..opts.clone()
        };
        let loaded = data::csv_load::load_csv_bytes(&text, &shown, &opts, progress)?;
        let (table, report) = append_rows(&current.table, &loaded.table);
        let added = loaded.table.n_rows();
        let mut ds = current.clone();
        ds.table = Arc::new(table);
        note_append(&mut ds, &report);
        Ok(Some((
            Refreshed::Changed {
                dataset: Box::new(ds),
                added,
                how: "appended lines",
            },
            from + end as u64 + 1,
        )))
    }
}

/// Warnings for what an append changed.
fn note_append(ds: &mut Dataset, report: &data::append::Appended) {
    if report.cells_set_missing > 0 {
        ds.warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!(
                "{} new cells did not fit their column's type and were set missing",
                report.cells_set_missing
            ),
        });
    }
    if !report.columns_left_out.is_empty() {
        ds.warnings.push(LoadWarning {
            line: None,
            column: None,
            message: format!(
                "new rows brought columns the table does not have, left out: {}",
                report.columns_left_out.join(", ")
            ),
        });
    }
}

/// `fresh` in place of `current` when its rows differ; the dataset keeps
/// its name, roles and zone when the columns are the same.
fn replace_if_changed(current: &Dataset, mut fresh: Dataset) -> Result<Refreshed, LoadError> {
    if *fresh.table == *current.table {
        return Ok(Refreshed::Unchanged);
    }
    let added = fresh.table.n_rows().saturating_sub(current.table.n_rows());
    fresh.name.clone_from(&current.name);
    fresh.source = current.source.clone();
    let same_columns = fresh.table.columns.len() == current.table.columns.len()
        && fresh
            .table
            .columns
            .iter()
            .zip(&current.table.columns)
            .all(|(a, b)| a.name == b.name && a.kind() == b.kind());
    if same_columns {
        fresh.schema = current.schema.clone();
        fresh.domain = current.domain;
        fresh.time_zone = current.time_zone.clone();
    }
    Ok(Refreshed::Changed {
        dataset: Box::new(fresh),
        added,
        how: "read again",
    })
}

fn refresh_api(
    url: &str,
    api: portal::Api,
    current: &Dataset,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<Refreshed, LoadError> {
    let rt = crate::jobs::runtime().map_err(|e| LoadError::Download {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    let time = current.schema.find(Role::Time);
    let newer_than = match (api, time) {
        (portal::Api::Socrata | portal::Api::ArcGis, Some(c)) => {
            let col = current.table.columns.get(c);
            col.and_then(|col| {
                let latest = (0..col.len()).filter_map(|r| col.timestamp_at(r)).max()?;
                let civil = jiff::Timestamp::from_microsecond(latest)
                    .ok()?
                    .to_zoned(current.time_zone.clone())
                    .datetime();
                Some((
                    col.name.clone(),
                    civil.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
                ))
            })
        }
        _ => None,
    };
    let popts = super::portal_options(opts, newer_than);
    let fetched = rt.block_on(portal::fetch_rows(url, api, &popts, progress))?;
    if !fetched.filtered {
        let fresh = super::dataset_from_api(url, fetched, opts)?;
        return replace_if_changed(current, fresh);
    }
    if fetched.records.rows.is_empty() {
        return Ok(Refreshed::Unchanged);
    }
    let columns = fetched.records.into_columns(&current.time_zone);
    let extra = data::Table::new(columns).map_err(|e| LoadError::Download {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    let (table, report) = append_rows(&current.table, &extra);
    let mut ds = current.clone();
    ds.table = Arc::new(table);
    note_append(&mut ds, &report);
    Ok(Refreshed::Changed {
        dataset: Box::new(ds),
        added: extra.n_rows(),
        how: "fetched newer rows",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_and_backoff_doubles_to_a_ceiling() {
        assert_eq!(parse_every("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_every("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_every("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_every("45"), Ok(Duration::from_secs(45)));
        assert!(parse_every("1s").is_err());
        assert!(parse_every("soon").is_err());
        assert!(parse_every("3d").is_err());
        let every = Duration::from_secs(30);
        assert_eq!(backoff(every, 0), every);
        assert_eq!(backoff(every, 2), Duration::from_secs(120));
        assert_eq!(backoff(every, 40), Duration::from_secs(1800));
    }

    #[test]
    fn a_growing_csv_gives_only_its_new_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readings.csv");
        let mut text = String::from("time,sensor,speed\n");
        for h in 0..30 {
            text.push_str(&format!(
                "2024-06-01T{:02}:00:00Z,S{},{}\n",
                h % 24,
                h % 3,
                40 + h
            ));
        }
        std::fs::write(&path, &text).unwrap();
        let opts = LoadOptions::default();
        let ds = data::load_dataset(&path, &opts, &()).unwrap();
        let mut watch = Watch::start(&ds);
        assert!(matches!(
            watch.refresh(&ds, &opts, &()).unwrap(),
            Refreshed::Unchanged
        ));
        // Two whole lines and half of a third.
        text.push_str("2024-06-02T00:00:00Z,S4,71\n2024-06-02T01:00:00Z,S1,72.5\n2024-06-02T02:00");
        std::fs::write(&path, &text).unwrap();
        let Refreshed::Changed {
            dataset,
            added,
            how,
        } = watch.refresh(&ds, &opts, &()).unwrap()
        else {
            panic!("the file grew");
        };
        assert_eq!((added, how), (2, "appended lines"));
        assert_eq!(dataset.table.n_rows(), 32);
        let speed = dataset.table.column("speed").unwrap();
        assert_eq!(speed.f64_at(31), Some(72.5));
        assert_eq!(
            dataset.table.column("sensor").unwrap().str_at(30),
            Some("S4")
        );
        // The half line completes.
        text.push_str(":00Z,S2,73\n");
        std::fs::write(&path, &text).unwrap();
        let Refreshed::Changed {
            dataset: d2, added, ..
        } = watch.refresh(&dataset, &opts, &()).unwrap()
        else {
            panic!("the line was completed");
        };
        assert_eq!(added, 1);
        assert_eq!(d2.table.n_rows(), 33);
        // Rewritten shorter: read again whole.
        std::fs::write(&path, "time,sensor,speed\n2024-06-03T00:00:00Z,S1,50\n").unwrap();
        let Refreshed::Changed {
            dataset: d3, how, ..
        } = watch.refresh(&d2, &opts, &()).unwrap()
        else {
            panic!("the file was rewritten");
        };
        assert_eq!((d3.table.n_rows(), how), (1, "read again"));
    }
}
