//! A raster tile server on loopback for the basemap tests: one colour of
//! PNG tile for every `/{z}/{x}/{y}.png`, or 404s.

#![allow(dead_code, clippy::unwrap_used)] // each test crate uses some of these

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A PNG tile of one colour.
pub fn tile_png(rgb: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, 256, 256);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    let data: Vec<u8> = std::iter::repeat_n(rgb, 256 * 256).flatten().collect();
    w.write_image_data(&data).unwrap();
    w.finish().unwrap();
    out
}

/// Serves `/{z}/{x}/{y}.png` on loopback: magenta tiles, or 404s when
/// `fail`; returns the URL template, the count of requests and a handle
/// that stops the server when dropped.
pub fn tile_server(fail: bool) -> (String, Arc<AtomicUsize>, tokio::runtime::Runtime) {
    tile_server_slow(fail, std::time::Duration::ZERO)
}

/// [`tile_server`] answering each tile after `delay`, as a server across
/// the network would.
pub fn tile_server_slow(
    fail: bool,
    delay: std::time::Duration,
) -> (String, Arc<AtomicUsize>, tokio::runtime::Runtime) {
    use axum::routing::get;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let tile = tile_png([255, 0, 255]);
    let app = axum::Router::new().route(
        "/{z}/{x}/{y}",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let tile = tile.clone();
            async move {
                tokio::time::sleep(delay).await;
                if fail {
                    (axum::http::StatusCode::NOT_FOUND, Vec::new())
                } else {
                    (axum::http::StatusCode::OK, tile)
                }
            }
        }),
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, app).await });
    (
        format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"),
        hits,
        rt,
    )
}
