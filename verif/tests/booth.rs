//! The radix-4 Booth multiplier equals `*` (and its negated 15-bit form equals `-(a * b)`) on
//! every one of the 65,536 signed 8-bit operand pairs, simulated from the emitted Verilog.

use seedchip_hdl::chip::booth::{booth_mul8, booth_neg_mul8};
use seedchip_hdl::hw::*;
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, XInit};

#[test]
fn booth_equals_multiplication_on_every_operand_pair() {
    let mut m = ModuleBuilder::new("booth_check");
    let a = m.input("a", sint(8));
    let b = m.input("b", sint(8));
    let p = m.output("p", sint(16));
    let n = m.output("n", sint(15));
    m.assign(p, booth_mul8(a, b));
    m.assign(n, booth_neg_mul8(a, b));
    let d = Design::new(m.finish().unwrap()).unwrap();
    let model = Model::build(&sources_of(&d), "booth_check", &BuildOptions::default()).unwrap();
    let mut s = model.sim(XInit::Zeros).unwrap();
    let (pa, pb, pp, pn) = (
        s.port("a").unwrap(),
        s.port("b").unwrap(),
        s.port("p").unwrap(),
        s.port("n").unwrap(),
    );
    let mut wrong = Vec::new();
    for x in -128i64..=127 {
        for y in -128i64..=127 {
            s.set_u64(pa, x as u8 as u64).unwrap();
            s.set_u64(pb, y as u8 as u64).unwrap();
            let (got, neg) = (s.get(pp).to_i64_wrapping(), s.get(pn).to_i64_wrapping());
            if (got != x * y || neg != -(x * y)) && wrong.len() < 10 {
                wrong.push((x, y, got, neg));
            }
        }
    }
    assert!(wrong.is_empty(), "(a, b, a*b, -(a*b)): {wrong:?}");
}
