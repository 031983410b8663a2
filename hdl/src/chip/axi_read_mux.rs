//! Shares the AXI4 read channels between the instruction fetch and the load unit.
//!
//! ```text
//!  fetch_ar --+                 +--> fetch_r   (r_id = ID_FETCH)
//!             +-[hold]--> m_ar  |
//!  dma_ar   --+        m_r ---->+--> dma_r     (r_id = ID_DMA)
//! ```
//!
//! An address offered on `m_ar` stays offered, unchanged, until taken (AXI): the mux picks a
//! source when it is free (fetch first: instructions are few and gate everything) and holds
//! it until the transfer. Read data is routed by ID, so the two streams may come back in any
//! interleaving the interconnect chooses.

use super::axi4::{addr_channel, read_channel, routed_read_channel, ID_FETCH};
use super::Config;
use crate::hw::*;

/// Build the read mux for `cfg`. Named `axi_read_mux`.
pub fn axi_read_mux(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let bits = cfg.bus.data_bits;
    let mut m = ModuleBuilder::new("axi_read_mux");
    m.doc("AXI4 read mux: instruction fetch and load unit share AR; R is routed by ID.");
    m.unit("DMA: AXI4 master");
    let fetch_ar = m.io(&addr_channel("fetch_ar"), Role::Sink);
    let dma_ar = m.io(&addr_channel("dma_ar"), Role::Sink);
    let m_ar = m.io(&addr_channel("m_axi_ar"), Role::Source);
    let m_r = m.io(&read_channel("m_axi_r", bits), Role::Sink);
    let fetch_r = m.io(&routed_read_channel("fetch_r", bits), Role::Source);
    let dma_r = m.io(&routed_read_channel("dma_r", bits), Role::Source);

    let held = m.reg("held", bit(), 0);
    let held_fetch = m.reg("held_fetch", bit(), 0);
    m.comment(
        held,
        "an address is offered and not yet taken: keep its source",
    );
    let pick_fetch = m.wire_of("pick_fetch", mux(held, held_fetch, fetch_ar.valid()));
    let source = |f: &str| mux(pick_fetch, fetch_ar.field(f), dma_ar.field(f));
    m.assign(
        m_ar.valid(),
        mux(pick_fetch, fetch_ar.valid(), dma_ar.valid()),
    );
    for f in ["id", "addr", "len", "size", "burst"] {
        m.assign(m_ar.field(f), source(f));
    }
    m.assign(fetch_ar.ready(), pick_fetch & m_ar.ready());
    m.assign(dma_ar.ready(), !pick_fetch & m_ar.ready());
    m.next(held, m_ar.valid() & !m_ar.ready());
    m.next(held_fetch, pick_fetch);

    let to_fetch = m.wire_of("to_fetch", m_r.field("id").eq_lit(ID_FETCH as i64));
    for (port, mine) in [(&fetch_r, Expr::from(to_fetch)), (&dma_r, !to_fetch)] {
        m.assign(port.valid(), m_r.valid() & mine);
        for f in ["data", "resp", "last"] {
            m.assign(port.field(f), m_r.field(f));
        }
    }
    m.assign(m_r.ready(), mux(to_fetch, fetch_r.ready(), dma_r.ready()));
    m.finish()
}
