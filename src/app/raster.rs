//! A software rasterizer for egui's tessellated output, so a view, a panel
//! or a chart becomes a PNG without a window or a GPU: the app's PNG
//! export (drawn on the UI thread, rasterized in a background job) and
//! `cityops charts --out` / `cityops chart` (headless) share it.
//!
//! egui tessellates everything into triangles with premultiplied sRGBA
//! vertex colours and texture coordinates into its font atlas, with
//! anti-aliasing already in the meshes (a feathered edge one pixel wide).
//! Painting is then what egui's own GPU painters do: per pixel centre,
//! interpolate colour and texture coordinate, sample the texture
//! (bilinear or nearest, as its options say), multiply, and blend
//! premultiplied (`src + dst × (1 − src.a)`) in gamma space. Shared edges
//! follow the top-left rule, so a translucent fill made of two triangles is
//! not blended twice along its diagonal.

use std::collections::HashMap;

use egui::epaint::textures::TexturesDelta;
use egui::epaint::{ClippedPrimitive, ImageData, Primitive, TextureId, Vertex};
use egui::{Color32, ColorImage, TextureFilter};

/// The textures egui asked for, kept as images.
#[derive(Clone, Default)]
pub struct Textures {
    images: HashMap<TextureId, (ColorImage, TextureFilter)>,
}

impl Textures {
    /// Applies a frame's texture changes (whole images and patches).
    pub fn apply(&mut self, delta: &TexturesDelta) {
        for (id, d) in delta
            .set
            .iter()
            .flat_map(|(id, ds)| ds.iter().map(move |d| (id, d)))
        {
            let ImageData::Color(image) = &d.image;
            match d.pos {
                None => {
                    self.images
                        .insert(*id, ((**image).clone(), d.options.magnification));
                }
                Some([x0, y0]) => {
                    if let Some((target, _)) = self.images.get_mut(id) {
                        let [w, h] = image.size;
                        for y in 0..h {
                            for x in 0..w {
                                let (tx, ty) = (x0 + x, y0 + y);
                                if tx < target.size[0] && ty < target.size[1] {
                                    target.pixels[ty * target.size[0] + tx] =
                                        image.pixels[y * w + x];
                                }
                            }
                        }
                    }
                }
            }
        }
        for id in &delta.free {
            self.images.remove(id);
        }
    }

    /// The texel at (u, v), premultiplied, as floats 0–1.
    fn sample(&self, id: TextureId, u: f32, v: f32) -> [f32; 4] {
        let Some((image, filter)) = self.images.get(&id) else {
            return [1.0; 4];
        };
        let [w, h] = image.size;
        if w == 0 || h == 0 {
            return [1.0; 4];
        }
        let texel = |x: i64, y: i64| {
            let x = x.clamp(0, w as i64 - 1) as usize;
            let y = y.clamp(0, h as i64 - 1) as usize;
            image.pixels[y * w + x]
                .to_array()
                .map(|c| f32::from(c) / 255.0)
        };
        let (x, y) = (u * w as f32 - 0.5, v * h as f32 - 0.5);
        match filter {
            TextureFilter::Nearest => texel((x + 0.5).floor() as i64, (y + 0.5).floor() as i64),
            TextureFilter::Linear => {
                let (x0, y0) = (x.floor(), y.floor());
                let (fx, fy) = (x - x0, y - y0);
                let (x0, y0) = (x0 as i64, y0 as i64);
                let (a, b) = (texel(x0, y0), texel(x0 + 1, y0));
                let (c, d) = (texel(x0, y0 + 1), texel(x0 + 1, y0 + 1));
                std::array::from_fn(|i| {
                    let top = a[i] + (b[i] - a[i]) * fx;
                    let bottom = c[i] + (d[i] - c[i]) * fx;
                    top + (bottom - top) * fy
                })
            }
        }
    }
}

/// Paints `primitives` (positions in points) at `ppp` pixels per point
/// into an opaque image of `size` pixels over `background`; `offset`
/// (pixels) is the image's top-left corner in the drawing, for painting a
/// part of it.
pub fn paint(
    primitives: &[ClippedPrimitive],
    textures: &Textures,
    ppp: f32,
    size: [usize; 2],
    offset: [f32; 2],
    background: Color32,
) -> ColorImage {
    let [w, h] = size;
    let bg = background.to_array().map(|c| f32::from(c) / 255.0);
    let mut buf: Vec<[f32; 4]> = vec![[bg[0], bg[1], bg[2], 1.0]; w * h];
    for p in primitives {
        let Primitive::Mesh(mesh) = &p.primitive else {
            // Callbacks (custom GPU painting) are not used by cityops.
            continue;
        };
        let clip = [
            (p.clip_rect.min.x * ppp - offset[0]).max(0.0),
            (p.clip_rect.min.y * ppp - offset[1]).max(0.0),
            (p.clip_rect.max.x * ppp - offset[0]).min(w as f32),
            (p.clip_rect.max.y * ppp - offset[1]).min(h as f32),
        ];
        if clip[0] >= clip[2] || clip[1] >= clip[3] {
            continue;
        }
        let at = |v: &Vertex| [v.pos.x * ppp - offset[0], v.pos.y * ppp - offset[1]];
        for tri in mesh.indices.chunks_exact(3) {
            let (Some(a), Some(b), Some(c)) = (
                mesh.vertices.get(tri[0] as usize),
                mesh.vertices.get(tri[1] as usize),
                mesh.vertices.get(tri[2] as usize),
            ) else {
                continue;
            };
            triangle(&mut buf, w, clip, [a, b, c], at, mesh.texture_id, textures);
        }
    }
    let pixels = buf
        .into_iter()
        .map(|[r, g, b, _]| {
            let q = |c: f32| (c.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
            Color32::from_rgb(q(r), q(g), q(b))
        })
        .collect();
    ColorImage::new(size, pixels)
}

/// True for an edge that owns the pixels lying exactly on it (the top
/// and left edges of a triangle, in screen orientation).
fn owns_edge(from: [f32; 2], to: [f32; 2], clockwise: bool) -> bool {
    let (dx, dy) = (to[0] - from[0], to[1] - from[1]);
    let (dx, dy) = if clockwise { (dx, dy) } else { (-dx, -dy) };
    (dy == 0.0 && dx > 0.0) || dy < 0.0
}

fn triangle(
    buf: &mut [[f32; 4]],
    width: usize,
    clip: [f32; 4],
    v: [&Vertex; 3],
    at: impl Fn(&Vertex) -> [f32; 2],
    texture: TextureId,
    textures: &Textures,
) {
    let p = [at(v[0]), at(v[1]), at(v[2])];
    let edge = |a: [f32; 2], b: [f32; 2], x: f32, y: f32| {
        (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])
    };
    let area = edge(p[0], p[1], p[2][0], p[2][1]);
    if area.abs() < 1e-6 {
        return;
    }
    let clockwise = area > 0.0;
    let owns = [
        owns_edge(p[1], p[2], clockwise),
        owns_edge(p[2], p[0], clockwise),
        owns_edge(p[0], p[1], clockwise),
    ];
    let x0 = p
        .iter()
        .map(|q| q[0])
        .fold(f32::INFINITY, f32::min)
        .max(clip[0]);
    let x1 = p
        .iter()
        .map(|q| q[0])
        .fold(f32::NEG_INFINITY, f32::max)
        .min(clip[2]);
    let y0 = p
        .iter()
        .map(|q| q[1])
        .fold(f32::INFINITY, f32::min)
        .max(clip[1]);
    let y1 = p
        .iter()
        .map(|q| q[1])
        .fold(f32::NEG_INFINITY, f32::max)
        .min(clip[3]);
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let colors = v.map(|v| v.color.to_array().map(|c| f32::from(c) / 255.0));
    let uvs = v.map(|v| [v.uv.x, v.uv.y]);
    // Untextured shapes point every corner at the atlas's white texel.
    let flat_uv = uvs[0] == uvs[1] && uvs[1] == uvs[2];
    let flat_texel = flat_uv.then(|| textures.sample(texture, uvs[0][0], uvs[0][1]));
    let (px0, px1) = (
        (x0 - 0.5).ceil().max(0.0) as usize,
        (x1 - 0.5).floor() as i64,
    );
    let (py0, py1) = (
        (y0 - 0.5).ceil().max(0.0) as usize,
        (y1 - 0.5).floor() as i64,
    );
    if px1 < px0 as i64 || py1 < py0 as i64 {
        return;
    }
    // Edge functions step linearly across a row: evaluate once per row,
    // then add the step per pixel.
    let step = [
        -(p[2][1] - p[1][1]) / area,
        -(p[0][1] - p[2][1]) / area,
        -(p[1][1] - p[0][1]) / area,
    ];
    // One colour for the whole triangle (fills, most lines): no
    // interpolation per pixel.
    let flat_color = (colors[0] == colors[1] && colors[1] == colors[2]).then_some(colors[0]);
    let flat_src: Option<[f32; 4]> = flat_color
        .zip(flat_texel)
        .map(|(c, t)| std::array::from_fn(|i| c[i] * t[i]));
    if flat_src.is_some_and(|s| s[3] <= 0.0 && s[0] <= 0.0 && s[1] <= 0.0 && s[2] <= 0.0) {
        return;
    }
    for y in py0..=py1 as usize {
        let cy = y as f32 + 0.5;
        let cx0 = px0 as f32 + 0.5;
        let mut w = [
            edge(p[1], p[2], cx0, cy) / area,
            edge(p[2], p[0], cx0, cy) / area,
            edge(p[0], p[1], cx0, cy) / area,
        ];
        let row = y * width;
        for x in px0..=px1 as usize {
            let inside = (0..3).all(|i| w[i] > 0.0 || (w[i] == 0.0 && owns[i]));
            if inside {
                let src = flat_src.unwrap_or_else(|| {
                    let color: [f32; 4] = flat_color.unwrap_or_else(|| {
                        std::array::from_fn(|i| {
                            w[0] * colors[0][i] + w[1] * colors[1][i] + w[2] * colors[2][i]
                        })
                    });
                    let texel = flat_texel.unwrap_or_else(|| {
                        let u = w[0] * uvs[0][0] + w[1] * uvs[1][0] + w[2] * uvs[2][0];
                        let v = w[0] * uvs[0][1] + w[1] * uvs[1][1] + w[2] * uvs[2][1];
                        textures.sample(texture, u, v)
                    });
                    std::array::from_fn(|i| color[i] * texel[i])
                });
                if let Some(dst) = buf.get_mut(row + x) {
                    let keep = 1.0 - src[3];
                    for (d, s) in dst.iter_mut().zip(src) {
                        *d = s + *d * keep;
                    }
                }
            }
            for (wi, si) in w.iter_mut().zip(step) {
                *wi += si;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Pos2, Rect, pos2};

    fn quad(rect: Rect, color: Color32) -> ClippedPrimitive {
        let mut mesh = egui::Mesh::default();
        mesh.add_colored_rect(rect, color);
        ClippedPrimitive {
            clip_rect: Rect::EVERYTHING,
            primitive: Primitive::Mesh(mesh),
        }
    }

    #[test]
    fn a_rectangle_covers_its_pixels_once_even_translucent() {
        let red = Color32::from_rgba_premultiplied(128, 0, 0, 128);
        let prims = [quad(
            Rect::from_min_max(pos2(1.0, 1.0), pos2(3.0, 3.0)),
            red,
        )];
        let img = paint(
            &prims,
            &Textures::default(),
            1.0,
            [4, 4],
            [0.0, 0.0],
            Color32::BLACK,
        );
        // Inside: half-transparent red over black, blended once — the
        // diagonal of the two triangles is not darker or lighter.
        for (x, y) in [(1, 1), (2, 2), (1, 2), (2, 1)] {
            assert_eq!(
                img.pixels[y * 4 + x],
                Color32::from_rgb(128, 0, 0),
                "({x}, {y})"
            );
        }
        assert_eq!(img.pixels[0], Color32::BLACK);
        assert_eq!(img.pixels[3 * 4 + 3], Color32::BLACK);
    }

    #[test]
    fn the_clip_rectangle_and_the_scale_are_kept() {
        let mut p = quad(
            Rect::from_min_max(Pos2::ZERO, pos2(4.0, 4.0)),
            Color32::WHITE,
        );
        p.clip_rect = Rect::from_min_max(Pos2::ZERO, pos2(2.0, 4.0));
        let img = paint(
            &[p],
            &Textures::default(),
            2.0,
            [8, 8],
            [0.0, 0.0],
            Color32::BLACK,
        );
        assert_eq!(img.pixels[3], Color32::WHITE, "inside the clip, at 2×");
        assert_eq!(img.pixels[4], Color32::BLACK, "outside the clip");
    }
}
