//! FPGA boards: the chip with a device memory and a UART host link, and the board tops.
//!
//! ```text
//!  board top (board_<name>): oscillator -> PLL -> clk        rx/tx pins
//!    board_core: reset synchroniser, uart_rx/uart_tx, host_bridge, seedchip, device_memory
//!      host_bridge --AXI4-Lite--> seedchip --AXI4--> device_memory <--word port-- host_bridge
//! ```
//!
//! `board_core` is everything but the clock, so simulation (Verilator drives its UART pins
//! bit by bit) and the gate-level checks run the same logic the board does.

pub mod boards;
pub mod core;
pub mod device_memory;
pub mod host_bridge;
pub mod protocol;
pub mod uart;
