//! Requantiser: int32 accumulator lanes to int8/int16 outputs, bit-exact with TFLite's
//! reference kernels (`MultiplyByQuantizedMultiplier`, zero point, clamp). One row of `lanes`
//! values per cycle, pipelined; the reference model is `seedchip_verif::quant`.
//!
//! ```text
//!  x, multiplier, shift (per lane)     zero point, min, max (per row)
//!    |
//!  [0] input registers
//!  [1] a = x << max(shift, 0)            (an int32 multiply by 2^left: wraps)
//!  [2] a * M as two 32x16 halves         (hi = a * M[31:16], lo = a * M[15:0])
//!  [3] ab = hi * 2^16 + lo               (64 bits)
//!  [4] y = (ab + 2^30) >> 31             (SaturatingRoundingDoublingHighMul; MIN*MIN -> MAX)
//!  [5] s = y + 2^(r-1) - (y < 0)         (r = max(-shift, 0); nothing when r = 0)
//!  [6] q = s >> r                        (RoundingDivideByPOT: ties away from zero)
//!  [7] out = clamp(sat32(q + zero point), min, max)
//! ```
//!
//! Why `(ab + 2^30) >> 31`: gemmlowp adds 2^30 (or 1 - 2^30 when negative) and divides by
//! 2^31 truncating toward zero; for a negative sum, truncating is flooring after adding
//! 2^31 - 1, and 1 - 2^30 + 2^31 - 1 = 2^30: one floor shift for both signs. Why step [5]:
//! `RoundingDivideByPOT` rounds to nearest with ties away from zero, which is
//! `floor((y + 2^(r-1) - (y < 0)) / 2^r)`, computed in 33 bits so that it cannot overflow.

use crate::hw::*;

/// Cycles from a row on the inputs to its result on `out` (eight register stages).
pub const LATENCY: u32 = 8;

/// The requantiser's inputs: one row per cycle when `valid`.
pub fn requant_in(lanes: u32) -> Bundle {
    Bundle::plain("in")
        .field("valid", bit())
        .field("x", uint(lanes * 32))
        .field("multiplier", uint(lanes * 32))
        .field("shift", uint(lanes * 6))
        .field("zero_point", sint(32))
        .field("min", sint(32))
        .field("max", sint(32))
}

/// The requantiser's outputs, [`LATENCY`] cycles after their inputs.
pub fn requant_out(lanes: u32) -> Bundle {
    Bundle::plain("out")
        .field("valid", bit())
        .field("y", uint(lanes * 32))
}

/// A stage register of `value`'s type, loaded every cycle.
fn stage(m: &mut ModuleBuilder, name: &str, value: impl Into<Expr>) -> Sig {
    let v: Expr = value.into();
    let q = m.data_reg(name, v.ty());
    m.next(q, v);
    q
}

/// One lane's registered inputs.
struct LaneIn {
    x: Expr,
    multiplier: Expr,
    shift: Expr,
}

/// The per-row values, delayed to the last stage: zero point and output range.
#[derive(Clone)]
struct RowOut {
    zero_point: Expr,
    min: Expr,
    max: Expr,
}

/// One lane's pipeline: [`LATENCY`] - 1 stages after the input registers.
fn lane_pipeline(m: &mut ModuleBuilder, i: u32, input: LaneIn, row: RowOut) -> Expr {
    let LaneIn {
        x,
        multiplier,
        shift,
    } = input;
    let RowOut {
        zero_point: zp,
        min,
        max,
    } = row;
    let n = |s: &str| format!("l{i}_{s}");
    let negative_shift = shift.bit(5);
    // [1] left shift; the right-shift amount travels along.
    let left = mux(negative_shift.clone(), zero(uint(5)), shift.slice(4, 0));
    let right = mux(
        negative_shift,
        zero(uint(6)).sub_wrap(shift.clone()).slice(4, 0),
        zero(uint(5)),
    );
    let a = stage(m, &n("a"), x.as_signed().shl_var(left));
    let m1 = stage(m, &n("m"), multiplier.as_signed());
    let r1 = stage(m, &n("r1"), right);
    // [2] two 32x16 products: signed high half, unsigned low half (as a 17-bit signed value).
    let m_hi = m1.slice(31, 16).as_signed();
    let m_lo = cat([ulit(1, 0), m1.slice(15, 0)]).as_signed();
    let hi = stage(m, &n("hi"), a.mul(m_hi));
    let lo = stage(m, &n("lo"), a.mul(m_lo));
    let sat2 = stage(
        m,
        &n("sat2"),
        ExprOps::eq(&a, lit(sint(32), i32::MIN as i64))
            & ExprOps::eq(&m1, lit(sint(32), i32::MIN as i64)),
    );
    let r2 = stage(m, &n("r2"), r1);
    // [3] the 64-bit product.
    let hi64 = cat([hi.sext(48), zero(uint(16))]).as_signed();
    let ab = stage(m, &n("ab"), hi64.add_wrap(lo.sext(64)));
    let sat3 = stage(m, &n("sat3"), sat2);
    let r3 = stage(m, &n("r3"), r2);
    // [4] doubling high multiply, rounded; the one overflowing product saturates.
    let rounded = ab
        .add_wrap(lit(sint(64), 1 << 30))
        .slice(62, 31)
        .as_signed();
    let y = stage(
        m,
        &n("y"),
        mux(sat3, lit(sint(32), i32::MAX as i64), rounded),
    );
    let r4 = stage(m, &n("r4"), r3);
    // [5] rounding offset of the power-of-two divide, in 33 bits.
    let half = ulit(33, 1)
        .shl_var(r4.expr().sub_wrap(ulit(5, 1)))
        .as_signed();
    let offset = mux(
        r4.ne_lit(0),
        half.sub_wrap(y.msb().zext(33).as_signed()),
        zero(sint(33)),
    );
    let s = stage(m, &n("s"), y.sext(33).add_wrap(offset));
    let r5 = stage(m, &n("r5"), r4);
    // [6] the divide.
    let q = stage(m, &n("q"), s.shr_var(r5).slice(31, 0).as_signed());
    // [7] zero point (saturating to int32), then the output range.
    let v = q.sext(34).add_wrap(zp.sext(34));
    let int32 = mux(
        v.gt(lit(sint(34), i32::MAX as i64)),
        lit(sint(34), i32::MAX as i64),
        mux(
            v.lt(lit(sint(34), i32::MIN as i64)),
            lit(sint(34), i32::MIN as i64),
            v,
        ),
    )
    .slice(31, 0)
    .as_signed();
    let clamped = mux(
        int32.clone().lt(min.clone()),
        min,
        mux(int32.clone().gt(max.clone()), max, int32),
    );
    stage(m, &n("out"), clamped).into()
}

/// Build the requantiser for `lanes` lanes. Named `requant_l<lanes>`.
pub fn requant(lanes: u32) -> Result<ModuleRef, ModuleError> {
    let mut m = ModuleBuilder::new(format!("requant_l{lanes}"));
    m.doc(&format!(
        "Requantiser, {lanes} lanes: TFLite MultiplyByQuantizedMultiplier, zero point, clamp.\n\
         Per lane: x (int32), multiplier (Q0.31), shift (-31..30); per row: zero point, min, max.\n\
         Latency {LATENCY} cycles, one row per cycle."
    ));
    m.unit("vector unit: requantise");
    let input = m.io(&requant_in(lanes), Role::Sink);
    let output = m.io(&requant_out(lanes), Role::Source);
    // [0] input registers.
    let x = stage(&mut m, "x_q", input.field("x"));
    let mult = stage(&mut m, "multiplier_q", input.field("multiplier"));
    let shift = stage(&mut m, "shift_q", input.field("shift"));
    let zp = stage(&mut m, "zero_point_q", input.field("zero_point"));
    let min = stage(&mut m, "min_q", input.field("min"));
    let max = stage(&mut m, "max_q", input.field("max"));
    let valid = m.history("valid", input.field("valid"), LATENCY);
    // The per-row values reach the last stage with their row.
    let zp = m.delay("zero_point", zp, LATENCY - 2);
    let min = m.delay("min", min, LATENCY - 2);
    let max = m.delay("max", max, LATENCY - 2);
    let row = RowOut {
        zero_point: zp,
        min,
        max,
    };
    let outs: Vec<Expr> = (0..lanes)
        .map(|i| {
            let input = LaneIn {
                x: lane(x, i, 32),
                multiplier: lane(mult, i, 32),
                shift: lane(shift, i, 6),
            };
            lane_pipeline(&mut m, i, input, row.clone()).as_unsigned()
        })
        .collect();
    m.assign(output.field("valid"), valid.bit(LATENCY - 1));
    m.assign(output.field("y"), from_lanes(outs));
    m.finish()
}
