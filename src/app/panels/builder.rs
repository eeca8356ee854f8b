//! The chart builder: every part of a chart spec with the usual controls
//! (kind, x, measures, group, aggregation, time bucket, top N, filters,
//! title) beside a live preview. A spec that cannot be drawn (a sum with
//! no numeric measure, a scatter without a y) shows the reason and cannot
//! be applied.

use egui::RichText;

use super::{ChartPanel, PanelStyle, find_dataset};
use crate::app::i18n::tr;
use crate::app::state::ViewCtx;
use crate::app::theme;
use crate::app::widgets;
use crate::charts::{
    Aggregation, ChartKind, ChartSpec, Filter, Join, MapLayer, Reference, TimeBucket,
};
use crate::data::ColumnKind;
use crate::trf;

/// What the operator did with the builder this frame.
pub enum BuilderOutcome {
    Editing,
    Apply(Box<ChartSpec>),
    Cancel,
}

/// A spec being edited, and its preview.
pub struct ChartBuilder {
    pub spec: ChartSpec,
    preview: ChartPanel,
    /// The filter being added: column and its values, comma-separated.
    filter_column: Option<String>,
    filter_values: String,
    /// The dataset a new map layer will draw.
    adding: Option<String>,
}

fn kind_label(k: ChartKind) -> &'static str {
    match k {
        ChartKind::Line => tr("Line"),
        ChartKind::Area => tr("Area"),
        ChartKind::Bar => tr("Bars"),
        ChartKind::StackedBar => tr("Stacked bars"),
        ChartKind::Scatter => tr("Scatter"),
        ChartKind::Histogram => tr("Histogram"),
        ChartKind::Heatmap => tr("Heatmap"),
        ChartKind::MapPoints => tr("Map"),
        ChartKind::Kpi => tr("Key figure"),
        ChartKind::Table => tr("Table"),
    }
}

fn aggregation_label(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Count => tr("count of rows"),
        Aggregation::Sum => tr("sum"),
        Aggregation::Mean => tr("mean"),
        Aggregation::Median => tr("median"),
        Aggregation::Min => tr("minimum"),
        Aggregation::Max => tr("maximum"),
        Aggregation::P95 => tr("95th percentile"),
    }
}

fn reference_label(r: Reference) -> &'static str {
    match r {
        Reference::None => tr("No reference"),
        Reference::Usual => tr("The usual for that weekday and hour"),
        Reference::AqiBands => tr("AQI bands (US EPA)"),
    }
}

fn bucket_label(b: TimeBucket) -> &'static str {
    match b {
        TimeBucket::Auto => tr("automatic"),
        TimeBucket::Hour => tr("hour"),
        TimeBucket::Day => tr("day"),
        TimeBucket::Week => tr("week"),
        TimeBucket::Month => tr("month"),
        TimeBucket::Quarter => tr("quarter"),
        TimeBucket::Year => tr("year"),
    }
}

/// A combo box with a name for screen readers.
fn combo<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    name: &str,
    value: &mut T,
    choices: impl IntoIterator<Item = T>,
    label: impl Fn(T) -> String,
) -> bool {
    combo_in(ui, name, "", value, choices, label)
}

/// The name a control is known by to screen readers: its label, and the
/// layer it belongs to when a map has several ("Map layer (layer 2)").
fn scoped(name: &str, scope: &str) -> String {
    if scope.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({scope})")
    }
}

/// [`combo`] of one of a map's layers (`scope` names it).
fn combo_in<T: PartialEq + Copy>(
    ui: &mut egui::Ui,
    text: &str,
    scope: &str,
    value: &mut T,
    choices: impl IntoIterator<Item = T>,
    label: impl Fn(T) -> String,
) -> bool {
    let mut changed = false;
    ui.label(text);
    let name = &scoped(text, scope);
    let r = egui::ComboBox::from_id_salt(("builder", name))
        .selected_text(label(*value))
        .show_ui(ui, |ui| {
            for c in choices {
                if ui.selectable_label(*value == c, label(c)).clicked() {
                    *value = c;
                    changed = true;
                }
            }
        });
    widgets::name_for_screen_readers(&r.response, egui::Role::ComboBox, name);
    ui.end_row();
    changed
}

/// A combo box over the column names (and "none" when `optional`).
fn column_combo(ui: &mut egui::Ui, name: &str, value: &mut Option<String>, columns: &[String]) {
    column_combo_in(ui, name, "", value, columns);
}

/// [`column_combo`] of one of a map's layers (`scope` names it).
fn column_combo_in(
    ui: &mut egui::Ui,
    label: &str,
    scope: &str,
    value: &mut Option<String>,
    columns: &[String],
) {
    ui.label(label);
    let name = &scoped(label, scope);
    let none = tr("(none)");
    let r = egui::ComboBox::from_id_salt(("builder", name))
        .selected_text(value.as_deref().unwrap_or(none))
        .show_ui(ui, |ui| {
            if ui.selectable_label(value.is_none(), none).clicked() {
                *value = None;
            }
            for c in columns {
                if ui
                    .selectable_label(value.as_deref() == Some(c.as_str()), c)
                    .clicked()
                {
                    *value = Some(c.clone());
                }
            }
        });
    widgets::name_for_screen_readers(&r.response, egui::Role::ComboBox, name);
    ui.end_row();
}

fn layer_label(l: MapLayer) -> &'static str {
    match l {
        MapLayer::Points => tr("points"),
        MapLayer::Bins => tr("bins (counts or means)"),
        MapLayer::Hexbins => tr("hexagonal bins"),
        MapLayer::Lines => tr("lines"),
        MapLayer::Choropleth => tr("districts (choropleth)"),
    }
}

/// A map's layer, the GeoJSON districts a choropleth colours, and how the
/// rows meet them: by location, or a property equal to a column. `scope`
/// names the layer for screen readers when the map has several.
fn map_controls(
    ui: &mut egui::Ui,
    ctx: &ViewCtx<'_>,
    spec: &mut ChartSpec,
    columns: &[String],
    scope: &str,
) {
    combo_in(
        ui,
        tr("Map layer"),
        scope,
        &mut spec.layer,
        MapLayer::ALL,
        |l| layer_label(l).to_owned(),
    );
    let geos: Vec<String> = ctx
        .ws
        .datasets
        .iter()
        .filter(|e| e.dataset.geometry.is_some() && e.dataset.name != spec.dataset)
        .map(|e| e.dataset.name.clone())
        .collect();
    if spec.layer != MapLayer::Choropleth {
        return;
    }
    if geos.is_empty() && spec.geometry.is_none() {
        ui.label(tr("Districts"));
        ui.label(
            RichText::new(tr(
                "Open a GeoJSON file of districts (drop it onto the window) to colour them.",
            ))
            .color(theme::MUTED),
        );
        ui.end_row();
        return;
    }
    column_combo_in(
        ui,
        tr("Districts (GeoJSON)"),
        scope,
        &mut spec.geometry,
        &geos,
    );
    let Some(geo) = spec
        .geometry
        .as_deref()
        .and_then(|g| find_dataset(ctx.ws, g))
    else {
        return;
    };
    let properties: Vec<String> = geo
        .dataset
        .table
        .columns
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let mut property = spec.join.as_ref().map(|j| j.property.clone());
    let mut column = spec.join.as_ref().map(|j| j.column.clone());
    column_combo_in(
        ui,
        tr("Join property (none: by location)"),
        scope,
        &mut property,
        &properties,
    );
    if property.is_some() {
        column_combo_in(ui, tr("equals the column"), scope, &mut column, columns);
    }
    spec.join = match (property, column) {
        (Some(property), Some(column)) => Some(Join { property, column }),
        (Some(property), None) => Some(Join {
            property,
            column: String::new(),
        }),
        _ => None,
    };
}

/// A new layer over a map: a GeoJSON file's own shapes (`shapes`), else
/// `dataset` drawn as the layer the map does not have yet (points over
/// bins or districts, bins over points).
fn new_overlay(base: &ChartSpec, dataset: &str, shapes: Option<MapLayer>) -> ChartSpec {
    let layer = match shapes {
        Some(l) => l,
        None if base.layer == MapLayer::Points && base.dataset == dataset => MapLayer::Hexbins,
        None => MapLayer::Points,
    };
    ChartSpec {
        title: format!("{} of {}", layer.key(), dataset),
        kind: ChartKind::MapPoints,
        dataset: dataset.to_owned(),
        aggregation: Aggregation::Count,
        layer,
        ..ChartSpec::default()
    }
}

/// The open datasets' names, oldest first.
fn dataset_names(ctx: &ViewCtx<'_>) -> Vec<String> {
    ctx.ws
        .datasets
        .iter()
        .map(|e| e.dataset.name.clone())
        .collect()
}

/// What an overlay's buttons asked for.
enum LayerEdit {
    Remove,
    /// One place down the drawing order (drawn earlier, under more).
    Lower,
    /// One place up (drawn later, over more).
    Raise,
}

/// One overlay's controls: its name, dataset, layer, colouring, districts
/// and join, and buttons to remove it or move it in the drawing order
/// (`last`: the topmost layer).
fn overlay_ui(
    ui: &mut egui::Ui,
    ctx: &ViewCtx<'_>,
    o: &mut ChartSpec,
    n: usize,
    last: bool,
) -> Option<LayerEdit> {
    let scope = trf!("layer {}", n);
    let mut edit = None;
    ui.horizontal(|ui| {
        ui.strong(trf!("Layer {}", n));
        if super::named_button(ui, tr("Remove"), &trf!("Remove layer {}", n)).clicked() {
            edit = Some(LayerEdit::Remove);
        }
        // Layer 2 lies on the map's own layer, which stays at the bottom.
        let down = ui.add_enabled(n > 2, egui::Button::new(tr("Lower")).small());
        widgets::name_for_screen_readers(&down, egui::Role::Button, &trf!("Lower layer {}", n));
        if down.clicked() {
            edit = Some(LayerEdit::Lower);
        }
        let up = ui.add_enabled(!last, egui::Button::new(tr("Raise")).small());
        widgets::name_for_screen_readers(&up, egui::Role::Button, &trf!("Raise layer {}", n));
        if up.clicked() {
            edit = Some(LayerEdit::Raise);
        }
    });
    egui::Grid::new(("overlay_grid", n))
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.label(tr("Layer name"));
            let t = ui.text_edit_singleline(&mut o.title);
            widgets::name_for_screen_readers(
                &t,
                egui::Role::TextInput,
                &scoped(tr("Layer name"), &scope),
            );
            ui.end_row();
            let names = dataset_names(ctx);
            let mut dataset = Some(o.dataset.clone());
            column_combo_in(ui, tr("Dataset"), &scope, &mut dataset, &names);
            if let Some(d) = dataset.filter(|d| *d != o.dataset) {
                // Another table: its columns differ, so the colouring and
                // the join start again.
                o.dataset = d;
                o.group = None;
                o.measures.clear();
                o.join = None;
                o.filters.clear();
            }
            let Some(entry) = find_dataset(ctx.ws, &o.dataset) else {
                return;
            };
            let ds = &entry.dataset;
            let all: Vec<String> = ds.table.columns.iter().map(|c| c.name.clone()).collect();
            map_controls(ui, ctx, o, &all, &scope);
            if o.layer == MapLayer::Points {
                let groupable: Vec<String> = ds
                    .table
                    .columns
                    .iter()
                    .filter(|c| !c.kind().is_numeric())
                    .map(|c| c.name.clone())
                    .collect();
                column_combo_in(ui, tr("Colour by"), &scope, &mut o.group, &groupable);
            } else {
                let numeric: Vec<String> = ds
                    .table
                    .columns
                    .iter()
                    .filter(|c| c.kind().is_numeric())
                    .map(|c| c.name.clone())
                    .collect();
                let mut measure = o.measures.first().cloned();
                column_combo_in(
                    ui,
                    tr("Value (none: count of rows)"),
                    &scope,
                    &mut measure,
                    &numeric,
                );
                o.measures = measure.into_iter().collect();
                if !o.measures.is_empty() {
                    combo_in(
                        ui,
                        tr("Aggregation"),
                        &scope,
                        &mut o.aggregation,
                        Aggregation::ALL,
                        |a| aggregation_label(a).to_owned(),
                    );
                }
            }
        });
    edit
}

/// The layers drawn over a map's own: each overlay's controls, and a row
/// to add one of any open dataset.
fn overlays_ui(
    ui: &mut egui::Ui,
    ctx: &ViewCtx<'_>,
    spec: &mut ChartSpec,
    adding: &mut Option<String>,
) {
    ui.separator();
    ui.strong(tr("More layers on this map"));
    let mut edit = None;
    let base = spec.clone();
    let count = spec.overlays.len();
    for (i, o) in spec.overlays.iter_mut().enumerate() {
        ui.push_id(("overlay", i), |ui| {
            if let Some(e) = overlay_ui(ui, ctx, o, i + 2, i + 1 == count) {
                edit = Some((i, e));
            }
        });
    }
    match edit {
        Some((i, LayerEdit::Remove)) => {
            spec.overlays.remove(i);
        }
        Some((i, LayerEdit::Lower)) if i > 0 => spec.overlays.swap(i, i - 1),
        Some((i, LayerEdit::Raise)) if i + 1 < count => spec.overlays.swap(i, i + 1),
        _ => {}
    }
    let names = dataset_names(ctx);
    ui.horizontal(|ui| {
        if adding.as_ref().is_none_or(|d| !names.contains(d)) {
            *adding = Some(base.dataset.clone());
        }
        egui::Grid::new("overlay_add").show(ui, |ui| {
            column_combo(ui, tr("New layer of"), adding, &names);
        });
        if ui.button(tr("Add a layer")).clicked()
            && let Some(d) = adding.as_deref()
        {
            // A GeoJSON file of polygons or lines draws its own shapes.
            let shapes = find_dataset(ctx.ws, d)
                .and_then(|e| e.dataset.geometry.as_ref())
                .and_then(|g| {
                    if g.iter().any(|s| !s.polygons.is_empty()) {
                        Some(MapLayer::Choropleth)
                    } else if g.iter().any(|s| !s.lines.is_empty()) {
                        Some(MapLayer::Lines)
                    } else {
                        None
                    }
                });
            spec.overlays.push(new_overlay(&base, d, shapes));
        }
    });
}

impl ChartBuilder {
    pub fn new(spec: ChartSpec) -> Self {
        Self {
            spec,
            preview: ChartPanel::default(),
            filter_column: None,
            filter_values: String::new(),
            adding: None,
        }
    }

    pub fn is_busy(&self) -> bool {
        self.preview.is_busy()
    }

    /// The controls on the left, the preview on the right, and Apply and
    /// Cancel under them.
    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) -> BuilderOutcome {
        let Some(entry) = find_dataset(ctx.ws, &self.spec.dataset) else {
            widgets::missing_ui(ui, tr("The chart's dataset is no longer open."));
            return if ui.button(tr("Close the builder")).clicked() {
                BuilderOutcome::Cancel
            } else {
                BuilderOutcome::Editing
            };
        };
        let ds = &entry.dataset;
        let of_kinds = |kinds: &[ColumnKind]| -> Vec<String> {
            ds.table
                .columns
                .iter()
                .filter(|c| kinds.is_empty() || kinds.contains(&c.kind()))
                .map(|c| c.name.clone())
                .collect()
        };
        let all = of_kinds(&[]);
        let mut numeric = of_kinds(&[ColumnKind::Integer, ColumnKind::Float, ColumnKind::Bool]);
        // A measure that is not a column (the AQI computed from the
        // pollutants) stays listed so it can be unticked.
        for m in &self.spec.measures {
            if !numeric.contains(m) {
                numeric.push(m.clone());
            }
        }
        let groupable = of_kinds(&[ColumnKind::Categorical, ColumnKind::Text, ColumnKind::Bool]);
        ui.heading(tr("Chart builder"));
        ui.label(RichText::new(trf!("Dataset: {}", ds.name)).color(theme::MUTED));
        let mut outcome = BuilderOutcome::Editing;
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            egui::Grid::new("builder_grid")
                .num_columns(2)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    ui.label(tr("Title"));
                    let t = ui.text_edit_singleline(&mut self.spec.title);
                    widgets::name_for_screen_readers(&t, egui::Role::TextInput, tr("Title"));
                    ui.end_row();
                    combo(
                        ui,
                        tr("Chart kind"),
                        &mut self.spec.kind,
                        ChartKind::ALL,
                        |k| kind_label(k).to_owned(),
                    );
                    column_combo(ui, tr("X axis"), &mut self.spec.x, &all);
                    ui.label(tr("Measures"));
                    ui.vertical(|ui| {
                        if numeric.is_empty() {
                            ui.label(
                                RichText::new(tr("No numeric columns: the chart counts rows."))
                                    .color(theme::MUTED),
                            );
                        }
                        for c in &numeric {
                            let mut on = self.spec.measures.contains(c);
                            if ui.checkbox(&mut on, c).changed() {
                                if on {
                                    self.spec.measures.push(c.clone());
                                } else {
                                    self.spec.measures.retain(|m| m != c);
                                }
                            }
                        }
                    });
                    ui.end_row();
                    combo(
                        ui,
                        tr("Aggregation"),
                        &mut self.spec.aggregation,
                        Aggregation::ALL,
                        |a| aggregation_label(a).to_owned(),
                    );
                    combo(
                        ui,
                        tr("Time bucket"),
                        &mut self.spec.bucket,
                        TimeBucket::ALL,
                        |b| bucket_label(b).to_owned(),
                    );
                    combo(
                        ui,
                        tr("Reference"),
                        &mut self.spec.reference,
                        Reference::ALL,
                        |r| reference_label(r).to_owned(),
                    );
                    column_combo(ui, tr("Group by"), &mut self.spec.group, &groupable);
                    if self.spec.kind == ChartKind::MapPoints {
                        map_controls(ui, ctx, &mut self.spec, &all, "");
                    }
                    ui.label(tr("Top N"));
                    let mut top = self.spec.top_n.unwrap_or(0);
                    let r = ui.add(egui::DragValue::new(&mut top).range(0..=100));
                    widgets::name_for_screen_readers(&r, egui::Role::SpinButton, tr("Top N"));
                    self.spec.top_n = (top > 0).then_some(top);
                    ui.end_row();
                });
            self.filters_ui(ui, &all);
            if self.spec.kind == ChartKind::MapPoints {
                overlays_ui(ui, ctx, &mut self.spec, &mut self.adding);
            }
            let ui = &mut cols[1];
            let style = PanelStyle {
                height: theme::PLOT_HEIGHT,
                link: None,
                export_name: "chart_builder".to_owned(),
                large: ctx.presenting,
            };
            self.preview.ui(ctx, ui, &self.spec, &style);
            if let Some(looks) = self.preview.take_looks() {
                super::set_looks(&mut self.spec, &looks);
            }
            ui.add_space(8.0);
            let error = matches!(self.preview.data().as_deref(), Some(Err(_)));
            ui.horizontal(|ui| {
                let apply = ui.add_enabled(!error, egui::Button::new(tr("Apply")));
                let apply = if error {
                    apply.on_disabled_hover_text(tr("Mend the chart first: the reason is above."))
                } else {
                    apply
                };
                if apply.clicked() {
                    outcome = BuilderOutcome::Apply(Box::new(self.spec.clone()));
                }
                if ui.button(tr("Cancel")).clicked() {
                    outcome = BuilderOutcome::Cancel;
                }
            });
        });
        outcome
    }

    /// The spec's filters, each with a remove button, and a row to add one:
    /// a column and the values to keep.
    fn filters_ui(&mut self, ui: &mut egui::Ui, columns: &[String]) {
        ui.add_space(8.0);
        ui.strong(tr("Filters"));
        let mut remove = None;
        for (i, f) in self.spec.filters.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.label(match f {
                    Filter::InSet { column, values } => {
                        trf!("{} is one of: {}", column, values.join(", "))
                    }
                    Filter::Range { column, min, max } => trf!(
                        "{} between {} and {}",
                        column,
                        min.map_or_else(|| "…".to_owned(), |v| v.to_string()),
                        max.map_or_else(|| "…".to_owned(), |v| v.to_string())
                    ),
                    Filter::Within { geometry, feature } => {
                        trf!("inside feature {} of {}", feature, geometry)
                    }
                });
                if ui.small_button(tr("Remove")).clicked() {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove {
            self.spec.filters.remove(i);
        }
        ui.horizontal(|ui| {
            let none = tr("(column)");
            let r = egui::ComboBox::from_id_salt("builder_filter_column")
                .selected_text(self.filter_column.as_deref().unwrap_or(none))
                .show_ui(ui, |ui| {
                    for c in columns {
                        if ui
                            .selectable_label(self.filter_column.as_deref() == Some(c), c)
                            .clicked()
                        {
                            self.filter_column = Some(c.clone());
                        }
                    }
                });
            widgets::name_for_screen_readers(
                &r.response,
                egui::Role::ComboBox,
                tr("Filter column"),
            );
            let t = ui.add(
                egui::TextEdit::singleline(&mut self.filter_values)
                    .hint_text(tr("values, comma-separated, or a range: 10..50"))
                    .desired_width(180.0),
            );
            widgets::name_for_screen_readers(&t, egui::Role::TextInput, tr("Filter values"));
            let filter = self
                .filter_column
                .as_ref()
                .and_then(|c| parse_filter(c, &self.filter_values));
            if ui
                .add_enabled(filter.is_some(), egui::Button::new(tr("Add filter")))
                .clicked()
                && let Some(f) = filter
            {
                self.spec.filters.push(f);
                self.filter_column = None;
                self.filter_values.clear();
            }
        });
    }
}

/// A filter typed in the builder: `10..50`, `..50` or `10..` keeps the
/// column's numbers in that range (either end open); anything else is a
/// comma-separated list of the values to keep. `None` when nothing usable
/// was typed.
fn parse_filter(column: &str, text: &str) -> Option<Filter> {
    let text = text.trim();
    if let Some((lo, hi)) = text.split_once("..") {
        let bound = |t: &str| -> Option<Option<f64>> {
            let t = t.trim();
            if t.is_empty() {
                Some(None)
            } else {
                t.parse::<f64>().ok().filter(|v| v.is_finite()).map(Some)
            }
        };
        if let (Some(min), Some(max)) = (bound(lo), bound(hi))
            && (min.is_some() || max.is_some())
        {
            return Some(Filter::Range {
                column: column.to_owned(),
                min,
                max,
            });
        }
    }
    let values: Vec<String> = text
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    (!values.is_empty()).then(|| Filter::InSet {
        column: column.to_owned(),
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_filters_are_ranges_or_lists_of_values() {
        assert_eq!(
            parse_filter("speed", "10..50"),
            Some(Filter::Range {
                column: "speed".to_owned(),
                min: Some(10.0),
                max: Some(50.0)
            })
        );
        assert_eq!(
            parse_filter("speed", " ..2.5"),
            Some(Filter::Range {
                column: "speed".to_owned(),
                min: None,
                max: Some(2.5)
            })
        );
        assert_eq!(
            parse_filter("road", "I-90, Main St"),
            Some(Filter::InSet {
                column: "road".to_owned(),
                values: vec!["I-90".to_owned(), "Main St".to_owned()]
            })
        );
        // Not numbers on both sides: the text is a value, not a range.
        assert!(matches!(
            parse_filter("code", "A..B"),
            Some(Filter::InSet { .. })
        ));
        assert_eq!(parse_filter("road", " , "), None);
        assert_eq!(
            parse_filter("speed", ".."),
            Some(Filter::InSet {
                column: "speed".to_owned(),
                values: vec!["..".to_owned()]
            })
        );
    }
}
