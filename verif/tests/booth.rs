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

/// The construction layer's Booth / carry-save multiplier: every pair of a signed 7-bit and a
/// signed 9-bit operand (odd widths: the multiplier is sign-extended to an even width), and
/// random 32 x 32 pairs with the extremes, through the emitted Verilog.
#[test]
fn the_carry_save_multiplier_equals_multiplication() {
    let mut m = ModuleBuilder::new("csa_check");
    let a = m.input("a", sint(7));
    let b = m.input("b", sint(9));
    let p = m.output("p", sint(16));
    let x = m.input("x", sint(32));
    let y = m.input("y", sint(32));
    let q = m.output("q", sint(64));
    let small = signed_product(&mut m, "small", a, b);
    let wide = signed_product(&mut m, "wide", x, y);
    m.assign(p, small);
    m.assign(q, wide);
    let d = Design::new(m.finish().unwrap()).unwrap();
    let model = Model::build(&sources_of(&d), "csa_check", &BuildOptions::default()).unwrap();
    let mut s = model.sim(XInit::Zeros).unwrap();
    let port = |s: &seedchip_verif::verilator::Sim, n: &str| s.port(n).unwrap();
    let (pa, pb, pp, px, py, pq) = (
        port(&s, "a"),
        port(&s, "b"),
        port(&s, "p"),
        port(&s, "x"),
        port(&s, "y"),
        port(&s, "q"),
    );
    for u in -64i64..=63 {
        for v in -256i64..=255 {
            s.set_u64(pa, (u as u64) & 0x7f).unwrap();
            s.set_u64(pb, (v as u64) & 0x1ff).unwrap();
            assert_eq!(s.get(pp).to_i64_wrapping(), u * v, "{u} * {v}");
        }
    }
    let mut rng = seedchip_verif::noise::XorShift64::new(11);
    let extremes = [i32::MIN, i32::MAX, 0, -1, 1, i32::MIN + 1, 1 << 30];
    for k in 0..20_000 {
        let pick = |r: u64| {
            if r.is_multiple_of(4) {
                extremes[(r >> 8) as usize % extremes.len()]
            } else {
                (r >> 16) as i32
            }
        };
        let (u, v) = (pick(rng.next_u64()), pick(rng.next_u64()));
        s.set_u64(px, u as u32 as u64).unwrap();
        s.set_u64(py, v as u32 as u64).unwrap();
        assert_eq!(
            s.get(pq).to_i64_wrapping(),
            u as i64 * v as i64,
            "case {k}: {u} * {v}"
        );
    }
}
