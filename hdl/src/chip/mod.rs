//! The accelerator, one unit per file, built with the [`crate::hw`] layer and configured by
//! one [`Config`] threaded through every generator.

pub mod accumulator;
pub mod axi4;
pub mod axi_lite;
pub mod axi_read_mux;
pub mod axil_demux;
pub mod booth;

pub mod commands;
pub mod compute_unit;
pub mod config;
pub mod controller;
pub mod csr;
pub mod csr_block;
pub mod dram_ni;
pub mod fpga_shell;
pub mod header;
pub mod isa;
pub mod load_unit;
pub mod matrix_engine;
pub mod mesh;
pub mod multi_tile;
pub mod ni;
pub mod noc_packet;
pub mod pe;
pub mod requant;
pub mod result_fifo;
pub mod router;
pub mod scratchpad;
pub mod skew;
pub mod store_unit;
pub mod systolic_array;
pub mod tile_ni;
pub mod top;
pub mod vector_isa;
pub mod vector_reduce;
pub mod vector_unit;

pub use config::{
    BusConfig, Config, ConfigError, ControllerConfig, InterconnectConfig, MatrixConfig,
    MemoryConfig, Multiplier, TilesConfig, VectorConfig,
};
pub use matrix_engine::{matrix_engine, EngineShape};

use crate::hw::{Design, HdlError};

/// Which design a command builds: the whole chip or the matrix engine alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Top {
    /// The accelerator: controller, DMA, memories, matrix engine, host registers (`seedchip`).
    Chip,
    /// The matrix engine alone (row-aligned valid/ready streams).
    Engine,
    /// The interconnect's crossbar alone, at its reference shape ([`CROSSBAR_REFERENCE`]: 4
    /// requesters x 4 banks, 32-bit reads and writes).
    Crossbar,
    /// One mesh router for the configuration's `[interconnect]` and `[tiles]`.
    Router,
}

/// The crossbar shape `--top crossbar` measures: 4 requesters x 4 banks of 1,024 32-bit rows.
pub const CROSSBAR_REFERENCE: crate::hw::CrossbarSpec = crate::hw::CrossbarSpec {
    requesters: 4,
    banks: 4,
    addr_bits: 12,
    wdata_bits: 32,
    rdata_bits: 32,
    reservable: false,
};

/// The mesh of tiles for `cfg` (its shape, flit width and queue depth).
pub fn mesh_spec(cfg: &Config) -> mesh::MeshSpec {
    mesh::MeshSpec {
        x: cfg.tiles.x,
        y: cfg.tiles.y,
        flit_bits: noc_packet::NocLayout::new(cfg).flit_bits,
        depth: cfg.interconnect.buffer_depth,
    }
}

impl Top {
    pub fn name(self) -> &'static str {
        match self {
            Top::Chip => "chip",
            Top::Engine => "engine",
            Top::Crossbar => "crossbar",
            Top::Router => "router",
        }
    }

    /// The design of this kind for `cfg`.
    pub fn generate(self, cfg: &Config) -> Result<Design, HdlError> {
        match self {
            Top::Chip => generate(cfg),
            Top::Engine => generate_engine(cfg),
            Top::Crossbar => Design::new(crate::hw::crossbar(&CROSSBAR_REFERENCE)?),
            Top::Router => Design::new(router::router(&mesh_spec(cfg).router())?),
        }
    }
}

impl std::str::FromStr for Top {
    type Err = String;
    fn from_str(s: &str) -> Result<Top, String> {
        [Top::Chip, Top::Engine, Top::Crossbar, Top::Router]
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| format!("unknown top `{s}`; choose chip, engine, crossbar or router"))
    }
}

impl std::fmt::Display for Top {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The complete design for `cfg`: the chip ([`top::chip`], module `seedchip`).
pub fn generate(cfg: &Config) -> Result<Design, HdlError> {
    if (cfg.tiles.x, cfg.tiles.y) != (1, 1) {
        return Design::new(multi_tile::multi_tile(cfg)?);
    }
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
