//! The SRAM module boundary.
//!
//! Every memory of the chip is an instance of one of these modules, so an ASIC flow can
//! replace the behavioural body with a hard macro (OpenRAM, DFFRAM) of the same ports, and
//! synthesis reports can show memory area apart from logic.

use super::error::ModuleError;
use super::module::{ModuleBuilder, ModuleRef, SramSpec};
use super::signal::{bit, uint};

/// Address width for `depth` entries (at least one bit).
pub fn addr_bits(depth: u32) -> u32 {
    crate::hw::clog2(depth as u64).max(1)
}

/// A simple dual-port memory, `depth` x `width` bits: one synchronous write port and one
/// synchronous read port (`rdata` is valid the cycle after `re` and holds until the next read).
/// Named `sram_1r1w_d<depth>_w<width>`. Contents are not reset.
pub fn sram_1r1w(depth: u32, width: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("sram_1r1w_d{depth}_w{width}"));
    m.doc(&format!(
        "{depth} x {width}-bit simple dual-port SRAM boundary (1 write, 1 read port)."
    ));
    let a = addr_bits(depth);
    m.input("we", bit());
    m.input("waddr", uint(a));
    m.input("wdata", uint(width));
    m.input("re", bit());
    m.input("raddr", uint(a));
    m.output("rdata", uint(width));
    m.finish_sram(SramSpec { depth, width })
}
