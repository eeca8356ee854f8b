//! `cityops deploy --model models/NAME --to URL [--token T] [--json]`
//! (NAME: a model card, or a sentence encoder's folder):
//! uploads a model bundle (its card and weights) to a running `cityops
//! serve` (or any server with Triton's model repository extension that
//! takes uploaded files), which checks it, puts it in its models folder and
//! serves it without a restart. The bundle is loaded here first, so a
//! broken one is refused before anything is sent. Prints what the server
//! answered.

use std::path::PathBuf;

use clap::Args;

use super::Failure;

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The model: models/NAME (its NAME.json card and NAME.safetensors weights).
    #[arg(long, value_name = "models/NAME")]
    pub model: PathBuf,
    /// The server's base URL, e.g. https://models.city.example:8080.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The server's token (deploying always needs one); default: CITYOPS_TOKEN.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Allow plain http to other computers.
    #[arg(long)]
    pub allow_http: bool,
    /// Print the server's answer as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DeployArgs) -> Result<(), Failure> {
    // Checked as the server will check it, before anything is sent.
    let target = if args.model.is_dir() {
        crate::text::sentence::SentenceEncoder::load(&args.model)
            .map_err(|e| Failure::within(args.model.display(), e))?;
        args.model.clone()
    } else {
        let card = if args.model.extension().is_some_and(|e| e == "json") {
            args.model.clone()
        } else {
            args.model.with_extension("json")
        };
        match crate::serve::registry::load_card(&card) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(Failure::bad_input(format!(
                    "{}: this kind of model is served from a folder; deploy the folder itself",
                    card.display()
                )));
            }
            Err(e) => return Err(Failure::within(card.display(), e)),
        }
        card
    };
    let (name, files) = crate::models::remote::bundle_files(&target).map_err(Failure::bad_input)?;
    let token = args
        .token
        .or_else(|| std::env::var("CITYOPS_TOKEN").ok())
        .filter(|t| !t.trim().is_empty());
    let client =
        crate::models::remote::V2Client::new(&args.to, token)?.allow_insecure_http(args.allow_http);
    let rt = crate::jobs::runtime()?;
    let answer = rt.block_on(client.deploy(&name, &files))?;
    if args.json {
        println!("{answer}");
    } else {
        println!(
            "deployed '{name}' to {}: {} ({})",
            args.to,
            answer["state"].as_str().unwrap_or("?"),
            answer["kind"].as_str().unwrap_or("model")
        );
    }
    Ok(())
}
