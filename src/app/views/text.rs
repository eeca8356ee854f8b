//! Text: citizen reports. Reports become vectors through word vectors —
//! trained on a report table's text column or a plain-text corpus file, or
//! loaded from a bundle or a word2vec file — or through a remote
//! OpenAI-compatible embeddings endpoint; a router learns the departments
//! from the labelled reports on those vectors. Type or paste a report to see its
//! department with confidence and the alternatives, similar past reports and
//! keywords; explore words (neighbours and a 2-D PCA map of the vocabulary);
//! see which terms trend week by week. All of it is computed in background
//! jobs with progress and cancel; the analysis itself is the core's
//! [`reports::analyse`], the same as `cityops text classify`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use egui::RichText;
use egui_plot::{Legend, Line, Plot, Points};

use crate::app::i18n::{self, Lang, tr};
use crate::app::state::ViewCtx;
use crate::app::theme;
use crate::app::widgets::{self, TimeAxis};
use crate::data::{Dataset, Domain, Progress, Role};
use crate::jobs::{Job, JobProgress};
use crate::models::encoder::ReportEncoder;
use crate::models::remote::EmbeddingsClient;
use crate::text::reports::{self, Query, Reports};
use crate::text::sentence::SentenceEncoder;
use crate::text::{self, Tokenizer, W2vParams, WordVectors};

/// Everything the view shows, built in one job: the core's analysis and
/// where its vectors came from.
struct Analysis {
    source: SourceLabel,
    words_per_sec: Option<f64>,
    core: reports::Analysis<ReportEncoder>,
}

enum Source {
    Train {
        ds: Arc<Dataset>,
        column: String,
        params: W2vParams,
    },
    /// A plain-text corpus file, one document per line.
    Corpus {
        path: PathBuf,
        params: W2vParams,
    },
    /// Word vectors to load, keeping at most this many words.
    File(PathBuf, Option<usize>),
    Remote(EmbeddingsClient),
    /// A sentence-encoder folder (Hugging Face layout) and the cache folder.
    Sentence(PathBuf, Option<PathBuf>),
}

/// Where the vectors came from, shown in the language of the moment.
enum SourceLabel {
    /// Trained on a text column or a corpus file (named).
    Trained(String),
    /// Loaded from a file or folder.
    Loaded(String),
    /// A remote embeddings endpoint: model and address.
    Remote(String, String),
}

impl SourceLabel {
    fn describe(&self) -> String {
        match self {
            Self::Trained(what) => crate::trf!("trained on {}", what),
            Self::Loaded(what) => crate::trf!("loaded from {}", what),
            Self::Remote(model, url) => crate::trf!("remote embeddings '{}' at {}", model, url),
        }
    }
}

/// How the reports are encoded, for people (as
/// [`ReportEncoder::describe`], in the language of the moment).
fn describe_encoder(encoder: &ReportEncoder) -> String {
    match encoder {
        ReportEncoder::Words { vectors, .. } => crate::trf!(
            "word vectors ({} words × {} dimensions)",
            vectors.len(),
            vectors.dim
        ),
        ReportEncoder::Remote(c) => {
            crate::trf!("remote embeddings '{}' at {}", c.model(), c.base_url())
        }
        ReportEncoder::Sentence { encoder, .. } => crate::trf!(
            "the sentence encoder {} ({} layers, {} dimensions)",
            encoder.name(),
            encoder.layers(),
            encoder.dim()
        ),
    }
}

/// Routes one report and finds the most similar past reports.
fn query(a: &Analysis, text: &str, p: &dyn Progress) -> Result<Query, String> {
    a.core.query(text, p).map_err(|e| e.to_string())
}

/// Builds the analysis in a background job; `lang` is the language of the
/// progress messages and errors it reports. Where the vectors come from is
/// the view's choice; the rest is [`reports::analyse`].
fn analyse(
    source: Source,
    reports_ds: Option<Arc<Dataset>>,
    lang: Lang,
    p: &JobProgress,
) -> Result<Analysis, String> {
    i18n::set(lang);
    let tok = Tokenizer::shared();
    let trained = |docs: Vec<Vec<String>>, params: &W2vParams, label: SourceLabel| {
        text::train(&docs, params, p)
            .map(|(v, stats)| (Some(v), Some(stats.words_per_sec), label))
            .map_err(|e| e.to_string())
    };
    let (vectors, words_per_sec, label, remote) = match source {
        Source::Train { ds, column, params } => {
            let col = ds
                .table
                .column(&column)
                .ok_or_else(|| crate::trf!("no column '{}'", column))?;
            let docs: Vec<Vec<String>> = (0..col.len())
                .filter_map(|r| col.str_at(r))
                .map(|s| tok.tokenize(s))
                .filter(|t| !t.is_empty())
                .collect();
            let (v, w, l) = trained(
                docs,
                &params,
                SourceLabel::Trained(format!("{}.{column}", ds.name)),
            )?;
            (v, w, l, None)
        }
        Source::Corpus { path, params } => {
            let docs = text::read_corpus(&path, p).map_err(|e| e.to_string())?;
            let (v, w, l) = trained(
                docs,
                &params,
                SourceLabel::Trained(path.display().to_string()),
            )?;
            (v, w, l, None)
        }
        Source::File(path, max_words) => {
            let v = crate::models::word_vectors::load_any(&path, max_words, p)
                .map_err(|e| e.to_string())?;
            (
                Some(v),
                None,
                SourceLabel::Loaded(path.display().to_string()),
                None,
            )
        }
        Source::Remote(client) => {
            let label =
                SourceLabel::Remote(client.model().to_owned(), client.base_url().to_owned());
            (None, None, label, Some(ReportEncoder::Remote(client)))
        }
        Source::Sentence(folder, cache) => {
            p.report(0.0, &crate::trf!("Loading {}", folder.display()));
            let enc = SentenceEncoder::load(&folder).map_err(|e| e.to_string())?;
            let label = SourceLabel::Loaded(folder.display().to_string());
            (
                None,
                None,
                label,
                Some(ReportEncoder::sentence(Arc::new(enc), cache.as_deref())),
            )
        }
    };
    p.report(0.9, tr("Document vectors"));
    let reports = match &reports_ds {
        Some(ds) => Reports::from_dataset(ds, None, None).map_err(|e| e.to_string())?,
        None => Reports::new(Vec::new(), jiff::tz::TimeZone::UTC),
    };
    let vectors = vectors.map(Arc::new);
    let encoder = match (remote, &vectors) {
        (Some(encoder), _) => encoder,
        (None, Some(v)) => ReportEncoder::Words {
            vectors: Arc::clone(v),
            idf: Arc::clone(&reports.idf),
        },
        (None, None) => return Err(tr("no word vectors and no embeddings endpoint").to_owned()),
    };
    let input = reports::Input {
        reports,
        encoder,
        vectors,
        overview: true,
    };
    let core = reports::analyse(input, p).map_err(|e| e.to_string())?;
    Ok(Analysis {
        source: label,
        words_per_sec,
        core,
    })
}

/// What a file dialog is picking.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// Word vectors to load.
    Vectors,
    /// A plain-text corpus to train on.
    Corpus,
    /// A sentence-encoder folder.
    SentenceFolder,
}

/// How reports become vectors.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Words,
    Sentence,
    Remote,
}

pub struct TextView {
    job: Option<Job<Result<Analysis, String>>>,
    analysis: Option<Arc<Analysis>>,
    error: Option<String>,
    column: Option<String>,
    params: W2vParams,
    report: String,
    word: String,
    dialog: Option<(Pick, Job<Option<PathBuf>>)>,
    /// Encode reports with a remote endpoint instead of word vectors.
    mode: Mode,
    /// The sentence-encoder folder typed or chosen.
    sentence_folder: String,
    /// Keep at most this many words of a loaded word2vec file (0: all).
    max_words: usize,
    remote_url: String,
    remote_model: String,
    remote_token: String,
    /// The typed report's routing and similar reports, and the job that
    /// computes them when the encoder is remote.
    query: Option<Result<Query, String>>,
    query_job: Option<Job<Result<Query, String>>>,
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
            mode: Mode::Words,
            max_words: 0,
            sentence_folder: std::env::var("CITYOPS_MINILM").unwrap_or_default(),
            remote_url: String::new(),
            remote_model: String::new(),
            remote_token: String::new(),
            query: None,
            query_job: None,
        }
    }
}

impl TextView {
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.dialog.is_some() || self.query_job.is_some()
    }

    /// The form's word2vec parameters, checked by the core's one rule.
    fn train_params(&self) -> Result<W2vParams, String> {
        let mut params = self.params.clone();
        params.alpha = if params.skip_gram { 0.025 } else { 0.05 };
        params.validate().map_err(|e| e.to_string())?;
        Ok(params)
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
                        .core
                        .vectors
                        .as_ref()
                        .and_then(|v| v.words.iter().find(|w| w.len() > 4).cloned())
                        .unwrap_or_default();
                    self.analysis = Some(Arc::new(a));
                    self.query = None;
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
        let wake: crate::jobs::Wake = {
            let c = ui.ctx().clone();
            Arc::new(move || c.request_repaint())
        };
        if let Some((pick, j)) = &mut self.dialog
            && let Some(picked) = j.try_result()
        {
            let pick = *pick;
            self.dialog = None;
            if let Some(path) = picked {
                let ds = reports.clone();
                let src = match pick {
                    Pick::Vectors => Some(Source::File(
                        path,
                        (self.max_words > 0).then_some(self.max_words),
                    )),
                    Pick::Corpus => match self.train_params() {
                        Ok(params) => Some(Source::Corpus { path, params }),
                        Err(e) => {
                            self.error = Some(e);
                            None
                        }
                    },
                    Pick::SentenceFolder => {
                        // Chosen only; encoding starts with the button.
                        self.sentence_folder = path.display().to_string();
                        None
                    }
                };
                if let Some(src) = src {
                    let lang = i18n::current();
                    match widgets::start_job("text model", wake.clone(), move |p| {
                        analyse(src, ds, lang, p)
                    }) {
                        Ok(j) => self.job = Some(j),
                        Err(e) => self.error = Some(e),
                    }
                }
            }
        }
        ui.heading(tr("Citizen reports"));
        let Some(ds) = reports.clone() else {
            widgets::missing_ui(
                ui,
                tr(
                    "No citizen-report data is open: open a table with a text column and a department, or load the demo city.",
                ),
            );
            return;
        };
        ui.horizontal(|ui| {
            ui.strong(tr("Reports become vectors with"));
            ui.selectable_value(&mut self.mode, Mode::Words, tr("Word vectors"));
            ui.selectable_value(&mut self.mode, Mode::Sentence, tr("Sentence encoder"));
            ui.selectable_value(&mut self.mode, Mode::Remote, tr("Remote embeddings"));
        });
        let idle = self.job.is_none() && self.dialog.is_none();
        match self.mode {
            Mode::Words => self.words_form_ui(ui, &ds, idle, &wake),
            Mode::Sentence => self.sentence_form_ui(ui, &ctx.ws.cache_dir, &ds, idle, &wake),
            Mode::Remote => self.remote_form_ui(ui, &ds, idle, &wake),
        }
        if let Some(j) = &self.job {
            widgets::job_progress_ui(ui, j, tr("Cancel"));
        }
        if let Some(e) = &self.error {
            ui.colored_label(theme::BAD, e);
        }
        let Some(a) = self.analysis.clone() else {
            widgets::missing_ui(
                ui,
                match self.mode {
                    Mode::Words => tr(
                        "Train word vectors on the reports (a few seconds for the demo), on a text file, or load a word2vec file to analyse reports.",
                    ),
                    Mode::Sentence => tr(
                        "Choose a sentence-encoder folder (config.json, tokenizer.json, model.safetensors — all-MiniLM-L6-v2, for example) and encode the reports; it runs on this computer.",
                    ),
                    Mode::Remote => tr(
                        "Give the address and model name of an OpenAI-compatible embeddings endpoint and embed the reports there.",
                    ),
                },
            );
            return;
        };
        ui.label(
            RichText::new(match a.words_per_sec {
                Some(w) => crate::trf!(
                    "Reports encoded with {}, {}, {:.0} words/s",
                    describe_encoder(&a.core.encoder),
                    a.source.describe(),
                    w
                ),
                None => crate::trf!(
                    "Reports encoded with {}, {}",
                    describe_encoder(&a.core.encoder),
                    a.source.describe()
                ),
            })
            .color(theme::MUTED),
        );

        ui.separator();
        ui.strong(tr("A report"));
        let r = ui.add(
            egui::TextEdit::multiline(&mut self.report)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        );
        widgets::name_for_screen_readers(&r, egui::Role::MultilineTextInput, tr("Report text"));
        if r.changed() && matches!(self.query, Some(Err(_))) {
            self.query = None;
        }
        self.refresh_query(&a, &wake);
        let tokens = Tokenizer::shared().tokenize(&self.report);
        if self.query_job.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr("Encoding the report…"));
            });
        }
        match &self.query {
            Some(Err(e)) => {
                ui.colored_label(theme::BAD, e);
            }
            Some(Ok(q)) => {
                if let (Ok((_, eval)), Some((dept, p))) = (&a.core.router, q.routed.first()) {
                    ui.horizontal_wrapped(|ui| {
                        ui.strong(crate::trf!("Department: {} ({:.0} %)", dept, p * 100.0));
                        let alts: Vec<String> = q
                            .routed
                            .iter()
                            .skip(1)
                            .take(3)
                            .map(|(d, p)| format!("{d} {:.0} %", p * 100.0))
                            .collect();
                        ui.label(crate::trf!("alternatives: {}", alts.join(", ")));
                    });
                    ui.label(
                        RichText::new(crate::trf!(
                            "router accuracy on held-out reports {:.1} % (majority department {:.1} %)",
                            eval.metrics.get("accuracy").unwrap_or(0.0) * 100.0,
                            eval.baseline.get("accuracy").unwrap_or(0.0) * 100.0
                        ))
                        .color(theme::MUTED),
                    );
                }
            }
            None => {}
        }
        if let Err(e) = &a.core.router {
            ui.colored_label(theme::MUTED, crate::trf!("No department router: {}", e));
        }
        let kw = text::top_keywords(&tokens, &a.core.reports.idf, 6);
        ui.label(crate::trf!(
            "Keywords: {}",
            kw.iter()
                .map(|(w, _)| w.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        ui.strong(tr("Similar past reports"));
        if let Some(Ok(q)) = &self.query {
            egui::Grid::new("similar_reports")
                .striped(true)
                .num_columns(3)
                .show(ui, |ui| {
                    for (s, i) in &q.similar {
                        if let Some(r) = a.core.reports.items.get(*i) {
                            ui.label(format!("{s:.2}"));
                            ui.label(r.department.as_deref().unwrap_or("–"));
                            ui.label(&r.text);
                            ui.end_row();
                        }
                    }
                });
        }

        topics_ui(ctx, ui, &a);
        if let Some(vectors) = &a.core.vectors {
            self.words_ui(ctx, ui, &a, vectors);
        }
        ui.strong(tr("Trending terms: reports per week mentioning each"));
        let axis = TimeAxis::new(a.core.reports.tz.clone());
        let plot_shown = ui.scope(|ui| {
            axis.apply(
                Plot::new("text_trends")
                    .height(220.0)
                    .legend(Legend::default()),
                tr("reports"),
            )
            .show(ui, |p| {
                for (i, (term, pts)) in a.core.overview.trends.iter().enumerate() {
                    p.line(
                        Line::new(term.clone(), pts.clone())
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
            "report_trends",
        );
        if !a.core.overview.weekly_keywords.is_empty() {
            egui::CollapsingHeader::new(tr("Keywords week by week"))
                .id_salt("text_weekly_keywords")
                .default_open(true)
                .show(ui, |ui| {
                    egui::Grid::new("weekly_keywords")
                        .striped(true)
                        .num_columns(3)
                        .show(ui, |ui| {
                            for h in [tr("Week of"), tr("Reports"), tr("Top terms")] {
                                ui.label(egui::RichText::new(h).strong());
                            }
                            ui.end_row();
                            for (week, n, terms) in &a.core.overview.weekly_keywords {
                                ui.label(widgets::format_instant(
                                    *week,
                                    &a.core.reports.tz,
                                    "%a %b %d",
                                ));
                                ui.label(crate::app::i18n::count(*n));
                                ui.label(terms.join(" · "));
                                ui.end_row();
                            }
                        });
                });
        }
    }

    /// Recomputes the typed report's answer when its text changed: at once
    /// for word vectors (microseconds), in a background call for a remote
    /// endpoint (a newer text waits for the call under way).
    fn refresh_query(&mut self, a: &Arc<Analysis>, wake: &crate::jobs::Wake) {
        if let Some(j) = &mut self.query_job
            && let Some(r) = j.try_result()
        {
            self.query_job = None;
            self.query = Some(r);
        }
        let stale = match &self.query {
            Some(Ok(q)) => q.text != self.report,
            // A failed remote call is not retried on every frame; a new
            // text or a new analysis tries again.
            Some(Err(_)) => false,
            None => true,
        };
        if !stale || self.query_job.is_some() {
            return;
        }
        if a.core.encoder.runs_in_background() {
            let (a, text) = (Arc::clone(a), self.report.clone());
            match widgets::start_job("encode report", wake.clone(), move |p| query(&a, &text, p)) {
                Ok(j) => self.query_job = Some(j),
                Err(e) => self.query = Some(Err(e)),
            }
        } else {
            self.query = Some(query(a, &self.report, &()));
        }
    }

    fn words_form_ui(
        &mut self,
        ui: &mut egui::Ui,
        ds: &Arc<Dataset>,
        idle: bool,
        wake: &crate::jobs::Wake,
    ) {
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
        ui.horizontal_wrapped(|ui| {
            ui.label(crate::trf!("Word vectors from {} column", ds.name));
            let mut chosen = column.clone();
            let combo = egui::ComboBox::from_id_salt("text_column")
                .selected_text(&chosen)
                .show_ui(ui, |ui| {
                    for c in &text_cols {
                        ui.selectable_value(&mut chosen, c.clone(), c);
                    }
                });
            widgets::name_for_screen_readers(&combo.response, egui::Role::ComboBox, tr("Text column"));
            self.column = Some(chosen);
            ui.selectable_value(&mut self.params.skip_gram, true, "skip-gram");
            ui.selectable_value(&mut self.params.skip_gram, false, "CBOW");
            ui.label(tr("dimensions"));
            let r = ui.add(egui::DragValue::new(&mut self.params.dim).range(4..=600));
            widgets::name_for_screen_readers(&r, egui::Role::SpinButton, tr("Dimensions"));
            ui.label(tr("epochs"));
            let r = ui.add(egui::DragValue::new(&mut self.params.epochs).range(1..=100));
            widgets::name_for_screen_readers(&r, egui::Role::SpinButton, tr("Epochs"));
            ui.label(tr("min count"));
            let r = ui.add(egui::DragValue::new(&mut self.params.min_count).range(1..=1000));
            widgets::name_for_screen_readers(&r, egui::Role::SpinButton, tr("Min count"));
            if ui
                .add_enabled(
                    idle && !column.is_empty(),
                    egui::Button::new(tr("Train word vectors")),
                )
                .clicked()
            {
                let started = self.train_params().and_then(|params| {
                    let src = Source::Train {
                        ds: Arc::clone(ds),
                        column: column.clone(),
                        params,
                    };
                    let rep = Some(Arc::clone(ds));
                    let lang = i18n::current();
                    widgets::start_job("word2vec", wake.clone(), move |p| {
                        analyse(src, rep, lang, p)
                    })
                });
                match started {
                    Ok(j) => {
                        self.job = Some(j);
                        self.error = None;
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            ui.label(tr("load at most"));
            let r = ui
                .add(
                    egui::DragValue::new(&mut self.max_words)
                        .range(0..=10_000_000)
                        .speed(1000.0)
                        .custom_formatter(|n, _| {
                            if n == 0.0 {
                                tr("all").to_owned()
                            } else {
                                format!("{n:.0}")
                            }
                        }),
                )
                .on_hover_text(tr(
                    "Keep only the most frequent words of a huge word2vec file (0: all)",
                ));
            widgets::name_for_screen_readers(&r, egui::Role::SpinButton, tr("Words to load"));
            for (pick, label, hover) in [
                (
                    Pick::Corpus,
                    tr("Train on a text file…"),
                    tr("A plain-text corpus, one document per line (UTF-8)"),
                ),
                (
                    Pick::Vectors,
                    tr("Load word vectors…"),
                    tr(
                        "A cityops bundle (.json) or a word2vec text (.txt, .vec) or binary (.bin) file",
                    ),
                ),
            ] {
                if ui
                    .add_enabled(idle, egui::Button::new(label))
                    .on_hover_text(hover)
                    .clicked()
                {
                    // The dialog runs on the job's thread: its texts are
                    // translated here.
                    let (title, filter) = match pick {
                        Pick::Corpus => (tr("Open a text corpus"), tr("Text")),
                        Pick::Vectors => (tr("Open word vectors"), tr("Word vectors")),
                        Pick::SentenceFolder => (tr("Choose a sentence-encoder folder"), ""),
                    };
                    let job = widgets::start_job("text dialog", wake.clone(), move |_| {
                        let d = rfd::FileDialog::new().set_title(title);
                        match pick {
                            Pick::Corpus => d.add_filter(filter, &["txt"]).pick_file(),
                            Pick::Vectors => d
                                .add_filter(filter, &["json", "txt", "vec", "bin"])
                                .pick_file(),
                            Pick::SentenceFolder => d.pick_folder(),
                        }
                    });
                    match job {
                        Ok(j) => self.dialog = Some((pick, j)),
                        Err(e) => self.error = Some(e),
                    }
                }
            }
        });
    }

    fn sentence_form_ui(
        &mut self,
        ui: &mut egui::Ui,
        cache_dir: &Option<PathBuf>,
        ds: &Arc<Dataset>,
        idle: bool,
        wake: &crate::jobs::Wake,
    ) {
        ui.horizontal_wrapped(|ui| {
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.sentence_folder)
                    .desired_width(420.0)
                    .hint_text(tr("folder with config.json, tokenizer.json, model.safetensors")),
            );
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Sentence encoder folder"));
            if ui
                .add_enabled(idle, egui::Button::new(tr("Choose folder…")))
                .on_hover_text(tr("An all-MiniLM-L6-v2-style folder in the Hugging Face layout"))
                .clicked()
            {
                let title = tr("Choose a sentence-encoder folder");
                let job = widgets::start_job("folder dialog", wake.clone(), move |_| {
                    rfd::FileDialog::new().set_title(title).pick_folder()
                });
                match job {
                    Ok(j) => self.dialog = Some((Pick::SentenceFolder, j)),
                    Err(e) => self.error = Some(e),
                }
            }
            if ui
                .add_enabled(
                    idle && !self.sentence_folder.trim().is_empty(),
                    egui::Button::new(tr("Encode reports")),
                )
                .on_hover_text(tr(
                    "Runs the encoder on every report on this computer (no network); encoded reports are cached",
                ))
                .clicked()
            {
                let folder = PathBuf::from(self.sentence_folder.trim());
                let cache = cache_dir.clone();
                let rep = Some(Arc::clone(ds));
                self.error = None;
                let lang = i18n::current();
                match widgets::start_job("sentence encoder", wake.clone(), move |p| {
                    analyse(Source::Sentence(folder, cache), rep, lang, p)
                }) {
                    Ok(j) => self.job = Some(j),
                    Err(e) => self.error = Some(e),
                }
            }
        });
    }

    fn remote_form_ui(
        &mut self,
        ui: &mut egui::Ui,
        ds: &Arc<Dataset>,
        idle: bool,
        wake: &crate::jobs::Wake,
    ) {
        ui.horizontal_wrapped(|ui| {
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.remote_url)
                    .desired_width(280.0)
                    .hint_text(tr("http://127.0.0.1:8080 (OpenAI-compatible)")),
            );
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Embeddings URL"));
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.remote_model)
                    .desired_width(180.0)
                    .hint_text(tr("model name")),
            );
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Embedding model"));
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.remote_token)
                    .desired_width(140.0)
                    .password(true)
                    .hint_text(tr("token (optional)")),
            );
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Embeddings token"));
            let ready = !self.remote_url.trim().is_empty() && !self.remote_model.trim().is_empty();
            if ui
                .add_enabled(idle && ready, egui::Button::new(tr("Embed reports remotely")))
                .on_hover_text(tr(
                    "Sends every report's text to the endpoint (POST /v1/embeddings) in batches of 64",
                ))
                .clicked()
            {
                let token = Some(self.remote_token.trim().to_owned()).filter(|t| !t.is_empty());
                match EmbeddingsClient::new(
                    self.remote_url.trim(),
                    self.remote_model.trim().to_owned(),
                    token,
                ) {
                    Ok(client) => {
                        let rep = Some(Arc::clone(ds));
                        self.error = None;
                        let lang = i18n::current();
                        match widgets::start_job("embeddings", wake.clone(), move |p| {
                            analyse(Source::Remote(client), rep, lang, p)
                        }) {
                            Ok(j) => self.job = Some(j),
                            Err(e) => self.error = Some(e),
                        }
                    }
                    Err(e) => self.error = Some(e.to_string()),
                }
            }
        });
    }

    fn words_ui(
        &mut self,
        ctx: &ViewCtx<'_>,
        ui: &mut egui::Ui,
        a: &Analysis,
        vectors: &WordVectors,
    ) {
        ui.separator();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(300.0);
                ui.strong(tr("Word explorer"));
                let r = ui.add(egui::TextEdit::singleline(&mut self.word).desired_width(200.0));
                widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Word"));
                match text::nearest(vectors, self.word.trim(), 10) {
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
                ui.strong(tr(
                    "The 300 most frequent words on their first two principal components",
                ));
                let word_map = &a.core.overview.word_map;
                let pts: Vec<[f64; 2]> = word_map.iter().map(|(_, p)| *p).collect();
                let names: Vec<String> = word_map.iter().map(|(w, _)| w.clone()).collect();
                let highlight: Vec<[f64; 2]> = word_map
                    .iter()
                    .filter(|(w, _)| *w == self.word.trim())
                    .map(|(_, p)| *p)
                    .collect();
                let plot_shown = ui.scope(|ui| {
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
                                Points::new(tr("words"), pts)
                                    .radius(2.5)
                                    .color(theme::series_color(0)),
                            );
                            p.points(
                                Points::new(tr("selected"), highlight)
                                    .radius(6.0)
                                    .color(theme::series_color(5)),
                            );
                        })
                });
                crate::app::png_export::context_menu(
                    ctx,
                    &plot_shown.inner.response,
                    plot_shown.response.rect,
                    "word_map",
                );
            });
        });
    }
}

/// The reports on the plane of their vectors' first two principal
/// components, one colour per topic; hovering a point shows its report.
fn topics_ui(ctx: &ViewCtx<'_>, ui: &mut egui::Ui, a: &Analysis) {
    let o = &a.core.overview;
    if o.topics.is_empty() {
        return;
    }
    ui.strong(crate::trf!(
        "Topics: the reports in {} groups, on the first two principal components of their vectors",
        o.topics.len()
    ));
    let names: Vec<String> = o
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{}. {} ({})", i + 1, t.words.join(", "), t.members.len()))
        .collect();
    let mut series: Vec<(Vec<[f64; 2]>, Vec<usize>)> = vec![(Vec::new(), Vec::new()); names.len()];
    for (i, p) in &o.report_points {
        if let Some((pts, rows)) = o.topic_of.get(*i).and_then(|t| series.get_mut(*t)) {
            pts.push(*p);
            rows.push(*i);
        }
    }
    let lookup: HashMap<String, Vec<usize>> = names
        .iter()
        .cloned()
        .zip(series.iter().map(|(_, r)| r.clone()))
        .collect();
    let texts: Vec<String> = a.core.reports.texts();
    let plot_shown = ui.scope(|ui| {
        Plot::new("report_topics")
            .height(320.0)
            .legend(Legend::default().position(egui_plot::Corner::LeftTop))
            .show_axes([false, false])
            .label_formatter(move |pos| match pos {
                egui_plot::HoverPosition::NearDataPoint {
                    plot_name, index, ..
                } => lookup
                    .get(*plot_name)
                    .and_then(|rows| rows.get(*index))
                    .and_then(|r| texts.get(*r))
                    .map(|t| format!("{plot_name}\n{t}")),
                egui_plot::HoverPosition::Elsewhere { .. } => None,
            })
            .show(ui, |p| {
                for (i, ((pts, _), name)) in series.into_iter().zip(&names).enumerate() {
                    p.points(
                        Points::new(name.clone(), pts)
                            .radius(2.5)
                            .color(theme::series_color(i)),
                    );
                }
            })
    });
    crate::app::png_export::context_menu(
        ctx,
        &plot_shown.inner.response,
        plot_shown.response.rect,
        "report_topics",
    );
}
