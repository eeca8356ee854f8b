//! `cityops fetch URL [--sha256 HEX] [--out DIR]`: downloads a model card
//! and its weights (or any one model file) into the models folder,
//! verified, atomically.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::progress::TerminalProgress;
use crate::models::fetch::{self, FetchError, FetchOptions};

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// A model card (NAME.json, its weights come along) or any model file.
    pub url: String,
    /// The expected sha256 of the file (hex).
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// The folder to save into.
    #[arg(long, default_value = "models", value_name = "DIR")]
    pub out: PathBuf,
    /// Allow plain http to hosts other than this machine.
    #[arg(long)]
    pub allow_http: bool,
    /// URL is the base of a sentence-encoder folder (Hugging Face layout:
    /// URL/config.json, URL/tokenizer.json, URL/model.safetensors); save it
    /// as OUT/NAME. --sha256 then checks model.safetensors.
    #[arg(long, value_name = "NAME")]
    pub folder: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: FetchArgs) -> Result<(), Failure> {
    if let Some(h) = &args.sha256
        && (h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Failure::bad_input("--sha256 takes 64 hexadecimal digits"));
    }
    let opts = FetchOptions {
        sha256: args.sha256.clone().map(|h| h.to_lowercase()),
        allow_http: args.allow_http,
        ..FetchOptions::default()
    };
    let rt = crate::jobs::runtime()
        .map_err(|e| Failure::other(format!("cannot start the network runtime: {e}")))?;
    let progress = TerminalProgress::new(format!("Downloading {}", args.url));
    let result = match &args.folder {
        Some(name) => rt.block_on(fetch::fetch_folder(
            &args.url, &args.out, name, &opts, &progress,
        )),
        None => rt.block_on(fetch::fetch(&args.url, &args.out, &opts, &progress)),
    };
    progress.finish();
    let outcome = result.map_err(|e| match e {
        FetchError::Io { .. } => Failure::other(e.to_string()),
        _ => Failure::bad_input(e.to_string()),
    })?;
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
