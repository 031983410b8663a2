//! Result FIFO at the matrix engine's output.
//!
//! The systolic array cannot stall, so the engine only accepts an activation row when this
//! FIFO is sure to have room for its result (credits counted in the engine). The FIFO
//! therefore has no `in_ready`: its writer guarantees it is never written when full. Storage
//! is an SRAM boundary; the SRAM's read register is the FIFO's output register, so a
//! result is presented first-word-fall-through one cycle after it can be read.

use crate::hw::*;

/// What the writer offers: a row and its valid bit (no ready: credits guarantee room).
pub fn fifo_in(width: u32) -> Bundle {
    Bundle::plain("in")
        .field("valid", bit())
        .field("data", uint(width))
}

/// The FIFO's head, a valid/ready stream.
pub fn fifo_out(width: u32) -> Bundle {
    Bundle::stream("out").field("data", uint(width))
}

/// A `depth`-entry FIFO of `width` bits. Named `result_fifo_d<depth>_w<width>`.
pub fn result_fifo(depth: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let cw = clog2(depth as u64 + 1);
    let mut m = ModuleBuilder::new(format!("result_fifo_d{depth}_w{width}"));
    m.doc(&format!(
        "{depth}-entry result FIFO, {width} bits, SRAM-backed, first-word-fall-through.\n\
         The writer guarantees space (credits); there is no in_ready."
    ));
    m.unit("matrix engine: control and result FIFO");
    let input = m.io(&fifo_in(width), Role::Sink);
    let output = m.io(&fifo_out(width), Role::Source);
    let (in_valid, out_ready) = (input.field("valid"), output.ready());

    let count = m.reg("count", uint(cw), 0);
    let head_valid = m.reg("head_valid", bit(), 0);
    m.comment(count, "entries in the SRAM, not counting the head");
    m.comment(head_valid, "the SRAM read register holds the head entry");

    // Read the next entry when the head register is free or being taken this cycle.
    let read = m.wire_of("read", count.ne_lit(0) & (!head_valid | out_ready));
    let wptr = m.counter("wptr", depth, in_valid);
    let rptr = m.counter("rptr", depth, read);
    m.next(
        count,
        count.add_wrap(in_valid.zext(cw)).sub_wrap(read.zext(cw)),
    );
    m.next(head_valid, read | (head_valid & !out_ready));

    let ram = m.memory("ram", &MemSpec::new(MemPorts::OneROneW, depth, width))?;
    let bank = &ram.banks[0];
    m.assign(bank.write_enable(), in_valid);
    m.assign(
        bank.write_addr(),
        wptr.value.resize(bank.write_addr().width()),
    );
    m.assign(bank.write_data(), input.field("data"));
    m.assign(bank.read_enable(0), read);
    m.assign(
        bank.read_addr(0),
        rptr.value.resize(bank.read_addr(0).width()),
    );
    m.assign(output.valid(), head_valid);
    m.assign(output.field("data"), bank.read_data(0));
    m.finish()
}
