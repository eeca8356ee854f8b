//! `cityops serve [--models DIR] [--addr 127.0.0.1:8080] [--token TOKEN]`:
//! serves every model in the folder over the Open Inference Protocol V2
//! until Ctrl-C.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use crate::serve::{ServeConfig, ServeError};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The models folder to serve.
    #[arg(long, default_value = "models", value_name = "DIR")]
    pub models: PathBuf,
    /// Address to listen on; anything but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,
    /// Require `Authorization: Bearer TOKEN` on every model request.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_body_bytes: usize,
}

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let addr = args.addr.parse().map_err(|e| {
        Failure::bad_input(format!(
            "--addr '{}' is not HOST:PORT ({e}); for example 127.0.0.1:8080",
            args.addr
        ))
    })?;
    let cfg = ServeConfig {
        models_dir: args.models,
        addr,
        token: args.token.filter(|t| !t.is_empty()),
        max_body_bytes: args.max_body_bytes,
        ..ServeConfig::default()
    };
    let rt = crate::jobs::runtime()
        .map_err(|e| Failure::other(format!("cannot start the network runtime: {e}")))?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("cityops serve: shutting down");
    };
    rt.block_on(crate::serve::serve(cfg, shutdown))
        .map_err(|e| match e {
            ServeError::NonLoopbackWithoutToken { .. } => Failure::bad_input(e.to_string()),
            _ => Failure::other(e.to_string()),
        })
}
