//! The scratchpad: int8 rows of max(R, C) values, banked SRAM behind the SRAM boundary.
//!
//! ```text
//!  load_wr    --------------------------> write port
//!  compute_rd (priority) --+
//!  store_rd   (when free) -+-> read port -> rdata (next cycle)
//! ```
//!
//! Only LOAD writes the scratchpad. The compute unit reads at full rate and always wins the
//! read port; a STORE of scratchpad rows reads in the cycles the compute unit leaves free.
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
    m.doc("Scratchpad: int8 rows, one write (LOAD) and one read (MATMUL first, then STORE) per cycle.");
    m.unit("scratchpad");
    let load_wr = m.io(&sram_write("load_wr", width), Role::Sink);
    let compute_rd = m.io(&priority_read("compute_rd"), Role::Sink);
    let store_rd = m.io(&sram_read("store_rd"), Role::Sink);
    let rdata = m.output("rdata", uint(width));
    let ram = m.memory("ram", &scratchpad_spec(cfg))?;

    m.assign(load_wr.ready(), ulit(1, 1));
    let (re, read) = share_port(&mut m, &compute_rd, &store_rd, "re", &[("row", "raddr")]);
    let data = ram.one_read_one_write(
        &mut m,
        "ram",
        (
            load_wr.valid().into(),
            load_wr.field("row").into(),
            load_wr.field("data").into(),
        ),
        (re, read[0].clone()),
    );
    m.assign(rdata, data);
    m.finish()
}
