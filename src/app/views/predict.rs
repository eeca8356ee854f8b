//! Predict: train a network on any open table (target, task, features,
//! settings), watch the loss fall, read the evaluation next to its baseline,
//! save the model; pick a shipped, saved or loaded model and apply it to a
//! table (predictions become a new dataset, plotted against the actual
//! values, exportable as CSV); forecasts drawn after the history with the
//! seasonal baseline; and a what-if row that re-predicts as you edit it.
//!
//! Training, saving, scanning the models folder and applying a model run as
//! background jobs.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use egui::RichText;
use egui_plot::{Legend, Line, Plot, Points};

use crate::app::i18n::{self, tr};
use crate::app::state::{Command, RemoteServer, ViewCtx};
use crate::app::theme;
use crate::app::widgets::wake;
use crate::app::widgets::{self, TimeAxis};
use crate::data::Dataset;
use crate::data::timeseries::MICROS_PER_HOUR;
use crate::jobs::Job;
use crate::ml::apply;
use crate::ml::evaluate::Evaluation;
use crate::ml::features::{Encoding, FeaturePipeline, suggest_features};
use crate::ml::model::{self, LatestForecast, Predictions, TrainRequest, Trained};
use crate::ml::{EpochReport, ModelInputs, Task, TaskChoice, TrainConfig};
use crate::models::bundle::{self, ModelCard};
use crate::models::registry;
use crate::models::remote::ModelMetadata;

/// A model the view can apply.
#[derive(Clone)]
struct ModelChoice {
    /// Identifies the model in the list (stays the same in every language).
    label: String,
    origin: Origin,
    card: ModelCard,
    model: Arc<model::TabularModel>,
}

/// Where a model in the list comes from.
#[derive(Clone)]
enum Origin {
    JustTrained,
    /// A bundle of the models folder, by its name.
    Folder(String),
    /// A model card loaded from elsewhere (its label says where).
    File,
}

impl ModelChoice {
    /// The model's name for people, in the current language.
    fn shown(&self) -> String {
        match &self.origin {
            Origin::JustTrained => tr("the model just trained").to_owned(),
            Origin::Folder(name) => crate::trf!("{} (models folder)", name),
            Origin::File => self.label.clone(),
        }
    }
}

/// A model in the list: its name and the model, or why it cannot be used.
type ListedModel = (String, Result<ModelChoice, String>);

struct TrainingRun {
    job: Job<Result<(Trained, ModelCard), String>>,
    history: Arc<Mutex<Vec<EpochReport>>>,
    dataset: Arc<Dataset>,
}

struct TrainedResult {
    trained: Arc<Trained>,
    /// The card it would be saved with (made once, off the UI thread).
    card: ModelCard,
    history: Vec<EpochReport>,
    dataset: Arc<Dataset>,
}

/// The result of applying a model to a table.
struct Applied {
    model_label: String,
    dataset_name: String,
    /// (actual, predicted) for tables that have the target.
    pairs: Vec<[f64; 2]>,
    /// The metrics when the table has the target, or why there are none.
    evaluation: Option<Result<Evaluation, String>>,
    forecasts: Vec<LatestForecast>,
    /// Hourly history per place for the forecast plot: (hour, value).
    history: HashMap<String, Vec<[f64; 2]>>,
    tz: jiff::tz::TimeZone,
}

pub struct PredictView {
    // Training form.
    dataset_id: Option<u64>,
    target: String,
    task: TaskChoice,
    horizon: usize,
    features: BTreeSet<String>,
    features_for: Option<(u64, String)>,
    hidden: String,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    patience: usize,
    seed: u64,
    class_weights: bool,
    form_error: Option<String>,
    training: Option<TrainingRun>,
    result: Option<TrainedResult>,
    train_error: Option<String>,
    // Saving.
    save_name: String,
    saving: Option<Job<Result<PathBuf, String>>>,
    save_message: Option<Result<String, String>>,
    // Models.
    scan: Option<Job<Vec<ListedModel>>>,
    models: Vec<ListedModel>,
    scanned: bool,
    selected_model: Option<String>,
    apply_dataset: Option<u64>,
    applying: Option<Job<Result<(Applied, Dataset), String>>>,
    applied: Option<Applied>,
    apply_error: Option<String>,
    forecast_place: Option<String>,
    /// The open dialog and then the chosen card's bundle, loaded on the
    /// job's thread: `None` when the dialog was closed.
    load_dialog: Option<Job<Option<ListedModel>>>,
    /// Running a model of a connected remote server.
    remote: widgets::RemotePredict,
    // What-if.
    whatif_numbers: HashMap<String, f64>,
    whatif_texts: HashMap<String, String>,
    whatif_for: Option<String>,
}

impl Default for PredictView {
    fn default() -> Self {
        let d = TrainConfig::default();
        Self {
            dataset_id: None,
            target: String::new(),
            task: TaskChoice::Auto,
            horizon: crate::ml::forecast::DEFAULT_HORIZON_HOURS,
            features: BTreeSet::new(),
            features_for: None,
            hidden: "64, 64".to_owned(),
            epochs: d.epochs,
            batch_size: d.batch_size,
            learning_rate: d.learning_rate,
            patience: d.patience,
            seed: d.seed,
            class_weights: d.class_weights,
            form_error: None,
            training: None,
            result: None,
            train_error: None,
            save_name: String::new(),
            saving: None,
            save_message: None,
            scan: None,
            models: Vec::new(),
            scanned: false,
            selected_model: None,
            apply_dataset: None,
            applying: None,
            applied: None,
            apply_error: None,
            forecast_place: None,
            load_dialog: None,
            remote: widgets::RemotePredict::default(),
            whatif_numbers: HashMap::new(),
            whatif_texts: HashMap::new(),
            whatif_for: None,
        }
    }
}

fn task_label(t: TaskChoice) -> &'static str {
    match t {
        TaskChoice::Auto => tr("Automatic"),
        TaskChoice::Fixed(Task::Classify) => tr("Classify"),
        TaskChoice::Fixed(Task::Regress) => tr("Regress"),
        TaskChoice::Fixed(Task::Forecast) => tr("Forecast"),
    }
}

/// Why training stopped, for people (the English is the variant's name).
fn stop_label(s: crate::ml::trainer::Stop) -> &'static str {
    use crate::ml::trainer::Stop;
    match s {
        Stop::AllEpochs => tr("AllEpochs"),
        Stop::EarlyStopping => tr("EarlyStopping"),
        Stop::Cancelled => tr("Cancelled"),
    }
}

fn parse_hidden(s: &str) -> Result<Vec<usize>, String> {
    let v: Result<Vec<usize>, _> = s
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::parse::<usize>)
        .collect();
    match v {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(crate::trf!(
            "hidden layers '{}': write sizes separated by commas, e.g. 64, 64",
            s
        )),
    }
}

/// The metrics table: model, baseline, and the verdict.
pub fn evaluation_ui(ui: &mut egui::Ui, e: &Evaluation, id: &str) {
    let task = match e.task {
        "classify" => i18n::task_label(Task::Classify),
        "regress" => i18n::task_label(Task::Regress),
        "forecast" => i18n::task_label(Task::Forecast),
        other => other,
    };
    ui.label(crate::trf!(
        "{} '{}' — {} training rows, {} evaluated",
        task,
        e.target,
        e.rows_train,
        e.rows_valid
    ));
    egui::Grid::new(id)
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.strong(tr("Metric"));
            ui.strong(tr("Model"));
            ui.strong(tr("Baseline"));
            ui.end_row();
            for (k, v) in &e.metrics.0 {
                let label = if k == e.headline {
                    crate::trf!("{} (decides)", k)
                } else {
                    k.clone()
                };
                ui.label(label);
                ui.label(format!("{v:.4}"));
                ui.label(
                    e.baseline
                        .get(k)
                        .map_or("–".to_owned(), |b| format!("{b:.4}")),
                );
                ui.end_row();
            }
        });
    let baseline_name = match e.task {
        "classify" => tr("the majority class"),
        "regress" => tr("predicting the training mean"),
        _ => tr("the seasonal-naive forecast (same hour last week)"),
    };
    match e.beats_baseline {
        Some(true) => ui.colored_label(
            theme::GOOD,
            crate::trf!("The model beats {} on {}.", baseline_name, e.headline),
        ),
        Some(false) => ui.colored_label(
            theme::BAD,
            crate::trf!(
                "The model does not beat {} on {}: do not rely on it.",
                baseline_name,
                e.headline
            ),
        ),
        None => ui.colored_label(
            theme::WARN,
            tr("The model could not be compared with its baseline."),
        ),
    };
}

fn evaluation_plots_ui(ctx: &ViewCtx<'_>, ui: &mut egui::Ui, e: &Evaluation, id: &str) {
    let d = &e.details;
    ui.horizontal_top(|ui| {
        if !d.roc.is_empty() {
            ui.vertical(|ui| {
                ui.strong(tr("ROC curve"));
                let plot_shown = ui.scope(|ui| {
                    Plot::new((id, "roc"))
                        .width(320.0)
                        .height(260.0)
                        .data_aspect(1.0)
                        .x_axis_label(tr("false positive rate"))
                        .y_axis_label(tr("true positive rate"))
                        .show(ui, |p| {
                            p.line(
                                Line::new(tr("model"), d.roc.clone())
                                    .color(theme::series_color(0))
                                    .width(2.0),
                            );
                            p.line(
                                Line::new(tr("chance"), vec![[0.0, 0.0], [1.0, 1.0]])
                                    .color(theme::MUTED),
                            );
                        })
                });
                crate::app::png_export::context_menu(
                    ctx,
                    &plot_shown.inner.response,
                    plot_shown.response.rect,
                    "roc",
                );
            });
        }
        if let Some(cm) = &d.confusion {
            ui.vertical(|ui| {
                ui.strong(tr("Confusion matrix (rows: actual, columns: predicted)"));
                egui::Grid::new((id, "cm")).striped(true).show(ui, |ui| {
                    ui.label("");
                    for l in &d.labels {
                        ui.strong(l);
                    }
                    ui.end_row();
                    for (i, row) in cm.iter().enumerate() {
                        ui.strong(d.labels.get(i).map_or("", String::as_str));
                        for v in row {
                            ui.label(v.to_string());
                        }
                        ui.end_row();
                    }
                });
            });
        }
        if !d.predicted_vs_actual.is_empty() {
            ui.vertical(|ui| {
                ui.strong(tr("Predicted against actual"));
                let (lo, hi) = d
                    .predicted_vs_actual
                    .iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                        (a.min(p[0]), b.max(p[0]))
                    });
                let plot_shown = ui.scope(|ui| {
                    Plot::new((id, "pva"))
                        .width(340.0)
                        .height(260.0)
                        .x_axis_label(tr("actual"))
                        .y_axis_label(tr("predicted"))
                        .show(ui, |p| {
                            p.points(
                                Points::new(tr("rows"), d.predicted_vs_actual.clone())
                                    .radius(1.5)
                                    .color(theme::series_color(4)),
                            );
                            if lo.is_finite() && hi.is_finite() {
                                p.line(
                                    Line::new(tr("perfect"), vec![[lo, lo], [hi, hi]])
                                        .color(theme::MUTED),
                                );
                            }
                        })
                });
                crate::app::png_export::context_menu(
                    ctx,
                    &plot_shown.inner.response,
                    plot_shown.response.rect,
                    "predicted_vs_actual",
                );
            });
        }
    });
}

impl PredictView {
    pub fn is_busy(&self) -> bool {
        self.training.is_some()
            || self.saving.is_some()
            || self.scan.is_some()
            || self.applying.is_some()
            || self.remote.is_busy()
    }

    fn start_scan(&mut self, ui: &egui::Ui, dir: PathBuf) {
        if self.scan.is_some() {
            return;
        }
        self.scanned = true;
        let shown_dir = dir.display().to_string();
        let job = widgets::start_job("scan models", wake(ui), move |_| {
            registry::scan(&dir)
                .into_iter()
                // Recommenders and other kinds are listed in their own views.
                .filter(|e| {
                    bundle::card_kind(&e.card_path)
                        .map_or(true, |k| k == crate::models::ModelKind::Tabular)
                })
                .map(|e| {
                    let name = e.name();
                    let loaded = match e.card {
                        Err(err) => Err(err.to_string()),
                        Ok(_) => bundle::load_bundle(&e.card_path)
                            .map(|b| ModelChoice {
                                label: format!("{name} (models folder)"),
                                origin: Origin::Folder(name.clone()),
                                card: b.card,
                                model: Arc::new(b.model),
                            })
                            .map_err(|err| err.to_string()),
                    };
                    (name, loaded)
                })
                .collect()
        });
        match job {
            Ok(j) => self.scan = Some(j),
            Err(e) => self.models.push((shown_dir, Err(e))),
        }
    }

    fn poll(&mut self) {
        if let Some(run) = &mut self.training
            && let Some(result) = run.job.try_result()
        {
            let history = run.history.lock().map(|h| h.clone()).unwrap_or_default();
            let dataset = Arc::clone(&run.dataset);
            self.training = None;
            match result {
                Ok((t, card)) => {
                    self.save_name = format!("{}_{}", dataset.name, t.model.target_column())
                        .chars()
                        .map(|c| {
                            if c.is_alphanumeric() || c == '_' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    self.result = Some(TrainedResult {
                        trained: Arc::new(t),
                        card,
                        history,
                        dataset,
                    });
                    self.train_error = None;
                }
                Err(e) => self.train_error = Some(e),
            }
        }
        if let Some(job) = &mut self.saving
            && let Some(r) = job.try_result()
        {
            self.saving = None;
            self.save_message = Some(r.map(|p| crate::trf!("Saved {}", p.display())));
            self.scanned = false; // list the new model
        }
        if let Some(job) = &mut self.scan
            && let Some(list) = job.try_result()
        {
            self.scan = None;
            // Keep models loaded from elsewhere; replace the folder's.
            self.models.retain(|(_, m)| {
                m.as_ref()
                    .is_ok_and(|c| !matches!(c.origin, Origin::Folder(_)))
            });
            self.models.extend(list);
        }
        if let Some(job) = &mut self.load_dialog
            && let Some(picked) = job.try_result()
        {
            self.load_dialog = None;
            if let Some((name, entry)) = picked {
                if entry.is_ok() {
                    self.selected_model = Some(name.clone());
                }
                self.models.push((name, entry));
            }
        }
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        self.poll();
        if !self.scanned {
            self.start_scan(ui, ctx.ws.models_dir.clone());
        }
        ui.heading(tr("Predictions"));
        if ctx.ws.datasets.is_empty() {
            widgets::missing_ui(
                ui,
                tr("Open a table first: predictions are trained on and applied to open datasets."),
            );
            return;
        }
        egui::CollapsingHeader::new(RichText::new(tr("Train a model")).strong())
            .id_salt("train_section")
            .default_open(true)
            .show(ui, |ui| self.train_ui(ctx, ui));
        ui.separator();
        egui::CollapsingHeader::new(RichText::new(tr("Use a model")).strong())
            .id_salt("use_section")
            .default_open(true)
            .show(ui, |ui| self.use_ui(ctx, ui));
    }

    fn train_ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let ws = ctx.ws;
        let entry = self
            .dataset_id
            .and_then(|id| ws.entry(id))
            .or_else(|| ws.datasets.first());
        let Some(entry) = entry else { return };
        let ds = Arc::clone(&entry.dataset);
        if self.target.is_empty() || ds.table.column(&self.target).is_none() {
            // A sensible first target: the first measured quantity.
            self.target = ds
                .schema
                .roles
                .iter()
                .position(|r| matches!(r, crate::data::Role::Measure(_)))
                .and_then(|i| ds.table.columns.get(i))
                .or_else(|| ds.table.columns.last())
                .map(|c| c.name.clone())
                .unwrap_or_default();
        }
        let (suggested, excluded) = suggest_features(&ds, &self.target);
        if self.features_for.as_ref() != Some(&(entry.id, self.target.clone())) {
            self.features = suggested.iter().cloned().collect();
            self.features_for = Some((entry.id, self.target.clone()));
        }
        egui::Grid::new("train_form")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label(tr("Dataset"));
                let combo = egui::ComboBox::from_id_salt("train_dataset")
                    .selected_text(&ds.name)
                    .show_ui(ui, |ui| {
                        for e in &ws.datasets {
                            if ui
                                .selectable_label(e.id == entry.id, &e.dataset.name)
                                .clicked()
                            {
                                self.dataset_id = Some(e.id);
                            }
                        }
                    });
                widgets::name_for_screen_readers(
                    &combo.response,
                    egui::Role::ComboBox,
                    tr("Training dataset"),
                );
                ui.end_row();
                ui.label(tr("Target"));
                let combo = egui::ComboBox::from_id_salt("train_target")
                    .selected_text(&self.target)
                    .show_ui(ui, |ui| {
                        for c in &ds.table.columns {
                            ui.selectable_value(
                                &mut self.target,
                                c.name.clone(),
                                format!("{} ({})", c.name, i18n::kind_label(c.kind())),
                            );
                        }
                    });
                widgets::name_for_screen_readers(
                    &combo.response,
                    egui::Role::ComboBox,
                    tr("Target column"),
                );
                ui.end_row();
                ui.label(tr("Task"));
                ui.horizontal(|ui| {
                    for t in [
                        TaskChoice::Auto,
                        TaskChoice::Fixed(Task::Classify),
                        TaskChoice::Fixed(Task::Regress),
                        TaskChoice::Fixed(Task::Forecast),
                    ] {
                        ui.selectable_value(&mut self.task, t, task_label(t));
                    }
                    if self.task == TaskChoice::Fixed(Task::Forecast) {
                        ui.label(tr("horizon (hours)"));
                        ui.add(egui::DragValue::new(&mut self.horizon).range(1..=168));
                    }
                });
                ui.end_row();
                ui.label(tr("Network"));
                ui.horizontal(|ui| {
                    ui.label(tr("hidden layers"));
                    let r =
                        ui.add(egui::TextEdit::singleline(&mut self.hidden).desired_width(80.0));
                    widgets::name_for_screen_readers(
                        &r,
                        egui::Role::TextInput,
                        tr("Hidden layers"),
                    );
                    ui.label(tr("epochs"));
                    ui.add(egui::DragValue::new(&mut self.epochs).range(1..=1000));
                    ui.label(tr("batch"));
                    ui.add(egui::DragValue::new(&mut self.batch_size).range(1..=4096));
                    ui.label(tr("learning rate"));
                    ui.add(
                        egui::DragValue::new(&mut self.learning_rate)
                            .range(1e-5..=1.0)
                            .speed(1e-4),
                    );
                    ui.label(tr("patience"));
                    ui.add(egui::DragValue::new(&mut self.patience).range(0..=100));
                    ui.label(tr("seed"));
                    ui.add(egui::DragValue::new(&mut self.seed));
                    ui.checkbox(&mut self.class_weights, tr("weigh rare classes"));
                });
                ui.end_row();
            });
        if self.task != TaskChoice::Fixed(Task::Forecast) {
            egui::CollapsingHeader::new(crate::trf!(
                "Features ({} of {})",
                self.features.len(),
                suggested.len() + excluded.len()
            ))
            .id_salt("features")
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    for c in ds.table.columns.iter().filter(|c| c.name != self.target) {
                        let mut on = self.features.contains(&c.name);
                        let reason = excluded
                            .iter()
                            .find(|x| x.column == c.name)
                            .map(|x| x.reason.as_str());
                        let r = ui.checkbox(&mut on, &c.name);
                        let r = match reason {
                            Some(why) => {
                                r.on_hover_text(crate::trf!("Left out by default: {}", why))
                            }
                            None => r,
                        };
                        if r.changed() {
                            if on {
                                self.features.insert(c.name.clone());
                            } else {
                                self.features.remove(&c.name);
                            }
                        }
                    }
                });
                for x in &excluded {
                    ui.colored_label(
                        theme::MUTED,
                        crate::trf!("'{}' left out: {}", x.column, x.reason),
                    );
                }
            });
        } else {
            ui.colored_label(
                theme::MUTED,
                tr("A forecast uses the target's own last 24 hours, the same hours a week before, the time of day and weekday, and the place."),
            );
        }

        ui.horizontal(|ui| {
            let busy = self.training.is_some();
            if ui
                .add_enabled(!busy, egui::Button::new(tr("Train")))
                .clicked()
            {
                // The core's one validation of the settings.
                let config = parse_hidden(&self.hidden).and_then(|hidden| {
                    let config = TrainConfig {
                        hidden,
                        epochs: self.epochs,
                        batch_size: self.batch_size,
                        learning_rate: self.learning_rate,
                        patience: self.patience,
                        seed: self.seed,
                        class_weights: self.class_weights,
                        ..Default::default()
                    };
                    config.validate().map_err(|e| e.to_string())?;
                    Ok(config)
                });
                match config {
                    Err(e) => self.form_error = Some(e),
                    Ok(config) => {
                        self.form_error = None;
                        let req = TrainRequest {
                            target: self.target.clone(),
                            task: self.task,
                            features: Some(self.features.iter().cloned().collect()),
                            config,
                            horizon_hours: self.horizon,
                        };
                        let history = Arc::new(Mutex::new(Vec::new()));
                        let h = Arc::clone(&history);
                        let w = wake(ui);
                        let w2 = Arc::clone(&w);
                        let data = Arc::clone(&ds);
                        let job = Job::spawn("train", w, move |p| {
                            let t = model::train_model(&data, &req, p, &mut |r| {
                                if let Ok(mut v) = h.lock() {
                                    v.push(r.clone());
                                }
                                w2();
                            })
                            .map_err(|e| e.to_string())?;
                            let card = bundle::make_card(
                                "",
                                &t.model,
                                &t.evaluation,
                                bundle::fingerprint(&data.name, &data.table),
                                req.config.clone(),
                                t.best_epoch,
                            );
                            Ok((t, card))
                        });
                        match job {
                            Ok(job) => {
                                self.training = Some(TrainingRun {
                                    job,
                                    history,
                                    dataset: Arc::clone(&ds),
                                });
                                self.train_error = None;
                                self.save_message = None;
                            }
                            Err(e) => {
                                self.train_error =
                                    Some(crate::trf!("could not start training: {}", e));
                            }
                        }
                    }
                }
            }
            if let Some(run) = &self.training {
                let (f, msg) = run.job.progress();
                ui.add(
                    egui::ProgressBar::new(f)
                        .desired_width(320.0)
                        .text(msg)
                        .animate(true),
                );
                if ui.button(tr("Cancel training")).clicked() {
                    run.job.cancel();
                }
            }
        });
        if let Some(e) = &self.form_error {
            ui.colored_label(theme::BAD, e);
        }
        if let Some(e) = &self.train_error {
            ui.colored_label(theme::BAD, crate::trf!("Training failed: {}", e));
        }
        // The loss curve: live while training, kept afterwards.
        let live: Option<Vec<EpochReport>> = self
            .training
            .as_ref()
            .map(|r| r.history.lock().map(|h| h.clone()).unwrap_or_default());
        let history = live.or_else(|| self.result.as_ref().map(|r| r.history.clone()));
        if let Some(h) = history.filter(|h| !h.is_empty()) {
            ui.strong(tr("Loss per epoch"));
            let plot_shown = ui.scope(|ui| {
                Plot::new("loss_curve")
                    .height(180.0)
                    .legend(Legend::default())
                    .x_axis_label(tr("epoch"))
                    .y_axis_label(tr("loss"))
                    .show(ui, |p| {
                        let train: Vec<[f64; 2]> =
                            h.iter().map(|r| [r.epoch as f64, r.train_loss]).collect();
                        let va: Vec<[f64; 2]> =
                            h.iter().map(|r| [r.epoch as f64, r.valid_loss]).collect();
                        p.line(
                            Line::new(tr("training"), train)
                                .color(theme::series_color(0))
                                .width(2.0),
                        );
                        p.line(
                            Line::new(tr("validation"), va)
                                .color(theme::series_color(1))
                                .width(2.0),
                        );
                    })
            });
            crate::app::png_export::context_menu(
                ctx,
                &plot_shown.inner.response,
                plot_shown.response.rect,
                "loss_curve",
            );
        }
        let Some(result) = &self.result else { return };
        let t = Arc::clone(&result.trained);
        ui.add_space(6.0);
        ui.strong(crate::trf!(
            "Evaluation on the held-out rows of {} (best epoch {} of {}, {})",
            result.dataset.name,
            t.best_epoch,
            result.history.len(),
            stop_label(t.stop)
        ));
        evaluation_ui(ui, &t.evaluation, "train_eval");
        evaluation_plots_ui(ctx, ui, &t.evaluation, "train_eval_plots");
        ui.horizontal(|ui| {
            ui.label(crate::trf!("Save as {}/", ctx.ws.models_dir.display()));
            let r = ui.add(egui::TextEdit::singleline(&mut self.save_name).desired_width(220.0));
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Model name"));
            let valid = !self.save_name.is_empty()
                && self
                    .save_name
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
            if ui
                .add_enabled(
                    valid && self.saving.is_none(),
                    egui::Button::new(tr("Save model")),
                )
                .clicked()
            {
                let name = self.save_name.clone();
                let trained = Arc::clone(&t);
                let card = result.card.clone();
                let dir = ctx.ws.models_dir.clone();
                match widgets::start_job("save model", wake(ui), move |_| {
                    bundle::save_bundle(&dir.join(&name), card, &trained.model)
                        .map(|(_, p)| p)
                        .map_err(|e| e.to_string())
                }) {
                    Ok(j) => self.saving = Some(j),
                    Err(e) => self.save_message = Some(Err(e)),
                }
            }
            if !valid {
                ui.colored_label(theme::MUTED, tr("letters, digits, _ and - only"));
            }
            match &self.save_message {
                Some(Ok(m)) => {
                    ui.colored_label(theme::GOOD, m);
                }
                Some(Err(e)) => {
                    ui.colored_label(theme::BAD, e);
                }
                None => {}
            }
        });
    }

    fn choices(&self) -> Vec<ModelChoice> {
        let mut out: Vec<ModelChoice> = Vec::new();
        if let Some(r) = &self.result {
            out.push(ModelChoice {
                label: "the model just trained".to_owned(),
                origin: Origin::JustTrained,
                card: r.card.clone(),
                model: Arc::new(r.trained.model.clone()),
            });
        }
        out.extend(
            self.models
                .iter()
                .filter_map(|(_, m)| m.as_ref().ok().cloned()),
        );
        out
    }

    fn use_ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let choices = self.choices();
        ui.horizontal(|ui| {
            if ui
                .button(tr("Load model…"))
                .on_hover_text(tr("Open a model card (.json) from anywhere"))
                .clicked()
                && self.load_dialog.is_none()
            {
                // The dialog opens on a job's thread: its texts are taken now.
                let title = tr("Open a cityops model card");
                let filter = tr("Model cards");
                match widgets::start_job("model dialog", wake(ui), move |_| {
                    let path = rfd::FileDialog::new()
                        .set_title(title)
                        .add_filter(filter, &["json"])
                        .pick_file()?;
                    let name = path
                        .file_stem()
                        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                    let entry = bundle::load_bundle(&path)
                        .map(|b| ModelChoice {
                            label: format!("{name} ({})", path.display()),
                            origin: Origin::File,
                            card: b.card,
                            model: Arc::new(b.model),
                        })
                        .map_err(|e| e.to_string());
                    Some((name, entry))
                }) {
                    Ok(j) => self.load_dialog = Some(j),
                    Err(e) => self.models.push((title.to_owned(), Err(e))),
                }
            }
            if ui.button(tr("Rescan models folder")).clicked() {
                self.scanned = false;
            }
            if self.scan.is_some() {
                ui.spinner();
            }
        });
        for (name, m) in &self.models {
            if let Err(e) = m {
                ui.colored_label(theme::WARN, format!("{name}: {e}"));
            }
        }
        // Models of the remote servers connected in the Models view.
        // (label that identifies it, label for people, server, model)
        type RemoteChoice<'a> = (String, String, &'a RemoteServer, &'a ModelMetadata);
        let remote: Vec<RemoteChoice<'_>> = ctx
            .ws
            .remotes
            .iter()
            .flat_map(|s| {
                s.models
                    .iter()
                    .filter(|m| !crate::models::remote::is_recommender(m))
                    .map(move |m| {
                        (
                            format!("{} on {} (remote)", m.name, s.url),
                            crate::trf!("{} on {} (remote)", m.name, s.url),
                            s,
                            m,
                        )
                    })
            })
            .collect();
        self.remote.poll(ctx);
        if choices.is_empty() && remote.is_empty() {
            widgets::missing_ui(
                ui,
                tr(
                    "No model yet: train one above, put bundles in the models folder, or connect a remote server in the Models view.",
                ),
            );
            return;
        }
        let remote_current = self
            .selected_model
            .as_ref()
            .and_then(|s| remote.iter().find(|(l, _, _, _)| l == s))
            .or_else(|| choices.is_empty().then(|| remote.first()).flatten());
        let local_current = self
            .selected_model
            .as_ref()
            .and_then(|s| choices.iter().find(|c| c.label == *s || c.card.name == *s))
            .or_else(|| choices.first());
        let (current_label, current_shown) = match (remote_current, local_current) {
            (Some((l, shown, _, _)), _) => (l.clone(), shown.clone()),
            (None, Some(c)) => (c.label.clone(), c.shown()),
            (None, None) => (String::new(), String::new()),
        };
        ui.horizontal(|ui| {
            ui.label(tr("Model"));
            let combo = egui::ComboBox::from_id_salt("model_choice")
                .selected_text(&current_shown)
                .show_ui(ui, |ui| {
                    for (label, shown) in choices
                        .iter()
                        .map(|c| (&c.label, c.shown()))
                        .chain(remote.iter().map(|(l, s, _, _)| (l, s.clone())))
                    {
                        if ui
                            .selectable_label(*label == current_label, shown)
                            .clicked()
                        {
                            self.selected_model = Some(label.clone());
                        }
                    }
                });
            widgets::name_for_screen_readers(&combo.response, egui::Role::ComboBox, tr("Model"));
        });
        if let Some((_, _, server, meta)) = remote_current {
            let platform = if meta.platform.is_empty() {
                "Open Inference Protocol V2"
            } else {
                meta.platform.as_str()
            };
            let outputs = meta
                .outputs
                .iter()
                .map(|t| format!("{} ({})", t.name, t.datatype))
                .collect::<Vec<_>>()
                .join(", ");
            ui.label(crate::trf!(
                "A model served by {} ({}): {} inputs, outputs {}. The table's columns are sent to it in batches; its outputs come back as columns of a new dataset.",
                server.url,
                platform,
                meta.inputs.len(),
                outputs
            ));
            self.remote.model_ui(ctx, ui, server, meta);
            self.remote.status_ui(ui);
            return;
        }
        let Some(current) = local_current.cloned() else {
            return;
        };
        let card = &current.card;
        ui.label(crate::trf!(
            "{} model for '{}' · reads {} columns · network {} · trained on {} ({} rows)",
            i18n::task_label(card.task),
            card.target.column(),
            current.model.required_columns().len(),
            format!("{:?}", card.network.hidden),
            card.training_data.name,
            card.training_data.rows
        ));
        let (model, baseline) = card.headline_figures();
        ui.label(crate::trf!(
            "validation {}: model {} · baseline {}",
            card.headline_metric,
            model,
            baseline,
        ));

        // Apply to a dataset.
        let ws = ctx.ws;
        let target_ds = self
            .apply_dataset
            .and_then(|id| ws.entry(id))
            .or_else(|| {
                ws.datasets.iter().find(|e| {
                    current
                        .model
                        .required_columns()
                        .iter()
                        .all(|c| e.dataset.table.column(c).is_some())
                })
            })
            .or_else(|| ws.datasets.first());
        if let Some(entry) = target_ds {
            ui.horizontal(|ui| {
                ui.label(tr("Apply to"));
                let combo = egui::ComboBox::from_id_salt("apply_dataset")
                    .selected_text(&entry.dataset.name)
                    .show_ui(ui, |ui| {
                        for e in &ws.datasets {
                            if ui
                                .selectable_label(e.id == entry.id, &e.dataset.name)
                                .clicked()
                            {
                                self.apply_dataset = Some(e.id);
                            }
                        }
                    });
                widgets::name_for_screen_readers(
                    &combo.response,
                    egui::Role::ComboBox,
                    tr("Apply to dataset"),
                );
                if ui
                    .add_enabled(
                        self.applying.is_none(),
                        egui::Button::new(tr("Apply model")),
                    )
                    .clicked()
                {
                    let model = Arc::clone(&current.model);
                    let ds = Arc::clone(&entry.dataset);
                    let label = current.label.clone();
                    let shown = current.shown();
                    let rows_train = card.rows_train;
                    self.apply_error = None;
                    match widgets::start_job("apply model", wake(ui), move |_| {
                        apply_and_review(&model, &ds, &label, shown, rows_train)
                    }) {
                        Ok(j) => self.applying = Some(j),
                        Err(e) => self.apply_error = Some(e),
                    }
                }
                if self.applying.is_some() {
                    ui.spinner();
                    ui.label(tr("Predicting…"));
                }
            });
        }
        if let Some(job) = &mut self.applying
            && let Some(r) = job.try_result()
        {
            self.applying = None;
            match r {
                Ok((applied, ds)) => {
                    self.forecast_place = applied.forecasts.first().map(|f| f.place.clone());
                    self.applied = Some(applied);
                    ctx.send(Command::AddDataset(Box::new(ds)));
                }
                Err(e) => self.apply_error = Some(e),
            }
        }
        if let Some(e) = &self.apply_error {
            ui.colored_label(theme::BAD, e);
        }
        if let Some(a) = &self.applied {
            applied_ui(ctx, ui, a, &mut self.forecast_place);
        }
        if let ModelInputs::Tabular(p) = &current.model.inputs {
            ui.add_space(8.0);
            egui::CollapsingHeader::new(tr("What if? Edit one row and see the prediction"))
                .id_salt("whatif")
                .default_open(false)
                .show(ui, |ui| self.whatif_ui(ui, &current, p));
        }
    }
}

fn applied_ui(
    ctx: &ViewCtx<'_>,
    ui: &mut egui::Ui,
    a: &Applied,
    forecast_place: &mut Option<String>,
) {
    {
        ui.label(crate::trf!(
            "Applied {0} to {1}: the predictions are in the new dataset '{1} predictions' (Data view; Export CSV… there).",
            a.model_label,
            a.dataset_name
        ));
        if let Some(id) = ctx
            .ws
            .datasets
            .iter()
            .rev()
            .find(|e| e.dataset.name == format!("{} predictions", a.dataset_name))
            .map(|e| e.id)
        {
            ui.horizontal(|ui| {
                if ui.button(tr("Show in Data view")).clicked() {
                    ctx.send(Command::ShowInDataView(id));
                    ctx.send(Command::ShowView(super::ViewId::Data));
                }
                if ui.button(tr("Export predictions as CSV…")).clicked() {
                    ctx.send(Command::ExportCsv(id));
                }
            });
        }
        match &a.evaluation {
            Some(Ok(e)) => {
                ui.strong(tr("On this table (it has the target)"));
                evaluation_ui(ui, e, "applied_eval");
                if a.forecasts.is_empty() {
                    evaluation_plots_ui(ctx, ui, e, "applied_plots");
                }
            }
            Some(Err(e)) => {
                ui.colored_label(
                    theme::WARN,
                    crate::trf!(
                        "The table has the target, but the metrics could not be computed: {}",
                        e
                    ),
                );
            }
            None => {}
        }
        if !a.pairs.is_empty() && a.forecasts.is_empty() && a.evaluation.is_none() {
            ui.label(crate::trf!("{} predictions", a.pairs.len()));
        }
        if a.forecasts.is_empty() {
            return;
        }
        ui.strong(tr(
            "Forecast after the history, with the seasonal-naive baseline",
        ));
        let places: Vec<String> = a.forecasts.iter().map(|f| f.place.clone()).collect();
        let mut current = forecast_place.clone().unwrap_or_default();
        let combo = egui::ComboBox::from_id_salt("forecast_place")
            .selected_text(&current)
            .show_ui(ui, |ui| {
                for p in &places {
                    ui.selectable_value(&mut current, p.clone(), p);
                }
            });
        widgets::name_for_screen_readers(
            &combo.response,
            egui::Role::ComboBox,
            tr("Forecast place"),
        );
        *forecast_place = Some(current.clone());
        let Some(f) = a.forecasts.iter().find(|f| f.place == current) else {
            return;
        };
        let hist = a.history.get(&f.place).cloned().unwrap_or_default();
        let to_secs = |h: i64| (h * MICROS_PER_HOUR) as f64 / 1e6;
        let fc: Vec<[f64; 2]> = f
            .forecast
            .iter()
            .enumerate()
            .map(|(k, v)| [to_secs(f.origin_hour + k as i64 + 1), *v])
            .collect();
        let base: Vec<[f64; 2]> = f
            .baseline
            .iter()
            .enumerate()
            .map(|(k, v)| [to_secs(f.origin_hour + k as i64 + 1), *v])
            .collect();
        let axis = TimeAxis::new(a.tz.clone());
        let plot_shown = ui.scope(|ui| {
            axis.apply(
                Plot::new("forecast_plot")
                    .height(theme::PLOT_HEIGHT)
                    .legend(Legend::default()),
                "",
            )
            .show(ui, |p| {
                p.line(
                    Line::new(tr("history"), hist)
                        .color(theme::series_color(0))
                        .width(theme::LINE_WIDTH),
                );
                p.line(
                    Line::new(tr("forecast"), fc)
                        .color(theme::series_color(5))
                        .width(2.5),
                );
                p.line(
                    Line::new(tr("seasonal naive"), base)
                        .color(theme::MUTED)
                        .style(egui_plot::LineStyle::dashed_loose()),
                );
            })
        });
        crate::app::png_export::context_menu(
            ctx,
            &plot_shown.inner.response,
            plot_shown.response.rect,
            "forecast",
        );
    }
}

impl PredictView {
    fn whatif_ui(&mut self, ui: &mut egui::Ui, choice: &ModelChoice, p: &FeaturePipeline) {
        if self.whatif_for.as_deref() != Some(choice.label.as_str()) {
            self.whatif_numbers.clear();
            self.whatif_texts.clear();
            for spec in &p.inputs {
                match &spec.encoding {
                    Encoding::Standardize { mean, .. } => {
                        self.whatif_numbers.insert(spec.column.clone(), *mean);
                    }
                    Encoding::Bool => {
                        self.whatif_numbers.insert(spec.column.clone(), 0.0);
                    }
                    Encoding::OneHot { categories } => {
                        self.whatif_texts.insert(
                            spec.column.clone(),
                            categories.first().cloned().unwrap_or_default(),
                        );
                    }
                    Encoding::Calendar => {}
                }
            }
            self.whatif_for = Some(choice.label.clone());
        }
        egui::Grid::new("whatif_grid")
            .num_columns(2)
            .show(ui, |ui| {
                for spec in &p.inputs {
                    ui.label(&spec.column);
                    match &spec.encoding {
                        Encoding::Standardize { mean, std } => {
                            let v = self
                                .whatif_numbers
                                .entry(spec.column.clone())
                                .or_insert(*mean);
                            let lo = mean - 3.0 * std;
                            let hi = mean + 3.0 * std;
                            let r = ui.add(egui::Slider::new(v, lo..=hi));
                            widgets::name_for_screen_readers(
                                &r,
                                egui::Role::Slider,
                                &crate::trf!("What-if {}", spec.column),
                            );
                        }
                        Encoding::Bool => {
                            let v = self
                                .whatif_numbers
                                .entry(spec.column.clone())
                                .or_insert(0.0);
                            let mut on = *v != 0.0;
                            if ui.checkbox(&mut on, "").changed() {
                                *v = f64::from(u8::from(on));
                            }
                        }
                        Encoding::OneHot { categories } => {
                            let v = self.whatif_texts.entry(spec.column.clone()).or_default();
                            egui::ComboBox::from_id_salt(("whatif", &spec.column))
                                .selected_text(v.as_str())
                                .show_ui(ui, |ui| {
                                    for c in categories {
                                        ui.selectable_value(v, c.clone(), c);
                                    }
                                });
                        }
                        Encoding::Calendar => {
                            ui.label(tr("now"));
                        }
                    }
                    ui.end_row();
                }
            });
        // One row through the network: microseconds, fine on the UI thread.
        let now = jiff::Timestamp::now().as_microsecond();
        let table = model::one_row_table(p, &self.whatif_numbers, &self.whatif_texts, Some(now));
        match choice.model.predict(&table) {
            Ok(Predictions::Classes { labels, probs }) => {
                let mut pairs: Vec<(String, f64)> = labels.into_iter().zip(probs).collect();
                pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
                ui.horizontal_wrapped(|ui| {
                    ui.strong(tr("Prediction:"));
                    for (l, pr) in pairs.iter().take(5) {
                        ui.label(format!("{l} {:.1} %", pr * 100.0));
                    }
                });
            }
            Ok(Predictions::Values(v)) => {
                ui.strong(crate::trf!(
                    "Prediction: {} = {:.2}",
                    choice.model.target_column(),
                    v.first().copied().unwrap_or(f64::NAN)
                ));
            }
            Ok(Predictions::Forecasts { .. }) => {}
            Err(e) => {
                ui.colored_label(theme::BAD, e.to_string());
            }
        }
    }
}

/// Runs a model over a dataset (the core's [`apply`]): the predictions as
/// a new dataset, and what the view shows of them.
fn apply_and_review(
    model: &model::TabularModel,
    ds: &Dataset,
    label: &str,
    shown_label: String,
    rows_train: usize,
) -> Result<(Applied, Dataset), String> {
    let applied = apply::apply(model, ds, label).map_err(|e| e.to_string())?;
    let review =
        apply::review(model, ds, &applied.predictions, rows_train).map_err(|e| e.to_string())?;
    Ok((
        Applied {
            model_label: shown_label,
            dataset_name: ds.name.clone(),
            pairs: review.pairs,
            evaluation: review.evaluation.map(|e| e.map_err(|e| e.to_string())),
            forecasts: review.forecasts,
            history: review.history,
            tz: ds.time_zone.clone(),
        },
        applied.dataset,
    ))
}
