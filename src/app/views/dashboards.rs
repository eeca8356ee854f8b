//! Dashboards: the operator's named arrangements of pinned charts. Panels
//! move by their title bar, resize at their borders and stack into tabs
//! (`egui_tiles`); they share the top bar's time range, and the time axes
//! of one dashboard pan, zoom and show the cursor together. Each panel has
//! Edit (the chart builder), View as table, PNG and Remove; the dashboard
//! itself can be renamed, duplicated, deleted, reset (a default one) and
//! exported from the Export menu.

use std::collections::HashMap;

use egui::RichText;
use egui_tiles::{Behavior, TileId, Tree, UiResponse};

use crate::app::dashboards::{DashboardCommand, Panel};
use crate::app::i18n::tr;
use crate::app::panels::builder::{BuilderOutcome, ChartBuilder};
use crate::app::panels::{self, ChartPanel, HeaderAction, PanelStyle};
use crate::app::state::{Command, ViewCtx};
use crate::app::theme;
use crate::app::widgets;
use crate::trf;

#[derive(Default)]
pub struct DashboardsView {
    /// The shown dashboard's tree as the operator arranges it: (index,
    /// workspace revision it was copied at, tree).
    working: Option<(usize, u64, Tree<Panel>)>,
    /// Each panel's computed chart, by tree and tile.
    panels: HashMap<(egui::Id, TileId), ChartPanel>,
    renaming: Option<String>,
    confirm_delete: bool,
    editing: Option<(TileId, ChartBuilder)>,
    /// Rows picked on a map: the dashboard, the map's tile and the
    /// selection its other panels show.
    selection: Option<(usize, TileId, panels::Selection)>,
}

/// What a panel's buttons asked for this frame.
enum PanelAction {
    Edit(TileId),
    Remove(TileId),
    Png(egui::Rect, String),
}

struct PanelBehavior<'a, 'b> {
    ctx: &'a ViewCtx<'b>,
    panels: &'a mut HashMap<(egui::Id, TileId), ChartPanel>,
    tree: egui::Id,
    edited: bool,
    actions: Vec<PanelAction>,
    /// The selection shown, and the tile it was picked on.
    selection: Option<(TileId, &'a panels::Selection)>,
    /// A new pick this frame.
    picked: Option<(TileId, panels::Selection)>,
}

impl Behavior<Panel> for PanelBehavior<'_, '_> {
    fn tab_title_for_pane(&mut self, pane: &Panel) -> egui::WidgetText {
        crate::app::i18n::chart_title(&pane.spec.title).into()
    }

    fn pane_ui(&mut self, ui: &mut egui::Ui, tile: TileId, pane: &mut Panel) -> UiResponse {
        let spec = &pane.spec;
        let title = crate::app::i18n::chart_title(&spec.title);
        let mut response = UiResponse::None;
        let rect = ui.max_rect();
        ui.horizontal(|ui| {
            let handle = panels::header_title_ui(ui, &title, true, !self.ctx.presenting)
                .on_hover_cursor(egui::CursorIcon::Grab);
            if handle.drag_started() {
                response = UiResponse::DragStarted;
            }
            if self.ctx.presenting {
                return;
            }
            let panel = self.panels.entry((self.tree, tile)).or_default();
            let mut remove = false;
            let action = panels::header_buttons_ui(ui, &title, &mut panel.show_table, |ui| {
                remove =
                    panels::named_button(ui, "×", &trf!("Remove {} from the dashboard", title))
                        .on_hover_text(tr("Remove from the dashboard"))
                        .clicked();
            });
            match action {
                Some(HeaderAction::Edit) => self.actions.push(PanelAction::Edit(tile)),
                Some(HeaderAction::Png) => self
                    .actions
                    .push(PanelAction::Png(rect, spec.title.clone())),
                None => {}
            }
            if remove {
                self.actions.push(PanelAction::Remove(tile));
            }
        });
        let style = PanelStyle {
            height: (ui.available_height() - 8.0).max(60.0),
            link: Some(egui::Id::unique(("dashboard_time", self.tree))),
            export_name: format!("dashboard_{}", spec.title),
            large: self.ctx.presenting,
        };
        let panel = self.panels.entry((self.tree, tile)).or_default();
        // Other panels of the picked dataset show only the picked rows.
        let narrowed = self
            .selection
            .filter(|(source, _)| *source != tile)
            .and_then(|(_, sel)| sel.narrow(spec));
        panel.ui(self.ctx, ui, narrowed.as_ref().unwrap_or(spec), &style);
        if let Some(sel) = panel.take_selection() {
            self.picked = Some((tile, sel));
        }
        if let Some(looks) = panel.take_looks() {
            // A layer shown, hidden or faded is kept with the dashboard.
            panels::set_looks(&mut pane.spec, &looks);
            self.edited = true;
        }
        response
    }

    fn on_edit(&mut self, action: egui_tiles::EditAction) {
        if action != egui_tiles::EditAction::TabSelected {
            self.edited = true;
        }
    }

    fn simplification_options(&self) -> egui_tiles::SimplificationOptions {
        egui_tiles::SimplificationOptions {
            all_panes_must_have_tabs: false,
            ..Default::default()
        }
    }

    fn gap_width(&self, _style: &egui::Style) -> f32 {
        8.0
    }

    fn min_size(&self) -> f32 {
        120.0
    }
}

impl DashboardsView {
    pub fn is_busy(&self) -> bool {
        self.panels.values().any(ChartPanel::is_busy)
            || self.editing.as_ref().is_some_and(|(_, b)| b.is_busy())
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let dashboards = &ctx.ws.dashboards;
        let Some(index) = (!dashboards.list.is_empty())
            .then(|| dashboards.selected.min(dashboards.list.len() - 1))
        else {
            self.empty_ui(ctx, ui);
            return;
        };
        let current = &dashboards.list[index];
        if self
            .working
            .as_ref()
            .is_none_or(|(i, rev, _)| *i != index || *rev != dashboards.revision)
        {
            self.working = Some((index, dashboards.revision, current.tree.clone()));
        }
        self.header_ui(ctx, ui, index);
        if let Some((tile, builder)) = &mut self.editing {
            match builder.ui(ctx, ui) {
                BuilderOutcome::Editing => {}
                BuilderOutcome::Apply(spec) => {
                    ctx.send(Command::Dashboard(DashboardCommand::SetSpec {
                        dashboard: index,
                        tile: *tile,
                        spec,
                    }));
                    self.editing = None;
                }
                BuilderOutcome::Cancel => self.editing = None,
            }
            return;
        }
        let Some((_, _, tree)) = &mut self.working else {
            return;
        };
        if tree.is_empty() {
            widgets::missing_ui(
                ui,
                tr("This dashboard has no panels yet. Pin charts to it from Explore."),
            );
            if ui.button(tr("Open Explore")).clicked() {
                ctx.send(Command::ShowView(super::ViewId::Explore));
            }
            return;
        }
        if let Some((board, _, sel)) = &self.selection
            && *board == index
        {
            let mut clear = false;
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(trf!(
                        "Selected on the map: {}. The other panels of {} show only these rows.",
                        sel.label,
                        sel.dataset
                    ))
                    .color(theme::WARN),
                );
                clear = ui.button(tr("Clear selection")).clicked();
            });
            if clear {
                self.selection = None;
            }
        }
        let selection = self
            .selection
            .as_ref()
            .filter(|(board, _, _)| *board == index)
            .map(|(_, tile, sel)| (*tile, sel));
        let mut behavior = PanelBehavior {
            ctx,
            panels: &mut self.panels,
            tree: tree.id(),
            edited: false,
            actions: Vec::new(),
            selection,
            picked: None,
        };
        tree.ui(&mut behavior, ui);
        let picked = behavior.picked.take();
        if behavior.edited {
            ctx.send(Command::Dashboard(DashboardCommand::SetTree(
                index,
                Box::new(tree.clone()),
            )));
        }
        for action in behavior.actions {
            match action {
                PanelAction::Edit(tile) => {
                    if let Some(p) = tree.tiles.get_pane(&tile) {
                        self.editing = Some((tile, ChartBuilder::new(p.spec.clone())));
                    }
                }
                PanelAction::Remove(tile) => {
                    ctx.send(Command::Dashboard(DashboardCommand::Remove {
                        dashboard: index,
                        tile,
                    }))
                }
                PanelAction::Png(rect, title) => {
                    ctx.send(Command::ExportPng(crate::app::png_export::request_for(
                        ui.ctx(),
                        rect,
                        &format!("dashboard_{title}"),
                        2.0,
                    )))
                }
            }
        }
        if let Some((tile, sel)) = picked {
            // A second click on the same feature clears it.
            let same = self
                .selection
                .as_ref()
                .is_some_and(|(b, t, s)| *b == index && *t == tile && *s == sel);
            self.selection = (!same).then_some((index, tile, sel));
        }
    }

    fn empty_ui(&self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        ui.heading(tr("Dashboards"));
        widgets::missing_ui(
            ui,
            tr("No dashboards yet. Pin charts from Explore, or start an empty dashboard."),
        );
        ui.horizontal(|ui| {
            if !ctx.ws.datasets.is_empty() && ui.button(tr("Open Explore")).clicked() {
                ctx.send(Command::ShowView(super::ViewId::Explore));
            }
            if ui.button(tr("New dashboard")).clicked() {
                ctx.send(Command::Dashboard(DashboardCommand::New));
            }
        });
    }

    /// The dashboards as tabs, and the shown one's actions.
    fn header_ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui, index: usize) {
        let dashboards = &ctx.ws.dashboards.list;
        ui.horizontal_wrapped(|ui| {
            for (i, d) in dashboards.iter().enumerate() {
                if ui.selectable_label(i == index, &d.name).clicked() && i != index {
                    self.renaming = None;
                    self.confirm_delete = false;
                    self.editing = None;
                    ctx.send(Command::Dashboard(DashboardCommand::Select(i)));
                }
            }
            if ctx.presenting {
                return;
            }
            ui.separator();
            if ui.button(tr("New dashboard")).clicked() {
                ctx.send(Command::Dashboard(DashboardCommand::New));
            }
        });
        if ctx.presenting {
            return;
        }
        let current = &dashboards[index];
        ui.horizontal_wrapped(|ui| {
            if let Some(name) = &mut self.renaming {
                let edit = ui.text_edit_singleline(name);
                widgets::name_for_screen_readers(
                    &edit,
                    egui::Role::TextInput,
                    tr("Dashboard name"),
                );
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button(tr("Save name")).clicked() || enter {
                    ctx.send(Command::Dashboard(DashboardCommand::Rename(
                        index,
                        name.clone(),
                    )));
                    self.renaming = None;
                } else if ui.button(tr("Cancel")).clicked() {
                    self.renaming = None;
                }
            } else if ui.button(tr("Rename…")).clicked() {
                self.renaming = Some(current.name.clone());
            }
            if ui.button(tr("Duplicate")).clicked() {
                ctx.send(Command::Dashboard(DashboardCommand::Duplicate(index)));
            }
            if current.made_for.is_some()
                && ui
                    .button(tr("Reset"))
                    .on_hover_text(tr(
                        "Make this dashboard again from its dataset's default charts",
                    ))
                    .clicked()
            {
                ctx.send(Command::Dashboard(DashboardCommand::Reset(index)));
            }
            if self.confirm_delete {
                ui.label(trf!("Delete the dashboard '{}'?", current.name));
                if ui.button(tr("Delete it")).clicked() {
                    ctx.send(Command::Dashboard(DashboardCommand::Delete(index)));
                    self.confirm_delete = false;
                }
                if ui.button(tr("Keep it")).clicked() {
                    self.confirm_delete = false;
                }
            } else if ui.button(tr("Delete…")).clicked() {
                self.confirm_delete = true;
            }
            ui.label(
                RichText::new(tr(
                    "Drag a panel by its title to move it, or onto another to make tabs; drag a border to resize.",
                ))
                .color(theme::MUTED),
            );
        });
        ui.add_space(4.0);
    }
}
