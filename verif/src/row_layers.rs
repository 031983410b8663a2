//! Row layers on the vector unit, integer-only: softmax, layer-norm, RMSNorm and table
//! activations (GELU, SiLU, sigmoid, tanh), each over rows of C int8 values (C = the array's
//! columns, the vector unit's lanes), as a program.
//!
//! The arithmetic, step by step (every step one VECTOR instruction; `docs/layers.md` gives
//! the measured error bounds):
//! - softmax (output scale 1/256, zero point -128, as TFLite's int8 softmax): the row's
//!   maximum M; `t = M - x >= 0`; `z = t * s_x * log2(e) * 2^16` (a requantisation), so
//!   `exp(-t * s_x) = 2^(-z / 2^16)`; the integer part `q = z >> 16` becomes a shift and the
//!   fraction `r` goes through a 16-segment table of `2^-r` in Q15; `e = 2^-r >> min(q, 31)`;
//!   `R = floor(2^30 / sum(e))`; `out = rshr(e * R, 22) - 128`, saturated to int8.
//! - layer-norm: `S = sum(x)`; `d = (C x - S) >> sh` (C times the deviation, shifted so that
//!   the sum of squares fits int32); `R = rsqrt(sum(d^2) + E)` with `2^29` over it, E the
//!   epsilon in the same units; `u = d R` is `2^29 n / sqrt(C)` for the normalised n; the
//!   output is the requantisation of u with `M_i = gamma_i sqrt(C) / (2^29 s_y)` and the zero
//!   point `zp_y + round(beta_i / s_y)` per lane.
//! - RMSNorm: the same without the mean: `R = rsqrt(sum(x^2) + E)`, `u = x R`.
//! - activations: one `pwl` with a table fitted to the function over the int8 input range.

use seedchip_hdl::chip::isa::{
    table_rows, BMode, Instr, Opcode, Post, VectorOp, QPARAM_ROWS, TABLE_ENTRIES,
};
use seedchip_hdl::chip::Config;

use crate::chip_model::Launch;
use crate::model::Matrix;
use crate::quant::{quantize_multiplier, Requant};
use crate::vector::{Segment, Table};

/// A function a table activation computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Gelu,
    Silu,
    Sigmoid,
    Tanh,
}

impl Func {
    /// The float function.
    pub fn eval(self, x: f64) -> f64 {
        match self {
            Func::Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
            Func::Silu => x / (1.0 + (-x).exp()),
            Func::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Func::Tanh => x.tanh(),
        }
    }
}

/// erf, to 1.2e-7 (Numerical Recipes' erfc Chebyshev fit): std has none, and the reference
/// needs nothing better than the int8 outputs it is compared with.
pub fn erf(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - erfc
    } else {
        erfc - 1.0
    }
}

/// An int8 tensor's quantisation: real = scale * (q - zero_point).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quant {
    pub scale: f64,
    pub zero_point: i32,
}

/// A row layer.
#[derive(Clone, Debug, PartialEq)]
pub enum RowLayer {
    /// Softmax of `input` over each row; output scale 1/256, zero point -128.
    Softmax { input: Quant },
    LayerNorm {
        input: Quant,
        gamma: Vec<f64>,
        beta: Vec<f64>,
        eps: f64,
        output: Quant,
    },
    RmsNorm {
        input: Quant,
        gamma: Vec<f64>,
        eps: f64,
        output: Quant,
    },
    Activation {
        func: Func,
        input: Quant,
        output: Quant,
    },
}

/// A row layer that cannot be planned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RowError {
    #[error("{what} has {have} values; the rows have {cols} (the array's columns)")]
    Channels {
        what: &'static str,
        have: usize,
        cols: usize,
    },
    #[error("the layer needs {need} accumulator rows for its parameters and work; memory.accumulator_rows is {have}")]
    Accumulator { need: usize, have: usize },
    #[error("no rows")]
    Empty,
    #[error("{0} is not a positive finite scale")]
    Scale(f64),
}

/// Fraction bits of the softmax's base-2 exponent.
const EXP_FRAC: u32 = 16;
/// The normalisations' reciprocal square root exponent: `u = x * 2^29 / sqrt(..)`.
const NORM_K: u32 = 29;

/// Where a row layer's data lives in DRAM: X and Y are `rows` rows of C int8 values; the
/// parameter block is accumulator rows (two requantisation blocks, then the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowLayout {
    pub x_addr: u64,
    pub y_addr: u64,
    pub params_addr: u64,
}

/// A row layer ready to run.
#[derive(Clone, Debug)]
pub struct RowPlan {
    pub rows: usize,
    pub cols: usize,
    pub layout: RowLayout,
    pub program: Vec<Instr>,
    /// The parameter block's words (accumulator rows, C words each).
    pub params: Vec<i32>,
    pub dram_bytes: u64,
}

/// A VECTOR instruction; `a`, `b`, `d` are (accumulator?, row).
struct V {
    i: Instr,
}

impl V {
    fn op(op: VectorOp, rows: usize) -> V {
        V {
            i: Instr::new(Opcode::Vector)
                .with("op", op.code() as u64)
                .with("rows", rows as u64),
        }
    }
    fn a(mut self, acc: bool, row: usize) -> V {
        self.i = self.i.with("a_acc", acc as u64).with("a_row", row as u64);
        self
    }
    fn b_row(mut self, acc: bool, row: usize) -> V {
        self.i = self
            .i
            .with("b_mode", BMode::Row as u64)
            .with("b_acc", acc as u64)
            .with("b_row", row as u64);
        self
    }
    fn imm(mut self, v: i32) -> V {
        self.i = self.i.with("imm", v as u32 as u64);
        self
    }
    fn d(mut self, acc: bool, row: usize) -> V {
        self.i = self.i.with("d_acc", acc as u64).with("d_row", row as u64);
        self
    }
    fn post(mut self, p: Post) -> V {
        self.i = self.i.with("post", p as u64);
        self
    }
}

/// (multiplier, shift) of a signed real scale.
fn signed_multiplier(real: f64) -> (i32, i32) {
    let (m, s) = quantize_multiplier(real.abs());
    if real < 0.0 {
        (m.wrapping_neg(), s)
    } else {
        (m, s)
    }
}

/// A table of `f` over the inputs `base .. base + 16 * 2^seg_shift`: each segment is the
/// chord between its ends, moved by half the range of the function's deviation from it at
/// the segment's integer inputs (so the largest error, above or below, is as small as that
/// slope allows), its slope a quantised multiplier; the output is clamped to `min..=max`.
pub fn fit_table(f: impl Fn(f64) -> f64, base: i32, seg_shift: u32, min: i32, max: i32) -> Table {
    let width = (1i64 << seg_shift) as f64;
    // Deviations are sampled at up to 256 points a segment.
    let step = (width / 256.0).max(1.0);
    let segments = (0..TABLE_ENTRIES as i64)
        .map(|k| {
            let x0 = base as f64 + k as f64 * width;
            let slope = (f(x0 + width) - f(x0)) / width;
            let (lo, hi) = (0..=((width / step) as i64))
                .map(|j| {
                    let x = x0 + j as f64 * step;
                    f(x) - (f(x0) + slope * (x - x0))
                })
                .fold((f64::MAX, f64::MIN), |(lo, hi), e| (lo.min(e), hi.max(e)));
            let y0 = (f(x0) + (lo + hi) / 2.0).round();
            let (multiplier, shift) = signed_multiplier(slope);
            Segment {
                multiplier,
                shift,
                y0: y0.clamp(i32::MIN as f64, i32::MAX as f64) as i32,
            }
        })
        .collect();
    Table {
        base,
        seg_shift,
        min,
        max,
        segments,
    }
}

/// The table of `2^(-r / 2^16)` in Q15 for r in 0..2^16 (the softmax's fraction step).
pub fn exp2_table() -> Table {
    fit_table(
        |r| 32768.0 * (-r / (1u64 << EXP_FRAC) as f64).exp2(),
        0,
        EXP_FRAC - 4,
        0,
        32768,
    )
}

/// The table of an activation from int8 inputs to int8 outputs.
pub fn activation_table(func: Func, input: Quant, output: Quant) -> Table {
    fit_table(
        |q| {
            func.eval(input.scale * (q - input.zero_point as f64)) / output.scale
                + output.zero_point as f64
        },
        -128,
        4,
        -128,
        127,
    )
}

fn check_scale(s: f64) -> Result<(), RowError> {
    if s.is_finite() && s > 0.0 {
        Ok(())
    } else {
        Err(RowError::Scale(s))
    }
}

/// The requantisation blocks (`first` for the softmax's exponent, `second` for the output)
/// and the table of a layer on C lanes.
fn parameters(layer: &RowLayer, c: usize) -> Result<(Vec<Requant>, Vec<Requant>, Table), RowError> {
    let zero = Requant {
        multiplier: 0,
        shift: 0,
        zero_point: 0,
        min: 0,
        max: 0,
    };
    let channels = |what: &'static str, v: &[f64]| {
        if v.len() == c {
            Ok(())
        } else {
            Err(RowError::Channels {
                what,
                have: v.len(),
                cols: c,
            })
        }
    };
    let (_, _, j) = norm_integers(layer, c);
    let norm = |gamma: &[f64], beta: Option<&[f64]>, output: Quant| -> Vec<Requant> {
        (0..c)
            .map(|i| {
                let (multiplier, shift) = signed_multiplier(
                    gamma[i] * (c as f64).sqrt() * 2f64.powi(j as i32)
                        / ((1u64 << NORM_K) as f64 * output.scale),
                );
                let beta = beta.map_or(0.0, |b| b[i]);
                Requant {
                    multiplier,
                    shift,
                    zero_point: output.zero_point + (beta / output.scale).round() as i32,
                    min: -128,
                    max: 127,
                }
            })
            .collect()
    };
    let empty_table = || fit_table(|_| 0.0, 0, 0, 0, 0);
    Ok(match layer {
        RowLayer::Softmax { input } => {
            check_scale(input.scale)?;
            let (multiplier, shift) = quantize_multiplier(
                input.scale * std::f64::consts::LOG2_E * (1u64 << EXP_FRAC) as f64,
            );
            let z = Requant {
                multiplier,
                shift,
                zero_point: 0,
                min: 0,
                max: i32::MAX,
            };
            (vec![z; c], vec![zero; c], exp2_table())
        }
        RowLayer::LayerNorm {
            input,
            gamma,
            beta,
            output,
            ..
        } => {
            check_scale(input.scale)?;
            check_scale(output.scale)?;
            channels("gamma", gamma)?;
            channels("beta", beta)?;
            (
                vec![zero; c],
                norm(gamma, Some(beta), *output),
                empty_table(),
            )
        }
        RowLayer::RmsNorm {
            input,
            gamma,
            output,
            ..
        } => {
            check_scale(input.scale)?;
            check_scale(output.scale)?;
            channels("gamma", gamma)?;
            (vec![zero; c], norm(gamma, None, *output), empty_table())
        }
        RowLayer::Activation {
            func,
            input,
            output,
        } => {
            check_scale(input.scale)?;
            check_scale(output.scale)?;
            (
                vec![zero; c],
                vec![zero; c],
                activation_table(*func, *input, *output),
            )
        }
    })
}

/// The layer-norm's shift: the smallest `sh` with `(255 C / 2^sh)^2 C < 2^31`, so the sum of
/// squares of the shifted deviations cannot saturate.
fn norm_shift(c: usize) -> u32 {
    (0..32)
        .find(|sh| {
            let d = ((255 * c) >> sh) as f64;
            d * d * c as f64 <= 2f64.powi(31) - 1.0
        })
        .unwrap_or(31)
}

/// A normalisation's integers: the deviation shift `sh` (layer-norm), the epsilon term E in
/// the sum of squares' units, and `j`: the sum of squares plus E is multiplied by 4^j before
/// its square root (as far as its largest value allows), so that the integer square root of
/// a small sum keeps its precision; the output multiplier takes the 2^j back.
fn norm_integers(layer: &RowLayer, c: usize) -> (u32, i32, u32) {
    let (sh, units, max) = match layer {
        RowLayer::LayerNorm { input, .. } => {
            let sh = norm_shift(c);
            let d = ((255 * c) >> sh) as f64;
            let units = (c * c * c) as f64 / (input.scale * input.scale * 4f64.powi(sh as i32));
            (sh, units, d * d * c as f64)
        }
        RowLayer::RmsNorm { input, .. } => (
            0,
            c as f64 / (input.scale * input.scale),
            (c * 128 * 128) as f64,
        ),
        _ => return (0, 0, 0),
    };
    let eps = match layer {
        RowLayer::LayerNorm { eps, .. } | RowLayer::RmsNorm { eps, .. } => *eps,
        _ => 0.0,
    };
    let e = (eps * units).round().min(i32::MAX as f64) as i32;
    let limit = 2f64.powi(31) - 1.0;
    let j = (0..15)
        .take_while(|j| (max + e as f64) * 4f64.powi(*j) <= limit)
        .last()
        .unwrap_or(0) as u32;
    (sh, e, j)
}

/// The VECTOR passes over `n` rows: X in scratchpad rows `x`, Y to scratchpad rows `y`; `w`
/// are three accumulator work regions of `n` rows; `q1`, `q2` the requantisation blocks.
fn passes(
    layer: &RowLayer,
    c: usize,
    n: usize,
    x: usize,
    y: usize,
    w: [usize; 3],
    q: [usize; 2],
) -> Vec<Instr> {
    use VectorOp::*;
    let [w0, w1, w2] = w;
    let qload = |row: usize| V::op(Qload, QPARAM_ROWS as usize).a(true, row);
    // Both normalisations, from the sum of squares in w0: Q = (sum + E) * 4^j, R = 2^k /
    // isqrt(Q) in w2, u = value * R in w1, then the output requantisation to Y. `value` is
    // the deviation (layer-norm) or x itself (RMSNorm).
    let normalise = |e: i32, j: u32, value: (bool, usize)| {
        vec![
            V::op(Add, n).a(true, w0).imm(e).d(true, w0),
            V::op(Shl, n).a(true, w0).imm(2 * j as i32).d(true, w0),
            V::op(Rmax, n)
                .a(true, w0)
                .post(Post::Rsqrt)
                .imm(NORM_K as i32)
                .d(true, w2),
            V::op(Mul, n)
                .a(value.0, value.1)
                .b_row(true, w2)
                .d(true, w1),
            qload(q[1]),
            V::op(Requant, n).a(true, w1).d(false, y),
        ]
    };
    let v: Vec<V> = match layer {
        RowLayer::Softmax { .. } => {
            let f = EXP_FRAC as i32;
            vec![
                V::op(Rmax, n).a(false, x).d(true, w0),
                V::op(Sub, n).a(true, w0).b_row(false, x).d(true, w1),
                qload(q[0]),
                V::op(Requant, n).a(true, w1).d(true, w1),
                V::op(Sra, n).a(true, w1).imm(f).d(true, w0),
                V::op(Shl, n).a(true, w0).imm(f).d(true, w2),
                V::op(Sub, n).a(true, w1).b_row(true, w2).d(true, w1),
                V::op(Pwl, n).a(true, w1).d(true, w1),
                V::op(Min, n).a(true, w0).imm(31).d(true, w0),
                V::op(Rshr, n).a(true, w1).b_row(true, w0).d(true, w1),
                V::op(Rsum, n)
                    .a(true, w1)
                    .post(Post::Recip)
                    .imm(30)
                    .d(true, w2),
                V::op(Mul, n).a(true, w1).b_row(true, w2).d(true, w1),
                V::op(Rshr, n).a(true, w1).imm(22).d(true, w1),
                V::op(Add, n).a(true, w1).imm(-128).d(false, y),
            ]
        }
        RowLayer::LayerNorm { .. } => {
            let (sh, e, j) = norm_integers(layer, c);
            let mut v = vec![
                V::op(Rsum, n).a(false, x).d(true, w0),
                V::op(Mul, n).a(false, x).imm(c as i32).d(true, w1),
                V::op(Sub, n).a(true, w1).b_row(true, w0).d(true, w1),
                V::op(Rshr, n).a(true, w1).imm(sh as i32).d(true, w1),
                V::op(Rsumsq, n).a(true, w1).d(true, w0),
            ];
            v.extend(normalise(e, j, (true, w1)));
            v
        }
        RowLayer::RmsNorm { .. } => {
            let (_, e, j) = norm_integers(layer, c);
            let mut v = vec![V::op(Rsumsq, n).a(false, x).d(true, w0)];
            v.extend(normalise(e, j, (false, x)));
            v
        }
        RowLayer::Activation { .. } => vec![V::op(Pwl, n).a(false, x).d(false, y)],
    };
    v.into_iter().map(|v| v.i).collect()
}

/// Plan a row layer over `rows` rows of C int8 values on `cfg`. Rows go in blocks that fit
/// the work regions; each block: LOAD X, FENCE, the passes, STORE Y, FENCE.
pub fn row_layer(cfg: &Config, layer: &RowLayer, rows: usize) -> Result<RowPlan, RowError> {
    if rows == 0 {
        return Err(RowError::Empty);
    }
    let c = cfg.matrix.cols as usize;
    let (acc_rows, spad_rows) = (
        cfg.memory.accumulator_rows as usize,
        cfg.memory.scratchpad_rows as usize,
    );
    let (first, second, table) = parameters(layer, c)?;
    let t_rows = table_rows(cfg.matrix.cols) as usize;
    let p_rows = 2 * QPARAM_ROWS as usize + t_rows;
    if acc_rows < p_rows + 3 {
        return Err(RowError::Accumulator {
            need: p_rows + 3,
            have: acc_rows,
        });
    }
    let n = rows.min((acc_rows - p_rows) / 3).min(spad_rows / 2);
    let p0 = acc_rows - p_rows;
    let q = [p0, p0 + QPARAM_ROWS as usize];
    let t0 = p0 + 2 * QPARAM_ROWS as usize;
    // The parameter block's words, row by row.
    let mut params = Vec::new();
    for block in [&first, &second] {
        for f in 0..5 {
            params.extend(
                block
                    .iter()
                    .map(|r| [r.multiplier, r.shift, r.zero_point, r.min, r.max][f]),
            );
        }
    }
    let mut words = table.to_words();
    words.resize(t_rows * c, 0);
    params.extend(words);
    let align = |v: u64| v.div_ceil(64) * 64;
    let build = |layout: &RowLayout| -> Vec<Instr> {
        let mut p = vec![
            Instr::new(Opcode::Load)
                .with("acc", 1)
                .with("sram_row", p0 as u64)
                .with("rows", p_rows as u64)
                .with("row_bytes", 4 * c as u64)
                .with("dram_addr", layout.params_addr)
                .with("dram_stride", 4 * c as u64),
            Instr::new(Opcode::Vector)
                .with("op", VectorOp::Tload.code() as u64)
                .with("a_acc", 1)
                .with("a_row", t0 as u64)
                .with("rows", t_rows as u64),
        ];
        // The table load reads rows the LOAD wrote: a FENCE between them.
        p.insert(1, Instr::new(Opcode::Fence));
        for start in (0..rows).step_by(n) {
            let nb = n.min(rows - start);
            p.push(
                Instr::new(Opcode::Load)
                    .with("rows", nb as u64)
                    .with("row_bytes", c as u64)
                    .with("dram_addr", layout.x_addr + (start * c) as u64)
                    .with("dram_stride", c as u64),
            );
            p.push(Instr::new(Opcode::Fence));
            p.extend(passes(layer, c, nb, 0, n, [0, n, 2 * n], q));
            p.push(
                Instr::new(Opcode::Store)
                    .with("sram_row", n as u64)
                    .with("rows", nb as u64)
                    .with("row_bytes", c as u64)
                    .with("dram_addr", layout.y_addr + (start * c) as u64)
                    .with("dram_stride", c as u64),
            );
            p.push(Instr::new(Opcode::Fence));
        }
        p.pop();
        p.push(Instr::new(Opcode::Halt));
        p
    };
    let dry = RowLayout {
        x_addr: 0,
        y_addr: 0,
        params_addr: 0,
    };
    let len = build(&dry).len() as u64;
    let x_addr = align(16 * len);
    let y_addr = align(x_addr + (rows * c) as u64);
    let params_addr = align(y_addr + (rows * c) as u64);
    let dram_bytes = align(params_addr + 4 * params.len() as u64);
    let layout = RowLayout {
        x_addr,
        y_addr,
        params_addr,
    };
    Ok(RowPlan {
        rows,
        cols: c,
        layout,
        program: build(&layout),
        params,
        dram_bytes,
    })
}

impl RowPlan {
    /// The DRAM image for input rows `x` (`rows` x C) and the launch registers.
    pub fn dram(&self, x: &Matrix<i8>) -> (Vec<u8>, Launch) {
        assert_eq!(
            (x.rows, x.cols),
            (self.rows, self.cols),
            "the input's shape"
        );
        let mut dram = vec![0u8; self.dram_bytes as usize];
        let p = seedchip_hdl::chip::isa::program_bytes(&self.program);
        dram[..p.len()].copy_from_slice(&p);
        for r in 0..self.rows {
            for c in 0..self.cols {
                dram[self.layout.x_addr as usize + r * self.cols + c] = x.at(r, c) as u8;
            }
        }
        let at = self.layout.params_addr as usize;
        for (i, w) in self.params.iter().enumerate() {
            dram[at + 4 * i..at + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        let launch = Launch::whole_image(self.program.len() as u32, self.dram_bytes);
        (dram, launch)
    }

    /// Y read back from a DRAM image.
    pub fn result(&self, dram: &[u8]) -> Matrix<i8> {
        let at = self.layout.y_addr as usize;
        Matrix::from_vec(
            self.rows,
            self.cols,
            dram[at..at + self.rows * self.cols]
                .iter()
                .map(|b| *b as i8)
                .collect(),
        )
    }
}

/// The float layer on real values, quantised to the int8 output the chip gives (the
/// reference the accuracy tests measure against).
pub fn float_reference(layer: &RowLayer, x: &Matrix<i8>) -> Matrix<i8> {
    let c = x.cols;
    let quantise = |v: f64, q: Quant| {
        (v / q.scale + q.zero_point as f64)
            .round()
            .clamp(-128.0, 127.0) as i8
    };
    let mut out = Vec::with_capacity(x.rows * c);
    for r in 0..x.rows {
        let real = |input: &Quant| -> Vec<f64> {
            (0..c)
                .map(|i| input.scale * (x.at(r, i) as i32 - input.zero_point) as f64)
                .collect()
        };
        match layer {
            RowLayer::Softmax { input } => {
                let v = real(input);
                let max = v.iter().cloned().fold(f64::MIN, f64::max);
                let e: Vec<f64> = v.iter().map(|x| (x - max).exp()).collect();
                let s: f64 = e.iter().sum();
                let q = Quant {
                    scale: 1.0 / 256.0,
                    zero_point: -128,
                };
                out.extend(e.iter().map(|e| quantise(e / s, q)));
            }
            RowLayer::LayerNorm {
                input,
                gamma,
                beta,
                eps,
                output,
            } => {
                let v = real(input);
                let mean = v.iter().sum::<f64>() / c as f64;
                let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / c as f64;
                let sd = (var + eps).sqrt();
                out.extend(
                    (0..c).map(|i| quantise(gamma[i] * (v[i] - mean) / sd + beta[i], *output)),
                );
            }
            RowLayer::RmsNorm {
                input,
                gamma,
                eps,
                output,
            } => {
                let v = real(input);
                let ms = v.iter().map(|x| x * x).sum::<f64>() / c as f64;
                let rms = (ms + eps).sqrt();
                out.extend((0..c).map(|i| quantise(gamma[i] * v[i] / rms, *output)));
            }
            RowLayer::Activation {
                func,
                input,
                output,
            } => {
                out.extend(real(input).iter().map(|v| quantise(func.eval(*v), *output)));
            }
        }
    }
    Matrix::from_vec(x.rows, c, out)
}

/// Run a plan on the reference model (the chip's bit-exact ISA simulator) and read Y back.
pub fn run_on_model(cfg: &Config, plan: &RowPlan, x: &Matrix<i8>) -> Matrix<i8> {
    let (mut dram, launch) = plan.dram(x);
    let (status, _) = crate::chip_model::ChipModel::new(cfg).run(&mut dram, &launch);
    assert!(status.done, "the row layer's program stopped: {status:?}");
    plan.result(&dram)
}
