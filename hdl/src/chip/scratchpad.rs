//! The scratchpad: int8 rows of max(R, C) values, banked SRAM behind the SRAM boundary.
//!
//! ```text
//!  load_wr, vector_wr -->[write crossbar]--> per bank: write port
//!  compute_rd, store_rd ->[read crossbar]--> per bank: read port -> compute_rdata / store_rdata
//!                                                                   (next cycle)
//! ```
//!
//! Every client shares the banks through a crossbar (`hw::crossbar`): round-robin per bank,
//! one grant per bank port per cycle, so clients on different banks go together and a client
//! waits at most one grant to the other on a bank both want. LOAD and VECTOR write; the
//! compute unit and the store queue (a STORE of scratchpad rows, a VECTOR reading them) read.
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
    m.doc("Scratchpad: int8 rows; LOAD and VECTOR share the banks' write ports, MATMUL and the store queue their read ports, each through a round-robin crossbar.");
    m.unit("scratchpad");
    let load_wr = m.io(&sram_write("load_wr", width), Role::Sink);
    let vector_wr = m.io(&sram_write("vector_wr", width), Role::Sink);
    let compute_rd = m.io(&sram_read("compute_rd"), Role::Sink);
    let store_rd = m.io(&sram_read("store_rd"), Role::Sink);
    let compute_rdata = m.output("compute_rdata", uint(width));
    let store_rdata = m.output("store_rdata", uint(width));
    let ram = m.memory("ram", &scratchpad_spec(cfg))?;

    let clients = Clients {
        writes: vec![client(&load_wr), client(&vector_wr)],
        reads: vec![client(&compute_rd), client(&store_rd)],
        ..Clients::default()
    };
    let served = ram.serve(&mut m, "ram", &clients)?;
    m.assign(load_wr.ready(), served.write_granted[0].clone());
    m.assign(vector_wr.ready(), served.write_granted[1].clone());
    m.assign(compute_rd.ready(), served.read_granted[0].clone());
    m.assign(store_rd.ready(), served.read_granted[1].clone());
    m.assign(compute_rdata, served.read_data[0].clone());
    m.assign(store_rdata, served.read_data[1].clone());
    m.finish()
}
