//! `cityops serve [--models DIR] [--addr 127.0.0.1:8080] [--token TOKEN]
//! [--max-body-bytes N] [--shutdown-deadline-secs S]`:
//! serves every model in the folder over the Open Inference Protocol V2
//! until Ctrl-C or SIGTERM; requests in flight then get the server's
//! shutdown deadline to finish.

use std::path::PathBuf;

use clap::Args;

use super::{Context, Failure};
use crate::serve::ServeConfig;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The models folder to serve (default: CITYOPS_MODELS, else the user's
    /// data folder, e.g. ~/.local/share/cityops/models).
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Address to listen on; anything but loopback needs --token.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,
    /// Require `Authorization: Bearer TOKEN` on every model request.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_body_bytes: usize,
    /// After Ctrl-C or SIGTERM, how long requests in flight may take to
    /// finish before the open connections are dropped, in seconds.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub shutdown_deadline_secs: f64,
}

/// The longest shutdown deadline taken.
const MAX_SHUTDOWN_DEADLINE_SECS: f64 = 3600.0;

pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let addr = args.addr.parse().map_err(|e| {
        Failure::bad_input(format!(
            "--addr '{}' is not HOST:PORT ({e}); for example 127.0.0.1:8080",
            args.addr
        ))
    })?;
    let deadline = args.shutdown_deadline_secs;
    if !(0.0..=MAX_SHUTDOWN_DEADLINE_SECS).contains(&deadline) {
        return Err(Failure::bad_input(format!(
            "--shutdown-deadline-secs {deadline} is not a number of seconds from 0 to {MAX_SHUTDOWN_DEADLINE_SECS}; for example 10"
        )));
    }
    let models = super::models_folder(args.models.as_deref());
    let cfg = ServeConfig {
        models_dir: models,
        addr,
        token: args.token.filter(|t| !t.is_empty()),
        max_body_bytes: args.max_body_bytes,
        shutdown_deadline: std::time::Duration::from_secs_f64(deadline),
        ..ServeConfig::default()
    };
    let rt = crate::jobs::runtime().context("cannot start the network runtime")?;
    let shutdown = async {
        shutdown_signal().await;
        eprintln!("cityops serve: shutting down");
    };
    Ok(rt.block_on(crate::serve::serve(cfg, shutdown))?)
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM. A signal that cannot
/// be listened for is logged, and the other still stops the server.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("warning: cannot listen for Ctrl-C ({e}); stop the server with SIGTERM");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                eprintln!("warning: cannot listen for SIGTERM ({e}); stop the server with Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
