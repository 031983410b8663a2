//! Deterministic pseudo-random data (xorshift64): test matrices, DRAM images, and the noise
//! harnesses drive on data signals whose valid is low. Cheap, seedable, and the same sequence
//! on every machine, so a printed seed reproduces a run.

use crate::model::Matrix;

/// An xorshift64 generator. The state must not be zero: [`XorShift64::new`] sets the low bit.
#[derive(Clone, Copy, Debug)]
pub struct XorShift64(u64);

impl XorShift64 {
    pub fn new(seed: u64) -> XorShift64 {
        XorShift64(seed | 1)
    }

    /// The next 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// True with probability `p` (0 never, 1 always; one step unless `p` is 0).
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        // 53 random bits as a fraction in [0, 1).
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    /// The value [`XorShift64::next_u64`] last returned.
    pub fn last(&self) -> u64 {
        self.0
    }

    /// `n` bytes (one step each).
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// A `rows x cols` int8 matrix (one step per element).
    pub fn matrix(&mut self, rows: usize, cols: usize) -> Matrix<i8> {
        let data = (0..rows * cols).map(|_| self.next_u64() as i8).collect();
        Matrix::from_vec(rows, cols, data)
    }
}
