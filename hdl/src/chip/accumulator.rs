//! The accumulator: int32 rows of C values, banked SRAM behind the SRAM boundary.
//!
//! ```text
//!  compute_wr (priority) --+
//!  load_wr    (when free) -+-> write port
//!  compute_rd (priority) --+
//!  store_rd   (when free) -+-> read port -> rdata (next cycle)
//! ```
//!
//! The compute unit reads a row as its result leaves the engine and writes the sum a cycle
//! later, so it owns both ports whenever it needs them: accumulation runs at one row per
//! cycle. LOAD (into the accumulator) and STORE use the cycles it leaves free. Rows
//! interleave over `memory.banks` banks.

use super::commands::*;
use super::compute_unit::{priority_read, priority_write};
use super::Config;
use crate::hw::*;

/// The accumulator's SRAM spec for `cfg`.
pub fn accumulator_spec(cfg: &Config) -> MemSpec {
    MemSpec::new(
        MemPorts::OneROneW,
        cfg.memory.accumulator_rows,
        accumulator_row_bytes(cfg) * 8,
    )
    .with_banks(cfg.memory.banks)
}

/// Build the accumulator for `cfg`. Named `accumulator`.
pub fn accumulator(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let width = accumulator_row_bytes(cfg) * 8;
    let mut m = ModuleBuilder::new("accumulator");
    m.doc("Accumulator: int32 rows; the compute unit has priority on both ports, LOAD and STORE use the rest.");
    m.unit("accumulator");
    let compute_wr = m.io(&priority_write("compute_wr", width), Role::Sink);
    let load_wr = m.io(&sram_write("load_wr", width), Role::Sink);
    let compute_rd = m.io(&priority_read("compute_rd"), Role::Sink);
    let store_rd = m.io(&sram_read("store_rd"), Role::Sink);
    let rdata = m.output("rdata", uint(width));
    let ram = m.memory("ram", &accumulator_spec(cfg))?;

    let compute_writes = compute_wr.field("valid");
    m.assign(load_wr.ready(), !compute_writes);
    let we = m.wire_of("we", compute_writes | load_wr.valid());
    let waddr = m.wire_of(
        "waddr",
        mux(
            compute_writes,
            compute_wr.field("row"),
            load_wr.field("row"),
        ),
    );
    let wdata = m.wire_of(
        "wdata",
        mux(
            compute_writes,
            compute_wr.field("data"),
            load_wr.field("data"),
        ),
    );
    let compute_reads = compute_rd.field("valid");
    m.assign(store_rd.ready(), !compute_reads);
    let re = m.wire_of("re", compute_reads | store_rd.valid());
    let raddr = m.wire_of(
        "raddr",
        mux(
            compute_reads,
            compute_rd.field("row"),
            store_rd.field("row"),
        ),
    );
    let data = ram.one_read_one_write(
        &mut m,
        "ram",
        (we.into(), waddr.into(), wdata.into()),
        (re.into(), raddr.into()),
    );
    m.assign(rdata, data);
    m.finish()
}
