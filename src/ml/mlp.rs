//! The multilayer perceptron on candle: `Linear → ReLU → … → Linear`.
//!
//! Weights are named `layer{i}.weight` / `layer{i}.bias` (candle's Linear
//! layout: weight is `[out, in]`), so the struct mirrors the safetensors
//! file. Initial weights come from our seeded RNG (candle's CPU RNG cannot
//! be seeded), He-uniform for ReLU layers.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{Linear, Module, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use crate::data::rng::Rng;

/// The network's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpConfig {
    pub inputs: usize,
    pub hidden: Vec<usize>,
    pub outputs: usize,
}

impl MlpConfig {
    /// `(in, out)` of every layer.
    pub fn layer_dims(&self) -> Vec<(usize, usize)> {
        let mut dims = Vec::new();
        let mut prev = self.inputs;
        for &h in &self.hidden {
            dims.push((prev, h));
            prev = h;
        }
        dims.push((prev, self.outputs));
        dims
    }

    /// Every weight tensor's name and shape, as stored.
    pub fn tensor_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let mut out = Vec::new();
        for (i, (fan_in, fan_out)) in self.layer_dims().into_iter().enumerate() {
            out.push((format!("layer{i}.weight"), vec![fan_out, fan_in]));
            out.push((format!("layer{i}.bias"), vec![fan_out]));
        }
        out
    }

    pub fn parameter_count(&self) -> usize {
        self.layer_dims().iter().map(|(i, o)| i * o + o).sum()
    }
}

pub struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    pub fn new(vb: VarBuilder, cfg: &MlpConfig) -> candle_core::Result<Self> {
        let layers = cfg
            .layer_dims()
            .into_iter()
            .enumerate()
            .map(|(i, (fan_in, fan_out))| {
                candle_nn::linear(fan_in, fan_out, vb.pp(format!("layer{i}")))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self { layers })
    }

    /// Raw outputs (logits or standardised values), `[batch, outputs]`.
    pub fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        let mut h = xs.clone();
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i < last {
                h = h.relu()?;
            }
        }
        Ok(h)
    }
}

/// A VarMap holding freshly initialised weights for `cfg`.
pub fn init_varmap(cfg: &MlpConfig, seed: u64, device: &Device) -> candle_core::Result<VarMap> {
    let varmap = VarMap::new();
    let mut rng = Rng::new(seed);
    {
        let mut data = varmap
            .data()
            .lock()
            .map_err(|_| candle_core::Error::Msg("the weight map lock is poisoned".to_owned()))?;
        for (i, (fan_in, fan_out)) in cfg.layer_dims().into_iter().enumerate() {
            let bound = (6.0 / fan_in.max(1) as f64).sqrt();
            let w: Vec<f32> = (0..fan_in * fan_out)
                .map(|_| rng.range(-bound, bound) as f32)
                .collect();
            let b_bound = 1.0 / (fan_in.max(1) as f64).sqrt();
            let b: Vec<f32> = (0..fan_out)
                .map(|_| rng.range(-b_bound, b_bound) as f32)
                .collect();
            let wt = Tensor::from_vec(w, (fan_out, fan_in), device)?;
            let bt = Tensor::from_vec(b, fan_out, device)?;
            data.insert(format!("layer{i}.weight"), Var::from_tensor(&wt)?);
            data.insert(format!("layer{i}.bias"), Var::from_tensor(&bt)?);
        }
    }
    Ok(varmap)
}

/// Builds the network over the VarMap's variables (for training).
pub fn mlp_from_varmap(
    varmap: &VarMap,
    cfg: &MlpConfig,
    device: &Device,
) -> candle_core::Result<Mlp> {
    let vb = VarBuilder::from_varmap(varmap, DType::F32, device);
    Mlp::new(vb, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_matches_a_hand_computation() {
        let cfg = MlpConfig {
            inputs: 2,
            hidden: vec![2],
            outputs: 1,
        };
        let dev = Device::Cpu;
        let mut ts = std::collections::HashMap::new();
        // h = relu([[1, -1], [0.5, 2]] · x + [0, -1]); y = [2, 1] · h + 0.5
        ts.insert(
            "layer0.weight".to_owned(),
            Tensor::new(&[[1f32, -1.0], [0.5, 2.0]], &dev).unwrap(),
        );
        ts.insert(
            "layer0.bias".to_owned(),
            Tensor::new(&[0f32, -1.0], &dev).unwrap(),
        );
        ts.insert(
            "layer1.weight".to_owned(),
            Tensor::new(&[[2f32, 1.0]], &dev).unwrap(),
        );
        ts.insert(
            "layer1.bias".to_owned(),
            Tensor::new(&[0.5f32], &dev).unwrap(),
        );
        let vb = VarBuilder::from_tensors(ts, DType::F32, &dev);
        let mlp = Mlp::new(vb, &cfg).unwrap();
        // x = (3, 1): h = relu(3 - 1, 1.5 + 2 - 1) = (2, 2.5); y = 4 + 2.5 + 0.5 = 7
        // x = (0, 1): h = relu(-1, 2 - 1) = (0, 1); y = 0 + 1 + 0.5 = 1.5
        let x = Tensor::new(&[[3f32, 1.0], [0.0, 1.0]], &dev).unwrap();
        let y: Vec<Vec<f32>> = mlp.forward(&x).unwrap().to_vec2().unwrap();
        assert_eq!(y, vec![vec![7.0], vec![1.5]]);
        // Batch inference (outside candle) gives the same numbers.
        let flat = crate::ml::trainer::forward_all(&mlp_weights(), &cfg, &[3.0, 1.0, 0.0, 1.0], 2);
        assert_eq!(flat.unwrap(), vec![7.0, 1.5]);
    }

    fn mlp_weights() -> std::collections::HashMap<String, Tensor> {
        let dev = Device::Cpu;
        [
            (
                "layer0.weight",
                Tensor::new(&[[1f32, -1.0], [0.5, 2.0]], &dev),
            ),
            ("layer0.bias", Tensor::new(&[0f32, -1.0], &dev)),
            ("layer1.weight", Tensor::new(&[[2f32, 1.0]], &dev)),
            ("layer1.bias", Tensor::new(&[0.5f32], &dev)),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_owned(), t.unwrap()))
        .collect()
    }

    #[test]
    fn batch_inference_matches_candle_on_a_random_network_across_threads() {
        let cfg = MlpConfig {
            inputs: 13,
            hidden: vec![40, 17],
            outputs: 3,
        };
        let dev = Device::Cpu;
        let varmap = init_varmap(&cfg, 5, &dev).unwrap();
        let weights: std::collections::HashMap<String, Tensor> = varmap
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect();
        let mlp = mlp_from_varmap(&varmap, &cfg, &dev).unwrap();
        // More rows than one block, and not a multiple of it, so that both
        // threads and a short last block are used.
        let n = 2 * crate::ml::trainer::INFER_BLOCK + 77;
        let mut rng = Rng::new(8);
        let x: Vec<f32> = (0..n * 13).map(|_| rng.normal(0.0, 1.0) as f32).collect();
        let want = mlp
            .forward(&Tensor::from_slice(&x, (n, 13), &dev).unwrap())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let got = crate::ml::trainer::forward_all(&weights, &cfg, &x, 13).unwrap();
        assert_eq!(got.len(), n * 3);
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() < 1e-4 * (1.0 + b.abs()),
                "value {i}: {a} vs {b}"
            );
        }
        // Rows of another width are refused, not misread.
        let err = crate::ml::trainer::forward_all(&weights, &cfg, &x, 12).unwrap_err();
        assert!(err.to_string().contains("takes 13 inputs"), "{err}");
    }

    #[test]
    fn seeded_init_is_reproducible_and_shaped() {
        let cfg = MlpConfig {
            inputs: 5,
            hidden: vec![4, 3],
            outputs: 2,
        };
        let a = init_varmap(&cfg, 7, &Device::Cpu).unwrap();
        let b = init_varmap(&cfg, 7, &Device::Cpu).unwrap();
        for (name, shape) in cfg.tensor_shapes() {
            let ta = a.data().lock().unwrap()[&name].as_tensor().clone();
            let tb = b.data().lock().unwrap()[&name].as_tensor().clone();
            assert_eq!(ta.dims(), shape.as_slice());
            let va: Vec<f32> = ta.flatten_all().unwrap().to_vec1().unwrap();
            let vb: Vec<f32> = tb.flatten_all().unwrap().to_vec1().unwrap();
            assert_eq!(va, vb);
        }
        assert_eq!(cfg.parameter_count(), 5 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2);
    }
}
