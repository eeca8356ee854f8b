//! Dashboards: named arrangements of chart panels that the operator moves,
//! resizes and puts in tabs (an `egui_tiles` tree of [`Panel`]s), saved
//! with the workspace. The operations here are pure, so the app applies
//! them when a view asks (a `Command`) and tests check them without a
//! window.

use egui_tiles::{Container, Tile, TileId, Tree};
use serde::{Deserialize, Serialize};

use crate::charts::ChartSpec;

/// One pinned chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    pub spec: ChartSpec,
}

/// A named dashboard.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Dashboard {
    pub name: String,
    pub tree: Tree<Panel>,
    /// The dataset whose default charts (`charts::default_dashboard`) made
    /// this dashboard; "Reset" makes it again from them.
    #[serde(default)]
    pub made_for: Option<String>,
}

/// Panels per row of a new dashboard's grid.
const GRID_COLUMNS: usize = 2;

impl Dashboard {
    /// A dashboard of `specs` in a grid; `seed` makes its tree's id unique
    /// among the workspace's dashboards.
    pub fn new(name: String, specs: Vec<ChartSpec>, seed: u64) -> Self {
        let mut tiles = egui_tiles::Tiles::default();
        let children: Vec<TileId> = specs
            .into_iter()
            .map(|spec| tiles.insert_pane(Panel { spec }))
            .collect();
        let root = tiles.insert_grid_tile(children);
        if let Some(Tile::Container(Container::Grid(g))) = tiles.get_mut(root) {
            g.layout = egui_tiles::GridLayout::Columns(GRID_COLUMNS);
        }
        Self {
            name,
            tree: Tree::new(tree_id(seed), root, tiles),
            made_for: None,
        }
    }

    /// The panels, in the tree's order.
    pub fn panels(&self) -> Vec<(TileId, &Panel)> {
        let mut out = Vec::new();
        if let Some(root) = self.tree.root {
            collect(&self.tree.tiles, root, &mut out);
        }
        out
    }

    /// Adds a panel: into the root container, or beside the only panel.
    pub fn pin(&mut self, spec: ChartSpec) -> TileId {
        let tiles = &mut self.tree.tiles;
        let new = tiles.insert_pane(Panel { spec });
        match self.tree.root {
            Some(root) if matches!(tiles.get(root), Some(Tile::Container(_))) => {
                if let Some(Tile::Container(c)) = tiles.get_mut(root) {
                    c.add_child(new);
                }
            }
            Some(root) => {
                let grid = tiles.insert_grid_tile(vec![root, new]);
                self.tree.root = Some(grid);
            }
            None => self.tree.root = Some(new),
        }
        new
    }

    /// Removes a panel (and any container it leaves empty).
    pub fn remove(&mut self, tile: TileId) {
        self.tree.remove_recursively(tile);
        self.tree.simplify(&egui_tiles::SimplificationOptions {
            all_panes_must_have_tabs: false,
            ..Default::default()
        });
    }

    /// Replaces a panel's chart.
    pub fn set_spec(&mut self, tile: TileId, spec: ChartSpec) {
        if let Some(Tile::Pane(p)) = self.tree.tiles.get_mut(tile) {
            p.spec = spec;
        }
    }

    /// A copy under another name, with its own tree id.
    pub fn duplicate(&self, name: String, seed: u64) -> Self {
        let tree = match self.tree.root {
            Some(root) => Tree::new(tree_id(seed), root, self.tree.tiles.clone()),
            None => Tree::empty(tree_id(seed)),
        };
        Self {
            name,
            tree,
            made_for: self.made_for.clone(),
        }
    }
}

/// Every dashboard of the workspace, the one shown, and a revision that
/// changes with every edit (the Dashboards view keeps a working copy of
/// the shown tree and reloads it when this moves).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Dashboards {
    pub list: Vec<Dashboard>,
    pub selected: usize,
    next_seed: u64,
    #[serde(skip)]
    pub revision: u64,
}

/// A change to the dashboards, sent by a view.
#[derive(Clone, Debug)]
pub enum DashboardCommand {
    /// Pin a chart to a dashboard (`None`: a new one).
    Pin {
        dashboard: Option<usize>,
        spec: Box<ChartSpec>,
    },
    New,
    /// A new dashboard of these charts, named after `name`.
    NewWith {
        name: String,
        specs: Vec<ChartSpec>,
    },
    Select(usize),
    Rename(usize, String),
    Duplicate(usize),
    Delete(usize),
    /// Make a default dashboard again from its dataset's default charts.
    Reset(usize),
    /// The operator moved, resized or tabbed panels.
    SetTree(usize, Box<Tree<Panel>>),
    SetSpec {
        dashboard: usize,
        tile: TileId,
        spec: Box<ChartSpec>,
    },
    Remove {
        dashboard: usize,
        tile: TileId,
    },
}

impl Dashboards {
    fn seed(&mut self) -> u64 {
        self.next_seed += 1;
        // Trees saved by another workspace may use low seeds too: mix in
        // the count so a new tree's id differs from every loaded one.
        self.next_seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.list.len() as u64
    }

    pub fn selected(&self) -> Option<&Dashboard> {
        self.list.get(self.selected)
    }

    /// Adds `dashboard` and shows it; returns its index.
    pub fn push(&mut self, dashboard: Dashboard) -> usize {
        self.list.push(dashboard);
        self.selected = self.list.len() - 1;
        self.revision += 1;
        self.selected
    }

    /// A default dashboard named `name` of a dataset's default charts,
    /// unless one was made for it already (a workspace reopened keeps the
    /// operator's).
    pub fn add_default(&mut self, name: &str, dataset: &str, specs: &[ChartSpec]) {
        if specs.is_empty()
            || self
                .list
                .iter()
                .any(|d| d.made_for.as_deref() == Some(dataset))
        {
            return;
        }
        let name = unique_name(name, &self.list);
        let seed = self.seed();
        let mut d = Dashboard::new(name, specs.to_vec(), seed);
        d.made_for = Some(dataset.to_owned());
        self.list.push(d);
        self.revision += 1;
    }

    /// Applies a change; `defaults` holds each open dataset's default
    /// dashboard charts (for Reset). Returns a note for the operator, if any.
    pub fn apply(
        &mut self,
        cmd: DashboardCommand,
        defaults: &std::collections::HashMap<String, Vec<ChartSpec>>,
    ) -> Option<String> {
        self.revision += 1;
        match cmd {
            DashboardCommand::Pin { dashboard, spec } => {
                let title = spec.title.clone();
                let i = match dashboard.filter(|&i| i < self.list.len()) {
                    Some(i) => i,
                    None => {
                        let name = unique_name(crate::app::i18n::tr("Dashboard"), &self.list);
                        let seed = self.seed();
                        self.push(Dashboard::new(name, Vec::new(), seed))
                    }
                };
                let d = &mut self.list[i];
                d.pin(*spec);
                return Some(crate::trf!(
                    "Pinned '{}' to the dashboard '{}'.",
                    title,
                    d.name
                ));
            }
            DashboardCommand::New => {
                let name = unique_name(crate::app::i18n::tr("Dashboard"), &self.list);
                let seed = self.seed();
                self.push(Dashboard::new(name, Vec::new(), seed));
            }
            DashboardCommand::NewWith { name, specs } => {
                let name = unique_name(&name, &self.list);
                let seed = self.seed();
                let n = specs.len();
                self.push(Dashboard::new(name.clone(), specs, seed));
                return Some(crate::trf!(
                    "Made the dashboard '{}' of {} charts.",
                    name,
                    n
                ));
            }
            DashboardCommand::Select(i) if i < self.list.len() => self.selected = i,
            DashboardCommand::Rename(i, name) => {
                let name = name.trim().to_owned();
                if !name.is_empty()
                    && let Some(d) = self.list.get_mut(i)
                {
                    d.name = name;
                }
            }
            DashboardCommand::Duplicate(i) => {
                let seed = self.seed();
                if let Some(d) = self.list.get(i) {
                    let name = unique_name(&d.name, &self.list);
                    let copy = d.duplicate(name, seed);
                    self.push(copy);
                }
            }
            DashboardCommand::Delete(i) if i < self.list.len() => {
                self.list.remove(i);
                self.selected = self.selected.min(self.list.len().saturating_sub(1));
            }
            DashboardCommand::Reset(i) => {
                let seed = self.seed();
                let d = self.list.get_mut(i)?;
                let Some(specs) = d.made_for.as_ref().and_then(|n| defaults.get(n)) else {
                    return Some(crate::trf!(
                        "'{}' cannot be reset: its dataset is not open.",
                        d.name
                    ));
                };
                let mut fresh = Dashboard::new(d.name.clone(), specs.clone(), seed);
                fresh.made_for = d.made_for.take();
                *d = fresh;
            }
            DashboardCommand::SetTree(i, tree) => {
                if let Some(d) = self.list.get_mut(i) {
                    d.tree = *tree;
                }
            }
            DashboardCommand::SetSpec {
                dashboard,
                tile,
                spec,
            } => {
                if let Some(d) = self.list.get_mut(dashboard) {
                    d.set_spec(tile, *spec);
                }
            }
            DashboardCommand::Remove { dashboard, tile } => {
                if let Some(d) = self.list.get_mut(dashboard) {
                    d.remove(tile);
                }
            }
            DashboardCommand::Select(_) | DashboardCommand::Delete(_) => {}
        }
        None
    }
}

fn tree_id(seed: u64) -> egui::Id {
    egui::Id::unique(("cityops_dashboard", seed))
}

fn collect<'a>(
    tiles: &'a egui_tiles::Tiles<Panel>,
    id: TileId,
    out: &mut Vec<(TileId, &'a Panel)>,
) {
    match tiles.get(id) {
        Some(Tile::Pane(p)) => out.push((id, p)),
        Some(Tile::Container(c)) => {
            for child in c.children() {
                collect(tiles, *child, out);
            }
        }
        None => {}
    }
}

/// A name not yet taken: `base`, else `base 2`, `base 3`, ….
pub fn unique_name(base: &str, dashboards: &[Dashboard]) -> String {
    let taken = |n: &str| dashboards.iter().any(|d| d.name == n);
    if !taken(base) {
        return base.to_owned();
    }
    (2..)
        .map(|i| format!("{base} {i}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::ChartKind;

    fn spec(title: &str) -> ChartSpec {
        ChartSpec {
            title: title.to_owned(),
            kind: ChartKind::Bar,
            ..ChartSpec::default()
        }
    }

    fn titles(d: &Dashboard) -> Vec<String> {
        d.panels()
            .iter()
            .map(|(_, p)| p.spec.title.clone())
            .collect()
    }

    #[test]
    fn pin_remove_and_duplicate_keep_the_panels_in_order() {
        let mut d = Dashboard::new("Roads".to_owned(), vec![spec("a"), spec("b")], 1);
        assert_eq!(titles(&d), ["a", "b"]);
        let c = d.pin(spec("c"));
        assert_eq!(titles(&d), ["a", "b", "c"]);
        let copy = d.duplicate("Roads 2".to_owned(), 2);
        assert_ne!(
            copy.tree.id(),
            d.tree.id(),
            "two trees with one id share drag state"
        );
        d.remove(c);
        assert_eq!(titles(&d), ["a", "b"]);
        assert_eq!(titles(&copy), ["a", "b", "c"], "the copy is its own");
        let mut empty = Dashboard::new("Empty".to_owned(), vec![], 3);
        empty.pin(spec("first"));
        empty.pin(spec("second"));
        assert_eq!(titles(&empty), ["first", "second"]);
    }

    #[test]
    fn a_dashboard_survives_json_with_its_layout() {
        let mut d = Dashboard::new("Safety".to_owned(), vec![spec("a"), spec("b")], 7);
        d.made_for = Some("incidents".to_owned());
        let json = serde_json::to_string(&d).unwrap();
        let back: Dashboard = serde_json::from_str(&json).unwrap();
        assert_eq!(titles(&back), ["a", "b"]);
        assert_eq!(back.tree.id(), d.tree.id());
        assert_eq!(back.made_for.as_deref(), Some("incidents"));
    }

    #[test]
    fn names_are_made_unique() {
        let ds = vec![
            Dashboard::new("Traffic".to_owned(), vec![], 1),
            Dashboard::new("Traffic 2".to_owned(), vec![], 2),
        ];
        assert_eq!(unique_name("Traffic", &ds), "Traffic 3");
        assert_eq!(unique_name("Safety", &ds), "Safety");
    }
}
