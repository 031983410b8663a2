//! seedchip-hdl: the hardware-construction layer ([`hw`]) and the accelerator built with it
//! ([`chip`]).

pub mod board;
pub mod chip;
pub mod hw;
