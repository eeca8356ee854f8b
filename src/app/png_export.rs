//! A view, or one plot of it, drawn into a PNG at a chosen scale for slides.
//!
//! The window's own screenshot is only as sharp as the screen. Here the
//! view is laid out once more in a separate egui context (same style, same
//! fonts, the view's current data) at `scale` pixels per point and
//! tessellated on the UI thread ([`draw_view`]); a background job paints
//! the triangles into pixels with the software rasterizer (`raster`) and
//! writes the file. No GPU is involved, so the image may be larger than
//! the window, and the command line renders charts the same way without
//! a window ([`draw_offscreen`]).

use egui::{ClippedPrimitive, Color32, ColorImage, Pos2, Rect, Vec2, ViewportId};

use super::fonts::CjkFontStatus;
use super::raster;
pub use super::state::PngRequest;
use super::state::{Command, ViewCtx};

/// The scales offered (pixels per point of the view).
pub const SCALES: [f32; 4] = [1.0, 2.0, 3.0, 4.0];

/// The largest side of an exported image, in pixels (a 16k × 16k RGBA
/// image is 1 GiB; this keeps one under 256 MiB).
pub const MAX_SIDE: u32 = 8192;

/// A view (or a chart) laid out and tessellated at a scale, ready to be
/// painted into pixels off the UI thread (`raster`).
pub struct Drawn {
    primitives: Vec<ClippedPrimitive>,
    textures: raster::Textures,
    ppp: f32,
    size: [usize; 2],
    background: Color32,
}

impl Drawn {
    /// The whole image, or the part inside `crop` (points).
    pub fn paint(&self, crop: Option<Rect>) -> Option<ColorImage> {
        let (offset, size) = match crop {
            None => ([0.0, 0.0], self.size),
            Some(c) => {
                let x0 = (c.min.x * self.ppp).floor().max(0.0);
                let y0 = (c.min.y * self.ppp).floor().max(0.0);
                let x1 = (c.max.x * self.ppp).ceil().min(self.size[0] as f32);
                let y1 = (c.max.y * self.ppp).ceil().min(self.size[1] as f32);
                if x1 - x0 < 1.0 || y1 - y0 < 1.0 {
                    return None;
                }
                ([x0, y0], [(x1 - x0) as usize, (y1 - y0) as usize])
            }
        };
        Some(raster::paint(
            &self.primitives,
            &self.textures,
            self.ppp,
            size,
            offset,
            self.background,
        ))
    }
}

/// Lays out `draw` in a context of its own (set up by `setup`: style,
/// fonts, memory) on `size` points at `scale` pixels per point, and
/// tessellates it. No window or GPU is needed, so this also serves the
/// command line.
pub fn draw_offscreen(
    setup: impl FnOnce(&egui::Context),
    size: Vec2,
    scale: f32,
    draw: impl FnMut(&mut egui::Ui),
) -> Result<Drawn, String> {
    draw_offscreen_until(setup, size, scale, None, draw).map(|(d, _)| d)
}

/// [`draw_offscreen`], drawing again while a map waits for basemap tiles,
/// up to `wait`; also says what of the basemap is missing at the end
/// (tiles that failed, or that had not arrived), if anything.
pub fn draw_offscreen_until(
    setup: impl FnOnce(&egui::Context),
    size: Vec2,
    scale: f32,
    wait: Option<std::time::Duration>,
    mut draw: impl FnMut(&mut egui::Ui),
) -> Result<(Drawn, Option<String>), String> {
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
    let off = egui::Context::default();
    setup(&off);
    // Maps drawn here make their tiles at once from those loaded lately
    // (see `widgets::tiles`); the window loads its own in the background.
    off.data_mut(|d| d.insert_temp(offscreen_id(), true));
    off.options_mut(|o| o.zoom_factor = 1.0);
    let screen = Rect::from_min_size(Pos2::ZERO, size);
    let mut textures = raster::Textures::default();
    let mut last = None;
    let pending = egui::Id::unique(super::widgets::map::TILES_PENDING);
    let deadline = wait.map(|w| std::time::Instant::now() + w);
    let mut missing = false;
    // Whether tiles arrived since the last frame drawn (one more frame).
    let mut arrived = false;
    // Three passes: text measured, plots' bounds settled, then drawn; more
    // while tiles arrive.
    for pass in 0.. {
        if pass >= 3 {
            let waiting = off
                .data_mut(|d| d.remove_temp::<bool>(pending))
                .unwrap_or(false);
            missing = waiting;
            let in_time = deadline.is_some_and(|end| std::time::Instant::now() < end);
            if waiting && in_time {
                std::thread::sleep(std::time::Duration::from_millis(50));
                arrived = true;
            } else if arrived && !waiting {
                arrived = false;
            } else {
                break;
            }
        } else {
            off.data_mut(|d| d.remove_temp::<bool>(pending));
        }
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
        textures.apply(&full.textures_delta);
        full.textures_delta.clear();
        last = Some((full.shapes, full.pixels_per_point));
    }
    let Some((shapes, ppp)) = last else {
        return Err("nothing was drawn".to_owned());
    };
    let failed =
        off.data_mut(|d| d.get_temp::<String>(egui::Id::unique(super::widgets::map::TILES_FAILED)));
    let problem = failed.or_else(|| {
        missing.then(|| {
            "some basemap tiles had not arrived in time (the server is slow or unreachable)"
                .to_owned()
        })
    });
    Ok((
        Drawn {
            primitives: off.tessellate(shapes, ppp),
            textures,
            ppp,
            size: [w as usize, h as usize],
            background: off.global_style().visuals.panel_fill,
        },
        problem,
    ))
}

/// Lays out a view of the window (`main`) as it is on screen — its memory
/// (scroll offsets, plot bounds, open sections), style and fonts, minus
/// any open menu — for a PNG.
pub fn draw_view(
    main: &egui::Context,
    fonts: &CjkFontStatus,
    size: Vec2,
    scale: f32,
    draw: impl FnMut(&mut egui::Ui),
) -> Result<Drawn, String> {
    draw_offscreen(
        |off| {
            off.memory_mut(|m| *m = main.memory(Clone::clone));
            egui::Popup::close_all(off);
            fonts.install_into(off);
        },
        size,
        scale,
        draw,
    )
}

/// Set in the memory of a context drawing offscreen (a PNG, the command
/// line), where waiting for a frame to come is no use.
pub fn offscreen_id() -> egui::Id {
    egui::Id::unique("cityops_offscreen")
}

/// Whether `ctx` draws offscreen (see [`offscreen_id`]).
pub fn is_offscreen(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp::<bool>(offscreen_id()))
        .unwrap_or(false)
}

/// Where the app leaves the view's top-left corner for this frame
/// (egui's per-frame memory, so drawing code needs no handle to the app).
fn origin_id() -> egui::Id {
    egui::Id::unique("cityops_view_origin")
}

/// Records the view's top-left corner for this frame (the app, before it
/// draws the view).
pub fn set_view_origin(ctx: &egui::Context, origin: Pos2) {
    ctx.data_mut(|d| d.insert_temp(origin_id(), origin));
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
/// with its axes, on screen) as a PNG at a chosen scale, sent to the app
/// as a command. `name` goes into the default file name.
pub fn context_menu(ctx: &ViewCtx<'_>, response: &egui::Response, area: Rect, name: &str) {
    response.context_menu(|ui| {
        ui.label(super::i18n::tr("Save this plot as a PNG:"));
        for scale in SCALES {
            let label = if scale == 1.0 {
                super::i18n::tr("PNG, as on screen (1×)…").to_owned()
            } else {
                crate::trf!("PNG, {}× sharper for slides…", scale)
            };
            if ui.button(label).clicked() {
                ctx.send(Command::ExportPng(request_for(ui.ctx(), area, name, scale)));
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
    fn a_drawing_is_painted_whole_or_in_part_at_its_scale() {
        let drawn = draw_offscreen(
            |ctx| ctx.set_visuals(egui::Visuals::dark()),
            Vec2::new(40.0, 20.0),
            2.0,
            |ui| {
                let r = Rect::from_min_max(Pos2::new(5.0, 2.5), Pos2::new(10.0, 5.0));
                ui.painter().rect_filled(r, 0.0, Color32::RED);
            },
        )
        .unwrap();
        let whole = drawn.paint(None).unwrap();
        assert_eq!(whole.size, [80, 40]);
        assert_eq!(whole.pixels[6 * 80 + 12], Color32::RED);
        let part = drawn
            .paint(Some(Rect::from_min_max(
                Pos2::new(5.0, 2.5),
                Pos2::new(10.0, 5.0),
            )))
            .unwrap();
        assert_eq!(part.size, [10, 5]);
        assert_eq!(part.pixels[0], Color32::RED);
        let edge = drawn
            .paint(Some(Rect::from_min_max(
                Pos2::new(35.0, 8.0),
                Pos2::new(50.0, 50.0),
            )))
            .unwrap();
        assert_eq!(edge.size, [10, 24], "clipped to the drawing");
        assert!(
            drawn
                .paint(Some(Rect::from_min_max(
                    Pos2::new(45.0, 0.0),
                    Pos2::new(50.0, 5.0)
                )))
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
