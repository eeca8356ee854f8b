//! Running a model on a remote V2 server over an open table: pick the
//! table, map its columns to the model's inputs (same-named columns are
//! chosen for you), run it in a background job with progress and cancel;
//! the answer becomes a new dataset with the outputs as columns (rows with
//! a missing input are not sent and get no prediction). Used by
//! the Models and Predict views.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::i18n::{self, tr};
use crate::app::state::{Command, RemoteServer, ViewCtx};
use crate::app::theme;
use crate::data::Dataset;
use crate::jobs::Job;
use crate::models::remote::{ModelMetadata, V2Client};

/// Rows per request.
const BATCH_ROWS: usize = 1024;

#[derive(Default)]
pub struct RemotePredict {
    apply_dataset: Option<u64>,
    /// The column chosen for each (model, input).
    mapping: HashMap<(String, String), String>,
    job: Option<Job<Result<(Dataset, String), String>>>,
    message: Option<Result<String, String>>,
}

impl RemotePredict {
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Takes a finished run's dataset into the workspace.
    pub fn poll(&mut self, ctx: &ViewCtx<'_>) {
        if let Some(j) = &mut self.job
            && let Some(r) = j.try_result()
        {
            self.job = None;
            self.message = Some(r.map(|(ds, msg)| {
                ctx.send(Command::AddDataset(Box::new(ds)));
                msg
            }));
        }
    }

    /// The last run's message, or the running job's progress and Cancel.
    pub fn status_ui(&self, ui: &mut egui::Ui) {
        match &self.message {
            Some(Ok(m)) => {
                ui.colored_label(theme::GOOD, m);
            }
            Some(Err(e)) => {
                ui.colored_label(theme::BAD, e);
            }
            None => {}
        }
        if let Some(j) = &self.job {
            super::job_progress_ui(ui, j, tr("Cancel remote prediction"));
        }
    }

    /// The table picker, the input → column grid and the Run button for one
    /// model of `server`.
    pub fn model_ui(
        &mut self,
        ctx: &ViewCtx<'_>,
        ui: &mut egui::Ui,
        server: &RemoteServer,
        m: &ModelMetadata,
    ) {
        let ws = ctx.ws;
        let Some(entry) = self
            .apply_dataset
            .and_then(|id| ws.entry(id))
            .or_else(|| {
                // The first table that has every input as a column.
                ws.datasets.iter().find(|e| {
                    m.inputs
                        .iter()
                        .all(|t| e.dataset.table.column(&t.name).is_some())
                })
            })
            .or_else(|| ws.datasets.first())
        else {
            ui.label(tr("Open a table to predict on."));
            return;
        };
        ui.horizontal(|ui| {
            ui.label(tr("Predict for"));
            let combo = egui::ComboBox::from_id_salt(("remote_apply_ds", &m.name))
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
            super::name_for_screen_readers(
                &combo.response,
                egui::Role::ComboBox,
                &crate::trf!("Dataset for {}", m.name),
            );
        });
        let columns: Vec<String> = entry
            .dataset
            .table
            .columns
            .iter()
            .map(|c| c.name.clone())
            .collect();
        egui::Grid::new(("remote_map", &m.name))
            .num_columns(2)
            .show(ui, |ui| {
                for t in &m.inputs {
                    ui.label(crate::trf!(
                        "input {} · {} · {}",
                        t.name,
                        t.datatype,
                        format!("{:?}", t.shape)
                    ));
                    let key = (m.name.clone(), t.name.clone());
                    let current = self
                        .mapping
                        .get(&key)
                        .filter(|c| columns.contains(c))
                        .cloned()
                        .or_else(|| columns.iter().find(|c| **c == t.name).cloned())
                        .unwrap_or_default();
                    let mut chosen = current.clone();
                    let combo = egui::ComboBox::from_id_salt(("remote_map_col", &m.name, &t.name))
                        .selected_text(if chosen.is_empty() {
                            tr("choose a column")
                        } else {
                            chosen.as_str()
                        })
                        .show_ui(ui, |ui| {
                            for c in &columns {
                                ui.selectable_value(&mut chosen, c.clone(), c);
                            }
                        });
                    super::name_for_screen_readers(
                        &combo.response,
                        egui::Role::ComboBox,
                        &crate::trf!("Column for {}", t.name),
                    );
                    if chosen != current || !self.mapping.contains_key(&key) {
                        self.mapping.insert(key, chosen);
                    }
                    ui.end_row();
                }
            });
        let plan: Vec<(String, Vec<String>)> = m
            .inputs
            .iter()
            .filter_map(|t| {
                let c = self.mapping.get(&(m.name.clone(), t.name.clone()))?;
                (!c.is_empty()).then(|| (t.name.clone(), vec![c.clone()]))
            })
            .collect();
        let complete = plan.len() == m.inputs.len();
        if ui
            .add_enabled(
                complete && self.job.is_none(),
                egui::Button::new(crate::trf!("Run {} remotely", m.name)),
            )
            .clicked()
        {
            let ds = Arc::clone(&entry.dataset);
            let meta = m.clone();
            let (url, token) = (server.url.clone(), server.token.clone());
            let c = ui.ctx().clone();
            // The job writes the message people read: in this thread's language.
            let lang = i18n::current();
            self.message = None;
            let job = super::start_job(
                "remote predict",
                Arc::new(move || c.request_repaint()),
                move |p| {
                    i18n::set(lang);
                    run(&url, token, &meta, &ds, &plan, p)
                },
            );
            match job {
                Ok(j) => self.job = Some(j),
                Err(e) => self.message = Some(Err(e)),
            }
        }
        if !complete {
            ui.colored_label(theme::WARN, tr("Choose a column for every input."));
        }
    }
}

/// Sends the table to the server in batches; the outputs as a new dataset.
/// Rows with a missing value in a mapped column are not sent (integer and
/// boolean tensors cannot carry one); their outputs are missing.
fn run(
    url: &str,
    token: Option<String>,
    meta: &ModelMetadata,
    ds: &Dataset,
    plan: &[(String, Vec<String>)],
    p: &crate::jobs::JobProgress,
) -> Result<(Dataset, String), String> {
    let rt = crate::jobs::runtime().map_err(|e| e.to_string())?;
    let client = V2Client::new(url, token).map_err(|e| e.to_string())?;
    let (cols, latency, skipped) = rt
        .block_on(crate::models::remote::infer_complete_rows(
            &client,
            &meta.name,
            meta,
            &ds.table,
            plan,
            &[],
            BATCH_ROWS,
            p,
        ))
        .map_err(|e| e.to_string())?;
    let table = crate::ml::model::with_columns(&ds.table, cols);
    let mut out = Dataset::from_table(
        format!("{} via {}", ds.name, meta.name),
        crate::data::Source::Derived(format!("{} on {url}", meta.name)),
        table,
        ds.time_zone.clone(),
    );
    out.domain = crate::data::Domain::General;
    let mut msg = crate::trf!(
        "{} rows predicted by {} on {}: {:.0} ms waiting for the server; the result is the dataset '{}' (Data view, Export CSV… there)",
        ds.table.n_rows() - skipped,
        meta.name,
        url,
        latency.as_secs_f64() * 1e3,
        out.name
    );
    if skipped > 0 {
        msg.push_str(&crate::trf!(
            ". {} rows with a missing input were not sent; their predictions are empty",
            skipped
        ));
    }
    Ok((out, msg))
}
