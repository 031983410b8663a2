//! Radix-4 Booth multiplication of two signed 8-bit operands, as an expression.
//!
//! The multiplier `b` is recoded into four digits d_i in {-2, -1, 0, 1, 2} from the bit
//! triples (b[2i+1], b[2i], b[2i-1]) with b[-1] = 0, so only four partial products are summed
//! instead of eight. Each partial product d_i * a is formed without a subtractor: the
//! magnitude (a or 2a, 10 bits) is inverted when d_i is negative, and the +1 that completes
//! the two's complement is added as a separate bit at weight 4^i.
//!
//! No partial product is sign-extended (that would cost a full adder per extension bit):
//! a 10-bit two's-complement row with sign bit e equals the unsigned row with bit 9 inverted,
//! minus 2^9. The four rows are therefore summed unsigned with their top bits inverted, and
//! the four -2^(9+2i) are folded into one constant row. Each correction bit rides in the
//! empty low bits of the next row (row i+1 starts two bits above row i), the last one in the
//! constant row. Five operands, modulo 2^16, give the exact product (it fits in 16 bits).
//!
//! The PEs use the negated product ([`booth_neg_mul8`]): flipping every digit's sign is free,
//! and -(a * b) fits in 15 bits, so the product register and the column's partial sums are
//! a bit narrower (see `pe.rs`).

use crate::hw::*;

/// Width of the product.
const PRODUCT: u32 = 16;

/// Sum of the four -2^(9 + 2i), modulo 2^16: the sign-extension constant.
const SIGN_CONSTANT: u64 = (1u64 << PRODUCT) - (1 << 9) - (1 << 11) - (1 << 13) - (1 << 15);

/// One Booth digit's partial product of `a` (of `-a` when `negate`): (10-bit row with its
/// sign bit inverted, the digit's negation bit).
fn partial_product(a: &Expr, b: &Expr, i: u32, negate: bool) -> (Expr, Expr) {
    let d = booth_digit(b, i);
    let (one, two) = (d.one, d.two);
    // Negated, the digit is negative where it was positive (a zero digit never is).
    let neg = if negate { d.pos } else { d.neg };
    let a10 = a.sext(10); // a, as 10 bits
    let a2 = a.sext(9).shl(1); // 2a, as 10 bits
    let magnitude = mux(one, a10, mux(two, a2, zero(sint(10))));
    let inverted = (magnitude ^ neg.repeat(10).as_signed()).as_unsigned();
    let row = cat([!inverted.bit(9), inverted.slice(8, 0)]);
    (row, neg)
}

/// `a * b` for signed 8-bit `a`, `b`: a signed 16-bit expression built from Booth digits.
pub fn booth_mul8(a: impl ExprOps, b: impl ExprOps) -> Expr {
    booth(a.expr(), b.expr(), false, PRODUCT)
}

/// `-(a * b)` for signed 8-bit `a`, `b`, as a signed **15-bit** expression: the negated
/// product lies in -16384..=16256, which 15 bits hold, where `a * b` needs 16 (only
/// -128 * -128 = 16384 does). Negating costs nothing: each Booth digit's sign is flipped.
pub fn booth_neg_mul8(a: impl ExprOps, b: impl ExprOps) -> Expr {
    booth(a.expr(), b.expr(), true, PRODUCT - 1)
}

/// `a * b` (or `-(a * b)` when `negate`) modulo 2^`width`, as a signed `width`-bit expression.
fn booth(a: Expr, b: Expr, negate: bool, width: u32) -> Expr {
    let pps: Vec<(Expr, Expr)> = (0..4).map(|i| partial_product(&a, &b, i, negate)).collect();
    // Row i at weight 4^i, with the previous digit's negation bit two places below it; bits
    // at or above `width` are dropped (the sum is taken modulo 2^width).
    let place = |e: Expr, shift: u32| at_weight(e, shift, width);
    let mut sum = place(pps[0].0.clone(), 0);
    for i in 1..4u32 {
        let (row, _) = &pps[i as usize];
        let (_, prev_neg) = &pps[i as usize - 1];
        let row_with_neg = cat([row.clone(), ulit(1, 0), prev_neg.clone()]);
        sum = sum.add_wrap(place(row_with_neg, 2 * (i - 1)));
    }
    // The constant, with the last digit's negation bit at weight 4^3 (bit 6 is 0 in it).
    let last_neg = place(pps[3].1.clone(), 6);
    let constant = ulit(width, SIGN_CONSTANT & ((1 << width) - 1)) | last_neg;
    sum.add_wrap(constant).as_signed()
}

#[cfg(test)]
mod tests {
    use super::SIGN_CONSTANT;

    #[test]
    fn the_sign_constant_leaves_bit_6_free_for_the_last_correction() {
        assert_eq!(SIGN_CONSTANT, 0x5600);
        assert_eq!(SIGN_CONSTANT & (1 << 6), 0);
    }
}
