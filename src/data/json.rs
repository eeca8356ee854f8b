//! JSON tables: an array of objects (what Socrata's `/resource/ID.json`
//! serves), newline-delimited JSON (one object per line), or an object that
//! holds the array — `data`, `records`, `results`, `rows`, `items`,
//! `value`, CKAN's `result.records`, or ArcGIS's `features[].attributes`.
//! Values are typed by the CSV inference (`records`); nested objects
//! become dotted columns. Errors say where: the line and column of bad
//! JSON, the index of a row that is not an object.

use std::path::Path;

use serde_json::Value;

use super::records::Records;
use super::{LoadError, LoadOptions, Progress, Table};

/// The largest JSON file read (its parsed form takes several times this).
pub const MAX_JSON_BYTES: u64 = 512 * 1024 * 1024;

/// Whether a path names a JSON table file by its extension.
pub fn is_json(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "json" | "ndjson" | "jsonl"))
}

/// Why JSON text is not a table.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonError {
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    Shape {
        at: String,
        message: String,
    },
}

/// Reads a JSON table file.
pub fn load_json_file(
    path: &Path,
    opts: &LoadOptions,
    progress: &dyn Progress,
) -> Result<(Table, jiff::tz::TimeZone), LoadError> {
    let shown = path.display().to_string();
    let text = super::file::read_regular_to_string(path, MAX_JSON_BYTES)?;
    if text.trim().is_empty() {
        return Err(LoadError::Empty { path: shown });
    }
    progress.report(0.3, "parsing JSON");
    let tz = opts
        .time_zone
        .clone()
        .unwrap_or_else(jiff::tz::TimeZone::system);
    let table = parse_json_table(&text, &tz).map_err(|e| match e {
        JsonError::Syntax {
            line,
            column,
            message,
        } => LoadError::Malformed {
            path: shown.clone(),
            line: line as u64,
            column: column as u64,
            message: format!("not valid JSON: {message}"),
        },
        JsonError::Shape { at, message } => LoadError::Json {
            path: shown.clone(),
            at,
            message,
        },
    })?;
    if table.n_rows() == 0 {
        return Err(LoadError::Empty { path: shown });
    }
    Ok((table, tz))
}

/// The rows of JSON text as a typed table (see the module doc).
pub fn parse_json_table(text: &str, tz: &jiff::tz::TimeZone) -> Result<Table, JsonError> {
    let records = match serde_json::from_str::<Value>(text) {
        Ok(doc) => from_document(&doc)?,
        // A second value after the first: newline-delimited JSON.
        Err(e) if e.is_syntax() && e.line() > 1 && text.trim_start().starts_with('{') => {
            ndjson(text)?
        }
        Err(e) => {
            return Err(JsonError::Syntax {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            });
        }
    };
    let columns = records.into_columns(tz);
    if columns.is_empty() {
        return Err(JsonError::Shape {
            at: String::new(),
            message: "the rows have no fields".to_owned(),
        });
    }
    Table::new(columns).map_err(|e| JsonError::Shape {
        at: String::new(),
        message: e.to_string(),
    })
}

fn ndjson(text: &str) -> Result<Records, JsonError> {
    let mut records = Records::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| JsonError::Syntax {
            line: i + 1,
            column: e.column(),
            message: e.to_string(),
        })?;
        match v.as_object() {
            Some(o) => records.push(Some(o)),
            None => {
                return Err(JsonError::Shape {
                    at: format!("line {}", i + 1),
                    message: "each line must be one JSON object (a row)".to_owned(),
                });
            }
        }
    }
    Ok(records)
}

/// The array of row objects in a document, and its path.
fn rows_of(doc: &Value) -> Option<(&Vec<Value>, String)> {
    if let Some(a) = doc.as_array() {
        return Some((a, String::new()));
    }
    let obj = doc.as_object()?;
    if let Some(a) = doc
        .get("result")
        .and_then(|r| r.get("records"))
        .and_then(Value::as_array)
    {
        return Some((a, "result.records".to_owned()));
    }
    for key in [
        "data", "records", "results", "rows", "items", "value", "features",
    ] {
        if let Some(a) = obj.get(key).and_then(Value::as_array) {
            return Some((a, key.to_owned()));
        }
    }
    // The only array of objects in the object.
    let mut arrays = obj.iter().filter_map(|(k, v)| {
        v.as_array()
            .filter(|a| a.iter().all(Value::is_object))
            .map(|a| (a, k.clone()))
    });
    match (arrays.next(), arrays.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

fn from_document(doc: &Value) -> Result<Records, JsonError> {
    let (rows, at) = rows_of(doc).ok_or_else(|| JsonError::Shape {
        at: String::new(),
        message: "found no array of rows: cityops reads an array of objects, one object per line (NDJSON), or an object holding such an array (data, records, results, rows, items)".to_owned(),
    })?;
    let mut records = Records::default();
    for (i, row) in rows.iter().enumerate() {
        // ArcGIS JSON: each feature's attributes are the row.
        let row = row
            .get("attributes")
            .filter(|a| a.is_object())
            .unwrap_or(row);
        match row.as_object() {
            Some(o) => records.push(Some(o)),
            None => {
                return Err(JsonError::Shape {
                    at: if at.is_empty() {
                        format!("[{i}]")
                    } else {
                        format!("{at}[{i}]")
                    },
                    message: format!("row {i} is not a JSON object (a row needs named fields)"),
                });
            }
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnKind;

    fn parse(text: &str) -> Result<Table, JsonError> {
        parse_json_table(text, &jiff::tz::TimeZone::UTC)
    }

    #[test]
    fn a_socrata_array_ndjson_ckan_and_arcgis_layouts_read_as_tables() {
        // Socrata's JSON: strings for numbers, a nested point.
        let socrata = r#"[
          {"crash_date": "2024-06-30T00:00:00.000", "borough": "BRONX", "number_of_persons_injured": "2",
           "location": {"latitude": "40.843217", "longitude": "-73.889452"}},
          {"crash_date": "2024-06-29T00:00:00.000", "borough": "QUEENS", "number_of_persons_injured": "0"}]"#;
        let t = parse(socrata).unwrap();
        assert_eq!(t.n_rows(), 2);
        assert_eq!(
            t.column("crash_date").unwrap().kind(),
            ColumnKind::Timestamp
        );
        assert_eq!(
            t.column("number_of_persons_injured").unwrap().kind(),
            ColumnKind::Integer
        );
        assert_eq!(
            t.column("location.latitude").unwrap().f64_at(0),
            Some(40.843217)
        );
        let nd = "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2}\n\n{\"a\": 3, \"b\": \"y\"}\n";
        let t = parse(nd).unwrap();
        assert_eq!(t.n_rows(), 3);
        assert!(t.column("b").unwrap().str_at(1).is_none());
        let ckan = r#"{"success": true, "result": {"total": 2, "records": [{"_id": 1, "pm25": 7.5}, {"_id": 2, "pm25": 9.1}]}}"#;
        assert_eq!(
            parse(ckan).unwrap().column("pm25").unwrap().f64_at(1),
            Some(9.1)
        );
        let arcgis = r#"{"features": [{"attributes": {"OBJECTID": 1, "NAME": "Ward 1"}}, {"attributes": {"OBJECTID": 2, "NAME": "Ward 2"}}]}"#;
        assert_eq!(
            parse(arcgis).unwrap().column("NAME").unwrap().str_at(1),
            Some("Ward 2")
        );
    }

    #[test]
    fn errors_say_where() {
        match parse("[{\"a\": 1},\n {\"a\": }]").unwrap_err() {
            JsonError::Syntax { line, .. } => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        match parse(r#"{"data": [{"a": 1}, 7]}"#).unwrap_err() {
            JsonError::Shape { at, .. } => assert_eq!(at, "data[1]"),
            other => panic!("{other:?}"),
        }
        match parse("{\"a\": 1}\n[2]\n").unwrap_err() {
            JsonError::Shape { at, .. } => assert_eq!(at, "line 2"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(r#"{"name": "x"}"#),
            Err(JsonError::Shape { .. })
        ));
    }
}
