//! seedchip-verif: simulation-based verification.
//!
//! - [`verilator`]: the Verilator bridge (any Verilog, built at run time, ports by name);
//! - [`model`]: the bit-exact reference model of the matrix engine; [`chip_model`]: the
//!   functional ISA simulator of the whole chip; [`gemm`]: GEMMs tiled into programs;
//! - [`harness`] and [`verify`]: the generated engine RTL proven equal to the model on random
//!   cases; [`chip_harness`] and [`chip_verify`]: the whole chip against the ISA simulator on
//!   random programs (`seedchip verify`);
//! - [`compare`] and [`equiv`]: any two Verilog designs proven equal to each other, by
//!   lockstep random simulation or formally (`seedchip equiv`);
//! - [`replay`]: a recorded run replayed on Icarus Verilog (the cross-simulator check).

pub mod activity;
pub mod axi;
pub mod board;
pub mod chip_harness;
pub mod chip_model;
pub mod chip_verify;
pub mod compare;
pub mod crossbar;
pub mod csr_model;
pub mod equiv;
pub mod gemm;
pub mod harness;
pub mod layers;
pub mod mesh;
pub mod model;
pub mod noise;
pub mod quant;
pub mod random_program;
pub mod replay;
pub mod row_layers;
pub mod vector;
pub mod verify;
pub mod verilator;
pub mod verilog_ports;
