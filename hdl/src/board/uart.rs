//! UART, 8 data bits, no parity, one stop bit (8N1), at `clock_hz / baud` cycles a bit.
//!
//! ```text
//!  rx pin ->[2-flop synchroniser]->[start edge, sample mid-bit x 8, check stop]-> rx_byte (valid pulse)
//!  tx_byte (valid/ready) ->[start, 8 data bits LSB first, stop]-> tx pin (idle high)
//! ```
//!
//! The receiver samples each bit in its middle (half a bit after the start edge, then every
//! bit time), so it tolerates a baud mismatch of a few percent. A byte whose stop bit is low
//! (a framing error, or a break) is dropped. Its output has no ready: the consumer takes each
//! byte the cycle it arrives (the host bridge always does).

use crate::hw::*;

/// Cycles a bit at `baud` from `clock_hz` (rounded), at least 4.
pub fn bit_cycles(clock_hz: u64, baud: u64) -> u32 {
    ((clock_hz + baud / 2) / baud).max(4) as u32
}

/// The received byte: `valid` for one cycle with `data`.
pub fn rx_byte(name: &str) -> Bundle {
    Bundle::plain(name)
        .field("valid", bit())
        .field("data", uint(8))
}

/// A byte to send (valid/ready).
pub fn tx_byte(name: &str) -> Bundle {
    Bundle::stream(name).field("data", uint(8))
}

/// The receiver. Named `uart_rx_<cycles>`.
pub fn uart_rx(cycles: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("uart_rx_{cycles}"));
    m.doc(&format!("UART receiver, 8N1, {cycles} cycles a bit."));
    m.unit("FPGA board: host link");
    let rx = m.input("rx", bit());
    let out = m.io(&rx_byte("byte"), Role::Source);
    let cb = clog2(cycles as u64 + 1);
    // Two flops against metastability (rx comes from another clock domain), idle high.
    let sync0 = m.reg("rx_sync0", bit(), 1);
    let sync1 = m.reg("rx_sync1", bit(), 1);
    m.next(sync0, rx);
    m.next(sync1, sync0);
    let busy = m.reg("busy", bit(), 0);
    m.comment(busy, "inside a byte: start bit seen");
    let wait = m.reg("countdown", uint(cb), 0);
    m.comment(wait, "cycles to the next sample");
    let bit_no = m.reg("bit_no", uint(4), 0);
    m.comment(bit_no, "0 start, 1..8 data, 9 stop");
    let shift = m.data_reg("shift", uint(8));
    let done = m.reg("done", bit(), 0);
    let line: Expr = sync1.into();
    let sample = m.wire_of("sample", busy & wait.eq_lit(0));
    m.seq(|s| {
        s.set(done, ulit(1, 0));
        s.when(!Expr::from(busy) & !line.clone(), |s| {
            // A start edge: sample its middle half a bit from now.
            s.set(busy, ulit(1, 1));
            s.set(wait, ulit(cb, (cycles / 2) as u64));
            s.set(bit_no, ulit(4, 0));
        });
        s.when(busy & wait.ne_lit(0), |s| s.set(wait, wait.dec()));
        s.when(sample, |s| {
            s.set(wait, ulit(cb, cycles as u64 - 1));
            s.set(bit_no, bit_no.inc());
            s.when(bit_no.eq_lit(0) & line.clone(), |s| {
                // The start bit was a glitch.
                s.set(busy, ulit(1, 0));
            });
            s.when(bit_no.ne_lit(0) & bit_no.lt(ulit(4, 9)), |s| {
                s.set(shift, cat([line.clone(), shift.slice(7, 1)]));
            });
            s.when(bit_no.eq_lit(9), |s| {
                s.set(busy, ulit(1, 0));
                // A low stop bit is a framing error: the byte is dropped.
                s.set(done, line.clone());
            });
        });
    });
    m.assign(out.field("valid"), done);
    m.assign(out.field("data"), shift);
    m.finish()
}

/// The transmitter. Named `uart_tx_<cycles>`.
pub fn uart_tx(cycles: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("uart_tx_{cycles}"));
    m.doc(&format!("UART transmitter, 8N1, {cycles} cycles a bit."));
    m.unit("FPGA board: host link");
    let input = m.io(&tx_byte("byte"), Role::Sink);
    let tx = m.output("tx", bit());
    let cb = clog2(cycles as u64 + 1);
    // The frame being sent, stop bit at the top, shifted out from bit 0.
    let frame = m.reg("frame", uint(10), 0x3ff);
    let left = m.reg("left", uint(4), 0);
    m.comment(left, "bits of the frame still to send");
    let wait = m.reg("countdown", uint(cb), 0);
    let idle = m.wire_of("idle", left.eq_lit(0));
    m.assign(input.ready(), idle);
    m.seq(|s| {
        s.when(input.fire(), |s| {
            s.set(
                frame,
                cat([ulit(1, 1), Expr::from(input.field("data")), ulit(1, 0)]),
            );
            s.set(left, ulit(4, 10));
            s.set(wait, ulit(cb, cycles as u64 - 1));
        });
        s.when(!Expr::from(idle), |s| {
            s.when(wait.eq_lit(0), |s| {
                s.set(frame, cat([ulit(1, 1), frame.slice(9, 1)]));
                s.set(left, left.dec());
                s.set(wait, ulit(cb, cycles as u64 - 1));
            })
            .otherwise(|s| s.set(wait, wait.dec()));
        });
    });
    m.assign(tx, frame.bit(0));
    m.finish()
}
