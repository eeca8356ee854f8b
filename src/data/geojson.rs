//! GeoJSON (RFC 7946) FeatureCollections: each feature's geometry — Point,
//! LineString, Polygon, their Multi forms, or a GeometryCollection of them —
//! and its properties as a row of a table whose column types are inferred
//! as a CSV's are. Point features also get `longitude` and `latitude`
//! columns, so a GeoJSON of incidents charts like a CSV of them.
//!
//! Coordinates must be longitude and latitude in degrees (WGS 84, as RFC
//! 7946 requires): a file in a projected system (metres of a national grid
//! or of Web Mercator) is refused with a message saying so, never drawn in
//! the wrong place. Errors name the feature's index and the JSON path of
//! the bad value (`features[17].geometry.coordinates[0][3]`).
//!
//! Parsed with serde_json into a document, then walked; no GeoJSON crate is
//! needed for this subset, and the walk gives the paths the errors name.

use std::path::Path;

use serde_json::Value;

use super::records::Records;
use super::{Column, LoadError, Progress, Table};

/// The largest GeoJSON file read (a city's parcels are far smaller).
pub const MAX_GEOJSON_BYTES: u64 = 512 * 1024 * 1024;

/// A position: longitude, latitude in degrees.
pub type Lonlat = [f64; 2];

/// A polygon: its outer ring, then any holes (each ring closed or not).
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Vec<Lonlat>>,
}

/// The geometry of one feature, with Multi forms and collections flattened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shape {
    pub points: Vec<Lonlat>,
    pub lines: Vec<Vec<Lonlat>>,
    pub polygons: Vec<Polygon>,
}

impl Shape {
    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.lines.is_empty() && self.polygons.is_empty()
    }

    /// Every position of the shape.
    pub fn positions(&self) -> impl Iterator<Item = &Lonlat> {
        self.points
            .iter()
            .chain(self.lines.iter().flatten())
            .chain(self.polygons.iter().flat_map(|p| p.rings.iter().flatten()))
    }

    /// Whether `p` lies inside one of the polygons (inside the outer ring
    /// and outside its holes; even–odd crossing rule).
    pub fn contains(&self, p: Lonlat) -> bool {
        self.polygons.iter().any(|poly| {
            let mut rings = poly.rings.iter();
            rings.next().is_some_and(|outer| ring_contains(outer, p))
                && !rings.any(|hole| ring_contains(hole, p))
        })
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]`, if any.
    pub fn bounds(&self) -> Option<[f64; 4]> {
        bounds_of(self.positions())
    }
}

/// The bounding box of positions, if there are any.
pub fn bounds_of<'a>(positions: impl Iterator<Item = &'a Lonlat>) -> Option<[f64; 4]> {
    positions.fold(None, |b, p| {
        Some(match b {
            None => [p[0], p[1], p[0], p[1]],
            Some([a, b, c, d]) => [a.min(p[0]), b.min(p[1]), c.max(p[0]), d.max(p[1])],
        })
    })
}

/// Even–odd test of a point against one ring.
pub fn ring_contains(ring: &[Lonlat], p: Lonlat) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// A loaded GeoJSON file: a shape per feature and the properties table
/// (one row per feature, in the file's order).
#[derive(Debug)]
pub struct GeoFile {
    pub shapes: Vec<Shape>,
    pub table: Table,
}

/// Why a document is not GeoJSON cityops can use: where (a JSON path) and what.
#[derive(Debug, Clone, PartialEq)]
pub enum GeoError {
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    Invalid {
        at: String,
        message: String,
    },
    Projected {
        at: String,
        x: f64,
        y: f64,
    },
}

/// Reads a GeoJSON file (see the module doc).
pub fn load_geojson_file(path: &Path, progress: &dyn Progress) -> Result<GeoFile, LoadError> {
    let shown = path.display().to_string();
    let text = super::file::read_regular_to_string(path, MAX_GEOJSON_BYTES)?;
    if text.trim().is_empty() {
        return Err(LoadError::Empty { path: shown });
    }
    progress.report(0.3, "parsing GeoJSON");
    parse_geojson(&text, progress).map_err(|e| match e {
        GeoError::Syntax {
            line,
            column,
            message,
        } => LoadError::Malformed {
            path: shown,
            line: line as u64,
            column: column as u64,
            message: format!("not valid JSON: {message}"),
        },
        GeoError::Invalid { at, message } => LoadError::GeoJson {
            path: shown,
            at,
            message,
        },
        GeoError::Projected { at, x, y } => LoadError::Projected {
            path: shown,
            at,
            x,
            y,
        },
    })
}

/// Parses GeoJSON text: a FeatureCollection, a single Feature, or a bare
/// geometry (one feature without properties).
pub fn parse_geojson(text: &str, progress: &dyn Progress) -> Result<GeoFile, GeoError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| GeoError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let invalid = |at: &str, message: &str| GeoError::Invalid {
        at: at.to_owned(),
        message: message.to_owned(),
    };
    let kind = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    let features: Vec<&Value> = match kind {
        "FeatureCollection" => doc
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| invalid("features", "a FeatureCollection needs a 'features' array"))?
            .iter()
            .collect(),
        "" => {
            return Err(invalid(
                "type",
                "the document has no 'type'; GeoJSON starts with \"type\": \"FeatureCollection\"",
            ));
        }
        _ => vec![&doc],
    };
    let collection = kind == "FeatureCollection";
    let n = features.len();
    // Two halves on two threads (the walk costs as much as the parse).
    let half = n.div_ceil(2).max(1);
    let parts: Vec<Result<Part, GeoError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = features
            .chunks(half)
            .enumerate()
            .map(|(k, chunk)| {
                scope.spawn(move || read_features(chunk, k * half, n, collection, progress))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(invalid("", "reading the features failed")))
            })
            .collect()
    });
    let mut shapes = Vec::with_capacity(n);
    let mut records = Records::default();
    for part in parts {
        let part = part?;
        shapes.extend(part.shapes);
        // Columns in the order the file first names them.
        records.extend(part.records);
    }
    drop(features);
    // Freeing a large document takes a while: not on the caller's time.
    let _ = std::thread::Builder::new()
        .name("geojson-free".to_owned())
        .spawn(move || drop(doc));
    progress.report(0.9, "inferring column types");
    let table = properties_table(records, &shapes)?;
    Ok(GeoFile { shapes, table })
}

/// What one thread read of the features: their shapes and properties.
struct Part {
    shapes: Vec<Shape>,
    records: Records,
}

fn read_features(
    features: &[&Value],
    first: usize,
    total: usize,
    collection: bool,
    progress: &dyn Progress,
) -> Result<Part, GeoError> {
    let invalid = |at: String, message: String| GeoError::Invalid { at, message };
    let mut part = Part {
        shapes: Vec::with_capacity(features.len()),
        records: Records::default(),
    };
    for (j, f) in features.iter().enumerate() {
        let i = first + j;
        if j % 4096 == 0 {
            if progress.is_cancelled() {
                return Err(invalid(String::new(), "loading was cancelled".to_owned()));
            }
            if first == 0 {
                progress.report(
                    0.3 + 0.6 * (2 * j) as f32 / total.max(1) as f32,
                    "reading features",
                );
            }
        }
        let path = |rest: &str| {
            if collection {
                format!("features[{i}].{rest}")
            } else {
                rest.to_owned()
            }
        };
        let (geometry, props) = if f.get("type").and_then(Value::as_str) == Some("Feature") {
            (f.get("geometry"), f.get("properties"))
        } else if collection {
            return Err(invalid(
                path("type"),
                format!("feature {i} is not a Feature (its 'type' must be \"Feature\")"),
            ));
        } else {
            (Some(*f), None)
        };
        let mut shape = Shape::default();
        if let Some(g) = geometry.filter(|g| !g.is_null()) {
            read_geometry(g, &path("geometry"), &mut shape, 0)?;
        }
        part.shapes.push(shape);
        part.records.push(props.and_then(Value::as_object));
    }
    Ok(part)
}

/// The properties as typed columns (inferred like a CSV's), plus
/// `longitude`/`latitude` when every feature with a geometry is a point.
fn properties_table(records: Records, shapes: &[Shape]) -> Result<Table, GeoError> {
    let taken = |n: &str| records.keys.iter().any(|k| k.eq_ignore_ascii_case(n));
    let has_coordinates = taken("longitude") || taken("latitude");
    let mut columns = records.into_columns(&jiff::tz::TimeZone::UTC);
    let points_only = shapes.iter().any(|s| !s.points.is_empty())
        && shapes
            .iter()
            .all(|s| s.lines.is_empty() && s.polygons.is_empty());
    if points_only && !has_coordinates {
        let first = |i: usize| {
            shapes
                .iter()
                .map(|s| s.points.first().map_or(f64::NAN, |p| p[i]))
                .collect()
        };
        columns.push(Column::from_f64("longitude", first(0)));
        columns.push(Column::from_f64("latitude", first(1)));
    }
    if columns.is_empty() {
        // Geometry alone: a feature number, so the table has rows.
        columns.push(Column::from_i64(
            "feature",
            (0..shapes.len() as i64).collect(),
        ));
    }
    Table::new(columns).map_err(|e| GeoError::Invalid {
        at: "properties".to_owned(),
        message: e.to_string(),
    })
}

/// Nesting allowed for GeometryCollections.
const MAX_DEPTH: usize = 8;

fn read_geometry(g: &Value, at: &str, out: &mut Shape, depth: usize) -> Result<(), GeoError> {
    let invalid = |rest: &str, message: String| GeoError::Invalid {
        at: format!("{at}{rest}"),
        message,
    };
    let kind = g
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(".type", "a geometry needs a 'type'".to_owned()))?;
    if kind == "GeometryCollection" {
        if depth >= MAX_DEPTH {
            return Err(invalid(
                "",
                "GeometryCollections nested too deeply".to_owned(),
            ));
        }
        let parts = g
            .get("geometries")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                invalid(
                    ".geometries",
                    "a GeometryCollection needs 'geometries'".to_owned(),
                )
            })?;
        for (i, part) in parts.iter().enumerate() {
            read_geometry(part, &format!("{at}.geometries[{i}]"), out, depth + 1)?;
        }
        return Ok(());
    }
    let coords = g
        .get("coordinates")
        .ok_or_else(|| invalid(".coordinates", format!("a {kind} needs 'coordinates'")))?;
    let at = format!("{at}.coordinates");
    match kind {
        "Point" => out.points.push(position(coords, &at)?),
        "MultiPoint" => out.points.extend(positions(coords, &at)?),
        "LineString" => out.lines.push(positions(coords, &at)?),
        "MultiLineString" => {
            for (i, l) in array(coords, &at)?.iter().enumerate() {
                out.lines.push(positions(l, &format!("{at}[{i}]"))?);
            }
        }
        "Polygon" => out.polygons.push(polygon(coords, &at)?),
        "MultiPolygon" => {
            for (i, p) in array(coords, &at)?.iter().enumerate() {
                out.polygons.push(polygon(p, &format!("{at}[{i}]"))?);
            }
        }
        other => {
            return Err(GeoError::Invalid {
                at: at.replace(".coordinates", ".type"),
                message: format!("'{other}' is not a GeoJSON geometry type"),
            });
        }
    }
    Ok(())
}

fn array<'a>(v: &'a Value, at: &str) -> Result<&'a Vec<Value>, GeoError> {
    v.as_array().ok_or_else(|| GeoError::Invalid {
        at: at.to_owned(),
        message: "expected an array".to_owned(),
    })
}

/// What is wrong with one position (its path is added by the caller, so
/// the millions of good positions cost no path strings).
enum Bad {
    NotArray,
    NotNumber(usize),
    Projected(f64, f64),
}

impl Bad {
    fn at(self, at: String) -> GeoError {
        match self {
            Self::NotArray => GeoError::Invalid {
                at,
                message: "expected an array".to_owned(),
            },
            Self::NotNumber(i) => GeoError::Invalid {
                at: format!("{at}[{i}]"),
                message: "a position needs two numbers, longitude and latitude".to_owned(),
            },
            Self::Projected(x, y) => GeoError::Projected { at, x, y },
        }
    }
}

fn lonlat(v: &Value) -> Result<Lonlat, Bad> {
    let a = v.as_array().ok_or(Bad::NotArray)?;
    let num = |i: usize| a.get(i).and_then(Value::as_f64).ok_or(Bad::NotNumber(i));
    let (x, y) = (num(0)?, num(1)?);
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(Bad::Projected(x, y));
    }
    Ok([x, y])
}

fn position(v: &Value, at: &str) -> Result<Lonlat, GeoError> {
    lonlat(v).map_err(|b| b.at(at.to_owned()))
}

fn positions(v: &Value, at: &str) -> Result<Vec<Lonlat>, GeoError> {
    let a = array(v, at)?;
    let mut out = Vec::with_capacity(a.len());
    for (i, p) in a.iter().enumerate() {
        out.push(lonlat(p).map_err(|b| b.at(format!("{at}[{i}]")))?);
    }
    Ok(out)
}

fn polygon(v: &Value, at: &str) -> Result<Polygon, GeoError> {
    let rings = array(v, at)?
        .iter()
        .enumerate()
        .map(|(i, r)| positions(r, &format!("{at}[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if rings.first().is_none_or(|r| r.len() < 3) {
        return Err(GeoError::Invalid {
            at: at.to_owned(),
            message: "a polygon's outer ring needs at least 3 positions".to_owned(),
        });
    }
    Ok(Polygon { rings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ColumnKind;

    const DISTRICTS: &str = r#"{"type": "FeatureCollection", "features": [
      {"type": "Feature", "properties": {"name": "North", "code": 1, "pop": 1200.5},
       "geometry": {"type": "Polygon", "coordinates": [
         [[0,0],[10,0],[10,10],[0,10],[0,0]],
         [[4,4],[6,4],[6,6],[4,6],[4,4]]]}},
      {"type": "Feature", "properties": {"name": "Islands", "code": 2},
       "geometry": {"type": "MultiPolygon", "coordinates": [
         [[[20,0],[22,0],[22,2],[20,2],[20,0]]],
         [[[30,0],[32,0],[32,2],[30,2],[30,0]]]]}},
      {"type": "Feature", "properties": null, "geometry": null}
    ]}"#;

    #[test]
    fn polygons_with_holes_and_multipolygons_contain_the_right_points() {
        let g = parse_geojson(DISTRICTS, &()).unwrap();
        assert_eq!(g.shapes.len(), 3);
        assert_eq!(g.table.n_rows(), 3);
        let north = &g.shapes[0];
        assert!(north.contains([1.0, 1.0]));
        assert!(!north.contains([5.0, 5.0]), "inside the hole");
        assert!(!north.contains([11.0, 1.0]));
        let islands = &g.shapes[1];
        assert!(islands.contains([21.0, 1.0]) && islands.contains([31.0, 1.0]));
        assert!(!islands.contains([25.0, 1.0]));
        assert!(g.shapes[2].is_empty());
        assert_eq!(north.bounds(), Some([0.0, 0.0, 10.0, 10.0]));
        // Properties became typed columns; a missing one is missing.
        let code = g.table.column("code").unwrap();
        assert_eq!(code.kind(), ColumnKind::Integer);
        let pop = g.table.column("pop").unwrap();
        assert_eq!(pop.f64_at(0), Some(1200.5));
        assert_eq!(pop.f64_at(1), None);
        assert_eq!(g.table.column("name").unwrap().str_at(1), Some("Islands"));
    }

    #[test]
    fn points_get_longitude_and_latitude_columns() {
        let text = r#"{"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"kind": "theft"},
           "geometry": {"type": "Point", "coordinates": [-87.6, 41.8]}},
          {"type": "Feature", "properties": {"kind": "fire"},
           "geometry": {"type": "Point", "coordinates": [-87.7, 41.9, 180.0]}}]}"#;
        let g = parse_geojson(text, &()).unwrap();
        assert_eq!(g.table.column("longitude").unwrap().f64_at(1), Some(-87.7));
        assert_eq!(g.table.column("latitude").unwrap().f64_at(0), Some(41.8));
    }

    #[test]
    fn bad_features_are_named_by_index_and_json_path() {
        let bad = r#"{"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
          {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
           "coordinates": [[1, 2], [3, "x"]]}}]}"#;
        match parse_geojson(bad, &()).unwrap_err() {
            GeoError::Invalid { at, .. } => {
                assert_eq!(at, "features[1].geometry.coordinates[1][1]");
            }
            other => panic!("{other:?}"),
        }
        // A projected file (metres of a national grid) is refused.
        let projected = r#"{"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {},
           "geometry": {"type": "Point", "coordinates": [448251.9, 5411932.7]}}]}"#;
        assert!(matches!(
            parse_geojson(projected, &()).unwrap_err(),
            GeoError::Projected { ref at, .. } if at == "features[0].geometry.coordinates"
        ));
        assert!(matches!(
            parse_geojson("{\"type\": \"FeatureCollection\", \"features\": [", &()).unwrap_err(),
            GeoError::Syntax { line: 1, .. }
        ));
        assert!(matches!(
            parse_geojson(r#"{"type": "Feature", "geometry": {"type": "Circle", "coordinates": [0, 0]}}"#, &())
                .unwrap_err(),
            GeoError::Invalid { ref at, .. } if at == "geometry.type"
        ));
    }
}
