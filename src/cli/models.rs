//! `cityops models [--dir DIR] [--json]` lists the local models;
//! `cityops models --remote BASE_URL [--token T] [--json]` lists a serving
//! engine's models with their inputs and outputs.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{Context, Failure};
use crate::models::bundle;
use crate::models::registry;
use crate::models::remote::V2Client;

#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// The local models folder.
    #[arg(long, default_value = "models", value_name = "DIR")]
    pub dir: PathBuf,
    /// A V2 serving engine (KServe, Triton, MLServer, cityops serve) instead.
    #[arg(long, value_name = "BASE_URL")]
    pub remote: Option<String>,
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Allow plain http to a server other than this machine (trusted networks only).
    #[arg(long, requires = "remote")]
    pub allow_http: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Local {
    name: String,
    kind: String,
    path: String,
    error: Option<String>,
    task: Option<String>,
    target: Option<String>,
}

pub fn run(args: ModelsArgs) -> Result<(), Failure> {
    let Some(base) = &args.remote else {
        let list: Vec<Local> = registry::scan(&args.dir)
            .into_iter()
            .map(|e| {
                let kind = bundle::card_kind(&e.card_path).unwrap_or_else(|_| "unknown".to_owned());
                let (task, target, error) = match (&kind[..], &e.card) {
                    ("tabular", Ok(c)) => (
                        Some(c.task.name().to_owned()),
                        Some(c.target.column().to_owned()),
                        None,
                    ),
                    ("tabular", Err(err)) => (None, None, Some(err.to_string())),
                    _ => (None, None, None),
                };
                Local {
                    name: e.name(),
                    kind,
                    path: e.card_path.display().to_string(),
                    error,
                    task,
                    target,
                }
            })
            .collect();
        if args.json {
            println!("{}", serde_json::to_string_pretty(&list)?);
        } else if list.is_empty() {
            println!("no models in {}", args.dir.display());
        } else {
            for m in list {
                match m.error {
                    Some(e) => println!("{:<28} {:<12} cannot be read: {e}", m.name, m.kind),
                    None => println!(
                        "{:<28} {:<12} {} {}",
                        m.name,
                        m.kind,
                        m.task.unwrap_or_default(),
                        m.target.map(|t| format!("'{t}'")).unwrap_or_default()
                    ),
                }
            }
        }
        return Ok(());
    };
    let client =
        V2Client::new(base, args.token.clone()).map(|c| c.allow_insecure_http(args.allow_http))?;
    let rt = crate::jobs::runtime().context("cannot start the network runtime")?;
    let result = rt.block_on(async {
        let names = client.list_models().await?;
        let mut metas = Vec::new();
        for n in names {
            metas.push(client.metadata(&n).await?);
        }
        Ok::<_, crate::models::remote::RemoteError>(metas)
    });
    let metas = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&metas)?);
        return Ok(());
    }
    for m in metas {
        println!("{} ({})", m.name, m.platform);
        for t in &m.inputs {
            println!("  in  {:<24} {:<6} {:?}", t.name, t.datatype, t.shape);
        }
        for t in &m.outputs {
            println!("  out {:<24} {:<6} {:?}", t.name, t.datatype, t.shape);
        }
    }
    Ok(())
}
