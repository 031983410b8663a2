//! The DRAM port's network interface, at mesh node (0, 0): request packets from every tile
//! onto the chip's one AXI4 master, its responses back to the tiles.
//!
//! ```text
//!  req (request mesh) ->[unit_rx]-> head unit: AR, or AW then its W beat units
//!                                     -> m_axi_ar / m_axi_aw, m_axi_w
//!  m_axi_r (R beats) --+
//!  m_axi_b -----------+->[unit FIFO]->[unit_tx]-> resp (response mesh)
//! ```
//!
//! The AXI ID on `m_axi` is the tile's coordinates above the tile's own ID, so a response
//! finds its way back without a table: its destination is the ID's upper bits. AXI keeps
//! order within an ID, and each tile's IDs are its own, so every tile sees its reads' beats
//! and its writes' responses in the order it asked. A write's W beats follow its AW on
//! `m_axi` as AXI4 requires: they arrive right behind it, in the same packet.

use super::axi4::{Axi4, ID_BITS};
use super::ni::{flit_stream, unit_in, unit_out, unit_rx, unit_tx};
use super::noc_packet::NocLayout;
use super::Config;
use crate::hw::*;

/// Bits of the AXI ID on the multi-tile chip's DRAM port: the tile, then its own ID.
pub fn dram_id_bits(cfg: &Config) -> u32 {
    NocLayout::new(cfg).tile_bits + ID_BITS
}

/// Build the DRAM network interface for `cfg`. Named `dram_ni`.
pub fn dram_ni(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let l = NocLayout::new(cfg);
    let data_bits = cfg.bus.data_bits;
    let (req_bits, resp_bits, flit_bits) = (l.req_unit_bits, l.resp_unit_bits, l.flit_bits);
    let rx = unit_rx(req_bits, flit_bits)?;
    let tx = unit_tx(resp_bits, flit_bits)?;
    let mut m = ModuleBuilder::new("dram_ni");
    m.doc("DRAM network interface: request packets to the chip's AXI4 master (the tile in the ID's upper bits), responses back as packets.");
    m.unit("interconnect: network interfaces");
    let axi = Axi4::with_ids("m_axi", data_bits, dram_id_bits(cfg));
    let ar = m.io(&axi.ar, Role::Source);
    let aw = m.io(&axi.aw, Role::Source);
    let w = m.io(&axi.w, Role::Source);
    let r = m.io(&axi.r, Role::Sink);
    let b = m.io(&axi.b, Role::Sink);
    let req = m.io(&flit_stream("req", flit_bits), Role::Sink);
    let resp = m.io(&flit_stream("resp", flit_bits), Role::Source);

    // --- requests ---------------------------------------------------------------------------
    let mut x = m.instance("rx", &rx);
    x.io_from(&flit_stream("flit", flit_bits), &req);
    let got = x.io(&unit_out("unit", req_bits));
    let d: Expr = got.field("data").into();
    let h = |n: &str| l.req_head.get(&d, n);
    let wb = |n: &str| l.req_beat.get(&d, n);
    // A packet's first unit is its head; the rest are W beats.
    let first: Expr = got.field("first").into();
    m.wire_of("got_last_unused", got.field("last"));
    m.wire_of("got_dest_unused", h("dest"));
    let is_write = h("write");
    let id = cat([h("tile"), h("id")]);
    for (c, write) in [(&ar, false), (&aw, true)] {
        let mine = if write {
            is_write.clone()
        } else {
            !is_write.clone()
        };
        m.assign(c.valid(), got.valid() & first.clone() & mine);
        m.assign(c.field("id"), id.clone());
        for f in ["addr", "len", "size", "burst"] {
            m.assign(c.field(f), h(f));
        }
    }
    m.assign(w.valid(), got.valid() & !first.clone());
    m.assign(w.field("data"), wb("data"));
    m.assign(w.field("strb"), wb("strb"));
    m.assign(w.field("last"), wb("last"));
    m.assign(
        got.ready(),
        mux(first, mux(is_write, aw.ready(), ar.ready()), w.ready()),
    );

    // --- responses --------------------------------------------------------------------------
    let units = m.fifo("units", 2, resp_bits)?;
    let prefer_b = m.reg("prefer_b", bit(), 0);
    let take_b = m.wire_of("take_b", b.valid() & (prefer_b | !r.valid()));
    let take_r = m.wire_of("take_r", r.valid() & !take_b);
    let tile_bits = l.tile_bits;
    let unit = |c: &BundleIo, write: u64| -> Expr {
        let cid: Expr = c.field("id").into();
        let data: Expr = c
            .try_field("data")
            .map_or(zero(uint(data_bits)), Expr::from);
        let last: Expr = c.try_field("last").map_or(ulit(1, 1), Expr::from);
        l.resp.pack(
            &[
                ("dest", cid.slice(ID_BITS + tile_bits - 1, ID_BITS)),
                ("write", ulit(1, write)),
                ("id", cid.slice(ID_BITS - 1, 0)),
                ("resp", c.field("resp").into()),
                ("last", last),
                ("data", data),
            ],
            resp_bits,
        )
    };
    m.assign(units.enq_valid, take_b | take_r);
    m.assign(units.enq_data, mux(take_b, unit(&b, 1), unit(&r, 0)));
    m.assign(b.ready(), take_b & units.enq_ready);
    m.assign(r.ready(), take_r & units.enq_ready);
    m.seq(|s| {
        s.when(b.fire(), |s| s.set(prefer_b, ulit(1, 0)));
        s.when(r.fire(), |s| s.set(prefer_b, ulit(1, 1)));
    });
    let mut t = m.instance("tx", &tx);
    let tx_unit = t.io(&unit_in("unit", resp_bits));
    t.io_from(&flit_stream("flit", flit_bits), &resp);
    m.assign(tx_unit.valid(), units.deq_valid);
    m.assign(tx_unit.field("data"), units.deq_data);
    // Every response is a packet of one unit.
    m.assign(tx_unit.field("last"), ulit(1, 1));
    m.assign(units.deq_ready, tx_unit.ready());
    m.finish()
}
