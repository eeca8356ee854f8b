//! word2vec training speed (and quality) on a real corpus, to compare with
//! gensim (`benches/gensim_word2vec.py`, same corpus and parameters):
//! skip-gram and CBOW, dim 100, window 5, 5 negatives, min-count 5, sample
//! 1e-3, 5 epochs, 2 threads, the corpus read and tokenised as
//! `cityops text train --corpus FILE` does (one document per line).
//!
//! Run: `CITYOPS_W2V_CORPUS=corpus.txt CITYOPS_WORDSIM=wordsim353.tsv cargo
//! bench --bench word2vec`. Prints, per model, the training seconds (the
//! passes over the corpus, not the vocabulary), vocabulary words per second
//! and the vocabulary size; with `CITYOPS_WORDSIM` (word pairs with human
//! scores, e.g. the WordSim-353 file gensim ships in
//! `gensim/test/test_data/wordsim353.tsv`) also the Spearman correlation of
//! the cosines with the human scores. Without `CITYOPS_W2V_CORPUS` it says
//! how to make the corpus and exits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::time::Instant;

use cityops::text::{W2vParams, eval_pairs, read_corpus, train};

const HOW_TO: &str = "\
word2vec benchmark: set CITYOPS_W2V_CORPUS to a plain-text corpus, one document per line.
The figures in the README use the first 30 MB of the GNU Collaborative International
Dictionary of English (Debian/Ubuntu package dict-gcide), about 3.7 million tokens:

    zcat /usr/share/dictd/gcide.dict.dz | head -c 30000000 \\
        | tr -c \"A-Za-z'\\n\" ' ' | tr 'A-Z' 'a-z' | awk 'NF>3' > corpus.txt
    CITYOPS_W2V_CORPUS=corpus.txt CITYOPS_WORDSIM=wordsim353.tsv cargo bench --bench word2vec

CITYOPS_WORDSIM (optional) is a word-pair file such as WordSim-353
(gensim/test/test_data/wordsim353.tsv in a gensim install). Compare with
    python3 benches/gensim_word2vec.py corpus.txt";

fn main() {
    let Some(corpus) = std::env::var_os("CITYOPS_W2V_CORPUS").map(PathBuf::from) else {
        println!("{HOW_TO}");
        return;
    };
    let wordsim = std::env::var_os("CITYOPS_WORDSIM").map(PathBuf::from);

    let started = Instant::now();
    let docs = read_corpus(&corpus, &()).expect("read the corpus");
    let tokens: usize = docs.iter().map(Vec::len).sum();
    println!(
        "{}: {} documents, {tokens} tokens, read and tokenised in {:.1} s",
        corpus.display(),
        docs.len(),
        started.elapsed().as_secs_f64()
    );

    let common = W2vParams {
        dim: 100,
        window: 5,
        negative: 5,
        min_count: 5,
        sample: 1e-3,
        epochs: 5,
        threads: 2,
        seed: 1,
        ..W2vParams::default()
    };
    let models = [
        (
            "skip-gram",
            W2vParams {
                skip_gram: true,
                alpha: 0.025,
                ..common.clone()
            },
        ),
        (
            "CBOW",
            W2vParams {
                skip_gram: false,
                alpha: 0.05,
                ..common
            },
        ),
    ];
    for (name, params) in models {
        let (vectors, stats) = train(&docs, &params, &()).expect("train");
        let mut line = format!(
            "cityops {name}: {:.1} s, {:.0} words/s, vocab {}",
            stats.seconds, stats.words_per_sec, stats.vocab
        );
        if let Some(path) = &wordsim {
            let file = File::open(path).expect("open the CITYOPS_WORDSIM file");
            let eval = eval_pairs(&vectors, BufReader::new(file)).expect("evaluate word pairs");
            let spearman = eval.spearman.map_or("–".to_owned(), |s| format!("{s:.3}"));
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            line.push_str(&format!(
                ", {name} Spearman {spearman} ({} pairs, {} out of vocabulary)",
                eval.used, eval.oov
            ));
        }
        println!("{line}");
    }
}
