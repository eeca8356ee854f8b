//! Mini-batch training of the MLP with AdamW: seeded shuffling, per-sample
//! class weights, validation after every epoch, early stopping on the
//! validation loss, and the best weights kept (also when cancelled).

use std::collections::HashMap;

use candle_core::{D, DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarMap};
use serde::{Deserialize, Serialize};

use super::MlError;
use super::dense::{self, Dense};
use super::mlp::{self, MlpConfig};
use crate::data::Progress;
use crate::data::rng::Rng;

/// What the network is trained to output.
#[derive(Clone, Debug)]
pub enum Targets {
    /// 0/1 per row, one logit output.
    Binary(Vec<f32>),
    /// A class index per row, `k` logits.
    Multi { labels: Vec<u32>, k: usize },
    /// `k` standardised numbers per row (row-major).
    Real { values: Vec<f32>, k: usize },
}

impl Targets {
    pub fn outputs(&self) -> usize {
        match self {
            Self::Binary(_) => 1,
            Self::Multi { k, .. } | Self::Real { k, .. } => *k,
        }
    }
}

/// Features and targets, row-major.
#[derive(Clone, Debug)]
pub struct TrainSet {
    pub x: Vec<f32>,
    pub width: usize,
    pub y: Targets,
}

impl TrainSet {
    pub fn rows(&self) -> usize {
        self.x.len().checked_div(self.width).unwrap_or(0)
    }
}

/// Hyper-parameters (the usual defaults for a small tabular network).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub hidden: Vec<usize>,
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub patience: usize,
    pub seed: u64,
    /// Weigh classes by inverse frequency (imbalanced targets).
    pub class_weights: bool,
    /// Share of rows (or of time, for forecasts) held out for validation.
    pub validation_fraction: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            hidden: vec![64, 64],
            epochs: 50,
            batch_size: 32,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            patience: 5,
            seed: 42,
            class_weights: true,
            validation_fraction: 0.2,
        }
    }
}

/// Most hidden layers a network may have.
pub const MAX_HIDDEN_LAYERS: usize = 64;
/// Most units in one hidden layer.
pub const MAX_HIDDEN_UNITS: usize = 16_384;
/// Most passes over the training rows.
pub const MAX_EPOCHS: usize = 100_000;
/// Most rows in one training step.
pub const MAX_BATCH_SIZE: usize = 1_000_000;
/// Largest learning rate accepted (AdamW diverges long before).
pub const MAX_LEARNING_RATE: f64 = 10.0;

impl TrainConfig {
    /// Checks that training with these settings can work: the one rule for
    /// the command line, the dashboard and the router. The error names the
    /// field, its value and the values that work.
    pub fn validate(&self) -> Result<(), MlError> {
        let bad = |field: &'static str, value: String, allowed: String| {
            Err(MlError::InvalidConfig {
                field,
                value,
                allowed,
            })
        };
        let shown = || {
            self.hidden
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return bad(
                "hidden",
                format!("{} layers", self.hidden.len()),
                format!("at most {MAX_HIDDEN_LAYERS} hidden layers (two are usual)"),
            );
        }
        if self
            .hidden
            .iter()
            .any(|n| !(1..=MAX_HIDDEN_UNITS).contains(n))
        {
            return bad(
                "hidden",
                shown(),
                format!("layer sizes from 1 to {MAX_HIDDEN_UNITS} units (64,64 is usual)"),
            );
        }
        if !(1..=MAX_EPOCHS).contains(&self.epochs) {
            return bad(
                "epochs",
                self.epochs.to_string(),
                format!("from 1 to {MAX_EPOCHS} epochs"),
            );
        }
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return bad(
                "batch_size",
                self.batch_size.to_string(),
                format!("from 1 to {MAX_BATCH_SIZE} rows per step (32 is usual)"),
            );
        }
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate <= MAX_LEARNING_RATE)
        {
            return bad(
                "learning_rate",
                self.learning_rate.to_string(),
                format!("a number above 0 and at most {MAX_LEARNING_RATE} (0.001 is usual)"),
            );
        }
        if !(self.weight_decay.is_finite() && (0.0..=1.0).contains(&self.weight_decay)) {
            return bad(
                "weight_decay",
                self.weight_decay.to_string(),
                "a number from 0 to 1 (0.0001 is usual)".to_owned(),
            );
        }
        if !(self.validation_fraction.is_finite()
            && self.validation_fraction > 0.0
            && self.validation_fraction < 1.0)
        {
            return bad(
                "validation_fraction",
                self.validation_fraction.to_string(),
                "a share above 0 and below 1 (0.2 is usual)".to_owned(),
            );
        }
        Ok(())
    }
}

/// One epoch's figures, streamed to the UI and the terminal.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub train_loss: f64,
    pub valid_loss: f64,
}

/// Why training stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    AllEpochs,
    EarlyStopping,
    Cancelled,
}

pub struct TrainOutcome {
    pub config: MlpConfig,
    /// The weights of the epoch with the lowest validation loss.
    pub weights: HashMap<String, Tensor>,
    pub history: Vec<EpochReport>,
    pub best_epoch: usize,
    pub stop: Stop,
}

/// Class weights shift a classifier's output odds by the weights' ratio;
/// subtracting `ln w_c` from each class's output bias undoes that shift, so
/// the probabilities are calibrated to the training distribution again
/// (binary: one logit, shifted by `ln(w1 / w0)`).
fn undo_class_weight_shift(
    weights: &mut HashMap<String, Tensor>,
    cfg: &MlpConfig,
    y: &Targets,
) -> Result<(), MlError> {
    let shift: Vec<f32> = match y {
        Targets::Binary(v) => {
            let labels: Vec<u32> = v.iter().map(|&x| u32::from(x > 0.5)).collect();
            let w = inverse_frequency(&labels, 2);
            vec![(w[1] / w[0]).ln()]
        }
        Targets::Multi { labels, k } => inverse_frequency(labels, *k)
            .iter()
            .map(|w| w.ln())
            .collect(),
        Targets::Real { .. } => return Ok(()),
    };
    let name = format!("layer{}.bias", cfg.hidden.len());
    let Some(bias) = weights.get(&name) else {
        return Err(MlError::Weights(format!("no tensor '{name}'")));
    };
    let adjusted = (bias - Tensor::from_vec(shift, bias.dims(), bias.device())?)?;
    weights.insert(name, adjusted);
    Ok(())
}

/// Class weights `n / (k · count_c)`, 1 for absent classes.
fn inverse_frequency(labels: &[u32], k: usize) -> Vec<f32> {
    let mut counts = vec![0usize; k];
    for &l in labels {
        if let Some(c) = counts.get_mut(l as usize) {
            *c += 1;
        }
    }
    let n = labels.len() as f32;
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                1.0
            } else {
                n / (k as f32 * c as f32)
            }
        })
        .collect()
}

/// Per-sample losses' weighted mean for a batch.
fn batch_loss(
    logits: &Tensor,
    set: &TrainSet,
    idx: &[usize],
    sample_weight: Option<&[f32]>,
    dev: &Device,
) -> candle_core::Result<Tensor> {
    let b = idx.len();
    let per_sample = match &set.y {
        Targets::Binary(y) => {
            let yb: Vec<f32> = idx
                .iter()
                .map(|&i| y.get(i).copied().unwrap_or(0.0))
                .collect();
            let y = Tensor::from_vec(yb, (b, 1), dev)?;
            // log(1 + e^z) - z·y, written stably as max(z, 0) - z·y + log(1 + e^-|z|)
            let z = logits;
            (z.relu()? - (z * &y)?)?
                .add(&(z.abs()?.neg()?.exp()? + 1.0)?.log()?)?
                .squeeze(1)?
        }
        Targets::Multi { labels, .. } => {
            let lb: Vec<u32> = idx
                .iter()
                .map(|&i| labels.get(i).copied().unwrap_or(0))
                .collect();
            let l = Tensor::from_vec(lb, (b, 1), dev)?;
            candle_nn::ops::log_softmax(logits, D::Minus1)?
                .gather(&l, 1)?
                .squeeze(1)?
                .neg()?
        }
        Targets::Real { values, k } => {
            let mut yb = Vec::with_capacity(b * k);
            for &i in idx {
                yb.extend_from_slice(values.get(i * k..(i + 1) * k).unwrap_or(&[]));
            }
            let y = Tensor::from_vec(yb, (b, *k), dev)?;
            (logits - y)?.sqr()?.mean(1)?
        }
    };
    match sample_weight {
        None => per_sample.mean_all(),
        Some(w) => {
            let wb: Vec<f32> = idx
                .iter()
                .map(|&i| w.get(i).copied().unwrap_or(1.0))
                .collect();
            let total: f32 = wb.iter().sum();
            let w = Tensor::from_vec(wb, b, dev)?;
            (per_sample * w)?.sum_all()? / f64::from(total.max(1e-12))
        }
    }
}

fn batch_x(
    set: &TrainSet,
    idx: &[usize],
    buf: &mut Vec<f32>,
    dev: &Device,
) -> candle_core::Result<Tensor> {
    buf.clear();
    let w = set.width;
    for &i in idx {
        buf.extend_from_slice(set.x.get(i * w..(i + 1) * w).unwrap_or(&[]));
    }
    Tensor::from_slice(buf, (idx.len(), w), dev)
}

fn sample_weights(set: &TrainSet, enabled: bool) -> Option<Vec<f32>> {
    if !enabled {
        return None;
    }
    match &set.y {
        Targets::Binary(y) => {
            let labels: Vec<u32> = y.iter().map(|&v| u32::from(v > 0.5)).collect();
            let cw = inverse_frequency(&labels, 2);
            Some(labels.iter().map(|&l| cw[l as usize]).collect())
        }
        Targets::Multi { labels, k } => {
            let cw = inverse_frequency(labels, *k);
            Some(
                labels
                    .iter()
                    .map(|&l| cw.get(l as usize).copied().unwrap_or(1.0))
                    .collect(),
            )
        }
        Targets::Real { .. } => None,
    }
}

/// The mean loss over a whole set (no gradients), in chunks.
fn evaluate_loss(
    net: &mlp::Mlp,
    set: &TrainSet,
    weights: Option<&[f32]>,
    dev: &Device,
) -> candle_core::Result<f64> {
    let n = set.rows();
    if n == 0 {
        return Ok(f64::NAN);
    }
    let mut buf = Vec::new();
    let (mut sum, mut total_w) = (0.0f64, 0.0f64);
    for start in (0..n).step_by(4096) {
        let idx: Vec<usize> = (start..(start + 4096).min(n)).collect();
        let x = batch_x(set, &idx, &mut buf, dev)?;
        let loss = batch_loss(&net.forward(&x)?, set, &idx, weights, dev)?.to_scalar::<f32>()?;
        let w: f64 = match weights {
            Some(ws) => idx
                .iter()
                .map(|&i| f64::from(ws.get(i).copied().unwrap_or(1.0)))
                .sum(),
            None => idx.len() as f64,
        };
        sum += f64::from(loss) * w;
        total_w += w;
    }
    Ok(sum / total_w.max(1e-12))
}

fn snapshot(varmap: &VarMap) -> Result<HashMap<String, Tensor>, MlError> {
    let data = varmap
        .data()
        .lock()
        .map_err(|_| MlError::Weights("the weight map lock is poisoned".to_owned()))?;
    let mut out = HashMap::new();
    for (k, v) in data.iter() {
        out.insert(k.clone(), v.as_tensor().copy()?);
    }
    Ok(out)
}

/// Trains a network on `train`, validating on `valid` after each epoch.
/// `on_epoch` sees every epoch's report (for live loss curves).
pub fn train(
    train: &TrainSet,
    valid: &TrainSet,
    cfg: &TrainConfig,
    progress: &dyn Progress,
    on_epoch: &mut dyn FnMut(&EpochReport),
) -> Result<TrainOutcome, MlError> {
    cfg.validate()?;
    let dev = Device::Cpu;
    let n = train.rows();
    if n == 0 {
        return Err(MlError::NotEnoughData {
            what: "train",
            why: "the training split has no rows".to_owned(),
        });
    }
    let config = MlpConfig {
        inputs: train.width,
        hidden: cfg.hidden.clone(),
        outputs: train.y.outputs(),
    };
    let varmap = mlp::init_varmap(&config, cfg.seed, &dev)?;
    let net = mlp::mlp_from_varmap(&varmap, &config, &dev)?;
    let mut opt = AdamW::new(
        varmap.all_vars(),
        ParamsAdamW {
            lr: cfg.learning_rate,
            weight_decay: cfg.weight_decay,
            ..Default::default()
        },
    )?;
    let train_w = sample_weights(train, cfg.class_weights);
    let valid_w = sample_weights(valid, cfg.class_weights);
    let mut rng = Rng::new(cfg.seed ^ 0x5EED);
    let mut order: Vec<usize> = (0..n).collect();
    let mut buf = Vec::with_capacity(cfg.batch_size * train.width);
    let batch = cfg.batch_size.max(1);
    let epochs = cfg.epochs.max(1);
    let mut history = Vec::new();
    let mut best: Option<(f64, usize, HashMap<String, Tensor>)> = None;
    let mut stop = Stop::AllEpochs;
    let mut since_best = 0usize;

    'epochs: for epoch in 1..=epochs {
        rng.shuffle(&mut order);
        let (mut sum, mut count) = (0.0f64, 0usize);
        for (b, idx) in order.chunks(batch).enumerate() {
            if b % 64 == 0 {
                if progress.is_cancelled() {
                    stop = Stop::Cancelled;
                    break 'epochs;
                }
                let done = (epoch - 1) as f32 + (b * batch) as f32 / n as f32;
                progress.report(done / epochs as f32, &format!("Epoch {epoch}/{epochs}"));
            }
            let x = batch_x(train, idx, &mut buf, &dev)?;
            let loss = batch_loss(&net.forward(&x)?, train, idx, train_w.as_deref(), &dev)?;
            opt.backward_step(&loss)?;
            if b % 16 == 0 {
                sum += f64::from(loss.to_scalar::<f32>()?);
                count += 1;
            }
        }
        let train_loss = sum / count.max(1) as f64;
        let valid_loss = if valid.rows() > 0 {
            evaluate_loss(&net, valid, valid_w.as_deref(), &dev)?
        } else {
            train_loss
        };
        let report = EpochReport {
            epoch,
            train_loss,
            valid_loss,
        };
        on_epoch(&report);
        progress.report(
            epoch as f32 / epochs as f32,
            &format!("Epoch {epoch}/{epochs}: train loss {train_loss:.4}, validation loss {valid_loss:.4}"),
        );
        history.push(report);
        let improved = best.as_ref().is_none_or(|(b, _, _)| valid_loss < b - 1e-6);
        if improved {
            best = Some((valid_loss, epoch, snapshot(&varmap)?));
            since_best = 0;
        } else {
            since_best += 1;
            if cfg.patience > 0 && since_best >= cfg.patience {
                stop = Stop::EarlyStopping;
                break;
            }
        }
    }
    let Some((_, best_epoch, mut weights)) = best else {
        return Err(MlError::Cancelled);
    };
    if cfg.class_weights {
        undo_class_weight_shift(&mut weights, &config, &train.y)?;
    }
    Ok(TrainOutcome {
        config,
        weights,
        history,
        best_epoch,
        stop,
    })
}

/// Runs the network over `x` (row-major, `width` columns); returns the raw
/// outputs, row-major. Inference only, so it runs outside candle's graph
/// ([`super::dense`]): the rows are shared out over the cores and each
/// thread takes its share through the whole network in blocks of
/// [`INFER_BLOCK`] rows, with ReLU applied in place.
pub fn forward_all(
    weights: &HashMap<String, Tensor>,
    cfg: &MlpConfig,
    x: &[f32],
    width: usize,
) -> Result<Vec<f32>, MlError> {
    if width != cfg.inputs {
        return Err(MlError::Weights(format!(
            "the network takes {} inputs but the rows have {width} values",
            cfg.inputs
        )));
    }
    let values = |name: &str| -> Result<Vec<f32>, MlError> {
        let t = weights
            .get(name)
            .ok_or_else(|| MlError::Weights(format!("no tensor '{name}'")))?;
        Ok(t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?)
    };
    let mut layers = Vec::new();
    for (i, (fan_in, fan_out)) in cfg.layer_dims().into_iter().enumerate() {
        let w = values(&format!("layer{i}.weight"))?;
        let b = values(&format!("layer{i}.bias"))?;
        layers.push(Dense::from_out_in(&w, &b, fan_in, fan_out).ok_or_else(|| {
            MlError::Weights(format!(
                "layer{i} holds {} weights and {} biases, the card says {fan_in} → {fan_out}",
                w.len(),
                b.len()
            ))
        })?);
    }
    let n = x.len().checked_div(width).unwrap_or(0);
    let x = &x[..n * width];
    let mut out = vec![0.0f32; n * cfg.outputs];
    let run = |rows: std::ops::Range<usize>, out: &mut [f32]| {
        let widest = layers.iter().map(Dense::outputs).max().unwrap_or(0);
        let (mut a, mut b) = (
            vec![0.0f32; INFER_BLOCK * widest],
            vec![0.0f32; INFER_BLOCK * widest],
        );
        let last = layers.len().saturating_sub(1);
        for start in rows.clone().step_by(INFER_BLOCK) {
            let end = (start + INFER_BLOCK).min(rows.end);
            let m = end - start;
            let mut input: &[f32] = &x[start * width..end * width];
            for (i, layer) in layers.iter().enumerate() {
                let dst = if i == last {
                    &mut out[(start - rows.start) * cfg.outputs..(end - rows.start) * cfg.outputs]
                } else {
                    &mut b[..m * layer.outputs()]
                };
                layer.forward(input, m, dst);
                if i < last {
                    dst.iter_mut().for_each(|v| *v = v.max(0.0));
                    std::mem::swap(&mut a, &mut b);
                    input = &a[..m * layer.outputs()];
                }
            }
        }
    };
    // Fewer rows than this are not worth a second thread.
    let threads = dense::threads().min(n / 256 + 1);
    let shares = dense::shares(n, threads);
    if shares.len() <= 1 {
        run(0..n, &mut out);
    } else {
        std::thread::scope(|scope| {
            let mut rest: &mut [f32] = &mut out;
            for share in shares {
                let (mine, tail) = rest.split_at_mut(share.len() * cfg.outputs);
                rest = tail;
                let run = &run;
                scope.spawn(move || run(share, mine));
            }
        });
    }
    Ok(out)
}

/// Rows per block in [`forward_all`]: enough for gemm to run at full speed,
/// few enough that a block's activations stay in the cache.
pub const INFER_BLOCK: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    fn separable(n: usize, seed: u64) -> TrainSet {
        let mut rng = Rng::new(seed);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = rng.range(-1.0, 1.0) as f32;
            let b = rng.range(-1.0, 1.0) as f32;
            x.extend([a, b]);
            y.push(f32::from(u8::from(a + 2.0 * b > 0.1)));
        }
        TrainSet {
            x,
            width: 2,
            y: Targets::Binary(y),
        }
    }

    #[test]
    fn learns_a_separable_problem() {
        let (tr, va) = (separable(2000, 1), separable(500, 2));
        let cfg = TrainConfig {
            epochs: 20,
            ..Default::default()
        };
        let out = train(&tr, &va, &cfg, &(), &mut |_| {}).unwrap();
        let logits = forward_all(&out.weights, &out.config, &va.x, 2).unwrap();
        let Targets::Binary(y) = &va.y else { panic!() };
        let correct = logits
            .iter()
            .zip(y)
            .filter(|(z, y)| (**z > 0.0) == (**y > 0.5))
            .count();
        let acc = correct as f64 / y.len() as f64;
        assert!(acc > 0.95, "accuracy {acc}");
        assert!(out.history.len() >= 2);
        assert!(out.history.last().unwrap().train_loss < out.history[0].train_loss);
    }

    #[test]
    fn settings_out_of_range_are_refused_naming_field_value_and_range() {
        let tr = separable(50, 4);
        for (cfg, field, value) in [
            (
                TrainConfig {
                    learning_rate: -0.5,
                    ..Default::default()
                },
                "learning_rate",
                "-0.5",
            ),
            (
                TrainConfig {
                    hidden: vec![64, 0],
                    ..Default::default()
                },
                "hidden",
                "64,0",
            ),
            (
                TrainConfig {
                    batch_size: 0,
                    ..Default::default()
                },
                "batch_size",
                "0",
            ),
            (
                TrainConfig {
                    validation_fraction: 1.0,
                    ..Default::default()
                },
                "validation_fraction",
                "1",
            ),
        ] {
            let err = train(&tr, &tr, &cfg, &(), &mut |_| {}).err().unwrap();
            assert!(
                matches!(&err, MlError::InvalidConfig { field: f, value: v, .. } if *f == field && v == value),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(
                text.contains(&format!("{field} is {value}; choose ")),
                "{text}"
            );
        }
        assert!(TrainConfig::default().validate().is_ok());
    }

    #[test]
    fn same_seed_same_weights() {
        let tr = separable(300, 3);
        let cfg = TrainConfig {
            epochs: 2,
            ..Default::default()
        };
        let a = train(&tr, &tr, &cfg, &(), &mut |_| {}).unwrap();
        let b = train(&tr, &tr, &cfg, &(), &mut |_| {}).unwrap();
        for (k, ta) in &a.weights {
            let va: Vec<f32> = ta.flatten_all().unwrap().to_vec1().unwrap();
            let vb: Vec<f32> = b.weights[k].flatten_all().unwrap().to_vec1().unwrap();
            assert_eq!(va, vb, "{k}");
        }
    }

    #[test]
    fn cancelling_keeps_no_half_epoch_but_errors_before_the_first() {
        struct Stop;
        impl Progress for Stop {
            fn report(&self, _: f32, _: &str) {}
            fn is_cancelled(&self) -> bool {
                true
            }
        }
        let tr = separable(100, 4);
        let err = train(&tr, &tr, &TrainConfig::default(), &Stop, &mut |_| {})
            .err()
            .unwrap();
        assert!(matches!(err, MlError::Cancelled));
    }

    #[test]
    fn inverse_frequency_weights_balance_classes() {
        // 3 of class 0, 1 of class 1: weights 4/(2·3) and 4/(2·1).
        let w = inverse_frequency(&[0, 0, 0, 1], 2);
        assert!((w[0] - 2.0 / 3.0).abs() < 1e-6 && (w[1] - 2.0).abs() < 1e-6);
    }
}
