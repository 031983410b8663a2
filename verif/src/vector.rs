//! The vector unit's reference model: every VECTOR operation and the STORE epilogue, bit for
//! bit (the encodings are `seedchip_hdl::chip::vector_isa`; `docs/isa.md` spells out the
//! arithmetic). The chip model ([`crate::chip_model`]) runs VECTOR instructions with it.

use seedchip_hdl::chip::isa::{Post, VectorOp, QPARAM_ROWS, TABLE_ENTRIES, TABLE_WORDS};

use crate::quant::{clamp, rounding_divide_by_pot, Requant};

/// A lane's 6-bit shift field: bits 5..0 of the word, as a signed value -32..=31.
pub fn shift_field(word: i32) -> i32 {
    ((word << 26) >> 26).clamp(-32, 31)
}

/// One segment of the piecewise-linear table: on it, `y = y0 + x * M * 2^(shift - 31)`
/// (x counted from the segment's start), rounded as requantisation rounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub multiplier: i32,
    pub shift: i32,
    pub y0: i32,
}

/// The piecewise-linear table: [`TABLE_ENTRIES`] segments of `2^seg_shift` inputs each from
/// `base`; inputs below the first segment use the first, inputs past the last use the last
/// (so the end segments extrapolate). The output is clamped to `min..=max`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub base: i32,
    /// 0..=31.
    pub seg_shift: u32,
    pub min: i32,
    pub max: i32,
    pub segments: Vec<Segment>,
}

impl Table {
    /// The table as `tload` reads it: [`TABLE_WORDS`] words.
    pub fn from_words(words: &[i32]) -> Table {
        assert_eq!(words.len(), TABLE_WORDS as usize, "table block size");
        Table {
            base: words[0],
            seg_shift: (words[1] & 31) as u32,
            min: words[2],
            max: words[3],
            segments: words[4..]
                .chunks(3)
                .map(|c| Segment {
                    multiplier: c[0],
                    shift: shift_field(c[1]),
                    y0: c[2],
                })
                .collect(),
        }
    }

    /// The words of the block, for the layer library to place in accumulator rows.
    pub fn to_words(&self) -> Vec<i32> {
        assert_eq!(self.segments.len(), TABLE_ENTRIES as usize);
        let mut w = vec![self.base, self.seg_shift as i32, self.min, self.max];
        for s in &self.segments {
            w.extend([s.multiplier, s.shift, s.y0]);
        }
        w
    }

    /// The segment that input `x` falls in.
    pub fn segment_of(&self, x: i32) -> usize {
        let t = (x as i64 - self.base as i64) >> self.seg_shift;
        t.clamp(0, TABLE_ENTRIES as i64 - 1) as usize
    }

    /// `pwl(x)`: segment k, `d = sat32(x - base - k * 2^seg_shift)`, then
    /// `clamp(sat32(MultiplyByQuantizedMultiplier(d, M_k, shift_k) + y0_k), min, max)`.
    pub fn eval(&self, x: i32) -> i32 {
        if self.segments.is_empty() {
            return clamp(0, self.min, self.max);
        }
        let k = self.segment_of(x);
        let start = self.base as i64 + ((k as i64) << self.seg_shift);
        let d = sat32(x as i64 - start);
        let s = self.segments[k];
        Requant {
            multiplier: s.multiplier,
            shift: s.shift,
            zero_point: s.y0,
            min: self.min,
            max: self.max,
        }
        .apply(d)
    }
}

/// `v` saturated to int32.
pub fn sat32(v: i64) -> i32 {
    v.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// The vector unit's state: what `qload` and `tload` set. Zero after reset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorState {
    /// Lane i's requantisation parameters.
    pub requant: Vec<Requant>,
    pub table: Table,
}

impl VectorState {
    pub fn new(lanes: usize) -> VectorState {
        let zero = Requant {
            multiplier: 0,
            shift: 0,
            zero_point: 0,
            min: 0,
            max: 0,
        };
        VectorState {
            requant: vec![zero; lanes],
            table: Table::from_words(&[0; TABLE_WORDS as usize]),
        }
    }

    /// `qload`: rows multiplier, shift, zero point, min, max ([`QPARAM_ROWS`] rows).
    pub fn qload(&mut self, rows: &[Vec<i32>]) {
        assert_eq!(rows.len(), QPARAM_ROWS as usize);
        for (i, q) in self.requant.iter_mut().enumerate() {
            *q = Requant {
                multiplier: rows[0][i],
                shift: shift_field(rows[1][i]),
                zero_point: rows[2][i],
                min: rows[3][i],
                max: rows[4][i],
            };
        }
    }

    /// `tload`: the table words, packed row-major in `rows` (the last row's tail unused).
    pub fn tload(&mut self, rows: &[Vec<i32>]) {
        let words: Vec<i32> = rows
            .iter()
            .flatten()
            .copied()
            .take(TABLE_WORDS as usize)
            .collect();
        self.table = Table::from_words(&words);
    }

    /// One result row of an element-wise or reducing `op` (`b`: operand b per lane).
    pub fn row(&self, op: VectorOp, post: Post, a: &[i32], b: &[i32], imm: i32) -> Vec<i32> {
        match op {
            VectorOp::Requant => a
                .iter()
                .zip(&self.requant)
                .map(|(x, q)| q.apply(*x))
                .collect(),
            VectorOp::Pwl => a.iter().map(|x| self.table.eval(*x)).collect(),
            VectorOp::Rmax | VectorOp::Rsum | VectorOp::Rsumsq => {
                let v = apply_post(post, reduce(op, a), imm);
                vec![v; a.len()]
            }
            _ => a
                .iter()
                .zip(b)
                .map(|(x, y)| element(op, *x, *y, imm))
                .collect(),
        }
    }

    /// The STORE epilogue of one accumulator row: requantised lanes.
    pub fn epilogue(&self, row: &[i32]) -> Vec<i32> {
        self.row(VectorOp::Requant, Post::None, row, &[], 0)
    }
}

/// An element-wise operation on one lane.
pub fn element(op: VectorOp, a: i32, b: i32, imm: i32) -> i32 {
    let amount = (b & 31) as u32;
    match op {
        VectorOp::Add => a.wrapping_add(b),
        VectorOp::Sub => a.wrapping_sub(b),
        VectorOp::Mul => a.wrapping_mul(b),
        VectorOp::Max => a.max(b),
        VectorOp::Min => a.min(b),
        VectorOp::Shl => a.wrapping_shl(amount),
        VectorOp::Sra => a >> amount,
        VectorOp::Rshr => rounding_divide_by_pot(a, amount),
        VectorOp::Relu => a.max(0),
        VectorOp::Clamp => clamp(a, imm as i16 as i32, (imm >> 16) as i16 as i32),
        other => panic!("{other:?} is not element-wise"),
    }
}

/// A reduction over the lanes of one row.
pub fn reduce(op: VectorOp, a: &[i32]) -> i32 {
    match op {
        VectorOp::Rmax => a.iter().copied().max().unwrap_or(i32::MIN),
        VectorOp::Rsum => sat32(a.iter().map(|v| *v as i64).sum()),
        VectorOp::Rsumsq => sat32(
            a.iter()
                .map(|v| {
                    let s = (*v).clamp(i16::MIN as i32, i16::MAX as i32) as i64;
                    s * s
                })
                .sum(),
        ),
        other => panic!("{other:?} is not a reduction"),
    }
}

/// `floor(2^k / s)` saturated to INT32_MAX; INT32_MAX when `s <= 0`.
pub fn recip(s: i32, k: u32) -> i32 {
    if s <= 0 {
        return i32::MAX;
    }
    ((1u128 << k) / s as u128).min(i32::MAX as u128) as i32
}

/// `floor(sqrt(s))`; 0 when `s <= 0`.
pub fn isqrt(s: i32) -> i32 {
    if s <= 0 {
        return 0;
    }
    (s as u32).isqrt() as i32
}

/// The reduction's `post` step; `k` = `imm[5:0]`.
pub fn apply_post(post: Post, s: i32, imm: i32) -> i32 {
    let k = (imm & 63) as u32;
    match post {
        Post::None => s,
        Post::Recip => recip(s, k),
        Post::Isqrt => isqrt(s),
        Post::Rsqrt => recip(isqrt(s), k),
    }
}

/// A value written to the scratchpad: saturated to int8.
pub fn to_int8(v: i32) -> i8 {
    v.clamp(i8::MIN as i32, i8::MAX as i32) as i8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_steps_at_their_edges() {
        assert_eq!(recip(1, 0), 1);
        assert_eq!(recip(3, 4), 5);
        assert_eq!(recip(1, 31), i32::MAX);
        assert_eq!(recip(2, 31), 1 << 30);
        assert_eq!(recip(0, 5), i32::MAX);
        assert_eq!(recip(-7, 5), i32::MAX);
        assert_eq!(recip(i32::MAX, 62), i32::MAX);
        assert_eq!(recip(i32::MAX, 61), 1 << 30);
        assert_eq!(isqrt(i32::MAX), 46340);
        assert_eq!(isqrt(15), 3);
        assert_eq!(isqrt(16), 4);
        assert_eq!(isqrt(-1), 0);
        assert_eq!(apply_post(Post::Rsqrt, 16, 8), 64);
    }

    #[test]
    fn reductions_saturate_instead_of_wrapping() {
        assert_eq!(reduce(VectorOp::Rsum, &[i32::MAX, 1]), i32::MAX);
        assert_eq!(reduce(VectorOp::Rsum, &[i32::MIN, -1]), i32::MIN);
        assert_eq!(reduce(VectorOp::Rsumsq, &[100_000, -3]), 32767 * 32767 + 9);
        assert_eq!(reduce(VectorOp::Rsumsq, &[40_000; 4]), i32::MAX);
        assert_eq!(reduce(VectorOp::Rmax, &[-5, 7, 2]), 7);
    }

    #[test]
    fn shift_fields_and_clamp_bounds_are_signed() {
        assert_eq!(shift_field(63), -1);
        assert_eq!(shift_field(32), -32);
        assert_eq!(shift_field(31), 31);
        assert_eq!(shift_field(-3), -3);
        let imm = ((127u32 << 16) | (-128i16 as u16 as u32)) as i32;
        assert_eq!(element(VectorOp::Clamp, 500, 0, imm), 127);
        assert_eq!(element(VectorOp::Clamp, -500, 0, imm), -128);
        assert_eq!(element(VectorOp::Shl, 3, 33, 0), 6);
        assert_eq!(element(VectorOp::Rshr, -5, 1, 0), -3);
        assert_eq!(element(VectorOp::Sra, -5, 1, 0), -3);
        assert_eq!(element(VectorOp::Rshr, 5, 1, 0), 3);
        assert_eq!(element(VectorOp::Sra, 5, 1, 0), 2);
    }

    #[test]
    fn the_table_picks_segments_and_extrapolates_at_the_ends() {
        // y = x / 2 on every segment, segments of 4 from -32.
        let mut t = Table::from_words(&[0; TABLE_WORDS as usize]);
        t.base = -32;
        t.seg_shift = 2;
        t.min = i32::MIN;
        t.max = i32::MAX;
        t.segments = (0..TABLE_ENTRIES as i32)
            .map(|k| Segment {
                multiplier: 1 << 30,
                shift: 0,
                y0: (-32 + 4 * k) / 2,
            })
            .collect();
        assert_eq!(Table::from_words(&t.to_words()), t);
        assert_eq!(t.segment_of(-1000), 0);
        assert_eq!(t.segment_of(-29), 0);
        assert_eq!(t.segment_of(-28), 1);
        assert_eq!(t.segment_of(1000), 15);
        for x in [-1000, -33, -32, -7, 0, 6, 27, 28, 29, 1000] {
            // Segment starts are even, so halving from them rounds as halving x does.
            let want = crate::quant::multiply_by_quantized_multiplier(x, 1 << 30, 0);
            assert_eq!(t.eval(x), want, "x = {x}");
        }
    }
}
