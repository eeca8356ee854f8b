//! Widgets shared by several views: the time-window picker, time axes,
//! sparklines, the weekday × hour heatmap, dataset pickers, PNG export.

mod background;
mod heatmap;
pub mod map;
pub mod open_url;
pub mod pmtiles;
mod remote;
pub mod tiles;
mod time_axis;

use std::path::Path;

use egui::{Color32, ColorImage};

pub use background::{Background, updating_ui};
pub use heatmap::{grid_heatmap_ui, weekday_hour_heatmap_ui};
pub use remote::RemotePredict;
pub use time_axis::{TimeAxis, format_instant};

use super::i18n::{domain_label, tr};
use super::state::{Command, TimeWindow, ViewCtx};
use super::theme;
use crate::data::Domain;

/// The time-window picker in the top bar: presets relative to the latest
/// data, or a custom from/to range typed as dates in the data's zone.
#[derive(Default)]
pub struct TimeWindowEditor {
    editing: bool,
    from: String,
    to: String,
    error: Option<String>,
}

/// Reads `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` in `tz`; a date alone means the
/// start of that day, or its end when `end_of_day`.
pub fn parse_local(text: &str, tz: &jiff::tz::TimeZone, end_of_day: bool) -> Result<i64, String> {
    use crate::data::parse::{DayOrder, parse_datetime};
    let d = parse_datetime(text, DayOrder::MonthFirst).ok_or_else(|| {
        crate::trf!(
            "'{}' is not a date; write it as 2026-09-01 or 2026-09-01 08:00",
            text
        )
    })?;
    let has_time = text.trim().len() > 10;
    let dt = jiff::civil::DateTime::new(
        d.year as i16,
        d.month as i8,
        d.day as i8,
        d.hour as i8,
        d.minute as i8,
        d.second as i8,
        0,
    )
    .map_err(|e| e.to_string())?;
    let ts = tz
        .to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|e| e.to_string())?
        .as_microsecond();
    Ok(if end_of_day && !has_time {
        ts + crate::data::timeseries::MICROS_PER_DAY - 1
    } else {
        ts
    })
}

impl TimeWindowEditor {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        current: &TimeWindow,
        tz: &jiff::tz::TimeZone,
        cmds: &mut Vec<Command>,
    ) {
        ui.label(tr("Time range:"));
        let combo = egui::ComboBox::from_id_salt("time_window")
            .selected_text(current.label())
            .show_ui(ui, |ui| {
                for w in TimeWindow::PRESETS {
                    if ui.selectable_label(*current == w, w.label()).clicked() {
                        self.editing = false;
                        cmds.push(Command::SetWindow(w));
                    }
                }
                if ui
                    .selectable_label(
                        self.editing || matches!(current, TimeWindow::Custom { .. }),
                        tr("Custom range…"),
                    )
                    .clicked()
                {
                    self.editing = true;
                    if let TimeWindow::Custom { start, end } = current {
                        self.from = format_instant(*start as f64 / 1e6, tz, "%Y-%m-%d %H:%M");
                        self.to = format_instant(*end as f64 / 1e6, tz, "%Y-%m-%d %H:%M");
                    }
                }
            });
        name_for_screen_readers(&combo.response, egui::Role::ComboBox, tr("Time range"));
        if !self.editing {
            return;
        }
        ui.label(tr("from"));
        let from = ui.add(
            egui::TextEdit::singleline(&mut self.from)
                .desired_width(120.0)
                .hint_text("2026-09-01"),
        );
        name_for_screen_readers(&from, egui::Role::TextInput, tr("Range start"));
        ui.label(tr("to"));
        let to = ui.add(
            egui::TextEdit::singleline(&mut self.to)
                .desired_width(120.0)
                .hint_text("2026-09-15"),
        );
        name_for_screen_readers(&to, egui::Role::TextInput, tr("Range end"));
        if ui.button(tr("Apply range")).clicked() {
            let parsed = parse_local(&self.from, tz, false)
                .and_then(|s| parse_local(&self.to, tz, true).map(|e| (s, e)));
            match parsed {
                Ok((start, end)) if start <= end => {
                    self.error = None;
                    self.editing = false;
                    cmds.push(Command::SetWindow(TimeWindow::Custom { start, end }));
                }
                Ok(_) => self.error = Some(tr("the start is after the end").to_owned()),
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(e) = &self.error {
            ui.colored_label(theme::BAD, e);
        }
    }
}

/// Lets the user switch between datasets of one domain (shown only when
/// there is more than one). Returns nothing: the choice is a command.
pub fn dataset_picker_ui(ctx: &ViewCtx<'_>, ui: &mut egui::Ui, domain: Domain, current: u64) {
    let entries: Vec<_> = ctx.ws.of_domain(domain).collect();
    if entries.len() < 2 {
        return;
    }
    let name = entries
        .iter()
        .find(|e| e.id == current)
        .map_or("", |e| e.dataset.name.as_str());
    ui.horizontal(|ui| {
        ui.label(tr("Dataset:"));
        let combo = egui::ComboBox::from_id_salt(("dataset_picker", domain))
            .selected_text(name)
            .show_ui(ui, |ui| {
                for e in entries {
                    if ui
                        .selectable_label(e.id == current, &e.dataset.name)
                        .clicked()
                    {
                        ctx.send(Command::SelectDataset { domain, id: e.id });
                    }
                }
            });
        crate::app::widgets::name_for_screen_readers(
            &combo.response,
            egui::Role::ComboBox,
            &crate::trf!("Dataset for {}", domain_label(domain)),
        );
    });
}

/// The top of a domain view: the active dataset of `domain` with a heading
/// and a picker, or a note saying what to open. `None` when there is
/// nothing to draw (the note has been shown). `lacks` says what the view's
/// own panels need that a dataset does not have (a time column, a speed or
/// volume column, …); such a dataset shows that note and its default
/// dashboard's charts (`fallback`: the domain's panels made from the
/// columns it has) instead of an empty page.
pub fn domain_view_header<'a>(
    ctx: &ViewCtx<'a>,
    ui: &mut egui::Ui,
    domain: Domain,
    title: &str,
    when_missing: &str,
    lacks: impl Fn(&crate::data::Dataset) -> Option<&'static str>,
    fallback: &mut crate::app::panels::SuggestedGrid,
) -> Option<&'a crate::app::state::DatasetEntry> {
    let Some(entry) = ctx.ws.active_for(domain) else {
        missing_ui(ui, when_missing);
        return None;
    };
    ui.heading(format!("{title} — {}", entry.dataset.name));
    if !ctx.presenting {
        dataset_picker_ui(ctx, ui, domain, entry.id);
    }
    let lack = if entry.dataset.time_column().is_none() {
        Some(tr(
            "This dataset has no time column. Set a column's role to 'time' in the Data view.",
        ))
    } else {
        lacks(&entry.dataset)
    };
    if let Some(what) = lack {
        missing_ui(ui, what);
        fallback.ui(ctx, ui, entry);
        return None;
    }
    Some(entry)
}

/// Says what a view needs and how to get it, in place of a plot.
pub fn missing_ui(ui: &mut egui::Ui, what: &str) {
    ui.add_space(12.0);
    ui.colored_label(theme::MUTED, what);
    ui.add_space(12.0);
}

/// A line that breaks where the data has gaps: `points` may hold points
/// whose y is NaN (see `data::decimate::min_max_with_gaps`), and each run
/// between them is drawn as its own line under the one legend name; a run
/// of one point is drawn as a dot, so a lone reading is not lost.
pub fn gapped_line(
    p: &mut egui_plot::PlotUi<'_>,
    name: &str,
    points: &[[f64; 2]],
    color: Color32,
    width: f32,
) {
    for run in points.split(|pt| !pt[1].is_finite()) {
        match run {
            [] => {}
            [one] => p.points(
                egui_plot::Points::new(name.to_owned(), vec![*one])
                    .color(color)
                    .radius(width * 1.5),
            ),
            _ => p.line(
                egui_plot::Line::new(name.to_owned(), run.to_vec())
                    .color(color)
                    .width(width),
            ),
        }
    }
}

/// A tiny line chart without axes.
pub fn sparkline_ui(ui: &mut egui::Ui, id: &str, points: &[[f64; 2]], color: Color32) {
    egui_plot::Plot::new(id)
        .height(theme::SPARKLINE_HEIGHT)
        .width(theme::KPI_WIDTH - 24.0)
        .show_axes(false)
        .show_grid(false)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .show_x(false)
        .show_y(false)
        .show_background(false)
        .show(ui, |p| {
            // Points whose y is NaN are gaps: each run is its own line.
            for run in points.split(|pt| !pt[1].is_finite()) {
                if !run.is_empty() {
                    p.line(
                        egui_plot::Line::new(id.to_owned(), run.to_vec())
                            .color(color)
                            .width(1.5)
                            .fill(0.0)
                            .fill_alpha(0.15),
                    );
                }
            }
        });
}

/// A shaded overlay while files are dragged over the window.
pub fn drop_overlay(ctx: &egui::Context) {
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop_overlay"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, Color32::from_black_alpha(180));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        tr("Drop CSV files to open them"),
        egui::FontId::proportional(28.0),
        Color32::WHITE,
    );
}

/// Writes an RGBA image as PNG (atomically: temp file, then rename).
pub fn save_png(path: &Path, image: &ColorImage) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map_or_else(|| "screenshot".into(), |n| n.to_string_lossy())
    ));
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let w = std::io::BufWriter::new(file);
    let [width, height] = image.size;
    let mut enc = png::Encoder::new(w, width as u32, height as u32);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().context("cannot write the PNG header")?;
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    writer
        .write_image_data(&bytes)
        .context("cannot write the PNG data")?;
    writer.finish().context("cannot finish the PNG")?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move the PNG to {}", path.display()))?;
    Ok(())
}

/// Gives a widget whose visible text is its value (a combo box) a name for
/// screen readers and UI tests.
pub fn name_for_screen_readers(response: &egui::Response, role: egui::Role, name: &str) {
    response.widget_info(|| egui::WidgetInfo::labeled(role, response.enabled(), name));
}

/// A job's wake-up call: repaint the window (progress or a result came).
pub fn wake(ui: &egui::Ui) -> crate::jobs::Wake {
    let ctx = ui.ctx().clone();
    std::sync::Arc::new(move || ctx.request_repaint())
}

/// Starts a background job. A start that fails (the system could not make
/// a thread) comes back as the sentence to show where the view shows its
/// other errors, so that it never goes unseen.
pub fn start_job<T: Send + 'static>(
    label: &str,
    wake: crate::jobs::Wake,
    work: impl FnOnce(&crate::jobs::JobProgress) -> T + Send + 'static,
) -> Result<crate::jobs::Job<T>, String> {
    crate::jobs::Job::spawn(label, wake, work).map_err(|e| {
        crate::trf!(
            "Could not start the background task '{}': {}. Close some programs or restart cityops, then try again.",
            label,
            e
        )
    })
}

/// A running job's progress bar with its message, and a button that
/// cancels it.
pub fn job_progress_ui<T: Send + 'static>(
    ui: &mut egui::Ui,
    job: &crate::jobs::Job<T>,
    cancel_label: &str,
) {
    let (fraction, message) = job.progress();
    ui.horizontal(|ui| {
        ui.add(
            egui::ProgressBar::new(fraction)
                .desired_width(340.0)
                .text(message)
                .animate(true),
        );
        if ui.button(cancel_label).clicked() {
            job.cancel();
        }
    });
}

/// The EPA's AQI categories as coloured bands behind a plot's lines.
pub fn aqi_bands(p: &mut egui_plot::PlotUi<'_>) {
    for cat in crate::data::aqi::AqiCategory::ALL {
        let (lo, hi) = cat.band();
        let [r, g, b] = cat.rgb();
        // Unnamed, so the legend lists only stations; the key is below.
        p.span(
            egui_plot::Span::new("", f64::from(lo)..=f64::from(hi) + 1.0)
                .axis(egui_plot::Axis::Y)
                .fill(egui::Color32::from_rgba_unmultiplied(r, g, b, 40)),
        );
    }
}

/// The EPA categories with their colours and AQI ranges.
pub fn aqi_key_ui(ui: &mut egui::Ui) {
    ui.horizontal_wrapped(|ui| {
        for cat in crate::data::aqi::AqiCategory::ALL {
            let (lo, hi) = cat.band();
            let [r, g, b] = cat.rgb();
            let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(rect, 2.0, egui::Color32::from_rgb(r, g, b));
            ui.label(format!(
                "{} {lo}–{hi}",
                super::i18n::aqi_category_label(cat)
            ));
            ui.add_space(8.0);
        }
    });
}
