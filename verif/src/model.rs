//! Bit-exact reference model of the matrix engine.
//!
//! Arithmetic, as the RTL defines it:
//! - each product is int8 x int8, exact in 16 bits (range -16256..=16384, -128 x -128 included);
//! - within one weight tile the engine sums R products exactly (16 + ceil(log2 R) bits, no
//!   overflow possible) and sign-extends the sum to int32;
//! - across tiles (K > R) partial results are accumulated in int32 with two's-complement
//!   wrap-around (modulo 2^32), which is what an int32 accumulator does. Because addition
//!   modulo 2^32 is associative, the result equals the wrapped sum of all K products in any
//!   order: [`gemm`] and [`gemm_tiled`] agree bit for bit, overflow included.

use serde::{Deserialize, Serialize};

/// A row-major matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix<T> {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<T>,
}

impl<T: Copy + Default> Matrix<T> {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![T::default(); rows * cols],
        }
    }

    /// Panics if `data` does not hold rows x cols values (a caller bug, not input error).
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Self {
        assert_eq!(data.len(), rows * cols, "matrix data length");
        Matrix { rows, cols, data }
    }

    pub fn at(&self, r: usize, c: usize) -> T {
        self.data[r * self.cols + c]
    }

    pub fn set(&mut self, r: usize, c: usize, v: T) {
        self.data[r * self.cols + c] = v;
    }

    /// Element (r, c), or zero outside the matrix (zero padding of partial tiles).
    pub fn at_padded(&self, r: usize, c: usize) -> T {
        if r < self.rows && c < self.cols {
            self.at(r, c)
        } else {
            T::default()
        }
    }
}

/// `A (M x K) x W (K x N)` with int32 wrapping accumulation.
pub fn gemm(a: &Matrix<i8>, w: &Matrix<i8>) -> Matrix<i32> {
    assert_eq!(a.cols, w.rows, "inner dimensions");
    let mut out = Matrix::zeros(a.rows, w.cols);
    for m in 0..a.rows {
        for n in 0..w.cols {
            let mut acc = 0i32;
            for k in 0..a.cols {
                acc = acc.wrapping_add(a.at(m, k) as i32 * w.at(k, n) as i32);
            }
            out.set(m, n, acc);
        }
    }
    out
}

/// One unit of engine work: weight tile (k_tile, n_tile) applied to every activation row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub k_tile: usize,
    pub n_tile: usize,
}

/// How a GEMM is cut into R x C weight tiles (zero-padded at the edges).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TilePlan {
    pub rows: usize,
    pub cols: usize,
    pub m: usize,
    pub k: usize,
    pub n: usize,
}

impl TilePlan {
    pub fn new(rows: u32, cols: u32, m: usize, k: usize, n: usize) -> TilePlan {
        TilePlan {
            rows: rows as usize,
            cols: cols as usize,
            m,
            k,
            n,
        }
    }

    pub fn k_tiles(&self) -> usize {
        self.k.div_ceil(self.rows)
    }

    pub fn n_tiles(&self) -> usize {
        self.n.div_ceil(self.cols)
    }

    /// Jobs in issue order: for each output column block, every K block.
    pub fn jobs(&self) -> Vec<Job> {
        (0..self.n_tiles())
            .flat_map(|n_tile| (0..self.k_tiles()).map(move |k_tile| Job { k_tile, n_tile }))
            .collect()
    }

    /// Row `r` (0..R) of the weight tile of `job`: lane c = W[k_tile*R + r][n_tile*C + c].
    pub fn weight_row(&self, w: &Matrix<i8>, job: Job, r: usize) -> Vec<i8> {
        (0..self.cols)
            .map(|c| w.at_padded(job.k_tile * self.rows + r, job.n_tile * self.cols + c))
            .collect()
    }

    /// Activation row `m` for `job`: lane r = A[m][k_tile*R + r].
    pub fn act_row(&self, a: &Matrix<i8>, job: Job, m: usize) -> Vec<i8> {
        (0..self.rows)
            .map(|r| a.at_padded(m, job.k_tile * self.rows + r))
            .collect()
    }
}

/// What the engine outputs for one activation row against one weight tile: the exact column
/// sums, sign-extended to int32.
pub fn engine_row(act: &[i8], tile: &[Vec<i8>]) -> Vec<i32> {
    let cols = tile.first().map_or(0, Vec::len);
    (0..cols)
        .map(|c| {
            let exact: i64 = act
                .iter()
                .zip(tile)
                .map(|(&x, row)| x as i64 * row[c] as i64)
                .sum();
            exact as i32 // |exact| <= 256 * 16384 = 2^22: always representable
        })
        .collect()
}

/// Add one engine output row into the result, as the int32 accumulator does.
pub fn accumulate(out: &mut Matrix<i32>, plan: &TilePlan, job: Job, m: usize, row: &[i32]) {
    for (c, &v) in row.iter().enumerate() {
        let n = job.n_tile * plan.cols + c;
        if n < out.cols {
            let old = out.at(m, n);
            out.set(m, n, old.wrapping_add(v));
        }
    }
}

/// The GEMM computed tile by tile the way the engine and its accumulator do.
pub fn gemm_tiled(plan: &TilePlan, a: &Matrix<i8>, w: &Matrix<i8>) -> Matrix<i32> {
    let mut out = Matrix::zeros(plan.m, plan.n);
    for job in plan.jobs() {
        let tile: Vec<Vec<i8>> = (0..plan.rows).map(|r| plan.weight_row(w, job, r)).collect();
        for m in 0..plan.m {
            let row = engine_row(&plan.act_row(a, job, m), &tile);
            accumulate(&mut out, plan, job, m, &row);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_multiply_exactly() {
        let a = Matrix::from_vec(1, 2, vec![-128i8, -128]);
        let w = Matrix::from_vec(2, 1, vec![-128i8, 127]);
        assert_eq!(gemm(&a, &w).data, vec![16384 - 16256]);
        assert_eq!(engine_row(&[-128], &[vec![-128]]), vec![16384]);
    }

    #[test]
    fn int32_accumulation_wraps_and_tiling_agrees() {
        // 140_000 products of (-128 x -128) = 2_293_760_000 > i32::MAX: wraps once.
        let k = 140_000;
        let a = Matrix::from_vec(1, k, vec![-128i8; k]);
        let w = Matrix::from_vec(k, 1, vec![-128i8; k]);
        let expect = (140_000i64 * 16384 - (1i64 << 32)) as i32;
        assert_eq!(gemm(&a, &w).data, vec![expect]);
        assert!(expect < 0, "the sum really wrapped");
        let plan = TilePlan::new(8, 1, 1, k, 1);
        assert_eq!(gemm_tiled(&plan, &a, &w).data, vec![expect]);
    }

    #[test]
    fn partial_tiles_are_zero_padded() {
        let a = Matrix::from_vec(2, 3, vec![1i8, 2, 3, 4, 5, 6]);
        let w = Matrix::from_vec(3, 2, vec![7i8, 8, 9, 10, 11, 12]);
        let plan = TilePlan::new(2, 4, 2, 3, 2);
        assert_eq!(plan.jobs().len(), 2);
        assert_eq!(gemm_tiled(&plan, &a, &w), gemm(&a, &w));
        assert_eq!(gemm(&a, &w).data, vec![58, 64, 139, 154]);
    }
}
