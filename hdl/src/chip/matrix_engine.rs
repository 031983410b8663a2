//! The matrix engine: computes `out = act x W` for int8 operands, one activation row per cycle.
//!
//! ```text
//!  weight_* ->[weight_q]------------------------------+
//!                                                     v  (top edge)
//!  act_*    ->[act_q, commit_q]->[skew]->[ systolic_array R x C ]->[deskew]->[result_fifo]-> out_*
//!                                 ^                                              ^
//!  control: tile_loaded, in_group, preload guard, credits -------------------------+
//! ```
//!
//! Interface (all valid/ready; a transfer happens when both are high at a clock edge):
//! - `weight`: one row of a weight tile per transfer, `weight_data` lane `c` = W[k][c].
//!   R transfers (rows 0..R-1) make one tile.
//! - `act`: one activation row per transfer, lane `r` = A[m][r]; `act_last` ends a group.
//!   A group uses the next loaded tile: its first row commits the tile into the PEs.
//! - `out`: one result row per group row, lane `c` = sum_r A[m][r] * W[r][c] as int32
//!   (exact: the column sum never overflows; see [`psum_bits`]); `out_last` ends the group.
//!
//! Timing is fixed by the pipeline, so the control is a handful of counters:
//! - the array never stalls: a row is accepted only when the result FIFO has a credit for it;
//! - the next tile may preload while the current group streams, once the current tile's commit
//!   wave has passed the top row (the preload guard);
//! - a new group may start the cycle after its tile's last weight row is accepted.

use super::config::MatrixConfig;
use super::result_fifo::result_fifo;
use super::skew::{deskew, skew};
use super::systolic_array::{psum_bits, systolic_array};
use crate::hw::*;

/// Port names of the matrix engine (used by the harness and the docs).
pub mod port {
    pub const WEIGHT_VALID: &str = "weight_valid";
    pub const WEIGHT_READY: &str = "weight_ready";
    pub const WEIGHT_DATA: &str = "weight_data";
    pub const ACT_VALID: &str = "act_valid";
    pub const ACT_READY: &str = "act_ready";
    pub const ACT_DATA: &str = "act_data";
    pub const ACT_LAST: &str = "act_last";
    pub const OUT_VALID: &str = "out_valid";
    pub const OUT_READY: &str = "out_ready";
    pub const OUT_DATA: &str = "out_data";
    pub const OUT_LAST: &str = "out_last";
}

/// Width of one result lane on the engine's interface.
pub const OUT_LANE_BITS: u32 = 32;

/// The engine's derived dimensions and timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineShape {
    pub rows: u32,
    pub cols: u32,
    /// PEs register the product before the accumulate.
    pub mac_pipeline: bool,
    /// Width of the column sums inside the array.
    pub psum_bits: u32,
    /// Cycles from accepting an activation row to writing its result into the FIFO.
    pub latency: u32,
    /// Result FIFO entries = credits; enough for one row per cycle at full rate.
    pub fifo_depth: u32,
    /// Cycles after a tile commit before the next tile's first weight row may enter.
    pub preload_guard: u32,
    /// Cycles after `rst` falls before the engine accepts transfers: the reset wave must have
    /// crossed the array (it travels PE to PE).
    pub reset_cycles: u32,
}

impl EngineShape {
    pub fn new(cfg: &MatrixConfig) -> EngineShape {
        let (rows, cols) = (cfg.rows, cfg.cols);
        // act_q (1) + skew (r) + one register per PE across (c) and down (r) + de-skew:
        // every row ends up rows + cols + 1 cycles after acceptance, one more with the
        // product register.
        let latency = rows + cols + 1 + cfg.mac_pipeline as u32;
        EngineShape {
            rows,
            cols,
            mac_pipeline: cfg.mac_pipeline,
            psum_bits: psum_bits(rows),
            latency,
            // A row accepted in cycle t holds its credit through cycle t + latency + 2 (FIFO
            // write at t + latency, SRAM read, then taken from the head): latency + 2 rows are
            // in flight at full rate, and one more credit lets the next row in that same cycle.
            fifo_depth: latency + 3,
            // Top-row PE(0, c) commits c + 1 cycles after the commit row is accepted; the next
            // tile's row 0 reaches it (through weight_q) one cycle after acceptance.
            preload_guard: cols - 1,
            // array_rst (1) + the last PE's hop count; weights reach PE(r, c) no earlier.
            reset_cycles: 1 + super::systolic_array::reset_delay(rows - 1, cols - 1) + 1,
        }
    }

    /// Module name of the engine.
    pub fn module_name(&self) -> String {
        let suffix = if self.mac_pipeline { "" } else { "_s1" };
        format!("matrix_engine_{}x{}{suffix}", self.rows, self.cols)
    }
}

/// Build the matrix engine for `cfg`. Named `matrix_engine_<rows>x<cols>` (`..._s1` without
/// the PE product register).
pub fn matrix_engine(cfg: &MatrixConfig) -> Result<ModuleRef, ModuleError> {
    let s = EngineShape::new(cfg);
    let (rows, cols, p) = (s.rows, s.cols, s.psum_bits);
    let array = systolic_array(rows, cols, s.mac_pipeline)?;
    let act_skew = skew(rows, 8)?;
    let out_deskew = deskew(cols, p)?;
    let fifo = result_fifo(s.fifo_depth, cols * p + 1)?;

    let mut m = ModuleBuilder::new(s.module_name());
    m.doc(&format!(
        "Matrix engine: {rows} x {cols} weight-stationary int8 systolic array, int32 results.\n\
         Latency {} cycles from act accept to result, {} result credits, preload guard {}.\n\
         weight_data lane c = W[k][c]; act_data lane r = A[m][r]; out_data lane c = int32 sum.",
        s.latency + 2,
        s.fifo_depth,
        s.preload_guard
    ));
    let weight_valid = m.input(port::WEIGHT_VALID, bit());
    let weight_ready = m.output(port::WEIGHT_READY, bit());
    let weight_data = m.input(port::WEIGHT_DATA, uint(cols * 8));
    let act_valid = m.input(port::ACT_VALID, bit());
    let act_ready = m.output(port::ACT_READY, bit());
    let act_data = m.input(port::ACT_DATA, uint(rows * 8));
    let act_last = m.input(port::ACT_LAST, bit());
    let out_valid = m.output(port::OUT_VALID, bit());
    let out_ready = m.input(port::OUT_READY, bit());
    let out_data = m.output(port::OUT_DATA, uint(cols * OUT_LANE_BITS));
    let out_last = m.output(port::OUT_LAST, bit());
    m.comment(act_last, "last row of a group (one weight tile)");

    // --- control -------------------------------------------------------------------------
    let tile_loaded = m.reg("tile_loaded", bit(), 0);
    let in_group = m.reg("in_group", bit(), 0);
    let credit_bits = clog2(s.fifo_depth as u64 + 1);
    let credits_used = m.reg("credits_used", uint(credit_bits), 0);
    m.comment(tile_loaded, "a complete tile waits in the PE shadows");
    m.comment(in_group, "streaming a group; its tile is active");
    m.comment(credits_used, "rows accepted whose results have not left");

    // After reset, hold the handshakes off until every PE has been reset (the reset travels
    // through the array one PE per cycle).
    let rw = clog2(s.reset_cycles as u64 + 1);
    let reset_wait = m.reg("reset_wait", uint(rw), s.reset_cycles as i64);
    m.comment(reset_wait, "cycles until the array's reset wave has passed");
    m.next_en(reset_wait, reset_wait.ne_lit(0), reset_wait.dec());
    let running = m.wire_of("running", reset_wait.eq_lit(0));

    let weight_fire = m.wire_of("weight_fire", weight_valid & weight_ready);
    let act_fire = m.wire_of("act_fire", act_valid & act_ready);
    let out_fire = m.wire_of("out_fire", out_valid & out_ready);
    let commit = m.wire_of("commit", act_fire & !in_group);
    m.comment(commit, "first row of a group: tile shadow -> active");

    // Weight rows: count to R; the tile is loaded with its last row.
    let last_weight_row: Expr = if rows > 1 {
        let w_row = m.reg("weight_row", uint(clog2(rows as u64)), 0);
        m.next_en(
            w_row,
            weight_fire,
            super::result_fifo::wrap_inc(w_row, rows),
        );
        w_row.eq_lit(rows as i64 - 1)
    } else {
        ulit(1, 1)
    };
    let tile_done = m.wire_of("tile_done", weight_fire & last_weight_row);
    m.next(tile_loaded, tile_done | (tile_loaded & !commit));
    m.next(in_group, mux(act_fire, !act_last, in_group));

    // Preload guard: no new tile until the commit wave has cleared the top row.
    let guard_clear: Expr = if s.preload_guard > 0 {
        let gw = clog2(s.preload_guard as u64 + 1);
        let guard = m.reg("preload_guard", uint(gw), 0);
        m.seq(|b| {
            b.when(commit, |b| {
                b.set(guard, lit(uint(gw), s.preload_guard as i64))
            })
            .elsewhen(guard.ne_lit(0), |b| b.set(guard, guard.dec()));
        });
        guard.eq_lit(0)
    } else {
        ulit(1, 1)
    };
    m.assign(weight_ready, running & !tile_loaded & guard_clear);

    // Credits: one per row from acceptance until its result is taken.
    let has_credit = credits_used.ne_lit(s.fifo_depth as i64);
    m.assign(act_ready, running & has_credit & (in_group | tile_loaded));
    m.next(
        credits_used,
        credits_used
            .add_wrap(act_fire.zext(credit_bits))
            .sub_wrap(out_fire.zext(credit_bits)),
    );

    // --- datapath ------------------------------------------------------------------------
    // Input registers. Idle cycles feed zeros into the array (quiet, and never X).
    let act_q = m.data_reg("act_q", uint(rows * 8));
    let commit_q = m.reg("commit_q", bit(), 0);
    m.next(act_q, mux(act_fire, act_data, zero(uint(rows * 8))));
    m.next(commit_q, commit);
    let weight_q = m.data_reg("weight_q", uint(cols * 8));
    let weight_q_valid = m.reg("weight_q_valid", uint(cols), 0);
    m.comment(
        weight_q_valid,
        "one copy per column: no broadcast net across the top row",
    );
    m.next(weight_q, weight_data);
    m.next(weight_q_valid, weight_fire.repeat(cols));

    // Row bookkeeping beside the array: valid and last travel latency - 1 stages after act_q.
    let stages = s.latency;
    let row_valid = m.reg("row_valid", uint(stages), 0);
    let row_last = m.reg("row_last", uint(stages), 0);
    m.comment(
        row_valid,
        "shift register: bit k = row accepted k + 1 cycles ago",
    );
    let shift_in = |reg: Sig, bit_in: Expr| -> Expr {
        if stages == 1 {
            bit_in
        } else {
            cat([reg.slice(stages - 2, 0), bit_in])
        }
    };
    m.next(row_valid, shift_in(row_valid, act_fire.into()));
    m.next(row_last, shift_in(row_last, act_fire & act_last));

    let skewed_act = m.wire("skewed_act", uint(rows * 8));
    let skewed_commit = m.wire("skewed_commit", uint(rows));
    m.instance("act_skew", &act_skew)
        .con("data_in", act_q)
        .con("tag_in", commit_q)
        .con("data_out", skewed_act)
        .con("tag_out", skewed_commit);
    let column_sums = m.wire("column_sums", uint(cols * p));
    // The array's reset is registered here and then travels PE to PE.
    let array_rst = m.forward_reset("array_rst");
    m.instance("array", &array)
        .reset(array_rst)
        .con("act_in", skewed_act)
        .con("commit_in", skewed_commit)
        .con("weight_in", weight_q)
        .con("weight_in_valid", weight_q_valid)
        .con("psum_out", column_sums);
    let aligned_sums = m.wire("aligned_sums", uint(cols * p));
    m.instance("out_deskew", &out_deskew)
        .con("data_in", column_sums)
        .con("data_out", aligned_sums);

    let result = m.wire("result", uint(cols * p + 1));
    m.instance("results", &fifo)
        .con("in_valid", row_valid.bit(stages - 1))
        .con(
            "in_data",
            cat([row_last.bit(stages - 1), aligned_sums.into()]),
        )
        .con("out_valid", out_valid)
        .con("out_ready", out_ready)
        .con("out_data", result);

    // Widen each column sum to int32 on the way out.
    let lanes: Vec<Expr> = (0..cols)
        .rev()
        .map(|c| result.slice(c * p + p - 1, c * p).sext(OUT_LANE_BITS))
        .collect();
    m.assign(out_data, cat(lanes));
    m.assign(out_last, result.bit(cols * p));
    m.finish()
}
