//! Recommend: city services for a resident (search box), with a score bar
//! and "because you used …"; services similar to a chosen one; the
//! evaluation of item-CF, user-CF and popularity side by side with a
//! precision@k plot; the most used services; and saving the recommender.
//!
//! Building the recommenders and the evaluation is a background job.

use std::sync::Arc;

use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Line, Plot};

use crate::app::i18n::tr;
use crate::app::state::{RemoteServer, ViewCtx};
use crate::app::theme;
use crate::app::widgets;
use crate::data::{Dataset, Domain};
use crate::jobs::Job;
use crate::models::remote::{self, ModelMetadata, V2Client};
use crate::models::{bundle, recommender};
use crate::recommend::{
    self, CfParams, ColumnChoice, EvalReport, Interactions, Method, Recommender,
};

/// Everything built from one dataset.
struct Built {
    columns: ColumnChoice,
    item_cf: Recommender,
    user_cf: Recommender,
    popular: Recommender,
    evaluation: Result<EvalReport, String>,
}

const TOP: usize = 10;

fn build(ds: &Dataset, p: &crate::jobs::JobProgress) -> Result<Built, String> {
    let columns = ColumnChoice::detect(ds).map_err(|e| e.to_string())?;
    let inter = Arc::new(Interactions::from_dataset(ds, &columns).map_err(|e| e.to_string())?);
    let params = CfParams {
        mean_centre: false,
        ..CfParams::default()
    };
    let item_cf = Recommender::build(Arc::clone(&inter), Method::ItemCf, params.clone(), p)
        .map_err(|e| e.to_string())?;
    let user_cf = Recommender::build(Arc::clone(&inter), Method::UserCf, params.clone(), p)
        .map_err(|e| e.to_string())?;
    let popular = Recommender::build(Arc::clone(&inter), Method::Popularity, params.clone(), p)
        .map_err(|e| e.to_string())?;
    let evaluation = recommend::evaluate(&inter, TOP, &params, 42, p).map_err(|e| e.to_string());
    Ok(Built {
        columns,
        item_cf,
        user_cf,
        popular,
        evaluation,
    })
}

/// Item ids with scores from a remote recommender, or why not.
type RemoteAnswer = Result<Vec<(String, f64)>, String>;

pub struct RecommendView {
    bg: widgets::Background<(u64, u64), Result<Built, String>>,
    search: String,
    user: Option<String>,
    method: Method,
    similar_to: Option<String>,
    save_name: String,
    saving: Option<Job<Result<String, String>>>,
    save_message: Option<Result<String, String>>,
    /// A recommender on a connected remote server, chosen instead of `method`.
    remote: Option<String>,
    /// The remote answer for (model label, user), or the call under way.
    remote_job: Option<Job<RemoteAnswer>>,
    remote_for: Option<(String, String)>,
    remote_answer: Option<RemoteAnswer>,
}

impl Default for RecommendView {
    fn default() -> Self {
        Self {
            bg: widgets::Background::default(),
            search: String::new(),
            user: None,
            method: Method::ItemCf,
            similar_to: None,
            save_name: "services".to_owned(),
            saving: None,
            save_message: None,
            remote: None,
            remote_job: None,
            remote_for: None,
            remote_answer: None,
        }
    }
}

impl RecommendView {
    pub fn is_busy(&self) -> bool {
        self.bg.is_busy() || self.saving.is_some() || self.remote_job.is_some()
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let Some(entry) = ctx.ws.active_for(Domain::Services) else {
            widgets::missing_ui(
                ui,
                tr(
                    "No service-use data is open: open a table of residents and the services they used, or load the demo city.",
                ),
            );
            return;
        };
        ui.heading(crate::trf!("Recommendations — {}", entry.dataset.name));
        widgets::dataset_picker_ui(ctx, ui, Domain::Services, entry.id);
        let key = (entry.id, entry.revision);
        self.bg.ensure(ui.ctx(), &key, || {
            let ds = Arc::clone(&entry.dataset);
            move |p| build(&ds, p)
        });
        widgets::updating_ui(ui, self.bg.is_busy());
        let Some(built) = self.bg.value() else {
            ui.spinner();
            return;
        };
        let built = match built.as_ref() {
            Ok(b) => b,
            Err(e) => {
                ui.colored_label(theme::BAD, e);
                return;
            }
        };
        if let Some(job) = &mut self.saving
            && let Some(r) = job.try_result()
        {
            self.saving = None;
            self.save_message = Some(r);
        }
        let inter = &built.item_cf.interactions;
        ui.label(crate::trf!(
            "{} residents, {} services, {} interactions ({}) · columns: {} × {}",
            inter.n_users(),
            inter.n_items(),
            inter.n_interactions(),
            if inter.explicit {
                tr("ratings")
            } else {
                tr("usage")
            },
            built.columns.user,
            built.columns.item
        ));
        ui.add_space(6.0);
        ui.horizontal_top(|ui| {
            // Resident search and list.
            ui.vertical(|ui| {
                ui.set_width(220.0);
                ui.strong(tr("Resident"));
                let r = ui.add(
                    egui::TextEdit::singleline(&mut self.search)
                        .hint_text(tr("search by id"))
                        .desired_width(200.0),
                );
                widgets::name_for_screen_readers(
                    &r,
                    egui::Role::SearchInput,
                    tr("Search residents"),
                );
                let needle = self.search.trim().to_lowercase();
                egui::ScrollArea::vertical()
                    .id_salt("residents")
                    .max_height(360.0)
                    .show(ui, |ui| {
                        for u in inter
                            .users
                            .iter()
                            .filter(|u| u.to_lowercase().contains(&needle))
                            .take(200)
                        {
                            if ui
                                .selectable_label(self.user.as_deref() == Some(u.as_str()), u)
                                .clicked()
                            {
                                self.user = Some(u.clone());
                            }
                        }
                    });
            });
            ui.vertical(|ui| {
                let remotes: Vec<(String, &RemoteServer, &ModelMetadata)> = ctx
                    .ws
                    .remotes
                    .iter()
                    .flat_map(|s| {
                        s.models
                            .iter()
                            .filter(|m| remote::is_recommender(m))
                            .map(move |m| (format!("{} on {} (remote)", m.name, s.url), s, m))
                    })
                    .collect();
                if self
                    .remote
                    .as_ref()
                    .is_some_and(|r| !remotes.iter().any(|(l, _, _)| l == r))
                {
                    self.remote = None;
                }
                ui.horizontal_wrapped(|ui| {
                    ui.strong(tr("Method:"));
                    for (m, label) in [
                        (Method::ItemCf, tr("Similar services (item CF)")),
                        (Method::UserCf, tr("Similar residents (user CF)")),
                        (Method::Popularity, tr("Most used")),
                    ] {
                        if ui
                            .selectable_label(self.remote.is_none() && self.method == m, label)
                            .clicked()
                        {
                            self.method = m;
                            self.remote = None;
                        }
                    }
                    for (label, server, meta) in &remotes {
                        // `label` stays English: it identifies the choice
                        // whatever the language.
                        let shown = crate::trf!("{} on {} (remote)", meta.name, server.url);
                        if ui
                            .selectable_label(self.remote.as_ref() == Some(label), shown)
                            .on_hover_text(tr(
                                "A recommender served by a server connected in the Models view",
                            ))
                            .clicked()
                        {
                            self.remote = Some(label.clone());
                        }
                    }
                });
                let rec = match self.method {
                    Method::ItemCf => &built.item_cf,
                    Method::UserCf => &built.user_cf,
                    Method::Popularity => &built.popular,
                };
                let Some(user) = self.user.clone().or_else(|| inter.users.first().cloned()) else {
                    return;
                };
                let Some(u) = inter.user_index(&user) else {
                    return;
                };
                let (items, _) = inter.user_items.row(u);
                let used: Vec<&str> = items
                    .iter()
                    .filter_map(|&i| inter.items.get(i as usize).map(String::as_str))
                    .collect();
                ui.label(
                    RichText::new(crate::trf!("{} has used: {}", user, used.join(", ")))
                        .color(theme::MUTED),
                );
                ui.strong(crate::trf!("Top {} services for {}", TOP, user));
                if let Some((label, server, meta)) = self
                    .remote
                    .as_ref()
                    .and_then(|r| remotes.iter().find(|(l, _, _)| l == r))
                {
                    self.remote_ui(ui, label, server, meta, &user);
                    return;
                }
                let recs = rec.recommend(u, TOP);
                let top = recs.first().map_or(1.0, |r| r.score.max(1e-9));
                egui::Grid::new("recs")
                    .num_columns(3)
                    .striped(true)
                    .show(ui, |ui| {
                        for (i, r) in recs.iter().enumerate() {
                            ui.label(format!("{}. {}", i + 1, r.item));
                            ui.add(
                                egui::ProgressBar::new((r.score / top).clamp(0.0, 1.0))
                                    .desired_width(140.0)
                                    .text(format!("{:.3}", r.score)),
                            );
                            let because: Vec<String> = r
                                .because
                                .iter()
                                .map(|(b, w)| format!("{b} ({w:.2})"))
                                .collect();
                            let because = because.join(", ");
                            if because.is_empty() {
                                ui.label(
                                    RichText::new(tr("popular with many residents"))
                                        .color(theme::MUTED),
                                );
                            } else {
                                ui.label(match self.method {
                                    Method::ItemCf => crate::trf!("because you used {}", because),
                                    Method::UserCf => {
                                        crate::trf!("used by similar residents {}", because)
                                    }
                                    Method::Popularity => because,
                                });
                            }
                            ui.end_row();
                        }
                    });
            });
        });

        ui.add_space(10.0);
        ui.horizontal(|ui| {
            ui.strong(tr("Services similar to"));
            let current = self
                .similar_to
                .clone()
                .or_else(|| inter.items.first().cloned())
                .unwrap_or_default();
            let mut chosen = current.clone();
            let combo = egui::ComboBox::from_id_salt("similar_to")
                .selected_text(&current)
                .show_ui(ui, |ui| {
                    for it in &inter.items {
                        ui.selectable_value(&mut chosen, it.clone(), it);
                    }
                });
            widgets::name_for_screen_readers(
                &combo.response,
                egui::Role::ComboBox,
                tr("Similar to service"),
            );
            self.similar_to = Some(chosen);
        });
        if let Some(i) = self.similar_to.as_deref().and_then(|s| inter.item_index(s)) {
            let sims = built.item_cf.similar_items(i, 8);
            ui.horizontal_wrapped(|ui| {
                for (name, s) in sims {
                    ui.label(format!("{name} ({s:.2})"));
                    ui.separator();
                }
            });
        }

        ui.add_space(10.0);
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(520.0);
                match &built.evaluation {
                    Ok(r) => evaluation_ui(ctx, ui, r),
                    Err(e) => {
                        ui.colored_label(theme::WARN, crate::trf!("No evaluation: {}", e));
                    }
                }
            });
            ui.vertical(|ui| {
                ui.strong(tr("Most used services"));
                let mut pop: Vec<(usize, f32)> = built
                    .popular
                    .popularity
                    .iter()
                    .copied()
                    .enumerate()
                    .collect();
                pop.sort_by(|a, b| b.1.total_cmp(&a.1));
                let names: Vec<String> = pop
                    .iter()
                    .take(12)
                    .map(|(i, _)| inter.items.get(*i).cloned().unwrap_or_default())
                    .collect();
                let bars: Vec<Bar> = pop
                    .iter()
                    .take(12)
                    .enumerate()
                    .map(|(rank, (_, n))| {
                        Bar::new((11 - rank.min(11)) as f64, f64::from(*n))
                            .name(names.get(rank).cloned().unwrap_or_default())
                    })
                    .collect();
                let plot_shown = ui.scope(|ui| {
                    Plot::new("popularity")
                        .height(300.0)
                        .width(ui.available_width().min(560.0))
                        .allow_drag(false)
                        .allow_zoom(false)
                        .allow_scroll(false)
                        .y_axis_min_width(170.0)
                        .y_axis_formatter(move |m, _| {
                            let i = m.value.round();
                            if (m.value - i).abs() < 1e-6 && (0.0..12.0).contains(&i) {
                                names.get(11 - i as usize).cloned().unwrap_or_default()
                            } else {
                                String::new()
                            }
                        })
                        .x_axis_label(tr("residents"))
                        .show(ui, |p| {
                            p.bar_chart(
                                BarChart::new(tr("residents"), bars)
                                    .horizontal()
                                    .color(theme::series_color(2)),
                            )
                        })
                });
                crate::app::png_export::context_menu(
                    ctx,
                    &plot_shown.inner.response,
                    plot_shown.response.rect,
                    "service_popularity",
                );
            });
        });

        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.label(crate::trf!(
                "Save the item-CF recommender as {}/",
                ctx.ws.models_dir.display()
            ));
            let r = ui.add(egui::TextEdit::singleline(&mut self.save_name).desired_width(160.0));
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Recommender name"));
            let valid = !self.save_name.is_empty()
                && self
                    .save_name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if ui
                .add_enabled(
                    valid && self.saving.is_none(),
                    egui::Button::new(tr("Save recommender")),
                )
                .clicked()
            {
                let path = ctx.ws.models_dir.join(&self.save_name);
                let ds = Arc::clone(&entry.dataset);
                let rec = Recommender {
                    method: built.item_cf.method,
                    params: built.item_cf.params.clone(),
                    interactions: Arc::clone(&built.item_cf.interactions),
                    item_nn: built.item_cf.item_nn.clone(),
                    popularity: built.item_cf.popularity.clone(),
                };
                let columns = built.columns.clone();
                let eval = built.evaluation.as_ref().ok().cloned();
                let c = ui.ctx().clone();
                let job = widgets::start_job(
                    "save recommender",
                    Arc::new(move || c.request_repaint()),
                    move |_| {
                        recommender::save_recommender(
                            &path,
                            &rec,
                            &columns,
                            bundle::fingerprint(&ds.name, &ds.table),
                            eval.as_ref(),
                        )
                        .map(|(_, p)| p.display().to_string())
                        .map_err(|e| e.to_string())
                    },
                );
                match job {
                    Ok(j) => self.saving = Some(j),
                    Err(e) => self.save_message = Some(Err(e)),
                }
            }
            match &self.save_message {
                Some(Ok(path)) => {
                    ui.colored_label(theme::GOOD, crate::trf!("Saved {}", path));
                }
                Some(Err(e)) => {
                    ui.colored_label(theme::BAD, e);
                }
                None => {}
            }
        });
    }
}

impl RecommendView {
    /// The remote recommender's top services for `user`, asked in a
    /// background call whenever the model or the resident changes.
    fn remote_ui(
        &mut self,
        ui: &mut egui::Ui,
        label: &str,
        server: &RemoteServer,
        meta: &ModelMetadata,
        user: &str,
    ) {
        if let Some(j) = &mut self.remote_job
            && let Some(r) = j.try_result()
        {
            self.remote_job = None;
            self.remote_answer = Some(r);
        }
        let key = (label.to_owned(), user.to_owned());
        if self.remote_for.as_ref() != Some(&key) && self.remote_job.is_none() {
            let (url, token, meta, user) = (
                server.url.clone(),
                server.token.clone(),
                meta.clone(),
                user.to_owned(),
            );
            let c = ui.ctx().clone();
            let job = widgets::start_job(
                "remote recommend",
                Arc::new(move || c.request_repaint()),
                move |_| {
                    let rt = crate::jobs::runtime().map_err(|e| e.to_string())?;
                    let client = V2Client::new(&url, token).map_err(|e| e.to_string())?;
                    rt.block_on(remote::recommend(&client, &meta, &user, TOP))
                        .map_err(|e| e.to_string())
                },
            );
            self.remote_for = Some(key);
            self.remote_answer = None;
            match job {
                Ok(j) => self.remote_job = Some(j),
                Err(e) => self.remote_answer = Some(Err(e)),
            }
        }
        if self.remote_job.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(crate::trf!("Asking {}…", server.url));
            });
        }
        match &self.remote_answer {
            None => {}
            Some(Err(e)) => {
                ui.colored_label(theme::BAD, e);
            }
            Some(Ok(recs)) => {
                let top = recs
                    .iter()
                    .map(|r| r.1)
                    .filter(|s| s.is_finite())
                    .fold(1e-9, f64::max);
                egui::Grid::new("remote_recs")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (i, (item, score)) in recs.iter().enumerate() {
                            ui.label(format!("{}. {item}", i + 1));
                            ui.add(
                                egui::ProgressBar::new((score / top).clamp(0.0, 1.0) as f32)
                                    .desired_width(140.0)
                                    .text(format!("{score:.3}")),
                            );
                            ui.end_row();
                        }
                    });
                ui.label(
                    RichText::new(crate::trf!(
                        "From {} on {}; a remote model sends scores, not the reasons — choose a local method to see them.",
                        meta.name, server.url
                    ))
                    .color(theme::MUTED),
                );
            }
        }
    }
}

fn evaluation_ui(ctx: &ViewCtx<'_>, ui: &mut egui::Ui, r: &EvalReport) {
    let split = match r.split {
        "time" => tr("time"),
        "random" => tr("random"),
        other => other,
    };
    ui.strong(crate::trf!(
        "Evaluation: top {} on a {} holdout, {} residents",
        r.k,
        split,
        r.users_evaluated
    ));
    egui::Grid::new("rec_eval")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for h in [
                tr("Method"),
                tr("Precision@k"),
                tr("Recall@k"),
                "NDCG@k",
                tr("Coverage"),
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for (m, s) in &r.methods {
                ui.label(m);
                ui.label(format!("{:.3}", s.precision));
                ui.label(format!("{:.3}", s.recall));
                ui.label(format!("{:.3}", s.ndcg));
                ui.label(format!("{:.3}", s.coverage));
                ui.end_row();
            }
        });
    let cf = r.methods.get("item_cf").map_or(0.0, |s| s.ndcg);
    let pop = r.methods.get("popularity").map_or(0.0, |s| s.ndcg);
    if cf > pop {
        ui.colored_label(
            theme::GOOD,
            crate::trf!(
                "Item CF beats popularity on NDCG@{} ({:.3} vs {:.3}).",
                r.k,
                cf,
                pop
            ),
        );
    } else {
        ui.colored_label(
            theme::WARN,
            crate::trf!(
                "Item CF does not beat popularity on NDCG@{} ({:.3} vs {:.3}).",
                r.k,
                cf,
                pop
            ),
        );
    }
    ui.strong(tr("Precision at k"));
    let plot_shown = ui.scope(|ui| {
        Plot::new("precision_at_k")
            .height(200.0)
            .legend(Legend::default())
            .x_axis_label("k")
            .show(ui, |p| {
                for (i, (m, curve)) in r.precision_curve.iter().enumerate() {
                    let pts: Vec<[f64; 2]> = curve
                        .iter()
                        .enumerate()
                        .map(|(k, v)| [(k + 1) as f64, *v])
                        .collect();
                    p.line(
                        Line::new(m.clone(), pts)
                            .color(theme::series_color(i))
                            .width(2.0),
                    );
                }
            })
    });
    crate::app::png_export::context_menu(
        ctx,
        &plot_shown.inner.response,
        plot_shown.response.rect,
        "precision_at_k",
    );
}
