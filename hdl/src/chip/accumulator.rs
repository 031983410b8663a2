//! The accumulator: int32 rows of C values, banked SRAM behind the SRAM boundary.
//!
//! ```text
//!  compute_wr (priority) --+
//!  load_wr    (when free) -+
//!  vector_wr  (when free) -+-> per bank: write port
//!  compute_rd (priority) --+
//!  store_rd   (when free) -+-> per bank: read port -> compute_rdata / store_rdata (next cycle)
//! ```
//!
//! The compute unit reads a row as its result leaves the engine and writes the sum a cycle
//! later, so it owns the ports of the banks it needs: accumulation runs at one row per
//! cycle. LOAD (into the accumulator), STORE and VECTOR use the banks it leaves free in the
//! same cycle, so a STORE drains one accumulator half while MATMULs accumulate into the other.
//! Rows interleave over `memory.banks` banks (row `a` in bank `a % banks`).

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
    m.doc("Accumulator: int32 rows; the compute unit has priority on every bank, LOAD and STORE use the banks it leaves free.");
    m.unit("accumulator");
    let compute_wr = m.io(&priority_write("compute_wr", width), Role::Sink);
    let load_wr = m.io(&sram_write("load_wr", width), Role::Sink);
    let vector_wr = m.io(&sram_write("vector_wr", width), Role::Sink);
    let compute_rd = m.io(&priority_read("compute_rd"), Role::Sink);
    let store_rd = m.io(&sram_read("store_rd"), Role::Sink);
    let compute_rdata = m.output("compute_rdata", uint(width));
    let store_rdata = m.output("store_rdata", uint(width));
    let ram = m.memory("ram", &accumulator_spec(cfg))?;

    let served = ram.serve(
        &mut m,
        "ram",
        &[client(&compute_wr), client(&load_wr), client(&vector_wr)],
        &[client(&compute_rd), client(&store_rd)],
    );
    m.assign(load_wr.ready(), served.write_granted[1].clone());
    m.assign(vector_wr.ready(), served.write_granted[2].clone());
    m.assign(store_rd.ready(), served.read_granted[1].clone());
    m.assign(compute_rdata, served.read_data[0].clone());
    m.assign(store_rdata, served.read_data[1].clone());
    m.finish()
}
