//! cityops: a native desktop dashboard for city operations.
//!
//! The crate is a library (the core: data, jobs, …, and the app and CLI on
//! top) plus a thin binary in `main.rs`. Dependencies point one way:
//! `data` ← `jobs` ← `app`/`cli`. See DESIGN.md for the map.

pub mod app;
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
