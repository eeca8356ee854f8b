//! Rows of JSON objects — a JSON file's records, a GeoJSON file's
//! properties — gathered as text and typed by the CSV loader's inference
//! (`infer`), so `"2024-06-01T08:00:00"`, `"12,5"`-free numbers, booleans
//! and repeated strings become the same columns a CSV would give.
//!
//! Nested objects are flattened with dotted names (`location.latitude`,
//! as Socrata serves a point); arrays are kept as their JSON text. A key
//! missing from a row is a missing value.

use serde_json::{Map, Value};

use super::Column;
use super::infer::{InferContext, RawColumn, infer_column};

/// Nesting flattened at most (deeper values are kept as JSON text).
const MAX_DEPTH: usize = 4;

/// Records as (column, text) cells, columns in the order first seen.
#[derive(Debug, Default)]
pub struct Records {
    pub keys: Vec<String>,
    pub rows: Vec<Vec<(usize, String)>>,
}

impl Records {
    fn column(&mut self, key: &str) -> usize {
        match self.keys.iter().position(|k| k == key) {
            Some(c) => c,
            None => {
                self.keys.push(key.to_owned());
                self.keys.len() - 1
            }
        }
    }

    /// Adds one row: the object's values (an absent object: an empty row).
    pub fn push(&mut self, object: Option<&Map<String, Value>>) {
        let mut row = Vec::new();
        if let Some(map) = object {
            self.flatten("", map, &mut row, 0);
        }
        self.rows.push(row);
    }

    fn flatten(
        &mut self,
        prefix: &str,
        map: &Map<String, Value>,
        row: &mut Vec<(usize, String)>,
        depth: usize,
    ) {
        for (k, v) in map {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            let text = match v {
                Value::Object(inner) if depth < MAX_DEPTH => {
                    self.flatten(&key, inner, row, depth + 1);
                    continue;
                }
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(x) => x.to_string(),
                other => other.to_string(),
            };
            let c = self.column(&key);
            row.push((c, text));
        }
    }

    /// Appends `other`'s rows, its columns matched by name.
    pub fn extend(&mut self, other: Records) {
        let remap: Vec<usize> = other.keys.iter().map(|k| self.column(k)).collect();
        self.rows.extend(other.rows.into_iter().map(|row| {
            row.into_iter()
                .map(|(c, v)| (remap.get(c).copied().unwrap_or(c), v))
                .collect()
        }));
    }

    /// Typed columns, timestamps without an offset read in `tz`.
    pub fn into_columns(self, tz: &jiff::tz::TimeZone) -> Vec<Column> {
        let ctx = InferContext {
            decimal_comma: false,
            time_zone: tz,
            row_lines: &[],
        };
        // One pass: each row's cells into their columns' raw text.
        let mut raws: Vec<RawColumn> = (0..self.keys.len()).map(|_| RawColumn::default()).collect();
        let mut filled = vec![0usize; self.keys.len()];
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row {
                if let (Some(raw), Some(n)) = (raws.get_mut(*c), filled.get_mut(*c)) {
                    // Missing cells before this one.
                    while *n < r {
                        raw.push("");
                        *n += 1;
                    }
                    if *n == r {
                        raw.push(v);
                        *n += 1;
                    }
                }
            }
        }
        let n_rows = self.rows.len();
        for (raw, n) in raws.iter_mut().zip(&mut filled) {
            while *n < n_rows {
                raw.push("");
                *n += 1;
            }
        }
        self.keys
            .iter()
            .zip(&raws)
            .enumerate()
            .map(|(i, (key, raw))| infer_column(key, i, raw, &ctx).column)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnKind;

    #[test]
    fn nested_objects_flatten_missing_keys_are_missing_and_types_are_inferred() {
        let rows: Vec<Value> = serde_json::from_str(
            r#"[{"id": 1, "when": "2024-06-01T08:00:00", "location": {"latitude": "41.8", "longitude": "-87.6"}},
                {"id": 2, "when": "2024-06-02T09:30:00", "tags": ["a", "b"]},
                {"when": null, "id": 3, "ok": true}]"#,
        )
        .unwrap();
        let mut rec = Records::default();
        for r in &rows {
            rec.push(r.as_object());
        }
        let cols = rec.into_columns(&jiff::tz::TimeZone::UTC);
        let by = |n: &str| cols.iter().find(|c| c.name == n).unwrap();
        assert_eq!(by("id").kind(), ColumnKind::Integer);
        assert_eq!(by("when").kind(), ColumnKind::Timestamp);
        assert!(by("when").timestamp_at(2).is_none());
        assert_eq!(by("location.latitude").f64_at(0), Some(41.8));
        assert!(by("location.latitude").f64_at(1).is_none());
        assert_eq!(by("tags").str_at(1), Some(r#"["a","b"]"#));
        assert_eq!(by("ok").len(), 3);
    }
}
