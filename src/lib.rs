//! cityops: a native desktop dashboard for city operations.
//!
//! One crate: this library (the core, the app and the command line) and a
//! thin binary in `main.rs`. This page is the map of the code as it stands;
//! the team's DESIGN.md is the intended direction.
//!
//! | module | owns | imports |
//! |---|---|---|
//! | [`data`] | `Table` and typed columns; CSV ingest (`csv_load`: the general loader with its warnings, unclosed-quote recovery and load counts; `csv_fast`: the one-pass, two-core path for large clean files, which gives the same result or defers), type inference (`infer`: the 95 % rule), `file` (only regular files, read through a bound), roles and domains (`schema`), date+time combining, pivot, time bucketing, decimation (gaps kept), AQI, alert rules, the demo city | std, csv, csv-core, jiff |
//! | [`charts`] | `ChartSpec` (serde), `compute` (spec + dataset + window → `ChartData`, buckets in the dataset's zone, gaps as NaN), `suggest` (the charts of any table), `ChartData::as_table` (every chart's accessible twin) | `data` |
//! | [`ml`] | features, the MLP on candle, trainer, metrics and baselines, forecasting, `dense` (CPU inference) | `data`, candle, gemm |
//! | [`recommend`] | sparse matrix, item/user cosine CF, popularity, explanations, ranking metrics | `data` |
//! | [`text`] | tokenising, word2vec and its formats, routing, topics, the BERT encoder | `data`, `ml`, candle |
//! | [`models`] | bundles (card + safetensors, every size checked against the file before anything is reserved), registry (a bad model is left out with its reason), fetch (staging names, `is_staging`), forecast alerts, remote V2 and embeddings clients | the core above, reqwest |
//! | [`jobs`] | `Job<T>`: background work with progress, cancel and result | std |
//! | [`serve`] | the V2 HTTP server over the models folder: `conn` (hyper connections with timeouts, a cap and a shutdown deadline), `guard` (body size and time, Host and Content-Type checks), `limits` (inference slots, shape and answer sizes), adapters, routes | `models`, axum, hyper |
//! | [`app`] | the eframe dashboard: views (Explore and Dashboards on `charts`, the domain views, Predict, Reports, Recommend, Models, Data), `panels` (a chart spec computed in the background and drawn, its table twin, the chart builder), `dashboards` (named `egui_tiles` trees of panels, saved in the workspace, version 2), widgets, i18n, PNG export, workspace | everything above, egui, egui_plot, egui_tiles |
//! | [`cli`] | one file per subcommand: a call into the core plus printing; `count` holds every count flag's range | everything but `app` (except to launch it) |
//!
//! Imports point down the table: `data` ← `charts`/`ml`/`recommend`/`text`
//! ← `models` ← `serve`/`app`/`cli`. Nothing in the core knows egui.
//!
//! Where the code departs from DESIGN.md: the V2 protocol is still written
//! twice (`models::remote` for the client, `serve::tensor` for the server);
//! the domain views (Overview, Traffic, Safety, Environment) are still
//! hand-written views, not default dashboards (a file the operator opens
//! gets a default dashboard of its suggested charts); `data::source`,
//! `jobs` running every long step of the
//! CLI, and the app's `state.rs`/`tasks.rs` split do not exist yet.

pub mod app;
pub mod charts;
pub mod cli;
pub mod data;
#[doc(hidden)]
pub mod fuzzing;
pub mod jobs;
pub mod ml;
pub mod models;
pub mod recommend;
pub mod serve;
pub mod text;
