//! `cityops fetch URL [--sha256 HEX] [--out DIR]`: downloads a model card
//! and its weights (or any one model file) into the models folder (see
//! `models::folder` for where it is),
//! verified, atomically. Ctrl-C or SIGTERM stops the download and removes
//! its staging files (the fetch future is dropped, and its guards delete
//! them) before the process exits.

use std::path::PathBuf;

use clap::Args;

use super::count::{MAX_DEADLINE_SECS, count};
use super::progress::TerminalProgress;
use super::{Context, Failure};
use crate::models::fetch::{self, FetchOptions};

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// A model card (NAME.json, its weights come along) or any model file.
    pub url: String,
    /// The expected sha256 of the file (hex).
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// The folder to save into (default: the models folder: CITYOPS_MODELS,
    /// else the user's data folder, e.g. ~/.local/share/cityops/models).
    #[arg(long, visible_alias = "models", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Allow plain http to hosts other than this machine.
    #[arg(long)]
    pub allow_http: bool,
    /// URL is the base of a sentence-encoder folder (Hugging Face layout:
    /// URL/config.json, URL/tokenizer.json, URL/model.safetensors); save it
    /// as OUT/NAME. --sha256 then checks model.safetensors.
    #[arg(long, value_name = "NAME")]
    pub folder: Option<String>,
    /// Replace a model of the same name already in the folder.
    #[arg(long)]
    pub force: bool,
    /// Give up when the whole download has not finished after this many seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS", value_parser = count(1, MAX_DEADLINE_SECS))]
    pub deadline_secs: usize,
    #[arg(long)]
    pub json: bool,
}

/// Resolves when the user asks the process to stop: Ctrl-C, or SIGTERM on Unix.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Exit code after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: u8 = 130;

pub fn run(args: FetchArgs) -> Result<(), Failure> {
    if let Some(h) = &args.sha256
        && (h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Failure::bad_input("--sha256 takes 64 hexadecimal digits"));
    }
    let opts = FetchOptions {
        sha256: args.sha256.clone().map(|h| h.to_lowercase()),
        allow_http: args.allow_http,
        force: args.force,
        deadline: std::time::Duration::from_secs(args.deadline_secs as u64),
        ..FetchOptions::default()
    };
    let out = super::models_folder(args.out.as_deref());
    let rt = crate::jobs::runtime().context("cannot start the network runtime")?;
    let progress = TerminalProgress::new(format!("Downloading {}", args.url));
    let result = rt.block_on(async {
        let download = async {
            match &args.folder {
                Some(name) => fetch::fetch_folder(&args.url, &out, name, &opts, &progress).await,
                None => fetch::fetch(&args.url, &out, &opts, &progress).await,
            }
        };
        // Leaving the select drops the download, which removes its files.
        tokio::select! {
            r = download => Some(r),
            () = stop_requested() => None,
        }
    });
    progress.finish();
    let Some(result) = result else {
        return Err(Failure {
            code: EXIT_INTERRUPTED,
            message: format!("{}: interrupted; nothing was saved.", args.url),
        });
    };
    let outcome = result?;
    if args.json {
        let files: Vec<serde_json::Value> = outcome
            .files
            .iter()
            .zip(&outcome.sha256)
            .map(|(f, h)| serde_json::json!({"path": f.display().to_string(), "sha256": h}))
            .collect();
        println!(
            "{}",
            serde_json::json!({"files": files, "verified": outcome.verified})
        );
    } else {
        for (f, h) in outcome.files.iter().zip(&outcome.sha256) {
            println!("{}  sha256 {h}", f.display());
        }
        if !outcome.verified {
            eprintln!(
                "no checksum was given or recorded: compare the sha256 above with the publisher's before use"
            );
        }
    }
    Ok(())
}
