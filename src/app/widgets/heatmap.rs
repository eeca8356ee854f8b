//! The weekday × hour-of-day heatmap, painted cell by cell with a hover
//! label per cell.

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
    let (lo, hi) = values
        .iter()
        .flatten()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let label_w = 40.0;
    let header_h = 18.0;
    let width = ui.available_width().clamp(300.0, 1400.0);
    let cell_w = (width - label_w) / 24.0;
    let cell_h = 24.0;
    let (rect, response) =
        ui.allocate_exact_size(vec2(width, header_h + 7.0 * cell_h), Sense::hover());
    let painter = ui.painter_at(rect);
    let text_color = ui.visuals().text_color();
    for h in (0..24).step_by(3) {
        painter.text(
            pos2(
                rect.left() + label_w + (h as f32 + 0.5) * cell_w,
                rect.top() + header_h / 2.0,
            ),
            Align2::CENTER_CENTER,
            format!("{h:02}"),
            FontId::proportional(11.0),
            text_color,
        );
    }
    let mut hovered = None;
    for (d, row) in values.iter().enumerate() {
        let y = rect.top() + header_h + d as f32 * cell_h;
        painter.text(
            pos2(rect.left() + 4.0, y + cell_h / 2.0),
            Align2::LEFT_CENTER,
            weekday(d),
            FontId::proportional(12.0),
            text_color,
        );
        for (h, v) in row.iter().enumerate() {
            let cell = egui::Rect::from_min_size(
                pos2(rect.left() + label_w + h as f32 * cell_w, y),
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
                hovered = Some((d, h, *v));
            }
        }
    }
    if let Some((d, h, v)) = hovered {
        let text = match v {
            Some(v) => format!("{} {h:02}:00 – {v:.1} {unit}", weekday(d)),
            None => crate::trf!("{} {}:00 – no data", weekday(d), format!("{h:02}")),
        };
        response.on_hover_text(text);
    }
}
