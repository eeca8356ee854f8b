//! Heatmaps painted cell by cell with a hover label per cell: any grid of
//! labelled rows and columns ([`grid_heatmap_ui`]), and the weekday ×
//! hour-of-day profile on it.

use egui::{Align2, FontId, Sense, Stroke, pos2, vec2};

use crate::app::i18n::tr;
use crate::app::theme;

/// A weekday's short name, 0 = Monday.
fn weekday(d: usize) -> &'static str {
    match d {
        0 => tr("Mon"),
        1 => tr("Tue"),
        2 => tr("Wed"),
        3 => tr("Thu"),
        4 => tr("Fri"),
        5 => tr("Sat"),
        _ => tr("Sun"),
    }
}

/// Draws `values[weekday][hour]`; `unit` goes in the hover label.
pub fn weekday_hour_heatmap_ui(ui: &mut egui::Ui, values: &[[Option<f64>; 24]; 7], unit: &str) {
    let rows: Vec<String> = (0..7).map(|d| weekday(d).to_owned()).collect();
    let columns: Vec<String> = (0..24).map(|h| format!("{h:02}:00")).collect();
    let flat: Vec<f64> = values
        .iter()
        .flatten()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    grid_heatmap_ui(ui, &rows, &columns, &flat, unit, 24.0);
}

/// Draws a grid of `values` (row-major, NaN where a cell has no value) with
/// row labels on the left and column labels on top (thinned to fit); the
/// colour runs from the smallest value to the largest.
pub fn grid_heatmap_ui(
    ui: &mut egui::Ui,
    rows: &[String],
    columns: &[String],
    values: &[f64],
    unit: &str,
    cell_h: f32,
) {
    if rows.is_empty() || columns.is_empty() {
        return;
    }
    let (lo, hi) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let font = FontId::proportional(12.0);
    let label_w = rows
        .iter()
        .map(|r| {
            ui.fonts_mut(|f| f.layout_no_wrap(r.clone(), font.clone(), egui::Color32::WHITE))
                .size()
                .x
        })
        .fold(24.0f32, f32::max)
        .min(180.0)
        + 10.0;
    let header_h = 18.0;
    let width = ui.available_width().clamp(240.0, 1400.0);
    let cell_w = (width - label_w) / columns.len() as f32;
    // Label every column that fits, else every k-th.
    let every = ((46.0 / cell_w).ceil() as usize).max(1);
    let (rect, response) = ui.allocate_exact_size(
        vec2(width, header_h + rows.len() as f32 * cell_h),
        Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let text_color = ui.visuals().text_color();
    for (c, name) in columns.iter().enumerate().step_by(every) {
        painter.text(
            pos2(
                rect.left() + label_w + (c as f32 + 0.5) * cell_w,
                rect.top() + header_h / 2.0,
            ),
            Align2::CENTER_CENTER,
            name,
            FontId::proportional(11.0),
            text_color,
        );
    }
    let mut hovered = None;
    for (r, name) in rows.iter().enumerate() {
        let y = rect.top() + header_h + r as f32 * cell_h;
        painter.text(
            pos2(rect.left() + 4.0, y + cell_h / 2.0),
            Align2::LEFT_CENTER,
            name,
            font.clone(),
            text_color,
        );
        for c in 0..columns.len() {
            let v = values
                .get(r * columns.len() + c)
                .copied()
                .filter(|v| v.is_finite());
            let cell = egui::Rect::from_min_size(
                pos2(rect.left() + label_w + c as f32 * cell_w, y),
                vec2(cell_w, cell_h),
            );
            let color = match v {
                Some(v) if hi > lo => theme::ramp((v - lo) / (hi - lo)),
                Some(_) => theme::ramp(0.5),
                None => ui.visuals().faint_bg_color,
            };
            painter.rect_filled(cell.shrink(0.5), 1.0, color);
            if response.hover_pos().is_some_and(|p| cell.contains(p)) {
                painter.rect_stroke(
                    cell,
                    1.0,
                    Stroke::new(2.0, text_color),
                    egui::StrokeKind::Inside,
                );
                hovered = Some((r, c, v));
            }
        }
    }
    if let Some((r, c, v)) = hovered {
        let (row, column) = (&rows[r], &columns[c]);
        let text = match v {
            Some(v) => format!("{row} {column} – {} {unit}", crate::charts::format_value(v)),
            None => crate::trf!("{} {} – no data", row, column),
        };
        response.on_hover_text(text);
    }
}
