//! `cityops recommend`: city services for residents by collaborative
//! filtering. One resident (`--user ID`, with the reasons), every resident
//! to a CSV for mailings (`--all --out FILE`), or the evaluation of item-CF,
//! user-CF and popularity side by side (`--eval`). `--model models/NAME`
//! uses a saved recommender instead of `--data`; `--save models/NAME`
//! writes one.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use super::count::{MAX_NEIGHBOURS, MAX_TOP, count};
use super::progress::TerminalProgress;
use super::{Failure, dataset_arg};
use crate::data::{Column, LoadOptions, Role, Table, csv_write};
use crate::models::{bundle, recommender};
use crate::recommend::{self, CfParams, ColumnChoice, Interactions, Method, RecError, Recommender};

#[derive(Args, Debug)]
pub struct RecommendArgs {
    /// The interactions table: a CSV file or demo:service_use.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "model",
        required_unless_present = "model"
    )]
    pub data: Option<String>,
    /// A saved recommender (models/NAME) instead of --data.
    #[arg(long, value_name = "models/NAME")]
    pub model: Option<PathBuf>,
    /// The resident to recommend for.
    #[arg(long, value_name = "ID", conflicts_with_all = ["all", "eval"])]
    pub user: Option<String>,
    /// Recommend for every resident (needs --out).
    #[arg(long, requires = "out", conflicts_with = "eval")]
    pub all: bool,
    /// Evaluate item-CF, user-CF and popularity on a holdout split.
    #[arg(long)]
    pub eval: bool,
    /// How many services per resident (and k of the evaluation).
    #[arg(long, default_value_t = 10, value_parser = count(1, MAX_TOP))]
    pub top: usize,
    /// item, user or popular.
    #[arg(long, default_value = "item")]
    pub method: Method,
    /// Neighbours kept per item (or user).
    #[arg(long, default_value_t = 50, value_parser = count(1, MAX_NEIGHBOURS))]
    pub neighbours: usize,
    /// Shrinks similarities built on few shared residents.
    #[arg(long, default_value_t = 10.0)]
    pub shrinkage: f32,
    /// Subtract each resident's mean rating first (adjusted cosine).
    #[arg(long)]
    pub mean_centre: bool,
    /// For an unknown resident, recommend the most popular services instead of failing.
    #[arg(long)]
    pub fallback: bool,
    /// The CSV for --all: user,rank,item,score.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Save the recommender as models/NAME.
    #[arg(long, value_name = "models/NAME")]
    pub save: Option<PathBuf>,
    /// The column of user (resident) ids, when it is not recognised.
    #[arg(long, value_name = "COLUMN", conflicts_with = "model")]
    pub user_col: Option<String>,
    /// The column of the ids of what is rated or used (the items).
    #[arg(long, value_name = "COLUMN", conflicts_with = "model")]
    pub item_col: Option<String>,
    /// The column of explicit ratings.
    #[arg(long, value_name = "COLUMN", conflicts_with = "model")]
    pub rating_col: Option<String>,
    /// The column of times (for the evaluation's time split).
    #[arg(long, value_name = "COLUMN", conflicts_with = "model")]
    pub time_col: Option<String>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Because<'a> {
    item: &'a str,
    weight: f32,
}

#[derive(Serialize)]
struct RecJson<'a> {
    item: &'a str,
    score: f32,
    because: Vec<Because<'a>>,
}

/// On the command line, a column that was not recognised is named with a
/// flag (the core's own message speaks of the Data view).
fn column_error(e: RecError, ds: &crate::data::Dataset) -> Failure {
    let (what, flag) = match e {
        RecError::NoUserColumn => ("the users (residents)", "--user-col"),
        RecError::NoItemColumn => ("the items (what is rated or used)", "--item-col"),
        other => return Failure::from(other),
    };
    Failure::bad_input(format!(
        "no column was recognised as {what}; name it with {flag} COLUMN (the columns are: {})",
        ds.table.column_names()
    ))
}

pub fn run(args: RecommendArgs) -> Result<(), Failure> {
    let params = CfParams {
        neighbours: args.neighbours,
        shrinkage: args.shrinkage,
        mean_centre: args.mean_centre,
    };
    params.validate().map_err(|e| match &e {
        RecError::InvalidParams { field, .. } => Failure::within(format!("--{field}"), e),
        _ => Failure::from(e),
    })?;
    let progress = TerminalProgress::new("Building");
    // The recommender: from a saved bundle or built from a table.
    let (rec, columns, fingerprint) = match (&args.model, &args.data) {
        (Some(path), _) => {
            let (card, mut rec) = recommender::load_recommender(path)?;
            if args.method != card.method {
                // Another method over the same interactions.
                rec = Recommender::build(
                    Arc::clone(&rec.interactions),
                    args.method,
                    card.params.clone(),
                    &progress,
                )?;
            }
            (rec, card.columns, card.training_data)
        }
        (None, Some(spec)) => {
            let mut ds = dataset_arg::load(spec, &LoadOptions::default())?;
            for (flag, col, role) in [
                ("--user-col", &args.user_col, Role::User),
                ("--item-col", &args.item_col, Role::Item),
                ("--rating-col", &args.rating_col, Role::Rating),
            ] {
                if let Some(col) = col {
                    ds.set_role(col, role)
                        .map_err(|e| Failure::bad_input(format!("{flag} {col}: {e}")))?;
                }
            }
            dataset_arg::set_time_col(&mut ds, args.time_col.as_deref())?;
            let columns = ColumnChoice::detect(&ds).map_err(|e| column_error(e, &ds))?;
            let inter = Interactions::from_dataset(&ds, &columns)?;
            let rec = Recommender::build(Arc::new(inter), args.method, params.clone(), &progress)?;
            (rec, columns, bundle::fingerprint(&ds.name, &ds.table))
        }
        (None, None) => {
            return Err(Failure::bad_input(
                "give --data FILE or --model models/NAME",
            ));
        }
    };
    progress.finish();

    let mut report = None;
    if args.eval {
        let progress = TerminalProgress::new("Evaluating");
        let r = recommend::evaluate(
            &rec.interactions,
            args.top,
            &rec.params,
            args.seed,
            &progress,
        )?;
        progress.finish();
        if args.json {
            let text = serde_json::to_string_pretty(&r)?;
            println!("{text}");
        } else {
            println!(
                "k = {}, {} split, {} residents evaluated",
                r.k, r.split, r.users_evaluated
            );
            println!(
                "  {:<12} {:>10} {:>10} {:>10} {:>10}",
                "method", "precision", "recall", "ndcg", "coverage"
            );
            for (m, s) in &r.methods {
                println!(
                    "  {m:<12} {:>10.4} {:>10.4} {:>10.4} {:>10.4}",
                    s.precision, s.recall, s.ndcg, s.coverage
                );
            }
        }
        report = Some(r);
    } else if args.all {
        let progress = TerminalProgress::new("Recommending");
        let all = rec.recommend_all(args.top, &progress)?;
        progress.finish();
        let (mut users, mut ranks, mut items, mut scores) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (u, recs) in all.iter().enumerate() {
            let name = rec.interactions.users.get(u).map_or("", String::as_str);
            for (rank, r) in recs.iter().enumerate() {
                users.push(name);
                ranks.push(rank as i64 + 1);
                items.push(r.item.as_str());
                scores.push(f64::from(r.score));
            }
        }
        let table = Table::new(vec![
            Column::categorical("user", &users),
            Column::from_i64("rank", ranks),
            Column::categorical("item", &items),
            Column::from_f64("score", scores),
        ])?;
        let out = args
            .out
            .as_ref()
            .ok_or_else(|| Failure::bad_input("--all needs --out FILE"))?;
        csv_write::write_csv_file(&table, &jiff::tz::TimeZone::UTC, out)?;
        eprintln!(
            "wrote {} recommendations for {} residents to {}",
            table.n_rows(),
            all.len(),
            out.display()
        );
    } else if let Some(user) = &args.user {
        let recs = rec.recommend_for_id(user, args.top, args.fallback)?;
        if args.json {
            let out: Vec<RecJson<'_>> = recs
                .iter()
                .map(|r| RecJson {
                    item: &r.item,
                    score: r.score,
                    because: r
                        .because
                        .iter()
                        .map(|(i, w)| Because {
                            item: i,
                            weight: *w,
                        })
                        .collect(),
                })
                .collect();
            let text = serde_json::to_string_pretty(&out)?;
            println!("{text}");
        } else {
            if rec.interactions.user_index(user).is_none() {
                eprintln!("'{user}' has no history: the most popular services follow");
            }
            for (i, r) in recs.iter().enumerate() {
                let because: Vec<String> = r
                    .because
                    .iter()
                    .map(|(b, w)| format!("{b} ({w:.2})"))
                    .collect();
                if because.is_empty() {
                    println!("{:>2}. {}  score {:.3}", i + 1, r.item, r.score);
                } else {
                    println!(
                        "{:>2}. {}  score {:.3}  because: {}",
                        i + 1,
                        r.item,
                        r.score,
                        because.join(", ")
                    );
                }
            }
        }
    } else if args.save.is_none() {
        return Err(Failure::bad_input(
            "say what to do: --user ID, --all --out FILE, --eval, or --save models/NAME",
        ));
    }
    if let Some(path) = &args.save {
        let (_, p) =
            recommender::save_recommender(path, &rec, &columns, fingerprint, report.as_ref())?;
        eprintln!("saved {}", p.display());
    }
    Ok(())
}
