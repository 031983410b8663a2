//! seedchip-hdl: the hardware-construction layer ([`hw`]) and the accelerator built with it
//! ([`chip`]).

pub mod chip;
pub mod hw;
