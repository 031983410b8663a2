//! A fast signed multiplier as an expression: radix-4 Booth partial products reduced by a
//! tree of carry-save adders to two rows, whose sum is the product.
//!
//! Why written here: Yosys's own `$mul` becomes an array of row adders (each a carry chain,
//! or a prefix adder under `lcu_prefix.v`): slow and large for 32-bit operands. Booth halves
//! the rows, the carry-save tree adds them in about log1.5(rows) full-adder delays without any
//! carry chain, and the caller places the one carry-propagating add (`sum + carry`) in the
//! next pipeline stage.
//!
//! Rows are not sign-extended (that would cost a full adder per extension bit): a (w+1)-bit
//! two's-complement row with sign bit s equals the unsigned row with that bit inverted, minus
//! 2^w; the minus terms of all rows fold into one constant row. Each Booth digit's "+1" (the
//! negation's completion) is one bit of one more row. Bits that are always zero cost nothing:
//! synthesis folds them away.

use super::expr::{cat, mux, ulit, zero, Expr, ExprOps};
use super::module::ModuleBuilder;
use super::signal::{sint, uint};

/// A radix-4 Booth digit d in {-2, -1, 0, 1, 2}, decoded.
pub struct BoothDigit {
    /// |d| = 1.
    pub one: Expr,
    /// |d| = 2.
    pub two: Expr,
    /// d < 0: the top bit set and not all three (111 is a zero digit).
    pub neg: Expr,
    /// d > 0 (the sign of -d): the top bit clear and not all three clear.
    pub pos: Expr,
}

/// Booth digit `i` of `b`, from bits 2i+1, 2i and 2i-1 (b[-1] = 0).
pub fn booth_digit(b: &Expr, i: u32) -> BoothDigit {
    let hi = b.bit(2 * i + 1);
    let mid = b.bit(2 * i);
    let lo = if i == 0 { ulit(1, 0) } else { b.bit(2 * i - 1) };
    BoothDigit {
        one: mid.clone() ^ lo.clone(),
        two: (hi.clone() & !mid.clone() & !lo.clone()) | (!hi.clone() & mid.clone() & lo.clone()),
        neg: hi.clone() & !(mid.clone() & lo.clone()),
        pos: !hi & (mid | lo),
    }
}

/// `e` shifted left by `shift` and fitted to `width` bits: zero-extended, or its bits at and
/// above `width` dropped (rows of a sum taken modulo 2^width).
pub fn at_weight(e: Expr, shift: u32, width: u32) -> Expr {
    let e = if shift == 0 {
        e
    } else {
        cat([e, zero(uint(shift))])
    };
    if e.width() > width {
        e.slice(width - 1, 0)
    } else {
        e.zext(width)
    }
}

/// The carry-save form of `a * b` for signed `a` and `b`: two unsigned rows of
/// `a.width() + b.width()` bits whose sum, modulo 2^width, is the product. The partial
/// products and each level of the tree are wires of `m` named `<name>_pp<i>`, `<name>_l<k>_*`
/// (readable netlists, and Verilog lines of a sane length).
pub fn carry_save_product(
    m: &mut ModuleBuilder,
    name: &str,
    a: impl ExprOps,
    b: impl ExprOps,
) -> (Expr, Expr) {
    let (a, b) = (a.expr().as_signed(), b.expr().as_signed());
    let (wa, wb) = (a.width(), b.width());
    let width = wa + wb;
    // An even number of multiplier bits (sign-extended), two per Booth digit.
    let wb2 = wb + wb % 2;
    let b = b.sext(wb2);
    let digits = wb2 / 2;
    let place = |e: Expr, shift: u32| at_weight(e, shift, width);
    let mut rows = Vec::new();
    let mut negs = Vec::new();
    let mut constant: u128 = 0;
    for i in 0..digits {
        let BoothDigit { one, two, neg, .. } = booth_digit(&b, i);
        let magnitude = mux(one, a.sext(wa + 1), mux(two, a.shl(1), zero(sint(wa + 1))));
        let v = (magnitude ^ neg.repeat(wa + 1).as_signed()).as_unsigned();
        let row = cat([!v.bit(wa), v.slice(wa - 1, 0)]);
        rows.push(
            m.wire_of(&format!("{name}_pp{i}"), place(row, 2 * i))
                .into(),
        );
        negs.push(place(neg, 2 * i));
        constant = constant.wrapping_add(1u128 << (wa + 2 * i));
    }
    let mask = if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    let constant = (0u128.wrapping_sub(constant)) & mask;
    rows.push(negs.into_iter().reduce(|x, y| x | y).expect("a digit"));
    rows.push(wide_literal(width, constant));
    // Wallace tree: three rows become two per level until two are left.
    let mut level = 0;
    while rows.len() > 2 {
        level += 1;
        let mut next = Vec::new();
        let mut it = rows.chunks(3);
        for group in &mut it {
            match group {
                [x, y, z] => {
                    let sum = x.clone() ^ y.clone() ^ z.clone();
                    let majority =
                        (x.clone() & y.clone()) | (x.clone() & z.clone()) | (y.clone() & z.clone());
                    let k = next.len();
                    next.push(m.wire_of(&format!("{name}_l{level}_{k}"), sum).into());
                    next.push(
                        m.wire_of(
                            &format!("{name}_l{level}_{}", k + 1),
                            cat([majority.slice(width - 2, 0), ulit(1, 0)]),
                        )
                        .into(),
                    );
                }
                rest => next.extend(rest.iter().cloned()),
            }
        }
        rows = next;
    }
    let carry = rows.pop().expect("two rows");
    let sum = rows.pop().expect("two rows");
    (sum, carry)
}

/// `a * b` for signed operands, `a.width() + b.width()` bits, signed: the carry-save rows
/// added.
pub fn signed_product(m: &mut ModuleBuilder, name: &str, a: impl ExprOps, b: impl ExprOps) -> Expr {
    let (s, c) = carry_save_product(m, name, a, b);
    s.add_wrap(c).as_signed()
}

/// An unsigned constant of `width` bits (up to 128).
fn wide_literal(width: u32, value: u128) -> Expr {
    if width <= 64 {
        ulit(width, value as u64)
    } else {
        cat([
            ulit(width - 64, (value >> 64) as u64),
            ulit(64, value as u64),
        ])
    }
}
