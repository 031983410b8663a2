//! Which top-level ports of a generated design are signed (Verilog sources go through
//! `seedchip_verif::verilog_ports`).

use std::collections::HashSet;

use seedchip_hdl::hw::Design;

/// The signed ports of a seedchip design's top module (from the generator's own types).
pub fn signed_in_design(design: &Design) -> HashSet<String> {
    design
        .top()
        .ports()
        .into_iter()
        .filter(|p| p.ty.signed)
        .map(|p| p.name)
        .collect()
}
