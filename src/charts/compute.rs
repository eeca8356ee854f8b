//! From a spec, a dataset and a time window to the plotted data.

use std::borrow::Cow;
use std::collections::HashMap;

use super::AQI;
use super::bucket::{MAX_BUCKETS, TimeBucket};
use super::map::{self, MapLayer};
use super::{
    Aggregation, ChartData, ChartError, ChartKind, ChartSpec, Filter, Heatmap, Kpi, Reference,
    Series, TableData, XAxis,
};
use crate::data::decimate;
use crate::data::timeseries::{LocalClock, TimeRange};
use crate::data::{Column, ColumnKind, ColumnValues, Dataset, Progress, Role};

/// Groups and categories kept by default before the rest become "other".
pub(super) const DEFAULT_GROUPS: usize = 12;
pub(super) const DEFAULT_CATEGORIES: usize = 20;
/// Points kept of a scatter or a map (an even sample of the rows).
const MAX_SAMPLE_POINTS: usize = 20_000;
const MAX_MAP_POINTS: usize = 50_000;
/// A time series longer than this is decimated (min–max, gaps kept).
pub(super) const MAX_LINE_POINTS: usize = 4_000;
/// Buckets before the latest that make a KPI's usual level.
const KPI_HISTORY: usize = 28;

/// Computes the data of `spec` over the rows of `ds` within `window` (on
/// the dataset's time column, when it has one) that pass the filters.
pub fn compute(
    spec: &ChartSpec,
    ds: &Dataset,
    window: TimeRange,
    progress: &dyn Progress,
) -> Result<ChartData, ChartError> {
    compute_with(spec, ds, None, window, progress)
}

/// [`compute`] with the GeoJSON dataset a choropleth's spec names
/// (`spec.geometry`), when there is one.
pub fn compute_with(
    spec: &ChartSpec,
    ds: &Dataset,
    geometry: Option<&Dataset>,
    window: TimeRange,
    progress: &dyn Progress,
) -> Result<ChartData, ChartError> {
    let rows = selected_rows(spec, ds, window, geometry)?;
    if progress.is_cancelled() {
        return Err(ChartError::Cancelled);
    }
    let owned = spec
        .measures
        .iter()
        .map(|m| measure(ds, m))
        .collect::<Result<Vec<_>, _>>()?;
    let measures: Vec<&Column> = owned.iter().map(AsRef::as_ref).collect();
    let aggregation = if measures.is_empty() {
        Aggregation::Count
    } else {
        spec.aggregation
    };
    let names: Vec<&str> = measures.iter().map(|m| m.name.as_str()).collect();
    let y_label = y_label(&names, aggregation);
    let x = spec.x.as_deref().map(|x| column(ds, x)).transpose()?;
    let group = spec.group.as_deref().map(|g| column(ds, g)).transpose()?;
    let mut out = match spec.kind {
        ChartKind::Line | ChartKind::Area | ChartKind::Bar | ChartKind::StackedBar => {
            let Some(x) = x else {
                return Err(ChartError::Needs {
                    kind: spec.kind.key(),
                    what: "an x column (a time, a category or a number)",
                });
            };
            match x.kind() {
                ColumnKind::Timestamp => over_time(
                    spec,
                    ds,
                    geometry,
                    x,
                    &measures,
                    group,
                    aggregation,
                    &rows,
                    y_label,
                )?,
                ColumnKind::Integer | ColumnKind::Float if spec.kind != ChartKind::Bar => {
                    over_number(spec, x, &measures, group, aggregation, &rows, y_label)
                }
                _ => by_category(spec, x, &measures, group, aggregation, &rows, y_label),
            }
        }
        ChartKind::Scatter => {
            let x = x.ok_or(ChartError::Needs {
                kind: "scatter",
                what: "an x column",
            })?;
            let x = numeric(ds, &x.name, "the x axis of a scatter")?;
            scatter(spec, x, &measures, group, &rows, y_label)?
        }
        ChartKind::Histogram => histogram(&measures, &rows)?,
        ChartKind::Heatmap => match x {
            Some(t) if t.kind() == ColumnKind::Timestamp => {
                weekday_hour(ds, t, &measures, aggregation, &rows, y_label)
            }
            _ => correlations(&measures, &rows)?,
        },
        ChartKind::MapPoints => {
            let measure = measures.first().copied();
            let has_coordinates =
                ds.column_for(Role::Latitude).is_some() && ds.column_for(Role::Longitude).is_some();
            let own_shapes = ds.geometry.as_deref();
            let layer = match spec.layer {
                // A GeoJSON of districts or roads drawn as points would be
                // empty: its shapes are its layer.
                MapLayer::Points if !has_coordinates && own_shapes.is_some() => {
                    if own_shapes.is_some_and(|s| s.iter().any(|s| !s.polygons.is_empty())) {
                        MapLayer::Choropleth
                    } else {
                        MapLayer::Lines
                    }
                }
                l => l,
            };
            if layer == MapLayer::Points {
                map_points(spec, ds, group, &rows)?
            } else {
                let m = match layer {
                    MapLayer::Bins => map::bins(ds, &rows, measure, aggregation, false)?,
                    MapLayer::Hexbins => map::bins(ds, &rows, measure, aggregation, true)?,
                    MapLayer::Lines => map::lines(ds, &rows, measure)?,
                    _ => map::choropleth(
                        spec,
                        ds,
                        geometry.unwrap_or(ds),
                        &rows,
                        measure,
                        aggregation,
                    )?,
                };
                let mut out =
                    ChartData::new(ChartKind::MapPoints, XAxis::Map, m.value_label.clone());
                out.map = Some(m);
                out
            }
        }
        ChartKind::Kpi => kpi(spec, ds, x, &measures, aggregation, &rows, y_label)?,
        ChartKind::Table => table(spec, x, &measures, group, aggregation, &rows, y_label),
    };
    out.rows_used = rows.len();
    out.reference = spec.reference;
    Ok(out)
}

/// What the y values are: "rows", "mean of speed_kmh", or the
/// aggregation's name for several measures.
pub(super) fn y_label(measures: &[&str], aggregation: Aggregation) -> String {
    match measures {
        [] => "rows".to_owned(),
        [m] if aggregation != Aggregation::Count => format!("{} of {m}", aggregation.key()),
        _ if aggregation == Aggregation::Count => "rows".to_owned(),
        _ => aggregation.key().to_owned(),
    }
}

fn column<'a>(ds: &'a Dataset, name: &str) -> Result<&'a Column, ChartError> {
    ds.table.column(name).ok_or_else(|| ChartError::NoColumn {
        column: name.to_owned(),
        columns: ds.table.column_names(),
    })
}

/// A column that has numbers (integers, floats or booleans as 0/1).
fn numeric<'a>(ds: &'a Dataset, name: &str, role: &'static str) -> Result<&'a Column, ChartError> {
    let c = column(ds, name)?;
    match c.kind() {
        ColumnKind::Integer | ColumnKind::Float | ColumnKind::Bool => Ok(c),
        k => Err(ChartError::NotNumeric {
            column: name.to_owned(),
            kind: k.name(),
            role,
        }),
    }
}

/// A measure: a numeric column, or the AQI computed from the pollutant
/// columns when a table has those and no column named [`AQI`].
fn measure<'a>(ds: &'a Dataset, name: &str) -> Result<Cow<'a, Column>, ChartError> {
    if name == AQI
        && ds.table.column(name).is_none()
        && let Some((aqi, _)) = ds.aqi()
    {
        return Ok(aqi);
    }
    numeric(ds, name, "a measure").map(Cow::Borrowed)
}

/// A cell as text (for filters, groups and categories).
fn cell_text(c: &Column, row: usize) -> Option<Cow<'_, str>> {
    if let Some(s) = c.str_at(row) {
        return Some(Cow::Borrowed(s));
    }
    if !c.is_valid(row) {
        return None;
    }
    Some(Cow::Owned(match &c.values {
        ColumnValues::Integer(v) => v.get(row)?.to_string(),
        ColumnValues::Bool(v) => v.get(row)?.to_string(),
        ColumnValues::Float(v) => v.get(row)?.to_string(),
        ColumnValues::Timestamp(v) => jiff::Timestamp::from_microsecond(*v.get(row)?)
            .map(|t| t.to_string())
            .ok()?,
        _ => return None,
    }))
}

/// Rows in the window (on the time column) that pass every filter.
fn selected_rows(
    spec: &ChartSpec,
    ds: &Dataset,
    window: TimeRange,
    geometry: Option<&Dataset>,
) -> Result<Vec<u32>, ChartError> {
    let time = ds.time_column();
    let bounded = window.start.is_some() || window.end.is_some();
    let mut filters = Vec::with_capacity(spec.filters.len());
    // Points that must lie in a polygon: the coordinate columns, the
    // shape and its box.
    let mut within = Vec::new();
    for f in &spec.filters {
        match f {
            Filter::InSet {
                column: name,
                values,
            } => {
                let c = column(ds, name)?;
                filters.push((c, Some(values), None, None));
            }
            Filter::Range {
                column: name,
                min,
                max,
            } => {
                let c = numeric(ds, name, "filtered by a range")?;
                filters.push((c, None, *min, *max));
            }
            Filter::Within {
                geometry: g,
                feature,
            } => {
                let shape = geometry
                    .filter(|d| d.name == *g)
                    .and_then(|d| d.geometry.as_deref())
                    .and_then(|shapes| shapes.get(*feature))
                    .ok_or(ChartError::Needs {
                        kind: "selection on the map",
                        what: "its districts' GeoJSON file to be open",
                    })?;
                let (Some(lon), Some(lat)) = (
                    ds.column_for(Role::Longitude),
                    ds.column_for(Role::Latitude),
                ) else {
                    return Err(ChartError::Needs {
                        kind: "selection on the map",
                        what: "latitude and longitude columns",
                    });
                };
                let bounds = shape.bounds().unwrap_or([0.0; 4]);
                within.push((lon, lat, shape, bounds));
            }
        }
    }
    let n = ds.table.n_rows().min(u32::MAX as usize);
    let mut rows = Vec::with_capacity(n);
    'rows: for r in 0..n {
        if bounded
            && let Some(t) = time
            && !t.timestamp_at(r).is_some_and(|v| window.contains(v))
        {
            continue;
        }
        for (c, set, lo, hi) in &filters {
            if let Some(set) = set {
                if !cell_text(c, r).is_some_and(|v| set.iter().any(|s| s == v.as_ref())) {
                    continue 'rows;
                }
            } else {
                let Some(v) = c.f64_at(r) else {
                    continue 'rows;
                };
                if lo.is_some_and(|lo| v < lo) || hi.is_some_and(|hi| v > hi) {
                    continue 'rows;
                }
            }
        }
        for (lon, lat, shape, b) in &within {
            let inside = map::lonlat_at(lon, lat, r).is_some_and(|p| {
                p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3] && shape.contains(p)
            });
            if !inside {
                continue 'rows;
            }
        }
        rows.push(r as u32);
    }
    Ok(rows)
}

/// The group of each selected row (an index into the names): the `top`
/// most frequent values, then "other"; rows without a value get none.
fn groups_of(col: &Column, rows: &[u32], top: usize) -> (Vec<Option<u32>>, Vec<String>) {
    let mut counts: HashMap<Cow<'_, str>, usize> = HashMap::new();
    for &r in rows {
        if let Some(v) = cell_text(col, r as usize) {
            *counts.entry(v).or_insert(0) += 1;
        }
    }
    let mut ranked: Vec<(Cow<'_, str>, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let other = ranked.len() > top;
    let mut names: Vec<String> = ranked
        .iter()
        .take(top)
        .map(|(s, _)| s.to_string())
        .collect();
    let index: HashMap<&str, u32> = ranked
        .iter()
        .take(top)
        .enumerate()
        .map(|(i, (s, _))| (s.as_ref(), i as u32))
        .collect();
    let other_index = names.len() as u32;
    if other {
        names.push("other".to_owned());
    }
    let of_row = rows
        .iter()
        .map(|&r| {
            cell_text(col, r as usize)
                .map(|v| index.get(v.as_ref()).copied().unwrap_or(other_index))
        })
        .collect();
    (of_row, names)
}

/// Accumulates the values of cells (series × slot) and aggregates them.
struct Cells {
    aggregation: Aggregation,
    slots: usize,
    /// Streaming aggregates: (sum, count, min, max).
    acc: Vec<(f64, u64, f64, f64)>,
    /// All values, for the median and p95.
    values: Vec<Vec<f64>>,
}

impl Cells {
    fn new(aggregation: Aggregation, series: usize, slots: usize) -> Self {
        let n = series * slots;
        let keep_all = matches!(aggregation, Aggregation::Median | Aggregation::P95);
        Self {
            aggregation,
            slots,
            acc: vec![(0.0, 0, f64::INFINITY, f64::NEG_INFINITY); n],
            values: if keep_all {
                vec![Vec::new(); n]
            } else {
                Vec::new()
            },
        }
    }

    fn add(&mut self, series: usize, slot: usize, v: f64) {
        let i = series * self.slots + slot;
        if let Some(a) = self.acc.get_mut(i) {
            a.0 += v;
            a.1 += 1;
            a.2 = a.2.min(v);
            a.3 = a.3.max(v);
        }
        if let Some(all) = self.values.get_mut(i) {
            all.push(v);
        }
    }

    /// One series per name: the aggregate of each slot at `xs[slot]`,
    /// NaN (a gap) where a slot has no value.
    fn series(&mut self, names: &[String], xs: &[f64]) -> Vec<Series> {
        names
            .iter()
            .enumerate()
            .map(|(s, name)| {
                let points = xs
                    .iter()
                    .enumerate()
                    .map(|(slot, &x)| [x, self.get(s, slot).unwrap_or(f64::NAN)])
                    .collect();
                Series::new(name.clone(), points)
            })
            .collect()
    }

    fn get(&mut self, series: usize, slot: usize) -> Option<f64> {
        let i = series * self.slots + slot;
        let &(sum, n, lo, hi) = self.acc.get(i)?;
        if n == 0 {
            return (self.aggregation == Aggregation::Count).then_some(0.0);
        }
        match self.aggregation {
            Aggregation::Count => Some(n as f64),
            Aggregation::Sum => Some(sum),
            Aggregation::Mean => Some(sum / n as f64),
            Aggregation::Min => Some(lo),
            Aggregation::Max => Some(hi),
            Aggregation::Median | Aggregation::P95 => {
                self.aggregation.apply(self.values.get_mut(i)?)
            }
        }
    }
}

/// The series of a chart: one per measure (or one count), times one per
/// group; `value(row)` per series.
struct SeriesPlan<'a> {
    names: Vec<String>,
    measures: &'a [&'a Column],
    groups: Option<(Vec<Option<u32>>, usize)>,
}

impl<'a> SeriesPlan<'a> {
    fn new(measures: &'a [&'a Column], group: Option<&Column>, rows: &[u32], top: usize) -> Self {
        let measure_names: Vec<String> = if measures.is_empty() {
            vec!["rows".to_owned()]
        } else {
            measures.iter().map(|m| m.name.clone()).collect()
        };
        let Some(g) = group else {
            return Self {
                names: measure_names,
                measures,
                groups: None,
            };
        };
        let (of_row, group_names) = groups_of(g, rows, top);
        let n_groups = group_names.len();
        Self {
            names: series_names(&measure_names, &group_names),
            measures,
            groups: Some((of_row, n_groups)),
        }
    }

    /// Calls `f(series, value)` for each series the `i`-th selected row
    /// (table row `row`) adds a value to.
    fn each(&self, i: usize, row: usize, mut f: impl FnMut(usize, f64)) {
        let (group, n_groups) = match &self.groups {
            Some((of_row, n)) => match of_row.get(i).copied().flatten() {
                Some(g) => (g as usize, *n),
                None => return,
            },
            None => (0, 1),
        };
        if self.measures.is_empty() {
            f(group, 1.0);
            return;
        }
        for (m, col) in self.measures.iter().enumerate() {
            if let Some(v) = col.f64_at(row) {
                f(m * n_groups + group, v);
            }
        }
    }
}

/// The series' names: one per measure × group, measure-major; a group's
/// name alone when there is one measure.
pub(super) fn series_names(measures: &[String], groups: &[String]) -> Vec<String> {
    let mut names = Vec::with_capacity(measures.len() * groups.len());
    for m in measures {
        for g in groups {
            names.push(if measures.len() == 1 {
                g.clone()
            } else {
                format!("{m} · {g}")
            });
        }
    }
    names
}

#[allow(clippy::too_many_arguments)]
fn over_time(
    spec: &ChartSpec,
    ds: &Dataset,
    geometry: Option<&Dataset>,
    time: &Column,
    measures: &[&Column],
    group: Option<&Column>,
    aggregation: Aggregation,
    rows: &[u32],
    y_label: String,
) -> Result<ChartData, ChartError> {
    let mut out = ChartData::new(spec.kind, XAxis::Time, y_label);
    let times: Vec<Option<i64>> = rows
        .iter()
        .map(|&r| time.timestamp_at(r as usize))
        .collect();
    let (lo, hi) = times
        .iter()
        .flatten()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
    if lo > hi {
        return Ok(out);
    }
    let bucket = match spec.bucket {
        TimeBucket::Auto => {
            // Density is distinct instants, not rows: 48 rows of 12 months
            // by 4 districts are monthly data. Only counted where it can
            // change the choice (few rows).
            let instants = if times.len() <= 600 {
                let mut t: Vec<i64> = times.iter().flatten().copied().collect();
                t.sort_unstable();
                t.dedup();
                t.len()
            } else {
                times.len()
            };
            TimeBucket::auto(hi - lo, instants)
        }
        b => b,
    };
    out.bucket = Some(bucket);
    let mut clock = LocalClock::new(&ds.time_zone);
    let keys: Vec<Option<i64>> = times
        .iter()
        .map(|t| t.map(|t| bucket.key_of(&mut clock, t)))
        .collect();
    let (k0, k1) = keys
        .iter()
        .flatten()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    let slots = super::bucket::bucket_span(bucket, k0, k1)?;
    let plan = SeriesPlan::new(measures, group, rows, spec.top_n.unwrap_or(DEFAULT_GROUPS));
    let mut cells = Cells::new(aggregation, plan.names.len(), slots);
    for (i, (&r, key)) in rows.iter().zip(&keys).enumerate() {
        let Some(k) = key else {
            continue;
        };
        let slot = (k - k0) as usize;
        plan.each(i, r as usize, |s, v| cells.add(s, slot, v));
    }
    let xs: Vec<f64> = (k0..=k1)
        .map(|k| bucket.start_secs(k, &ds.time_zone))
        .collect();
    out.series = cells.series(&plan.names, &xs);
    if spec.reference == Reference::Usual
        && spec.kind == ChartKind::Line
        && let Some(usual) = usual_levels(
            spec,
            ds,
            geometry,
            time,
            measures,
            group,
            aggregation,
            bucket,
        )?
    {
        let mut references = Vec::new();
        for s in &out.series {
            let Some(profile) = usual.get(&s.name) else {
                continue;
            };
            let points = (k0..=k1)
                .zip(&xs)
                .map(|(k, &x)| {
                    let v = profile_slot(bucket, k)
                        .and_then(|i| profile.get(i).copied())
                        .unwrap_or(f64::NAN);
                    [x, v]
                })
                .collect();
            let mut r = Series::new(format!("{} (usual)", s.name), points);
            r.usual = true;
            references.push(r);
        }
        out.series.extend(references);
    }
    if spec.kind == ChartKind::Line {
        for s in &mut out.series {
            if s.points.len() > MAX_LINE_POINTS {
                s.points = decimate::min_max_with_gaps(&s.points, MAX_LINE_POINTS / 4);
            }
        }
    }
    Ok(out)
}

/// Where a bucket falls in the week: weekday × 24 + hour for hourly
/// buckets, weekday × 24 for daily ones; longer buckets have no usual.
fn profile_slot(bucket: TimeBucket, key: i64) -> Option<usize> {
    // Keys count local hours or days since 1970-01-01, a Thursday.
    let weekday = |day: i64| (day + 3).rem_euclid(7) as usize;
    match bucket {
        TimeBucket::Auto | TimeBucket::Hour => {
            Some(weekday(key.div_euclid(24)) * 24 + key.rem_euclid(24) as usize)
        }
        TimeBucket::Day => Some(weekday(key) * 24),
        _ => None,
    }
}

/// Each series' usual level for every weekday and hour: the median of the
/// buckets in that slot over the whole dataset (filters kept, window
/// ignored), by series name. `None` when the bucket is longer than a day
/// or the whole dataset has too many buckets to hold.
#[allow(clippy::too_many_arguments)]
fn usual_levels(
    spec: &ChartSpec,
    ds: &Dataset,
    geometry: Option<&Dataset>,
    time: &Column,
    measures: &[&Column],
    group: Option<&Column>,
    aggregation: Aggregation,
    bucket: TimeBucket,
) -> Result<Option<HashMap<String, Vec<f64>>>, ChartError> {
    if profile_slot(bucket, 0).is_none() {
        return Ok(None);
    }
    let rows = selected_rows(spec, ds, TimeRange::default(), geometry)?;
    let mut clock = LocalClock::new(&ds.time_zone);
    let keys: Vec<Option<i64>> = rows
        .iter()
        .map(|&r| {
            time.timestamp_at(r as usize)
                .map(|t| bucket.key_of(&mut clock, t))
        })
        .collect();
    let (k0, k1) = keys
        .iter()
        .flatten()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    if k0 > k1 || k1 - k0 + 1 > MAX_BUCKETS {
        return Ok(None);
    }
    let slots = (k1 - k0 + 1) as usize;
    let plan = SeriesPlan::new(measures, group, &rows, spec.top_n.unwrap_or(DEFAULT_GROUPS));
    let mut cells = Cells::new(aggregation, plan.names.len(), slots);
    for (i, (&r, key)) in rows.iter().zip(&keys).enumerate() {
        if let Some(k) = key {
            plan.each(i, r as usize, |s, v| cells.add(s, (k - k0) as usize, v));
        }
    }
    let mut out = HashMap::new();
    for (s, name) in plan.names.iter().enumerate() {
        let mut by_slot: Vec<Vec<f64>> = vec![Vec::new(); 7 * 24];
        for (slot, k) in (k0..=k1).enumerate() {
            // An empty count bucket is a true zero and part of the usual.
            if let Some(v) = cells.get(s, slot)
                && let Some(p) = profile_slot(bucket, k)
                && let Some(list) = by_slot.get_mut(p)
            {
                list.push(v);
            }
        }
        let medians = by_slot
            .iter_mut()
            .map(|vs| Aggregation::Median.apply(vs).unwrap_or(f64::NAN))
            .collect();
        out.insert(name.clone(), medians);
    }
    Ok(Some(out))
}

/// A line over a numeric x (a day or index number): one point per value.
fn over_number(
    spec: &ChartSpec,
    x: &Column,
    measures: &[&Column],
    group: Option<&Column>,
    aggregation: Aggregation,
    rows: &[u32],
    y_label: String,
) -> ChartData {
    let mut out = ChartData::new(spec.kind, XAxis::Numeric(x.name.clone()), y_label);
    let plan = SeriesPlan::new(measures, group, rows, spec.top_n.unwrap_or(DEFAULT_GROUPS));
    let mut xs: Vec<f64> = rows.iter().filter_map(|&r| x.f64_at(r as usize)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    if xs.len() > MAX_BUCKETS as usize {
        // Too many distinct x values for a line: a scatter of a sample.
        xs.truncate(MAX_BUCKETS as usize);
    }
    let slot_of = |v: f64| xs.binary_search_by(|p| p.total_cmp(&v)).ok();
    let mut cells = Cells::new(aggregation, plan.names.len(), xs.len());
    for (i, &r) in rows.iter().enumerate() {
        let Some(slot) = x.f64_at(r as usize).and_then(slot_of) else {
            continue;
        };
        plan.each(i, r as usize, |s, v| cells.add(s, slot, v));
    }
    out.series = cells.series(&plan.names, &xs);
    out
}

fn by_category(
    spec: &ChartSpec,
    x: &Column,
    measures: &[&Column],
    group: Option<&Column>,
    aggregation: Aggregation,
    rows: &[u32],
    y_label: String,
) -> ChartData {
    let (cat_of_row, labels) = groups_of(x, rows, spec.top_n.unwrap_or(DEFAULT_CATEGORIES));
    let plan = SeriesPlan::new(measures, group, rows, DEFAULT_GROUPS);
    let mut cells = Cells::new(aggregation, plan.names.len(), labels.len());
    for (i, &r) in rows.iter().enumerate() {
        let Some(cat) = cat_of_row.get(i).copied().flatten() else {
            continue;
        };
        plan.each(i, r as usize, |s, v| cells.add(s, cat as usize, v));
    }
    let mut out = ChartData::new(spec.kind, XAxis::Category(labels.clone()), y_label);
    let xs: Vec<f64> = (0..labels.len()).map(|c| c as f64).collect();
    out.series = cells.series(&plan.names, &xs);
    out
}

/// An even sample of at most `max` of the rows.
fn sample(rows: &[u32], max: usize) -> impl Iterator<Item = (usize, u32)> + '_ {
    let stride = rows.len().div_ceil(max.max(1)).max(1);
    rows.iter().copied().enumerate().step_by(stride)
}

fn scatter(
    spec: &ChartSpec,
    x: &Column,
    measures: &[&Column],
    group: Option<&Column>,
    rows: &[u32],
    y_label: String,
) -> Result<ChartData, ChartError> {
    if measures.is_empty() {
        return Err(ChartError::Needs {
            kind: "scatter",
            what: "a measure for the y axis",
        });
    }
    let mut out = ChartData::new(ChartKind::Scatter, XAxis::Numeric(x.name.clone()), y_label);
    let plan = SeriesPlan::new(measures, group, rows, spec.top_n.unwrap_or(DEFAULT_GROUPS));
    out.series = sampled_series(&plan, rows, MAX_SAMPLE_POINTS, |r, v| {
        x.f64_at(r).map(|xv| [xv, v])
    });
    Ok(out)
}

/// One series of points per planned series, from an even sample of at
/// most `max` rows: `point(row, value)` places a row's value, or skips it.
fn sampled_series(
    plan: &SeriesPlan<'_>,
    rows: &[u32],
    max: usize,
    point: impl Fn(usize, f64) -> Option<[f64; 2]>,
) -> Vec<Series> {
    let mut points: Vec<Vec<[f64; 2]>> = vec![Vec::new(); plan.names.len()];
    for (i, r) in sample(rows, max) {
        plan.each(i, r as usize, |s, v| {
            if let (Some(p), Some(list)) = (point(r as usize, v), points.get_mut(s)) {
                list.push(p);
            }
        });
    }
    plan.names
        .iter()
        .zip(points)
        .map(|(name, points)| Series::new(name.clone(), points))
        .collect()
}

fn histogram(measures: &[&Column], rows: &[u32]) -> Result<ChartData, ChartError> {
    let Some(m) = measures.first() else {
        return Err(ChartError::Needs {
            kind: "histogram",
            what: "a measure",
        });
    };
    let values: Vec<f64> = rows.iter().filter_map(|&r| m.f64_at(r as usize)).collect();
    let mut out = ChartData::new(
        ChartKind::Histogram,
        XAxis::Numeric(m.name.clone()),
        "rows".to_owned(),
    );
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if values.is_empty() {
        return Ok(out);
    }
    // Integers with few values: one bin per value.
    let integral = values.iter().all(|v| v.fract() == 0.0);
    let bins = if integral && hi - lo < 50.0 {
        (hi - lo) as usize + 1
    } else {
        ((values.len() as f64).sqrt().ceil() as usize).clamp(5, 50)
    };
    let width = if integral && hi - lo < 50.0 {
        1.0
    } else {
        ((hi - lo) / bins as f64).max(f64::MIN_POSITIVE)
    };
    let start = if integral && hi - lo < 50.0 {
        lo - 0.5
    } else {
        lo
    };
    let mut counts = vec![0.0; bins];
    for v in &values {
        let b = (((v - start) / width) as usize).min(bins - 1);
        if let Some(c) = counts.get_mut(b) {
            *c += 1.0;
        }
    }
    out.bin_width = Some(width);
    out.series.push(Series::new(
        m.name.clone(),
        counts
            .into_iter()
            .enumerate()
            .map(|(b, c)| [start + (b as f64 + 0.5) * width, c])
            .collect(),
    ));
    Ok(out)
}

pub(super) const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn weekday_hour(
    ds: &Dataset,
    time: &Column,
    measures: &[&Column],
    aggregation: Aggregation,
    rows: &[u32],
    y_label: String,
) -> ChartData {
    let mut clock = LocalClock::new(&ds.time_zone);
    let mut cells = Cells::new(aggregation, 1, 7 * 24);
    let measure = measures.first();
    for &r in rows {
        let Some(t) = time.timestamp_at(r as usize) else {
            continue;
        };
        let v = match measure {
            Some(m) => match m.f64_at(r as usize) {
                Some(v) => v,
                None => continue,
            },
            None => 1.0,
        };
        cells.add(0, clock.weekday(t) * 24 + clock.hour(t), v);
    }
    let values = (0..7 * 24)
        .map(|i| cells.get(0, i).unwrap_or(f64::NAN))
        .collect();
    let mut out = ChartData::new(ChartKind::Heatmap, XAxis::None, y_label);
    out.heatmap = Some(Heatmap {
        row_labels: WEEKDAYS.iter().map(|s| (*s).to_owned()).collect(),
        column_labels: (0..24).map(|h| format!("{h:02}")).collect(),
        values,
    });
    out
}

fn correlations(measures: &[&Column], rows: &[u32]) -> Result<ChartData, ChartError> {
    if measures.len() < 2 {
        return Err(ChartError::Needs {
            kind: "correlation heatmap",
            what: "two or more measures (or a time x axis for weekday × hour)",
        });
    }
    let k = measures.len();
    let mut values = vec![f64::NAN; k * k];
    for a in 0..k {
        for b in a..k {
            let r = pearson(measures[a], measures[b], rows);
            values[a * k + b] = r;
            values[b * k + a] = r;
        }
    }
    let names: Vec<String> = measures.iter().map(|m| m.name.clone()).collect();
    let mut out = ChartData::new(ChartKind::Heatmap, XAxis::None, "correlation".to_owned());
    out.heatmap = Some(Heatmap {
        row_labels: names.clone(),
        column_labels: names,
        values,
    });
    Ok(out)
}

/// Pearson's r over the rows where both have a value; NaN without spread.
fn pearson(a: &Column, b: &Column, rows: &[u32]) -> f64 {
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &r in rows {
        if let (Some(x), Some(y)) = (a.f64_at(r as usize), b.f64_at(r as usize)) {
            n += 1.0;
            sa += x;
            sb += y;
            saa += x * x;
            sbb += y * y;
            sab += x * y;
        }
    }
    let cov = sab - sa * sb / n;
    let va = saa - sa * sa / n;
    let vb = sbb - sb * sb / n;
    if n < 2.0 || va <= 0.0 || vb <= 0.0 {
        return f64::NAN;
    }
    (cov / (va * vb).sqrt()).clamp(-1.0, 1.0)
}

fn map_points(
    spec: &ChartSpec,
    ds: &Dataset,
    group: Option<&Column>,
    rows: &[u32],
) -> Result<ChartData, ChartError> {
    let (Some(lat), Some(lon)) = (
        ds.column_for(Role::Latitude),
        ds.column_for(Role::Longitude),
    ) else {
        return Err(ChartError::Needs {
            kind: "map",
            what: "latitude and longitude columns",
        });
    };
    let mut out = ChartData::new(ChartKind::MapPoints, XAxis::Map, "latitude".to_owned());
    let plan = SeriesPlan::new(&[], group, rows, spec.top_n.unwrap_or(DEFAULT_GROUPS));
    // Coordinates outside longitude/latitude ranges, and 0,0 (a common
    // placeholder for "unknown"), are not places.
    // Readings of a sensor repeat its place: one dot per place, every place
    // when there are few, else an even sample of the rows.
    let mut places: Vec<std::collections::HashSet<(u64, u64)>> =
        vec![std::collections::HashSet::new(); plan.names.len()];
    let mut total = 0;
    for (i, &r) in rows.iter().enumerate() {
        let Some(p) = map::lonlat_at(lon, lat, r as usize) else {
            continue;
        };
        plan.each(i, r as usize, |s, _| {
            if let Some(set) = places.get_mut(s)
                && set.insert((p[0].to_bits(), p[1].to_bits()))
            {
                total += 1;
            }
        });
        if total > MAX_MAP_POINTS {
            break;
        }
    }
    out.series = if total <= MAX_MAP_POINTS {
        plan.names
            .iter()
            .zip(places)
            .map(|(name, set)| {
                let points = set
                    .into_iter()
                    .map(|(x, y)| [f64::from_bits(x), f64::from_bits(y)])
                    .collect();
                Series::new(name.clone(), points)
            })
            .collect()
    } else {
        sampled_series(&plan, rows, MAX_MAP_POINTS, |r, _| {
            map::lonlat_at(lon, lat, r)
        })
    };
    for s in &mut out.series {
        s.points
            .sort_unstable_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        s.points.dedup();
    }
    Ok(out)
}

fn kpi(
    spec: &ChartSpec,
    ds: &Dataset,
    x: Option<&Column>,
    measures: &[&Column],
    aggregation: Aggregation,
    rows: &[u32],
    y_label: String,
) -> Result<ChartData, ChartError> {
    let time = x
        .filter(|c| c.kind() == ColumnKind::Timestamp)
        .or_else(|| ds.time_column())
        .ok_or(ChartError::Needs {
            kind: "key figure",
            what: "a time column",
        })?;
    let line_spec = ChartSpec {
        kind: ChartKind::Line,
        group: None,
        ..spec.clone()
    };
    let line = over_time(
        &line_spec,
        ds,
        None,
        time,
        measures.get(..1).unwrap_or_default(),
        None,
        aggregation,
        rows,
        y_label.clone(),
    )?;
    Ok(kpi_of_line(&line, y_label))
}

/// A key figure from a measure's line over time: its latest bucket, and
/// the median of the buckets before it as the usual level.
pub(super) fn kpi_of_line(line: &ChartData, y_label: String) -> ChartData {
    let mut out = ChartData::new(ChartKind::Kpi, XAxis::None, y_label);
    out.bucket = line.bucket;
    if let Some(s) = line.series.first() {
        let valued: Vec<[f64; 2]> = s
            .points
            .iter()
            .copied()
            .filter(|p| p[1].is_finite())
            .collect();
        if let Some((last, before)) = valued.split_last() {
            let mut history: Vec<f64> = before
                .iter()
                .rev()
                .take(KPI_HISTORY)
                .map(|p| p[1])
                .collect();
            out.kpi = Some(Kpi {
                latest: last[1],
                at: last[0],
                usual: Aggregation::Median.apply(&mut history),
            });
        }
        out.series.push(s.clone());
    }
    out
}

fn table(
    spec: &ChartSpec,
    x: Option<&Column>,
    measures: &[&Column],
    group: Option<&Column>,
    aggregation: Aggregation,
    rows: &[u32],
    y_label: String,
) -> ChartData {
    let key = group.or(x);
    let (of_row, labels) = match key {
        Some(k) => groups_of(k, rows, spec.top_n.unwrap_or(DEFAULT_CATEGORIES)),
        None => (vec![Some(0); rows.len()], vec!["all".to_owned()]),
    };
    let plan = SeriesPlan::new(measures, None, rows, DEFAULT_GROUPS);
    let mut cells = Cells::new(aggregation, plan.names.len(), labels.len());
    for (i, &r) in rows.iter().enumerate() {
        if let Some(g) = of_row.get(i).copied().flatten() {
            plan.each(i, r as usize, |s, v| cells.add(s, g as usize, v));
        }
    }
    let mut columns = vec![key.map_or_else(|| "rows".to_owned(), |k| k.name.clone())];
    columns.extend(
        plan.names
            .iter()
            .map(|n| format!("{} of {n}", aggregation.key())),
    );
    let rows_out = labels
        .iter()
        .enumerate()
        .map(|(g, label)| {
            let mut row = vec![label.clone()];
            for s in 0..plan.names.len() {
                row.push(cells.get(s, g).map_or_else(String::new, format_value));
            }
            row
        })
        .collect();
    let mut out = ChartData::new(ChartKind::Table, XAxis::None, y_label);
    out.table = Some(TableData {
        columns,
        rows: rows_out,
    });
    out
}

/// A number for a table cell: integers as integers, others to 4 significant digits.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let digits = (4 - v.abs().log10().floor() as i32 - 1).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Source, Table};
    use jiff::tz::TimeZone;

    fn dataset(columns: Vec<Column>, tz: &str) -> Dataset {
        Dataset::from_table(
            "t",
            Source::Derived("test".to_owned()),
            Table::new(columns).unwrap(),
            TimeZone::get(tz).unwrap(),
        )
    }

    fn ts(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
    }

    fn spec(kind: ChartKind, x: &str, measures: &[&str], aggregation: Aggregation) -> ChartSpec {
        ChartSpec {
            kind,
            x: Some(x.to_owned()),
            measures: measures.iter().map(|m| (*m).to_owned()).collect(),
            aggregation,
            ..ChartSpec::default()
        }
    }

    #[test]
    fn monthly_rows_by_district_are_bucketed_by_month() {
        // 12 months x 4 districts: 48 rows but 12 instants.
        let mut times = Vec::new();
        let mut places = Vec::new();
        let mut values = Vec::new();
        for m in 1..=12 {
            for d in ["North", "South", "East", "West"] {
                times.push(ts(&format!("2023-{m:02}-01T00:00:00Z")));
                places.push(d);
                values.push(f64::from(m));
            }
        }
        let ds = dataset(
            vec![
                Column::from_timestamps("month", times),
                Column::categorical("district", &places),
                Column::from_f64("casualties", values),
            ],
            "UTC",
        );
        let mut s = spec(ChartKind::Line, "month", &["casualties"], Aggregation::Sum);
        s.group = Some("district".to_owned());
        let d = compute(&s, &ds, TimeRange::default(), &()).unwrap();
        assert_eq!(d.bucket, Some(TimeBucket::Month));
        // One point per month per district: a line, not scattered dots.
        assert!(
            d.series.iter().all(|s| s.points.len() == 12),
            "{:?}",
            d.series
        );
    }

    #[test]
    fn the_usual_is_the_median_of_the_same_weekday_and_hour_over_the_whole_table() {
        // Three Mondays (2026-05-04, 11, 18) at 08:00 and 09:00 local time
        // in Chicago, with one Tuesday reading that must not count.
        let rows = [
            ("2026-05-04T08:00:00-05:00", 10.0),
            ("2026-05-04T09:00:00-05:00", 1.0),
            ("2026-05-11T08:00:00-05:00", 30.0),
            ("2026-05-11T09:00:00-05:00", 3.0),
            ("2026-05-12T08:00:00-05:00", 500.0),
            ("2026-05-18T08:00:00-05:00", 20.0),
            ("2026-05-18T09:00:00-05:00", 9.0),
        ];
        let ds = dataset(
            vec![
                Column::from_timestamps("time", rows.iter().map(|r| ts(r.0)).collect()),
                Column::from_f64("speed", rows.iter().map(|r| r.1).collect()),
            ],
            "America/Chicago",
        );
        let mut s = spec(ChartKind::Line, "time", &["speed"], Aggregation::Mean);
        s.bucket = TimeBucket::Hour;
        s.reference = Reference::Usual;
        // The window holds only the last Monday morning.
        let window = TimeRange {
            start: Some(ts("2026-05-18T08:00:00-05:00")),
            end: Some(ts("2026-05-18T09:30:00-05:00")),
        };
        let d = compute(&s, &ds, window, &()).unwrap();
        assert_eq!(d.series.len(), 2, "{:?}", d.series);
        assert!(!d.series[0].usual);
        let usual = &d.series[1];
        assert!(usual.usual);
        assert_eq!(usual.name, "speed (usual)");
        // 08:00: median of 10, 30, 20 = 20 (the Tuesday's 500 is another
        // slot); 09:00: median of 1, 3, 9 = 3.
        let ys: Vec<f64> = usual.points.iter().map(|p| p[1]).collect();
        assert_eq!(ys, [20.0, 3.0]);
        assert_eq!(usual.points[0][0], d.series[0].points[0][0]);
        // Without the reference there is no second series.
        s.reference = Reference::None;
        assert_eq!(compute(&s, &ds, window, &()).unwrap().series.len(), 1);
    }

    #[test]
    fn daily_aggregates_by_hand_with_an_empty_day_as_a_gap() {
        // Three days in UTC; the 2nd has no readings.
        let times = [
            "2026-05-01T01:00:00Z",
            "2026-05-01T05:00:00Z",
            "2026-05-01T09:00:00Z",
            "2026-05-03T02:00:00Z",
            "2026-05-03T03:00:00Z",
        ]
        .map(ts);
        let ds = dataset(
            vec![
                Column::from_timestamps("time", times.to_vec()),
                Column::from_f64("speed", vec![10.0, 20.0, 60.0, 5.0, 7.0]),
            ],
            "UTC",
        );
        let run = |a: Aggregation| {
            let mut s = spec(ChartKind::Line, "time", &["speed"], a);
            s.bucket = TimeBucket::Day;
            compute(&s, &ds, TimeRange::default(), &()).unwrap()
        };
        let ys = |d: &ChartData| d.series[0].points.iter().map(|p| p[1]).collect::<Vec<_>>();
        let mean = run(Aggregation::Mean);
        assert_eq!(mean.series[0].points.len(), 3);
        assert_eq!(
            mean.series[0].points[0][0],
            ts("2026-05-01T00:00:00Z") as f64 / 1e6
        );
        let y = ys(&mean);
        assert_eq!(y[0], 30.0);
        assert!(y[1].is_nan(), "the empty day is a gap, not a zero");
        assert_eq!(y[2], 6.0);
        assert_eq!(mean.series[0].missing(), 1);
        assert_eq!(ys(&run(Aggregation::Sum))[0], 90.0);
        assert_eq!(ys(&run(Aggregation::Median))[0], 20.0);
        assert_eq!(ys(&run(Aggregation::Min))[2], 5.0);
        assert_eq!(ys(&run(Aggregation::Max))[0], 60.0);
        assert_eq!(ys(&run(Aggregation::P95))[0], 60.0);
        // Counts: an empty day is a true zero.
        let mut count = spec(ChartKind::Bar, "time", &[], Aggregation::Mean);
        count.bucket = TimeBucket::Day;
        let c = compute(&count, &ds, TimeRange::default(), &()).unwrap();
        assert_eq!(ys(&c), vec![3.0, 0.0, 2.0]);
        assert_eq!(c.y_label, "rows");
    }

    #[test]
    fn days_are_local_days_across_a_daylight_saving_change() {
        // Chicago, 2026-03-08 (23 h). 05:30Z is 23:30 on the 7th; 06:30Z is
        // 00:30 on the 8th; 04:30Z on the 9th is 23:30 on the 8th.
        let ds = dataset(
            vec![
                Column::from_timestamps(
                    "time",
                    vec![
                        ts("2026-03-08T05:30:00Z"),
                        ts("2026-03-08T06:30:00Z"),
                        ts("2026-03-09T04:30:00Z"),
                    ],
                ),
                Column::from_f64("v", vec![1.0, 2.0, 4.0]),
            ],
            "America/Chicago",
        );
        let mut s = spec(ChartKind::Line, "time", &["v"], Aggregation::Sum);
        s.bucket = TimeBucket::Day;
        let d = compute(&s, &ds, TimeRange::default(), &()).unwrap();
        let p = &d.series[0].points;
        assert_eq!(p.len(), 2);
        assert_eq!(p[0][1], 1.0);
        assert_eq!(p[1][1], 6.0, "both readings of the 8th, local time");
        assert_eq!(p[1][0] - p[0][0], 24.0 * 3600.0, "the 7th is 24 h");
    }

    #[test]
    fn categories_keep_the_top_n_and_put_the_rest_in_other() {
        let names = ["a", "a", "a", "b", "b", "c", "d", "e"];
        let ds = dataset(
            vec![
                Column::categorical("kind", &names),
                Column::from_f64("x", vec![1.0; 8]),
            ],
            "UTC",
        );
        let mut s = spec(ChartKind::Bar, "kind", &[], Aggregation::Count);
        s.top_n = Some(2);
        let d = compute(&s, &ds, TimeRange::default(), &()).unwrap();
        assert_eq!(
            d.x,
            XAxis::Category(vec!["a".to_owned(), "b".to_owned(), "other".to_owned()])
        );
        let ys: Vec<f64> = d.series[0].points.iter().map(|p| p[1]).collect();
        assert_eq!(ys, vec![3.0, 2.0, 3.0]);
    }

    #[test]
    fn nonsense_is_refused_with_the_reason() {
        let ds = dataset(
            vec![
                Column::categorical("kind", &["a", "b"]),
                Column::from_f64("x", vec![1.0, 2.0]),
            ],
            "UTC",
        );
        let err = compute(
            &spec(ChartKind::Bar, "kind", &["kind"], Aggregation::Sum),
            &ds,
            TimeRange::default(),
            &(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "column 'kind' holds categorical values, so it cannot be a measure. Choose a numeric column, or the count of rows"
        );
        let err = compute(
            &spec(ChartKind::Line, "nope", &[], Aggregation::Count),
            &ds,
            TimeRange::default(),
            &(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("the columns are: kind, x"),
            "{err}"
        );
    }

    #[test]
    fn years_one_to_9999_with_hourly_buckets_are_refused_not_allocated() {
        let ds = dataset(
            vec![
                Column::from_timestamps(
                    "time",
                    vec![ts("0001-01-01T00:00:00Z"), ts("9999-12-30T00:00:00Z")],
                ),
                Column::from_f64("v", vec![1.0, 2.0]),
            ],
            "UTC",
        );
        let mut s = spec(ChartKind::Line, "time", &["v"], Aggregation::Mean);
        s.bucket = TimeBucket::Hour;
        let err = compute(&s, &ds, TimeRange::default(), &()).unwrap_err();
        assert!(matches!(err, ChartError::TooManyBuckets { .. }), "{err}");
        s.bucket = TimeBucket::Auto;
        let d = compute(&s, &ds, TimeRange::default(), &()).unwrap();
        assert_eq!(d.bucket, Some(TimeBucket::Year));
        // 9,999 yearly buckets, decimated: the two readings with a gap between.
        assert_eq!(d.series[0].drawn(), 2);
        assert!(d.series[0].points.len() <= MAX_LINE_POINTS);
        assert!(d.series[0].points.iter().any(|p| p[1].is_nan()));
    }

    #[test]
    fn histograms_weekday_hour_and_correlations() {
        let n = 200;
        let xs: Vec<f64> = (0..n).map(f64::from).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 2.0 * x + 1.0).collect();
        let zs: Vec<f64> = xs.iter().map(|x| -x).collect();
        let times: Vec<i64> = (0..n)
            .map(|h| ts("2026-05-04T00:00:00Z") + i64::from(h) * 3_600_000_000)
            .collect();
        let ds = dataset(
            vec![
                Column::from_timestamps("time", times),
                Column::from_f64("x", xs),
                Column::from_f64("y", ys),
                Column::from_f64("z", zs),
            ],
            "UTC",
        );
        let h = compute(
            &ChartSpec {
                kind: ChartKind::Histogram,
                measures: vec!["x".to_owned()],
                ..ChartSpec::default()
            },
            &ds,
            TimeRange::default(),
            &(),
        )
        .unwrap();
        let total: f64 = h.series[0].points.iter().map(|p| p[1]).sum();
        assert_eq!(total, 200.0);
        let c = compute(
            &ChartSpec {
                kind: ChartKind::Heatmap,
                measures: vec!["x".to_owned(), "y".to_owned(), "z".to_owned()],
                ..ChartSpec::default()
            },
            &ds,
            TimeRange::default(),
            &(),
        )
        .unwrap();
        let v = &c.heatmap.unwrap().values;
        assert!((v[1] - 1.0).abs() < 1e-12 && (v[2] + 1.0).abs() < 1e-12);
        // 2026-05-04 was a Monday: hour 0 of Monday has readings 0 and 168.
        let w = compute(
            &spec(ChartKind::Heatmap, "time", &["x"], Aggregation::Mean),
            &ds,
            TimeRange::default(),
            &(),
        )
        .unwrap();
        let hm = w.heatmap.unwrap();
        assert_eq!(hm.values[0], 84.0);
        assert_eq!(hm.values.len(), 168);
    }

    #[test]
    fn filters_and_the_window_select_rows() {
        let ds = dataset(
            vec![
                Column::from_timestamps(
                    "time",
                    vec![
                        ts("2026-05-01T00:00:00Z"),
                        ts("2026-05-02T00:00:00Z"),
                        ts("2026-05-03T00:00:00Z"),
                    ],
                ),
                Column::categorical("road", &["A", "B", "A"]),
                Column::from_f64("v", vec![1.0, 2.0, 3.0]),
            ],
            "UTC",
        );
        let mut s = spec(ChartKind::Table, "road", &["v"], Aggregation::Sum);
        s.filters = vec![Filter::Range {
            column: "v".to_owned(),
            min: Some(1.5),
            max: None,
        }];
        let window = TimeRange {
            start: Some(ts("2026-05-02T00:00:00Z")),
            end: None,
        };
        let d = compute(&s, &ds, window, &()).unwrap();
        assert_eq!(d.rows_used, 2);
        let t = d.table.unwrap();
        assert_eq!(t.rows, vec![vec!["A", "3"], vec!["B", "2"]]);
    }
}
