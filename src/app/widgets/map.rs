//! The map: walkers' Web Mercator view (zoom with Ctrl + wheel or a
//! double click, pan by dragging) over the chosen basemap — raster tiles
//! from an XYZ server or a PMTiles file, the demo city's own map, or none
//! (a plain background with a graticule) — and computed layers on top, in
//! order: points coloured by their group, square or hexagonal bins,
//! district polygons as a choropleth, or lines, each on a colour ramp.
//! Each layer is shown or hidden and drawn at its own opacity
//! ([`LayerLook`]), and each visible one has its legend, stacked in the
//! top right corner. Hovering shows the value of the topmost layer under
//! the pointer, and a click picks from it; a scale bar and the basemap's
//! attribution sit in the corners. The first time layers are shown, the
//! view fits their extent. In the large style (presentation mode) labels,
//! legends, dots and the scale bar are drawn for the back of a room.

use egui::{Color32, Pos2, Rect, Stroke, pos2, vec2};
use walkers::{MapMemory, Plugin, Projector, Tiles, lon_lat};

use super::tiles::{TileStatus, XyzTiles};
use crate::app::state::Basemap;
use crate::app::theme;
use crate::charts::{ChartData, LayerLook, MapData, format_value};
use crate::data::demo::basemap::DemoBasemap;
use crate::data::geojson::{Lonlat, ring_contains};

/// Set in the context's memory in a frame where a map still waits for
/// tiles (see `png_export::draw_offscreen_until`).
pub const TILES_PENDING: &str = "cityops_map_tiles_pending";
/// Set in the context's memory when basemap tiles failed: what failed.
pub const TILES_FAILED: &str = "cityops_map_tiles_failed";

/// How much larger text, dots and legends are in the large style.
const LARGE: f32 = 1.45;

/// One layer as the map draws it: what it is called (in its legend), its
/// computed data, how it is shown, and its place in the map's list (0 for
/// the map's own layer, then 1 + each overlay's index).
#[derive(Clone, Copy)]
pub struct LayerRef<'a> {
    pub title: &'a str,
    pub data: &'a ChartData,
    pub look: LayerLook,
    pub index: usize,
}

impl<'a> LayerRef<'a> {
    /// A computed map and those of its overlays that could be computed,
    /// shown with the looks they were computed with, or with `looks` (the
    /// map's own layer first, then one per overlay) where given.
    pub fn stack(data: &'a ChartData, looks: Option<&[LayerLook]>) -> Vec<LayerRef<'a>> {
        let look = |i: usize, own: LayerLook| looks.and_then(|l| l.get(i).copied()).unwrap_or(own);
        let mut out = vec![LayerRef {
            title: &data.layer_title,
            data,
            look: look(0, data.look),
            index: 0,
        }];
        for (i, o) in data.overlays.iter().enumerate() {
            if let Some(d) = &o.data {
                out.push(LayerRef {
                    title: &o.title,
                    data: d,
                    look: look(i + 1, o.look),
                    index: i + 1,
                });
            }
        }
        out
    }
}

/// What a click on a layer picked: a polygon (its index in the layer's
/// areas), a bin's box `[west, south, east, north]`, or a group of points
/// (the series' name).
#[derive(Clone, Debug, PartialEq)]
pub enum MapPick {
    Area(usize),
    Bin([f64; 4]),
    Group(String),
}

/// One map's view: where it looks and which extent it was fitted to.
#[derive(Clone, Default)]
pub struct MapView {
    memory: MapMemory,
    /// The extent the view was last fitted to.
    fitted: Option<[f64; 4]>,
}

/// Every drawn position's extent: the layer's, else the points'.
fn extent(data: &ChartData) -> Option<[f64; 4]> {
    data.map.as_ref().and_then(|m| m.bounds).or_else(|| {
        crate::data::geojson::bounds_of(
            data.series
                .iter()
                .flat_map(|s| s.points.iter())
                .filter(|p| p[0].is_finite() && p[1].is_finite()),
        )
    })
}

/// The extent of the visible layers (of all of them when none is).
fn extent_of(layers: &[LayerRef<'_>]) -> Option<[f64; 4]> {
    let any_visible = layers.iter().any(|l| l.look.visible);
    layers
        .iter()
        .filter(|l| l.look.visible || !any_visible)
        .filter_map(|l| extent(l.data))
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
}

fn mercator_y(lat: f64) -> f64 {
    let lat = lat.clamp(-85.0, 85.0).to_radians();
    (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln()
}

/// The zoom at which `b` fills `size` (with a margin), walkers' 256 px
/// tiles.
fn fit_zoom(b: [f64; 4], size: egui::Vec2) -> f64 {
    let lon_span = (b[2] - b[0]).max(1e-6);
    let y_span = (mercator_y(b[3]) - mercator_y(b[1])).max(1e-8);
    let z_lon = (f64::from(size.x) / 256.0 * 360.0 / lon_span).log2();
    let z_lat = (f64::from(size.y) / 256.0 * std::f64::consts::TAU / y_span).log2();
    (z_lon.min(z_lat) - 0.6).clamp(1.0, 18.0)
}

/// How a map is drawn besides its layers.
pub struct MapStyle<'a> {
    pub basemap: &'a Basemap,
    pub size: egui::Vec2,
    /// Labels, legends, dots and the scale bar for the back of a room.
    pub large: bool,
}

impl MapView {
    /// Draws `layers` (bottom first) in `style.size` over the basemap;
    /// returns the tile status (for the line under the map), if tiles are
    /// used, and what a click picked: the layer's index and the feature.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        layers: &[LayerRef<'_>],
        style: &MapStyle<'_>,
    ) -> (egui::Response, Option<TileStatus>, Option<(usize, MapPick)>) {
        let (basemap, size) = (style.basemap, style.size);
        let b = extent_of(layers);
        // Fit once, and again only for data outside what was fitted (a
        // subset — a playback step, a filter — keeps the operator's view).
        let inside =
            |b: [f64; 4], f: [f64; 4]| b[0] >= f[0] && b[1] >= f[1] && b[2] <= f[2] && b[3] <= f[3];
        if let Some(b) = b
            && self.fitted.is_none_or(|f| !inside(b, f))
        {
            self.fitted = Some(b);
            let _ = self.memory.set_zoom(fit_zoom(b, size));
            self.memory
                .center_at(lon_lat((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0));
        }
        let home = b.map_or(lon_lat(0.0, 0.0), |b| {
            lon_lat((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
        });
        let mut tiles: Option<XyzTiles> = match basemap {
            Basemap::Xyz { url, .. } => super::tiles::shared(url, ui.ctx()),
            Basemap::None | Basemap::Demo => None,
        };
        let attribution = match basemap {
            Basemap::Xyz { attribution, .. } => attribution.clone(),
            Basemap::None | Basemap::Demo => String::new(),
        };
        let demo = matches!(basemap, Basemap::Demo).then(demo_basemap);
        let dark = ui.visuals().dark_mode;
        let plain = tiles.is_none();
        let mut pick = None;
        let response = ui
            .allocate_ui(size, |ui| {
                ui.set_min_size(size);
                let map = walkers::Map::new(
                    tiles.as_mut().map(|t| t as &mut dyn Tiles),
                    &mut self.memory,
                    home,
                )
                .double_click_to_zoom(true)
                // The wheel scrolls the page the map sits in; Ctrl + wheel
                // zooms and dragging pans.
                .panning(false)
                .with_plugin(Layers {
                    layers,
                    graticule: plain,
                    demo,
                    pick: &mut pick,
                    attribution,
                    dark,
                    k: if style.large { LARGE } else { 1.0 },
                });
                ui.add(map)
            })
            .inner;
        let status = tiles.as_ref().map(XyzTiles::status);
        if let Some(st) = &status {
            // An offscreen drawing (PNG, command line) waits for tiles
            // loading and reports those that failed.
            if st.loading > 0 {
                ui.ctx()
                    .data_mut(|d| d.insert_temp(egui::Id::unique(TILES_PENDING), true));
            }
            if let Some(e) = st.last_error.as_ref().filter(|_| st.failed > 0) {
                let problem = format!("{} basemap tiles could not be loaded: {e}", st.failed);
                ui.ctx()
                    .data_mut(|d| d.insert_temp(egui::Id::unique(TILES_FAILED), problem));
            }
        }
        (response, status, pick)
    }
}

/// Paints the layers, their legends, the scale bar and the attribution.
struct Layers<'a> {
    layers: &'a [LayerRef<'a>],
    graticule: bool,
    demo: Option<&'static DemoBasemap>,
    /// Set to what a click picked, if anything: the layer and the feature.
    pick: &'a mut Option<(usize, MapPick)>,
    attribution: String,
    dark: bool,
    /// The size of text, dots and legends: 1, or [`LARGE`].
    k: f32,
}

fn project(p: &Projector, at: Lonlat) -> Pos2 {
    p.project(lon_lat(at[0], at[1])).to_pos2()
}

/// Where a value sits in `range`, 0 to 1.
fn unit(value: f64, range: Option<[f64; 2]>) -> f64 {
    let [lo, hi] = range.unwrap_or([0.0, 1.0]);
    let t = if hi > lo {
        (value - lo) / (hi - lo)
    } else {
        0.5
    };
    t.clamp(0.0, 1.0)
}

/// A layer's colour of a value: congestion (0 to 1) green to red, else
/// the ordinary ramp over the layer's range.
fn value_color(m: &MapData, value: f64) -> Color32 {
    if m.congestion {
        theme::congestion_color(value)
    } else {
        theme::ramp(unit(value, m.range))
    }
}

/// A value's colour on the ramp of `range`, at opacity `alpha`.
fn ramp_color(value: f64, range: Option<[f64; 2]>, alpha: f32) -> Color32 {
    theme::ramp(unit(value, range)).gamma_multiply(alpha)
}

/// Text of size `size` in the map's style.
fn font(size: f32, k: f32) -> egui::FontId {
    egui::FontId::proportional(size * k)
}

impl Plugin for Layers<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut egui::Ui,
        response: &egui::Response,
        projector: &Projector,
        _memory: &MapMemory,
    ) {
        let k = self.k;
        let rect = response.rect;
        let painter = ui.painter_at(rect);
        let mut labels_of: Option<&DemoBasemap> = None;
        if self.graticule {
            painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
            // The demo city's map where the view shows it; a graticule
            // elsewhere.
            let shows_demo = self.demo.is_some_and(|_| {
                let a = projector.unproject(rect.left_bottom().to_vec2());
                let b = projector.unproject(rect.right_top().to_vec2());
                let [w, s, e, n] = crate::data::demo::basemap::EXTENT;
                a.x() < e && b.x() > w && a.y() < n && b.y() > s
            });
            match self.demo.filter(|_| shows_demo) {
                Some(map) => {
                    draw_demo_basemap(&painter, projector, map, self.dark);
                    labels_of = Some(map);
                }
                None => graticule(&painter, projector, rect, self.dark, k),
            }
        }
        let visible: Vec<&LayerRef<'_>> = self.layers.iter().filter(|l| l.look.visible).collect();
        for l in &visible {
            let alpha = l.look.alpha();
            match &l.data.map {
                Some(m) => draw_layer(&painter, projector, m, alpha, k),
                None => draw_points(&painter, projector, l.data, alpha, k),
            }
        }
        // Hover and click go to the topmost visible layer with something
        // under the pointer.
        let mut hover: Option<String> = None;
        if let Some(pointer) = response.hover_pos() {
            let p = projector.unproject(pointer.to_vec2());
            let at = [p.x(), p.y()];
            for l in visible.iter().rev() {
                let (text, picked) = match &l.data.map {
                    Some(m) => (
                        hovered_layer(projector, m, at, pointer, k),
                        response.clicked().then(|| picked_layer(m, at)).flatten(),
                    ),
                    None => (
                        hovered_point(projector, l.data, pointer),
                        response
                            .clicked()
                            .then(|| nearest_point(projector, l.data, pointer))
                            .flatten()
                            .map(|(name, _)| MapPick::Group(name.to_owned())),
                    ),
                };
                if let Some(text) = text {
                    hover = Some(if visible.len() > 1 {
                        format!("{}\n{text}", l.title)
                    } else {
                        text
                    });
                    *self.pick = picked.map(|p| (l.index, p));
                    break;
                }
            }
        }
        // Each visible layer's legend, stacked from the top right corner;
        // named after its layer when there are several.
        let named = visible.len() > 1;
        let mut y = rect.top() + 10.0;
        for l in &visible {
            let title = named.then_some(l.title);
            let h = match &l.data.map {
                Some(m) => legend_ramp(&painter, rect, y, m, title, k),
                None => legend_groups(&painter, rect, y, l.data, title, k),
            };
            if h > 0.0 {
                // The box's padding (4 above, 4 below) and a gap.
                y += h + 14.0;
            }
        }
        // Place names above the layers, so they stay readable.
        if let Some(map) = labels_of {
            draw_demo_labels(&painter, projector, map, self.dark, k);
        }
        scale_bar(&painter, projector, rect, k);
        if !self.attribution.is_empty() {
            let galley = painter.layout_no_wrap(self.attribution, font(11.0, k), theme::MUTED);
            let at = rect.right_bottom() - galley.size() - vec2(6.0, 4.0);
            painter.rect_filled(
                Rect::from_min_size(at - vec2(3.0, 1.0), galley.size() + vec2(6.0, 2.0)),
                2.0,
                ui.visuals().extreme_bg_color.gamma_multiply(0.85),
            );
            painter.galley(at, galley, theme::MUTED);
        }
        if let (Some(text), Some(p)) = (hover, response.hover_pos()) {
            let color = ui.visuals().text_color();
            let galley = painter.layout_no_wrap(text, font(13.0, k), color);
            let at = p + vec2(14.0, 10.0);
            let bg = Rect::from_min_size(at - vec2(4.0, 3.0), galley.size() + vec2(8.0, 6.0));
            painter.rect_filled(bg, 3.0, ui.visuals().window_fill);
            painter.rect_stroke(
                bg,
                3.0,
                ui.visuals().window_stroke,
                egui::StrokeKind::Inside,
            );
            painter.galley(at, galley, color);
        }
    }
}

/// The opacity of lines and dots at a layer's `alpha`: at least half
/// opaque, since thinner than a fill they would vanish sooner.
fn solid(alpha: f32) -> f32 {
    alpha.clamp(0.5, 1.0)
}

/// A computed layer at opacity `alpha`; dots sized by `k`.
fn draw_layer(painter: &egui::Painter, p: &Projector, m: &MapData, alpha: f32, k: f32) {
    let outline = Stroke::new(
        1.0,
        Color32::from_gray(40).gamma_multiply(0.8 * alpha.max(0.3)),
    );
    for a in &m.areas {
        let fill = if a.value.is_finite() {
            ramp_color(a.value, m.range, alpha)
        } else {
            Color32::from_gray(128).gamma_multiply(0.35 * alpha)
        };
        let mut mesh = egui::Mesh::default();
        for v in &a.vertices {
            mesh.colored_vertex(project(p, *v), fill);
        }
        mesh.indices.extend_from_slice(&a.triangles);
        painter.add(egui::Shape::mesh(mesh));
        for &(s, e) in &a.rings {
            let pts: Vec<Pos2> = a
                .vertices
                .get(s as usize..e as usize)
                .unwrap_or_default()
                .iter()
                .map(|v| project(p, *v))
                .collect();
            painter.add(egui::Shape::closed_line(pts, outline));
        }
    }
    if !m.bins.is_empty() {
        let [w, h] = m.bin_size;
        let mut mesh = egui::Mesh::default();
        // Pointy-top hexagons: corners at 30° + 60° k.
        let corners: [(f64, f64); 6] = std::array::from_fn(|k| {
            let a = (30.0 + 60.0 * k as f64).to_radians();
            (a.cos(), a.sin())
        });
        for b in &m.bins {
            let color = ramp_color(b.value, m.range, alpha);
            match m.hex_radius {
                Some([rx, ry]) => {
                    let base = mesh.vertices.len() as u32;
                    mesh.colored_vertex(project(p, [b.west, b.south]), color);
                    for (cx, cy) in corners {
                        let at = [b.west + rx * cx, b.south + ry * cy];
                        mesh.colored_vertex(project(p, at), color);
                    }
                    for k in 0..6 {
                        mesh.add_triangle(base, base + 1 + k, base + 1 + (k + 1) % 6);
                    }
                }
                None => {
                    let a = project(p, [b.west, b.south]);
                    let c = project(p, [b.west + w, b.south + h]);
                    mesh.add_colored_rect(Rect::from_two_pos(a, c), color);
                }
            }
        }
        painter.add(egui::Shape::mesh(mesh));
    }
    let solid = solid(alpha);
    for l in &m.lines {
        let color = if l.value.is_finite() {
            value_color(m, l.value)
        } else {
            theme::series_color(0)
        };
        let pts: Vec<Pos2> = l.points.iter().map(|v| project(p, *v)).collect();
        painter.add(egui::Shape::line(
            pts,
            Stroke::new(3.0 * k, color.gamma_multiply(solid)),
        ));
    }
    for d in &m.dots {
        let fill = if d.value.is_finite() {
            value_color(m, d.value)
        } else {
            Color32::from_gray(128)
        };
        painter.circle(
            project(p, d.at),
            DOT_RADIUS * k,
            fill.gamma_multiply(solid),
            Stroke::new(1.5, Color32::from_black_alpha((160.0 * solid) as u8)),
        );
    }
}

/// Named places (sensors) are drawn large enough to read from a room.
const DOT_RADIUS: f32 = 8.0;

/// Dots: circles for a few thousand, small squares in one mesh beyond.
fn draw_points(painter: &egui::Painter, p: &Projector, data: &ChartData, alpha: f32, k: f32) {
    let n: usize = data.series.iter().map(|s| s.points.len()).sum();
    let r = if n > 20_000 { 1.5 } else { 3.0 } * k;
    let solid = solid(alpha);
    let mut mesh = egui::Mesh::default();
    for (i, s) in data.series.iter().enumerate() {
        let color = theme::series_color(i).gamma_multiply(solid);
        for pt in &s.points {
            let at = project(p, *pt);
            if !painter.clip_rect().contains(at) {
                continue;
            }
            if n <= 3_000 {
                painter.circle(
                    at,
                    r,
                    color,
                    Stroke::new(0.5, Color32::from_black_alpha((120.0 * solid) as u8)),
                );
            } else {
                mesh.add_colored_rect(Rect::from_center_size(at, vec2(2.0 * r, 2.0 * r)), color);
            }
        }
    }
    if !mesh.is_empty() {
        painter.add(egui::Shape::mesh(mesh));
    }
}

fn hovered_layer(p: &Projector, m: &MapData, at: Lonlat, pointer: Pos2, k: f32) -> Option<String> {
    if let Some(d) = m
        .dots
        .iter()
        .filter(|d| project(p, d.at).distance(pointer) <= DOT_RADIUS * k + 2.0)
        .min_by(|a, b| {
            project(p, a.at)
                .distance(pointer)
                .total_cmp(&project(p, b.at).distance(pointer))
        })
    {
        return Some(d.label.clone());
    }
    let label = &m.value_label;
    for a in &m.areas {
        let inside = a.rings.first().is_some_and(|&(s, e)| {
            a.vertices
                .get(s as usize..e as usize)
                .is_some_and(|ring| ring_contains(ring, at))
        }) && !a.rings.iter().skip(1).any(|&(s, e)| {
            a.vertices
                .get(s as usize..e as usize)
                .is_some_and(|ring| ring_contains(ring, at))
        });
        if inside {
            let v = if a.value.is_finite() {
                format_value(a.value)
            } else {
                crate::app::i18n::tr("no rows").to_owned()
            };
            return Some(format!("{}\n{label}: {v}", a.name));
        }
    }
    let [w, h] = m.bin_size;
    let hovered = match m.hex_radius {
        // The hexagon whose centre is nearest on the ground, if within it.
        Some([rx, ry]) => {
            let dist =
                |b: &&crate::charts::map::Bin| ((at[0] - b.west) * ry / rx).hypot(at[1] - b.south);
            m.bins
                .iter()
                .min_by(|a, b| dist(a).total_cmp(&dist(b)))
                .filter(|b| dist(b) <= ry)
        }
        None => m.bins.iter().find(|b| {
            at[0] >= b.west && at[0] < b.west + w && at[1] >= b.south && at[1] < b.south + h
        }),
    };
    hovered.map(|b| crate::trf!("{}: {} ({} rows)", label, format_value(b.value), b.rows))
}

/// The point nearest the pointer within 8 points, with its series' name.
fn nearest_point<'d>(
    p: &Projector,
    data: &'d ChartData,
    pointer: Pos2,
) -> Option<(&'d str, [f64; 2])> {
    let mut best: Option<(f32, &str, [f64; 2])> = None;
    for s in &data.series {
        for pt in &s.points {
            let d = project(p, *pt).distance(pointer);
            if d < 8.0 && best.is_none_or(|b| d < b.0) {
                best = Some((d, &s.name, *pt));
            }
        }
    }
    best.map(|(_, name, pt)| (name, pt))
}

fn hovered_point(p: &Projector, data: &ChartData, pointer: Pos2) -> Option<String> {
    nearest_point(p, data, pointer).map(|(name, pt)| format!("{name}\n{:.5}, {:.5}", pt[1], pt[0]))
}

/// The polygon or bin at `at`.
fn picked_layer(m: &MapData, at: Lonlat) -> Option<MapPick> {
    let inside = |a: &crate::charts::map::Area, (s, e): (u32, u32)| {
        a.vertices
            .get(s as usize..e as usize)
            .is_some_and(|ring| ring_contains(ring, at))
    };
    if let Some(i) = m.areas.iter().position(|a| {
        a.rings.first().is_some_and(|&r| inside(a, r))
            && !a.rings.iter().skip(1).any(|&r| inside(a, r))
    }) {
        return Some(MapPick::Area(i));
    }
    let [w, h] = m.bin_size;
    match m.hex_radius {
        Some([rx, ry]) => {
            let dist =
                |b: &&crate::charts::map::Bin| ((at[0] - b.west) * ry / rx).hypot(at[1] - b.south);
            m.bins
                .iter()
                .min_by(|a, b| dist(a).total_cmp(&dist(b)))
                .filter(|b| dist(b) <= ry)
                .map(|b| MapPick::Bin([b.west - rx, b.south - ry, b.west + rx, b.south + ry]))
        }
        None => m
            .bins
            .iter()
            .find(|b| {
                at[0] >= b.west && at[0] < b.west + w && at[1] >= b.south && at[1] < b.south + h
            })
            .map(|b| MapPick::Bin([b.west, b.south, b.west + w, b.south + h])),
    }
}

/// A legend's box: a translucent dark panel right-aligned in `rect` at
/// height `y`, `w` wide and `h` high, inside its padding.
fn legend_box(painter: &egui::Painter, rect: Rect, y: f32, w: f32, h: f32) -> Pos2 {
    let at = pos2(rect.right() - w - 12.0, y);
    let bg = Rect::from_min_size(at - vec2(6.0, 4.0), vec2(w + 12.0, h + 8.0));
    painter.rect_filled(bg, 4.0, Color32::from_black_alpha(150));
    at
}

/// A layer's name over its legend, when the map has several; returns the
/// height it took.
fn legend_title(painter: &egui::Painter, at: Pos2, title: Option<&str>, k: f32) -> f32 {
    match title {
        Some(t) => {
            painter.text(
                at,
                egui::Align2::LEFT_TOP,
                t,
                egui::FontId::new(12.5 * k, egui::FontFamily::Proportional),
                Color32::WHITE,
            );
            15.0 * k
        }
        None => 0.0,
    }
}

/// The width a legend needs for `texts` at `font`, at least `min`.
fn widest(painter: &egui::Painter, texts: &[&str], font: &egui::FontId, min: f32) -> f32 {
    texts
        .iter()
        .map(|t| {
            painter
                .layout_no_wrap((*t).to_owned(), font.clone(), Color32::WHITE)
                .size()
                .x
        })
        .fold(min, f32::max)
}

/// The colour ramp with its range and what the values are, at height `y`;
/// returns the legend's height (0 when the layer has no range).
fn legend_ramp(
    painter: &egui::Painter,
    rect: Rect,
    y: f32,
    m: &MapData,
    title: Option<&str>,
    k: f32,
) -> f32 {
    let Some([lo, hi]) = m.range.or(m.congestion.then_some([0.0, 100.0])) else {
        return 0.0;
    };
    let label = crate::app::i18n::value_label(&m.value_label);
    let w = widest(
        painter,
        &[title.unwrap_or_default(), &label],
        &font(12.5, k),
        160.0 * k,
    );
    let head = if title.is_some() { 15.0 * k } else { 0.0 };
    let h = head + 38.0 * k;
    let at = legend_box(painter, rect, y, w, h);
    let at = at + vec2(0.0, legend_title(painter, at, title, k));
    painter.text(
        at,
        egui::Align2::LEFT_TOP,
        label,
        font(12.0, k),
        Color32::WHITE,
    );
    let bar = Rect::from_min_size(at + vec2(0.0, 16.0 * k), vec2(w, 10.0 * k));
    if lo == hi && !m.congestion {
        // One value (a file's own districts, one row each): its colour and
        // the value, not a ramp from a number to itself.
        let swatch = Rect::from_min_size(bar.min, vec2(24.0 * k, bar.height()));
        painter.rect_filled(swatch, 2.0, theme::ramp(0.5));
        painter.text(
            swatch.right_center() + vec2(6.0, 0.0),
            egui::Align2::LEFT_CENTER,
            format_value(lo),
            font(11.0, k),
            Color32::WHITE,
        );
        return h;
    }
    let mut mesh = egui::Mesh::default();
    let steps = 24;
    for i in 0..steps {
        let t0 = i as f32 / steps as f32;
        let x0 = bar.left() + t0 * w;
        let t = f64::from(t0) + 0.5 / f64::from(steps);
        let c = if m.congestion {
            theme::congestion_color(t)
        } else {
            theme::ramp(t)
        };
        mesh.add_colored_rect(
            Rect::from_min_max(
                pos2(x0, bar.top()),
                pos2(x0 + w / steps as f32 + 0.5, bar.bottom()),
            ),
            c,
        );
    }
    painter.add(egui::Shape::mesh(mesh));
    painter.text(
        bar.left_bottom() + vec2(0.0, 2.0),
        egui::Align2::LEFT_TOP,
        format_value(lo),
        font(11.0, k),
        Color32::WHITE,
    );
    painter.text(
        bar.right_bottom() + vec2(0.0, 2.0),
        egui::Align2::RIGHT_TOP,
        format_value(hi),
        font(11.0, k),
        Color32::WHITE,
    );
    h
}

/// The groups' colours and names, for points coloured by a category, at
/// height `y`; returns the legend's height (0 for a single group without
/// a title to show).
fn legend_groups(
    painter: &egui::Painter,
    rect: Rect,
    y: f32,
    data: &ChartData,
    title: Option<&str>,
    k: f32,
) -> f32 {
    if data.series.len() < 2 && title.is_none() {
        return 0.0;
    }
    // One group of a named layer: the layer's name beside its colour.
    let (names, title): (Vec<&str>, Option<&str>) = match (data.series.len(), title) {
        (0 | 1, Some(t)) => (vec![t], None),
        _ => (
            data.series
                .iter()
                .take(12)
                .map(|s| s.name.as_str())
                .collect(),
            title,
        ),
    };
    let row = 16.0 * k;
    let w = widest(painter, &names, &font(12.0, k), 40.0 * k) + 22.0 * k;
    let w = widest(painter, &[title.unwrap_or_default()], &font(12.5, k), w);
    let head = if title.is_some() { 15.0 * k } else { 0.0 };
    let h = head + names.len() as f32 * row;
    let at = legend_box(painter, rect, y, w, h);
    let at = at + vec2(0.0, legend_title(painter, at, title, k));
    for (i, n) in names.iter().enumerate() {
        let y = at.y + i as f32 * row;
        painter.circle_filled(
            pos2(at.x + 5.0 * k, y + 7.0 * k),
            4.5 * k,
            theme::series_color(i),
        );
        painter.text(
            pos2(at.x + 16.0 * k, y),
            egui::Align2::LEFT_TOP,
            *n,
            font(12.0, k),
            Color32::WHITE,
        );
    }
    h
}

/// A bar of a round length (1, 2 or 5 × 10ⁿ metres) at most 120 px long
/// (more in the large style).
fn scale_bar(painter: &egui::Painter, p: &Projector, rect: Rect, k: f32) {
    let center = p.unproject(rect.center().to_vec2());
    let px_per_m = f64::from(p.scale_pixel_per_meter(center));
    if !(px_per_m.is_finite() && px_per_m > 0.0) {
        return;
    }
    let max_m = 120.0 * f64::from(k) / px_per_m;
    let pow = 10f64.powf(max_m.log10().floor());
    let len_m = [5.0, 2.0, 1.0]
        .iter()
        .map(|k| k * pow)
        .find(|&m| m <= max_m)
        .unwrap_or(pow);
    let len_px = (len_m * px_per_m) as f32;
    let at = rect.left_bottom() + vec2(12.0, -14.0);
    let bg = Rect::from_min_size(
        at - vec2(6.0, 18.0 * k),
        vec2(len_px + 12.0, 18.0 * k + 8.0),
    );
    painter.rect_filled(bg, 3.0, Color32::from_black_alpha(140));
    let stroke = Stroke::new(2.0 * k, Color32::WHITE);
    painter.line_segment([at, at + vec2(len_px, 0.0)], stroke);
    painter.line_segment([at, at - vec2(0.0, 5.0 * k)], stroke);
    painter.line_segment(
        [at + vec2(len_px, 0.0), at + vec2(len_px, -5.0 * k)],
        stroke,
    );
    let text = if len_m >= 1000.0 {
        format!("{} km", format_value(len_m / 1000.0))
    } else {
        format!("{} m", format_value(len_m))
    };
    painter.text(
        at + vec2(len_px / 2.0, -6.0),
        egui::Align2::CENTER_BOTTOM,
        text,
        font(11.0, k),
        Color32::WHITE,
    );
}

/// Lines of longitude and latitude at a round step, for the plain basemap.
fn graticule(painter: &egui::Painter, p: &Projector, rect: Rect, dark: bool, k: f32) {
    let a = p.unproject(rect.left_bottom().to_vec2());
    let b = p.unproject(rect.right_top().to_vec2());
    let span = (b.x() - a.x()).abs().max(1e-9);
    let raw = span / 6.0;
    let pow = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * pow)
        .find(|&s| s >= raw)
        .unwrap_or(pow * 10.0);
    let color = if dark {
        Color32::from_gray(55)
    } else {
        Color32::from_gray(215)
    };
    let stroke = Stroke::new(1.0, color);
    let font = font(10.0, k);
    let mut x = (a.x() / step).floor() * step;
    let mut guard = 0;
    while x <= b.x() && guard < 64 {
        let sx = p.project(lon_lat(x, a.y())).x;
        painter.line_segment([pos2(sx, rect.top()), pos2(sx, rect.bottom())], stroke);
        painter.text(
            pos2(sx + 2.0, rect.top() + 2.0),
            egui::Align2::LEFT_TOP,
            format!("{}°", format_value(x)),
            font.clone(),
            theme::MUTED,
        );
        x += step;
        guard += 1;
    }
    let (lo, hi) = (a.y().min(b.y()), a.y().max(b.y()));
    let mut y = (lo / step).floor() * step;
    guard = 0;
    while y <= hi && guard < 64 {
        let sy = p.project(lon_lat(a.x(), y)).y;
        painter.line_segment([pos2(rect.left(), sy), pos2(rect.right(), sy)], stroke);
        painter.text(
            pos2(rect.left() + 2.0, sy - 2.0),
            egui::Align2::LEFT_BOTTOM,
            format!("{}°", format_value(y)),
            font.clone(),
            theme::MUTED,
        );
        y += step;
        guard += 1;
    }
}

/// The basemap setting: none, or an XYZ tile server's URL template and the
/// attribution its terms ask for. A template is checked before it is used
/// and nothing is fetched until the operator chooses one.
#[derive(Default)]
pub struct BasemapEditor {
    url: String,
    attribution: String,
    problem: Option<String>,
    /// Filled from the setting the first time the menu opens.
    loaded: bool,
}

impl BasemapEditor {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        current: &Basemap,
        cmds: &mut Vec<crate::app::state::Command>,
    ) {
        use crate::app::i18n::tr;
        use crate::app::state::Command;
        if !self.loaded {
            self.loaded = true;
            if let Basemap::Xyz { url, attribution } = current {
                self.url = url.clone();
                self.attribution = attribution.clone();
            }
        }
        ui.strong(tr("Map basemap"));
        for (choice, label) in [
            (
                Basemap::Demo,
                tr("Riverton, the demo city's own map (offline)"),
            ),
            (
                Basemap::None,
                tr("None (a plain background; nothing is fetched)"),
            ),
        ] {
            if ui.radio(*current == choice, label).clicked() {
                cmds.push(Command::SetBasemap(choice));
            }
        }
        ui.label(tr(
            "Tile server (XYZ URL template), or a raster .pmtiles file (offline):",
        ));
        let r = ui.add(
            egui::TextEdit::singleline(&mut self.url)
                .desired_width(360.0)
                .hint_text("https://tile.example.org/{z}/{x}/{y}.png"),
        );
        super::name_for_screen_readers(&r, egui::Role::TextInput, tr("Tile URL template"));
        let r = ui.add(
            egui::TextEdit::singleline(&mut self.attribution)
                .desired_width(360.0)
                .hint_text(tr("Attribution, e.g. © OpenStreetMap contributors")),
        );
        super::name_for_screen_readers(&r, egui::Role::TextInput, tr("Tile attribution"));
        if ui.button(tr("Use this tile server")).clicked() {
            let url = self.url.trim().to_owned();
            match super::tiles::check_template(&url, false) {
                Ok(()) => {
                    self.problem = None;
                    cmds.push(Command::SetBasemap(Basemap::Xyz {
                        url,
                        attribution: self.attribution.trim().to_owned(),
                    }));
                }
                Err(e) => self.problem = Some(e),
            }
        }
        if let Some(p) = &self.problem {
            ui.colored_label(theme::BAD, p);
        }
        if let Basemap::Xyz { url, .. } = current {
            ui.label(
                egui::RichText::new(crate::trf!("In use: {}", url))
                    .small()
                    .color(theme::MUTED),
            );
        }
    }
}

/// The dark theme's colour or the light theme's.
fn themed(dark: bool, d: [u8; 3], l: [u8; 3]) -> Color32 {
    let [r, g, b] = if dark { d } else { l };
    Color32::from_rgb(r, g, b)
}

/// The demo city's map, made once.
fn demo_basemap() -> &'static DemoBasemap {
    static MAP: std::sync::OnceLock<DemoBasemap> = std::sync::OnceLock::new();
    MAP.get_or_init(crate::data::demo::basemap::basemap)
}

/// Riverton: land, the lake, parks, district borders, streets, roads and
/// the river, with district and road names when zoomed in enough.
fn draw_demo_basemap(painter: &egui::Painter, p: &Projector, map: &DemoBasemap, dark: bool) {
    let pick = |d: [u8; 3], l: [u8; 3]| themed(dark, d, l);
    let land = pick([36, 38, 42], [242, 240, 233]);
    let water = pick([30, 56, 84], [168, 204, 232]);
    let park = pick([38, 72, 46], [200, 228, 190]);
    let street = pick([52, 54, 60], [255, 255, 255]);
    let arterial = pick([92, 94, 100], [255, 255, 255]);
    let highway = pick([128, 112, 64], [248, 204, 102]);
    let border = pick([110, 110, 120], [150, 140, 150]);
    let ring = |pts: &[Lonlat]| -> Vec<Pos2> { pts.iter().map(|v| project(p, *v)).collect() };
    for (_, cell) in &map.districts {
        painter.add(egui::Shape::convex_polygon(ring(cell), land, Stroke::NONE));
    }
    painter.add(egui::Shape::convex_polygon(
        ring(&map.water),
        water,
        Stroke::NONE,
    ));
    let zoom = p.zoom();
    if zoom >= 12.5 {
        for [a, b] in &map.minor_streets {
            painter.line_segment([project(p, *a), project(p, *b)], Stroke::new(1.0, street));
        }
    }
    for (_, pts) in &map.parks {
        painter.add(egui::Shape::convex_polygon(ring(pts), park, Stroke::NONE));
    }
    painter.add(egui::Shape::line(
        ring(&map.river.1),
        Stroke::new(if zoom >= 13.0 { 7.0 } else { 4.0 }, water),
    ));
    for (_, cell) in &map.districts {
        let mut pts = ring(cell);
        if let Some(first) = pts.first().copied() {
            pts.push(first);
        }
        painter.extend(egui::Shape::dashed_line(
            &pts,
            Stroke::new(1.2, border),
            6.0,
            4.0,
        ));
    }
    let casing = pick([20, 20, 24], [196, 190, 178]);
    for (_, is_highway, [a, b]) in &map.roads {
        let (w, c) = if *is_highway {
            (4.0, highway)
        } else {
            (2.5, arterial)
        };
        let ends = [project(p, *a), project(p, *b)];
        painter.line_segment(ends, Stroke::new(w + 2.0, casing));
        painter.line_segment(ends, Stroke::new(w, c));
    }
}

/// Riverton's district, road, park and river names (district names always,
/// the rest when zoomed in enough), with a halo so they read over a layer.
fn draw_demo_labels(painter: &egui::Painter, p: &Projector, map: &DemoBasemap, dark: bool, k: f32) {
    let pick = |d: [u8; 3], l: [u8; 3]| themed(dark, d, l);
    let text = pick([200, 200, 206], [70, 66, 76]);
    let halo = pick([20, 20, 24], [250, 248, 242]);
    let water = pick([90, 140, 190], [60, 110, 170]);
    let zoom = p.zoom();
    // Large names only where the city is drawn large enough to hold them
    // (zoomed out, they would run into each other).
    let k = if p.zoom() >= 12.5 { k } else { 1.0 };
    let font = |size: f32| egui::FontId::proportional(size * k);
    let label = |at: Pos2, align: egui::Align2, t: &str, size: f32, color: Color32| {
        for d in [
            vec2(-1.0, 0.0),
            vec2(1.0, 0.0),
            vec2(0.0, -1.0),
            vec2(0.0, 1.0),
        ] {
            painter.text(at + d, align, t, font(size), halo);
        }
        painter.text(at, align, t, font(size), color);
    };
    for (name, cell) in &map.districts {
        let n = cell.len().max(1) as f64;
        let c = cell
            .iter()
            .fold([0.0, 0.0], |acc, v| [acc[0] + v[0] / n, acc[1] + v[1] / n]);
        label(
            project(p, c),
            egui::Align2::CENTER_CENTER,
            &name.to_uppercase(),
            if zoom >= 13.0 { 15.0 } else { 12.0 },
            text,
        );
    }
    if zoom >= 12.8 {
        for (name, _, [a, b]) in &map.roads {
            // North–south roads named near their north end, east–west ones
            // near their west end.
            let at = if (a[0] - b[0]).abs() < 1e-12 {
                [a[0], a[1] + (b[1] - a[1]) * 0.92]
            } else {
                [a[0] + (b[0] - a[0]) * 0.06, a[1]]
            };
            label(
                project(p, at) + vec2(4.0, -4.0),
                egui::Align2::LEFT_BOTTOM,
                name,
                11.0,
                text,
            );
        }
        for (name, pts) in &map.parks {
            if let Some(first) = pts.first() {
                label(
                    project(p, *first) + vec2(0.0, 2.0),
                    egui::Align2::LEFT_TOP,
                    name,
                    10.0,
                    text,
                );
            }
        }
        if let Some(at) = map.river.1.get(8) {
            label(
                project(p, *at) + vec2(0.0, -6.0),
                egui::Align2::LEFT_BOTTOM,
                &map.river.0,
                11.0,
                water,
            );
        }
    }
}
