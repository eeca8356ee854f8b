//! `cityops text …`: word embeddings and citizen-report analysis.
//! `train` (word2vec on a text file — one document per line — or a CSV
//! column), `similar`, `analogy`, `eval` (word pairs and analogies) and
//! `classify` (route reports to departments), `embed` (sentence
//! embeddings with a local transformer). `--model` takes a bundle or
//! a word2vec text (.txt/.vec) or binary (.bin) file; `--out` writes the
//! bundle, or the word2vec format by its extension.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::count::{
    MAX_DIM, MAX_EPOCHS, MAX_NEGATIVE, MAX_PLAIN, MAX_TEXT_BATCH, MAX_THREADS, MAX_TOP, MAX_WINDOW,
    count,
};
use super::progress::TerminalProgress;
use super::train::{Report, print_evaluation};
use super::{Context, Failure, dataset_arg};
use crate::data::{Column, LoadOptions, Role, csv_write};
use crate::models::encoder::ReportEncoder;
use crate::models::word_vectors;
use crate::text::reports::{self, Reports};
use crate::text::{self, TextError, Tokenizer, W2vParams, WordVectors};

#[derive(Subcommand, Debug)]
pub enum TextCmd {
    /// Train word vectors (word2vec) on a corpus.
    Train(TrainArgs),
    /// The nearest words to WORD.
    Similar {
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        word: String,
        #[arg(long, default_value_t = 10, value_parser = count(1, MAX_TOP))]
        top: usize,
        #[arg(long)]
        json: bool,
    },
    /// A − B + C: "king man woman" gives words like "queen".
    Analogy {
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        a: String,
        b: String,
        c: String,
        #[arg(long, default_value_t = 5, value_parser = count(1, MAX_TOP))]
        top: usize,
        #[arg(long)]
        json: bool,
    },
    /// Word-pair similarity (Spearman) and analogy accuracy.
    Eval {
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        /// word, word, score per line (WordSim-353 / SimLex-999 style).
        #[arg(long, value_name = "FILE")]
        pairs: Option<PathBuf>,
        /// ": section" lines and four words per line (questions-words.txt style).
        #[arg(long, value_name = "FILE")]
        analogies: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Route reports to departments with a classifier on document vectors.
    Classify {
        /// Word vectors (bundle, .txt/.vec, .bin) or a sentence-encoder folder.
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        /// The reports table: CSV or demo:reports.
        #[arg(long, value_name = "FILE")]
        data: String,
        /// The text column.
        #[arg(long, value_name = "COL")]
        column: String,
        /// The department column to learn from (default: the table's category column).
        #[arg(long, value_name = "COL")]
        label: Option<String>,
        /// Write the table with the routed department and its confidence.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Sentence embeddings of a text column with a local BERT-family encoder.
    Embed(EmbedArgs),
}

#[derive(Args, Debug)]
pub struct EmbedArgs {
    /// A sentence-encoder folder: config.json, tokenizer.json, model.safetensors.
    #[arg(long, value_name = "DIR")]
    pub model: PathBuf,
    /// The table: CSV or demo:reports.
    #[arg(long, value_name = "FILE")]
    pub data: String,
    /// The text column.
    #[arg(long, value_name = "COL")]
    pub column: String,
    /// FILE.csv (the table's rows with e0 … e{dim-1}) or FILE.safetensors
    /// (one tensor "embeddings" of [rows, dim], f32; a missing text is a zero row).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Texts per forward pass.
    #[arg(long, default_value_t = 32, value_parser = count(1, MAX_TEXT_BATCH))]
    pub batch: usize,
    /// Neither read nor write the embedding cache.
    #[arg(long)]
    pub no_cache: bool,
    /// End with {"rows", "dim", "seconds", "sentences_per_sec", "cached"}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// A text file (one document per line) or a CSV (with --column), or demo:reports.
    #[arg(long, value_name = "FILE")]
    pub corpus: String,
    #[arg(long, value_name = "COL")]
    pub column: Option<String>,
    /// Skip-gram (the default).
    #[arg(long, conflicts_with = "cbow")]
    pub sg: bool,
    /// Continuous bag of words.
    #[arg(long)]
    pub cbow: bool,
    #[arg(long, default_value_t = 100, value_parser = count(1, MAX_DIM))]
    pub dim: usize,
    #[arg(long, default_value_t = 5, value_parser = count(1, MAX_WINDOW))]
    pub window: usize,
    #[arg(long, default_value_t = 5, value_parser = count(1, MAX_EPOCHS))]
    pub epochs: usize,
    #[arg(long, default_value_t = 5, value_parser = count(0, MAX_PLAIN))]
    pub min_count: usize,
    #[arg(long, default_value_t = 5, value_parser = count(0, MAX_NEGATIVE))]
    pub negative: usize,
    /// Worker threads (0 = every core).
    #[arg(long, default_value_t = 0, value_parser = count(0, MAX_THREADS))]
    pub threads: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// models/NAME (bundle), or NAME.txt / NAME.vec (text) / NAME.bin (binary word2vec).
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Similar<'a> {
    word: &'a str,
    similarity: f32,
}

/// Words with their similarity: a table for people, `[{"word", "similarity"}]` for scripts.
fn print_words(near: &[(String, f32)], json: bool) -> Result<(), Failure> {
    if json {
        let out: Vec<Similar<'_>> = near
            .iter()
            .map(|(w, s)| Similar {
                word: w,
                similarity: *s,
            })
            .collect();
        let text = serde_json::to_string_pretty(&out)?;
        println!("{text}");
    } else {
        for (w, s) in near {
            println!("{s:>8.4}  {w}");
        }
    }
    Ok(())
}

fn load_model(path: &Path, max_words: Option<usize>) -> Result<WordVectors, Failure> {
    let progress = TerminalProgress::new(format!("Loading {}", path.display()));
    let v = word_vectors::load_any(path, max_words, &progress);
    progress.finish();
    Ok(v?)
}

/// How `classify` encodes reports: a sentence-encoder folder, or word
/// vectors (TF-IDF weighted over the reports), with the word vectors.
fn report_encoder(
    model: &Path,
    reports: &Reports,
    max_words: Option<usize>,
) -> Result<(ReportEncoder, Option<Arc<WordVectors>>), Failure> {
    if model.is_dir() {
        let enc = text::sentence::SentenceEncoder::load(model)?;
        return Ok((ReportEncoder::sentence(Arc::new(enc), None), None));
    }
    let v = Arc::new(load_model(model, max_words)?);
    let encoder = ReportEncoder::Words {
        vectors: Arc::clone(&v),
        idf: Arc::clone(&reports.idf),
    };
    Ok((encoder, Some(v)))
}

/// The documents of a corpus, tokenised.
fn corpus(spec: &str, column: Option<&str>) -> Result<Vec<Vec<String>>, Failure> {
    let tok = Tokenizer::shared();
    let is_table = spec.starts_with("demo:")
        || spec.ends_with(".csv")
        || spec.ends_with(".tsv")
        || column.is_some();
    if !is_table {
        let progress = TerminalProgress::new("Reading");
        let docs = text::read_corpus(Path::new(spec), &progress);
        progress.finish();
        return Ok(docs?);
    }
    let ds = dataset_arg::load(spec, &LoadOptions::default())?;
    let col = match column {
        Some(c) => ds
            .table
            .column(c)
            .ok_or_else(|| Failure::bad_input(format!("{spec} has no column '{c}'")))?,
        None => ds.column_for(Role::Text).ok_or_else(|| {
            Failure::bad_input(format!(
                "{spec}: say which column holds the text with --column"
            ))
        })?,
    };
    Ok((0..col.len())
        .filter_map(|r| col.str_at(r))
        .map(|s| tok.tokenize(s))
        .filter(|t| !t.is_empty())
        .collect())
}

pub fn run(cmd: TextCmd, max_words: Option<usize>) -> Result<(), Failure> {
    match cmd {
        TextCmd::Train(a) => train(a),
        TextCmd::Embed(a) => embed(a),
        TextCmd::Similar {
            model,
            word,
            top,
            json,
        } => {
            let v = load_model(&model, max_words)?;
            let near = text::nearest(&v, &word, top)?;
            print_words(&near, json)
        }
        TextCmd::Analogy {
            model,
            a,
            b,
            c,
            top,
            json,
        } => {
            let v = load_model(&model, max_words)?;
            let near = text::analogy(&v, &a, &b, &c, top)?;
            print_words(&near, json)
        }
        TextCmd::Eval {
            model,
            pairs,
            analogies,
            json,
        } => {
            if pairs.is_none() && analogies.is_none() {
                return Err(Failure::bad_input(
                    "give --pairs FILE and/or --analogies FILE",
                ));
            }
            let v = load_model(&model, max_words)?;
            // Only regular files, read no further than their length.
            let open = |p: &Path| {
                crate::data::file::open_regular(p)
                    .map(|(f, len)| std::io::BufReader::new(std::io::Read::take(f, len)))
            };
            let pe = match &pairs {
                Some(p) => Some(text::eval_pairs(&v, open(p)?)?),
                None => None,
            };
            let ae = match &analogies {
                Some(p) => Some(text::eval_analogies(&v, open(p)?)?),
                None => None,
            };
            if json {
                let mut out = serde_json::Map::new();
                if let Some(p) = &pe {
                    out.insert(
                        "pairs".into(),
                        serde_json::json!({"spearman": p.spearman, "used": p.used, "oov": p.oov}),
                    );
                }
                if let Some(a) = &ae {
                    out.insert(
                        "analogies".into(),
                        serde_json::json!({"accuracy": a.accuracy, "used": a.used, "oov": a.oov}),
                    );
                }
                println!("{}", serde_json::Value::Object(out));
            } else {
                if let Some(p) = pe {
                    println!(
                        "word pairs: Spearman {} over {} pairs ({} out of vocabulary)",
                        p.spearman.map_or("–".to_owned(), |s| format!("{s:.4}")),
                        p.used,
                        p.oov
                    );
                }
                if let Some(a) = ae {
                    println!(
                        "analogies: accuracy {} over {} questions ({} out of vocabulary)",
                        a.accuracy.map_or("–".to_owned(), |s| format!("{s:.4}")),
                        a.used,
                        a.oov
                    );
                }
            }
            Ok(())
        }
        TextCmd::Classify {
            model,
            data,
            column,
            label,
            out,
            json,
        } => {
            let ds = dataset_arg::load(&data, &LoadOptions::default())?;
            let department = match &label {
                Some(l) => l.clone(),
                None => ds
                    .category_column()
                    .map(|c| c.name.clone())
                    .ok_or_else(|| {
                        Failure::bad_input(format!(
                            "{data}: say which column holds the department with --label"
                        ))
                    })?,
            };
            let reports =
                Reports::from_dataset(&ds, Some(&column), Some(&department)).context(&data)?;
            let (encoder, vectors) = report_encoder(&model, &reports, max_words)?;
            let input = reports::Input {
                reports,
                encoder,
                vectors,
                overview: false,
            };
            let progress = TerminalProgress::new("Encoding the reports and training the router");
            let analysed = reports::analyse(input, &progress);
            progress.finish();
            let analysis = analysed?;
            let (_, eval) = analysis
                .router
                .as_ref()
                .map_err(|e| Failure::within(&data, e))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&Report::new(eval, None))?
                );
            } else {
                print_evaluation(eval);
            }
            if let Some(path) = out {
                // Every row, a missing text as an empty one.
                let text_col = ds.table.column(&column).ok_or_else(|| {
                    Failure::bad_input(format!("{data} has no column '{column}'"))
                })?;
                let all: Vec<String> = (0..ds.table.n_rows())
                    .map(|r| text_col.str_at(r).unwrap_or_default().to_owned())
                    .collect();
                let progress = TerminalProgress::new("Routing every report");
                let routed = analysis.route(&all, &progress);
                progress.finish();
                let routed = routed?;
                let best: Vec<&str> = routed
                    .iter()
                    .map(|r| r.first().map_or("", |(l, _)| l.as_str()))
                    .collect();
                let conf: Vec<f64> = routed
                    .iter()
                    .map(|r| r.first().map_or(f64::NAN, |(_, p)| *p))
                    .collect();
                let table = crate::ml::model::with_columns(
                    &ds.table,
                    vec![
                        Column::categorical(format!("{department}_routed"), &best),
                        Column::from_f64(format!("{department}_confidence"), conf),
                    ],
                );
                csv_write::write_csv_file(&table, &ds.time_zone, &path)?;
                eprintln!(
                    "wrote {} routed reports to {}",
                    table.n_rows(),
                    path.display()
                );
            }
            Ok(())
        }
    }
}

/// A word2vec parameter out of range, named by the flag that set it.
fn flag_named(e: TextError) -> Failure {
    match &e {
        TextError::InvalidParams { field, .. } => {
            let flag = format!("--{}", field.replace('_', "-"));
            Failure::within(flag, e)
        }
        _ => Failure::from(e),
    }
}

fn train(a: TrainArgs) -> Result<(), Failure> {
    let params = W2vParams {
        skip_gram: !a.cbow,
        dim: a.dim,
        window: a.window,
        negative: a.negative,
        min_count: a.min_count,
        epochs: a.epochs,
        threads: a.threads,
        seed: a.seed,
        alpha: if a.cbow { 0.05 } else { 0.025 },
        ..W2vParams::default()
    };
    params.validate().map_err(flag_named)?;
    let docs = corpus(&a.corpus, a.column.as_deref())?;
    let progress = TerminalProgress::new("Training");
    let trained = text::train(&docs, &params, &progress);
    progress.finish();
    let (v, stats) = trained?;
    let ext = a
        .out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_owned();
    let write_atomic = |bytes: Vec<u8>| -> Result<(), Failure> {
        let tmp = a.out.with_extension(format!("{ext}.part"));
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &a.out))
            .context(a.out.display())
    };
    match ext.as_str() {
        "txt" | "vec" => {
            let mut buf = Vec::new();
            text::write_text(&v, &mut buf)?;
            write_atomic(buf)?;
        }
        "bin" => {
            let mut buf = Vec::new();
            text::write_binary(&v, &mut buf)?;
            write_atomic(buf)?;
        }
        _ => {
            word_vectors::save_word_vectors(&a.out, &v, Some(&params), Some(stats.words))?;
        }
    }
    if a.json {
        println!(
            "{}",
            serde_json::json!({"words": stats.words, "seconds": stats.seconds, "words_per_sec": stats.words_per_sec, "vocab": stats.vocab})
        );
    } else {
        println!(
            "{} words in {:.1} s ({:.0} words/s), vocabulary {}, written to {}",
            stats.words,
            stats.seconds,
            stats.words_per_sec,
            stats.vocab,
            a.out.display()
        );
    }
    Ok(())
}

fn embed(a: EmbedArgs) -> Result<(), Failure> {
    use crate::text::sentence::{self, EmbeddingCache, SentenceEncoder};
    let enc = SentenceEncoder::load(&a.model)?;
    let ds = dataset_arg::load(&a.data, &LoadOptions::default())?;
    let col = ds
        .table
        .column(&a.column)
        .ok_or_else(|| Failure::bad_input(format!("{} has no column '{}'", a.data, a.column)))?;
    let texts: Vec<String> = (0..col.len())
        .map(|r| col.str_at(r).unwrap_or_default().to_owned())
        .collect();
    let ext = a
        .out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ext != "csv" && ext != "safetensors" {
        return Err(Failure::bad_input(format!(
            "{}: write embeddings to a .csv or a .safetensors file",
            a.out.display()
        )));
    }
    let dim = enc.dim();
    let started = std::time::Instant::now();
    let progress = TerminalProgress::new("Encoding");
    let cache = if a.no_cache {
        None
    } else {
        EmbeddingCache::default_dir().and_then(|d| EmbeddingCache::open(&d, enc.id(), dim).ok())
    };
    let result = match cache {
        Some(mut c) => sentence::encode_cached(&enc, &mut c, &texts, &progress),
        None => enc
            .encode(&texts, a.batch.max(1), &progress)
            .map(|v| (v, 0)),
    };
    progress.finish();
    let (mut vectors, cached) = result?;
    // A missing text is a zero row, not the embedding of "".
    for r in (0..col.len()).filter(|&r| col.str_at(r).is_none()) {
        if let Some(row) = vectors.get_mut(r * dim..(r + 1) * dim) {
            row.fill(0.0);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    if ext == "safetensors" {
        let t =
            candle_core::Tensor::from_vec(vectors, (texts.len(), dim), &candle_core::Device::Cpu)
                .map_err(|e| Failure::other(e.to_string()))?;
        let tmp = a.out.with_extension("safetensors.part");
        candle_core::safetensors::save(
            &std::collections::HashMap::from([("embeddings".to_owned(), t)]),
            &tmp,
        )
        .and_then(|()| std::fs::rename(&tmp, &a.out).map_err(candle_core::Error::from))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Failure::other(format!("{}: {e}", a.out.display()))
        })?;
    } else {
        let columns: Vec<Column> = (0..dim)
            .map(|j| {
                Column::from_f64(
                    format!("e{j}"),
                    vectors
                        .iter()
                        .skip(j)
                        .step_by(dim)
                        .map(|&x| f64::from(x))
                        .collect(),
                )
            })
            .collect();
        let table = crate::ml::model::with_columns(&ds.table, columns);
        csv_write::write_csv_file(&table, &ds.time_zone, &a.out)?;
    }
    eprintln!(
        "{} texts × {dim} dimensions in {seconds:.1} s ({cached} from the cache) → {}",
        texts.len(),
        a.out.display()
    );
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "rows": texts.len(),
                "dim": dim,
                "seconds": seconds,
                "sentences_per_sec": texts.len() as f64 / seconds.max(1e-9),
                "cached": cached,
            })
        );
    }
    Ok(())
}
