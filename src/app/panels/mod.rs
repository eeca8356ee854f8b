//! Panels: one chart spec over an open dataset and the top bar's time
//! window, computed in the background and drawn as a plot, a heatmap, a key
//! figure or a table — with its accessible twin, the same values as a
//! table ("View as table"). The Explore view and the dashboards draw every
//! chart through [`ChartPanel`].

pub mod builder;
mod draw;
mod playback;

use egui::RichText;

use super::i18n::tr;
use super::state::{Basemap, Command, DatasetEntry, ViewCtx, Workspace};
use super::theme;
use super::widgets::{self, Background};
use crate::charts::{ChartData, ChartSpec};
use crate::data::Progress;
use crate::trf;

pub use draw::chart_ui;

/// How a panel is drawn where it stands.
pub struct PanelStyle {
    /// The plot's height in points.
    pub height: f32,
    /// Plots with the same id share their time axis and cursor.
    pub link: Option<egui::Id>,
    /// What a PNG of the plot is called ("explore_speed").
    pub export_name: String,
    /// Maps drawn for the back of a room: large labels, legends and dots
    /// (presentation mode).
    pub large: bool,
}

/// What a computed chart depends on: the dataset and its revision, the
/// spec and the window.
#[derive(Clone, PartialEq)]
struct PanelKey {
    dataset: u64,
    revision: u64,
    /// The GeoJSON dataset a choropleth joins to, and its revision.
    geometry: Option<(u64, u64)>,
    /// The spec without its layers' looks (showing, hiding or fading a
    /// layer draws it again, without computing it again).
    spec: String,
    start: Option<i64>,
    end: Option<i64>,
    /// Each overlay's dataset and districts (id, revision), and window.
    overlays: Vec<OverlayKey>,
}

/// What an overlay's computed data depends on besides its spec.
#[derive(Clone, PartialEq)]
struct OverlayKey {
    dataset: Option<(u64, u64)>,
    geometry: Option<(u64, u64)>,
    start: Option<i64>,
    end: Option<i64>,
}

/// `spec` as its computed data depends on it: without the looks of its
/// layers.
fn without_looks(spec: &ChartSpec) -> ChartSpec {
    let mut s = spec.clone();
    s.look = crate::charts::LayerLook::default();
    for o in &mut s.overlays {
        o.look = crate::charts::LayerLook::default();
    }
    s
}

/// The looks of a map's layers: its own, then each overlay's.
pub fn looks_of(spec: &ChartSpec) -> Vec<crate::charts::LayerLook> {
    std::iter::once(spec.look)
        .chain(spec.overlays.iter().map(|o| o.look))
        .collect()
}

/// Sets the looks of a map's layers from `looks` (its own, then each
/// overlay's).
pub fn set_looks(spec: &mut ChartSpec, looks: &[crate::charts::LayerLook]) {
    let mut it = looks.iter().copied();
    if let Some(l) = it.next() {
        spec.look = l;
    }
    for (o, l) in spec.overlays.iter_mut().zip(it) {
        o.look = l;
    }
}

/// The GeoJSON dataset a spec needs: the districts a choropleth colours,
/// or those a selection on a map keeps the rows inside.
fn geometry_of<'a>(ws: &'a Workspace, spec: &ChartSpec) -> Option<&'a DatasetEntry> {
    spec.geometry
        .as_deref()
        .or_else(|| {
            spec.filters.iter().find_map(|f| match f {
                crate::charts::Filter::Within { geometry, .. } => Some(geometry.as_str()),
                _ => None,
            })
        })
        .and_then(|g| find_dataset(ws, g))
}

/// One chart's computed data, kept until its inputs change, and whether it
/// is shown as a table.
#[derive(Default)]
pub struct ChartPanel {
    data: Background<PanelKey, Result<ChartData, String>>,
    pub show_table: bool,
    /// A map's time playback, when it runs (its window replaces the top
    /// bar's).
    playback: Option<playback::Playback>,
    /// The dataset's time extent, for playback, by (id, revision).
    extent: Option<((u64, u64), Option<TimeExtent>)>,
    /// What a click on this panel's map selected, until taken.
    picked: Option<Selection>,
    /// The map's layers as the operator shows them (its own, then each
    /// overlay's), when changed here and not yet taken into the spec.
    looks: Option<Vec<crate::charts::LayerLook>>,
}

/// Rows selected by a click on a map — a district, a bin, a group of
/// points — as filters on its dataset, for the dashboard's other panels.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    pub dataset: String,
    pub filters: Vec<crate::charts::Filter>,
    /// What was picked, for the banner ("BOROUGH: BRONX").
    pub label: String,
}

impl Selection {
    /// `spec` showing only the selected rows, when it charts the same
    /// dataset.
    pub fn narrow(&self, spec: &ChartSpec) -> Option<ChartSpec> {
        (spec.dataset == self.dataset).then(|| {
            let mut s = spec.clone();
            s.filters.extend(self.filters.iter().cloned());
            s
        })
    }
}

/// The selection a map pick makes: the rows of a district joined by name,
/// of a bin's box, or of a group of points.
fn selection_of(
    spec: &ChartSpec,
    ds: &crate::data::Dataset,
    data: &ChartData,
    pick: &crate::app::widgets::map::MapPick,
) -> Option<Selection> {
    use crate::app::widgets::map::MapPick;
    use crate::charts::Filter;
    let (filters, label) = match pick {
        MapPick::Area(i) => {
            let area = data.map.as_ref()?.areas.get(*i)?;
            match &spec.join {
                // Joined by name: the rows that named the district.
                Some(join) if !area.members.is_empty() => (
                    vec![Filter::InSet {
                        column: join.column.clone(),
                        values: area.members.clone(),
                    }],
                    format!("{}: {}", join.column, area.name),
                ),
                Some(_) => return None,
                // Joined by location: the rows whose point is inside it.
                None => (
                    vec![Filter::Within {
                        geometry: spec.geometry.clone()?,
                        feature: area.feature,
                    }],
                    area.name.clone(),
                ),
            }
        }
        MapPick::Bin([w, s, e, n]) => {
            let lon = ds.column_for(crate::data::Role::Longitude)?.name.clone();
            let lat = ds.column_for(crate::data::Role::Latitude)?.name.clone();
            (
                vec![
                    Filter::Range {
                        column: lon,
                        min: Some(*w),
                        max: Some(*e),
                    },
                    Filter::Range {
                        column: lat,
                        min: Some(*s),
                        max: Some(*n),
                    },
                ],
                trf!("the bin at {:.4}, {:.4}", (s + n) / 2.0, (w + e) / 2.0),
            )
        }
        MapPick::Group(name) => {
            let group = spec.group.clone()?;
            (
                vec![Filter::InSet {
                    column: group.clone(),
                    values: vec![name.clone()],
                }],
                format!("{group}: {name}"),
            )
        }
    };
    Some(Selection {
        dataset: spec.dataset.clone(),
        filters,
        label,
    })
}

/// First and last timestamps, µs UTC.
type TimeExtent = (i64, i64);

/// The open dataset a spec names (the newest of that name).
pub fn find_dataset<'a>(ws: &'a Workspace, name: &str) -> Option<&'a DatasetEntry> {
    ws.datasets.iter().rev().find(|e| e.dataset.name == name)
}

impl ChartPanel {
    pub fn is_busy(&self) -> bool {
        self.data.is_busy()
    }

    /// What a click on this panel's map selected since last asked.
    pub fn take_selection(&mut self) -> Option<Selection> {
        self.picked.take()
    }

    /// The layer looks the operator changed on this panel's map (its own,
    /// then each overlay's), for the owner to keep in the spec.
    pub fn take_looks(&mut self) -> Option<Vec<crate::charts::LayerLook>> {
        self.looks.take()
    }

    /// The latest computed data (maybe for older inputs), if any.
    pub fn data(&self) -> Option<std::sync::Arc<Result<ChartData, String>>> {
        self.data.value()
    }

    /// Makes sure the chart for `spec` over its dataset and the current
    /// window is (being) computed. False when the dataset is not open.
    pub fn ensure(&mut self, ctx: &ViewCtx<'_>, ui: &egui::Ui, spec: &ChartSpec) -> bool {
        let Some(entry) = find_dataset(ctx.ws, &spec.dataset) else {
            return false;
        };
        let window = match &self.playback {
            Some(p) => p.window(),
            None => ctx.ws.range_for(&entry.dataset),
        };
        let geo = geometry_of(ctx.ws, spec);
        // Each overlay's dataset, districts and window (the playback's
        // window applies to every layer).
        let overlays: Vec<crate::sources::LayerInput> = spec
            .overlays
            .iter()
            .map(|o| {
                let ds = find_dataset(ctx.ws, &o.dataset);
                let window = match (&self.playback, ds) {
                    (Some(p), _) => p.window(),
                    (None, Some(e)) => ctx.ws.range_for(&e.dataset),
                    (None, None) => window,
                };
                crate::sources::LayerInput {
                    spec: o.clone(),
                    ds: ds.map(|e| std::sync::Arc::clone(&e.dataset)),
                    geometry: geometry_of(ctx.ws, o).map(|g| std::sync::Arc::clone(&g.dataset)),
                    window,
                }
            })
            .collect();
        let overlay_keys = spec
            .overlays
            .iter()
            .zip(&overlays)
            .map(|(o, input)| OverlayKey {
                dataset: find_dataset(ctx.ws, &o.dataset).map(|e| (e.id, e.revision)),
                geometry: geometry_of(ctx.ws, o).map(|g| (g.id, g.revision)),
                start: input.window.start,
                end: input.window.end,
            })
            .collect();
        let key = PanelKey {
            dataset: entry.id,
            revision: entry.revision,
            geometry: geo.map(|g| (g.id, g.revision)),
            spec: serde_json::to_string(&without_looks(spec)).unwrap_or_default(),
            start: window.start,
            end: window.end,
            overlays: overlay_keys,
        };
        let ds = std::sync::Arc::clone(&entry.dataset);
        let geo = geo.map(|g| std::sync::Arc::clone(&g.dataset));
        let spec = spec.clone();
        self.data.ensure(ui.ctx(), &key, move || {
            move |p: &crate::jobs::JobProgress| {
                let mut data = crate::sources::compute_chart(
                    &spec,
                    &ds,
                    geo.as_deref(),
                    window,
                    p as &dyn Progress,
                )
                .map_err(|e| e.to_string())?;
                if data.x == crate::charts::XAxis::Map {
                    data.overlays = crate::sources::compute_overlays(&overlays, p as &dyn Progress)
                        .map_err(|e| e.to_string())?;
                }
                Ok(data)
            }
        });
        true
    }

    /// Computes and draws `spec`: the chart, or its table when
    /// `show_table`, or why it cannot be drawn.
    pub fn ui(
        &mut self,
        ctx: &ViewCtx<'_>,
        ui: &mut egui::Ui,
        spec: &ChartSpec,
        style: &PanelStyle,
    ) {
        if !self.ensure(ctx, ui, spec) {
            widgets::missing_ui(
                ui,
                &trf!(
                    "The dataset '{}' is not open. Open its file to see this chart.",
                    spec.dataset
                ),
            );
            return;
        }
        let Some(entry) = find_dataset(ctx.ws, &spec.dataset) else {
            return;
        };
        let tz = entry.dataset.time_zone.clone();
        match self.data.value().as_deref() {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(tr("Computing the chart…"));
                });
                ui.add_space(style.height - 20.0);
            }
            Some(Err(e)) => {
                ui.colored_label(theme::BAD, trf!("This chart cannot be drawn: {}.", e));
            }
            Some(Ok(data)) if self.show_table => {
                table_ui(ui, &spec.title, data, &tz, style.height);
                // A map's other layers, each as its own table.
                for (i, o) in data.overlays.iter().enumerate() {
                    ui.push_id(("overlay_table", i), |ui| {
                        ui.strong(&o.title);
                        match (&o.data, &o.error) {
                            (Some(d), _) => table_ui(ui, &o.title, d, &tz, style.height),
                            (None, Some(e)) => {
                                ui.colored_label(theme::WARN, e);
                            }
                            (None, None) => {}
                        }
                    });
                }
                if self.playback.is_some() {
                    // The table shows the played step: its controls stay.
                    let extent = self.extent.and_then(|(_, e)| e);
                    let ready = !self.data.is_busy();
                    playback::playback_ui(ui, &mut self.playback, extent, &spec.title, &tz, ready);
                }
            }
            Some(Ok(data)) => {
                if data.rows_used == 0 {
                    ui.label(
                        RichText::new(tr("No rows in the selected time range."))
                            .color(theme::MUTED),
                    );
                }
                let map = data.x == crate::charts::XAxis::Map;
                let key = (entry.id, entry.revision);
                if map && self.extent.as_ref().is_none_or(|(k, _)| *k != key) {
                    // Once per dataset revision (a scan of the time column).
                    self.extent = Some((key, entry.dataset.time_extent()));
                }
                let extent = self.extent.and_then(|(_, e)| e).filter(|_| map);
                // Room under the map for the playback row and the layer list.
                let layered = map && !data.overlays.is_empty();
                let below =
                    if extent.is_some() { 28.0 } else { 0.0 } + if layered { 28.0 } else { 0.0 };
                let shrunk = PanelStyle {
                    height: style.height - below,
                    link: style.link,
                    export_name: style.export_name.clone(),
                    large: style.large,
                };
                let mut looks = self.looks.clone().unwrap_or_else(|| looks_of(spec));
                looks.resize(1 + data.overlays.len(), crate::charts::LayerLook::default());
                if let Some(plot) = draw::chart_ui_with(
                    ui,
                    data,
                    &tz,
                    &shrunk,
                    ctx.ws.basemap_for(&entry.dataset),
                    Some(&looks),
                ) {
                    super::png_export::context_menu(ctx, &plot, plot.rect, &style.export_name);
                }
                if let Some(note) = &data.note {
                    // "computed by the database over 12,345,678 rows".
                    ui.label(RichText::new(note).small().color(theme::MUTED));
                }
                if layered {
                    let titles: Vec<String> = std::iter::once(crate::charts::layer_title(spec))
                        .chain(data.overlays.iter().map(|o| o.title.clone()))
                        .collect();
                    if layers_ui(ui, &titles, &mut looks, style.large) {
                        self.looks = Some(looks);
                    }
                }
                let pick_id = draw::pick_id(&style.export_name);
                if let Some((layer, pick)) = ui.data_mut(|d| {
                    let pick = d.get_temp::<(usize, crate::app::widgets::map::MapPick)>(pick_id);
                    d.remove::<(usize, crate::app::widgets::map::MapPick)>(pick_id);
                    pick
                }) {
                    self.picked = if layer == 0 {
                        selection_of(spec, &entry.dataset, data, &pick)
                    } else {
                        // A pick on an overlay selects rows of its dataset.
                        spec.overlays.get(layer - 1).and_then(|o| {
                            let d = data.overlays.get(layer - 1)?.data.as_ref()?;
                            let e = find_dataset(ctx.ws, &o.dataset)?;
                            selection_of(o, &e.dataset, d, &pick)
                        })
                    };
                }
                let ready = !self.data.is_busy();
                playback::playback_ui(ui, &mut self.playback, extent, &spec.title, &tz, ready);
            }
        }
        widgets::updating_ui(ui, self.data.is_busy() && self.data.value().is_some());
    }
}

/// A map's layers in a row under it, each shown or hidden by its check box
/// (named "Show layer TITLE" for screen readers) and faded by its opacity
/// slider ("Opacity of TITLE"; not while presenting, where the large type
/// leaves room for the check boxes only); true when the operator changed
/// one.
fn layers_ui(
    ui: &mut egui::Ui,
    titles: &[String],
    looks: &mut [crate::charts::LayerLook],
    presenting: bool,
) -> bool {
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().slider_width = 56.0;
        ui.label(RichText::new(tr("Layers:")).small().color(theme::MUTED));
        for (i, (title, look)) in titles.iter().zip(looks.iter_mut()).enumerate() {
            ui.push_id(("layer", i), |ui| {
                let r = ui.checkbox(&mut look.visible, title.as_str());
                let (on, name) = (look.visible, trf!("Show layer {}", title));
                r.widget_info(|| {
                    egui::WidgetInfo::selected(egui::Role::CheckBox, r.enabled(), on, &name)
                });
                changed |= r.changed();
                if presenting {
                    return;
                }
                let mut opacity = look.alpha();
                let r = ui.add_enabled(
                    look.visible,
                    egui::Slider::new(&mut opacity, 0.05..=1.0)
                        .show_value(false)
                        .clamping(egui::SliderClamping::Always),
                );
                widgets::name_for_screen_readers(
                    &r,
                    egui::Role::Slider,
                    &trf!("Opacity of {}", title),
                );
                if r.changed() {
                    look.opacity = opacity;
                    changed = true;
                }
            });
        }
    });
    changed
}

/// A chart's size in points when drawn on its own (16:9, a slide's shape).
pub const IMAGE_SIZE: egui::Vec2 = egui::vec2(960.0, 540.0);

/// Draws one computed chart with its title on its own, without a window:
/// `cityops charts --out` and `cityops chart`. The same panel drawing and
/// the same rasterizer as the dashboard's PNG export, in the light theme
/// (for documents and slides) or the dark one.
pub fn chart_image(
    title: &str,
    data: &ChartData,
    tz: &jiff::tz::TimeZone,
    scale: f32,
    theme: theme::Theme,
) -> Result<egui::ColorImage, String> {
    let plain = MapImage {
        basemap: &Basemap::None,
        wait: None,
        large: false,
    };
    chart_image_on(title, data, tz, scale, theme, &plain).map(|(img, _)| img)
}

/// How a map is drawn as an image: over which basemap, how long to wait
/// for its tiles, and whether in the large style of presentation mode.
pub struct MapImage<'a> {
    pub basemap: &'a Basemap,
    pub wait: Option<std::time::Duration>,
    pub large: bool,
}

/// [`chart_image`] of a map as `map` says; also says what of the basemap
/// is missing, if anything.
pub fn chart_image_on(
    title: &str,
    data: &ChartData,
    tz: &jiff::tz::TimeZone,
    scale: f32,
    theme: theme::Theme,
    map: &MapImage<'_>,
) -> Result<(egui::ColorImage, Option<String>), String> {
    let MapImage {
        basemap,
        wait,
        large,
    } = *map;
    let style = PanelStyle {
        height: IMAGE_SIZE.y - 60.0,
        link: None,
        export_name: title.to_owned(),
        large,
    };
    let (drawn, missing) = super::png_export::draw_offscreen_until(
        |ctx| {
            theme::apply(ctx, theme);
            super::fonts::install_cjk_font_now(ctx);
        },
        IMAGE_SIZE,
        scale,
        wait,
        |ui| {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.heading(title);
                draw::chart_ui(ui, data, tz, &style, basemap);
            });
        },
    )?;
    let image = drawn
        .paint(None)
        .ok_or_else(|| "the chart has no area to draw".to_owned())?;
    Ok((image, missing))
}

/// Charts suggested for a dataset shown at most where a view falls back
/// on them.
const FALLBACK_CHARTS: usize = crate::charts::DEFAULT_PANELS;

/// A dataset's default dashboard charts (its domain's panels from the
/// columns it has, then suggestions; made when it was loaded), drawn where
/// a domain view cannot draw its own — a weather file without
/// pollutants in Environment, an incident list without a time column in
/// Safety — so the view shows what the file has instead of an empty page.
#[derive(Default)]
pub struct SuggestedGrid {
    shown: Option<(u64, u64)>,
    panels: Vec<ChartPanel>,
}

impl SuggestedGrid {
    pub fn is_busy(&self) -> bool {
        self.panels.iter().any(ChartPanel::is_busy)
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui, entry: &DatasetEntry) {
        let specs: &[ChartSpec] = ctx
            .ws
            .defaults
            .get(&entry.dataset.name)
            .map_or(&[], Vec::as_slice);
        let specs = &specs[..specs.len().min(FALLBACK_CHARTS)];
        if self.shown != Some((entry.id, entry.revision)) || self.panels.len() != specs.len() {
            self.shown = Some((entry.id, entry.revision));
            self.panels = specs.iter().map(|_| ChartPanel::default()).collect();
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(if specs.is_empty() {
                trf!("{} has no columns to chart.", entry.dataset.name)
            } else {
                trf!("What {} has instead:", entry.dataset.name)
            });
            if !ctx.presenting {
                if ui.button(tr("Open in Explore")).clicked() {
                    ctx.send(Command::ExploreDataset(entry.id));
                }
                // The same charts as a dashboard the operator can arrange.
                let name = &entry.dataset.name;
                if let Some(i) = ctx
                    .ws
                    .dashboards
                    .list
                    .iter()
                    .position(|d| d.made_for.as_deref() == Some(name.as_str()))
                    && ui
                        .button(tr("Edit as a dashboard"))
                        .on_hover_text(tr(
                            "Move, resize, edit and pin these charts on their dashboard",
                        ))
                        .clicked()
                {
                    ctx.send(Command::Dashboard(
                        super::dashboards::DashboardCommand::Select(i),
                    ));
                    ctx.send(Command::ShowView(super::state::ViewId::Dashboards));
                }
            }
        });
        for (row, pair) in specs.chunks(2).enumerate() {
            ui.columns(2, |cols| {
                for (c, (spec, ui)) in pair.iter().zip(cols.iter_mut()).enumerate() {
                    let i = row * 2 + c;
                    ui.push_id(("fallback", i), |ui| {
                        ui.strong(super::i18n::chart_title(&spec.title));
                        let style = PanelStyle {
                            height: theme::SMALL_PLOT_HEIGHT,
                            link: None,
                            export_name: spec.title.clone(),
                            large: ctx.presenting,
                        };
                        if let Some(p) = self.panels.get_mut(i) {
                            p.ui(ctx, ui, spec, &style);
                        }
                    });
                }
            });
        }
    }
}

/// What a panel's header buttons asked for this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderAction {
    Edit,
    Png,
}

/// A panel's header buttons, right to left: PNG…, View as table, then
/// what `middle` adds (Pin, Remove), then Edit — each named for screen
/// readers with the chart's title ("Edit Rows by BOROUGH").
pub fn header_buttons_ui(
    ui: &mut egui::Ui,
    title: &str,
    show_table: &mut bool,
    middle: impl FnOnce(&mut egui::Ui),
) -> Option<HeaderAction> {
    let mut action = None;
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
        if named_button(ui, tr("PNG…"), &trf!("Save {} as PNG", title)).clicked() {
            action = Some(HeaderAction::Png);
        }
        table_toggle_ui(ui, show_table, title);
        middle(ui);
        if named_button(ui, tr("Edit"), &trf!("Edit {}", title)).clicked() {
            action = Some(HeaderAction::Edit);
        }
    });
    action
}

/// Room a panel header keeps for its buttons (Edit, Pin or ×, View as
/// table, PNG…), points.
pub const HEADER_BUTTONS_WIDTH: f32 = 340.0;

/// A panel's title, cut short with "…" (the whole of it on hover) where the
/// header's buttons need the room; a drag handle when `drag` is set.
pub fn header_title_ui(
    ui: &mut egui::Ui,
    title: &str,
    drag: bool,
    buttons: bool,
) -> egui::Response {
    let room = if buttons {
        (ui.available_width() - HEADER_BUTTONS_WIDTH).max(80.0)
    } else {
        ui.available_width()
    };
    let label = egui::Label::new(RichText::new(title).strong()).truncate();
    let label = if drag {
        label.sense(egui::Sense::drag())
    } else {
        label
    };
    ui.scope(|ui| {
        ui.set_max_width(room);
        ui.add(label)
    })
    .inner
}

/// A small button whose accessible name says what it acts on.
pub fn named_button(ui: &mut egui::Ui, text: &str, name: &str) -> egui::Response {
    let r = ui.small_button(text);
    widgets::name_for_screen_readers(&r, egui::Role::Button, name);
    r
}

/// The button that switches a panel between its chart and its table; its
/// accessible name says which chart.
pub fn table_toggle_ui(ui: &mut egui::Ui, show_table: &mut bool, title: &str) {
    let (text, name) = if *show_table {
        (tr("View as chart"), trf!("View {} as chart", title))
    } else {
        (tr("View as table"), trf!("View {} as table", title))
    };
    if named_button(ui, text, &name).clicked() {
        *show_table = !*show_table;
    }
}

/// Rows shown of a panel's table (a chart holds a few thousand values at
/// most; beyond this the table says how many are left out).
const MAX_TABLE_ROWS: usize = 2_000;

/// The chart's values as a grid of labels, scrolled within `height`.
pub fn table_ui(
    ui: &mut egui::Ui,
    title: &str,
    data: &ChartData,
    tz: &jiff::tz::TimeZone,
    height: f32,
) {
    let t = data.as_table(tz);
    egui::ScrollArea::both()
        .id_salt(("panel_table", title))
        .max_height(height)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            egui::Grid::new(("panel_table_grid", title))
                .striped(true)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    for c in &t.columns {
                        ui.strong(c);
                    }
                    ui.end_row();
                    for row in t.rows.iter().take(MAX_TABLE_ROWS) {
                        for cell in row {
                            ui.label(cell);
                        }
                        ui.end_row();
                    }
                });
            if t.rows.len() > MAX_TABLE_ROWS {
                ui.label(
                    RichText::new(trf!(
                        "The first {} of {} rows; export the dataset for all of them.",
                        MAX_TABLE_ROWS,
                        t.rows.len()
                    ))
                    .color(theme::MUTED),
                );
            }
        });
}
