//! Data: any open dataset as a virtualised table (millions of rows scroll
//! smoothly: only visible rows are laid out), its columns with type, role
//! (editable), missing values and statistics, its load warnings, and its
//! time zone and domain (editable).

use std::sync::Arc;

use egui::RichText;
use egui_extras::{Column as TableColumn, TableBuilder};

use crate::sources::postgres::{Page, PageStart};

use crate::app::i18n::{self, tr};
use crate::app::state::{Command, ViewCtx};
use crate::app::theme;
use crate::app::widgets;
use crate::data::pivot::{self, PivotSpec};
use crate::data::{Column, ColumnKind, ColumnValues, Dataset, Domain, Role};
use crate::jobs::Job;

/// Summary statistics of one column.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnStats {
    pub missing: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub distinct: Option<usize>,
}

pub fn column_stats(col: &Column) -> ColumnStats {
    let mut stats = ColumnStats {
        missing: col.missing_count(),
        min: None,
        max: None,
        mean: None,
        distinct: None,
    };
    match &col.values {
        ColumnValues::Categorical { dictionary, .. } => stats.distinct = Some(dictionary.len()),
        ColumnValues::Text(_) => {}
        _ => {
            let (mut lo, mut hi, mut sum, mut n) = (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize);
            for r in 0..col.len() {
                if let Some(v) = col.f64_at(r) {
                    lo = lo.min(v);
                    hi = hi.max(v);
                    sum += v;
                    n += 1;
                }
            }
            if n > 0 {
                stats.min = Some(lo);
                stats.max = Some(hi);
                stats.mean = Some(sum / n as f64);
            }
        }
    }
    stats
}

#[derive(Default)]
pub struct DataView {
    stats: widgets::Background<(u64, u64), Vec<ColumnStats>>,
    zone_for: Option<(u64, u64)>,
    zone_edit: String,
    pivot: PivotState,
    server: ServerPages,
}

/// Rows read from a database table a page at a time, past the first rows
/// the dataset holds (keyset paging, `sources::postgres::page`).
#[derive(Default)]
struct ServerPages {
    /// The dataset (id) the pages belong to.
    for_id: Option<u64>,
    /// Where each page visited starts; the last is the one shown.
    starts: Vec<PageStart>,
    job: Option<Job<Result<Page, String>>>,
    /// The page shown (as a dataset, for the grid) and where the next starts.
    shown: Option<(Arc<Dataset>, Option<PageStart>, String)>,
    error: Option<String>,
}

/// Rows per page of a database table.
const SERVER_PAGE_ROWS: usize = 1_000;

/// The "Pivot long to wide" section's choices, its job and its outcome.
#[derive(Default)]
struct PivotState {
    /// The dataset (id, revision) the choices belong to.
    for_key: Option<(u64, u64)>,
    keys: Vec<bool>,
    names: Option<usize>,
    values: Option<usize>,
    job: Option<Job<Result<(Dataset, String), String>>>,
    outcome: Option<Result<String, String>>,
}

fn cell_text(ds: &Dataset, col: &Column, row: usize) -> String {
    if !col.is_valid(row) {
        return String::new();
    }
    match &col.values {
        ColumnValues::Integer(v) => v.get(row).map(ToString::to_string).unwrap_or_default(),
        ColumnValues::Float(v) => v.get(row).map(|x| format!("{x}")).unwrap_or_default(),
        ColumnValues::Bool(v) => v.get(row).map(ToString::to_string).unwrap_or_default(),
        ColumnValues::Timestamp(v) => v
            .get(row)
            .map(|&t| {
                widgets::format_instant(t as f64 / 1e6, &ds.time_zone, "%Y-%m-%d %H:%M:%S %Z")
            })
            .unwrap_or_default(),
        ColumnValues::Categorical { .. } | ColumnValues::Text(_) => {
            col.str_at(row).unwrap_or_default().to_owned()
        }
    }
}

fn fmt_num(v: Option<f64>, kind: ColumnKind, ds: &Dataset) -> String {
    match (v, kind) {
        (None, _) => "–".to_owned(),
        (Some(v), ColumnKind::Timestamp) => {
            widgets::format_instant(v, &ds.time_zone, "%Y-%m-%d %H:%M")
        }
        (Some(v), _) if v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3) => format!("{v:.3e}"),
        (Some(v), _) => format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned(),
    }
}

/// A labelled combo box choosing one of `options` (column indices).
fn column_choice(
    ui: &mut egui::Ui,
    label: &str,
    chosen: &mut Option<usize>,
    options: &[usize],
    name_of: &dyn Fn(Option<usize>) -> String,
) {
    ui.label(label);
    let combo = egui::ComboBox::from_id_salt(("pivot", label))
        .selected_text(name_of(*chosen))
        .show_ui(ui, |ui| {
            for &i in options {
                ui.selectable_value(chosen, Some(i), name_of(Some(i)));
            }
        });
    widgets::name_for_screen_readers(&combo.response, egui::Role::ComboBox, label);
}

fn spec_name(ds: &Dataset, i: usize) -> &str {
    ds.table.columns.get(i).map_or("", |c| c.name.as_str())
}

/// Pivots in a job; the new dataset and what to tell the user.
fn run_pivot(
    ds: &Dataset,
    spec: &PivotSpec,
    p: &dyn crate::data::Progress,
) -> Result<(Dataset, String), String> {
    let out = pivot::pivot_wider(&ds.table, spec, p).map_err(|e| e.to_string())?;
    let name = crate::trf!("{} (wide)", ds.name);
    let wide = Dataset::from_table(
        &name,
        crate::data::Source::Derived(crate::trf!(
            "pivot of {}: {} by {}",
            ds.name,
            spec_name(ds, spec.values),
            spec_name(ds, spec.names)
        )),
        out.table,
        ds.time_zone.clone(),
    );
    let mut message = crate::trf!(
        "Made '{}': {} rows × {} columns.",
        name,
        i18n::count(wide.table.n_rows()),
        wide.table.n_columns()
    );
    if out.averaged_cells > 0 {
        message.push(' ');
        message.push_str(&crate::trf!(
            "Cells with several readings, which hold their mean: {}.",
            i18n::count(out.averaged_cells)
        ));
    }
    if out.skipped_rows > 0 {
        message.push(' ');
        message.push_str(&crate::trf!(
            "Rows left out for want of a name or a value: {}.",
            i18n::count(out.skipped_rows)
        ));
    }
    Ok((wide, message))
}

impl DataView {
    /// Long to wide: choose the key, names and values columns, make a new
    /// dataset in the background.
    fn pivot_ui(
        &mut self,
        ctx: &ViewCtx<'_>,
        ui: &mut egui::Ui,
        id: u64,
        revision: u64,
        ds: &Arc<Dataset>,
    ) {
        let st = &mut self.pivot;
        let n = ds.table.n_columns();
        if st.for_key != Some((id, revision)) {
            let suggested = pivot::suggest(ds);
            st.for_key = Some((id, revision));
            st.keys = (0..n)
                .map(|i| suggested.as_ref().is_some_and(|s| s.keys.contains(&i)))
                .collect();
            st.names = suggested.as_ref().map(|s| s.names);
            st.values = suggested.as_ref().map(|s| s.values);
            // The outcome stays: after a pivot the new dataset is shown.
        }
        let labels: Vec<usize> = (0..n)
            .filter(|&i| {
                ds.table
                    .columns
                    .get(i)
                    .is_some_and(|c| matches!(c.kind(), ColumnKind::Categorical | ColumnKind::Text))
            })
            .collect();
        let numbers: Vec<usize> = (0..n)
            .filter(|&i| {
                ds.table
                    .columns
                    .get(i)
                    .is_some_and(|c| c.kind().is_numeric())
            })
            .collect();
        let name_of = |i: Option<usize>| {
            i.and_then(|i| ds.table.columns.get(i))
                .map_or_else(|| tr("(choose)").to_owned(), |c| c.name.clone())
        };
        egui::CollapsingHeader::new(tr("Pivot long to wide"))
            .id_salt("data_pivot")
            .default_open(st.names.is_some())
            .show(ui, |ui| {
                ui.label(
                    RichText::new(tr(
                        "One row per key (time and station, say) and one column per value of the names column (Ozone, NO2, …), filled from the values column: the layout the views read.",
                    ))
                    .color(theme::MUTED),
                );
                ui.horizontal(|ui| {
                    column_choice(ui, tr("Names from"), &mut st.names, &labels, &name_of);
                    column_choice(ui, tr("Values from"), &mut st.values, &numbers, &name_of);
                });
                ui.horizontal_wrapped(|ui| {
                    ui.label(tr("Keys:"));
                    for (i, on) in st.keys.iter_mut().enumerate() {
                        if Some(i) == st.names || Some(i) == st.values {
                            continue;
                        }
                        if let Some(c) = ds.table.columns.get(i) {
                            ui.checkbox(on, &c.name);
                        }
                    }
                });
                let keys: Vec<usize> = st
                    .keys
                    .iter()
                    .enumerate()
                    .filter(|&(i, &on)| on && Some(i) != st.names && Some(i) != st.values)
                    .map(|(i, _)| i)
                    .collect();
                let spec = match (st.names, st.values) {
                    (Some(names), Some(values)) if !keys.is_empty() => Some(PivotSpec {
                        keys,
                        names,
                        values,
                    }),
                    _ => None,
                };
                if let Some(job) = &st.job {
                    widgets::job_progress_ui(ui, job, tr("Cancel"));
                } else {
                    ui.horizontal(|ui| {
                        let go = ui
                            .add_enabled(spec.is_some(), egui::Button::new(tr("Pivot to a new dataset")))
                            .on_disabled_hover_text(tr(
                                "Choose the names column, the values column and at least one key",
                            ));
                        if go.clicked()
                            && let Some(spec) = spec
                        {
                            let ds = Arc::clone(ds);
                            st.outcome = None;
                            match Job::spawn("pivot", widgets::wake(ui), move |p| {
                                run_pivot(&ds, &spec, p)
                            }) {
                                Ok(job) => st.job = Some(job),
                                Err(e) => {
                                    st.outcome = Some(Err(crate::trf!(
                                        "Could not start the pivot: {}",
                                        e
                                    )))
                                }
                            }
                        }
                    });
                }
                if let Some(job) = &mut st.job {
                    if let Some(r) = job.try_result() {
                        st.job = None;
                        st.outcome = Some(r.map(|(wide, message)| {
                            ctx.send(Command::AddDataset(Box::new(wide)));
                            message
                        }));
                    } else if job.is_lost() {
                        st.job = None;
                        st.outcome = Some(Err(tr("The pivot stopped unexpectedly.").to_owned()));
                    }
                }
                match &st.outcome {
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

    pub fn is_busy(&self) -> bool {
        self.stats.is_busy() || self.pivot.job.is_some() || self.server.job.is_some()
    }

    /// For a database table: Previous and Next over its rows on the
    /// server, a page at a time. Returns the page to show in the grid, when
    /// one is shown instead of the rows held.
    fn server_pages_ui(
        &mut self,
        ui: &mut egui::Ui,
        id: u64,
        ds: &Arc<Dataset>,
    ) -> Option<Arc<Dataset>> {
        let crate::data::Source::Database(source) = &ds.source else {
            return None;
        };
        let st = &mut self.server;
        if st.for_id != Some(id) {
            *st = ServerPages {
                for_id: Some(id),
                ..ServerPages::default()
            };
        }
        if let Some(job) = &mut st.job {
            if let Some(r) = job.try_result() {
                st.job = None;
                match r {
                    Ok(page) => {
                        let mut shown = Dataset::from_table(
                            ds.name.clone(),
                            ds.source.clone(),
                            page.table,
                            ds.time_zone.clone(),
                        );
                        shown.file_format = ds.file_format;
                        st.shown = Some((Arc::new(shown), page.next, page.ordered_by));
                        st.error = None;
                    }
                    Err(e) => {
                        st.starts.pop();
                        st.error = Some(e);
                    }
                }
            } else if job.is_lost() {
                st.job = None;
                st.starts.pop();
                st.error = Some(tr("The page could not be read.").to_owned());
            }
        }
        let mut go: Option<PageStart> = None;
        let mut back = false;
        ui.horizontal_wrapped(|ui| {
            ui.label(tr("Rows on the server:"));
            let busy = st.job.is_some();
            if st.shown.is_none() {
                if ui
                    .add_enabled(!busy, egui::Button::new(tr("Browse every row")))
                    .on_hover_text(tr(
                        "Read the table from the server 1,000 rows at a time, in key order",
                    ))
                    .clicked()
                {
                    go = Some(PageStart::First);
                }
            } else {
                let page_no = st.starts.len();
                if ui
                    .add_enabled(!busy && page_no > 1, egui::Button::new(tr("Previous page")))
                    .clicked()
                {
                    back = true;
                }
                let next = st.shown.as_ref().and_then(|s| s.1.clone());
                if ui
                    .add_enabled(!busy && next.is_some(), egui::Button::new(tr("Next page")))
                    .clicked()
                {
                    go = next;
                }
                if let Some((page, _, ordered_by)) = &st.shown {
                    let first = (page_no.saturating_sub(1)) * SERVER_PAGE_ROWS + 1;
                    ui.label(crate::trf!(
                        "page {}: rows {}–{}, ordered by {}",
                        page_no,
                        i18n::count(first),
                        i18n::count(first + page.table.n_rows().saturating_sub(1)),
                        ordered_by
                    ));
                }
                if ui
                    .add_enabled(!busy, egui::Button::new(tr("Show the rows held")))
                    .clicked()
                {
                    st.shown = None;
                    st.starts.clear();
                }
            }
            if busy {
                ui.spinner();
            }
        });
        if back && st.starts.len() > 1 {
            st.starts.pop();
            go = st.starts.pop();
        }
        if let Some(start) = go {
            st.starts.push(start.clone());
            let source = source.clone();
            let tz = ds.time_zone.clone();
            match Job::spawn("page of a table", widgets::wake(ui), move |p| {
                crate::sources::postgres::page(&source, &start, SERVER_PAGE_ROWS, &tz, p)
                    .map_err(|e| e.to_string())
            }) {
                Ok(job) => st.job = Some(job),
                Err(e) => {
                    st.starts.pop();
                    st.error = Some(e.to_string());
                }
            }
        }
        if let Some(e) = &st.error {
            ui.colored_label(theme::BAD, e);
        }
        st.shown.as_ref().map(|s| Arc::clone(&s.0))
    }

    pub fn ui(&mut self, ctx: &ViewCtx<'_>, ui: &mut egui::Ui) {
        let ws = ctx.ws;
        let Some(entry) = ws
            .data_view_dataset
            .and_then(|id| ws.entry(id))
            .or_else(|| ws.datasets.last())
        else {
            ui.heading(tr("Data"));
            widgets::missing_ui(
                ui,
                tr("No data is open. Use Open CSV… or drop a file onto the window."),
            );
            return;
        };
        let ds = &entry.dataset;
        let key = (entry.id, entry.revision);
        self.stats.ensure(ui.ctx(), &key, || {
            let ds = Arc::clone(&entry.dataset);
            move |_| ds.table.columns.iter().map(column_stats).collect()
        });
        // Statistics of an older revision still fit while the new ones come.
        let stats = self.stats.value().unwrap_or_default();
        if self.zone_for != Some(key) {
            self.zone_for = Some(key);
            self.zone_edit = ds.time_zone_name();
        }
        ui.horizontal(|ui| {
            ui.heading(tr("Data"));
            let combo = egui::ComboBox::from_id_salt("data_dataset")
                .selected_text(&ds.name)
                .show_ui(ui, |ui| {
                    for e in &ws.datasets {
                        if ui
                            .selectable_label(e.id == entry.id, &e.dataset.name)
                            .clicked()
                        {
                            ctx.send(Command::ShowInDataView(e.id));
                        }
                    }
                });
            crate::app::widgets::name_for_screen_readers(
                &combo.response,
                egui::Role::ComboBox,
                tr("Dataset shown"),
            );
            if ui
                .button(tr("Export CSV…"))
                .on_hover_text(tr("Save this dataset as a CSV file"))
                .clicked()
            {
                ctx.send(Command::ExportCsv(entry.id));
            }
            if ds.time_column().is_some()
                && ui
                    .button(tr("Export time range…"))
                    .on_hover_text(tr(
                        "Save the rows inside the time range chosen in the toolbar as CSV",
                    ))
                    .clicked()
            {
                ctx.send(Command::ExportRangeCsv {
                    id: entry.id,
                    to: None,
                });
            }
        });
        egui::Grid::new("data_info").num_columns(2).show(ui, |ui| {
            ui.label(tr("Source"));
            ui.label(match &ds.source {
                crate::data::Source::Demo(n) => crate::trf!("demo city ({})", n),
                crate::data::Source::Derived(how) => how.clone(),
                crate::data::Source::Database(db) => db.describe(),
                crate::data::Source::Stream(url) => url.clone(),
                crate::data::Source::File(p) => p.display().to_string(),
                crate::data::Source::Url(u) => u.clone(),
            });
            ui.end_row();
            ui.label(tr("Size"));
            ui.label(crate::trf!(
                "{} rows × {} columns, {:.1} MB in memory",
                crate::app::i18n::count(ds.table.n_rows()),
                ds.table.n_columns(),
                ds.table.heap_bytes() as f64 / 1e6
            ));
            ui.end_row();
            if let Some(key) = crate::app::live::source_key(ds) {
                ui.label(tr("Refresh"));
                let current = ctx.ws.refresh.get(&key).copied();
                let name = |s: Option<u64>| match s {
                    None => tr("Off").to_owned(),
                    Some(s) if s < 60 => crate::trf!("every {} s", s),
                    Some(s) if s < 3600 => crate::trf!("every {} min", s / 60),
                    Some(s) => crate::trf!("every {} h", s / 3600),
                };
                let combo = egui::ComboBox::from_id_salt("data_refresh")
                    .selected_text(name(current))
                    .show_ui(ui, |ui| {
                        let choices = std::iter::once(None)
                            .chain(crate::app::live::CHOICES.iter().map(|&s| Some(s)));
                        for choice in choices {
                            if ui.selectable_label(current == choice, name(choice)).clicked()
                                && current != choice
                            {
                                ctx.send(Command::SetRefresh {
                                    key: key.clone(),
                                    every: choice,
                                });
                            }
                        }
                    })
                    .response
                    .on_hover_text(tr(
                        "Look for new rows on a timer: a file is read again when it changes (only its new lines when it grew), an API is asked for rows newer than the latest held",
                    ));
                crate::app::widgets::name_for_screen_readers(
                    &combo,
                    egui::Role::ComboBox,
                    tr("Refresh"),
                );
                ui.end_row();
            }
            if let (Some(info), crate::data::Source::File(path)) = (&ds.sheets, &ds.source) {
                ui.label(tr("Sheet"));
                let combo = egui::ComboBox::from_id_salt("data_sheet")
                    .selected_text(&info.sheet)
                    .show_ui(ui, |ui| {
                        for s in &info.sheets {
                            if ui.selectable_label(*s == info.sheet, s).clicked()
                                && *s != info.sheet
                            {
                                ctx.send(Command::OpenSheet {
                                    path: path.clone(),
                                    sheet: s.clone(),
                                });
                            }
                        }
                    })
                    .response
                    .on_hover_text(tr(
                        "Read another sheet of this workbook in place of this one",
                    ));
                crate::app::widgets::name_for_screen_readers(
                    &combo,
                    egui::Role::ComboBox,
                    tr("Sheet"),
                );
                ui.end_row();
            }
            if let (None, Some(f)) = (&ds.format, ds.file_format) {
                ui.label(tr("Format"));
                ui.label(f);
                ui.end_row();
            }
            if let Some(f) = &ds.format {
                ui.label(tr("Format"));
                ui.label(crate::trf!(
                    "delimiter '{}', {}, {:.1} MB file",
                    (f.delimiter as char).escape_default(),
                    f.encoding,
                    f.file_bytes as f64 / 1e6
                ));
                ui.end_row();
            }
            ui.label(tr("Kind of data"));
            let combo = egui::ComboBox::from_id_salt("data_domain")
                .selected_text(i18n::domain_label(ds.domain))
                .show_ui(ui, |ui| {
                    for d in Domain::ALL {
                        if ui
                            .selectable_label(ds.domain == d, i18n::domain_label(d))
                            .clicked()
                            && ds.domain != d
                        {
                            ctx.send(Command::SetDomain {
                                id: entry.id,
                                domain: d,
                            });
                        }
                    }
                });
            crate::app::widgets::name_for_screen_readers(
                &combo.response,
                egui::Role::ComboBox,
                tr("Kind of data"),
            );
            ui.end_row();
            ui.label(tr("Time zone"));
            ui.horizontal(|ui| {
                let edit =
                    ui.add(egui::TextEdit::singleline(&mut self.zone_edit).desired_width(180.0));
                widgets::name_for_screen_readers(&edit, egui::Role::TextInput, tr("Time zone"));
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button(tr("Apply time zone")).clicked() || enter)
                    && self.zone_edit != ds.time_zone_name()
                {
                    ctx.send(Command::SetTimeZone {
                        id: entry.id,
                        zone: self.zone_edit.trim().to_owned(),
                    });
                }
                ui.label(
                    RichText::new(tr("timestamps without an offset are read in this zone"))
                        .color(theme::MUTED),
                );
            });
            ui.end_row();
        });

        let warn_title = crate::trf!("Load warnings ({})", ds.warnings.len());
        egui::CollapsingHeader::new(warn_title)
            .id_salt("data_warnings")
            .default_open(!ds.warnings.is_empty())
            .show(ui, |ui| {
                if ds.warnings.is_empty() {
                    ui.label(tr("The file loaded without warnings."));
                }
                if let Some(c) = ds.format.as_ref().map(|f| f.counts)
                    && c.rows_skipped + c.rows_padded + c.rows_requoted + c.cells_set_missing > 0
                {
                    ui.label(crate::trf!(
                        "Of {} data lines: {} rows skipped, {} padded, {} read again after a quote that was never closed; {} cells set missing.",
                        c.records,
                        c.rows_skipped,
                        c.rows_padded,
                        c.rows_requoted,
                        c.cells_set_missing
                    ));
                }
                egui::ScrollArea::vertical()
                    .id_salt("warn_scroll")
                    .max_height(120.0)
                    .show(ui, |ui| {
                        for w in &ds.warnings {
                            ui.colored_label(theme::WARN, w.to_string());
                        }
                    });
            });

        egui::CollapsingHeader::new(tr("Columns"))
            .id_salt("data_columns")
            .default_open(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("cols_scroll")
                    .max_height(240.0)
                    .show(ui, |ui| {
                        egui::Grid::new("columns_grid")
                            .striped(true)
                            .num_columns(7)
                            .show(ui, |ui| {
                                for h in [
                                    tr("Column"),
                                    tr("Type"),
                                    tr("Role"),
                                    tr("Missing"),
                                    tr("Min"),
                                    tr("Max"),
                                    tr("Mean / distinct"),
                                ] {
                                    ui.label(RichText::new(h).strong());
                                }
                                ui.end_row();
                                for (i, col) in ds.table.columns.iter().enumerate() {
                                    let Some(st) = stats.get(i) else {
                                        continue;
                                    };
                                    let role =
                                        ds.schema.roles.get(i).copied().unwrap_or(Role::Other);
                                    ui.label(&col.name);
                                    ui.label(i18n::kind_label(col.kind()));
                                    let combo = egui::ComboBox::from_id_salt(("role", i))
                                        .selected_text(i18n::role_label(role))
                                        .show_ui(ui, |ui| {
                                            for r in Role::choices_for(col.kind()) {
                                                if ui
                                                    .selectable_label(
                                                        r == role,
                                                        i18n::role_label(r),
                                                    )
                                                    .clicked()
                                                    && r != role
                                                {
                                                    ctx.send(Command::SetRole {
                                                        id: entry.id,
                                                        column: i,
                                                        role: r,
                                                    });
                                                }
                                            }
                                        });
                                    crate::app::widgets::name_for_screen_readers(
                                        &combo.response,
                                        egui::Role::ComboBox,
                                        &crate::trf!("Role of column {}", col.name),
                                    );
                                    ui.label(format!(
                                        "{} ({:.1} %)",
                                        st.missing,
                                        100.0 * st.missing as f64 / ds.table.n_rows().max(1) as f64
                                    ));
                                    ui.label(fmt_num(st.min, col.kind(), ds));
                                    ui.label(fmt_num(st.max, col.kind(), ds));
                                    ui.label(match (st.mean, st.distinct) {
                                        (_, Some(d)) => crate::trf!("{} distinct", d),
                                        (Some(_), _) if col.kind() == ColumnKind::Timestamp => {
                                            "–".to_owned()
                                        }
                                        (m, _) => fmt_num(m, col.kind(), ds),
                                    });
                                    ui.end_row();
                                }
                            });
                    });
            });

        self.pivot_ui(ctx, ui, entry.id, entry.revision, ds);

        ui.separator();
        let page = self.server_pages_ui(ui, entry.id, ds);
        let ds = page.as_ref().unwrap_or(ds);
        ui.strong(crate::trf!(
            "Rows ({})",
            crate::app::i18n::count(ds.table.n_rows())
        ));
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        egui::ScrollArea::horizontal()
            .id_salt("rows_hscroll")
            .show(ui, |ui| {
                let mut builder = TableBuilder::new(ui)
                    .id_salt(("rows", entry.id))
                    .striped(true)
                    .resizable(true)
                    .min_scrolled_height(200.0)
                    .column(TableColumn::exact(70.0));
                for c in &ds.table.columns {
                    let width = match c.kind() {
                        ColumnKind::Timestamp => 210.0,
                        ColumnKind::Text => 320.0,
                        _ => 130.0,
                    };
                    builder = builder.column(TableColumn::initial(width).at_least(50.0).clip(true));
                }
                builder
                    .header(row_height + 4.0, |mut header| {
                        header.col(|ui| {
                            ui.strong("#");
                        });
                        for c in &ds.table.columns {
                            header.col(|ui| {
                                ui.strong(&c.name).on_hover_text(format!(
                                    "{} ({})",
                                    c.name,
                                    i18n::kind_label(c.kind())
                                ));
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(row_height, ds.table.n_rows(), |mut row| {
                            let i = row.index();
                            row.col(|ui| {
                                ui.label(RichText::new((i + 1).to_string()).color(theme::MUTED));
                            });
                            for c in &ds.table.columns {
                                row.col(|ui| {
                                    if c.is_valid(i) {
                                        ui.label(cell_text(ds, c, i));
                                    } else {
                                        ui.label(
                                            RichText::new(tr("missing"))
                                                .italics()
                                                .color(theme::MUTED),
                                        );
                                    }
                                });
                            }
                        });
                    });
            });
    }
}
