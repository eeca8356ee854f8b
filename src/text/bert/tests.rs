//! The CPU forward pass against candle-transformers' BERT on random
//! networks made here, and its approximations against libm.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::{BertModel, Config};

use super::*;
use crate::data::rng::Rng;

const HIDDEN: usize = 16;
const VOCAB: usize = 30;
const POSITIONS: usize = 48;

fn config(act: &str, layers: usize) -> Config {
    serde_json::from_value(serde_json::json!({
        "vocab_size": VOCAB, "hidden_size": HIDDEN, "num_hidden_layers": layers,
        "num_attention_heads": 4, "intermediate_size": 40, "hidden_act": act,
        "hidden_dropout_prob": 0.1, "max_position_embeddings": POSITIONS,
        "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
        "pad_token_id": 0, "classifier_dropout": null, "model_type": "bert"
    }))
    .unwrap()
}

/// Random weights for `config`, names under `prefix`.
fn weights(config: &Config, prefix: &str, seed: u64) -> HashMap<String, Tensor> {
    let mut rng = Rng::new(seed);
    let mut t = HashMap::new();
    let mut put = |name: &str, shape: &[usize], centre: f64, scale: f64| {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|_| (centre + (rng.uniform() - 0.5) * 2.0 * scale) as f32)
            .collect();
        t.insert(
            format!("{prefix}{name}"),
            Tensor::from_vec(v, shape, &Device::Cpu).unwrap(),
        );
    };
    let (h, i) = (config.hidden_size, config.intermediate_size);
    put("embeddings.word_embeddings.weight", &[VOCAB, h], 0.0, 1.0);
    put(
        "embeddings.position_embeddings.weight",
        &[POSITIONS, h],
        0.0,
        0.5,
    );
    put("embeddings.token_type_embeddings.weight", &[2, h], 0.0, 0.5);
    put("embeddings.LayerNorm.weight", &[h], 1.0, 0.2);
    put("embeddings.LayerNorm.bias", &[h], 0.0, 0.2);
    for l in 0..config.num_hidden_layers {
        let p = format!("encoder.layer.{l}.");
        for (name, o, inp) in [
            ("attention.self.query", h, h),
            ("attention.self.key", h, h),
            ("attention.self.value", h, h),
            ("attention.output.dense", h, h),
            ("intermediate.dense", i, h),
            ("output.dense", h, i),
        ] {
            put(&format!("{p}{name}.weight"), &[o, inp], 0.0, 0.6);
            put(&format!("{p}{name}.bias"), &[o], 0.0, 0.3);
        }
        for name in ["attention.output.LayerNorm", "output.LayerNorm"] {
            put(&format!("{p}{name}.weight"), &[h], 1.0, 0.2);
            put(&format!("{p}{name}.bias"), &[h], 0.0, 0.2);
        }
    }
    t
}

fn reference(config: &Config, tensors: &HashMap<String, Tensor>) -> BertModel {
    let vb = candle_nn::VarBuilder::from_tensors(tensors.clone(), DType::F32, &Device::Cpu);
    BertModel::load(vb, config).unwrap()
}

/// Token ids of `n` texts of the given lengths, seeded.
fn texts(lengths: &[usize], seed: u64) -> Vec<(Vec<u32>, Vec<u32>)> {
    let mut rng = Rng::new(seed);
    lengths
        .iter()
        .map(|&len| {
            let ids = (0..len)
                .map(|_| (rng.uniform() * VOCAB as f64) as u32 % VOCAB as u32)
                .collect();
            let types = (0..len).map(|p| u32::from(p >= len / 2)).collect();
            (ids, types)
        })
        .collect()
}

fn tokens(t: &[(Vec<u32>, Vec<u32>)]) -> Vec<Tokens<'_>> {
    t.iter().map(|(ids, types)| Tokens { ids, types }).collect()
}

#[test]
fn hidden_states_match_candle_transformers_for_every_activation() {
    for act in ["gelu", "geluapproximate", "relu"] {
        let config = config(act, 3);
        let w = weights(&config, "", 11);
        let ours = Bert::from_tensors(&w, &config).unwrap();
        let theirs = reference(&config, &w);
        let data = texts(&[1, 7, 23, POSITIONS], 5);
        // Packed: all texts at once, no padding.
        let got = ours.hidden_states(&tokens(&data)).unwrap();
        let mut row = 0;
        for (ids, types) in &data {
            let n = ids.len();
            let ids_t = Tensor::from_vec(ids.clone(), (1, n), &Device::Cpu).unwrap();
            let types_t = Tensor::from_vec(types.clone(), (1, n), &Device::Cpu).unwrap();
            let want = theirs.forward(&ids_t, &types_t, None).unwrap();
            let want = want.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let mine = &got[row * HIDDEN..(row + n) * HIDDEN];
            let worst = mine
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst < 2e-5, "{act}, text of {n} tokens: off by {worst}");
            row += n;
        }
        assert_eq!(row * HIDDEN, got.len());
    }
}

#[test]
fn pooled_embeddings_match_candle_on_a_padded_batch_and_do_not_depend_on_threads() {
    let config = config("gelu", 2);
    let w = weights(&config, "bert.", 3);
    let ours = Bert::from_tensors(&w, &config).unwrap();
    let theirs = reference(&config, &w);
    let lengths = [3, 17, 9, 1, 30, 12, 5, 20];
    let data = texts(&lengths, 9);
    let one = ours.embed(&tokens(&data), 1).unwrap();
    let three = ours.embed(&tokens(&data), 3).unwrap();
    assert_eq!(one.len(), lengths.len() * HIDDEN);
    for (a, b) in one.iter().zip(&three) {
        assert!(
            (a - b).abs() < 1e-6,
            "threads change the result: {a} vs {b}"
        );
    }
    // candle: padded to the longest, with the mask, pooled by hand.
    let len = *lengths.iter().max().unwrap();
    let (mut ids, mut types, mut mask) = (vec![], vec![], vec![]);
    for (i, t) in &data {
        ids.extend(
            i.iter()
                .copied()
                .chain(std::iter::repeat_n(0, len - i.len())),
        );
        types.extend(
            t.iter()
                .copied()
                .chain(std::iter::repeat_n(0, len - t.len())),
        );
        mask.extend((0..len).map(|p| u32::from(p < i.len())));
    }
    let shape = (lengths.len(), len);
    let t = |v: Vec<u32>| Tensor::from_vec(v, shape, &Device::Cpu).unwrap();
    let hidden = theirs
        .forward(&t(ids), &t(types), Some(&t(mask)))
        .unwrap()
        .to_vec3::<f32>()
        .unwrap();
    for (k, (n, states)) in lengths.iter().zip(&hidden).enumerate() {
        let mut mean = vec![0.0f32; HIDDEN];
        for r in &states[..*n] {
            for (m, x) in mean.iter_mut().zip(r) {
                *m += x / *n as f32;
            }
        }
        let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt();
        let mine = &one[k * HIDDEN..(k + 1) * HIDDEN];
        let length: f32 = mine.iter().map(|x| x * x).sum();
        assert!((length - 1.0).abs() < 1e-5, "unit length: {length}");
        for (a, b) in mine.iter().zip(&mean) {
            assert!((a - b / norm).abs() < 2e-5, "text {k}: {a} vs {}", b / norm);
        }
    }
}

#[test]
fn bad_tokens_and_mismatched_weights_are_errors_not_panics() {
    let config = config("gelu", 1);
    let w = weights(&config, "", 1);
    let bert = Bert::from_tensors(&w, &config).unwrap();
    let long = vec![1u32; POSITIONS + 1];
    let err = bert
        .embed(
            &[Tokens {
                ids: &long,
                types: &long,
            }],
            1,
        )
        .unwrap_err();
    assert!(err.contains("at most 48"), "{err}");
    let err = bert
        .embed(
            &[Tokens {
                ids: &[VOCAB as u32],
                types: &[0],
            }],
            1,
        )
        .unwrap_err();
    assert!(err.contains("outside the vocabulary"), "{err}");
    let err = bert
        .embed(
            &[Tokens {
                ids: &[1, 2],
                types: &[0],
            }],
            1,
        )
        .unwrap_err();
    assert!(err.contains("2 ids but 1 token types"), "{err}");
    // An empty text pools to zeros instead of dividing by zero.
    let e = bert
        .embed(
            &[Tokens {
                ids: &[],
                types: &[],
            }],
            2,
        )
        .unwrap();
    assert!(e.iter().all(|&x| x == 0.0));

    let mut other = config.clone();
    other.intermediate_size = 41;
    let err = Bert::from_tensors(&w, &other).unwrap_err();
    assert!(
        err.contains("encoder.layer.0.intermediate.dense.weight has shape [40, 16]"),
        "{err}"
    );
    let mut partial = w.clone();
    partial.remove("encoder.layer.0.output.LayerNorm.bias");
    let err = Bert::from_tensors(&partial, &config).unwrap_err();
    assert!(
        err.contains("no tensor encoder.layer.0.output.LayerNorm.bias"),
        "{err}"
    );
    let err = Bert::from_tensors(&HashMap::new(), &config).unwrap_err();
    assert!(
        err.contains("no tensor embeddings.word_embeddings.weight"),
        "{err}"
    );
}

#[test]
fn gelu_matches_candles_erf_gelu_and_exp_matches_libm() {
    let xs: Vec<f32> = (-12_000..=12_000).map(|i| i as f32 * 1e-3).collect();
    let reference = Tensor::new(xs.as_slice(), &Device::Cpu)
        .unwrap()
        .gelu_erf()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for (&x, &want) in xs.iter().zip(&reference) {
        let got = gelu_erf(x);
        assert!(
            (got - want).abs() <= 1e-6 * (1.0 + x.abs()),
            "gelu({x}) = {got}, libm says {want}"
        );
    }
    for i in 0..87_000 {
        let x = -(i as f32) * 1e-3;
        let (got, want) = (fast_exp(x), x.exp());
        assert!(
            ((got - want) / want).abs() < 5e-7,
            "exp({x}) = {got}, libm says {want}"
        );
    }
    assert_eq!(fast_exp(-1000.0), fast_exp(-87.0));
    assert!(fast_exp(-1000.0) < 2e-38);
}

#[test]
fn every_compiled_variant_gives_the_same_hidden_states() {
    let config = config("gelu", 2);
    let w = weights(&config, "", 21);
    let bert = Bert::from_tensors(&w, &config).unwrap();
    let data = texts(&[4, 19, 33], 2);
    let t = tokens(&data);
    let mut portable = Scratch::default();
    bert.run_portable(&t, &mut portable);
    let mut variants = vec![];
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            let mut s = Scratch::default();
            // SAFETY: the CPU has AVX2 (checked just above).
            #[allow(unsafe_code)]
            unsafe {
                bert.run_avx2(&t, &mut s)
            };
            variants.push(("avx2", s.x));
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            let mut s = Scratch::default();
            // SAFETY: the CPU has AVX-512F (checked just above).
            #[allow(unsafe_code)]
            unsafe {
                bert.run_avx512(&t, &mut s)
            };
            variants.push(("avx512", s.x));
        }
    }
    for (name, x) in variants {
        assert_eq!(x.len(), portable.x.len());
        let worst = x
            .iter()
            .zip(&portable.x)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{name} differs from the baseline by {worst}");
    }
}
