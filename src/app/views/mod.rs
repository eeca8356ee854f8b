//! The dashboard's views, one file each. A view is a struct with cached,
//! precomputed plot data and `fn ui(&mut self, ctx: &ViewCtx, ui)`; it reads
//! the workspace and sends commands, and recomputes only when its inputs
//! (dataset revision, time range, selection) change.

mod dashboards;
mod data;
mod environment;
mod explore;
mod models;
mod overview;
mod predict;
mod recommend;
mod safety;
mod text;
mod traffic;

use super::state::ViewCtx;
pub use super::state::ViewId;

/// Every view's state.
#[derive(Default)]
pub struct Views {
    overview: overview::OverviewView,
    traffic: traffic::TrafficView,
    safety: safety::SafetyView,
    environment: environment::EnvironmentView,
    explore: explore::ExploreView,
    dashboards: dashboards::DashboardsView,
    text: text::TextView,
    predict: predict::PredictView,
    recommend: recommend::RecommendView,
    models: models::ModelsView,
    data: data::DataView,
}

impl Views {
    /// True while any view is computing a result in the background.
    pub fn is_busy(&self) -> bool {
        self.overview.is_busy()
            || self.traffic.is_busy()
            || self.safety.is_busy()
            || self.environment.is_busy()
            || self.explore.is_busy()
            || self.dashboards.is_busy()
            || self.text.is_busy()
            || self.predict.is_busy()
            || self.recommend.is_busy()
            || self.models.is_busy()
            || self.data.is_busy()
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let view = ctx.ws.view;
        match view {
            // The data table scrolls itself; a dashboard's panels fill the
            // view and are arranged, not scrolled.
            ViewId::Data => return self.data.ui(ctx, ui),
            ViewId::Dashboards => return self.dashboards.ui(ctx, ui),
            _ => {}
        }
        egui::ScrollArea::vertical()
            .id_salt(view.name())
            .auto_shrink([false, false])
            .show(ui, |ui| match view {
                ViewId::Overview => self.overview.ui(ctx, ui),
                ViewId::Traffic => self.traffic.ui(ctx, ui),
                ViewId::Safety => self.safety.ui(ctx, ui),
                ViewId::Environment => self.environment.ui(ctx, ui),
                ViewId::Explore => self.explore.ui(ctx, ui),
                ViewId::Text => self.text.ui(ctx, ui),
                ViewId::Predict => self.predict.ui(ctx, ui),
                ViewId::Recommend => self.recommend.ui(ctx, ui),
                ViewId::Models => self.models.ui(ctx, ui),
                ViewId::Data | ViewId::Dashboards => {}
            });
    }
}
