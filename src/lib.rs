//! The `seedchip` tool as a library: synthesis and PPA flows around the generator
//! ([`seedchip_hdl`]) and the verification harness ([`seedchip_verif`]).

pub mod equiv;
pub mod flow;
