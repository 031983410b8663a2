//! The matrix engine: computes `out = act x W` for int8 operands, one activation row per cycle.
//!
//! ```text
//!  weight_* ->[weight_q]->[weight skew]-------------------+
//!                                                        v  (top edge)
//!  act_*    ->[act_q, commit_q]->[act skew]->[ systolic_array R x C ]->[deskew]->[result_fifo]-> out_*
//!                                                                                   ^
//!  control: tile_loaded, in_group, credits ---------------------------------------------+
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
//! - the next tile may preload from the cycle after the current group's first row: column c of
//!   the weight stream is delayed c cycles (skewed like the activations), so every weight
//!   reaches its PE after the commit wave has emptied that PE's shadow;
//! - a new group may start the cycle after its tile's last weight row is accepted.
//!
//! Back to back, groups of M >= R + 1 rows therefore run with no idle cycle, and a shorter
//! group costs R + 1 cycles: R weight transfers, then its first row (the weight-load bound).

use super::config::{variant_suffix, MatrixConfig, Multiplier};
use super::result_fifo::{fifo_in, fifo_out, result_fifo};
use super::skew::{deskew, lanes_bundle, skew, skew_in, skew_out};
use super::systolic_array::{
    north_edge, psum_bits, south_edge, sums_negated, systolic_array, west_edge,
};
use crate::hw::*;

/// The engine's weight stream: one row of a weight tile per transfer, lane `c` = W[k][c].
pub fn weight_stream(cols: u32) -> Bundle {
    Bundle::stream("weight").field("data", uint(cols * 8))
}

/// The engine's activation stream: one row per transfer, lane `r` = A[m][r]; `last` ends a
/// group (the rows that use one weight tile).
pub fn act_stream(rows: u32) -> Bundle {
    Bundle::stream("act")
        .field("data", uint(rows * 8))
        .field("last", bit())
}

/// The engine's result stream: one int32 row per activation row, `last` ends the group.
pub fn out_stream(cols: u32) -> Bundle {
    Bundle::stream("out")
        .field("data", uint(cols * OUT_LANE_BITS))
        .field("last", bit())
}

/// The results of an engine without a result FIFO (inside the chip): one row per cycle it
/// is valid, no back-pressure; the consumer must take every row.
pub fn out_flow(cols: u32) -> Bundle {
    Bundle::plain("out")
        .field("valid", bit())
        .field("data", uint(cols * OUT_LANE_BITS))
        .field("last", bit())
}

/// Where the engine's results go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultPath {
    /// Stand-alone: a credit-counted result FIFO behind a valid/ready `out` stream.
    Fifo,
    /// Inside the chip: straight out of the de-skew ([`out_flow`]), no FIFO, no credits, and
    /// lane c is minus the column sum when [`EngineShape::sums_negated`].
    /// The compute unit writes every row into the accumulator the cycle it leaves, so it can
    /// never stall, and a FIFO there would be 27% of a 16x16 engine's area for nothing.
    Direct,
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
    /// How the PEs multiply.
    pub multiplier: Multiplier,
    /// Width of the column sums inside the array.
    pub psum_bits: u32,
    /// The array's columns carry minus their sums (the Booth PE adds negated products). The
    /// stand-alone engine negates them on the way out; the direct path hands them on as they
    /// are and the compute unit subtracts instead of adding.
    pub sums_negated: bool,
    /// Cycles from accepting an activation row to writing its result into the FIFO.
    pub latency: u32,
    /// Result FIFO entries = credits; enough for one row per cycle at full rate.
    pub fifo_depth: u32,
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
            multiplier: cfg.multiplier,
            psum_bits: psum_bits(cfg),
            sums_negated: sums_negated(cfg),
            latency,
            // A row accepted in cycle t holds its credit through cycle t + latency + 2 (FIFO
            // write at t + latency, SRAM read, then taken from the head): latency + 2 rows are
            // in flight at full rate, and one more credit lets the next row in that same cycle.
            fifo_depth: latency + 3,
            // array_rst (1) + the last PE's hop count; weights reach PE(r, c) no earlier.
            reset_cycles: 1 + super::systolic_array::reset_delay(rows - 1, cols - 1) + 1,
        }
    }

    /// Module name of the stand-alone engine.
    pub fn module_name(&self) -> String {
        self.module_name_for(ResultPath::Fifo)
    }

    /// Module name of the engine with `path` (`_direct` without the result FIFO).
    pub fn module_name_for(&self, path: ResultPath) -> String {
        let suffix = variant_suffix(self.mac_pipeline, self.multiplier);
        let direct = if path == ResultPath::Direct {
            "_direct"
        } else {
            ""
        };
        format!("matrix_engine_{}x{}{suffix}{direct}", self.rows, self.cols)
    }

    /// Cycles from accepting an activation row to its result on `out` (valid high).
    pub fn out_latency(&self, path: ResultPath) -> u32 {
        match path {
            ResultPath::Fifo => self.latency + 2,
            ResultPath::Direct => self.latency,
        }
    }
}

/// Build the stand-alone matrix engine for `cfg`, with its result FIFO. Named
/// `matrix_engine_<rows>x<cols>` plus the PE variant's suffix.
pub fn matrix_engine(cfg: &MatrixConfig) -> Result<ModuleRef, ModuleError> {
    matrix_engine_with(cfg, ResultPath::Fifo)
}

/// Build the matrix engine for `cfg` with its results going as `path` says.
pub fn matrix_engine_with(cfg: &MatrixConfig, path: ResultPath) -> Result<ModuleRef, ModuleError> {
    let s = EngineShape::new(cfg);
    let (rows, cols, p) = (s.rows, s.cols, s.psum_bits);
    let array = systolic_array(cfg)?;
    let act_skew = skew(rows, 8)?;
    let weight_skew = skew(cols, 8)?;
    let out_deskew = deskew(cols, p)?;

    let mut m = ModuleBuilder::new(s.module_name_for(path));
    let results_doc = match path {
        ResultPath::Fifo => format!("{} result credits", s.fifo_depth),
        ResultPath::Direct => "no result FIFO: every row must be taken as it leaves".into(),
    };
    m.doc(&format!(
        "Matrix engine: {rows} x {cols} weight-stationary int8 systolic array, int32 results.\n\
         Latency {} cycles from act accept to result, {results_doc}.\n\
         weight_data lane c = W[k][c]; act_data lane r = A[m][r]; out_data lane c = int32 sum.",
        s.out_latency(path),
    ));
    m.unit(match path {
        ResultPath::Fifo => "matrix engine: control and result FIFO",
        ResultPath::Direct => "matrix engine: control",
    });
    let weight = m.io(&weight_stream(cols), Role::Sink);
    let act = m.io(&act_stream(rows), Role::Sink);
    let out = match path {
        ResultPath::Fifo => m.io(&out_stream(cols), Role::Source),
        ResultPath::Direct => m.io(&out_flow(cols), Role::Source),
    };
    let act_last = act.field("last");
    m.comment(act_last, "last row of a group (one weight tile)");

    // --- control -------------------------------------------------------------------------
    let tile_loaded = m.reg("tile_loaded", bit(), 0);
    let in_group = m.reg("in_group", bit(), 0);
    m.comment(tile_loaded, "a complete tile waits in the PE shadows");
    m.comment(in_group, "streaming a group; its tile is active");

    // After reset, hold the handshakes off until every PE has been reset (the reset travels
    // through the array one PE per cycle).
    let rw = clog2(s.reset_cycles as u64 + 1);
    let reset_wait = m.reg("reset_wait", uint(rw), s.reset_cycles as i64);
    m.comment(reset_wait, "cycles until the array's reset wave has passed");
    m.next_en(reset_wait, reset_wait.ne_lit(0), reset_wait.dec());
    let running = m.wire_of("running", reset_wait.eq_lit(0));

    let weight_fire = m.wire_of("weight_fire", weight.fire());
    let act_fire = m.wire_of("act_fire", act.fire());
    let commit = m.wire_of("commit", act_fire & !in_group);
    m.comment(commit, "first row of a group: tile shadow -> active");

    // Weight rows: count to R; the tile is loaded with its last row.
    let weight_row = m.counter("weight_row", rows, weight_fire);
    let tile_done = m.wire_of("tile_done", weight_fire & weight_row.last);
    m.next(tile_loaded, tile_done | (tile_loaded & !commit));
    m.next(in_group, mux(act_fire, !act_last, in_group));

    // The next tile may enter as soon as the current one is committed: the weight skew keeps
    // each weight behind the commit wave in its column (PE(k, c) commits c + k + 1 cycles after
    // the group's first row is accepted; a weight accepted a cycle later reaches it c + k + 1
    // cycles after its acceptance).
    m.assign(weight.ready(), running & !tile_loaded);

    // Stand-alone, a row is accepted only with a credit: room in the result FIFO for its
    // result, one per row from acceptance until its result is taken. The array never stalls.
    let room: Expr = match path {
        ResultPath::Fifo => {
            let credit_bits = clog2(s.fifo_depth as u64 + 1);
            let credits_used = m.reg("credits_used", uint(credit_bits), 0);
            m.comment(credits_used, "rows accepted whose results have not left");
            let out_fire = m.wire_of("out_fire", out.fire());
            m.next(
                credits_used,
                credits_used
                    .add_wrap(act_fire.zext(credit_bits))
                    .sub_wrap(out_fire.zext(credit_bits)),
            );
            credits_used.ne_lit(s.fifo_depth as i64)
        }
        ResultPath::Direct => ulit(1, 1),
    };
    m.assign(act.ready(), running & room & (in_group | tile_loaded));

    // --- datapath ------------------------------------------------------------------------
    // Input registers. Idle cycles feed zeros into the array (quiet, and never X).
    let act_q = m.data_reg("act_q", uint(rows * 8));
    let commit_q = m.reg("commit_q", bit(), 0);
    m.next(
        act_q,
        mux(act_fire, act.field("data"), zero(uint(rows * 8))),
    );
    m.next(commit_q, commit);
    let weight_q = m.data_reg("weight_q", uint(cols * 8));
    let weight_q_valid = m.reg("weight_q_valid", bit(), 0);
    m.next(weight_q, weight.field("data"));
    m.next(weight_q_valid, weight_fire);

    // Row bookkeeping beside the array: valid and last travel latency - 1 stages after act_q.
    let stages = s.latency;
    let row_valid = m.history("row_valid", act_fire, stages);
    let row_last = m.history("row_last", act_fire & act_last, stages);
    m.comment(
        row_valid,
        "shift register: bit k = row accepted k + 1 cycles ago",
    );

    let (act_skew_in, act_skew_out) = (skew_in(rows, 8), skew_out(rows, 8));
    let mut sk = m.instance("act_skew", &act_skew);
    sk.con(act_skew_in.port("data"), act_q)
        .con(act_skew_in.port("tag"), commit_q);
    let skewed = sk.io(&act_skew_out);
    // Column c of the weight stream c cycles late, its valid bit with it (one copy per column:
    // no broadcast net across the top row).
    let (wskew_in, wskew_out) = (skew_in(cols, 8), skew_out(cols, 8));
    let mut wsk = m.instance("weight_skew", &weight_skew);
    wsk.con(wskew_in.port("data"), weight_q)
        .con(wskew_in.port("tag"), weight_q_valid);
    let weights_skewed = wsk.io(&wskew_out);

    // The array's reset is registered here and then travels PE to PE.
    let array_rst = m.forward_reset("array_rst");
    let (west, north, south) = (west_edge(rows), north_edge(cols), south_edge(cols, p));
    let mut arr = m.instance("array", &array);
    arr.reset(array_rst)
        .con(west.port("act"), skewed.field("data"))
        .con(west.port("commit"), skewed.field("tag"))
        .con(north.port("weight"), weights_skewed.field("data"))
        .con(north.port("weight_valid"), weights_skewed.field("tag"));
    let column_sums = arr.out(south.port("psum"));

    let (deskew_in, deskew_out) = (lanes_bundle("in", cols, p), lanes_bundle("out", cols, p));
    let mut dsk = m.instance("out_deskew", &out_deskew);
    dsk.con(deskew_in.port("data"), column_sums);
    let aligned_sums = dsk.out(deskew_out.port("data"));

    let (row_done, row_done_last) = (row_valid.bit(stages - 1), row_last.bit(stages - 1));
    // The stand-alone engine undoes the negation before its result FIFO (one bit wider per
    // lane: minus the most negative column sum needs it); the direct path hands the negated
    // sums on and the compute unit subtracts instead of adding.
    let negate = s.sums_negated && path == ResultPath::Fifo;
    let lane_bits = p + negate as u32;
    let sums: Expr = if negate {
        from_lanes(
            lanes(aligned_sums, p)
                .into_iter()
                .map(|lane| zero(sint(lane_bits)).sub_wrap(lane.sext(lane_bits))),
        )
    } else {
        aligned_sums.into()
    };
    let (result_sums, result_last): (Expr, Expr) = match path {
        ResultPath::Fifo => {
            let width = cols * lane_bits + 1;
            let fifo = result_fifo(s.fifo_depth, width)?;
            let (fin, fout) = (fifo_in(width), fifo_out(width));
            let mut results = m.instance("results", &fifo);
            results
                .con(fin.port("valid"), row_done)
                .con(fin.port("data"), cat([row_done_last, sums]));
            let head = results.io(&fout);
            m.assign(out.valid(), head.valid());
            m.assign(head.ready(), out.ready());
            let data = head.field("data");
            (
                data.slice(cols * lane_bits - 1, 0),
                data.bit(cols * lane_bits),
            )
        }
        ResultPath::Direct => {
            m.assign(out.field("valid"), row_done);
            (sums, row_done_last)
        }
    };

    // Widen each column sum to int32 on the way out.
    let widened: Vec<Expr> = lanes(result_sums, lane_bits)
        .into_iter()
        .map(|lane| lane.sext(OUT_LANE_BITS))
        .collect();
    m.assign(out.field("data"), from_lanes(widened));
    m.assign(out.field("last"), result_last);
    m.finish()
}
