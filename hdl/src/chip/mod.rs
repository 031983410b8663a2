//! The accelerator, one unit per file, built with the [`crate::hw`] layer and configured by
//! one [`Config`] threaded through every generator.

pub mod accumulator;
pub mod axi4;
pub mod axi_lite;
pub mod axi_read_mux;
pub mod booth;

pub mod commands;
pub mod compute_unit;
pub mod config;
pub mod controller;
pub mod csr;
pub mod csr_block;
pub mod fpga_shell;
pub mod header;
pub mod isa;
pub mod load_unit;
pub mod matrix_engine;
pub mod pe;
pub mod result_fifo;
pub mod scratchpad;
pub mod skew;
pub mod store_unit;
pub mod systolic_array;
pub mod top;

pub use config::{
    BusConfig, Config, ConfigError, ControllerConfig, MatrixConfig, MemoryConfig, Multiplier,
};
pub use matrix_engine::{matrix_engine, EngineShape};

use crate::hw::{Design, HdlError};

/// The complete design for `cfg`: the chip ([`top::chip`], module `seedchip`).
pub fn generate(cfg: &Config) -> Result<Design, HdlError> {
    Design::new(top::chip(cfg)?)
}

/// The matrix engine alone (the unit `seedchip verify --level engine` checks).
pub fn generate_engine(cfg: &Config) -> Result<Design, HdlError> {
    Design::new(matrix_engine(&cfg.matrix)?)
}

/// The design for `cfg` inside the FPGA measurement shell ([`fpga_shell::fpga_shell`]). An
/// `auto` multiplier becomes `*` here, so the FPGA's DSP blocks do the multiplying.
pub fn generate_fpga_shell(cfg: &Config) -> Result<Design, HdlError> {
    let matrix = MatrixConfig {
        multiplier: cfg.matrix.multiplier.for_fpga(),
        ..cfg.matrix.clone()
    };
    Design::new(fpga_shell::fpga_shell(&matrix_engine(&matrix)?)?)
}
