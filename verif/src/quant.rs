//! Integer requantisation exactly as TFLite's reference int8 kernels do it (the reference
//! model for the vector unit; see issue "Vector unit" and `docs/isa.md`).
//!
//! A layer's int32 accumulator `x` becomes an int8 (or int16) output as
//! `clamp(MultiplyByQuantizedMultiplier(x, M, shift) + zero_point, min, max)`, where the real
//! scale `s = M * 2^(shift - 31)` with `M` in [2^30, 2^31) (a Q0.31 fraction) and
//! `MultiplyByQuantizedMultiplier(x, M, shift)` is, bit for bit (gemmlowp / TFLite
//! `reference_ops`):
//!
//! 1. `left = max(shift, 0)`, `right = max(-shift, 0)`;
//! 2. `x << left` as an int32 multiply (it wraps; the quantiser never makes it overflow);
//! 3. `SaturatingRoundingDoublingHighMul(a, M)`: `(a * M + nudge) / 2^31` in 64 bits, with
//!    `nudge = 2^30` when `a * M >= 0` and `1 - 2^30` otherwise, and `/` truncating toward
//!    zero: the nearest integer to `a * M / 2^31`, a tie going toward +infinity (+0.5 -> 1,
//!    -0.5 -> 0). The one product that does not fit, `INT32_MIN * INT32_MIN`, saturates to
//!    `INT32_MAX`;
//! 4. `RoundingDivideByPOT(y, right)`: `y >> right` (arithmetic), plus one when the bits
//!    shifted out exceed `(mask >> 1) + (y < 0)` with `mask = 2^right - 1`: the nearest
//!    integer to `y / 2^right`, a tie going away from zero (+0.5 -> 1, -0.5 -> -1).
//!
//! The output zero point is added with saturation and the result clamped to the output range.

/// `SaturatingRoundingDoublingHighMul(a, b)`: `a * b / 2^31` (the high 32 bits of `2 * a * b`)
/// rounded to nearest, ties toward +infinity; `INT32_MIN * INT32_MIN` saturates to
/// `INT32_MAX`.
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    // Rust's `/` on i64 truncates toward zero, as C++'s does.
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// `RoundingDivideByPOT(x, exponent)`: `x / 2^exponent` rounded to nearest, ties away from
/// zero. `exponent` is 0..=32 (TFLite uses 0..=31; 32, reachable with a 6-bit shift of -32,
/// follows the same formula in 64 bits: 0 for every x but INT32_MIN, which gives -1).
pub fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
    assert!(
        exponent <= 32,
        "RoundingDivideByPOT exponent {exponent} out of 0..=32"
    );
    let x = x as i64;
    let mask = (1i64 << exponent) - 1;
    let remainder = x & mask;
    let threshold = (mask >> 1) + (x < 0) as i64;
    ((x >> exponent) + (remainder > threshold) as i64) as i32
}

/// `MultiplyByQuantizedMultiplier(x, multiplier, shift)` of TFLite's reference kernels:
/// `x * multiplier * 2^(shift - 31)`, rounded as the steps in the module documentation say.
/// `shift` is -31..=30 in TFLite; the vector unit's 6-bit shift also allows -32 and 31,
/// computed by the same steps (`x << 31` wraps like any left shift).
pub fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
    assert!((-32..=31).contains(&shift), "shift {shift} out of -32..=31");
    let left = shift.max(0) as u32;
    let right = (-shift).max(0) as u32;
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(x.wrapping_mul(1 << left), multiplier),
        right,
    )
}

/// One requantisation: scale, add the output zero point (saturating), clamp to `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    /// Q0.31 multiplier, normally in [2^30, 2^31) (0 for a zero scale).
    pub multiplier: i32,
    /// Power-of-two exponent: the scale is `multiplier * 2^(shift - 31)`.
    pub shift: i32,
    pub zero_point: i32,
    pub min: i32,
    pub max: i32,
}

impl Requant {
    /// The output for accumulator `x`.
    pub fn apply(&self, x: i32) -> i32 {
        let scaled = multiply_by_quantized_multiplier(x, self.multiplier, self.shift);
        clamp(scaled.saturating_add(self.zero_point), self.min, self.max)
    }
}

/// `min` if `v < min`, else `max` if `v > max`, else `v`: the hardware's two compares in
/// that order, which also fixes the result when `min > max`.
pub fn clamp(v: i32, min: i32, max: i32) -> i32 {
    if v < min {
        min
    } else if v > max {
        max
    } else {
        v
    }
}

/// TFLite's `QuantizeMultiplier(real)`: (Q0.31 multiplier, shift) with
/// `real ~= multiplier * 2^(shift - 31)`, `multiplier` in [2^30, 2^31) (0 and shift 0 for 0).
/// Scales below 2^-32 become 0, scales of 2^30 and more saturate; `real` must be finite and
/// non-negative.
pub fn quantize_multiplier(real: f64) -> (i32, i32) {
    assert!(
        real.is_finite() && real >= 0.0,
        "scale {real} is not a finite non-negative number"
    );
    if real == 0.0 {
        return (0, 0);
    }
    // frexp: real = q * 2^e with q in [0.5, 1).
    let mut e = real.log2().floor() as i32 + 1;
    let mut q = real / 2f64.powi(e);
    while q >= 1.0 {
        q /= 2.0;
        e += 1;
    }
    while q < 0.5 {
        q *= 2.0;
        e -= 1;
    }
    let mut q_fixed = (q * (1u64 << 31) as f64).round() as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        e += 1;
    }
    // As TFLite: too small a scale is zero, too large one saturates.
    if e < -31 {
        return (0, 0);
    }
    if e > 30 {
        return (i32::MAX, 30);
    }
    (q_fixed as i32, e)
}
