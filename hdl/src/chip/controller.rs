//! The controller: fetches the program, checks each instruction, and dispatches to the load,
//! compute and store queues, which start instructions when their dependency tokens are there.
//!
//! ```text
//!  ctl (START) ->[launch check]->[fetch: one AR per instruction]-> fetch_ar / fetch_r
//!                                        |
//!                               [instruction buffer]
//!                                        |
//!                     [check: decode, SRAM rows, DRAM window] -- error --> run (STATUS)
//!                        |            |             |      FENCE / HALT: wait for idle
//!                  [load queue] [compute queue] [store queue]
//!                        |            |             |   <- tokens: 4 channels, avail/reserved
//!                    load_cmd    compute_cmd    store_cmd ... *_done -> push tokens
//! ```
//!
//! The rules are the reference model's (`verif/src/chip_model.rs`): instructions are checked
//! in program order when dispatched; the first error stops dispatch and what was dispatched
//! drains; a queue head starts when the tokens it pops are there and the channels it pushes
//! have room (a push counts from start, so a full channel never overflows); tokens are
//! pushed when the unit reports the instruction done. When nothing can move any more, the
//! run ends with DEADLOCK. SOFT_RESET drops the queued instructions, lets the units finish
//! the ones they started and the fetches in flight return, and goes idle.

use super::axi4::{addr_channel, routed_read_channel, BURST_INCR, ID_FETCH};
use super::commands::*;
use super::csr_block::{ctl_bundle, run_bundle};
use super::isa::{
    channel, field_of, fields_of, op_is_any, table_rows, ErrorCode, Opcode, Queue, VectorClass,
    VectorOp, FLAGS, INSTR_BITS, QPARAM_ROWS,
};
use super::Config;
use crate::hw::*;

/// Instructions fetched ahead (in flight or buffered).
pub const FETCH_AHEAD: u32 = 4;
/// Instructions each unit may have started but not finished.
pub const STARTED: u32 = 4;
/// Tokens a channel holds at most.
pub const MAX_TOKENS: u32 = 255;

/// The queues in chain order, with the opcodes each executes.
const QUEUES: [(Queue, &[Opcode], &str); 3] = [
    (Queue::Load, &[Opcode::Load], "load"),
    (Queue::Compute, &[Opcode::Matmul], "compute"),
    (Queue::Store, &[Opcode::Store, Opcode::Vector], "store"),
];

/// The units the controller starts, one per opcode that a queue executes, with the name of
/// their command and done ports (`<name>_cmd`, `<name>_done`).
pub const UNITS: [(Opcode, &str); 4] = [
    (Opcode::Load, "load"),
    (Opcode::Matmul, "compute"),
    (Opcode::Store, "store"),
    (Opcode::Vector, "vector"),
];

/// Bit of the instruction word where the fields of a queue entry's `body` start.
const BODY_LO: u32 = 8;

/// Field `name` of `opcode` sliced out of an instruction word.
fn field(word: impl ExprOps, opcode: Opcode, name: &str) -> Expr {
    let f = field_of(opcode, name).unwrap_or_else(|| panic!("{opcode:?} has no `{name}`"));
    word.expr().slice(f.lo + f.width - 1, f.lo)
}

/// A 128-bit constant.
fn word_lit(v: u128) -> Expr {
    cat([ulit(64, (v >> 64) as u64), ulit(64, v as u64)])
}

/// Bits of `opcode`'s encoding that belong to no field.
fn reserved_mask(opcode: Opcode) -> u128 {
    !fields_of(opcode)
        .iter()
        .fold(0u128, |acc, f| acc | (((1u128 << f.width) - 1) << f.lo))
}

/// VECTOR's value rules (the decoder's `check_values`, and the table block's row count).
fn vector_value_errors(w: &Expr, cfg: &Config) -> Expr {
    let f = |n: &str| field(w.clone(), Opcode::Vector, n);
    let op = f("op");
    let any = |pick: &dyn Fn(VectorOp) -> bool| op_is_any(op.clone(), pick);
    let known = any(&|_| true);
    let reduce = any(&|o| o.class() == VectorClass::Reduce);
    let load = any(&|o| o.class() == VectorClass::Load);
    let uses_b = any(&|o| o.uses_b());
    let is = |o: VectorOp| op.eq_lit(o.code() as i64);
    let rows = f("rows");
    // Destination rows ahead of their source rows in the same memory.
    let ahead = |d: Expr, src: Expr| -> Expr {
        let end = src.zext(17).add_wrap(rows.zext(17));
        d.clone().gt(src) & d.zext(17).lt(end)
    };
    let same = |x: &str, y: &str| f(x).eq(f(y));
    !known
        | f("b_mode").eq_lit(3)
        | (f("post").ne_lit(0) & !reduce)
        | (load.clone() & f("a_acc").eq_lit(0))
        | (is(VectorOp::Qload) & rows.ne_lit(QPARAM_ROWS as i64))
        | (is(VectorOp::Tload) & rows.ne_lit(table_rows(cfg.matrix.cols) as i64))
        | (!load.clone() & same("d_acc", "a_acc") & ahead(f("d_row"), f("a_row")))
        | (!load
            & uses_b
            & f("b_mode").eq_lit(1)
            & same("d_acc", "b_acc")
            & ahead(f("d_row"), f("b_row")))
}

/// The STORE epilogue's value rules.
fn store_value_errors(w: &Expr) -> Expr {
    let f = |n: &str| field(w.clone(), Opcode::Store, n);
    f("epilogue").eq_lit(3) | (f("epilogue").ne_lit(0) & f("acc").eq_lit(0))
}

/// VECTOR rows past the memories (the model's `check`).
fn vector_range(w: &Expr, cfg: &Config) -> Expr {
    let f = |n: &str| field(w.clone(), Opcode::Vector, n);
    let (spad, acc) = (cfg.memory.scratchpad_rows, cfg.memory.accumulator_rows);
    let size = |in_acc: Expr| mux(in_acc, ulit(18, acc as u64), ulit(18, spad as u64));
    let over =
        |first: Expr, in_acc: Expr| first.zext(18).add_wrap(f("rows").zext(18)).gt(size(in_acc));
    let op = f("op");
    let any = |pick: &dyn Fn(VectorOp) -> bool| op_is_any(op.clone(), pick);
    let uses_b = any(&|o| o.uses_b());
    let writes = any(&|o| o.writes());
    let b_mode = f("b_mode");
    over(f("a_row"), f("a_acc"))
        | (uses_b.clone() & b_mode.eq_lit(1) & over(f("b_row"), f("b_acc")))
        | (uses_b & b_mode.eq_lit(2) & f("b_row").zext(18).ge(size(f("b_acc"))))
        | (writes & over(f("d_row"), f("d_acc")))
}

/// The packing of a queue entry: named parts, most significant first.
struct Entry {
    parts: Vec<(&'static str, u32)>,
}

impl Entry {
    /// A queued instruction: its pc, the flags its queue can use, and its command fields; a
    /// queue of several opcodes holds which one (`kind`, the index in its list) and the
    /// instruction's bits above the header (`body`).
    fn queued(queue: Queue, opcodes: &[Opcode]) -> Entry {
        let mut parts = vec![("pc", 32)];
        parts.extend(
            FLAGS
                .iter()
                .filter(|f| channel(queue, f).is_some())
                .map(|f| (*f, 1)),
        );
        if let [opcode] = opcodes {
            parts.extend(
                fields_of(*opcode)
                    .into_iter()
                    .filter(|f| !f.is_header())
                    .map(|f| (f.name, f.width)),
            );
        } else {
            parts.push(("kind", clog2(opcodes.len() as u64).max(1)));
            parts.push(("body", INSTR_BITS - BODY_LO));
        }
        Entry { parts }
    }

    /// Field `name` of `opcode` in a queued entry.
    fn field(&self, data: Sig, opcode: Opcode, name: &str) -> Expr {
        if self.parts.iter().any(|(n, _)| *n == "body") {
            let f = field_of(opcode, name).expect("a field of the opcode");
            let body = self.get(data, "body");
            body.slice(f.lo + f.width - 1 - BODY_LO, f.lo - BODY_LO)
        } else {
            self.get(data, name)
        }
    }

    /// A started instruction: its pc and what it pushes when done.
    fn started(queue: Queue) -> Entry {
        let mut parts = vec![("pc", 32)];
        parts.extend(
            ["push_prev", "push_next"]
                .iter()
                .filter(|f| channel(queue, f).is_some())
                .map(|f| (*f, 1)),
        );
        Entry { parts }
    }

    fn width(&self) -> u32 {
        self.parts.iter().map(|(_, w)| w).sum()
    }

    /// The dependency flags held.
    fn flags(&self) -> Vec<&'static str> {
        self.parts
            .iter()
            .filter(|(n, _)| FLAGS.contains(n))
            .map(|(n, _)| *n)
            .collect()
    }

    fn pack(&self, mut value: impl FnMut(&str) -> Expr) -> Expr {
        cat(self.parts.iter().map(|(n, _)| value(n)).collect::<Vec<_>>())
    }

    fn get(&self, data: Sig, name: &str) -> Expr {
        let mut lo = self.width();
        for (n, w) in &self.parts {
            lo -= w;
            if *n == name {
                return data.slice(lo + w - 1, lo);
            }
        }
        panic!("no `{name}` in the entry")
    }
}

/// The status signals this module gives the counters (per queue: busy comes from the unit).
pub fn stall_bundle() -> Bundle {
    Bundle::plain("stall")
        .field("load", bit())
        .field("compute", bit())
        .field("store", bit())
}

/// Build the controller for `cfg`. Named `controller`.
pub fn controller(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let data_bits = cfg.bus.data_bits;
    let mut m = ModuleBuilder::new("controller");
    m.doc("Controller: program fetch, instruction checks, load/compute/store queues and dependency tokens.");
    m.unit("controller: fetch, dispatch, queues");
    let ctl = m.io(&ctl_bundle(), Role::Sink);
    let run = m.io(&run_bundle(), Role::Source);
    let ar = m.io(&addr_channel("fetch_ar"), Role::Source);
    let r = m.io(&routed_read_channel("fetch_r", data_bits), Role::Sink);
    let cmds: Vec<BundleIo> = UNITS
        .iter()
        .map(|(op, name)| {
            m.io(
                &cmd_stream(*op).renamed(&format!("{name}_cmd")),
                Role::Source,
            )
        })
        .collect();
    let unit_dones: Vec<BundleIo> = UNITS
        .iter()
        .map(|(_, name)| m.io(&done_bundle().renamed(&format!("{name}_done")), Role::Sink))
        .collect();
    let unit_of = |op: Opcode| UNITS.iter().position(|(o, _)| *o == op).expect("unit");
    // Each queue's done: its units finish one at a time, so the pulses never coincide.
    let dones: Vec<(Expr, Expr)> = QUEUES
        .iter()
        .map(|(_, ops, _)| {
            ops.iter().fold((ulit(1, 0), ulit(1, 0)), |(v, e), op| {
                let d = &unit_dones[unit_of(*op)];
                (
                    v | d.field("valid"),
                    e | (d.field("valid") & d.field("error")),
                )
            })
        })
        .collect();
    let stall = m.io(&stall_bundle(), Role::Source);
    let instructions = m.output("instructions", uint(2));
    let fetch_bytes = m.output("fetch_bytes", uint(16));

    // --- run state ------------------------------------------------------------------------------
    let fsm = m.fsm("state", &["idle", "run", "finish", "abort"]);
    m.comment(
        fsm.state(),
        "run: dispatching or draining; finish: wait for fetches in flight, then report; abort: soft reset",
    );
    let stopping = m.reg("stopping", bit(), 0);
    m.comment(
        stopping,
        "dispatch has stopped (error or HALT); the queues drain",
    );
    let err_code = m.reg("err_code", uint(4), 0);
    let err_pc = m.reg("err_pc", uint(32), 0);
    let halted = m.reg("halted", bit(), 0);
    let program_len = m.data_reg("program_len", uint(32));
    let dram_base = m.data_reg("dram_base", uint(32));
    let dram_bound = m.data_reg("dram_bound", uint(32));
    let launch = m.wire_of("launch", fsm.is("idle") & ctl.field("start"));
    // The program must be aligned, non-empty and inside the window.
    let p_addr = ctl.field("program_addr");
    let p_len = ctl.field("program_len");
    let p_end = p_addr.zext(37).add_wrap(p_len.zext(37).shl(4));
    let launch_ok = m.wire_of(
        "launch_ok",
        p_len.ne_lit(0)
            & p_addr.slice(3, 0).eq_lit(0)
            & p_addr.ge(ctl.field("dram_base"))
            & p_end.le(ctl.field("dram_bound").zext(37)),
    );
    let soft_reset = m.wire_of("soft_reset", ctl.field("soft_reset") & !fsm.is("idle"));
    let dispatching = m.wire_of("dispatching", fsm.is("run") & !stopping);

    // --- fetch: one burst per instruction, FETCH_AHEAD in flight or buffered -------------------
    let beat_bytes = data_bits / 8;
    let ob = clog2(beat_bytes as u64);
    let beats_per_instr = (16 / beat_bytes).max(1);
    let fetch_next = m.reg("fetch_next", uint(32), 0);
    let fetch_addr = m.data_reg("fetch_addr", uint(32));
    let ar_valid = m.reg("ar_valid", bit(), 0);
    let ar_addr = m.data_reg("ar_addr", uint(32));
    let fw = clog2(FETCH_AHEAD as u64 + 1);
    let fetching = m.reg("fetching", uint(fw), 0);
    m.comment(fetching, "instructions requested that have not arrived");
    let ibuf = m.fifo_counted("ibuf", FETCH_AHEAD, 129)?;
    let ahead = fetching
        .zext(fw + 1)
        .add_wrap(ibuf.count.expect("counted").zext(fw + 1));
    let request = m.wire_of(
        "request",
        dispatching
            & !ar_valid
            & fetch_next.lt(program_len)
            & ahead.lt(ulit(fw + 1, FETCH_AHEAD as u64)),
    );
    m.assign(ar.valid(), ar_valid);
    m.assign(ar.field("id"), ulit(2, ID_FETCH));
    m.assign(ar.field("addr"), ar_addr);
    m.assign(ar.field("len"), ulit(8, beats_per_instr as u64 - 1));
    m.assign(ar.field("size"), ulit(3, ob as u64));
    m.assign(ar.field("burst"), ulit(2, BURST_INCR));
    m.assign(r.ready(), ulit(1, 1));
    let r_fire = m.wire_of("r_fire", r.fire());
    let r_bad = r.field("resp").ne_lit(0);
    // Assemble one 128-bit word from the beats (64-bit bus: two; wider: one, at its lane).
    let arrived: Expr = r_fire & r.field("last");
    let (word, word_bad): (Expr, Expr) = if beat_bytes == 8 {
        let lo = m.data_reg("fetch_lo", uint(64));
        let lo_bad = m.data_reg("fetch_lo_bad", bit());
        let first_beat = r_fire & !r.field("last");
        m.next_en(lo, first_beat.clone(), r.field("data"));
        m.next_en(lo_bad, first_beat, r_bad.clone());
        (
            cat([r.field("data").into(), Expr::from(lo)]),
            lo_bad | r_bad,
        )
    } else if beat_bytes == 16 {
        (r.field("data").into(), r_bad)
    } else {
        // Instruction k sits at byte (program_addr + 16 k) mod beat_bytes of its beat.
        let lane_bits = ob - 4;
        let lane = m.data_reg("fetch_lane", uint(lane_bits));
        m.seq(|s| {
            s.when(launch, |s| s.set(lane, p_addr.slice(ob - 1, 4)));
            s.when(r_fire, |s| s.set(lane, lane.inc()));
        });
        let data = r.field("data");
        let pick = (1..beat_bytes / 16).fold(data.slice(127, 0), |acc, k| {
            mux(
                lane.eq_lit(k as i64),
                data.slice(128 * k + 127, 128 * k),
                acc,
            )
        });
        (pick, r_bad)
    };
    let arrived = m.wire_of("arrived", arrived);
    m.assign(ibuf.enq_valid, arrived & fsm.is("run") & ibuf.enq_ready);
    m.assign(ibuf.enq_data, cat([word_bad, word]));
    m.next(
        fetching,
        fetching
            .add_wrap(request.zext(fw))
            .sub_wrap(arrived.zext(fw)),
    );
    m.seq(|s| {
        s.when(launch, |s| {
            s.set(fetch_next, zero(uint(32)));
            s.set(fetch_addr, p_addr);
        });
        s.when(request, |s| {
            s.set(ar_valid, ulit(1, 1));
            s.set(ar_addr, fetch_addr);
            s.set(fetch_next, fetch_next.inc());
            s.set(fetch_addr, fetch_addr.add_wrap(ulit(32, 16)));
        });
        s.when(ar.fire(), |s| s.set(ar_valid, ulit(1, 0)));
    });
    let fetch_idle = m.wire_of("fetch_idle", fetching.eq_lit(0) & !ar_valid);

    // --- check: the instruction being dispatched -----------------------------------------------
    let cur_valid = m.reg("cur_valid", bit(), 0);
    let cur = m.data_reg("cur", uint(129));
    let cur_pc = m.data_reg("cur_pc", uint(32));
    let dec_pc = m.reg("dec_pc", uint(32), 0);
    let steps = m.reg("check_steps", uint(3), 0);
    m.comment(
        steps,
        "cycles of the check left: 4 for rows x stride (4 bits a cycle), 2 for the window sum, 1 for the verdict",
    );
    let take = m.wire_of("take", dispatching & !cur_valid & ibuf.deq_valid);
    m.assign(
        ibuf.deq_ready,
        take | fsm.is("abort") | (fsm.is("run") & stopping),
    );
    let w = cur.slice(127, 0);
    let opcode = w.slice(3, 0);
    let is = |op: Opcode| opcode.eq(ulit(4, op.code() as u64));
    let legal = Opcode::ALL
        .iter()
        .map(|op| is(*op))
        .reduce(|a, b| a | b)
        .expect("opcodes");
    // Illegal fields: reserved bits, flags the queue cannot use, zero counts.
    let field_errors: Vec<Expr> = Opcode::ALL
        .iter()
        .map(|op| {
            let reserved = (w.clone() & word_lit(reserved_mask(*op))).reduce_or();
            let bad_flags = FLAGS
                .iter()
                .filter(|f| op.queue().and_then(|q| channel(q, f)).is_none())
                .map(|f| field(w.clone(), *op, f))
                .fold(ulit(1, 0), |a, b| a | b);
            let zero_count = ["rows", "row_bytes"]
                .iter()
                .filter(|n| field_of(*op, n).is_some())
                .map(|n| field(w.clone(), *op, n).eq_lit(0))
                .fold(ulit(1, 0), |a, b| a | b);
            is(*op) & (reserved | bad_flags | zero_count)
        })
        .collect();
    let illegal_field = m.wire_of(
        "illegal_field",
        field_errors
            .into_iter()
            .reduce(|a, b| a | b)
            .expect("opcodes")
            | (is(Opcode::Vector) & vector_value_errors(&w, cfg))
            | (is(Opcode::Store) & store_value_errors(&w)),
    );
    // SRAM ranges.
    let (spad_rows, acc_rows) = (cfg.memory.scratchpad_rows, cfg.memory.accumulator_rows);
    let over = |first: Expr, count: Expr, limit: u32| -> Expr {
        first
            .zext(18)
            .add_wrap(count.zext(18))
            .gt(ulit(18, limit as u64))
    };
    let dma = Opcode::Load;
    let d = |n: &str| field(w.clone(), dma, n);
    let to_acc = d("acc").eq_lit(1);
    // A STORE with an epilogue writes 1 or 2 bytes a lane.
    let epilogue = field(w.clone(), Opcode::Store, "epilogue");
    let cols = cfg.matrix.cols as u64;
    let acc_row_bytes = mux(
        is(Opcode::Store) & epilogue.eq_lit(1),
        ulit(16, cols),
        mux(
            is(Opcode::Store) & epilogue.eq_lit(2),
            ulit(16, 2 * cols),
            ulit(16, accumulator_row_bytes(cfg) as u64),
        ),
    );
    let dma_range = mux(
        to_acc.clone(),
        over(d("sram_row"), d("rows"), acc_rows) | d("row_bytes").gt(acc_row_bytes),
        over(d("sram_row"), d("rows"), spad_rows)
            | d("row_bytes").gt(ulit(16, scratchpad_row_bytes(cfg) as u64)),
    );
    let mm = |n: &str| field(w.clone(), Opcode::Matmul, n);
    let matmul_range = over(mm("w_row"), ulit(16, cfg.matrix.rows as u64), spad_rows)
        | over(mm("a_row"), mm("rows"), spad_rows)
        | over(mm("acc_row"), mm("rows"), acc_rows);
    let is_dma = m.wire_of("is_dma", is(Opcode::Load) | is(Opcode::Store));
    let row_range = m.wire_of(
        "row_range",
        (is_dma & dma_range)
            | (is(Opcode::Matmul) & matmul_range)
            | (is(Opcode::Vector) & vector_range(&w, cfg)),
    );
    // DRAM window: dram_addr >= base and dram_addr + (rows - 1) * stride + row_bytes <= bound.
    // `product` accumulates row_bytes + (rows - 1) * stride, 4 bits of `rows - 1` a cycle.
    let product = m.data_reg("product", uint(48));
    let multiplicand = m.data_reg("multiplicand", uint(48));
    let multiplier = m.data_reg("multiplier", uint(16));
    let nibble = multiplier.slice(3, 0);
    let partial = multiplicand.mul(nibble).trunc(48);
    let next_word = ibuf.deq_data.slice(127, 0);
    m.seq(|s| {
        s.when(take, |s| {
            // The product starts at row_bytes: the window sum is then a two-operand add.
            s.set(product, field(next_word.clone(), dma, "row_bytes").zext(48));
            s.set(
                multiplicand,
                field(next_word.clone(), dma, "dram_stride").zext(48),
            );
            s.set(
                multiplier,
                field(next_word.clone(), dma, "rows").sub_wrap(ulit(16, 1)),
            );
            s.set(steps, ulit(3, 7));
        })
        .elsewhen(steps.ne_lit(0), |s| {
            s.set(steps, steps.dec());
            s.when(steps.gt(ulit(3, 3)), |s| {
                s.set(product, product.add_wrap(partial));
                s.set(multiplicand, multiplicand.shl(4).trunc(48));
                s.set(multiplier, multiplier.shr(4));
            });
        });
    });
    // The window check's sum, in two halves over the two cycles after the multiply (the low
    // half's carry registered between them).
    let sum_lo = m.data_reg("sum_lo", uint(25));
    m.next_en(
        sum_lo,
        steps.eq_lit(3),
        d("dram_addr")
            .slice(23, 0)
            .zext(25)
            .add_wrap(product.slice(23, 0).zext(25)),
    );
    let sum_hi = m.data_reg("sum_hi", uint(26));
    m.next_en(
        sum_hi,
        steps.eq_lit(2),
        d("dram_addr")
            .slice(31, 24)
            .zext(26)
            .add_wrap(product.slice(47, 24).zext(26))
            .add_wrap(sum_lo.bit(24).zext(26)),
    );
    let last_byte = cat([Expr::from(sum_hi), sum_lo.slice(23, 0)]);
    let outside = m.wire_of(
        "outside",
        is_dma & (d("dram_addr").lt(dram_base) | last_byte.gt(dram_bound.zext(50))),
    );
    let checked = m.wire_of("checked", cur_valid & steps.eq_lit(0));
    let code = |e: ErrorCode| ulit(4, e.code() as u64);
    // The verdict is registered in the check's last cycle: the wide window adds and the SRAM
    // range adds stay off the dispatch path.
    let verdict = m.data_reg("verdict", uint(4));
    m.next_en(
        verdict,
        steps.eq_lit(1),
        mux(
            cur.bit(128),
            code(ErrorCode::BusError),
            mux(
                !legal,
                code(ErrorCode::IllegalOpcode),
                mux(
                    illegal_field,
                    code(ErrorCode::IllegalField),
                    mux(
                        row_range,
                        code(ErrorCode::RowRange),
                        mux(outside, code(ErrorCode::DramWindow), code(ErrorCode::None)),
                    ),
                ),
            ),
        ),
    );
    m.comment(
        verdict,
        "the instruction's error code, in the model's order of checks",
    );

    // --- queues and tokens ------------------------------------------------------------------
    let depth = cfg.controller.queue_depth;
    let layouts: Vec<(Entry, Entry)> = QUEUES
        .iter()
        .map(|(q, ops, _)| (Entry::queued(*q, ops), Entry::started(*q)))
        .collect();
    let mut queues = Vec::new();
    let mut started = Vec::new();
    for ((_, _, name), (queued, begun)) in QUEUES.iter().zip(&layouts) {
        queues.push(m.fifo(&format!("{name}_queue"), depth, queued.width())?);
        started.push(m.fifo(&format!("{name}_started"), STARTED, begun.width())?);
    }
    let avail = m.reg_array("avail", 4, uint(8), 0);
    let reserved = m.reg_array("reserved", 4, uint(8), 0);
    m.comment(
        avail[0],
        "tokens per channel (load->compute, compute->load, compute->store, store->compute)",
    );
    m.comment(reserved[0], "tokens plus pushes of started instructions");
    let abort = m.wire_of("aborting", fsm.is("abort"));
    let mut pops: [Vec<Expr>; 4] = Default::default();
    let mut starts_push: [Vec<Expr>; 4] = Default::default();
    let mut done_push: [Vec<Expr>; 4] = Default::default();
    let mut heads_blocked = Vec::new();
    let mut head_pcs = Vec::new();
    for (i, (queue, opcodes, name)) in QUEUES.iter().enumerate() {
        let (q, (queued, begun)) = (&queues[i], &layouts[i]);
        let head = |f: &str| queued.get(q.deq_data, f);
        let mut tokens_ok: Expr = ulit(1, 1);
        for flag in queued.flags() {
            let c = channel(*queue, flag).expect("a legal flag") as usize;
            tokens_ok = tokens_ok
                & (!head(flag)
                    | if flag.starts_with("pop") {
                        avail[c].ne_lit(0)
                    } else {
                        reserved[c].ne_lit(MAX_TOKENS as i64)
                    });
        }
        let tokens_ok = m.wire_of(&format!("{name}_tokens_ok"), tokens_ok);
        // The head's unit: the only one of a one-opcode queue, else the one `kind` names. A
        // queue of several units starts an instruction only when every one it started has
        // finished and all its units were ready a cycle ago (registered: the start does not
        // wait on the head's kind through the units' logic), so they take turns in program
        // order.
        let is_kind = |k: usize| -> Expr {
            if opcodes.len() == 1 {
                ulit(1, 1)
            } else {
                head("kind").eq_lit(k as i64)
            }
        };
        let free: Expr = if let [op] = opcodes {
            cmds[unit_of(*op)].ready() & started[i].enq_ready
        } else {
            let all_ready = opcodes
                .iter()
                .map(|op| Expr::from(cmds[unit_of(*op)].ready()))
                .reduce(|a, b| a & b)
                .expect("units");
            let idle = m.reg(&format!("{name}_units_idle"), bit(), 0);
            m.next(idle, all_ready);
            !started[i].deq_valid & started[i].enq_ready & idle
        };
        let start = m.wire_of(
            &format!("{name}_start"),
            fsm.is("run") & q.deq_valid & tokens_ok & free,
        );
        for (k, op) in opcodes.iter().enumerate() {
            let cmd = &cmds[unit_of(*op)];
            m.assign(cmd.valid(), start & is_kind(k));
            for f in fields_of(*op).iter().filter(|f| !f.is_header()) {
                m.assign(cmd.field(f.name), queued.field(q.deq_data, *op, f.name));
            }
        }
        m.assign(q.deq_ready, start | abort);
        // What the instruction will push when done, and its pc.
        m.assign(started[i].enq_valid, start);
        m.assign(started[i].enq_data, begun.pack(|f| head(f)));
        let (done, _) = &dones[i];
        m.assign(started[i].deq_ready, done.clone());
        for flag in queued.flags() {
            let c = channel(*queue, flag).expect("a legal flag") as usize;
            if flag.starts_with("pop") {
                pops[c].push(start & head(flag));
            } else {
                starts_push[c].push(start & head(flag));
                done_push[c].push(done.clone() & begun.get(started[i].deq_data, flag));
            }
        }
        m.assign(stall.field(name), fsm.is("run") & q.deq_valid & !tokens_ok);
        heads_blocked.push(!q.deq_valid | !tokens_ok);
        head_pcs.push((q.deq_valid, head("pc")));
    }
    let any = |v: &[Expr]| v.iter().cloned().reduce(|a, b| a | b).unwrap_or(ulit(1, 0));
    // Each channel's counts move by at most one each way a cycle; count +- 1 come from the
    // registers, the pushes and pops only choose (no adder after the queue heads' logic).
    // `down` (a start) settles last: it chooses at the last level.
    let step = |count: Sig, up: Expr, down: Expr| {
        mux(
            down,
            mux(up.clone(), Expr::from(count), count.dec()),
            mux(up, count.inc(), Expr::from(count)),
        )
    };
    for c in 0..4 {
        let (pop, push_start, push_done) =
            (any(&pops[c]), any(&starts_push[c]), any(&done_push[c]));
        m.next(
            avail[c],
            mux(
                launch,
                zero(uint(8)),
                step(avail[c], push_done, pop.clone()),
            ),
        );
        m.next(
            reserved[c],
            mux(launch, zero(uint(8)), step(reserved[c], push_start, pop)),
        );
    }

    // --- dispatch -----------------------------------------------------------------------------
    let queue_of = |q: Queue| QUEUES.iter().position(|(x, _, _)| *x == q).expect("queue");
    let target_room = (is(Opcode::Load) & queues[queue_of(Queue::Load)].enq_ready)
        | (is(Opcode::Matmul) & queues[queue_of(Queue::Compute)].enq_ready)
        | ((is(Opcode::Store) | is(Opcode::Vector)) & queues[queue_of(Queue::Store)].enq_ready);
    let target_room = m.wire_of("target_room", target_room);
    let quiet = m.wire_of(
        "quiet",
        queues
            .iter()
            .chain(&started)
            .map(|f| Expr::from(f.deq_valid))
            .reduce(|a, b| a | b)
            .map(|busy| !busy)
            .expect("queues"),
    );
    m.comment(
        quiet,
        "every queue empty and every started instruction done",
    );
    let ok = m.wire_of("ok", checked & verdict.eq_lit(0) & dispatching);
    let barrier = m.wire_of("barrier", is(Opcode::Fence) | is(Opcode::Halt));
    let enqueue = m.wire_of("enqueue", ok & !barrier & target_room);
    let passed = m.wire_of("passed", ok & barrier & quiet);
    let faulted = m.wire_of("faulted", checked & verdict.ne_lit(0) & dispatching);
    for (i, (_, opcodes, _)) in QUEUES.iter().enumerate() {
        let mine = opcodes
            .iter()
            .map(|op| is(*op))
            .reduce(|a, b| a | b)
            .expect("an opcode");
        m.assign(queues[i].enq_valid, enqueue & mine);
        let kind = opcodes.iter().enumerate().skip(1).fold(
            zero(uint(clog2(opcodes.len() as u64).max(1))),
            |acc, (k, op)| {
                mux(
                    is(*op),
                    ulit(clog2(opcodes.len() as u64).max(1), k as u64),
                    acc,
                )
            },
        );
        m.assign(
            queues[i].enq_data,
            layouts[i].0.pack(|f| match f {
                "pc" => cur_pc.into(),
                "kind" => kind.clone(),
                "body" => w.slice(INSTR_BITS - 1, BODY_LO),
                name => field(w.clone(), opcodes[0], name),
            }),
        );
    }
    let no_halt = m.wire_of(
        "no_halt",
        dispatching & !cur_valid & !ibuf.deq_valid & ExprOps::eq(&dec_pc, program_len) & fetch_idle,
    );

    // Bus errors reported by the units: the first error of the run is kept.
    let mut unit_error: Expr = ulit(1, 0);
    let mut unit_error_pc: Expr = zero(uint(32));
    for (i, (_, error)) in dones.iter().enumerate().rev() {
        let bad = error.clone();
        let pc = layouts[i].1.get(started[i].deq_data, "pc");
        unit_error_pc = mux(bad.clone(), pc, unit_error_pc);
        unit_error = unit_error | bad;
    }
    let unit_error = m.wire_of("unit_error", unit_error);
    let unit_error_pc = m.wire_of("unit_error_pc", unit_error_pc);

    // Deadlock: nothing in flight, every queue head waits for a token, and dispatch is stuck
    // behind a full queue or a FENCE/HALT that cannot drain (or has stopped).
    let heads_blocked = heads_blocked
        .into_iter()
        .reduce(|a, b| a & b)
        .expect("queues");
    let started_idle = started
        .iter()
        .map(|f| !f.deq_valid)
        .reduce(|a, b| a & b)
        .expect("queues");
    let dispatch_stuck = stopping | (ok & ((!barrier & !target_room) | (barrier & !quiet)));
    let stuck = m.wire_of(
        "stuck",
        fsm.is("run") & started_idle & heads_blocked & dispatch_stuck & !quiet,
    );
    let full_wait = ok & !barrier & !target_room;
    // Nothing moves while stuck, so finding the lowest waiting pc may take cycles: the
    // candidates are registered, the lowest is found by a tree of compares (one registered
    // level a cycle), and DEADLOCK is declared once `stuck` has held on every edge of that
    // (the same instructions wait all along).
    let mut candidates: Vec<(Expr, Expr)> = head_pcs
        .into_iter()
        .map(|(v, pc)| (Expr::from(v), pc))
        .collect();
    candidates.push((full_wait, cur_pc.into()));
    let registered: Vec<(Expr, Expr)> = candidates
        .into_iter()
        .enumerate()
        .map(|(k, (v, pc))| {
            let vq = m.reg(&format!("wait{k}_valid"), bit(), 0);
            let pq = m.data_reg(&format!("wait{k}_pc"), uint(32));
            m.next(vq, v);
            m.next(pq, pc);
            (Expr::from(vq), Expr::from(pq))
        })
        .collect();
    let lower = |(va, a): (Expr, Expr), (vb, b): (Expr, Expr)| {
        let take_b = vb.clone() & (!va.clone() | b.lt(a.clone()));
        (va | vb, mux(take_b, b, a))
    };
    // One level of the tree per cycle, each registered.
    let mut level = registered;
    let mut depth = 0u32;
    while level.len() > 1 {
        let final_level = level.len() <= 2;
        let mut next = Vec::new();
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            let (v, pc) = match it.next() {
                Some(b) => lower(a, b),
                None => a,
            };
            let k = next.len();
            let pq = m.data_reg(&format!("lowest{depth}_{k}_pc"), uint(32));
            m.next(pq, pc);
            // The root's valid is not needed: DEADLOCK means some instruction waits.
            let vq: Expr = if final_level {
                ulit(1, 1)
            } else {
                let vq = m.reg(&format!("lowest{depth}_{k}_valid"), bit(), 0);
                m.next(vq, v);
                vq.into()
            };
            next.push((vq, Expr::from(pq)));
        }
        level = next;
        depth += 1;
    }
    let (_, lowest) = level.pop().expect("candidates");
    let lowest_q = m.wire_of("lowest_waiting", lowest);
    // `stuck` must hold while the candidates and every level are registered, and one more.
    let held = depth + 1;
    let stuck_q = m.reg_array("stuck_q", held, bit(), 0);
    m.next(stuck_q[0], stuck);
    for k in 1..held as usize {
        m.next(stuck_q[k], stuck & stuck_q[k - 1]);
    }
    let deadlocked = m.wire_of("deadlocked", stuck & stuck_q[held as usize - 1]);

    // --- run control ------------------------------------------------------------------------------
    let drained = m.wire_of("drained", fsm.is("run") & stopping & quiet);
    let first_error = |s: &mut Block, code_v: Expr, pc: Expr| {
        s.when(err_code.eq_lit(0), |s| {
            s.set(err_code, code_v);
            s.set(err_pc, pc);
        });
    };
    m.seq(|s| {
        s.when(launch, |s| {
            s.set(program_len, p_len);
            s.set(dram_base, ctl.field("dram_base"));
            s.set(dram_bound, ctl.field("dram_bound"));
            s.set(dec_pc, zero(uint(32)));
            s.set(cur_valid, ulit(1, 0));
            s.set(halted, ulit(1, 0));
            s.when(launch_ok, |s| {
                s.set(stopping, ulit(1, 0));
                s.set(err_code, ulit(4, 0));
                s.set(err_pc, zero(uint(32)));
            })
            .otherwise(|s| {
                s.set(stopping, ulit(1, 1));
                s.set(err_code, code(ErrorCode::Fetch));
                s.set(err_pc, zero(uint(32)));
            });
        });
        s.when(take, |s| {
            s.set(cur_valid, ulit(1, 1));
            s.set(cur, ibuf.deq_data);
            s.set(cur_pc, dec_pc);
            s.set(dec_pc, dec_pc.inc());
        });
        s.when(enqueue | passed, |s| s.set(cur_valid, ulit(1, 0)));
        s.when(passed & is(Opcode::Halt), |s| {
            s.set(halted, ulit(1, 1));
            s.set(stopping, ulit(1, 1));
        });
        s.when(faulted, |s| {
            s.set(cur_valid, ulit(1, 0));
            s.set(stopping, ulit(1, 1));
            first_error(s, verdict.into(), cur_pc.into());
        });
        s.when(no_halt, |s| {
            s.set(stopping, ulit(1, 1));
            first_error(s, code(ErrorCode::NoHalt), program_len.into());
        });
        s.when(unit_error & fsm.is("run"), |s| {
            s.set(stopping, ulit(1, 1));
            s.set(cur_valid, ulit(1, 0));
            first_error(s, code(ErrorCode::BusError), unit_error_pc.into());
        });
        s.when(deadlocked, |s| {
            s.set(stopping, ulit(1, 1));
            s.set(cur_valid, ulit(1, 0));
            first_error(s, code(ErrorCode::Deadlock), lowest_q.into());
        });
        s.when(soft_reset, |s| s.set(cur_valid, ulit(1, 0)));
        fsm.switch(s, |state, s| match state {
            "idle" => {
                s.when(launch, |s| fsm.go(s, "run"));
            }
            "run" => {
                s.when(soft_reset, |s| fsm.go(s, "abort"))
                    .elsewhen(drained | (deadlocked & stopping), |s| fsm.go(s, "finish"));
            }
            "finish" => {
                s.when(soft_reset, |s| fsm.go(s, "abort"))
                    .elsewhen(fetch_idle, |s| fsm.go(s, "idle"));
            }
            _ => {
                s.when(fetch_idle & quiet, |s| fsm.go(s, "idle"));
            }
        });
    });
    let report = m.wire_of("report", fsm.is("finish") & fetch_idle & !soft_reset);
    m.assign(run.field("busy"), !fsm.is("idle"));
    m.assign(run.field("done"), report & halted & err_code.eq_lit(0));
    m.assign(run.field("error"), report & err_code.ne_lit(0));
    m.assign(run.field("error_code"), err_code);
    m.assign(run.field("error_pc"), err_pc);

    // --- counters ---------------------------------------------------------------------------------
    let finished = dones
        .iter()
        .map(|(d, _)| d.zext(2))
        .chain([passed.zext(2)])
        .reduce(|a, b| a.add_wrap(b))
        .expect("units");
    m.assign(instructions, finished);
    m.assign(fetch_bytes, mux(take, ulit(16, 16), zero(uint(16))));
    m.finish()
}
