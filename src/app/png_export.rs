//! A view, or one plot of it, drawn into a PNG at a chosen scale for slides.
//!
//! The window's own screenshot is only as sharp as the screen. Here the
//! view is laid out once more in a separate egui context (same style, same
//! fonts, the view's current data) at `scale` pixels per point, tessellated,
//! and painted with a second `egui_glow::Painter` on the window's GL
//! context. The image may be larger than the window, so it is painted in
//! window-sized tiles into the back buffer and read back tile by tile;
//! eframe clears and paints the real frame over it afterwards. All of it is
//! safe glow API, so no FBO code of our own.

use std::sync::Arc;

use eframe::{egui_glow, glow};
use egui::{
    ClippedPrimitive, Color32, ColorImage, Pos2, Rect, Vec2, ViewportId, epaint::Primitive,
};

use super::fonts::CjkFontStatus;

/// The scales offered (pixels per point of the view).
pub const SCALES: [f32; 4] = [1.0, 2.0, 3.0, 4.0];

/// The largest side of an exported image, in pixels (a 16k × 16k RGBA
/// image is 1 GiB; this keeps one under 256 MiB).
pub const MAX_SIDE: u32 = 8192;

/// What to export.
#[derive(Clone, Debug, PartialEq)]
pub struct PngRequest {
    /// Pixels per point of the image.
    pub scale: f32,
    /// Only this part of the view (points, relative to the view's top-left
    /// corner); `None`: the whole view.
    pub crop: Option<Rect>,
    /// Where to write; `None`: ask with a save dialog.
    pub path: Option<std::path::PathBuf>,
    /// What the image shows, for the default file name ("traffic",
    /// "traffic_speed").
    pub name: String,
}

/// Draws `draw` into an image of `size` points at `scale` pixels per point.
pub fn render(
    gl: &Arc<glow::Context>,
    main: &egui::Context,
    fonts: &CjkFontStatus,
    size: Vec2,
    scale: f32,
    framebuffer_px: [u32; 2],
    mut draw: impl FnMut(&mut egui::Ui),
) -> Result<ColorImage, String> {
    let w = (size.x * scale).round();
    let h = (size.y * scale).round();
    if !(w >= 1.0 && h >= 1.0) {
        return Err("the view has no area to draw".to_owned());
    }
    if w > MAX_SIDE as f32 || h > MAX_SIDE as f32 {
        return Err(format!(
            "{w:.0} × {h:.0} pixels is larger than {MAX_SIDE} on a side; choose a smaller scale"
        ));
    }
    let (w, h) = (w as u32, h as u32);
    let [fw, fh] = framebuffer_px;
    if fw == 0 || fh == 0 {
        return Err("the window has no area to draw with".to_owned());
    }

    let off = egui::Context::default();
    // The window's memory (scroll offsets, plot bounds, open sections), so
    // the image shows the view as it is on screen, minus any open menu.
    off.memory_mut(|m| *m = main.memory(Clone::clone));
    egui::Popup::close_all(&off);
    off.options_mut(|o| o.zoom_factor = 1.0);
    fonts.install_into(&off);
    let mut painter =
        egui_glow::Painter::new(Arc::clone(gl), "", None, false).map_err(|e| e.to_string())?;
    let screen = Rect::from_min_size(Pos2::ZERO, size);
    let mut to_free = Vec::new();
    let mut last = None;
    // Three passes: text measured, plots' bounds settled, then drawn.
    for _ in 0..3 {
        let mut input = egui::RawInput {
            screen_rect: Some(screen),
            ..Default::default()
        };
        input
            .viewports
            .entry(ViewportId::ROOT)
            .or_default()
            .native_pixels_per_point = Some(scale);
        let mut full = off.run_ui(input, |ui| draw(ui));
        for (id, images) in full.textures_delta.set.drain() {
            for image in &images {
                painter.set_texture(id, image);
            }
        }
        to_free.extend(full.textures_delta.free.drain());
        last = Some((full.shapes, full.pixels_per_point));
    }
    let Some((shapes, ppp)) = last else {
        painter.destroy();
        return Err("nothing was drawn".to_owned());
    };
    let primitives = off.tessellate(shapes, ppp);
    let background = egui::Rgba::from(main.global_style().visuals.panel_fill).to_array();
    let mut image = ColorImage::filled([w as usize, h as usize], Color32::BLACK);
    let mut ty = 0;
    while ty < h {
        let mut tx = 0;
        while tx < w {
            let shift = Vec2::new(-(tx as f32) / ppp, -(ty as f32) / ppp);
            let tile: Vec<ClippedPrimitive> = primitives
                .iter()
                .map(|p| {
                    let mut p = p.clone();
                    p.clip_rect = p.clip_rect.translate(shift);
                    if let Primitive::Mesh(m) = &mut p.primitive {
                        m.translate(shift);
                    }
                    p
                })
                .collect();
            painter.clear([fw, fh], background);
            painter.paint_primitives([fw, fh], ppp, &tile);
            let shot = painter.read_screen_rgba([fw, fh]);
            let cw = fw.min(w - tx) as usize;
            let ch = fh.min(h - ty) as usize;
            for row in 0..ch {
                let src = &shot.pixels[row * fw as usize..row * fw as usize + cw];
                let at = (ty as usize + row) * w as usize + tx as usize;
                for (d, s) in image.pixels[at..at + cw].iter_mut().zip(src) {
                    let [r, g, b, _] = s.to_array();
                    *d = Color32::from_rgb(r, g, b);
                }
            }
            tx += fw;
        }
        ty += fh;
    }
    for id in to_free {
        painter.free_texture(id);
    }
    painter.destroy();
    Ok(image)
}

/// The part of `image` (drawn at `scale`) inside `crop` (points).
pub fn crop(image: &ColorImage, crop: Rect, scale: f32) -> Option<ColorImage> {
    let [w, h] = image.size;
    let x0 = ((crop.min.x * scale).floor().max(0.0) as usize).min(w);
    let y0 = ((crop.min.y * scale).floor().max(0.0) as usize).min(h);
    let x1 = ((crop.max.x * scale).ceil().max(0.0) as usize).min(w);
    let y1 = ((crop.max.y * scale).ceil().max(0.0) as usize).min(h);
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        pixels.extend_from_slice(&image.pixels[y * w + x0..y * w + x1]);
    }
    Some(ColorImage::new([x1 - x0, y1 - y0], pixels))
}

/// Where a view's context menu leaves its request for the app, and where
/// the app leaves the view's top-left corner (egui's per-frame memory, so
/// drawing code needs no handle to the app).
fn request_id() -> egui::Id {
    egui::Id::unique("cityops_png_request")
}

fn origin_id() -> egui::Id {
    egui::Id::unique("cityops_view_origin")
}

/// Records the view's top-left corner for this frame (the app, before it
/// draws the view).
pub fn set_view_origin(ctx: &egui::Context, origin: Pos2) {
    ctx.data_mut(|d| d.insert_temp(origin_id(), origin));
}

/// A request made from a context menu this frame, if any.
pub fn take_request(ctx: &egui::Context) -> Option<PngRequest> {
    ctx.data_mut(|d| {
        let req = d.get_temp::<PngRequest>(request_id());
        d.remove::<PngRequest>(request_id());
        req
    })
}

/// A request to save `area` (on screen, this frame) of the view as a PNG
/// at `scale`, asking where.
pub fn request_for(ctx: &egui::Context, area: Rect, name: &str, scale: f32) -> PngRequest {
    let origin = ctx
        .data(|d| d.get_temp::<Pos2>(origin_id()))
        .unwrap_or(Pos2::ZERO);
    PngRequest {
        scale,
        crop: Some(area.expand(4.0).translate(-origin.to_vec2())),
        path: None,
        name: name.to_owned(),
    }
}

/// A right-click menu on a plot (`response`) that saves `area` (the plot
/// with its axes, on screen) as a PNG at a chosen scale. `name` goes into
/// the default file name.
pub fn context_menu(response: &egui::Response, area: Rect, name: &str) {
    response.context_menu(|ui| {
        ui.label(super::i18n::tr("Save this plot as a PNG:"));
        for scale in SCALES {
            let label = if scale == 1.0 {
                super::i18n::tr("PNG, as on screen (1×)…").to_owned()
            } else {
                crate::trf!("PNG, {}× sharper for slides…", scale)
            };
            if ui.button(label).clicked() {
                let req = request_for(ui.ctx(), area, name, scale);
                ui.ctx().data_mut(|d| d.insert_temp(request_id(), req));
                ui.close();
            }
        }
    });
}

/// `name` with everything but letters, digits and `-` replaced by `_`, for
/// a file name that works on every system.
pub fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A file name for the export: what it shows and today's date.
pub fn default_file_name(name: &str, scale: f32) -> String {
    format!(
        "cityops_{}_{}_{scale:.0}x.png",
        file_stem(name),
        jiff::Zoned::now().strftime("%Y-%m-%d")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cropping_takes_the_scaled_rectangle_and_stays_inside() {
        let mut img = ColorImage::filled([40, 20], Color32::BLACK);
        img.pixels[5 * 40 + 10] = Color32::RED;
        let c = crop(
            &img,
            Rect::from_min_max(Pos2::new(5.0, 2.5), Pos2::new(10.0, 5.0)),
            2.0,
        )
        .expect("inside");
        assert_eq!(c.size, [10, 5]);
        assert_eq!(c.pixels[0], Color32::RED);
        let edge = crop(
            &img,
            Rect::from_min_max(Pos2::new(15.0, 8.0), Pos2::new(50.0, 50.0)),
            2.0,
        )
        .expect("clipped");
        assert_eq!(edge.size, [10, 4]);
        assert!(
            crop(
                &img,
                Rect::from_min_max(Pos2::new(30.0, 0.0), Pos2::new(40.0, 5.0)),
                2.0
            )
            .is_none()
        );
    }

    #[test]
    fn file_names_say_what_and_when() {
        let n = default_file_name("traffic speed", 2.0);
        assert!(
            n.starts_with("cityops_traffic_speed_20") && n.ends_with("_2x.png"),
            "{n}"
        );
    }
}
