//! The layer library, on the GEMM library: layers of a quantised network as programs.
//!
//! - [`fully_connected`]: TFLite's int8 FullyConnected, `y = clamp(requant(A x W + bias))`,
//!   per-channel multipliers and shifts, the fused ReLU / ReLU6 as the clamp. The bias add is a
//!   VECTOR `add` (the bias row broadcast) and the requantisation the STORE epilogue, so the
//!   layer makes no extra pass over its results.

use seedchip_hdl::chip::isa::{Epilogue, Instr, Opcode, VectorOp, QPARAM_ROWS};
use seedchip_hdl::chip::Config;

use crate::chip_model::Launch;
use crate::gemm::{finish_block, gemm_program, pack_panels, GemmError, Tiling};
use crate::model::Matrix;
use crate::quant::{quantize_multiplier, Requant};

/// A fused activation, as TFLite fuses it into the output range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    None,
    Relu,
    Relu6,
}

/// A fully connected layer's quantisation (TFLite int8: asymmetric activations, symmetric
/// per-channel weights, int32 bias).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FcQuant {
    /// The input's zero point (TFLite's `input_offset` is its negation).
    pub input_zero_point: i32,
    /// Per output channel.
    pub bias: Vec<i32>,
    pub multiplier: Vec<i32>,
    pub shift: Vec<i32>,
    pub output_zero_point: i32,
    /// The output range after the fused activation.
    pub min: i32,
    pub max: i32,
}

impl FcQuant {
    /// From float scales, as TFLite's converter does: channel n's multiplier and shift
    /// quantise `input_scale * weight_scales[n] / output_scale`, and the activation becomes the
    /// output range.
    pub fn from_scales(
        input_scale: f64,
        input_zero_point: i32,
        weight_scales: &[f64],
        output_scale: f64,
        output_zero_point: i32,
        bias: Vec<i32>,
        activation: Activation,
    ) -> FcQuant {
        let (multiplier, shift) = weight_scales
            .iter()
            .map(|w| quantize_multiplier(input_scale * w / output_scale))
            .unzip();
        let quantized = |v: f64| output_zero_point + (v / output_scale).round() as i32;
        let (min, max) = match activation {
            Activation::None => (-128, 127),
            Activation::Relu => (output_zero_point.max(-128), 127),
            Activation::Relu6 => (output_zero_point.max(-128), quantized(6.0).min(127)),
        };
        FcQuant {
            input_zero_point,
            bias,
            multiplier,
            shift,
            output_zero_point,
            min,
            max,
        }
    }

    fn channel(&self, n: usize) -> Requant {
        Requant {
            multiplier: self.multiplier[n],
            shift: self.shift[n],
            zero_point: self.output_zero_point,
            min: self.min,
            max: self.max,
        }
    }

    /// TFLite's reference kernel: `acc = sum_k (a + input_offset) * w + bias`, then
    /// `MultiplyByQuantizedMultiplier`, the output zero point and the clamp.
    pub fn reference(&self, a: &Matrix<i8>, w: &Matrix<i8>) -> Matrix<i8> {
        let (m, k, n) = (a.rows, a.cols, w.cols);
        let data = (0..m * n)
            .map(|x| {
                let (row, col) = (x / n, x % n);
                let acc = (0..k).fold(self.bias[col], |s, kk| {
                    s.wrapping_add(
                        (a.at(row, kk) as i32 - self.input_zero_point) * w.at(kk, col) as i32,
                    )
                });
                self.channel(col).apply(acc) as i8
            })
            .collect();
        Matrix::from_vec(m, n, data)
    }

    /// The bias the chip adds: the input zero point folded in,
    /// `bias[n] - input_zero_point * sum_k W[k][n]` (equal modulo 2^32, so bit-exact).
    pub fn folded_bias(&self, w: &Matrix<i8>) -> Vec<i32> {
        (0..w.cols)
            .map(|n| {
                let column: i32 = (0..w.rows).map(|k| w.at(k, n) as i32).sum();
                self.bias[n].wrapping_sub(self.input_zero_point.wrapping_mul(column))
            })
            .collect()
    }
}

/// Rows of a column tile's parameter block in the accumulator: the bias, then the `qload`
/// block.
const PARAM_ROWS: usize = 1 + QPARAM_ROWS as usize;

/// Where a fully connected layer lives in DRAM. A and W are packed as the GEMM library packs
/// them; Y (int8) in panels of C columns, row m of panel q at `y_addr + (q*M + m)*C`: on a
/// square array the next layer's A panels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FcLayout {
    pub a_addr: u64,
    pub w_addr: u64,
    /// Per column tile, [`PARAM_ROWS`] rows of C int32: bias, multipliers, shifts, zero
    /// points, minimums, maximums.
    pub params_addr: u64,
    pub y_addr: u64,
}

/// A fully connected layer ready to run.
#[derive(Clone, Debug)]
pub struct FcPlan {
    pub tiling: Tiling,
    pub layout: FcLayout,
    pub cols: usize,
    pub rows: usize,
    pub program: Vec<Instr>,
    pub dram_bytes: u64,
}

/// Plan an M x K x N fully connected layer. Column tiles go in groups whose parameters fit a
/// quarter of the accumulator; each group is a GEMM whose blocks are finished by the store
/// queue: `vector add` of the bias row, `vector qload` of the tile's parameters, and a STORE
/// with the int8 epilogue. A FENCE separates the groups (the next group's parameters reuse the
/// rows).
pub fn fully_connected(cfg: &Config, m: usize, k: usize, n: usize) -> Result<FcPlan, GemmError> {
    let (r, c) = (cfg.matrix.rows as usize, cfg.matrix.cols as usize);
    let acc_rows = cfg.memory.accumulator_rows as usize;
    let n_tiles = n.div_ceil(c);
    let group = (acc_rows / 4 / PARAM_ROWS).clamp(1, n_tiles);
    let params_row = acc_rows - group * PARAM_ROWS;
    let full = Tiling::with_accumulator(cfg, m, k, n, params_row)?;
    let acc_half = (params_row / 2) as u64;
    let align = |x: u64| x.div_ceil(64) * 64;
    // The program's length, from a dry run of the same construction.
    let program_of = |layout: &FcLayout| -> Result<Vec<Instr>, GemmError> {
        let mut program = Vec::new();
        for g0 in (0..n_tiles).step_by(group) {
            let tiles = group.min(n_tiles - g0);
            let cols = (tiles * c).min(n - g0 * c);
            let t = Tiling::with_accumulator(cfg, m, k, cols, params_row)?;
            program.push(
                Instr::new(Opcode::Load)
                    .with("acc", 1)
                    .with("sram_row", params_row as u64)
                    .with("rows", (tiles * PARAM_ROWS) as u64)
                    .with("row_bytes", 4 * c as u64)
                    .with(
                        "dram_addr",
                        layout.params_addr + (4 * g0 * PARAM_ROWS * c) as u64,
                    )
                    .with("dram_stride", 4 * c as u64),
            );
            let w_addr = layout.w_addr + (g0 * k * c) as u64;
            let mut body = gemm_program(cfg, &t, layout.a_addr, w_addr, acc_half, |b| {
                let param = (params_row + b.j * PARAM_ROWS) as u64;
                let y = layout.y_addr + (((g0 + b.j) * m + b.m0) * c) as u64;
                let steps = vec![
                    Instr::new(Opcode::Vector)
                        .with("op", VectorOp::Add.code() as u64)
                        .with("a_acc", 1)
                        .with("a_row", b.acc_row)
                        .with("d_acc", 1)
                        .with("d_row", b.acc_row)
                        .with("rows", b.rows)
                        .with("b_mode", 2)
                        .with("b_acc", 1)
                        .with("b_row", param),
                    Instr::new(Opcode::Vector)
                        .with("op", VectorOp::Qload.code() as u64)
                        .with("a_acc", 1)
                        .with("a_row", param + 1)
                        .with("rows", QPARAM_ROWS as u64),
                    Instr::new(Opcode::Store)
                        .with("acc", 1)
                        .with("epilogue", Epilogue::Int8 as u64)
                        .with("sram_row", b.acc_row)
                        .with("rows", b.rows)
                        .with("row_bytes", c as u64)
                        .with("dram_addr", y)
                        .with("dram_stride", c as u64),
                ];
                finish_block(steps, b)
            });
            body.pop(); // the group's HALT
            program.extend(body);
            program.push(Instr::new(Opcode::Fence));
        }
        program.pop();
        program.push(Instr::new(Opcode::Halt));
        Ok(program)
    };
    let dry = FcLayout {
        a_addr: 0,
        w_addr: 0,
        params_addr: 0,
        y_addr: 0,
    };
    let program_len = program_of(&dry)?.len() as u64;
    let a_addr = align(program_len * 16);
    let w_addr = align(a_addr + (full.k_tiles * m * r) as u64);
    let params_addr = align(w_addr + (n_tiles * k * c) as u64);
    let y_addr = align(params_addr + (4 * n_tiles * PARAM_ROWS * c) as u64);
    let dram_bytes = align(y_addr + (n_tiles * m * c) as u64);
    if dram_bytes > u32::MAX as u64 {
        return Err(GemmError::TooLarge(m.max(k).max(n)));
    }
    let layout = FcLayout {
        a_addr,
        w_addr,
        params_addr,
        y_addr,
    };
    Ok(FcPlan {
        tiling: full,
        layout,
        cols: c,
        rows: r,
        program: program_of(&layout)?,
        dram_bytes,
    })
}

impl FcPlan {
    /// The DRAM image: program, A and W packed, the parameter blocks (the input zero point
    /// folded into the bias), Y zeroed; and the launch registers.
    pub fn dram(&self, a: &Matrix<i8>, w: &Matrix<i8>, q: &FcQuant) -> (Vec<u8>, Launch) {
        let n = self.tiling.n;
        let (r, c) = (self.rows, self.cols);
        let mut dram = vec![0u8; self.dram_bytes as usize];
        let p = seedchip_hdl::chip::isa::program_bytes(&self.program);
        dram[..p.len()].copy_from_slice(&p);
        pack_panels(&mut dram, self.layout.a_addr, a, r);
        pack_panels(&mut dram, self.layout.w_addr, w, c);
        for (col, bias) in q.folded_bias(w).into_iter().enumerate().take(n) {
            let (tile, lane) = (col / c, col % c);
            let values = [
                bias,
                q.multiplier[col],
                q.shift[col],
                q.output_zero_point,
                q.min,
                q.max,
            ];
            for (row, v) in values.iter().enumerate() {
                let at =
                    self.layout.params_addr as usize + 4 * ((tile * PARAM_ROWS + row) * c + lane);
                dram[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
        }
        let launch = Launch::whole_image(self.program.len() as u32, self.dram_bytes);
        (dram, launch)
    }

    /// Y read back (unpacked) from a DRAM image.
    pub fn result(&self, dram: &[u8]) -> Matrix<i8> {
        let (m, n, c) = (self.tiling.m, self.tiling.n, self.cols);
        let data = (0..m * n)
            .map(|x| {
                let (row, col) = (x / n, x % n);
                dram[self.layout.y_addr as usize + ((col / c) * m + row) * c + col % c] as i8
            })
            .collect();
        Matrix::from_vec(m, n, data)
    }
}
