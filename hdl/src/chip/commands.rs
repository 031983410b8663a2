//! What the controller hands the execution units, what they answer, and how units reach the
//! SRAMs. Command fields are the ISA's own ([`isa::FIELDS`]): one definition of their names
//! and widths for the decoder, the units and the docs.
//!
//! - `cmd`: one started instruction (its tokens already popped), valid/ready.
//! - `done`: a one-cycle pulse when an instruction has finished, in the order the unit
//!   started them; `error` says the bus answered SLVERR/DECERR during it.
//! - SRAM clients: `<mem>_wr` writes a row when it fires; `<mem>_rd` reads one, and the row
//!   appears on the memory's `rdata` in the next cycle.

use super::isa::{fields_of, Opcode};
use crate::hw::*;

/// Width of SRAM row numbers on the clients (the ISA's row fields).
pub const ROW_BITS: u32 = 16;

/// The command stream of the unit that executes `opcode`: its fields, header excluded.
pub fn cmd_stream(opcode: Opcode) -> Bundle {
    fields_of(opcode)
        .into_iter()
        .filter(|f| !f.is_header())
        .fold(Bundle::stream("cmd"), |b, f| b.field(f.name, uint(f.width)))
}

/// An instruction finished (one-cycle pulse).
pub fn done_bundle() -> Bundle {
    Bundle::plain("done")
        .field("valid", bit())
        .field("error", bit())
}

/// A write client of a memory: a row of `width` bits to row `row`.
pub fn sram_write(name: &str, width: u32) -> Bundle {
    Bundle::stream(name)
        .field("row", uint(ROW_BITS))
        .field("data", uint(width))
}

/// A read client of a memory: row `row` is read when the request fires.
pub fn sram_read(name: &str) -> Bundle {
    Bundle::stream(name).field("row", uint(ROW_BITS))
}

/// A priority read client (always granted): row `row` is read when `valid`.
pub fn priority_read(name: &str) -> Bundle {
    Bundle::plain(name)
        .field("valid", bit())
        .field("row", uint(ROW_BITS))
}

/// A priority write client (always granted).
pub fn priority_write(name: &str, width: u32) -> Bundle {
    Bundle::plain(name)
        .field("valid", bit())
        .field("row", uint(ROW_BITS))
        .field("data", uint(width))
}

/// A memory client for [`Memory::serve`] from an SRAM client bundle (a priority or stream
/// client, read or write: `valid`, `row` and, for writes, `data`).
pub fn client(io: &BundleIo) -> MemClient {
    MemClient {
        valid: if io.is_stream() {
            io.valid()
        } else {
            io.field("valid")
        }
        .into(),
        row: io.field("row").into(),
        data: io.try_field("data").map(Into::into),
    }
}

/// Bytes of a scratchpad row: max(R, C) int8 values.
pub fn scratchpad_row_bytes(cfg: &super::Config) -> u32 {
    cfg.matrix.rows.max(cfg.matrix.cols)
}

/// Bytes of an accumulator row: C int32 values.
pub fn accumulator_row_bytes(cfg: &super::Config) -> u32 {
    4 * cfg.matrix.cols
}

/// Byte-enable mask of the first `bytes` bytes of a `lanes`-byte row, one bit per byte.
pub fn first_bytes(bytes: impl Into<Expr>, lanes: u32) -> Expr {
    let ones = !zero(uint(lanes));
    !ones.shl_var(bytes.into())
}

/// Widen a byte mask (one bit per byte) to a bit mask.
pub fn bit_mask(byte_mask: impl Into<Expr>) -> Expr {
    let m = byte_mask.into();
    from_lanes((0..m.width()).map(|i| m.bit(i).repeat(8)))
}
