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

    let (we, write) = share_port(
        &mut m,
        &compute_wr,
        &load_wr,
        "we",
        &[("row", "waddr"), ("data", "wdata")],
    );
    let (re, read) = share_port(&mut m, &compute_rd, &store_rd, "re", &[("row", "raddr")]);
    let data = ram.one_read_one_write(
        &mut m,
        "ram",
        (we, write[0].clone(), write[1].clone()),
        (re, read[0].clone()),
    );
    m.assign(rdata, data);
    m.finish()
}
