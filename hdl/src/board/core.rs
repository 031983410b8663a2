//! `board_core`: the chip, its device memory and the UART host link, everything a board top
//! holds except the clock and the power-on reset.
//!
//! ```text
//!  uart_rx ->[uart_rx]-> rx byte ->[host_bridge]-> tx byte ->[uart_tx]-> uart_tx
//!                                   |  m_axil            | mem (word port)
//!                                   v                    v
//!                            [seedchip] --m_axi--> [device_memory]
//!  irq <- seedchip.irq
//! ```

use super::device_memory::{byte_addr_bits, device_memory, host_port};
use super::host_bridge::{host_bridge, BridgeSpec};
use super::uart::{bit_cycles, rx_byte, tx_byte, uart_rx, uart_tx};
use crate::chip::axi4::Axi4;
use crate::chip::axi_lite::AxiLite;
use crate::chip::Config;
use crate::hw::*;

/// What a board gives the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreSpec {
    /// Device memory bytes (a power of two).
    pub mem_bytes: u32,
    pub clock_hz: u64,
    pub baud: u64,
}

/// Build `board_core` around the chip of `cfg` (single tile).
pub fn board_core(cfg: &Config, spec: &CoreSpec) -> Result<ModuleRef, ModuleError> {
    let chip = crate::chip::top::chip(cfg)?;
    let data_bits = cfg.bus.data_bits;
    let reg_bits = crate::chip::csr_block::ADDR_BITS;
    let cycles = bit_cycles(spec.clock_hz, spec.baud);
    let rx_mod = uart_rx(cycles)?;
    let tx_mod = uart_tx(cycles)?;
    let bridge_mod = host_bridge(&BridgeSpec {
        mem_bytes: spec.mem_bytes,
        reg_addr_bits: reg_bits,
        clock_hz: spec.clock_hz,
        baud: spec.baud,
    })?;
    let mem_mod = device_memory(spec.mem_bytes, data_bits)?;

    let mut m = ModuleBuilder::new("board_core");
    m.doc(&format!(
        "Board core: the chip, {} KiB of device memory and a UART host link at {} baud ({cycles} cycles a bit at {} Hz).",
        spec.mem_bytes / 1024,
        spec.baud,
        spec.clock_hz
    ));
    m.unit("FPGA board: core");
    let pin_rx = m.input("uart_rx", bit());
    let pin_tx = m.output("uart_tx", bit());
    let irq = m.output("irq", bit());

    let mut rx = m.instance("receiver", &rx_mod);
    rx.con("rx", pin_rx);
    let rx_out = rx.io(&rx_byte("byte"));
    let mut tx = m.instance("transmitter", &tx_mod);
    tx.con("tx", pin_tx);
    let tx_in = tx.io(&tx_byte("byte"));

    // The device memory's word for the bridge (the memory is instantiated below).
    let word = m.wire("mem_rdata", uint(32));
    let mut bridge = m.instance("bridge", &bridge_mod);
    bridge.con("mem_rdata", word);
    bridge.io_from(&rx_byte("rx"), &rx_out);
    bridge.io_from(&tx_byte("tx"), &tx_in);
    let axil = AxiLite::new("m_axil", reg_bits);
    let channels: Vec<(Bundle, BundleIo)> = [&axil.aw, &axil.w, &axil.b, &axil.ar, &axil.r]
        .into_iter()
        .map(|c| (c.clone(), bridge.io(c)))
        .collect();
    let ab = byte_addr_bits(spec.mem_bytes);
    let mem_req = bridge.io(&host_port("mem", ab));

    let mut c = m.instance("chip", &chip);
    let host = AxiLite::new("s_axil", reg_bits);
    for ((_, wires), port) in channels
        .iter()
        .zip([&host.aw, &host.w, &host.b, &host.ar, &host.r])
    {
        c.io_from(port, wires);
    }
    c.con("irq", irq);
    let axi = Axi4::new("m_axi", data_bits);
    let bus: Vec<(Bundle, BundleIo)> = [&axi.aw, &axi.w, &axi.b, &axi.ar, &axi.r]
        .into_iter()
        .map(|ch| (ch.clone(), c.io(ch)))
        .collect();

    let mut mem = m.instance("memory", &mem_mod);
    let slave = Axi4::new("s_axi", data_bits);
    for ((_, wires), port) in bus
        .iter()
        .zip([&slave.aw, &slave.w, &slave.b, &slave.ar, &slave.r])
    {
        mem.io_from(port, wires);
    }
    mem.io_from(&host_port("host", ab), &mem_req);
    mem.con("host_rdata", word);
    m.finish()
}
