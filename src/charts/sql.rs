//! The SQL form of a chart spec: for a table that lives in a database
//! (PostgreSQL, or anything speaking its dialect: TimescaleDB, CrateDB),
//! the spec becomes a few `SELECT … GROUP BY` statements — time buckets
//! with `date_trunc` in the dataset's time zone, the aggregates, the filters
//! and the time window in `WHERE` — so the database aggregates and only the
//! result travels. The numbers are the ones [`super::compute`] gives on the
//! same rows in memory: the same top groups (most rows first, ties by name
//! in byte order), the same "other", the same gaps, the same median (the
//! mean of the two middle values) and nearest-rank p95.
//!
//! Covered: lines, areas and bars over time, over a category and over a
//! number; key figures; weekday × hour heatmaps. [`compute_sql`] returns
//! `None` for the other kinds (scatters, histograms, correlations, maps,
//! tables) and for the AQI computed from pollutant columns; the caller
//! computes those on its sample of the rows and says so. The "usual level" reference is not drawn for a database
//! table.
//!
//! This module writes SQL text and reads back numbers and text through
//! [`SqlRunner`]; it knows no database driver. Names are quoted as
//! identifiers and values as standard string literals (the connection sets
//! `standard_conforming_strings`), so a column called `"x; DROP"` is only
//! a column.

use jiff::tz::TimeZone;

use super::bucket::{MAX_BUCKETS, TimeBucket};
use super::compute::{DEFAULT_CATEGORIES, DEFAULT_GROUPS, MAX_LINE_POINTS, series_names, y_label};
use super::{Aggregation, ChartData, ChartError, ChartKind, ChartSpec, Filter, Series, XAxis};
use crate::data::decimate;
use crate::data::timeseries::{MICROS_PER_SECOND, TimeRange};
use crate::data::{Dataset, Progress, group_digits};

/// A cell of a result: every statement here selects `float8` or `text`.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Num(f64),
    Text(String),
}

impl Cell {
    fn num(&self) -> Option<f64> {
        match self {
            Self::Num(v) => Some(*v),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Runs one `SELECT` and returns its rows. A failure is the database's
/// message, ready to show.
pub trait SqlRunner {
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>, String>;
}

/// How a column is stored in the database, as far as charts care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlKind {
    Integer,
    Float,
    Bool,
    /// `timestamptz`: an exact instant.
    Instant,
    /// `timestamp` without a zone: a wall-clock time in the dataset's zone.
    Naive,
    Date,
    /// Text, and every other type (read as its text form).
    Text,
}

/// A column of the database's table or query.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlColumn {
    pub name: String,
    pub kind: SqlKind,
}

/// The table (or query) a chart reads: the `FROM` item and its columns.
#[derive(Clone, Debug, PartialEq)]
pub struct SqlTable {
    /// `"schema"."table"`, or `(SELECT …) AS src`.
    pub relation: String,
    pub columns: Vec<SqlColumn>,
}

/// `name` quoted as an SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as a standard SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The zone for `AT TIME ZONE`: its IANA name, or a fixed offset as an
/// interval (PostgreSQL reads `'+05:00'` as a POSIX zone, west positive).
pub fn zone_sql(tz: &TimeZone) -> Result<String, ChartError> {
    if let Some(name) = tz.iana_name() {
        return Ok(literal(name));
    }
    let offset = tz.to_offset(jiff::Timestamp::now());
    let secs = offset.seconds();
    if tz.to_fixed_offset().is_ok() {
        return Ok(format!("INTERVAL '{secs} seconds'"));
    }
    Err(ChartError::Database(
        "the dataset's time zone has no name the database knows; choose a named zone (such as Europe/Paris) with --tz".to_owned(),
    ))
}

/// A timestamp literal for microseconds since the epoch (exact).
fn instant_literal(micros: i64) -> String {
    format!("(TIMESTAMPTZ 'epoch' + {micros} * INTERVAL '1 microsecond')")
}

/// The data of `spec` computed by the database over `table`, or `None`
/// when the spec's kind is not covered here (see the module doc).
pub fn compute_sql(
    spec: &ChartSpec,
    ds: &Dataset,
    table: &SqlTable,
    window: TimeRange,
    runner: &mut dyn SqlRunner,
    progress: &dyn Progress,
) -> Result<Option<ChartData>, ChartError> {
    match spec.kind {
        ChartKind::Line | ChartKind::Area | ChartKind::Bar | ChartKind::StackedBar => {}
        ChartKind::Kpi => return kpi(spec, ds, table, window, runner, progress),
        ChartKind::Heatmap => return weekday_hour(spec, ds, table, window, runner, progress),
        _ => return Ok(None),
    }
    let Some(x_name) = spec.x.as_deref() else {
        return Err(ChartError::Needs {
            kind: spec.kind.key(),
            what: "an x column (a time, a category or a number)",
        });
    };
    let plan = Plan::new(spec, ds, table, window)?;
    let Some(plan) = plan else {
        return Ok(None);
    };
    let x = plan.column(x_name)?;
    let mut run = Run {
        runner,
        progress,
        plan: &plan,
    };
    let data = match x.kind {
        SqlKind::Instant | SqlKind::Naive | SqlKind::Date => run.over_time(x)?,
        SqlKind::Integer | SqlKind::Float if spec.kind != ChartKind::Bar => run.over_number(x)?,
        _ => run.by_category(x)?,
    };
    Ok(Some(data))
}

/// A key figure: the line of its first measure over time (no groups),
/// computed here, then its latest bucket against the median before.
fn kpi(
    spec: &ChartSpec,
    ds: &Dataset,
    table: &SqlTable,
    window: TimeRange,
    runner: &mut dyn SqlRunner,
    progress: &dyn Progress,
) -> Result<Option<ChartData>, ChartError> {
    let x = spec
        .x
        .clone()
        .filter(|x| {
            table.columns.iter().any(|c| {
                c.name == *x && matches!(c.kind, SqlKind::Instant | SqlKind::Naive | SqlKind::Date)
            })
        })
        .or_else(|| ds.time_column().map(|c| c.name.clone()));
    let Some(x) = x else {
        return Err(ChartError::Needs {
            kind: "key figure",
            what: "a time column",
        });
    };
    let line_spec = ChartSpec {
        kind: ChartKind::Line,
        x: Some(x),
        group: None,
        measures: spec.measures.iter().take(1).cloned().collect(),
        ..spec.clone()
    };
    let Some(line) = compute_sql(&line_spec, ds, table, window, runner, progress)? else {
        return Ok(None);
    };
    let mut out = super::compute::kpi_of_line(&line, spec_label(spec));
    out.rows_used = line.rows_used;
    out.note = line.note;
    Ok(Some(out))
}

/// Weekday × hour of a measure (or of the rows) when x is a time column;
/// the correlations of measures are left to the rows held.
fn weekday_hour(
    spec: &ChartSpec,
    ds: &Dataset,
    table: &SqlTable,
    window: TimeRange,
    runner: &mut dyn SqlRunner,
    progress: &dyn Progress,
) -> Result<Option<ChartData>, ChartError> {
    let Some(x) = spec.x.as_deref() else {
        return Ok(None);
    };
    let one = ChartSpec {
        measures: spec.measures.iter().take(1).cloned().collect(),
        group: None,
        ..spec.clone()
    };
    let Some(plan) = Plan::new(&one, ds, table, window)? else {
        return Ok(None);
    };
    let time = plan.column(x)?;
    let Some(local) = plan.local_expr(time) else {
        return Ok(None);
    };
    let mut run = Run {
        runner,
        progress,
        plan: &plan,
    };
    // Monday = 0 (1970-01-01, day 0, was a Thursday), as in memory.
    let slot = format!(
        "((((floor(extract(epoch FROM {local}) / 86400)::int8 + 3) % 7 + 7) % 7) * 24 + extract(hour FROM {local})::int8)::float8"
    );
    let grouped = run.grouped(&slot, &None)?;
    let (_, values) = run.fill(&grouped, &None, 7 * 24, |v| {
        let i = v as usize;
        (v >= 0.0 && i < 7 * 24).then_some(i)
    });
    let mut out = ChartData::new(ChartKind::Heatmap, XAxis::None, spec_label(spec));
    out.heatmap = Some(super::Heatmap {
        row_labels: super::compute::WEEKDAYS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        column_labels: (0..24).map(|h| format!("{h:02}")).collect(),
        values: values.into_iter().next().unwrap_or_default(),
    });
    out.rows_used = grouped.total;
    out.note = Some(computed_note(out.rows_used));
    Ok(Some(out))
}

/// The y label of `spec` as a whole (its first measure may be the only
/// one drawn, as in memory).
fn spec_label(spec: &ChartSpec) -> String {
    let names: Vec<&str> = spec.measures.iter().map(String::as_str).collect();
    let aggregation = if names.is_empty() {
        Aggregation::Count
    } else {
        spec.aggregation
    };
    y_label(&names, aggregation)
}

/// What every statement of one chart shares.
struct Plan<'a> {
    spec: &'a ChartSpec,
    table: &'a SqlTable,
    tz: &'a TimeZone,
    zone: String,
    /// The `WHERE` condition: the window and the filters.
    condition: String,
    /// The measures' `float8` expressions and names.
    measures: Vec<(String, String)>,
    aggregation: Aggregation,
    /// The group column's text expression.
    group: Option<String>,
}

impl<'a> Plan<'a> {
    /// `None` when a measure is not a column of the table (the AQI computed
    /// from pollutants): the caller then uses its sample.
    fn new(
        spec: &'a ChartSpec,
        ds: &'a Dataset,
        table: &'a SqlTable,
        window: TimeRange,
    ) -> Result<Option<Self>, ChartError> {
        let zone = zone_sql(&ds.time_zone)?;
        let mut plan = Self {
            spec,
            table,
            tz: &ds.time_zone,
            zone,
            condition: String::new(),
            measures: Vec::new(),
            aggregation: spec.aggregation,
            group: None,
        };
        for m in &spec.measures {
            let c = match plan.column(m) {
                Ok(c) => c,
                Err(_) if m == super::AQI => return Ok(None),
                Err(e) => return Err(e),
            };
            let Some(e) = number_expr(c) else {
                return Err(ChartError::NotNumeric {
                    column: m.clone(),
                    kind: "non-numeric",
                    role: "a measure",
                });
            };
            plan.measures.push((e, m.clone()));
        }
        if plan.measures.is_empty() {
            plan.aggregation = Aggregation::Count;
        }
        if let Some(g) = spec.group.as_deref() {
            plan.group = Some(text_expr(plan.column(g)?));
        }
        let mut conditions = Vec::new();
        if (window.start.is_some() || window.end.is_some())
            && let Some(t) = ds.time_column()
            && let Ok(c) = plan.column(&t.name)
            && let Some(at) = plan.instant_expr(c)
        {
            if let Some(s) = window.start {
                conditions.push(format!("{at} >= {}", instant_literal(s)));
            }
            if let Some(e) = window.end {
                conditions.push(format!("{at} <= {}", instant_literal(e)));
            }
        }
        for f in &spec.filters {
            match f {
                Filter::InSet { column, values } => {
                    let e = text_expr(plan.column(column)?);
                    if values.is_empty() {
                        conditions.push("FALSE".to_owned());
                    } else {
                        let list: Vec<String> = values.iter().map(|v| literal(v)).collect();
                        conditions.push(format!("{e} IN ({})", list.join(", ")));
                    }
                }
                Filter::Range { column, min, max } => {
                    let c = plan.column(column)?;
                    let Some(e) = number_expr(c) else {
                        return Err(ChartError::NotNumeric {
                            column: column.clone(),
                            kind: "non-numeric",
                            role: "filtered by a range",
                        });
                    };
                    conditions.push(format!("{e} IS NOT NULL"));
                    if let Some(lo) = min.filter(|v| v.is_finite()) {
                        conditions.push(format!("{e} >= {lo:?}"));
                    }
                    if let Some(hi) = max.filter(|v| v.is_finite()) {
                        conditions.push(format!("{e} <= {hi:?}"));
                    }
                }
                Filter::Within { .. } => {
                    return Err(ChartError::Needs {
                        kind: "selection on the map",
                        what: "a table in memory (a district picked on a map cannot filter a database table yet)",
                    });
                }
            }
        }
        plan.condition = if conditions.is_empty() {
            "TRUE".to_owned()
        } else {
            conditions.join(" AND ")
        };
        Ok(Some(plan))
    }

    fn column(&self, name: &str) -> Result<&'a SqlColumn, ChartError> {
        self.table
            .columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ChartError::NoColumn {
                column: name.to_owned(),
                columns: self
                    .table
                    .columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The column as an instant (`timestamptz`), for time columns.
    fn instant_expr(&self, c: &SqlColumn) -> Option<String> {
        let i = ident(&c.name);
        let zone = &self.zone;
        match c.kind {
            SqlKind::Instant => Some(i),
            SqlKind::Naive => Some(format!("({i} AT TIME ZONE {zone})")),
            SqlKind::Date => Some(format!("({i}::timestamp AT TIME ZONE {zone})")),
            _ => None,
        }
    }

    /// The column as a wall-clock time in the dataset's zone.
    fn local_expr(&self, c: &SqlColumn) -> Option<String> {
        let i = ident(&c.name);
        match c.kind {
            SqlKind::Instant => Some(format!("({i} AT TIME ZONE {})", self.zone)),
            SqlKind::Naive => Some(i),
            SqlKind::Date => Some(format!("{i}::timestamp")),
            _ => None,
        }
    }

    /// The aggregate expressions, one per measure (or the row count).
    fn aggregates(&self) -> Vec<String> {
        if self.measures.is_empty() {
            return vec!["count(*)::float8".to_owned()];
        }
        self.measures
            .iter()
            .map(|(m, _)| match self.aggregation {
                Aggregation::Count => format!("count({m})::float8"),
                Aggregation::Sum => format!("sum({m})"),
                Aggregation::Mean => format!("avg({m})"),
                Aggregation::Min => format!("min({m})"),
                Aggregation::Max => format!("max({m})"),
                Aggregation::Median => {
                    format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY {m})")
                }
                Aggregation::P95 => {
                    format!("percentile_disc(0.95) WITHIN GROUP (ORDER BY {m})")
                }
            })
            .collect()
    }

    fn measure_names(&self) -> Vec<String> {
        if self.measures.is_empty() {
            vec!["rows".to_owned()]
        } else {
            self.measures.iter().map(|(_, n)| n.clone()).collect()
        }
    }

    fn y_label(&self) -> String {
        let names: Vec<&str> = self.measures.iter().map(|(_, n)| n.as_str()).collect();
        y_label(&names, self.aggregation)
    }
}

/// A number column as `float8` (booleans as 0 and 1).
fn number_expr(c: &SqlColumn) -> Option<String> {
    let i = ident(&c.name);
    match c.kind {
        SqlKind::Integer | SqlKind::Float => Some(format!("{i}::float8")),
        SqlKind::Bool => Some(format!("{i}::int::float8")),
        _ => None,
    }
}

/// A column as text, for groups, categories and set filters.
fn text_expr(c: &SqlColumn) -> String {
    let i = ident(&c.name);
    match c.kind {
        SqlKind::Text => i,
        _ => format!("{i}::text"),
    }
}

/// `CASE WHEN e IS NULL THEN NULL WHEN e = 'a' THEN 0 … ELSE n END`: a
/// value's index among `names` (the rest are "other", index
/// `names.len()`; a missing value stays missing).
fn index_case(expr: &str, names: &[String]) -> String {
    let mut s = format!("CASE WHEN ({expr}) IS NULL THEN NULL");
    for (i, n) in names.iter().enumerate() {
        s.push_str(&format!(" WHEN ({expr}) = {} THEN {i}", literal(n)));
    }
    s.push_str(&format!(" ELSE {} END::float8", names.len()));
    s
}

/// The rows of one `GROUP BY key, group` statement: each group's key,
/// group index and aggregates, and the rows selected in all (missing keys
/// and groups included).
struct Grouped {
    rows: Vec<(Option<f64>, Option<usize>, Vec<f64>)>,
    total: usize,
}

/// One chart's statements, run in order.
struct Run<'r, 'p> {
    runner: &'r mut dyn SqlRunner,
    progress: &'r dyn Progress,
    plan: &'r Plan<'p>,
}

impl Run<'_, '_> {
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Cell>>, ChartError> {
        if self.progress.is_cancelled() {
            return Err(ChartError::Cancelled);
        }
        let progress = self.progress;
        let rows = self.runner.query(sql).map_err(|e| {
            if progress.is_cancelled() {
                ChartError::Cancelled
            } else {
                ChartError::Database(e)
            }
        })?;
        if self.progress.is_cancelled() {
            return Err(ChartError::Cancelled);
        }
        Ok(rows)
    }

    /// The `top` values of `expr` with the most rows (ties by name, byte
    /// order), and whether there are more (then "other" is added).
    fn top_values(&mut self, expr: &str, top: usize) -> Result<(Vec<String>, bool), ChartError> {
        let p = self.plan;
        let sql = format!(
            "SELECT ({expr})::text FROM {} WHERE ({}) AND ({expr}) IS NOT NULL GROUP BY ({expr}) ORDER BY count(*) DESC, ({expr})::text COLLATE \"C\" LIMIT {}",
            p.table.relation,
            p.condition,
            top + 1
        );
        let mut names: Vec<String> = self
            .query(&sql)?
            .iter()
            .filter_map(|r| r.first().and_then(Cell::text).map(str::to_owned))
            .collect();
        let other = names.len() > top;
        names.truncate(top);
        Ok((names, other))
    }

    /// The groups' names (with "other") and the group index expression.
    fn groups(&mut self, top: usize) -> Result<Option<(Vec<String>, String)>, ChartError> {
        let Some(g) = self.plan.group.clone() else {
            return Ok(None);
        };
        let (names, other) = self.top_values(&g, top)?;
        let index = index_case(&g, &names);
        let mut all = names;
        if other {
            all.push("other".to_owned());
        }
        Ok(Some((all, index)))
    }

    /// Runs `SELECT key, group, aggregates, count … GROUP BY key, group`
    /// over every selected row (one scan).
    fn grouped(
        &mut self,
        key: &str,
        groups: &Option<(Vec<String>, String)>,
    ) -> Result<Grouped, ChartError> {
        let p = self.plan;
        let group = groups
            .as_ref()
            .map_or_else(|| "0::float8".to_owned(), |(_, index)| index.clone());
        let sql = format!(
            "SELECT {key}, {group}, {}, count(*)::float8 FROM {} WHERE {} GROUP BY 1, 2",
            p.aggregates().join(", "),
            p.table.relation,
            p.condition,
        );
        let n = p.measure_names().len();
        let mut total = 0.0;
        let rows = self
            .query(&sql)?
            .into_iter()
            .map(|row| {
                total += row.get(2 + n).and_then(Cell::num).unwrap_or(0.0);
                let key = row.first().and_then(Cell::num);
                let group = row.get(1).and_then(Cell::num).map(|g| g as usize);
                let values = (0..n)
                    .map(|m| row.get(2 + m).and_then(Cell::num).unwrap_or(f64::NAN))
                    .collect();
                (key, group, values)
            })
            .collect();
        Ok(Grouped {
            rows,
            total: total as usize,
        })
    }

    /// The series' names and their values per slot: rows whose key or
    /// group is missing add nothing; `slot_of` maps a key to its slot.
    fn fill(
        &self,
        grouped: &Grouped,
        groups: &Option<(Vec<String>, String)>,
        slots: usize,
        mut slot_of: impl FnMut(f64) -> Option<usize>,
    ) -> (Vec<String>, Vec<Vec<f64>>) {
        let p = self.plan;
        let measure_names = p.measure_names();
        let (names, n_groups) = match groups {
            Some((group_names, _)) => {
                (series_names(&measure_names, group_names), group_names.len())
            }
            None => (measure_names.clone(), 1),
        };
        let empty = if p.aggregation == Aggregation::Count {
            0.0
        } else {
            f64::NAN
        };
        let mut values = vec![vec![empty; slots]; names.len()];
        for (key, group, vs) in &grouped.rows {
            let (Some(slot), Some(group)) = (key.and_then(&mut slot_of), *group) else {
                continue;
            };
            for (m, &v) in vs.iter().enumerate() {
                let v = if v.is_nan() { empty } else { v };
                if let Some(cell) = values
                    .get_mut(m * n_groups + group)
                    .and_then(|s| s.get_mut(slot))
                {
                    *cell = v;
                }
            }
        }
        (names, values)
    }

    fn over_time(&mut self, x: &SqlColumn) -> Result<ChartData, ChartError> {
        let p = self.plan;
        let mut out = ChartData::new(p.spec.kind, XAxis::Time, p.y_label());
        let (Some(at), Some(local)) = (p.instant_expr(x), p.local_expr(x)) else {
            return Err(ChartError::Needs {
                kind: p.spec.kind.key(),
                what: "a time column",
            });
        };
        let micros = |e: &str| format!("(extract(epoch FROM {e}) * 1000000)::int8::float8");
        // The automatic bucket needs the span first (and, for a few rows,
        // how many instants they have); a chosen bucket reads it from the
        // buckets themselves, in the one scan that aggregates.
        let auto = if p.spec.bucket == TimeBucket::Auto {
            let sql = format!(
                "SELECT {}, {} FROM {} WHERE {}",
                micros(&format!("min({at})")),
                micros(&format!("max({at})")),
                p.table.relation,
                p.condition
            );
            let rows = self.query(&sql)?;
            let first = rows.first();
            let cell = |i: usize| first.and_then(|r| r.get(i)).and_then(Cell::num);
            let (Some(lo), Some(hi)) = (cell(0), cell(1)) else {
                out.rows_used = self.count_rows()?;
                return Ok(out);
            };
            // Only "600 or fewer" matters to the choice: counted no further.
            let sql = format!(
                "SELECT count(*)::float8 FROM (SELECT 1 FROM {} WHERE {} LIMIT 601) AS few",
                p.table.relation, p.condition
            );
            let few = self.first_number(&sql)? as usize;
            let instants = if few <= 600 {
                let sql = format!(
                    "SELECT count(DISTINCT {at})::float8 FROM {} WHERE {}",
                    p.table.relation, p.condition
                );
                self.first_number(&sql)? as usize
            } else {
                few
            };
            Some(TimeBucket::auto(hi as i64 - lo as i64, instants))
        } else {
            None
        };
        let bucket = auto.unwrap_or(p.spec.bucket);
        let groups = self.groups(p.spec.top_n.unwrap_or(DEFAULT_GROUPS))?;
        let unit = match bucket {
            TimeBucket::Auto | TimeBucket::Hour => "hour",
            TimeBucket::Day => "day",
            TimeBucket::Week => "week",
            TimeBucket::Month => "month",
            TimeBucket::Quarter => "quarter",
            TimeBucket::Year => "year",
        };
        let key = format!("extract(epoch FROM date_trunc('{unit}', {local}))::float8");
        let grouped = self.grouped(&key, &groups)?;
        out.rows_used = grouped.total;
        let key_of =
            |secs: f64| bucket.key_of_local((secs * MICROS_PER_SECOND as f64).round() as i64);
        let keys = grouped.rows.iter().filter_map(|r| r.0).map(key_of);
        let (k0, k1) = keys.fold((i64::MAX, i64::MIN), |(lo, hi), k| (lo.min(k), hi.max(k)));
        if k0 > k1 {
            return Ok(out);
        }
        out.bucket = Some(bucket);
        let span = super::bucket::bucket_span(bucket, k0, k1)?;
        let (names, values) = self.fill(&grouped, &groups, span, |secs| {
            let k = key_of(secs);
            (k0..=k1).contains(&k).then(|| (k - k0) as usize)
        });
        let xs: Vec<f64> = (k0..=k1).map(|k| bucket.start_secs(k, p.tz)).collect();
        out.series = assemble(names, values, &xs);
        if p.spec.kind == ChartKind::Line {
            for s in &mut out.series {
                if s.points.len() > MAX_LINE_POINTS {
                    s.points = decimate::min_max_with_gaps(&s.points, MAX_LINE_POINTS / 4);
                }
            }
        }
        out.note = Some(computed_note(out.rows_used));
        Ok(out)
    }

    /// The first number of a one-row answer.
    fn first_number(&mut self, sql: &str) -> Result<f64, ChartError> {
        Ok(self
            .query(sql)?
            .first()
            .and_then(|r| r.first())
            .and_then(Cell::num)
            .unwrap_or(0.0))
    }

    /// The rows selected (window and filters).
    fn count_rows(&mut self) -> Result<usize, ChartError> {
        let p = self.plan;
        let sql = format!(
            "SELECT count(*)::float8 FROM {} WHERE {}",
            p.table.relation, p.condition
        );
        Ok(self.first_number(&sql)? as usize)
    }

    fn over_number(&mut self, x: &SqlColumn) -> Result<ChartData, ChartError> {
        let p = self.plan;
        let mut out = ChartData::new(p.spec.kind, XAxis::Numeric(x.name.clone()), p.y_label());
        let e = number_expr(x).unwrap_or_else(|| ident(&x.name));
        let sql = format!(
            "SELECT DISTINCT {e} FROM {} WHERE ({}) AND {e} IS NOT NULL ORDER BY 1 LIMIT {MAX_BUCKETS}",
            p.table.relation, p.condition
        );
        let xs: Vec<f64> = self
            .query(&sql)?
            .iter()
            .filter_map(|r| r.first().and_then(Cell::num))
            .collect();
        let groups = self.groups(p.spec.top_n.unwrap_or(DEFAULT_GROUPS))?;
        // Values past the first MAX_BUCKETS are left out of the line (as
        // in memory) but still counted as selected.
        let key = match xs.last() {
            Some(last) => format!("CASE WHEN {e} <= {last:?} THEN {e} END"),
            None => e.clone(),
        };
        let grouped = self.grouped(&key, &groups)?;
        let (names, values) = self.fill(&grouped, &groups, xs.len(), |v| {
            xs.binary_search_by(|p| p.total_cmp(&v)).ok()
        });
        out.series = assemble(names, values, &xs);
        out.rows_used = grouped.total;
        out.note = Some(computed_note(out.rows_used));
        Ok(out)
    }

    fn by_category(&mut self, x: &SqlColumn) -> Result<ChartData, ChartError> {
        let p = self.plan;
        let e = text_expr(x);
        let (mut labels, other) =
            self.top_values(&e, p.spec.top_n.unwrap_or(DEFAULT_CATEGORIES))?;
        let index = index_case(&e, &labels);
        if other {
            labels.push("other".to_owned());
        }
        let groups = self.groups(DEFAULT_GROUPS)?;
        let n = labels.len();
        let grouped = self.grouped(&index, &groups)?;
        let (names, values) = self.fill(&grouped, &groups, n, |v| {
            let i = v as usize;
            (v >= 0.0 && i < n).then_some(i)
        });
        let mut out = ChartData::new(p.spec.kind, XAxis::Category(labels), p.y_label());
        let xs: Vec<f64> = (0..n).map(|c| c as f64).collect();
        out.series = assemble(names, values, &xs);
        out.rows_used = grouped.total;
        out.note = Some(computed_note(out.rows_used));
        Ok(out)
    }
}

/// "computed by the database over 1,234 rows".
fn computed_note(rows: usize) -> String {
    format!("computed by the database over {} rows", group_digits(rows))
}

fn assemble(names: Vec<String>, values: Vec<Vec<f64>>, xs: &[f64]) -> Vec<Series> {
    names
        .into_iter()
        .zip(values)
        .map(|(name, vs)| {
            let points = xs.iter().zip(vs).map(|(&x, y)| [x, y]).collect();
            Series::new(name, points)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_are_quoted() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("O'Hare"), "'O''Hare'");
        assert_eq!(
            index_case("\"g\"", &["a".to_owned(), "b'c".to_owned()]),
            "CASE WHEN (\"g\") IS NULL THEN NULL WHEN (\"g\") = 'a' THEN 0 WHEN (\"g\") = 'b''c' THEN 1 ELSE 2 END::float8"
        );
    }

    #[test]
    fn fixed_offsets_become_intervals() {
        let tz = TimeZone::fixed(jiff::tz::offset(-5));
        assert_eq!(
            zone_sql(&tz).ok().as_deref(),
            Some("INTERVAL '-18000 seconds'")
        );
        let named = TimeZone::get("America/Chicago").ok();
        assert_eq!(
            named.and_then(|t| zone_sql(&t).ok()).as_deref(),
            Some("'America/Chicago'")
        );
    }
}
