//! A tiny random BERT in the Hugging Face layout (config.json,
//! tokenizer.json built with the tokenizers crate, model.safetensors), for
//! the sentence-encoder tests: a WordPiece vocabulary of a few city words,
//! 2 layers, hidden size 8, 2 heads.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use cityops::data::rng::Rng;

pub const WORDS: [&str; 16] = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "street",
    "light",
    "out",
    "on",
    "the",
    "main",
    "trash",
    "not",
    "collected",
    "park",
    "bus",
    "late",
];
pub const HIDDEN: usize = 8;
pub const LAYERS: usize = 2;

fn random(rng: &mut Rng, shape: &[usize], scale: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|_| ((rng.uniform() - 0.5) * 2.0 * scale) as f32)
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// Writes the folder; `seed` picks the weights.
pub fn write(dir: &Path, seed: u64) {
    std::fs::create_dir_all(dir).unwrap();
    let config = serde_json::json!({
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": WORDS.len(), "hidden_size": HIDDEN, "num_hidden_layers": LAYERS,
        "num_attention_heads": 2, "intermediate_size": 16, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": 32, "type_vocab_size": 2, "initializer_range": 0.02,
        "layer_norm_eps": 1e-12, "pad_token_id": 0
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    // The tokenizer: built with the tokenizers crate and saved.
    let vocab_txt = dir.join("vocab.txt");
    std::fs::write(&vocab_txt, WORDS.join("\n")).unwrap();
    let wp = tokenizers::models::wordpiece::WordPiece::from_file(vocab_txt.to_str().unwrap())
        .unk_token("[UNK]".to_owned())
        .build()
        .unwrap();
    let mut tok = tokenizers::Tokenizer::new(wp);
    tok.with_normalizer(Some(
        tokenizers::normalizers::bert::BertNormalizer::default(),
    ))
    .unwrap();
    tok.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::bert::BertPreTokenizer));
    tok.with_post_processor(Some(tokenizers::processors::bert::BertProcessing::new(
        ("[SEP]".to_owned(), 3),
        ("[CLS]".to_owned(), 2),
    )));
    tok.save(dir.join("tokenizer.json"), false).unwrap();
    // The weights.
    let mut rng = Rng::new(seed);
    let h = HIDDEN;
    let mut t: HashMap<String, Tensor> = HashMap::new();
    let mut put = |name: String, shape: &[usize], rng: &mut Rng| {
        let scale = if name.ends_with("LayerNorm.weight") {
            0.0
        } else {
            0.5
        };
        let mut x = random(rng, shape, scale);
        if name.ends_with("LayerNorm.weight") {
            x = (x + 1.0).unwrap();
        }
        t.insert(name, x);
    };
    put(
        "embeddings.word_embeddings.weight".into(),
        &[WORDS.len(), h],
        &mut rng,
    );
    put(
        "embeddings.position_embeddings.weight".into(),
        &[32, h],
        &mut rng,
    );
    put(
        "embeddings.token_type_embeddings.weight".into(),
        &[2, h],
        &mut rng,
    );
    put("embeddings.LayerNorm.weight".into(), &[h], &mut rng);
    put("embeddings.LayerNorm.bias".into(), &[h], &mut rng);
    for l in 0..LAYERS {
        let p = format!("encoder.layer.{l}");
        for m in ["query", "key", "value"] {
            put(format!("{p}.attention.self.{m}.weight"), &[h, h], &mut rng);
            put(format!("{p}.attention.self.{m}.bias"), &[h], &mut rng);
        }
        put(
            format!("{p}.attention.output.dense.weight"),
            &[h, h],
            &mut rng,
        );
        put(format!("{p}.attention.output.dense.bias"), &[h], &mut rng);
        put(
            format!("{p}.attention.output.LayerNorm.weight"),
            &[h],
            &mut rng,
        );
        put(
            format!("{p}.attention.output.LayerNorm.bias"),
            &[h],
            &mut rng,
        );
        put(format!("{p}.intermediate.dense.weight"), &[16, h], &mut rng);
        put(format!("{p}.intermediate.dense.bias"), &[16], &mut rng);
        put(format!("{p}.output.dense.weight"), &[h, 16], &mut rng);
        put(format!("{p}.output.dense.bias"), &[h], &mut rng);
        put(format!("{p}.output.LayerNorm.weight"), &[h], &mut rng);
        put(format!("{p}.output.LayerNorm.bias"), &[h], &mut rng);
    }
    candle_core::safetensors::save(&t, dir.join("model.safetensors")).unwrap();
}
