//! The hardware-construction layer: typed signals and expressions, modules with structural
//! checks, and a Verilog emitter. See DESIGN.md ("Why not the rust-hdl crate") for why
//! seedchip owns this layer.
//!
//! ```
//! use seedchip_hdl::hw::*;
//!
//! // A registered multiply-accumulate.
//! let mut m = ModuleBuilder::new("mac");
//! let a = m.input("a", sint(8));
//! let b = m.input("b", sint(8));
//! let acc = m.output("acc", sint(20));
//! let sum = m.reg("sum", sint(20), 0);
//! m.next(sum, sum.add_wrap(a.mul(b).ext(20)));
//! m.assign(acc, sum);
//! let design = Design::new(m.finish().unwrap()).unwrap();
//! assert!(design.files()[0].text.contains("module mac ("));
//! ```

mod bits;
mod bundle;
mod check;
mod crossbar;
mod design;
mod emit;
mod error;
mod expr;
mod fifo;
mod fsm;
mod graph;
mod idioms;
mod lower;
mod memory;
mod module;
mod multiplier;
mod names;
mod signal;
mod stmt;

pub use bits::{le_words, Bits, BitsError};
pub use bundle::{Bundle, BundleIo, BundlePort, Interface, Role};
pub use crossbar::{
    bank_rdata_port, bank_taken_port, crossbar, crossbar_bank, crossbar_request, crossbar_response,
    CrossbarSpec,
};
pub use design::{Design, VerilogFile};
pub use error::{HdlError, ModuleError, Problem};
pub use expr::{cat, lit, mux, slit, ulit, zero, Expr, ExprOps};
pub use fifo::{fifo, fifo_count_bits, fifo_deq, fifo_enq, FifoIo};
pub use fsm::Fsm;
pub use idioms::{from_lanes, lane, lanes, saturate, wrap_inc, Counter};
pub use memory::{
    addr_bits, sram, Clients, MemClient, MemIo, MemPort, MemPorts, MemSignal, MemSpec, Memory,
    Served,
};
pub use module::{Dir, InstanceBuilder, Module, ModuleBuilder, ModuleRef, Port};
pub use multiplier::{at_weight, booth_digit, carry_save_product, signed_product, BoothDigit};
pub use signal::{bit, sint, uint, Sig, SigDecl, SigKind, Ty};
pub use stmt::{Block, WhenChain};

/// Bits needed to count `n` distinct values, i.e. ceil(log2(n)); 0 for n <= 1.
pub const fn clog2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}
