//! The compute unit: executes MATMUL, scratchpad -> matrix engine -> accumulator.
//!
//! ```text
//!  cmd ->[reader: R weight rows, then `rows` activation rows]-> spad_rd ... spad_rdata
//!                                                                        |
//!              [skid FIFO, tagged weight / act / last] <-----------------+
//!                  |  weight_*           | act_*
//!                  v                     v
//!              [ matrix engine R x C (weight-stationary) ] -> out_*
//!                                                              |
//!  acc_rd <- (accumulate) --[writer: acc_row + m, old + result]-+-> acc_wr, done
//! ```
//!
//! MATMULs follow each other without a gap: the reader starts the next one (its weights
//! preload in the engine's shadow registers) while the writer still writes the last. The
//! writer reads the accumulator row the cycle after a result leaves the engine, registers the
//! row when it arrives (the SRAM's data comes late in the cycle) and writes the sum a cycle
//! later: one row per cycle, two cycles from read to write. No read can see a row before the write it
//! depends on lands, so no forwarding path is needed: rows of one MATMUL are distinct, and
//! the results of two MATMULs are at least R + 2 >= 3 cycles apart (a cycle to take the next
//! command, then its R weight rows pass through the engine between them). Random programs
//! with back-to-back accumulating MATMULs (`verif/tests/chip.rs`, a one-row array included)
//! would catch a change that narrows the gap.
//! The unit has every accumulator bank it asks for, so the writer takes a result row every
//! cycle: the engine here has no result FIFO ([`ResultPath::Direct`]); its rows go straight
//! from the array's de-skew into the writer. Its scratchpad reads share the banks with the
//! store queue's through the scratchpad's crossbar: a read refused this cycle is asked again
//! the next, and the engine's input streams see a bubble, never a wrong row.

use super::commands::*;
use super::isa::Opcode;
use super::matrix_engine::{
    act_stream, matrix_engine_with, out_flow, weight_stream, ResultPath, OUT_LANE_BITS,
};
use super::{Config, EngineShape};
use crate::hw::*;

/// Entries of the read-data skid FIFO: covers the SRAM read latency and a stalled engine.
const SKID: u32 = 4;
/// MATMULs started whose results are still to be written.
const IN_FLIGHT: u32 = 4;

/// One stage of the writer: a result on its way to its accumulator row.
struct Stage {
    valid: Sig,
    /// The group's last row.
    last: Sig,
    /// Add to the row (else overwrite it).
    add: Sig,
    row: Sig,
    result: Sig,
}

impl Stage {
    fn new(m: &mut ModuleBuilder, name: &str, cols: u32) -> Stage {
        Stage {
            valid: m.reg(&format!("{name}_valid"), bit(), 0),
            last: m.reg(&format!("{name}_last"), bit(), 0),
            add: m.data_reg(&format!("{name}_add"), bit()),
            row: m.data_reg(&format!("{name}_row"), uint(ROW_BITS)),
            result: m.data_reg(&format!("{name}_result"), uint(cols * OUT_LANE_BITS)),
        }
    }

    fn follow(
        &self,
        m: &mut ModuleBuilder,
        valid: Expr,
        last: Expr,
        add: Expr,
        row: Expr,
        result: Expr,
    ) {
        m.next(self.valid, valid.clone());
        m.next(self.last, valid & last);
        m.next(self.add, add);
        m.next(self.row, row);
        m.next(self.result, result);
    }

    fn follow_stage(&self, m: &mut ModuleBuilder, prev: &Stage) {
        self.follow(
            m,
            prev.valid.into(),
            prev.last.into(),
            prev.add.into(),
            prev.row.into(),
            prev.result.into(),
        );
    }
}

/// Build the compute unit for `cfg`. Named `compute_unit`.
pub fn compute_unit(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let (rows, cols) = (cfg.matrix.rows, cfg.matrix.cols);
    let spad_bits = scratchpad_row_bytes(cfg) * 8;
    let acc_bits = accumulator_row_bytes(cfg) * 8;
    let engine = matrix_engine_with(&cfg.matrix, ResultPath::Direct)?;
    let mut m = ModuleBuilder::new("compute_unit");
    m.doc("Compute unit: MATMUL instructions, scratchpad rows through the matrix engine into accumulator rows.");
    m.unit("compute unit: sequencing and accumulate");
    let cmd = m.io(&cmd_stream(Opcode::Matmul), Role::Sink);
    let spad_rd = m.io(&sram_read("spad_rd"), Role::Source);
    let spad_rdata = m.input("spad_rdata", uint(spad_bits));
    let acc_rd = m.io(&priority_read("acc_rd"), Role::Source);
    let acc_rdata = m.input("acc_rdata", uint(acc_bits));
    let acc_wr = m.io(&priority_write("acc_wr", acc_bits), Role::Source);
    let done = m.io(&done_bundle(), Role::Source);
    let macs = m.output("macs", uint(32));
    let busy = m.output("busy", bit());

    // --- reader: weights, then activations ----------------------------------------------------
    let active = m.reg("active", bit(), 0);
    let weights = m.reg("weights", bit(), 0);
    m.comment(weights, "reading the weight tile (else the activations)");
    let w_row = m.data_reg("w_row", uint(ROW_BITS));
    let a_row = m.data_reg("a_row", uint(ROW_BITS));
    let a_left = m.data_reg("a_left", uint(16));
    let wb = clog2(rows as u64).max(1);
    let w_left = m.data_reg("w_left", uint(wb));
    let skid = m.fifo_counted("skid", SKID, spad_bits + 2)?;
    let groups = m.fifo("groups", IN_FLIGHT, ROW_BITS + 1)?;
    m.assign(cmd.ready(), !active & groups.enq_ready);
    let start = m.wire_of("start", cmd.fire());
    m.assign(groups.enq_valid, start);
    m.assign(
        groups.enq_data,
        cat([cmd.field("acc_row"), cmd.field("accumulate")]),
    );

    let in_read = m.reg("in_read", bit(), 0);
    let in_tag = m.data_reg("in_tag", uint(2));
    m.comment(
        in_read,
        "a read issued last cycle: its row is on spad_rdata now",
    );
    let sw = fifo_count_bits(SKID);
    let space = m.wire_of(
        "space",
        skid.count
            .expect("counted")
            .zext(sw + 1)
            .add_wrap(in_read.zext(sw + 1))
            .lt(ulit(sw + 1, SKID as u64)),
    );
    // A read goes to the scratchpad's crossbar; it is made when granted (`read`), else asked
    // again next cycle.
    m.assign(spad_rd.valid(), active & space);
    let read = m.wire_of("read", spad_rd.fire());
    let last_weight = w_left.eq_lit(0);
    let last_act = a_left.eq_lit(1);
    m.assign(spad_rd.field("row"), mux(weights, w_row, a_row));
    m.next(in_read, read);
    // Tag: bit 1 = weight row, bit 0 = last activation row of the group.
    m.next(
        in_tag,
        cat([Expr::from(weights), !weights & last_act.clone()]),
    );
    m.seq(|s| {
        s.when(start, |s| {
            s.set(active, ulit(1, 1));
            s.set(weights, ulit(1, 1));
            s.set(w_row, cmd.field("w_row"));
            s.set(a_row, cmd.field("a_row"));
            s.set(a_left, cmd.field("rows"));
            s.set(w_left, ulit(wb, rows as u64 - 1));
        });
        s.when(read & weights, |s| {
            s.set(w_row, w_row.inc());
            s.set(w_left, w_left.dec());
            s.when(last_weight, |s| s.set(weights, ulit(1, 0)));
        });
        s.when(read & !weights, |s| {
            s.set(a_row, a_row.inc());
            s.set(a_left, a_left.dec());
            s.when(last_act, |s| s.set(active, ulit(1, 0)));
        });
    });
    m.assign(skid.enq_valid, in_read & skid.enq_ready);
    m.assign(skid.enq_data, cat([Expr::from(in_tag), spad_rdata.into()]));

    // --- the engine -------------------------------------------------------------------------
    let mut eng = m.instance("engine", &engine);
    let weight = eng.io(&weight_stream(cols));
    let act = eng.io(&act_stream(rows));
    let out = eng.io(&out_flow(cols));
    let head = skid.deq_data;
    let head_weight = head.bit(spad_bits + 1);
    m.assign(weight.valid(), skid.deq_valid & head_weight.clone());
    m.assign(weight.field("data"), head.slice(cols * 8 - 1, 0));
    m.assign(act.valid(), skid.deq_valid & !head_weight.clone());
    m.assign(act.field("data"), head.slice(rows * 8 - 1, 0));
    m.assign(act.field("last"), head.bit(spad_bits));
    m.assign(
        skid.deq_ready,
        mux(head_weight, weight.ready(), act.ready()),
    );

    // --- writer: accumulator row = (accumulate ? old : 0) + result -----------------------------
    // The engine has no result FIFO here: every row is taken the cycle it leaves.
    let out_fire = m.wire_of("out_fire", out.field("valid"));
    let g = groups.deq_data;
    let (g_acc_row, g_accumulate) = (g.slice(ROW_BITS, 1), g.bit(0));
    let row_in_group = m.reg("row_in_group", uint(ROW_BITS), 0);
    let out_row = m.wire_of("out_row", g_acc_row.add_wrap(row_in_group));
    let out_last = out.field("last");
    m.next_en(
        row_in_group,
        out_fire,
        mux(out_last, zero(uint(ROW_BITS)), row_in_group.inc()),
    );
    m.assign(groups.deq_ready, out_fire & out_last);
    // The writer, three stages: s1 reads the accumulator row (its address registered as the
    // result leaves the engine), s2 waits for the row (registered as it arrives: SRAM data
    // comes late in the cycle), s3 adds and writes.
    let s1 = Stage::new(&mut m, "s1", cols);
    s1.follow(
        &mut m,
        out_fire.into(),
        out_fire & out_last,
        g_accumulate,
        out_row.into(),
        out.field("data").into(),
    );
    m.comment(
        s1.valid,
        "a result whose accumulator row is read this cycle",
    );
    m.assign(acc_rd.field("valid"), s1.valid & s1.add);
    m.assign(acc_rd.field("row"), s1.row);
    let s2 = Stage::new(&mut m, "s2", cols);
    s2.follow_stage(&mut m, &s1);
    let s3 = Stage::new(&mut m, "s3", cols);
    s3.follow_stage(&mut m, &s2);
    // The row to add to: the old row when accumulating, else zero.
    let s3_old = m.data_reg("s3_old", uint(acc_bits));
    m.next(s3_old, acc_rdata);
    let s3_base = mux(s3.add, s3_old, zero(uint(acc_bits)));
    // The engine hands over minus each column sum when its PEs add negated products (no
    // negation in the engine): subtract it.
    let negated = EngineShape::new(&cfg.matrix).sums_negated;
    let new_row = from_lanes(
        lanes(s3_base, 32)
            .into_iter()
            .zip(lanes(s3.result, 32))
            .map(|(base, r)| {
                if negated {
                    base.sub_wrap(r)
                } else {
                    base.add_wrap(r)
                }
            }),
    );
    let new_row = m.wire_of("new_row", new_row);
    m.assign(acc_wr.field("valid"), s3.valid);
    m.assign(acc_wr.field("row"), s3.row);
    m.assign(acc_wr.field("data"), new_row);

    m.assign(done.field("valid"), s3.valid & s3.last);
    m.assign(done.field("error"), ulit(1, 0));
    m.assign(
        macs,
        mux(s3.valid, ulit(32, (rows * cols) as u64), zero(uint(32))),
    );
    m.assign(
        busy,
        active | groups.deq_valid | s1.valid | s2.valid | s3.valid | skid.deq_valid | in_read,
    );
    m.finish()
}
