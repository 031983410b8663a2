//! The GEMM library: any int8 GEMM `C = A x W` (A is M x K, W is K x N, C int32 M x N) tiled
//! into a double-buffered, token-synchronised program for a configuration.
//!
//! DRAM layout (all row-major, each matrix at its own address): A as int8 with rows K bytes
//! apart, W as int8 with rows N bytes apart, C as little-endian int32 with rows 4N bytes apart.
//!
//! Tiling: output columns in tiles of C (the array's columns), output rows in blocks of `mb`,
//! the reduction in tiles of R (the array's rows). For each (column tile, row block) the
//! program accumulates over the K tiles into one half of the accumulator, then stores it. The
//! scratchpad is split in two buffers (weights then activations in each), used in turn, so the
//! loads for the next K step overlap the MATMUL of this one; the accumulator halves alternate
//! per block, so the STORE of one block overlaps the MATMULs of the next.
//!
//! Edges need no padding in DRAM: an activation LOAD of `kr < R` bytes per row zero-fills the
//! rest of the row, so whatever the unused weight rows hold contributes nothing; a weight LOAD
//! of `nc < C` bytes zero-fills the unused columns, whose results are never stored.
//!
//! Tokens (see `hdl/src/chip/isa.rs`): a MATMUL pops the token its loads pushed; a LOAD into a
//! buffer pops the token of the MATMUL that last read that buffer; a STORE pops the token of
//! its block's last MATMUL; the first MATMUL into an accumulator half pops the token of the
//! STORE that last read it. Every push has exactly one pop.

use seedchip_hdl::chip::isa::{Instr, Opcode};
use seedchip_hdl::chip::Config;

use crate::chip_model::{Launch, Window};
use crate::model::Matrix;

/// Where the matrices live in DRAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub a_addr: u64,
    pub w_addr: u64,
    pub c_addr: u64,
    pub program_addr: u64,
}

/// A GEMM that cannot be tiled for this configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GemmError {
    #[error("a {m}x{k}x{n} GEMM has an empty dimension")]
    Empty { m: usize, k: usize, n: usize },
    #[error("double buffering needs at least 2 x (matrix.rows + 1) = {need} scratchpad rows; memory.scratchpad_rows is {have}")]
    Scratchpad { need: u32, have: u32 },
    #[error("a dimension of {0} does not fit the ISA's 16-bit row fields or 32-bit addresses")]
    TooLarge(usize),
}

/// The tiling chosen for a GEMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    /// Output rows per block.
    pub block_rows: usize,
    pub k_tiles: usize,
    pub n_tiles: usize,
    pub m_blocks: usize,
}

impl Tiling {
    pub fn new(cfg: &Config, m: usize, k: usize, n: usize) -> Result<Tiling, GemmError> {
        if m == 0 || k == 0 || n == 0 {
            return Err(GemmError::Empty { m, k, n });
        }
        if let Some(&big) = [m, k, n].iter().find(|&&d| d > u16::MAX as usize * 64) {
            return Err(GemmError::TooLarge(big));
        }
        let (r, c) = (cfg.matrix.rows as usize, cfg.matrix.cols as usize);
        let half = cfg.memory.scratchpad_rows as usize / 2;
        if half < r + 1 {
            return Err(GemmError::Scratchpad {
                need: 2 * (cfg.matrix.rows + 1),
                have: cfg.memory.scratchpad_rows,
            });
        }
        let block_rows = m
            .min(half - r)
            .min(cfg.memory.accumulator_rows as usize / 2)
            .min(u16::MAX as usize);
        Ok(Tiling {
            m,
            k,
            n,
            block_rows,
            k_tiles: k.div_ceil(r),
            n_tiles: n.div_ceil(c),
            m_blocks: m.div_ceil(block_rows),
        })
    }
}

/// A GEMM ready to run: the program, where everything goes, and the DRAM image size.
#[derive(Clone, Debug)]
pub struct GemmPlan {
    pub tiling: Tiling,
    pub layout: Layout,
    pub program: Vec<Instr>,
    /// Bytes of DRAM the plan uses (program, A, W, C).
    pub dram_bytes: u64,
}

fn set(i: Instr, fields: &[(&str, u64)]) -> Instr {
    fields.iter().fold(i, |i, (name, v)| i.with(name, *v))
}

/// Plan an M x K x N GEMM: lay out A, W, C and the program in DRAM (from address 0, each
/// region 64-byte aligned) and write the program.
pub fn plan(cfg: &Config, m: usize, k: usize, n: usize) -> Result<GemmPlan, GemmError> {
    let t = Tiling::new(cfg, m, k, n)?;
    let (r, c) = (cfg.matrix.rows as usize, cfg.matrix.cols as usize);
    let half = cfg.memory.scratchpad_rows as u64 / 2;
    let acc_half = cfg.memory.accumulator_rows as u64 / 2;
    let align = |x: u64| x.div_ceil(64) * 64;
    let steps_total = t.n_tiles * t.m_blocks * t.k_tiles;
    // Three instructions per K step, a STORE per block, and HALT.
    let program_len = 3 * steps_total as u64 + t.n_tiles as u64 * t.m_blocks as u64 + 1;
    let a_addr = align(program_len * 16);
    let w_addr = align(a_addr + (m * k) as u64);
    let c_addr = align(w_addr + (k * n) as u64);
    let dram_bytes = align(c_addr + 4 * (m * n) as u64);
    if dram_bytes > u32::MAX as u64 {
        return Err(GemmError::TooLarge(m.max(k).max(n)));
    }
    let layout = Layout {
        a_addr,
        w_addr,
        c_addr,
        program_addr: 0,
    };
    let blocks_total = t.n_tiles * t.m_blocks;
    let mut program = Vec::new();
    let (mut step, mut block) = (0usize, 0usize);
    for j in 0..t.n_tiles {
        let nc = c.min(n - j * c) as u64;
        for i in 0..t.m_blocks {
            let mr = t.block_rows.min(m - i * t.block_rows) as u64;
            let acc_row = (block % 2) as u64 * acc_half;
            for kk in 0..t.k_tiles {
                let kr = r.min(k - kk * r) as u64;
                let buf = (step % 2) as u64 * half;
                let weights = set(
                    Instr::new(Opcode::Load),
                    &[
                        ("sram_row", buf),
                        ("rows", kr),
                        ("row_bytes", nc),
                        ("dram_addr", w_addr + (kk * r * n + j * c) as u64),
                        ("dram_stride", n as u64),
                        ("pop_next", (step >= 2) as u64),
                    ],
                );
                let acts = set(
                    Instr::new(Opcode::Load),
                    &[
                        ("sram_row", buf + r as u64),
                        ("rows", mr),
                        ("row_bytes", kr),
                        ("dram_addr", a_addr + (i * t.block_rows * k + kk * r) as u64),
                        ("dram_stride", k as u64),
                        ("push_next", 1),
                    ],
                );
                let last_k = kk + 1 == t.k_tiles;
                let matmul = set(
                    Instr::new(Opcode::Matmul),
                    &[
                        ("w_row", buf),
                        ("a_row", buf + r as u64),
                        ("acc_row", acc_row),
                        ("rows", mr),
                        ("accumulate", (kk > 0) as u64),
                        ("pop_prev", 1),
                        ("push_prev", (step + 2 < steps_total) as u64),
                        ("pop_next", (kk == 0 && block >= 2) as u64),
                        ("push_next", last_k as u64),
                    ],
                );
                program.extend([weights, acts, matmul]);
                step += 1;
            }
            program.push(set(
                Instr::new(Opcode::Store),
                &[
                    ("acc", 1),
                    ("sram_row", acc_row),
                    ("rows", mr),
                    ("row_bytes", 4 * nc),
                    (
                        "dram_addr",
                        c_addr + 4 * (i * t.block_rows * n + j * c) as u64,
                    ),
                    ("dram_stride", 4 * n as u64),
                    ("pop_prev", 1),
                    ("push_prev", (block + 2 < blocks_total) as u64),
                ],
            ));
            block += 1;
        }
    }
    program.push(Instr::new(Opcode::Halt));
    debug_assert_eq!(program.len() as u64, program_len);
    Ok(GemmPlan {
        tiling: t,
        layout,
        program,
        dram_bytes,
    })
}

impl GemmPlan {
    /// The DRAM image holding the program, A and W (C zeroed), and the launch registers
    /// (a window over the whole image).
    pub fn dram(&self, a: &Matrix<i8>, w: &Matrix<i8>) -> (Vec<u8>, Launch) {
        let mut dram = vec![0u8; self.dram_bytes as usize];
        let p = seedchip_hdl::chip::isa::program_bytes(&self.program);
        dram[..p.len()].copy_from_slice(&p);
        for (base, m) in [(self.layout.a_addr, a), (self.layout.w_addr, w)] {
            for (x, v) in m.data.iter().enumerate() {
                dram[base as usize + x] = *v as u8;
            }
        }
        let launch = Launch {
            program_addr: self.layout.program_addr,
            program_len: self.program.len() as u32,
            window: Window {
                base: 0,
                bound: self.dram_bytes,
            },
        };
        (dram, launch)
    }

    /// C read back from a DRAM image.
    pub fn result(&self, dram: &[u8]) -> Matrix<i32> {
        let (m, n) = (self.tiling.m, self.tiling.n);
        let data = (0..m * n)
            .map(|x| {
                let at = self.layout.c_addr as usize + 4 * x;
                i32::from_le_bytes([dram[at], dram[at + 1], dram[at + 2], dram[at + 3]])
            })
            .collect();
        Matrix::from_vec(m, n, data)
    }
}
