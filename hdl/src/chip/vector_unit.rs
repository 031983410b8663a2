//! The vector unit: executes VECTOR instructions (store queue), SRAM rows -> lanes -> SRAM
//! rows, and requantises the STORE epilogue's rows. L int32 lanes (`[vector] lanes`, default
//! the array's C columns): a row of C values goes through in C / L beats.
//!
//! ```text
//!  cmd ->[reader: bcast b row, then a (and b) rows]-> spad_rd / acc_rd -> rdata
//!            |                                                          |
//!            | qload / tload rows -> [requant params, pwl table]        v
//!            |                                        [operand FIFO: rows a, b]
//!  epi_in (a row) --------------------------------------------------->  |
//!                                                                        v
//!                                  [V0 operands: a beat of L lanes] --+-- simple: [S1][S2] ----------+
//!                                                                     +-- mul/requant/pwl: [M1][M2]  |
//!                                                                     |     [requantiser, 8] --------+
//!                                                                     +-- reductions: [vector_reduce]|
//!                                                                                                    v
//!                                       [beats -> a row] -> epi_out, or the result skid -> writer ->
//!                                       spad_wr / acc_wr (d_row + m)
//! ```
//!
//! Rows go through the unit in order, one beat per cycle (two cycles a row when L = C and
//! operand b is a row of its own: the reader fetches a and b one after the other). The
//! operand FIFO holds whole rows and V0 takes them a beat at a time; results are gathered
//! back into rows before the skid, and the reductions gather a row's beats themselves.
//! Per-channel requantisation parameters are picked by the beat, so column j always meets
//! its own. Every pipeline register moves when
//! `advance` is high, which is whenever the two-entry result skid has room: a write the
//! accumulator's banks cannot take this cycle (the compute unit has priority) stalls the
//! whole pipeline a cycle, and no row is lost. An instruction finishes when its last row is
//! written; the next one starts after it, so no instruction reads a row an earlier one has
//! still to write. Within one, the decoder's overlap rule keeps every row read before it is
//! written. The store queue runs one instruction at a time, so a STORE's epilogue rows find
//! the unit idle: they enter the operand FIFO (a row tagged as an epilogue row, taking the
//! requantiser's path) and leave, gathered, on `epi_out`, whose `valid` the store unit waits for.
//!
//! Latencies (register stages from V0 to the result, for a row's last beat): simple ops 3,
//! mul / requant / pwl `3 + requant::LATENCY` = 12, reductions `1 + vector_reduce::latency(L,
//! L < C, post)` (9 to 33 for 16 lanes).

use super::commands::*;
use super::isa::{
    op_is_any, Opcode, VectorClass, VectorOp, QPARAM_ROWS, TABLE_ENTRIES, TABLE_WORDS,
};
use super::requant::{self, requant, requant_in, requant_late, requant_out};
use super::vector_reduce::{reduce_ctl, reduce_in, reduce_out, vector_reduce};
use super::Config;
use crate::hw::*;

/// Operand rows the FIFO between the reader and the pipeline holds.
const OPERANDS: u32 = 3;
/// Result rows the skid before the writer holds.
const RESULTS: u32 = 2;

/// Register stages from V0 to the result of a simple operation.
pub const SIMPLE_LATENCY: u32 = 3;
/// Register stages from V0 to the result of mul, requant and pwl.
pub const MULTIPLY_LATENCY: u32 = 3 + requant::LATENCY;

/// A row the store unit sends for its epilogue.
pub fn epi_in(cols: u32) -> Bundle {
    Bundle::plain("epi_in")
        .field("valid", bit())
        .field("row", uint(cols * 32))
}

/// The requantised row, `valid` for one cycle when its last beat leaves the requantiser (the
/// operand FIFO, C / L beats, then [`MULTIPLY_LATENCY`] after the row was sent; the store unit
/// waits for it): the low 16 bits of each lane (a STORE keeps one or two bytes of each).
pub fn epi_out(cols: u32) -> Bundle {
    Bundle::plain("epi_out")
        .field("valid", bit())
        .field("row", uint(cols * 16))
}

/// The captured VECTOR command.
struct Command {
    op: Sig,
    post: Sig,
    a_acc: Sig,
    b_acc: Sig,
    d_acc: Sig,
    imm: Sig,
}

impl Command {
    fn new(m: &mut ModuleBuilder) -> Command {
        Command {
            op: m.data_reg("op", uint(5)),
            post: m.data_reg("post", uint(2)),
            a_acc: m.data_reg("a_acc", bit()),
            b_acc: m.data_reg("b_acc", bit()),
            d_acc: m.data_reg("d_acc", bit()),
            imm: m.data_reg("imm", uint(32)),
        }
    }

    fn is(&self, op: VectorOp) -> Expr {
        self.op.eq_lit(op.code() as i64)
    }
}

/// The requantisation parameters (`qload`) and the table (`tload`): unit state, zero after
/// reset.
struct Params {
    /// Per lane: multiplier, shift, zero point, min, max (the `qload` rows in order).
    q: Vec<[Sig; 5]>,
    /// The table's words, in block order.
    table: Vec<Sig>,
}

impl Params {
    fn new(m: &mut ModuleBuilder, cols: u32) -> Params {
        let names = ["q_mult", "q_shift", "q_zp", "q_min", "q_max"];
        let q = (0..cols)
            .map(|i| {
                names.map(|n| {
                    let w = if n == "q_shift" { 6 } else { 32 };
                    m.reg(&format!("{n}_{i}"), uint(w), 0)
                })
            })
            .collect();
        // Shifts keep their used bits: the segment shift 5, the segments' shifts 6.
        let table = (0..TABLE_WORDS)
            .map(|w| {
                let width = match w {
                    1 => 5,
                    w if w >= 4 && (w - 4) % 3 == 1 => 6,
                    _ => 32,
                };
                m.reg(&format!("table_{w}"), uint(width), 0)
            })
            .collect();
        Params { q, table }
    }

    /// Table word `w` (see `vector_isa`: base, seg_shift, min, max, then M, shift, y0 each).
    fn word(&self, w: u32) -> Expr {
        self.table[w as usize].into()
    }

    /// Segment `k`'s (multiplier, shift, y0), chosen by the 4-bit `k`.
    fn segment(&self, k: &Expr) -> (Expr, Expr, Expr) {
        let pick = |field: u32| {
            (1..TABLE_ENTRIES).fold(self.word(4 + field), |acc, e| {
                mux(k.eq_lit(e as i64), self.word(4 + 3 * e + field), acc)
            })
        };
        (pick(0), pick(1).slice(5, 0), pick(2))
    }
}

/// Lanes of an SRAM row as int32: the scratchpad's first C bytes sign-extended, or the
/// accumulator's lanes.
fn as_lanes(from_acc: Expr, spad: Expr, acc: Expr, cols: u32) -> Expr {
    let bytes = from_lanes((0..cols).map(|i| lane(spad.clone(), i, 8).sext(32)));
    mux(from_acc, acc, bytes)
}

/// One lane of a simple operation, first stage: the result, except that `rshr` leaves its
/// rounding increment (`up`) for the second stage.
fn simple_lane(cmd: &Command, a: Expr, b: Expr) -> (Expr, Expr) {
    let (a, b) = (a.as_signed(), b.as_signed());
    let n = b.slice(4, 0);
    // RoundingDivideByPOT(a, n): a >> n, plus one when the bits shifted out exceed half
    // (or exactly half, for a non-negative a).
    let mask = ulit(32, 1).shl_var(n.clone()).dec();
    let remainder = a.as_unsigned() & mask.clone();
    let threshold = mask.shr(1).add_wrap(a.msb().zext(32));
    let floor = a.shr_var(n.clone());
    let up = cmd.is(VectorOp::Rshr) & remainder.gt(threshold);
    let imm = cmd.imm;
    let (lo, hi) = (imm.slice(15, 0).sext(32), imm.slice(31, 16).sext(32));
    let clamped = mux(
        a.clone().lt(lo.clone()),
        lo,
        mux(a.clone().gt(hi.clone()), hi, a.clone()),
    );
    let zero32 = lit(sint(32), 0);
    let cases: [(VectorOp, Expr); 9] = [
        (VectorOp::Sub, a.sub_wrap(b.clone())),
        (
            VectorOp::Max,
            mux(a.clone().gt(b.clone()), a.clone(), b.clone()),
        ),
        (
            VectorOp::Min,
            mux(a.clone().lt(b.clone()), a.clone(), b.clone()),
        ),
        (VectorOp::Shl, a.shl_var(n)),
        (VectorOp::Sra, floor.clone()),
        (VectorOp::Rshr, floor),
        (
            VectorOp::Relu,
            mux(a.clone().gt(zero32.clone()), a.clone(), zero32),
        ),
        (VectorOp::Clamp, clamped),
        (VectorOp::Add, a.add_wrap(b)),
    ];
    let (_, last) = cases[8].clone();
    let value = cases[..8]
        .iter()
        .fold(last, |acc, (op, v)| mux(cmd.is(*op), v.clone(), acc))
        .as_unsigned();
    (value, up)
}

/// One lane's table step ahead of the requantiser (stage M2): from `diff` = x - base
/// (33 bits), the segment k = clamp(diff >> seg_shift, 0, 15) and the distance from the
/// segment's start, d = sat32(diff - k * 2^seg_shift). `mask` = 2^seg_shift - 1 and `span` =
/// 15 * 2^seg_shift come from registers (they change only with the table).
fn table_lane(diff: Expr, seg_shift: Expr, mask: Expr, span: Expr) -> (Expr, Expr) {
    let last = TABLE_ENTRIES as i64 - 1;
    let t = diff.clone().shr_var(seg_shift.clone());
    let below = diff.msb();
    let above = t.gt(lit(sint(33), last));
    let k = mux(
        below.clone(),
        ulit(4, 0),
        mux(above.clone(), ulit(4, last as u64), t.slice(3, 0)),
    );
    // Inside the table, d is diff's low seg_shift bits; below it diff; above it
    // diff - 15 * 2^seg_shift.
    let inside = diff.slice(31, 0) & mask;
    let past = diff.sext(34).sub_wrap(span.as_signed());
    let sat = |v: Expr| saturate(v, 32).as_unsigned();
    let d = mux(below, sat(diff), mux(above, sat(past), inside));
    (k, d)
}

/// Beat `beat` of a row in `beats` equal slices (lane 0's slice first): the row itself for
/// one beat.
fn pick_beat(row: Expr, beat: &Expr, beats: u32) -> Expr {
    let width = row.width() / beats;
    (1..beats).fold(lane(row.clone(), 0, width), |acc, j| {
        mux(beat.eq_lit(j as i64), lane(row.clone(), j, width), acc)
    })
}

/// The value of column `beat * L + i` for lane `i` of a beat: `of(column)` chosen by the beat.
fn by_beat(beat: &Expr, beats: u32, lanes: u32, i: u32, of: impl Fn(usize) -> Expr) -> Expr {
    (1..beats).fold(of(i as usize), |acc, j| {
        mux(beat.eq_lit(j as i64), of((j * lanes + i) as usize), acc)
    })
}

/// Build the vector unit for `cfg`. Named `vector_unit`.
pub fn vector_unit(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let cols = cfg.matrix.cols;
    let (lanes, beats) = (cfg.vector_lanes(), cfg.vector_beats());
    let in_beats = beats > 1;
    let row_bits = cols * 32;
    let spad_bits = scratchpad_row_bytes(cfg) * 8;
    let core = requant(lanes)?;
    let reducer = vector_reduce(lanes, in_beats)?;
    let mut m = ModuleBuilder::new("vector_unit");
    m.doc(&format!(
        "Vector unit, {lanes} int32 lanes ({beats} beat(s) a row of {cols}): element-wise ops, requantisation, piecewise-linear table, row reductions; the STORE epilogue."
    ));
    m.unit("vector unit: sequencing");
    let cmd = m.io(&cmd_stream(Opcode::Vector), Role::Sink);
    let done = m.io(&done_bundle(), Role::Source);
    let spad_rd = m.io(&sram_read("spad_rd"), Role::Source);
    let acc_rd = m.io(&sram_read("acc_rd"), Role::Source);
    let spad_rdata = m.input("spad_rdata", uint(spad_bits));
    let acc_rdata = m.input("acc_rdata", uint(row_bits));
    let spad_wr = m.io(&sram_write("spad_wr", spad_bits), Role::Source);
    let acc_wr = m.io(&sram_write("acc_wr", row_bits), Role::Source);
    let epi = m.io(&epi_in(cols), Role::Sink);
    let epo = m.io(&epi_out(cols), Role::Source);
    let busy = m.output("busy", bit());

    // --- the command ---------------------------------------------------------------------
    let c = Command::new(&mut m);
    let active = m.reg("active", bit(), 0);
    let a_ptr = m.data_reg("a_ptr", uint(ROW_BITS));
    let b_ptr = m.data_reg("b_ptr", uint(ROW_BITS));
    let d_ptr = m.data_reg("d_ptr", uint(ROW_BITS));
    let to_read = m.data_reg("to_read", uint(16));
    let to_finish = m.data_reg("to_finish", uint(16));
    m.comment(
        to_finish,
        "rows still to write (parameter rows still to arrive for qload / tload)",
    );
    m.assign(cmd.ready(), !active);
    let start = m.wire_of("start", cmd.fire());
    // The command's decoded kind, registered with it: the reader's request (and so the SRAM
    // arbitration behind it) starts from flops, not from an opcode decode.
    let new_op = cmd.field("op");
    let class_is = |k: VectorClass| op_is_any(new_op, move |o| o.class() == k);
    let new_uses_b = op_is_any(new_op, |o| o.uses_b());
    let new_b_mode = cmd.field("b_mode");
    // Whether the command starting now reads a broadcast b row first.
    let bcast_at_start = m.wire_of("bcast_at_start", new_uses_b.clone() & new_b_mode.eq_lit(2));
    let [loads, b_rows, b_bcast, is_simple, is_multiply, is_reduce] = [
        ("loads", class_is(VectorClass::Load)),
        ("b_rows", new_uses_b & new_b_mode.eq_lit(1)),
        ("b_bcast", bcast_at_start.into()),
        ("is_simple", class_is(VectorClass::Simple)),
        ("is_multiply", class_is(VectorClass::Multiply)),
        ("is_reduce", class_is(VectorClass::Reduce)),
    ]
    .map(|(name, value)| {
        let r = m.data_reg(name, bit());
        m.next_en(r, start, value);
        r
    });

    // --- reader: the broadcast b row, then a (and b) rows -------------------------------------
    let fsm = m.fsm("reader", &["idle", "bcast", "a", "b", "finish"]);
    let operands = m.fifo("operands", OPERANDS, 2 * row_bits + 1)?;
    // A row is read only with a credit, so the FIFO always has room for what arrives.
    m.wire_of("operands_room_unused", operands.enq_ready);
    let credit_bits = clog2(OPERANDS as u64 + 1);
    let credits = m.reg("credits", uint(credit_bits), OPERANDS as i64);
    m.comment(
        credits,
        "operand rows the FIFO still has room for, counting rows whose read is granted but \
         that are not in it yet: the reader's request comes from a register, not an adder",
    );
    let space = m.wire_of("space", loads | credits.ne_lit(0));
    let reading = fsm.is("bcast") | (fsm.is("a") & space) | fsm.is("b");
    let from_acc = m.wire_of("rd_acc", mux(fsm.is("a"), c.a_acc, c.b_acc));
    // A broadcast b row is read from b_ptr before any row: it only advances for row operands.
    let rd_row = mux(fsm.is("a"), a_ptr, b_ptr);
    m.assign(spad_rd.valid(), reading.clone() & !from_acc);
    m.assign(acc_rd.valid(), reading & from_acc);
    m.assign(spad_rd.field("row"), rd_row.clone());
    m.assign(acc_rd.field("row"), rd_row);
    let granted = m.wire_of("granted", mux(from_acc, acc_rd.fire(), spad_rd.fire()));
    let last_read = to_read.eq_lit(1);
    // What arrives next cycle.
    let got_acc = m.reg("got_acc", bit(), 0);
    let got_a = m.reg("got_a", bit(), 0);
    let got_b = m.reg("got_b", bit(), 0);
    let got_bcast = m.reg("got_bcast", bit(), 0);
    m.next(got_acc, from_acc);
    m.next(got_a, granted & fsm.is("a"));
    m.next(got_b, granted & fsm.is("b"));
    m.next(got_bcast, granted & fsm.is("bcast"));
    let row_in = m.wire_of(
        "row_in",
        as_lanes(got_acc.into(), spad_rdata.into(), acc_rdata.into(), cols),
    );
    let a_hold = m.data_reg("a_hold", uint(row_bits));
    let b_hold = m.data_reg("b_hold", uint(row_bits));
    m.next_en(a_hold, got_a & b_rows, row_in);
    m.next_en(b_hold, got_bcast, row_in);
    let b_const = mux(b_bcast, b_hold, c.imm.repeat(cols));
    // An epilogue row comes while the unit is idle (so with every credit): it enters tagged.
    let epi_valid = epi.field("valid");
    let enq_a = got_a & !b_rows & !loads;
    m.assign(operands.enq_valid, enq_a.clone() | got_b | epi_valid);
    m.assign(
        operands.enq_data,
        mux(
            got_b,
            cat([ulit(1, 0), row_in.into(), Expr::from(a_hold)]),
            cat([
                Expr::from(epi_valid),
                b_const,
                mux(epi_valid, epi.field("row"), Expr::from(row_in)),
            ]),
        ),
    );
    let row_begins = (granted & fsm.is("a") & !loads) | epi_valid;
    // credits - 1 and + 1 come from the register alone; the grant (late: it comes through the
    // memories' crossbars) only chooses, at the last level.
    let popped = operands.pop();
    m.next(
        credits,
        mux(
            row_begins,
            mux(popped.clone(), Expr::from(credits), credits.dec()),
            mux(popped, credits.inc(), Expr::from(credits)),
        ),
    );

    // --- parameters: qload / tload rows as they arrive ------------------------------------------
    let params = Params::new(&mut m, cols);
    let param_row = m.data_reg("param_row", uint(16));
    let param_in = m.wire_of("param_in", got_a & loads);
    let qload = m.wire_of("qload_in", param_in & c.is(VectorOp::Qload));
    let tload = m.wire_of("tload_in", param_in & c.is(VectorOp::Tload));
    for (i, regs) in params.q.iter().enumerate() {
        for (j, r) in regs.iter().enumerate().take(QPARAM_ROWS as usize) {
            let value = lane(row_in, i as u32, 32).resize(r.width());
            m.next_en(*r, qload & param_row.eq_lit(j as i64), value);
        }
    }
    for (w, r) in params.table.iter().enumerate() {
        let (row, l) = (w as u32 / cols, w as u32 % cols);
        m.next_en(
            *r,
            tload & param_row.eq_lit(row as i64),
            lane(row_in, l, 32).resize(r.width()),
        );
    }

    // --- the pipeline -------------------------------------------------------------------------
    let results = m.fifo_counted("results", RESULTS, row_bits)?;
    let go = m.wire_of(
        "advance",
        results.count.expect("counted").ne_lit(RESULTS as i64),
    );
    m.comment(
        go,
        "every pipeline register moves: the result skid has room",
    );
    // V0 takes the head row a beat at a time and lets it go with its last beat.
    let taking = operands.deq_valid & go;
    let in_beat = m.counter("in_beat", beats, taking);
    m.assign(operands.deq_ready, go & in_beat.last.clone());
    let head = operands.deq_data;
    let head_epi = head.bit(2 * row_bits);
    let v0_a = m.stage_en(
        "v0_a",
        pick_beat(head.slice(row_bits - 1, 0), &in_beat.value, beats),
        go,
    );
    let v0_b = m.stage_en(
        "v0_b",
        pick_beat(
            head.slice(2 * row_bits - 1, row_bits),
            &in_beat.value,
            beats,
        ),
        go,
    );
    // The beat's number (which columns it holds), as far as the pipeline needs it.
    let carry_beat = |m: &mut ModuleBuilder, name: &str, beat: Expr, cycles: u32| {
        if in_beats {
            m.delay_en(name, beat, cycles, go)
        } else {
            beat
        }
    };
    let v0_beat = carry_beat(&mut m, "v0_beat", in_beat.value.clone(), 1);
    // Each row takes one path; an epilogue row is a requantisation.
    let v0_simple = m.reg("v0_simple", bit(), 0);
    let v0_multiply = m.reg("v0_multiply", bit(), 0);
    let v0_reduce = m.reg("v0_reduce", bit(), 0);
    let v0_epi = m.reg("v0_epi", bit(), 0);
    let v0_pwl = m.reg("v0_pwl", bit(), 0);
    let v0_mul = m.reg("v0_mul", bit(), 0);
    let with_go = |m: &mut ModuleBuilder, r: Sig, v: Expr| m.next_en(r, go, v);
    let command_row = operands.deq_valid & !head_epi.clone();
    with_go(&mut m, v0_simple, command_row.clone() & is_simple);
    with_go(
        &mut m,
        v0_multiply,
        (command_row.clone() & is_multiply) | (operands.deq_valid & head_epi.clone()),
    );
    with_go(&mut m, v0_reduce, command_row & is_reduce);
    with_go(&mut m, v0_epi, head_epi.clone());
    with_go(&mut m, v0_pwl, !head_epi.clone() & c.is(VectorOp::Pwl));
    with_go(&mut m, v0_mul, !head_epi & c.is(VectorOp::Mul));

    // Simple: two stages of lane logic (the second adds `rshr`'s rounding increment).
    let firsts: Vec<(Expr, Expr)> = (0..lanes)
        .map(|i| simple_lane(&c, lane(v0_a, i, 32), lane(v0_b, i, 32)))
        .collect();
    let s1 = m.stage_en("s1", from_lanes(firsts.iter().map(|(v, _)| v.clone())), go);
    let s1_up = m.stage_en(
        "s1_up",
        from_lanes(firsts.iter().map(|(_, u)| u.clone())),
        go,
    );
    let s2 = m.stage_en(
        "s2",
        from_lanes((0..lanes).map(|i| lane(s1, i, 32).add_wrap(s1_up.bit(i).zext(32)))),
        go,
    );
    let simple_valid = m.valid_chain("simple_valid", v0_simple, 2, go);
    let s2_valid = simple_valid[1];

    // Multiply: M1 = x - base (pwl) or x, M2 = the table step (pwl) or x, then the
    // requantiser. A row is either a table row or not, so x and its table values share
    // the M1 and M2 registers.
    let base = params.word(0).sext(33);
    let seg_shift = params.word(1).slice(4, 0);
    let m1_x = m.stage_en(
        "m1_x",
        from_lanes((0..lanes).map(|i| {
            let a = lane(v0_a, i, 32).sext(33);
            mux(v0_pwl, a.sub_wrap(base.clone()), a).as_unsigned()
        })),
        go,
    );
    let m1_b = m.stage_en("m1_b", v0_b, go);
    let m1_flags = m.stage_en("m1_flags", cat([v0_epi, v0_pwl, v0_mul]), go);
    let m1_valid = m.reg("m1_valid", bit(), 0);
    m.next_en(m1_valid, go, v0_multiply);
    let mask = m.reg("table_mask", uint(32), 0);
    let span = m.reg("table_span", uint(34), 0);
    m.next(mask, ulit(32, 1).shl_var(seg_shift.clone()).dec());
    m.next(
        span,
        ulit(34, TABLE_ENTRIES as u64 - 1).shl_var(seg_shift.clone()),
    );
    let steps: Vec<(Expr, Expr)> = (0..lanes)
        .map(|i| {
            table_lane(
                lane(m1_x, i, 33).as_signed(),
                seg_shift.clone(),
                mask.into(),
                span.into(),
            )
        })
        .collect();
    let m2_k = m.stage_en("m2_k", from_lanes(steps.iter().map(|(k, _)| k.clone())), go);
    let m1_pwl = m1_flags.bit(1);
    let m2_x = m.stage_en(
        "m2_x",
        from_lanes(steps.iter().enumerate().map(|(i, (_, d))| {
            mux(
                m1_pwl.clone(),
                d.clone(),
                lane(m1_x, i as u32, 33).slice(31, 0),
            )
        })),
        go,
    );
    let m2_b = m.stage_en("m2_b", m1_b, go);
    let m2_flags = m.stage_en("m2_flags", m1_flags, go);
    let m2_valid = m.reg("m2_valid", bit(), 0);
    m.next_en(m2_valid, go, m1_valid);
    let m2_beat = carry_beat(&mut m, "m_beat", v0_beat.clone(), 2);
    let (m2_epi, m2_pwl, m2_mul) = (m2_flags.bit(2), m2_flags.bit(1), m2_flags.bit(0));
    // The requantiser's inputs per lane: pwl (d, M_k, shift_k), mul (a, b, 0), requant
    // (a, multiplier, shift).
    let mut xs = Vec::new();
    let mut ms = Vec::new();
    let mut shs = Vec::new();
    let q = |beat: &Expr, i: u32, field: usize| {
        by_beat(beat, beats, lanes, i, |col| params.q[col][field].into())
    };
    for i in 0..lanes {
        let k = lane(m2_k, i, 4);
        let (seg_m, seg_s, _) = params.segment(&k);
        xs.push(lane(m2_x, i, 32));
        ms.push(mux(
            m2_pwl.clone(),
            seg_m,
            mux(m2_mul.clone(), lane(m2_b, i, 32), q(&m2_beat, i, 0)),
        ));
        shs.push(mux(
            m2_pwl.clone(),
            seg_s,
            mux(m2_mul.clone(), zero(uint(6)), q(&m2_beat, i, 1)),
        ));
    }
    // The row in the requantiser's stage [5]: its table flag and segments, for the late values.
    let late_pwl = m.delay_en("late_pwl", m2_pwl.clone(), requant::LATE_STAGE + 1, go);
    let late_k = m.delay_en("late_k", m2_k, requant::LATE_STAGE + 1, go);
    let late_beat = carry_beat(&mut m, "late_beat", m2_beat, requant::LATE_STAGE + 1);
    let out_epi = m.delay_en("out_epi", m2_epi, requant::LATENCY, go);
    let mut zps = Vec::new();
    let mut mins = Vec::new();
    let mut maxs = Vec::new();
    for i in 0..lanes {
        let (_, _, y0) = params.segment(&lane(late_k.clone(), i, 4));
        zps.push(mux(late_pwl.clone(), y0, q(&late_beat, i, 2)));
        mins.push(mux(late_pwl.clone(), params.word(2), q(&late_beat, i, 3)));
        maxs.push(mux(late_pwl.clone(), params.word(3), q(&late_beat, i, 4)));
    }
    let mut rq = m.instance("requant", &core);
    let rq_in = rq.io(&requant_in(lanes));
    let rq_late = rq.io(&requant_late(lanes));
    let rq_out = rq.io(&requant_out(lanes));
    rq.con("advance", go);
    m.assign(rq_in.field("valid"), m2_valid);
    m.assign(rq_in.field("x"), from_lanes(xs));
    m.assign(rq_in.field("multiplier"), from_lanes(ms));
    m.assign(rq_in.field("shift"), from_lanes(shs));
    m.assign(rq_in.field("product"), m2_mul);
    m.assign(rq_late.field("zero_point"), from_lanes(zps));
    m.assign(rq_late.field("min"), from_lanes(mins));
    m.assign(rq_late.field("max"), from_lanes(maxs));
    let rq_valid = rq_out.field("valid");

    // Reductions.
    let mut red = m.instance("reduce", &reducer);
    let red_in = red.io(&reduce_in(lanes, in_beats));
    let red_ctl = red.io(&reduce_ctl());
    let red_out = red.io(&reduce_out());
    red.con("advance", go);
    m.assign(red_in.field("valid"), v0_reduce);
    m.assign(red_in.field("x"), v0_a);
    if in_beats {
        m.assign(red_in.field("first"), v0_beat.eq_lit(0));
        m.assign(red_in.field("last"), v0_beat.eq_lit(beats as i64 - 1));
    }
    m.assign(red_ctl.field("op"), c.op);
    m.assign(red_ctl.field("post"), c.post);
    m.assign(red_ctl.field("k"), c.imm.slice(5, 0));

    // --- results: beats gathered into rows, then the writer ---------------------------------------
    // A beat leaves the simple or the multiply path (an instruction's rows take one of them, an
    // epilogue row the second); the reductions' values are already whole rows.
    let beat_out = m.wire_of("beat_out", (s2_valid | rq_valid) & go);
    let out_beat = m.counter("out_beat", beats, beat_out);
    let beat_value = mux(s2_valid, Expr::from(s2), rq_out.field("y"));
    let mut gathered: Vec<Expr> = (0..beats - 1)
        .map(|j| {
            let r = m.data_reg(&format!("gather_{j}"), uint(lanes * 32));
            m.next_en(
                r,
                beat_out & out_beat.value.eq_lit(j as i64),
                beat_value.clone(),
            );
            r.into()
        })
        .collect();
    gathered.push(beat_value);
    let row_out = m.wire_of("row_out", from_lanes(gathered));
    m.comment(
        row_out,
        "the row whose last beat leaves now, with its earlier beats",
    );
    let row_done = beat_out & out_beat.last;
    m.assign(epo.field("valid"), row_done.clone() & out_epi.clone());
    m.assign(
        epo.field("row"),
        from_lanes((0..cols).map(|i| lane(row_out, i, 32).slice(15, 0))),
    );
    let out_valid = m.wire_of(
        "out_valid",
        (row_done & !out_epi) | (red_out.field("valid") & go),
    );
    m.assign(results.enq_valid, out_valid & results.enq_ready);
    m.assign(
        results.enq_data,
        mux(
            is_reduce,
            red_out.field("value").repeat(cols),
            Expr::from(row_out),
        ),
    );
    let result = results.deq_data;
    let saturated = from_lanes((0..cols).map(|i| saturate(lane(result, i, 32), 8)));
    m.assign(spad_wr.valid(), results.deq_valid & !c.d_acc);
    m.assign(acc_wr.valid(), results.deq_valid & c.d_acc);
    m.assign(spad_wr.field("row"), d_ptr);
    m.assign(acc_wr.field("row"), d_ptr);
    m.assign(spad_wr.field("data"), saturated.zext(spad_bits));
    m.assign(acc_wr.field("data"), result);
    let written = m.wire_of("written", mux(c.d_acc, acc_wr.fire(), spad_wr.fire()));
    m.assign(results.deq_ready, written);

    // --- sequencing -------------------------------------------------------------------------------
    let finished_row = m.wire_of("finished_row", mux(loads, param_in, written));
    let finishing = m.wire_of("finishing", finished_row & to_finish.eq_lit(1));
    // `done` leaves from a register: the last write's grant comes through the memories'
    // crossbars late in the cycle, and the controller acts on `done` in the same cycle.
    let done_q = m.reg("done_q", bit(), 0);
    m.next(done_q, finishing);
    m.seq(|s| {
        s.when(start, |s| {
            s.set(active, ulit(1, 1));
            s.set(c.op, cmd.field("op"));
            s.set(c.post, cmd.field("post"));
            s.set(c.a_acc, cmd.field("a_acc"));
            s.set(c.b_acc, cmd.field("b_acc"));
            s.set(c.d_acc, cmd.field("d_acc"));
            s.set(c.imm, cmd.field("imm"));
            s.set(a_ptr, cmd.field("a_row"));
            s.set(b_ptr, cmd.field("b_row"));
            s.set(d_ptr, cmd.field("d_row"));
            s.set(to_read, cmd.field("rows"));
            s.set(to_finish, cmd.field("rows"));
            s.set(param_row, zero(uint(16)));
        });
        s.when(param_in, |s| s.set(param_row, param_row.inc()));
        s.when(written, |s| s.set(d_ptr, d_ptr.inc()));
        s.when(finished_row, |s| s.set(to_finish, to_finish.dec()));
        s.when(done_q, |s| s.set(active, ulit(1, 0)));
        fsm.switch(s, |state, s| match state {
            "idle" => {
                s.when(start, |s| {
                    s.when(bcast_at_start, |s| fsm.go(s, "bcast"))
                        .otherwise(|s| fsm.go(s, "a"));
                });
            }
            "bcast" => {
                s.when(granted, |s| fsm.go(s, "a"));
            }
            "a" => {
                s.when(granted, |s| {
                    s.when(b_rows, |s| fsm.go(s, "b")).otherwise(|s| {
                        s.set(a_ptr, a_ptr.inc());
                        s.set(to_read, to_read.dec());
                        s.when(last_read.clone(), |s| fsm.go(s, "finish"));
                    });
                });
            }
            "b" => {
                s.when(granted, |s| {
                    s.set(a_ptr, a_ptr.inc());
                    s.set(b_ptr, b_ptr.inc());
                    s.set(to_read, to_read.dec());
                    s.when(last_read.clone(), |s| fsm.go(s, "finish"))
                        .otherwise(|s| fsm.go(s, "a"));
                });
            }
            _ => {
                s.when(done_q, |s| fsm.go(s, "idle"));
            }
        });
    });
    m.assign(done.field("valid"), done_q);
    m.assign(done.field("error"), ulit(1, 0));
    m.assign(busy, active);
    m.finish()
}
