//! New rows after a table's own — the lines appended to a watched file, an
//! API's rows newer than the last refresh — matched to its columns by name.
//!
//! The table keeps its columns and their types. A new value is converted
//! to the column's type (an integer into a float column — and an integer
//! column that gets fractions becomes a float column — a number or time
//! into a text column as text, a string into a categorical column's
//! dictionary); one that cannot be is missing and counted. A column the new
//! rows lack is missing for them; a column only the new rows have is left
//! out and named, so nothing changes silently.

use super::table::{ColumnValues, StringColumn, Validity};
use super::{Column, Table};

/// What appending changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Appended {
    /// New cells that did not convert to their column's type.
    pub cells_set_missing: usize,
    /// Columns of the new rows that the table does not have.
    pub columns_left_out: Vec<String>,
}

/// `base`'s rows, then `extra`'s (see the module doc).
pub fn append_rows(base: &Table, extra: &Table) -> (Table, Appended) {
    let mut report = Appended::default();
    let n = extra.n_rows();
    let columns: Vec<Column> = base
        .columns
        .iter()
        .map(|col| {
            let (c, bad) = append_column(col, extra.column(&col.name), n);
            report.cells_set_missing += bad;
            c
        })
        .collect();
    report.columns_left_out = extra
        .columns
        .iter()
        .filter(|c| base.column(&c.name).is_none())
        .map(|c| c.name.clone())
        .collect();
    let table = Table::new(columns).unwrap_or_else(|_| base.clone());
    (table, report)
}

fn append_column(col: &Column, new: Option<&Column>, n: usize) -> (Column, usize) {
    let mut validity = col.validity.clone();
    let mut bad = 0usize;
    let mut present = |ok: bool, had: bool, validity: &mut Validity| {
        validity.push(ok);
        if had && !ok {
            bad += 1;
        }
    };
    let had = |r: usize| new.is_some_and(|c| c.is_valid(r));
    // An integer column that gets fractions becomes a float column.
    let widened;
    let values_in = match (&col.values, new) {
        (ColumnValues::Integer(v), Some(c))
            if (0..n).any(|r| c.f64_at(r).is_some_and(|x| x.fract() != 0.0)) =>
        {
            widened = ColumnValues::Float(v.iter().map(|&x| x as f64).collect());
            &widened
        }
        (values, _) => values,
    };
    let values = match values_in {
        ColumnValues::Integer(v) => {
            let mut v = v.clone();
            for r in 0..n {
                let x = new.and_then(|c| c.f64_at(r)).filter(|x| x.fract() == 0.0);
                v.push(x.map_or(0, |x| x as i64));
                present(x.is_some(), had(r), &mut validity);
            }
            ColumnValues::Integer(v)
        }
        ColumnValues::Float(v) => {
            let mut v = v.clone();
            for r in 0..n {
                let x = new.and_then(|c| c.f64_at(r));
                v.push(x.unwrap_or(f64::NAN));
                present(x.is_some(), had(r), &mut validity);
            }
            ColumnValues::Float(v)
        }
        ColumnValues::Bool(v) => {
            let mut v = v.clone();
            for r in 0..n {
                let x = new.and_then(|c| match &c.values {
                    ColumnValues::Bool(b) if c.is_valid(r) => b.get(r).copied(),
                    _ => c.str_at(r).and_then(super::parse::parse_bool),
                });
                v.push(x.unwrap_or(false));
                present(x.is_some(), had(r), &mut validity);
            }
            ColumnValues::Bool(v)
        }
        ColumnValues::Timestamp(v) => {
            let mut v = v.clone();
            for r in 0..n {
                let x = new.and_then(|c| c.timestamp_at(r));
                v.push(x.unwrap_or(0));
                present(x.is_some(), had(r), &mut validity);
            }
            ColumnValues::Timestamp(v)
        }
        ColumnValues::Categorical { codes, dictionary } => {
            let mut codes = codes.clone();
            let mut dictionary = dictionary.clone();
            let mut index: std::collections::HashMap<String, u32> = dictionary
                .iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i as u32))
                .collect();
            for r in 0..n {
                let text = new.and_then(|c| cell_text(c, r));
                let code = text.as_deref().map(|s| {
                    *index.entry(s.to_owned()).or_insert_with(|| {
                        dictionary.push(s.to_owned());
                        (dictionary.len() - 1) as u32
                    })
                });
                codes.push(code.unwrap_or(0));
                present(code.is_some(), had(r), &mut validity);
            }
            ColumnValues::Categorical { codes, dictionary }
        }
        ColumnValues::Text(t) => {
            let mut out = StringColumn::with_capacity(t.len() + n, 0);
            for s in t.iter() {
                out.push(s);
            }
            for r in 0..n {
                let text = new.and_then(|c| cell_text(c, r));
                out.push(text.as_deref().unwrap_or(""));
                present(text.is_some(), had(r), &mut validity);
            }
            ColumnValues::Text(out)
        }
    };
    let mut c = Column::new(col.name.clone(), values, validity);
    c.timestamp_info = col.timestamp_info;
    (c, bad)
}

/// A cell as text for a string column: strings as they are, numbers and
/// booleans written out; times are not text (they convert to nothing).
fn cell_text(c: &Column, r: usize) -> Option<String> {
    if !c.is_valid(r) {
        return None;
    }
    match &c.values {
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => c.str_at(r).map(str::to_owned),
        ColumnValues::Integer(v) => v.get(r).map(i64::to_string),
        ColumnValues::Float(v) => v.get(r).map(f64::to_string),
        ColumnValues::Bool(v) => v.get(r).map(bool::to_string),
        ColumnValues::Timestamp(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rows_take_the_tables_types_and_say_what_did_not_fit() {
        let base = Table::new(vec![
            Column::from_f64("speed", vec![50.0, 48.5]),
            Column::from_i64("count", vec![3, 4]),
            Column::categorical("road", &["A1", "B2"]),
            Column::from_timestamps("time", vec![0, 3_600_000_000]),
            Column::from_i64("level", vec![1, 2]),
        ])
        .unwrap();
        let extra = Table::new(vec![
            Column::from_i64("speed", vec![51]),
            Column::from_f64("level", vec![2.5]),
            Column::categorical("count", &["many"]),
            Column::categorical("road", &["C3"]),
            Column::from_timestamps("time", vec![7_200_000_000]),
            Column::from_f64("new_sensor", vec![1.0]),
        ])
        .unwrap();
        let (t, report) = append_rows(&base, &extra);
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.column("speed").unwrap().f64_at(2), Some(51.0));
        assert!(t.column("count").unwrap().f64_at(2).is_none());
        assert_eq!(t.column("road").unwrap().str_at(2), Some("C3"));
        assert_eq!(t.column("road").unwrap().str_at(0), Some("A1"));
        assert_eq!(
            t.column("time").unwrap().timestamp_at(2),
            Some(7_200_000_000)
        );
        assert_eq!(t.column("level").unwrap().f64_at(2), Some(2.5));
        assert_eq!(t.column("level").unwrap().f64_at(0), Some(1.0));
        assert_eq!(report.cells_set_missing, 1);
        assert_eq!(report.columns_left_out, ["new_sensor"]);
    }
}
