//! Models: the local models folder (every card, with its metrics next to
//! the baseline's, where it came from, import and remove), downloads from a
//! URL with progress and cancel, and remote V2 servers (health and their
//! models' inputs and outputs, run on an open table; a connected server's
//! models are offered in the Predict and Recommend views too). Scanning, copying, downloading and talking
//! to servers run as background jobs.

use std::path::{Path, PathBuf};

use egui::RichText;

use crate::app::i18n::{self, tr};
use crate::app::state::{Command, RemoteServer, ViewCtx};
use crate::app::theme;
use crate::app::widgets;
use crate::app::widgets::wake;
use crate::jobs::Job;
use crate::models::fetch::{self, FetchOptions};
use crate::models::registry::{self, Details, RegistryError};
use crate::models::remote::{ModelMetadata, V2Client};
use crate::trf;

/// One local model as listed.
struct Listed {
    name: String,
    kind: String,
    summary: Result<String, String>,
    bytes: u64,
}

struct RemoteState {
    live: bool,
    ready: bool,
    models: Vec<ModelMetadata>,
}

#[derive(Default)]
pub struct ModelsView {
    scan: Option<Job<Vec<Listed>>>,
    listed: Vec<Listed>,
    scanned_dir: Option<PathBuf>,
    /// The language the listing's summaries were written in.
    scanned_lang: i18n::Lang,
    confirm_remove: Option<String>,
    message: Option<Result<String, String>>,
    /// An import into the models folder or a removal from it.
    file_job: Option<Job<Result<String, String>>>,
    url: String,
    sha256: String,
    /// Save a downloaded sentence-encoder folder under this name.
    folder_name: String,
    download: Option<Job<Result<String, String>>>,
    remote_url: String,
    remote_token: String,
    remote: Option<Job<Result<RemoteState, String>>>,
    remote_state: Option<Result<RemoteState, String>>,
    /// The server the state belongs to: (base URL, token).
    connected: Option<(String, Option<String>)>,
    /// Running a remote model on an open table.
    remote_apply: widgets::RemotePredict,
    /// A deploy of a local model to the server below.
    deploy: Option<Job<Result<String, String>>>,
}

/// The folder's models as the registry describes them (cards and encoder
/// configs only, never weights), in the interface's language.
fn list(dir: &Path) -> Vec<Listed> {
    registry::describe(dir)
        .into_iter()
        .map(|d| Listed {
            kind: d
                .kind
                .map_or_else(|| tr("unknown").to_owned(), |k| k.as_str().to_owned()),
            summary: d
                .details
                .map(|details| summary(&details))
                .map_err(|e| match e {
                    RegistryError::IncompleteEncoder { missing, .. } => {
                        trf!("incomplete: no {}", missing)
                    }
                    RegistryError::EncoderConfig { .. } => {
                        tr("config.json cannot be read").to_owned()
                    }
                    other => other.to_string(),
                }),
            name: d.name,
            bytes: d.weights_bytes,
        })
        .collect()
}

/// One line about a model, from what its card says.
fn summary(details: &Details) -> String {
    let or_dash = |v: Option<u64>| v.map_or_else(|| "–".to_owned(), |v| v.to_string());
    match details {
        Details::Tabular(c) => trf!(
            "{} '{}' · {}: {} vs baseline {} · trained on {} ({} rows, sha256 {}…) · {}",
            i18n::task_label(c.task),
            c.target.column(),
            c.headline_metric,
            c.headline_figures().0,
            c.headline_figures().1,
            c.training_data.name,
            c.training_data.rows,
            c.training_data.sha256.get(..12).unwrap_or_default(),
            c.header.created_at
        ),
        Details::Recommender {
            method,
            users,
            items,
            interactions,
            created_at,
        } => trf!(
            "{} over {} residents × {} services ({} interactions) · {}",
            method.key(),
            users,
            items,
            interactions,
            created_at
        ),
        Details::WordVectors {
            words,
            dim,
            created_at,
        } => trf!(
            "word vectors: {} words × {} dimensions · {}",
            words,
            dim,
            created_at
        ),
        Details::SentenceEncoder {
            model_type,
            layers,
            dim,
        } => trf!(
            "{} encoder, {} layers, {} dimensions (Reports view: Sentence encoder; served at /v1/embeddings)",
            model_type,
            or_dash(*layers),
            or_dash(*dim)
        ),
    }
}

impl ModelsView {
    pub fn is_busy(&self) -> bool {
        self.scan.is_some()
            || self.file_job.is_some()
            || self.deploy.is_some()
            || self.download.is_some()
            || self.remote.is_some()
            || self.remote_apply.is_busy()
    }

    fn poll(&mut self, ctx: &ViewCtx<'_>) {
        if let Some(j) = &mut self.scan
            && let Some(l) = j.try_result()
        {
            self.scan = None;
            self.listed = l;
        }
        for job in [&mut self.file_job, &mut self.download, &mut self.deploy] {
            if let Some(j) = job
                && let Some(r) = j.try_result()
            {
                *job = None;
                self.message = Some(r);
                self.scanned_dir = None;
            }
        }
        if let Some(j) = &mut self.remote
            && let Some(r) = j.try_result()
        {
            self.remote = None;
            if let (Ok(state), Some((url, token))) = (&r, &self.connected) {
                ctx.send(Command::RemoteConnected(RemoteServer {
                    url: url.clone(),
                    token: token.clone(),
                    models: state.models.clone(),
                }));
            }
            self.remote_state = Some(r);
        }
        self.remote_apply.poll(ctx);
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        self.poll(ctx);
        let dir = ctx.ws.models_dir.clone();
        let lang = i18n::current();
        if (self.scanned_dir.as_ref() != Some(&dir) || self.scanned_lang != lang)
            && self.scan.is_none()
        {
            self.scanned_dir = Some(dir.clone());
            self.scanned_lang = lang;
            let d = dir.clone();
            match widgets::start_job("scan models", wake(ui), move |_| {
                i18n::set(lang);
                list(&d)
            }) {
                Ok(j) => self.scan = Some(j),
                Err(e) => self.message = Some(Err(e)),
            }
        }
        ui.heading(tr("Models"));
        // The full path, whatever form the setting was given in.
        let shown = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
        ui.label(trf!("Models folder: {}", shown.display()));
        ui.horizontal(|ui| {
            if ui.button(tr("Import model…")).on_hover_text(tr("Copy a model card and its weights into the models folder")).clicked()
                && self.file_job.is_none()
            {
                let d = dir.clone();
                let job = widgets::start_job("import", wake(ui), move |_| {
                    i18n::set(lang);
                    let Some(card) = rfd::FileDialog::new()
                        .set_title(tr("Import a cityops model card"))
                        .add_filter(tr("Model cards"), &["json"])
                        .pick_file()
                    else {
                        return Err(tr("No file was chosen (or no file dialog is available: use cityops fetch or copy the files into the models folder).").to_owned());
                    };
                    registry::import(&card, &d)
                });
                match job {
                    Ok(j) => self.file_job = Some(j),
                    Err(e) => self.message = Some(Err(e)),
                }
            }
            if ui.button(tr("Rescan")).clicked() {
                self.scanned_dir = None;
            }
            if self.scan.is_some() || self.file_job.is_some() {
                ui.spinner();
            }
        });
        match &self.message {
            Some(Ok(m)) => {
                ui.colored_label(theme::GOOD, m);
            }
            Some(Err(e)) => {
                ui.colored_label(theme::BAD, e);
            }
            None => {}
        }
        if self.listed.is_empty() && self.scan.is_none() {
            widgets::missing_ui(
                ui,
                tr(
                    "No models in this folder yet: train one in the Predict view, or download or import one.",
                ),
            );
        }
        let mut remove: Option<String> = None;
        let mut deploy: Option<String> = None;
        let server = self.remote_url.trim().to_owned();
        egui::Grid::new("local_models")
            .striped(true)
            .num_columns(4)
            .show(ui, |ui| {
                for m in &self.listed {
                    ui.strong(&m.name);
                    ui.label(&m.kind);
                    if self.confirm_remove.as_deref() == Some(m.name.as_str()) {
                        ui.horizontal(|ui| {
                            if ui.button(trf!("Really remove {}", m.name)).clicked() {
                                remove = Some(m.name.clone());
                            }
                            if ui.button(tr("Keep")).clicked() {
                                self.confirm_remove = None;
                            }
                        });
                    } else {
                        ui.horizontal(|ui| {
                            if ui.button(trf!("Remove {}", m.name)).clicked() {
                                self.confirm_remove = Some(m.name.clone());
                            }
                            // A card and its weights, or an encoder's
                            // folder: whatever loads here.
                            let bundle = m.summary.is_ok();
                            let r = ui
                                .add_enabled(
                                    bundle && !server.is_empty() && self.deploy.is_none(),
                                    egui::Button::new(trf!("Deploy {} to the server", m.name)),
                                )
                                .on_hover_text(tr(
                                    "Upload this model to the server given under Remote inference servers (with its token): the server checks it and serves it at once",
                                ))
                                .on_disabled_hover_text(tr(
                                    "Enter the server's URL and token under Remote inference servers first",
                                ));
                            if r.clicked() {
                                deploy = Some(m.name.clone());
                            }
                        });
                    }
                    match &m.summary {
                        Ok(s) => ui.label(format!("{s} · {:.0} kB", m.bytes as f64 / 1e3)),
                        Err(e) => ui.colored_label(theme::BAD, e),
                    };
                    ui.end_row();
                }
            });
        if let Some(name) = remove
            && self.file_job.is_none()
        {
            // Files are removed on a job's thread (a network folder may be
            // slow); the list is scanned again when it ends.
            let d = dir.clone();
            let job = widgets::start_job("remove model", wake(ui), move |_| {
                i18n::set(lang);
                registry::remove(&d, &name)
                    .map(|removed| {
                        let paths: Vec<String> =
                            removed.iter().map(|p| p.display().to_string()).collect();
                        trf!("Removed {}", paths.join(", "))
                    })
                    .map_err(|e| e.to_string())
            });
            match job {
                Ok(j) => self.file_job = Some(j),
                Err(e) => self.message = Some(Err(e)),
            }
            self.confirm_remove = None;
        }

        if let Some(name) = deploy {
            let token = Some(self.remote_token.trim().to_owned()).filter(|t| !t.is_empty());
            let model = dir.join(&name);
            let url = server.clone();
            let job = widgets::start_job("deploy", wake(ui), move |_| {
                i18n::set(lang);
                let (name, files) = crate::models::remote::bundle_files(&model)?;
                let rt = crate::jobs::runtime().map_err(|e| e.to_string())?;
                let client = V2Client::new(&url, token).map_err(|e| e.to_string())?;
                let answer = rt
                    .block_on(client.deploy(&name, &files))
                    .map_err(|e| e.to_string())?;
                Ok(trf!(
                    "Deployed {} to {}: the server says {}",
                    name,
                    url,
                    answer["state"].as_str().unwrap_or("?")
                ))
            });
            match job {
                Ok(j) => {
                    self.deploy = Some(j);
                    self.message = None;
                }
                Err(e) => self.message = Some(Err(e)),
            }
        }
        if self.deploy.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(tr("Deploying…"));
            });
        }

        ui.separator();
        ui.strong(tr("Download a model"));
        ui.horizontal(|ui| {
            let r = ui.add(egui::TextEdit::singleline(&mut self.url).desired_width(420.0).hint_text("https://…/NAME.json"));
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Model URL"));
            let r = ui.add(egui::TextEdit::singleline(&mut self.sha256).desired_width(200.0).hint_text(tr("sha256 (optional)")));
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Expected sha256"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.folder_name)
                        .desired_width(160.0)
                        .hint_text(tr("folder name (encoder)")),
                )
                .on_hover_text(tr("For a sentence encoder published as a folder: the URL is the folder's base, and it is saved under this name"));
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Save as folder"));
            if ui.add_enabled(self.download.is_none() && !self.url.trim().is_empty(), egui::Button::new(tr("Download"))).clicked() {
                let url = self.url.trim().to_owned();
                let sha = self.sha256.trim().to_lowercase();
                let folder = self.folder_name.trim().to_owned();
                let d = dir.clone();
                let job = widgets::start_job("download", wake(ui), move |p| {
                    i18n::set(lang);
                    let rt = crate::jobs::runtime().map_err(|e| e.to_string())?;
                    let opts = FetchOptions {
                        sha256: (!sha.is_empty()).then_some(sha),
                        ..FetchOptions::default()
                    };
                    let out = if folder.is_empty() {
                        rt.block_on(fetch::fetch(&url, &d, &opts, p))
                    } else {
                        rt.block_on(fetch::fetch_folder(&url, &d, &folder, &opts, p))
                    }
                    .map_err(|e| e.to_string())?;
                    let names: Vec<String> = out
                        .files
                        .iter()
                        .zip(&out.sha256)
                        .map(|(f, h)| format!("{} (sha256 {h})", f.display()))
                        .collect();
                    Ok(if out.verified {
                        trf!("Downloaded and verified {}", names.join(", "))
                    } else {
                        trf!("Downloaded {} — no checksum was available: compare it with the publisher's", names.join(", "))
                    })
                });
                match job {
                    Ok(j) => {
                        self.download = Some(j);
                        self.message = None;
                    }
                    Err(e) => self.message = Some(Err(e)),
                }
            }
        });
        if let Some(j) = &self.download {
            widgets::job_progress_ui(ui, j, tr("Cancel download"));
        }

        ui.separator();
        ui.strong(tr("Remote inference servers (Open Inference Protocol V2: KServe, Triton, MLServer, cityops serve)"));
        ui.horizontal(|ui| {
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.remote_url)
                    .desired_width(320.0)
                    .hint_text("http://127.0.0.1:8080"),
            );
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Server URL"));
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.remote_token)
                    .desired_width(160.0)
                    .password(true)
                    .hint_text(tr("token (optional)")),
            );
            widgets::name_for_screen_readers(&r, egui::Role::TextInput, tr("Server token"));
            if ui
                .add_enabled(
                    self.remote.is_none() && !self.remote_url.trim().is_empty(),
                    egui::Button::new(tr("Connect")),
                )
                .clicked()
            {
                let url = self.remote_url.trim().to_owned();
                let token = Some(self.remote_token.trim().to_owned()).filter(|t| !t.is_empty());
                self.connected = Some((url.clone(), token.clone()));
                let job = widgets::start_job("connect", wake(ui), move |_| {
                    let rt = crate::jobs::runtime().map_err(|e| e.to_string())?;
                    rt.block_on(async {
                        let c = V2Client::new(&url, token)?;
                        let live = c.live().await?;
                        let ready = c.ready().await.unwrap_or(false);
                        let mut models = Vec::new();
                        for n in c.list_models().await? {
                            models.push(c.metadata(&n).await?);
                        }
                        Ok::<_, crate::models::remote::RemoteError>(RemoteState {
                            live,
                            ready,
                            models,
                        })
                    })
                    .map_err(|e| e.to_string())
                });
                match job {
                    Ok(j) => self.remote = Some(j),
                    Err(e) => self.message = Some(Err(e)),
                }
            }
            if self.remote.is_some() {
                ui.spinner();
            }
        });
        match &self.remote_state {
            None => {}
            Some(Err(e)) => {
                ui.colored_label(theme::BAD, trf!("● not reachable: {}", e));
            }
            Some(Ok(s)) => {
                let (color, text) = match (s.live, s.ready) {
                    (true, true) => (theme::GOOD, tr("● live and ready")),
                    (true, false) => (theme::WARN, tr("● live, not ready")),
                    _ => (theme::BAD, tr("● not live")),
                };
                ui.colored_label(color, text);
                let Some(server) = self.connected.as_ref().map(|(url, token)| RemoteServer {
                    url: url.clone(),
                    token: token.clone(),
                    models: s.models.clone(),
                }) else {
                    return;
                };
                for m in &s.models {
                    egui::CollapsingHeader::new(
                        RichText::new(format!("{} ({})", m.name, m.platform)).strong(),
                    )
                    .id_salt(("remote_model", &m.name))
                    .show(ui, |ui| {
                        for t in &m.outputs {
                            ui.label(trf!(
                                "output {} · {} · {}",
                                t.name,
                                t.datatype,
                                format!("{:?}", t.shape)
                            ));
                        }
                        self.remote_apply.model_ui(ctx, ui, &server, m);
                    });
                }
                self.remote_apply.status_ui(ui);
            }
        }
    }
}
