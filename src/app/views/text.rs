//! Text: citizen reports. Word vectors are trained on a report table's text
//! column (or loaded from a bundle or a word2vec file); a router learns the
//! departments from the labelled reports. Type or paste a report to see its
//! department with confidence and the alternatives, similar past reports and
//! keywords; explore words (neighbours and a 2-D PCA map of the vocabulary);
//! see which terms trend week by week. All of it is computed in background
//! jobs with progress and cancel.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use egui::RichText;
use egui_plot::{Legend, Line, Plot, Points};

use crate::app::theme;
use crate::app::widgets::{self, TimeAxis};
use crate::app::workspace::ViewCtx;
use crate::data::timeseries::{LocalClock, MICROS_PER_DAY};
use crate::data::{Dataset, Domain, Progress, Role};
use crate::jobs::{Job, JobProgress};
use crate::ml::evaluate::Evaluation;
use crate::text::route::{Router, train_router};
use crate::text::{self, Tokenizer, W2vParams, WordVectors, doc_vector};

/// Everything the view shows, built in one job.
struct Analysis {
    source: String,
    vectors: WordVectors,
    words_per_sec: Option<f64>,
    router: Option<(Router, Evaluation)>,
    /// The reports: text, department (if any), document vector.
    reports: Vec<(String, Option<String>)>,
    doc_vectors: Vec<f32>,
    idf: HashMap<String, f32>,
    /// Frequent words on their first two principal components.
    pca: Vec<(String, [f64; 2])>,
    /// Top terms: weekly counts (week start seconds, count).
    trends: Vec<(String, Vec<[f64; 2]>)>,
    tz: jiff::tz::TimeZone,
}

enum Source {
    Train {
        ds: Arc<Dataset>,
        column: String,
        params: W2vParams,
    },
    File(PathBuf),
}

/// The first two principal components of the rows (power iteration).
fn pca2(rows: &[&[f32]], dim: usize) -> Vec<[f64; 2]> {
    let n = rows.len().max(1) as f64;
    let mut mean = vec![0.0f64; dim];
    for r in rows {
        for (m, v) in mean.iter_mut().zip(r.iter()) {
            *m += f64::from(*v) / n;
        }
    }
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&mean)
                .map(|(v, m)| f64::from(*v) - m)
                .collect()
        })
        .collect();
    let mut comps: Vec<Vec<f64>> = Vec::new();
    for c in 0..2 {
        let mut v: Vec<f64> = (0..dim)
            .map(|i| if i % 2 == c { 1.0 } else { 0.5 })
            .collect();
        for _ in 0..50 {
            // w = Xᵀ X v, minus earlier components.
            let mut w = vec![0.0; dim];
            for r in &centred {
                let dot: f64 = r.iter().zip(&v).map(|(a, b)| a * b).sum();
                for (wi, ri) in w.iter_mut().zip(r) {
                    *wi += dot * ri;
                }
            }
            for p in &comps {
                let d: f64 = w.iter().zip(p).map(|(a, b)| a * b).sum();
                for (wi, pi) in w.iter_mut().zip(p) {
                    *wi -= d * pi;
                }
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
            v = w.into_iter().map(|x| x / norm).collect();
        }
        comps.push(v);
    }
    centred
        .iter()
        .map(|r| {
            let p = |c: &Vec<f64>| r.iter().zip(c).map(|(a, b)| a * b).sum::<f64>();
            [p(&comps[0]), p(&comps[1])]
        })
        .collect()
}

fn analyse(
    source: Source,
    reports_ds: Option<Arc<Dataset>>,
    p: &JobProgress,
) -> Result<Analysis, String> {
    let tok = Tokenizer::shared();
    let (vectors, words_per_sec, label) = match source {
        Source::Train { ds, column, params } => {
            let col = ds
                .table
                .column(&column)
                .ok_or_else(|| format!("no column '{column}'"))?;
            let docs: Vec<Vec<String>> = (0..col.len())
                .filter_map(|r| col.str_at(r))
                .map(|s| tok.tokenize(s))
                .filter(|t| !t.is_empty())
                .collect();
            let (v, stats) = text::train(&docs, &params, p).map_err(|e| e.to_string())?;
            (
                v,
                Some(stats.words_per_sec),
                format!("trained on {}.{column}", ds.name),
            )
        }
        Source::File(path) => {
            let v = crate::models::word_vectors::load_any(&path, p)?;
            (v, None, format!("loaded from {}", path.display()))
        }
    };
    let mut reports = Vec::new();
    let mut times = Vec::new();
    let mut tz = jiff::tz::TimeZone::UTC;
    if let Some(ds) = &reports_ds {
        tz = ds.time_zone.clone();
        let text_col = ds.column_for(Role::Text);
        let label_col = ds.category_column();
        let time_col = ds.time_column();
        if let Some(tc) = text_col {
            for r in 0..ds.table.n_rows() {
                if let Some(t) = tc.str_at(r) {
                    let l = label_col.and_then(|c| crate::ml::features::cell_key(c, r));
                    reports.push((t.to_owned(), l));
                    times.push(time_col.and_then(|c| c.timestamp_at(r)));
                }
            }
        }
    }
    p.report(0.9, "Document vectors");
    let docs: Vec<Vec<String>> = reports.iter().map(|(t, _)| tok.tokenize(t)).collect();
    let idf = text::idf(&docs);
    let mut doc_vectors = Vec::with_capacity(docs.len() * vectors.dim);
    for d in &docs {
        doc_vectors.extend(doc_vector(&vectors, d, Some(&idf)));
    }
    let labelled: Vec<(String, String)> = reports
        .iter()
        .filter_map(|(t, l)| Some((t.clone(), l.clone()?)))
        .collect();
    let router = if labelled.len() >= 20 {
        p.report(0.92, "Training the department router");
        let (texts, labels): (Vec<String>, Vec<String>) = labelled.into_iter().unzip();
        train_router(
            &vectors,
            &texts,
            &labels,
            &crate::ml::TrainConfig::default(),
            p,
        )
        .ok()
    } else {
        None
    };
    // PCA of the 300 most frequent words (the vocabulary is in frequency order).
    let top = vectors.len().min(300);
    let unit = vectors.normalized();
    let rows: Vec<&[f32]> = (0..top)
        .filter_map(|i| unit.get(i * vectors.dim..(i + 1) * vectors.dim))
        .collect();
    let pca = vectors
        .words
        .iter()
        .take(top)
        .cloned()
        .zip(pca2(&rows, vectors.dim))
        .collect();
    // Weekly counts of the five terms with the highest total tf-idf.
    let mut score: HashMap<&str, f32> = HashMap::new();
    for d in &docs {
        for (w, s) in text::top_keywords(d, &idf, 3) {
            if let Some(k) = d.iter().find(|x| **x == w) {
                *score.entry(k.as_str()).or_insert(0.0) += s;
            }
        }
    }
    let mut terms: Vec<(&str, f32)> = score.into_iter().collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let mut clock = LocalClock::new(&tz);
    let mut trends = Vec::new();
    for (term, _) in terms.into_iter().take(5) {
        let mut weeks: BTreeMap<i64, f64> = BTreeMap::new();
        for (d, t) in docs.iter().zip(&times) {
            if let Some(t) = t
                && d.iter().any(|w| w == term)
            {
                let day = clock.day_start(*t);
                let week = day - (clock.weekday(*t) as i64) * MICROS_PER_DAY;
                *weeks.entry(week).or_insert(0.0) += 1.0;
            }
        }
        trends.push((
            term.to_owned(),
            weeks
                .into_iter()
                .map(|(w, c)| [w as f64 / 1e6, c])
                .collect(),
        ));
    }
    Ok(Analysis {
        source: label,
        vectors,
        words_per_sec,
        router,
        reports,
        doc_vectors,
        idf,
        pca,
        trends,
        tz,
    })
}

pub struct TextView {
    job: Option<Job<Result<Analysis, String>>>,
    analysis: Option<Arc<Analysis>>,
    error: Option<String>,
    column: Option<String>,
    params: W2vParams,
    report: String,
    word: String,
    dialog: Option<Job<Option<PathBuf>>>,
}

impl Default for TextView {
    fn default() -> Self {
        Self {
            job: None,
            analysis: None,
            error: None,
            column: None,
            params: W2vParams {
                min_count: 2,
                epochs: 10,
                dim: 50,
                ..W2vParams::default()
            },
            report: "Streetlight out on Madison Street for three days".to_owned(),
            word: String::new(),
            dialog: None,
        }
    }
}

impl TextView {
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.dialog.is_some()
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let reports = ctx
            .ws
            .active_for(Domain::Reports)
            .map(|e| Arc::clone(&e.dataset));
        if let Some(j) = &mut self.job
            && let Some(r) = j.try_result()
        {
            self.job = None;
            match r {
                Ok(a) => {
                    self.word = a
                        .vectors
                        .words
                        .iter()
                        .find(|w| w.len() > 4)
                        .cloned()
                        .unwrap_or_default();
                    self.analysis = Some(Arc::new(a));
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
        let wake = {
            let c = ui.ctx().clone();
            Arc::new(move || c.request_repaint())
        };
        if let Some(j) = &mut self.dialog
            && let Some(picked) = j.try_result()
        {
            self.dialog = None;
            if let Some(path) = picked {
                let ds = reports.clone();
                self.job = Job::spawn("load vectors", wake.clone(), move |p| {
                    analyse(Source::File(path), ds, p)
                })
                .ok();
            }
        }
        ui.heading("Citizen reports");
        let Some(ds) = reports.clone() else {
            widgets::missing_ui(
                ui,
                "No citizen-report data is open: open a table with a text column and a department, or load the demo city.",
            );
            return;
        };
        let text_cols: Vec<String> = ds
            .table
            .columns
            .iter()
            .filter(|c| {
                matches!(
                    c.kind(),
                    crate::data::ColumnKind::Text | crate::data::ColumnKind::Categorical
                )
            })
            .map(|c| c.name.clone())
            .collect();
        let column = self
            .column
            .clone()
            .filter(|c| text_cols.contains(c))
            .or_else(|| ds.column_for(Role::Text).map(|c| c.name.clone()))
            .unwrap_or_default();
        ui.horizontal(|ui| {
            ui.label(format!("Word vectors from {} column", ds.name));
            let mut chosen = column.clone();
            let combo = egui::ComboBox::from_id_salt("text_column")
                .selected_text(&chosen)
                .show_ui(ui, |ui| {
                    for c in &text_cols {
                        ui.selectable_value(&mut chosen, c.clone(), c);
                    }
                });
            widgets::name_for_screen_readers(&combo.response, egui::Role::ComboBox, "Text column");
            self.column = Some(chosen);
            ui.selectable_value(&mut self.params.skip_gram, true, "skip-gram");
            ui.selectable_value(&mut self.params.skip_gram, false, "CBOW");
            ui.label("dimensions");
            ui.add(egui::DragValue::new(&mut self.params.dim).range(4..=600));
            ui.label("epochs");
            ui.add(egui::DragValue::new(&mut self.params.epochs).range(1..=100));
            ui.label("min count");
            ui.add(egui::DragValue::new(&mut self.params.min_count).range(1..=1000));
            if ui
                .add_enabled(
                    self.job.is_none() && !column.is_empty(),
                    egui::Button::new("Train word vectors"),
                )
                .clicked()
            {
                let mut params = self.params.clone();
                params.alpha = if params.skip_gram { 0.025 } else { 0.05 };
                let src = Source::Train {
                    ds: Arc::clone(&ds),
                    column: column.clone(),
                    params,
                };
                let rep = Some(Arc::clone(&ds));
                self.job = Job::spawn("word2vec", wake.clone(), move |p| analyse(src, rep, p)).ok();
            }
            if ui
                .add_enabled(
                    self.job.is_none() && self.dialog.is_none(),
                    egui::Button::new("Load word vectors…"),
                )
                .clicked()
            {
                self.dialog = Job::spawn("vectors dialog", wake.clone(), |_| {
                    rfd::FileDialog::new()
                        .set_title("Open word vectors")
                        .add_filter("Word vectors", &["json", "txt", "vec", "bin"])
                        .pick_file()
                })
                .ok();
            }
        });
        if let Some(j) = &self.job {
            let (f, msg) = j.progress();
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(f)
                        .desired_width(360.0)
                        .text(msg)
                        .animate(true),
                );
                if ui.button("Cancel").clicked() {
                    j.cancel();
                }
            });
        }
        if let Some(e) = &self.error {
            ui.colored_label(theme::BAD, e);
        }
        let Some(a) = self.analysis.clone() else {
            widgets::missing_ui(
                ui,
                "Train word vectors on the reports (a few seconds for the demo) or load a word2vec file to analyse reports.",
            );
            return;
        };
        ui.label(
            RichText::new(format!(
                "{} words × {} dimensions, {}{}",
                a.vectors.len(),
                a.vectors.dim,
                a.source,
                a.words_per_sec
                    .map(|w| format!(", {w:.0} words/s"))
                    .unwrap_or_default()
            ))
            .color(theme::MUTED),
        );

        ui.separator();
        ui.strong("A report");
        let r = ui.add(
            egui::TextEdit::multiline(&mut self.report)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        );
        widgets::name_for_screen_readers(&r, egui::Role::MultilineTextInput, "Report text");
        let tokens = Tokenizer::shared().tokenize(&self.report);
        // One short report through the router: microseconds.
        if let Some((router, eval)) = &a.router
            && let Ok(routed) = router.route(&a.vectors, std::slice::from_ref(&self.report))
            && let Some(first) = routed.first()
        {
            ui.horizontal_wrapped(|ui| {
                if let Some((dept, p)) = first.first() {
                    ui.strong(format!("Department: {dept} ({:.0} %)", p * 100.0));
                }
                let alts: Vec<String> = first
                    .iter()
                    .skip(1)
                    .take(3)
                    .map(|(d, p)| format!("{d} {:.0} %", p * 100.0))
                    .collect();
                ui.label(format!("alternatives: {}", alts.join(", ")));
            });
            ui.label(
                RichText::new(format!(
                    "router accuracy on held-out reports {:.1} % (majority department {:.1} %)",
                    eval.metrics.get("accuracy").unwrap_or(0.0) * 100.0,
                    eval.baseline.get("accuracy").unwrap_or(0.0) * 100.0
                ))
                .color(theme::MUTED),
            );
        }
        let kw = text::top_keywords(&tokens, &a.idf, 6);
        ui.label(format!(
            "Keywords: {}",
            kw.iter()
                .map(|(w, _)| w.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let q = doc_vector(&a.vectors, &tokens, Some(&a.idf));
        let dim = a.vectors.dim.max(1);
        let mut sims: Vec<(f32, usize)> = a
            .doc_vectors
            .chunks(dim)
            .enumerate()
            .map(|(i, d)| (d.iter().zip(&q).map(|(x, y)| x * y).sum::<f32>(), i))
            .collect();
        sims.sort_by(|x, y| y.0.total_cmp(&x.0));
        ui.strong("Similar past reports");
        egui::Grid::new("similar_reports")
            .striped(true)
            .num_columns(3)
            .show(ui, |ui| {
                for (s, i) in sims.iter().take(5) {
                    if let Some((t, l)) = a.reports.get(*i) {
                        ui.label(format!("{s:.2}"));
                        ui.label(l.as_deref().unwrap_or("–"));
                        ui.label(t);
                        ui.end_row();
                    }
                }
            });

        ui.separator();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(300.0);
                ui.strong("Word explorer");
                let r = ui.add(egui::TextEdit::singleline(&mut self.word).desired_width(200.0));
                widgets::name_for_screen_readers(&r, egui::Role::TextInput, "Word");
                match text::nearest(&a.vectors, self.word.trim(), 10) {
                    Ok(near) => {
                        for (w, s) in near {
                            ui.label(format!("{s:.3}  {w}"));
                        }
                    }
                    Err(e) => {
                        ui.colored_label(theme::MUTED, e.to_string());
                    }
                }
            });
            ui.vertical(|ui| {
                ui.strong("The 300 most frequent words on their first two principal components");
                let pts: Vec<[f64; 2]> = a.pca.iter().map(|(_, p)| *p).collect();
                let names: Vec<String> = a.pca.iter().map(|(w, _)| w.clone()).collect();
                let highlight: Vec<[f64; 2]> = a
                    .pca
                    .iter()
                    .filter(|(w, _)| *w == self.word.trim())
                    .map(|(_, p)| *p)
                    .collect();
                Plot::new("word_pca")
                    .height(320.0)
                    .data_aspect(1.0)
                    .label_formatter(move |pos| match pos {
                        egui_plot::HoverPosition::NearDataPoint { index, .. } => {
                            names.get(*index).cloned()
                        }
                        egui_plot::HoverPosition::Elsewhere { .. } => None,
                    })
                    .show(ui, |p| {
                        p.points(
                            Points::new("words", pts)
                                .radius(2.5)
                                .color(theme::series_color(0)),
                        );
                        p.points(
                            Points::new("selected", highlight)
                                .radius(6.0)
                                .color(theme::series_color(5)),
                        );
                    });
            });
        });
        ui.strong("Trending terms: reports per week mentioning each");
        let axis = TimeAxis::new(a.tz.clone());
        axis.apply(
            Plot::new("text_trends")
                .height(220.0)
                .legend(Legend::default()),
            "reports",
        )
        .show(ui, |p| {
            for (i, (term, pts)) in a.trends.iter().enumerate() {
                p.line(
                    Line::new(term.clone(), pts.clone())
                        .color(theme::series_color(i))
                        .width(2.0),
                );
            }
        });
    }
}
