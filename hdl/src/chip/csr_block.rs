//! The host's register block: an AXI4-Lite slave over the register map of [`super::csr`].
//!
//! ```text
//!  s_axil_{aw,w,ar} ->[decode by REGISTERS]-> registers -> s_axil_{b,r}
//!                                   |   ^
//!            ctl_* (start, soft_reset, program and window) | run_* (busy, events) + count_*
//! ```
//!
//! Every rule is per clock edge (the Rust model `verif::csr_model` states the same):
//! - A write transfers when `aw_valid` and `w_valid` are both high and no response is waiting
//!   (both readies rise together); its response (`b`) is offered from the next cycle until
//!   taken. A read transfers when `ar_valid` is high and no read data is waiting; its data
//!   (`r`) is offered from the next cycle until taken.
//! - An unaligned offset, an offset with no register, or a write to a read-only register
//!   answers SLVERR and changes nothing (an unknown read returns 0). `WSTRB` selects bytes.
//! - CTRL.START (ignored while `run_busy`) and CTRL.SOFT_RESET give one-cycle pulses on
//!   `ctl_start` / `ctl_soft_reset`, in the cycle after the write. Both clear STATUS.DONE,
//!   STATUS.ERROR, ERROR_PC and every counter at the write's edge; SOFT_RESET also clears
//!   IRQ_STATUS. PROGRAM_*, DRAM_* and IRQ_ENABLE keep their values.
//! - `run_done` / `run_error` (one-cycle events) set STATUS.DONE / STATUS.ERROR (with
//!   `run_error_code`, `run_error_pc`) and IRQ_STATUS bits; a clear at the same edge wins over
//!   an event for STATUS, an event wins over a W1C clear for IRQ_STATUS (no interrupt lost).
//!   `irq` = any IRQ_STATUS bit whose IRQ_ENABLE bit is set.
//! - The `run_*` and `count_*` inputs are registered at the block's edge (the rules below see
//!   them one cycle late, all together): no path runs from the units' logic into the
//!   counters' adders, and STATUS.DONE never shows before the last count has landed.
//! - Counters add their `count_*` inputs each cycle (CYCLES counts cycles with `run_busy`).
//!   Reading a `_LO` register latches its counter's high word into one shadow that `_HI`
//!   reads return: read `_LO`, then `_HI` of the same counter.

use super::axi_lite::AxiLite;
pub use super::csr::COUNTERS;
use super::csr::{Access, Register, ID_MAGIC, REGISTERS};
use crate::hw::*;

/// Address bits of the register block (offsets below 0x100).
pub const ADDR_BITS: u32 = 8;

/// BRESP / RRESP.
const OKAY: u64 = 0;
const SLVERR: u64 = 2;

/// What the block tells the controller.
pub fn ctl_bundle() -> Bundle {
    Bundle::plain("ctl")
        .field("start", bit())
        .field("soft_reset", bit())
        .field("program_addr", uint(32))
        .field("program_len", uint(32))
        .field("dram_base", uint(32))
        .field("dram_bound", uint(32))
}

/// What the controller tells the block.
pub fn run_bundle() -> Bundle {
    Bundle::plain("run")
        .field("busy", bit())
        .field("done", bit())
        .field("error", bit())
        .field("error_code", uint(4))
        .field("error_pc", uint(32))
}

/// Per-cycle increments of the counters (CYCLES has none: it counts `run_busy` cycles).
pub fn count_bundle() -> Bundle {
    COUNTERS
        .iter()
        .filter(|(name, _)| *name != "CYCLES")
        .fold(Bundle::plain("count"), |b, (name, w)| {
            b.field(&name.to_ascii_lowercase(), uint(*w))
        })
}

/// Build the register block. Named `csr_block`.
pub fn csr_block() -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new("csr_block");
    m.doc(
        "Host register block: AXI4-Lite slave over seedchip's register map (hdl/src/chip/csr.rs).",
    );
    m.unit("controller: host registers");
    let port = AxiLite::new("s_axil", ADDR_BITS);
    let aw = m.io(&port.aw, Role::Sink);
    let w = m.io(&port.w, Role::Sink);
    let b = m.io(&port.b, Role::Source);
    let ar = m.io(&port.ar, Role::Sink);
    let r = m.io(&port.r, Role::Source);
    let ctl = m.io(&ctl_bundle(), Role::Source);
    let run_in = m.io(&run_bundle(), Role::Sink);
    let count_in = m.io(&count_bundle(), Role::Sink);
    let run = m.registered(&run_in, "run_q");
    let count = m.registered(&count_in, "count_q");
    let irq = m.output("irq", bit());

    // --- handshakes ----------------------------------------------------------------------
    let b_valid = m.reg("b_valid", bit(), 0);
    let b_resp = m.reg("b_resp", uint(2), 0);
    let r_valid = m.reg("r_valid", bit(), 0);
    let r_data = m.data_reg("r_data", uint(32));
    let r_resp = m.data_reg("r_resp", uint(2));
    let write = m.wire_of("write", aw.valid() & w.valid() & !b_valid);
    let read = m.wire_of("read", ar.valid() & !r_valid);
    m.assign(aw.ready(), write);
    m.assign(w.ready(), write);
    m.assign(ar.ready(), read);
    m.assign(b.valid(), b_valid);
    m.assign(b.field("resp"), b_resp);
    m.assign(r.valid(), r_valid);
    m.assign(r.field("data"), r_data);
    m.assign(r.field("resp"), r_resp);

    // --- write decode --------------------------------------------------------------------
    let waddr = aw.field("addr");
    let wdata = w.field("data");
    let strb = w.field("strb");
    let byte_mask = m.wire_of(
        "byte_mask",
        from_lanes((0..4).map(|i| strb.bit(i).repeat(8))),
    );
    let hit = |m: &mut ModuleBuilder, addr: Sig, prefix: &str, reg: &Register| -> Sig {
        let name = format!("{prefix}_{}", reg.name.to_ascii_lowercase());
        m.wire_of(&name, addr.expr().eq(ulit(ADDR_BITS, reg.offset as u64)))
    };
    let writable = |r: &&Register| r.access != Access::Ro;
    let w_hits: Vec<(&Register, Sig)> = REGISTERS
        .iter()
        .filter(writable)
        .map(|reg| (reg, hit(&mut m, waddr, "wr", reg)))
        .collect();
    let w_ok = m.wire_of(
        "w_ok",
        w_hits
            .iter()
            .map(|(_, h)| Expr::from(*h))
            .reduce(|a, b| a | b)
            .unwrap_or(ulit(1, 0)),
    );
    let w_hit = |name: &str| -> Expr {
        let (_, h) = w_hits
            .iter()
            .find(|(r, _)| r.name == name)
            .unwrap_or_else(|| panic!("`{name}` is not writable"));
        write & *h
    };
    let ctrl_write = m.wire_of("ctrl_write", w_hit("CTRL") & strb.bit(0));
    let start_cmd = m.wire_of("start_cmd", ctrl_write & wdata.bit(0) & !run.field("busy"));
    let soft_cmd = m.wire_of("soft_cmd", ctrl_write & wdata.bit(1));
    let clear = m.wire_of("clear", start_cmd | soft_cmd);
    m.seq(|s| {
        s.when(write, |s| {
            s.set(b_valid, ulit(1, 1));
            s.set(b_resp, mux(w_ok, ulit(2, OKAY), ulit(2, SLVERR)));
        })
        .elsewhen(b.ready(), |s| s.set(b_valid, ulit(1, 0)));
    });

    // --- command pulses and read-write registers ------------------------------------------
    let start_q = m.reg("start_q", bit(), 0);
    let soft_q = m.reg("soft_q", bit(), 0);
    m.next(start_q, start_cmd);
    m.next(soft_q, soft_cmd);
    m.assign(ctl.field("start"), start_q);
    m.assign(ctl.field("soft_reset"), soft_q);
    let rw = |m: &mut ModuleBuilder, name: &str, width: u32| -> Sig {
        let q = m.reg(&name.to_ascii_lowercase(), uint(width), 0);
        let mask = byte_mask.slice(width - 1, 0);
        let merged = (q & !mask.clone()) | (wdata.slice(width - 1, 0) & mask);
        m.next_en(q, w_hit(name), merged);
        q
    };
    let program_addr = rw(&mut m, "PROGRAM_ADDR", 32);
    let program_len = rw(&mut m, "PROGRAM_LEN", 32);
    let dram_base = rw(&mut m, "DRAM_BASE", 32);
    let dram_bound = rw(&mut m, "DRAM_BOUND", 32);
    let irq_enable = rw(&mut m, "IRQ_ENABLE", 2);
    m.assign(ctl.field("program_addr"), program_addr);
    m.assign(ctl.field("program_len"), program_len);
    m.assign(ctl.field("dram_base"), dram_base);
    m.assign(ctl.field("dram_bound"), dram_bound);

    // --- status and interrupts -----------------------------------------------------------
    let (done_ev, error_ev) = (run.field("done"), run.field("error"));
    let done = m.reg("status_done", bit(), 0);
    let error = m.reg("status_error", uint(4), 0);
    let error_pc = m.reg("error_pc", uint(32), 0);
    m.seq(|s| {
        s.when(clear, |s| {
            s.set(done, ulit(1, 0));
            s.set(error, ulit(4, 0));
            s.set(error_pc, ulit(32, 0));
        })
        .otherwise(|s| {
            s.when(done_ev, |s| s.set(done, ulit(1, 1)));
            s.when(error_ev, |s| {
                s.set(error, run.field("error_code"));
                s.set(error_pc, run.field("error_pc"));
            });
        });
    });
    let irq_status = m.reg("irq_status", uint(2), 0);
    let w1c = m.wire_of(
        "irq_w1c",
        mux(
            w_hit("IRQ_STATUS"),
            wdata.slice(1, 0) & byte_mask.slice(1, 0),
            ulit(2, 0),
        ),
    );
    let events = cat([error_ev, done_ev]);
    m.next(
        irq_status,
        mux(soft_cmd, ulit(2, 0), (irq_status & !w1c) | events),
    );
    m.assign(irq, (irq_status & irq_enable).reduce_or());

    // --- counters --------------------------------------------------------------------------
    // Each 64-bit counter is two 32-bit halves with the low half's carry registered between
    // them (no 64-bit carry chain in a cycle): the count is ((hi + carry) << 32) | lo.
    let mut counter_regs: Vec<(&str, Sig, Expr)> = Vec::new();
    for (name, width) in COUNTERS {
        let stem = name.to_ascii_lowercase();
        let lo = m.reg(&format!("{stem}_lo"), uint(32), 0);
        let hi = m.reg(&format!("{stem}_hi"), uint(32), 0);
        let carry = m.reg(&format!("{stem}_carry"), bit(), 0);
        let add: Expr = if *name == "CYCLES" {
            run.field("busy").zext(33)
        } else {
            count.field(&stem).zext(33)
        };
        debug_assert!(*width <= 32);
        let lo_sum = lo.zext(33).add_wrap(add);
        m.next(lo, mux(clear, zero(uint(32)), lo_sum.slice(31, 0)));
        m.next(carry, mux(clear, ulit(1, 0), lo_sum.bit(32)));
        m.next(hi, mux(clear, zero(uint(32)), hi.add_wrap(carry.zext(32))));
        counter_regs.push((name, lo, hi.add_wrap(carry.zext(32))));
    }

    // --- read mux --------------------------------------------------------------------------
    let raddr = ar.field("addr");
    let hi_shadow = m.reg("hi_shadow", uint(32), 0);
    let status_word = cat([
        zero(uint(20)),
        error.into(),
        zero(uint(6)),
        done.into(),
        run.field("busy").into(),
    ]);
    let value_of = |reg: &Register| -> Option<Expr> {
        let v: Expr = match reg.name {
            "ID" => ulit(32, ID_MAGIC as u64),
            "CTRL" => zero(uint(32)),
            "STATUS" => status_word.clone(),
            "ERROR_PC" => error_pc.into(),
            "IRQ_ENABLE" => irq_enable.zext(32),
            "IRQ_STATUS" => irq_status.zext(32),
            "PROGRAM_ADDR" => program_addr.into(),
            "PROGRAM_LEN" => program_len.into(),
            "DRAM_BASE" => dram_base.into(),
            "DRAM_BOUND" => dram_bound.into(),
            n if n.ends_with("_HI") => hi_shadow.into(),
            n => {
                let stem = n.strip_suffix("_LO")?;
                let (_, lo, _) = counter_regs.iter().find(|(c, _, _)| *c == stem)?;
                lo.into()
            }
        };
        Some(v)
    };
    let mut data: Vec<Expr> = Vec::new();
    let mut any = Vec::new();
    let mut latch: Vec<Expr> = Vec::new();
    let mut lo_hits: Vec<Expr> = Vec::new();
    for reg in REGISTERS {
        let Some(v) = value_of(reg) else { continue };
        let h = hit(&mut m, raddr, "rd", reg);
        data.push(mux(h, v, zero(uint(32))));
        any.push(Expr::from(h));
        if let Some(stem) = reg.name.strip_suffix("_LO") {
            if let Some((_, _, hi)) = counter_regs.iter().find(|(c, _, _)| *c == stem) {
                latch.push(mux(h, hi.clone(), zero(uint(32))));
                lo_hits.push(h.into());
            }
        }
    }
    let r_ok = m.wire_of(
        "r_ok",
        any.into_iter().reduce(|a, b| a | b).unwrap_or(ulit(1, 0)),
    );
    let read_value = m.wire_of(
        "read_value",
        data.into_iter()
            .reduce(|a, b| a | b)
            .unwrap_or(zero(uint(32))),
    );
    let reads_lo = m.wire_of(
        "reads_lo",
        read & lo_hits
            .into_iter()
            .reduce(|a, b| a | b)
            .unwrap_or(ulit(1, 0)),
    );
    let hi_value = latch
        .into_iter()
        .reduce(|a, b| a | b)
        .unwrap_or(zero(uint(32)));
    m.next_en(hi_shadow, reads_lo, hi_value);
    m.seq(|s| {
        s.when(read, |s| {
            s.set(r_valid, ulit(1, 1));
            s.set(r_data, read_value);
            s.set(r_resp, mux(r_ok, ulit(2, OKAY), ulit(2, SLVERR)));
        })
        .elsewhen(r.ready(), |s| s.set(r_valid, ulit(1, 0)));
    });
    m.finish()
}
