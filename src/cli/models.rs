//! `cityops models [--dir DIR] [--json]` lists the local models (the folder
//! is found as `models::folder` says), described
//! from their cards by the registry (as the Models view lists them);
//! `cityops models --remove NAME` removes one (card and weights, or an
//! encoder's folder); `cityops models --remote BASE_URL [--token T]
//! [--json]` lists a serving engine's models with their inputs and
//! outputs.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::{Context, Failure};
use crate::models::registry::{self, Details, RegistryError};
use crate::models::remote::V2Client;

#[derive(Args, Debug)]
pub struct ModelsArgs {
    /// The local models folder (default: CITYOPS_MODELS, else the user's
    /// data folder, e.g. ~/.local/share/cityops/models).
    #[arg(long, visible_alias = "models", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// A V2 serving engine (KServe, Triton, MLServer, cityops serve) instead.
    #[arg(long, value_name = "BASE_URL")]
    pub remote: Option<String>,
    /// Remove this model from the local folder (its card and weights, or a
    /// sentence encoder's folder).
    #[arg(long, value_name = "NAME", conflicts_with = "remote")]
    pub remove: Option<String>,
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
    /// One line about the model, as listed.
    summary: Option<String>,
}

/// One line about a model, from what its card says.
fn summary(details: &Details) -> String {
    let or_dash = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    match details {
        Details::Tabular(c) => format!(
            "{} '{}' {} {} (baseline {})",
            c.task.name(),
            c.target.column(),
            c.headline_metric,
            c.metrics
                .get(&c.headline_metric)
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.4}")),
            c.baseline
                .get(&c.headline_metric)
                .map_or_else(|| "-".to_owned(), |v| format!("{v:.4}")),
        ),
        Details::Recommender {
            method,
            users,
            items,
            interactions,
            ..
        } => format!(
            "{} over {users} users x {items} items ({interactions} interactions)",
            method.key()
        ),
        Details::WordVectors { words, dim, .. } => format!("{words} words x {dim} dimensions"),
        Details::SentenceEncoder {
            model_type,
            layers,
            dim,
        } => format!(
            "{model_type} encoder, {} layers, {} dimensions",
            or_dash(*layers),
            or_dash(*dim)
        ),
    }
}

fn remove(dir: &std::path::Path, name: &str, json: bool) -> Result<(), Failure> {
    let removed = registry::remove(dir, name).map_err(|e| match e {
        RegistryError::BadName { .. } | RegistryError::NoSuchModel { .. } => {
            Failure::bad_input(e.to_string())
        }
        _ => Failure::other(e.to_string()),
    })?;
    if json {
        let paths: Vec<String> = removed.iter().map(|p| p.display().to_string()).collect();
        println!("{}", serde_json::json!({ "removed": paths }));
    } else {
        for p in removed {
            println!("removed {}", p.display());
        }
    }
    Ok(())
}

pub fn run(args: ModelsArgs) -> Result<(), Failure> {
    let Some(base) = &args.remote else {
        let dir = super::models_folder(args.dir.as_deref());
        if let Some(name) = &args.remove {
            return remove(&dir, name, args.json);
        }
        let list: Vec<Local> = registry::describe(&dir)
            .into_iter()
            .map(|d| {
                let (task, target) = match &d.details {
                    Ok(Details::Tabular(c)) => (
                        Some(c.task.name().to_owned()),
                        Some(c.target.column().to_owned()),
                    ),
                    _ => (None, None),
                };
                Local {
                    name: d.name,
                    kind: d.kind.map_or("unknown", |k| k.as_str()).to_owned(),
                    path: d.path.display().to_string(),
                    summary: d.details.as_ref().ok().map(summary),
                    error: d.details.err().map(|e| e.to_string()),
                    task,
                    target,
                }
            })
            .collect();
        if args.json {
            println!("{}", serde_json::to_string_pretty(&list)?);
        } else if list.is_empty() {
            println!("no models in {}", dir.display());
        } else {
            println!("models in {}:", dir.display());
            for m in list {
                match m.error {
                    Some(e) => println!("{:<28} {:<16} cannot be read: {e}", m.name, m.kind),
                    None => println!(
                        "{:<28} {:<16} {}",
                        m.name,
                        m.kind,
                        m.summary.unwrap_or_default()
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
