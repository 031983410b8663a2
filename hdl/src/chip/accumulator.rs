//! The accumulator: int32 rows of C values, banked SRAM behind the SRAM boundary.
//!
//! ```text
//!  compute_wr (first) -------------------------+
//!  load_wr, vector_wr -->[write crossbar]------+-> per bank: write port
//!  compute_rd (first) -------------------------+
//!  store_rd ------------>[read crossbar]-------+-> per bank: read port -> compute_rdata /
//!                                                  store_rdata (next cycle)
//! ```
//!
//! The compute unit reads a row as its result leaves the engine and writes the sum a cycle
//! later, at times the systolic array fixes, so it has every bank it asks for: accumulation
//! runs at one row per cycle. LOAD and VECTOR (writes) and the store queue (reads) share the
//! banks it leaves free through round-robin crossbars (`hw::crossbar`), so a STORE drains one
//! accumulator half while MATMULs accumulate into the other.
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
    m.doc("Accumulator: int32 rows; the compute unit has every bank it asks for, LOAD and VECTOR (writes) and the store queue (reads) share the rest through round-robin crossbars.");
    m.unit("accumulator");
    let compute_wr = m.io(&priority_write("compute_wr", width), Role::Sink);
    let load_wr = m.io(&sram_write("load_wr", width), Role::Sink);
    let vector_wr = m.io(&sram_write("vector_wr", width), Role::Sink);
    let compute_rd = m.io(&priority_read("compute_rd"), Role::Sink);
    let store_rd = m.io(&sram_read("store_rd"), Role::Sink);
    let compute_rdata = m.output("compute_rdata", uint(width));
    let store_rdata = m.output("store_rdata", uint(width));
    let ram = m.memory("ram", &accumulator_spec(cfg))?;

    let clients = Clients {
        first_write: Some(client(&compute_wr)),
        writes: vec![client(&load_wr), client(&vector_wr)],
        first_read: Some(client(&compute_rd)),
        reads: vec![client(&store_rd)],
    };
    let served = ram.serve(&mut m, "ram", &clients)?;
    m.assign(load_wr.ready(), served.write_granted[0].clone());
    m.assign(vector_wr.ready(), served.write_granted[1].clone());
    m.assign(store_rd.ready(), served.read_granted[0].clone());
    m.assign(
        compute_rdata,
        served
            .first_read_data
            .expect("the compute unit reads first"),
    );
    m.assign(store_rdata, served.read_data[0].clone());
    m.finish()
}
