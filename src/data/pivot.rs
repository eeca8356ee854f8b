//! Long to wide: one row per key (time and station, say) and one column per
//! value of a name column (EPA's `Parameter Name`: Ozone, PM2.5, NO2 …),
//! holding the value column's readings — the layout the dashboard's views
//! read. Several readings for one key and name (two instruments at a site)
//! are averaged, and counted.

use std::collections::HashMap;

use super::Progress;
use super::table::{Column, ColumnValues, Table};

/// At most this many new columns: a name column with more distinct values
/// is not a list of measures.
pub const MAX_NEW_COLUMNS: usize = 200;

/// Which columns play which part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PivotSpec {
    /// The columns that identify a row of the result.
    pub keys: Vec<usize>,
    /// The column whose values become column names.
    pub names: usize,
    /// The numeric column whose values fill the new columns.
    pub values: usize,
}

#[derive(Debug)]
pub struct Pivoted {
    pub table: Table,
    /// Cells that got more than one reading (and hold their mean).
    pub averaged_cells: usize,
    /// Rows left out because their name or value was missing.
    pub skipped_rows: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PivotError {
    #[error("the table has no column number {0}")]
    NoSuchColumn(usize),
    #[error("choose at least one key column (the time and the station, for example)")]
    NoKeys,
    #[error("'{0}' cannot be both a key and the names or values column; choose different columns")]
    Overlap(String),
    #[error("the values column '{0}' is not numeric; choose a column of numbers")]
    NotNumeric(String),
    #[error(
        "the names column '{0}' holds numbers or times; choose a column of labels (a parameter or pollutant name)"
    )]
    NamesNotLabels(String),
    #[error(
        "'{column}' has more than {MAX_NEW_COLUMNS} different values; a pivot makes one column per value, at most {MAX_NEW_COLUMNS}. Choose a column that names measures"
    )]
    TooManyNames { column: String },
    #[error("no row has both a name and a value to pivot")]
    Empty,
    #[error("cancelled")]
    Cancelled,
}

impl super::Blame for PivotError {
    fn is_user_input(&self) -> bool {
        !matches!(self, Self::Cancelled)
    }
}

/// A hashable stand-in for one cell of a key column.
fn key_part(col: &Column, row: usize, text_ids: &mut HashMap<String, u64>) -> u64 {
    if !col.is_valid(row) {
        return u64::MAX;
    }
    match &col.values {
        ColumnValues::Integer(v) | ColumnValues::Timestamp(v) => {
            v.get(row).map_or(0, |&x| x as u64)
        }
        ColumnValues::Float(v) => v.get(row).map_or(0, |x| x.to_bits()),
        ColumnValues::Bool(v) => u64::from(v.get(row).copied().unwrap_or(false)),
        ColumnValues::Categorical { codes, .. } => codes.get(row).map_or(0, |&c| u64::from(c)),
        ColumnValues::Text(v) => {
            let s = v.get(row).unwrap_or("");
            let next = text_ids.len() as u64;
            *text_ids.entry(s.to_owned()).or_insert(next)
        }
    }
}

/// Turns `table` from long to wide as `spec` says: the key columns (values
/// of each key's first row), then one float column per name, in order of
/// first appearance.
pub fn pivot_wider(
    table: &Table,
    spec: &PivotSpec,
    progress: &dyn Progress,
) -> Result<Pivoted, PivotError> {
    let col = |i: usize| table.columns.get(i).ok_or(PivotError::NoSuchColumn(i));
    if spec.keys.is_empty() {
        return Err(PivotError::NoKeys);
    }
    let names = col(spec.names)?;
    let values = col(spec.values)?;
    for &k in &spec.keys {
        let c = col(k)?;
        if k == spec.names || k == spec.values {
            return Err(PivotError::Overlap(c.name.clone()));
        }
    }
    if spec.names == spec.values {
        return Err(PivotError::Overlap(names.name.clone()));
    }
    if !values.kind().is_numeric() {
        return Err(PivotError::NotNumeric(values.name.clone()));
    }
    if !matches!(
        names.values,
        ColumnValues::Categorical { .. } | ColumnValues::Text(_)
    ) {
        return Err(PivotError::NamesNotLabels(names.name.clone()));
    }
    // The new columns, in order of first appearance.
    let mut name_index: HashMap<&str, usize> = HashMap::new();
    let mut new_names: Vec<&str> = Vec::new();
    for r in 0..table.n_rows() {
        if let Some(n) = names.str_at(r)
            && !name_index.contains_key(n)
        {
            if new_names.len() == MAX_NEW_COLUMNS {
                // Stop counting: a free-text column could have millions.
                return Err(PivotError::TooManyNames {
                    column: names.name.clone(),
                });
            }
            name_index.insert(n, new_names.len());
            new_names.push(n);
        }
    }
    let keys: Vec<&Column> = spec
        .keys
        .iter()
        .filter_map(|&k| table.columns.get(k))
        .collect();
    let mut text_ids = HashMap::new();
    let mut row_of_key: HashMap<Vec<u64>, usize> = HashMap::new();
    let mut first_rows: Vec<usize> = Vec::new();
    // Sums and counts per (result row, name).
    let mut sums: Vec<f64> = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    let width = new_names.len();
    let mut skipped_rows = 0;
    let mut key = Vec::with_capacity(keys.len());
    for r in 0..table.n_rows() {
        if r % 65_536 == 0 {
            if progress.is_cancelled() {
                return Err(PivotError::Cancelled);
            }
            progress.report(
                r as f32 / table.n_rows().max(1) as f32,
                "Pivoting rows into columns",
            );
        }
        let (Some(n), Some(v)) = (names.str_at(r), values.f64_at(r)) else {
            skipped_rows += 1;
            continue;
        };
        let Some(&j) = name_index.get(n) else {
            skipped_rows += 1;
            continue;
        };
        key.clear();
        key.extend(keys.iter().map(|c| key_part(c, r, &mut text_ids)));
        let row = match row_of_key.get(&key) {
            Some(&row) => row,
            None => {
                let row = first_rows.len();
                row_of_key.insert(key.clone(), row);
                first_rows.push(r);
                sums.resize(sums.len() + width, 0.0);
                counts.resize(counts.len() + width, 0);
                row
            }
        };
        let cell = row * width + j;
        if let (Some(s), Some(c)) = (sums.get_mut(cell), counts.get_mut(cell)) {
            *s += v;
            *c += 1;
        }
    }
    if first_rows.is_empty() {
        return Err(PivotError::Empty);
    }
    let mut columns: Vec<Column> = keys.iter().map(|c| c.take(&first_rows, None)).collect();
    let mut taken: Vec<String> = columns.iter().map(|c| c.name.to_lowercase()).collect();
    for (j, name) in new_names.iter().enumerate() {
        let v: Vec<f64> = (0..first_rows.len())
            .map(|row| {
                let cell = row * width + j;
                match counts.get(cell) {
                    Some(&c) if c > 0 => sums.get(cell).copied().unwrap_or(f64::NAN) / f64::from(c),
                    _ => f64::NAN,
                }
            })
            .collect();
        let mut col_name = if name.trim().is_empty() {
            "(blank)".to_owned()
        } else {
            (*name).to_owned()
        };
        if taken.contains(&col_name.to_lowercase()) {
            col_name = format!("{col_name} ({})", values.name);
        }
        taken.push(col_name.to_lowercase());
        columns.push(Column::from_f64(col_name, v));
    }
    let averaged_cells = counts.iter().filter(|&&c| c > 1).count();
    let table = Table::new(columns).map_err(|_| PivotError::Empty)?;
    progress.report(1.0, "Pivoted");
    Ok(Pivoted {
        table,
        averaged_cells,
        skipped_rows,
    })
}

/// A guess at the spec for a long table: the name column is the label
/// column named like a parameter or pollutant (few distinct values), the
/// values the first numeric measure column, the keys the time, place and
/// coordinate columns. `None` when the table does not look long.
pub fn suggest(ds: &super::Dataset) -> Option<PivotSpec> {
    use super::Role;
    let t = &ds.table;
    let names = t.columns.iter().position(|c| {
        let n = c.name.to_lowercase();
        ["parameter", "pollutant", "variable", "measure", "metric"]
            .iter()
            .any(|w| n.contains(w))
            && c.dictionary()
                .is_some_and(|d| (2..=MAX_NEW_COLUMNS).contains(&d.len()))
    })?;
    let values = (0..t.n_columns()).find(|&i| {
        matches!(ds.schema.roles.get(i), Some(Role::Measure(_)))
            && t.columns.get(i).is_some_and(|c| c.kind().is_numeric())
    })?;
    let keys: Vec<usize> = [Role::Time, Role::PlaceId, Role::Latitude, Role::Longitude]
        .into_iter()
        .filter_map(|r| ds.schema.find(r))
        .filter(|&i| i != names && i != values)
        .collect();
    (!keys.is_empty()).then_some(PivotSpec {
        keys,
        names,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long() -> Table {
        Table::new(vec![
            Column::from_timestamps("time", vec![0, 0, 0, 1, 1, 1, 0, 1]),
            Column::categorical("site", &["A", "A", "A", "A", "A", "A", "B", "B"]),
            Column::categorical(
                "Parameter Name",
                &[
                    "Ozone", "NO2", "Ozone", "Ozone", "NO2", "NO2", "Ozone", "NO2",
                ],
            ),
            Column::from_f64(
                "value",
                vec![30.0, 12.0, 34.0, 31.0, f64::NAN, 14.0, 25.0, 9.0],
            ),
        ])
        .unwrap()
    }

    #[test]
    fn long_readings_become_one_column_per_name() {
        let spec = PivotSpec {
            keys: vec![0, 1],
            names: 2,
            values: 3,
        };
        let p = pivot_wider(&long(), &spec, &()).unwrap();
        let t = &p.table;
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["time", "site", "Ozone", "NO2"]);
        // Keys in order of first appearance: (0, A), (1, A), (0, B), (1, B).
        assert_eq!(t.n_rows(), 4);
        assert_eq!(t.columns[1].str_at(2), Some("B"));
        assert_eq!(t.columns[0].timestamp_at(1), Some(1));
        // Two ozone readings at (0, A): their mean.
        assert_eq!(t.columns[2].f64_at(0), Some(32.0));
        assert_eq!(t.columns[3].f64_at(0), Some(12.0));
        // (1, A): the NO2 reading that was missing is skipped, not zero.
        assert_eq!(t.columns[3].f64_at(1), Some(14.0));
        assert_eq!(
            (t.columns[2].f64_at(2), t.columns[3].f64_at(2)),
            (Some(25.0), None)
        );
        assert_eq!(
            (t.columns[2].f64_at(3), t.columns[3].f64_at(3)),
            (None, Some(9.0))
        );
        assert_eq!(p.averaged_cells, 1);
        assert_eq!(p.skipped_rows, 1);
    }

    #[test]
    fn bad_specs_say_what_to_choose() {
        let t = long();
        let spec = |keys: Vec<usize>, names, values| PivotSpec {
            keys,
            names,
            values,
        };
        assert_eq!(
            pivot_wider(&t, &spec(vec![], 2, 3), &()).unwrap_err(),
            PivotError::NoKeys
        );
        assert_eq!(
            pivot_wider(&t, &spec(vec![0, 2], 2, 3), &()).unwrap_err(),
            PivotError::Overlap("Parameter Name".to_owned())
        );
        assert_eq!(
            pivot_wider(&t, &spec(vec![0], 2, 1), &()).unwrap_err(),
            PivotError::NotNumeric("site".to_owned())
        );
        assert_eq!(
            pivot_wider(&t, &spec(vec![1], 0, 3), &()).unwrap_err(),
            PivotError::NamesNotLabels("time".to_owned())
        );
        assert_eq!(
            pivot_wider(&t, &spec(vec![9], 2, 3), &()).unwrap_err(),
            PivotError::NoSuchColumn(9)
        );
        let many: Vec<String> = (0..=MAX_NEW_COLUMNS).map(|i| format!("p{i}")).collect();
        let wide = Table::new(vec![
            Column::from_i64("k", vec![1; many.len()]),
            Column::categorical("name", &many),
            Column::from_f64("v", vec![1.0; many.len()]),
        ])
        .unwrap();
        let err = pivot_wider(&wide, &spec(vec![0], 1, 2), &()).unwrap_err();
        assert!(
            err.to_string().contains("more than 200 different values"),
            "{err}"
        );
    }

    #[test]
    fn the_spec_is_suggested_for_a_long_air_quality_table() {
        let ds = super::super::Dataset::from_table(
            "aq",
            super::super::Source::Demo("test".to_owned()),
            long(),
            jiff::tz::TimeZone::UTC,
        );
        let spec = suggest(&ds).unwrap();
        assert_eq!((spec.names, spec.values), (2, 3));
        assert_eq!(spec.keys, vec![0, 1]);
        // The pivoted table is recognised as air quality with its pollutants.
        let p = pivot_wider(&ds.table, &spec, &()).unwrap();
        let wide = super::super::Dataset::from_table(
            "aq wide",
            super::super::Source::Demo("test".to_owned()),
            p.table,
            jiff::tz::TimeZone::UTC,
        );
        assert_eq!(wide.domain, super::super::Domain::Environment);
        assert!(wide.measure(super::super::Measure::O3).is_some());
        assert!(wide.measure(super::super::Measure::No2).is_some());
    }
}
