//! Radix-4 Booth multiplication of two signed 8-bit operands, as an expression.
//!
//! The multiplier `b` is recoded into four digits d_i in {-2, -1, 0, 1, 2} from the bit
//! triples (b[2i+1], b[2i], b[2i-1]) with b[-1] = 0, so only four partial products are summed
//! instead of eight. Each partial product d_i * a is formed without a subtractor: the
//! magnitude (a or 2a, 10 bits) is inverted when d_i is negative, and the +1 that completes
//! the two's complement is added as a separate bit at weight 4^i. The sum of the four
//! shifted, sign-extended partial products and the correction bits, modulo 2^16, is the exact
//! product (it fits in 16 bits).

use crate::hw::*;

/// `a * b` for signed 8-bit `a`, `b`: a signed 16-bit expression built from Booth digits.
pub fn booth_mul8(a: impl ExprOps, b: impl ExprOps) -> Expr {
    let (a, b) = (a.expr(), b.expr());
    let a10 = a.sext(10); // a, as 10 bits
    let a2 = a.sext(9).shl(1); // 2a, as 10 bits
    let mut sum: Expr = zero(sint(16));
    for i in 0..4u32 {
        let hi = b.bit(2 * i + 1);
        let mid = b.bit(2 * i);
        let lo = if i == 0 { ulit(1, 0) } else { b.bit(2 * i - 1) };
        // Digit: one = |d| == 1; two = |d| == 2; neg = d < 0.
        let one = mid.clone() ^ lo.clone();
        let two =
            (hi.clone() & !mid.clone() & !lo.clone()) | (!hi.clone() & mid.clone() & lo.clone());
        let neg = hi & !(mid & lo);
        let magnitude = mux(one, a10.clone(), mux(two, a2.clone(), zero(sint(10))));
        let inverted = (magnitude ^ neg.repeat(10).as_signed()).as_signed();
        // Weight 4^i: extend to 16 - 2i bits, then append 2i zeros (no bit is computed only
        // to be dropped).
        let at_weight = |e: Expr| -> Expr {
            if i == 0 {
                e
            } else {
                cat([e, zero(uint(2 * i))])
            }
        };
        let shifted = at_weight(inverted.sext(16 - 2 * i).as_unsigned());
        let correction = at_weight(neg.zext(16 - 2 * i));
        sum = sum
            .as_unsigned()
            .add_wrap(shifted)
            .add_wrap(correction)
            .as_signed();
    }
    sum
}
