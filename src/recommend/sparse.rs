//! [`Csr`]: a compressed sparse row matrix of `f32`, the one sparse format
//! the recommenders use.
//!
//! A user × item interaction matrix is stored as CSR (rows = users); its
//! [`Csr::transpose`] is the same data as CSC, i.e. the item × user matrix.
//! Column indices are `u32` (4 bytes per non-zero instead of 8) because no
//! city has four billion services or residents.
//!
//! Every method is total: a row index past the end gives an empty row, and
//! a matrix whose fields were set by hand to inconsistent values gives empty
//! or shortened rows rather than a panic.
//!
//! Depends only on `std`.

/// A compressed sparse row matrix.
///
/// Row `r` holds the column indices `indices[indptr[r]..indptr[r + 1]]`
/// (strictly increasing) and their `values` at the same positions.
/// `indptr.len() == n_rows + 1`.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
    pub n_cols: usize,
}

impl Default for Csr {
    fn default() -> Self {
        Self::empty(0, 0)
    }
}

impl Csr {
    /// A matrix of the given shape with no non-zeros.
    pub fn empty(n_rows: usize, n_cols: usize) -> Self {
        Self {
            indptr: vec![0; n_rows + 1],
            indices: Vec::new(),
            values: Vec::new(),
            n_cols,
        }
    }

    /// Builds a matrix from `(row, column, value)` triples in any order.
    ///
    /// The triples are sorted in place (by row, then column) and duplicates
    /// of one `(row, column)` are summed. Triples outside
    /// `n_rows × n_cols` are dropped: callers build the triples from their
    /// own vocabularies, so one out of range is a bug upstream, not data.
    pub fn from_triples(n_rows: usize, n_cols: usize, triples: &mut Vec<(u32, u32, f32)>) -> Self {
        triples.retain(|&(r, c, _)| (r as usize) < n_rows && (c as usize) < n_cols);
        triples.sort_unstable_by_key(|&(r, c, _)| (r, c));
        let mut indptr = vec![0usize; n_rows + 1];
        let mut indices: Vec<u32> = Vec::with_capacity(triples.len());
        let mut values: Vec<f32> = Vec::with_capacity(triples.len());
        let mut last: Option<(u32, u32)> = None;
        for &(r, c, v) in triples.iter() {
            if last == Some((r, c)) {
                if let Some(sum) = values.last_mut() {
                    *sum += v;
                }
                continue;
            }
            last = Some((r, c));
            indices.push(c);
            values.push(v);
            if let Some(count) = indptr.get_mut(r as usize + 1) {
                *count += 1;
            }
        }
        for r in 0..n_rows {
            let before = indptr.get(r).copied().unwrap_or(0);
            if let Some(p) = indptr.get_mut(r + 1) {
                *p += before;
            }
        }
        Self {
            indptr,
            indices,
            values,
            n_cols,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Number of stored entries (non-zeros).
    pub fn nnz(&self) -> usize {
        self.indices.len().min(self.values.len())
    }

    /// The column indices and values of row `r`; empty past the last row.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (Some(&start), Some(&end)) = (self.indptr.get(r), self.indptr.get(r + 1)) else {
            return (&[], &[]);
        };
        match (self.indices.get(start..end), self.values.get(start..end)) {
            (Some(i), Some(v)) => (i, v),
            _ => (&[], &[]),
        }
    }

    /// Number of entries in row `r` (0 past the last row).
    pub fn row_len(&self, r: usize) -> usize {
        self.row(r).0.len()
    }

    /// The stored value at `(r, c)`, by binary search within the row.
    pub fn get(&self, r: usize, c: u32) -> Option<f32> {
        let (cols, vals) = self.row(r);
        let at = cols.binary_search(&c).ok()?;
        vals.get(at).copied()
    }

    /// The transpose (CSR of the transpose = CSC of `self`), in O(nnz) by a
    /// counting sort on the column index. Rows of the result come out with
    /// increasing column indices because `self`'s rows are visited in order.
    pub fn transpose(&self) -> Csr {
        let n_rows = self.n_rows();
        let n_cols = self.n_cols;
        let mut indptr = vec![0usize; n_cols + 1];
        for &c in &self.indices {
            if let Some(count) = indptr.get_mut(c as usize + 1) {
                *count += 1;
            }
        }
        for c in 0..n_cols {
            let before = indptr.get(c).copied().unwrap_or(0);
            if let Some(p) = indptr.get_mut(c + 1) {
                *p += before;
            }
        }
        let nnz = indptr.last().copied().unwrap_or(0);
        let mut next = indptr.clone();
        let mut indices = vec![0u32; nnz];
        let mut values = vec![0f32; nnz];
        for r in 0..n_rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let Some(slot) = next.get_mut(c as usize) else {
                    continue;
                };
                let at = *slot;
                *slot += 1;
                if let (Some(i), Some(x)) = (indices.get_mut(at), values.get_mut(at)) {
                    *i = r as u32;
                    *x = v;
                }
            }
        }
        Csr {
            indptr,
            indices,
            values,
            n_cols: n_rows,
        }
    }

    /// The Euclidean norm of every row, `sqrt(Σ v²)`.
    pub fn row_norms(&self) -> Vec<f32> {
        (0..self.n_rows())
            .map(|r| self.row(r).1.iter().map(|v| v * v).sum::<f32>().sqrt())
            .collect()
    }

    /// The number of entries in every column (e.g. users per item).
    pub fn col_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.n_cols];
        for &c in &self.indices {
            if let Some(n) = counts.get_mut(c as usize) {
                *n += 1;
            }
        }
        counts
    }

    /// The same sparsity pattern with every value replaced by `f(row, value)`.
    pub fn map_values(&self, mut f: impl FnMut(usize, f32) -> f32) -> Csr {
        let mut out = self.clone();
        for r in 0..self.n_rows() {
            let (Some(&start), Some(&end)) = (self.indptr.get(r), self.indptr.get(r + 1)) else {
                continue;
            };
            if let Some(vals) = out.values.get_mut(start..end) {
                for v in vals {
                    *v = f(r, *v);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Csr {
        // [[0, 2, 0],
        //  [1, 0, 3]]
        let mut t = vec![(1, 2, 3.0), (0, 1, 2.0), (1, 0, 1.0)];
        Csr::from_triples(2, 3, &mut t)
    }

    #[test]
    fn from_triples_sorts_rows_and_sums_duplicates() {
        let mut t = vec![(1, 2, 1.0), (0, 1, 2.0), (1, 0, 1.0), (1, 2, 2.0)];
        let m = Csr::from_triples(3, 3, &mut t);
        assert_eq!(m.indptr, vec![0, 1, 3, 3]);
        assert_eq!(m.indices, vec![1, 0, 2]);
        assert_eq!(m.values, vec![2.0, 1.0, 3.0]);
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.row(2), (&[][..], &[][..]));
        assert_eq!(m.get(1, 2), Some(3.0));
        assert_eq!(m.get(1, 1), None);
    }

    #[test]
    fn out_of_range_triples_and_rows_do_not_panic() {
        let mut t = vec![(5, 0, 1.0), (0, 9, 1.0), (0, 0, 1.0)];
        let m = Csr::from_triples(1, 1, &mut t);
        assert_eq!(m.nnz(), 1);
        assert_eq!(m.row(7), (&[][..], &[][..]));
        let broken = Csr {
            indptr: vec![0, 5],
            indices: vec![0],
            values: vec![1.0],
            n_cols: 1,
        };
        assert_eq!(broken.row(0).0.len(), 0);
        assert_eq!(broken.transpose().n_rows(), 1);
    }

    #[test]
    fn transpose_swaps_rows_and_columns_and_round_trips() {
        let m = small();
        let t = m.transpose();
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.n_cols, 2);
        // Column 0 of m is [0, 1]; column 2 is [0, 3].
        assert_eq!(t.row(0), (&[1u32][..], &[1.0f32][..]));
        assert_eq!(t.row(1), (&[0u32][..], &[2.0f32][..]));
        assert_eq!(t.row(2), (&[1u32][..], &[3.0f32][..]));
        assert_eq!(t.transpose(), m);
    }

    #[test]
    fn row_norms_and_column_counts() {
        let m = small();
        // Row 0: sqrt(4) = 2; row 1: sqrt(1 + 9) = sqrt(10).
        let norms = m.row_norms();
        assert_eq!(norms[0], 2.0);
        assert!((norms[1] - 10f32.sqrt()).abs() < 1e-6);
        assert_eq!(m.col_counts(), vec![1, 1, 1]);
        let doubled = m.map_values(|_, v| 2.0 * v);
        assert_eq!(doubled.values, vec![4.0, 2.0, 6.0]);
    }
}
