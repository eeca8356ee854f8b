//! For the download and client tests: a router served on a fresh loopback
//! port inside the test.

#![allow(clippy::unwrap_used)]

/// Serves `router` on 127.0.0.1 (a free port); returns `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}
