//! Explore: the charts suggested for any open dataset (`charts::suggest`),
//! each with Edit (the chart builder), Pin to dashboard, View as table and
//! PNG export. Listed whenever a dataset is open, so a planner's own file
//! is charted the moment it opens.

use egui::RichText;

use crate::app::dashboards::DashboardCommand;
use crate::app::i18n::tr;
use crate::app::panels::builder::{BuilderOutcome, ChartBuilder};
use crate::app::panels::{self, ChartPanel, HeaderAction, PanelStyle};
use crate::app::state::{Command, DatasetEntry, ViewCtx};
use crate::app::theme;
use crate::app::widgets::{self, Background};
use crate::charts::ChartSpec;
use crate::trf;

/// The dataset and revision the suggestions were made for, and the open
/// GeoJSON datasets (id, revision) a choropleth may join it to.
type Key = (u64, u64, Vec<(u64, u64)>);

#[derive(Default)]
pub struct ExploreView {
    suggested: Background<Key, Vec<ChartSpec>>,
    /// The charts shown (suggested, then as edited) and for which key.
    shown: Option<Key>,
    specs: Vec<ChartSpec>,
    panels: Vec<ChartPanel>,
    /// Each card's place on screen last frame (for its PNG export).
    rects: Vec<egui::Rect>,
    editing: Option<(usize, ChartBuilder)>,
}

/// The dataset Explore shows: the one chosen, else the newest.
pub fn explored<'a>(ctx: &'a ViewCtx<'_>) -> Option<&'a DatasetEntry> {
    ctx.ws
        .explore_dataset
        .and_then(|id| ctx.ws.entry(id))
        .or_else(|| ctx.ws.datasets.last())
}

impl ExploreView {
    pub fn is_busy(&self) -> bool {
        self.suggested.is_busy()
            || self.panels.iter().any(ChartPanel::is_busy)
            || self.editing.as_ref().is_some_and(|(_, b)| b.is_busy())
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let Some(entry) = explored(ctx) else {
            widgets::missing_ui(ui, tr("Open a CSV file to see its charts."));
            return;
        };
        let shapes: Vec<&DatasetEntry> = ctx
            .ws
            .datasets
            .iter()
            .filter(|e| e.id != entry.id && e.dataset.geometry.is_some())
            .collect();
        let key = (
            entry.id,
            entry.revision,
            shapes.iter().map(|e| (e.id, e.revision)).collect(),
        );
        let ds = std::sync::Arc::clone(&entry.dataset);
        let geos: Vec<_> = shapes
            .iter()
            .map(|e| std::sync::Arc::clone(&e.dataset))
            .collect();
        self.suggested.ensure(ui.ctx(), &key, move || {
            move |_: &crate::jobs::JobProgress| {
                let mut specs = crate::charts::suggest(&ds);
                // Each open district file this table meets: a choropleth,
                // after the charts over time.
                let at = specs
                    .iter()
                    .take_while(|s| {
                        s.x == ds.time_column().map(|c| c.name.clone()) && s.x.is_some()
                    })
                    .count();
                for (k, g) in geos.iter().enumerate() {
                    if let Some(c) = crate::charts::choropleth_suggestion(&ds, g) {
                        specs.insert((at + k).min(specs.len()), c);
                    }
                }
                specs
            }
        });
        if self.shown.as_ref() != Some(&key)
            && let Some(specs) = self.suggested.value()
            && !self.suggested.is_busy()
        {
            self.shown = Some(key.clone());
            self.specs = (*specs).clone();
            self.panels = self.specs.iter().map(|_| ChartPanel::default()).collect();
            self.editing = None;
        }
        self.header_ui(ctx, ui, entry);
        if let Some((i, builder)) = &mut self.editing {
            match builder.ui(ctx, ui) {
                BuilderOutcome::Editing => {}
                BuilderOutcome::Apply(spec) => {
                    if let Some(s) = self.specs.get_mut(*i) {
                        *s = *spec;
                    }
                    self.editing = None;
                }
                BuilderOutcome::Cancel => self.editing = None,
            }
            return;
        }
        if self.shown.as_ref() != Some(&key) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr("Finding the charts for this dataset…"));
            });
            return;
        }
        if self.specs.is_empty() {
            widgets::missing_ui(
                ui,
                tr(
                    "No chart suits this dataset: it has no time, number, category or place columns. The Data view shows its rows.",
                ),
            );
            return;
        }
        self.cards_ui(ctx, ui);
    }

    fn header_ui(&self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui, entry: &DatasetEntry) {
        ui.horizontal_wrapped(|ui| {
            ui.heading(tr("Explore"));
            ui.label(tr("Dataset:"));
            let combo = egui::ComboBox::from_id_salt("explore_dataset")
                .selected_text(&entry.dataset.name)
                .show_ui(ui, |ui| {
                    for e in &ctx.ws.datasets {
                        if ui
                            .selectable_label(e.id == entry.id, &e.dataset.name)
                            .clicked()
                        {
                            ctx.send(Command::ExploreDataset(e.id));
                        }
                    }
                });
            widgets::name_for_screen_readers(
                &combo.response,
                egui::Role::ComboBox,
                tr("Dataset to explore"),
            );
            if !self.specs.is_empty() && !ctx.presenting {
                ui.label(
                    RichText::new(trf!(
                        "{} charts suggested for {} rows",
                        self.specs.len(),
                        crate::app::i18n::count(entry.dataset.table.n_rows())
                    ))
                    .color(theme::MUTED),
                );
                if ui
                    .button(tr("Pin all to a new dashboard"))
                    .on_hover_text(tr("A dashboard of these charts, to arrange and keep"))
                    .clicked()
                {
                    ctx.send(Command::Dashboard(DashboardCommand::NewWith {
                        name: entry.dataset.name.clone(),
                        specs: self.specs.clone(),
                    }));
                    ctx.send(Command::ShowView(super::ViewId::Dashboards));
                }
            }
        });
        ui.add_space(6.0);
    }

    /// The charts two to a row, each a card with its actions.
    fn cards_ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let columns = if ui.available_width() > 900.0 { 2 } else { 1 };
        self.rects.resize(self.specs.len(), egui::Rect::NOTHING);
        let n = self.specs.len();
        for start in (0..n).step_by(columns) {
            ui.columns(columns, |cols| {
                for (c, ui) in cols.iter_mut().enumerate() {
                    let i = start + c;
                    if i < n {
                        self.card_ui(ctx, ui, i);
                    }
                }
            });
            ui.add_space(10.0);
        }
    }

    fn card_ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui, i: usize) {
        let spec = self.specs[i].clone();
        let title = crate::app::i18n::chart_title(&spec.title);
        let card = egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.push_id(i, |ui| {
                ui.horizontal(|ui| {
                    panels::header_title_ui(ui, &title, false, !ctx.presenting);
                    if ctx.presenting {
                        return;
                    }
                    let Some(panel) = self.panels.get_mut(i) else {
                        return;
                    };
                    let action =
                        panels::header_buttons_ui(ui, &title, &mut panel.show_table, |ui| {
                            pin_menu_ui(ctx, ui, &spec);
                        });
                    match action {
                        Some(HeaderAction::Png) => {
                            ctx.send(Command::ExportPng(crate::app::png_export::request_for(
                                ui.ctx(),
                                self.rects[i],
                                &format!("explore_{}", spec.title),
                                2.0,
                            )));
                        }
                        Some(HeaderAction::Edit) => {
                            self.editing = Some((i, ChartBuilder::new(spec.clone())));
                        }
                        None => {}
                    }
                });
                let style = PanelStyle {
                    height: theme::SMALL_PLOT_HEIGHT,
                    link: None,
                    export_name: format!("explore_{}", spec.title),
                    large: ctx.presenting,
                };
                if let Some(p) = self.panels.get_mut(i) {
                    p.ui(ctx, ui, &spec, &style);
                    if let Some(looks) = p.take_looks()
                        && let Some(s) = self.specs.get_mut(i)
                    {
                        // Kept with the card, and pinned as shown.
                        panels::set_looks(s, &looks);
                    }
                }
            });
        });
        self.rects[i] = card.response.rect;
    }
}

/// "Pin to dashboard": each dashboard by name, or a new one.
pub fn pin_menu_ui(ctx: &ViewCtx<'_>, ui: &mut egui::Ui, spec: &ChartSpec) {
    let r = ui.menu_button(tr("Pin to dashboard"), |ui| {
        for (d, dash) in ctx.ws.dashboards.list.iter().enumerate() {
            if ui.button(&dash.name).clicked() {
                ctx.send(Command::Dashboard(DashboardCommand::Pin {
                    dashboard: Some(d),
                    spec: Box::new(spec.clone()),
                }));
                ui.close();
            }
        }
        if ui.button(tr("New dashboard")).clicked() {
            ctx.send(Command::Dashboard(DashboardCommand::Pin {
                dashboard: None,
                spec: Box::new(spec.clone()),
            }));
            ui.close();
        }
    });
    widgets::name_for_screen_readers(
        &r.response,
        egui::Role::Button,
        &trf!(
            "Pin {} to dashboard",
            crate::app::i18n::chart_title(&spec.title)
        ),
    );
}
