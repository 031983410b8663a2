//! The host port of the multi-tile chip: one AXI4-Lite slave in front of every tile's
//! registers. Tile n's registers sit at `n << csr_block::ADDR_BITS` (0x100 apart).
//!
//! ```text
//!  s_axil (aw + w together, ar) ->[tile = addr >> 8]-> tile<n>_axil ... -> b, r back
//! ```
//!
//! One write and one read are in flight at a time, each answered by the tile it went to; a
//! write goes to its tile with its data in the same cycle (the tiles' register blocks take AW
//! and W together). An address past the last tile is answered here with DECERR (a read with
//! zero data) and reaches no tile.

use super::axi_lite::AxiLite;
use super::csr_block::ADDR_BITS as TILE_ADDR_BITS;
use crate::hw::*;

/// Address bits of the host port for `tiles` tiles.
pub fn host_addr_bits(tiles: u32) -> u32 {
    TILE_ADDR_BITS + clog2(tiles as u64).max(1)
}

/// Build the demultiplexer for `tiles` tiles. Named `axil_demux_t<tiles>`.
pub fn axil_demux(tiles: u32) -> Result<ModuleRef, ModuleError> {
    let abits = host_addr_bits(tiles);
    let tb = abits - TILE_ADDR_BITS;
    let mut m = ModuleBuilder::new(format!("axil_demux_t{tiles}"));
    m.doc(&format!(
        "AXI4-Lite demultiplexer: {tiles} tiles' registers, 0x{:x} bytes each.",
        1u32 << TILE_ADDR_BITS
    ));
    m.unit("chip top");
    let host = AxiLite::new("s_axil", abits);
    let (aw, w, b, ar, r) = (
        m.io(&host.aw, Role::Sink),
        m.io(&host.w, Role::Sink),
        m.io(&host.b, Role::Source),
        m.io(&host.ar, Role::Sink),
        m.io(&host.r, Role::Source),
    );
    let ports: Vec<[BundleIo; 5]> = (0..tiles)
        .map(|t| {
            let p = AxiLite::new(&format!("tile{t}"), TILE_ADDR_BITS);
            [
                m.io(&p.aw, Role::Source),
                m.io(&p.w, Role::Source),
                m.io(&p.b, Role::Sink),
                m.io(&p.ar, Role::Source),
                m.io(&p.r, Role::Sink),
            ]
        })
        .collect();
    let tile_of = |addr: Expr| addr.slice(abits - 1, TILE_ADDR_BITS);
    let wsel = tile_of(aw.field("addr").into());
    let rsel = tile_of(ar.field("addr").into());
    // The tile answering the write (read) in flight.
    let b_wait = m.reg("b_wait", bit(), 0);
    let b_tile = m.data_reg("b_tile", uint(tb));
    let r_wait = m.reg("r_wait", bit(), 0);
    let r_tile = m.data_reg("r_tile", uint(tb));
    let b_bad = m.data_reg("b_bad", bit());
    let r_bad = m.data_reg("r_bad", bit());
    m.comment(b_bad, "the write in flight named no tile: DECERR from here");
    let exists = |sel: &Expr| -> Expr {
        if tiles.is_power_of_two() {
            ulit(1, 1)
        } else {
            sel.clone().lt(ulit(tb, tiles as u64))
        }
    };
    let w_exists = exists(&wsel);
    let r_exists = exists(&rsel);
    let both = aw.valid() & w.valid() & !b_wait;
    let decerr = ulit(2, 3);
    let mut aw_ready = !w_exists.clone();
    let mut ar_ready = !r_exists.clone();
    let mut b_valid = Expr::from(b_bad);
    let mut b_resp = decerr.clone();
    let mut r_valid = Expr::from(r_bad);
    let mut r_data = zero(uint(32));
    let mut r_resp = decerr;
    for (t, [taw, tw, tb_, tar, tr]) in ports.iter().enumerate() {
        let to_w = wsel.eq_lit(t as i64);
        let to_r = rsel.eq_lit(t as i64);
        m.assign(taw.valid(), both.clone() & to_w.clone());
        m.assign(tw.valid(), both.clone() & to_w.clone());
        m.assign(
            taw.field("addr"),
            aw.field("addr").slice(TILE_ADDR_BITS - 1, 0),
        );
        m.assign(tw.field("data"), w.field("data"));
        m.assign(tw.field("strb"), w.field("strb"));
        aw_ready = mux(to_w, taw.ready() & tw.ready(), aw_ready);
        m.assign(tar.valid(), ar.valid() & !r_wait & to_r.clone());
        m.assign(
            tar.field("addr"),
            ar.field("addr").slice(TILE_ADDR_BITS - 1, 0),
        );
        ar_ready = mux(to_r, tar.ready(), ar_ready);
        let answering_b = b_wait & !b_bad & b_tile.eq_lit(t as i64);
        m.assign(tb_.ready(), answering_b.clone() & b.ready());
        b_valid = mux(answering_b.clone(), tb_.valid(), b_valid);
        b_resp = mux(answering_b, tb_.field("resp"), b_resp);
        let answering_r = r_wait & !r_bad & r_tile.eq_lit(t as i64);
        m.assign(tr.ready(), answering_r.clone() & r.ready());
        r_valid = mux(answering_r.clone(), tr.valid(), r_valid);
        r_data = mux(answering_r.clone(), tr.field("data"), r_data);
        r_resp = mux(answering_r, tr.field("resp"), r_resp);
    }
    let write_ready = both & aw_ready;
    m.assign(aw.ready(), write_ready.clone());
    m.assign(w.ready(), write_ready.clone());
    let read_ready = ar.valid() & !r_wait & ar_ready;
    m.assign(ar.ready(), read_ready.clone());
    m.assign(b.valid(), b_wait & b_valid);
    m.assign(b.field("resp"), b_resp);
    m.assign(r.valid(), r_wait & r_valid);
    m.assign(r.field("data"), r_data);
    m.assign(r.field("resp"), r_resp);
    m.seq(|s| {
        s.when(write_ready, |s| {
            s.set(b_wait, ulit(1, 1));
            s.set(b_tile, wsel.clone());
            s.set(b_bad, !w_exists);
        });
        s.when(b.fire(), |s| s.set(b_wait, ulit(1, 0)));
        s.when(read_ready, |s| {
            s.set(r_wait, ulit(1, 1));
            s.set(r_tile, rsel.clone());
            s.set(r_bad, !r_exists);
        });
        s.when(r.fire(), |s| s.set(r_wait, ulit(1, 0)));
    });
    m.finish()
}
