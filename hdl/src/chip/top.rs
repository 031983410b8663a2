//! The chip: every unit, wired as the block diagram says.
//!
//! ```text
//!  s_axil ->[csr_block]-- ctl -->[controller]-- load_cmd ---->[load_unit]--- spad/acc writes
//!     irq <-|    ^   ^--- run ---|    |  ^   -- compute_cmd ->[compute_unit]-- reads, acc writes
//!               count               fetch |   -- store_cmd --->[store_unit]--- reads (shared)
//!                                    |  *_done -- vector_cmd ->[vector_unit]-- reads, writes
//!                                    |                          epi_in/out ^|       |
//!                               [axi_read_mux] <---- dma_ar/r ---+          |       |
//!                                    |                                              |
//!  m_axi_ar/r <----------------------+       m_axi_aw/w/b <-------------------------+
//!                  [scratchpad]   [accumulator]   (SRAM boundaries inside)
//! ```
//!
//! The store queue's two units, the store unit and the vector unit, take turns (the
//! controller starts one instruction of that queue at a time), so they share the memories'
//! store-side read ports.
//!
//! Named `seedchip`; its ports are `clk`, `rst`, the AXI4-Lite slave `s_axil_*`, the AXI4
//! master `m_axi_*` and `irq`.

use super::accumulator::accumulator;
use super::axi4::{addr_channel, read_channel, routed_read_channel, Axi4};
use super::axi_lite::AxiLite;
use super::axi_read_mux::axi_read_mux;
use super::commands::*;
use super::compute_unit::compute_unit;
use super::controller::{controller, stall_bundle, UNITS};
use super::csr_block::{self, count_bundle, csr_block, ctl_bundle, run_bundle};
use super::isa::Opcode;
use super::load_unit::load_unit;
use super::scratchpad::scratchpad;
use super::store_unit::store_unit;
use super::vector_unit::{epi_in, epi_out, vector_unit};
use super::Config;
use crate::hw::*;

/// Module name of the chip top.
pub const TOP: &str = "seedchip";

/// One memory read client `name` for two units that never read in the same cycle: the request
/// of whichever asks, the grant to both (only the asking one acts on it).
fn share_read(m: &mut ModuleBuilder, name: &str, a: &BundleIo, b: &BundleIo) -> BundleIo {
    let shared = m.bundle_wires(&sram_read("rd"), name);
    m.assign(shared.valid(), a.valid() | b.valid());
    m.assign(
        shared.field("row"),
        mux(b.valid(), b.field("row"), a.field("row")),
    );
    m.assign(a.ready(), shared.ready());
    m.assign(b.ready(), shared.ready());
    shared
}

/// Build the whole chip for `cfg`.
pub fn chip(cfg: &Config) -> Result<ModuleRef, ModuleError> {
    chip_named(cfg, TOP)
}

/// The single-tile chip as a module named `name` (a tile of the multi-tile chip is
/// `seedchip_tile`).
pub fn chip_named(cfg: &Config, name: &str) -> Result<ModuleRef, ModuleError> {
    let bits = cfg.bus.data_bits;
    let (spad_bits, acc_bits) = (
        scratchpad_row_bytes(cfg) * 8,
        accumulator_row_bytes(cfg) * 8,
    );
    let mut m = ModuleBuilder::new(name);
    m.doc(&format!(
        "seedchip accelerator: {}x{} matrix engine, {} scratchpad rows, {} accumulator rows, {}-bit AXI4 master.",
        cfg.matrix.rows, cfg.matrix.cols, cfg.memory.scratchpad_rows, cfg.memory.accumulator_rows, bits
    ));
    m.unit("chip top");
    let host = AxiLite::new("s_axil", csr_block::ADDR_BITS);
    let host_io = host.slave_ports(&mut m);
    let dram = Axi4::new("m_axi", bits);
    let aw = m.io(&dram.aw, Role::Source);
    let w = m.io(&dram.w, Role::Source);
    let b = m.io(&dram.b, Role::Sink);
    let ar = m.io(&dram.ar, Role::Source);
    let r = m.io(&dram.r, Role::Sink);
    let irq = m.output("irq", bit());

    // --- host registers and controller -------------------------------------------------------
    let csr = csr_block()?;
    let ctrl = controller(cfg)?;
    let mut regs = m.instance("csr", &csr);
    for (bundle, io) in &host_io {
        regs.io_from(bundle, io);
    }
    let ctl = regs.io(&ctl_bundle());
    let run = regs.io(&run_bundle());
    let count = regs.io(&count_bundle());
    let irq_out = regs.out("irq");
    m.assign(irq, irq_out);

    let mut c = m.instance("ctrl", &ctrl);
    c.io_from(&ctl_bundle(), &ctl).io_from(&run_bundle(), &run);
    let fetch_ar = c.io(&addr_channel("fetch_ar"));
    let fetch_r = c.io(&routed_read_channel("fetch_r", bits));
    let names = UNITS.map(|(_, n)| n);
    let queued: Vec<BundleIo> = UNITS
        .iter()
        .map(|(op, n)| c.io(&cmd_stream(*op).renamed(&format!("{n}_cmd"))))
        .collect();
    let dones: Vec<BundleIo> = names
        .iter()
        .map(|n| c.io(&done_bundle().renamed(&format!("{n}_done"))))
        .collect();
    let stall = c.io(&stall_bundle());
    let instructions = c.out("instructions");
    let fetch_bytes = c.out("fetch_bytes");
    // Commands reach the units through register slices: no path runs from the controller's
    // queue heads and token counters into a unit's logic.
    let cmds: Vec<BundleIo> = names
        .iter()
        .zip(&queued)
        .map(|(n, q)| m.slice(&format!("{n}_cmd_q"), q))
        .collect::<Result<_, _>>()?;

    // --- execution units ------------------------------------------------------------------------
    let (lu, cu, su, vu) = (
        load_unit(cfg)?,
        compute_unit(cfg)?,
        store_unit(cfg)?,
        vector_unit(cfg)?,
    );
    let unit_axi = Axi4::new("dma", bits);

    let mut l = m.instance("load", &lu);
    l.io_from(&cmd_stream(Opcode::Load), &cmds[0])
        .io_from(&done_bundle(), &dones[0]);
    let dma_ar_unit = l.io(&unit_axi.ar);
    let dma_r = l.io(&routed_read_channel("dma_r", bits));
    let load_spad = l.io(&sram_write("spad_wr", spad_bits));
    let load_acc = l.io(&sram_write("acc_wr", acc_bits));
    let read_bytes = l.out("read_bytes");
    let load_busy = l.out("busy");
    // The load unit's burst requests are registered before the read port's arbiter.
    let dma_ar = m.slice("dma_ar_q", &dma_ar_unit)?;

    // Each reader of a memory has its own read data (the memories serve them per bank).
    let compute_spad_rdata = m.wire("compute_spad_rdata", uint(spad_bits));
    let compute_acc_rdata = m.wire("compute_acc_rdata", uint(acc_bits));
    let store_spad_rdata = m.wire("store_spad_rdata", uint(spad_bits));
    let store_acc_rdata = m.wire("store_acc_rdata", uint(acc_bits));
    let mut cmp = m.instance("compute", &cu);
    cmp.io_from(&cmd_stream(Opcode::Matmul), &cmds[1])
        .io_from(&done_bundle(), &dones[1])
        .con("spad_rdata", compute_spad_rdata)
        .con("acc_rdata", compute_acc_rdata);
    let compute_spad = cmp.io(&sram_read("spad_rd"));
    let compute_acc_rd = cmp.io(&priority_read("acc_rd"));
    let compute_acc_wr = cmp.io(&priority_write("acc_wr", acc_bits));
    let macs = cmp.out("macs");
    let compute_busy = cmp.out("busy");

    // The epilogue's way back, vector unit -> store unit.
    let epo = m.bundle_wires(&epi_out(cfg.matrix.cols), "vector_epi_out");
    let mut st = m.instance("store", &su);
    st.io_from(&cmd_stream(Opcode::Store), &cmds[2])
        .io_from(&done_bundle(), &dones[2])
        .io_from(&unit_axi.b, &b)
        .io_from(&epi_out(cfg.matrix.cols), &epo)
        .con("spad_rdata", store_spad_rdata)
        .con("acc_rdata", store_acc_rdata);
    let store_aw = st.io(&unit_axi.aw);
    let store_w = st.io(&unit_axi.w);
    let store_unit_spad = st.io(&sram_read("spad_rd"));
    let store_unit_acc = st.io(&sram_read("acc_rd"));
    let epi = st.io(&epi_in(cfg.matrix.cols));
    let write_bytes = st.out("write_bytes");
    let store_unit_busy = st.out("busy");

    let mut v = m.instance("vector", &vu);
    v.io_from(&cmd_stream(Opcode::Vector), &cmds[3])
        .io_from(&done_bundle(), &dones[3])
        .io_from(&epi_in(cfg.matrix.cols), &epi)
        .io_from(&epi_out(cfg.matrix.cols), &epo)
        .con("spad_rdata", store_spad_rdata)
        .con("acc_rdata", store_acc_rdata);
    let vector_spad = v.io(&sram_read("spad_rd"));
    let vector_acc = v.io(&sram_read("acc_rd"));
    let vector_spad_wr = v.io(&sram_write("spad_wr", spad_bits));
    let vector_acc_wr = v.io(&sram_write("acc_wr", acc_bits));
    let vector_busy = v.out("busy");
    // The store queue's units take turns on the store-side read ports.
    let store_spad = share_read(&mut m, "shared_spad_rd", &store_unit_spad, &vector_spad);
    let store_acc = share_read(&mut m, "shared_acc_rd", &store_unit_acc, &vector_acc);
    let store_busy = m.wire_of("store_queue_busy", store_unit_busy | vector_busy);

    // --- memories -----------------------------------------------------------------------------
    let (sp, ac) = (scratchpad(cfg)?, accumulator(cfg)?);
    let mut s = m.instance("spad", &sp);
    s.io_from(&sram_write("load_wr", spad_bits), &load_spad)
        .io_from(&sram_write("vector_wr", spad_bits), &vector_spad_wr)
        .io_from(&sram_read("compute_rd"), &compute_spad)
        .io_from(&sram_read("store_rd"), &store_spad)
        .con("compute_rdata", compute_spad_rdata)
        .con("store_rdata", store_spad_rdata);
    let mut a = m.instance("acc", &ac);
    a.io_from(&priority_write("compute_wr", acc_bits), &compute_acc_wr)
        .io_from(&sram_write("load_wr", acc_bits), &load_acc)
        .io_from(&sram_write("vector_wr", acc_bits), &vector_acc_wr)
        .io_from(&priority_read("compute_rd"), &compute_acc_rd)
        .io_from(&sram_read("store_rd"), &store_acc)
        .con("compute_rdata", compute_acc_rdata)
        .con("store_rdata", store_acc_rdata);

    // --- DRAM read port --------------------------------------------------------------------------
    let mux_mod = axi_read_mux(cfg)?;
    let mut x = m.instance("read_mux", &mux_mod);
    x.io_from(&addr_channel("fetch_ar"), &fetch_ar)
        .io_from(&routed_read_channel("fetch_r", bits), &fetch_r)
        .io_from(&addr_channel("dma_ar"), &dma_ar)
        .io_from(&routed_read_channel("dma_r", bits), &dma_r)
        .io_from(&read_channel("m_axi_r", bits), &r);
    let mux_ar = x.io(&addr_channel("m_axi_ar"));

    // The master's address and write-data channels leave the chip from registers (register
    // slices): nothing outside waits on the units' logic.
    for (name, from, to) in [
        ("m_axi_ar_q", &mux_ar, &ar),
        ("m_axi_aw_q", &store_aw, &aw),
        ("m_axi_w_q", &store_w, &w),
    ] {
        let sliced = m.slice(name, from)?;
        m.connect(&sliced, to);
    }

    // --- performance counters ------------------------------------------------------------------
    let counts: [(&str, Expr); 10] = [
        ("load_busy", load_busy.into()),
        ("compute_busy", compute_busy.into()),
        ("store_busy", store_busy.into()),
        ("load_stall", stall.field("load").into()),
        ("compute_stall", stall.field("compute").into()),
        ("store_stall", stall.field("store").into()),
        ("macs", macs.into()),
        ("dma_read_bytes", read_bytes.add_wrap(fetch_bytes)),
        ("dma_write_bytes", write_bytes.into()),
        ("instructions", instructions.into()),
    ];
    for (name, value) in counts {
        let port = count.field(name);
        m.assign(port, value.resize(port.width()));
    }
    m.finish()
}
