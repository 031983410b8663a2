//! The scratchpad: int8 rows of max(R, C) values, banked SRAM behind the SRAM boundary.
//!
//! ```text
//!  load_wr    (priority) --+
//!  vector_wr  (when free) -+-> per bank: write port
//!  compute_rd (priority) --+
//!  store_rd   (when free) -+-> per bank: read port -> compute_rdata / store_rdata (next cycle)
//! ```
//!
//! LOAD and VECTOR write the scratchpad; LOAD always wins the bank it writes. The compute
//! unit reads at full rate and always wins the bank it reads; the store queue (a STORE of
//! scratchpad rows, a VECTOR reading them) reads the banks it leaves free in the same cycle.
//! Rows interleave over `memory.banks` banks (row `a` in bank `a % banks`).

use super::commands::*;
use super::Config;
use crate::hw::*;

/// The scratchpad's SRAM spec for `cfg`.
pub fn scratchpad_spec(cfg: &Config) -> MemSpec {
    MemSpec::new(
        MemPorts::OneROneW,
        cfg.memory.scratchpad_rows,
        scratchpad_row_bytes(cfg) * 8,
    )
    .with_banks(cfg.memory.banks)
}

/// Build the scratchpad for `cfg`. Named `scratchpad`.
pub fn scratchpad(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let width = scratchpad_row_bytes(cfg) * 8;
    let mut m = ModuleBuilder::new("scratchpad");
    m.doc("Scratchpad: int8 rows, one write (LOAD first, then VECTOR) and one read (MATMUL first, then the store queue) per bank per cycle.");
    m.unit("scratchpad");
    let load_wr = m.io(&sram_write("load_wr", width), Role::Sink);
    let vector_wr = m.io(&sram_write("vector_wr", width), Role::Sink);
    let compute_rd = m.io(&priority_read("compute_rd"), Role::Sink);
    let store_rd = m.io(&sram_read("store_rd"), Role::Sink);
    let compute_rdata = m.output("compute_rdata", uint(width));
    let store_rdata = m.output("store_rdata", uint(width));
    let ram = m.memory("ram", &scratchpad_spec(cfg))?;

    m.assign(load_wr.ready(), ulit(1, 1));
    let served = ram.serve(
        &mut m,
        "ram",
        &[client(&load_wr), client(&vector_wr)],
        &[client(&compute_rd), client(&store_rd)],
    );
    m.assign(vector_wr.ready(), served.write_granted[1].clone());
    m.assign(store_rd.ready(), served.read_granted[1].clone());
    m.assign(compute_rdata, served.read_data[0].clone());
    m.assign(store_rdata, served.read_data[1].clone());
    m.finish()
}
