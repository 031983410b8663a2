//! seedchip-verif: the Verilator bridge, the reference model and the randomized equivalence
//! harness that proves the generated RTL bit-exact against the model.

pub mod compare;
pub mod equiv;
pub mod harness;
pub mod model;
pub mod replay;
pub mod verilator;
