//! A tile's network interface: the tile's AXI4 master port onto the two meshes.
//!
//! ```text
//!  axi_ar --+-[AR head unit]----------------+
//!  axi_aw --+-[AW head unit]-+-[W beat units]-+->[unit FIFO]->[unit_tx]-> req (request mesh)
//!  axi_w  -------------------+
//!  axi_r  <-[R beat units]--+
//!  axi_b  <-[B units]-------+<-[unit_rx]<- resp (response mesh)
//! ```
//!
//! Requests go to the DRAM port at node (0, 0): a read is one unit, a write its AW head and
//! its W beats in one packet (so they arrive together). Reads and writes alternate when
//! both wait, a write packet's beats following its head without a read between; a write
//! starts only once its first beat is here, so its packet does not hold the mesh while the
//! tile prepares data. Units enter
//! a two-unit FIFO whole, so the serialiser sends stable units flit by flit. Responses come
//! back one unit each (R beat or B) and go out on the AXI channel their `write` bit names;
//! a tile that stalls R or B holds them in the response mesh, without loss.

use super::axi4::Axi4;
use super::ni::{flit_stream, unit_in, unit_out, unit_rx, unit_tx};
use super::noc_packet::NocLayout;
use super::Config;
use crate::hw::*;

/// Build the tile network interface for `cfg`. Named `tile_ni`.
pub fn tile_ni(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let l = NocLayout::new(cfg);
    let data_bits = cfg.bus.data_bits;
    let (req_bits, resp_bits, flit_bits) = (l.req_unit_bits, l.resp_unit_bits, l.flit_bits);
    let tx = unit_tx(req_bits, flit_bits)?;
    let rx = unit_rx(resp_bits, flit_bits)?;
    let mut m = ModuleBuilder::new("tile_ni");
    m.doc("Tile network interface: the tile's AXI4 master as request packets, responses back as AXI R and B.");
    m.unit("interconnect: network interfaces");
    let axi = Axi4::new("axi", data_bits);
    let ar = m.io(&axi.ar, Role::Sink);
    let aw = m.io(&axi.aw, Role::Sink);
    let w = m.io(&axi.w, Role::Sink);
    let r = m.io(&axi.r, Role::Source);
    let b = m.io(&axi.b, Role::Source);
    let tile = m.input("tile", uint(l.tile_bits));
    let req = m.io(&flit_stream("req", flit_bits), Role::Source);
    let resp = m.io(&flit_stream("resp", flit_bits), Role::Sink);

    // --- requests: choose a packet, build its units ----------------------------------------
    let units = m.fifo("units", 2, req_bits + 1)?;
    let writing = m.reg("writing", bit(), 0);
    m.comment(writing, "a write packet's head is sent: its W beats follow");
    let prefer_write = m.reg("prefer_write", bit(), 0);
    // A write starts only when its first W beat is here too: a write packet holds its path
    // to the DRAM port (wormhole) until its last beat, so it must not wait on the tile
    // mid-packet. (The tile's AW and W register slices let the store unit offer W after its
    // AW is taken there.)
    let take_aw = m.wire_of(
        "take_aw",
        !writing & aw.valid() & w.valid() & (prefer_write | !ar.valid()),
    );
    let take_ar = m.wire_of("take_ar", !writing & ar.valid() & !take_aw);
    let head = |c: &BundleIo, write: u64| -> Expr {
        let f = |n: &str| Expr::from(c.field(n));
        l.req_head.pack(
            &[
                ("dest", zero(uint(l.x_bits + l.y_bits))),
                ("write", ulit(1, write)),
                ("tile", tile.into()),
                ("id", f("id")),
                ("addr", f("addr")),
                ("len", f("len")),
                ("size", f("size")),
                ("burst", f("burst")),
            ],
            req_bits,
        )
    };
    let beat = l.req_beat.pack(
        &[
            ("data", w.field("data").into()),
            ("strb", w.field("strb").into()),
            ("last", w.field("last").into()),
        ],
        req_bits,
    );
    // The unit and whether it ends its packet: an AR head ends it, an AW head does not, a W
    // beat does when it is the burst's last.
    let unit = mux(
        writing,
        cat([Expr::from(w.field("last")), beat]),
        mux(
            take_aw,
            cat([ulit(1, 0), head(&aw, 1)]),
            cat([ulit(1, 1), head(&ar, 0)]),
        ),
    );
    m.assign(
        units.enq_valid,
        mux(writing, Expr::from(w.valid()), take_aw | take_ar),
    );
    m.assign(units.enq_data, unit);
    let room = units.enq_ready;
    m.assign(aw.ready(), take_aw & room);
    m.assign(ar.ready(), take_ar & room);
    m.assign(w.ready(), writing & room);
    m.seq(|s| {
        s.when(aw.fire(), |s| {
            s.set(writing, ulit(1, 1));
            s.set(prefer_write, ulit(1, 0));
        });
        s.when(ar.fire(), |s| s.set(prefer_write, ulit(1, 1)));
        s.when(w.fire() & w.field("last"), |s| s.set(writing, ulit(1, 0)));
    });
    let mut t = m.instance("tx", &tx);
    let tx_unit = t.io(&unit_in("unit", req_bits));
    t.io_from(&flit_stream("flit", flit_bits), &req);
    m.assign(tx_unit.valid(), units.deq_valid);
    m.assign(tx_unit.field("data"), units.deq_data.slice(req_bits - 1, 0));
    m.assign(tx_unit.field("last"), units.deq_data.bit(req_bits));
    m.assign(units.deq_ready, tx_unit.ready());

    // --- responses: R beats and B ---------------------------------------------------------
    let mut x = m.instance("rx", &rx);
    x.io_from(&flit_stream("flit", flit_bits), &resp);
    let got = x.io(&unit_out("unit", resp_bits));
    let d: Expr = got.field("data").into();
    // Single-unit packets: first and last say nothing here, nor the destination (this tile).
    m.wire_of("got_first_unused", got.field("first"));
    m.wire_of("got_last_unused", got.field("last"));
    m.wire_of("got_dest_unused", l.resp.get(&d, "dest"));
    let is_b = l.resp.get(&d, "write");
    m.assign(r.valid(), got.valid() & !is_b.clone());
    m.assign(b.valid(), got.valid() & is_b.clone());
    m.assign(r.field("id"), l.resp.get(&d, "id"));
    m.assign(r.field("data"), l.resp.get(&d, "data"));
    m.assign(r.field("resp"), l.resp.get(&d, "resp"));
    m.assign(r.field("last"), l.resp.get(&d, "last"));
    m.assign(b.field("id"), l.resp.get(&d, "id"));
    m.assign(b.field("resp"), l.resp.get(&d, "resp"));
    m.assign(got.ready(), mux(is_b, b.ready(), r.ready()));
    m.finish()
}
