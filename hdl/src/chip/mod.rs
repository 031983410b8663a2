//! The accelerator, one unit per file, built with the [`crate::hw`] layer and configured by
//! one [`Config`] threaded through every generator.

pub mod axi_lite;
pub mod booth;
pub mod config;
pub mod csr;
pub mod csr_block;
pub mod fpga_shell;
pub mod header;
pub mod isa;
pub mod matrix_engine;
pub mod pe;
pub mod result_fifo;
pub mod skew;
pub mod systolic_array;

pub use config::{
    BusConfig, Config, ConfigError, ControllerConfig, MatrixConfig, MemoryConfig, Multiplier,
};
pub use matrix_engine::{matrix_engine, EngineShape};

use crate::hw::{Design, HdlError};

/// The complete design for `cfg`. Today the chip top is the matrix engine.
pub fn generate(cfg: &Config) -> Result<Design, HdlError> {
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
