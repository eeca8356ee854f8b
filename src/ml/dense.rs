//! Dense layers for inference on the CPU, outside candle's graph: the
//! weights kept transposed (`[in, out]`, so that gemm reads them without
//! packing them first), the bias written into the output before the product
//! adds to it, each product on the calling thread — callers share rows out
//! over threads themselves, which costs one spawn per share instead of a
//! barrier per operation. Used by batch inference of the tabular networks
//! ([`super::trainer::forward_all`]) and by the BERT sentence encoder
//! (`text::bert`). Training stays on candle (it needs the gradients).
//!
//! Products call `gemm`, the crate candle's CPU backend uses (with its
//! AVX-512 kernels chosen at run time). Its entry point takes raw pointers;
//! [`matmul`] is the one safe wrapper, checking every length before the
//! call — the module's only `unsafe`.

/// `out = x · W + b`, with W stored `[inputs, outputs]`.
pub struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl std::fmt::Debug for Dense {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dense({} → {})", self.inputs, self.outputs)
    }
}

impl Dense {
    /// From PyTorch's (and candle's) layout: `weight` `[outputs, inputs]`
    /// row-major, `bias` `[outputs]`. `None` when the lengths disagree.
    pub fn from_out_in(
        weight: &[f32],
        bias: &[f32],
        inputs: usize,
        outputs: usize,
    ) -> Option<Self> {
        if weight.len() != inputs.checked_mul(outputs)? || bias.len() != outputs {
            return None;
        }
        let mut t = vec![0.0f32; weight.len()];
        if inputs > 0 {
            for (o, row) in weight.chunks_exact(inputs).enumerate() {
                for (i, &v) in row.iter().enumerate() {
                    t[i * outputs + o] = v;
                }
            }
        }
        Some(Self {
            weight: t,
            bias: bias.to_vec(),
            inputs,
            outputs,
        })
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `out[rows × outputs] = x[rows × inputs] · W + b`; `x` and `out` may
    /// be longer than needed (scratch buffers), the rest is left alone.
    ///
    /// # Panics
    /// When `x` or `out` is shorter than `rows` rows: a caller's bug.
    pub fn forward(&self, x: &[f32], rows: usize, out: &mut [f32]) {
        let out = &mut out[..rows * self.outputs];
        if self.outputs == 0 {
            return;
        }
        for row in out.chunks_exact_mut(self.outputs) {
            row.copy_from_slice(&self.bias);
        }
        matmul(
            out,
            &x[..rows * self.inputs],
            &self.weight,
            rows,
            self.inputs,
            self.outputs,
        );
    }
}

/// Splits `0..n` into `parts` contiguous ranges of nearly equal length (the
/// first ones one longer); never more ranges than items, at least one.
pub fn shares(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|k| n * k / parts..n * (k + 1) / parts)
        .collect()
}

/// The number of threads for CPU-bound work: one per core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `out[m × n] += a[m × k] · b[k × n]` (row-major all), on the calling
/// thread.
///
/// # Panics
/// When a slice's length is not what the sizes say: a caller's bug.
pub fn matmul(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    assert!(
        out.len() == m * n && a.len() == m * k && b.len() == k * n,
        "matmul: lengths {} {} {} do not fit {m}×{k}·{k}×{n}",
        out.len(),
        a.len(),
        b.len()
    );
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    // SAFETY: the three slices hold exactly m×n, m×k and k×n values (checked
    // above) and the strides below address only those, all row-major
    // (column stride 1, row stride = the row's length). `out` cannot overlap
    // `a` or `b`: it is borrowed mutably.
    #[allow(unsafe_code)]
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            true,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dense_layer_is_x_times_w_transposed_plus_b() {
        // W [out=2, in=3] in PyTorch's layout.
        let w = [1.0, 2.0, 3.0, -1.0, 0.5, 0.0];
        let d = Dense::from_out_in(&w, &[0.25, -2.0], 3, 2).unwrap();
        let x = [1.0, 1.0, 1.0, 2.0, 0.0, -1.0];
        let mut out = [9.0f32; 5]; // one spare value stays as it is
        d.forward(&x, 2, &mut out);
        assert_eq!(out, [6.25, -2.5, -0.75, -4.0, 9.0]);
        assert!(Dense::from_out_in(&w, &[0.0], 3, 2).is_none());
        assert!(Dense::from_out_in(&w[..5], &[0.0, 0.0], 3, 2).is_none());
    }

    #[test]
    fn matmul_agrees_with_a_triple_loop_on_odd_sizes() {
        let (m, k, n) = (37, 19, 23);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 5) % 11) as f32 * 0.5 - 2.0)
            .collect();
        let mut out = vec![1.0f32; m * n];
        matmul(&mut out, &a, &b, m, k, n);
        for i in 0..m {
            for j in 0..n {
                let want: f32 = 1.0 + (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum::<f32>();
                assert!((out[i * n + j] - want).abs() < 1e-3, "({i}, {j})");
            }
        }
    }

    #[test]
    fn shares_cover_every_row_once() {
        for (n, parts) in [(0, 2), (1, 4), (10, 3), (100_001, 2), (7, 7)] {
            let s = shares(n, parts);
            assert!(!s.is_empty() && s.len() <= parts.max(1));
            assert_eq!(s.first().map(|r| r.start), Some(0));
            assert_eq!(s.last().map(|r| r.end), Some(n));
            for w in s.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
        }
    }
}
