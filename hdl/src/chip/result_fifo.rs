//! Result FIFO at the matrix engine's output.
//!
//! The systolic array cannot stall, so the engine only accepts an activation row when this
//! FIFO is sure to have room for its result (credits counted in the engine). The FIFO
//! therefore has no `in_ready`: its writer guarantees it is never written when full. Storage
//! is an SRAM boundary; the SRAM's read register is the FIFO's output register, so a
//! result is presented first-word-fall-through one cycle after it can be read.

use crate::hw::*;

/// `ptr + 1`, wrapping to 0 after `depth - 1` (any depth, not only powers of two).
pub fn wrap_inc(ptr: Sig, depth: u32) -> Expr {
    if depth.is_power_of_two() {
        ptr.inc()
    } else {
        mux(ptr.eq_lit(depth as i64 - 1), zero(ptr.ty()), ptr.inc())
    }
}

/// A `depth`-entry FIFO of `width` bits. Named `result_fifo_d<depth>_w<width>`.
pub fn result_fifo(depth: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let ram = sram_1r1w(depth, width)?;
    let aw = addr_bits(depth);
    let cw = clog2(depth as u64 + 1);
    let mut m = ModuleBuilder::new(format!("result_fifo_d{depth}_w{width}"));
    m.doc(&format!(
        "{depth}-entry result FIFO, {width} bits, SRAM-backed, first-word-fall-through.\n\
         The writer guarantees space (credits); there is no in_ready."
    ));
    let in_valid = m.input("in_valid", bit());
    let in_data = m.input("in_data", uint(width));
    let out_valid = m.output("out_valid", bit());
    let out_ready = m.input("out_ready", bit());
    let out_data = m.output("out_data", uint(width));

    let wptr = m.reg("wptr", uint(aw), 0);
    let rptr = m.reg("rptr", uint(aw), 0);
    let count = m.reg("count", uint(cw), 0);
    let head_valid = m.reg("head_valid", bit(), 0);
    m.comment(count, "entries in the SRAM, not counting the head");
    m.comment(head_valid, "the SRAM read register holds the head entry");

    // Read the next entry when the head register is free or being taken this cycle.
    let read = m.wire_of("read", count.ne_lit(0) & (!head_valid | out_ready));
    m.next_en(wptr, in_valid, wrap_inc(wptr, depth));
    m.next_en(rptr, read, wrap_inc(rptr, depth));
    m.next(
        count,
        count.add_wrap(in_valid.zext(cw)).sub_wrap(read.zext(cw)),
    );
    m.next(head_valid, read | (head_valid & !out_ready));

    let rdata = m.wire("rdata", uint(width));
    m.instance("ram", &ram)
        .con("we", in_valid)
        .con("waddr", wptr)
        .con("wdata", in_data)
        .con("re", read)
        .con("raddr", rptr)
        .con("rdata", rdata);
    m.assign(out_valid, head_valid);
    m.assign(out_data, rdata);
    m.finish()
}
