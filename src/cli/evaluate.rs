//! `cityops evaluate --model models/NAME --data FILE`: the model's metrics
//! on a table that has the target, next to the baseline's.

use std::path::PathBuf;

use clap::Args;

use super::train::{Report, print_evaluation};
use super::{Failure, dataset_arg, parse_time_zone};
use crate::data::LoadOptions;
use crate::models::bundle;

#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The model bundle (models/NAME).
    #[arg(long, value_name = "models/NAME")]
    pub model: PathBuf,
    /// The table with the target column: a CSV file or demo:NAME.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

pub fn run(args: EvaluateArgs) -> Result<(), Failure> {
    let b = bundle::load_bundle(&args.model)?;
    let opts = LoadOptions {
        time_zone: parse_time_zone(args.tz.as_deref())?,
        delimiter: None,
        ..LoadOptions::default()
    };
    let ds = dataset_arg::load(&args.data, &opts)?;
    let e = b.model.evaluate_on(&ds.table, b.card.rows_train)?;
    if args.json {
        let text = serde_json::to_string_pretty(&Report::new(
            &e,
            Some(b.card_path.display().to_string()),
        ))?;
        println!("{text}");
    } else {
        print_evaluation(&e);
    }
    Ok(())
}
