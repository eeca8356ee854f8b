//! The charts suggested for a table, from its columns' roles and values:
//! each measure over time (grouped by a place or category of at most 12
//! values), rows over time for event lists, a weekday × hour profile for
//! hourly data, key figures, counts by category, distributions, a map of
//! points, the correlations of three or more measures, and before/after
//! for a 0/1 column that marks an intervention. Ids, free text and
//! constant columns are never charted.

use std::collections::HashSet;

use super::{Aggregation, ChartKind, ChartSpec};
use crate::data::timeseries::{MICROS_PER_DAY, MICROS_PER_HOUR};
use crate::data::{Column, ColumnKind, ColumnValues, Dataset, Measure, Role};

/// The most charts suggested for one table.
const MAX_CHARTS: usize = 12;
/// A group column has at most this many values; a category at most 200.
pub(super) const MAX_GROUP_VALUES: usize = 12;
const MAX_CATEGORY_VALUES: usize = 200;

/// Distinct present values of a column, counted up to `cap + 1`.
pub(super) fn distinct(col: &Column, cap: usize) -> usize {
    match &col.values {
        ColumnValues::Categorical { codes, dictionary } => {
            let mut seen = vec![false; dictionary.len()];
            let mut n = 0;
            for (r, &c) in codes.iter().enumerate() {
                if col.is_valid(r)
                    && let Some(s) = seen.get_mut(c as usize)
                    && !*s
                {
                    *s = true;
                    n += 1;
                }
            }
            n
        }
        ColumnValues::Bool(_) => 2,
        ColumnValues::Integer(v) => {
            let mut seen = HashSet::new();
            for (r, x) in v.iter().enumerate() {
                if col.is_valid(r) {
                    seen.insert(*x);
                    if seen.len() > cap {
                        break;
                    }
                }
            }
            seen.len()
        }
        _ => cap + 1,
    }
}

/// Whether a numeric column has at least two different values.
pub(super) fn varies(col: &Column) -> bool {
    let mut first = None;
    for r in 0..col.len() {
        if let Some(v) = col.f64_at(r) {
            match first {
                None => first = Some(v),
                Some(f) if f != v => return true,
                _ => {}
            }
        }
    }
    false
}

/// A 0/1 column: booleans, or integers that are only 0 and 1.
fn is_flag(col: &Column) -> bool {
    match &col.values {
        ColumnValues::Bool(_) => varies(col),
        ColumnValues::Integer(v) => {
            v.iter()
                .enumerate()
                .all(|(r, &x)| !col.is_valid(r) || x == 0 || x == 1)
                && varies(col)
        }
        _ => false,
    }
}

/// Whether the timestamps are about hourly (most steps between distinct
/// consecutive times at most an hour) and span two days or more.
pub(super) fn hourly(time: &Column) -> bool {
    let ColumnValues::Timestamp(v) = &time.values else {
        return false;
    };
    let mut ts: Vec<i64> = v
        .iter()
        .enumerate()
        .filter(|&(r, _)| time.is_valid(r))
        .map(|(_, &t)| t)
        .step_by((v.len() / 200_000).max(1))
        .collect();
    ts.sort_unstable();
    ts.dedup();
    let (Some(&lo), Some(&hi)) = (ts.first(), ts.last()) else {
        return false;
    };
    if hi - lo < 2 * MICROS_PER_DAY {
        return false;
    }
    let small = ts
        .windows(2)
        .filter(|w| w[1] - w[0] <= MICROS_PER_HOUR)
        .count();
    small * 2 >= ts.len()
}

pub(super) fn pretty(name: &str) -> String {
    name.replace('_', " ")
}

/// A title as a sentence: its first letter upper case.
pub(super) fn sentence(title: &str) -> String {
    let mut chars = title.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The suggested charts for a dataset, most useful first.
pub fn suggest(ds: &Dataset) -> Vec<ChartSpec> {
    let cols = &ds.table.columns;
    let role = |i: usize| ds.schema.roles.get(i).copied().unwrap_or(Role::Other);
    let name = |i: usize| cols.get(i).map_or_else(String::new, |c| c.name.clone());
    let time = ds.schema.find(Role::Time).filter(|&i| {
        cols.get(i)
            .is_some_and(|c| c.kind() == ColumnKind::Timestamp)
    });
    // Measures: numbers that mean an amount (named measures first).
    let mut measures: Vec<usize> = (0..cols.len())
        .filter(|&i| {
            matches!(role(i), Role::Measure(_) | Role::Count | Role::Rating)
                && cols
                    .get(i)
                    .is_some_and(|c| c.kind().is_numeric() && varies(c) && !is_flag(c))
        })
        .collect();
    measures.sort_by_key(|&i| matches!(role(i), Role::Measure(Measure::Other)));
    // Categories: places and kinds with a few values (never ids or text).
    // Times of day and dates kept as text ("CRASH TIME", "Time Local") are
    // not categories: the time axis covers them.
    let timeish = |i: usize| {
        let n = name(i).to_lowercase();
        n.contains("time") || n.contains("date")
    };
    let categories: Vec<(usize, usize)> = (0..cols.len())
        .filter(|&i| matches!(role(i), Role::PlaceId | Role::Category | Role::Item) && !timeish(i))
        .filter_map(|i| {
            let c = cols.get(i)?;
            let n = distinct(c, MAX_CATEGORY_VALUES);
            (2..=MAX_CATEGORY_VALUES).contains(&n).then_some((i, n))
        })
        .collect();
    let group = categories
        .iter()
        .filter(|&&(_, n)| n <= MAX_GROUP_VALUES)
        .min_by_key(|&&(i, n)| (role(i) != Role::PlaceId, n))
        .map(|&(i, _)| i);
    let flags: Vec<usize> = (0..cols.len())
        .filter(|&i| {
            !matches!(
                role(i),
                Role::Id | Role::Time | Role::Latitude | Role::Longitude
            ) && cols.get(i).is_some_and(is_flag)
        })
        .collect();
    let mut out: Vec<ChartSpec> = Vec::new();
    let base = ChartSpec {
        dataset: ds.name.clone(),
        ..ChartSpec::default()
    };

    if let Some(t) = time {
        // Each measure over time, grouped by a place or category.
        for &m in measures.iter().take(4) {
            out.push(ChartSpec {
                title: match group {
                    Some(g) => format!("{} over time by {}", pretty(&name(m)), pretty(&name(g))),
                    None => format!("{} over time", pretty(&name(m))),
                },
                kind: ChartKind::Line,
                x: Some(name(t)),
                measures: vec![name(m)],
                group: group.map(&name),
                aggregation: if role(m) == Role::Count {
                    Aggregation::Sum
                } else {
                    Aggregation::Mean
                },
                ..base.clone()
            });
        }
        // Rows over time: an event list (or any table) counted per bucket.
        if measures.is_empty() || ds.domain.key() == "safety" || ds.domain.key() == "reports" {
            out.push(ChartSpec {
                title: "Rows over time".to_owned(),
                kind: ChartKind::Bar,
                x: Some(name(t)),
                aggregation: Aggregation::Count,
                ..base.clone()
            });
        }
        if cols.get(t).is_some_and(hourly) {
            let m = measures.first().copied();
            out.push(ChartSpec {
                title: match m {
                    Some(m) => format!("{} by weekday and hour", pretty(&name(m))),
                    None => "Rows by weekday and hour".to_owned(),
                },
                kind: ChartKind::Heatmap,
                x: Some(name(t)),
                measures: m.map(&name).into_iter().collect(),
                aggregation: if m.is_some() {
                    Aggregation::Mean
                } else {
                    Aggregation::Count
                },
                ..base.clone()
            });
        }
        for &m in measures.iter().take(2) {
            out.push(ChartSpec {
                title: format!("Latest {}", pretty(&name(m))),
                kind: ChartKind::Kpi,
                x: Some(name(t)),
                measures: vec![name(m)],
                ..base.clone()
            });
        }
    } else if let Some(ix) = (0..cols.len()).find(|&i| {
        let words = name(i).to_lowercase();
        cols.get(i).is_some_and(|c| c.kind() == ColumnKind::Integer)
            && ["day", "index", "week", "month", "year", "period", "step"]
                .iter()
                .any(|w| words.contains(w))
    }) {
        // A day or index number as the x axis.
        for &m in measures.iter().filter(|&&m| m != ix).take(3) {
            out.push(ChartSpec {
                title: format!("{} by {}", pretty(&name(m)), pretty(&name(ix))),
                kind: ChartKind::Line,
                x: Some(name(ix)),
                measures: vec![name(m)],
                ..base.clone()
            });
        }
    }
    // Before and after a 0/1 column that marks an intervention.
    if let (Some(&f), Some(&m)) = (flags.first(), measures.first()) {
        out.push(ChartSpec {
            title: format!("{} by {}", pretty(&name(m)), pretty(&name(f))),
            kind: ChartKind::Bar,
            x: Some(name(f)),
            measures: vec![name(m)],
            ..base.clone()
        });
    }
    // Counts by category.
    for &(c, _) in categories.iter().take(3) {
        out.push(ChartSpec {
            title: format!("Rows by {}", pretty(&name(c))),
            kind: ChartKind::Bar,
            x: Some(name(c)),
            aggregation: Aggregation::Count,
            top_n: Some(20),
            ..base.clone()
        });
    }
    if let Some(shapes) = ds.geometry.as_deref()
        && !(ds.column_for(Role::Latitude).is_some() && ds.column_for(Role::Longitude).is_some())
    {
        // A GeoJSON of districts or roads: its own shapes, coloured by its
        // first measure, first of all.
        let polygons = shapes.iter().any(|s| !s.polygons.is_empty());
        out.insert(
            0,
            ChartSpec {
                title: match measures.first() {
                    Some(&m) => format!("Map of {}", pretty(&name(m))),
                    None => format!("Map of {}", pretty(&ds.name)),
                },
                kind: ChartKind::MapPoints,
                measures: measures.first().map(|&m| name(m)).into_iter().collect(),
                layer: if polygons {
                    super::MapLayer::Choropleth
                } else {
                    super::MapLayer::Lines
                },
                ..base.clone()
            },
        );
    }
    if ds.geometry.is_none() && super::map::segment_columns(ds).is_some() {
        // Road segments by their start and end: drawn as lines, coloured
        // by the speed when the table has one, else its first measure.
        let by = measures
            .iter()
            .find(|&&m| name(m).to_ascii_lowercase().contains("speed"))
            .or(measures.first())
            .map(|&m| name(m));
        out.insert(
            0,
            ChartSpec {
                title: match &by {
                    Some(m) => format!("Road segments by {}", pretty(m)),
                    None => "Road segments".to_owned(),
                },
                kind: ChartKind::MapPoints,
                measures: by.into_iter().collect(),
                layer: super::MapLayer::Lines,
                ..base.clone()
            },
        );
    }
    if ds.column_for(Role::Latitude).is_some() && ds.column_for(Role::Longitude).is_some() {
        out.push(ChartSpec {
            title: "Where".to_owned(),
            kind: ChartKind::MapPoints,
            group: categories
                .iter()
                .find(|&&(i, n)| n <= MAX_GROUP_VALUES && role(i) == Role::Category)
                .map(|&(i, _)| name(i)),
            ..base.clone()
        });
    }
    for &m in measures.iter().take(3) {
        out.push(ChartSpec {
            title: format!("Distribution of {}", pretty(&name(m))),
            kind: ChartKind::Histogram,
            measures: vec![name(m)],
            aggregation: Aggregation::Count,
            ..base.clone()
        });
    }
    if measures.len() >= 3 {
        out.push(ChartSpec {
            title: "Correlations".to_owned(),
            kind: ChartKind::Heatmap,
            measures: measures.iter().take(8).map(|&m| name(m)).collect(),
            ..base.clone()
        });
    }
    out.truncate(MAX_CHARTS);
    for s in &mut out {
        s.title = sentence(&s.title);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::compute;
    use crate::data::csv_load::LoadOptions;
    use crate::data::timeseries::TimeRange;

    #[test]
    fn every_real_layout_fixture_gets_three_charts_and_none_on_an_id() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let opts = LoadOptions {
            time_zone: Some(jiff::tz::TimeZone::UTC),
            ..LoadOptions::default()
        };
        let mut checked = 0;
        for name in [
            "chicago_congestion_segments.csv",
            "epa_hourly.csv",
            "epa_hourly_multi.csv",
            "incidents_us.csv",
            "nyc_311_requests.csv",
            "nyc_collisions.csv",
            "sf_police_incidents.csv",
            "air_quality_eu.csv",
            "ratings_movielens.csv",
        ] {
            let ds = crate::data::load_dataset(&dir.join(name), &opts, &()).unwrap();
            let specs = suggest(&ds);
            assert!(specs.len() >= 3, "{name}: {specs:#?}");
            for s in &specs {
                for col in s.x.iter().chain(&s.measures).chain(&s.group) {
                    let i = ds
                        .table
                        .columns
                        .iter()
                        .position(|c| &c.name == col)
                        .unwrap();
                    assert_ne!(
                        ds.schema.roles[i],
                        Role::Id,
                        "{name}: {} on id {col}",
                        s.title
                    );
                }
                // Every suggestion computes.
                let data = compute(s, &ds, TimeRange::default(), &())
                    .unwrap_or_else(|e| panic!("{name}: {}: {e}", s.title));
                assert!(data.rows_used > 0, "{name}: {}", s.title);
            }
            checked += 1;
        }
        assert_eq!(checked, 9);
    }
}
