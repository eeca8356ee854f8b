//! The geometry of map layers, computed off the UI thread: square bins of
//! many points (counts or a measure's aggregate), district polygons as a
//! choropleth — joined to a table by a property (a district name or code)
//! or spatially (the points inside each polygon) — and lines coloured by a
//! measure. Polygons are triangulated here once (earcut, holes kept) so the
//! map draws them as meshes every frame without more work.
//!
//! All positions are longitude and latitude in degrees; the map widget
//! projects them (Web Mercator).

use std::collections::HashMap;

use super::{Aggregation, ChartError, ChartSpec};
use crate::data::geojson::{Lonlat, Shape, bounds_of};
use crate::data::{Column, Dataset, Role};

/// Which layer a map spec draws.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MapLayer {
    /// One dot per row (sampled beyond 50,000), coloured by the group.
    #[default]
    Points,
    /// Square bins with the rows' count or a measure's aggregate.
    Bins,
    /// Hexagonal bins, the same with hexagons (no bin looks nearer to
    /// its neighbours along the diagonals).
    Hexbins,
    /// The lines of a GeoJSON table, coloured by a measure.
    Lines,
    /// Polygons coloured by an aggregate of the rows joined to them.
    Choropleth,
}

impl MapLayer {
    pub const ALL: [Self; 5] = [
        Self::Points,
        Self::Bins,
        Self::Hexbins,
        Self::Lines,
        Self::Choropleth,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Points => "points",
            Self::Bins => "bins",
            Self::Hexbins => "hexbins",
            Self::Lines => "lines",
            Self::Choropleth => "choropleth",
        }
    }
}

/// How one layer of a map is shown: on or off, and how opaque its fills
/// are over the basemap and the layers under it. Kept in the spec, so a
/// dashboard's map reopens as the operator left it; changing it draws the
/// layer again without computing it again.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LayerLook {
    pub visible: bool,
    /// 0 (transparent) to 1 (opaque).
    pub opacity: f32,
}

impl Default for LayerLook {
    fn default() -> Self {
        Self {
            visible: true,
            opacity: 0.72,
        }
    }
}

impl LayerLook {
    /// The opacity as drawn: within 0 to 1, the default when a workspace
    /// file holds something that is not a number.
    pub fn alpha(self) -> f32 {
        if self.opacity.is_finite() {
            self.opacity.clamp(0.0, 1.0)
        } else {
            Self::default().opacity
        }
    }
}

/// One more layer over a map's first: computed from an overlay spec (any
/// open dataset), or why it could not be.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Overlay {
    pub title: String,
    #[serde(skip)]
    pub look: LayerLook,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<super::ChartData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A layer's name in the layer list and its legend: the spec's title, else
/// what it draws of which dataset ("hexbins of incidents").
pub fn layer_title(spec: &ChartSpec) -> String {
    if spec.title.trim().is_empty() {
        format!("{} of {}", spec.layer.key(), spec.dataset)
    } else {
        spec.title.clone()
    }
}

/// How a choropleth's polygons meet the rows: `property` of the GeoJSON
/// table equals `column` of the data table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Join {
    pub property: String,
    pub column: String,
}

/// One filled area: its rings, its triangles (indices into the rings'
/// positions, in order), its value (NaN: no rows) and its name.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Area {
    pub name: String,
    pub value: f64,
    #[serde(skip)]
    pub vertices: Vec<Lonlat>,
    #[serde(skip)]
    pub triangles: Vec<u32>,
    /// Ring boundaries (outline drawing): `vertices[start..end]`.
    #[serde(skip)]
    pub rings: Vec<(u32, u32)>,
    /// For a join by a property: the table's values that named this
    /// polygon (as written in the table), so a click can select its rows.
    #[serde(skip)]
    pub members: Vec<String>,
    /// The feature's index in its GeoJSON file.
    #[serde(skip)]
    pub feature: usize,
}

/// A line with its value (NaN: none).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MapLine {
    pub name: String,
    pub value: f64,
    #[serde(skip)]
    pub points: Vec<Lonlat>,
}

/// A bin: a square's south-west corner (its side is `MapData::bin_size`),
/// or a hexagon's centre (its radius is `MapData::hex_radius`), and its
/// value.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Bin {
    pub west: f64,
    pub south: f64,
    pub value: f64,
    pub rows: u32,
}

/// A named place with a value and what hovering it says (a traffic
/// sensor with its congestion).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Dot {
    pub at: Lonlat,
    pub value: f64,
    pub label: String,
}

/// What a map layer draws besides points.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct MapData {
    pub layer: Option<MapLayer>,
    /// Named places coloured by their value (drawn large).
    pub dots: Vec<Dot>,
    /// Values are congestion from 0 to 1: green free flow to red stopped,
    /// instead of the ordinary ramp.
    pub congestion: bool,
    pub bins: Vec<Bin>,
    /// A square bin's size in degrees of longitude and latitude.
    pub bin_size: [f64; 2],
    /// A hexagonal bin's centre-to-corner radius in degrees of longitude
    /// and latitude (pointy-top hexagons); `None` for square bins.
    pub hex_radius: Option<[f64; 2]>,
    pub areas: Vec<Area>,
    pub lines: Vec<MapLine>,
    /// The range of the values, for the legend's colour ramp.
    pub range: Option<[f64; 2]>,
    /// What the values are ("rows", "mean of speed").
    pub value_label: String,
    /// `[west, south, east, north]` of everything drawn.
    pub bounds: Option<[f64; 4]>,
}

/// Bins across the wider side of the data's extent, at most: many points
/// get this fine a grid, few get about the square root of their number
/// (249 stations over a city make 16 bins across, not 80 specks), at
/// least [`MIN_BINS_ACROSS`].
const BINS_ACROSS: f64 = 80.0;
const MIN_BINS_ACROSS: f64 = 8.0;

/// Bins across for `n` located points.
fn bins_across(n: usize) -> f64 {
    (n as f64).sqrt().clamp(MIN_BINS_ACROSS, BINS_ACROSS)
}

/// A point's coordinates, when it has real ones (0,0 is a common
/// placeholder for "unknown").
pub fn lonlat_at(lon: &Column, lat: &Column, r: usize) -> Option<Lonlat> {
    let (x, y) = (lon.f64_at(r)?, lat.f64_at(r)?);
    let on_earth = (-90.0..=90.0).contains(&y) && (-180.0..=180.0).contains(&x);
    (on_earth && !(x == 0.0 && y == 0.0)).then_some([x, y])
}

fn coordinates(ds: &Dataset) -> Result<(&Column, &Column), ChartError> {
    match (
        ds.column_for(Role::Longitude),
        ds.column_for(Role::Latitude),
    ) {
        (Some(lon), Some(lat)) => Ok((lon, lat)),
        _ => Err(ChartError::Needs {
            kind: "map",
            what: "latitude and longitude columns (or a GeoJSON file's geometry)",
        }),
    }
}

fn value_label(measure: Option<&Column>, aggregation: Aggregation) -> String {
    match measure {
        Some(m) if aggregation != Aggregation::Count => {
            format!("{} of {}", aggregation.key(), m.name)
        }
        _ => "rows".to_owned(),
    }
}

/// Aggregates per key: values pushed, then one number each.
struct Groups {
    aggregation: Aggregation,
    values: Vec<Vec<f64>>,
}

impl Groups {
    fn new(aggregation: Aggregation, n: usize) -> Self {
        Self {
            aggregation,
            values: vec![Vec::new(); n],
        }
    }

    fn add(&mut self, i: usize, v: f64) {
        if let Some(g) = self.values.get_mut(i) {
            g.push(v);
        }
    }

    fn value(&mut self, i: usize) -> f64 {
        let agg = self.aggregation;
        self.values
            .get_mut(i)
            .and_then(|vs| {
                if vs.is_empty() {
                    // A district without rows has no value (not zero
                    // incidents unless counting).
                    return (agg == Aggregation::Count).then_some(0.0);
                }
                agg.apply(vs)
            })
            .unwrap_or(f64::NAN)
    }

    fn rows(&self, i: usize) -> usize {
        self.values.get(i).map_or(0, Vec::len)
    }
}

fn finite_range(values: impl Iterator<Item = f64>) -> Option<[f64; 2]> {
    values.filter(|v| v.is_finite()).fold(None, |r, v| {
        Some(match r {
            None => [v, v],
            Some([lo, hi]) => [lo.min(v), hi.max(v)],
        })
    })
}

/// Square bins of the rows' points: counts, or `aggregation` of `measure`.
pub fn bins(
    ds: &Dataset,
    rows: &[u32],
    measure: Option<&Column>,
    aggregation: Aggregation,
    hex: bool,
) -> Result<MapData, ChartError> {
    let (lon, lat) = coordinates(ds)?;
    let pts: Vec<(u32, Lonlat)> = rows
        .iter()
        .filter_map(|&r| lonlat_at(lon, lat, r as usize).map(|p| (r, p)))
        .collect();
    let mut out = MapData {
        layer: Some(if hex {
            MapLayer::Hexbins
        } else {
            MapLayer::Bins
        }),
        value_label: value_label(measure, aggregation),
        ..MapData::default()
    };
    let Some(b) = bounds_of(pts.iter().map(|(_, p)| p)) else {
        return Ok(out);
    };
    // Square on the ground: a degree of longitude is cos(latitude) of one
    // of latitude.
    let shrink = ((b[1] + b[3]) / 2.0).to_radians().cos().max(0.05);
    let side_lat = ((b[2] - b[0]) * shrink).max(b[3] - b[1]) / bins_across(pts.len());
    let side_lat = if side_lat > 0.0 { side_lat } else { 0.001 };
    let side_lon = side_lat / shrink;
    let cols = ((b[2] - b[0]) / side_lon).floor() as i64 + 1;
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut cells: Vec<(i64, i64)> = Vec::new();
    let agg = if measure.is_some() {
        aggregation
    } else {
        Aggregation::Count
    };
    let mut groups = Groups::new(agg, 0);
    // Hexagons of about a square's area: radius 0.62 of its side.
    let radius = side_lat * 0.62;
    for (r, p) in &pts {
        let (cx, cy) = if hex {
            hex_cell((p[0] - b[0]) * shrink, p[1] - b[1], radius)
        } else {
            (
                ((p[0] - b[0]) / side_lon).floor() as i64,
                ((p[1] - b[1]) / side_lat).floor() as i64,
            )
        };
        let v = match measure {
            Some(m) => match m.f64_at(*r as usize) {
                Some(v) => v,
                None => continue,
            },
            None => 1.0,
        };
        let key = if hex {
            (cy << 32) ^ (cx & 0xFFFF_FFFF)
        } else {
            cy * cols + cx
        };
        let i = *index.entry(key).or_insert_with(|| {
            cells.push((cx, cy));
            groups.values.push(Vec::new());
            cells.len() - 1
        });
        groups.add(i, v);
    }
    out.bins = cells
        .iter()
        .enumerate()
        .map(|(i, &(cx, cy))| {
            let (west, south) = if hex {
                let (x, y) = hex_centre(cx, cy, radius);
                (b[0] + x / shrink, b[1] + y)
            } else {
                (b[0] + cx as f64 * side_lon, b[1] + cy as f64 * side_lat)
            };
            Bin {
                west,
                south,
                rows: groups.rows(i) as u32,
                value: groups.value(i),
            }
        })
        .collect();
    out.bin_size = [side_lon, side_lat];
    out.hex_radius = hex.then_some([radius / shrink, radius]);
    out.range = finite_range(out.bins.iter().map(|b| b.value));
    out.bounds = Some(b);
    Ok(out)
}

/// The pointy-top hexagon (axial q, r) of radius `size` holding ground
/// point (x, y): fractional axial coordinates rounded in cube space.
fn hex_cell(x: f64, y: f64, size: f64) -> (i64, i64) {
    let q = (3f64.sqrt() / 3.0 * x - y / 3.0) / size;
    let r = (2.0 / 3.0 * y) / size;
    let s = -q - r;
    let (mut rq, mut rr, rs) = (q.round(), r.round(), s.round());
    let (dq, dr, ds) = ((rq - q).abs(), (rr - r).abs(), (rs - s).abs());
    if dq > dr && dq > ds {
        rq = -rr - rs;
    } else if dr > ds {
        rr = -rq - rs;
    }
    (rq as i64, rr as i64)
}

/// The ground centre of hexagon (q, r).
fn hex_centre(q: i64, r: i64, size: f64) -> (f64, f64) {
    let (q, r) = (q as f64, r as f64);
    (size * 3f64.sqrt() * (q + r / 2.0), size * 1.5 * r)
}

/// A polygon's triangles (earcut, holes kept) over its rings' positions.
fn triangulate(shape: &Shape, name: String, value: f64) -> Area {
    let mut area = Area {
        name,
        value,
        vertices: Vec::new(),
        triangles: Vec::new(),
        rings: Vec::new(),
        members: Vec::new(),
        feature: 0,
    };
    let mut earcut = earcut::Earcut::new();
    let mut tris: Vec<u32> = Vec::new();
    for poly in &shape.polygons {
        let base = area.vertices.len() as u32;
        let mut holes: Vec<u32> = Vec::new();
        let mut flat: Vec<[f64; 2]> = Vec::new();
        for (k, ring) in poly.rings.iter().enumerate() {
            // A closed ring repeats its first position: drop the repeat.
            let ring = match ring.split_last() {
                Some((last, rest)) if rest.first() == Some(last) => rest,
                _ => ring.as_slice(),
            };
            if k > 0 {
                holes.push(flat.len() as u32);
            }
            let start = base + flat.len() as u32;
            flat.extend_from_slice(ring);
            area.rings.push((start, base + flat.len() as u32));
        }
        earcut.earcut(flat.iter().copied(), &holes, &mut tris);
        area.triangles.extend(tris.iter().map(|t| t + base));
        area.vertices.extend(flat);
    }
    area
}

/// The polygons of `geo` coloured by the rows of `ds`: joined by
/// `join` (a property equal to a column), or else spatially (the rows'
/// points inside each polygon). With `ds` being `geo` itself, each polygon
/// takes its own row's value of `measure`.
pub fn choropleth(
    spec: &ChartSpec,
    ds: &Dataset,
    geo: &Dataset,
    rows: &[u32],
    measure: Option<&Column>,
    aggregation: Aggregation,
) -> Result<MapData, ChartError> {
    let shapes = geo.geometry.as_deref().ok_or(ChartError::Needs {
        kind: "choropleth",
        what: "a GeoJSON file of polygons (districts) to colour",
    })?;
    if !shapes.iter().any(|s| !s.polygons.is_empty()) {
        return Err(ChartError::Needs {
            kind: "choropleth",
            what: "polygons in its GeoJSON file (this one has only points or lines)",
        });
    }
    let name_col = name_column(geo);
    let name_of = |i: usize| feature_name(name_col, i);
    let agg = if measure.is_some() {
        aggregation
    } else {
        Aggregation::Count
    };
    let n = shapes.len();
    let mut groups = Groups::new(agg, n);
    // The table's own spellings of each polygon's name (a few at most).
    let mut members: Vec<Vec<String>> = vec![Vec::new(); n];
    let same = std::ptr::eq(ds, geo) || ds.name == geo.name;
    if same {
        // The GeoJSON's own properties; a count is one row per feature.
        for &r in rows {
            let r = r as usize;
            match measure {
                Some(m) => {
                    if let Some(v) = m.f64_at(r) {
                        groups.add(r, v);
                    }
                }
                None => groups.add(r, 1.0),
            }
        }
    } else if let Some(join) = &spec.join {
        let prop = geo
            .table
            .column(&join.property)
            .ok_or_else(|| ChartError::NoColumn {
                column: join.property.clone(),
                columns: geo.table.column_names(),
            })?;
        let col = ds
            .table
            .column(&join.column)
            .ok_or_else(|| ChartError::NoColumn {
                column: join.column.clone(),
                columns: ds.table.column_names(),
            })?;
        // Keys compared as trimmed, case-folded text ("Brooklyn" = "BROOKLYN").
        let key = |c: &Column, r: usize| {
            c.str_at(r)
                .map(|s| s.trim().to_lowercase())
                .or_else(|| c.f64_at(r).map(super::format_value))
        };
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for i in 0..n {
            if let Some(k) = key(prop, i) {
                by_key.entry(k).or_default().push(i);
            }
        }
        for &r in rows {
            let r = r as usize;
            let Some(targets) = key(col, r).and_then(|k| by_key.get(&k)) else {
                continue;
            };
            let v = match measure {
                Some(m) => match m.f64_at(r) {
                    Some(v) => v,
                    None => continue,
                },
                None => 1.0,
            };
            for &i in targets {
                groups.add(i, v);
                if let (Some(list), Some(text)) = (members.get_mut(i), col.str_at(r))
                    && list.len() < 16
                    && !list.iter().any(|m| m == text)
                {
                    list.push(text.to_owned());
                }
            }
        }
    } else {
        let (lon, lat) = coordinates(ds)?;
        let index = SpatialIndex::new(shapes);
        for &r in rows {
            let r = r as usize;
            let Some(p) = lonlat_at(lon, lat, r) else {
                continue;
            };
            let v = match measure {
                Some(m) => match m.f64_at(r) {
                    Some(v) => v,
                    None => continue,
                },
                None => 1.0,
            };
            if let Some(i) = index.find(p) {
                groups.add(i, v);
            }
        }
    }
    let mut out = MapData {
        layer: Some(MapLayer::Choropleth),
        value_label: value_label(measure, agg),
        ..MapData::default()
    };
    for (i, shape) in shapes.iter().enumerate() {
        if shape.polygons.is_empty() {
            continue;
        }
        let mut area = triangulate(shape, name_of(i), groups.value(i));
        area.members = members.get_mut(i).map(std::mem::take).unwrap_or_default();
        area.feature = i;
        out.areas.push(area);
    }
    out.range = finite_range(out.areas.iter().map(|a| a.value));
    out.bounds = bounds_of(shapes.iter().flat_map(Shape::positions));
    Ok(out)
}

/// The lines of a GeoJSON table, each with its row's `measure`.
pub fn lines(ds: &Dataset, rows: &[u32], measure: Option<&Column>) -> Result<MapData, ChartError> {
    let shapes = ds.geometry.as_deref();
    let ends = match shapes {
        Some(_) => None,
        None => Some(segment_columns(ds).ok_or(ChartError::Needs {
            kind: "map of lines",
            what: "a GeoJSON file of LineStrings, or start and end longitude and latitude columns (road segments)",
        })?),
    };
    let name_col = name_column(ds);
    let mut out = MapData {
        layer: Some(MapLayer::Lines),
        value_label: measure.map_or_else(String::new, |m| m.name.clone()),
        ..MapData::default()
    };
    for &r in rows {
        let r = r as usize;
        // A feature's lines, and polygon outlines, which count as lines on
        // a lines layer; or a table row's segment from start to end.
        let paths: Vec<Vec<Lonlat>> = match (shapes, ends) {
            (Some(shapes), _) => match shapes.get(r) {
                Some(shape) => shape
                    .lines
                    .iter()
                    .chain(shape.polygons.iter().flat_map(|p| &p.rings))
                    .cloned()
                    .collect(),
                None => continue,
            },
            (None, Some([x0, y0, x1, y1])) => match (lonlat_at(x0, y0, r), lonlat_at(x1, y1, r)) {
                (Some(a), Some(b)) => vec![vec![a, b]],
                _ => continue,
            },
            (None, None) => continue,
        };
        let value = measure.and_then(|m| m.f64_at(r)).unwrap_or(f64::NAN);
        let name = feature_name(name_col, r);
        for points in paths {
            out.lines.push(MapLine {
                name: name.clone(),
                value,
                points,
            });
        }
    }
    out.range = finite_range(out.lines.iter().map(|l| l.value));
    out.bounds = bounds_of(out.lines.iter().flat_map(|l| &l.points));
    Ok(out)
}

/// Row `r`'s name in the name column (text, or a number), else
/// "feature r".
fn feature_name(name_col: Option<&Column>, r: usize) -> String {
    name_col
        .and_then(|c| {
            c.str_at(r)
                .map(str::to_owned)
                .or_else(|| c.f64_at(r).map(super::format_value))
        })
        .unwrap_or_else(|| format!("feature {r}"))
}

/// The start and end of a table's road segments: four numeric columns
/// named for the segment's start (start, from, begin, origin) and end (end,
/// to, dest) and for longitude (longitude, lon, lng, long) and latitude
/// (latitude, lat) — e.g. Chicago's Traffic Tracker `START_LONGITUDE`,
/// `START_LATITUDE`, `END_LONGITUDE`, `END_LATITUDE`. In the order start
/// longitude, start latitude, end longitude, end latitude.
pub fn segment_columns(ds: &Dataset) -> Option<[&Column; 4]> {
    let tokens = |name: &str| -> Vec<String> {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let find = |ends: &[&str], axis: &[&str]| {
        ds.table.columns.iter().find(|c| {
            let t = tokens(&c.name);
            c.kind().is_numeric()
                && t.iter().any(|w| ends.contains(&w.as_str()))
                && t.iter().any(|w| axis.contains(&w.as_str()))
        })
    };
    const START: [&str; 5] = ["start", "from", "begin", "origin", "orig"];
    const END: [&str; 5] = ["end", "to", "dest", "destination", "stop"];
    const LON: [&str; 4] = ["longitude", "lon", "lng", "long"];
    const LAT: [&str; 2] = ["latitude", "lat"];
    Some([
        find(&START, &LON)?,
        find(&START, &LAT)?,
        find(&END, &LON)?,
        find(&END, &LAT)?,
    ])
}

/// The choropleth that joins a table to a GeoJSON of polygons, when they
/// meet: by a column of the table whose values name most of the polygons
/// (a district name or code, compared as trimmed lower-case text), else by
/// location when the table has coordinates. `None` when neither holds.
pub fn choropleth_suggestion(ds: &Dataset, geo: &Dataset) -> Option<ChartSpec> {
    let shapes = geo.geometry.as_deref()?;
    if ds.geometry.is_some() || !shapes.iter().any(|s| !s.polygons.is_empty()) {
        return None;
    }
    let text = |c: &Column, r: usize| {
        c.str_at(r)
            .map(|s| s.trim().to_lowercase())
            .or_else(|| c.f64_at(r).map(super::format_value))
    };
    // The best property = column pair: the most polygons named.
    let mut best: Option<(usize, Join)> = None;
    for prop in &geo.table.columns {
        let names: std::collections::HashSet<String> = (0..geo.table.n_rows())
            .filter_map(|r| text(prop, r))
            .collect();
        if names.len() < 2 || names.len() * 2 < shapes.len() {
            continue;
        }
        for col in &ds.table.columns {
            if matches!(
                col.kind(),
                crate::data::ColumnKind::Float | crate::data::ColumnKind::Timestamp
            ) {
                continue;
            }
            let seen: std::collections::HashSet<String> = (0..ds.table.n_rows().min(200_000))
                .filter_map(|r| text(col, r))
                .filter(|v| names.contains(v))
                .collect();
            if seen.len() * 2 >= names.len() && best.as_ref().is_none_or(|b| seen.len() > b.0) {
                best = Some((
                    seen.len(),
                    Join {
                        property: prop.name.clone(),
                        column: col.name.clone(),
                    },
                ));
            }
        }
    }
    let join = best.map(|b| b.1);
    if join.is_none() && !points_overlap(ds, shapes) {
        return None;
    }
    Some(ChartSpec {
        title: format!("Rows by {}", geo.name.replace('_', " ")),
        kind: super::ChartKind::MapPoints,
        dataset: ds.name.clone(),
        aggregation: Aggregation::Count,
        layer: MapLayer::Choropleth,
        geometry: Some(geo.name.clone()),
        join,
        ..ChartSpec::default()
    })
}

/// Whether the table has points and enough of them (one in twenty of up
/// to 10,000 spread over the table) lie within the districts' bounds: the
/// demo city's sensors are not counted in another city's districts.
fn points_overlap(ds: &Dataset, shapes: &[Shape]) -> bool {
    let (Ok((lon, lat)), Some(b)) = (
        coordinates(ds),
        bounds_of(shapes.iter().flat_map(Shape::positions)),
    ) else {
        return false;
    };
    let n = ds.table.n_rows();
    let step = (n / 10_000).max(1);
    let (mut located, mut inside) = (0usize, 0usize);
    for r in (0..n).step_by(step) {
        if let Some([x, y]) = lonlat_at(lon, lat, r) {
            located += 1;
            if x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3] {
                inside += 1;
            }
        }
    }
    located > 0 && inside * 20 >= located
}

/// The column that names a GeoJSON feature: a place or a category, else
/// the first text column, else none.
fn name_column(ds: &Dataset) -> Option<&Column> {
    ds.column_for(Role::PlaceId)
        .filter(|c| !c.kind().is_numeric())
        .or_else(|| {
            ds.table.columns.iter().find(|c| {
                let n = c.name.to_lowercase();
                [
                    "name", "district", "borough", "ward", "neighbo", "zone", "area",
                ]
                .iter()
                .any(|k| n.contains(k))
            })
        })
        .or_else(|| ds.column_for(Role::Category))
        .or_else(|| {
            ds.table.columns.iter().find(|c| {
                matches!(
                    c.kind(),
                    crate::data::ColumnKind::Categorical | crate::data::ColumnKind::Text
                )
            })
        })
}

/// A uniform grid over the polygons' extent listing the polygons whose box
/// meets each cell, so a point is tested against a few polygons only.
struct SpatialIndex<'a> {
    shapes: &'a [Shape],
    bounds: [f64; 4],
    cells: usize,
    grid: Vec<Vec<u32>>,
    boxes: Vec<Option<[f64; 4]>>,
}

impl<'a> SpatialIndex<'a> {
    const CELLS: usize = 64;

    fn new(shapes: &'a [Shape]) -> Self {
        let boxes: Vec<Option<[f64; 4]>> = shapes
            .iter()
            .map(|s| {
                (!s.polygons.is_empty())
                    .then(|| bounds_of(s.polygons.iter().flat_map(|p| p.rings.iter().flatten())))
                    .flatten()
            })
            .collect();
        let bounds =
            boxes
                .iter()
                .flatten()
                .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |a, b| {
                    [
                        a[0].min(b[0]),
                        a[1].min(b[1]),
                        a[2].max(b[2]),
                        a[3].max(b[3]),
                    ]
                });
        let n = Self::CELLS;
        let mut grid = vec![Vec::new(); n * n];
        let mut me = Self {
            shapes,
            bounds,
            cells: n,
            grid: Vec::new(),
            boxes,
        };
        for (i, b) in me.boxes.iter().enumerate() {
            let Some(b) = b else { continue };
            let (x0, y0) = me.cell([b[0], b[1]]);
            let (x1, y1) = me.cell([b[2], b[3]]);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    if let Some(c) = grid.get_mut(y * n + x) {
                        c.push(i as u32);
                    }
                }
            }
        }
        me.grid = grid;
        me
    }

    fn cell(&self, p: Lonlat) -> (usize, usize) {
        let b = self.bounds;
        let f = |v: f64, lo: f64, hi: f64| {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
            ((t * self.cells as f64) as usize).min(self.cells - 1)
        };
        (f(p[0], b[0], b[2]), f(p[1], b[1], b[3]))
    }

    /// The first polygon containing `p`.
    fn find(&self, p: Lonlat) -> Option<usize> {
        let b = self.bounds;
        if p[0] < b[0] || p[0] > b[2] || p[1] < b[1] || p[1] > b[3] {
            return None;
        }
        let (x, y) = self.cell(p);
        self.grid
            .get(y * self.cells + x)?
            .iter()
            .map(|&i| i as usize)
            .find(|&i| {
                self.boxes.get(i).copied().flatten().is_some_and(|bb| {
                    p[0] >= bb[0] && p[0] <= bb[2] && p[1] >= bb[1] && p[1] <= bb[3]
                }) && self.shapes.get(i).is_some_and(|s| s.contains(p))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::{ChartKind, compute_with};
    use crate::data::timeseries::TimeRange;
    use crate::data::{Source, Table};

    fn points(rows: &[(f64, f64, &str, f64)]) -> Dataset {
        Dataset::from_table(
            "incidents",
            Source::Derived("test".to_owned()),
            Table::new(vec![
                Column::from_f64("longitude", rows.iter().map(|r| r.0).collect()),
                Column::from_f64("latitude", rows.iter().map(|r| r.1).collect()),
                Column::categorical("borough", &rows.iter().map(|r| r.2).collect::<Vec<_>>()),
                Column::from_f64("injured", rows.iter().map(|r| r.3).collect()),
            ])
            .unwrap(),
            jiff::tz::TimeZone::UTC,
        )
    }

    fn districts() -> Dataset {
        let text = r#"{"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"name": "West", "code": "W"},
           "geometry": {"type": "Polygon", "coordinates": [
             [[0,0],[1,0],[1,1],[0,1],[0,0]],
             [[0.4,0.4],[0.6,0.4],[0.6,0.6],[0.4,0.6],[0.4,0.4]]]}},
          {"type": "Feature", "properties": {"name": "East", "code": "E"},
           "geometry": {"type": "MultiPolygon", "coordinates": [
             [[[1,0],[2,0],[2,1],[1,1],[1,0]]],
             [[[3,0],[4,0],[4,1],[3,1],[3,0]]]]}},
          {"type": "Feature", "properties": {"name": "Empty", "code": "X"},
           "geometry": {"type": "Polygon", "coordinates": [[[5,5],[6,5],[6,6],[5,5]]]}}
        ]}"#;
        let g = crate::data::geojson::parse_geojson(text, &()).unwrap();
        let mut ds = Dataset::from_table(
            "districts",
            Source::Derived("test".to_owned()),
            g.table,
            jiff::tz::TimeZone::UTC,
        );
        ds.geometry = Some(std::sync::Arc::new(g.shapes));
        ds
    }

    fn spec(layer: MapLayer, measures: &[&str], aggregation: Aggregation) -> ChartSpec {
        ChartSpec {
            kind: ChartKind::MapPoints,
            dataset: "incidents".to_owned(),
            measures: measures.iter().map(|m| (*m).to_owned()).collect(),
            aggregation,
            layer,
            geometry: Some("districts".to_owned()),
            ..ChartSpec::default()
        }
    }

    #[test]
    fn points_are_counted_per_district_spatially_holes_and_islands_included() {
        let ds = points(&[
            (0.1, 0.1, "WEST", 1.0),
            (0.9, 0.2, "WEST", 3.0),
            (0.5, 0.5, "WEST", 100.0), // in West's hole: no district
            (1.5, 0.5, "EAST", 2.0),
            (3.5, 0.5, "EAST", 4.0), // East's island
            (9.0, 9.0, "NOWHERE", 7.0),
        ]);
        let geo = districts();
        let d = compute_with(
            &spec(MapLayer::Choropleth, &[], Aggregation::Count),
            &ds,
            Some(&geo),
            TimeRange::default(),
            &(),
        )
        .unwrap();
        let m = d.map.unwrap();
        let by: Vec<(&str, f64)> = m.areas.iter().map(|a| (a.name.as_str(), a.value)).collect();
        assert_eq!(by, [("West", 2.0), ("East", 2.0), ("Empty", 0.0)]);
        assert_eq!(m.value_label, "rows");
        // Means of a measure: a district without rows has no value.
        let d = compute_with(
            &spec(MapLayer::Choropleth, &["injured"], Aggregation::Mean),
            &ds,
            Some(&geo),
            TimeRange::default(),
            &(),
        )
        .unwrap();
        assert_eq!(d.counts(), (2, 1));
        let m = d.map.unwrap();
        assert_eq!(m.areas[0].value, 2.0);
        assert_eq!(m.areas[1].value, 3.0);
        assert!(m.areas[2].value.is_nan());
        // The triangles cover West's area less its hole: 1 - 0.04.
        let area: f64 = m.areas[0]
            .triangles
            .chunks(3)
            .map(|t| {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| m.areas[0].vertices[i as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum();
        assert!((area - 0.96).abs() < 1e-9, "{area}");
    }

    #[test]
    fn a_district_picked_on_a_map_keeps_the_rows_inside_it() {
        let ds = points(&[
            (0.1, 0.1, "WEST", 1.0),
            (0.5, 0.5, "HOLE", 2.0), // in West's hole
            (1.5, 0.5, "EAST", 4.0),
            (3.5, 0.5, "ISLAND", 8.0), // East's island
        ]);
        let geo = districts();
        let rows_inside = |feature: usize| {
            let s = ChartSpec {
                kind: ChartKind::Table,
                x: Some("borough".to_owned()),
                filters: vec![crate::charts::Filter::Within {
                    geometry: "districts".to_owned(),
                    feature,
                }],
                ..ChartSpec::default()
            };
            let d = compute_with(&s, &ds, Some(&geo), TimeRange::default(), &()).unwrap();
            d.rows_used
        };
        assert_eq!(rows_inside(0), 1, "West without its hole");
        assert_eq!(rows_inside(1), 2, "East with its island");
        assert_eq!(rows_inside(2), 0);
        // Without the districts open, the reason.
        let s = ChartSpec {
            kind: ChartKind::Bar,
            x: Some("borough".to_owned()),
            filters: vec![crate::charts::Filter::Within {
                geometry: "districts".to_owned(),
                feature: 0,
            }],
            ..ChartSpec::default()
        };
        let e = compute_with(&s, &ds, None, TimeRange::default(), &()).unwrap_err();
        assert!(e.to_string().contains("GeoJSON file to be open"), "{e}");
    }

    #[test]
    fn a_property_join_matches_names_whatever_their_case() {
        let ds = points(&[
            (50.0, 50.0, "West", 1.0),
            (50.0, 50.0, "WEST ", 1.0),
            (50.0, 50.0, "east", 5.0),
        ]);
        let mut s = spec(MapLayer::Choropleth, &["injured"], Aggregation::Sum);
        s.join = Some(Join {
            property: "name".to_owned(),
            column: "borough".to_owned(),
        });
        let d = compute_with(&s, &ds, Some(&districts()), TimeRange::default(), &()).unwrap();
        let m = d.map.unwrap();
        assert_eq!(m.areas[0].value, 2.0);
        assert_eq!(m.areas[1].value, 5.0);
        s.join = Some(Join {
            property: "nope".to_owned(),
            column: "borough".to_owned(),
        });
        let e = compute_with(&s, &ds, Some(&districts()), TimeRange::default(), &()).unwrap_err();
        assert!(e.to_string().contains("'nope'"), "{e}");
    }

    #[test]
    fn bins_count_and_average_the_points_inside_them() {
        // 100 points on a diagonal, the first place twice.
        let mut rows: Vec<(f64, f64, &str, f64)> = (0..100)
            .map(|i| (10.0 + i as f64 / 2.0, 10.0 + i as f64 / 4.0, "a", i as f64))
            .collect();
        rows.push((10.0, 10.0, "a", 1000.0));
        let ds = points(&rows);
        let d = compute_with(
            &spec(MapLayer::Bins, &[], Aggregation::Count),
            &ds,
            None,
            TimeRange::default(),
            &(),
        )
        .unwrap();
        let m = d.map.unwrap();
        let total: u32 = m.bins.iter().map(|b| b.rows).sum();
        assert_eq!(total, 101, "every point in one bin");
        assert_eq!(m.bins.iter().map(|b| b.value).sum::<f64>(), 101.0);
        // The first bin holds (10,10) twice: its mean of `injured` is (0 + 1000) / 2.
        let d = compute_with(
            &spec(MapLayer::Bins, &["injured"], Aggregation::Mean),
            &ds,
            None,
            TimeRange::default(),
            &(),
        )
        .unwrap();
        let m = d.map.unwrap();
        let [w, h] = m.bin_size;
        assert!(w > 0.0 && h > 0.0);
        for b in &m.bins {
            let inside: Vec<f64> = rows
                .iter()
                .filter(|r| {
                    r.0 >= b.west && r.0 < b.west + w && r.1 >= b.south && r.1 < b.south + h
                })
                .map(|r| r.3)
                .collect();
            assert_eq!(b.rows as usize, inside.len());
            assert_eq!(b.value, inside.iter().sum::<f64>() / inside.len() as f64);
        }
        let first = m
            .bins
            .iter()
            .find(|b| b.west == 10.0 && b.south == 10.0)
            .unwrap();
        assert!(
            first.value * f64::from(first.rows) >= 1000.0,
            "the doubled place's 1000 is in its mean"
        );
        // 101 points make about ten bins across, not eighty specks.
        let across = ((59.5 - 10.0) / w).round();
        assert!((9.0..=11.0).contains(&across), "{across} bins across");
    }

    /// Chicago's Traffic Tracker layout: each row a segment from its start
    /// to its end, drawn as a line coloured by its speed; a row without an
    /// end is left out, and "to" or "lon" inside other words do not count.
    #[test]
    fn a_table_of_segments_by_start_and_end_is_a_lines_layer() {
        let ds = Dataset::from_table(
            "segments",
            Source::Derived("test".to_owned()),
            Table::new(vec![
                Column::categorical("STREET", &["Kedzie", "Kedzie", "Ashland"]),
                Column::from_f64("TOTAL_LONGEVITY", vec![1.0, 2.0, 3.0]),
                Column::from_f64("START_LONGITUDE", vec![-87.70, -87.70, -87.66]),
                Column::from_f64("START_LATITUDE", vec![41.77, 41.78, 41.80]),
                Column::from_f64("END_LONGITUDE", vec![-87.70, f64::NAN, -87.66]),
                Column::from_f64("END_LATITUDE", vec![41.78, 41.79, 41.81]),
                Column::from_f64("CURRENT_SPEED", vec![27.0, 20.0, 14.0]),
            ])
            .unwrap(),
            jiff::tz::TimeZone::UTC,
        );
        let ends = segment_columns(&ds).unwrap();
        let names: Vec<&str> = ends.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "START_LONGITUDE",
                "START_LATITUDE",
                "END_LONGITUDE",
                "END_LATITUDE"
            ]
        );
        let spec = ChartSpec {
            kind: super::super::ChartKind::MapPoints,
            dataset: "segments".to_owned(),
            measures: vec!["CURRENT_SPEED".to_owned()],
            layer: MapLayer::Lines,
            ..ChartSpec::default()
        };
        let d = compute_with(&spec, &ds, None, TimeRange::default(), &()).unwrap();
        let m = d.map.unwrap();
        assert_eq!(m.lines.len(), 2, "the row without an end is left out");
        assert_eq!(m.lines[0].points, vec![[-87.70, 41.77], [-87.70, 41.78]]);
        assert_eq!(m.lines[0].name, "Kedzie");
        assert_eq!(m.range, Some([14.0, 27.0]));
        // Suggested first for such a table, by its speed.
        let s = &crate::charts::suggest(&ds)[0];
        assert_eq!(s.layer, MapLayer::Lines);
        assert_eq!(s.measures, ["CURRENT_SPEED"]);
        // A table of points only has no segments.
        assert!(segment_columns(&points(&[(0.1, 0.1, "A", 1.0)])).is_none());
    }

    #[test]
    fn a_table_and_districts_meet_by_name_or_by_location() {
        let geo = districts();
        // Coordinates and a borough column naming the districts: by name.
        let named = points(&[(0.1, 0.1, "West", 1.0), (1.5, 0.5, "east ", 2.0)]);
        let s = choropleth_suggestion(&named, &geo).unwrap();
        assert_eq!(
            s.join,
            Some(Join {
                property: "name".to_owned(),
                column: "borough".to_owned()
            })
        );
        assert_eq!(s.geometry.as_deref(), Some("districts"));
        // Borough names that name no district: by location.
        let located = points(&[(0.1, 0.1, "BRONX", 1.0), (1.5, 0.5, "QUEENS", 2.0)]);
        let s = choropleth_suggestion(&located, &geo).unwrap();
        assert_eq!(s.join, None);
        let d = compute_with(&s, &located, Some(&geo), TimeRange::default(), &()).unwrap();
        assert_eq!(d.map.unwrap().areas[0].value, 1.0);
        // The districts themselves are not joined to themselves.
        assert!(choropleth_suggestion(&geo, &geo).is_none());
        // Points of another city, far from every district: no choropleth
        // of empty districts.
        let elsewhere = points(&[(40.1, 40.1, "BRONX", 1.0), (41.5, 40.5, "QUEENS", 2.0)]);
        assert!(choropleth_suggestion(&elsewhere, &geo).is_none());
    }

    #[test]
    fn hexagonal_bins_hold_the_points_nearest_their_centres() {
        let rows: Vec<(f64, f64, &str, f64)> = (0..500)
            .map(|i| {
                let t = f64::from(i);
                (
                    10.0 + (t * 0.37).sin() * 0.5,
                    20.0 + (t * 0.11).cos() * 0.4,
                    "a",
                    t,
                )
            })
            .collect();
        let ds = points(&rows);
        let d = compute_with(
            &spec(MapLayer::Hexbins, &[], Aggregation::Count),
            &ds,
            None,
            TimeRange::default(),
            &(),
        )
        .unwrap();
        let m = d.map.unwrap();
        assert_eq!(m.layer, Some(MapLayer::Hexbins));
        let [rx, ry] = m.hex_radius.unwrap();
        assert_eq!(m.bins.iter().map(|b| b.rows).sum::<u32>(), 500);
        // Each point is in the bin whose centre is nearest (on the ground),
        // within the radius.
        let shrink = ry / rx;
        for p in &rows {
            let dist = |b: &Bin| ((p.0 - b.west) * shrink).hypot(p.1 - b.south);
            let nearest = m.bins.iter().map(dist).fold(f64::INFINITY, f64::min);
            assert!(nearest <= ry * 1.0001, "{p:?}: {nearest} > {ry}");
        }
    }

    #[test]
    fn a_geojson_of_districts_draws_its_own_polygons_by_a_property() {
        let geo = districts();
        let s = ChartSpec {
            kind: ChartKind::MapPoints,
            dataset: "districts".to_owned(),
            ..ChartSpec::default()
        };
        let d = compute_with(&s, &geo, None, TimeRange::default(), &()).unwrap();
        let m = d.map.unwrap();
        assert_eq!(m.layer, Some(MapLayer::Choropleth));
        assert_eq!(m.areas.len(), 3);
        assert_eq!(m.bounds, Some([0.0, 0.0, 6.0, 6.0]));
    }
}
