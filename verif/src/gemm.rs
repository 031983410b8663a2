//! The GEMM library: any int8 GEMM `C = A x W` (A is M x K, W is K x N, C int32 M x N) tiled
//! into a multi-buffered, token-synchronised program for a configuration.
//!
//! DRAM layout: packed in panels, as VTA and TPU runtimes do, so that every tile a LOAD or
//! STORE moves is one contiguous block that the DMA reads or writes in long bursts.
//! - A (int8): K panels of R columns (R = the array's rows). Row `m` of panel `p` holds
//!   A[m][p*R .. p*R + R] at `a_addr + (p*M + m)*R`; columns past K are zero.
//! - W (int8): N panels of C columns (C = the array's columns). Row `k` of panel `q` holds
//!   W[k][q*C .. q*C + C] at `w_addr + (q*K + k)*C`; columns past N are zero.
//! - C (little-endian int32): N panels of C columns. Row `m` of panel `q` holds
//!   C[m][q*C .. q*C + C] at `c_addr + 4*(q*M + m)*C`; columns past N come out zero.
//!
//! [`GemmPlan::dram`] packs row-major matrices and [`GemmPlan::result`] unpacks C. On a square
//! array C's panels are the next layer's A panels, so layers chain without repacking.
//!
//! Tiling: output columns in tiles of C, output rows in blocks of `block_rows`, the reduction
//! in tiles of R. For each (column tile, row block) the program accumulates over the K tiles
//! into one half of the accumulator, then stores it. The scratchpad holds `buffers` (2 to 4)
//! buffers of a weight tile and an activation block, used in turn, so the loads of the next
//! steps run ahead of the MATMUL of this one; the accumulator halves alternate per block, so
//! the STORE of one block overlaps the MATMULs of the next.
//!
//! Edges: an activation row of a partial K panel is zero past K in DRAM, so whatever the unused
//! weight rows hold contributes nothing; a weight row is zero past N, so the unused result
//! columns are zero.
//!
//! Tokens (see `hdl/src/chip/isa.rs`): a MATMUL pops the token its loads pushed; a LOAD into a
//! buffer pops the token of the MATMUL that last read that buffer; a STORE pops the token of
//! its block's last MATMUL; the first MATMUL into an accumulator half pops the token of the
//! STORE that last read it. Every push has exactly one pop.

use seedchip_hdl::chip::isa::{Instr, Opcode};
use seedchip_hdl::chip::Config;

use crate::chip_model::Launch;
use crate::model::Matrix;

/// Most scratchpad buffers a plan uses: enough for the loads to run two steps ahead.
pub const MAX_BUFFERS: usize = 4;

/// Where the matrices live in DRAM (each packed in panels; see the module docs).
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
    #[error("the results need at least 2 accumulator rows besides the layer's parameters; {have} are left")]
    Accumulator { have: u32 },
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
    /// Scratchpad buffers (a weight tile and an activation block each), used in turn.
    pub buffers: usize,
}

impl Tiling {
    pub fn new(cfg: &Config, m: usize, k: usize, n: usize) -> Result<Tiling, GemmError> {
        Tiling::with_accumulator(cfg, m, k, n, cfg.memory.accumulator_rows as usize)
    }

    /// The tiling when only the accumulator's first `acc_rows` rows hold results (the layer
    /// library keeps parameters in the rest).
    pub fn with_accumulator(
        cfg: &Config,
        m: usize,
        k: usize,
        n: usize,
        acc_rows: usize,
    ) -> Result<Tiling, GemmError> {
        if m == 0 || k == 0 || n == 0 {
            return Err(GemmError::Empty { m, k, n });
        }
        if let Some(&big) = [m, k, n].iter().find(|&&d| d > u16::MAX as usize * 64) {
            return Err(GemmError::TooLarge(big));
        }
        let (r, spad) = (
            cfg.matrix.rows as usize,
            cfg.memory.scratchpad_rows as usize,
        );
        let half = spad / 2;
        if half < r + 1 {
            return Err(GemmError::Scratchpad {
                need: 2 * (cfg.matrix.rows + 1),
                have: cfg.memory.scratchpad_rows,
            });
        }
        if acc_rows < 2 {
            return Err(GemmError::Accumulator {
                have: acc_rows as u32,
            });
        }
        let block_rows = m.min(half - r).min(acc_rows / 2).min(u16::MAX as usize);
        Ok(Tiling {
            m,
            k,
            n,
            block_rows,
            k_tiles: k.div_ceil(r),
            n_tiles: n.div_ceil(cfg.matrix.cols as usize),
            m_blocks: m.div_ceil(block_rows),
            buffers: (spad / (r + block_rows)).min(MAX_BUFFERS),
        })
    }

    /// K steps (one MATMUL each) in the whole GEMM.
    pub fn steps(&self) -> usize {
        self.n_tiles * self.m_blocks * self.k_tiles
    }
}

/// A GEMM ready to run: the program, where everything goes, and the DRAM image size.
#[derive(Clone, Debug)]
pub struct GemmPlan {
    pub tiling: Tiling,
    pub layout: Layout,
    /// The array's rows and columns (the panel widths of A and of W and C).
    pub rows: usize,
    pub cols: usize,
    pub program: Vec<Instr>,
    /// Bytes of DRAM the plan uses (program, A, W, C).
    pub dram_bytes: u64,
}

fn set(i: Instr, fields: &[(&str, u64)]) -> Instr {
    fields.iter().fold(i, |i, (name, v)| i.with(name, *v))
}

/// One block of results, when its last MATMUL has finished: what the store queue does with
/// its accumulator rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Column tile (C output columns from `j * C`).
    pub j: usize,
    /// First output row of the block.
    pub m0: usize,
    /// Output rows in the block.
    pub rows: u64,
    /// First accumulator row holding them.
    pub acc_row: u64,
    /// Whether the block's last store-queue instruction must push a token back to compute
    /// (a later MATMUL reuses these accumulator rows).
    pub push_back: bool,
}

/// The tiled program: per K step a weight LOAD, an activation LOAD and a MATMUL; per block the
/// store-queue instructions `store(block)` returns (the first must pop the block's token, the
/// last push back when the block says so: [`finish_block`] sets both); then HALT. The
/// accumulator holds two halves of `acc_half` rows from row 0.
pub fn gemm_program(
    cfg: &Config,
    t: &Tiling,
    a_addr: u64,
    w_addr: u64,
    acc_half: u64,
    mut store: impl FnMut(&Block) -> Vec<Instr>,
) -> Vec<Instr> {
    let (r, c) = (cfg.matrix.rows as usize, cfg.matrix.cols as usize);
    let (m, k) = (t.m, t.k);
    let buffer_rows = (r + t.block_rows) as u64;
    let steps_total = t.steps();
    let nb = t.buffers;
    let blocks_total = t.n_tiles * t.m_blocks;
    let mut program = Vec::new();
    let (mut step, mut block) = (0usize, 0usize);
    for j in 0..t.n_tiles {
        for i in 0..t.m_blocks {
            let m0 = i * t.block_rows;
            let mr = t.block_rows.min(m - m0) as u64;
            let acc_row = (block % 2) as u64 * acc_half;
            for kk in 0..t.k_tiles {
                let kr = r.min(k - kk * r) as u64;
                let buf = (step % nb) as u64 * buffer_rows;
                let weights = set(
                    Instr::new(Opcode::Load),
                    &[
                        ("sram_row", buf),
                        ("rows", kr),
                        ("row_bytes", c as u64),
                        ("dram_addr", w_addr + ((j * k + kk * r) * c) as u64),
                        ("dram_stride", c as u64),
                        ("pop_next", (step >= nb) as u64),
                    ],
                );
                let acts = set(
                    Instr::new(Opcode::Load),
                    &[
                        ("sram_row", buf + r as u64),
                        ("rows", mr),
                        ("row_bytes", r as u64),
                        ("dram_addr", a_addr + ((kk * m + m0) * r) as u64),
                        ("dram_stride", r as u64),
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
                        ("push_prev", (step + nb < steps_total) as u64),
                        ("pop_next", (kk == 0 && block >= 2) as u64),
                        ("push_next", last_k as u64),
                    ],
                );
                program.extend([weights, acts, matmul]);
                step += 1;
            }
            program.extend(store(&Block {
                j,
                m0,
                rows: mr,
                acc_row,
                push_back: block + 2 < blocks_total,
            }));
            block += 1;
        }
    }
    program.push(Instr::new(Opcode::Halt));
    program
}

/// Set the token flags of a block's store-queue instructions: the first pops the block's
/// token from compute, the last pushes one back when the block needs it.
pub fn finish_block(mut steps: Vec<Instr>, block: &Block) -> Vec<Instr> {
    if let Some(first) = steps.first_mut() {
        *first = first.clone().with("pop_prev", 1);
    }
    if let Some(last) = steps.last_mut() {
        *last = last.clone().with("push_prev", block.push_back as u64);
    }
    steps
}

/// Plan an M x K x N GEMM: lay out A, W, C and the program in DRAM (from address 0, each
/// region 64-byte aligned) and write the program.
pub fn plan(cfg: &Config, m: usize, k: usize, n: usize) -> Result<GemmPlan, GemmError> {
    let t = Tiling::new(cfg, m, k, n)?;
    let (r, c) = (cfg.matrix.rows as usize, cfg.matrix.cols as usize);
    let acc_half = cfg.memory.accumulator_rows as u64 / 2;
    let align = |x: u64| x.div_ceil(64) * 64;
    // Three instructions per K step, a STORE per block, and HALT.
    let program_len = 3 * t.steps() as u64 + t.n_tiles as u64 * t.m_blocks as u64 + 1;
    let a_addr = align(program_len * 16);
    let w_addr = align(a_addr + (t.k_tiles * m * r) as u64);
    let c_addr = align(w_addr + (t.n_tiles * k * c) as u64);
    let dram_bytes = align(c_addr + 4 * (t.n_tiles * m * c) as u64);
    if dram_bytes > u32::MAX as u64 {
        return Err(GemmError::TooLarge(m.max(k).max(n)));
    }
    let layout = Layout {
        a_addr,
        w_addr,
        c_addr,
        program_addr: 0,
    };
    let program = gemm_program(cfg, &t, a_addr, w_addr, acc_half, |b| {
        let store = set(
            Instr::new(Opcode::Store),
            &[
                ("acc", 1),
                ("sram_row", b.acc_row),
                ("rows", b.rows),
                ("row_bytes", 4 * c as u64),
                ("dram_addr", c_addr + 4 * ((b.j * m + b.m0) * c) as u64),
                ("dram_stride", 4 * c as u64),
            ],
        );
        finish_block(vec![store], b)
    });
    debug_assert_eq!(program.len() as u64, program_len);
    Ok(GemmPlan {
        tiling: t,
        layout,
        rows: r,
        cols: c,
        program,
        dram_bytes,
    })
}

/// Write `x` (rows x cols, int8) at `addr` packed in panels of `width` columns: row `i` of
/// panel `p` holds `x[i][p*width .. p*width + width]` at `addr + (p*rows + i)*width`; columns
/// past the matrix are left as they are (zero in a fresh image).
pub fn pack_panels(dram: &mut [u8], addr: u64, x: &Matrix<i8>, width: usize) {
    for row in 0..x.rows {
        for col in 0..x.cols {
            let at = addr as usize + ((col / width) * x.rows + row) * width + col % width;
            dram[at] = x.at(row, col) as u8;
        }
    }
}

impl GemmPlan {
    /// The DRAM image holding the program, A and W packed (C zeroed), and the launch
    /// registers (a window over the whole image).
    pub fn dram(&self, a: &Matrix<i8>, w: &Matrix<i8>) -> (Vec<u8>, Launch) {
        let (r, c) = (self.rows, self.cols);
        let mut dram = vec![0u8; self.dram_bytes as usize];
        let p = seedchip_hdl::chip::isa::program_bytes(&self.program);
        dram[..p.len()].copy_from_slice(&p);
        pack_panels(&mut dram, self.layout.a_addr, a, r);
        pack_panels(&mut dram, self.layout.w_addr, w, c);
        let launch = Launch {
            program_addr: self.layout.program_addr,
            ..Launch::whole_image(self.program.len() as u32, self.dram_bytes)
        };
        (dram, launch)
    }

    /// C read back (unpacked) from a DRAM image.
    pub fn result(&self, dram: &[u8]) -> Matrix<i32> {
        let (m, n, c) = (self.tiling.m, self.tiling.n, self.cols);
        let data = (0..m * n)
            .map(|x| {
                let (row, col) = (x / n, x % n);
                let (panel, lane) = (col / c, col % c);
                let at = self.layout.c_addr as usize + 4 * ((panel * m + row) * c + lane);
                i32::from_le_bytes([dram[at], dram[at + 1], dram[at + 2], dram[at + 3]])
            })
            .collect();
        Matrix::from_vec(m, n, data)
    }
}

/// A GEMM split across the tiles of a multi-tile chip: a grid of `row_parts` x `col_parts`
/// sub-GEMMs (rows of A by columns of W), one per tile, the split that moves the fewest bytes
/// from DRAM (each tile reads its rows of A and its columns of W). Each tile has its own
/// program and its own copy of its A rows and W columns and its C block in its own DRAM region
/// and window; tiles share nothing in DRAM, so any interleaving of their work gives the same
/// image, and the reference model runs the tiles one after the other.
#[derive(Clone, Debug)]
pub struct MultiPlan {
    /// Per tile: its plan (addresses relocated to its region), the region's base, and the
    /// first output row and column of its block.
    pub tiles: Vec<(GemmPlan, u64, usize, usize)>,
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub dram_bytes: u64,
}

/// `total` split into `parts` runs of whole `unit`s, as evenly as they go: (start, length).
fn split(total: usize, unit: usize, parts: usize) -> Vec<(usize, usize)> {
    let units = total.div_ceil(unit);
    let mut out = Vec::new();
    let mut at = 0;
    for p in 0..parts {
        let share = units / parts + usize::from(p < units % parts);
        let len = (share * unit).min(total - at);
        if len > 0 {
            out.push((at, len));
        }
        at += len;
    }
    out
}

/// Split `m x k x n` over the `[tiles]` of `cfg` (tiles left without work get none).
pub fn plan_tiles(cfg: &Config, m: usize, k: usize, n: usize) -> Result<MultiPlan, GemmError> {
    let tiles = (cfg.tiles.x * cfg.tiles.y) as usize;
    let (r, c) = (cfg.matrix.rows as usize, cfg.matrix.cols as usize);
    // Every grid of pm x pn blocks with pm * pn = tiles, planned; the one whose programs LOAD
    // the fewest bytes in all wins (the tiles share one DRAM port).
    // (bytes loaded, the blocks' plans with their first row and column).
    type Grid = (u64, Vec<(GemmPlan, usize, usize)>);
    let mut best: Option<Grid> = None;
    for pm in (1..=tiles).filter(|pm| tiles.is_multiple_of(*pm)) {
        let pn = tiles / pm;
        let mut plans = Vec::new();
        for &(row0, rows) in &split(m, r.max(1), pm) {
            for &(col0, cols) in &split(n, c, pn) {
                plans.push((plan(cfg, rows, k, cols)?, row0, col0));
            }
        }
        let bytes: u64 = plans.iter().map(|(p, _, _)| load_bytes(&p.program)).sum();
        if best.as_ref().is_none_or(|(b, _)| bytes < *b) {
            best = Some((bytes, plans));
        }
    }
    let (_, plans) = best.expect("one grid at least");
    let mut out = Vec::new();
    let mut base = 0u64;
    for (mut p, row0, col0) in plans {
        relocate(&mut p, base);
        let bytes = p.dram_bytes;
        out.push((p, base, row0, col0));
        base = (base + bytes).div_ceil(4096) * 4096;
    }
    if base > u32::MAX as u64 {
        return Err(GemmError::TooLarge(m.max(k).max(n)));
    }
    Ok(MultiPlan {
        tiles: out,
        m,
        k,
        n,
        dram_bytes: base,
    })
}

/// Bytes a program's LOADs read from DRAM.
pub fn load_bytes(program: &[Instr]) -> u64 {
    program
        .iter()
        .filter(|i| i.opcode == Opcode::Load)
        .map(|i| i.get("rows").unwrap_or(0) * i.get("row_bytes").unwrap_or(0))
        .sum()
}

/// Move a plan to DRAM address `base`: every LOAD and STORE address and the layout.
fn relocate(p: &mut GemmPlan, base: u64) {
    for i in &mut p.program {
        if matches!(i.opcode, Opcode::Load | Opcode::Store) {
            let a = i.get("dram_addr").expect("LOAD and STORE have dram_addr");
            i.set("dram_addr", a + base)
                .expect("the relocated address fits 32 bits (checked by the caller)");
        }
    }
    p.layout.a_addr += base;
    p.layout.w_addr += base;
    p.layout.c_addr += base;
    p.layout.program_addr += base;
}

impl MultiPlan {
    /// The DRAM image (each tile's region as [`GemmPlan::dram`] fills it) and each tile's
    /// launch registers (its program, a window over its region), by tile.
    pub fn dram(&self, a: &Matrix<i8>, w: &Matrix<i8>) -> (Vec<u8>, Vec<Launch>) {
        let mut dram = vec![0u8; self.dram_bytes as usize];
        let mut launches = Vec::new();
        for (p, base, row0, col0) in &self.tiles {
            let (rows, cols) = (p.tiling.m, p.tiling.n);
            let at = Matrix::from_vec(
                rows,
                a.cols,
                (0..rows * a.cols)
                    .map(|x| a.at(row0 + x / a.cols, x % a.cols))
                    .collect(),
            );
            let wt = Matrix::from_vec(
                w.rows,
                cols,
                (0..w.rows * cols)
                    .map(|x| w.at(x / cols, col0 + x % cols))
                    .collect(),
            );
            let mut local = p.clone();
            local.layout.a_addr -= base;
            local.layout.w_addr -= base;
            local.layout.c_addr -= base;
            local.layout.program_addr -= base;
            let (image, _) = local.dram(&at, &wt);
            dram[*base as usize..*base as usize + image.len()].copy_from_slice(&image);
            launches.push(Launch {
                program_addr: p.layout.program_addr,
                program_len: p.program.len() as u32,
                window: crate::chip_model::Window {
                    base: *base,
                    bound: base + p.dram_bytes,
                },
            });
        }
        (dram, launches)
    }

    /// C read back from a DRAM image, every tile's block in place.
    pub fn result(&self, dram: &[u8]) -> Matrix<i32> {
        let mut c = vec![0i32; self.m * self.n];
        for (p, _, row0, col0) in &self.tiles {
            let part = p.result(dram);
            for i in 0..part.rows {
                for j in 0..part.cols {
                    c[(row0 + i) * self.n + col0 + j] = part.at(i, j);
                }
            }
        }
        Matrix::from_vec(self.m, self.n, c)
    }
}

/// A GEMM run on the Verilated chip by [`check_on_chip`].
#[derive(Clone, Debug)]
pub struct ChipGemm {
    /// C read back from DRAM.
    pub c: Matrix<i32>,
    /// Cycles from the (first) START to the (last) end.
    pub cycles: u64,
    /// Instructions of the program(s).
    pub instructions: usize,
    /// Work counters and every performance counter, summed over the tiles.
    pub counters: crate::chip_model::Counters,
    pub perf: Vec<(String, u64)>,
}

/// Why [`check_on_chip`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ChipGemmError {
    #[error("tiling the GEMM: {0}")]
    Plan(#[from] GemmError),
    #[error(transparent)]
    Chip(#[from] crate::chip_harness::ChipError),
}

/// `a` x `w` on the Verilated chip `model` of `cfg` with the GEMM library's program (split
/// over the tiles of a multi-tile chip), STATUS, counters and the DRAM image checked against
/// the reference model.
pub fn check_on_chip(
    model: &std::sync::Arc<crate::verilator::Model>,
    cfg: &Config,
    a: &Matrix<i8>,
    w: &Matrix<i8>,
    timing: crate::axi::MemoryTiming,
    init: crate::verilator::XInit,
) -> Result<ChipGemm, ChipGemmError> {
    use crate::chip_harness::{check_program, check_tiles};
    let (m, k, n) = (a.rows, a.cols, w.cols);
    let mut perf: Vec<(String, u64)> = Vec::new();
    let mut add = |runs: &[crate::chip_harness::ChipRun]| {
        for r in runs {
            for (name, v) in &r.perf {
                match perf.iter_mut().find(|(p, _)| p == name) {
                    Some(e) => e.1 += v,
                    None => perf.push((name.to_string(), *v)),
                }
            }
        }
    };
    let (c, cycles, instructions) = if cfg.tiles.x * cfg.tiles.y > 1 {
        let p = plan_tiles(cfg, m, k, n)?;
        let (dram, launches) = p.dram(a, w);
        let r = check_tiles(model, cfg, &dram, &launches, timing, init)?;
        add(&r.tiles);
        let instructions = launches.iter().map(|l| l.program_len as usize).sum();
        (p.result(&r.dram), r.cycles, instructions)
    } else {
        let p = plan(cfg, m, k, n)?;
        let (dram, launch) = p.dram(a, w);
        let r = check_program(model, cfg, &dram, &launch, timing, init)?;
        add(std::slice::from_ref(&r));
        (p.result(&r.dram), r.cycles, p.program.len())
    };
    let get = |name: &str| perf.iter().find(|(p, _)| p == name).map_or(0, |(_, v)| *v);
    let counters = crate::chip_model::Counters::from_perf(get);
    Ok(ChipGemm {
        c,
        cycles,
        instructions,
        counters,
        perf,
    })
}
