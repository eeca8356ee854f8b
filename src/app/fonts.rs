//! Chinese text needs a CJK font, which egui does not bundle. At start a
//! background thread looks for one among the common system font files and
//! adds it as a fallback; until then (or without one) Chinese shows as
//! boxes and the Data view says which package to install.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
use egui::{FontData, FontFamily};

/// Font files that cover Simplified Chinese, best first (Debian, Fedora,
/// Arch, macOS, Windows locations).
const CANDIDATES: [&str; 12] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// Where the CJK font search stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CjkFont {
    Searching,
    Loaded,
    NotFound,
}

#[derive(Clone, Default)]
pub struct CjkFontStatus(Arc<AtomicU8>, Arc<std::sync::OnceLock<Vec<u8>>>);

impl CjkFontStatus {
    pub fn get(&self) -> CjkFont {
        match self.0.load(Ordering::Acquire) {
            1 => CjkFont::Loaded,
            2 => CjkFont::NotFound,
            _ => CjkFont::Searching,
        }
    }

    fn set(&self, s: CjkFont) {
        let v = match s {
            CjkFont::Searching => 0,
            CjkFont::Loaded => 1,
            CjkFont::NotFound => 2,
        };
        self.0.store(v, Ordering::Release);
    }
}

impl CjkFontStatus {
    /// Adds the font found (if any) to another context, such as the one
    /// that draws a view into a PNG.
    pub fn install_into(&self, ctx: &egui::Context) {
        if let Some(bytes) = self.1.get() {
            add_cjk_font(ctx, bytes.clone());
        }
    }
}

/// Adds a CJK font as the last fallback of both families.
fn add_cjk_font(ctx: &egui::Context, bytes: Vec<u8>) {
    let families = [FontFamily::Proportional, FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily {
            family,
            priority: FontPriority::Lowest,
        })
        .collect();
    ctx.add_font(FontInsert::new(
        "system-cjk",
        FontData::from_owned(bytes),
        families,
    ));
}

/// The first CJK font file found on this system, read whole.
pub fn find_cjk_font() -> Option<Vec<u8>> {
    CANDIDATES
        .iter()
        .map(Path::new)
        .find_map(|p| std::fs::read(p).ok().filter(|b| b.len() > 1024))
}

/// Adds the system's CJK font (if any) to `ctx` now: for drawing without
/// a window, where nothing waits for a background search.
pub fn install_cjk_font_now(ctx: &egui::Context) -> bool {
    find_cjk_font()
        .map(|bytes| add_cjk_font(ctx, bytes))
        .is_some()
}

/// Starts the search; the status turns `Loaded` or `NotFound`.
pub fn load_cjk_font_in_background(ctx: &egui::Context) -> CjkFontStatus {
    let status = CjkFontStatus::default();
    let s = status.clone();
    let ctx = ctx.clone();
    let spawned = std::thread::Builder::new()
        .name("cityops-fonts".to_owned())
        .spawn(move || {
            match find_cjk_font() {
                Some(bytes) => {
                    add_cjk_font(&ctx, bytes.clone());
                    let _ = s.1.set(bytes);
                    s.set(CjkFont::Loaded);
                }
                None => s.set(CjkFont::NotFound),
            }
            ctx.request_repaint();
        });
    if spawned.is_err() {
        status.set(CjkFont::NotFound);
    }
    status
}
