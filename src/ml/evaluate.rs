//! Honest evaluation: every figure side by side with a baseline a user
//! understands — the majority class (with the training class frequencies),
//! the training mean, or the seasonal-naive forecast (same hour last week).

use serde::Serialize;

use super::metrics::{self, Metrics};
use super::{TargetSpec, Task};

/// Plot data behind an evaluation (not part of the JSON report).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvalDetails {
    /// Class labels, in the confusion matrix's order.
    pub labels: Vec<String>,
    /// `[truth][predicted]` counts.
    pub confusion: Option<Vec<Vec<u64>>>,
    /// ROC curve (false positive rate, true positive rate), binary only.
    pub roc: Vec<[f64; 2]>,
    /// (actual, predicted) pairs, at most a few thousand.
    pub predicted_vs_actual: Vec<[f64; 2]>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub task: &'static str,
    pub target: String,
    pub rows_train: usize,
    pub rows_valid: usize,
    pub metrics: Metrics,
    pub baseline: Metrics,
    /// The metric that decides `beats_baseline`.
    pub headline: &'static str,
    pub beats_baseline: Option<bool>,
    #[serde(skip)]
    pub details: EvalDetails,
}

const MAX_SCATTER: usize = 3000;

fn thin(pairs: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    if pairs.len() <= MAX_SCATTER {
        return pairs;
    }
    let step = pairs.len() as f64 / MAX_SCATTER as f64;
    (0..MAX_SCATTER)
        .filter_map(|i| pairs.get((i as f64 * step) as usize).copied())
        .collect()
}

fn finish(
    task: Task,
    target: &str,
    rows: (usize, usize),
    m: Metrics,
    b: Metrics,
    details: EvalDetails,
) -> Evaluation {
    let headline = match task {
        // Ranking quality for two classes; for more, the mean recall, which
        // a majority guess cannot game.
        Task::Classify if details.labels.len() == 2 => "auc",
        Task::Classify => "balanced_accuracy",
        _ => task.headline_metric(),
    };
    Evaluation {
        task: task.name(),
        target: target.to_owned(),
        rows_train: rows.0,
        rows_valid: rows.1,
        beats_baseline: metrics::beats(&m, &b, headline),
        metrics: m,
        baseline: b,
        headline,
        details,
    }
}

/// Mean one-vs-rest AUC over the classes present on both sides.
fn macro_auc(labels: &[usize], probs: &[f64], k: usize) -> Option<f64> {
    let aucs: Vec<f64> = (0..k)
        .filter_map(|c| {
            let y: Vec<u8> = labels.iter().map(|&l| u8::from(l == c)).collect();
            let s: Vec<f64> = (0..labels.len())
                .map(|i| probs.get(i * k + c).copied().unwrap_or(0.0))
                .collect();
            metrics::roc_auc(&y, &s)
        })
        .collect();
    (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64)
}

/// Classification: `labels` are true class indices, `probs` row-major n×k.
pub fn classification(
    target: &TargetSpec,
    rows: (usize, usize),
    labels: &[usize],
    probs: &[f64],
) -> Evaluation {
    let (names, freqs) = match target {
        TargetSpec::Classes {
            labels,
            frequencies,
            ..
        } => (labels.clone(), frequencies.clone()),
        TargetSpec::Numeric { .. } => (Vec::new(), Vec::new()),
    };
    let k = names.len().max(2);
    let predicted = metrics::argmax_rows(probs, k);
    let mut m = Metrics::default();
    m.set("accuracy", metrics::accuracy(labels, &predicted));
    m.set(
        "balanced_accuracy",
        metrics::balanced_accuracy(labels, &predicted, k),
    );
    m.set("log_loss", metrics::log_loss(labels, probs, k));
    let mut roc = Vec::new();
    let auc = if k == 2 {
        let y: Vec<u8> = labels.iter().map(|&l| u8::from(l == 1)).collect();
        let p1: Vec<f64> = (0..labels.len())
            .map(|i| probs.get(i * 2 + 1).copied().unwrap_or(0.0))
            .collect();
        roc = metrics::roc_curve(&y, &p1, 200);
        metrics::roc_auc(&y, &p1)
    } else {
        macro_auc(labels, probs, k)
    };
    if let Some(a) = auc {
        m.set("auc", a);
    }
    // The majority class, predicted with the training frequencies.
    let majority = freqs
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i);
    let base_pred = vec![majority; labels.len()];
    let base_probs = metrics::constant_probs(&freqs, labels.len());
    let mut b = Metrics::default();
    b.set("accuracy", metrics::accuracy(labels, &base_pred));
    b.set(
        "balanced_accuracy",
        metrics::balanced_accuracy(labels, &base_pred, k),
    );
    b.set("log_loss", metrics::log_loss(labels, &base_probs, k));
    if auc.is_some() {
        b.set("auc", 0.5);
    }
    let details = EvalDetails {
        labels: names,
        confusion: Some(metrics::confusion_matrix(labels, &predicted, k)),
        roc,
        predicted_vs_actual: Vec::new(),
    };
    finish(Task::Classify, target.column(), rows, m, b, details)
}

/// Regression against predicting the training mean.
pub fn regression(
    target: &TargetSpec,
    rows: (usize, usize),
    actual: &[f64],
    predicted: &[f64],
) -> Evaluation {
    let train_mean = match target {
        TargetSpec::Numeric { mean, .. } => *mean,
        TargetSpec::Classes { .. } => metrics::mean(actual),
    };
    let base = vec![train_mean; actual.len()];
    let score = |p: &[f64]| {
        let mut m = Metrics::default();
        m.set("mae", metrics::mae(actual, p));
        m.set("rmse", metrics::rmse(actual, p));
        m.set("r2", metrics::r2(actual, p));
        m
    };
    let details = EvalDetails {
        predicted_vs_actual: thin(
            actual
                .iter()
                .zip(predicted)
                .map(|(&a, &p)| [a, p])
                .collect(),
        ),
        ..Default::default()
    };
    finish(
        Task::Regress,
        target.column(),
        rows,
        score(predicted),
        score(&base),
        details,
    )
}

/// Forecasts over the whole horizon against the seasonal-naive forecast.
pub fn forecast(
    target: &TargetSpec,
    rows: (usize, usize),
    actual: &[f64],
    predicted: &[f64],
    seasonal: &[f64],
) -> Evaluation {
    let score = |p: &[f64]| {
        let mut m = Metrics::default();
        m.set("mae", metrics::mae(actual, p));
        if let Some(v) = metrics::mape(actual, p) {
            m.set("mape", v);
        }
        m
    };
    let details = EvalDetails {
        predicted_vs_actual: thin(
            actual
                .iter()
                .zip(predicted)
                .map(|(&a, &p)| [a, p])
                .collect(),
        ),
        ..Default::default()
    };
    finish(
        Task::Forecast,
        target.column(),
        rows,
        score(predicted),
        score(seasonal),
        details,
    )
}
