//! seedchip-eda: the plumbing between seedchip and the open EDA tools.
//!
//! - [`tool`]: the one way seedchip runs an external program (Yosys, OpenSTA, nextpnr,
//!   Verilator, Icarus, the C++ compiler): a log per run, one error type, one rule for how much
//!   of a log an error quotes, and quoting for paths written into tool scripts;
//! - [`liberty`]: finding the sky130 Liberty (vendored copy included) and trimming it;
//! - [`cells`]: simulation models of Liberty cells, for gate-level simulation;
//! - [`flow`]: `seedchip synth` (generic, sky130 with OpenSTA, iCE40 and ECP5 with nextpnr).
//!
//! The `seedchip` binary only parses arguments and calls this crate and `seedchip-verif`.

pub mod cache;
pub mod cells;
pub mod flow;
pub mod liberty;
pub mod tool;
