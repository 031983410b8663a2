//! A tile's network interface: the tile's AXI4 master port onto the two meshes.
//!
//! ```text
//!  axi_ar --+-[AR head unit]----------------+
//!  axi_aw --+-[AW head unit]-+-[W beat units]-+->[unit FIFO]->[unit_tx]-> req (request mesh)
//!  axi_w  -------------------+
//!  axi_r  <-[R beat units]--+
//!  axi_b  <-[B units]-------+<-[response buffer]<-[unit_rx]<- resp (response mesh)
//! ```
//!
//! Requests go to the DRAM port at node (0, 0): a read is one unit, a write its AW head and
//! its W beats in one packet (so they arrive together). Reads and writes alternate when
//! both wait, a write packet's beats following its head without a read between; a write
//! starts only once its first beat is here, so its packet does not hold the mesh while the
//! tile prepares data. Units enter
//! a two-unit FIFO whole, so the serialiser sends stable units flit by flit. Responses come
//! back one unit each (R beat or B) into the response buffer, then out on the AXI channel
//! their `write` bit names.
//!
//! Read credits: a request leaves only when the response buffer has room reserved for all
//! its responses (an AR's `len + 1` beats, an AW's B), so the tile takes every response the
//! moment it arrives, however slowly the tile itself drains them. Without the credits a tile
//! that drains slowly (a load unit writing one narrow SRAM row a cycle) would back its
//! beats up the response mesh into the DRAM port, which answers in order, and stall every
//! other tile behind it. The tile's bursts fit the buffer: the load unit cuts its bursts at
//! `read_buffer_beats` ([`super::load_unit::burst_window`]), an instruction fetch is at most
//! two beats.

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
    let depth = cfg.interconnect.read_buffer_beats;
    let cb = clog2(depth as u64 + 1);
    let credits = m.reg("credits", uint(cb), depth as i64);
    m.comment(credits, "response buffer slots no request has reserved");
    let ar_beats = m.wire_of("ar_beats", ar.field("len").zext(9).inc());
    let ar_fits = m.wire_of("ar_fits", ar_beats.le(credits.zext(9)));
    let b_fits = m.wire_of("b_fits", credits.ne_lit(0));

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
        !writing & aw.valid() & w.valid() & b_fits & (prefer_write | !ar.valid() | !ar_fits),
    );
    let take_ar = m.wire_of("take_ar", !writing & ar.valid() & ar_fits & !take_aw);
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

    // --- responses: R beats and B, through the buffer ---------------------------------------
    let mut x = m.instance("rx", &rx);
    x.io_from(&flit_stream("flit", flit_bits), &resp);
    let got = x.io(&unit_out("unit", resp_bits));
    // Single-unit packets: first and last say nothing here, nor the destination (this tile).
    m.wire_of("got_first_unused", got.field("first"));
    m.wire_of("got_last_unused", got.field("last"));
    let buf = m.fifo("responses", depth, resp_bits)?;
    m.assign(buf.enq_valid, got.valid());
    m.assign(buf.enq_data, got.field("data"));
    // Always ready: every response had its slot reserved (the credits).
    m.assign(got.ready(), buf.enq_ready);
    let d: Expr = buf.deq_data.into();
    m.wire_of("resp_dest_unused", l.resp.get(&d, "dest"));
    let is_b = l.resp.get(&d, "write");
    m.assign(r.valid(), buf.deq_valid & !is_b.clone());
    m.assign(b.valid(), buf.deq_valid & is_b.clone());
    m.assign(r.field("id"), l.resp.get(&d, "id"));
    m.assign(r.field("data"), l.resp.get(&d, "data"));
    m.assign(r.field("resp"), l.resp.get(&d, "resp"));
    m.assign(r.field("last"), l.resp.get(&d, "last"));
    m.assign(b.field("id"), l.resp.get(&d, "id"));
    m.assign(b.field("resp"), l.resp.get(&d, "resp"));
    let freed = m.wire_of("freed", buf.deq_valid & mux(is_b, b.ready(), r.ready()));
    m.assign(buf.deq_ready, freed);
    // Reserve on a request (an AR and an AW never leave together), free on a response out.
    let reserved = mux(
        ar.fire(),
        ar_beats.resize(cb),
        mux(aw.fire(), ulit(cb, 1), zero(uint(cb))),
    );
    m.next(credits, credits.add_wrap(freed.zext(cb)).sub_wrap(reserved));
    m.finish()
}
