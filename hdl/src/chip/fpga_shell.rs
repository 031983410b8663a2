//! A pin-light shell for FPGA place-and-route figures.
//!
//! The matrix engine's ports outnumber the pins of FPGA packages (a 4x4 engine has about 200
//! signals). For utilisation and Fmax the shell feeds every engine input from a shift register
//! loaded one bit per cycle from `sin`, and folds every registered engine output into one
//! parity bit on `sout`. Nothing can be optimised away (each output bit reaches a pin) and each
//! engine port is timed register to register, as it would be inside an SoC. The shell adds
//! one flip-flop per port bit and an XOR tree; the FPGA report says so.

use crate::hw::*;

/// Wrap `inner` (every port except `clk`/`rst`) behind `sin`/`sout`. Named `fpga_shell_<inner>`.
pub fn fpga_shell(inner: &ModuleRef) -> Result<ModuleRef, ModuleError> {
    let ports: Vec<Port> = inner
        .ports()
        .into_iter()
        .filter(|p| p.name != "clk" && p.name != "rst")
        .collect();
    let in_bits: u32 = ports
        .iter()
        .filter(|p| p.dir == Dir::Input)
        .map(|p| p.ty.width)
        .sum();
    let out_bits: u32 = ports
        .iter()
        .filter(|p| p.dir == Dir::Output)
        .map(|p| p.ty.width)
        .sum();
    let mut m = ModuleBuilder::new(format!("fpga_shell_{}", inner.name()));
    m.unit("FPGA measurement shell");
    m.doc(&format!(
        "FPGA measurement shell around {}: {in_bits} input bits shifted in from sin,\n\
         {out_bits} output bits registered and folded into one parity bit on sout.",
        inner.name()
    ));
    let sin = m.input("sin", bit());
    let sout = m.output("sout", bit());

    let scan = m.data_reg("scan", uint(in_bits.max(1)));
    if in_bits > 1 {
        m.next(scan, cat([scan.slice(in_bits - 2, 0), sin.into()]));
    } else {
        m.next(scan, sin);
    }
    let capture = m.data_reg("capture", uint(out_bits.max(1)));
    let parity = m.data_reg("parity", bit());

    let mut inst = m.instance("dut", inner);
    let mut outs: Vec<Sig> = Vec::new();
    let mut lo = 0;
    for p in &ports {
        match p.dir {
            Dir::Input => {
                inst.con(&p.name, scan.slice(lo + p.ty.width - 1, lo));
                lo += p.ty.width;
            }
            Dir::Output => outs.push(inst.out(&p.name)),
        }
    }
    m.next(capture, cat(outs.iter().rev().copied()));
    m.next(parity, capture.reduce_xor());
    m.assign(sout, parity);
    m.finish()
}
