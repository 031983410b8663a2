//! The multi-tile chip (`[tiles] x * y > 1`): tiles on two meshes, one DRAM port at node
//! (0, 0), one host port.
//!
//! ```text
//!  s_axil ->[axil_demux: tile n at n * 0x100]-> tile n's registers      irq = any tile's
//!
//!  tile n (the single-tile chip: controller, DMA, memories, engine, vector unit)
//!     m_axi ->[tile_ni]- requests -> request mesh  --> node (0,0) eject ->[dram_ni]-> m_axi
//!           <-[tile_ni]<- responses <- response mesh <-- node (0,0) inject <-[dram_ni]<-
//! ```
//!
//! Every tile runs its own program (its own registers: program address, DRAM window, STATUS,
//! counters). Tile n sits at mesh node n (x = n % X, y = n / X). Requests go only to the
//! DRAM port and responses only from it, so the request mesh ejects only at node (0, 0) and
//! the response mesh injects only there; those ports elsewhere are tied off. The DRAM port
//! is a single AXI4 master whose ID carries the tile's coordinates above the tile's own ID.

use super::axi4::Axi4;
use super::axi_lite::AxiLite;
use super::axil_demux::{axil_demux, host_addr_bits};
use super::csr_block::ADDR_BITS as TILE_ADDR_BITS;
use super::dram_ni::{dram_id_bits, dram_ni};
use super::mesh::{eject, inject, mesh};
use super::ni::flit_stream;
use super::noc_packet::NocLayout;
use super::tile_ni::tile_ni;
use super::top::{chip_named, TOP};
use super::Config;
use crate::hw::*;

/// Module name of one tile.
pub const TILE: &str = "seedchip_tile";

/// Build the multi-tile chip for `cfg`. Named `seedchip`.
pub fn multi_tile(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    let spec = super::mesh_spec(cfg);
    let l = NocLayout::new(cfg);
    let n = spec.nodes();
    let bits = cfg.bus.data_bits;
    let (tile, net, ni, dni, demux) = (
        chip_named(cfg, TILE)?,
        mesh(&spec)?,
        tile_ni(cfg)?,
        dram_ni(cfg)?,
        axil_demux(n)?,
    );
    let mut m = ModuleBuilder::new(TOP);
    m.doc(&format!(
        "seedchip accelerator: {}x{} tiles of a {}x{} matrix engine each, on request and response meshes, one {bits}-bit AXI4 master at node (0, 0).",
        cfg.tiles.x, cfg.tiles.y, cfg.matrix.rows, cfg.matrix.cols
    ));
    m.unit("chip top");
    let host = AxiLite::new("s_axil", host_addr_bits(n));
    let host_io = host.slave_ports(&mut m);
    let dram = Axi4::with_ids("m_axi", bits, dram_id_bits(cfg));
    let dram_io = dram.master_ports(&mut m);
    let irq = m.output("irq", bit());

    // The host's registers: one port per tile.
    let mut d = m.instance("host", &demux);
    for (bundle, io) in &host_io {
        d.io_from(bundle, io);
    }
    let tile_hosts: Vec<Vec<(Bundle, BundleIo)>> = (0..n)
        .map(|t| {
            let p = AxiLite::new(&format!("tile{t}"), TILE_ADDR_BITS);
            [p.aw, p.w, p.b, p.ar, p.r]
                .into_iter()
                .map(|b| {
                    let io = d.io(&b);
                    (b, io)
                })
                .collect()
        })
        .collect();

    // The two meshes.
    let f = l.flit_bits;
    let mut rq = m.instance("requests", &net);
    let req_in: Vec<BundleIo> = (0..n).map(|t| rq.io(&inject(t, f))).collect();
    // Only the DRAM port receives requests.
    let req_out0 = rq.io(&eject(0, f));
    for t in 1..n {
        rq.open(format!("eject{t}_valid"))
            .open(format!("eject{t}_head"))
            .open(format!("eject{t}_tail"))
            .open(format!("eject{t}_data"))
            .con(format!("eject{t}_ready"), ulit(1, 1));
    }
    let mut rs = m.instance("responses", &net);
    let resp_out: Vec<BundleIo> = (0..n).map(|t| rs.io(&eject(t, f))).collect();
    // Only the DRAM port sends responses.
    let resp_in0 = rs.io(&inject(0, f));
    for t in 1..n {
        rs.con(format!("inject{t}_valid"), ulit(1, 0))
            .con(format!("inject{t}_head"), ulit(1, 0))
            .con(format!("inject{t}_tail"), ulit(1, 0))
            .con(format!("inject{t}_data"), zero(uint(f)))
            .open(format!("inject{t}_ready"));
    }

    // Tiles and their network interfaces.
    let mut irqs = Vec::new();
    let tile_axi = Axi4::new("m_axi", bits);
    let ni_axi = Axi4::new("axi", bits);
    for t in 0..n {
        let mut c = m.instance(&format!("tile{t}"), &tile);
        let single = AxiLite::new("s_axil", TILE_ADDR_BITS);
        for ((_, io), b) in tile_hosts[t as usize]
            .iter()
            .zip([single.aw, single.w, single.b, single.ar, single.r])
        {
            c.io_from(&b, io);
        }
        let channels: Vec<BundleIo> = [
            &tile_axi.aw,
            &tile_axi.w,
            &tile_axi.b,
            &tile_axi.ar,
            &tile_axi.r,
        ]
        .into_iter()
        .map(|b| c.io(b))
        .collect();
        irqs.push(Expr::from(c.out("irq")));
        let mut x = m.instance(&format!("ni{t}"), &ni);
        for (b, io) in [&ni_axi.aw, &ni_axi.w, &ni_axi.b, &ni_axi.ar, &ni_axi.r]
            .into_iter()
            .zip(&channels)
        {
            x.io_from(b, io);
        }
        x.con("tile", ulit(l.tile_bits, l.dest(t, cfg.tiles.x)));
        x.io_from(&flit_stream("req", f), &req_in[t as usize]);
        x.io_from(&flit_stream("resp", f), &resp_out[t as usize]);
    }
    m.assign(irq, irqs.into_iter().reduce(|a, b| a | b).expect("a tile"));

    // The DRAM port.
    let mut x = m.instance("dram", &dni);
    for (bundle, io) in &dram_io {
        x.io_from(bundle, io);
    }
    x.io_from(&flit_stream("req", f), &req_out0);
    x.io_from(&flit_stream("resp", f), &resp_in0);
    m.finish()
}
